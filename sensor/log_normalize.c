/* Renders imported field values the way Windows writes them in its event XML. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log_private.h"

/* Keywords bits of the Security log (winmeta.xml): audit success and audit failure. */
#define KEYWORD_AUDIT_SUCCESS 0x0020000000000000ULL
#define KEYWORD_AUDIT_FAILURE 0x0010000000000000ULL

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Parses exactly "0x" followed by 1 to 16 hex digits. */
static bool parse_hex(const char *text, size_t len, uint64_t *value)
{
    if (len < 3 || len > 18 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 2; i < len; i++) {
        int d = hex_digit(text[i]);
        if (d < 0) {
            return false;
        }
        v = (v << 4) | (uint64_t)d;
    }
    *value = v;
    return true;
}

bool log_parse_u64(const char *text, size_t len, uint64_t *value)
{
    if (parse_hex(text, len, value)) {
        return true;
    }
    if (len == 0 || len > 20) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
        uint64_t digit = (uint64_t)(text[i] - '0');
        if (v > (UINT64_MAX - digit) / 10) {
            return false;
        }
        v = v * 10 + digit;
    }
    *value = v;
    return true;
}

/* Copies the AccessList codes of value into out separated by single spaces. */
static size_t join_access_list(const char *value, size_t len, char *out)
{
    size_t n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len &&
               (value[i] == ' ' || value[i] == '\t' || value[i] == '\r' || value[i] == '\n')) {
            i++;
        }
        if (i == len) {
            break;
        }
        if (n != 0) {
            out[n++] = ' ';
        }
        while (i < len && value[i] != ' ' && value[i] != '\t' && value[i] != '\r' &&
               value[i] != '\n') {
            out[n++] = value[i++];
        }
    }
    return n;
}

enum wa_status log_set_field(struct event *ev, const char *name, const char *value, size_t len)
{
    uint64_t number;
    if (parse_hex(value, len, &number)) {
        return event_setf(ev, EVENT_DATA, name, "0x%llx", (unsigned long long)number);
    }
    if (strcmp(name, "AccessList") == 0 && len < LOG_RECORD_MAX) {
        char small[512] = {0};
        char *out = len <= sizeof(small) ? small : malloc(len);
        if (out == NULL) {
            return WA_NOMEM;
        }
        size_t n = join_access_list(value, len, out);
        enum wa_status st = event_set_n(ev, EVENT_DATA, name, out, n);
        if (out != small) {
            free(out);
        }
        return st;
    }
    return event_set_n(ev, EVENT_DATA, name, value, len);
}

void log_format_keywords(uint64_t keywords, char *buf, size_t size)
{
    if ((keywords & KEYWORD_AUDIT_FAILURE) != 0) {
        snprintf(buf, size, "Audit Failure");
    } else if ((keywords & KEYWORD_AUDIT_SUCCESS) != 0) {
        snprintf(buf, size, "Audit Success");
    } else {
        snprintf(buf, size, "0x%llx", (unsigned long long)keywords);
    }
}

const char *log_canonical_channel(const char *name)
{
    static const char *const known[] = {"Security", "System", "Application", "Setup",
                                        "Windows PowerShell"};
    for (size_t i = 0; i < WA_ARRAY_LEN(known); i++) {
        if (strcasecmp(name, known[i]) == 0) {
            return known[i];
        }
    }
    return name;
}

enum wa_status log_set_system(struct event *ev, const char *computer, const char *channel,
                              const char *provider, const char *keywords)
{
    enum wa_status st = WA_OK;
    if (computer != NULL) {
        st = event_set(ev, EVENT_DATA, "Computer", computer);
    }
    if (st == WA_OK && channel != NULL) {
        st = event_set(ev, EVENT_DATA, "Channel", log_canonical_channel(channel));
    }
    if (st == WA_OK && provider != NULL) {
        st = event_set(ev, EVENT_DATA, "Provider", provider);
    }
    if (st == WA_OK && keywords != NULL) {
        st = event_set(ev, EVENT_DATA, "Keywords", keywords);
    }
    return st;
}
