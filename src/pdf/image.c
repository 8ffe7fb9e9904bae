/* image.c -- images for the PDF (see image.h). */
#include "pdf/image.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <librsvg/rsvg.h>

#include "bookify/fileio.h"
#include "bookify/resolve.h"
#include "bookify/banned.h"

/* An image claiming more pixels than this is refused before anything is
 * allocated for it: a 60-byte file may announce 60000x60000 pixels.
 * Set once per book (bk_pdf_image_limits), before any image is loaded. */
#define MAX_PIXELS_DEFAULT 100000000.0
static double max_pixels = MAX_PIXELS_DEFAULT;
static size_t max_bytes = BK_IMAGE_MAX;
/* cairo refuses image surfaces wider or taller than this. */
#define CAIRO_MAX_SIDE 32767
/* Pixels without a stated resolution are CSS pixels, as in the EPUB. */
#define DEFAULT_DPI 96.0

struct bk_pdf_image {
    /* What each draw paints: an image surface (for a passed-through JPEG a
     * blank one carrying the JPEG bytes as mime data) or, for SVG, a
     * recording surface holding librsvg's vector drawing. */
    cairo_surface_t *surface;
    double src_w, src_h; /* size of surface in its own units (pixels) */
    double pt_w, pt_h;   /* natural size in points, orientation applied */
    int orientation;     /* EXIF orientation 1..8; 1 for all but JPEG */
};

/* What a loader learnt about the file before (and while) decoding it. */
typedef struct info {
    long w, h;           /* pixels as stored */
    double dpi_x, dpi_y; /* 0 = not stated (or not sane) */
    int orientation;     /* EXIF, 1..8; 0 = none found */
} info;

/* ==================== small helpers ==================== */

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static unsigned long be32(const unsigned char *p)
{
    return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

static unsigned le16(const unsigned char *p)
{
    return (unsigned)p[1] << 8 | p[0];
}

static unsigned long le24(const unsigned char *p)
{
    return (unsigned long)p[2] << 16 | (unsigned long)p[1] << 8 | p[0];
}

static unsigned long le32(const unsigned char *p)
{
    return (unsigned long)p[3] << 24 | le24(p);
}

/* A resolution is used only when it is one a real scanner, camera or
 * screenshot tool would write; 1x1 "aspect ratio" values and 0 are common
 * junk that would blow the image up to metres. */
static double sane_dpi(double dpi)
{
    return dpi >= 72.0 && dpi <= 1200.0 ? dpi : 0.0;
}

/* Refuse zero and giant sizes before anything is allocated for them.
 * Returns 0, or -1 with the reason in why. */
static int check_size(double w, double h, bk_buf *why)
{
    if (!(w > 0) || !(h > 0)) {
        bk_buf_adds(why, "the image has no width or height");
        return -1;
    }
    if (w * h > max_pixels) {
        bk_buf_addf(why,
                    "the image claims %.0fx%.0f pixels, more than the limit of %.0f "
                    "(--max-image-pixels)",
                    w, h, max_pixels);
        return -1;
    }
    return 0;
}

/* Checks a raster size against cairo's own limit as well. */
static int check_raster_size(long w, long h, bk_buf *why)
{
    if (check_size((double)w, (double)h, why) < 0)
        return -1;
    if (w > CAIRO_MAX_SIDE || h > CAIRO_MAX_SIDE) {
        bk_buf_addf(why, "the image is %ldx%ld pixels, more than the %d a side cairo can draw", w,
                    h, CAIRO_MAX_SIDE);
        return -1;
    }
    return 0;
}

/* A content hash for CAIRO_MIME_TYPE_UNIQUE_ID, so that cairo embeds the
 * image once per PDF even when two loads of the same bytes make two
 * surfaces (the same picture in two posts). Content-addressed, so no
 * counter is needed; media keeps a JPEG apart from a decoded image. */
static void make_unique_id(bk_buf *id, const char *media, const bk_buf *data)
{
    gchar *sum =
        g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data->ptr, data->len);
    bk_buf_addf(id, "bookify:%s:%zu:%s", media, data->len, sum);
    g_free(sum);
}

/* Hands id's text to s (emptying id). Failure only costs deduplication. */
static void set_unique_id(cairo_surface_t *s, bk_buf *id)
{
    size_t len = id->len;
    char *p = bk_buf_detach(id);
    if (cairo_surface_set_mime_data(s, CAIRO_MIME_TYPE_UNIQUE_ID, (const unsigned char *)p, len,
                                    free, p) != CAIRO_STATUS_SUCCESS)
        free(p);
}

/* Copy a GdkPixbuf (RGB or RGBA, straight alpha, bytes R,G,B,A) into a new
 * cairo image surface (native-endian 32-bit words, premultiplied alpha).
 * Returns NULL with the reason in why. */
static cairo_surface_t *surface_from_pixbuf(const GdkPixbuf *pb, bk_buf *why)
{
    int w = gdk_pixbuf_get_width(pb), h = gdk_pixbuf_get_height(pb);
    int n = gdk_pixbuf_get_n_channels(pb), stride = gdk_pixbuf_get_rowstride(pb);
    bool alpha = gdk_pixbuf_get_has_alpha(pb);
    if (gdk_pixbuf_get_colorspace(pb) != GDK_COLORSPACE_RGB ||
        gdk_pixbuf_get_bits_per_sample(pb) != 8 || n != (alpha ? 4 : 3)) {
        bk_buf_adds(why, "the decoder returned an unexpected pixel layout");
        return NULL;
    }
    if (check_raster_size(w, h, why) < 0)
        return NULL;
    cairo_surface_t *s =
        cairo_image_surface_create(alpha ? CAIRO_FORMAT_ARGB32 : CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        bk_buf_addf(why, "cairo: %s", cairo_status_to_string(cairo_surface_status(s)));
        cairo_surface_destroy(s);
        return NULL;
    }
    cairo_surface_flush(s);
    unsigned char *dst = cairo_image_surface_get_data(s);
    int dstride = cairo_image_surface_get_stride(s);
    const guint8 *src = gdk_pixbuf_read_pixels(pb);
    for (int y = 0; y < h; y++) {
        const guint8 *p = src + (size_t)y * (size_t)stride;
        unsigned char *q = dst + (size_t)y * (size_t)dstride;
        for (int x = 0; x < w; x++, p += n, q += 4) {
            uint32_t a = alpha ? p[3] : 255, r = p[0], g = p[1], b = p[2];
            if (a != 255) {
                /* cairo wants premultiplied colour; round to nearest. */
                r = (r * a + 127) / 255;
                g = (g * a + 127) / 255;
                b = (b * a + 127) / 255;
            }
            /* Built as a word and stored with memcpy: the byte order is
             * then the machine's, which is what cairo means by ARGB32. */
            uint32_t px = a << 24 | r << 16 | g << 8 | b;
            memcpy(q, &px, sizeof(px));
        }
    }
    cairo_surface_mark_dirty(s);
    return s;
}

/* ==================== decoding through gdk-pixbuf ==================== */

typedef struct pixbuf_guard {
    long want_w, want_h; /* size the header announced */
    bool refused;        /* the decoder announced another or a giant size */
} pixbuf_guard;

/* Second line of defence: our own header check ran first, but the decoder
 * is the one that allocates. If it announces a size other than the one we
 * checked, ask for a 1x1 result (so nothing big is allocated by loaders
 * that honour it) and refuse the image afterwards. */
static void on_size_prepared(GdkPixbufLoader *loader, int w, int h, gpointer data)
{
    pixbuf_guard *g = data;
    if (w != g->want_w || h != g->want_h || (double)w * (double)h > max_pixels) {
        g->refused = true;
        gdk_pixbuf_loader_set_size(loader, 1, 1);
    }
}

/* Append "what: message" for a GError, as one line without a trailing
 * period (git's style); librsvg's XML messages end in a newline. */
static void add_gerror(bk_buf *why, const char *what, const GError *err)
{
    const char *msg = err && err->message ? err->message : "unknown error";
    size_t len = strlen(msg);
    while (len > 0 && (msg[len - 1] == '.' || msg[len - 1] == '\n' || msg[len - 1] == ' '))
        len--;
    bk_buf_addf(why, "%s: ", what);
    for (size_t i = 0; i < len; i++)
        bk_buf_addc(why, msg[i] == '\n' || msg[i] == '\r' ? ' ' : msg[i]);
}

/* Decode data (of the given media type, named kind in messages, size
 * already checked as w x h) with gdk-pixbuf into an image surface. For
 * animations the loader's pixbuf is the first frame. Returns NULL with the
 * reason in why. */
static cairo_surface_t *decode_pixbuf(const bk_buf *data, const char *media, const char *kind,
                                      long w, long h, bk_buf *why)
{
    char what[64];
    snprintf(what, sizeof what, "corrupt %s image", kind);
    cairo_surface_t *s = NULL;
    GError *err = NULL;
    pixbuf_guard guard = { w, h, false };
    GdkPixbufLoader *ld = gdk_pixbuf_loader_new_with_mime_type(media, &err);
    if (!ld) {
        bk_buf_addf(why, "no decoder for %s images (is its gdk-pixbuf loader installed?)", kind);
        goto out;
    }
    g_signal_connect(ld, "size-prepared", G_CALLBACK(on_size_prepared), &guard);
    bool ok = gdk_pixbuf_loader_write(ld, (const guchar *)data->ptr, data->len, &err);
    /* close must run even after a failed write: a loader finalised
     * without it prints a warning of its own on stderr. */
    bool closed = gdk_pixbuf_loader_close(ld, ok ? &err : NULL);
    if (!ok || !closed) {
        add_gerror(why, what, err);
        goto out;
    }
    if (guard.refused) {
        bk_buf_addf(why, "%s: the decoder found another size than the header states", what);
        goto out;
    }
    GdkPixbuf *pb = gdk_pixbuf_loader_get_pixbuf(ld); /* borrowed from the loader */
    if (!pb) {
        bk_buf_addf(why, "%s: no picture in it", what);
        goto out;
    }
    s = surface_from_pixbuf(pb, why);
out:
    if (err)
        g_error_free(err);
    if (ld)
        g_object_unref(ld);
    return s;
}

/* ==================== PNG ==================== */

typedef struct mem_reader {
    const unsigned char *p;
    size_t len, pos;
} mem_reader;

static cairo_status_t read_mem(void *closure, unsigned char *out, unsigned int len)
{
    mem_reader *r = closure;
    if (len > r->len - r->pos)
        return CAIRO_STATUS_READ_ERROR; /* libpng then stops with an error: truncated */
    memcpy(out, r->p + r->pos, len);
    r->pos += len;
    return CAIRO_STATUS_SUCCESS;
}

/* Size from IHDR and resolution from pHYs (which must precede IDAT). */
static int png_info(const unsigned char *p, size_t len, info *in, bk_buf *why)
{
    static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    if (len < 33 || memcmp(p, sig, 8) != 0 || be32(p + 8) != 13 || memcmp(p + 12, "IHDR", 4)) {
        bk_buf_adds(why, "corrupt PNG image: no valid header");
        return -1;
    }
    unsigned long w = be32(p + 16), h = be32(p + 20);
    if (w > 0x7fffffffUL || h > 0x7fffffffUL) {
        bk_buf_adds(why, "corrupt PNG image: impossible size");
        return -1;
    }
    in->w = (long)w;
    in->h = (long)h;
    for (size_t pos = 33; len - pos >= 12;) {
        unsigned long clen = be32(p + pos);
        const unsigned char *type = p + pos + 4;
        if (clen > len - pos - 12 || !memcmp(type, "IDAT", 4))
            break; /* libpng judges the rest */
        /* unit 1 = metre; the rest say only the aspect ratio. */
        if (!memcmp(type, "pHYs", 4) && clen == 9 && p[pos + 16] == 1) {
            in->dpi_x = sane_dpi((double)be32(p + pos + 8) * 0.0254);
            in->dpi_y = sane_dpi((double)be32(p + pos + 12) * 0.0254);
        }
        pos += 12 + clen;
    }
    return 0;
}

static cairo_surface_t *load_png(const bk_buf *data, info *in, bk_buf *why)
{
    const unsigned char *p = (const unsigned char *)data->ptr;
    if (png_info(p, data->len, in, why) < 0 || check_raster_size(in->w, in->h, why) < 0)
        return NULL;
    /* cairo's reader is libpng with warnings silenced and errors turned
     * into the surface status; the PDF backend keeps it lossless (Flate). */
    mem_reader r = { p, data->len, 0 };
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_mem, &r);
    cairo_status_t st = cairo_surface_status(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        bk_buf_addf(why, "corrupt PNG image (%s)",
                    st == CAIRO_STATUS_READ_ERROR ? "truncated" : cairo_status_to_string(st));
        cairo_surface_destroy(s);
        return NULL;
    }
    return s;
}

/* ==================== JPEG ==================== */

/* What the marker walk finds in a JPEG. */
typedef struct jpeg_scan {
    int sof;        /* SOFn marker (0xc0..0xcf), 0 = none yet */
    int precision;  /* bits per sample */
    int components; /* 1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK */
    bool fill;      /* fill bytes before the frame header: cairo's parser trips on them */
} jpeg_scan;

/* EXIF orientation (tag 0x0112 of IFD0) from an APP1 payload, or 0. */
static int exif_orientation(const unsigned char *p, size_t len)
{
    if (len < 14 || memcmp(p, "Exif\0\0", 6) != 0)
        return 0;
    const unsigned char *t = p + 6; /* TIFF header; offsets count from here */
    size_t tlen = len - 6;
    bool le;
    if (!memcmp(t, "II*\0", 4))
        le = true;
    else if (!memcmp(t, "MM\0*", 4))
        le = false;
    else
        return 0;
    unsigned long ifd = le ? le32(t + 4) : be32(t + 4);
    if (ifd > tlen || tlen - ifd < 2)
        return 0;
    unsigned count = le ? le16(t + ifd) : be16(t + ifd);
    for (unsigned i = 0; i < count; i++) {
        size_t e = (size_t)ifd + 2 + (size_t)i * 12;
        if (e > tlen || tlen - e < 12)
            return 0;
        unsigned tag = le ? le16(t + e) : be16(t + e);
        unsigned type = le ? le16(t + e + 2) : be16(t + e + 2);
        if (tag == 0x0112 && type == 3) { /* SHORT, stored in the entry itself */
            unsigned v = le ? le16(t + e + 8) : be16(t + e + 8);
            return v >= 1 && v <= 8 ? (int)v : 0;
        }
    }
    return 0;
}

/* Walk every marker of the file: collects size, resolution and
 * orientation, and proves the file is whole (a frame header, at least one
 * scan, and EOI before the data ends; bytes after EOI are tolerated, as
 * every reader does). Entropy-coded data is skipped byte by byte: within
 * it 0xff is followed only by 0x00 (stuffing) or a restart marker. */
static int jpeg_info(const unsigned char *p, size_t len, info *in, jpeg_scan *js, bk_buf *why)
{
    const char *bad = "truncated JPEG image";
    bool scans = false;
    if (len < 4 || p[0] != 0xff || p[1] != 0xd8) {
        bk_buf_adds(why, "corrupt JPEG image: no start marker");
        return -1;
    }
    size_t pos = 2;
    for (;;) {
        if (pos >= len)
            goto fail;
        if (p[pos] != 0xff) {
            bad = "corrupt JPEG image: data where a marker belongs";
            goto fail;
        }
        size_t first = pos;
        while (pos < len && p[pos] == 0xff) /* fill bytes */
            pos++;
        if (pos - first > 1 && !js->sof)
            js->fill = true;
        if (pos >= len)
            goto fail;
        int m = p[pos++];
        if (m == 0xd9) /* EOI */
            break;
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd8) || m == 0x00) {
            bad = "corrupt JPEG image: misplaced marker";
            goto fail;
        }
        if (len - pos < 2)
            goto fail;
        size_t seg = be16(p + pos);
        if (seg < 2) {
            bad = "corrupt JPEG image: bad segment length";
            goto fail;
        }
        if (seg > len - pos)
            goto fail;
        const unsigned char *s = p + pos + 2; /* payload */
        size_t slen = seg - 2;
        pos += seg;
        /* SOF0..SOF15 share 0xc0..0xcf with DHT (c4), JPG (c8), DAC (cc). */
        if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
            if (js->sof || slen < 6 || slen < 6 + 3 * (size_t)s[5]) {
                bad = "corrupt JPEG image: bad frame header";
                goto fail;
            }
            js->sof = m;
            js->precision = s[0];
            in->h = (long)be16(s + 1);
            in->w = (long)be16(s + 3);
            js->components = s[5];
        } else if (m == 0xe0 && slen >= 12 && !memcmp(s, "JFIF\0", 5)) {
            /* units 1 = per inch, 2 = per cm, 0 = aspect ratio only */
            double k = s[7] == 1 ? 1.0 : s[7] == 2 ? 2.54 : 0.0;
            in->dpi_x = sane_dpi(be16(s + 8) * k);
            in->dpi_y = sane_dpi(be16(s + 10) * k);
        } else if (m == 0xe1 && !in->orientation) {
            in->orientation = exif_orientation(s, slen);
        } else if (m == 0xda) { /* SOS: entropy-coded data follows */
            if (!js->sof) {
                bad = "corrupt JPEG image: scan before the frame header";
                goto fail;
            }
            scans = true;
            for (;;) {
                while (pos < len && p[pos] != 0xff)
                    pos++;
                if (len - pos < 2)
                    goto fail;
                int n = p[pos + 1];
                if (n == 0x00 || (n >= 0xd0 && n <= 0xd7))
                    pos += 2;
                else if (n == 0xff)
                    pos++; /* fill byte before a marker */
                else
                    break;
            }
        }
    }
    if (!js->sof || !scans) {
        bad = "corrupt JPEG image: no picture in it";
        goto fail;
    }
    return 0;
fail:
    bk_buf_adds(why, bad);
    return -1;
}

static cairo_surface_t *load_jpeg(bk_buf *data, info *in, bk_buf *why)
{
    jpeg_scan js = { 0, 0, 0, false };
    if (jpeg_info((const unsigned char *)data->ptr, data->len, in, &js, why) < 0 ||
        check_raster_size(in->w, in->h, why) < 0)
        return NULL;
    /* PDF's DCTDecode takes 8-bit Huffman-coded baseline, extended and
     * progressive JPEGs (SOF0..2). cairo passes others through too, and
     * CMYK ones without the /Decode array Adobe's inverted CMYK needs, so
     * everything else (CMYK/YCCK, 12-bit, arithmetic, lossless) is decoded
     * and embedded losslessly instead: bigger, but right. So is a JPEG
     * with fill bytes before its frame header, which cairo 1.16's own
     * marker parser does not skip: it would embed the blank surface. */
    bool pass = js.sof <= 0xc2 && js.precision == 8 && (js.components == 1 || js.components == 3) &&
                !js.fill;
    if (!pass)
        return decode_pixbuf(data, "image/jpeg", "JPEG", in->w, in->h, why);
    /* The pixels are never decoded: the PDF backend embeds the JPEG bytes
     * as they are and takes only the size from the surface. The surface's
     * memory comes from calloc and is never written, so for a large image
     * it is untouched zero pages, not resident memory. Other backends would
     * draw it black; bookify draws images only into PDFs. */
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)in->w, (int)in->h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        bk_buf_addf(why, "cairo: %s", cairo_status_to_string(cairo_surface_status(s)));
        cairo_surface_destroy(s);
        return NULL;
    }
    size_t len = data->len;
    unsigned char *bytes = (unsigned char *)bk_buf_detach(data); /* now cairo's */
    if (cairo_surface_set_mime_data(s, CAIRO_MIME_TYPE_JPEG, bytes, len, free, bytes) !=
        CAIRO_STATUS_SUCCESS) {
        free(bytes);
        bk_buf_adds(why, "cairo refused the JPEG data");
        cairo_surface_destroy(s);
        return NULL;
    }
    return s;
}

/* ==================== GIF and WebP ==================== */

/* Logical screen size of a GIF: the size of every frame's canvas. */
static int gif_info(const unsigned char *p, size_t len, info *in, bk_buf *why)
{
    if (len < 13 || (memcmp(p, "GIF87a", 6) && memcmp(p, "GIF89a", 6))) {
        bk_buf_adds(why, "corrupt GIF image: no valid header");
        return -1;
    }
    in->w = (long)le16(p + 6);
    in->h = (long)le16(p + 8);
    /* gdk-pixbuf allocates each frame at the size its own descriptor
     * states, which may exceed the screen: walk the blocks and check every
     * frame too. Truncation is left to the decoder, which reports it. */
    size_t pos = 13;
    if (p[10] & 0x80)
        pos += 3u << ((p[10] & 7) + 1); /* global colour table */
    while (pos < len && p[pos] != 0x3b) {
        if (p[pos] == 0x2c) { /* image descriptor */
            if (len - pos < 11)
                break;
            double fw = le16(p + pos + 5), fh = le16(p + pos + 7);
            if (fw * fh > max_pixels) {
                bk_buf_addf(why,
                            "a frame claims %.0fx%.0f pixels, more than the limit of %.0f",
                            fw, fh, max_pixels);
                return -1;
            }
            unsigned flags = p[pos + 9];
            pos += 10;
            if (flags & 0x80)
                pos += 3u << ((flags & 7) + 1); /* local colour table */
            pos++;                              /* LZW minimum code size */
        } else if (p[pos] == 0x21) {            /* extension: label, then sub-blocks */
            pos += 2;
        } else {
            break; /* not GIF: the decoder says so */
        }
        while (pos < len && p[pos] != 0) /* data sub-blocks, each with its size first */
            pos += 1 + (size_t)p[pos];
        pos++;
    }
    return 0;
}

/* Canvas size of a WebP: the VP8X chunk's for extended files (animation,
 * alpha), else the lossy or lossless bitstream's own. */
static int webp_info(const unsigned char *p, size_t len, info *in, bk_buf *why)
{
    if (len < 30 || memcmp(p, "RIFF", 4) || memcmp(p + 8, "WEBP", 4)) {
        bk_buf_adds(why, "corrupt WebP image: no valid header");
        return -1;
    }
    /* The WebP loader decodes incrementally and hands back a half-drawn
     * picture for a truncated file without a word, so wholeness is
     * checked here: the RIFF size and every chunk must fit in the file. */
    unsigned long riff = le32(p + 4);
    if (riff < 4 + 8 + 10 || riff > len - 8) {
        bk_buf_adds(why, "truncated WebP image");
        return -1;
    }
    size_t end = 8 + (size_t)riff;
    for (size_t pos = 12; pos < end;) {
        if (end - pos < 8 || le32(p + pos + 4) > end - pos - 8) {
            bk_buf_adds(why, "truncated WebP image");
            return -1;
        }
        size_t clen = le32(p + pos + 4);
        pos += 8 + clen + (clen & 1); /* chunks are padded to even sizes */
    }
    const unsigned char *c = p + 12, *d = p + 20;
    if (!memcmp(c, "VP8X", 4)) {
        in->w = (long)le24(d + 4) + 1;
        in->h = (long)le24(d + 7) + 1;
    } else if (!memcmp(c, "VP8L", 4) && d[0] == 0x2f) {
        unsigned long bits = le32(d + 1);
        in->w = (long)(bits & 0x3fff) + 1;
        in->h = (long)((bits >> 14) & 0x3fff) + 1;
    } else if (!memcmp(c, "VP8 ", 4) && d[3] == 0x9d && d[4] == 0x01 && d[5] == 0x2a) {
        in->w = (long)(le16(d + 6) & 0x3fff);
        in->h = (long)(le16(d + 8) & 0x3fff);
    } else {
        bk_buf_adds(why, "corrupt WebP image: unknown bitstream");
        return -1;
    }
    return 0;
}

static cairo_surface_t *load_pixbuf_format(const bk_buf *data, const char *media, info *in,
                                           bk_buf *why)
{
    const unsigned char *p = (const unsigned char *)data->ptr;
    bool gif = strcmp(media, "image/gif") == 0;
    int rc = gif ? gif_info(p, data->len, in, why) : webp_info(p, data->len, in, why);
    if (rc < 0 || check_raster_size(in->w, in->h, why) < 0)
        return NULL;
    return decode_pixbuf(data, media, gif ? "GIF" : "WebP", in->w, in->h, why);
}

/* ==================== SVG ==================== */

/* Draw the SVG once, at its natural size, into a recording surface: the
 * PDF gets vectors, and every draw replays the same recording. */
static cairo_surface_t *load_svg(const bk_buf *data, double *w, double *h, bk_buf *why)
{
    cairo_surface_t *rec = NULL;
    GError *err = NULL;
    RsvgHandle *svg = NULL;
    GInputStream *in = g_memory_input_stream_new_from_data(data->ptr, (gssize)data->len, NULL);
    /* No base file: librsvg then resolves no relative or absolute URL but
     * data: ones, so a post cannot make bookify read /etc/passwd or fetch
     * from the network (librsvg has no network loader, and without a base
     * even file: is refused). Flags NONE keeps librsvg's XML size and
     * depth limits. */
    svg = rsvg_handle_new_from_stream_sync(in, NULL, RSVG_HANDLE_FLAGS_NONE, NULL, &err);
    if (!svg) {
        add_gerror(why, "corrupt SVG image", err);
        goto out;
    }
    /* 96 dpi is the CSS pixel, so "1in" means 96 user units here as in
     * the EPUB's readers. */
    rsvg_handle_set_dpi(svg, DEFAULT_DPI);
    if (!rsvg_handle_get_intrinsic_size_in_pixels(svg, w, h)) {
        /* Width or height missing or in percent: use the viewBox, else
         * the size browsers give a replaced element without one. */
        gboolean has_w, has_h, has_vb;
        RsvgLength lw, lh;
        RsvgRectangle vb;
        rsvg_handle_get_intrinsic_dimensions(svg, &has_w, &lw, &has_h, &lh, &has_vb, &vb);
        *w = has_vb ? vb.width : 300.0;
        *h = has_vb ? vb.height : 150.0;
    }
    if (!isfinite(*w) || !isfinite(*h) || check_size(*w, *h, why) < 0)
        goto out;
    cairo_rectangle_t ext = { 0, 0, *w, *h };
    rec = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &ext);
    cairo_t *cr = cairo_create(rec);
    RsvgRectangle viewport = { 0, 0, *w, *h };
    bool ok = rsvg_handle_render_document(svg, cr, &viewport, &err);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (!ok || st != CAIRO_STATUS_SUCCESS) {
        if (!ok)
            add_gerror(why, "cannot draw SVG image", err);
        else
            bk_buf_addf(why, "cannot draw SVG image: cairo: %s", cairo_status_to_string(st));
        cairo_surface_destroy(rec);
        rec = NULL;
    }
out:
    if (err)
        g_error_free(err);
    if (svg)
        g_object_unref(svg);
    g_object_unref(in);
    return rec;
}

/* ==================== the API ==================== */

void bk_pdf_image_limits(size_t bytes, size_t pixels)
{
    max_bytes = bytes ? bytes : BK_IMAGE_MAX;
    max_pixels = pixels ? (double)pixels : MAX_PIXELS_DEFAULT;
}

bk_pdf_image *bk_pdf_image_load(const char *path, const char *media, const char *display,
                                bk_diags *d)
{
    bk_pdf_image *img = NULL;
    bk_buf data = BK_BUF_INIT, why = BK_BUF_INIT, uid = BK_BUF_INIT;
    info in = { 0, 0, 0.0, 0.0, 0 };
    cairo_surface_t *s = NULL;
    double w = 0, h = 0;

    if (bk_file_read(path, max_bytes, &data) < 0) {
        char lim[32];
        if (errno == EFBIG)
            bk_buf_addf(&why, "cannot read image: larger than the %s limit for an image",
                        bk_format_size(max_bytes, lim));
        else
            bk_buf_addf(&why, "cannot read image: %s", strerror(errno));
        goto out;
    }
    if (!media) {
        bk_buf_adds(&why, "image of unknown type");
        goto out;
    }
    bool vector = strcmp(media, "image/svg+xml") == 0;
    if (vector) {
        s = load_svg(&data, &w, &h, &why);
    } else {
        /* Hashed first: load_jpeg hands the bytes over to cairo. */
        make_unique_id(&uid, media, &data);
        if (strcmp(media, "image/png") == 0)
            s = load_png(&data, &in, &why);
        else if (strcmp(media, "image/jpeg") == 0)
            s = load_jpeg(&data, &in, &why);
        else if (strcmp(media, "image/gif") == 0 || strcmp(media, "image/webp") == 0)
            s = load_pixbuf_format(&data, media, &in, &why);
        else
            bk_buf_addf(&why, "unsupported image type '%s'", media);
        w = (double)in.w;
        h = (double)in.h;
    }
    if (!s)
        goto out;
    if (!vector)
        set_unique_id(s, &uid);

    img = bk_xcalloc(1, sizeof(*img));
    img->surface = s;
    img->src_w = w;
    img->src_h = h;
    img->orientation = in.orientation ? in.orientation : 1;
    /* A resolution counts only when both axes state a sane one: half of
     * one would distort the picture. Then the size in points along each
     * stored axis, turned with the image. */
    if (!(in.dpi_x > 0 && in.dpi_y > 0))
        in.dpi_x = in.dpi_y = 0;
    double pw = w * 72.0 / (in.dpi_x > 0 ? in.dpi_x : DEFAULT_DPI);
    double ph = h * 72.0 / (in.dpi_y > 0 ? in.dpi_y : DEFAULT_DPI);
    bool swap = img->orientation >= 5;
    img->pt_w = swap ? ph : pw;
    img->pt_h = swap ? pw : ph;
out:
    if (!img)
        bk_warn(d, (bk_loc){ display, 0, 0 }, "%s; the image is left out of the PDF", why.ptr);
    bk_buf_release(&uid);
    bk_buf_release(&why);
    bk_buf_release(&data);
    return img;
}

void bk_pdf_image_size(const bk_pdf_image *img, double *width, double *height)
{
    *width = img ? img->pt_w : 0.0;
    *height = img ? img->pt_h : 0.0;
}

/* The transform from stored pixels to upright pixels for an EXIF
 * orientation (cairo_matrix_init's order: xx, yx, xy, yy, x0, y0). */
static void orientation_matrix(cairo_matrix_t *m, int o, double w, double h)
{
    switch (o) {
    case 2: cairo_matrix_init(m, -1, 0, 0, 1, w, 0); break;  /* mirrored */
    case 3: cairo_matrix_init(m, -1, 0, 0, -1, w, h); break; /* upside down */
    case 4: cairo_matrix_init(m, 1, 0, 0, -1, 0, h); break;  /* mirrored vertically */
    case 5: cairo_matrix_init(m, 0, 1, 1, 0, 0, 0); break;   /* transposed */
    case 6: cairo_matrix_init(m, 0, 1, -1, 0, h, 0); break;  /* turn right to view */
    case 7: cairo_matrix_init(m, 0, -1, -1, 0, h, w); break; /* transversed */
    case 8: cairo_matrix_init(m, 0, -1, 1, 0, 0, w); break;  /* turn left to view */
    default: cairo_matrix_init_identity(m); break;
    }
}

void bk_pdf_image_draw(bk_pdf_image *img, cairo_t *cr, double x, double y, double w, double h)
{
    if (!img || !(w > 0) || !(h > 0))
        return;
    bool swap = img->orientation >= 5;
    double uw = swap ? img->src_h : img->src_w, uh = swap ? img->src_w : img->src_h;
    /* Each draw goes through a fresh recording surface ("wrapper") that
     * paints the shared surface. cairo 1.16 (and 1.18) lists a source in
     * the page's /XObject dictionary once per use, so the same surface
     * drawn twice on a page gives a duplicate key that qpdf --check warns
     * about. A wrapper becomes its own small form XObject with a name of
     * its own, and the image inside is still one object for the whole
     * document (cairo keys it by surface and by the unique-id mime data). */
    cairo_rectangle_t ext = { 0, 0, uw, uh };
    cairo_surface_t *wrap = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &ext);
    cairo_t *wc = cairo_create(wrap);
    cairo_matrix_t m;
    orientation_matrix(&m, img->orientation, img->src_w, img->src_h);
    cairo_transform(wc, &m);
    cairo_set_source_surface(wc, img->surface, 0, 0);
    cairo_paint(wc);
    cairo_destroy(wc);

    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, w / uw, h / uh);
    cairo_set_source_surface(cr, wrap, 0, 0);
    cairo_rectangle(cr, 0, 0, uw, uh);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(wrap);
}

void bk_pdf_image_free(bk_pdf_image *img)
{
    if (!img)
        return;
    cairo_surface_destroy(img->surface);
    free(img);
}
