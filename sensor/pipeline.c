/*
 * Time-ordered merge of all inputs through a bounded min-heap, and the hand-off
 * of released events to the consumers.
 *
 * The consumers (event output, linking, validation, the report and the
 * correlator) run on a second thread when wa_opts.helper_threads is set, so
 * that dissection and event consumption share two cores. Released events go to
 * that thread in batches through a bounded ring, in release order, so every
 * consumer receives exactly the sequence it would receive on one thread. The consumer
 * thread owns the consumers between pipeline_run()'s start and its return;
 * pipeline_sync() lets the capture thread touch them in between.
 */
#include "pipeline.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "counters.h"
#include "options.h"
#include "thread.h"

/* Events per batch: one lock round trip per batch rather than per event. */
#define PIPELINE_BATCH 256

/* Batches in the ring; a full ring makes the capture thread wait, which bounds memory. */
#define PIPELINE_RING 16

/* A partial batch waits at most this long, so live alerts are not held back. */
#define PIPELINE_FLUSH_NS 50000000L

struct batch {
    size_t count;
    struct event *events[PIPELINE_BATCH];
};

/*
 * The ring between the threads. Batches [head, head + queued) belong to the
 * consumer thread; the batch at head + queued is filled by the capture thread.
 */
struct worker {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t ready; /* a batch was queued, or closing was set */
    pthread_cond_t space; /* a batch was consumed */
    size_t head;
    size_t queued;
    bool busy; /* the consumer thread is handling a batch */
    bool closing;
    size_t fill; /* head + queued, the batch being filled; capture thread only */
    struct timespec last_submit;
    struct batch ring[PIPELINE_RING];
};

struct pipeline {
    struct pipeline_consumers consumers;
    struct input **inputs;
    size_t input_count;
    bool *ended;
    bool *interrupted; /* ended by a stop request rather than by reaching its end */
    struct event **heap; /* min-heap on (time_us, seq) */
    size_t heap_len;
    size_t heap_cap;
    uint64_t next_seq;
    unsigned long long released;
    struct worker *worker; /* NULL: consumers run on the calling thread */
    int events_errno;      /* first failed write to events_out; written by the consuming thread */
};

struct pipeline *pipeline_new(const struct pipeline_consumers *consumers)
{
    struct pipeline *pl = calloc(1, sizeof(*pl));
    if (pl == NULL) {
        return NULL;
    }
    pl->consumers = *consumers;
    pl->next_seq = 1;
    return pl;
}

static bool event_before(const struct event *a, const struct event *b)
{
    if (a->time_us != b->time_us) {
        return a->time_us < b->time_us;
    }
    return a->seq < b->seq;
}

static void heap_swap(struct event **heap, size_t i, size_t j)
{
    struct event *t = heap[i];
    heap[i] = heap[j];
    heap[j] = t;
}

static struct event *heap_pop(struct pipeline *pl)
{
    struct event **h = pl->heap;
    struct event *top = h[0];
    h[0] = h[--pl->heap_len];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1;
        size_t r = l + 1;
        size_t m = i;
        if (l < pl->heap_len && event_before(h[l], h[m])) {
            m = l;
        }
        if (r < pl->heap_len && event_before(h[r], h[m])) {
            m = r;
        }
        if (m == i) {
            break;
        }
        heap_swap(h, i, m);
        i = m;
    }
    return top;
}

/* Hands one event to every consumer, in the order the pipeline header lists them, then frees it. */
static void consume(struct pipeline *pl, struct event *ev)
{
    const struct pipeline_consumers *c = &pl->consumers;
    if (c->linker != NULL) {
        linker_process(c->linker, ev);
    }
    if (c->events_out != NULL && !event_write_json(ev, c->events_out) && pl->events_errno == 0) {
        pl->events_errno = errno != 0 ? errno : EIO;
        fprintf(stderr, "wireaudit: %s: cannot write events: %s; later events are lost\n",
                c->events_name != NULL ? c->events_name : "events", strerror(pl->events_errno));
    }
    if (c->validator != NULL) {
        validator_add(c->validator, ev);
    }
    if (c->report != NULL) {
        report_add_event(c->report, ev);
    }
    if (c->corr != NULL) {
        corr_engine_process(c->corr, ev);
    }
    CTR_INC("events.total");
    event_free(ev);
}

static void *worker_main(void *arg)
{
    struct pipeline *pl = arg;
    struct worker *w = pl->worker;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->queued == 0 && !w->closing) {
            pthread_cond_wait(&w->ready, &w->lock);
        }
        if (w->queued == 0) {
            break;
        }
        struct batch *b = &w->ring[w->head];
        w->busy = true;
        pthread_mutex_unlock(&w->lock);
        for (size_t i = 0; i < b->count; i++) {
            consume(pl, b->events[i]);
        }
        b->count = 0;
        pthread_mutex_lock(&w->lock);
        w->busy = false;
        w->head = (w->head + 1) % PIPELINE_RING;
        w->queued--;
        pthread_cond_signal(&w->space);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Queues the batch being filled, waiting while the ring is full. */
static void worker_submit(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    w->queued++;
    pthread_cond_signal(&w->ready);
    while (w->queued == PIPELINE_RING) {
        pthread_cond_wait(&w->space, &w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    w->fill = (w->fill + 1) % PIPELINE_RING;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &w->last_submit);
}

/*
 * The batch the capture thread fills. Only the capture thread raises queued and
 * moves fill, and the consumer keeps head + queued unchanged as it takes a
 * batch, so fill stays equal to head + queued without the lock.
 */
static struct batch *worker_filling(struct worker *w)
{
    return &w->ring[w->fill];
}

/* Queues a partial batch that has waited PIPELINE_FLUSH_NS or more. */
static void worker_flush_old(struct worker *w)
{
    /* Called after every input step, so the clock is read only when there is something to send. */
    if (worker_filling(w)->count == 0) {
        return;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    long waited = (long)(now.tv_sec - w->last_submit.tv_sec) * 1000000000L +
                  (now.tv_nsec - w->last_submit.tv_nsec);
    if (waited >= PIPELINE_FLUSH_NS) {
        worker_submit(w);
    }
}

/*
 * Starts the consumer thread (see thread_start() for its signals). Returns
 * false, leaving the consumers on the calling thread, when the thread cannot
 * be started.
 */
static bool worker_start(struct pipeline *pl)
{
    struct worker *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return false;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->ready, NULL);
    pthread_cond_init(&w->space, NULL);
    clock_gettime(CLOCK_MONOTONIC_COARSE, &w->last_submit);
    pl->worker = w;
    int err = thread_start(&w->thread, worker_main, pl);
    if (err != 0) {
        fprintf(stderr,
                "wireaudit: cannot start the event thread (%s); consuming events on the "
                "capture thread\n",
                strerror(err));
        pl->worker = NULL;
        pthread_cond_destroy(&w->space);
        pthread_cond_destroy(&w->ready);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return false;
    }
    return true;
}

/* Queues what is left, waits until the consumer thread has handled all of it, and ends it. */
static void worker_stop(struct pipeline *pl)
{
    struct worker *w = pl->worker;
    if (w == NULL) {
        return;
    }
    if (worker_filling(w)->count != 0) {
        worker_submit(w);
    }
    pthread_mutex_lock(&w->lock);
    w->closing = true;
    pthread_cond_signal(&w->ready);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->space);
    pthread_cond_destroy(&w->ready);
    pthread_mutex_destroy(&w->lock);
    free(w);
    pl->worker = NULL;
}

void pipeline_sync(struct pipeline *pl)
{
    struct worker *w = pl->worker;
    if (w == NULL) {
        return;
    }
    if (worker_filling(w)->count != 0) {
        worker_submit(w);
    }
    pthread_mutex_lock(&w->lock);
    while (w->queued != 0 || w->busy) {
        pthread_cond_wait(&w->space, &w->lock);
    }
    pthread_mutex_unlock(&w->lock);
}

/* Releases one event: to the consumer thread's ring, or straight to the consumers. */
static void release(struct pipeline *pl, struct event *ev)
{
    pl->released++;
    struct worker *w = pl->worker;
    if (w == NULL) {
        consume(pl, ev);
        return;
    }
    struct batch *b = worker_filling(w);
    b->events[b->count++] = ev;
    if (b->count == PIPELINE_BATCH) {
        worker_submit(w);
    }
}

static void pipeline_emit(void *arg, struct event *ev)
{
    struct pipeline *pl = arg;
    ev->seq = pl->next_seq++;
    if (pl->heap_len == pl->heap_cap) {
        size_t cap = pl->heap_cap != 0 ? pl->heap_cap * 2 : 1024;
        struct event **grown =
            cap <= wa_opts.reorder_max_events ? realloc(pl->heap, cap * sizeof(*grown)) : NULL;
        if (grown == NULL) {
            /* Full or out of memory: release the earliest event now, out of order if need be. */
            if (pl->heap_len == 0) {
                CTR_INC("pipeline.dropped");
                event_free(ev);
                return;
            }
            CTR_INC("pipeline.forced_release");
            release(pl, heap_pop(pl));
        } else {
            pl->heap = grown;
            pl->heap_cap = cap;
        }
    }
    size_t i = pl->heap_len++;
    pl->heap[i] = ev;
    while (i > 0 && event_before(pl->heap[i], pl->heap[(i - 1) / 2])) {
        heap_swap(pl->heap, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

void pipeline_add_input(struct pipeline *pl, struct input *in)
{
    struct input **inputs = realloc(pl->inputs, (pl->input_count + 1) * sizeof(*inputs));
    bool *ended = realloc(pl->ended, (pl->input_count + 1) * sizeof(*ended));
    bool *interrupted = realloc(pl->interrupted, (pl->input_count + 1) * sizeof(*interrupted));
    if (inputs != NULL) {
        pl->inputs = inputs;
    }
    if (ended != NULL) {
        pl->ended = ended;
    }
    if (interrupted != NULL) {
        pl->interrupted = interrupted;
    }
    if (inputs == NULL || ended == NULL || interrupted == NULL) {
        fprintf(stderr, "wireaudit: out of memory adding input %s\n", in->path);
        in->close(in);
        return;
    }
    in->sink.emit = pipeline_emit;
    in->sink.arg = pl;
    pl->inputs[pl->input_count] = in;
    pl->ended[pl->input_count] = false;
    pl->interrupted[pl->input_count] = false;
    pl->input_count++;
}

/* Returns the index of the open input with the smallest clock, or SIZE_MAX when all ended. */
static size_t laggard(const struct pipeline *pl)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < pl->input_count; i++) {
        if (pl->ended[i]) {
            continue;
        }
        if (best == SIZE_MAX || pl->inputs[i]->clock_us < pl->inputs[best]->clock_us) {
            best = i;
        }
    }
    return best;
}

static void release_until(struct pipeline *pl, int64_t limit_us)
{
    while (pl->heap_len > 0 && pl->heap[0]->time_us <= limit_us) {
        release(pl, heap_pop(pl));
    }
}

void pipeline_run(struct pipeline *pl, volatile sig_atomic_t *stop,
                  void (*on_tick)(void *arg), void *tick_arg)
{
    if (wa_opts.helper_threads) {
        (void)worker_start(pl);
    }
    for (;;) {
        if (stop != NULL && *stop) {
            break;
        }
        size_t i = laggard(pl);
        if (i == SIZE_MAX) {
            break;
        }
        struct input *in = pl->inputs[i];
        if (!in->step(in)) {
            pl->ended[i] = true;
            if (in->finish != NULL) {
                in->finish(in);
            }
        }
        size_t low = laggard(pl);
        if (low != SIZE_MAX && pl->inputs[low]->clock_us != INT64_MIN) {
            int64_t clock = pl->inputs[low]->clock_us;
            if (clock > INT64_MIN + wa_opts.reorder_window_us) {
                release_until(pl, clock - wa_opts.reorder_window_us);
            }
        }
        if (pl->worker != NULL) {
            worker_flush_old(pl->worker);
        }
        if (on_tick != NULL) {
            on_tick(tick_arg);
        }
    }
    for (size_t i = 0; i < pl->input_count; i++) {
        if (!pl->ended[i]) {
            if (pl->inputs[i]->finish != NULL) {
                pl->inputs[i]->finish(pl->inputs[i]);
            }
            pl->ended[i] = true;
            pl->interrupted[i] = true;
        }
    }
    release_until(pl, INT64_MAX);
    worker_stop(pl);
}

bool pipeline_write_unfinished(const struct pipeline *pl, FILE *out)
{
    bool any = false;
    for (size_t i = 0; i < pl->input_count; i++) {
        const struct input *in = pl->inputs[i];
        if (pl->ended[i] && !pl->interrupted[i]) {
            continue;
        }
        fprintf(out, "wireaudit: %s: interrupted at byte %llu of %llu; results cover only what "
                     "was read\n",
                in->path, (unsigned long long)in->offset_bytes,
                (unsigned long long)in->size_bytes);
        any = true;
    }
    return any;
}

int pipeline_events_error(const struct pipeline *pl)
{
    return pl->events_errno;
}

unsigned long long pipeline_event_count(const struct pipeline *pl)
{
    return pl->released;
}

void pipeline_free(struct pipeline *pl)
{
    if (pl == NULL) {
        return;
    }
    for (size_t i = 0; i < pl->input_count; i++) {
        pl->inputs[i]->close(pl->inputs[i]);
    }
    for (size_t i = 0; i < pl->heap_len; i++) {
        event_free(pl->heap[i]);
    }
    free(pl->heap);
    free(pl->inputs);
    free(pl->ended);
    free(pl->interrupted);
    free(pl);
}
