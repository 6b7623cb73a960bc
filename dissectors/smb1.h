/* SMB1 (CIFS) dissector (MS-CIFS 2.2, MS-SMB 2.2): the commands that open shares, files and pipes.
 */
#ifndef WA_SMB1_H
#define WA_SMB1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smb_events.h"

#define SMB1_MAGIC 0x424d53ffu /* "\xffSMB", little-endian */
#define SMB1_HEADER_LEN 32
#define SMB1_ANDX_MAX 16 /* commands followed in one AndX chain */

enum smb1_command {
    SMB1_COM_CLOSE = 0x04,
    SMB1_COM_TRANSACTION = 0x25,
    SMB1_COM_TRANSACTION_SECONDARY = 0x26,
    SMB1_COM_OPEN_ANDX = 0x2d,
    SMB1_COM_READ_ANDX = 0x2e,
    SMB1_COM_WRITE_ANDX = 0x2f,
    SMB1_COM_TRANSACTION2 = 0x32,
    SMB1_COM_TREE_DISCONNECT = 0x71,
    SMB1_COM_NEGOTIATE = 0x72,
    SMB1_COM_SESSION_SETUP_ANDX = 0x73,
    SMB1_COM_LOGOFF_ANDX = 0x74,
    SMB1_COM_TREE_CONNECT_ANDX = 0x75,
    SMB1_COM_NT_TRANSACT = 0xa0,
    SMB1_COM_NT_CREATE_ANDX = 0xa2,
    SMB1_COM_NONE = 0xff
};

#define SMB1_FLAGS_REPLY 0x80u
#define SMB1_FLAGS2_NT_STATUS 0x4000u
#define SMB1_FLAGS2_UNICODE 0x8000u
#define SMB1_TRANS_TRANSACT_NMPIPE 0x0026u

/* The fixed 32-byte header (MS-CIFS 2.2.3.1). */
struct smb1_header {
    uint8_t command;
    uint32_t status; /* NT status; a DOS error class/code is mapped to an NT failure status */
    uint8_t flags;
    uint16_t flags2;
    uint32_t pid; /* PIDHigh << 16 | PIDLow */
    uint16_t tid;
    uint16_t uid;
    uint16_t mid;
};

/*
 * Parses the header at the start of data. Returns WA_NEED_MORE when fewer than
 * 32 bytes remain and WA_MALFORMED when the magic is wrong.
 */
enum wa_status smb1_parse_header(const uint8_t *data, size_t len,
                                 struct smb1_header *hdr) WA_WARN_UNUSED;

/*
 * Dissects one NetBIOS message that contains an SMB1 message and its AndX chain.
 * msg contains the first len bytes of a message of total_len bytes. Rebuilt events go to the
 * connection's sink; anomalies are counted under "smb1.*".
 */
void smb1_dissect_message(struct smb_state *st, bool from_client, const uint8_t *msg, size_t len,
                          size_t total_len, const struct pkt_meta *pm);

#endif
