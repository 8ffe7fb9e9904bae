/* order.c -- reading order, parts and unique slugs (see order.h). */
#include "bookify/order.h"

#include <stdlib.h>
#include <string.h>

#include "bookify/banned.h"

static int cmp_path(const bk_post *a, const bk_post *b)
{
    return strcmp(a->path, b->path);
}

/* Dated posts by instant, then undated ones; ties by path. */
static int cmp_date(const void *x, const void *y)
{
    const bk_post *a = *(bk_post *const *)x, *b = *(bk_post *const *)y;
    if (a->date.valid != b->date.valid)
        return a->date.valid ? -1 : 1;
    if (a->date.valid) {
        int c = bk_date_cmp(&a->date, &b->date);
        if (c)
            return c;
    }
    return cmp_path(a, b);
}

static int cmp_date_desc(const void *x, const void *y)
{
    const bk_post *a = *(bk_post *const *)x, *b = *(bk_post *const *)y;
    if (a->date.valid != b->date.valid)
        return a->date.valid ? -1 : 1;
    if (a->date.valid) {
        int c = bk_date_cmp(&b->date, &a->date);
        if (c)
            return c;
    }
    return cmp_path(a, b);
}

static int cmp_title(const void *x, const void *y)
{
    const bk_post *a = *(bk_post *const *)x, *b = *(bk_post *const *)y;
    int c = bk_ascii_casecmp(a->title, b->title);
    if (!c)
        c = strcmp(a->title, b->title);
    return c ? c : cmp_path(a, b);
}

static int cmp_file(const void *x, const void *y)
{
    return cmp_path(*(bk_post *const *)x, *(bk_post *const *)y);
}

/* Does entry (from `order:`) name post? Exact path inside SITE, a path
 * ending in "/entry", or the same base name. */
static int entry_match(const char *entry, const bk_post *post)
{
    while (entry[0] == '.' && entry[1] == '/')
        entry += 2;
    while (entry[0] == '/')
        entry++;
    if (strcmp(entry, post->path) == 0)
        return 3;
    size_t n = strlen(entry), m = strlen(post->path);
    if (m > n && post->path[m - n - 1] == '/' && strcmp(post->path + m - n, entry) == 0)
        return 2;
    return 0;
}

static int order_by_list(bk_book *book, bk_diags *d)
{
    bk_meta *m = &book->meta;
    bk_post **out = bk_xcalloc(book->nposts ? book->nposts : 1, sizeof(*out));
    bool *used = bk_xcalloc(book->nposts ? book->nposts : 1, sizeof(*used));
    size_t nout = 0;
    int rc = 0;
    for (size_t i = 0; i < m->norder_list; i++) {
        const bk_located *e = &m->order_list[i];
        long best = -1;
        int best_score = 0, nbest = 0;
        for (size_t j = 0; j < book->nposts; j++) {
            int s = entry_match(e->value, book->posts[j]);
            if (s > best_score) {
                best = (long)j;
                best_score = s;
                nbest = 1;
            } else if (s && s == best_score) {
                nbest++;
            }
        }
        if (best < 0) {
            rc = bk_error(d, e->loc, "'%s' in 'order' is not a post of this book", e->value);
        } else if (nbest > 1) {
            rc = bk_error(d, e->loc, "'%s' in 'order' names more than one post; give its path",
                          e->value);
        } else if (used[best]) {
            bk_warn(d, e->loc, "'%s' is listed twice in 'order'; the first place is used",
                    e->value);
        } else {
            used[best] = true;
            out[nout++] = book->posts[best];
        }
    }
    for (size_t j = 0; j < book->nposts; j++)
        if (!used[j])
            bk_warn(d, (bk_loc){ book->posts[j]->display, 0, 0 },
                    "not listed in 'order' of the configuration; left out of the book");
    if (nout == 0 && rc == 0)
        rc = bk_error(d, m->order_list ? m->order_list[0].loc : (bk_loc){ book->site, 0, 0 },
                      "'order' names no post: the book would be empty");
    memcpy(book->posts, out, nout * sizeof(*out));
    book->nposts = nout;
    free(out);
    free(used);
    return rc;
}

/* Group posts into parts by first category. Parts follow `parts:` of the
 * configuration, then first appearance in date order; posts without a
 * category come last, outside any part. */
static int order_by_category(bk_book *book, bk_diags *d)
{
    qsort(book->posts, book->nposts, sizeof(*book->posts), cmp_date);
    bk_strv names = { 0 };
    for (size_t i = 0; i < book->meta.parts.len; i++)
        bk_strv_push(&book->arena, &names, book->meta.parts.v[i]);
    size_t listed = names.len;
    for (size_t i = 0; i < book->nposts; i++) {
        bk_post *p = book->posts[i];
        if (!p->categories.len) {
            p->part = -1;
            continue;
        }
        long k = bk_strv_find(&names, p->categories.v[0], true);
        if (k < 0) {
            bk_strv_push(&book->arena, &names, p->categories.v[0]);
            k = (long)names.len - 1;
        }
        p->part = k;
    }
    /* Stable: parts in name order, date order inside, no-part posts last. */
    bk_post **sorted = bk_xcalloc(book->nposts ? book->nposts : 1, sizeof(*sorted));
    size_t n = 0;
    free(book->parts);
    book->parts = bk_xcalloc(names.len ? names.len : 1, sizeof(*book->parts));
    book->nparts = 0;
    for (size_t k = 0; k < names.len; k++) {
        size_t first = n;
        for (size_t i = 0; i < book->nposts; i++)
            if (book->posts[i]->part == (long)k)
                sorted[n++] = book->posts[i];
        if (n == first) {
            /* A part name that matches no post is likely a typo, unless
             * command-line filters emptied it. */
            if (k < listed && !book->filtered)
                bk_warn(d, (bk_loc){ book->site, 0, 0 },
                        "part '%s' of the configuration has no posts; left out", names.v[k]);
            continue;
        }
        bk_part *part = &book->parts[book->nparts];
        part->title = names.v[k];
        part->first = first;
        part->count = n - first;
        for (size_t i = first; i < n; i++)
            sorted[i]->part = (long)book->nparts;
        book->nparts++;
    }
    for (size_t i = 0; i < book->nposts; i++)
        if (book->posts[i]->part < 0)
            sorted[n++] = book->posts[i];
    BK_ASSERT(n == book->nposts);
    memcpy(book->posts, sorted, n * sizeof(*sorted));
    free(sorted);
    return 0;
}

static void unique_slugs(bk_book *book, bk_diags *d)
{
    bk_strmap used = BK_STRMAP_INIT;
    for (size_t i = 0; i < book->nposts; i++) {
        bk_post *p = book->posts[i];
        const char *base = p->slug;
        p->slug = bk_unique_name(&used, &book->arena, base, "", 2);
        if (strcmp(p->slug, base) != 0)
            bk_note(d, (bk_loc){ p->display, 0, 0 }, "slug '%s' is taken; this post is '%s'", base,
                    p->slug);
    }
    bk_strmap_release(&used);
}

int bk_order(bk_book *book, bk_order_mode mode, bk_diags *d)
{
    int rc = 0;
    for (size_t i = 0; i < book->nposts; i++)
        book->posts[i]->part = -1;
    switch (mode) {
    case BK_ORDER_DATE:
        qsort(book->posts, book->nposts, sizeof(*book->posts), cmp_date);
        break;
    case BK_ORDER_DATE_DESC:
        qsort(book->posts, book->nposts, sizeof(*book->posts), cmp_date_desc);
        break;
    case BK_ORDER_TITLE:
        qsort(book->posts, book->nposts, sizeof(*book->posts), cmp_title);
        break;
    case BK_ORDER_FILE:
        qsort(book->posts, book->nposts, sizeof(*book->posts), cmp_file);
        break;
    case BK_ORDER_CATEGORY:
        rc = order_by_category(book, d);
        break;
    case BK_ORDER_LIST:
        rc = order_by_list(book, d);
        break;
    }
    unique_slugs(book, d);
    return rc;
}
