/*
 * pdf.h -- the PDF writer: a printable handbook laid out with pango, drawn
 * with cairo.
 *
 * Consumes the converted book (each post's XHTML document, assets, parts,
 * metadata) and produces one PDF: a title page, a copyright page (when
 * rights or publisher are set), contents with page numbers and dot
 * leaders, part pages, then every post from a new page, with running heads,
 * page numbers, links, bookmarks, named destinations, page labels and
 * structure tags. Same input, same bytes; replaced whole or not at all.
 */
#ifndef BK_PDF_H
#define BK_PDF_H

#include "bookify/book.h"

typedef struct bk_pdf_opts {
    const char *theme;       /* --theme FILE, or NULL (bookify.yml `theme:`) */
    const char *page_size;   /* --page-size, or NULL (bookify.yml, theme) */
    int64_t epoch;           /* SOURCE_DATE_EPOCH, or -1: the newest post's date */
    int toc_depth;           /* 0 = bookify.yml or 2 */
    const char *dump_layout; /* write every placed box here, or NULL */
    bool last_use;           /* nothing reads the chapters' documents after the
                                PDF: each is freed once its boxes are built */
    bool save_docs;          /* the EPUB comes next: each is kept serialized and
                                deflated once its boxes are built, and freed */
} bk_pdf_opts;

/* The theme and page size bk_pdf_write would use, read and checked
 * before the posts are converted: -1 after recording their errors. Their
 * warnings are recorded only when asked (--check: no bk_pdf_write). */
int bk_pdf_check(bk_book *book, const bk_pdf_opts *o, bool warnings, bk_diags *d);
/* Write the book as a PDF at path. Returns -1 after recording an error
 * (the earlier file is then untouched), 0 otherwise. */
int bk_pdf_write(bk_book *book, const char *path, const bk_pdf_opts *o, bk_diags *d);

/* The writer lives in a module of its own, bookify-pdf.so, with pango,
 * cairo, HarfBuzz, fontconfig, librsvg and libhyphen under it: linked into
 * the executable, their 36 libraries were half of every run's start-up
 * (14 of an EPUB's 27 ms), PDF or not. bookify loads it when a run makes a
 * PDF (or --check), before anything else loads those libraries (GTK for
 * highlighting brings pango too, which must first meet the module's own
 * stand-ins for some of its calls: shapecache.c, ftfaces.c). Found beside
 * the executable (the build tree), else at BK_PDF_MODULE_REL from it (the
 * installed lib/bookify/). Returns the module's two functions, or NULL
 * after recording an error. The tests link the writer in (bookifycore). */
#define BK_PDF_MODULE_NAME "bookify-pdf.so"
typedef struct bk_pdf_api {
    int (*check)(bk_book *book, const bk_pdf_opts *o, bool warnings, bk_diags *d);
    int (*write)(bk_book *book, const char *path, const bk_pdf_opts *o, bk_diags *d);
} bk_pdf_api;
const bk_pdf_api *bk_pdf_load(bk_diags *d);

#endif
