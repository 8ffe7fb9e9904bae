/*
 * yamlx.h -- libyaml documents with bookify's diagnostics (private).
 *
 * Loads one YAML document from memory and reports problems at the file's
 * own line and column: line0 is the file line of the text's first line.
 * libyaml gives every scalar as a string; the helpers here type them the
 * way bloggers write them (booleans, lists as strings, null values).
 */
#ifndef BK_YAMLX_H
#define BK_YAMLX_H

#include <yaml.h>

#include "bookify/book.h"
#include "bookify/diag.h"

typedef struct bk_yaml {
    yaml_document_t doc;
    bool loaded;
    const char *file; /* display path */
    int line0;        /* file line of text's first line */
    const char *text;
    size_t len;
    bk_diags *diags;
} bk_yaml;

/* Load the YAML in text. Returns 0, or -1 after recording an error (with
 * the source line and a caret) at the problem's place. Release y in both
 * cases. The text must outlive y. */
int bk_yaml_load(bk_yaml *y, const char *text, size_t len, const char *file, int line0,
                 bk_diags *d);
void bk_yaml_release(bk_yaml *y);

/* Read a YAML file's text for bk_yaml_load: at most max bytes, no NUL
 * byte, valid UTF-8; *skip is the length of a BOM to step over. Returns 0;
 * 1 when the file does not exist (nothing recorded: the caller decides);
 * -1 after recording an error naming `what` ("configuration", "theme"). */
int bk_yaml_read_file(const char *path, const char *display, size_t max, const char *what,
                      bk_buf *out, size_t *skip, bk_diags *d);

/* Root node, or NULL for an empty document. */
yaml_node_t *bk_yaml_root(bk_yaml *y);
bk_loc bk_yaml_loc(const bk_yaml *y, const yaml_node_t *n);
/* Text of a scalar node; NULL for a non-scalar or a null (~, null, empty). */
const char *bk_yaml_scalar(const yaml_node_t *n);

/* Called for every key/value pair of a mapping with a scalar key. A
 * non-zero return stops the walk and is returned. */
typedef int (*bk_yaml_pair_fn)(void *ctx, bk_yaml *y, const char *key, yaml_node_t *key_node,
                               yaml_node_t *value);
/* Walk map's pairs in order. A key given twice gets a warning naming `what`
 * (e.g. "front matter") and only its last value is passed on, as YAML
 * loaders in Ruby and Go do. */
int bk_yaml_each_pair(bk_yaml *y, yaml_node_t *map, const char *what, bk_yaml_pair_fn fn,
                      void *ctx);
/* Child node of a mapping by key, or NULL. */
yaml_node_t *bk_yaml_lookup(bk_yaml *y, yaml_node_t *map, const char *key);

/* value as text in arena; a non-scalar gets a warning naming key and NULL. */
const char *bk_yaml_text(bk_yaml *y, yaml_node_t *value, const char *key, bk_arena *a);
/* value as boolean (true/True/yes/on, false/False/no/off). Returns false and
 * warns when value is something else; *out is then unchanged. */
bool bk_yaml_bool(bk_yaml *y, yaml_node_t *value, const char *key, bool *out);
/* value as a list of strings: a sequence of scalars, or one string split at
 * commas (when it has any) or else at blanks. Appends to sv, skipping
 * duplicates (case-insensitive). */
void bk_yaml_strings(bk_yaml *y, yaml_node_t *value, const char *key, bk_arena *a, bk_strv *sv);
/* A person: a string, a mapping with `name`, or a list of either (joined
 * with ", "). NULL and a warning otherwise. */
const char *bk_yaml_person(bk_yaml *y, yaml_node_t *value, const char *key, bk_arena *a);

#endif
