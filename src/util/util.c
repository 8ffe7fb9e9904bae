/* util.c -- allocation, slices, buffers and the arena (see util.h). */
#include "bookify/util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bookify/banned.h"

char bk_buf_empty[1];

void bk_bug(const char *file, int line, const char *what)
{
    fprintf(stderr, "bookify: internal error at %s:%d: %s\n", file, line, what);
    abort();
}

static void out_of_memory(size_t size)
{
    fprintf(stderr, "bookify: out of memory allocating %zu bytes\n", size);
    abort();
}

void *bk_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void *bk_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory(n * size);
    return p;
}

void *bk_xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void bk_xgrow(void **ptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap : 8;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem)
            out_of_memory(SIZE_MAX);
        n *= 2;
    }
    *ptr = bk_xrealloc(*ptr, n * elem);
    *cap = n;
}

char *bk_xstrdup(const char *s)
{
    return bk_xstrndup(s, strlen(s));
}

char *bk_xstrndup(const char *s, size_t n)
{
    char *p = bk_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* ---- bk_str ---- */

bk_str bk_str_from(const char *s)
{
    return (bk_str){ s, s ? strlen(s) : 0 };
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bk_str bk_str_trim(bk_str s)
{
    while (s.len && is_space(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && is_space(s.p[s.len - 1]))
        s.len--;
    return s;
}

bool bk_str_eq(bk_str a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && memcmp(a.p, b, n) == 0;
}

bool bk_str_caseeq(bk_str a, const char *b)
{
    size_t n = strlen(b);
    if (a.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (bk_ascii_lower(a.p[i]) != bk_ascii_lower(b[i]))
            return false;
    return true;
}

bool bk_str_starts(bk_str s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && memcmp(s.p, prefix, n) == 0;
}

/* ---- bk_buf ---- */

void bk_buf_init(bk_buf *b)
{
    b->ptr = bk_buf_empty;
    b->len = 0;
    b->cap = 0;
}

void bk_buf_grow(bk_buf *b, size_t extra)
{
    if (extra >= SIZE_MAX - b->len - 1)
        out_of_memory(SIZE_MAX);
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap < SIZE_MAX / 2 ? cap * 2 : need;
    if (b->cap == 0) {
        b->ptr = bk_xmalloc(cap);
        b->ptr[0] = '\0';
    } else {
        b->ptr = bk_xrealloc(b->ptr, cap);
    }
    b->cap = cap;
}

void bk_buf_add(bk_buf *b, const void *data, size_t len)
{
    if (!len)
        return;
    /* most adds are a few bytes into room already there (cairo's output
     * comes a number at a time) */
    if (len >= b->cap - b->len || b->cap == 0)
        bk_buf_grow(b, len);
    memcpy(b->ptr + b->len, data, len);
    b->len += len;
    b->ptr[b->len] = '\0';
}

void bk_buf_adds(bk_buf *b, const char *s)
{
    bk_buf_add(b, s, strlen(s));
}

void bk_buf_addc(bk_buf *b, char c)
{
    bk_buf_grow(b, 1);
    b->ptr[b->len++] = c;
    b->ptr[b->len] = '\0';
}

void bk_buf_vaddf(bk_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    /* room for a short string first: formatted once, not measured first */
    if (b->cap == 0)
        bk_buf_grow(b, 64);
    int n = vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, cp);
    va_end(cp);
    if (n < 0)
        bk_bug(__FILE__, __LINE__, "vsnprintf failed");
    if ((size_t)n >= b->cap - b->len) {
        bk_buf_grow(b, (size_t)n);
        n = vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, ap);
        BK_ASSERT(n >= 0 && (size_t)n < b->cap - b->len);
    }
    b->len += (size_t)n;
}

void bk_buf_addf(bk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bk_buf_vaddf(b, fmt, ap);
    va_end(ap);
}

void bk_buf_reset(bk_buf *b)
{
    b->len = 0;
    if (b->cap)
        b->ptr[0] = '\0';
}

char *bk_buf_detach(bk_buf *b)
{
    char *p = b->cap ? b->ptr : bk_xstrdup("");
    bk_buf_init(b);
    return p;
}

void bk_buf_release(bk_buf *b)
{
    if (b->cap)
        free(b->ptr);
    bk_buf_init(b);
}

void bk_buf_shrink(bk_buf *b)
{
    if (b->cap > b->len + 1) {
        b->ptr = bk_xrealloc(b->ptr, b->len + 1);
        b->cap = b->len + 1;
    }
}

/* ---- bk_arena ---- */

struct bk_arena_block {
    bk_arena_block *next;
    size_t used, size;
    max_align_t data[];
};

#define ARENA_BLOCK 65536

void *bk_arena_alloc(bk_arena *a, size_t size)
{
    size_t align = sizeof(max_align_t);
    size = (size + align - 1) / align * align;
    bk_arena_block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t bsize = size > ARENA_BLOCK / 4 ? size : ARENA_BLOCK;
        b = bk_xmalloc(sizeof(*b) + bsize);
        b->used = 0;
        b->size = bsize;
        if (size > ARENA_BLOCK / 4 && a->head) {
            /* A big allocation gets its own block behind the current one, so
             * the current block's free space is not wasted. */
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    return p;
}

char *bk_arena_strndup(bk_arena *a, const char *s, size_t n)
{
    char *p = bk_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *bk_arena_strdup(bk_arena *a, const char *s)
{
    return s ? bk_arena_strndup(a, s, strlen(s)) : NULL;
}

char *bk_arena_printf(bk_arena *a, const char *fmt, ...)
{
    /* formatted once on the stack, most strings being short; measured
     * first and formatted again only when longer */
    char tmp[256];
    va_list ap, cp;
    va_start(ap, fmt);
    va_copy(cp, ap);
    int n = vsnprintf(tmp, sizeof tmp, fmt, cp);
    va_end(cp);
    if (n < 0)
        bk_bug(__FILE__, __LINE__, "vsnprintf failed");
    char *p;
    if ((size_t)n < sizeof tmp) {
        p = bk_arena_strndup(a, tmp, (size_t)n);
    } else {
        p = bk_arena_alloc(a, (size_t)n + 1);
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    }
    va_end(ap);
    return p;
}

void bk_arena_adopt(bk_arena *dst, bk_arena *src)
{
    bk_arena_block *first = src->head;
    if (!first)
        return;
    src->head = NULL;
    if (!dst->head) {
        dst->head = first;
        return;
    }
    /* behind dst's current block, which keeps its free space */
    bk_arena_block *last = first;
    while (last->next)
        last = last->next;
    last->next = dst->head->next;
    dst->head->next = first;
}

void bk_arena_release(bk_arena *a)
{
    bk_arena_block *b = a->head;
    while (b) {
        bk_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

/* ---- UTF-8 ---- */

size_t bk_utf8_valid_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

/* ---- text helpers ---- */

char bk_ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

int bk_ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)bk_ascii_lower(*a);
        unsigned char y = (unsigned char)bk_ascii_lower(*b);
        if (x != y || !x)
            return (int)x - (int)y;
    }
}

void bk_slugify(bk_buf *out, const char *text, size_t len)
{
    size_t start = out->len;
    bool dash = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x80) {
            if (dash && out->len > start)
                bk_buf_addc(out, '-');
            dash = false;
            bk_buf_addc(out, (char)c);
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && out->len > start)
                bk_buf_addc(out, '-');
            dash = false;
            bk_buf_addc(out, (char)c);
        } else if (c >= 'A' && c <= 'Z') {
            if (dash && out->len > start)
                bk_buf_addc(out, '-');
            dash = false;
            bk_buf_addc(out, (char)(c - 'A' + 'a'));
        } else if (c == '\'') {
            /* "don't" -> "dont", as Jekyll and GitHub do */
        } else {
            dash = true;
        }
    }
}

bool bk_env_on(const char *name, int *state)
{
    int m = state ? __atomic_load_n(state, __ATOMIC_RELAXED) : 0;
    if (!m) {
        const char *v = getenv(name);
        m = v && *v && strcmp(v, "0") != 0 ? 2 : 1;
        if (state)
            __atomic_store_n(state, m, __ATOMIC_RELAXED);
    }
    return m == 2;
}

bool bk_parse_int(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool bk_parse_size(const char *s, size_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || v == 0)
        return false;
    int shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (shift && *end == 'i' && end[1] == 'B')
        end += 2;
    else if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v > (SIZE_MAX >> shift))
        return false;
    *out = (size_t)(v << shift);
    return true;
}

const char *bk_format_size(size_t n, char buf[32])
{
    if (n >= ((size_t)1 << 30) && n % ((size_t)1 << 30) == 0)
        snprintf(buf, 32, "%zu GiB", n >> 30);
    else if (n >= ((size_t)1 << 20) && n % ((size_t)1 << 20) == 0)
        snprintf(buf, 32, "%zu MiB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(buf, 32, "%zu KiB", n >> 10);
    else
        snprintf(buf, 32, "%zu bytes", n);
    return buf;
}

/* ---- bk_strmap ---- */

static size_t hash_str(const char *s)
{
    /* FNV-1a */
    size_t h = (size_t)14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
    return h;
}

static bk_strmap_entry *strmap_slot(const bk_strmap_entry *slots, size_t cap, const char *key)
{
    size_t i = hash_str(key) & (cap - 1);
    while (slots[i].key && strcmp(slots[i].key, key) != 0)
        i = (i + 1) & (cap - 1);
    return (bk_strmap_entry *)&slots[i];
}

long *bk_strmap_lookup(const bk_strmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    bk_strmap_entry *e = strmap_slot(m->slots, m->cap, key);
    return e->key ? &e->value : NULL;
}

void bk_strmap_put(bk_strmap *m, const char *key, long value)
{
    if ((m->len + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        bk_strmap_entry *slots = bk_xcalloc(cap, sizeof(*slots));
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].key)
                *strmap_slot(slots, cap, m->slots[i].key) = m->slots[i];
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    bk_strmap_entry *e = strmap_slot(m->slots, m->cap, key);
    if (!e->key) {
        e->key = key;
        m->len++;
    }
    e->value = value;
}

long bk_strmap_incr(bk_strmap *m, const char *key)
{
    long *n = bk_strmap_lookup(m, key);
    if (n)
        return ++*n;
    bk_strmap_put(m, key, 1);
    return 1;
}

void bk_strmap_release(bk_strmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->len = m->cap = 0;
}

const char *bk_unique_name(bk_strmap *used, bk_arena *a, const char *stem, const char *ext, long first)
{
    size_t ls = strlen(stem), le = strlen(ext);
    char *first_name = bk_arena_alloc(a, ls + le + 1); /* no printf: one per id and file */
    memcpy(first_name, stem, ls);
    memcpy(first_name + ls, ext, le + 1);
    const char *s = first_name;
    long *next = bk_strmap_lookup(used, s);
    if (!next) {
        bk_strmap_put(used, s, first);
        return s;
    }
    long n = *next;
    const char *base = s;
    while (bk_strmap_lookup(used, s = bk_arena_printf(a, "%s-%ld%s", stem, n, ext)))
        n++;
    *bk_strmap_lookup(used, base) = n + 1; /* where the next repeat starts looking */
    bk_strmap_put(used, s, first);
    return s;
}
