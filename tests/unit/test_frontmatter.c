/* Unit tests: front-matter shapes, typing, errors and their positions. */
#include "bookify/collect.h"
#include "bookify/frontmatter.h"
#include "harness.h"

static bk_book *book;
static bk_diags d;
static bk_collect_opts opts;

static void reset(void)
{
    bk_book_free(book);
    bk_diags_release(&d);
    book = bk_book_new("site");
    book->kind = BK_SITE_JEKYLL;
}

static bk_post *post_named(const char *rel, const char *text)
{
    reset();
    const char *skip;
    return bk_collect_post(book, rel, text, strlen(text), &opts, &d, &skip);
}

static bk_post *post(const char *text)
{
    return post_named("_posts/2020-01-02-hello-world.md", text);
}

/* The only diagnostic has this severity, line and column. */
static void one_diag(bk_severity sev, int line, int col)
{
    CHECK_INT(d.len, 1);
    if (d.len) {
        CHECK_INT(d.items[0].severity, sev);
        CHECK_INT(d.items[0].line, line);
        CHECK_INT(d.items[0].col, col);
        CHECK_STR(d.items[0].file, "site/_posts/2020-01-02-hello-world.md");
    }
}

static void test_basic(void)
{
    bk_post *p = post("---\n"
                      "title: \"How to Lead\"\n"
                      "subtitle: A guide\n"
                      "date: 2025-07-30\n"
                      "author: \"Ana Lima\"\n"
                      "tags: [career development, leadership]\n"
                      "categories: [career]\n"
                      "cover-img: /assets/img/cover.jpg\n"
                      "permalink: /tech-to-leadership/\n"
                      "---\n"
                      "\n"
                      "Body text.\n");
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_INT(d.len, 0);
    CHECK_STR(p->title, "How to Lead");
    CHECK_STR(p->subtitle, "A guide");
    CHECK_STR(p->author, "Ana Lima");
    CHECK_INT(p->date.year, 2025);
    CHECK(!p->date_from_name);
    CHECK_INT(p->tags.len, 2);
    CHECK_STR(p->tags.v[0], "career development");
    CHECK_STR(p->categories.v[0], "career");
    CHECK_STR(bk_post_field(p, "cover-img")->value, "/assets/img/cover.jpg");
    CHECK_STR(p->slug, "tech-to-leadership");
    CHECK_INT(p->body_line, 11);
    CHECK(strncmp(p->body, "\nBody text.", 11) == 0);
}

static void test_lists_as_strings(void)
{
    bk_post *p = post("---\ncategories: news  tech\ntags: a, b c , d\ncategory: Extra\n---\n");
    CHECK_INT(p->categories.len, 3);
    CHECK_STR(p->categories.v[0], "news");
    CHECK_STR(p->categories.v[1], "tech");
    CHECK_STR(p->categories.v[2], "Extra");
    CHECK_INT(p->tags.len, 3);
    CHECK_STR(p->tags.v[1], "b c");
    p = post("---\ncategories:\n  - Edge Case\n  - edge case\n  - 2019\n---\n");
    CHECK_INT(p->categories.len, 2); /* duplicates (any case) dropped */
    CHECK_STR(p->categories.v[1], "2019");
    p = post("---\ntags:\n  - ok\n  - [nested]\n---\n");
    CHECK_INT(p->tags.len, 1);
    one_diag(BK_WARNING, 4, 5);
}

static void test_booleans(void)
{
    const char *yes[] = { "true", "True", "yes", "TRUE", "on" };
    const char *no[] = { "false", "False", "no", "NO", "off", "\"false\"" };
    char text[128];
    for (size_t i = 0; i < BK_ARRAY_LEN(no); i++) {
        snprintf(text, sizeof text, "---\npublished: %s\n---\n", no[i]);
        bk_post *p = post(text);
        CHECK(p && !p->published);
    }
    for (size_t i = 0; i < BK_ARRAY_LEN(yes); i++) {
        snprintf(text, sizeof text, "---\ndraft: %s\n---\n", yes[i]);
        bk_post *p = post(text);
        CHECK(p && p->draft);
    }
    bk_post *p = post("---\npublished: maybe\n---\n");
    CHECK(p && p->published);
    one_diag(BK_WARNING, 2, 12);
}

static void test_dates(void)
{
    bk_post *p = post("---\ndate: 2019-01-05 05:08:11 +0000\n---\n");
    CHECK(p->date.has_tz && p->date.hour == 5 && p->date.year == 2019);
    p = post("---\ndate: \"2021-03-02T10:00:00.000Z\"\n---\n");
    CHECK(p->date.year == 2021 && p->date.hour == 10);
    p = post("---\ntitle: x\n---\n");
    CHECK(p->date_from_name && p->date.year == 2020 && p->date.month == 1 && p->date.day == 2);
    p = post("---\ndate: next tuesday\n---\n");
    CHECK(p->date_from_name); /* falls back to the file name */
    one_diag(BK_WARNING, 2, 7);
    p = post("---\npublishDate: 2018-05-06\n---\n");
    CHECK(p->date.year == 2018 && !p->date_from_name);
}

static void test_duplicate_key(void)
{
    bk_post *p = post("---\ntitle: First\ndate: 2020-01-01\ntitle: Second\n---\n");
    CHECK_STR(p->title, "Second");
    one_diag(BK_WARNING, 4, 1);
    if (d.len)
        CHECK(strstr(d.items[0].message, "first given on line 2") != NULL);
}

static void test_malformed(void)
{
    /* A colon inside an unquoted value: the classic blogger mistake. */
    CHECK(post("---\ntitle: Hello\nsubtitle: a: b\n---\nbody\n") == NULL);
    one_diag(BK_ERROR, 3, 12);
    if (d.len)
        CHECK(d.items[0].excerpt && strcmp(d.items[0].excerpt, "subtitle: a: b") == 0);
    CHECK(post("---\ntitle: \"unterminated\n---\nbody\n") == NULL);
    CHECK_INT(d.nerrors, 1);
    CHECK(post("---\ntags: [a, b\ndate: 2020-01-01\n---\n") == NULL);
    CHECK_INT(d.nerrors, 1);
    CHECK(post("---\n\ttitle: tab\n---\n") == NULL);
    one_diag(BK_ERROR, 2, 1);
    CHECK(post("---\njust a sentence\n---\n") == NULL);
    one_diag(BK_ERROR, 2, 1);
    CHECK(post("---\n- a\n- b\n---\n") == NULL);
    one_diag(BK_ERROR, 2, 1);
}

static void test_unclosed(void)
{
    CHECK(post("---\ntitle: Never closed\n\nSome text.\n") == NULL);
    one_diag(BK_ERROR, 1, 1);
    if (d.len)
        CHECK(strstr(d.items[0].message, "never closed") != NULL);
}

static void test_bom_crlf(void)
{
    bk_post *p = post("\xEF\xBB\xBF---\r\ntitle: Windows\r\ndate: 2020-05-06\r\n---\r\n# Heading\r\n");
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_INT(d.len, 0);
    CHECK_STR(p->title, "Windows");
    CHECK_INT(p->date.month, 5);
    CHECK_STR(p->body, "# Heading\n");
    CHECK_INT(p->body_line, 5);
}

static void test_invalid_utf8(void)
{
    bk_post *p = post("---\ntitle: caf\xE9\n---\nna\xEFve\n");
    CHECK(p != NULL);
    CHECK_STR(p->title, "caf\xEF\xBF\xBD");
    one_diag(BK_WARNING, 2, 11);
}

static void test_no_front_matter(void)
{
    bk_post *p = post("Intro line.\n\n# The Real Title #\n\ntext\n");
    CHECK_STR(p->title, "The Real Title");
    CHECK(p->title_from_body);
    CHECK_INT(p->body_line, 1);
    p = post("```\n# not a title\n```\n\nSetext Title\n============\n");
    CHECK_STR(p->title, "Setext Title");
    p = post("---\ncategories: [x]\n---\nNo heading here.\n");
    CHECK_STR(p->title, "Hello World");
    p = post_named("_posts/2020-01-02- it's a Space.md", "text\n");
    CHECK_STR(p->title, "It's A Space");
    CHECK_STR(p->slug, "its-a-space");
    p = post_named("_posts/2009-09-05-edge-case-no-yaml-title.md", "---\ntags: [x]\n---\nbody\n");
    CHECK_STR(p->title, "Edge Case No Yaml Title");
}

static void test_empty_front_matter(void)
{
    bk_post *p = post("---\n---\nbody\n");
    CHECK(p != NULL);
    CHECK_INT(d.len, 0);
    p = post("---\n# only a comment\n---\n");
    CHECK(p != NULL);
    CHECK_INT(d.len, 0);
}

static void test_types(void)
{
    bk_post *p = post("---\ntitle: [a, b]\nauthor:\n  name: Jo Doe\n  email: jo@x\n---\n");
    CHECK(p->title && strcmp(p->title, "Hello World") == 0);
    CHECK_STR(p->author, "Jo Doe");
    CHECK_INT(d.nwarnings, 1);
    p = post("---\nauthors: [Ann, Bob]\n---\n");
    CHECK_STR(p->author, "Ann, Bob");
    p = post("---\ntitle: ~\n---\n# From Body\n");
    CHECK_STR(p->title, "From Body");
}

static void test_slug_sources(void)
{
    bk_post *p = post("---\nslug: My Custom Slug\n---\n");
    CHECK_STR(p->slug, "my-custom-slug");
    p = post("---\npermalink: /2019/01/some-page.html\n---\n");
    CHECK_STR(p->slug, "some-page");
    p = post("---\npermalink: /:categories/:title/\n---\n");
    CHECK_STR(p->slug, "hello-world");
}

static void test_toml(void)
{
    bk_post *p = post("+++\ntitle = \"x\"\n+++\nBody\n");
    CHECK(p != NULL);
    CHECK_INT(p->body_line, 4);
    one_diag(BK_WARNING, 1, 1);
}

static void test_mdx(void)
{
    bk_post *p = post_named("_posts/2020-01-02-x.mdx",
                            "---\ntitle: M\n---\nimport A from './a'\nexport const meta = {\n  x: 1,\n}\n"
                            "\nText with import inside.\n\n```js\nimport kept from 'code'\n```\n");
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK(strstr(p->body, "./a") == NULL);
    CHECK(strstr(p->body, "x: 1") == NULL);
    CHECK(strstr(p->body, "Text with import inside.") != NULL);
    CHECK(strstr(p->body, "import kept from 'code'") != NULL);
    /* Line numbers survive: the text is still on body line 6. */
    int line = 1;
    for (const char *c = p->body; c < strstr(p->body, "Text with"); c++)
        line += *c == '\n';
    CHECK_INT(line, 6);
    p = post_named("_posts/2020-01-02-y.md", "import this stays in .md\n");
    CHECK(strstr(p->body, "import this stays") != NULL);
}

static void test_leading_space_name(void)
{
    bk_post *p = post_named("_posts/ 2021-07-08-late.md", "text\n");
    CHECK(p && p->date_from_name && p->date.day == 8);
    CHECK_STR(p->slug, "late");
}

static void test_body_title_helper(void)
{
    bk_arena a = BK_ARENA_INIT;
    int line = 0;
    const char *t = bk_frontmatter_body_title("## h2\n#hashtag\n   # Three # \n", 27, &a, &line);
    CHECK_STR(t, "Three");
    CHECK_INT(line, 3);
    CHECK(bk_frontmatter_body_title("    # indented code\n", 20, &a, &line) == NULL);
    CHECK_STR(bk_frontmatter_title_from_slug("my_great-post", &a), "My Great Post");
    bk_arena_release(&a);
}

int main(void)
{
    opts.now = 4102444800; /* 2100-01-01 */
    RUN(test_basic);
    RUN(test_lists_as_strings);
    RUN(test_booleans);
    RUN(test_dates);
    RUN(test_duplicate_key);
    RUN(test_malformed);
    RUN(test_unclosed);
    RUN(test_bom_crlf);
    RUN(test_invalid_utf8);
    RUN(test_no_front_matter);
    RUN(test_empty_front_matter);
    RUN(test_types);
    RUN(test_slug_sources);
    RUN(test_toml);
    RUN(test_body_title_helper);
    RUN(test_mdx);
    RUN(test_leading_space_name);
    bk_book_free(book);
    bk_diags_release(&d);
    return TEST_DONE();
}
