/*
 * NetBIOS session service framing (RFC 1002 section 4.3) as used by SMB over
 * TCP 139, and the same 4-byte framing over TCP 445 (MS-SMB2 2.1, "Direct
 * TCP"), where the three length bytes form one 24-bit length.
 *
 * Header: type (1 byte), then a 24-bit big-endian length of the message that
 * follows. Types: 0x00 session message, 0x81 session request, 0x82 positive
 * response, 0x83 negative response, 0x84 retarget response, 0x85 keepalive.
 */
#ifndef WA_NBSS_H
#define WA_NBSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define NBSS_SESSION_MESSAGE 0x00
#define NBSS_SESSION_REQUEST 0x81
#define NBSS_POSITIVE_RESPONSE 0x82
#define NBSS_NEGATIVE_RESPONSE 0x83
#define NBSS_RETARGET_RESPONSE 0x84
#define NBSS_KEEPALIVE 0x85

/* Message assembly buffer bytes allocated by all directions together. */
#define NBSS_POOL_MAX (256u << 20)

/* Largest length accepted when resynchronising after a gap: RFC 1002's 17-bit length. */
#define NBSS_RESYNC_LENGTH_MAX 0x1ffffu

/*
 * Receives each session message, or its first wa_opts.message_max bytes. When
 * need is not NULL, a message that spans segments is first collected up to
 * SMB_MESSAGE_HEAD_LEN bytes, and need() returns how much of it to keep.
 */
struct nbss_output {
    void (*message)(void *ctx, bool from_client, const uint8_t *msg, size_t len, size_t total_len,
                    const struct pkt_meta *pm);
    size_t (*need)(void *ctx, bool from_client, const uint8_t *head, size_t head_len,
                   size_t total_len);
    void *ctx;
};

enum nbss_state {
    NBSS_HEADER, /* collecting the 4-byte header */
    NBSS_BODY,   /* collecting a session message */
    NBSS_SKIP,   /* discarding bytes by length */
    NBSS_RESYNC  /* after a gap: looking for a header followed by an SMB protocol id */
};

/* Framing state of one direction. Call nbss_dir_init() before use and nbss_dir_free() after. */
struct nbss_dir {
    enum nbss_state state;
    bool from_client;
    uint8_t window[8]; /* header bytes, or the last bytes scanned while resynchronising */
    size_t window_len;
    size_t message_len;       /* total length of the current session message */
    size_t keep_len;          /* bytes of it to deliver: min(message_len, wa_opts.message_max) */
    size_t have_len;          /* bytes of the message collected in buf */
    bool need_called;         /* nbss_output.need() was called for the current message */
    size_t skip_len;          /* bytes still to discard */
    struct pkt_meta first_pm; /* packet that carried the message's first byte */
    uint8_t *buf;             /* message assembly buffer, allocated on first use */
    size_t buf_size;
};

/*
 * Starts a direction. Pass synced when the stream begins at a message boundary
 * because its SYN was seen. Otherwise the first bytes are scanned for a
 * plausible header, as after a gap.
 */
void nbss_dir_init(struct nbss_dir *dir, bool from_client, bool synced);

/* Frees the assembly buffer; the direction can be initialised again. */
void nbss_dir_free(struct nbss_dir *dir);

/* Consumes in-order stream bytes and delivers every complete message to out. */
void nbss_data(struct nbss_dir *dir, const uint8_t *data, size_t len, const struct pkt_meta *pm,
               const struct nbss_output *out);

/* Drops the partial message and resynchronises on the next plausible header. */
void nbss_gap(struct nbss_dir *dir);

/*
 * Returns true when the 8 bytes at p are a session message header of at most
 * NBSS_RESYNC_LENGTH_MAX bytes followed by "\xfeSMB", "\xffSMB", "\xfdSMB"
 * (SMB2 transform) or "\xfcSMB" (SMB2 compression transform).
 */
bool nbss_is_smb_start(const uint8_t p[8]);

#endif
