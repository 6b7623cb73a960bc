/*
 * Matching of compiled Sigma values against event fields: wildcards, windash,
 * regular expressions (PCRE2), CIDR ranges, numeric comparisons, exists,
 * null and field references.
 */
#include "sigma.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- Glob compilation --------------------------------------------------- */

/*
 * Compiles a Sigma string value: '*' and '?' are wildcards, "\*", "\?" and
 * "\\" are the literal characters, and any other backslash is literal. With
 * windash, '-' and '/' match any of the five dash characters. The literal is
 * lower-cased unless v->cased is set. Returns false with a message on
 * allocation failure.
 */
bool sigma_value_compile_glob(struct sigma_value *v, const char *text, enum sigma_anchor anchor,
                              bool windash, char *err, size_t err_size)
{
    size_t n = strlen(text);
    uint16_t *tokens = malloc((n + 2) * sizeof(*tokens));
    char *lit = malloc(n + 1);
    if (tokens == NULL || lit == NULL) {
        free(tokens);
        free(lit);
        snprintf(err, err_size, "out of memory");
        return false;
    }
    size_t t = 0;
    size_t l = 0;
    bool plain = true;
    if (anchor == ANCHOR_SUFFIX || anchor == ANCHOR_CONTAINS) {
        tokens[t++] = GLOB_ANY_SEQ;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\\' && i + 1 < n &&
            (text[i + 1] == '*' || text[i + 1] == '?' || text[i + 1] == '\\')) {
            c = (unsigned char)text[++i];
        } else if (c == '*' || c == '?') {
            tokens[t++] = c == '*' ? GLOB_ANY_SEQ : GLOB_ANY_ONE;
            plain = false;
            continue;
        } else if (windash && (c == '-' || c == '/')) {
            tokens[t++] = GLOB_DASH;
            plain = false;
            continue;
        }
        if (!v->cased) {
            c = (unsigned char)tolower(c);
        }
        tokens[t++] = c;
        lit[l++] = (char)c;
    }
    if (anchor == ANCHOR_PREFIX || anchor == ANCHOR_CONTAINS) {
        tokens[t++] = GLOB_ANY_SEQ;
    }
    lit[l] = '\0';
    v->kind = SV_GLOB;
    v->anchor = anchor;
    v->plain = plain;
    v->lit = lit;
    v->lit_len = l;
    v->tokens = tokens;
    v->token_count = t;
    return true;
}

/* ---- Glob matching ------------------------------------------------------ */

static size_t utf8_char_len(const char *s, size_t left)
{
    unsigned char c = (unsigned char)s[0];
    size_t n = 1;
    if (c >= 0xf0) {
        n = 4;
    } else if (c >= 0xe0) {
        n = 3;
    } else if (c >= 0xc0) {
        n = 2;
    }
    return n <= left ? n : left;
}

/* Returns the bytes a dash token consumes at s, or 0 when s is not a dash. */
static size_t dash_len(const char *s, size_t left)
{
    if (left >= 1 && (s[0] == '-' || s[0] == '/')) {
        return 1;
    }
    /* U+2013 en dash, U+2014 em dash, U+2015 horizontal bar: E2 80 93..95 */
    if (left >= 3 && (unsigned char)s[0] == 0xe2 && (unsigned char)s[1] == 0x80 &&
        (unsigned char)s[2] >= 0x93 && (unsigned char)s[2] <= 0x95) {
        return 3;
    }
    return 0;
}

/* Returns the bytes token tok consumes at s, 0 when it does not match. tok is not GLOB_ANY_SEQ. */
static size_t token_step(uint16_t tok, const char *s, size_t left)
{
    if (left == 0) {
        return 0;
    }
    if (tok == GLOB_ANY_ONE) {
        return utf8_char_len(s, left);
    }
    if (tok == GLOB_DASH) {
        return dash_len(s, left);
    }
    return (unsigned char)s[0] == tok ? 1 : 0;
}

/*
 * Matches the whole of s against tokens. Iterative, with backtracking to the
 * last '*' only, so the cost is at most tokens times subject length.
 */
bool sigma_glob_match(const uint16_t *tokens, size_t count, const char *s, size_t len)
{
    size_t ti = 0;
    size_t si = 0;
    size_t star_ti = SIZE_MAX;
    size_t star_si = 0;
    while (si < len || ti < count) {
        if (ti < count && tokens[ti] == GLOB_ANY_SEQ) {
            star_ti = ti++;
            star_si = si;
            continue;
        }
        if (ti < count) {
            size_t step = token_step(tokens[ti], s + si, len - si);
            if (step != 0) {
                ti++;
                si += step;
                continue;
            }
        }
        if (star_ti == SIZE_MAX || star_si >= len) {
            return false;
        }
        star_si += utf8_char_len(s + star_si, len - star_si);
        ti = star_ti + 1;
        si = star_si;
    }
    return true;
}

static bool plain_match(const struct sigma_value *v, const char *s, size_t len)
{
    if (v->lit_len > len) {
        return false;
    }
    switch (v->anchor) {
    case ANCHOR_EXACT:
        return v->lit_len == len && memcmp(s, v->lit, len) == 0;
    case ANCHOR_PREFIX:
        return memcmp(s, v->lit, v->lit_len) == 0;
    case ANCHOR_SUFFIX:
        return memcmp(s + len - v->lit_len, v->lit, v->lit_len) == 0;
    case ANCHOR_CONTAINS:
        return memmem(s, len, v->lit, v->lit_len) != NULL;
    }
    return false;
}

static bool string_match(const struct sigma_value *v, const char *s, size_t len)
{
    if (v->plain) {
        return plain_match(v, s, len);
    }
    return sigma_glob_match(v->tokens, v->token_count, s, len);
}

/* ---- Other value kinds -------------------------------------------------- */

/* Parses "addr/bits" (IPv4 or IPv6) into v. Returns false when invalid. */
bool sigma_parse_cidr(const char *text, struct sigma_value *v)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", text);
    char *slash = strchr(buf, '/');
    unsigned bits = 0;
    if (slash != NULL) {
        *slash = '\0';
        char *end = NULL;
        unsigned long b = strtoul(slash + 1, &end, 10);
        if (end == slash + 1 || *end != '\0' || b > 128) {
            return false;
        }
        bits = (unsigned)b;
    }
    if (inet_pton(AF_INET, buf, v->addr) == 1) {
        v->family = 4;
        v->prefix_bits = slash != NULL ? bits : 32;
        return v->prefix_bits <= 32;
    }
    if (inet_pton(AF_INET6, buf, v->addr) == 1) {
        v->family = 6;
        v->prefix_bits = slash != NULL ? bits : 128;
        return true;
    }
    return false;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned bytes = bits / 8;
    if (memcmp(a, b, bytes) != 0) {
        return false;
    }
    unsigned rest = bits % 8;
    if (rest == 0) {
        return true;
    }
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[bytes] & mask) == (b[bytes] & mask);
}

/* IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match IPv4 ranges. */
static bool cidr_match(const struct sigma_value *v, const char *s)
{
    uint8_t addr[16];
    if (v->family == 4) {
        if (inet_pton(AF_INET, s, addr) == 1) {
            return prefix_equal(addr, v->addr, v->prefix_bits);
        }
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (inet_pton(AF_INET6, s, addr) == 1 && memcmp(addr, mapped, 12) == 0) {
            return prefix_equal(addr + 12, v->addr, v->prefix_bits);
        }
        return false;
    }
    return inet_pton(AF_INET6, s, addr) == 1 && prefix_equal(addr, v->addr, v->prefix_bits);
}

/* Parses a decimal or 0x-prefixed hexadecimal field value. */
static bool parse_number(const char *s, double *out)
{
    char *end = NULL;
    while (isspace((unsigned char)*s)) {
        s++;
    }
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        unsigned long long v = strtoull(s + 2, &end, 16);
        *out = (double)v;
        return end != s + 2 && *end == '\0';
    }
    *out = strtod(s, &end);
    return end != s && *end == '\0';
}

static bool number_match(const struct sigma_value *v, const char *s)
{
    double x = 0;
    if (!parse_number(s, &x)) {
        return false;
    }
    switch (v->op) {
    case NUM_LT:
        return x < v->number;
    case NUM_LTE:
        return x <= v->number;
    case NUM_GT:
        return x > v->number;
    case NUM_GTE:
        return x >= v->number;
    }
    return false;
}

static bool regex_match(struct match_ctx *ctx, const struct sigma_value *v, const char *s,
                        size_t len)
{
    int rc = pcre2_match(v->re, (PCRE2_SPTR)s, len, 0, 0, ctx->match_data, NULL);
    return rc >= 0;
}

/* Compares the field value s with the value of another field of the same event. */
static bool fieldref_match(struct match_ctx *ctx, const struct sigma_value *v, const char *s,
                           size_t len)
{
    size_t ref_len = 0;
    const char *ref = fields_get(ctx, v->ref_field, !v->cased, &ref_len);
    if (ref == NULL || ref_len > len) {
        return false;
    }
    switch (v->anchor) {
    case ANCHOR_EXACT:
        return ref_len == len && memcmp(s, ref, len) == 0;
    case ANCHOR_PREFIX:
        return memcmp(s, ref, ref_len) == 0;
    case ANCHOR_SUFFIX:
        return memcmp(s + len - ref_len, ref, ref_len) == 0;
    case ANCHOR_CONTAINS:
        return memmem(s, len, ref, ref_len) != NULL;
    }
    return false;
}

/* ---- Items -------------------------------------------------------------- */

/* Matches one value against the field text s (NULL when the field is absent). */
static bool value_match(struct match_ctx *ctx, const struct sigma_value *v, int field,
                        const char *raw, size_t len)
{
    switch (v->kind) {
    case SV_NULL:
        return raw == NULL;
    case SV_EXISTS:
        return (raw != NULL) == v->exists;
    default:
        break;
    }
    if (raw == NULL) {
        return false;
    }
    switch (v->kind) {
    case SV_GLOB: {
        size_t l = len;
        const char *s = v->cased ? raw : fields_get(ctx, field, true, &l);
        return string_match(v, s, l);
    }
    case SV_REGEX:
        return regex_match(ctx, v, raw, len);
    case SV_CIDR:
        return cidr_match(v, raw);
    case SV_NUMBER:
        return number_match(v, raw);
    case SV_FIELDREF: {
        size_t l = len;
        const char *s = v->cased ? raw : fields_get(ctx, field, true, &l);
        return fieldref_match(ctx, v, s, l);
    }
    default:
        return false;
    }
}

/* Keyword values match when any EventData value matches (text search over the event). */
static bool keyword_match(struct match_ctx *ctx, const struct sigma_value *v)
{
    const struct event *ev = ctx->ev;
    for (uint32_t i = 0; i < ev->lists[EVENT_DATA].count; i++) {
        const char *raw = event_value_at(ev, EVENT_DATA, i);
        size_t len = strlen(raw);
        if (v->kind == SV_REGEX) {
            if (regex_match(ctx, v, raw, len)) {
                return true;
            }
            continue;
        }
        const char *s = raw;
        if (!v->cased) {
            char *low = scratch_alloc(ctx->scratch, len + 1);
            if (low == NULL) {
                return false;
            }
            for (size_t k = 0; k <= len; k++) {
                low[k] = (char)tolower((unsigned char)raw[k]);
            }
            s = low;
        }
        if (v->kind == SV_GLOB && string_match(v, s, len)) {
            return true;
        }
    }
    return false;
}

static bool item_value_match(struct match_ctx *ctx, const struct sigma_item *item, uint32_t i,
                             const char *raw, size_t len)
{
    if (item->field == SIGMA_FIELD_KEYWORDS) {
        return keyword_match(ctx, &item->values[i]);
    }
    return value_match(ctx, &item->values[i], item->field, raw, len);
}

/*
 * Matches one item. Without "all", any value matching is enough. With "all",
 * every rule value (group) needs one matching alternative. "neq" inverts the
 * result, so an absent field matches a neq item.
 */
bool sigma_item_match(struct match_ctx *ctx, const struct sigma_item *item)
{
    size_t len = 0;
    const char *raw = NULL;
    if (item->field != SIGMA_FIELD_KEYWORDS) {
        raw = fields_get(ctx, item->field, false, &len);
    }
    bool result;
    if (!item->all) {
        result = false;
        for (uint32_t i = 0; i < item->value_count && !result; i++) {
            result = item_value_match(ctx, item, i, raw, len);
        }
    } else {
        result = true;
        for (uint32_t g = 0; g < item->group_count && result; g++) {
            bool any = false;
            for (uint32_t i = 0; i < item->value_count && !any; i++) {
                any = item->group[i] == g && item_value_match(ctx, item, i, raw, len);
            }
            result = any;
        }
    }
    return item->negate ? !result : result;
}

bool sigma_map_match(struct match_ctx *ctx, const struct sigma_map *map)
{
    for (uint32_t i = 0; i < map->item_count; i++) {
        if (!sigma_item_match(ctx, &map->items[i])) {
            return false;
        }
    }
    return true;
}

void sigma_value_free(struct sigma_value *v)
{
    free(v->lit);
    free(v->tokens);
    if (v->re != NULL) {
        pcre2_code_free(v->re);
    }
}
