/* Flow classification with nDPI 4.2 plus payload checks for SMB and DCE-RPC; see classify.h. */
#include "classify.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "../dissectors/nbss.h"
#include "counters.h"
#include "options.h"
#include "thread.h"

/*
 * Whether the last classify_release() frees the nDPI module. Freeing its many
 * small allocations takes about 6 ms, and wireaudit drops its last reference
 * as the process ends. Release builds therefore leave the memory to the
 * operating system and do not wait for a helper thread still creating it.
 * Sanitizer builds wait and free it, so that leak and thread checks stay exact.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CLASSIFY_FREE_MODULE 1
#else
#define CLASSIFY_FREE_MODULE 0
#endif

/* Packets without payload passed to nDPI per flow: the TCP handshake it tracks. */
#define CLASSIFY_EMPTY_PACKETS_MAX 3

struct classify_flow {
    struct ndpi_flow_struct *ndpi;
    unsigned payload_packets;
    unsigned empty_packets;
};

static struct ndpi_detection_module_struct *ndpi_module;
static unsigned ndpi_references;
static bool ndpi_failed;
/* A helper thread runs ndpi_create() and has not been joined yet. */
static bool ndpi_creating;
static pthread_t ndpi_creator;

/*
 * Creates the nDPI module, setting ndpi_module or ndpi_failed. Initialisation
 * loads nDPI's host and address lists (15 to 30 ms and about 6 MB on the 2-vCPU
 * build machine). The Tor address list and libgcrypt (for QUIC) are left out:
 * neither bears on finding SMB or DCE-RPC.
 */
static void ndpi_create(void)
{
    ndpi_module = ndpi_init_detection_module(ndpi_dont_load_tor_hosts | ndpi_dont_init_libgcrypt);
    if (ndpi_module == NULL) {
        CTR_INC("classify.ndpi_unavailable");
        ndpi_failed = true;
        return;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(ndpi_module, &all);
    ndpi_finalize_initialization(ndpi_module);
}

static void *ndpi_creator_main(void *arg)
{
    (void)arg;
    ndpi_create();
    return NULL;
}

/* Waits for the helper thread started by classify_acquire(), if one runs. */
static void ndpi_wait_creator(void)
{
    if (ndpi_creating) {
        pthread_join(ndpi_creator, NULL);
        ndpi_creating = false;
    }
}

/*
 * Returns whether the nDPI module is ready, creating it on first need when no
 * helper thread did. Captures whose flows all use the fast-path ports never
 * need it. Returns false when nDPI is unavailable.
 */
static bool ndpi_ready(void)
{
    ndpi_wait_creator();
    if (ndpi_module != NULL || ndpi_failed || ndpi_references == 0) {
        return ndpi_module != NULL;
    }
    ndpi_create();
    return ndpi_module != NULL;
}

/*
 * Starts creating the nDPI module on a helper thread, so that its start-up
 * time overlaps the first packets instead of delaying the first flow that
 * needs classification. Without the thread, the module is created on first
 * need.
 */
static void ndpi_start_creator(void)
{
    if (ndpi_creating || !wa_opts.helper_threads || ndpi_module != NULL || ndpi_failed) {
        return;
    }
    ndpi_creating = thread_start(&ndpi_creator, ndpi_creator_main, NULL) == 0;
}

bool classify_acquire(void)
{
    ndpi_references++;
    ndpi_start_creator();
    /* While the helper runs, its outcome is not known yet. */
    return ndpi_creating || !ndpi_failed;
}

void classify_release(void)
{
    if (ndpi_references == 0 || --ndpi_references > 0) {
        return;
    }
    if (!CLASSIFY_FREE_MODULE) {
        return;
    }
    ndpi_wait_creator();
    if (ndpi_module != NULL) {
        ndpi_exit_detection_module(ndpi_module);
        ndpi_module = NULL;
    }
}

struct classify_flow *classify_flow_new(void)
{
    struct classify_flow *cf = calloc(1, sizeof(*cf));
    if (cf == NULL) {
        return NULL;
    }
    if (ndpi_ready()) {
        cf->ndpi = calloc(1, ndpi_detection_get_sizeof_ndpi_flow_struct());
        if (cf->ndpi == NULL) {
            free(cf);
            return NULL;
        }
    }
    return cf;
}

void classify_flow_free(struct classify_flow *cf)
{
    if (cf == NULL) {
        return;
    }
    if (cf->ndpi != NULL) {
        ndpi_free_flow_data(cf->ndpi);
        free(cf->ndpi);
    }
    free(cf);
}

/*
 * nDPI 4.2 (Debian 12) recognises SMB on port 445 but did not recognise the
 * SMB2 session of the corpus capture smb2.pcap once moved to port 8445. So SMB
 * is also recognised here by its framing: a session message header followed
 * by an SMB protocol id. DCE-RPC is checked the same way (version 5.0, a bind
 * or alter-context PDU) in case nDPI misses it.
 */
static enum flow_app classify_payload(const uint8_t *payload, size_t len)
{
    if (len >= 8 && nbss_is_smb_start(payload)) {
        return FLOW_APP_SMB;
    }
    if (len >= 16 && payload[0] == 5 && payload[1] == 0 && (payload[2] == 11 || payload[2] == 14)) {
        return FLOW_APP_DCERPC;
    }
    return FLOW_APP_PENDING;
}

static enum flow_app classify_ndpi(struct classify_flow *cf, const uint8_t *ip, size_t ip_len,
                                   int64_t time_us)
{
    if (cf->ndpi == NULL || ip_len > 0xffff) {
        return FLOW_APP_PENDING;
    }
    ndpi_protocol proto = ndpi_detection_process_packet(
        ndpi_module, cf->ndpi, ip, (unsigned short)ip_len, (u_int64_t)(time_us / 1000));
    uint16_t ids[2] = {proto.app_protocol, proto.master_protocol};
    for (size_t i = 0; i < 2; i++) {
        if (ids[i] == NDPI_PROTOCOL_SMBV1 || ids[i] == NDPI_PROTOCOL_SMBV23 ||
            ids[i] == NDPI_PROTOCOL_NETBIOS) {
            return FLOW_APP_SMB;
        }
        if (ids[i] == NDPI_PROTOCOL_DCERPC) {
            return FLOW_APP_DCERPC;
        }
    }
    if (proto.app_protocol != NDPI_PROTOCOL_UNKNOWN) {
        return FLOW_APP_OTHER;
    }
    return FLOW_APP_PENDING;
}

enum flow_app classify_packet(struct classify_flow *cf, const uint8_t *ip, size_t ip_len,
                              int64_t time_us, const uint8_t *payload, size_t payload_len)
{
    if (payload_len == 0) {
        /* Nothing to classify, but nDPI follows the handshake; later ACKs are not shown to it. */
        if (cf->empty_packets < CLASSIFY_EMPTY_PACKETS_MAX) {
            cf->empty_packets++;
            (void)classify_ndpi(cf, ip, ip_len, time_us);
        }
        return FLOW_APP_PENDING;
    }
    /* The payload checks are cheaper than nDPI, so they run first. */
    enum flow_app app = classify_payload(payload, payload_len);
    if (app == FLOW_APP_PENDING) {
        app = classify_ndpi(cf, ip, ip_len, time_us);
    }
    if (app == FLOW_APP_PENDING && ++cf->payload_packets >= CLASSIFY_PACKETS_MAX) {
        app = FLOW_APP_OTHER;
    }
    if (app == FLOW_APP_SMB) {
        CTR_INC("classify.smb");
    } else if (app == FLOW_APP_DCERPC) {
        CTR_INC("classify.dcerpc");
    } else if (app == FLOW_APP_OTHER) {
        CTR_INC("classify.other");
    }
    return app;
}
