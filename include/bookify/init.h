/*
 * init.h -- `bookify init SITE`: a commented bookify.yml with what bookify
 * found in the site (title, author, language, order, cover), to edit.
 */
#ifndef BK_INIT_H
#define BK_INIT_H

#include "bookify/book.h"

/* Write SITE/bookify.yml for a book whose site is opened and whose posts
 * are collected and ordered. An existing bookify.yml is never replaced
 * (an error). Returns 0, or -1 after recording an error. */
int bk_init_write(bk_book *book, bk_diags *d);

/* The text bk_init_write writes (malloc'd). */
char *bk_init_text(const bk_book *book);

#endif
