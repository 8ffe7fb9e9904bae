/* diag.c -- the diagnostics list (see diag.h). */
#include "bookify/diag.h"

#include <stdlib.h>
#include <string.h>

#include "bookify/banned.h"

void bk_diags_vadd(bk_diags *d, bk_severity sev, bk_loc loc, const char *fmt, va_list ap)
{
    if (sev == BK_WARNING && d->strict)
        sev = BK_ERROR;
    BK_GROW(d->items, d->cap, d->len + 1);
    bk_diag *g = &d->items[d->len];
    bk_buf msg = BK_BUF_INIT;
    bk_buf_vaddf(&msg, fmt, ap);
    g->severity = sev;
    g->file = loc.file ? bk_xstrdup(loc.file) : NULL;
    g->line = loc.line;
    g->col = loc.line ? loc.col : 0;
    g->message = bk_buf_detach(&msg);
    g->excerpt = NULL;
    g->seq = d->len;
    d->len++;
    if (sev == BK_ERROR)
        d->nerrors++;
    else if (sev == BK_WARNING)
        d->nwarnings++;
}

int bk_error(bk_diags *d, bk_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bk_diags_vadd(d, BK_ERROR, loc, fmt, ap);
    va_end(ap);
    return -1;
}

int bk_warn(bk_diags *d, bk_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bk_diags_vadd(d, BK_WARNING, loc, fmt, ap);
    va_end(ap);
    return d->strict ? -1 : 0;
}

void bk_note(bk_diags *d, bk_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bk_diags_vadd(d, BK_NOTE, loc, fmt, ap);
    va_end(ap);
}

void bk_diags_set_excerpt(bk_diags *d, const char *text, size_t len)
{
    if (!d->len)
        return;
    bk_diag *g = &d->items[d->len - 1];
    free(g->excerpt);
    /* Tabs would misplace the caret: show them as single spaces. */
    char *e = bk_xstrndup(text, len);
    for (char *p = e; *p; p++)
        if (*p == '\t')
            *p = ' ';
    g->excerpt = e;
}

void bk_diags_merge(bk_diags *dst, bk_diags *src)
{
    for (size_t i = 0; i < src->len; i++) {
        BK_GROW(dst->items, dst->cap, dst->len + 1);
        dst->items[dst->len] = src->items[i];
        dst->items[dst->len].seq = dst->len;
        dst->len++;
    }
    dst->nerrors += src->nerrors;
    dst->nwarnings += src->nwarnings;
    free(src->items);
    bool strict = src->strict;
    *src = (bk_diags)BK_DIAGS_INIT;
    src->strict = strict;
}

static int cmp_diag(const void *a, const void *b)
{
    const bk_diag *x = a, *y = b;
    if (!x->file != !y->file)
        return x->file ? -1 : 1;
    if (x->file) {
        int c = strcmp(x->file, y->file);
        if (c)
            return c;
    }
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void bk_diags_sort(bk_diags *d)
{
    if (d->len > 1)
        qsort(d->items, d->len, sizeof(d->items[0]), cmp_diag);
}

static const char *severity_name(bk_severity s)
{
    switch (s) {
    case BK_NOTE:
        return "note";
    case BK_WARNING:
        return "warning";
    case BK_ERROR:
        return "error";
    }
    return "?";
}

/* Notes show with -v only, warnings unless -q. */
static bool shown(const bk_diag *g, unsigned flags)
{
    return !(g->severity == BK_NOTE && !(flags & BK_DIAGS_VERBOSE)) &&
           !(g->severity == BK_WARNING && (flags & BK_DIAGS_QUIET));
}

static void print_count(FILE *f, size_t n, const char *what)
{
    fprintf(f, "%zu %s%s", n, what, n == 1 ? "" : "s");
}

/* The same message about the same file is printed this many times; the
 * rest are counted in one line (-v prints them all): a post with 100,000
 * links to nowhere is one screen, not 100,000 lines. */
#define REPEATS_SHOWN 5

void bk_diags_print(const bk_diags *d, FILE *f, unsigned flags)
{
    size_t shown_warnings = 0;
    /* How often each (severity, file, message) occurs, and how many of
     * those were printed so far. */
    bk_strmap seen = BK_STRMAP_INIT;
    char **keys = bk_xcalloc(d->len ? d->len : 1, sizeof(*keys));
    for (size_t i = 0; i < d->len && !(flags & BK_DIAGS_VERBOSE); i++) {
        const bk_diag *g = &d->items[i];
        bk_buf k = BK_BUF_INIT;
        bk_buf_addf(&k, "%d\x1f%s\x1f%s", (int)g->severity, g->file ? g->file : "", g->message);
        keys[i] = bk_buf_detach(&k);
        bk_strmap_incr(&seen, keys[i]);
    }
    bk_strmap printed = BK_STRMAP_INIT;
    for (size_t i = 0; i < d->len; i++) {
        const bk_diag *g = &d->items[i];
        if (!shown(g, flags))
            continue;
        if (g->severity == BK_WARNING)
            shown_warnings++;
        if (keys[i]) {
            long *total = bk_strmap_lookup(&seen, keys[i]);
            long k = bk_strmap_incr(&printed, keys[i]);
            if (k > REPEATS_SHOWN) {
                if (k == REPEATS_SHOWN + 1)
                    fprintf(f, "%s: %s: and %ld more like this (-v shows them all)\n",
                            g->file ? g->file : "bookify", severity_name(g->severity),
                            *total - REPEATS_SHOWN);
                continue;
            }
        }
        if (g->file) {
            fputs(g->file, f);
            if (g->line) {
                fprintf(f, ":%d", g->line);
                if (g->col)
                    fprintf(f, ":%d", g->col);
            }
            fputs(": ", f);
        } else {
            fputs("bookify: ", f);
        }
        fprintf(f, "%s: %s\n", severity_name(g->severity), g->message);
        if (g->excerpt) {
            fprintf(f, "  %s\n", g->excerpt);
            if (g->col > 0) {
                /* Count columns in characters, not bytes, so the caret sits
                 * under the right character of a UTF-8 line. */
                fputs("  ", f);
                int col = 1;
                for (const unsigned char *p = (const unsigned char *)g->excerpt; *p; p++) {
                    if ((*p & 0xC0) == 0x80)
                        continue;
                    if (col >= g->col)
                        break;
                    fputc(' ', f);
                    col++;
                }
                fputs("^\n", f);
            }
        }
    }
    for (size_t i = 0; i < d->len; i++)
        free(keys[i]);
    free(keys);
    bk_strmap_release(&seen);
    bk_strmap_release(&printed);
    if (d->nerrors || shown_warnings) {
        fputs("bookify: ", f);
        if (d->nerrors) {
            print_count(f, d->nerrors, "error");
            if (shown_warnings)
                fputs(", ", f);
        }
        if (shown_warnings)
            print_count(f, shown_warnings, "warning");
        fputs("\n", f);
    }
}

static void json_string(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void bk_diags_print_json(const bk_diags *d, FILE *f, unsigned flags)
{
    fputc('[', f);
    bool first = true;
    for (size_t i = 0; i < d->len; i++) {
        const bk_diag *g = &d->items[i];
        if (!shown(g, flags))
            continue;
        fputs(first ? "\n" : ",\n", f);
        first = false;
        fputs("{\"file\": ", f);
        json_string(f, g->file);
        fprintf(f, ", \"line\": %d, \"column\": %d, \"severity\": \"%s\", \"message\": ", g->line,
                g->col, severity_name(g->severity));
        json_string(f, g->message);
        fputc('}', f);
    }
    fputs(first ? "]\n" : "\n]\n", f);
}

void bk_diags_release(bk_diags *d)
{
    for (size_t i = 0; i < d->len; i++) {
        free(d->items[i].file);
        free(d->items[i].message);
        free(d->items[i].excerpt);
    }
    free(d->items);
    bool strict = d->strict;
    *d = (bk_diags)BK_DIAGS_INIT;
    d->strict = strict;
}
