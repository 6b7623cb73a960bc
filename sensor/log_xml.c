/*
 * Windows event XML: parsing one <Event> element with libxml2's xmlReader, and
 * the reader for files of such elements (wevtutil qe /f:xml, Get-WinEvent ToXml()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>

#include "counters.h"
#include "log_private.h"

/* ---- One <Event> element ---- */

struct log_xml_parser {
    xmlTextReaderPtr reader;
    bool restore_controls;
    bool allow_partial;
    bool was_partial;
    char error[256];
    unsigned error_line;
};

/* System values collected before they are stored in their fixed order. */
struct system_values {
    char *computer;
    char *channel;
    char *provider;
    char *keywords;
    bool have_event_id;
    bool have_time;
};

struct log_xml_parser *log_xml_parser_new(void)
{
    xmlInitParser();
    return calloc(1, sizeof(struct log_xml_parser));
}

void log_xml_parser_free(struct log_xml_parser *parser)
{
    if (parser == NULL) {
        return;
    }
    if (parser->reader != NULL) {
        xmlFreeTextReader(parser->reader);
    }
    free(parser);
}

void log_xml_parser_restore_controls(struct log_xml_parser *parser, bool restore)
{
    parser->restore_controls = restore;
}

void log_xml_parser_allow_partial(struct log_xml_parser *parser, bool allow)
{
    parser->allow_partial = allow;
}

bool log_xml_parser_was_partial(const struct log_xml_parser *parser)
{
    return parser->was_partial;
}

static bool is_forbidden_control(unsigned char c)
{
    return c != 0 && c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

const char *log_xml_escape_controls(const char *text, size_t *len, char **buf, size_t *cap)
{
    size_t count = 0;
    for (size_t i = 0; i < *len; i++) {
        count += is_forbidden_control((unsigned char)text[i]);
    }
    if (count == 0) {
        return text;
    }
    size_t need = *len + 2 * count + 1;
    if (need > *cap) {
        char *grown = realloc(*buf, need);
        if (grown == NULL) {
            return NULL;
        }
        *buf = grown;
        *cap = need;
    }
    char *out = *buf;
    size_t n = 0;
    for (size_t i = 0; i < *len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (is_forbidden_control(c)) {
            /* U+E000 + c in UTF-8 */
            out[n++] = (char)0xee;
            out[n++] = (char)0x80;
            out[n++] = (char)(0x80 + c);
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
    *len = n;
    return out;
}

/* Maps U+E001-U+E01F in text back to the control characters they escape, in place. */
static void restore_controls(char *text)
{
    char *out = text;
    for (const char *p = text; *p != '\0'; p++) {
        unsigned char b1 = (unsigned char)p[1];
        unsigned char b2 = b1 != 0 ? (unsigned char)p[2] : 0;
        if ((unsigned char)p[0] == 0xee && b1 == 0x80 && b2 > 0x80 && b2 < 0xa0) {
            *out++ = (char)(b2 - 0x80);
            p += 2;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
}

/*
 * Writes libxml2's error in plain words. libxml2 2.9 starts some messages with
 * the name of its internal function ("xmlParseCharRef: invalid xmlChar value 1")
 * and spreads others over two lines, so the name is dropped, the lines are
 * joined, and invalid characters are named by their code point.
 */
static void describe_xml_error(const xmlError *error, char *buf, size_t size)
{
    const char *message = error->message != NULL ? error->message : "invalid XML";
    bool is_reference = strstr(message, "CharRef") != NULL;
    if (error->code == XML_ERR_INVALID_CHAR && is_reference) {
        snprintf(buf, size, "invalid character reference &#%d; (XML 1.0 does not allow U+%04X)",
                 error->int1, (unsigned)error->int1);
        return;
    }
    if (error->code == XML_ERR_INVALID_CHAR && error->int1 > 0) {
        snprintf(buf, size, "invalid character U+%04X (XML 1.0 does not allow it)",
                 (unsigned)error->int1);
        return;
    }
    const char *bytes = strstr(message, "Bytes: ");
    if (strstr(message, "not proper UTF-8") != NULL && bytes != NULL) {
        snprintf(buf, size, "invalid UTF-8 (%s", bytes + strlen("Bytes: "));
        size_t n = strcspn(buf, "\n");
        snprintf(buf + n, size - n, ")");
        return;
    }
    const char *prefix = "";
    size_t name_len = strspn(message, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_");
    if (strncmp(message, "AttValue: ", 10) == 0) {
        prefix = "attribute value: ";
        message += 10;
    } else if (strncmp(message, "xml", 3) == 0 && strncmp(message + name_len, ": ", 2) == 0) {
        message += name_len + 2;
    }
    snprintf(buf, size, "%s%s", prefix, message);
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) {
        buf[--n] = '\0';
    }
    for (char *p = buf; *p != '\0'; p++) {
        if (*p == '\n') {
            *p = ' ';
        }
    }
}

/* Keeps the first error libxml2 reports for the element being parsed. */
static void on_xml_error(void *arg, xmlErrorPtr error)
{
    struct log_xml_parser *parser = arg;
    if (parser->error[0] != '\0' || error == NULL) {
        return;
    }
    describe_xml_error(error, parser->error, sizeof(parser->error));
    parser->error_line = error->line > 0 ? (unsigned)error->line : 0;
}

/* Returns the text content of the current element and moves past its end tag. */
static char *read_element_text(struct log_xml_parser *parser)
{
    xmlTextReaderPtr reader = parser->reader;
    if (xmlTextReaderIsEmptyElement(reader)) {
        return strdup("");
    }
    int depth = xmlTextReaderDepth(reader);
    size_t len = 0;
    size_t cap = 64;
    char *text = malloc(cap);
    if (text == NULL) {
        return NULL;
    }
    text[0] = '\0';
    while (xmlTextReaderRead(reader) == 1) {
        int type = xmlTextReaderNodeType(reader);
        if (type == XML_READER_TYPE_END_ELEMENT && xmlTextReaderDepth(reader) == depth) {
            if (parser->restore_controls) {
                restore_controls(text);
            }
            return text;
        }
        if (type != XML_READER_TYPE_TEXT && type != XML_READER_TYPE_CDATA &&
            type != XML_READER_TYPE_WHITESPACE && type != XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
            continue;
        }
        const char *piece = (const char *)xmlTextReaderConstValue(reader);
        size_t n = piece != NULL ? strlen(piece) : 0;
        if (len + n + 1 > cap) {
            while (len + n + 1 > cap) {
                cap *= 2;
            }
            char *grown = realloc(text, cap);
            if (grown == NULL) {
                free(text);
                return NULL;
            }
            text = grown;
        }
        memcpy(text + len, piece, n);
        len += n;
        text[len] = '\0';
    }
    free(text);
    return NULL;
}

static const char *local_name(xmlTextReaderPtr reader)
{
    const char *name = (const char *)xmlTextReaderConstLocalName(reader);
    return name != NULL ? name : "";
}

/* Stores text in *slot and takes ownership. Returns false when text is NULL. */
static bool keep_text(char **slot, char *text)
{
    free(*slot);
    *slot = text;
    return text != NULL;
}

/* Reads one child element of <System>. Returns false on a read or value error. */
static bool read_system_child(struct log_xml_parser *parser, struct event *ev, uint64_t *record,
                              struct system_values *sys)
{
    xmlTextReaderPtr reader = parser->reader;
    const char *name = local_name(reader);
    if (strcmp(name, "Provider") == 0) {
        char *value = (char *)xmlTextReaderGetAttribute(reader, BAD_CAST "Name");
        if (value != NULL) {
            keep_text(&sys->provider, strdup(value));
            xmlFree(value);
        }
        return true;
    }
    if (strcmp(name, "TimeCreated") == 0) {
        char *value = (char *)xmlTextReaderGetAttribute(reader, BAD_CAST "SystemTime");
        bool ok = value != NULL && event_parse_time(value, &ev->time_us);
        if (!ok) {
            snprintf(parser->error, sizeof(parser->error),
                     "TimeCreated SystemTime is missing or not an ISO 8601 time: '%.40s'",
                     value != NULL ? value : "");
        }
        xmlFree(value);
        sys->have_time = ok;
        return ok;
    }
    if (strcmp(name, "Computer") == 0) {
        return keep_text(&sys->computer, read_element_text(parser));
    }
    if (strcmp(name, "Channel") == 0) {
        return keep_text(&sys->channel, read_element_text(parser));
    }
    bool is_id = strcmp(name, "EventID") == 0;
    bool is_record = strcmp(name, "EventRecordID") == 0;
    bool is_keywords = strcmp(name, "Keywords") == 0;
    if (!is_id && !is_record && !is_keywords) {
        return true;
    }
    char *text = read_element_text(parser);
    if (text == NULL) {
        return false;
    }
    uint64_t value = 0;
    bool ok = log_parse_u64(text, strlen(text), &value);
    if (is_id && ok && value <= UINT32_MAX) {
        ev->event_id = (uint32_t)value;
        sys->have_event_id = true;
    } else if (is_id) {
        snprintf(parser->error, sizeof(parser->error), "EventID is not a number: '%.40s'", text);
        ok = false;
    } else if (is_record && ok) {
        *record = value;
    } else if (is_keywords && ok) {
        char rendered[32];
        log_format_keywords(value, rendered, sizeof(rendered));
        keep_text(&sys->keywords, strdup(rendered));
    }
    free(text);
    return ok || !is_id;
}

/*
 * Reads one field of <EventData> (<Data Name="x">, <Binary>) or of the element
 * inside <UserData>, whose leaf children are named fields.
 */
static bool read_data_child(struct log_xml_parser *parser, struct event *ev, unsigned *unnamed)
{
    xmlTextReaderPtr reader = parser->reader;
    char *attr = (char *)xmlTextReaderGetAttribute(reader, BAD_CAST "Name");
    char name[128];
    if (attr != NULL) {
        snprintf(name, sizeof(name), "%s", attr);
        xmlFree(attr);
    } else if (strcmp(local_name(reader), "Data") == 0) {
        /* Classic events carry positional <Data> without names, numbered here from 1. */
        snprintf(name, sizeof(name), "Data%u", ++*unnamed);
    } else {
        snprintf(name, sizeof(name), "%s", local_name(reader));
    }
    char *text = read_element_text(parser);
    if (text == NULL) {
        return false;
    }
    bool ok = log_set_field(ev, name, text, strlen(text)) == WA_OK;
    free(text);
    return ok;
}

enum section { SECTION_NONE, SECTION_SYSTEM, SECTION_DATA, SECTION_USER_DATA, SECTION_OTHER };

/* Walks the element tree of one event. Returns false on an XML or value error. */
static bool walk_event(struct log_xml_parser *parser, struct event *ev, uint64_t *record,
                       struct system_values *sys)
{
    xmlTextReaderPtr reader = parser->reader;
    enum section section = SECTION_NONE;
    unsigned unnamed = 0;
    int result;
    while ((result = xmlTextReaderRead(reader)) == 1) {
        if (xmlTextReaderNodeType(reader) != XML_READER_TYPE_ELEMENT) {
            continue;
        }
        int depth = xmlTextReaderDepth(reader);
        const char *name = local_name(reader);
        bool ok = true;
        if (depth == 0 && strcmp(name, "Event") != 0) {
            snprintf(parser->error, sizeof(parser->error), "root element is <%.40s>, not <Event>",
                     name);
            return false;
        }
        if (depth == 1) {
            section = strcmp(name, "System") == 0      ? SECTION_SYSTEM
                      : strcmp(name, "EventData") == 0 ? SECTION_DATA
                      : strcmp(name, "UserData") == 0  ? SECTION_USER_DATA
                                                       : SECTION_OTHER;
        } else if (depth == 2 && section == SECTION_SYSTEM) {
            ok = read_system_child(parser, ev, record, sys);
        } else if ((depth == 2 && section == SECTION_DATA) ||
                   (depth == 3 && section == SECTION_USER_DATA)) {
            ok = read_data_child(parser, ev, &unnamed);
        }
        if (!ok) {
            return false;
        }
    }
    return result == 0 && parser->error[0] == '\0';
}

static void system_values_free(struct system_values *sys)
{
    free(sys->computer);
    free(sys->channel);
    free(sys->provider);
    free(sys->keywords);
}

/*
 * Moves the EventData fields already stored behind the System fields, so every
 * event lists Computer, Channel, Provider and Keywords first.
 */
static enum wa_status order_fields(struct event **evp, const struct system_values *sys)
{
    struct event *data = *evp;
    struct event *ordered = event_new(data->event_id, data->time_us, EVENT_ORIGIN_HOST);
    if (ordered == NULL) {
        return WA_NOMEM;
    }
    enum wa_status st =
        log_set_system(ordered, sys->computer, sys->channel, sys->provider, sys->keywords);
    for (uint32_t i = 0; st == WA_OK && i < data->lists[EVENT_DATA].count; i++) {
        st = event_set(ordered, EVENT_DATA, event_name_at(data, EVENT_DATA, i),
                       event_value_at(data, EVENT_DATA, i));
    }
    if (st != WA_OK) {
        event_free(ordered);
        return st;
    }
    event_free(data);
    *evp = ordered;
    return WA_OK;
}

static enum wa_status parse_once(struct log_xml_parser *parser, const char *text, size_t len,
                                 struct event **out, uint64_t *record, char *err, size_t err_size,
                                 unsigned *line)
{
    *out = NULL;
    *record = 0;
    *line = 0;
    if (len > INT32_MAX) {
        snprintf(err, err_size, "event text of %zu bytes is too large", len);
        return WA_MALFORMED;
    }
    /* No DTD loading and no network access, so only predefined and character entities resolve. */
    int options = XML_PARSE_NONET | XML_PARSE_NOWARNING;
    if (parser->reader == NULL) {
        parser->reader = xmlReaderForMemory(text, (int)len, NULL, "UTF-8", options);
    } else if (xmlReaderNewMemory(parser->reader, text, (int)len, NULL, "UTF-8", options) != 0) {
        xmlFreeTextReader(parser->reader);
        parser->reader = xmlReaderForMemory(text, (int)len, NULL, "UTF-8", options);
    }
    if (parser->reader == NULL) {
        snprintf(err, err_size, "cannot create an XML reader (out of memory)");
        return WA_NOMEM;
    }
    parser->error[0] = '\0';
    parser->error_line = 0;
    xmlTextReaderSetStructuredErrorHandler(parser->reader, on_xml_error, parser);

    struct event *ev = event_new(0, 0, EVENT_ORIGIN_HOST);
    struct system_values sys = {0};
    enum wa_status st = WA_NOMEM;
    if (ev != NULL) {
        bool ok = walk_event(parser, ev, record, &sys);
        if (ok && !sys.have_event_id) {
            snprintf(parser->error, sizeof(parser->error), "<EventID> is missing");
            ok = false;
        } else if (ok && !sys.have_time) {
            snprintf(parser->error, sizeof(parser->error), "<TimeCreated SystemTime> is missing");
            ok = false;
        }
        st = ok ? order_fields(&ev, &sys) : WA_MALFORMED;
    }
    system_values_free(&sys);
    if (st != WA_OK) {
        snprintf(err, err_size, "%s", parser->error[0] != '\0' ? parser->error : "invalid XML");
        *line = parser->error_line;
        event_free(ev);
        return st;
    }
    *out = ev;
    return WA_OK;
}

/*
 * Parses text cut after its </System> end tag and closed with </Event>, for
 * an event whose data part is broken.
 */
static enum wa_status parse_system_only(struct log_xml_parser *parser, const char *text, size_t len,
                                        struct event **out, uint64_t *record)
{
    const char *end = memmem(text, len, "</System>", 9);
    if (end == NULL) {
        return WA_MALFORMED;
    }
    size_t keep = (size_t)(end - text) + 9;
    char *cut = malloc(keep + 9);
    if (cut == NULL) {
        return WA_NOMEM;
    }
    memcpy(cut, text, keep);
    memcpy(cut + keep, "</Event>", 9);
    char err[64];
    unsigned line = 0;
    enum wa_status st = parse_once(parser, cut, keep + 8, out, record, err, sizeof(err), &line);
    free(cut);
    return st;
}

enum wa_status log_xml_parse_event(struct log_xml_parser *parser, const char *text, size_t len,
                                   struct event **out, uint64_t *record, char *err, size_t err_size,
                                   unsigned *line)
{
    parser->was_partial = false;
    enum wa_status st = parse_once(parser, text, len, out, record, err, err_size, line);
    if (st == WA_MALFORMED && parser->allow_partial &&
        parse_system_only(parser, text, len, out, record) == WA_OK) {
        parser->was_partial = true;
        return WA_OK;
    }
    return st;
}

/* ---- Files of <Event> elements ---- */

/*
 * The file is split into <Event>...</Event> spans by a plain text scan and
 * each span is parsed on its own. One document with a synthetic root would
 * stop at the first invalid character or unclosed element and lose every
 * later event, but separate spans keep them. Text outside the spans (an XML
 * declaration, an <Events> root) is skipped.
 */
struct xml_source {
    struct log_source src;
    FILE *file;
    struct log_xml_parser *parser;
    char *buf; /* unparsed text [start, len) */
    size_t start;
    size_t len;
    size_t cap;
    bool eof;
    unsigned long line; /* 1-based line of buf[start] in the file */
};

/* Reads more of the file into buf. Returns false at end of file or on a read error. */
static bool xml_fill(struct xml_source *xs)
{
    if (xs->eof) {
        return false;
    }
    if (xs->start > 0) {
        memmove(xs->buf, xs->buf + xs->start, xs->len - xs->start);
        xs->len -= xs->start;
        xs->start = 0;
    }
    if (xs->cap - xs->len < 65536) {
        size_t cap = xs->cap * 2;
        char *grown = realloc(xs->buf, cap + 1);
        if (grown == NULL) {
            log_warn(&xs->src, "out of memory reading event XML");
            xs->eof = true;
            return false;
        }
        xs->buf = grown;
        xs->cap = cap;
    }
    size_t n = fread(xs->buf + xs->len, 1, xs->cap - xs->len, xs->file);
    xs->len += n;
    xs->buf[xs->len] = '\0';
    xs->src.in.offset_bytes += n;
    if (n == 0) {
        if (ferror(xs->file)) {
            log_warn(&xs->src, "read error: %s", strerror(errno));
            log_mark_damaged(&xs->src);
        }
        xs->eof = true;
        return false;
    }
    return true;
}

/* Returns the offset of the next "<Event" start tag at or after from, or SIZE_MAX. */
static size_t find_event_start(const struct xml_source *xs, size_t from)
{
    const char *p = xs->buf + from;
    const char *end = xs->buf + xs->len;
    while ((p = memmem(p, (size_t)(end - p), "<Event", 6)) != NULL) {
        if (p + 6 >= end) {
            return SIZE_MAX;
        }
        char next = p[6];
        if (next == '>' || next == ' ' || next == '\t' || next == '\r' || next == '\n' ||
            next == '/') {
            return (size_t)(p - xs->buf);
        }
        p += 6;
    }
    return SIZE_MAX;
}

static unsigned long count_lines(const char *p, size_t n)
{
    unsigned long lines = 0;
    for (size_t i = 0; i < n; i++) {
        lines += p[i] == '\n';
    }
    return lines;
}

/* Drops buf[start, to), keeping the line count current. */
static void xml_consume(struct xml_source *xs, size_t to)
{
    xs->line += count_lines(xs->buf + xs->start, to - xs->start);
    xs->start = to;
}

/* Parses buf[begin, end) as one event and emits it, or warns with its line. */
static void xml_parse_span(struct xml_source *xs, size_t begin, size_t end)
{
    struct event *ev = NULL;
    uint64_t record = 0;
    char err[300];
    unsigned line = 0;
    enum wa_status st = log_xml_parse_event(xs->parser, xs->buf + begin, end - begin, &ev, &record,
                                            err, sizeof(err), &line);
    unsigned long event_line = xs->line + count_lines(xs->buf + xs->start, begin - xs->start);
    if (st != WA_OK) {
        log_warn(&xs->src, "line %lu: event skipped: %s", event_line + (line > 0 ? line - 1 : 0),
                 err);
        log_skip_record(&xs->src);
        return;
    }
    log_emit(&xs->src, ev, record != 0 ? record : event_line);
}

/* Finds the span of the next event, reading more as needed. Returns false at the end. */
static bool xml_step(struct input *in)
{
    struct xml_source *xs = (struct xml_source *)in;
    for (;;) {
        size_t begin = find_event_start(xs, xs->start);
        if (begin == SIZE_MAX) {
            /* Keep a possible partial "<Event" at the end of the buffer. */
            size_t keep = xs->len - xs->start < 6 ? xs->len - xs->start : 6;
            xml_consume(xs, xs->len - keep);
            if (!xml_fill(xs)) {
                return false;
            }
            continue;
        }
        xml_consume(xs, begin);
        const char *close = memmem(xs->buf + begin, xs->len - begin, "</Event>", 8);
        size_t next = find_event_start(xs, begin + 6);
        if (close != NULL && (next == SIZE_MAX || (size_t)(close - xs->buf) < next)) {
            size_t end = (size_t)(close - xs->buf) + 8;
            xml_parse_span(xs, begin, end);
            xml_consume(xs, end);
            return true;
        }
        if (next != SIZE_MAX || xs->len - xs->start > LOG_RECORD_MAX ||
            (xs->eof && close == NULL)) {
            /* Unclosed <Event>: parse what there is so the warning names the error and line. */
            size_t end = next != SIZE_MAX ? next : xs->len;
            xml_parse_span(xs, begin, end);
            xml_consume(xs, end);
            return true;
        }
        if (!xml_fill(xs)) {
            continue;
        }
    }
}

static void xml_close(struct input *in)
{
    struct xml_source *xs = (struct xml_source *)in;
    if (xs->file != NULL) {
        fclose(xs->file);
    }
    log_xml_parser_free(xs->parser);
    free(xs->buf);
    free(xs);
}

struct input *log_xml_open(const char *path, char *err, size_t err_size)
{
    struct xml_source *xs = calloc(1, sizeof(*xs));
    if (xs == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        return NULL;
    }
    log_source_init(&xs->src, path, INPUT_XML);
    xs->src.in.step = xml_step;
    xs->src.in.close = xml_close;
    xs->line = 1;
    xs->cap = 1u << 20;
    xs->buf = malloc(xs->cap + 1);
    xs->parser = log_xml_parser_new();
    xs->file = fopen(path, "rb");
    if (xs->file == NULL) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        xml_close(&xs->src.in);
        return NULL;
    }
    if (xs->buf == NULL || xs->parser == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        xml_close(&xs->src.in);
        return NULL;
    }
    if (fseeko(xs->file, 0, SEEK_END) == 0) {
        off_t size = ftello(xs->file);
        xs->src.in.size_bytes = size > 0 ? (uint64_t)size : 0;
        rewind(xs->file);
    }
    return &xs->src.in;
}
