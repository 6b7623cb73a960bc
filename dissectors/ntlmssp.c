/*
 * NTLMSSP (MS-NLMP 2.2) inside SPNEGO (RFC 4178) and GSS-API framing (RFC 2743 3.1).
 *
 * Only the DER needed to reach the inner token is decoded: tag, length and the
 * constructed types that wrap mechToken and responseToken. Every length is read
 * through the cursor, and nesting is limited, so hostile DER cannot recurse
 * deeply or read past the blob.
 */
#include "ntlmssp.h"

#include <stdio.h>
#include <string.h>

#include "cursor.h"

#define NTLMSSP_SIGNATURE "NTLMSSP" /* 8 bytes with its NUL */
#define NTLMSSP_NEGOTIATE_UNICODE 0x00000001u
#define NTLM_V1_RESPONSE_LEN 24u

/* Nesting of GSS-API, SPNEGO and inner tokens seen in practice is 4; allow some slack. */
#define DER_DEPTH_MAX 8

/* DER encodings of the object identifiers (without tag and length). */
static const uint8_t OID_SPNEGO[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
static const uint8_t OID_KRB5[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const uint8_t OID_MS_KRB5[] = {0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const uint8_t OID_KRB5_U2U[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x03};

enum av_id {
    AV_EOL = 0,
    AV_NB_COMPUTER = 1,
    AV_NB_DOMAIN = 2,
    AV_DNS_COMPUTER = 3,
    AV_DNS_DOMAIN = 4
};

static enum wa_status parse_token(struct cursor *c, struct ntlm_info *out, int depth);

bool ntlm_utf16_to_utf8(const uint8_t *src, size_t len, char *dst, size_t dst_size)
{
    size_t n = 0;
    bool complete = true;

    for (size_t i = 0; i + 1 < len; i += 2) {
        uint32_t cp = (uint32_t)src[i] | ((uint32_t)src[i + 1] << 8);
        if (cp == 0) {
            break;
        }
        if (cp >= 0xd800 && cp <= 0xdbff && i + 3 < len) {
            uint32_t low = (uint32_t)src[i + 2] | ((uint32_t)src[i + 3] << 8);
            if (low >= 0xdc00 && low <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                i += 2;
            } else {
                cp = 0xfffd;
            }
        } else if (cp >= 0xd800 && cp <= 0xdfff) {
            cp = 0xfffd;
        }
        uint8_t buf[4];
        size_t width;
        if (cp < 0x80) {
            buf[0] = (uint8_t)cp;
            width = 1;
        } else if (cp < 0x800) {
            buf[0] = (uint8_t)(0xc0 | (cp >> 6));
            buf[1] = (uint8_t)(0x80 | (cp & 0x3f));
            width = 2;
        } else if (cp < 0x10000) {
            buf[0] = (uint8_t)(0xe0 | (cp >> 12));
            buf[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
            buf[2] = (uint8_t)(0x80 | (cp & 0x3f));
            width = 3;
        } else {
            buf[0] = (uint8_t)(0xf0 | (cp >> 18));
            buf[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
            buf[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
            buf[3] = (uint8_t)(0x80 | (cp & 0x3f));
            width = 4;
        }
        if (n + width >= dst_size) {
            complete = false;
            break;
        }
        memcpy(dst + n, buf, width);
        n += width;
    }
    dst[n] = '\0';
    return complete;
}

/* Copies OEM (8-bit) text, replacing bytes above 0x7f with '?' so the result is valid UTF-8. */
static void copy_oem(const uint8_t *src, size_t len, char *dst, size_t dst_size)
{
    size_t n = 0;
    for (size_t i = 0; i < len && src[i] != 0 && n + 1 < dst_size; i++) {
        dst[n++] = src[i] < 0x80 ? (char)src[i] : '?';
    }
    dst[n] = '\0';
}

/* Reads a DER tag and definite length (RFC 2743 3.1 allows lengths up to 4 octets). */
static bool der_read_header(struct cursor *c, uint8_t *tag, size_t *len)
{
    *tag = cur_u8(c);
    uint8_t first = cur_u8(c);
    if (!cur_ok(c)) {
        return false;
    }
    if (first < 0x80) {
        *len = first;
        return true;
    }
    unsigned count = first & 0x7fu;
    if (count == 0 || count > 4) {
        cur_fail(c);
        return false;
    }
    size_t value = 0;
    for (unsigned i = 0; i < count; i++) {
        value = (value << 8) | cur_u8(c);
    }
    *len = value;
    return cur_ok(c);
}

/* Moves c into the value of the next DER element; child covers it. */
static bool der_enter(struct cursor *c, struct cursor *child, uint8_t *tag)
{
    size_t len;
    if (!der_read_header(c, tag, &len)) {
        return false;
    }
    cur_sub(c, child, len);
    return cur_ok(c);
}

static bool oid_equals(const struct cursor *oid, const uint8_t *want, size_t want_len)
{
    return oid->len == want_len && memcmp(oid->base, want, want_len) == 0;
}

static bool oid_is_kerberos(const struct cursor *oid)
{
    return oid_equals(oid, OID_KRB5, sizeof(OID_KRB5)) ||
           oid_equals(oid, OID_MS_KRB5, sizeof(OID_MS_KRB5)) ||
           oid_equals(oid, OID_KRB5_U2U, sizeof(OID_KRB5_U2U));
}

/* Reads an NTLMSSP security buffer descriptor (length, max length, offset) and views its bytes. */
static bool read_field(struct cursor *msg, size_t at, struct cursor *value)
{
    struct cursor desc;
    if (!cur_at(msg, &desc, at, 8)) {
        return false;
    }
    uint16_t len = cur_le16(&desc);
    cur_skip(&desc, 2);
    uint32_t off = cur_le32(&desc);
    if (len == 0) {
        cur_init(value, msg->base, 0);
        return true;
    }
    return cur_at(msg, value, off, len);
}

static void field_to_text(const struct cursor *value, bool unicode, char *dst, size_t dst_size)
{
    if (unicode) {
        ntlm_utf16_to_utf8(value->base, value->len, dst, dst_size);
    } else {
        copy_oem(value->base, value->len, dst, dst_size);
    }
}

/* Walks the MsvAvPair list of a CHALLENGE's TargetInfo (MS-NLMP 2.2.2.1). */
static void parse_target_info(struct cursor *info, struct ntlm_info *out)
{
    while (cur_left(info) >= 4) {
        uint16_t id = cur_le16(info);
        uint16_t len = cur_le16(info);
        struct cursor value;
        cur_sub(info, &value, len);
        if (!cur_ok(info) || id == AV_EOL) {
            return;
        }
        char *dst = NULL;
        switch (id) {
        case AV_NB_COMPUTER:
            dst = out->nb_computer;
            break;
        case AV_NB_DOMAIN:
            dst = out->nb_domain;
            break;
        case AV_DNS_COMPUTER:
            dst = out->dns_computer;
            break;
        case AV_DNS_DOMAIN:
            dst = out->dns_domain;
            break;
        default:
            break;
        }
        if (dst != NULL) {
            ntlm_utf16_to_utf8(value.base, value.len, dst, NTLM_NAME_MAX);
        }
    }
}

static enum wa_status parse_challenge(struct cursor *msg, struct ntlm_info *out)
{
    struct cursor flags_at;
    struct cursor info;
    if (!cur_at(msg, &flags_at, 20, 4)) {
        return WA_NEED_MORE;
    }
    (void)cur_le32(&flags_at);
    /* TargetInfoFields sit at offset 40; a CHALLENGE without them is legal but carries no names. */
    if (msg->len < 48) {
        return WA_OK;
    }
    if (!read_field(msg, 40, &info)) {
        return WA_MALFORMED;
    }
    parse_target_info(&info, out);
    return WA_OK;
}

static enum wa_status parse_authenticate(struct cursor *msg, struct ntlm_info *out)
{
    struct cursor lm;
    struct cursor nt;
    struct cursor domain;
    struct cursor user;
    struct cursor workstation;
    struct cursor flags_at;

    if (msg->len < 64) {
        return WA_NEED_MORE;
    }
    if (!cur_at(msg, &flags_at, 60, 4)) {
        return WA_NEED_MORE;
    }
    bool unicode = (cur_le32(&flags_at) & NTLMSSP_NEGOTIATE_UNICODE) != 0;
    if (!read_field(msg, 12, &lm) || !read_field(msg, 20, &nt) || !read_field(msg, 28, &domain) ||
        !read_field(msg, 36, &user) || !read_field(msg, 44, &workstation)) {
        return WA_MALFORMED;
    }
    field_to_text(&domain, unicode, out->domain, sizeof(out->domain));
    field_to_text(&user, unicode, out->user, sizeof(out->user));
    field_to_text(&workstation, unicode, out->workstation, sizeof(out->workstation));
    out->anonymous = user.len == 0 && nt.len == 0 && lm.len <= 1;
    out->ntlmv2 = nt.len > NTLM_V1_RESPONSE_LEN;
    return WA_OK;
}

/* Parses one NTLMSSP message; c covers exactly the message (offsets are relative to its start). */
static enum wa_status parse_ntlmssp(struct cursor *c, struct ntlm_info *out)
{
    struct cursor msg = *c;
    const uint8_t *sig = cur_view(&msg, 8);
    uint32_t type = cur_le32(&msg);
    if (sig == NULL || !cur_ok(&msg)) {
        return WA_NEED_MORE;
    }
    if (memcmp(sig, NTLMSSP_SIGNATURE, 8) != 0) {
        return WA_MALFORMED;
    }
    out->mech = NTLM_MECH_NTLMSSP;
    out->message_type = type;
    cur_seek(&msg, 0);
    switch (type) {
    case 1:
        return WA_OK;
    case 2:
        return parse_challenge(&msg, out);
    case 3:
        return parse_authenticate(&msg, out);
    default:
        return WA_MALFORMED;
    }
}

/* Finds context tag [want] in a SEQUENCE body and makes child its value; false when absent. */
static bool der_find_field(const struct cursor *seq, uint8_t want, struct cursor *child)
{
    struct cursor c = *seq;
    while (cur_left(&c) > 0) {
        uint8_t tag;
        if (!der_enter(&c, child, &tag)) {
            return false;
        }
        if (tag == want) {
            return true;
        }
    }
    return false;
}

/* Parses an OCTET STRING wrapping an inner token (mechToken or responseToken). */
static enum wa_status parse_inner(struct cursor *wrapped, struct ntlm_info *out, int depth)
{
    struct cursor octets;
    uint8_t tag;
    if (!der_enter(wrapped, &octets, &tag)) {
        return WA_MALFORMED;
    }
    if (tag != 0x04) {
        return WA_MALFORMED;
    }
    return parse_token(&octets, out, depth + 1);
}

/* NegTokenInit (RFC 4178 4.2.1): the first mechType names the optimistic mechanism. */
static enum wa_status parse_neg_init(struct cursor *body, struct ntlm_info *out, int depth)
{
    struct cursor seq;
    struct cursor field;
    uint8_t tag;
    if (!der_enter(body, &seq, &tag) || tag != 0x30) {
        return WA_MALFORMED;
    }
    if (der_find_field(&seq, 0xa2, &field)) {
        return parse_inner(&field, out, depth);
    }
    if (der_find_field(&seq, 0xa0, &field)) {
        struct cursor list;
        struct cursor oid;
        if (der_enter(&field, &list, &tag) && tag == 0x30 && der_enter(&list, &oid, &tag) &&
            tag == 0x06 && oid_is_kerberos(&oid)) {
            out->mech = NTLM_MECH_KERBEROS;
            return WA_OK;
        }
    }
    return WA_UNSUPPORTED;
}

/* NegTokenResp (RFC 4178 4.2.2): negState, supportedMech and the responseToken. */
static enum wa_status parse_neg_resp(struct cursor *body, struct ntlm_info *out, int depth)
{
    struct cursor seq;
    struct cursor field;
    uint8_t tag;
    if (!der_enter(body, &seq, &tag) || tag != 0x30) {
        return WA_MALFORMED;
    }
    if (der_find_field(&seq, 0xa0, &field)) {
        struct cursor state;
        if (der_enter(&field, &state, &tag) && tag == 0x0a && state.len == 1) {
            out->neg_state = state.base[0];
        }
    }
    if (der_find_field(&seq, 0xa1, &field)) {
        struct cursor oid;
        if (der_enter(&field, &oid, &tag) && tag == 0x06 && oid_is_kerberos(&oid)) {
            out->mech = NTLM_MECH_KERBEROS;
        }
    }
    if (der_find_field(&seq, 0xa2, &field)) {
        enum wa_status st = parse_inner(&field, out, depth);
        if (st != WA_UNSUPPORTED || out->mech != NTLM_MECH_NONE) {
            return st == WA_UNSUPPORTED ? WA_OK : st;
        }
        return st;
    }
    return out->mech != NTLM_MECH_NONE || out->neg_state >= 0 ? WA_OK : WA_UNSUPPORTED;
}

/* Copies a KerberosString (GeneralString, tag 0x1b) as ASCII text. */
static bool read_krb_string(struct cursor *c, char *dst, size_t dst_size)
{
    struct cursor text;
    uint8_t tag;
    if (!der_enter(c, &text, &tag) || tag != 0x1b) {
        return false;
    }
    copy_oem(text.base, text.len, dst, dst_size);
    return true;
}

/*
 * Reads the realm and service principal of the ticket in an AP-REQ (RFC 4120
 * 5.5.1 and 5.3). Both are outside the ticket's encrypted part. The client's
 * name is inside the encrypted authenticator and stays unknown.
 */
static void parse_ap_req(struct cursor *c, struct ntlm_info *out)
{
    struct cursor ap_req;
    struct cursor seq;
    struct cursor field;
    struct cursor ticket;
    struct cursor names;
    uint8_t tag;
    if (!der_enter(c, &ap_req, &tag) || tag != 0x6e || !der_enter(&ap_req, &seq, &tag) ||
        tag != 0x30 || !der_find_field(&seq, 0xa3, &field) || !der_enter(&field, &ticket, &tag) ||
        tag != 0x61 || !der_enter(&ticket, &seq, &tag) || tag != 0x30) {
        return;
    }
    if (der_find_field(&seq, 0xa1, &field)) {
        read_krb_string(&field, out->krb_realm, sizeof(out->krb_realm));
    }
    if (!der_find_field(&seq, 0xa2, &field) || !der_enter(&field, &names, &tag) || tag != 0x30 ||
        !der_find_field(&names, 0xa1, &field) || !der_enter(&field, &names, &tag) || tag != 0x30) {
        return;
    }
    size_t n = 0;
    while (cur_left(&names) > 0 && n + 1 < sizeof(out->krb_service)) {
        char part[NTLM_NAME_MAX];
        if (!read_krb_string(&names, part, sizeof(part))) {
            break;
        }
        int wrote = snprintf(out->krb_service + n, sizeof(out->krb_service) - n, "%s%s",
                             n > 0 ? "/" : "", part);
        if (wrote < 0) {
            break;
        }
        n = WA_MIN(n + (size_t)wrote, sizeof(out->krb_service) - 1);
    }
}

/* GSS-API InitialContextToken (RFC 2743 3.1): [APPLICATION 0] { thisMech OID, innerToken }. */
static enum wa_status parse_gss(struct cursor *body, struct ntlm_info *out, int depth)
{
    struct cursor oid;
    uint8_t tag;
    if (!der_enter(body, &oid, &tag) || tag != 0x06) {
        return WA_MALFORMED;
    }
    if (oid_equals(&oid, OID_SPNEGO, sizeof(OID_SPNEGO))) {
        return parse_token(body, out, depth + 1);
    }
    if (oid_is_kerberos(&oid)) {
        out->mech = NTLM_MECH_KERBEROS;
        /* innerToken: a 2-byte TOK_ID (01 00 for KRB_AP_REQ, RFC 4121 4.1), then the message. */
        if (cur_left(body) > 2 && body->base[body->off] == 0x01 &&
            body->base[body->off + 1] == 0x00) {
            cur_skip(body, 2);
            parse_ap_req(body, out);
        }
        return WA_OK;
    }
    return WA_UNSUPPORTED;
}

static enum wa_status parse_token(struct cursor *c, struct ntlm_info *out, int depth)
{
    if (depth > DER_DEPTH_MAX) {
        return WA_MALFORMED;
    }
    if (cur_left(c) < 2) {
        return cur_left(c) == 0 ? WA_UNSUPPORTED : WA_NEED_MORE;
    }
    uint8_t first = c->base[c->off];
    if (first == 'N') {
        struct cursor rest;
        cur_sub(c, &rest, cur_left(c));
        return parse_ntlmssp(&rest, out);
    }
    struct cursor body;
    uint8_t tag;
    if (!der_enter(c, &body, &tag)) {
        return c->status == CUR_TRUNCATED ? WA_NEED_MORE : WA_MALFORMED;
    }
    switch (tag) {
    case 0x60:
        return parse_gss(&body, out, depth);
    case 0xa0:
        return parse_neg_init(&body, out, depth);
    case 0xa1:
        return parse_neg_resp(&body, out, depth);
    default:
        return WA_UNSUPPORTED;
    }
}

enum wa_status ntlm_parse_blob(const uint8_t *blob, size_t len, struct ntlm_info *out)
{
    struct cursor c;
    memset(out, 0, sizeof(*out));
    out->neg_state = -1;
    cur_init(&c, blob, len);
    return parse_token(&c, out, 0);
}
