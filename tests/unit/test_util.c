/* Unit tests: buffers, slices, arena, UTF-8, slugs, the worker pool,
 * reading files. */
#define _GNU_SOURCE /* gettid */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bookify/fileio.h"
#include "bookify/par.h"
#include "bookify/util.h"
#include "harness.h"

static void test_buf(void)
{
    bk_buf b = BK_BUF_INIT;
    CHECK_STR(b.ptr, "");
    bk_buf_adds(&b, "abc");
    bk_buf_addc(&b, '-');
    bk_buf_addf(&b, "%d/%s", 42, "x");
    CHECK_STR(b.ptr, "abc-42/x");
    CHECK_INT(b.len, 8);
    for (int i = 0; i < 1000; i++)
        bk_buf_addf(&b, "%04d", i);
    CHECK_INT(b.len, 8 + 4000);
    CHECK(b.ptr[b.len] == '\0');
    CHECK(b.cap > b.len + 1); /* grown by doubling */
    bk_buf_shrink(&b);
    CHECK_INT(b.cap, b.len + 1);
    CHECK(strncmp(b.ptr, "abc-42/x0000", 12) == 0 && strcmp(b.ptr + b.len - 4, "0999") == 0);
    bk_buf_adds(&b, "!"); /* and grows again */
    CHECK_INT(b.len, 8 + 4000 + 1);
    CHECK_STR(b.ptr + b.len - 5, "0999!");
    bk_buf_reset(&b);
    CHECK_STR(b.ptr, "");
    bk_buf_adds(&b, "keep");
    char *s = bk_buf_detach(&b);
    CHECK_STR(s, "keep");
    CHECK_STR(b.ptr, "");
    free(s);
    bk_buf_release(&b);
    bk_buf_release(&b); /* releasing twice is safe */
}

static void test_str(void)
{
    bk_str t = bk_str_trim(bk_str_from("  \t hi there \n"));
    CHECK(bk_str_eq(t, "hi there"));
    CHECK(bk_str_caseeq(t, "HI THERE"));
    CHECK(!bk_str_eq(t, "hi"));
    CHECK(bk_str_starts(t, "hi "));
}

static void test_arena(void)
{
    bk_arena a = BK_ARENA_INIT;
    char *s = bk_arena_strdup(&a, "hello");
    char *big = bk_arena_alloc(&a, 1 << 20);
    big[(1 << 20) - 1] = 'x';
    char *t = bk_arena_printf(&a, "%s %d", s, 7);
    CHECK_STR(s, "hello");
    CHECK_STR(t, "hello 7");
    for (int i = 0; i < 10000; i++)
        bk_arena_strdup(&a, "some text that fills blocks");
    CHECK_STR(s, "hello");
    bk_arena_release(&a);
    bk_arena_release(&a);
}

static void test_utf8(void)
{
    const unsigned char ok[] = "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80";
    CHECK_INT(bk_utf8_valid_len(ok, 1), 1);
    CHECK_INT(bk_utf8_valid_len(ok + 1, 2), 2);
    CHECK_INT(bk_utf8_valid_len(ok + 3, 3), 3);
    CHECK_INT(bk_utf8_valid_len(ok + 6, 4), 4);
    CHECK_INT(bk_utf8_valid_len(ok + 6, 3), 0); /* truncated */
    CHECK_INT(bk_utf8_valid_len((const unsigned char *)"\xC0\xAF", 2), 0); /* overlong */
    CHECK_INT(bk_utf8_valid_len((const unsigned char *)"\xED\xA0\x80", 3), 0); /* surrogate */
    CHECK_INT(bk_utf8_valid_len((const unsigned char *)"\xF4\x90\x80\x80", 4), 0);
    CHECK_INT(bk_utf8_valid_len((const unsigned char *)"\xFF", 1), 0);
    CHECK_INT(bk_utf8_valid_len((const unsigned char *)"\x80", 1), 0);
}

static void slug_is(const char *in, const char *want)
{
    bk_buf b = BK_BUF_INIT;
    bk_slugify(&b, in, strlen(in));
    CHECK_STR(b.ptr, want);
    bk_buf_release(&b);
}

static void test_slugify(void)
{
    slug_is("Hello, World!", "hello-world");
    slug_is(" leading space", "leading-space");
    slug_is("Don't Panic", "dont-panic");
    slug_is("C++ & you -- really", "c-you-really");
    slug_is("日本語 の 記事", "日本語-の-記事");
    slug_is("---", "");
    slug_is("already-a-slug", "already-a-slug");
}

static void test_parse_int(void)
{
    long v;
    CHECK(bk_parse_int("42", 0, 100, &v) && v == 42);
    CHECK(!bk_parse_int("42x", 0, 100, &v));
    CHECK(!bk_parse_int("", 0, 100, &v));
    CHECK(!bk_parse_int("101", 0, 100, &v));
    CHECK(!bk_parse_int("-1", 0, 100, &v));
}

static void test_sizes(void)
{
    size_t n;
    CHECK(bk_parse_size("1048576", &n) && n == 1048576);
    CHECK(bk_parse_size("500K", &n) && n == 500 * 1024);
    CHECK(bk_parse_size("10m", &n) && n == (size_t)10 << 20);
    CHECK(bk_parse_size("10MiB", &n) && n == (size_t)10 << 20);
    CHECK(bk_parse_size("2GB", &n) && n == (size_t)2 << 30);
    CHECK(!bk_parse_size("0", &n));
    CHECK(!bk_parse_size("-5M", &n));
    CHECK(!bk_parse_size("5X", &n));
    CHECK(!bk_parse_size("M", &n));
    CHECK(!bk_parse_size("99999999999999999999G", &n));
    char buf[32];
    CHECK_STR(bk_format_size((size_t)64 << 20, buf), "64 MiB");
    CHECK_STR(bk_format_size(2048, buf), "2 KiB");
    CHECK_STR(bk_format_size(1000, buf), "1000 bytes");
    CHECK_STR(bk_format_size((size_t)3 << 30, buf), "3 GiB");
}

static void test_strmap(void)
{
    bk_strmap m = BK_STRMAP_INIT;
    CHECK(bk_strmap_lookup(&m, "x") == NULL);
    static char keys[2000][8];
    for (int i = 0; i < 2000; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        bk_strmap_put(&m, keys[i], i);
    }
    CHECK_INT(m.len, 2000);
    CHECK_INT(*bk_strmap_lookup(&m, "k1234"), 1234);
    bk_strmap_put(&m, "k7", -7);
    CHECK_INT(*bk_strmap_lookup(&m, "k7"), -7);
    CHECK_INT(bk_strmap_incr(&m, "new"), 1);
    CHECK_INT(bk_strmap_incr(&m, "new"), 2);
    CHECK_INT(bk_strmap_incr(&m, "k7"), -6);
    CHECK_INT(m.len, 2001); /* "new" added, "k7" counted in place */
    CHECK(bk_strmap_lookup(&m, "k2000") == NULL);
    bk_strmap_release(&m);
    bk_strmap_release(&m);
}

static void test_unique_name(void)
{
    bk_strmap used = BK_STRMAP_INIT;
    bk_arena a = BK_ARENA_INIT;
    CHECK_STR(bk_unique_name(&used, &a, "intro", "", 1), "intro");
    CHECK_STR(bk_unique_name(&used, &a, "intro", "", 1), "intro-1");
    CHECK_STR(bk_unique_name(&used, &a, "intro-2", "", 1), "intro-2"); /* taken by hand */
    CHECK_STR(bk_unique_name(&used, &a, "intro", "", 1), "intro-3");   /* skips it */
    CHECK_STR(bk_unique_name(&used, &a, "intro", "", 1), "intro-4");
    CHECK_STR(bk_unique_name(&used, &a, "images/a", ".png", 2), "images/a.png");
    CHECK_STR(bk_unique_name(&used, &a, "images/a", ".png", 2), "images/a-2.png");
    CHECK_STR(bk_unique_name(&used, &a, "images/a", ".jpg", 2), "images/a.jpg");
    /* many repeats: each found in one step (this would take minutes when
     * every repeat counted from 1 again) */
    const char *last = NULL;
    for (int i = 0; i < 20000; i++)
        last = bk_unique_name(&used, &a, "x", "", 1);
    CHECK_STR(last, "x-19999");
    bk_strmap_release(&used);
    bk_arena_release(&a);
}

/* ---- the worker pool ---- */

typedef struct par_probe {
    atomic_int hits[64];
    pid_t tid[64];  /* the thread each worker id ran on */
    atomic_int bad; /* a worker id out of range, or two threads with one id */
    int inner;      /* run a loop inside each item */
    int ended[64];  /* probe_done's calls for each worker id */
} par_probe;

static void probe_inner(void *ctx, size_t i, int worker)
{
    atomic_int *n = ctx;
    (void)i;
    (void)worker;
    atomic_fetch_add(n, 1);
}

static void probe_job(void *ctx, size_t i, int worker)
{
    par_probe *p = ctx;
    if (worker < 0 || worker >= bk_par_jobs()) {
        atomic_fetch_add(&p->bad, 1);
        return;
    }
    pid_t me = gettid();
    if (p->tid[worker] && p->tid[worker] != me)
        atomic_fetch_add(&p->bad, 1);
    p->tid[worker] = me;
    atomic_fetch_add(&p->hits[i], 1);
    usleep(300); /* long enough for every worker to get items */
    if (p->inner) {
        atomic_int n = 0;
        bk_par_for(5, probe_inner, &n); /* the pool is busy: threads of its own */
        if (atomic_load(&n) != 5)
            atomic_fetch_add(&p->bad, 1);
    }
}

/* a worker's end: once per worker that took part, on its own thread,
 * after its last item */
static void probe_done(void *ctx, int worker)
{
    par_probe *p = ctx;
    if (worker < 0 || worker >= bk_par_jobs() || p->tid[worker] != gettid() || p->ended[worker]++)
        atomic_fetch_add(&p->bad, 1);
}

static void *probe_thread(void *arg)
{
    bk_par_for(64, probe_job, arg);
    return NULL;
}

/* whether thread tid of this process is running */
static bool thread_alive(pid_t tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)tid);
    return access(path, F_OK) == 0;
}

static void test_par(void)
{
    bk_par_set_jobs(2);
    /* every index once, each worker id on one thread; the second loop runs
     * on the same threads as the first (the workers stay) */
    par_probe a = { 0 }, b = { 0 };
    bk_par_for(64, probe_job, &a);
    bk_par_for(64, probe_job, &b);
    for (int i = 0; i < 64; i++) {
        CHECK_INT(atomic_load(&a.hits[i]), 1);
        CHECK_INT(atomic_load(&b.hits[i]), 1);
    }
    CHECK_INT(atomic_load(&a.bad) + atomic_load(&b.bad), 0);
    CHECK(a.tid[0] == gettid());
    CHECK(a.tid[1] && a.tid[1] != gettid() && a.tid[1] == b.tid[1]);
    /* ... but not for long: an idle worker ends (its heap goes to the
     * others), and the next loop has a new one */
    usleep(300 * 1000);
    par_probe idle = { 0 };
    bk_par_for(64, probe_job, &idle);
    CHECK(idle.tid[1] && idle.tid[1] != a.tid[1]);
    /* a forked child (the PDF's line-breaking helper) has no workers:
     * its loops make their own */
    pid_t pid = fork();
    if (pid == 0) {
        alarm(20); /* a pool that waits for workers it does not have hangs */
        par_probe k = { 0 };
        bk_par_for(64, probe_job, &k);
        int ok = atomic_load(&k.bad) == 0;
        for (int i = 0; i < 64; i++)
            ok = ok && atomic_load(&k.hits[i]) == 1;
        _exit(ok ? 0 : 1);
    }
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* a loop inside a loop, and two loops at once from two threads */
    par_probe c = { .inner = 1 }, d = { 0 };
    bk_par_for(16, probe_job, &c);
    for (int i = 0; i < 16; i++)
        CHECK_INT(atomic_load(&c.hits[i]), 1);
    CHECK_INT(atomic_load(&c.bad), 0);
    memset(&c, 0, sizeof c);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, probe_thread, &c) == 0);
    probe_thread(&d);
    pthread_join(t, NULL);
    for (int i = 0; i < 64; i++) {
        CHECK_INT(atomic_load(&c.hits[i]), 1);
        CHECK_INT(atomic_load(&d.hits[i]), 1);
    }
    /* more jobs than before, then fewer */
    bk_par_set_jobs(4);
    par_probe e = { 0 };
    bk_par_for(64, probe_job, &e);
    /* released, the waiting workers are gone at once (their per-thread
     * state too, which LeakSanitizer found half-freed in a worker that
     * was ending on its own as the process ended); a loop then makes new
     * ones */
    /* (not checked alive first: on a loaded machine 50 ms may pass before
     * this line, and an idle worker ends by itself) */
    bk_par_release();
    for (int k = 1; k < 4; k++)
        CHECK(!thread_alive(e.tid[k]));
    par_probe g = { 0 };
    bk_par_for(64, probe_job, &g);
    for (int i = 0; i < 64; i++)
        CHECK_INT(atomic_load(&g.hits[i]), 1);
    CHECK(g.tid[3] && g.tid[3] != e.tid[3]);
    /* each worker's end, once, on its thread, before the loop returns */
    par_probe h = { 0 };
    bk_par_for_done(64, probe_job, probe_done, &h);
    for (int k = 0; k < 4; k++)
        CHECK_INT(h.ended[k], h.tid[k] ? 1 : 0);
    CHECK(h.tid[0] == gettid() && h.ended[0] == 1);
    CHECK_INT(atomic_load(&h.bad), 0);
    bk_par_release();
    bk_par_set_jobs(1);
    par_probe f = { 0 };
    bk_par_for(8, probe_job, &f);
    for (int i = 0; i < 64; i++)
        CHECK_INT(atomic_load(&e.hits[i]), 1);
    for (int i = 0; i < 8; i++)
        CHECK_INT(atomic_load(&f.hits[i]), 1);
    CHECK_INT(atomic_load(&e.bad) + atomic_load(&f.bad), 0);
    CHECK(f.tid[0] == gettid()); /* one job: in order, on this thread */
    par_probe one = { 0 };
    bk_par_for_done(8, probe_job, probe_done, &one);
    CHECK(one.ended[0] == 1 && atomic_load(&one.bad) == 0);
    bk_par_set_jobs(0);
}

/* ---- reading files ---- */

static void test_file_read(void)
{
    char path[] = "/tmp/bk-test-read-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    const char text[] = "---\ntitle: x\n---\nbody\n";
    CHECK(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
    close(fd);
    bk_buf b = BK_BUF_INIT;
    CHECK(bk_file_read(path, 1 << 20, &b) == 0);
    CHECK_STR(b.ptr, text);
    /* a file of its size, not a 64 KiB buffer for each post */
    CHECK(b.cap < 4096);
    bk_buf_release(&b);
    /* appended to what is there */
    bk_buf_adds(&b, "ab");
    CHECK(bk_file_read(path, 1 << 20, &b) == 0);
    CHECK_INT(b.len, 2 + sizeof text - 1);
    bk_buf_release(&b);
    CHECK(bk_file_read(path, 8, &b) < 0); /* over the limit */
    bk_buf_release(&b);
    unlink(path);
    /* a file that says it is empty (/proc) is read to its end */
    CHECK(bk_file_read("/proc/self/status", 1 << 20, &b) == 0);
    CHECK(strstr(b.ptr, "Pid:") != NULL);
    bk_buf_release(&b);
    CHECK(bk_file_read("/nonexistent/x", 1 << 20, &b) < 0);
    CHECK(bk_file_read("/tmp", 1 << 20, &b) < 0);
    bk_buf_release(&b);
}

int main(void)
{
    RUN(test_strmap);
    RUN(test_buf);
    RUN(test_str);
    RUN(test_arena);
    RUN(test_utf8);
    RUN(test_slugify);
    RUN(test_parse_int);
    RUN(test_sizes);
    RUN(test_unique_name);
    RUN(test_par);
    RUN(test_file_read);
    return TEST_DONE();
}
