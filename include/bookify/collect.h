/*
 * collect.h -- the collector: from a site folder to the book's posts.
 *
 * Consumes SITE: a Jekyll site (_posts/, _drafts/ with --drafts,
 * _config.yml), a Hugo site (content/posts/ or content/, hugo.yaml), or any
 * folder of .md/.markdown/.mdx files. Produces book->meta from the site's
 * configuration and book->posts: every published post, read, checked as
 * UTF-8, split into front matter and body, with title, date and slug, in
 * no particular order (see order.h). Reads nothing outside SITE.
 */
#ifndef BK_COLLECT_H
#define BK_COLLECT_H

#include "bookify/book.h"

typedef struct bk_collect_opts {
    bool drafts;                /* include drafts (_drafts/, draft: true) */
    bool future;                /* include posts dated after `now` */
    int64_t now;                /* SOURCE_DATE_EPOCH, else the clock */
    const char **categories;    /* keep posts in any of these (case-insensitive) */
    size_t ncategories;
    const char **tags;          /* keep posts with any of these */
    size_t ntags;
    bk_date since, until;       /* inclusive calendar bounds; .valid = set */
    size_t max_post_size;       /* bytes; 0 = default (64 MiB) */
    /* Called once, from a reading thread, as soon as a post is read whose
     * text may hold code (bk_convert_may_have_code): main starts the
     * highlighter's set-up then, while the rest is read. NULL: never. */
    void (*code_seen)(void);
    /* Around the reading of each post, when set: the readers share the
     * cores with that set-up (bk_highlight_core_take/give; core_done when
     * a reader has no more posts), so that it has one to itself, as it
     * does beside the converters. */
    bool (*core_take)(void);
    void (*core_give)(bool taken);
    void (*core_done)(void);
} bk_collect_opts;

#define BK_COLLECT_MAX_POST_DEFAULT ((size_t)64 << 20)

/* Open SITE: resolve its real path, tell its kind and load its own
 * configuration and bookify.yml into book->meta. Returns -1 after recording
 * an error when SITE cannot be used (missing, not a folder). Errors in the
 * configuration are recorded but return 0, so the posts are still read and
 * one run reports every problem. */
int bk_site_open(bk_book *book, bk_diags *d);

/* Find, read and parse every post of the opened site into book->posts,
 * leaving out unpublished, draft, future and filtered posts (each with a
 * note). One bad post never stops the scan. Returns -1 when any error was
 * recorded or no post is left, 0 otherwise. */
int bk_collect(bk_book *book, const bk_collect_opts *opts, bk_diags *d);

/* Parse an already-read file as a post of book (rel: path inside SITE).
 * Used by bk_collect and by tests. Takes raw bytes: strips a BOM, turns
 * CRLF and CR into LF, replaces invalid UTF-8 with U+FFFD (one warning).
 * Returns the post (added to the book), or NULL after recording an error;
 * *skip_reason is set (static text) when the file is not a chapter. */
bk_post *bk_collect_post(bk_book *book, const char *rel, const char *raw, size_t len,
                         const bk_collect_opts *opts, bk_diags *d, const char **skip_reason);

#endif
