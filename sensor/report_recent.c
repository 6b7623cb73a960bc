/*
 * The recent events of the HTML report: events past the embedding cap, kept so
 * that an alert raised soon after them can still show their fields. Each event
 * is flattened into a slot whose buffer is reused when the slot is overwritten,
 * so steady-state collection allocates nothing.
 */
#include "report_internal.h"

#include <stdlib.h>
#include <string.h>

/* Mixes the three key parts into a 32-bit hash (the fmix64 finaliser of MurmurHash3). */
static uint32_t key_hash(const struct report_event_key *key)
{
    uint64_t h = key->record ^ ((uint64_t)key->input_id << 32) ^ key->event_id;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return (uint32_t)h;
}

static bool key_equal(const struct report_event_key *a, const struct report_event_key *b)
{
    return a->input_id == b->input_id && a->event_id == b->event_id && a->record == b->record;
}

/* Appends name and value, each with its NUL, to the slot's text buffer. */
static bool slot_append(struct report_recent_event *slot, const char *name, const char *value)
{
    size_t name_len = strlen(name) + 1;
    size_t value_len = strlen(value) + 1;
    size_t need = (size_t)slot->text_len + name_len + value_len;
    if (need > UINT32_MAX) {
        return false;
    }
    if (need > slot->text_cap) {
        size_t cap = slot->text_cap != 0 ? slot->text_cap : 512;
        while (cap < need) {
            cap *= 2;
        }
        char *grown = realloc(slot->text, cap);
        if (grown == NULL) {
            return false;
        }
        slot->text = grown;
        slot->text_cap = (uint32_t)WA_MIN(cap, (size_t)UINT32_MAX);
    }
    memcpy(slot->text + slot->text_len, name, name_len);
    memcpy(slot->text + slot->text_len + name_len, value, value_len);
    slot->text_len = (uint32_t)need;
    return true;
}

/* Copies ev into slot, reusing its buffer. Returns false when the buffer cannot grow. */
static bool slot_fill(struct report_recent_event *slot, const struct report_event_key *key,
                      const struct event *ev)
{
    slot->key = *key;
    slot->time_us = ev->time_us;
    slot->origin = ev->origin;
    slot->input = ev->input;
    slot->text_len = 0;
    for (int list = 0; list < 2; list++) {
        slot->field_count[list] = ev->lists[list].count;
        for (uint32_t i = 0; i < ev->lists[list].count; i++) {
            if (!slot_append(slot, event_name_at(ev, (enum event_list)list, i),
                             event_value_at(ev, (enum event_list)list, i))) {
                return false;
            }
        }
    }
    return true;
}

/* Inserts slot number index of half into the half's hash index. */
static void half_index_put(struct report_recent_half *half, uint32_t index)
{
    uint32_t mask = REPORT_RECENT_EVENTS - 1;
    uint32_t i = key_hash(&half->events[index].key) & mask;
    while (half->index[i] != 0) {
        i = (i + 1) & mask;
    }
    half->index[i] = index + 1;
}

void report_recent_add(struct report *rep, const struct report_event_key *key,
                       const struct event *ev)
{
    struct report_recent_half *half = &rep->recent[rep->recent_current];
    if (half->count == WA_ARRAY_LEN(half->events)) {
        /* The other half contains the oldest recent events: overwrite them. */
        rep->recent_current ^= 1u;
        half = &rep->recent[rep->recent_current];
        half->count = 0;
        memset(half->index, 0, sizeof(half->index));
    }
    if (slot_fill(&half->events[half->count], key, ev)) {
        half_index_put(half, half->count);
        half->count++;
    }
}

const struct report_recent_event *report_recent_find(const struct report *rep,
                                                     const struct report_event_key *key)
{
    uint32_t mask = REPORT_RECENT_EVENTS - 1;
    for (int h = 0; h < 2; h++) {
        const struct report_recent_half *half = &rep->recent[h];
        for (uint32_t i = key_hash(key) & mask; half->index[i] != 0; i = (i + 1) & mask) {
            const struct report_recent_event *slot = &half->events[half->index[i] - 1];
            if (key_equal(&slot->key, key)) {
                return slot;
            }
        }
    }
    return NULL;
}

const char *report_recent_field(const struct report_recent_event *slot, const char *name)
{
    const char *p = slot->text;
    for (uint32_t i = 0; i < slot->field_count[EVENT_DATA]; i++) {
        const char *value = p + strlen(p) + 1;
        if (strcmp(p, name) == 0) {
            return value;
        }
        p = value + strlen(value) + 1;
    }
    return NULL;
}

struct event *report_recent_rebuild(const struct report_recent_event *slot)
{
    struct event *ev = event_new(slot->key.event_id, slot->time_us, slot->origin);
    if (ev == NULL) {
        return NULL;
    }
    ev->input = slot->input;
    ev->record = slot->key.record;
    const char *p = slot->text;
    for (int list = 0; list < 2; list++) {
        for (uint32_t i = 0; i < slot->field_count[list]; i++) {
            const char *value = p + strlen(p) + 1;
            if (event_set(ev, (enum event_list)list, p, value) != WA_OK) {
                event_free(ev);
                return NULL;
            }
            p = value + strlen(value) + 1;
        }
    }
    return ev;
}

void report_recent_free(struct report *rep)
{
    for (int h = 0; h < 2; h++) {
        for (size_t i = 0; i < WA_ARRAY_LEN(rep->recent[h].events); i++) {
            free(rep->recent[h].events[i].text);
        }
    }
}
