/* mem.c -- the process's allocator (see mem.h). */
#include "bookify/mem.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#ifdef BK_HAVE_MIMALLOC
static bool user_pages; /* MIMALLOC_LARGE_OS_PAGES set: left to it */
#endif

void bk_mem_init(char **envp)
{
#ifdef BK_HAVE_MIMALLOC
    /* The process's memory in 2 MiB pages where the system gives them
     * (transparent huge pages, asked for with madvise): half the page
     * faults, which cost a tenth of a PDF's time and a fifth of an EPUB's
     * on this machine. Set before the first malloc (main.c calls this from
     * .preinit_array, ahead of every library's initializer): mimalloc reads
     * the option when it makes its first segment, and does not advise a
     * segment made before. MIMALLOC_LARGE_OS_PAGES=0 says no; the C
     * library's getenv cannot be used yet (its environ is set by its own
     * initializer). mi_option_set allocates nothing. */
    static const char name[] = "MIMALLOC_LARGE_OS_PAGES=";
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, name, sizeof name - 1) == 0) {
            user_pages = true;
            return;
        }
    mi_option_set(mi_option_large_os_pages, 1);
#else
    (void)envp;
#endif
}

void bk_mem_huge_pages(bool on)
{
#ifdef BK_HAVE_MIMALLOC
    if (!user_pages)
        mi_option_set(mi_option_large_os_pages, on);
#else
    (void)on;
#endif
}

void bk_mem_trim(void)
{
#ifdef BK_HAVE_MIMALLOC
    mi_collect(true);
#endif
    malloc_trim(0); /* glibc's heap still holds what was allocated before */
}
