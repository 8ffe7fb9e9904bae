/* draw.c -- the document drawn with cairo, and the writer (see pdf.h). */
#include <cairo-pdf.h>
#include <dirent.h>
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <glib.h>
#include <hyphen.h>
#include <libxml/tree.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <pango/pangofc-fontmap.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bookify/mem.h"
#include "bookify/outfile.h"
#include "bookify/fcthread.h"
#include "bookify/numfmt.h"
#include "bookify/par.h"
#include "bookify/progress.h"
#include "bookify/pdf.h"
#include "pdf_int.h"

#include "bookify/banned.h"

static void pdf_time(const char *stage)
{
    bk_stage_time("pdf", stage);
}

/* Each block's source element by its index in the post's tree (the
 * page marks' reference): the tree may be freed before the EPUB reads
 * them (bk_post_save_doc). */
static void number_sources(pdf_chapter *ch, bk_post *p)
{
    bk_doc_number_elements(p->doc, true);
    for (size_t i = 0; i < ch->nblocks; i++) {
        pdf_block *b = &ch->blocks[i];
        b->src_el = b->src && b->src->_private ? (long)(uintptr_t)b->src->_private - 1 : -1;
        b->src = NULL;
    }
    for (size_t i = 0; i < ch->nnotes; i++)
        ch->notes[i].src = NULL, ch->notes[i].src_el = -1;
    bk_doc_number_elements(p->doc, false);
}

/* The first chapter of the book's second half, by text (what line
 * breaking's time grows with). */
static size_t half_text(const pdf_engine *e, size_t total)
{
    size_t acc = 0;
    for (size_t c = 0; c < e->nchapters; c++) {
        acc += pdf_chapter_text_bytes(&e->chapters[c]);
        if (acc >= total / 2)
            return c + 1;
    }
    return e->nchapters;
}

/* The most text (bytes) whose layouts are kept from line breaking to
 * drawing: about 50 bytes of pango layout each, so 100 MiB at most.
 * BOOKIFY_LAYOUT_BUDGET (bytes) overrides it: the tests set 0 to lay
 * every chapter out twice and compare the bytes. */
static size_t layout_budget(void)
{
    const char *v = getenv("BOOKIFY_LAYOUT_BUDGET");
    if (v && *v) {
        char *end;
        unsigned long long n = strtoull(v, &end, 10);
        if (!*end)
            return (size_t)n;
    }
    return (size_t)2 << 20;
}

/* ==================== geometry ==================== */

/* Pages are numbered from 0; with two-sided printing, even indexes are
 * right-hand (recto) pages, whose inner margin is on the left. */
static bool is_recto(const pdf_engine *e, size_t page)
{
    return !e->theme.two_sided || page % 2 == 0;
}

static double left_margin(const pdf_engine *e, size_t page)
{
    return is_recto(e, page) ? e->theme.margin_inner : e->theme.margin_outer;
}

/* A value quoted for cairo's tag attributes: '...' with \ and ' escaped. */
static void quote_attr(bk_buf *b, const char *s)
{
    bk_buf_addc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            bk_buf_addc(b, '\\');
        bk_buf_addc(b, *s);
    }
    bk_buf_addc(b, '\'');
}

/* A destination's name in the PDF. cairo 1.16 writes a name tree key and
 * a link's /Dest differently when the name is not ASCII (bytes against a
 * UTF-16 string), so such links would lead nowhere: non-ASCII names are
 * spelled in hex instead. */
static void quote_dest(bk_buf *b, const char *id)
{
    bool ascii = true;
    for (const char *p = id; *p; p++)
        ascii = ascii && (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7F;
    if (ascii) {
        quote_attr(b, id);
        return;
    }
    bk_buf h = BK_BUF_INIT;
    bk_buf_adds(&h, "u-");
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        bk_buf_addf(&h, "%02x", *p);
    quote_attr(b, h.ptr);
    bk_buf_release(&h);
}

/* The destination an internal href names: "#id" -> "id". */
static const char *dest_of(const char *href)
{
    return href[0] == '#' ? href + 1 : NULL;
}

/* ==================== drawing beside line breaking ==================== */

/* Pages are drawn on a thread of their own while the next chapters are
 * broken into lines (docs/pdf.md, "Drawing beside line breaking"). pango
 * keeps its font state without locks, so one lock covers every pango
 * call and everything of the engine's that both threads use: the main
 * thread holds it for each block it breaks into lines and for each
 * chapter's pagination; the drawing thread to wait for pages, to prepare
 * each page (page_prep, below) and to free a drawn chapter, not while it
 * draws the page or while cairo turns it into PDF (cairo_show_page, most
 * of the drawing's time, which touches only cairo's own font state,
 * locked by cairo). The drawing thread says when it wants the lock
 * (draw_wants): else the main thread, taking it again at once, would keep
 * it to the end. */
typedef struct pdf_pipe {
    pthread_mutex_t lock;
    pthread_cond_t progress; /* more pages final, or the end */
    pthread_cond_t turn;     /* the drawing thread let go of the lock */
    pthread_cond_t drawn;    /* a chapter drawn, or the drawing waits for pages */
    atomic_bool draw_wants;
    bool draw_waits;         /* the drawing thread waits for pages (draw_wait) */
    bool stop;               /* the book failed: stop drawing */
    pthread_t thread;
} pdf_pipe;

static void main_lock(pdf_engine *e)
{
    pdf_pipe *pp = e->pipe;
    if (!pp)
        return;
    pthread_mutex_lock(&pp->lock);
    while (atomic_load(&pp->draw_wants))
        pthread_cond_wait(&pp->turn, &pp->lock);
}

static void main_unlock(pdf_engine *e)
{
    if (e->pipe)
        pthread_mutex_unlock(&e->pipe->lock);
}

static void draw_lock(pdf_engine *e)
{
    pdf_pipe *pp = e->pipe;
    if (!pp)
        return;
    atomic_store(&pp->draw_wants, true);
    pthread_mutex_lock(&pp->lock);
    atomic_store(&pp->draw_wants, false);
}

static void draw_unlock(pdf_engine *e)
{
    pdf_pipe *pp = e->pipe;
    if (!pp)
        return;
    pthread_cond_broadcast(&pp->turn);
    pthread_mutex_unlock(&pp->lock);
}

/* The drawing thread waits, without the lock, for more pages. */
static void draw_wait(pdf_engine *e)
{
    pdf_pipe *pp = e->pipe;
    pp->draw_waits = true;
    pthread_cond_broadcast(&pp->drawn);
    pthread_cond_broadcast(&pp->turn);
    pthread_cond_wait(&pp->progress, &pp->lock);
    pp->draw_waits = false;
}

/* A long book's chapter, paginated (with the lock). Drawn after
 * pagination, it drops its glyphs (laid out again before it is drawn).
 * Drawn beside it, its glyphs wait for the drawing in a window of at most
 * `window` bytes of text: when the window is full, the main thread waits
 * for the drawing to free a chapter, unless the drawing itself waits (for
 * a destination further on): the chapter then drops its glyphs. The
 * contents, drawn last, always do. */
static void keep_or_drop(pdf_engine *e, size_t c, size_t window)
{
    pdf_pipe *pp = e->pipe;
    pdf_chapter *ch = &e->chapters[c];
    if (!pp || c == e->toc) {
        pdf_chapter_drop_glyphs(e, c);
        e->chapters_relaid++;
        return;
    }
    size_t bytes = pdf_chapter_text_bytes(ch);
    while (e->window_bytes && e->window_bytes + bytes > window && !pp->draw_waits && !pp->stop)
        pthread_cond_wait(&pp->drawn, &pp->lock);
    if (e->window_bytes && e->window_bytes + bytes > window) {
        pdf_chapter_drop_glyphs(e, c);
        e->chapters_relaid++;
        return;
    }
    ch->window_bytes = bytes;
    e->window_bytes += bytes;
    e->chapters_kept++;
}

static bool drawing_stopped(const pdf_engine *e)
{
    return e->pipe && e->pipe->stop;
}

/* Whether page p is final, waiting until it is; false past the book's
 * last page or when the drawing is stopped. */
static bool page_ready(pdf_engine *e, size_t p)
{
    while (p >= e->ready_pages && !e->all_paginated && !drawing_stopped(e))
        draw_wait(e);
    return p < e->ready_pages && !drawing_stopped(e);
}

static size_t name_hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 29));
}

static void dest_last_add(pdf_engine *e, const char *name, size_t c)
{
    uint32_t *last = &e->dest_last[name_hash(name) & e->dest_mask];
    if (*last == UINT32_MAX || *last < c)
        *last = (uint32_t)c;
}

/* Where each destination name may be placed, before any is: by hash, the
 * last chapter with a block, anchor or note of that name. A name sharing
 * its hash with another only waits longer. */
static void dest_last_build(pdf_engine *e)
{
    size_t n = 0;
    for (size_t c = 0; c < e->nchapters; c++) {
        const pdf_chapter *ch = &e->chapters[c];
        for (size_t i = 0; i < ch->nblocks; i++)
            n += (ch->blocks[i].dest != NULL) +
                 (ch->blocks[i].kind == PK_TEXT ? ch->blocks[i].t.nanchors : 0);
        n += ch->nnotes;
    }
    size_t cap = 64;
    while (cap < 2 * n)
        cap *= 2;
    e->dest_last = bk_xmalloc(cap * sizeof *e->dest_last);
    memset(e->dest_last, 0xff, cap * sizeof *e->dest_last);
    e->dest_mask = cap - 1;
    for (size_t c = 0; c < e->nchapters && c < UINT32_MAX; c++) {
        const pdf_chapter *ch = &e->chapters[c];
        for (size_t i = 0; i < ch->nblocks; i++) {
            const pdf_block *b = &ch->blocks[i];
            if (b->dest)
                dest_last_add(e, b->dest, c);
            for (size_t k = 0; b->kind == PK_TEXT && k < b->t.nanchors; k++)
                dest_last_add(e, b->t.anchors[k].id, c);
        }
        for (size_t i = 0; i < ch->nnotes; i++)
            if (ch->notes[i].dest)
                dest_last_add(e, ch->notes[i].dest, c);
    }
}

/* Whether the book places a destination of that name: a link to nowhere
 * is no link. The drawing thread waits for the chapters that may place
 * it, so that the answer is the same whatever the threads' pace. */
static bool dest_exists(pdf_engine *e, const char *name)
{
    for (;;) {
        if (bk_strmap_lookup(&e->dest_page, name))
            return true;
        if (e->all_paginated || !e->dest_last || drawing_stopped(e))
            return false;
        uint32_t last = e->dest_last[name_hash(name) & e->dest_mask];
        if (last == UINT32_MAX || last < e->paginated)
            return false;
        draw_wait(e);
    }
}

/* Structure elements, those opened at the top of the tree counted: the
 * finishing pass moves the contents' to where the contents' pages go. */
static void tag_begin(pdf_engine *e, cairo_t *cr, const char *name, const char *attributes)
{
    if (e->tag_depth++ == 0)
        e->struct_top++;
    cairo_tag_begin(cr, name, attributes);
}

static void tag_end(pdf_engine *e, cairo_t *cr, const char *name)
{
    e->tag_depth--;
    cairo_tag_end(cr, name);
}

/* Open a Link structure element with its annotation over the rectangle;
 * the caller has made sure the link leads somewhere (a link to nowhere is
 * no link). */
static void link_begin(pdf_engine *e, cairo_t *cr, double x, double y, double w, double h,
                       const char *href)
{
    const char *dest = dest_of(href);
    bk_buf a = BK_BUF_INIT;
    const double rect[4] = { x, y, w, h };
    bk_buf_adds(&a, "rect=[");
    for (int k = 0; k < 4; k++) {
        bk_buf_add_fixed(&a, rect[k], 2);
        bk_buf_addc(&a, k < 3 ? ' ' : ']');
    }
    bk_buf_addc(&a, ' ');
    bk_buf_adds(&a, dest ? "dest=" : "uri=");
    if (dest)
        quote_dest(&a, dest);
    else
        quote_attr(&a, href);
    tag_begin(e, cr, CAIRO_TAG_LINK, a.ptr);
    bk_buf_release(&a);
}

/* A named destination, at its first place only (a heading's id is both
 * the block's and an anchor in it; a name twice is an invalid name tree). */
static void dest_at(pdf_engine *e, cairo_t *cr, const char *name, double x, double y)
{
    if (bk_strmap_lookup(&e->dests_drawn, name))
        return;
    bk_strmap_put(&e->dests_drawn, bk_arena_strdup(&e->draw_arena, name), 1);
    bk_buf a = BK_BUF_INIT;
    bk_buf_adds(&a, "name=");
    quote_dest(&a, name);
    bk_buf_adds(&a, " x=");
    bk_buf_add_fixed(&a, x, 2);
    bk_buf_adds(&a, " y=");
    bk_buf_add_fixed(&a, y, 2);
    cairo_tag_begin(cr, CAIRO_TAG_DEST, a.ptr);
    cairo_tag_end(cr, CAIRO_TAG_DEST);
    bk_buf_release(&a);
}

static void set_rgb(cairo_t *cr, bk_rgb c)
{
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

/* A one-off line of text (markers, running heads, page numbers). */
static PangoLayout *small_layout(pdf_engine *e, const char *text, pdf_font font, double size,
                                 bool italic)
{
    pdf_style s;
    pdf_style_base(e, &s);
    s.font = font;
    s.size = size;
    s.italic = italic;
    PangoLayout *l = pango_layout_new(e->pango);
    PangoFontDescription *fd = pdf_font_desc(e, &s);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(l, text, -1);
    return l;
}

/* A small layout laid out and measured, from the drawing's cache (with
 * the lock): list markers, the contents' numbers, running heads and feet
 * repeat from page to page, and a layout, once made, is only read. width
 * > 0: one line at most, ellipsized at the end, aligned as `align` says.
 * A new reference; the cache forgets everything past 512 layouts. */
static PangoLayout *kept_layout(pdf_engine *e, const char *text, pdf_font font, double size,
                                bool italic, double width, PangoAlignment align)
{
    bk_buf key = BK_BUF_INIT;
    bk_buf_addf(&key, "%d %.17g %d %.17g %d ", (int)font, size, (int)italic, width, (int)align);
    bk_buf_adds(&key, text);
    if (!e->small_layouts)
        e->small_layouts = g_hash_table_new_full(g_str_hash, g_str_equal, free, g_object_unref);
    PangoLayout *l = g_hash_table_lookup(e->small_layouts, key.ptr);
    if (l) {
        bk_buf_release(&key);
        e->small_reused++;
        return g_object_ref(l);
    }
    e->small_made++;
    l = small_layout(e, text, font, size, italic);
    if (width > 0) {
        pango_layout_set_width(l, (int)(width * PANGO_SCALE));
        pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
        pango_layout_set_alignment(l, align);
    }
    int w, h;
    pango_layout_get_size(l, &w, &h); /* laid out now, with the lock */
    if (g_hash_table_size(e->small_layouts) >= 512)
        g_hash_table_remove_all(e->small_layouts);
    g_hash_table_insert(e->small_layouts, bk_buf_detach(&key), g_object_ref(l));
    return l;
}

/* ==================== a page's preparation ==================== */

/* What a page's drawing asks of pango, and of the maps the main thread
 * writes as it paginates, is made first, with the lock (docs/pdf.md,
 * "Drawing beside line breaking"): the small layouts (list markers,
 * wrapped code's arrows, the contents' numbers, running heads), laid out
 * and measured, the links' x ranges, and whether their destinations
 * exist. The drawing then runs without the lock, taking it back only for
 * a line whose drawing pango measures (underline, strikethrough, a box
 * for a missing glyph): drawing a laid-out line reads its glyphs,
 * attributes and its fonts' cairo fonts, made when it was measured, and
 * nothing line breaking writes. An image is drawn from what was made
 * when it was loaded, before the drawing began (an SVG's recording, its
 * text laid out by librsvg then). */
typedef enum prep_kind { PREP_MARKER, PREP_ARROW, PREP_ENTRY } prep_kind;

typedef struct prep_layout {
    const pdf_block *block;
    prep_kind kind;
    PangoLayout *layout;    /* PREP_ENTRY: its page number, on its last piece only */
    double width, baseline; /* pt */
    bool target;            /* PREP_ENTRY: its link leads somewhere */
} prep_layout;

typedef struct prep_ranges {
    const pdf_link *link;
    size_t line;
    int *ranges; /* pango_layout_line_get_x_ranges' */
    int n;
} prep_ranges;

typedef struct page_prep {
    prep_layout *layouts;
    size_t nlayouts, caplayouts;
    prep_ranges *ranges;
    size_t nranges, capranges;
    PangoLayout *head, *foot; /* running head and foot, or NULL */
    double *leaders;          /* the contents' dot leaders: from, to, baseline */
    size_t nleaders, capleaders;
} page_prep;

static prep_layout *prep_find(const page_prep *pp, const pdf_block *b, prep_kind kind)
{
    for (size_t i = 0; i < pp->nlayouts; i++)
        if (pp->layouts[i].block == b && pp->layouts[i].kind == kind)
            return &pp->layouts[i];
    return NULL;
}

static prep_layout *prep_add(page_prep *pp, const pdf_block *b, prep_kind kind, PangoLayout *l)
{
    BK_GROW(pp->layouts, pp->caplayouts, pp->nlayouts + 1);
    prep_layout *pl = &pp->layouts[pp->nlayouts++];
    *pl = (prep_layout){ b, kind, l, 0, 0, false };
    if (l) {
        int w, h;
        pango_layout_get_size(l, &w, &h); /* laid out and measured now, with the lock */
        pl->width = (double)w / PANGO_SCALE;
        pl->baseline = (double)pango_layout_get_baseline(l) / PANGO_SCALE;
    }
    return pl;
}

static const prep_ranges *prep_ranges_of(const page_prep *pp, const pdf_link *lk, size_t line)
{
    for (size_t i = 0; i < pp->nranges; i++)
        if (pp->ranges[i].link == lk && pp->ranges[i].line == line)
            return &pp->ranges[i];
    return NULL;
}

static void prep_release(page_prep *pp)
{
    for (size_t i = 0; i < pp->nlayouts; i++)
        if (pp->layouts[i].layout)
            g_object_unref(pp->layouts[i].layout);
    free(pp->layouts);
    for (size_t i = 0; i < pp->nranges; i++)
        g_free(pp->ranges[i].ranges);
    free(pp->ranges);
    if (pp->head)
        g_object_unref(pp->head);
    if (pp->foot)
        g_object_unref(pp->foot);
    free(pp->leaders);
    memset(pp, 0, sizeof *pp);
}

/* Whether line i of a code block was wrapped (it then gets an arrow). */
static bool wrapped_code(const pdf_text *t, size_t i)
{
    const PangoLayoutLine *line = t->lines[i].pl;
    return i > 0 && line->start_index > 0 && t->text[line->start_index - 1] != '\n';
}

/* Lines [from, to) of a text: its links' destinations and ranges, a
 * wrapped code line's arrow. */
static void prep_text(pdf_engine *e, page_prep *pp, const pdf_block *b, pdf_text *t, size_t from,
                      size_t to, bool code)
{
    if (!t->layout || from >= to)
        return;
    for (size_t i = from; i < to && i < t->nlines; i++) {
        PangoLayoutLine *line = t->lines[i].pl;
        if (code && wrapped_code(t, i) && !prep_find(pp, b, PREP_ARROW))
            prep_add(pp, b, PREP_ARROW,
                     kept_layout(e, "\xE2\x86\xAA", PF_MONO, b->style.size * 0.8, false, 0, 0));
        for (size_t k = 0; k < t->nlinks; k++) {
            pdf_link *lk = &t->links[k];
            int ls = line->start_index, le = line->start_index + line->length;
            int s = lk->start > ls ? lk->start : ls, en = lk->end < le ? lk->end : le;
            if (s >= en)
                continue;
            if (!lk->target) {
                const char *dest = dest_of(lk->href);
                lk->target = !dest || dest_exists(e, dest) ? 1 : 2;
            }
            BK_GROW(pp->ranges, pp->capranges, pp->nranges + 1);
            prep_ranges *r = &pp->ranges[pp->nranges++];
            *r = (prep_ranges){ lk, i, NULL, 0 };
            pango_layout_line_get_x_ranges(line, s, en, &r->ranges, &r->n);
        }
    }
}

/* The lines of a table row's slice [row_from, row_to) in one of its cells. */
static void row_lines(const pdf_text *t, const pdf_piece *pc, size_t *from, size_t *to)
{
    size_t f = 0;
    while (f < t->nlines && 3 + t->lines[f].top < pc->row_from - 0.01)
        f++;
    size_t n = f;
    while (n < t->nlines && 3 + t->lines[n].top + t->lines[n].height <= pc->row_to + 0.01)
        n++;
    *from = f;
    *to = n;
}

static char *expand(const pdf_engine *e, const char *tpl, const pdf_page *pg);

/* A running head or foot's layout: one line, ellipsized, to the outer side. */
static PangoLayout *head_layout(pdf_engine *e, size_t page, const char *text, bool outer)
{
    if (!text || !*text)
        return NULL;
    return kept_layout(e, text, PF_BODY, e->theme.small_size, !outer, e->text_width,
                       is_recto(e, page) ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
}

/* Page p's preparation (pg: its copy), with the lock. */
static void prep_page(pdf_engine *e, const pdf_page *pg, size_t p, page_prep *pp)
{
    const pdf_chapter *ch = &e->chapters[pg->chapter];
    for (size_t i = 0; i < pg->npieces; i++) {
        const pdf_piece *pc = &pg->pieces[i];
        pdf_block *b = &ch->blocks[pc->block];
        if (b->marker && *b->marker &&
            (b->kind == PK_IMAGE || (b->kind == PK_TEXT && pc->from == 0 && b->t.nlines)))
            prep_add(pp, b, PREP_MARKER,
                     kept_layout(e, b->marker, b->style.font, b->style.size, false, 0, 0));
        if (b->kind == PK_TEXT) {
            prep_text(e, pp, b, &b->t, pc->from, pc->to, b->shaded);
            /* a contents entry: its link, its page number on its last
             * piece (the contents come last: every page is numbered) */
            long *target = b->toc_target ? bk_strmap_lookup(&e->dest_page, b->toc_target) : NULL;
            if (target) {
                char num[32];
                snprintf(num, sizeof num, "%d", e->pages[*target].number);
                prep_layout *pl = prep_add(
                    pp, b, PREP_ENTRY,
                    pc->to == b->t.nlines
                        ? kept_layout(e, num, b->style.font, b->style.size, false, 0, 0)
                        : NULL);
                pl->target = dest_exists(e, b->toc_target);
            }
        } else if (b->kind == PK_ROW) {
            for (size_t c = 0; c < b->ncells; c++) {
                size_t f, to;
                row_lines(&b->cells[c], pc, &f, &to);
                prep_text(e, pp, b, &b->cells[c], f, to, false);
            }
        }
    }
    for (size_t i = 0; i < pg->nnotes; i++) {
        pdf_block *b = &ch->notes[pg->notes[i].note];
        prep_text(e, pp, b, &b->t, pg->notes[i].from, pg->notes[i].to, false);
    }
    const bk_theme *t = &e->theme;
    if (pg->blank || (pg->front && pg->number <= 1))
        return; /* the title page and blank pages stay clean */
    bool recto = is_recto(e, p);
    if (!pg->first_of_chapter && !pg->front) {
        char *head = expand(e, recto ? t->header_recto : t->header_verso, pg);
        pp->head = head_layout(e, p, head, false);
        free(head);
    }
    char *foot = expand(e, recto ? t->footer_recto : t->footer_verso, pg);
    pp->foot = head_layout(e, p, foot, true);
    free(foot);
}

/* ==================== text ==================== */

/* Whether pango draws the line without measuring anything: no underline,
 * strikethrough, overline, background or shape, no missing glyph. */
static bool line_plain(const PangoLayoutLine *line)
{
    for (const GSList *r = line->runs; r; r = r->next) {
        const PangoGlyphItem *run = r->data;
        for (const GSList *a = run->item->analysis.extra_attrs; a; a = a->next) {
            PangoAttrType type = ((const PangoAttribute *)a->data)->klass->type;
            if (type == PANGO_ATTR_UNDERLINE || type == PANGO_ATTR_STRIKETHROUGH ||
                type == PANGO_ATTR_OVERLINE || type == PANGO_ATTR_BACKGROUND ||
                type == PANGO_ATTR_SHAPE)
                return false;
        }
        for (int g = 0; g < run->glyphs->num_glyphs; g++)
            if (run->glyphs->glyphs[g].glyph & PANGO_GLYPH_UNKNOWN_FLAG)
                return false;
    }
    return true;
}

static void draw_text_lines(pdf_engine *e, cairo_t *cr, const page_prep *pp, const pdf_block *b,
                            pdf_text *t, size_t from, size_t to, double x, double y, bool code)
{
    if (!t->layout || from >= to)
        return;
    double y0 = t->lines[from].top;
    set_rgb(cr, b->style.colour);
    for (size_t i = from; i < to && i < t->nlines; i++) {
        PangoLayoutLine *line = t->lines[i].pl;
        double top = y + t->lines[i].top - y0;
        double base = top + t->lines[i].baseline - t->lines[i].top;
        cairo_move_to(cr, x + t->lines[i].x, base);
        /* cairo 1.16 marks the content of leaf structure elements only:
         * a block with links (children) has its lines in Spans. */
        if (t->nlinks)
            tag_begin(e, cr, "Span", NULL);
        bool plain = line_plain(line);
        if (!plain)
            draw_lock(e);
        pango_cairo_show_layout_line(cr, line);
        if (!plain)
            draw_unlock(e);
        if (t->nlinks)
            tag_end(e, cr, "Span");
        const prep_layout *arrow = code && wrapped_code(t, i) ? prep_find(pp, b, PREP_ARROW) : NULL;
        if (arrow) {
            /* A wrapped line of code says so. */
            cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
            cairo_move_to(cr, x - b->style.size - 2, top);
            pango_cairo_show_layout(cr, arrow->layout);
            set_rgb(cr, b->style.colour);
        }
        /* Links on this line. */
        for (size_t k = 0; k < t->nlinks; k++) {
            const pdf_link *lk = &t->links[k];
            const prep_ranges *r = lk->target == 1 ? prep_ranges_of(pp, lk, i) : NULL;
            for (int n = 0; r && n < r->n; n++) {
                double rx = x + (double)r->ranges[2 * n] / PANGO_SCALE;
                double rw = (double)(r->ranges[2 * n + 1] - r->ranges[2 * n]) / PANGO_SCALE;
                link_begin(e, cr, rx, top, rw, t->lines[i].height, lk->href);
                tag_end(e, cr, CAIRO_TAG_LINK);
            }
        }
        /* Destinations inside this line. */
        for (size_t k = 0; k < t->nanchors; k++)
            if ((size_t)t->anchors[k].line == i)
                dest_at(e, cr, t->anchors[k].id, x + (double)t->anchors[k].x / PANGO_SCALE, top);
    }
}

/* ==================== pieces ==================== */

/* A list item's bullet or number, in the start margin, on `base`. */
static void draw_marker(cairo_t *cr, const page_prep *pp, const pdf_block *b, double x, double w,
                        double body_size, double base)
{
    const prep_layout *m = prep_find(pp, b, PREP_MARKER);
    if (!m)
        return;
    set_rgb(cr, b->style.colour);
    double mx = b->rtl ? x + w + body_size * 0.4 : x - body_size * 0.4 - m->width;
    cairo_move_to(cr, mx, base - m->baseline);
    pango_cairo_show_layout(cr, m->layout);
}

static void draw_piece(pdf_engine *e, cairo_t *cr, page_prep *pp, const pdf_chapter *ch,
                       const pdf_piece *pc, double ox, double oy)
{
    pdf_block *b = &ch->blocks[pc->block];
    double x = ox + b->left, y = oy + pc->y;
    double w = e->text_width - b->left - b->right;
    double body = e->theme.body_size;
    if (b->dest && pc->from == 0)
        dest_at(e, cr, b->dest, ox, y);
    /* Quote bars in the start margin: the right one for right-to-left. */
    for (int q = 0; q < b->quote_depth; q++) {
        double off = body * 0.9 + q * body * 1.5;
        double bx = b->rtl ? x + w + off : x - off;
        set_rgb(cr, e->theme.quote_bar);
        cairo_set_line_width(cr, 1.5);
        cairo_move_to(cr, bx, y);
        cairo_line_to(cr, bx, y + pc->height);
        cairo_stroke(cr);
    }
    switch (b->kind) {
    case PK_TEXT: {
        bool code = b->shaded;
        double tx = x;
        if (code) {
            set_rgb(cr, e->theme.code_background);
            cairo_rectangle(cr, x, y - 2, w, pc->height + 4);
            cairo_fill(cr);
            tx = x + 6 + b->style.size;
        }
        tag_begin(e, cr, b->tag, NULL);
        /* A contents entry: its text, leaders and number are the link
         * (TOCI > Link), the annotation over the whole entry. */
        const prep_layout *entry = b->toc_target ? prep_find(pp, b, PREP_ENTRY) : NULL;
        const prep_layout *number = entry && entry->layout ? entry : NULL;
        bool toc_link = entry && entry->target;
        if (toc_link) {
            char *href = g_strconcat("#", b->toc_target, NULL);
            link_begin(e, cr, ox, y, e->text_width, pc->height, href);
            g_free(href);
        }
        if (b->marker && pc->from == 0 && b->t.nlines && *b->marker) {
            if (b->t.nlinks) /* the item has children: its marker is one (Lbl) */
                tag_begin(e, cr, "Lbl", NULL);
            draw_marker(cr, pp, b, x, w, body, y + b->t.lines[0].baseline - b->t.lines[0].top);
            if (b->t.nlinks)
                tag_end(e, cr, "Lbl");
        }
        draw_text_lines(e, cr, pp, b, &b->t, pc->from, pc->to, tx, y, code);
        if (number) {
            /* Dot leaders and the page number, on the entry's last line. */
            const pdf_line *last = &b->t.lines[b->t.nlines - 1];
            double top = y + last->top - b->t.lines[pc->from].top;
            double base = top + last->baseline - last->top;
            double nx = ox + e->text_width - number->width;
            set_rgb(cr, b->style.colour);
            cairo_move_to(cr, nx, base - number->baseline);
            pango_cairo_show_layout(cr, number->layout);
            double dots_from = tx + last->x + last->width + 6, dots_to = nx - 6;
            if (dots_to - 2 > dots_from) { /* drawn with the page's others (leaders) */
                BK_GROW(pp->leaders, pp->capleaders, pp->nleaders + 3);
                pp->leaders[pp->nleaders++] = dots_from;
                pp->leaders[pp->nleaders++] = dots_to;
                pp->leaders[pp->nleaders++] = base;
            }
        }
        if (toc_link)
            tag_end(e, cr, CAIRO_TAG_LINK);
        tag_end(e, cr, b->tag);
        break;
    }
    case PK_IMAGE: {
        double ix = x + (w - b->img_w) / 2;
        if (b->marker && *b->marker) { /* a list item that opens with a picture */
            tag_begin(e, cr, "Lbl", NULL);
            draw_marker(cr, pp, b, x, w, body, y + b->style.size);
            tag_end(e, cr, "Lbl");
        }
        tag_begin(e, cr, "Figure", NULL);
        BK_GROW(e->alts, e->capalts, e->nalts + 1);
        /* kept past the chapter's boxes, freed once it is drawn */
        e->alts[e->nalts++] = b->alt ? bk_arena_strdup(&e->draw_arena, b->alt) : "";
        /* without the lock: an image is drawn from what was made when it
         * was loaded (an SVG's recording, librsvg's text laid out then) */
        bk_pdf_image_draw(b->image, cr, ix, y, b->img_w, b->img_h);
        tag_end(e, cr, "Figure");
        break;
    }
    case PK_RULE:
        set_rgb(cr, e->theme.rule);
        cairo_set_line_width(cr, 0.5);
        cairo_move_to(cr, x + w / 3, y + 0.5);
        cairo_line_to(cr, x + 2 * w / 3, y + 0.5);
        cairo_stroke(cr);
        break;
    case PK_ROW: {
        tag_begin(e, cr, "TR", NULL);
        for (size_t c = 0; c < b->ncells; c++) {
            tag_begin(e, cr, b->header_row ? "TH" : "TD", NULL);
            pdf_text *t = &b->cells[c];
            /* The lines of this slice of the row (all of it, mostly). */
            size_t f, to;
            row_lines(t, pc, &f, &to);
            if (to > f)
                draw_text_lines(e, cr, pp, b, t, f, to, x + b->col_x[c] + 4,
                                y + 3 + t->lines[f].top - pc->row_from, false);
            tag_end(e, cr, b->header_row ? "TH" : "TD");
        }
        tag_end(e, cr, "TR");
        set_rgb(cr, e->theme.rule);
        cairo_set_line_width(cr, b->first_row || b->header_row || b->last_row ? 0.8 : 0.3);
        if (b->first_row && pc->row_from == 0) {
            cairo_move_to(cr, x, y);
            cairo_line_to(cr, x + w, y);
        }
        cairo_move_to(cr, x, y + pc->height);
        cairo_line_to(cr, x + w, y + pc->height);
        cairo_stroke(cr);
        break;
    }
    case PK_BREAK:
        break;
    }
}

/* The contents' dot leaders of a page: one stroke of dashes 0.8 pt long
 * and across, every 5 pt from the right, a subpath per entry (the dashes
 * start again at each), outside the entries' structure elements
 * (artifacts, as decoration is). cairo measures a stroke by turning it
 * into a polygon, twice (to record it, to analyse the page): round caps
 * made each dot a polygon of its own, and a stroke per entry paid cairo's
 * costs per operation each time; together half the contents' drawing. */
static void draw_leaders(const pdf_engine *e, cairo_t *cr, const page_prep *pp)
{
    if (!pp->nleaders)
        return;
    static const double dots[] = { 0.8, 4.2 };
    cairo_save(cr);
    set_rgb(cr, e->theme.muted);
    cairo_set_line_width(cr, 0.8);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_set_dash(cr, dots, 2, 0);
    for (size_t i = 0; i + 2 < pp->nleaders; i += 3) {
        double from = pp->leaders[i], to = pp->leaders[i + 1], base = pp->leaders[i + 2];
        int ndots = (int)ceil((to - 2 - from) / 5);
        /* each dot centred where the round one was: every 5 pt from to - 2 */
        cairo_move_to(cr, to - 1.6, base - 0.6);
        cairo_line_to(cr, to - 2.4 - 5.0 * (ndots - 1), base - 0.6);
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* Footnotes at the foot of the page, under a short rule. */
static void draw_notes(pdf_engine *e, cairo_t *cr, const page_prep *pp, const pdf_page *pg,
                       double ox, double oy)
{
    if (!pg->nnotes)
        return;
    const pdf_chapter *ch = &e->chapters[pg->chapter];
    double y = oy + e->text_height - pg->notes_height;
    set_rgb(cr, e->theme.rule);
    cairo_set_line_width(cr, 0.5);
    cairo_move_to(cr, ox, y + 3);
    /* a note continued from the page before: the rule runs the full
     * measure, as in TeX */
    cairo_line_to(cr, ox + (pg->notes_continued ? e->text_width : e->text_width / 4), y + 3);
    cairo_stroke(cr);
    y += NOTE_SEP;
    for (size_t i = 0; i < pg->nnotes; i++) {
        const pdf_notepiece *np = &pg->notes[i];
        pdf_block *b = &ch->notes[np->note];
        if (b->dest && np->from == 0)
            dest_at(e, cr, b->dest, ox, y);
        tag_begin(e, cr, "Note", NULL);
        draw_text_lines(e, cr, pp, b, &b->t, np->from, np->to, ox + b->left, y, false);
        tag_end(e, cr, "Note");
        y += pdf_lines_height(&b->t, np->from, np->to) + NOTE_GAP;
    }
}

/* ==================== running heads and numbers ==================== */

static char *roman(int n)
{
    static const struct {
        int v;
        const char *s;
    } r[] = { { 1000, "m" }, { 900, "cm" }, { 500, "d" }, { 400, "cd" }, { 100, "c" },
              { 90, "xc" },  { 50, "l" },   { 40, "xl" }, { 10, "x" },   { 9, "ix" },
              { 5, "v" },    { 4, "iv" },   { 1, "i" } };
    bk_buf b = BK_BUF_INIT;
    for (size_t i = 0; i < BK_ARRAY_LEN(r); i++)
        while (n >= r[i].v) {
            bk_buf_adds(&b, r[i].s);
            n -= r[i].v;
        }
    return bk_buf_detach(&b);
}

static char *page_label(const pdf_page *pg)
{
    return pg->front ? roman(pg->number) : g_strdup_printf("%d", pg->number);
}

static char *expand(const pdf_engine *e, const char *tpl, const pdf_page *pg)
{
    bk_buf b = BK_BUF_INIT;
    const pdf_chapter *ch = &e->chapters[pg->chapter];
    for (const char *p = tpl; p && *p; p++) {
        if (strncmp(p, "{book}", 6) == 0) {
            bk_buf_adds(&b, e->book->meta.title);
            p += 5;
        } else if (strncmp(p, "{chapter}", 9) == 0) {
            bk_buf_adds(&b, ch->running_title ? ch->running_title : "");
            p += 8;
        } else if (strncmp(p, "{page}", 6) == 0) {
            char *l = page_label(pg);
            bk_buf_adds(&b, l);
            free(l);
            p += 5;
        } else if (strncmp(p, "{part}", 6) == 0) {
            long part = ch->post >= 0 ? e->book->posts[ch->post]->part : -1;
            if (part >= 0)
                bk_buf_adds(&b, e->book->parts[part].title);
            p += 5;
        } else {
            bk_buf_addc(&b, *p);
        }
    }
    char *r = bk_buf_detach(&b);
    return r;
}

/* The running head and foot made by prep_page. */
static void draw_furniture(pdf_engine *e, cairo_t *cr, const page_prep *pp, size_t page)
{
    const bk_theme *t = &e->theme;
    if (pp->head) {
        set_rgb(cr, t->muted);
        cairo_move_to(cr, left_margin(e, page), t->margin_top - t->small_size * 2.6);
        pango_cairo_show_layout(cr, pp->head);
    }
    if (pp->foot) {
        set_rgb(cr, t->muted);
        cairo_move_to(cr, left_margin(e, page), t->page_height - t->margin_bottom + t->small_size * 1.6);
        pango_cairo_show_layout(cr, pp->foot);
    }
}

/* ==================== the document ==================== */

/* cairo's PDF goes to a temporary file next to the output (removed at the
 * end, and by the signal handler), not to memory: a 10,000-post book is
 * over 100 MiB, and the finishing pass reads it through a mapping whose
 * pages it gives back as it goes. */
typedef struct raw_sink {
    bk_outfile *f;
    bk_diags *diags;
    bk_buf pending;  /* cairo writes in small pieces: one system call a MiB */
    bool failed;
    /* for the finishing of the file as it grows (early_pump) */
    pthread_mutex_t lock;
    pthread_cond_t grew;
    size_t written; /* bytes in the file */
    bool drawn;     /* every page drawn: cairo finishes the file */
    bool handed;    /* the main thread has handed the finishing to the drawing thread */
    bool closed;    /* nothing more comes */
} raw_sink;

static bool raw_flush(raw_sink *r)
{
    if (!r->failed && r->pending.len && bk_outfile_write(r->f, r->pending.ptr, r->pending.len, r->diags) < 0)
        r->failed = true;
    pthread_mutex_lock(&r->lock);
    if (!r->failed)
        r->written += r->pending.len;
    pthread_cond_broadcast(&r->grew);
    pthread_mutex_unlock(&r->lock);
    bk_buf_reset(&r->pending);
    return !r->failed;
}

static void raw_close(raw_sink *r)
{
    pthread_mutex_lock(&r->lock);
    r->closed = true;
    pthread_cond_broadcast(&r->grew);
    pthread_mutex_unlock(&r->lock);
}

static cairo_status_t collect(void *closure, const unsigned char *data, unsigned int len)
{
    raw_sink *r = closure;
    bk_buf_add(&r->pending, data, len);
    if (r->pending.len >= ((size_t)1 << 20) && !raw_flush(r))
        return CAIRO_STATUS_WRITE_ERROR;
    return r->failed ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* A bookmark to make: a part's (at the top, open), a chapter's (under
 * the open part, or at the top: the front matter, a post outside any
 * part, which also closes the part), or a section's (under the chapter's). */
typedef enum { OL_PART, OL_CHAPTER, OL_CHAPTER_TOP, OL_CHAPTER_ENDS_PART, OL_SECTION } outline_kind;

typedef struct outline_item {
    outline_kind kind;
    const char *title; /* the heading block's: lives until its chapter is released */
    char *dest;        /* the "dest=..." attribute */
} outline_item;

typedef struct outline_list {
    outline_item *v;
    size_t len, cap;
} outline_list;

/* The bookmarks of chapters [from, to), to make in this order (with the
 * lock: a destination's chapter may not be placed yet). */
static void outline_collect(pdf_engine *e, size_t from, size_t to, outline_list *out)
{
    for (size_t c = from; c < to; c++) {
        pdf_chapter *ch = &e->chapters[c];
        bool have_chapter = false;
        for (size_t i = 0; i < ch->nblocks; i++) {
            pdf_block *b = &ch->blocks[i];
            if (!b->heading || !b->dest || !dest_exists(e, b->dest))
                continue;
            outline_kind k;
            if (ch->part >= 0 && i == 0) {
                k = OL_PART;
            } else if (b->heading == 1 || !have_chapter) {
                k = ch->post < 0                                 ? OL_CHAPTER_TOP
                    : e->book->posts[ch->post]->part < 0 ? OL_CHAPTER_ENDS_PART
                                                                 : OL_CHAPTER;
                have_chapter = true;
            } else if (b->heading == 2) {
                k = OL_SECTION;
            } else {
                continue;
            }
            bk_buf a = BK_BUF_INIT;
            bk_buf_adds(&a, "dest=");
            quote_dest(&a, b->dest);
            BK_GROW(out->v, out->cap, out->len + 1);
            out->v[out->len++] = (outline_item){ k, b->outline_title, bk_buf_detach(&a) };
        }
    }
}

/* The bookmarks made, in order (no lock: cairo's surface is the drawing
 * thread's); *part_id is the open part's entry, carried from one call to
 * the next. The list is emptied. */
static void outline_emit(cairo_surface_t *s, outline_list *l, int *part_id)
{
    int chapter_id = -1;
    for (size_t i = 0; i < l->len; i++) {
        const outline_item *it = &l->v[i];
        switch (it->kind) {
        case OL_PART:
            *part_id = cairo_pdf_surface_add_outline(s, CAIRO_PDF_OUTLINE_ROOT, it->title, it->dest,
                                                     CAIRO_PDF_OUTLINE_FLAG_OPEN);
            break;
        case OL_CHAPTER_ENDS_PART:
            *part_id = CAIRO_PDF_OUTLINE_ROOT;
            /* fall through */
        case OL_CHAPTER:
        case OL_CHAPTER_TOP:
            chapter_id = cairo_pdf_surface_add_outline(
                s, it->kind == OL_CHAPTER_TOP ? CAIRO_PDF_OUTLINE_ROOT : *part_id, it->title,
                it->dest, 0);
            break;
        case OL_SECTION:
            cairo_pdf_surface_add_outline(s, chapter_id, it->title, it->dest, 0);
            break;
        }
        free(it->dest);
    }
    l->len = 0;
}

/* The bookmarks of chapters [from, to), made as soon as their pages are
 * drawn (their boxes go right after). */
static void add_outline(pdf_engine *e, cairo_surface_t *s, size_t from, size_t to, int *part_id_io)
{
    outline_list l = { NULL, 0, 0 };
    outline_collect(e, from, to, &l);
    outline_emit(s, &l, part_id_io);
    free(l.v);
}

static void iso_date(int64_t t, char out[32])
{
    bk_date d = bk_date_from_epoch(t);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d", d.year, d.month, d.day, d.hour, d.minute,
             d.second);
}

/* The finished PDF goes straight to the output's temporary file. */
typedef struct out_sink {
    bk_outfile *f;
    bk_diags *diags;
} out_sink;

static int sink_write(void *ctx, const void *data, size_t len)
{
    out_sink *s = ctx;
    return bk_outfile_write(s->f, data, len, s->diags);
}

/* cairo's document: its temporary file, surface and context, opened
 * before the first page is final. The drawing keeps its own diagnostics
 * (a failed write), merged once it is done. */
typedef struct pdf_drawing {
    pdf_engine *e;
    bk_outfile rawf;
    raw_sink raw;
    cairo_surface_t *s;
    cairo_t *cr;
    cairo_status_t status; /* cairo's, once finished (s is then NULL) */
    bk_diags diags;
    bool relaid_same;
    /* the output, opened early when cairo's file is finished as it is
     * written (early_pump) */
    bk_outfile out;
    out_sink sink;
    bk_diags early_diags;
    bool out_open, out_failed;
    pdf_early *early;
    size_t early_seen;         /* of cairo's file, handed to early */
    bool early_reading, early_told;
    /* the contents, drawn last: where their pages and structure go */
    size_t pages_at, pages_moved, struct_at, struct_moved;
} pdf_drawing;

static int draw_open(pdf_engine *e, pdf_drawing *dr, const char *path, int64_t epoch)
{
    const bk_theme *t = &e->theme;
    memset(dr, 0, sizeof *dr);
    dr->e = e;
    dr->diags.strict = e->diags->strict;
    dr->early_diags.strict = e->diags->strict;
    dr->relaid_same = true;
    if (bk_outfile_open(&dr->rawf, path, e->diags) < 0)
        return -1;
    dr->raw = (raw_sink){ &dr->rawf, &dr->diags, BK_BUF_INIT, false, PTHREAD_MUTEX_INITIALIZER,
                          PTHREAD_COND_INITIALIZER, 0, false, false, false };
    dr->out.fd = -1;
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(collect, &dr->raw, t->page_width,
                                                             t->page_height);
    dr->s = s;
    cairo_pdf_surface_restrict_to_version(s, CAIRO_PDF_VERSION_1_5);
    const bk_meta *m = &e->book->meta;
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, m->title);
    if (m->author)
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_AUTHOR, m->author);
    if (m->description)
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_SUBJECT, m->description);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "bookify " BK_VERSION);
    char date[32];
    iso_date(epoch, date);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, date);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_MOD_DATE, date);
    bk_buf kw = BK_BUF_INIT;
    for (size_t i = 0; i < e->book->nposts && kw.len < 200; i++)
        for (size_t k = 0; k < e->book->posts[i]->categories.len; k++)
            if (!strstr(kw.ptr, e->book->posts[i]->categories.v[k]))
                bk_buf_addf(&kw, "%s%s", kw.len ? ", " : "", e->book->posts[i]->categories.v[k]);
    if (kw.len)
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_KEYWORDS, kw.ptr);
    bk_buf_release(&kw);
    dr->cr = cairo_create(s);
    return 0;
}

/* A page on its way to cairo: what drawing it needs, prepared with the
 * lock (page_begin), drawn without it (page_draw), released with it
 * (page_end). */
typedef struct page_job {
    pdf_page page; /* a copy: the pages may move (grow) while a link waits
                    * for its destination's chapter */
    size_t p;
    char *label;   /* the page label of the book's page `slot`, which is
                    * where the finishing pass puts this one */
    page_prep pp;
    bool last;     /* its chapter's last page */
    bool ends;     /* ... known as the batch was prepared: its bookmarks */
    outline_list outline; /* made right after it is drawn */
} page_job;

static void page_begin(pdf_drawing *dr, size_t p, size_t slot, page_job *j)
{
    pdf_engine *e = dr->e;
    j->page = e->pages[p];
    j->p = p;
    const pdf_page *pg = &j->page;
    if (e->chapters[pg->chapter].glyphs_dropped && (p == 0 || e->pages[p - 1].chapter != pg->chapter))
        dr->relaid_same = pdf_chapter_relayout(e, pg->chapter) && dr->relaid_same;
    j->label = page_label(&e->pages[slot]);
    j->pp = (page_prep){ 0 };
    prep_page(e, pg, p, &j->pp);
    /* The pages ready end with a chapter's last. */
    j->last = pg->chapter != e->toc &&
              (p + 1 >= e->ready_pages || e->pages[p + 1].chapter != pg->chapter);
    j->ends = false;
    j->outline = (outline_list){ NULL, 0, 0 };
}

/* Without the lock, beside the main thread's line breaking. */
static void page_draw(pdf_drawing *dr, page_job *j)
{
    pdf_engine *e = dr->e;
    cairo_t *cr = dr->cr;
    const pdf_page *pg = &j->page;
    size_t p = j->p;
    cairo_pdf_surface_set_page_label(dr->s, j->label);
    double ox = left_margin(e, p), oy = e->theme.margin_top;
    const pdf_chapter *ch = &e->chapters[pg->chapter];
    /* The paper, painted first. cairo's analysis of a page unions every
     * operation's extents into the region it draws natively; begun
     * with the whole page, each union is a containment test, where it
     * grew with the page's operations (a tenth of the PDF's time). */
    cairo_save(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_restore(cr);
    /* Runs of list items and of table rows get their L and Table
     * structure elements around them. */
    const char *open_group = NULL;
    for (size_t i = 0; i < pg->npieces; i++) {
        const char *tag = ch->blocks[pg->pieces[i].block].tag;
        const char *group = strcmp(tag, "LI") == 0     ? "L"
                            : strcmp(tag, "TR") == 0   ? "Table"
                            : strcmp(tag, "TOCI") == 0 ? "TOC"
                                                       : NULL;
        if (open_group && (!group || strcmp(group, open_group) != 0)) {
            tag_end(e, cr, open_group);
            open_group = NULL;
        }
        if (group && !open_group) {
            tag_begin(e, cr, group, NULL);
            open_group = group;
        }
        draw_piece(e, cr, &j->pp, ch, &pg->pieces[i], ox, oy);
    }
    if (open_group)
        tag_end(e, cr, open_group);
    draw_leaders(e, cr, &j->pp);
    draw_notes(e, cr, &j->pp, pg, ox, oy);
    draw_furniture(e, cr, &j->pp, p);
    /* cairo makes the page's PDF, most of the drawing's time (reading only
     * the head of a CFF font's table to check it: ftfaces.c) */
    pdf_cff_heads_only(true);
    cairo_show_page(cr);
    pdf_cff_heads_only(false);
    /* A chapter's layouts freed as soon as its last page is drawn, still
     * without the lock: nothing but the atomic reference counts of the
     * context and the fonts is shared, and no font is finalized here
     * (pdf_hold_fonts keeps a reference to each). */
    if (j->last)
        pdf_chapter_drop_layouts(e, pg->chapter);
}

static void page_end(page_job *j)
{
    prep_release(&j->pp);
    free(j->label);
    j->label = NULL;
    free(j->outline.v);
}

/* Pages prepared at once by the drawing thread (draw_pages). */
#define DRAW_BATCH 32

/* Page p, as cairo's page `slot`, alone (with the lock, as it returns). */
static void draw_page(pdf_drawing *dr, size_t p, size_t slot)
{
    page_job j;
    page_begin(dr, p, slot, &j);
    draw_unlock(dr->e);
    page_draw(dr, &j);
    draw_lock(dr->e);
    page_end(&j);
}

/* Where the drawing stands with chapters: bookmarks made for those
 * before `outlined`, boxes freed for those before `released`. */
typedef struct chapter_cursor {
    size_t outlined, released, drawn;
    int part_id; /* the open part's bookmark */
} chapter_cursor;

/* Chapter c's pages are drawn, and its bookmarks made (those of the
 * chapters before it too, the contents' among them): its layouts and
 * boxes freed; the contents' stay until they are drawn, last. */
static void chapter_done(pdf_drawing *dr, size_t c, chapter_cursor *cc)
{
    pdf_engine *e = dr->e;
    pdf_chapter_drop_layouts(e, c);
    e->window_bytes -= e->chapters[c].window_bytes;
    e->chapters[c].window_bytes = 0;
    if (e->pipe)
        pthread_cond_broadcast(&e->pipe->drawn);
    /* Its bookmarks made, nothing reads its boxes again. */
    for (; cc->released <= c; cc->released++)
        if (cc->released != e->toc)
            pdf_chapter_release(e, cc->released);
    /* The chapters' layouts come and go while cairo's records grow: give
     * the freed pages back now and then, or a long book's peak holds them
     * all. */
    if (++cc->drawn % 256 == 0)
        bk_mem_trim();
}

/* Chapter c's pages are drawn: its bookmarks made now, then as above. */
static void chapter_drawn(pdf_drawing *dr, size_t c, chapter_cursor *cc)
{
    add_outline(dr->e, dr->s, cc->outlined, c + 1, &cc->part_id);
    cc->outlined = c + 1;
    chapter_done(dr, c, cc);
}

static void early_pump(pdf_drawing *dr, bool until_drawn);

/* cairo's file finished: its fonts, structure tree, page tree and cross-
 * reference table written, and flushed. */
static void draw_finish_cairo(pdf_drawing *dr)
{
    cairo_destroy(dr->cr);
    dr->cr = NULL;
    pdf_cairo_zlib_begin(); /* its font subsets left stored (cairozlib.c) */
    pdf_cff_subsets_only(true); /* CFF tables read for the glyphs drawn (ftfaces.c) */
    cairo_surface_finish(dr->s);
    pdf_cff_subsets_only(false);
    pdf_cairo_zlib_end();
    dr->status = cairo_surface_status(dr->s);
    cairo_surface_destroy(dr->s);
    dr->s = NULL;
    if (!raw_flush(&dr->raw) && dr->status == CAIRO_STATUS_SUCCESS)
        dr->status = CAIRO_STATUS_WRITE_ERROR;
}

/* Every page, as each becomes final, except the contents: they need every
 * page's number and come last (the finishing pass puts them back in
 * their place). On the drawing thread, or after pagination. */
static void *draw_pages(void *arg)
{
    pdf_drawing *dr = arg;
    pdf_engine *e = dr->e;
    size_t slot = 0;
    size_t toc_from = SIZE_MAX, toc_to = 0;
    chapter_cursor cc = { 0, 0, 0, CAIRO_PDF_OUTLINE_ROOT };
    page_job batch[DRAW_BATCH];
    draw_lock(e);
    for (size_t p = 0; page_ready(e, p);) {
        /* The pages ready, up to DRAW_BATCH of them, prepared under one
         * taking of the lock and drawn without it: every taking made the
         * main thread wait, and a page's preparing is short. */
        size_t n = 0, first = p;
        for (; n < DRAW_BATCH && p < e->ready_pages && !drawing_stopped(e); p++) {
            if (e->pages[p].chapter == e->toc)
                break;
            page_begin(dr, p, slot++, &batch[n++]);
        }
        if (n == 0) { /* a page of the contents: drawn last */
            if (toc_from == SIZE_MAX) {
                toc_from = p;
                dr->struct_at = e->struct_top; /* every page before it is drawn */
            }
            toc_to = ++p;
            continue;
        }
        /* A chapter that ends inside the batch has its bookmarks made
         * right after its last page, as when pages are drawn one by one
         * (cairo numbers its objects in the order they come). */
        for (size_t i = 0; i + 1 < n; i++) {
            size_t c = batch[i].page.chapter;
            batch[i].ends = batch[i + 1].page.chapter != c;
            if (batch[i].ends) {
                outline_collect(e, cc.outlined, c + 1, &batch[i].outline);
                cc.outlined = c + 1;
            }
        }
        e->batches++;
        e->batched += n;
        draw_unlock(e);
        for (size_t i = 0; i < n; i++) {
            page_draw(dr, &batch[i]);
            outline_emit(dr->s, &batch[i].outline, &cc.part_id);
        }
        draw_lock(e);
        for (size_t i = 0; i < n; i++) {
            page_end(&batch[i]);
            size_t c = batch[i].page.chapter;
            if (batch[i].ends)
                chapter_done(dr, c, &cc);
            else if (i + 1 == n && (!page_ready(e, first + n) || e->pages[first + n].chapter != c))
                chapter_drawn(dr, c, &cc);
        }
    }
    if (toc_from != SIZE_MAX && !drawing_stopped(e)) {
        size_t top = e->struct_top;
        for (size_t p = toc_from; p < toc_to; p++)
            draw_page(dr, p, slot++);
        dr->pages_at = toc_from;
        dr->pages_moved = toc_to - toc_from;
        dr->struct_moved = e->struct_top - top;
        pdf_chapter_drop_layouts(e, e->toc);
    }
    add_outline(e, dr->s, cc.outlined, e->nchapters, &cc.part_id);
    /* the shapings this thread keeps (shapecache.c) go with it */
    if (e->pipe)
        pdf_shape_cache_release();
    draw_unlock(e);
    /* Drawn on its own thread: the main thread, which finished what cairo
     * wrote so far, has cairo finish its file (on the thread whose heap
     * has the memory for it), and this one finishes what cairo writes
     * meanwhile (early_pump). */
    if (e->pipe) {
        raw_sink *r = &dr->raw;
        pthread_mutex_lock(&r->lock);
        r->drawn = true;
        pthread_cond_broadcast(&r->grew);
        while (!r->handed && !r->closed)
            pthread_cond_wait(&r->grew, &r->lock);
        bool pump = r->handed;
        pthread_mutex_unlock(&r->lock);
        if (pump && dr->early)
            early_pump(dr, false);
    }
    return NULL;
}

/* What the finishing pass needs to know of the drawing, once it is done. */
static pdf_finish_info finish_info(const pdf_drawing *dr)
{
    const pdf_engine *e = dr->e;
    return (pdf_finish_info){ .lang = e->book->meta.lang,
                              .alts = e->alts,
                              .nalts = e->nalts,
                              .mapped = true,
                              .pages_at = dr->pages_at,
                              .pages_moved = dr->pages_moved,
                              .npages = e->npages,
                              .struct_at = dr->struct_at,
                              .struct_moved = dr->struct_moved,
                              .nstruct = e->struct_top };
}

/* Finishing cairo's file as it is written (finish.c, pdf_early): once
 * every page is final, the main thread finishes what cairo has written
 * while the drawing thread draws the last pages and the contents; then
 * the main thread has cairo finish its file while the drawing thread
 * finishes what cairo writes meanwhile. pdf_finish_to then checks it all
 * and writes the cross-reference table. BOOKIFY_NO_EARLY_FINISH=1 leaves
 * it all to pdf_finish_to (the same bytes: e2e.pipeline). */
static void early_open(pdf_drawing *dr, const char *path)
{
    static int off_state;
    if (bk_env_on("BOOKIFY_NO_EARLY_FINISH", &off_state))
        return;
    if (bk_outfile_open(&dr->out, path, dr->e->diags) < 0) {
        dr->out.fd = -1;
        dr->out_failed = true; /* said once */
        return;
    }
    bk_outfile_write_back(&dr->out);
    dr->out_open = true;
    /* diagnostics of its own: written from either thread, in turn */
    dr->sink = (out_sink){ &dr->out, &dr->early_diags };
    dr->early = pdf_early_new(sink_write, &dr->sink);
    dr->early_reading = true;
}

/* cairo's file handed to pdf_early as it grows, until every page is drawn
 * (until_drawn) or until cairo's file is closed. */
static void early_pump(pdf_drawing *dr, bool until_drawn)
{
    raw_sink *r = &dr->raw;
    const size_t chunk = (size_t)4 << 20;
    char *buf = dr->early ? bk_xmalloc(chunk) : NULL;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        while ((!dr->early_reading || r->written == dr->early_seen) &&
               (dr->early_told || !r->drawn) && !r->closed)
            pthread_cond_wait(&r->grew, &r->lock);
        size_t upto = r->written;
        bool drawn = r->drawn, closed = r->closed;
        pthread_mutex_unlock(&r->lock);
        if (drawn && !dr->early_told) {
            /* the drawing thread's last word: the finishing's info is final */
            pdf_finish_info info = finish_info(dr);
            if (dr->early)
                pdf_early_info(dr->early, &info);
            dr->early_told = true;
        }
        while (dr->early && dr->early_reading && dr->early_seen < upto) {
            size_t n = upto - dr->early_seen < chunk ? upto - dr->early_seen : chunk;
            ssize_t got = pread(dr->rawf.fd, buf, n, (off_t)dr->early_seen);
            dr->early_reading = got > 0; /* if not, the rest is left to pdf_finish_to */
            if (dr->early_reading) {
                pdf_early_feed(dr->early, buf, (size_t)got);
                dr->early_seen += (size_t)got;
            }
        }
        if (closed || (until_drawn && drawn))
            break;
    }
    free(buf);
}

/* The drawing ends: cairo's file closed, finished into the output. */
static int draw_close(pdf_drawing *dr, const char *path)
{
    pdf_engine *e = dr->e;
    bk_diags_merge(e->diags, &dr->diags);
    if (!dr->relaid_same)
        bk_warn(e->diags, (bk_loc){ NULL, 0, 0 },
                "bookify bug: a chapter laid out again before drawing came out different; "
                "please report it with the book");
    if (dr->s) /* not finished beside the drawing thread */
        draw_finish_cairo(dr);
    pdf_time("cairo");
    cairo_status_t st = dr->status;
    bk_diags_merge(e->diags, &dr->diags);
    bk_diags_merge(e->diags, &dr->early_diags);
    bk_buf_release(&dr->raw.pending);
    bk_diags_merge(e->diags, &dr->diags);
    /* cairo's own records of the pages are freed: give them back before
     * the finishing pass maps the file. */
    bk_mem_trim();
    int rc = -1;
    bk_outfile *f = &dr->out;
    struct stat rst;
    void *map = MAP_FAILED;
    if (st != CAIRO_STATUS_SUCCESS) {
        if (st != CAIRO_STATUS_WRITE_ERROR) /* a write error is reported already */
            bk_error(e->diags, (bk_loc){ NULL, 0, 0 }, "cannot draw the PDF: %s",
                     cairo_status_to_string(st));
        goto written;
    }
    if (fstat(dr->rawf.fd, &rst) < 0 || rst.st_size <= 0 ||
        (map = mmap(NULL, (size_t)rst.st_size, PROT_READ, MAP_PRIVATE, dr->rawf.fd, 0)) ==
            MAP_FAILED) {
        bk_error(e->diags, (bk_loc){ path, 0, 0 }, "cannot read back the PDF being written: %s",
                 strerror(errno));
        goto written;
    }
    bk_buf in = { map, (size_t)rst.st_size, 0 };
    bk_buf *out = &in;
    /* What cairo cannot say: artifacts, figures' alternative text, the
     * document's language, the contents in their place; written to the
     * output as it is made. */
    pdf_finish_info info = finish_info(dr);
    if (getenv("BOOKIFY_TIMES")) {
        size_t hits, misses;
        pdf_shape_cache_stats(&hits, &misses);
        fprintf(stderr, "pdf: %zu numbers formatted by bookify rather than printf\n",
                bk_numfmt_count());
        fprintf(stderr, "pdf: %zu of pango's font matches and sorts run in place, not on a thread\n",
                bk_fcthread_count());
        fprintf(stderr, "pdf: %zu text runs shaped by HarfBuzz, %zu cut from a shaping\n", misses,
                hits);
        fprintf(stderr, "pdf: %zu table cells measured, %zu of them laid out by that alone\n",
                e->cells_measured, e->cells_kept);
        fprintf(stderr, "pdf: %zu font files' faces kept open for cairo\n", pdf_kept_faces());
        fprintf(stderr, "pdf: %zu CFF tables read in part for cairo's check\n", pdf_cff_heads());
        size_t tables, read, whole;
        pdf_cff_parts(&tables, &read, &whole);
        fprintf(stderr, "pdf: %zu CFF tables read for the glyphs drawn: %zu of %zu KiB\n", tables,
                read >> 10, whole >> 10);
        fprintf(stderr, "pdf: %u fonts held while drawn chapters were freed without the lock\n",
                e->fonts_held ? g_hash_table_size(e->fonts_held) : 0);
        fprintf(stderr, "pdf: %zu small layouts made for the drawing, %zu reused\n", e->small_made,
                e->small_reused);
        fprintf(stderr, "pdf: %zu pages prepared for the drawing in %zu takings of the lock\n",
                e->batched, e->batches);
        fprintf(stderr, "pdf: %zu of cairo's streams left stored for the finishing pass\n",
                pdf_cairo_zlib_count());
    }
    if (!dr->out_open && (dr->out_failed || bk_outfile_open(f, path, e->diags) < 0))
        goto written;
    bk_outfile_write_back(f);
    dr->out_open = true;
    out_sink sink = { f, e->diags };
    int fr = pdf_finish_to(out, &info, dr->early, sink_write, &sink);
    /* what was finished early is not what this pass makes: all again */
    if (fr == -3)
        fr = bk_outfile_rewind(f, e->diags) < 0 ? -2 : pdf_finish_to(out, &info, NULL, sink_write, &sink);
    if (getenv("BOOKIFY_TIMES") && fr == 0)
        fprintf(stderr, "pdf: %zu of cairo's %zu objects finished as it wrote them\n", info.early_taken,
                info.objects);
    if (fr == -1 && info.pages_moved) {
        /* cairo's file has the contents at the end: not the book */
        bk_error(e->diags, (bk_loc){ NULL, 0, 0 },
                 "bookify bug: cannot put the contents' pages in their place in the PDF; "
                 "please report it with the book");
    } else if (fr == -1) {
        bk_warn(e->diags, (bk_loc){ NULL, 0, 0 },
                "the PDF is not fully tagged: cairo wrote it in a form bookify cannot finish");
        fr = bk_outfile_rewind(f, e->diags) < 0 || bk_outfile_write(f, out->ptr, out->len, e->diags) < 0
                 ? -2
                 : 0;
    } else if (fr == 0) {
        if (info.unmarked)
            bk_warn(e->diags, (bk_loc){ NULL, 0, 0 },
                    "%zu page%s of the PDF could not have their running heads marked as artifacts",
                    info.unmarked, info.unmarked == 1 ? "" : "s");
        if (info.struct_unmoved)
            bk_warn(e->diags, (bk_loc){ NULL, 0, 0 },
                    "bookify bug: the PDF's structure tree (what screen readers follow) has the "
                    "contents after the book; please report it with the book");
        if (info.alts_unmatched)
            bk_warn(e->diags, (bk_loc){ NULL, 0, 0 },
                    "the PDF's figures carry no alternative text: bookify drew %zu, cairo wrote a "
                    "different number",
                    e->nalts);
    }
    if (fr == 0)
        rc = bk_outfile_commit(f, e->diags);
written:
    bk_outfile_abort(f);
    pdf_early_free(dr->early);
    dr->early = NULL;
    if (map != MAP_FAILED)
        munmap(map, (size_t)rst.st_size);
    bk_outfile_abort(&dr->rawf);
    return rc;
}

/* The drawing given up (the book failed): its thread stopped, its file
 * removed. */
static void draw_abort(pdf_drawing *dr)
{
    if (dr->cr)
        cairo_destroy(dr->cr);
    if (dr->s) {
        cairo_surface_finish(dr->s);
        cairo_surface_destroy(dr->s);
    }
    bk_buf_release(&dr->raw.pending);
    bk_diags_merge(dr->e->diags, &dr->diags);
    bk_outfile_abort(&dr->rawf);
    bk_outfile_abort(&dr->out);
    pdf_early_free(dr->early);
    dr->early = NULL;
    bk_diags_merge(dr->e->diags, &dr->early_diags);
}

/* ==================== front matter ==================== */

static pdf_block *text_block(pdf_engine *e, pdf_chapter *ch, const char *text, const pdf_style *s)
{
    pdf_block *b = pdf_block_add(ch, PK_TEXT, s);
    pdf_text_append(e, &b->t, text, strlen(text), s, s, false);
    return b;
}

static void title_page(pdf_engine *e)
{
    const bk_meta *m = &e->book->meta;
    pdf_chapter *ch = pdf_chapter_add(e, -1);
    ch->lang = m->lang;
    pdf_style s;
    pdf_style_heading(e, 1, &s);
    s.size = e->theme.heading_size[0] * 1.5;
    s.align = PA_CENTER;
    s.keep_space = true;
    s.space_before = e->text_height * 0.25;
    s.space_after = e->theme.body_size;
    pdf_block *b = text_block(e, ch, m->title, &s);
    b->heading = 1;
    b->tag = "H1"; /* not "Title": cairo 1.16 crashes finishing a PDF with one */
    b->dest = g_strdup("bk-title");
    b->outline_title = g_strdup(m->title);
    pdf_style_base(e, &s);
    s.align = PA_CENTER;
    s.first_indent = 0;
    s.hyphenate = false;
    if (m->subtitle) {
        s.italic = true;
        s.size = e->theme.body_size * 1.3;
        s.space_after = e->theme.body_size * 2.5;
        text_block(e, ch, m->subtitle, &s);
        s.italic = false;
    }
    s.size = e->theme.body_size * 1.3;
    s.space_before = e->theme.body_size * 2;
    s.space_after = e->theme.body_size;
    if (m->author)
        text_block(e, ch, m->author, &s);
    s.size = e->theme.body_size;
    s.space_before = e->text_height * 0.2;
    s.space_after = e->theme.body_size * 0.3;
    s.colour = e->theme.muted;
    if (m->publisher) {
        text_block(e, ch, m->publisher, &s);
        s.space_before = 0;
    }
}

static void colophon_page(pdf_engine *e, const bk_date *date, const char *identifier)
{
    const bk_meta *m = &e->book->meta;
    pdf_chapter *ch = pdf_chapter_add(e, -1);
    ch->lang = m->lang;
    pdf_style s;
    pdf_style_base(e, &s);
    s.size = e->theme.small_size;
    s.align = PA_START;
    s.first_indent = 0;
    s.hyphenate = false;
    s.space_after = e->theme.small_size * 0.6;
    s.keep_space = true;
    s.space_before = e->text_height * 0.55;
    text_block(e, ch, m->title, &s);
    s.keep_space = false;
    s.space_before = 0;
    if (m->author)
        text_block(e, ch, m->author, &s);
    if (m->rights)
        text_block(e, ch, m->rights, &s);
    if (m->publisher)
        text_block(e, ch, m->publisher, &s);
    if (date->valid) {
        bk_buf when = BK_BUF_INIT;
        bk_date_format_long(date, m->lang, &when);
        text_block(e, ch, when.ptr, &s);
        bk_buf_release(&when);
    }
    if (identifier)
        text_block(e, ch, identifier, &s);
    text_block(e, ch, "Made with bookify.", &s);
}

static const char *contents_label(const char *lang)
{
    static const char *const l[][2] = { { "fr", "Table des matières" }, { "de", "Inhalt" },
                                         { "es", "Índice" },            { "pt", "Sumário" },
                                         { "it", "Indice" },            { "nl", "Inhoud" },
                                         { "ja", "目次" },              { "zh", "目录" },
                                         { "ar", "المحتويات" },          { "ru", "Содержание" } };
    for (size_t i = 0; i < BK_ARRAY_LEN(l); i++)
        if (strncmp(lang, l[i][0], 2) == 0)
            return l[i][1];
    return "Contents";
}

/* The contents: parts, posts and their headings, as blocks whose page
 * numbers are drawn once the body is paginated. */
static void contents(pdf_engine *e, size_t toc, int depth)
{
    pdf_chapter *ch = &e->chapters[toc];
    ch->lang = e->book->meta.lang;
    ch->running_title = g_strdup(contents_label(ch->lang));
    pdf_style s;
    pdf_style_heading(e, 1, &s);
    s.space_before = 0;
    s.space_after = e->theme.body_size * 1.2;
    pdf_block *h = text_block(e, ch, ch->running_title, &s);
    h->heading = 1;
    h->tag = "H1";
    h->dest = g_strdup("bk-contents");
    h->outline_title = g_strdup(ch->running_title);
    for (size_t c = 0; c < e->nchapters; c++) {
        pdf_chapter *body = &e->chapters[c];
        if (body->post == -1)
            continue;
        for (size_t i = 0; i < body->nblocks; i++) {
            pdf_block *b = &body->blocks[i];
            int level = body->post == -2 ? 0 : b->heading == 1 ? 1 : b->heading;
            if (!b->heading || !b->dest || level > depth)
                continue;
            bool in_part = body->post >= 0 && e->book->posts[body->post]->part >= 0;
            pdf_style_base(e, &s);
            s.align = PA_START;
            s.first_indent = 0;
            s.hyphenate = false;
            s.space_after = e->theme.body_size * 0.15;
            if (level == 0) {
                s.bold = true;
                s.font = PF_HEADING;
                s.space_before = e->theme.body_size * 0.8;
                s.keep_with_next = true;
            } else if (level == 1) {
                s.space_before = in_part ? 0 : e->theme.body_size * 0.3;
            } else {
                s.size = e->theme.body_size * 0.92;
            }
            pdf_block *en = text_block(e, ch, b->outline_title ? b->outline_title : "", &s);
            double indent = e->theme.body_size * 1.4;
            en->left = (in_part ? indent : 0) + (level > 1 ? indent * (level - 1) : 0);
            en->right = e->theme.body_size * 2.5;
            en->toc_target = g_strdup(b->dest);
            en->toc_level = level;
            en->tag = "TOCI";
            if (body->post >= 0 && level == 1)
                break; /* a post's first heading is its title; its h2s follow below */
        }
        /* A post's h2..hN entries. */
        if (body->post >= 0 && depth >= 2) {
            bool first = true;
            for (size_t i = 0; i < body->nblocks; i++) {
                pdf_block *b = &body->blocks[i];
                if (!b->heading || !b->dest)
                    continue;
                if (first) {
                    first = false;
                    continue;
                }
                if (b->heading > depth)
                    continue;
                bool in_part = e->book->posts[body->post]->part >= 0;
                pdf_style_base(e, &s);
                s.align = PA_START;
                s.first_indent = 0;
                s.hyphenate = false;
                s.size = e->theme.body_size * 0.92;
                s.space_after = e->theme.body_size * 0.1;
                pdf_block *en = text_block(e, ch, b->outline_title ? b->outline_title : "", &s);
                double indent = e->theme.body_size * 1.4;
                en->left = (in_part ? indent : 0) + indent * (b->heading - 1);
                en->right = e->theme.body_size * 2.5;
                en->toc_target = g_strdup(b->dest);
                en->toc_level = b->heading;
                en->tag = "TOCI";
            }
        }
    }
}

static void part_page(pdf_engine *e, size_t part)
{
    pdf_chapter *ch = pdf_chapter_add(e, -2);
    ch->part = (long)part;
    ch->lang = e->book->meta.lang;
    ch->running_title = g_strdup(e->book->parts[part].title);
    pdf_style s;
    pdf_style_heading(e, 1, &s);
    s.size = e->theme.heading_size[0] * 1.3;
    s.align = PA_CENTER;
    s.keep_space = true;
    s.space_before = e->text_height * 0.3;
    pdf_block *b = text_block(e, ch, e->book->parts[part].title, &s);
    b->heading = 1;
    b->tag = "H1";
    b->dest = g_strdup_printf("part-%zu", part + 1);
    b->outline_title = g_strdup(e->book->parts[part].title);
}

/* ==================== the writer ==================== */

void *pdf_hyphen_load(const char *lang)
{
    if (!lang)
        return NULL;
    char ll[8] = "", rr[8] = "";
    size_t n = strcspn(lang, "-_");
    if (n >= sizeof ll)
        return NULL;
    for (size_t i = 0; i < n; i++)
        ll[i] = bk_ascii_lower(lang[i]);
    if (lang[n] && strlen(lang + n + 1) < sizeof rr) {
        for (size_t i = 0; lang[n + 1 + i]; i++)
            rr[i] = (char)g_ascii_toupper(lang[n + 1 + i]);
    }
    static const char *const defaults[][2] = { { "en", "US" }, { "de", "DE" }, { "pt", "BR" },
                                                { "es", "ES" }, { "it", "IT" }, { "nl", "NL" } };
    const char *region = *rr ? rr : NULL;
    for (size_t i = 0; !region && i < BK_ARRAY_LEN(defaults); i++)
        if (strcmp(ll, defaults[i][0]) == 0)
            region = defaults[i][1];
    char path[256];
    HyphenDict *d = NULL;
    if (region) {
        snprintf(path, sizeof path, "/usr/share/hyphen/hyph_%s_%s.dic", ll, region);
        d = hnj_hyphen_load(path);
    }
    if (!d) {
        snprintf(path, sizeof path, "/usr/share/hyphen/hyph_%s.dic", ll);
        d = hnj_hyphen_load(path);
    }
    if (!d) {
        /* Any region of the language: the first in name order, so the
         * choice never depends on the file system. */
        DIR *dir = opendir("/usr/share/hyphen");
        char best[256] = "";
        char prefix[16];
        snprintf(prefix, sizeof prefix, "hyph_%s_", ll);
        struct dirent *de;
        while (dir && (de = readdir(dir))) {
            size_t n2 = strlen(de->d_name);
            if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && n2 > 4 &&
                strcmp(de->d_name + n2 - 4, ".dic") == 0 && (!*best || strcmp(de->d_name, best) < 0) &&
                n2 < sizeof best)
                snprintf(best, sizeof best, "%s", de->d_name);
        }
        if (dir)
            closedir(dir);
        if (*best) {
            char *file = g_strconcat("/usr/share/hyphen/", best, NULL);
            d = hnj_hyphen_load(file);
            g_free(file);
        }
    }
    return d;
}

/* Pages [from, npages), final (a chapter's, and the blank page before
 * it): numbered, their destinations mapped, where their text begins noted
 * for the EPUB's page list, and handed to the drawing. With the lock. */
static void publish(pdf_engine *e, size_t c, size_t from, bool marks, size_t *capmarks)
{
    bk_book *book = e->book;
    for (size_t p = from; p < e->npages; p++) {
        pdf_page *pg = &e->pages[p];
        pg->number = pg->front ? ++e->front_pages : ++e->body_pages;
        pdf_chapter *ch = &e->chapters[pg->chapter];
        for (size_t i = 0; i < pg->nnotes; i++) {
            pdf_block *nb = &ch->notes[pg->notes[i].note];
            if (nb->dest && pg->notes[i].from == 0 && !bk_strmap_lookup(&e->dest_page, nb->dest))
                bk_strmap_put(&e->dest_page, bk_arena_strdup(&e->arena, nb->dest), (long)p);
        }
        for (size_t i = 0; i < pg->npieces; i++) {
            pdf_piece *pc = &pg->pieces[i];
            pdf_block *b = &ch->blocks[pc->block];
            if (b->dest && pc->from == 0 && !bk_strmap_lookup(&e->dest_page, b->dest))
                bk_strmap_put(&e->dest_page, bk_arena_strdup(&e->arena, b->dest), (long)p);
            for (size_t k = 0; b->kind == PK_TEXT && k < b->t.nanchors; k++) {
                size_t li = (size_t)b->t.anchors[k].line;
                if (li >= pc->from && li < pc->to &&
                    !bk_strmap_lookup(&e->dest_page, b->t.anchors[k].id))
                    bk_strmap_put(&e->dest_page, bk_arena_strdup(&e->arena, b->t.anchors[k].id),
                                  (long)p);
            }
        }
        if (!marks || pg->front || pg->blank || !pg->npieces)
            continue;
        pdf_block *b = &ch->blocks[pg->pieces[0].block];
        if (ch->post < 0 || b->src_el < 0)
            continue;
        BK_GROW(book->page_marks, *capmarks, book->npage_marks + 1);
        book->page_marks[book->npage_marks++] =
            (bk_page_mark){ (size_t)ch->post, b->src_el, pg->number };
    }
    e->ready_pages = e->npages;
    e->paginated = c + 1;
    if (e->pipe)
        pthread_cond_broadcast(&e->pipe->progress);
}

static void blank_page(pdf_engine *e, size_t chapter, bool front)
{
    BK_GROW(e->pages, e->cappages, e->npages + 1);
    pdf_page *pg = &e->pages[e->npages++];
    memset(pg, 0, sizeof(*pg));
    pg->chapter = chapter;
    pg->blank = true;
    pg->front = front;
}

/* Lines of a justified block, in [from, to), that stop more than a point
 * short of the measure though a line of the same paragraph follows. */
static size_t ragged_lines(const pdf_block *b, size_t from, size_t to)
{
    size_t n = 0;
    for (size_t k = from; k < to && k + 1 < b->t.nlines; k++) {
        PangoLayoutLine *next = b->t.lines[k + 1].pl, *line = b->t.lines[k].pl;
        if (!next || next->is_paragraph_start)
            continue;
        double indent = line->is_paragraph_start && k == 0 ? b->style.first_indent : 0;
        if (b->t.lines[k].width < b->t.width - indent - 1.0)
            n++;
    }
    return n;
}

static int dump_layout(pdf_engine *e, const char *path)
{
    bk_buf b = BK_BUF_INIT;
    bk_buf_addf(&b, "page-size %.1f %.1f text-block-width %.1f height %.1f\n", e->theme.page_width,
                e->theme.page_height, e->text_width, e->text_height);
    static const char *const kinds[] = { "text", "image", "rule", "row", "break" };
    for (size_t p = 0; p < e->npages; p++) {
        pdf_page *pg = &e->pages[p];
        double ox = left_margin(e, p), oy = e->theme.margin_top;
        bk_buf_addf(&b, "page %zu label %s%s text-block %.1f %.1f %.1f %.1f\n", p + 1,
                    pg->front ? "front" : "body", pg->blank ? " blank" : "", ox, oy,
                    ox + e->text_width, oy + e->text_height);
        const pdf_chapter *ch = &e->chapters[pg->chapter];
        for (size_t i = 0; i < pg->npieces; i++) {
            const pdf_piece *pc = &pg->pieces[i];
            const pdf_block *bl = &ch->blocks[pc->block];
            double x = ox + bl->left, w = e->text_width - bl->left - bl->right;
            if (bl->kind == PK_TEXT && bl->t.nlines) {
                double maxr = 0, minx = 1e9;
                for (size_t k = pc->from; k < pc->to; k++) {
                    const pdf_line *ln = &bl->t.lines[k];
                    if (ln->x < minx)
                        minx = ln->x;
                    if (ln->x + ln->width > maxr)
                        maxr = ln->x + ln->width;
                }
                double pad = bl->shaded ? 6 + bl->style.size : 0;
                x = ox + bl->left + pad + (minx < 1e9 ? minx : 0);
                w = maxr - (minx < 1e9 ? minx : 0);
            } else if (bl->kind == PK_IMAGE) {
                x = ox + bl->left + (e->text_width - bl->left - bl->right - bl->img_w) / 2;
                w = bl->img_w;
            }
            size_t total = bl->kind == PK_TEXT ? bl->t.nlines : 1;
            bk_buf_addf(&b, "  %s %s b%zu.%zu lines %zu-%zu/%zu x %.1f y %.1f w %.1f h %.1f",
                        kinds[bl->kind], bl->tag, pg->chapter, pc->block, pc->from, pc->to, total, x,
                        oy + pc->y, w, pc->height);
            if (bl->kind == PK_TEXT && bl->style.align == PA_JUSTIFY)
                bk_buf_addf(&b, " ragged %zu", ragged_lines(bl, pc->from, pc->to));
            bk_buf_addc(&b, '\n');
        }
        double ny = oy + e->text_height - pg->notes_height + NOTE_SEP;
        for (size_t i = 0; i < pg->nnotes; i++) {
            const pdf_notepiece *np = &pg->notes[i];
            const pdf_block *nb = &ch->notes[np->note];
            double maxr = 0;
            for (size_t k = np->from; k < np->to; k++)
                if (nb->t.lines[k].x + nb->t.lines[k].width > maxr)
                    maxr = nb->t.lines[k].x + nb->t.lines[k].width;
            double h = pdf_lines_height(&nb->t, np->from, np->to);
            bk_buf_addf(&b, "  note Note n%zu.%zu lines %zu-%zu/%zu x %.1f y %.1f w %.1f h %.1f\n",
                        pg->chapter, np->note, np->from, np->to, nb->t.nlines, ox + nb->left, ny, maxr, h);
            ny += h + NOTE_GAP;
        }
    }
    int rc = bk_outfile_write_all(path, b.ptr, b.len, e->diags);
    bk_buf_release(&b);
    return rc;
}

/* ==================== line breaking, in parallel ==================== */

/* One chapter's tables measured and blocks broken into lines; returns the
 * number of characters no font could show. */
int pdf_lines_chapter(pdf_engine *e, size_t c)
{
    pdf_chapter *ch = &e->chapters[c];
    for (size_t i = 0; i < ch->nblocks; i++) {
        if (ch->blocks[i].kind != PK_ROW || !ch->blocks[i].first_row)
            continue;
        size_t n = 1;
        while (i + n < ch->nblocks && ch->blocks[i + n].kind == PK_ROW &&
               ch->blocks[i + n].col_w == ch->blocks[i].col_w)
            n++;
        main_lock(e);
        pdf_table_columns(e, &ch->blocks[i], n, ch->lang);
        main_unlock(e);
    }
    int unknown = 0;
    for (size_t i = 0; i < ch->nblocks + ch->nnotes; i++) {
        main_lock(e); /* pango's, one block at a time */
        unknown += pdf_lines_block(e, i < ch->nblocks ? &ch->blocks[i] : &ch->notes[i - ch->nblocks],
                                   ch->lang);
        main_unlock(e);
    }
    return unknown;
}

/* After its lines are broken (here, or on the helper process). */
static void notes_chapter(pdf_engine *e, size_t c)
{
    pdf_chapter *ch = &e->chapters[c];
    /* A note taller than a whole page is no footnote: it goes to the end
     * of its chapter, after a rule. Shorter ones that do not fit under
     * their reference continue on the next page's foot. */
    bool ruled = false;
    for (size_t i = 0; i < ch->nnotes; i++) {
        pdf_block *nb = &ch->notes[i];
        double h = nb->t.nlines ? nb->t.lines[nb->t.nlines - 1].top + nb->t.lines[nb->t.nlines - 1].height
                                : 0;
        if (h <= e->text_height)
            continue;
        if (!ruled) {
            pdf_style rs;
            pdf_style_base(e, &rs);
            rs.space_before = rs.space_after = e->theme.body_size * 0.8;
            pdf_block *r = pdf_block_add(ch, PK_RULE, &rs);
            r->tag = "Artifact";
            ruled = true;
        }
        BK_GROW(ch->blocks, ch->cap, ch->nblocks + 1);
        ch->blocks[ch->nblocks++] = *nb;
        memset(nb, 0, sizeof(*nb)); /* moved: released with the blocks */
        for (size_t k = 0; k < ch->nblocks; k++)
            for (size_t r = 0; r < ch->blocks[k].t.nrefs; r++)
                if (ch->blocks[k].t.refs[r].note == (long)i)
                    ch->blocks[k].t.refs[r].note = -1;
    }
    bk_progress_step(1);
}

/* The theme (--theme, else bookify.yml's) over the default, and the page
 * size; errors recorded in d. */
static void load_theme(bk_theme *t, bk_book *book, const bk_pdf_opts *o, bk_diags *d)
{
    const char *theme = o->theme ? o->theme : book->meta.theme;
    char *theme_path = NULL;
    if (theme && !o->theme)
        theme_path = g_strconcat(book->site_real, "/", theme, NULL);
    bk_theme_load(t, theme_path ? theme_path : theme,
                  theme_path ? bk_book_display_path(book, theme) : theme, d);
    g_free(theme_path);
    const char *size = o->page_size ? o->page_size : book->meta.page_size;
    if (size && !bk_theme_page_size(t, size))
        bk_error(d, (bk_loc){ NULL, 0, 0 },
                 "unknown page size '%s': use A4, A5, Letter, 6x9in, 148x210mm...", size);
    else if (t->page_width - t->margin_inner - t->margin_outer < 72 ||
             t->page_height - t->margin_top - t->margin_bottom < 72)
        bk_error(d, (bk_loc){ NULL, 0, 0 },
                 "the page (%.0f x %.0f pt) leaves less than an inch for text inside the theme's "
                 "margins: choose a larger page size or smaller margins",
                 t->page_width, t->page_height);
}

int bk_pdf_check(bk_book *book, const bk_pdf_opts *o, bool warnings, bk_diags *d)
{
    /* Before bk_pdf_write, which says its warnings again: kept only with
     * an error, which stops the build before that. */
    bk_diags own = BK_DIAGS_INIT;
    own.strict = d->strict;
    bk_theme t;
    memset(&t, 0, sizeof t);
    load_theme(&t, book, o, &own);
    bk_theme_release(&t);
    int rc = own.nerrors ? -1 : 0;
    if (rc || warnings)
        bk_diags_merge(d, &own);
    bk_diags_release(&own);
    return rc;
}

int bk_pdf_write(bk_book *book, const char *path, const bk_pdf_opts *o, bk_diags *d)
{
    size_t errors = d->nerrors;
    pdf_engine e;
    memset(&e, 0, sizeof e);
    e.book = book;
    e.diags = d;
    load_theme(&e.theme, book, o, d);
    int rc = -1;
    if (d->nerrors > errors)
        goto done;
    e.fc_config = bk_fonts_config(&e.theme, d);
    if (!e.fc_config)
        goto done;
    e.fontmap = pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);
    pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(e.fontmap), e.fc_config);
    pango_cairo_font_map_set_resolution(PANGO_CAIRO_FONT_MAP(e.fontmap), 72);
    e.pango = pango_font_map_create_context(e.fontmap);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(e.pango, fo);
    cairo_font_options_destroy(fo);
    pango_cairo_context_set_resolution(e.pango, 72);
    pango_context_set_round_glyph_positions(e.pango, FALSE);
    pango_context_set_language(e.pango, pango_language_from_string(book->meta.lang));
    e.hyphen = e.theme.hyphenate ? pdf_hyphen_load(book->meta.lang) : NULL;
    e.text_width = e.theme.page_width - e.theme.margin_inner - e.theme.margin_outer;
    e.text_height = e.theme.page_height - e.theme.margin_top - e.theme.margin_bottom;
    pdf_time("set up");
    e.images = bk_xcalloc(book->nassets ? book->nassets : 1, sizeof(*e.images));
    bk_pdf_image_limits(book->meta.max_image_size, book->meta.max_image_pixels);

    /* The book's date and identifier, as in the EPUB. */
    bk_date date;
    int64_t epoch;
    bk_book_dates(book, o->epoch, &date, &epoch);

    title_page(&e);
    if (book->meta.rights || book->meta.publisher)
        colophon_page(&e, &date, book->meta.identifier);
    size_t toc = e.nchapters;
    pdf_chapter_add(&e, -1);
    long part = -1;
    for (size_t i = 0; i < book->nposts; i++) {
        bk_post *p = book->posts[i];
        if (p->part >= 0 && p->part != part) {
            part = p->part;
            part_page(&e, (size_t)part);
        }
        pdf_boxes_chapter(&e, i);
        number_sources(&e.chapters[e.nchapters - 1], p);
        if (o->last_use) {
            xmlFreeDoc(p->doc);
            p->doc = NULL;
        } else if (o->save_docs) {
            bk_post_save_doc(book, p);
        }
    }
    int depth = o->toc_depth ? o->toc_depth : book->meta.toc_depth ? book->meta.toc_depth : 2;
    /* The posts' trees were built on the worker threads, in their heaps:
     * give those pages back, or the layout (on this thread) cannot reuse
     * them and the book's peak memory is the sum of both. */
    if (o->last_use || o->save_docs)
        bk_mem_trim();
    pdf_time("boxes built");
    contents(&e, toc, depth);
    pdf_fonts_narrow(&e);
    /* Chapters are broken into lines one after the other. Done in
     * parallel (each worker with its own pango font map and context), the
     * breaks came out different from run to run now and then: pango 1.50
     * and cairo 1.16 share font state (cairo's scaled fonts are
     * process-wide) that two threads must not use at once, and the books
     * must be byte-identical (docs/performance.md). */
    bk_progress_start("breaking lines", e.nchapters);
    bool body_started = false;
    /* A book's glyphs stay from line breaking to drawing when all of
     * them fit the budget (a quarter of a small book's time saved). A
     * longer book's would not: its chapters keep theirs only while they
     * wait for the drawing thread, in a window of a quarter of the budget
     * (keep_or_drop); a chapter that finds the window full, and every
     * chapter when the pages are drawn after pagination, drops its glyphs
     * and is laid out again just before it is drawn (the same lines), so
     * the book's memory does not grow with it. --dump-layout reads them
     * after pagination. */
    size_t text = 0;
    for (size_t c = 0; c < e.nchapters; c++)
        text += pdf_chapter_text_bytes(&e.chapters[c]);
    bool drop = !o->dump_layout && text > layout_budget();
    /* Pages are drawn on a thread of their own as each chapter is
     * paginated. --dump-layout reads every layout after pagination: the
     * drawing then comes after it, as with one job. */
    static int no_pipeline, no_kept_faces;
    bool pipelined = !o->dump_layout && bk_par_jobs() > 1 &&
                     !bk_env_on("BOOKIFY_NO_PIPELINE", &no_pipeline) &&
                     !bk_env_on("BOOKIFY_NO_KEPT_FACES", &no_kept_faces); /* ftfaces.c */
    /* A long book drawn after pagination has its later chapters broken
     * into lines on a second process at the same time (fork.c): only
     * their line heights come back, which is all pagination needs, and
     * they are laid out again before drawing anyway. Drawn beside
     * pagination, the second core draws instead. The helper is forked
     * before the drawing thread starts: it must not inherit its locks. */
    pdf_helper helper;
    pdf_helper_start(&e, drop && !pipelined && bk_par_jobs() > 1 ? half_text(&e, text) : e.nchapters,
                     &helper);
    e.toc = toc;
    dest_last_build(&e);
    free(book->page_marks);
    book->page_marks = NULL;
    book->npage_marks = 0;
    size_t capmarks = 0;
    pdf_drawing dr;
    bool drawing = draw_open(&e, &dr, path, epoch) == 0;
    pdf_pipe pipe = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
                      PTHREAD_COND_INITIALIZER, false, false, false, 0 };
    if (drawing && pipelined) {
        e.pipe = &pipe;
        if (pthread_create(&pipe.thread, NULL, draw_pages, &dr) != 0)
            e.pipe = NULL;
    }
    for (size_t c = 0; c < e.nchapters; c++) {
        pdf_helper_fetch(&helper, c);
        main_lock(&e);
        int unknown = pdf_helper_take(&e, &helper, c);
        main_unlock(&e);
        if (unknown < 0)
            unknown = pdf_lines_chapter(&e, c);
        notes_chapter(&e, c);
        /* Never silent tofu: say which post needs a font. */
        if (unknown) {
            int post = e.chapters[c].post;
            bk_warn(d, (bk_loc){ post >= 0 ? book->posts[post]->display : NULL, 0, 0 },
                    "%d character%s no installed font can show (drawn as boxes in the PDF); "
                    "install fonts for that script (Debian's fonts-noto-* packages)",
                    unknown, unknown == 1 ? "" : "s");
        }
        /* Each chapter is paginated as soon as its lines are broken:
         * chapters start a page, so nothing later moves its breaks. */
        bool front = e.chapters[c].post == -1;
        /* Two-sided: the contents and the body start on a right-hand page,
         * and so do parts (and chapters, when the theme asks). */
        bool recto = e.theme.two_sided &&
                     (c == toc || (!front && !body_started) || e.chapters[c].post == -2 ||
                      (e.theme.chapter_recto && e.chapters[c].post >= 0));
        main_lock(&e);
        size_t first = e.npages;
        if (recto && e.npages % 2 == 1)
            blank_page(&e, c ? c - 1 : 0, front || !body_started);
        if (!front)
            body_started = true;
        pdf_pages_chapter(&e, c);
        if (drop)
            keep_or_drop(&e, c, layout_budget() / 4);
        publish(&e, c, first, !o->last_use, &capmarks);
        main_unlock(&e);
    }
    /* The contents of a long book dropped their glyphs; drawn last, they
     * are laid out again here, while the drawing thread finishes the body
     * (it cannot reach them before every page is final, below). */
    bool toc_same = true;
    if (e.pipe && e.chapters[toc].glyphs_dropped) {
        for (size_t i = 0; i < e.chapters[toc].nblocks + e.chapters[toc].nnotes; i++) {
            main_lock(&e);
            toc_same = pdf_block_relayout(&e, toc, i) && toc_same;
            main_unlock(&e);
        }
        main_lock(&e);
        e.chapters[toc].glyphs_dropped = false;
        main_unlock(&e);
    }
    main_lock(&e);
    e.all_paginated = true;
    if (e.pipe)
        pthread_cond_broadcast(&pipe.progress);
    main_unlock(&e);
    if (getenv("BOOKIFY_TIMES"))
        fprintf(stderr, "pdf: pages drawn %s\n",
                e.pipe ? "on a thread of their own while lines were broken" : "after line breaking");
    if (getenv("BOOKIFY_TIMES") && drop)
        fprintf(stderr, "pdf: %zu chapters kept their glyphs for the drawing, %zu laid out again\n",
                e.chapters_kept, e.chapters_relaid);
    if (getenv("BOOKIFY_TIMES") && helper.from < e.nchapters)
        fprintf(stderr, "pdf: the helper process broke %zu of %zu chapters\n", helper.taken,
                e.nchapters - helper.from);
    pdf_helper_end(&helper);
    bk_progress_end();
    pdf_time("lines and pages");
    book->page_source = bk_arena_printf(&book->arena, "the PDF edition of %s", book->meta.title);
    bool failed = !drawing || d->nerrors > errors ||
                  (o->dump_layout && dump_layout(&e, o->dump_layout) < 0);
    if (e.pipe) {
        if (failed) {
            main_lock(&e);
            pipe.stop = true;
            pthread_cond_broadcast(&pipe.progress);
            main_unlock(&e);
        } else {
            /* What cairo has written is finished while the last pages are
             * drawn; then cairo finishes its file here while the drawing
             * thread finishes what it writes (early_pump). */
            early_open(&dr, path);
            early_pump(&dr, true);
            pthread_mutex_lock(&dr.raw.lock);
            dr.raw.handed = true;
            pthread_cond_broadcast(&dr.raw.grew);
            pthread_mutex_unlock(&dr.raw.lock);
            draw_finish_cairo(&dr);
        }
        raw_close(&dr.raw);
        pthread_join(pipe.thread, NULL);
        e.pipe = NULL;
    } else if (!failed) {
        draw_pages(&dr);
    }
    if (failed) {
        if (drawing)
            draw_abort(&dr);
        goto done;
    }
    pdf_time("drawn");
    dr.relaid_same = dr.relaid_same && toc_same;
    rc = draw_close(&dr, path);
    pdf_time("finished");
done:
    free(e.alts);
    free(e.dest_last);
    pdf_boxes_release(&e);
    if (e.small_layouts)
        g_hash_table_destroy(e.small_layouts);
    if (e.fonts_held)
        g_hash_table_destroy(e.fonts_held);
    for (size_t p = 0; p < e.npages; p++) {
        free(e.pages[p].pieces);
        free(e.pages[p].notes);
    }
    free(e.pages);
    for (size_t i = 0; e.images && i < book->nassets; i++)
        bk_pdf_image_free(e.images[i]);
    free(e.images);
    if (e.hyphen)
        hnj_hyphen_free(e.hyphen);
    if (e.pango)
        g_object_unref(e.pango);
    pdf_shape_cache_release();
    if (e.fontmap)
        g_object_unref(e.fontmap);
    bk_fonts_release(e.fc_config);
    bk_fonts_release(e.fc_narrow);
    bk_strmap_release(&e.dest_page);
    bk_strmap_release(&e.dests_drawn);
    bk_arena_release(&e.arena);
    bk_arena_release(&e.draw_arena);
    bk_theme_release(&e.theme);
    /* The EPUB may come next: the PDF's freed pages go back first. */
    bk_mem_trim();
    return rc;
}

