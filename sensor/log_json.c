/*
 * JSON lines: one Windows event per line, in one of three layouts chosen per line.
 *   - Splunk JSON export: the event is the "result" object and its time is "_time".
 *   - Winlogbeat/ECS: fields under "winlog" (event_data, computer_name, channel,
 *     provider_name, record_id), the id in "event.code", the time in "@timestamp".
 *   - Flat (NXLog im_msvistalog as shipped by Security-Datasets): EventData and
 *     NXLog's own fields side by side at the top level.
 * NOTE: of Splunk exports, only XmlWinEventLog results carry Windows field
 * names. Classic WinEventLog results name fields after the message text
 * (Share_Name), and those names are kept as they are.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "counters.h"
#include "log_private.h"

struct jsonl_source {
    struct log_source src;
    FILE *file;
    char *line;
    size_t line_cap;
    unsigned long line_number;
};

/* The System part of one event, as found in whichever layout the line uses. */
struct json_system {
    uint32_t event_id;
    int64_t time_us;
    uint64_t record;
    const char *computer;
    const char *channel;
    const char *provider;
    char keywords[32];
    bool have_keywords;
};

/* Fields that NXLog and Logstash add to the flat layout. They are not EventData. */
static const char *const flat_metadata[] = {
    "@timestamp",
    "@version",
    "tags",
    "host",
    "port",
    "EventTime",
    "EventReceivedTime",
    "Hostname",
    "SourceName",
    "ProviderGuid",
    "EventType",
    "EventTypeOrignal",
    "SeverityValue",
    "Severity",
    "SourceModuleName",
    "SourceModuleType",
    "RecordNumber",
    "Keywords",
    "Channel",
    "EventID",
    "Message",
    "Opcode",
    "OpcodeValue",
    "Task",
    "Version",
    "ThreadID",
    "ExecutionProcessID",
    "Category",
    "Domain",
    "AccountName",
    "AccountType",
    "UserID",
    "ActivityID",
    "RelatedActivityID",
    "ERROR_EVT_UNRESOLVED",
    "Level",
    "TimeCreated",
};

/* Fields of a Splunk result that describe the index rather than the event. */
static const char *const splunk_metadata[] = {
    "host",         "source",        "sourcetype", "index",      "linecount",    "splunk_server",
    "punct",        "eventtype",     "tag",        "timeendpos", "timestartpos", "EventCode",
    "EventID",      "ComputerName",  "Computer",   "LogName",    "Channel",      "SourceName",
    "RecordNumber", "EventRecordID", "Keywords",   "Message",    "Type",         "TaskCategory",
    "OpCode",       "EventType",
};

static bool name_in(const char *name, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(name, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Returns member name of obj as a string, or NULL when absent or not a string. */
static const char *get_string(json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

/* Reads an integer member written as a JSON number or as decimal or "0x" text. */
static bool get_u64(json_t *obj, const char *name, uint64_t *value)
{
    json_t *member = json_object_get(obj, name);
    if (json_is_integer(member)) {
        /* Keywords arrive as signed 64-bit numbers, so keep the bit pattern. */
        *value = (uint64_t)json_integer_value(member);
        return true;
    }
    const char *text = json_string_value(member);
    return text != NULL && log_parse_u64(text, strlen(text), value);
}

static bool get_time(json_t *obj, const char *name, int64_t *time_us)
{
    const char *text = get_string(obj, name);
    if (text == NULL) {
        return false;
    }
    char copy[64];
    snprintf(copy, sizeof(copy), "%s", text);
    size_t n = strlen(copy);
    /* Splunk writes "2020-09-22 14:53:30.000 UTC" in some exports. */
    if (n > 4 && strcmp(copy + n - 4, " UTC") == 0) {
        copy[n - 4] = '\0';
    }
    return event_parse_time(copy, time_us);
}

/*
 * Computes the UTC time of a flat NXLog record. EventTime is the host's local
 * time without a zone; EventReceivedTime (local) against @timestamp (UTC, when
 * the collector received it) gives the zone offset, rounded to 15 minutes.
 */
static bool flat_time(json_t *obj, int64_t *time_us)
{
    if (get_time(obj, "TimeCreated", time_us)) {
        return true;
    }
    int64_t local = 0;
    if (!get_time(obj, "EventTime", &local)) {
        return get_time(obj, "@timestamp", time_us);
    }
    int64_t received_local = 0;
    int64_t received_utc = 0;
    if (!get_time(obj, "EventReceivedTime", &received_local) ||
        !get_time(obj, "@timestamp", &received_utc)) {
        CTR_INC("log.json_zone_unknown");
        *time_us = local;
        return true;
    }
    const int64_t quarter_hour_us = 15LL * 60 * 1000000;
    double quarters = (double)(received_local - received_utc) / (double)quarter_hour_us;
    int64_t offset_us = (int64_t)llround(quarters) * quarter_hour_us;
    *time_us = local - offset_us;
    return true;
}

/* Renders a scalar member as Windows text. Arrays and objects become compact JSON text. */
static char *value_text(json_t *value)
{
    char number[32];
    switch (json_typeof(value)) {
    case JSON_STRING:
        return strndup(json_string_value(value), json_string_length(value));
    case JSON_INTEGER:
        snprintf(number, sizeof(number), "%lld", (long long)json_integer_value(value));
        return strdup(number);
    case JSON_REAL:
        snprintf(number, sizeof(number), "%.17g", json_real_value(value));
        return strdup(number);
    case JSON_TRUE:
        return strdup("true");
    case JSON_FALSE:
        return strdup("false");
    case JSON_NULL:
        return strdup("");
    default:
        return json_dumps(value, JSON_COMPACT);
    }
}

/* Copies every member of obj not in skip into ev as EventData. */
static enum wa_status copy_fields(struct event *ev, json_t *obj, const char *const *skip,
                                  size_t skip_count, bool skip_underscore)
{
    const char *name;
    json_t *value;
    json_object_foreach(obj, name, value)
    {
        if (name_in(name, skip, skip_count) || (skip_underscore && name[0] == '_') ||
            strncmp(name, "date_", 5) == 0) {
            continue;
        }
        char *text = value_text(value);
        if (text == NULL) {
            return WA_NOMEM;
        }
        enum wa_status st = log_set_field(ev, name, text, strlen(text));
        free(text);
        if (st != WA_OK) {
            return st;
        }
    }
    return WA_OK;
}

/*
 * NXLog resolves the record's user SID into AccountName and so overwrites the
 * 7045 EventData field of the same name. The rendered Message still names the
 * service account, so it is taken from there.
 */
static enum wa_status flat_service_account(struct event *ev, json_t *obj)
{
    const char *message = get_string(obj, "Message");
    const char *label = message != NULL ? strstr(message, "Service Account:") : NULL;
    if (label == NULL) {
        return WA_OK;
    }
    const char *p = label + strlen("Service Account:");
    p += strspn(p, " \t");
    return event_set_n(ev, EVENT_DATA, "AccountName", p, strcspn(p, "\r\n"));
}

static bool keywords_from_text(const char *text, struct json_system *sys)
{
    uint64_t mask = 0;
    if (text == NULL) {
        return false;
    }
    if (log_parse_u64(text, strlen(text), &mask)) {
        log_format_keywords(mask, sys->keywords, sizeof(sys->keywords));
    } else {
        snprintf(sys->keywords, sizeof(sys->keywords), "%s", text);
    }
    sys->have_keywords = true;
    return true;
}

/* Reads the System values of each layout. Returns a reason on failure, NULL on success. */
static const char *read_flat_system(json_t *obj, struct json_system *sys)
{
    uint64_t id = 0;
    if (!get_u64(obj, "EventID", &id) || id > UINT32_MAX) {
        return "EventID is missing or not a number";
    }
    sys->event_id = (uint32_t)id;
    if (!flat_time(obj, &sys->time_us)) {
        return "no parsable TimeCreated, EventTime or @timestamp";
    }
    (void)get_u64(obj, "RecordNumber", &sys->record);
    sys->computer = get_string(obj, "Hostname");
    sys->channel = get_string(obj, "Channel");
    sys->provider = get_string(obj, "SourceName");
    uint64_t mask = 0;
    if (get_u64(obj, "Keywords", &mask)) {
        log_format_keywords(mask, sys->keywords, sizeof(sys->keywords));
        sys->have_keywords = true;
    }
    return NULL;
}

static const char *read_winlogbeat_system(json_t *obj, json_t *winlog, struct json_system *sys)
{
    uint64_t id = 0;
    if (!get_u64(json_object_get(obj, "event"), "code", &id) && !get_u64(winlog, "event_id", &id)) {
        return "event.code and winlog.event_id are missing or not numbers";
    }
    if (id > UINT32_MAX) {
        return "event.code is out of range";
    }
    sys->event_id = (uint32_t)id;
    if (!get_time(obj, "@timestamp", &sys->time_us)) {
        return "@timestamp is missing or not an ISO 8601 time";
    }
    (void)get_u64(winlog, "record_id", &sys->record);
    sys->computer = get_string(winlog, "computer_name");
    sys->channel = get_string(winlog, "channel");
    sys->provider = get_string(winlog, "provider_name");
    (void)keywords_from_text(
        json_string_value(json_array_get(json_object_get(winlog, "keywords"), 0)), sys);
    return NULL;
}

static const char *read_splunk_system(json_t *result, struct json_system *sys)
{
    uint64_t id = 0;
    if (!get_u64(result, "EventCode", &id) && !get_u64(result, "EventID", &id)) {
        return "result.EventCode is missing or not a number";
    }
    if (id > UINT32_MAX) {
        return "result.EventCode is out of range";
    }
    sys->event_id = (uint32_t)id;
    if (!get_time(result, "_time", &sys->time_us)) {
        return "result._time is missing or not an ISO 8601 time";
    }
    if (!get_u64(result, "RecordNumber", &sys->record)) {
        (void)get_u64(result, "EventRecordID", &sys->record);
    }
    sys->computer = get_string(result, "ComputerName");
    if (sys->computer == NULL) {
        sys->computer = get_string(result, "Computer");
    }
    sys->channel = get_string(result, "LogName");
    if (sys->channel == NULL) {
        sys->channel = get_string(result, "Channel");
    }
    sys->provider = get_string(result, "SourceName");
    (void)keywords_from_text(get_string(result, "Keywords"), sys);
    return NULL;
}

/* Builds the event of one parsed line. Returns a reason on failure, NULL on success. */
static const char *build_event(json_t *obj, struct event **out, uint64_t *record)
{
    struct json_system sys = {0};
    json_t *result = json_object_get(obj, "result");
    json_t *winlog = json_object_get(obj, "winlog");
    const char *reason;
    if (json_is_object(result)) {
        reason = read_splunk_system(result, &sys);
    } else if (json_is_object(winlog)) {
        reason = read_winlogbeat_system(obj, winlog, &sys);
    } else {
        reason = read_flat_system(obj, &sys);
    }
    if (reason != NULL) {
        return reason;
    }
    struct event *ev = event_new(sys.event_id, sys.time_us, EVENT_ORIGIN_HOST);
    if (ev == NULL) {
        return "out of memory";
    }
    enum wa_status st = log_set_system(ev, sys.computer, sys.channel, sys.provider,
                                       sys.have_keywords ? sys.keywords : NULL);
    if (st == WA_OK && json_is_object(result)) {
        st = copy_fields(ev, result, splunk_metadata, WA_ARRAY_LEN(splunk_metadata), true);
    } else if (st == WA_OK && json_is_object(winlog)) {
        json_t *data = json_object_get(winlog, "event_data");
        if (!json_is_object(data)) {
            data = json_object_get(winlog, "user_data");
        }
        st = json_is_object(data) ? copy_fields(ev, data, NULL, 0, false) : WA_OK;
    } else if (st == WA_OK) {
        st = copy_fields(ev, obj, flat_metadata, WA_ARRAY_LEN(flat_metadata), false);
        if (st == WA_OK && sys.event_id == 7045) {
            st = flat_service_account(ev, obj);
        }
    }
    if (st != WA_OK) {
        event_free(ev);
        return "out of memory or event larger than 16 MiB";
    }
    *out = ev;
    *record = sys.record;
    return NULL;
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') {
            return false;
        }
    }
    return true;
}

/* Returns the 1-based column, in characters, just past the first len bytes of UTF-8 text. */
static unsigned long utf8_column(const char *text, size_t len)
{
    unsigned long column = 1;
    for (size_t i = 0; i < len; i++) {
        column += ((unsigned char)text[i] & 0xc0) != 0x80;
    }
    return column;
}

/*
 * Warns about a line that jansson rejects. An error at the end of the line (a
 * missing bracket, a cut string, escape or literal) means the line is
 * truncated. The last line of a log still being written often is, so the
 * message says so and gives the column past the last character. jansson's own
 * text calls the end of the line "end of file" and is kept only as the cause.
 */
static void jsonl_warn_invalid(struct jsonl_source *js, const char *text, size_t len,
                               const json_error_t *error)
{
    if (json_error_code(error) == json_error_premature_end_of_input ||
        (error->position >= 0 && (size_t)error->position >= len)) {
        const char *detail = error->text;
        size_t detail_len = strlen(detail);
        const char *suffix = " near end of file";
        size_t suffix_len = strlen(suffix);
        if (detail_len >= suffix_len && strcmp(detail + detail_len - suffix_len, suffix) == 0) {
            detail_len -= suffix_len;
        }
        log_warn(&js->src,
                 "line %lu, column %lu: record skipped: invalid JSON: the line ends before the "
                 "value is complete, so it is probably truncated (%.*s)",
                 js->line_number, utf8_column(text, len), (int)detail_len, detail);
        return;
    }
    log_warn(&js->src, "line %lu, column %d: record skipped: invalid JSON: %s", js->line_number,
             error->column, error->text);
}

/*
 * Returns 3 when text starts with a UTF-8 byte order mark, else 0. Windows
 * tools write one at the start of a file and concatenated exports repeat it,
 * so it is skipped at the start of any line.
 */
static size_t utf8_bom_length(const char *text, size_t len)
{
    return len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

/* Parses one non-blank line and emits its event, or warns and counts it as skipped. */
static void jsonl_parse_line(struct jsonl_source *js, size_t len)
{
    size_t bom = utf8_bom_length(js->line, len);
    const char *text = js->line + bom;
    len -= bom;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r')) {
        len--;
    }
    json_error_t error;
    json_t *obj = json_loadb(text, len, JSON_DECODE_ANY, &error);
    if (obj == NULL) {
        jsonl_warn_invalid(js, text, len, &error);
        log_skip_record(&js->src);
        return;
    }
    struct event *ev = NULL;
    uint64_t record = 0;
    const char *reason =
        json_is_object(obj) ? build_event(obj, &ev, &record) : "the line is not a JSON object";
    json_decref(obj);
    if (reason != NULL) {
        log_warn(&js->src, "line %lu: record skipped: %s", js->line_number, reason);
        log_skip_record(&js->src);
        return;
    }
    log_emit(&js->src, ev, record != 0 ? record : js->line_number);
}

static bool jsonl_step(struct input *in)
{
    struct jsonl_source *js = (struct jsonl_source *)in;
    for (;;) {
        errno = 0;
        ssize_t n = getline(&js->line, &js->line_cap, js->file);
        if (n < 0) {
            if (ferror(js->file)) {
                log_warn(&js->src, "read error after line %lu: %s", js->line_number,
                         strerror(errno));
                log_mark_damaged(&js->src);
            }
            return false;
        }
        js->line_number++;
        in->offset_bytes += (uint64_t)n;
        size_t bom = utf8_bom_length(js->line, (size_t)n);
        if (is_blank(js->line + bom, (size_t)n - bom)) {
            continue;
        }
        if ((size_t)n > LOG_RECORD_MAX) {
            log_warn(&js->src, "line %lu: record skipped: %zd bytes is over the 16 MiB limit",
                     js->line_number, n);
            log_skip_record(&js->src);
            return true;
        }
        jsonl_parse_line(js, (size_t)n);
        return true;
    }
}

static void jsonl_close(struct input *in)
{
    struct jsonl_source *js = (struct jsonl_source *)in;
    if (js->file != NULL) {
        fclose(js->file);
    }
    free(js->line);
    free(js);
}

struct input *log_jsonl_open(const char *path, char *err, size_t err_size)
{
    struct jsonl_source *js = calloc(1, sizeof(*js));
    if (js == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        return NULL;
    }
    log_source_init(&js->src, path, INPUT_JSONL);
    js->src.in.step = jsonl_step;
    js->src.in.close = jsonl_close;
    js->file = fopen(path, "rb");
    if (js->file == NULL) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        jsonl_close(&js->src.in);
        return NULL;
    }
    if (fseeko(js->file, 0, SEEK_END) == 0) {
        off_t size = ftello(js->file);
        js->src.in.size_bytes = size > 0 ? (uint64_t)size : 0;
        rewind(js->file);
    }
    return &js->src.in;
}
