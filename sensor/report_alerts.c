/* The alert sections of the HTML report: technique matrix, alert list with evidence, sources. */
#include "report_internal.h"

#include <stdlib.h>
#include <string.h>

#include "html.h"

/*
 * Maximum length in bytes of a field value written in full. Longer values (TaskContent XML)
 * are cut with a note.
 */
#define REPORT_VALUE_MAX 4096
/* Distinct values shown per field of an alert. */
#define REPORT_VALUES_SHOWN 50
/* Rows in the matrix and the per-source table. */
#define REPORT_MATRIX_ROWS_MAX 200
#define REPORT_SOURCE_ROWS_MAX 500

static const struct report *sort_rep;

/* Writes a JSON value as text, objects and arrays as compact JSON. */
static void write_json_value(FILE *out, const json_t *value)
{
    if (json_is_string(value)) {
        html_write_text_max(out, json_string_value(value), REPORT_VALUE_MAX);
        return;
    }
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text != NULL) {
        html_write_text_max(out, text, REPORT_VALUE_MAX);
        free(text);
    }
}

static const char *host_label(const struct report *rep, uint32_t host)
{
    const char *name = rep->hosts[host].name;
    return name[0] != '\0' ? name : "(no Computer field)";
}

static int compare_host_alerts(const void *a, const void *b)
{
    const struct report_host *x = &sort_rep->hosts[*(const uint32_t *)a];
    const struct report_host *y = &sort_rep->hosts[*(const uint32_t *)b];
    if (x->alerts != y->alerts) {
        return x->alerts < y->alerts ? 1 : -1;
    }
    return strcmp(x->name, y->name);
}

/* Technique tags in order, the "no technique" column ("") last. */
static int compare_technique(const void *a, const void *b)
{
    const char *x = sort_rep->techniques[*(const uint32_t *)a].tag;
    const char *y = sort_rep->techniques[*(const uint32_t *)b].tag;
    if ((x[0] == '\0') != (y[0] == '\0')) {
        return x[0] == '\0' ? 1 : -1;
    }
    return strcmp(x, y);
}

/*
 * Names of the ATT&CK Enterprise techniques that the bundled patterns and the
 * common Sigma rules for SMB and RPC tag, as MITRE lists them (sub-techniques
 * by their own name). Other tags show their ID only.
 */
static const struct {
    const char *tag;
    const char *name;
} technique_names[] = {
    {"attack.t1003", "OS Credential Dumping"},
    {"attack.t1003.001", "LSASS Memory"},
    {"attack.t1003.002", "Security Account Manager"},
    {"attack.t1003.003", "NTDS"},
    {"attack.t1003.004", "LSA Secrets"},
    {"attack.t1003.006", "DCSync"},
    {"attack.t1012", "Query Registry"},
    {"attack.t1021.002", "SMB/Windows Admin Shares"},
    {"attack.t1021.003", "Distributed Component Object Model"},
    {"attack.t1039", "Data from Network Shared Drive"},
    {"attack.t1047", "Windows Management Instrumentation"},
    {"attack.t1053.002", "At"},
    {"attack.t1053.005", "Scheduled Task"},
    {"attack.t1082", "System Information Discovery"},
    {"attack.t1087.002", "Domain Account"},
    {"attack.t1112", "Modify Registry"},
    {"attack.t1134.001", "Token Impersonation/Theft"},
    {"attack.t1134.002", "Create Process with Token"},
    {"attack.t1187", "Forced Authentication"},
    {"attack.t1212", "Exploitation for Credential Access"},
    {"attack.t1484.001", "Group Policy Modification"},
    {"attack.t1486", "Data Encrypted for Impact"},
    {"attack.t1543.003", "Windows Service"},
    {"attack.t1547", "Boot or Logon Autostart Execution"},
    {"attack.t1547.001", "Registry Run Keys / Startup Folder"},
    {"attack.t1547.004", "Winlogon Helper DLL"},
    {"attack.t1547.009", "Shortcut Modification"},
    {"attack.t1552.002", "Credentials in Registry"},
    {"attack.t1557.001", "LLMNR/NBT-NS Poisoning and SMB Relay"},
    {"attack.t1569", "System Services"},
    {"attack.t1569.002", "Service Execution"},
    {"attack.t1570", "Lateral Tool Transfer"},
};

/* Returns the technique's name for a tag such as "attack.t1021.002", or NULL when not listed. */
static const char *technique_name(const char *tag)
{
    for (size_t i = 0; i < WA_ARRAY_LEN(technique_names); i++) {
        if (strcmp(technique_names[i].tag, tag) == 0) {
            return technique_names[i].name;
        }
    }
    return NULL;
}

static void matrix_header(const struct report *rep, const uint32_t *columns, FILE *out)
{
    fputs("<tr><th>Host</th>", out);
    for (uint32_t c = 0; c < rep->technique_count; c++) {
        const struct report_technique *tech = &rep->techniques[columns[c]];
        fputs("<th class=\"t\" title=\"", out);
        html_write_text(out, tech->tactics);
        fputs("\">", out);
        if (tech->tag[0] == '\0') {
            fputs("(no technique tag)", out);
        } else {
            /* "attack.t1021.002" is shown as ATT&CK writes it: "T1021.002". */
            fputc('T', out);
            html_write_text(out, tech->tag + 8);
        }
        const char *name = technique_name(tech->tag);
        if (name != NULL) {
            fputs("<br><span class=\"tname\">", out);
            html_write_text(out, name);
            fputs("</span>", out);
        }
        if (tech->tactics[0] != '\0') {
            fputs("<br><span class=\"note\">", out);
            html_write_text(out, tech->tactics);
            fputs("</span>", out);
        }
        fputs("</th>", out);
    }
    fputs("</tr>\n", out);
}

static void matrix_row(const struct report *rep, uint32_t host, const uint32_t *columns, FILE *out)
{
    fputs("<tr><th>", out);
    html_write_text(out, host_label(rep, host));
    fputs("</th>", out);
    for (uint32_t c = 0; c < rep->technique_count; c++) {
        char key[32];
        uint32_t index;
        snprintf(key, sizeof(key), "%u/%u", host, columns[c]);
        if (!report_strmap_find(&rep->cell_index, key, &index)) {
            fputs("<td class=\"c\"></td>", out);
            continue;
        }
        const struct report_cell *cell = &rep->cells[index];
        fprintf(out, "<td class=\"c lv-%s\" title=\"%llu alerts, highest level %s\">%llu</td>",
                report_level_name(cell->max_level), (unsigned long long)cell->alerts,
                report_level_name(cell->max_level), (unsigned long long)cell->alerts);
    }
    fputs("</tr>\n", out);
}

void report_render_matrix(const struct report *rep, FILE *out)
{
    fputs("<section id=\"matrix\"><h2>Hosts by ATT&amp;CK technique</h2>", out);
    uint32_t *rows = malloc((rep->host_count + 1) * sizeof(*rows));
    uint32_t *columns = malloc((rep->technique_count + 1) * sizeof(*columns));
    uint32_t row_count = 0;
    for (uint32_t h = 0; rows != NULL && h < rep->host_count; h++) {
        if (rep->hosts[h].alerts != 0) {
            rows[row_count++] = h;
        }
    }
    if (rows == NULL || columns == NULL || row_count == 0) {
        fputs("<p class=\"note\">No alerts.</p></section>\n", out);
        free(rows);
        free(columns);
        return;
    }
    for (uint32_t c = 0; c < rep->technique_count; c++) {
        columns[c] = c;
    }
    sort_rep = rep;
    qsort(rows, row_count, sizeof(*rows), compare_host_alerts);
    qsort(columns, rep->technique_count, sizeof(*columns), compare_technique);
    fputs("<p class=\"note\">Alerts per host and technique tag; the colour is the highest level "
          "among them.</p><table class=\"matrix\">",
          out);
    matrix_header(rep, columns, out);
    for (uint32_t r = 0; r < row_count && r < REPORT_MATRIX_ROWS_MAX; r++) {
        matrix_row(rep, rows[r], columns, out);
    }
    fputs("</table>", out);
    if (row_count > REPORT_MATRIX_ROWS_MAX || rep->technique_tags_dropped != 0) {
        fprintf(out,
                "<p class=\"note\">Left out: %u hosts past the first %d rows, %llu tags past "
                "the first %d techniques.</p>",
                row_count > REPORT_MATRIX_ROWS_MAX ? row_count - REPORT_MATRIX_ROWS_MAX : 0,
                REPORT_MATRIX_ROWS_MAX, (unsigned long long)rep->technique_tags_dropped,
                REPORT_TECHNIQUES_MAX);
    }
    fputs("</section>\n", out);
    free(rows);
    free(columns);
}

static void write_field_rows(const struct event *ev, enum event_list list, FILE *out)
{
    for (uint32_t i = 0; i < ev->lists[list].count; i++) {
        fputs("<tr><th>", out);
        html_write_text(out, event_name_at(ev, list, i));
        fputs("</th><td class=\"v\">", out);
        html_write_text_max(out, event_value_at(ev, list, i), REPORT_VALUE_MAX);
        fputs("</td></tr>", out);
    }
}

/* Writes one contributing event as a table of every field, EventData then Wire. */
static void write_evidence_event(const struct event *ev, FILE *out)
{
    fputs("<div class=\"evhead\">", out);
    report_write_time(out, ev->time_us);
    fprintf(out, " \xc2\xb7 EventID %u \xc2\xb7 %s \xc2\xb7 ", ev->event_id,
            ev->origin == EVENT_ORIGIN_HOST ? "host log" : "wire");
    html_write_text(out, ev->input != NULL ? ev->input : "");
    fprintf(out, " %s <span class=\"ref\">%llu</span></div><table class=\"ev\">",
            ev->origin == EVENT_ORIGIN_HOST ? "record" : "frame", (unsigned long long)ev->record);
    write_field_rows(ev, EVENT_DATA, out);
    if (ev->lists[EVENT_WIRE].count != 0) {
        fputs("<tr><th colspan=\"2\">Wire</th></tr>", out);
        write_field_rows(ev, EVENT_WIRE, out);
    }
    fputs("</table>\n", out);
}

/* Writes a reference whose event was no longer kept: what the alert itself names. */
static void write_evidence_ref(json_t *ref, FILE *out)
{
    fputs("<p class=\"note ev-missing\">", out);
    const char *name;
    const json_t *value;
    json_object_foreach(ref, name, value)
    {
        html_write_text(out, name);
        fputs(" ", out);
        write_json_value(out, value);
        fputs("; ", out);
    }
    fputs("fields not kept: the event is neither embedded nor among the recent events.</p>\n", out);
}

static void write_alert_meta(const json_t *alert, FILE *out)
{
    fputs("<table class=\"meta\"><tr><th>Rule id</th><td>", out);
    write_json_value(out, json_object_get(alert, "id"));
    fputs("</td></tr><tr><th>Tags</th><td>", out);
    size_t i;
    const json_t *value;
    json_array_foreach(json_object_get(alert, "tags"), i, value)
    {
        fputs("<span class=\"chip\">", out);
        write_json_value(out, value);
        fputs("</span>", out);
    }
    fputs("</td></tr><tr><th>Group</th><td>", out);
    const char *name;
    json_object_foreach(json_object_get(alert, "group"), name, value)
    {
        fputs("<span class=\"chip\">", out);
        html_write_text(out, name);
        fputs(" = ", out);
        write_json_value(out, value);
        fputs("</span>", out);
    }
    fputs("</td></tr></table>\n", out);
}

static void write_alert_values(const json_t *alert, FILE *out)
{
    json_t *values = json_object_get(alert, "values");
    if (json_object_size(values) == 0) {
        return;
    }
    fputs("<h4>Distinct values</h4><table class=\"values\"><tr><th>Field</th><th>Values</th></tr>",
          out);
    const char *name;
    const json_t *list;
    json_object_foreach(values, name, list)
    {
        fputs("<tr><th>", out);
        html_write_text(out, name);
        fputs("</th><td>", out);
        size_t i;
        const json_t *value;
        json_array_foreach(list, i, value)
        {
            if (i == REPORT_VALUES_SHOWN) {
                fprintf(out, "\xe2\x80\xa6 %zu more", json_array_size(list) - i);
                break;
            }
            fputs("<span class=\"chip\">", out);
            write_json_value(out, value);
            fputs("</span>", out);
        }
        fputs("</td></tr>", out);
    }
    fputs("</table>\n", out);
}

static void write_alert_summary(const struct report *rep, const struct report_alert *ra, FILE *out)
{
    const char *level = report_level_name(ra->level);
    fprintf(out, "<summary><span class=\"badge lv-%s\">%s</span> <b class=\"rule\">", level, level);
    write_json_value(out, json_object_get(ra->json, "rule"));
    fputs("</b> \xc2\xb7 ", out);
    if (ra->first_us != INT64_MIN) {
        report_write_time(out, ra->first_us);
    }
    if (ra->last_us != ra->first_us) {
        fputs(" to ", out);
        report_write_time(out, ra->last_us);
    }
    fputs(" \xc2\xb7 count ", out);
    write_json_value(out, json_object_get(ra->json, "count"));
    fputs(" \xc2\xb7 ", out);
    for (uint32_t h = 0; h < ra->host_count; h++) {
        fputs("<span class=\"chip\">", out);
        html_write_text(out, host_label(rep, ra->hosts[h]));
        fputs("</span>", out);
    }
    fputs("</summary>\n", out);
}

static void write_alert(const struct report *rep, uint32_t index, FILE *out)
{
    const struct report_alert *ra = &rep->alerts[index];
    fprintf(out, "<details class=\"alert\" id=\"alert-%u\">", index + 1);
    write_alert_summary(rep, ra, out);
    fputs("<div class=\"body\">", out);
    write_alert_meta(ra->json, out);
    write_alert_values(ra->json, out);
    fprintf(out, "<h4>Contributing events</h4><p class=\"note\">%u of %u shown.</p>\n",
            ra->evidence_count, ra->refs_total);
    for (uint32_t e = 0; e < ra->evidence_count; e++) {
        if (ra->evidence[e].ev != NULL) {
            write_evidence_event(ra->evidence[e].ev, out);
        } else {
            write_evidence_ref(ra->evidence[e].ref, out);
        }
    }
    fputs("</div></details>\n", out);
}

void report_render_alerts(const struct report *rep, FILE *out)
{
    fprintf(out,
            "<section id=\"alerts\"><h2>Alerts</h2><p class=\"note\">Alerts: %llu, in "
            "the order they were raised. Open one for its contributing events.",
            (unsigned long long)rep->alerts_total);
    if (rep->alerts_skipped != 0) {
        fprintf(out,
                " Left out: %llu alerts after the first %u (counted in the summary and the "
                "matrix, not listed).",
                (unsigned long long)rep->alerts_skipped, rep->alert_count);
    }
    if (rep->evidence_missing != 0) {
        fprintf(out, " Contributing events no longer kept, shown by reference only: %llu.",
                (unsigned long long)rep->evidence_missing);
    }
    fputs("</p>\n<div id=\"alert-list\">", out);
    for (uint32_t i = 0; i < rep->alert_count; i++) {
        write_alert(rep, i, out);
    }
    fputs("</div></section>\n", out);
}

static int compare_source_events(const void *a, const void *b)
{
    const struct report_source *x = &sort_rep->sources[*(const uint32_t *)a];
    const struct report_source *y = &sort_rep->sources[*(const uint32_t *)b];
    if (x->events != y->events) {
        return x->events < y->events ? 1 : -1;
    }
    return strcmp(x->address, y->address);
}

static void write_source_row(const struct report *rep, const struct report_source *src, FILE *out)
{
    fputs("<tr><td>", out);
    html_write_text(out, src->address);
    fputs("</td><td>", out);
    for (uint32_t h = 0; h < src->host_count; h++) {
        fputs("<span class=\"chip\">", out);
        html_write_text(out, host_label(rep, src->hosts[h].host));
        fprintf(out, " \xc3\x97%llu</span>", (unsigned long long)src->hosts[h].events);
    }
    if (src->hosts_truncated) {
        fputs(" and more", out);
    }
    fputs("</td><td>", out);
    for (uint32_t u = 0; u < src->user_count; u++) {
        fputs("<span class=\"chip\">", out);
        html_write_text(out, src->users[u]);
        fputs("</span>", out);
    }
    if (src->users_truncated) {
        fputs(" and more", out);
    }
    fprintf(out, "</td><td class=\"n\">%llu</td><td>", (unsigned long long)src->events);
    report_write_time(out, src->first_us);
    fputs("</td><td>", out);
    report_write_time(out, src->last_us);
    fputs("</td></tr>\n", out);
}

void report_render_sources(const struct report *rep, FILE *out)
{
    fputs("<section id=\"sources\"><h2>Source addresses</h2>", out);
    uint32_t *order = malloc((rep->source_count + 1) * sizeof(*order));
    if (order == NULL || rep->source_count == 0) {
        fputs("<p class=\"note\">No events with a client address (IpAddress).</p></section>\n",
              out);
        free(order);
        return;
    }
    for (uint32_t i = 0; i < rep->source_count; i++) {
        order[i] = i;
    }
    sort_rep = rep;
    qsort(order, rep->source_count, sizeof(*order), compare_source_events);
    fputs("<p class=\"note\">Which client address touched which hosts (Computer), as whom.</p>"
          "<table id=\"source-table\"><tr><th>Source (IpAddress)</th><th>Hosts touched (events)"
          "</th><th>Users</th><th>Events</th><th>First seen</th><th>Last seen</th></tr>\n",
          out);
    for (uint32_t i = 0; i < rep->source_count && i < REPORT_SOURCE_ROWS_MAX; i++) {
        write_source_row(rep, &rep->sources[order[i]], out);
    }
    fputs("</table>", out);
    if (rep->source_count > REPORT_SOURCE_ROWS_MAX || rep->sources_dropped != 0) {
        fprintf(
            out,
            "<p class=\"note\">Left out: %u addresses past the busiest %d rows; %llu "
            "events from addresses past the first %d tracked.</p>",
            rep->source_count > REPORT_SOURCE_ROWS_MAX ? rep->source_count - REPORT_SOURCE_ROWS_MAX
                                                       : 0,
            REPORT_SOURCE_ROWS_MAX, (unsigned long long)rep->sources_dropped, REPORT_SOURCES_MAX);
    }
    fputs("</section>\n", out);
    free(order);
}
