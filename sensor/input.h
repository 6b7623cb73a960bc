/* One input file or interface that produces events, and detection of its kind. */
#ifndef WA_INPUT_H
#define WA_INPUT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sink.h"

enum input_kind {
    INPUT_UNKNOWN = 0,
    INPUT_PCAP,   /* libpcap file, either byte order, micro- or nanosecond */
    INPUT_PCAPNG, /* pcapng section header block 0x0a0d0d0a */
    INPUT_EVTX,   /* "ElfFile\0" */
    INPUT_XML,    /* Windows event XML, <Event> or <Events> */
    INPUT_JSONL,  /* one JSON object per line */
    INPUT_LIVE    /* a capture interface (-i) */
};

/*
 * An open input. The pipeline calls step() repeatedly; each call reads one
 * unit (a packet, a log record) or a small batch, emits zero or more events to
 * sink, and advances clock_us to the time of what it read, so the merge can
 * tell how far this input has got even while it emits nothing.
 */
struct input {
    const char *path;          /* as given on the command line; borrowed */
    enum input_kind kind;
    struct event_sink sink;    /* set by the caller before the first step() */
    int64_t clock_us;          /* latest packet or record time read; INT64_MIN before any */
    unsigned errors;           /* input errors reported so far (bad blocks, records) */
    uint64_t size_bytes;       /* file size, 0 for live input; for progress display */
    uint64_t offset_bytes;     /* bytes consumed so far; readers keep it current */
    /* Reads the next unit. Returns false once the input is exhausted or failed for good. */
    bool (*step)(struct input *in);
    /* Emits whatever the input still keeps (open flows, pending requests) at the end. */
    void (*finish)(struct input *in);
    /* Frees the input; accepts the state left by a failed step(). */
    void (*close)(struct input *in);
};

/* Returns a lower-case name for kind, such as "pcapng". */
const char *input_kind_name(enum input_kind kind);

/*
 * Detects the kind of the file at path from its first bytes, not its name.
 * Returns INPUT_UNKNOWN and writes a message naming the file into err when the
 * file cannot be read or its content matches no known kind.
 */
enum input_kind input_detect(const char *path, char *err, size_t err_size);

/*
 * Opens path as kind. Returns NULL and writes a message naming the file into
 * err on failure. The caller sets in->sink before stepping and frees the input
 * with in->close(in).
 */
struct input *input_open(const char *path, enum input_kind kind, char *err, size_t err_size);

/*
 * Copies a non-seekable input (a pipe, a terminal, standard input as "-") to
 * a temporary file, because the readers detect the kind from the first bytes
 * and EVTX needs random access. On success spooled contains the temporary
 * path, or "" when path is a regular file that needs no copy. The caller
 * unlinks spooled once the input is open. Returns false with a message in err
 * and the temporary file removed. That includes a stop signal during the copy,
 * which sets *stop (stop may be NULL).
 * NOTE: the copy takes as much disk as the input; pcap on a pipe is read
 * whole before the first packet is dissected.
 */
bool input_spool(const char *path, char *spooled, size_t spooled_size, char *err, size_t err_size,
                 const volatile sig_atomic_t *stop);

#endif
