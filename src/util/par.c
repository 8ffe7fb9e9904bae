/* par.c -- the worker pool (see par.h). */
#include "bookify/par.h"

#include <pthread.h>
#include <stdatomic.h>
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
    void *ctx;
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
    return NULL;
}

void bk_par_for(size_t n, void (*fn)(void *ctx, size_t i, int worker), void *ctx)
{
    int jobs = bk_par_jobs();
    if ((size_t)jobs > n)
        jobs = (int)n;
    if (jobs <= 1) {
        for (size_t i = 0; i < n; i++)
            fn(ctx, i, 0);
        return;
    }
    par_run r = { n, 0, fn, ctx };
    atomic_init(&r.next, 0);
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
