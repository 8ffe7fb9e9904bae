/* mem.h -- which malloc the process runs on, and giving freed memory back.
 *
 * bookify links mimalloc (docs/performance.md, "Ninth pass") ahead of the
 * C library, so that it is the malloc of every library in the process:
 * libxml2's trees, cmark-gfm's nodes, pango's layouts and cairo's records.
 * A build configured with -DBK_MIMALLOC=OFF (and every sanitizer build,
 * whose runtime brings its own malloc) runs on glibc's. */
#ifndef BOOKIFY_MEM_H
#define BOOKIFY_MEM_H

#include <stdbool.h>

/* The name of the allocator that malloc really is in this process, checked
 * on a live allocation (not merely what was linked): "mimalloc 2.0.9", or
 * "glibc malloc" (also under valgrind or a sanitizer, which bring theirs). */
const char *bk_mem_allocator(void);

/* Give freed pages back to the system (malloc_trim, or mimalloc's
 * collection): called now and then while a long PDF is drawn. */
void bk_mem_trim(void);

#endif
