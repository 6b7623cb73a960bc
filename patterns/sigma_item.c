/*
 * Compiles one Sigma detection item, "Field|modifier|...: value or list",
 * into struct sigma_item: modifiers are checked and applied at load time
 * (lower-cased literals, compiled regexes, encoded base64 variants) so that
 * matching does no parsing. Modifier semantics follow the Sigma modifiers
 * appendix of the Sigma specification 2.0.
 */
#include "sigma_load.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum modifier_flag {
    MOD_CONTAINS = 1u << 0,
    MOD_STARTSWITH = 1u << 1,
    MOD_ENDSWITH = 1u << 2,
    MOD_ALL = 1u << 3,
    MOD_EXISTS = 1u << 4,
    MOD_CASED = 1u << 5,
    MOD_NEQ = 1u << 6,
    MOD_RE = 1u << 7,
    MOD_RE_I = 1u << 8,
    MOD_RE_M = 1u << 9,
    MOD_RE_S = 1u << 10,
    MOD_WINDASH = 1u << 11,
    MOD_BASE64 = 1u << 12,
    MOD_BASE64OFFSET = 1u << 13,
    MOD_UTF16LE = 1u << 14,
    MOD_UTF16BE = 1u << 15,
    MOD_LT = 1u << 16,
    MOD_LTE = 1u << 17,
    MOD_GT = 1u << 18,
    MOD_GTE = 1u << 19,
    MOD_CIDR = 1u << 20,
    MOD_FIELDREF = 1u << 21,
};

struct modifier_name {
    const char *name;
    unsigned flag;
};

static const struct modifier_name modifier_names[] = {
    {"contains", MOD_CONTAINS},
    {"startswith", MOD_STARTSWITH},
    {"endswith", MOD_ENDSWITH},
    {"all", MOD_ALL},
    {"exists", MOD_EXISTS},
    {"cased", MOD_CASED},
    {"neq", MOD_NEQ},
    {"re", MOD_RE},
    {"i", MOD_RE_I},
    {"m", MOD_RE_M},
    {"s", MOD_RE_S},
    {"windash", MOD_WINDASH},
    {"base64", MOD_BASE64},
    {"base64offset", MOD_BASE64OFFSET},
    {"utf16le", MOD_UTF16LE},
    {"utf16be", MOD_UTF16BE},
    {"wide", MOD_UTF16LE},
    {"utf16", MOD_UTF16LE},
    {"lt", MOD_LT},
    {"lte", MOD_LTE},
    {"gt", MOD_GT},
    {"gte", MOD_GTE},
    {"cidr", MOD_CIDR},
    {"fieldref", MOD_FIELDREF},
};

#define MOD_ANCHORS (MOD_CONTAINS | MOD_STARTSWITH | MOD_ENDSWITH)
#define MOD_NUMBERS (MOD_LT | MOD_LTE | MOD_GT | MOD_GTE)
#define MOD_ENCODINGS (MOD_BASE64 | MOD_BASE64OFFSET | MOD_UTF16LE | MOD_UTF16BE)

/* Modifiers as parsed from the key, in written order where order matters. */
struct modifiers {
    unsigned flags;
    bool windash_before_base64;
};

static unsigned count_bits(unsigned x)
{
    unsigned n = 0;
    for (; x != 0; x &= x - 1) {
        n++;
    }
    return n;
}

/* Splits "Field|mod|mod" into field and modifiers, rejecting unknown or conflicting ones. */
static bool parse_modifiers(struct load_ctx *ctx, const yaml_node_t *key, const char *text,
                            char *field, size_t field_size, struct modifiers *mods)
{
    const char *bar = strchr(text, '|');
    size_t n = bar != NULL ? (size_t)(bar - text) : strlen(text);
    snprintf(field, field_size, "%.*s", (int)n, text);
    memset(mods, 0, sizeof(*mods));
    while (bar != NULL) {
        const char *name = bar + 1;
        bar = strchr(name, '|');
        size_t len = bar != NULL ? (size_t)(bar - name) : strlen(name);
        unsigned flag = 0;
        for (size_t i = 0; i < WA_ARRAY_LEN(modifier_names) && flag == 0; i++) {
            if (strlen(modifier_names[i].name) == len &&
                strncmp(modifier_names[i].name, name, len) == 0) {
                flag = modifier_names[i].flag;
            }
        }
        if (flag == 0) {
            sigma_load_error(ctx, key, "unsupported modifier '%.*s' in '%s'", (int)len, name, text);
            return false;
        }
        if (flag == MOD_WINDASH && (mods->flags & (MOD_BASE64 | MOD_BASE64OFFSET)) == 0) {
            mods->windash_before_base64 = true;
        }
        mods->flags |= flag;
    }
    unsigned f = mods->flags;
    const char *conflict = NULL;
    if (count_bits(f & MOD_ANCHORS) > 1) {
        conflict = "more than one of contains, startswith and endswith";
    } else if ((f & (MOD_RE_I | MOD_RE_M | MOD_RE_S)) != 0 && (f & MOD_RE) == 0) {
        conflict = "regular expression flags i, m and s without 're'";
    } else if ((f & MOD_RE) != 0 && (f & (MOD_ANCHORS | MOD_ENCODINGS | MOD_WINDASH)) != 0) {
        conflict = "'re' combined with a string modifier";
    } else if (count_bits(f & MOD_NUMBERS) > 1) {
        conflict = "more than one of lt, lte, gt and gte";
    } else if ((f & (MOD_UTF16LE | MOD_UTF16BE)) != 0 &&
               (f & (MOD_BASE64 | MOD_BASE64OFFSET)) == 0) {
        conflict = "utf16le, utf16be or wide without base64 or base64offset (event values "
                   "are UTF-8 text)";
    } else if ((f & MOD_BASE64) != 0 && (f & MOD_BASE64OFFSET) != 0) {
        conflict = "both base64 and base64offset";
    } else if ((f & MOD_WINDASH) != 0 && (f & (MOD_BASE64 | MOD_BASE64OFFSET)) != 0) {
        conflict = "windash combined with base64 or base64offset";
    } else if ((f & MOD_EXISTS) != 0 && f != MOD_EXISTS) {
        conflict = "'exists' combined with other modifiers";
    }
    if (conflict != NULL) {
        sigma_load_error(ctx, key, "unsupported modifier combination in '%s': %s", text, conflict);
        return false;
    }
    return true;
}

/* ---- Values ------------------------------------------------------------- */

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const uint8_t *in, size_t n)
{
    char *out = malloc((n + 2) / 3 * 4 + 1);
    if (out == NULL) {
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        v |= i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0;
        v |= i + 2 < n ? in[i + 2] : 0;
        out[o++] = base64_alphabet[(v >> 18) & 63];
        out[o++] = base64_alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < n ? base64_alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? base64_alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

/* Encodes UTF-8 text as UTF-16 (BMP and surrogate pairs) and returns the byte length. */
static size_t utf16_encode(const char *s, bool big_endian, uint8_t *out)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p != '\0') {
        uint32_t cp = *p++;
        size_t extra = 0;
        if (cp >= 0xf0) {
            extra = 3;
            cp &= 0x07;
        } else if (cp >= 0xe0) {
            extra = 2;
            cp &= 0x0f;
        } else if (cp >= 0xc0) {
            extra = 1;
            cp &= 0x1f;
        }
        for (size_t i = 0; i < extra && (*p & 0xc0) == 0x80; i++) {
            cp = (cp << 6) | (*p++ & 0x3f);
        }
        uint16_t units[2] = {(uint16_t)cp, 0};
        size_t count = 1;
        if (cp > 0xffff) {
            cp -= 0x10000;
            units[0] = (uint16_t)(0xd800 | (cp >> 10));
            units[1] = (uint16_t)(0xdc00 | (cp & 0x3ff));
            count = 2;
        }
        for (size_t i = 0; i < count; i++) {
            out[o++] = (uint8_t)(big_endian ? units[i] >> 8 : units[i] & 0xff);
            out[o++] = (uint8_t)(big_endian ? units[i] & 0xff : units[i] >> 8);
        }
    }
    return o;
}

/* Item under construction: values and the rule value each came from. */
struct value_list {
    struct sigma_value *values;
    uint32_t *group;
    uint32_t count;
    uint32_t cap;
};

static struct sigma_value *push_value(struct value_list *list, uint32_t group)
{
    if (list->count == list->cap) {
        uint32_t cap = list->cap != 0 ? list->cap * 2 : 4;
        struct sigma_value *v = realloc(list->values, cap * sizeof(*v));
        if (v == NULL) {
            return NULL;
        }
        list->values = v;
        uint32_t *g = realloc(list->group, cap * sizeof(*g));
        if (g == NULL) {
            return NULL;
        }
        list->group = g;
        list->cap = cap;
    }
    struct sigma_value *v = &list->values[list->count];
    memset(v, 0, sizeof(*v));
    list->group[list->count++] = group;
    return v;
}

static enum sigma_anchor anchor_of(unsigned flags)
{
    if (flags & MOD_CONTAINS) {
        return ANCHOR_CONTAINS;
    }
    if (flags & MOD_STARTSWITH) {
        return ANCHOR_PREFIX;
    }
    if (flags & MOD_ENDSWITH) {
        return ANCHOR_SUFFIX;
    }
    return ANCHOR_EXACT;
}

/* Returns text with Sigma escapes resolved, or NULL when it contains an unescaped wildcard. */
static char *unescape_plain(const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; out != NULL && i < n; i++) {
        char c = text[i];
        if (c == '\\' && i + 1 < n &&
            (text[i + 1] == '*' || text[i + 1] == '?' || text[i + 1] == '\\')) {
            c = text[++i];
        } else if (c == '*' || c == '?') {
            free(out);
            return NULL;
        }
        out[o++] = c;
    }
    if (out != NULL) {
        out[o] = '\0';
    }
    return out;
}

/* base64 and base64offset: one (base64) or three (base64offset) encoded variants. */
static bool add_base64_values(struct load_ctx *ctx, const yaml_node_t *node, unsigned flags,
                              const char *text, bool cased, struct value_list *list, uint32_t group)
{
    char *plain = unescape_plain(text);
    if (plain == NULL) {
        sigma_load_error(ctx, node, "invalid value '%s': wildcards cannot be base64-encoded", text);
        return false;
    }
    size_t n = strlen(plain);
    uint8_t *bytes = malloc(4 * n + 4);
    if (bytes == NULL) {
        free(plain);
        sigma_load_error(ctx, node, "out of memory");
        return false;
    }
    size_t len = n;
    if (flags & (MOD_UTF16LE | MOD_UTF16BE)) {
        len = utf16_encode(plain, (flags & MOD_UTF16BE) != 0, bytes + 2);
    } else {
        memcpy(bytes + 2, plain, n);
    }
    free(plain);
    bool offsets = (flags & MOD_BASE64OFFSET) != 0;
    /*
     * base64offset: the value can start at any of the three byte positions of
     * a base64 group. Prefix 0, 1 or 2 filler bytes, encode, then drop the
     * leading characters that depend on the filler (0, 2 or 3) and the
     * trailing ones that depend on the padding.
     */
    static const size_t start_cut[3] = {0, 2, 3};
    static const size_t end_cut[3] = {0, 3, 2};
    bool ok = true;
    for (size_t shift = 0; shift < (offsets ? 3u : 1u) && ok; shift++) {
        uint8_t *from = bytes + 2 - shift;
        memset(from, ' ', shift);
        char *enc = base64_encode(from, len + shift);
        if (enc == NULL) {
            ok = false;
            break;
        }
        size_t elen = strlen(enc);
        if (offsets) {
            size_t cut_end = end_cut[(len + shift) % 3];
            size_t begin = start_cut[shift];
            size_t end = elen >= cut_end ? elen - cut_end : 0;
            enc[end > begin ? end : begin] = '\0';
            memmove(enc, enc + begin, strlen(enc + begin) + 1);
        }
        struct sigma_value *v = push_value(list, group);
        char err[128];
        ok = v != NULL;
        if (ok) {
            v->cased = cased;
            ok = sigma_value_compile_glob(v, enc, offsets ? ANCHOR_CONTAINS : anchor_of(flags),
                                          false, err, sizeof(err));
        }
        free(enc);
    }
    free(bytes);
    if (!ok) {
        sigma_load_error(ctx, node, "out of memory");
    }
    return ok;
}

static bool add_regex_value(struct load_ctx *ctx, const yaml_node_t *node, unsigned flags,
                            const char *text, struct value_list *list, uint32_t group)
{
    uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    options |= (flags & MOD_RE_I) ? PCRE2_CASELESS : 0;
    options |= (flags & MOD_RE_M) ? PCRE2_MULTILINE : 0;
    options |= (flags & MOD_RE_S) ? PCRE2_DOTALL : 0;
    int code = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED, options, &code, &offset, NULL);
    if (re == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof(msg));
        sigma_load_error(ctx, node, "invalid regular expression '%s' at offset %zu: %s", text,
                         (size_t)offset, (const char *)msg);
        return false;
    }
    /* JIT is optional: without it, matching runs in the interpreter. */
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    struct sigma_value *v = push_value(list, group);
    if (v == NULL) {
        pcre2_code_free(re);
        sigma_load_error(ctx, node, "out of memory");
        return false;
    }
    v->kind = SV_REGEX;
    v->cased = true;
    v->re = re;
    return true;
}

/* Plain string value, with the AccessList and AccessMask renderings. */
static bool add_string_values(struct load_ctx *ctx, const yaml_node_t *node, unsigned flags,
                              const char *field, const char *text, struct value_list *list,
                              uint32_t group)
{
    char alternatives[8][256];
    unsigned n = 1;
    snprintf(alternatives[0], sizeof(alternatives[0]), "%s", text);
    bool short_text = strlen(text) < 200; /* renderings fit the 256-byte buffers */
    if (!short_text) {
        /* Compiled from text below, because no AccessList or AccessMask value is this long. */
    } else if (strcasecmp(field, "AccessList") == 0) {
        n = fields_access_alternatives(text, alternatives, 8);
    } else if (strcasecmp(field, "AccessMask") == 0 && anchor_of(flags) == ANCHOR_EXACT) {
        char buf[24];
        if (fields_normalize_hex(text, buf, sizeof(buf)) != NULL) {
            snprintf(alternatives[0], sizeof(alternatives[0]), "%s", buf);
        }
    } else if (ctx->source == LOGSOURCE_ZEEK_DCE_RPC && strcasecmp(field, "Operation") == 0 &&
               (anchor_of(flags) == ANCHOR_EXACT || anchor_of(flags) == ANCHOR_PREFIX)) {
        /*
         * Zeek names svcctl and winreg operations without the IDL's "R"
         * prefix (CreateServiceW), while the events use the IDL name
         * (RCreateServiceW), so a Zeek rule matches either form.
         */
        snprintf(alternatives[n++], sizeof(alternatives[0]), "R%s", text);
    }
    for (unsigned i = 0; i < n; i++) {
        const char *source = short_text ? alternatives[i] : text;
        struct sigma_value *v = push_value(list, group);
        char err[128];
        if (v == NULL) {
            sigma_load_error(ctx, node, "out of memory");
            return false;
        }
        v->cased = (flags & MOD_CASED) != 0;
        if (!sigma_value_compile_glob(v, source, anchor_of(flags), (flags & MOD_WINDASH) != 0, err,
                                      sizeof(err))) {
            sigma_load_error(ctx, node, "%s", err);
            return false;
        }
    }
    return true;
}

static bool add_number_value(struct load_ctx *ctx, const yaml_node_t *node, unsigned flags,
                             const char *text, struct value_list *list, uint32_t group)
{
    char *end = NULL;
    double x = strtod(text, &end);
    if (end == text || *end != '\0') {
        sigma_load_error(ctx, node, "invalid value '%s': lt, lte, gt and gte need a number", text);
        return false;
    }
    struct sigma_value *v = push_value(list, group);
    if (v == NULL) {
        sigma_load_error(ctx, node, "out of memory");
        return false;
    }
    v->kind = SV_NUMBER;
    v->number = x;
    v->op = (flags & MOD_LT)    ? NUM_LT
            : (flags & MOD_LTE) ? NUM_LTE
            : (flags & MOD_GT)  ? NUM_GT
                                : NUM_GTE;
    return true;
}

static bool add_value(struct load_ctx *ctx, const yaml_node_t *node, unsigned flags,
                      const char *field, struct value_list *list, uint32_t group)
{
    const char *text = ynode_text(node);
    if (ynode_is_null(node) && (flags & ~(MOD_ALL | MOD_NEQ)) == 0) {
        struct sigma_value *v = push_value(list, group);
        if (v == NULL) {
            return false;
        }
        v->kind = SV_NULL;
        return true;
    }
    if (text == NULL) {
        sigma_load_error(ctx, node, "invalid value for '%s': expected a string, a number or null",
                         field);
        return false;
    }
    if (flags & MOD_EXISTS) {
        bool yes = strcasecmp(text, "true") == 0 || strcasecmp(text, "yes") == 0;
        if (!yes && strcasecmp(text, "false") != 0 && strcasecmp(text, "no") != 0) {
            sigma_load_error(ctx, node, "invalid value '%s': 'exists' needs true or false", text);
            return false;
        }
        struct sigma_value *v = push_value(list, group);
        if (v == NULL) {
            return false;
        }
        v->kind = SV_EXISTS;
        v->exists = yes;
        return true;
    }
    if (flags & MOD_NUMBERS) {
        return add_number_value(ctx, node, flags, text, list, group);
    }
    if (flags & MOD_CIDR) {
        struct sigma_value *v = push_value(list, group);
        if (v == NULL) {
            return false;
        }
        v->kind = SV_CIDR;
        if (!sigma_parse_cidr(text, v)) {
            sigma_load_error(ctx, node, "invalid CIDR range '%s'", text);
            return false;
        }
        return true;
    }
    if (flags & MOD_RE) {
        return add_regex_value(ctx, node, flags, text, list, group);
    }
    if (flags & MOD_FIELDREF) {
        struct sigma_value *v = push_value(list, group);
        if (v == NULL) {
            return false;
        }
        v->kind = SV_FIELDREF;
        v->cased = (flags & MOD_CASED) != 0;
        v->anchor = anchor_of(flags);
        v->ref_field = fields_intern(&ctx->set->fields, fields_canonical_name(text, ctx->source));
        return v->ref_field >= 0;
    }
    if (flags & (MOD_BASE64 | MOD_BASE64OFFSET)) {
        return add_base64_values(ctx, node, flags, text, (flags & MOD_CASED) != 0, list, group);
    }
    return add_string_values(ctx, node, flags, field, text, list, group);
}

/* Returns the "Field|..." text of key, or "|..." for keyword items. */
static bool item_field(struct load_ctx *ctx, const yaml_node_t *key, char *field, size_t size,
                       struct modifiers *mods)
{
    if (key == NULL) {
        field[0] = '\0';
        memset(mods, 0, sizeof(*mods));
        return true;
    }
    const char *text = ynode_text(key);
    if (text == NULL) {
        sigma_load_error(ctx, key, "invalid field name: expected a string");
        return false;
    }
    return parse_modifiers(ctx, key, text, field, size, mods);
}

bool sigma_item_compile(struct load_ctx *ctx, const yaml_node_t *key, const yaml_node_t *value,
                        struct sigma_item *item)
{
    char field[256];
    struct modifiers mods;
    if (!item_field(ctx, key, field, sizeof(field), &mods)) {
        return false;
    }
    unsigned flags = mods.flags;
    if (key == NULL || (field[0] == '\0' && (flags & (MOD_ANCHORS | MOD_RE)) == 0)) {
        /* Keywords are a full-text search of the event: they match inside a value. */
        flags |= MOD_CONTAINS;
    }
    memset(item, 0, sizeof(*item));
    item->all = (flags & MOD_ALL) != 0;
    item->negate = (flags & MOD_NEQ) != 0;
    if (field[0] == '\0') {
        item->field = SIGMA_FIELD_KEYWORDS;
    } else {
        item->field = fields_intern(&ctx->set->fields, fields_canonical_name(field, ctx->source));
        if (item->field < 0) {
            sigma_load_error(ctx, key, "out of memory");
            return false;
        }
        if (!fields_is_known(field, ctx->source)) {
            sigma_load_warning(ctx, key,
                               "unknown field '%s': no Windows event field, alias or Zeek column "
                               "has that name, so this item matches only events that carry it",
                               field);
        }
        if (ctx->value_meta != NULL && strcasecmp(field, "EventID") != 0 &&
            !sigma_meta_add_value_field(ctx->value_meta, item->field)) {
            sigma_load_error(ctx, key, "out of memory");
            return false;
        }
        char canonical[256];
        snprintf(canonical, sizeof(canonical), "%s", fields_canonical_name(field, ctx->source));
        snprintf(field, sizeof(field), "%s", canonical);
    }
    struct value_list list = {0};
    bool ok = true;
    if (value != NULL && value->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *i = value->data.sequence.items.start;
             i < value->data.sequence.items.top && ok; i++) {
            yaml_node_t *v = yaml_document_get_node(ctx->doc, *i);
            ok = add_value(ctx, v, flags, field, &list, item->group_count++);
        }
        if (ok && list.count == 0) {
            sigma_load_error(ctx, value, "invalid value for '%s': empty list", field);
            ok = false;
        }
    } else if (value == NULL || value->type == YAML_SCALAR_NODE) {
        ok = add_value(ctx, value, flags, field, &list, item->group_count++);
    } else {
        sigma_load_error(ctx, value, "invalid value for '%s': expected a string or a list", field);
        ok = false;
    }
    item->values = list.values;
    item->group = list.group;
    item->value_count = list.count;
    return ok;
}

void sigma_item_free(struct sigma_item *item)
{
    for (uint32_t i = 0; i < item->value_count; i++) {
        sigma_value_free(&item->values[i]);
    }
    free(item->values);
    free(item->group);
}
