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
    size_t length = ((size_t)dir->window[1] << 16) | ((size_t)dir->window[2] << 8) |
                    dir->window[3];
    dir->window_len = 0;
    if (type == NBSS_SESSION_MESSAGE) {
        dir->message_len = length;
        dir->keep_len = WA_MIN(length, (size_t)wa_opts.message_max);
        dir->have_len = 0;
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
    out->message(out->ctx, dir->from_client, msg, dir->keep_len, dir->message_len,
                 &dir->first_pm);
    dir->skip_len = dir->message_len - dir->keep_len;
    dir->have_len = 0;
    dir->state = dir->skip_len != 0 ? NBSS_SKIP : NBSS_HEADER;
}

/* Collects message bytes; returns the count consumed from data. */
static size_t take_body(struct nbss_dir *dir, const uint8_t *data, size_t len,
                        const struct nbss_output *out)
{
    size_t want = dir->keep_len - dir->have_len;
    if (dir->have_len == 0 && len >= want) {
        finish_message(dir, data, out); /* whole message in this chunk: no copy */
        return want;
    }
    /*
     * A message split across segments is copied here. Buffers of all flows
     * together stay under NBSS_POOL_MAX, so many flows each holding a part
     * of a large message cannot exhaust memory. Past the cap the message is
     * dropped and counted.
     */
    if (dir->buf_size < dir->keep_len) {
        size_t growth = dir->keep_len - dir->buf_size;
        uint8_t *buf = NULL;
        if (pool_bytes + growth <= NBSS_POOL_MAX) {
            buf = realloc(dir->buf, dir->keep_len);
        }
        if (buf == NULL) {
            CTR_INC("nbss.pool_full");
            nbss_gap(dir);
            return len;
        }
        pool_bytes += growth;
        dir->buf = buf;
        dir->buf_size = dir->keep_len;
    }
    size_t n = WA_MIN(want, len);
    memcpy(dir->buf + dir->have_len, data, n);
    dir->have_len += n;
    if (dir->have_len == dir->keep_len) {
        finish_message(dir, dir->buf, out);
    }
    return n;
}

/* Scans for a message start byte by byte; returns the count consumed from data. */
static size_t take_resync(struct nbss_dir *dir, const uint8_t *data, size_t len,
                          const struct pkt_meta *pm, const struct nbss_output *out)
{
    for (size_t i = 0; i < len; i++) {
        if (dir->window_len == sizeof(dir->window)) {
            memmove(dir->window, dir->window + 1, sizeof(dir->window) - 1);
            dir->window_len--;
        }
        dir->window[dir->window_len++] = data[i];
        if (dir->window_len == sizeof(dir->window) && nbss_is_smb_start(dir->window)) {
            uint8_t magic[4];
            memcpy(magic, dir->window + 4, sizeof(magic));
            start_message(dir, pm);
            (void)take_body(dir, magic, sizeof(magic), out);
            return i + 1;
        }
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
