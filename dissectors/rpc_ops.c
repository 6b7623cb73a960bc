/*
 * Argument decoders per DCE-RPC operation. Parameter layouts follow the IDL in
 * MS-SCMR, MS-TSCH, MS-SRVS, MS-RRP, MS-SAMR, MS-LSAT, MS-DRSR and the C706
 * endpoint mapper. A top-level [unique] parameter carries a
 * referent id followed directly by the pointee, and a [ref] one only the
 * pointee.
 */
#include "rpc_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sensor/counters.h"
#include "proto.h"

/*
 * Maximum UTF-8 bytes kept of a service name, path or command. MS-SCMR allows
 * image paths up to SC_MAX_PATH_LENGTH (32 * 1024 characters), so the longest
 * of those are truncated here.
 */
#define RPC_STRING_MAX (32u * 1024u)

/* Maximum number of names or arguments decoded from one array (LookupNames, argv). */
#define RPC_LIST_MAX 64

static void put_text(struct rpc_op_state *st, const char *name, const char *value)
{
    if (event_set(st->ev, EVENT_DATA, name, value) != WA_OK) {
        CTR_INC("rpc.field_dropped");
    }
}

static void put_hex(struct rpc_op_state *st, const char *name, uint64_t value)
{
    if (event_setf(st->ev, EVENT_DATA, name, "0x%llx", (unsigned long long)value) != WA_OK) {
        CTR_INC("rpc.field_dropped");
    }
}

static void put_dec(struct rpc_op_state *st, const char *name, uint64_t value)
{
    if (event_setf(st->ev, EVENT_DATA, name, "%llu", (unsigned long long)value) != WA_OK) {
        CTR_INC("rpc.field_dropped");
    }
}

/* Reads a [ref, string] parameter into field name. */
static void read_string(struct ndr *n, struct rpc_op_state *st, const char *name, bool wide)
{
    char *text = ndr_string_dup(n, wide, RPC_STRING_MAX);
    if (text != NULL) {
        put_text(st, name, text);
        free(text);
    }
}

/* Reads a [unique, string] parameter. A null pointer adds no field. */
static void read_unique_string(struct ndr *n, struct rpc_op_state *st, const char *name, bool wide)
{
    if (ndr_pointer(n, NULL)) {
        read_string(n, st, name, wide);
    }
}

/* Skips a [unique] pointer to a conformant byte array (size_is), such as lpPassword. */
static void skip_unique_bytes(struct ndr *n)
{
    if (ndr_pointer(n, NULL)) {
        uint32_t count = ndr_count(n, NDR_COUNT_MAX);
        ndr_skip(n, count);
    }
}

static void read_handle_in(struct ndr *n, struct rpc_op_state *st)
{
    ndr_context_handle(n, st->handle_in);
    st->handle_in_set = ndr_ok(n);
}

static void read_handle_out(struct ndr *n, struct rpc_op_state *st)
{
    ndr_context_handle(n, st->handle_out);
    st->handle_out_set = ndr_ok(n);
}

/* Reads an RPC_UNICODE_STRING or RRP_UNICODE_STRING passed by [ref] pointer. */
static void read_unicode_string(struct ndr *n, struct rpc_op_state *st, const char *name)
{
    if (!ndr_unicode_string_head(n)) {
        return;
    }
    char *text = ndr_string_dup(n, true, RPC_STRING_MAX);
    if (text != NULL) {
        put_text(st, name, text);
        free(text);
    }
}

/* ---- svcctl (MS-SCMR) ---- */

enum {
    SCMR_CLOSE_SERVICE_HANDLE = 0,
    SCMR_CONTROL_SERVICE = 1,
    SCMR_DELETE_SERVICE = 2,
    SCMR_QUERY_SERVICE_STATUS = 6,
    SCMR_CHANGE_SERVICE_CONFIG_W = 11,
    SCMR_CREATE_SERVICE_W = 12,
    SCMR_OPEN_SC_MANAGER_W = 15,
    SCMR_OPEN_SERVICE_W = 16,
    SCMR_START_SERVICE_W = 19,
    SCMR_CHANGE_SERVICE_CONFIG_A = 23,
    SCMR_CREATE_SERVICE_A = 24,
    SCMR_OPEN_SC_MANAGER_A = 27,
    SCMR_OPEN_SERVICE_A = 28,
    SCMR_START_SERVICE_A = 31,
    SCMR_CREATE_SERVICE_WOW64_A = 44,
    SCMR_CREATE_SERVICE_WOW64_W = 45,
    SCMR_CREATE_WOW_SERVICE = 60
};

bool rpc_ops_is_service_create(uint16_t opnum)
{
    return opnum == SCMR_CREATE_SERVICE_W || opnum == SCMR_CREATE_SERVICE_A ||
           opnum == SCMR_CREATE_SERVICE_WOW64_A || opnum == SCMR_CREATE_SERVICE_WOW64_W ||
           opnum == SCMR_CREATE_WOW_SERVICE;
}

/* Returns true for the service-creating operations whose strings are char rather than wchar_t. */
static bool scmr_narrow_create(uint16_t opnum)
{
    return opnum == SCMR_CREATE_SERVICE_A || opnum == SCMR_CREATE_SERVICE_WOW64_A;
}

/* Reads the parameters every service-creating operation shares; wide picks wchar_t or char. */
static void scmr_create_service(struct ndr *n, struct rpc_op_state *st, bool wide)
{
    read_handle_in(n, st);
    read_string(n, st, "lpServiceName", wide);
    read_unique_string(n, st, "lpDisplayName", wide);
    put_hex(st, "dwDesiredAccess", ndr_u32(n));
    put_hex(st, "dwServiceType", ndr_u32(n));
    put_dec(st, "dwStartType", ndr_u32(n));
    put_dec(st, "dwErrorControl", ndr_u32(n));
    read_string(n, st, "lpBinaryPathName", wide);
    read_unique_string(n, st, "lpLoadOrderGroup", wide);
    if (ndr_pointer(n, NULL)) {
        ndr_u32(n); /* lpdwTagId */
    }
    skip_unique_bytes(n); /* lpDependencies */
    ndr_u32(n);           /* dwDependSize */
    read_unique_string(n, st, "lpServiceStartName", wide);
    skip_unique_bytes(n); /* lpPassword: encrypted, never reported */
    ndr_u32(n);           /* dwPwSize */
}

/* RChangeServiceConfigW/A. */
static void scmr_change_service_config(struct ndr *n, struct rpc_op_state *st, bool wide)
{
    read_handle_in(n, st);
    put_hex(st, "dwServiceType", ndr_u32(n));
    put_dec(st, "dwStartType", ndr_u32(n));
    put_dec(st, "dwErrorControl", ndr_u32(n));
    read_unique_string(n, st, "lpBinaryPathName", wide);
    read_unique_string(n, st, "lpLoadOrderGroup", wide);
    if (ndr_pointer(n, NULL)) {
        ndr_u32(n);
    }
    skip_unique_bytes(n);
    ndr_u32(n);
    read_unique_string(n, st, "lpServiceStartName", wide);
    skip_unique_bytes(n);
    ndr_u32(n);
    read_unique_string(n, st, "lpDisplayName", wide);
}

/* RStartServiceW/A: argc, then a unique conformant array of unique string pointers. */
static void scmr_start_service(struct ndr *n, struct rpc_op_state *st, bool wide)
{
    read_handle_in(n, st);
    uint32_t argc = ndr_u32(n);
    put_dec(st, "argc", argc);
    if (!ndr_pointer(n, NULL)) {
        return;
    }
    uint32_t count = ndr_count(n, NDR_COUNT_MAX);
    if (count > RPC_LIST_MAX) {
        CTR_INC("rpc.list_capped");
        return;
    }
    bool present[RPC_LIST_MAX];
    for (uint32_t i = 0; i < count; i++) {
        present[i] = ndr_pointer(n, NULL);
    }
    char joined[4096] = "";
    size_t used = 0;
    for (uint32_t i = 0; i < count && ndr_ok(n); i++) {
        if (!present[i]) {
            continue;
        }
        char arg[1024];
        ndr_string(n, wide, arg, sizeof(arg));
        int w = snprintf(joined + used, sizeof(joined) - used, "%s%s", used ? " " : "", arg);
        if (w > 0) {
            used = WA_MIN(used + (size_t)w, sizeof(joined) - 1);
        }
    }
    put_text(st, "argv", joined);
}

static enum wa_status scmr_request(uint16_t opnum, struct ndr *n, struct rpc_op_state *st)
{
    switch (opnum) {
    case SCMR_OPEN_SC_MANAGER_W:
    case SCMR_OPEN_SC_MANAGER_A:
        read_unique_string(n, st, "lpMachineName", opnum == SCMR_OPEN_SC_MANAGER_W);
        read_unique_string(n, st, "lpDatabaseName", opnum == SCMR_OPEN_SC_MANAGER_W);
        put_hex(st, "dwDesiredAccess", ndr_u32(n));
        return WA_OK;
    case SCMR_CREATE_SERVICE_W:
    case SCMR_CREATE_SERVICE_A:
    case SCMR_CREATE_SERVICE_WOW64_A:
    case SCMR_CREATE_SERVICE_WOW64_W:
    case SCMR_CREATE_WOW_SERVICE:
        /* RCreateWowService adds dwServiceWowType after dwPwSize, which is not reported. */
        scmr_create_service(n, st, !scmr_narrow_create(opnum));
        return WA_OK;
    case SCMR_OPEN_SERVICE_W:
    case SCMR_OPEN_SERVICE_A:
        read_handle_in(n, st);
        read_string(n, st, "lpServiceName", opnum == SCMR_OPEN_SERVICE_W);
        put_hex(st, "dwDesiredAccess", ndr_u32(n));
        return WA_OK;
    case SCMR_START_SERVICE_W:
    case SCMR_START_SERVICE_A:
        scmr_start_service(n, st, opnum == SCMR_START_SERVICE_W);
        return WA_OK;
    case SCMR_CHANGE_SERVICE_CONFIG_W:
    case SCMR_CHANGE_SERVICE_CONFIG_A:
        scmr_change_service_config(n, st, opnum == SCMR_CHANGE_SERVICE_CONFIG_W);
        return WA_OK;
    case SCMR_CONTROL_SERVICE:
        read_handle_in(n, st);
        put_dec(st, "dwControl", ndr_u32(n));
        return WA_OK;
    case SCMR_CLOSE_SERVICE_HANDLE:
    case SCMR_DELETE_SERVICE:
    case SCMR_QUERY_SERVICE_STATUS:
        read_handle_in(n, st);
        return WA_OK;
    default:
        return WA_UNSUPPORTED;
    }
}

static enum wa_status scmr_response(uint16_t opnum, struct ndr *n, struct rpc_op_state *st)
{
    switch (opnum) {
    case SCMR_OPEN_SC_MANAGER_W:
    case SCMR_OPEN_SC_MANAGER_A:
    case SCMR_OPEN_SERVICE_W:
    case SCMR_OPEN_SERVICE_A:
        read_handle_out(n, st);
        return WA_OK;
    case SCMR_CREATE_SERVICE_W:
    case SCMR_CREATE_SERVICE_A:
    case SCMR_CREATE_SERVICE_WOW64_A:
    case SCMR_CREATE_SERVICE_WOW64_W:
    case SCMR_CREATE_WOW_SERVICE:
        if (ndr_pointer(n, NULL)) {
            ndr_u32(n); /* lpdwTagId */
        }
        read_handle_out(n, st);
        return WA_OK;
    default:
        return WA_UNSUPPORTED;
    }
}

/* ---- atsvc and ITaskSchedulerService (MS-TSCH) ---- */

enum { ATSVC_JOB_ADD = 0, ATSVC_JOB_DEL = 1, ATSVC_JOB_ENUM = 2, ATSVC_JOB_GET_INFO = 3 };

/* NetrJobAdd: ServerName, then AT_INFO by [ref] pointer with Command deferred after it. */
static void atsvc_job_add(struct ndr *n, struct rpc_op_state *st)
{
    read_unique_string(n, st, "ServerName", true);
    ndr_align(n, n->ndr64 ? 8 : 4);
    uint64_t job_time_ms = ndr_u3264(n);
    uint32_t days_of_month = ndr_u32(n);
    uint8_t days_of_week = ndr_u8(n);
    uint8_t flags = ndr_u8(n);
    bool has_command = ndr_pointer(n, NULL);
    if (!ndr_ok(n)) {
        return;
    }
    /* JobTime counts milliseconds after midnight, server local time (AT_INFO in lmat.h). */
    uint64_t minutes = job_time_ms / 60000;
    if (event_setf(st->ev, EVENT_DATA, "JobTime", "%02llu:%02llu",
                   (unsigned long long)(minutes / 60 % 100),
                   (unsigned long long)(minutes % 60)) != WA_OK) {
        CTR_INC("rpc.field_dropped");
    }
    put_hex(st, "DaysOfMonth", days_of_month);
    put_hex(st, "DaysOfWeek", days_of_week);
    put_hex(st, "Flags", flags);
    if (has_command) {
        read_string(n, st, "Command", true);
    }
}

static enum wa_status atsvc_request(uint16_t opnum, struct ndr *n, struct rpc_op_state *st)
{
    switch (opnum) {
    case ATSVC_JOB_ADD:
        atsvc_job_add(n, st);
        return WA_OK;
    case ATSVC_JOB_DEL:
        read_unique_string(n, st, "ServerName", true);
        put_dec(st, "MinJobId", ndr_u32(n));
        put_dec(st, "MaxJobId", ndr_u32(n));
        return WA_OK;
    case ATSVC_JOB_ENUM:
        read_unique_string(n, st, "ServerName", true);
        return WA_OK;
    case ATSVC_JOB_GET_INFO:
        read_unique_string(n, st, "ServerName", true);
        put_dec(st, "JobId", ndr_u32(n));
        return WA_OK;
    default:
        return WA_UNSUPPORTED;
    }
}

static enum wa_status atsvc_response(uint16_t opnum, struct ndr *n, struct rpc_op_state *st)
{
    if (opnum != ATSVC_JOB_ADD) {
        return WA_UNSUPPORTED;
    }
    uint32_t job_id = ndr_u32(n);
    if (ndr_ok(n)) {
        put_dec(st, "JobId", job_id);
    }
    return WA_OK;
}

/* SchRpcRegisterTask response: pActualPath ([out, string] wchar_t**), then pErrorInfo. */
static enum wa_status tsch_response(uint16_t opnum, struct ndr *n, struct rpc_op_state *st)
{
    if (opnum != 1) {
        return WA_UNSUPPORTED;
    }
    read_unique_string(n, st, "pActualPath", true);
    return WA_OK;
}

enum { TSCH_REGISTER_TASK = 1, TSCH_ENUM_INSTANCES = 8, TSCH_RUN = 12, TSCH_DELETE = 13 };

/* Adds Command and Arguments taken from the first Exec action of a task XML. */
static void tsch_put_exec(struct rpc_op_state *st, const char *xml)
{
    char text[RPC_STRING_MAX];
    if (rpc_ops_xml_element(xml, "Command", text, sizeof(text))) {
        put_text(st, "Command", text);
    }
    if (rpc_ops_xml_element(xml, "Arguments", text, sizeof(text))) {
        put_text(st, "Arguments", text);
    }
}

static void tsch_register_task(struct ndr *n, struct rpc_op_state *st)
{
    read_unique_string(n, st, "path", true);
    char *xml = ndr_string_dup(n, true, RPC_TEXT_MAX);
    if (xml == NULL) {
        return;
    }
    put_text(st, "xml", xml);
    tsch_put_exec(st, xml);
    free(xml);
    put_hex(st, "flags", ndr_u32(n));
    read_unique_string(n, st, "sddl", true);
    put_dec(st, "logonType", ndr_u32(n));
}

static enum wa_status tsch_request(uint16_t opnum, struct ndr *n, struct rpc_op_state *st)
{
    switch (opnum) {
    case TSCH_REGISTER_TASK:
        tsch_register_task(n, st);
        return WA_OK;
    case TSCH_RUN:
        read_string(n, st, "path", true);
        put_dec(st, "cArgs", ndr_u32(n));
        return WA_OK;
    case TSCH_DELETE:
        read_string(n, st, "path", true);
        put_hex(st, "flags", ndr_u32(n));
        return WA_OK;
    case TSCH_ENUM_INSTANCES:
        read_unique_string(n, st, "path", true);
        return WA_OK;
    case 2: /* every other operation from SchRpcRetrieveTask on starts with [ref] path */
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
    case 9:
    case 10:
    case 11:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18:
    case 19:
        read_string(n, st, "path", true);
        return WA_OK;
    default:
        return WA_UNSUPPORTED;
    }
}

/* ---- srvsvc (MS-SRVS) ---- */

enum {
    SRVS_CONNECTION_ENUM = 8,
    SRVS_FILE_ENUM = 9,
    SRVS_SESSION_ENUM = 12,
    SRVS_SHARE_ENUM = 15,
    SRVS_SHARE_GET_INFO = 16,
    SRVS_SERVER_GET_INFO = 21,
    SRVS_REMOTE_TOD = 28
};

static enum wa_status srvs_request(uint16_t opnum, struct ndr *n, struct rpc_op_state *st)
{
    switch (opnum) {
    case SRVS_REMOTE_TOD:
        read_unique_string(n, st, "ServerName", true);
        return WA_OK;
    case SRVS_SHARE_ENUM:
    case SRVS_SERVER_GET_INFO:
        read_unique_string(n, st, "ServerName", true);
        put_dec(st, "Level", ndr_u32(n));
        return WA_OK;
    case SRVS_SESSION_ENUM:
        read_unique_string(n, st, "ServerName", true);
        read_unique_string(n, st, "ClientName", true);
        read_unique_string(n, st, "UserName", true);
        put_dec(st, "Level", ndr_u32(n));
        return WA_OK;
    case SRVS_SHARE_GET_INFO:
        read_unique_string(n, st, "ServerName", true);
        read_string(n, st, "NetName", true);
        put_dec(st, "Level", ndr_u32(n));
        return WA_OK;
    case SRVS_CONNECTION_ENUM:
        read_unique_string(n, st, "ServerName", true);
        read_unique_string(n, st, "Qualifier", true);
        return WA_OK;
    case SRVS_FILE_ENUM:
        read_unique_string(n, st, "ServerName", true);
        read_unique_string(n, st, "BasePath", true);
        read_unique_string(n, st, "UserName", true);
        return WA_OK;
    default:
        return WA_UNSUPPORTED;
    }
}

/* ---- winreg (MS-RRP) ---- */

enum {
    RRP_OPEN_CLASSES_ROOT = 0,
    RRP_OPEN_CURRENT_USER = 1,
    RRP_OPEN_LOCAL_MACHINE = 2,
    RRP_OPEN_PERFORMANCE_DATA = 3,
    RRP_OPEN_USERS = 4,
    RRP_CREATE_KEY = 6,
    RRP_DELETE_KEY = 7,
    RRP_DELETE_VALUE = 8,
    RRP_OPEN_KEY = 15,
    RRP_QUERY_VALUE = 17,
    RRP_SAVE_KEY = 20,
    RRP_SET_VALUE = 22,
    RRP_OPEN_CURRENT_CONFIG = 27,
    RRP_SAVE_KEY_EX = 31
};

/* Returns the root key name of an OpenXxx operation, or NULL for other opnums. */
static const char *rrp_root_name(uint16_t opnum)
{
    switch (opnum) {
    case RRP_OPEN_CLASSES_ROOT:
        return "HKEY_CLASSES_ROOT";
    case RRP_OPEN_CURRENT_USER:
        return "HKEY_CURRENT_USER";
    case RRP_OPEN_LOCAL_MACHINE:
        return "HKEY_LOCAL_MACHINE";
    case RRP_OPEN_PERFORMANCE_DATA:
        return "HKEY_PERFORMANCE_DATA";
    case RRP_OPEN_USERS:
        return "HKEY_USERS";
    case RRP_OPEN_CURRENT_CONFIG:
        return "HKEY_CURRENT_CONFIG";
    default:
        return NULL;
    }
}

/* Registry value types (REG_* in winnt.h) that are rendered as text. */
enum { REG_SZ = 1, REG_EXPAND_SZ = 2, REG_DWORD = 4 };

/* BaseRegSetValue: lpValueName, dwType, lpData (size_is(cbData)), cbData. */
static void rrp_set_value(struct ndr *n, struct rpc_op_state *st)
{
    read_handle_in(n, st);
    read_unicode_string(n, st, "lpValueName");
    uint32_t type = ndr_u32(n);
    put_dec(st, "dwType", type);
    uint32_t count = ndr_count(n, NDR_COUNT_MAX);
    const uint8_t *data = cur_view(&n->cur, count);
    if (data == NULL) {
        return;
    }
    if ((type == REG_SZ || type == REG_EXPAND_SZ) && count >= 2) {
        char text[RPC_STRING_MAX];
        size_t units = count / 2;
        if (data[2 * units - 2] == 0 && data[2 * units - 1] == 0) {
            units--; /* drop the terminating NUL */
        }
        ndr_utf16_to_utf8(data, units, n->big_endian, text, sizeof(text));
        put_text(st, "lpData", text);
    } else if (type == REG_DWORD && count == 4) {
        struct ndr value;
        ndr_init(&value, data, 4, n->big_endian, false);
        put_hex(st, "lpData", ndr_u32(&value));
    }
    put_dec(st, "cbData", count);
}

static enum wa_status rrp_request(uint16_t opnum, struct ndr *n, struct rpc_op_state *st)
{
    if (rrp_root_name(opnum) != NULL) {
        if (ndr_pointer(n, NULL)) {
            ndr_u16(n); /* ServerName: a pointer to a single WCHAR, ignored by servers */
        }
        put_hex(st, "samDesired", ndr_u32(n));
        return WA_OK;
    }
    switch (opnum) {
    case RRP_CREATE_KEY:
        read_handle_in(n, st);
        read_unicode_string(n, st, "lpSubKey");
        read_unicode_string(n, st, "lpClass");
        put_hex(st, "dwOptions", ndr_u32(n));
        put_hex(st, "samDesired", ndr_u32(n));
        return WA_OK;
    case RRP_OPEN_KEY:
        read_handle_in(n, st);
        read_unicode_string(n, st, "lpSubKey");
        put_hex(st, "dwOptions", ndr_u32(n));
        put_hex(st, "samDesired", ndr_u32(n));
        return WA_OK;
    case RRP_DELETE_KEY:
        read_handle_in(n, st);
        read_unicode_string(n, st, "lpSubKey");
        return WA_OK;
    case RRP_DELETE_VALUE:
    case RRP_QUERY_VALUE:
        read_handle_in(n, st);
        read_unicode_string(n, st, "lpValueName");
        return WA_OK;
    case RRP_SAVE_KEY:
    case RRP_SAVE_KEY_EX:
        read_handle_in(n, st);
        read_unicode_string(n, st, "lpFile");
        return WA_OK;
    case RRP_SET_VALUE:
        rrp_set_value(n, st);
        return WA_OK;
    default:
        return WA_UNSUPPORTED;
    }
}

static enum wa_status rrp_response(uint16_t opnum, struct ndr *n, struct rpc_op_state *st)
{
    if (rrp_root_name(opnum) != NULL || opnum == RRP_CREATE_KEY || opnum == RRP_OPEN_KEY) {
        read_handle_out(n, st);
        return WA_OK;
    }
    return WA_UNSUPPORTED;
}

/* ---- samr and lsarpc name lookups (MS-SAMR, MS-LSAT) ---- */

/*
 * Reads count RPC_UNICODE_STRING headers followed by their deferred buffers
 * and joins the names with commas into field name.
 */
static void read_unicode_string_array(struct ndr *n, struct rpc_op_state *st, const char *name,
                                      uint32_t count)
{
    if (count > RPC_LIST_MAX) {
        CTR_INC("rpc.list_capped");
        return;
    }
    bool present[RPC_LIST_MAX];
    for (uint32_t i = 0; i < count; i++) {
        present[i] = ndr_unicode_string_head(n);
    }
    char joined[4096] = "";
    size_t used = 0;
    for (uint32_t i = 0; i < count && ndr_ok(n); i++) {
        if (!present[i]) {
            continue;
        }
        char item[512];
        ndr_unicode_string_body(n, item, sizeof(item));
        int w = snprintf(joined + used, sizeof(joined) - used, "%s%s", used ? "," : "", item);
        if (w > 0) {
            used = WA_MIN(used + (size_t)w, sizeof(joined) - 1);
        }
    }
    if (ndr_ok(n)) {
        put_text(st, name, joined);
    }
}

enum {
    SAMR_LOOKUP_DOMAIN = 5,
    SAMR_LOOKUP_NAMES = 17,
    SAMR_OPEN_USER = 34,
    SAMR_CONNECT2 = 57,
    SAMR_CONNECT4 = 62,
    SAMR_CONNECT5 = 64
};

static enum wa_status samr_request(uint16_t opnum, struct ndr *n, struct rpc_op_state *st)
{
    switch (opnum) {
    case SAMR_LOOKUP_DOMAIN:
        read_handle_in(n, st);
        read_unicode_string(n, st, "Name");
        return WA_OK;
    case SAMR_LOOKUP_NAMES: {
        read_handle_in(n, st);
        uint32_t count = ndr_u32(n);
        ndr_count(n, NDR_COUNT_MAX); /* maximum count, 1000 per the IDL */
        ndr_count(n, NDR_COUNT_MAX); /* offset */
        uint32_t actual = ndr_count(n, NDR_COUNT_MAX);
        put_dec(st, "Count", count);
        read_unicode_string_array(n, st, "Names", actual);
        return WA_OK;
    }
    case SAMR_OPEN_USER:
        read_handle_in(n, st);
        put_hex(st, "DesiredAccess", ndr_u32(n));
        put_dec(st, "UserId", ndr_u32(n));
        return WA_OK;
    case SAMR_CONNECT2:
    case SAMR_CONNECT4:
    case SAMR_CONNECT5:
        read_unique_string(n, st, "ServerName", true);
        return WA_OK;
    default:
        return WA_UNSUPPORTED;
    }
}

enum {
    LSAT_LOOKUP_NAMES = 14,
    LSAT_LOOKUP_NAMES2 = 58,
    LSAT_LOOKUP_NAMES3 = 68,
    LSAT_LOOKUP_NAMES4 = 77
};

static enum wa_status lsat_request(uint16_t opnum, struct ndr *n, struct rpc_op_state *st)
{
    switch (opnum) {
    case LSAT_LOOKUP_NAMES:
    case LSAT_LOOKUP_NAMES2:
    case LSAT_LOOKUP_NAMES3:
    case LSAT_LOOKUP_NAMES4: {
        if (opnum != LSAT_LOOKUP_NAMES4) {
            read_handle_in(n, st); /* LsarLookupNames4 binds by RPC handle, not a policy handle */
        }
        uint32_t count = ndr_u32(n);
        uint32_t conformance = ndr_count(n, NDR_COUNT_MAX);
        put_dec(st, "Count", count);
        read_unicode_string_array(n, st, "Names", WA_MIN(count, conformance));
        return WA_OK;
    }
    default:
        return WA_UNSUPPORTED;
    }
}

/* ---- drsuapi (MS-DRSR) ---- */

enum { DRSR_GET_NC_CHANGES = 3 };

/*
 * IDL_DRSGetNCChanges: DRS_HANDLE, dwInVersion and the DRS_MSG_GETCHGREQ union.
 * Versions 5, 7, 8, 10 and 11 share the leading members read here.
 */
static void drsr_get_nc_changes(struct ndr *n, struct rpc_op_state *st)
{
    read_handle_in(n, st);
    uint32_t version = ndr_u32(n);
    put_dec(st, "dwInVersion", version);
    ndr_u32(n); /* union discriminant, equal to dwInVersion */
    if (version != 5 && version != 7 && version != 8 && version != 10 && version != 11) {
        return;
    }
    ndr_align(n, 8); /* the request structures hold USN (64-bit) members */
    char guid[37];
    ndr_guid(n, guid);
    if (ndr_ok(n)) {
        put_text(st, "uuidDsaObjDest", guid);
    }
    ndr_guid(n, guid);
    if (ndr_ok(n)) {
        put_text(st, "uuidInvocIdSrc", guid);
    }
    ndr_pointer(n, NULL); /* pNC, deferred after the structure */
    ndr_align(n, 8);
    ndr_skip(n, 24);      /* usnvecFrom */
    ndr_pointer(n, NULL); /* pUpToDateVecDest */
    uint32_t flags = ndr_u32(n);
    ndr_u32(n); /* cMaxObjects */
    ndr_u32(n); /* cMaxBytes */
    uint32_t extended_op = ndr_u32(n);
    if (ndr_ok(n)) {
        put_hex(st, "ulFlags", flags);
        put_dec(st, "ulExtendedOp", extended_op);
    }
    /* NOTE: the naming context (pNC DSNAME) follows the whole structure and is not decoded. */
}

/* ---- endpoint mapper (C706, MS-RPCE) ---- */

enum { EPM_MAP = 3 };

/* Tower floor protocol identifiers (C706). */
enum { TOWER_UUID = 0x0d, TOWER_TCP = 0x07 };

/*
 * Walks the floors of a tower (a little-endian floor count, then per floor a
 * left-hand side and a right-hand side, each length-prefixed). Reports the
 * interface of the first floor and the TCP port when present.
 */
static void epm_parse_tower(const uint8_t *tower, size_t len, struct rpc_op_state *st,
                            bool response)
{
    struct cursor c;
    cur_init(&c, tower, len);
    uint16_t floors = cur_le16(&c);
    for (uint16_t i = 0; i < floors && cur_ok(&c); i++) {
        struct cursor lhs;
        struct cursor rhs;
        cur_sub(&c, &lhs, cur_le16(&c));
        cur_sub(&c, &rhs, cur_le16(&c));
        uint8_t protocol = cur_u8(&lhs);
        if (!cur_ok(&c) || !cur_ok(&lhs)) {
            return;
        }
        if (i == 0 && protocol == TOWER_UUID && !response) {
            const uint8_t *uuid = cur_view(&lhs, 16);
            uint16_t version = cur_le16(&lhs);
            if (uuid != NULL && cur_ok(&lhs)) {
                char text[37];
                snprintf(text, sizeof(text),
                         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         uuid[3], uuid[2], uuid[1], uuid[0], uuid[5], uuid[4], uuid[7], uuid[6],
                         uuid[8], uuid[9], uuid[10], uuid[11], uuid[12], uuid[13], uuid[14],
                         uuid[15]);
                put_text(st, "MapInterfaceUuid", text);
                const struct rpc_interface *iface = rpc_names_find_interface(text);
                if (iface != NULL) {
                    put_text(st, "MapInterfaceName", iface->name);
                }
                put_dec(st, "MapInterfaceVersion", version);
            }
        }
        if (protocol == TOWER_TCP && response) {
            uint16_t port = cur_be16(&rhs); /* ports are big-endian in towers */
            if (cur_ok(&rhs) && port != 0) {
                put_dec(st, "MappedPort", port);
                if (st->server_addr != NULL) {
                    flow_hint_dcerpc(st->server_addr, port);
                }
            }
        }
    }
}

/* Reads a twr_t: conformance, tower_length and the octets. */
static void epm_read_tower(struct ndr *n, struct rpc_op_state *st, bool response)
{
    uint32_t conformance = ndr_count(n, NDR_COUNT_MAX);
    uint32_t length = ndr_u32(n);
    if (length > conformance) {
        cur_fail(&n->cur);
        return;
    }
    const uint8_t *octets = cur_view(&n->cur, conformance);
    if (octets != NULL) {
        epm_parse_tower(octets, length, st, response);
    }
}

static enum wa_status epm_request(uint16_t opnum, struct ndr *n, struct rpc_op_state *st)
{
    if (opnum != EPM_MAP) {
        return WA_UNSUPPORTED;
    }
    if (ndr_full_pointer(n)) {
        ndr_skip(n, 16); /* object UUID */
    }
    if (ndr_full_pointer(n)) {
        epm_read_tower(n, st, false);
    }
    return WA_OK;
}

/* ept_map response: entry_handle, num_towers, then a varying array of full tower pointers. */
static enum wa_status epm_response(uint16_t opnum, struct ndr *n, struct rpc_op_state *st)
{
    if (opnum != EPM_MAP) {
        return WA_UNSUPPORTED;
    }
    read_handle_out(n, st);
    ndr_u32(n);                  /* num_towers */
    ndr_count(n, NDR_COUNT_MAX); /* max_towers */
    ndr_count(n, NDR_COUNT_MAX); /* offset */
    uint32_t actual = ndr_count(n, RPC_LIST_MAX);
    bool present[RPC_LIST_MAX];
    for (uint32_t i = 0; i < actual; i++) {
        present[i] = ndr_full_pointer(n);
    }
    for (uint32_t i = 0; i < actual && ndr_ok(n); i++) {
        if (present[i]) {
            ndr_align(n, n->ndr64 ? 8 : 4);
            epm_read_tower(n, st, true);
        }
    }
    return WA_OK;
}

/* ---- dispatch ---- */

enum wa_status rpc_ops_decode_request(enum rpc_iface_id iface, uint16_t opnum, struct ndr *n,
                                      struct rpc_op_state *st)
{
    enum wa_status status;
    switch (iface) {
    case RPC_IFACE_SVCCTL:
        status = scmr_request(opnum, n, st);
        break;
    case RPC_IFACE_ATSVC:
        status = atsvc_request(opnum, n, st);
        break;
    case RPC_IFACE_TSCH:
        status = tsch_request(opnum, n, st);
        break;
    case RPC_IFACE_SRVSVC:
        status = srvs_request(opnum, n, st);
        break;
    case RPC_IFACE_WINREG:
        status = rrp_request(opnum, n, st);
        break;
    case RPC_IFACE_SAMR:
        status = samr_request(opnum, n, st);
        break;
    case RPC_IFACE_LSARPC:
        status = lsat_request(opnum, n, st);
        break;
    case RPC_IFACE_DRSUAPI:
        if (opnum != DRSR_GET_NC_CHANGES) {
            return WA_UNSUPPORTED;
        }
        drsr_get_nc_changes(n, st);
        status = WA_OK;
        break;
    case RPC_IFACE_EPM:
        status = epm_request(opnum, n, st);
        break;
    default:
        return WA_UNSUPPORTED;
    }
    if (status == WA_OK && !ndr_ok(n)) {
        return n->cur.status == CUR_TRUNCATED ? WA_NEED_MORE : WA_MALFORMED;
    }
    return status;
}

enum wa_status rpc_ops_decode_response(enum rpc_iface_id iface, uint16_t opnum, struct ndr *n,
                                       struct rpc_op_state *st)
{
    enum wa_status status;
    switch (iface) {
    case RPC_IFACE_SVCCTL:
        status = scmr_response(opnum, n, st);
        break;
    case RPC_IFACE_ATSVC:
        status = atsvc_response(opnum, n, st);
        break;
    case RPC_IFACE_TSCH:
        status = tsch_response(opnum, n, st);
        break;
    case RPC_IFACE_WINREG:
        status = rrp_response(opnum, n, st);
        break;
    case RPC_IFACE_EPM:
        status = epm_response(opnum, n, st);
        break;
    default:
        return WA_UNSUPPORTED;
    }
    if (status == WA_OK && !ndr_ok(n)) {
        return n->cur.status == CUR_TRUNCATED ? WA_NEED_MORE : WA_MALFORMED;
    }
    return status;
}

bool rpc_ops_handle_label(enum rpc_iface_id iface, uint16_t opnum, const struct event *ev,
                          const char *parent, char *out, size_t out_size)
{
    if (iface == RPC_IFACE_SVCCTL) {
        const char *name = event_field(ev, "lpServiceName");
        bool service_handle = rpc_ops_is_service_create(opnum) || opnum == SCMR_OPEN_SERVICE_W ||
                              opnum == SCMR_OPEN_SERVICE_A;
        if (!service_handle || name == NULL) {
            return false;
        }
        snprintf(out, out_size, "%s", name);
        return true;
    }
    if (iface == RPC_IFACE_WINREG) {
        const char *root = rrp_root_name(opnum);
        if (root != NULL) {
            snprintf(out, out_size, "%s", root);
            return true;
        }
        const char *subkey = event_field(ev, "lpSubKey");
        if ((opnum != RRP_CREATE_KEY && opnum != RRP_OPEN_KEY) || subkey == NULL) {
            return false;
        }
        if (parent != NULL && parent[0] != '\0') {
            snprintf(out, out_size, "%s\\%s", parent, subkey);
        } else {
            snprintf(out, out_size, "%s", subkey);
        }
        return true;
    }
    return false;
}

enum wa_status rpc_ops_apply_handle_label(enum rpc_iface_id iface, struct event *ev,
                                          const char *label)
{
    if (iface == RPC_IFACE_SVCCTL && event_field(ev, "lpServiceName") == NULL) {
        return event_set(ev, EVENT_DATA, "ServiceName", label);
    }
    if (iface == RPC_IFACE_WINREG) {
        return event_set(ev, EVENT_DATA, "KeyPath", label);
    }
    return WA_OK;
}

/* Replaces the predefined entities (&lt; &gt; &amp; &quot; &apos;) while copying. */
static void xml_unescape(const char *src, size_t len, char *out, size_t out_size)
{
    static const struct {
        const char *entity;
        char ch;
    } entities[] = {
        {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t used = 0;
    size_t i = 0;
    while (i < len && used + 1 < out_size) {
        char ch = src[i];
        size_t step = 1;
        for (size_t e = 0; src[i] == '&' && e < WA_ARRAY_LEN(entities); e++) {
            size_t elen = strlen(entities[e].entity);
            if (i + elen <= len && memcmp(src + i, entities[e].entity, elen) == 0) {
                ch = entities[e].ch;
                step = elen;
                break;
            }
        }
        out[used++] = ch;
        i += step;
    }
    out[used] = '\0';
}

bool rpc_ops_xml_element(const char *xml, const char *tag, char *out, size_t out_size)
{
    char open_tag[64];
    char close_tag[64];
    snprintf(open_tag, sizeof(open_tag), "<%s>", tag);
    snprintf(close_tag, sizeof(close_tag), "</%s>", tag);
    const char *start = strstr(xml, open_tag);
    if (start == NULL || out_size == 0) {
        return false;
    }
    start += strlen(open_tag);
    const char *end = strstr(start, close_tag);
    if (end == NULL) {
        return false;
    }
    xml_unescape(start, (size_t)(end - start), out, out_size);
    return true;
}
