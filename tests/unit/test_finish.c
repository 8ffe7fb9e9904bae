/* Unit tests: the PDF finishing pass (finish.c): artifacts around content
 * drawn outside marked content, nothing else touched; bad content refused;
 * a whole file with /Alt, /Lang and /MarkInfo added and a valid xref;
 * pages and structure elements drawn out of order put back. */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pdf/pdf_int.h"

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

/* Stream n of out, inflated (its /Length must be direct), or NULL. */
static char *inflated(const bk_buf *out, int n, char *head_out, size_t head_size)
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
    char *plain = calloc(1, 4096);
    uLongf pl = 4095;
    if (uncompress((unsigned char *)plain, &pl, (unsigned char *)st + 10, zl) != Z_OK) {
        free(plain);
        return NULL;
    }
    return plain;
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

int main(void)
{
    RUN(test_plain_streams);
    RUN(test_order_and_stream_data);
    RUN(test_artifacts);
    RUN(test_refused);
    RUN(test_file);
    RUN(test_reorder);
    return TEST_DONE();
}
