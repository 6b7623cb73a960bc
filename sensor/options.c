/* Run-time settings and their defaults. */
#include "options.h"

#include <stddef.h>
#include <string.h>

struct wa_options wa_opts;

void wa_options_defaults(void)
{
    wa_opts = (struct wa_options){
        .bpf_filter = NULL,
        .promiscuous = true,
        .snaplen = 262144,
        .flow_capacity = 65536,
        .flow_idle_timeout_s = 300,
        .reasm_buffer_max = 1u << 20,
        .message_max = 256u << 10,
        .rpc_fragment_max = 4u << 20,
        .checksum_mode = WA_CHECKSUM_AUTO,
        .reorder_window_us = 5 * 1000000LL,
        .reorder_max_events = 1000000,
        .link_skew_us = 3 * 1000000LL,
        .helper_threads = true,
        .report_max_events = 20000,
        .corr_max_groups = 100000,
        .corr_tolerance_us = 5 * 1000000LL,
        .corr_keep_going = false,
    };
}

bool wa_options_set_checksum_mode(const char *text)
{
    if (strcmp(text, "auto") == 0) {
        wa_opts.checksum_mode = WA_CHECKSUM_AUTO;
    } else if (strcmp(text, "yes") == 0) {
        wa_opts.checksum_mode = WA_CHECKSUM_YES;
    } else if (strcmp(text, "no") == 0) {
        wa_opts.checksum_mode = WA_CHECKSUM_NO;
    } else {
        return false;
    }
    return true;
}
