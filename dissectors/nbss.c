/* NetBIOS session service framing of an in-order TCP byte stream; see nbss.h. */
#include "nbss.h"

#include <stdlib.h>
#include <string.h>

#include "../sensor/counters.h"
#include "../sensor/options.h"
#include "cursor.h"

/* Smallest SMB message worth resynchronising on: the 4-byte protocol id plus a header. */
#define NBSS_RESYNC_LENGTH_MIN 32u

static size_t pool_bytes;

void nbss_dir_init(struct nbss_dir *dir, bool from_client, bool synced)
{
    memset(dir, 0, sizeof(*dir));
    dir->from_client = from_client;
    dir->state = synced ? NBSS_HEADER : NBSS_RESYNC;
}

void nbss_dir_free(struct nbss_dir *dir)
{
    pool_bytes -= dir->buf_size;
    free(dir->buf);
    dir->buf = NULL;
    dir->buf_size = 0;
}

void nbss_gap(struct nbss_dir *dir)
{
    if (dir->state != NBSS_RESYNC) {
        CTR_INC("nbss.resyncs");
    }
    dir->state = NBSS_RESYNC;
    dir->window_len = 0;
    dir->have_len = 0;
}

bool nbss_is_smb_start(const uint8_t p[8])
{
    struct cursor c;
    cur_init(&c, p, 8);
    uint8_t type = cur_u8(&c);
    uint32_t length = ((uint32_t)cur_u8(&c) << 16) | cur_be16(&c);
    const uint8_t *magic = cur_view(&c, 4);
    if (type != NBSS_SESSION_MESSAGE || length > NBSS_RESYNC_LENGTH_MAX ||
        length < NBSS_RESYNC_LENGTH_MIN || magic == NULL) {
        return false;
    }
    return memcmp(magic + 1, "SMB", 3) == 0 &&
           (magic[0] == 0xfe || magic[0] == 0xff || magic[0] == 0xfd || magic[0] == 0xfc);
}

/* Acts on a complete 4-byte header in dir->window. */
static void start_message(struct nbss_dir *dir, const struct pkt_meta *pm)
{
    uint8_t type = dir->window[0];
    size_t length = ((size_t)dir->window[1] << 16) | ((size_t)dir->window[2] << 8) | dir->window[3];
    dir->window_len = 0;
    if (type == NBSS_SESSION_MESSAGE) {
        dir->message_len = length;
        dir->keep_len = WA_MIN(length, (size_t)wa_opts.message_max);
        dir->have_len = 0;
        dir->need_called = false;
        dir->first_pm = *pm;
        dir->state = length != 0 ? NBSS_BODY : NBSS_HEADER;
        return;
    }
    switch (type) {
    case NBSS_SESSION_REQUEST:
        CTR_INC("nbss.session_requests");
        break;
    case NBSS_POSITIVE_RESPONSE:
    case NBSS_NEGATIVE_RESPONSE:
    case NBSS_RETARGET_RESPONSE:
        CTR_INC("nbss.session_responses");
        break;
    case NBSS_KEEPALIVE:
        CTR_INC("nbss.keepalives");
        break;
    default:
        CTR_INC("nbss.malformed");
        nbss_gap(dir);
        return;
    }
    dir->skip_len = length;
    dir->state = length != 0 ? NBSS_SKIP : NBSS_HEADER;
}

/* Hands the collected message (or its kept prefix) to out and skips the rest by length. */
static void finish_message(struct nbss_dir *dir, const uint8_t *msg, const struct nbss_output *out)
{
    CTR_INC("nbss.messages");
    if (dir->keep_len < dir->message_len) {
        CTR_INC("nbss.messages_cut");
    }
    out->message(out->ctx, dir->from_client, msg, dir->keep_len, dir->message_len, &dir->first_pm);
    dir->skip_len = dir->message_len - dir->keep_len;
    dir->have_len = 0;
    dir->state = dir->skip_len != 0 ? NBSS_SKIP : NBSS_HEADER;
}

/* Makes the assembly buffer hold size bytes. Returns false past NBSS_POOL_MAX or out of memory. */
static bool reserve_buffer(struct nbss_dir *dir, size_t size)
{
    if (dir->buf_size >= size) {
        return true;
    }
    /*
     * Buffers of all flows together stay under NBSS_POOL_MAX, so many flows
     * each holding part of a large message cannot exhaust memory.
     */
    size_t growth = size - dir->buf_size;
    if (pool_bytes + growth > NBSS_POOL_MAX) {
        return false;
    }
    uint8_t *buf = realloc(dir->buf, size);
    if (buf == NULL) {
        return false;
    }
    pool_bytes += growth;
    dir->buf = buf;
    dir->buf_size = size;
    return true;
}

/*
 * Collects message bytes; returns the count consumed from data. A message that
 * arrives whole in one chunk is delivered in place. Otherwise it is copied,
 * first up to SMB_MESSAGE_HEAD_LEN bytes so out->need() can cut it short, then
 * up to the length kept.
 */
static size_t take_body(struct nbss_dir *dir, const uint8_t *data, size_t len,
                        const struct nbss_output *out)
{
    if (dir->have_len == 0 && len >= dir->keep_len) {
        size_t used = dir->keep_len;
        finish_message(dir, data, out);
        return used;
    }
    bool call_need = out->need != NULL && !dir->need_called;
    size_t target = call_need ? WA_MIN(dir->keep_len, (size_t)SMB_MESSAGE_HEAD_LEN) : dir->keep_len;
    if (!reserve_buffer(dir, target)) {
        CTR_INC("nbss.pool_full");
        nbss_gap(dir);
        return len;
    }
    size_t n = WA_MIN(target - dir->have_len, len);
    memcpy(dir->buf + dir->have_len, data, n);
    dir->have_len += n;
    if (call_need && dir->have_len == target) {
        dir->need_called = true;
        size_t need =
            out->need(out->ctx, dir->from_client, dir->buf, dir->have_len, dir->message_len);
        dir->keep_len = WA_MAX(dir->have_len, WA_MIN(dir->keep_len, need));
    }
    if (dir->have_len == dir->keep_len) {
        finish_message(dir, dir->buf, out);
    }
    return n;
}

/* Drops window bytes up to the next 0x00 after the first, the only bytes a header can start at. */
static void window_drop_to_next_zero(struct nbss_dir *dir)
{
    const uint8_t *zero = memchr(dir->window + 1, 0x00, dir->window_len - 1);
    size_t drop = zero != NULL ? (size_t)(zero - dir->window) : dir->window_len;
    memmove(dir->window, dir->window + drop, dir->window_len - drop);
    dir->window_len -= drop;
}

/*
 * Scans for a session message header followed by an SMB protocol id; returns
 * the count consumed from data. The window keeps candidate bytes across
 * calls, and memchr() skips to the next 0x00 type byte between candidates.
 */
static size_t take_resync(struct nbss_dir *dir, const uint8_t *data, size_t len,
                          const struct pkt_meta *pm, const struct nbss_output *out)
{
    size_t i = 0;
    while (i < len) {
        if (dir->window_len == 0) {
            const uint8_t *zero = memchr(data + i, 0x00, len - i);
            if (zero == NULL) {
                return len;
            }
            i = (size_t)(zero - data);
        }
        size_t n = WA_MIN(sizeof(dir->window) - dir->window_len, len - i);
        memcpy(dir->window + dir->window_len, data + i, n);
        dir->window_len += n;
        i += n;
        if (dir->window_len < sizeof(dir->window)) {
            return len;
        }
        if (nbss_is_smb_start(dir->window)) {
            uint8_t magic[4];
            memcpy(magic, dir->window + 4, sizeof(magic));
            start_message(dir, pm);
            (void)take_body(dir, magic, sizeof(magic), out);
            return i;
        }
        window_drop_to_next_zero(dir);
    }
    return len;
}

void nbss_data(struct nbss_dir *dir, const uint8_t *data, size_t len, const struct pkt_meta *pm,
               const struct nbss_output *out)
{
    while (len > 0) {
        size_t used = 0;
        switch (dir->state) {
        case NBSS_HEADER:
            used = WA_MIN(len, 4 - dir->window_len);
            memcpy(dir->window + dir->window_len, data, used);
            if (dir->window_len == 0) {
                dir->first_pm = *pm;
            }
            dir->window_len += used;
            if (dir->window_len == 4) {
                start_message(dir, &dir->first_pm);
            }
            break;
        case NBSS_BODY:
            used = take_body(dir, data, len, out);
            break;
        case NBSS_SKIP:
            used = (size_t)WA_MIN((uint64_t)len, (uint64_t)dir->skip_len);
            dir->skip_len -= used;
            CTR_ADD("nbss.bytes_skipped", used);
            if (dir->skip_len == 0) {
                dir->state = NBSS_HEADER;
            }
            break;
        case NBSS_RESYNC:
            used = take_resync(dir, data, len, pm, out);
            break;
        }
        data += used;
        len -= used;
    }
}
