/* Unit tests: every date form of DESIGN.md section 2 and more. */
#include "bookify/date.h"
#include "bookify/util.h"
#include "harness.h"

static bk_date parse(const char *s, bool want_ok)
{
    bk_date d = { 0 };
    bool ok = bk_date_parse(s, strlen(s), &d);
    if (ok != want_ok) {
        bk_test_failures++;
        fprintf(stderr, "%s:%d: '%s' parsed %s, expected %s\n", __FILE__, __LINE__, s,
                ok ? "ok" : "bad", want_ok ? "ok" : "bad");
    }
    return d;
}

static void ymd_is(const char *s, const char *want)
{
    bk_date d = parse(s, true);
    char out[11] = "";
    if (d.valid)
        bk_date_format_ymd(&d, out);
    CHECK_STR(out, want);
}

static void test_forms(void)
{
    ymd_is("2019-01-05", "2019-01-05");
    ymd_is("  2019-01-05  ", "2019-01-05");
    ymd_is("2019-1-5", "2019-01-05");
    ymd_is("2019-01-05 10:00", "2019-01-05");
    ymd_is("2019-01-05 10:00:00", "2019-01-05");
    ymd_is("2021-03-02T10:00:00.000Z", "2021-03-02");
    ymd_is("2019-01-05 05:08:11 +0000", "2019-01-05");
    ymd_is("2016-03-09T16:20:02-05:00", "2016-03-09");
    ymd_is("2019-01-05 23:30:00 +05:30", "2019-01-05");
    ymd_is("2019-01-05 23:30:00 -0800", "2019-01-05");
    ymd_is("2019-01-05T10:00:00+01", "2019-01-05");
    ymd_is("2019-01-05 10:00:00 UTC", "2019-01-05");
    ymd_is("2019-01-05t10:00:00z", "2019-01-05");
    ymd_is("2020-02-29", "2020-02-29");
}

static void test_time_and_zone(void)
{
    bk_date d = parse("2019-01-05 05:08:11 +0130", true);
    CHECK(d.has_time && d.has_tz);
    CHECK_INT(d.hour, 5);
    CHECK_INT(d.minute, 8);
    CHECK_INT(d.second, 11);
    CHECK_INT(d.tz_minutes, 90);
    d = parse("2016-03-09T16:20:02-05:00", true);
    CHECK_INT(d.tz_minutes, -300);
    d = parse("2019-01-05", true);
    CHECK(!d.has_time && !d.has_tz);
}

static void test_invalid(void)
{
    parse("", false);
    parse("yesterday", false);
    parse("2019-13-01", false);
    parse("2019-02-30", false);
    parse("2019-02-29", false); /* not a leap year */
    parse("1900-02-29", false);
    parse("2019-01-05 25:00", false);
    parse("2019-01-05T", false);
    parse("2019-01-05 10:00:00 +2500", false);
    parse("2019-01-05 10:00:00 junk", false);
    parse("19-01-05", false);
    parse("2019/01/05", false);
    parse("2019-01-055", false);
}

static void test_epoch(void)
{
    bk_date d = parse("1970-01-01", true);
    CHECK_INT(bk_date_epoch(&d), 0);
    d = parse("2000-03-01 00:00:00", true);
    CHECK_INT(bk_date_epoch(&d), 951868800);
    d = parse("2019-01-05 05:08:11 +0000", true);
    bk_date e = parse("2019-01-05 06:08:11 +0100", true);
    CHECK_INT(bk_date_epoch(&d), bk_date_epoch(&e));
    CHECK_INT(bk_date_cmp(&d, &e), 0);
    bk_date f = parse("2019-01-05 05:08:12 +0000", true);
    CHECK(bk_date_cmp(&d, &f) < 0);
    bk_date back = bk_date_from_epoch(951868800 + 3661);
    CHECK_INT(back.year, 2000);
    CHECK_INT(back.month, 3);
    CHECK_INT(back.day, 1);
    CHECK_INT(back.hour, 1);
    CHECK_INT(back.minute, 1);
    CHECK_INT(back.second, 1);
    d = parse("9999-12-31", true);
    CHECK(bk_date_epoch(&d) > 253402000000LL);
}

static void test_prefix(void)
{
    bk_date d;
    CHECK_INT(bk_date_parse_prefix("2019-01-05-hello.md", &d), 11);
    CHECK_INT(d.day, 5);
    CHECK_INT(bk_date_parse_prefix("2019-1-5 a space.md", &d), 9);
    CHECK_INT(bk_date_parse_prefix("2019-01-05_x", &d), 11);
    CHECK_INT(bk_date_parse_prefix("2019-01-05.md", &d), 0);
    CHECK_INT(bk_date_parse_prefix("hello.md", &d), 0);
    CHECK_INT(bk_date_parse_prefix("2019-02-31-x.md", &d), 0);
}

static void long_is(const char *date, const char *lang, const char *want)
{
    bk_date d = parse(date, true);
    bk_buf b = BK_BUF_INIT;
    bk_date_format_long(&d, lang, &b);
    CHECK_STR(b.ptr, want);
    bk_buf_release(&b);
}

static void test_format_long(void)
{
    long_is("2024-01-08", "en", "8 January 2024");
    long_is("2024-01-08", "en-GB", "8 January 2024");
    long_is("2024-01-08", "en-US", "January 8, 2024");
    long_is("2024-08-01", "fr-CA", "1 août 2024");
    long_is("2024-03-05", "de", "5. März 2024");
    long_is("2024-03-05", "es", "5 de marzo de 2024");
    long_is("2024-04-10", "ja", "2024年4月10日");
    long_is("2024-04-10", "ko", "2024년 4월 10일");
    long_is("2024-04-02", "ar", "٢ أبريل ٢٠٢٤");
    long_is("2024-04-02", "fa-IR", "۲ آوریل ۲۰۲۴");
    long_is("2024-04-02", "xx", "2024-04-02");
    long_is("2024-04-02", NULL, "2 April 2024");
}

int main(void)
{
    RUN(test_format_long);
    RUN(test_forms);
    RUN(test_time_and_zone);
    RUN(test_invalid);
    RUN(test_epoch);
    RUN(test_prefix);
    return TEST_DONE();
}
