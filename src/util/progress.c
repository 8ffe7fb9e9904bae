/* progress.c -- the progress bar (see progress.h). */
#include "bookify/progress.h"
#include "bookify/mem.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bookify/banned.h"

static bool enabled;
static const char *label;
static size_t total;
static atomic_size_t done;
static double started, drawn, delay = 0.25;
static volatile sig_atomic_t shown; /* read by the signal handler */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bk_progress_enable(bool on)
{
    enabled = on;
    /* BOOKIFY_PROGRESS_DELAY: seconds before the bar shows (tests use 0) */
    const char *d = getenv("BOOKIFY_PROGRESS_DELAY");
    if (d && *d)
        delay = strtod(d, NULL);
}

void bk_progress_start(const char *what, size_t n)
{
    if (!enabled)
        return;
    label = what;
    total = n;
    atomic_store(&done, 0);
    started = now();
    drawn = 0;
    shown = false;
}

void bk_progress_step(size_t n)
{
    if (!enabled)
        return;
    size_t d = atomic_fetch_add(&done, n) + n;
    if (pthread_mutex_trylock(&lock) != 0)
        return; /* another thread is drawing */
    double t = now();
    if (t - started < delay || t - drawn < 0.1) {
        pthread_mutex_unlock(&lock);
        return;
    }
    drawn = t;
    int width = 30, fill = total ? (int)((double)d * width / (double)total) : 0;
    if (fill > width)
        fill = width;
    fprintf(stderr, "\r[%.*s%*s] %s %zu/%zu", fill, "##############################", width - fill, "",
            label, d, total);
    fflush(stderr);
    shown = true;
    pthread_mutex_unlock(&lock);
}

void bk_progress_end(void)
{
    if (!enabled)
        return;
    pthread_mutex_lock(&lock);
    if (shown)
        fputs("\r\033[K", stderr);
    shown = false;
    pthread_mutex_unlock(&lock);
}

void bk_progress_erase_on_signal(void)
{
    if (shown) {
        ssize_t n = write(2, "\r\033[K", 4); /* async-signal-safe */
        (void)n;
    }
}

void bk_stage_time(const char *who, const char *stage)
{
    static int on = -1;
    static double last, last_cpu;
    if (on < 0)
        on = getenv("BOOKIFY_TIMES") != NULL;
    if (!on)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double t = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    /* CPU time of every thread: cpu / wall is how many cores a stage kept busy */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    double cpu = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    long rss = 0, peak = 0; /* kB */
    FILE *f = fopen("/proc/self/status", "r");
    char line[128];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            rss = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "VmHWM:", 6) == 0)
            peak = strtol(line + 6, NULL, 10);
    }
    if (f)
        fclose(f);
    if (last == 0)
        fprintf(stderr, "%s:%*s%-20s         cpu %.3f s  malloc: %s\n", who,
                (int)(strlen(who) < 8 ? 8 - strlen(who) : 1), "", "started", cpu,
                bk_mem_allocator());
    if (last > 0 && stage)
        fprintf(stderr, "%s:%*s%-20s %7.3f s  cpu %.3f s  %6.0f MiB (peak %.0f MiB)\n", who,
                (int)(strlen(who) < 8 ? 8 - strlen(who) : 1), "", stage, t - last,
                cpu - last_cpu, (double)rss / 1024.0, (double)peak / 1024.0);
    last = t;
    last_cpu = cpu;
}
