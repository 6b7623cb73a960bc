/* The HTML report page: document frame, style sheet, header, totals and counters. */
#include "report_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "counters.h"
#include "html.h"

/*
 * Colours: event kinds use the eight-colour Okabe-Ito palette, which was
 * designed for readers with colour-vision deficiencies. Alert levels run from
 * light blue (informational) to dark red (critical).
 */
static const char report_css[] =
    ":root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--panel:#f6f8fa}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);"
    "background:var(--bg)}\n"
    "header{padding:16px 24px;border-bottom:1px solid var(--line);background:var(--panel)}\n"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:17px;margin:0 0 8px}"
    "h3{font-size:14px;margin:14px 0 6px}h4{font-size:13px;margin:12px 0 4px}\n"
    "nav{padding:6px 24px;border-bottom:1px solid var(--line);position:sticky;top:0;"
    "background:var(--bg);z-index:2}nav a{margin-right:16px;color:#0969da;text-decoration:none}\n"
    "section{padding:14px 24px;border-bottom:1px solid var(--line);overflow-x:auto}\n"
    ".sub,.note{color:var(--muted)}.note{font-size:13px}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:10px}"
    ".card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:150px;"
    "background:var(--bg)}.card b{display:block;font-size:20px}.card .badge{min-width:0}"
    ".card.wide{flex:1 1 280px;max-width:480px}\n"
    "table{border-collapse:collapse;font-size:13px}"
    "th,td{border:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top}"
    "th{background:var(--panel);font-weight:600}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}\n"
    "td.v{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;"
    "word-break:break-all;max-width:640px}td{overflow-wrap:anywhere}\n"
    ".local{color:var(--muted);font-size:12px;margin-left:6px}\n"
    ".chip{display:inline-block;border:1px solid var(--line);border-radius:10px;padding:0 7px;"
    "margin:1px 3px 1px 0;font-size:12px;background:var(--panel)}\n"
    ".badge{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600;"
    "min-width:76px;text-align:center}\n"
    ".lv-critical{background:#67000d;color:#fff}.lv-high{background:#cb181d;color:#fff}"
    ".lv-medium{background:#fb6a4a;color:#000}.lv-low{background:#fcbba1;color:#000}"
    ".lv-informational{background:#c6dbef;color:#000}.lv-unknown{background:#d9d9d9;color:#000}\n"
    "svg .lv-critical{fill:#67000d}svg .lv-high{fill:#cb181d}svg .lv-medium{fill:#fb6a4a}"
    "svg .lv-low{fill:#fcbba1}svg .lv-informational{fill:#6baed6}svg .lv-unknown{fill:#969696}\n"
    ".k0{fill:#0072B2;background:#0072B2}.k1{fill:#56B4E9;background:#56B4E9}"
    ".k2{fill:#009E73;background:#009E73}.k3{fill:#D55E00;background:#D55E00}"
    ".k4{fill:#CC79A7;background:#CC79A7}.k5{fill:#E69F00;background:#E69F00}"
    ".k6{fill:#8C7A00;background:#8C7A00}.k7{fill:#8d8d8d;background:#8d8d8d}\n"
    ".swatch{display:inline-block;width:11px;height:11px;margin:0 4px 0 12px;"
    "vertical-align:-1px;border-radius:2px}\n"
    "svg.timeline{width:100%;height:auto;display:block;margin-top:8px}"
    "svg text{font-size:11px;fill:var(--fg)}svg .axis{stroke:var(--line)}"
    "svg .lanebg{fill:var(--panel)}svg .hit{fill:transparent}svg .hit:hover{fill:#0000001a}"
    "svg .span{fill-opacity:.22}svg .spanbar{fill-opacity:1}svg a:hover .span{fill-opacity:.4}"
    "svg .other{font-style:italic}\n"
    "details.alert{border:1px solid var(--line);border-radius:6px;margin:6px 0;"
    "background:var(--bg)}details.alert>summary{padding:6px 10px;cursor:pointer}"
    "details.alert[open]>summary{border-bottom:1px solid var(--line);background:var(--panel)}"
    "details.alert .body{padding:6px 12px 12px}details.alert:target{outline:2px solid #0969da}"
    "details.alert{scroll-margin-top:44px}\n"
    "table.ev{margin:2px 0 12px}.evhead{font-weight:600;margin-top:8px}\n"
    ".cols{display:flex;flex-wrap:wrap;gap:8px 32px;align-items:flex-start}"
    ".cols .note{max-width:380px}\n"
    ".matrix td.c{text-align:center;min-width:44px}.matrix th.t{max-width:130px;"
    "font-weight:600}.matrix th.t .note{font-weight:400;font-size:11px}"
    ".matrix th.t .tname{font-weight:400}\n"
    ".skip td:first-child{font-family:ui-monospace,Menlo,Consolas,monospace}\n"
    "#ev-controls{margin:6px 0}#ev-controls input{width:320px;padding:3px 6px}"
    "#ev-controls button{margin-left:6px}\n";

void report_write_time(FILE *out, int64_t time_us)
{
    char iso[40];
    event_format_time(time_us, iso, sizeof(iso));
    /* iso is "YYYY-MM-DDTHH:MM:SS.ffffffZ"; the text shows milliseconds, the title all digits. */
    fprintf(out, "<time datetime=\"%s\" title=\"%s\">%.10s %.12s UTC</time>", iso, iso, iso,
            iso + 11);
}

/* Writes a duration in the largest unit that keeps it readable ("3 h 12 min", "850 ms"). */
static void write_duration(FILE *out, int64_t us)
{
    if (us < 1000) {
        fprintf(out, "%lld \xc2\xb5s", (long long)us);
    } else if (us < 1000000) {
        fprintf(out, "%lld ms", (long long)(us / 1000));
    } else if (us < 120 * 1000000LL) {
        fprintf(out, "%.1f s", (double)us / 1e6);
    } else if (us < 3600 * 1000000LL * 2) {
        fprintf(out, "%lld min", (long long)(us / 60000000));
    } else if (us < 86400 * 1000000LL * 2) {
        fprintf(out, "%lld h %lld min", (long long)(us / 3600000000LL),
                (long long)(us / 60000000 % 60));
    } else {
        fprintf(out, "%lld days %lld h", (long long)(us / 86400000000LL),
                (long long)(us / 3600000000LL % 24));
    }
}

static void render_cards(const struct report *rep, FILE *out)
{
    fputs("<div class=\"cards\">", out);
    fprintf(out,
            "<div class=\"card\" id=\"total-events\">Events<b>%llu</b>wire %llu \xc2\xb7 host %llu"
            " \xc2\xb7 linked %llu</div>",
            (unsigned long long)rep->events_total, (unsigned long long)rep->events_by_origin[0],
            (unsigned long long)rep->events_by_origin[1], (unsigned long long)rep->events_linked);
    fprintf(out, "<div class=\"card\" id=\"total-alerts\">Alerts<b>%llu</b>",
            (unsigned long long)rep->alerts_total);
    for (int level = REPORT_LEVEL_UNKNOWN; level >= 0; level--) {
        uint64_t n = rep->alerts_by_level[level];
        if (n != 0) {
            fprintf(out, "<span class=\"badge lv-%s\">%s %llu</span> ",
                    report_level_name((enum report_level)level),
                    report_level_name((enum report_level)level), (unsigned long long)n);
        }
    }
    fputs("</div>", out);
    fprintf(out, "<div class=\"card\">Packets<b>%llu</b>TCP flows %llu</div>",
            (unsigned long long)ctr_value("capture.packets"),
            (unsigned long long)ctr_value("flow.created"));
    fprintf(out, "<div class=\"card\">Hosts (Computer)<b>%u</b>source addresses %u</div>",
            rep->host_count, rep->source_count);
    fputs("<div class=\"card wide\">Time span<b>", out);
    if (rep->events_total == 0) {
        fputs("none</b>no events", out);
    } else {
        write_duration(out, rep->last_us - rep->first_us);
        fputs("</b>", out);
        report_write_time(out, rep->first_us);
        fputs(" to<br>", out);
        report_write_time(out, rep->last_us);
    }
    fputs("</div></div>\n", out);
}

static void render_inputs(const struct report *rep, FILE *out)
{
    fputs("<h3>Inputs</h3><table id=\"inputs\"><tr><th>Input</th><th>Kind</th><th>Size</th></tr>",
          out);
    for (uint32_t i = 0; i < rep->input_count; i++) {
        fputs("<tr><td>", out);
        html_write_text(out, rep->inputs[i].path);
        fputs("</td><td>", out);
        html_write_text(out, rep->inputs[i].kind);
        if (rep->inputs[i].size_bytes != 0) {
            fprintf(out, "</td><td class=\"n\">%llu bytes</td></tr>",
                    (unsigned long long)rep->inputs[i].size_bytes);
        } else {
            fputs("</td><td></td></tr>", out);
        }
    }
    fputs("</table>\n", out);
}

/* EventIDs listed in the summary before the rest are folded away. */
#define EVENT_ID_ROWS_SHOWN 8

static int compare_event_id_count(const void *a, const void *b)
{
    const struct report_event_id_count *x = a;
    const struct report_event_id_count *y = b;
    if (x->count != y->count) {
        return x->count < y->count ? 1 : -1;
    }
    return x->event_id < y->event_id ? -1 : x->event_id > y->event_id;
}

static void render_event_ids(const struct report *rep, FILE *out)
{
    struct report_event_id_count sorted[REPORT_EVENT_IDS_MAX];
    memcpy(sorted, rep->event_ids, rep->event_id_count * sizeof(sorted[0]));
    qsort(sorted, rep->event_id_count, sizeof(sorted[0]), compare_event_id_count);
    fputs("<h3>Events by EventID</h3><table id=\"event-ids\"><tr><th>EventID</th><th>Title</th>"
          "<th>Events</th></tr>",
          out);
    for (uint32_t i = 0; i < rep->event_id_count; i++) {
        if (i == EVENT_ID_ROWS_SHOWN) {
            /* The rest go in a second table that opens on demand. */
            fprintf(out, "</table><details><summary>%u more EventIDs</summary><table>",
                    rep->event_id_count - i);
        }
        fprintf(out, "<tr><td class=\"n\">%u</td><td>%s</td><td class=\"n\">%llu</td></tr>",
                sorted[i].event_id, report_event_id_title(sorted[i].event_id),
                (unsigned long long)sorted[i].count);
    }
    if (rep->events_other_ids != 0) {
        fprintf(out,
                "<tr><td></td><td>EventIDs past the first %d distinct</td>"
                "<td class=\"n\">%llu</td></tr>",
                REPORT_EVENT_IDS_MAX, (unsigned long long)rep->events_other_ids);
    }
    fputs(rep->event_id_count > EVENT_ID_ROWS_SHOWN ? "</table></details>\n" : "</table>\n", out);
}

/*
 * Returns true for counter names that count traffic or records not fully
 * analysed, judged by words in the name. The words cover the counters the
 * modules define: encrypted or compressed SMB, sealed RPC, truncated, cut or
 * snapped data, gaps, evictions, drops, full buffers, limits, malformed or
 * unknown input, and failed allocations.
 */
static bool counter_is_skip(const char *name)
{
    static const char *const words[] = {
        "encrypt",     "compressed", "sealed",  "truncat", "_cut",       "snapped",   "gap",
        "evict",       "drop",       "skip",    "full",    "limit",      "capped",    "overflow",
        "forced",      "malformed",  "invalid", "unknown", "unreadable", "unmatched", "orphan",
        "unsupported", "unparsed",   "lost",    "error",   "nomem",
    };
    for (size_t i = 0; i < WA_ARRAY_LEN(words); i++) {
        if (strstr(name, words[i]) != NULL) {
            return true;
        }
    }
    return false;
}

/* Returns every nonzero counter as a JSON object, read back from ctr_write(); NULL on failure. */
static json_t *counters_snapshot(void)
{
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    if (mem == NULL) {
        return NULL;
    }
    ctr_write(mem, NULL, true);
    fclose(mem);
    json_t *counters = json_loads(text, 0, NULL);
    free(text);
    return counters;
}

/* Writes one table row per counter; returns the number of rows. */
static unsigned render_counter_rows(FILE *out, json_t *counters, bool skip_only)
{
    unsigned rows = 0;
    const char *name;
    json_t *value;
    json_object_foreach(counters, name, value)
    {
        if (skip_only && !counter_is_skip(name)) {
            continue;
        }
        fputs("<tr><td>", out);
        html_write_text(out, name);
        fprintf(out, "</td><td class=\"n\">%lld</td></tr>", (long long)json_integer_value(value));
        rows++;
    }
    return rows;
}

static void render_counters(FILE *out)
{
    json_t *counters = counters_snapshot();
    fputs("<h3>Not analysed or lost</h3>", out);
    if (counters == NULL) {
        fputs("<p class=\"note\">The counters could not be read.</p>\n", out);
        return;
    }
    fputs("<p class=\"note\">Traffic and records skipped, cut short or not decoded (encrypted "
          "sessions, sealed RPC, truncated input, evicted flows). Their events are missing "
          "here.</p><table class=\"skip\" id=\"skipped\"><tr><th>Counter</th><th>Count</th></tr>",
          out);
    if (render_counter_rows(out, counters, true) == 0) {
        fputs("<tr><td colspan=\"2\">None counted.</td></tr>", out);
    }
    fputs("</table><details><summary>All counters</summary><table class=\"skip\">"
          "<tr><th>Counter</th><th>Count</th></tr>",
          out);
    render_counter_rows(out, counters, false);
    fputs("</table></details>\n", out);
    json_decref(counters);
}

static void render_head(FILE *out, const char *nonce)
{
    /* The policy blocks every fetch: only the page's own nonce-marked style and script run. */
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'nonce-%s'; script-src 'nonce-%s'; img-src 'none'; base-uri 'none'; "
            "form-action 'none'\">\n"
            "<meta name=\"referrer\" content=\"no-referrer\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>wireaudit report</title>\n<style nonce=\"%s\">\n",
            nonce, nonce, nonce);
    fputs(report_css, out);
    fputs("</style>\n</head>\n<body>\n", out);
}

static void render_header(const struct report *rep, FILE *out)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    fputs("<header><h1>wireaudit report</h1><p class=\"sub\">Written ", out);
    report_write_time(out, (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000);
    fputs(". Times are UTC<span id=\"tz\"></span>.</p></header>\n", out);
    fputs("<nav><a href=\"#summary\">Summary</a><a href=\"#timeline\">Timeline</a>"
          "<a href=\"#matrix\">Techniques</a><a href=\"#alerts\">Alerts</a>"
          "<a href=\"#sources\">Sources</a><a href=\"#events\">Events</a></nav>\n",
          out);
    fputs("<section id=\"summary\"><h2>Summary</h2>", out);
    render_cards(rep, out);
    fputs("<div class=\"cols\"><div>", out);
    render_counters(out);
    fputs("</div><div>", out);
    render_event_ids(rep, out);
    fputs("</div><div>", out);
    render_inputs(rep, out);
    fputs("</div></div></section>\n", out);
}

void report_render_page(const struct report *rep, FILE *out, const char *nonce)
{
    render_head(out, nonce);
    render_header(rep, out);
    report_render_timeline(rep, out);
    report_render_matrix(rep, out);
    report_render_alerts(rep, out);
    report_render_sources(rep, out);
    report_render_events(rep, out, nonce);
    fputs("</body>\n</html>\n", out);
}
