/* Unit tests for the flow table: sides, expiry, eviction, ends and classification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../sensor/counters.h"
#include "../sensor/flow.h"
#include "../sensor/options.h"

static unsigned events_emitted;

static void discard_event(void *arg, struct event *ev)
{
    (void)arg;
    events_emitted++;
    event_free(ev);
}

static const struct event_sink sink = {.emit = discard_event, .arg = NULL};

/* A session message of one SMB2 header: NBSS header, "\xfeSMB", then zero fill to 64 bytes. */
static uint8_t smb_message[4 + 64];

/* A segment between 10.0.0.<a>:<port_a> and 10.0.0.<b>:<port_b>. */
static struct tcp_segment segment(uint8_t a, uint16_t port_a, uint8_t b, uint16_t port_b,
                                  uint8_t flags, uint32_t seq, const uint8_t *payload,
                                  size_t len)
{
    struct tcp_segment seg;
    memset(&seg, 0, sizeof(seg));
    seg.ip_version = 4;
    seg.src[0] = 10;
    seg.src[3] = a;
    seg.dst[0] = 10;
    seg.dst[3] = b;
    seg.src_port = port_a;
    seg.dst_port = port_b;
    seg.flags = flags;
    seg.seq = seq;
    seg.payload = payload;
    seg.payload_len = len;
    seg.payload_wire_len = len;
    return seg;
}

static void process(struct flow_table *ft, struct tcp_segment seg, int64_t time_s)
{
    static uint64_t frame;
    struct pkt_meta pm = {.time_us = time_s * 1000000, .frame = ++frame};
    flow_table_process(ft, &seg, &pm);
}

static int setup(void **state)
{
    (void)state;
    wa_options_defaults();
    ctr_reset_all();
    flow_hints_clear();
    events_emitted = 0;
    memset(smb_message, 0, sizeof(smb_message));
    smb_message[3] = 64;
    memcpy(smb_message + 4, "\xfeSMB", 4);
    return 0;
}

static void test_flow_handshake_data_and_fin_close(void **state)
{
    (void)state;
    struct flow_table *ft = flow_table_new(16, "test", &sink);
    assert_non_null(ft);
    process(ft, segment(1, 50000, 2, 445, TCP_FLAG_SYN, 99, NULL, 0), 0);
    process(ft, segment(2, 445, 1, 50000, TCP_FLAG_SYN | TCP_FLAG_ACK, 499, NULL, 0), 0);
    process(ft, segment(1, 50000, 2, 445, 0x18, 100, smb_message, sizeof(smb_message)), 0);
    process(ft, segment(2, 445, 1, 50000, 0x18, 500, smb_message, sizeof(smb_message)), 0);
    assert_int_equal(ctr_value("nbss.messages"), 2);
    enum flow_app app;
    struct tcp_segment probe = segment(2, 445, 1, 50000, 0, 0, NULL, 0);
    const struct conn_meta *meta = flow_table_find(ft, &probe, &app);
    assert_non_null(meta);
    assert_int_equal(app, FLOW_APP_SMB);
    assert_string_equal(meta->client_addr, "10.0.0.1");
    assert_int_equal(meta->client_port, 50000);
    assert_string_equal(meta->server_addr, "10.0.0.2");
    process(ft, segment(1, 50000, 2, 445, TCP_FLAG_FIN | TCP_FLAG_ACK, 168, NULL, 0), 1);
    assert_int_equal(flow_table_count(ft), 1);
    process(ft, segment(2, 445, 1, 50000, TCP_FLAG_FIN | TCP_FLAG_ACK, 568, NULL, 0), 1);
    assert_int_equal(flow_table_count(ft), 0);
    assert_int_equal(ctr_value("flow.closed"), 1);
    /* The last ACK of an ended flow starts nothing. */
    process(ft, segment(1, 50000, 2, 445, TCP_FLAG_ACK, 169, NULL, 0), 1);
    assert_int_equal(flow_table_count(ft), 0);
    assert_int_equal(ctr_value("flow.created"), 1);
    flow_table_free(ft);
}

static void test_flow_port_139_session_request_framed(void **state)
{
    (void)state;
    /* NetBIOS session request: type 0x81, 4 bytes of (truncated) called and calling names */
    static const uint8_t request[] = {0x81, 0x00, 0x00, 0x04, 0x20, 0x43, 0x4b, 0x41};
    static const uint8_t positive[] = {0x82, 0x00, 0x00, 0x00};
    struct flow_table *ft = flow_table_new(16, "test", &sink);
    process(ft, segment(1, 50000, 2, 139, TCP_FLAG_SYN, 99, NULL, 0), 0);
    process(ft, segment(2, 139, 1, 50000, TCP_FLAG_SYN | TCP_FLAG_ACK, 499, NULL, 0), 0);
    process(ft, segment(1, 50000, 2, 139, 0x18, 100, request, sizeof(request)), 0);
    process(ft, segment(2, 139, 1, 50000, 0x18, 500, positive, sizeof(positive)), 0);
    process(ft, segment(1, 50000, 2, 139, 0x18, 108, smb_message, sizeof(smb_message)), 0);
    assert_int_equal(ctr_value("nbss.session_requests"), 1);
    assert_int_equal(ctr_value("nbss.session_responses"), 1);
    assert_int_equal(ctr_value("nbss.messages"), 1);
    flow_table_free(ft);
}

static void test_flow_sides_without_syn(void **state)
{
    (void)state;
    struct flow_table *ft = flow_table_new(16, "test", &sink);
    enum flow_app app;
    /* First packet comes from the server port 135: the other side is the client. */
    struct tcp_segment seg = segment(2, 135, 1, 60000, 0x18, 1, smb_message, 8);
    process(ft, seg, 0);
    const struct conn_meta *meta = flow_table_find(ft, &seg, &app);
    assert_int_equal(meta->client_port, 60000);
    assert_int_equal(meta->server_port, 135);
    assert_int_equal(app, FLOW_APP_DCERPC);
    /* No well-known port: the higher port is the client. */
    seg = segment(3, 40000, 4, 50000, 0x18, 1, (const uint8_t *)"hello", 5);
    process(ft, seg, 0);
    meta = flow_table_find(ft, &seg, &app);
    assert_int_equal(meta->client_port, 50000);
    assert_string_equal(meta->client_addr, "10.0.0.4");
    assert_int_equal(app, FLOW_APP_PENDING);
    flow_table_free(ft);
}

static void test_flow_full_table_evicts_least_recent(void **state)
{
    (void)state;
    struct flow_table *ft = flow_table_new(2, "test", &sink);
    process(ft, segment(1, 50001, 2, 445, TCP_FLAG_SYN, 1, NULL, 0), 0);
    process(ft, segment(1, 50002, 2, 445, TCP_FLAG_SYN, 1, NULL, 0), 1);
    process(ft, segment(1, 50001, 2, 445, 0x18, 2, smb_message, 8), 2); /* 50001 used again */
    process(ft, segment(1, 50003, 2, 445, TCP_FLAG_SYN, 1, NULL, 0), 3);
    assert_int_equal(flow_table_count(ft), 2);
    assert_int_equal(ctr_value("flow.evicted"), 1);
    enum flow_app app;
    struct tcp_segment evicted = segment(1, 50002, 2, 445, 0, 0, NULL, 0);
    struct tcp_segment kept = segment(1, 50001, 2, 445, 0, 0, NULL, 0);
    assert_null(flow_table_find(ft, &evicted, &app));
    assert_non_null(flow_table_find(ft, &kept, &app));
    flow_table_free(ft);
}

static void test_flow_idle_flows_expire(void **state)
{
    (void)state;
    wa_opts.flow_idle_timeout_s = 10;
    struct flow_table *ft = flow_table_new(16, "test", &sink);
    process(ft, segment(1, 50001, 2, 445, TCP_FLAG_SYN, 1, NULL, 0), 0);
    process(ft, segment(1, 50002, 2, 445, TCP_FLAG_SYN, 1, NULL, 0), 5);
    process(ft, segment(1, 50003, 2, 445, TCP_FLAG_SYN, 1, NULL, 0), 12);
    assert_int_equal(ctr_value("flow.expired"), 1);
    assert_int_equal(flow_table_count(ft), 2);
    /* Idle since 12 s, the last flow expires before its own late ACK is looked up. */
    process(ft, segment(1, 50003, 2, 445, TCP_FLAG_ACK, 2, NULL, 0), 100);
    assert_int_equal(ctr_value("flow.expired"), 3);
    assert_int_equal(flow_table_count(ft), 0);
    flow_table_free(ft);
}

/*
 * Ten idle flows older than flow T are more than one sweep ends. T, idle past
 * the timeout itself, still ends at its own next segment and starts anew.
 */
static void test_flow_idle_flow_ends_at_own_segment(void **state)
{
    (void)state;
    wa_opts.flow_idle_timeout_s = 10;
    struct flow_table *ft = flow_table_new(64, "test", &sink);
    for (uint16_t i = 0; i < 10; i++) {
        process(ft, segment(3, (uint16_t)(40000 + i), 2, 445, TCP_FLAG_SYN, 1, NULL, 0), 0);
    }
    process(ft, segment(1, 50001, 2, 445, TCP_FLAG_SYN, 1, NULL, 0), 1);
    process(ft, segment(1, 50001, 2, 445, TCP_FLAG_ACK, 2, smb_message, sizeof(smb_message)), 1);
    assert_int_equal(ctr_value("flow.created"), 11);
    process(ft, segment(1, 50001, 2, 445, TCP_FLAG_ACK, 70, smb_message, sizeof(smb_message)), 20);
    /* One sweep ends four of the ten older flows, and T ends as its own segment arrives. */
    assert_int_equal(ctr_value("flow.expired"), 5);
    assert_int_equal(ctr_value("flow.created"), 12);
    assert_int_equal(flow_table_count(ft), 7);
    flow_table_free(ft);
}

static void test_flow_smb_found_on_other_port(void **state)
{
    (void)state;
    struct flow_table *ft = flow_table_new(16, "test", &sink);
    process(ft, segment(1, 50000, 2, 8445, TCP_FLAG_SYN, 99, NULL, 0), 0);
    process(ft, segment(2, 8445, 1, 50000, TCP_FLAG_SYN | TCP_FLAG_ACK, 499, NULL, 0), 0);
    process(ft, segment(1, 50000, 2, 8445, 0x18, 100, smb_message, sizeof(smb_message)), 0);
    enum flow_app app;
    struct tcp_segment probe = segment(1, 50000, 2, 8445, 0, 0, NULL, 0);
    assert_non_null(flow_table_find(ft, &probe, &app));
    assert_int_equal(app, FLOW_APP_SMB);
    assert_int_equal(ctr_value("nbss.messages"), 1);
    flow_table_free(ft);
}

static void test_flow_other_protocol_given_up(void **state)
{
    (void)state;
    static const char request[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
    struct flow_table *ft = flow_table_new(16, "test", &sink);
    process(ft, segment(1, 50000, 2, 8080, TCP_FLAG_SYN, 99, NULL, 0), 0);
    process(ft, segment(2, 8080, 1, 50000, TCP_FLAG_SYN | TCP_FLAG_ACK, 499, NULL, 0), 0);
    for (uint32_t i = 0; i < CLASSIFY_PACKETS_MAX; i++) {
        process(ft, segment(1, 50000, 2, 8080, 0x18, 100 + i * 100, (const uint8_t *)request,
                            sizeof(request) - 1), 0);
    }
    enum flow_app app;
    struct tcp_segment probe = segment(1, 50000, 2, 8080, 0, 0, NULL, 0);
    assert_non_null(flow_table_find(ft, &probe, &app));
    assert_int_equal(app, FLOW_APP_OTHER);
    flow_table_free(ft);
}

static void test_flow_dcerpc_hint_applies_to_new_flows(void **state)
{
    (void)state;
    flow_hint_dcerpc("10.0.0.2", 49700);
    struct flow_table *ft = flow_table_new(16, "test", &sink);
    struct tcp_segment seg = segment(1, 50000, 2, 49700, 0x18, 1, (const uint8_t *)"xyz", 3);
    process(ft, seg, 0);
    enum flow_app app;
    assert_non_null(flow_table_find(ft, &seg, &app));
    assert_int_equal(app, FLOW_APP_DCERPC);
    flow_table_free(ft);
}

static void test_flow_hints_are_bounded(void **state)
{
    (void)state;
    for (uint16_t port = 1; port <= FLOW_HINTS_MAX + 10; port++) {
        flow_hint_dcerpc("10.0.0.9", port);
    }
    assert_false(flow_hint_is_dcerpc("10.0.0.9", 1));
    assert_true(flow_hint_is_dcerpc("10.0.0.9", FLOW_HINTS_MAX + 10));
    assert_int_equal(ctr_value("flow.dcerpc_hints"), FLOW_HINTS_MAX + 10);
}

static void test_flow_midstream_capture_finds_next_message(void **state)
{
    (void)state;
    struct flow_table *ft = flow_table_new(16, "test", &sink);
    process(ft, segment(1, 50000, 2, 445, 0x18, 1000, smb_message + 20, 48), 0); /* tail */
    process(ft, segment(1, 50000, 2, 445, 0x18, 1048, smb_message, sizeof(smb_message)), 0);
    assert_int_equal(ctr_value("nbss.messages"), 1);
    flow_table_free(ft);
}

static void test_flow_rst_and_port_reuse_end_flows(void **state)
{
    (void)state;
    struct flow_table *ft = flow_table_new(16, "test", &sink);
    process(ft, segment(1, 50000, 2, 445, 0x18, 1, smb_message, 8), 0);
    process(ft, segment(1, 50000, 2, 445, TCP_FLAG_SYN, 7000, NULL, 0), 1);
    assert_int_equal(ctr_value("flow.reused"), 1);
    assert_int_equal(flow_table_count(ft), 1);
    process(ft, segment(2, 445, 1, 50000, TCP_FLAG_RST, 1, NULL, 0), 2);
    assert_int_equal(flow_table_count(ft), 0);
    assert_int_equal(ctr_value("flow.closed"), 1);
    flow_table_free(ft);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_flow_handshake_data_and_fin_close, setup),
        cmocka_unit_test_setup(test_flow_port_139_session_request_framed, setup),
        cmocka_unit_test_setup(test_flow_sides_without_syn, setup),
        cmocka_unit_test_setup(test_flow_full_table_evicts_least_recent, setup),
        cmocka_unit_test_setup(test_flow_idle_flows_expire, setup),
        cmocka_unit_test_setup(test_flow_idle_flow_ends_at_own_segment, setup),
        cmocka_unit_test_setup(test_flow_smb_found_on_other_port, setup),
        cmocka_unit_test_setup(test_flow_other_protocol_given_up, setup),
        cmocka_unit_test_setup(test_flow_dcerpc_hint_applies_to_new_flows, setup),
        cmocka_unit_test_setup(test_flow_hints_are_bounded, setup),
        cmocka_unit_test_setup(test_flow_midstream_capture_finds_next_message, setup),
        cmocka_unit_test_setup(test_flow_rst_and_port_reuse_end_flows, setup),
    };
    (void)classify_acquire();
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    classify_release();
    return failed;
}
