/* Internals shared by the EVTX, event XML and JSON lines readers. */
#ifndef WA_LOG_PRIVATE_H
#define WA_LOG_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "input.h"

/* Warnings printed per file before the rest are only counted ("log.warnings_suppressed"). */
#define LOG_WARN_MAX 20

/* Maximum size of one event's text from XML or JSON, in bytes. Larger events are skipped. */
#define LOG_RECORD_MAX (16u * 1024u * 1024u)

/*
 * The part every log reader shares. It starts with the struct input that the
 * pipeline receives, so a reader casts between the two.
 */
struct log_source {
    struct input in;
    unsigned warnings; /* warnings printed or suppressed for this file */
    bool damaged;      /* input.errors already counted for this file */
};

/* Fills the common fields of src for path and kind. The reader sets step and close. */
void log_source_init(struct log_source *src, const char *path, enum input_kind kind);

/*
 * Prints "wireaudit: PATH: message" on stderr, at most LOG_WARN_MAX times per
 * file; later ones only increment "log.warnings_suppressed".
 */
void log_warn(struct log_source *src, const char *fmt, ...) WA_PRINTF(2, 3);

/*
 * Counts a record that could not be read: increments "log.skipped" and, the
 * first time for this file, "input.errors" and in.errors, so the run exits 1.
 */
void log_skip_record(struct log_source *src);

/* Marks the file damaged (input.errors once per file) without skipping a record. */
void log_mark_damaged(struct log_source *src);

/*
 * Finishes ev as a host event read from src (origin, input, record) and emits
 * it to the sink, which takes ownership. Advances in.clock_us to the event time
 * and never moves it backwards. Increments "log.read".
 */
void log_emit(struct log_source *src, struct event *ev, uint64_t record);

/* Readers, one per kind. Each returns NULL and a message naming path in err on failure. */
struct input *log_evtx_open(const char *path, char *err, size_t err_size);
struct input *log_xml_open(const char *path, char *err, size_t err_size);
struct input *log_jsonl_open(const char *path, char *err, size_t err_size);

/* ---- Event XML (log_xml.c), also used for the XML that libevtx renders ---- */

struct log_xml_parser;

/* Returns a parser for log_xml_parse_event(), or NULL when out of memory. */
struct log_xml_parser *log_xml_parser_new(void);

/* Frees; accepts NULL. */
void log_xml_parser_free(struct log_xml_parser *parser);

/*
 * Control characters that XML 1.0 forbids (0x01-0x08, 0x0b, 0x0c, 0x0e-0x1f)
 * as private-use characters U+E001-U+E01F, so that text holding them parses.
 * libevtx writes such characters raw into the XML it renders, so the EVTX
 * reader escapes them with log_xml_escape_controls(). A parser set up with
 * log_xml_parser_restore_controls() maps them back in element text.
 * NOTE: genuine U+E001-U+E01F characters in an EVTX value come out as controls.
 */
void log_xml_parser_restore_controls(struct log_xml_parser *parser, bool restore);

/*
 * When allow is true, an event whose XML breaks after a complete <System>
 * section is returned with the System fields and the EventData read so far,
 * and log_xml_parser_was_partial() returns true. Recovered EVTX records often
 * end that way: their header survived and their data was overwritten.
 */
void log_xml_parser_allow_partial(struct log_xml_parser *parser, bool allow);

/* True when the last log_xml_parse_event() returned a partial event. */
bool log_xml_parser_was_partial(const struct log_xml_parser *parser);

/*
 * Returns text with the forbidden control characters escaped, in *buf (grown
 * as needed, owned by the caller), or text itself when it contains none. *len is
 * updated to the returned length. Returns NULL when out of memory.
 */
const char *log_xml_escape_controls(const char *text, size_t *len, char **buf, size_t *cap);

/*
 * Parses one <Event> element (namespaces ignored, entities decoded) into a new
 * host event with normalised fields and stores its EventRecordID in *record
 * (0 when absent). On failure returns WA_MALFORMED (or WA_NOMEM) and writes
 * the reason into err, with the 1-based line inside text in *line (0 when
 * unknown). The caller owns *out.
 */
enum wa_status log_xml_parse_event(struct log_xml_parser *parser, const char *text, size_t len,
                                   struct event **out, uint64_t *record, char *err, size_t err_size,
                                   unsigned *line) WA_WARN_UNUSED;

/* ---- Normalisation (log_normalize.c) ---- */

/*
 * Stores an EventData or System field under name, rendered the way Windows
 * renders it: hexadecimal numbers ("0x00000002", "0x17019F") become lower case
 * without padding ("0x2", "0x17019f"), and AccessList codes are separated by
 * single spaces with CR, LF and tabs removed.
 */
enum wa_status log_set_field(struct event *ev, const char *name, const char *value,
                             size_t len) WA_WARN_UNUSED;

/*
 * Renders a Keywords mask: "Audit Success" or "Audit Failure" when the audit
 * bits (0x20000000000000, 0x10000000000000) are set, else "0x..." in lower case.
 */
void log_format_keywords(uint64_t keywords, char *buf, size_t size);

/* Parses "0x..." (up to 16 hex digits) or decimal text into *value. */
bool log_parse_u64(const char *text, size_t len, uint64_t *value);

/* Returns the usual spelling of a well-known channel ("security" -> "Security"), else name. */
const char *log_canonical_channel(const char *name);

/*
 * Sets the System fields every host event carries, in a fixed order so that
 * all readers write them alike: Computer, Channel, Provider, Keywords. NULL
 * values are left out.
 */
enum wa_status log_set_system(struct event *ev, const char *computer, const char *channel,
                              const char *provider, const char *keywords) WA_WARN_UNUSED;

#endif
