/* Private declarations of the rule loader, split over sigma_load.c, sigma_item.c and
 * sigma_load_corr.c. */
#ifndef WA_SIGMA_LOAD_H
#define WA_SIGMA_LOAD_H

#include <yaml.h>

#include "sigma.h"

/* State of one sigma_load_path() call. */
struct load_ctx {
    struct sigma_ruleset *set;
    FILE *err_out;
    const char *file;
    yaml_document_t *doc;
    unsigned errors;
    enum logsource_kind source;   /* logsource of the detection rule being loaded */
    struct rule_meta *value_meta; /* receives the fields that items name */
};

/* Writes "file:line:column: message" for node (or the file start) and counts the error. */
void sigma_load_error(struct load_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
    WA_PRINTF(3, 4);

/*
 * Writes "wireaudit: file: message" for an error about a whole file or
 * folder (one that cannot be opened, say) and counts the error.
 */
void sigma_load_file_error(struct load_ctx *ctx, const char *fmt, ...) WA_PRINTF(2, 3);

/* Writes "file:line:column: warning: message" for node. Warnings do not reject the rule. */
void sigma_load_warning(struct load_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
    WA_PRINTF(3, 4);

yaml_node_t *ynode_child(struct load_ctx *ctx, const yaml_node_t *map, const char *key);
const char *ynode_text(const yaml_node_t *node);
bool ynode_is_null(const yaml_node_t *node);
char *ynode_strdup(struct load_ctx *ctx, const yaml_node_t *node, const char *key);
json_t *ynode_string_list(struct load_ctx *ctx, const yaml_node_t *node, const char *key);
bool sigma_check_keys(struct load_ctx *ctx, const yaml_node_t *map, const char *const *keys,
                      size_t key_count);
bool sigma_load_meta(struct load_ctx *ctx, const yaml_node_t *root, struct rule_meta *meta,
                     bool correlation);
void sigma_meta_free(struct rule_meta *meta);
bool sigma_meta_add_value_field(struct rule_meta *meta, int field);
bool sigma_load_value_fields(struct load_ctx *ctx, const yaml_node_t *root, struct rule_meta *meta,
                             enum logsource_kind source);

/* sigma_item.c: compiles "Field|modifiers: values" (key NULL for keywords). */
bool sigma_item_compile(struct load_ctx *ctx, const yaml_node_t *key, const yaml_node_t *value,
                        struct sigma_item *item);
void sigma_item_free(struct sigma_item *item);

/* sigma_load_corr.c */
bool sigma_load_correlation(struct load_ctx *ctx, const yaml_node_t *root);
bool sigma_check_unique(struct load_ctx *ctx, const yaml_node_t *node, const char *id,
                        const char *name);
void sigma_resolve_correlations(struct load_ctx *ctx);

#endif
