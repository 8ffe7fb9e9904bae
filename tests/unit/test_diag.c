/* Unit tests: recording, sorting and printing diagnostics. */
#include <stdlib.h>

#include "bookify/diag.h"
#include "harness.h"

static char *print(const bk_diags *d, unsigned flags)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    bk_diags_print(d, f, flags);
    fclose(f);
    return buf;
}

static void test_sort_and_print(void)
{
    bk_diags d = BK_DIAGS_INIT;
    CHECK_INT(bk_error(&d, (bk_loc){ "s/b.md", 3, 2 }, "second %s", "b"), -1);
    bk_warn(&d, (bk_loc){ "s/a.md", 10, 0 }, "later line");
    bk_warn(&d, (bk_loc){ "s/a.md", 2, 5 }, "early line");
    bk_error(&d, (bk_loc){ NULL, 0, 0 }, "run-wide");
    bk_note(&d, (bk_loc){ "s/a.md", 0, 0 }, "a note");
    bk_diags_sort(&d);
    char *out = print(&d, 0);
    CHECK_STR(out, "s/a.md:2:5: warning: early line\n"
                   "s/a.md:10: warning: later line\n"
                   "s/b.md:3:2: error: second b\n"
                   "bookify: error: run-wide\n"
                   "bookify: 2 errors, 2 warnings\n");
    free(out);
    out = print(&d, BK_DIAGS_QUIET | BK_DIAGS_VERBOSE);
    CHECK_STR(out, "s/a.md: note: a note\n"
                   "s/b.md:3:2: error: second b\n"
                   "bookify: error: run-wide\n"
                   "bookify: 2 errors\n");
    free(out);
    bk_diags_release(&d);
}

/* The same message about one file: five, then a count (-v: all). */
static void test_repeats_collapsed(void)
{
    bk_diags d = BK_DIAGS_INIT;
    for (int i = 1; i <= 8; i++)
        bk_warn(&d, (bk_loc){ "s/a.md", i, 0 }, "same");
    bk_warn(&d, (bk_loc){ "s/b.md", 1, 0 }, "same");
    bk_warn(&d, (bk_loc){ "s/a.md", 9, 0 }, "other");
    bk_diags_sort(&d);
    char *out = print(&d, 0);
    CHECK_STR(out, "s/a.md:1: warning: same\n"
                   "s/a.md:2: warning: same\n"
                   "s/a.md:3: warning: same\n"
                   "s/a.md:4: warning: same\n"
                   "s/a.md:5: warning: same\n"
                   "s/a.md: warning: and 3 more like this (-v shows them all)\n"
                   "s/a.md:9: warning: other\n"
                   "s/b.md:1: warning: same\n"
                   "bookify: 10 warnings\n");
    free(out);
    out = print(&d, BK_DIAGS_VERBOSE);
    CHECK(strstr(out, "s/a.md:8: warning: same\n") != NULL);
    CHECK(strstr(out, "more like this") == NULL);
    free(out);
    bk_diags_release(&d);
}

static void test_excerpt_caret(void)
{
    bk_diags d = BK_DIAGS_INIT;
    bk_error(&d, (bk_loc){ "x.md", 1, 4 }, "bad");
    bk_diags_set_excerpt(&d, "\xC3\xA9t\xC3\xA9: x", 6);
    char *out = print(&d, 0);
    /* "été: x": column 4 is ':' after three characters (five bytes). */
    CHECK_STR(out, "x.md:1:4: error: bad\n  \xC3\xA9t\xC3\xA9:\n     ^\nbookify: 1 error\n");
    free(out);
    bk_diags_release(&d);
}

static void test_strict_and_merge(void)
{
    bk_diags d = BK_DIAGS_INIT, other = BK_DIAGS_INIT;
    d.strict = true;
    CHECK_INT(bk_warn(&d, (bk_loc){ "a", 1, 1 }, "w"), -1);
    CHECK_INT(d.nerrors, 1);
    CHECK_INT(d.nwarnings, 0);
    bk_warn(&other, (bk_loc){ "b", 1, 1 }, "w2");
    bk_diags_merge(&d, &other);
    CHECK_INT(d.len, 2);
    CHECK_INT(d.nwarnings, 1);
    CHECK_INT(other.len, 0);
    char *out = print(&d, 0);
    CHECK(strstr(out, "a:1:1: error: w\n") != NULL);
    free(out);
    bk_diags_release(&d);
    bk_diags_release(&other);
    out = print(&d, 0);
    CHECK_STR(out, ""); /* nothing to say, not even a count */
    free(out);
}

int main(void)
{
    RUN(test_sort_and_print);
    RUN(test_excerpt_caret);
    RUN(test_repeats_collapsed);
    RUN(test_strict_and_merge);
    return TEST_DONE();
}
