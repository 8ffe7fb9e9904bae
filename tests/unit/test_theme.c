/* Unit tests: the PDF theme (styles/default-theme.yml and user themes) and
 * the font set-up (fonts/bookify.conf). */
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "pdf/theme.h"

#define MM (72.0 / 25.4)
#define NEAR(a, b) (fabs((a) - (b)) < 0.01)

static char path[256];

static void write_theme(const char *text)
{
    snprintf(path, sizeof path, "%s/bk-theme-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        exit(2);
    close(fd);
}

/* Load the default theme with text on top; the caller releases t and d. */
static int load(bk_theme *t, const char *text, bk_diags *d)
{
    write_theme(text);
    int rc = bk_theme_load(t, path, "theme.yml", d);
    unlink(path);
    return rc;
}

/* The diagnostic whose message contains needle, or NULL. */
static const bk_diag *find(const bk_diags *d, const char *needle)
{
    for (size_t i = 0; i < d->len; i++)
        if (strstr(d->items[i].message, needle))
            return &d->items[i];
    return NULL;
}

#define CHECK_AT(d, needle, sev, l, c)                                                         \
    do {                                                                                       \
        const bk_diag *g = find((d), (needle));                                                \
        CHECK(g != NULL);                                                                      \
        if (g) {                                                                               \
            CHECK_STR(g->file, "theme.yml");                                                   \
            CHECK_INT(g->severity, (sev));                                                     \
            CHECK_INT(g->line, (l));                                                           \
            CHECK_INT(g->col, (c));                                                            \
        }                                                                                      \
    } while (0)

static void check_rgb(bk_rgb c, int r, int g, int b)
{
    CHECK(NEAR(c.r, r / 255.0));
    CHECK(NEAR(c.g, g / 255.0));
    CHECK(NEAR(c.b, b / 255.0));
}

static void test_defaults(void)
{
    bk_theme t;
    bk_diags d = BK_DIAGS_INIT;
    CHECK_INT(bk_theme_load(&t, NULL, NULL, &d), 0);
    CHECK_INT(d.len, 0);
    CHECK(NEAR(t.page_width, 595.276));
    CHECK(NEAR(t.page_height, 841.89));
    CHECK(NEAR(t.margin_top, 20 * MM));
    CHECK(NEAR(t.margin_bottom, 22 * MM));
    CHECK(NEAR(t.margin_inner, 22 * MM));
    CHECK(NEAR(t.margin_outer, 18 * MM));
    CHECK(t.two_sided);
    CHECK(!t.chapter_recto);
    CHECK_STR(t.body_font, "Gentium Book Plus");
    CHECK_STR(t.heading_font, "Noto Sans");
    CHECK_STR(t.mono_font, "DejaVu Sans Mono");
    CHECK(NEAR(t.body_size, 10.5));
    CHECK(NEAR(t.line_height, 1.4));
    CHECK(NEAR(t.paragraph_space, 0));
    CHECK(NEAR(t.paragraph_indent, 12));
    CHECK(t.justify);
    CHECK(t.hyphenate);
    const double h[6] = { 20, 16, 13.5, 12, 11, 10.5 };
    for (int i = 0; i < 6; i++)
        CHECK(NEAR(t.heading_size[i], h[i]));
    CHECK(NEAR(t.heading_space_before, 1.5));
    CHECK(NEAR(t.heading_space_after, 0.5));
    CHECK(NEAR(t.code_size, 8.5));
    CHECK(NEAR(t.small_size, 8.5));
    check_rgb(t.text, 0x1a, 0x1a, 0x1a);
    check_rgb(t.heading, 0x11, 0x11, 0x11);
    check_rgb(t.link, 0x1a, 0x4d, 0x8f);
    check_rgb(t.code_background, 0xf3, 0xf3, 0xf0);
    check_rgb(t.rule, 0x99, 0x99, 0x99);
    check_rgb(t.quote_bar, 0xbb, 0xbb, 0xbb);
    check_rgb(t.muted, 0x66, 0x66, 0x66);
    CHECK_STR(t.header_verso, "{book}");
    CHECK_STR(t.header_recto, "{chapter}");
    CHECK_STR(t.footer_verso, "{page}");
    CHECK_STR(t.footer_recto, "{page}");
    bk_theme_release(&t);
    bk_theme_release(&t); /* releasing twice is harmless */

    /* The shipped file, read as a user theme, is clean and changes nothing. */
    CHECK_INT(bk_theme_load(&t, BK_SOURCE_DIR "/styles/default-theme.yml", "default-theme.yml", &d),
              0);
    CHECK_INT(d.len, 0);
    CHECK(NEAR(t.page_width, 595.276));
    CHECK(NEAR(t.heading_space_before, 1.5));
    CHECK_STR(t.footer_recto, "{page}");
    bk_theme_release(&t);
    bk_diags_release(&d);
}

static void test_override(void)
{
    bk_theme t;
    bk_diags d = BK_DIAGS_INIT;
    CHECK_INT(load(&t,
                   "# a user theme\n"
                   "page:\n"
                   "  size: a5\n"
                   "  margins: {inner: 2cm}\n"
                   "  chapter-recto: yes\n"
                   "fonts:\n"
                   "  body: '  Linux Libertine O '\n"
                   "text:\n"
                   "  paragraph-indent: 1.5em   # em follows size below\n"
                   "  size: 12pt\n"
                   "  justify: false\n"
                   "headings:\n"
                   "  h2: 18pt\n"
                   "  space-before: 24pt\n"
                   "colors:\n"
                   "  link: '#C00'\n"
                   "running-heads:\n"
                   "  header-verso: '— {part} —'\n"
                   "  footer-recto: ''\n"
                   "  footer-verso:\n",
                   &d),
              0);
    CHECK_INT(d.len, 0);
    CHECK(NEAR(t.page_width, 148 * MM));
    CHECK(NEAR(t.page_height, 210 * MM));
    CHECK(NEAR(t.margin_inner, 20 * MM));
    CHECK(NEAR(t.margin_top, 20 * MM)); /* the default, kept */
    CHECK(t.chapter_recto);
    CHECK(t.two_sided);
    CHECK_STR(t.body_font, "Linux Libertine O");
    CHECK_STR(t.heading_font, "Noto Sans");
    CHECK(NEAR(t.body_size, 12));
    CHECK(NEAR(t.paragraph_indent, 18));
    CHECK(!t.justify);
    CHECK(t.hyphenate);
    CHECK(NEAR(t.heading_size[0], 20));
    CHECK(NEAR(t.heading_size[1], 18));
    CHECK(NEAR(t.heading_space_before, 2));  /* 24pt at 12pt */
    CHECK(NEAR(t.heading_space_after, 0.5)); /* still half the body size */
    check_rgb(t.link, 0xcc, 0, 0);
    check_rgb(t.text, 0x1a, 0x1a, 0x1a);
    CHECK_STR(t.header_verso, "— {part} —");
    CHECK_STR(t.header_recto, "{chapter}");
    CHECK_STR(t.footer_recto, "");
    CHECK_STR(t.footer_verso, "");
    bk_theme_release(&t);

    /* Empty themes and empty sections change nothing. */
    CHECK_INT(load(&t, "", &d), 0);
    bk_theme_release(&t);
    CHECK_INT(load(&t, "# nothing\n", &d), 0);
    bk_theme_release(&t);
    CHECK_INT(load(&t, "page:\ntext: ~\n", &d), 0);
    CHECK_INT(d.len, 0);
    CHECK(NEAR(t.page_width, 595.276));
    bk_theme_release(&t);

    /* A heading list may be shorter than six; a BOM is skipped. */
    CHECK_INT(load(&t, "\xEF\xBB\xBFheadings:\n  sizes: [2em, 18]\n", &d), 0);
    CHECK(NEAR(t.heading_size[0], 21));
    CHECK(NEAR(t.heading_size[1], 18));
    CHECK(NEAR(t.heading_size[2], 13.5));
    CHECK_INT(d.len, 0);
    bk_theme_release(&t);
    bk_diags_release(&d);
}

/* paragraph-indent given as text, in points; NAN on any diagnostic. */
static double indent(const char *value)
{
    char text[128];
    snprintf(text, sizeof text, "text:\n  paragraph-indent: %s\n", value);
    bk_theme t;
    bk_diags d = BK_DIAGS_INIT;
    double v = load(&t, text, &d) == 0 && d.len == 0 ? t.paragraph_indent : NAN;
    bk_theme_release(&t);
    bk_diags_release(&d);
    return v;
}

static void test_units(void)
{
    CHECK(NEAR(indent("12pt"), 12));
    CHECK(NEAR(indent("10mm"), 28.3465));
    CHECK(NEAR(indent("2cm"), 56.6929));
    CHECK(NEAR(indent("1in"), 72));
    CHECK(NEAR(indent("0.5em"), 5.25)); /* of 10.5pt */
    CHECK(NEAR(indent("7"), 7));
    CHECK(NEAR(indent("7.25"), 7.25));
    CHECK(NEAR(indent(".5in"), 36));
    CHECK(NEAR(indent("3 mm"), 3 * MM));
    CHECK(NEAR(indent("1IN"), 72));
    CHECK(NEAR(indent("0"), 0));
    CHECK(NEAR(indent("-0mm"), 0));
    CHECK(isnan(indent("12px")));
    CHECK(isnan(indent("twelve")));
    CHECK(isnan(indent("12pt 3")));
    CHECK(isnan(indent("-1mm")));
    CHECK(isnan(indent("1e3pt")));
    CHECK(isnan(indent("2000pt"))); /* beyond LENGTH_MAX */
    CHECK(isnan(indent("[1, 2]")));
    CHECK(isnan(indent("~")));

    /* em in text.size means the size before; everywhere else the new size. */
    bk_theme t;
    bk_diags d = BK_DIAGS_INIT;
    CHECK_INT(load(&t, "text:\n  size: 2em\n  code-size: 0.5em\n", &d), 0);
    CHECK(NEAR(t.body_size, 21));
    CHECK(NEAR(t.code_size, 10.5));
    bk_theme_release(&t);
    /* line-height is a bare multiple, not a length. */
    CHECK_INT(load(&t, "text:\n  line-height: 1.25\n", &d), 0);
    CHECK(NEAR(t.line_height, 1.25));
    bk_theme_release(&t);
    CHECK_INT(d.len, 0);
    bk_diags_release(&d);
}

static bool page(const char *name, double w, double h)
{
    bk_theme t = { 0 };
    if (!bk_theme_page_size(&t, name))
        return false;
    bool ok = NEAR(t.page_width, w) && NEAR(t.page_height, h);
    if (!ok)
        fprintf(stderr, "page size '%s' is %gx%g, expected %gx%g\n", name, t.page_width,
                t.page_height, w, h);
    return ok;
}

static bool not_page(const char *name)
{
    bk_theme t = { 0 };
    t.page_width = 1;
    bool refused = !bk_theme_page_size(&t, name);
    return refused && t.page_width == 1 && t.page_height == 0; /* unchanged */
}

static void test_page_sizes(void)
{
    CHECK(page("A3", 841.89, 1190.55));
    CHECK(page("A4", 595.276, 841.89));
    CHECK(page("a4", 595.276, 841.89));
    CHECK(page(" A4\n", 595.276, 841.89));
    CHECK(page("A5", 419.528, 595.276));
    CHECK(page("A6", 297.638, 419.528));
    CHECK(page("B5", 498.898, 708.661));
    CHECK(page("Letter", 612, 792));
    CHECK(page("LETTER", 612, 792));
    CHECK(page("Legal", 612, 1008));
    CHECK(page("legal", 612, 1008));
    CHECK(page("6x9in", 432, 648));
    CHECK(page("5.5x8.5in", 396, 612));
    CHECK(page("148x210mm", 419.528, 595.276));
    CHECK(page("21x29.7cm", 595.276, 841.89));
    CHECK(page("6X9IN", 432, 648));
    CHECK(page("6in x 9in", 432, 648));
    CHECK(page("6inx9in", 432, 648));
    CHECK(page("15cmx9in", 15 / 2.54 * 72, 648));
    CHECK(page("6×9in", 432, 648));
    CHECK(page("432x648pt", 432, 648));
    CHECK(not_page("A7"));
    CHECK(not_page("Tabloid"));
    CHECK(not_page(""));
    CHECK(not_page("6x9"));   /* which unit? */
    CHECK(not_page("6inx9")); /* the height needs its own */
    CHECK(not_page("6x9em"));
    CHECK(not_page("6x9px"));
    CHECK(not_page("x9in"));
    CHECK(not_page("6x"));
    CHECK(not_page("6x9in please"));
    CHECK(not_page("0x0mm"));
    CHECK(not_page("0.5x0.5in"));    /* smaller than 1in */
    CHECK(not_page("300x300in"));    /* larger than a PDF page may be */
    CHECK(not_page("-6x9in"));
    CHECK(not_page("6x9x12in"));
}

static void test_errors(void)
{
    bk_theme t;
    bk_diags d = BK_DIAGS_INIT;
    CHECK_INT(load(&t,
                   "page:\n"                                                         /* 1 */
                   "  size: A7\n"                                                    /* 2 */
                   "  orientation: landscape\n"                                      /* 3 */
                   "  margins:\n"                                                    /* 4 */
                   "    top: 20px\n"                                                 /* 5 */
                   "    bottom: -3mm\n"                                              /* 6 */
                   "fonts:\n"                                                        /* 7 */
                   "  body: 'A, B'\n"                                                /* 8 */
                   "text:\n"                                                         /* 9 */
                   "  line-height: 1.4em\n"                                          /* 10 */
                   "  size: [1]\n"                                                   /* 11 */
                   "  justify: maybe\n"                                              /* 12 */
                   "colours:\n"                                                      /* 13 */
                   "  text: #123456\n"                                               /* 14 */
                   "  link: '#12345g'\n"                                             /* 15 */
                   "headings:\n"                                                     /* 16 */
                   "  sizes: [20pt, 16pt, 13.5pt, 12pt, 11pt, 10.5pt, 9pt]\n"        /* 17 */
                   "  h3: 1pt\n"                                                     /* 18 */
                   "running-heads:\n"                                                /* 19 */
                   "  header-recto: '{title} and {page}'\n"                          /* 20 */
                   "colour: {}\n"                                                    /* 21 */
                   "fonts: 12\n",                                                    /* 22 */
                   &d),
              -1);
    CHECK_AT(&d, "unknown page size 'A7'", BK_ERROR, 2, 9);
    CHECK_AT(&d, "unknown key 'orientation' in 'page'", BK_WARNING, 3, 3);
    CHECK_AT(&d, "'top' has an unknown unit in '20px'", BK_ERROR, 5, 10);
    CHECK_AT(&d, "'bottom' cannot be negative", BK_ERROR, 6, 13);
    CHECK_AT(&d, "'text' has no value: write colours in quotes", BK_ERROR, 14, 8);
    CHECK_AT(&d, "'link' should be a colour", BK_ERROR, 15, 9);
    CHECK_AT(&d, "'line-height' should be a multiple", BK_ERROR, 10, 16);
    CHECK_AT(&d, "'size' should be a length such as 12pt or 10mm, not a list", BK_ERROR, 11, 9);
    CHECK_AT(&d, "'justify' should be true or false", BK_WARNING, 12, 12);
    CHECK_AT(&d, "'sizes' has 7 sizes", BK_ERROR, 17, 51);
    CHECK_AT(&d, "'h3' is 1pt", BK_ERROR, 18, 7);
    CHECK_AT(&d, "unknown placeholder '{title}'", BK_ERROR, 20, 17);
    CHECK_AT(&d, "unknown theme section 'colour'", BK_WARNING, 21, 1);
    /* The second 'fonts' wins (with a warning) and is no mapping. */
    CHECK_AT(&d, "duplicate key 'fonts'", BK_WARNING, 22, 1);
    CHECK_AT(&d, "'fonts' should be a mapping", BK_ERROR, 22, 8);
    CHECK(find(&d, "'body'") == NULL); /* shadowed by the second 'fonts' */
    CHECK_INT(d.nerrors, 11);
    CHECK_INT(d.nwarnings, 4);
    /* Bad values leave the defaults in place. */
    CHECK(NEAR(t.page_width, 595.276));
    CHECK(NEAR(t.margin_top, 20 * MM));
    CHECK(NEAR(t.line_height, 1.4));
    CHECK(t.justify);
    check_rgb(t.text, 0x1a, 0x1a, 0x1a);
    CHECK_STR(t.header_recto, "{chapter}");
    CHECK(NEAR(t.heading_size[0], 20)); /* the first six of seven were taken */
    CHECK(NEAR(t.heading_size[2], 13.5));
    bk_theme_release(&t);
    bk_diags_release(&d);

    CHECK_INT(load(&t, "fonts:\n  body: \"\"\n  mono: {a: b}\n", &d), -1);
    CHECK_AT(&d, "'body' should be one font family name", BK_ERROR, 2, 9);
    CHECK_AT(&d, "'mono' should be a font family name", BK_ERROR, 3, 9);
    CHECK_STR(t.body_font, "Gentium Book Plus");
    bk_theme_release(&t);
    bk_diags_release(&d);

    /* Under --strict an unknown key fails the load. */
    d.strict = true;
    CHECK_INT(load(&t, "text:\n  colour: red\n", &d), -1);
    CHECK_AT(&d, "unknown key 'colour' in 'text'", BK_ERROR, 2, 3);
    bk_theme_release(&t);
    bk_diags_release(&d);
    d.strict = false;

    /* Margins that leave no room for text. */
    CHECK_INT(load(&t, "page:\n  size: A6\n  margins: {inner: 50mm, outer: 50mm}\n", &d), -1);
    CHECK(find(&d, "the margins leave a text block") != NULL);
    bk_theme_release(&t);
    bk_diags_release(&d);

    /* Not a theme at all. */
    CHECK_INT(load(&t, "- a\n- b\n", &d), -1);
    CHECK_AT(&d, "a theme should be sections", BK_ERROR, 1, 1);
    bk_theme_release(&t);
    bk_diags_release(&d);
    CHECK_INT(load(&t, "page: [unclosed\n", &d), -1);
    CHECK_INT(d.nerrors, 1);
    CHECK_INT(d.items[0].line, 1);
    CHECK(find(&d, "invalid YAML") != NULL);
    CHECK(NEAR(t.page_width, 595.276)); /* still the defaults */
    bk_theme_release(&t);
    bk_diags_release(&d);
    CHECK_INT(bk_theme_load(&t, "/nonexistent/theme.yml", "theme.yml", &d), -1);
    CHECK_AT(&d, "cannot read the theme", BK_ERROR, 0, 0);
    CHECK_STR(t.body_font, "Gentium Book Plus");
    bk_theme_release(&t);
    bk_diags_release(&d);
    CHECK_INT(load(&t, "text:\n  size: \xff\n", &d), -1);
    CHECK(find(&d, "not valid UTF-8") != NULL);
    bk_theme_release(&t);
    bk_diags_release(&d);
}

/* The family fontconfig picks for family under config c. */
static void check_resolves(void *config, const char *family, const char *want)
{
    FcConfig *c = config;
    FcPattern *p = FcPatternCreate();
    FcPatternAddString(p, FC_FAMILY, (const FcChar8 *)family);
    FcConfigSubstitute(c, p, FcMatchPattern);
    FcDefaultSubstitute(p);
    FcResult res;
    FcPattern *font = FcFontMatch(c, p, &res);
    FcChar8 *got = NULL;
    if (font)
        FcPatternGetString(font, FC_FAMILY, 0, &got);
    CHECK_STR((const char *)got, want);
    if (font)
        FcPatternDestroy(font);
    FcPatternDestroy(p);
}

static void test_fonts(void)
{
    bk_theme t;
    bk_diags d = BK_DIAGS_INIT;
    CHECK_INT(bk_theme_load(&t, NULL, NULL, &d), 0);
    void *config = bk_fonts_config(&t, &d);
    if (!config && find(&d, "finds no fonts at all")) {
        printf("note: fontconfig finds no fonts here; font checks skipped\n");
        goto out;
    }
    CHECK(config != NULL);
    CHECK_INT(d.len, 0); /* all three families, with their four styles */
    for (size_t i = 0; i < d.len; i++)
        fprintf(stderr, "unexpected: %s\n", d.items[i].message);
    if (config) {
        check_resolves(config, "bookify-serif", "Gentium Book Plus");
        check_resolves(config, "bookify-sans", "Noto Sans");
        check_resolves(config, "bookify-mono", "DejaVu Sans Mono");
        check_resolves(config, "Gentium Book Plus", "Gentium Book Plus");
    }
    bk_fonts_release(config);
    bk_fonts_release(NULL);

    /* Missing families are errors naming the package to install. */
    free(t.body_font);
    t.body_font = bk_xstrdup("Gentium Nonesuch");
    free(t.mono_font);
    t.mono_font = bk_xstrdup("No Such Family 1234");
    config = bk_fonts_config(&t, &d);
    CHECK(config == NULL);
    CHECK_INT(d.nerrors, 2);
    const bk_diag *g = find(&d, "'Gentium Nonesuch' is not installed");
    CHECK(g && strstr(g->message, "fonts-sil-gentiumplus") && g->file == NULL && g->line == 0);
    CHECK(find(&d, "the code font 'No Such Family 1234' is not installed") != NULL);
    bk_fonts_release(config);
out:
    bk_theme_release(&t);
    bk_diags_release(&d);
}

/* The highlight section: defaults, a style of one's own, and bad styles
 * reported at their line. */
static void test_highlight(void)
{
    bk_theme t;
    bk_diags d = BK_DIAGS_INIT;
    CHECK_INT(bk_theme_load(&t, NULL, NULL, &d), 0);
    CHECK(t.highlight[BK_HL_KEYWORD].bold && t.highlight[BK_HL_KEYWORD].coloured);
    CHECK(t.highlight[BK_HL_COMMENT].italic && !t.highlight[BK_HL_COMMENT].bold);
    CHECK(!t.highlight[BK_HL_HEADING].coloured && t.highlight[BK_HL_HEADING].bold);
    for (int c = 1; c < BK_HL_COUNT; c++) /* every class has a look */
        CHECK(t.highlight[c].coloured || t.highlight[c].bold || t.highlight[c].italic);
    bk_theme_release(&t);

    CHECK_INT(load(&t, "highlight:\n  keyword: 'italic #f00'\n  comment: plain\n", &d), 0);
    CHECK(t.highlight[BK_HL_KEYWORD].italic && !t.highlight[BK_HL_KEYWORD].bold);
    CHECK(NEAR(t.highlight[BK_HL_KEYWORD].colour.r, 1) && NEAR(t.highlight[BK_HL_KEYWORD].colour.g, 0));
    CHECK(!t.highlight[BK_HL_COMMENT].coloured && !t.highlight[BK_HL_COMMENT].italic);
    CHECK(t.highlight[BK_HL_STRING].coloured); /* the rest as before */
    CHECK_INT(d.len, 0);
    bk_theme_release(&t);

    CHECK_INT(load(&t,
                   "highlight:\n"              /* 1 */
                   "  keyword: '#12 bold'\n"   /* 2 */
                   "  string: bold bold\n"     /* 3 */
                   "  comment: plain italic\n" /* 4 */
                   "  number:\n"               /* 5 */
                   "  opcode: bold\n",         /* 6 */
                   &d),
              -1);
    CHECK_AT(&d, "'keyword' should be a colour and 'bold' or 'italic'", BK_ERROR, 2, 12);
    CHECK_AT(&d, "'string' should be", BK_ERROR, 3, 11);
    CHECK_AT(&d, "'comment' should be", BK_ERROR, 4, 12);
    CHECK_AT(&d, "'number' has no value", BK_ERROR, 5, 10);
    CHECK_AT(&d, "unknown key 'opcode' in 'highlight'", BK_WARNING, 6, 3);
    CHECK(t.highlight[BK_HL_KEYWORD].bold); /* the default stays */
    bk_theme_release(&t);
    bk_diags_release(&d);
}

int main(void)
{
    RUN(test_defaults);
    RUN(test_override);
    RUN(test_units);
    RUN(test_page_sizes);
    RUN(test_errors);
    RUN(test_fonts);
    RUN(test_highlight);
    return TEST_DONE();
}
