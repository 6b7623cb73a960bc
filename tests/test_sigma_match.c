/* Unit tests for Sigma value matching: wildcards, modifiers, null, aliases and Windows renderings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "corr_test_util.h"

/*
 * Loads a rule whose only selection "sel" has the given body (lines indented
 * by 8 spaces), feeds ev and returns whether the rule alerted. Frees ev.
 */
static bool selection_matches_source(const char *source, const char *body, struct event *ev)
{
    char yaml[4096];
    snprintf(yaml, sizeof(yaml),
             "title: t\n"
             "logsource:\n    %s\n"
             "detection:\n    sel:\n%s    condition: sel\n",
             source, body);
    struct alert_log log;
    struct corr_engine *engine = engine_with(yaml, &log);
    assert_non_null(engine);
    feed(engine, ev);
    bool hit = alert_count(&log) == 1;
    engine_done(engine, &log);
    return hit;
}

static bool selection_matches(const char *body, struct event *ev)
{
    return selection_matches_source("product: windows\n    service: security", body, ev);
}

static struct event *cmd(const char *command_line)
{
    char pair[256];
    snprintf(pair, sizeof(pair), "CommandLine=%s", command_line);
    return make_event(4688, at(10, 0, 0), pair, NULL);
}

static void test_sigma_windash_matches_five_dashes(void **state)
{
    (void)state;
    const char *body = "        CommandLine|windash|contains: ' -a'\n";
    assert_true(selection_matches(body, cmd("x.exe -a")));
    assert_true(selection_matches(body, cmd("x.exe /a")));
    assert_true(selection_matches(body, cmd("x.exe \xe2\x80\x93"
                                            "a"))); /* U+2013 en dash */
    assert_true(selection_matches(body, cmd("x.exe \xe2\x80\x94"
                                            "a"))); /* U+2014 em dash */
    assert_true(selection_matches(body, cmd("x.exe \xe2\x80\x95"
                                            "a"))); /* U+2015 bar */
    assert_false(selection_matches(body, cmd("x.exe +a")));
    assert_false(selection_matches(body, cmd("x.exe -b")));
}

static void test_sigma_null_matches_only_absent_field(void **state)
{
    (void)state;
    const char *body = "        EventID: 4688\n        Field: null\n";
    assert_true(selection_matches(body, make_event(4688, 0, NULL)));
    assert_false(selection_matches(body, make_event(4688, 0, "Field=", NULL)));
    assert_false(selection_matches(body, make_event(4688, 0, "Field=x", NULL)));
}

static void test_sigma_empty_string_matches_only_empty_field(void **state)
{
    (void)state;
    const char *body = "        EventID: 4688\n        Field: ''\n";
    assert_true(selection_matches(body, make_event(4688, 0, "Field=", NULL)));
    assert_false(selection_matches(body, make_event(4688, 0, NULL)));
    assert_false(selection_matches(body, make_event(4688, 0, "Field=x", NULL)));
}

static void test_sigma_wildcards_and_escapes(void **state)
{
    (void)state;
    const char *star = "        Path: 'C:\\Win*\\cmd.exe'\n";
    assert_true(selection_matches(star, make_event(1, 0, "Path=c:\\windows\\CMD.exe", NULL)));
    assert_false(selection_matches(star, make_event(1, 0, "Path=c:\\windows\\cmd.exe.bak", NULL)));
    const char *one = "        Name: 'a?c'\n";
    assert_true(selection_matches(one, make_event(1, 0, "Name=abc", NULL)));
    assert_true(selection_matches(one, make_event(1, 0,
                                                  "Name=a\xc3\xa9"
                                                  "c",
                                                  NULL)));
    assert_false(selection_matches(one, make_event(1, 0, "Name=ac", NULL)));
    /* \* is a literal star and \\ a literal backslash (Sigma escaping). */
    const char *literal = "        Name: 'a\\*b\\\\'\n";
    assert_true(selection_matches(literal, make_event(1, 0, "Name=a*b\\", NULL)));
    assert_false(selection_matches(literal, make_event(1, 0, "Name=axxb\\", NULL)));
    /* The Windows form of ShareName written in SigmaHQ rules. */
    const char *share = "        ShareName: '\\\\\\\\\\*\\\\IPC$'\n";
    assert_true(selection_matches(share, make_event(5145, 0, "ShareName=\\\\*\\IPC$", NULL)));
    assert_false(selection_matches(share, make_event(5145, 0, "ShareName=\\\\srv\\IPC$", NULL)));
}

static void test_sigma_anchors_and_cased(void **state)
{
    (void)state;
    struct {
        const char *body;
        const char *value;
        bool expected;
    } cases[] = {
        {"        F|contains: 'Temp'\n", "F=c:\\windows\\temp\\x", true},
        {"        F|startswith: 'ab'\n", "F=ABC", true},
        {"        F|startswith: 'bc'\n", "F=ABC", false},
        {"        F|endswith: '.EXE'\n", "F=x.exe", true},
        {"        F|endswith: '.exe'\n", "F=x.exe.txt", false},
        {"        F|cased: 'Abc'\n", "F=Abc", true},
        {"        F|cased: 'Abc'\n", "F=abc", false},
        {"        F|contains|cased: 'Temp'\n", "F=\\temp\\", false},
    };
    for (size_t i = 0; i < WA_ARRAY_LEN(cases); i++) {
        bool hit = selection_matches(cases[i].body, make_event(1, 0, cases[i].value, NULL));
        assert_int_equal(hit, cases[i].expected);
    }
}

static void test_sigma_list_is_or_and_all_is_and(void **state)
{
    (void)state;
    const char *any = "        F|contains:\n            - 'a'\n            - 'z'\n";
    assert_true(selection_matches(any, make_event(1, 0, "F=xxz", NULL)));
    const char *all = "        F|contains|all:\n            - 'a'\n            - 'z'\n";
    assert_false(selection_matches(all, make_event(1, 0, "F=xxz", NULL)));
    assert_true(selection_matches(all, make_event(1, 0, "F=azz", NULL)));
}

static void test_sigma_exists_modifier(void **state)
{
    (void)state;
    assert_true(selection_matches("        F|exists: true\n", make_event(1, 0, "F=", NULL)));
    assert_false(selection_matches("        F|exists: true\n", make_event(1, 0, NULL)));
    assert_true(selection_matches("        F|exists: false\n", make_event(1, 0, NULL)));
}

static void test_sigma_regex_flags(void **state)
{
    (void)state;
    assert_true(selection_matches("        F|re: '^a.c$'\n", make_event(1, 0, "F=abc", NULL)));
    assert_false(selection_matches("        F|re: '^a.c$'\n", make_event(1, 0, "F=ABC", NULL)));
    assert_true(selection_matches("        F|re|i: '^a.c$'\n", make_event(1, 0, "F=ABC", NULL)));
    assert_false(selection_matches("        F|re: '^b$'\n", make_event(1, 0, "F=a\nb", NULL)));
    assert_true(selection_matches("        F|re|m: '^b$'\n", make_event(1, 0, "F=a\nb", NULL)));
    assert_false(selection_matches("        F|re: 'a.b'\n", make_event(1, 0, "F=a\nb", NULL)));
    assert_true(selection_matches("        F|re|s: 'a.b'\n", make_event(1, 0, "F=a\nb", NULL)));
}

static void test_sigma_base64_variants(void **state)
{
    (void)state;
    /* base64("whoami") = d2hvYW1p */
    assert_true(
        selection_matches("        F|base64: 'whoami'\n", make_event(1, 0, "F=d2hvYW1p", NULL)));
    /* base64(" whoami") = IHdob2FtaQ==, and offset 1 keeps "dob2Ft". */
    assert_true(selection_matches("        F|base64offset|contains: 'whoami'\n",
                                  make_event(1, 0, "F=xxIHdob2FtaQ==", NULL)));
    /* base64("  whoami") = ICB3aG9hbWk=, and offset 2 keeps "B3aG9hbW". */
    assert_true(selection_matches("        F|base64offset|contains: 'whoami'\n",
                                  make_event(1, 0, "F=ICB3aG9hbWk=", NULL)));
    assert_false(selection_matches("        F|base64offset|contains: 'whoami'\n",
                                   make_event(1, 0, "F=d2hvYW1", NULL)));
    /* UTF-16LE "ab" = 61 00 62 00, base64 YQBiAA== */
    assert_true(selection_matches("        F|utf16le|base64: 'ab'\n",
                                  make_event(1, 0, "F=YQBiAA==", NULL)));
    assert_true(
        selection_matches("        F|wide|base64: 'ab'\n", make_event(1, 0, "F=YQBiAA==", NULL)));
    /* UTF-16BE "ab" = 00 61 00 62, base64 AGEAYg== */
    assert_true(selection_matches("        F|utf16be|base64: 'ab'\n",
                                  make_event(1, 0, "F=AGEAYg==", NULL)));
}

static void test_sigma_numeric_comparisons(void **state)
{
    (void)state;
    assert_true(selection_matches("        N|lt: 10\n", make_event(1, 0, "N=9", NULL)));
    assert_false(selection_matches("        N|lt: 10\n", make_event(1, 0, "N=10", NULL)));
    assert_true(selection_matches("        N|lte: 10\n", make_event(1, 0, "N=10", NULL)));
    assert_true(selection_matches("        N|gt: 15\n", make_event(1, 0, "N=0x10", NULL)));
    assert_false(selection_matches("        N|gte: 17\n", make_event(1, 0, "N=0x10", NULL)));
    assert_false(selection_matches("        N|gt: 1\n", make_event(1, 0, "N=abc", NULL)));
}

static void test_sigma_cidr_ipv4_and_ipv6(void **state)
{
    (void)state;
    const char *v4 = "        IpAddress|cidr: '10.1.0.0/16'\n";
    assert_true(selection_matches(v4, make_event(1, 0, "IpAddress=10.1.200.3", NULL)));
    assert_true(selection_matches(v4, make_event(1, 0, "IpAddress=::ffff:10.1.2.3", NULL)));
    assert_false(selection_matches(v4, make_event(1, 0, "IpAddress=10.2.0.1", NULL)));
    const char *v6 = "        IpAddress|cidr: 'fe80::/10'\n";
    assert_true(
        selection_matches(v6, make_event(1, 0, "IpAddress=fe80::79bf:8ee2:433c:2567", NULL)));
    assert_false(selection_matches(v6, make_event(1, 0, "IpAddress=2001:db8::1", NULL)));
}

static void test_sigma_fieldref_and_neq(void **state)
{
    (void)state;
    const char *ref = "        TargetUserName|fieldref: SubjectUserName\n";
    assert_true(selection_matches(
        ref, make_event(1, 0, "TargetUserName=Bob", "SubjectUserName=bob", NULL)));
    assert_false(selection_matches(
        ref, make_event(1, 0, "TargetUserName=bob", "SubjectUserName=alice", NULL)));
    const char *neq = "        EventID: 1\n        F|neq:\n            - 'a'\n            - 'b'\n";
    assert_true(selection_matches(neq, make_event(1, 0, "F=c", NULL)));
    assert_false(selection_matches(neq, make_event(1, 0, "F=b", NULL)));
    assert_true(selection_matches(neq, make_event(1, 0, NULL)));
}

static void test_sigma_keywords_search_all_fields(void **state)
{
    (void)state;
    char yaml[] = "title: t\nlogsource:\n    product: windows\n    service: security\n"
                  "detection:\n    sel:\n        EventID: 5145\n    words:\n"
                  "        - 'samr'\n        - 'lsarpc'\n    condition: sel and not words\n";
    struct alert_log log;
    struct corr_engine *engine = engine_with(yaml, &log);
    assert_non_null(engine);
    feed(engine, make_event(5145, 0, "RelativeTargetName=SAMR", NULL));
    feed(engine, make_event(5145, 0, "RelativeTargetName=\\pipe\\lsarpc", NULL));
    feed(engine, make_event(5145, 0, "RelativeTargetName=evil", NULL));
    assert_int_equal(alert_count(&log), 1);
    engine_done(engine, &log);
}

static void test_sigma_access_right_names_match_codes(void **state)
{
    (void)state;
    const char *body = "        AccessList|contains: 'WriteData'\n";
    assert_true(selection_matches(body, make_event(5145, 0, "AccessList=%%4416 %%4417", NULL)));
    assert_false(selection_matches(body, make_event(5145, 0, "AccessList=%%4416", NULL)));
    const char *rendered = "        AccessList|contains: 'ReadData (or ListDirectory)'\n";
    assert_true(selection_matches(rendered, make_event(5145, 0, "AccessList=%%4416", NULL)));
    assert_true(selection_matches("        AccessList|contains: 'DELETE'\n",
                                  make_event(5145, 0, "AccessList=%%1537", NULL)));
    assert_true(selection_matches("        AccessList|contains: '%%4417'\n",
                                  make_event(5145, 0, "AccessList=%%4417", NULL)));
}

static void test_sigma_access_mask_compares_rendered_hex(void **state)
{
    (void)state;
    const char *body = "        AccessMask: '0x2'\n";
    assert_true(selection_matches(body, make_event(5145, 0, "AccessMask=0x00000002", NULL)));
    assert_true(selection_matches(body, make_event(5145, 0, "AccessMask=0x2", NULL)));
    assert_false(selection_matches(body, make_event(5145, 0, "AccessMask=0x12", NULL)));
    assert_true(selection_matches("        AccessMask: '0x0012019F'\n",
                                  make_event(5145, 0, "AccessMask=0x12019f", NULL)));
}

static void test_sigma_aliases_map_to_windows_names(void **state)
{
    (void)state;
    struct {
        const char *body;
        const char *pair;
    } cases[] = {
        {"        Share_Name: '\\\\\\\\*\\\\C$'\n", "ShareName=\\\\*\\C$"},
        {"        Relative_Target_Name: svcctl\n", "RelativeTargetName=svcctl"},
        {"        Access_Mask: '0x2'\n", "AccessMask=0x2"},
        {"        Account_Name: bob\n", "SubjectUserName=bob"},
        {"        Source_Address: 10.0.0.1\n", "IpAddress=10.0.0.1"},
        {"        ComputerName: WS6\n", "Computer=WS6"},
    };
    for (size_t i = 0; i < WA_ARRAY_LEN(cases); i++) {
        assert_true(selection_matches(cases[i].body, make_event(5145, 0, cases[i].pair, NULL)));
    }
    /* For logon events Account_Name is the account that logged on. */
    assert_true(selection_matches("        Account_Name: bob\n",
                                  make_event(4624, 0, "TargetUserName=bob", NULL)));
}

static void test_sigma_zeek_dce_rpc_maps_to_5712(void **state)
{
    (void)state;
    const char *zeek = "product: zeek\n    service: dce_rpc";
    const char *body = "        endpoint: svcctl\n        operation: CreateServiceW\n";
    assert_true(selection_matches_source(
        zeek, body, make_event(5712, 0, "InterfaceName=svcctl", "Operation=CreateServiceW", NULL)));
    assert_false(selection_matches_source(
        zeek, body, make_event(5145, 0, "InterfaceName=svcctl", "Operation=CreateServiceW", NULL)));
    /* Zeek's operation names lack the "R" of the IDL names the events carry. */
    assert_true(selection_matches_source(
        zeek, body,
        make_event(5712, 0, "InterfaceName=svcctl", "Operation=RCreateServiceW", NULL)));
    assert_false(selection_matches_source(
        zeek, body,
        make_event(5712, 0, "InterfaceName=svcctl", "Operation=XCreateServiceW", NULL)));
    const char *smb = "product: zeek\n    service: smb_files";
    assert_true(selection_matches_source(smb, "        name: atsvc\n",
                                         make_event(5145, 0, "RelativeTargetName=atsvc", NULL)));
}

static void test_sigma_provider_name_defaults_by_event(void **state)
{
    (void)state;
    const char *body = "        Provider_Name: 'Service Control Manager'\n";
    assert_true(selection_matches(body, make_event(7045, 0, NULL)));
    assert_false(selection_matches(body, make_event(4697, 0, NULL)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigma_windash_matches_five_dashes),
        cmocka_unit_test(test_sigma_null_matches_only_absent_field),
        cmocka_unit_test(test_sigma_empty_string_matches_only_empty_field),
        cmocka_unit_test(test_sigma_wildcards_and_escapes),
        cmocka_unit_test(test_sigma_anchors_and_cased),
        cmocka_unit_test(test_sigma_list_is_or_and_all_is_and),
        cmocka_unit_test(test_sigma_exists_modifier),
        cmocka_unit_test(test_sigma_regex_flags),
        cmocka_unit_test(test_sigma_base64_variants),
        cmocka_unit_test(test_sigma_numeric_comparisons),
        cmocka_unit_test(test_sigma_cidr_ipv4_and_ipv6),
        cmocka_unit_test(test_sigma_fieldref_and_neq),
        cmocka_unit_test(test_sigma_keywords_search_all_fields),
        cmocka_unit_test(test_sigma_access_right_names_match_codes),
        cmocka_unit_test(test_sigma_access_mask_compares_rendered_hex),
        cmocka_unit_test(test_sigma_aliases_map_to_windows_names),
        cmocka_unit_test(test_sigma_zeek_dce_rpc_maps_to_5712),
        cmocka_unit_test(test_sigma_provider_name_defaults_by_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
