/*
 * Sliding time windows of the Sigma correlation types event_count,
 * value_count, temporal and temporal_ordered, kept per group-by value.
 *
 * Windows slide over event times, not over clock-aligned buckets: a
 * correlation fires when its condition holds over some span no longer than
 * the timespan, and a span longer than the timespan never counts. After a
 * correlation fires, its group starts empty, so each alert uses fresh events,
 * and matches up to one timespan after the alert's last event are absorbed
 * by that alert (counted in corr.matches_suppressed).
 *
 * Conditions with only a lower bound (gt, gte) fire as soon as they hold.
 * Conditions with an upper bound (lt, lte, eq, neq) can only be decided when
 * a window ends. They are evaluated for the window that starts at each
 * group's oldest event, once the stream has moved past that window's end or
 * the input has ended.
 *
 * Memory is bounded: at most wa_opts.corr_max_groups groups per correlation
 * and CORR_STATE_ENTRIES_MAX entries over all its groups (the least recently
 * updated group is evicted, counted in corr.groups_evicted), at most
 * CORR_GROUP_ENTRIES_MAX events per group and CORR_GROUP_VALUES_MAX alert
 * values per group. Groups idle for longer than the timespan plus the
 * out-of-order tolerance are dropped, after their pending windows are decided.
 */
#include "sigma.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../sensor/counters.h"
#include "../sensor/options.h"

struct corr_entry {
    int64_t time_us;
    uint32_t step;
    char *value;             /* value_count: lower-cased counted value */
    struct event_ref ref;    /* the match's latest event */
    struct event_ref *older; /* a fired child's other events, oldest first */
    uint32_t older_count;
};

struct group_value {
    int field;
    uint64_t hash; /* of text, compared before the text */
    char *text;
};

struct corr_group {
    struct corr_group *hash_next;
    struct corr_group *lru_prev;
    struct corr_group *lru_next;
    uint64_t hash;
    char *key;
    char **values; /* group-by values as first seen */
    int64_t last_time;
    struct corr_entry *entries; /* sorted by time */
    uint32_t entry_count;
    uint32_t entry_cap;
    int64_t *chain_start; /* temporal_ordered: start of the best chain ending at each step */
    int64_t quiet_until;  /* matches up to this time are absorbed by the last alert */
    struct group_value *vals;
    uint32_t val_count;
    uint32_t val_cap;
};

struct corr_state {
    uint32_t group_field_count; /* values per group (the rule's group-by length) */
    struct corr_group **buckets;
    uint32_t bucket_count;
    uint32_t group_count;
    uint64_t entry_total;        /* entries over all groups */
    struct corr_group *lru_head; /* least recently updated */
    struct corr_group *lru_tail;
    int64_t max_time;
};

#define CHAIN_UNSET INT64_MIN

struct corr_state *corr_state_new(const struct corr_rule *rule)
{
    struct corr_state *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        return NULL;
    }
    st->group_field_count = rule->group_count;
    st->bucket_count = 64;
    st->buckets = calloc(st->bucket_count, sizeof(*st->buckets));
    if (st->buckets == NULL) {
        free(st);
        return NULL;
    }
    st->max_time = INT64_MIN;
    return st;
}

static void entry_free(struct corr_entry *e)
{
    free(e->value);
    e->value = NULL;
    free(e->older);
    e->older = NULL;
    e->older_count = 0;
}

/*
 * Fills an entry for a match. A fired child brings all its events, so the
 * parent's alert can list every event behind it: the latest becomes ref and
 * copies of the others go to older. Returns false when out of memory.
 */
static bool entry_init(struct corr_entry *e, uint32_t step, const struct corr_match *m)
{
    *e = (struct corr_entry){.time_us = m->time_us, .step = step};
    e->ref = m->refs[m->ref_count - 1];
    if (m->ref_count > 1) {
        e->older = malloc((m->ref_count - 1) * sizeof(*e->older));
        if (e->older == NULL) {
            return false;
        }
        memcpy(e->older, m->refs, (m->ref_count - 1) * sizeof(*e->older));
        e->older_count = m->ref_count - 1;
    }
    return true;
}

static void group_clear(struct corr_group *g)
{
    for (uint32_t i = 0; i < g->entry_count; i++) {
        entry_free(&g->entries[i]);
    }
    g->entry_count = 0;
    for (uint32_t i = 0; i < g->val_count; i++) {
        free(g->vals[i].text);
    }
    g->val_count = 0;
}

static void group_free(struct corr_group *g, uint32_t group_count)
{
    group_clear(g);
    for (uint32_t i = 0; i < group_count; i++) {
        free(g->values[i]);
    }
    free(g->values);
    free(g->entries);
    free(g->chain_start);
    free(g->vals);
    free(g->key);
    free(g);
}

void corr_state_free(struct corr_state *st)
{
    if (st == NULL) {
        return;
    }
    struct corr_group *g = st->lru_head;
    while (g != NULL) {
        struct corr_group *next = g->lru_next;
        group_free(g, st->group_field_count);
        g = next;
    }
    free(st->buckets);
    free(st);
}

/* ---- Group table -------------------------------------------------------- */

static uint64_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static void lru_unlink(struct corr_state *st, struct corr_group *g)
{
    if (g->lru_prev != NULL) {
        g->lru_prev->lru_next = g->lru_next;
    } else {
        st->lru_head = g->lru_next;
    }
    if (g->lru_next != NULL) {
        g->lru_next->lru_prev = g->lru_prev;
    } else {
        st->lru_tail = g->lru_prev;
    }
    g->lru_prev = g->lru_next = NULL;
}

static void lru_append(struct corr_state *st, struct corr_group *g)
{
    g->lru_prev = st->lru_tail;
    g->lru_next = NULL;
    if (st->lru_tail != NULL) {
        st->lru_tail->lru_next = g;
    } else {
        st->lru_head = g;
    }
    st->lru_tail = g;
}

static void table_remove(struct corr_state *st, struct corr_group *g)
{
    struct corr_group **p = &st->buckets[g->hash & (st->bucket_count - 1)];
    while (*p != NULL && *p != g) {
        p = &(*p)->hash_next;
    }
    if (*p == g) {
        *p = g->hash_next;
    }
    lru_unlink(st, g);
    st->group_count--;
}

static void table_grow(struct corr_state *st)
{
    uint32_t count = st->bucket_count * 2;
    struct corr_group **buckets = calloc(count, sizeof(*buckets));
    if (buckets == NULL) {
        return;
    }
    for (uint32_t i = 0; i < st->bucket_count; i++) {
        struct corr_group *g = st->buckets[i];
        while (g != NULL) {
            struct corr_group *next = g->hash_next;
            g->hash_next = buckets[g->hash & (count - 1)];
            buckets[g->hash & (count - 1)] = g;
            g = next;
        }
    }
    free(st->buckets);
    st->buckets = buckets;
    st->bucket_count = count;
}

/* ---- Match field lookup ------------------------------------------------- */

/* Returns a field of the match: from the event, or from a fired child's group-by values. */
static const char *match_field(const struct corr_match *m, int field)
{
    if (m->ctx != NULL) {
        size_t len = 0;
        const char *v = fields_get(m->ctx, field, false, &len);
        if (v != NULL) {
            return v;
        }
    }
    if (m->child != NULL) {
        for (uint32_t g = 0; g < m->child->group_count; g++) {
            if (m->child->group_fields[g] == field) {
                return m->child_group_values[g];
            }
        }
    }
    return NULL;
}

static char *lower_dup(const char *s)
{
    char *out = strdup(s);
    for (char *p = out; p != NULL && *p != '\0'; p++) {
        *p = (char)tolower((unsigned char)*p);
    }
    return out;
}

/* ---- Firing ------------------------------------------------------------- */

static json_t *build_values(struct corr_engine *engine, const struct corr_group *g)
{
    const struct field_table *fields = corr_engine_fields(engine);
    json_t *obj = json_object();
    for (uint32_t i = 0; i < g->val_count; i++) {
        const char *name = fields->names[g->vals[i].field];
        json_t *arr = json_object_get(obj, name);
        if (arr == NULL) {
            arr = json_array();
            json_object_set_new(obj, name, arr);
        }
        json_array_append_new(arr, json_string(g->vals[i].text));
    }
    return obj;
}

/* Appends r to refs unless an event with the same seq is already there. */
static void refs_add_once(struct event_ref *refs, uint32_t *count, uint32_t cap,
                          const struct event_ref *r, int64_t *distinct)
{
    for (uint32_t i = 0; i < *count; i++) {
        if (refs[i].seq == r->seq) {
            return;
        }
    }
    (*distinct)++;
    if (*count < cap) {
        refs[(*count)++] = *r;
    }
}

/*
 * Collects the events of entries [from, to], each event once even when it
 * matched several referenced rules. Returns the number of distinct events,
 * of which at most CORR_ALERT_EVENTS_MAX are stored in refs.
 */
static int64_t collect_refs(const struct corr_group *g, uint32_t from, uint32_t to,
                            struct event_ref *refs, uint32_t *ref_count)
{
    int64_t distinct = 0;
    *ref_count = 0;
    for (uint32_t i = from; i <= to; i++) {
        const struct corr_entry *e = &g->entries[i];
        for (uint32_t k = 0; k < e->older_count; k++) {
            refs_add_once(refs, ref_count, CORR_ALERT_EVENTS_MAX, &e->older[k], &distinct);
        }
        refs_add_once(refs, ref_count, CORR_ALERT_EVENTS_MAX, &e->ref, &distinct);
    }
    for (uint32_t i = 1; i < *ref_count; i++) {
        struct event_ref r = refs[i];
        uint32_t k = i;
        while (k > 0 && refs[k - 1].time_us > r.time_us) {
            refs[k] = refs[k - 1];
            k--;
        }
        refs[k] = r;
    }
    return distinct;
}

/*
 * Fires for entries [from, to] of g, then empties the group and keeps it
 * quiet for one timespan, so one burst of activity raises one alert, as
 * alert suppression in a SIEM does. For the temporal types, count is the
 * number of distinct events behind the alert.
 */
static void fire_range(struct corr_engine *engine, int ci, struct corr_group *g, uint32_t from,
                       uint32_t to, int64_t count, struct match_ctx *ctx)
{
    const struct corr_rule *rule = corr_engine_rule_at(engine, ci);
    struct event_ref *refs = malloc(CORR_ALERT_EVENTS_MAX * sizeof(*refs));
    if (refs == NULL) {
        CTR_INC("corr.nomem");
        group_clear(g);
        return;
    }
    uint32_t ref_count = 0;
    int64_t distinct = collect_refs(g, from, to, refs, &ref_count);
    if (rule->type == CORR_TEMPORAL || rule->type == CORR_TEMPORAL_ORDERED) {
        count = distinct;
    }
    int64_t first_us = g->entries[from].time_us;
    if (ref_count > 0 && refs[0].time_us < first_us) {
        first_us = refs[0].time_us; /* a fired child's events started before its own entry */
    }
    int64_t last_us = g->entries[to].time_us;
    json_t *values = build_values(engine, g);
    corr_engine_fire(engine, ci, g->values, first_us, last_us, count, refs, ref_count, values, ctx);
    json_decref(values);
    free(refs);
    group_clear(g);
    g->quiet_until = last_us + rule->timespan_us;
    if (g->chain_start != NULL) {
        for (uint32_t s = 0; s < rule->step_count; s++) {
            g->chain_start[s] = CHAIN_UNSET;
        }
    }
}

static bool bounds_hold(const struct corr_bounds *b, int64_t n)
{
    return (!b->has_min || n >= b->min) && (!b->has_max || n <= b->max) &&
           (!b->has_neq || n != b->neq);
}

static bool bounds_monotone(const struct corr_bounds *b)
{
    return !b->has_max && !b->has_neq;
}

/* Counts what the condition measures over entries [from, to]. */
static int64_t measure(const struct corr_rule *rule, const struct corr_group *g, uint32_t from,
                       uint32_t to)
{
    if (rule->type == CORR_EVENT_COUNT || rule->type == CORR_VALUE_COUNT) {
        return (int64_t)(to - from + 1); /* value_count keeps one entry per distinct value */
    }
    uint64_t seen = 0;
    int64_t n = 0;
    for (uint32_t i = from; i <= to; i++) {
        uint64_t bit = 1ULL << g->entries[i].step; /* step < CORR_STEPS_MAX (64) */
        if ((seen & bit) == 0) {
            seen |= bit;
            n++;
        }
    }
    return n;
}

/* First entry index whose time is at least t (entries are sorted). */
static uint32_t lower_bound(const struct corr_group *g, int64_t t)
{
    uint32_t lo = 0;
    uint32_t hi = g->entry_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (g->entries[mid].time_us < t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/*
 * Upper-bounded conditions: evaluates the window that starts at the oldest
 * entry once now is past its end (or always when closing_all), then drops
 * that entry (or the whole window when it fired).
 */
static void close_windows(struct corr_engine *engine, int ci, struct corr_group *g, int64_t now,
                          bool closing_all)
{
    const struct corr_rule *rule = corr_engine_rule_at(engine, ci);
    int64_t span = rule->timespan_us;
    while (g->entry_count > 0) {
        int64_t start = g->entries[0].time_us;
        if (!closing_all && now - start <= span + corr_engine_tolerance_us(engine)) {
            return;
        }
        uint32_t end = lower_bound(g, start + span + 1);
        int64_t n = measure(rule, g, 0, end - 1);
        if (bounds_hold(&rule->bounds, n)) {
            fire_range(engine, ci, g, 0, end - 1, n, NULL);
            continue;
        }
        entry_free(&g->entries[0]);
        memmove(&g->entries[0], &g->entries[1], (g->entry_count - 1) * sizeof(g->entries[0]));
        g->entry_count--;
    }
}

/* ---- Entries ------------------------------------------------------------ */

static bool insert_entry(struct corr_group *g, const struct corr_entry *e, uint32_t *index)
{
    if (g->entry_count == CORR_GROUP_ENTRIES_MAX) {
        entry_free(&g->entries[0]);
        memmove(&g->entries[0], &g->entries[1], (g->entry_count - 1) * sizeof(g->entries[0]));
        g->entry_count--;
        CTR_INC("corr.entries_dropped");
    }
    if (g->entry_count == g->entry_cap) {
        uint32_t cap = g->entry_cap != 0 ? g->entry_cap * 2 : 2;
        struct corr_entry *grown = realloc(g->entries, cap * sizeof(*grown));
        if (grown == NULL) {
            return false;
        }
        g->entries = grown;
        g->entry_cap = cap;
    }
    uint32_t i = g->entry_count;
    while (i > 0 && g->entries[i - 1].time_us > e->time_us) {
        g->entries[i] = g->entries[i - 1];
        i--;
    }
    g->entries[i] = *e;
    g->entry_count++;
    *index = i;
    return true;
}

static void remove_entry(struct corr_group *g, uint32_t i)
{
    entry_free(&g->entries[i]);
    memmove(&g->entries[i], &g->entries[i + 1], (g->entry_count - i - 1) * sizeof(g->entries[0]));
    g->entry_count--;
}

/* Drops entries too old to share a window with anything still to come. */
static void prune_old(struct corr_group *g, int64_t horizon)
{
    uint32_t n = lower_bound(g, horizon);
    for (uint32_t i = 0; i < n; i++) {
        entry_free(&g->entries[i]);
    }
    if (n != 0) {
        memmove(&g->entries[0], &g->entries[n], (g->entry_count - n) * sizeof(g->entries[0]));
        g->entry_count -= n;
    }
}

/* Adds one value of field to the group's alert values unless it is there. */
static void add_value(struct corr_group *g, int field, const char *v)
{
    uint64_t h = hash_text(v);
    for (uint32_t i = 0; i < g->val_count; i++) {
        if (g->vals[i].hash == h && g->vals[i].field == field && strcmp(g->vals[i].text, v) == 0) {
            return;
        }
    }
    if (g->val_count == CORR_GROUP_VALUES_MAX) {
        CTR_INC("corr.values_dropped");
        return;
    }
    if (g->val_count == g->val_cap) {
        uint32_t cap = g->val_cap != 0 ? g->val_cap * 2 : 4;
        struct group_value *grown = realloc(g->vals, cap * sizeof(*grown));
        if (grown == NULL) {
            return;
        }
        g->vals = grown;
        g->val_cap = cap;
    }
    g->vals[g->val_count].field = field;
    g->vals[g->val_count].hash = h;
    g->vals[g->val_count].text = strdup(v);
    if (g->vals[g->val_count].text != NULL) {
        g->val_count++;
    }
}

/*
 * Adds the values of the rule's value fields from a match: every value a
 * fired child collected, else the field of the matching event.
 */
static void add_values(struct corr_engine *engine, const struct corr_rule *rule,
                       struct corr_group *g, const struct corr_match *m)
{
    const struct field_table *fields = corr_engine_fields(engine);
    for (uint32_t f = 0; f < rule->meta.value_field_count; f++) {
        int field = rule->meta.value_fields[f];
        json_t *child =
            m->child_values != NULL ? json_object_get(m->child_values, fields->names[field]) : NULL;
        if (json_is_array(child)) {
            size_t i = 0;
            json_t *item = NULL;
            json_array_foreach(child, i, item)
            {
                if (json_is_string(item)) {
                    add_value(g, field, json_string_value(item));
                }
            }
            continue;
        }
        const char *v = match_field(m, field);
        if (v != NULL) {
            add_value(g, field, v);
        }
    }
}

/* ---- Per-type updates --------------------------------------------------- */

/* Finds the largest count over a span of at most the timespan that contains entry k. */
static void best_window(const struct corr_rule *rule, const struct corr_group *g, uint32_t k,
                        uint32_t *from, uint32_t *to, int64_t *count)
{
    *count = 0;
    for (uint32_t j = k; j < g->entry_count; j++) {
        if (g->entries[j].time_us - g->entries[k].time_us > rule->timespan_us) {
            break;
        }
        uint32_t i = lower_bound(g, g->entries[j].time_us - rule->timespan_us);
        int64_t n = measure(rule, g, i, j);
        if (n > *count) {
            *count = n;
            *from = i;
            *to = j;
        }
    }
}

static bool twin_counted(const struct corr_group *g, const struct corr_match *m)
{
    if (m->ctx == NULL || m->ctx->ev->link == 0) {
        return false;
    }
    for (uint32_t i = 0; i < g->entry_count; i++) {
        if (g->entries[i].ref.seq == m->ctx->ev->link) {
            return true;
        }
    }
    return false;
}

static void add_counted(struct corr_engine *engine, int ci, struct corr_group *g, uint32_t step,
                        const struct corr_match *m)
{
    const struct corr_rule *rule = corr_engine_rule_at(engine, ci);
    struct corr_entry e;
    if (!entry_init(&e, step, m)) {
        CTR_INC("corr.nomem");
        return;
    }
    if (rule->type == CORR_VALUE_COUNT) {
        /*
         * NOTE: only the latest event of each value is kept, so a window that
         * ends before it misses that value. Only upper-bounded conditions and
         * events later than the tolerance can see such a window.
         */
        const char *v = match_field(m, rule->value_field);
        if (v == NULL) {
            entry_free(&e);
            return;
        }
        e.value = lower_dup(v);
        if (e.value == NULL) {
            entry_free(&e);
            return;
        }
        for (uint32_t i = 0; i < g->entry_count; i++) {
            if (strcmp(g->entries[i].value, e.value) == 0) {
                if (g->entries[i].time_us > e.time_us) {
                    entry_free(&e);
                    return;
                }
                remove_entry(g, i);
                break;
            }
        }
    } else if (twin_counted(g, m)) {
        CTR_INC("corr.twins_merged");
        entry_free(&e);
        return;
    }
    uint32_t k = 0;
    if (!insert_entry(g, &e, &k)) {
        entry_free(&e);
        CTR_INC("corr.nomem");
        return;
    }
    add_values(engine, rule, g, m);
    if (!bounds_monotone(&rule->bounds)) {
        close_windows(engine, ci, g, m->time_us, false);
        return;
    }
    uint32_t from = 0;
    uint32_t to = 0;
    int64_t n = 0;
    best_window(rule, g, k, &from, &to, &n);
    if (bounds_hold(&rule->bounds, n)) {
        fire_range(engine, ci, g, from, to, n, m->ctx);
        return;
    }
    prune_old(g, g->entries[g->entry_count - 1].time_us - rule->timespan_us -
                     corr_engine_tolerance_us(engine));
}

static void add_temporal(struct corr_engine *engine, int ci, struct corr_group *g, uint32_t step,
                         const struct corr_match *m)
{
    const struct corr_rule *rule = corr_engine_rule_at(engine, ci);
    for (uint32_t i = 0; i < g->entry_count; i++) {
        if (g->entries[i].step == step) {
            if (g->entries[i].time_us > m->time_us) {
                return;
            }
            remove_entry(g, i);
            break;
        }
    }
    struct corr_entry e;
    uint32_t k = 0;
    if (!entry_init(&e, step, m) || !insert_entry(g, &e, &k)) {
        entry_free(&e);
        CTR_INC("corr.nomem");
        return;
    }
    add_values(engine, rule, g, m);
    uint32_t from = 0;
    uint32_t to = 0;
    int64_t n = 0;
    best_window(rule, g, k, &from, &to, &n);
    if (bounds_hold(&rule->bounds, n)) {
        fire_range(engine, ci, g, from, to, n, m->ctx);
    }
}

/*
 * temporal_ordered: chain_start[s] is the latest start time of a sequence of
 * steps 0..s matched in order. A match of step s extends the chain of step
 * s - 1 when that chain started no more than the timespan ago.
 */
static void add_ordered(struct corr_engine *engine, int ci, struct corr_group *g, uint32_t step,
                        const struct corr_match *m)
{
    const struct corr_rule *rule = corr_engine_rule_at(engine, ci);
    if (g->chain_start == NULL) {
        g->chain_start = malloc(rule->step_count * sizeof(*g->chain_start));
        if (g->chain_start == NULL) {
            CTR_INC("corr.nomem");
            return;
        }
        for (uint32_t s = 0; s < rule->step_count; s++) {
            g->chain_start[s] = CHAIN_UNSET;
        }
    }
    int64_t start = CHAIN_UNSET;
    if (step == 0) {
        start = m->time_us;
    } else if (g->chain_start[step - 1] != CHAIN_UNSET &&
               g->chain_start[step - 1] >= m->time_us - rule->timespan_us) {
        start = g->chain_start[step - 1];
    }
    if (start == CHAIN_UNSET) {
        return;
    }
    if (start > g->chain_start[step]) {
        g->chain_start[step] = start;
    }
    /* The chain starts carry the timing, so one entry (the latest) per step is enough. */
    for (uint32_t i = 0; i < g->entry_count; i++) {
        if (g->entries[i].step == step) {
            remove_entry(g, i);
            break;
        }
    }
    struct corr_entry e;
    uint32_t k = 0;
    if (!entry_init(&e, step, m) || !insert_entry(g, &e, &k)) {
        entry_free(&e);
        CTR_INC("corr.nomem");
        return;
    }
    add_values(engine, rule, g, m);
    if (step + 1 == rule->step_count) {
        uint32_t from = lower_bound(g, start);
        fire_range(engine, ci, g, from, g->entry_count - 1, (int64_t)rule->step_count, m->ctx);
    }
}

/* ---- Entry points ------------------------------------------------------- */

static void drop_group(struct corr_engine *engine, int ci, struct corr_group *g)
{
    const struct corr_rule *rule = corr_engine_rule_at(engine, ci);
    rule->state->entry_total -= g->entry_count;
    if (!bounds_monotone(&rule->bounds)) {
        close_windows(engine, ci, g, 0, true);
    }
    table_remove(rule->state, g);
    group_free(g, rule->group_count);
}

void corr_window_advance(struct corr_engine *engine, int ci, int64_t now_us)
{
    const struct corr_rule *rule = corr_engine_rule_at(engine, ci);
    struct corr_state *st = rule->state;
    int64_t horizon = now_us - rule->timespan_us - corr_engine_tolerance_us(engine);
    while (st->lru_head != NULL && st->lru_head->last_time < horizon) {
        CTR_INC("corr.groups_expired");
        drop_group(engine, ci, st->lru_head);
    }
}

/* Group-by values of one match and the lower-cased key built from them. */
struct group_key {
    const char *values[CORR_GROUP_BY_MAX]; /* borrowed from the match */
    char small[512];
    char *text; /* small, or a heap buffer for long keys */
};

enum key_result { KEY_OK, KEY_MISSING_FIELD, KEY_NOMEM };

/*
 * Fills key for a match of step. A match without one of the group-by fields
 * belongs to no group (as in a SIEM "stats ... by" search) and is skipped.
 */
static enum key_result group_key_build(const struct corr_rule *rule, uint32_t step,
                                       const struct corr_match *m, struct group_key *key)
{
    size_t len = 1;
    for (uint32_t g = 0; g < rule->group_count; g++) {
        const char *v = match_field(m, rule->group_fields[(size_t)step * rule->group_count + g]);
        if (v == NULL) {
            return KEY_MISSING_FIELD;
        }
        key->values[g] = v;
        len += strlen(v) + 1;
    }
    key->text = len <= sizeof(key->small) ? key->small : malloc(len);
    if (key->text == NULL) {
        return KEY_NOMEM;
    }
    size_t o = 0;
    for (uint32_t g = 0; g < rule->group_count; g++) {
        for (const char *p = key->values[g]; *p != '\0'; p++) {
            key->text[o++] = (char)tolower((unsigned char)*p);
        }
        key->text[o++] = '\x1f';
    }
    key->text[o] = '\0';
    return KEY_OK;
}

static void group_key_done(struct group_key *key)
{
    if (key->text != key->small) {
        free(key->text);
    }
}

/* Finds the group of key, or creates it with copies of the group-by values. */
static struct corr_group *group_get(struct corr_engine *engine, int ci, const struct group_key *key)
{
    const struct corr_rule *rule = corr_engine_rule_at(engine, ci);
    struct corr_state *st = rule->state;
    uint64_t h = hash_text(key->text);
    for (struct corr_group *g = st->buckets[h & (st->bucket_count - 1)]; g != NULL;
         g = g->hash_next) {
        if (g->hash == h && strcmp(g->key, key->text) == 0) {
            return g;
        }
    }
    if (st->group_count >= wa_opts.corr_max_groups && st->lru_head != NULL) {
        CTR_INC("corr.groups_evicted");
        drop_group(engine, ci, st->lru_head);
    }
    struct corr_group *g = calloc(1, sizeof(*g));
    if (g == NULL || (g->key = strdup(key->text)) == NULL ||
        (g->values = calloc(rule->group_count + 1, sizeof(*g->values))) == NULL) {
        if (g != NULL) {
            free(g->key);
        }
        free(g);
        return NULL;
    }
    for (uint32_t i = 0; i < rule->group_count; i++) {
        g->values[i] = strdup(key->values[i]);
        if (g->values[i] == NULL) {
            group_free(g, rule->group_count);
            return NULL;
        }
    }
    g->hash = h;
    g->last_time = INT64_MIN;
    g->quiet_until = INT64_MIN;
    g->hash_next = st->buckets[h & (st->bucket_count - 1)];
    st->buckets[h & (st->bucket_count - 1)] = g;
    lru_append(st, g);
    st->group_count++;
    if (st->group_count > st->bucket_count) {
        table_grow(st);
    }
    return g;
}

void corr_window_add(struct corr_engine *engine, int ci, uint32_t step, const struct corr_match *m)
{
    const struct corr_rule *rule = corr_engine_rule_at(engine, ci);
    struct corr_state *st = rule->state;
    if (st->max_time != INT64_MIN && m->time_us < st->max_time - corr_engine_tolerance_us(engine)) {
        CTR_INC("corr.late_events");
    }
    if (m->time_us > st->max_time) {
        st->max_time = m->time_us;
    }
    corr_window_advance(engine, ci, st->max_time);
    struct group_key key;
    enum key_result kr = group_key_build(rule, step, m, &key);
    if (kr != KEY_OK) {
        if (kr == KEY_NOMEM) {
            CTR_INC("corr.nomem");
        } else {
            CTR_INC("corr.matches_without_group_field");
        }
        return;
    }
    struct corr_group *g = group_get(engine, ci, &key);
    group_key_done(&key);
    if (g == NULL) {
        CTR_INC("corr.nomem");
        return;
    }
    if (m->time_us > g->last_time) {
        g->last_time = m->time_us;
    }
    lru_unlink(st, g);
    lru_append(st, g);
    if (m->time_us <= g->quiet_until) {
        CTR_INC("corr.matches_suppressed");
        return;
    }
    uint32_t entries_before = g->entry_count;
    switch (rule->type) {
    case CORR_EVENT_COUNT:
    case CORR_VALUE_COUNT:
        add_counted(engine, ci, g, step, m);
        break;
    case CORR_TEMPORAL:
        add_temporal(engine, ci, g, step, m);
        break;
    case CORR_TEMPORAL_ORDERED:
        add_ordered(engine, ci, g, step, m);
        break;
    }
    st->entry_total += g->entry_count;
    st->entry_total -= entries_before;
    while (st->entry_total > CORR_STATE_ENTRIES_MAX && st->lru_head != g) {
        CTR_INC("corr.groups_evicted");
        drop_group(engine, ci, st->lru_head);
    }
}

void corr_window_finish(struct corr_engine *engine, int ci)
{
    const struct corr_rule *rule = corr_engine_rule_at(engine, ci);
    while (rule->state != NULL && rule->state->lru_head != NULL) {
        drop_group(engine, ci, rule->state->lru_head);
    }
}
