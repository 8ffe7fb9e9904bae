/*
 * epub_int.h -- what the EPUB writer's files share (private).
 */
#ifndef BK_EPUB_INT_H
#define BK_EPUB_INT_H

#include <libxml/tree.h>

#include "bookify/epub.h"

#define EP_CONTENT_DIR "EPUB/"

typedef struct ep_item {
    char *href;       /* inside EPUB/, e.g. "bk-nav.xhtml" */
    char *id;         /* manifest id (an XML name) */
    const char *media;
    char *properties; /* manifest properties, or NULL */
    bk_buf data;      /* the file's bytes; raw deflate once compressed */
    bool deflated;    /* data is compressed: usize bytes with this crc */
    size_t usize;
    unsigned long crc;
    bool spine, linear;
    int spine_order;  /* position in the spine */
} ep_item;

/* One entry of the table of contents; level 0 = part, 1 = post, 2.. = headings. */
typedef struct ep_toc {
    char *title;
    char *href;
    int level;
} ep_toc;

/* A chapter after splitting: its documents and the file each id lives in. */
typedef struct ep_chapter {
    xmlDocPtr *docs; /* docs[0] is post->doc (borrowed) unless copied; others owned */
    char **files;    /* owned */
    size_t ndocs;
    bool copied;     /* docs[0] is a split copy, owned too */
    bk_buf *texts;   /* when parked (both books in one run): each tree as text, its
                        docs[k] NULL until chapter_write reads it back */
    /* Found by analyse_job on a worker, taken into the book's lists in
     * order by chapters_range: */
    char **moved;        /* "file#id" of each id a split moved... */
    size_t *moved_to;    /* ...and the part (files[k]) it moved to */
    size_t nmoved;
    struct ep_toc *heads; /* its headings for the contents, level relative to the post's */
    size_t nheads;
    struct ep_pagemark *pages;
    size_t npages;
    bool has_images, images_all_alt;
} ep_chapter;

/* An entry of the page list: a printed page and where it begins. */
typedef struct ep_pagemark {
    char *label; /* owned */
    char *href;  /* g_malloc'd */
} ep_pagemark;

typedef struct ep_ctx {
    bk_book *book;
    const bk_epub_opts *opts;
    bk_diags *diags;
    ep_item *items;
    size_t nitems, capitems;
    int next_spine;
    int nav_order;        /* the contents page's place in the spine */
    ep_toc *toc;
    size_t ntoc, captoc;
    ep_chapter *chapters; /* one per post */
    bk_strmap id_file;    /* "file#id" of a split chapter -> index into moved */
    bk_strv moved;        /* new file of a moved id */
    bk_arena arena;
    const char *lang;
    bool rtl;
    char *identifier;
    char modified[21];    /* CCYY-MM-DDThh:mm:ssZ */
    bk_date date;         /* the book's date */
    int64_t epoch;
    bk_strv css;          /* style sheet hrefs, in order */
    const char *cover_image_href;
    const char *first_chapter_href, *title_href, *cover_href;
    bool images_all_alt, has_images;
    int toc_depth;
    ep_pagemark *pages;   /* page list, in book order */
    size_t npages, cappages;
} ep_ctx;

/* Add a file to the book; data is moved into the item (left empty). */
ep_item *ep_add(ep_ctx *c, const char *href, const char *media, bk_buf *data);
/* A new XHTML page: html (lang, dir), head (title, style sheets), body. */
xmlDocPtr ep_page_new(ep_ctx *c, const char *title, xmlNodePtr *body);
/* Serialise an XHTML document. */
void ep_serialize(xmlDocPtr doc, bk_buf *out);
/* Localised label for the book's language. */
const char *ep_label(const ep_ctx *c, const char *key);

/* pages.c */
void ep_cover_page(ep_ctx *c);
void ep_title_page(ep_ctx *c);
void ep_colophon_page(ep_ctx *c);
const char *ep_part_page(ep_ctx *c, size_t part);

/* package.c */
void ep_nav(ep_ctx *c);
void ep_ncx(ep_ctx *c);
void ep_package(ep_ctx *c);

#endif
