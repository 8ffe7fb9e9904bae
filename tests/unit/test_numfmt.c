/* Unit tests: bookify's "%f" and "%d" formatting against the C library's
 * (numfmt.c), value by value, and the __snprintf_chk that cairo calls. */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bookify/numfmt.h"
#include "bookify/util.h"
#include "harness.h"

int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...);

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int mismatches;

/* One value at one precision: bookify's digits or the C library's. */
static void same_fixed(double d, int prec)
{
    char want[512], got[BK_FIXED_MAX];
    snprintf(want, sizeof want, "%.*f", prec, d);
    int n = bk_format_fixed(got, d, prec);
    if (n < 0) { /* left to printf: only what numfmt.h says */
        if (isfinite(d) && fabs(d) < 9.2e18 && prec <= 18 && mismatches++ < 10)
            fprintf(stderr, "declined %.17g at %d\n", d, prec);
        return;
    }
    if ((n != (int)strlen(want) || strcmp(got, want) != 0) && mismatches++ < 10)
        fprintf(stderr, "%.17g at %d: got %s, printf %s\n", d, prec, got, want);
}

static void test_edges(void)
{
    static const double v[] = { 0.0,      -0.0,          0.5,         1.5,
                                2.5,      -2.5,          0.125,       0.375,
                                9.9999995, 0.0000005,    0.00000050000000000001,
                                999999.9999995,          1e-300,      5e-324,
                                DBL_MIN,  -1e-9,         0.1,         0.7,
                                1.0 / 3,  123456789.123456789,        9.1e18,
                                4503599627370495.5,      4503599627370496.0,
                                9007199254740993.0,      0.05,        0.045,
                                1e-18,    5e-19,         -5e-19,      2.675 };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        for (int p = 0; p <= 18; p++)
            same_fixed(v[i], p);
    char out[BK_FIXED_MAX];
    CHECK_INT(bk_format_fixed(out, NAN, 6), -1);
    CHECK_INT(bk_format_fixed(out, INFINITY, 6), -1);
    CHECK_INT(bk_format_fixed(out, 1e19, 6), -1);
    CHECK_INT(bk_format_fixed(out, 1.0, 19), -1);
    CHECK_INT(bk_format_fixed(out, 1.0, -1), -1);
    CHECK_INT(bk_format_fixed(out, -0.0, 6), 9);
    CHECK_STR(out, "-0.000000");
    CHECK_INT(mismatches, 0);
}

/* Random bit patterns, random magnitudes, and exact ties (odd multiples
 * of a power of two half way between two outputs). */
static void test_random(void)
{
    mismatches = 0;
    for (int i = 0; i < 200000; i++) {
        uint64_t b = next();
        double d;
        memcpy(&d, &b, sizeof d);
        same_fixed(d, (int)(next() % 19));
    }
    for (int i = 0; i < 300000; i++) {
        double m = (double)(next() >> 11) / 9007199254740992.0; /* [0, 1) */
        int e10 = (int)(next() % 40) - 22;
        double d = m * pow(10, e10) * (next() & 1 ? -1 : 1);
        same_fixed(d, (int)(next() % 19));
    }
    for (int i = 0; i < 300000; i++) {
        int k = 1 + (int)(next() % 62);
        double d = ldexp((double)((next() >> 20) | 1), -k);
        same_fixed(d, (int)(next() % 19));
    }
    /* what cairo writes: page coordinates, to 6 and 3 places */
    for (int i = 0; i < 200000; i++) {
        double d = (double)(int64_t)(next() % 2000000) / 1024.0 - 900.0;
        same_fixed(d, 6);
        same_fixed(d * 0.001, 3);
    }
    CHECK_INT(mismatches, 0);
}

/* The C library's own snprintf is not interposed: vsnprintf is the
 * reference for what __snprintf_chk must return. */
__attribute__((format(printf, 3, 4))) static int want(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

static void test_snprintf_chk(void)
{
    char got[64], exp[64];
#define SAME(...)                                                                              \
    do {                                                                                       \
        int n_ = __snprintf_chk(got, sizeof got, 1, sizeof got, __VA_ARGS__);                 \
        int r_ = want(exp, sizeof exp, __VA_ARGS__);                                           \
        CHECK_STR(got, exp);                                                                   \
        CHECK_INT(n_, r_);                                                                     \
    } while (0)
    SAME("%f", 612.0);
    SAME("%f", -0.25);
    SAME("%.3f", 1.0005);
    SAME("%.*f", 3, 2.0625);
    SAME("%.*f", -1, 2.0625); /* a negative precision is taken as none */
    SAME("%.18f", 0.000123456);
    SAME("%.*f", 40, 0.1); /* beyond 18 places: the C library's */
    SAME("%f", 1e300);
    SAME("%f", NAN);
    SAME("%d", 0);
    SAME("%d", -2147483647 - 1);
    SAME("%ld", -9223372036854775807L - 1);
    SAME("%04x", 0x1fu);
    SAME("%04X", 0xabcu);
    SAME("%0*x", 6, 0xbeefu);
    SAME("%*d", 5, -42);
    SAME("%*d", -5, 42); /* left-justified: the C library's */
    SAME("%05d", -42);
    SAME("%010ld", 123456789L);
    SAME("%02x", 255u);
    SAME("%03o", 8u);
    SAME("%lu", 18446744073709551615UL);
    SAME("%x", 0u);
    SAME("x=%d", 3);
    SAME("%d%%", 3);
    SAME("%s", "text");
    /* truncation: the length it would have had, the output cut to fit */
    char small[4];
    CHECK_INT(__snprintf_chk(small, sizeof small, 1, sizeof small, "%f", 3.5), 8);
    CHECK_STR(small, "3.5");
    CHECK_INT(__snprintf_chk(small, sizeof small, 1, sizeof small, "%04x", 0x12345u), 5);
    CHECK_STR(small, "123");
    CHECK_INT(__snprintf_chk(NULL, 0, 1, 0, "%d", 12345), 5);
    CHECK(bk_numfmt_count() > 0);
#undef SAME
}

/* bk_buf_add_fixed: bookify's own numbers for cairo (link rectangles,
 * destinations), printf's digits, printf itself for what it leaves. */
static void test_buf_add_fixed(void)
{
    static const double v[] = { 0.0, -0.0, 12.345, 2.675, -72.004999, 595.2756, 1e20, NAN };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        bk_buf b = BK_BUF_INIT;
        bk_buf_adds(&b, "x=");
        bk_buf_add_fixed(&b, v[i], 2);
        char exp[64];
        snprintf(exp, sizeof exp, "x=%.2f", v[i]);
        CHECK_STR(b.ptr, exp);
        bk_buf_release(&b);
    }
}

int main(void)
{
    RUN(test_buf_add_fixed);
    RUN(test_edges);
    RUN(test_random);
    RUN(test_snprintf_chk);
    return TEST_DONE();
}
