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
#include <stddef.h>

/* The name of the allocator that malloc really is in this process, checked
 * on a live allocation (not merely what was linked): "mimalloc 2.0.9", or
 * "glibc malloc" (also under valgrind or a sanitizer, which bring theirs). */
const char *bk_mem_allocator(void);

/* Set the allocator up before anything allocates (main.c runs it from
 * .preinit_array): mimalloc takes memory from the system in huge pages
 * where it can (docs/performance.md, "Eleventh pass"). envp: the
 * process's environment, as the loader passes it. */
void bk_mem_init(char **envp);

/* Huge pages for the memory taken from now on, or not: a long book's
 * peak grows by a quarter with them (partly used 2 MiB pages), for no
 * gain in time. MIMALLOC_LARGE_OS_PAGES and MIMALLOC_EAGER_COMMIT_DELAY,
 * when set, decide instead. */
void bk_mem_huge_pages(bool on);

/* Whether memory taken now comes in huge pages (as above). */
bool bk_mem_huge_pages_on(void);

/* From now on, memory the allocator frees is kept for its next use, not
 * given back to the system (bytes of address space set aside, committed,
 * never decommitted; taken only as used): on this kind of machine a page
 * the system hands over costs far more than one used again, and a PDF
 * frees and takes again much (cairo's pages and their records). For a
 * book short enough that its peak does not matter (main.c: the same that
 * keeps huge pages).
 * MIMALLOC_RESERVE_OS_MEMORY, when set, decides instead. */
void bk_mem_keep_freed(size_t bytes);

/* Give freed pages back to the system (malloc_trim, or mimalloc's
 * collection): called now and then while a long PDF is drawn. */
void bk_mem_trim(void);

#endif
