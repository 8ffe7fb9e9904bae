/* yamlx.c -- libyaml with bookify's diagnostics (see yamlx.h). */
#include "yamlx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bookify/fileio.h"

#include "bookify/banned.h"

/* Pointer to the start of 0-based line `line` in text, and its length. */
static bk_str text_line(const char *text, size_t len, size_t line)
{
    const char *p = text, *end = text + len;
    for (size_t i = 0; i < line && p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return (bk_str){ end, 0 };
        p = nl + 1;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return (bk_str){ p, nl ? (size_t)(nl - p) : (size_t)(end - p) };
}

int bk_yaml_load(bk_yaml *y, const char *text, size_t len, const char *file, int line0,
                 bk_diags *d)
{
    memset(y, 0, sizeof(*y));
    y->file = file;
    y->line0 = line0;
    y->text = text;
    y->len = len;
    y->diags = d;

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return bk_error(d, (bk_loc){ file, 0, 0 }, "cannot initialise the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    int rc = 0;
    if (!yaml_parser_load(&parser, &y->doc)) {
        yaml_mark_t m = parser.problem_mark;
        if (parser.error == YAML_MEMORY_ERROR)
            bk_bug(__FILE__, __LINE__, "libyaml out of memory");
        const char *problem = parser.problem ? parser.problem : "malformed YAML";
        bk_buf msg = BK_BUF_INIT;
        bk_buf_adds(&msg, problem);
        if (parser.context) {
            yaml_mark_t c = parser.context_mark;
            /* At the end of the text the problem's own place is an empty
             * line: point at what was left open instead. */
            bool at_end = m.index >= len || bk_str_trim((bk_str){ text + m.index, len - m.index }).len == 0;
            bk_buf_addf(&msg, " %s", parser.context);
            if (at_end) {
                m = c;
                bk_buf_adds(&msg, " that starts here and is never closed");
            } else if (c.line != m.line) {
                bk_buf_addf(&msg, " that started on line %d", line0 + (int)c.line);
            }
        }
        bk_loc loc = { file, line0 + (int)m.line, (int)m.column + 1 };
        bk_error(d, loc, "invalid YAML: %s", msg.ptr);
        bk_buf_release(&msg);
        bk_str l = text_line(text, len, m.line);
        bk_diags_set_excerpt(d, l.p, l.len);
        rc = -1;
    } else {
        y->loaded = true;
    }
    yaml_parser_delete(&parser);
    return rc;
}

void bk_yaml_release(bk_yaml *y)
{
    if (y->loaded)
        yaml_document_delete(&y->doc);
    y->loaded = false;
}

yaml_node_t *bk_yaml_root(bk_yaml *y)
{
    return y->loaded ? yaml_document_get_root_node(&y->doc) : NULL;
}

bk_loc bk_yaml_loc(const bk_yaml *y, const yaml_node_t *n)
{
    return (bk_loc){ y->file, y->line0 + (int)n->start_mark.line, (int)n->start_mark.column + 1 };
}

const char *bk_yaml_scalar(const yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE)
        return NULL;
    const char *v = (const char *)n->data.scalar.value;
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        (!*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
         strcmp(v, "NULL") == 0))
        return NULL;
    return v;
}

static yaml_node_t *node_at(bk_yaml *y, int id)
{
    return yaml_document_get_node(&y->doc, id);
}

typedef struct key_ref {
    const char *key;
    size_t index;
} key_ref;

static int cmp_key_ref(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->index < y->index ? -1 : x->index > y->index);
}

int bk_yaml_each_pair(bk_yaml *y, yaml_node_t *map, const char *what, bk_yaml_pair_fn fn,
                      void *ctx)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return 0;
    yaml_node_pair_t *start = map->data.mapping.pairs.start;
    size_t n = (size_t)(map->data.mapping.pairs.top - start);
    /* Find duplicate keys by sorting (key, position): linear-logarithmic even
     * for hostile mappings with many keys. */
    key_ref *refs = bk_xmalloc((n ? n : 1) * sizeof(*refs));
    bool *shadowed = bk_xcalloc(n ? n : 1, sizeof(*shadowed));
    size_t nrefs = 0;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *k = node_at(y, start[i].key);
        if (k && k->type == YAML_SCALAR_NODE)
            refs[nrefs++] = (key_ref){ (const char *)k->data.scalar.value, i };
    }
    qsort(refs, nrefs, sizeof(*refs), cmp_key_ref);
    for (size_t i = 0; i + 1 < nrefs; i++) {
        if (strcmp(refs[i].key, refs[i + 1].key) != 0)
            continue;
        /* refs[i] is followed by a later pair with the same key: the later
         * value wins, as YAML loaders in Ruby and Go do. */
        shadowed[refs[i].index] = true;
        size_t first = i;
        while (first > 0 && strcmp(refs[first - 1].key, refs[i].key) == 0)
            first--;
        yaml_node_t *k0 = node_at(y, start[refs[first].index].key);
        yaml_node_t *k1 = node_at(y, start[refs[i + 1].index].key);
        bk_warn(y->diags, bk_yaml_loc(y, k1),
                "duplicate key '%s' in %s (first given on line %d); the last value is used",
                refs[i].key, what, y->line0 + (int)k0->start_mark.line);
    }
    free(refs);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        yaml_node_t *k = node_at(y, start[i].key);
        if (!k || k->type != YAML_SCALAR_NODE || shadowed[i])
            continue;
        rc = fn(ctx, y, (const char *)k->data.scalar.value, k, node_at(y, start[i].value));
    }
    free(shadowed);
    return rc;
}

yaml_node_t *bk_yaml_lookup(bk_yaml *y, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    yaml_node_t *found = NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = node_at(y, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0)
            found = node_at(y, p->value);
    }
    return found;
}

const char *bk_yaml_text(bk_yaml *y, yaml_node_t *value, const char *key, bk_arena *a)
{
    if (!value)
        return NULL;
    if (value->type != YAML_SCALAR_NODE) {
        bk_warn(y->diags, bk_yaml_loc(y, value), "'%s' should be text, not a %s; ignored", key,
                value->type == YAML_MAPPING_NODE ? "mapping" : "list");
        return NULL;
    }
    const char *v = bk_yaml_scalar(value);
    if (!v)
        return NULL;
    bk_str t = bk_str_trim(bk_str_from(v));
    return t.len ? bk_arena_strndup(a, t.p, t.len) : NULL;
}

bool bk_yaml_bool(bk_yaml *y, yaml_node_t *value, const char *key, bool *out)
{
    static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON" };
    static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF" };
    const char *v = bk_yaml_scalar(value);
    if (v) {
        bk_str t = bk_str_trim(bk_str_from(v));
        for (size_t i = 0; i < BK_ARRAY_LEN(yes); i++) {
            if (bk_str_eq(t, yes[i])) {
                *out = true;
                return true;
            }
            if (bk_str_eq(t, no[i])) {
                *out = false;
                return true;
            }
        }
    }
    if (value)
        bk_warn(y->diags, bk_yaml_loc(y, value), "'%s' should be true or false%s%s%s; ignored",
                key, v ? ", not '" : "", v ? v : "", v ? "'" : "");
    return false;
}

static void push_unique(bk_arena *a, bk_strv *sv, const char *s, size_t len)
{
    bk_str t = bk_str_trim((bk_str){ s, len });
    if (!t.len)
        return;
    char *c = bk_arena_strndup(a, t.p, t.len);
    if (bk_strv_find(sv, c, true) < 0)
        bk_strv_push(a, sv, c);
}

void bk_yaml_strings(bk_yaml *y, yaml_node_t *value, const char *key, bk_arena *a, bk_strv *sv)
{
    if (!value)
        return;
    if (value->type == YAML_SCALAR_NODE) {
        const char *v = bk_yaml_scalar(value);
        if (!v)
            return;
        bool commas = strchr(v, ',') != NULL;
        const char *p = v;
        while (*p) {
            size_t n = commas ? strcspn(p, ",") : strcspn(p, " \t\n");
            push_unique(a, sv, p, n);
            p += n;
            if (*p)
                p++;
        }
        return;
    }
    if (value->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *i = value->data.sequence.items.start;
             i < value->data.sequence.items.top; i++) {
            yaml_node_t *item = node_at(y, *i);
            if (!item)
                continue;
            if (item->type != YAML_SCALAR_NODE) {
                bk_warn(y->diags, bk_yaml_loc(y, item),
                        "each item of '%s' should be text; this one is ignored", key);
                continue;
            }
            const char *v = bk_yaml_scalar(item);
            if (v)
                push_unique(a, sv, v, strlen(v));
        }
        return;
    }
    bk_warn(y->diags, bk_yaml_loc(y, value), "'%s' should be a list or text, not a mapping; ignored",
            key);
}

static void add_person(bk_yaml *y, yaml_node_t *n, const char *key, bk_buf *out)
{
    const char *name = NULL;
    if (n->type == YAML_SCALAR_NODE)
        name = bk_yaml_scalar(n);
    else if (n->type == YAML_MAPPING_NODE)
        name = bk_yaml_scalar(bk_yaml_lookup(y, n, "name"));
    if (!name) {
        if (n->type != YAML_SCALAR_NODE)
            bk_warn(y->diags, bk_yaml_loc(y, n),
                    "'%s' should be a name, a mapping with 'name', or a list of names; ignored",
                    key);
        return;
    }
    bk_str t = bk_str_trim(bk_str_from(name));
    if (!t.len)
        return;
    if (out->len)
        bk_buf_adds(out, ", ");
    bk_buf_add(out, t.p, t.len);
}

const char *bk_yaml_person(bk_yaml *y, yaml_node_t *value, const char *key, bk_arena *a)
{
    if (!value)
        return NULL;
    bk_buf b = BK_BUF_INIT;
    if (value->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *i = value->data.sequence.items.start;
             i < value->data.sequence.items.top; i++) {
            yaml_node_t *item = node_at(y, *i);
            if (item)
                add_person(y, item, key, &b);
        }
    } else {
        add_person(y, value, key, &b);
    }
    const char *r = b.len ? bk_arena_strndup(a, b.ptr, b.len) : NULL;
    bk_buf_release(&b);
    return r;
}

int bk_yaml_read_file(const char *path, const char *display, size_t max, const char *what,
                      bk_buf *out, size_t *skip, bk_diags *d)
{
    *skip = 0;
    if (bk_file_read(path, max, out) < 0) {
        if (errno == ENOENT)
            return 1;
        if (errno == EFBIG)
            return bk_error(d, (bk_loc){ display, 0, 0 }, "cannot read the %s: larger than %zu KiB",
                            what, max >> 10);
        return bk_error(d, (bk_loc){ display, 0, 0 }, "cannot read the %s: %s", what,
                        strerror(errno));
    }
    if (memchr(out->ptr, '\0', out->len))
        return bk_error(d, (bk_loc){ display, 0, 0 }, "not a text file (it contains NUL bytes)");
    for (size_t i = 0; i < out->len;) {
        size_t n = bk_utf8_valid_len((const unsigned char *)out->ptr + i, out->len - i);
        if (!n)
            return bk_error(d, (bk_loc){ display, 0, 0 }, "not valid UTF-8 text");
        i += n;
    }
    *skip = out->len >= 3 && memcmp(out->ptr, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    return 0;
}
