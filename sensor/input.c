/* Input kind detection from content, and dispatch to the capture and log readers. */
#include "input.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "logimport.h"

const char *input_kind_name(enum input_kind kind)
{
    switch (kind) {
    case INPUT_PCAP:
        return "pcap";
    case INPUT_PCAPNG:
        return "pcapng";
    case INPUT_EVTX:
        return "evtx";
    case INPUT_XML:
        return "xml";
    case INPUT_JSONL:
        return "jsonl";
    case INPUT_LIVE:
        return "live";
    case INPUT_UNKNOWN:
        break;
    }
    return "unknown";
}

/*
 * Classifies text input by the first character of its first markup line, after
 * an optional UTF-8 BOM. Up to two leading lines that are neither XML nor JSON
 * are passed over, because evtxexport starts its XML output with a version line.
 */
static enum input_kind detect_text(const unsigned char *buf, size_t n)
{
    size_t i = 0;
    if (n >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf) {
        i = 3;
    }
    for (int line = 0; line < 3; line++) {
        while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n')) {
            i++;
        }
        if (i < n && buf[i] == '<') {
            return INPUT_XML;
        }
        if (i < n && buf[i] == '{') {
            return INPUT_JSONL;
        }
        while (i < n && buf[i] != '\n') {
            if (buf[i] < 0x20 && buf[i] != '\t' && buf[i] != '\r') {
                return INPUT_UNKNOWN; /* binary data, not a banner line */
            }
            i++;
        }
    }
    return INPUT_UNKNOWN;
}

enum input_kind input_detect(const char *path, char *err, size_t err_size)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "%s: is a folder; give the capture or log files in it", path);
        return INPUT_UNKNOWN;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return INPUT_UNKNOWN;
    }
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf), f);
    bool read_failed = ferror(f) != 0;
    fclose(f);
    if (read_failed) {
        snprintf(err, err_size, "%s: cannot read: %s", path, strerror(errno));
        return INPUT_UNKNOWN;
    }
    if (n == 0) {
        snprintf(err, err_size, "%s: file is empty", path);
        return INPUT_UNKNOWN;
    }
    if (n >= 4) {
        uint32_t le = (uint32_t)buf[0] | ((uint32_t)buf[1] << 8) | ((uint32_t)buf[2] << 16) |
                      ((uint32_t)buf[3] << 24);
        uint32_t be = ((uint32_t)buf[0] << 24) | ((uint32_t)buf[1] << 16) |
                      ((uint32_t)buf[2] << 8) | (uint32_t)buf[3];
        /* pcap magics: microsecond and nanosecond, either byte order; pcapng SHB type. */
        if (le == 0xa1b2c3d4 || be == 0xa1b2c3d4 || le == 0xa1b23c4d || be == 0xa1b23c4d) {
            return INPUT_PCAP;
        }
        if (le == 0x0a0d0d0a) {
            return INPUT_PCAPNG;
        }
    }
    if (n >= 8 && memcmp(buf, "ElfFile", 8) == 0) {
        return INPUT_EVTX;
    }
    if (n >= 2 && ((buf[0] == 0xff && buf[1] == 0xfe) || (buf[0] == 0xfe && buf[1] == 0xff))) {
        snprintf(err, err_size,
                 "%s: UTF-16 text is not supported; convert it first, for example with "
                 "'iconv -f UTF-16 -t UTF-8'",
                 path);
        return INPUT_UNKNOWN;
    }
    enum input_kind kind = detect_text(buf, n);
    if (kind == INPUT_UNKNOWN) {
        snprintf(err, err_size,
                 "%s: unknown input format (expected pcap, pcapng, EVTX, event XML or JSON lines)",
                 path);
    }
    return kind;
}

struct input *input_open(const char *path, enum input_kind kind, char *err, size_t err_size)
{
    switch (kind) {
    case INPUT_PCAP:
    case INPUT_PCAPNG:
        return cap_file_open(path, kind, err, err_size);
    case INPUT_EVTX:
    case INPUT_XML:
    case INPUT_JSONL:
        return log_input_open(path, kind, err, err_size);
    case INPUT_LIVE:
        return cap_live_open(path, err, err_size);
    case INPUT_UNKNOWN:
        break;
    }
    snprintf(err, err_size, "%s: unknown input format", path);
    return NULL;
}

bool input_spool(const char *path, char *spooled, size_t spooled_size, char *err, size_t err_size,
                 const volatile sig_atomic_t *stop)
{
    spooled[0] = '\0';
    const char *source = strcmp(path, "-") == 0 ? "/dev/stdin" : path;
    struct stat st;
    bool is_stdin = source != path;
    if (!is_stdin && (stat(source, &st) != 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
        return true;
    }
    FILE *in = fopen(source, "rb");
    if (in == NULL) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return false;
    }
    const char *tmpdir = getenv("TMPDIR");
    snprintf(spooled, spooled_size, "%s/wireaudit-spool-XXXXXX",
             tmpdir != NULL && tmpdir[0] != '\0' ? tmpdir : "/tmp");
    int fd = mkstemp(spooled);
    FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (out == NULL) {
        snprintf(err, err_size, "%s: cannot create a spool file in %s: %s", path,
                 tmpdir != NULL ? tmpdir : "/tmp", strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(spooled);
        }
        fclose(in);
        spooled[0] = '\0';
        return false;
    }
    char buf[65536];
    size_t n;
    bool ok = true;
    for (;;) {
        errno = 0;
        n = fread(buf, 1, sizeof(buf), in);
        /* Another signal (SIGUSR1) interrupts a blocked read too; only a stop ends the copy. */
        bool interrupted = ferror(in) && errno == EINTR;
        if (interrupted) {
            clearerr(in);
        }
        if (stop != NULL && *stop) {
            snprintf(err, err_size, "%s: stopped while copying to a spool file", path);
            ok = false;
            break;
        }
        if (n == 0 && interrupted) {
            continue;
        }
        if (n == 0) {
            break;
        }
        if (fwrite(buf, 1, n, out) != n) {
            snprintf(err, err_size, "%s: cannot write spool file %s: %s", path, spooled,
                     strerror(errno));
            ok = false;
            break;
        }
    }
    if (ok && ferror(in)) {
        snprintf(err, err_size, "%s: read failed: %s", path, strerror(errno));
        ok = false;
    }
    fclose(in);
    if (fclose(out) != 0 && ok) {
        snprintf(err, err_size, "%s: cannot write spool file %s: %s", path, spooled,
                 strerror(errno));
        ok = false;
    }
    if (!ok) {
        unlink(spooled);
        spooled[0] = '\0';
    }
    return ok;
}
