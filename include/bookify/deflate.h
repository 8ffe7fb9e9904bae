/* deflate.h -- whole-buffer compression for the zip and the PDF (libdeflate).
 *
 * Every buffer bookify compresses is whole in memory, which is what
 * libdeflate is made for: at zlib's default level it is about 1.6 times
 * as fast as zlib here and its output a little smaller. Each thread keeps
 * its own compressor (freed when the thread ends; the main thread's by
 * bk_deflate_release). */
#ifndef BOOKIFY_DEFLATE_H
#define BOOKIFY_DEFLATE_H

#include <stdbool.h>
#include <stdint.h>

#include "bookify/util.h"

/* in (len bytes) compressed and appended to out: raw DEFLATE, as a zip
 * stores it, or (zlib) a zlib stream, as a PDF's /FlateDecode wants it. */
void bk_deflate(const void *in, size_t len, bool zlib, bk_buf *out);

/* in as a zlib stream of stored (uncompressed) blocks, appended to out:
 * a valid /FlateDecode stream made at the speed of a copy, for a later
 * pass to compress (bk_deflate_is_stored). */
void bk_deflate_stored(const void *in, size_t len, bk_buf *out);

/* Whether [z, z + len) is a zlib stream of stored blocks only (an end of
 * line after it allowed), as bk_deflate_stored makes. */
bool bk_deflate_is_stored(const unsigned char *z, size_t len);

/* The CRC-32 of a zip entry. */
uint32_t bk_crc32(const void *p, size_t len);

/* Free the calling thread's compressor (main, before it returns). */
void bk_deflate_release(void);

#endif
