/* Unit tests for the SMB state tables and the rebuilt 5140/5145 events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../dissectors/smb_events.h"
#include "smb_test_util.h"

struct fixture {
    struct test_events events;
    struct conn_meta meta;
    struct smb_state state;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return -1;
    }
    test_meta_init(&f->meta, &f->events);
    smb_state_init(&f->state, &f->meta);
    f->state.version = SMB_VERSION_2;
    ctr_reset_all();
    smb_shared_reset();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    smb_state_release(&f->state);
    test_events_clear(&f->events);
    free(f);
    return 0;
}

static struct smb_pending request(uint64_t session_id, uint32_t tree_id, char *path)
{
    struct smb_pending p = {.in_use = true,
                            .session_id = session_id,
                            .tree_id = tree_id,
                            .message_id = 9,
                            .wire_message_id = 9,
                            .time_us = 1000,
                            .frame = 3,
                            .path = path};
    return p;
}

/* Connects path with TreeId 1 in SessionId 7 and a successful response. */
static void connect_tree(struct fixture *f, const char *path)
{
    char copy[64];
    snprintf(copy, sizeof(copy), "%s", path);
    struct smb_pending req = request(7, 0, copy);
    struct smb_result res = {.status = 0, .tree_id = 1};
    smb_event_tree_connect(&f->state, &req, &res);
}

static void test_smb_events_access_list_order(void **state)
{
    (void)state;
    char out[256];
    /* The order and codes of a real 5145 for AccessMask 0x17019f. */
    smb_format_access_list(0x17019f, out, sizeof(out));
    assert_string_equal(out, "%%1537 %%1538 %%1539 %%1541 %%4416 %%4417 %%4418 %%4419 %%4420 "
                             "%%4423 %%4424");
    smb_format_access_list(0x0, out, sizeof(out));
    assert_string_equal(out, "");
}

static void test_smb_events_access_list_cut_whole(void **state)
{
    (void)state;
    char out[14];
    smb_format_access_list(0x7, out, sizeof(out));
    /* Only whole codes are written: "%%4416 %%4417" is 13 characters. */
    assert_string_equal(out, "%%4416 %%4417");
}

static void test_smb_events_split_tree_path(void **state)
{
    (void)state;
    char share[64];
    char host[64];
    assert_true(
        smb_split_tree_path("\\\\WORKSTATION6\\C$", share, sizeof(share), host, sizeof(host)));
    assert_string_equal(share, "\\\\*\\C$");
    assert_string_equal(host, "WORKSTATION6");
    assert_true(smb_split_tree_path("//10.0.0.6/IPC$", share, sizeof(share), host, sizeof(host)));
    assert_string_equal(share, "\\\\*\\IPC$");
    assert_string_equal(host, "10.0.0.6");
    assert_true(smb_split_tree_path("\\\\admin-pc\\c$", share, sizeof(share), host, sizeof(host)));
    assert_string_equal(share, "\\\\*\\C$");
    assert_true(smb_split_tree_path("\\\\s\\admin$", share, sizeof(share), host, sizeof(host)));
    assert_string_equal(share, "\\\\*\\ADMIN$");
    assert_true(smb_split_tree_path("\\\\s\\public", share, sizeof(share), host, sizeof(host)));
    assert_string_equal(share, "\\\\*\\public");
    assert_false(smb_split_tree_path("\\\\hostonly", share, sizeof(share), host, sizeof(host)));
    assert_false(smb_split_tree_path("\\\\host\\", share, sizeof(share), host, sizeof(host)));
}

static void test_smb_events_file_id_hex(void **state)
{
    (void)state;
    const uint8_t id[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                            0,    0,    0,    0,    0,    0,    0,    0xff};
    char out[40];
    smb_format_file_id(id, out, sizeof(out));
    assert_string_equal(out, "0123456789abcdef00000000000000ff");
}

static void test_smb_events_computer_from_tree_host(void **state)
{
    struct fixture *f = *state;
    connect_tree(f, "\\\\FILESRV\\data");
    struct event *ev = test_events_find(&f->events, 5140, 0);
    assert_non_null(ev);
    assert_string_equal(event_field(ev, "Computer"), "FILESRV");
    assert_string_equal(event_field(ev, "ShareName"), "\\\\*\\data");
    assert_int_equal(ev->time_us, 1000);
    assert_int_equal(ev->record, 3);
    assert_string_equal(ev->input, "unit");
    assert_null(event_field(ev, "SubjectUserName"));
}

static void test_smb_events_computer_prefers_ntlm_name(void **state)
{
    struct fixture *f = *state;
    struct smb_session *sess = smb_session_get(&f->state, 7, true);
    assert_non_null(sess);
    snprintf(sess->challenge.nb_computer, sizeof(sess->challenge.nb_computer), "SRV01");
    snprintf(sess->auth.user, sizeof(sess->auth.user), "bob");
    snprintf(sess->auth.domain, sizeof(sess->auth.domain), "CORP");
    connect_tree(f, "\\\\10.0.0.6\\IPC$");
    struct event *ev = test_events_find(&f->events, 5140, 0);
    assert_string_equal(event_field(ev, "Computer"), "SRV01");
    assert_string_equal(event_field(ev, "SubjectUserName"), "bob");
    assert_string_equal(event_field(ev, "SubjectDomainName"), "CORP");
}

static void test_smb_events_anonymous_subject(void **state)
{
    struct fixture *f = *state;
    struct smb_session *sess = smb_session_get(&f->state, 7, true);
    sess->auth.anonymous = true;
    connect_tree(f, "\\\\S\\IPC$");
    struct event *ev = test_events_find(&f->events, 5140, 0);
    assert_string_equal(event_field(ev, "SubjectUserName"), "ANONYMOUS LOGON");
    assert_string_equal(event_field(ev, "SubjectDomainName"), "NT AUTHORITY");
}

static void create_file(struct fixture *f, const char *name, uint32_t access, uint32_t options,
                        uint32_t status, uint32_t action)
{
    char copy[64];
    snprintf(copy, sizeof(copy), "%s", name);
    struct smb_pending req = request(7, 1, copy);
    req.desired_access = access;
    req.create_options = options;
    struct smb_result res = {.status = status,
                             .has_create_action = status == 0,
                             .create_action = action,
                             .has_file_id = status == 0};
    smb_event_create(&f->state, &req, &res);
}

static void test_smb_events_write_data_rule_cases(void **state)
{
    struct fixture *f = *state;
    connect_tree(f, "\\\\S\\C$");

    create_file(f, "new.exe", 0x120196, 0x40, 0, 3); /* overwritten: extra event */
    assert_int_equal(test_events_count(&f->events, 5145), 2);
    create_file(f, "old.exe", 0x120196, 0x40, 0, 1); /* opened: none */
    assert_int_equal(test_events_count(&f->events, 5145), 3);
    create_file(f, "dir", 0x100081 | 0x2, 0x1, 0, 2); /* directory: none */
    assert_int_equal(test_events_count(&f->events, 5145), 4);
    create_file(f, "denied.exe", 0x120196, 0x40, 0xc0000022u, 0); /* failed: none */
    assert_int_equal(test_events_count(&f->events, 5145), 5);
    create_file(f, "ro.txt", 0x120089, 0x40, 0, 2); /* no WriteData: none */
    assert_int_equal(test_events_count(&f->events, 5145), 6);
}

static void test_smb_events_share_root_name(void **state)
{
    struct fixture *f = *state;
    connect_tree(f, "\\\\S\\SYSVOL");
    create_file(f, "", 0x100080, 0x1, 0, 1);
    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_string_equal(event_field(ev, "RelativeTargetName"), "\\");
}

static void test_smb_events_unknown_tree_counted(void **state)
{
    struct fixture *f = *state;
    create_file(f, "x.txt", 0x80, 0, 0, 1);
    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_non_null(ev);
    assert_string_equal(event_field(ev, "ShareName"), "");
    assert_int_equal(ctr_value("smb.create_unknown_tree"), 1);
}

static void test_smb_events_release_emits_unanswered(void **state)
{
    struct fixture *f = *state;
    struct smb_pending *p = smb_pending_add(&f->state, 42);
    assert_non_null(p);
    p->kind = SMB_PENDING_TREE_CONNECT;
    p->path = strdup("\\\\S\\ADMIN$");
    smb_state_release(&f->state);

    struct event *ev = test_events_find(&f->events, 5140, 0);
    assert_non_null(ev);
    assert_string_equal(event_field(ev, "ShareName"), "\\\\*\\ADMIN$");
    assert_string_equal(event_get(ev, EVENT_WIRE, "Response"), "none");
}

static void test_smb_events_pending_reuse_counts(void **state)
{
    struct fixture *f = *state;
    struct smb_pending *first = smb_pending_add(&f->state, 5);
    assert_non_null(first);
    first->path = strdup("lost");
    struct smb_pending *second = smb_pending_add(&f->state, 5);
    assert_non_null(second);
    assert_null(second->path);
    assert_int_equal(ctr_value("smb2.unanswered"), 1);
    assert_ptr_equal(smb_pending_find(&f->state, 5, 0), second);
}

static void test_smb_events_session_cap(void **state)
{
    struct fixture *f = *state;
    for (uint64_t id = 1; id <= SMB_SESSIONS_MAX; id++) {
        assert_non_null(smb_session_get(&f->state, id, true));
    }
    assert_null(smb_session_get(&f->state, 1000, true));
    assert_int_equal(ctr_value("smb2.limit"), 1);
    smb_session_drop(&f->state, 3);
    assert_non_null(smb_session_get(&f->state, 1000, true));
}

static void test_smb_events_dcerpc_header_check(void **state)
{
    (void)state;
    uint8_t pdu[sizeof(TEST_DCERPC_BIND)];
    memcpy(pdu, TEST_DCERPC_BIND, sizeof(pdu));
    assert_true(smb_data_is_dcerpc(pdu, sizeof(pdu)));
    /* Two PDUs in one write: the first frag_length is shorter than the data. */
    uint8_t two[2 * sizeof(TEST_DCERPC_BIND)];
    memcpy(two, pdu, sizeof(pdu));
    memcpy(two + sizeof(pdu), pdu, sizeof(pdu));
    assert_true(smb_data_is_dcerpc(two, sizeof(two)));
    assert_false(smb_data_is_dcerpc(pdu, 15)); /* shorter than the common header */

    pdu[1] = 2; /* rpc_vers_minor 2 does not exist */
    assert_false(smb_data_is_dcerpc(pdu, sizeof(pdu)));
    pdu[1] = 1;
    assert_true(smb_data_is_dcerpc(pdu, sizeof(pdu)));

    pdu[2] = 4; /* PTYPE working: connectionless only */
    assert_false(smb_data_is_dcerpc(pdu, sizeof(pdu)));
    pdu[2] = 0x0b;

    pdu[8] = 0x0f; /* frag_length 15 is shorter than the header */
    assert_false(smb_data_is_dcerpc(pdu, sizeof(pdu)));
    pdu[8] = 0x49; /* frag_length 73 is one byte more than the data */
    assert_false(smb_data_is_dcerpc(pdu, sizeof(pdu)));
}

/* A fragment longer than one SMB message arrives as a prefix of SMB_PIPE_PREFIX_MIN or more. */
static void test_smb_events_dcerpc_long_fragment_prefix(void **state)
{
    (void)state;
    static uint8_t data[SMB_PIPE_PREFIX_MIN];
    memcpy(data, TEST_DCERPC_BIND, sizeof(TEST_DCERPC_BIND));
    data[8] = 0x00;
    data[9] = 0x10; /* frag_length 4096 */
    assert_true(smb_data_is_dcerpc(data, sizeof(data)));
    assert_false(smb_data_is_dcerpc(data, sizeof(data) - 1));
}

static void test_smb_events_well_known_pipe_names(void **state)
{
    (void)state;
    assert_true(smb_pipe_name_is_well_known("lsarpc"));
    assert_true(smb_pipe_name_is_well_known("\\lsarpc"));
    assert_true(smb_pipe_name_is_well_known("\\PIPE\\samr"));
    assert_true(smb_pipe_name_is_well_known("SVCCTL"));
    assert_false(smb_pipe_name_is_well_known("\\lsarpc.txt"));
    assert_false(smb_pipe_name_is_well_known("Windows\\Temp\\samr"));
    assert_false(smb_pipe_name_is_well_known(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smb_events_access_list_order),
        cmocka_unit_test(test_smb_events_access_list_cut_whole),
        cmocka_unit_test(test_smb_events_split_tree_path),
        cmocka_unit_test(test_smb_events_file_id_hex),
        cmocka_unit_test(test_smb_events_dcerpc_header_check),
        cmocka_unit_test(test_smb_events_dcerpc_long_fragment_prefix),
        cmocka_unit_test(test_smb_events_well_known_pipe_names),
        cmocka_unit_test_setup_teardown(test_smb_events_computer_from_tree_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smb_events_computer_prefers_ntlm_name, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_smb_events_anonymous_subject, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smb_events_write_data_rule_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smb_events_share_root_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smb_events_unknown_tree_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smb_events_release_emits_unanswered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smb_events_pending_reuse_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smb_events_session_cap, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
