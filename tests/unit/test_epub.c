/* Unit tests: the EPUB writer's package, navigation, pages and splitting. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <libxml/parser.h>
#include <libxml/xmlsave.h>

#include "bookify/collect.h"
#include "bookify/convert.h"
#include "bookify/epub.h"
#include "bookify/order.h"
#include "harness.h"

static char root[256];
static bk_book *book;
static bk_diags d;


static void write_file(const char *rel, const void *data, size_t len)
{
    bk_test_write(root, rel, data, len);
}

static void start(void)
{
    bk_book_free(book);
    bk_diags_release(&d);
    book = bk_book_new(root);
    book->site_real = root;
    book->kind = BK_SITE_JEKYLL;
    book->meta.lang = "en";
    book->meta.title = "Test Book";
    book->meta.author = "A. Writer";
}

static void add(const char *rel, const char *text)
{
    const char *skip;
    bk_collect_opts o = { .now = 4102444800 };
    if (!bk_collect_post(book, rel, text, strlen(text), &o, &d, &skip))
        fprintf(stderr, "could not add %s\n", rel);
}

/* Build the book into root/out.epub; returns the archive (or NULL). */
static zip_t *build(bk_order_mode mode, bk_epub_opts *o)
{
    bk_order(book, mode, &d);
    bk_convert_opts co = { 0 };
    bk_convert_book(book, &co, &d);
    char path[512];
    snprintf(path, sizeof path, "%s/out.epub", root);
    unlink(path);
    if (bk_epub_write(book, path, o, &d) < 0) {
        bk_diags_print(&d, stderr, 0);
        return NULL;
    }
    int err;
    return zip_open(path, ZIP_RDONLY, &err);
}

static char *entry(zip_t *z, const char *name)
{
    if (!z)
        return NULL;
    zip_stat_t st;
    if (zip_stat(z, name, 0, &st) < 0)
        return NULL;
    zip_file_t *f = zip_fopen(z, name, 0);
    char *buf = calloc(1, (size_t)st.size + 1);
    zip_fread(f, buf, st.size);
    zip_fclose(f);
    return buf;
}

/* epubcheck on the last book built, when it is installed: the writer's
 * rarer paths (parts, cover, split chapters) must validate too. */
static void epubcheck_ok(void)
{
    if (access("/usr/share/java/epubcheck.jar", R_OK) != 0) {
        fprintf(stderr, "note: epubcheck not installed; not run\n");
        return;
    }
    char cmd[700];
    snprintf(cmd, sizeof cmd,
             "java -jar /usr/share/java/epubcheck.jar -q '%s/out.epub' >'%s/check.txt' 2>&1", root,
             root);
    int rc = system(cmd);
    CHECK_INT(rc, 0);
    if (rc) {
        snprintf(cmd, sizeof cmd, "cat '%s/check.txt' >&2", root);
        if (system(cmd) != 0)
            fprintf(stderr, "(no epubcheck output)\n");
    }
}

static bool has_entry(zip_t *z, const char *name)
{
    char *e = entry(z, name);
    free(e);
    return e != NULL;
}

static void test_package(void)
{
    start();
    book->meta.subtitle = "Sub";
    book->meta.publisher = "Pub";
    book->meta.url = "https://example.org";
    add("_posts/2020-01-01-one.md", "---\ntitle: One\ntags: [x, y]\n---\n## A\n\n### A.1\n\ntext\n");
    add("_posts/2021-06-07-two.md", "---\ntitle: Two\ntags: [x]\n---\n![pic](/p.png)\n");
    static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0 };
    write_file("p.png", png, sizeof png);
    bk_epub_opts o = { .epoch = -1 };
    zip_t *z = build(BK_ORDER_DATE, &o);
    CHECK(z != NULL);
    char *opf = entry(z, "EPUB/package.opf");
    HAS(opf, "<dc:identifier id=\"bookid\">urn:uuid:");
    HAS(opf, "<dc:title id=\"subtitle\">Sub</dc:title>");
    HAS(opf, "<dc:creator id=\"creator\">A. Writer</dc:creator>");
    HAS(opf, "<dc:language>en</dc:language>");
    HAS(opf, "<dc:date>2021-06-07</dc:date>");
    HAS(opf, "<dc:publisher>Pub</dc:publisher>");
    HAS(opf, "<dc:subject>x</dc:subject>");
    HASNT(opf, "<dc:subject>y</dc:subject>"); /* used once in a book of two: not "most used" */
    HAS(opf, "<meta property=\"dcterms:modified\">2021-06-07T00:00:00Z</meta>");
    HAS(opf, "<meta property=\"schema:accessMode\">visual</meta>");
    HAS(opf, "<meta property=\"schema:accessibilityFeature\">alternativeText</meta>");
    HAS(opf, "<meta property=\"schema:accessibilityHazard\">none</meta>");
    HAS(opf, "properties=\"nav\"");
    HAS(opf, "media-type=\"image/png\"");
    HAS(opf, "<spine toc=\"ncx\">");
    /* spine: title, colophon (publisher set), contents, then the posts */
    const char *t = strstr(opf, "<spine"), *title = strstr(t, "idref=\"item-");
    HAS(t, "idref=\"nav\"");
    CHECK(title && strstr(t, "idref=\"nav\"") > title);
    char *nav = entry(z, "EPUB/bk-nav.xhtml");
    HAS(nav, "<nav epub:type=\"toc\" id=\"toc\" role=\"doc-toc\">");
    HAS(nav, "<a href=\"one.xhtml\">One</a><ol><li><a href=\"one.xhtml#a\">A</a></li></ol>");
    HASNT(nav, "A.1"); /* default depth 2: h2 only */
    HAS(nav, "epub:type=\"landmarks\"");
    HAS(nav, "epub:type=\"bodymatter\"");
    char *ncx = entry(z, "EPUB/toc.ncx");
    HAS(ncx, "<meta name=\"dtb:uid\" content=\"urn:uuid:");
    HAS(ncx, "<content src=\"one.xhtml#a\"/>");
    char *title_page = entry(z, "EPUB/bk-title.xhtml");
    HAS(title_page, "<h1 class=\"book-title\">Test Book</h1>");
    HAS(title_page, "7 June 2021");
    char *chap = entry(z, "EPUB/one.xhtml");
    HAS(chap, "<link rel=\"stylesheet\" type=\"text/css\" href=\"css/epub.css\"/>");
    CHECK(has_entry(z, "EPUB/bk-colophon.xhtml"));
    CHECK(!has_entry(z, "EPUB/bk-cover.xhtml")); /* no cover configured: none */
    /* the identifier is derived from the url: the same every time */
    char *id1 = strstr(opf, "urn:uuid:");
    char *again = NULL;
    zip_close(z);
    start();
    book->meta.url = "https://example.org";
    add("_posts/2020-01-01-one.md", "---\ntitle: Other text, same site\n---\ntext\n");
    z = build(BK_ORDER_DATE, &o);
    again = entry(z, "EPUB/package.opf");
    CHECK(again && strncmp(strstr(again, "urn:uuid:"), id1, 45) == 0);
    free(again);
    free(opf);
    free(nav);
    free(ncx);
    free(title_page);
    free(chap);
    zip_close(z);
}

static void test_parts_cover_epoch(void)
{
    start();
    /* A real JPEG: epubcheck opens images. */
    FILE *jf = fopen(BK_SOURCE_DIR "/samples/handbook/assets/img/desk-at-dusk.jpg", "rb");
    static unsigned char jpg[1 << 16];
    size_t jn = jf ? fread(jpg, 1, sizeof jpg, jf) : 0;
    if (jf)
        fclose(jf);
    CHECK(jn > 1000);
    write_file("cover.jpg", jpg, jn);
    book->meta.cover = "cover.jpg";
    book->meta.identifier = "urn:isbn:9780000000000";
    add("_posts/2020-01-01-a.md", "---\ntitle: A\ncategories: [Alpha]\n---\ntext\n");
    add("_posts/2020-01-02-b.md", "---\ntitle: B\ncategories: [Beta]\n---\ntext\n");
    add("_posts/2020-01-03-c.md", "---\ntitle: C\n---\ntext\n");
    bk_epub_opts o = { .epoch = 86400 * 365, .toc_depth = 1 };
    zip_t *z = build(BK_ORDER_CATEGORY, &o);
    char *opf = entry(z, "EPUB/package.opf");
    HAS(opf, "<dc:identifier id=\"bookid\">urn:isbn:9780000000000</dc:identifier>");
    HAS(opf, "<meta property=\"dcterms:modified\">1971-01-01T00:00:00Z</meta>");
    HAS(opf, "properties=\"cover-image\"");
    HAS(opf, "<meta name=\"cover\" content=\"item-");
    char *nav = entry(z, "EPUB/bk-nav.xhtml");
    HAS(nav, "<li><a href=\"bk-part-1.xhtml\">Alpha</a><ol><li><a href=\"a.xhtml\">A</a></li></ol></li>");
    HAS(nav, "<li><a href=\"c.xhtml\">C</a></li>");
    HAS(nav, "epub:type=\"cover\"");
    char *part = entry(z, "EPUB/bk-part-2.xhtml");
    HAS(part, "epub:type=\"part\"");
    HAS(part, "<h1>Beta</h1>");
    char *cover = entry(z, "EPUB/bk-cover.xhtml");
    HAS(cover, "<img src=\"images/bk-cover.jpg\"");
    epubcheck_ok();
    free(opf);
    free(nav);
    free(part);
    free(cover);
    zip_close(z);
    /* A cover that is not an image: a warning and no cover page. */
    start();
    write_file("cover.txt", "no", 2);
    book->meta.cover = "cover.txt";
    add("_posts/2020-01-01-a.md", "---\ntitle: A\n---\ntext\n");
    z = build(BK_ORDER_DATE, &o);
    CHECK(!has_entry(z, "EPUB/bk-cover.xhtml"));
    CHECK_INT(d.nwarnings, 1);
    zip_close(z);
}

static void test_split(void)
{
    start();
    bk_buf md = BK_BUF_INIT;
    bk_buf_adds(&md, "---\ntitle: Big\n---\n[jump](#part-9) [note](#far)\n\n");
    for (int i = 0; i < 10; i++) {
        bk_buf_addf(&md, "## Part %d\n\n", i);
        for (int k = 0; k < 700; k++)
            bk_buf_adds(&md, "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ");
        bk_buf_adds(&md, "\n\n");
    }
    bk_buf_adds(&md, "<span id=\"far\">end</span> [back](#part-0)\n");
    add("_posts/2020-01-01-big.md", md.ptr);
    add("_posts/2020-01-02-other.md", "---\ntitle: Other\n---\n[to nine](2020-01-01-big.md#part-9)\n");
    bk_buf_release(&md);
    bk_epub_opts o = { .epoch = -1 };
    zip_t *z = build(BK_ORDER_DATE, &o);
    char *a = entry(z, "EPUB/big.xhtml"), *b = entry(z, "EPUB/big-2.xhtml");
    CHECK(a != NULL && b != NULL);
    CHECK(a && strlen(a) < 420 * 1024);
    HAS(a, "href=\"big-");           /* links into later files */
    HASNT(a, "href=\"#part-9\"");     /* the jump no longer points into the first file */
    char *other = entry(z, "EPUB/other.xhtml");
    HASNT(other, "href=\"big.xhtml#part-9\"");
    HAS(other, "#part-9\"");
    char *opf = entry(z, "EPUB/package.opf");
    HAS(opf, "href=\"big-2.xhtml\"");
    /* the last file links back to the first for #part-0 */
    char name[64];
    char *last = NULL;
    for (int k = 2; k < 20; k++) {
        snprintf(name, sizeof name, "EPUB/big-%d.xhtml", k);
        char *e = entry(z, name);
        if (!e)
            break;
        free(last);
        last = e;
    }
    HAS(last, "href=\"big.xhtml#part-0\"");
    epubcheck_ok();
    free(a);
    free(b);
    free(other);
    free(opf);
    free(last);
    zip_close(z);
}

/* A chapter is split by its size in the file, UTF-8: 170 KB of Cyrillic
 * (540 KB, were its letters counted as character references, as libxml2
 * writes them with no encoding) stays one file under the 300 KB limit. */
static void test_utf8_size(void)
{
    start();
    bk_buf md = BK_BUF_INIT;
    bk_buf_adds(&md, "---\ntitle: Slovo\n---\n");
    for (int i = 0; i < 8; i++) {
        bk_buf_addf(&md, "## Chast %d\n\n", i);
        for (int k = 0; k < 520; k++)
            bk_buf_adds(&md, "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 "
                             "\xd0\xbc\xd0\xb8\xd1\x80 \xd1\x81\xd0\xbb\xd0\xbe"
                             "\xd0\xb2\xd0\xbe \xd0\xb4\xd0\xb5\xd0\xbd\xd1\x8c. ");
        bk_buf_adds(&md, "\n\n");
    }
    add("_posts/2020-01-01-slovo.md", md.ptr);
    bk_buf_release(&md);
    bk_epub_opts o = { .epoch = -1 };
    zip_t *z = build(BK_ORDER_DATE, &o);
    char *a = entry(z, "EPUB/slovo.xhtml");
    CHECK(a != NULL && strlen(a) > 150 * 1024 && strlen(a) < 300 * 1024);
    CHECK(!has_entry(z, "EPUB/slovo-2.xhtml"));
    free(a);
    zip_close(z);
}

static char *serialized(xmlDocPtr doc)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlSaveCtxtPtr s = xmlSaveToBuffer(buf, "UTF-8", 0);
    xmlSaveDoc(s, doc);
    xmlSaveClose(s);
    char *r = strdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    return r;
}

/* Both books in one run: the PDF numbers the posts' elements for the page
 * marks, keeps each tree serialized and deflated, and the EPUB parses it
 * back: the same tree, blank text nodes too, even after GtkSourceView has
 * turned libxml2's keep-blanks default off. A damaged copy is an error. */
static void test_saved_docs(void)
{
    start();
    add("_posts/2020-01-01-code.md", "---\ntitle: Code\n---\nOne.\n\nTwo *x*.\n\n"
                                     "```python\nimport os\nprint(os.name)\n```\n");
    bk_order(book, BK_ORDER_DATE, &d);
    bk_convert_opts co = { 0 };
    bk_convert_book(book, &co, &d);
    bk_post *p = book->posts[0];
    CHECK(p->doc != NULL);
    if (!p->doc)
        return;
    char *before = serialized(p->doc);
    HAS(before, "</p>\n<p>"); /* blank text between blocks */
    /* elements counted in document order from the root, 0 */
    xmlNodePtr top = xmlDocGetRootElement(p->doc);
    bk_doc_number_elements(p->doc, true);
    long k = 0;
    bool ordered = true;
    for (xmlNodePtr n = top; n; n = bk_doc_next_element(top, n))
        ordered = ordered && n->_private == (void *)(uintptr_t)++k;
    CHECK(ordered && k > 8);
    bk_doc_number_elements(p->doc, false);
    CHECK(top->_private == NULL);
    int old = xmlKeepBlanksDefault(0);
    CHECK_INT(bk_post_save_doc(book, p), 0);
    CHECK(p->doc == NULL && p->saved_len > 0);
    CHECK_INT(bk_post_restore_doc(book, p), 0);
    char *after = p->doc ? serialized(p->doc) : NULL;
    CHECK_STR(after, before);
    /* damaged: refused, and the EPUB says so */
    CHECK_INT(bk_post_save_doc(book, p), 0);
    book->saved.ptr[p->saved_off + p->saved_len / 2] ^= 0x5a;
    char path[512];
    snprintf(path, sizeof path, "%s/damaged.epub", root);
    bk_epub_opts o = { .epoch = -1 };
    size_t errors = d.nerrors;
    CHECK_INT(bk_epub_write(book, path, &o, &d), -1);
    CHECK(d.nerrors == errors + 1);
    CHECK(access(path, F_OK) != 0);
    xmlKeepBlanksDefault(old);
    free(before);
    free(after);
    /* a text node over libxml2's 10 MB limit comes back whole */
    bk_post big = { 0 };
    big.doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr html = xmlNewDocNode(big.doc, NULL, BAD_CAST "html", NULL);
    xmlDocSetRootElement(big.doc, html);
    size_t n = 11u << 20;
    char *text = malloc(n + 1);
    memset(text, 'x', n);
    text[n] = '\0';
    xmlNodeAddContent(xmlNewChild(html, NULL, BAD_CAST "pre", NULL), BAD_CAST text);
    CHECK_INT(bk_post_save_doc(book, &big), 0);
    CHECK_INT(bk_post_restore_doc(book, &big), 0);
    xmlNodePtr pre = big.doc ? xmlDocGetRootElement(big.doc)->children : NULL;
    xmlChar *back = pre ? xmlNodeGetContent(pre) : NULL;
    CHECK(back && strlen((const char *)back) == n);
    xmlFree(back);
    xmlFreeDoc(big.doc);
    free(text);
}

int main(void)
{
    snprintf(root, sizeof root, "%s/bk-epub-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(root))
        return 2;
    bk_convert_init();
    RUN(test_package);
    RUN(test_parts_cover_epoch);
    RUN(test_split);
    RUN(test_utf8_size);
    RUN(test_saved_docs);
    bk_book_free(book);
    bk_diags_release(&d);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        return 2;
    return TEST_DONE();
}
