/*
 * theme.h -- the PDF theme: page, fonts, sizes, colours (private to pdf/).
 *
 * A theme is YAML (styles/default-theme.yml is compiled in as the default;
 * --theme FILE or bookify.yml `theme:` loads another on top of it, key by
 * key). All lengths are in PostScript points once loaded; the file may say
 * "12pt", "10mm", "2cm", "1in", "0.5em" (of the body size) or a bare number
 * (points). Colours are "#rrggbb" or "#rgb". See docs/theme.md.
 */
#ifndef BK_PDF_THEME_H
#define BK_PDF_THEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bookify/diag.h"
#include "bookify/highlight.h"

typedef struct bk_rgb {
    double r, g, b; /* 0..1 */
} bk_rgb;

/* How highlighted code of one class looks (theme `highlight:`). */
typedef struct bk_hl_style {
    bool coloured; /* else the code's own colour */
    bk_rgb colour;
    bool bold, italic;
} bk_hl_style;

typedef struct bk_theme {
    /* page */
    double page_width, page_height;
    double margin_top, margin_bottom, margin_inner, margin_outer;
    bool two_sided;          /* inner/outer margins alternate; running heads face */
    bool chapter_recto;      /* each post starts on a right-hand page */
    /* fonts: fontconfig family names */
    char *body_font, *heading_font, *mono_font;
    double body_size;        /* pt */
    double line_height;      /* multiple of the font size, e.g. 1.35 */
    double paragraph_space;  /* pt between paragraphs */
    double paragraph_indent; /* pt first-line indent (0: none) */
    bool justify, hyphenate;
    double heading_size[6];  /* pt, h1..h6 */
    double heading_space_before, heading_space_after; /* multiples of body size */
    double code_size;        /* pt */
    double small_size;       /* pt: captions, running heads, footnotes */
    /* colours */
    bk_rgb text, heading, link, code_background, rule, quote_bar, muted;
    /* syntax highlighting, by class (index BK_HL_*; [0] unused) */
    bk_hl_style highlight[BK_HL_COUNT];
    /* running heads and feet: templates with {book}, {chapter}, {part},
     * {page}; empty = nothing */
    char *header_verso, *header_recto, *footer_verso, *footer_recto;
} bk_theme;

/* The built-in default theme, then the file at path on top (NULL: none).
 * display names path in diagnostics. Returns 0, or -1 after recording an
 * error (unreadable file, malformed YAML, bad value; an unknown key is a
 * warning, so an error only under --strict) at the file's line. t need not
 * be initialised (it is overwritten) and is usable (defaults where the file
 * was wrong) even after an error; release it with bk_theme_release. */
int bk_theme_load(bk_theme *t, const char *path, const char *display, bk_diags *d);

/* Set the page size from a name: "A3" ... "A6", "B5", "Letter", "Legal",
 * or WIDTHxHEIGHT with a unit: "6x9in", "148x210mm", "21x29.7cm"
 * (case-insensitive; 1in to 200in each way). Returns false when it is not
 * one (t unchanged). For bookify.yml `page-size:` and --page-size, called
 * after bk_theme_load. */
bool bk_theme_page_size(bk_theme *t, const char *name);

void bk_theme_release(bk_theme *t);

/* Fonts: make fontconfig use bookify's font set-up (fonts/bookify.conf,
 * compiled in): the theme's families from Debian's fonts-* packages, with
 * per-script fallbacks. Returns an FcConfig* (as void*) to hand to pango's
 * font map, or NULL after recording an error (run-wide, naming the Debian
 * package) when one of the theme's three families is not installed; a
 * family without real italic or bold faces gets a warning. Thread-safe to
 * call once; free with bk_fonts_release (pango_fc_font_map_set_config
 * takes its own reference, so that may follow at once).
 *
 * Ask pango for the theme's family followed by bookify's generic one, e.g.
 * "Gentium Book Plus, bookify-serif" (heading: bookify-sans, code:
 * bookify-mono): the generic names carry the per-script fallbacks. */
void *bk_fonts_config(const bk_theme *t, bk_diags *d);
void bk_fonts_release(void *config);

/* A configuration holding only the fonts of the families fontconfig ranks
 * for the family lists (as the PDF asks pango, "Gentium Book Plus,
 * bookify-serif") in the given languages, or NULL when it would not give
 * the same fonts as the full config: when some character in chars (every
 * one the book shows, sorted or not) is in no font of a strongly bound
 * family, or when the set is not exactly those families' fonts. Sorting
 * fonts for each new font description is fontconfig's cost of a font
 * (pango sorts the whole set; 600 installed fonts took a fifth of a
 * 100-post book's PDF), so fewer fonts are faster; the fonts and
 * therefore the bytes are the same. Release with bk_fonts_release. */
void *bk_fonts_narrow(void *config, const char *const *lists, size_t nlists,
                      const char *const *langs, size_t nlangs, const uint32_t *chars,
                      size_t nchars);

#endif
