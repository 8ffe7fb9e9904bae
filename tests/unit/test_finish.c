/* Unit tests: the PDF finishing pass (finish.c): artifacts around content
 * drawn outside marked content, nothing else touched; bad content refused;
 * a whole file with /Alt, /Lang and /MarkInfo added and a valid xref;
 * pages and structure elements drawn out of order put back. */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pdf/pdf_int.h"
#include "bookify/deflate.h"

#include <zlib.h>

static char *mark(const char *content, bool *ok)
{
    bk_buf out = BK_BUF_INIT;
    *ok = pdf_mark_artifacts(content, strlen(content), &out);
    bk_buf_addc(&out, '\0');
    return bk_buf_detach(&out);
}

static void test_artifacts(void)
{
    bool ok;
    /* a page number after a tagged paragraph; the q/Q pair stays outside */
    char *s = mark("1 0 0 -1 0 842 cm\nq\n/P << /MCID 0 >> BDC\nBT (Text) Tj ET\nEMC\n"
                   "0.4 g BT 8 0 0 -8 500 800 Tm (17)Tj ET\nQ\n",
                   &ok);
    CHECK(ok);
    HAS(s, "/P << /MCID 0 >> BDC\nBT (Text) Tj ET\nEMC\n0.4 g /Artifact BMC\nBT 8 0 0 -8 500 800 Tm (17)Tj ET\nEMC\nQ");
    free(s);
    /* paths: the artifact opens at the path's first operator, and closes
     * before the next marked content */
    s = mark("0.5 w 10 10 m 20 20 l S\n/Figure << /MCID 1 >> BDC q /x1 Do Q EMC\n", &ok);
    CHECK(ok);
    HAS(s, "0.5 w /Artifact BMC\n10 10 m 20 20 l S\nEMC\n/Figure");
    free(s);
    /* operators inside strings, hex strings and dictionaries are not operators */
    s = mark("BT (a \\) EMC BDC \\( q) Tj <454d43> Tj ET\n/Span << /ActualText (x\\)) >> BDC EMC\n", &ok);
    CHECK(ok);
    HAS(s, "/Artifact BMC\nBT (a \\) EMC BDC \\( q) Tj <454d43> Tj ET\nEMC\n/Span");
    free(s);
    /* content all tagged: unchanged */
    const char *tagged = "/P << /MCID 0 >> BDC BT (x) Tj ET EMC";
    s = mark(tagged, &ok);
    CHECK(ok);
    CHECK_STR(s, tagged);
    free(s);
}

static void test_refused(void)
{
    bool ok;
    char *s = mark("BI /W 1 /H 1 ID x EI", &ok);
    CHECK(!ok); /* inline images */
    free(s);
    s = mark("/P << /MCID 0 >> BDC BT (x) Tj ET", &ok);
    CHECK(!ok); /* marked content left open */
    free(s);
    s = mark("EMC", &ok);
    CHECK(!ok); /* closed but never opened */
    free(s);
}

/* The file holds Flate data with NUL bytes: search it whole. */
static bool in_buf(const bk_buf *b, const char *s)
{
    return memmem(b->ptr, b->len, s, strlen(s)) != NULL;
}

/* A small PDF laid out as cairo 1.16 writes one. */
static void add_obj(bk_buf *b, size_t *off, int n, const char *body)
{
    off[n] = b->len;
    bk_buf_addf(b, "%d 0 obj\n%s\nendobj\n", n, body);
}

/* The cross-reference table of objects 1..n-1 and the trailer. */
static void add_xref(bk_buf *b, const size_t *off, int n, int root)
{
    size_t xref = b->len;
    bk_buf_addf(b, "xref\n0 %d\n0000000000 65535 f \n", n);
    for (int i = 1; i < n; i++)
        bk_buf_addf(b, "%010zu 00000 n \n", off[i]);
    bk_buf_addf(b, "trailer\n<< /Size %d\n   /Root %d 0 R\n>>\nstartxref\n%zu\n%%%%EOF\n", n, root, xref);
}

static void test_file(void)
{
    bk_buf b = BK_BUF_INIT;
    size_t off[8] = { 0 };
    bk_buf_adds(&b, "%PDF-1.5\n%\xb5\xed\xae\xfb\n");
    add_obj(&b, off, 1, "<< /Type /Pages /Kids [ 2 0 R ] /Count 1 >>");
    add_obj(&b, off, 2, "<< /Type /Page % 1\n   /Parent 1 0 R\n   /Contents 3 0 R\n>>");
    const char *content = "BT (17) Tj ET";
    uLongf zn = compressBound(strlen(content));
    unsigned char *z = malloc(zn);
    compress2(z, &zn, (const unsigned char *)content, strlen(content), 6);
    off[3] = b.len;
    bk_buf_addf(&b, "3 0 obj\n<< /Length 4 0 R\n   /Filter /FlateDecode\n>>\nstream\n");
    bk_buf_add(&b, z, zn);
    bk_buf_adds(&b, "\nendstream\nendobj\n");
    free(z);
    char len[32];
    snprintf(len, sizeof len, "   %lu", (unsigned long)zn);
    add_obj(&b, off, 4, len);
    add_obj(&b, off, 5, "<< /Type /StructElem\n   /S /Figure\n   /P 6 0 R\n   /K 0\n>>");
    add_obj(&b, off, 6, "<< /Type /StructTreeRoot /K [ 5 0 R ] >>");
    add_obj(&b, off, 7, "<< /Type /Catalog\n   /Pages 1 0 R\n   /StructTreeRoot 6 0 R\n>>");
    add_xref(&b, off, 8, 7);

    const char *alts[] = { "A lamp \xC3\xA9" };
    pdf_finish_info info = { .lang = "fr-CA", .alts = alts, .nalts = 1 };
    bk_buf out = BK_BUF_INIT;
    CHECK_INT(pdf_finish(&b, &info, &out), 0);
    CHECK_INT((long)info.unmarked, 0);
    CHECK(!info.alts_unmatched);
    bk_buf_addc(&out, '\0');
    CHECK(in_buf(&out, "/S /Figure\n   /Alt <FEFF0041"));
    CHECK(in_buf(&out, "00E9>"));
    CHECK(in_buf(&out, "/Lang (fr-CA)"));
    CHECK(in_buf(&out, "/MarkInfo << /Marked true >>"));
    /* the page's content was marked: object 3, inflated */
    char *o3 = memmem(out.ptr, out.len, "3 0 obj\n<< /Length ", 19);
    CHECK(o3 != NULL);
    if (o3) {
        unsigned long zl = strtoul(o3 + 19, NULL, 10);
        char *data = strstr(o3, "stream\n") + 7;
        char plain[256] = "";
        uLongf pl = sizeof plain - 1;
        CHECK_INT(uncompress((unsigned char *)plain, &pl, (unsigned char *)data, zl), Z_OK);
        plain[pl] = '\0';
        CHECK_STR(plain, "/Artifact BMC\nBT (17) Tj ET\nEMC\n");
    }
    /* every xref entry points at its object */
    char *x = memmem(out.ptr, out.len, "\nxref\n0 8\n", 10); /* the streams hold NUL bytes */
    CHECK(x != NULL);
    for (int i = 1; x && i < 8; i++) {
        size_t o = strtoull(x + 10 + 20 * (size_t)i, NULL, 10);
        char head[16];
        snprintf(head, sizeof head, "%d 0 obj", i);
        CHECK(o < out.len && strncmp(out.ptr + o, head, strlen(head)) == 0);
    }
    char *sxp = memmem(out.ptr, out.len, "startxref\n", 10);
    CHECK(sxp != NULL);
    size_t sx = sxp ? strtoull(sxp + 10, NULL, 10) : 0;
    CHECK(strncmp(out.ptr + sx, "xref", 4) == 0);
    bk_buf_release(&out);

    /* more figures than texts: no /Alt, and said */
    info = (pdf_finish_info){ .lang = "en", .alts = alts };
    CHECK_INT(pdf_finish(&b, &info, &out), 0);
    CHECK(info.alts_unmatched);
    bk_buf_release(&out);

    /* not a file cairo writes: refused, nothing claimed */
    bk_buf bad = BK_BUF_INIT;
    bk_buf_adds(&bad, "%PDF-1.5\ngarbage\nstartxref\n12345\n%%EOF\n");
    CHECK_INT(pdf_finish(&bad, &info, &out), -1);
    bk_buf_release(&out);
    bk_buf_release(&bad);
    bk_buf_release(&b);
}

/* Pages drawn out of order (the contents, drawn last): the last of the
 * page tree's kids and of the structure root's go back where they belong;
 * a page tree not as said is refused, a structure tree is left and said. */
static void test_reorder(void)
{
    bk_buf b = BK_BUF_INIT;
    size_t off[8] = { 0 };
    bk_buf_adds(&b, "%PDF-1.5\n%\xb5\xed\xae\xfb\n");
    add_obj(&b, off, 1, "<< /Type /Pages\n   /Kids [ 2 0 R 3 0 R 4 0 R 5 0 R ]\n   /Count 4\n>>");
    add_obj(&b, off, 2, "<< /Type /Page\n   /Parent 1 0 R\n>>");   /* title */
    add_obj(&b, off, 3, "<< /Type /Page\n   /Parent 1 0 R\n>>");   /* body 1 */
    add_obj(&b, off, 4, "<< /Type /Page\n   /Parent 1 0 R\n>>");   /* body 2 */
    add_obj(&b, off, 5, "<< /Type /Page\n   /Parent 1 0 R\n>>");   /* contents */
    add_obj(&b, off, 6, "<< /Type /StructTreeRoot\n   /K [ 2 0 R 3 0 R 4 0 R 5 0 R 2 0 R ]\n>>");
    add_obj(&b, off, 7, "<< /Type /Catalog\n   /Pages 1 0 R\n   /StructTreeRoot 6 0 R\n>>");
    add_xref(&b, off, 8, 7);

    pdf_finish_info info = { .lang = "en", .pages_at = 1, .pages_moved = 1, .npages = 4,
                             .struct_at = 1, .struct_moved = 2, .nstruct = 5 };
    bk_buf out = BK_BUF_INIT;
    CHECK_INT(pdf_finish(&b, &info, &out), 0);
    CHECK(!info.struct_unmoved);
    bk_buf_addc(&out, '\0');
    CHECK(in_buf(&out, "/Kids [ 2 0 R 5 0 R 3 0 R 4 0 R ]"));
    CHECK(in_buf(&out, "/K [ 2 0 R 5 0 R 2 0 R 3 0 R 4 0 R ]"));
    bk_buf_release(&out);

    /* a page count other than bookify's: refused, before anything */
    info = (pdf_finish_info){ .lang = "en", .pages_at = 1, .pages_moved = 1, .npages = 5 };
    CHECK_INT(pdf_finish(&b, &info, &out), -1);
    bk_buf_release(&out);
    /* structure elements other than counted: pages moved, structure left, said */
    info = (pdf_finish_info){ .lang = "en", .pages_at = 1, .pages_moved = 1, .npages = 4,
                              .struct_at = 1, .struct_moved = 2, .nstruct = 6 };
    CHECK_INT(pdf_finish(&b, &info, &out), 0);
    CHECK(info.struct_unmoved);
    bk_buf_addc(&out, '\0');
    CHECK(in_buf(&out, "/Kids [ 2 0 R 5 0 R 3 0 R 4 0 R ]"));
    CHECK(in_buf(&out, "/K [ 2 0 R 3 0 R 4 0 R 5 0 R 2 0 R ]"));
    bk_buf_release(&out);
    bk_buf_release(&b);
}

/* Stream n of out, inflated (its /Length must be direct), or NULL; its
 * length in *plain_len and its deflated data in *z, *zlen when asked. */
static char *inflated_data(const bk_buf *out, int n, char *head_out, size_t head_size,
                           size_t *plain_len, const unsigned char **z, unsigned long *zlen)
{
    char head[32];
    snprintf(head, sizeof head, "\n%d 0 obj\n<< /Length ", n);
    char *o = memmem(out->ptr, out->len, head, strlen(head));
    if (!o)
        return NULL;
    char *st = memmem(o, out->len - (size_t)(o - out->ptr), ">>\nstream\n", 10);
    if (!st)
        return NULL;
    snprintf(head_out, head_size, "%.*s", (int)(st - o), o);
    unsigned long zl = strtoul(o + strlen(head), NULL, 10);
    if (z)
        *z = (const unsigned char *)st + 10;
    if (zlen)
        *zlen = zl;
    for (uLongf cap = 4096;; cap *= 2) {
        char *plain = calloc(1, cap);
        uLongf pl = cap - 1;
        int rc = uncompress((unsigned char *)plain, &pl, (unsigned char *)st + 10, zl);
        if (rc == Z_OK) {
            if (plain_len)
                *plain_len = pl;
            return plain;
        }
        free(plain);
        if (rc != Z_BUF_ERROR || cap > ((uLongf)1 << 30))
            return NULL;
    }
}

static char *inflated(const bk_buf *out, int n, char *head_out, size_t head_size)
{
    return inflated_data(out, n, head_out, head_size, NULL, NULL, NULL);
}

/* bookify asks cairo to leave page contents and forms uncompressed: the
 * pass deflates them, marked or not, other entries kept. */
static void test_plain_streams(void)
{
    bk_buf b = BK_BUF_INIT;
    size_t off[10] = { 0 };
    bk_buf_adds(&b, "%PDF-1.5\n%\xb5\xed\xae\xfb\n");
    add_obj(&b, off, 1, "<< /Type /Pages /Kids [ 2 0 R 8 0 R ] /Count 2 >>");
    add_obj(&b, off, 2, "<< /Type /Page % 1\n   /Parent 1 0 R\n   /Contents 3 0 R\n>>");
    add_obj(&b, off, 3, "<< /Length 4 0 R\n>>\nstream\nBT (17) Tj ET\nq /x5 Do Q\n\nendstream");
    add_obj(&b, off, 4, "   27");
    add_obj(&b, off, 5, "<< /Length 6 0 R\n   /Type /XObject\n   /Subtype /Form\n   /BBox [ 0 0 640 400 ]\n"
                        "   /Resources 7 0 R\n>>\nstream\n0 0 m 9 9 l S\n\nendstream");
    add_obj(&b, off, 6, "   14");
    add_obj(&b, off, 7, "<< /Type /Catalog\n   /Pages 1 0 R\n>>");
    add_obj(&b, off, 8, "<< /Type /Page % 2\n   /Parent 1 0 R\n   /Contents 9 0 R\n>>");
    /* content the pass cannot mark (an inline image): deflated as it is */
    add_obj(&b, off, 9, "<< /Length 4 0 R\n>>\nstream\nBI /W 1 /H 1 ID x EI\n\nendstream");
    add_xref(&b, off, 10, 7);

    pdf_finish_info info = { .lang = "en" };
    bk_buf out = BK_BUF_INIT;
    CHECK_INT(pdf_finish(&b, &info, &out), 0);
    CHECK_INT((long)info.unmarked, 1);
    char head[512];
    char *page = inflated(&out, 3, head, sizeof head);
    CHECK(page != NULL);
    if (page)
        CHECK_STR(page, "/Artifact BMC\nBT (17) Tj ET\nEMC\nq /Artifact BMC\n/x5 Do EMC\nQ\n");
    free(page);
    CHECK(strlen(head) > 21 && strcmp(head + strlen(head) - 21, "/Filter /FlateDecode\n") == 0);
    char *form = inflated(&out, 5, head, sizeof head);
    CHECK(form != NULL);
    if (form)
        CHECK_STR(form, "0 0 m 9 9 l S\n");
    free(form);
    /* the form's other entries, each once; the old /Length gone */
    CHECK(strstr(head, "   /Filter /FlateDecode\n   /Type /XObject\n   /Subtype /Form\n"
                       "   /BBox [ 0 0 640 400 ]\n   /Resources 7 0 R\n") != NULL);
    CHECK(strstr(head, "6 0 R") == NULL);
    char *raw = inflated(&out, 9, head, sizeof head);
    CHECK(raw != NULL);
    if (raw)
        CHECK_STR(raw, "BI /W 1 /H 1 ID x EI\n");
    free(raw);
    CHECK(memmem(out.ptr, out.len, "stream\nBT", 9) == NULL);
    bk_buf_release(&out);
    bk_buf_release(&b);
}

/* Objects far from their number's order, over offsets past 16 bits (the
 * pass sorts them by offset, 16 bits at a time), and a stream whose data
 * says "/S /Figure" and "<< /Type /Page ": only dictionaries count. */
static void test_order_and_stream_data(void)
{
    bk_buf b = BK_BUF_INIT;
    size_t off[10] = { 0 };
    bk_buf_adds(&b, "%PDF-1.5\n%\xb5\xed\xae\xfb\n");
    bk_buf big = BK_BUF_INIT;
    bk_buf_adds(&big, "<< /Length 9 0 R\n>>\nstream\n");
    while (big.len < 150000)
        bk_buf_adds(&big, "% /S /Figure\n<< /Type /Page /Contents 3 0 R >>\n");
    bk_buf_adds(&big, "\nendstream");
    add_obj(&b, off, 8, big.ptr); /* a form's data: offset 15, ends past 2^17 */
    char len[32];
    snprintf(len, sizeof len, "   %zu", big.len - 40);
    add_obj(&b, off, 9, len);
    add_obj(&b, off, 7, "<< /Type /Catalog\n   /Pages 1 0 R\n   /StructTreeRoot 6 0 R\n>>");
    add_obj(&b, off, 3, "<< /Length 4 0 R\n>>\nstream\nBT (17) Tj ET\n\nendstream");
    add_obj(&b, off, 5, "<< /Type /StructElem\n   /S /Figure\n   /P 6 0 R\n   /K 0\n>>");
    add_obj(&b, off, 2, "<< /Type /Page % 1\n   /Parent 1 0 R\n   /Contents 3 0 R\n>>");
    add_obj(&b, off, 6, "<< /Type /StructTreeRoot /K [ 5 0 R ] >>");
    add_obj(&b, off, 4, "   14");
    add_obj(&b, off, 1, "<< /Type /Pages /Kids [ 2 0 R ] /Count 1 >>");
    add_xref(&b, off, 10, 7);
    bk_buf_release(&big);

    const char *alts[] = { "A lamp" };
    pdf_finish_info info = { .lang = "en", .alts = alts, .nalts = 1 };
    bk_buf out = BK_BUF_INIT;
    CHECK_INT(pdf_finish(&b, &info, &out), 0);
    CHECK(!info.alts_unmatched); /* one figure: the stream's data is no dictionary */
    CHECK_INT((long)info.unmarked, 0);
    char head[512];
    char *page = inflated(&out, 3, head, sizeof head);
    CHECK(page != NULL);
    CHECK(page && strncmp(page, "/Artifact BMC\nBT (17) Tj ET\n", 28) == 0);
    free(page);
    CHECK(memmem(out.ptr, out.len, "/S /Figure\n   /Alt <FEFF0041", 27) != NULL);
    /* the objects in the order they came, each where the xref says */
    char *x = memmem(out.ptr, out.len, "\nxref\n0 10\n", 11);
    CHECK(x != NULL);
    size_t prev = 0;
    static const int order[] = { 8, 9, 7, 3, 5, 2, 6, 4, 1 };
    for (size_t k = 0; x && k < BK_ARRAY_LEN(order); k++) {
        size_t o = strtoull(x + 11 + 20 * (size_t)order[k], NULL, 10);
        char h[16];
        snprintf(h, sizeof h, "%d 0 obj", order[k]);
        CHECK(o < out.len && strncmp(out.ptr + o, h, strlen(h)) == 0);
        CHECK(o > prev);
        prev = o;
    }
    CHECK(off[1] > 65536); /* in cairo's file; the form is deflated in ours */
    bk_buf_release(&out);
    bk_buf_release(&b);
}

/* A file laid out as cairo writes one while it draws and then finishes:
 * each page's content, its length, resources, the page; a form between
 * two pages; then a font, the page tree, a Figure, the structure root and
 * the catalog. The contents' page (drawn last) goes first. */
static void cairo_like(bk_buf *b, bool content_after_page)
{
    size_t off[17] = { 0 };
    bk_buf_adds(b, "%PDF-1.5\n%\xb5\xed\xae\xfb\n");
    add_obj(b, off, 3, "<< /Length 4 0 R\n>>\nstream\n/P << /MCID 0 >> BDC BT (1) Tj ET EMC\n"
                       "BT (page 1) Tj ET\n\nendstream");
    add_obj(b, off, 4, "   56");
    add_obj(b, off, 5, "<< /Font << /f-0-0 13 0 R >> >>");
    add_obj(b, off, 2, "<< /Type /Page % 1\n   /Parent 1 0 R\n   /Contents 3 0 R\n>>");
    if (content_after_page)
        add_obj(b, off, 6, "<< /Type /Page % 2\n   /Parent 1 0 R\n   /Contents 7 0 R\n>>");
    add_obj(b, off, 7, "<< /Length 8 0 R\n>>\nstream\nBT (2) Tj ET\n\nendstream");
    add_obj(b, off, 8, "   13");
    if (!content_after_page)
        add_obj(b, off, 6, "<< /Type /Page % 2\n   /Parent 1 0 R\n   /Contents 7 0 R\n>>");
    add_obj(b, off, 9, "<< /Length 4 0 R\n   /Type /XObject\n   /Subtype /Form\n>>\nstream\n"
                       "0 0 m 9 9 l S\n\nendstream");
    add_obj(b, off, 11, "<< /Length 12 0 R\n>>\nstream\n/Figure << /MCID 0 >> BDC q /x9 Do Q EMC\n"
                        "BT (3) Tj ET\n\nendstream");
    add_obj(b, off, 12, "   50");
    add_obj(b, off, 10, "<< /Type /Page % 3\n   /Parent 1 0 R\n   /Contents 11 0 R\n>>");
    const char *font = "font data, deflated";
    uLongf zn = compressBound(strlen(font));
    unsigned char *z = malloc(zn);
    compress2(z, &zn, (const unsigned char *)font, strlen(font), 6);
    off[13] = b->len;
    bk_buf_addf(b, "13 0 obj\n<< /Length %lu\n   /Filter /FlateDecode\n>>\nstream\n", (unsigned long)zn);
    bk_buf_add(b, z, zn);
    bk_buf_adds(b, "\nendstream\nendobj\n");
    free(z);
    add_obj(b, off, 1, "<< /Type /Pages\n   /Kids [ 2 0 R 6 0 R 10 0 R ]\n   /Count 3\n>>");
    add_obj(b, off, 14, "<< /Type /StructElem\n   /S /Figure\n   /P 15 0 R\n   /K 0\n>>");
    add_obj(b, off, 15, "<< /Type /StructTreeRoot\n   /K [ 14 0 R ]\n>>");
    add_obj(b, off, 16, "<< /Type /Catalog\n   /Pages 1 0 R\n   /StructTreeRoot 15 0 R\n>>");
    add_xref(b, off, 17, 16);
}

static int to_buf(void *ctx, const void *data, size_t len)
{
    bk_buf_add(ctx, data, len);
    return 0;
}

/* The file finished as it is written (pdf_early), in pieces of `piece`
 * bytes, the drawing's info given before byte `info_at` (never if past
 * the end), only the first `upto` bytes handed over: what pdf_finish_to
 * returns, its output in *out. */
static int early_run(const bk_buf *b, pdf_finish_info *info, size_t piece, size_t info_at,
                     size_t upto, bk_buf *out, size_t *taken)
{
    pdf_early *e = pdf_early_new(to_buf, out);
    bool told = false;
    for (size_t at = 0; at < upto; at += piece) {
        if (!told && at >= info_at) {
            pdf_early_info(e, info);
            told = true;
        }
        pdf_early_feed(e, b->ptr + at, at + piece < upto ? piece : upto - at);
    }
    if (!told && info_at <= upto) {
        pdf_early_info(e, info);
    }
    *taken = pdf_early_objects(e);
    int r = pdf_finish_to(b, info, e, to_buf, out);
    pdf_early_free(e);
    return r;
}

/* Finished as cairo writes it or all at the end: the same bytes, whatever
 * the pieces, whenever the drawing's info comes, however far it got; and
 * a file that breaks an assumption is refused (-3) and made again. */
static void test_early(void)
{
    bk_buf b = BK_BUF_INIT;
    cairo_like(&b, false);
    const char *alts[] = { "A lamp" };
    pdf_finish_info base = { .lang = "en", .alts = alts, .nalts = 1, .pages_at = 0, .pages_moved = 1,
                             .npages = 3 };
    pdf_finish_info want = base;
    bk_buf ref = BK_BUF_INIT;
    CHECK_INT(pdf_finish(&b, &want, &ref), 0);
    CHECK(in_buf(&ref, "/Kids [ 10 0 R 2 0 R 6 0 R ]"));
    CHECK(in_buf(&ref, "/S /Figure\n   /Alt <FEFF0041"));
    CHECK(in_buf(&ref, "/Lang (en)"));
    CHECK_INT((long)want.unmarked, 0);
    static const size_t pieces[] = { 1, 3, 17, 64, 1 << 20 };
    size_t whole = b.len, mid = b.len / 2;
    for (size_t i = 0; i < BK_ARRAY_LEN(pieces); i++) {
        /* info at the start, half way (the page tree waits for it), never;
         * every byte or half of them */
        size_t infos[] = { 0, mid, SIZE_MAX }, uptos[] = { whole, mid };
        for (size_t j = 0; j < 3; j++)
            for (size_t k = 0; k < 2; k++) {
                pdf_finish_info info = base;
                bk_buf out = BK_BUF_INIT;
                size_t taken = 0;
                CHECK_INT(early_run(&b, &info, pieces[i], infos[j], uptos[k], &out, &taken), 0);
                CHECK(out.len == ref.len && memcmp(out.ptr, ref.ptr, ref.len) == 0);
                CHECK_INT((long)info.unmarked, (long)want.unmarked);
                CHECK(info.alts_unmatched == want.alts_unmatched);
                /* all 16 objects once it has the info and every byte; the
                 * pages' 11 without the info */
                CHECK_INT((long)taken, infos[j] == SIZE_MAX ? 11 : k == 0 ? 16 : (long)taken);
                CHECK(taken > 0);
                bk_buf_release(&out);
            }
    }
    /* more figures than texts: the figure waits, then the file is
     * finished at the end; fewer: checked and refused, then made again */
    pdf_finish_info none = base;
    none.nalts = 0;
    bk_buf ref0 = BK_BUF_INIT, out = BK_BUF_INIT;
    CHECK_INT(pdf_finish(&b, &none, &ref0), 0);
    CHECK(none.alts_unmatched);
    size_t taken;
    pdf_finish_info info = base;
    info.nalts = 0;
    CHECK_INT(early_run(&b, &info, 64, 0, whole, &out, &taken), 0);
    CHECK(out.len == ref0.len && memcmp(out.ptr, ref0.ptr, ref0.len) == 0);
    CHECK(info.alts_unmatched);
    bk_buf_release(&out);
    const char *two[] = { "A lamp", "A chair" };
    info = base;
    info.alts = two;
    info.nalts = 2;
    CHECK_INT(early_run(&b, &info, 64, 0, whole, &out, &taken), -3);
    bk_buf_release(&out);
    bk_buf_release(&ref0);

    /* a page object before its content: the content is not what the
     * early pass took it for; refused, complete or not */
    bk_buf odd = BK_BUF_INIT, ref2 = BK_BUF_INIT;
    cairo_like(&odd, true);
    info = base;
    CHECK_INT(pdf_finish(&odd, &info, &ref2), 0);
    for (size_t k = 0; k < 2; k++) {
        info = base;
        CHECK_INT(early_run(&odd, &info, 17, 0, k ? odd.len / 2 : odd.len, &out, &taken), -3);
        bk_buf_release(&out);
        /* made again without it: the bytes of the pass alone */
        info = base;
        CHECK_INT(pdf_finish_to(&odd, &info, NULL, to_buf, &out), 0);
        CHECK(out.len == ref2.len && memcmp(out.ptr, ref2.ptr, ref2.len) == 0);
        bk_buf_release(&out);
    }
    bk_buf_release(&odd);
    bk_buf_release(&ref2);
    bk_buf_release(&ref);
    bk_buf_release(&b);
}

/* Streams left stored (bk_deflate_stored, as cairo's font subsets are by
 * cairozlib.c) are told apart from compressed ones, and the pass
 * compresses them: the same data, a direct /Length, other entries kept. */
static void test_stored(void)
{
    bk_buf big = BK_BUF_INIT;
    for (int i = 0; big.len < 200000; i++)
        bk_buf_addf(&big, "glyph %d outline data\n", i % 977);
    const char *ins[] = { "", "x", big.ptr };
    size_t lens[] = { 0, 1, big.len };
    for (size_t i = 0; i < 3; i++) {
        bk_buf z = BK_BUF_INIT;
        bk_deflate_stored(ins[i], lens[i], &z);
        CHECK(bk_deflate_is_stored((unsigned char *)z.ptr, z.len));
        uLongf pl = lens[i] + 1;
        unsigned char *plain = malloc(pl);
        CHECK_INT(uncompress(plain, &pl, (unsigned char *)z.ptr, z.len), Z_OK);
        CHECK(pl == lens[i] && memcmp(plain, ins[i], lens[i]) == 0);
        free(plain);
        /* cut short, or a length not matching its complement: not so */
        CHECK(!bk_deflate_is_stored((unsigned char *)z.ptr, z.len - 5));
        z.ptr[3] ^= 1;
        CHECK(!bk_deflate_is_stored((unsigned char *)z.ptr, z.len));
        bk_buf_release(&z);
        /* compressed for real: not stored */
        bk_deflate(ins[i], lens[i], true, &z);
        CHECK(lens[i] < 100 || !bk_deflate_is_stored((unsigned char *)z.ptr, z.len));
        bk_buf_release(&z);
    }
    /* zlib's own level 0 is stored too; its level 6 is not */
    uLongf zn = compressBound(big.len);
    unsigned char *zz = malloc(zn);
    CHECK_INT(compress2(zz, &zn, (unsigned char *)big.ptr, big.len, 0), Z_OK);
    CHECK(bk_deflate_is_stored(zz, zn));
    zn = compressBound(big.len);
    CHECK_INT(compress2(zz, &zn, (unsigned char *)big.ptr, big.len, 6), Z_OK);
    CHECK(!bk_deflate_is_stored(zz, zn));
    free(zz);

    /* a font stream left stored: compressed by the pass */
    bk_buf b = BK_BUF_INIT, z = BK_BUF_INIT;
    size_t off[6] = { 0 };
    bk_buf_adds(&b, "%PDF-1.5\n%\xb5\xed\xae\xfb\n");
    add_obj(&b, off, 1, "<< /Type /Pages /Kids [ ] /Count 0 >>");
    bk_deflate_stored(big.ptr, big.len, &z);
    off[2] = b.len;
    bk_buf_addf(&b, "2 0 obj\n<< /Length 3 0 R\n   /Filter /FlateDecode\n   /Length1 %zu\n>>\nstream\n",
                big.len);
    bk_buf_add(&b, z.ptr, z.len);
    bk_buf_adds(&b, "\nendstream\nendobj\n");
    char len[32];
    snprintf(len, sizeof len, "   %zu", z.len);
    add_obj(&b, off, 3, len);
    add_obj(&b, off, 4, "<< /Type /FontDescriptor\n   /FontFile2 2 0 R\n>>");
    add_obj(&b, off, 5, "<< /Type /Catalog\n   /Pages 1 0 R\n>>");
    add_xref(&b, off, 6, 5);
    pdf_finish_info info = { .lang = "en" };
    bk_buf out = BK_BUF_INIT;
    CHECK_INT(pdf_finish(&b, &info, &out), 0);
    CHECK(out.len < b.len - big.len / 2); /* it compresses well */
    char head[512];
    size_t pl = 0;
    const unsigned char *zd = NULL;
    unsigned long zl = 0;
    char *font = inflated_data(&out, 2, head, sizeof head, &pl, &zd, &zl);
    CHECK(font != NULL);
    CHECK(strstr(head, "/Length1 ") != NULL && strstr(head, " 0 R") == NULL);
    CHECK(zd && !bk_deflate_is_stored(zd, zl));
    CHECK(font && pl == big.len && memcmp(font, big.ptr, big.len) == 0);
    free(font);
    bk_buf_release(&out);
    bk_buf_release(&z);
    bk_buf_release(&b);
    bk_buf_release(&big);
}

int main(void)
{
    RUN(test_stored);
    RUN(test_early);
    RUN(test_plain_streams);
    RUN(test_order_and_stream_data);
    RUN(test_artifacts);
    RUN(test_refused);
    RUN(test_file);
    RUN(test_reorder);
    return TEST_DONE();
}
