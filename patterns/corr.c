/*
 * The correlator: runs Sigma detection rules on each event, feeds matches to
 * correlation rules and writes alerts as JSON objects.
 *
 * Rules are indexed by the EventIDs their condition allows, so an event is
 * only matched against rules that can match it. Field lookups and
 * lower-casing are cached per event, and the per-event scratch memory is
 * reused, so matching allocates nothing once it has warmed up.
 */
#include "corr.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../sensor/counters.h"
#include "../sensor/options.h"
#include "sigma.h"

/* Rules that can match one EventID. */
struct id_bucket {
    uint32_t event_id;
    bool used;
    uint32_t *rules;
    uint32_t count;
    uint32_t cap;
};

struct corr_engine {
    corr_alert_fn on_alert;
    void *arg;
    struct sigma_ruleset set;
    bool index_dirty;
    struct id_bucket *buckets; /* open addressing on event_id */
    uint32_t bucket_count;
    uint32_t *any_rules; /* rules that may match any EventID */
    uint32_t any_count;
    struct field_cache_slot *cache;
    uint32_t cache_count;
    uint64_t generation;
    struct scratch scratch;
    pcre2_match_data *match_data;
    char **inputs; /* interned input names referenced by alerts */
    uint32_t input_count;
};

struct corr_engine *corr_engine_new(corr_alert_fn on_alert, void *arg)
{
    struct corr_engine *engine = calloc(1, sizeof(*engine));
    if (engine == NULL) {
        return NULL;
    }
    engine->on_alert = on_alert;
    engine->arg = arg;
    engine->match_data = pcre2_match_data_create(1, NULL);
    if (engine->match_data == NULL) {
        free(engine);
        return NULL;
    }
    return engine;
}

static void index_free(struct corr_engine *engine)
{
    for (uint32_t i = 0; i < engine->bucket_count; i++) {
        free(engine->buckets[i].rules);
    }
    free(engine->buckets);
    engine->buckets = NULL;
    engine->bucket_count = 0;
    free(engine->any_rules);
    engine->any_rules = NULL;
    engine->any_count = 0;
}

void corr_engine_free(struct corr_engine *engine)
{
    if (engine == NULL) {
        return;
    }
    struct sigma_ruleset *set = &engine->set;
    for (uint32_t i = 0; i < set->rule_count; i++) {
        sigma_rule_free(&set->rules[i]);
    }
    for (uint32_t i = 0; i < set->corr_count; i++) {
        corr_rule_free(&set->corrs[i]);
    }
    free(set->rules);
    free(set->corrs);
    fields_free(&set->fields);
    index_free(engine);
    free(engine->cache);
    scratch_free(&engine->scratch);
    pcre2_match_data_free(engine->match_data);
    for (uint32_t i = 0; i < engine->input_count; i++) {
        free(engine->inputs[i]);
    }
    free(engine->inputs);
    free(engine);
}

unsigned corr_engine_load(struct corr_engine *engine, const char *path, FILE *err_out)
{
    unsigned errors = sigma_load_path(&engine->set, path, err_out);
    engine->index_dirty = true;
    return errors;
}

unsigned corr_engine_rule_count(const struct corr_engine *engine)
{
    return engine->set.rule_count + engine->set.corr_count;
}

/* ---- Accessors for corr_window.c ---------------------------------------- */

const struct corr_rule *corr_engine_rule_at(const struct corr_engine *engine, int corr_index)
{
    return &engine->set.corrs[corr_index];
}

const struct field_table *corr_engine_fields(const struct corr_engine *engine)
{
    return &engine->set.fields;
}

int64_t corr_engine_tolerance_us(const struct corr_engine *engine)
{
    (void)engine;
    return wa_opts.corr_tolerance_us;
}

/* ---- EventID index ------------------------------------------------------ */

static struct id_bucket *bucket_for(struct corr_engine *engine, uint32_t event_id, bool create)
{
    uint32_t mask = engine->bucket_count - 1;
    for (uint32_t i = (event_id * 2654435761u) & mask;; i = (i + 1) & mask) {
        struct id_bucket *b = &engine->buckets[i];
        if (b->used && b->event_id == event_id) {
            return b;
        }
        if (!b->used) {
            if (!create) {
                return NULL;
            }
            b->used = true;
            b->event_id = event_id;
            return b;
        }
    }
}

static bool push_index(uint32_t **list, uint32_t *count, uint32_t *cap, uint32_t value)
{
    if (*count == *cap) {
        uint32_t n = *cap != 0 ? *cap * 2 : 8;
        uint32_t *grown = realloc(*list, n * sizeof(*grown));
        if (grown == NULL) {
            return false;
        }
        *list = grown;
        *cap = n;
    }
    (*list)[(*count)++] = value;
    return true;
}

/* Rebuilds the EventID index and the field cache after rules were loaded. */
static bool index_build(struct corr_engine *engine)
{
    index_free(engine);
    const struct sigma_ruleset *set = &engine->set;
    uint32_t distinct = 0;
    for (uint32_t r = 0; r < set->rule_count; r++) {
        distinct += set->rules[r].event_id_count;
    }
    engine->bucket_count = 16;
    while (engine->bucket_count < 2 * distinct + 2) {
        engine->bucket_count *= 2;
    }
    engine->buckets = calloc(engine->bucket_count, sizeof(*engine->buckets));
    if (engine->buckets == NULL) {
        return false;
    }
    uint32_t any_cap = 0;
    for (uint32_t r = 0; r < set->rule_count; r++) {
        const struct sigma_rule *rule = &set->rules[r];
        if (rule->any_event_id) {
            if (!push_index(&engine->any_rules, &engine->any_count, &any_cap, r)) {
                return false;
            }
            continue;
        }
        for (uint32_t k = 0; k < rule->event_id_count; k++) {
            struct id_bucket *b = bucket_for(engine, rule->event_ids[k], true);
            if (!push_index(&b->rules, &b->count, &b->cap, r)) {
                return false;
            }
        }
    }
    free(engine->cache);
    engine->cache_count = set->fields.count;
    engine->cache =
        calloc(engine->cache_count != 0 ? engine->cache_count : 1, sizeof(*engine->cache));
    engine->generation = 0;
    engine->index_dirty = engine->cache == NULL;
    return engine->cache != NULL;
}

/* ---- Alerts ------------------------------------------------------------- */

static const char *intern_input(struct corr_engine *engine, const char *input)
{
    if (input == NULL) {
        return "";
    }
    for (uint32_t i = 0; i < engine->input_count; i++) {
        if (strcmp(engine->inputs[i], input) == 0) {
            return engine->inputs[i];
        }
    }
    char **grown = realloc(engine->inputs, (engine->input_count + 1) * sizeof(*grown));
    if (grown == NULL) {
        return "";
    }
    engine->inputs = grown;
    char *copy = strdup(input);
    if (copy == NULL) {
        return "";
    }
    engine->inputs[engine->input_count++] = copy;
    return copy;
}

static json_t *time_json(int64_t time_us)
{
    char buf[40];
    return json_string(event_format_time(time_us, buf, sizeof(buf)));
}

static json_t *refs_json(const struct event_ref *refs, uint32_t count)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; i < count; i++) {
        const struct event_ref *r = &refs[i];
        json_t *o = json_object();
        bool wire = r->origin == EVENT_ORIGIN_WIRE;
        json_object_set_new(o, "origin", json_string(wire ? "wire" : "host"));
        json_object_set_new(o, "input", json_string(r->input));
        json_object_set_new(o, wire ? "frame" : "record", json_integer((json_int_t)r->record));
        json_object_set_new(o, "EventID", json_integer(r->event_id));
        json_object_set_new(o, "TimeCreated", time_json(r->time_us));
        json_array_append_new(arr, o);
    }
    return arr;
}

/* Builds the members every alert has. The caller adds group, values and events. */
static json_t *alert_new(const struct rule_meta *meta, const char *type, int64_t first,
                         int64_t last, int64_t count)
{
    json_t *a = json_object();
    json_object_set_new(a, "rule", json_string(meta->title));
    json_object_set_new(a, "id", meta->id != NULL ? json_string(meta->id) : json_null());
    json_object_set_new(a, "type", json_string(type));
    json_object_set_new(a, "level", json_string(meta->level != NULL ? meta->level : "medium"));
    json_object_set(a, "tags", meta->tags);
    json_object_set_new(a, "first", time_json(first));
    json_object_set_new(a, "last", time_json(last));
    json_object_set_new(a, "count", json_integer((json_int_t)count));
    return a;
}

static const char *const type_names[] = {"event_count", "value_count", "temporal",
                                         "temporal_ordered"};

static void feed_parents(struct corr_engine *engine, const int *parents, uint32_t parent_count,
                         bool is_correlation, int index, const struct corr_match *m)
{
    for (uint32_t p = 0; p < parent_count; p++) {
        const struct corr_rule *c = &engine->set.corrs[parents[p]];
        /* Later steps first, so one event cannot fill two consecutive steps. */
        for (uint32_t s = c->step_count; s-- > 0;) {
            if (c->steps[s].is_correlation == is_correlation && c->steps[s].index == index) {
                corr_window_add(engine, parents[p], s, m);
            }
        }
    }
}

void corr_engine_fire(struct corr_engine *engine, int corr_index, char *const *group_values,
                      int64_t first_us, int64_t last_us, int64_t count,
                      const struct event_ref *refs, uint32_t ref_count, json_t *values,
                      struct match_ctx *ctx)
{
    const struct corr_rule *c = &engine->set.corrs[corr_index];
    CTR_INC("corr.correlations_fired");
    if (!c->silent && engine->on_alert != NULL) {
        json_t *a = alert_new(&c->meta, type_names[c->type], first_us, last_us, count);
        json_t *group = json_object();
        for (uint32_t g = 0; g < c->group_count; g++) {
            json_object_set_new(group, c->group_names[g], json_string(group_values[g]));
        }
        json_object_set_new(a, "group", group);
        json_object_set(a, "values", values);
        json_object_set_new(a, "events", refs_json(refs, ref_count));
        engine->on_alert(engine->arg, a);
        json_decref(a);
    }
    if (c->parent_count == 0 || ref_count == 0) {
        return;
    }
    struct corr_match m = {
        .ctx = ctx,
        .child = c,
        .child_group_values = group_values,
        .time_us = last_us,
        .refs = refs,
        .ref_count = ref_count,
        .child_values = values,
    };
    feed_parents(engine, c->parents, c->parent_count, true, corr_index, &m);
}

static void detection_alert(struct corr_engine *engine, const struct sigma_rule *rule,
                            struct match_ctx *ctx, const struct event_ref *ref)
{
    json_t *a = alert_new(&rule->meta, "detection", ref->time_us, ref->time_us, 1);
    json_object_set_new(a, "group", json_object());
    json_t *values = json_object();
    for (uint32_t i = 0; i < rule->meta.value_field_count; i++) {
        int f = rule->meta.value_fields[i];
        size_t len = 0;
        const char *v = fields_get(ctx, f, false, &len);
        if (v != NULL) {
            json_t *arr = json_array();
            json_array_append_new(arr, json_string(v));
            json_object_set_new(values, engine->set.fields.names[f], arr);
        }
    }
    json_object_set_new(a, "values", values);
    json_object_set_new(a, "events", refs_json(ref, 1));
    engine->on_alert(engine->arg, a);
    json_decref(a);
}

/* ---- Processing --------------------------------------------------------- */

static void on_rule_match(struct corr_engine *engine, uint32_t r, struct match_ctx *ctx,
                          const struct event_ref *ref)
{
    const struct sigma_rule *rule = &engine->set.rules[r];
    CTR_INC("corr.detections_matched");
    if (!rule->silent && engine->on_alert != NULL) {
        detection_alert(engine, rule, ctx, ref);
    }
    if (rule->parent_count == 0) {
        return;
    }
    struct corr_match m = {.ctx = ctx, .time_us = ref->time_us, .refs = ref, .ref_count = 1};
    feed_parents(engine, rule->parents, rule->parent_count, false, (int)r, &m);
}

static void match_rules(struct corr_engine *engine, const uint32_t *rules, uint32_t count,
                        struct match_ctx *ctx, const struct event_ref *ref)
{
    for (uint32_t i = 0; i < count; i++) {
        if (sigma_cond_eval(ctx, &engine->set.rules[rules[i]])) {
            on_rule_match(engine, rules[i], ctx, ref);
        }
    }
}

void corr_engine_process(struct corr_engine *engine, const struct event *ev)
{
    if (engine->index_dirty && !index_build(engine)) {
        CTR_INC("corr.nomem");
        return;
    }
    scratch_reset(&engine->scratch);
    struct match_ctx ctx = {
        .ev = ev,
        .cache = engine->cache,
        .generation = ++engine->generation,
        .scratch = &engine->scratch,
        .field_names = (const char *const *)engine->set.fields.names,
        .field_kinds = engine->set.fields.kinds,
        .field_count = engine->set.fields.count,
        .match_data = engine->match_data,
    };
    struct event_ref ref = {
        .origin = ev->origin,
        .input = intern_input(engine, ev->input),
        .record = ev->record,
        .seq = ev->seq,
        .event_id = ev->event_id,
        .time_us = ev->time_us,
    };
    struct id_bucket *b = bucket_for(engine, ev->event_id, false);
    if (b != NULL) {
        match_rules(engine, b->rules, b->count, &ctx, &ref);
    }
    match_rules(engine, engine->any_rules, engine->any_count, &ctx, &ref);
    for (uint32_t i = 0; i < engine->set.corr_count; i++) {
        corr_window_advance(engine, (int)i, ev->time_us);
    }
}

void corr_engine_finish(struct corr_engine *engine)
{
    /* A correlation closing its windows may feed its parents, so repeat per chain level. */
    for (int pass = 0; pass < 8; pass++) {
        for (uint32_t i = 0; i < engine->set.corr_count; i++) {
            corr_window_finish(engine, (int)i);
        }
    }
}

/* Returns true when path is an existing folder. */
static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *corr_default_rules_path(void)
{
    static char path[PATH_MAX + 32];
    const char *env = getenv("WIREAUDIT_PATTERNS");
    if (env != NULL && env[0] != '\0') {
        return env;
    }
    char exe[PATH_MAX - 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            /*
             * The executable sits at the top of the source tree, in a build
             * folder below it, or in PREFIX/bin after `make install`, which
             * puts the rules in PREFIX/share/wireaudit/rules.
             */
            const char *candidates[] = {"/patterns/rules", "/../patterns/rules",
                                        "/../share/wireaudit/rules"};
            for (size_t i = 0; i < WA_ARRAY_LEN(candidates); i++) {
                char joined[PATH_MAX + 32];
                snprintf(joined, sizeof(joined), "%s%s", exe, candidates[i]);
                if (is_dir(joined) && realpath(joined, path) != NULL) {
                    return path;
                }
            }
        }
    }
    return "patterns/rules";
}
