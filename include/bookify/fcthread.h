/*
 * fcthread.h -- pango's font matching and sorting run by the thread that
 * asks for them, not on two new threads for each font description.
 *
 * pango 1.50 starts two threads ("[pango] FcFontSetMatch" and
 * "[pango] FcFontSetSort", g_thread_new) for every new pattern it looks a
 * font up with (a family, size, weight, style and language): 131 of each
 * for the 1,000-post benchmark book. The thread that asked waits for the
 * match at once, and each new thread costs its creation, a cold malloc heap
 * of fresh pages and a wake-up on a busy core. bookify's executable defines
 * g_thread_new and runs those two functions in place, before returning the
 * caller's own GThread (pango only unrefs it); every other thread is made
 * by GLib as before. The fonts chosen do not change (same calls, same
 * inputs): e2e.fcthread (tests/e2e/interposed.sh) compares PDFs made with
 * BOOKIFY_PANGO_THREADS=1, which leaves pango's threads alone.
 */
#ifndef BK_FCTHREAD_H
#define BK_FCTHREAD_H

#include <stddef.h>

/* How many of pango's font lookups ran in place so far. */
size_t bk_fcthread_count(void);

#endif
