/* Bounds-checked reader over a borrowed byte span. */
#include "cursor.h"

#include <string.h>

void cur_fail(struct cursor *c)
{
    c->status = CUR_MALFORMED;
}

void cur_align(struct cursor *c, size_t align)
{
    size_t pad = (align - (c->off & (align - 1))) & (align - 1);
    cur_skip(c, pad);
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
