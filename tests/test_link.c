/* Unit tests for host/wire linking: keys, the skew window and one link per event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../sensor/counters.h"
#include "../sensor/event.h"
#include "../sensor/link.h"
#include "../sensor/options.h"

static uint64_t next_seq;

/* A 5145 event at time_s seconds with the given Computer, AccessMask and IpAddress. */
static struct event *make_5145(enum event_origin origin, int64_t time_s, const char *computer,
                               const char *mask, const char *ip)
{
    struct event *ev = event_new(5145, time_s * 1000000, origin);
    assert_non_null(ev);
    ev->seq = ++next_seq;
    assert_int_equal(event_set(ev, EVENT_DATA, "Computer", computer), WA_OK);
    assert_int_equal(event_set(ev, EVENT_DATA, "ShareName", "\\\\*\\C$"), WA_OK);
    assert_int_equal(event_set(ev, EVENT_DATA, "RelativeTargetName", "Temp\\x.exe"), WA_OK);
    assert_int_equal(event_set(ev, EVENT_DATA, "AccessMask", mask), WA_OK);
    assert_int_equal(event_set(ev, EVENT_DATA, "IpAddress", ip), WA_OK);
    return ev;
}

static int setup(void **state)
{
    (void)state;
    wa_options_defaults();
    ctr_reset_all();
    next_seq = 0;
    return 0;
}

/* Feeds host then wire through a fresh linker and returns the wire event's link. */
static uint64_t link_pair(struct event *host, struct event *wire)
{
    struct linker *lk = linker_new();
    assert_non_null(lk);
    linker_process(lk, host);
    linker_process(lk, wire);
    uint64_t link = wire->link;
    assert_int_equal(host->link, 0);
    event_free(host);
    event_free(wire);
    linker_free(lk);
    return link;
}

static void test_link_same_access_within_skew_links(void **state)
{
    (void)state;
    struct event *host = make_5145(EVENT_ORIGIN_HOST, 100, "WS6", "0x2", "10.0.0.5");
    struct event *wire = make_5145(EVENT_ORIGIN_WIRE, 102, "WS6", "0x2", "10.0.0.5");
    assert_int_equal(link_pair(host, wire), 1);
    assert_int_equal(ctr_value("link.pairs"), 1);
}

static void test_link_outside_skew_not_linked(void **state)
{
    (void)state;
    struct event *host = make_5145(EVENT_ORIGIN_HOST, 100, "WS6", "0x2", "10.0.0.5");
    struct event *wire = make_5145(EVENT_ORIGIN_WIRE, 104, "WS6", "0x2", "10.0.0.5");
    assert_int_equal(link_pair(host, wire), 0);
}

static void test_link_short_name_matches_fqdn(void **state)
{
    (void)state;
    struct event *host = make_5145(EVENT_ORIGIN_HOST, 100, "WS6.corp.local", "0x2", "10.0.0.5");
    struct event *wire = make_5145(EVENT_ORIGIN_WIRE, 100, "ws6", "0x2", "10.0.0.5");
    assert_int_equal(link_pair(host, wire), 1);
}

static void test_link_different_fqdns_not_linked(void **state)
{
    (void)state;
    struct event *host = make_5145(EVENT_ORIGIN_HOST, 100, "ws6.corp.local", "0x2", "10.0.0.5");
    struct event *wire = make_5145(EVENT_ORIGIN_WIRE, 100, "ws6.lab.local", "0x2", "10.0.0.5");
    assert_int_equal(link_pair(host, wire), 0);
}

static void test_link_mask_and_address_forms_compare_equal(void **state)
{
    (void)state;
    struct event *host =
        make_5145(EVENT_ORIGIN_HOST, 100, "WS6", "0x00000002", "::ffff:10.0.0.5");
    struct event *wire = make_5145(EVENT_ORIGIN_WIRE, 100, "WS6", "0x2", "10.0.0.5");
    assert_int_equal(link_pair(host, wire), 1);
}

static void test_link_different_mask_not_linked(void **state)
{
    (void)state;
    struct event *host = make_5145(EVENT_ORIGIN_HOST, 100, "WS6", "0x80", "10.0.0.5");
    struct event *wire = make_5145(EVENT_ORIGIN_WIRE, 100, "WS6", "0x2", "10.0.0.5");
    assert_int_equal(link_pair(host, wire), 0);
}

static void test_link_same_origin_not_linked(void **state)
{
    (void)state;
    struct event *first = make_5145(EVENT_ORIGIN_WIRE, 100, "WS6", "0x2", "10.0.0.5");
    struct event *second = make_5145(EVENT_ORIGIN_WIRE, 100, "WS6", "0x2", "10.0.0.5");
    assert_int_equal(link_pair(first, second), 0);
}

static void test_link_each_event_links_once(void **state)
{
    (void)state;
    struct linker *lk = linker_new();
    assert_non_null(lk);
    struct event *host = make_5145(EVENT_ORIGIN_HOST, 100, "WS6", "0x2", "10.0.0.5");
    struct event *wire1 = make_5145(EVENT_ORIGIN_WIRE, 100, "WS6", "0x2", "10.0.0.5");
    struct event *wire2 = make_5145(EVENT_ORIGIN_WIRE, 101, "WS6", "0x2", "10.0.0.5");
    struct event *host2 = make_5145(EVENT_ORIGIN_HOST, 101, "WS6", "0x2", "10.0.0.5");
    linker_process(lk, host);
    linker_process(lk, wire1);
    linker_process(lk, wire2);
    linker_process(lk, host2);
    assert_int_equal(wire1->link, host->seq);
    /* host is taken, so wire2 waits and host2 links to it. */
    assert_int_equal(wire2->link, 0);
    assert_int_equal(host2->link, wire2->seq);
    assert_int_equal(ctr_value("link.pairs"), 2);
    event_free(host);
    event_free(wire1);
    event_free(wire2);
    event_free(host2);
    linker_free(lk);
}

static void test_link_event_without_rule_ignored(void **state)
{
    (void)state;
    struct event *ev = event_new(4688, 0, EVENT_ORIGIN_HOST);
    assert_non_null(ev);
    struct link_key key;
    assert_false(link_event_key(ev, &key));
    size_t count = 1;
    assert_null(link_key_fields(4688, &count));
    assert_int_equal(count, 0);
    event_free(ev);
}

static void test_link_window_full_forgets_oldest(void **state)
{
    (void)state;
    struct linker *lk = linker_new();
    assert_non_null(lk);
    struct event *first = make_5145(EVENT_ORIGIN_HOST, 100, "WS6", "0x1", "10.0.0.5");
    linker_process(lk, first);
    for (uint32_t i = 0; i < LINK_WINDOW_MAX; i++) {
        struct event *filler = make_5145(EVENT_ORIGIN_HOST, 100, "WS6", "0x2", "10.0.0.5");
        linker_process(lk, filler);
        event_free(filler);
    }
    struct event *wire = make_5145(EVENT_ORIGIN_WIRE, 100, "WS6", "0x1", "10.0.0.5");
    linker_process(lk, wire);
    assert_int_equal(wire->link, 0);
    /* The last filler pushed out the first event, and the unlinked wire event one filler. */
    assert_int_equal(ctr_value("link.window_full"), 2);
    event_free(first);
    event_free(wire);
    linker_free(lk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_link_same_access_within_skew_links, setup),
        cmocka_unit_test_setup(test_link_outside_skew_not_linked, setup),
        cmocka_unit_test_setup(test_link_short_name_matches_fqdn, setup),
        cmocka_unit_test_setup(test_link_different_fqdns_not_linked, setup),
        cmocka_unit_test_setup(test_link_mask_and_address_forms_compare_equal, setup),
        cmocka_unit_test_setup(test_link_different_mask_not_linked, setup),
        cmocka_unit_test_setup(test_link_same_origin_not_linked, setup),
        cmocka_unit_test_setup(test_link_each_event_links_once, setup),
        cmocka_unit_test_setup(test_link_event_without_rule_ignored, setup),
        cmocka_unit_test_setup(test_link_window_full_forgets_oldest, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
