/* par.c -- the worker pool (see par.h). */
#include "bookify/par.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "bookify/banned.h"

static int jobs_wanted = 0;

void bk_par_set_jobs(int n)
{
    jobs_wanted = n < 0 ? 0 : n;
}

int bk_par_jobs(void)
{
    if (jobs_wanted > 0)
        return jobs_wanted > 64 ? 64 : jobs_wanted;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

typedef struct par_run {
    size_t n;
    atomic_size_t next;
    void (*fn)(void *ctx, size_t i, int worker);
    void (*done)(void *ctx, int worker); /* or NULL */
    void *ctx;
    int jobs; /* workers 0..jobs-1 take part */
} par_run;

typedef struct par_worker {
    par_run *run;
    int id;
} par_worker;

static void *work(void *arg)
{
    par_worker *w = arg;
    par_run *r = w->run;
    for (;;) {
        size_t i = atomic_fetch_add(&r->next, 1);
        if (i >= r->n)
            break;
        r->fn(r->ctx, i, w->id);
    }
    if (r->done)
        r->done(r->ctx, w->id);
    return NULL;
}

/* The workers stay: a thread made for every loop cost its creation and,
 * with mimalloc, a heap that starts cold (and its memory fresh pages,
 * which this machine's kernel zeroes at some cost). They wait for the
 * next loop between loops, but not for long (POOL_IDLE_MS): what a worker
 * allocated (a post's tree) and another thread frees later goes back to
 * the worker's heap, which only the worker tidies, and an idle worker
 * never does; a thread that ends hands its heap over to the others. Kept
 * for the PDF's seconds of layout, they held a 10,000-post book's trees
 * (560 against 469 MiB). One loop at a time uses the pool: a loop started
 * meanwhile (from another thread, or inside a loop) makes threads of its
 * own, as before. */
#define POOL_IDLE_MS 50
static struct {
    pthread_mutex_t busy; /* held by the thread whose loop the pool runs */
    pthread_mutex_t lock;
    pthread_cond_t go, done;
    int nthreads;         /* workers 1..nthreads started */
    unsigned long gen;    /* loops handed out */
    par_run *run;
    int active;           /* workers still on this loop */
    bool closing;         /* bk_par_release: every worker leaves */
    unsigned long born[64]; /* gen when each worker was made */
    pthread_t th[64];       /* worker k's thread, joined when made[k] */
    bool made[64];
} pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
           PTHREAD_COND_INITIALIZER, 0, 0, NULL, 0, false, { 0 }, { 0 }, { false } };

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* pool.go on the monotonic clock (its waits time out) */
static void init_go(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&pool.go, &a);
    pthread_condattr_destroy(&a);
}

/* A forked child (the PDF's line-breaking helper) has none of the
 * workers: it starts with an empty pool, its locks free. */
static void pool_child(void)
{
    pthread_mutex_init(&pool.busy, NULL);
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.done, NULL);
    init_go();
    pool.nthreads = 0;
    pool.run = NULL;
    pool.active = 0;
    for (int k = 0; k < 64; k++)
        pool.made[k] = false; /* the parent's threads, not this process's */
}

static void pool_init(void)
{
    pthread_atfork(NULL, NULL, pool_child);
    init_go();
}

static void *pool_worker(void *arg)
{
    par_worker w = { NULL, (int)(intptr_t)arg };
    pthread_mutex_lock(&pool.lock);
    unsigned long seen = pool.born[w.id]; /* the loop it was made for comes after */
    for (;;) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += POOL_IDLE_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (pool.gen == seen && !pool.closing) {
            int rc = pthread_cond_timedwait(&pool.go, &pool.lock, &until);
            /* idle too long: the last worker leaves (the others after it:
             * workers are numbered 1..nthreads) */
            if (rc == ETIMEDOUT && pool.gen == seen && w.id == pool.nthreads) {
                pool.nthreads--;
                pthread_mutex_unlock(&pool.lock);
                return NULL;
            }
            if (rc == ETIMEDOUT)
                break; /* not the last: wait again, from now */
        }
        if (pool.closing) {
            pool.nthreads--;
            pthread_mutex_unlock(&pool.lock);
            return NULL;
        }
        if (pool.gen == seen)
            continue;
        seen = pool.gen;
        w.run = pool.run;
        pthread_mutex_unlock(&pool.lock);
        if (w.id < w.run->jobs)
            work(&w);
        pthread_mutex_lock(&pool.lock);
        if (--pool.active == 0)
            pthread_cond_signal(&pool.done);
    }
    return NULL;
}

/* Run r on the pool with jobs threads (this one among them); false when
 * the pool is in use or cannot have that many workers. */
static bool pool_run(par_run *r, int jobs)
{
    if (pthread_mutex_trylock(&pool.busy) != 0)
        return false;
    pthread_once(&pool_once, pool_init);
    pthread_mutex_lock(&pool.lock);
    while (pool.nthreads < jobs - 1) {
        int k = pool.nthreads + 1;
        /* a worker k that left when idle has unlocked and is ending: it
         * is joined (not detached) so that bk_par_release can wait for
         * every thread, and its per-thread state is freed by then */
        if (pool.made[k])
            pthread_join(pool.th[k], NULL);
        pool.made[k] = false;
        pool.born[k] = pool.gen;
        if (pthread_create(&pool.th[k], NULL, pool_worker, (void *)(intptr_t)k) != 0)
            break;
        pool.made[k] = true;
        pool.nthreads++;
    }
    if (pool.nthreads < jobs - 1) {
        pthread_mutex_unlock(&pool.lock);
        pthread_mutex_unlock(&pool.busy);
        return false;
    }
    pool.run = r;
    pool.active = pool.nthreads;
    pool.gen++;
    pthread_cond_broadcast(&pool.go);
    pthread_mutex_unlock(&pool.lock);
    par_worker w0 = { r, 0 };
    work(&w0); /* this thread is worker 0 */
    pthread_mutex_lock(&pool.lock);
    while (pool.active > 0)
        pthread_cond_wait(&pool.done, &pool.lock);
    pool.run = NULL;
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool.busy);
    return true;
}

void bk_par_release(void)
{
    pthread_mutex_lock(&pool.busy);
    pthread_mutex_lock(&pool.lock);
    pool.closing = true;
    pthread_cond_broadcast(&pool.go);
    pthread_mutex_unlock(&pool.lock);
    for (int k = 1; k < 64; k++) {
        if (pool.made[k])
            pthread_join(pool.th[k], NULL);
        pool.made[k] = false;
    }
    pthread_mutex_lock(&pool.lock);
    pool.closing = false;
    pool.nthreads = 0;
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool.busy);
}

void bk_par_for(size_t n, void (*fn)(void *ctx, size_t i, int worker), void *ctx)
{
    bk_par_for_done(n, fn, NULL, ctx);
}

void bk_par_for_done(size_t n, void (*fn)(void *ctx, size_t i, int worker),
                     void (*done)(void *ctx, int worker), void *ctx)
{
    int jobs = bk_par_jobs();
    if ((size_t)jobs > n)
        jobs = (int)n;
    if (jobs <= 1) {
        for (size_t i = 0; i < n; i++)
            fn(ctx, i, 0);
        if (done)
            done(ctx, 0);
        return;
    }
    par_run r = { n, 0, fn, done, ctx, jobs };
    atomic_init(&r.next, 0);
    if (pool_run(&r, jobs))
        return;
    pthread_t th[64];
    par_worker ws[64];
    int started = 0;
    for (int k = 1; k < jobs; k++) {
        ws[k] = (par_worker){ &r, k };
        if (pthread_create(&th[k], NULL, work, &ws[k]) == 0)
            started = k;
        else
            break;
    }
    ws[0] = (par_worker){ &r, 0 };
    work(&ws[0]); /* this thread is worker 0 */
    for (int k = 1; k <= started; k++)
        pthread_join(th[k], NULL);
}
