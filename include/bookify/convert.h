/*
 * convert.h -- each post's Markdown becomes one XHTML5 document.
 *
 * Consumes a collected, ordered post (its body and front matter) and
 * produces post->doc: an XHTML5 document (libxml2 tree, XHTML namespace)
 * holding one <section> for the chapter: a header built from the front
 * matter, then the post's text. Template leftovers (Liquid, Hugo
 * shortcodes, kramdown) are handled, raw HTML is sanitised, maths is kept
 * verbatim, footnotes carry EPUB 3 semantics. Links between posts and
 * images are left as written for resolve.h, except Liquid's post_url and
 * link, which become "bookify:post/NAME" and "bookify:link/PATH".
 */
#ifndef BK_CONVERT_H
#define BK_CONVERT_H

#include "bookify/book.h"

typedef struct bk_convert_opts {
    bool no_smart;     /* turn off smart punctuation */
    bool no_highlight; /* leave code blocks plain (no syntax highlighting) */
} bk_convert_opts;

/* Once, in the main thread, before any conversion: registers cmark-gfm's
 * extensions and silences libxml2's printing. Cannot fail. */
void bk_convert_init(void);

/* Convert one post into post->doc. Touches only the post, its own
 * diagnostics and book->meta (read only), except for strings taken from
 * the book's arena. Returns -1 after recording an error, 0 otherwise. */
int bk_convert_post(bk_book *book, bk_post *post, const bk_convert_opts *o, bk_diags *d);

/* Convert every post of the book, then resolve links and images
 * (resolve.h). Returns -1 when any error was recorded. */
int bk_convert_book(bk_book *book, const bk_convert_opts *o, bk_diags *d);

/* Whether a post's text may hold code to highlight (a fence, Liquid's
 * highlight tag, <pre> or <code>): a book none of whose posts may never
 * sets the highlighter up. */
bool bk_convert_may_have_code(const char *text, size_t len);

/* Serialise post->doc as the chapter's XHTML file text (caller frees with
 * bk_buf_release). Cannot fail. */
void bk_convert_serialize(const bk_post *post, bk_buf *out);

#endif
