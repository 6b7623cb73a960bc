/* Capture inputs: pcap and pcapng files (capfile.c) and live interfaces (libpcap). */
#include "capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../dissectors/proto.h"
#include "capfile.h"
#include "checksum.h"
#include "classify.h"
#include "counters.h"
#include "decode.h"
#include "flow.h"
#include "options.h"

/* Link types whose compiled BPF filter is cached for file inputs. */
#define CAP_FILTERS_MAX 8

/* Packets handled per live step() before returning to the pipeline. */
#define CAP_LIVE_BATCH 256

/* Live read timeout in milliseconds: how long step() may wait for packets. */
#define CAP_LIVE_TIMEOUT_MS 100

/* Unsupported link types warned about once per input. Further ones are counted without a warning.
 */
#define CAP_UNSUPPORTED_LINKTYPES_MAX 8

/* Packets a file's checksum sample may read, so a file of non-TCP packets is not read twice. */
#define CAP_CHECKSUM_SCAN_MAX 100000

struct cap_filter {
    int linktype;
    bool valid;
    struct bpf_program program;
};

struct cap_input {
    struct input in; /* first member, so a struct input pointer converts to this type */
    FILE *file;
    struct capfile *reader;
    pcap_t *live;
    int live_linktype;
    struct flow_table *flows;
    uint64_t frame;
    struct cap_filter filters[CAP_FILTERS_MAX];
    size_t filter_count;
    bool classify_held;
    bool checksum_verify;   /* drop packets whose IPv4 header or TCP checksum is wrong */
    bool checksum_sampling; /* live automatic mode: still sampling the first packets */
    struct checksum_sample checksum_sample;
    int unsupported_linktypes[CAP_UNSUPPORTED_LINKTYPES_MAX];
    size_t unsupported_linktype_count;
    char name[256];
};

/* Warns once per input and link type that packets of linktype cannot be decoded. */
static void cap_warn_linktype(struct cap_input *ci, int linktype)
{
    for (size_t i = 0; i < ci->unsupported_linktype_count; i++) {
        if (ci->unsupported_linktypes[i] == linktype) {
            return;
        }
    }
    if (ci->unsupported_linktype_count == CAP_UNSUPPORTED_LINKTYPES_MAX) {
        return;
    }
    ci->unsupported_linktypes[ci->unsupported_linktype_count++] = linktype;
    CTR_INC("capture.unsupported_linktypes");
    fprintf(stderr, "wireaudit: %s: unsupported link type %d; its packets are skipped\n", ci->name,
            linktype);
}

/* Tells the user once that the automatic mode stopped verifying checksums for this input. */
static void cap_checksum_decide(struct cap_input *ci)
{
    ci->checksum_sampling = false;
    if (!checksum_sample_offloaded(&ci->checksum_sample)) {
        return;
    }
    ci->checksum_verify = false;
    CTR_INC("capture.checksum_offload");
    fprintf(stderr,
            "wireaudit: %s: %u of the first %u TCP packets have bad checksums, as captures taken "
            "with checksum offload do; checksums are not verified for this input "
            "(--checksum-mode yes verifies them)\n",
            ci->name, ci->checksum_sample.bad, ci->checksum_sample.packets);
}

/*
 * Returns false when the packet's IPv4 header or TCP checksum is wrong and
 * checksums are verified, so the packet is left out as the receiver would
 * drop it. Snapped packets cannot be verified and are kept.
 */
static bool cap_checksum_accepts(void *ctx, const struct tcp_segment *seg)
{
    struct cap_input *ci = ctx;
    if (!ci->checksum_verify) {
        return true;
    }
    enum checksum_result result = checksum_verify(seg);
    if (ci->checksum_sampling) {
        checksum_sample_add(&ci->checksum_sample, result);
        if (checksum_sample_full(&ci->checksum_sample)) {
            cap_checksum_decide(ci);
        }
        /*
         * NOTE: a live input keeps bad packets while it samples, so a capture
         * with offload loses none of its first packets. A decoy segment sent
         * within the first CHECKSUM_SAMPLE_PACKETS packets is therefore kept.
         */
        return true;
    }
    switch (result) {
    case CHECKSUM_GOOD:
        return true;
    case CHECKSUM_UNVERIFIABLE:
        CTR_INC("tcp.checksum_unverified");
        return true;
    case CHECKSUM_BAD_IP:
        CTR_INC("ip.bad_checksum");
        return false;
    case CHECKSUM_BAD_TCP:
        CTR_INC("tcp.bad_checksum");
        return false;
    }
    return true;
}

/* Decodes one packet and hands it to the flow table. */
static void cap_handle_packet(struct cap_input *ci, int linktype, const uint8_t *data,
                              uint32_t caplen, int64_t time_us)
{
    ci->frame++;
    CTR_INC("capture.packets");
    if (time_us > ci->in.clock_us) {
        ci->in.clock_us = time_us;
    }
    if (!decode_linktype_supported(linktype)) {
        cap_warn_linktype(ci, linktype);
        CTR_INC("decode.unsupported_linktype");
        return;
    }
    struct tcp_segment seg;
    enum wa_status status = decode_packet(linktype, data, caplen, &seg);
    if (status == WA_NEED_MORE) {
        CTR_INC("decode.truncated");
        return;
    }
    if (status == WA_MALFORMED) {
        CTR_INC("decode.malformed");
        return;
    }
    if (status != WA_OK) {
        CTR_INC("decode.not_tcp");
        return;
    }
    struct pkt_meta pm = {.time_us = time_us, .frame = ci->frame};
    flow_table_process(ci->flows, &seg, &pm);
}

/*
 * Returns the compiled filter for linktype, compiling it on first use. File
 * packets may come from interfaces of different link types, so one program
 * per link type is kept. Returns NULL when the filter cannot be compiled for
 * that link type, and the caller then keeps the packet.
 */
static const struct bpf_program *cap_filter_for(struct cap_input *ci, int linktype)
{
    for (size_t i = 0; i < ci->filter_count; i++) {
        if (ci->filters[i].linktype == linktype) {
            return ci->filters[i].valid ? &ci->filters[i].program : NULL;
        }
    }
    if (ci->filter_count == CAP_FILTERS_MAX) {
        /* NOTE: packets of a ninth link type in one file pass unfiltered. */
        return NULL;
    }
    struct cap_filter *filter = &ci->filters[ci->filter_count++];
    filter->linktype = linktype;
    pcap_t *dead = pcap_open_dead(linktype, wa_opts.snaplen);
    if (dead == NULL) {
        return NULL;
    }
    filter->valid =
        pcap_compile(dead, &filter->program, wa_opts.bpf_filter, 1, PCAP_NETMASK_UNKNOWN) == 0;
    if (!filter->valid) {
        fprintf(stderr, "wireaudit: %s: invalid filter for link type %d: %s\n", ci->in.path,
                linktype, pcap_geterr(dead));
        CTR_INC("capture.filter_errors");
    }
    pcap_close(dead);
    return filter->valid ? &filter->program : NULL;
}

bool cap_filter_check(const char *expr, char *err, size_t err_size)
{
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
    if (dead == NULL) {
        snprintf(err, err_size, "cannot check filter \"%s\": out of memory", expr);
        return false;
    }
    struct bpf_program program;
    bool valid = pcap_compile(dead, &program, expr, 1, PCAP_NETMASK_UNKNOWN) == 0;
    if (valid) {
        pcap_freecode(&program);
    } else {
        snprintf(err, err_size, "invalid filter \"%s\": %s", expr, pcap_geterr(dead));
    }
    pcap_close(dead);
    return valid;
}

/* Returns true when the packet passes wa_opts.bpf_filter (always true without a filter). */
static bool cap_filter_accepts(struct cap_input *ci, const struct cap_packet *pkt)
{
    if (wa_opts.bpf_filter == NULL) {
        return true;
    }
    const struct bpf_program *program = cap_filter_for(ci, pkt->linktype);
    if (program == NULL) {
        return true;
    }
    struct pcap_pkthdr hdr = {.caplen = pkt->caplen, .len = pkt->origlen};
    hdr.ts.tv_sec = (time_t)(pkt->time_us / 1000000);
    hdr.ts.tv_usec = (suseconds_t)(pkt->time_us % 1000000);
    return pcap_offline_filter(program, &hdr, pkt->data) != 0;
}

static void cap_report_error(struct cap_input *ci)
{
    fprintf(stderr, "wireaudit: %s\n", capfile_error(ci->reader));
    CTR_INC("input.errors");
    ci->in.errors++;
}

static bool cap_file_step(struct input *in)
{
    struct cap_input *ci = (struct cap_input *)in;
    struct cap_packet pkt;
    enum capfile_result result = capfile_next(ci->reader, &pkt);
    in->offset_bytes = capfile_offset(ci->reader);
    switch (result) {
    case CAPFILE_PACKET:
        if (cap_filter_accepts(ci, &pkt)) {
            cap_handle_packet(ci, pkt.linktype, pkt.data, pkt.caplen, pkt.time_us);
        } else {
            ci->frame++; /* frame numbers count every packet in the file, as tshark does */
            CTR_INC("capture.filtered");
        }
        return true;
    case CAPFILE_END:
        return false;
    case CAPFILE_SKIPPED:
        cap_report_error(ci);
        return true;
    case CAPFILE_FATAL:
        cap_report_error(ci);
        return false;
    }
    return false;
}

static void cap_finish(struct input *in)
{
    struct cap_input *ci = (struct cap_input *)in;
    flow_table_end_all(ci->flows);
}

static void cap_close(struct input *in)
{
    struct cap_input *ci = (struct cap_input *)in;
    flow_table_free(ci->flows);
    capfile_close(ci->reader);
    if (ci->file != NULL) {
        fclose(ci->file);
    }
    if (ci->live != NULL) {
        pcap_close(ci->live);
    }
    for (size_t i = 0; i < ci->filter_count; i++) {
        if (ci->filters[i].valid) {
            pcap_freecode(&ci->filters[i].program);
        }
    }
    if (ci->classify_held) {
        classify_release();
    }
    free(ci);
}

/* Allocates the parts shared by file and live inputs. Returns NULL when out of memory. */
static struct cap_input *cap_input_new(const char *path, enum input_kind kind)
{
    struct cap_input *ci = calloc(1, sizeof(*ci));
    if (ci == NULL) {
        return NULL;
    }
    snprintf(ci->name, sizeof(ci->name), "%s", path);
    ci->in.path = path;
    ci->in.kind = kind;
    ci->in.clock_us = INT64_MIN;
    ci->in.finish = cap_finish;
    ci->in.close = cap_close;
    (void)classify_acquire();
    ci->classify_held = true;
    ci->checksum_verify = wa_opts.checksum_mode != WA_CHECKSUM_NO;
    ci->flows = flow_table_new(wa_opts.flow_capacity, path, &ci->in.sink);
    if (ci->flows == NULL) {
        cap_close(&ci->in);
        return NULL;
    }
    flow_table_set_accept(ci->flows, cap_checksum_accepts, ci);
    return ci;
}

/*
 * Samples the checksums of the file's first TCP packets with a second reader,
 * so the automatic mode decides before any packet is processed and a capture
 * with offload loses none of its first packets.
 * NOTE: the decision covers the whole file. In a file merged from captures of
 * several hosts, packets of an offloading host after a verified start are dropped.
 */
static void cap_checksum_prescan(struct cap_input *ci, enum input_kind kind)
{
    FILE *f = fopen(ci->in.path, "rb");
    if (f == NULL) {
        return; /* the main reader reports errors */
    }
    char err[256];
    struct capfile *reader = capfile_open(f, ci->in.path, kind, err, sizeof(err));
    struct cap_packet pkt;
    for (uint32_t read = 0; reader != NULL && read < CAP_CHECKSUM_SCAN_MAX &&
                            !checksum_sample_full(&ci->checksum_sample);
         read++) {
        enum capfile_result result = capfile_next(reader, &pkt);
        if (result == CAPFILE_END || result == CAPFILE_FATAL) {
            break;
        }
        struct tcp_segment seg;
        if (result == CAPFILE_PACKET && decode_linktype_supported(pkt.linktype) &&
            decode_packet(pkt.linktype, pkt.data, pkt.caplen, &seg) == WA_OK) {
            checksum_sample_add(&ci->checksum_sample, checksum_verify(&seg));
        }
    }
    capfile_close(reader);
    fclose(f);
    cap_checksum_decide(ci);
}

struct input *cap_file_open(const char *path, enum input_kind kind, char *err, size_t err_size)
{
    struct cap_input *ci = cap_input_new(path, kind);
    if (ci == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        return NULL;
    }
    ci->file = fopen(path, "rb");
    if (ci->file == NULL) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        cap_close(&ci->in);
        return NULL;
    }
    setvbuf(ci->file, NULL, _IONBF, 0); /* capfile reads large chunks into its own window */
    struct stat st;
    if (fstat(fileno(ci->file), &st) == 0) {
        ci->in.size_bytes = (uint64_t)st.st_size;
    }
    ci->reader = capfile_open(ci->file, path, kind, err, err_size);
    if (ci->reader == NULL) {
        cap_close(&ci->in);
        return NULL;
    }
    if (wa_opts.checksum_mode == WA_CHECKSUM_AUTO) {
        cap_checksum_prescan(ci, kind);
    }
    ci->in.step = cap_file_step;
    return &ci->in;
}

static int64_t wall_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void cap_live_packet(u_char *user, const struct pcap_pkthdr *hdr, const u_char *data)
{
    struct cap_input *ci = (struct cap_input *)(void *)user;
    int64_t time_us = (int64_t)hdr->ts.tv_sec * 1000000 + hdr->ts.tv_usec;
    cap_handle_packet(ci, ci->live_linktype, data, hdr->caplen, time_us);
}

/*
 * Waits up to CAP_LIVE_TIMEOUT_MS for packets with poll() on the handle's
 * selectable descriptor, then reads what is queued without blocking. libpcap's
 * own read timeout is not relied on: on Linux it may wait indefinitely in
 * immediate mode, and a signal must stop the capture promptly.
 */
static bool cap_live_step(struct input *in)
{
    struct cap_input *ci = (struct cap_input *)in;
    int fd = pcap_get_selectable_fd(ci->live);
    if (fd >= 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, CAP_LIVE_TIMEOUT_MS) < 0 && errno != EINTR) {
            fprintf(stderr, "wireaudit: %s: waiting for packets failed: %s\n", ci->name,
                    strerror(errno));
            CTR_INC("input.errors");
            in->errors++;
            return false;
        }
    }
    int n = pcap_dispatch(ci->live, CAP_LIVE_BATCH, cap_live_packet, (u_char *)(void *)ci);
    if (n == PCAP_ERROR) {
        fprintf(stderr, "wireaudit: %s: capture failed: %s\n", ci->name, pcap_geterr(ci->live));
        CTR_INC("input.errors");
        in->errors++;
        return false;
    }
    if (n == PCAP_ERROR_BREAK) {
        return false;
    }
    if (n == 0) {
        /* Nothing arrived: time still passes, so the pipeline may release held events. */
        int64_t now = wall_clock_us();
        if (now > in->clock_us) {
            in->clock_us = now;
        }
    }
    return true;
}

/*
 * Writes why pcap_activate() failed on interface name and what to do next.
 * libpcap's own text repeats the status for some errors ("No such device
 * exists (No such device exists)"), so it is added only when it says more.
 */
static void cap_live_describe_error(const char *name, int status, const char *pcap_text, char *err,
                                    size_t err_size)
{
    const char *reason = pcap_statustostr(status);
    const char *advice = "check the interface name and your capture permissions";
    switch (status) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
        reason = "no such interface";
        advice = "list the interfaces with `ip link` (or `tcpdump -D`) and pass one with -i";
        break;
    case PCAP_ERROR_PERM_DENIED:
        reason = "permission denied";
        advice = "run as root or give the binary CAP_NET_RAW and CAP_NET_ADMIN "
                 "(setcap cap_net_raw,cap_net_admin=eip wireaudit)";
        break;
    case PCAP_ERROR_PROMISC_PERM_DENIED:
        reason = "permission denied for promiscuous mode";
        advice = "run as root, or capture without promiscuous mode (-p)";
        break;
    case PCAP_ERROR_IFACE_NOT_UP:
        reason = "the interface is down";
        advice = "bring it up with `ip link set dev IFACE up`";
        break;
    default:
        break;
    }
    bool pcap_adds_detail =
        pcap_text[0] != '\0' && strcmp(pcap_text, pcap_statustostr(status)) != 0;
    snprintf(err, err_size, "%s: cannot start live capture: %s%s%s%s; %s", name, reason,
             pcap_adds_detail ? " (" : "", pcap_adds_detail ? pcap_text : "",
             pcap_adds_detail ? ")" : "", advice);
}

/* Applies snap length, promiscuous mode, immediate mode and the read timeout, then activates. */
static bool cap_live_activate(struct cap_input *ci, char *err, size_t err_size)
{
    pcap_t *p = ci->live;
    if (pcap_set_snaplen(p, wa_opts.snaplen) != 0 ||
        pcap_set_promisc(p, wa_opts.promiscuous ? 1 : 0) != 0 ||
        pcap_set_immediate_mode(p, 1) != 0 || pcap_set_timeout(p, CAP_LIVE_TIMEOUT_MS) != 0) {
        snprintf(err, err_size, "%s: cannot configure capture: %s", ci->name, pcap_geterr(p));
        return false;
    }
    int status = pcap_activate(p);
    if (status < 0) {
        cap_live_describe_error(ci->name, status, pcap_geterr(p), err, err_size);
        return false;
    }
    if (status > 0) {
        fprintf(stderr, "wireaudit: %s: capture started with a warning: %s\n", ci->name,
                pcap_statustostr(status));
    }
    ci->live_linktype = pcap_datalink(p);
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    if (pcap_setnonblock(p, 1, pcap_err) != 0) {
        snprintf(err, err_size, "%s: cannot make capture non-blocking: %s", ci->name, pcap_err);
        return false;
    }
    if (wa_opts.bpf_filter == NULL) {
        return true;
    }
    struct bpf_program program;
    if (pcap_compile(p, &program, wa_opts.bpf_filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, err_size, "%s: invalid filter \"%s\": %s", ci->name, wa_opts.bpf_filter,
                 pcap_geterr(p));
        return false;
    }
    int set = pcap_setfilter(p, &program);
    pcap_freecode(&program);
    if (set != 0) {
        snprintf(err, err_size, "%s: cannot set filter: %s", ci->name, pcap_geterr(p));
        return false;
    }
    return true;
}

struct input *cap_live_open(const char *name, char *err, size_t err_size)
{
    struct cap_input *ci = cap_input_new(name, INPUT_LIVE);
    if (ci == NULL) {
        snprintf(err, err_size, "%s: out of memory", name);
        return NULL;
    }
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    ci->live = pcap_create(name, pcap_err);
    if (ci->live == NULL) {
        snprintf(err, err_size, "%s: cannot open interface: %s", name, pcap_err);
        cap_close(&ci->in);
        return NULL;
    }
    if (!cap_live_activate(ci, err, err_size)) {
        cap_close(&ci->in);
        return NULL;
    }
    ci->checksum_sampling = wa_opts.checksum_mode == WA_CHECKSUM_AUTO;
    ci->in.step = cap_live_step;
    return &ci->in;
}

void cap_live_write_stats(struct input *in, FILE *out)
{
    struct cap_input *ci = (struct cap_input *)in;
    if (in == NULL || ci->live == NULL) {
        return;
    }
    struct pcap_stat stats;
    if (pcap_stats(ci->live, &stats) != 0) {
        fprintf(out, "wireaudit: %s: capture statistics unavailable: %s\n", ci->name,
                pcap_geterr(ci->live));
        return;
    }
    fprintf(out, "wireaudit: %s: received %u, dropped %u, dropped by interface %u\n", ci->name,
            stats.ps_recv, stats.ps_drop, stats.ps_ifdrop);
    atomic_store_explicit(ctr_slot("capture.dropped"), (uint64_t)stats.ps_drop + stats.ps_ifdrop,
                          memory_order_relaxed);
}

void cap_live_break(struct input *in)
{
    struct cap_input *ci = (struct cap_input *)in;
    if (in != NULL && ci->live != NULL) {
        pcap_breakloop(ci->live);
    }
}
