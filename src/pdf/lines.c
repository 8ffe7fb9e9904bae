/* lines.c -- pango breaks every block into lines (see pdf_int.h). */
#include <string.h>

#include "pdf_int.h"

#include "bookify/banned.h"

/* Width kept at a code block's start for the continuation mark. */
#define CODE_PAD 6.0

char *pdf_family_list(const pdf_engine *e, pdf_font f)
{
    /* The theme's family, then bookify's alias carrying the per-script
     * fallbacks of fonts/bookify.conf. */
    return f == PF_MONO      ? g_strconcat(e->theme.mono_font, ",bookify-mono", NULL)
           : f == PF_HEADING ? g_strconcat(e->theme.heading_font, ",bookify-sans", NULL)
                             : g_strconcat(e->theme.body_font, ",bookify-serif", NULL);
}

PangoFontDescription *pdf_font_desc(const pdf_engine *e, const pdf_style *s)
{
    PangoFontDescription *fd = pango_font_description_new();
    char *family = pdf_family_list(e, s->font);
    pango_font_description_set_family(fd, family);
    g_free(family);
    pango_font_description_set_absolute_size(fd, s->size * PANGO_SCALE);
    pango_font_description_set_weight(fd, s->bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_font_description_set_style(fd, s->italic ? PANGO_STYLE_ITALIC : PANGO_STYLE_NORMAL);
    return fd;
}

void pdf_hold_fonts(pdf_engine *e, PangoLayout *l)
{
    if (!e->fonts_held)
        e->fonts_held = g_hash_table_new_full(g_direct_hash, g_direct_equal, g_object_unref, NULL);
    PangoFont *last = NULL;
    for (GSList *li = pango_layout_get_lines_readonly(l); li; li = li->next)
        for (GSList *r = ((PangoLayoutLine *)li->data)->runs; r; r = r->next) {
            PangoFont *f = ((PangoGlyphItem *)r->data)->item->analysis.font;
            if (f && f != last && !g_hash_table_contains(e->fonts_held, f))
                g_hash_table_add(e->fonts_held, g_object_ref(f));
            last = f;
        }
}

/* Is the first letter of s from a right-to-left script (as pango's base
 * direction would find)? */
static bool starts_rtl(const char *s)
{
    for (const char *p = s; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (!g_unichar_isalpha(c))
            continue;
        GUnicodeScript sc = g_unichar_get_script(c);
        return sc == G_UNICODE_SCRIPT_ARABIC || sc == G_UNICODE_SCRIPT_HEBREW ||
               sc == G_UNICODE_SCRIPT_SYRIAC || sc == G_UNICODE_SCRIPT_THAANA ||
               sc == G_UNICODE_SCRIPT_NKO;
    }
    return false;
}

void pdf_text_lang(pdf_text *t, const char *lang)
{
    if (lang && !t->lang_added) {
        t->lang_added = true;
        /* The language picks CJK variants and fallback fonts. */
        PangoAttribute *a = pango_attr_language_new(pango_language_from_string(lang));
        a->start_index = 0;
        a->end_index = G_MAXUINT;
        pango_attr_list_insert_before(t->attrs, a);
    }
}

/* Whether a table cell's unwrapped layout (pdf_table_columns) is already
 * the one layout_text would make: the same font and spacing, every line
 * left to right and at the left, none wider than the column. Pango breaks
 * a line only when it is wider than the layout, so each paragraph keeps
 * its one line, and a left-aligned line starts at 0 whatever the width.
 * A right-to-left line is aligned against the layout's width, so it is
 * laid out again; so is any other alignment, justification or indent. */
static bool measured_fits(PangoLayout *m, const PangoFontDescription *fd, PangoAlignment align,
                          bool justify, bool indent, float spacing, int width)
{
    if (align != PANGO_ALIGN_LEFT || justify || indent ||
        pango_layout_get_line_spacing(m) != spacing ||
        !pango_font_description_equal(pango_layout_get_font_description(m), fd))
        return false;
    PangoRectangle logical;
    pango_layout_get_extents(m, NULL, &logical);
    if (logical.x != 0 || logical.width > width)
        return false;
    for (GSList *l = pango_layout_get_lines_readonly(m); l; l = l->next)
        if (((PangoLayoutLine *)l->data)->resolved_dir != PANGO_DIRECTION_LTR)
            return false;
    return true;
}

static int layout_text(pdf_engine *e, pdf_text *t, const pdf_style *s, double width, bool first_line,
                       const char *lang, bool rtl)
{
    /* Laid out again before drawing (pdf_chapter_relayout): the same
     * text, attributes and width give the same lines. */
    if (t->layout)
        g_object_unref(t->layout);
    free(t->lines);
    t->lines = NULL;
    if (width < 20)
        width = 20;
    PangoFontDescription *fd = pdf_font_desc(e, s);
    bool justify = s->align == PA_JUSTIFY, indent = first_line && s->first_indent > 0;
    PangoAlignment align = s->align == PA_CENTER ? PANGO_ALIGN_CENTER
                           : s->align == PA_END  ? PANGO_ALIGN_RIGHT
                                                 : PANGO_ALIGN_LEFT;
    /* Pango mirrors the alignment of right-to-left paragraphs itself; in a
     * right-to-left chapter a left-to-right line (a date, a name) starts
     * at the right too. */
    if (rtl && align != PANGO_ALIGN_CENTER && t->text && !starts_rtl(t->text))
        align = align == PANGO_ALIGN_LEFT ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT;
    /* Baseline to baseline = line_height x size, whatever the font's own
     * line gap: pango's factor multiplies the font's height. */
    float spacing = (float)(s->line_height / 1.17);
    PangoLayout *l = NULL;
    bool held = false; /* a measured cell's fonts are held already (measure) */
    if (t->measured) {
        if (measured_fits(t->measured, fd, align, justify, indent, spacing,
                          (int)(width * PANGO_SCALE))) {
            l = t->measured;
            held = true;
            e->cells_kept++;
        } else {
            g_object_unref(t->measured);
        }
        t->measured = NULL;
    }
    if (!l) {
        l = pango_layout_new(e->pango);
        pango_layout_set_font_description(l, fd);
        pango_layout_set_text(l, t->text ? t->text : "", -1);
        pdf_text_lang(t, lang);
        pango_layout_set_attributes(l, t->attrs);
        pango_layout_set_width(l, (int)(width * PANGO_SCALE));
        pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
        pango_layout_set_justify(l, justify);
        pango_layout_set_alignment(l, align);
        if (indent)
            pango_layout_set_indent(l, (int)(s->first_indent * PANGO_SCALE));
        pango_layout_set_line_spacing(l, spacing);
    }
    pango_font_description_free(fd);
    t->layout = l;
    t->width = width;
    int n = pango_layout_get_line_count(l);
    t->lines = bk_xcalloc((size_t)(n ? n : 1), sizeof(*t->lines));
    t->nlines = 0;
    PangoLayoutIter *it = pango_layout_get_iter(l);
    do {
        int y0, y1;
        pango_layout_iter_get_line_yrange(it, &y0, &y1);
        int base = pango_layout_iter_get_baseline(it);
        PangoRectangle logical;
        pango_layout_iter_get_line_extents(it, NULL, &logical);
        t->lines[t->nlines++] = (pdf_line){ (double)y0 / PANGO_SCALE, (double)(y1 - y0) / PANGO_SCALE,
                                            (double)base / PANGO_SCALE,
                                            (double)logical.x / PANGO_SCALE,
                                            (double)logical.width / PANGO_SCALE,
                                            pango_layout_iter_get_line_readonly(it) };
    } while (pango_layout_iter_next_line(it) && t->nlines < (size_t)n);
    pango_layout_iter_free(it);
    if (!held)
        pdf_hold_fonts(e, l);
    /* The line of each footnote reference, asked for again and again
     * while pages are filled. */
    for (size_t k = 0; k < t->nrefs; k++) {
        int line, x;
        pango_layout_index_to_line_x(l, t->refs[k].index, FALSE, &line, &x);
        t->refs[k].line = line;
    }
    for (size_t k = 0; k < t->nanchors; k++)
        pango_layout_index_to_line_x(l, t->anchors[k].index, FALSE, &t->anchors[k].line, &t->anchors[k].x);
    return pango_layout_get_unknown_glyphs_count(l);
}

int pdf_lines_block(pdf_engine *e, pdf_block *b, const char *lang)
{
    double width = e->text_width - b->left - b->right;
    int unknown = 0;
    switch (b->kind) {
    case PK_TEXT:
        if (b->shaded)
            width -= 2 * CODE_PAD + b->style.size;
        /* Pango sets a justified line to the full width and then adds the
         * hyphen of a broken word after it: keep room for that hyphen so
         * no line runs into the margin. */
        if (b->style.hyphenate && b->t.text && strstr(b->t.text, "\xC2\xAD"))
            width -= b->style.size * 0.4;
        unknown += layout_text(e, &b->t, &b->style, width, true, lang, b->rtl);
        break;
    case PK_ROW: {
        double h = 0;
        for (size_t i = 0; i < b->ncells; i++) {
            pdf_style cs = b->style;
            cs.bold = b->header_row;
            cs.align = b->cell_align ? b->cell_align[i] : PA_START;
            unknown += layout_text(e, &b->cells[i], &cs, b->col_w[i] - 8, false, lang, b->rtl);
            double ch = 0;
            if (b->cells[i].nlines) {
                const pdf_line *last = &b->cells[i].lines[b->cells[i].nlines - 1];
                ch = last->top + last->height;
            }
            if (ch > h)
                h = ch;
        }
        b->row_height = h + 6;
        break;
    }
    case PK_IMAGE: {
        /* Fit the text width and two thirds of the page, aspect kept;
         * never enlarged past 1.5x its natural size. */
        double w = b->img_w, h = b->img_h;
        double maxw = width, maxh = e->text_height * 0.66;
        double scale = 1.5;
        if (w * scale > maxw)
            scale = maxw / w;
        if (h * scale > maxh)
            scale = maxh / h;
        b->img_w = w * scale;
        b->img_h = h * scale;
        break;
    }
    case PK_RULE:
    case PK_BREAK:
        break;
    }
    return unknown;
}

bool pdf_block_relayout(pdf_engine *e, size_t c, size_t i)
{
    pdf_chapter *ch = &e->chapters[c];
    pdf_block *b = i < ch->nblocks ? &ch->blocks[i] : &ch->notes[i - ch->nblocks];
    if ((b->kind != PK_TEXT || !b->t.text) && b->kind != PK_ROW)
        return true; /* an image's size is set once: laying it out again would scale it twice */
    size_t n = b->t.nlines;
    double h = b->row_height;
    pdf_lines_block(e, b, ch->lang);
    return n == b->t.nlines && h == b->row_height;
}

bool pdf_chapter_relayout(pdf_engine *e, size_t c)
{
    pdf_chapter *ch = &e->chapters[c];
    bool same = true;
    for (size_t i = 0; i < ch->nblocks + ch->nnotes; i++)
        same = pdf_block_relayout(e, c, i) && same;
    return same;
}

/* ==================== table columns ==================== */

/* Width of a cell's text laid out at `wrap`, or unwrapped when wrap < 0.
 * An unwrapped layout is made as layout_text would make it but for the
 * width (the chapter's language, the line spacing) and kept in
 * t->measured: a cell that fits its column is then not laid out twice
 * (measured_fits). BOOKIFY_NO_CELL_REUSE=1 lays every cell out again. */
static double measure(pdf_engine *e, pdf_text *t, const pdf_style *s, double wrap, const char *lang)
{
    static int no_reuse;
    PangoLayout *l = pango_layout_new(e->pango);
    PangoFontDescription *fd = pdf_font_desc(e, s);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(l, t->text ? t->text : "", -1);
    pdf_text_lang(t, lang);
    pango_layout_set_attributes(l, t->attrs);
    if (wrap >= 0) {
        pango_layout_set_width(l, (int)(wrap * PANGO_SCALE));
        pango_layout_set_wrap(l, PANGO_WRAP_WORD);
    } else {
        pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
        pango_layout_set_line_spacing(l, (float)(s->line_height / 1.17));
    }
    PangoRectangle logical;
    pango_layout_get_extents(l, NULL, &logical);
    if (wrap < 0 && !bk_env_on("BOOKIFY_NO_CELL_REUSE", &no_reuse)) {
        if (t->measured)
            g_object_unref(t->measured); /* an earlier try at another size */
        t->measured = l;
        pdf_hold_fonts(e, l);
        e->cells_measured++;
    } else {
        g_object_unref(l);
    }
    return (double)logical.width / PANGO_SCALE;
}

void pdf_table_columns(pdf_engine *e, pdf_block *rows, size_t nrows, const char *lang)
{
    if (!nrows || !rows[0].ncells)
        return;
    size_t ncols = rows[0].ncells;
    double pad = 8;
    double width = e->text_width - rows[0].left - rows[0].right;
    double *mn = bk_xcalloc(ncols, sizeof(double)), *pref = bk_xcalloc(ncols, sizeof(double));
    /* Narrower type for wide tables, down to 80 percent, before any word
     * has to break inside a cell. */
    double scale = 1.0;
    for (int attempt = 0; attempt < 3; attempt++) {
        double smin = 0, spref = 0;
        /* Each cell unwrapped first; the narrowest each can be (its
         * longest word: a layout wrapped at every break, which pango
         * shapes again line by line, the dearer half) only when the
         * table does not fit unwrapped. */
        for (int pass = 0; pass < 2 && (pass == 0 || spref > width); pass++)
            for (size_t c = 0; c < ncols; c++) {
                double *m = pass ? &mn[c] : &pref[c];
                *m = 0;
                for (size_t r = 0; r < nrows; r++) {
                    pdf_style s = rows[r].style;
                    s.size *= scale;
                    s.bold = rows[r].header_row;
                    double a = measure(e, &rows[r].cells[c], &s, pass ? 1 : -1, lang) + pad;
                    if (a > *m)
                        *m = a;
                }
                *(pass ? &smin : &spref) += *m;
            }
        if (spref <= width)
            smin = spref; /* fits unwrapped: the narrowest widths are not needed */
        double *w = rows[0].col_w, *x = rows[0].col_x;
        if (smin <= width || attempt == 2) {
            for (size_t c = 0; c < ncols; c++) {
                if (spref <= width) /* room for every cell unwrapped: spread the rest */
                    w[c] = pref[c] + (width - spref) * (pref[c] / spref);
                else if (smin <= width) /* between: give each column its share of the slack */
                    w[c] = mn[c] + (pref[c] - mn[c]) * (width - smin) / (spref - smin);
                else /* even the longest words do not fit: they will break */
                    w[c] = mn[c] * width / smin;
            }
            double acc = 0;
            for (size_t c = 0; c < ncols; c++) {
                x[c] = acc;
                acc += w[c];
            }
            if (scale < 1.0)
                for (size_t r = 0; r < nrows; r++)
                    rows[r].style.size *= scale;
            break;
        }
        scale -= 0.1;
    }
    free(mn);
    free(pref);
}
