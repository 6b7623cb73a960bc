/*
 * SMB connection state and the Windows Security events rebuilt from it.
 *
 * Field names and renderings follow what Windows writes in the Security log
 * (EventData of 5140, 5145, 4624 and 4625). Where Windows logs something the
 * wire does not show directly, the inferred rule is documented where it is
 * applied and named in the event's Wire "Rule" field.
 */
#include "smb_events.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../sensor/counters.h"

/* Access rights (MS-SMB2 2.2.13.1.1, MS-DTYP 2.4.3). */
#define FILE_READ_DATA 0x00000001u
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

void smb_state_init(struct smb_state *st, const struct conn_meta *meta)
{
    memset(st, 0, sizeof(*st));
    st->meta = meta;
}

void smb_format_access_list(uint32_t mask, char *out, size_t out_size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < WA_ARRAY_LEN(ACCESS_CODES); i++) {
        if ((mask & ACCESS_CODES[i].bit) == 0) {
            continue;
        }
        int wrote = snprintf(out + n, out_size - n, "%s%s", n > 0 ? " " : "",
                             ACCESS_CODES[i].code);
        if (wrote < 0 || (size_t)wrote >= out_size - n) {
            return;
        }
        n += (size_t)wrote;
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
    return true;
}

/* ---- tables ---- */

/*
 * SMB 3.x multichannel binds one session to several TCP connections, and a
 * client may use a session's trees on a connection that never carried their
 * TREE_CONNECT. Sessions and trees of SMB2 connections are therefore also kept
 * in a small process-wide cache keyed by server address and SessionId, and a
 * connection imports an entry when it meets an id it has not seen. SMB1 UIDs
 * and TIDs are only meaningful within their connection and are not shared.
 */
#define SHARED_SESSIONS_MAX 64
#define SHARED_TREES_MAX 256
#define SHARED_NAME_MAX 256

struct shared_session {
    bool in_use;
    uint64_t last_use;
    char server[46];
    uint64_t id;
    struct ntlm_info challenge;
    struct ntlm_info auth;
    bool kerberos;
};

struct shared_tree {
    bool in_use;
    uint64_t last_use;
    char server[46];
    uint64_t session_id;
    uint32_t tree_id;
    bool ipc;
    char share[SHARED_NAME_MAX];
    char host[SHARED_NAME_MAX];
};

static struct shared_session shared_sessions[SHARED_SESSIONS_MAX];
static struct shared_tree shared_trees[SHARED_TREES_MAX];
static uint64_t shared_clock;

void smb_shared_reset(void)
{
    memset(shared_sessions, 0, sizeof(shared_sessions));
    memset(shared_trees, 0, sizeof(shared_trees));
    shared_clock = 0;
}

static bool is_shared(const struct smb_state *st)
{
    return st->version == SMB_VERSION_2;
}

static struct shared_session *shared_session_find(const char *server, uint64_t id)
{
    for (size_t i = 0; i < SHARED_SESSIONS_MAX; i++) {
        struct shared_session *s = &shared_sessions[i];
        if (s->in_use && s->id == id && strcmp(s->server, server) == 0) {
            s->last_use = ++shared_clock;
            return s;
        }
    }
    return NULL;
}

static struct shared_tree *shared_tree_find(const char *server, uint64_t session_id,
                                            uint32_t tree_id)
{
    for (size_t i = 0; i < SHARED_TREES_MAX; i++) {
        struct shared_tree *t = &shared_trees[i];
        if (t->in_use && t->tree_id == tree_id && t->session_id == session_id &&
            strcmp(t->server, server) == 0) {
            t->last_use = ++shared_clock;
            return t;
        }
    }
    return NULL;
}

/* Copies src into dst of size dst_size, cutting it when it does not fit. */
static void copy_text(char *dst, size_t dst_size, const char *src)
{
    size_t n = WA_MIN(strlen(src), dst_size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Returns a free cache slot, or the least recently used one (counted as an eviction). */
static struct shared_session *shared_session_slot(void)
{
    struct shared_session *oldest = &shared_sessions[0];
    for (size_t i = 0; i < SHARED_SESSIONS_MAX; i++) {
        if (!shared_sessions[i].in_use) {
            return &shared_sessions[i];
        }
        if (shared_sessions[i].last_use < oldest->last_use) {
            oldest = &shared_sessions[i];
        }
    }
    CTR_INC("smb.shared_evicted");
    return oldest;
}

static struct shared_tree *shared_tree_slot(void)
{
    struct shared_tree *oldest = &shared_trees[0];
    for (size_t i = 0; i < SHARED_TREES_MAX; i++) {
        if (!shared_trees[i].in_use) {
            return &shared_trees[i];
        }
        if (shared_trees[i].last_use < oldest->last_use) {
            oldest = &shared_trees[i];
        }
    }
    CTR_INC("smb.shared_evicted");
    return oldest;
}

static void shared_session_publish(const struct smb_state *st, const struct smb_session *sess)
{
    struct shared_session *s = shared_session_find(st->meta->server_addr, sess->id);
    if (s == NULL) {
        s = shared_session_slot();
    }
    s->in_use = true;
    s->last_use = ++shared_clock;
    copy_text(s->server, sizeof(s->server), st->meta->server_addr);
    s->id = sess->id;
    s->challenge = sess->challenge;
    s->auth = sess->auth;
    s->kerberos = sess->kerberos;
}

static void shared_tree_publish(const struct smb_state *st, const struct smb_tree *tree)
{
    struct shared_tree *t =
        shared_tree_find(st->meta->server_addr, tree->session_id, tree->tree_id);
    if (t == NULL) {
        t = shared_tree_slot();
    }
    t->in_use = true;
    t->last_use = ++shared_clock;
    copy_text(t->server, sizeof(t->server), st->meta->server_addr);
    t->session_id = tree->session_id;
    t->tree_id = tree->tree_id;
    t->ipc = tree->ipc;
    copy_text(t->share, sizeof(t->share), tree->share);
    copy_text(t->host, sizeof(t->host), tree->host);
}

static struct smb_tree *tree_add(struct smb_state *st, uint64_t session_id, uint32_t tree_id);

struct smb_session *smb_session_get(struct smb_state *st, uint64_t id, bool create)
{
    struct smb_session *free_slot = NULL;
    for (size_t i = 0; i < SMB_SESSIONS_MAX; i++) {
        struct smb_session *s = &st->sessions[i];
        if (s->in_use && s->id == id) {
            return s;
        }
        if (!s->in_use && free_slot == NULL) {
            free_slot = s;
        }
    }
    const struct shared_session *known =
        is_shared(st) ? shared_session_find(st->meta->server_addr, id) : NULL;
    if (!create && known == NULL) {
        return NULL;
    }
    if (free_slot == NULL) {
        CTR_INC("smb2.limit");
        return NULL;
    }
    memset(free_slot, 0, sizeof(*free_slot));
    free_slot->in_use = true;
    free_slot->id = id;
    free_slot->challenge.neg_state = -1;
    free_slot->auth.neg_state = -1;
    if (known != NULL) {
        free_slot->challenge = known->challenge;
        free_slot->auth = known->auth;
        free_slot->kerberos = known->kerberos;
        CTR_INC("smb.shared_session_used");
    }
    return free_slot;
}

void smb_session_drop(struct smb_state *st, uint64_t id)
{
    struct smb_session *s = smb_session_get(st, id, false);
    if (s != NULL) {
        s->in_use = false;
    }
}

struct smb_tree *smb_tree_get(struct smb_state *st, uint64_t session_id, uint32_t tree_id)
{
    for (size_t i = 0; i < SMB_TREES_MAX; i++) {
        struct smb_tree *t = &st->trees[i];
        if (t->in_use && t->tree_id == tree_id && t->session_id == session_id) {
            return t;
        }
    }
    if (!is_shared(st)) {
        /* SMB1 clients may use a TID under another UID; fall back to the TID alone. */
        for (size_t i = 0; i < SMB_TREES_MAX; i++) {
            struct smb_tree *t = &st->trees[i];
            if (t->in_use && t->tree_id == tree_id) {
                return t;
            }
        }
        return NULL;
    }
    const struct shared_tree *known = shared_tree_find(st->meta->server_addr, session_id, tree_id);
    if (known == NULL) {
        return NULL;
    }
    struct smb_tree *t = tree_add(st, session_id, tree_id);
    if (t != NULL) {
        t->ipc = known->ipc;
        snprintf(t->share, sizeof(t->share), "%s", known->share);
        snprintf(t->host, sizeof(t->host), "%s", known->host);
        CTR_INC("smb.shared_tree_used");
    }
    return t;
}

void smb_tree_drop(struct smb_state *st, uint64_t session_id, uint32_t tree_id)
{
    for (size_t i = 0; i < SMB_TREES_MAX; i++) {
        struct smb_tree *t = &st->trees[i];
        if (t->in_use && t->tree_id == tree_id && t->session_id == session_id) {
            t->in_use = false;
        }
    }
}

static struct smb_tree *tree_add(struct smb_state *st, uint64_t session_id, uint32_t tree_id)
{
    struct smb_tree *t = NULL;
    for (size_t i = 0; i < SMB_TREES_MAX && t == NULL; i++) {
        struct smb_tree *cand = &st->trees[i];
        if (cand->in_use && cand->tree_id == tree_id && cand->session_id == session_id) {
            t = cand;
        }
    }
    for (size_t i = 0; i < SMB_TREES_MAX && t == NULL; i++) {
        if (!st->trees[i].in_use) {
            t = &st->trees[i];
        }
    }
    if (t == NULL) {
        CTR_INC("smb2.limit");
        return NULL;
    }
    memset(t, 0, sizeof(*t));
    t->in_use = true;
    t->session_id = session_id;
    t->tree_id = tree_id;
    return t;
}

struct smb_pipe *smb_pipe_get(struct smb_state *st, const uint8_t file_id[16])
{
    for (size_t i = 0; i < SMB_PIPES_MAX; i++) {
        struct smb_pipe *p = &st->pipes[i];
        if (p->in_use && memcmp(p->file_id, file_id, 16) == 0) {
            return p;
        }
    }
    return NULL;
}

void smb_pipe_close(struct smb_state *st, const uint8_t file_id[16])
{
    struct smb_pipe *p = smb_pipe_get(st, file_id);
    if (p == NULL) {
        return;
    }
    dcerpc_stream_free(p->rpc);
    memset(p, 0, sizeof(*p));
}

struct smb_pending *smb_pending_add(struct smb_state *st, uint64_t message_id)
{
    struct smb_pending *free_slot = NULL;
    for (uint32_t i = 0; i < st->pending_cap; i++) {
        struct smb_pending *p = &st->pending[i];
        if (p->in_use && p->message_id == message_id) {
            CTR_INC("smb2.unanswered");
            smb_pending_done(p);
        }
        if (!p->in_use && free_slot == NULL) {
            free_slot = p;
        }
    }
    if (free_slot == NULL) {
        if (st->pending_cap >= SMB_PENDING_MAX) {
            CTR_INC("smb2.limit");
            return NULL;
        }
        uint32_t cap = st->pending_cap == 0 ? 16 : st->pending_cap * 2;
        cap = WA_MIN(cap, (uint32_t)SMB_PENDING_MAX);
        struct smb_pending *grown = realloc(st->pending, cap * sizeof(*grown));
        if (grown == NULL) {
            CTR_INC("smb.nomem");
            return NULL;
        }
        memset(grown + st->pending_cap, 0, (cap - st->pending_cap) * sizeof(*grown));
        free_slot = &grown[st->pending_cap];
        st->pending = grown;
        st->pending_cap = cap;
    }
    memset(free_slot, 0, sizeof(*free_slot));
    free_slot->in_use = true;
    free_slot->message_id = message_id;
    return free_slot;
}

struct smb_pending *smb_pending_find(struct smb_state *st, uint64_t message_id,
                                     uint64_t async_id)
{
    for (uint32_t i = 0; i < st->pending_cap; i++) {
        struct smb_pending *p = &st->pending[i];
        if (!p->in_use) {
            continue;
        }
        if (async_id != 0 && p->async_id == async_id) {
            return p;
        }
        if (p->message_id == message_id) {
            return p;
        }
    }
    return NULL;
}

void smb_pending_done(struct smb_pending *p)
{
    free(p->path);
    free(p->plain_auth);
    memset(p, 0, sizeof(*p));
}

/* ---- rebuilt events ---- */

/* An event under construction; ok turns false on the first failed field. */
struct event_builder {
    struct event *ev;
    bool ok;
};

static void put(struct event_builder *b, enum event_list list, const char *name,
                const char *value)
{
    if (b->ok && event_set(b->ev, list, name, value) != WA_OK) {
        b->ok = false;
    }
}

static void put_hex(struct event_builder *b, enum event_list list, const char *name,
                    uint64_t value)
{
    if (b->ok && event_setf(b->ev, list, name, "0x%" PRIx64, value) != WA_OK) {
        b->ok = false;
    }
}

static void put_u64(struct event_builder *b, enum event_list list, const char *name,
                    uint64_t value)
{
    if (b->ok && event_set_u64(b->ev, list, name, value) != WA_OK) {
        b->ok = false;
    }
}

static void put_status(struct event_builder *b, uint32_t status, bool no_response)
{
    if (no_response) {
        put(b, EVENT_WIRE, "Response", "none");
        return;
    }
    if (b->ok && event_setf(b->ev, EVENT_WIRE, "NtStatus", "0x%08x", status) != WA_OK) {
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
 * part of the tree path, else the server address (Kerberos sessions carry no
 * server name in clear except in the tree path).
 */
static const char *computer_name(const struct smb_state *st, const struct smb_session *sess,
                                 const struct smb_tree *tree)
{
    if (sess != NULL && sess->challenge.nb_computer[0] != '\0') {
        return sess->challenge.nb_computer;
    }
    if (tree != NULL && tree->host[0] != '\0') {
        return tree->host;
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
                              const struct smb_pending *req, const struct smb_tree *tree)
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
    put(b, EVENT_DATA, "Computer", computer_name(st, sess, tree));
    put_subject(b, sess, "SubjectUserName", "SubjectDomainName");
    put_hex(b, EVENT_DATA, "SubjectLogonId", req->session_id);
    put(b, EVENT_DATA, "ObjectType", "File");
    put(b, EVENT_DATA, "IpAddress", st->meta->client_addr);
    put_u64(b, EVENT_DATA, "IpPort", st->meta->client_port);
    put_wire_common(b, st, req->session_id, req->wire_message_id, req->frame);
}

/* Windows audits the share-level access check, which fails only on an error status. */
static bool status_is_failure(uint32_t status)
{
    return status >= 0xc0000000u;
}

static void put_outcome(struct event_builder *b, const struct smb_result *res)
{
    bool failed = !res->no_response && status_is_failure(res->status);
    put(b, EVENT_DATA, "Keywords", failed ? "Audit Failure" : "Audit Success");
    put_status(b, res->status, res->no_response);
    if (failed) {
        put(b, EVENT_WIRE, "Attempted", "true");
    }
}

void smb_event_tree_connect(struct smb_state *st, const struct smb_pending *req,
                            const struct smb_result *res)
{
    char share[SMB_PATH_MAX];
    char host[SMB_PATH_MAX];
    const char *path = req->path != NULL ? req->path : "";
    struct smb_tree *tree = NULL;

    if (!smb_split_tree_path(path, share, sizeof(share), host, sizeof(host))) {
        snprintf(share, sizeof(share), "%s", path);
        host[0] = '\0';
        CTR_INC("smb.tree_path_invalid");
    }
    if (!res->no_response && !status_is_failure(res->status)) {
        tree = tree_add(st, req->session_id, res->tree_id);
    }
    if (tree != NULL) {
        snprintf(tree->share, sizeof(tree->share), "%s", share);
        snprintf(tree->host, sizeof(tree->host), "%s", host);
        tree->ipc = res->pipe_share || strcasecmp(share, "\\\\*\\IPC$") == 0;
        if (is_shared(st)) {
            shared_tree_publish(st, tree);
        }
    }

    struct event_builder b;
    struct smb_tree named = {.in_use = true};
    snprintf(named.host, sizeof(named.host), "%s", host);
    share_event_begin(&b, st, 5140, req, tree != NULL ? tree : &named);
    put(&b, EVENT_DATA, "ShareName", share);
    put(&b, EVENT_DATA, "ShareLocalPath", "");
    put(&b, EVENT_DATA, "AccessMask", "0x1");
    put(&b, EVENT_DATA, "AccessList", "%%4416");
    put_outcome(&b, res);
    put_u64(&b, EVENT_WIRE, "TreeId", res->tree_id);
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
                        const struct smb_result *res, const struct smb_tree *tree,
                        uint32_t mask, const char *rule)
{
    char list[256];
    char file_id[40];
    struct event_builder b;

    share_event_begin(&b, st, 5145, req, tree);
    put(&b, EVENT_DATA, "ShareName", tree != NULL ? tree->share : "");
    put(&b, EVENT_DATA, "ShareLocalPath", "");
    put(&b, EVENT_DATA, "RelativeTargetName", relative_target(req->path ? req->path : ""));
    put_hex(&b, EVENT_DATA, "AccessMask", mask);
    smb_format_access_list(mask, list, sizeof(list));
    put(&b, EVENT_DATA, "AccessList", list);
    put_outcome(&b, res);
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

static void pipe_open(struct smb_state *st, const struct smb_pending *req,
                      const struct smb_result *res, const struct smb_tree *tree)
{
    struct smb_pipe *slot = NULL;
    for (size_t i = 0; i < SMB_PIPES_MAX && slot == NULL; i++) {
        if (!st->pipes[i].in_use) {
            slot = &st->pipes[i];
        }
    }
    if (slot == NULL) {
        CTR_INC("smb2.limit");
        return;
    }
    const struct smb_session *sess = smb_session_get(st, req->session_id, false);
    struct dcerpc_endpoint ep = {
        .conn = st->meta,
        .pipe = pipe_name(req->path != NULL ? req->path : ""),
        .share = "\\\\*\\IPC$",
        .computer = computer_name(st, sess, tree),
        .logon_id = req->session_id,
    };
    if (sess != NULL && sess->auth.user[0] != '\0') {
        ep.user = sess->auth.user;
        ep.domain = sess->auth.domain;
        ep.workstation = sess->auth.workstation;
    }
    slot->rpc = dcerpc_stream_new(&ep);
    if (slot->rpc == NULL) {
        CTR_INC("smb.nomem");
        return;
    }
    slot->in_use = true;
    memcpy(slot->file_id, res->file_id, 16);
    slot->session_id = req->session_id;
    slot->tree_id = req->tree_id;
    CTR_INC("smb.pipes_opened");
}

void smb_event_create(struct smb_state *st, const struct smb_pending *req,
                      const struct smb_result *res)
{
    const struct smb_tree *tree = smb_tree_get(st, req->session_id, req->tree_id);
    bool pipe = tree != NULL && tree->ipc;
    bool granted = !res->no_response && !status_is_failure(res->status);
    const char *rule;
    uint32_t mask = logged_access_mask(st, req->desired_access, pipe, &rule);

    if (tree == NULL) {
        CTR_INC("smb.create_unknown_tree");
    }
    emit_access(st, req, res, tree, mask, rule);

    /*
     * Rule "created-file-write-data": when a CREATE with FILE_WRITE_DATA creates,
     * overwrites or supersedes a file, Windows writes a second 5145 for the same
     * file with AccessMask 0x2 (WriteData), although the wire has one CREATE.
     * Seen for copies to C$ and ADMIN$ (masks 0x17019f, 0x120196).
     */
    bool replaced = res->has_create_action &&
                    (res->create_action == FILE_CREATED ||
                     res->create_action == FILE_OVERWRITTEN ||
                     res->create_action == FILE_SUPERSEDED);
    if (granted && !pipe && replaced && (mask & FILE_WRITE_DATA) != 0 && mask != FILE_WRITE_DATA &&
        (req->create_options & FILE_DIRECTORY_FILE) == 0) {
        emit_access(st, req, res, tree, FILE_WRITE_DATA, "created-file-write-data");
    }

    if (granted && pipe && res->has_file_id) {
        pipe_open(st, req, res, tree);
    }
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
    put_u64(&b, EVENT_DATA, "IpPort", st->meta->client_port);
    if (!success) {
        put_hex(&b, EVENT_DATA, "Status", status);
    }
    put(&b, EVENT_DATA, "Keywords", success ? "Audit Success" : "Audit Failure");
    put_wire_common(&b, st, sess->id, sess->setup_message_id, b.ev->record);
    put_status(&b, status, false);
    builder_finish(st, &b);
    if (success && is_shared(st)) {
        shared_session_publish(st, sess);
    }
}

void smb_state_release(struct smb_state *st)
{
    for (uint32_t i = 0; i < st->pending_cap; i++) {
        struct smb_pending *p = &st->pending[i];
        struct smb_result res = {.no_response = true, .tree_id = p->tree_id};
        if (p->in_use && p->kind == SMB_PENDING_TREE_CONNECT) {
            smb_event_tree_connect(st, p, &res);
        } else if (p->in_use && p->kind == SMB_PENDING_CREATE) {
            smb_event_create(st, p, &res);
        }
        if (p->in_use) {
            smb_pending_done(p);
        }
    }
    free(st->pending);
    st->pending = NULL;
    st->pending_cap = 0;
    for (size_t i = 0; i < SMB_PIPES_MAX; i++) {
        if (st->pipes[i].in_use) {
            dcerpc_stream_free(st->pipes[i].rpc);
        }
    }
    memset(st->pipes, 0, sizeof(st->pipes));
}
