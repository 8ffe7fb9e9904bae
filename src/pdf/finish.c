/* finish.c -- what cairo 1.16 cannot say in a tagged PDF, added to its
 * output (see pdf_int.h and docs/pdf.md, "Finishing").
 *
 * cairo writes a classic PDF: one cross-reference table, plain objects,
 * one Flate stream per page. The file is copied object by object, with
 * new offsets, and three kinds of object changed:
 * - page content: whatever is drawn outside any structure element
 *   (running heads, page numbers, rules, shading) is wrapped in
 *   `/Artifact BMC ... EMC`, so that all content is either tagged or an
 *   artifact (PDF/UA-1, 7.1);
 * - Figure structure elements get their /Alt text;
 * - the catalog gets /Lang, /MarkInfo and /ViewerPreferences;
 * - pages drawn out of order (the contents, drawn once every page number
 *   is known) go back to their place in the page tree's /Kids, and their
 *   structure elements in the structure tree root's /K.
 * Anything unexpected leaves the file as cairo wrote it: the pass only
 * ever adds, and a PDF it cannot read is still a good PDF; except pages
 * out of order, which the caller must not leave so.
 *
 * The same finishing can be done while cairo writes (pdf_early, below),
 * and checked at the end. */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "pdf_int.h"

#include "bookify/par.h"
#include "bookify/deflate.h"


#include "bookify/banned.h"

typedef struct pdf_src {
    const char *d;
    size_t len;
    size_t *off;  /* offset of each object, 0 when free */
    size_t *end;  /* where it ends: the next object's offset, or the xref's */
    size_t nobj;
    size_t xref;
} pdf_src;

/* The last occurrence of needle in [h, h + hlen). */
static const char *rfind_in(const char *h, size_t hlen, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = hlen; i >= n; i--)
        if (h[i - n] == needle[0] && memcmp(h + i - n, needle, n) == 0)
            return h + i - n;
    return NULL;
}

static const char *find_in(const char *h, size_t hlen, const char *needle)
{
    size_t n = strlen(needle);
    if (n > hlen)
        return NULL;
    for (const char *p = h; p + n <= h + hlen; p++) {
        p = memchr(p, needle[0], (size_t)(h + hlen - p));
        if (!p || p + n > h + hlen)
            return NULL;
        if (memcmp(p, needle, n) == 0)
            return p;
    }
    return NULL;
}

/* Read the cross-reference table cairo writes: one section "0 N". */
static bool read_xref(pdf_src *s)
{
    const char *sx = NULL;
    for (size_t back = s->len < 64 ? s->len : 64; back >= 9 && !sx; back--)
        if (memcmp(s->d + s->len - back, "startxref", 9) == 0)
            sx = s->d + s->len - back;
    if (!sx)
        return false;
    char *end;
    unsigned long long xo = strtoull(sx + 9, &end, 10);
    if (xo + 4 >= s->len || memcmp(s->d + xo, "xref", 4) != 0)
        return false;
    s->xref = (size_t)xo;
    const char *p = s->d + xo + 4;
    unsigned long first = strtoul(p, &end, 10);
    unsigned long n = strtoul(end, &end, 10);
    if (first != 0 || n == 0 || n > 10000000)
        return false;
    while (*end == ' ' || *end == '\r' || *end == '\n')
        end++;
    if ((size_t)(end - s->d) + n * 20 > s->len)
        return false;
    s->off = bk_xcalloc(n, sizeof(size_t));
    s->nobj = n;
    for (unsigned long i = 0; i < n; i++) {
        const char *e = end + i * 20;
        if (e[17] == 'n') {
            s->off[i] = strtoull(e, NULL, 10);
            if (s->off[i] >= xo)
                return false;
        }
    }
    return true;
}

/* The object's bytes from "N 0 obj" to just after "endobj\n": objects
 * follow one another, so it ends where the next begins. */
static bool object_span(const pdf_src *s, size_t n, size_t *a, size_t *b)
{
    if (n >= s->nobj || !s->off[n])
        return false;
    size_t o = s->off[n], e = s->end[n];
    char head[32]; /* "n 0 obj", written backwards (no printf: called for every object) */
    char *h = head + sizeof head;
    h -= 6;
    memcpy(h, " 0 obj", 6);
    size_t v = n;
    do
        *--h = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    size_t hl = (size_t)(head + sizeof head - h);
    if (e <= o || o + hl > e || memcmp(s->d + o, h, hl) != 0)
        return false;
    const char *eo = rfind_in(s->d + o, e - o, "endobj");
    if (!eo)
        return false;
    *a = o;
    *b = (size_t)(eo - s->d) + 6;
    if (*b < e && s->d[*b] == '\n')
        (*b)++;
    return true;
}

/* order[0..n) (object numbers) sorted by their offsets: a radix sort, 16
 * bits at a time (qsort's comparisons were a tenth of the pass). */
static void sort_by_offset(const pdf_src *s, size_t *order, size_t n)
{
    size_t *tmp = bk_xcalloc(n ? n : 1, sizeof(size_t));
    size_t *count = bk_xcalloc(65536, sizeof(size_t));
    size_t top = 0;
    for (size_t k = 0; k < n; k++)
        if (s->off[order[k]] > top)
            top = s->off[order[k]];
    for (unsigned shift = 0; shift < 64 && (top >> shift) != 0; shift += 16) {
        memset(count, 0, 65536 * sizeof(size_t));
        for (size_t k = 0; k < n; k++)
            count[(s->off[order[k]] >> shift) & 0xffff]++;
        for (size_t d = 0, sum = 0; d < 65536; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t k = 0; k < n; k++)
            tmp[count[(s->off[order[k]] >> shift) & 0xffff]++] = order[k];
        memcpy(order, tmp, n * sizeof(size_t));
    }
    free(count);
    free(tmp);
}

/* How much of an object to search for its dictionary's entries: a stream's
 * dictionary only (up to "stream"), not its data. */
static size_t head_len(const char *o, size_t len)
{
    const char *st = find_in(o, len, ">>\nstream\n");
    return st ? (size_t)(st - o) + 2 : len;
}

/* ==================== content streams ==================== */

static bool inflate_all(const unsigned char *in, size_t len, bk_buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return false;
    z.next_in = (unsigned char *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    unsigned char chunk[65536];
    int rc;
    do {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&z);
            return false;
        }
        bk_buf_add(out, chunk, sizeof chunk - z.avail_out);
    } while (rc != Z_STREAM_END);
    inflateEnd(&z);
    return true;
}

static bool deflate_all(const char *in, size_t len, bk_buf *out)
{
    bk_deflate(in, len, true, out);
    return true;
}

/* PDF's character classes (ISO 32000-1, 7.2.2): white space, delimiters
 * and the rest, looked up rather than tested one by one (the finishing
 * pass reads every byte of every page). */
enum { CC_REGULAR, CC_SPACE, CC_DELIM };
static const unsigned char char_class[256] = {
    ['\0'] = CC_SPACE, ['\t'] = CC_SPACE, ['\n'] = CC_SPACE, ['\f'] = CC_SPACE, ['\r'] = CC_SPACE,
    [' '] = CC_SPACE,   ['('] = CC_DELIM,  [')'] = CC_DELIM,  ['<'] = CC_DELIM,  ['>'] = CC_DELIM,
    ['['] = CC_DELIM,   [']'] = CC_DELIM,  ['{'] = CC_DELIM,  ['}'] = CC_DELIM,  ['/'] = CC_DELIM,
    ['%'] = CC_DELIM,
};

static bool is_space(char c)
{
    return char_class[(unsigned char)c] == CC_SPACE;
}

static bool is_regular(char c)
{
    return char_class[(unsigned char)c] == CC_REGULAR;
}

/* The next token of a content stream from *p: its start and end; false at
 * the end. Operands and operators alike; `op` says which it is. */
static bool next_token(const char *d, size_t len, size_t *p, size_t *a, size_t *b, bool *op)
{
    size_t i = *p;
    for (;;) {
        while (i < len && is_space(d[i]))
            i++;
        if (i < len && d[i] == '%') {
            while (i < len && d[i] != '\n' && d[i] != '\r')
                i++;
            continue;
        }
        break;
    }
    if (i >= len)
        return false;
    *a = i;
    *op = false;
    char c = d[i];
    if (c == '(') {
        int depth = 0;
        for (; i < len; i++) {
            if (d[i] == '\\') {
                i++;
                continue;
            }
            if (d[i] == '(')
                depth++;
            else if (d[i] == ')' && --depth == 0) {
                i++;
                break;
            }
        }
    } else if (c == '<' && i + 1 < len && d[i + 1] == '<') {
        i += 2;
    } else if (c == '>' && i + 1 < len && d[i + 1] == '>') {
        i += 2;
    } else if (c == '<') {
        while (i < len && d[i] != '>')
            i++;
        i++;
    } else if (c == '[' || c == ']' || c == '{' || c == '}') {
        i++;
    } else if (c == '/') {
        i++;
        while (i < len && is_regular(d[i]))
            i++;
    } else {
        while (i < len && is_regular(d[i]))
            i++;
        *op = !(c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9')) &&
              !(i - *a == 4 && memcmp(d + *a, "true", 4) == 0) &&
              !(i - *a == 5 && memcmp(d + *a, "false", 5) == 0) &&
              !(i - *a == 4 && memcmp(d + *a, "null", 4) == 0);
        if (i == *a) /* a stray delimiter */
            i++;
    }
    if (i > len)
        i = len;
    *b = i;
    *p = i;
    return true;
}

/* What an operator does, for pdf_mark_artifacts. */
typedef enum {
    OP_OTHER,
    OP_MARK,   /* BDC, BMC: marked content begins */
    OP_EMC,    /* marked content ends */
    OP_SAVE,   /* q, Q */
    OP_IMAGE,  /* BI, ID: an inline image */
    OP_BT,
    OP_ET,
    OP_PATH,   /* m l c v y h re: path construction */
    OP_PAINT,  /* S s f F f* B B* b b* n: path painting */
    OP_XOBJ,   /* Do, sh */
} op_kind;

static op_kind op_of(const char *o, size_t n)
{
    switch (n) {
    case 1:
        switch (o[0]) {
        case 'q': case 'Q': return OP_SAVE;
        case 'm': case 'l': case 'c': case 'v': case 'y': case 'h': return OP_PATH;
        case 'S': case 's': case 'f': case 'F': case 'B': case 'b': case 'n': return OP_PAINT;
        default: return OP_OTHER;
        }
    case 2:
        if (o[1] == '*' && (o[0] == 'f' || o[0] == 'B' || o[0] == 'b'))
            return OP_PAINT;
        if (memcmp(o, "re", 2) == 0)
            return OP_PATH;
        if (memcmp(o, "BT", 2) == 0)
            return OP_BT;
        if (memcmp(o, "ET", 2) == 0)
            return OP_ET;
        if (memcmp(o, "Do", 2) == 0 || memcmp(o, "sh", 2) == 0)
            return OP_XOBJ;
        if (memcmp(o, "BI", 2) == 0 || memcmp(o, "ID", 2) == 0)
            return OP_IMAGE;
        return OP_OTHER;
    case 3:
        if (memcmp(o, "BDC", 3) == 0 || memcmp(o, "BMC", 3) == 0)
            return OP_MARK;
        if (memcmp(o, "EMC", 3) == 0)
            return OP_EMC;
        return OP_OTHER;
    default:
        return OP_OTHER;
    }
}

/* Wrap what is drawn outside marked content in /Artifact BMC ... EMC.
 * An artifact opens at the start of a text object, a path or an XObject
 * at the top level and closes before the next marked content or q/Q. */
bool pdf_mark_artifacts(const char *d, size_t len, bk_buf *out)
{
    size_t p = 0, a, b, group = 0, copied = 0;
    bool op, in_text = false, in_path = false, open = false, started = false;
    int depth = 0;
    while (next_token(d, len, &p, &a, &b, &op)) {
        if (!started) {
            group = a;
            started = true;
        }
        if (!op)
            continue;
        /* [group, b) is one operation: operands and operator */
        op_kind k = op_of(d + a, b - a);
        if (k == OP_MARK || k == OP_EMC || k == OP_SAVE) {
            if (open) {
                if (in_text || in_path || k == OP_EMC)
                    return false;
                bk_buf_add(out, d + copied, group - copied);
                bk_buf_adds(out, "EMC\n");
                copied = group;
                open = false;
            }
            if (k == OP_EMC && --depth < 0)
                return false;
            if (k == OP_MARK)
                depth++;
        } else if (k == OP_IMAGE) {
            return false; /* inline images: never written by cairo 1.16 */
        } else {
            bool starts = false;
            if (k == OP_BT) {
                starts = !in_text && !in_path;
                in_text = true;
            } else if (k == OP_ET) {
                in_text = false;
            } else if (k == OP_PATH) {
                starts = !in_path && !in_text;
                in_path = true;
            } else if (k == OP_PAINT) {
                in_path = false;
            } else if (k == OP_XOBJ) {
                starts = !in_path && !in_text;
            }
            if (starts && depth == 0 && !open) {
                bk_buf_add(out, d + copied, group - copied);
                bk_buf_adds(out, "/Artifact BMC\n");
                copied = group;
                open = true;
            }
        }
        started = false;
    }
    if (in_text || in_path || depth != 0)
        return false;
    bk_buf_add(out, d + copied, len - copied);
    if (open)
        bk_buf_adds(out, "\nEMC\n");
    return true;
}

/* ==================== the pass ==================== */

static void pdf_utf16_string(bk_buf *b, const char *s)
{
    bk_buf_adds(b, "<FEFF");
    glong n = 0;
    gunichar2 *u = g_utf8_to_utf16(s, -1, NULL, &n, NULL);
    for (glong i = 0; u && i < n; i++)
        bk_buf_addf(b, "%04X", (unsigned)u[i]);
    g_free(u);
    bk_buf_addc(b, '>');
}

/* The content stream a page object [p, p + len) names, if it is one. */
static bool page_contents(const char *p, size_t len, size_t *contents)
{
    const char *t = find_in(p, len, "/Type /Page ");
    if (!t)
        t = find_in(p, len, "/Type /Page\n");
    if (!t)
        return false;
    const char *c = find_in(p, len, "/Contents ");
    if (!c)
        return false;
    char *e;
    unsigned long long v = strtoull(c + 10, &e, 10);
    if (strncmp(e, " 0 R", 4) != 0)
        return false;
    *contents = (size_t)v;
    return true;
}

typedef struct content_run {
    const pdf_src *s;
    const size_t *objs;  /* the content streams' object numbers */
    bk_buf *bufs;        /* each one's new bytes, empty when unchanged */
    bool *unmarked;      /* each one's artifacts could not be marked */
} content_run;

static bool rewrite_content(const char *o, size_t len, size_t n, bk_buf *out);

static bool deflate_stream(const char *o, size_t len, size_t n, bk_buf *out);

static void content_job(void *ctx, size_t k, int worker)
{
    content_run *r = ctx;
    size_t a, b;
    (void)worker;
    if (!object_span(r->s, r->objs[k], &a, &b)) {
        r->unmarked[k] = true;
        return;
    }
    /* Not marked, an uncompressed page is still compressed. */
    if (!rewrite_content(r->s->d + a, b - a, r->objs[k], &r->bufs[k])) {
        r->unmarked[k] = true;
        bk_buf_release(&r->bufs[k]);
        if (!deflate_stream(r->s->d + a, b - a, r->objs[k], &r->bufs[k]))
            bk_buf_release(&r->bufs[k]);
    }
}

/* A stream object as cairo writes it: its dictionary's span (after "<<",
 * up to the ">>" before "stream"), its data's, and whether it is
 * deflated. The data of an uncompressed stream ends before the end of
 * line cairo puts before "endstream". */
typedef struct pdf_stream {
    const char *dict, *dict_end, *data, *data_end;
    bool deflated;
} pdf_stream;

static bool stream_parts(const char *p, size_t len, pdf_stream *st)
{
    const char *open = find_in(p, len, " 0 obj\n<<");
    const char *close = find_in(p, len, ">>\nstream\n");
    const char *es = rfind_in(p, len, "endstream");
    if (!open || !close || !es || close < open || es < close + 10)
        return false;
    st->dict = open + 9;
    st->dict_end = close;
    st->data = close + 10;
    st->deflated = find_in(st->dict, (size_t)(close - st->dict), "/Filter /FlateDecode") != NULL;
    if (!st->deflated && find_in(st->dict, (size_t)(close - st->dict), "/Filter"))
        return false; /* another filter: left alone */
    st->data_end = es;
    if (!st->deflated && st->data_end > st->data && st->data_end[-1] == '\n')
        st->data_end--;
    if (!st->deflated && st->data_end > st->data && st->data_end[-1] == '\r')
        st->data_end--;
    return true;
}

/* The length of a "/Length N" or "/Length N 0 R" entry at p (before
 * end), or 0 if p starts none. */
static size_t length_entry(const char *p, const char *end)
{
    if (end - p < 9 || memcmp(p, "/Length ", 8) != 0 || p[8] < '0' || p[8] > '9')
        return 0;
    const char *q = p + 8;
    while (q < end && *q >= '0' && *q <= '9')
        q++;
    if (end - q >= 4 && memcmp(q, " 0 R", 4) == 0)
        q += 4;
    return (size_t)(q - p);
}

/* Object n as a deflated stream of `data`, with the other entries of its
 * dictionary (between dict and dict_end) kept as they were. */
static bool put_deflated(bk_buf *out, size_t n, const char *dict, const char *dict_end, const char *data,
                         size_t len)
{
    bk_buf z = BK_BUF_INIT;
    if (!deflate_all(data, len, &z)) {
        bk_buf_release(&z);
        return false;
    }
    bk_buf_addf(out, "%zu 0 obj\n<< /Length %zu\n   /Filter /FlateDecode\n", n, z.len);
    /* every entry but the old /Length and /Filter, line by line; a line
     * emptied by their removal goes */
    bk_buf line = BK_BUF_INIT;
    for (const char *p = dict; p <= dict_end; p++) {
        if (p == dict_end || *p == '\n') {
            if (line.len && strspn(line.ptr, " ") < line.len) {
                bk_buf_add(out, line.ptr, line.len);
                bk_buf_addc(out, '\n');
            }
            bk_buf_reset(&line);
            continue;
        }
        size_t skip = length_entry(p, dict_end);
        if (!skip && dict_end - p >= 20 && memcmp(p, "/Filter /FlateDecode", 20) == 0)
            skip = 20;
        if (skip)
            p += skip - 1;
        else
            bk_buf_addc(&line, *p);
    }
    bk_buf_release(&line);
    bk_buf_adds(out, ">>\nstream\n");
    bk_buf_add(out, z.ptr, z.len);
    bk_buf_adds(out, "\nendstream\nendobj\n");
    bk_buf_release(&z);
    return true;
}

/* Deflate stream object n, left uncompressed by cairo (bookify asks it
 * to leave page contents and forms so: they are deflated once, here, in
 * parallel, not deflated by cairo then inflated and deflated again), or
 * left stored (bk_deflate_stored). False when it is no stream or is
 * compressed already. */
static bool deflate_stream(const char *o, size_t len, size_t n, bk_buf *out)
{
    pdf_stream st;
    if (!stream_parts(o, len, &st))
        return false;
    size_t dlen = (size_t)(st.data_end - st.data);
    if (!st.deflated)
        return put_deflated(out, n, st.dict, st.dict_end, st.data, dlen);
    /* cairo's font subsets and the like, left stored by cairozlib.c so
     * that cairo's last, serial step is quick: compressed here */
    if (!bk_deflate_is_stored((const unsigned char *)st.data, dlen))
        return false;
    bk_buf plain = BK_BUF_INIT;
    bool ok = inflate_all((const unsigned char *)st.data, dlen, &plain) &&
              put_deflated(out, n, st.dict, st.dict_end, plain.ptr ? plain.ptr : "", plain.len);
    bk_buf_release(&plain);
    return ok;
}

static bool rewrite_content(const char *o, size_t olen, size_t n, bk_buf *out)
{
    pdf_stream st;
    if (!stream_parts(o, olen, &st))
        return false;
    /* zlib stops at the end of its stream: the end of line cairo puts
     * before "endstream" is never read */
    bk_buf plain = BK_BUF_INIT, marked = BK_BUF_INIT;
    const char *data = st.data;
    size_t len = (size_t)(st.data_end - st.data);
    if (st.deflated) {
        if (!inflate_all((const unsigned char *)st.data, len, &plain))
            goto fail;
        data = plain.ptr ? plain.ptr : "";
        len = plain.len;
    }
    if (!pdf_mark_artifacts(data, len, &marked) ||
        !put_deflated(out, n, st.dict, st.dict_end, marked.ptr ? marked.ptr : "", marked.len))
        goto fail;
    bk_buf_release(&plain);
    bk_buf_release(&marked);
    return true;
fail:
    bk_buf_release(&plain);
    bk_buf_release(&marked);
    return false;
}

/* The finished file goes out in pieces of about this size: a long book
 * is never held twice, and only a window of pages is rewritten at once. */
#define FLUSH_AT ((size_t)1 << 20)
#define PAGE_WINDOW 64

typedef struct fin_out {
    bk_buf b;             /* bytes not yet written */
    size_t base;          /* bytes written before them */
    pdf_write_fn write;
    void *ctx;
    bool failed;
} fin_out;

static void fin_flush(fin_out *w, bool always)
{
    if (w->failed || !w->b.len || (!always && w->b.len < FLUSH_AT))
        return;
    if (w->write(w->ctx, w->b.ptr, w->b.len) < 0)
        w->failed = true;
    w->base += w->b.len;
    bk_buf_reset(&w->b);
}

/* Give back the mapped input's pages below `upto` (info->mapped), a few
 * MiB at a time (one madvise per object would be a system call each). */
static void give_back(const pdf_src *s, bool mapped, size_t upto, size_t *released)
{
    if (!mapped)
        return;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t end = upto / pg * pg;
    if (end > *released && (end - *released >= ((size_t)4 << 20) || upto >= s->len)) {
        madvise((void *)(s->d + *released), end - *released, MADV_DONTNEED);
        *released = end;
    }
}

static int append_to_buf(void *ctx, const void *data, size_t len)
{
    bk_buf_add(ctx, data, len);
    return 0;
}

/* ==================== pages drawn out of order ==================== */

/* The references "N G R" of the array that follows `key` (which ends with
 * its "[") in the object [o, o + len): where the array's inside begins
 * and ends, and each reference's span. False when it is not such an array. */
typedef struct ref_span {
    size_t a, b;
} ref_span;

static bool ref_array(const char *o, size_t len, const char *key, size_t *open, size_t *close,
                      ref_span **refs, size_t *n)
{
    const char *k = find_in(o, len, key);
    *refs = NULL;
    *n = 0;
    if (!k)
        return false;
    size_t p = (size_t)(k - o) + strlen(key), cap = 0;
    *open = p;
    for (;;) {
        while (p < len && is_space(o[p]))
            p++;
        if (p >= len)
            break;
        if (o[p] == ']') {
            *close = p;
            return true;
        }
        size_t a = p;
        for (int part = 0; part < 3; part++) {
            while (p < len && is_space(o[p]))
                p++;
            size_t from = p;
            if (part < 2)
                while (p < len && o[p] >= '0' && o[p] <= '9')
                    p++;
            else if (p < len && o[p] == 'R')
                p++;
            if (p == from)
                goto bad;
        }
        BK_GROW(*refs, cap, *n + 1);
        (*refs)[(*n)++] = (ref_span){ a, p };
    }
bad:
    free(*refs);
    *refs = NULL;
    return false;
}

/* Whether the array after `key` has `total` references, `moved` of them
 * to go to `at`. */
static bool refs_movable_in(const char *o, size_t len, const char *key, size_t at, size_t moved,
                            size_t total)
{
    size_t open, close, n;
    ref_span *refs;
    if (!ref_array(o, len, key, &open, &close, &refs, &n))
        return false;
    free(refs);
    return n == total && at + moved <= n;
}

static bool refs_movable(const pdf_src *s, size_t obj, const char *key, size_t at, size_t moved,
                         size_t total)
{
    size_t a, b;
    return object_span(s, obj, &a, &b) && refs_movable_in(s->d + a, b - a, key, at, moved, total);
}

/* The object with the array's last `moved` references put at index `at`. */
static void move_refs(bk_buf *out, const char *o, size_t len, const char *key, size_t at, size_t moved)
{
    size_t open, close, n;
    ref_span *refs;
    if (!ref_array(o, len, key, &open, &close, &refs, &n) || at + moved > n) {
        bk_buf_add(out, o, len); /* checked before anything was written */
        return;
    }
    bk_buf_add(out, o, open);
    for (size_t k = 0; k < n; k++) {
        size_t r = k < at ? k : k < at + moved ? n - moved + (k - at) : k - moved;
        bk_buf_addc(out, ' ');
        bk_buf_add(out, o + refs[r].a, refs[r].b - refs[r].a);
    }
    bk_buf_addc(out, ' ');
    bk_buf_add(out, o + close, len - close);
    free(refs);
}

/* A Figure structure element [o, o + len) with its /Alt text after its
 * "/S /Figure\n" (at f). */
static void put_figure(bk_buf *out, const char *o, size_t len, const char *f, const char *alt)
{
    size_t cut = (size_t)(f - o) + 11;
    bk_buf_add(out, o, cut);
    bk_buf_adds(out, "   /Alt ");
    pdf_utf16_string(out, alt ? alt : "");
    bk_buf_addc(out, '\n');
    bk_buf_add(out, o + cut, len - cut);
}

/* The catalog [o, o + len) with the book's /Lang, /MarkInfo and
 * /ViewerPreferences; as it is if it says no "/Type /Catalog". */
static void put_catalog(bk_buf *out, const char *o, size_t len, const char *lang)
{
    const char *cat = find_in(o, len, "/Type /Catalog\n");
    if (!cat) {
        bk_buf_add(out, o, len);
        return;
    }
    size_t cut = (size_t)(cat - o) + 15;
    bk_buf_add(out, o, cut);
    if (lang && *lang &&
        strspn(lang, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == strlen(lang))
        bk_buf_addf(out, "   /Lang (%s)\n", lang);
    if (!find_in(o, len, "/MarkInfo"))
        bk_buf_adds(out, "   /MarkInfo << /Marked true >>\n");
    bk_buf_adds(out, "   /ViewerPreferences << /DisplayDocTitle true >>\n");
    bk_buf_add(out, o + cut, len - cut);
}

/* The object a catalog entry such as "/Pages " refers to, or 0. */
static size_t catalog_ref(const pdf_src *s, size_t root, const char *key)
{
    size_t a, b;
    if (!object_span(s, root, &a, &b))
        return 0;
    const char *k = find_in(s->d + a, b - a, key);
    size_t n = k ? strtoul(k + strlen(key), NULL, 10) : 0;
    return n < s->nobj ? n : 0;
}

/* ==================== finishing as cairo writes ====================
 *
 * cairo writes each page's objects as the page is drawn (its content,
 * the content's length, resources, links, the page), and the rest when
 * it finishes (fonts, the page tree, the structure tree, the catalog, the
 * cross-reference table). While the drawing thread draws the last pages
 * and cairo finishes, the main thread has nothing to do: it reads cairo's
 * file as it grows and finishes each object as pdf_finish_to would,
 * straight into the output; pdf_finish_to then only checks it and writes
 * the cross-reference table, or takes up where this left off.
 *
 * Without the cross-reference table it has to assume: an object ends at
 * its first "endobj" (a stream's, at "endstream\nendobj"); a stream is a
 * page's content when the next page object names it; the object saying
 * "/Type /Pages" is the catalog's page tree, the one saying
 * "/Type /StructTreeRoot" its structure root, the one saying
 * "/Type /Catalog" the root; and there are as many Figure elements as
 * alternative texts. pdf_finish_to checks each assumption against the
 * table and the whole file; should one be wrong, the output is emptied
 * and made again from the start: the same bytes either way. Objects that
 * need to know the finished drawing (the page tree, the structure tree,
 * the figures, the catalog) wait for pdf_early_info. */

enum { EK_PLAIN, EK_CONTENT, EK_FIGURE, EK_PAGES, EK_STRUCT, EK_ROOT };

#define EK_UNDECIDED (-1) /* a stream: a page's content or not */

typedef struct early_obj {
    size_t n, a, b; /* object number, its span in cairo's file */
    bool stream;
    int kind;       /* EK_*, or EK_UNDECIDED */
} early_obj;

struct pdf_early {
    bk_buf win;       /* cairo's bytes from win_at, not yet consumed */
    size_t win_at;
    size_t pos;       /* where the next object starts */
    size_t header;    /* the bytes before the first object; 0 until found */
    early_obj *q;     /* parsed, waiting for the page that says which is content */
    size_t nq, capq;
    /* written: each object, in file order (each ends where the next
     * begins, the last at `end`), where it went and how; a 10,000-post
     * book has half a million objects */
    uint32_t *obj;
    size_t *a, *at, end;
    unsigned char *kind;
    size_t n, cap;
    fin_out w;
    pdf_finish_info info; /* once the drawing is done (has_info) */
    bool has_info;
    size_t unmarked, figures;
    size_t pages; /* page objects seen */
    size_t special[3]; /* the objects finished as EK_PAGES, EK_STRUCT, EK_ROOT; 0: none */
    bool odd;     /* a page object named no stream just before it, or a second special */
    bool stopped;
    bool at_xref; /* stopped at the cross-reference table: every object is written */
};

static void early_flush_queue(pdf_early *e);

pdf_early *pdf_early_new(pdf_write_fn write, void *ctx)
{
    pdf_early *e = bk_xcalloc(1, sizeof *e);
    e->w = (fin_out){ BK_BUF_INIT, 0, write, ctx, false };
    return e;
}

void pdf_early_info(pdf_early *e, const pdf_finish_info *info)
{
    e->info = *info;
    e->has_info = true;
    early_flush_queue(e);
    pdf_early_feed(e, NULL, 0);
}

void pdf_early_free(pdf_early *e)
{
    if (!e)
        return;
    bk_buf_release(&e->win);
    bk_buf_release(&e->w.b);
    free(e->q);
    free(e->obj);
    free(e->a);
    free(e->at);
    free(e->kind);
    free(e);
}

size_t pdf_early_objects(const pdf_early *e)
{
    return e ? e->n : 0;
}

/* Where written object k ends: where the next begins. */
static size_t early_end(const pdf_early *e, size_t k)
{
    return k + 1 < e->n ? e->a[k + 1] : e->end;
}

/* Object o (of the queue or just parsed) written as pdf_finish_to would. */
static void early_put(pdf_early *e, const early_obj *o, int kind)
{
    const char *p = e->win.ptr + (o->a - e->win_at);
    size_t len = o->b - o->a;
    bk_buf *out = &e->w.b;
    if (!e->n)
        bk_buf_add(out, e->win.ptr, e->header); /* the window starts at 0 until then */
    if (e->n == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 1024;
        e->obj = bk_xrealloc(e->obj, e->cap * sizeof *e->obj);
        e->a = bk_xrealloc(e->a, e->cap * sizeof *e->a);
        e->at = bk_xrealloc(e->at, e->cap * sizeof *e->at);
        e->kind = bk_xrealloc(e->kind, e->cap);
    }
    e->obj[e->n] = (uint32_t)o->n; /* at most nine digits (early_header) */
    e->a[e->n] = o->a;
    e->end = o->b;
    e->at[e->n] = e->w.base + out->len;
    e->kind[e->n] = (unsigned char)kind;
    e->n++;
    if (kind >= EK_PAGES) {
        e->odd = e->odd || e->special[kind - EK_PAGES];
        e->special[kind - EK_PAGES] = o->n;
    }
    const pdf_finish_info *info = &e->info;
    bool done = false;
    switch (kind) {
    case EK_CONTENT: {
        bk_buf z = BK_BUF_INIT;
        done = rewrite_content(p, len, o->n, &z);
        if (!done) {
            e->unmarked++;
            bk_buf_reset(&z);
            done = deflate_stream(p, len, o->n, &z);
        }
        if (done)
            bk_buf_add(out, z.ptr, z.len);
        bk_buf_release(&z);
        break;
    }
    case EK_FIGURE:
        put_figure(out, p, len, find_in(p, head_len(p, len), "/S /Figure\n"), info->alts[e->figures++]);
        done = true;
        break;
    case EK_PAGES:
        move_refs(out, p, len, "/Kids [", info->pages_at, info->pages_moved);
        done = true;
        break;
    case EK_STRUCT:
        move_refs(out, p, len, "/K [", info->struct_at, info->struct_moved);
        done = true;
        break;
    case EK_ROOT:
        put_catalog(out, p, len, info->lang);
        done = true;
        break;
    default:
        done = o->stream && deflate_stream(p, len, o->n, out);
    }
    if (!done)
        bk_buf_add(out, p, len);
    fin_flush(&e->w, false);
}

/* The number of an object starting at p ("N 0 obj\n"), with its header's
 * length; false when p starts none (*more: not all of it is there yet). */
static bool early_header(const char *p, size_t len, size_t *n, size_t *hl, bool *more)
{
    size_t i = 0, v = 0;
    /* nine digits at most: the number fits 32 bits (and read_xref takes
     * no more than 10,000,000 objects) */
    while (i < len && i < 10 && p[i] >= '0' && p[i] <= '9')
        v = v * 10 + (size_t)(p[i++] - '0');
    *more = false;
    if (i == 0 || i >= 10)
        return false;
    if (len - i < 7) {
        *more = memcmp(p + i, " 0 obj\n", len - i) == 0;
        return false;
    }
    if (memcmp(p + i, " 0 obj\n", 7) != 0)
        return false;
    *n = v;
    *hl = i + 7;
    return true;
}

/* How an object that is not a page's content is finished: EK_PLAIN, a
 * kind that needs the drawing's end (-1 until pdf_early_info), or -2
 * when this pass cannot write it (pdf_finish_to will decide). */
static int early_kind(pdf_early *e, const char *p, size_t len, size_t head)
{
    bool figure = find_in(p, head, "/S /Figure\n") != NULL;
    bool pages = find_in(p, head, "/Type /Pages") != NULL;
    bool st = find_in(p, head, "/Type /StructTreeRoot") != NULL;
    bool root = find_in(p, head, "/Type /Catalog\n") != NULL;
    if (!figure && !pages && !st && !root)
        return EK_PLAIN;
    if (!e->has_info)
        return -1;
    const pdf_finish_info *info = &e->info;
    if (figure)
        return e->figures < info->nalts ? EK_FIGURE : -2;
    if (root)
        return EK_ROOT;
    if (pages && info->pages_moved)
        return refs_movable_in(p, len, "/Kids [", info->pages_at, info->pages_moved, info->npages)
                   ? EK_PAGES
                   : -2;
    if (st && info->struct_moved &&
        refs_movable_in(p, len, "/K [", info->struct_at, info->struct_moved, info->nstruct))
        return EK_STRUCT;
    return EK_PLAIN; /* as pdf_finish_to leaves a structure tree it cannot move */
}

/* The queue written up to its first undecided stream; every stream
 * decided once the last page object is known to have gone by. */
static void early_flush_queue(pdf_early *e)
{
    bool all_pages = e->has_info && e->pages == e->info.npages;
    size_t k = 0;
    for (; k < e->nq; k++) {
        if (e->q[k].kind == EK_UNDECIDED && all_pages)
            e->q[k].kind = EK_PLAIN;
        if (e->q[k].kind == EK_UNDECIDED)
            break;
        early_put(e, &e->q[k], e->q[k].kind);
    }
    if (k) {
        memmove(e->q, e->q + k, (e->nq - k) * sizeof *e->q);
        e->nq -= k;
    }
}

void pdf_early_feed(pdf_early *e, const char *data, size_t len)
{
    if (e->stopped || e->w.failed)
        return;
    if (len)
        bk_buf_add(&e->win, data, len);
    const char *d = e->win.ptr;
    size_t end = e->win_at + e->win.len;
    if (!e->header) {
        /* "%PDF-1.5" and a comment line, then the first object */
        const char *nl1 = d ? memchr(d, '\n', e->win.len) : NULL;
        const char *nl2 = nl1 ? memchr(nl1 + 1, '\n', (size_t)(d + e->win.len - nl1 - 1)) : NULL;
        size_t n, hl;
        bool more;
        if (!nl2 || !early_header(nl2 + 1, (size_t)(d + e->win.len - nl2 - 1), &n, &hl, &more)) {
            e->stopped = e->win.len > 1024 || (nl2 && !more && nl2 + 1 < d + e->win.len);
            return;
        }
        e->header = (size_t)(nl2 + 1 - d);
        e->pos = e->header;
    }
    while (e->pos < end) {
        const char *p = d + (e->pos - e->win_at);
        size_t avail = end - e->pos, n, hl;
        bool more;
        if (!early_header(p, avail, &n, &hl, &more)) {
            e->stopped = !more; /* "xref", or something not cairo's */
            e->at_xref = avail >= 5 && memcmp(p, "xref\n", 5) == 0;
            break;
        }
        const char *eo = find_in(p, avail, "endobj\n");
        if (!eo)
            break; /* not all written yet */
        size_t head = head_len(p, (size_t)(eo - p));
        bool stream = head < (size_t)(eo - p);
        if (stream) {
            const char *es = find_in(p + head, avail - head, "endstream\nendobj\n");
            if (!es)
                break;
            eo = es + 10;
        }
        early_obj o = { n, e->pos, e->pos + (size_t)(eo - p) + 7, stream, EK_PLAIN };
        size_t c;
        bool page = page_contents(p, head, &c);
        int kind = page ? EK_PLAIN : early_kind(e, p, o.b - o.a, head);
        if (kind == -1)
            break; /* until the drawing is done */
        if (kind == -2) {
            e->stopped = true;
            break;
        }
        /* A stream is a page's content when the next page object names
         * it; after the last page object, none is. */
        bool all_pages = e->has_info && e->pages == e->info.npages;
        o.kind = stream && !all_pages ? EK_UNDECIDED : kind;
        if (page) {
            e->pages++;
            bool named = false;
            for (size_t k = 0; k < e->nq; k++)
                if (e->q[k].kind == EK_UNDECIDED) {
                    named = named || e->q[k].n == c;
                    e->q[k].kind = e->q[k].n == c ? EK_CONTENT : EK_PLAIN;
                }
            e->odd = e->odd || !named; /* its content is not the stream just before */
        }
        BK_GROW(e->q, e->capq, e->nq + 1);
        e->q[e->nq++] = o;
        early_flush_queue(e);
        e->pos = o.b;
        if (e->w.failed)
            break;
    }
    /* what no object waits for leaves the window */
    size_t keep = e->nq ? e->q[0].a : e->pos;
    if (keep > e->win_at && e->n) {
        size_t drop = keep - e->win_at;
        memmove(e->win.ptr, e->win.ptr + drop, e->win.len - drop);
        e->win.len -= drop;
        e->win_at = keep;
    }
}

int pdf_finish(const bk_buf *in, pdf_finish_info *info, bk_buf *out)
{
    return pdf_finish_to(in, info, NULL, append_to_buf, out);
}

/* The new cross-reference table (noff: each object's new offset, 0 when
 * free) and the trailer as cairo wrote it (tr: its "\ntrailer\n"); all
 * written out. */
static void write_xref(fin_out *w, const pdf_src *s, const size_t *noff, const char *tr)
{
    bk_buf *out = &w->b;
    size_t xref = w->base + out->len;
    bk_buf_addf(out, "xref\n0 %zu\n0000000000 65535 f \n", s->nobj);
    for (size_t i = 1; i < s->nobj; i++) {
        if (noff[i] && noff[i] < 10000000000ULL) {
            char e[] = "0000000000 00000 n \n"; /* an entry is these 20 bytes */
            for (size_t v = noff[i], k = 10; v; v /= 10)
                e[--k] = (char)('0' + v % 10);
            bk_buf_add(out, e, sizeof e - 1);
        } else if (noff[i]) {
            bk_buf_addf(out, "%010zu 00000 n \n", noff[i]);
        } else {
            bk_buf_adds(out, "0000000000 65535 f \n");
        }
    }
    const char *sx = find_in(tr, s->len - (size_t)(tr - s->d), "startxref");
    bk_buf_add(out, tr + 1, (size_t)(sx - tr - 1));
    bk_buf_addf(out, "startxref\n%zu\n%%%%EOF\n", xref);
    fin_flush(w, true);
    bk_buf_release(&w->b);
}

/* The finishing when `early` wrote every object: checked against the
 * cross-reference table, the trailer and the catalog (every assumption of
 * early's; it saw every page object, figure and special object itself),
 * then the new table. -3 when anything differs. */
static int early_finish(pdf_early *e, const pdf_src *src, pdf_finish_info *info)
{
    if (e->w.failed)
        return -2;
    /* objects end where the next begins, as early parsed them */
    pdf_src with_ends = *src, *s = &with_ends;
    s->end = bk_xcalloc(s->nobj, sizeof(size_t));
    size_t used = 0;
    for (size_t i = 1; i < s->nobj; i++)
        used += s->off[i] != 0;
    bool ok = !e->odd && e->n == used && e->n && e->header == e->a[0] && e->end == s->xref;
    for (size_t k = 0; ok && k < e->n; k++)
        ok = e->obj[k] < s->nobj && s->off[e->obj[k]] == e->a[k];
    for (size_t k = 0; ok && k < e->n; k++)
        s->end[e->obj[k]] = early_end(e, k);
    /* the root as the trailer says, its page tree and structure root */
    const char *tr = ok ? find_in(s->d + s->xref, s->len - s->xref, "\ntrailer\n") : NULL;
    const char *r = tr ? find_in(tr, s->len - (size_t)(tr - s->d), "/Root ") : NULL;
    size_t root = r ? strtoul(r + 6, NULL, 10) : 0;
    ok = ok && root && root < s->nobj && s->off[root] && e->special[2] == root;
    size_t pages_obj = ok && info->pages_moved ? catalog_ref(s, root, "/Pages ") : 0;
    ok = ok && e->special[0] == pages_obj;
    size_t struct_obj = ok && info->struct_moved ? catalog_ref(s, root, "/StructTreeRoot ") : 0;
    if (ok && struct_obj && !e->special[1])
        ok = !refs_movable(s, struct_obj, "/K [", info->struct_at, info->struct_moved, info->nstruct);
    ok = ok && (!e->special[1] || e->special[1] == struct_obj);
    /* figures get their text only when there are as many as texts */
    ok = ok && (!e->figures || e->figures == info->nalts);
    free(s->end);
    if (!ok)
        return -3;
    info->unmarked = e->unmarked;
    info->objects = info->early_taken = e->n;
    info->struct_unmoved = info->struct_moved && !e->special[1];
    info->alts_unmatched = e->figures != info->nalts;
    fin_flush(&e->w, true);
    size_t *noff = bk_xcalloc(s->nobj, sizeof(size_t));
    for (size_t k = 0; k < e->n; k++)
        noff[e->obj[k]] = e->at[k];
    fin_out w = { BK_BUF_INIT, e->w.base, e->w.write, e->w.ctx, e->w.failed };
    write_xref(&w, s, noff, tr);
    free(noff);
    return w.failed ? -2 : 0;
}

/* What `early` wrote is what this pass would have: the same objects in the
 * same order, each with the same span, each finished the same way. */
static bool early_matches(const pdf_early *early, const pdf_src *s, const size_t *order, size_t norder,
                          const bool *is_content, size_t root, size_t pages_obj, size_t struct_obj,
                          bool figures_alt)
{
    if (early->n > norder || early->header != s->off[order[0]])
        return false;
    for (size_t k = 0; k < early->n; k++) {
        size_t i = order[k], a, b;
        if (early->obj[k] != i || !object_span(s, i, &a, &b) || early->a[k] != a ||
            early_end(early, k) != b)
            return false;
        int kind = is_content[i]                   ? EK_CONTENT
                   : figures_alt && find_in(s->d + a, head_len(s->d + a, b - a), "/S /Figure\n")
                       ? EK_FIGURE
                   : i == pages_obj && pages_obj   ? EK_PAGES
                   : i == struct_obj && struct_obj ? EK_STRUCT
                   : i == root                     ? EK_ROOT
                                                   : EK_PLAIN;
        if (early->kind[k] != kind)
            return false;
    }
    return true;
}

int pdf_finish_to(const bk_buf *in, pdf_finish_info *info, pdf_early *early, pdf_write_fn write,
                  void *ctx)
{
    pdf_src s = { in->ptr, in->len, NULL, NULL, 0, 0 };
    if (!s.d || !read_xref(&s)) {
        free(s.off);
        return -1;
    }
    if (early && early->at_xref && !early->nq) {
        int r = early_finish(early, &s, info);
        free(s.off);
        return r;
    }
    /* objects in file order (cairo's: by offset), each ending where the
     * next begins */
    bool *is_content = bk_xcalloc(s.nobj, sizeof(bool));
    size_t *order = bk_xcalloc(s.nobj, sizeof(size_t));
    s.end = bk_xcalloc(s.nobj, sizeof(size_t));
    size_t norder = 0, nfig = 0, root = 0;
    for (size_t i = 1; i < s.nobj; i++)
        if (s.off[i])
            order[norder++] = i;
    if (!norder)
        goto fail;
    sort_by_offset(&s, order, norder);
    for (size_t k = 0; k < norder; k++)
        s.end[order[k]] = k + 1 < norder ? s.off[order[k + 1]] : s.xref;
    /* The scan reads the whole file once: its pages go behind it, or the
     * book's peak memory would hold all of it (a 10,000-post PDF is
     * 116 MB). */
    size_t scanned = 0;
    for (size_t k = 0; k < norder; k++) {
        size_t i = order[k], a, b, c;
        if (!object_span(&s, i, &a, &b))
            goto fail;
        give_back(&s, info->mapped, a, &scanned);
        size_t dict = head_len(s.d + a, b - a);
        if (page_contents(s.d + a, dict, &c) && c < s.nobj)
            is_content[c] = true;
        if (find_in(s.d + a, dict, "/S /Figure\n"))
            nfig++;
    }
    {
        const char *tr = find_in(s.d + s.xref, s.len - s.xref, "\ntrailer\n");
        const char *r = tr ? find_in(tr, s.len - (size_t)(tr - s.d), "/Root ") : NULL;
        if (!r)
            goto fail;
        root = strtoul(r + 6, NULL, 10);
        if (!root || root >= s.nobj || !s.off[root])
            goto fail;
    }
    /* Pages drawn out of order are put back in theirs, or nothing is
     * written: cairo's order is not the book's. */
    size_t pages_obj = 0, struct_obj = 0;
    if (info->pages_moved) {
        pages_obj = catalog_ref(&s, root, "/Pages ");
        if (!pages_obj || !refs_movable(&s, pages_obj, "/Kids [", info->pages_at,
                                        info->pages_moved, info->npages))
            goto fail;
    }
    /* The structure elements, counted as bookify opened them: should
     * cairo have written another number, the book stays readable, its
     * structure in drawing order (the caller warns). */
    info->struct_unmoved = false;
    if (info->struct_moved) {
        struct_obj = catalog_ref(&s, root, "/StructTreeRoot ");
        if (!struct_obj || !refs_movable(&s, struct_obj, "/K [", info->struct_at,
                                         info->struct_moved, info->nstruct)) {
            struct_obj = 0;
            info->struct_unmoved = true;
        }
    }
    /* Page contents are inflated, marked and deflated in parallel. */
    size_t *objs = bk_xcalloc(s.nobj, sizeof(size_t)), *slot = bk_xcalloc(s.nobj, sizeof(size_t));
    size_t ncontent = 0;
    for (size_t k = 0; k < norder; k++)
        if (is_content[order[k]]) {
            slot[order[k]] = ncontent;
            objs[ncontent++] = order[k];
        }
    content_run cr = { &s, objs, bk_xcalloc(ncontent ? ncontent : 1, sizeof(bk_buf)),
                       bk_xcalloc(ncontent ? ncontent : 1, sizeof(bool)) };
    /* Everything was read once: the pages come back as the writing needs
     * them, and go again behind it. */
    size_t released = 0;
    give_back(&s, info->mapped, s.len, &released);
    released = 0;
    info->unmarked = 0;
    info->objects = norder;
    info->early_taken = 0;
    info->alts_unmatched = nfig != info->nalts;
    fin_out w = { BK_BUF_INIT, 0, write, ctx, false };
    bk_buf *out = &w.b;
    size_t done = 0; /* content streams rewritten so far, in file order */
    size_t *noff = bk_xcalloc(s.nobj, sizeof(size_t));
    size_t k0 = 0; /* objects written as cairo wrote them (pdf_early) */
    size_t fig = 0;
    int rc = 0;
    if (early && early->n) {
        if (early->w.failed || !early_matches(early, &s, order, norder, is_content, root, pages_obj,
                                              struct_obj, nfig == info->nalts)) {
            rc = early->w.failed ? -2 : -3;
            goto written;
        }
        fin_flush(&early->w, true);
        for (; k0 < early->n; k0++) {
            noff[order[k0]] = early->at[k0];
            done += is_content[order[k0]];
        }
        info->unmarked = early->unmarked;
        info->early_taken = k0;
        fig = early->figures;
        w.base = early->w.base;
        w.failed = early->w.failed;
    } else {
        bk_buf_add(out, s.d, s.off[order[0]]);
    }
    for (size_t k = k0; k < norder; k++) {
        size_t i = order[k], a, b;
        object_span(&s, i, &a, &b);
        fin_flush(&w, false);
        give_back(&s, info->mapped, a, &released);
        noff[i] = w.base + out->len;
        const char *o = s.d + a;
        const char *f = find_in(o, head_len(o, b - a), "/S /Figure\n");
        if (is_content[i] && slot[i] >= done) {
            /* The next window of pages: inflated, marked and deflated in
             * parallel. */
            size_t n = ncontent - done < PAGE_WINDOW ? ncontent - done : PAGE_WINDOW;
            content_run win = { &s, objs + done, cr.bufs + done, cr.unmarked + done };
            bk_par_for(n, content_job, &win);
            for (size_t j = done; j < done + n; j++)
                info->unmarked += cr.unmarked[j];
            done += n;
        }
        if (is_content[i] && cr.bufs[slot[i]].len) {
            bk_buf_add(out, cr.bufs[slot[i]].ptr, cr.bufs[slot[i]].len);
            bk_buf_release(&cr.bufs[slot[i]]);
            continue;
        } else if (f && nfig == info->nalts) {
            /* cairo writes structure elements in the order they were
             * opened, which is the order bookify drew its figures */
            put_figure(out, o, b - a, f, info->alts[fig++]);
        } else if (i == pages_obj && pages_obj) {
            move_refs(out, o, b - a, "/Kids [", info->pages_at, info->pages_moved);
        } else if (i == struct_obj && struct_obj) {
            move_refs(out, o, b - a, "/K [", info->struct_at, info->struct_moved);
        } else if (i == root) {
            put_catalog(out, o, b - a, info->lang);
        } else if (!deflate_stream(o, b - a, i, out)) {
            bk_buf_add(out, o, b - a);
        }
    }
    write_xref(&w, &s, noff, find_in(s.d + s.xref, s.len - s.xref, "\ntrailer\n"));
    rc = w.failed ? -2 : 0;
written:
    free(noff);
    free(objs);
    free(slot);
    free(cr.bufs);
    free(cr.unmarked);
    free(is_content);
    free(order);
    free(s.off);
    free(s.end);
    return rc;
fail:
    free(is_content);
    free(order);
    free(s.off);
    free(s.end);
    return -1;
}
