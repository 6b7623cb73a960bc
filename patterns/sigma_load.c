/*
 * Loads Sigma detection rules from YAML files with libyaml: metadata,
 * logsource, selections with modifiers, and the condition. Every rejected
 * rule gets one "file:line:column: message" line naming the key and the
 * unsupported feature, and the other rules of the file still load.
 * Correlation rules are parsed in sigma_load_corr.c.
 */
#include "sigma_load.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- Errors and YAML helpers -------------------------------------------- */

void sigma_load_error(struct load_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    unsigned line = node != NULL ? (unsigned)node->start_mark.line + 1 : 1;
    unsigned column = node != NULL ? (unsigned)node->start_mark.column + 1 : 1;
    if (ctx->err_out != NULL) {
        fprintf(ctx->err_out, "%s:%u:%u: %s\n", ctx->file, line, column, msg);
    }
    ctx->errors++;
}

void sigma_load_file_error(struct load_ctx *ctx, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ctx->err_out != NULL) {
        fprintf(ctx->err_out, "wireaudit: %s: %s\n", ctx->file, msg);
    }
    ctx->errors++;
}

void sigma_load_warning(struct load_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ctx->err_out != NULL && node != NULL) {
        fprintf(ctx->err_out, "%s:%u:%u: warning: %s\n", ctx->file,
                (unsigned)node->start_mark.line + 1, (unsigned)node->start_mark.column + 1, msg);
    }
}

yaml_node_t *ynode_child(struct load_ctx *ctx, const yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE) {
        return NULL;
    }
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
        if (k != NULL && k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, key) == 0) {
            return yaml_document_get_node(ctx->doc, p->value);
        }
    }
    return NULL;
}

const char *ynode_text(const yaml_node_t *node)
{
    if (node == NULL || node->type != YAML_SCALAR_NODE) {
        return NULL;
    }
    return (const char *)node->data.scalar.value;
}

bool ynode_is_null(const yaml_node_t *node)
{
    if (node == NULL) {
        return true;
    }
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        return false;
    }
    const char *s = (const char *)node->data.scalar.value;
    return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
           strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* Returns a copy of a scalar's text, or NULL (with an error) for other nodes. */
char *ynode_strdup(struct load_ctx *ctx, const yaml_node_t *node, const char *key)
{
    const char *s = ynode_text(node);
    if (s == NULL) {
        sigma_load_error(ctx, node, "invalid '%s': expected a string", key);
        return NULL;
    }
    char *copy = strdup(s);
    if (copy == NULL) {
        sigma_load_error(ctx, node, "out of memory");
    }
    return copy;
}

/* Reads a scalar or a list of scalars as a JSON array of strings. */
json_t *ynode_string_list(struct load_ctx *ctx, const yaml_node_t *node, const char *key)
{
    json_t *out = json_array();
    if (node == NULL || ynode_is_null(node)) {
        return out;
    }
    if (node->type == YAML_SCALAR_NODE) {
        json_array_append_new(out, json_string(ynode_text(node)));
        return out;
    }
    if (node->type != YAML_SEQUENCE_NODE) {
        sigma_load_error(ctx, node, "invalid '%s': expected a list of strings", key);
        json_decref(out);
        return NULL;
    }
    for (yaml_node_item_t *i = node->data.sequence.items.start; i < node->data.sequence.items.top;
         i++) {
        yaml_node_t *item = yaml_document_get_node(ctx->doc, *i);
        const char *s = ynode_text(item);
        if (s == NULL) {
            sigma_load_error(ctx, item, "invalid '%s': expected a list of strings", key);
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, json_string(s));
    }
    return out;
}

/* ---- Metadata ----------------------------------------------------------- */

static const char *const detection_keys[] = {
    "title",          "id",          "name",
    "status",         "description", "author",
    "date",           "modified",    "references",
    "tags",           "logsource",   "detection",
    "falsepositives", "level",       "fields",
    "related",        "license",     "taxonomy",
    "scope",          "simulation",  "regression_tests_path",
    "sigma-version",  "generate",
};

static const char *const correlation_keys[] = {
    "title",       "id",     "name",        "status",
    "description", "author", "date",        "modified",
    "references",  "tags",   "correlation", "falsepositives",
    "level",       "fields", "related",     "license",
    "taxonomy",    "scope",  "generate",    "sigma-version",
};

/* Rejects top-level keys that the rule kind does not define. */
bool sigma_check_keys(struct load_ctx *ctx, const yaml_node_t *map, const char *const *keys,
                      size_t key_count)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
        const char *name = ynode_text(k);
        bool known = false;
        for (size_t i = 0; name != NULL && i < key_count && !known; i++) {
            known = strcmp(name, keys[i]) == 0;
        }
        if (!known) {
            sigma_load_error(ctx, k, "unknown key '%s'", name != NULL ? name : "(not a string)");
            return false;
        }
    }
    return true;
}

bool sigma_load_meta(struct load_ctx *ctx, const yaml_node_t *root, struct rule_meta *meta,
                     bool correlation)
{
    const char *const *keys = correlation ? correlation_keys : detection_keys;
    size_t key_count = correlation ? WA_ARRAY_LEN(correlation_keys) : WA_ARRAY_LEN(detection_keys);
    if (!sigma_check_keys(ctx, root, keys, key_count)) {
        return false;
    }
    yaml_node_t *title = ynode_child(ctx, root, "title");
    if (title == NULL) {
        sigma_load_error(ctx, root, "missing 'title'");
        return false;
    }
    meta->title = ynode_strdup(ctx, title, "title");
    meta->file = strdup(ctx->file);
    meta->line = (unsigned)root->start_mark.line + 1;
    meta->column = (unsigned)root->start_mark.column + 1;
    const char *names[] = {"id", "name", "level"};
    char **slots[] = {&meta->id, &meta->name, &meta->level};
    for (size_t i = 0; i < WA_ARRAY_LEN(names); i++) {
        yaml_node_t *n = ynode_child(ctx, root, names[i]);
        if (n != NULL && (*slots[i] = ynode_strdup(ctx, n, names[i])) == NULL) {
            return false;
        }
    }
    meta->tags = ynode_string_list(ctx, ynode_child(ctx, root, "tags"), "tags");
    return meta->title != NULL && meta->file != NULL && meta->tags != NULL;
}

void sigma_meta_free(struct rule_meta *meta)
{
    free(meta->title);
    free(meta->id);
    free(meta->name);
    free(meta->level);
    free(meta->file);
    json_decref(meta->tags);
    free(meta->value_fields);
}

/* Adds field to the fields whose values alerts list, once. */
bool sigma_meta_add_value_field(struct rule_meta *meta, int field)
{
    for (uint32_t i = 0; i < meta->value_field_count; i++) {
        if (meta->value_fields[i] == field) {
            return true;
        }
    }
    int *grown = realloc(meta->value_fields, (meta->value_field_count + 1) * sizeof(*grown));
    if (grown == NULL) {
        return false;
    }
    meta->value_fields = grown;
    meta->value_fields[meta->value_field_count++] = field;
    return true;
}

/* Reads the optional "fields" list into the alert value fields. */
bool sigma_load_value_fields(struct load_ctx *ctx, const yaml_node_t *root, struct rule_meta *meta,
                             enum logsource_kind source)
{
    json_t *list = ynode_string_list(ctx, ynode_child(ctx, root, "fields"), "fields");
    if (list == NULL) {
        return false;
    }
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        int f =
            fields_intern(&ctx->set->fields, fields_canonical_name(json_string_value(v), source));
        if (f < 0 || !sigma_meta_add_value_field(meta, f)) {
            json_decref(list);
            return false;
        }
    }
    json_decref(list);
    return true;
}

/* ---- Logsource ---------------------------------------------------------- */

static bool load_logsource(struct load_ctx *ctx, const yaml_node_t *root,
                           enum logsource_kind *source)
{
    yaml_node_t *ls = ynode_child(ctx, root, "logsource");
    if (ls == NULL || ls->type != YAML_MAPPING_NODE) {
        sigma_load_error(ctx, ls != NULL ? ls : root, "missing or invalid 'logsource' mapping");
        return false;
    }
    static const char *const keys[] = {"product", "service", "category", "definition"};
    if (!sigma_check_keys(ctx, ls, keys, WA_ARRAY_LEN(keys))) {
        return false;
    }
    const char *product = ynode_text(ynode_child(ctx, ls, "product"));
    const char *service = ynode_text(ynode_child(ctx, ls, "service"));
    const char *category = ynode_text(ynode_child(ctx, ls, "category"));
    product = product != NULL ? product : "";
    service = service != NULL ? service : "";
    if (category == NULL && strcasecmp(product, "windows") == 0 &&
        (strcasecmp(service, "security") == 0 || strcasecmp(service, "system") == 0)) {
        *source = LOGSOURCE_WINDOWS;
        return true;
    }
    if (category == NULL && strcasecmp(product, "zeek") == 0 &&
        strcasecmp(service, "dce_rpc") == 0) {
        *source = LOGSOURCE_ZEEK_DCE_RPC;
        return true;
    }
    if (category == NULL && strcasecmp(product, "zeek") == 0 &&
        strcasecmp(service, "smb_files") == 0) {
        *source = LOGSOURCE_ZEEK_SMB_FILES;
        return true;
    }
    sigma_load_error(ctx, ls,
                     "unsupported logsource (product '%s', service '%s', category '%s'): wireaudit "
                     "reads windows/security, windows/system, zeek/dce_rpc and zeek/smb_files",
                     product, service, category != NULL ? category : "");
    return false;
}

/* ---- Selections --------------------------------------------------------- */

static bool load_map(struct load_ctx *ctx, const yaml_node_t *node, struct sigma_map *map)
{
    size_t n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    map->items = calloc(n != 0 ? n : 1, sizeof(*map->items));
    if (map->items == NULL) {
        sigma_load_error(ctx, node, "out of memory");
        return false;
    }
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(ctx->doc, p->value);
        struct sigma_item *item = &map->items[map->item_count];
        if (!sigma_item_compile(ctx, k, v, item)) {
            sigma_item_free(item);
            return false;
        }
        map->item_count++;
    }
    return true;
}

/* Keywords: a scalar or a list of scalars, matched against every field. */
static bool load_keywords(struct load_ctx *ctx, const yaml_node_t *node, struct sigma_map *map)
{
    map->items = calloc(1, sizeof(*map->items));
    if (map->items == NULL) {
        sigma_load_error(ctx, node, "out of memory");
        return false;
    }
    if (!sigma_item_compile(ctx, NULL, node, &map->items[0])) {
        sigma_item_free(&map->items[0]);
        return false;
    }
    map->item_count = 1;
    return true;
}

static bool load_selection(struct load_ctx *ctx, const yaml_node_t *key, const yaml_node_t *node,
                           struct sigma_selection *sel)
{
    sel->name = strdup(ynode_text(key));
    if (sel->name == NULL) {
        sigma_load_error(ctx, key, "out of memory");
        return false;
    }
    if (node->type == YAML_MAPPING_NODE) {
        sel->maps = calloc(1, sizeof(*sel->maps));
        sel->map_count = sel->maps != NULL ? 1 : 0;
        return sel->maps != NULL && load_map(ctx, node, &sel->maps[0]);
    }
    bool all_maps = node->type == YAML_SEQUENCE_NODE;
    bool all_scalars = true;
    if (node->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *i = node->data.sequence.items.start;
             i < node->data.sequence.items.top; i++) {
            yaml_node_t *item = yaml_document_get_node(ctx->doc, *i);
            all_maps = all_maps && item->type == YAML_MAPPING_NODE;
            all_scalars = all_scalars && item->type == YAML_SCALAR_NODE;
        }
    }
    if (node->type == YAML_SEQUENCE_NODE && all_maps && !all_scalars) {
        size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
        sel->maps = calloc(n, sizeof(*sel->maps));
        if (sel->maps == NULL) {
            sigma_load_error(ctx, node, "out of memory");
            return false;
        }
        for (yaml_node_item_t *i = node->data.sequence.items.start;
             i < node->data.sequence.items.top; i++) {
            yaml_node_t *item = yaml_document_get_node(ctx->doc, *i);
            if (!load_map(ctx, item, &sel->maps[sel->map_count++])) {
                return false;
            }
        }
        return true;
    }
    if (all_scalars) {
        sel->maps = calloc(1, sizeof(*sel->maps));
        sel->map_count = sel->maps != NULL ? 1 : 0;
        return sel->maps != NULL && load_keywords(ctx, node, &sel->maps[0]);
    }
    sigma_load_error(ctx, node,
                     "invalid selection '%s': expected a mapping, a list of mappings or a "
                     "list of keywords",
                     sel->name);
    return false;
}

/* ---- Detection ---------------------------------------------------------- */

static bool load_conditions(struct load_ctx *ctx, const yaml_node_t *cond, struct sigma_rule *rule)
{
    char err[512];
    rule->cond.root = -1;
    if (cond == NULL) {
        sigma_load_error(ctx, NULL, "missing 'detection.condition'");
        return false;
    }
    const yaml_node_t *items[64];
    size_t n = 0;
    if (cond->type == YAML_SCALAR_NODE) {
        items[n++] = cond;
    } else if (cond->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *i = cond->data.sequence.items.start;
             i < cond->data.sequence.items.top; i++) {
            if (n == WA_ARRAY_LEN(items)) {
                sigma_load_error(ctx, cond, "unsupported 'condition': more than 64 conditions");
                return false;
            }
            items[n++] = yaml_document_get_node(ctx->doc, *i);
        }
    }
    if (n == 0) {
        sigma_load_error(ctx, cond, "invalid 'condition': expected a string or a list of strings");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const char *text = ynode_text(items[i]);
        if (text == NULL) {
            sigma_load_error(ctx, items[i], "invalid 'condition': expected a string");
            return false;
        }
        if (!sigma_cond_parse(rule, text, err, sizeof(err))) {
            sigma_load_error(ctx, items[i], "%s", err);
            return false;
        }
    }
    return true;
}

static bool load_detection(struct load_ctx *ctx, const yaml_node_t *root, struct sigma_rule *rule)
{
    yaml_node_t *det = ynode_child(ctx, root, "detection");
    if (det == NULL || det->type != YAML_MAPPING_NODE) {
        sigma_load_error(ctx, det != NULL ? det : root, "missing or invalid 'detection' mapping");
        return false;
    }
    size_t n = (size_t)(det->data.mapping.pairs.top - det->data.mapping.pairs.start);
    rule->sels = calloc(n != 0 ? n : 1, sizeof(*rule->sels));
    if (rule->sels == NULL) {
        sigma_load_error(ctx, det, "out of memory");
        return false;
    }
    yaml_node_t *cond = NULL;
    for (yaml_node_pair_t *p = det->data.mapping.pairs.start; p < det->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(ctx->doc, p->value);
        const char *name = ynode_text(k);
        if (name == NULL) {
            sigma_load_error(ctx, k, "invalid selection name: expected a string");
            return false;
        }
        if (strcmp(name, "condition") == 0) {
            cond = v;
            continue;
        }
        if (strcmp(name, "timeframe") == 0) {
            sigma_load_error(ctx, k,
                             "unsupported key 'detection.timeframe': Sigma 1 aggregations are "
                             "not supported; write a Sigma correlation rule instead");
            return false;
        }
        if (!load_selection(ctx, k, v, &rule->sels[rule->sel_count++])) {
            return false;
        }
    }
    if (cond == NULL) {
        sigma_load_error(ctx, det, "missing 'detection.condition'");
        return false;
    }
    return load_conditions(ctx, cond, rule);
}

/* Restricts a Zeek rule to the one EventID its log maps onto. */
static bool restrict_to_event(struct sigma_rule *rule, uint32_t event_id)
{
    if (!rule->any_event_id) {
        bool found = false;
        for (uint32_t i = 0; i < rule->event_id_count; i++) {
            found = found || rule->event_ids[i] == event_id;
        }
        if (!found) {
            rule->event_id_count = 0;
            return true;
        }
    }
    free(rule->event_ids);
    rule->event_ids = malloc(sizeof(*rule->event_ids));
    if (rule->event_ids == NULL) {
        return false;
    }
    rule->event_ids[0] = event_id;
    rule->event_id_count = 1;
    rule->any_event_id = false;
    return true;
}

static bool push_rule(struct sigma_ruleset *set, struct sigma_rule *rule)
{
    if (set->rule_count == set->rule_cap) {
        uint32_t cap = set->rule_cap != 0 ? set->rule_cap * 2 : 64;
        struct sigma_rule *grown = realloc(set->rules, cap * sizeof(*grown));
        if (grown == NULL) {
            return false;
        }
        set->rules = grown;
        set->rule_cap = cap;
    }
    set->rules[set->rule_count++] = *rule;
    return true;
}

/* Loads one detection rule document. Returns false after reporting an error. */
static bool load_detection_rule(struct load_ctx *ctx, const yaml_node_t *root)
{
    struct sigma_rule rule;
    memset(&rule, 0, sizeof(rule));
    rule.cond.root = -1;
    bool ok = sigma_load_meta(ctx, root, &rule.meta, false) &&
              load_logsource(ctx, root, &ctx->source) &&
              sigma_load_value_fields(ctx, root, &rule.meta, ctx->source);
    ctx->value_meta = &rule.meta;
    ok = ok && load_detection(ctx, root, &rule);
    ctx->value_meta = NULL;
    if (ok) {
        rule.source = ctx->source;
        int event_id_field = fields_intern(&ctx->set->fields, "EventID");
        sigma_cond_event_ids(&rule, event_id_field);
        if (ctx->source == LOGSOURCE_ZEEK_DCE_RPC) {
            ok = restrict_to_event(&rule, 5712);
        } else if (ctx->source == LOGSOURCE_ZEEK_SMB_FILES) {
            ok = restrict_to_event(&rule, 5145);
        }
    }
    if (ok && !sigma_check_unique(ctx, root, rule.meta.id, rule.meta.name)) {
        ok = false;
    }
    if (ok && !push_rule(ctx->set, &rule)) {
        sigma_load_error(ctx, root, "out of memory");
        ok = false;
    }
    if (!ok) {
        sigma_rule_free(&rule);
    }
    return ok;
}

void sigma_rule_free(struct sigma_rule *rule)
{
    sigma_meta_free(&rule->meta);
    for (uint32_t s = 0; s < rule->sel_count; s++) {
        struct sigma_selection *sel = &rule->sels[s];
        for (uint32_t m = 0; m < sel->map_count; m++) {
            for (uint32_t i = 0; i < sel->maps[m].item_count; i++) {
                sigma_item_free(&sel->maps[m].items[i]);
            }
            free(sel->maps[m].items);
        }
        free(sel->maps);
        free(sel->name);
    }
    free(rule->sels);
    free(rule->cond.nodes);
    free(rule->event_ids);
    free(rule->parents);
    memset(rule, 0, sizeof(*rule));
}

/* ---- Files -------------------------------------------------------------- */

/* YAML nesting limit. Sigma rules use four levels, and hostile files cannot recurse deeper. */
#define YAML_DEPTH_MAX 32

static bool depth_ok(yaml_document_t *doc, yaml_node_t *node, int depth, size_t *budget)
{
    if (depth > YAML_DEPTH_MAX || *budget == 0) {
        return false;
    }
    (*budget)--;
    if (node->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *i = node->data.sequence.items.start;
             i < node->data.sequence.items.top; i++) {
            if (!depth_ok(doc, yaml_document_get_node(doc, *i), depth + 1, budget)) {
                return false;
            }
        }
    } else if (node->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
             p++) {
            if (!depth_ok(doc, yaml_document_get_node(doc, p->value), depth + 1, budget)) {
                return false;
            }
        }
    }
    return true;
}

static void load_document(struct load_ctx *ctx, yaml_node_t *root)
{
    /* Visits at most this many nodes, so YAML aliases cannot multiply the work. */
    size_t budget = 100000;
    if (!depth_ok(ctx->doc, root, 0, &budget)) {
        sigma_load_error(ctx, root,
                         "invalid rule: YAML nested deeper than %d levels or larger than "
                         "100000 nodes",
                         YAML_DEPTH_MAX);
        return;
    }
    if (root->type != YAML_MAPPING_NODE) {
        sigma_load_error(ctx, root, "invalid rule: expected a mapping at the top level");
        return;
    }
    if (ynode_child(ctx, root, "correlation") != NULL) {
        sigma_load_correlation(ctx, root);
    } else if (ynode_child(ctx, root, "detection") != NULL) {
        load_detection_rule(ctx, root);
    } else {
        sigma_load_error(ctx, root, "invalid rule: missing 'detection' or 'correlation'");
    }
}

static void load_file(struct load_ctx *ctx, const char *path)
{
    FILE *f = fopen(path, "rb");
    ctx->file = path;
    if (f == NULL) {
        sigma_load_file_error(ctx, "cannot open rule file: %s", strerror(errno));
        return;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        fclose(f);
        sigma_load_file_error(ctx, "out of memory");
        return;
    }
    yaml_parser_set_input_file(&parser, f);
    for (;;) {
        yaml_document_t doc;
        if (!yaml_parser_load(&parser, &doc)) {
            fprintf(ctx->err_out, "%s:%zu:%zu: invalid YAML: %s\n", path,
                    parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                    parser.problem != NULL ? parser.problem : "parse error");
            ctx->errors++;
            break;
        }
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (root == NULL) {
            yaml_document_delete(&doc);
            break;
        }
        ctx->doc = &doc;
        load_document(ctx, root);
        ctx->doc = NULL;
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    fclose(f);
}

static bool has_rule_suffix(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
           (n > 5 && strcmp(name + n - 5, ".yaml") == 0);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every *.yml and *.yaml file below dir, in name order so errors are reproducible. */
static void load_dir(struct load_ctx *ctx, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (d == NULL || depth > 16) {
        ctx->file = dir;
        sigma_load_file_error(ctx, "cannot open rule folder: %s",
                              d == NULL ? strerror(errno) : "nested more than 16 levels deep");
        if (d != NULL) {
            closedir(d);
        }
        return;
    }
    char **names = NULL;
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char **grown = realloc(names, (count + 1) * sizeof(*names));
        if (grown == NULL) {
            break;
        }
        names = grown;
        names[count] = NULL;
        if (asprintf(&names[count], "%s/%s", dir, e->d_name) < 0) {
            break;
        }
        count++;
    }
    closedir(d);
    if (count > 1) {
        qsort(names, count, sizeof(*names), compare_names);
    }
    for (size_t i = 0; i < count; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            load_dir(ctx, names[i], depth + 1);
        } else if (has_rule_suffix(names[i])) {
            load_file(ctx, names[i]);
        }
        free(names[i]);
    }
    free(names);
}

/*
 * Loads a file or a folder of rules into set, then resolves the correlation
 * rules loaded so far. Returns the number of errors written to err_out.
 */
unsigned sigma_load_path(struct sigma_ruleset *set, const char *path, FILE *err_out)
{
    struct load_ctx ctx = {.set = set, .err_out = err_out, .file = path};
    struct stat st;
    if (stat(path, &st) != 0) {
        sigma_load_file_error(&ctx, "cannot open rule file: %s", strerror(errno));
        return ctx.errors;
    }
    if (S_ISDIR(st.st_mode)) {
        load_dir(&ctx, path, 0);
    } else {
        load_file(&ctx, path);
    }
    sigma_resolve_correlations(&ctx);
    return ctx.errors;
}
