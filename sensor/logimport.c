/* Placeholder until the log readers land. */
#include "logimport.h"

#include <stdio.h>

struct input *log_input_open(const char *path, enum input_kind kind, char *err, size_t err_size)
{
    snprintf(err, err_size, "%s: reading %s logs is not built yet", path, input_kind_name(kind));
    return NULL;
}
