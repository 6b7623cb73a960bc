/*
 * The Sigma condition: a recursive-descent parser for and, or, not,
 * parentheses, "1 of x*", "all of x*", "1 of them" and "all of them", its
 * evaluation, and the EventIDs a rule can match (used to index rules).
 *
 * Grammar (keywords are case-insensitive):
 *   expr    := and_expr ("or" and_expr)*
 *   and_expr:= unary ("and" unary)*
 *   unary   := "not" unary | primary
 *   primary := "(" expr ")" | ("1" | "all") "of" (pattern | "them") | name
 */
#include "sigma.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Nesting limit for parentheses and "not", so hostile rules cannot exhaust the stack. */
#define COND_DEPTH_MAX 64

struct cond_parser {
    struct sigma_rule *rule;
    const char *text;
    size_t pos;
    char token[256];
    int depth;
    char *err;
    size_t err_size;
};

static int parse_or(struct cond_parser *p);

static int add_node(struct sigma_rule *rule, enum cond_kind kind, int sel, int left, int right)
{
    struct sigma_condition *c = &rule->cond;
    if (c->node_count == c->node_cap) {
        uint32_t cap = c->node_cap != 0 ? c->node_cap * 2 : 16;
        struct cond_node *grown = realloc(c->nodes, cap * sizeof(*grown));
        if (grown == NULL) {
            return -1;
        }
        c->nodes = grown;
        c->node_cap = cap;
    }
    c->nodes[c->node_count] = (struct cond_node){kind, sel, left, right};
    return (int)c->node_count++;
}

/* Reads the next token into p->token without consuming it. Returns false at the end. */
static bool peek(struct cond_parser *p)
{
    const char *s = p->text + p->pos;
    while (isspace((unsigned char)*s)) {
        s++;
    }
    p->pos = (size_t)(s - p->text);
    if (*s == '\0') {
        p->token[0] = '\0';
        return false;
    }
    size_t n = 0;
    if (*s == '(' || *s == ')' || *s == '|') {
        n = 1;
    } else {
        while (s[n] != '\0' && !isspace((unsigned char)s[n]) && s[n] != '(' && s[n] != ')' &&
               s[n] != '|') {
            n++;
        }
    }
    if (n >= sizeof(p->token)) {
        n = sizeof(p->token) - 1;
    }
    memcpy(p->token, s, n);
    p->token[n] = '\0';
    return true;
}

static void consume(struct cond_parser *p)
{
    p->pos += strlen(p->token);
}

/* Writes the error message and yields -1, the parser's failure value. */
#define COND_FAIL(p, ...) (snprintf((p)->err, (p)->err_size, __VA_ARGS__), -1)

static int find_selection(const struct sigma_rule *rule, const char *name)
{
    for (uint32_t i = 0; i < rule->sel_count; i++) {
        if (strcmp(rule->sels[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* Builds "1 of" (OR) or "all of" (AND) over the selections whose names match pattern. */
static int parse_quantifier(struct cond_parser *p, bool all)
{
    consume(p);
    if (!peek(p) || strcasecmp(p->token, "of") != 0) {
        return COND_FAIL(p, "invalid condition: expected 'of' after '%s'", all ? "all" : "1");
    }
    consume(p);
    if (!peek(p)) {
        return COND_FAIL(p, "invalid condition: missing selection pattern after '%s'", "of");
    }
    bool them = strcasecmp(p->token, "them") == 0;
    char pattern[256];
    snprintf(pattern, sizeof(pattern), "%s", p->token);
    consume(p);
    int acc = -1;
    for (uint32_t i = 0; i < p->rule->sel_count; i++) {
        const char *name = p->rule->sels[i].name;
        bool hit = them ? name[0] != '_' : fnmatch(pattern, name, 0) == 0;
        if (!hit) {
            continue;
        }
        int leaf = add_node(p->rule, COND_SEL, (int)i, -1, -1);
        acc = acc < 0 ? leaf : add_node(p->rule, all ? COND_AND : COND_OR, -1, acc, leaf);
        if (leaf < 0 || acc < 0) {
            return COND_FAIL(p, "%s", "out of memory");
        }
    }
    if (acc < 0) {
        return COND_FAIL(p, "invalid condition: no selection matches '%s'", pattern);
    }
    return acc;
}

static int parse_primary(struct cond_parser *p)
{
    if (!peek(p)) {
        return COND_FAIL(p, "invalid condition: '%s' ends where a selection name is expected",
                         p->text);
    }
    if (strcmp(p->token, "|") == 0) {
        return COND_FAIL(p,
                         "unsupported condition: aggregation after '|' (%s); write a Sigma "
                         "correlation rule instead",
                         p->text + p->pos);
    }
    if (strcmp(p->token, "(") == 0) {
        consume(p);
        if (++p->depth > COND_DEPTH_MAX) {
            return COND_FAIL(p, "invalid condition: nesting deeper than %s", "64");
        }
        int inner = parse_or(p);
        p->depth--;
        if (inner < 0) {
            return -1;
        }
        if (!peek(p) || strcmp(p->token, ")") != 0) {
            return COND_FAIL(p, "invalid condition: missing ')' in '%s'", p->text);
        }
        consume(p);
        return inner;
    }
    if (strcmp(p->token, "1") == 0 || strcasecmp(p->token, "all") == 0) {
        return parse_quantifier(p, strcasecmp(p->token, "all") == 0);
    }
    if (isdigit((unsigned char)p->token[0])) {
        return COND_FAIL(p, "unsupported condition: '%s of' (only '1 of' and 'all of' exist)",
                         p->token);
    }
    if (strcmp(p->token, ")") == 0 || strcasecmp(p->token, "and") == 0 ||
        strcasecmp(p->token, "or") == 0) {
        return COND_FAIL(p, "invalid condition: unexpected '%s'", p->token);
    }
    int sel = find_selection(p->rule, p->token);
    if (sel < 0) {
        return COND_FAIL(p,
                         "unsupported condition: '%s' is not a selection of this rule (conditions "
                         "use selection names, and, or, not, parentheses, '1 of' and 'all of')",
                         p->token);
    }
    consume(p);
    int node = add_node(p->rule, COND_SEL, sel, -1, -1);
    return node >= 0 ? node : COND_FAIL(p, "%s", "out of memory");
}

static int parse_unary(struct cond_parser *p)
{
    if (peek(p) && strcasecmp(p->token, "not") == 0) {
        consume(p);
        if (++p->depth > COND_DEPTH_MAX) {
            return COND_FAIL(p, "invalid condition: nesting deeper than %s", "64");
        }
        int inner = parse_unary(p);
        p->depth--;
        if (inner < 0) {
            return -1;
        }
        int node = add_node(p->rule, COND_NOT, -1, inner, -1);
        return node >= 0 ? node : COND_FAIL(p, "%s", "out of memory");
    }
    return parse_primary(p);
}

static int parse_and(struct cond_parser *p)
{
    int left = parse_unary(p);
    while (left >= 0 && peek(p) && strcasecmp(p->token, "and") == 0) {
        consume(p);
        int right = parse_unary(p);
        if (right < 0) {
            return -1;
        }
        left = add_node(p->rule, COND_AND, -1, left, right);
    }
    return left;
}

static int parse_or(struct cond_parser *p)
{
    int left = parse_and(p);
    while (left >= 0 && peek(p) && strcasecmp(p->token, "or") == 0) {
        consume(p);
        int right = parse_and(p);
        if (right < 0) {
            return -1;
        }
        left = add_node(p->rule, COND_OR, -1, left, right);
    }
    return left;
}

/*
 * Parses one condition string and ORs it into rule->cond.root (Sigma treats a
 * list of conditions as alternatives). Returns false with a message in err.
 */
bool sigma_cond_parse(struct sigma_rule *rule, const char *text, char *err, size_t err_size)
{
    struct cond_parser p = {.rule = rule, .text = text, .err = err, .err_size = err_size};
    if (!peek(&p)) {
        snprintf(err, err_size, "invalid condition: condition is empty");
        return false;
    }
    int root = parse_or(&p);
    if (root < 0) {
        return false;
    }
    if (peek(&p)) {
        if (strcmp(p.token, "|") == 0) {
            snprintf(err, err_size,
                     "unsupported condition: aggregation after '|' (%s); write a Sigma "
                     "correlation rule instead",
                     p.text + p.pos);
        } else {
            snprintf(err, err_size, "invalid condition: unexpected '%s' in '%s'", p.token, text);
        }
        return false;
    }
    if (rule->cond.root >= 0) {
        root = add_node(rule, COND_OR, -1, rule->cond.root, root);
        if (root < 0) {
            snprintf(err, err_size, "out of memory");
            return false;
        }
    }
    rule->cond.root = root;
    return true;
}

/* ---- Evaluation --------------------------------------------------------- */

static bool selection_match(struct match_ctx *ctx, const struct sigma_selection *sel)
{
    for (uint32_t i = 0; i < sel->map_count; i++) {
        if (sigma_map_match(ctx, &sel->maps[i])) {
            return true;
        }
    }
    return false;
}

static bool eval_node(struct match_ctx *ctx, const struct sigma_rule *rule, int index)
{
    const struct cond_node *n = &rule->cond.nodes[index];
    switch (n->kind) {
    case COND_SEL:
        return selection_match(ctx, &rule->sels[n->sel]);
    case COND_AND:
        return eval_node(ctx, rule, n->left) && eval_node(ctx, rule, n->right);
    case COND_OR:
        return eval_node(ctx, rule, n->left) || eval_node(ctx, rule, n->right);
    case COND_NOT:
        return !eval_node(ctx, rule, n->left);
    }
    return false;
}

bool sigma_cond_eval(struct match_ctx *ctx, const struct sigma_rule *rule)
{
    return rule->cond.root >= 0 && eval_node(ctx, rule, rule->cond.root);
}

/* ---- EventID index ------------------------------------------------------ */

/* A set of EventIDs, or "any" when unrestricted. */
struct id_set {
    bool any;
    uint32_t ids[64];
    uint32_t count;
};

static void id_set_add(struct id_set *s, uint32_t id)
{
    for (uint32_t i = 0; i < s->count; i++) {
        if (s->ids[i] == id) {
            return;
        }
    }
    if (s->count == WA_ARRAY_LEN(s->ids)) {
        s->any = true;
        return;
    }
    s->ids[s->count++] = id;
}

/* EventIDs a map can match: the plain values of its EventID item, or any. */
static struct id_set map_ids(const struct sigma_map *map, int event_id_field)
{
    struct id_set out = {.any = true};
    for (uint32_t i = 0; i < map->item_count; i++) {
        const struct sigma_item *item = &map->items[i];
        if (item->field != event_id_field || item->negate || item->all) {
            continue;
        }
        struct id_set s = {.any = false};
        for (uint32_t k = 0; k < item->value_count; k++) {
            const struct sigma_value *v = &item->values[k];
            char *end = NULL;
            unsigned long id = v->kind == SV_GLOB && v->plain && v->anchor == ANCHOR_EXACT
                                   ? strtoul(v->lit, &end, 10)
                                   : 0;
            if (end == NULL || end == v->lit || *end != '\0') {
                s.any = true;
                break;
            }
            id_set_add(&s, (uint32_t)id);
        }
        if (!s.any) {
            return s;
        }
    }
    return out;
}

static struct id_set node_ids(const struct sigma_rule *rule, int index, int event_id_field)
{
    const struct cond_node *n = &rule->cond.nodes[index];
    struct id_set out = {.any = false};
    switch (n->kind) {
    case COND_SEL: {
        const struct sigma_selection *sel = &rule->sels[n->sel];
        for (uint32_t i = 0; i < sel->map_count && !out.any; i++) {
            struct id_set m = map_ids(&sel->maps[i], event_id_field);
            out.any = m.any;
            for (uint32_t k = 0; k < m.count; k++) {
                id_set_add(&out, m.ids[k]);
            }
        }
        return out;
    }
    case COND_AND: {
        /* Either side restricting the IDs restricts the conjunction. */
        struct id_set a = node_ids(rule, n->left, event_id_field);
        return a.any ? node_ids(rule, n->right, event_id_field) : a;
    }
    case COND_OR: {
        struct id_set a = node_ids(rule, n->left, event_id_field);
        struct id_set b = node_ids(rule, n->right, event_id_field);
        if (a.any || b.any) {
            out.any = true;
            return out;
        }
        for (uint32_t k = 0; k < b.count; k++) {
            id_set_add(&a, b.ids[k]);
        }
        return a;
    }
    case COND_NOT:
        out.any = true;
        return out;
    }
    out.any = true;
    return out;
}

/*
 * Computes the EventIDs the rule can match from its condition, so the engine
 * only tries the rule on those events. event_id_field is the interned index
 * of "EventID". Leaves any_event_id set when the condition does not restrict
 * the EventID.
 */
void sigma_cond_event_ids(struct sigma_rule *rule, int event_id_field)
{
    free(rule->event_ids);
    rule->event_ids = NULL;
    rule->event_id_count = 0;
    rule->any_event_id = true;
    if (rule->cond.root < 0) {
        return;
    }
    struct id_set s = node_ids(rule, rule->cond.root, event_id_field);
    if (s.any || s.count == 0) {
        return;
    }
    rule->event_ids = malloc(s.count * sizeof(*rule->event_ids));
    if (rule->event_ids == NULL) {
        return;
    }
    memcpy(rule->event_ids, s.ids, s.count * sizeof(*rule->event_ids));
    rule->event_id_count = s.count;
    rule->any_event_id = false;
}
