/* Placeholder until the capture layer lands: reports that captures are not read yet. */
#include "capture.h"

#include "../dissectors/proto.h"

struct input *cap_file_open(const char *path, enum input_kind kind, char *err, size_t err_size)
{
    (void)kind;
    snprintf(err, err_size, "%s: capture reading is not built yet", path);
    return NULL;
}

struct input *cap_live_open(const char *name, char *err, size_t err_size)
{
    snprintf(err, err_size, "%s: live capture is not built yet", name);
    return NULL;
}

void cap_live_write_stats(struct input *in, FILE *out)
{
    (void)in;
    (void)out;
}

void cap_live_break(struct input *in)
{
    (void)in;
}

void flow_hint_dcerpc(const char *server_addr, uint16_t port)
{
    (void)server_addr;
    (void)port;
}
