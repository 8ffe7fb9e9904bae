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

static pthread_key_t compressor_key;
static pthread_once_t compressor_once = PTHREAD_ONCE_INIT;

static void free_compressor(void *c)
{
    libdeflate_free_compressor(c);
}

static void make_key(void)
{
    BK_ASSERT(pthread_key_create(&compressor_key, free_compressor) == 0);
}

static struct libdeflate_compressor *compressor(void)
{
    pthread_once(&compressor_once, make_key);
    struct libdeflate_compressor *c = pthread_getspecific(compressor_key);
    if (!c) {
        c = libdeflate_alloc_compressor(BK_DEFLATE_LEVEL);
        BK_ASSERT(c != NULL); /* only fails when out of memory */
        pthread_setspecific(compressor_key, c);
    }
    return c;
}

void bk_deflate(const void *in, size_t len, bool zlib, bk_buf *out)
{
    struct libdeflate_compressor *c = compressor();
    size_t bound = zlib ? libdeflate_zlib_compress_bound(c, len)
                        : libdeflate_deflate_compress_bound(c, len);
    bk_buf_grow(out, bound);
    size_t n = zlib ? libdeflate_zlib_compress(c, in, len, out->ptr + out->len, bound)
                    : libdeflate_deflate_compress(c, in, len, out->ptr + out->len, bound);
    BK_ASSERT(n > 0); /* the bound always suffices */
    out->len += n;
    out->ptr[out->len] = '\0';
}

uint32_t bk_crc32(const void *p, size_t len)
{
    return libdeflate_crc32(0, p, len);
}

void bk_deflate_release(void)
{
    pthread_once(&compressor_once, make_key);
    struct libdeflate_compressor *c = pthread_getspecific(compressor_key);
    if (c) {
        libdeflate_free_compressor(c);
        pthread_setspecific(compressor_key, NULL);
    }
}
