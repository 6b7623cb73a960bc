/*
 * Loads Sigma correlation rules (Sigma correlation rules specification
 * 2.0.0): type, rules, group-by, timespan, condition, aliases and generate.
 * After each load, references are resolved by id or name. Unknown references
 * and cycles reject the correlation with its file, line and column.
 */
#include "sigma_load.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void corr_error(struct load_ctx *ctx, const struct corr_rule *c, unsigned line,
                       unsigned column, const char *fmt, ...) WA_PRINTF(5, 6);

static void corr_error(struct load_ctx *ctx, const struct corr_rule *c, unsigned line,
                       unsigned column, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ctx->err_out != NULL) {
        fprintf(ctx->err_out, "%s:%u:%u: %s\n", c->meta.file, line, column, msg);
    }
    ctx->errors++;
}

static bool same_key(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

bool sigma_check_unique(struct load_ctx *ctx, const yaml_node_t *node, const char *id,
                        const char *name)
{
    const struct sigma_ruleset *set = ctx->set;
    for (uint32_t i = 0; i < set->rule_count + set->corr_count; i++) {
        const struct rule_meta *m =
            i < set->rule_count ? &set->rules[i].meta : &set->corrs[i - set->rule_count].meta;
        if (same_key(m->id, id)) {
            sigma_load_error(ctx, node, "duplicate rule id '%s' (also in %s:%u)", id, m->file,
                             m->line);
            return false;
        }
        if (same_key(m->name, name)) {
            sigma_load_error(ctx, node, "duplicate rule name '%s' (also in %s:%u)", name, m->file,
                             m->line);
            return false;
        }
    }
    return true;
}

/* ---- Parsing ------------------------------------------------------------ */

static bool parse_timespan(struct load_ctx *ctx, const yaml_node_t *node, int64_t *out)
{
    const char *text = ynode_text(node);
    char *end = NULL;
    long long n = text != NULL ? strtoll(text, &end, 10) : 0;
    int64_t unit = 0;
    if (end != NULL && end != text && end[0] != '\0' && end[1] == '\0') {
        unit = end[0] == 's'   ? 1
               : end[0] == 'm' ? 60
               : end[0] == 'h' ? 3600
               : end[0] == 'd' ? 86400
                               : 0;
    }
    /* Up to 366 days, so the microsecond value cannot overflow. */
    if (unit == 0 || n <= 0 || n * unit > 366 * 86400) {
        sigma_load_error(ctx, node,
                         "invalid 'timespan' '%s': expected a number and s, m, h or d "
                         "(for example 10m), at most 366 days",
                         text != NULL ? text : "");
        return false;
    }
    *out = (int64_t)n * unit * 1000000;
    return true;
}

static bool parse_bound(struct load_ctx *ctx, const yaml_node_t *node, const char *key,
                        int64_t *out)
{
    const char *text = ynode_text(node);
    char *end = NULL;
    long long n = text != NULL ? strtoll(text, &end, 10) : -1;
    if (end == NULL || end == text || *end != '\0' || n < 0) {
        sigma_load_error(ctx, node, "invalid condition '%s': expected a non-negative integer", key);
        return false;
    }
    *out = n;
    return true;
}

static bool parse_condition(struct load_ctx *ctx, const yaml_node_t *node, struct corr_rule *c,
                            char **field)
{
    if (node->type != YAML_MAPPING_NODE) {
        sigma_load_error(ctx, node, "invalid 'condition': expected a mapping such as 'gte: 5'");
        return false;
    }
    struct corr_bounds *b = &c->bounds;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(ctx->doc, p->value);
        const char *key = ynode_text(k);
        int64_t n = 0;
        if (key != NULL && strcmp(key, "field") == 0) {
            if ((*field = ynode_strdup(ctx, v, "field")) == NULL) {
                return false;
            }
            continue;
        }
        if (key == NULL || !parse_bound(ctx, v, key, &n)) {
            if (key == NULL) {
                sigma_load_error(ctx, k, "invalid condition key");
            }
            return false;
        }
        if (strcmp(key, "gt") == 0 || strcmp(key, "gte") == 0) {
            int64_t min = strcmp(key, "gt") == 0 ? n + 1 : n;
            b->min = b->has_min && b->min > min ? b->min : min;
            b->has_min = true;
        } else if (strcmp(key, "lt") == 0 || strcmp(key, "lte") == 0) {
            int64_t max = strcmp(key, "lt") == 0 ? n - 1 : n;
            b->max = b->has_max && b->max < max ? b->max : max;
            b->has_max = true;
        } else if (strcmp(key, "eq") == 0) {
            b->has_min = b->has_max = true;
            b->min = b->max = n;
        } else if (strcmp(key, "neq") == 0) {
            b->has_neq = true;
            b->neq = n;
        } else {
            sigma_load_error(ctx, k,
                             "unknown condition key '%s' (expected gt, gte, lt, lte, eq, neq "
                             "or field)",
                             key);
            return false;
        }
    }
    return true;
}

static const char *const corr_types[] = {"event_count", "value_count", "temporal",
                                         "temporal_ordered"};

static bool parse_refs(struct load_ctx *ctx, const yaml_node_t *node, struct corr_rule *c)
{
    size_t n = node->type == YAML_SEQUENCE_NODE
                   ? (size_t)(node->data.sequence.items.top - node->data.sequence.items.start)
                   : 1;
    if (n > CORR_STEPS_MAX) {
        sigma_load_error(ctx, node, "unsupported 'correlation.rules': at most %d rules",
                         CORR_STEPS_MAX);
        return false;
    }
    c->ref_names = calloc(n, sizeof(*c->ref_names));
    c->ref_lines = calloc(n, sizeof(*c->ref_lines));
    c->ref_columns = calloc(n, sizeof(*c->ref_columns));
    if (c->ref_names == NULL || c->ref_lines == NULL || c->ref_columns == NULL) {
        sigma_load_error(ctx, node, "out of memory");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *item = node;
        if (node->type == YAML_SEQUENCE_NODE) {
            item = yaml_document_get_node(ctx->doc, node->data.sequence.items.start[i]);
        }
        c->ref_names[i] = ynode_strdup(ctx, item, "rules");
        if (c->ref_names[i] == NULL) {
            return false;
        }
        c->ref_lines[i] = (unsigned)item->start_mark.line + 1;
        c->ref_columns[i] = (unsigned)item->start_mark.column + 1;
        c->step_count++;
    }
    return true;
}

static bool parse_group_by(struct load_ctx *ctx, const yaml_node_t *node, struct corr_rule *c)
{
    json_t *list = ynode_string_list(ctx, node, "group-by");
    if (list == NULL) {
        return false;
    }
    size_t n = json_array_size(list);
    if (n > CORR_GROUP_BY_MAX) {
        sigma_load_error(ctx, node, "unsupported 'group-by': at most %d fields", CORR_GROUP_BY_MAX);
        json_decref(list);
        return false;
    }
    c->group_names = calloc(n != 0 ? n : 1, sizeof(*c->group_names));
    bool ok = c->group_names != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        c->group_names[i] = strdup(json_string_value(json_array_get(list, i)));
        ok = c->group_names[i] != NULL;
        c->group_count += ok ? 1 : 0;
    }
    json_decref(list);
    return ok;
}

/* Reads "aliases": alias -> rule name -> field, kept as a JSON object. */
static bool parse_aliases(struct load_ctx *ctx, const yaml_node_t *node, struct corr_rule *c)
{
    if (node->type != YAML_MAPPING_NODE) {
        sigma_load_error(ctx, node,
                         "invalid 'aliases': expected a mapping of alias to rule fields");
        return false;
    }
    c->aliases = json_object();
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(ctx->doc, p->value);
        if (ynode_text(k) == NULL || v->type != YAML_MAPPING_NODE) {
            sigma_load_error(ctx, v, "invalid alias: expected 'alias: {rule name: field}'");
            return false;
        }
        json_t *per_rule = json_object();
        json_object_set_new(c->aliases, ynode_text(k), per_rule);
        for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top;
             q++) {
            yaml_node_t *rk = yaml_document_get_node(ctx->doc, q->key);
            yaml_node_t *rv = yaml_document_get_node(ctx->doc, q->value);
            if (ynode_text(rk) == NULL || ynode_text(rv) == NULL) {
                sigma_load_error(ctx, rv, "invalid alias entry: expected 'rule name: field'");
                return false;
            }
            json_object_set_new(per_rule, ynode_text(rk), json_string(ynode_text(rv)));
        }
    }
    return true;
}

static bool parse_bool(struct load_ctx *ctx, const yaml_node_t *node, bool *out)
{
    const char *t = ynode_text(node);
    if (t != NULL && (strcasecmp(t, "true") == 0 || strcasecmp(t, "false") == 0)) {
        *out = strcasecmp(t, "true") == 0;
        return true;
    }
    sigma_load_error(ctx, node, "invalid 'generate': expected true or false");
    return false;
}

/* Checks the condition against what the correlation type can evaluate. */
static bool check_condition(struct load_ctx *ctx, const yaml_node_t *node, struct corr_rule *c,
                            const char *field)
{
    struct corr_bounds *b = &c->bounds;
    bool temporal = c->type == CORR_TEMPORAL || c->type == CORR_TEMPORAL_ORDERED;
    if (c->type == CORR_VALUE_COUNT && field == NULL) {
        sigma_load_error(ctx, node,
                         "missing 'condition.field': value_count counts the distinct "
                         "values of that field");
        return false;
    }
    if (c->type != CORR_VALUE_COUNT && field != NULL) {
        sigma_load_error(ctx, node, "unsupported 'condition.field' for type %s",
                         corr_types[c->type]);
        return false;
    }
    if (!temporal && !b->has_min && !b->has_max && !b->has_neq) {
        sigma_load_error(ctx, node, "missing 'condition' for type %s", corr_types[c->type]);
        return false;
    }
    if (temporal && (b->has_max || b->has_neq)) {
        sigma_load_error(ctx, node,
                         "unsupported condition for type %s: only gt and gte (a number "
                         "of the referenced rules) are supported",
                         corr_types[c->type]);
        return false;
    }
    if (c->type == CORR_TEMPORAL_ORDERED && b->has_min && b->min != (int64_t)c->step_count) {
        sigma_load_error(ctx, node,
                         "unsupported condition for temporal_ordered: every referenced "
                         "rule must match in order (omit the condition)");
        return false;
    }
    int64_t need = b->neq;
    if (b->has_min) {
        need = b->min;
    } else if (b->has_max) {
        need = b->max;
    }
    if (!temporal && need > CORR_GROUP_ENTRIES_MAX) {
        sigma_load_error(ctx, node, "unsupported condition: counts above %d are not supported",
                         CORR_GROUP_ENTRIES_MAX);
        return false;
    }
    if (temporal && !b->has_min) {
        b->has_min = true;
        b->min = (int64_t)c->step_count;
    }
    return true;
}

static bool parse_corr_section(struct load_ctx *ctx, const yaml_node_t *sec, struct corr_rule *c)
{
    static const char *const keys[] = {"type",      "rules",   "group-by", "timespan",
                                       "condition", "aliases", "generate", "timeframe"};
    if (sec->type != YAML_MAPPING_NODE || !sigma_check_keys(ctx, sec, keys, WA_ARRAY_LEN(keys))) {
        if (sec->type != YAML_MAPPING_NODE) {
            sigma_load_error(ctx, sec, "invalid 'correlation': expected a mapping");
        }
        return false;
    }
    const char *type = ynode_text(ynode_child(ctx, sec, "type"));
    size_t t = 0;
    while (t < WA_ARRAY_LEN(corr_types) && (type == NULL || strcmp(type, corr_types[t]) != 0)) {
        t++;
    }
    if (t == WA_ARRAY_LEN(corr_types)) {
        sigma_load_error(ctx, sec,
                         "unsupported correlation type '%s' (expected event_count, "
                         "value_count, temporal or temporal_ordered)",
                         type != NULL ? type : "");
        return false;
    }
    c->type = (enum corr_type)t;
    yaml_node_t *rules = ynode_child(ctx, sec, "rules");
    yaml_node_t *span = ynode_child(ctx, sec, "timespan");
    if (span == NULL) {
        span = ynode_child(ctx, sec, "timeframe");
    }
    bool empty = rules == NULL || ynode_is_null(rules) ||
                 (rules->type == YAML_SEQUENCE_NODE &&
                  rules->data.sequence.items.top == rules->data.sequence.items.start);
    if (empty) {
        sigma_load_error(ctx, rules != NULL ? rules : sec, "missing or empty 'correlation.rules'");
        return false;
    }
    if (!parse_refs(ctx, rules, c)) {
        return false;
    }
    if (span == NULL) {
        sigma_load_error(ctx, sec, "missing 'correlation.timespan'");
        return false;
    }
    yaml_node_t *group = ynode_child(ctx, sec, "group-by");
    yaml_node_t *aliases = ynode_child(ctx, sec, "aliases");
    yaml_node_t *gen = ynode_child(ctx, sec, "generate");
    if (!parse_timespan(ctx, span, &c->timespan_us) || !parse_group_by(ctx, group, c) ||
        (aliases != NULL && !parse_aliases(ctx, aliases, c)) ||
        (gen != NULL && !parse_bool(ctx, gen, &c->generate))) {
        return false;
    }
    char *field = NULL;
    yaml_node_t *cond = ynode_child(ctx, sec, "condition");
    bool ok = (cond == NULL || parse_condition(ctx, cond, c, &field)) &&
              check_condition(ctx, cond != NULL ? cond : sec, c, field);
    c->value_field = -1;
    if (ok && field != NULL) {
        c->value_field =
            fields_intern(&ctx->set->fields, fields_canonical_name(field, LOGSOURCE_WINDOWS));
        ok = c->value_field >= 0 && sigma_meta_add_value_field(&c->meta, c->value_field);
    }
    free(field);
    return ok;
}

static bool push_corr(struct sigma_ruleset *set, struct corr_rule *c)
{
    if (set->corr_count == set->corr_cap) {
        uint32_t cap = set->corr_cap != 0 ? set->corr_cap * 2 : 16;
        struct corr_rule *grown = realloc(set->corrs, cap * sizeof(*grown));
        if (grown == NULL) {
            return false;
        }
        set->corrs = grown;
        set->corr_cap = cap;
    }
    set->corrs[set->corr_count++] = *c;
    return true;
}

bool sigma_load_correlation(struct load_ctx *ctx, const yaml_node_t *root)
{
    struct corr_rule c;
    memset(&c, 0, sizeof(c));
    c.value_field = -1;
    yaml_node_t *top_generate = ynode_child(ctx, root, "generate");
    bool ok = sigma_load_meta(ctx, root, &c.meta, true) &&
              sigma_load_value_fields(ctx, root, &c.meta, LOGSOURCE_WINDOWS) &&
              parse_corr_section(ctx, ynode_child(ctx, root, "correlation"), &c) &&
              (top_generate == NULL || parse_bool(ctx, top_generate, &c.generate)) &&
              sigma_check_unique(ctx, root, c.meta.id, c.meta.name);
    if (ok && !push_corr(ctx->set, &c)) {
        sigma_load_error(ctx, root, "out of memory");
        ok = false;
    }
    if (!ok) {
        corr_rule_free(&c);
    }
    return ok;
}

void corr_rule_free(struct corr_rule *c)
{
    sigma_meta_free(&c->meta);
    for (uint32_t i = 0; i < c->step_count; i++) {
        free(c->ref_names[i]);
    }
    free(c->ref_names);
    free(c->ref_lines);
    free(c->ref_columns);
    free(c->steps);
    for (uint32_t i = 0; i < c->group_count; i++) {
        free(c->group_names[i]);
    }
    free(c->group_names);
    free(c->group_fields);
    json_decref(c->aliases);
    free(c->parents);
    corr_state_free(c->state);
    memset(c, 0, sizeof(*c));
}

/* ---- Resolution --------------------------------------------------------- */

static bool find_ref(const struct sigma_ruleset *set, const char *ref, struct rule_ref *out)
{
    for (uint32_t i = 0; i < set->rule_count; i++) {
        const struct rule_meta *m = &set->rules[i].meta;
        if (same_key(m->id, ref) || same_key(m->name, ref)) {
            *out = (struct rule_ref){false, (int)i};
            return true;
        }
    }
    for (uint32_t i = 0; i < set->corr_count; i++) {
        const struct rule_meta *m = &set->corrs[i].meta;
        if (!set->corrs[i].failed && (same_key(m->id, ref) || same_key(m->name, ref))) {
            *out = (struct rule_ref){true, (int)i};
            return true;
        }
    }
    return false;
}

/* Returns true when following references from corr index start leads back to target. */
static bool reaches(const struct sigma_ruleset *set, uint32_t start, uint32_t target, int depth)
{
    if (depth > 64) {
        return true;
    }
    const struct corr_rule *c = &set->corrs[start];
    for (uint32_t i = 0; i < c->step_count; i++) {
        struct rule_ref r;
        if (!find_ref(set, c->ref_names[i], &r) || !r.is_correlation) {
            continue;
        }
        if ((uint32_t)r.index == target || reaches(set, (uint32_t)r.index, target, depth + 1)) {
            return true;
        }
    }
    return false;
}

/* Returns true when a correlation already rejected has id or name ref. */
static bool is_rejected_ref(const struct sigma_ruleset *set, const char *ref)
{
    for (uint32_t i = 0; i < set->corr_count; i++) {
        const struct rule_meta *m = &set->corrs[i].meta;
        if (set->corrs[i].failed && (same_key(m->id, ref) || same_key(m->name, ref))) {
            return true;
        }
    }
    return false;
}

static const char *corr_label(const struct corr_rule *c)
{
    if (c->meta.name != NULL) {
        return c->meta.name;
    }
    return c->meta.id != NULL ? c->meta.id : c->meta.title;
}

/*
 * Finds a path of correlation references from start back to target and
 * stores its correlation indexes in path (start first). Returns the path
 * length, or 0 when there is none within CORR_STEPS_MAX levels of references.
 */
static uint32_t find_cycle(const struct sigma_ruleset *set, uint32_t start, uint32_t target,
                           uint32_t *path, uint32_t depth)
{
    if (depth >= CORR_STEPS_MAX) {
        return 0;
    }
    path[depth] = start;
    const struct corr_rule *c = &set->corrs[start];
    for (uint32_t i = 0; i < c->step_count; i++) {
        struct rule_ref r;
        if (!find_ref(set, c->ref_names[i], &r) || !r.is_correlation) {
            continue;
        }
        if ((uint32_t)r.index == target) {
            return depth + 1;
        }
        bool on_path = false;
        for (uint32_t k = 0; k <= depth && !on_path; k++) {
            on_path = path[k] == (uint32_t)r.index;
        }
        if (on_path) {
            continue;
        }
        uint32_t n = find_cycle(set, (uint32_t)r.index, target, path, depth + 1);
        if (n != 0) {
            return n;
        }
    }
    return 0;
}

/*
 * Rejects every correlation of the cycle through c with one message at c
 * that names the rules in it, so the other members get no second message.
 */
static void reject_cycle(struct load_ctx *ctx, uint32_t ci)
{
    struct sigma_ruleset *set = ctx->set;
    uint32_t path[CORR_STEPS_MAX];
    uint32_t n = find_cycle(set, ci, ci, path, 0);
    char names[384];
    size_t used = 0;
    names[0] = '\0';
    for (uint32_t k = 0; k <= n && used < sizeof(names); k++) {
        const struct corr_rule *member = &set->corrs[path[k < n ? k : 0]];
        int w = snprintf(names + used, sizeof(names) - used, "%s%s", k == 0 ? "" : " -> ",
                         corr_label(member));
        used += w > 0 ? (size_t)w : 0;
    }
    struct corr_rule *c = &set->corrs[ci];
    corr_error(ctx, c, c->meta.line, c->meta.column,
               "invalid correlation '%s': correlation rules refer to each other in a cycle "
               "(%s)",
               corr_label(c), n != 0 ? names : "references nested more than 64 levels deep");
    for (uint32_t k = 0; k < n; k++) {
        set->corrs[path[k]].failed = true;
    }
    c->failed = true;
}

/*
 * Marks correlations with unknown or rejected references, or in a cycle, as
 * failed. Returns true on change.
 */
static bool mark_failures(struct load_ctx *ctx)
{
    struct sigma_ruleset *set = ctx->set;
    bool changed = false;
    for (uint32_t i = 0; i < set->corr_count; i++) {
        struct corr_rule *c = &set->corrs[i];
        if (c->failed) {
            continue;
        }
        for (uint32_t s = 0; s < c->step_count && !c->failed; s++) {
            struct rule_ref r;
            if (find_ref(set, c->ref_names[s], &r)) {
                continue;
            }
            if (is_rejected_ref(set, c->ref_names[s])) {
                corr_error(ctx, c, c->ref_lines[s], c->ref_columns[s],
                           "rule '%s' in 'correlation.rules' was rejected (see its error), so "
                           "this correlation is rejected too",
                           c->ref_names[s]);
            } else {
                corr_error(ctx, c, c->ref_lines[s], c->ref_columns[s],
                           "unknown rule '%s' in 'correlation.rules' (no rule has that id or "
                           "name)",
                           c->ref_names[s]);
            }
            c->failed = true;
        }
        if (!c->failed && reaches(set, i, i, 0)) {
            reject_cycle(ctx, i);
        }
        changed = changed || c->failed;
    }
    return changed;
}

static bool add_parent(int **parents, uint32_t *count, int index)
{
    int *grown = realloc(*parents, (*count + 1) * sizeof(*grown));
    if (grown == NULL) {
        return false;
    }
    *parents = grown;
    (*parents)[(*count)++] = index;
    return true;
}

static const char *step_name(const struct sigma_ruleset *set, const struct rule_ref *r)
{
    return r->is_correlation ? set->corrs[r->index].meta.name : set->rules[r->index].meta.name;
}

/* Resolves group-by names for each step: an alias for the step's rule, else the name. */
static bool resolve_group_fields(struct sigma_ruleset *set, struct corr_rule *c)
{
    free(c->group_fields);
    size_t n = (size_t)c->step_count * c->group_count;
    c->group_fields = calloc(n != 0 ? n : 1, sizeof(*c->group_fields));
    if (c->group_fields == NULL) {
        return false;
    }
    for (uint32_t s = 0; s < c->step_count; s++) {
        const struct rule_ref *r = &c->steps[s];
        enum logsource_kind source =
            r->is_correlation ? LOGSOURCE_WINDOWS : set->rules[r->index].source;
        for (uint32_t g = 0; g < c->group_count; g++) {
            const char *name = c->group_names[g];
            json_t *per_rule = c->aliases != NULL ? json_object_get(c->aliases, name) : NULL;
            json_t *hit = per_rule != NULL ? json_object_get(per_rule, c->ref_names[s]) : NULL;
            const char *rule_name = step_name(set, r);
            if (hit == NULL && per_rule != NULL && rule_name != NULL) {
                hit = json_object_get(per_rule, rule_name);
            }
            if (hit != NULL) {
                name = json_string_value(hit);
            }
            int f = fields_intern(&set->fields, fields_canonical_name(name, source));
            if (f < 0) {
                return false;
            }
            c->group_fields[(size_t)s * c->group_count + g] = f;
        }
    }
    return true;
}

static void reset_links(struct sigma_ruleset *set)
{
    for (uint32_t i = 0; i < set->rule_count; i++) {
        free(set->rules[i].parents);
        set->rules[i].parents = NULL;
        set->rules[i].parent_count = 0;
        set->rules[i].silent = false;
    }
    for (uint32_t i = 0; i < set->corr_count; i++) {
        free(set->corrs[i].parents);
        set->corrs[i].parents = NULL;
        set->corrs[i].parent_count = 0;
        set->corrs[i].silent = false;
    }
}

/* Resolves the steps of correlation i and registers it as their parent. */
static bool link_steps(struct sigma_ruleset *set, uint32_t i)
{
    struct corr_rule *c = &set->corrs[i];
    free(c->steps);
    c->steps = calloc(c->step_count, sizeof(*c->steps));
    if (c->steps == NULL) {
        return false;
    }
    for (uint32_t s = 0; s < c->step_count; s++) {
        struct rule_ref *r = &c->steps[s];
        find_ref(set, c->ref_names[s], r);
        bool ok = r->is_correlation ? add_parent(&set->corrs[r->index].parents,
                                                 &set->corrs[r->index].parent_count, (int)i)
                                    : add_parent(&set->rules[r->index].parents,
                                                 &set->rules[r->index].parent_count, (int)i);
        if (!ok) {
            return false;
        }
    }
    if (!resolve_group_fields(set, c)) {
        return false;
    }
    return c->state != NULL || (c->state = corr_state_new(c)) != NULL;
}

/* A referenced rule alerts on its own only when a referencing correlation generates. */
static void set_silent_flags(struct sigma_ruleset *set)
{
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < set->corr_count; i++) {
            const struct corr_rule *c = &set->corrs[i];
            bool silent = pass == 0;
            if (!silent && !c->generate) {
                continue;
            }
            for (uint32_t s = 0; s < c->step_count; s++) {
                const struct rule_ref *r = &c->steps[s];
                if (r->is_correlation) {
                    set->corrs[r->index].silent = silent;
                } else {
                    set->rules[r->index].silent = silent;
                }
            }
        }
    }
}

/* Links every correlation to its steps and parents and sets the silent flags. */
static bool link_all(struct sigma_ruleset *set)
{
    reset_links(set);
    for (uint32_t i = 0; i < set->corr_count; i++) {
        if (!link_steps(set, i)) {
            return false;
        }
    }
    set_silent_flags(set);
    return true;
}

/* Adds the referenced rules' value fields to correlations that list no "fields". */
static bool inherit_value_fields(struct sigma_ruleset *set)
{
    for (uint32_t i = 0; i < set->corr_count; i++) {
        struct corr_rule *c = &set->corrs[i];
        for (uint32_t s = 0; s < c->step_count; s++) {
            const struct rule_ref *r = &c->steps[s];
            const struct rule_meta *m =
                r->is_correlation ? &set->corrs[r->index].meta : &set->rules[r->index].meta;
            for (uint32_t k = 0; k < m->value_field_count; k++) {
                if (!sigma_meta_add_value_field(&c->meta, m->value_fields[k])) {
                    return false;
                }
            }
        }
    }
    return true;
}

/*
 * Adds each correlation's value fields to the silent correlations it
 * references, so a referenced correlation collects every value its parent's
 * alert lists (all three AccessMask values and file names of a copy, not only
 * those of the last event). Repeats until nothing changes, so the fields
 * reach every level of a chain. Returns false when out of memory.
 */
static bool push_value_fields(struct sigma_ruleset *set)
{
    bool changed = true;
    for (uint32_t pass = 0; changed && pass <= set->corr_count; pass++) {
        changed = false;
        for (uint32_t i = 0; i < set->corr_count; i++) {
            const struct corr_rule *c = &set->corrs[i];
            for (uint32_t s = 0; s < c->step_count; s++) {
                const struct rule_ref *r = &c->steps[s];
                if (!r->is_correlation || !set->corrs[r->index].silent) {
                    continue;
                }
                struct rule_meta *child = &set->corrs[r->index].meta;
                uint32_t before = child->value_field_count;
                for (uint32_t k = 0; k < c->meta.value_field_count; k++) {
                    if (!sigma_meta_add_value_field(child, c->meta.value_fields[k])) {
                        return false;
                    }
                }
                changed = changed || child->value_field_count != before;
            }
        }
    }
    return true;
}

void sigma_resolve_correlations(struct load_ctx *ctx)
{
    struct sigma_ruleset *set = ctx->set;
    while (mark_failures(ctx)) {
    }
    uint32_t valid = 0;
    for (uint32_t i = 0; i < set->corr_count; i++) {
        if (set->corrs[i].failed) {
            corr_rule_free(&set->corrs[i]);
        } else {
            set->corrs[valid++] = set->corrs[i];
        }
    }
    set->corr_count = valid;
    if (!link_all(set) || !inherit_value_fields(set) || !push_value_fields(set)) {
        sigma_load_error(ctx, NULL, "out of memory while linking correlation rules");
    }
}
