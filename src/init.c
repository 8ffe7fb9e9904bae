/* init.c -- `bookify init SITE` (see init.h). */
#include "bookify/init.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bookify/outfile.h"

#include "bookify/banned.h"

/* A YAML double-quoted scalar. */
static void yaml_quoted(bk_buf *b, const char *s)
{
    bk_buf_addc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            bk_buf_addf(b, "\\%c", *p);
        else if (*p < 0x20)
            bk_buf_addf(b, "\\x%02x", *p);
        else
            bk_buf_addc(b, (char)*p);
    }
    bk_buf_addc(b, '"');
}

/* The value most posts give (their author, their language), or NULL. */
static const char *most_common(const bk_book *book, size_t field_offset)
{
    bk_strmap counts = BK_STRMAP_INIT;
    const char *best = NULL;
    long best_n = 0;
    for (size_t i = 0; i < book->nposts; i++) {
        const char *v = *(const char *const *)((const char *)book->posts[i] + field_offset);
        if (!v || !*v)
            continue;
        long k = bk_strmap_incr(&counts, v);
        if (k > best_n) {
            best_n = k;
            best = v;
        }
    }
    bk_strmap_release(&counts);
    return best;
}

/* A cover image where sites usually keep one, relative to SITE. */
static const char *find_cover(const bk_book *book)
{
    static const char *const dirs[] = { "", "assets/", "assets/img/", "assets/images/", "images/",
                                        "img/", "static/", "static/images/", "content/" };
    static const char *const names[] = { "cover.jpg", "cover.jpeg", "cover.png", "cover.webp",
                                         "cover.svg", "book-cover.jpg", "book-cover.png" };
    static char found[96];
    for (size_t i = 0; i < BK_ARRAY_LEN(dirs); i++)
        for (size_t k = 0; k < BK_ARRAY_LEN(names); k++) {
            bk_buf p = BK_BUF_INIT;
            bk_buf_addf(&p, "%s/%s%s", book->site_real, dirs[i], names[k]);
            struct stat st;
            bool ok = stat(p.ptr, &st) == 0 && S_ISREG(st.st_mode);
            bk_buf_release(&p);
            if (ok) {
                snprintf(found, sizeof found, "%s%s", dirs[i], names[k]);
                return found;
            }
        }
    return NULL;
}

/* Order by category when nearly every post has one and there are a few. */
static bool suggests_category(const bk_book *book, size_t *ncats)
{
    bk_strmap cats = BK_STRMAP_INIT;
    size_t with = 0;
    for (size_t i = 0; i < book->nposts; i++)
        if (book->posts[i]->categories.len) {
            with++;
            if (!bk_strmap_lookup(&cats, book->posts[i]->categories.v[0]))
                bk_strmap_put(&cats, book->posts[i]->categories.v[0], 1);
        }
    *ncats = cats.len;
    bk_strmap_release(&cats);
    return book->nposts >= 4 && with * 4 >= book->nposts * 3 && *ncats >= 2 && *ncats <= 20;
}

char *bk_init_text(const bk_book *book)
{
    const bk_meta *m = &book->meta;
    bk_buf b = BK_BUF_INIT;
    bk_buf_adds(&b, "# bookify.yml: how `bookify` makes this site's book (docs/bookify-yml.md).\n"
                    "# Written by `bookify init` from what it found here; edit freely.\n"
                    "# Command-line options (--title, --order...) override these.\n\n");
    bk_buf_addf(&b, "# %zu posts found.\n\n", book->nposts);

    bk_buf_adds(&b, m->title ? "# The book's title (from the site's configuration).\ntitle: "
                             : "# The book's title (none in the site's configuration: its folder's "
                               "name).\ntitle: ");
    yaml_quoted(&b, m->title ? m->title : book->site_name);
    bk_buf_adds(&b, "\n");
    if (m->subtitle) {
        bk_buf_adds(&b, "subtitle: ");
        yaml_quoted(&b, m->subtitle);
        bk_buf_adds(&b, "\n");
    } else {
        bk_buf_adds(&b, "# subtitle: \"\"\n");
    }

    const char *author = m->author ? m->author : most_common(book, offsetof(bk_post, author));
    if (author) {
        bk_buf_addf(&b, "\n# The author (%s).\nauthor: ",
                    m->author ? "from the site's configuration" : "the one most posts name");
        yaml_quoted(&b, author);
        bk_buf_adds(&b, "\n");
    } else {
        bk_buf_adds(&b, "\n# The author (none found).\n# author: \"Your Name\"\n");
    }

    const char *lang = m->lang ? m->lang : most_common(book, offsetof(bk_post, lang));
    bk_buf_addf(&b,
                "\n# The language of the text, a BCP 47 tag (en, fr, pt-BR, ja...): hyphenation,\n"
                "# quotation marks, fonts, the reader's voice (%s).\nlang: %s\n",
                m->lang ? "from the site's configuration"
                : lang  ? "the one most posts give"
                        : "none found: English assumed",
                lang ? lang : "en");

    size_t ncats = 0;
    bool by_cat = suggests_category(book, &ncats);
    bk_buf_adds(&b, "\n# Reading order: date (oldest first), date-desc, title, file, or category\n"
                    "# (a part per first category, in date order inside).\n");
    if (m->order_set && m->order != BK_ORDER_LIST)
        bk_buf_addf(&b, "order: %s\n", bk_order_mode_name(m->order));
    else if (by_cat)
        bk_buf_addf(&b, "# Most posts have a category (%zu different ones): one part each.\n"
                        "order: category\n",
                    ncats);
    else
        bk_buf_adds(&b, "order: date\n");

    const char *cover = m->cover ? m->cover : find_cover(book);
    bk_buf_adds(&b, "\n# Cover image, a path inside the site (JPEG, PNG, WebP or SVG).\n");
    if (cover) {
        bk_buf_adds(&b, "cover: ");
        yaml_quoted(&b, cover);
        bk_buf_adds(&b, "\n");
    } else {
        bk_buf_adds(&b, "# (none found; bookify makes a title page either way)\n"
                        "# cover: assets/cover.jpg\n");
    }

    bk_buf_adds(&b, "\n# More, all optional:\n"
                    "# description: \"What the book is about\"\n"
                    "# publisher: \"\"\n"
                    "# rights: \"CC BY 4.0\"\n"
                    "# identifier: \"urn:isbn:...\"   (else one made from the title)\n"
                    "# toc-depth: 2                  (1: posts only; 2 adds their ## headings)\n"
                    "# page-size: A4                 (A5, Letter, 6x9in, 148x210mm...)\n"
                    "# theme: book-theme.yml         (PDF look: docs/theme.md)\n"
                    "# css: [extra.css]              (EPUB style sheets after bookify's own)\n"
                    "# exclude: [notes/, \"*-draft.md\"]\n"
                    "# highlight: false              (leave code plain: no syntax highlighting)\n"
                    "# max-post-size: 64M\n");
    return bk_buf_detach(&b);
}

int bk_init_write(bk_book *book, bk_diags *d)
{
    bk_buf path = BK_BUF_INIT;
    bk_buf_addf(&path, "%s/bookify.yml", book->site_real);
    const char *display = bk_book_display_path(book, "bookify.yml");
    struct stat st;
    int rc;
    if (lstat(path.ptr, &st) == 0) {
        rc = bk_error(d, (bk_loc){ display, 0, 0 },
                      "already exists; bookify init never replaces it (remove it first to start "
                      "over)");
    } else {
        char *text = bk_init_text(book);
        rc = bk_outfile_write_all(path.ptr, text, strlen(text), d);
        free(text);
        if (rc == 0)
            printf("wrote %s\n", display);
    }
    bk_buf_release(&path);
    return rc;
}
