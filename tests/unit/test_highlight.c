/* Unit tests: the syntax highlighter (GtkSourceView through highlight.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "bookify/highlight.h"
#include "bookify/par.h"
#include "bookify/util.h"

/* The class of the span that covers exactly the first occurrence of token
 * in code, or -1 when no span does. */
static int class_of(const char *lang_name, const char *code, const char *token)
{
    const char *lang = bk_highlight_language(lang_name);
    if (!lang)
        return -2;
    bk_hl_span *s;
    size_t n = bk_highlight(lang, code, strlen(code), &s);
    const char *at = strstr(code, token);
    int cls = -1;
    for (size_t i = 0; at && i < n; i++)
        if (s[i].start <= (size_t)(at - code) && s[i].end >= (size_t)(at - code) + strlen(token))
            cls = (int)s[i].cls;
    free(s);
    return cls;
}

#define CLASS(lang, code, token, want)                                                         \
    do {                                                                                       \
        int got_ = class_of(lang, code, token);                                                \
        bk_test_checks++;                                                                      \
        if (got_ != (int)(want)) {                                                             \
            bk_test_failures++;                                                                \
            fprintf(stderr, "%s:%d: %s '%s' is class %d, expected %s\n", __FILE__, __LINE__,  \
                    lang, token, got_, bk_hl_class_name(want));                                \
        }                                                                                      \
    } while (0)

static void test_languages(void)
{
    /* ten languages and more, a few tokens each */
    const char *py = "def area(r):\n    # circle\n    return 3.14 * r ** 2 + len(\"x\")\n";
    CLASS("python", py, "def", BK_HL_KEYWORD);
    CLASS("python", py, "area", BK_HL_FUNCTION);
    CLASS("python", py, "# circle", BK_HL_COMMENT);
    CLASS("python", py, "3.14", BK_HL_NUMBER);
    CLASS("python", py, "\"x\"", BK_HL_STRING);
    CLASS("python", py, "len", BK_HL_BUILTIN);

    const char *js = "const n = 42; // answer\nlet s = 'hi';\nif (n) { return null; }\n";
    CLASS("js", js, "const", BK_HL_KEYWORD);
    CLASS("js", js, "// answer", BK_HL_COMMENT);
    CLASS("js", js, "'hi'", BK_HL_STRING);
    CLASS("js", js, "42", BK_HL_NUMBER);
    CLASS("javascript", js, "null", BK_HL_CONSTANT);

    const char *c = "#include <stdio.h>\nint main(void) { /* hi */ return 0; }\n";
    CLASS("c", c, "#include", BK_HL_PREPROCESSOR);
    CLASS("c", c, "int", BK_HL_TYPE);
    CLASS("c", c, "/* hi */", BK_HL_COMMENT);
    CLASS("c", c, "return", BK_HL_KEYWORD);

    const char *go = "package main\nfunc main() { fmt.Println(\"hi\\n\") }\n";
    CLASS("golang", go, "func", BK_HL_KEYWORD);
    CLASS("go", go, "\\n", BK_HL_ESCAPE);

    const char *rs = "fn main() { let x: u32 = 7; }\n";
    CLASS("rust", rs, "fn", BK_HL_KEYWORD);
    CLASS("rs", rs, "u32", BK_HL_TYPE);
    CLASS("rust", rs, "7", BK_HL_NUMBER);

    const char *rb = "class Greeter\n  def hi; puts 'hello' end # say it\nend\n";
    CLASS("ruby", rb, "class", BK_HL_KEYWORD);
    CLASS("rb", rb, "'hello'", BK_HL_STRING);
    CLASS("ruby", rb, "# say it", BK_HL_COMMENT);

    const char *sh = "#!/bin/sh\nfor f in *.md; do echo \"$f\"; done # all\n";
    CLASS("sh", sh, "for", BK_HL_KEYWORD);
    CLASS("bash", sh, "# all", BK_HL_COMMENT);
    CLASS("shell", sh, "echo", BK_HL_KEYWORD);

    const char *java = "class A { int n = 1; void f() { return; } }\n";
    CLASS("java", java, "int", BK_HL_TYPE);
    CLASS("java", java, "return", BK_HL_KEYWORD);

    const char *sql = "SELECT name FROM users WHERE id = 42; -- one\n";
    CLASS("sql", sql, "SELECT", BK_HL_KEYWORD);
    CLASS("sql", sql, "-- one", BK_HL_COMMENT);
    CLASS("postgresql", sql, "42", BK_HL_NUMBER);

    const char *yml = "title: Handbook # the book\ncount: 3\n";
    CLASS("yml", yml, "# the book", BK_HL_COMMENT);

    const char *html = "<p class=\"x\">hi &amp; bye</p>\n";
    CLASS("html", html, "p", BK_HL_TAG);
    CLASS("html", html, "class", BK_HL_ATTRIBUTE);
    CLASS("html", html, "&amp;", BK_HL_ESCAPE);

    const char *diff = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n";
    CLASS("diff", diff, "-old", BK_HL_DELETED);
    CLASS("patch", diff, "+new", BK_HL_INSERTED);

    const char *cpp = "template <typename T> T twice(T x) { return x + x; }\n";
    CLASS("c++", cpp, "template", BK_HL_KEYWORD);

    const char *kt = "fun main() { if (x) return \"k\" }\n";
    CLASS("kt", kt, "if", BK_HL_KEYWORD);
    CLASS("kotlin", kt, "\"k\"", BK_HL_STRING);
}

static void test_names(void)
{
    CHECK_STR(bk_highlight_language("Python"), "python3");
    CHECK_STR(bk_highlight_language("py"), "python3");
    CHECK_STR(bk_highlight_language("python2"), "python");
    CHECK_STR(bk_highlight_language("JS"), "js");
    CHECK_STR(bk_highlight_language("ts"), "typescript");
    CHECK_STR(bk_highlight_language("yml"), "yaml");
    CHECK_STR(bk_highlight_language("c++"), "cpp");
    CHECK_STR(bk_highlight_language("console"), "sh");
    CHECK_STR(bk_highlight_language("dockerfile"), "docker");
    CHECK_STR(bk_highlight_language("cs"), "c-sharp");
    CHECK_STR(bk_highlight_language("liquid"), "tera");
    CHECK_STR(bk_highlight_language("jinja2"), "tera");
    CHECK_STR(bk_highlight_language("vue"), "html");
    /* by file extension, through the language definitions' globs */
    CHECK_STR(bk_highlight_language("scss"), "scss");
    CHECK_STR(bk_highlight_language("pyi"), "python3");
    /* unknown, hidden helper languages, nonsense */
    CHECK(bk_highlight_language("klingon") == NULL);
    CHECK(bk_highlight_language("text") == NULL);
    CHECK(bk_highlight_language("js-expr") == NULL);
    CHECK(bk_highlight_language("def") == NULL);
    CHECK(bk_highlight_language("") == NULL);
    CHECK(bk_highlight_language(NULL) == NULL);
    CHECK(bk_highlight_language("../../etc/passwd") == NULL);
    CHECK(bk_highlight_language("a b") == NULL);
    /* the same answer twice (cached) */
    CHECK(bk_highlight_language("rb") == bk_highlight_language("RB"));
}

static void test_edges(void)
{
    bk_hl_span *s = (bk_hl_span *)1;
    const char *py = bk_highlight_language("python");
    CHECK_INT(bk_highlight(py, "", 0, &s), 0);
    CHECK(s == NULL);
    /* not UTF-8: left plain */
    CHECK_INT(bk_highlight(py, "x = '\xff'\n", 8, &s), 0);
    CHECK(s == NULL);
    /* plain text has nothing to mark */
    CHECK_INT(bk_highlight(py, "x\n", 2, &s), 0);
    free(s);
    /* byte offsets, not character offsets, after non-ASCII text */
    const char *u = "s = \"é€\" # ünï\nreturn\n";
    size_t n = bk_highlight(py, u, strlen(u), &s);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_INT(s[0].start, 4);
        CHECK_INT(s[0].end, 4 + 7);
        CHECK_INT(s[0].cls, BK_HL_STRING);
        CHECK_INT(s[1].cls, BK_HL_COMMENT);
        CHECK(strncmp(u + s[1].start, "# ünï", s[1].end - s[1].start) == 0);
        CHECK_INT(s[2].cls, BK_HL_KEYWORD);
    }
    free(s);
    /* an unterminated string does not leak into the next block */
    const char *open = "x = \"never closed\n";
    n = bk_highlight(py, open, strlen(open), &s);
    free(s);
    n = bk_highlight(py, "return 1\n", 9, &s);
    CHECK(n >= 1 && s[0].cls == BK_HL_KEYWORD && s[0].start == 0);
    free(s);
    /* a line too long, and too many long lines: left plain */
    char *line = malloc(BK_HIGHLIGHT_MAX_LINE + 20);
    strcpy(line, "x = ");
    memset(line + 4, '1', BK_HIGHLIGHT_MAX_LINE);
    strcpy(line + 4 + BK_HIGHLIGHT_MAX_LINE, "\nreturn\n");
    CHECK_INT(bk_highlight(py, line, strlen(line), &s), 0);
    line[BK_HIGHLIGHT_MAX_LINE - 10] = '\n'; /* now short enough */
    n = bk_highlight(py, line, strlen(line), &s);
    CHECK(n >= 2);
    free(s);
    free(line);
    bk_buf many = BK_BUF_INIT;
    while (many.len < 40 * 1000)
        bk_buf_adds(&many, "x = '1500 characters of one string, over and over again. . . . . . . . '\n");
    n = bk_highlight(py, many.ptr, many.len, &s); /* 550 lines of 76: fine */
    CHECK(n >= 500);
    free(s);
    bk_buf_reset(&many);
    for (int i = 0; i < 20; i++) { /* 20 lines of 1,500: too much */
        bk_buf_adds(&many, "x = '");
        for (int k = 0; k < 150; k++)
            bk_buf_adds(&many, "a\\'a\\'a\\'");
        bk_buf_adds(&many, "'\n");
    }
    CHECK_INT(bk_highlight(py, many.ptr, many.len, &s), 0);
    bk_buf_release(&many);
    /* too big: left plain */
    size_t big = BK_HIGHLIGHT_MAX + 1;
    char *b = malloc(big);
    memset(b, 'x', big);
    CHECK_INT(bk_highlight(py, b, big, &s), 0);
    free(b);
}

static void test_classes(void)
{
    for (int c = 1; c < BK_HL_COUNT; c++)
        CHECK_INT(bk_hl_class_from_name(bk_hl_class_name((bk_hl_class)c)), c);
    CHECK_INT(bk_hl_class_from_name("nonsense"), BK_HL_NONE);
    CHECK_STR(bk_hl_class_name(BK_HL_NONE), "");
    CHECK_INT(bk_hl_class_from_pygments("k"), BK_HL_KEYWORD);
    CHECK_INT(bk_hl_class_from_pygments("kd"), BK_HL_KEYWORD);
    CHECK_INT(bk_hl_class_from_pygments("kt"), BK_HL_TYPE);
    CHECK_INT(bk_hl_class_from_pygments("s2"), BK_HL_STRING);
    CHECK_INT(bk_hl_class_from_pygments("c1"), BK_HL_COMMENT);
    CHECK_INT(bk_hl_class_from_pygments("mi"), BK_HL_NUMBER);
    CHECK_INT(bk_hl_class_from_pygments("nf"), BK_HL_FUNCTION);
    CHECK_INT(bk_hl_class_from_pygments("gi"), BK_HL_INSERTED);
    CHECK_INT(bk_hl_class_from_pygments("n"), BK_HL_NONE);
    CHECK_INT(bk_hl_class_from_pygments("keyword"), BK_HL_NONE);
}

/* A block's spans do not depend on the blocks highlighted before it in the
 * same language (the buffer is reused; workers take blocks in any order). */
static void test_history(void)
{
    const char *py = bk_highlight_language("python");
    const char *blocks[] = {
        "s = 'a\\nb'  # esc\n",
        "\"\"\"doc\nstring\"\"\"\ndef f(): return '%d' % 1\n",
        "x = \"unterminated\n",
        "@decorator\nclass A(B):\n    pass\n",
    };
    enum { N = sizeof blocks / sizeof *blocks };
    bk_hl_span *first[N];
    size_t nfirst[N];
    for (int i = 0; i < N; i++)
        nfirst[i] = bk_highlight(py, blocks[i], strlen(blocks[i]), &first[i]);
    for (int round = 0; round < 3; round++)
        for (int k = N - 1; k >= 0; k--) {
            int i = (k + round) % N;
            bk_hl_span *s;
            size_t n = bk_highlight(py, blocks[i], strlen(blocks[i]), &s);
            CHECK_INT(n, nfirst[i]);
            for (size_t j = 0; j < n && n == nfirst[i]; j++) {
                CHECK_INT(s[j].start, first[i][j].start);
                CHECK_INT(s[j].end, first[i][j].end);
                CHECK_INT(s[j].cls, first[i][j].cls);
            }
            free(s);
        }
    for (int i = 0; i < N; i++)
        free(first[i]);
}

/* Many threads at once get the same spans as one thread alone. */
static const char *thread_code = "def f(x):\n    return [i * 2 for i in range(x)]  # doubled\n";
static void *highlight_many(void *arg)
{
    size_t *want = arg, bad = 0;
    const char *py = bk_highlight_language("python");
    for (int i = 0; i < 200; i++) {
        bk_hl_span *s;
        size_t n = bk_highlight(py, thread_code, strlen(thread_code), &s);
        bad += n != *want;
        free(s);
    }
    return (void *)bad;
}

static void test_threads(void)
{
    bk_hl_span *s;
    size_t want = bk_highlight(bk_highlight_language("python"), thread_code, strlen(thread_code), &s);
    free(s);
    CHECK(want >= 5);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, highlight_many, &want);
    for (int i = 0; i < 4; i++) {
        void *bad;
        pthread_join(t[i], &bad);
        CHECK(bad == NULL);
    }
}

/* The cores' tokens: none taken while the thread does not run (and none
 * given back for it), one each while it does, as many as the jobs. */
/* a converting thread: takes a core (and keeps it: it gives none) until
 * told its loop is done */
typedef struct core_user {
    atomic_bool took, give;
} core_user;

static void *core_user_run(void *arg)
{
    core_user *u = arg;
    bool t = bk_highlight_core_take();
    atomic_store(&u->took, t);
    while (!atomic_load(&u->give))
        usleep(1000);
    bk_highlight_core_done();
    return NULL;
}

typedef struct core_waiter {
    bk_hl_job *job;
    atomic_bool done;
    size_t spans;
} core_waiter;

static void *core_waiter_run(void *arg)
{
    core_waiter *w = arg;
    char *code;
    bk_hl_span *s;
    w->spans = bk_highlight_take(w->job, &code, &s, NULL);
    free(code);
    free(s);
    atomic_store(&w->done, true);
    return NULL;
}

/* whether *flag is set within about five seconds */
static bool soon(atomic_bool *flag)
{
    for (int k = 0; k < 5000 && !atomic_load(flag); k++)
        usleep(1000);
    return atomic_load(flag);
}

static void test_cores(void)
{
    bk_par_set_jobs(2);
    bool before = bk_highlight_core_take();
    CHECK(!before);
    bk_highlight_thread_start();
    bk_highlight_core_give(before); /* taken before the start: nothing to give */
    CHECK(bk_highlight_thread_running());
    /* one token a thread, kept from post to post */
    bool a = bk_highlight_core_take();
    CHECK(a);
    bk_highlight_core_give(a);
    CHECK(bk_highlight_core_take()); /* still this thread's */
    core_user other = { 0 }, third = { 0 };
    pthread_t t1, t2;
    CHECK(pthread_create(&t1, NULL, core_user_run, &other) == 0);
    CHECK(soon(&other.took)); /* the second token */
    /* both tokens out: a third thread waits, and this one's give (nobody
     * on the highlighting side waits) keeps its token ... */
    CHECK(pthread_create(&t2, NULL, core_user_run, &third) == 0);
    bk_highlight_core_give(true);
    usleep(50 * 1000);
    CHECK(!atomic_load(&third.took));
    /* ... until its loop is done */
    bk_highlight_core_done();
    CHECK(soon(&third.took));
    atomic_store(&third.give, true);
    pthread_join(t2, NULL);
    /* both tokens out again (this thread's, other's) and a block for the
     * thread, which wants a core: this thread's give after a post hands it
     * one, and the block is done */
    CHECK(bk_highlight_core_take());
    static const char *names[] = { "python" };
    core_waiter w = { 0 };
    w.job = bk_highlight_submit(names, 1, bk_xstrdup(thread_code), strlen(thread_code));
    pthread_t t3;
    CHECK(pthread_create(&t3, NULL, core_waiter_run, &w) == 0);
    for (int k = 0; k < 5000 && !atomic_load(&w.done); k++) {
        bk_highlight_core_give(true); /* a post done */
        usleep(1000);
        if (!atomic_load(&w.done))
            (void)bk_highlight_core_take(); /* the next one */
    }
    CHECK(atomic_load(&w.done) && w.spans >= 5);
    bk_highlight_core_done(); /* (were it not done, now it would be) */
    pthread_join(t3, NULL);
    atomic_store(&other.give, true);
    pthread_join(t1, NULL);
    bk_highlight_thread_stop();
    CHECK(!bk_highlight_core_take());
}

int main(void)
{
    RUN(test_languages);
    RUN(test_names);
    RUN(test_edges);
    RUN(test_classes);
    RUN(test_history);
    RUN(test_threads);
    RUN(test_cores);
    bk_highlight_release();
    /* set up again after a release */
    CHECK_STR(bk_highlight_language("python"), "python3");
    bk_highlight_release();
    return TEST_DONE();
}
