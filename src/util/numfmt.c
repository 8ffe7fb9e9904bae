/* numfmt.c -- "%.*f" without printf's general machinery (see numfmt.h). */
#include "bookify/numfmt.h"
#include "bookify/util.h"

#include <fenv.h>
#include <langinfo.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bookify/banned.h"

__extension__ typedef unsigned __int128 u128;

static const uint64_t pow10[19] = {
    1ULL,
    10ULL,
    100ULL,
    1000ULL,
    10000ULL,
    100000ULL,
    1000000ULL,
    10000000ULL,
    100000000ULL,
    1000000000ULL,
    10000000000ULL,
    100000000000ULL,
    1000000000000ULL,
    10000000000000ULL,
    100000000000000ULL,
    1000000000000000ULL,
    10000000000000000ULL,
    100000000000000000ULL,
    1000000000000000000ULL,
};

/* d = m * 2^e exactly, m < 2^53. The integer part is m >> -e; the digits
 * after the point are the rest times 10^prec, shifted back, rounded on the
 * exact remainder (half to even, as glibc in the default rounding mode).
 * The product is below 2^53 * 10^18 < 2^113, so 128 bits hold it. */
int bk_format_fixed(char out[BK_FIXED_MAX], double d, int prec)
{
    if (prec < 0 || prec > 18 || !isfinite(d))
        return -1;
    bool neg = signbit(d);
    double a = fabs(d);
    if (a >= 9.2e18) /* the integer part must fit in 63 bits */
        return -1;
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    int biased = (int)(bits >> 52);
    uint64_t m = bits & ((1ULL << 52) - 1);
    int e = -1074; /* subnormal */
    if (biased) {
        m |= 1ULL << 52;
        e = biased - 1075;
    }
    uint64_t ip = 0, q = 0, p10 = pow10[prec];
    if (e >= 0) {
        ip = m << e;
    } else {
        int s = -e;
        uint64_t f = m;
        if (s < 64) {
            ip = m >> s;
            f = m & ((1ULL << s) - 1);
        }
        /* With s >= 114 the product is below half a unit: it rounds to 0. */
        if (s < 114) {
            u128 x = (u128)f * p10;
            u128 one = 1;
            q = (uint64_t)(x >> s);
            u128 rest = x & ((one << s) - 1), half = one << (s - 1);
            bool odd = (prec ? q : ip) & 1;
            if (rest > half || (rest == half && odd))
                q++;
            if (q >= p10) {
                q -= p10;
                ip++;
            }
        }
    }
    char digits[20];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    int n = 0;
    if (neg)
        out[n++] = '-';
    while (nd)
        out[n++] = digits[--nd];
    if (prec) {
        out[n++] = '.';
        for (int i = prec - 1; i >= 0; i--) {
            out[n + i] = (char)('0' + q % 10);
            q /= 10;
        }
        n += prec;
    }
    out[n] = '\0';
    return n;
}

void bk_buf_add_fixed(bk_buf *b, double d, int prec)
{
    char tmp[BK_FIXED_MAX];
    int n = bk_format_fixed(tmp, d, prec);
    if (n >= 0)
        bk_buf_add(b, tmp, (size_t)n);
    else
        bk_buf_addf(b, "%.*f", prec, d);
}

/* ---- the fortified snprintf that cairo calls ---- */

int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...);
int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, va_list ap);

static atomic_size_t spared;
static int libc_state;

size_t bk_numfmt_count(void)
{
    return atomic_load_explicit(&spared, memory_order_relaxed);
}

/* One conversion and nothing else: "%f", "%.Nf", "%.*f" (a double), or
 * "%d"-like: a '0' flag, a width (digits or '*'), 'l', then d, u, x, X or
 * o (cairo writes every integer of a page through "%d" and "%04x"). */
typedef struct {
    char conv;    /* 'f', 'd', 'u', 'x', 'X', 'o'; 0: not ours */
    int prec;     /* 'f': 0-99, or -2 for '*' */
    int width;    /* integers: -2 for '*' */
    bool zero, l; /* integers: the '0' flag, the 'l' modifier */
} one_conv;

static one_conv parse_format(const char *f)
{
    one_conv c = { 0, 6, 0, false, false };
    if (*f++ != '%')
        return c;
    if (f[0] == 'f' && !f[1]) {
        c.conv = 'f';
        return c;
    }
    if (f[0] == '.') {
        f++;
        if (*f == '*') {
            c.prec = -2;
            f++;
        } else {
            c.prec = 0;
            for (int i = 0; i < 2 && *f >= '0' && *f <= '9'; i++)
                c.prec = c.prec * 10 + (*f++ - '0');
            if (f[-1] == '.')
                return c;
        }
        if (f[0] == 'f' && !f[1])
            c.conv = 'f';
        return c;
    }
    if (*f == '0') {
        c.zero = true;
        f++;
    }
    if (*f == '*') {
        c.width = -2;
        f++;
    } else
        for (int i = 0; i < 2 && *f >= '0' && *f <= '9'; i++)
            c.width = c.width * 10 + (*f++ - '0');
    if (*f == 'l') {
        c.l = true;
        f++;
    }
    if ((*f == 'd' || *f == 'u' || *f == 'x' || *f == 'X' || *f == 'o') && !f[1])
        c.conv = *f;
    return c;
}

/* An integer as printf would, or -1 for a width that left-justifies. */
static int format_int(char out[BK_FIXED_MAX], const one_conv *c, va_list ap)
{
    int width = c->width == -2 ? va_arg(ap, int) : c->width;
    if (width < 0 || width > BK_FIXED_MAX - 24)
        return -1;
    unsigned long long v;
    bool neg = false;
    if (c->conv == 'd') {
        long long x = c->l ? va_arg(ap, long) : va_arg(ap, int);
        neg = x < 0;
        v = neg ? 0ULL - (unsigned long long)x : (unsigned long long)x;
    } else
        v = c->l ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
    unsigned base = c->conv == 'o' ? 8 : c->conv == 'x' || c->conv == 'X' ? 16 : 10;
    const char *set = c->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    char digits[24];
    int nd = 0;
    do {
        digits[nd++] = set[v % base];
        v /= base;
    } while (v);
    int len = nd + neg, pad = width > len ? width - len : 0, n = 0;
    if (!c->zero)
        for (; pad; pad--)
            out[n++] = ' ';
    if (neg)
        out[n++] = '-';
    for (; pad; pad--)
        out[n++] = '0';
    while (nd)
        out[n++] = digits[--nd];
    out[n] = '\0';
    return n;
}

static bool ours(void)
{
    /* glibc honours the rounding mode and the locale's decimal point */
    const char *point = nl_langinfo(RADIXCHAR);
    return !bk_env_on("BOOKIFY_LIBC_PRINTF", &libc_state) && fegetround() == FE_TONEAREST &&
           point[0] == '.' && !point[1];
}

int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    /* with maxlen > slen the C library reports the overflow */
    one_conv c = maxlen <= slen ? parse_format(fmt) : (one_conv){ 0, 0, 0, false, false };
    if (c.conv && ours()) {
        va_list copy;
        va_copy(copy, ap);
        char buf[BK_FIXED_MAX];
        int n;
        if (c.conv == 'f') {
            int prec = c.prec == -2 ? va_arg(copy, int) : c.prec;
            n = bk_format_fixed(buf, va_arg(copy, double), prec < 0 ? 6 : prec);
        } else
            n = format_int(buf, &c, copy);
        va_end(copy);
        if (n >= 0) {
            va_end(ap);
            if (maxlen) {
                size_t k = (size_t)n < maxlen ? (size_t)n : maxlen - 1;
                memcpy(s, buf, k);
                s[k] = '\0';
            }
            atomic_fetch_add_explicit(&spared, 1, memory_order_relaxed);
            return n;
        }
    }
    int r = __vsnprintf_chk(s, maxlen, flag, slen, fmt, ap);
    va_end(ap);
    return r;
}
