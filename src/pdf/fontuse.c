/* fontuse.c -- the fonts a book's PDF can use: its characters, languages
 * and family lists, for a font set of only those (bk_fonts_narrow,
 * fonts.c; docs/performance.md, seventh pass).
 *
 * pango sorts every installed font for each new font description (a size,
 * a weight, a language...): a book has a hundred or more, and with 600
 * fonts installed that sorting was a fifth of a 100-post book's PDF. The
 * fonts of the families the book's patterns name are all pango ever picks
 * while those cover every character, so the PDF is the same with them
 * alone; when they do not, the full set is kept. */
#include <pango/pangofc-fontmap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

#include "bookify/banned.h"

#define MAX_CHAR 0x110000

typedef struct fontuse {
    uint64_t *seen;   /* a bit for each character */
    const char **langs;
    size_t nlangs, caplangs;
} fontuse;

static void add_chars(fontuse *u, const char *s)
{
    if (!s)
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        uint32_t c = *p;
        if (c < 0x80) {
            p++;
        } else {
            gunichar g = g_utf8_get_char_validated((const char *)p, -1);
            if (g == (gunichar)-1 || g == (gunichar)-2) {
                p++; /* pango shows a bad byte as a box, in any font */
                continue;
            }
            c = g;
            p = (const unsigned char *)g_utf8_next_char(p);
        }
        if (c < MAX_CHAR)
            u->seen[c / 64] |= (uint64_t)1 << (c % 64);
    }
}

static void add_lang(fontuse *u, const char *lang)
{
    if (!lang || !*lang)
        return;
    /* as pango hands it to fontconfig: lowercase, '-' separated */
    const char *l = pango_language_to_string(pango_language_from_string(lang));
    for (size_t i = 0; i < u->nlangs; i++)
        if (u->langs[i] == l) /* pango's language strings are interned */
            return;
    BK_GROW(u->langs, u->caplangs, u->nlangs + 1);
    u->langs[u->nlangs++] = l;
}

static gboolean lang_attr(PangoAttribute *a, gpointer ud)
{
    if (a->klass->type == PANGO_ATTR_LANGUAGE)
        add_lang(ud, pango_language_to_string(((PangoAttrLanguage *)a)->value));
    return FALSE; /* only looked at */
}

static void add_text(fontuse *u, const pdf_text *t)
{
    add_chars(u, t->text);
    if (t->attrs)
        pango_attr_list_unref(pango_attr_list_filter(t->attrs, lang_attr, u));
}

void pdf_fonts_narrow(pdf_engine *e)
{
    if (bk_env_on("BOOKIFY_ALL_FONTS", NULL))
        return;
    fontuse u = { bk_xcalloc(MAX_CHAR / 64, sizeof(uint64_t)), NULL, 0, 0 };
    const bk_book *book = e->book;
    add_lang(&u, book->meta.lang);
    for (size_t c = 0; c < e->nchapters; c++) {
        const pdf_chapter *ch = &e->chapters[c];
        add_lang(&u, ch->lang);
        add_chars(&u, ch->running_title);
        for (size_t i = 0; i < ch->nblocks; i++) {
            const pdf_block *b = &ch->blocks[i];
            add_text(&u, &b->t);
            add_chars(&u, b->marker);
            for (size_t k = 0; k < b->ncells; k++)
                add_text(&u, &b->cells[k]);
        }
        for (size_t i = 0; i < ch->nnotes; i++)
            add_text(&u, &ch->notes[i].t);
    }
    /* What the running heads and the page furniture draw besides. */
    add_chars(&u, book->meta.title);
    for (size_t i = 0; i < book->nparts; i++)
        add_chars(&u, book->parts[i].title);
    add_chars(&u, e->theme.header_recto);
    add_chars(&u, e->theme.header_verso);
    add_chars(&u, e->theme.footer_recto);
    add_chars(&u, e->theme.footer_verso);
    /* printable ASCII (page numbers, roman numerals), the ellipsis of a
     * running head cut short, a code line's continuation mark, hyphens */
    for (uint32_t c = 0x20; c < 0x7f; c++)
        u.seen[c / 64] |= (uint64_t)1 << (c % 64);
    add_chars(&u, "\xE2\x80\xA6\xE2\x86\xAA\xE2\x80\x90");

    uint32_t *chars = NULL;
    size_t nchars = 0, capchars = 0;
    for (uint32_t w = 0; w < MAX_CHAR / 64; w++)
        for (uint64_t bits = u.seen[w]; bits; bits &= bits - 1) {
            uint32_t c = w * 64 + (uint32_t)__builtin_ctzll(bits);
            /* pango picks a font for these only (itemize.c): spaces,
             * controls and format characters take the font around them */
            GUnicodeType type = g_unichar_type(c);
            if (!g_unichar_isgraph(c) && type != G_UNICODE_PRIVATE_USE &&
                type != G_UNICODE_UNASSIGNED)
                continue;
            BK_GROW(chars, capchars, nchars + 1);
            chars[nchars++] = c;
        }
    char *lists[3] = { pdf_family_list(e, PF_BODY), pdf_family_list(e, PF_HEADING),
                       pdf_family_list(e, PF_MONO) };
    void *narrow = bk_fonts_narrow(e->fc_config, (const char *const *)lists, 3, u.langs, u.nlangs,
                                   chars, nchars);
    if (narrow) {
        pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(e->fontmap), narrow);
        e->fc_narrow = narrow;
    }
    if (getenv("BOOKIFY_TIMES"))
        fprintf(stderr, "pdf: %zu characters in %zu language%s: %s\n", nchars, u.nlangs,
                u.nlangs == 1 ? "" : "s",
                narrow ? "only the fonts of the families asked for" : "every installed font");
    for (size_t i = 0; i < 3; i++)
        g_free(lists[i]);
    free(chars);
    free(u.langs);
    free(u.seen);
}
