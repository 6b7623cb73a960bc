/* Run-time settings shared by every module, with their defaults. */
#ifndef WA_OPTIONS_H
#define WA_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

/* Whether IPv4 header and TCP checksums are verified. Bad packets are left out of reassembly. */
enum wa_checksum_mode {
    WA_CHECKSUM_AUTO, /* verify unless an input's first packets look like checksum offload */
    WA_CHECKSUM_YES,  /* always verify */
    WA_CHECKSUM_NO    /* never verify */
};

/*
 * One process-wide instance, wa_opts, filled from the command line by main()
 * before any input is opened. Modules read it; only main() and tests write it.
 */
struct wa_options {
    /* Capture */
    const char *bpf_filter;        /* NULL for none */
    bool promiscuous;              /* default true */
    int snaplen;                   /* bytes, default 262144 */
    uint32_t flow_capacity;        /* flows kept at once, default 65536 */
    uint32_t flow_idle_timeout_s;  /* seconds without packets before a flow expires, default 300 */
    uint32_t reasm_buffer_max;     /* out-of-order bytes buffered per direction, default 1 MiB */
    uint32_t message_max;          /* largest NetBIOS message buffered whole, default 256 KiB */
    uint32_t rpc_fragment_max;     /* largest joined DCE-RPC stub, default 4 MiB */
    /* IPv4 header and TCP checksum verification, default WA_CHECKSUM_AUTO */
    enum wa_checksum_mode checksum_mode;

    /* Pipeline */
    int64_t reorder_window_us;     /* events may arrive this late, default 5 s */
    uint32_t reorder_max_events;   /* events held for reordering, default 1000000 */
    int64_t link_skew_us;          /* host/wire twin window, default 3 s */
    bool helper_threads;           /* consume released events on a second thread, default true */

    /* Report */
    uint32_t report_max_events;    /* events embedded whole in the --report page, default 20000 */

    /* Correlator */
    uint32_t corr_max_groups;      /* group states kept per correlation, default 100000 */
    int64_t corr_tolerance_us;     /* how late (event time) a match may arrive, default 5 s */
    bool corr_keep_going;          /* load the other rules when one is invalid */
};

extern struct wa_options wa_opts;

/* Resets wa_opts to the defaults listed above. */
void wa_options_defaults(void);

/* Sets wa_opts.checksum_mode from "auto", "yes" or "no". Returns false for any other text. */
bool wa_options_set_checksum_mode(const char *text);

#endif
