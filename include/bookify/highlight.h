/*
 * highlight.h -- syntax highlighting of code, through GtkSourceView 4.
 *
 * Consumes the text of a code block and the language a post names for it
 * (a fence's info string, {% highlight ruby %}, class="language-go"...).
 * Produces the byte ranges of the code that are keywords, strings,
 * comments, numbers and so on: one small set of classes for every
 * language, which the EPUB styles with CSS and the PDF with the theme.
 *
 * GtkSourceView's language definitions (172 languages in Debian 12) do the
 * work; its highlight tags are anonymous, so bookify gives each of its
 * styles a distinct colour in a style scheme of its own and reads the class
 * back from a tag's colour (docs/highlighting.md).
 *
 * Process-wide state: the library is set up on first use and its objects
 * are shared, so every call takes one lock. Safe from any thread; a
 * thread of its own can do the work (bk_highlight_submit).
 */
#ifndef BK_HIGHLIGHT_H
#define BK_HIGHLIGHT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum bk_hl_class {
    BK_HL_NONE = 0,
    BK_HL_KEYWORD,
    BK_HL_TYPE,
    BK_HL_STRING,
    BK_HL_ESCAPE, /* an escape or special character inside a string */
    BK_HL_COMMENT,
    BK_HL_NUMBER,
    BK_HL_FUNCTION,
    BK_HL_BUILTIN,
    BK_HL_CONSTANT, /* true, None, nil, named constants */
    BK_HL_PREPROCESSOR,
    BK_HL_VARIABLE,
    BK_HL_TAG,       /* markup element names */
    BK_HL_ATTRIBUTE, /* markup attribute names */
    BK_HL_INSERTED,  /* diff: added lines */
    BK_HL_DELETED,   /* diff: removed lines */
    BK_HL_HEADING,   /* markup headings, diff file names */
    BK_HL_COUNT
} bk_hl_class;

/* The class's name as used in the EPUB's class attributes and the theme's
 * keys ("keyword", "string" ...); "" for BK_HL_NONE. */
const char *bk_hl_class_name(bk_hl_class c);

/* The class named name, or BK_HL_NONE. */
bk_hl_class bk_hl_class_from_name(const char *name);

/* A class for a span of pre-highlighted HTML pasted into a post (the short
 * classes Pygments, Rouge and Chroma write: "k", "s2", "nf", "c1" ...), or
 * BK_HL_NONE. */
bk_hl_class bk_hl_class_from_pygments(const char *cls);

typedef struct bk_hl_span {
    size_t start, end; /* byte offsets into the code, end exclusive */
    bk_hl_class cls;
} bk_hl_span;

/* The highlighter's language for a name as posts write it: its own ids
 * ("python", "cpp"), common aliases ("js", "sh", "yml", "c++", "golang"),
 * and file extensions ("rb", "rs", "kt"); any case. Returns a string that
 * lives as long as the process, or NULL for an unknown language. */
const char *bk_highlight_language(const char *name);

/* Highlight code[0..len) (UTF-8) as language lang (from
 * bk_highlight_language). Returns the number of spans and sets *spans to
 * them, in order, not overlapping, adjacent spans of one class merged
 * (caller frees with free); returns 0 with *spans NULL when there is
 * nothing to mark, or the code is not valid UTF-8, longer than
 * BK_HIGHLIGHT_MAX bytes, has a line longer than BK_HIGHLIGHT_MAX_LINE
 * (minified code), or the squares of the lengths of its lines over 160
 * bytes add up to more than BK_HIGHLIGHT_MAX_SQUARES (GtkTextBuffer's
 * time grows with the square of a line's length). Deterministic. */
#define BK_HIGHLIGHT_MAX (512u * 1024u)
#define BK_HIGHLIGHT_MAX_LINE 2000u
#define BK_HIGHLIGHT_MAX_SQUARES 32e6
size_t bk_highlight(const char *lang, const char *code, size_t len, bk_hl_span **spans);

/* Highlighting on a thread of its own, beside the threads converting
 * posts (convert.c): a converter hands a block over and goes on with its
 * posts, and takes the spans back later. Without the thread running
 * (bk_highlight_thread_start not called, or one job at a time: -j 1) a
 * block is highlighted on the spot, as by bk_highlight.
 *
 * bk_highlight_submit takes code (allocated with malloc) and the names
 * the post gives its language, in order of preference (copied): the first
 * that bk_highlight_language knows is the block's language, looked up
 * where the block is highlighted, so a converting thread never waits for
 * the library's set-up. bk_highlight_take waits for the job, gives the
 * code back (*code, to free), sets *spans as bk_highlight does, returning
 * their number, and *chosen (when not NULL) to the index of the name used,
 * -1 when none was known (no spans then); the job is then gone. Every job
 * submitted is taken before bk_highlight_thread_stop. */
typedef struct bk_hl_job bk_hl_job;
void bk_highlight_thread_start(void); /* no-op when it runs already */
bool bk_highlight_thread_running(void);
/* A converting (or reading) thread holds a core while it converts (reads)
 * a post: with the highlighting thread busy, one core fewer is shared by
 * the others. take says whether it holds one (not while the thread does not
 * run); give, told so after the post (the thread may have started in
 * between), keeps it for the thread's next post unless the highlighting
 * thread waits for a core; done gives it back, when the thread has no
 * more posts to do (its loop's end: bk_par_for_done). */
bool bk_highlight_core_take(void);
void bk_highlight_core_give(bool taken);
void bk_highlight_core_done(void);
/* Start the thread and have it set GtkSourceView up first (GTK, the
 * scheme, the list of languages) while the first posts convert. With
 * helper, a process of its own is forked first and highlights blocks too
 * (for books with much code: it costs a process and its set-up). Called
 * again (the thread running), it only starts the helper if asked and not
 * tried yet. */
void bk_highlight_warm(bool helper);
/* The helper process is bookify run again as
 * "bookify BK_HIGHLIGHT_HELPER_ARG FD PARENT-PID": main hands those to
 * bk_highlight_helper_run, which serves blocks on socket FD until bookify
 * closes it and returns the exit status (2 for arguments that are not its
 * parent's). */
#define BK_HIGHLIGHT_HELPER_ARG "--bk-highlight-helper"
int bk_highlight_helper_run(const char *fd_arg, const char *parent_arg);
/* Blocks the helper process highlighted (BOOKIFY_TIMES). */
size_t bk_highlight_helper_blocks(void);
/* Whether GtkSourceView has been set up in this process (BOOKIFY_TIMES). */
bool bk_highlight_ready(void);
bk_hl_job *bk_highlight_submit(const char *const *names, size_t nnames, char *code, size_t len);
size_t bk_highlight_take(bk_hl_job *job, char **code, bk_hl_span **spans, int *chosen);
void bk_highlight_thread_stop(void);

/* Free what the highlighter holds (at exit, so leak checkers see a clean
 * process). Highlighting after this sets it up again. */
void bk_highlight_release(void);

#endif
