/* Unit tests for the SMB2/3 dissector: framing, commands, compound chains and pipes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../dissectors/smb2.h"
#include "smb_test_util.h"

#define SESSION_ID 0x0000100000000011ull
#define TREE_IPC 1u
#define TREE_C 5u
#define STATUS_ACCESS_DENIED 0xc0000022u

static const uint8_t FILE_ID_A[16] = {0x0a, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0};
static const uint8_t FILE_ID_PIPE[16] = {0x0b, 0, 0, 0, 7, 0, 0, 0, 5, 0, 0, 0, 7, 0, 0, 0};

/* Appends a sync header; a response carries status, a request carries ChannelSequence 0x0005. */
static void header(struct test_buf *b, uint16_t command, bool response, uint32_t status,
                   uint64_t msg_id, uint64_t session_id, uint32_t tree_id)
{
    tb_bytes(b, "\xfeSMB", 4);
    tb_le16(b, 64);
    tb_le16(b, 1);
    tb_le32(b, response ? status : 0x00000005u);
    tb_le16(b, command);
    tb_le16(b, 1);
    tb_le32(b, response ? SMB2_FLAGS_SERVER_TO_REDIR : 0);
    tb_le32(b, 0);
    tb_le64(b, msg_id);
    tb_le32(b, 0xfeff);
    tb_le32(b, tree_id);
    tb_le64(b, session_id);
    tb_zeros(b, 16);
}

static void session_setup_request(struct test_buf *b, uint64_t msg_id, uint64_t session_id,
                                  const uint8_t *blob, size_t blob_len)
{
    header(b, SMB2_SESSION_SETUP, false, 0, msg_id, session_id, 0);
    tb_le16(b, 25);
    tb_u8(b, 0);
    tb_u8(b, 1);
    tb_le32(b, 0);
    tb_le32(b, 0);
    tb_le16(b, 64 + 24);
    tb_le16(b, (uint16_t)blob_len);
    tb_le64(b, 0);
    tb_bytes(b, blob, blob_len);
}

static void session_setup_response(struct test_buf *b, uint64_t msg_id, uint32_t status,
                                   const uint8_t *blob, size_t blob_len)
{
    header(b, SMB2_SESSION_SETUP, true, status, msg_id, SESSION_ID, 0);
    tb_le16(b, 9);
    tb_le16(b, 0);
    tb_le16(b, blob_len != 0 ? 72 : 0);
    tb_le16(b, (uint16_t)blob_len);
    tb_bytes(b, blob, blob_len);
}

/* Negotiates 3.1.1 and logs on THESHIRE\pgustavo from WORKSTATION5 with NTLM. */
static void logon(struct conn_fixture *f, uint32_t final_status)
{
    struct test_buf b = {.len = 0};
    uint8_t blob[512];
    size_t blob_len;

    header(&b, SMB2_NEGOTIATE, true, 0, 0, 0, 0);
    tb_le16(&b, 65);
    tb_le16(&b, 1);
    tb_le16(&b, 0x0311);
    tb_zeros(&b, 58);
    conn_fixture_feed(f, false, &b);

    b.len = 0;
    session_setup_request(&b, 1, 0, (const uint8_t *)"NTLMSSP\0\x01\0\0\0", 12);
    conn_fixture_feed(f, true, &b);
    b.len = 0;
    blob_len = test_ntlm_challenge(blob, "WORKSTATION6", "workstation6.theshire.local");
    session_setup_response(&b, 1, NT_STATUS_MORE_PROCESSING_REQUIRED, blob, blob_len);
    conn_fixture_feed(f, false, &b);

    b.len = 0;
    blob_len = test_ntlm_authenticate(blob, "THESHIRE", "pgustavo", "WORKSTATION5", 48);
    session_setup_request(&b, 2, SESSION_ID, blob, blob_len);
    conn_fixture_feed(f, true, &b);
    b.len = 0;
    session_setup_response(&b, 2, final_status, NULL, 0);
    conn_fixture_feed(f, false, &b);
}

static void tree_connect(struct conn_fixture *f, uint64_t msg_id, const char *path, uint32_t tree_id,
                         uint8_t share_type)
{
    struct test_buf b = {.len = 0};
    header(&b, SMB2_TREE_CONNECT, false, 0, msg_id, SESSION_ID, 0);
    tb_le16(&b, 9);
    tb_le16(&b, 0);
    tb_le16(&b, 72);
    size_t len_at = b.len;
    tb_le16(&b, 0);
    tb_set_le16(&b, len_at, tb_utf16(&b, path));
    conn_fixture_feed(f, true, &b);

    b.len = 0;
    header(&b, SMB2_TREE_CONNECT, true, 0, msg_id, SESSION_ID, tree_id);
    tb_le16(&b, 16);
    tb_u8(&b, share_type);
    tb_u8(&b, 0);
    tb_zeros(&b, 12);
    conn_fixture_feed(f, false, &b);
}

/* Appends a CREATE request body (after its header). */
static void create_body(struct test_buf *b, const char *name, uint32_t access, uint32_t disposition,
                        uint32_t options)
{
    size_t start = b->len - 64;
    tb_le16(b, 57);
    tb_u8(b, 0);
    tb_u8(b, 0);
    tb_le32(b, 2);
    tb_zeros(b, 16);
    tb_le32(b, access);
    tb_le32(b, 0x80);
    tb_le32(b, 7);
    tb_le32(b, disposition);
    tb_le32(b, options);
    tb_le16(b, (uint16_t)(b->len + 12 - start));
    size_t len_at = b->len;
    tb_le16(b, 0);
    tb_le32(b, 0);
    tb_le32(b, 0);
    tb_set_le16(b, len_at, tb_utf16(b, name));
}

static void create_response_body(struct test_buf *b, uint32_t action, const uint8_t file_id[16])
{
    tb_le16(b, 89);
    tb_u8(b, 0);
    tb_u8(b, 0);
    tb_le32(b, action);
    tb_zeros(b, 32 + 16 + 8);
    tb_bytes(b, file_id, 16);
    tb_le32(b, 0);
    tb_le32(b, 0);
}

static void create(struct conn_fixture *f, uint64_t msg_id, uint32_t tree_id, const char *name,
                   uint32_t access, uint32_t status, uint32_t action, const uint8_t file_id[16])
{
    struct test_buf b = {.len = 0};
    header(&b, SMB2_CREATE, false, 0, msg_id, SESSION_ID, tree_id);
    create_body(&b, name, access, 1, 0x40);
    conn_fixture_feed(f, true, &b);

    b.len = 0;
    header(&b, SMB2_CREATE, true, status, msg_id, SESSION_ID, tree_id);
    if (status == NT_STATUS_SUCCESS) {
        create_response_body(&b, action, file_id);
    } else {
        tb_le16(&b, 9);
        tb_zeros(&b, 7);
    }
    conn_fixture_feed(f, false, &b);
}

static void test_smb2_header_rejects_short_buffer(void **state)
{
    (void)state;
    struct test_buf b = {.len = 0};
    struct smb2_header hdr;
    header(&b, SMB2_CREATE, false, 0, 1, 1, 1);
    assert_int_equal(smb2_parse_header(b.data, 63, &hdr), WA_NEED_MORE);
    assert_int_equal(smb2_parse_header(b.data, 64, &hdr), WA_OK);
}

static void test_smb2_header_rejects_bad_magic(void **state)
{
    (void)state;
    struct test_buf b = {.len = 0};
    struct smb2_header hdr;
    header(&b, SMB2_CREATE, false, 0, 1, 1, 1);
    b.data[0] = 0xfd;
    assert_int_equal(smb2_parse_header(b.data, b.len, &hdr), WA_MALFORMED);
}

static void test_smb2_header_request_has_no_status(void **state)
{
    (void)state;
    struct test_buf b = {.len = 0};
    struct smb2_header hdr;
    /* Bytes 8-11 of a request are ChannelSequence 5 and Reserved, not an NT status. */
    header(&b, SMB2_CREATE, false, 0, 7, 0x11, 3);
    assert_int_equal(smb2_parse_header(b.data, b.len, &hdr), WA_OK);
    assert_int_equal(hdr.status, 0);
    assert_int_equal(hdr.message_id, 7);
    assert_int_equal(hdr.tree_id, 3);
    assert_int_equal(hdr.session_id, 0x11);
}

static void test_smb2_logon_emits_4624(void **state)
{
    struct conn_fixture *f = *state;
    logon(f, NT_STATUS_SUCCESS);

    struct event *ev = test_events_find(&f->events, 4624, 0);
    assert_non_null(ev);
    assert_string_equal(event_field(ev, "TargetUserName"), "pgustavo");
    assert_string_equal(event_field(ev, "TargetDomainName"), "THESHIRE");
    assert_string_equal(event_field(ev, "WorkstationName"), "WORKSTATION5");
    assert_string_equal(event_field(ev, "Computer"), "WORKSTATION6");
    assert_string_equal(event_field(ev, "LogonType"), "3");
    assert_string_equal(event_field(ev, "AuthenticationPackageName"), "NTLM");
    assert_string_equal(event_field(ev, "TargetLogonId"), "0x100000000011");
    assert_string_equal(event_get(ev, EVENT_WIRE, "Dialect"), "3.1.1");
    /* TimeCreated and Frame come from the request that carried AUTHENTICATE (frame 4). */
    assert_int_equal(ev->record, 4);
}

static void test_smb2_logon_failure_emits_4625(void **state)
{
    struct conn_fixture *f = *state;
    logon(f, 0xc000006du);

    struct event *ev = test_events_find(&f->events, 4625, 0);
    assert_non_null(ev);
    assert_null(test_events_find(&f->events, 4624, 0));
    assert_string_equal(event_field(ev, "Status"), "0xc000006d");
    assert_string_equal(event_field(ev, "Keywords"), "Audit Failure");
}

static void test_smb2_tree_connect_emits_5140(void **state)
{
    struct conn_fixture *f = *state;
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);

    struct event *ev = test_events_find(&f->events, 5140, 0);
    assert_non_null(ev);
    assert_string_equal(event_field(ev, "ShareName"), "\\\\*\\C$");
    assert_string_equal(event_field(ev, "AccessMask"), "0x1");
    assert_string_equal(event_field(ev, "AccessList"), "%%4416");
    assert_string_equal(event_field(ev, "SubjectUserName"), "pgustavo");
    assert_string_equal(event_field(ev, "SubjectLogonId"), "0x100000000011");
    assert_string_equal(event_field(ev, "IpAddress"), "10.0.0.5");
    assert_string_equal(event_field(ev, "IpPort"), "50000");
    assert_string_equal(event_field(ev, "Keywords"), "Audit Success");
    assert_string_equal(event_get(ev, EVENT_WIRE, "TreeId"), "5");
    assert_string_equal(event_get(ev, EVENT_WIRE, "ShareType"), "disk");
}

static void test_smb2_create_emits_5145(void **state)
{
    struct conn_fixture *f = *state;
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);
    create(f, 4, TREE_C, "ProgramData", 0x80, NT_STATUS_SUCCESS, 1, FILE_ID_A);

    assert_int_equal(test_events_count(&f->events, 5145), 1);
    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_string_equal(event_field(ev, "ShareName"), "\\\\*\\C$");
    assert_string_equal(event_field(ev, "RelativeTargetName"), "ProgramData");
    assert_string_equal(event_field(ev, "AccessMask"), "0x80");
    assert_string_equal(event_field(ev, "AccessList"), "%%4423");
    assert_string_equal(event_field(ev, "Computer"), "WORKSTATION6");
    assert_string_equal(event_get(ev, EVENT_WIRE, "MessageId"), "4");
    assert_string_equal(event_get(ev, EVENT_WIRE, "CreateDisposition"), "0x1");
    assert_string_equal(event_get(ev, EVENT_WIRE, "CreateOptions"), "0x40");
    assert_string_equal(event_get(ev, EVENT_WIRE, "ShareAccess"), "0x7");
    assert_string_equal(event_get(ev, EVENT_WIRE, "CreateAction"), "1");
    assert_string_equal(event_get(ev, EVENT_WIRE, "NtStatus"), "0x00000000");
    assert_string_equal(event_get(ev, EVENT_WIRE, "FileId"), "0a000000070000000100000007000000");
    assert_null(event_get(ev, EVENT_WIRE, "Rule"));
}

static void test_smb2_created_file_adds_write_data(void **state)
{
    struct conn_fixture *f = *state;
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);
    create(f, 4, TREE_C, "ProgramData\\GruntHTTP.exe", 0x17019f, NT_STATUS_SUCCESS, 2, FILE_ID_A);

    assert_int_equal(test_events_count(&f->events, 5145), 2);
    struct event *first = test_events_find(&f->events, 5145, 0);
    struct event *extra = test_events_find(&f->events, 5145, 1);
    assert_string_equal(event_field(first, "AccessMask"), "0x17019f");
    assert_string_equal(event_field(extra, "AccessMask"), "0x2");
    assert_string_equal(event_field(extra, "AccessList"), "%%4417");
    assert_string_equal(event_field(extra, "RelativeTargetName"), "ProgramData\\GruntHTTP.exe");
    assert_string_equal(event_get(extra, EVENT_WIRE, "Rule"), "created-file-write-data");
    assert_int_equal(extra->time_us, first->time_us);
}

static void test_smb2_create_denied_is_audit_failure(void **state)
{
    struct conn_fixture *f = *state;
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);
    create(f, 4, TREE_C, "Windows\\x.exe", 0x120116, STATUS_ACCESS_DENIED, 0, FILE_ID_A);

    assert_int_equal(test_events_count(&f->events, 5145), 1);
    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_string_equal(event_field(ev, "Keywords"), "Audit Failure");
    assert_string_equal(event_get(ev, EVENT_WIRE, "Attempted"), "true");
    assert_string_equal(event_get(ev, EVENT_WIRE, "NtStatus"), "0xc0000022");
}

/* Session and request failures come before any access check, so Windows audits nothing. */
static void test_smb2_create_session_deleted_not_audited(void **state)
{
    struct conn_fixture *f = *state;
    static const uint32_t statuses[] = {
        0xc0000203u, /* STATUS_USER_SESSION_DELETED */
        0xc00000c9u, /* STATUS_NETWORK_NAME_DELETED */
        0xc000000du, /* STATUS_INVALID_PARAMETER */
    };
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        create(f, 4 + i, TREE_C, "Windows\\x.exe", 0x120116, statuses[i], 0, FILE_ID_A);
    }
    assert_int_equal(test_events_count(&f->events, 5145), 0);
    assert_int_equal(ctr_value("smb.create_not_audited"), 3);
}

/* Two unrelated CREATEs in one compound request, then one compound response. */
static void test_smb2_tree_disconnect_forgets_tree(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);

    header(&b, SMB2_TREE_DISCONNECT, false, 0, 4, SESSION_ID, TREE_C);
    tb_le16(&b, 4);
    tb_le16(&b, 0);
    conn_fixture_feed(f, true, &b);
    b.len = 0;
    header(&b, SMB2_TREE_DISCONNECT, true, 0, 4, SESSION_ID, TREE_C);
    tb_le16(&b, 4);
    tb_le16(&b, 0);
    conn_fixture_feed(f, false, &b);

    create(f, 5, TREE_C, "late.txt", 0x80, NT_STATUS_SUCCESS, 1, FILE_ID_A);
    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_non_null(ev);
    assert_string_equal(event_field(ev, "ShareName"), "");
    assert_int_equal(ctr_value("smb.create_unknown_tree"), 1);
}

static void test_smb2_compound_creates_emit_each(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);

    header(&b, SMB2_CREATE, false, 0, 10, SESSION_ID, TREE_C);
    create_body(&b, "a.txt", 0x80, 1, 0);
    while (b.len % 8 != 0) {
        tb_u8(&b, 0);
    }
    tb_set_le32(&b, 20, (uint32_t)b.len);
    header(&b, SMB2_CREATE, false, 0, 11, SESSION_ID, TREE_C);
    create_body(&b, "b.txt", 0x81, 1, 0);
    conn_fixture_feed(f, true, &b);

    b.len = 0;
    header(&b, SMB2_CREATE, true, 0, 10, SESSION_ID, TREE_C);
    create_response_body(&b, 1, FILE_ID_A);
    tb_set_le32(&b, 20, (uint32_t)b.len);
    header(&b, SMB2_CREATE, true, 0, 11, SESSION_ID, TREE_C);
    create_response_body(&b, 1, FILE_ID_PIPE);
    conn_fixture_feed(f, false, &b);

    assert_int_equal(test_events_count(&f->events, 5145), 2);
    assert_string_equal(event_field(test_events_find(&f->events, 5145, 0), "RelativeTargetName"),
                        "a.txt");
    assert_string_equal(event_field(test_events_find(&f->events, 5145, 1), "AccessMask"), "0x81");
}

/* A related CREATE carries all-ones ids and inherits SessionId and TreeId from its predecessor. */
static void test_smb2_related_create_inherits_ids(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);

    header(&b, SMB2_CREATE, false, 0, 10, SESSION_ID, TREE_C);
    create_body(&b, "first", 0x80, 1, 0);
    while (b.len % 8 != 0) {
        tb_u8(&b, 0);
    }
    size_t second = b.len;
    tb_set_le32(&b, 20, (uint32_t)second);
    header(&b, SMB2_CREATE, false, 0, 11, UINT64_MAX, UINT32_MAX);
    tb_set_le32(&b, second + 16, SMB2_FLAGS_RELATED_OPERATIONS);
    create_body(&b, "second", 0x80, 1, 0);
    conn_fixture_feed(f, true, &b);

    b.len = 0;
    header(&b, SMB2_CREATE, true, 0, 11, SESSION_ID, TREE_C);
    create_response_body(&b, 1, FILE_ID_A);
    conn_fixture_feed(f, false, &b);

    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_non_null(ev);
    assert_string_equal(event_field(ev, "RelativeTargetName"), "second");
    assert_string_equal(event_field(ev, "ShareName"), "\\\\*\\C$");
    assert_string_equal(event_field(ev, "SubjectLogonId"), "0x100000000011");
    assert_int_equal(ctr_value("smb2.related"), 1);
}

static void test_smb2_short_next_command_stops_walk(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    header(&b, 0x0d, false, 0, 1, 0, 0);
    tb_zeros(&b, 4);
    tb_set_le32(&b, 20, 8); /* NextCommand shorter than a header */
    conn_fixture_feed(f, true, &b);
    assert_int_equal(ctr_value("smb2.malformed"), 1);
    assert_int_equal(ctr_value("smb2.messages"), 0);
}

static void test_smb2_next_command_past_end_stops_walk(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    header(&b, 0x0d, false, 0, 1, 0, 0);
    tb_zeros(&b, 4);
    tb_set_le32(&b, 20, 0x10000); /* points far past the message */
    conn_fixture_feed(f, true, &b);
    assert_int_equal(ctr_value("smb2.messages"), 1);
    assert_int_equal(ctr_value("smb2.truncated") + ctr_value("smb2.malformed"), 0);
}

/* STATUS_PENDING interim response, then the final response found by AsyncId. */
static void test_smb2_async_create_matches_final(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);

    header(&b, SMB2_CREATE, false, 0, 20, SESSION_ID, TREE_C);
    create_body(&b, "slow.txt", 0x80, 1, 0);
    conn_fixture_feed(f, true, &b);

    for (int final = 0; final < 2; final++) {
        b.len = 0;
        header(&b, SMB2_CREATE, true, final ? 0 : NT_STATUS_PENDING, 20, SESSION_ID, 0);
        tb_set_le32(&b, 16, SMB2_FLAGS_SERVER_TO_REDIR | SMB2_FLAGS_ASYNC_COMMAND);
        tb_set_le32(&b, 32, 0x77); /* AsyncId replaces Reserved and TreeId */
        tb_set_le32(&b, 36, 0);
        if (final) {
            create_response_body(&b, 1, FILE_ID_A);
        } else {
            tb_le16(&b, 9);
            tb_zeros(&b, 7);
        }
        conn_fixture_feed(f, false, &b);
        assert_int_equal(test_events_count(&f->events, 5145), (size_t) final);
    }
    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_string_equal(event_field(ev, "RelativeTargetName"), "slow.txt");
    assert_string_equal(event_field(ev, "Keywords"), "Audit Success");
}

static void pipe_open(struct conn_fixture *f)
{
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\IPC$", TREE_IPC, 2);
    create(f, 4, TREE_IPC, "svcctl", 0x12019f, NT_STATUS_SUCCESS, 1, FILE_ID_PIPE);
}

static void test_smb2_pipe_write_and_read_reach_stream(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    pipe_open(f);
    assert_int_equal(ctr_value("smb.pipes_opened"), 1);

    header(&b, SMB2_WRITE, false, 0, 5, SESSION_ID, TREE_IPC);
    tb_le16(&b, 49);
    tb_le16(&b, 64 + 48);
    tb_le32(&b, 72);
    tb_le64(&b, 0);
    tb_bytes(&b, FILE_ID_PIPE, 16);
    tb_zeros(&b, 16);
    tb_zeros(&b, 72);
    conn_fixture_feed(f, true, &b);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 72);

    b.len = 0;
    header(&b, SMB2_READ, false, 0, 6, SESSION_ID, TREE_IPC);
    tb_le16(&b, 49);
    tb_u8(&b, 0x50);
    tb_u8(&b, 0);
    tb_le32(&b, 1024);
    tb_le64(&b, 0);
    tb_bytes(&b, FILE_ID_PIPE, 16);
    tb_zeros(&b, 17);
    conn_fixture_feed(f, true, &b);

    b.len = 0;
    header(&b, SMB2_READ, true, 0, 6, SESSION_ID, TREE_IPC);
    tb_le16(&b, 17);
    tb_u8(&b, 80);
    tb_u8(&b, 0);
    tb_le32(&b, 60);
    tb_zeros(&b, 8);
    tb_zeros(&b, 60);
    conn_fixture_feed(f, false, &b);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_client"), 60);
}

static void ioctl_transceive(struct conn_fixture *f, uint64_t msg_id, uint32_t status,
                             uint32_t out_count)
{
    struct test_buf b = {.len = 0};
    header(&b, SMB2_IOCTL, false, 0, msg_id, SESSION_ID, TREE_IPC);
    tb_le16(&b, 57);
    tb_le16(&b, 0);
    tb_le32(&b, FSCTL_PIPE_TRANSCEIVE);
    tb_bytes(&b, FILE_ID_PIPE, 16);
    tb_le32(&b, 64 + 56);
    tb_le32(&b, 40);
    tb_zeros(&b, 24);
    tb_zeros(&b, 40);
    conn_fixture_feed(f, true, &b);

    b.len = 0;
    header(&b, SMB2_IOCTL, true, status, msg_id, SESSION_ID, TREE_IPC);
    tb_le16(&b, 49);
    tb_le16(&b, 0);
    tb_le32(&b, FSCTL_PIPE_TRANSCEIVE);
    tb_bytes(&b, FILE_ID_PIPE, 16);
    tb_le32(&b, 64 + 48);
    tb_le32(&b, 0);
    tb_le32(&b, 64 + 48);
    tb_le32(&b, out_count);
    tb_zeros(&b, 8);
    tb_zeros(&b, out_count);
    conn_fixture_feed(f, false, &b);
}

static void test_smb2_pipe_transceive_reaches_stream(void **state)
{
    struct conn_fixture *f = *state;
    pipe_open(f);
    ioctl_transceive(f, 5, NT_STATUS_SUCCESS, 100);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 40);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_client"), 100);

    /* STATUS_BUFFER_OVERFLOW output is data too; an error status carries none. */
    ioctl_transceive(f, 6, NT_STATUS_BUFFER_OVERFLOW, 30);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_client"), 130);
    ioctl_transceive(f, 7, STATUS_ACCESS_DENIED, 0);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_client"), 130);
}

static void test_smb2_pipe_close_stops_stream(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    pipe_open(f);
    header(&b, SMB2_CLOSE, false, 0, 5, SESSION_ID, TREE_IPC);
    tb_le16(&b, 24);
    tb_le16(&b, 0);
    tb_le32(&b, 0);
    tb_bytes(&b, FILE_ID_PIPE, 16);
    conn_fixture_feed(f, true, &b);

    /* Zeros are no DCE-RPC PDU, so the closed handle does not become a pipe again. */
    b.len = 0;
    header(&b, SMB2_WRITE, false, 0, 6, SESSION_ID, TREE_IPC);
    tb_le16(&b, 49);
    tb_le16(&b, 64 + 48);
    tb_le32(&b, 72);
    tb_le64(&b, 0);
    tb_bytes(&b, FILE_ID_PIPE, 16);
    tb_zeros(&b, 16);
    tb_zeros(&b, 72);
    conn_fixture_feed(f, true, &b);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 0);
    assert_int_equal(ctr_value("smb.pipes_inferred"), 0);
}

static void test_smb2_cut_write_reports_gap(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    pipe_open(f);
    header(&b, SMB2_WRITE, false, 0, 5, SESSION_ID, TREE_IPC);
    tb_le16(&b, 49);
    tb_le16(&b, 64 + 48);
    tb_le32(&b, 5000);
    tb_le64(&b, 0);
    tb_bytes(&b, FILE_ID_PIPE, 16);
    tb_zeros(&b, 16);
    tb_zeros(&b, 100);
    /* Only the first len bytes of a 5112-byte message are delivered. */
    struct pkt_meta pm = {.time_us = 1, .frame = 99};
    smb_conn_message(f->conn, true, b.data, b.len, 64 + 48 + 5000, &pm);
    assert_int_equal(ctr_value("smb2.pipe_data_cut"), 1);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 100);
}

static void test_smb2_transform_counted_per_session(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    logon(f, NT_STATUS_SUCCESS);
    for (int i = 0; i < 3; i++) {
        b.len = 0;
        tb_bytes(&b, "\xfdSMB", 4);
        tb_zeros(&b, 32);
        tb_le32(&b, 100);
        tb_le16(&b, 0);
        tb_le16(&b, 1);
        tb_le64(&b, SESSION_ID);
        tb_zeros(&b, 100);
        conn_fixture_feed(f, true, &b);
    }
    assert_int_equal(ctr_value("smb2.encrypted"), 3);
    assert_int_equal(ctr_value("smb2.encrypted_sessions"), 1);
}

/* Every prefix of a CREATE request and of its response is handled without a read past it. */
static void test_smb2_create_prefix_sweep(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf req = {.len = 0};
    struct test_buf resp = {.len = 0};
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);
    header(&req, SMB2_CREATE, false, 0, 30, SESSION_ID, TREE_C);
    create_body(&req, "dir\\file.txt", 0x120089, 1, 0);
    header(&resp, SMB2_CREATE, true, 0, 30, SESSION_ID, TREE_C);
    create_response_body(&resp, 1, FILE_ID_A);

    for (size_t n = 0; n <= req.len; n++) {
        uint8_t *copy = malloc(n == 0 ? 1 : n);
        assert_non_null(copy);
        memcpy(copy, req.data, n);
        struct pkt_meta pm = {.time_us = 1, .frame = n};
        smb_conn_message(f->conn, true, copy, n, n, &pm);
        free(copy);
    }
    for (size_t n = 0; n <= resp.len; n++) {
        uint8_t *copy = malloc(n == 0 ? 1 : n);
        assert_non_null(copy);
        memcpy(copy, resp.data, n);
        struct pkt_meta pm = {.time_us = 2, .frame = n};
        smb_conn_message(f->conn, false, copy, n, n, &pm);
        free(copy);
    }
    /* The full request is the last one seen, so only its response yields a complete event. */
    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_non_null(ev);
}

static void test_smb2_pending_cap_counts_limit(void **state)
{
    struct conn_fixture *f = *state;
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);
    for (uint64_t id = 100; id < 100 + SMB_PENDING_MAX + 10; id++) {
        struct test_buf b = {.len = 0};
        header(&b, SMB2_CREATE, false, 0, id, SESSION_ID, TREE_C);
        create_body(&b, "x", 0x80, 1, 0);
        conn_fixture_feed(f, true, &b);
    }
    assert_int_equal(ctr_value("smb2.limit"), 10);
}

static void test_smb2_unanswered_create_emitted_at_free(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);
    header(&b, SMB2_CREATE, false, 0, 40, SESSION_ID, TREE_C);
    create_body(&b, "lost.txt", 0x80, 1, 0);
    conn_fixture_feed(f, true, &b);
    assert_int_equal(test_events_count(&f->events, 5145), 0);

    smb_conn_free(f->conn);
    f->conn = NULL;
    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_non_null(ev);
    assert_string_equal(event_get(ev, EVENT_WIRE, "Response"), "none");
    assert_null(event_get(ev, EVENT_WIRE, "NtStatus"));
}

static void test_smb2_kerberos_logon_marked(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    uint8_t blob[512];
    size_t blob_len = test_krb_ap_req(blob, "THESHIRE.LOCAL", "cifs", "WORKSTATION6");
    session_setup_request(&b, 1, 0, blob, blob_len);
    conn_fixture_feed(f, true, &b);
    b.len = 0;
    session_setup_response(&b, 1, NT_STATUS_SUCCESS, NULL, 0);
    conn_fixture_feed(f, false, &b);

    struct event *ev = test_events_find(&f->events, 4624, 0);
    assert_non_null(ev);
    assert_string_equal(event_field(ev, "AuthenticationPackageName"), "Kerberos");
    assert_string_equal(event_field(ev, "LogonProcessName"), "Kerberos");
    assert_null(event_field(ev, "TargetUserName"));
    /* The ticket's service principal names the server. */
    assert_string_equal(event_field(ev, "Computer"), "WORKSTATION6");
    assert_string_equal(event_get(ev, EVENT_WIRE, "KerberosService"), "cifs/WORKSTATION6");
    assert_string_equal(event_get(ev, EVENT_WIRE, "KerberosRealm"), "THESHIRE.LOCAL");
}

/* A second connection to the same server uses the session and tree of the first (multichannel). */
static void test_smb2_second_channel_uses_known_tree(void **state)
{
    struct conn_fixture *f = *state;
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);

    struct smb_conn *first = f->conn;
    f->conn = smb_conn_new(&f->meta);
    assert_non_null(f->conn);
    create(f, 4, TREE_C, "Windows\\Temp\\x.exe", 0x120089, NT_STATUS_SUCCESS, 1, FILE_ID_A);
    smb_conn_free(first);

    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_non_null(ev);
    assert_string_equal(event_field(ev, "ShareName"), "\\\\*\\C$");
    assert_string_equal(event_field(ev, "SubjectUserName"), "pgustavo");
    assert_string_equal(event_field(ev, "Computer"), "WORKSTATION6");
    assert_int_equal(ctr_value("smb.shared_tree_used"), 1);
}

/* Writes len bytes of data to file_id with a WRITE request (MS-SMB2 2.2.21). */
static void write_data(struct conn_fixture *f, uint64_t msg_id, uint32_t tree_id,
                       const uint8_t file_id[16], const uint8_t *data, size_t len)
{
    struct test_buf b = {.len = 0};
    header(&b, SMB2_WRITE, false, 0, msg_id, SESSION_ID, tree_id);
    tb_le16(&b, 49);         /* StructureSize */
    tb_le16(&b, 64 + 48);    /* DataOffset: right after the fixed body */
    tb_le32(&b, (uint32_t)len);
    tb_le64(&b, 0);          /* Offset */
    tb_bytes(&b, file_id, 16);
    tb_zeros(&b, 16);        /* Channel, RemainingBytes, WriteChannelInfo, Flags */
    tb_bytes(&b, data, len);
    conn_fixture_feed(f, true, &b);
}

/* Feeds a READ response (MS-SMB2 2.2.20) with message id msg_id and len bytes of data. */
static void read_response_data(struct conn_fixture *f, uint64_t msg_id, uint32_t tree_id,
                               const uint8_t *data, size_t len)
{
    struct test_buf b = {.len = 0};
    header(&b, SMB2_READ, true, 0, msg_id, SESSION_ID, tree_id);
    tb_le16(&b, 17); /* StructureSize */
    tb_u8(&b, 80);   /* DataOffset */
    tb_u8(&b, 0);
    tb_le32(&b, (uint32_t)len);
    tb_zeros(&b, 8); /* DataRemaining, Reserved2 */
    tb_bytes(&b, data, len);
    conn_fixture_feed(f, false, &b);
}

/* The capture starts after the CREATE: a bind written to an unknown FileId starts a pipe. */
static void test_smb2_unknown_file_bind_starts_pipe(void **state)
{
    struct conn_fixture *f = *state;
    write_data(f, 231, TREE_IPC, FILE_ID_PIPE, TEST_DCERPC_BIND, sizeof(TEST_DCERPC_BIND));
    assert_int_equal(ctr_value("smb.pipes_inferred"), 1);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 72);
}

static void test_smb2_unknown_file_other_data_ignored(void **state)
{
    struct conn_fixture *f = *state;
    uint8_t text[72];
    memset(text, 'A', sizeof(text));
    write_data(f, 231, TREE_IPC, FILE_ID_PIPE, text, sizeof(text));
    assert_int_equal(ctr_value("smb.pipes_inferred"), 0);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 0);
}

/* A file on a disk share may contain anything, including bytes that look like a bind. */
static void test_smb2_unknown_file_on_disk_share_ignored(void **state)
{
    struct conn_fixture *f = *state;
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);
    write_data(f, 4, TREE_C, FILE_ID_A, TEST_DCERPC_BIND, sizeof(TEST_DCERPC_BIND));
    assert_int_equal(ctr_value("smb.pipes_inferred"), 0);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 0);
}

/* FSCTL_PIPE_TRANSCEIVE is only valid on a named pipe, so it proves one whatever the data. */
static void test_smb2_unknown_file_transceive_starts_pipe(void **state)
{
    struct conn_fixture *f = *state;
    ioctl_transceive(f, 5, NT_STATUS_SUCCESS, 100);
    assert_int_equal(ctr_value("smb.pipes_inferred"), 1);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 40);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_client"), 100);
}

/* A READ response whose request was not captured goes to the pipe written last. */
static void test_smb2_unmatched_read_reaches_last_pipe(void **state)
{
    struct conn_fixture *f = *state;
    uint8_t ack[60] = {0};
    memcpy(ack, TEST_DCERPC_BIND_ACK_HEADER, sizeof(TEST_DCERPC_BIND_ACK_HEADER));
    write_data(f, 231, TREE_IPC, FILE_ID_PIPE, TEST_DCERPC_BIND, sizeof(TEST_DCERPC_BIND));
    read_response_data(f, 232, TREE_IPC, ack, sizeof(ack));
    assert_int_equal(ctr_value("smb2.pipe_read_unmatched"), 1);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_client"), 60);

    /* Data that is not a DCE-RPC PDU stays out of the stream. */
    memset(ack, 0, sizeof(ack));
    read_response_data(f, 233, TREE_IPC, ack, sizeof(ack));
    assert_int_equal(ctr_value("smb.pipe_bytes_to_client"), 60);
}

/* SMB 3.x multichannel: a pipe opened on one connection is written and closed on another. */
static void test_smb2_pipe_used_on_second_channel(void **state)
{
    struct conn_fixture *f = *state;
    pipe_open(f);
    struct smb_conn *first = f->conn;
    f->conn = smb_conn_new(&f->meta);
    assert_non_null(f->conn);

    write_data(f, 5, TREE_IPC, FILE_ID_PIPE, TEST_DCERPC_BIND, sizeof(TEST_DCERPC_BIND));
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 72);
    assert_int_equal(ctr_value("smb.shared_pipe_used"), 1);
    assert_int_equal(ctr_value("smb.pipes_inferred"), 0);

    struct test_buf b = {.len = 0};
    header(&b, SMB2_CLOSE, false, 0, 6, SESSION_ID, TREE_IPC);
    tb_le16(&b, 24);
    tb_le16(&b, 0);
    tb_le32(&b, 0);
    tb_bytes(&b, FILE_ID_PIPE, 16);
    conn_fixture_feed(f, true, &b);
    smb_conn_free(first);
    write_data(f, 7, TREE_IPC, FILE_ID_PIPE, TEST_DCERPC_BIND, sizeof(TEST_DCERPC_BIND));
    /* The closed handle is a new, inferred pipe now. */
    assert_int_equal(ctr_value("smb.pipes_inferred"), 1);
}

/* Freeing the connection that opened a pipe removes it from the other channels. */
static void test_smb2_pipe_forgotten_with_owner(void **state)
{
    struct conn_fixture *f = *state;
    uint8_t text[72];
    memset(text, 'A', sizeof(text));
    pipe_open(f);
    struct smb_conn *first = f->conn;
    f->conn = smb_conn_new(&f->meta);
    assert_non_null(f->conn);
    smb_conn_free(first);
    write_data(f, 5, TREE_IPC, FILE_ID_PIPE, text, sizeof(text));
    assert_int_equal(ctr_value("smb.shared_pipe_used"), 0);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 0);
}

/* Pads b to an 8-byte boundary and links the element that starts at start to the next one. */
static void compound_link(struct test_buf *b, size_t start)
{
    while (b->len % 8 != 0) {
        tb_u8(b, 0);
    }
    tb_set_le32(b, start + 20, (uint32_t)(b->len - start)); /* NextCommand */
}

/* Marks the element at start as a related operation (SMB2_FLAGS_RELATED_OPERATIONS). */
static void compound_relate(struct test_buf *b, size_t start, bool response)
{
    uint32_t flags = SMB2_FLAGS_RELATED_OPERATIONS | (response ? SMB2_FLAGS_SERVER_TO_REDIR : 0);
    tb_set_le32(b, start + 16, flags);
}

/*
 * One compound opens svcctl, writes a bind to it and reads the reply. The
 * WRITE and READ name the all-ones FileId, which means the CREATE's handle.
 */
static void test_smb2_compound_create_write_read_pipe(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    static const uint8_t FILE_ID_RELATED[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\IPC$", TREE_IPC, 2);

    header(&b, SMB2_CREATE, false, 0, 10, SESSION_ID, TREE_IPC);
    create_body(&b, "svcctl", 0x12019f, 1, 0);
    compound_link(&b, 0);
    size_t write_at = b.len;
    header(&b, SMB2_WRITE, false, 0, 11, SESSION_ID, TREE_IPC);
    compound_relate(&b, write_at, false);
    tb_le16(&b, 49);      /* StructureSize */
    tb_le16(&b, 64 + 48); /* DataOffset, from this element's header */
    tb_le32(&b, sizeof(TEST_DCERPC_BIND));
    tb_le64(&b, 0);
    tb_bytes(&b, FILE_ID_RELATED, 16);
    tb_zeros(&b, 16);
    tb_bytes(&b, TEST_DCERPC_BIND, sizeof(TEST_DCERPC_BIND));
    compound_link(&b, write_at);
    size_t read_at = b.len;
    header(&b, SMB2_READ, false, 0, 12, SESSION_ID, TREE_IPC);
    compound_relate(&b, read_at, false);
    tb_le16(&b, 49); /* StructureSize */
    tb_u8(&b, 0x50); /* Padding */
    tb_u8(&b, 0);
    tb_le32(&b, 1024); /* Length */
    tb_le64(&b, 0);
    tb_bytes(&b, FILE_ID_RELATED, 16);
    tb_zeros(&b, 17);
    conn_fixture_feed(f, true, &b);
    assert_int_equal(ctr_value("smb2.related_create_file"), 2);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 0);

    uint8_t ack[60] = {0};
    memcpy(ack, TEST_DCERPC_BIND_ACK_HEADER, sizeof(TEST_DCERPC_BIND_ACK_HEADER));
    b.len = 0;
    header(&b, SMB2_CREATE, true, 0, 10, SESSION_ID, TREE_IPC);
    create_response_body(&b, 1, FILE_ID_PIPE);
    compound_link(&b, 0);
    write_at = b.len;
    header(&b, SMB2_WRITE, true, 0, 11, SESSION_ID, TREE_IPC);
    compound_relate(&b, write_at, true);
    tb_le16(&b, 17);
    tb_zeros(&b, 14);
    compound_link(&b, write_at);
    read_at = b.len;
    header(&b, SMB2_READ, true, 0, 12, SESSION_ID, TREE_IPC);
    compound_relate(&b, read_at, true);
    tb_le16(&b, 17); /* StructureSize */
    tb_u8(&b, 80);   /* DataOffset */
    tb_u8(&b, 0);
    tb_le32(&b, sizeof(ack));
    tb_zeros(&b, 8);
    tb_bytes(&b, ack, sizeof(ack));
    conn_fixture_feed(f, false, &b);

    assert_int_equal(ctr_value("smb.pipes_opened"), 1);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 72);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_client"), 60);
}

/* When the compound's CREATE fails, the data written after it reaches no stream. */
static void test_smb2_compound_failed_create_drops_data(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    static const uint8_t FILE_ID_RELATED[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\IPC$", TREE_IPC, 2);

    header(&b, SMB2_CREATE, false, 0, 10, SESSION_ID, TREE_IPC);
    create_body(&b, "svcctl", 0x12019f, 1, 0);
    compound_link(&b, 0);
    size_t write_at = b.len;
    header(&b, SMB2_WRITE, false, 0, 11, SESSION_ID, TREE_IPC);
    compound_relate(&b, write_at, false);
    tb_le16(&b, 49);
    tb_le16(&b, 64 + 48);
    tb_le32(&b, sizeof(TEST_DCERPC_BIND));
    tb_le64(&b, 0);
    tb_bytes(&b, FILE_ID_RELATED, 16);
    tb_zeros(&b, 16);
    tb_bytes(&b, TEST_DCERPC_BIND, sizeof(TEST_DCERPC_BIND));
    conn_fixture_feed(f, true, &b);

    b.len = 0;
    header(&b, SMB2_CREATE, true, STATUS_ACCESS_DENIED, 10, SESSION_ID, TREE_IPC);
    tb_le16(&b, 9);
    tb_zeros(&b, 7);
    conn_fixture_feed(f, false, &b);
    assert_int_equal(ctr_value("smb.pipes_opened"), 0);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 0);
}

/* A WRITE request header and fixed body on tree_id, announcing 1 MiB of data. */
static void bulk_write_head(struct test_buf *b, uint32_t tree_id, uint32_t next_command)
{
    header(b, SMB2_WRITE, false, 0, 9, SESSION_ID, tree_id);
    tb_set_le32(b, 20, next_command);
    tb_le16(b, 49);
    tb_le16(b, 64 + 48);
    tb_le32(b, 1u << 20);
    tb_le64(b, 0);
    tb_zeros(b, 16 + 16);
}

static void test_smb2_bulk_write_on_disk_share_is_cut(void **state)
{
    struct conn_fixture *f = *state;
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);
    struct test_buf b = {.len = 0};
    bulk_write_head(&b, TREE_C, 0);
    size_t total = b.len + (1u << 20);
    /* Header and fixed WRITE body only: the file content is skipped by length. */
    assert_int_equal(smb_conn_message_need(f->conn, true, b.data, b.len, total), 64 + 48);
}

static void test_smb2_bulk_write_on_pipe_share_is_kept(void **state)
{
    struct conn_fixture *f = *state;
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\IPC$", TREE_IPC, 2);
    struct test_buf b = {.len = 0};
    bulk_write_head(&b, TREE_IPC, 0);
    size_t total = b.len + 5000;
    assert_int_equal(smb_conn_message_need(f->conn, true, b.data, b.len, total), total);
}

static void test_smb2_bulk_write_unknown_tree_is_kept(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    /* No TREE_CONNECT seen, as in a capture that starts mid-session: it may be a pipe. */
    bulk_write_head(&b, 77, 0);
    size_t total = b.len + 5000;
    assert_int_equal(smb_conn_message_need(f->conn, true, b.data, b.len, total), total);
}

static void test_smb2_bulk_write_in_compound_is_kept(void **state)
{
    struct conn_fixture *f = *state;
    logon(f, NT_STATUS_SUCCESS);
    tree_connect(f, 3, "\\\\WORKSTATION6\\C$", TREE_C, 1);
    struct test_buf b = {.len = 0};
    /* NextCommand set: later elements follow the data, so nothing may be skipped. */
    bulk_write_head(&b, TREE_C, 4096);
    size_t total = b.len + (1u << 20);
    assert_int_equal(smb_conn_message_need(f->conn, true, b.data, b.len, total), total);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smb2_header_rejects_short_buffer),
        cmocka_unit_test(test_smb2_header_rejects_bad_magic),
        cmocka_unit_test(test_smb2_header_request_has_no_status),
        cmocka_unit_test_setup_teardown(test_smb2_logon_emits_4624, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_logon_failure_emits_4625, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_tree_connect_emits_5140, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_bulk_write_on_disk_share_is_cut, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_create_session_deleted_not_audited, conn_fixture_setup,
                                        conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_bulk_write_on_pipe_share_is_kept, conn_fixture_setup,
                                        conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_bulk_write_unknown_tree_is_kept, conn_fixture_setup,
                                        conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_bulk_write_in_compound_is_kept, conn_fixture_setup,
                                        conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_create_emits_5145, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_created_file_adds_write_data, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_create_denied_is_audit_failure, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_tree_disconnect_forgets_tree, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_compound_creates_emit_each, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_related_create_inherits_ids, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_short_next_command_stops_walk, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_next_command_past_end_stops_walk, conn_fixture_setup,
                                        conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_async_create_matches_final, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_pipe_write_and_read_reach_stream, conn_fixture_setup,
                                        conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_pipe_transceive_reaches_stream, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_pipe_close_stops_stream, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_cut_write_reports_gap, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_transform_counted_per_session, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_create_prefix_sweep, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_pending_cap_counts_limit, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_unanswered_create_emitted_at_free, conn_fixture_setup,
                                        conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_kerberos_logon_marked, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_second_channel_uses_known_tree, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_unknown_file_bind_starts_pipe, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_unknown_file_other_data_ignored, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_unknown_file_on_disk_share_ignored, conn_fixture_setup,
                                        conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_unknown_file_transceive_starts_pipe, conn_fixture_setup,
                                        conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_unmatched_read_reaches_last_pipe, conn_fixture_setup,
                                        conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_pipe_used_on_second_channel, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_pipe_forgotten_with_owner, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_compound_create_write_read_pipe, conn_fixture_setup,
                                        conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb2_compound_failed_create_drops_data, conn_fixture_setup,
                                        conn_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
