/* NDR 2.0 (C706) and NDR64 (MS-RPCE) reader for DCE-RPC stubs. */
#include "ndr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ndr_init(struct ndr *n, const uint8_t *stub, size_t len, bool big_endian, bool ndr64)
{
    memset(n, 0, sizeof(*n));
    cur_init(&n->cur, stub, len);
    n->big_endian = big_endian;
    n->ndr64 = ndr64;
}

void ndr_align(struct ndr *n, size_t align)
{
    cur_align(&n->cur, align);
}

void ndr_skip(struct ndr *n, size_t bytes)
{
    cur_skip(&n->cur, bytes);
}

uint8_t ndr_u8(struct ndr *n)
{
    return cur_u8(&n->cur);
}

uint16_t ndr_u16(struct ndr *n)
{
    cur_align(&n->cur, 2);
    return n->big_endian ? cur_be16(&n->cur) : cur_le16(&n->cur);
}

uint32_t ndr_u32(struct ndr *n)
{
    cur_align(&n->cur, 4);
    return n->big_endian ? cur_be32(&n->cur) : cur_le32(&n->cur);
}

uint64_t ndr_u64(struct ndr *n)
{
    cur_align(&n->cur, 8);
    if (!n->big_endian) {
        return cur_le64(&n->cur);
    }
    uint64_t high = cur_be32(&n->cur);
    uint64_t low = cur_be32(&n->cur);
    return (high << 32) | low;
}

uint64_t ndr_u3264(struct ndr *n)
{
    return n->ndr64 ? ndr_u64(n) : ndr_u32(n);
}

uint32_t ndr_enum(struct ndr *n)
{
    return n->ndr64 ? ndr_u32(n) : ndr_u16(n);
}

uint32_t ndr_count(struct ndr *n, uint32_t max)
{
    uint64_t count = ndr_u3264(n);
    if (count > max) {
        cur_fail(&n->cur);
        return 0;
    }
    return (uint32_t)count;
}

bool ndr_pointer(struct ndr *n, uint64_t *referent)
{
    uint64_t id = ndr_u3264(n);
    if (referent != NULL) {
        *referent = id;
    }
    return ndr_ok(n) && id != 0;
}

bool ndr_full_pointer(struct ndr *n)
{
    uint64_t id = 0;
    if (!ndr_pointer(n, &id)) {
        return false;
    }
    for (uint32_t i = 0; i < n->referent_count; i++) {
        if (n->referents[i] == id) {
            return false;
        }
    }
    if (n->referent_count < NDR_REFERENTS_MAX) {
        n->referents[n->referent_count++] = id;
    }
    return true;
}

void ndr_context_handle(struct ndr *n, uint8_t handle[20])
{
    ndr_align(n, 4);
    cur_copy(&n->cur, handle, 20, 20);
    if (!ndr_ok(n)) {
        memset(handle, 0, 20);
    }
}

void ndr_guid(struct ndr *n, char text[37])
{
    ndr_align(n, 4);
    uint32_t d1 = ndr_u32(n);
    uint16_t d2 = ndr_u16(n);
    uint16_t d3 = ndr_u16(n);
    const uint8_t *d4 = cur_view(&n->cur, 8);
    if (d4 == NULL) {
        text[0] = '\0';
        return;
    }
    snprintf(text, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", d1, d2, d3, d4[0], d4[1],
             d4[2], d4[3], d4[4], d4[5], d4[6], d4[7]);
}

/* Writes code point cp as UTF-8 at out[*used]. Returns false when it does not fit. */
static bool utf8_put(uint32_t cp, char *out, size_t out_size, size_t *used)
{
    char buf[4];
    size_t len;
    if (cp < 0x80) {
        buf[0] = (char)cp;
        len = 1;
    } else if (cp < 0x800) {
        buf[0] = (char)(0xc0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3f));
        len = 2;
    } else if (cp < 0x10000) {
        buf[0] = (char)(0xe0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        buf[2] = (char)(0x80 | (cp & 0x3f));
        len = 3;
    } else {
        buf[0] = (char)(0xf0 | (cp >> 18));
        buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        buf[3] = (char)(0x80 | (cp & 0x3f));
        len = 4;
    }
    if (*used + len + 1 > out_size) {
        return false;
    }
    memcpy(out + *used, buf, len);
    *used += len;
    return true;
}

static uint16_t unit_at(const uint8_t *p, size_t i, bool big_endian)
{
    const uint8_t *u = p + 2 * i;
    uint16_t high = big_endian ? u[0] : u[1];
    uint16_t low = big_endian ? u[1] : u[0];
    return (uint16_t)((unsigned)high << 8 | low);
}

bool ndr_utf16_to_utf8(const uint8_t *p, size_t count, bool big_endian, char *out, size_t out_size)
{
    size_t used = 0;
    bool complete = true;
    if (out_size == 0) {
        return count == 0;
    }
    for (size_t i = 0; i < count; i++) {
        uint32_t cp = unit_at(p, i, big_endian);
        if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < count) {
            uint32_t low = unit_at(p, i + 1, big_endian);
            if (low >= 0xdc00 && low <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                i++;
            } else {
                cp = 0xfffd;
            }
        } else if (cp >= 0xd800 && cp <= 0xdfff) {
            cp = 0xfffd; /* unpaired surrogate */
        }
        if (!utf8_put(cp, out, out_size, &used)) {
            complete = false;
            break;
        }
    }
    out[used] = '\0';
    return complete;
}

/* Copies count single-byte characters, replacing bytes outside ASCII with '?'. */
static bool copy_narrow(const uint8_t *p, size_t count, char *out, size_t out_size)
{
    if (out_size == 0) {
        return count == 0;
    }
    size_t n = WA_MIN(count, out_size - 1);
    for (size_t i = 0; i < n; i++) {
        out[i] = p[i] < 0x80 ? (char)p[i] : '?';
    }
    out[n] = '\0';
    return n == count;
}

/* Reads the characters of a varying string whose counts were already read. */
static void ndr_string_chars(struct ndr *n, uint32_t actual, bool wide, char *out, size_t out_size)
{
    size_t unit = wide ? 2 : 1;
    const uint8_t *p = cur_view(&n->cur, (size_t)actual * unit);
    if (p == NULL) {
        if (out_size != 0) {
            out[0] = '\0';
        }
        return;
    }
    size_t count = actual;
    if (count != 0 && (wide ? unit_at(p, count - 1, n->big_endian) == 0 : p[count - 1] == 0)) {
        count--;
    }
    bool complete = wide ? ndr_utf16_to_utf8(p, count, n->big_endian, out, out_size)
                         : copy_narrow(p, count, out, out_size);
    if (!complete) {
        n->truncated_strings++;
    }
}

void ndr_string(struct ndr *n, bool wide, char *out, size_t out_size)
{
    uint32_t max = ndr_count(n, NDR_COUNT_MAX);
    uint32_t offset = ndr_count(n, NDR_COUNT_MAX);
    uint32_t actual = ndr_count(n, NDR_COUNT_MAX);
    if (ndr_ok(n) && (uint64_t)offset + actual > max) {
        cur_fail(&n->cur);
    }
    if (!ndr_ok(n)) {
        if (out_size != 0) {
            out[0] = '\0';
        }
        return;
    }
    ndr_string_chars(n, actual, wide, out, out_size);
}

char *ndr_string_dup(struct ndr *n, bool wide, size_t max_bytes)
{
    uint32_t max = ndr_count(n, NDR_COUNT_MAX);
    uint32_t offset = ndr_count(n, NDR_COUNT_MAX);
    uint32_t actual = ndr_count(n, NDR_COUNT_MAX);
    if (ndr_ok(n) && (uint64_t)offset + actual > max) {
        cur_fail(&n->cur);
    }
    size_t unit = wide ? 2 : 1;
    if (!ndr_ok(n) || (size_t)actual * unit > cur_left(&n->cur)) {
        cur_skip(&n->cur, (size_t)actual * unit); /* sets TRUNCATED when it does not fit */
        return NULL;
    }
    /* One UTF-16 unit becomes at most 3 UTF-8 bytes (a surrogate pair 4 for two units). */
    size_t size = WA_MIN((size_t)actual * 3 + 1, max_bytes);
    char *out = malloc(size);
    if (out == NULL) {
        cur_skip(&n->cur, (size_t)actual * unit);
        return NULL;
    }
    ndr_string_chars(n, actual, wide, out, size);
    return out;
}

bool ndr_unique_string(struct ndr *n, bool wide, char *out, size_t out_size)
{
    if (out_size != 0) {
        out[0] = '\0';
    }
    if (!ndr_pointer(n, NULL)) {
        return false;
    }
    ndr_string(n, wide, out, out_size);
    return ndr_ok(n);
}

bool ndr_unicode_string_head(struct ndr *n)
{
    ndr_u16(n); /* Length in bytes */
    ndr_u16(n); /* MaximumLength in bytes */
    return ndr_pointer(n, NULL);
}

void ndr_unicode_string_body(struct ndr *n, char *out, size_t out_size)
{
    ndr_string(n, true, out, out_size);
}
