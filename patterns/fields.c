/*
 * Field names and values for the Sigma engine: aliases to Windows EventData
 * names, per-event lookup with lower-casing, rendered AccessMask and
 * AccessList values, and the per-event scratch allocator.
 */
#include "sigma.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- Interning ---------------------------------------------------------- */

static enum field_kind kind_of(const char *name)
{
    static const struct {
        const char *name;
        enum field_kind kind;
    } computed[] = {
        {"EventID", FIELD_EVENT_ID},          {"TimeCreated", FIELD_TIME_CREATED},
        {"AccessMask", FIELD_ACCESS_MASK},    {"Provider_Name", FIELD_PROVIDER_NAME},
        {"Account_Name", FIELD_ACCOUNT_NAME},
    };
    for (size_t i = 0; i < WA_ARRAY_LEN(computed); i++) {
        if (strcasecmp(computed[i].name, name) == 0) {
            return computed[i].kind;
        }
    }
    return FIELD_PLAIN;
}

/* Returns the index of name (ASCII case-insensitive), adding it if new, or -2 when out of memory.
 */
int fields_intern(struct field_table *table, const char *name)
{
    for (uint32_t i = 0; i < table->count; i++) {
        if (strcasecmp(table->names[i], name) == 0) {
            return (int)i;
        }
    }
    if (table->count == table->cap) {
        uint32_t cap = table->cap != 0 ? table->cap * 2 : 32;
        char **grown = realloc(table->names, cap * sizeof(*grown));
        if (grown == NULL) {
            return -2;
        }
        table->names = grown;
        uint8_t *kinds = realloc(table->kinds, cap * sizeof(*kinds));
        if (kinds == NULL) {
            return -2;
        }
        table->kinds = kinds;
        table->cap = cap;
    }
    char *copy = strdup(name);
    if (copy == NULL) {
        return -2;
    }
    table->names[table->count] = copy;
    table->kinds[table->count] = (uint8_t)kind_of(name);
    return (int)table->count++;
}

void fields_free(struct field_table *table)
{
    for (uint32_t i = 0; i < table->count; i++) {
        free(table->names[i]);
    }
    free(table->names);
    free(table->kinds);
    memset(table, 0, sizeof(*table));
}

/* ---- Aliases ------------------------------------------------------------ */

struct field_alias {
    const char *alias;
    const char *canonical;
};

/*
 * Names used by Splunk's Windows add-on (field extractions of the rendered
 * message, such as Share_Name) and by other log tools, mapped to the
 * EventData names Windows writes. Account_Name is resolved per event because
 * the add-on uses it for the subject of share events and for the target of
 * logon events.
 */
static const struct field_alias windows_aliases[] = {
    {"Share_Name", "ShareName"},
    {"Share_Path", "ShareLocalPath"},
    {"Relative_Target_Name", "RelativeTargetName"},
    {"Access_Mask", "AccessMask"},
    {"Accesses", "AccessList"},
    {"Access_List", "AccessList"},
    {"Object_Type", "ObjectType"},
    {"Account_Domain", "SubjectDomainName"},
    {"Logon_ID", "SubjectLogonId"},
    {"Source_Address", "IpAddress"},
    {"Source_Network_Address", "IpAddress"},
    {"src_ip", "IpAddress"},
    {"Source_Port", "IpPort"},
    {"src_port", "IpPort"},
    {"Workstation_Name", "WorkstationName"},
    {"Source_Workstation", "WorkstationName"},
    {"ComputerName", "Computer"},
    {"Hostname", "Computer"},
    {"host", "Computer"},
    {"dest", "Computer"},
    {"EventCode", "EventID"},
    {"Logon_Type", "LogonType"},
    {"Authentication_Package", "AuthenticationPackageName"},
    {"Logon_Process", "LogonProcessName"},
    {"Sub_Status", "SubStatus"},
    {"Service_Name", "ServiceName"},
    {"Service_File_Name", "ServiceFileName"},
    {"Service_Type", "ServiceType"},
    {"Service_Start_Type", "ServiceStartType"},
    {"Service_Account", "ServiceAccount"},
    {"Task_Name", "TaskName"},
    {"Task_Content", "TaskContent"},
};

/*
 * Zeek log fields used by SigmaHQ's network rules, mapped onto the events the
 * sensor rebuilds. dce_rpc.log rows become 5712 events and smb_files.log rows
 * become 5145 events. Zeek's "path" is the \\host\share tree path, so a rule
 * written for it matches the Windows ShareName form \\*\share only when it
 * uses wildcards, contains or endswith.
 */
static const struct field_alias zeek_dce_rpc_aliases[] = {
    {"endpoint", "InterfaceName"}, {"operation", "Operation"}, {"named_pipe", "PipeName"},
    {"id.orig_h", "IpAddress"},    {"id.orig_p", "IpPort"},
};

static const struct field_alias zeek_smb_files_aliases[] = {
    {"path", "ShareName"},
    {"name", "RelativeTargetName"},
    {"id.orig_h", "IpAddress"},
    {"id.orig_p", "IpPort"},
};

static const char *alias_lookup(const struct field_alias *table, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++) {
        if (strcasecmp(table[i].alias, name) == 0) {
            return table[i].canonical;
        }
    }
    return NULL;
}

/* Returns the EventData name for a field name written in a rule from source. */
const char *fields_canonical_name(const char *name, enum logsource_kind source)
{
    const char *hit = NULL;
    if (source == LOGSOURCE_ZEEK_DCE_RPC) {
        hit = alias_lookup(zeek_dce_rpc_aliases, WA_ARRAY_LEN(zeek_dce_rpc_aliases), name);
    } else if (source == LOGSOURCE_ZEEK_SMB_FILES) {
        hit = alias_lookup(zeek_smb_files_aliases, WA_ARRAY_LEN(zeek_smb_files_aliases), name);
    }
    if (hit == NULL) {
        hit = alias_lookup(windows_aliases, WA_ARRAY_LEN(windows_aliases), name);
    }
    return hit != NULL ? hit : name;
}

/* ---- Access rights ------------------------------------------------------ */

struct access_right {
    const char *code;
    const char *names[4]; /* the rendered text first, then the single words */
};

/*
 * %% message codes of file access rights as Windows writes them in
 * AccessList, and the words the rendered message shows. Source: the access
 * right table in the Amazon FSx for Windows File Server user guide (file
 * access auditing), which lists the mask bit and code of each right.
 */
static const struct access_right access_rights[] = {
    {"%%1537", {"DELETE", NULL, NULL, NULL}},
    {"%%1538", {"READ_CONTROL", NULL, NULL, NULL}},
    {"%%1539", {"WRITE_DAC", NULL, NULL, NULL}},
    {"%%1540", {"WRITE_OWNER", NULL, NULL, NULL}},
    {"%%1541", {"SYNCHRONIZE", NULL, NULL, NULL}},
    {"%%1542", {"ACCESS_SYS_SEC", NULL, NULL, NULL}},
    {"%%4416", {"ReadData (or ListDirectory)", "ReadData", "ListDirectory", NULL}},
    {"%%4417", {"WriteData (or AddFile)", "WriteData", "AddFile", NULL}},
    {"%%4418",
     {"AppendData (or AddSubdirectory or CreatePipeInstance)", "AppendData", "AddSubdirectory",
      "CreatePipeInstance"}},
    {"%%4419", {"ReadEA", NULL, NULL, NULL}},
    {"%%4420", {"WriteEA", NULL, NULL, NULL}},
    {"%%4421", {"Execute/Traverse", "Execute", "Traverse", NULL}},
    {"%%4422", {"DeleteChild", NULL, NULL, NULL}},
    {"%%4423", {"ReadAttributes", NULL, NULL, NULL}},
    {"%%4424", {"WriteAttributes", NULL, NULL, NULL}},
};

/*
 * Writes into out the AccessList values equivalent to value: value itself,
 * then value with the first right name it contains replaced by its %% code.
 * Longer names are tried first so "WriteData (or AddFile)" wins over
 * "WriteData". Returns the number of values written (at least 1).
 */
unsigned fields_access_alternatives(const char *value, char out[][256], unsigned max)
{
    unsigned n = 0;
    snprintf(out[n++], 256, "%s", value);
    for (size_t i = 0; i < WA_ARRAY_LEN(access_rights) && n < max; i++) {
        for (size_t k = 0; k < 4 && access_rights[i].names[k] != NULL; k++) {
            const char *name = access_rights[i].names[k];
            const char *at = strcasestr(value, name);
            if (at == NULL) {
                continue;
            }
            size_t prefix = (size_t)(at - value);
            snprintf(out[n++], 256, "%.*s%s%s", (int)prefix, value, access_rights[i].code,
                     at + strlen(name));
            break;
        }
    }
    return n;
}

/*
 * Writes a hexadecimal number such as "0x00000002" as Windows renders it in
 * the event message ("0x2"). Returns NULL when value is not "0x" followed by
 * 1 to 16 hex digits.
 */
char *fields_normalize_hex(const char *value, char *buf, size_t size)
{
    if (value[0] != '0' || (value[1] != 'x' && value[1] != 'X')) {
        return NULL;
    }
    const char *digits = value + 2;
    size_t n = strlen(digits);
    if (n == 0 || n > 16 || strspn(digits, "0123456789abcdefABCDEF") != n) {
        return NULL;
    }
    uint64_t v = strtoull(digits, NULL, 16);
    snprintf(buf, size, "0x%" PRIx64, v);
    return buf;
}

/* ---- Scratch allocator -------------------------------------------------- */

#define SCRATCH_CHUNK_SIZE (64u * 1024u)

char *scratch_alloc(struct scratch *s, size_t size)
{
    struct scratch_chunk *c = s->current;
    while (c != NULL && c->cap - c->used < size) {
        c = c->next;
    }
    if (c == NULL) {
        size_t cap = size > SCRATCH_CHUNK_SIZE ? size : SCRATCH_CHUNK_SIZE;
        c = malloc(sizeof(*c) + cap);
        if (c == NULL) {
            return NULL;
        }
        c->used = 0;
        c->cap = cap;
        c->next = s->head;
        s->head = c;
    }
    s->current = c;
    char *p = c->data + c->used;
    c->used += size;
    return p;
}

void scratch_reset(struct scratch *s)
{
    for (struct scratch_chunk *c = s->head; c != NULL; c = c->next) {
        c->used = 0;
    }
    s->current = s->head;
}

void scratch_free(struct scratch *s)
{
    struct scratch_chunk *c = s->head;
    while (c != NULL) {
        struct scratch_chunk *next = c->next;
        free(c);
        c = next;
    }
    s->head = NULL;
    s->current = NULL;
}

/* ---- Per-event lookup --------------------------------------------------- */

static const char *copy_to_scratch(struct match_ctx *ctx, const char *text)
{
    size_t n = strlen(text);
    char *p = scratch_alloc(ctx->scratch, n + 1);
    if (p != NULL) {
        memcpy(p, text, n + 1);
    }
    return p;
}

/* Provider_Name of events that were rebuilt or imported without one. */
static const char *default_provider(uint32_t event_id)
{
    switch (event_id) {
    case 7045:
    case 7036:
    case 7040:
        return "Service Control Manager";
    case 104:
    case 1102:
        return "Microsoft-Windows-Eventlog";
    default:
        return "Microsoft-Windows-Security-Auditing";
    }
}

/* Returns the raw value of a field, including the fields computed from the event. */
static const char *lookup_raw(struct match_ctx *ctx, int field)
{
    const struct event *ev = ctx->ev;
    const char *name = ctx->field_names[field];
    char buf[40];
    const char *v = NULL;
    switch ((enum field_kind)ctx->field_kinds[field]) {
    case FIELD_EVENT_ID:
        snprintf(buf, sizeof(buf), "%" PRIu32, ev->event_id);
        return copy_to_scratch(ctx, buf);
    case FIELD_TIME_CREATED:
        v = event_field(ev, name);
        return v != NULL ? v
                         : copy_to_scratch(ctx, event_format_time(ev->time_us, buf, sizeof(buf)));
    case FIELD_ACCESS_MASK:
        v = event_field(ev, name);
        if (v != NULL && fields_normalize_hex(v, buf, sizeof(buf)) != NULL) {
            return copy_to_scratch(ctx, buf);
        }
        return v;
    case FIELD_PROVIDER_NAME:
        v = event_field(ev, name);
        v = v != NULL ? v : event_field(ev, "Provider");
        return v != NULL ? v : default_provider(ev->event_id);
    case FIELD_ACCOUNT_NAME: {
        v = event_field(ev, name);
        bool logon = ev->event_id == 4624 || ev->event_id == 4625 || ev->event_id == 4648;
        return v != NULL ? v : event_field(ev, logon ? "TargetUserName" : "SubjectUserName");
    }
    case FIELD_PLAIN:
        break;
    }
    return event_field(ev, name);
}

/*
 * Returns the value of an interned field for the current event, lower-cased
 * (ASCII only) when lower is true, or NULL when the event has no such field.
 * The pointer stays valid until the next event. NOTE: only ASCII letters are
 * folded, so a non-ASCII letter in a rule matches only the same case.
 */
const char *fields_get(struct match_ctx *ctx, int field, bool lower, size_t *len)
{
    struct field_cache_slot *slot = &ctx->cache[field];
    if (slot->generation != ctx->generation) {
        slot->generation = ctx->generation;
        slot->raw = lookup_raw(ctx, field);
        slot->lower = NULL;
        slot->len = slot->raw != NULL ? strlen(slot->raw) : 0;
    }
    if (slot->raw == NULL) {
        return NULL;
    }
    *len = slot->len;
    if (!lower) {
        return slot->raw;
    }
    if (slot->lower == NULL) {
        char *p = scratch_alloc(ctx->scratch, slot->len + 1);
        if (p == NULL) {
            return slot->raw;
        }
        for (size_t i = 0; i <= slot->len; i++) {
            p[i] = (char)tolower((unsigned char)slot->raw[i]);
        }
        slot->lower = p;
    }
    return slot->lower;
}
