/* Unit tests: reading orders, parts, explicit lists, unique slugs. */
#include "bookify/order.h"
#include "harness.h"

static bk_book *book;
static bk_diags d;

static void add(const char *path, const char *title, const char *date, const char *cat)
{
    bk_post *p = bk_book_add_post(book);
    p->path = path;
    p->display = path;
    p->title = title;
    p->slug = "same";
    if (date)
        bk_date_parse(date, strlen(date), &p->date);
    if (cat)
        bk_strv_push(&book->arena, &p->categories, cat);
}

static void setup(void)
{
    bk_book_free(book);
    bk_diags_release(&d);
    book = bk_book_new("site");
    add("b.md", "beta", "2020-01-02", "Tools");
    add("a.md", "Alpha", "2020-01-02", "Basics");
    add("c.md", "gamma", "2019-12-31 23:00:00 -0500", "tools");
    add("d.md", "Delta", NULL, NULL);
    add("e.md", "epsilon", "2018-01-01", "Basics");
}

static void order_is(const char *want)
{
    char got[64] = "";
    for (size_t i = 0; i < book->nposts && i < 60; i++)
        got[i] = book->posts[i]->path[0];
    CHECK_STR(got, want);
}

static void test_modes(void)
{
    setup();
    bk_order(book, BK_ORDER_DATE, &d);
    order_is("ecabd"); /* c is 2020-01-01 04:00 UTC; a/b tie broken by path */
    setup();
    bk_order(book, BK_ORDER_DATE_DESC, &d);
    order_is("abced");
    setup();
    bk_order(book, BK_ORDER_TITLE, &d);
    order_is("abdec");
    setup();
    bk_order(book, BK_ORDER_FILE, &d);
    order_is("abcde");
}

static void test_category(void)
{
    setup();
    bk_order(book, BK_ORDER_CATEGORY, &d);
    order_is("eacbd");
    CHECK_INT(book->nparts, 2);
    CHECK_STR(book->parts[0].title, "Basics");
    CHECK_STR(book->parts[1].title, "tools"); /* first appearance in date order */
    CHECK_INT(book->posts[4]->part, -1);
    setup();
    bk_strv_push(&book->arena, &book->meta.parts, "Tools");
    bk_strv_push(&book->arena, &book->meta.parts, "Nothing here");
    bk_order(book, BK_ORDER_CATEGORY, &d);
    order_is("cbead");
    CHECK_STR(book->parts[0].title, "Tools");
    CHECK_INT(d.nwarnings, 1);
}

static void test_list(void)
{
    setup();
    static bk_located entries[] = {
        { "c.md", { "bookify.yml", 2, 5 } },
        { "./a.md", { "bookify.yml", 3, 5 } },
        { "zzz.md", { "bookify.yml", 4, 5 } },
    };
    book->meta.order_list = entries;
    book->meta.norder_list = 3;
    CHECK_INT(bk_order(book, BK_ORDER_LIST, &d), -1);
    order_is("ca");
    CHECK_INT(d.nerrors, 1);
    CHECK_INT(d.items[0].line, 4);
    CHECK_INT(d.nwarnings, 3); /* b, d, e left out */
}

static void test_unique_slugs(void)
{
    setup();
    bk_order(book, BK_ORDER_FILE, &d);
    CHECK_STR(book->posts[0]->slug, "same");
    CHECK_STR(book->posts[1]->slug, "same-2");
    CHECK_STR(book->posts[4]->slug, "same-5");
}

int main(void)
{
    RUN(test_modes);
    RUN(test_category);
    RUN(test_list);
    RUN(test_unique_slugs);
    bk_book_free(book);
    bk_diags_release(&d);
    return TEST_DONE();
}
