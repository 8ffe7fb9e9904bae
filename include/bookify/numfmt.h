/*
 * numfmt.h -- fixed-point formatting of doubles, exactly as printf's "%.*f".
 *
 * cairo 1.16 writes every number of a PDF page (each glyph position) with
 * snprintf("%f"), and glibc's general printf spends about 1,200
 * instructions on each: 8% of a PDF's time. bookify's executable defines
 * __snprintf_chk, the fortified snprintf that cairo calls, and formats
 * "%f", "%.Nf" and "%.*f" of one double itself; every other format goes to
 * the C library. The digits are glibc's to the byte (exact binary value,
 * rounded to nearest, ties to even): tests/unit/test_numfmt.c checks it on
 * millions of values, e2e.numfmt (tests/e2e/interposed.sh) that a PDF is
 * the same bytes without it. BOOKIFY_LIBC_PRINTF=1 sends everything to
 * the C library.
 */
#ifndef BK_NUMFMT_H
#define BK_NUMFMT_H

#include <stddef.h>

enum { BK_FIXED_MAX = 48 }; /* sign, 19 digits, point, 18 digits, NUL */

/* Writes d as "%.*f" with precision prec (0 to 18) in the C locale into
 * out, NUL-terminated; returns the length. Returns -1, writing nothing,
 * for what it leaves to printf: NaN, infinities, |d| >= 9.2e18, other
 * precisions. */
int bk_format_fixed(char out[BK_FIXED_MAX], double d, int prec);

/* Appends d as "%.*f" (bk_format_fixed; printf for what it leaves), with
 * a '.' whatever the locale: for the numbers bookify hands cairo itself. */
struct bk_buf;
void bk_buf_add_fixed(struct bk_buf *b, double d, int prec);

/* How many numbers the C library's formatting was spared so far. */
size_t bk_numfmt_count(void);

#endif
