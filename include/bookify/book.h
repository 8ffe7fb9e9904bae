/*
 * book.h -- the book model shared by every stage.
 *
 * One bk_book holds the book's metadata, its posts in reading order and its
 * parts. Every string in the model lives in the book's arena and dies with
 * bk_book_free; never free() a model string, and copy one that must outlive
 * the book. Arrays of pointers (posts, string lists) are owned by the book.
 */
#ifndef BK_BOOK_H
#define BK_BOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bookify/date.h"
#include "bookify/diag.h"
#include "bookify/util.h"

/* A list of arena strings; the array itself is arena memory too. */
typedef struct bk_strv {
    const char **v;
    size_t len, cap;
} bk_strv;

void bk_strv_push(bk_arena *a, bk_strv *sv, const char *s);
/* Index of s in sv (ASCII case-insensitive when nocase), or -1. */
long bk_strv_find(const bk_strv *sv, const char *s, bool nocase);

typedef enum bk_order_mode {
    BK_ORDER_DATE,      /* oldest first (default) */
    BK_ORDER_DATE_DESC, /* newest first */
    BK_ORDER_TITLE,
    BK_ORDER_FILE,
    BK_ORDER_CATEGORY,  /* parts by first category, date order inside */
    BK_ORDER_LIST,      /* the explicit `order:` list of bookify.yml */
} bk_order_mode;

/* Parse an --order / `order:` name; false if unknown. */
bool bk_order_mode_parse(const char *s, bk_order_mode *out);
const char *bk_order_mode_name(bk_order_mode m);

typedef enum bk_site_kind {
    BK_SITE_FOLDER, /* any folder of Markdown */
    BK_SITE_JEKYLL, /* _posts/ (and _drafts/) */
    BK_SITE_HUGO,   /* content/posts/ or content/ */
} bk_site_kind;

/* A string from a configuration file with the place it was written. */
typedef struct bk_located {
    const char *value;
    bk_loc loc;
} bk_located;

typedef struct bk_meta {
    const char *title, *subtitle, *author, *description;
    const char *url, *baseurl;          /* site url, as in _config.yml */
    const char *lang;                   /* BCP 47, e.g. "en", "pt-BR" */
    const char *identifier, *publisher, *rights, *date;
    const char *cover, *theme, *page_size;
    bk_strv css;                        /* extra style sheets */
    bk_strv parts;                      /* part names, in book order */
    bk_strv exclude;                    /* glob patterns, relative to SITE */
    bk_located *order_list;             /* explicit `order:` entries */
    size_t norder_list;
    bk_order_mode order;
    bool order_set;
    int toc_depth;                      /* 0 = not set */
    int highlight;                      /* bookify.yml highlight: 1 true, -1 false, 0 not set */
    /* limits (0 = the default): a post's bytes, an image file's bytes, an
     * image's pixels (bookify.yml max-post-size..., --max-post-size...) */
    size_t max_post_size, max_image_size, max_image_pixels;
} bk_meta;

/* A scalar front-matter field, kept for later stages (cover-img, ...). */
typedef struct bk_field {
    const char *key, *value;
    int line, col;
} bk_field;

typedef struct bk_post {
    const char *path;       /* relative to SITE, '/'-separated */
    const char *display;    /* path as printed in diagnostics */
    const char *title;      /* never NULL after collect */
    const char *subtitle, *author, *description, *lang, *layout;
    const char *slug;       /* never NULL after collect; unique after order */
    const char *permalink;
    bk_date date;           /* date.valid false: undated */
    bool date_from_name;
    bool title_from_body;   /* title taken from the first # heading */
    bool published, draft;
    bk_strv tags, categories;
    bk_field *fields;       /* every scalar top-level front-matter key */
    size_t nfields;
    const char *text;       /* whole file, valid UTF-8, LF line ends */
    size_t text_len;
    const char *body;       /* Markdown after the front matter (inside text) */
    size_t body_len;
    int body_line;          /* file line of body's first line */
    int fm_line;            /* file line of the first front-matter key line, 0 = none */
    int lang_line, lang_col; /* where lang: is given, for messages about it */
    long part;              /* index into book->parts, -1 = none */

    /* Set by convert (see convert.h). */
    struct _xmlDoc *doc;    /* the chapter as an XHTML5 document; freed with the book */
    const char *id;         /* id of the chapter's <section>, unique in the book */
    const char *file;       /* chapter document's name in the book: "<slug>.xhtml" */
    const char *doc_lang;   /* the chapter's language (post's, else the book's) */
    bool rtl;               /* right-to-left chapter */
    char *title_text;       /* title as plain text (Markdown and entities rendered); owned:
                             * set on a worker thread, so not in the book's arena */
    size_t saved_off;       /* while doc is NULL: it, serialized and deflated, at this
                             * offset of book->saved (both books in one run) */
    size_t saved_len, saved_size; /* deflated and plain sizes; 0 when not saved */
    struct bk_found_ids *found_ids; /* doc's ids, links and images, as it was made
                                     * (bk_resolve_collect) */
} bk_post;

/* Where a printed page begins in a chapter, for the EPUB's page list
 * (set by the PDF writer). */
typedef struct bk_page_mark {
    size_t post;            /* index in book->posts */
    long element;           /* the element the page begins in (or at): its index among
                             * post->doc's elements in document order, root 0 */
    int number;             /* the printed page number */
} bk_page_mark;

/* A file of the site that the book carries (images). */
typedef struct bk_asset {
    const char *path;       /* real absolute path of the source file */
    const char *href;       /* name inside the book, e.g. "images/cover.jpg" */
    const char *media_type; /* from the file's bytes */
    size_t size;
} bk_asset;

typedef struct bk_part {
    const char *title;
    size_t first, count;    /* range of book->posts */
} bk_part;

typedef struct bk_book {
    bk_arena arena;
    bk_meta meta;
    const char *site;       /* SITE as the user typed it, no trailing '/' */
    const char *site_real;  /* its canonical absolute path */
    const char *site_name;  /* last component of site_real */
    bk_site_kind kind;
    bool filtered;          /* --category/--tag/--since/--until left posts out */
    bk_post **posts;        /* heap array, reading order after bk_order */
    size_t nposts, cap;
    bk_part *parts;         /* heap array */
    size_t nparts;
    bk_asset *assets;       /* heap array, in first-use order */
    size_t nassets, capassets;
    bk_page_mark *page_marks; /* heap array, set by the PDF writer */
    bk_buf saved;             /* posts' trees serialized and deflated, one after the other:
                               * one large block, not pieces among the PDF's */
    size_t npage_marks;
    const char *page_source;  /* what the page numbers are of (the PDF) */
} bk_book;

/* Both books in one run: the PDF, made first, frees each post's tree
 * once it has its boxes, keeping it serialized and deflated; the EPUB
 * parses it back. -1 (the tree kept) if it cannot. */
int bk_post_save_doc(bk_book *book, bk_post *p);
/* The tree back from bk_post_save_doc; -1 if it does not parse. Safe on
 * several threads for different posts. */
int bk_post_restore_doc(const bk_book *book, bk_post *p);
/* A tree as text (appended to out) that bk_doc_read_saved makes the same
 * tree again; -1 when out of memory. Thread-safe. */
int bk_doc_write_saved(struct _xmlDoc *doc, bk_buf *out);
/* A tree from the text bk_doc_write_saved wrote, every blank text node
 * kept; NULL if it does not parse. Thread-safe. */
struct _xmlDoc *bk_doc_read_saved(const char *xml, size_t len);
/* The element after n in document order under root (n's children
 * first), or NULL: elements are counted this way from the root (0). */
struct _xmlNode *bk_doc_next_element(struct _xmlNode *root, struct _xmlNode *n);
/* Each element's index + 1 in its _private (on), or NULL there again. */
void bk_doc_number_elements(struct _xmlDoc *doc, bool on);

/* A new empty book for SITE (as typed). Never fails; free with bk_book_free. */
bk_book *bk_book_new(const char *site);
void bk_book_free(bk_book *book);
/* Appends a zeroed post (arena memory) and returns it. */
bk_post *bk_book_add_post(bk_book *book);
/* The display path of rel inside the site: SITE + "/" + rel (arena string). */
const char *bk_book_display_path(bk_book *book, const char *rel);
/* Base name (no extension) for output files: slug of the title, else the
 * site folder's name. Arena string. */
const char *bk_book_file_stem(bk_book *book);
/* The book's dates: *date is bookify.yml's `date`, else the newest post's;
 * *epoch (the instant the files are dated) is epoch when >= 0
 * (SOURCE_DATE_EPOCH), else the newest post's instant, else 0. Never the
 * clock. Cannot fail. */
void bk_book_dates(const bk_book *book, int64_t epoch, bk_date *date, int64_t *out_epoch);
/* Is lang (a BCP 47 tag) written right to left? */
bool bk_lang_is_rtl(const char *lang);
/* Value of front-matter key in post, or NULL. */
const bk_field *bk_post_field(const bk_post *post, const char *key);

#endif
