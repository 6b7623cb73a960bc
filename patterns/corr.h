/* The correlator: Sigma detection and correlation rules over the event stream. */
#ifndef WA_CORR_H
#define WA_CORR_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "../sensor/event.h"

struct corr_engine;

/*
 * Receives each alert as a JSON object that the callee must not keep without
 * json_incref(). Members: "rule" (title), "id", "level", "tags" (array),
 * "group" (object of group-by field to value), "first" and "last" (UTC times),
 * "count", "values" (object of field name to array of distinct values) and
 * "events" (array of {"origin","input","frame"|"record","EventID","TimeCreated"}).
 */
typedef void (*corr_alert_fn)(void *arg, json_t *alert);

/* Returns an engine with no rules, or NULL when out of memory. */
struct corr_engine *corr_engine_new(corr_alert_fn on_alert, void *arg);

/* Frees the engine; accepts NULL. */
void corr_engine_free(struct corr_engine *engine);

/*
 * Loads a rule file or every *.yml / *.yaml file below a folder. Each error is
 * written to err_out as "file:line:column: message". Returns the number of
 * errors; with wa_opts.corr_keep_going the valid rules stay loaded.
 */
unsigned corr_engine_load(struct corr_engine *engine, const char *path, FILE *err_out);

/* Returns the number of rules loaded (detections and correlations). */
unsigned corr_engine_rule_count(const struct corr_engine *engine);

/*
 * Matches one event, in time order, against every rule and advances the
 * correlations; may call on_alert. Borrowed: the event may be freed on return.
 */
void corr_engine_process(struct corr_engine *engine, const struct event *ev);

/* Ends the stream: emits alerts that were waiting for more events. */
void corr_engine_finish(struct corr_engine *engine);

/*
 * Returns the folder of the bundled patterns: $WIREAUDIT_PATTERNS when set,
 * else the first that exists of "patterns/rules" beside the executable or one
 * folder up, and "../share/wireaudit/rules" from the executable's folder (the
 * `make install` layout). Returns "patterns/rules" when none exists.
 */
const char *corr_default_rules_path(void);

#endif
