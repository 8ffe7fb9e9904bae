/* progress.h -- a one-line progress bar on stderr for long builds.
 * Off unless enabled (main turns it on when stderr is a terminal and -q
 * is not given); drawn only once a stage has run a quarter of a second,
 * at most ten times a second, and erased when the stage ends. Steps may
 * come from any worker thread. */
#ifndef BOOKIFY_PROGRESS_H
#define BOOKIFY_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

void bk_progress_enable(bool on);
void bk_progress_start(const char *what, size_t total);
void bk_progress_step(size_t n);
void bk_progress_end(void);
/* From a signal handler: erase the bar if it is on screen (write(2) only). */
void bk_progress_erase_on_signal(void);

/* BOOKIFY_TIMES=1: print "WHO: STAGE  seconds since the last stage, RSS
 * (peak)" on stderr (bench/, docs/performance.md). The first call starts
 * the clock; a NULL stage restarts it silently. Main thread only. */
void bk_stage_time(const char *who, const char *stage);

#endif
