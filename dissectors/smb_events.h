/*
 * Per-connection SMB state shared by the SMB1 and SMB2 dissectors, and the
 * Windows Security events rebuilt from it: 5140 (share connect), 5145 (share
 * object access), 4624 and 4625 (network logon).
 */
#ifndef WA_SMB_EVENTS_H
#define WA_SMB_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntlmssp.h"
#include "proto.h"

/*
 * Per-connection caps, estimates of what one client connection needs: a
 * request that would exceed one is counted under "smb2.limit". With these
 * values struct smb_state takes about 39 KiB on x86-64.
 */
#define SMB_SESSIONS_MAX 8
#define SMB_TREES_MAX 32
#define SMB_PIPES_MAX 64
#define SMB_PENDING_MAX 512

/* UTF-8 capacity of a tree path or file name, NUL included; longer names are cut. */
#define SMB_PATH_MAX 1024

/* UTF-8 capacity of a stored share name or server name, NUL included; longer ones are cut. */
#define SMB_TREE_NAME_MAX 256

/* NT status codes (MS-ERREF 2.3) that change how requests are tracked. */
#define NT_STATUS_SUCCESS 0x00000000u
#define NT_STATUS_PENDING 0x00000103u
#define NT_STATUS_BUFFER_OVERFLOW 0x80000005u
#define NT_STATUS_MORE_PROCESSING_REQUIRED 0xc0000016u

enum smb_version { SMB_VERSION_1 = 1, SMB_VERSION_2 = 2 };

struct smb_session {
    bool in_use;
    uint64_t id;                /* SMB2 SessionId or SMB1 UID */
    struct ntlm_info challenge; /* names from the server's CHALLENGE */
    struct ntlm_info auth;      /* names from the client's AUTHENTICATE */
    bool kerberos;
    bool plain_auth; /* SMB1 session setup without extended security */
    bool encrypted_seen;
    /* Request that carried the client's last token; a logon event takes its time and frame. */
    int64_t setup_time_us;
    uint64_t setup_frame;
    uint64_t setup_message_id;
};

struct smb_tree {
    bool in_use;
    uint64_t session_id;
    uint32_t tree_id;
    bool ipc;                      /* IPC$ share, or SMB2 ShareType PIPE */
    char share[SMB_TREE_NAME_MAX]; /* as Windows logs it: \\*\C$ */
    char host[SMB_TREE_NAME_MAX];  /* server part of the tree path */
};

/* An open named pipe whose data goes to the DCE-RPC layer. */
struct smb_pipe {
    bool in_use;
    struct smb_state *owner; /* the connection whose pipes[] contains this slot */
    uint8_t file_id[16]; /* SMB2 FileId, or the SMB1 FID in the first two bytes */
    uint64_t session_id;
    uint32_t tree_id;
    struct dcerpc_stream *rpc;
    uint64_t last_client_data; /* smb_state.pipe_clock at the last client-to-server bytes */
};

/* Event that a pending request rebuilds when its response arrives, or when none does. */
enum smb_pending_kind { SMB_PENDING_OTHER = 0, SMB_PENDING_TREE_CONNECT, SMB_PENDING_CREATE };

/* A request waiting for its response. */
struct smb_pending {
    bool in_use;
    enum smb_pending_kind kind;
    uint16_t command;
    uint64_t message_id;      /* lookup key: SMB2 MessageId; SMB1 MID, PID and command */
    uint64_t wire_message_id; /* written as Wire MessageId: SMB2 MessageId or SMB1 MID */
    uint64_t async_id;        /* from a STATUS_PENDING interim response */
    uint64_t session_id;
    uint32_t tree_id;
    int64_t time_us;
    uint64_t frame;
    uint8_t file_id[16];
    uint32_t desired_access;
    uint32_t share_access;
    uint32_t create_disposition;
    uint32_t create_options;
    char *path; /* TREE_CONNECT path, CREATE name or dialects; owned */
    /*
     * Names from a SESSION_SETUP request whose session the response names: a
     * Kerberos AP-REQ, or an SMB1 logon without extended security. Owned.
     */
    struct ntlm_info *request_auth;
    uint32_t data_done; /* SMB1 TRANSACTION response bytes already delivered */
    /*
     * SMB2 compound requests that name the FileId of a CREATE earlier in the
     * same compound, whose response has not assigned it yet. A CREATE keeps
     * the pipe data written after it (owned, at most SMB_EARLY_PIPE_DATA_MAX
     * bytes), and a READ or IOCTL records that its FileId comes from the
     * CREATE with message id create_message_id.
     */
    uint8_t *early_data;
    uint32_t early_len;
    bool file_id_from_create;
    uint64_t create_message_id;
};

/* Pipe bytes kept for a CREATE whose FileId is not known yet; more are counted and dropped. */
#define SMB_EARLY_PIPE_DATA_MAX 65536u

struct smb_state {
    const struct conn_meta *meta;
    enum smb_version version; /* of the last message seen */
    char dialect[16];         /* "3.1.1", "2.1", "NT LM 0.12" */
    struct smb_session sessions[SMB_SESSIONS_MAX];
    struct smb_tree trees[SMB_TREES_MAX];
    struct smb_pipe pipes[SMB_PIPES_MAX];
    uint32_t pipes_open;         /* slots of pipes[] in use, so lookups skip an empty table */
    struct smb_pending *pending; /* grows up to SMB_PENDING_MAX entries */
    uint32_t pending_cap;
    uint64_t pipe_clock; /* counts client-to-server pipe deliveries, for smb_pipe_last_written */
};

/* Facts from a response that complete a pending request's event. */
struct smb_result {
    uint32_t status;
    uint64_t session_id; /* from the response header (SESSION_SETUP assigns it) */
    uint32_t tree_id;    /* from the response header (TREE_CONNECT assigns it) */
    uint8_t file_id[16];
    bool has_file_id;
    uint32_t create_action;
    bool has_create_action;
    bool pipe_share; /* TREE_CONNECT response gives ShareType PIPE */
    /* TREE_CONNECT share type as text ("disk", "pipe", "print"); NULL when not given */
    const char *share_type;
    bool no_response; /* the connection ended before the response */
};

void smb_state_init(struct smb_state *st, const struct conn_meta *meta);

/*
 * Forgets the process-wide cache of SMB2 sessions, trees and pipes that lets a
 * connection use ids set up on another connection to the same server (SMB 3.x
 * multichannel). For tests; the cache is bounded and evicts by least recent use.
 */
void smb_shared_reset(void);

/* Emits events for requests without a response, closes pipe streams, frees owned memory. */
void smb_state_release(struct smb_state *st);

/*
 * Returns the session with id. A session not yet seen on this connection is
 * imported from the process-wide cache (SMB2 only) or, when create is set,
 * created empty. Returns NULL when it is unknown or SMB_SESSIONS_MAX are open.
 */
struct smb_session *smb_session_get(struct smb_state *st, uint64_t id, bool create);
void smb_session_drop(struct smb_state *st, uint64_t id);

/* Copies the names a SESSION_SETUP request carried (pending->request_auth) into the session. */
void smb_session_apply_request(struct smb_session *sess, const struct smb_pending *p);

/*
 * Makes a session's names available to other connections to the same server.
 * Only SMB2 sessions are shared, because SMB1 UIDs are per connection.
 */
void smb_session_publish(const struct smb_state *st, const struct smb_session *sess);

/*
 * Returns the tree, importing it from the process-wide cache when another SMB2
 * connection to the same server connected it; NULL when unknown.
 */
struct smb_tree *smb_tree_get(struct smb_state *st, uint64_t session_id, uint32_t tree_id);

/*
 * Records a connected tree (SMB2 trees also in the process-wide cache). Names
 * longer than SMB_TREE_NAME_MAX are cut. Returns NULL when SMB_TREES_MAX trees are open.
 */
struct smb_tree *smb_tree_add(struct smb_state *st, uint64_t session_id, uint32_t tree_id,
                              const char *share, const char *host, bool ipc);
void smb_tree_drop(struct smb_state *st, uint64_t session_id, uint32_t tree_id);

/*
 * Returns the open pipe with file_id, or NULL when the handle is not a tracked
 * pipe. An SMB2 connection also finds pipes opened on another connection to the
 * same server (SMB 3.x multichannel), because FileIds are unique per server.
 */
struct smb_pipe *smb_pipe_get(struct smb_state *st, const uint8_t file_id[16]);

/*
 * Returns the pipe of session_id and tree_id that last received client data on
 * this connection, or NULL when that session and tree have no open pipe.
 */
struct smb_pipe *smb_pipe_last_written(struct smb_state *st, uint64_t session_id,
                                       uint32_t tree_id);

/* Hands pipe bytes to the pipe's DCE-RPC stream and counts them. */
void smb_pipe_deliver(struct smb_state *st, struct smb_pipe *pipe, bool from_client,
                      const uint8_t *data, size_t len, const struct pkt_meta *pm);

/*
 * Returns true when data starts with a DCE-RPC connection-oriented PDU header
 * (MS-RPCE 2.2.2.1, C706 12.6): rpc_vers 5, rpc_vers_minor 0 or 1, a
 * connection-oriented PTYPE, and a frag_length of at least 16 that fits in
 * data. A fragment longer than data counts when data is SMB_PIPE_PREFIX_MIN
 * bytes or more, because a large fragment spans several SMB messages.
 */
#define SMB_PIPE_PREFIX_MIN 1024
bool smb_data_is_dcerpc(const uint8_t *data, size_t len);

/* Returns true for the pipe names Windows servers expose on IPC$ ("lsarpc", "\PIPE\samr"). */
bool smb_pipe_name_is_well_known(const char *name);

/*
 * Starts a DCE-RPC stream for a handle whose open or tree connect was not
 * captured, once its data proved it a named pipe on IPC$. name is the pipe
 * name when the open was seen, else NULL (PipeName is then empty). Returns NULL at SMB_PIPES_MAX or
 * when memory ran out (both counted).
 */
struct smb_pipe *smb_pipe_infer(struct smb_state *st, uint64_t session_id, uint32_t tree_id,
                                const uint8_t file_id[16], const char *name);

/*
 * Returns true when a handle on this tree may be a pipe whose open was not
 * captured: the tree is IPC$ or its TREE_CONNECT was not seen.
 */
bool smb_tree_may_hold_pipe(struct smb_state *st, uint64_t session_id, uint32_t tree_id);

/* Makes an SMB2 pipe findable from other connections to the same server; SMB1 pipes stay local. */
void smb_pipe_publish(const struct smb_state *st, struct smb_pipe *pipe);

/* Closes the pipe's DCE-RPC stream (emitting its pending calls) and frees the handle slot. */
void smb_pipe_close(struct smb_state *st, const uint8_t file_id[16]);

/*
 * Returns a free pending slot (cleared, path NULL) for a new request, or NULL
 * when SMB_PENDING_MAX requests are outstanding or memory ran out. An earlier
 * slot with the same message_id is reused, because that request's response was
 * lost.
 */
struct smb_pending *smb_pending_add(struct smb_state *st, uint64_t message_id);

/* Returns the pending request with message_id (or async_id when nonzero), or NULL. */
struct smb_pending *smb_pending_find(struct smb_state *st, uint64_t message_id, uint64_t async_id);

/* Frees the slot and its path. */
void smb_pending_done(struct smb_pending *p);

/* Rebuilds 5140 from a TREE_CONNECT and its result; records the tree when it succeeded. */
void smb_event_tree_connect(struct smb_state *st, const struct smb_pending *req,
                            const struct smb_result *res);

/*
 * Rebuilds 5145 from a CREATE (or SMB1 NT_CREATE_ANDX, OPEN_ANDX) and its
 * result, plus the extra events Windows writes. Opens a DCE-RPC stream when
 * the file is a pipe on IPC$.
 */
void smb_event_create(struct smb_state *st, const struct smb_pending *req,
                      const struct smb_result *res);

/*
 * Applies one SESSION_SETUP response, SMB1 or SMB2, to sess: an NTLM CHALLENGE
 * or a Kerberos reply in its security blob (blob may be NULL), and, once the
 * exchange ends with any status but STATUS_MORE_PROCESSING_REQUIRED, the
 * logon event. Returns true when the exchange ended in failure, so the caller
 * drops the session.
 */
bool smb_session_setup_response(struct smb_state *st, struct smb_session *sess,
                                const struct smb_pending *p, const uint8_t *blob, size_t blob_len,
                                uint32_t status, uint64_t message_id, const struct pkt_meta *pm);

/* Rebuilds 4624 (status 0) or 4625 (any failure) from the final SESSION_SETUP response. */
void smb_event_logon(struct smb_state *st, struct smb_session *sess, uint32_t status,
                     const struct pkt_meta *pm);

/*
 * Converts a tree path ("\\host\share", UTF-8) to ShareName form ("\\*\share")
 * and its host part. Returns false when path has no share component.
 */
bool smb_split_tree_path(const char *path, char *share, size_t share_size, char *host,
                         size_t host_size);

/* Writes the %%-codes Windows uses for each right in mask, separated by spaces. */
void smb_format_access_list(uint32_t mask, char *out, size_t out_size);

/* Formats a 16-byte SMB2 FileId as 32 lowercase hex digits (persistent then volatile). */
void smb_format_file_id(const uint8_t file_id[16], char *out, size_t out_size);

#endif
