/* Time-ordered merge of all inputs through a bounded min-heap. */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "options.h"

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
static void release(struct pipeline *pl, struct event *ev)
{
    const struct pipeline_consumers *c = &pl->consumers;
    if (c->linker != NULL) {
        linker_process(c->linker, ev);
    }
    if (c->events_out != NULL) {
        event_write_json(ev, c->events_out);
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
    pl->released++;
    CTR_INC("events.total");
    event_free(ev);
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
