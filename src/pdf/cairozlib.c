/*
 * cairozlib.c -- the streams cairo compresses as it finishes the PDF (font
 * subsets, ToUnicode maps) left stored, for the finishing pass to
 * compress.
 *
 * cairo 1.16 compresses them through zlib's streaming deflate at the
 * default level: most of the time it takes to finish a small book's PDF
 * (its font subsets), all of it on one thread after the last page, and a
 * fifth of a 1,000-post book's (its four CJK subsets are 0.9 MB).
 * Between pdf_cairo_zlib_begin and _end, on the thread that called begin
 * (around cairo_surface_finish), bookify's executable answers cairo's
 * deflateInit_, deflate and deflateEnd: the input is gathered, written
 * whole as a zlib stream of stored blocks at Z_FINISH (libdeflate's level
 * 0: a copy), and handed out as cairo's output buffer takes it. The
 * finishing pass (finish.c) compresses every such stream with libdeflate,
 * which is about 1.6 times as fast as zlib, to a little less (deflate.h);
 * when the PDF is finished as cairo writes it, on the other core, while
 * cairo writes the rest. Any other thread, time or use (another level, a
 * flush cairo does not make) goes to zlib. BOOKIFY_CAIRO_ZLIB=1 leaves it
 * all to zlib (the same PDF but for those streams' bytes: e2e.pipeline
 * compares the text).
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bookify/deflate.h"
#include "bookify/util.h"
#include "pdf_int.h"

#include "bookify/banned.h"

typedef struct gathered {
    z_streamp strm;
    bk_buf in, out;
    size_t given; /* of out, to cairo */
    bool compressed;
} gathered;

static _Thread_local bool active;
static struct {
    pthread_mutex_t lock;
    gathered **v;
    size_t len, cap;
    size_t count; /* streams left stored (BOOKIFY_TIMES) */
} g = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0 };
static int off_state;

typedef int init_fn(z_streamp, int, const char *, int);
typedef int deflate_fn(z_streamp, int);
typedef int end_fn(z_streamp);
static init_fn *real_init;
static deflate_fn *real_deflate;
static end_fn *real_end;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void find_real(void)
{
    *(void **)&real_init = dlsym(RTLD_NEXT, "deflateInit_");
    *(void **)&real_deflate = dlsym(RTLD_NEXT, "deflate");
    *(void **)&real_end = dlsym(RTLD_NEXT, "deflateEnd");
}

bool pdf_cairo_zlib_begin(void)
{
    pthread_once(&real_once, find_real);
    active = real_init && real_deflate && real_end && !bk_env_on("BOOKIFY_CAIRO_ZLIB", &off_state);
    return active;
}

void pdf_cairo_zlib_end(void)
{
    active = false;
}

size_t pdf_cairo_zlib_count(void)
{
    pthread_mutex_lock(&g.lock);
    size_t n = g.count;
    pthread_mutex_unlock(&g.lock);
    return n;
}

/* The stream's gathering, or NULL (zlib's own); unlinked when `take`. */
static gathered *find(z_streamp strm, bool take)
{
    gathered *s = NULL;
    pthread_mutex_lock(&g.lock);
    for (size_t i = 0; i < g.len && !s; i++)
        if (g.v[i]->strm == strm) {
            s = g.v[i];
            if (take)
                g.v[i] = g.v[--g.len];
        }
    pthread_mutex_unlock(&g.lock);
    return s;
}

int deflateInit_(z_streamp strm, int level, const char *version, int stream_size)
{
    pthread_once(&real_once, find_real);
    BK_ASSERT(real_init);
    if (!active || !strm || level != Z_DEFAULT_COMPRESSION || stream_size != (int)sizeof(z_stream))
        return real_init(strm, level, version, stream_size);
    gathered *s = bk_xcalloc(1, sizeof *s);
    s->strm = strm;
    s->in = (bk_buf)BK_BUF_INIT;
    s->out = (bk_buf)BK_BUF_INIT;
    strm->total_in = strm->total_out = 0;
    strm->msg = NULL;
    strm->state = NULL;
    strm->data_type = Z_UNKNOWN;
    strm->adler = 1;
    pthread_mutex_lock(&g.lock);
    BK_GROW(g.v, g.cap, g.len + 1);
    g.v[g.len++] = s;
    pthread_mutex_unlock(&g.lock);
    return Z_OK;
}

int deflate(z_streamp strm, int flush)
{
    pthread_once(&real_once, find_real);
    BK_ASSERT(real_deflate);
    gathered *s = strm ? find(strm, false) : NULL;
    if (!s)
        return real_deflate(strm, flush);
    if (flush != Z_NO_FLUSH && flush != Z_FINISH)
        return Z_STREAM_ERROR; /* cairo makes no other */
    if (strm->avail_in) {
        if (s->compressed)
            return Z_STREAM_ERROR; /* input after Z_FINISH */
        bk_buf_add(&s->in, strm->next_in, strm->avail_in);
        strm->next_in += strm->avail_in;
        strm->total_in += strm->avail_in;
        strm->avail_in = 0;
    }
    if (flush != Z_FINISH)
        return Z_OK;
    if (!s->compressed) {
        bk_deflate_stored(s->in.ptr ? s->in.ptr : "", s->in.len, &s->out);
        bk_buf_release(&s->in);
        s->compressed = true;
        pthread_mutex_lock(&g.lock);
        g.count++;
        pthread_mutex_unlock(&g.lock);
    }
    size_t n = s->out.len - s->given;
    if (n > strm->avail_out)
        n = strm->avail_out;
    if (n) {
        memcpy(strm->next_out, s->out.ptr + s->given, n);
        strm->next_out += n;
        strm->avail_out -= (uInt)n;
        strm->total_out += n;
        s->given += n;
    }
    return s->given == s->out.len ? Z_STREAM_END : Z_OK;
}

int deflateEnd(z_streamp strm)
{
    pthread_once(&real_once, find_real);
    BK_ASSERT(real_end);
    gathered *s = strm ? find(strm, true) : NULL;
    if (!s)
        return real_end(strm);
    bk_buf_release(&s->in);
    bk_buf_release(&s->out);
    free(s);
    return Z_OK;
}
