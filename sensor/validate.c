/*
 * --validate: matches host-logged events with rebuilt wire events per EventID
 * over the time span both origins cover, using the keys of link.h, and writes
 * the agreement table with the first unmatched events of each side.
 */
#include "validate.h"

#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "options.h"

/* Unmatched events listed per EventID and side. */
#define VALIDATE_SHOW_MAX 5

/* Maximum size of the key summary kept per event, in bytes. Longer ones are cut. */
#define VALIDATE_SUMMARY_MAX 512

struct val_event {
    struct link_key key;
    int64_t time_us;
    uint32_t event_id;
    enum event_origin origin;
    bool matched;
    bool dropped;               /* outside the span, or a wire event another capture also has */
    uint64_t capture_signature; /* IpPort, SessionId and MessageId, equal in every copy */
    char *summary;              /* "Name=value ..." of the key fields, for the unmatched lists */
    const char *input;          /* borrowed; outlives the run */
    uint64_t record;
};

struct validator {
    struct val_event *events;
    size_t count;
    size_t cap;
    int64_t first_us[2]; /* per origin: earliest and latest event seen */
    int64_t last_us[2];
    uint64_t seen[2];
    unsigned long wire_duplicates;
};

/* Per-EventID results. */
struct val_row {
    uint32_t event_id;
    unsigned long host;
    unsigned long wire;
    unsigned long matched;
};

struct validator *validator_new(void)
{
    struct validator *val = calloc(1, sizeof(*val));
    if (val != NULL) {
        val->first_us[0] = val->first_us[1] = INT64_MAX;
        val->last_us[0] = val->last_us[1] = INT64_MIN;
    }
    return val;
}

void validator_free(struct validator *val)
{
    if (val == NULL) {
        return;
    }
    for (size_t i = 0; i < val->count; i++) {
        free(val->events[i].summary);
    }
    free(val->events);
    free(val);
}

/* Writes the key fields of ev as "Name=value" pairs separated by spaces. */
static char *summarize(const struct event *ev)
{
    size_t count = 0;
    const char *const *fields = link_key_fields(ev->event_id, &count);
    char *buf = malloc(VALIDATE_SUMMARY_MAX);
    if (buf == NULL) {
        return NULL;
    }
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && n < VALIDATE_SUMMARY_MAX; i++) {
        const char *value = event_field(ev, fields[i]);
        int w = snprintf(buf + n, VALIDATE_SUMMARY_MAX - n, "%s%s=%s", i == 0 ? "" : " ", fields[i],
                         value != NULL ? value : "(absent)");
        if (w < 0) {
            break;
        }
        n += (size_t)w;
    }
    return buf;
}

/* Hashes the facts that tell one SMB request from another (FNV-1a). */
static uint64_t capture_signature(const struct event *ev)
{
    const char *parts[] = {event_field(ev, "IpPort"), event_get(ev, EVENT_WIRE, "SessionId"),
                           event_get(ev, EVENT_WIRE, "MessageId")};
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < WA_ARRAY_LEN(parts); i++) {
        for (const char *p = parts[i] != NULL ? parts[i] : ""; *p != '\0'; p++) {
            h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
        }
        h = (h ^ 0x1f) * 0x100000001b3ULL;
    }
    return h;
}

void validator_add(struct validator *val, const struct event *ev)
{
    int side = ev->origin == EVENT_ORIGIN_HOST ? 1 : 0;
    val->seen[side]++;
    val->first_us[side] = WA_MIN(val->first_us[side], ev->time_us);
    val->last_us[side] = WA_MAX(val->last_us[side], ev->time_us);
    struct link_key key;
    if (!link_event_key(ev, &key)) {
        return;
    }
    if (val->count == val->cap) {
        size_t cap = val->cap != 0 ? val->cap * 2 : 1024;
        struct val_event *grown = realloc(val->events, cap * sizeof(*grown));
        if (grown == NULL) {
            return;
        }
        val->events = grown;
        val->cap = cap;
    }
    val->events[val->count++] = (struct val_event){
        .key = key,
        .time_us = ev->time_us,
        .event_id = ev->event_id,
        .origin = ev->origin,
        .capture_signature = ev->origin == EVENT_ORIGIN_WIRE ? capture_signature(ev) : 0,
        .summary = summarize(ev),
        .input = ev->input,
        .record = ev->record,
    };
}

/* Orders by EventID, then key hash, then time, so twins of one key sit together. */
static int compare_events(const void *a, const void *b)
{
    const struct val_event *x = a;
    const struct val_event *y = b;
    if (x->event_id != y->event_id) {
        return x->event_id < y->event_id ? -1 : 1;
    }
    if (x->key.hash != y->key.hash) {
        return x->key.hash < y->key.hash ? -1 : 1;
    }
    if (x->time_us != y->time_us) {
        return x->time_us < y->time_us ? -1 : 1;
    }
    return (int)x->origin - (int)y->origin;
}

static bool in_span(const struct val_event *e, int64_t from_us, int64_t to_us)
{
    return e->time_us >= from_us && e->time_us <= to_us;
}

/*
 * Matches each host event of run[0, n), which shares one EventID and key hash
 * and is sorted by time, with the earliest unmatched wire event within the skew.
 */
static void match_run(struct val_event *run, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct val_event *host = &run[i];
        if (host->origin != EVENT_ORIGIN_HOST) {
            continue;
        }
        struct val_event *best = NULL;
        for (size_t j = 0; j < n; j++) {
            struct val_event *wire = &run[j];
            if (wire->origin != EVENT_ORIGIN_WIRE || wire->matched ||
                !link_keys_match(&host->key, &wire->key)) {
                continue;
            }
            int64_t dt = wire->time_us - host->time_us;
            if (dt < -wa_opts.link_skew_us || dt > wa_opts.link_skew_us) {
                continue;
            }
            best = wire;
            break;
        }
        if (best != NULL) {
            best->matched = true;
            host->matched = true;
        }
    }
}

/*
 * Marks wire events of run[0, n) that repeat one from another capture file:
 * captures taken on both ends of a connection rebuild each request twice.
 */
static unsigned long mark_duplicates(struct val_event *run, size_t n)
{
    unsigned long count = 0;
    for (size_t i = 0; i < n; i++) {
        struct val_event *e = &run[i];
        for (size_t j = 0; j < i && e->origin == EVENT_ORIGIN_WIRE; j++) {
            const struct val_event *earlier = &run[j];
            if (earlier->origin == EVENT_ORIGIN_WIRE && !earlier->dropped &&
                earlier->capture_signature == e->capture_signature &&
                e->time_us - earlier->time_us <= wa_opts.link_skew_us &&
                strcmp(earlier->input != NULL ? earlier->input : "",
                       e->input != NULL ? e->input : "") != 0) {
                e->dropped = true;
                count++;
                break;
            }
        }
    }
    return count;
}

/* Frees and removes the events marked dropped, keeping the order of the rest. */
static void remove_dropped(struct validator *val)
{
    size_t kept = 0;
    for (size_t i = 0; i < val->count; i++) {
        if (val->events[i].dropped) {
            free(val->events[i].summary);
        } else {
            val->events[kept++] = val->events[i];
        }
    }
    val->count = kept;
}

/* Returns the end of the run of events that starts at begin and shares its EventID and key. */
static size_t run_end(const struct validator *val, size_t begin)
{
    size_t end = begin + 1;
    while (end < val->count && val->events[end].event_id == val->events[begin].event_id &&
           val->events[end].key.hash == val->events[begin].key.hash) {
        end++;
    }
    return end;
}

/*
 * Drops events outside [from_us, to_us] and wire events repeated by another
 * capture, then matches the rest per EventID and key.
 */
static void match_all(struct validator *val, int64_t from_us, int64_t to_us)
{
    for (size_t i = 0; i < val->count; i++) {
        val->events[i].dropped = !in_span(&val->events[i], from_us, to_us);
    }
    remove_dropped(val);
    qsort(val->events, val->count, sizeof(*val->events), compare_events);
    for (size_t begin = 0; begin < val->count;) {
        size_t end = run_end(val, begin);
        val->wire_duplicates += mark_duplicates(&val->events[begin], end - begin);
        begin = end;
    }
    remove_dropped(val);
    for (size_t begin = 0; begin < val->count;) {
        size_t end = run_end(val, begin);
        match_run(&val->events[begin], end - begin);
        begin = end;
    }
}

/* Fills one row per EventID present and returns the number of rows. */
static size_t build_rows(const struct validator *val, struct val_row *rows, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < val->count; i++) {
        const struct val_event *e = &val->events[i];
        if (n == 0 || rows[n - 1].event_id != e->event_id) {
            if (n == max) {
                break;
            }
            rows[n++] = (struct val_row){.event_id = e->event_id};
        }
        struct val_row *row = &rows[n - 1];
        if (e->origin == EVENT_ORIGIN_HOST) {
            row->host++;
            row->matched += e->matched;
        } else {
            row->wire++;
        }
    }
    return n;
}

static void write_unmatched_text(const struct validator *val, FILE *out, uint32_t event_id,
                                 enum event_origin origin)
{
    unsigned shown = 0;
    for (size_t i = 0; i < val->count && shown < VALIDATE_SHOW_MAX; i++) {
        const struct val_event *e = &val->events[i];
        if (e->event_id != event_id || e->origin != origin || e->matched) {
            continue;
        }
        char when[40];
        fprintf(out, "  %s %u %s %s (%s %s %llu)\n",
                origin == EVENT_ORIGIN_HOST ? "host-only" : "wire-only", e->event_id,
                event_format_time(e->time_us, when, sizeof(when)),
                e->summary != NULL ? e->summary : "", e->input != NULL ? e->input : "-",
                origin == EVENT_ORIGIN_HOST ? "record" : "frame", (unsigned long long)e->record);
        shown++;
    }
}

static void write_text(const struct validator *val, FILE *out, const struct val_row *rows, size_t n,
                       int64_t from_us, int64_t to_us)
{
    char from[40];
    char to[40];
    fprintf(out, "Time span compared: %s to %s (host and wire overlap, widened by %lld s)\n",
            event_format_time(from_us, from, sizeof(from)),
            event_format_time(to_us, to, sizeof(to)), (long long)(wa_opts.link_skew_us / 1000000));
    if (val->wire_duplicates != 0) {
        fprintf(out,
                "Rebuilt events found in more than one capture are counted once (%lu copies).\n",
                val->wire_duplicates);
    }
    fputc('\n', out);
    fprintf(out, "%-8s %8s %8s %8s %10s %10s %10s\n", "EventID", "host", "rebuilt", "matched",
            "host-only", "wire-only", "agreement");
    for (size_t i = 0; i < n; i++) {
        const struct val_row *r = &rows[i];
        char agreement[16];
        if (r->host != 0) {
            snprintf(agreement, sizeof(agreement), "%.1f%%",
                     100.0 * (double)r->matched / (double)r->host);
        } else {
            snprintf(agreement, sizeof(agreement), "n/a");
        }
        fprintf(out, "%-8u %8lu %8lu %8lu %10lu %10lu %10s\n", r->event_id, r->host, r->wire,
                r->matched, r->host - r->matched, r->wire - r->matched, agreement);
    }
    for (size_t i = 0; i < n; i++) {
        if (rows[i].host == rows[i].matched && rows[i].wire == rows[i].matched) {
            continue;
        }
        fprintf(out, "\nUnmatched %u events (first %d of each side):\n", rows[i].event_id,
                VALIDATE_SHOW_MAX);
        write_unmatched_text(val, out, rows[i].event_id, EVENT_ORIGIN_HOST);
        write_unmatched_text(val, out, rows[i].event_id, EVENT_ORIGIN_WIRE);
    }
}

static void write_unmatched_json(const struct validator *val, FILE *out, uint32_t event_id,
                                 enum event_origin origin)
{
    unsigned shown = 0;
    for (size_t i = 0; i < val->count && shown < VALIDATE_SHOW_MAX; i++) {
        const struct val_event *e = &val->events[i];
        if (e->event_id != event_id || e->origin != origin || e->matched) {
            continue;
        }
        char when[40];
        fputs(shown == 0 ? "{" : ",{", out);
        fprintf(out, "\"TimeCreated\":\"%s\",\"fields\":",
                event_format_time(e->time_us, when, sizeof(when)));
        json_write_string(out, e->summary != NULL ? e->summary : "");
        fputs(",\"input\":", out);
        json_write_string(out, e->input != NULL ? e->input : "");
        fprintf(out, ",\"%s\":%llu}", origin == EVENT_ORIGIN_HOST ? "record" : "frame",
                (unsigned long long)e->record);
        shown++;
    }
}

static void write_json(const struct validator *val, FILE *out, const struct val_row *rows, size_t n,
                       int64_t from_us, int64_t to_us)
{
    char from[40];
    char to[40];
    fprintf(out,
            "{\"span\":{\"first\":\"%s\",\"last\":\"%s\"},\"skew_s\":%lld,"
            "\"wire_duplicates\":%lu,\"event_ids\":[",
            event_format_time(from_us, from, sizeof(from)),
            event_format_time(to_us, to, sizeof(to)), (long long)(wa_opts.link_skew_us / 1000000),
            val->wire_duplicates);
    for (size_t i = 0; i < n; i++) {
        const struct val_row *r = &rows[i];
        fprintf(out,
                "%s{\"EventID\":%u,\"host\":%lu,\"rebuilt\":%lu,\"matched\":%lu,"
                "\"host_only\":%lu,\"wire_only\":%lu,\"agreement\":",
                i == 0 ? "" : ",", r->event_id, r->host, r->wire, r->matched, r->host - r->matched,
                r->wire - r->matched);
        if (r->host != 0) {
            fprintf(out, "%.1f", 100.0 * (double)r->matched / (double)r->host);
        } else {
            fputs("null", out);
        }
        fputs(",\"host_unmatched\":[", out);
        write_unmatched_json(val, out, r->event_id, EVENT_ORIGIN_HOST);
        fputs("],\"wire_unmatched\":[", out);
        write_unmatched_json(val, out, r->event_id, EVENT_ORIGIN_WIRE);
        fputs("]}", out);
    }
    fputs("]}\n", out);
}

void validator_write(struct validator *val, FILE *out, bool json)
{
    int host = 1;
    int wire = 0;
    if (val->seen[host] == 0 || val->seen[wire] == 0) {
        const char *missing = val->seen[host] == 0 ? "host log" : "capture";
        if (json) {
            fprintf(out, "{\"error\":\"no events from any %s; give both captures and logs\"}\n",
                    missing);
        } else {
            fprintf(out, "No events from any %s: --validate needs both captures and logs.\n",
                    missing);
        }
        return;
    }
    int64_t from_us = WA_MAX(val->first_us[host], val->first_us[wire]) - wa_opts.link_skew_us;
    int64_t to_us = WA_MIN(val->last_us[host], val->last_us[wire]) + wa_opts.link_skew_us;
    if (from_us > to_us) {
        char a[40];
        char b[40];
        if (json) {
            fputs("{\"error\":\"the host and wire events do not overlap in time\"}\n", out);
        } else {
            fprintf(
                out,
                "The host events (to %s) and wire events (from %s) do not overlap in "
                "time; check the clocks or --link-skew.\n",
                event_format_time(WA_MIN(val->last_us[host], val->last_us[wire]), a, sizeof(a)),
                event_format_time(WA_MAX(val->first_us[host], val->first_us[wire]), b, sizeof(b)));
        }
        return;
    }
    match_all(val, from_us, to_us);
    /* One row per EventID with key fields in link.h, so a few suffice. */
    struct val_row rows[32];
    size_t n = build_rows(val, rows, WA_ARRAY_LEN(rows));
    if (json) {
        write_json(val, out, rows, n, from_us, to_us);
    } else {
        write_text(val, out, rows, n, from_us, to_us);
    }
}
