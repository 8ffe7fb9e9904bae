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
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-ft.h>
#include <fontconfig/fcfreetype.h>
#include <fontconfig/fontconfig.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_TRUETYPE_TABLES_H
#include FT_TRUETYPE_TAGS_H

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

/* ---- a CFF table's head, when that is all cairo reads ----
 *
 * cairo decides whether a font is CID-keyed (_cairo_cff_scaled_font_is_cid_cff,
 * when it maps the first glyph of each font it draws with, in
 * cairo_show_page) by copying the whole 'CFF ' table into memory it has
 * just allocated and reading its header, name INDEX and top DICT INDEX:
 * the first hundred bytes or so. For Noto CJK that is 16-23 MB copied for
 * each face of the collection used (Japanese, Chinese), into fresh memory:
 * 75-230 ms of a small book's PDF on this machine (docs/performance.md,
 * "Seventeenth pass"). bookify's module answers cairo's
 * FT_Load_Sfnt_Table: while the drawing thread is in cairo_show_page
 * (pdf_cff_heads_only), a load of a whole CFF table of over 64 KiB
 * reads only its first 64 KiB, once it has checked there that the header
 * and both INDEXes end inside them (else the whole table, as before);
 * the rest of cairo's buffer is left as allocated, untouched, and is never
 * read. Every other load (the subsetting when cairo finishes the file
 * needs the whole table) goes to FreeType as it is. The PDF is the same
 * bytes (e2e.cjk compares it with BOOKIFY_FULL_CFF=1, which turns this
 * off). */
#define CFF_HEAD ((FT_ULong)64 << 10)
typedef FT_Error load_table_fn(FT_Face, FT_ULong, FT_Long, FT_Byte *, FT_ULong *);
static load_table_fn *real_load_table;
static pthread_once_t load_table_once = PTHREAD_ONCE_INIT;
static _Thread_local bool heads_only;
static atomic_size_t heads;
static int full_cff_state;

static void find_load_table(void)
{
    *(void **)&real_load_table = dlsym(RTLD_NEXT, "FT_Load_Sfnt_Table");
}

void pdf_cff_heads_only(bool on)
{
    heads_only = on;
}

size_t pdf_cff_heads(void)
{
    return atomic_load(&heads);
}

/* Where the CFF INDEX at p ends, or 0 when it does not end before end. */
static size_t cff_index_end(const FT_Byte *data, size_t p, size_t end)
{
    if (p + 2 > end)
        return 0;
    unsigned count = (unsigned)data[p] << 8 | data[p + 1];
    if (count == 0)
        return p + 2;
    if (p + 3 > end)
        return 0;
    unsigned size = data[p + 2];
    if (size < 1 || size > 4)
        return 0;
    size_t offsets = p + 3, last = offsets + (size_t)count * size; /* the last offset */
    if (last + size > end)
        return 0;
    size_t data_start = last + size - 1; /* offsets count from 1 */
    size_t max = 0;
    for (size_t o = offsets; o <= last; o += size) { /* every element inside, not just the last */
        size_t off = 0;
        for (unsigned k = 0; k < size; k++)
            off = off << 8 | data[o + k];
        if (off < 1 || data_start + off > end)
            return 0;
        max = off > max ? off : max;
    }
    return data_start + max;
}

/* Whether the header, name INDEX and top DICT INDEX of the CFF data at
 * data end within its first n bytes (what cairo's check reads). */
static bool cff_head_within(const FT_Byte *data, size_t n)
{
    if (n < 4 || data[0] != 1)
        return false;
    size_t names = cff_index_end(data, data[2], n);
    return names && cff_index_end(data, names, n) != 0;
}

FT_Error FT_Load_Sfnt_Table(FT_Face face, FT_ULong tag, FT_Long offset, FT_Byte *buffer,
                            FT_ULong *length)
{
    pthread_once(&load_table_once, find_load_table);
    BK_ASSERT(real_load_table);
    if (heads_only && tag == TTAG_CFF && offset == 0 && buffer && length && *length > CFF_HEAD &&
        !bk_env_on("BOOKIFY_FULL_CFF", &full_cff_state)) {
        FT_ULong n = CFF_HEAD;
        if (real_load_table(face, tag, 0, buffer, &n) == 0 && cff_head_within(buffer, CFF_HEAD)) {
            atomic_fetch_add(&heads, 1);
            return 0;
        }
    }
    return real_load_table(face, tag, offset, buffer, length);
}

size_t pdf_kept_faces(void)
{
    pthread_mutex_lock(&kept.lock);
    size_t n = kept.len;
    pthread_mutex_unlock(&kept.lock);
    return n;
}
