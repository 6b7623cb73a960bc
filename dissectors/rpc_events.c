/*
 * Builds and emits the events rebuilt from DCE-RPC calls. Parsing stays in
 * dcerpc.c and rpc_ops.c.
 */
#include "rpc_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sensor/counters.h"
#include "rpc_ops.h"

/* Counts a failed event_set() instead of failing the whole event. */
static void check_set(enum wa_status status)
{
    if (status != WA_OK) {
        CTR_INC("rpc.field_dropped");
    }
}

static void set_data(struct event *ev, const char *name, const char *value)
{
    if (value != NULL) {
        check_set(event_set(ev, EVENT_DATA, name, value));
    }
}

static void set_wire(struct event *ev, const char *name, const char *value)
{
    if (value != NULL) {
        check_set(event_set(ev, EVENT_WIRE, name, value));
    }
}

static const char *nonempty(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* Computer, Subject and client address fields shared by every event rebuilt here. */
static void set_caller(struct event *ev, const struct dcerpc_peer *peer, bool subject)
{
    const struct conn_meta *conn = peer->conn;
    const char *computer = nonempty(peer->computer);
    set_data(ev, "Computer", computer != NULL ? computer : conn->server_addr);
    if (subject) {
        set_data(ev, "SubjectUserName", nonempty(peer->user));
        set_data(ev, "SubjectDomainName", nonempty(peer->domain));
        if (peer->over_pipe) {
            check_set(event_setf(ev, EVENT_DATA, "SubjectLogonId", "0x%llx",
                                 (unsigned long long)peer->logon_id));
        }
    }
    set_data(ev, "IpAddress", conn->client_addr);
    check_set(event_set_decimal(ev, EVENT_DATA, "IpPort", conn->client_port));
    set_wire(ev, "ServerAddress", conn->server_addr);
    check_set(event_set_u64(ev, EVENT_WIRE, "ServerPort", conn->server_port));
    if (peer->over_pipe) {
        check_set(
            event_setf(ev, EVENT_WIRE, "SessionId", "0x%llx", (unsigned long long)peer->logon_id));
    }
}

/* Returns a new event of id stamped with the request's time, frame and input. */
static struct event *event_for_call(uint32_t id, const struct dcerpc_peer *peer,
                                    const struct dcerpc_call_info *call)
{
    struct event *ev = event_new(id, call->time_us, EVENT_ORIGIN_WIRE);
    if (ev == NULL) {
        CTR_INC("rpc.nomem");
        return NULL;
    }
    ev->input = peer->conn->input;
    ev->record = call->frame;
    check_set(event_set_u64(ev, EVENT_WIRE, "Frame", call->frame));
    check_set(event_set_u64(ev, EVENT_WIRE, "CallId", call->call_id));
    return ev;
}

struct event *rpc_events_call_new(const struct dcerpc_peer *peer,
                                  const struct dcerpc_call_info *call)
{
    return event_for_call(RPC_EVENT_CALL, peer, call);
}

/* Returns true when the call completed with status 0. */
static bool call_succeeded(const struct dcerpc_call_info *call)
{
    return call->answered && !call->fault && call->status_known && call->status == 0;
}

/* Marks a rebuilt event attempted unless the call succeeded. Only Security events get Keywords. */
static void set_outcome(struct event *ev, const struct dcerpc_call_info *call, bool security_log)
{
    bool success = call_succeeded(call);
    if (security_log) {
        set_data(ev, "Keywords", success ? "Audit Success" : "Audit Failure");
    }
    if (!success) {
        set_wire(ev, "Attempted", "true");
    }
    if (call->status_known) {
        check_set(event_setf(ev, EVENT_WIRE, "NtStatus", "0x%08x", call->status));
    }
}

void rpc_events_service_type_text(uint32_t type, char *out, size_t out_size)
{
    /* SERVICE_INTERACTIVE_PROCESS (0x100) does not change the rendered words. */
    switch (type & ~0x100u) {
    case 0x1:
        snprintf(out, out_size, "kernel mode driver");
        return;
    case 0x2:
        snprintf(out, out_size, "file system driver");
        return;
    case 0x10:
    case 0x20:
        /* NOTE: only 0x10 is confirmed against a host log; 0x20 is assumed to read the same. */
        snprintf(out, out_size, "user mode service");
        return;
    default:
        snprintf(out, out_size, "0x%x", type);
        return;
    }
}

const char *rpc_events_start_type_text(uint32_t start_type)
{
    static const char *const names[] = {"boot start", "system start", "auto start", "demand start",
                                        "disabled"};
    return start_type < WA_ARRAY_LEN(names) ? names[start_type] : NULL;
}

static uint32_t field_u32(const struct event *ev, const char *name, uint32_t fallback)
{
    const char *text = event_field(ev, name);
    if (text == NULL) {
        return fallback;
    }
    return (uint32_t)strtoul(text, NULL, 0);
}

/* 7045 (System log): display name in ServiceName, types rendered as words. */
static void emit_service_system(const struct dcerpc_peer *peer, const struct dcerpc_call_info *call,
                                const char *account)
{
    const struct event *args = call->args;
    struct event *ev = event_for_call(RPC_EVENT_SERVICE_SYSTEM, peer, call);
    if (ev == NULL) {
        return;
    }
    const char *display = nonempty(event_field(args, "lpDisplayName"));
    uint32_t type = field_u32(args, "dwServiceType", 0x10);
    uint32_t start = field_u32(args, "dwStartType", 3);
    char type_text[32];
    char start_text[16];
    rpc_events_service_type_text(type, type_text, sizeof(type_text));
    const char *start_name = rpc_events_start_type_text(start);
    snprintf(start_text, sizeof(start_text), "%u", start);
    set_caller(ev, peer, false);
    set_data(ev, "ServiceName", display != NULL ? display : event_field(args, "lpServiceName"));
    set_data(ev, "ImagePath", event_field(args, "lpBinaryPathName"));
    set_data(ev, "ServiceType", type_text);
    set_data(ev, "StartType", start_name != NULL ? start_name : start_text);
    set_data(ev, "AccountName", account);
    set_outcome(ev, call, false);
    set_wire(ev, "Rule", "service created over svcctl");
    sink_emit(&peer->conn->sink, ev);
}

/* 4697 (Security log): key name in ServiceName, types as numbers. */
static void emit_service_security(const struct dcerpc_peer *peer,
                                  const struct dcerpc_call_info *call, const char *account)
{
    const struct event *args = call->args;
    struct event *ev = event_for_call(RPC_EVENT_SERVICE_SECURITY, peer, call);
    if (ev == NULL) {
        return;
    }
    set_caller(ev, peer, true);
    set_data(ev, "ServiceName", event_field(args, "lpServiceName"));
    set_data(ev, "ServiceFileName", event_field(args, "lpBinaryPathName"));
    check_set(
        event_setf(ev, EVENT_DATA, "ServiceType", "0x%x", field_u32(args, "dwServiceType", 0x10)));
    check_set(
        event_setf(ev, EVENT_DATA, "ServiceStartType", "%u", field_u32(args, "dwStartType", 3)));
    set_data(ev, "ServiceAccount", account);
    set_outcome(ev, call, true);
    set_wire(ev, "Rule", "service created over svcctl");
    sink_emit(&peer->conn->sink, ev);
}

static void emit_service_events(const struct dcerpc_peer *peer, const struct dcerpc_call_info *call)
{
    if (event_field(call->args, "lpServiceName") == NULL ||
        event_field(call->args, "lpBinaryPathName") == NULL) {
        return; /* sealed or cut short: nothing to report */
    }
    /* The SCM records LocalSystem when lpServiceStartName is NULL. */
    const char *account = nonempty(event_field(call->args, "lpServiceStartName"));
    if (account == NULL) {
        account = "LocalSystem";
    }
    emit_service_system(peer, call, account);
    emit_service_security(peer, call, account);
}

/* Appends text to buf with the five XML special characters escaped. */
static void xml_append_escaped(char *buf, size_t size, size_t *used, const char *text)
{
    for (const char *p = text; *p != '\0' && *used + 7 < size; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '&':
            rep = "&amp;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&apos;";
            break;
        default:
            break;
        }
        if (rep != NULL) {
            size_t len = strlen(rep);
            memcpy(buf + *used, rep, len);
            *used += len;
        } else {
            buf[(*used)++] = *p;
        }
    }
    buf[*used] = '\0';
}

/*
 * Writes a task XML for an At job holding its command.
 * NOTE: Windows converts At jobs to tasks with its own XML (triggers, settings).
 * This keeps only the Exec action, so TaskContent differs from a host's 4698.
 */
static void at_job_task_xml(const char *command, char *out, size_t size)
{
    size_t used = (size_t)snprintf(out, size,
                                   "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Task "
                                   "version=\"1.2\" xmlns=\"http://schemas.microsoft.com/"
                                   "windows/2004/02/mit/task\">\n  <Actions Context=\"Author\">\n"
                                   "    <Exec>\n      <Command>");
    used = WA_MIN(used, size - 1);
    xml_append_escaped(out, size, &used, command);
    snprintf(out + used, size - used, "</Command>\n    </Exec>\n  </Actions>\n</Task>");
}

static void emit_task(const struct dcerpc_peer *peer, const struct dcerpc_call_info *call,
                      const char *task_name, const char *content, const char *command)
{
    struct event *ev = event_for_call(RPC_EVENT_TASK, peer, call);
    if (ev == NULL) {
        return;
    }
    set_caller(ev, peer, true);
    set_data(ev, "TaskName", task_name);
    set_data(ev, "TaskContent", content);
    set_outcome(ev, call, true);
    set_wire(ev, "Command", command);
    set_wire(ev, "Rule",
             call->iface->id == RPC_IFACE_ATSVC ? "job added over atsvc"
                                                : "task registered over tsch");
    sink_emit(&peer->conn->sink, ev);
}

static void emit_at_job(const struct dcerpc_peer *peer, const struct dcerpc_call_info *call)
{
    const char *command = event_field(call->args, "Command");
    if (command == NULL) {
        return;
    }
    /* The job id, and so the task name, exists only when the server accepted the job. */
    char name[32];
    const char *job_id = event_field(call->args, "JobId");
    bool named = job_id != NULL && call_succeeded(call);
    snprintf(name, sizeof(name), "\\At%s", named ? job_id : "");
    size_t size = strlen(command) * 6 + 512;
    char *xml = malloc(size);
    if (xml == NULL) {
        CTR_INC("rpc.nomem");
        return;
    }
    at_job_task_xml(command, xml, size);
    emit_task(peer, call, name, xml, command);
    free(xml);
}

static void emit_registered_task(const struct dcerpc_peer *peer,
                                 const struct dcerpc_call_info *call)
{
    const char *xml = event_field(call->args, "xml");
    if (xml == NULL) {
        return;
    }
    const char *name = nonempty(event_field(call->args, "pActualPath"));
    if (name == NULL) {
        name = event_field(call->args, "path");
    }
    emit_task(peer, call, name, xml, event_field(call->args, "Command"));
}

/* Emits the 7045/4697 or 4698 events that this call implies, if any. */
static void emit_derived(const struct dcerpc_peer *peer, const struct dcerpc_call_info *call)
{
    if (!call->named || call->sealed || call->iface == NULL) {
        return;
    }
    switch (call->iface->id) {
    case RPC_IFACE_SVCCTL:
        if (rpc_ops_is_service_create(call->opnum)) {
            emit_service_events(peer, call);
        }
        break;
    case RPC_IFACE_ATSVC:
        if (call->opnum == 0) { /* NetrJobAdd */
            emit_at_job(peer, call);
        }
        break;
    case RPC_IFACE_TSCH:
        if (call->opnum == 1) { /* SchRpcRegisterTask */
            emit_registered_task(peer, call);
        }
        break;
    default:
        break;
    }
}

/* Sets the interface, operation and transport fields of the RPC call event. */
static void set_call_fields(struct event *ev, const struct dcerpc_peer *peer,
                            const struct dcerpc_call_info *call)
{
    /* The opnum of a first fragment is a fact even when the bind was not captured. */
    if (call->named) {
        check_set(event_setf(ev, EVENT_DATA, "OpNum", "%u", call->opnum));
    }
    if (call->named && call->uuid[0] != '\0') {
        set_data(ev, "InterfaceUuid", call->uuid);
        set_data(ev, "InterfaceName", call->iface != NULL ? call->iface->name : call->uuid);
        const char *operation = rpc_names_operation(call->iface, call->opnum);
        if (operation != NULL) {
            set_data(ev, "Operation", operation);
        } else {
            check_set(event_setf(ev, EVENT_DATA, "Operation", "opnum %u", call->opnum));
        }
    }
    set_data(ev, "ProtocolSequence", peer->over_pipe ? "ncacn_np" : "ncacn_ip_tcp");
    set_data(ev, "PipeName", nonempty(peer->pipe));
    set_data(ev, "RemoteIpAddress", peer->conn->client_addr);
    check_set(event_setf(ev, EVENT_DATA, "RemotePort", "%u", peer->conn->client_port));
    if (call->status_known) {
        check_set(event_setf(ev, EVENT_DATA, "Status", "0x%08x", call->status));
    }
    set_data(ev, "Sealed", call->sealed ? "true" : "false");
    if (call->auth_level != 0) {
        check_set(event_setf(ev, EVENT_DATA, "AuthenticationService", "%u", call->auth_type));
        check_set(event_setf(ev, EVENT_DATA, "AuthenticationLevel", "%u", call->auth_level));
    }
    check_set(event_set_u64(ev, EVENT_WIRE, "ContextId", call->context_id));
    check_set(event_set_u64(ev, EVENT_WIRE, "Fragments", call->fragments));
    check_set(event_set_u64(ev, EVENT_WIRE, "StubLength", call->stub_bytes));
    if (call->answered) {
        check_set(event_set_u64(ev, EVENT_WIRE, "ResponseFrame", call->response_frame));
    }
    if (call->fault) {
        set_wire(ev, "Fault", "true");
    }
}

void rpc_events_call_emit(const struct dcerpc_peer *peer, struct dcerpc_call_info *call)
{
    struct event *ev = call->args;
    if (ev == NULL) {
        return;
    }
    set_caller(ev, peer, true);
    set_call_fields(ev, peer, call);
    emit_derived(peer, call);
    call->args = NULL;
    sink_emit(&peer->conn->sink, ev);
}

/* Appends ",item" (or "item" first) to a comma-separated list. */
static void list_append(char *buf, size_t size, size_t *used, const char *item)
{
    int w = snprintf(buf + *used, size - *used, "%s%s", *used != 0 ? "," : "", item);
    if (w > 0) {
        *used = WA_MIN(*used + (size_t)w, size - 1);
    }
}

void rpc_events_bind_emit(const struct dcerpc_peer *peer, const struct rpc_bind_info *bind)
{
    struct event *ev = event_new(RPC_EVENT_BIND, bind->time_us, EVENT_ORIGIN_WIRE);
    if (ev == NULL) {
        CTR_INC("rpc.nomem");
        return;
    }
    ev->input = peer->conn->input;
    ev->record = bind->frame != 0 ? bind->frame : bind->ack_frame;
    char uuids[RPC_BIND_CONTEXTS_MAX * 38 + 1];
    char names[RPC_BIND_CONTEXTS_MAX * 40 + 1];
    char syntaxes[RPC_BIND_CONTEXTS_MAX * 38 + 1];
    char results[RPC_BIND_CONTEXTS_MAX * 6 + 1];
    size_t u = 0, n = 0, s = 0, r = 0;
    uuids[0] = names[0] = syntaxes[0] = results[0] = '\0';
    for (uint8_t i = 0; i < bind->context_count; i++) {
        const struct rpc_bind_context *ctx = &bind->contexts[i];
        const struct rpc_interface *iface = rpc_names_find_interface(ctx->uuid);
        list_append(uuids, sizeof(uuids), &u, ctx->uuid);
        list_append(names, sizeof(names), &n, iface != NULL ? iface->name : ctx->uuid);
        list_append(syntaxes, sizeof(syntaxes), &s, ctx->transfer_syntax);
    }
    for (uint8_t i = 0; i < bind->result_count; i++) {
        char num[8];
        snprintf(num, sizeof(num), "%u", bind->results[i]);
        list_append(results, sizeof(results), &r, num);
    }
    set_caller(ev, peer, true);
    if (bind->frame == 0) {
        set_data(ev, "PduType", bind->alter_context ? "alter_context_resp" : "bind_ack");
    } else {
        set_data(ev, "PduType", bind->alter_context ? "alter_context" : "bind");
    }
    set_data(ev, "InterfaceUuid", uuids);
    set_data(ev, "InterfaceName", names);
    set_data(ev, "TransferSyntax", syntaxes);
    set_data(ev, "AckResult", bind->nak ? "nak" : results);
    set_data(ev, "ProtocolSequence", peer->over_pipe ? "ncacn_np" : "ncacn_ip_tcp");
    set_data(ev, "PipeName", nonempty(peer->pipe));
    if (bind->frame != 0) {
        check_set(event_set_u64(ev, EVENT_WIRE, "Frame", bind->frame));
    }
    check_set(event_set_u64(ev, EVENT_WIRE, "CallId", bind->call_id));
    if (bind->ack_frame != 0) {
        check_set(event_set_u64(ev, EVENT_WIRE, "AckFrame", bind->ack_frame));
    }
    sink_emit(&peer->conn->sink, ev);
}
