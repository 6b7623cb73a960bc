/*
 * Internal types of the Sigma engine, shared by the rule loader
 * (sigma_load.c, sigma_item.c, sigma_load_corr.c), the value matcher
 * (sigma_match.c), the condition parser (sigma_cond.c), the field table
 * (fields.c), the correlation windows (corr_window.c) and the engine
 * (corr.c). Nothing outside patterns/ includes this header.
 *
 * Sigma rules specification 2.0.0 and Sigma correlation rules specification
 * 2.0.0 (github.com/SigmaHQ/sigma-specification) define the semantics.
 */
#ifndef WA_SIGMA_H
#define WA_SIGMA_H

#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <pcre2.h>

#include "../sensor/event.h"

/* Field index used for keyword (field-less) items: match any EventData value. */
#define SIGMA_FIELD_KEYWORDS (-1)

/* Largest event_count or value_count threshold, and the entries kept per group. */
#define CORR_GROUP_ENTRIES_MAX 4096

/* Entries kept by one correlation over all its groups (about 80 bytes each). */
#define CORR_STATE_ENTRIES_MAX 1000000

/* Fields one correlation may group by. */
#define CORR_GROUP_BY_MAX 16

/* Rules one correlation may reference (temporal types track them in a 64-bit mask). */
#define CORR_STEPS_MAX 64

/* Distinct values kept per group for the alert's "values" member. */
#define CORR_GROUP_VALUES_MAX 64

/* Event references written into one alert. The "count" member still counts all of them. */
#define CORR_ALERT_EVENTS_MAX 100

/* Glob tokens above 255. Values 0 to 255 are literal bytes. */
enum {
    GLOB_ANY_SEQ = 256, /* '*' */
    GLOB_ANY_ONE,       /* '?': one UTF-8 character */
    GLOB_DASH           /* windash: '-', '/', U+2013, U+2014 or U+2015 */
};

enum sigma_value_kind {
    SV_GLOB = 0, /* string with optional wildcards */
    SV_REGEX,
    SV_CIDR,
    SV_NUMBER, /* lt, lte, gt, gte */
    SV_EXISTS,
    SV_NULL, /* matches an absent field */
    SV_FIELDREF
};

enum sigma_anchor {
    ANCHOR_EXACT = 0,
    ANCHOR_PREFIX, /* startswith */
    ANCHOR_SUFFIX, /* endswith */
    ANCHOR_CONTAINS
};

enum sigma_number_op { NUM_LT = 0, NUM_LTE, NUM_GT, NUM_GTE };

/* One compiled value of a detection item. */
struct sigma_value {
    enum sigma_value_kind kind;
    bool cased;
    /* SV_GLOB and SV_FIELDREF */
    enum sigma_anchor anchor;
    bool plain; /* no wildcard or dash token: lit is compared with memcmp/memmem */
    char *lit;  /* lower-cased unless cased */
    size_t lit_len;
    uint16_t *tokens; /* glob tokens, anchors included as GLOB_ANY_SEQ */
    size_t token_count;
    /* SV_REGEX */
    pcre2_code *re;
    /* SV_CIDR */
    int family; /* 4 or 6 */
    uint8_t addr[16];
    unsigned prefix_bits;
    /* SV_NUMBER */
    enum sigma_number_op op;
    double number;
    /* SV_EXISTS */
    bool exists;
    /* SV_FIELDREF */
    int ref_field;
};

/*
 * One "Field|modifiers: values" entry. A rule value can expand into several
 * alternatives (base64offset, access right names), so values[] contains them
 * all and group[i] is the index of the rule value that values[i] came from.
 */
struct sigma_item {
    int field;   /* interned canonical field, or SIGMA_FIELD_KEYWORDS */
    bool all;    /* every rule value must match (modifier "all") */
    bool negate; /* modifier "neq" */
    struct sigma_value *values;
    uint32_t *group;
    uint32_t value_count;
    uint32_t group_count;
};

/* A map of items (AND). */
struct sigma_map {
    struct sigma_item *items;
    uint32_t item_count;
};

/* A named selection: one map, a list of maps (OR) or keywords. */
struct sigma_selection {
    char *name;
    struct sigma_map *maps;
    uint32_t map_count;
};

enum cond_kind { COND_SEL = 0, COND_AND, COND_OR, COND_NOT };

struct cond_node {
    enum cond_kind kind;
    int sel;  /* COND_SEL */
    int left; /* node indexes, right is -1 for COND_NOT */
    int right;
};

struct sigma_condition {
    struct cond_node *nodes;
    uint32_t node_count;
    uint32_t node_cap;
    int root;
};

/* Logsources whose field names are translated before interning. */
enum logsource_kind { LOGSOURCE_WINDOWS = 0, LOGSOURCE_ZEEK_DCE_RPC, LOGSOURCE_ZEEK_SMB_FILES };

/* Rule metadata shared by detection and correlation rules. */
struct rule_meta {
    char *title;
    char *id;
    char *name;
    char *level;
    char *file;
    unsigned line;
    unsigned column;
    json_t *tags;      /* array of strings */
    int *value_fields; /* fields whose distinct values go into alerts */
    uint32_t value_field_count;
};

/* A reference from a correlation to a detection rule or another correlation. */
struct rule_ref {
    bool is_correlation;
    int index;
};

struct sigma_rule {
    struct rule_meta meta;
    struct sigma_selection *sels;
    uint32_t sel_count;
    struct sigma_condition cond;
    enum logsource_kind source;
    bool any_event_id; /* the rule may match any EventID */
    uint32_t *event_ids;
    uint32_t event_id_count;
    bool silent;  /* referenced by a correlation that does not generate */
    int *parents; /* correlation indexes fed by this rule */
    uint32_t parent_count;
};

enum corr_type { CORR_EVENT_COUNT = 0, CORR_VALUE_COUNT, CORR_TEMPORAL, CORR_TEMPORAL_ORDERED };

/* Count bounds of a correlation condition. Absent bounds are open. */
struct corr_bounds {
    bool has_min;
    int64_t min; /* inclusive */
    bool has_max;
    int64_t max; /* inclusive */
    bool has_neq;
    int64_t neq;
};

struct corr_state;

struct corr_rule {
    struct rule_meta meta;
    enum corr_type type;
    char **ref_names; /* as written under "rules" */
    unsigned *ref_lines;
    unsigned *ref_columns;
    struct rule_ref *steps;
    uint32_t step_count;
    char **group_names; /* as written under "group-by" */
    uint32_t group_count;
    int *group_fields; /* [step * group_count + g]: field read for that step */
    int64_t timespan_us;
    struct corr_bounds bounds;
    int value_field; /* value_count "field", or -1 */
    bool generate;
    bool silent;     /* referenced by a correlation that does not generate */
    bool failed;     /* rejected while resolving references */
    json_t *aliases; /* "aliases" object as written, resolved after loading */
    int *parents;
    uint32_t parent_count;
    struct corr_state *state;
};

/* A reference to one contributing event, kept after the event is freed. */
struct event_ref {
    enum event_origin origin;
    const char *input; /* interned by the engine */
    uint64_t record;
    uint64_t seq;
    uint32_t event_id;
    int64_t time_us;
};

/* Per-event lookup cache, so each field is found and lower-cased once. */
struct field_cache_slot {
    uint64_t generation;
    const char *raw;   /* NULL when the field is absent */
    const char *lower; /* lower-cased copy, made on first use */
    size_t len;
};

struct scratch_chunk {
    struct scratch_chunk *next;
    size_t used;
    size_t cap;
    char data[];
};

/* Bump allocator reset for every event. Chunks never move, so pointers stay valid. */
struct scratch {
    struct scratch_chunk *head;
    struct scratch_chunk *current;
};

/* The state matching one event: the event and its field cache. */
struct match_ctx {
    const struct event *ev;
    struct field_cache_slot *cache;
    uint64_t generation;
    struct scratch *scratch;
    const char *const *field_names;
    const uint8_t *field_kinds;
    uint32_t field_count;
    pcre2_match_data *match_data; /* one pair is enough: only success is used */
};

/* Source of a field's value: EventData for most fields, computed for a few. */
enum field_kind {
    FIELD_PLAIN = 0,
    FIELD_EVENT_ID,      /* the typed EventID member */
    FIELD_TIME_CREATED,  /* the typed time, formatted */
    FIELD_ACCESS_MASK,   /* hex normalized to "0x2" */
    FIELD_PROVIDER_NAME, /* falls back to Provider, then to the EventID's usual provider */
    FIELD_ACCOUNT_NAME   /* TargetUserName for logons, else SubjectUserName */
};

/* Engine-wide interned field names, with the kind of each. */
struct field_table {
    char **names;
    uint8_t *kinds;
    uint32_t count;
    uint32_t cap;
};

/* fields.c */
int fields_intern(struct field_table *table, const char *name);
void fields_free(struct field_table *table);
const char *fields_canonical_name(const char *name, enum logsource_kind source);

/* fields_known.c: true when a field name written in a rule can name an event field. */
bool fields_is_known(const char *name, enum logsource_kind source);
const char *fields_get(struct match_ctx *ctx, int field, bool lower, size_t *len);
char *fields_normalize_hex(const char *value, char *buf, size_t size);
unsigned fields_access_alternatives(const char *value, char out[][256], unsigned max);

/* scratch (fields.c) */
char *scratch_alloc(struct scratch *s, size_t size);
void scratch_reset(struct scratch *s);
void scratch_free(struct scratch *s);

/* sigma_match.c */
bool sigma_value_compile_glob(struct sigma_value *v, const char *text, enum sigma_anchor anchor,
                              bool windash, char *err, size_t err_size);
bool sigma_glob_match(const uint16_t *tokens, size_t count, const char *s, size_t len);
bool sigma_item_match(struct match_ctx *ctx, const struct sigma_item *item);
bool sigma_map_match(struct match_ctx *ctx, const struct sigma_map *map);
void sigma_value_free(struct sigma_value *v);
bool sigma_parse_cidr(const char *text, struct sigma_value *v);

/* sigma_cond.c */
bool sigma_cond_parse(struct sigma_rule *rule, const char *text, char *err, size_t err_size);
bool sigma_cond_eval(struct match_ctx *ctx, const struct sigma_rule *rule);
void sigma_cond_event_ids(struct sigma_rule *rule, int event_id_field);

/* corr_window.c */
struct corr_engine;

/* One match handed to a correlation: from an event or from a fired child correlation. */
struct corr_match {
    struct match_ctx *ctx;           /* NULL when no event is at hand */
    const struct corr_rule *child;   /* set when a correlation fired */
    char *const *child_group_values; /* values of child->group_names */
    int64_t time_us;
    const struct event_ref *refs; /* a fired child's events, else the one event */
    uint32_t ref_count;
    const json_t *child_values; /* a fired child's "values" object, else NULL */
};

struct corr_state *corr_state_new(const struct corr_rule *rule);
void corr_state_free(struct corr_state *state);
void corr_window_add(struct corr_engine *engine, int corr_index, uint32_t step,
                     const struct corr_match *match);
void corr_window_advance(struct corr_engine *engine, int corr_index, int64_t now_us);
void corr_window_finish(struct corr_engine *engine, int corr_index);

/* corr.c: shared with corr_window.c */
void corr_engine_fire(struct corr_engine *engine, int corr_index, char *const *group_values,
                      int64_t first_us, int64_t last_us, int64_t count,
                      const struct event_ref *refs, uint32_t ref_count, json_t *values,
                      struct match_ctx *ctx);
const struct corr_rule *corr_engine_rule_at(const struct corr_engine *engine, int corr_index);
const struct field_table *corr_engine_fields(const struct corr_engine *engine);
int64_t corr_engine_tolerance_us(const struct corr_engine *engine);

/* sigma_load.c */
struct sigma_ruleset {
    struct sigma_rule *rules;
    uint32_t rule_count;
    uint32_t rule_cap;
    struct corr_rule *corrs;
    uint32_t corr_count;
    uint32_t corr_cap;
    struct field_table fields;
};

unsigned sigma_load_path(struct sigma_ruleset *set, const char *path, FILE *err_out);
void sigma_rule_free(struct sigma_rule *rule);
void corr_rule_free(struct corr_rule *rule);

#endif
