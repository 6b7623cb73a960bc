/* SMB2/3 dissector (MS-SMB2): requests, responses, compound chains and transform headers. */
#ifndef WA_SMB2_H
#define WA_SMB2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smb_events.h"

/* Protocol identifiers in the first four bytes of a NetBIOS message. */
#define SMB2_MAGIC 0x424d53feu            /* "\xfeSMB", little-endian */
#define SMB2_TRANSFORM_MAGIC 0x424d53fdu  /* "\xfdSMB", encrypted message */
#define SMB2_COMPRESSED_MAGIC 0x424d53fcu /* "\xfcSMB", compressed message */

#define SMB2_HEADER_LEN 64
#define SMB2_COMPOUND_MAX 64 /* elements walked in one message */

enum smb2_command {
    SMB2_NEGOTIATE = 0x00,
    SMB2_SESSION_SETUP = 0x01,
    SMB2_LOGOFF = 0x02,
    SMB2_TREE_CONNECT = 0x03,
    SMB2_TREE_DISCONNECT = 0x04,
    SMB2_CREATE = 0x05,
    SMB2_CLOSE = 0x06,
    SMB2_READ = 0x08,
    SMB2_WRITE = 0x09,
    SMB2_IOCTL = 0x0b
};

#define SMB2_FLAGS_SERVER_TO_REDIR 0x00000001u
#define SMB2_FLAGS_ASYNC_COMMAND 0x00000002u
#define SMB2_FLAGS_RELATED_OPERATIONS 0x00000004u
#define FSCTL_PIPE_TRANSCEIVE 0x0011c017u

/* The fixed 64-byte header (MS-SMB2 2.2.1), sync and async forms. */
struct smb2_header {
    uint16_t command;
    uint32_t status; /* responses only; bytes 8-11 of a request are ChannelSequence/Reserved */
    uint32_t flags;
    uint32_t next_command;
    uint64_t message_id;
    uint64_t async_id; /* async form only */
    uint32_t tree_id;  /* sync form only */
    uint64_t session_id;
};

/*
 * Parses the SMB2 header at the start of c. Returns WA_NEED_MORE when fewer
 * than 64 bytes remain and WA_MALFORMED when the magic or StructureSize is wrong.
 */
enum wa_status smb2_parse_header(const uint8_t *data, size_t len,
                                 struct smb2_header *hdr) WA_WARN_UNUSED;

/*
 * Dissects one NetBIOS message starting with an SMB2 magic: every element of a
 * compound chain, a transform (0xFD) or a compression transform (0xFC). msg
 * contains the first len bytes of a message of total_len bytes. Rebuilt events
 * go to the connection's sink, and anomalies are counted under "smb2.*".
 */
void smb2_dissect_message(struct smb_state *st, bool from_client, const uint8_t *msg, size_t len,
                          size_t total_len, const struct pkt_meta *pm);

/* Returns the dialect text ("3.1.1") for a DialectRevision, or NULL for 0x02FF and unknown values.
 */
const char *smb2_dialect_name(uint16_t revision);

#endif
