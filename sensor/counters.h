/* Named event counters (such as "smb2.malformed"), reported in the run summary. */
#ifndef WA_COUNTERS_H
#define WA_COUNTERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Counters are process-wide. A name is registered on first use and keeps its
 * slot for the life of the process; names are "module.what" in lower case. At
 * most CTR_MAX names exist; past that, ctr_slot() returns a shared overflow
 * slot counted under "counters.overflow".
 *
 * Two threads count: the capture thread and the thread that consumes released
 * events (see pipeline.c). Registration takes a lock. Each counter is written
 * by one thread only, so an increment is a relaxed load and store. A locked
 * read-modify-write would cost more than much of the work it counts. Any
 * thread may read any counter at any time.
 */
#define CTR_MAX 512

typedef _Atomic uint64_t ctr_value_t;

/* Returns the stable slot for name, registering it on first use. Never NULL. */
ctr_value_t *ctr_slot(const char *name);

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

/* Adds n to the counter in slot; only the thread that owns the counter calls this. */
static inline void ctr_bump(ctr_value_t *slot, uint64_t n)
{
    atomic_store_explicit(slot, atomic_load_explicit(slot, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/* Adds n to a counter, caching its slot in a static at the call site. */
#define CTR_ADD(name, n)                                                                           \
    do {                                                                                           \
        static ctr_value_t *_Atomic ctr_cached_slot_;                                              \
        ctr_value_t *ctr_s_ = atomic_load_explicit(&ctr_cached_slot_, memory_order_relaxed);       \
        if (ctr_s_ == NULL) {                                                                      \
            ctr_s_ = ctr_slot(name);                                                               \
            atomic_store_explicit(&ctr_cached_slot_, ctr_s_, memory_order_relaxed);                \
        }                                                                                          \
        ctr_bump(ctr_s_, (n));                                                                     \
    } while (0)

/* Increments a counter, caching its slot in a static at the call site. */
#define CTR_INC(name) CTR_ADD(name, 1)

#endif
