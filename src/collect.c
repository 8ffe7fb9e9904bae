/* collect.c -- from a site folder to the book's posts (see collect.h). */
#include "bookify/collect.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <glib.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "bookify/config.h"
#include "bookify/convert.h"
#include "bookify/fileio.h"
#include "bookify/frontmatter.h"
#include "bookify/par.h"

#include "bookify/banned.h"

#define MAX_DEPTH 48

/* ==================== opening the site ==================== */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *site_path(bk_book *book, const char *rel)
{
    return bk_arena_printf(&book->arena, "%s/%s", book->site_real, rel);
}

int bk_site_open(bk_book *book, bk_diags *d)
{
    char *real = realpath(book->site, NULL);
    if (!real)
        return bk_error(d, (bk_loc){ book->site, 0, 0 }, "cannot open site folder: %s",
                        strerror(errno));
    book->site_real = bk_arena_strdup(&book->arena, real);
    free(real);
    if (!is_dir(book->site_real))
        return bk_error(d, (bk_loc){ book->site, 0, 0 },
                        "not a folder: give the folder that holds the posts");
    const char *slash = strrchr(book->site_real, '/');
    book->site_name = slash && slash[1] ? slash + 1 : book->site_real;

    static const char *const hugo_configs[] = { "hugo.yaml", "hugo.yml", "config.yaml",
                                                "config.yml", "hugo.toml", "config.toml",
                                                "hugo.json", "config.json" };
    int rc = 0;
    if (is_dir(site_path(book, "_posts")) || is_file(site_path(book, "_config.yml"))) {
        book->kind = BK_SITE_JEKYLL;
        rc |= bk_config_load(book, site_path(book, "_config.yml"),
                             bk_book_display_path(book, "_config.yml"), BK_CONFIG_JEKYLL, false, d);
    } else if (is_dir(site_path(book, "content"))) {
        const char *cfg = NULL;
        for (size_t i = 0; i < BK_ARRAY_LEN(hugo_configs) && !cfg; i++)
            if (is_file(site_path(book, hugo_configs[i])))
                cfg = hugo_configs[i];
        if (cfg || is_dir(site_path(book, "content/posts")) ||
            is_dir(site_path(book, "content/post")) || is_dir(site_path(book, "archetypes"))) {
            book->kind = BK_SITE_HUGO;
            size_t n = strlen(cfg ? cfg : "");
            if (cfg && n > 5 && (strcmp(cfg + n - 5, ".yaml") == 0 || strcmp(cfg + n - 4, ".yml") == 0))
                rc |= bk_config_load(book, site_path(book, cfg), bk_book_display_path(book, cfg),
                                     BK_CONFIG_HUGO, false, d);
            else if (cfg)
                bk_note(d, (bk_loc){ bk_book_display_path(book, cfg), 0, 0 },
                        "only YAML site configuration is read; put title, author and language "
                        "in bookify.yml");
        }
    }
    rc |= bk_config_load(book, site_path(book, "bookify.yml"),
                         bk_book_display_path(book, "bookify.yml"), BK_CONFIG_BOOKIFY, false, d);
    (void)rc; /* recorded; the posts are still read so one run reports all */
    return 0;
}

/* ==================== walking the folders ==================== */

typedef struct walker {
    bk_book *book;
    bk_diags *diags;
    const bk_collect_opts *opts;
    bk_strv files;          /* candidate posts, relative paths */
    bk_strmap walked;       /* every folder read ("dev:ino"): each is read once, */
    bk_arena keys;          /* whatever links lead to it twice or in a loop */
} walker;

/* Marks a folder as read; false when it was already. */
static bool first_visit(walker *w, const struct stat *st)
{
    char key[64];
    snprintf(key, sizeof key, "%ju:%ju", (uintmax_t)st->st_dev, (uintmax_t)st->st_ino);
    if (bk_strmap_lookup(&w->walked, key))
        return false;
    bk_strmap_put(&w->walked, bk_arena_strdup(&w->keys, key), 1);
    return true;
}

static bool has_md_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name)
        return false;
    return bk_ascii_casecmp(dot, ".md") == 0 || bk_ascii_casecmp(dot, ".markdown") == 0 ||
           bk_ascii_casecmp(dot, ".mdx") == 0;
}

/* README, licence and other repository files are never chapters. */
static bool is_repo_file(const char *name)
{
    static const char *const stems[] = { "readme", "license", "licence", "copying",
                                         "changelog", "contributing", "code_of_conduct",
                                         "security" };
    const char *dot = strrchr(name, '.');
    size_t n = dot ? (size_t)(dot - name) : strlen(name);
    for (size_t i = 0; i < BK_ARRAY_LEN(stems); i++)
        if (strlen(stems[i]) == n && bk_str_caseeq((bk_str){ name, n }, stems[i]))
            return true;
    return false;
}

static bool excluded(walker *w, const char *rel)
{
    const bk_strv *ex = &w->book->meta.exclude;
    for (size_t i = 0; i < ex->len; i++) {
        const char *pat = ex->v[i];
        size_t plen = strlen(pat);
        while (plen && pat[plen - 1] == '/')
            plen--;
        char *p = bk_xstrndup(pat[0] == '/' ? pat + 1 : pat, pat[0] == '/' ? plen - 1 : plen);
        bool hit = fnmatch(p, rel, 0) == 0;
        /* A pattern naming a folder excludes everything under it. */
        for (const char *s = strchr(rel, '/'); !hit && s; s = strchr(s + 1, '/')) {
            char *prefix = bk_xstrndup(rel, (size_t)(s - rel));
            hit = fnmatch(p, prefix, 0) == 0;
            free(prefix);
        }
        free(p);
        if (hit)
            return true;
    }
    return false;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

enum walk_flags {
    IN_POSTS = 1 << 0,  /* below a Jekyll _posts folder */
    IN_DRAFTS = 1 << 1, /* below a Jekyll _drafts folder */
    ALL_FILES = 1 << 2, /* every Markdown file is a candidate */
};

static void walk(walker *w, const char *rel, unsigned flags, int depth);

static void visit(walker *w, const char *rel, const char *name, unsigned char type, unsigned flags,
                  int depth)
{
    bk_book *book = w->book;
    const char *abs = site_path(book, rel);
    bk_loc loc = { bk_book_display_path(book, rel), 0, 0 };
    struct stat st;
    if (type == DT_REG) {
        /* the folder's entry says so: no lstat for each of 1,000 posts */
        st.st_mode = S_IFREG;
    } else if (lstat(abs, &st) < 0) {
        bk_warn(w->diags, loc, "cannot read: %s; skipped", strerror(errno));
        return;
    }
    if (S_ISLNK(st.st_mode)) {
        /* Follow a link only when it stays inside the site. */
        char *target = realpath(abs, NULL);
        if (!target) {
            if (has_md_ext(name))
                bk_warn(w->diags, loc, "broken symbolic link; skipped");
            return;
        }
        size_t n = strlen(book->site_real);
        bool inside = strncmp(target, book->site_real, n) == 0 &&
                      (target[n] == '/' || target[n] == '\0');
        free(target);
        if (!inside) {
            bk_warn(w->diags, loc, "symbolic link to a place outside the site; skipped");
            return;
        }
        if (stat(abs, &st) < 0)
            return;
    }
    if (S_ISDIR(st.st_mode)) {
        if (!first_visit(w, &st)) {
            bk_note(w->diags, loc, "folder already read by another path (a symbolic link); skipped");
            return;
        }
        unsigned sub = flags;
        if (book->kind == BK_SITE_JEKYLL) {
            if (strcmp(name, "_posts") == 0)
                sub |= IN_POSTS;
            else if (strcmp(name, "_drafts") == 0)
                sub |= IN_DRAFTS;
            else if (name[0] == '_' || strcmp(name, "vendor") == 0)
                return; /* _layouts, _includes, _data, bundled gems ... */
        } else if (strcmp(name, "_drafts") == 0 && !w->opts->drafts) {
            return;
        }
        if ((sub & IN_DRAFTS) && !w->opts->drafts)
            return;
        walk(w, rel, sub, depth + 1);
        return;
    }
    if (!S_ISREG(st.st_mode) || !has_md_ext(name))
        return;
    if (!(flags & (IN_POSTS | IN_DRAFTS | ALL_FILES)))
        return;
    if (is_repo_file(name)) {
        bk_note(w->diags, loc, "not a post (a repository file); skipped");
        return;
    }
    bk_strv_push(&book->arena, &w->files, bk_arena_strdup(&book->arena, rel));
}

static void walk(walker *w, const char *rel, unsigned flags, int depth)
{
    bk_book *book = w->book;
    const char *abs = *rel ? site_path(book, rel) : book->site_real;
    if (depth > MAX_DEPTH) {
        bk_warn(w->diags, (bk_loc){ bk_book_display_path(book, rel), 0, 0 },
                "folders nested deeper than %d levels; not read", MAX_DEPTH);
        return;
    }
    struct dirent **ents = NULL;
    int n = scandir(abs, &ents, NULL, cmp_names);
    if (n < 0) {
        /* posts may be in it: the book would be missing them */
        bk_error(w->diags, (bk_loc){ *rel ? bk_book_display_path(book, rel) : book->site, 0, 0 },
                 "cannot read folder: %s", strerror(errno));
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        /* Hidden files and folders, build output and dependencies are never
         * content. */
        if (name[0] != '.' && strcmp(name, "_site") != 0 && strcmp(name, "node_modules") != 0) {
            const char *child = *rel ? bk_arena_printf(&book->arena, "%s/%s", rel, name)
                                     : bk_arena_strdup(&book->arena, name);
            if (!excluded(w, child))
                visit(w, child, name, ents[i]->d_type, flags, depth);
        }
        free(ents[i]);
    }
    free(ents);
}

/* ==================== reading one post ==================== */

/* Raw bytes to clean text: no BOM, LF line ends, valid UTF-8. */
static char *clean_text(bk_book *book, const char *display, const char *raw, size_t len,
                        size_t *out_len, bk_diags *d)
{
    if (len >= 3 && memcmp(raw, "\xEF\xBB\xBF", 3) == 0) {
        raw += 3;
        len -= 3;
    }
    const char *nul = memchr(raw, '\0', len);
    if (nul) {
        int line = 1;
        for (const char *p = raw; p < nul; p++)
            line += *p == '\n';
        bk_error(d, (bk_loc){ display, line, 0 },
                 "not a text file: it contains a NUL byte (a binary file named like a post?)");
        return NULL;
    }
    /* Most posts are clean already: copied once, not byte by byte. */
    if (!memchr(raw, '\r', len) && g_utf8_validate_len(raw, len, NULL)) {
        *out_len = len;
        return bk_arena_strndup(&book->arena, raw, len);
    }
    bk_buf b = BK_BUF_INIT;
    bk_buf_grow(&b, len);
    int line = 1, col = 1, bad_line = 0, bad_col = 0;
    size_t nbad = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)raw[i];
        if (c == '\r') {
            bk_buf_addc(&b, '\n');
            i += (i + 1 < len && raw[i + 1] == '\n') ? 2 : 1;
            line++;
            col = 1;
            continue;
        }
        if (c < 0x80) {
            /* a run of ASCII, newlines included, copied whole */
            size_t j = i;
            for (; j < len && (unsigned char)raw[j] < 0x80 && raw[j] != '\r'; j++) {
                if (raw[j] == '\n') {
                    line++;
                    col = 1;
                } else
                    col++;
            }
            bk_buf_add(&b, raw + i, j - i);
            i = j;
            continue;
        }
        size_t n = bk_utf8_valid_len((const unsigned char *)raw + i, len - i);
        if (n) {
            bk_buf_add(&b, raw + i, n);
            i += n;
        } else {
            if (!nbad++) {
                bad_line = line;
                bad_col = col;
            }
            bk_buf_adds(&b, "\xEF\xBF\xBD");
            i++;
        }
        col++;
    }
    if (nbad)
        bk_warn(d, (bk_loc){ display, bad_line, bad_col },
                "invalid UTF-8 (%zu byte%s replaced by U+FFFD); save the file as UTF-8", nbad,
                nbad == 1 ? "" : "s");
    char *text = bk_arena_strndup(&book->arena, b.ptr, b.len);
    *out_len = b.len;
    bk_buf_release(&b);
    return text;
}

static const char *base_name(const char *rel)
{
    const char *s = strrchr(rel, '/');
    return s ? s + 1 : rel;
}

/* The file's own name without extension; for a bundle's index.md, the
 * folder's name. Arena string. */
static const char *file_stem(bk_book *book, const char *rel)
{
    const char *base = base_name(rel);
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if ((n == 5 && strncmp(base, "index", 5) == 0) && base != rel) {
        const char *end = base - 1, *start = end;
        while (start > rel && start[-1] != '/')
            start--;
        return bk_arena_strndup(&book->arena, start, (size_t)(end - start));
    }
    return bk_arena_strndup(&book->arena, base, n);
}

/* Does the body hold nothing a reader would see (blanks, Liquid tags,
 * HTML comments)? Such an index page only lists posts. */
static bool body_is_empty(const char *p, size_t len)
{
    const char *end = p + len;
    while (p < end) {
        if (*p == ' ' || *p == '\t' || *p == '\n') {
            p++;
        } else if (end - p >= 2 && p[0] == '{' && (p[1] == '%' || p[1] == '{')) {
            const char *close = p[1] == '%' ? "%}" : "}}";
            const char *q = p + 2;
            while (q + 1 < end && !(q[0] == close[0] && q[1] == close[1]))
                q++;
            if (q + 1 >= end)
                return false;
            p = q + 2;
        } else if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
            const char *q = p + 4;
            while (q + 2 < end && memcmp(q, "-->", 3) != 0)
                q++;
            if (q + 2 >= end)
                return false;
            p = q + 3;
        } else {
            return false;
        }
    }
    return true;
}

static bool is_listing_layout(const char *layout)
{
    static const char *const lists[] = { "home", "archive", "archives", "list", "categories",
                                         "category", "tags", "tag", "search", "blog", "posts",
                                         "collection", "paginate" };
    if (!layout)
        return false;
    for (size_t i = 0; i < BK_ARRAY_LEN(lists); i++)
        if (bk_ascii_casecmp(layout, lists[i]) == 0)
            return true;
    return false;
}

static const char *slug_of(bk_book *book, const char *s)
{
    bk_buf b = BK_BUF_INIT;
    bk_slugify(&b, s, strlen(s));
    const char *r = b.len ? bk_arena_strndup(&book->arena, b.ptr, b.len) : NULL;
    bk_buf_release(&b);
    return r;
}

/* Last meaningful segment of a permalink ("/2019/my-post/" -> "my-post"),
 * or NULL when it is a Jekyll pattern such as "/:categories/:title/". */
static const char *permalink_slug(bk_book *book, const char *permalink)
{
    if (strchr(permalink, ':'))
        return NULL;
    size_t n = strlen(permalink);
    while (n && permalink[n - 1] == '/')
        n--;
    size_t start = n;
    while (start && permalink[start - 1] != '/')
        start--;
    size_t end = n;
    for (size_t i = start; i < n; i++)
        if (permalink[i] == '.')
            end = i;
    if (end <= start)
        return NULL;
    char *seg = bk_xstrndup(permalink + start, end - start);
    const char *r = slug_of(book, seg);
    free(seg);
    return r;
}

/* MDX: blank out top-level `import`/`export` statements (they are code for
 * the site's build, not text), keeping line numbers. A statement runs over
 * several lines while its brackets are open. Lines inside code fences are
 * left alone. */
static void strip_mdx_statements(char *body, size_t len)
{
    char *p = body, *end = body + len;
    bool in_fence = false;
    int depth = 0;
    bool in_stmt = false;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end;
        size_t n = (size_t)(eol - p);
        const char *q = p;
        while (q < eol && *q == ' ')
            q++;
        if (!in_stmt && (size_t)(eol - q) >= 3 && (memcmp(q, "```", 3) == 0 || memcmp(q, "~~~", 3) == 0))
            in_fence = !in_fence;
        if (!in_fence && !in_stmt &&
            ((n > 7 && memcmp(p, "import ", 7) == 0) || (n > 7 && memcmp(p, "export ", 7) == 0))) {
            in_stmt = true;
            depth = 0;
        }
        if (in_stmt) {
            for (char *c = p; c < eol; c++) {
                if (*c == '{' || *c == '(' || *c == '[')
                    depth++;
                else if ((*c == '}' || *c == ')' || *c == ']') && depth > 0)
                    depth--;
                *c = ' ';
            }
            if (depth == 0)
                in_stmt = false;
        }
        p = nl ? nl + 1 : end;
    }
}

bk_post *bk_collect_post(bk_book *book, const char *rel, const char *raw, size_t len,
                         const bk_collect_opts *opts, bk_diags *d, const char **skip_reason)
{
    *skip_reason = NULL;
    const char *display = bk_book_display_path(book, rel);
    size_t text_len;
    const char *text = clean_text(book, display, raw, len, &text_len, d);
    if (!text)
        return NULL;
    bk_post *post = bk_book_add_post(book);
    post->path = bk_arena_strdup(&book->arena, rel);
    post->display = display;
    post->text = text;
    post->text_len = text_len;
    if (bk_frontmatter_parse(post, &book->arena, d) < 0) {
        book->nposts--;
        return NULL;
    }
    const char *ext = strrchr(rel, '.');
    if (ext && bk_ascii_casecmp(ext, ".mdx") == 0)
        strip_mdx_statements((char *)post->body, post->body_len); /* our arena copy */

    const char *base = base_name(rel);
    bool index_page = strncmp(base, "index.", 6) == 0 || strncmp(base, "_index.", 7) == 0;
    if (book->kind == BK_SITE_HUGO && strncmp(base, "_index.", 7) == 0)
        *skip_reason = "a Hugo section page, not a post";
    else if (index_page && body_is_empty(post->body, post->body_len))
        *skip_reason = "an index page with no text of its own";
    else if (book->kind != BK_SITE_JEKYLL && is_listing_layout(post->layout))
        *skip_reason = "a page that lists posts";
    if (*skip_reason) {
        book->nposts--;
        return NULL;
    }

    /* Jekyll puts the folders above _posts/ in front of the categories. */
    if (book->kind == BK_SITE_JEKYLL) {
        const char *posts = strstr(rel, "_posts/");
        if (posts && posts > rel) {
            bk_strv cats = { 0 };
            for (const char *s = rel; s < posts;) {
                const char *slash = strchr(s, '/');
                bk_strv_push(&book->arena, &cats, bk_arena_strndup(&book->arena, s, (size_t)(slash - s)));
                s = slash + 1;
            }
            for (size_t i = 0; i < post->categories.len; i++)
                if (bk_strv_find(&cats, post->categories.v[i], true) < 0)
                    bk_strv_push(&book->arena, &cats, post->categories.v[i]);
            post->categories = cats;
        }
        if (strncmp(rel, "_drafts/", 8) == 0 || strstr(rel, "/_drafts/"))
            post->draft = true;
    }

    const char *stem = file_stem(book, rel);
    while (*stem == ' ')
        stem++; /* " 2020-01-01-x.md": a leading space is a typo, not a name */
    bk_date name_date;
    size_t prefix = bk_date_parse_prefix(stem, &name_date);
    const char *name_rest = stem + prefix;
    while (*name_rest == ' ' || *name_rest == '-' || *name_rest == '_')
        name_rest++;
    if (!post->date.valid && prefix) {
        post->date = name_date;
        post->date_from_name = true;
    }
    if (!post->date.valid && !post->draft && opts)
        bk_warn(d, (bk_loc){ display, 0, 0 },
                "no date: add 'date: YYYY-MM-DD' to the front matter or start the file name "
                "with YYYY-MM-DD-; placed after the dated posts, in file-name order");

    if (!post->title) {
        int line;
        post->title = bk_frontmatter_body_title(post->body, post->body_len, &book->arena, &line);
        post->title_from_body = post->title != NULL;
    }
    if (!post->title)
        post->title = bk_frontmatter_title_from_slug(*name_rest ? name_rest : stem, &book->arena);
    if (!*post->title)
        post->title = bk_arena_strdup(&book->arena, base);

    if (post->slug)
        post->slug = slug_of(book, post->slug);
    if (!post->slug && post->permalink)
        post->slug = permalink_slug(book, post->permalink);
    if (!post->slug)
        post->slug = slug_of(book, *name_rest ? name_rest : stem);
    if (!post->slug)
        post->slug = "post";
    return post;
}

/* ==================== filters ==================== */

static bool any_match(const bk_strv *have, const char **want, size_t nwant)
{
    for (size_t i = 0; i < nwant; i++)
        if (bk_strv_find(have, want[i], true) >= 0)
            return true;
    return false;
}

static int cmp_ymd(const bk_date *a, const bk_date *b)
{
    if (a->year != b->year)
        return a->year < b->year ? -1 : 1;
    if (a->month != b->month)
        return a->month < b->month ? -1 : 1;
    return a->day < b->day ? -1 : a->day > b->day;
}

/* Why post is left out of the book, or NULL to keep it. */
static const char *left_out(const bk_post *post, const bk_collect_opts *o, bk_arena *a)
{
    if (!post->published)
        return "'published: false'";
    if (post->draft && !o->drafts)
        return "a draft (use --drafts to include drafts)";
    if (post->date.valid && !o->future && bk_date_epoch(&post->date) > o->now) {
        char ymd[11];
        bk_date_format_ymd(&post->date, ymd);
        return bk_arena_printf(a, "dated %s, in the future (use --future to include it)", ymd);
    }
    if (o->ncategories && !any_match(&post->categories, o->categories, o->ncategories))
        return "not in the categories asked for";
    if (o->ntags && !any_match(&post->tags, o->tags, o->ntags))
        return "not tagged with the tags asked for";
    if ((o->since.valid || o->until.valid) && !post->date.valid)
        return "undated, and --since/--until asked for dates";
    if (o->since.valid && cmp_ymd(&post->date, &o->since) < 0)
        return "dated before --since";
    if (o->until.valid && cmp_ymd(&post->date, &o->until) > 0)
        return "dated after --until";
    return NULL;
}

/* ==================== the collector ==================== */

/* One file's outcome, found on a worker (bk_collect). */
typedef struct collect_file {
    bk_post *post;   /* in its worker's arena; NULL when it is not a post */
    const char *why; /* left out, and why */
    bk_diags diags;
} collect_file;

typedef struct collect_run {
    bk_book *book;
    const bk_collect_opts *opts;
    const bk_strv *files;
    size_t max;
    bk_book *locals; /* one per worker */
    collect_file *out;
    atomic_bool code_seen; /* opts->code_seen called */
} collect_run;

static void read_post(collect_run *r, bk_book *book, collect_file *f, const char *rel);

static void collect_job(void *ctx, size_t i, int worker)
{
    collect_run *r = ctx;
    bk_book *book = &r->locals[worker];
    collect_file *f = &r->out[i];
    const char *rel = r->files->v[i];
    bool core = r->opts->core_take && r->opts->core_take();
    read_post(r, book, f, rel);
    if (core)
        r->opts->core_give(true);
}

static void collect_done(void *ctx, int worker)
{
    collect_run *r = ctx;
    (void)worker;
    if (r->opts->core_done)
        r->opts->core_done();
}

static void read_post(collect_run *r, bk_book *book, collect_file *f, const char *rel)
{
    bk_diags *d = &f->diags;
    const char *display = bk_book_display_path(book, rel);
    bk_buf raw = BK_BUF_INIT;
    if (bk_file_read(site_path(book, rel), r->max, &raw) < 0) {
        if (errno == EFBIG) {
            char lim[32];
            bk_error(d, (bk_loc){ display, 0, 0 },
                     "larger than the %s limit for a post (raise it with --max-post-size or "
                     "bookify.yml's max-post-size)",
                     bk_format_size(r->max, lim));
        }
        else
            bk_error(d, (bk_loc){ display, 0, 0 }, "cannot read: %s", strerror(errno));
        bk_buf_release(&raw);
        return;
    }
    if (r->opts->code_seen && !atomic_load_explicit(&r->code_seen, memory_order_relaxed) &&
        bk_convert_may_have_code(raw.ptr, raw.len) && !atomic_exchange(&r->code_seen, true))
        r->opts->code_seen();
    const char *skip;
    bk_post *post = bk_collect_post(book, rel, raw.ptr, raw.len, r->opts, d, &skip);
    bk_buf_release(&raw);
    if (skip) {
        bk_note(d, (bk_loc){ display, 0, 0 }, "not a chapter: %s", skip);
        return;
    }
    if (!post)
        return;
    f->post = post;
    f->why = left_out(post, r->opts, &book->arena);
    if (f->why)
        bk_note(d, (bk_loc){ display, 0, 0 }, "left out: %s", f->why);
}

int bk_collect(bk_book *book, const bk_collect_opts *opts, bk_diags *d)
{
    walker w = { book, d, opts, { 0 }, BK_STRMAP_INIT, BK_ARENA_INIT };
    size_t errors_before = d->nerrors;
    struct stat st;
    if (stat(book->site_real, &st) == 0) {
        /* The root counts as read: a link back to it is a loop. */
        first_visit(&w, &st);
    }
    const char *root = "";
    unsigned flags = ALL_FILES;
    if (book->kind == BK_SITE_JEKYLL) {
        flags = 0;
    } else if (book->kind == BK_SITE_HUGO) {
        static const char *const roots[] = { "content/posts", "content/post", "content/blog" };
        bool any = false;
        for (size_t i = 0; i < BK_ARRAY_LEN(roots); i++) {
            struct stat rst;
            if (is_dir(site_path(book, roots[i])) && stat(site_path(book, roots[i]), &rst) == 0) {
                if (first_visit(&w, &rst)) /* content/post may be a link to content/posts */
                    walk(&w, roots[i], flags, 1);
                any = true;
            }
        }
        root = any ? NULL : "content";
    }
    if (root)
        walk(&w, root, flags, 0);
    bk_strmap_release(&w.walked);
    bk_arena_release(&w.keys);

    /* Each file is read and its front matter parsed on the worker threads
     * (a tenth of a 10,000-post EPUB's time, one thread's work before), each
     * worker into a book of its own that shares the site's settings but
     * has its own arena and post list; the posts join the book in the
     * walk's order, with their messages, and the arenas after. */
    size_t nfiles = w.files.len;
    int jobs = bk_par_jobs();
    collect_run r = { book, opts, &w.files,
                      opts->max_post_size ? opts->max_post_size : BK_COLLECT_MAX_POST_DEFAULT,
                      bk_xcalloc((size_t)jobs, sizeof(bk_book)),
                      bk_xcalloc(nfiles ? nfiles : 1, sizeof(collect_file)), false };
    for (int k = 0; k < jobs; k++) {
        r.locals[k] = *book;
        r.locals[k].arena = (bk_arena)BK_ARENA_INIT;
        r.locals[k].posts = NULL;
        r.locals[k].nposts = r.locals[k].cap = 0;
    }
    for (size_t i = 0; i < nfiles; i++)
        r.out[i].diags.strict = d->strict;
    bk_par_for_done(nfiles, collect_job, collect_done, &r);
    size_t nfound = 0, nleft_out = 0;
    for (size_t i = 0; i < nfiles; i++) {
        collect_file *f = &r.out[i];
        bk_diags_merge(d, &f->diags);
        if (!f->post)
            continue;
        nfound++;
        if (f->why && (opts->ncategories || opts->ntags || opts->since.valid || opts->until.valid))
            book->filtered = true;
        if (f->why) {
            nleft_out++;
            continue;
        }
        BK_GROW(book->posts, book->cap, book->nposts + 1);
        book->posts[book->nposts++] = f->post;
    }
    for (int k = 0; k < jobs; k++) {
        bk_arena_adopt(&book->arena, &r.locals[k].arena);
        free(r.locals[k].posts);
    }
    free(r.locals);
    free(r.out);

    if (d->nerrors > errors_before)
        return -1;
    if (nfound == 0) {
        const char *where = book->kind == BK_SITE_JEKYLL ? " (looked in _posts/)"
                            : book->kind == BK_SITE_HUGO ? " (looked in content/)"
                                                         : "";
        return bk_error(d, (bk_loc){ book->site, 0, 0 },
                        "no posts found: no .md, .markdown or .mdx file%s", where);
    }
    if (book->nposts == 0)
        return bk_error(d, (bk_loc){ book->site, 0, 0 },
                        "no posts left: all %zu were left out (unpublished, drafts, future or "
                        "filtered; -v says why)",
                        nleft_out);
    return 0;
}
