/* Bounds-checked reader over a borrowed byte span. */
#include "cursor.h"

#include <string.h>

void cur_init(struct cursor *c, const void *base, size_t len)
{
    c->base = base;
    c->len = base != NULL ? len : 0;
    c->off = 0;
    c->status = CUR_OK;
}

void cur_fail(struct cursor *c)
{
    c->status = CUR_MALFORMED;
}

/* Returns the next n bytes without advancing, or NULL (status set) when unavailable. */
static const uint8_t *cur_need(struct cursor *c, size_t n)
{
    if (c->status != CUR_OK) {
        return NULL;
    }
    if (n > c->len - c->off) {
        c->status = CUR_TRUNCATED;
        return NULL;
    }
    return c->base + c->off;
}

uint8_t cur_u8(struct cursor *c)
{
    const uint8_t *p = cur_need(c, 1);
    if (p == NULL) {
        return 0;
    }
    c->off += 1;
    return p[0];
}

uint16_t cur_le16(struct cursor *c)
{
    const uint8_t *p = cur_need(c, 2);
    if (p == NULL) {
        return 0;
    }
    c->off += 2;
    return (uint16_t)(p[0] | (p[1] << 8));
}

uint32_t cur_le32(struct cursor *c)
{
    const uint8_t *p = cur_need(c, 4);
    if (p == NULL) {
        return 0;
    }
    c->off += 4;
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

uint64_t cur_le64(struct cursor *c)
{
    const uint8_t *p = cur_need(c, 8);
    if (p == NULL) {
        return 0;
    }
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    c->off += 8;
    return v;
}

uint16_t cur_be16(struct cursor *c)
{
    const uint8_t *p = cur_need(c, 2);
    if (p == NULL) {
        return 0;
    }
    c->off += 2;
    return (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t cur_be32(struct cursor *c)
{
    const uint8_t *p = cur_need(c, 4);
    if (p == NULL) {
        return 0;
    }
    c->off += 4;
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
           (uint32_t)p[3];
}

void cur_skip(struct cursor *c, size_t n)
{
    if (cur_need(c, n) != NULL) {
        c->off += n;
    }
}

void cur_align(struct cursor *c, size_t align)
{
    size_t pad = (align - (c->off & (align - 1))) & (align - 1);
    cur_skip(c, pad);
}

void cur_seek(struct cursor *c, size_t off)
{
    if (c->status != CUR_OK) {
        return;
    }
    if (off > c->len) {
        c->status = CUR_TRUNCATED;
        return;
    }
    c->off = off;
}

void cur_copy(struct cursor *c, void *dst, size_t dst_size, size_t n)
{
    if (c->status != CUR_OK) {
        return;
    }
    if (n > dst_size) {
        c->status = CUR_MALFORMED;
        return;
    }
    const uint8_t *p = cur_need(c, n);
    if (p == NULL) {
        return;
    }
    memcpy(dst, p, n);
    c->off += n;
}

const uint8_t *cur_view(struct cursor *c, size_t n)
{
    const uint8_t *p = cur_need(c, n);
    if (p != NULL) {
        c->off += n;
    }
    return p;
}

void cur_sub(struct cursor *c, struct cursor *child, size_t n)
{
    const uint8_t *p = cur_need(c, n);
    if (p == NULL) {
        cur_init(child, NULL, 0);
        child->status = c->status;
        return;
    }
    cur_init(child, p, n);
    c->off += n;
}

bool cur_at(struct cursor *c, struct cursor *child, size_t off, size_t n)
{
    if (c->status != CUR_OK || off > c->len || n > c->len - off) {
        cur_init(child, NULL, 0);
        if (c->status == CUR_OK) {
            c->status = CUR_MALFORMED;
        }
        child->status = c->status;
        return false;
    }
    cur_init(child, c->base + off, n);
    return true;
}
