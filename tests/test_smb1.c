/* Unit tests for the SMB1 dissector: AndX chains, share and file opens, pipes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../dissectors/smb1.h"
#include "smb_test_util.h"

#define UID 0x0800
#define TID_IPC 0x0801
#define TID_C 0x0802
#define FID_PIPE 0x4000
#define FLAGS2 0xc803u /* Unicode, NT status, extended attributes, long names */

static void header(struct test_buf *b, uint8_t command, bool reply, uint32_t status, uint16_t tid,
                   uint16_t uid, uint16_t mid)
{
    tb_bytes(b, "\xffSMB", 4);
    tb_u8(b, command);
    tb_le32(b, status);
    tb_u8(b, reply ? 0x98 : 0x18);
    tb_le16(b, FLAGS2);
    tb_le16(b, 0);
    tb_zeros(b, 8 + 2);
    tb_le16(b, tid);
    tb_le16(b, 0xfeff);
    tb_le16(b, uid);
    tb_le16(b, mid);
}

/* Starts a parameter block of word_count words; the caller writes exactly that many words. */
static void words_begin(struct test_buf *b, uint8_t word_count)
{
    tb_u8(b, word_count);
}

/* Writes the ByteCount placeholder and returns its position for bytes_end(). */
static size_t bytes_begin(struct test_buf *b)
{
    size_t at = b->len;
    tb_le16(b, 0);
    return at;
}

static void bytes_end(struct test_buf *b, size_t at)
{
    tb_set_le16(b, at, (uint16_t)(b->len - at - 2));
}

/* Appends a NUL-terminated UTF-16LE string aligned to an even offset from the header. */
static void unicode_string(struct test_buf *b, const char *text)
{
    if (b->len % 2 != 0) {
        tb_u8(b, 0);
    }
    tb_utf16(b, text);
    tb_le16(b, 0);
}

static void andx(struct test_buf *b, uint8_t next_command, uint16_t next_offset)
{
    tb_u8(b, next_command);
    tb_u8(b, 0);
    tb_le16(b, next_offset);
}

/* SESSION_SETUP_ANDX without extended security (WordCount 13), optionally chained. */
static void session_setup_plain_block(struct test_buf *b, uint8_t next_command)
{
    size_t andx_at = b->len + 1;
    words_begin(b, 13);
    andx(b, next_command, 0);
    tb_le16(b, 4356);
    tb_le16(b, 50);
    tb_le16(b, 0);
    tb_le32(b, 0);
    tb_le16(b, 0);  /* OEMPasswordLen */
    tb_le16(b, 24); /* UnicodePasswordLen */
    tb_le32(b, 0);
    tb_le32(b, 0xd4);
    size_t at = bytes_begin(b);
    tb_zeros(b, 24);
    unicode_string(b, "alice");
    unicode_string(b, "CORP");
    unicode_string(b, "Unix");
    unicode_string(b, "Samba");
    bytes_end(b, at);
    if (next_command != SMB1_COM_NONE) {
        tb_set_le16(b, andx_at + 2, (uint16_t)b->len);
    }
}

static void tree_connect_block(struct test_buf *b, const char *path)
{
    words_begin(b, 4);
    andx(b, SMB1_COM_NONE, 0);
    tb_le16(b, 0);
    tb_le16(b, 1);
    size_t at = bytes_begin(b);
    tb_u8(b, 0);
    unicode_string(b, path);
    tb_bytes(b, "?????", 6);
    bytes_end(b, at);
}

static void logon_and_connect(struct conn_fixture *f, const char *path, uint16_t tid)
{
    struct test_buf b = {.len = 0};
    header(&b, SMB1_COM_SESSION_SETUP_ANDX, false, 0, 0, 0, 1);
    session_setup_plain_block(&b, SMB1_COM_TREE_CONNECT_ANDX);
    tree_connect_block(&b, path);
    conn_fixture_feed(f, true, &b);

    b.len = 0;
    header(&b, SMB1_COM_SESSION_SETUP_ANDX, true, 0, tid, UID, 1);
    size_t andx_at = b.len + 1;
    words_begin(&b, 3);
    andx(&b, SMB1_COM_TREE_CONNECT_ANDX, 0);
    tb_le16(&b, 0);
    tb_le16(&b, 0);
    tb_set_le16(&b, andx_at + 2, (uint16_t)b.len);
    words_begin(&b, 3);
    andx(&b, SMB1_COM_NONE, 0);
    tb_le16(&b, 1);
    size_t at = bytes_begin(&b);
    tb_bytes(&b, strcmp(path + strlen(path) - 4, "IPC$") == 0 ? "IPC" : "A:",
             strcmp(path + strlen(path) - 4, "IPC$") == 0 ? 4 : 3);
    bytes_end(&b, at);
    conn_fixture_feed(f, false, &b);
}

static void nt_create_request(struct test_buf *b, uint16_t tid, uint16_t mid, const char *name,
                              uint32_t access)
{
    header(b, SMB1_COM_NT_CREATE_ANDX, false, 0, tid, UID, mid);
    words_begin(b, 24);
    andx(b, SMB1_COM_NONE, 0);
    tb_u8(b, 0);
    tb_le16(b, (uint16_t)(strlen(name) * 2));
    tb_le32(b, 0x16);
    tb_le32(b, 0);
    tb_le32(b, access);
    tb_le64(b, 0);
    tb_le32(b, 0);
    tb_le32(b, 1);    /* ShareAccess */
    tb_le32(b, 1);    /* FILE_OPEN */
    tb_le32(b, 0x40); /* FILE_NON_DIRECTORY_FILE */
    tb_le32(b, 2);
    tb_u8(b, 0);
    size_t at = bytes_begin(b);
    unicode_string(b, name);
    bytes_end(b, at);
}

static void nt_create_response(struct test_buf *b, uint16_t tid, uint16_t mid, uint32_t status,
                               uint16_t fid)
{
    header(b, SMB1_COM_NT_CREATE_ANDX, true, status, tid, UID, mid);
    if (status != 0) {
        words_begin(b, 0);
        tb_le16(b, 0);
        return;
    }
    words_begin(b, 34);
    andx(b, SMB1_COM_NONE, 0);
    tb_u8(b, 0);
    tb_le16(b, fid);
    tb_le32(b, 1); /* CreateAction: FILE_OPENED */
    tb_zeros(b, 32 + 4 + 16);
    tb_le16(b, 2);
    tb_le16(b, 0x05ff);
    tb_u8(b, 0);
    tb_le16(b, 0);
}

static void open_pipe(struct conn_fixture *f, uint32_t access)
{
    struct test_buf b = {.len = 0};
    logon_and_connect(f, "\\\\172.16.66.36\\IPC$", TID_IPC);
    nt_create_request(&b, TID_IPC, 5, "\\eventlog", access);
    conn_fixture_feed(f, true, &b);
    b.len = 0;
    nt_create_response(&b, TID_IPC, 5, 0, FID_PIPE);
    conn_fixture_feed(f, false, &b);
}

static void test_smb1_header_rejects_short_buffer(void **state)
{
    (void)state;
    struct test_buf b = {.len = 0};
    struct smb1_header hdr;
    header(&b, SMB1_COM_CLOSE, false, 0, 1, 2, 3);
    assert_int_equal(smb1_parse_header(b.data, 31, &hdr), WA_NEED_MORE);
    assert_int_equal(smb1_parse_header(b.data, 32, &hdr), WA_OK);
    assert_int_equal(hdr.tid, 1);
    assert_int_equal(hdr.uid, 2);
    assert_int_equal(hdr.mid, 3);
}

static void test_smb1_header_maps_dos_error(void **state)
{
    (void)state;
    struct test_buf b = {.len = 0};
    struct smb1_header hdr;
    header(&b, SMB1_COM_NT_CREATE_ANDX, true, 0x00050001u, 1, 2, 3);
    tb_set_le16(&b, 10, 0x8001); /* Flags2 without NT status: ERRDOS/ERRnoaccess */
    assert_int_equal(smb1_parse_header(b.data, b.len, &hdr), WA_OK);
    assert_int_equal(hdr.status, 0xc0000022u);
}

static void test_smb1_andx_chain_logon_and_connect(void **state)
{
    struct conn_fixture *f = *state;
    logon_and_connect(f, "\\\\FILESRV\\C$", TID_C);

    struct event *logon = test_events_find(&f->events, 4624, 0);
    struct event *share = test_events_find(&f->events, 5140, 0);
    assert_non_null(logon);
    assert_non_null(share);
    assert_string_equal(event_field(logon, "TargetUserName"), "alice");
    assert_string_equal(event_field(logon, "TargetDomainName"), "CORP");
    assert_string_equal(event_field(share, "ShareName"), "\\\\*\\C$");
    assert_string_equal(event_field(share, "Computer"), "FILESRV");
    assert_string_equal(event_field(share, "SubjectUserName"), "alice");
    assert_string_equal(event_field(share, "SubjectLogonId"), "0x800");
    assert_string_equal(event_get(share, EVENT_WIRE, "TreeId"), "2050");
    assert_string_equal(event_get(share, EVENT_WIRE, "ShareType"), "disk");
}

/* Appends SESSION_SETUP_ANDX with extended security (WordCount 12) carrying blob. */
static void session_setup_extended(struct test_buf *b, uint16_t uid, uint16_t mid,
                                   const uint8_t *blob, size_t blob_len)
{
    header(b, SMB1_COM_SESSION_SETUP_ANDX, false, 0, 0, uid, mid);
    words_begin(b, 12);
    andx(b, SMB1_COM_NONE, 0);
    tb_le16(b, 4356);
    tb_le16(b, 50);
    tb_le16(b, 0);
    tb_le32(b, 0);
    tb_le16(b, (uint16_t)blob_len);
    tb_le32(b, 0);
    tb_le32(b, 0x800000d4u);
    size_t at = bytes_begin(b);
    tb_bytes(b, blob, blob_len);
    unicode_string(b, "Unix");
    bytes_end(b, at);
}

static void session_setup_extended_reply(struct test_buf *b, uint32_t status, uint16_t mid,
                                         const uint8_t *blob, size_t blob_len)
{
    header(b, SMB1_COM_SESSION_SETUP_ANDX, true, status, 0, UID, mid);
    words_begin(b, 4);
    andx(b, SMB1_COM_NONE, 0);
    tb_le16(b, 0);
    tb_le16(b, (uint16_t)blob_len);
    size_t at = bytes_begin(b);
    tb_bytes(b, blob, blob_len);
    bytes_end(b, at);
}

/* Raw NTLMSSP in SMB1 extended security, as macOS clients send it. */
static void test_smb1_extended_security_logon(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    uint8_t blob[512];
    size_t blob_len;

    session_setup_extended(&b, 0, 1, (const uint8_t *)"NTLMSSP\0\x01\0\0\0", 12);
    conn_fixture_feed(f, true, &b);
    b.len = 0;
    blob_len = test_ntlm_challenge(blob, "TEST-F7DFBC3FE9", "test-f7dfbc3fe9");
    session_setup_extended_reply(&b, NT_STATUS_MORE_PROCESSING_REQUIRED, 1, blob, blob_len);
    conn_fixture_feed(f, false, &b);
    assert_int_equal(test_events_count(&f->events, 4624), 0);

    b.len = 0;
    blob_len = test_ntlm_authenticate(blob, "BABYBOOK", "test", "BABYBOOK", 48);
    session_setup_extended(&b, UID, 2, blob, blob_len);
    conn_fixture_feed(f, true, &b);
    b.len = 0;
    session_setup_extended_reply(&b, 0, 2, NULL, 0);
    conn_fixture_feed(f, false, &b);

    struct event *ev = test_events_find(&f->events, 4624, 0);
    assert_non_null(ev);
    assert_string_equal(event_field(ev, "TargetUserName"), "test");
    assert_string_equal(event_field(ev, "WorkstationName"), "BABYBOOK");
    assert_string_equal(event_field(ev, "Computer"), "TEST-F7DFBC3FE9");
    assert_string_equal(event_field(ev, "LmPackageName"), "NTLM V2");
    assert_string_equal(event_get(ev, EVENT_WIRE, "MessageId"), "2");
}

static void test_smb1_pipe_open_adds_read_attributes(void **state)
{
    struct conn_fixture *f = *state;
    open_pipe(f, 0x3);

    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_non_null(ev);
    assert_string_equal(event_field(ev, "ShareName"), "\\\\*\\IPC$");
    assert_string_equal(event_field(ev, "RelativeTargetName"), "eventlog");
    assert_string_equal(event_field(ev, "AccessMask"), "0x83");
    assert_string_equal(event_field(ev, "AccessList"), "%%4416 %%4417 %%4423");
    assert_string_equal(event_get(ev, EVENT_WIRE, "DesiredAccess"), "0x3");
    assert_string_equal(event_get(ev, EVENT_WIRE, "Rule"), "smb1-pipe-read-attributes");
    assert_string_equal(event_get(ev, EVENT_WIRE, "MessageId"), "5");
    assert_int_equal(ctr_value("smb.pipes_opened"), 1);
}

static void test_smb1_generic_access_is_mapped(void **state)
{
    struct conn_fixture *f = *state;
    open_pipe(f, 0xc0000000u);

    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_string_equal(event_field(ev, "AccessMask"), "0x12019f");
    assert_string_equal(event_get(ev, EVENT_WIRE, "Rule"), "generic-mapping");
}

static void test_smb1_file_open_keeps_mask(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    logon_and_connect(f, "\\\\FILESRV\\C$", TID_C);
    nt_create_request(&b, TID_C, 6, "\\Windows\\Temp\\a.txt", 0x3);
    conn_fixture_feed(f, true, &b);
    b.len = 0;
    nt_create_response(&b, TID_C, 6, 0xc0000034u, 0);
    conn_fixture_feed(f, false, &b);

    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_non_null(ev);
    assert_string_equal(event_field(ev, "RelativeTargetName"), "Windows\\Temp\\a.txt");
    assert_string_equal(event_field(ev, "AccessMask"), "0x3");
    assert_null(event_get(ev, EVENT_WIRE, "Rule"));
    assert_string_equal(event_get(ev, EVENT_WIRE, "NtStatus"), "0xc0000034");
    /* The share-level check passed, so Windows logs Audit Success for a missing file. */
    assert_string_equal(event_field(ev, "Keywords"), "Audit Success");
    assert_string_equal(event_get(ev, EVENT_WIRE, "Attempted"), "true");
}

static void test_smb1_andx_loop_is_cut(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    /* A TREE_CONNECT_ANDX whose AndXOffset points back at its own WordCount. */
    header(&b, SMB1_COM_TREE_CONNECT_ANDX, false, 0, 0, UID, 9);
    tree_connect_block(&b, "\\\\S\\IPC$");
    b.data[33] = SMB1_COM_TREE_CONNECT_ANDX;
    tb_set_le16(&b, 35, 32);
    conn_fixture_feed(f, true, &b);
    assert_int_equal(ctr_value("smb1.andx_loop"), 1);
    assert_int_equal(ctr_value("smb1.commands"), 1);
}

static void test_smb1_andx_offset_past_end_stops(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    header(&b, SMB1_COM_TREE_CONNECT_ANDX, false, 0, 0, UID, 9);
    tree_connect_block(&b, "\\\\S\\IPC$");
    b.data[33] = SMB1_COM_CLOSE;
    tb_set_le16(&b, 35, 0xfff0);
    conn_fixture_feed(f, true, &b);
    assert_int_equal(ctr_value("smb1.truncated"), 1);
    assert_int_equal(ctr_value("smb1.commands"), 1);
}

static void write_andx(struct conn_fixture *f, uint8_t word_count, uint16_t write_mode,
                       uint16_t data_len)
{
    struct test_buf b = {.len = 0};
    header(&b, SMB1_COM_WRITE_ANDX, false, 0, TID_IPC, UID, 7);
    words_begin(&b, word_count);
    andx(&b, SMB1_COM_NONE, 0);
    tb_le16(&b, FID_PIPE);
    tb_le32(&b, 0);
    tb_le32(&b, 0);
    tb_le16(&b, write_mode);
    tb_le16(&b, data_len);
    tb_le16(&b, 0);
    tb_le16(&b, data_len);
    size_t offset_at = b.len;
    tb_le16(&b, 0);
    if (word_count == 14) {
        tb_le32(&b, 0);
    }
    size_t at = bytes_begin(&b);
    tb_u8(&b, 0);
    tb_set_le16(&b, offset_at, (uint16_t)b.len);
    tb_zeros(&b, data_len);
    bytes_end(&b, at);
    conn_fixture_feed(f, true, &b);
}

static void test_smb1_write_andx_both_forms(void **state)
{
    struct conn_fixture *f = *state;
    open_pipe(f, 0x12019f);
    write_andx(f, 12, 0, 72);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 72);
    write_andx(f, 14, 0, 40);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 112);
    /* Raw mode with message start: the first two data bytes are a length prefix. */
    write_andx(f, 14, 0x000c, 42);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 152);
    write_andx(f, 13, 0, 10);
    assert_int_equal(ctr_value("smb1.malformed"), 1);
}

static void test_smb1_read_andx_reaches_stream(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    open_pipe(f, 0x12019f);
    header(&b, SMB1_COM_READ_ANDX, false, 0, TID_IPC, UID, 8);
    words_begin(&b, 12);
    andx(&b, SMB1_COM_NONE, 0);
    tb_le16(&b, FID_PIPE);
    tb_zeros(&b, 18);
    tb_le16(&b, 0);
    conn_fixture_feed(f, true, &b);

    b.len = 0;
    header(&b, SMB1_COM_READ_ANDX, true, 0, TID_IPC, UID, 8);
    words_begin(&b, 12);
    andx(&b, SMB1_COM_NONE, 0);
    tb_le16(&b, 0xffff);
    tb_zeros(&b, 4);
    tb_le16(&b, 64); /* DataLength */
    size_t offset_at = b.len;
    tb_le16(&b, 0);
    tb_zeros(&b, 10);
    size_t at = bytes_begin(&b);
    tb_u8(&b, 0);
    tb_set_le16(&b, offset_at, (uint16_t)b.len);
    tb_zeros(&b, 64);
    bytes_end(&b, at);
    conn_fixture_feed(f, false, &b);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_client"), 64);
}

static void test_smb1_transact_nmpipe_reaches_stream(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    open_pipe(f, 0x12019f);
    header(&b, SMB1_COM_TRANSACTION, false, 0, TID_IPC, UID, 9);
    words_begin(&b, 16);
    tb_le16(&b, 0);
    tb_le16(&b, 80);
    tb_le16(&b, 0);
    tb_le16(&b, 1024);
    tb_u8(&b, 0);
    tb_u8(&b, 0);
    tb_le16(&b, 0);
    tb_le32(&b, 0);
    tb_le16(&b, 0);
    tb_le16(&b, 0);
    tb_le16(&b, 0);
    tb_le16(&b, 80);
    size_t offset_at = b.len;
    tb_le16(&b, 0);
    tb_u8(&b, 2);
    tb_u8(&b, 0);
    tb_le16(&b, SMB1_TRANS_TRANSACT_NMPIPE);
    tb_le16(&b, FID_PIPE);
    size_t at = bytes_begin(&b);
    unicode_string(&b, "\\PIPE\\");
    tb_set_le16(&b, offset_at, (uint16_t)b.len);
    tb_zeros(&b, 80);
    bytes_end(&b, at);
    conn_fixture_feed(f, true, &b);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 80);

    b.len = 0;
    header(&b, SMB1_COM_TRANSACTION, true, 0, TID_IPC, UID, 9);
    words_begin(&b, 10);
    tb_le16(&b, 0);
    tb_le16(&b, 48);
    tb_le16(&b, 0);
    tb_le16(&b, 0);
    tb_le16(&b, 0);
    tb_le16(&b, 0);
    tb_le16(&b, 48);
    offset_at = b.len;
    tb_le16(&b, 0);
    tb_le16(&b, 0);
    tb_u8(&b, 0);
    tb_u8(&b, 0);
    at = bytes_begin(&b);
    tb_u8(&b, 0);
    tb_set_le16(&b, offset_at, (uint16_t)b.len);
    tb_zeros(&b, 48);
    bytes_end(&b, at);
    conn_fixture_feed(f, false, &b);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_client"), 48);
}

static void test_smb1_open_andx_maps_access(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf b = {.len = 0};
    logon_and_connect(f, "\\\\FILESRV\\C$", TID_C);
    header(&b, SMB1_COM_OPEN_ANDX, false, 0, TID_C, UID, 10);
    words_begin(&b, 15);
    andx(&b, SMB1_COM_NONE, 0);
    tb_le16(&b, 0);
    tb_le16(&b, 0x0002); /* AccessMode: read/write */
    tb_le16(&b, 0);
    tb_le16(&b, 0);
    tb_le32(&b, 0);
    tb_le16(&b, 0x0012); /* OpenMode: truncate if it exists, create if not */
    tb_zeros(&b, 12);
    size_t at = bytes_begin(&b);
    unicode_string(&b, "\\new.bin");
    bytes_end(&b, at);
    conn_fixture_feed(f, true, &b);

    b.len = 0;
    header(&b, SMB1_COM_OPEN_ANDX, true, 0, TID_C, UID, 10);
    words_begin(&b, 15);
    andx(&b, SMB1_COM_NONE, 0);
    tb_le16(&b, 0x1234);
    tb_zeros(&b, 16);
    tb_le16(&b, 2); /* OpenResults: created */
    tb_zeros(&b, 6);
    tb_le16(&b, 0);
    conn_fixture_feed(f, false, &b);

    assert_int_equal(test_events_count(&f->events, 5145), 2);
    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_string_equal(event_field(ev, "RelativeTargetName"), "new.bin");
    assert_string_equal(event_field(ev, "AccessMask"), "0x12019f");
    assert_string_equal(event_get(ev, EVENT_WIRE, "CreateDisposition"), "0x5");
    assert_string_equal(event_get(ev, EVENT_WIRE, "CreateAction"), "2");
}

static void test_smb1_nt_create_prefix_sweep(void **state)
{
    struct conn_fixture *f = *state;
    struct test_buf req = {.len = 0};
    struct test_buf resp = {.len = 0};
    logon_and_connect(f, "\\\\FILESRV\\C$", TID_C);
    nt_create_request(&req, TID_C, 11, "\\dir\\file.txt", 0x120089);
    nt_create_response(&resp, TID_C, 11, 0, 0x99);
    const struct test_buf *msgs[2] = {&req, &resp};

    for (size_t m = 0; m < 2; m++) {
        for (size_t n = 0; n <= msgs[m]->len; n++) {
            uint8_t *copy = malloc(n == 0 ? 1 : n);
            assert_non_null(copy);
            memcpy(copy, msgs[m]->data, n);
            struct pkt_meta pm = {.time_us = 1, .frame = n};
            smb_conn_message(f->conn, m == 0, copy, n, n, &pm);
            free(copy);
        }
    }
    assert_non_null(test_events_find(&f->events, 5145, 0));
}

/* Opens name with NT_CREATE_ANDX on tid, which the capture never saw connected. */
static void open_on_unseen_tree(struct conn_fixture *f, const char *name, uint32_t access)
{
    struct test_buf b = {.len = 0};
    nt_create_request(&b, TID_IPC, 5, name, access);
    conn_fixture_feed(f, true, &b);
    b.len = 0;
    nt_create_response(&b, TID_IPC, 5, 0, FID_PIPE);
    conn_fixture_feed(f, false, &b);
}

/* WRITE_ANDX (WordCount 14) of len bytes of data to fid on tid. */
static void write_andx_bytes(struct conn_fixture *f, uint16_t tid, uint16_t fid, const uint8_t *data,
                             uint16_t len)
{
    struct test_buf b = {.len = 0};
    header(&b, SMB1_COM_WRITE_ANDX, false, 0, tid, UID, 7);
    words_begin(&b, 14);
    andx(&b, SMB1_COM_NONE, 0);
    tb_le16(&b, fid);
    tb_le32(&b, 0);  /* Offset */
    tb_le32(&b, 0);  /* Timeout */
    tb_le16(&b, 0);  /* WriteMode */
    tb_le16(&b, len); /* Remaining */
    tb_le16(&b, 0);  /* DataLengthHigh */
    tb_le16(&b, len); /* DataLength */
    size_t offset_at = b.len;
    tb_le16(&b, 0);  /* DataOffset, set below */
    tb_le32(&b, 0);  /* OffsetHigh */
    size_t at = bytes_begin(&b);
    tb_u8(&b, 0);    /* Pad */
    tb_set_le16(&b, offset_at, (uint16_t)b.len);
    tb_bytes(&b, data, len);
    bytes_end(&b, at);
    conn_fixture_feed(f, true, &b);
}

/* The capture starts after the TREE_CONNECT: "\lsarpc" is a pipe on IPC$ by its name. */
static void test_smb1_unseen_tree_pipe_name_opens_pipe(void **state)
{
    struct conn_fixture *f = *state;
    open_on_unseen_tree(f, "\\lsarpc", 0x3);

    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_non_null(ev);
    assert_string_equal(event_field(ev, "ShareName"), "\\\\*\\IPC$");
    assert_string_equal(event_field(ev, "RelativeTargetName"), "lsarpc");
    assert_string_equal(event_field(ev, "AccessMask"), "0x83");
    assert_string_equal(event_get(ev, EVENT_WIRE, "Rule"),
                        "pipe-name-implies-ipc smb1-pipe-read-attributes");
    assert_int_equal(ctr_value("smb.pipes_opened"), 1);

    write_andx_bytes(f, TID_IPC, FID_PIPE, TEST_DCERPC_BIND, sizeof(TEST_DCERPC_BIND));
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 72);
    assert_int_equal(ctr_value("smb.pipes_inferred"), 0);
}

static void test_smb1_unseen_tree_file_name_stays_file(void **state)
{
    struct conn_fixture *f = *state;
    open_on_unseen_tree(f, "\\report.txt", 0x12019f);

    struct event *ev = test_events_find(&f->events, 5145, 0);
    assert_non_null(ev);
    assert_string_equal(event_field(ev, "ShareName"), "");
    assert_null(event_get(ev, EVENT_WIRE, "Rule"));
    assert_int_equal(ctr_value("smb.pipes_opened"), 0);
}

/* A FID whose open the capture missed becomes a pipe when a bind is written to it. */
static void test_smb1_unseen_fid_bind_starts_pipe(void **state)
{
    struct conn_fixture *f = *state;
    write_andx_bytes(f, TID_IPC, 0xa00c, TEST_DCERPC_BIND, sizeof(TEST_DCERPC_BIND));
    assert_int_equal(ctr_value("smb.pipes_inferred"), 1);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 72);
}

static void test_smb1_unseen_fid_other_data_ignored(void **state)
{
    struct conn_fixture *f = *state;
    uint8_t bind[sizeof(TEST_DCERPC_BIND)];
    memcpy(bind, TEST_DCERPC_BIND, sizeof(bind));
    bind[0] = 4; /* rpc_vers 4 is connectionless RPC, never sent over a pipe */
    write_andx_bytes(f, TID_IPC, 0xa00c, bind, sizeof(bind));
    bind[0] = 5;
    bind[2] = 9; /* PTYPE 9 (fack) exists only in connectionless RPC */
    write_andx_bytes(f, TID_IPC, 0xa00c, bind, sizeof(bind));
    bind[2] = 0x0b;
    bind[8] = 0x50; /* frag_length 80 is longer than the 72 bytes written */
    write_andx_bytes(f, TID_IPC, 0xa00c, bind, sizeof(bind));
    assert_int_equal(ctr_value("smb.pipes_inferred"), 0);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 0);
}

static void test_smb1_unseen_fid_on_disk_share_ignored(void **state)
{
    struct conn_fixture *f = *state;
    logon_and_connect(f, "\\\\172.16.66.36\\C$", TID_C);
    write_andx_bytes(f, TID_C, 0xa00c, TEST_DCERPC_BIND, sizeof(TEST_DCERPC_BIND));
    assert_int_equal(ctr_value("smb.pipes_inferred"), 0);
    assert_int_equal(ctr_value("smb.pipe_bytes_to_server"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smb1_header_rejects_short_buffer),
        cmocka_unit_test(test_smb1_header_maps_dos_error),
        cmocka_unit_test_setup_teardown(test_smb1_andx_chain_logon_and_connect, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_extended_security_logon, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_pipe_open_adds_read_attributes, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_generic_access_is_mapped, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_file_open_keeps_mask, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_andx_loop_is_cut, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_andx_offset_past_end_stops, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_write_andx_both_forms, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_read_andx_reaches_stream, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_transact_nmpipe_reaches_stream, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_open_andx_maps_access, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_nt_create_prefix_sweep, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_unseen_tree_pipe_name_opens_pipe, conn_fixture_setup,
                                        conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_unseen_tree_file_name_stays_file, conn_fixture_setup,
                                        conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_unseen_fid_bind_starts_pipe, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_unseen_fid_other_data_ignored, conn_fixture_setup, conn_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_smb1_unseen_fid_on_disk_share_ignored, conn_fixture_setup,
                                        conn_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
