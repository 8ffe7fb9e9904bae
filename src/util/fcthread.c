/* fcthread.c -- pango's font lookups without a thread each (see fcthread.h). */
#define _GNU_SOURCE /* RTLD_NEXT */
#include "bookify/fcthread.h"

#include <dlfcn.h>
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bookify/util.h"

#include "bookify/banned.h"

typedef GThread *thread_new_fn(const gchar *, GThreadFunc, gpointer);

static atomic_size_t in_place;
static int threads_state;
static thread_new_fn *real_thread_new;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void find_real(void)
{
    *(void **)&real_thread_new = dlsym(RTLD_NEXT, "g_thread_new");
}

size_t bk_fcthread_count(void)
{
    return atomic_load_explicit(&in_place, memory_order_relaxed);
}

static bool pango_lookup(const gchar *name)
{
    static const char prefix[] = "[pango] FcFontSet";
    if (!name || strncmp(name, prefix, sizeof prefix - 1) != 0)
        return false;
    name += sizeof prefix - 1;
    return strcmp(name, "Match") == 0 || strcmp(name, "Sort") == 0;
}

GThread *g_thread_new(const gchar *name, GThreadFunc func, gpointer data)
{
    if (func && pango_lookup(name) && !bk_env_on("BOOKIFY_PANGO_THREADS", &threads_state)) {
        /* match_in_thread / sort_in_thread: they store their result under
         * the pattern set's lock, signal it and free their data; nothing
         * they take is held by the caller (pango_fc_patterns_new) */
        func(data);
        atomic_fetch_add_explicit(&in_place, 1, memory_order_relaxed);
        return g_thread_ref(g_thread_self());
    }
    pthread_once(&real_once, find_real);
    if (!real_thread_new) { /* the executable links GLib: cannot happen */
        fputs("bookify: GLib's g_thread_new not found\n", stderr);
        abort();
    }
    return real_thread_new(name, func, data);
}
