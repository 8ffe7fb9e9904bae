/*
 * util.h -- memory, strings and buffers shared by every stage.
 *
 * Invariants of bk_buf (git strbuf): ptr is never NULL and always
 * NUL-terminated; len is authoritative (the text may hold NUL bytes).
 * A bk_buf set to BK_BUF_INIT owns nothing and may be released at once.
 *
 * Out of memory is not a user error: bk_xmalloc and friends print the size
 * and abort(). Nothing else checks allocation results.
 */
#ifndef BK_UTIL_H
#define BK_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#if defined(__GNUC__)
#define BK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BK_PRINTF(f, a)
#endif

#define BK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Internal invariant broken: a bookify bug, never a user error. */
#define BK_ASSERT(cond) ((cond) ? (void)0 : bk_bug(__FILE__, __LINE__, #cond))
void bk_bug(const char *file, int line, const char *what);

/* Allocation that never returns NULL; aborts with the size on failure. */
void *bk_xmalloc(size_t size);
void *bk_xcalloc(size_t n, size_t size);
void *bk_xrealloc(void *ptr, size_t size);
/* Array growth: ensures *cap >= need, reallocating *ptr (elements of elem). */
void bk_xgrow(void **ptr, size_t *cap, size_t need, size_t elem);
#define BK_GROW(ptr, cap, need) bk_xgrow((void **)&(ptr), &(cap), (need), sizeof(*(ptr)))
char *bk_xstrdup(const char *s);
char *bk_xstrndup(const char *s, size_t n);

/* ---- bk_str: a borrowed slice, not necessarily NUL-terminated ---- */
typedef struct bk_str {
    const char *p;
    size_t len;
} bk_str;

#define BK_STR(lit) ((bk_str){ (lit), sizeof(lit) - 1 })
bk_str bk_str_from(const char *s);
bk_str bk_str_trim(bk_str s);
bool bk_str_eq(bk_str a, const char *b);
bool bk_str_caseeq(bk_str a, const char *b);
bool bk_str_starts(bk_str s, const char *prefix);

/* ---- bk_buf: a growable, NUL-terminated byte buffer ---- */
typedef struct bk_buf {
    char *ptr;
    size_t len;
    size_t cap; /* 0 while ptr points at the shared empty string */
} bk_buf;

extern char bk_buf_empty[];
#define BK_BUF_INIT { bk_buf_empty, 0, 0 }

void bk_buf_init(bk_buf *b);
void bk_buf_grow(bk_buf *b, size_t extra);
void bk_buf_add(bk_buf *b, const void *data, size_t len);
void bk_buf_adds(bk_buf *b, const char *s);
void bk_buf_addc(bk_buf *b, char c);
void bk_buf_addf(bk_buf *b, const char *fmt, ...) BK_PRINTF(2, 3);
void bk_buf_vaddf(bk_buf *b, const char *fmt, va_list ap) BK_PRINTF(2, 0);
void bk_buf_reset(bk_buf *b);
/* Returns the text, owned by the caller (free()); the buffer is left empty. */
char *bk_buf_detach(bk_buf *b);
void bk_buf_release(bk_buf *b);
/* Gives back the room beyond len (a buffer grown to a bound, then kept). */
void bk_buf_shrink(bk_buf *b);

/* ---- bk_arena: many small allocations that die together ----
 * Model strings live here and are freed with the arena, never with free().
 * Not thread-safe: one arena per owner. */
typedef struct bk_arena_block bk_arena_block;
typedef struct bk_arena {
    bk_arena_block *head;
} bk_arena;

#define BK_ARENA_INIT { NULL }
void *bk_arena_alloc(bk_arena *a, size_t size);
char *bk_arena_strdup(bk_arena *a, const char *s);
char *bk_arena_strndup(bk_arena *a, const char *s, size_t n);
char *bk_arena_printf(bk_arena *a, const char *fmt, ...) BK_PRINTF(2, 3);
/* Move src's memory into dst (freed with it); src is left empty. */
void bk_arena_adopt(bk_arena *dst, bk_arena *src);
void bk_arena_release(bk_arena *a);

/* ---- UTF-8 ---- */
/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if the
 * bytes there are not valid UTF-8 (overlongs, surrogates and > U+10FFFF
 * are invalid). */
size_t bk_utf8_valid_len(const unsigned char *s, size_t n);

/* ---- text helpers ---- */
/* ASCII-only case folding helpers (locale-independent). */
int bk_ascii_casecmp(const char *a, const char *b);
char bk_ascii_lower(char c);
/* Slug of text: lowercase ASCII letters and digits, other ASCII runs become
 * one '-', apostrophes vanish, non-ASCII UTF-8 letters are kept. Appends to out. */
void bk_slugify(bk_buf *out, const char *text, size_t len);
/* An environment switch: true when name is set to anything but "" or "0".
 * Read once into *state (zero at first; 1 off, 2 on) for switches asked in
 * hot paths; state may be NULL to read it each time. */
bool bk_env_on(const char *name, int *state);
/* Parse a decimal integer in [min, max] from the whole of s; false if not. */
bool bk_parse_int(const char *s, long min, long max, long *out);
/* A size: a whole number with an optional K, M or G (times 1024 each),
 * optionally followed by B or iB: "500K", "10M", "10MiB", "1048576".
 * false when it is not one or is 0. */
bool bk_parse_size(const char *s, size_t *out);
/* A size for messages: "64 MiB", "500 KiB", "1000 bytes". */
const char *bk_format_size(size_t n, char buf[32]);



/* ---- bk_strmap: string -> long, open addressing ----
 * Keys are borrowed: they must outlive the map. Zero-initialisable. */
typedef struct bk_strmap_entry {
    const char *key;
    long value;
} bk_strmap_entry;

typedef struct bk_strmap {
    bk_strmap_entry *slots;
    size_t len, cap; /* cap is 0 or a power of two */
} bk_strmap;

#define BK_STRMAP_INIT { NULL, 0, 0 }
/* Pointer to key's value, or NULL when absent. */
long *bk_strmap_lookup(const bk_strmap *m, const char *key);
/* Set key to value (inserting or replacing). */
void bk_strmap_put(bk_strmap *m, const char *key, long value);
/* Count key: 1 the first time, then one more each time; the new count. */
long bk_strmap_incr(bk_strmap *m, const char *key);
/* A name not yet in `used`, which it is then added to: stem+ext, else
 * stem-N+ext for the first free N from `first` on. `used` remembers for
 * each name where the next repeat starts counting, so n repeats of one
 * stem cost O(n), not O(n^2). The names live in the arena. */
const char *bk_unique_name(bk_strmap *used, bk_arena *a, const char *stem, const char *ext, long first);
void bk_strmap_release(bk_strmap *m);

#endif
