/*
 * diag.h -- diagnostics recorded by every stage.
 *
 * Stages never print or exit: they append a bk_diag to a bk_diags list and
 * return. main.c prints the list once, sorted into source order, then a count.
 * Format: "path:line:col: error|warning|note: message"; line and column are
 * optional (0 = unknown). A diagnostic may carry the source line, printed
 * below it with a caret under the column.
 */
#ifndef BK_DIAG_H
#define BK_DIAG_H

#include <stdio.h>

#include "bookify/util.h"

typedef enum bk_severity {
    BK_NOTE,    /* shown only with -v */
    BK_WARNING, /* hidden by -q; an error under --strict */
    BK_ERROR,
} bk_severity;

/* A place in the input. file is the path as printed (SITE as the user typed
 * it plus the path inside it), or NULL for run-wide diagnostics. */
typedef struct bk_loc {
    const char *file;
    int line; /* 1-based, 0 = none */
    int col;  /* 1-based, 0 = none */
} bk_loc;

typedef struct bk_diag {
    bk_severity severity;
    char *file;    /* owned copy, NULL for run-wide */
    int line, col;
    char *message; /* owned */
    char *excerpt; /* owned source line, or NULL */
    size_t seq;    /* recording order, keeps the sort stable */
} bk_diag;

typedef struct bk_diags {
    bk_diag *items;
    size_t len, cap;
    size_t nerrors, nwarnings;
    bool strict; /* warnings are recorded as errors */
} bk_diags;

#define BK_DIAGS_INIT { NULL, 0, 0, 0, 0, false }

/* Record an error; always returns -1 so callers can `return bk_error(...)`. */
int bk_error(bk_diags *d, bk_loc loc, const char *fmt, ...) BK_PRINTF(3, 4);
/* Record a warning (an error under strict); returns 0, or -1 under strict. */
int bk_warn(bk_diags *d, bk_loc loc, const char *fmt, ...) BK_PRINTF(3, 4);
/* Record a note, shown only in verbose mode. */
void bk_note(bk_diags *d, bk_loc loc, const char *fmt, ...) BK_PRINTF(3, 4);
void bk_diags_vadd(bk_diags *d, bk_severity sev, bk_loc loc, const char *fmt, va_list ap)
    BK_PRINTF(4, 0);
/* Attach the source line (len bytes at text) to the last diagnostic. */
void bk_diags_set_excerpt(bk_diags *d, const char *text, size_t len);
/* Move every diagnostic of src to the end of dst; src is left empty. */
void bk_diags_merge(bk_diags *dst, bk_diags *src);

/* Sort into source order: by file (run-wide last), line, column, then
 * recording order. */
void bk_diags_sort(bk_diags *d);

enum bk_diags_print_flags {
    BK_DIAGS_QUIET = 1 << 0,   /* hide warnings */
    BK_DIAGS_VERBOSE = 1 << 1, /* show notes */
};
/* Print every diagnostic to f in the list's order, then a count line when
 * there was any error or shown warning. */
void bk_diags_print(const bk_diags *d, FILE *f, unsigned flags);
/* The same diagnostics as one JSON array (--diagnostics=json), one object
 * a line: {"file", "line", "column", "severity", "message"} (file null for
 * run-wide ones, line and column 0 when unknown), every one of them. */
void bk_diags_print_json(const bk_diags *d, FILE *f, unsigned flags);
void bk_diags_release(bk_diags *d);

#endif
