/* fuzz.h -- what the libFuzzer targets share: a throw-away book for one
 * input, as the collector would make it for a file of a Jekyll site. */
#ifndef BK_FUZZ_H
#define BK_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bookify/collect.h"
#include "bookify/convert.h"
#include "bookify/order.h"
#include "bookify/par.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A folder of this process's own for files a target must write. */
static char fuzz_dir[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    bk_par_set_jobs(1);
    bk_convert_init();
    snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/bk-fuzz-%ld", (long)getpid());
    mkdir(fuzz_dir, 0700);
    return 0;
}

/* A book with one post made of data (front matter and Markdown). */
static inline bk_book *fuzz_book(const uint8_t *data, size_t size, bk_diags *d, bk_post **post)
{
    bk_book *book = bk_book_new(fuzz_dir);
    book->site_real = fuzz_dir;
    book->kind = BK_SITE_JEKYLL;
    book->meta.lang = "en";
    book->meta.title = "Fuzz";
    bk_collect_opts o;
    memset(&o, 0, sizeof o);
    o.now = 4102444800;
    o.drafts = o.future = true;
    const char *skip = NULL;
    *post = bk_collect_post(book, "_posts/2024-01-01-fuzz.md", (const char *)data, size, &o, d, &skip);
    return book;
}

/* The post converted as bookify would (0), or -1 after an error. */
static inline int fuzz_convert(bk_book *book, bk_post *post, bk_diags *d)
{
    if (!post)
        return -1;
    bk_order(book, BK_ORDER_DATE, d);
    bk_convert_opts o;
    memset(&o, 0, sizeof o);
    return bk_convert_book(book, &o, d);
}

#endif
