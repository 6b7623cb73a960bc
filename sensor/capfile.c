/* Classic pcap and pcapng file reader; see capfile.h for the formats covered. */
#include "capfile.h"

#include <stdlib.h>
#include <string.h>

#include "../dissectors/cursor.h"

#define PCAPNG_SHB 0x0a0d0d0au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_OPB 0x00000002u /* obsolete packet block */
#define PCAPNG_SPB 0x00000003u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_BYTE_ORDER_MAGIC 0x1a2b3c4du

#define PCAPNG_OPT_ENDOFOPT 0
#define PCAPNG_OPT_IF_TSRESOL 9
#define PCAPNG_OPT_IF_TSOFFSET 14

/* pcapng interface description, as far as packets need it. */
struct cf_interface {
    int linktype;
    uint32_t snaplen;   /* 0 means no limit */
    uint8_t tsresol;    /* if_tsresol exponent (default 6), of 2 when bit 7 is set, else of 10 */
    int64_t tsoffset_s; /* if_tsoffset, seconds added to every timestamp */
};

struct capfile {
    FILE *f;
    const char *path;
    enum input_kind kind;
    uint64_t offset;
    char error[256];

    /*
     * Read window: file bytes [offset, offset + window_end - window_start)
     * are at window + window_start. Records are parsed in place, so a packet
     * is copied once, from the kernel into the window.
     */
    uint8_t *window;
    size_t window_size;
    size_t window_start;
    size_t window_end;

    /* classic pcap */
    bool pcap_big_endian;
    bool pcap_nanoseconds;
    int pcap_linktype;

    /* pcapng, current section */
    bool section_big_endian;
    bool section_seen;
    struct cf_interface *interfaces;
    uint32_t interface_count;
    uint32_t interface_cap;
    int64_t last_time_us; /* simple packet blocks carry no timestamp */
};

static uint32_t load32(const uint8_t *p, bool big_endian)
{
    if (big_endian) {
        return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    }
    return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

static uint16_t cur_u16_order(struct cursor *c, bool big_endian)
{
    return big_endian ? cur_be16(c) : cur_le16(c);
}

static uint32_t cur_u32_order(struct cursor *c, bool big_endian)
{
    return big_endian ? cur_be32(c) : cur_le32(c);
}

static uint64_t cur_u64_order(struct cursor *c, bool big_endian)
{
    uint64_t first = cur_u32_order(c, big_endian);
    uint64_t second = cur_u32_order(c, big_endian);
    return big_endian ? (first << 32) | second : (second << 32) | first;
}

static enum capfile_result fail(struct capfile *cf, enum capfile_result result, const char *what,
                                uint64_t offset)
{
    snprintf(cf->error, sizeof(cf->error), "%s: %s at offset %llu", cf->path, what,
             (unsigned long long)offset);
    return result;
}

/* Bytes read from the file per refill of the window, when records are small. */
#define CAPFILE_WINDOW_MIN (1u << 20)

/*
 * Makes n bytes available at window + window_start, reading more of the file
 * as needed. Returns a pointer to them, or NULL when the file (or memory) ends
 * first. *avail then contains the count of bytes left.
 */
static const uint8_t *window_need(struct capfile *cf, size_t n, size_t *avail)
{
    size_t have = cf->window_end - cf->window_start;
    if (have >= n) {
        *avail = have;
        return cf->window + cf->window_start;
    }
    if (cf->window_start > 0) {
        memmove(cf->window, cf->window + cf->window_start, have);
        cf->window_start = 0;
        cf->window_end = have;
    }
    size_t request_size = WA_MAX(n, (size_t)CAPFILE_WINDOW_MIN);
    if (request_size > cf->window_size) {
        uint8_t *grown = realloc(cf->window, request_size);
        if (grown == NULL) {
            *avail = have;
            return NULL;
        }
        cf->window = grown;
        cf->window_size = request_size;
    }
    while (cf->window_end < n) {
        size_t got = fread(cf->window + cf->window_end, 1, cf->window_size - cf->window_end, cf->f);
        if (got == 0) {
            break;
        }
        cf->window_end += got;
    }
    *avail = cf->window_end;
    return cf->window_end >= n ? cf->window : NULL;
}

/* Moves past n bytes returned by window_need(). */
static void window_consume(struct capfile *cf, size_t n)
{
    cf->window_start += n;
    cf->offset += n;
}

/* Converts a pcapng timestamp in the interface's units to microseconds. */
static int64_t timestamp_to_us(uint64_t ts, const struct cf_interface *ifc)
{
    unsigned exponent = ifc->tsresol & 0x7fu;
    uint64_t us;
    if ((ifc->tsresol & 0x80u) != 0) {
        if (exponent > 63) {
            exponent = 63;
        }
        unsigned __int128 scaled = (unsigned __int128)ts * 1000000u;
        us = (uint64_t)(scaled >> exponent);
    } else if (exponent <= 6) {
        uint64_t factor = 1;
        for (unsigned i = exponent; i < 6; i++) {
            factor *= 10;
        }
        us = ts * factor;
    } else {
        uint64_t divisor = 1;
        for (unsigned i = 6; i < exponent && i < 25; i++) {
            divisor = divisor <= UINT64_MAX / 10 ? divisor * 10 : UINT64_MAX;
        }
        us = ts / divisor;
    }
    /* Hostile if_tsoffset or timestamp values saturate instead of overflowing. */
    int64_t offset_us;
    int64_t time_us;
    if (__builtin_mul_overflow(ifc->tsoffset_s, (int64_t)1000000, &offset_us)) {
        offset_us = 0;
    }
    if (us > (uint64_t)INT64_MAX || __builtin_add_overflow((int64_t)us, offset_us, &time_us)) {
        return INT64_MAX;
    }
    return time_us;
}

static enum capfile_result pcap_next(struct capfile *cf, struct cap_packet *pkt)
{
    uint64_t start = cf->offset;
    size_t avail = 0;
    const uint8_t *hdr = window_need(cf, 16, &avail);
    if (hdr == NULL) {
        if (avail == 0) {
            return CAPFILE_END;
        }
        return fail(cf, CAPFILE_FATAL, "truncated packet record", start);
    }
    uint32_t sec = load32(hdr, cf->pcap_big_endian);
    uint32_t frac = load32(hdr + 4, cf->pcap_big_endian);
    uint32_t caplen = load32(hdr + 8, cf->pcap_big_endian);
    uint32_t origlen = load32(hdr + 12, cf->pcap_big_endian);
    if (caplen > CAPFILE_RECORD_MAX) {
        return fail(cf, CAPFILE_FATAL, "invalid captured length in packet record", start);
    }
    const uint8_t *record = window_need(cf, 16 + (size_t)caplen, &avail);
    if (record == NULL) {
        return fail(cf, CAPFILE_FATAL, "truncated packet record", start);
    }
    window_consume(cf, 16 + (size_t)caplen);
    pkt->data = record + 16;
    pkt->caplen = caplen;
    pkt->origlen = origlen;
    pkt->time_us = (int64_t)sec * 1000000 + (cf->pcap_nanoseconds ? frac / 1000 : frac);
    pkt->linktype = cf->pcap_linktype;
    pkt->interface = 0;
    return CAPFILE_PACKET;
}

static bool pcap_open_header(struct capfile *cf, char *err, size_t err_size)
{
    size_t avail = 0;
    const uint8_t *hdr = window_need(cf, 24, &avail);
    if (hdr == NULL) {
        snprintf(err, err_size, "%s: truncated pcap file header at offset 0", cf->path);
        return false;
    }
    window_consume(cf, 24);
    uint32_t magic = load32(hdr, false);
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) {
        cf->pcap_big_endian = false;
    } else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) {
        cf->pcap_big_endian = true;
    } else {
        snprintf(err, err_size, "%s: invalid pcap magic 0x%08x at offset 0", cf->path, magic);
        return false;
    }
    cf->pcap_nanoseconds = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
    /* The link type is the low 16 bits; the high bits may carry the FCS length. */
    cf->pcap_linktype = (int)(load32(hdr + 20, cf->pcap_big_endian) & 0xffffu);
    return true;
}

/* Outcome of one pcapng block: no packet (keep reading), a packet, or an error. */
enum block_result { BLOCK_NONE, BLOCK_PACKET, BLOCK_SKIPPED, BLOCK_FATAL };

static enum block_result block_fail(struct capfile *cf, enum block_result result, const char *what,
                                    uint64_t offset)
{
    fail(cf, CAPFILE_SKIPPED, what, offset);
    return result;
}

static enum block_result pcapng_add_interface(struct capfile *cf, const struct cf_interface *ifc,
                                              uint64_t start)
{
    if (cf->interface_count == cf->interface_cap) {
        if (cf->interface_cap >= CAPFILE_INTERFACES_MAX) {
            return block_fail(cf, BLOCK_SKIPPED, "too many interfaces in section", start);
        }
        uint32_t cap = cf->interface_cap != 0 ? cf->interface_cap * 2 : 4;
        struct cf_interface *grown = realloc(cf->interfaces, cap * sizeof(*grown));
        if (grown == NULL) {
            return block_fail(cf, BLOCK_FATAL, "out of memory reading interface description",
                              start);
        }
        cf->interfaces = grown;
        cf->interface_cap = cap;
    }
    cf->interfaces[cf->interface_count++] = *ifc;
    return BLOCK_NONE;
}

/* Reads an interface description block body (after type and length). */
static enum block_result pcapng_read_idb(struct capfile *cf, struct cursor *c, uint64_t start)
{
    bool be = cf->section_big_endian;
    struct cf_interface ifc = {.tsresol = 6};
    ifc.linktype = cur_u16_order(c, be);
    cur_skip(c, 2);
    ifc.snaplen = cur_u32_order(c, be);
    while (cur_ok(c) && cur_left(c) >= 4) {
        uint16_t code = cur_u16_order(c, be);
        uint16_t len = cur_u16_order(c, be);
        struct cursor value;
        cur_sub(c, &value, len);
        cur_align(c, 4);
        if (code == PCAPNG_OPT_ENDOFOPT) {
            break;
        }
        if (code == PCAPNG_OPT_IF_TSRESOL && len == 1) {
            ifc.tsresol = cur_u8(&value);
        } else if (code == PCAPNG_OPT_IF_TSOFFSET && len == 8) {
            ifc.tsoffset_s = (int64_t)cur_u64_order(&value, be);
        }
    }
    if (!cur_ok(c)) {
        return block_fail(cf, BLOCK_SKIPPED, "invalid interface description block", start);
    }
    return pcapng_add_interface(cf, &ifc, start);
}

/* Fills pkt from packet data of caplen bytes at the cursor, for interface ifid. */
static enum block_result pcapng_fill_packet(struct capfile *cf, struct cursor *c,
                                            struct cap_packet *pkt, uint32_t ifid, uint32_t caplen,
                                            uint64_t start)
{
    if (ifid >= cf->interface_count) {
        return block_fail(cf, BLOCK_SKIPPED, "packet block names an undescribed interface", start);
    }
    const uint8_t *data = cur_view(c, caplen);
    if (data == NULL) {
        return block_fail(cf, BLOCK_SKIPPED, "invalid captured length in packet block", start);
    }
    pkt->data = data;
    pkt->caplen = caplen;
    pkt->linktype = cf->interfaces[ifid].linktype;
    pkt->interface = ifid;
    return BLOCK_PACKET;
}

static enum block_result pcapng_read_epb(struct capfile *cf, struct cursor *c,
                                         struct cap_packet *pkt, bool obsolete, uint64_t start)
{
    bool be = cf->section_big_endian;
    uint32_t ifid;
    if (obsolete) {
        ifid = cur_u16_order(c, be);
        cur_skip(c, 2); /* drops count */
    } else {
        ifid = cur_u32_order(c, be);
    }
    uint64_t high = cur_u32_order(c, be);
    uint64_t low = cur_u32_order(c, be);
    uint32_t caplen = cur_u32_order(c, be);
    pkt->origlen = cur_u32_order(c, be);
    if (!cur_ok(c)) {
        return block_fail(cf, BLOCK_SKIPPED, "truncated packet record", start);
    }
    enum block_result result = pcapng_fill_packet(cf, c, pkt, ifid, caplen, start);
    if (result == BLOCK_PACKET) {
        pkt->time_us = timestamp_to_us((high << 32) | low, &cf->interfaces[ifid]);
        cf->last_time_us = pkt->time_us;
    }
    return result;
}

/* A simple packet block belongs to interface 0 and has no timestamp: the previous one is used. */
static enum block_result pcapng_read_spb(struct capfile *cf, struct cursor *c,
                                         struct cap_packet *pkt, uint64_t start)
{
    pkt->origlen = cur_u32_order(c, cf->section_big_endian);
    uint32_t caplen = pkt->origlen;
    if (caplen > cur_left(c)) {
        caplen = (uint32_t)cur_left(c);
    }
    if (cf->interface_count > 0 && cf->interfaces[0].snaplen != 0 &&
        caplen > cf->interfaces[0].snaplen) {
        caplen = cf->interfaces[0].snaplen;
    }
    enum block_result result = pcapng_fill_packet(cf, c, pkt, 0, caplen, start);
    pkt->time_us = cf->last_time_us;
    return result;
}

/*
 * Reads a section header block whose first 12 bytes are in head. Sets the
 * section's byte order and clears the previous section's interfaces.
 */
static enum block_result pcapng_read_shb(struct capfile *cf, const uint8_t head[12],
                                         uint32_t *length, uint64_t start)
{
    uint32_t magic = load32(head + 8, false);
    if (magic == PCAPNG_BYTE_ORDER_MAGIC) {
        cf->section_big_endian = false;
    } else if (load32(head + 8, true) == PCAPNG_BYTE_ORDER_MAGIC) {
        cf->section_big_endian = true;
    } else {
        return block_fail(cf, BLOCK_FATAL, "invalid byte-order magic in section header", start);
    }
    *length = load32(head + 4, cf->section_big_endian);
    cf->section_seen = true;
    cf->interface_count = 0;
    return BLOCK_NONE;
}

/* Parses the body of a block (after type and length, before the trailing length). */
static enum block_result pcapng_parse_body(struct capfile *cf, uint32_t type, struct cursor *c,
                                           struct cap_packet *pkt, uint64_t start)
{
    bool be = cf->section_big_endian;
    switch (type) {
    case PCAPNG_SHB: {
        uint16_t major = cur_u16_order(c, be);
        if (!cur_ok(c) || major != 1) {
            return block_fail(cf, BLOCK_FATAL, "unsupported pcapng version", start);
        }
        return BLOCK_NONE;
    }
    case PCAPNG_IDB:
        return pcapng_read_idb(cf, c, start);
    case PCAPNG_EPB:
        return pcapng_read_epb(cf, c, pkt, false, start);
    case PCAPNG_OPB:
        return pcapng_read_epb(cf, c, pkt, true, start);
    case PCAPNG_SPB:
        return pcapng_read_spb(cf, c, pkt, start);
    default:
        return BLOCK_NONE; /* name resolution, statistics, custom and unknown blocks */
    }
}

/* Makes one whole block available in the window, parses it and moves past it. */
static enum block_result pcapng_read_block(struct capfile *cf, struct cap_packet *pkt, bool *at_end)
{
    uint64_t start = cf->offset;
    size_t avail = 0;
    const uint8_t *head = window_need(cf, 8, &avail);
    *at_end = head == NULL && avail == 0;
    if (*at_end) {
        return BLOCK_NONE;
    }
    if (head == NULL) {
        return block_fail(cf, BLOCK_FATAL, "truncated block header", start);
    }
    uint32_t type = load32(head, cf->section_big_endian);
    uint32_t length = load32(head + 4, cf->section_big_endian);
    size_t head_len = 8;
    if (type == PCAPNG_SHB) {
        head = window_need(cf, 12, &avail);
        if (head == NULL) {
            return block_fail(cf, BLOCK_FATAL, "truncated section header block", start);
        }
        head_len = 12;
        enum block_result shb = pcapng_read_shb(cf, head, &length, start);
        if (shb != BLOCK_NONE) {
            return shb;
        }
    } else if (!cf->section_seen) {
        return block_fail(cf, BLOCK_FATAL, "block before the first section header", start);
    }
    if (length % 4 != 0 || length < head_len + 4 || length > CAPFILE_RECORD_MAX) {
        return block_fail(cf, BLOCK_FATAL, "invalid block length", start);
    }
    const uint8_t *block = window_need(cf, length, &avail);
    if (block == NULL) {
        bool carries_packet = type == PCAPNG_EPB || type == PCAPNG_SPB || type == PCAPNG_OPB;
        return block_fail(cf, BLOCK_FATAL,
                          carries_packet ? "truncated packet record" : "truncated block", start);
    }
    window_consume(cf, length);
    if (load32(block + length - 4, cf->section_big_endian) != length) {
        return block_fail(cf, BLOCK_SKIPPED, "block trailer length differs from header", start);
    }
    struct cursor body;
    cur_init(&body, block + head_len, length - head_len - 4);
    return pcapng_parse_body(cf, type, &body, pkt, start);
}

static enum capfile_result pcapng_next(struct capfile *cf, struct cap_packet *pkt)
{
    for (;;) {
        bool at_end = false;
        enum block_result result = pcapng_read_block(cf, pkt, &at_end);
        switch (result) {
        case BLOCK_NONE:
            if (at_end) {
                return CAPFILE_END;
            }
            break;
        case BLOCK_PACKET:
            return CAPFILE_PACKET;
        case BLOCK_SKIPPED:
            return CAPFILE_SKIPPED;
        case BLOCK_FATAL:
            return CAPFILE_FATAL;
        }
    }
}

struct capfile *capfile_open(FILE *f, const char *path, enum input_kind kind, char *err,
                             size_t err_size)
{
    struct capfile *cf = calloc(1, sizeof(*cf));
    if (cf == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        return NULL;
    }
    cf->f = f;
    cf->path = path;
    cf->kind = kind;
    if (kind == INPUT_PCAP && !pcap_open_header(cf, err, err_size)) {
        capfile_close(cf);
        return NULL;
    }
    if (kind != INPUT_PCAP && kind != INPUT_PCAPNG) {
        snprintf(err, err_size, "%s: not a pcap or pcapng file", path);
        capfile_close(cf);
        return NULL;
    }
    return cf;
}

void capfile_close(struct capfile *cf)
{
    if (cf == NULL) {
        return;
    }
    free(cf->window);
    free(cf->interfaces);
    free(cf);
}

enum capfile_result capfile_next(struct capfile *cf, struct cap_packet *pkt)
{
    cf->error[0] = '\0';
    if (cf->kind == INPUT_PCAP) {
        return pcap_next(cf, pkt);
    }
    return pcapng_next(cf, pkt);
}

const char *capfile_error(const struct capfile *cf)
{
    return cf->error;
}

uint64_t capfile_offset(const struct capfile *cf)
{
    return cf->offset;
}
