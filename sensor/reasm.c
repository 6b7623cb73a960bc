/* TCP reassembly per direction: in-order delivery, held out-of-order segments, gaps. */
#include "reasm.h"

#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "options.h"

/* A held out-of-order segment; data follows the header in the same allocation. */
struct reasm_segment {
    struct reasm_segment *next;
    uint32_t seq;
    size_t len;      /* bytes present in data */
    size_t wire_len; /* bytes the segment covered on the wire */
    struct pkt_meta pm;
    uint8_t data[];
};

static size_t pool_bytes;

/* Sequence number comparison modulo 2^32. */
static int32_t seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

size_t reasm_pool_bytes(void)
{
    return pool_bytes;
}

static void segment_free(struct reasm_dir *dir, struct reasm_segment *seg)
{
    dir->held_bytes -= seg->len;
    pool_bytes -= seg->len;
    free(seg);
}

/* Appends delivered bytes to the tail, keeping the last REASM_TAIL_BYTES. */
static void tail_append(struct reasm_dir *dir, const uint8_t *data, size_t len)
{
    if (len >= REASM_TAIL_BYTES) {
        memcpy(dir->tail, data + len - REASM_TAIL_BYTES, REASM_TAIL_BYTES);
        dir->tail_len = REASM_TAIL_BYTES;
        return;
    }
    size_t keep = WA_MIN(dir->tail_len, REASM_TAIL_BYTES - len);
    memmove(dir->tail, dir->tail + dir->tail_len - keep, keep);
    memcpy(dir->tail + keep, data, len);
    dir->tail_len = (uint32_t)(keep + len);
}

/*
 * Counts "reasm.overlap_mismatch" when the present bytes of a segment at seq
 * that were already delivered differ from the delivered bytes still in the tail.
 */
static void tail_compare(const struct reasm_dir *dir, uint32_t seq, const uint8_t *data, size_t len)
{
    uint32_t tail_start = dir->next_seq - dir->tail_len;
    int32_t skip = seq_diff(tail_start, seq); /* segment bytes before the tail */
    size_t from = skip > 0 ? (size_t)skip : 0;
    size_t tail_from = skip > 0 ? 0 : (size_t)-skip;
    size_t delivered = (size_t)seq_diff(dir->next_seq, seq); /* segment bytes before next_seq */
    size_t end = WA_MIN(len, delivered);
    if (from >= end || tail_from >= dir->tail_len) {
        return;
    }
    if (memcmp(data + from, dir->tail + tail_from, end - from) != 0) {
        CTR_INC("reasm.overlap_mismatch");
    }
}

/* Delivers bytes that start exactly at next_seq and advances past all wire_len of them. */
static void deliver(struct reasm_dir *dir, const uint8_t *data, size_t len, size_t wire_len,
                    const struct pkt_meta *pm, const struct reasm_output *out)
{
    if (len > 0) {
        out->data(out->ctx, dir->from_client, data, len, pm);
        tail_append(dir, data, len);
    }
    if (wire_len > len) {
        CTR_INC("reasm.snapped");
        out->gap(out->ctx, dir->from_client);
        dir->tail_len = 0;
    }
    dir->next_seq += (uint32_t)wire_len;
}

/* Delivers the part of [seq, seq + wire_len) from next_seq on, since earlier bytes were delivered.
 */
static void deliver_from(struct reasm_dir *dir, uint32_t seq, const uint8_t *data, size_t len,
                         size_t wire_len, const struct pkt_meta *pm, const struct reasm_output *out)
{
    int32_t behind = seq_diff(dir->next_seq, seq);
    if (behind > 0) {
        tail_compare(dir, seq, data, len);
        size_t trim = (size_t)behind;
        if (trim >= wire_len) {
            CTR_INC("reasm.retransmissions");
            return;
        }
        CTR_INC("reasm.overlaps");
        wire_len -= trim;
        data += WA_MIN(trim, len);
        len -= WA_MIN(trim, len);
    }
    deliver(dir, data, len, wire_len, pm, out);
}

/* Delivers held segments that have become in order. */
static void drain(struct reasm_dir *dir, const struct reasm_output *out)
{
    while (dir->held != NULL && seq_diff(dir->held->seq, dir->next_seq) <= 0) {
        struct reasm_segment *seg = dir->held;
        dir->held = seg->next;
        deliver_from(dir, seg->seq, seg->data, seg->len, seg->wire_len, &seg->pm, out);
        segment_free(dir, seg);
    }
}

/* Skips the hole before the first held segment (or before seq) and delivers what follows. */
static void skip_hole(struct reasm_dir *dir, uint32_t seq, const struct reasm_output *out)
{
    if (dir->held != NULL && seq_diff(dir->held->seq, seq) < 0) {
        seq = dir->held->seq;
    }
    CTR_INC("reasm.gaps");
    out->gap(out->ctx, dir->from_client);
    dir->next_seq = seq;
    dir->tail_len = 0;
    drain(dir, out);
}

/* Inserts a copy of one piece at *link without checks. Returns false when out of memory. */
static bool hold_piece(struct reasm_dir *dir, struct reasm_segment **link, uint32_t seq,
                       const uint8_t *data, size_t len, size_t wire_len, const struct pkt_meta *pm)
{
    struct reasm_segment *seg = malloc(sizeof(*seg) + len);
    if (seg == NULL) {
        CTR_INC("reasm.nomem");
        return false;
    }
    seg->seq = seq;
    seg->len = len;
    seg->wire_len = wire_len;
    seg->pm = *pm;
    memcpy(seg->data, data, len);
    seg->next = *link;
    *link = seg;
    dir->held_bytes += len;
    pool_bytes += len;
    return true;
}

/*
 * Counts "reasm.overlap_mismatch" when covered bytes of a new segment, from
 * offset done on (sequence number at), differ from the held segment's bytes.
 */
static void held_compare(const struct reasm_segment *held, uint32_t at, const uint8_t *data,
                         size_t len, size_t done, size_t covered)
{
    size_t held_from = (size_t)seq_diff(at, held->seq);
    size_t new_present = done < len ? len - done : 0;
    size_t held_present = held_from < held->len ? held->len - held_from : 0;
    size_t compared = WA_MIN(covered, WA_MIN(new_present, held_present));
    if (compared > 0 && memcmp(data + done, held->data + held_from, compared) != 0) {
        CTR_INC("reasm.overlap_mismatch");
    }
}

/*
 * Copies a segment into the held list, leaving out bytes that held segments
 * already cover, so the first copy of every byte wins. Returns false when a
 * cap leaves no room.
 */
static bool hold(struct reasm_dir *dir, uint32_t seq, const uint8_t *data, size_t len,
                 size_t wire_len, const struct pkt_meta *pm)
{
    if (dir->held_bytes + len > wa_opts.reasm_buffer_max || pool_bytes + len > REASM_POOL_MAX) {
        CTR_INC("reasm.buffer_full");
        return false;
    }
    CTR_INC("reasm.out_of_order");
    struct reasm_segment **link = &dir->held;
    size_t done = 0; /* bytes of the segment's wire range already placed or skipped */
    while (done < wire_len) {
        uint32_t at = seq + (uint32_t)done;
        while (*link != NULL && seq_diff((*link)->seq + (uint32_t)(*link)->wire_len, at) <= 0) {
            link = &(*link)->next;
        }
        size_t piece = wire_len - done;
        if (*link != NULL) {
            int32_t before_next = seq_diff((*link)->seq, at);
            if (before_next <= 0) { /* at lies inside a held segment: skip what it covers */
                size_t covered =
                    WA_MIN(piece, (size_t)seq_diff((*link)->seq + (uint32_t)(*link)->wire_len, at));
                held_compare(*link, at, data, len, done, covered);
                done += covered;
                continue;
            }
            piece = WA_MIN(piece, (size_t)before_next);
        }
        size_t present = done < len ? WA_MIN(piece, len - done) : 0;
        if (!hold_piece(dir, link, at, data + WA_MIN(done, len), present, piece, pm)) {
            return true; /* the bytes are lost; the hole is given up later */
        }
        link = &(*link)->next;
        done += piece;
    }
    return true;
}

void reasm_add(struct reasm_dir *dir, uint32_t seq, uint8_t flags, const uint8_t *payload,
               size_t len, size_t wire_len, const struct pkt_meta *pm,
               const struct reasm_output *out)
{
    if ((flags & 0x02) != 0) { /* SYN occupies one sequence number before the data */
        seq += 1;
        if (!dir->started) {
            dir->started = true;
            dir->next_seq = seq;
        }
    }
    if (wire_len == 0) {
        return;
    }
    if (!dir->started) {
        dir->started = true;
        dir->next_seq = seq;
    }
    if (seq_diff(seq, dir->next_seq) <= 0) {
        deliver_from(dir, seq, payload, len, wire_len, pm, out);
        drain(dir, out);
        return;
    }
    if (hold(dir, seq, payload, len, wire_len, pm)) {
        return;
    }
    /* No room to wait for the hole to fill: give it up and resume at the first held byte. */
    skip_hole(dir, seq, out);
    if (seq_diff(seq, dir->next_seq) <= 0) {
        deliver_from(dir, seq, payload, len, wire_len, pm, out);
        drain(dir, out);
    } else if (!hold(dir, seq, payload, len, wire_len, pm)) {
        skip_hole(dir, seq, out);
        deliver_from(dir, seq, payload, len, wire_len, pm, out);
        drain(dir, out);
    }
}

void reasm_ack(struct reasm_dir *dir, uint32_t ack, const struct reasm_output *out)
{
    if (!dir->started || dir->held == NULL) {
        return;
    }
    if (seq_diff(ack, dir->next_seq) > 0 && seq_diff(ack, dir->held->seq) >= 0) {
        CTR_INC("reasm.acked_unseen");
        skip_hole(dir, dir->held->seq, out);
    }
}

void reasm_flush(struct reasm_dir *dir, const struct reasm_output *out)
{
    while (dir->held != NULL) {
        skip_hole(dir, dir->held->seq, out);
    }
}

void reasm_clear(struct reasm_dir *dir)
{
    while (dir->held != NULL) {
        struct reasm_segment *seg = dir->held;
        dir->held = seg->next;
        segment_free(dir, seg);
    }
}
