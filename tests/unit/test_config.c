/* Unit tests: configuration files and their levels. */
#include <stdlib.h>
#include <unistd.h>

#include "bookify/config.h"
#include "harness.h"

static char path[256];

static void write_cfg(const char *text)
{
    snprintf(path, sizeof path, "%s/bk-config-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        exit(2);
    close(fd);
}

static int load(bk_book *book, bk_config_kind kind, const char *text, bk_diags *d)
{
    write_cfg(text);
    int rc = bk_config_load(book, path, "cfg.yml", kind, true, d);
    unlink(path);
    return rc;
}

static void test_levels(void)
{
    bk_book *book = bk_book_new("s");
    bk_diags d = BK_DIAGS_INIT;
    CHECK_INT(load(book, BK_CONFIG_JEKYLL,
                   "title: Site\nauthor: Ann\nlang: pt_BR\nurl: https://a.b\nunknown: fine\n", &d), 0);
    CHECK_STR(book->meta.title, "Site");
    CHECK_STR(book->meta.lang, "pt-BR");
    CHECK_INT(d.len, 0); /* unknown keys of _config.yml are not ours to judge */
    CHECK_INT(load(book, BK_CONFIG_BOOKIFY,
                   "title: Book\nsubtitle: Sub\nlanguage: ar\norder: date-desc\nparts: [A, B]\n"
                   "exclude: [x/]\ncss: extra.css\ntoc-depth: 3\nmax-post-size: 2M\n"
                   "max-image-size: 500K\nmax-image-pixels: 1G\n", &d), 0);
    CHECK_INT(book->meta.max_post_size, (size_t)2 << 20);
    CHECK_INT(book->meta.max_image_size, 500 * 1024);
    CHECK_INT(book->meta.max_image_pixels, (size_t)1 << 30);
    bk_diags bad = BK_DIAGS_INIT;
    CHECK_INT(load(book, BK_CONFIG_BOOKIFY, "max-post-size: lots\n", &bad), -1);
    CHECK(bad.len == 1 && strstr(bad.items[0].message, "should be a size") && bad.items[0].line == 1);
    bk_diags_release(&bad);
    CHECK_STR(book->meta.title, "Book");
    CHECK_STR(book->meta.author, "Ann"); /* kept from the level below */
    CHECK_STR(book->meta.lang, "ar");
    CHECK_INT(book->meta.order, BK_ORDER_DATE_DESC);
    CHECK_INT(book->meta.parts.len, 2);
    CHECK_INT(book->meta.toc_depth, 3);
    CHECK_STR(book->meta.css.v[0], "extra.css");
    CHECK_INT(d.len, 0);
    /* highlight: unset, then false, then a value that is no boolean (a
     * warning at its place; the last good value stays) */
    CHECK_INT(book->meta.highlight, 0);
    CHECK_INT(load(book, BK_CONFIG_BOOKIFY, "highlight: false\n", &d), 0);
    CHECK_INT(book->meta.highlight, -1);
    bk_diags maybe = BK_DIAGS_INIT;
    CHECK_INT(load(book, BK_CONFIG_BOOKIFY, "highlight: maybe\n", &maybe), 0);
    CHECK(maybe.len == 1 && maybe.items[0].severity == BK_WARNING && maybe.items[0].line == 1 &&
          strstr(maybe.items[0].message, "'highlight' should be true or false"));
    CHECK_INT(book->meta.highlight, -1);
    bk_diags_release(&maybe);
    CHECK_INT(load(book, BK_CONFIG_BOOKIFY, "highlight: yes\n", &d), 0);
    CHECK_INT(book->meta.highlight, 1);
    bk_diags_release(&d);
    bk_book_free(book);
}

static void test_hugo(void)
{
    bk_book *book = bk_book_new("s");
    bk_diags d = BK_DIAGS_INIT;
    CHECK_INT(load(book, BK_CONFIG_HUGO,
                   "baseURL: https://h.example/\nlanguageCode: de-de\ntitle: H\nparams:\n"
                   "  author: {name: Hans}\n  description: D\n", &d), 0);
    CHECK_STR(book->meta.url, "https://h.example/");
    CHECK_STR(book->meta.lang, "de-de");
    CHECK_STR(book->meta.author, "Hans");
    CHECK_STR(book->meta.description, "D");
    bk_diags_release(&d);
    bk_book_free(book);
}

static void test_order_list(void)
{
    bk_book *book = bk_book_new("s");
    bk_diags d = BK_DIAGS_INIT;
    CHECK_INT(load(book, BK_CONFIG_BOOKIFY, "order:\n  - a.md\n  - b/c.md\n", &d), 0);
    CHECK_INT(book->meta.order, BK_ORDER_LIST);
    CHECK_INT(book->meta.norder_list, 2);
    CHECK_STR(book->meta.order_list[1].value, "b/c.md");
    CHECK_INT(book->meta.order_list[1].loc.line, 3);
    CHECK_INT(book->meta.order_list[1].loc.col, 5);
    bk_diags_release(&d);
    bk_book_free(book);
}

static void test_errors(void)
{
    bk_book *book = bk_book_new("s");
    bk_diags d = BK_DIAGS_INIT;
    CHECK_INT(load(book, BK_CONFIG_BOOKIFY, "order: random\ntypo: 1\nlanguage: '!!'\n", &d), -1);
    CHECK_INT(d.nerrors, 1);
    CHECK_INT(d.nwarnings, 2);
    bk_diags_release(&d);
    CHECK_INT(load(book, BK_CONFIG_BOOKIFY, "- a list\n", &d), -1);
    CHECK_INT(d.nerrors, 1);
    bk_diags_release(&d);
    CHECK_INT(load(book, BK_CONFIG_BOOKIFY, "title: [unclosed\n", &d), -1);
    CHECK_INT(d.items[0].line, 1);
    CHECK_INT(d.items[0].col, 8);
    bk_diags_release(&d);
    CHECK_INT(bk_config_load(book, "/nonexistent/bookify.yml", "b.yml", BK_CONFIG_BOOKIFY, false, &d), 0);
    CHECK_INT(d.len, 0);
    CHECK_INT(bk_config_load(book, "/nonexistent/bookify.yml", "b.yml", BK_CONFIG_BOOKIFY, true, &d), -1);
    CHECK_INT(d.nerrors, 1);
    bk_diags_release(&d);
    bk_book_free(book);
}

static void test_lang(void)
{
    bk_arena a = BK_ARENA_INIT;
    CHECK_STR(bk_config_lang(&a, "en"), "en");
    CHECK_STR(bk_config_lang(&a, "en_US.UTF-8"), "en-US");
    CHECK_STR(bk_config_lang(&a, "zh-Hant-TW"), "zh-Hant-TW");
    CHECK(bk_config_lang(&a, "e") == NULL);
    CHECK(bk_config_lang(&a, "english please") == NULL);
    CHECK(bk_config_lang(&a, "12") == NULL);
    CHECK(bk_config_lang(&a, "") == NULL);
    bk_arena_release(&a);
}

int main(void)
{
    RUN(test_levels);
    RUN(test_hugo);
    RUN(test_order_list);
    RUN(test_errors);
    RUN(test_lang);
    return TEST_DONE();
}
