/*
 * epub.h -- the EPUB 3 writer.
 *
 * Consumes the converted book (each post's XHTML document, book->assets,
 * book->meta, parts) and produces one .epub file: `mimetype` first and
 * stored, META-INF/container.xml, a package document with EPUB 3 and
 * schema.org accessibility metadata, a navigation document (toc, landmarks)
 * plus toc.ncx, cover/title/colophon/part pages, the chapters, images, style
 * sheets and (with embed_fonts) fonts. The same input always gives the same
 * bytes; the file is replaced whole or not at all.
 */
#ifndef BK_EPUB_H
#define BK_EPUB_H

#include "bookify/book.h"

typedef struct bk_epub_opts {
    const char **css;   /* extra style sheets from --css (paths as given) */
    size_t ncss;
    bool embed_fonts;   /* embed the book's fonts (found with fontconfig) */
    int toc_depth;      /* heading levels in the contents; 0 = bookify.yml or 2 */
    int64_t epoch;      /* SOURCE_DATE_EPOCH, or -1 to use the newest post's date */
    size_t split_size;  /* split chapters larger than this many bytes; 0 = 300 KB */
} bk_epub_opts;

/* Write the book as an EPUB 3 file at path. Returns -1 after recording an
 * error (nothing is then left at path but what was there before), else 0. */
int bk_epub_write(bk_book *book, const char *path, const bk_epub_opts *o, bk_diags *d);

/* Start loading libzip on a thread of its own, for a run that will write
 * an EPUB: the executable is not linked with it (its start-up is shorter
 * without), and bk_epub_write waits for the loading if it is not done. */
void bk_epub_preload(void);

#endif
