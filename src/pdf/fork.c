/* fork.c -- a long book's later chapters broken into lines on a second
 * process (see pdf_int.h and docs/pdf.md).
 *
 * pango and cairo 1.16 share font state between threads, and lines broken
 * on two threads came out different now and then (docs/performance.md).
 * A forked process shares nothing: it breaks chapters [from, n) while this
 * one breaks [0, from), and sends back what pagination reads, chapter by
 * chapter: each text's lines (heights, baselines, extents), where its
 * footnote references and anchors fall, table columns and row heights,
 * image sizes. Layouts do not come back: this is only done for books whose
 * chapters are laid out again before drawing (draw.c). The same text,
 * attributes and width give the same lines in any process; e2e.jobs
 * compares the bytes with -j 1 (no helper) and -j 2.
 *
 * Anything wrong with the helper (no fork, a crash, a short or odd
 * record) and its chapters are laid out here instead: slower, same book. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <zlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pdf_int.h"

#include "bookify/fileio.h"

#include "bookify/banned.h"

#define RECORD_MAGIC 0x6b6f6f4269666b62ULL

/* ---- records ---- */

static void put(bk_buf *b, const void *v, size_t n)
{
    bk_buf_add(b, v, n);
}

static void put_u64(bk_buf *b, uint64_t v)
{
    put(b, &v, sizeof v);
}

static void put_f64(bk_buf *b, double v)
{
    put(b, &v, sizeof v);
}

static void put_text(bk_buf *b, const pdf_text *t)
{
    put_u64(b, t->lang_added);
    put_f64(b, t->width);
    put_u64(b, t->nlines);
    for (size_t i = 0; i < t->nlines; i++) {
        const pdf_line *l = &t->lines[i];
        double v[5] = { l->top, l->height, l->baseline, l->x, l->width };
        put(b, v, sizeof v);
    }
    put_u64(b, t->nrefs);
    for (size_t i = 0; i < t->nrefs; i++)
        put_u64(b, (uint64_t)t->refs[i].line);
    put_u64(b, t->nanchors);
    for (size_t i = 0; i < t->nanchors; i++) {
        put_u64(b, (uint64_t)(int64_t)t->anchors[i].line);
        put_u64(b, (uint64_t)(int64_t)t->anchors[i].x);
    }
}

static void put_block(bk_buf *b, const pdf_block *k)
{
    put_u64(b, (uint64_t)k->kind);
    put_f64(b, k->style.size);
    put_f64(b, k->img_w);
    put_f64(b, k->img_h);
    put_f64(b, k->row_height);
    put_text(b, &k->t);
    put_u64(b, k->ncells);
    for (size_t i = 0; i < k->ncells; i++)
        put_text(b, &k->cells[i]);
    bool cols = k->kind == PK_ROW && k->first_row && k->col_w && k->col_x;
    put_u64(b, cols);
    for (size_t i = 0; cols && i < k->ncells; i++) {
        put_f64(b, k->col_w[i]);
        put_f64(b, k->col_x[i]);
    }
}

/* Chapter c, laid out: its record (magic, chapter, unknown, blocks, notes,
 * the length and CRC-32 of what follows, then every block and note). */
static void put_chapter(bk_buf *b, const pdf_engine *e, size_t c, int unknown)
{
    const pdf_chapter *ch = &e->chapters[c];
    put_u64(b, RECORD_MAGIC);
    put_u64(b, c);
    put_u64(b, (uint64_t)(int64_t)unknown);
    put_u64(b, ch->nblocks);
    put_u64(b, ch->nnotes);
    size_t at = b->len;
    put_u64(b, 0); /* the length of what follows */
    put_u64(b, 0); /* its CRC-32 */
    for (size_t i = 0; i < ch->nblocks; i++)
        put_block(b, &ch->blocks[i]);
    for (size_t i = 0; i < ch->nnotes; i++)
        put_block(b, &ch->notes[i]);
    uint64_t len = b->len - at - 2 * sizeof(uint64_t);
    uint64_t crc = crc32(0, (const Bytef *)b->ptr + at + 2 * sizeof(uint64_t), (uInt)len);
    memcpy(b->ptr + at, &len, sizeof len);
    memcpy(b->ptr + at + sizeof len, &crc, sizeof crc);
}

/* ---- reading them back: checked whole first, then applied ---- */

typedef struct reader {
    const char *p, *end;
    bool apply;             /* false: only check that it fits */
    const char *lang;
} reader;

static bool get(reader *r, void *v, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return false;
    memcpy(v, r->p, n);
    r->p += n;
    return true;
}

static bool get_u64(reader *r, uint64_t *v)
{
    return get(r, v, sizeof *v);
}

static bool get_f64(reader *r, double *v)
{
    return get(r, v, sizeof *v);
}

static bool get_text(reader *r, pdf_text *t)
{
    uint64_t lang_added, nlines, n;
    double width;
    if (!get_u64(r, &lang_added) || !get_f64(r, &width) || !get_u64(r, &nlines) ||
        nlines > (size_t)(r->end - r->p) / (5 * sizeof(double)))
        return false;
    if (r->apply) {
        if (lang_added)
            pdf_text_lang(t, r->lang);
        t->width = width;
        if (t->layout)
            g_object_unref(t->layout);
        t->layout = NULL;
        free(t->lines);
        t->lines = bk_xcalloc(nlines ? nlines : 1, sizeof(*t->lines));
        t->nlines = nlines;
    }
    for (size_t i = 0; i < nlines; i++) {
        double v[5];
        if (!get(r, v, sizeof v))
            return false;
        if (r->apply)
            t->lines[i] = (pdf_line){ v[0], v[1], v[2], v[3], v[4], NULL };
    }
    if (!get_u64(r, &n) || n != t->nrefs)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint64_t line;
        if (!get_u64(r, &line))
            return false;
        if (r->apply)
            t->refs[i].line = (long)(int64_t)line;
    }
    if (!get_u64(r, &n) || n != t->nanchors)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint64_t line, x;
        if (!get_u64(r, &line) || !get_u64(r, &x))
            return false;
        if (r->apply) {
            t->anchors[i].line = (int)(int64_t)line;
            t->anchors[i].x = (int)(int64_t)x;
        }
    }
    return true;
}

static bool get_block(reader *r, pdf_block *k)
{
    uint64_t kind, ncells, cols;
    double size, img_w, img_h, row_height;
    if (!get_u64(r, &kind) || kind != (uint64_t)k->kind || !get_f64(r, &size) || !get_f64(r, &img_w) ||
        !get_f64(r, &img_h) || !get_f64(r, &row_height))
        return false;
    if (r->apply) {
        k->style.size = size;
        k->img_w = img_w;
        k->img_h = img_h;
        k->row_height = row_height;
    }
    if (!get_text(r, &k->t) || !get_u64(r, &ncells) || ncells != k->ncells)
        return false;
    for (size_t i = 0; i < ncells; i++)
        if (!get_text(r, &k->cells[i]))
            return false;
    if (!get_u64(r, &cols) || cols != (k->kind == PK_ROW && k->first_row && k->col_w && k->col_x))
        return false;
    for (size_t i = 0; cols && i < ncells; i++) {
        double w, x;
        if (!get_f64(r, &w) || !get_f64(r, &x))
            return false;
        if (r->apply) {
            k->col_w[i] = w;
            k->col_x[i] = x;
        }
    }
    return true;
}

static bool get_chapter(reader *r, pdf_chapter *ch)
{
    for (size_t i = 0; i < ch->nblocks; i++)
        if (!get_block(r, &ch->blocks[i]))
            return false;
    for (size_t i = 0; i < ch->nnotes; i++)
        if (!get_block(r, &ch->notes[i]))
            return false;
    return r->p == r->end;
}

/* ---- the helper ---- */

void pdf_helper_start(pdf_engine *e, size_t from, pdf_helper *h)
{
    memset(h, 0, sizeof *h);
    h->pid = -1;
    h->fd = -1;
    h->from = e->nchapters;
    h->data = (bk_buf)BK_BUF_INIT;
    if (from + 2 > e->nchapters)
        return;
    int p[2];
    if (pipe(p) < 0)
        return;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return;
    }
    if (pid == 0) {
        /* The helper: no signal handler of bookify's (the parent removes
         * the temporary files), no progress bar, no exit handlers. It
         * gathers its records and writes them at the end, so it never
         * waits on this process while that one is busy with its half. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        /* bookify killed, its helper goes too */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        close(p[0]);
        bk_buf out = BK_BUF_INIT;
        for (size_t c = from; c < e->nchapters; c++) {
            put_chapter(&out, e, c, pdf_lines_chapter(e, c));
            pdf_chapter_drop_layouts(e, c); /* its memory counts as the book's too */
        }
        /* The tests make it fail in the ways it could: its records cut
         * short, one of them wrong, or a crash before any. */
        const char *t = getenv("BOOKIFY_HELPER_TEST");
        if (t && strcmp(t, "short") == 0)
            out.len /= 2;
        else if (t && strcmp(t, "odd") == 0 && out.len > 64)
            out.ptr[out.len / 2] ^= 0x55;
        else if (t && strcmp(t, "crash") == 0)
            kill(getpid(), SIGKILL);
        _exit(bk_fd_write_all(p[1], out.ptr, out.len) && close(p[1]) == 0 ? 0 : 1);
    }
    close(p[1]);
    h->pid = pid;
    h->fd = p[0];
    h->from = from;
}

/* Everything the helper wrote, and its end. */
static void helper_read(pdf_helper *h)
{
    h->read = true;
    char chunk[65536];
    for (;;) {
        ssize_t n = read(h->fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            h->failed = true;
        if (n <= 0)
            break;
        bk_buf_add(&h->data, chunk, (size_t)n);
    }
    close(h->fd);
    h->fd = -1;
    int status = 0;
    while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR) {
    }
    h->pid = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        h->failed = true;
}

int pdf_helper_take(pdf_engine *e, pdf_helper *h, size_t c)
{
    if (c < h->from || h->failed)
        return -1;
    if (!h->read)
        helper_read(h);
    if (h->failed)
        return -1;
    uint64_t head[7];
    reader r = { h->data.ptr + h->pos, h->data.ptr + h->data.len, false, NULL };
    pdf_chapter *ch = &e->chapters[c];
    if (!get(&r, head, sizeof head) || head[0] != RECORD_MAGIC || head[1] != c || head[3] != ch->nblocks ||
        head[4] != ch->nnotes || head[5] > (size_t)(r.end - r.p) || head[5] > UINT32_MAX ||
        crc32(0, (const Bytef *)r.p, (uInt)head[5]) != head[6]) {
        h->failed = true;
        return -1;
    }
    r.end = r.p + head[5];
    const char *start = r.p;
    r.lang = ch->lang;
    if (!get_chapter(&r, ch)) {
        h->failed = true;
        return -1;
    }
    r.p = start;
    r.apply = true;
    get_chapter(&r, ch);
    h->pos = (size_t)(r.end - h->data.ptr);
    h->taken++;
    return (int)(int64_t)head[2];
}

void pdf_helper_fetch(pdf_helper *h, size_t c)
{
    if (c >= h->from && !h->failed && !h->read)
        helper_read(h);
}

void pdf_helper_end(pdf_helper *h)
{
    if (h->pid > 0) {
        kill(h->pid, SIGKILL);
        if (h->fd >= 0)
            close(h->fd);
        h->fd = -1;
        while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    if (h->fd >= 0)
        close(h->fd);
    bk_buf_release(&h->data);
}
