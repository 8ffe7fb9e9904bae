/*
 * outfile.h -- output files replaced whole, never half-written.
 *
 * A writer fills a temporary file `.<name>.XXXXXX` next to the target; on
 * success it is flushed, synced and renamed over the target, on failure
 * removed. Temporary paths are registered so that bk_outfile_cleanup (run
 * at exit and from the SIGINT/SIGTERM handler) removes any left behind.
 * This registry is bookify's only global state.
 */
#ifndef BK_OUTFILE_H
#define BK_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

#include "bookify/diag.h"

typedef struct bk_outfile {
    char *target;  /* owned: the file replaced (a symbolic link's target) */
    char *display; /* owned: the name as given, for messages */
    char *temp;    /* owned; NULL once committed or aborted */
    int fd;
    int slot;      /* index in the registry */
    int mode;      /* the replaced file's permissions, or -1 for a new file */
    bool write_back;     /* bk_outfile_write_back */
    long long written, started; /* bytes written, and handed to the disk so far */
} bk_outfile;

/* Install the exit and signal handlers. Once, from main. */
void bk_outfile_install_handlers(void);

/* Create the temporary file for target. Returns 0, or -1 after recording an
 * error naming target (folder missing or not writable). */
int bk_outfile_open(bk_outfile *f, const char *target, bk_diags *d);
/* Write len bytes; returns 0 or -1 after recording an error. */
int bk_outfile_write(bk_outfile *f, const void *data, size_t len, bk_diags *d);

/* A file written in many pieces over a run (the PDF): each MiB is handed
 * to the disk as it is written (sync_file_range, without waiting), so
 * that the sync before the rename has less left to wait for. Linux;
 * elsewhere nothing changes. */
void bk_outfile_write_back(bk_outfile *f);
/* Empty the temporary file, to write it again from its start. Returns 0,
 * or -1 after recording an error. */
int bk_outfile_rewind(bk_outfile *f, bk_diags *d);
/* Sync, close and rename over the target. Returns 0, or -1 after recording
 * an error (the target is then untouched and the temporary file gone). */
int bk_outfile_commit(bk_outfile *f, bk_diags *d);
/* Remove the temporary file, leaving the target untouched. Safe to call
 * after commit and on a zeroed struct. */
void bk_outfile_abort(bk_outfile *f);
/* Remove every registered temporary file (async-signal-safe). */
void bk_outfile_cleanup(void);

/* Write a whole file atomically. Returns 0 or -1 after recording an error. */
int bk_outfile_write_all(const char *target, const void *data, size_t len, bk_diags *d);

#endif
