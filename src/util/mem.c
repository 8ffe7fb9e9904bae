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
/* mimalloc's options bookify sets, unless the environment does. */
static bool user_pages, user_delay, user_reserve;

static bool in_env(char **envp, const char *name)
{
    size_t n = strlen(name);
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return true;
    return false;
}
#endif

void bk_mem_init(char **envp)
{
#ifdef BK_HAVE_MIMALLOC
    /* The process's memory in 2 MiB pages where the system gives them
     * (transparent huge pages, asked for with madvise), every thread's
     * first segment too (committed at once, not as it is touched: mimalloc
     * advises only segments it commits whole). Page faults were a fifth
     * of every book's time on this machine: 1,000 posts' PDF 61,000 ->
     * 3,500 of them. Set before the first malloc (main.c calls this from
     * .preinit_array, ahead of every library's initializer): mimalloc reads
     * its options as it makes its first segment. The C library's getenv
     * cannot be used yet (its environ is set by its own initializer);
     * mi_option_set allocates nothing. MIMALLOC_LARGE_OS_PAGES and
     * MIMALLOC_EAGER_COMMIT_DELAY, when set, decide instead. */
    user_pages = in_env(envp, "MIMALLOC_LARGE_OS_PAGES");
    user_delay = in_env(envp, "MIMALLOC_EAGER_COMMIT_DELAY");
    user_reserve = in_env(envp, "MIMALLOC_RESERVE_OS_MEMORY");
    bk_mem_huge_pages(true);
#else
    (void)envp;
#endif
}

void bk_mem_huge_pages(bool on)
{
#ifdef BK_HAVE_MIMALLOC
    if (!user_pages)
        mi_option_set(mi_option_large_os_pages, on);
    if (!user_delay)
        mi_option_set(mi_option_eager_commit_delay, on ? 0 : 1); /* 1: mimalloc's own */
#else
    (void)on;
#endif
}

bool bk_mem_huge_pages_on(void)
{
#ifdef BK_HAVE_MIMALLOC
    return mi_option_is_enabled(mi_option_large_os_pages);
#else
    return false;
#endif
}

void bk_mem_keep_freed(size_t bytes)
{
#ifdef BK_HAVE_MIMALLOC
    /* an arena of mimalloc's, committed at once: it never decommits one
     * (mimalloc 2.0 decommits what it frees of memory it took from the
     * system uncommitted, and unmaps a large block's own mapping); the
     * system gives the pages as they are first touched. Failing (a strict
     * overcommit policy) leaves things as they were. */
    if (!user_reserve)
        (void)mi_reserve_os_memory(bytes, true, true);
#else
    (void)bytes;
#endif
}

void bk_mem_trim(void)
{
#ifdef BK_HAVE_MIMALLOC
    mi_collect(true);
#endif
    malloc_trim(0); /* glibc's heap still holds what was allocated before */
}
