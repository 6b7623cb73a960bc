/* The event record: an arena of name/value pairs and its JSON form. */
#include "event.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Upper bound on one event's text, so a hostile task XML cannot grow it without limit. */
#define EVENT_ARENA_MAX (16u * 1024u * 1024u)

/*
 * First sizes of an event's text arena and of each field list. A rebuilt 5145
 * has 13 to 15 fields in each list and 500 to 700 bytes of text, so most
 * events are built without growing either.
 */
#define EVENT_ARENA_FIRST 768u
#define EVENT_FIELDS_FIRST 16u

/*
 * An event and its first arena and field lists are one allocation, so that a
 * typical event costs one malloc() and one free(). Space that outgrows it is
 * allocated separately.
 */
struct event_block {
    struct event ev;
    struct event_field items[2][EVENT_FIELDS_FIRST];
    char arena[EVENT_ARENA_FIRST];
};

struct event *event_new(uint32_t event_id, int64_t time_us, enum event_origin origin)
{
    struct event_block *block = malloc(sizeof(*block));
    if (block == NULL) {
        return NULL;
    }
    struct event *ev = &block->ev;
    memset(ev, 0, sizeof(*ev));
    ev->event_id = event_id;
    ev->time_us = time_us;
    ev->origin = origin;
    ev->arena = block->arena;
    ev->arena_cap = EVENT_ARENA_FIRST;
    for (int l = 0; l < 2; l++) {
        ev->lists[l].items = block->items[l];
        ev->lists[l].cap = EVENT_FIELDS_FIRST;
    }
    return ev;
}

void event_free(struct event *ev)
{
    if (ev == NULL) {
        return;
    }
    for (int l = 0; l < 2; l++) {
        if (ev->items_heap[l]) {
            free(ev->lists[l].items);
        }
    }
    if (ev->arena_heap) {
        free(ev->arena);
    }
    free(ev);
}

/*
 * Grows a buffer of old_size bytes at *buf to new_size bytes: realloc() when it
 * is on the heap (*heap), else a new allocation holding a copy. Returns false
 * when out of memory, leaving the buffer as it was.
 */
static bool grow(void **buf, bool *heap, size_t old_size, size_t new_size)
{
    void *grown = *heap ? realloc(*buf, new_size) : malloc(new_size);
    if (grown == NULL) {
        return false;
    }
    if (!*heap) {
        memcpy(grown, *buf, old_size);
        *heap = true;
    }
    *buf = grown;
    return true;
}

/* Copies len bytes plus a NUL into the arena; returns the offset or UINT32_MAX. */
static uint32_t arena_put(struct event *ev, const char *s, size_t len)
{
    if (len >= EVENT_ARENA_MAX || ev->arena_used + len + 1 > EVENT_ARENA_MAX) {
        return UINT32_MAX;
    }
    uint32_t need = ev->arena_used + (uint32_t)len + 1;
    if (need > ev->arena_cap) {
        uint32_t cap = ev->arena_cap;
        while (cap < need) {
            cap *= 2;
        }
        void *arena = ev->arena;
        if (!grow(&arena, &ev->arena_heap, ev->arena_used, cap)) {
            return UINT32_MAX;
        }
        ev->arena = arena;
        ev->arena_cap = cap;
    }
    uint32_t off = ev->arena_used;
    memcpy(ev->arena + off, s, len);
    ev->arena[off + len] = '\0';
    ev->arena_used = need;
    return off;
}

/*
 * Returns a hash of name that ignores ASCII case, and its length in *len. Names
 * equal under strcmp() or strcasecmp() hash alike, so a lookup compares the
 * text only of fields whose hash matches. The hash covers the length and the
 * first and last eight bytes, which tell field names apart at a fraction of
 * the cost of hashing every byte. Names that differ only in between collide
 * and cost one string compare.
 */
static uint32_t name_hash(const char *name, size_t *len)
{
    size_t n = strlen(name);
    *len = n;
    uint64_t head = 0;
    uint64_t tail = 0;
    size_t part = n < 8 ? n : 8;
    memcpy(&head, name, part);
    memcpy(&tail, name + n - part, part);
    /* Setting bit 5 of every byte folds A-Z onto a-z; other bytes may collide. */
    const uint64_t fold = 0x2020202020202020u;
    uint64_t h = ((head | fold) * 0x9e3779b97f4a7c15u) ^ ((tail | fold) + n);
    h *= 0xff51afd7ed558ccdu;
    return (uint32_t)(h >> 32);
}

static struct event_field *field_find(struct event_field_list *fl, const char *arena,
                                      const char *name, uint32_t hash)
{
    for (uint32_t i = 0; i < fl->count; i++) {
        if (fl->items[i].name_hash == hash && strcmp(arena + fl->items[i].name_off, name) == 0) {
            return &fl->items[i];
        }
    }
    return NULL;
}

static enum wa_status field_store(struct event *ev, enum event_list list, const char *name,
                                  const char *value, size_t value_len, bool numeric)
{
    struct event_field_list *fl = &ev->lists[list];
    size_t name_len;
    uint32_t hash = name_hash(name, &name_len);
    struct event_field *f = field_find(fl, ev->arena, name, hash);
    if (f == NULL) {
        if (fl->count == fl->cap) {
            void *items = fl->items;
            if (!grow(&items, &ev->items_heap[list], fl->cap * sizeof(*fl->items),
                      2 * fl->cap * sizeof(*fl->items))) {
                return WA_NOMEM;
            }
            fl->items = items;
            fl->cap *= 2;
        }
        uint32_t name_off = arena_put(ev, name, name_len);
        if (name_off == UINT32_MAX) {
            return WA_LIMIT;
        }
        f = &fl->items[fl->count++];
        f->name_off = name_off;
        f->value_off = UINT32_MAX;
        f->name_hash = hash;
    }
    uint32_t value_off = arena_put(ev, value, value_len);
    if (value_off == UINT32_MAX) {
        if (f->value_off == UINT32_MAX) {
            fl->count--;
        }
        return WA_LIMIT;
    }
    f->value_off = value_off;
    f->numeric = numeric;
    return WA_OK;
}

enum wa_status event_set(struct event *ev, enum event_list list, const char *name,
                         const char *value)
{
    return field_store(ev, list, name, value, strlen(value), false);
}

enum wa_status event_set_n(struct event *ev, enum event_list list, const char *name,
                           const char *value, size_t value_len)
{
    return field_store(ev, list, name, value, value_len, false);
}

enum wa_status event_setf(struct event *ev, enum event_list list, const char *name,
                          const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return WA_MALFORMED;
    }
    if ((size_t)n < sizeof(small)) {
        return field_store(ev, list, name, small, (size_t)n, false);
    }
    char *big = malloc((size_t)n + 1);
    if (big == NULL) {
        return WA_NOMEM;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    enum wa_status st = field_store(ev, list, name, big, (size_t)n, false);
    free(big);
    return st;
}

/* Writes value in decimal to the end of buf (at least 20 bytes); returns where the digits start. */
static char *format_u64(uint64_t value, char *end)
{
    char *p = end;
    do {
        *--p = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    return p;
}

enum wa_status event_set_hex(struct event *ev, enum event_list list, const char *name,
                             uint64_t value, unsigned min_digits)
{
    static const char hex[] = "0123456789abcdef";
    char text[20];
    char *p = text + sizeof(text);
    unsigned digits = 0;
    do {
        *--p = hex[value & 0xf];
        value >>= 4;
        digits++;
    } while (value != 0 || (digits < min_digits && digits < 16));
    *--p = 'x';
    *--p = '0';
    return field_store(ev, list, name, p, (size_t)(text + sizeof(text) - p), false);
}

enum wa_status event_set_decimal(struct event *ev, enum event_list list, const char *name,
                                 uint64_t value)
{
    char text[24];
    char *digits = format_u64(value, text + sizeof(text));
    return field_store(ev, list, name, digits, (size_t)(text + sizeof(text) - digits), false);
}

enum wa_status event_set_u64(struct event *ev, enum event_list list, const char *name,
                             uint64_t value)
{
    char text[24];
    char *digits = format_u64(value, text + sizeof(text));
    return field_store(ev, list, name, digits, (size_t)(text + sizeof(text) - digits), true);
}

const char *event_get(const struct event *ev, enum event_list list, const char *name)
{
    const struct event_field_list *fl = &ev->lists[list];
    size_t name_len;
    uint32_t hash = name_hash(name, &name_len);
    for (uint32_t i = 0; i < fl->count; i++) {
        if (fl->items[i].name_hash == hash &&
            strcasecmp(ev->arena + fl->items[i].name_off, name) == 0) {
            return ev->arena + fl->items[i].value_off;
        }
    }
    return NULL;
}

const char *event_field(const struct event *ev, const char *name)
{
    return event_get(ev, EVENT_DATA, name);
}

const char *event_name_at(const struct event *ev, enum event_list list, uint32_t i)
{
    return ev->arena + ev->lists[list].items[i].name_off;
}

const char *event_value_at(const struct event *ev, enum event_list list, uint32_t i)
{
    return ev->arena + ev->lists[list].items[i].value_off;
}

struct event *event_clone(const struct event *ev)
{
    struct event *copy = event_new(ev->event_id, ev->time_us, ev->origin);
    if (copy == NULL) {
        return NULL;
    }
    char *arena = copy->arena;
    struct event_field *items[2] = {copy->lists[0].items, copy->lists[1].items};
    *copy = *ev;
    copy->arena = arena;
    copy->arena_cap = EVENT_ARENA_FIRST;
    copy->arena_heap = false;
    for (int l = 0; l < 2; l++) {
        copy->lists[l].items = items[l];
        copy->lists[l].cap = EVENT_FIELDS_FIRST;
        copy->items_heap[l] = false;
    }
    void *buf = copy->arena;
    if (ev->arena_used > copy->arena_cap) {
        if (!grow(&buf, &copy->arena_heap, 0, ev->arena_used)) {
            goto fail;
        }
        copy->arena = buf;
        copy->arena_cap = ev->arena_used;
    }
    memcpy(copy->arena, ev->arena, ev->arena_used);
    for (int l = 0; l < 2; l++) {
        size_t bytes = ev->lists[l].count * sizeof(struct event_field);
        if (ev->lists[l].count > copy->lists[l].cap) {
            buf = copy->lists[l].items;
            if (!grow(&buf, &copy->items_heap[l], 0, bytes)) {
                goto fail;
            }
            copy->lists[l].items = buf;
            copy->lists[l].cap = ev->lists[l].count;
        }
        memcpy(copy->lists[l].items, ev->lists[l].items, bytes);
    }
    return copy;
fail:
    copy->lists[0].count = 0;
    copy->lists[1].count = 0;
    event_free(copy);
    return NULL;
}

/* Size of the text of one second, "YYYY-MM-DDTHH:MM:SS", with room for years past 9999. */
#define SECOND_TEXT_SIZE 48

/*
 * Writes "YYYY-MM-DDTHH:MM:SS" of secs into out; returns false when gmtime_r()
 * cannot represent it. Events come in time order, so the text of the last
 * second is kept per thread and reused.
 */
static bool format_second(int64_t secs, char out[SECOND_TEXT_SIZE])
{
    static _Thread_local int64_t cached_secs = INT64_MIN;
    static _Thread_local char cached[SECOND_TEXT_SIZE];
    if (secs != cached_secs) {
        time_t t = (time_t)secs;
        struct tm tm;
        if (gmtime_r(&t, &tm) == NULL) {
            return false;
        }
        snprintf(cached, sizeof(cached), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_secs = secs;
    }
    memcpy(out, cached, sizeof(cached));
    return true;
}

char *event_format_time(int64_t time_us, char *buf, size_t size)
{
    int64_t secs = time_us / 1000000;
    int64_t micros = time_us % 1000000;
    if (micros < 0) {
        micros += 1000000;
        secs -= 1;
    }
    char second[SECOND_TEXT_SIZE];
    if (!format_second(secs, second)) {
        snprintf(buf, size, "invalid");
        return buf;
    }
    snprintf(buf, size, "%s.%06dZ", second, (int)micros);
    return buf;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool parse_digits(const char **p, int count, int64_t *out)
{
    int64_t v = 0;
    for (int i = 0; i < count; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9') {
            return false;
        }
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += count;
    *out = v;
    return true;
}

bool event_parse_time(const char *text, int64_t *time_us)
{
    const char *p = text;
    int64_t y, mo, d, h, mi, s;
    if (!parse_digits(&p, 4, &y) || *p++ != '-' || !parse_digits(&p, 2, &mo) || *p++ != '-' ||
        !parse_digits(&p, 2, &d)) {
        return false;
    }
    if (*p != 'T' && *p != 't' && *p != ' ') {
        return false;
    }
    p++;
    if (!parse_digits(&p, 2, &h) || *p++ != ':' || !parse_digits(&p, 2, &mi) || *p++ != ':' ||
        !parse_digits(&p, 2, &s)) {
        return false;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
        return false;
    }
    int64_t micros = 0;
    if (*p == '.' || *p == ',') {
        p++;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            if (digits < 6) {
                micros = micros * 10 + (*p - '0');
            }
            digits++;
            p++;
        }
        if (digits == 0) {
            return false;
        }
        for (; digits < 6; digits++) {
            micros *= 10;
        }
    }
    int64_t offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        p++;
        int64_t oh, om = 0;
        if (!parse_digits(&p, 2, &oh)) {
            return false;
        }
        if (*p == ':') {
            p++;
        }
        if (*p != '\0') {
            if (!parse_digits(&p, 2, &om)) {
                return false;
            }
        }
        offset_s = sign * (oh * 3600 + om * 60);
    }
    if (*p != '\0') {
        return false;
    }
    int64_t days = days_from_civil(y, mo, d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + s - offset_s;
    *time_us = secs * 1000000 + micros;
    return true;
}

/* Length of the valid UTF-8 sequence at s, or 0 when the bytes there are not valid UTF-8. */
static size_t utf8_sequence_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        n = 2;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return n;
}

/*
 * JSON text is built in this buffer and handed to stdio in large pieces,
 * because stdio's per-call locking costs more than the formatting of a
 * short value.
 */
struct jbuf {
    FILE *out;
    size_t len;
    char data[4096];
};

static void jb_flush(struct jbuf *b)
{
    if (b->len != 0) {
        fwrite(b->data, 1, b->len, b->out);
        b->len = 0;
    }
}

static void jb_write(struct jbuf *b, const void *p, size_t n)
{
    if (n > sizeof(b->data) - b->len) {
        jb_flush(b);
        if (n > sizeof(b->data)) {
            fwrite(p, 1, n, b->out);
            return;
        }
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void jb_putc(struct jbuf *b, char c)
{
    if (b->len == sizeof(b->data)) {
        jb_flush(b);
    }
    b->data[b->len++] = c;
}

static void jb_puts(struct jbuf *b, const char *s)
{
    jb_write(b, s, strlen(s));
}

static void jb_u64(struct jbuf *b, uint64_t value)
{
    char text[24];
    char *digits = format_u64(value, text + sizeof(text));
    jb_write(b, digits, (size_t)(text + sizeof(text) - digits));
}

/* Writes byte c as \u00XX. */
static void jb_escape_byte(struct jbuf *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char text[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
    jb_write(b, text, sizeof(text));
}

/* True for bytes that stand for themselves inside a JSON string: printable ASCII but '"' and '\\'. */
static bool json_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void jb_string(struct jbuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    jb_putc(b, '"');
    while (*p != '\0') {
        /* Copy the longest run of plain bytes at once; most values are all plain. */
        const unsigned char *run = p;
        while (json_plain(*p)) {
            p++;
        }
        if (p != run) {
            jb_write(b, run, (size_t)(p - run));
            continue;
        }
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            char text[2] = {'\\', (char)c};
            jb_write(b, text, 2);
            p++;
        } else if (c == '\n') {
            jb_write(b, "\\n", 2);
            p++;
        } else if (c == '\r') {
            jb_write(b, "\\r", 2);
            p++;
        } else if (c == '\t') {
            jb_write(b, "\\t", 2);
            p++;
        } else if (c < 0x80) {
            jb_escape_byte(b, c);
            p++;
        } else {
            size_t n = utf8_sequence_len(p);
            if (n == 0) {
                /* Not UTF-8: keep the byte's value visible as a Latin-1 code point. */
                jb_escape_byte(b, c);
                p++;
            } else {
                jb_write(b, p, n);
                p += n;
            }
        }
    }
    jb_putc(b, '"');
}

void json_write_string(FILE *out, const char *s)
{
    struct jbuf b;
    b.out = out;
    b.len = 0;
    jb_string(&b, s);
    jb_flush(&b);
}

/* Writes the pairs of list as JSON members, each preceded by a comma unless it is first. */
static void write_list(struct jbuf *b, const struct event *ev, enum event_list list, bool first)
{
    const struct event_field_list *fl = &ev->lists[list];
    for (uint32_t i = 0; i < fl->count; i++) {
        if (!first || i != 0) {
            jb_putc(b, ',');
        }
        jb_string(b, ev->arena + fl->items[i].name_off);
        jb_putc(b, ':');
        if (fl->items[i].numeric) {
            jb_puts(b, ev->arena + fl->items[i].value_off);
        } else {
            jb_string(b, ev->arena + fl->items[i].value_off);
        }
    }
}

bool event_write_json(const struct event *ev, FILE *out)
{
    struct jbuf b;
    b.out = out;
    b.len = 0;
    char when[40];
    jb_puts(&b, "{\"EventID\":");
    jb_u64(&b, ev->event_id);
    jb_puts(&b, ",\"TimeCreated\":\"");
    jb_puts(&b, event_format_time(ev->time_us, when, sizeof(when)));
    jb_putc(&b, '"');
    write_list(&b, ev, EVENT_DATA, false);
    jb_puts(&b, ",\"Source\":{\"origin\":");
    jb_puts(&b, ev->origin == EVENT_ORIGIN_WIRE ? "\"wire\"" : "\"host\"");
    if (ev->input != NULL) {
        jb_puts(&b, ",\"input\":");
        jb_string(&b, ev->input);
    }
    jb_puts(&b, ev->origin == EVENT_ORIGIN_WIRE ? ",\"frame\":" : ",\"record\":");
    jb_u64(&b, ev->record);
    if (ev->link != 0) {
        jb_puts(&b, ",\"linked\":true");
    }
    jb_putc(&b, '}');
    if (ev->lists[EVENT_WIRE].count != 0) {
        jb_puts(&b, ",\"Wire\":{");
        write_list(&b, ev, EVENT_WIRE, true);
        jb_putc(&b, '}');
    }
    jb_write(&b, "}\n", 2);
    jb_flush(&b);
    return !ferror(out);
}
