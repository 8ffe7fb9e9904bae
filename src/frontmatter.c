/* frontmatter.c -- YAML front matter into the post model (see frontmatter.h). */
#include "bookify/frontmatter.h"

#include <string.h>

#include "yamlx.h"

#include "bookify/banned.h"

/* Is the line at p (up to end) exactly `mark` followed only by blanks? */
static bool is_mark_line(const char *p, const char *end, const char *mark)
{
    size_t n = strlen(mark);
    if ((size_t)(end - p) < n || memcmp(p, mark, n) != 0)
        return false;
    for (p += n; p < end && *p != '\n'; p++)
        if (*p != ' ' && *p != '\t')
            return false;
    return true;
}

static const char *next_line(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl + 1 : end;
}

typedef struct fm_ctx {
    bk_post *post;
    bk_arena *arena;
    bk_diags *diags;
    yaml_node_t *date_node, *alt_date_node;
} fm_ctx;

static void add_field(fm_ctx *c, bk_yaml *y, const char *key, yaml_node_t *k, yaml_node_t *v)
{
    const char *s = bk_yaml_scalar(v);
    if (!s)
        return;
    bk_post *p = c->post;
    /* Fields are few; grow the arena array by copying. */
    bk_field *f = bk_arena_alloc(c->arena, (p->nfields + 1) * sizeof(*f));
    if (p->nfields)
        memcpy(f, p->fields, p->nfields * sizeof(*f));
    bk_loc loc = bk_yaml_loc(y, k);
    f[p->nfields] = (bk_field){ bk_arena_strdup(c->arena, key), bk_arena_strdup(c->arena, s),
                                loc.line, loc.col };
    p->fields = f;
    p->nfields++;
}

static int on_pair(void *ctx, bk_yaml *y, const char *key, yaml_node_t *k, yaml_node_t *v)
{
    fm_ctx *c = ctx;
    bk_post *p = c->post;
    bk_arena *a = c->arena;
    add_field(c, y, key, k, v);
    if (strcmp(key, "title") == 0) {
        p->title = bk_yaml_text(y, v, key, a);
    } else if (strcmp(key, "subtitle") == 0) {
        p->subtitle = bk_yaml_text(y, v, key, a);
    } else if (strcmp(key, "description") == 0) {
        p->description = bk_yaml_text(y, v, key, a);
    } else if (strcmp(key, "summary") == 0) {
        if (!p->description)
            p->description = bk_yaml_text(y, v, key, a);
    } else if (strcmp(key, "author") == 0 || strcmp(key, "authors") == 0) {
        const char *who = bk_yaml_person(y, v, key, a);
        if (who)
            p->author = who;
    } else if (strcmp(key, "date") == 0) {
        c->date_node = v;
    } else if (strcmp(key, "publishDate") == 0 || strcmp(key, "pubDate") == 0) {
        c->alt_date_node = v;
    } else if (strcmp(key, "tags") == 0 || strcmp(key, "tag") == 0) {
        bk_yaml_strings(y, v, key, a, &p->tags);
    } else if (strcmp(key, "categories") == 0 || strcmp(key, "category") == 0) {
        bk_yaml_strings(y, v, key, a, &p->categories);
    } else if (strcmp(key, "published") == 0) {
        bk_yaml_bool(y, v, key, &p->published);
    } else if (strcmp(key, "draft") == 0) {
        bk_yaml_bool(y, v, key, &p->draft);
    } else if (strcmp(key, "slug") == 0) {
        p->slug = bk_yaml_text(y, v, key, a);
    } else if (strcmp(key, "permalink") == 0 || strcmp(key, "url") == 0) {
        const char *s = bk_yaml_text(y, v, key, a);
        if (s && (!p->permalink || strcmp(key, "permalink") == 0))
            p->permalink = s;
    } else if (strcmp(key, "lang") == 0 || strcmp(key, "language") == 0) {
        p->lang = bk_yaml_text(y, v, key, a);
        bk_loc at = bk_yaml_loc(y, v);
        p->lang_line = at.line;
        p->lang_col = at.col;
    } else if (strcmp(key, "layout") == 0) {
        p->layout = bk_yaml_text(y, v, key, a);
    }
    return 0;
}

static void type_date(fm_ctx *c, bk_yaml *y, yaml_node_t *v, const char *key)
{
    if (!v)
        return;
    const char *s = bk_yaml_scalar(v);
    if (!s) {
        if (v->type != YAML_SCALAR_NODE)
            bk_warn(c->diags, bk_yaml_loc(y, v), "'%s' should be a date, not a %s; ignored", key,
                    v->type == YAML_MAPPING_NODE ? "mapping" : "list");
        return;
    }
    if (!bk_date_parse(s, strlen(s), &c->post->date))
        bk_warn(c->diags, bk_yaml_loc(y, v),
                "invalid date '%s': expected YYYY-MM-DD, optionally followed by a time "
                "HH:MM[:SS] and a zone (Z, +HHMM or +HH:MM)",
                s);
}

int bk_frontmatter_parse(bk_post *post, bk_arena *a, bk_diags *d)
{
    const char *text = post->text, *end = text + post->text_len;
    post->body = text;
    post->body_len = post->text_len;
    post->body_line = 1;

    if (is_mark_line(text, end, "+++")) {
        /* Hugo's TOML front matter: no TOML parser among our libraries. Skip
         * the block so it is not printed as text, and say so. */
        int line = 2;
        for (const char *p = next_line(text, end); p < end; p = next_line(p, end), line++) {
            if (is_mark_line(p, end, "+++")) {
                post->body = next_line(p, end);
                post->body_len = (size_t)(end - post->body);
                post->body_line = line + 1;
                return bk_warn(d, (bk_loc){ post->display, 1, 1 },
                               "TOML front matter ('+++') is not supported; its keys are "
                               "ignored (convert it to YAML between '---' lines)");
            }
        }
        return bk_error(d, (bk_loc){ post->display, 1, 1 },
                        "front matter opened with '+++' is never closed");
    }
    if (!is_mark_line(text, end, "---"))
        return 0;

    const char *yaml_start = next_line(text, end), *close = NULL;
    int line = 2;
    for (const char *p = yaml_start; p < end; p = next_line(p, end), line++) {
        if (is_mark_line(p, end, "---") || is_mark_line(p, end, "...")) {
            close = p;
            break;
        }
    }
    if (!close) {
        bk_error(d, (bk_loc){ post->display, 1, 1 },
                 "front matter is never closed: no '---' line after the opening one");
        const char *nl = memchr(text, '\n', post->text_len);
        bk_diags_set_excerpt(d, text, nl ? (size_t)(nl - text) : post->text_len);
        return -1;
    }
    post->fm_line = 2;
    post->body = next_line(close, end);
    post->body_len = (size_t)(end - post->body);
    post->body_line = line + 1;

    bk_yaml y;
    int rc = bk_yaml_load(&y, yaml_start, (size_t)(close - yaml_start), post->display, 2, d);
    if (rc == 0) {
        yaml_node_t *root = bk_yaml_root(&y);
        if (root && root->type != YAML_MAPPING_NODE) {
            /* A lone scalar such as a comment-free "hello" is not metadata. */
            rc = bk_error(d, bk_yaml_loc(&y, root),
                          "front matter should be 'key: value' lines, not a %s",
                          root->type == YAML_SCALAR_NODE ? "single value" : "list");
        } else if (root) {
            fm_ctx c = { post, a, d, NULL, NULL };
            bk_yaml_each_pair(&y, root, "front matter", on_pair, &c);
            type_date(&c, &y, c.date_node ? c.date_node : c.alt_date_node,
                      c.date_node ? "date" : "publishDate");
        }
    }
    bk_yaml_release(&y);
    return rc;
}

/* Length of a code fence opener at p ("```" or "~~~", up to 3 spaces in), or 0. */
static size_t fence_len(const char *p, const char *end, char *ch)
{
    int indent = 0;
    while (p < end && *p == ' ' && indent < 4) {
        p++;
        indent++;
    }
    if (indent > 3 || p >= end || (*p != '`' && *p != '~'))
        return 0;
    char c = *p;
    size_t n = 0;
    while (p < end && *p == c) {
        p++;
        n++;
    }
    if (n < 3)
        return 0;
    *ch = c;
    return n;
}

static bk_str line_at(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return (bk_str){ p, nl ? (size_t)(nl - p) : (size_t)(end - p) };
}

static bool is_setext_eq(bk_str l)
{
    l = bk_str_trim(l);
    if (!l.len)
        return false;
    for (size_t i = 0; i < l.len; i++)
        if (l.p[i] != '=')
            return false;
    return true;
}

const char *bk_frontmatter_body_title(const char *body, size_t len, bk_arena *a, int *line)
{
    const char *p = body, *end = body + len;
    char fence_ch = 0;
    size_t fence = 0;
    bk_str prev = { NULL, 0 };
    bool liquid_block = false; /* inside {% highlight %} or {% raw %}: code */
    for (int n = 1; p < end; p = next_line(p, end), n++) {
        bk_str l = line_at(p, end);
        char ch = 0;
        size_t f = fence_len(l.p, l.p + l.len, &ch);
        bk_str lt = bk_str_trim(l);
        if (lt.len > 2 && lt.p[0] == '{' && lt.p[1] == '%') {
            const char *q = lt.p + 2;
            while (q < lt.p + lt.len && (*q == ' ' || *q == '-'))
                q++;
            size_t rest = (size_t)(lt.p + lt.len - q);
            if ((rest >= 9 && strncmp(q, "highlight", 9) == 0) || (rest >= 3 && strncmp(q, "raw", 3) == 0))
                liquid_block = true;
            else if ((rest >= 12 && strncmp(q, "endhighlight", 12) == 0) ||
                     (rest >= 6 && strncmp(q, "endraw", 6) == 0))
                liquid_block = false;
            prev.p = NULL;
            continue;
        }
        if (liquid_block)
            continue;
        if (fence) {
            if (f >= fence && ch == fence_ch)
                fence = 0;
            continue;
        }
        if (f) {
            fence = f;
            fence_ch = ch;
            prev.p = NULL;
            continue;
        }
        bk_str t = l;
        size_t indent = 0;
        while (indent < t.len && t.p[indent] == ' ')
            indent++;
        if (indent <= 3 && t.len > indent && t.p[indent] == '#' &&
            (t.len == indent + 1 || t.p[indent + 1] == ' ' || t.p[indent + 1] == '\t')) {
            bk_str h = bk_str_trim((bk_str){ t.p + indent + 1, t.len - indent - 1 });
            /* Drop a closing sequence of #s preceded by a blank. */
            size_t k = h.len;
            while (k && h.p[k - 1] == '#')
                k--;
            if (k < h.len && (k == 0 || h.p[k - 1] == ' ' || h.p[k - 1] == '\t'))
                h = bk_str_trim((bk_str){ h.p, k });
            if (h.len) {
                *line = n;
                return bk_arena_strndup(a, h.p, h.len);
            }
        }
        if (prev.p && is_setext_eq(l)) {
            bk_str h = bk_str_trim(prev);
            if (h.len) {
                *line = n - 1;
                return bk_arena_strndup(a, h.p, h.len);
            }
        }
        prev = bk_str_trim(l).len && indent < 4 ? l : (bk_str){ NULL, 0 };
    }
    return NULL;
}

const char *bk_frontmatter_title_from_slug(const char *slug, bk_arena *a)
{
    bk_buf b = BK_BUF_INIT;
    bool word_start = true;
    for (const char *p = slug; *p; p++) {
        char c = *p;
        if (c == '-' || c == '_' || c == ' ') {
            if (b.len && b.ptr[b.len - 1] != ' ')
                bk_buf_addc(&b, ' ');
            word_start = true;
            continue;
        }
        if (word_start && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        word_start = false;
        bk_buf_addc(&b, c);
    }
    while (b.len && b.ptr[b.len - 1] == ' ')
        b.ptr[--b.len] = '\0';
    const char *r = bk_arena_strndup(a, b.ptr, b.len);
    bk_buf_release(&b);
    return r;
}
