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
#include <sys/mman.h>
#include <unistd.h>

#include <cairo-ft.h>
#include <fontconfig/fcfreetype.h>
#include <fontconfig/fontconfig.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_TRUETYPE_TABLES_H
#include FT_TRUETYPE_TAGS_H

#include "bookify/mem.h"
#include "bookify/util.h"
#include "cff.h"
#include "pdf_int.h"

#include "bookify/banned.h"

typedef struct kept_face {
    char *file;
    int index;
    FT_Face face;
    pdf_glyph_set *used; /* the glyphs drawn with it (below) */
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

/* The file's face, opened the first time, and its glyph set (a copy:
 * kept.v moves as it grows); false when FreeType cannot open it. */
static bool kept_face_for(const char *file, int index, kept_face *out)
{
    kept_face *k = NULL;
    pthread_mutex_lock(&kept.lock);
    for (size_t i = 0; i < kept.len && !k; i++)
        if (kept.v[i].index == index && strcmp(kept.v[i].file, file) == 0)
            k = &kept.v[i];
    if (!k && !kept.failed && !kept.library && FT_Init_FreeType(&kept.library) != 0) {
        kept.library = NULL;
        kept.failed = true;
    }
    FT_Face face;
    if (!k && kept.library && FT_New_Face(kept.library, file, index, &face) == 0) {
        BK_GROW(kept.v, kept.cap, kept.len + 1);
        pdf_glyph_set *used = bk_xmalloc(sizeof *used);
        used->nglyphs = face->num_glyphs > 0 ? (size_t)face->num_glyphs : 0;
        used->bits = bk_xcalloc((used->nglyphs + 63) / 64 + 1, sizeof *used->bits);
        k = &kept.v[kept.len++];
        *k = (kept_face){ bk_xstrdup(file), index, face, used };
    }
    if (k)
        *out = *k;
    pthread_mutex_unlock(&kept.lock);
    return k != NULL;
}

/* Each cairo font face made on a kept face carries that face's glyph set. */
static const cairo_user_data_key_t used_key;

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
    kept_face k;
    bool have = kept_face_for((const char *)file, index, &k);
    FcPattern *with_face = have ? FcPatternDuplicate(pattern) : NULL;
    if (!with_face || !FcPatternAddFTFace(with_face, FC_FT_FACE, k.face)) {
        if (with_face)
            FcPatternDestroy(with_face);
        return real_for_pattern(pattern);
    }
    cairo_font_face_t *font_face = real_for_pattern(with_face);
    FcPatternDestroy(with_face);
    /* cairo hands back the face it already made for this FT_Face and
     * options when there is one: it has its set (and another thread may
     * be drawing with it), so only a new face is given one. */
    if (cairo_font_face_status(font_face) == CAIRO_STATUS_SUCCESS &&
        !cairo_font_face_get_user_data(font_face, &used_key))
        (void)cairo_font_face_set_user_data(font_face, &used_key, k.used, NULL);
    return font_face;
}

/* ---- the glyphs drawn with each kept face ----
 *
 * Every glyph pango draws goes through cairo_show_glyphs or
 * cairo_show_text_glyphs, called from libpangocairo: bookify's module
 * defines both, notes each glyph in the set of the face it is drawn with
 * (the font face's user data above; none for a face bookify did not
 * make), and calls cairo's. cairo's subsets hold no other glyphs of these
 * faces (and glyph 0), which is what lets a CFF table be read in part
 * when the file is finished (below). */
typedef void show_glyphs_fn(cairo_t *, const cairo_glyph_t *, int);
typedef void show_text_glyphs_fn(cairo_t *, const char *, int, const cairo_glyph_t *, int,
                                 const cairo_text_cluster_t *, int, cairo_text_cluster_flags_t);
static show_glyphs_fn *real_show_glyphs;
static show_text_glyphs_fn *real_show_text_glyphs;
static pthread_once_t show_once = PTHREAD_ONCE_INIT;

static void find_show(void)
{
    *(void **)&real_show_glyphs = dlsym(RTLD_NEXT, "cairo_show_glyphs");
    *(void **)&real_show_text_glyphs = dlsym(RTLD_NEXT, "cairo_show_text_glyphs");
}

static void note_glyphs(cairo_t *cr, const cairo_glyph_t *glyphs, int n)
{
    if (!cr || !glyphs || n <= 0)
        return;
    pdf_glyph_set *used =
        cairo_font_face_get_user_data(cairo_scaled_font_get_font_face(cairo_get_scaled_font(cr)),
                                      &used_key);
    if (!used)
        return;
    for (int i = 0; i < n; i++) {
        unsigned long g = glyphs[i].index;
        if (g >= used->nglyphs)
            continue;
        uint64_t bit = (uint64_t)1 << (g % 64);
        _Atomic uint64_t *w = &used->bits[g / 64];
        if (!(atomic_load_explicit(w, memory_order_relaxed) & bit))
            atomic_fetch_or_explicit(w, bit, memory_order_relaxed);
    }
}

void cairo_show_glyphs(cairo_t *cr, const cairo_glyph_t *glyphs, int num_glyphs)
{
    pthread_once(&show_once, find_show);
    BK_ASSERT(real_show_glyphs);
    note_glyphs(cr, glyphs, num_glyphs);
    real_show_glyphs(cr, glyphs, num_glyphs);
}

void cairo_show_text_glyphs(cairo_t *cr, const char *utf8, int utf8_len,
                            const cairo_glyph_t *glyphs, int num_glyphs,
                            const cairo_text_cluster_t *clusters, int num_clusters,
                            cairo_text_cluster_flags_t cluster_flags)
{
    pthread_once(&show_once, find_show);
    BK_ASSERT(real_show_text_glyphs);
    note_glyphs(cr, glyphs, num_glyphs);
    real_show_text_glyphs(cr, utf8, utf8_len, glyphs, num_glyphs, clusters, num_clusters,
                          cluster_flags);
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

/* ---- a CFF table read for the glyphs drawn, when cairo subsets it ----
 *
 * When cairo finishes the file (pdf_cff_subsets_only, around
 * cairo_surface_finish), it copies each CFF face's whole table again to
 * subset it, and reads of it only the structures, the subroutines and the
 * charstrings of the glyphs in its subset (all drawn, so all in the face's
 * glyph set). A load of a whole table of over CFF_PARTIAL_MIN from a kept
 * face copies only those (cff.c); a table that is not CID-keyed, or that
 * cff.c does not follow, is read whole. The untouched rest of cairo's
 * buffer would still be faulted in 2 MiB at a time by the scattered
 * charstrings: it is given small pages first, and huge ones again after
 * the finish. Same PDF bytes (e2e.cjk compares them with
 * BOOKIFY_FULL_CFF=1, and with BOOKIFY_CFF_POISON=1, which fills the
 * rest of the buffer with garbage first to show cairo never reads it). */
#define CFF_PARTIAL_MIN ((FT_ULong)1 << 20)
#define ADVISED_MAX 16
static _Thread_local bool subsets_only;
static _Thread_local struct {
    uintptr_t start, end;
} advised[ADVISED_MAX];
static _Thread_local size_t nadvised;
static atomic_size_t parts, parts_read, parts_whole;
static int poison_state;

void pdf_cff_subsets_only(bool on)
{
    subsets_only = on;
    if (!on) {
        for (size_t i = 0; i < nadvised; i++)
            (void)madvise((void *)advised[i].start, advised[i].end - advised[i].start,
                          MADV_HUGEPAGE);
        nadvised = 0;
    }
}

void pdf_cff_parts(size_t *tables, size_t *read, size_t *whole)
{
    *tables = atomic_load(&parts);
    *read = atomic_load(&parts_read);
    *whole = atomic_load(&parts_whole);
}

static pdf_glyph_set *glyphs_of(FT_Face face)
{
    pdf_glyph_set *used = NULL;
    pthread_mutex_lock(&kept.lock);
    for (size_t i = 0; i < kept.len && !used; i++)
        if (kept.v[i].face == face)
            used = kept.v[i].used;
    pthread_mutex_unlock(&kept.lock);
    return used;
}

static bool cff_in_part(FT_Face face, FT_Byte *buffer, FT_ULong length)
{
    pdf_glyph_set *used = glyphs_of(face);
    if (!used)
        return false;
    if (bk_env_on("BOOKIFY_CFF_POISON", &poison_state))
        memset(buffer, 0xa5, length);
    else if (bk_mem_huge_pages_on() && nadvised < ADVISED_MAX) {
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t start = ((uintptr_t)buffer + page - 1) & ~(page - 1);
        uintptr_t end = ((uintptr_t)buffer + length) & ~(page - 1);
        if (end > start && madvise((void *)start, end - start, MADV_NOHUGEPAGE) == 0)
            advised[nadvised].start = start, advised[nadvised++].end = end;
    }
    size_t read = 0;
    if (!pdf_cff_fill_used(real_load_table, face, buffer, length, used, &read))
        return false;
    atomic_fetch_add(&parts, 1);
    atomic_fetch_add(&parts_read, read);
    atomic_fetch_add(&parts_whole, length);
    return true;
}

FT_Error FT_Load_Sfnt_Table(FT_Face face, FT_ULong tag, FT_Long offset, FT_Byte *buffer,
                            FT_ULong *length)
{
    pthread_once(&load_table_once, find_load_table);
    BK_ASSERT(real_load_table);
    /* cairo asks for the whole table (its size first, then the table) */
    FT_ULong size = 0;
    bool whole_cff = tag == TTAG_CFF && offset == 0 && buffer && length &&
                     (heads_only || subsets_only) &&
                     !bk_env_on("BOOKIFY_FULL_CFF", &full_cff_state) &&
                     real_load_table(face, tag, 0, NULL, &size) == 0 && size == *length;
    if (whole_cff && heads_only && *length > CFF_HEAD) {
        FT_ULong n = CFF_HEAD;
        if (real_load_table(face, tag, 0, buffer, &n) == 0 &&
            pdf_cff_head_within(buffer, CFF_HEAD)) {
            atomic_fetch_add(&heads, 1);
            return 0;
        }
    }
    if (whole_cff && subsets_only && *length >= CFF_PARTIAL_MIN &&
        cff_in_part(face, buffer, *length))
        return 0;
    return real_load_table(face, tag, offset, buffer, length);
}

size_t pdf_kept_faces(void)
{
    pthread_mutex_lock(&kept.lock);
    size_t n = kept.len;
    pthread_mutex_unlock(&kept.lock);
    return n;
}
