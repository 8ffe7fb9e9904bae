/* style.c -- computed styles: the theme applied to kinds of block (see pdf_int.h). */
#include "pdf_int.h"

#include "bookify/banned.h"

void pdf_style_base(const pdf_engine *e, pdf_style *s)
{
    const bk_theme *t = &e->theme;
    *s = (pdf_style){ 0 };
    s->font = PF_BODY;
    s->size = t->body_size;
    s->colour = t->text;
    s->align = t->justify ? PA_JUSTIFY : PA_START;
    s->line_height = t->line_height;
    s->space_after = t->paragraph_space;
    s->first_indent = t->paragraph_indent;
    s->hyphenate = t->hyphenate;
}

void pdf_style_heading(const pdf_engine *e, int level, pdf_style *s)
{
    const bk_theme *t = &e->theme;
    pdf_style_base(e, s);
    if (level < 1)
        level = 1;
    if (level > 6)
        level = 6;
    s->font = PF_HEADING;
    s->bold = true;
    s->size = t->heading_size[level - 1];
    s->colour = t->heading;
    s->align = PA_START;
    s->line_height = 1.2;
    s->first_indent = 0;
    s->hyphenate = false;
    s->keep_with_next = true;
    s->space_before = t->heading_space_before * t->body_size * (level <= 2 ? 1.0 : 0.8);
    s->space_after = t->heading_space_after * t->body_size;
}
