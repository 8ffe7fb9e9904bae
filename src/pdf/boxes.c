/* boxes.c -- chapter documents into blocks of styled text, images, rules. */
#include <glib.h>
#include <hyphen.h>
#include <libxml/tree.h>
#include <string.h>

#include "../dom.h"
#include "pdf_int.h"

#include "bookify/banned.h"

/* ==================== blocks ==================== */

pdf_chapter *pdf_chapter_add(pdf_engine *e, int post)
{
    BK_GROW(e->chapters, e->capchapters, e->nchapters + 1);
    pdf_chapter *ch = &e->chapters[e->nchapters++];
    memset(ch, 0, sizeof(*ch));
    ch->post = post;
    ch->part = -1;
    return ch;
}

pdf_block *pdf_block_add(pdf_chapter *ch, pdf_kind kind, const pdf_style *s)
{
    BK_GROW(ch->blocks, ch->cap, ch->nblocks + 1);
    pdf_block *b = &ch->blocks[ch->nblocks++];
    memset(b, 0, sizeof(*b));
    b->kind = kind;
    b->style = *s;
    b->tag = "P";
    b->src_el = -1;
    b->t.attrs = pango_attr_list_new();
    return b;
}

/* ==================== inline runs ==================== */

typedef struct run {
    pdf_font font;
    double size;
    bool bold, italic, strike, underline;
    int rise; /* +1 superscript, -1 subscript */
    bool coloured;
    bk_rgb colour;
} run;

/* Family list for a run: the theme's font, then bookify's fallback alias. */
static PangoAttribute *family_attr(const pdf_engine *e, pdf_font f)
{
    char *fam = pdf_family_list(e, f);
    PangoAttribute *a = pango_attr_family_new(fam);
    g_free(fam);
    return a;
}

static void add_attr(PangoAttrList *l, PangoAttribute *a, int start, int end)
{
    a->start_index = (guint)start;
    a->end_index = (guint)end;
    pango_attr_list_insert(l, a);
}

/* Bytes added at the end of a block's text, in place (a paragraph is
 * built from many runs; copying it for each was quadratic). */
static void text_add(pdf_text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        while (cap < t->len + n + 1)
            cap *= 2;
        t->text = g_realloc(t->text, cap);
        t->cap = cap;
    }
    memcpy(t->text + t->len, s, n);
    t->len += n;
    t->text[t->len] = '\0';
}

/* Runs of more than LONG_RUN characters with no space get a zero-width
 * space every BREAK_EVERY characters. Pango breaks a word too long for a
 * line by shaping the rest of it again for every line: a 40,000-character
 * word (a base64 image pasted into a post) took 6 s, a 300,000-character
 * one minutes. The zero-width spaces give it places to break instead;
 * they are invisible, and absent from the PDF's text. NULL when s needs
 * none; else a copy to free. */
#define LONG_RUN 500
#define BREAK_EVERY 16
static char *breakable_copy(const char *s, size_t len, size_t *out_len)
{
    size_t stretch = 0, i = 0;
    bool long_run = false;
    while (i < len && !long_run) {
        gunichar ch = g_utf8_get_char_validated(s + i, (gssize)(len - i));
        stretch = g_unichar_isspace(ch) ? 0 : stretch + 1;
        long_run = stretch > LONG_RUN;
        i = (size_t)(g_utf8_next_char(s + i) - s);
    }
    if (!long_run)
        return NULL;
    bk_buf out = BK_BUF_INIT;
    stretch = 0;
    for (i = 0; i < len;) {
        size_t next = (size_t)(g_utf8_next_char(s + i) - s);
        gunichar ch = g_utf8_get_char_validated(s + i, (gssize)(len - i));
        stretch = g_unichar_isspace(ch) ? 0 : stretch + 1;
        if (stretch > LONG_RUN && stretch % BREAK_EVERY == 0)
            bk_buf_adds(&out, "\xE2\x80\x8B");
        bk_buf_add(&out, s + i, next - i);
        i = next;
    }
    *out_len = out.len;
    return bk_buf_detach(&out);
}

/* Append text to t in the run's style (attributes only where it differs
 * from the block's own style). Soft hyphens go between syllables. */
static void text_append_run(pdf_engine *e, pdf_text *t, const char *s, size_t len,
                            const pdf_style *base, const run *r, bool hyphenate, const char *lang)
{
    size_t blen;
    char *breakable = len > LONG_RUN ? breakable_copy(s, len, &blen) : NULL;
    if (breakable) {
        s = breakable;
        len = blen;
    }
    pdf_text *b = t; /* appended to in place */
    size_t old = t->len;
    HyphenDict *dict = hyphenate ? e->hyphen : NULL;
    if (!dict) {
        text_add(b, s, len);
    } else {
        /* Word by word; words of letters only, five or more bytes. */
        size_t i = 0;
        while (i < len) {
            size_t j = i;
            while (j < len && (g_unichar_isalpha(g_utf8_get_char(s + j)) || s[j] == '\'')) {
                j = (size_t)(g_utf8_next_char(s + j) - s);
            }
            if (j == i) {
                j = (size_t)(g_utf8_next_char(s + i) - s);
                text_add(b, s + i, j - i);
                i = j;
                continue;
            }
            size_t wl = j - i;
            char *lower = wl >= 5 && wl < 64 ? g_utf8_strdown(s + i, (gssize)wl) : NULL;
            if (lower && strlen(lower) == wl) {
                char hyph[80];
                char **rep = NULL;
                int *pos = NULL, *cut = NULL;
                memset(hyph, 0, sizeof hyph);
                if (hnj_hyphen_hyphenate2(dict, lower, (int)wl, hyph, NULL, &rep, &pos, &cut) == 0) {
                    for (size_t k = 0; k < wl; k++) {
                        text_add(b, s + i + k, 1);
                        /* libhyphen marks a break after byte k with an odd
                         * value; keep two letters at either end. */
                        if ((hyph[k] & 1) && k >= 1 && k + 3 < wl &&
                            ((unsigned char)s[i + k + 1] & 0xC0) != 0x80)
                            text_add(b, "\xC2\xAD", 2);
                    }
                } else {
                    text_add(b, s + i, wl);
                }
                if (rep) {
                    for (size_t k = 0; k < wl; k++)
                        free(rep[k]);
                    free(rep);
                }
                free(pos);
                free(cut);
            } else {
                text_add(b, s + i, wl);
            }
            g_free(lower);
            i = j;
        }
    }
    free(breakable);
    int start = (int)old, end = (int)t->len;
    if (end == start)
        return;
    if (r->font != base->font)
        add_attr(t->attrs, family_attr(e, r->font), start, end);
    double size = r->size * (r->rise ? 0.75 : 1.0);
    if (size != base->size)
        add_attr(t->attrs, pango_attr_size_new_absolute((int)(size * PANGO_SCALE)), start, end);
    if (r->bold != base->bold)
        add_attr(t->attrs, pango_attr_weight_new(r->bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL),
                 start, end);
    if (r->italic != base->italic)
        add_attr(t->attrs, pango_attr_style_new(r->italic ? PANGO_STYLE_ITALIC : PANGO_STYLE_NORMAL),
                 start, end);
    if (r->strike)
        add_attr(t->attrs, pango_attr_strikethrough_new(TRUE), start, end);
    if (r->underline)
        add_attr(t->attrs, pango_attr_underline_new(PANGO_UNDERLINE_SINGLE), start, end);
    if (r->rise)
        add_attr(t->attrs, pango_attr_rise_new((int)(r->rise * r->size * 0.35 * PANGO_SCALE)), start,
                 end);
    if (lang) /* an element's own language: pango picks fonts and breaks by it */
        add_attr(t->attrs, pango_attr_language_new(pango_language_from_string(lang)), start, end);
    if (r->coloured)
        add_attr(t->attrs,
                 pango_attr_foreground_new((guint16)(r->colour.r * 65535), (guint16)(r->colour.g * 65535),
                                           (guint16)(r->colour.b * 65535)),
                 start, end);
}

void pdf_text_append(pdf_engine *e, pdf_text *t, const char *s, size_t len, const pdf_style *base,
                     const pdf_style *st, bool hyphenate)
{
    run r = { st->font, st->size, st->bold, st->italic, false, false, 0, false, { 0, 0, 0 } };
    text_append_run(e, t, s, len, base, &r, hyphenate, NULL);
}

static size_t text_len(const pdf_text *t)
{
    return t->len;
}

/* ==================== the walk ==================== */

typedef struct walk {
    pdf_engine *e;
    pdf_chapter *ch;
    size_t post;
    pdf_block *para;      /* the open text block, or NULL */
    pdf_text *cell;       /* inside a table cell: text goes here */
    pdf_style cell_base;
    pdf_style block;      /* style of new paragraphs here */
    run r;                /* the current inline style */
    double left, right;
    int quote_depth;
    char *marker;         /* list marker for the next block (owned) */
    char *pending_dest;   /* id for the next block (owned) */
    char **pending_more;  /* more ids before any text: anchors at its start (owned) */
    size_t npending_more, cappending_more;
    const char *href;     /* the open link */
    int link_start;
    bool space;           /* the last text put out ends with a space */
    xmlNodePtr src;       /* the block element being walked */
    bool in_notes;        /* building footnotes: blocks go to ch->notes */
    const char *lang;     /* the language an element of the post gave, or NULL */
    bool no_indent;       /* the next paragraph starts flush (after a heading) */
    int list_depth;
} walk;

static run run_of(const pdf_style *s)
{
    return (run){ s->font, s->size, s->bold, s->italic, false, false, 0, false, { 0, 0, 0 } };
}

static pdf_text *target(walk *w)
{
    return w->cell ? w->cell : w->para ? &w->para->t : NULL;
}

static const pdf_style *target_base(walk *w)
{
    return w->cell ? &w->cell_base : &w->para->style;
}

static pdf_block *note_block_add(pdf_chapter *ch, const pdf_style *s)
{
    BK_GROW(ch->notes, ch->capnotes, ch->nnotes + 1);
    ch->note_ids = bk_xrealloc(ch->note_ids, ch->capnotes * sizeof(*ch->note_ids));
    pdf_block *b = &ch->notes[ch->nnotes];
    ch->note_ids[ch->nnotes] = NULL;
    ch->nnotes++;
    memset(b, 0, sizeof(*b));
    b->kind = PK_TEXT;
    b->style = *s;
    b->tag = "Note";
    b->src_el = -1;
    b->t.attrs = pango_attr_list_new();
    return b;
}

static pdf_block *new_block(walk *w, pdf_kind kind, const pdf_style *s)
{
    pdf_block *b = pdf_block_add(w->ch, kind, s);
    b->src = w->src;
    b->left = w->left;
    b->right = w->right;
    b->quote_depth = w->quote_depth;
    if (w->marker) {
        b->marker = w->marker;
        w->marker = NULL;
        b->tag = "LI";
    }
    if (w->pending_dest) {
        b->dest = w->pending_dest;
        w->pending_dest = NULL;
    }
    /* an image or a table row holds one name: the others wait for text */
    for (size_t i = 0; kind == PK_TEXT && i < w->npending_more; i++) {
        BK_GROW(b->t.anchors, b->t.capanchors, b->t.nanchors + 1);
        b->t.anchors[b->t.nanchors++] = (pdf_anchor){ 0, w->pending_more[i], 0, 0 };
    }
    if (kind == PK_TEXT)
        w->npending_more = 0;
    return b;
}

static void close_para(walk *w)
{
    if (!w->para)
        return;
    pdf_text *t = &w->para->t;
    /* Trailing blanks would make an empty last line. */
    while (t->len && t->text[t->len - 1] == ' ')
        t->text[--t->len] = '\0';
    if (w->href && w->para) {
        /* a link left open across a block: close it here */
        w->href = NULL;
    }
    w->para = NULL;
    w->space = true;
}

static void open_para(walk *w)
{
    if (w->para || w->cell)
        return;
    pdf_style s = w->block;
    if (w->no_indent || w->marker)
        s.first_indent = 0;
    w->no_indent = false;
    w->para = new_block(w, PK_TEXT, &s);
    w->r = run_of(&w->block);
    w->space = true;
}

static void put_text(walk *w, const char *s, size_t len)
{
    if (!len)
        return;
    if (!w->para && !w->cell && !w->block.pre) {
        /* White space between blocks opens no paragraph. */
        size_t i = 0;
        while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r'))
            i++;
        if (i == len)
            return;
    }
    open_para(w);
    pdf_text *t = target(w);
    const pdf_style *base = target_base(w);
    bool hyph = !w->cell && w->para->style.hyphenate && w->r.font != PF_MONO;
    if (base->pre) {
        text_append_run(w->e, t, s, len, base, &w->r, false, w->lang);
        return;
    }
    /* Collapse white space as HTML does. */
    bk_buf b = BK_BUF_INIT;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            if (!w->space)
                bk_buf_addc(&b, ' ');
            w->space = true;
        } else {
            bk_buf_addc(&b, c);
            w->space = false;
        }
    }
    if (b.len)
        text_append_run(w->e, t, b.ptr, b.len, base, &w->r, hyph && !w->lang, w->lang);
    bk_buf_release(&b);
}

static void walk_children(walk *w, xmlNodePtr n);
static void walk_node(walk *w, xmlNodePtr n);
static void walk_element(walk *w, xmlNodePtr n, const char *name, int level);

static bool is(xmlNodePtr n, const char *name)
{
    return bk_dom_is(n, name);
}

static int heading_level(xmlNodePtr n)
{
    if (n->type != XML_ELEMENT_NODE || n->name[0] != 'h' || n->name[2] || n->name[1] < '1' ||
        n->name[1] > '6')
        return 0;
    return n->name[1] - '0';
}

static void heading(walk *w, xmlNodePtr n, int level, bool chapter_title)
{
    close_para(w);
    pdf_style s;
    pdf_style_heading(w->e, level, &s);
    if (chapter_title) {
        s.space_before = 0;
        s.space_after = w->e->theme.body_size * 0.6;
    }
    pdf_style saved = w->block;
    w->block = s;
    open_para(w);
    pdf_block *b = w->para;
    b->heading = level;
    static const char *const tags[] = { "H1", "H2", "H3", "H4", "H5", "H6" };
    b->tag = tags[level - 1];
    char *id = bk_dom_attr(n, "id");
    if (id) {
        if (!b->dest)
            b->dest = g_strdup(id);
        else {
            BK_GROW(b->t.anchors, b->t.capanchors, b->t.nanchors + 1);
            b->t.anchors[b->t.nanchors++] = (pdf_anchor){ 0, g_strdup(id), 0, 0 };
        }
    }
    xmlFree(id);
    walk_children(w, n);
    bk_buf t = BK_BUF_INIT;
    bk_dom_text(n, &t);
    b->outline_title = g_strndup(t.ptr, t.len);
    bk_buf_release(&t);
    close_para(w);
    w->block = saved;
    w->no_indent = true;
}

static void rule(walk *w)
{
    close_para(w);
    pdf_style s;
    pdf_style_base(w->e, &s);
    s.space_before = s.space_after = w->e->theme.body_size * 0.8;
    pdf_block *b = new_block(w, PK_RULE, &s);
    b->tag = "Artifact";
    w->no_indent = true;
}

static long asset_index(pdf_engine *e, const char *src)
{
    for (size_t i = 0; i < e->book->nassets; i++)
        if (strcmp(e->book->assets[i].href, src) == 0)
            return (long)i;
    return -1;
}

/* Returns whether the image was placed (and with it the caption). */
static bool image(walk *w, xmlNodePtr n, const char *caption)
{
    char *src = bk_dom_attr(n, "src");
    long ai = src ? asset_index(w->e, src) : -1;
    xmlFree(src);
    if (ai < 0)
        return false; /* not an image of the book (a data: URL): nothing to draw */
    pdf_engine *e = w->e;
    if (!e->images[ai]) {
        const bk_asset *a = &e->book->assets[ai];
        /* Named as the user knows it: SITE/img/x.png, not its real path. */
        const char *site = e->book->site_real;
        size_t sl = strlen(site);
        const char *display = strncmp(a->path, site, sl) == 0 && a->path[sl] == '/'
                                  ? bk_book_display_path(e->book, a->path + sl + 1)
                                  : a->path;
        e->images[ai] = bk_pdf_image_load(a->path, a->media_type, display, e->diags);
    }
    if (!e->images[ai])
        return false;
    close_para(w);
    pdf_style s;
    pdf_style_base(e, &s);
    s.space_before = s.space_after = e->theme.body_size * 0.6;
    if (caption)
        s.keep_with_next = true;
    pdf_block *b = new_block(w, PK_IMAGE, &s);
    b->tag = "Figure";
    b->image = e->images[ai];
    char *alt = bk_dom_attr(n, "alt");
    b->alt = g_strdup(alt ? alt : "");
    xmlFree(alt);
    bk_pdf_image_size(b->image, &b->img_w, &b->img_h);
    if (caption) {
        pdf_style c;
        pdf_style_base(e, &c);
        c.size = e->theme.small_size;
        c.italic = true;
        c.align = PA_CENTER;
        c.first_indent = 0;
        c.hyphenate = false;
        c.space_after = e->theme.body_size * 0.8;
        pdf_block *cb = new_block(w, PK_TEXT, &c);
        pdf_text_append(e, &cb->t, caption, strlen(caption), &c, &c, false);
    }
    w->no_indent = true;
    return true;
}

static char *caption_of(xmlNodePtr figure)
{
    for (xmlNodePtr c = figure->children; c; c = c->next)
        if (is(c, "figcaption")) {
            bk_buf t = BK_BUF_INIT;
            bk_dom_text(c, &t);
            char *r = g_strndup(t.ptr, t.len);
            bk_buf_release(&t);
            return r;
        }
    return NULL;
}

static const char *bullet_for(int depth)
{
    static const char *const bullets[] = { "\xE2\x80\xA2", "\xE2\x80\x93", "\xE2\x97\xA6" };
    return bullets[depth % 3];
}

/* How far a nested list, quotation or definition moves in: its indent,
 * until the text would be narrower than 40 percent of the measure (a
 * list nested thirty deep stays on the page). */
static double nest_indent(const walk *w, double want)
{
    return w->left + w->right + want * 1.5 <= w->e->text_width * 0.6 ? want : 0;
}

static void list(walk *w, xmlNodePtr n, bool ordered)
{
    close_para(w);
    long num = 1;
    char *start = bk_dom_attr(n, "start");
    if (start) {
        long v;
        if (bk_parse_int(start, -1000000, 1000000, &v))
            num = v;
        xmlFree(start);
    }
    double indent = nest_indent(w, w->e->theme.body_size * 1.6);
    w->left += indent;
    w->list_depth++;
    pdf_style saved = w->block;
    w->block.first_indent = 0;
    w->block.space_after = w->e->theme.body_size * 0.15;
    w->block.space_before = 0;
    for (xmlNodePtr li = n->children; li; li = li->next) {
        if (!is(li, "li"))
            continue;
        char *value = bk_dom_attr(li, "value");
        long v;
        if (value && bk_parse_int(value, -1000000, 1000000, &v))
            num = v;
        xmlFree(value);
        g_free(w->marker);
        if (bk_dom_has_class(li, "task"))
            w->marker = g_strdup("");
        else
            w->marker = ordered ? g_strdup_printf("%ld.", num) : g_strdup(bullet_for(w->list_depth - 1));
        num++;
        walk_children(w, li);
        close_para(w);
        g_free(w->marker);
        w->marker = NULL;
    }
    w->block = saved;
    w->list_depth--;
    w->left -= indent;
    w->no_indent = true;
    /* a little air after the list */
    if (w->ch->nblocks)
        w->ch->blocks[w->ch->nblocks - 1].style.space_after = w->e->theme.body_size * 0.5;
}

/* The theme's look for highlighted code of class hc, on top of r. */
static void hl_apply(const pdf_engine *e, bk_hl_class hc, run *r)
{
    const bk_hl_style *st = &e->theme.highlight[hc];
    if (hc == BK_HL_NONE)
        return;
    if (st->coloured) {
        r->coloured = true;
        r->colour = st->colour;
    }
    r->bold |= st->bold;
    r->italic |= st->italic;
}

/* The highlight class of a span (bookify's highlighter marks code with
 * <span class="keyword">), or BK_HL_NONE. */
static bk_hl_class hl_class(xmlNodePtr n)
{
    if (!is(n, "span"))
        return BK_HL_NONE;
    char *cls = bk_dom_attr(n, "class");
    bk_hl_class hc = cls ? bk_hl_class_from_name(cls) : BK_HL_NONE;
    xmlFree(cls);
    return hc;
}

typedef struct code_part {
    size_t end; /* in the code's text */
    bk_hl_class cls;
} code_part;

static void code_block(walk *w, xmlNodePtr n)
{
    close_para(w);
    pdf_engine *e = w->e;
    pdf_style s;
    pdf_style_base(e, &s);
    s.font = PF_MONO;
    s.size = e->theme.code_size;
    s.align = PA_START;
    s.line_height = 1.3;
    s.first_indent = 0;
    s.pre = true;
    s.hyphenate = false;
    s.space_before = s.space_after = e->theme.body_size * 0.5;
    pdf_block *b = new_block(w, PK_TEXT, &s);
    b->shaded = true;
    /* The code's text, tabs as four spaces (in a book), in parts of one
     * highlight class each. */
    bk_buf code = BK_BUF_INIT;
    code_part *parts = NULL;
    size_t nparts = 0, cap = 0;
    for (xmlNodePtr x = n->children; x; x = bk_dom_next(x, n, false)) {
        if ((x->type != XML_TEXT_NODE && x->type != XML_CDATA_SECTION_NODE) || !x->content)
            continue;
        bk_hl_class hc = BK_HL_NONE;
        for (xmlNodePtr p = x->parent; p && p != n && hc == BK_HL_NONE; p = p->parent)
            hc = hl_class(p);
        for (const char *c = (const char *)x->content; *c; c++) {
            if (*c == '\t')
                bk_buf_adds(&code, "    ");
            else
                bk_buf_addc(&code, *c);
        }
        if (nparts && parts[nparts - 1].cls == hc) {
            parts[nparts - 1].end = code.len;
        } else {
            BK_GROW(parts, cap, nparts + 1);
            parts[nparts++] = (code_part){ code.len, hc };
        }
    }
    size_t len = code.len;
    while (len && (code.ptr[len - 1] == '\n' || code.ptr[len - 1] == ' '))
        len--;
    size_t at = 0;
    for (size_t i = 0; i < nparts && at < len; i++) {
        size_t end = parts[i].end < len ? parts[i].end : len;
        run r = { s.font, s.size, s.bold, s.italic, false, false, 0, false, { 0, 0, 0 } };
        hl_apply(e, parts[i].cls, &r);
        if (end > at)
            text_append_run(e, &b->t, code.ptr + at, end - at, &s, &r, false, NULL);
        at = end;
    }
    free(parts);
    bk_buf_release(&code);
    w->no_indent = true;
}

/* A simple table: equal columns, wrapped cells, header row bold. */
static void table(walk *w, xmlNodePtr n)
{
    close_para(w);
    pdf_engine *e = w->e;
    xmlNodePtr *rows = NULL;
    size_t nrows = 0, caprows = 0, ncols = 0;
    for (xmlNodePtr x = n; x; x = bk_dom_next(x, n, false)) {
        if (is(x, "tr")) {
            BK_GROW(rows, caprows, nrows + 1);
            rows[nrows++] = x;
            size_t c = 0;
            for (xmlNodePtr td = x->children; td; td = td->next)
                if (is(td, "td") || is(td, "th"))
                    c++;
            if (c > ncols)
                ncols = c;
        }
    }
    if (!nrows || !ncols) {
        free(rows);
        return;
    }
    double width = e->text_width - w->left - w->right;
    double *col_x = bk_arena_alloc(&e->arena, ncols * sizeof(double));
    double *col_w = bk_arena_alloc(&e->arena, ncols * sizeof(double));
    for (size_t i = 0; i < ncols; i++) {
        col_w[i] = width / (double)ncols;
        col_x[i] = (double)i * col_w[i];
    }
    pdf_style s;
    pdf_style_base(e, &s);
    s.size = e->theme.body_size * 0.9;
    s.align = PA_START;
    s.first_indent = 0;
    s.hyphenate = true;
    s.space_before = s.space_after = 0;
    for (size_t r = 0; r < nrows; r++) {
        pdf_block *b = new_block(w, PK_ROW, &s);
        b->tag = "TR";
        b->cells = g_new0(pdf_text, ncols);
        b->cell_align = g_new0(pdf_align, ncols);
        b->ncells = ncols;
        b->col_x = col_x;
        b->col_w = col_w;
        b->first_row = r == 0;
        b->last_row = r + 1 == nrows;
        size_t c = 0;
        for (xmlNodePtr td = rows[r]->children; td && c < ncols; td = td->next) {
            if (!is(td, "td") && !is(td, "th"))
                continue;
            char *st = bk_dom_attr(td, "style");
            if (st && strstr(st, "text-align: center"))
                b->cell_align[c] = PA_CENTER;
            else if (st && strstr(st, "text-align: right"))
                b->cell_align[c] = PA_END;
            xmlFree(st);
            pdf_text *t = &b->cells[c++];
            t->attrs = pango_attr_list_new();
            pdf_style cs = s;
            cs.bold = is(td, "th");
            if (cs.bold)
                b->header_row = true;
            w->cell = t;
            w->cell_base = s;
            w->r = run_of(&cs);
            w->space = true;
            walk_children(w, td);
            w->cell = NULL;
        }
        for (; c < ncols; c++)
            b->cells[c].attrs = pango_attr_list_new();
    }
    /* space around the whole table */
    w->ch->blocks[w->ch->nblocks - nrows].style.space_before = e->theme.body_size * 0.6;
    w->ch->blocks[w->ch->nblocks - 1].style.space_after = e->theme.body_size * 0.8;
    w->no_indent = true;
    free(rows);
}

static void small_block(walk *w, xmlNodePtr n, bool muted, bool bold, double space_after)
{
    close_para(w);
    pdf_style saved = w->block;
    w->block.size = w->e->theme.small_size;
    w->block.first_indent = 0;
    w->block.align = PA_START;
    w->block.hyphenate = false;
    w->block.bold = bold;
    w->block.space_after = space_after;
    if (muted)
        w->block.colour = w->e->theme.muted;
    open_para(w);
    walk_children(w, n);
    close_para(w);
    w->block = saved;
}

/* A link's target in the PDF: a web address as it is; "file.xhtml#id"
 * and "#id" the destination "#id" (ids are unique in the book); a bare
 * "file.xhtml" the start of that chapter. Arena string. */
static const char *pdf_href(pdf_engine *e, const char *href)
{
    const char *p = href;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
           *p == '+' || *p == '-' || *p == '.')
        p++;
    if (*p == ':' && p > href)
        return bk_arena_strdup(&e->arena, href);
    const char *hash = strchr(href, '#');
    if (hash && hash[1])
        return bk_arena_strdup(&e->arena, hash);
    size_t n = hash ? (size_t)(hash - href) : strlen(href);
    for (size_t i = 0; i < e->book->nposts; i++) {
        const bk_post *post = e->book->posts[i];
        if (strlen(post->file) == n && strncmp(post->file, href, n) == 0)
            return bk_arena_printf(&e->arena, "#%s", post->id);
    }
    return bk_arena_strdup(&e->arena, href);
}

static void inline_element(walk *w, xmlNodePtr n)
{
    /* Inline content belongs to a paragraph: open it first, so the run
     * saved below is this paragraph's, not the last block's. */
    open_para(w);
    run saved = w->r;
    const char *name = (const char *)n->name;
    const char *href_saved = w->href;
    int start = 0;
    if (!strcmp(name, "em") || !strcmp(name, "i") || !strcmp(name, "cite") ||
        !strcmp(name, "dfn") || !strcmp(name, "var"))
        w->r.italic = !w->r.italic;
    else if (!strcmp(name, "strong") || !strcmp(name, "b"))
        w->r.bold = true;
    else if (!strcmp(name, "code") || !strcmp(name, "kbd") || !strcmp(name, "samp") ||
             (!strcmp(name, "span") && bk_dom_has_class(n, "math")) ||
             (!strcmp(name, "span") && bk_dom_has_class(n, "task-box"))) {
        w->r.font = PF_MONO;
        w->r.size = w->r.size * 0.88;
    } else if (hl_class(n) != BK_HL_NONE && bk_dom_inside(n, "pre"))
        hl_apply(w->e, hl_class(n), &w->r); /* code in a table cell */
    else if (!strcmp(name, "del") || !strcmp(name, "s"))
        w->r.strike = true;
    else if (!strcmp(name, "u") || !strcmp(name, "ins"))
        w->r.underline = true;
    else if (!strcmp(name, "sup"))
        w->r.rise = 1;
    else if (!strcmp(name, "sub"))
        w->r.rise = -1;
    else if (!strcmp(name, "small"))
        w->r.size *= 0.85;
    else if (!strcmp(name, "br")) {
        put_text(w, "\xE2\x80\xA8", 3); /* line separator: breaks, never justified */
        w->space = true;
        return;
    } else if (!strcmp(name, "a")) {
        char *href = bk_dom_attr(n, "href");
        if (href) {
            open_para(w);
            w->href = pdf_href(w->e, href);
            start = (int)text_len(target(w));
            w->r.coloured = true;
            w->r.colour = w->e->theme.link;
        }
        xmlFree(href);
    }
    if (!strcmp(name, "q"))
        put_text(w, "\xE2\x80\x9C", 3);
    walk_children(w, n);
    if (!strcmp(name, "q"))
        put_text(w, "\xE2\x80\x9D", 3);
    if (w->href && w->href != href_saved && target(w)) {
        pdf_text *t = target(w);
        int end = (int)text_len(t);
        if (end > start) {
            BK_GROW(t->links, t->caplinks, t->nlinks + 1);
            t->links[t->nlinks++] = (pdf_link){ start, end, g_strdup(w->href), 0 };
        }
        /* A footnote reference: its note goes to the foot of this page. */
        if (!w->in_notes && bk_dom_is(n->parent, "sup") && bk_dom_has_class(n->parent, "footnote-ref") &&
            w->href[0] == '#') {
            BK_GROW(t->refs, t->caprefs, t->nrefs + 1);
            t->refs[t->nrefs++] = (pdf_noteref){ start, g_strdup(w->href + 1), -1, -1 };
        }
    }
    w->href = href_saved;
    w->r = saved;
}

static void anchor(walk *w, xmlNodePtr n)
{
    char *id = bk_dom_attr(n, "id");
    if (!id)
        return;
    pdf_text *t = target(w);
    if (t) {
        BK_GROW(t->anchors, t->capanchors, t->nanchors + 1);
        t->anchors[t->nanchors++] = (pdf_anchor){ (int)text_len(t), g_strdup(id), 0, 0 };
    } else if (!w->pending_dest) {
        w->pending_dest = g_strdup(id);
    } else {
        /* two ids before any text: the second one becomes an anchor at
         * the start of the block once it exists */
        BK_GROW(w->pending_more, w->cappending_more, w->npending_more + 1);
        w->pending_more[w->npending_more++] = g_strdup(id);
    }
    xmlFree(id);
}

static void walk_node(walk *w, xmlNodePtr n)
{
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        put_text(w, (const char *)n->content, strlen((const char *)n->content));
        return;
    }
    if (n->type != XML_ELEMENT_NODE)
        return;
    const char *name = (const char *)n->name;
    int level = heading_level(n);
    xmlNodePtr saved_src = w->src;
    if (!w->cell && (level || is(n, "p") || is(n, "li") || is(n, "pre") || is(n, "table") ||
                     is(n, "dt") || is(n, "dd") || is(n, "figure") || is(n, "hr") ||
                     is(n, "img") || is(n, "blockquote") || is(n, "summary") || is(n, "div")))
        w->src = n;
    const char *saved_lang = w->lang;
    char *lang = bk_dom_attr(n, "lang");
    if (lang && *lang)
        w->lang = bk_arena_strdup(&w->e->arena, lang);
    xmlFree(lang);
    walk_element(w, n, name, level);
    w->lang = saved_lang;
    w->src = saved_src;
}

static void walk_element(walk *w, xmlNodePtr n, const char *name, int level)
{
    if (!is(n, "h1") || !bk_dom_has_class(n, "chapter-title"))
        anchor(w, n);
    if (w->cell) {
        /* Inside a table cell everything is inline. */
        if (level || is(n, "p") || is(n, "div") || is(n, "li"))
            put_text(w, " ", 1);
        if (is(n, "img")) {
            /* No pictures inside table cells: their description stands in. */
            char *alt = bk_dom_attr(n, "alt");
            if (alt && *alt) {
                run saved = w->r;
                w->r.italic = !w->r.italic;
                put_text(w, alt, strlen(alt));
                w->r = saved;
            }
            xmlFree(alt);
            return;
        }
        inline_element(w, n);
        return;
    }
    if (level) {
        heading(w, n, level, bk_dom_has_class(n, "chapter-title"));
    } else if (is(n, "p")) {
        if (bk_dom_has_class(n, "chapter-meta") || bk_dom_has_class(n, "chapter-tags")) {
            small_block(w, n, true, false, w->e->theme.body_size * 0.2);
            if (bk_dom_has_class(n, "chapter-tags") || !n->next)
                w->ch->blocks[w->ch->nblocks - 1].style.space_after = w->e->theme.body_size * 1.8;
            w->no_indent = true;
            return;
        }
        if (bk_dom_has_class(n, "chapter-subtitle")) {
            close_para(w);
            pdf_style saved = w->block;
            w->block.italic = true;
            w->block.size = w->e->theme.body_size * 1.2;
            w->block.align = PA_START;
            w->block.first_indent = 0;
            w->block.space_after = w->e->theme.body_size * 0.5;
            w->block.hyphenate = false;
            open_para(w);
            walk_children(w, n);
            close_para(w);
            w->block = saved;
            return;
        }
        close_para(w);
        open_para(w);
        walk_children(w, n);
        close_para(w);
    } else if (is(n, "ul") || is(n, "ol")) {
        list(w, n, is(n, "ol"));
    } else if (is(n, "pre")) {
        code_block(w, n);
    } else if (is(n, "hr")) {
        rule(w);
    } else if (is(n, "img")) {
        char *title = bk_dom_attr(n, "title");
        image(w, n, title);
        xmlFree(title);
    } else if (is(n, "figure")) {
        /* Images take the caption; everything else in the figure (a link
         * that replaced a remote image, text) is walked as usual. */
        char *cap = caption_of(n);
        bool used = false;
        for (xmlNodePtr c = n->children; c; c = c->next) {
            if (is(c, "img")) {
                if (image(w, c, used ? NULL : cap) && cap)
                    used = true;
            } else if (is(c, "figcaption")) {
                continue;
            } else {
                walk_node(w, c);
            }
        }
        if (!used && cap) {
            close_para(w);
            pdf_style saved = w->block;
            w->block.italic = true;
            w->block.align = PA_CENTER;
            w->block.first_indent = 0;
            w->block.size = w->e->theme.small_size;
            open_para(w);
            put_text(w, cap, strlen(cap));
            close_para(w);
            w->block = saved;
        }
        g_free(cap);
    } else if (is(n, "table")) {
        table(w, n);
    } else if (is(n, "blockquote") || (is(n, "aside") && !bk_dom_has_class(n, "footnote"))) {
        close_para(w);
        double indent = nest_indent(w, w->e->theme.body_size * 1.5);
        size_t first = w->ch->nblocks;
        w->left += indent;
        w->right += indent * 0.5;
        w->quote_depth++;
        w->no_indent = true; /* a quotation's first paragraph starts flush */
        walk_children(w, n);
        close_para(w);
        /* Air above and below the quotation. */
        if (w->ch->nblocks > first) {
            pdf_block *b0 = &w->ch->blocks[first], *b1 = &w->ch->blocks[w->ch->nblocks - 1];
            if (b0->style.space_before < w->e->theme.body_size * 0.5)
                b0->style.space_before = w->e->theme.body_size * 0.5;
            if (b1->style.space_after < w->e->theme.body_size * 0.5)
                b1->style.space_after = w->e->theme.body_size * 0.5;
        }
        w->quote_depth--;
        w->left -= indent;
        w->right -= indent * 0.5;
        w->no_indent = true;
    } else if (is(n, "dt") || is(n, "summary")) {
        close_para(w);
        pdf_style saved = w->block;
        w->block.bold = true;
        w->block.first_indent = 0;
        w->block.align = PA_START;
        w->block.keep_with_next = true;
        open_para(w);
        walk_children(w, n);
        close_para(w);
        w->block = saved;
        w->no_indent = true;
    } else if (is(n, "dd")) {
        close_para(w);
        double indent = nest_indent(w, w->e->theme.body_size * 1.5);
        w->left += indent;
        pdf_style saved = w->block;
        w->block.first_indent = 0;
        walk_children(w, n);
        close_para(w);
        w->block = saved;
        w->left -= indent;
    } else if (is(n, "section") && bk_dom_has_class(n, "footnotes")) {
        /* Each note becomes one small block, set at the foot of the page
         * that cites it (pages.c). */
        close_para(w);
        pdf_style ns;
        pdf_style_base(w->e, &ns);
        ns.size = w->e->theme.small_size;
        ns.first_indent = 0;
        ns.line_height = 1.25;
        ns.space_before = ns.space_after = 0;
        ns.hyphenate = false;
        for (xmlNodePtr a = n->children; a; a = a->next) {
            if (!is(a, "aside"))
                continue;
            char *id = bk_dom_attr(a, "id");
            pdf_block *b = note_block_add(w->ch, &ns);
            b->left = w->left;
            b->right = w->right;
            w->ch->note_ids[w->ch->nnotes - 1] = g_strdup(id ? id : "");
            if (id) {
                b->dest = g_strdup(id);
            }
            xmlFree(id);
            w->in_notes = true;
            w->cell = &b->t;
            w->cell_base = ns;
            w->r = run_of(&ns);
            w->space = true;
            walk_children(w, a);
            w->cell = NULL;
            w->in_notes = false;
        }
    } else if (is(n, "div") && bk_dom_has_class(n, "math")) {
        close_para(w);
        pdf_style saved = w->block;
        w->block.font = PF_MONO;
        w->block.size = w->e->theme.code_size;
        w->block.align = PA_CENTER;
        w->block.first_indent = 0;
        w->block.hyphenate = false;
        w->block.pre = true;
        open_para(w);
        xmlChar *tex = xmlNodeGetContent(n);
        bk_str t = bk_str_trim(bk_str_from((const char *)tex));
        put_text(w, t.p, t.len);
        xmlFree(tex);
        close_para(w);
        w->block = saved;
    } else if (is(n, "div") || is(n, "section") || is(n, "header") || is(n, "footer") ||
               is(n, "article") || is(n, "nav") || is(n, "main") || is(n, "details") ||
               is(n, "dl") || is(n, "aside") || is(n, "li") || is(n, "address") ||
               is(n, "figcaption") || is(n, "body")) {
        close_para(w);
        walk_children(w, n);
        close_para(w);
    } else {
        (void)name;
        inline_element(w, n);
    }
}

static void walk_children(walk *w, xmlNodePtr n)
{
    for (xmlNodePtr c = n->children; c; c = c->next)
        walk_node(w, c);
}

/* ==================== a chapter ==================== */

void pdf_boxes_chapter(pdf_engine *e, size_t post)
{
    bk_post *p = e->book->posts[post];
    pdf_chapter *ch = pdf_chapter_add(e, (int)post);
    ch->running_title = g_strdup(p->title_text);
    ch->lang = p->doc_lang;
    walk w;
    memset(&w, 0, sizeof w);
    w.e = e;
    w.ch = ch;
    w.post = post;
    pdf_style_base(e, &w.block);
    /* Hyphenation patterns are the book's language's: a post in another
     * language is not hyphenated. */
    const char *bl = e->book->meta.lang, *pl = p->doc_lang;
    size_t n1 = strcspn(bl, "-"), n2 = strcspn(pl, "-");
    if (n1 != n2 || bk_ascii_casecmp(bk_arena_strndup(&e->arena, bl, n1),
                                     bk_arena_strndup(&e->arena, pl, n2)) != 0)
        w.block.hyphenate = false;
    w.r = run_of(&w.block);
    w.no_indent = true;
    w.space = true;
    w.pending_dest = g_strdup(p->id);
    xmlNodePtr root = xmlDocGetRootElement(p->doc);
    xmlNodePtr body = NULL;
    for (xmlNodePtr c = root->children; c; c = c->next)
        if (is(c, "body"))
            body = c;
    if (body)
        walk_children(&w, body);
    close_para(&w);
    g_free(w.marker);
    g_free(w.pending_dest);
    for (size_t i = 0; i < w.npending_more; i++)
        g_free(w.pending_more[i]);
    free(w.pending_more);
    /* Footnote references to their notes, in paragraphs and table cells. */
    bk_strmap ids = BK_STRMAP_INIT;
    for (size_t m = ch->nnotes; m-- > 0;)
        if (ch->note_ids[m])
            bk_strmap_put(&ids, ch->note_ids[m], (long)m);
    for (size_t i = 0; i < ch->nblocks; i++) {
        pdf_block *b = &ch->blocks[i];
        for (size_t c = 0; c <= b->ncells; c++) {
            pdf_text *t = c < b->ncells ? &b->cells[c] : &b->t;
            for (size_t k = 0; k < t->nrefs; k++) {
                long *m = bk_strmap_lookup(&ids, t->refs[k].id);
                if (m)
                    t->refs[k].note = *m;
            }
        }
    }
    bk_strmap_release(&ids);
    /* Right to left: indents, list markers and quote bars are mirrored. */
    if (p->rtl) {
        for (size_t i = 0; i < ch->nblocks; i++) {
            pdf_block *b = &ch->blocks[i];
            double l = b->left;
            b->left = b->right;
            b->right = l;
            b->rtl = true;
        }
        for (size_t i = 0; i < ch->nnotes; i++)
            ch->notes[i].rtl = true;
    }
    /* Blocks without text (an empty paragraph) are dropped. */
    size_t k = 0;
    for (size_t i = 0; i < ch->nblocks; i++) {
        pdf_block *b = &ch->blocks[i];
        bool empty = b->kind == PK_TEXT && (!b->t.text || !*b->t.text) && !b->marker;
        if (empty && !b->dest && !b->t.nanchors) {
            pango_attr_list_unref(b->t.attrs);
            g_free(b->t.text);
            continue;
        }
        /* A long book keeps every chapter's blocks until it is drawn:
         * no room to spare in them. */
        if (b->t.text && b->t.cap > b->t.len + 1) {
            b->t.text = g_realloc(b->t.text, b->t.len + 1);
            b->t.cap = b->t.len + 1;
        }
        ch->blocks[k++] = *b;
    }
    ch->nblocks = k;
    if (ch->nblocks && ch->cap > ch->nblocks) {
        ch->blocks = bk_xrealloc(ch->blocks, ch->nblocks * sizeof(*ch->blocks));
        ch->cap = ch->nblocks;
    }
}

static void text_release(pdf_text *t)
{
    for (size_t i = 0; i < t->nrefs; i++)
        g_free(t->refs[i].id);
    free(t->refs);
    g_free(t->text);
    if (t->attrs)
        pango_attr_list_unref(t->attrs);
    for (size_t i = 0; i < t->nlinks; i++)
        g_free(t->links[i].href);
    free(t->links);
    for (size_t i = 0; i < t->nanchors; i++)
        g_free(t->anchors[i].id);
    free(t->anchors);
    if (t->layout)
        g_object_unref(t->layout);
    if (t->measured)
        g_object_unref(t->measured);
    free(t->lines);
}

/* The bulk of a drawn text: its layout, lines, text and attributes
 * (links, anchors and names stay: the destination maps borrow them). */
static void text_drop_layout(pdf_text *t)
{
    if (t->layout)
        g_object_unref(t->layout);
    t->layout = NULL;
    free(t->lines);
    t->lines = NULL;
    t->nlines = 0;
    g_free(t->text);
    t->text = NULL;
    t->len = t->cap = 0;
    if (t->attrs)
        pango_attr_list_unref(t->attrs);
    t->attrs = NULL;
}

static void text_drop_glyphs(pdf_text *t)
{
    if (t->layout)
        g_object_unref(t->layout);
    t->layout = NULL;
    for (size_t i = 0; i < t->nlines; i++)
        t->lines[i].pl = NULL;
}

/* fn on every text of a chapter: blocks, table cells, footnotes. */
static void each_text(pdf_chapter *ch, void (*fn)(pdf_text *t))
{
    for (size_t i = 0; i < ch->nblocks; i++) {
        fn(&ch->blocks[i].t);
        for (size_t k = 0; k < ch->blocks[i].ncells; k++)
            fn(&ch->blocks[i].cells[k]);
    }
    for (size_t i = 0; i < ch->nnotes; i++)
        fn(&ch->notes[i].t);
}

void pdf_chapter_drop_glyphs(pdf_engine *e, size_t c)
{
    each_text(&e->chapters[c], text_drop_glyphs);
    e->chapters[c].glyphs_dropped = true;
}

size_t pdf_chapter_text_bytes(const pdf_chapter *ch)
{
    size_t n = 0;
    for (size_t i = 0; i < ch->nblocks; i++) {
        n += ch->blocks[i].t.len;
        for (size_t k = 0; k < ch->blocks[i].ncells; k++)
            n += ch->blocks[i].cells[k].len;
    }
    for (size_t i = 0; i < ch->nnotes; i++)
        n += ch->notes[i].t.len;
    return n;
}

void pdf_chapter_drop_layouts(pdf_engine *e, size_t c)
{
    each_text(&e->chapters[c], text_drop_layout);
}

void pdf_chapter_release(pdf_engine *e, size_t c)
{
    pdf_chapter *ch = &e->chapters[c];
    for (size_t i = 0; i < ch->nblocks; i++) {
        pdf_block *b = &ch->blocks[i];
        text_release(&b->t);
        for (size_t k = 0; k < b->ncells; k++)
            text_release(&b->cells[k]);
        g_free(b->cells);
        g_free(b->cell_align);
        g_free(b->marker);
        g_free(b->outline_title);
        g_free(b->alt);
        g_free(b->dest);
        g_free(b->toc_target);
    }
    free(ch->blocks);
    for (size_t i = 0; i < ch->nnotes; i++) {
        text_release(&ch->notes[i].t);
        g_free(ch->notes[i].dest);
        g_free(ch->note_ids[i]);
    }
    free(ch->notes);
    free(ch->note_ids);
    g_free(ch->running_title);
    ch->blocks = NULL;
    ch->nblocks = ch->cap = 0;
    ch->notes = NULL;
    ch->note_ids = NULL;
    ch->nnotes = ch->capnotes = 0;
    ch->running_title = NULL;
}

void pdf_boxes_release(pdf_engine *e)
{
    for (size_t c = 0; c < e->nchapters; c++)
        pdf_chapter_release(e, c);
    free(e->chapters);
    e->chapters = NULL;
    e->nchapters = 0;
}
