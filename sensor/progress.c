/* Progress line on standard error for long offline reads and live captures. */
#include "progress.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"

/* Redraw interval: often enough to look alive, rarely enough to cost nothing. */
#define PROGRESS_INTERVAL_S 0.25

struct progress {
    FILE *out;
    const struct input **inputs;
    size_t input_count;
    double start_s;
    double last_draw_s;
    bool drawn;
};

static double monotonic_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

struct progress *progress_new(FILE *out)
{
    if (out == NULL || !isatty(fileno(out))) {
        return NULL;
    }
    struct progress *pg = calloc(1, sizeof(*pg));
    if (pg == NULL) {
        return NULL;
    }
    pg->out = out;
    pg->start_s = monotonic_seconds();
    pg->last_draw_s = pg->start_s;
    return pg;
}

void progress_free(struct progress *pg)
{
    if (pg == NULL) {
        return;
    }
    free(pg->inputs);
    free(pg);
}

void progress_add_input(struct progress *pg, const struct input *in)
{
    if (pg == NULL || in == NULL) {
        return;
    }
    const struct input **grown = realloc(pg->inputs, (pg->input_count + 1) * sizeof(*grown));
    if (grown == NULL) {
        return;
    }
    pg->inputs = grown;
    pg->inputs[pg->input_count++] = in;
}

/* Writes a byte count with a binary unit ("512 B", "3.4 MiB"). */
static int format_bytes(char *buf, size_t size, double bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    size_t unit = 0;
    while (bytes >= 1024.0 && unit + 1 < sizeof(units) / sizeof(units[0])) {
        bytes /= 1024.0;
        unit++;
    }
    if (unit == 0) {
        return snprintf(buf, size, "%.0f %s", bytes, units[unit]);
    }
    return snprintf(buf, size, "%.1f %s", bytes, units[unit]);
}

char *progress_format(const struct progress_snapshot *snap, char *buf, size_t size)
{
    char read[32];
    char total[32];
    char rate[32];
    format_bytes(read, sizeof(read), (double)snap->bytes_read);
    double seconds = snap->elapsed_s > 0.001 ? snap->elapsed_s : 0.001;
    format_bytes(rate, sizeof(rate), (double)snap->bytes_read / seconds);
    if (snap->bytes_total != 0) {
        format_bytes(total, sizeof(total), (double)snap->bytes_total);
        double percent = 100.0 * (double)snap->bytes_read / (double)snap->bytes_total;
        snprintf(buf, size, "%s of %s (%.0f%%), %llu events, %llu alerts, %s/s", read, total,
                 percent > 100.0 ? 100.0 : percent, (unsigned long long)snap->events,
                 (unsigned long long)snap->alerts, rate);
    } else {
        snprintf(buf, size, "%s read, %llu events, %llu alerts, %s/s", read,
                 (unsigned long long)snap->events, (unsigned long long)snap->alerts, rate);
    }
    return buf;
}

void progress_update(struct progress *pg)
{
    if (pg == NULL) {
        return;
    }
    double now = monotonic_seconds();
    if (now - pg->last_draw_s < PROGRESS_INTERVAL_S) {
        return;
    }
    pg->last_draw_s = now;
    struct progress_snapshot snap = {
        .events = ctr_value("events.total"),
        .alerts = ctr_value("alerts.total"),
        .elapsed_s = now - pg->start_s,
    };
    for (size_t i = 0; i < pg->input_count; i++) {
        snap.bytes_read += pg->inputs[i]->offset_bytes;
        snap.bytes_total += pg->inputs[i]->size_bytes;
    }
    /* A live input has no size, so a percentage would mislead: show bytes only. */
    for (size_t i = 0; i < pg->input_count; i++) {
        if (pg->inputs[i]->size_bytes == 0) {
            snap.bytes_total = 0;
        }
    }
    char line[160];
    progress_format(&snap, line, sizeof(line));
    /* Carriage return, the line, then erase to the end of the line (ANSI EL). */
    fprintf(pg->out, "\rwireaudit: %s\033[K", line);
    fflush(pg->out);
    pg->drawn = true;
}

void progress_finish(struct progress *pg)
{
    if (pg == NULL || !pg->drawn) {
        return;
    }
    fputs("\r\033[K", pg->out);
    fflush(pg->out);
    pg->drawn = false;
}
