/* mem.c -- the process's allocator (see mem.h). */
#include "bookify/mem.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef BK_HAVE_MIMALLOC
#include <mimalloc.h>
#endif

#include "bookify/banned.h"

const char *bk_mem_allocator(void)
{
#ifdef BK_HAVE_MIMALLOC
    static char name[32];
    void *p = calloc(1, 64); /* calloc: gcc takes the check for a read */
    bool ours = p && mi_is_in_heap_region(p);
    free(p);
    if (ours) {
        int v = mi_version(); /* 209 for 2.0.9 */
        snprintf(name, sizeof name, "mimalloc %d.%d.%d", v / 100, v / 10 % 10, v % 10);
        return name;
    }
#endif
    return "glibc malloc";
}

void bk_mem_trim(void)
{
#ifdef BK_HAVE_MIMALLOC
    mi_collect(true);
#endif
    malloc_trim(0); /* glibc's heap still holds what was allocated before */
}
