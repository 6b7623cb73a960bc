/* Named event counters (such as "smb2.malformed"), reported in the run summary. */
#ifndef WA_COUNTERS_H
#define WA_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Counters are process-wide and single-threaded. A name is registered on first
 * use and keeps its slot for the life of the process; names are "module.what"
 * in lower case. At most CTR_MAX names exist; past that, ctr_slot() returns a
 * shared overflow slot counted under "counters.overflow".
 */
#define CTR_MAX 512

/* Returns the stable slot for name, registering it on first use. Never NULL. */
uint64_t *ctr_slot(const char *name);

/* Adds n to the counter name. */
void ctr_add(const char *name, uint64_t n);

/* Returns the value of name, 0 if it was never registered. */
uint64_t ctr_value(const char *name);

/* Sets every registered counter back to zero (tests and per-run resets). */
void ctr_reset_all(void);

/*
 * Writes every nonzero counter whose name starts with prefix (NULL for all),
 * as "name value" lines, or as one JSON object when json is true.
 */
void ctr_write(FILE *out, const char *prefix, bool json);

/* Increments a counter, caching its slot in a static at the call site. */
#define CTR_INC(name)                                                                          \
    do {                                                                                       \
        static uint64_t *ctr_cached_slot_;                                                     \
        if (ctr_cached_slot_ == NULL) {                                                        \
            ctr_cached_slot_ = ctr_slot(name);                                                 \
        }                                                                                      \
        (*ctr_cached_slot_)++;                                                                 \
    } while (0)

/* Adds n to a counter, caching its slot in a static at the call site. */
#define CTR_ADD(name, n)                                                                       \
    do {                                                                                       \
        static uint64_t *ctr_cached_slot_;                                                     \
        if (ctr_cached_slot_ == NULL) {                                                        \
            ctr_cached_slot_ = ctr_slot(name);                                                 \
        }                                                                                      \
        *ctr_cached_slot_ += (n);                                                              \
    } while (0)

#endif
