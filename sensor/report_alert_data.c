/* Collection of alerts for the HTML report: evidence lookup, hosts and the technique matrix. */
#include "report_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"

static void alert_add_host(struct report_alert *ra, uint32_t host)
{
    if (host == UINT32_MAX) {
        return;
    }
    for (uint32_t i = 0; i < ra->host_count; i++) {
        if (ra->hosts[i] == host) {
            return;
        }
    }
    if (ra->host_count < REPORT_ALERT_HOSTS_MAX) {
        ra->hosts[ra->host_count++] = host;
    }
}

/* Returns a JSON integer member as uint64_t, or false when it is missing or negative. */
static bool json_get_u64(const json_t *obj, const char *name, uint64_t *value)
{
    const json_t *member = json_object_get(obj, name);
    if (!json_is_integer(member) || json_integer_value(member) < 0) {
        return false;
    }
    *value = (uint64_t)json_integer_value(member);
    return true;
}

/* What one alert reference resolves to: an embedded event, a recent one, or neither. */
struct evidence_match {
    const struct event *embedded;
    const struct report_recent_event *recent;
};

/* Looks up the event that one alert reference names. */
static struct evidence_match evidence_lookup(struct report *rep, const json_t *ref)
{
    struct evidence_match match = {NULL, NULL};
    uint64_t record = 0;
    uint64_t event_id = 0;
    if (!json_get_u64(ref, "frame", &record) && !json_get_u64(ref, "record", &record)) {
        return match;
    }
    if (!json_get_u64(ref, "EventID", &event_id) || event_id > UINT32_MAX) {
        return match;
    }
    struct report_event_key key;
    const char *input = json_string_value(json_object_get(ref, "input"));
    if (!report_event_key(rep, input, false, record, (uint32_t)event_id, &key)) {
        return match;
    }
    match.embedded = report_find_embedded(rep, &key);
    if (match.embedded == NULL) {
        match.recent = report_recent_find(rep, &key);
    }
    return match;
}

/* Returns the Computer of the matched event, or NULL. */
static const char *evidence_computer(const struct evidence_match *match)
{
    if (match->embedded != NULL) {
        return event_field(match->embedded, "Computer");
    }
    if (match->recent != NULL) {
        return report_recent_field(match->recent, "Computer");
    }
    return NULL;
}

/* Stores one reference in ra->evidence: the embedded event, a copy of a recent one, or none. */
static void evidence_store(struct report *rep, struct report_alert *ra, json_t *ref,
                           const struct evidence_match *match)
{
    struct report_evidence *item = &ra->evidence[ra->evidence_count++];
    item->ref = ref;
    item->ev = match->embedded;
    item->copy = NULL;
    if (match->recent != NULL && rep->evidence_copies < REPORT_EVIDENCE_COPIES_MAX) {
        item->copy = report_recent_rebuild(match->recent);
        item->ev = item->copy;
        rep->evidence_copies += item->copy != NULL ? 1u : 0u;
    }
    if (item->ev == NULL) {
        rep->evidence_missing++;
    }
}

/*
 * Resolves the alert's event references to kept events, adding each event's
 * Computer to the alert's hosts. With keep, the first REPORT_ALERT_EVIDENCE_MAX
 * references are also stored in ra->evidence for the drill-down.
 */
static void alert_resolve_evidence(struct report *rep, json_t *alert, struct report_alert *ra,
                                   bool keep)
{
    json_t *refs = json_object_get(alert, "events");
    if (!json_is_array(refs)) {
        return;
    }
    size_t count = WA_MIN(json_array_size(refs), (size_t)REPORT_ALERT_EVIDENCE_MAX);
    ra->refs_total = (uint32_t)WA_MIN(json_array_size(refs), (size_t)UINT32_MAX);
    if (keep && count > 0) {
        ra->evidence = calloc(count, sizeof(*ra->evidence));
    }
    for (size_t i = 0; i < count; i++) {
        json_t *ref = json_array_get(refs, i);
        struct evidence_match match = evidence_lookup(rep, ref);
        const char *computer = evidence_computer(&match);
        if (computer != NULL) {
            alert_add_host(ra, report_host_index(rep, computer));
        }
        if (ra->evidence != NULL) {
            evidence_store(rep, ra, ref, &match);
        }
    }
}

/* Adds the hosts that the alert names itself: group-by Computer, else its distinct Computers. */
static void alert_hosts_from_json(struct report *rep, const json_t *alert, struct report_alert *ra)
{
    const char *grouped =
        json_string_value(json_object_get(json_object_get(alert, "group"), "Computer"));
    if (grouped != NULL) {
        alert_add_host(ra, report_host_index(rep, grouped));
        return;
    }
    if (ra->host_count != 0) {
        return;
    }
    const json_t *values = json_object_get(json_object_get(alert, "values"), "Computer");
    size_t i;
    const json_t *value;
    json_array_foreach(values, i, value)
    {
        if (json_is_string(value)) {
            alert_add_host(ra, report_host_index(rep, json_string_value(value)));
        }
    }
}

/* Returns true for an ATT&CK technique tag such as "attack.t1021" or "attack.t1021.002". */
static bool tag_is_technique(const char *tag)
{
    return strncmp(tag, "attack.t", 8) == 0 && tag[8] >= '0' && tag[8] <= '9';
}

/* Returns true for an ATT&CK tactic tag such as "attack.lateral_movement". */
static bool tag_is_tactic(const char *tag)
{
    /* Group (attack.g0007) and software (attack.s0029) tags name no tactic. */
    bool id_tag =
        (tag[7] == 'g' || tag[7] == 's' || tag[7] == 't') && tag[8] >= '0' && tag[8] <= '9';
    return strncmp(tag, "attack.", 7) == 0 && tag[7] != '\0' && !id_tag;
}

/* Joins the alert's tactic tags without their "attack." prefix, separated by spaces. */
static char *alert_tactics(const json_t *tags)
{
    char buf[512] = "";
    size_t used = 0;
    size_t i;
    const json_t *tag;
    json_array_foreach(tags, i, tag)
    {
        const char *text = json_string_value(tag);
        if (text == NULL || !tag_is_tactic(text)) {
            continue;
        }
        int n = snprintf(buf + used, sizeof(buf) - used, "%s%s", used != 0 ? " " : "", text + 7);
        if (n < 0 || (size_t)n >= sizeof(buf) - used) {
            break;
        }
        used += (size_t)n;
    }
    buf[used] = '\0';
    return strdup(buf);
}

/* Returns the matrix column of tag ("" for alerts without a technique), or UINT32_MAX when full. */
static uint32_t technique_index(struct report *rep, const char *tag, const json_t *tags)
{
    uint32_t index;
    if (report_strmap_find(&rep->technique_index, tag, &index)) {
        return index;
    }
    if (rep->technique_count == REPORT_TECHNIQUES_MAX) {
        rep->technique_tags_dropped++;
        return UINT32_MAX;
    }
    struct report_technique *tech = &rep->techniques[rep->technique_count];
    tech->tag = strdup(tag);
    tech->tactics = alert_tactics(tags);
    if (tech->tag == NULL || tech->tactics == NULL ||
        !report_strmap_put(&rep->technique_index, tag, rep->technique_count)) {
        free(tech->tag);
        free(tech->tactics);
        return UINT32_MAX;
    }
    return rep->technique_count++;
}

/* Counts one alert in the cell of host and technique. */
static void cell_count(struct report *rep, uint32_t host, uint32_t technique,
                       enum report_level level)
{
    char key[32];
    snprintf(key, sizeof(key), "%u/%u", host, technique);
    uint32_t index;
    if (!report_strmap_find(&rep->cell_index, key, &index)) {
        if (rep->cell_count == rep->cell_cap) {
            uint32_t cap = rep->cell_cap != 0 ? rep->cell_cap * 2 : 64;
            struct report_cell *grown = realloc(rep->cells, cap * sizeof(*grown));
            if (grown == NULL) {
                return;
            }
            rep->cells = grown;
            rep->cell_cap = cap;
        }
        index = rep->cell_count;
        if (!report_strmap_put(&rep->cell_index, key, index)) {
            return;
        }
        rep->cells[index] = (struct report_cell){.alerts = 0, .max_level = level};
        rep->cell_count++;
    }
    struct report_cell *cell = &rep->cells[index];
    cell->alerts++;
    /* UNKNOWN sorts above CRITICAL in the enum, so it never hides a known level. */
    if (cell->max_level == REPORT_LEVEL_UNKNOWN ||
        (level != REPORT_LEVEL_UNKNOWN && level > cell->max_level)) {
        cell->max_level = level;
    }
}

static void matrix_collect(struct report *rep, const json_t *alert, const struct report_alert *ra)
{
    const json_t *tags = json_object_get(alert, "tags");
    bool any_technique = false;
    size_t i;
    const json_t *tag;
    json_array_foreach(tags, i, tag)
    {
        const char *text = json_string_value(tag);
        if (text == NULL || !tag_is_technique(text)) {
            continue;
        }
        any_technique = true;
        uint32_t technique = technique_index(rep, text, tags);
        for (uint32_t h = 0; technique != UINT32_MAX && h < ra->host_count; h++) {
            cell_count(rep, ra->hosts[h], technique, ra->level);
        }
    }
    if (!any_technique) {
        uint32_t technique = technique_index(rep, "", tags);
        for (uint32_t h = 0; technique != UINT32_MAX && h < ra->host_count; h++) {
            cell_count(rep, ra->hosts[h], technique, ra->level);
        }
    }
}

/* Parses the alert's "first" and "last" times; INT64_MIN when absent or unreadable. */
static void alert_times(const json_t *alert, struct report_alert *ra)
{
    const char *first = json_string_value(json_object_get(alert, "first"));
    const char *last = json_string_value(json_object_get(alert, "last"));
    if (first == NULL || !event_parse_time(first, &ra->first_us)) {
        ra->first_us = INT64_MIN;
    }
    if (last == NULL || !event_parse_time(last, &ra->last_us)) {
        ra->last_us = ra->first_us;
    }
    if (ra->first_us == INT64_MIN) {
        ra->first_us = ra->last_us;
    }
}

void report_collect_alert(struct report *rep, json_t *alert)
{
    struct report_alert ra = {0};
    ra.level = report_level_parse(json_string_value(json_object_get(alert, "level")));
    rep->alerts_total++;
    rep->alerts_by_level[ra.level]++;
    alert_times(alert, &ra);

    bool keep = rep->alert_count < REPORT_ALERTS_MAX;
    if (keep && rep->alert_count == rep->alert_cap) {
        uint32_t cap = rep->alert_cap != 0 ? rep->alert_cap * 2 : 64;
        struct report_alert *grown = realloc(rep->alerts, cap * sizeof(*grown));
        if (grown != NULL) {
            rep->alerts = grown;
            rep->alert_cap = cap;
        }
        keep = grown != NULL;
    }
    alert_resolve_evidence(rep, alert, &ra, keep);
    alert_hosts_from_json(rep, alert, &ra);
    if (ra.host_count == 0) {
        alert_add_host(&ra, report_host_index(rep, ""));
    }
    for (uint32_t h = 0; h < ra.host_count; h++) {
        rep->hosts[ra.hosts[h]].alerts++;
    }
    matrix_collect(rep, alert, &ra);
    if (!keep) {
        rep->alerts_skipped++;
        return;
    }
    ra.json = json_incref(alert);
    rep->alerts[rep->alert_count++] = ra;
}

void report_alerts_free(struct report *rep)
{
    for (uint32_t i = 0; i < rep->alert_count; i++) {
        struct report_alert *ra = &rep->alerts[i];
        for (uint32_t e = 0; e < ra->evidence_count; e++) {
            event_free(ra->evidence[e].copy);
        }
        free(ra->evidence);
        json_decref(ra->json);
    }
    free(rep->alerts);
    for (uint32_t i = 0; i < rep->technique_count; i++) {
        free(rep->techniques[i].tag);
        free(rep->techniques[i].tactics);
    }
    report_strmap_free(&rep->technique_index);
    report_strmap_free(&rep->cell_index);
    free(rep->cells);
}
