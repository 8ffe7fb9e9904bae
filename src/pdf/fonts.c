/* fonts.c -- bookify's private fontconfig set-up (see theme.h and fonts/README.md). */
#include "pdf/theme.h"

#include <fontconfig/fontconfig.h>
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "bookify/banned.h"

/* fonts/bookify.conf, compiled in by bk_embed (CMakeLists.txt); NUL-terminated. */
extern const unsigned char bk_builtin_fontconf[];

/* Family names compare as fontconfig compares them: ASCII case and blanks
 * do not count ("DejaVuSans" is "DejaVu Sans"). */
static bool same_family(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ')
            a++;
        while (*b == ' ')
            b++;
        if (bk_ascii_lower(*a) != bk_ascii_lower(*b))
            return false;
        if (!*a)
            return true;
        a++;
        b++;
    }
}

/* The Debian package to suggest when a family is missing: exact names
 * first, then by prefix (first match wins, so the longer prefixes lead). */
static const char *package_for(const char *family)
{
    static const struct {
        const char *family;
        bool prefix;
        const char *package;
    } packages[] = {
        { "DejaVu Sans Mono", false, "fonts-dejavu-core" },
        { "DejaVu Sans", false, "fonts-dejavu-core" },
        { "DejaVu Serif", false, "fonts-dejavu-core" },
        { "DejaVu", true, "fonts-dejavu-extra" },
        { "Gentium", true, "fonts-sil-gentiumplus" },
        { "Noto Color Emoji", false, "fonts-noto-color-emoji" },
        { "Noto Sans Mono CJK", true, "fonts-noto-cjk" },
        { "Noto Sans CJK", true, "fonts-noto-cjk" },
        { "Noto Serif CJK", true, "fonts-noto-cjk" },
        { "Noto Sans Mono", false, "fonts-noto-mono" },
        { "Noto", true, "fonts-noto-core" },
        { "Linux Libertine", true, "fonts-linuxlibertine" },
        { "Linux Biolinum", true, "fonts-linuxlibertine" },
    };
    for (size_t i = 0; i < BK_ARRAY_LEN(packages); i++) {
        size_t n = strlen(packages[i].family);
        bool hit = packages[i].prefix ? strlen(family) >= n &&
                                            bk_str_caseeq((bk_str){ family, n }, packages[i].family)
                                      : same_family(family, packages[i].family);
        if (hit)
            return packages[i].package;
    }
    return NULL;
}

/* The font fontconfig picks for family's upright regular face: the caller
 * destroys it. NULL only when there are no fonts at all. */
static FcPattern *match(FcConfig *c, const char *family)
{
    FcPattern *p = FcPatternCreate();
    FcPatternAddString(p, FC_FAMILY, (const FcChar8 *)family);
    FcPatternAddInteger(p, FC_WEIGHT, FC_WEIGHT_REGULAR);
    FcPatternAddInteger(p, FC_SLANT, FC_SLANT_ROMAN);
    FcConfigSubstitute(c, p, FcMatchPattern);
    FcDefaultSubstitute(p);
    FcResult res;
    FcPattern *font = FcFontMatch(c, p, &res);
    FcPatternDestroy(p);
    return font;
}

/* Is family one of the font's family names (a font may have several, such
 * as "DejaVu Sans" and "DejaVu Sans Condensed")? */
static bool has_family(FcPattern *font, const char *family)
{
    FcChar8 *name;
    for (int i = 0; FcPatternGetString(font, FC_FAMILY, i, &name) == FcResultMatch; i++) {
        if (same_family((const char *)name, family))
            return true;
    }
    return false;
}

/* Warn when family lacks real italic, bold or bold italic faces. pango
 * fakes a missing italic by slanting the upright face and a missing bold by
 * smearing it: legible, but visibly not the real thing in print. The faces
 * are listed rather than matched: fontconfig's 90-synthetic.conf dresses a
 * matched upright face up as oblique or bold, which would hide the gap. */
static void check_styles(FcConfig *c, const char *role, const char *family, const char *pkg,
                         bk_diags *d)
{
    bool italic = false, bold = false, bold_italic = false;
    FcPattern *p = FcPatternCreate();
    FcPatternAddString(p, FC_FAMILY, (const FcChar8 *)family);
    FcObjectSet *os = FcObjectSetBuild(FC_WEIGHT, FC_SLANT, (char *)NULL);
    FcFontSet *faces = FcFontList(c, p, os);
    for (int i = 0; faces && i < faces->nfont; i++) {
        int slant = FC_SLANT_ROMAN, weight = FC_WEIGHT_REGULAR;
        FcPatternGetInteger(faces->fonts[i], FC_SLANT, 0, &slant);
        FcPatternGetInteger(faces->fonts[i], FC_WEIGHT, 0, &weight);
        bool slanted = slant != FC_SLANT_ROMAN, heavy = weight >= FC_WEIGHT_DEMIBOLD;
        italic |= slanted && !heavy;
        bold |= heavy && !slanted;
        bold_italic |= heavy && slanted;
    }
    if (faces)
        FcFontSetDestroy(faces);
    FcObjectSetDestroy(os);
    FcPatternDestroy(p);
    const char *missing = !italic && !bold ? "italic or bold"
                          : !italic        ? "italic"
                          : !bold          ? "bold"
                          : !bold_italic   ? "bold italic"
                                           : NULL;
    if (!missing)
        return;
    /* DejaVu's oblique faces come in a second package; other families
     * ship all their faces in one, so there is nothing more to install. */
    bool dejavu = pkg && strncmp(pkg, "fonts-dejavu", 12) == 0;
    bk_warn(d, (bk_loc){ NULL, 0, 0 }, "the %s font '%s' has no %s face: pango will imitate it%s",
            role, family, missing, dejavu ? " (install fonts-dejavu-extra)" : "");
}

/* Check that family (the theme's font for role) is installed: returns -1
 * after recording an error naming the package to install. */
static int check_family(FcConfig *c, const char *role, const char *family, bk_diags *d)
{
    const char *pkg = package_for(family);
    FcPattern *font = match(c, family);
    if (font && has_family(font, family)) {
        FcPatternDestroy(font);
        check_styles(c, role, family, pkg, d);
        return 0;
    }
    FcChar8 *instead = NULL;
    if (font)
        FcPatternGetString(font, FC_FAMILY, 0, &instead);
    bk_buf got = BK_BUF_INIT;
    if (instead)
        bk_buf_addf(&got, " (fontconfig would use '%s' instead)", (const char *)instead);
    const bk_loc run = { NULL, 0, 0 };
    if (pkg)
        bk_error(d, run, "the %s font '%s' is not installed%s: install the Debian package %s", role,
                 family, got.ptr, pkg);
    else
        bk_error(d, run,
                 "the %s font '%s' is not installed%s: install it, or name another family in the "
                 "theme's 'fonts:'",
                 role, family, got.ptr);
    bk_buf_release(&got);
    if (font)
        FcPatternDestroy(font);
    return -1;
}

/* The configuration depends on nothing of the book: it is built once per
 * process (scanning the font folders is most of a small book's set-up, and
 * the layout fuzz target makes thousands of books), and each PDF takes a
 * reference to it. */
static FcConfig *built;
static pthread_mutex_t built_lock = PTHREAD_MUTEX_INITIALIZER;

void *bk_fonts_config(const bk_theme *t, bk_diags *d)
{
    const bk_loc run = { NULL, 0, 0 };
    pthread_mutex_lock(&built_lock);
    FcConfig *c = built ? FcConfigReference(built) : FcConfigCreate();
    bool fresh = !built;
    void *result = NULL;
    if (!c)
        bk_bug(__FILE__, __LINE__, "fontconfig out of memory");
    if (!fresh)
        goto check;
    /* complain = false: a missing include is not worth a line on stderr;
     * a real failure comes back as false and is reported here. */
    if (!FcConfigParseAndLoadFromMemory(c, bk_builtin_fontconf, FcFalse)) {
        bk_error(d, run,
                 "fontconfig cannot load bookify's font configuration (fonts/bookify.conf)");
        goto out;
    }
    if (!FcConfigBuildFonts(c)) {
        bk_error(d, run, "fontconfig cannot list the installed fonts");
        goto out;
    }
    FcFontSet *all = FcConfigGetFonts(c, FcSetSystem);
    if (!all || all->nfont == 0) {
        bk_error(d, run,
                 "fontconfig finds no fonts at all: install the Debian packages "
                 "fonts-sil-gentiumplus, fonts-noto-core and fonts-dejavu-core");
        goto out;
    }
    built = FcConfigReference(c);
check:
    BK_ASSERT(t->body_font && t->heading_font && t->mono_font);
    int rc = 0;
    rc |= check_family(c, "body", t->body_font, d);
    rc |= check_family(c, "heading", t->heading_font, d);
    rc |= check_family(c, "code", t->mono_font, d);
    if (rc == 0) {
        result = c;
        c = NULL;
    }
out:
    if (c)
        FcConfigDestroy(c);
    pthread_mutex_unlock(&built_lock);
    return result;
}

void bk_fonts_release(void *config)
{
    if (config)
        FcConfigDestroy(config);
}

/* ==================== the fonts one book can use ==================== */

typedef struct famset {
    char **v;
    size_t n, cap;
} famset;

static bool famset_has(const famset *s, const char *family)
{
    for (size_t i = 0; i < s->n; i++)
        if (same_family(s->v[i], family))
            return true;
    return false;
}

static void famset_add(famset *s, const char *family)
{
    if (famset_has(s, family))
        return;
    BK_GROW(s->v, s->cap, s->n + 1);
    s->v[s->n++] = g_strdup(family);
}

static void famset_release(famset *s)
{
    for (size_t i = 0; i < s->n; i++)
        g_free(s->v[i]);
    free(s->v);
}

/* Is one of the font's family names in s? */
static bool font_in(FcPattern *font, const famset *s)
{
    FcChar8 *name;
    for (int i = 0; FcPatternGetString(font, FC_FAMILY, i, &name) == FcResultMatch; i++)
        if (famset_has(s, (const char *)name))
            return true;
    return false;
}

/* The families fontconfig ranks fonts by for a pattern made as pango makes
 * one (pango_fc_make_pattern): the comma-separated list, the weight, the
 * slant and the language, then the configuration's substitutions. Strongly
 * bound names go to strong, the rest (the system's defaults, appended
 * weakly) to weak. */
static void families_of(FcConfig *c, const char *list, const char *lang, int weight, int slant,
                        famset *strong, famset *weak)
{
    FcPattern *p = FcPatternCreate();
    gchar **names = g_strsplit(list, ",", -1);
    for (size_t i = 0; names[i]; i++)
        FcPatternAddString(p, FC_FAMILY, (const FcChar8 *)names[i]);
    g_strfreev(names);
    FcPatternAddInteger(p, FC_WEIGHT, weight);
    FcPatternAddInteger(p, FC_SLANT, slant);
    if (lang)
        FcPatternAddString(p, FC_LANG, (const FcChar8 *)lang);
    FcConfigSubstitute(c, p, FcMatchPattern);
    FcDefaultSubstitute(p);
    FcPatternIter it;
    if (FcPatternFindIter(p, &it, FC_FAMILY)) {
        int n = FcPatternIterValueCount(p, &it);
        for (int i = 0; i < n; i++) {
            FcValue v;
            FcValueBinding b;
            if (FcPatternIterGetValue(p, &it, i, &v, &b) == FcResultMatch && v.type == FcTypeString)
                famset_add(b == FcValueBindingStrong ? strong : weak, (const char *)v.u.s);
        }
    }
    FcPatternDestroy(p);
}

void *bk_fonts_narrow(void *config, const char *const *lists, size_t nlists,
                      const char *const *langs, size_t nlangs, const uint32_t *chars,
                      size_t nchars)
{
    FcConfig *full = config;
    famset strong = { 0 }, weak = { 0 };
    static const int weights[] = { FC_WEIGHT_REGULAR, FC_WEIGHT_BOLD };
    static const int slants[] = { FC_SLANT_ROMAN, FC_SLANT_ITALIC };
    pthread_mutex_lock(&built_lock); /* substitution reads the shared configuration */
    for (size_t l = 0; l < nlists; l++)
        for (size_t g = 0; g < nlangs; g++)
            for (size_t w = 0; w < BK_ARRAY_LEN(weights); w++)
                for (size_t s = 0; s < BK_ARRAY_LEN(slants); s++)
                    families_of(full, lists[l], langs[g], weights[w], slants[s], &strong, &weak);
    /* How many of the installed fonts the narrow set must hold: all of
     * those families' faces, no more, no fewer. */
    size_t want = 0;
    FcFontSet *all = FcConfigGetFonts(full, FcSetSystem);
    for (int i = 0; all && i < all->nfont; i++)
        if (font_in(all->fonts[i], &strong))
            want++;
    pthread_mutex_unlock(&built_lock);

    bk_buf xml = BK_BUF_INIT;
    bk_buf_adds(&xml, "<?xml version=\"1.0\"?>\n<fontconfig><selectfont><acceptfont>");
    for (size_t i = 0; i < strong.n; i++) {
        gchar *esc = g_markup_escape_text(strong.v[i], -1);
        bk_buf_addf(&xml, "<pattern><patelt name=\"family\"><string>%s</string></patelt></pattern>",
                    esc);
        g_free(esc);
    }
    /* An empty pattern matches every font: all the others are left out. */
    bk_buf_adds(&xml,
                "</acceptfont><rejectfont><pattern/></rejectfont></selectfont></fontconfig>\n");
    FcConfig *narrow = FcConfigCreate();
    FcCharSet *cover = FcCharSetCreate();
    bool ok = narrow && cover &&
              FcConfigParseAndLoadFromMemory(narrow, bk_builtin_fontconf, FcFalse) &&
              FcConfigParseAndLoadFromMemory(narrow, (const FcChar8 *)xml.ptr, FcFalse) &&
              FcConfigBuildFonts(narrow);
    FcFontSet *got = ok ? FcConfigGetFonts(narrow, FcSetSystem) : NULL;
    ok = got && (size_t)got->nfont == want;
    /* Every character the book shows must be in a font of a strongly
     * bound family: those outrank every font of another family, so the
     * narrow set picks the very font the full one would. */
    for (int i = 0; ok && i < got->nfont; i++) {
        FcCharSet *cs;
        if (font_in(got->fonts[i], &strong) &&
            FcPatternGetCharSet(got->fonts[i], FC_CHARSET, 0, &cs) == FcResultMatch)
            ok = FcCharSetMerge(cover, cs, NULL);
    }
    for (size_t i = 0; ok && i < nchars; i++)
        ok = FcCharSetHasChar(cover, chars[i]);
    if (cover)
        FcCharSetDestroy(cover);
    bk_buf_release(&xml);
    famset_release(&strong);
    famset_release(&weak);
    if (!ok && narrow) {
        FcConfigDestroy(narrow);
        narrow = NULL;
    }
    return narrow;
}
