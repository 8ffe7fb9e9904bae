/* lazyjit.c -- PCRE2's JIT compilation deferred to the first match (see
 * lazyjit.h). */
#define _GNU_SOURCE /* RTLD_NEXT */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "bookify/lazyjit.h"

#include <dlfcn.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bookify/util.h"

#include "bookify/banned.h"

typedef int jit_compile_fn(pcre2_code *, uint32_t);
typedef int match_fn(const pcre2_code *, PCRE2_SPTR, PCRE2_SIZE, PCRE2_SIZE, uint32_t,
                     pcre2_match_data *, pcre2_match_context *);
typedef void code_free_fn(pcre2_code *);

static jit_compile_fn *real_jit_compile;
static match_fn *real_jit_match, *real_match;
static code_free_fn *real_code_free;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

/* The expressions whose compilation waits, by address: a chained table
 * under one lock (GtkSourceView matches on one thread at a time). */
enum { BUCKETS = 4096 };
typedef struct pending {
    const pcre2_code *code;
    uint32_t options; /* every mode asked for */
    struct pending *next;
} pending;
static pending *table[BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_size_t npending; /* 0: nothing to look up */
static atomic_size_t requested, compiled;
static int eager_state, fail_state;

static void after_fork_child(void)
{
    pthread_mutex_init(&lock, NULL); /* another thread may have held it */
}

static void find_real(void)
{
    *(void **)&real_jit_compile = dlsym(RTLD_NEXT, "pcre2_jit_compile_8");
    *(void **)&real_jit_match = dlsym(RTLD_NEXT, "pcre2_jit_match_8");
    *(void **)&real_match = dlsym(RTLD_NEXT, "pcre2_match_8");
    *(void **)&real_code_free = dlsym(RTLD_NEXT, "pcre2_code_free_8");
    pthread_atfork(NULL, NULL, after_fork_child);
}

static void ensure_real(void)
{
    pthread_once(&real_once, find_real);
    /* only GLib calls these, and GLib links PCRE2 */
    if (!real_jit_compile || !real_jit_match || !real_match || !real_code_free) {
        fputs("bookify: PCRE2's functions not found\n", stderr);
        abort();
    }
}

static pending **slot(const pcre2_code *code)
{
    size_t h = (size_t)(((uintptr_t)code >> 4) * 0x9e3779b97f4a7c15ULL >> 52) & (BUCKETS - 1);
    pending **pp = &table[h];
    while (*pp && (*pp)->code != code)
        pp = &(*pp)->next;
    return pp;
}

void bk_lazyjit_counts(size_t *req, size_t *done)
{
    *req = atomic_load_explicit(&requested, memory_order_relaxed);
    *done = atomic_load_explicit(&compiled, memory_order_relaxed);
}

int pcre2_jit_compile_8(pcre2_code *code, uint32_t options)
{
    ensure_real();
    if (!code || bk_env_on("BOOKIFY_EAGER_JIT", &eager_state))
        return real_jit_compile(code, options);
    /* noted, with every mode asked for (GLib asks again when a match
     * needs another, a compiled expression too: compiled again before
     * its next match, as PCRE2 adds modes) */
    pthread_mutex_lock(&lock);
    pending **pp = slot(code);
    if (*pp) {
        (*pp)->options |= options;
    } else {
        pending *e = bk_xmalloc(sizeof *e);
        *e = (pending){ code, options, NULL };
        *pp = e;
        atomic_fetch_add_explicit(&npending, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&requested, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&lock);
    return 0; /* GLib then matches with pcre2_jit_match */
}

/* The expression's compilation, if it waits: false when PCRE2 could not
 * JIT-compile it (matched by the interpreter, as GLib would have). */
static bool compile_pending(const pcre2_code *code)
{
    if (!atomic_load_explicit(&npending, memory_order_relaxed))
        return true;
    pthread_mutex_lock(&lock);
    pending **pp = slot(code);
    pending *e = *pp;
    bool ok = true;
    if (e) {
        *pp = e->next;
        atomic_fetch_sub_explicit(&npending, 1, memory_order_relaxed);
        /* BOOKIFY_TEST_JIT_FAILS: as if PCRE2 had no JIT (e2e.lazyjit) */
        ok = !bk_env_on("BOOKIFY_TEST_JIT_FAILS", &fail_state) &&
             real_jit_compile((pcre2_code *)code, e->options) == 0;
        atomic_fetch_add_explicit(&compiled, 1, memory_order_relaxed);
        free(e);
    }
    pthread_mutex_unlock(&lock);
    return ok;
}

int pcre2_jit_match_8(const pcre2_code *code, PCRE2_SPTR subject, PCRE2_SIZE length,
                      PCRE2_SIZE start, uint32_t options, pcre2_match_data *data,
                      pcre2_match_context *context)
{
    ensure_real();
    if (!compile_pending(code))
        return real_match(code, subject, length, start, options, data, context);
    return real_jit_match(code, subject, length, start, options, data, context);
}

void pcre2_code_free_8(pcre2_code *code)
{
    ensure_real();
    if (code && atomic_load_explicit(&npending, memory_order_relaxed)) {
        pthread_mutex_lock(&lock);
        pending **pp = slot(code);
        pending *e = *pp;
        if (e) {
            *pp = e->next;
            atomic_fetch_sub_explicit(&npending, 1, memory_order_relaxed);
            free(e);
        }
        pthread_mutex_unlock(&lock);
    }
    real_code_free(code);
}
