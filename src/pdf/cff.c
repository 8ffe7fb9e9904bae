/*
 * cff.c -- what cairo reads of a CFF table, and nothing more.
 *
 * cairo 1.16 copies a font's whole 'CFF ' table into memory it has just
 * allocated each time it looks at it: once per face to learn whether it
 * is CID-keyed (it reads the first hundred bytes), and once per face to
 * subset it when the PDF is finished (it reads the structures, the
 * subroutines and the charstrings of the glyphs drawn). For Noto CJK that
 * is 16-23 MB a face, into fresh memory, on the last, serial stretch of a
 * book (docs/performance.md, "Eighteenth pass"). ftfaces.c answers those
 * loads with the parts read below; the rest of cairo's buffer is never
 * written, and never read.
 *
 * The subsetter's reads (cairo-cff-subset.c, 1.16): the header; the name,
 * top DICT, String and Global Subr INDEXes; every offset of the
 * CharStrings INDEX (cff_index_read checks them all) and the data of the
 * glyphs in the subset; FDSelect; the FDArray INDEX, each font DICT's
 * Private DICT and local Subrs INDEX; the charset. Subroutines are read
 * whole (a glyph's charstring may call any). Only CID-keyed tables are
 * done this way (ROS, FDArray and FDSelect present; no Encoding, no
 * Private DICT in the top DICT, charstring type 2): a font with a
 * standard encoding can build accented glyphs from others (seac), which
 * are not drawn. Anything else, or anything out of bounds, and the
 * caller reads the whole table as cairo asked.
 */
#include <limits.h>
#include <string.h>

#include "cff.h"

#include "bookify/banned.h"

/* ---- the head check (cairo's CID check reads only this) ---- */

/* Where the CFF INDEX at p ends, or 0 when it does not end before end. */
static size_t index_end_within(const FT_Byte *data, size_t p, size_t end)
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

bool pdf_cff_head_within(const FT_Byte *data, size_t n)
{
    if (n < 4 || data[0] != 1)
        return false;
    size_t names = index_end_within(data, data[2], n);
    return names && index_end_within(data, names, n) != 0;
}

/* ---- the subsetter's parts ---- */

typedef struct filler {
    pdf_table_reader *read;
    FT_Face face;
    FT_Byte *buf;
    size_t len, copied;
} filler;

/* [off, off + n) of the table copied into its place in buf. */
static bool fill(filler *f, size_t off, size_t n)
{
    if (off > f->len || n > f->len - off)
        return false;
    if (n == 0)
        return true;
    FT_ULong m = n;
    if (off > LONG_MAX || f->read(f->face, FT_MAKE_TAG('C', 'F', 'F', ' '), (FT_Long)off,
                                  f->buf + off, &m) != 0 || m != n)
        return false;
    f->copied += n;
    return true;
}

typedef struct cff_index {
    size_t count, off_size, offsets;
    size_t data; /* the byte before the first element: offsets count from 1 */
    size_t end;
} cff_index;

static size_t index_offset(const filler *f, const cff_index *x, size_t i)
{
    const FT_Byte *p = f->buf + x->offsets + i * x->off_size;
    size_t v = 0;
    for (size_t k = 0; k < x->off_size; k++)
        v = v << 8 | p[k];
    return v;
}

/* The INDEX at off: its count and offsets copied, and its elements too
 * when whole. Every offset is checked (ascending, inside the table). */
static bool index_read(filler *f, size_t off, cff_index *x, bool whole)
{
    *x = (cff_index){ 0 };
    if (!fill(f, off, 2))
        return false;
    x->count = (size_t)f->buf[off] << 8 | f->buf[off + 1];
    if (x->count == 0) {
        x->end = off + 2;
        return true;
    }
    if (!fill(f, off + 2, 1))
        return false;
    x->off_size = f->buf[off + 2];
    if (x->off_size < 1 || x->off_size > 4)
        return false;
    x->offsets = off + 3;
    size_t n = (x->count + 1) * x->off_size;
    if (!fill(f, x->offsets, n))
        return false;
    x->data = x->offsets + n - 1;
    size_t prev = index_offset(f, x, 0);
    if (prev < 1)
        return false;
    for (size_t i = 1; i <= x->count; i++) {
        size_t o = index_offset(f, x, i);
        if (o < prev || o > f->len - x->data)
            return false;
        prev = o;
    }
    x->end = x->data + prev;
    size_t first = x->data + index_offset(f, x, 0);
    return !whole || fill(f, first, x->end - first);
}

/* Element i's bytes: [*s, *e) of the table (already copied, or not). */
static void index_element(const filler *f, const cff_index *x, size_t i, size_t *s, size_t *e)
{
    *s = x->data + index_offset(f, x, i);
    *e = x->data + index_offset(f, x, i + 1);
}

/* What bookify needs of a DICT: the operands of the operators below, -1
 * when absent. */
typedef struct cff_dict {
    long charset, encoding, charstrings, private_size, private_off, subrs, fdarray, fdselect;
    long charstring_type;
    bool ros;
} cff_dict;

#define DICT_STACK 48

/* Parses the DICT in [s, e) of buf; false when it is malformed or an
 * operand bookify uses is not a non-negative integer. */
static bool dict_parse(const FT_Byte *buf, size_t s, size_t e, cff_dict *d)
{
    *d = (cff_dict){ -1, -1, -1, -1, -1, -1, -1, -1, 2, false };
    long stack[DICT_STACK];
    int n = 0;
    for (size_t p = s; p < e;) {
        unsigned b = buf[p];
        long v;
        if (b <= 21) {
            unsigned op = b;
            p++;
            if (b == 12) {
                if (p >= e)
                    return false;
                op = 0x0c00 | buf[p++];
            }
            long *target = NULL;
            switch (op) {
            case 0x0f: target = &d->charset; break;
            case 0x10: target = &d->encoding; break;
            case 0x11: target = &d->charstrings; break;
            case 0x13: target = &d->subrs; break;
            case 0x0c24: target = &d->fdarray; break;
            case 0x0c25: target = &d->fdselect; break;
            case 0x0c06: target = &d->charstring_type; break;
            case 0x0c1e: d->ros = true; break;
            case 0x12:
                if (n < 2 || stack[n - 2] < 0 || stack[n - 1] < 0)
                    return false;
                d->private_size = stack[n - 2];
                d->private_off = stack[n - 1];
                break;
            default: break;
            }
            if (target) {
                if (n < 1 || stack[n - 1] < 0)
                    return false;
                *target = stack[n - 1];
            }
            n = 0;
            continue;
        }
        if (b == 28) {
            if (p + 3 > e)
                return false;
            v = (int16_t)(buf[p + 1] << 8 | buf[p + 2]);
            p += 3;
        } else if (b == 29) {
            if (p + 5 > e)
                return false;
            v = (int32_t)((uint32_t)buf[p + 1] << 24 | (uint32_t)buf[p + 2] << 16 |
                          (uint32_t)buf[p + 3] << 8 | buf[p + 4]);
            p += 5;
        } else if (b == 30) { /* a real: nibbles up to an 0xf */
            p++;
            while (p < e && (buf[p] & 0x0f) != 0x0f && (buf[p] >> 4) != 0x0f)
                p++;
            if (p >= e)
                return false;
            p++;
            v = LONG_MIN; /* never an offset */
        } else if (b >= 32 && b <= 246) {
            v = (long)b - 139;
            p++;
        } else if (b >= 247 && b <= 254) {
            if (p + 2 > e)
                return false;
            v = b <= 250 ? ((long)b - 247) * 256 + buf[p + 1] + 108
                         : -((long)b - 251) * 256 - buf[p + 1] - 108;
            p += 2;
        } else {
            return false; /* reserved */
        }
        if (n == DICT_STACK)
            return false;
        stack[n++] = v;
    }
    return true;
}

/* A Private DICT and the local Subrs INDEX it points to, whole. */
static bool private_read(filler *f, long size, long off)
{
    if (size < 0 || off < 0 || !fill(f, (size_t)off, (size_t)size))
        return false;
    cff_dict pd;
    if (!dict_parse(f->buf, (size_t)off, (size_t)off + (size_t)size, &pd))
        return false;
    cff_index subrs;
    return pd.subrs < 0 || index_read(f, (size_t)off + (size_t)pd.subrs, &subrs, true);
}

/* FDSelect: format 0 (a byte a glyph) or 3 (ranges). */
static bool fdselect_read(filler *f, size_t off, size_t nglyphs)
{
    if (!fill(f, off, 1))
        return false;
    if (f->buf[off] == 0)
        return fill(f, off + 1, nglyphs);
    if (f->buf[off] != 3 || !fill(f, off + 1, 2))
        return false;
    size_t ranges = (size_t)f->buf[off + 1] << 8 | f->buf[off + 2];
    return fill(f, off + 3, ranges * 3 + 2);
}

/* The charset (0-2: predefined, nothing to read): format 0 an id a glyph,
 * 1 and 2 ranges until every glyph but .notdef is covered. */
static bool charset_read(filler *f, size_t off, size_t nglyphs)
{
    if (off <= 2 || nglyphs == 0)
        return true;
    if (!fill(f, off, 1))
        return false;
    unsigned format = f->buf[off];
    if (format == 0)
        return fill(f, off + 1, 2 * (nglyphs - 1));
    if (format != 1 && format != 2)
        return false;
    size_t range = format == 1 ? 3 : 4, p = off + 1, covered = 0;
    while (covered < nglyphs - 1) {
        if (!fill(f, p, range))
            return false;
        size_t left = format == 1 ? f->buf[p + 2] : (size_t)f->buf[p + 2] << 8 | f->buf[p + 3];
        covered += left + 1;
        p += range;
    }
    return true;
}

static bool glyph_used(const pdf_glyph_set *used, size_t g)
{
    if (g == 0)
        return true;
    if (g >= used->nglyphs)
        return false;
    return atomic_load_explicit(&used->bits[g / 64], memory_order_relaxed) >> (g % 64) & 1;
}

bool pdf_cff_fill_used(pdf_table_reader *read, FT_Face face, FT_Byte *buf, size_t len,
                       const pdf_glyph_set *used, size_t *copied)
{
    filler f = { read, face, buf, len, 0 };
    *copied = 0;
    /* the header, then the name and top DICT INDEXes */
    if (!fill(&f, 0, 4) || buf[0] != 1 || buf[2] < 4 || !fill(&f, 4, buf[2] - 4u))
        return false;
    cff_index names, tops, strings, gsubrs, chars, fds;
    if (!index_read(&f, buf[2], &names, true) || names.count != 1 ||
        !index_read(&f, names.end, &tops, true) || tops.count != 1)
        return false;
    size_t s, e;
    index_element(&f, &tops, 0, &s, &e);
    cff_dict top;
    if (!dict_parse(buf, s, e, &top) || !top.ros || top.fdarray < 0 || top.fdselect < 0 ||
        top.charstrings < 0 || top.encoding > 0 || top.private_off >= 0 || top.charstring_type != 2)
        return false;
    if (!index_read(&f, tops.end, &strings, true) || !index_read(&f, strings.end, &gsubrs, true))
        return false;
    /* the charstrings: every offset, and the glyphs drawn */
    if (!index_read(&f, (size_t)top.charstrings, &chars, false) || chars.count == 0)
        return false;
    for (size_t g = 0; g < chars.count; g++) {
        if (!glyph_used(used, g))
            continue;
        index_element(&f, &chars, g, &s, &e);
        if (!fill(&f, s, e - s))
            return false;
    }
    if (!fdselect_read(&f, (size_t)top.fdselect, chars.count) ||
        (top.charset >= 0 && !charset_read(&f, (size_t)top.charset, chars.count)))
        return false;
    /* each font DICT's Private DICT and subroutines */
    if (!index_read(&f, (size_t)top.fdarray, &fds, true))
        return false;
    for (size_t i = 0; i < fds.count; i++) {
        cff_dict fd;
        index_element(&f, &fds, i, &s, &e);
        if (!dict_parse(buf, s, e, &fd) || fd.private_off < 0 ||
            !private_read(&f, fd.private_size, fd.private_off))
            return false;
    }
    *copied = f.copied;
    return true;
}
