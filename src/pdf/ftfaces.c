/*
 * ftfaces.c -- each font file's FreeType face opened once and kept, so
 * that cairo never closes a face another thread is using.
 *
 * cairo 1.16 keeps at most ten FreeType faces of font files open: opening
 * an eleventh closes one it believes unused, reading the other font's
 * lock count without that font's lock. A book in several scripts uses
 * twenty files or more, so while one thread lays lines out (pango asks
 * cairo for glyph extents) and the other has cairo write a page
 * (cairo_show_page loads glyphs), one could close the face the other had
 * just locked (seen: a crash in FT_Load_Glyph one run in five).
 *
 * A face cairo is given by its pattern (FC_FT_FACE) is never closed by
 * it. pango makes its cairo fonts with
 * cairo_ft_font_face_create_for_pattern, so bookify's executable defines
 * that function: it opens each file's face once, on a FreeType library of
 * its own, adds it to a copy of the pattern, and calls cairo's. The
 * pattern's other options (synthetic bold and slant, hinting) are read
 * by cairo as before, and the glyphs are the same file's: the PDFs are
 * the same bytes (e2e.pipeline compares them with BOOKIFY_NO_KEPT_FACES=1,
 * which leaves pango's patterns as they are). The faces live as long as
 * the process: cairo keeps its fonts in caches of its own.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-ft.h>
#include <fontconfig/fcfreetype.h>
#include <fontconfig/fontconfig.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#include "bookify/util.h"
#include "pdf_int.h"

#include "bookify/banned.h"

typedef struct kept_face {
    char *file;
    int index;
    FT_Face face;
} kept_face;

static struct {
    pthread_mutex_t lock;
    FT_Library library;
    bool failed; /* no library: patterns are left as they are */
    kept_face *v;
    size_t len, cap;
} kept = { PTHREAD_MUTEX_INITIALIZER, NULL, false, NULL, 0, 0 };

static int off_state;

typedef cairo_font_face_t *for_pattern_fn(FcPattern *);
static for_pattern_fn *real_for_pattern;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void find_real(void)
{
    *(void **)&real_for_pattern = dlsym(RTLD_NEXT, "cairo_ft_font_face_create_for_pattern");
}

/* The file's face, opened the first time; NULL when FreeType cannot. */
static FT_Face kept_face_for(const char *file, int index)
{
    FT_Face face = NULL;
    pthread_mutex_lock(&kept.lock);
    for (size_t i = 0; i < kept.len && !face; i++)
        if (kept.v[i].index == index && strcmp(kept.v[i].file, file) == 0)
            face = kept.v[i].face;
    if (!face && !kept.failed && !kept.library && FT_Init_FreeType(&kept.library) != 0) {
        kept.library = NULL;
        kept.failed = true;
    }
    if (!face && kept.library && FT_New_Face(kept.library, file, index, &face) == 0) {
        BK_GROW(kept.v, kept.cap, kept.len + 1);
        kept.v[kept.len++] = (kept_face){ bk_xstrdup(file), index, face };
    }
    pthread_mutex_unlock(&kept.lock);
    return face;
}

cairo_font_face_t *cairo_ft_font_face_create_for_pattern(FcPattern *pattern)
{
    pthread_once(&real_once, find_real);
    BK_ASSERT(real_for_pattern);
    FcChar8 *file = NULL;
    FT_Face given;
    int index = 0;
    if (!pattern || bk_env_on("BOOKIFY_NO_KEPT_FACES", &off_state) ||
        FcPatternGetFTFace(pattern, FC_FT_FACE, 0, &given) == FcResultMatch ||
        FcPatternGetString(pattern, FC_FILE, 0, &file) != FcResultMatch || !file)
        return real_for_pattern(pattern);
    if (FcPatternGetInteger(pattern, FC_INDEX, 0, &index) != FcResultMatch)
        index = 0;
    FT_Face face = kept_face_for((const char *)file, index);
    FcPattern *with_face = face ? FcPatternDuplicate(pattern) : NULL;
    if (!with_face || !FcPatternAddFTFace(with_face, FC_FT_FACE, face)) {
        if (with_face)
            FcPatternDestroy(with_face);
        return real_for_pattern(pattern);
    }
    cairo_font_face_t *font_face = real_for_pattern(with_face);
    FcPatternDestroy(with_face);
    return font_face;
}

size_t pdf_kept_faces(void)
{
    pthread_mutex_lock(&kept.lock);
    size_t n = kept.len;
    pthread_mutex_unlock(&kept.lock);
    return n;
}
