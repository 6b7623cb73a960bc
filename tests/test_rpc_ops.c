/* Unit tests for the per-operation argument decoders, on stubs taken from public captures and on
 * crafted hostile stubs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../dissectors/rpc_events.h"
#include "../dissectors/rpc_ops.h"
#include "../sensor/counters.h"

/*
 * RCreateServiceA request stub (NDR 2.0) sent by SharpSC, from the public
 * OTRF Security-Datasets capture covenant_sharpsc_create (frame 190): handle, "Cyb3rWard0g",
 * display "OTR", access 0xf01ff, type 0x10, start 2, error 1, "C:\Windows\System32\GruntHTTP2.exe",
 * then null pointers.
 */
static const uint8_t create_service_a[] = {
    0x00, 0x00, 0x00, 0x00, 0x84, 0x87, 0x40, 0x1e, 0x38, 0x49, 0x5a, 0x4e, 0x98, 0xc3, 0x7b, 0xd4,
    0xd7, 0xc8, 0xb9, 0x5a, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00,
    0x43, 0x79, 0x62, 0x33, 0x72, 0x57, 0x61, 0x72, 0x64, 0x30, 0x67, 0x00, 0x00, 0x00, 0x02, 0x00,
    0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x4f, 0x54, 0x52, 0x00,
    0xff, 0x01, 0x0f, 0x00, 0x10, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x23, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x23, 0x00, 0x00, 0x00, 0x43, 0x3a, 0x5c, 0x57,
    0x69, 0x6e, 0x64, 0x6f, 0x77, 0x73, 0x5c, 0x53, 0x79, 0x73, 0x74, 0x65, 0x6d, 0x33, 0x32, 0x5c,
    0x47, 0x72, 0x75, 0x6e, 0x74, 0x48, 0x54, 0x54, 0x50, 0x32, 0x2e, 0x65, 0x78, 0x65, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/*
 * NetrJobAdd request stub (NDR64) from the suricata-verify capture
 * dcerpc-smb-ctxid (frame 25):
 * ServerName "\\192.168.56.101", JobTime 49020000 ms, Flags 0x10 and the
 * command "cmd /c whoami.exe > c:\windows\temp\at.txt" in quotes.
 */
static const uint8_t job_add_ndr64[] = {
    0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x5c, 0x00, 0x5c, 0x00, 0x31, 0x00, 0x39, 0x00, 0x32, 0x00, 0x2e, 0x00, 0x31,
    0x00, 0x36, 0x00, 0x38, 0x00, 0x2e, 0x00, 0x35, 0x00, 0x36, 0x00, 0x2e, 0x00, 0x31, 0x00,
    0x30, 0x00, 0x31, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x60, 0xfc, 0xeb,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x22, 0x00, 0x63, 0x00, 0x6d, 0x00, 0x64, 0x00, 0x20, 0x00, 0x2f, 0x00, 0x63, 0x00, 0x20,
    0x00, 0x77, 0x00, 0x68, 0x00, 0x6f, 0x00, 0x61, 0x00, 0x6d, 0x00, 0x69, 0x00, 0x2e, 0x00,
    0x65, 0x00, 0x78, 0x00, 0x65, 0x00, 0x20, 0x00, 0x3e, 0x00, 0x20, 0x00, 0x63, 0x00, 0x3a,
    0x00, 0x5c, 0x00, 0x77, 0x00, 0x69, 0x00, 0x6e, 0x00, 0x64, 0x00, 0x6f, 0x00, 0x77, 0x00,
    0x73, 0x00, 0x5c, 0x00, 0x74, 0x00, 0x65, 0x00, 0x6d, 0x00, 0x70, 0x00, 0x5c, 0x00, 0x61,
    0x00, 0x74, 0x00, 0x2e, 0x00, 0x74, 0x00, 0x78, 0x00, 0x74, 0x00, 0x22, 0x00, 0x00, 0x00,
};

/* Appends a little-endian value of size bytes. */
static size_t put_le(uint8_t *p, size_t off, uint64_t v, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        p[off + i] = (uint8_t)(v >> (8 * i));
    }
    return off + size;
}

/* Appends an NDR 2.0 conformant varying UTF-16 string of ASCII text with its NUL, padded to 4. */
static size_t put_wstring(uint8_t *p, size_t off, const char *text)
{
    uint32_t count = (uint32_t)strlen(text) + 1;
    off = put_le(p, off, count, 4);
    off = put_le(p, off, 0, 4);
    off = put_le(p, off, count, 4);
    for (uint32_t i = 0; i < count; i++) {
        off = put_le(p, off, (uint8_t)text[i], 2);
    }
    while (off % 4 != 0) {
        p[off++] = 0;
    }
    return off;
}

struct decoded {
    struct event *ev;
    struct rpc_op_state st;
    struct ndr n;
};

static enum wa_status decode_request(struct decoded *d, enum rpc_iface_id iface, uint16_t opnum,
                                     const uint8_t *stub, size_t len, bool ndr64)
{
    d->ev = event_new(5712, 0, EVENT_ORIGIN_WIRE);
    memset(&d->st, 0, sizeof(d->st));
    d->st.ev = d->ev;
    ndr_init(&d->n, stub, len, false, ndr64);
    return rpc_ops_decode_request(iface, opnum, &d->n, &d->st);
}

static void test_rpc_ops_create_service_a_from_capture(void **state)
{
    (void)state;
    struct decoded d;
    enum wa_status status =
        decode_request(&d, RPC_IFACE_SVCCTL, 24, create_service_a, sizeof(create_service_a), false);
    assert_int_equal(status, WA_OK);
    assert_string_equal(event_field(d.ev, "lpServiceName"), "Cyb3rWard0g");
    assert_string_equal(event_field(d.ev, "lpDisplayName"), "OTR");
    assert_string_equal(event_field(d.ev, "lpBinaryPathName"),
                        "C:\\Windows\\System32\\GruntHTTP2.exe");
    assert_string_equal(event_field(d.ev, "dwServiceType"), "0x10");
    assert_string_equal(event_field(d.ev, "dwStartType"), "2");
    assert_null(event_field(d.ev, "lpServiceStartName"));
    assert_true(d.st.handle_in_set);
    event_free(d.ev);
}

static void test_rpc_ops_job_add_ndr64_from_capture(void **state)
{
    (void)state;
    struct decoded d;
    enum wa_status status =
        decode_request(&d, RPC_IFACE_ATSVC, 0, job_add_ndr64, sizeof(job_add_ndr64), true);
    assert_int_equal(status, WA_OK);
    assert_string_equal(event_field(d.ev, "ServerName"), "\\\\192.168.56.101");
    assert_string_equal(event_field(d.ev, "Command"),
                        "\"cmd /c whoami.exe > c:\\windows\\temp\\at.txt\"");
    assert_string_equal(event_field(d.ev, "JobTime"), "13:37");
    assert_string_equal(event_field(d.ev, "Flags"), "0x10");
    /* Response: JobId 7, return value 0 */
    static const uint8_t response[] = {7, 0, 0, 0, 0, 0, 0, 0};
    ndr_init(&d.n, response, sizeof(response), false, true);
    assert_int_equal(rpc_ops_decode_response(RPC_IFACE_ATSVC, 0, &d.n, &d.st), WA_OK);
    assert_string_equal(event_field(d.ev, "JobId"), "7");
    event_free(d.ev);
}

static void test_rpc_ops_register_task_takes_command(void **state)
{
    (void)state;
    uint8_t stub[1024];
    size_t off = put_le(stub, 0, 0x20000, 4); /* path: unique pointer */
    off = put_wstring(stub, off, "\\Updater");
    off = put_wstring(stub, off,
                      "<Task><Actions><Exec><Command>cmd.exe</Command>"
                      "<Arguments>/c whoami &gt; c:\\o.txt &amp; exit</Arguments></Exec>"
                      "</Actions></Task>");
    off = put_le(stub, off, 6, 4); /* flags: TASK_CREATE_OR_UPDATE */
    off = put_le(stub, off, 0, 4); /* sddl: null */
    off = put_le(stub, off, 3, 4); /* logonType */
    off = put_le(stub, off, 0, 4); /* cCreds */
    off = put_le(stub, off, 0, 4); /* pCreds: null */
    struct decoded d;
    assert_int_equal(decode_request(&d, RPC_IFACE_TSCH, 1, stub, off, false), WA_OK);
    assert_string_equal(event_field(d.ev, "path"), "\\Updater");
    assert_string_equal(event_field(d.ev, "Command"), "cmd.exe");
    assert_string_equal(event_field(d.ev, "Arguments"), "/c whoami > c:\\o.txt & exit");
    assert_string_equal(event_field(d.ev, "flags"), "0x6");
    assert_string_equal(event_field(d.ev, "logonType"), "3");
    event_free(d.ev);
}

static void test_rpc_ops_lookup_names_joins(void **state)
{
    (void)state;
    uint8_t stub[512];
    size_t off = 20;
    memset(stub, 0x33, 20);           /* DomainHandle */
    off = put_le(stub, off, 2, 4);    /* Count */
    off = put_le(stub, off, 1000, 4); /* maximum count */
    off = put_le(stub, off, 0, 4);    /* offset */
    off = put_le(stub, off, 2, 4);    /* actual count */
    static const char *const names[] = {"Domain Admins", "krbtgt"};
    for (int i = 0; i < 2; i++) {
        uint16_t bytes = (uint16_t)(2 * strlen(names[i]));
        off = put_le(stub, off, bytes, 2);
        off = put_le(stub, off, bytes, 2);
        off = put_le(stub, off, 0x20000 + 4u * (unsigned)i, 4);
    }
    for (int i = 0; i < 2; i++) {
        uint32_t count = (uint32_t)strlen(names[i]);
        off = put_le(stub, off, count, 4);
        off = put_le(stub, off, 0, 4);
        off = put_le(stub, off, count, 4);
        for (uint32_t c = 0; c < count; c++) {
            off = put_le(stub, off, (uint8_t)names[i][c], 2);
        }
        while (off % 4 != 0) {
            stub[off++] = 0;
        }
    }
    struct decoded d;
    assert_int_equal(decode_request(&d, RPC_IFACE_SAMR, 17, stub, off, false), WA_OK);
    assert_string_equal(event_field(d.ev, "Names"), "Domain Admins,krbtgt");
    event_free(d.ev);
}

static void test_rpc_ops_epm_map_reports_port(void **state)
{
    (void)state;
    /* Tower with 2 floors: a UUID floor (lhs kept short) and a TCP floor with port 49667. */
    static const uint8_t tower[] = {
        0x02, 0x00,                               /* floor count */
        0x01, 0x00, 0x0d, 0x02, 0x00, 0x00, 0x00, /* lhs 0x0d, rhs 2 bytes */
        0x01, 0x00, 0x07, 0x02, 0x00, 0xc2, 0x03, /* lhs TCP, rhs port 0xc203 */
    };
    uint8_t stub[256];
    memset(stub, 0, 20);                 /* entry_handle */
    size_t off = put_le(stub, 20, 1, 4); /* num_towers */
    off = put_le(stub, off, 4, 4);       /* max_towers */
    off = put_le(stub, off, 0, 4);       /* offset */
    off = put_le(stub, off, 1, 4);       /* actual */
    off = put_le(stub, off, 3, 4);       /* referent id */
    off = put_le(stub, off, sizeof(tower), 4);
    off = put_le(stub, off, sizeof(tower), 4);
    memcpy(stub + off, tower, sizeof(tower));
    off += sizeof(tower);
    while (off % 4 != 0) {
        stub[off++] = 0;
    }
    off = put_le(stub, off, 0, 4); /* status */
    struct decoded d;
    d.ev = event_new(5712, 0, EVENT_ORIGIN_WIRE);
    memset(&d.st, 0, sizeof(d.st));
    d.st.ev = d.ev;
    ndr_init(&d.n, stub, off, false, false);
    assert_int_equal(rpc_ops_decode_response(RPC_IFACE_EPM, 3, &d.n, &d.st), WA_OK);
    assert_string_equal(event_field(d.ev, "MappedPort"), "49667");
    event_free(d.ev);
}

static void test_rpc_ops_huge_string_count_stops(void **state)
{
    (void)state;
    uint8_t stub[64];
    memset(stub, 0, 20);
    size_t off = put_le(stub, 20, 0xfffffff0u, 4); /* lpServiceName maximum count */
    off = put_le(stub, off, 0, 4);
    off = put_le(stub, off, 0xfffffff0u, 4);
    struct decoded d;
    assert_int_equal(decode_request(&d, RPC_IFACE_SVCCTL, 12, stub, off, false), WA_MALFORMED);
    assert_null(event_field(d.ev, "lpServiceName"));
    assert_null(event_field(d.ev, "lpBinaryPathName"));
    event_free(d.ev);
}

static void test_rpc_ops_string_past_stub_stops(void **state)
{
    (void)state;
    /* The CreateServiceA stub cut inside the binary path. */
    struct decoded d;
    enum wa_status status = decode_request(&d, RPC_IFACE_SVCCTL, 24, create_service_a, 100, false);
    assert_int_equal(status, WA_NEED_MORE);
    assert_string_equal(event_field(d.ev, "lpServiceName"), "Cyb3rWard0g");
    assert_null(event_field(d.ev, "lpBinaryPathName"));
    event_free(d.ev);
}

static void test_rpc_ops_start_service_argc_capped(void **state)
{
    (void)state;
    uint8_t stub[64];
    memset(stub, 0, 20);
    size_t off = put_le(stub, 20, 100000, 4); /* argc */
    off = put_le(stub, off, 0x20000, 4);      /* argv */
    off = put_le(stub, off, 100000, 4);       /* conformance */
    ctr_reset_all();
    struct decoded d;
    decode_request(&d, RPC_IFACE_SVCCTL, 19, stub, off, false);
    assert_int_equal(ctr_value("rpc.list_capped"), 1);
    assert_null(event_field(d.ev, "argv"));
    event_free(d.ev);
}

/* Decodes every prefix from an exact-size heap copy, so ASan reports any read past it. */
static void sweep_prefixes(enum rpc_iface_id iface, uint16_t opnum, const uint8_t *stub, size_t len,
                           bool ndr64)
{
    for (size_t cut = 0; cut <= len; cut++) {
        uint8_t *copy = malloc(cut + 1);
        assert_non_null(copy);
        memcpy(copy, stub, cut);
        struct decoded d;
        enum wa_status status = decode_request(&d, iface, opnum, copy, cut, ndr64);
        if (cut < len) {
            assert_int_not_equal(status, WA_OK);
        }
        event_free(d.ev);
        free(copy);
    }
}

static void test_rpc_ops_prefix_sweep_never_overreads(void **state)
{
    (void)state;
    sweep_prefixes(RPC_IFACE_SVCCTL, 24, create_service_a, sizeof(create_service_a), false);
    sweep_prefixes(RPC_IFACE_ATSVC, 0, job_add_ndr64, sizeof(job_add_ndr64), true);
}

static void test_rpc_ops_handle_label_joins_registry_path(void **state)
{
    (void)state;
    struct event *ev = event_new(5712, 0, EVENT_ORIGIN_WIRE);
    char label[256];
    assert_true(rpc_ops_handle_label(RPC_IFACE_WINREG, 2, ev, NULL, label, sizeof(label)));
    assert_string_equal(label, "HKEY_LOCAL_MACHINE");
    assert_int_equal(event_set(ev, EVENT_DATA, "lpSubKey", "SYSTEM\\CurrentControlSet"), WA_OK);
    assert_true(
        rpc_ops_handle_label(RPC_IFACE_WINREG, 15, ev, "HKEY_LOCAL_MACHINE", label, sizeof(label)));
    assert_string_equal(label, "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet");
    assert_false(rpc_ops_handle_label(RPC_IFACE_WINREG, 22, ev, NULL, label, sizeof(label)));
    event_free(ev);
}

static void test_rpc_ops_xml_element_unescapes(void **state)
{
    (void)state;
    char out[64];
    assert_true(rpc_ops_xml_element("<a><Command>x &lt;y&gt; &quot;z&quot;</Command></a>",
                                    "Command", out, sizeof(out)));
    assert_string_equal(out, "x <y> \"z\"");
    assert_false(rpc_ops_xml_element("<Command>unclosed", "Command", out, sizeof(out)));
    assert_false(rpc_ops_xml_element("<a/>", "Command", out, sizeof(out)));
}

static void test_rpc_events_service_words_match_7045(void **state)
{
    (void)state;
    char text[32];
    rpc_events_service_type_text(0x10, text, sizeof(text));
    assert_string_equal(text, "user mode service");
    rpc_events_service_type_text(0x1, text, sizeof(text));
    assert_string_equal(text, "kernel mode driver");
    rpc_events_service_type_text(0x400, text, sizeof(text));
    assert_string_equal(text, "0x400");
    assert_string_equal(rpc_events_start_type_text(2), "auto start");
    assert_string_equal(rpc_events_start_type_text(3), "demand start");
    assert_null(rpc_events_start_type_text(9));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rpc_ops_create_service_a_from_capture),
        cmocka_unit_test(test_rpc_ops_job_add_ndr64_from_capture),
        cmocka_unit_test(test_rpc_ops_register_task_takes_command),
        cmocka_unit_test(test_rpc_ops_lookup_names_joins),
        cmocka_unit_test(test_rpc_ops_epm_map_reports_port),
        cmocka_unit_test(test_rpc_ops_huge_string_count_stops),
        cmocka_unit_test(test_rpc_ops_string_past_stub_stops),
        cmocka_unit_test(test_rpc_ops_start_service_argc_capped),
        cmocka_unit_test(test_rpc_ops_prefix_sweep_never_overreads),
        cmocka_unit_test(test_rpc_ops_handle_label_joins_registry_path),
        cmocka_unit_test(test_rpc_ops_xml_element_unescapes),
        cmocka_unit_test(test_rpc_events_service_words_match_7045),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
