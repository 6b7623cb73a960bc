/* Collection for the HTML report: totals, timeline bins, hosts, sources and embedded events. */
#include "report_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* FNV-1a, 32-bit. */
static uint32_t strmap_hash(const char *key)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h;
}

bool report_strmap_find(const struct report_strmap *map, const char *key, uint32_t *value)
{
    if (map->cap == 0) {
        return false;
    }
    uint32_t mask = map->cap - 1;
    for (uint32_t i = strmap_hash(key) & mask;; i = (i + 1) & mask) {
        if (map->keys[i] == NULL) {
            return false;
        }
        if (strcmp(map->keys[i], key) == 0) {
            *value = map->values[i];
            return true;
        }
    }
}

/* Moves the entries into tables of twice the size. Returns false when out of memory. */
static bool strmap_grow(struct report_strmap *map)
{
    uint32_t cap = map->cap != 0 ? map->cap * 2 : 64;
    char **keys = calloc(cap, sizeof(*keys));
    uint32_t *values = calloc(cap, sizeof(*values));
    if (keys == NULL || values == NULL) {
        free(keys);
        free(values);
        return false;
    }
    for (uint32_t i = 0; i < map->cap; i++) {
        if (map->keys[i] == NULL) {
            continue;
        }
        uint32_t j = strmap_hash(map->keys[i]) & (cap - 1);
        while (keys[j] != NULL) {
            j = (j + 1) & (cap - 1);
        }
        keys[j] = map->keys[i];
        values[j] = map->values[i];
    }
    free(map->keys);
    free(map->values);
    map->keys = keys;
    map->values = values;
    map->cap = cap;
    return true;
}

bool report_strmap_put(struct report_strmap *map, const char *key, uint32_t value)
{
    /* Keep the load factor at or below one half so probe sequences stay short. */
    if ((map->count + 1) * 2 > map->cap && !strmap_grow(map)) {
        return false;
    }
    uint32_t mask = map->cap - 1;
    uint32_t i = strmap_hash(key) & mask;
    while (map->keys[i] != NULL) {
        if (strcmp(map->keys[i], key) == 0) {
            map->values[i] = value;
            return true;
        }
        i = (i + 1) & mask;
    }
    map->keys[i] = strdup(key);
    if (map->keys[i] == NULL) {
        return false;
    }
    map->values[i] = value;
    map->count++;
    return true;
}

void report_strmap_clear(struct report_strmap *map)
{
    for (uint32_t i = 0; i < map->cap; i++) {
        free(map->keys[i]);
        map->keys[i] = NULL;
    }
    map->count = 0;
}

void report_strmap_free(struct report_strmap *map)
{
    report_strmap_clear(map);
    free(map->keys);
    free(map->values);
    map->keys = NULL;
    map->values = NULL;
    map->cap = 0;
}

enum report_kind report_kind_of(uint32_t event_id)
{
    switch (event_id) {
    case 5140:
        return REPORT_KIND_SHARE;
    case 5145:
        return REPORT_KIND_FILE;
    case 4624:
        return REPORT_KIND_LOGON;
    case 4625:
        return REPORT_KIND_LOGON_FAILURE;
    case 7045:
    case 4697:
        return REPORT_KIND_SERVICE;
    case 4698:
    case 4699:
    case 4700:
    case 4701:
    case 4702:
        return REPORT_KIND_TASK;
    case 5712:
        return REPORT_KIND_RPC;
    default:
        return REPORT_KIND_OTHER;
    }
}

const char *report_kind_name(enum report_kind kind)
{
    static const char *const names[REPORT_KIND_COUNT] = {
        "share connect (5140)",
        "share object access (5145)",
        "logon (4624)",
        "failed logon (4625)",
        "service install (7045, 4697)",
        "scheduled task (4698-4702)",
        "RPC call (5712)",
        "other",
    };
    return kind < REPORT_KIND_COUNT ? names[kind] : "other";
}

static const char *const level_names[REPORT_LEVEL_COUNT] = {
    "informational", "low", "medium", "high", "critical", "unknown",
};

enum report_level report_level_parse(const char *level)
{
    if (level != NULL) {
        for (int i = 0; i < REPORT_LEVEL_UNKNOWN; i++) {
            if (strcmp(level, level_names[i]) == 0) {
                return (enum report_level)i;
            }
        }
    }
    return REPORT_LEVEL_UNKNOWN;
}

const char *report_level_name(enum report_level level)
{
    return level < REPORT_LEVEL_COUNT ? level_names[level] : "unknown";
}

const char *report_event_id_title(uint32_t event_id)
{
    switch (event_id) {
    case 4624:
        return "An account was successfully logged on";
    case 4625:
        return "An account failed to log on";
    case 4697:
        return "A service was installed in the system";
    case 4698:
        return "A scheduled task was created";
    case 4699:
        return "A scheduled task was deleted";
    case 4702:
        return "A scheduled task was updated";
    case 5140:
        return "A network share object was accessed";
    case 5145:
        return "A network share object was checked for access";
    case 5712:
        return "A Remote Procedure Call (RPC) was attempted";
    case 7045:
        return "A service was installed in the system (System log)";
    default:
        return "";
    }
}

/* Floor division, correct for negative times. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Rebins every host from (origin_us, width_us) to a wider grid that covers the old span and t. */
static void timeline_widen(struct report *rep, int64_t t)
{
    int64_t old_end = rep->origin_us + (int64_t)REPORT_BINS * rep->width_us;
    int64_t low = WA_MIN(rep->origin_us, t);
    int64_t high = WA_MAX(old_end - 1, t);
    int64_t width = rep->width_us;
    int64_t origin;
    do {
        width *= 2;
        origin = floor_div(low, width) * width;
    } while (high - origin >= (int64_t)REPORT_BINS * width);

    /* The new width is a multiple of the old one and origin is aligned to it, so old bins nest. */
    for (uint32_t h = 0; h < rep->host_count; h++) {
        for (int k = 0; k < REPORT_KIND_COUNT; k++) {
            uint32_t *bins = rep->hosts[h].bins[k];
            uint32_t rebinned[REPORT_BINS] = {0};
            for (int i = 0; i < REPORT_BINS; i++) {
                int64_t start = rep->origin_us + i * rep->width_us;
                size_t j = (size_t)((start - origin) / width);
                uint64_t sum = (uint64_t)rebinned[j] + bins[i];
                rebinned[j] = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
            }
            memcpy(bins, rebinned, sizeof(rebinned));
        }
    }
    rep->origin_us = origin;
    rep->width_us = width;
}

/*
 * Event times the timeline accepts: 1990-01-01 to 2100-01-01 UTC. Outside
 * that, a time is almost surely a zero or garbled timestamp (a FILETIME of 0
 * is 1601), and one such event would stretch the grid until every real event
 * shared a bin. The bounds also keep the grid arithmetic far from overflow.
 */
#define TIMELINE_FIRST_US (631152000LL * 1000000)
#define TIMELINE_LAST_US (4102444800LL * 1000000)

/*
 * Returns the timeline bin of t, widening the bins first when t falls outside
 * them, or SIZE_MAX when t is outside the accepted range.
 */
static size_t timeline_bin(struct report *rep, int64_t t)
{
    if (t < TIMELINE_FIRST_US || t >= TIMELINE_LAST_US) {
        return SIZE_MAX;
    }
    if (!rep->timeline_started) {
        rep->timeline_started = true;
        rep->width_us = 1000;
        rep->origin_us = floor_div(t, rep->width_us) * rep->width_us;
    }
    int64_t end = rep->origin_us + (int64_t)REPORT_BINS * rep->width_us;
    if (t < rep->origin_us || t >= end) {
        timeline_widen(rep, t);
    }
    return (size_t)((t - rep->origin_us) / rep->width_us);
}

/* Appends a host with the given name. Returns its index, or UINT32_MAX when out of memory. */
static uint32_t host_append(struct report *rep, const char *name)
{
    if (rep->host_count == rep->host_cap) {
        uint32_t cap = rep->host_cap != 0 ? rep->host_cap * 2 : 16;
        struct report_host *grown = realloc(rep->hosts, cap * sizeof(*grown));
        if (grown == NULL) {
            return UINT32_MAX;
        }
        rep->hosts = grown;
        rep->host_cap = cap;
    }
    struct report_host *host = &rep->hosts[rep->host_count];
    memset(host, 0, sizeof(*host));
    host->name = strdup(name);
    if (host->name == NULL) {
        return UINT32_MAX;
    }
    host->first_us = INT64_MAX;
    host->last_us = INT64_MIN;
    return rep->host_count++;
}

/*
 * Returns the host index for a Computer name ("" when the event has none),
 * adding it if new. Past REPORT_HOSTS_MAX - 1 names, or when out of memory,
 * returns the shared "other hosts" index.
 */
/*
 * Writes the lane key of a Computer name into key: the lower-case host part
 * before the first dot, so that "WORKSTATION6" (a wire event) and
 * "workstation6.theshire.local" (a host log) share a lane. Addresses are kept
 * whole. NOTE: hosts with one short name in two domains share a lane too.
 */
static void host_key(const char *name, char *key, size_t size)
{
    bool address = strchr(name, ':') != NULL || strspn(name, "0123456789.") == strlen(name);
    size_t n = 0;
    for (; name[n] != '\0' && n + 1 < size; n++) {
        if (!address && name[n] == '.') {
            break;
        }
        key[n] = address ? name[n] : (char)tolower((unsigned char)name[n]);
    }
    key[n] = '\0';
}

uint32_t report_host_index(struct report *rep, const char *name)
{
    uint32_t index;
    char key[256];
    host_key(name, key, sizeof(key));
    if (report_strmap_find(&rep->host_index, key, &index)) {
        struct report_host *host = &rep->hosts[index];
        /* Show the fully qualified form once one event carries it. */
        if (strlen(name) > strlen(host->name) && index != rep->other_hosts_index) {
            char *longer = strdup(name);
            if (longer != NULL) {
                free(host->name);
                host->name = longer;
            }
        }
        return index;
    }
    if (rep->host_count < REPORT_HOSTS_MAX - 1) {
        index = host_append(rep, name);
        if (index != UINT32_MAX && report_strmap_put(&rep->host_index, key, index)) {
            return index;
        }
    }
    if (rep->other_hosts_index == UINT32_MAX) {
        rep->other_hosts_index = host_append(rep, "(other hosts)");
    }
    return rep->other_hosts_index;
}

/* Returns the event's source address: IpAddress, else RemoteIpAddress; NULL for none or "-". */
static const char *event_source_address(const struct event *ev)
{
    const char *addr = event_field(ev, "IpAddress");
    if (addr == NULL || addr[0] == '\0' || strcmp(addr, "-") == 0) {
        addr = event_field(ev, "RemoteIpAddress");
    }
    if (addr == NULL || addr[0] == '\0' || strcmp(addr, "-") == 0) {
        return NULL;
    }
    return addr;
}

/* Returns the source record for addr, adding it if new; NULL when the table is full. */
static struct report_source *source_get(struct report *rep, const char *addr)
{
    uint32_t index;
    if (report_strmap_find(&rep->source_index, addr, &index)) {
        return &rep->sources[index];
    }
    if (rep->source_count == REPORT_SOURCES_MAX) {
        return NULL;
    }
    if (rep->source_count == rep->source_cap) {
        uint32_t cap = rep->source_cap != 0 ? rep->source_cap * 2 : 16;
        struct report_source *grown = realloc(rep->sources, cap * sizeof(*grown));
        if (grown == NULL) {
            return NULL;
        }
        rep->sources = grown;
        rep->source_cap = cap;
    }
    struct report_source *src = &rep->sources[rep->source_count];
    memset(src, 0, sizeof(*src));
    src->address = strdup(addr);
    if (src->address == NULL || !report_strmap_put(&rep->source_index, addr, rep->source_count)) {
        free(src->address);
        return NULL;
    }
    src->first_us = INT64_MAX;
    src->last_us = INT64_MIN;
    rep->source_count++;
    return src;
}

/* Adds "DOMAIN\user" (or "user") of the event to the source's user list. */
static void source_add_user(struct report_source *src, const struct event *ev)
{
    const char *user = event_field(ev, "TargetUserName");
    const char *domain = event_field(ev, "TargetDomainName");
    if (user == NULL || user[0] == '\0' || strcmp(user, "-") == 0) {
        user = event_field(ev, "SubjectUserName");
        domain = event_field(ev, "SubjectDomainName");
    }
    if (user == NULL || user[0] == '\0' || strcmp(user, "-") == 0) {
        return;
    }
    char name[256];
    if (domain != NULL && domain[0] != '\0' && strcmp(domain, "-") != 0) {
        snprintf(name, sizeof(name), "%s\\%s", domain, user);
    } else {
        snprintf(name, sizeof(name), "%s", user);
    }
    for (uint32_t i = 0; i < src->user_count; i++) {
        if (strcmp(src->users[i], name) == 0) {
            return;
        }
    }
    if (src->user_count == REPORT_SOURCE_USERS_MAX) {
        src->users_truncated = true;
        return;
    }
    src->users[src->user_count] = strdup(name);
    if (src->users[src->user_count] != NULL) {
        src->user_count++;
    }
}

static void source_collect(struct report *rep, const struct event *ev, uint32_t host)
{
    const char *addr = event_source_address(ev);
    if (addr == NULL) {
        return;
    }
    struct report_source *src = source_get(rep, addr);
    if (src == NULL) {
        rep->sources_dropped++;
        return;
    }
    src->events++;
    src->first_us = WA_MIN(src->first_us, ev->time_us);
    src->last_us = WA_MAX(src->last_us, ev->time_us);
    source_add_user(src, ev);
    for (uint32_t i = 0; i < src->host_count; i++) {
        if (src->hosts[i].host == host) {
            src->hosts[i].events++;
            return;
        }
    }
    if (src->host_count == REPORT_SOURCE_HOSTS_MAX) {
        src->hosts_truncated = true;
        return;
    }
    src->hosts[src->host_count].host = host;
    src->hosts[src->host_count].events = 1;
    src->host_count++;
}

static void totals_collect(struct report *rep, const struct event *ev)
{
    rep->events_total++;
    rep->events_by_origin[ev->origin == EVENT_ORIGIN_HOST ? 1 : 0]++;
    if (ev->link != 0) {
        rep->events_linked++;
    }
    rep->first_us = WA_MIN(rep->first_us, ev->time_us);
    rep->last_us = WA_MAX(rep->last_us, ev->time_us);
    for (uint32_t i = 0; i < rep->event_id_count; i++) {
        if (rep->event_ids[i].event_id == ev->event_id) {
            rep->event_ids[i].count++;
            return;
        }
    }
    if (rep->event_id_count == REPORT_EVENT_IDS_MAX) {
        rep->events_other_ids++;
        return;
    }
    rep->event_ids[rep->event_id_count].event_id = ev->event_id;
    rep->event_ids[rep->event_id_count].count = 1;
    rep->event_id_count++;
}

/* Finds the number of an input name (NULL is the same as ""); false when it has none yet. */
bool report_input_id(const struct report *rep, const char *input, uint32_t *id)
{
    return report_strmap_find(&rep->input_ids, input != NULL ? input : "", id);
}

/*
 * Fills key with the facts alerts name their contributing events by: input,
 * frame or record, EventID. With add_input a new input name gets the next
 * number; without it, an unknown input returns false.
 */
bool report_event_key(struct report *rep, const char *input, bool add_input, uint64_t record,
                      uint32_t event_id, struct report_event_key *key)
{
    uint32_t input_id;
    const char *name = input != NULL ? input : "";
    if (!report_input_id(rep, input, &input_id)) {
        input_id = rep->input_ids.count;
        if (!add_input || !report_strmap_put(&rep->input_ids, name, input_id)) {
            return false;
        }
    }
    key->input_id = input_id;
    key->event_id = event_id;
    key->record = record;
    return true;
}

/* Writes key as the text key of the embedded-event map: "input/record/EventID". */
static void event_key_text(const struct report_event_key *key, char *text, size_t size)
{
    snprintf(text, size, "%u/%llu/%u", key->input_id, (unsigned long long)key->record,
             key->event_id);
}

/* Copies ev into the embedded events. Returns false when out of memory. */
static bool event_embed(struct report *rep, const struct report_event_key *key,
                        const struct event *ev)
{
    if (rep->embedded_count == rep->embedded_cap) {
        uint32_t cap = WA_MIN(rep->embedded_cap != 0 ? rep->embedded_cap * 2 : 256, rep->embed_max);
        struct event **grown = realloc(rep->embedded, cap * sizeof(*grown));
        if (grown == NULL) {
            return false;
        }
        rep->embedded = grown;
        rep->embedded_cap = cap;
    }
    struct event *copy = event_clone(ev);
    if (copy == NULL) {
        return false;
    }
    char text[64];
    event_key_text(key, text, sizeof(text));
    rep->embedded[rep->embedded_count] = copy;
    report_strmap_put(&rep->embedded_index, text, rep->embedded_count);
    rep->embedded_count++;
    return true;
}

/* Keeps a copy of ev: among the embedded events while under the cap, else in the recent buffer. */
static void event_keep(struct report *rep, const struct event *ev)
{
    struct report_event_key key;
    if (!report_event_key(rep, ev->input, true, ev->record, ev->event_id, &key)) {
        return;
    }
    if (rep->embedded_count < rep->embed_max) {
        event_embed(rep, &key, ev);
        return;
    }
    if (rep->embedded_skipped == 0) {
        rep->first_skipped_us = ev->time_us;
    }
    rep->embedded_skipped++;
    report_recent_add(rep, &key, ev);
}

void report_collect_event(struct report *rep, const struct event *ev)
{
    totals_collect(rep, ev);
    const char *computer = event_field(ev, "Computer");
    uint32_t host_index = report_host_index(rep, computer != NULL ? computer : "");
    if (host_index == UINT32_MAX) {
        return;
    }
    if (host_index == rep->other_hosts_index) {
        rep->events_folded++;
    }
    size_t bin = timeline_bin(rep, ev->time_us);
    struct report_host *host = &rep->hosts[host_index];
    if (bin == SIZE_MAX) {
        rep->events_untimed++;
    } else if (host->bins[report_kind_of(ev->event_id)][bin] != UINT32_MAX) {
        host->bins[report_kind_of(ev->event_id)][bin]++;
    }
    host->events++;
    host->first_us = WA_MIN(host->first_us, ev->time_us);
    host->last_us = WA_MAX(host->last_us, ev->time_us);
    source_collect(rep, ev, host_index);
    event_keep(rep, ev);
}

/* Returns the embedded event with this key, or NULL. Embedded events live as long as the report. */
const struct event *report_find_embedded(const struct report *rep,
                                         const struct report_event_key *key)
{
    char text[64];
    uint32_t index;
    event_key_text(key, text, sizeof(text));
    if (report_strmap_find(&rep->embedded_index, text, &index)) {
        return rep->embedded[index];
    }
    return NULL;
}

void report_data_free(struct report *rep)
{
    for (uint32_t i = 0; i < rep->input_count; i++) {
        free(rep->inputs[i].path);
        free(rep->inputs[i].kind);
    }
    free(rep->inputs);
    for (uint32_t i = 0; i < rep->host_count; i++) {
        free(rep->hosts[i].name);
    }
    free(rep->hosts);
    report_strmap_free(&rep->host_index);
    for (uint32_t i = 0; i < rep->source_count; i++) {
        free(rep->sources[i].address);
        for (uint32_t u = 0; u < rep->sources[i].user_count; u++) {
            free(rep->sources[i].users[u]);
        }
    }
    free(rep->sources);
    report_strmap_free(&rep->source_index);
    report_alerts_free(rep);
    for (uint32_t i = 0; i < rep->embedded_count; i++) {
        event_free(rep->embedded[i]);
    }
    free(rep->embedded);
    report_strmap_free(&rep->embedded_index);
    report_strmap_free(&rep->input_ids);
    report_recent_free(rep);
}
