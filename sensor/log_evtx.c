/*
 * EVTX reader through libevtx. The event of each record is taken from the XML
 * libevtx renders (TimeCreated from the XML, never the record header time) and
 * parsed by the event XML code.
 *
 * Layout (MS-EVEN6 and libyal's "Windows XML Event Log (EVTX)" notes): a
 * 4096-byte file header, then 65536-byte chunks, each with a 512-byte header:
 *   file header:  0 "ElfFile\0", 42 number of chunks (le16), 120 flags (le32,
 *                 0x1 dirty), 124 CRC-32 of bytes 0-119
 *   chunk header: 0 "ElfChnk\0", 24 first record id (le64), 32 last record id,
 *                 40 header size (le32, 128), 44 last record offset,
 *                 48 free space offset, 52 CRC-32 of the records
 *                 [512, free space offset), 124 CRC-32 of bytes 0-119 and 128-511
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * libevtx.h declares its libbfio entry points whenever features.h defines
 * LIBEVTX_HAVE_BFIO, but Debian's libevtx-dev (20181227) does not pull in
 * libbfio-dev. This reader uses none of them, so the declarations are turned
 * off before the header is read.
 */
#include <libevtx/features.h>
#undef LIBEVTX_HAVE_BFIO
#include <libevtx.h>

#include "../dissectors/cursor.h"
#include "counters.h"
#include "log_private.h"

#define EVTX_FILE_HEADER_SIZE 4096u
#define EVTX_CHUNK_SIZE 65536u
#define EVTX_CHUNK_HEADER_SIZE 512u
#define EVTX_FLAG_DIRTY 0x1u

/* Recovered records sorted by time before emitting. Later ones are emitted unsorted at the end. */
#define EVTX_RECOVERED_SORT_MAX 100000u

/* Result of the scan of one chunk header. */
struct chunk_info {
    uint64_t first_id;
    uint64_t last_id;
    bool signature_ok;
    bool fields_ok;  /* header size and free space offset are values libevtx accepts */
    bool header_ok;  /* fields_ok and the header CRC matches */
    bool records_ok; /* records CRC matches */
    bool counted;    /* libevtx lists its records as allocated (not recovered) */
};

struct recovered_event {
    struct event *ev;
    uint64_t record;
};

struct evtx_source {
    struct log_source src;
    libevtx_file_t *file;
    uint8_t *map; /* the file as read, for record headers named in libevtx errors */
    size_t map_size;
    int memfd; /* repaired copy, or -1 */
    char *xml; /* buffer for the rendered XML of one record */
    size_t xml_cap;
    char *escaped; /* the same with control characters escaped */
    size_t escaped_cap;
    struct log_xml_parser *parser;
    struct chunk_info *chunks;
    uint32_t chunk_count;
    int record_count; /* allocated records */
    int record_start; /* index of the oldest allocated record */
    int record_next;  /* allocated records emitted or skipped so far */
    struct recovered_event *recovered;
    size_t recovered_count;
    size_t recovered_next;
    int recovered_total;         /* recovered records libevtx lists */
    int recovered_unsorted_next; /* index of the next one past EVTX_RECOVERED_SORT_MAX */
    struct event *pending;       /* next allocated event, read ahead to merge by time */
    uint64_t pending_record;
};

/* ---- CRC-32 (IEEE 802.3, reflected, as EVTX uses) ---- */

static uint32_t crc32_update(uint32_t crc, const uint8_t *data, size_t len)
{
    static uint32_t table[256];
    if (table[1] == 0) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            }
            table[i] = c;
        }
    }
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

/* ---- Chunk scan and repair ---- */

/* Reads one chunk header from the (possibly short) span and records what is wrong. */
static void scan_chunk(const uint8_t *chunk, size_t avail, struct chunk_info *info)
{
    struct cursor c;
    cur_init(&c, chunk, avail);
    const uint8_t *signature = cur_view(&c, 8);
    info->signature_ok = signature != NULL && memcmp(signature, "ElfChnk", 8) == 0;
    if (!info->signature_ok || avail < EVTX_CHUNK_HEADER_SIZE) {
        return;
    }
    cur_seek(&c, 24);
    info->first_id = cur_le64(&c);
    info->last_id = cur_le64(&c);
    uint32_t header_size = cur_le32(&c);
    cur_skip(&c, 4);
    uint32_t free_space = cur_le32(&c);
    uint32_t records_crc = cur_le32(&c);
    cur_seek(&c, 124);
    uint32_t header_crc = cur_le32(&c);
    uint32_t crc = crc32_update(0, chunk, 120);
    crc = crc32_update(crc, chunk + 128, EVTX_CHUNK_HEADER_SIZE - 128);
    info->fields_ok = cur_ok(&c) && header_size == 128 && free_space >= EVTX_CHUNK_HEADER_SIZE &&
                      free_space <= EVTX_CHUNK_SIZE;
    info->header_ok = info->fields_ok && crc == header_crc;
    info->records_ok = info->header_ok && free_space <= avail &&
                       crc32_update(0, chunk + EVTX_CHUNK_HEADER_SIZE,
                                    free_space - EVTX_CHUNK_HEADER_SIZE) == records_crc;
}

/* Warns about a damaged allocated chunk and counts the file as damaged. */
static void warn_chunk(struct evtx_source *es, uint32_t index, const struct chunk_info *info,
                       size_t avail)
{
    const char *problem = !info->signature_ok       ? "chunk signature is missing"
                          : avail < EVTX_CHUNK_SIZE ? "chunk is truncated"
                          : !info->header_ok        ? "chunk header is invalid"
                                                    : "records checksum mismatch";
    log_warn(&es->src,
             "chunk %u at offset 0x%llx: %s; its records are read up to the first unreadable "
             "one and the rest are searched for as recovered records",
             index,
             (unsigned long long)EVTX_FILE_HEADER_SIZE +
                 (unsigned long long)index * EVTX_CHUNK_SIZE,
             problem);
    log_mark_damaged(&es->src);
}

/*
 * Scans the file header and every chunk header of the mapped file. Returns
 * true when libevtx would reject the file or skip part of it (a truncated last
 * chunk, a chunk header with an impossible size or free space offset), so a
 * repaired copy must be opened instead.
 */
static bool scan_file(struct evtx_source *es, const uint8_t *data, size_t size)
{
    struct cursor c;
    cur_init(&c, data, size);
    cur_seek(&c, 42);
    uint16_t header_chunks = cur_le16(&c);
    cur_seek(&c, 120);
    uint32_t flags = cur_le32(&c);
    if (size <= EVTX_FILE_HEADER_SIZE) {
        return false;
    }
    size_t body = size - EVTX_FILE_HEADER_SIZE;
    es->chunk_count = (uint32_t)((body + EVTX_CHUNK_SIZE - 1) / EVTX_CHUNK_SIZE);
    es->chunks = calloc(es->chunk_count, sizeof(*es->chunks));
    if (es->chunks == NULL) {
        es->chunk_count = 0;
        return false;
    }
    bool repair = false;
    for (uint32_t i = 0; i < es->chunk_count; i++) {
        size_t offset = EVTX_FILE_HEADER_SIZE + (size_t)i * EVTX_CHUNK_SIZE;
        size_t avail = WA_MIN(size - offset, (size_t)EVTX_CHUNK_SIZE);
        struct chunk_info *info = &es->chunks[i];
        scan_chunk(data + offset, avail, info);
        info->counted = i < header_chunks || (flags & EVTX_FLAG_DIRTY) != 0;
        bool damaged = avail < EVTX_CHUNK_SIZE || !info->records_ok;
        if (info->counted && damaged) {
            warn_chunk(es, i, info, avail);
        } else if (!info->counted && info->signature_ok && avail < EVTX_CHUNK_SIZE) {
            log_warn(&es->src, "file is truncated inside chunk %u", i);
            log_mark_damaged(&es->src);
        }
        repair = repair || avail < EVTX_CHUNK_SIZE || (info->signature_ok && !info->fields_ok);
    }
    return repair;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/*
 * Writes a copy of the file that libevtx accepts into a memory file. The last
 * chunk is padded with zeros to full size. Chunk headers whose size or free
 * space offset libevtx rejects get 128 and the chunk end instead, so the
 * records in them are still parsed as far as they go. Returns the descriptor or -1.
 */
static int write_repaired_copy(const struct evtx_source *es, const uint8_t *data, size_t size)
{
    int fd = memfd_create("wireaudit-evtx", MFD_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    /* Growing the file fills the rest of the last chunk with zeros. */
    off_t padded = (off_t)EVTX_FILE_HEADER_SIZE + (off_t)es->chunk_count * EVTX_CHUNK_SIZE;
    if (ftruncate(fd, padded) != 0) {
        close(fd);
        return -1;
    }
    for (uint32_t i = 0; i < es->chunk_count; i++) {
        if (!es->chunks[i].signature_ok || es->chunks[i].fields_ok) {
            continue;
        }
        off_t chunk = (off_t)EVTX_FILE_HEADER_SIZE + (off_t)i * EVTX_CHUNK_SIZE;
        uint8_t size_field[4];
        uint8_t free_space_field[4];
        put_le32(size_field, 128);
        put_le32(free_space_field, EVTX_CHUNK_SIZE);
        if (pwrite(fd, size_field, 4, chunk + 40) != 4 ||
            pwrite(fd, free_space_field, 4, chunk + 48) != 4) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* ---- Records ---- */

/*
 * A libevtx error in plain words: what failed, the file offset libevtx names
 * (0 when it names none) and libevtx's deepest message as the cause.
 */
struct evtx_failure {
    const char *problem;
    uint64_t offset;
    char cause[256];
};

/*
 * Reads the backtrace of error. Its first line is the deepest call, like
 * "libfwevt_xml_document_read_element: invalid binary XML token - unsupported
 * type: 0x01.", and a later line may name the record offset ("at offset:
 * 0x00001200."). The function name and final period are left out of the cause.
 */
static void describe_error(libevtx_error_t *error, struct evtx_failure *failure)
{
    char trace[4096];
    trace[0] = '\0';
    failure->problem = "unreadable record";
    failure->offset = 0;
    failure->cause[0] = '\0';
    if (error == NULL || libevtx_error_backtrace_sprint(error, trace, sizeof(trace)) < 0) {
        return;
    }
    if (strstr(trace, "libfwevt_xml") != NULL) {
        failure->problem = "invalid binary XML";
    } else if (strstr(trace, "read_header") != NULL) {
        failure->problem = "invalid record header";
    }
    const char *at = strstr(trace, "at offset: ");
    if (at != NULL) {
        failure->offset = strtoull(at + strlen("at offset: "), NULL, 16);
    }
    size_t first_len = strcspn(trace, "\n");
    const char *colon = memchr(trace, ':', first_len);
    const char *cause = colon != NULL && colon[1] == ' ' ? colon + 2 : trace;
    size_t cause_len = first_len - (size_t)(cause - trace);
    if (cause_len > 0 && cause[cause_len - 1] == '.') {
        cause_len--;
    }
    snprintf(failure->cause, sizeof(failure->cause), "%.*s", (int)cause_len, cause);
}

/*
 * Returns the record id in the record header at offset of the file as read,
 * or 0 when there is no valid record header there.
 */
static uint64_t id_at_offset(const struct evtx_source *es, uint64_t offset)
{
    if (es->map == NULL || offset >= es->map_size) {
        return 0;
    }
    struct cursor c;
    cur_init(&c, es->map + offset, es->map_size - (size_t)offset);
    const uint8_t *signature = cur_view(&c, 4);
    if (signature == NULL || memcmp(signature, "\x2a\x2a\x00\x00", 4) != 0) {
        return 0;
    }
    cur_skip(&c, 4);
    uint64_t id = cur_le64(&c);
    return cur_ok(&c) ? id : 0;
}

/*
 * Warns that the allocated record at index was skipped, naming its record id
 * (0 when unknown), its chunk and its file offset (0 when unknown).
 */
static void warn_record(struct evtx_source *es, int index, uint64_t id, uint64_t offset,
                        const char *problem, const char *cause)
{
    char where[160];
    int n = id != 0 ? snprintf(where, sizeof(where), "record id %llu (index %d)",
                               (unsigned long long)id, index)
                    : snprintf(where, sizeof(where), "record index %d", index);
    if (offset >= EVTX_FILE_HEADER_SIZE && n > 0 && (size_t)n < sizeof(where)) {
        snprintf(where + n, sizeof(where) - (size_t)n, ", chunk %llu, offset 0x%llx",
                 (unsigned long long)((offset - EVTX_FILE_HEADER_SIZE) / EVTX_CHUNK_SIZE),
                 (unsigned long long)offset);
    }
    if (cause != NULL && cause[0] != '\0') {
        log_warn(&es->src, "%s: record skipped: %s (%s)", where, problem, cause);
    } else {
        log_warn(&es->src, "%s: record skipped: %s", where, problem);
    }
    log_skip_record(&es->src);
}

/*
 * Renders record as XML and parses it into *out. A recovered record may yield
 * a partial event (see log_xml_parser_allow_partial). Returns true on success,
 * else false with the reason in *failure.
 */
static bool record_to_event(struct evtx_source *es, libevtx_record_t *record, bool recovered,
                            struct event **out, uint64_t *record_id, struct evtx_failure *failure)
{
    libevtx_error_t *error = NULL;
    size_t size = 0;
    int ok = libevtx_record_get_utf8_xml_string_size(record, &size, &error);
    if (ok != 1 || size == 0 || size > LOG_RECORD_MAX) {
        describe_error(error, failure);
        libevtx_error_free(&error);
        if (ok == 1) {
            failure->problem = "rendered XML is empty or larger than 16 MiB";
        }
        return false;
    }
    if (size > es->xml_cap) {
        char *grown = realloc(es->xml, size);
        if (grown == NULL) {
            *failure = (struct evtx_failure){.problem = "out of memory"};
            return false;
        }
        es->xml = grown;
        es->xml_cap = size;
    }
    if (libevtx_record_get_utf8_xml_string(record, (uint8_t *)es->xml, size, &error) != 1) {
        describe_error(error, failure);
        libevtx_error_free(&error);
        return false;
    }
    size_t len = strnlen(es->xml, size);
    const char *text = log_xml_escape_controls(es->xml, &len, &es->escaped, &es->escaped_cap);
    if (text == NULL) {
        *failure = (struct evtx_failure){.problem = "out of memory"};
        return false;
    }
    unsigned line = 0;
    log_xml_parser_allow_partial(es->parser, recovered);
    if (log_xml_parse_event(es->parser, text, len, out, record_id, failure->cause,
                            sizeof(failure->cause), &line) != WA_OK) {
        failure->problem = "invalid event XML rendered by libevtx";
        failure->offset = 0;
        return false;
    }
    if (recovered && log_xml_parser_was_partial(es->parser)) {
        CTR_INC("log.recovered_partial");
    }
    return true;
}

/* Fetches record index (allocated or recovered). Returns NULL and the reason in *failure. */
static libevtx_record_t *get_record(struct evtx_source *es, int index, bool recovered,
                                    struct evtx_failure *failure)
{
    libevtx_record_t *record = NULL;
    libevtx_error_t *error = NULL;
    int ok = recovered
                 ? libevtx_file_get_recovered_record_by_index(es->file, index, &record, &error)
                 : libevtx_file_get_record_by_index(es->file, index, &record, &error);
    if (ok != 1) {
        describe_error(error, failure);
        libevtx_error_free(&error);
        return NULL;
    }
    return record;
}

/* Returns the record id of the record header (0 when unreadable). */
static uint64_t header_id(libevtx_record_t *record)
{
    uint64_t id = 0;
    libevtx_error_t *error = NULL;
    if (libevtx_record_get_identifier(record, &id, &error) != 1) {
        libevtx_error_free(&error);
        return 0;
    }
    return id;
}

/*
 * Returns the allocated chunk whose header id range contains id, or UINT32_MAX.
 * Record header ids number the records of the file itself, so they differ
 * from EventRecordID in logs exported with wevtutil epl.
 */
static uint32_t chunk_of(const struct evtx_source *es, uint64_t id)
{
    for (uint32_t i = 0; i < es->chunk_count; i++) {
        const struct chunk_info *info = &es->chunks[i];
        if (info->counted && info->header_ok && id >= info->first_id && id <= info->last_id) {
            return i;
        }
    }
    return UINT32_MAX;
}

/*
 * True when header id lies in the record range of an intact allocated chunk.
 * NOTE: recovered copies of records from a damaged chunk are all kept, so a
 * stale copy of a record that was also read as allocated can appear twice.
 */
static bool id_is_allocated(const struct evtx_source *es, uint64_t id)
{
    uint32_t chunk = chunk_of(es, id);
    return chunk != UINT32_MAX && es->chunks[chunk].records_ok;
}

static int compare_recovered(const void *a, const void *b)
{
    const struct recovered_event *x = a;
    const struct recovered_event *y = b;
    if (x->ev->time_us != y->ev->time_us) {
        return x->ev->time_us < y->ev->time_us ? -1 : 1;
    }
    return x->record < y->record ? -1 : x->record > y->record;
}

/*
 * Reads the recovered records libevtx lists and keeps, sorted by time, those
 * that are not copies of allocated records. libevtx's scan of free space also
 * finds stale copies of records that are still allocated, and fragments whose
 * templates are gone. Intact files contain many of both, so copies are dropped
 * (log.recovered_duplicate) and fragments only counted (log.recovered_unreadable)
 * without a warning.
 */
static void load_recovered(struct evtx_source *es)
{
    libevtx_error_t *error = NULL;
    if (libevtx_file_get_number_of_recovered_records(es->file, &es->recovered_total, &error) != 1) {
        libevtx_error_free(&error);
        return;
    }
    size_t limit = WA_MIN((size_t)es->recovered_total, (size_t)EVTX_RECOVERED_SORT_MAX);
    es->recovered = calloc(limit != 0 ? limit : 1, sizeof(*es->recovered));
    if (es->recovered == NULL) {
        return;
    }
    int i = 0;
    struct evtx_failure failure;
    for (; i < es->recovered_total && es->recovered_count < limit; i++) {
        libevtx_record_t *record = get_record(es, i, true, &failure);
        struct event *ev = NULL;
        uint64_t id = 0;
        if (record == NULL ||
            !record_to_event(es, record, true, &ev, &id, &failure)) {
            CTR_INC("log.recovered_unreadable");
        } else if (id_is_allocated(es, header_id(record))) {
            CTR_INC("log.recovered_duplicate");
            event_free(ev);
        } else {
            es->recovered[es->recovered_count++] = (struct recovered_event){ev, id};
        }
        libevtx_record_free(&record, NULL);
    }
    es->recovered_unsorted_next = i;
    qsort(es->recovered, es->recovered_count, sizeof(*es->recovered), compare_recovered);
    /* Two recovered copies of one record sort next to each other, and the first is kept. */
    size_t kept = 0;
    for (size_t k = 0; k < es->recovered_count; k++) {
        const struct recovered_event *prev = kept > 0 ? &es->recovered[kept - 1] : NULL;
        if (prev != NULL && prev->record == es->recovered[k].record &&
            prev->ev->time_us == es->recovered[k].ev->time_us) {
            CTR_INC("log.recovered_duplicate");
            event_free(es->recovered[k].ev);
            continue;
        }
        es->recovered[kept++] = es->recovered[k];
    }
    es->recovered_count = kept;
}

/*
 * Finds the allocated record to start from. libevtx lists records in file
 * order, and a log that has wrapped keeps its newest records in the chunks
 * before its oldest one: header ids rise, drop once to the oldest record, and
 * rise again. Reading starts after the drop and wraps around, which keeps the
 * output in time order. Returns 0 for a log that has not wrapped.
 */
static int find_oldest_record(struct evtx_source *es)
{
    struct evtx_failure failure;
    libevtx_record_t *record =
        es->record_count > 1 ? get_record(es, 0, false, &failure) : NULL;
    uint64_t first = record != NULL ? header_id(record) : 0;
    libevtx_record_free(&record, NULL);
    record = get_record(es, es->record_count - 1, false, &failure);
    uint64_t last = record != NULL ? header_id(record) : 0;
    libevtx_record_free(&record, NULL);
    if (first == 0 || last == 0 || last >= first) {
        return 0;
    }
    int low = 1;
    int high = es->record_count - 1;
    while (low < high) {
        int mid = low + (high - low) / 2;
        record = get_record(es, mid, false, &failure);
        uint64_t id = record != NULL ? header_id(record) : 0;
        libevtx_record_free(&record, NULL);
        if (id == 0) {
            /* NOTE: an unreadable record here leaves the wrapped log in file order. */
            return 0;
        }
        if (id >= first) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    return low;
}

/*
 * Reads allocated records in order until one parses, and stores it in pending.
 * Records that fail are warned about and counted as skipped. Returns false
 * when no allocated record is left.
 */
static bool fetch_allocated(struct evtx_source *es)
{
    struct evtx_failure failure;
    while (es->record_next < es->record_count) {
        int index = (es->record_start + es->record_next) % es->record_count;
        es->record_next++;
        libevtx_record_t *record = get_record(es, index, false, &failure);
        if (record == NULL) {
            uint64_t offset = failure.offset;
            warn_record(es, index, id_at_offset(es, offset), offset, failure.problem,
                        failure.cause);
            continue;
        }
        uint64_t id = header_id(record);
        uint32_t chunk = chunk_of(es, id);
        if (chunk != UINT32_MAX) {
            es->src.in.offset_bytes = EVTX_FILE_HEADER_SIZE + (uint64_t)chunk * EVTX_CHUNK_SIZE;
        }
        bool ok = record_to_event(es, record, false, &es->pending, &es->pending_record, &failure);
        if (!ok) {
            off64_t offset = 0;
            if (libevtx_record_get_offset(record, &offset, NULL) != 1 || offset < 0) {
                offset = 0;
            }
            warn_record(es, index, id, (uint64_t)offset, failure.problem, failure.cause);
        }
        libevtx_record_free(&record, NULL);
        if (ok) {
            return true;
        }
    }
    return false;
}

/* Emits recovered records past the sorting limit, in file order. */
static bool emit_unsorted_recovered(struct evtx_source *es)
{
    struct evtx_failure failure;
    while (es->recovered_unsorted_next < es->recovered_total) {
        libevtx_record_t *record =
            get_record(es, es->recovered_unsorted_next++, true, &failure);
        struct event *ev = NULL;
        uint64_t id = 0;
        if (record == NULL ||
            !record_to_event(es, record, true, &ev, &id, &failure)) {
            CTR_INC("log.recovered_unreadable");
            libevtx_record_free(&record, NULL);
            continue;
        }
        bool duplicate = id_is_allocated(es, header_id(record));
        libevtx_record_free(&record, NULL);
        if (duplicate) {
            CTR_INC("log.recovered_duplicate");
            event_free(ev);
            continue;
        }
        CTR_INC("log.recovered");
        CTR_INC("log.recovered_unsorted");
        log_emit(&es->src, ev, id);
        return true;
    }
    return false;
}

/* Emits the next event in time order: allocated records merged with the sorted recovered ones. */
static bool evtx_step(struct input *in)
{
    struct evtx_source *es = (struct evtx_source *)in;
    if (es->pending == NULL) {
        (void)fetch_allocated(es);
    }
    bool have_recovered = es->recovered_next < es->recovered_count;
    if (es->pending == NULL && !have_recovered) {
        return emit_unsorted_recovered(es);
    }
    if (have_recovered && (es->pending == NULL ||
                           es->recovered[es->recovered_next].ev->time_us < es->pending->time_us)) {
        struct recovered_event *next = &es->recovered[es->recovered_next++];
        CTR_INC("log.recovered");
        log_emit(&es->src, next->ev, next->record);
        next->ev = NULL;
        return true;
    }
    log_emit(&es->src, es->pending, es->pending_record);
    es->pending = NULL;
    return true;
}

static void evtx_close(struct input *in)
{
    struct evtx_source *es = (struct evtx_source *)in;
    if (es->file != NULL) {
        libevtx_file_close(es->file, NULL);
        libevtx_file_free(&es->file, NULL);
    }
    if (es->memfd >= 0) {
        close(es->memfd);
    }
    for (size_t i = es->recovered_next; i < es->recovered_count; i++) {
        event_free(es->recovered[i].ev);
    }
    free(es->recovered);
    event_free(es->pending);
    free(es->chunks);
    free(es->xml);
    free(es->escaped);
    if (es->map != NULL) {
        munmap(es->map, es->map_size);
    }
    log_xml_parser_free(es->parser);
    free(es);
}

/*
 * Checks the file header for the two faults that make libevtx 20181227 reject
 * a file: a header shorter than 4096 bytes and a missing "ElfFile" signature.
 * libevtx accepts damage anywhere else in the header (each of bytes 8-127 was
 * flipped to check). Returns false with a message naming path and the offset in err.
 */
static bool check_file_header(const uint8_t *data, size_t size, const char *path, char *err,
                              size_t err_size)
{
    if (size < 8 || memcmp(data, "ElfFile", 8) != 0) {
        snprintf(err, err_size,
                 "%s: invalid EVTX file header: no \"ElfFile\" signature at offset 0x0", path);
        return false;
    }
    if (size < EVTX_FILE_HEADER_SIZE) {
        snprintf(err, err_size,
                 "%s: EVTX file header is truncated: the file ends at offset 0x%zx, inside the "
                 "%u-byte header, and contains no records",
                 path, size, EVTX_FILE_HEADER_SIZE);
        return false;
    }
    return true;
}

/* Maps path, scans its chunks and writes a repaired copy when libevtx needs one. */
static bool prepare_file(struct evtx_source *es, const char *path, char *err, size_t err_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    size_t size = (size_t)st.st_size;
    es->src.in.size_bytes = (uint64_t)size;
    if (size == 0) {
        snprintf(err, err_size, "%s: EVTX file is empty", path);
        close(fd);
        return false;
    }
    void *data = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (data == MAP_FAILED) {
        snprintf(err, err_size, "%s: cannot map the file: %s", path, strerror(errno));
        return false;
    }
    es->map = data;
    es->map_size = size;
    if (!check_file_header(data, size, path, err, err_size)) {
        return false;
    }
    if (scan_file(es, data, size)) {
        es->memfd = write_repaired_copy(es, data, size);
        if (es->memfd < 0) {
            log_warn(&es->src, "cannot make a repaired copy (%s), so damaged chunks may be lost",
                     strerror(errno));
        }
    }
    return true;
}

struct input *log_evtx_open(const char *path, char *err, size_t err_size)
{
    struct evtx_source *es = calloc(1, sizeof(*es));
    if (es == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        return NULL;
    }
    log_source_init(&es->src, path, INPUT_EVTX);
    es->src.in.step = evtx_step;
    es->src.in.close = evtx_close;
    es->memfd = -1;
    es->parser = log_xml_parser_new();
    if (es->parser != NULL) {
        log_xml_parser_restore_controls(es->parser, true);
    }
    libevtx_error_t *error = NULL;
    if (es->parser == NULL || !prepare_file(es, path, err, err_size) ||
        libevtx_file_initialize(&es->file, &error) != 1) {
        if (err[0] == '\0' || es->parser == NULL) {
            snprintf(err, err_size, "%s: out of memory", path);
        }
        libevtx_error_free(&error);
        evtx_close(&es->src.in);
        return NULL;
    }
    char open_path[64];
    if (es->memfd >= 0) {
        snprintf(open_path, sizeof(open_path), "/proc/self/fd/%d", es->memfd);
    }
    if (libevtx_file_open(es->file, es->memfd >= 0 ? open_path : path, LIBEVTX_OPEN_READ, &error) !=
            1 ||
        libevtx_file_get_number_of_records(es->file, &es->record_count, &error) != 1) {
        struct evtx_failure failure;
        describe_error(error, &failure);
        snprintf(err, err_size, "%s: libevtx cannot open the file as EVTX (%s)", path,
                 failure.cause);
        libevtx_error_free(&error);
        evtx_close(&es->src.in);
        return NULL;
    }
    es->record_start = find_oldest_record(es);
    load_recovered(es);
    return &es->src.in;
}
