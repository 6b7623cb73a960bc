/* The callback through which producers hand events to the pipeline. */
#ifndef WA_SINK_H
#define WA_SINK_H

#include "event.h"

/*
 * emit() takes ownership of ev: the receiver frees it (event_free) when done.
 * A producer never touches ev after emitting it.
 */
struct event_sink {
    void (*emit)(void *arg, struct event *ev);
    void *arg;
};

static inline void sink_emit(const struct event_sink *sink, struct event *ev)
{
    sink->emit(sink->arg, ev);
}

#endif
