/*
 * order.h -- putting the collected posts in reading order.
 *
 * Consumes book->posts (any order) and book->meta (parts, order list).
 * Produces book->posts in reading order, book->parts when ordering by
 * category, and unique slugs. Ties are always broken by path, so the order
 * never depends on the file system.
 */
#ifndef BK_ORDER_H
#define BK_ORDER_H

#include "bookify/book.h"

/* Order the book's posts by mode. BK_ORDER_LIST uses book->meta.order_list:
 * an entry that names no post is an error, a post not named is left out
 * with a warning. Returns -1 after recording an error, 0 otherwise. */
int bk_order(bk_book *book, bk_order_mode mode, bk_diags *d);

#endif
