/*
 * The Windows Security events rebuilt from SMB requests and their responses.
 *
 * Field names and renderings follow what Windows writes in the Security log
 * (EventData of 5140, 5145, 4624 and 4625). Where Windows logs something the
 * wire does not show directly, the inferred rule is documented where it is
 * applied and named in the event's Wire "Rule" field.
 */
#include "smb_events.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../sensor/counters.h"

/* Access rights (MS-SMB2 2.2.13.1.1, MS-DTYP 2.4.3). */
#define FILE_WRITE_DATA 0x00000002u
#define FILE_READ_ATTRIBUTES 0x00000080u
#define GENERIC_ALL 0x10000000u
#define GENERIC_EXECUTE 0x20000000u
#define GENERIC_WRITE 0x40000000u
#define GENERIC_READ 0x80000000u
#define FILE_GENERIC_READ 0x00120089u
#define FILE_GENERIC_WRITE 0x00120116u
#define FILE_GENERIC_EXECUTE 0x001200a0u
#define FILE_ALL_ACCESS 0x001f01ffu

/* CreateOptions and CreateAction values (MS-SMB2 2.2.13, 2.2.14). */
#define FILE_DIRECTORY_FILE 0x00000001u
#define FILE_SUPERSEDED 0u
#define FILE_CREATED 2u
#define FILE_OVERWRITTEN 3u

/* One access right and the message code Windows writes for it in AccessList. */
struct access_code {
    uint32_t bit;
    const char *code;
};

/* In the order Windows lists them: standard rights first, then file-specific rights. */
static const struct access_code ACCESS_CODES[] = {
    {0x00010000u, "%%1537"}, /* DELETE */
    {0x00020000u, "%%1538"}, /* READ_CONTROL */
    {0x00040000u, "%%1539"}, /* WRITE_DAC */
    {0x00080000u, "%%1540"}, /* WRITE_OWNER */
    {0x00100000u, "%%1541"}, /* SYNCHRONIZE */
    {0x01000000u, "%%1542"}, /* ACCESS_SYS_SEC */
    {0x00000001u, "%%4416"}, /* ReadData (or ListDirectory) */
    {0x00000002u, "%%4417"}, /* WriteData (or AddFile) */
    {0x00000004u, "%%4418"}, /* AppendData (or AddSubdirectory) */
    {0x00000008u, "%%4419"}, /* ReadEA */
    {0x00000010u, "%%4420"}, /* WriteEA */
    {0x00000020u, "%%4421"}, /* Execute/Traverse */
    {0x00000040u, "%%4422"}, /* DeleteChild */
    {0x00000080u, "%%4423"}, /* ReadAttributes */
    {0x00000100u, "%%4424"}, /* WriteAttributes */
};

void smb_format_access_list(uint32_t mask, char *out, size_t out_size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < WA_ARRAY_LEN(ACCESS_CODES); i++) {
        if ((mask & ACCESS_CODES[i].bit) == 0) {
            continue;
        }
        size_t code_len = strlen(ACCESS_CODES[i].code);
        size_t sep = n > 0 ? 1 : 0;
        if (sep + code_len >= out_size - n) {
            return;
        }
        if (sep != 0) {
            out[n++] = ' ';
        }
        memcpy(out + n, ACCESS_CODES[i].code, code_len + 1);
        n += code_len;
    }
}

void smb_format_file_id(const uint8_t file_id[16], char *out, size_t out_size)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (size_t i = 0; i < 16 && n + 2 < out_size; i++) {
        out[n++] = hex[file_id[i] >> 4];
        out[n++] = hex[file_id[i] & 0x0f];
    }
    out[n] = '\0';
}

/*
 * Share names compare case-insensitively, and Windows logs the name the share
 * was created with rather than the client's spelling. The default shares are
 * created upper-case (IPC$, ADMIN$, C$), so a client's "c$" is logged as C$.
 * Other share names keep the client's spelling because the server's is unknown.
 */
static void canonicalize_default_share(char *name)
{
    size_t len = strlen(name);
    bool drive = len == 2 && name[1] == '$' && isalpha((unsigned char)name[0]);
    if (drive || strcasecmp(name, "IPC$") == 0 || strcasecmp(name, "ADMIN$") == 0) {
        for (size_t i = 0; i < len; i++) {
            name[i] = (char)toupper((unsigned char)name[i]);
        }
    }
}

bool smb_split_tree_path(const char *path, char *share, size_t share_size, char *host,
                         size_t host_size)
{
    while (*path == '\\' || *path == '/') {
        path++;
    }
    const char *sep = strpbrk(path, "\\/");
    if (sep == NULL || sep[1] == '\0') {
        return false;
    }
    size_t host_len = (size_t)(sep - path);
    snprintf(host, host_size, "%.*s", (int)WA_MIN(host_len, (size_t)INT32_MAX), path);
    snprintf(share, share_size, "\\\\*\\%s", sep + 1);
    if (strlen(share) > 4) {
        canonicalize_default_share(share + 4);
    }
    return true;
}

/* ---- rebuilt events ---- */

/* An event under construction; ok turns false on the first failed field. */
struct event_builder {
    struct event *ev;
    bool ok;
};

static void put(struct event_builder *b, enum event_list list, const char *name, const char *value)
{
    if (b->ok && event_set(b->ev, list, name, value) != WA_OK) {
        b->ok = false;
    }
}

static void put_hex(struct event_builder *b, enum event_list list, const char *name, uint64_t value)
{
    if (b->ok && event_set_hex(b->ev, list, name, value, 0) != WA_OK) {
        b->ok = false;
    }
}

static void put_u64(struct event_builder *b, enum event_list list, const char *name, uint64_t value)
{
    if (b->ok && event_set_u64(b->ev, list, name, value) != WA_OK) {
        b->ok = false;
    }
}

/* IpPort is text in EventData, as Windows writes every EventData value. */
static void put_port(struct event_builder *b, uint16_t port)
{
    if (b->ok && event_set_decimal(b->ev, EVENT_DATA, "IpPort", port) != WA_OK) {
        b->ok = false;
    }
}

static void put_status(struct event_builder *b, uint32_t status, bool no_response)
{
    if (no_response) {
        put(b, EVENT_WIRE, "Response", "none");
        return;
    }
    if (b->ok && event_set_hex(b->ev, EVENT_WIRE, "NtStatus", status, 8) != WA_OK) {
        b->ok = false;
    }
}

/* Emits the event, or frees it and counts the failure when a field could not be stored. */
static void builder_finish(struct smb_state *st, struct event_builder *b)
{
    if (!b->ok) {
        CTR_INC("smb.nomem");
        event_free(b->ev);
        return;
    }
    sink_emit(&st->meta->sink, b->ev);
}

/*
 * Computer is the server's NetBIOS name from the NTLM CHALLENGE, else the host
 * of the Kerberos ticket's service principal (cifs/HOST), else the host part of
 * the tree path, else the server address.
 */
static const char *computer_name(const struct smb_state *st, const struct smb_session *sess,
                                 const char *tree_host)
{
    if (sess != NULL && sess->challenge.nb_computer[0] != '\0') {
        return sess->challenge.nb_computer;
    }
    const char *host = sess != NULL ? strchr(sess->auth.krb_service, '/') : NULL;
    if (host != NULL && host[1] != '\0') {
        return host + 1;
    }
    if (tree_host != NULL && tree_host[0] != '\0') {
        return tree_host;
    }
    for (size_t i = 0; i < SMB_SESSIONS_MAX; i++) {
        if (st->sessions[i].in_use && st->sessions[i].challenge.nb_computer[0] != '\0') {
            return st->sessions[i].challenge.nb_computer;
        }
    }
    return st->meta->server_addr;
}

/* Sets SubjectUserName and SubjectDomainName as Windows logs them; absent when unknown. */
static void put_subject(struct event_builder *b, const struct smb_session *sess,
                        const char *user_field, const char *domain_field)
{
    if (sess == NULL) {
        return;
    }
    if (sess->auth.anonymous) {
        put(b, EVENT_DATA, user_field, "ANONYMOUS LOGON");
        put(b, EVENT_DATA, domain_field, "NT AUTHORITY");
        return;
    }
    if (sess->auth.user[0] != '\0') {
        put(b, EVENT_DATA, user_field, sess->auth.user);
        put(b, EVENT_DATA, domain_field, sess->auth.domain);
    }
}

static void put_wire_common(struct event_builder *b, const struct smb_state *st,
                            uint64_t session_id, uint64_t message_id, uint64_t frame)
{
    put(b, EVENT_WIRE, "ServerAddress", st->meta->server_addr);
    put_u64(b, EVENT_WIRE, "ServerPort", st->meta->server_port);
    if (st->dialect[0] != '\0') {
        put(b, EVENT_WIRE, "Dialect", st->dialect);
    }
    put_hex(b, EVENT_WIRE, "SessionId", session_id);
    put_u64(b, EVENT_WIRE, "MessageId", message_id);
    put_u64(b, EVENT_WIRE, "Frame", frame);
}

/* Starts a 5140 or 5145 event with the fields both share. */
static void share_event_begin(struct event_builder *b, struct smb_state *st, uint32_t event_id,
                              const struct smb_pending *req, const char *tree_host)
{
    const struct smb_session *sess = smb_session_get(st, req->session_id, false);
    b->ok = true;
    b->ev = event_new(event_id, req->time_us, EVENT_ORIGIN_WIRE);
    if (b->ev == NULL) {
        b->ok = false;
        return;
    }
    b->ev->input = st->meta->input;
    b->ev->record = req->frame;
    put(b, EVENT_DATA, "Computer", computer_name(st, sess, tree_host));
    put_subject(b, sess, "SubjectUserName", "SubjectDomainName");
    put_hex(b, EVENT_DATA, "SubjectLogonId", req->session_id);
    put(b, EVENT_DATA, "ObjectType", "File");
    put(b, EVENT_DATA, "IpAddress", st->meta->client_addr);
    put_port(b, st->meta->client_port);
    put_wire_common(b, st, req->session_id, req->wire_message_id, req->frame);
}

/* NT status of an error (severity 3): the server rejected the request. */
static bool status_is_failure(uint32_t status)
{
    return status >= 0xc0000000u;
}

static bool status_is_access_denied(uint32_t status)
{
    return status == 0xc0000022u /* STATUS_ACCESS_DENIED */ ||
           status == 0xc00000cau /* STATUS_NETWORK_ACCESS_DENIED */;
}

/*
 * Sets Keywords and the Wire status. A rejected TREE_CONNECT is an Audit
 * Failure. A 5145 audits only the share's access check, so Windows writes
 * Audit Success when that check passed but the open failed later, and Audit
 * Failure only when access was denied. For example, a pipe open that fails
 * with STATUS_OBJECT_NAME_NOT_FOUND is logged as a success. Attempted marks
 * any rejection.
 */
static void put_outcome(struct event_builder *b, const struct smb_result *res, bool share_level)
{
    bool rejected = !res->no_response && status_is_failure(res->status);
    bool audit_failure = share_level ? rejected : rejected && status_is_access_denied(res->status);
    put(b, EVENT_DATA, "Keywords", audit_failure ? "Audit Failure" : "Audit Success");
    put_status(b, res->status, res->no_response);
    if (rejected) {
        put(b, EVENT_WIRE, "Attempted", "true");
    }
}

void smb_event_tree_connect(struct smb_state *st, const struct smb_pending *req,
                            const struct smb_result *res)
{
    char share[SMB_PATH_MAX];
    char host[SMB_PATH_MAX];
    const char *path = req->path != NULL ? req->path : "";

    if (!smb_split_tree_path(path, share, sizeof(share), host, sizeof(host))) {
        snprintf(share, sizeof(share), "%s", path);
        host[0] = '\0';
        CTR_INC("smb.tree_path_invalid");
    }
    if (!res->no_response && !status_is_failure(res->status)) {
        bool ipc = res->pipe_share || strcasecmp(share, "\\\\*\\IPC$") == 0;
        /* At the cap the tree is not recorded (counted); the event is still written. */
        (void)smb_tree_add(st, req->session_id, res->tree_id, share, host, ipc);
    }

    struct event_builder b;
    share_event_begin(&b, st, 5140, req, host);
    put(&b, EVENT_DATA, "ShareName", share);
    put(&b, EVENT_DATA, "ShareLocalPath", "");
    put(&b, EVENT_DATA, "AccessMask", "0x1");
    put(&b, EVENT_DATA, "AccessList", "%%4416");
    put_outcome(&b, res, true);
    put_u64(&b, EVENT_WIRE, "TreeId", res->tree_id);
    if (res->share_type != NULL) {
        put(&b, EVENT_WIRE, "ShareType", res->share_type);
    }
    builder_finish(st, &b);
}

/*
 * Returns the AccessMask Windows logs for a requested DesiredAccess and sets
 * *rule to the name of the inferred rule that changed it, or NULL.
 */
static uint32_t logged_access_mask(const struct smb_state *st, uint32_t desired, bool pipe,
                                   const char **rule)
{
    uint32_t mask = desired;
    *rule = NULL;

    /*
     * Rule "generic-mapping": the I/O manager maps GENERIC_* bits to the file
     * rights of the file generic mapping (MS-DTYP 2.4.3) before the access
     * check that 5145 audits, so the log shows the mapped rights.
     */
    if ((mask & (GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL)) != 0) {
        uint32_t mapped = mask & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL);
        mapped |= (mask & GENERIC_READ) != 0 ? FILE_GENERIC_READ : 0;
        mapped |= (mask & GENERIC_WRITE) != 0 ? FILE_GENERIC_WRITE : 0;
        mapped |= (mask & GENERIC_EXECUTE) != 0 ? FILE_GENERIC_EXECUTE : 0;
        mapped |= (mask & GENERIC_ALL) != 0 ? FILE_ALL_ACCESS : 0;
        mask = mapped;
        *rule = "generic-mapping";
    }

    /*
     * Rule "smb1-pipe-read-attributes": a Windows server handling an SMB1
     * NT_CREATE_ANDX for a named pipe adds FILE_READ_ATTRIBUTES, so a requested
     * 0x3 is logged as 0x83. SMB2 pipe opens are logged unchanged.
     */
    if (pipe && st->version == SMB_VERSION_1 && (mask & FILE_READ_ATTRIBUTES) == 0) {
        mask |= FILE_READ_ATTRIBUTES;
        *rule = "smb1-pipe-read-attributes";
    }
    return mask;
}

/* Strips leading backslashes; the share root becomes "\" as Windows logs it. */
static const char *relative_target(const char *name)
{
    while (*name == '\\' || *name == '/') {
        name++;
    }
    return *name == '\0' ? "\\" : name;
}

/* Pipe name as opened: "svcctl" from "svcctl", "\svcctl" or "\PIPE\svcctl". */
static const char *pipe_name(const char *name)
{
    name = relative_target(name);
    if (strncasecmp(name, "PIPE\\", 5) == 0) {
        name += 5;
    }
    return name;
}

static void emit_access(struct smb_state *st, const struct smb_pending *req,
                        const struct smb_result *res, const char *share,
                        const struct smb_tree *tree, uint32_t mask, const char *rule)
{
    char list[256];
    char file_id[40];
    struct event_builder b;

    share_event_begin(&b, st, 5145, req, tree != NULL ? tree->host : NULL);
    put(&b, EVENT_DATA, "ShareName", share);
    put(&b, EVENT_DATA, "ShareLocalPath", "");
    put(&b, EVENT_DATA, "RelativeTargetName", relative_target(req->path ? req->path : ""));
    put_hex(&b, EVENT_DATA, "AccessMask", mask);
    smb_format_access_list(mask, list, sizeof(list));
    put(&b, EVENT_DATA, "AccessList", list);
    put_outcome(&b, res, false);
    put_u64(&b, EVENT_WIRE, "TreeId", req->tree_id);
    put_hex(&b, EVENT_WIRE, "DesiredAccess", req->desired_access);
    put_hex(&b, EVENT_WIRE, "CreateDisposition", req->create_disposition);
    put_hex(&b, EVENT_WIRE, "CreateOptions", req->create_options);
    put_hex(&b, EVENT_WIRE, "ShareAccess", req->share_access);
    if (res->has_create_action) {
        put_u64(&b, EVENT_WIRE, "CreateAction", res->create_action);
    }
    if (res->has_file_id) {
        smb_format_file_id(res->file_id, file_id, sizeof(file_id));
        put(&b, EVENT_WIRE, "FileId", file_id);
    }
    if (rule != NULL) {
        put(&b, EVENT_WIRE, "Rule", rule);
    }
    builder_finish(st, &b);
}

/* Opens a pipe slot with a DCE-RPC stream for file_id; NULL at the cap or without memory. */
static struct smb_pipe *pipe_start(struct smb_state *st, uint64_t session_id, uint32_t tree_id,
                                   const uint8_t file_id[16], const char *name,
                                   const char *tree_host)
{
    struct smb_pipe *slot = NULL;
    for (size_t i = 0; i < SMB_PIPES_MAX && slot == NULL; i++) {
        if (!st->pipes[i].in_use) {
            slot = &st->pipes[i];
        }
    }
    if (slot == NULL) {
        CTR_INC("smb2.limit");
        return NULL;
    }
    const struct smb_session *sess = smb_session_get(st, session_id, false);
    struct dcerpc_endpoint ep = {
        .conn = st->meta,
        .pipe = name,
        .share = "\\\\*\\IPC$",
        .computer = computer_name(st, sess, tree_host),
        .logon_id = session_id,
    };
    if (sess != NULL && sess->auth.user[0] != '\0') {
        ep.user = sess->auth.user;
        ep.domain = sess->auth.domain;
        ep.workstation = sess->auth.workstation;
    }
    slot->rpc = dcerpc_stream_new(&ep);
    if (slot->rpc == NULL) {
        CTR_INC("smb.nomem");
        return NULL;
    }
    slot->in_use = true;
    slot->owner = st;
    st->pipes_open++;
    memcpy(slot->file_id, file_id, 16);
    slot->session_id = session_id;
    slot->tree_id = tree_id;
    smb_pipe_publish(st, slot);
    CTR_INC("smb.pipes_opened");
    return slot;
}

struct smb_pipe *smb_pipe_infer(struct smb_state *st, uint64_t session_id, uint32_t tree_id,
                                const uint8_t file_id[16], const char *name)
{
    const struct smb_tree *tree = smb_tree_get(st, session_id, tree_id);
    struct smb_pipe *pipe = pipe_start(st, session_id, tree_id, file_id,
                                       name != NULL ? pipe_name(name) : "",
                                       tree != NULL ? tree->host : NULL);
    if (pipe != NULL) {
        CTR_INC("smb.pipes_inferred");
    }
    return pipe;
}

/* Joins two rule names with a space; either may be NULL. */
static const char *join_rules(const char *first, const char *second, char *out, size_t out_size)
{
    if (first == NULL || second == NULL) {
        return first != NULL ? first : second;
    }
    snprintf(out, out_size, "%s %s", first, second);
    return out;
}

/*
 * True for CREATE failures that the server returns before any access check on
 * the share or the object: the session or tree is gone, or the request itself
 * is invalid. Windows audits the share access check, so it writes no 5145 for
 * these. NOTE: inferred from where SMB2 servers validate requests (MS-SMB2
 * 3.3.5.2 and 3.3.5.9); no host log in the test data shows these statuses.
 */
static bool status_skips_access_check(uint32_t status)
{
    switch (status) {
    case 0xc0000203u: /* STATUS_USER_SESSION_DELETED */
    case 0xc000035cu: /* STATUS_NETWORK_SESSION_EXPIRED */
    case 0xc00000c9u: /* STATUS_NETWORK_NAME_DELETED */
    case 0xc000000du: /* STATUS_INVALID_PARAMETER */
    case 0xc00000bbu: /* STATUS_NOT_SUPPORTED */
    case 0xc000009au: /* STATUS_INSUFFICIENT_RESOURCES */
        return true;
    default:
        return false;
    }
}

void smb_event_create(struct smb_state *st, const struct smb_pending *req,
                      const struct smb_result *res)
{
    if (!res->no_response && status_skips_access_check(res->status)) {
        CTR_INC("smb.create_not_audited");
        return;
    }
    const struct smb_tree *tree = smb_tree_get(st, req->session_id, req->tree_id);
    bool pipe = tree != NULL && tree->ipc;
    bool granted = !res->no_response && !status_is_failure(res->status);
    const char *share = tree != NULL ? tree->share : "";
    const char *tree_rule = NULL;
    const char *mask_rule;
    char rules[128];

    if (tree == NULL) {
        CTR_INC("smb.create_unknown_tree");
    }
    /*
     * Rule "pipe-name-implies-ipc": when the capture starts after the
     * TREE_CONNECT, an open of a pipe name that Windows serves on IPC$
     * ("\lsarpc", "samr") is taken as a pipe open on IPC$, because these
     * names exist only as pipes there.
     */
    if (tree == NULL && req->path != NULL && smb_pipe_name_is_well_known(req->path)) {
        pipe = true;
        share = "\\\\*\\IPC$";
        tree_rule = "pipe-name-implies-ipc";
    }
    uint32_t mask = logged_access_mask(st, req->desired_access, pipe, &mask_rule);
    emit_access(st, req, res, share, tree, mask,
                join_rules(tree_rule, mask_rule, rules, sizeof(rules)));

    /*
     * Rule "created-file-write-data": when a CREATE with FILE_WRITE_DATA creates,
     * overwrites or supersedes a file, Windows writes a second 5145 for the same
     * file with AccessMask 0x2 (WriteData), although the wire has one CREATE.
     * Seen for copies to C$ and ADMIN$ (masks 0x17019f, 0x120196).
     */
    bool replaced = res->has_create_action &&
                    (res->create_action == FILE_CREATED || res->create_action == FILE_OVERWRITTEN ||
                     res->create_action == FILE_SUPERSEDED);
    if (granted && !pipe && replaced && (mask & FILE_WRITE_DATA) != 0 && mask != FILE_WRITE_DATA &&
        (req->create_options & FILE_DIRECTORY_FILE) == 0) {
        emit_access(st, req, res, share, tree, FILE_WRITE_DATA, "created-file-write-data");
    }

    if (granted && pipe && res->has_file_id) {
        (void)pipe_start(st, req->session_id, req->tree_id, res->file_id,
                         pipe_name(req->path != NULL ? req->path : ""),
                         tree != NULL ? tree->host : NULL);
    }
}

bool smb_session_setup_response(struct smb_state *st, struct smb_session *sess,
                                const struct smb_pending *p, const uint8_t *blob, size_t blob_len,
                                uint32_t status, uint64_t message_id, const struct pkt_meta *pm)
{
    struct ntlm_info info;
    if (blob != NULL && blob_len > 0 && ntlm_parse_blob(blob, blob_len, &info) == WA_OK) {
        if (info.mech == NTLM_MECH_NTLMSSP && info.message_type == 2) {
            sess->challenge = info;
        } else if (info.mech == NTLM_MECH_KERBEROS) {
            sess->kerberos = true;
        }
    }
    if (status == NT_STATUS_MORE_PROCESSING_REQUIRED) {
        return false;
    }
    sess->setup_time_us = p->time_us;
    sess->setup_frame = p->frame;
    sess->setup_message_id = message_id;
    smb_event_logon(st, sess, status, pm);
    return status != NT_STATUS_SUCCESS;
}

void smb_event_logon(struct smb_state *st, struct smb_session *sess, uint32_t status,
                     const struct pkt_meta *pm)
{
    bool success = !status_is_failure(status);
    int64_t time_us = sess->setup_frame != 0 ? sess->setup_time_us : pm->time_us;
    struct event_builder b = {.ok = true};

    b.ev = event_new(success ? 4624 : 4625, time_us, EVENT_ORIGIN_WIRE);
    if (b.ev == NULL) {
        CTR_INC("smb.nomem");
        return;
    }
    b.ev->input = st->meta->input;
    b.ev->record = sess->setup_frame != 0 ? sess->setup_frame : pm->frame;
    put(&b, EVENT_DATA, "Computer", computer_name(st, sess, NULL));
    put(&b, EVENT_DATA, "SubjectUserName", "-");
    put(&b, EVENT_DATA, "SubjectDomainName", "-");
    put(&b, EVENT_DATA, "SubjectLogonId", "0x0");
    put_subject(&b, sess, "TargetUserName", "TargetDomainName");
    if (success) {
        put_hex(&b, EVENT_DATA, "TargetLogonId", sess->id);
    }
    if (sess->auth.workstation[0] != '\0') {
        put(&b, EVENT_DATA, "WorkstationName", sess->auth.workstation);
    }
    put(&b, EVENT_DATA, "LogonType", "3");
    put(&b, EVENT_DATA, "AuthenticationPackageName", sess->kerberos ? "Kerberos" : "NTLM");
    put(&b, EVENT_DATA, "LogonProcessName", sess->kerberos ? "Kerberos" : "NtLmSsp");
    if (!sess->kerberos && !sess->plain_auth && sess->auth.message_type == 3) {
        put(&b, EVENT_DATA, "LmPackageName", sess->auth.ntlmv2 ? "NTLM V2" : "NTLM V1");
    }
    put(&b, EVENT_DATA, "IpAddress", st->meta->client_addr);
    put_port(&b, st->meta->client_port);
    if (!success) {
        put_hex(&b, EVENT_DATA, "Status", status);
    }
    put(&b, EVENT_DATA, "Keywords", success ? "Audit Success" : "Audit Failure");
    put_wire_common(&b, st, sess->id, sess->setup_message_id, b.ev->record);
    put_status(&b, status, false);
    if (sess->auth.krb_service[0] != '\0') {
        put(&b, EVENT_WIRE, "KerberosService", sess->auth.krb_service);
        put(&b, EVENT_WIRE, "KerberosRealm", sess->auth.krb_realm);
    }
    builder_finish(st, &b);
    if (success) {
        smb_session_publish(st, sess);
    }
}
