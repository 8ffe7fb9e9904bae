/*
 * frontmatter.h -- a post's YAML front matter, typed.
 *
 * Consumes the text of one post (valid UTF-8 with LF line ends, see
 * collect.h) and fills the post's metadata: title, subtitle, date, author,
 * tags, categories, published/draft, slug, permalink, lang, layout, plus
 * every top-level scalar as a bk_field. Produces the body: the Markdown
 * after the closing `---` (or `...`) line, and the file line it starts on.
 */
#ifndef BK_FRONTMATTER_H
#define BK_FRONTMATTER_H

#include "bookify/book.h"

/* Parse post->text. Front matter opens with a `---` line as the file's
 * first line and closes at the next `---` or `...` line. A file without
 * one is all body. Records a warning for each value of the wrong type or
 * an unparseable date (which is then left unset), and an error for
 * malformed YAML, a front matter that is not a mapping, or one never
 * closed; returns -1 after an error, 0 otherwise. Strings go to arena a. */
int bk_frontmatter_parse(bk_post *post, bk_arena *a, bk_diags *d);

/* The text of the body's first level-1 heading (`# Title` or a Setext
 * `Title` / `===` pair) outside code fences, trimmed of closing #s; NULL
 * when there is none. Sets *line to its 1-based line inside body. */
const char *bk_frontmatter_body_title(const char *body, size_t len, bk_arena *a, int *line);

/* A title made from a file name's slug, as Jekyll does: '-' and '_' become
 * spaces, and each word starts with a capital (ASCII). Arena string. */
const char *bk_frontmatter_title_from_slug(const char *slug, bk_arena *a);

#endif
