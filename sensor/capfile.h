/*
 * Capture file reader for classic pcap and pcapng, without libpcap.
 *
 * libpcap 1.10 rejects pcapng files whose interfaces have different link types
 * or snap lengths, so pcapng blocks are parsed here. Covered: section header
 * blocks in either byte order, several sections, and one interface description
 * per interface with its own link type, snap length, if_tsresol and
 * if_tsoffset. Packets come from enhanced, simple and obsolete packet blocks.
 * Unknown blocks are skipped.
 * Format references: the pcap file format (tcpdump.org/manpages/pcap-savefile)
 * and draft-ietf-opsawg-pcapng.
 */
#ifndef WA_CAPFILE_H
#define WA_CAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "input.h"

/* Largest record or block accepted; longer declared lengths are treated as corrupt. */
#define CAPFILE_RECORD_MAX (16u << 20)

/* Largest number of interfaces one pcapng section may describe. */
#define CAPFILE_INTERFACES_MAX 4096u

/* One packet, borrowed from the reader until the next capfile_next() call. */
struct cap_packet {
    const uint8_t *data;
    uint32_t caplen;    /* bytes present in data */
    uint32_t origlen;   /* bytes on the wire */
    int64_t time_us;    /* microseconds since 1970-01-01 UTC */
    int linktype;       /* LINKTYPE_* value of the packet's interface */
    uint32_t interface; /* pcapng interface id, 0 for pcap */
};

enum capfile_result {
    CAPFILE_PACKET,  /* *pkt is filled */
    CAPFILE_END,     /* clean end of file */
    CAPFILE_SKIPPED, /* a damaged block was skipped and more may follow; see capfile_error() */
    CAPFILE_FATAL    /* damage that stops the file; see capfile_error() */
};

struct capfile;

/*
 * Starts reading f, which must be positioned at the start of a pcap or pcapng
 * file of the given kind. The reader borrows f and path (for messages).
 * Returns NULL and a message naming path in err when the file header is
 * missing or invalid, or when out of memory.
 */
struct capfile *capfile_open(FILE *f, const char *path, enum input_kind kind, char *err,
                             size_t err_size);

/* Frees the reader; does not close the FILE. Accepts NULL. */
void capfile_close(struct capfile *cf);

/* Reads the next packet. See enum capfile_result. */
enum capfile_result capfile_next(struct capfile *cf, struct cap_packet *pkt);

/*
 * Returns the message for the last CAPFILE_SKIPPED or CAPFILE_FATAL result,
 * such as "FILE: truncated packet record at offset 1234".
 */
const char *capfile_error(const struct capfile *cf);

/* Returns the number of bytes of the file consumed so far. */
uint64_t capfile_offset(const struct capfile *cf);

#endif
