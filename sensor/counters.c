/* Named event counters kept in a fixed table. */
#include "counters.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

struct ctr_entry {
    char name[48];
    ctr_value_t value;
};

/* Guards ctr_table and ctr_count; the values are atomics and need no lock. */
static pthread_mutex_t ctr_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ctr_entry ctr_table[CTR_MAX];
static size_t ctr_count;
static ctr_value_t ctr_overflow;

/* Returns the entry of name, or NULL; the caller holds ctr_lock. */
static struct ctr_entry *ctr_find(const char *name)
{
    for (size_t i = 0; i < ctr_count; i++) {
        if (strcmp(ctr_table[i].name, name) == 0) {
            return &ctr_table[i];
        }
    }
    return NULL;
}

ctr_value_t *ctr_slot(const char *name)
{
    pthread_mutex_lock(&ctr_lock);
    struct ctr_entry *e = ctr_find(name);
    if (e == NULL && ctr_count < CTR_MAX && strlen(name) < sizeof(ctr_table[0].name)) {
        e = &ctr_table[ctr_count];
        memcpy(e->name, name, strlen(name) + 1);
        atomic_init(&e->value, 0);
        ctr_count++;
    }
    pthread_mutex_unlock(&ctr_lock);
    return e != NULL ? &e->value : &ctr_overflow;
}

void ctr_add(const char *name, uint64_t n)
{
    ctr_bump(ctr_slot(name), n);
}

uint64_t ctr_value(const char *name)
{
    pthread_mutex_lock(&ctr_lock);
    struct ctr_entry *e = ctr_find(name);
    uint64_t value = e != NULL ? atomic_load_explicit(&e->value, memory_order_relaxed) : 0;
    pthread_mutex_unlock(&ctr_lock);
    return value;
}

void ctr_reset_all(void)
{
    pthread_mutex_lock(&ctr_lock);
    for (size_t i = 0; i < ctr_count; i++) {
        atomic_store_explicit(&ctr_table[i].value, 0, memory_order_relaxed);
    }
    atomic_store_explicit(&ctr_overflow, 0, memory_order_relaxed);
    pthread_mutex_unlock(&ctr_lock);
}

/* A counter's name and its value when ctr_write() read it. */
struct ctr_reading {
    const char *name;
    uint64_t value;
};

static int ctr_compare(const void *a, const void *b)
{
    const struct ctr_reading *x = a;
    const struct ctr_reading *y = b;
    return strcmp(x->name, y->name);
}

void ctr_write(FILE *out, const char *prefix, bool json)
{
    struct ctr_reading sorted[CTR_MAX];
    size_t n = 0;
    size_t prefix_len = prefix != NULL ? strlen(prefix) : 0;
    pthread_mutex_lock(&ctr_lock);
    for (size_t i = 0; i < ctr_count; i++) {
        uint64_t value = atomic_load_explicit(&ctr_table[i].value, memory_order_relaxed);
        if (value != 0 && strncmp(ctr_table[i].name, prefix ? prefix : "", prefix_len) == 0) {
            sorted[n].name = ctr_table[i].name;
            sorted[n].value = value;
            n++;
        }
    }
    pthread_mutex_unlock(&ctr_lock);
    uint64_t overflow = atomic_load_explicit(&ctr_overflow, memory_order_relaxed);
    qsort(sorted, n, sizeof(sorted[0]), ctr_compare);
    if (json) {
        putc('{', out);
    }
    for (size_t i = 0; i < n; i++) {
        if (json) {
            if (i != 0) {
                putc(',', out);
            }
            json_write_string(out, sorted[i].name);
            fprintf(out, ":%llu", (unsigned long long)sorted[i].value);
        } else {
            fprintf(out, "%s %llu\n", sorted[i].name, (unsigned long long)sorted[i].value);
        }
    }
    if (overflow != 0) {
        if (json) {
            fprintf(out, "%s\"counters.overflow\":%llu", n != 0 ? "," : "",
                    (unsigned long long)overflow);
        } else {
            fprintf(out, "counters.overflow %llu\n", (unsigned long long)overflow);
        }
    }
    if (json) {
        fputs("}\n", out);
    }
}
