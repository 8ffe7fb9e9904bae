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

/* Every expression whose JIT compilation was asked for, by address, and
 * where it stands: a chained table under one lock, looked at when GLib
 * asks for a compilation and at an expression's first match on a thread.
 * Each thread remembers the expressions it has seen compiled (or failing)
 * in a small cache of its own, so that a match takes no lock: valid while
 * no expression of the table was freed since (gen), as a freed one's
 * address may come back as a new, pending one. */
enum { BUCKETS = 4096, SEEN = 256 };
typedef enum { PENDING, COMPILED, FAILED } jit_state;
typedef struct entry {
    const pcre2_code *code;
    uint32_t options; /* every mode asked for */
    jit_state state;
    struct entry *next;
} entry;
static entry *table[BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_size_t gen; /* expressions of the table freed so far */
static atomic_size_t requested, compiled;
static int eager_state, fail_state;
static _Thread_local struct {
    const pcre2_code *code;
    size_t gen;
    bool ok; /* compiled; else matched by the interpreter */
} seen[SEEN];

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

static size_t hash(const pcre2_code *code)
{
    return (size_t)(((uintptr_t)code >> 4) * 0x9e3779b97f4a7c15ULL >> 40);
}

static entry **slot(const pcre2_code *code)
{
    entry **pp = &table[hash(code) & (BUCKETS - 1)];
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
    int rc = 0;
    pthread_mutex_lock(&lock);
    entry **pp = slot(code);
    entry *e = *pp;
    if (!e) {
        /* noted; GLib then matches with pcre2_jit_match */
        e = bk_xmalloc(sizeof *e);
        *e = (entry){ code, options, PENDING, NULL };
        *pp = e;
        atomic_fetch_add_explicit(&requested, 1, memory_order_relaxed);
    } else if (e->state == PENDING) {
        e->options |= options; /* another mode, before the first match */
    } else {
        /* another mode for a compiled expression: at once, as a thread
         * that saw it compiled matches it without looking here again */
        e->options |= options;
        rc = e->state == COMPILED ? real_jit_compile(code, e->options) : 0;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

/* Whether the expression is JIT-compiled, compiling it if it waits;
 * false when PCRE2 could not (matched by the interpreter, as GLib does
 * when its own compilation fails). */
static bool jit_ready(const pcre2_code *code)
{
    size_t k = hash(code) & (SEEN - 1);
    size_t now = atomic_load_explicit(&gen, memory_order_acquire);
    if (seen[k].code == code && seen[k].gen == now)
        return seen[k].ok;
    pthread_mutex_lock(&lock);
    entry *e = *slot(code);
    bool ok = true; /* not in the table: compiled by GLib's own request */
    if (e && e->state == PENDING) {
        /* BOOKIFY_TEST_JIT_FAILS: as if PCRE2 had no JIT (e2e.lazyjit) */
        ok = !bk_env_on("BOOKIFY_TEST_JIT_FAILS", &fail_state) &&
             real_jit_compile((pcre2_code *)code, e->options) == 0;
        e->state = ok ? COMPILED : FAILED;
        if (ok)
            atomic_fetch_add_explicit(&compiled, 1, memory_order_relaxed);
    } else if (e) {
        ok = e->state == COMPILED;
    }
    now = atomic_load_explicit(&gen, memory_order_acquire);
    pthread_mutex_unlock(&lock);
    seen[k].code = code;
    seen[k].gen = now;
    seen[k].ok = ok;
    return ok;
}

int pcre2_jit_match_8(const pcre2_code *code, PCRE2_SPTR subject, PCRE2_SIZE length,
                      PCRE2_SIZE start, uint32_t options, pcre2_match_data *data,
                      pcre2_match_context *context)
{
    ensure_real();
    if (!jit_ready(code))
        return real_match(code, subject, length, start, options, data, context);
    return real_jit_match(code, subject, length, start, options, data, context);
}

void pcre2_code_free_8(pcre2_code *code)
{
    ensure_real();
    if (code) {
        pthread_mutex_lock(&lock);
        entry **pp = slot(code);
        entry *e = *pp;
        if (e) {
            *pp = e->next;
            free(e);
            /* every thread's cache forgets, the address may come back */
            atomic_fetch_add_explicit(&gen, 1, memory_order_release);
        }
        pthread_mutex_unlock(&lock);
    }
    real_code_free(code);
}
