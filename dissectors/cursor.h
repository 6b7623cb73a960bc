/* Bounds-checked reader over a borrowed byte span; the only way dissectors read packet data. */
#ifndef WA_CURSOR_H
#define WA_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../sensor/common.h"

/*
 * A cursor borrows [base, base + len) and never owns it. A failed read returns
 * zero, leaves the offset where it was and sets a sticky status, so a dissector
 * may read a whole record and check cur_ok() once. TRUNCATED means the span
 * ended early (more bytes could complete it); MALFORMED means a value read from
 * the data is impossible (an offset pointing backwards, a count over a cap).
 */
enum cur_status {
    CUR_OK = 0,
    CUR_TRUNCATED,
    CUR_MALFORMED
};

struct cursor {
    const uint8_t *base;
    size_t len;
    size_t off;
    enum cur_status status;
};

static inline void cur_init(struct cursor *c, const void *base, size_t len)
{
    c->base = base;
    c->len = base != NULL ? len : 0;
    c->off = 0;
    c->status = CUR_OK;
}

static inline bool cur_ok(const struct cursor *c)
{
    return c->status == CUR_OK;
}

static inline size_t cur_left(const struct cursor *c)
{
    return c->len - c->off;
}

static inline size_t cur_offset(const struct cursor *c)
{
    return c->off;
}

/* Marks the cursor malformed; later reads fail. */
void cur_fail(struct cursor *c);

/*
 * The fixed-size reads below are inline: every dissector calls them for every
 * header field, and a call costs more than the read.
 */

/* Returns the next n bytes without advancing, or NULL (status set) when unavailable. */
static inline const uint8_t *cur_need(struct cursor *c, size_t n)
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

static inline uint8_t cur_u8(struct cursor *c)
{
    const uint8_t *p = cur_need(c, 1);
    if (p == NULL) {
        return 0;
    }
    c->off += 1;
    return p[0];
}

static inline uint16_t cur_le16(struct cursor *c)
{
    const uint8_t *p = cur_need(c, 2);
    if (p == NULL) {
        return 0;
    }
    c->off += 2;
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t cur_le32(struct cursor *c)
{
    const uint8_t *p = cur_need(c, 4);
    if (p == NULL) {
        return 0;
    }
    c->off += 4;
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t cur_le64(struct cursor *c)
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

static inline uint16_t cur_be16(struct cursor *c)
{
    const uint8_t *p = cur_need(c, 2);
    if (p == NULL) {
        return 0;
    }
    c->off += 2;
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t cur_be32(struct cursor *c)
{
    const uint8_t *p = cur_need(c, 4);
    if (p == NULL) {
        return 0;
    }
    c->off += 4;
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* Advances n bytes; sets TRUNCATED (and does not move) when fewer remain. */
static inline void cur_skip(struct cursor *c, size_t n)
{
    if (cur_need(c, n) != NULL) {
        c->off += n;
    }
}

/* Advances to the next multiple of align (a power of two) counted from base. */
void cur_align(struct cursor *c, size_t align);

/* Moves to absolute offset off within the span; off may equal len. */
static inline void cur_seek(struct cursor *c, size_t off)
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

/* Copies n bytes into dst of size dst_size; fails (MALFORMED) when n > dst_size. */
static inline void cur_copy(struct cursor *c, void *dst, size_t dst_size, size_t n)
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

/* Returns a pointer to the next n bytes and advances, or NULL when fewer remain. */
const uint8_t *cur_view(struct cursor *c, size_t n);

/*
 * Makes child cover the next n bytes of c and advances c past them. On failure
 * the child is empty with the parent's status.
 */
void cur_sub(struct cursor *c, struct cursor *child, size_t n);

/*
 * Makes child cover [off, off + n) of c's span, an offset carried in the packet.
 * Validates that the range lies inside the span; c's own offset does not move.
 * Returns false (child empty, c marked MALFORMED) when it does not.
 */
bool cur_at(struct cursor *c, struct cursor *child, size_t off, size_t n);

#endif
