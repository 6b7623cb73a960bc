/* Named event counters kept in a fixed table. */
#include "counters.h"

#include <stdlib.h>
#include <string.h>

#include "event.h"

struct ctr_entry {
    char name[48];
    uint64_t value;
};

static struct ctr_entry ctr_table[CTR_MAX];
static size_t ctr_count;
static uint64_t ctr_overflow;

uint64_t *ctr_slot(const char *name)
{
    for (size_t i = 0; i < ctr_count; i++) {
        if (strcmp(ctr_table[i].name, name) == 0) {
            return &ctr_table[i].value;
        }
    }
    if (ctr_count == CTR_MAX || strlen(name) >= sizeof(ctr_table[0].name)) {
        return &ctr_overflow;
    }
    struct ctr_entry *e = &ctr_table[ctr_count++];
    memcpy(e->name, name, strlen(name) + 1);
    e->value = 0;
    return &e->value;
}

void ctr_add(const char *name, uint64_t n)
{
    *ctr_slot(name) += n;
}

uint64_t ctr_value(const char *name)
{
    for (size_t i = 0; i < ctr_count; i++) {
        if (strcmp(ctr_table[i].name, name) == 0) {
            return ctr_table[i].value;
        }
    }
    return 0;
}

void ctr_reset_all(void)
{
    for (size_t i = 0; i < ctr_count; i++) {
        ctr_table[i].value = 0;
    }
    ctr_overflow = 0;
}

static int ctr_compare(const void *a, const void *b)
{
    const struct ctr_entry *const *x = a;
    const struct ctr_entry *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

void ctr_write(FILE *out, const char *prefix, bool json)
{
    const struct ctr_entry *sorted[CTR_MAX];
    size_t n = 0;
    size_t prefix_len = prefix != NULL ? strlen(prefix) : 0;
    for (size_t i = 0; i < ctr_count; i++) {
        if (ctr_table[i].value != 0 && strncmp(ctr_table[i].name, prefix ? prefix : "", prefix_len) == 0) {
            sorted[n++] = &ctr_table[i];
        }
    }
    qsort(sorted, n, sizeof(sorted[0]), ctr_compare);
    if (json) {
        putc('{', out);
    }
    for (size_t i = 0; i < n; i++) {
        if (json) {
            if (i != 0) {
                putc(',', out);
            }
            json_write_string(out, sorted[i]->name);
            fprintf(out, ":%llu", (unsigned long long)sorted[i]->value);
        } else {
            fprintf(out, "%s %llu\n", sorted[i]->name, (unsigned long long)sorted[i]->value);
        }
    }
    if (ctr_overflow != 0) {
        if (json) {
            fprintf(out, "%s\"counters.overflow\":%llu", n != 0 ? "," : "",
                    (unsigned long long)ctr_overflow);
        } else {
            fprintf(out, "counters.overflow %llu\n", (unsigned long long)ctr_overflow);
        }
    }
    if (json) {
        fputs("}\n", out);
    }
}
