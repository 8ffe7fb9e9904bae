/*
 * shapecache.c -- a line's glyphs cut from its paragraph's shaping, not
 * shaped again.
 *
 * pango 1.50 breaks a paragraph by shaping each of its items (a run in one
 * font) whole, then shaping again each piece that ends up on a line; and
 * the PDF lays the same text out more than once (a table cell measured,
 * then set). HarfBuzz says in its output where cutting is safe
 * (HB_GLYPH_FLAG_UNSAFE_TO_BREAK unset: shaping the two sides apart gives
 * the same glyphs at the same positions). So bookify's executable defines
 * hb_shape, which pango calls, and keeps the thread's last RING shapings.
 * A buffer gets a run of one of them, without HarfBuzz, when:
 *  - the font (pango's own, under the sub-font it makes for each shaping),
 *    its scale and variation, the buffer's properties, flags and glyph
 *    settings and the features (whole-text ones only) are the same;
 *  - the text around it is the same bytes as far as HarfBuzz reads it for
 *    context (5 characters either side: bookify defines
 *    hb_buffer_add_utf8 too, to see the text pango gives);
 *  - its characters and clusters are a run of that shaping's, left to
 *    right, and each end is where that shaping's glyphs may be cut.
 * Anything else (a hyphen added at a line's end, right-to-left text,
 * features over part of the text) is shaped by HarfBuzz as before.
 *
 * The same bytes: e2e.shapecache compares PDFs in many scripts with ones
 * made with BOOKIFY_NO_SHAPE_CACHE=1, which sends every buffer to HarfBuzz.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <hb.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bookify/util.h"
#include "pdf_int.h"

#include "bookify/banned.h"

enum { RING = 32 }; /* one paragraph's items and pieces, a table's cells */

/* What a shaping depends on besides the text. */
typedef struct shape_key {
    hb_font_t *font; /* referenced while a shaping keeps it: see key_of */
    bool sub;
    unsigned serial;
    int x_scale, y_scale;
    unsigned x_ppem, y_ppem;
    float ptem, slant;
    const int *coords;
    unsigned ncoords;
    hb_segment_properties_t props;
    hb_buffer_flags_t flags;
    hb_buffer_cluster_level_t level;
    hb_codepoint_t invisible, replacement, not_found;
    const hb_feature_t *features;
    unsigned nfeatures;
    size_t lo, hi; /* the window of the text HarfBuzz reads, in added_copy */
} shape_key;

typedef struct shaping {
    shape_key key;          /* its coords and features point at these: */
    int *coords;
    hb_feature_t *features;
    char *copy; /* the text given to hb_buffer_add_utf8, [key.lo, key.hi) of it */
    hb_codepoint_t *chars; /* the input: characters and their clusters */
    unsigned *clusters;
    unsigned nchars;
    hb_glyph_info_t *glyphs; /* the output */
    hb_glyph_position_t *pos;
    unsigned nglyphs;
    size_t cap_coords, cap_features, cap_copy, cap_chars, cap_glyphs;
} shaping;

static _Thread_local shaping ring[RING];
static _Thread_local unsigned ring_next;
static _Thread_local hb_codepoint_t *scratch_chars; /* the buffer's input */
static _Thread_local unsigned *scratch_clusters;
static _Thread_local size_t scratch_cap, scratch_cap_clusters;
/* the text last added to a buffer on this thread */
static _Thread_local const hb_buffer_t *added_to;
static _Thread_local const char *added_src;
static _Thread_local char *added_copy; /* [added_lo, added_hi) of the text, copied */
static _Thread_local size_t added_lo, added_hi, added_len, added_cap;

static atomic_size_t hits, misses;
static int off_state;

static bool cache_on(void)
{
    return !bk_env_on("BOOKIFY_NO_SHAPE_CACHE", &off_state);
}

typedef void add_utf8_fn(hb_buffer_t *, const char *, int, unsigned int, int);
static add_utf8_fn *real_add_utf8;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void find_real(void)
{
    *(void **)&real_add_utf8 = dlsym(RTLD_NEXT, "hb_buffer_add_utf8");
}

void hb_buffer_add_utf8(hb_buffer_t *buffer, const char *text, int text_length,
                        unsigned int item_offset, int item_length)
{
    pthread_once(&real_once, find_real);
    BK_ASSERT(real_add_utf8);
    real_add_utf8(buffer, text, text_length, item_offset, item_length);
    if (!text || !cache_on()) { /* nothing to copy for */
        added_to = NULL;
        return;
    }
    /* The item and what HarfBuzz may read around it (5 characters either
     * side, 20 bytes), copied: the caller may free its text before
     * shaping. pango adds the text before the item, the item, the text
     * after it, in three calls on the same text: their union is kept. */
    size_t len = text_length < 0 ? strlen(text) : (size_t)text_length;
    size_t end = item_length < 0 ? len : (size_t)item_offset + (size_t)item_length;
    size_t lo = item_offset > 24 ? item_offset - 24 : 0, hi = end + 24 < len ? end + 24 : len;
    if (lo > hi)
        lo = hi;
    if (added_to == buffer && added_src == text) {
        lo = lo < added_lo ? lo : added_lo;
        hi = hi > added_hi ? hi : added_hi;
        len = len > added_len ? len : added_len;
    }
    BK_GROW(added_copy, added_cap, hi - lo + 1);
    memcpy(added_copy, text + lo, hi - lo);
    added_lo = lo;
    added_hi = hi;
    added_len = len;
    added_src = text; /* compared, never read again */
    added_to = buffer;
}



static shape_key key_of(hb_font_t *font, hb_buffer_t *buf, const hb_feature_t *features,
                        unsigned nfeatures)
{
    /* pango 1.50 shapes with a new sub-font of the PangoFont's each time
     * (its functions show spaces and ignorables as asked): the parent is
     * the font that lasts. What they are asked is not in the key: bookify
     * sets no PANGO_ATTR_SHOW, so they answer as the parent does (a
     * layout that set it would have to turn this cache off). */
    hb_font_t *parent = hb_font_get_parent(font);
    bool sub = parent && parent != hb_font_get_empty();
    hb_font_t *f = sub ? parent : font;
    shape_key k = { f,
                    sub,
                    hb_font_get_serial(f),
                    0,
                    0,
                    0,
                    0,
                    hb_font_get_ptem(font),
                    hb_font_get_synthetic_slant(font),
                    NULL,
                    0,
                    { 0 },
                    hb_buffer_get_flags(buf),
                    hb_buffer_get_cluster_level(buf),
                    hb_buffer_get_invisible_glyph(buf),
                    hb_buffer_get_replacement_codepoint(buf),
                    hb_buffer_get_not_found_glyph(buf),
                    features,
                    nfeatures,
                    0,
                    0 };
    hb_buffer_get_segment_properties(buf, &k.props);
    hb_font_get_scale(font, &k.x_scale, &k.y_scale);
    hb_font_get_ppem(font, &k.x_ppem, &k.y_ppem);
    k.coords = hb_font_get_var_coords_normalized(font, &k.ncoords);
    return k;
}

/* Everything but the text window. */
static bool same_key(const shape_key *a, const shape_key *b)
{
    return a->font == b->font && a->sub == b->sub && a->serial == b->serial &&
           a->x_scale == b->x_scale && a->y_scale == b->y_scale && a->x_ppem == b->x_ppem &&
           a->y_ppem == b->y_ppem && a->ptem == b->ptem && a->slant == b->slant &&
           a->ncoords == b->ncoords &&
           (!a->ncoords || memcmp(a->coords, b->coords, a->ncoords * sizeof *a->coords) == 0) &&
           a->flags == b->flags && a->level == b->level && a->invisible == b->invisible &&
           a->replacement == b->replacement && a->not_found == b->not_found &&
           hb_segment_properties_equal(&a->props, &b->props) && a->nfeatures == b->nfeatures &&
           (!a->nfeatures ||
            memcmp(a->features, b->features, a->nfeatures * sizeof *a->features) == 0);
}

/* The first index whose value is at least v, in a non-decreasing array. */
static unsigned lower_bound(const unsigned *a, unsigned n, unsigned v)
{
    unsigned lo = 0, hi = n;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static unsigned glyph_lower_bound(const hb_glyph_info_t *g, unsigned n, unsigned cluster)
{
    unsigned lo = 0, hi = n;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (g[mid].cluster < cluster)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool safe_cut(const shaping *s, unsigned g, unsigned cluster)
{
    return g < s->nglyphs && s->glyphs[g].cluster == cluster &&
           !(hb_glyph_info_get_glyph_flags(&s->glyphs[g]) & HB_GLYPH_FLAG_UNSAFE_TO_BREAK);
}

/* The glyphs [*g0, *g1) of s that the input (chars, clusters) is, or false. */
static bool find_run(const shaping *s, const shape_key *k, const hb_codepoint_t *chars,
                     const unsigned *clusters, unsigned n, unsigned *g0, unsigned *g1)
{
    unsigned i = lower_bound(s->clusters, s->nchars, clusters[0]);
    if (i + n > s->nchars || memcmp(s->clusters + i, clusters, n * sizeof *clusters) != 0 ||
        memcmp(s->chars + i, chars, n * sizeof *chars) != 0)
        return false;
    /* The text around it, as far as HarfBuzz looks (its context), is the
     * same; a run at that shaping's end has the same text after it. */
    if (k->lo < s->key.lo || k->hi > s->key.hi || (i + n == s->nchars && k->hi != s->key.hi) ||
        memcmp(s->copy + (k->lo - s->key.lo), added_copy + (k->lo - added_lo), k->hi - k->lo) != 0)
        return false;
    /* Left to right, clusters only grow along the glyphs: the run is the
     * glyphs from the first of its first cluster to the first of the
     * cluster after it, each a cut HarfBuzz calls safe. */
    *g0 = glyph_lower_bound(s->glyphs, s->nglyphs, clusters[0]);
    if (i == 0 ? *g0 != 0 : !safe_cut(s, *g0, clusters[0]))
        return false;
    if (i + n == s->nchars) {
        *g1 = s->nglyphs;
        return true;
    }
    *g1 = glyph_lower_bound(s->glyphs, s->nglyphs, s->clusters[i + n]);
    return safe_cut(s, *g1, s->clusters[i + n]) && *g1 >= *g0;
}

static void keep(const shape_key *k, hb_buffer_t *buf, const hb_codepoint_t *chars,
                 const unsigned *clusters, unsigned n)
{
    shaping *s = &ring[ring_next];
    ring_next = (ring_next + 1) % RING;
    if (s->key.font != k->font) {
        if (s->key.font)
            hb_font_destroy(s->key.font);
        hb_font_reference(k->font);
    }
    s->key = *k;
    BK_GROW(s->coords, s->cap_coords, k->ncoords);
    if (k->ncoords)
        memcpy(s->coords, k->coords, k->ncoords * sizeof *k->coords);
    s->key.coords = s->coords;
    BK_GROW(s->features, s->cap_features, k->nfeatures);
    if (k->nfeatures)
        memcpy(s->features, k->features, k->nfeatures * sizeof *k->features);
    s->key.features = s->features;
    BK_GROW(s->copy, s->cap_copy, k->hi - k->lo + 1);
    memcpy(s->copy, added_copy + (k->lo - added_lo), k->hi - k->lo);
    size_t cap = s->cap_chars;
    BK_GROW(s->chars, s->cap_chars, n);
    if (s->cap_chars != cap || !s->clusters)
        s->clusters = bk_xrealloc(s->clusters, s->cap_chars * sizeof *s->clusters);
    memcpy(s->chars, chars, n * sizeof *chars);
    memcpy(s->clusters, clusters, n * sizeof *clusters);
    s->nchars = n;
    unsigned ng = hb_buffer_get_length(buf);
    size_t capg = s->cap_glyphs;
    BK_GROW(s->glyphs, s->cap_glyphs, ng);
    if (s->cap_glyphs != capg || !s->pos)
        s->pos = bk_xrealloc(s->pos, (s->cap_glyphs ? s->cap_glyphs : 1) * sizeof *s->pos);
    if (ng) {
        memcpy(s->glyphs, hb_buffer_get_glyph_infos(buf, NULL), ng * sizeof *s->glyphs);
        memcpy(s->pos, hb_buffer_get_glyph_positions(buf, NULL), ng * sizeof *s->pos);
    }
    s->nglyphs = ng;
}

/* The buffer becomes glyphs [g0, g1) of s, as HarfBuzz leaves a shaped
 * buffer: the same properties, glyph content, positions. */
static void fill(hb_buffer_t *buf, const shaping *s, unsigned g0, unsigned g1)
{
    hb_segment_properties_t props;
    hb_buffer_get_segment_properties(buf, &props);
    hb_buffer_clear_contents(buf); /* keeps the flags, cluster level, glyph choices */
    hb_buffer_set_segment_properties(buf, &props);
    hb_buffer_set_content_type(buf, HB_BUFFER_CONTENT_TYPE_UNICODE);
    for (unsigned g = g0; g < g1; g++)
        hb_buffer_add(buf, s->glyphs[g].codepoint, s->glyphs[g].cluster);
    hb_buffer_set_content_type(buf, HB_BUFFER_CONTENT_TYPE_GLYPHS);
    unsigned len; /* g1 - g0, unless HarfBuzz could not grow the buffer */
    hb_glyph_info_t *info = hb_buffer_get_glyph_infos(buf, &len);
    hb_glyph_position_t *pos = hb_buffer_get_glyph_positions(buf, NULL);
    for (unsigned k = 0; k < len && g0 + k < g1; k++) {
        info[k].mask = s->glyphs[g0 + k].mask;
        pos[k] = s->pos[g0 + k];
    }
}

void hb_shape(hb_font_t *font, hb_buffer_t *buf, const hb_feature_t *features,
              unsigned int num_features)
{
    unsigned n = hb_buffer_get_length(buf);
    bool added = added_to == buf;
    added_to = NULL; /* the next shaping adds its own text */
    bool cacheable = n > 0 && font && added && cache_on() &&
                     hb_buffer_get_content_type(buf) == HB_BUFFER_CONTENT_TYPE_UNICODE &&
                     hb_buffer_get_direction(buf) == HB_DIRECTION_LTR &&
                     hb_buffer_get_cluster_level(buf) != HB_BUFFER_CLUSTER_LEVEL_CHARACTERS;
    for (unsigned i = 0; cacheable && i < num_features; i++)
        cacheable = features[i].start == HB_FEATURE_GLOBAL_START &&
                    features[i].end == HB_FEATURE_GLOBAL_END;
    if (!cacheable) {
        hb_shape_full(font, buf, features, num_features, NULL);
        return;
    }
    shape_key k = key_of(font, buf, features, num_features);
    const hb_glyph_info_t *in = hb_buffer_get_glyph_infos(buf, NULL);
    BK_GROW(scratch_chars, scratch_cap, n);
    if (scratch_cap != scratch_cap_clusters) {
        scratch_clusters = bk_xrealloc(scratch_clusters, scratch_cap * sizeof *scratch_clusters);
        scratch_cap_clusters = scratch_cap;
    }
    hb_codepoint_t *chars = scratch_chars;
    unsigned *clusters = scratch_clusters;
    bool grows = true;
    for (unsigned i = 0; i < n; i++) {
        chars[i] = in[i].codepoint;
        clusters[i] = in[i].cluster;
        grows = grows && (i == 0 || clusters[i] > clusters[i - 1]);
    }
    /* HarfBuzz reads up to 5 characters (20 bytes) either side as context */
    size_t last = (size_t)clusters[n - 1] + 4 + 20;
    k.lo = clusters[0] > 20 ? clusters[0] - 20 : 0;
    k.hi = last < added_len ? last : added_len;
    if (k.lo > k.hi)
        k.lo = k.hi;
    /* else (a hyphen added on a character's cluster, text from elsewhere)
     * HarfBuzz's, and not kept */
    grows = grows && k.lo >= added_lo && k.hi <= added_hi;
    if (grows)
        for (unsigned r = 0; r < RING; r++) {
            const shaping *s = &ring[(ring_next + RING - 1 - r) % RING];
            unsigned g0, g1;
            if (s->nchars && s->clusters[0] <= clusters[0] && /* it spans the run */
                s->clusters[s->nchars - 1] >= clusters[n - 1] && same_key(&s->key, &k) &&
                find_run(s, &k, chars, clusters, n, &g0, &g1)) {
                fill(buf, s, g0, g1);
                atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
                return;
            }
        }
    hb_shape_full(font, buf, features, num_features, NULL);
    atomic_fetch_add_explicit(&misses, 1, memory_order_relaxed);
    if (grows && hb_buffer_get_content_type(buf) == HB_BUFFER_CONTENT_TYPE_GLYPHS)
        keep(&k, buf, chars, clusters, n);
}

void pdf_shape_cache_stats(size_t *hit, size_t *miss)
{
    *hit = atomic_load_explicit(&hits, memory_order_relaxed);
    *miss = atomic_load_explicit(&misses, memory_order_relaxed);
}

void pdf_shape_cache_release(void)
{
    for (unsigned r = 0; r < RING; r++) {
        shaping *s = &ring[r];
        if (s->key.font)
            hb_font_destroy(s->key.font);
        free(s->features);
        free(s->coords);
        free(s->copy);
        free(s->chars);
        free(s->clusters);
        free(s->glyphs);
        free(s->pos);
        *s = (shaping){ 0 };
    }
    ring_next = 0;
    free(added_copy);
    added_copy = NULL;
    added_cap = 0;
    free(scratch_chars);
    free(scratch_clusters);
    scratch_chars = NULL;
    scratch_clusters = NULL;
    scratch_cap = scratch_cap_clusters = 0;
}
