/* Unit tests: Markdown posts to XHTML chapters, and resolve across the book. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bookify/collect.h"
#include "bookify/convert.h"
#include "bookify/order.h"
#include "bookify/resolve.h"
#include "dom.h"
#include "harness.h"

static char root[256];
static bk_book *book;
static bk_diags d;
static bk_collect_opts opts;

static void write_file(const char *rel, const void *data, size_t len)
{
    bk_test_write(root, rel, data, len);
}

static void start(bk_site_kind kind)
{
    bk_book_free(book);
    bk_diags_release(&d);
    book = bk_book_new(root);
    book->site_real = root;
    book->kind = kind;
    book->meta.lang = "en";
    book->meta.title = "Book";
}

static bk_post *add(const char *rel, const char *text)
{
    const char *skip;
    bk_post *p = bk_collect_post(book, rel, text, strlen(text), &opts, &d, &skip);
    if (!p)
        fprintf(stderr, "could not add %s\n", rel);
    return p;
}

static char *chapter(bk_post *p)
{
    bk_buf b = BK_BUF_INIT;
    if (p && p->doc)
        bk_convert_serialize(p, &b);
    return bk_buf_detach(&b);
}

static void convert(void)
{
    bk_order(book, BK_ORDER_DATE, &d);
    bk_convert_opts o = { 0 };
    bk_convert_book(book, &o, &d);
}


static bool diag_at(bk_severity sev, const char *file_suffix, int line, const char *needle)
{
    for (size_t i = 0; i < d.len; i++) {
        bk_diag *g = &d.items[i];
        size_t n = strlen(file_suffix), m = g->file ? strlen(g->file) : 0;
        if (g->severity == sev && m >= n && strcmp(g->file + m - n, file_suffix) == 0 &&
            (line == 0 || g->line == line) && strstr(g->message, needle))
            return true;
    }
    fprintf(stderr, "no diagnostic '%s' at %s:%d; have:\n", needle, file_suffix, line);
    bk_diags_print(&d, stderr, BK_DIAGS_VERBOSE);
    return false;
}

/* Titles: most are plain text and skip Markdown; those that are not
 * still get emphasis, smart punctuation and escaping. */
static void test_title_forms(void)
{
    static const char *const cases[][2] = {
        { "C# 101 (part 2), 50% off", "C# 101 (part 2), 50% off" },
        { "1. Intro", "1. Intro" },
        { "2024 in review", "2024 in review" },
        { "# Not a heading", "# Not a heading" },
        { "x_y_z and *this*", "x_y_z and <em>this</em>" },
        { "Don't stop...", "Don\u2019t stop\u2026" },
        { "a & b < c", "a &amp; b &lt; c" },
        { "Ünïcödé 漢字 title", "Ünïcödé 漢字 title" },
    };
    for (size_t i = 0; i < BK_ARRAY_LEN(cases); i++) {
        start(BK_SITE_JEKYLL);
        char path[64], src[256], want[256];
        snprintf(path, sizeof path, "_posts/2024-01-%02zu-t.md", i + 1);
        snprintf(src, sizeof src, "---\ntitle: \"%s\"\n---\nText.\n", cases[i][0]);
        bk_post *p = add(path, src);
        convert();
        char *x = chapter(p);
        snprintf(want, sizeof want, "<h1 class=\"chapter-title\">%s</h1>", cases[i][1]);
        HAS(x, want);
        free(x);
    }
}

static void test_header(void)
{
    start(BK_SITE_JEKYLL);
    book->meta.author = "Book Author";
    bk_post *p = add("_posts/2024-01-08-hello.md",
                     "---\ntitle: \"Hello *there*\"\nsubtitle: A sub\nauthor: Guest\n"
                     "categories: [Cat]\ntags: [t1, t2]\n---\n\n# Hello there\n\nText.\n");
    convert();
    char *x = chapter(p);
    HAS(x, "<h1 class=\"chapter-title\">Hello <em>there</em></h1>");
    HAS(x, "<p class=\"chapter-subtitle\" role=\"doc-subtitle\">A sub</p>");
    HAS(x, "<time datetime=\"2024-01-08\">8 January 2024</time>");
    HAS(x, "<span class=\"chapter-author\">Guest</span>");
    HAS(x, "<p class=\"chapter-tags\"><span class=\"category\">Cat</span> · <span class=\"tag\">t1</span> · <span class=\"tag\">t2</span></p>");
    HAS(x, "<title>Hello there</title>");
    HAS(x, "epub:type=\"chapter\"");
    HAS(x, "xml:lang=\"en\"");
    HASNT(x, "id=\"hello-there\""); /* the repeated "# Hello there" is gone */
    free(x);
    /* a title taken from the body: that heading goes, a later one stays;
     * a heading inside a Liquid highlight block is code, not the title */
    start(BK_SITE_JEKYLL);
    p = add("_posts/2024-01-08-guess.md",
            "---\ndate: 2024-01-08\n---\n{% highlight bash %}\n# install deps\n{% endhighlight %}\n\n"
            "# Real Title\n\nText.\n\n# Real Section\n\nMore.\n");
    convert();
    x = chapter(p);
    HAS(x, "<title>Real Title</title>");
    HAS(x, "Real Section</h2>");
    HASNT(x, "id=\"real-title\"");
    free(x);
    /* the book's own author is not repeated on every chapter */
    start(BK_SITE_JEKYLL);
    book->meta.author = "Book Author";
    p = add("_posts/2024-01-08-same.md", "---\ntitle: Same\nauthor: Book Author\n---\nText.\n");
    convert();
    x = chapter(p);
    HASNT(x, "chapter-author");
    HASNT(x, "Book Author");
    free(x);
}

static void test_headings(void)
{
    start(BK_SITE_JEKYLL);
    bk_post *p = add("_posts/2024-01-08-a.md",
                     "---\ntitle: A\n---\n"
                     "- [go](#team-management--mentoring)\n- [k](#embrace-a-leadership-mindset)\n"
                     "- [two](#intro-1)\n\n"
                     "## Team Management & Mentoring\n\n## 1. Embrace a Leadership Mindset\n\n"
                     "## Intro\n\n## Intro\n\n### Custom {#my-id}\n\n[c](#my-id)\n");
    bk_post *q = add("_posts/2024-01-09-b.md", "---\ntitle: B\n---\n## Intro\n\n[self](#intro)\n");
    convert();
    char *x = chapter(p), *y = chapter(q);
    HAS(x, "<h2 id=\"team-management--mentoring\">");
    HAS(x, "<h2 id=\"1-embrace-a-leadership-mindset\">");
    HAS(x, "href=\"#1-embrace-a-leadership-mindset\""); /* kramdown-style link follows */
    HAS(x, "<h2 id=\"intro\">");
    HAS(x, "<h2 id=\"intro-1\">");
    HAS(x, "<h3 id=\"my-id\">Custom</h3>");
    HAS(x, "href=\"#my-id\"");
    /* unique across the book: b's intro is renamed and its own link follows */
    HAS(y, "<h2 id=\"intro-2\">");
    HAS(y, "href=\"#intro-2\"");
    HASNT(x, "data-bk-alias");
    free(x);
    free(y);
    /* a post that uses # headings: they move down below the chapter title */
    start(BK_SITE_JEKYLL);
    p = add("_posts/2024-01-08-a.md", "---\ntitle: T\n---\nIntro.\n\n# Part\n\n## Sub\n");
    convert();
    x = chapter(p);
    HAS(x, "<h2 id=\"part\">Part</h2>");
    HAS(x, "<h3 id=\"sub\">Sub</h3>");
    free(x);
}

static void test_gfm(void)
{
    start(BK_SITE_JEKYLL);
    bk_post *p = add("_posts/2024-01-08-a.md",
                     "---\ntitle: G\n---\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n~~gone~~ www.example.org\n\n"
                     "- [x] done\n- [ ] todo\n\nNote.[^n]\n\n[^n]: The \"note\" -- here.\n");
    convert();
    char *x = chapter(p);
    HAS(x, "<th style=\"text-align: left\">a</th>");
    HAS(x, "<td style=\"text-align: right\">2</td>");
    HAS(x, "<del>gone</del>");
    HAS(x, "href=\"http://www.example.org\"");
    HAS(x, "<li class=\"task done\">");
    HAS(x, "\xE2\x98\x91");
    HAS(x, "\xE2\x98\x90");
    HAS(x, "epub:type=\"noteref\"");
    HAS(x, "role=\"doc-noteref\"");
    HAS(x, "<aside id=\"fn-a-n\" class=\"footnote\" epub:type=\"footnote\" role=\"doc-footnote\">");
    HAS(x, "href=\"#fnref-a-n\" role=\"doc-backlink\">1.</a>");
    HAS(x, "The \xE2\x80\x9Cnote\xE2\x80\x9D \xE2\x80\x93 here."); /* smart quotes and dash */
    free(x);
}

static void test_no_smart(void)
{
    start(BK_SITE_JEKYLL);
    bk_post *p = add("_posts/2024-01-08-a.md", "---\ntitle: S\n---\n\"quoted\" -- dash\n");
    bk_order(book, BK_ORDER_DATE, &d);
    bk_convert_opts o = { .no_smart = true };
    bk_convert_book(book, &o, &d);
    char *x = chapter(p);
    HAS(x, "\"quoted\" -- dash");
    free(x);
}

/* Code blocks: every way of naming the language is highlighted; code
 * that names none, an unknown one, or holds markup of its own is not. */
static void test_highlight(void)
{
    start(BK_SITE_JEKYLL);
    bk_post *p = add("_posts/2024-01-08-code.md",
                     "---\ntitle: C\n---\n"
                     "```{.python}\ndef a(): pass\n```\n\n"
                     "```py title=\"x.py\"\ndef b(): pass\n```\n\n"
                     "<pre lang=\"ruby\">def c; end</pre>\n\n"
                     "<pre lang=\"fr\">bonjour</pre>\n\n"
                     "<pre class=\"sourceCode python\"><code class=\"sourceCode python\">def d(): pass</code></pre>\n\n"
                     "<pre><code class=\"python\">def e(): pass</code></pre>\n\n"
                     "<pre><code class=\"lang-python\">def f(): pass</code></pre>\n\n"
                     "```\ndef g(): pass\n```\n\n"
                     "```nosuchlanguage\ndef h(): pass\n```\n\n"
                     "<pre><code class=\"language-python\">def <em>i</em>(): pass</code></pre>\n\n"
                     "Inline `def j` stays plain.\n");
    bk_order(book, BK_ORDER_DATE, &d);
    bk_convert_book(book, &(bk_convert_opts){ 0 }, &d);
    char *x = chapter(p);
    for (char n = 'a'; n <= 'f'; n++) {
        char want[80];
        snprintf(want, sizeof want, "<span class=\"keyword\">def</span> <span class=\"function\">%c</span>", n);
        if (n == 'c') /* Ruby's definition marks no function names */
            snprintf(want, sizeof want, "<pre class=\"language-ruby\"><span class=\"keyword\">def</span> c;");
        HAS(x, want);
    }
    HAS(x, "<pre><code>def g(): pass");
    /* a lang naming no code language is the text's own language: kept */
    HAS(x, "<pre lang=\"fr\">bonjour</pre>");
    HAS(x, "<code class=\"language-nosuchlanguage\">def h(): pass");
    HAS(x, "<code class=\"language-python\">def <em>i</em>(): pass");
    HAS(x, "<code>def j</code>");
    CHECK_INT(d.nwarnings, 0);
    free(x);
    /* turned off */
    bk_convert_book(book, &(bk_convert_opts){ .no_highlight = true }, &d);
    x = chapter(p);
    CHECK(strstr(x, "<span class=\"keyword\">") == NULL);
    free(x);
}

static void test_raw_html(void)
{
    start(BK_SITE_JEKYLL);
    bk_post *p = add("_posts/2024-01-08-raw.md",
                     "---\ntitle: R\n---\nText.\n\n<script>alert(1)</script>\n\n"
                     "<div class=\"box\" onclick=\"x()\"><p>Kept <b>bold</b></p></div>\n\n"
                     "<Callout>inner words</Callout>\n\n[bad](javascript:alert(1))\n");
    convert();
    char *x = chapter(p);
    HASNT(x, "script");
    HASNT(x, "alert");
    HASNT(x, "onclick");
    HAS(x, "<div class=\"box\"><p>Kept <b>bold</b></p></div>");
    HAS(x, "inner words");
    HASNT(x, "Callout");
    CHECK(diag_at(BK_WARNING, "2024-01-08-raw.md", 6, "<script>"));
    CHECK(diag_at(BK_WARNING, "2024-01-08-raw.md", 8, "onclick"));
    CHECK(diag_at(BK_WARNING, "2024-01-08-raw.md", 12, "javascript:"));
    free(x);
}

static void test_templates(void)
{
    start(BK_SITE_JEKYLL);
    book->meta.url = "https://blog.example";
    bk_post *p = add("_posts/2024-01-08-a.md",
                     "---\ntitle: A\n---\n{% include footer.html %}\n\nSee [b]({% post_url 2024-01-09-b %})"
                     " and [b2]({{ site.baseurl }}/b/) and [b3](https://blog.example/b/) and [c](2024-01-09-b.md#deep) and [gone](/nowhere/).\n\n"
                     "{% highlight ruby %}\nputs 1\n{% endhighlight %}\n\n{: .notice}\nNot maths: $5 and $10.\n"
                     "Maths: $a*b$ here.\n\n$$\nx^2\n$$\n");
    bk_post *q = add("_posts/2024-01-09-b.md",
                     "---\ntitle: B\npermalink: /b/\n---\n{% include footer.html %}\n\n## Deep\n");
    convert();
    char *x = chapter(p), *y = chapter(q);
    HASNT(x, "{%");
    HASNT(x, "include");
    HAS(x, "href=\"b.xhtml\"");
    HAS(x, "href=\"b.xhtml#deep\"");
    HAS(x, "<a href=\"b.xhtml\">b3</a>");
    HAS(x, "href=\"https://blog.example/nowhere/\"");
    HAS(x, "<pre><code class=\"language-ruby\">puts <span class=\"number\">1</span>");
    HAS(x, "$5 and $10");
    HAS(x, "<span class=\"math\">a*b</span>");
    HAS(x, "<div class=\"math display\">");
    HAS(x, "x^2");
    /* one warning for both includes, at the first */
    CHECK(diag_at(BK_WARNING, "2024-01-08-a.md", 4, "and 1 more use"));
    size_t n = 0;
    for (size_t i = 0; i < d.len; i++)
        n += strstr(d.items[i].message, "'{% include %}'") != NULL;
    CHECK_INT(n, 1);
    free(x);
    free(y);
}

static void test_links_without_url(void)
{
    start(BK_SITE_JEKYLL);
    bk_post *p = add("_posts/2024-01-08-a.md",
                     "---\ntitle: A\n---\n[gone](/nowhere/) [frag](#nope) [b](/b/#nope)\n");
    add("_posts/2024-01-09-b.md", "---\ntitle: B\npermalink: /b/\n---\nB\n");
    convert();
    char *x = chapter(p);
    HAS(x, "<span>gone</span>");
    HAS(x, "<span>frag</span>");
    HAS(x, "href=\"b.xhtml\"");
    CHECK(diag_at(BK_WARNING, "2024-01-08-a.md", 4, "leads to no post"));
    CHECK(diag_at(BK_WARNING, "2024-01-08-a.md", 4, "'#nope' leads nowhere"));
    CHECK(diag_at(BK_WARNING, "2024-01-08-a.md", 4, "has no heading or anchor '#nope'"));
    free(x);
}

static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                     'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0 };

static void test_images(void)
{
    start(BK_SITE_JEKYLL);
    write_file("assets/img/pic one.jpg", png, sizeof png); /* PNG bytes, .jpg name */
    write_file("assets/doc.txt", "text", 4);
    char outside[300], link[600];
    snprintf(outside, sizeof outside, "%s-secret.png", root);
    FILE *f = fopen(outside, "wb");
    fwrite(png, 1, sizeof png, f);
    fclose(f);
    snprintf(link, sizeof link, "%s/assets/leak.png", root);
    CHECK(symlink(outside, link) == 0);
    bk_post *p = add("_posts/2024-01-08-img.md",
                     "---\ntitle: I\n---\n![one](/assets/img/pic%20one.jpg)\n\n"
                     "![again](../assets/img/pic one.jpg)\n\n![missing](/assets/none.png)\n\n"
                     "![remote](https://example.org/x.png)\n\n![escape](../../../etc/passwd)\n\n"
                     "![text](/assets/doc.txt)\n\n![leak](/assets/leak.png)\n\n<img src = \"/assets/img/pic%20one.jpg\" alt=\"raw\">\n");
    convert();
    char *x = chapter(p);
    HAS(x, "src=\"images/pic-one.png\"");
    CHECK_INT(book->nassets, 1);
    if (book->nassets)
        CHECK_STR(book->assets[0].media_type, "image/png");
    HAS(x, "<span class=\"image-missing\">missing</span>");
    HAS(x, "<a href=\"https://example.org/x.png\">remote</a>");
    HAS(x, "<span class=\"image-missing\">escape</span>");
    HAS(x, "<span class=\"image-missing\">text</span>");
    CHECK(diag_at(BK_WARNING, "2024-01-08-img.md", 8, "no such file"));
    CHECK(diag_at(BK_WARNING, "2024-01-08-img.md", 10, "not fetched"));
    CHECK(diag_at(BK_WARNING, "2024-01-08-img.md", 12, "outside the site"));
    CHECK(diag_at(BK_WARNING, "2024-01-08-img.md", 14, "not a PNG"));
    CHECK(diag_at(BK_WARNING, "2024-01-08-img.md", 16, "outside the site"));
    HAS(x, "<span class=\"image-missing\">leak</span>");
    unlink(outside);
    free(x);
}

/* The ids, links and images each tree's conversion collects for
 * resolving (bk_resolve_collect) resolve the book as walking the trees
 * again does. */
static void test_found_ids(void)
{
    const char *a = "---\ntitle: A\n---\n[b's intro](/b/#intro) [self](#intro) [gone](/x/)\n\n"
                    "## Intro\n\n## Intro\n\nNote.[^n]\n\n![a cat](/cat.png)\n\n[^n]: A note.\n";
    const char *b = "---\ntitle: B\npermalink: /b/\n---\n## Intro\n\n[a](#intro) [^m]\n\n"
                    "[^m]: Another.\n";
    char *walked[2], *found[2];
    for (int pass = 0; pass < 2; pass++) {
        start(BK_SITE_JEKYLL);
        write_file("cat.png", png, sizeof png);
        bk_post *p[2] = { add("_posts/2024-01-08-a.md", a), add("_posts/2024-01-09-b.md", b) };
        bk_order(book, BK_ORDER_DATE, &d);
        bk_convert_opts o = { 0 };
        for (int i = 0; i < 2; i++) {
            CHECK(bk_convert_post(book, p[i], &o, &d) == 0);
            CHECK(p[i]->found_ids != NULL); /* collected as the tree was made */
            if (pass == 0)
                bk_resolve_forget(p[i]); /* resolved by walking the trees */
        }
        CHECK(bk_resolve(book, &d) == 0);
        for (int i = 0; i < 2; i++) {
            CHECK(p[i]->found_ids == NULL); /* taken by bk_resolve */
            (pass ? found : walked)[i] = chapter(p[i]);
        }
    }
    HAS(found[0], "href=\"b.xhtml#intro-2\"");
    HAS(found[0], "<img src=");
    HAS(found[1], "<h2 id=\"intro-2\">");
    for (int i = 0; i < 2; i++) {
        CHECK_STR(found[i], walked[i]);
        free(found[i]);
        free(walked[i]);
    }
}

static void test_kramdown(void)
{
    start(BK_SITE_JEKYLL);
    bk_post *p = add("_posts/2024-01-08-k.md",
                     "---\ntitle: K\n---\n* TOC\n{:toc}\n\nA notice.\n{: .notice--info}\n\n"
                     "Term\n: The definition.\n\nThe HTML spec.\n\n*[HTML]: Hyper Text Markup Language\n");
    convert();
    char *x = chapter(p);
    HASNT(x, "TOC");
    HAS(x, "<p class=\"notice--info\">A notice.</p>");
    HAS(x, "<dt>Term</dt>");
    HAS(x, "<dd>");
    HAS(x, "<abbr title=\"Hyper Text Markup Language\">HTML</abbr>");
    free(x);
    /* uses side by side, overlapping (the longer wins), many in one node */
    start(BK_SITE_JEKYLL);
    p = add("_posts/2024-01-08-k.md", "---\ntitle: K\n---\nHTML 5 and HTML, CSS; HTMLX no.\n\n"
                                      "*[HTML]: Markup\n*[HTML 5]: Markup five\n*[CSS]: Style\n");
    convert();
    x = chapter(p);
    HAS(x, "<p><abbr title=\"Markup five\">HTML 5</abbr> and <abbr title=\"Markup\">HTML</abbr>, "
           "<abbr title=\"Style\">CSS</abbr>; HTMLX no.</p>");
    free(x);
    /* attribute lists go through the sanitiser's rules: no resource loads
     * however spelled, no odd dir, no handlers; a plain style stays */
    start(BK_SITE_JEKYLL);
    p = add("_posts/2024-01-08-k.md",
            "---\ntitle: K\n---\nA.\n{: style=\"background:URL(https://evil.example/t.png)\"}\n\n"
            "B.\n{: style=\"background:\\75rl(https://evil.example/u.png)\"}\n\n"
            "C.\n{: dir=\"sideways\" onclick=\"x()\" style=\"background-image:image-set('v.png' 1x)\"}\n\n"
            "D.\n{: style=\"color: red\" lang=\"fr\"}\n");
    convert();
    x = chapter(p);
    HASNT(x, "evil.example");
    HASNT(x, "image-set");
    HASNT(x, "sideways");
    HASNT(x, "onclick");
    HAS(x, "<p style=\"color: red\" lang=\"fr\">D.</p>");
    CHECK(diag_at(BK_WARNING, "2024-01-08-k.md", 0, "kramdown attribute list"));
    free(x);
}

static void test_rtl(void)
{
    start(BK_SITE_JEKYLL);
    bk_post *p = add("_posts/2024-01-08-ar.md", "---\ntitle: عنوان\nlang: ar\n---\nنص عربي.\n");
    bk_post *q = add("_posts/2024-01-09-fa.md", "---\ntitle: x\n---\nاین یک متن فارسی است.\n");
    convert();
    char *x = chapter(p), *y = chapter(q);
    HAS(x, "dir=\"rtl\"");
    HAS(x, "lang=\"ar\"");
    HAS(y, "dir=\"rtl\"");
    CHECK(p->rtl && q->rtl);
    free(x);
    free(y);
    /* a majority of the letters, ASCII counted without GLib and the count
     * stopped once the rest cannot change it: English first, then more
     * Hebrew letters than English ones, is right-to-left; the other way
     * round, or one Hebrew word in English, is not */
    start(BK_SITE_JEKYLL);
    bk_post *a = add("_posts/2024-01-10-a.md", "---\ntitle: x\n---\nSee: 1, 2. "
                                               "שלום עולם זה טקסט בעברית\n");
    bk_post *b = add("_posts/2024-01-11-b.md", "---\ntitle: x\n---\nשלום עולם. "
                                               "Hello world, this is English text\n");
    bk_post *e = add("_posts/2024-01-12-e.md", "---\ntitle: x\n---\nThe word שלום is Hebrew.\n");
    convert();
    CHECK(a->rtl && !b->rtl && !e->rtl);
}

static void test_hugo(void)
{
    start(BK_SITE_HUGO);
    bk_post *p = add("content/posts/h.md",
                     "---\ntitle: H\n---\n{{< highlight go >}}\nfmt.Println(\"{{ x }}\")\n{{< /highlight >}}\n\n"
                     "{{< youtube abc >}}\n\nText with {{ braces }} stays in Hugo.\n");
    bk_post *q = add("content/posts/other.md",
                     "---\ntitle: O\n---\n[back]({{< ref \"posts/h.md\" >}}) [again]({{< relref \"h\" >}})\n\n"
                     "{{< figure src=\"/img/x.png\" caption=\"A \\\"quoted\\\" <b>cap</b>\" alt=\"alt text\" >}}\n");
    convert();
    char *x = chapter(p);
    char *y = chapter(q);
    HAS(y, "<a href=\"h.xhtml\">back</a>");
    HAS(y, "<a href=\"h.xhtml\">again</a>");
    HAS(y, "<figure>");
    HAS(y, "<figcaption>A \"quoted\" &lt;b&gt;cap&lt;/b&gt;</figcaption>");
    HAS(y, "alt text");
    free(y);
    HAS(x, "<pre><code class=\"language-go\">fmt.Println(<span class=\"string\">\"{{ x }}\"</span>)");
    HASNT(x, "youtube");
    CHECK(diag_at(BK_WARNING, "content/posts/h.md", 8, "shortcode 'youtube'"));
    free(x);
}

static void test_deep_nesting(void)
{
    start(BK_SITE_JEKYLL);
    bk_buf b = BK_BUF_INIT;
    bk_buf_adds(&b, "---\ntitle: Deep\n---\n");
    for (int i = 0; i < 300; i++)
        bk_buf_adds(&b, "> ");
    bk_buf_adds(&b, "bottom\n\nAfter.\n");
    bk_post *p = add("_posts/2024-01-08-deep.md", b.ptr);
    bk_buf_release(&b);
    convert();
    CHECK(diag_at(BK_WARNING, "2024-01-08-deep.md", 0, "nested more than"));
    CHECK(p->doc != NULL);
}

static void test_non_ascii_file(void)
{
    start(BK_SITE_JEKYLL);
    bk_post *p = add("_posts/2024-01-08-日本語.md", "---\ntitle: J\nlang: ja\n---\n本文。\n");
    convert();
    CHECK_STR(p->file, "chapter-1.xhtml");
    CHECK_STR(p->slug, "日本語");
}

/* A source line break between Chinese or Japanese characters is no
 * space; across inline markup too; Korean, Latin and code keep it. */
static void test_cjk_line_breaks(void)
{
    /* the date line in the chapter's own language */
    start(BK_SITE_JEKYLL);
    bk_post *zp = add("_posts/2024-04-20-zh.md", "---\ntitle: t\nlang: zh\n---\n中文。\n");
    convert();
    char *y = chapter(zp);
    HAS(y, "<time datetime=\"2024-04-20\">2024年4月20日</time>");
    free(y);
    start(BK_SITE_JEKYLL);
    bk_post *p = add("_posts/2024-01-08-zh.md",
                     "---\ntitle: t\nlang: zh\n---\n中文\n排版，\n*强调*\n之后。\n\n"
                     "한국어는\n띄어씁니다\n\nLatin\n中文 and `代\n码`\n");
    convert();
    char *x = chapter(p);
    HAS(x, "<p>中文排版，<em>强调</em>之后。</p>");
    HAS(x, "한국어는\n띄어씁니다");
    HAS(x, "Latin\n中文");
    HAS(x, "<code>代 码</code>");
    free(x);
}

/* bk_dom_is compares a first letter before the whole name: names that
 * share it, prefixes, text nodes and NULL. */
static void test_dom_is(void)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr h1 = xmlNewNode(NULL, BAD_CAST "h1"), p = xmlNewNode(NULL, BAD_CAST "pre");
    xmlNodePtr t = xmlNewText(BAD_CAST "p");
    xmlDocSetRootElement(doc, h1);
    xmlAddChild(h1, p);
    xmlAddChild(p, t);
    CHECK(bk_dom_is(h1, "h1"));
    CHECK(!bk_dom_is(h1, "h2"));
    CHECK(!bk_dom_is(h1, "h"));
    CHECK(!bk_dom_is(h1, "h10"));
    CHECK(!bk_dom_is(h1, "p"));
    CHECK(!bk_dom_is(h1, ""));
    CHECK(bk_dom_is(p, "pre"));
    CHECK(!bk_dom_is(p, "p"));
    CHECK(!bk_dom_is(t, "text")); /* a text node, named "text" by libxml2 */
    CHECK(!bk_dom_is(NULL, "p"));
    xmlFreeDoc(doc);
}

int main(void)
{
    snprintf(root, sizeof root, "%s/bk-convert-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(root))
        return 2;
    bk_convert_init();
    opts.now = 4102444800;
    RUN(test_dom_is);
    RUN(test_header);
    RUN(test_title_forms);
    RUN(test_headings);
    RUN(test_gfm);
    RUN(test_no_smart);
    RUN(test_highlight);
    RUN(test_raw_html);
    RUN(test_templates);
    RUN(test_links_without_url);
    RUN(test_found_ids);
    RUN(test_images);
    RUN(test_kramdown);
    RUN(test_rtl);
    RUN(test_cjk_line_breaks);
    RUN(test_hugo);
    RUN(test_deep_nesting);
    RUN(test_non_ascii_file);
    bk_book_free(book);
    bk_diags_release(&d);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        return 2;
    return TEST_DONE();
}
