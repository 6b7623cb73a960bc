/*
 * Per-connection SMB state: the session, tree, pipe and pending-request tables
 * shared by the SMB1 and SMB2 dissectors, and the process-wide cache that lets
 * SMB2 connections use ids set up on another connection to the same server.
 */
#include "smb_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../sensor/counters.h"
#include "dcerpc.h"

void smb_state_init(struct smb_state *st, const struct conn_meta *meta)
{
    memset(st, 0, sizeof(*st));
    st->meta = meta;
}

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
#define SHARED_PIPES_MAX 256

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
    char share[SMB_TREE_NAME_MAX];
    char host[SMB_TREE_NAME_MAX];
};

/*
 * A pipe opened on one channel and used on another. The entry points into the
 * owning connection's pipe table and is removed before that slot is cleared,
 * so it never outlives the pipe.
 */
struct shared_pipe {
    bool in_use;
    char server[46];
    struct smb_pipe *pipe;
};

static struct shared_session shared_sessions[SHARED_SESSIONS_MAX];
static struct shared_pipe shared_pipes[SHARED_PIPES_MAX];
/* Entries of shared_pipes in use; most connections share none, and the scan is then skipped. */
static size_t shared_pipe_count;
static struct shared_tree shared_trees[SHARED_TREES_MAX];
static uint64_t shared_clock;

void smb_shared_reset(void)
{
    memset(shared_sessions, 0, sizeof(shared_sessions));
    memset(shared_trees, 0, sizeof(shared_trees));
    memset(shared_pipes, 0, sizeof(shared_pipes));
    shared_pipe_count = 0;
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

/* Returns the slot for (session_id, tree_id), reusing an entry with those ids; NULL at the cap. */
static struct smb_tree *tree_slot(struct smb_state *st, uint64_t session_id, uint32_t tree_id)
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

void smb_session_apply_request(struct smb_session *sess, const struct smb_pending *p)
{
    const struct ntlm_info *info = p->request_auth;
    if (info == NULL) {
        return;
    }
    if (info->mech == NTLM_MECH_KERBEROS) {
        sess->kerberos = true;
        memcpy(sess->auth.krb_realm, info->krb_realm, sizeof(sess->auth.krb_realm));
        memcpy(sess->auth.krb_service, info->krb_service, sizeof(sess->auth.krb_service));
        return;
    }
    sess->auth = *info;
    sess->plain_auth = true;
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
    struct smb_tree *t = tree_slot(st, session_id, tree_id);
    if (t != NULL) {
        t->ipc = known->ipc;
        copy_text(t->share, sizeof(t->share), known->share);
        copy_text(t->host, sizeof(t->host), known->host);
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
    /* A TREE_DISCONNECT ends the tree on every channel of the session. */
    struct shared_tree *known =
        is_shared(st) ? shared_tree_find(st->meta->server_addr, session_id, tree_id) : NULL;
    if (known != NULL) {
        known->in_use = false;
    }
}

struct smb_tree *smb_tree_add(struct smb_state *st, uint64_t session_id, uint32_t tree_id,
                              const char *share, const char *host, bool ipc)
{
    struct smb_tree *t = tree_slot(st, session_id, tree_id);
    if (t == NULL) {
        return NULL;
    }
    copy_text(t->share, sizeof(t->share), share);
    copy_text(t->host, sizeof(t->host), host);
    t->ipc = ipc;
    if (is_shared(st)) {
        shared_tree_publish(st, t);
    }
    return t;
}

void smb_session_publish(const struct smb_state *st, const struct smb_session *sess)
{
    if (is_shared(st)) {
        shared_session_publish(st, sess);
    }
}

static struct smb_pipe *local_pipe_get(struct smb_state *st, const uint8_t file_id[16])
{
    for (size_t i = 0; i < SMB_PIPES_MAX && st->pipes_open != 0; i++) {
        struct smb_pipe *p = &st->pipes[i];
        if (p->in_use && memcmp(p->file_id, file_id, 16) == 0) {
            return p;
        }
    }
    return NULL;
}

struct smb_pipe *smb_pipe_get(struct smb_state *st, const uint8_t file_id[16])
{
    struct smb_pipe *local = local_pipe_get(st, file_id);
    if (local != NULL || !is_shared(st)) {
        return local;
    }
    for (size_t i = 0; i < SHARED_PIPES_MAX && shared_pipe_count != 0; i++) {
        struct shared_pipe *s = &shared_pipes[i];
        if (s->in_use && s->pipe->in_use && memcmp(s->pipe->file_id, file_id, 16) == 0 &&
            strcmp(s->server, st->meta->server_addr) == 0) {
            CTR_INC("smb.shared_pipe_used");
            return s->pipe;
        }
    }
    return NULL;
}

void smb_pipe_publish(const struct smb_state *st, struct smb_pipe *pipe)
{
    if (!is_shared(st)) {
        return;
    }
    for (size_t i = 0; i < SHARED_PIPES_MAX; i++) {
        struct shared_pipe *s = &shared_pipes[i];
        if (!s->in_use) {
            s->in_use = true;
            shared_pipe_count++;
            s->pipe = pipe;
            copy_text(s->server, sizeof(s->server), st->meta->server_addr);
            return;
        }
    }
    /* The pipe stays usable on its own connection. */
    CTR_INC("smb.shared_pipe_limit");
}

/* Removes the cache entry that points at pipe, before its slot is cleared. */
static void shared_pipe_forget(const struct smb_pipe *pipe)
{
    for (size_t i = 0; i < SHARED_PIPES_MAX; i++) {
        if (shared_pipes[i].in_use && shared_pipes[i].pipe == pipe) {
            memset(&shared_pipes[i], 0, sizeof(shared_pipes[i]));
            shared_pipe_count--;
        }
    }
}

struct smb_pipe *smb_pipe_last_written(struct smb_state *st, uint64_t session_id,
                                       uint32_t tree_id)
{
    struct smb_pipe *best = NULL;
    for (size_t i = 0; i < SMB_PIPES_MAX; i++) {
        struct smb_pipe *p = &st->pipes[i];
        if (p->in_use && p->session_id == session_id && p->tree_id == tree_id &&
            (best == NULL || p->last_client_data > best->last_client_data)) {
            best = p;
        }
    }
    return best;
}

void smb_pipe_deliver(struct smb_state *st, struct smb_pipe *pipe, bool from_client,
                      const uint8_t *data, size_t len, const struct pkt_meta *pm)
{
    if (from_client) {
        pipe->last_client_data = ++st->pipe_clock;
    }
    dcerpc_stream_data(pipe->rpc, from_client, data, len, pm);
    ctr_add(from_client ? "smb.pipe_bytes_to_server" : "smb.pipe_bytes_to_client", len);
}

void smb_pipe_close(struct smb_state *st, const uint8_t file_id[16])
{
    struct smb_pipe *p = smb_pipe_get(st, file_id);
    if (p == NULL) {
        return;
    }
    shared_pipe_forget(p);
    dcerpc_stream_free(p->rpc);
    /* A pipe shared from another connection of the same client belongs to that one. */
    p->owner->pipes_open--;
    memset(p, 0, sizeof(*p));
}

bool smb_data_is_dcerpc(const uint8_t *data, size_t len)
{
    struct dcerpc_header h;
    if (dcerpc_parse_header(data, len, &h) != WA_OK) {
        return false;
    }
    /* PTYPEs 1 and 4-10 belong to connectionless (datagram) RPC only. */
    bool connection_oriented =
        h.ptype == DCERPC_REQUEST || h.ptype == DCERPC_RESPONSE || h.ptype == DCERPC_FAULT ||
        (h.ptype >= DCERPC_BIND && h.ptype <= DCERPC_ORPHANED);
    return connection_oriented && (h.frag_length <= len || len >= SMB_PIPE_PREFIX_MIN);
}

/*
 * Pipe names that Windows servers expose on IPC$ as well-known RPC endpoints
 * (MS-LSAT, MS-SAMR, MS-SCMR, MS-SRVS, MS-WKST and similar documents).
 */
static const char *const WELL_KNOWN_PIPES[] = {
    "atsvc",    "browser", "drsuapi", "efsrpc",   "epmapper", "eventlog", "InitShutdown",
    "lsarpc",   "lsass",   "netdfs",  "netlogon", "ntsvcs",   "protected_storage",
    "samr",     "spoolss", "srvsvc",  "svcctl",   "winreg",   "wkssvc",
};

bool smb_pipe_name_is_well_known(const char *name)
{
    while (*name == '\\' || *name == '/') {
        name++;
    }
    if (strncasecmp(name, "PIPE\\", 5) == 0) {
        name += 5;
    }
    for (size_t i = 0; i < WA_ARRAY_LEN(WELL_KNOWN_PIPES); i++) {
        if (strcasecmp(name, WELL_KNOWN_PIPES[i]) == 0) {
            return true;
        }
    }
    return false;
}

bool smb_tree_may_hold_pipe(struct smb_state *st, uint64_t session_id, uint32_t tree_id)
{
    const struct smb_tree *tree = smb_tree_get(st, session_id, tree_id);
    return tree == NULL || tree->ipc;
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

struct smb_pending *smb_pending_find(struct smb_state *st, uint64_t message_id, uint64_t async_id)
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
    free(p->request_auth);
    free(p->early_data);
    memset(p, 0, sizeof(*p));
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
            shared_pipe_forget(&st->pipes[i]);
            dcerpc_stream_free(st->pipes[i].rpc);
        }
    }
    memset(st->pipes, 0, sizeof(st->pipes));
    st->pipes_open = 0;
}
