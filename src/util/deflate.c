/* deflate.c -- whole-buffer compression through libdeflate (see deflate.h). */
#include "bookify/deflate.h"

#include <libdeflate.h>
#include <pthread.h>

#include "bookify/banned.h"

/* libdeflate's 5: at 1,000 posts the EPUB's files come out 0.3% bigger
 * than at 6 (zlib's, gzip's and the zip tools' default) for 2.5% fewer
 * instructions in the whole run; 4 is as dear as 5 and bigger, 1 saves
 * 7% for 3% more bytes (docs/performance.md, twelfth pass). */
#define BK_DEFLATE_LEVEL 5

/* each thread's compressors: at BK_DEFLATE_LEVEL, and at 0 (stored) */
static pthread_key_t compressor_key[2];
static pthread_once_t compressor_once = PTHREAD_ONCE_INIT;

static void free_compressor(void *c)
{
    libdeflate_free_compressor(c);
}

static void make_key(void)
{
    for (int i = 0; i < 2; i++)
        BK_ASSERT(pthread_key_create(&compressor_key[i], free_compressor) == 0);
}

static struct libdeflate_compressor *compressor(bool stored)
{
    pthread_once(&compressor_once, make_key);
    struct libdeflate_compressor *c = pthread_getspecific(compressor_key[stored]);
    if (!c) {
        c = libdeflate_alloc_compressor(stored ? 0 : BK_DEFLATE_LEVEL);
        BK_ASSERT(c != NULL); /* only fails when out of memory */
        pthread_setspecific(compressor_key[stored], c);
    }
    return c;
}

static void compress_with(struct libdeflate_compressor *c, const void *in, size_t len, bool zlib,
                          bk_buf *out)
{
    size_t bound = zlib ? libdeflate_zlib_compress_bound(c, len)
                        : libdeflate_deflate_compress_bound(c, len);
    bk_buf_grow(out, bound);
    size_t n = zlib ? libdeflate_zlib_compress(c, in, len, out->ptr + out->len, bound)
                    : libdeflate_deflate_compress(c, in, len, out->ptr + out->len, bound);
    BK_ASSERT(n > 0); /* the bound always suffices */
    out->len += n;
    out->ptr[out->len] = '\0';
}

void bk_deflate(const void *in, size_t len, bool zlib, bk_buf *out)
{
    compress_with(compressor(false), in, len, zlib, out);
}

void bk_deflate_stored(const void *in, size_t len, bk_buf *out)
{
    compress_with(compressor(true), in, len, true, out);
}

bool bk_deflate_is_stored(const unsigned char *z, size_t len)
{
    /* the zlib header (deflate, no preset dictionary), then blocks whose
     * header byte says stored (BTYPE 00; the rest of the byte is padding),
     * each with its length and the length's complement, the last marked
     * final; then the Adler-32 */
    if (len < 2 || (z[0] & 0x0f) != 8 || (z[1] & 0x20) || ((unsigned)z[0] << 8 | z[1]) % 31)
        return false;
    size_t p = 2;
    for (;;) {
        if (len - p < 5 || (z[p] & 0xfe))
            return false;
        size_t n = (size_t)z[p + 1] | (size_t)z[p + 2] << 8;
        size_t nn = (size_t)z[p + 3] | (size_t)z[p + 4] << 8;
        if ((n ^ 0xffff) != nn || len - p - 5 < n)
            return false;
        bool last = z[p] & 1;
        p += 5 + n;
        if (last)
            break;
    }
    return len - p >= 4 && len - p - 4 <= 2;
}

uint32_t bk_crc32(const void *p, size_t len)
{
    return libdeflate_crc32(0, p, len);
}

void bk_deflate_release(void)
{
    pthread_once(&compressor_once, make_key);
    for (int i = 0; i < 2; i++) {
        struct libdeflate_compressor *c = pthread_getspecific(compressor_key[i]);
        if (c) {
            libdeflate_free_compressor(c);
            pthread_setspecific(compressor_key[i], NULL);
        }
    }
}
