/* par.h -- a minimal worker pool: run fn(ctx, i) for i in [0, n) on the
 * book's worker threads (-j). Work is handed out one index at a time, so
 * the order in which items finish varies; callers write each result to
 * its own slot and combine them in index order afterwards, which keeps
 * the output the same whatever the number of threads. */
#ifndef BOOKIFY_PAR_H
#define BOOKIFY_PAR_H

#include <stddef.h>

/* Threads to use: n >= 1, or 0 for the number of online processors. */
void bk_par_set_jobs(int n);
int bk_par_jobs(void);

/* Runs fn for every index; with one job, in order on this thread. The
 * worker of index i is worker(i) in [0, bk_par_jobs()) for per-thread state. */
void bk_par_for(size_t n, void (*fn)(void *ctx, size_t i, int worker), void *ctx);

/* The same, and each worker that took part calls done(ctx, worker) on its
 * own thread once there is nothing left for it, before bk_par_for_done
 * returns (what a worker keeps from one index to the next, given back). */
void bk_par_for_done(size_t n, void (*fn)(void *ctx, size_t i, int worker),
                     void (*done)(void *ctx, int worker), void *ctx);

/* Ends the pool's waiting workers and waits for their threads (and their
 * per-thread state, libxml2's among it) to be gone: before a process that
 * frees everything at exit ends. A later bk_par_for makes new workers. */
void bk_par_release(void);

#endif
