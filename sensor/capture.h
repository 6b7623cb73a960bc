/* Capture inputs: pcap and pcapng files, and live interfaces through libpcap. */
#ifndef WA_CAPTURE_H
#define WA_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "input.h"

/*
 * Opens a capture file of kind INPUT_PCAP or INPUT_PCAPNG. Returns NULL and a
 * message naming the file in err on failure.
 */
struct input *cap_file_open(const char *path, enum input_kind kind, char *err, size_t err_size);

/*
 * Opens interface name for live capture with wa_opts' filter, snap length and
 * promiscuous setting. Each step() waits at most a short time for packets, so
 * the caller can check for signals. Returns NULL and a message in err on failure.
 */
struct input *cap_live_open(const char *name, char *err, size_t err_size);

/*
 * Returns true when expr compiles as a BPF filter for Ethernet captures.
 * Otherwise writes the compiler's message, naming the filter, into err.
 */
bool cap_filter_check(const char *expr, char *err, size_t err_size);

/* Writes pcap_stats of the live input (received, dropped, dropped by interface) to out. */
void cap_live_write_stats(struct input *in, FILE *out);

/* Stops a live input's next step() as soon as possible; async-signal-safe. */
void cap_live_break(struct input *in);

#endif
