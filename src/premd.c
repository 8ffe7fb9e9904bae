/*
 * premd.c -- template leftovers out of a post's Markdown (see premd.h).
 *
 * The work is a chain of passes, each text to text: Hugo shortcodes, Liquid,
 * kramdown extensions, kramdown definition lists, maths. A pass reads a view
 * of the previous pass's output and writes a new document, carrying along
 *  - a mask byte per text byte: M_VERB marks text later passes must leave
 *    alone ({% raw %} content, a Hugo escape, a generated comment);
 *  - the body line of every line, so the final line map needs no composing.
 * A pass that acts only outside code first classifies its input with
 * mark_code(), which flags each byte of a code block or code span.
 *
 * Linear time: every search that a pass could restart many times (a closer
 * that never comes, a run of unmatched dollars) goes through a pm_seek cache
 * that only moves forward, or stops at a point the next search starts from.
 */
#define _GNU_SOURCE /* memmem */
#include "bookify/premd.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bookify/banned.h"

#define NONE SIZE_MAX

enum { M_VERB = 1 };                                   /* mask bits */
enum { F_BLOCK = 1, F_SPAN = 2, F_CODE = F_BLOCK | F_SPAN }; /* code flags */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_word(char c)
{
    return is_alpha(c) || is_digit(c) || c == '_';
}

static bool is_punct(char c)
{
    return c > ' ' && c < 127 && !is_alpha(c) && !is_digit(c);
}

static bool blank_range(const char *p, size_t a, size_t b)
{
    for (; a < b; a++)
        if (!is_blank(p[a]))
            return false;
    return true;
}

static bk_str slice(const char *p, size_t a, size_t b)
{
    return (bk_str){ p + a, b - a };
}

/* ------------------------------------------------------------------------ */
/* Documents and views                                                      */
/* ------------------------------------------------------------------------ */

typedef struct pm_view {
    const char *p;
    size_t len;
    const unsigned char *mask; /* M_* per byte; NULL when all clear */
    const int *lines;          /* body line of each line; NULL for 1, 2, 3, ... */
    size_t nlines;
} pm_view;

typedef struct pm_doc {
    bk_buf text;
    bk_buf mask; /* one M_* byte per text byte */
    int *lines;  /* body line of each line started so far */
    size_t nlines, cap;
} pm_doc;

static void doc_init(pm_doc *d)
{
    bk_buf_init(&d->text);
    bk_buf_init(&d->mask);
    d->lines = NULL;
    d->nlines = d->cap = 0;
}

static void doc_release(pm_doc *d)
{
    bk_buf_release(&d->text);
    bk_buf_release(&d->mask);
    free(d->lines);
    doc_init(d);
}

static pm_view doc_view(const pm_doc *d)
{
    return (pm_view){ d->text.ptr, d->text.len, (const unsigned char *)d->mask.ptr, d->lines,
                      d->nlines };
}

static int view_line(const pm_view *v, size_t i)
{
    if (v->nlines == 0)
        return 1;
    if (i >= v->nlines)
        i = v->nlines - 1;
    return v->lines ? v->lines[i] : (int)i + 1;
}

static size_t line_end(const pm_view *v, size_t i)
{
    const char *nl = i < v->len ? memchr(v->p + i, '\n', v->len - i) : NULL;
    return nl ? (size_t)(nl - v->p) : v->len;
}

static size_t next_line(const pm_view *v, size_t i)
{
    size_t le = line_end(v, i);
    return le < v->len ? le + 1 : le;
}

static bool at_bol(const pm_doc *d)
{
    return d->text.len == 0 || d->text.ptr[d->text.len - 1] == '\n';
}

/* Append n bytes; each line they start is recorded as coming from origin.
 * mask (may be NULL) gives their mask bytes, to which m is added. */
static void doc_put(pm_doc *d, const char *s, size_t n, const unsigned char *mask, unsigned char m,
                    int origin)
{
    while (n) {
        const char *nl = memchr(s, '\n', n);
        size_t k = nl ? (size_t)(nl - s) + 1 : n;
        if (at_bol(d)) {
            BK_GROW(d->lines, d->cap, d->nlines + 1);
            d->lines[d->nlines++] = origin;
        }
        bk_buf_add(&d->text, s, k);
        bk_buf_grow(&d->mask, k);
        unsigned char *dst = (unsigned char *)d->mask.ptr + d->mask.len;
        if (mask) {
            for (size_t i = 0; i < k; i++)
                dst[i] = (unsigned char)(mask[i] | m);
            mask += k;
        } else {
            memset(dst, m, k);
        }
        d->mask.len += k;
        d->mask.ptr[d->mask.len] = '\0';
        s += k;
        n -= k;
    }
}

/* Cut the text back to len bytes, forgetting the lines that started after. */
static void doc_truncate(pm_doc *d, size_t len)
{
    if (len >= d->text.len)
        return;
    for (size_t i = len; i < d->text.len; i++)
        if (i == 0 || d->text.ptr[i - 1] == '\n')
            d->nlines--;
    d->text.len = d->mask.len = len;
    d->text.ptr[len] = '\0';
    d->mask.ptr[len] = '\0';
}

/* Is the last output line (after its '\n') made of chars in set only? Sets
 * *start to where it starts. Stops at the first other char, so the cost is
 * the length of that tail. */
static bool tail_only(const pm_doc *d, const char *set, size_t *start)
{
    size_t i = d->text.len;
    while (i > 0 && d->text.ptr[i - 1] != '\n') {
        if (!d->text.ptr[i - 1] || !strchr(set, d->text.ptr[i - 1]))
            return false;
        i--;
    }
    *start = i;
    return true;
}

/* ------------------------------------------------------------------------ */
/* A pass: reading the view, writing the document                           */
/* ------------------------------------------------------------------------ */

/* The first match at or after `from` was `at` (NONE: no match), and `end` is
 * where that match ends. Valid for any later query up to `at`. */
typedef struct pm_seek {
    size_t from, at, end;
} pm_seek;

#define PM_SEEK_INIT { NONE, NONE, NONE }

typedef struct pm_caps {
    size_t math, dropped, abbrs; /* allocated lengths of bk_premd's arrays */
} pm_caps;

typedef struct pm_pass {
    pm_view in;
    pm_doc *out;
    bk_premd *r;
    pm_caps *caps;
    unsigned flags;          /* the run's enum bk_premd_flags */
    const unsigned char *fl; /* F_* per input byte, or NULL */
    size_t pos;              /* next input byte */
    size_t line;             /* 0-based input line of pos */
    size_t bol;              /* start of that line */
    size_t col_bol, col_pos; /* col_of's memo: column col at col_pos */
    int col;
    size_t lead_bol, lead_end; /* lead_end's memo */
    int lead_depth;
    pm_seek eol;               /* eol_of's memo */
} pm_pass;

static unsigned char mask_at(const pm_pass *P, size_t i)
{
    return P->in.mask ? P->in.mask[i] : 0;
}

static unsigned char fl_at(const pm_pass *P, size_t i)
{
    return P->fl ? P->fl[i] : 0;
}

/* Plain text: neither code nor verbatim. */
static bool plain_at(const pm_pass *P, size_t i)
{
    return !(fl_at(P, i) & F_CODE) && !(mask_at(P, i) & M_VERB);
}

/* The body line of the input line being read. */
static int here(const pm_pass *P)
{
    return view_line(&P->in, P->line);
}

/* The body line of the last input line consumed: the one before pos when pos
 * starts a line. */
static int prev_here(const pm_pass *P)
{
    return view_line(&P->in, P->pos == P->bol && P->line > 0 ? P->line - 1 : P->line);
}

/* Move pos to `to`, copying the input text on the way when emit (with mask m
 * added), and keeping the line count. */
static void advance(pm_pass *P, size_t to, bool emit, unsigned char m)
{
    while (P->pos < to) {
        const char *s = P->in.p + P->pos;
        const char *nl = memchr(s, '\n', to - P->pos);
        size_t k = nl ? (size_t)(nl - s) + 1 : to - P->pos;
        if (emit)
            doc_put(P->out, s, k, P->in.mask ? P->in.mask + P->pos : NULL, m, here(P));
        P->pos += k;
        if (nl) {
            P->line++;
            P->bol = P->pos;
        }
    }
}

static void copy_to(pm_pass *P, size_t to)
{
    advance(P, to, true, 0);
}

static void skip_to(pm_pass *P, size_t to)
{
    advance(P, to, false, 0);
}

static void gen(pm_pass *P, const char *s, size_t n, unsigned char m, int origin)
{
    doc_put(P->out, s, n, NULL, m, origin);
}

static void gens(pm_pass *P, const char *s, int origin)
{
    gen(P, s, strlen(s), 0, origin);
}

/* Skip the rest of the input line from pos, newline included, when it is
 * blank. */
static void skip_blank_eol(pm_pass *P)
{
    size_t q = P->pos;
    while (q < P->in.len && is_blank(P->in.p[q]))
        q++;
    if (q == P->in.len || P->in.p[q] == '\n')
        skip_to(P, q < P->in.len ? q + 1 : q);
}

/* 1-based column, in characters, of input byte at on the current line. */
static int col_of(pm_pass *P, size_t at)
{
    if (P->col_bol != P->bol || P->col_pos > at) {
        P->col_bol = P->bol;
        P->col_pos = P->bol;
        P->col = 1;
    }
    for (; P->col_pos < at; P->col_pos++)
        if (((unsigned char)P->in.p[P->col_pos] & 0xC0) != 0x80)
            P->col++;
    return P->col;
}

/* First byte of the current line that is not a blank or a '>' (quote
 * marker); *depth (may be NULL): how many '>' come before it. */
static size_t lead_end(pm_pass *P, int *depth)
{
    if (P->lead_bol != P->bol) {
        size_t q = P->bol;
        P->lead_depth = 0;
        for (; q < P->in.len && (is_blank(P->in.p[q]) || P->in.p[q] == '>'); q++)
            P->lead_depth += P->in.p[q] == '>';
        P->lead_bol = P->bol;
        P->lead_end = q;
    }
    if (depth)
        *depth = P->lead_depth;
    return P->lead_end;
}

static void add_drop(pm_pass *P, bk_premd_drop kind, bk_str name, size_t at)
{
    bk_premd *r = P->r;
    BK_GROW(r->dropped, P->caps->dropped, r->ndropped + 1);
    r->dropped[r->ndropped++] = (bk_premd_dropped){ kind, bk_xstrndup(name.p, name.len), here(P),
                                                    col_of(P, at) };
}

/* ---- forward-only searches ---- */

static bool seek_cached(const pm_seek *s, size_t from)
{
    return s->from != NONE && from >= s->from && (s->at == NONE || from <= s->at);
}

/* First occurrence of needle at or after from; with plain, only one lying
 * wholly in plain text. */
static size_t seek(const pm_pass *P, pm_seek *s, size_t from, const char *needle, bool plain)
{
    if (seek_cached(s, from))
        return s->at;
    size_t nlen = strlen(needle), n = P->in.len, q = from, found = NONE;
    while (q < n && n - q >= nlen) {
        const char *h = memchr(P->in.p + q, needle[0], n - q - nlen + 1);
        if (!h)
            break;
        q = (size_t)(h - P->in.p);
        bool ok = memcmp(h, needle, nlen) == 0;
        for (size_t i = 0; ok && plain && i < nlen; i++)
            ok = plain_at(P, q + i);
        if (ok) {
            found = q;
            break;
        }
        q++;
    }
    s->from = from;
    s->at = found;
    s->end = found == NONE ? NONE : found + nlen;
    return found;
}

/* End of the line holding q (its '\n', or the end): line_end through the
 * memo, for code that asks many times about one long line. */
static size_t eol_of(pm_pass *P, size_t q)
{
    size_t e = seek(P, &P->eol, q, "\n", false);
    return e == NONE ? P->in.len : e;
}

static bool line_blank(const pm_view *v, size_t q)
{
    while (q < v->len && is_blank(v->p[q]))
        q++;
    return q == v->len || v->p[q] == '\n';
}

/* Start of the first line after from's line that is blank or in a code
 * block: an inline construct opened at from must close before it. */
static size_t para_end(const pm_pass *P, pm_seek *s, size_t from)
{
    if (s->from != NONE && from >= s->from && from < s->at)
        return s->at;
    size_t n = P->in.len, q = next_line(&P->in, from), found = n;
    while (q < n) {
        if (line_blank(&P->in, q) || (fl_at(P, q) & F_BLOCK)) {
            found = q;
            break;
        }
        q = next_line(&P->in, q);
    }
    s->from = from;
    s->at = found;
    return found;
}

/* ------------------------------------------------------------------------ */
/* Code: blocks and spans                                                   */
/* ------------------------------------------------------------------------ */

typedef struct pm_run {
    size_t at, len, next; /* next: index of the next run of the same length */
    bool opener;          /* not backslash-escaped */
} pm_run;

typedef struct pm_scratch {
    pm_run *runs;
    size_t cap;
    size_t *last; /* by run length: the nearest run seen so far */
    size_t lcap;
} pm_scratch;

/* Flag the code spans of the paragraph [a, b): a backtick run opens one that
 * the next run of the same length closes (CommonMark). Linear: each run finds
 * its partner through `next`, filled right to left. */
static void mark_spans(const char *p, size_t a, size_t b, unsigned char *fl, pm_scratch *s)
{
    size_t nr = 0, maxlen = 0;
    for (size_t i = a; i < b;) {
        const char *h = memchr(p + i, '`', b - i);
        if (!h)
            break;
        size_t j = (size_t)(h - p), k = j, bs = 0;
        while (k < b && p[k] == '`')
            k++;
        while (j - bs > a && p[j - bs - 1] == '\\')
            bs++;
        BK_GROW(s->runs, s->cap, nr + 1);
        s->runs[nr++] = (pm_run){ j, k - j, NONE, bs % 2 == 0 };
        if (k - j > maxlen)
            maxlen = k - j;
        i = k;
    }
    if (nr < 2)
        return;
    BK_GROW(s->last, s->lcap, maxlen + 1);
    for (size_t i = 0; i < nr; i++)
        s->last[s->runs[i].len] = NONE;
    for (size_t i = nr; i-- > 0;) {
        s->runs[i].next = s->last[s->runs[i].len];
        s->last[s->runs[i].len] = i;
    }
    for (size_t i = 0; i < nr;) {
        size_t m = s->runs[i].next;
        if (s->runs[i].opener && m != NONE) {
            size_t from = s->runs[i].at, to = s->runs[m].at + s->runs[m].len;
            memset(fl + from, F_SPAN, to - from);
            i = m + 1;
        } else {
            i++;
        }
    }
}

/* Past the blockquote markers ("> ") that open the line [a, b). */
static size_t quote_skip(const char *p, size_t a, size_t b)
{
    for (;;) {
        size_t q = a;
        while (q < b && q - a < 3 && p[q] == ' ')
            q++;
        if (q >= b || p[q] != '>')
            return a;
        q++;
        if (q < b && is_blank(p[q]))
            q++;
        a = q;
    }
}

/* First non-blank at or after a (before b); *cols: its column from a, tabs
 * stopping at multiples of 4. */
static size_t indent_of(const char *p, size_t a, size_t b, size_t *cols)
{
    size_t c = 0, q = a;
    for (; q < b && is_blank(p[q]); q++)
        c = p[q] == '\t' ? c + 4 - c % 4 : c + 1;
    *cols = c;
    return q;
}

static size_t run_of(const char *p, size_t a, size_t b, char ch)
{
    size_t q = a;
    while (q < b && p[q] == ch)
        q++;
    return q - a;
}

/* Length of the code fence opening at c ("```lang", "~~~~"), or 0. */
static size_t fence_open(const char *p, size_t c, size_t le, char *ch)
{
    if (c >= le || (p[c] != '`' && p[c] != '~'))
        return 0;
    size_t k = run_of(p, c, le, p[c]);
    if (k < 3 || (p[c] == '`' && memchr(p + c + k, '`', le - c - k)))
        return 0;
    *ch = p[c];
    return k;
}

static bool list_marker(const char *p, size_t c, size_t le)
{
    if (c < le && (p[c] == '-' || p[c] == '*' || p[c] == '+'))
        return c + 1 == le || is_blank(p[c + 1]);
    size_t d = c;
    while (d < le && d - c < 9 && is_digit(p[d]))
        d++;
    if (d == c || d >= le || (p[d] != '.' && p[d] != ')'))
        return false;
    return d + 1 == le || is_blank(p[d + 1]);
}

static bool atx_heading(const char *p, size_t c, size_t le)
{
    size_t k = run_of(p, c, le, '#');
    return k >= 1 && k <= 6 && (c + k == le || is_blank(p[c + k]));
}

/* ASCII case-insensitive search of needle in [a, b). */
static bool ci_find(const char *p, size_t a, size_t b, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t q = a; q + n <= b; q++) {
        size_t i = 0;
        while (i < n && bk_ascii_lower(p[q + i]) == needle[i])
            i++;
        if (i == n)
            return true;
    }
    return false;
}

/* The end tag of a raw-text HTML block (CommonMark type 1) opening at c. */
static const char *html_raw_open(const char *p, size_t c, size_t le)
{
    static const char *const names[] = { "script", "pre", "style", "textarea" };
    static const char *const ends[] = { "</script>", "</pre>", "</style>", "</textarea>" };
    if (c >= le || p[c] != '<')
        return NULL;
    for (size_t i = 0; i < BK_ARRAY_LEN(names); i++) {
        size_t n = strlen(names[i]), q = c + 1;
        if (le - q < n)
            continue;
        size_t k = 0;
        while (k < n && bk_ascii_lower(p[q + k]) == names[i][k])
            k++;
        if (k == n && (q + n == le || is_blank(p[q + n]) || p[q + n] == '>'))
            return ends[i];
    }
    return NULL;
}

/* Flag every byte of v that is code: F_BLOCK for the lines of fenced and
 * indented code blocks (and, with html, of <pre>/<script>/<style>/<textarea>
 * blocks), F_SPAN for code spans. An approximation of CommonMark's block
 * structure: list items allow indented fences and have no indented code, and
 * blockquote markers are looked through. */
static void mark_code(const pm_view *v, unsigned char *fl, bool html, pm_scratch *s)
{
    const char *p = v->p;
    size_t n = v->len, para = NONE, flen = 0, find = 0;
    bool fence = false, in_list = false, prev_blank = true;
    char fch = 0;
    const char *html_end = NULL;
    memset(fl, 0, n);
    for (size_t ls = 0; ls < n;) {
        size_t le = line_end(v, ls), next = le < n ? le + 1 : n, ind;
        size_t c = indent_of(p, quote_skip(p, ls, le), le, &ind);
        bool blank = c == le, code = false;
        if (fence) {
            code = true;
            size_t k = run_of(p, c, le, fch);
            if (ind <= find + 3 && k >= flen && blank_range(p, c + k, le))
                fence = false;
        } else if (html_end) {
            code = true;
            if (ci_find(p, ls, le, html_end))
                html_end = NULL;
        } else if (!blank) {
            if (ind <= 3 && list_marker(p, c, le))
                in_list = true;
            else if (ind == 0 && (prev_blank || para == NONE))
                in_list = false;
            size_t k;
            if (!in_list && ind >= 4 && para == NONE) {
                code = true;
            } else if ((ind <= 3 || in_list) && (k = fence_open(p, c, le, &fch)) != 0) {
                code = fence = true;
                flen = k;
                find = ind;
            } else if (html && ind <= 3 && (html_end = html_raw_open(p, c, le)) != NULL) {
                code = true;
                if (ci_find(p, c + 1, le, html_end))
                    html_end = NULL;
            }
        }
        if ((code || blank) && para != NONE) {
            mark_spans(p, para, ls, fl, s);
            para = NONE;
        }
        if (code) {
            memset(fl + ls, F_BLOCK, next - ls);
        } else if (!blank && ind <= 3 && atx_heading(p, c, le)) {
            /* A heading is a paragraph of its own for code spans. */
            if (para != NONE)
                mark_spans(p, para, ls, fl, s);
            mark_spans(p, ls, next, fl, s);
            para = NONE;
        } else if (!blank && para == NONE) {
            para = ls;
        }
        prev_blank = blank;
        ls = next;
    }
    if (para != NONE)
        mark_spans(p, para, n, fl, s);
}

/* ------------------------------------------------------------------------ */
/* Fenced code out of highlight tags (Liquid and Hugo)                      */
/* ------------------------------------------------------------------------ */

/* Backticks needed to fence the content [a, b): three, or one more than the
 * longest backtick run starting one of its lines. */
static size_t fence_ticks(const char *p, size_t a, size_t b)
{
    size_t best = 3;
    for (size_t q = a; q < b;) {
        while (q < b && is_blank(p[q]))
            q++;
        size_t k = run_of(p, q, b, '`');
        if (k >= best)
            best = k + 1;
        const char *nl = q < b ? memchr(p + q, '\n', b - q) : NULL;
        if (!nl)
            break;
        q = (size_t)(nl - p) + 1;
    }
    return best;
}

/* The first word of args, unquoted, as a fence's info string (empty when it
 * could not be one). */
static bk_str fence_lang(bk_str args)
{
    size_t k = 0;
    while (k < args.len && !is_ws(args.p[k]))
        k++;
    bk_str w = { args.p, k };
    if (w.len >= 2 && (w.p[0] == '"' || w.p[0] == '\'') && w.p[w.len - 1] == w.p[0]) {
        w.p++;
        w.len -= 2;
    }
    if (memchr(w.p, '`', w.len))
        w.len = 0;
    return w;
}

/* Open a fenced block for the highlight tag at pos (ending at te) whose
 * content runs to e: the fence gets a line of its own, indented like the tag
 * when only blanks precede it. fence receives the indentation and backticks
 * for hl_close. */
static void hl_open(pm_pass *P, size_t te, bk_str lang, size_t e, bk_buf *fence)
{
    int o = here(P);
    size_t st;
    if (tail_only(P->out, " \t", &st)) {
        bk_buf_add(fence, P->out->text.ptr + st, P->out->text.len - st);
        doc_truncate(P->out, st);
    } else {
        gens(P, "\n", o);
    }
    size_t ticks = fence_ticks(P->in.p, te, e);
    for (size_t i = 0; i < ticks; i++)
        bk_buf_addc(fence, '`');
    gen(P, fence->ptr, fence->len, 0, o);
    gen(P, lang.p, lang.len, 0, o);
    gens(P, "\n", o);
    skip_to(P, te);
    skip_blank_eol(P);
}

/* Close the block at the end tag at pos (ending at ee); text after the tag
 * goes on the next line. */
static void hl_close(pm_pass *P, size_t ee, const bk_buf *fence)
{
    int o = here(P);
    size_t st;
    if (tail_only(P->out, " \t", &st))
        doc_truncate(P->out, st);
    else
        gens(P, "\n", o);
    skip_to(P, ee);
    gen(P, fence->ptr, fence->len, 0, o);
    gens(P, "\n", o);
    skip_blank_eol(P);
}

/* ------------------------------------------------------------------------ */
/* Hugo shortcodes                                                          */
/* ------------------------------------------------------------------------ */

typedef struct sc_ctx {
    pm_seek close[2], esc[2]; /* [0] for {{< >}}, [1] for {{% %}} */
    pm_seek para, hl_end;
} sc_ctx;

/* Is a closing "{{< /highlight >}}" (or with %) at q, before lim? */
static bool sc_hl_end_at(const char *p, size_t lim, size_t q, size_t *end)
{
    if (lim - q < 4 || p[q] != '{' || p[q + 1] != '{' || (p[q + 2] != '<' && p[q + 2] != '%'))
        return false;
    char d = p[q + 2];
    size_t i = q + 3;
    while (i < lim && is_ws(p[i]))
        i++;
    if (i >= lim || p[i] != '/')
        return false;
    i++;
    while (i < lim && is_ws(p[i]))
        i++;
    if (lim - i < 9 || memcmp(p + i, "highlight", 9) != 0)
        return false;
    i += 9;
    while (i < lim && is_ws(p[i]))
        i++;
    if (lim - i < 3 || p[i] != (d == '<' ? '>' : '%') || p[i + 1] != '}' || p[i + 2] != '}')
        return false;
    *end = i + 3;
    return true;
}

static size_t sc_find_hl_end(const pm_pass *P, pm_seek *s, size_t from, size_t *end)
{
    if (!seek_cached(s, from)) {
        const char *p = P->in.p;
        size_t n = P->in.len, q = from;
        s->from = from;
        s->at = s->end = NONE;
        while (q + 1 < n) {
            const char *h = memchr(p + q, '{', n - q - 1);
            if (!h)
                break;
            q = (size_t)(h - p);
            if (sc_hl_end_at(p, n, q, &s->end)) {
                s->at = q;
                break;
            }
            q++;
        }
    }
    *end = s->end;
    return s->at;
}

static void sc_run(pm_pass *P, sc_ctx *S, size_t end, bool in_hl);
static void url_encode(bk_buf *b, bk_str s);

/* Value of key="..." (or key=bare) among a shortcode's arguments; the first
 * positional argument when key is NULL. */
static bool sc_arg(bk_str args, const char *key, bk_str *out)
{
    const char *p = args.p, *end = args.p + args.len;
    size_t klen = key ? strlen(key) : 0;
    while (p < end) {
        while (p < end && is_ws(*p))
            p++;
        const char *ks = p;
        while (p < end && !is_ws(*p) && *p != '=' && *p != '"' && *p != '\'')
            p++;
        bk_str k = { ks, (size_t)(p - ks) };
        bool named = p < end && *p == '=';
        if (named)
            p++;
        bk_str v;
        if (p < end && (*p == '"' || *p == '\'' || *p == '`')) {
            char q = *p++;
            const char *vs = p;
            while (p < end && *p != q)
                p += (*p == '\\' && p + 1 < end) ? 2 : 1;
            v = (bk_str){ vs, (size_t)(p - vs) };
            if (p < end)
                p++;
        } else if (named) {
            const char *vs = p;
            while (p < end && !is_ws(*p))
                p++;
            v = (bk_str){ vs, (size_t)(p - vs) };
        } else {
            v = k;
        }
        if (!key && !named && v.len) {
            *out = v;
            return true;
        }
        if (key && named && k.len == klen && memcmp(k.p, key, klen) == 0) {
            *out = v;
            return true;
        }
        if (p == ks)
            p++;
    }
    return false;
}

/* Text for an HTML attribute or element: &, <, > and " escaped. */
static void html_escape(bk_buf *b, bk_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        switch (s.p[i]) {
        case '&':
            bk_buf_adds(b, "&amp;");
            break;
        case '<':
            bk_buf_adds(b, "&lt;");
            break;
        case '>':
            bk_buf_adds(b, "&gt;");
            break;
        case '"':
            bk_buf_adds(b, "&quot;");
            break;
        case '\\':
            /* Hugo strings escape their quotes: \" is a quote. */
            if (i + 1 < s.len && (s.p[i + 1] == '"' || s.p[i + 1] == '\\')) {
                i++;
                bk_buf_adds(b, s.p[i] == '"' ? "&quot;" : "\\");
                break;
            }
            bk_buf_addc(b, '\\');
            break;
        default:
            bk_buf_addc(b, s.p[i]);
        }
    }
}

/* Hugo's built-in shortcodes that carry content a book needs: ref and
 * relref (links to other posts) and figure (an image with a caption).
 * Returns true when name was one of them and output was made. */
static bool sc_builtin(pm_pass *P, bk_str name, bk_str args)
{
    bk_buf b = BK_BUF_INIT;
    bk_str v;
    if ((bk_str_eq(name, "ref") || bk_str_eq(name, "relref")) && sc_arg(args, NULL, &v)) {
        bk_buf_adds(&b, "bookify:ref/");
        url_encode(&b, v);
    } else if (bk_str_eq(name, "figure") && sc_arg(args, "src", &v)) {
        bk_str alt, cap, title, link;
        bk_buf_adds(&b, "<figure>");
        bool linked = sc_arg(args, "link", &link);
        if (linked) {
            bk_buf_adds(&b, "<a href=\"");
            html_escape(&b, link);
            bk_buf_adds(&b, "\">");
        }
        bk_buf_adds(&b, "<img src=\"");
        html_escape(&b, v);
        bk_buf_adds(&b, "\" alt=\"");
        if (sc_arg(args, "alt", &alt) || sc_arg(args, "caption", &alt) || sc_arg(args, "title", &alt))
            html_escape(&b, alt);
        bk_buf_adds(&b, "\">");
        if (linked)
            bk_buf_adds(&b, "</a>");
        bool has_title = sc_arg(args, "title", &title), has_cap = sc_arg(args, "caption", &cap);
        if (has_title || has_cap) {
            bk_buf_adds(&b, "<figcaption>");
            if (has_title) {
                bk_buf_adds(&b, "<strong>");
                html_escape(&b, title);
                bk_buf_adds(&b, "</strong>");
                if (has_cap)
                    bk_buf_adds(&b, " ");
            }
            if (has_cap)
                html_escape(&b, cap);
            bk_buf_adds(&b, "</figcaption>");
        }
        bk_buf_adds(&b, "</figure>");
    } else {
        bk_buf_release(&b);
        return false;
    }
    gen(P, b.ptr, b.len, M_VERB, here(P));
    bk_buf_release(&b);
    return true;
}

/* Handle the shortcode whose "{{<" or "{{%" is at pos; false when it is not
 * one (unclosed), leaving pos alone. */
static bool sc_at(pm_pass *P, sc_ctx *S, size_t end, bool in_hl)
{
    const char *p = P->in.p;
    size_t h = P->pos, pe = para_end(P, &S->para, h);
    int d = p[h + 2] == '<' ? 0 : 1;
    if (end - h >= 5 && p[h + 3] == '/' && p[h + 4] == '*') {
        /* Hugo's escape: the markup shown literally, without the comment. */
        size_t e = seek(P, &S->esc[d], h + 5, d == 0 ? "*/>}}" : "*/%}}", false);
        if (e == NONE || e + 5 > end || e >= pe)
            return false;
        gen(P, d == 0 ? "{{<" : "{{%", 3, M_VERB, here(P));
        skip_to(P, h + 5);
        advance(P, e, true, M_VERB);
        gen(P, d == 0 ? ">}}" : "%}}", 3, M_VERB, here(P));
        skip_to(P, e + 5);
        return true;
    }
    size_t c = seek(P, &S->close[d], h + 3, d == 0 ? ">}}" : "%}}", false);
    if (c == NONE || c + 3 > end || c >= pe)
        return false;
    size_t a = h + 3;
    while (a < c && is_ws(p[a]))
        a++;
    bool closing = a < c && p[a] == '/';
    if (closing) {
        a++;
        while (a < c && is_ws(p[a]))
            a++;
    }
    size_t ns = a;
    while (a < c && !is_ws(p[a]))
        a++;
    bk_str name = slice(p, ns, a);
    if (a == c && name.len && name.p[name.len - 1] == '/')
        name.len--; /* {{< name/>}} */
    if (!name.len)
        return false;
    if (closing) {
        skip_to(P, c + 3);
        return true;
    }
    if (!in_hl && bk_str_eq(name, "highlight")) {
        size_t ee, e = sc_find_hl_end(P, &S->hl_end, c + 3, &ee);
        if (e != NONE && ee <= end) {
            bk_buf fence = BK_BUF_INIT;
            hl_open(P, c + 3, fence_lang(bk_str_trim(slice(p, a, c))), e, &fence);
            sc_run(P, S, e, true);
            hl_close(P, ee, &fence);
            bk_buf_release(&fence);
            return true;
        }
    }
    if (sc_builtin(P, name, bk_str_trim(slice(p, a, c)))) {
        skip_to(P, c + 3);
        return true;
    }
    add_drop(P, BK_DROP_SHORTCODE, name, h);
    skip_to(P, c + 3);
    return true;
}

/* Process [pos, end). Inside a highlight block (in_hl), a nested highlight is
 * an ordinary shortcode. */
static void sc_run(pm_pass *P, sc_ctx *S, size_t end, bool in_hl)
{
    const char *p = P->in.p;
    while (P->pos < end) {
        size_t i = P->pos;
        const char *h = end - i >= 2 ? memchr(p + i, '{', end - i - 1) : NULL;
        while (h && h[1] != '{') {
            size_t q = (size_t)(h - p) + 1;
            h = end - q >= 2 ? memchr(p + q, '{', end - q - 1) : NULL;
        }
        if (!h) {
            copy_to(P, end);
            break;
        }
        size_t at = (size_t)(h - p);
        copy_to(P, at);
        if (end - at > 3 && (p[at + 2] == '<' || p[at + 2] == '%') && !(mask_at(P, at) & M_VERB) &&
            sc_at(P, S, end, in_hl))
            continue;
        copy_to(P, at + 1);
    }
}

static void sc_pass(pm_pass *P)
{
    sc_ctx S = { { PM_SEEK_INIT, PM_SEEK_INIT }, { PM_SEEK_INIT, PM_SEEK_INIT }, PM_SEEK_INIT,
                 PM_SEEK_INIT };
    sc_run(P, &S, P->in.len, false);
}

/* ------------------------------------------------------------------------ */
/* Liquid                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct lq_capture {
    bk_str name;
    size_t start, end; /* the captured text in the input */
    char *text;        /* its own Liquid expanded, trimmed: made once, printed many times */
    size_t len;
} lq_capture;

/* All printed captures of a post together stop at this many bytes: a
 * capture printed in a loop of thousands is a template, not a post. */
#define LQ_CAPTURE_BUDGET (16u << 20)

typedef struct lq_ctx {
    pm_seek close_tag, close_out, para;
    pm_seek end_raw, end_comment, end_capture, end_highlight;
    lq_capture *caps; /* {% capture name %}...{% endcapture %} seen so far */
    size_t ncaps, capcaps;
    size_t printed;   /* bytes of captures printed so far */
} lq_ctx;

/* The capture named by an output's expression ("notice-2 | markdownify"),
 * or NULL; *markdownify says whether the text is Markdown for a block. */
static lq_capture *lq_captured(lq_ctx *L, bk_str expr, bool *markdownify)
{
    size_t k = 0;
    while (k < expr.len && (is_word(expr.p[k]) || expr.p[k] == '-' || expr.p[k] == '.'))
        k++;
    bk_str var = { expr.p, k };
    lq_capture *found = NULL;
    for (size_t i = 0; i < L->ncaps; i++)
        if (L->caps[i].name.len == var.len && memcmp(L->caps[i].name.p, var.p, var.len) == 0)
            found = &L->caps[i]; /* the latest capture of that name wins */
    if (!found)
        return NULL;
    *markdownify = false;
    for (size_t i = k; i + 11 <= expr.len; i++)
        if (memcmp(expr.p + i, "markdownify", 11) == 0)
            *markdownify = true;
    return found;
}

/* Is the tag "{% name %}" (any spacing, any '-' whitespace control, no
 * arguments) at q, ending before lim? *end: just past its "%}". */
static bool simple_tag_at(const char *p, size_t lim, size_t q, const char *name, size_t *end)
{
    size_t nl = strlen(name), i = q + 2;
    if (lim - q < 4 || p[q] != '{' || p[q + 1] != '%')
        return false;
    if (p[i] == '-')
        i++;
    while (i < lim && is_ws(p[i]))
        i++;
    if (lim - i < nl || memcmp(p + i, name, nl) != 0)
        return false;
    i += nl;
    if (i < lim && is_word(p[i]))
        return false;
    while (i < lim && is_ws(p[i]))
        i++;
    if (i < lim && p[i] == '-')
        i++;
    if (lim - i < 2 || p[i] != '%' || p[i + 1] != '}')
        return false;
    *end = i + 2;
    return true;
}

/* The next "{% name %}" at or after from, found textually (Liquid finds a
 * block's end before Markdown exists); *end just past it. */
static size_t find_end_tag(const pm_pass *P, pm_seek *s, size_t from, const char *name,
                           size_t *end)
{
    if (!seek_cached(s, from)) {
        const char *p = P->in.p;
        size_t n = P->in.len, q = from;
        s->from = from;
        s->at = s->end = NONE;
        while (q + 1 < n) {
            const char *h = memchr(p + q, '{', n - q - 1);
            if (!h)
                break;
            q = (size_t)(h - p);
            if (simple_tag_at(p, n, q, name, &s->end)) {
                s->at = q;
                break;
            }
            q++;
        }
    }
    *end = s->end;
    return s->at;
}

/* Copy the code [pos, end) verbatim, except for Jekyll's {% raw %} and
 * {% endraw %} markers: Jekyll removes them even in code, where they are
 * common (code that shows Liquid must be wrapped in them). In a code block
 * (block), a line left holding only such markers goes too. */
static void code_copy(pm_pass *P, size_t end, bool block)
{
    const char *p = P->in.p;
    bool in_raw = false;
    while (P->pos < end) {
        size_t ls = P->pos;
        const char *nl = memchr(p + ls, '\n', end - ls);
        size_t le = nl ? (size_t)(nl - p) : end;
        bool whole = block && at_bol(P->out) && (nl || end == P->in.len);
        size_t out0 = P->out->text.len, st;
        bool removed = false;
        for (size_t q = ls; le - q >= 4;) {
            const char *h = memchr(p + q, '{', le - q - 3);
            if (!h)
                break;
            size_t t = (size_t)(h - p), te;
            if (simple_tag_at(p, le, t, in_raw ? "endraw" : "raw", &te)) {
                copy_to(P, t);
                skip_to(P, te);
                in_raw = !in_raw;
                removed = true;
                q = te;
            } else {
                q = t + 1;
            }
        }
        copy_to(P, le);
        if (removed && whole && tail_only(P->out, " \t", &st) && st == out0) {
            doc_truncate(P->out, out0);
            skip_to(P, nl ? le + 1 : le);
        } else {
            copy_to(P, nl ? le + 1 : le);
        }
    }
}

/* Append s percent-encoded for a URL: bytes outside [A-Za-z0-9._~/-] as %XX. */
static void url_encode(bk_buf *b, bk_str s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (is_alpha((char)c) || is_digit((char)c) || (c && strchr("._~/-", c))) {
            bk_buf_addc(b, (char)c);
        } else {
            bk_buf_addc(b, '%');
            bk_buf_addc(b, hex[c >> 4]);
            bk_buf_addc(b, hex[c & 15]);
        }
    }
}

static bk_str unquote(bk_str s)
{
    if (s.len >= 2 && (s.p[0] == '"' || s.p[0] == '\'') && s.p[s.len - 1] == s.p[0])
        return (bk_str){ s.p + 1, s.len - 2 };
    return s;
}

static bool is_site_root(bk_str s)
{
    return bk_str_eq(s, "site.baseurl") || bk_str_eq(s, "site.url");
}

/* A filter that leaves a site-relative URL as it is for a book. */
static bool url_filter(bk_str f)
{
    if (bk_str_eq(f, "relative_url") || bk_str_eq(f, "absolute_url"))
        return true;
    if (!bk_str_starts(f, "prepend"))
        return false;
    f = bk_str_trim((bk_str){ f.p + 7, f.len - 7 });
    if (!f.len || f.p[0] != ':')
        return false;
    return is_site_root(bk_str_trim((bk_str){ f.p + 1, f.len - 1 }));
}

/* Is e a quoted string literal followed only by URL filters? *lit: the string. */
static bool liquid_literal(bk_str e, bk_str *lit)
{
    if (e.len < 2 || (e.p[0] != '\'' && e.p[0] != '"'))
        return false;
    const char *q = memchr(e.p + 1, e.p[0], e.len - 1);
    if (!q)
        return false;
    *lit = (bk_str){ e.p + 1, (size_t)(q - e.p) - 1 };
    bk_str rest = { q + 1, (size_t)(e.p + e.len - q) - 1 };
    for (;;) {
        rest = bk_str_trim(rest);
        if (!rest.len)
            return true;
        if (rest.p[0] != '|')
            return false;
        rest.p++;
        rest.len--;
        const char *bar = memchr(rest.p, '|', rest.len);
        size_t k = bar ? (size_t)(bar - rest.p) : rest.len;
        if (!url_filter(bk_str_trim((bk_str){ rest.p, k })))
            return false;
        rest.p += k;
        rest.len -= k;
    }
}

/* Handle the "{{" output at pos; false when it is not one. */
static bool lq_output(pm_pass *P, lq_ctx *L)
{
    const char *p = P->in.p;
    size_t i = P->pos, n = P->in.len;
    if ((P->flags & BK_PREMD_SHORTCODES) && i + 2 < n && (p[i + 2] == '<' || p[i + 2] == '%'))
        return false;
    size_t c = seek(P, &L->close_out, i + 2, "}}", true);
    if (c == NONE || c >= para_end(P, &L->para, i))
        return false;
    size_t a = i + 2, b = c;
    if (a < b && p[a] == '-')
        a++;
    if (b > a && p[b - 1] == '-')
        b--;
    bk_str expr = bk_str_trim(slice(p, a, b)), lit;
    int o = here(P);
    if (expr.len && !is_site_root(expr)) {
        if (liquid_literal(expr, &lit)) {
            skip_to(P, c + 2);
            gen(P, lit.p, lit.len, M_VERB, o);
            return true;
        }
        bool markdownify;
        lq_capture *cap = lq_captured(L, expr, &markdownify);
        if (cap && !cap->text) {
            /* The captured text may hold Liquid itself ({{ 'x' | relative_url }}). */
            bk_str t = bk_str_trim(slice(p, cap->start, cap->end));
            bk_premd sub = BK_PREMD_INIT;
            bk_premd_run(&sub, t.p, t.len, BK_PREMD_LIQUID);
            bk_str u = bk_str_trim((bk_str){ sub.md.ptr, sub.md.len });
            cap->text = bk_xstrndup(u.p, u.len);
            cap->len = u.len;
            bk_premd_release(&sub);
        }
        if (cap && L->printed + cap->len <= LQ_CAPTURE_BUDGET) {
            /* Themes capture Markdown and print it through markdownify
             * (notices, figures): the captured text is what readers saw.
             * As Markdown it needs blank lines around it to be parsed
             * inside an HTML block. */
            L->printed += cap->len;
            skip_to(P, c + 2);
            /* Verbatim for the later passes: the blank lines around it must
             * stay blank (see hb_pass). */
            if (markdownify)
                gen(P, "\n\n", 2, M_VERB, o);
            gen(P, cap->text, cap->len, M_VERB, o);
            if (markdownify)
                gen(P, "\n\n", 2, M_VERB, o);
            return true;
        }
        add_drop(P, BK_DROP_LIQUID_OUTPUT, expr, i);
    }
    skip_to(P, c + 2);
    return true;
}

/* Handle the "{%" tag at pos; false when it is not one. */
static bool lq_tag(pm_pass *P, lq_ctx *L)
{
    const char *p = P->in.p;
    size_t i = P->pos;
    size_t c = seek(P, &L->close_tag, i + 2, "%}", true);
    if (c == NONE || c >= para_end(P, &L->para, i))
        return false;
    size_t a = i + 2, b = c, te = c + 2, e, ee;
    if (a < b && p[a] == '-')
        a++;
    if (b > a && p[b - 1] == '-')
        b--;
    while (a < b && is_ws(p[a]))
        a++;
    size_t ns = a;
    while (a < b && is_word(p[a]))
        a++;
    bk_str name = slice(p, ns, a), args = bk_str_trim(slice(p, a, b));
    if (!name.len) {
        if (ns < b && p[ns] == '#') { /* {% # note %}: an inline comment */
            skip_to(P, te);
            return true;
        }
        return false;
    }
    if (bk_str_eq(name, "raw")) {
        e = find_end_tag(P, &L->end_raw, te, "endraw", &ee);
        if (e != NONE) {
            skip_to(P, te);
            advance(P, e, true, M_VERB);
            skip_to(P, ee);
            return true;
        }
    } else if (bk_str_eq(name, "highlight")) {
        e = find_end_tag(P, &L->end_highlight, te, "endhighlight", &ee);
        if (e != NONE) {
            bk_buf fence = BK_BUF_INIT;
            hl_open(P, te, fence_lang(args), e, &fence);
            code_copy(P, e, true);
            hl_close(P, ee, &fence);
            bk_buf_release(&fence);
            return true;
        }
    } else if (bk_str_eq(name, "comment") || bk_str_eq(name, "capture")) {
        bool comment = name.p[1] == 'o';
        e = find_end_tag(P, comment ? &L->end_comment : &L->end_capture, te,
                         comment ? "endcomment" : "endcapture", &ee);
        if (e != NONE) {
            if (!comment) {
                size_t k = 0;
                while (k < args.len && !is_ws(args.p[k]))
                    k++;
                BK_GROW(L->caps, L->capcaps, L->ncaps + 1);
                L->caps[L->ncaps++] = (lq_capture){ { args.p, k }, te, e, NULL, 0 };
            }
            skip_to(P, ee);
            return true;
        }
    } else if (bk_str_eq(name, "assign")) {
        skip_to(P, te);
        return true;
    } else if (bk_str_eq(name, "post_url") || bk_str_eq(name, "link")) {
        bk_buf url = BK_BUF_INIT;
        bk_buf_adds(&url, name.p[0] == 'p' ? "bookify:post/" : "bookify:link/");
        url_encode(&url, unquote(args));
        gen(P, url.ptr, url.len, M_VERB, here(P));
        bk_buf_release(&url);
        skip_to(P, te);
        return true;
    } else if (bk_str_starts(name, "end") || bk_str_eq(name, "else") ||
               bk_str_eq(name, "elsif") || bk_str_eq(name, "when")) {
        skip_to(P, te);
        return true;
    }
    /* Any other tag, or a block tag never closed: its markup goes, its
     * content stays, and the caller hears about it. */
    add_drop(P, BK_DROP_LIQUID_TAG, name, i);
    skip_to(P, te);
    return true;
}

static void lq_pass(pm_pass *P)
{
    lq_ctx L = { PM_SEEK_INIT, PM_SEEK_INIT, PM_SEEK_INIT, PM_SEEK_INIT, PM_SEEK_INIT,
                 PM_SEEK_INIT, PM_SEEK_INIT, NULL, 0, 0, 0 };
    const char *p = P->in.p;
    size_t n = P->in.len;
    while (P->pos < n) {
        size_t i = P->pos, j = i + 1;
        unsigned char f = fl_at(P, i) & F_CODE;
        if (f) {
            while (j < n && (fl_at(P, j) & F_CODE) == f)
                j++;
            code_copy(P, j, f == F_BLOCK);
            continue;
        }
        if (mask_at(P, i) & M_VERB) {
            while (j < n && (mask_at(P, j) & M_VERB))
                j++;
            copy_to(P, j);
            continue;
        }
        if (p[i] == '{' && j < n &&
            ((p[j] == '%' && lq_tag(P, &L)) || (p[j] == '{' && lq_output(P, &L))))
            continue;
        while (j < n && p[j] != '{' && plain_at(P, j))
            j++;
        copy_to(P, j);
    }
    for (size_t i = 0; i < L.ncaps; i++)
        free(L.caps[i].text);
    free(L.caps);
}

/* ------------------------------------------------------------------------ */
/* kramdown: attribute lists, extensions, abbreviations, TOC                */
/* ------------------------------------------------------------------------ */

typedef struct kd_ctx {
    pm_seek brace, end_comment, end_nomd;
    size_t list_out; /* output offset where the list-item lines just before
                      * began, NONE when the last line was no list item */
} kd_ctx;

/* Is the whole-line text [a, b) an attribute list "{:...}"? *body: inside
 * the braces, trimmed; *raw: the same untrimmed. */
static bool ial_line(const char *p, size_t a, size_t b, bk_str *body, bk_str *raw)
{
    bk_str s = bk_str_trim(slice(p, a, b));
    if (s.len < 3 || s.p[0] != '{' || s.p[1] != ':' || s.p[s.len - 1] != '}' || s.p[2] == ':' ||
        s.p[2] == '/')
        return false;
    *raw = (bk_str){ s.p + 2, s.len - 3 };
    if (memchr(raw->p, '}', raw->len))
        return false;
    *body = bk_str_trim(*raw);
    return true;
}

/* An attribute list definition "{:name: ...}" names itself first. */
static bool is_ald(bk_str raw)
{
    size_t k = 0;
    while (k < raw.len && (is_word(raw.p[k]) || raw.p[k] == '-'))
        k++;
    return k > 0 && k < raw.len && raw.p[k] == ':';
}

/* Is [ , ]"*[ABBR]: title" at c? */
static bool abbr_line(const char *p, size_t c, size_t le, bk_str *abbr, bk_str *title)
{
    if (le - c < 5 || p[c] != '*' || p[c + 1] != '[')
        return false;
    const char *rb = memchr(p + c + 2, ']', le - c - 2);
    if (!rb || rb == p + c + 2 || (size_t)(rb - p) + 1 >= le || rb[1] != ':')
        return false;
    *abbr = slice(p, c + 2, (size_t)(rb - p));
    *title = bk_str_trim(slice(p, (size_t)(rb - p) + 2, le));
    return true;
}

/* Remove the markup [pos, b); when it stood alone on its line, the line goes
 * too. */
static void kd_remove(pm_pass *P, size_t b)
{
    size_t st, n = P->in.len, le = eol_of(P, b);
    /* The input side first: it stops at the first non-blank, while the
     * output side could rescan a long line of blanks each time. */
    bool alone = blank_range(P->in.p, b, le) && tail_only(P->out, " \t", &st);
    skip_to(P, b);
    if (alone) {
        doc_truncate(P->out, st);
        skip_to(P, le < n ? le + 1 : le);
    }
}

/* The next "{:/}" or "{:/name}" at or after from. */
static size_t kd_find_end(const pm_pass *P, pm_seek *s, size_t from, bk_str name, size_t *end)
{
    if (!seek_cached(s, from)) {
        const char *p = P->in.p;
        size_t n = P->in.len, q = from;
        s->from = from;
        s->at = s->end = NONE;
        while (n - q >= 4) {
            const char *h = memchr(p + q, '{', n - q - 3);
            if (!h)
                break;
            q = (size_t)(h - p);
            if (p[q + 1] == ':' && p[q + 2] == '/') {
                size_t i = q + 3;
                if (n - i > name.len && memcmp(p + i, name.p, name.len) == 0 &&
                    p[i + name.len] == '}')
                    i += name.len;
                if (p[i] == '}') {
                    s->at = q;
                    s->end = i + 1;
                    break;
                }
            }
            q++;
        }
    }
    *end = s->end;
    return s->at;
}

/* Handle the "{:" at pos, before le (the line's end); false to leave it. */
static bool kd_brace(pm_pass *P, kd_ctx *K, size_t le)
{
    const char *p = P->in.p;
    size_t i = P->pos, cb = seek(P, &K->brace, i + 2, "}", false);
    if (cb == NONE || cb >= le || i + 2 >= le)
        return false;
    if (p[i + 2] == '/') { /* a stray end marker */
        kd_remove(P, cb + 1);
        return true;
    }
    if (p[i + 2] != ':') { /* a span attribute list */
        skip_to(P, cb + 1);
        return true;
    }
    size_t j = i + 3;
    while (j < cb && is_alpha(p[j]))
        j++;
    bk_str name = slice(p, i + 3, j);
    bool self = p[cb - 1] == '/';
    if (bk_str_eq(name, "options")) {
        kd_remove(P, cb + 1);
        return true;
    }
    bool comment = bk_str_eq(name, "comment");
    if (!comment && !bk_str_eq(name, "nomarkdown"))
        return false;
    size_t ee, e = self ? NONE
                        : kd_find_end(P, comment ? &K->end_comment : &K->end_nomd, cb + 1, name,
                                      &ee);
    if (e == NONE) {
        kd_remove(P, cb + 1);
    } else if (comment) {
        kd_remove(P, ee);
    } else {
        kd_remove(P, cb + 1);
        advance(P, e, true, M_VERB);
        kd_remove(P, ee);
    }
    return true;
}

/* Span-level work on [pos, le): span attribute lists and extensions. May
 * leave pos past le when an extension spans lines. */
static void kd_inline(pm_pass *P, kd_ctx *K, size_t le)
{
    const char *p = P->in.p;
    while (P->pos < le) {
        size_t i = P->pos, j = i + 1;
        if (!plain_at(P, i)) {
            while (j < le && !plain_at(P, j))
                j++;
            copy_to(P, j);
            continue;
        }
        if (p[i] == '{' && j < le && p[j] == ':' && kd_brace(P, K, le))
            continue;
        while (j < le && p[j] != '{' && plain_at(P, j))
            j++;
        copy_to(P, j);
    }
}

/* An attribute list as a comment the converter reads: "bk-ial BODY" applies
 * to the element before, "bk-ial-next BODY" to the one after. '-' and '%'
 * are percent-encoded, since "--" may not appear in an XML comment. */
static void gen_ial(pm_pass *P, bk_str body, bool next_block, int o)
{
    const char *open = next_block ? "<!--bk-ial-next " : BK_PREMD_IAL;
    gen(P, open, strlen(open), M_VERB, o);
    for (size_t i = 0; i < body.len; i++) {
        if (body.p[i] == '-')
            gen(P, "%2D", 3, M_VERB, o);
        else if (body.p[i] == '%')
            gen(P, "%25", 3, M_VERB, o);
        else
            gen(P, body.p + i, 1, M_VERB, o);
    }
    gen(P, "-->", 3, M_VERB, o);
}

/* Is the input line before the one starting at ls blank (or absent)? */
static bool prev_line_blank(const char *p, size_t ls)
{
    if (ls == 0)
        return true;
    size_t e = ls - 1, s = e;
    while (s > 0 && p[s - 1] != '\n')
        s--;
    for (size_t i = s; i < e; i++)
        if (!is_blank(p[i]))
            return false;
    return true;
}

/* Line-level rules for the line at pos; true when the line was consumed. */
static bool kd_line(pm_pass *P, kd_ctx *K)
{
    const char *p = P->in.p;
    size_t ls = P->pos, le = line_end(&P->in, ls), n = P->in.len;
    size_t next = le < n ? le + 1 : n, lead = lead_end(P, NULL), ind;
    bk_str body, raw, abbr, title;
    int o = here(P);
    if (abbr_line(p, lead, le, &abbr, &title)) {
        bk_premd *r = P->r;
        BK_GROW(r->abbrs, P->caps->abbrs, r->nabbrs + 1);
        r->abbrs[r->nabbrs++] = (bk_premd_abbr){ bk_xstrndup(abbr.p, abbr.len),
                                                 bk_xstrndup(title.p, title.len) };
        skip_to(P, next);
        return true;
    }
    if (ial_line(p, lead, le, &body, &raw)) {
        if (bk_str_eq(body, "toc")) {
            /* kramdown replaces the list before {:toc} with a table of
             * contents; the book has its own. */
            if (K->list_out != NONE)
                doc_truncate(P->out, K->list_out);
        } else if (!is_ald(raw)) {
            /* kramdown: right after a block it applies to that block;
             * after a blank line, to the block that follows. */
            bool next_block = prev_line_blank(p, ls);
            copy_to(P, lead);
            gen_ial(P, body, next_block, o);
            skip_to(P, le);
            copy_to(P, next);
        }
        skip_to(P, next);
        K->list_out = NONE;
        return true;
    }
    size_t c = indent_of(p, ls, le, &ind);
    if (ind <= 3 && list_marker(p, c, le)) {
        if (K->list_out == NONE)
            K->list_out = P->out->text.len;
    } else {
        K->list_out = NONE;
    }
    if (ind <= 3 && atx_heading(p, c, le)) {
        /* "# Header {#id}": the id goes to an attribute line after it. */
        bk_str t = bk_str_trim(slice(p, c, le));
        const char *ob = t.len ? memchr(t.p, '{', t.len) : NULL;
        while (ob) {
            const char *more = memchr(ob + 1, '{', (size_t)(t.p + t.len - ob) - 1);
            if (!more)
                break;
            ob = more;
        }
        if (ob && t.p[t.len - 1] == '}' && ob[1] == '#' && plain_at(P, (size_t)(ob - p))) {
            size_t bs = (size_t)(ob - p);
            bk_str id = bk_str_trim(slice(p, bs + 1, (size_t)(t.p + t.len - p) - 1));
            size_t te = bs;
            while (te > c && is_blank(p[te - 1]))
                te--;
            kd_inline(P, K, te);
            if (P->pos == te) {
                skip_to(P, le);
                gens(P, "\n", o);
                gen(P, p + ls, lead - ls, 0, o);
                bk_buf idb = BK_BUF_INIT;
                bk_buf_addc(&idb, '#');
                bk_buf_add(&idb, id.p + (id.len && id.p[0] == '#'), id.len - (id.len && id.p[0] == '#'));
                gen_ial(P, (bk_str){ idb.ptr, idb.len }, false, o);
                bk_buf_release(&idb);
                copy_to(P, next);
                return true;
            }
        }
    }
    return false;
}

/* ------------------------------------------------------------------------ */
/* kramdown HTML blocks                                                     */
/* ------------------------------------------------------------------------ */

/* kramdown reads an HTML block from its start tag to the matching end tag,
 * blank and indented lines included, as Jekyll sites were written for.
 * CommonMark ends the block at the first blank line, and the indented lines
 * after it become code. So blank lines inside such a block become empty
 * comments: cmark then sees one block, as kramdown did. */
static const char *const hb_tags[] = { "table", "div", "figure", "details", "section",
                                       "aside", "blockquote", "dl", "ul", "ol", "center",
                                       "nav", "header", "footer", "article", "video",
                                       "audio", "iframe", "object", "form", "fieldset" };

/* Index+1 of the block tag that opens the line [ls, le) (up to three
 * spaces in), or 0. */
static size_t hb_start(const char *p, size_t ls, size_t le)
{
    size_t i = ls;
    while (i < le && i - ls < 3 && p[i] == ' ')
        i++;
    if (i >= le || p[i] != '<')
        return 0;
    for (size_t t = 0; t < BK_ARRAY_LEN(hb_tags); t++) {
        size_t n = strlen(hb_tags[t]);
        if (le - i - 1 < n)
            continue;
        bool same = true;
        for (size_t k = 0; k < n && same; k++)
            same = (char)(p[i + 1 + k] | 0x20) == hb_tags[t][k];
        char after = i + 1 + n < le ? p[i + 1 + n] : '\n';
        if (same && (is_ws(after) || after == '>' || after == '\n'))
            return t + 1;
    }
    return 0;
}

/* Change in nesting of tag over [a, b): +1 per "<tag", -1 per "</tag". */
static int hb_count(const char *p, size_t a, size_t b, const char *tag)
{
    size_t n = strlen(tag);
    int depth = 0;
    for (size_t i = a; i + n + 1 < b; i++) {
        if (p[i] != '<')
            continue;
        bool close = p[i + 1] == '/';
        size_t s = i + 1 + close;
        if (s + n > b)
            continue;
        bool same = true;
        for (size_t k = 0; k < n && same; k++)
            same = (char)(p[s + k] | 0x20) == tag[k];
        char after = s + n < b ? p[s + n] : ' ';
        if (same && (is_ws(after) || after == '>' || after == '/'))
            depth += close ? -1 : 1;
    }
    return depth;
}

#define HB_MAX_LINES 5000 /* no block is longer; bounds the search */

static void hb_pass(pm_pass *P)
{
    const char *p = P->in.p;
    size_t n = P->in.len;
    while (P->pos < n) {
        size_t ls = P->pos, le = line_end(&P->in, ls), next = le < n ? le + 1 : n;
        size_t t = plain_at(P, ls) ? hb_start(p, ls, le) : 0;
        if (!t) {
            copy_to(P, next);
            continue;
        }
        /* Find the line where the tag's nesting returns to zero. */
        const char *tag = hb_tags[t - 1];
        int depth = 0;
        size_t q = ls, stop = NONE;
        for (int lines = 0; q < n && lines < HB_MAX_LINES; lines++) {
            size_t qe = line_end(&P->in, q);
            depth += hb_count(p, q, qe, tag);
            if (depth <= 0) {
                stop = qe;
                break;
            }
            q = qe < n ? qe + 1 : n;
        }
        if (stop == NONE || stop == le) {
            copy_to(P, next);
            continue;
        }
        while (P->pos <= stop && P->pos < n) {
            size_t a = P->pos, b = line_end(&P->in, a);
            if (blank_range(p, a, b) && b < n && !(mask_at(P, b) & M_VERB)) {
                skip_to(P, b);
                gens(P, "<!---->", here(P));
            }
            copy_to(P, b < n ? b + 1 : n);
        }
    }
}

static void kd_pass(pm_pass *P)
{
    kd_ctx K = { PM_SEEK_INIT, PM_SEEK_INIT, PM_SEEK_INIT, NONE };
    size_t n = P->in.len;
    while (P->pos < n) {
        size_t ls = P->pos, le = line_end(&P->in, ls);
        if (ls == P->bol && (fl_at(P, ls) & F_BLOCK)) {
            copy_to(P, le < n ? le + 1 : n);
            K.list_out = NONE;
            continue;
        }
        if (ls == P->bol && !(mask_at(P, ls) & M_VERB) && kd_line(P, &K))
            continue;
        if (P->pos < le)
            kd_inline(P, &K, le);
        if (P->pos == le)
            copy_to(P, le < n ? le + 1 : n);
    }
}

/* ------------------------------------------------------------------------ */
/* kramdown: definition lists                                               */
/* ------------------------------------------------------------------------ */

/* Could the line at q be a definition term: plain paragraph text? */
static bool dl_term(const pm_pass *P, size_t q)
{
    const char *p = P->in.p;
    size_t n = P->in.len, ind;
    if (q >= n || (fl_at(P, q) & F_BLOCK) || (mask_at(P, q) & M_VERB))
        return false;
    size_t le = line_end(&P->in, q), c = indent_of(p, q, le, &ind);
    if (c == le || ind > 3 || !p[c] || strchr(">|<:", p[c]) || list_marker(p, c, le) ||
        atx_heading(p, c, le))
        return false;
    size_t k = c;
    while (k < le && p[k] && (strchr("-=*_~`", p[k]) || is_blank(p[k])))
        k++;
    return k < le; /* not a rule, an underline or a fence */
}

/* Is the line at q a definition ": text"? *content: where its text starts;
 * *cind: that text's column. */
static bool dl_def(const pm_pass *P, size_t q, size_t *content, size_t *cind)
{
    const char *p = P->in.p;
    size_t n = P->in.len, ind;
    if (q >= n || (fl_at(P, q) & F_BLOCK) || (mask_at(P, q) & M_VERB))
        return false;
    size_t le = line_end(&P->in, q), c = indent_of(p, q, le, &ind);
    if (ind > 3 || c + 1 >= le || p[c] != ':' || !is_blank(p[c + 1]))
        return false;
    size_t cols;
    *content = indent_of(p, c + 1, le, &cols);
    *cind = ind + 1 + cols;
    return true;
}

/* Past the first cols columns of blanks of the line at q. */
static size_t dl_dedent(const char *p, size_t q, size_t le, size_t cols)
{
    size_t c = 0;
    while (q < le && is_blank(p[q]) && c < cols) {
        c = p[q] == '\t' ? c + 4 - c % 4 : c + 1;
        q++;
    }
    return q;
}

/* Copy one definition, starting at its ": " line at pos, into a <dd>. */
static void dl_dd(pm_pass *P, size_t content, size_t cind)
{
    const char *p = P->in.p;
    size_t n = P->in.len, dc, di;
    gens(P, "<dd>\n\n", here(P));
    skip_to(P, content);
    copy_to(P, next_line(&P->in, content));
    for (;;) {
        size_t q = P->pos, ind;
        if (q >= n)
            break;
        size_t le = line_end(&P->in, q), c = indent_of(p, q, le, &ind);
        if (c == le) {
            /* Blank lines belong to the definition when indented text follows. */
            size_t r = q;
            while (r < n && line_blank(&P->in, r))
                r = next_line(&P->in, r);
            size_t rc = r < n ? indent_of(p, r, line_end(&P->in, r), &ind) : r;
            if (r < n && rc > r && !dl_def(P, r, &dc, &di)) {
                copy_to(P, r);
                continue;
            }
            break;
        }
        if (ind >= 1) {
            skip_to(P, dl_dedent(p, q, le, cind));
            copy_to(P, next_line(&P->in, q));
            continue;
        }
        if (dl_def(P, q, &dc, &di))
            break;
        /* Flush-left text: the next terms if a definition follows them, else
         * lazy continuation lines. */
        size_t r = q;
        while (dl_term(P, r))
            r = next_line(&P->in, r);
        if (r == q || dl_def(P, r, &dc, &di))
            break;
        copy_to(P, r);
    }
    int o = prev_here(P);
    if (!at_bol(P->out))
        gens(P, "\n", o);
    gens(P, "\n</dd>\n", o);
}

/* Turn the definition list whose terms run from pos to terms_end into HTML
 * blocks with Markdown between them. */
static void dl_emit(pm_pass *P, size_t terms_end)
{
    const char *p = P->in.p;
    size_t n = P->in.len, content, cind;
    gens(P, "<dl>\n", here(P));
    for (;;) {
        while (P->pos < terms_end) {
            size_t le = line_end(&P->in, P->pos), ind;
            int o = here(P);
            gens(P, "<dt>\n\n", o);
            skip_to(P, indent_of(p, P->pos, le, &ind));
            copy_to(P, le);
            gens(P, "\n\n</dt>\n", o);
            skip_to(P, next_line(&P->in, le));
        }
        while (dl_def(P, P->pos, &content, &cind))
            dl_dd(P, content, cind);
        /* Another group after blank lines: more definitions, or terms with
         * definitions. */
        size_t r = P->pos, t;
        while (r < n && line_blank(&P->in, r))
            r = next_line(&P->in, r);
        if (dl_def(P, r, &content, &cind)) {
            skip_to(P, r);
            continue;
        }
        for (t = r; dl_term(P, t);)
            t = next_line(&P->in, t);
        if (t > r && dl_def(P, t, &content, &cind)) {
            skip_to(P, r);
            terms_end = t;
            continue;
        }
        break;
    }
    int o = prev_here(P);
    gens(P, "</dl>\n", o);
    if (P->pos < n && !line_blank(&P->in, P->pos))
        gens(P, "\n", o); /* or the next line would join the HTML block */
}

static void dl_pass(pm_pass *P)
{
    const char *p = P->in.p;
    size_t n = P->in.len, content, cind, ind;
    bool may_start = true; /* the previous line ends any paragraph */
    while (P->pos < n) {
        size_t ls = P->pos, le = line_end(&P->in, ls);
        if (may_start && dl_term(P, ls)) {
            size_t r = ls;
            while (dl_term(P, r))
                r = next_line(&P->in, r);
            if (dl_def(P, r, &content, &cind)) {
                dl_emit(P, r);
                may_start = true;
            } else {
                copy_to(P, r);
                may_start = false;
            }
            continue;
        }
        size_t c = indent_of(p, ls, le, &ind);
        may_start = c == le || (fl_at(P, ls) & F_BLOCK) || (ind <= 3 && atx_heading(p, c, le));
        copy_to(P, le < n ? le + 1 : n);
    }
}

/* ------------------------------------------------------------------------ */
/* Maths                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct mt_ctx {
    /* A search for the closer of \( \[ $$ failed at this point: an opener
     * before it cannot succeed either. */
    size_t paren_fail, brack_fail, dollars_fail;
} mt_ctx;

/* Does the newline at q start a blank line (or the end)? Maths never crosses
 * a paragraph break. */
static bool para_break(const char *p, size_t n, size_t q)
{
    size_t r = q + 1;
    while (r < n && is_blank(p[r]))
        r++;
    return r >= n || p[r] == '\n';
}

/* The closing '$' of the inline formula opened at i, or NONE (pandoc's
 * tex_math_dollars: no blank after the opener or before the closer, no digit
 * after the closer, backslash escapes). The search stops at the first
 * unescaped '$', so consecutive searches never overlap. */
static size_t scan_dollar(const pm_pass *P, size_t i)
{
    const char *p = P->in.p;
    size_t n = P->in.len, q = i + 1;
    if (q >= n || is_ws(p[q]))
        return NONE;
    while (q < n && plain_at(P, q)) {
        char c = p[q];
        if (c == '$')
            return q + 1 < n && is_digit(p[q + 1]) ? NONE : q;
        if (c == '\\') {
            q += 2;
        } else if (is_ws(c)) {
            for (; q < n && is_ws(p[q]); q++)
                if (p[q] == '\n' && para_break(p, n, q))
                    return NONE;
            if (q < n && p[q] == '$')
                return NONE;
        } else {
            q++;
        }
    }
    return NONE;
}

/* Where "close" (two bytes, the first a '\\' or '$') ends the formula opened
 * at i by a two-byte delimiter; for \( a backslash escapes the next byte. */
static size_t scan_pair(const pm_pass *P, size_t *fail, size_t i, char c0, char c1, bool escapes)
{
    const char *p = P->in.p;
    size_t n = P->in.len, q = i + 2;
    if (i < *fail)
        return NONE;
    while (q + 1 < n && plain_at(P, q)) {
        if (p[q] == c0 && p[q + 1] == c1 && plain_at(P, q + 1)) {
            if (q == i + 2)
                break; /* empty */
            return q;
        }
        if (p[q] == '\n' && para_break(p, n, q))
            break;
        q += escapes && p[q] == '\\' ? 2 : 1;
    }
    *fail = q < n ? q : n;
    return NONE;
}

/* Copy of the TeX [a, b); inside a blockquote (depth '>' markers on the
 * opening line) the markers that continue it are left out. */
static char *tex_dup(const char *p, size_t a, size_t b, int depth)
{
    bk_buf t = BK_BUF_INIT;
    while (a < b) {
        const char *nl = memchr(p + a, '\n', b - a);
        size_t k = nl ? (size_t)(nl - p) + 1 : b;
        bk_buf_add(&t, p + a, k - a);
        a = k;
        for (int d = 0; nl && d < depth && a < b; d++) {
            size_t q = a;
            while (q < b && is_blank(p[q]))
                q++;
            if (q >= b || p[q] != '>')
                break;
            a = q + 1 < b && p[q + 1] == ' ' ? q + 2 : q + 1;
        }
    }
    return bk_buf_detach(&t);
}

/* Replace the formula [pos, oe), with TeX [cs, ce), by its placeholder. A
 * display formula alone on its lines gets a paragraph of its own. */
static void mt_emit(pm_pass *P, size_t cs, size_t ce, size_t oe, bool display, bool dollars)
{
    const char *p = P->in.p;
    size_t os = P->pos, n = P->in.len, le = eol_of(P, oe), pre = os - P->bol, st;
    int o = here(P), depth;
    bool own = lead_end(P, &depth) >= os && display && blank_range(p, oe, le) &&
               tail_only(P->out, " \t>", &st) && P->out->text.len - st == pre;
    if (!own && dollars && (P->flags & BK_PREMD_KRAMDOWN))
        display = false; /* kramdown: $$ in running text is inline maths */
    bk_premd *r = P->r;
    size_t idx = r->nmath;
    BK_GROW(r->math, P->caps->math, r->nmath + 1);
    r->math[r->nmath++] = (bk_premd_math){ tex_dup(p, cs, ce, depth), display, o };
    char ph[48];
    int k = snprintf(ph, sizeof ph, "%s%zu%s",
                     display ? BK_PREMD_MATH_DISPLAY : BK_PREMD_MATH_INLINE, idx,
                     BK_PREMD_MATH_END);
    BK_ASSERT(k > 0 && (size_t)k < sizeof ph);
    if (!own) {
        skip_to(P, oe);
        gen(P, ph, (size_t)k, M_VERB, o);
        return;
    }
    /* The quote markers of the line, without trailing blanks, make the blank
     * lines around the paragraph. */
    size_t qlen = pre;
    while (qlen && is_blank(p[P->bol + qlen - 1]))
        qlen--;
    bk_str quote = { p + P->bol, qlen };
    doc_truncate(P->out, st);
    size_t ps;
    if (st > 0) {
        bk_buf *t = &P->out->text;
        ps = st - 1;
        while (ps > 0 && t->ptr[ps - 1] != '\n')
            ps--;
        size_t i = ps;
        while (i < st - 1 && (is_blank(t->ptr[i]) || t->ptr[i] == '>'))
            i++;
        if (i < st - 1) {
            gen(P, quote.p, quote.len, 0, o);
            gens(P, "\n", o);
        }
    }
    gen(P, p + P->bol, pre, 0, o);
    gen(P, ph, (size_t)k, M_VERB, o);
    gens(P, "\n", o);
    skip_to(P, oe);
    int oc = here(P);
    skip_to(P, le < n ? le + 1 : le);
    if (P->pos < n) {
        size_t q = P->pos, e = line_end(&P->in, q);
        while (q < e && (is_blank(p[q]) || p[q] == '>'))
            q++;
        if (q < e) {
            gen(P, quote.p, quote.len, 0, oc);
            gens(P, "\n", oc);
        }
    }
}

static void mt_pass(pm_pass *P)
{
    mt_ctx M = { 0, 0, 0 };
    const char *p = P->in.p;
    size_t n = P->in.len;
    while (P->pos < n) {
        size_t i = P->pos, j = i + 1, e;
        if (!plain_at(P, i)) {
            while (j < n && !plain_at(P, j))
                j++;
            copy_to(P, j);
            continue;
        }
        if (p[i] == '\\' && j < n && plain_at(P, j)) {
            if (p[j] == '(' && (e = scan_pair(P, &M.paren_fail, i, '\\', ')', true)) != NONE)
                mt_emit(P, i + 2, e, e + 2, false, false);
            else if (p[j] == '[' && (e = scan_pair(P, &M.brack_fail, i, '\\', ']', false)) != NONE)
                mt_emit(P, i + 2, e, e + 2, true, false);
            else
                copy_to(P, is_punct(p[j]) ? i + 2 : i + 1); /* \$ is a dollar */
            continue;
        }
        if (p[i] == '$' && j < n && p[j] == '$') {
            if ((e = scan_pair(P, &M.dollars_fail, i, '$', '$', false)) != NONE)
                mt_emit(P, i + 2, e, e + 2, true, true);
            else
                copy_to(P, i + 2);
            continue;
        }
        if (p[i] == '$') {
            if ((e = scan_dollar(P, i)) != NONE)
                mt_emit(P, i + 1, e, e + 1, false, true);
            else
                copy_to(P, i + 1);
            continue;
        }
        while (j < n && p[j] != '\\' && p[j] != '$' && plain_at(P, j))
            j++;
        copy_to(P, j);
    }
}

/* ------------------------------------------------------------------------ */
/* The chain                                                                */
/* ------------------------------------------------------------------------ */

static void copy_pass(pm_pass *P)
{
    copy_to(P, P->in.len);
}

typedef void pm_pass_fn(pm_pass *P);

enum { CODE_NONE, CODE_TEXT, CODE_HTML }; /* what a pass needs classified */

typedef struct pm_chain {
    bk_premd *r;
    unsigned flags;
    pm_caps caps;
    pm_scratch scratch;
    pm_doc docs[2]; /* the last pass's output, and the next one's */
    int cur;        /* index of the last output; -1 before the first pass */
    pm_view in;     /* what the next pass reads */
} pm_chain;

static void chain_run(pm_chain *c, pm_pass_fn *run, int code)
{
    int nx = c->cur == 0 ? 1 : 0;
    doc_release(&c->docs[nx]); /* the input of the pass before, no longer read */
    unsigned char *fl = NULL;
    if (code != CODE_NONE) {
        fl = bk_xmalloc(c->in.len);
        mark_code(&c->in, fl, code == CODE_HTML, &c->scratch);
    }
    pm_pass P = { .in = c->in,     .out = &c->docs[nx], .r = c->r, .caps = &c->caps,
                  .flags = c->flags, .fl = fl,          .col = 1,  .col_bol = NONE,
                  .lead_bol = NONE,  .eol = PM_SEEK_INIT };
    run(&P);
    free(fl);
    c->cur = nx;
    c->in = doc_view(&c->docs[nx]);
}

/* Idle passes. A pass acts only where one of its openers is: shortcodes
 * and Liquid at '{', kramdown's HTML blocks at '<', its attribute lists,
 * extensions and header ids at '{' and its abbreviations at "*[", a
 * definition at a line that starts with ':', maths at '$' or a backslash.
 * A text with none of them comes out of the pass as it went in (text,
 * mask and line map), so the pass and its code classification are not
 * run: most posts have no Liquid, no maths and no definition list, and
 * each pass copied the whole post. BOOKIFY_PREMD_CHECK=1 runs them anyway
 * and aborts when one changed what it was said to leave (the tests). */
static bool has_byte(const pm_view *v, char c)
{
    return v->len && memchr(v->p, c, v->len) != NULL;
}

static bool no_brace(const pm_view *v)
{
    return !has_byte(v, '{');
}

static bool no_html(const pm_view *v)
{
    return !has_byte(v, '<');
}

static bool no_kramdown(const pm_view *v)
{
    return !has_byte(v, '{') && !(v->len && memmem(v->p, v->len, "*[", 2));
}

static bool no_definition(const pm_view *v)
{
    for (size_t i = 0; i < v->len; i = next_line(v, i)) {
        size_t c = i;
        while (c < v->len && is_blank(v->p[c]))
            c++;
        if (c < v->len && v->p[c] == ':')
            return false;
        if (next_line(v, i) == i)
            break;
    }
    return true;
}

static bool no_math(const pm_view *v)
{
    return !has_byte(v, '$') && !has_byte(v, '\\');
}

static atomic_size_t passes_skipped, passes_run;

void bk_premd_counts(size_t *skipped, size_t *run)
{
    *skipped = atomic_load(&passes_skipped);
    *run = atomic_load(&passes_run);
}

static bool views_same(const pm_view *a, const pm_view *b)
{
    if (a->len != b->len || (a->len && memcmp(a->p, b->p, a->len) != 0))
        return false;
    for (size_t i = 0; i < a->len; i++)
        if ((a->mask ? a->mask[i] : 0) != (b->mask ? b->mask[i] : 0))
            return false;
    size_t nl = a->nlines > b->nlines ? a->nlines : b->nlines;
    for (size_t i = 0; i < nl; i++)
        if (view_line(a, i) != view_line(b, i))
            return false;
    return true;
}

int bk_premd_run(bk_premd *r, const char *body, size_t len, unsigned flags)
{
    static const struct {
        unsigned flag;
        pm_pass_fn *run;
        int code;
        bool (*idle)(const pm_view *v);
        const char *name;
    } passes[] = {
        { BK_PREMD_SHORTCODES, sc_pass, CODE_NONE, no_brace, "shortcodes" },
        { BK_PREMD_LIQUID, lq_pass, CODE_TEXT, no_brace, "Liquid" },
        { BK_PREMD_KRAMDOWN, hb_pass, CODE_TEXT, no_html, "HTML blocks" },
        { BK_PREMD_KRAMDOWN, kd_pass, CODE_HTML, no_kramdown, "kramdown" },
        { BK_PREMD_KRAMDOWN, dl_pass, CODE_HTML, no_definition, "definition lists" },
        { BK_PREMD_MATH, mt_pass, CODE_HTML, no_math, "maths" },
    };
    static int check;
    bk_premd_release(r);
    if (!len)
        body = "";
    size_t nl = 0;
    for (const char *q = body, *end = body + len; q < end; nl++) {
        const char *e = memchr(q, '\n', (size_t)(end - q));
        q = e ? e + 1 : end;
    }
    pm_chain c = { .r = r, .flags = flags, .cur = -1, .in = { body, len, NULL, NULL, nl } };
    doc_init(&c.docs[0]);
    doc_init(&c.docs[1]);
    for (size_t i = 0; i < BK_ARRAY_LEN(passes); i++) {
        if (!(flags & passes[i].flag))
            continue;
        bool idle = passes[i].idle(&c.in);
        if (idle && !bk_env_on("BOOKIFY_PREMD_CHECK", &check)) {
            atomic_fetch_add(&passes_skipped, 1);
            continue;
        }
        atomic_fetch_add(&passes_run, 1);
        pm_view before = c.in;
        chain_run(&c, passes[i].run, passes[i].code);
        if (idle && !views_same(&before, &c.in)) {
            fprintf(stderr, "bookify bug: the %s pass changed a text it had nothing to do in\n",
                    passes[i].name);
            abort();
        }
    }
    if (c.cur < 0)
        chain_run(&c, copy_pass, CODE_NONE);
    pm_doc *out = &c.docs[c.cur];
    r->md = out->text;
    r->line_map = out->lines;
    r->nlines = out->nlines;
    bk_buf_release(&out->mask);
    doc_release(&c.docs[!c.cur]);
    free(c.scratch.runs);
    free(c.scratch.last);
    return 0;
}

void bk_premd_release(bk_premd *r)
{
    if (!r)
        return;
    bk_buf_release(&r->md);
    free(r->line_map);
    for (size_t i = 0; i < r->nmath; i++)
        free(r->math[i].tex);
    free(r->math);
    for (size_t i = 0; i < r->ndropped; i++)
        free(r->dropped[i].name);
    free(r->dropped);
    for (size_t i = 0; i < r->nabbrs; i++) {
        free(r->abbrs[i].abbr);
        free(r->abbrs[i].title);
    }
    free(r->abbrs);
    *r = (bk_premd)BK_PREMD_INIT;
}
