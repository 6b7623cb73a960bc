/* Unit tests for the NTLMSSP, SPNEGO and GSS-API blob parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../dissectors/ntlmssp.h"
#include "smb_test_util.h"

/* DER encodings of the SPNEGO (1.3.6.1.5.5.2) and Kerberos (1.2.840.113554.1.2.2) OIDs. */
static const uint8_t OID_SPNEGO_DER[] = {0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
static const uint8_t OID_KRB5_DER[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                       0xf7, 0x12, 0x01, 0x02, 0x02};

/* GSS-API InitialContextToken: [APPLICATION 0] { SPNEGO OID, NegTokenInit { mechToken } }. */
static size_t wrap_neg_init(uint8_t *out, const uint8_t *token, size_t token_len)
{
    struct test_buf octets = {.len = 0};
    struct test_buf field = {.len = 0};
    struct test_buf seq = {.len = 0};
    struct test_buf init = {.len = 0};
    struct test_buf gss = {.len = 0};
    tb_der(&octets, 0x04, token, token_len);
    tb_der(&field, 0xa2, octets.data, octets.len);
    tb_der(&seq, 0x30, field.data, field.len);
    tb_der(&init, 0xa0, seq.data, seq.len);
    tb_bytes(&gss, OID_SPNEGO_DER, sizeof(OID_SPNEGO_DER));
    tb_bytes(&gss, init.data, init.len);
    struct test_buf whole = {.len = 0};
    tb_der(&whole, 0x60, gss.data, gss.len);
    memcpy(out, whole.data, whole.len);
    return whole.len;
}

/* NegTokenResp { negState, supportedMech?, responseToken? }. */
static size_t wrap_neg_resp(uint8_t *out, uint8_t state, const uint8_t *mech_oid, size_t oid_len,
                            const uint8_t *token, size_t token_len)
{
    struct test_buf seq = {.len = 0};
    const uint8_t enumerated[] = {0x0a, 0x01, state};
    tb_der(&seq, 0xa0, enumerated, sizeof(enumerated));
    if (mech_oid != NULL) {
        tb_der(&seq, 0xa1, mech_oid, oid_len);
    }
    if (token != NULL) {
        struct test_buf octets = {.len = 0};
        tb_der(&octets, 0x04, token, token_len);
        tb_der(&seq, 0xa2, octets.data, octets.len);
    }
    struct test_buf body = {.len = 0};
    tb_der(&body, 0x30, seq.data, seq.len);
    struct test_buf whole = {.len = 0};
    tb_der(&whole, 0xa1, body.data, body.len);
    memcpy(out, whole.data, whole.len);
    return whole.len;
}

static void test_ntlmssp_challenge_reads_target_info(void **state)
{
    (void)state;
    uint8_t msg[512];
    struct ntlm_info info;
    size_t len = test_ntlm_challenge(msg, "WORKSTATION6", "workstation6.theshire.local");

    assert_int_equal(ntlm_parse_blob(msg, len, &info), WA_OK);
    assert_int_equal(info.mech, NTLM_MECH_NTLMSSP);
    assert_int_equal(info.message_type, 2);
    assert_string_equal(info.nb_computer, "WORKSTATION6");
    assert_string_equal(info.dns_computer, "workstation6.theshire.local");
}

static void test_ntlmssp_authenticate_reads_names(void **state)
{
    (void)state;
    uint8_t msg[512];
    struct ntlm_info info;
    size_t len = test_ntlm_authenticate(msg, "THESHIRE", "pgustavo", "WORKSTATION5", 64);

    assert_int_equal(ntlm_parse_blob(msg, len, &info), WA_OK);
    assert_int_equal(info.message_type, 3);
    assert_string_equal(info.user, "pgustavo");
    assert_string_equal(info.domain, "THESHIRE");
    assert_string_equal(info.workstation, "WORKSTATION5");
    assert_false(info.anonymous);
    assert_true(info.ntlmv2);
}

static void test_ntlmssp_authenticate_anonymous(void **state)
{
    (void)state;
    uint8_t msg[512];
    struct ntlm_info info;
    size_t len = test_ntlm_authenticate(msg, "", "", "", 0);

    assert_int_equal(ntlm_parse_blob(msg, len, &info), WA_OK);
    assert_true(info.anonymous);
    assert_string_equal(info.user, "");
}

static void test_ntlmssp_spnego_init_unwraps_token(void **state)
{
    (void)state;
    uint8_t inner[512];
    uint8_t blob[1024];
    struct ntlm_info info;
    size_t inner_len = test_ntlm_authenticate(inner, "D", "alice", "PC1", 24);
    size_t len = wrap_neg_init(blob, inner, inner_len);

    assert_int_equal(ntlm_parse_blob(blob, len, &info), WA_OK);
    assert_int_equal(info.mech, NTLM_MECH_NTLMSSP);
    assert_string_equal(info.user, "alice");
    assert_false(info.ntlmv2);
}

static void test_ntlmssp_spnego_resp_carries_challenge(void **state)
{
    (void)state;
    uint8_t inner[512];
    uint8_t blob[1024];
    struct ntlm_info info;
    size_t inner_len = test_ntlm_challenge(inner, "SRV", "srv.example.org");
    size_t len = wrap_neg_resp(blob, 1, NULL, 0, inner, inner_len);

    assert_int_equal(ntlm_parse_blob(blob, len, &info), WA_OK);
    assert_int_equal(info.neg_state, 1);
    assert_string_equal(info.nb_computer, "SRV");
}

static void test_ntlmssp_spnego_resp_marks_kerberos(void **state)
{
    (void)state;
    uint8_t blob[256];
    struct ntlm_info info;
    size_t len = wrap_neg_resp(blob, 0, OID_KRB5_DER, sizeof(OID_KRB5_DER), NULL, 0);

    assert_int_equal(ntlm_parse_blob(blob, len, &info), WA_OK);
    assert_int_equal(info.mech, NTLM_MECH_KERBEROS);
    assert_int_equal(info.neg_state, 0);
}

static void test_ntlmssp_gss_kerberos_reads_ticket(void **state)
{
    (void)state;
    uint8_t blob[512];
    struct ntlm_info info;
    size_t len = test_krb_ap_req(blob, "THESHIRE.LOCAL", "cifs", "WORKSTATION6");

    assert_int_equal(ntlm_parse_blob(blob, len, &info), WA_OK);
    assert_int_equal(info.mech, NTLM_MECH_KERBEROS);
    assert_string_equal(info.krb_realm, "THESHIRE.LOCAL");
    assert_string_equal(info.krb_service, "cifs/WORKSTATION6");
    assert_string_equal(info.user, "");
}

static void test_ntlmssp_kerberos_prefix_sweep(void **state)
{
    (void)state;
    uint8_t blob[512];
    struct ntlm_info info;
    size_t len = test_krb_ap_req(blob, "R", "cifs", "host.example.org");

    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n == 0 ? 1 : n);
        assert_non_null(copy);
        memcpy(copy, blob, n);
        enum wa_status st = ntlm_parse_blob(copy, n, &info);
        /* A cut AP-REQ is still a Kerberos token, so the prefix past the OID is recognised. */
        if (n == 0) {
            assert_int_equal(st, WA_UNSUPPORTED);
        } else {
            assert_true(st == WA_OK || st == WA_NEED_MORE || st == WA_MALFORMED);
        }
        if (st == WA_OK) {
            assert_int_equal(info.mech, NTLM_MECH_KERBEROS);
        }
        free(copy);
    }
}

static void test_ntlmssp_prefix_sweep_never_reads_past(void **state)
{
    (void)state;
    uint8_t inner[512];
    uint8_t blob[1024];
    struct ntlm_info info;
    size_t inner_len = test_ntlm_authenticate(inner, "THESHIRE", "pgustavo", "WS5", 48);
    size_t len = wrap_neg_init(blob, inner, inner_len);

    for (size_t n = 0; n < len; n++) {
        /* Exact-size heap copies let AddressSanitizer catch any read past the prefix. */
        uint8_t *copy = malloc(n == 0 ? 1 : n);
        assert_non_null(copy);
        memcpy(copy, blob, n);
        enum wa_status st = ntlm_parse_blob(copy, n, &info);
        assert_int_not_equal(st, WA_OK);
        free(copy);
    }
    assert_int_equal(ntlm_parse_blob(blob, len, &info), WA_OK);
}

static void test_ntlmssp_huge_der_length_rejected(void **state)
{
    (void)state;
    /* [APPLICATION 0] with a 4-byte length of 0xffffffff and only two content bytes. */
    static const uint8_t blob[] = {0x60, 0x84, 0xff, 0xff, 0xff, 0xff, 0x06, 0x00};
    struct ntlm_info info;
    assert_int_not_equal(ntlm_parse_blob(blob, sizeof(blob), &info), WA_OK);
}

static void test_ntlmssp_deep_nesting_rejected(void **state)
{
    (void)state;
    /* NegTokenInit whose mechToken is again a GSS SPNEGO token, 20 levels deep. */
    uint8_t blob[4096];
    uint8_t next[4096];
    size_t len = test_ntlm_challenge(blob, "X", "x");
    for (int i = 0; i < 20; i++) {
        len = wrap_neg_init(next, blob, len);
        memcpy(blob, next, len);
    }
    struct ntlm_info info;
    assert_int_equal(ntlm_parse_blob(blob, len, &info), WA_MALFORMED);
}

static void test_ntlmssp_field_offset_past_end_rejected(void **state)
{
    (void)state;
    uint8_t msg[512];
    struct ntlm_info info;
    size_t len = test_ntlm_authenticate(msg, "D", "u", "w", 24);
    /* UserNameFields.BufferOffset (bytes 40-43) points past the message. */
    msg[40] = 0xff;
    msg[41] = 0xff;
    assert_int_equal(ntlm_parse_blob(msg, len, &info), WA_MALFORMED);
}

static void test_ntlmssp_utf16_converts_surrogates(void **state)
{
    (void)state;
    /* "a", U+1F600 as a surrogate pair, an unpaired low surrogate, "b" */
    static const uint8_t text[] = {0x61, 0x00, 0x3d, 0xd8, 0x00, 0xde, 0x00, 0xdc, 0x62, 0x00};
    char out[32];
    assert_true(ntlm_utf16_to_utf8(text, sizeof(text), out, sizeof(out)));
    assert_string_equal(out, "a\xf0\x9f\x98\x80\xef\xbf\xbd"
                             "b");
}

static void test_ntlmssp_utf16_cuts_at_capacity(void **state)
{
    (void)state;
    static const uint8_t text[] = {0x61, 0x00, 0x62, 0x00, 0x63, 0x00};
    char out[3];
    assert_false(ntlm_utf16_to_utf8(text, sizeof(text), out, sizeof(out)));
    assert_string_equal(out, "ab");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ntlmssp_challenge_reads_target_info),
        cmocka_unit_test(test_ntlmssp_authenticate_reads_names),
        cmocka_unit_test(test_ntlmssp_authenticate_anonymous),
        cmocka_unit_test(test_ntlmssp_spnego_init_unwraps_token),
        cmocka_unit_test(test_ntlmssp_spnego_resp_carries_challenge),
        cmocka_unit_test(test_ntlmssp_spnego_resp_marks_kerberos),
        cmocka_unit_test(test_ntlmssp_gss_kerberos_reads_ticket),
        cmocka_unit_test(test_ntlmssp_kerberos_prefix_sweep),
        cmocka_unit_test(test_ntlmssp_prefix_sweep_never_reads_past),
        cmocka_unit_test(test_ntlmssp_huge_der_length_rejected),
        cmocka_unit_test(test_ntlmssp_deep_nesting_rejected),
        cmocka_unit_test(test_ntlmssp_field_offset_past_end_rejected),
        cmocka_unit_test(test_ntlmssp_utf16_converts_surrogates),
        cmocka_unit_test(test_ntlmssp_utf16_cuts_at_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
