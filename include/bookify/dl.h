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

/* For a list LIST(X) of functions, X(f) for each: BK_DL_POINTERS(LIST)
 * declares the pointers p_f, typed as f; BK_DL_LOADER(name, soname, LIST)
 * defines `static bool name(void)`, which loads soname and fills them the
 * first time and says whether it could. */
#define BK_DL_POINTER_(f) static __typeof__(f) *p_##f;
#define BK_DL_NAME_(f) #f,
#define BK_DL_SLOT_(f) &p_##f,
#define BK_DL_POINTERS(LIST) LIST(BK_DL_POINTER_)
#define BK_DL_LOADER(name, soname, LIST)                                                        \
    static bool name(void)                                                                     \
    {                                                                                          \
        static int loaded = -1;                                                                \
        static const char *const names[] = { LIST(BK_DL_NAME_) };                              \
        void *const slots[] = { LIST(BK_DL_SLOT_) };                                           \
        if (loaded < 0)                                                                        \
            loaded = bk_dl_load(soname, names, slots, sizeof names / sizeof *names);           \
        return loaded;                                                                         \
    }

#endif
