/*
 * lazyjit.h -- PCRE2's JIT compilation of a regular expression done when
 * it is first matched, not when it is made.
 *
 * GtkSourceView compiles every regular expression of a language when a
 * buffer first uses it, through GLib's GRegex with G_REGEX_OPTIMIZE,
 * which has PCRE2 JIT-compile each one at once: 376 for the 1,000-post
 * benchmark book's languages, of which 152 are ever matched; 4,143 for
 * samples/code-tour's twenty, 1,301 matched. The JIT is the dearer half
 * of an expression's making. bookify's
 * executable defines pcre2_jit_compile_8, which notes the request and
 * answers success, and pcre2_jit_match_8, which compiles a pending
 * expression before its first match (and, should that fail, matches with
 * PCRE2's interpreter, as GLib does when its own compilation fails);
 * pcre2_code_free_8 forgets it. The same compilation, only later: e2e.lazyjit
 * (tests/e2e/interposed.sh) compares books made with BOOKIFY_EAGER_JIT=1,
 * which compiles at once as before, and checks a failing compilation
 * (BOOKIFY_TEST_JIT_FAILS=1) still gives the book with all its text.
 */
#ifndef BK_LAZYJIT_H
#define BK_LAZYJIT_H

#include <stddef.h>

/* Expressions whose JIT compilation was asked for, and of those how many
 * were compiled so far (the rest were never matched, or PCRE2 could not
 * compile them). */
void bk_lazyjit_counts(size_t *requested, size_t *compiled);

#endif
