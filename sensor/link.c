/* Host/wire linking: a bounded window of recent unlinked events, looked up by key hash. */
#include "link.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "counters.h"
#include "options.h"

/* ---- Keys ---- */

struct key_rule {
    uint32_t event_id;
    const char *const *fields;
    size_t count;
};

static const char *const fields_5140[] = {"Computer", "ShareName", "AccessMask", "IpAddress"};
static const char *const fields_5145[] = {"Computer", "ShareName", "RelativeTargetName",
                                          "AccessMask", "IpAddress"};
static const char *const fields_logon[] = {"Computer", "TargetUserName", "IpAddress"};
static const char *const fields_7045[] = {"Computer", "ImagePath"};
static const char *const fields_4697[] = {"Computer", "ServiceFileName"};
static const char *const fields_4698[] = {"Computer", "TaskName"};
static const char *const fields_5712[] = {"Computer", "InterfaceUuid", "OpNum"};

static const struct key_rule key_rules[] = {
    {5140, fields_5140, WA_ARRAY_LEN(fields_5140)},
    {5145, fields_5145, WA_ARRAY_LEN(fields_5145)},
    {4624, fields_logon, WA_ARRAY_LEN(fields_logon)},
    {4625, fields_logon, WA_ARRAY_LEN(fields_logon)},
    {7045, fields_7045, WA_ARRAY_LEN(fields_7045)},
    {4697, fields_4697, WA_ARRAY_LEN(fields_4697)},
    {4698, fields_4698, WA_ARRAY_LEN(fields_4698)},
    {5712, fields_5712, WA_ARRAY_LEN(fields_5712)},
};

const char *const *link_key_fields(uint32_t event_id, size_t *count)
{
    for (size_t i = 0; i < WA_ARRAY_LEN(key_rules); i++) {
        if (key_rules[i].event_id == event_id) {
            *count = key_rules[i].count;
            return key_rules[i].fields;
        }
    }
    *count = 0;
    return NULL;
}

/* FNV-1a over bytes, lower-cased when fold is set. */
static uint64_t hash_bytes(uint64_t h, const char *s, size_t n, bool fold)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        h ^= fold ? (unsigned char)tolower(c) : c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t hash_u64(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (i * 8)) & 0xff;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Adds one key field to h in its compared form, then a separator. */
static uint64_t hash_field(uint64_t h, const char *name, const char *value)
{
    if (value == NULL) {
        value = "";
    }
    if (strcmp(name, "AccessMask") == 0) {
        char *end = NULL;
        unsigned long long mask = strtoull(value, &end, 0);
        if (end != value && *end == '\0') {
            return hash_u64(h, mask) ^ 0x1f;
        }
    }
    if (strcmp(name, "IpAddress") == 0 && strncasecmp(value, "::ffff:", 7) == 0 &&
        strchr(value + 7, '.') != NULL) {
        value += 7;
    }
    size_t n = strlen(value);
    if (strcmp(name, "Computer") == 0) {
        n = strcspn(value, ".");
    }
    h = hash_bytes(h, value, n, true);
    return hash_bytes(h, "\x1f", 1, false);
}

bool link_event_key(const struct event *ev, struct link_key *key)
{
    size_t count = 0;
    const char *const *fields = link_key_fields(ev->event_id, &count);
    if (fields == NULL) {
        return false;
    }
    uint64_t h = hash_u64(0xcbf29ce484222325ULL, ev->event_id);
    for (size_t i = 0; i < count; i++) {
        h = hash_field(h, fields[i], event_field(ev, fields[i]));
    }
    const char *computer = event_field(ev, "Computer");
    if (computer == NULL) {
        computer = "";
    }
    key->hash = h;
    key->computer_hash = hash_bytes(0xcbf29ce484222325ULL, computer, strlen(computer), true);
    key->computer_has_dot = strchr(computer, '.') != NULL;
    return true;
}

bool link_keys_match(const struct link_key *a, const struct link_key *b)
{
    if (a->hash != b->hash) {
        return false;
    }
    /* Short names match any FQDN that starts with them, but two FQDNs must be equal. */
    return !a->computer_has_dot || !b->computer_has_dot || a->computer_hash == b->computer_hash;
}

/* ---- Window ---- */

/*
 * Entries sit in a ring in arrival (time) order. Positions count up forever
 * and slot = position % LINK_WINDOW_MAX. Each hash bucket chains entries from
 * the newest to the oldest through prev_pos, so a walk stops at the first
 * position that has left the window.
 */
#define LINK_BUCKETS 16384u
#define NO_POS UINT64_MAX

struct link_entry {
    struct link_key key;
    int64_t time_us;
    uint64_t seq;
    uint64_t prev_pos; /* older entry in the same bucket, or NO_POS */
    enum event_origin origin;
    bool linked;
};

struct linker {
    struct link_entry *ring;
    uint64_t head; /* position of the oldest entry still in the window */
    uint64_t tail; /* position the next entry takes */
    uint64_t buckets[LINK_BUCKETS];
};

struct linker *linker_new(void)
{
    struct linker *lk = calloc(1, sizeof(*lk));
    if (lk == NULL) {
        return NULL;
    }
    lk->ring = calloc(LINK_WINDOW_MAX, sizeof(*lk->ring));
    if (lk->ring == NULL) {
        free(lk);
        return NULL;
    }
    for (size_t i = 0; i < LINK_BUCKETS; i++) {
        lk->buckets[i] = NO_POS;
    }
    return lk;
}

void linker_free(struct linker *lk)
{
    if (lk == NULL) {
        return;
    }
    free(lk->ring);
    free(lk);
}

static struct link_entry *entry_at(struct linker *lk, uint64_t pos)
{
    return &lk->ring[pos % LINK_WINDOW_MAX];
}

/* Drops entries older than the skew before now_us. */
static void expire(struct linker *lk, int64_t now_us)
{
    while (lk->head < lk->tail && entry_at(lk, lk->head)->time_us < now_us - wa_opts.link_skew_us) {
        lk->head++;
    }
}

/* Returns the oldest unlinked entry of the other origin matching key, or NULL. */
static struct link_entry *find_twin(struct linker *lk, const struct link_key *key,
                                    enum event_origin origin)
{
    struct link_entry *best = NULL;
    uint64_t pos = lk->buckets[key->hash % LINK_BUCKETS];
    while (pos != NO_POS && pos >= lk->head) {
        struct link_entry *e = entry_at(lk, pos);
        if (!e->linked && e->origin != origin && link_keys_match(&e->key, key)) {
            best = e;
        }
        pos = e->prev_pos;
    }
    return best;
}

void linker_process(struct linker *lk, struct event *ev)
{
    struct link_key key;
    if (lk == NULL || !link_event_key(ev, &key)) {
        return;
    }
    expire(lk, ev->time_us);
    struct link_entry *twin = find_twin(lk, &key, ev->origin);
    if (twin != NULL) {
        twin->linked = true;
        ev->link = twin->seq;
        CTR_INC("link.pairs");
        return;
    }
    if (lk->tail - lk->head == LINK_WINDOW_MAX) {
        lk->head++;
        CTR_INC("link.window_full");
    }
    uint64_t pos = lk->tail++;
    struct link_entry *e = entry_at(lk, pos);
    size_t bucket = key.hash % LINK_BUCKETS;
    *e = (struct link_entry){
        .key = key,
        .time_us = ev->time_us,
        .seq = ev->seq,
        .prev_pos = lk->buckets[bucket],
        .origin = ev->origin,
        .linked = false,
    };
    lk->buckets[bucket] = pos;
}
