/* dl.h -- libraries loaded when first needed (dlopen), not at start-up.
 *
 * GtkSourceView, with GTK under it, brings some 30 libraries that the
 * dynamic loader would relocate on every run: 12 of a run's 25 ms
 * start-up, whether the book has code or not. highlight.c keeps its
 * calls' usual names, #defined to pointers whose types are the headers'
 * own (__typeof__), and fills the pointers here on first use. */
#ifndef BOOKIFY_DL_H
#define BOOKIFY_DL_H

#include <stdbool.h>
#include <stddef.h>

/* Load soname (its dependencies with it) and store each of the n
 * functions names[i] into the function pointer at slots[i]. False, with
 * nothing to undo, when the library or one of the functions is missing.
 * The library stays loaded: its GObject types stay registered. */
bool bk_dl_load(const char *soname, const char *const *names, void *const *slots, size_t n);

#endif
