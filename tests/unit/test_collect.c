/* Unit tests: the collector on small sites made in a temporary folder. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bookify/collect.h"
#include "bookify/order.h"
#include "harness.h"

static char root[256];

static void write_file(const char *rel, const char *text)
{
    bk_test_write(root, rel, text, strlen(text));
}

static void new_site(void)
{
    snprintf(root, sizeof root, "%s/bk-collect-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        exit(2);
    }
}

static void remove_site(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

typedef struct run {
    bk_book *book;
    bk_diags d;
    int rc;
} run;

static run collect(bk_collect_opts *o, bk_order_mode mode)
{
    run r = { bk_book_new(root), BK_DIAGS_INIT, 0 };
    if (o->now == 0)
        o->now = 1700000000; /* 2023-11-14 */
    r.rc = bk_site_open(r.book, &r.d);
    if (r.rc == 0)
        r.rc = bk_collect(r.book, o, &r.d);
    if (r.rc == 0)
        r.rc = bk_order(r.book, mode, &r.d);
    return r;
}

static void done(run *r)
{
    bk_book_free(r->book);
    bk_diags_release(&r->d);
}

static bool has_diag(const run *r, bk_severity sev, const char *file_suffix, const char *needle)
{
    for (size_t i = 0; i < r->d.len; i++) {
        const bk_diag *g = &r->d.items[i];
        if (g->severity != sev || !strstr(g->message, needle))
            continue;
        if (!file_suffix)
            return true;
        size_t n = strlen(file_suffix), m = g->file ? strlen(g->file) : 0;
        if (m >= n && strcmp(g->file + m - n, file_suffix) == 0)
            return true;
    }
    return false;
}

static void test_jekyll(void)
{
    new_site();
    write_file("_config.yml", "title: My Blog\nauthor:\n  name: Ada\nlang: en_GB\nurl: https://x.org\n");
    write_file("_posts/2020-01-01-first.md", "---\ntitle: First\n---\nHello\n");
    write_file("_posts/2019-05-05 space name.markdown", "---\ntitle: Spaced\n---\nx\n");
    write_file("_posts/2021-01-01-don't.md", "---\ntitle: Apostrophe\n---\nx\n");
    write_file("_posts/2020/2020-06-01-nested.mdx",
               "---\ntitle: Nested\n---\nimport X from 'x'\n\n<X />\n");
    write_file("_posts/2020-02-02-hidden.md", "---\ntitle: Hidden\npublished: false\n---\n");
    write_file("_posts/2030-01-01-future.md", "---\ntitle: Future\n---\n");
    write_file("_posts/2020-03-03-draft.md", "---\ntitle: Draft flag\ndraft: true\n---\n");
    write_file("_posts/README.md", "# Readme\n");
    write_file("_posts/notes.txt", "not markdown\n");
    write_file("_drafts/idea.md", "---\ntitle: Idea\n---\n");
    write_file("_layouts/post.md", "---\ntitle: Layout\n---\n");
    write_file("about.md", "---\ntitle: About\n---\nNot a post\n");
    write_file("_site/2020-01-01-first.md", "---\ntitle: Built copy\n---\n");
    write_file("news/_posts/2018-01-01-old.md", "---\ntitle: Old\ncategories: [misc]\n---\n");
    write_file(".git/x.md", "# no\n");

    bk_collect_opts o = { 0 };
    run r = collect(&o, BK_ORDER_DATE);
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.book->kind, BK_SITE_JEKYLL);
    CHECK_STR(r.book->meta.title, "My Blog");
    CHECK_STR(r.book->meta.author, "Ada");
    CHECK_STR(r.book->meta.lang, "en-GB");
    CHECK_INT(r.book->nposts, 5);
    if (r.book->nposts == 5) {
        CHECK_STR(r.book->posts[0]->title, "Old");
        CHECK_INT(r.book->posts[0]->categories.len, 2);
        CHECK_STR(r.book->posts[0]->categories.v[0], "news");
        CHECK_STR(r.book->posts[1]->title, "Spaced");
        CHECK_STR(r.book->posts[1]->slug, "space-name");
        CHECK_STR(r.book->posts[2]->title, "First");
        CHECK_STR(r.book->posts[3]->title, "Nested");
        CHECK_STR(r.book->posts[4]->title, "Apostrophe");
        CHECK_STR(r.book->posts[4]->slug, "dont");
    }
    CHECK(has_diag(&r, BK_NOTE, "2020-02-02-hidden.md", "published: false"));
    CHECK(has_diag(&r, BK_NOTE, "2030-01-01-future.md", "in the future"));
    CHECK(has_diag(&r, BK_NOTE, "2020-03-03-draft.md", "draft"));
    done(&r);

    bk_collect_opts o2 = { .drafts = true, .future = true };
    r = collect(&o2, BK_ORDER_DATE);
    CHECK_INT(r.book->nposts, 8); /* + future, draft flag, _drafts/idea */
    done(&r);

    /* Filters. */
    const char *cats[] = { "MISC" };
    bk_collect_opts o3 = { .categories = cats, .ncategories = 1 };
    r = collect(&o3, BK_ORDER_DATE);
    CHECK_INT(r.book->nposts, 1);
    done(&r);
    bk_collect_opts o4 = { 0 };
    bk_date_parse("2020-01-01", 10, &o4.since);
    bk_date_parse("2020-12-31", 10, &o4.until);
    r = collect(&o4, BK_ORDER_DATE);
    CHECK_INT(r.book->nposts, 2);
    done(&r);
    remove_site();
}

static void test_hugo(void)
{
    new_site();
    write_file("hugo.yaml", "title: Hugo Notes\nlanguageCode: fr-FR\nparams:\n  author: Zoé\n");
    write_file("content/_index.md", "---\ntitle: Home\n---\nWelcome\n");
    write_file("content/about.md", "---\ntitle: About\n---\nAbout me\n");
    write_file("content/posts/_index.md", "---\ntitle: Posts\n---\nAll posts\n");
    write_file("content/posts/alpha.md", "---\ntitle: Alpha\ndate: 2021-01-01T10:00:00+01:00\n---\nA\n");
    write_file("content/posts/bundle/index.md", "---\ntitle: Bundle\ndate: 2021-02-01\n---\nB\n");
    write_file("content/posts/wip.md", "---\ntitle: WIP\ndate: 2021-03-01\ndraft: true\n---\n");
    bk_collect_opts o = { 0 };
    run r = collect(&o, BK_ORDER_DATE_DESC);
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.book->kind, BK_SITE_HUGO);
    CHECK_STR(r.book->meta.title, "Hugo Notes");
    CHECK_STR(r.book->meta.lang, "fr-FR");
    CHECK_STR(r.book->meta.author, "Zoé");
    CHECK_INT(r.book->nposts, 2);
    if (r.book->nposts == 2) {
        CHECK_STR(r.book->posts[0]->title, "Bundle");
        CHECK_STR(r.book->posts[0]->slug, "bundle");
        CHECK_STR(r.book->posts[1]->title, "Alpha");
    }
    done(&r);
    remove_site();
}

static void test_folder(void)
{
    new_site();
    write_file("index.md", "---\ntitle: Index\nlayout: home\n---\n\n{% for p in site.posts %}{% endfor %}\n");
    write_file("guides/intro.md", "# Introduction\n\nNo front matter at all.\n");
    write_file("guides/deep/er/2022-02-02-dated.md", "Dated by name only.\n");
    write_file("guides/undated.md", "---\ntitle: Undated\n---\ntext\n");
    write_file("LICENSE.md", "MIT\n");
    write_file("node_modules/pkg/readme2.md", "# dep\n");
    write_file("bookify.yml", "title: Folder Book\nexclude: [\"drafts/\", \"*.tmp.md\"]\n");
    write_file("drafts/wip.md", "# WIP\n");
    write_file("x.tmp.md", "# tmp\n");
    bk_collect_opts o = { 0 };
    run r = collect(&o, BK_ORDER_DATE);
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.book->kind, BK_SITE_FOLDER);
    CHECK_STR(r.book->meta.title, "Folder Book");
    CHECK_INT(r.book->nposts, 3);
    if (r.book->nposts == 3) {
        CHECK_STR(r.book->posts[0]->title, "Dated");
        CHECK_STR(r.book->posts[1]->title, "Introduction");
        CHECK_STR(r.book->posts[2]->title, "Undated");
    }
    CHECK(has_diag(&r, BK_WARNING, "guides/intro.md", "no date"));
    CHECK(has_diag(&r, BK_NOTE, "index.md", "not a chapter"));
    done(&r);
    remove_site();
}

static void test_bad_posts_all_reported(void)
{
    new_site();
    write_file("_posts/2020-01-01-a.md", "---\ntitle: a: b\n---\n");
    write_file("_posts/2020-01-02-b.md", "---\ntitle: never closed\n");
    write_file("_posts/2020-01-03-c.md", "---\ntitle: Fine\n---\n");
    write_file("_posts/2020-01-04-d.md", "bin\0ary");
    write_file("bookify.yml", "order: sideways\ncolour: red\n");
    bk_collect_opts o = { 0 };
    run r = collect(&o, BK_ORDER_DATE);
    CHECK_INT(r.rc, -1);
    CHECK(has_diag(&r, BK_ERROR, "2020-01-01-a.md", "invalid YAML"));
    CHECK(has_diag(&r, BK_ERROR, "2020-01-02-b.md", "never closed"));
    CHECK(has_diag(&r, BK_ERROR, "bookify.yml", "unknown order 'sideways'"));
    CHECK(has_diag(&r, BK_WARNING, "bookify.yml", "unknown key 'colour'"));
    CHECK_INT(r.d.nerrors, 3);
    done(&r);
    write_file("_posts/2020-01-04-d.md", "bin\0ary"); /* fputs stops at NUL: rewrite */
    {
        char path[1024];
        snprintf(path, sizeof path, "%s/_posts/2020-01-04-d.md", root);
        FILE *f = fopen(path, "wb");
        fwrite("bin\0ary\n", 1, 8, f);
        fclose(f);
    }
    r = collect(&o, BK_ORDER_DATE);
    CHECK(has_diag(&r, BK_ERROR, "2020-01-04-d.md", "NUL byte"));
    CHECK_INT(r.d.nerrors, 4);
    done(&r);
    remove_site();
}

static void test_empty_site(void)
{
    new_site();
    write_file("notes.txt", "nothing\n");
    bk_collect_opts o = { 0 };
    run r = collect(&o, BK_ORDER_DATE);
    CHECK_INT(r.rc, -1);
    CHECK(has_diag(&r, BK_ERROR, NULL, "no posts found"));
    done(&r);
    write_file("a.md", "---\npublished: false\n---\n");
    r = collect(&o, BK_ORDER_DATE);
    CHECK(has_diag(&r, BK_ERROR, NULL, "no posts left"));
    done(&r);
    remove_site();
}

static void test_symlinks(void)
{
    new_site();
    char outside[300], link[600];
    snprintf(outside, sizeof outside, "%s-outside.md", root);
    FILE *f = fopen(outside, "w");
    fputs("# Secret\n", f);
    fclose(f);
    write_file("a.md", "# A\n");
    snprintf(link, sizeof link, "%s/leak.md", root);
    CHECK(symlink(outside, link) == 0);
    snprintf(link, sizeof link, "%s/loop", root);
    CHECK(symlink(".", link) == 0);
    snprintf(link, sizeof link, "%s/alias.md", root);
    CHECK(symlink("a.md", link) == 0);
    bk_collect_opts o = { 0 };
    run r = collect(&o, BK_ORDER_FILE);
    CHECK_INT(r.book->nposts, 2); /* a.md and alias.md; never the outside file */
    CHECK(has_diag(&r, BK_WARNING, "leak.md", "outside the site"));
    done(&r);
    unlink(outside);
    remove_site();
    /* a folder reached by two paths (b -> a) is read once */
    new_site();
    write_file("a/one.md", "# One\n");
    snprintf(link, sizeof link, "%s/b", root);
    CHECK(symlink("a", link) == 0);
    r = collect(&o, BK_ORDER_FILE);
    CHECK_INT(r.book->nposts, 1);
    done(&r);
    remove_site();
}

static void test_missing_site(void)
{
    run r = { bk_book_new("/nonexistent/site"), BK_DIAGS_INIT, 0 };
    CHECK_INT(bk_site_open(r.book, &r.d), -1);
    CHECK(r.d.len == 1 && strstr(r.d.items[0].message, "No such file"));
    done(&r);
}

int main(void)
{
    RUN(test_jekyll);
    RUN(test_hugo);
    RUN(test_folder);
    RUN(test_bad_posts_all_reported);
    RUN(test_empty_site);
    RUN(test_symlinks);
    RUN(test_missing_site);
    return TEST_DONE();
}
