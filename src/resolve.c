/* resolve.c -- book-wide ids, links between posts, images (see resolve.h). */
#include "bookify/resolve.h"

#include <errno.h>
#include <glib.h>
#include <libxml/tree.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bookify/fileio.h"
#include "bookify/par.h"
#include "dom.h"

#include "bookify/banned.h"

/* ==================== lookup tables ==================== */

typedef struct docmap {
    bk_strmap ids;   /* original id or alias -> index into strs */
    bk_strv strs;    /* final ids */
} docmap;

typedef struct res {
    bk_book *book;
    docmap *maps;          /* one per post */
    bk_strmap all_ids;     /* every id of the book */
    bk_strmap by_path;     /* rel path -> post index */
    bk_strmap by_stem;     /* file name without extension -> post index, -1 if ambiguous */
    bk_strmap by_permalink;
    bk_strmap by_slug;
    bk_strmap assets;      /* real path -> asset index */
    bk_strmap asset_names; /* href -> 1 */
    bk_arena tmp;          /* keys of the maps above */
    /* What the file system said, asked once for each path however many
     * posts use it (a blog's logo in every post): the posts are walked on
     * several threads, hence the lock. */
    pthread_mutex_t fs_lock;
    bk_strmap fs_paths;    /* path inside SITE -> index into facts (its realpath) */
    bk_strmap fs_files;    /* real path -> index into facts (what the image is) */
    struct fs_fact *facts;
    size_t nfacts, capfacts;
} res;

typedef struct fs_fact {
    char *real;        /* realpath of a path inside SITE, or NULL */
    const char *media; /* a real path's image type, or NULL */
    size_t size;       /* its size in bytes */
    int err;           /* the errno reading it failed with, or 0 */
} fs_fact;

static void put_unique(res *r, bk_strmap *m, const char *key, long value)
{
    long *v = bk_strmap_lookup(m, key);
    if (v && *v != value)
        *v = -1; /* ambiguous: used by two posts */
    else if (!v)
        bk_strmap_put(m, bk_arena_strdup(&r->tmp, key), value);
}

/* "/2019/01/05/my-post.html", "https://site/blog/my-post/" -> "2019/01/05/my-post":
 * no site prefix, no leading or trailing '/', no index.html, no .html. */
static char *norm_url_path(res *r, const char *url)
{
    const char *p = url;
    const char *site = r->book->meta.url;
    if (site) {
        size_t n = strlen(site);
        while (n && site[n - 1] == '/')
            n--;
        if (n && strncmp(p, site, n) == 0 && (p[n] == '/' || p[n] == '\0' || p[n] == '#'))
            p += n;
    }
    const char *base = r->book->meta.baseurl;
    if (base && *base && strcmp(base, "/") != 0) {
        size_t n = strlen(base);
        while (n && base[n - 1] == '/')
            n--;
        if (strncmp(p, base, n) == 0 && (p[n] == '/' || p[n] == '\0'))
            p += n;
    }
    while (*p == '/')
        p++;
    size_t len = strcspn(p, "?#");
    char *s = bk_xstrndup(p, len);
    char *dec = g_uri_unescape_string(s, NULL);
    if (dec) {
        free(s);
        s = bk_xstrdup(dec);
        g_free(dec);
    }
    len = strlen(s);
    if (len >= 10 && strcmp(s + len - 10, "index.html") == 0)
        s[len -= 10] = '\0';
    while (len && s[len - 1] == '/')
        s[--len] = '\0';
    if (len > 5 && strcmp(s + len - 5, ".html") == 0)
        s[len -= 5] = '\0';
    return s;
}

static const char *last_segment(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void build_tables(res *r)
{
    bk_book *book = r->book;
    for (size_t i = 0; i < book->nposts; i++) {
        bk_post *p = book->posts[i];
        put_unique(r, &r->by_path, p->path, (long)i);
        const char *base = last_segment(p->path);
        const char *dot = strrchr(base, '.');
        char *stem = bk_xstrndup(base, dot ? (size_t)(dot - base) : strlen(base));
        put_unique(r, &r->by_stem, stem, (long)i);
        /* post_url may name a post with its folder below _posts/. */
        const char *in_posts = strstr(p->path, "_posts/");
        if (in_posts) {
            char *sub = bk_xstrndup(in_posts + 7, strlen(in_posts + 7) - (dot ? strlen(dot) : 0));
            put_unique(r, &r->by_stem, sub, (long)i);
            free(sub);
        }
        free(stem);
        if (p->permalink && !strchr(p->permalink, ':')) {
            char *n = norm_url_path(r, p->permalink);
            put_unique(r, &r->by_permalink, n, (long)i);
            free(n);
        }
        put_unique(r, &r->by_slug, p->slug, (long)i);
    }
}

static long lookup_post(bk_strmap *m, const char *key)
{
    long *v = bk_strmap_lookup(m, key);
    return v ? *v : -1;
}

/* ==================== ids ==================== */

static const char *map_id(res *r, size_t post, const char *id)
{
    long *v = bk_strmap_lookup(&r->maps[post].ids, id);
    return v ? r->maps[post].strs.v[*v] : NULL;
}

/* The posts are walked on the worker threads (-j): their trees are their
 * own. What depends on the book's order (which of two equal ids keeps its
 * name, which of two images named alike keeps its file name) is settled
 * on one thread between the walks, in the posts' order, so the book is the
 * same whatever the number of threads. */

/* An element's id, collected by the first walk. */
typedef struct id_use {
    xmlNodePtr node;
    char *id, *alias; /* xmlFree'd */
    char *want;       /* the id it should have (footnotes: the chapter's name in it), malloc'd */
} id_use;

/* An image found in the site, added to the book's assets in order. */
typedef struct img_use {
    xmlNodePtr node;
    char *real; /* malloc'd */
    const char *media;
    size_t size;
} img_use;

/* What the first walk finds in a tree (collect): its ids, and its links
 * and images in document order, for the second walk (resolve_refs). */
typedef struct bk_found_ids {
    id_use *ids;
    size_t nids, capids;
    xmlNodePtr *refs;
    size_t nrefs, caprefs;
} found_ids;

typedef struct post_res {
    found_ids found;
    img_use *imgs;
    size_t nimgs, capimgs;
    bk_diags diags; /* the second walk's, merged in the posts' order */
} post_res;

/* The first walk: every element's id and alias (the alias attribute
 * goes), every link and image. */
static void collect(const bk_post *p, found_ids *f)
{
    xmlNodePtr root = xmlDocGetRootElement(p->doc);
    for (xmlNodePtr x = root; x; x = bk_dom_next(x, root, false)) {
        if (bk_dom_is(x, "a") || bk_dom_is(x, "img")) {
            BK_GROW(f->refs, f->caprefs, f->nrefs + 1);
            f->refs[f->nrefs++] = x;
        }
        if (!bk_dom_has_attr(x, "id") && !bk_dom_has_attr(x, "data-bk-alias"))
            continue;
        char *id = bk_dom_attr(x, "id");
        char *alias = bk_dom_attr(x, "data-bk-alias");
        if (alias)
            xmlUnsetProp(x, BAD_CAST "data-bk-alias");
        bool chapter = bk_dom_is(x, "section") && id && strcmp(id, p->id) == 0;
        if (!id || chapter) {
            xmlFree(id);
            xmlFree(alias);
            continue;
        }
        /* Footnote ids repeat in every post: give them the chapter's
         * name rather than a number. */
        char *want;
        if ((strncmp(id, "fn-", 3) == 0 && bk_dom_has_class(x, "footnote")) ||
            (strncmp(id, "fnref-", 6) == 0 && bk_dom_is(x->parent, "sup"))) {
            const char *dash = strchr(id, '-');
            bk_buf b = BK_BUF_INIT;
            bk_buf_add(&b, id, (size_t)(dash - id));
            bk_buf_addf(&b, "-%s%s", p->id, dash);
            want = bk_buf_detach(&b);
        } else {
            want = bk_xstrdup(id);
        }
        BK_GROW(f->ids, f->capids, f->nids + 1);
        f->ids[f->nids++] = (id_use){ x, id, alias, want };
    }
}

static void found_release_ids(found_ids *f)
{
    for (size_t k = 0; k < f->nids; k++) {
        xmlFree(f->ids[k].id);
        xmlFree(f->ids[k].alias);
        free(f->ids[k].want);
    }
    free(f->ids);
    f->ids = NULL;
    f->nids = f->capids = 0;
}

static void found_release(found_ids *f)
{
    found_release_ids(f);
    free(f->refs);
    *f = (found_ids){ 0 };
}

void bk_resolve_forget(bk_post *p)
{
    if (p->found_ids) {
        found_release(p->found_ids);
        free(p->found_ids);
        p->found_ids = NULL;
    }
}

void bk_resolve_collect(bk_post *p)
{
    bk_resolve_forget(p);
    if (!p->doc)
        return;
    p->found_ids = bk_xcalloc(1, sizeof(*p->found_ids));
    collect(p, p->found_ids);
}

/* Between the walks, in the book's order: ids unique across the book. */
static void unique_ids(res *r, post_res *prs)
{
    bk_book *book = r->book;
    for (size_t i = 0; i < book->nposts; i++)
        bk_strmap_put(&r->all_ids, book->posts[i]->id, 1);
    for (size_t i = 0; i < book->nposts; i++) {
        docmap *m = &r->maps[i];
        post_res *pr = &prs[i];
        for (size_t k = 0; k < pr->found.nids; k++) {
            id_use *u = &pr->found.ids[k];
            const char *final = bk_unique_name(&r->all_ids, &book->arena, u->want, "", 1);
            if (strcmp(final, u->id) != 0)
                xmlSetProp(u->node, BAD_CAST "id", BAD_CAST final);
            if (!bk_strmap_lookup(&m->ids, u->id)) {
                bk_strv_push(&r->tmp, &m->strs, final);
                bk_strmap_put(&m->ids, bk_arena_strdup(&r->tmp, u->id), (long)m->strs.len - 1);
            }
            if (u->alias && !bk_strmap_lookup(&m->ids, u->alias)) {
                bk_strv_push(&r->tmp, &m->strs, final);
                bk_strmap_put(&m->ids, bk_arena_strdup(&r->tmp, u->alias), (long)m->strs.len - 1);
            }
        }
        found_release_ids(&pr->found);
    }
}

/* ==================== links ==================== */

static bool has_scheme(const char *href)
{
    const char *p = href;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return false;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
           *p == '+' || *p == '-' || *p == '.')
        p++;
    return *p == ':';
}

static bool is_markdown_path(const char *path)
{
    const char *dot = strrchr(last_segment(path), '.');
    return dot && (bk_ascii_casecmp(dot, ".md") == 0 || bk_ascii_casecmp(dot, ".markdown") == 0 ||
                   bk_ascii_casecmp(dot, ".mdx") == 0);
}

/* Join a relative path to the folder of `from` (a path inside SITE) and
 * normalise "." and ".."; NULL when it climbs out of SITE. */
static char *join_rel(const char *from, const char *rel)
{
    bk_buf b = BK_BUF_INIT;
    const char *slash = strrchr(from, '/');
    if (rel[0] != '/' && slash)
        bk_buf_add(&b, from, (size_t)(slash - from + 1));
    bk_buf_adds(&b, rel[0] == '/' ? rel + 1 : rel);
    /* Normalise segment by segment. */
    char **segs = NULL;
    size_t n = 0, cap = 0;
    char *s = b.ptr;
    bool bad = false;
    while (s && *s) {
        char *e = strchr(s, '/');
        if (e)
            *e = '\0';
        if (strcmp(s, "..") == 0) {
            if (n)
                n--;
            else
                bad = true;
        } else if (*s && strcmp(s, ".") != 0) {
            BK_GROW(segs, cap, n + 1);
            segs[n++] = s;
        }
        s = e ? e + 1 : NULL;
    }
    bk_buf out = BK_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (i)
            bk_buf_addc(&out, '/');
        bk_buf_adds(&out, segs[i]);
    }
    free(segs);
    bk_buf_release(&b);
    if (bad) {
        bk_buf_release(&out);
        return NULL;
    }
    return bk_buf_detach(&out);
}

static char *uri_unescape(const char *s, size_t len)
{
    char *part = bk_xstrndup(s, len);
    char *dec = g_uri_unescape_string(part, NULL);
    char *r = bk_xstrdup(dec ? dec : part);
    g_free(dec);
    free(part);
    return r;
}

/* Which post does an href (without fragment) name? -1 when none. */
static long find_target(res *r, const bk_post *from, const char *path_part, bool *internal)
{
    *internal = true;
    char *path = uri_unescape(path_part, strlen(path_part));
    long t = -1;
    if (strncmp(path, "bookify:post/", 13) == 0) {
        t = lookup_post(&r->by_stem, path + 13);
        if (t < 0) {
            /* "2019-01-05-name" or just "name" */
            bk_date d;
            size_t pre = bk_date_parse_prefix(path + 13, &d);
            t = lookup_post(&r->by_slug, path + 13 + pre);
        }
    } else if (strncmp(path, "bookify:ref/", 12) == 0) {
        /* Hugo's ref: "posts/x.md", "/posts/x", "x.md" or "x", relative to
         * content/. */
        const char *ref = path + 12;
        while (*ref == '/')
            ref++;
        size_t n = strlen(ref);
        for (size_t i = 0; i < r->book->nposts && t < 0; i++) {
            const char *pp = r->book->posts[i]->path;
            size_t m = strlen(pp);
            if (m >= n && strncmp(pp + m - n, ref, n) == 0 && (m == n || pp[m - n - 1] == '/'))
                t = (long)i;
        }
        if (t < 0) {
            const char *base = last_segment(ref);
            const char *dot = strrchr(base, '.');
            char *stem = bk_xstrndup(base, dot ? (size_t)(dot - base) : strlen(base));
            t = lookup_post(&r->by_stem, stem);
            if (t < 0)
                t = lookup_post(&r->by_slug, stem);
            free(stem);
        }
    } else if (strncmp(path, "bookify:link/", 13) == 0) {
        const char *p = path + 13;
        while (*p == '/')
            p++;
        t = lookup_post(&r->by_path, p);
    } else if (has_scheme(path) && !(r->book->meta.url && strncmp(path, r->book->meta.url,
                                                                  strlen(r->book->meta.url)) == 0)) {
        *internal = false;
    } else if (is_markdown_path(path)) {
        char *joined = join_rel(from->path, path);
        if (joined)
            t = lookup_post(&r->by_path, joined);
        if (t < 0 && path[0] != '/') {
            free(joined);
            joined = join_rel("", path);
            if (joined)
                t = lookup_post(&r->by_path, joined);
        }
        free(joined);
    } else {
        char *n = norm_url_path(r, path);
        t = lookup_post(&r->by_permalink, n);
        if (t < 0 && *n)
            t = lookup_post(&r->by_slug, last_segment(n));
        if (t < 0 && *n) {
            /* Jekyll's default URLs end in the file name's slug. */
            bk_buf b = BK_BUF_INIT;
            bk_slugify(&b, last_segment(n), strlen(last_segment(n)));
            t = lookup_post(&r->by_slug, b.ptr);
            bk_buf_release(&b);
        }
        free(n);
    }
    free(path);
    return t;
}

static void unlink_keep_text(xmlNodePtr a)
{
    /* The words stay; only the link goes. */
    xmlNodeSetName(a, BAD_CAST "span");
    xmlUnsetProp(a, BAD_CAST "href");
    xmlUnsetProp(a, BAD_CAST "title");
}

static bk_loc loc_of(const bk_post *p, xmlNodePtr n)
{
    return (bk_loc){ p->display, (int)bk_dom_line(n), 0 };
}

static void resolve_link(res *r, size_t pi, post_res *pr, xmlNodePtr a, const char *href)
{
    bk_book *book = r->book;
    bk_post *p = book->posts[pi];
    const char *hash = strchr(href, '#');
    size_t plen = hash ? (size_t)(hash - href) : strlen(href);
    char *frag = hash ? uri_unescape(hash + 1, strlen(hash + 1)) : NULL;
    if (plen == 0) {
        if (!frag || !*frag) {
            free(frag);
            return;
        }
        const char *id = map_id(r, pi, frag);
        if (!id && strcmp(frag, p->id) == 0)
            id = p->id;
        if (id) {
            char *h = g_strconcat("#", id, NULL);
            xmlSetProp(a, BAD_CAST "href", BAD_CAST h);
            g_free(h);
        } else {
            bk_warn(&pr->diags, loc_of(p, a),
                    "link to '#%s' leads nowhere: no heading or anchor in this post has that id; "
                    "kept as text",
                    frag);
            unlink_keep_text(a);
        }
        free(frag);
        return;
    }
    char *path = bk_xstrndup(href, plen);
    bool internal = true;
    /* "page?x=1" names a page of the site, never a post. */
    long t = strchr(path, '?') && !has_scheme(path) ? -1 : find_target(r, p, path, &internal);
    if (t >= 0) {
        bk_post *target = book->posts[t];
        const char *id = NULL;
        if (frag && *frag) {
            id = map_id(r, (size_t)t, frag);
            if (!id)
                bk_warn(&pr->diags, loc_of(p, a),
                        "link to '%s': '%s' has no heading or anchor '#%s'; the link goes to the "
                        "start of that post",
                        href, target->path, frag);
        }
        bk_buf b = BK_BUF_INIT;
        if ((size_t)t != pi)
            bk_buf_adds(&b, target->file);
        if (id)
            bk_buf_addf(&b, "#%s", id);
        else if ((size_t)t == pi)
            bk_buf_addf(&b, "#%s", target->id);
        xmlSetProp(a, BAD_CAST "href", BAD_CAST b.ptr);
        bk_buf_release(&b);
    } else if (internal) {
        bool webby = path[0] == '/' || (book->meta.url && strncmp(path, book->meta.url,
                                                                    strlen(book->meta.url)) == 0);
        const char *shown = strncmp(path, "bookify:", 8) == 0 ? strchr(path + 8, '/') + 1 : path;
        if (book->meta.url && webby && strncmp(path, "bookify:", 8) != 0) {
            /* A page of the site that is not in the book: link to the web. */
            bk_buf b = BK_BUF_INIT;
            if (path[0] == '/') {
                size_t n = strlen(book->meta.url);
                while (n && book->meta.url[n - 1] == '/')
                    n--;
                bk_buf_add(&b, book->meta.url, n);
                const char *base = book->meta.baseurl;
                if (base && *base && strcmp(base, "/") != 0 && strncmp(path, base, strlen(base)) != 0) {
                    if (base[0] != '/')
                        bk_buf_addc(&b, '/');
                    bk_buf_adds(&b, base);
                }
            }
            bk_buf_adds(&b, href);
            xmlSetProp(a, BAD_CAST "href", BAD_CAST b.ptr);
            bk_buf_release(&b);
        } else {
            bk_warn(&pr->diags, loc_of(p, a),
                    "link to '%s' leads to no post of this book%s; kept as text", shown,
                    book->meta.url ? "" : " (set 'url' in _config.yml or bookify.yml to link to the "
                                          "web site instead)");
            unlink_keep_text(a);
        }
    }
    free(path);
    free(frag);
}

/* ==================== images ==================== */

const char *bk_resolve_sniff_image(const unsigned char *d, size_t n)
{
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return "image/jpeg";
    if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
        return "image/gif";
    if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return "image/webp";
    /* SVG: XML text whose first element is <svg>. */
    size_t i = 0;
    if (n >= 3 && memcmp(d, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    for (int guard = 0; guard < 64 && i < n; guard++) {
        while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
            i++;
        if (i + 4 <= n && memcmp(d + i, "<svg", 4) == 0)
            return "image/svg+xml";
        if (i + 2 <= n && d[i] == '<' && (d[i + 1] == '?' || d[i + 1] == '!')) {
            /* skip <?xml ...?>, <!-- ... -->, <!DOCTYPE ...> */
            const unsigned char *gt = memchr(d + i, '>', n - i);
            if (!gt)
                return NULL;
            if (d[i + 1] == '!' && i + 4 <= n && memcmp(d + i, "<!--", 4) == 0) {
                const unsigned char *end = NULL;
                for (size_t k = i + 4; k + 3 <= n; k++)
                    if (memcmp(d + k, "-->", 3) == 0) {
                        end = d + k + 2;
                        break;
                    }
                if (!end)
                    return NULL;
                gt = end;
            }
            i = (size_t)(gt - d) + 1;
            continue;
        }
        break;
    }
    return NULL;
}

static const char *ext_for(const char *media)
{
    if (strcmp(media, "image/png") == 0)
        return ".png";
    if (strcmp(media, "image/jpeg") == 0)
        return ".jpg";
    if (strcmp(media, "image/gif") == 0)
        return ".gif";
    if (strcmp(media, "image/webp") == 0)
        return ".webp";
    return ".svg";
}

/* Register the image at real path (bytes in data) as an asset of the book;
 * returns its href. Stored once however often it is used. */
static const char *add_asset(res *r, const char *real, const char *media, size_t size)
{
    long *have = bk_strmap_lookup(&r->assets, real);
    bk_book *book = r->book;
    if (have)
        return book->assets[*have].href;
    const char *base = last_segment(real);
    const char *dot = strrchr(base, '.');
    bk_buf stem = BK_BUF_INIT;
    if (strncmp(base, "bk-", 3) == 0) /* bookify's own names (the cover) */
        bk_buf_adds(&stem, "img-");
    for (const char *p = base; *p && p != dot; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '-' || ch == '_';
        bk_buf_addc(&stem, ok ? ch : '-');
    }
    if (!stem.len)
        bk_buf_adds(&stem, "image");
    char *dir_stem = g_strconcat("images/", stem.ptr, NULL);
    const char *href = bk_unique_name(&r->asset_names, &book->arena, dir_stem, ext_for(media), 2);
    g_free(dir_stem);
    bk_buf_release(&stem);
    BK_GROW(book->assets, book->capassets, book->nassets + 1);
    book->assets[book->nassets] = (bk_asset){ bk_arena_strdup(&book->arena, real), href, media, size };
    bk_strmap_put(&r->assets, book->assets[book->nassets].path, (long)book->nassets);
    book->nassets++;
    return href;
}

/* Replace img by its alt text (or remove it when it has none). */
static void image_to_text(xmlNodePtr img)
{
    char *alt = bk_dom_attr(img, "alt");
    if (alt && *alt) {
        xmlNodePtr span = xmlNewDocNode(img->doc, img->ns, BAD_CAST "span", NULL);
        xmlSetProp(span, BAD_CAST "class", BAD_CAST "image-missing");
        xmlNodeAddContent(span, BAD_CAST alt);
        xmlReplaceNode(img, span);
    } else {
        xmlUnlinkNode(img);
    }
    xmlFreeNode(img);
    xmlFree(alt);
}

static bool inside_site(const bk_book *book, const char *real)
{
    size_t n = strlen(book->site_real);
    return strncmp(real, book->site_real, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

/* Find the image file: the post's folder, then SITE for "/x" and as a
 * fallback, then Hugo's static/. Returns a real path inside SITE, or NULL
 * with *why set. */
/* The fact recorded under key in m, or NULL. Under fs_lock. */
static fs_fact *fs_find(res *r, bk_strmap *m, const char *key)
{
    long *v = bk_strmap_lookup(m, key);
    return v ? &r->facts[*v] : NULL;
}

/* Record f under key in m, unless another thread did meanwhile; the one
 * kept is copied to *f. Under fs_lock. */
static void fs_keep(res *r, bk_strmap *m, const char *key, fs_fact *f)
{
    fs_fact *have = fs_find(r, m, key);
    if (have) {
        free(f->real);
        *f = *have;
        f->real = have->real ? bk_xstrdup(have->real) : NULL;
        return;
    }
    BK_GROW(r->facts, r->capfacts, r->nfacts + 1);
    r->facts[r->nfacts] = *f;
    r->facts[r->nfacts].real = f->real ? bk_xstrdup(f->real) : NULL;
    bk_strmap_put(m, bk_arena_strdup(&r->tmp, key), (long)r->nfacts);
    r->nfacts++;
}

/* realpath of SITE/rel (malloc'd), or NULL. */
static char *site_realpath(res *r, const char *rel)
{
    pthread_mutex_lock(&r->fs_lock);
    fs_fact *have = fs_find(r, &r->fs_paths, rel);
    char *known = have && have->real ? bk_xstrdup(have->real) : NULL;
    pthread_mutex_unlock(&r->fs_lock);
    if (have)
        return known;
    char *abs = g_strconcat(r->book->site_real, "/", rel, NULL);
    fs_fact f = { realpath(abs, NULL), NULL, 0, 0 };
    g_free(abs);
    pthread_mutex_lock(&r->fs_lock);
    fs_keep(r, &r->fs_paths, rel, &f);
    pthread_mutex_unlock(&r->fs_lock);
    return f.real;
}

/* The image at real path: its type (NULL when it is none) and size, or
 * errno's value when it cannot be read within max bytes. */
static fs_fact image_facts(res *r, const char *real, size_t max)
{
    pthread_mutex_lock(&r->fs_lock);
    fs_fact *have = fs_find(r, &r->fs_files, real);
    fs_fact f = have ? *have : (fs_fact){ 0 };
    pthread_mutex_unlock(&r->fs_lock);
    if (!have) {
        bk_buf data = BK_BUF_INIT;
        if (bk_file_read(real, max, &data) < 0) {
            f.err = errno ? errno : EIO;
        } else {
            f.media = bk_resolve_sniff_image((const unsigned char *)data.ptr, data.len);
            f.size = data.len;
        }
        bk_buf_release(&data);
        pthread_mutex_lock(&r->fs_lock);
        fs_keep(r, &r->fs_files, real, &f);
        pthread_mutex_unlock(&r->fs_lock);
        free(f.real);
    }
    f.real = NULL;
    return f;
}

static char *locate_image(res *r, const bk_post *p, const char *src, const char **why)
{
    bk_book *book = r->book;
    size_t qlen = strcspn(src, "?#");
    char *path = uri_unescape(src, qlen);
    char *found = NULL;
    *why = "no such file in the site";
    /* "/x" is site-absolute, never a file-system path: it is looked up in
     * SITE like everything else. */
    const char *tries[4] = { NULL, NULL, NULL, NULL };
    char *joined[4] = { NULL, NULL, NULL, NULL };
    if (path[0] != '/')
        joined[0] = join_rel(p->path, path);
    joined[1] = join_rel("", path);
    if (book->kind == BK_SITE_HUGO) {
        char *sp = g_strconcat("static/", path[0] == '/' ? path + 1 : path, NULL);
        joined[2] = join_rel("", sp);
        g_free(sp);
    }
    for (int i = 0; i < 3; i++)
        tries[i] = joined[i];
    bool escaped = false;
    for (int i = 0; i < 3 && !found; i++) {
        if (!tries[i]) {
            escaped = escaped || (i == 0 && path[0] != '/');
            continue;
        }
        char *real = site_realpath(r, tries[i]);
        if (!real)
            continue;
        if (!inside_site(book, real)) {
            *why = "the file is outside the site (a link leads out of it)";
            escaped = true;
            free(real);
            continue;
        }
        found = real;
    }
    if (!found && escaped && strcmp(*why, "no such file in the site") == 0)
        *why = "the path leads outside the site";
    for (int i = 0; i < 4; i++)
        free(joined[i]);
    free(path);
    return found;
}

static void resolve_image(res *r, size_t pi, post_res *pr, xmlNodePtr img)
{
    bk_book *book = r->book;
    bk_post *p = book->posts[pi];
    char *src = bk_dom_attr(img, "src");
    if (!src) {
        xmlUnlinkNode(img);
        xmlFreeNode(img);
        return;
    }
    if (strncmp(src, "data:", 5) == 0) {
        xmlFree(src);
        return; /* data:image/... (the sanitiser let only those through) */
    }
    bool remote = strncmp(src, "http://", 7) == 0 || strncmp(src, "https://", 8) == 0 ||
                  strncmp(src, "//", 2) == 0;
    if (remote) {
        bk_warn(&pr->diags, loc_of(p, img),
                "remote image '%s' is not fetched (bookify never uses the network); it becomes "
                "a link",
                src);
        if (bk_dom_inside(img, "a")) {
            /* Already inside a link: a link in a link is not allowed, so
             * the description stands in for the picture. */
            image_to_text(img);
            xmlFree(src);
            return;
        }
        char *alt = bk_dom_attr(img, "alt");
        xmlNodePtr a = xmlNewDocNode(img->doc, img->ns, BAD_CAST "a", NULL);
        char *url = g_strconcat(strncmp(src, "//", 2) == 0 ? "https:" : "", src, NULL);
        xmlSetProp(a, BAD_CAST "href", BAD_CAST url);
        g_free(url);
        xmlNodeAddContent(a, BAD_CAST(alt && *alt ? alt : src));
        xmlReplaceNode(img, a);
        xmlFreeNode(img);
        xmlFree(alt);
        xmlFree(src);
        return;
    }
    const char *why = "not found";
    char too_big[96];
    char *real = has_scheme(src) ? NULL : locate_image(r, p, src, &why);
    if (has_scheme(src))
        why = "not a file of the site";
    const char *media = NULL;
    size_t size = 0;
    if (real) {
        size_t max = r->book->meta.max_image_size ? r->book->meta.max_image_size : BK_IMAGE_MAX;
        fs_fact f = image_facts(r, real, max);
        if (f.err) {
            if (f.err == EFBIG) {
                char lim[32];
                snprintf(too_big, sizeof too_big,
                         "larger than the %s limit for an image (--max-image-size)",
                         bk_format_size(max, lim));
                why = too_big;
            } else {
                why = strerror(f.err);
            }
        } else {
            media = f.media;
            size = f.size;
            if (!media)
                why = "not a PNG, JPEG, GIF, WebP or SVG image";
        }
    }
    if (real && media) {
        /* made an asset of the book in the book's order (place_images) */
        BK_GROW(pr->imgs, pr->capimgs, pr->nimgs + 1);
        pr->imgs[pr->nimgs++] = (img_use){ img, real, media, size };
        real = NULL;
    } else {
        bk_warn(&pr->diags, loc_of(p, img),
                "image '%s' left out: %s; its description is shown instead", src, why);
        image_to_text(img);
    }
    free(real);
    xmlFree(src);
}

/* ==================== the stage ==================== */

/* The second walk: the links and images the first found, in document
 * order (none of them is freed in between, nor made anew). */
static void resolve_refs(res *r, size_t pi, post_res *pr)
{
    for (size_t k = 0; k < pr->found.nrefs; k++) {
        xmlNodePtr x = pr->found.refs[k];
        if (bk_dom_is(x, "a")) {
            char *href = bk_dom_attr(x, "href");
            if (href)
                resolve_link(r, pi, pr, x, href);
            xmlFree(href);
        } else if (bk_dom_is(x, "img")) {
            resolve_image(r, pi, pr, x);
        }
    }
    found_release(&pr->found);
}

/* After the second walk, in the book's order: the images found become
 * the book's assets, named in the order they are first used. */
static void place_images(res *r, post_res *pr)
{
    for (size_t k = 0; k < pr->nimgs; k++) {
        img_use *u = &pr->imgs[k];
        const char *href = add_asset(r, u->real, u->media, u->size);
        xmlSetProp(u->node, BAD_CAST "src", BAD_CAST href);
        if (!xmlHasProp(u->node, BAD_CAST "alt"))
            xmlSetProp(u->node, BAD_CAST "alt", BAD_CAST "");
        free(u->real);
    }
    free(pr->imgs);
    pr->imgs = NULL;
    pr->nimgs = pr->capimgs = 0;
}

typedef struct walk {
    res *r;
    post_res *prs;
} walk;

static void ids_job(void *ctx, size_t i, int worker)
{
    walk *w = ctx;
    (void)worker;
    bk_post *p = w->r->book->posts[i];
    if (p->found_ids) { /* collected as the tree was made (bk_resolve_collect) */
        w->prs[i].found = *p->found_ids;
        free(p->found_ids);
        p->found_ids = NULL;
    } else {
        collect(p, &w->prs[i].found);
    }
}

static void refs_job(void *ctx, size_t i, int worker)
{
    walk *w = ctx;
    (void)worker;
    resolve_refs(w->r, i, &w->prs[i]);
}

int bk_resolve(bk_book *book, bk_diags *d)
{
    size_t errors = d->nerrors;
    book->nassets = 0; /* resolving again starts afresh */
    res r = { 0 };
    r.book = book;
    pthread_mutex_init(&r.fs_lock, NULL);
    size_t n = book->nposts;
    r.maps = bk_xcalloc(n ? n : 1, sizeof(*r.maps));
    post_res *prs = bk_xcalloc(n ? n : 1, sizeof(*prs));
    for (size_t i = 0; i < n; i++)
        prs[i].diags.strict = d->strict;
    walk w = { &r, prs };
    build_tables(&r);
    bk_par_for(n, ids_job, &w);
    unique_ids(&r, prs);
    bk_par_for(n, refs_job, &w);
    for (size_t i = 0; i < n; i++) {
        place_images(&r, &prs[i]);
        bk_diags_merge(d, &prs[i].diags);
    }
    free(prs);
    for (size_t i = 0; i < n; i++)
        bk_strmap_release(&r.maps[i].ids);
    free(r.maps);
    bk_strmap_release(&r.all_ids);
    bk_strmap_release(&r.by_path);
    bk_strmap_release(&r.by_stem);
    bk_strmap_release(&r.by_permalink);
    bk_strmap_release(&r.by_slug);
    bk_strmap_release(&r.assets);
    bk_strmap_release(&r.asset_names);
    for (size_t i = 0; i < r.nfacts; i++)
        free(r.facts[i].real);
    free(r.facts);
    bk_strmap_release(&r.fs_paths);
    bk_strmap_release(&r.fs_files);
    pthread_mutex_destroy(&r.fs_lock);
    bk_arena_release(&r.tmp);
    return d->nerrors > errors ? -1 : 0;
}
