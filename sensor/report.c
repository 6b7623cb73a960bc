/* The self-contained HTML report: collection entry points and the atomic file write. */
#include "report.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "report_internal.h"

struct report *report_new(const char *path)
{
    struct report *rep = calloc(1, sizeof(*rep));
    if (rep == NULL) {
        return NULL;
    }
    rep->path = strdup(path);
    if (rep->path == NULL) {
        free(rep);
        return NULL;
    }
    rep->embed_max = wa_opts.report_max_events;
    rep->first_us = INT64_MAX;
    rep->last_us = INT64_MIN;
    rep->other_hosts_index = UINT32_MAX;
    return rep;
}

void report_free(struct report *rep)
{
    if (rep == NULL) {
        return;
    }
    report_data_free(rep);
    free(rep->path);
    free(rep);
}

void report_add_input(struct report *rep, const char *path, const char *kind)
{
    struct report_input *grown = realloc(rep->inputs, (rep->input_count + 1) * sizeof(*grown));
    if (grown == NULL) {
        return;
    }
    rep->inputs = grown;
    struct report_input *in = &rep->inputs[rep->input_count];
    in->path = strdup(path);
    in->kind = strdup(kind);
    if (in->path == NULL || in->kind == NULL) {
        free(in->path);
        free(in->kind);
        return;
    }
    /* A live input is named by its interface, which may match a file name by chance. */
    struct stat st;
    bool live = strcmp(kind, "live") == 0;
    in->size_bytes =
        !live && stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    rep->input_count++;
}

void report_add_event(struct report *rep, const struct event *ev)
{
    report_collect_event(rep, ev);
}

void report_add_alert(struct report *rep, json_t *alert)
{
    report_collect_alert(rep, alert);
}

/* Fills nonce with 32 hex digits from the kernel's random source (the clock if that fails). */
static void make_nonce(char nonce[33])
{
    unsigned char bytes[16];
    if (getrandom(bytes, sizeof(bytes), GRND_NONBLOCK) != (ssize_t)sizeof(bytes)) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        uint64_t seed = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
        for (size_t i = 0; i < sizeof(bytes); i++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            bytes[i] = (unsigned char)(seed >> 56);
        }
    }
    for (size_t i = 0; i < sizeof(bytes); i++) {
        snprintf(nonce + 2 * i, 3, "%02x", bytes[i]);
    }
}

/*
 * Renders the page into out and closes it. Returns 0, or the errno of the
 * failed write or close.
 */
static int render_and_close(struct report *rep, FILE *out)
{
    char nonce[33];
    make_nonce(nonce);
    errno = 0;
    report_render_page(rep, out, nonce);
    int error = 0;
    if (ferror(out)) {
        error = errno != 0 ? errno : EIO;
    }
    if (fclose(out) != 0 && error == 0) {
        error = errno != 0 ? errno : EIO;
    }
    return error;
}

/*
 * Writes the page straight into path, for an existing path that is not a
 * regular file (a FIFO, /dev/stdout), which a rename would replace.
 */
static bool write_in_place(struct report *rep)
{
    FILE *out = fopen(rep->path, "w");
    int error = out != NULL ? render_and_close(rep, out) : errno;
    if (error != 0) {
        fprintf(stderr, "wireaudit: cannot write report %s: %s\n", rep->path, strerror(error));
    }
    return error == 0;
}

/*
 * Writes the page to a temporary file beside the report's file and renames it
 * over that file, so a browser reading it during a SIGUSR1 rewrite never gets
 * a partly written page. A symbolic link is followed and the file it names is
 * replaced, never the link (/dev/stdout is one). A path that is not a regular
 * file, or a link that cannot be resolved to one, is written in place.
 */
bool report_write(struct report *rep)
{
    char resolved[PATH_MAX];
    const char *target = rep->path;
    struct stat st;
    if (lstat(rep->path, &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            if (realpath(rep->path, resolved) == NULL || stat(resolved, &st) != 0) {
                return write_in_place(rep);
            }
            target = resolved;
        }
        if (!S_ISREG(st.st_mode)) {
            return write_in_place(rep);
        }
    }
    size_t len = strlen(target);
    char *tmp = malloc(len + 8);
    if (tmp == NULL) {
        fprintf(stderr, "wireaudit: cannot write report %s: out of memory\n", rep->path);
        return false;
    }
    memcpy(tmp, target, len);
    memcpy(tmp + len, ".XXXXXX", 8);
    int fd = mkstemp(tmp);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (out == NULL) {
        fprintf(stderr, "wireaudit: cannot write report %s: %s\n", rep->path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(tmp);
        return false;
    }
    /* mkstemp() creates the file as 0600, so give the report the usual umask-based mode. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);

    int error = render_and_close(rep, out);
    if (error == 0 && rename(tmp, target) != 0) {
        error = errno;
    }
    if (error != 0) {
        fprintf(stderr, "wireaudit: cannot write report %s: %s\n", rep->path, strerror(error));
        unlink(tmp);
    }
    free(tmp);
    return error == 0;
}
