/*
 * Security blobs carried by SMB SESSION_SETUP: NTLMSSP messages (MS-NLMP 2.2.1)
 * inside SPNEGO (RFC 4178) and the GSS-API InitialContextToken (RFC 2743 3.1),
 * plus recognition of Kerberos tokens (RFC 4121) without decoding them.
 */
#ifndef WA_NTLMSSP_H
#define WA_NTLMSSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sensor/common.h"

/* Capacity of each name below, in UTF-8 bytes including the NUL; longer names are cut. */
#define NTLM_NAME_MAX 128

enum ntlm_mech {
    NTLM_MECH_NONE = 0, /* no token, or a mechanism this module does not recognise */
    NTLM_MECH_NTLMSSP,
    NTLM_MECH_KERBEROS
};

/* Mechanism and names found in one security blob. Strings are UTF-8 and NUL-terminated. */
struct ntlm_info {
    enum ntlm_mech mech;
    uint32_t message_type; /* NTLMSSP 1, 2 or 3; 0 when not NTLMSSP */
    /* CHALLENGE (type 2): target info AV pairs */
    char nb_computer[NTLM_NAME_MAX];  /* MsvAvNbComputerName */
    char nb_domain[NTLM_NAME_MAX];    /* MsvAvNbDomainName */
    char dns_computer[NTLM_NAME_MAX]; /* MsvAvDnsComputerName */
    char dns_domain[NTLM_NAME_MAX];   /* MsvAvDnsDomainName */
    /* AUTHENTICATE (type 3) */
    char user[NTLM_NAME_MAX];
    char domain[NTLM_NAME_MAX];
    char workstation[NTLM_NAME_MAX];
    bool anonymous; /* empty user and empty NT response (MS-NLMP 3.2.5.1.2) */
    bool ntlmv2;    /* NtChallengeResponse longer than the 24-byte NTLMv1 form */
    /* Kerberos AP-REQ: the ticket's realm and service principal ("cifs/WORKSTATION6"), in clear */
    char krb_realm[NTLM_NAME_MAX];
    char krb_service[NTLM_NAME_MAX];
    /* SPNEGO NegTokenResp negState: 0 accept-completed, 1 accept-incomplete, 2 reject, -1 absent */
    int neg_state;
};

/*
 * Parses a SESSION_SETUP security blob: raw NTLMSSP, a GSS-API token with the
 * SPNEGO or Kerberos OID, or a bare NegTokenInit/NegTokenResp. Fills *out
 * (cleared first). Returns WA_OK when a mechanism was recognised, WA_UNSUPPORTED
 * for a well-formed blob of another mechanism, WA_MALFORMED or WA_NEED_MORE when
 * the DER or NTLMSSP structure is broken or cut. Borrows blob; never allocates.
 */
enum wa_status ntlm_parse_blob(const uint8_t *blob, size_t len,
                               struct ntlm_info *out) WA_WARN_UNUSED;

/*
 * Converts UTF-16LE text of len bytes to UTF-8 in dst (capacity dst_size > 0,
 * always NUL-terminated). Unpaired surrogates become U+FFFD, a NUL ends the
 * text, and output that does not fit is cut at a character boundary.
 * Returns false when the text was cut.
 */
bool ntlm_utf16_to_utf8(const uint8_t *src, size_t len, char *dst, size_t dst_size);

#endif
