/* config.c -- book metadata from _config.yml, hugo.yaml and bookify.yml (see config.h). */
#include "bookify/config.h"

#include <errno.h>
#include <string.h>

#include "bookify/fileio.h"
#include "yamlx.h"

#include "bookify/banned.h"

#define CONFIG_MAX (4u << 20)

const char *bk_config_lang(bk_arena *a, const char *s)
{
    bk_str t = bk_str_trim(bk_str_from(s));
    if (!t.len || t.len > 35)
        return NULL;
    char *out = bk_arena_strndup(a, t.p, t.len);
    /* BCP 47 shape: a 2-3 (or 4-8) letter primary subtag, then 1-8
     * alphanumeric subtags; POSIX locales use '_' and may carry ".UTF-8". */
    char *dot = strchr(out, '.');
    if (dot)
        *dot = '\0';
    size_t seg = 0, nseg = 0;
    for (char *p = out;; p++) {
        char c = *p;
        if (c == '_')
            c = *p = '-';
        if (c == '-' || c == '\0') {
            if (seg == 0 || seg > 8 || (nseg == 0 && seg < 2))
                return NULL;
            nseg++;
            seg = 0;
            if (!c)
                break;
            continue;
        }
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        bool digit = c >= '0' && c <= '9';
        if (!alpha && !(digit && nseg > 0))
            return NULL;
        seg++;
    }
    return out;
}

typedef struct cfg_ctx {
    bk_book *book;
    bk_config_kind kind;
    bk_diags *diags;
    int rc;
} cfg_ctx;

static void set_text(cfg_ctx *c, bk_yaml *y, yaml_node_t *v, const char *key, const char **dst)
{
    const char *s = bk_yaml_text(y, v, key, &c->book->arena);
    if (s)
        *dst = s;
}

static void set_lang(cfg_ctx *c, bk_yaml *y, yaml_node_t *v, const char *key)
{
    const char *s = bk_yaml_text(y, v, key, &c->book->arena);
    if (!s)
        return;
    const char *l = bk_config_lang(&c->book->arena, s);
    if (l)
        c->book->meta.lang = l;
    else
        bk_warn(c->diags, bk_yaml_loc(y, v),
                "'%s' is not a language tag such as 'en', 'pt-BR' or 'zh-Hant'; ignored", s);
}

static void set_order(cfg_ctx *c, bk_yaml *y, yaml_node_t *v)
{
    bk_meta *m = &c->book->meta;
    if (v && v->type == YAML_SEQUENCE_NODE) {
        size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
        m->order_list = bk_arena_alloc(&c->book->arena, (n ? n : 1) * sizeof(*m->order_list));
        m->norder_list = 0;
        for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top;
             i++) {
            yaml_node_t *item = yaml_document_get_node(&y->doc, *i);
            const char *s = bk_yaml_scalar(item);
            if (!s || item->type != YAML_SCALAR_NODE) {
                if (item)
                    c->rc = bk_error(c->diags, bk_yaml_loc(y, item),
                                     "each item of 'order' should be a post's file path");
                continue;
            }
            m->order_list[m->norder_list++] =
                (bk_located){ bk_arena_strdup(&c->book->arena, s), bk_yaml_loc(y, item) };
        }
        m->order = BK_ORDER_LIST;
        m->order_set = true;
        return;
    }
    const char *s = bk_yaml_text(y, v, "order", &c->book->arena);
    if (!s)
        return;
    if (!bk_order_mode_parse(s, &m->order)) {
        c->rc = bk_error(c->diags, bk_yaml_loc(y, v),
                         "unknown order '%s': use date, date-desc, title, file, category, "
                         "or a list of post files",
                         s);
        return;
    }
    m->order_set = true;
}

static void set_list(cfg_ctx *c, bk_yaml *y, yaml_node_t *v, const char *key, bk_strv *sv)
{
    bk_strv fresh = { 0 };
    bk_yaml_strings(y, v, key, &c->book->arena, &fresh);
    *sv = fresh;
}

static int on_jekyll(void *ctx, bk_yaml *y, const char *key, yaml_node_t *k, yaml_node_t *v)
{
    cfg_ctx *c = ctx;
    bk_meta *m = &c->book->meta;
    if (strcmp(key, "title") == 0) {
        set_text(c, y, v, key, &m->title);
    } else if (strcmp(key, "subtitle") == 0) {
        set_text(c, y, v, key, &m->subtitle);
    } else if (strcmp(key, "description") == 0) {
        set_text(c, y, v, key, &m->description);
    } else if (strcmp(key, "author") == 0) {
        const char *who = bk_yaml_person(y, v, key, &c->book->arena);
        if (who)
            m->author = who;
    } else if (strcmp(key, "url") == 0) {
        set_text(c, y, v, key, &m->url);
    } else if (strcmp(key, "baseurl") == 0) {
        set_text(c, y, v, key, &m->baseurl);
    } else if (strcmp(key, "lang") == 0 || strcmp(key, "locale") == 0) {
        set_lang(c, y, v, key);
    }
    return 0;
}

static int on_hugo_params(void *ctx, bk_yaml *y, const char *key, yaml_node_t *k, yaml_node_t *v)
{
    cfg_ctx *c = ctx;
    bk_meta *m = &c->book->meta;
    if (strcmp(key, "description") == 0) {
        set_text(c, y, v, key, &m->description);
    } else if (strcmp(key, "subtitle") == 0) {
        set_text(c, y, v, key, &m->subtitle);
    } else if (strcmp(key, "author") == 0) {
        const char *who = bk_yaml_person(y, v, key, &c->book->arena);
        if (who)
            m->author = who;
    }
    return 0;
}

static int on_hugo(void *ctx, bk_yaml *y, const char *key, yaml_node_t *k, yaml_node_t *v)
{
    cfg_ctx *c = ctx;
    bk_meta *m = &c->book->meta;
    if (strcmp(key, "title") == 0) {
        set_text(c, y, v, key, &m->title);
    } else if (strcmp(key, "baseURL") == 0 || strcmp(key, "baseurl") == 0) {
        set_text(c, y, v, key, &m->url);
    } else if (strcmp(key, "languageCode") == 0 || strcmp(key, "defaultContentLanguage") == 0) {
        set_lang(c, y, v, key);
    } else if (strcmp(key, "author") == 0) {
        const char *who = bk_yaml_person(y, v, key, &c->book->arena);
        if (who)
            m->author = who;
    } else if (strcmp(key, "params") == 0) {
        bk_yaml_each_pair(y, v, "params", on_hugo_params, c);
    }
    return 0;
}

static int on_bookify(void *ctx, bk_yaml *y, const char *key, yaml_node_t *k, yaml_node_t *v)
{
    cfg_ctx *c = ctx;
    bk_meta *m = &c->book->meta;
    static const struct {
        const char *key;
        size_t off;
    } texts[] = {
        { "title", offsetof(bk_meta, title) },
        { "subtitle", offsetof(bk_meta, subtitle) },
        { "description", offsetof(bk_meta, description) },
        { "identifier", offsetof(bk_meta, identifier) },
        { "publisher", offsetof(bk_meta, publisher) },
        { "rights", offsetof(bk_meta, rights) },
        { "url", offsetof(bk_meta, url) },
        { "baseurl", offsetof(bk_meta, baseurl) },
        { "cover", offsetof(bk_meta, cover) },
        { "theme", offsetof(bk_meta, theme) },
        { "page-size", offsetof(bk_meta, page_size) },
    };
    for (size_t i = 0; i < BK_ARRAY_LEN(texts); i++) {
        if (strcmp(key, texts[i].key) == 0) {
            set_text(c, y, v, key, (const char **)((char *)m + texts[i].off));
            return 0;
        }
    }
    if (strcmp(key, "author") == 0) {
        const char *who = bk_yaml_person(y, v, key, &c->book->arena);
        if (who)
            m->author = who;
    } else if (strcmp(key, "language") == 0 || strcmp(key, "lang") == 0) {
        set_lang(c, y, v, key);
    } else if (strcmp(key, "date") == 0) {
        const char *s = bk_yaml_text(y, v, key, &c->book->arena);
        bk_date dt;
        if (s && !bk_date_parse(s, strlen(s), &dt))
            c->rc = bk_error(c->diags, bk_yaml_loc(y, v), "invalid date '%s': expected YYYY-MM-DD",
                             s);
        else if (s)
            m->date = s;
    } else if (strcmp(key, "order") == 0) {
        set_order(c, y, v);
    } else if (strcmp(key, "parts") == 0) {
        set_list(c, y, v, key, &m->parts);
        if (m->parts.len && !m->order_set)
            m->order = BK_ORDER_CATEGORY;
    } else if (strcmp(key, "css") == 0) {
        set_list(c, y, v, key, &m->css);
    } else if (strcmp(key, "exclude") == 0) {
        set_list(c, y, v, key, &m->exclude);
    } else if (strcmp(key, "max-post-size") == 0 || strcmp(key, "max-image-size") == 0 ||
               strcmp(key, "max-image-pixels") == 0) {
        const char *s = bk_yaml_scalar(v);
        size_t n;
        size_t *field = key[4] == 'p'    ? &m->max_post_size
                        : key[10] == 's' ? &m->max_image_size
                                         : &m->max_image_pixels;
        if (!s || !bk_parse_size(s, &n))
            c->rc = bk_error(c->diags, bk_yaml_loc(y, v ? v : k),
                             "'%s' should be a size such as 500K, 20M or 1G", key);
        else
            *field = n;
    } else if (strcmp(key, "highlight") == 0) {
        bool on;
        if (bk_yaml_bool(y, v, key, &on)) /* else it warns */
            m->highlight = on ? 1 : -1;
    } else if (strcmp(key, "toc-depth") == 0) {
        const char *s = bk_yaml_scalar(v);
        long n;
        if (!s || !bk_parse_int(s, 0, 6, &n))
            c->rc = bk_error(c->diags, bk_yaml_loc(y, v ? v : k),
                             "'toc-depth' should be a number from 0 to 6");
        else
            m->toc_depth = (int)n;
    } else {
        bk_warn(c->diags, bk_yaml_loc(y, k), "unknown key '%s'; ignored", key);
    }
    return 0;
}

int bk_config_load(bk_book *book, const char *path, const char *display, bk_config_kind kind,
                   bool required, bk_diags *d)
{
    bk_buf text = BK_BUF_INIT;
    int rc = -1;
    bk_yaml y = { 0 };
    size_t skip;
    int r = bk_yaml_read_file(path, display, CONFIG_MAX, "configuration", &text, &skip, d);
    if (r == 1 && !required) {
        rc = 0;
        goto out;
    }
    if (r == 1)
        bk_error(d, (bk_loc){ display, 0, 0 }, "cannot read the configuration: %s",
                 strerror(ENOENT));
    if (r != 0)
        goto out;
    if (bk_yaml_load(&y, text.ptr + skip, text.len - skip, display, 1, d) < 0)
        goto out;
    yaml_node_t *root = bk_yaml_root(&y);
    if (root && root->type != YAML_MAPPING_NODE) {
        bk_error(d, bk_yaml_loc(&y, root), "configuration should be 'key: value' lines");
        goto out;
    }
    cfg_ctx c = { book, kind, d, 0 };
    bk_yaml_pair_fn fn = kind == BK_CONFIG_JEKYLL ? on_jekyll
                         : kind == BK_CONFIG_HUGO ? on_hugo
                                                  : on_bookify;
    bk_yaml_each_pair(&y, root, "configuration", fn, &c);
    rc = c.rc;
out:
    bk_yaml_release(&y);
    bk_buf_release(&text);
    return rc;
}
