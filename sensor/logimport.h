/* Readers for Windows event logs: EVTX, event XML and JSON lines. */
#ifndef WA_LOGIMPORT_H
#define WA_LOGIMPORT_H

#include <stddef.h>

#include "input.h"

/*
 * Opens a log of kind INPUT_EVTX, INPUT_XML or INPUT_JSONL. Each step() reads
 * one record and emits it as an EVENT_ORIGIN_HOST event. Bad records are
 * warned about on stderr with file and record or line, counted under
 * "log.skipped", and reading goes on. Returns NULL and a message in err when
 * the file cannot be opened at all.
 */
struct input *log_input_open(const char *path, enum input_kind kind, char *err, size_t err_size);

#endif
