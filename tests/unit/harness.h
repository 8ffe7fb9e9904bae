/*
 * harness.h -- a tiny unit-test harness (after cmark's api_test/harness.h).
 *
 * CHECK(cond) and CHECK_STR(got, want) report failures as file:line and go
 * on; TEST_MAIN runs the listed tests and exits non-zero on any failure.
 */
#ifndef BK_HARNESS_H
#define BK_HARNESS_H

#include <stdio.h>
#include <string.h>

#include "bookify/par.h"

static int bk_test_failures, bk_test_checks;

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        bk_test_checks++;                                                                      \
        if (!(cond)) {                                                                         \
            bk_test_failures++;                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);           \
        }                                                                                      \
    } while (0)

#define CHECK_STR(got, want)                                                                   \
    do {                                                                                       \
        const char *g_ = (got), *w_ = (want);                                                  \
        bk_test_checks++;                                                                      \
        if (!g_ || !w_ ? g_ != w_ : strcmp(g_, w_) != 0) {                                     \
            bk_test_failures++;                                                                \
            fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__,     \
                    #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");                             \
        }                                                                                      \
    } while (0)

#define CHECK_INT(got, want)                                                                   \
    do {                                                                                       \
        long long g_ = (long long)(got), w_ = (long long)(want);                               \
        bk_test_checks++;                                                                      \
        if (g_ != w_) {                                                                        \
            bk_test_failures++;                                                                \
            fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, #got,   \
                    g_, w_);                                                                   \
        }                                                                                      \
    } while (0)

#define RUN(test)                                                                              \
    do {                                                                                       \
        int before_ = bk_test_failures;                                                        \
        test();                                                                                \
        if (bk_test_failures != before_)                                                       \
            fprintf(stderr, "FAIL %s\n", #test);                                               \
    } while (0)

/* The pool's workers end first: one ending on its own as the process
 * ends has its per-thread state half-freed when LeakSanitizer looks. */
#define TEST_DONE()                                                                            \
    (bk_par_release(),                                                                         \
     printf("%d checks, %d failed\n", bk_test_checks, bk_test_failures),                       \
     bk_test_failures ? 1 : 0)

/* Substring checks that print the text searched. */
#define HAS(text, needle)                                                                      \
    do {                                                                                       \
        bk_test_checks++;                                                                      \
        if (!(text) || !strstr((text), (needle))) {                                            \
            bk_test_failures++;                                                                \
            fprintf(stderr, "%s:%d: missing %s\n---\n%s\n---\n", __FILE__, __LINE__, (needle),  \
                    (text) ? (text) : "(null)");                                               \
        }                                                                                      \
    } while (0)
#define HASNT(text, needle)                                                                    \
    do {                                                                                       \
        bk_test_checks++;                                                                      \
        if ((text) && strstr((text), (needle))) {                                              \
            bk_test_failures++;                                                                \
            fprintf(stderr, "%s:%d: unexpected %s\n", __FILE__, __LINE__, (needle));           \
        }                                                                                      \
    } while (0)

/* Write len bytes to root/rel, making the folders on the way; exits the
 * test on failure. */
#include <stdlib.h>
#include <sys/stat.h>
static inline void bk_test_write(const char *root, const char *rel, const void *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len) {
        perror(path);
        exit(2);
    }
    fclose(f);
}

#endif
