/* theme.c -- the PDF theme from YAML (see theme.h and docs/theme.md). */
#include "pdf/theme.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bookify/fileio.h"
#include "yamlx.h"

#include "bookify/banned.h"

/* styles/default-theme.yml, compiled in by bk_embed (CMakeLists.txt). */
extern const unsigned char bk_builtin_theme[];
extern const size_t bk_builtin_theme_len;

#define BUILTIN_NAME "<builtin:default-theme.yml>"
#define THEME_MAX (1u << 20)

/* Limits that keep layout arithmetic sane; none is a typographic opinion. */
#define PT_PER_IN 72.0
#define PAGE_MIN 72.0      /* 1in */
#define PAGE_MAX 14400.0   /* 200in: the largest page a PDF may have */
#define FONT_MIN 2.0
#define FONT_MAX 200.0
#define LENGTH_MAX 1000.0
#define TEXT_BLOCK_MIN 72.0

/* ---- numbers, lengths, colours, page sizes ---- */

/* A decimal number at *p ("12", "10.5", ".5"), advancing *p. strtod would
 * follow LC_NUMERIC and read "10.5" as 10 under a decimal-comma locale. */
static bool parse_number(const char **p, double *out)
{
    const char *s = *p;
    double v = 0;
    int digits = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++)
        v = v * 10 + (*s - '0');
    if (*s == '.') {
        double scale = 1;
        for (s++; *s >= '0' && *s <= '9'; s++, digits++) {
            scale /= 10;
            v += (*s - '0') * scale;
        }
    }
    if (!digits || !isfinite(v))
        return false;
    *p = s;
    *out = v;
    return true;
}

static const char *skip_blanks(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

typedef enum len_status {
    LEN_OK,
    LEN_SYNTAX,   /* not a number */
    LEN_UNIT,     /* a number with a unit we do not know */
    LEN_NEGATIVE,
} len_status;

/* Points per unit; 0 for em (relative), -1 for an unknown unit. The unit is
 * the n bytes at u, compared without case. */
static double unit_scale(const char *u, size_t n)
{
    static const struct {
        const char *name;
        double pt;
    } units[] = {
        { "pt", 1.0 }, { "mm", PT_PER_IN / 25.4 }, { "cm", PT_PER_IN / 2.54 },
        { "in", PT_PER_IN }, { "em", 0.0 },
    };
    for (size_t i = 0; i < BK_ARRAY_LEN(units); i++) {
        if (n == strlen(units[i].name) && bk_str_caseeq((bk_str){ u, n }, units[i].name))
            return units[i].pt;
    }
    return -1;
}

/* Read one length at *p: a number and an optional unit (none: points; em:
 * times em). */
static len_status read_length(const char **p, double em, double *out)
{
    const char *s = skip_blanks(*p);
    bool negative = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    double v;
    if (!parse_number(&s, &v))
        return LEN_SYNTAX;
    s = skip_blanks(s);
    const char *u = s;
    while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
        s++;
    size_t n = (size_t)(s - u);
    if (n) {
        double scale = unit_scale(u, n);
        if (scale < 0)
            return LEN_UNIT;
        v *= scale > 0 ? scale : em;
    }
    if (negative && v != 0)
        return LEN_NEGATIVE;
    *p = s;
    *out = v;
    return LEN_OK;
}

/* A whole length: "12pt", "10mm", "2cm", "1in", "0.5em", "12". */
static len_status parse_length(const char *s, double em, double *out)
{
    double v;
    len_status st = read_length(&s, em, &v);
    if (st != LEN_OK)
        return st;
    if (*skip_blanks(s))
        return LEN_SYNTAX;
    *out = v;
    return LEN_OK;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "#rrggbb" or "#rgb" (each digit doubled, as in CSS). */
static bool parse_colour(const char *s, bk_rgb *out)
{
    bk_str t = bk_str_trim(bk_str_from(s));
    if (t.len != 4 && t.len != 7)
        return false;
    if (t.p[0] != '#')
        return false;
    int v[6];
    for (size_t i = 1; i < t.len; i++) {
        v[i - 1] = hex_digit(t.p[i]);
        if (v[i - 1] < 0)
            return false;
    }
    double c[3];
    for (int i = 0; i < 3; i++)
        c[i] = t.len == 4 ? v[i] * 17 / 255.0 : (v[2 * i] * 16 + v[2 * i + 1]) / 255.0;
    *out = (bk_rgb){ c[0], c[1], c[2] };
    return true;
}

/* One side of a WIDTHxHEIGHT page size: a number and maybe an absolute
 * unit (*scale: points per unit, or -1 when there is none). */
static bool read_dim(const char **p, double *v, double *scale)
{
    const char *s = skip_blanks(*p);
    if (!parse_number(&s, v))
        return false;
    s = skip_blanks(s);
    const char *u = s;
    while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
        s++;
    /* "6x9in", "6inx9in": the 'x' between the sides is no unit letter. */
    if (s > u && (s[-1] == 'x' || s[-1] == 'X') &&
        ((*s >= '0' && *s <= '9') || *s == '.' || *s == ' ' || *s == '\t'))
        s--;
    *scale = s > u ? unit_scale(u, (size_t)(s - u)) : -1;
    if (s > u && *scale <= 0) /* unknown unit, or em */
        return false;
    *p = s;
    return true;
}

bool bk_theme_page_size(bk_theme *t, const char *name)
{
    /* ISO 216 A and B series and the two North American sizes, portrait. */
    static const struct {
        const char *name;
        double w, h; /* mm */
    } named[] = {
        { "A3", 297, 420 },           { "A4", 210, 297 },          { "A5", 148, 210 },
        { "A6", 105, 148 },           { "B5", 176, 250 },          { "Letter", 215.9, 279.4 },
        { "Legal", 215.9, 355.6 },
    };
    bk_str s = bk_str_trim(bk_str_from(name));
    for (size_t i = 0; i < BK_ARRAY_LEN(named); i++) {
        if (bk_str_caseeq(s, named[i].name)) {
            t->page_width = named[i].w * PT_PER_IN / 25.4;
            t->page_height = named[i].h * PT_PER_IN / 25.4;
            return true;
        }
    }
    /* WIDTHxHEIGHT: the height's unit is required (a bare "6x9" could be
     * inches or centimetres); the width may borrow it ("6x9in"). */
    const char *p = s.p, *end = s.p + s.len;
    double w, h, wscale, hscale;
    if (!read_dim(&p, &w, &wscale))
        return false;
    p = skip_blanks(p);
    if (*p == 'x' || *p == 'X')
        p++;
    else if ((unsigned char)p[0] == 0xC3 && (unsigned char)p[1] == 0x97) /* U+00D7 */
        p += 2;
    else
        return false;
    if (!read_dim(&p, &h, &hscale) || hscale < 0 || skip_blanks(p) < end)
        return false;
    w *= wscale < 0 ? hscale : wscale;
    h *= hscale;
    if (w < PAGE_MIN || h < PAGE_MIN || w > PAGE_MAX || h > PAGE_MAX)
        return false;
    t->page_width = w;
    t->page_height = h;
    return true;
}

/* ---- the key tables ---- */

typedef enum key_kind {
    K_SECTION,   /* a mapping of more keys */
    K_PAGE_SIZE, /* a name or WxH */
    K_LENGTH,    /* pt, >= 0 */
    K_BODY_SIZE, /* a font size that em lengths then follow */
    K_FONT_SIZE, /* pt, FONT_MIN..FONT_MAX */
    K_EMS,       /* a length stored as a multiple of the body size */
    K_RATIO,     /* a bare multiple (line height) */
    K_BOOL,
    K_FONT,      /* a fontconfig family name */
    K_COLOUR,
    K_TEMPLATE,  /* running head text with {placeholders} */
    K_SIZES,     /* the list of heading sizes */
    K_HL_STYLE,  /* "#rrggbb bold italic", "plain" */
} key_kind;

typedef struct theme_key {
    const char *name;
    key_kind kind;
    size_t off;                  /* of the field in bk_theme */
    const struct theme_key *sub; /* K_SECTION: its keys, ending in { NULL } */
} theme_key;

#define FIELD(f) offsetof(bk_theme, f)

static const theme_key margin_keys[] = {
    { "top", K_LENGTH, FIELD(margin_top), NULL },
    { "bottom", K_LENGTH, FIELD(margin_bottom), NULL },
    { "inner", K_LENGTH, FIELD(margin_inner), NULL },
    { "outer", K_LENGTH, FIELD(margin_outer), NULL },
    { NULL, K_SECTION, 0, NULL },
};

static const theme_key page_keys[] = {
    { "size", K_PAGE_SIZE, 0, NULL },
    { "margins", K_SECTION, 0, margin_keys },
    { "two-sided", K_BOOL, FIELD(two_sided), NULL },
    { "chapter-recto", K_BOOL, FIELD(chapter_recto), NULL },
    { NULL, K_SECTION, 0, NULL },
};

static const theme_key font_keys[] = {
    { "body", K_FONT, FIELD(body_font), NULL },
    { "heading", K_FONT, FIELD(heading_font), NULL },
    { "mono", K_FONT, FIELD(mono_font), NULL },
    { NULL, K_SECTION, 0, NULL },
};

static const theme_key text_keys[] = {
    { "size", K_BODY_SIZE, FIELD(body_size), NULL },
    { "line-height", K_RATIO, FIELD(line_height), NULL },
    { "paragraph-space", K_LENGTH, FIELD(paragraph_space), NULL },
    { "paragraph-indent", K_LENGTH, FIELD(paragraph_indent), NULL },
    { "justify", K_BOOL, FIELD(justify), NULL },
    { "hyphenate", K_BOOL, FIELD(hyphenate), NULL },
    { "code-size", K_FONT_SIZE, FIELD(code_size), NULL },
    { "small-size", K_FONT_SIZE, FIELD(small_size), NULL },
    { NULL, K_SECTION, 0, NULL },
};

static const theme_key heading_keys[] = {
    { "sizes", K_SIZES, FIELD(heading_size), NULL },
    { "h1", K_FONT_SIZE, FIELD(heading_size) + 0 * sizeof(double), NULL },
    { "h2", K_FONT_SIZE, FIELD(heading_size) + 1 * sizeof(double), NULL },
    { "h3", K_FONT_SIZE, FIELD(heading_size) + 2 * sizeof(double), NULL },
    { "h4", K_FONT_SIZE, FIELD(heading_size) + 3 * sizeof(double), NULL },
    { "h5", K_FONT_SIZE, FIELD(heading_size) + 4 * sizeof(double), NULL },
    { "h6", K_FONT_SIZE, FIELD(heading_size) + 5 * sizeof(double), NULL },
    { "space-before", K_EMS, FIELD(heading_space_before), NULL },
    { "space-after", K_EMS, FIELD(heading_space_after), NULL },
    { NULL, K_SECTION, 0, NULL },
};

static const theme_key colour_keys[] = {
    { "text", K_COLOUR, FIELD(text), NULL },
    { "heading", K_COLOUR, FIELD(heading), NULL },
    { "link", K_COLOUR, FIELD(link), NULL },
    { "code-background", K_COLOUR, FIELD(code_background), NULL },
    { "rule", K_COLOUR, FIELD(rule), NULL },
    { "quote-bar", K_COLOUR, FIELD(quote_bar), NULL },
    { "muted", K_COLOUR, FIELD(muted), NULL },
    { NULL, K_SECTION, 0, NULL },
};

static const theme_key highlight_keys[] = {
    { "keyword", K_HL_STYLE, FIELD(highlight) + BK_HL_KEYWORD * sizeof(bk_hl_style), NULL },
    { "type", K_HL_STYLE, FIELD(highlight) + BK_HL_TYPE * sizeof(bk_hl_style), NULL },
    { "string", K_HL_STYLE, FIELD(highlight) + BK_HL_STRING * sizeof(bk_hl_style), NULL },
    { "escape", K_HL_STYLE, FIELD(highlight) + BK_HL_ESCAPE * sizeof(bk_hl_style), NULL },
    { "comment", K_HL_STYLE, FIELD(highlight) + BK_HL_COMMENT * sizeof(bk_hl_style), NULL },
    { "number", K_HL_STYLE, FIELD(highlight) + BK_HL_NUMBER * sizeof(bk_hl_style), NULL },
    { "function", K_HL_STYLE, FIELD(highlight) + BK_HL_FUNCTION * sizeof(bk_hl_style), NULL },
    { "builtin", K_HL_STYLE, FIELD(highlight) + BK_HL_BUILTIN * sizeof(bk_hl_style), NULL },
    { "constant", K_HL_STYLE, FIELD(highlight) + BK_HL_CONSTANT * sizeof(bk_hl_style), NULL },
    { "preprocessor", K_HL_STYLE, FIELD(highlight) + BK_HL_PREPROCESSOR * sizeof(bk_hl_style), NULL },
    { "variable", K_HL_STYLE, FIELD(highlight) + BK_HL_VARIABLE * sizeof(bk_hl_style), NULL },
    { "tag", K_HL_STYLE, FIELD(highlight) + BK_HL_TAG * sizeof(bk_hl_style), NULL },
    { "attribute", K_HL_STYLE, FIELD(highlight) + BK_HL_ATTRIBUTE * sizeof(bk_hl_style), NULL },
    { "inserted", K_HL_STYLE, FIELD(highlight) + BK_HL_INSERTED * sizeof(bk_hl_style), NULL },
    { "deleted", K_HL_STYLE, FIELD(highlight) + BK_HL_DELETED * sizeof(bk_hl_style), NULL },
    { "heading", K_HL_STYLE, FIELD(highlight) + BK_HL_HEADING * sizeof(bk_hl_style), NULL },
    { NULL, K_SECTION, 0, NULL },
};

static const theme_key head_keys[] = {
    { "header-verso", K_TEMPLATE, FIELD(header_verso), NULL },
    { "header-recto", K_TEMPLATE, FIELD(header_recto), NULL },
    { "footer-verso", K_TEMPLATE, FIELD(footer_verso), NULL },
    { "footer-recto", K_TEMPLATE, FIELD(footer_recto), NULL },
    { NULL, K_SECTION, 0, NULL },
};

static const theme_key root_keys[] = {
    { "page", K_SECTION, 0, page_keys },
    { "fonts", K_SECTION, 0, font_keys },
    { "text", K_SECTION, 0, text_keys },
    { "headings", K_SECTION, 0, heading_keys },
    { "colours", K_SECTION, 0, colour_keys },
    { "colors", K_SECTION, 0, colour_keys }, /* the American spelling works too */
    { "running-heads", K_SECTION, 0, head_keys },
    { "highlight", K_SECTION, 0, highlight_keys },
    { NULL, K_SECTION, 0, NULL },
};

/* ---- walking a theme document ---- */

typedef struct theme_ctx {
    bk_theme *t;
    bk_diags *d;
    const theme_key *keys; /* of the mapping being walked */
    const char *section;   /* its name, NULL at the top */
    double em_before;      /* body size before this file: what text.size's em means */
    double em;             /* body size after it: what every other em means */
} theme_ctx;

static void *field(bk_theme *t, size_t off)
{
    return (char *)t + off;
}

static const char *node_kind(const yaml_node_t *v)
{
    return v->type == YAML_MAPPING_NODE    ? "mapping"
           : v->type == YAML_SEQUENCE_NODE ? "list"
                                           : "value";
}

/* The text of a scalar value, or NULL after an error saying what key
 * wanted (a null value counts as missing). */
static const char *scalar_or_error(theme_ctx *c, bk_yaml *y, const char *key, yaml_node_t *v,
                                   const char *wanted)
{
    if (v->type != YAML_SCALAR_NODE) {
        bk_error(c->d, bk_yaml_loc(y, v), "'%s' should be %s, not a %s", key, wanted,
                 node_kind(v));
        return NULL;
    }
    const char *s = bk_yaml_scalar(v);
    if (!s)
        bk_error(c->d, bk_yaml_loc(y, v), "'%s' has no value: it should be %s", key, wanted);
    return s;
}

static void length_error(theme_ctx *c, bk_yaml *y, const char *key, yaml_node_t *v,
                         const char *s, len_status st)
{
    bk_loc loc = bk_yaml_loc(y, v);
    if (st == LEN_NEGATIVE)
        bk_error(c->d, loc, "'%s' cannot be negative ('%s')", key, s);
    else if (st == LEN_UNIT)
        bk_error(c->d, loc, "'%s' has an unknown unit in '%s': use pt, mm, cm, in or em", key, s);
    else
        bk_error(c->d, loc,
                 "'%s' should be a length such as 12pt, 10mm, 2cm, 1in or 0.5em, not '%s'", key,
                 s);
}

/* A length value in points (em = em), range-checked; false after an error. */
static bool value_length(theme_ctx *c, bk_yaml *y, const char *key, yaml_node_t *v, double em,
                         double min, double max, double *out)
{
    const char *s = scalar_or_error(c, y, key, v, "a length such as 12pt or 10mm");
    if (!s)
        return false;
    double pt;
    len_status st = parse_length(s, em, &pt);
    if (st != LEN_OK) {
        length_error(c, y, key, v, s, st);
        return false;
    }
    if (pt < min || pt > max) {
        /* Show the value in points too when it was given in another unit. */
        bk_buf in_pt = BK_BUF_INIT;
        bk_buf_addf(&in_pt, "%gpt", pt);
        if (!bk_str_eq(bk_str_trim(bk_str_from(s)), in_pt.ptr))
            bk_buf_addf(&in_pt, " ('%s')", s);
        bk_error(c->d, bk_yaml_loc(y, v), "'%s' is %s: it should be from %gpt to %gpt", key,
                 in_pt.ptr, min, max);
        bk_buf_release(&in_pt);
        return false;
    }
    *out = pt;
    return true;
}

/* A running-head template: text with {book}, {chapter}, {part}, {page}. */
static bool check_template(theme_ctx *c, bk_yaml *y, const char *key, yaml_node_t *v,
                           const char *s)
{
    static const char *const names[] = { "{book}", "{chapter}", "{part}", "{page}" };
    for (const char *p = strchr(s, '{'); p; p = strchr(p + 1, '{')) {
        bool known = false;
        for (size_t i = 0; i < BK_ARRAY_LEN(names) && !known; i++)
            known = strncmp(p, names[i], strlen(names[i])) == 0;
        if (!known) {
            size_t n = strcspn(p, "}");
            if (p[n] == '}')
                n++;
            bk_error(c->d, bk_yaml_loc(y, v),
                     "'%s' has an unknown placeholder '%.*s': use {book}, {chapter}, {part} "
                     "or {page}",
                     key, (int)(n > 40 ? 40 : n), p);
            return false;
        }
    }
    return true;
}

static void set_string(char **dst, const char *s, size_t n)
{
    free(*dst);
    *dst = bk_xstrndup(s, n);
}

static int on_key(void *ctx, bk_yaml *y, const char *key, yaml_node_t *k, yaml_node_t *v);

/* A highlight style: words in any order, "#rrggbb" (or "#rgb"), "bold",
 * "italic"; "plain" alone for none of them. */
static void set_hl_style(theme_ctx *c, bk_yaml *y, const char *key, yaml_node_t *v,
                         bk_hl_style *out)
{
    const char *wanted = "a colour and 'bold' or 'italic', such as \"#1d3f8a bold\", or 'plain'";
    const char *s = scalar_or_error(c, y, key, v, wanted);
    if (!s)
        return;
    bk_hl_style st = { 0 };
    bool plain = false, ok = true;
    size_t words = 0;
    for (const char *p = skip_blanks(s); *p && ok; p = skip_blanks(p), words++) {
        size_t n = strcspn(p, " \t");
        char w[16];
        ok = n < sizeof w;
        if (!ok)
            break;
        memcpy(w, p, n);
        w[n] = '\0';
        p += n;
        if (w[0] == '#' && !st.coloured)
            ok = st.coloured = parse_colour(w, &st.colour);
        else if (strcmp(w, "bold") == 0 && !st.bold)
            st.bold = true;
        else if (strcmp(w, "italic") == 0 && !st.italic)
            st.italic = true;
        else if (strcmp(w, "plain") == 0)
            plain = true;
        else
            ok = false;
    }
    if (!ok || (plain && words != 1))
        bk_error(c->d, bk_yaml_loc(y, v), "'%s' should be %s, not '%s'", key, wanted, s);
    else
        *out = st;
}

/* "a, b, c": the names of keys, for messages. */
static void known_keys(bk_buf *out, const theme_key *keys)
{
    for (const theme_key *tk = keys; tk->name; tk++)
        bk_buf_addf(out, "%s%s", out->len ? ", " : "", tk->name);
}

static void walk_section(theme_ctx *c, bk_yaml *y, const char *key, yaml_node_t *v,
                         const theme_key *sub)
{
    if (v->type != YAML_MAPPING_NODE) {
        /* An empty section ("page:") changes nothing. */
        if (v->type == YAML_SCALAR_NODE && !bk_yaml_scalar(v))
            return;
        bk_buf known = BK_BUF_INIT;
        known_keys(&known, sub);
        if (v->type == YAML_SCALAR_NODE)
            bk_error(c->d, bk_yaml_loc(y, v),
                     "'%s' should be a mapping with the keys %s, not '%s'", key, known.ptr,
                     bk_yaml_scalar(v));
        else
            bk_error(c->d, bk_yaml_loc(y, v),
                     "'%s' should be a mapping with the keys %s, not a list", key, known.ptr);
        bk_buf_release(&known);
        return;
    }
    theme_ctx inner = *c;
    inner.keys = sub;
    inner.section = key;
    bk_buf what = BK_BUF_INIT;
    bk_buf_addf(&what, "'%s'", key);
    bk_yaml_each_pair(y, v, what.ptr, on_key, &inner);
    bk_buf_release(&what);
}

static void set_sizes(theme_ctx *c, bk_yaml *y, const char *key, yaml_node_t *v)
{
    if (v->type != YAML_SEQUENCE_NODE) {
        bk_error(c->d, bk_yaml_loc(y, v),
                 "'%s' should be a list of up to six font sizes, h1 first, such as "
                 "[20pt, 16pt, 13.5pt]",
                 key);
        return;
    }
    yaml_node_item_t *start = v->data.sequence.items.start;
    size_t n = (size_t)(v->data.sequence.items.top - start);
    if (n > 6) {
        yaml_node_t *seventh = yaml_document_get_node(&y->doc, start[6]);
        bk_error(c->d, bk_yaml_loc(y, seventh ? seventh : v),
                 "'%s' has %zu sizes: there are only six heading levels", key, n);
        n = 6;
    }
    double *sizes = field(c->t, FIELD(heading_size));
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = yaml_document_get_node(&y->doc, start[i]);
        /* heading_keys[1 + i] is "h1".."h6": the item's name in messages. */
        if (item)
            value_length(c, y, heading_keys[1 + i].name, item, c->em, FONT_MIN, FONT_MAX,
                         &sizes[i]);
    }
}

static void set_value(theme_ctx *c, bk_yaml *y, const theme_key *tk, yaml_node_t *v)
{
    bk_theme *t = c->t;
    const char *key = tk->name;
    const char *s;
    switch (tk->kind) {
    case K_SECTION:
        walk_section(c, y, key, v, tk->sub);
        break;
    case K_PAGE_SIZE:
        s = scalar_or_error(c, y, key, v, "a page size such as A4, Letter or 6x9in");
        if (s && !bk_theme_page_size(t, s))
            bk_error(c->d, bk_yaml_loc(y, v),
                     "unknown page size '%s': use A3, A4, A5, A6, B5, Letter, Legal, or "
                     "WIDTHxHEIGHT with a unit, such as 6x9in or 148x210mm",
                     s);
        break;
    case K_LENGTH:
        value_length(c, y, key, v, c->em, 0, LENGTH_MAX, field(t, tk->off));
        break;
    case K_BODY_SIZE:
        value_length(c, y, key, v, c->em_before, FONT_MIN, FONT_MAX, field(t, tk->off));
        break;
    case K_FONT_SIZE:
        value_length(c, y, key, v, c->em, FONT_MIN, FONT_MAX, field(t, tk->off));
        break;
    case K_EMS: {
        double pt;
        if (value_length(c, y, key, v, c->em, 0, LENGTH_MAX, &pt))
            *(double *)field(t, tk->off) = pt / c->em;
        break;
    }
    case K_RATIO: {
        s = scalar_or_error(c, y, key, v, "a multiple of the font size such as 1.4");
        if (!s)
            break;
        const char *p = skip_blanks(s);
        double r;
        if (!parse_number(&p, &r) || *skip_blanks(p)) {
            bk_error(c->d, bk_yaml_loc(y, v),
                     "'%s' should be a multiple of the font size such as 1.4, not '%s'", key, s);
        } else if (r < 0.5 || r > 5) {
            bk_error(c->d, bk_yaml_loc(y, v), "'%s' is %g: it should be from 0.5 to 5", key, r);
        } else {
            *(double *)field(t, tk->off) = r;
        }
        break;
    }
    case K_BOOL:
        bk_yaml_bool(y, v, key, field(t, tk->off));
        break;
    case K_FONT: {
        s = scalar_or_error(c, y, key, v, "a font family name such as 'Gentium Book Plus'");
        if (!s)
            break;
        bk_str f = bk_str_trim(bk_str_from(s));
        /* The PDF asks pango for "FAMILY, bookify-serif": a comma here
         * would smuggle in more families. */
        if (!f.len || memchr(f.p, ',', f.len) || f.len > 200)
            bk_error(c->d, bk_yaml_loc(y, v), "'%s' should be one font family name, not '%s'",
                     key, s);
        else
            set_string(field(t, tk->off), f.p, f.len);
        break;
    }
    case K_COLOUR:
        if (v->type == YAML_SCALAR_NODE && !bk_yaml_scalar(v)) {
            /* `text: #1a1a1a` is `text:` and a comment to YAML. */
            bk_error(c->d, bk_yaml_loc(y, v),
                     "'%s' has no value: write colours in quotes, such as \"#1a1a1a\" "
                     "(YAML reads # as a comment)",
                     key);
            break;
        }
        s = scalar_or_error(c, y, key, v, "a colour such as \"#1a4d8f\"");
        if (s && !parse_colour(s, field(t, tk->off)))
            bk_error(c->d, bk_yaml_loc(y, v),
                     "'%s' should be a colour \"#rrggbb\" or \"#rgb\", not '%s'", key, s);
        break;
    case K_TEMPLATE:
        if (v->type == YAML_SCALAR_NODE && !bk_yaml_scalar(v)) {
            set_string(field(t, tk->off), "", 0); /* nothing there */
            break;
        }
        s = scalar_or_error(c, y, key, v, "text such as \"{chapter}\"");
        if (s && check_template(c, y, key, v, s))
            set_string(field(t, tk->off), s, strlen(s));
        break;
    case K_SIZES:
        set_sizes(c, y, key, v);
        break;
    case K_HL_STYLE:
        set_hl_style(c, y, key, v, field(t, tk->off));
        break;
    }
}

static int on_key(void *ctx, bk_yaml *y, const char *key, yaml_node_t *k, yaml_node_t *v)
{
    theme_ctx *c = ctx;
    for (const theme_key *tk = c->keys; tk->name; tk++) {
        if (strcmp(tk->name, key) == 0) {
            if (v)
                set_value(c, y, tk, v);
            return 0;
        }
    }
    bk_buf known = BK_BUF_INIT;
    known_keys(&known, c->keys);
    if (c->section)
        bk_warn(c->d, bk_yaml_loc(y, k), "unknown key '%s' in '%s' (known: %s); ignored", key,
                c->section, known.ptr);
    else
        bk_warn(c->d, bk_yaml_loc(y, k), "unknown theme section '%s' (known: %s); ignored", key,
                known.ptr);
    bk_buf_release(&known);
    return 0;
}

/* The body size this document will end with, so that em lengths anywhere
 * in it follow text.size wherever that key appears. Errors are left to the
 * walk. */
static double final_em(bk_yaml *y, yaml_node_t *root, double em)
{
    yaml_node_t *text = bk_yaml_lookup(y, root, "text");
    const char *s = bk_yaml_scalar(bk_yaml_lookup(y, text, "size"));
    double pt;
    if (s && parse_length(s, em, &pt) == LEN_OK && pt >= FONT_MIN && pt <= FONT_MAX)
        return pt;
    return em;
}

/* Apply the YAML text on top of t. Errors go to d. */
static void apply(bk_theme *t, const char *text, size_t len, const char *display, bk_diags *d)
{
    bk_yaml y = { 0 };
    if (bk_yaml_load(&y, text, len, display, 1, d) < 0)
        goto out;
    yaml_node_t *root = bk_yaml_root(&y);
    if (!root)
        goto out;
    if (root->type != YAML_MAPPING_NODE) {
        bk_error(d, bk_yaml_loc(&y, root),
                 "a theme should be sections of 'key: value' lines, such as 'page:' and 'text:'");
        goto out;
    }
    theme_ctx c = { t, d, root_keys, NULL, t->body_size, final_em(&y, root, t->body_size) };
    bk_yaml_each_pair(&y, root, "the theme", on_key, &c);
    /* Margins that eat the page are a mistake worth stopping for; later
     * overrides (--page-size) are the caller's to check with the same sum. */
    double tw = t->page_width - t->margin_inner - t->margin_outer;
    double th = t->page_height - t->margin_top - t->margin_bottom;
    if (tw < TEXT_BLOCK_MIN || th < TEXT_BLOCK_MIN)
        bk_error(d, (bk_loc){ display, 0, 0 },
                 "the margins leave a text block of %.0fx%.0fpt on a %.0fx%.0fpt page: it should "
                 "be at least 1in (72pt) each way",
                 tw, th, t->page_width, t->page_height);
out:
    bk_yaml_release(&y);
}

int bk_theme_load(bk_theme *t, const char *path, const char *display, bk_diags *d)
{
    memset(t, 0, sizeof(*t));
    if (!display)
        display = path;
    size_t errors = d->nerrors;
    bk_buf text = BK_BUF_INIT;
    /* The defaults come from the same parser as user themes, so the file
     * users copy as a starting point is exactly what bookify uses. */
    t->body_size = 10; /* only so that an em in the default theme is finite */
    apply(t, (const char *)bk_builtin_theme, bk_builtin_theme_len, BUILTIN_NAME, d);
    if (!path)
        goto out;
    size_t skip;
    int r = bk_yaml_read_file(path, display, THEME_MAX, "theme", &text, &skip, d);
    if (r == 1)
        bk_error(d, (bk_loc){ display, 0, 0 }, "cannot read the theme: %s", strerror(ENOENT));
    if (r != 0)
        goto out;
    apply(t, text.ptr + skip, text.len - skip, display, d);
out:
    bk_buf_release(&text);
    return d->nerrors > errors ? -1 : 0;
}

void bk_theme_release(bk_theme *t)
{
    if (!t)
        return;
    free(t->body_font);
    free(t->heading_font);
    free(t->mono_font);
    free(t->header_verso);
    free(t->header_recto);
    free(t->footer_verso);
    free(t->footer_recto);
    memset(t, 0, sizeof(*t));
}
