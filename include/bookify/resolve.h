/*
 * resolve.h -- book-wide identifiers, links and images.
 *
 * Consumes every post's converted document. Produces: ids unique across the
 * whole book (the post's own #fragment links follow them), links between
 * posts turned into links to chapters ("<file>#id"), links to posts not in
 * the book made absolute web links (site url known) or plain text, images
 * read from inside SITE into book->assets with their media type sniffed
 * from their bytes, missing or remote ones replaced by their alt text.
 */
#ifndef BK_RESOLVE_H
#define BK_RESOLVE_H

#include "bookify/book.h"

/* Largest image file read. */
#define BK_IMAGE_MAX ((size_t)64 << 20)

/* Resolve the book. Returns -1 after recording an error, 0 otherwise. */
int bk_resolve(bk_book *book, bk_diags *d);

/* Post p's ids (and aliases), links and images, collected from its tree
 * where the tree was just made, while it is in the cache: bk_resolve
 * takes them rather than walking every tree twice more once they no
 * longer fit in the cache (5-7 ms of a 1,000-post book). Replaces what
 * was collected before. bk_resolve_forget frees them (bk_resolve takes
 * every post's, used or not; bk_book_free frees what is left). */
void bk_resolve_collect(bk_post *p);
void bk_resolve_forget(bk_post *p);

/* Media type of an image from its first bytes ("image/png", "image/jpeg",
 * "image/gif", "image/webp", "image/svg+xml"), or NULL. */
const char *bk_resolve_sniff_image(const unsigned char *data, size_t len);

#endif
