/* Unit tests: the parts of a CFF table cairo reads (src/pdf/cff.c): a
 * small CID-keyed table built here is copied for the glyphs asked and
 * glyph 0 only, every structure whole; a table that is not CID-keyed, or
 * is malformed anywhere, is refused, without a read past its end; the
 * head check of cairo's CID test. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pdf/cff.h"

typedef struct table {
    unsigned char b[4096];
    size_t len;
    size_t reads, bad_reads;
} table;

static FT_Error reader(FT_Face face, FT_ULong tag, FT_Long offset, FT_Byte *buffer,
                       FT_ULong *length)
{
    table *t = (table *)(void *)face;
    t->reads++;
    if (tag != FT_MAKE_TAG('C', 'F', 'F', ' ') || offset < 0 || (size_t)offset > t->len ||
        *length > t->len - (size_t)offset) {
        t->bad_reads++;
        return 1;
    }
    memcpy(buffer, t->b + offset, *length);
    return 0;
}

static void put(table *t, const void *v, size_t n)
{
    memcpy(t->b + t->len, v, n);
    t->len += n;
}

static void put8(table *t, unsigned v)
{
    t->b[t->len++] = (unsigned char)v;
}

static void put16(table *t, unsigned v)
{
    put8(t, v >> 8);
    put8(t, v & 0xff);
}

/* an INDEX of n elements with 1-byte offsets */
static void put_index(table *t, const char *const *el, size_t n)
{
    put16(t, (unsigned)n);
    if (n == 0)
        return;
    put8(t, 1);
    unsigned off = 1;
    put8(t, off);
    for (size_t i = 0; i < n; i++)
        put8(t, off += (unsigned)strlen(el[i]));
    for (size_t i = 0; i < n; i++)
        put(t, el[i], strlen(el[i]));
}

/* a DICT integer, always 5 bytes (29), so a DICT's size does not depend
 * on the offsets it holds */
static size_t int5(unsigned char *p, long v)
{
    p[0] = 29;
    p[1] = (unsigned char)(v >> 24), p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 8), p[4] = (unsigned char)v;
    return 5;
}

typedef struct layout {
    size_t charstrings, charset, fdselect, fdarray, private_off, private_size;
    size_t glyph[5][2]; /* each charstring's bytes in the table */
    bool ros, encoding;
    unsigned off_size; /* the charstrings INDEX's */
} layout;

static const char *const glyphs[4] = { "\x8b\x0e", "AAAAAAAAAA", "BBBBBBBBBBBB", "CCCCCCCC" };

/* Builds the table; the top DICT's offsets come from lay (a first pass
 * with zeros finds where things land). */
static void build(table *t, layout *lay)
{
    memset(t, 0, sizeof *t);
    put(t, "\x01\x00\x04\x04", 4);
    const char *name[] = { "Test" };
    put_index(t, name, 1);
    unsigned char top[64];
    size_t n = 0;
    if (lay->ros) {
        n += int5(top + n, 391), n += int5(top + n, 392), n += int5(top + n, 0);
        top[n++] = 12, top[n++] = 30;
    }
    n += int5(top + n, (long)lay->charset), top[n++] = 15;
    n += int5(top + n, (long)lay->charstrings), top[n++] = 17;
    n += int5(top + n, (long)lay->fdarray), top[n++] = 12, top[n++] = 36;
    n += int5(top + n, (long)lay->fdselect), top[n++] = 12, top[n++] = 37;
    if (lay->encoding)
        n += int5(top + n, 1000), top[n++] = 16;
    top[n] = 0;
    put16(t, 1), put8(t, 1), put8(t, 1), put8(t, (unsigned)(1 + n));
    put(t, top, n);
    const char *strings[] = { "Adobe", "Identity" };
    put_index(t, strings, 2);
    const char *gsubrs[] = { "\x8b\x0b" };
    put_index(t, gsubrs, 1);
    lay->charset = t->len; /* format 2: glyphs 1-3 are CIDs 1-3 */
    put8(t, 2), put16(t, 1), put16(t, 2);
    lay->fdselect = t->len; /* format 3: one range, FD 0 */
    put8(t, 3), put16(t, 1), put16(t, 0), put8(t, 0), put16(t, 4);
    lay->charstrings = t->len;
    put16(t, 4), put8(t, lay->off_size);
    size_t off = 1;
    for (int i = 0; i <= 4; i++) {
        for (unsigned k = lay->off_size; k-- > 0;)
            put8(t, (unsigned)(off >> (8 * k)) & 0xff);
        if (i < 4)
            off += strlen(glyphs[i]);
    }
    for (int i = 0; i < 4; i++) {
        lay->glyph[i][0] = t->len;
        put(t, glyphs[i], strlen(glyphs[i]));
        lay->glyph[i][1] = t->len;
    }
    lay->fdarray = t->len;
    unsigned char fd[16];
    size_t m = 0;
    m += int5(fd + m, (long)lay->private_size), m += int5(fd + m, (long)lay->private_off);
    fd[m++] = 18;
    fd[m] = 0;
    put16(t, 1), put8(t, 1), put8(t, 1), put8(t, (unsigned)(1 + m));
    put(t, fd, m);
    lay->private_off = t->len;
    unsigned char priv[8];
    size_t k = int5(priv, 6); /* local subrs right after these 6 bytes */
    priv[k++] = 19;
    put(t, priv, k);
    lay->private_size = k;
    const char *lsubrs[] = { "\x8c\x0b", "\x8d\x0b" };
    put_index(t, lsubrs, 2);
}

static void make(table *t, layout *lay)
{
    build(t, lay);
    build(t, lay); /* now with the offsets where things landed */
}

static bool fill(table *t, FT_Byte *buf, const unsigned *drawn, size_t ndrawn, size_t *copied)
{
    _Atomic uint64_t bits[1] = { 0 };
    for (size_t i = 0; i < ndrawn; i++)
        bits[0] |= (uint64_t)1 << drawn[i];
    pdf_glyph_set used = { 4, bits };
    memset(buf, 0xa5, t->len);
    return pdf_cff_fill_used(reader, (FT_Face)(void *)t, buf, t->len, &used, copied);
}

static void test_fill(void)
{
    table t;
    layout lay = { .ros = true, .off_size = 1 };
    make(&t, &lay);
    FT_Byte buf[4096];
    size_t copied;
    unsigned drawn[] = { 2 };
    CHECK(fill(&t, buf, drawn, 1, &copied));
    CHECK(t.bad_reads == 0);
    /* every byte is the table's but glyphs 1 and 3's, never written */
    size_t left = 0, wrong = 0;
    for (size_t i = 0; i < t.len; i++) {
        bool out = (i >= lay.glyph[1][0] && i < lay.glyph[1][1]) ||
                   (i >= lay.glyph[3][0] && i < lay.glyph[3][1]);
        if (out)
            left += buf[i] == 0xa5;
        else
            wrong += buf[i] != t.b[i];
    }
    CHECK(wrong == 0);
    CHECK(left == strlen(glyphs[1]) + strlen(glyphs[3]));
    CHECK(copied == t.len - left);
    /* all drawn: the whole table; 4-byte offsets too */
    unsigned all[] = { 1, 2, 3 };
    CHECK(fill(&t, buf, all, 3, &copied) && memcmp(buf, t.b, t.len) == 0 && copied == t.len);
    layout wide = { .ros = true, .off_size = 4 };
    table t4;
    make(&t4, &wide);
    CHECK(fill(&t4, buf, all, 3, &copied) && memcmp(buf, t4.b, t4.len) == 0);
}

static void test_refused(void)
{
    FT_Byte buf[4096];
    size_t copied;
    unsigned drawn[] = { 1 };
    /* not CID-keyed (no ROS), or with an Encoding: read whole instead */
    table t;
    layout lay = { .ros = false, .off_size = 1 };
    make(&t, &lay);
    CHECK(!fill(&t, buf, drawn, 1, &copied));
    layout enc = { .ros = true, .encoding = true, .off_size = 1 };
    make(&t, &enc);
    CHECK(!fill(&t, buf, drawn, 1, &copied));
    /* malformed anywhere: refused, never a read past the end */
    layout ok = { .ros = true, .off_size = 1 };
    make(&t, &ok);
    table bad;
    struct {
        size_t at;
        unsigned char v;
    } breaks[] = {
        { ok.charstrings + 2, 5 },                  /* offset size 5 */
        { ok.charstrings + 2, 0 },                  /* offset size 0 */
        { ok.charstrings + 4, 200 },                /* offsets going down */
        { ok.charstrings + 7, 250 },                /* the last offset past the end */
        { ok.fdselect, 1 },                         /* FDSelect format 1 */
        { ok.charset, 7 },                          /* charset format 7 */
        { 0, 2 },                                   /* CFF 2 */
        { 2, 2 },                                   /* a header shorter than itself */
        { 5, 0 }, { 5, 2 },                         /* name INDEX: no name, two */
        { ok.charstrings + 3, 0 },                  /* a first offset of 0 */
    };
    for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
        bad = t;
        bad.b[breaks[i].at] = breaks[i].v;
        if (fill(&bad, buf, drawn, 1, &copied)) {
            fprintf(stderr, "  break %zu (byte %zu = %u) accepted\n", i, breaks[i].at, breaks[i].v);
            CHECK(false);
        }
        CHECK(bad.bad_reads == 0);
    }
    /* the table cut short anywhere: refused, nothing read past the cut */
    for (size_t cut = 0; cut < t.len; cut++) {
        bad = t;
        bad.len = cut;
        CHECK(!fill(&bad, buf, drawn, 1, &copied));
        CHECK(bad.bad_reads == 0);
    }
    /* a Private DICT past the end */
    layout far = ok;
    make(&bad, &far);
    far.private_off = bad.len + 10;
    build(&bad, &far);
    CHECK(!fill(&bad, buf, drawn, 1, &copied) && bad.bad_reads == 0);
}

static void test_head(void)
{
    table t;
    layout lay = { .ros = true, .off_size = 1 };
    make(&t, &lay);
    size_t head_end = 4 + 2 + 1 + 2 + 4; /* header, name INDEX */
    head_end += 2 + 1 + 2 + (size_t)(t.b[head_end + 4] - 1);
    CHECK(pdf_cff_head_within(t.b, t.len));
    CHECK(pdf_cff_head_within(t.b, head_end));
    CHECK(!pdf_cff_head_within(t.b, head_end - 1));
    /* a middle offset of the name INDEX past the end, the last one inside */
    table two;
    memset(&two, 0, sizeof two);
    put(&two, "\x01\x00\x04\x04", 4);
    put16(&two, 2), put8(&two, 1), put8(&two, 1), put8(&two, 200), put8(&two, 3);
    put(&two, "ab", 2);
    put16(&two, 0);
    CHECK(!pdf_cff_head_within(two.b, two.len));
    two.b[8] = 2;
    CHECK(pdf_cff_head_within(two.b, two.len));
    two.b[0] = 2;
    CHECK(!pdf_cff_head_within(two.b, two.len));
}

int main(void)
{
    test_fill();
    test_refused();
    test_head();
    return TEST_DONE();
}
