/* Placeholder until the correlator lands: loads no rules. */
#include "corr.h"

#include <stdlib.h>

struct corr_engine {
    corr_alert_fn on_alert;
    void *arg;
};

struct corr_engine *corr_engine_new(corr_alert_fn on_alert, void *arg)
{
    struct corr_engine *engine = calloc(1, sizeof(*engine));
    if (engine != NULL) {
        engine->on_alert = on_alert;
        engine->arg = arg;
    }
    return engine;
}

void corr_engine_free(struct corr_engine *engine)
{
    free(engine);
}

unsigned corr_engine_load(struct corr_engine *engine, const char *path, FILE *err_out)
{
    (void)engine;
    (void)path;
    (void)err_out;
    return 0;
}

unsigned corr_engine_rule_count(const struct corr_engine *engine)
{
    (void)engine;
    return 0;
}

void corr_engine_process(struct corr_engine *engine, const struct event *ev)
{
    (void)engine;
    (void)ev;
}

void corr_engine_finish(struct corr_engine *engine)
{
    (void)engine;
}

const char *corr_default_rules_path(void)
{
    return "patterns/rules";
}
