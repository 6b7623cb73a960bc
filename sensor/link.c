/* Placeholder until host/wire linking lands: links nothing. */
#include "link.h"

#include <stdlib.h>

struct linker {
    int unused;
};

struct linker *linker_new(void)
{
    return calloc(1, sizeof(struct linker));
}

void linker_free(struct linker *lk)
{
    free(lk);
}

void linker_process(struct linker *lk, struct event *ev)
{
    (void)lk;
    (void)ev;
}
