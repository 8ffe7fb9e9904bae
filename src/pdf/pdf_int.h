/*
 * pdf_int.h -- the PDF engine's shared structures (private to pdf/).
 *
 * Stages, one per file, after MuPDF's html layout: style.c (element ->
 * computed style), boxes.c (DOM -> blocks of styled text, images, rules),
 * lines.c (pango breaks each block into lines), pages.c (lines placed on
 * pages; knows only heights and break rules), draw.c (cairo). The blocks
 * point back at nothing in the DOM once built: their text, attributes,
 * links and anchors are copied out, so layout never touches libxml2.
 */
#ifndef BK_PDF_INT_H
#define BK_PDF_INT_H

#include <stdint.h>

#include <pango/pangocairo.h>

#include "bookify/book.h"
#include "image.h"
#include "theme.h"

/* ---- style ---- */

typedef enum pdf_font { PF_BODY, PF_HEADING, PF_MONO } pdf_font;
typedef enum pdf_align { PA_START, PA_CENTER, PA_END, PA_JUSTIFY } pdf_align;

typedef struct pdf_style {
    pdf_font font;
    double size;            /* pt */
    bool bold, italic;
    bk_rgb colour;
    pdf_align align;
    double line_height;     /* multiple of size */
    double space_before, space_after; /* pt */
    double first_indent;    /* pt */
    bool pre;               /* keep spaces and newlines, wrap anywhere */
    bool hyphenate;
    bool keep_with_next;    /* headings */
    bool keep_space;        /* space_before applies at the top of a page too */
} pdf_style;

/* ---- blocks ---- */

typedef enum pdf_kind {
    PK_TEXT,   /* a paragraph, heading, code block, list item, caption... */
    PK_IMAGE,
    PK_RULE,
    PK_ROW,    /* a table row: cells side by side */
    PK_BREAK,  /* start a new page (chapters, parts) */
} pdf_kind;

typedef struct pdf_link {
    int start, end;         /* byte range in the block's text */
    char *href;             /* uri or "#dest" */
    int target;             /* 0 not known yet, 1 a uri or a destination the book places, 2 none */
} pdf_link;

typedef struct pdf_anchor {
    int index;              /* byte index in the text */
    char *id;               /* destination name */
    int line;               /* where it falls, once laid out: line, and x (pango units) */
    int x;
} pdf_anchor;

typedef struct pdf_line {
    double top, height, baseline; /* pt, from the block's top */
    double x, width;              /* logical extent, from the layout's left */
    PangoLayoutLine *pl;          /* pango's line (the layout owns it) */
} pdf_line;

typedef struct pdf_noteref {
    int index;              /* byte index of the reference in the text */
    char *id;               /* the note's id (owned) */
    long note;              /* index into the chapter's notes, -1 unknown */
    long line;              /* the line it falls on, once laid out */
} pdf_noteref;

typedef struct pdf_text {
    char *text;             /* UTF-8, soft hyphens inserted (g_malloc'd) */
    size_t len, cap;        /* its length and room, for appending in place */
    pdf_noteref *refs;      /* footnote references, in text order */
    size_t nrefs, caprefs;
    PangoAttrList *attrs;
    pdf_link *links;
    size_t nlinks, caplinks;
    pdf_anchor *anchors;
    size_t nanchors, capanchors;
    bool lang_added;        /* the chapter's language is in attrs (lines.c) */
    PangoLayout *layout;    /* lines.c */
    PangoLayout *measured;  /* a table cell's unwrapped layout, until its row is laid out (lines.c) */
    pdf_line *lines;
    size_t nlines;
    double width;           /* laid-out width (pt) */
} pdf_text;

typedef struct pdf_block {
    pdf_kind kind;
    pdf_style style;
    const char *tag;        /* structure tag: "P", "H1".."H6", "LI", "Figure", "Table" */
    int heading;            /* 1..6, else 0 */
    char *outline_title;    /* headings in the outline / contents */
    double left, right;     /* indents from the text block's edges (pt); mirrored when rtl */
    bool rtl;               /* a right-to-left chapter: markers and bars on the right */
    bool shaded;            /* code: grey background */
    int quote_depth;        /* bars in the start margin */
    char *marker;           /* list marker, drawn before the first line */
    pdf_text t;             /* PK_TEXT */
    /* PK_IMAGE */
    bk_pdf_image *image;    /* borrowed from the document's cache */
    double img_w, img_h;
    char *alt;
    /* PK_ROW */
    pdf_text *cells;
    pdf_align *cell_align;  /* from the Markdown's alignment row */
    size_t ncells;
    bool header_row;
    double *col_x, *col_w;  /* borrowed from the table */
    bool first_row, last_row;
    double row_height;
    /* the block's own destination (chapter start, heading id) */
    char *dest;
    struct _xmlNode *src;   /* the element the block comes from (while its tree lives) */
    long src_el;            /* its index in the post's elements (bk_page_mark), or -1 */
    /* contents entries: the destination they list, and its level */
    char *toc_target;
    int toc_level;
} pdf_block;

typedef struct pdf_chapter {
    pdf_block *blocks;
    size_t nblocks, cap;
    int post;               /* index in book->posts; -1 front matter, -2 a part page */
    long part;              /* part this chapter opens, or -1 */
    char *running_title;
    const char *lang;       /* language of the text (pango picks fonts by it) */
    pdf_block *notes;       /* footnotes, set at the foot of the page citing them */
    size_t nnotes, capnotes;
    char **note_ids;        /* id of each note (its aside) */
    bool glyphs_dropped;    /* its layouts went after pagination: lay out again to draw */
    size_t window_bytes;    /* its text, while its glyphs wait for the drawing (draw.c) */
} pdf_chapter;

/* ---- placement ---- */

typedef struct pdf_piece {
    size_t block;           /* index in its chapter */
    size_t from, to;        /* lines [from, to) for text */
    double row_from, row_to; /* a table row's slice [row_from, row_to) when it spans pages */
    double y;               /* top on the page, from the text block's top (pt) */
    double height;
} pdf_piece;

/* Lines [from, to) of a chapter's footnote at a page's foot: a note too
 * long for the page that cites it continues at the foot of the next. */
typedef struct pdf_notepiece {
    size_t note;            /* index into the chapter's notes */
    size_t from, to;
} pdf_notepiece;

typedef struct pdf_page {
    size_t chapter;         /* index into the engine's chapters */
    pdf_piece *pieces;
    size_t npieces, cap;
    pdf_notepiece *notes;   /* footnotes (or their parts) at the foot, in order */
    size_t nnotes, capnotes;
    double notes_height;    /* their height with the separator */
    bool notes_continued;   /* the first note piece continues one from the page before */
    bool first_of_chapter;
    bool blank;             /* left empty so the next starts on a right-hand page */
    bool front;             /* front matter: roman numbers, no running heads */
    int number;             /* printed number (arabic), or roman index for front matter */
} pdf_page;

typedef struct pdf_engine {
    bk_book *book;
    bk_theme theme;
    bk_diags *diags;
    void *fc_config;
    void *fc_narrow;        /* the fonts this book can use, when they suffice (fontuse.c) */
    PangoFontMap *fontmap;
    PangoContext *pango;
    void *hyphen;           /* HyphenDict* for the book's language, or NULL */
    pdf_chapter *chapters;
    size_t nchapters, capchapters;
    pdf_page *pages;
    size_t npages, cappages;
    double text_width, text_height;
    bk_strmap dests_drawn;  /* destination names already in the PDF */
    bk_arena arena;
    bk_arena draw_arena;    /* the drawing's: names of destinations drawn, figures' /Alt */
    bk_pdf_image **images;  /* one per book asset, loaded on first use */
    bk_strmap dest_page;    /* destination name -> page index (after pagination) */
    const char **alts;      /* alternative text of each figure, in drawing order */
    size_t nalts, capalts;
    size_t cells_measured;  /* table cells measured unwrapped (lines.c) */
    size_t cells_kept;      /* of those, laid out by that measuring alone */
    /* Drawing beside line breaking (draw.c, docs/pdf.md "Drawing"): the
     * drawing thread takes each page once it is final. */
    struct pdf_pipe *pipe;  /* the drawing thread's lock; NULL: drawn after pagination */
    size_t toc;             /* the contents' chapter, drawn last */
    uint32_t *dest_last;    /* by a name's hash: the last chapter that may place it */
    size_t dest_mask;
    size_t paginated;       /* chapters paginated, numbered and in dest_page */
    size_t ready_pages;     /* pages final (those after may still come) */
    bool all_paginated;
    size_t window_bytes;    /* text of the paginated chapters whose glyphs wait for the drawing */
    GHashTable *small_layouts; /* the drawing's markers, numbers, running heads (draw.c) */
    size_t small_made, small_reused; /* BOOKIFY_TIMES */
    size_t batches, batched;         /* BOOKIFY_TIMES: the drawing's batches, their pages */
    GHashTable *fonts_held; /* every font a chapter's layout uses, one reference each
                             * (pdf_hold_fonts): a drawn chapter is then freed without
                             * the lock, its fonts never finalized there */
    size_t chapters_kept, chapters_relaid; /* a long book's (BOOKIFY_TIMES) */
    int front_pages, body_pages; /* numbered so far */
    int tag_depth;          /* structure elements open */
    size_t struct_top;      /* structure elements opened at the top so far */
} pdf_engine;

/* ftfaces.c: the font files' FreeType faces cairo was given, kept open */
size_t pdf_kept_faces(void);
/* ftfaces.c: while on (this thread, around cairo_show_page), cairo's
 * loads of a whole CFF table read only its first INDEXes; how many did */
void pdf_cff_heads_only(bool on);
size_t pdf_cff_heads(void);
/* ftfaces.c: while on (this thread, around cairo_surface_finish), a CFF
 * table cairo loads to subset is read for the glyphs drawn only; how many
 * tables, the bytes read and the tables' sizes */
void pdf_cff_subsets_only(bool on);
void pdf_cff_parts(size_t *tables, size_t *read, size_t *whole);

/* cairozlib.c: cairo's deflate streams on this thread compressed whole by
 * libdeflate, from begin (false: left to zlib) to end; and how many were. */
bool pdf_cairo_zlib_begin(void);
void pdf_cairo_zlib_end(void);
size_t pdf_cairo_zlib_count(void);

/* fontuse.c: give pango only the fonts the book can use, when they give the same PDF */
void pdf_fonts_narrow(pdf_engine *e);

/* lines.c: a reference to each font l's runs use, kept until the book is
 * written (with the pango lock) */
void pdf_hold_fonts(pdf_engine *e, PangoLayout *l);

/* style.c */
void pdf_style_base(const pdf_engine *e, pdf_style *s);
void pdf_style_heading(const pdf_engine *e, int level, pdf_style *s);

/* boxes.c */
pdf_chapter *pdf_chapter_add(pdf_engine *e, int post);
pdf_block *pdf_block_add(pdf_chapter *ch, pdf_kind kind, const pdf_style *s);
void pdf_text_append(pdf_engine *e, pdf_text *t, const char *s, size_t len, const pdf_style *base,
                     const pdf_style *run, bool hyphenate);
void pdf_boxes_chapter(pdf_engine *e, size_t post);
void pdf_boxes_release(pdf_engine *e);

/* shapecache.c: pango's line pieces cut from its paragraphs' shaping */
void pdf_shape_cache_stats(size_t *hits, size_t *misses);
void pdf_shape_cache_release(void);
/* Free a chapter's boxes (text, attributes, cells, notes) once its pages
 * are drawn and its outline entries made: the rest of the book's never
 * wait beside cairo's growing record of the pages. */
void pdf_chapter_release(pdf_engine *e, size_t c);
/* Free a chapter's layouts once its pages are drawn: a long book never
 * holds every chapter's glyphs and the PDF being written at once. */
void pdf_chapter_drop_layouts(pdf_engine *e, size_t c);
/* Free a chapter's pango layouts once it is paginated, keeping its text,
 * attributes and line heights: a long book never holds every chapter's
 * glyphs; the chapter is laid out again just before it is drawn. */
void pdf_chapter_drop_glyphs(pdf_engine *e, size_t c);
/* Bytes of text in a chapter (blocks, cells, notes): what its layouts'
 * memory grows with. */
size_t pdf_chapter_text_bytes(const pdf_chapter *ch);

/* draw.c: a chapter's tables' columns and every block's lines; returns
 * the number of characters no font could show. */
int pdf_lines_chapter(pdf_engine *e, size_t c);

/* fork.c: a long book's later chapters broken into lines on a second
 * process while this one does the first ones. */
typedef struct pdf_helper {
    int pid;                /* the helper, or -1: none */
    int fd;                 /* its records come through this pipe */
    size_t from;            /* first chapter it breaks */
    bk_buf data;            /* its records, read whole when first needed */
    size_t pos;             /* the next record */
    size_t taken;           /* chapters whose lines came from it */
    bool read, failed;
} pdf_helper;
/* Start a helper for chapters [from, nchapters); none when from leaves
 * fewer than two chapters to it, or when fork fails (all then done here). */
void pdf_helper_start(pdf_engine *e, size_t from, pdf_helper *h);
/* Chapter c's lines from the helper, applied as pdf_lines_chapter would
 * have set them (layouts left out); the number of characters no font
 * could show, or -1 when the helper has not got them: lay it out here. */
int pdf_helper_take(pdf_engine *e, pdf_helper *h, size_t c);
/* Wait for the helper's records if chapter c is one of its (what
 * pdf_helper_take would wait for), so that the take itself does not. */
void pdf_helper_fetch(pdf_helper *h, size_t c);
void pdf_helper_end(pdf_helper *h);

/* lines.c */
/* The chapter's language on the whole text, once (laying out adds it). */
void pdf_text_lang(pdf_text *t, const char *lang);
/* Lay out one block; returns the number of characters no font could show. */
int pdf_lines_block(pdf_engine *e, pdf_block *b, const char *lang);
/* "THEME-FAMILY,bookify-serif" (-sans, -mono): what the PDF asks pango for; g_free it */
char *pdf_family_list(const pdf_engine *e, pdf_font f);
PangoFontDescription *pdf_font_desc(const pdf_engine *e, const pdf_style *s);
/* Lay a chapter's text out again (its layouts were dropped after
 * pagination, pdf_chapter_drop_glyphs); false if any block came out with
 * other lines than the first time (which would be a bug). */
bool pdf_chapter_relayout(pdf_engine *e, size_t c);
/* The same for block i of chapter c (i >= nblocks: note i - nblocks). */
bool pdf_block_relayout(pdf_engine *e, size_t c, size_t i);
/* Column widths of a table (its rows, which share col_x/col_w) from their
 * content: minimum (longest word) and preferred (unwrapped) widths, type
 * made smaller (to 80 percent) for tables too wide for the page. */
void pdf_table_columns(pdf_engine *e, pdf_block *rows, size_t nrows, const char *lang);

/* draw.c */
/* libhyphen patterns for a language tag ("en", "fr-CA", "pt-BR"), from
 * /usr/share/hyphen; NULL when none is installed. Free with hnj_hyphen_free. */
void *pdf_hyphen_load(const char *lang);

/* finish.c */
typedef struct pdf_finish_info {
    const char *lang;       /* the book's language, for the catalog's /Lang */
    const char *const *alts; /* /Alt of each Figure structure element, in order */
    size_t nalts;
    bool mapped;            /* `in` is a file mapping: its pages are given back
                               (madvise) once read, to keep the memory small */
    /* what could not be done (the caller warns) */
    size_t unmarked;        /* pages whose content could not be marked */
    bool alts_unmatched;    /* Figure elements and alternative texts differ in number */
    /* Pages drawn out of their order (the contents, drawn last): the last
     * pages_moved of the page tree's kids go to index pages_at, and the
     * last struct_moved of the structure tree root's kids to struct_at.
     * npages and nstruct are how many kids each must have (else -1). */
    size_t pages_at, pages_moved, npages;
    size_t struct_at, struct_moved, nstruct;
    bool struct_unmoved;    /* the structure elements could not be moved (the caller warns) */
    size_t objects, early_taken; /* cairo's objects; of them, those pdf_early wrote */
} pdf_finish_info;
/* Copy cairo's PDF `in` to `out` with what cairo 1.16 cannot write: the
 * content outside structure elements marked as artifacts, figures' /Alt,
 * the catalog's /Lang, /MarkInfo and /ViewerPreferences, the pages and
 * structure elements drawn out of order put in their places. -1 (and `out`
 * to be discarded) when `in` is not laid out as cairo 1.16 writes. */
int pdf_finish(const bk_buf *in, pdf_finish_info *info, bk_buf *out);
/* The same, written through write(ctx, ...) in pieces of about 1 MiB as it
 * is made: -1 before anything is written when `in` is not as cairo 1.16
 * writes it, -2 when write failed. With `early` (or NULL), whose objects
 * went to the same write ahead of it: they are checked against `in`, and
 * the pass goes on after them; -3 when they are not what this pass would
 * have written (the output is then to be emptied and the pass run again
 * without it). */
typedef int (*pdf_write_fn)(void *ctx, const void *data, size_t len);
typedef struct pdf_early pdf_early;
int pdf_finish_to(const bk_buf *in, pdf_finish_info *info, pdf_early *early, pdf_write_fn write,
                  void *ctx);
/* Finishing cairo's file as it is written (finish.c): each call hands the
 * bytes that follow the last call's; complete objects are finished and
 * written as pdf_finish_to would, up to the first whose finishing depends
 * on what comes later. */
pdf_early *pdf_early_new(pdf_write_fn write, void *ctx);
void pdf_early_feed(pdf_early *e, const char *data, size_t len);
/* What pdf_finish_to will be told, once the drawing is done: the page
 * tree, the structure tree, the figures and the catalog are finished
 * from then on (info's pointers must live as long as e). */
void pdf_early_info(pdf_early *e, const pdf_finish_info *info);
size_t pdf_early_objects(const pdf_early *e); /* written so far */
void pdf_early_free(pdf_early *e);
/* One page's content with what is drawn outside marked content wrapped in
 * /Artifact BMC ... EMC; false (out to be discarded) when the content is
 * not as expected (inline images, unbalanced marked content). */
bool pdf_mark_artifacts(const char *d, size_t len, bk_buf *out);

/* pages.c */
#define NOTE_SEP 9.0 /* the rule above a page's footnotes and its space */
#define NOTE_GAP 2.0 /* between two footnotes */
/* Height of lines [from, to) of a text block. */
static inline double pdf_lines_height(const pdf_text *t, size_t from, size_t to)
{
    if (to <= from || to > t->nlines)
        return 0;
    return t->lines[to - 1].top + t->lines[to - 1].height - t->lines[from].top;
}
void pdf_pages_chapter(pdf_engine *e, size_t chapter);

#endif
