/* Unit tests: images for the PDF (src/pdf/image.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <pango/pangocairo.h>

#include "bookify/fileio.h"
#include "harness.h"
#include "pdf/image.h"

#define IMG BK_SOURCE_DIR "/samples/handbook/assets/img/"

static char root[256];

/* ---- tiny images made for the tests ----
 * gif_anim: 5x3, two frames; the first is red/green columns, a blue row and
 * a transparent last column, the second all blue. jpeg_cmyk: 8x4 Adobe CMYK
 * (inverted, as Photoshop writes it), pure red. jpeg_arith: 16x8
 * arithmetic-coded, red = 16*x, green = 32*y, blue 128. jpeg_prog: the same
 * picture, progressive Huffman. webp_lossless: 6x4 VP8L, blue. */
static const unsigned char gif_anim[] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x05, 0x00, 0x03, 0x00, 0x81, 0x00, 0x00, 0xff, 0x00, 0x00,
    0x00, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x21, 0xff, 0x0b, 0x4e, 0x45, 0x54, 0x53,
    0x43, 0x41, 0x50, 0x45, 0x32, 0x2e, 0x30, 0x03, 0x01, 0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x01,
    0x0a, 0x00, 0x03, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x03, 0x00, 0x00, 0x02, 0x0c,
    0x04, 0xc1, 0x30, 0x1c, 0x41, 0x30, 0x0c, 0x47, 0x51, 0x14, 0xc5, 0x15, 0x00, 0x21, 0xf9, 0x04,
    0x00, 0x0a, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x03, 0x00, 0x00, 0x02,
    0x0c, 0x14, 0x45, 0x51, 0x14, 0x45, 0x51, 0x14, 0x45, 0x51, 0x14, 0x45, 0x15, 0x00, 0x3b,
};
static const unsigned char jpeg_cmyk[] = {
    0xff, 0xd8, 0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x03, 0x02, 0x02, 0x03, 0x02, 0x02, 0x03, 0x03, 0x03,
    0x03, 0x04, 0x03, 0x03, 0x04, 0x05, 0x08, 0x05, 0x05, 0x04, 0x04, 0x05, 0x0a, 0x07, 0x07, 0x06,
    0x08, 0x0c, 0x0a, 0x0c, 0x0c, 0x0b, 0x0a, 0x0b, 0x0b, 0x0d, 0x0e, 0x12, 0x10, 0x0d, 0x0e, 0x11,
    0x0e, 0x0b, 0x0b, 0x10, 0x16, 0x10, 0x11, 0x13, 0x14, 0x15, 0x15, 0x15, 0x0c, 0x0f, 0x17, 0x18,
    0x16, 0x14, 0x18, 0x12, 0x14, 0x15, 0x14, 0xff, 0xc0, 0x00, 0x14, 0x08, 0x00, 0x04, 0x00, 0x08,
    0x04, 0x43, 0x11, 0x00, 0x4d, 0x11, 0x00, 0x59, 0x11, 0x00, 0x4b, 0x11, 0x00, 0xff, 0xc4, 0x00,
    0x1f, 0x00, 0x00, 0x01, 0x05, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0xff, 0xc4,
    0x00, 0xb5, 0x10, 0x00, 0x02, 0x01, 0x03, 0x03, 0x02, 0x04, 0x03, 0x05, 0x05, 0x04, 0x04, 0x00,
    0x00, 0x01, 0x7d, 0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13,
    0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15,
    0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25,
    0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46,
    0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66,
    0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86,
    0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4,
    0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2,
    0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9,
    0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5,
    0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xff, 0xda, 0x00, 0x0e, 0x04, 0x43, 0x00, 0x4d, 0x00, 0x59, 0x00,
    0x4b, 0x00, 0x00, 0x3f, 0x00, 0xfd, 0x53, 0xaf, 0xca, 0xaa, 0xfc, 0xaa, 0xaf, 0xd5, 0x3a, 0xff,
    0xd9,
};
static const unsigned char jpeg_arith[] = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x06, 0x04, 0x05, 0x06, 0x05, 0x04, 0x06,
    0x06, 0x05, 0x06, 0x07, 0x07, 0x06, 0x08, 0x0a, 0x10, 0x0a, 0x0a, 0x09, 0x09, 0x0a, 0x14, 0x0e,
    0x0f, 0x0c, 0x10, 0x17, 0x14, 0x18, 0x18, 0x17, 0x14, 0x16, 0x16, 0x1a, 0x1d, 0x25, 0x1f, 0x1a,
    0x1b, 0x23, 0x1c, 0x16, 0x16, 0x20, 0x2c, 0x20, 0x23, 0x26, 0x27, 0x29, 0x2a, 0x29, 0x19, 0x1f,
    0x2d, 0x30, 0x2d, 0x28, 0x30, 0x25, 0x28, 0x29, 0x28, 0xff, 0xdb, 0x00, 0x43, 0x01, 0x07, 0x07,
    0x07, 0x0a, 0x08, 0x0a, 0x13, 0x0a, 0x0a, 0x13, 0x28, 0x1a, 0x16, 0x1a, 0x28, 0x28, 0x28, 0x28,
    0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28,
    0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28,
    0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0xff, 0xc9,
    0x00, 0x11, 0x08, 0x00, 0x08, 0x00, 0x10, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11,
    0x01, 0xff, 0xcc, 0x00, 0x0a, 0x00, 0x10, 0x10, 0x05, 0x01, 0x10, 0x11, 0x05, 0xff, 0xda, 0x00,
    0x0c, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00, 0xff, 0x00, 0x74, 0x9d, 0x0f,
    0x47, 0xbf, 0x18, 0x1b, 0x83, 0xde, 0x37, 0x6b, 0x17, 0xa0, 0xb8, 0xee, 0x0e, 0x76, 0x34, 0xe0,
    0xaf, 0x40, 0xd2, 0x37, 0x18, 0x39, 0x13, 0xb0, 0x2f, 0x17, 0x54, 0xe0, 0xff, 0xd9,
};
static const unsigned char jpeg_prog[] = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x06, 0x04, 0x05, 0x06, 0x05, 0x04, 0x06,
    0x06, 0x05, 0x06, 0x07, 0x07, 0x06, 0x08, 0x0a, 0x10, 0x0a, 0x0a, 0x09, 0x09, 0x0a, 0x14, 0x0e,
    0x0f, 0x0c, 0x10, 0x17, 0x14, 0x18, 0x18, 0x17, 0x14, 0x16, 0x16, 0x1a, 0x1d, 0x25, 0x1f, 0x1a,
    0x1b, 0x23, 0x1c, 0x16, 0x16, 0x20, 0x2c, 0x20, 0x23, 0x26, 0x27, 0x29, 0x2a, 0x29, 0x19, 0x1f,
    0x2d, 0x30, 0x2d, 0x28, 0x30, 0x25, 0x28, 0x29, 0x28, 0xff, 0xdb, 0x00, 0x43, 0x01, 0x07, 0x07,
    0x07, 0x0a, 0x08, 0x0a, 0x13, 0x0a, 0x0a, 0x13, 0x28, 0x1a, 0x16, 0x1a, 0x28, 0x28, 0x28, 0x28,
    0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28,
    0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28,
    0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0x28, 0xff, 0xc2,
    0x00, 0x11, 0x08, 0x00, 0x08, 0x00, 0x10, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11,
    0x01, 0xff, 0xc4, 0x00, 0x15, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0xff, 0xc4, 0x00, 0x15, 0x01, 0x01, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x04, 0xff,
    0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x10, 0x03, 0x10, 0x00, 0x00, 0x01, 0x95, 0x68, 0x19,
    0x7f, 0xff, 0xc4, 0x00, 0x16, 0x10, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x05, 0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00,
    0x01, 0x05, 0x02, 0x54, 0xe1, 0x53, 0x8f, 0xff, 0xc4, 0x00, 0x18, 0x11, 0x00, 0x02, 0x03, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x03, 0x04,
    0x05, 0xff, 0xda, 0x00, 0x08, 0x01, 0x03, 0x01, 0x01, 0x3f, 0x01, 0xca, 0xbd, 0x32, 0x67, 0xff,
    0xc4, 0x00, 0x17, 0x11, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x04, 0x51, 0xff, 0xda, 0x00, 0x08, 0x01, 0x02, 0x01, 0x01,
    0x3f, 0x01, 0x7b, 0x69, 0xb3, 0xff, 0xc4, 0x00, 0x15, 0x10, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x31, 0xff, 0xda, 0x00, 0x08,
    0x01, 0x01, 0x00, 0x06, 0x3f, 0x02, 0x88, 0xff, 0xc4, 0x00, 0x15, 0x10, 0x01, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x31, 0xff, 0xda,
    0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x3f, 0x21, 0x93, 0x27, 0xff, 0xda, 0x00, 0x0c, 0x03, 0x01,
    0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x10, 0x8b, 0xff, 0xc4, 0x00, 0x14, 0x11, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
    0xda, 0x00, 0x08, 0x01, 0x03, 0x01, 0x01, 0x3f, 0x10, 0x03, 0xff, 0xc4, 0x00, 0x15, 0x11, 0x01,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x21, 0xff, 0xda, 0x00, 0x08, 0x01, 0x02, 0x01, 0x01, 0x3f, 0x10, 0xa4, 0xff, 0xc4, 0x00, 0x15,
    0x10, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xf1, 0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x3f, 0x10, 0x80, 0x80, 0xff,
    0xd9,
};
static const unsigned char webp_lossless[] = {
    0x52, 0x49, 0x46, 0x46, 0x1c, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50,
    0x56, 0x50, 0x38, 0x4c, 0x0f, 0x00, 0x00, 0x00, 0x2f, 0x05, 0xc0, 0x00,
    0x00, 0x07, 0x10, 0xd1, 0xff, 0xfe, 0x07, 0x22, 0xa2, 0xff, 0x01, 0x00,
};

/* ---- helpers ---- */

#define NEAR(got, want, tol) CHECK(fabs((double)(got) - (double)(want)) <= (tol))

static char *path_of(const char *name)
{
    static char path[512]; /* tests run in one thread */
    snprintf(path, sizeof path, "%s/%s", root, name);
    return path;
}

static void write_file(const char *name, const void *data, size_t len)
{
    FILE *f = fopen(path_of(name), "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK(fwrite(data, 1, len, f) == len);
    CHECK(fclose(f) == 0);
}

static void read_sample(const char *path, bk_buf *out)
{
    bk_buf_reset(out);
    CHECK(bk_file_read(path, 1 << 20, out) == 0);
}

/* Write data to a file and load it; d receives the diagnostics. */
static bk_pdf_image *load_bytes(const void *data, size_t len, const char *media, bk_diags *d)
{
    write_file("probe", data, len);
    return bk_pdf_image_load(path_of("probe"), media, "probe", d);
}

/* Expect a refusal: NULL and exactly one warning that contains needle. */
static void refused(const void *data, size_t len, const char *media, const char *needle, int line)
{
    bk_diags d = BK_DIAGS_INIT;
    bk_pdf_image *img = load_bytes(data, len, media, &d);
    if (getenv("BK_TEST_VERBOSE") && d.len)
        fprintf(stderr, "%s: warning: %s\n", media, d.items[0].message);
    bk_test_checks++;
    if (img || d.len != 1 || d.nwarnings != 1 || d.nerrors != 0 ||
        (needle && !strstr(d.items[0].message, needle))) {
        bk_test_failures++;
        fprintf(stderr, "%s:%d: %s of %zu bytes: img=%p, %zu diagnostics, first: %s\n", __FILE__,
                line, media, len, (void *)img, d.len, d.len ? d.items[0].message : "-");
    }
    bk_pdf_image_free(img);
    bk_diags_release(&d);
}
#define REFUSED(data, len, media, needle) refused((data), (len), (media), (needle), __LINE__)

static bk_pdf_image *load_ok(const void *data, size_t len, const char *media, int line)
{
    bk_diags d = BK_DIAGS_INIT;
    bk_pdf_image *img = load_bytes(data, len, media, &d);
    bk_test_checks++;
    if (!img || d.len != 0) {
        bk_test_failures++;
        fprintf(stderr, "%s:%d: %s did not load cleanly: %s\n", __FILE__, line, media,
                d.len ? d.items[0].message : "-");
    }
    bk_diags_release(&d);
    return img;
}
#define LOAD_OK(data, len, media) load_ok((data), (len), (media), __LINE__)

static void check_size(const bk_pdf_image *img, double w, double h, int line)
{
    double gw = -1, gh = -1;
    bk_pdf_image_size(img, &gw, &gh);
    bk_test_checks++;
    if (fabs(gw - w) > 1e-3 || fabs(gh - h) > 1e-3) { /* pHYs counts dots per metre */
        bk_test_failures++;
        fprintf(stderr, "%s:%d: size is %gx%g pt, expected %gx%g\n", __FILE__, line, gw, gh, w, h);
    }
}
#define SIZE_IS(img, w, h) check_size((img), (w), (h), __LINE__)

/* An ARGB32 rendering of img drawn into the whole of a w x h surface. */
static cairo_surface_t *render(bk_pdf_image *img, int w, int h)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    cairo_t *cr = cairo_create(s);
    bk_pdf_image_draw(img, cr, 0, 0, w, h);
    CHECK(cairo_status(cr) == CAIRO_STATUS_SUCCESS);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    return s;
}

/* Pixel (x, y) of an ARGB32 surface as 0xAARRGGBB (premultiplied). */
static uint32_t pixel(cairo_surface_t *s, int x, int y)
{
    uint32_t px;
    memcpy(&px, cairo_image_surface_get_data(s) + y * cairo_image_surface_get_stride(s) + x * 4,
           sizeof(px));
    return px;
}

#define CH(px, shift) ((int)(((px) >> (shift)) & 0xff))

/* PNG chunk CRC (ISO 3309), for the PNGs the tests build. */
static uint32_t crc32_png(const unsigned char *p, size_t len)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Append a PNG chunk (length, type, data, CRC) to out. */
static void add_chunk(bk_buf *out, const char *type, const unsigned char *data, size_t len)
{
    unsigned char b[4];
    put32(b, (uint32_t)len);
    bk_buf_add(out, b, 4);
    size_t start = out->len;
    bk_buf_add(out, type, 4);
    bk_buf_add(out, data, len);
    put32(b, crc32_png((const unsigned char *)out->ptr + start, len + 4));
    bk_buf_add(out, b, 4);
}

static cairo_status_t write_buf(void *closure, const unsigned char *data, unsigned int len)
{
    bk_buf_add(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

/* A w x h PNG of one colour (ARGB, premultiplied); with dpi > 0 it gets a
 * pHYs chunk saying so. */
static void make_png(bk_buf *out, int w, int h, uint32_t argb, double dpi)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgba(cr, CH(argb, 16) / 255.0, CH(argb, 8) / 255.0, CH(argb, 0) / 255.0,
                          CH(argb, 24) / 255.0);
    cairo_paint(cr);
    cairo_destroy(cr);
    bk_buf png = BK_BUF_INIT;
    CHECK(cairo_surface_write_to_png_stream(s, write_buf, &png) == CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
    bk_buf_reset(out);
    bk_buf_add(out, png.ptr, 33); /* signature + IHDR */
    if (dpi > 0) {
        unsigned char phys[9];
        uint32_t ppm = (uint32_t)(dpi / 0.0254 + 0.5);
        put32(phys, ppm);
        put32(phys + 4, ppm);
        phys[8] = 1;
        add_chunk(out, "pHYs", phys, sizeof(phys));
    }
    bk_buf_add(out, png.ptr + 33, png.len - 33);
    bk_buf_release(&png);
}

/* A PNG that is only a header claiming w x h pixels. */
static void png_header_only(bk_buf *out, uint32_t w, uint32_t h)
{
    static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    unsigned char ihdr[13] = { 0 };
    put32(ihdr, w);
    put32(ihdr + 4, h);
    ihdr[8] = 8; /* bit depth */
    ihdr[9] = 2; /* RGB */
    bk_buf_reset(out);
    bk_buf_add(out, sig, 8);
    add_chunk(out, "IHDR", ihdr, sizeof(ihdr));
    add_chunk(out, "IEND", NULL, 0);
}

/* Offset of the first SOFn marker's payload length field in a JPEG. */
static size_t find_sof(const bk_buf *jpeg)
{
    const unsigned char *p = (const unsigned char *)jpeg->ptr;
    for (size_t i = 2; i + 9 < jpeg->len; i++)
        if (p[i] == 0xff && (p[i + 1] == 0xc0 || p[i + 1] == 0xc2))
            return i + 2;
    return 0;
}

/* A copy of jpeg with an EXIF APP1 stating orientation o right after SOI. */
static void with_orientation(bk_buf *out, const void *jpeg, size_t len, int o)
{
    static const unsigned char head[] = {
        0xff, 0xe1, 0x00, 0x22, 'E',  'x',  'i',  'f',  0,    0,                /* APP1 */
        'M',  'M',  0x00, 0x2a, 0x00, 0x00, 0x00, 0x08,                         /* TIFF */
        0x00, 0x01,                                                             /* 1 entry */
        0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /* orientation */
        0x00, 0x00, 0x00, 0x00,                                                 /* no next IFD */
    };
    unsigned char app1[sizeof(head)];
    memcpy(app1, head, sizeof(head));
    app1[29] = (unsigned char)o;
    bk_buf_reset(out);
    bk_buf_add(out, jpeg, 2);
    bk_buf_add(out, app1, sizeof(app1));
    bk_buf_add(out, (const char *)jpeg + 2, len - 2);
}

/* A WebP made by gdk-pixbuf's WebP saver: w x h of one RGBA colour. */
static void make_webp(bk_buf *out, int w, int h, bool alpha, uint32_t rgba)
{
    GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, alpha, 8, w, h);
    gdk_pixbuf_fill(pb, rgba);
    gchar *buf = NULL;
    gsize len = 0;
    GError *err = NULL;
    bk_buf_reset(out);
    bool ok = gdk_pixbuf_save_to_buffer(pb, &buf, &len, "webp", &err, NULL);
    CHECK(ok);
    if (ok)
        bk_buf_add(out, buf, len);
    else
        fprintf(stderr, "cannot make a WebP: %s\n", err->message);
    g_free(buf);
    if (err)
        g_error_free(err);
    g_object_unref(pb);
}

/* ---- each format loads, at its natural size ---- */

static void test_png(void)
{
    bk_diags d = BK_DIAGS_INIT;
    bk_pdf_image *img = bk_pdf_image_load(IMG "reading-times.png", "image/png", "r.png", &d);
    CHECK(img != NULL);
    CHECK_INT(d.len, 0);
    SIZE_IS(img, 360, 180); /* 480x240 px at 96 px per inch */
    bk_pdf_image_free(img);

    bk_buf png = BK_BUF_INIT;
    make_png(&png, 30, 15, 0x80008000u, 300); /* half-transparent green, 300 dpi */
    img = LOAD_OK(png.ptr, png.len, "image/png");
    SIZE_IS(img, 30 * 72.0 / 300, 15 * 72.0 / 300);
    cairo_surface_t *s = render(img, 30, 15);
    uint32_t px = pixel(s, 3, 3);
    NEAR(CH(px, 24), 128, 1); /* alpha kept: the PNG stays lossless */
    NEAR(CH(px, 8), 64, 1);   /* premultiplied */
    CHECK_INT(CH(px, 16), 0);
    cairo_surface_destroy(s);
    bk_pdf_image_free(img);

    make_png(&png, 30, 15, 0xff000000u, 2); /* 2 dpi: junk, ignored */
    img = LOAD_OK(png.ptr, png.len, "image/png");
    SIZE_IS(img, 22.5, 11.25);
    bk_pdf_image_free(img);
    bk_buf_release(&png);
    bk_diags_release(&d);
}

static void test_jpeg(void)
{
    bk_diags d = BK_DIAGS_INIT;
    bk_pdf_image *img = bk_pdf_image_load(IMG "desk-at-dusk.jpg", "image/jpeg", "d.jpg", &d);
    CHECK(img != NULL);
    CHECK_INT(d.len, 0);
    SIZE_IS(img, 480, 300); /* 640x400; its JFIF density 1x1 is an aspect ratio */
    bk_pdf_image_free(img);

    bk_buf jpeg = BK_BUF_INIT, copy = BK_BUF_INIT;
    read_sample(IMG "desk-at-dusk.jpg", &jpeg);
    /* JFIF density 300 dots per inch */
    bk_buf_add(&copy, jpeg.ptr, jpeg.len);
    CHECK(memcmp(copy.ptr + 6, "JFIF", 4) == 0);
    unsigned char *j = (unsigned char *)copy.ptr + 4; /* APP0 payload length field */
    j[9] = 1;
    j[10] = 1, j[11] = 44; /* 300 */
    j[12] = 1, j[13] = 44;
    img = LOAD_OK(copy.ptr, copy.len, "image/jpeg");
    SIZE_IS(img, 640 * 72.0 / 300, 400 * 72.0 / 300);
    bk_pdf_image_free(img);
    /* dots per cm: 118 = 299.72 dpi */
    j[9] = 2, j[10] = 0, j[11] = 118, j[12] = 0, j[13] = 118;
    img = LOAD_OK(copy.ptr, copy.len, "image/jpeg");
    SIZE_IS(img, 640 * 72.0 / (118 * 2.54), 400 * 72.0 / (118 * 2.54));
    bk_pdf_image_free(img);

    /* EXIF orientation 6 (turn right to view): the size turns too. */
    with_orientation(&copy, jpeg.ptr, jpeg.len, 6);
    img = LOAD_OK(copy.ptr, copy.len, "image/jpeg");
    SIZE_IS(img, 300, 480);
    bk_pdf_image_free(img);

    /* progressive: passed through like baseline. Passed-through pixels are
     * never decoded, so outside a PDF the surface is blank (black). */
    img = LOAD_OK(jpeg_prog, sizeof(jpeg_prog), "image/jpeg");
    SIZE_IS(img, 12, 6);
    cairo_surface_t *s = render(img, 16, 8);
    CHECK_INT(pixel(s, 15, 7), 0xff000000u);
    cairo_surface_destroy(s);
    bk_pdf_image_free(img);
    /* A fill byte before the first marker is legal, but cairo 1.16's
     * parser then ignores the JPEG data: such files are decoded. */
    bk_buf_reset(&copy);
    bk_buf_add(&copy, jpeg_prog, 2);
    bk_buf_addc(&copy, (char)0xff);
    bk_buf_add(&copy, jpeg_prog + 2, sizeof(jpeg_prog) - 2);
    img = LOAD_OK(copy.ptr, copy.len, "image/jpeg");
    SIZE_IS(img, 12, 6);
    s = render(img, 16, 8);
    NEAR(CH(pixel(s, 15, 7), 16), 240, 40); /* red = 16 * x */
    NEAR(CH(pixel(s, 15, 7), 0), 128, 40);
    cairo_surface_destroy(s);
    bk_pdf_image_free(img);

    /* CMYK (Adobe, inverted) is decoded: it must come out red, not cyan. */
    img = LOAD_OK(jpeg_cmyk, sizeof(jpeg_cmyk), "image/jpeg");
    SIZE_IS(img, 6, 3);
    s = render(img, 8, 4);
    uint32_t px = pixel(s, 4, 2);
    NEAR(CH(px, 16), 255, 8);
    NEAR(CH(px, 8), 0, 8);
    NEAR(CH(px, 0), 0, 8);
    cairo_surface_destroy(s);
    bk_pdf_image_free(img);

    /* Arithmetic coding is decoded too; with orientation 6 the decoded
     * pixels land turned: the stored top-left corner shows top-right. */
    img = LOAD_OK(jpeg_arith, sizeof(jpeg_arith), "image/jpeg");
    SIZE_IS(img, 12, 6);
    bk_pdf_image_free(img);
    with_orientation(&copy, jpeg_arith, sizeof(jpeg_arith), 6);
    img = LOAD_OK(copy.ptr, copy.len, "image/jpeg");
    SIZE_IS(img, 6, 12);
    s = render(img, 8, 16);
    px = pixel(s, 7, 0); /* stored (0,0): red 0, green 0 */
    NEAR(CH(px, 16), 0, 40);
    NEAR(CH(px, 8), 0, 40);
    px = pixel(s, 0, 0); /* stored (0,7): red 0, green 224 */
    NEAR(CH(px, 16), 0, 40);
    NEAR(CH(px, 8), 224, 40);
    px = pixel(s, 0, 15); /* stored (15,7): red 240, green 224 */
    NEAR(CH(px, 16), 240, 40);
    NEAR(CH(px, 8), 224, 40);
    cairo_surface_destroy(s);
    bk_pdf_image_free(img);
    bk_buf_release(&copy);
    bk_buf_release(&jpeg);
    bk_diags_release(&d);
}

static void test_gif(void)
{
    bk_pdf_image *img = LOAD_OK(gif_anim, sizeof(gif_anim), "image/gif");
    SIZE_IS(img, 3.75, 2.25);
    cairo_surface_t *s = render(img, 5, 3);
    CHECK_INT(pixel(s, 0, 0), 0xffff0000u); /* first frame, not the blue second */
    CHECK_INT(pixel(s, 2, 1), 0xff00ff00u);
    CHECK_INT(pixel(s, 1, 2), 0xff0000ffu);
    CHECK_INT(pixel(s, 4, 1), 0); /* transparent index */
    cairo_surface_destroy(s);
    bk_pdf_image_free(img);
}

static void test_webp(void)
{
    bk_buf webp = BK_BUF_INIT;
    make_webp(&webp, 7, 5, true, 0xff000080u); /* red at half alpha: VP8X + ALPH */
    CHECK(webp.len > 16 && memcmp(webp.ptr + 12, "VP8X", 4) == 0);
    bk_pdf_image *img = LOAD_OK(webp.ptr, webp.len, "image/webp");
    SIZE_IS(img, 5.25, 3.75);
    cairo_surface_t *s = render(img, 7, 5);
    uint32_t px = pixel(s, 3, 2);
    NEAR(CH(px, 24), 128, 4); /* premultiplied: red about as strong as alpha */
    NEAR(CH(px, 16), 128, 12);
    NEAR(CH(px, 0), 0, 12);
    cairo_surface_destroy(s);
    bk_pdf_image_free(img);

    make_webp(&webp, 9, 4, false, 0x00ff00ffu); /* lossy, plain VP8 */
    CHECK(webp.len > 16 && memcmp(webp.ptr + 12, "VP8 ", 4) == 0);
    img = LOAD_OK(webp.ptr, webp.len, "image/webp");
    SIZE_IS(img, 6.75, 3);
    bk_pdf_image_free(img);

    img = LOAD_OK(webp_lossless, sizeof(webp_lossless), "image/webp");
    SIZE_IS(img, 4.5, 3);
    s = render(img, 6, 4);
    CHECK_INT(pixel(s, 5, 3), 0xff0000ffu);
    cairo_surface_destroy(s);
    bk_pdf_image_free(img);
    bk_buf_release(&webp);
}

static void test_svg(void)
{
    bk_diags d = BK_DIAGS_INIT;
    bk_pdf_image *img = bk_pdf_image_load(IMG "pipeline.svg", "image/svg+xml", "p.svg", &d);
    CHECK(img != NULL);
    CHECK_INT(d.len, 0);
    SIZE_IS(img, 420, 105); /* 560x140 */
    bk_pdf_image_free(img);
    bk_diags_release(&d);

    static const char inches[] = "<svg xmlns='http://www.w3.org/2000/svg' width='2in' "
                                 "height='1in'><rect width='100%' height='100%'/></svg>";
    img = LOAD_OK(inches, strlen(inches), "image/svg+xml");
    SIZE_IS(img, 144, 72);
    bk_pdf_image_free(img);

    static const char viewbox[] = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 40 20'>"
                                  "<rect width='40' height='20' fill='#00f'/></svg>";
    img = LOAD_OK(viewbox, strlen(viewbox), "image/svg+xml");
    SIZE_IS(img, 30, 15);
    cairo_surface_t *s = render(img, 40, 20);
    CHECK_INT(pixel(s, 20, 10), 0xff0000ffu);
    cairo_surface_destroy(s);
    bk_pdf_image_free(img);

    static const char percent[] = "<svg xmlns='http://www.w3.org/2000/svg' width='100%' "
                                  "viewBox='0 0 50 10'/>";
    img = LOAD_OK(percent, strlen(percent), "image/svg+xml");
    SIZE_IS(img, 37.5, 7.5);
    bk_pdf_image_free(img);

    static const char bare[] = "<svg xmlns='http://www.w3.org/2000/svg'/>";
    img = LOAD_OK(bare, strlen(bare), "image/svg+xml");
    SIZE_IS(img, 225, 112.5); /* 300x150, a replaced element's default */
    bk_pdf_image_free(img);
}

/* ---- SVG: no file or network access ---- */

/* An SVG of 20x20 whose whole area is an <image> at href. */
static void svg_with_image(bk_buf *out, const char *href)
{
    bk_buf_reset(out);
    bk_buf_addf(out,
                "<svg xmlns='http://www.w3.org/2000/svg' "
                "xmlns:xlink='http://www.w3.org/1999/xlink' width='20' height='20'>"
                "<image x='0' y='0' width='20' height='20' xlink:href='%s'/></svg>",
                href);
}

/* Load svg from a file in root and return the alpha at its centre. */
static int svg_centre_alpha(const bk_buf *svg)
{
    bk_pdf_image *img = LOAD_OK(svg->ptr, svg->len, "image/svg+xml");
    if (!img)
        return -1;
    cairo_surface_t *s = render(img, 20, 20);
    int a = CH(pixel(s, 10, 10), 24);
    cairo_surface_destroy(s);
    bk_pdf_image_free(img);
    return a;
}

static void test_svg_no_external(void)
{
    bk_buf png = BK_BUF_INIT, svg = BK_BUF_INIT, url = BK_BUF_INIT;
    make_png(&png, 4, 4, 0xffff0000u, 0);
    write_file("red.png", png.ptr, png.len);

    /* Control: the same picture as a data: URL does show, so the checks
     * below would see a loaded image. */
    gchar *b64 = g_base64_encode((const guchar *)png.ptr, png.len);
    bk_buf_addf(&url, "data:image/png;base64,%s", b64);
    g_free(b64);
    svg_with_image(&svg, url.ptr);
    CHECK_INT(svg_centre_alpha(&svg), 255);

    /* Relative to the SVG's own folder (the file sits beside "probe"). */
    svg_with_image(&svg, "red.png");
    CHECK_INT(svg_centre_alpha(&svg), 0);
    /* Absolute file: URLs. */
    bk_buf_reset(&url);
    bk_buf_addf(&url, "file://%s", path_of("red.png"));
    svg_with_image(&svg, url.ptr);
    CHECK_INT(svg_centre_alpha(&svg), 0);
    svg_with_image(&svg, "file:///etc/hostname");
    CHECK_INT(svg_centre_alpha(&svg), 0);

    /* http: a listening socket on the loopback must see no connection. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t salen = sizeof(sa);
    CHECK(fd >= 0);
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    CHECK(listen(fd, 4) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&sa, &salen) == 0);
    CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
    bk_buf_reset(&url);
    bk_buf_addf(&url, "http://127.0.0.1:%d/red.png", ntohs(sa.sin_port));
    svg_with_image(&svg, url.ptr);
    CHECK_INT(svg_centre_alpha(&svg), 0);
    bk_buf_reset(&svg);
    bk_buf_addf(&svg,
                "<svg xmlns='http://www.w3.org/2000/svg' width='20' height='20'>"
                "<image width='20' height='20' href='%s'/>"
                "<rect width='20' height='20' fill='url(%s#p)'/></svg>",
                url.ptr, url.ptr);
    CHECK_INT(svg_centre_alpha(&svg), 0);
    int c = accept(fd, NULL, NULL);
    CHECK(c < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
    if (c >= 0)
        close(c);
    close(fd);

    /* XInclude goes through the same gate. */
    bk_buf_reset(&svg);
    bk_buf_addf(&svg, "<svg xmlns='http://www.w3.org/2000/svg' "
                      "xmlns:xi='http://www.w3.org/2001/XInclude' width='20' height='20'>"
                      "<text x='0' y='15'><xi:include href='file:///etc/hostname' parse='text'>"
                      "<xi:fallback>-</xi:fallback></xi:include></text></svg>");
    bk_diags d = BK_DIAGS_INIT;
    bk_pdf_image *img = load_bytes(svg.ptr, svg.len, "image/svg+xml", &d);
    bk_pdf_image_free(img); /* loaded or refused, it must not have read the file */
    bk_diags_release(&d);
    bk_buf_release(&url);
    bk_buf_release(&svg);
    bk_buf_release(&png);
}

/* ---- corrupt, truncated and giant images ---- */

/* Every prefix of a valid image (in steps) either loads or is refused
 * with exactly one warning; nothing crashes (run under ASan in CI). Some
 * cuts must be refused: cut is the byte count of such a prefix. */
static void cut_everywhere(const void *data, size_t len, const char *media, size_t cut)
{
    size_t step = len / 97 + 1;
    for (size_t n = 0; n < len; n += step) {
        bk_diags d = BK_DIAGS_INIT;
        bk_pdf_image *img = load_bytes(data, n, media, &d);
        if (getenv("BK_TEST_VERBOSE") && img)
            fprintf(stderr, "%s cut to %zu of %zu bytes loads\n", media, n, len);
        bk_test_checks++;
        if (img ? d.len != 0 : d.len != 1 || d.nwarnings != 1) {
            bk_test_failures++;
            fprintf(stderr, "%s:%d: %s cut to %zu bytes: img=%p with %zu diagnostics\n", __FILE__,
                    __LINE__, media, n, (void *)img, d.len);
        }
        bk_pdf_image_free(img);
        bk_diags_release(&d);
    }
    REFUSED(data, 0, media, NULL);
    REFUSED(data, cut, media, NULL);
}

static void test_truncated(void)
{
    bk_buf b = BK_BUF_INIT;
    read_sample(IMG "reading-times.png", &b);
    cut_everywhere(b.ptr, b.len, "image/png", b.len / 2);
    REFUSED(b.ptr, b.len / 2, "image/png", "truncated");
    read_sample(IMG "desk-at-dusk.jpg", &b);
    cut_everywhere(b.ptr, b.len, "image/jpeg", b.len - 1);
    REFUSED(b.ptr, b.len / 2, "image/jpeg", "truncated JPEG");
    REFUSED(b.ptr, b.len - 1, "image/jpeg", "truncated JPEG"); /* EOI cut in half */
    cut_everywhere(jpeg_prog, sizeof(jpeg_prog), "image/jpeg", sizeof(jpeg_prog) / 2);
    cut_everywhere(jpeg_cmyk, sizeof(jpeg_cmyk), "image/jpeg", sizeof(jpeg_cmyk) / 2);
    cut_everywhere(jpeg_arith, sizeof(jpeg_arith), "image/jpeg", sizeof(jpeg_arith) / 2);
    cut_everywhere(gif_anim, sizeof(gif_anim), "image/gif", 40);
    cut_everywhere(webp_lossless, sizeof(webp_lossless), "image/webp", 31);
    make_webp(&b, 7, 5, true, 0xff000080u);
    cut_everywhere(b.ptr, b.len, "image/webp", b.len / 2);
    read_sample(IMG "pipeline.svg", &b);
    cut_everywhere(b.ptr, b.len, "image/svg+xml", b.len / 2);
    REFUSED(b.ptr, b.len / 2, "image/svg+xml", "corrupt SVG");

    /* Not the format at all, and the wrong media type. */
    bk_buf_reset(&b);
    for (int i = 0; i < 300; i++)
        bk_buf_addc(&b, (char)(i * 37 + 11));
    REFUSED(b.ptr, b.len, "image/png", "corrupt PNG");
    REFUSED(b.ptr, b.len, "image/jpeg", "corrupt JPEG");
    REFUSED(b.ptr, b.len, "image/gif", "corrupt GIF");
    REFUSED(b.ptr, b.len, "image/webp", "corrupt WebP");
    REFUSED(b.ptr, b.len, "image/svg+xml", "corrupt SVG");
    REFUSED(gif_anim, sizeof(gif_anim), "image/png", "corrupt PNG");
    REFUSED(gif_anim, sizeof(gif_anim), "image/tiff", "unsupported image type 'image/tiff'");

    /* A JPEG with garbage where a marker belongs. */
    read_sample(IMG "desk-at-dusk.jpg", &b);
    b.ptr[20] = 0x12;
    REFUSED(b.ptr, b.len, "image/jpeg", "corrupt JPEG");

    bk_diags d = BK_DIAGS_INIT;
    CHECK(bk_pdf_image_load(path_of("no-such-file.png"), "image/png", "x.png", &d) == NULL);
    CHECK_INT(d.nwarnings, 1);
    if (d.len)
        HAS(d.items[0].message, "cannot read image");
    bk_diags_release(&d);
    bk_buf_release(&b);
}

static void test_giant(void)
{
    bk_buf b = BK_BUF_INIT;
    /* 60000x60000 would be 14 GB of pixels: refused by our own check
     * (the message says so), not by a failing allocation. */
    png_header_only(&b, 60000, 60000);
    REFUSED(b.ptr, b.len, "image/png", "limit of 100000000");
    png_header_only(&b, 20000, 20000); /* within cairo's 32767 a side */
    REFUSED(b.ptr, b.len, "image/png", "limit of 100000000");
    png_header_only(&b, 40000, 10); /* small, but too wide for cairo */
    REFUSED(b.ptr, b.len, "image/png", "32767");
    png_header_only(&b, 0, 10);
    REFUSED(b.ptr, b.len, "image/png", "no width or height");
    /* --max-image-pixels lowers the limit; 0 puts the default back */
    bk_pdf_image_limits(0, 1000);
    png_header_only(&b, 40, 40);
    REFUSED(b.ptr, b.len, "image/png", "limit of 1000");
    bk_pdf_image_limits(0, 0);

    read_sample(IMG "desk-at-dusk.jpg", &b);
    size_t sof = find_sof(&b);
    CHECK(sof > 0);
    unsigned char *f = (unsigned char *)b.ptr + sof;    /* length, precision, height, width */
    f[3] = 0x75, f[4] = 0x30, f[5] = 0x75, f[6] = 0x30; /* 30000x30000 */
    REFUSED(b.ptr, b.len, "image/jpeg", "limit of 100000000");
    f[3] = 0, f[4] = 0; /* height 0 (a DNL marker would follow; not supported) */
    REFUSED(b.ptr, b.len, "image/jpeg", "no width or height");

    bk_buf_reset(&b);
    bk_buf_add(&b, gif_anim, sizeof(gif_anim));
    memset(b.ptr + 6, 0xff, 4); /* 65535x65535 */
    REFUSED(b.ptr, b.len, "image/gif", "limit of 100000000");
    memset(b.ptr + 6, 0, 4);
    REFUSED(b.ptr, b.len, "image/gif", "no width or height");
    /* a 5x3 screen whose second frame claims 60000x60000 */
    memcpy(b.ptr + 6, gif_anim + 6, 4);
    size_t frame = 0;
    for (size_t i = 13; i + 9 < b.len; i++)
        if (!memcmp(b.ptr + i, "\x2c\0\0\0\0\x05\0\x03\0", 9))
            frame = i;
    CHECK(frame > 40);
    memcpy(b.ptr + frame + 5, "\x60\xea\x60\xea", 4); /* the last match: the second frame */
    REFUSED(b.ptr, b.len, "image/gif", "a frame claims 60000x60000");

    static const unsigned char vp8x[] = {
        'R',  'I',  'F', 'F', 22, 0, 0, 0, 'W', 'E', 'B', 'P',
        'V',  'P',  '8', 'X', 10, 0, 0, 0, 0,   0,   0,   0, /* flags, reserved */
        0x1f, 0x4e, 0,                                       /* canvas width - 1 = 19999 */
        0x1f, 0x4e, 0,                                       /* canvas height - 1 */
    };
    REFUSED(vp8x, sizeof(vp8x), "image/webp", "limit of 100000000");

    static const char svg[] = "<svg xmlns='http://www.w3.org/2000/svg' width='100000' "
                              "height='100000'/>";
    REFUSED(svg, strlen(svg), "image/svg+xml", "limit of 100000000");
    static const char zero[] = "<svg xmlns='http://www.w3.org/2000/svg' width='0' height='9'/>";
    REFUSED(zero, strlen(zero), "image/svg+xml", "no width or height");
    bk_buf_release(&b);
}

/* ---- one PDF: every image embedded once however often it is drawn ---- */

/* Run a shell command; its output (stdout and stderr) goes to out. Returns
 * the exit status, or -1 if it could not run. */
static int run(const char *cmd, bk_buf *out)
{
    bk_buf_reset(out);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        bk_buf_add(out, chunk, n);
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool have_tool(const char *name)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* pdfimages -list: count the image rows (not smask rows) of size w x h,
 * and how many distinct objects and encodings they have. */
static void count_images(const char *list, int w, int h, int *rows, int *objects, bool *all_jpeg)
{
    int seen[64], nseen = 0;
    *rows = 0;
    *all_jpeg = true;
    for (const char *line = list; line && *line;) {
        int page, num, iw, ih, comp, bpc, obj, gen;
        char type[16], color[16], enc[16], interp[8];
        if (sscanf(line, "%d %d %15s %d %d %15s %d %d %15s %7s %d %d", &page, &num, type, &iw, &ih,
                   color, &comp, &bpc, enc, interp, &obj, &gen) == 12 &&
            !strcmp(type, "image") && iw == w && ih == h) {
            (*rows)++;
            if (strcmp(enc, "jpeg"))
                *all_jpeg = false;
            bool dup = false;
            for (int i = 0; i < nseen; i++)
                dup |= seen[i] == obj;
            if (!dup && nseen < 64)
                seen[nseen++] = obj;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    *objects = nseen;
}

static void test_pdf_embeds_once(void)
{
    bk_buf webp = BK_BUF_INIT, out = BK_BUF_INIT;
    bk_diags d = BK_DIAGS_INIT;
    make_webp(&webp, 7, 5, true, 0xff000080u);
    struct {
        bk_pdf_image *img;
        int w, h;  /* pixels, as pdfimages lists them; 0 = not counted */
        int uses;  /* rows pdfimages lists for it */
        bool jpeg; /* embedded as the JPEG file itself (DCT) */
    } im[] = {
        { bk_pdf_image_load(IMG "reading-times.png", "image/png", "r.png", &d), 480, 240, 6,
          false },
        { bk_pdf_image_load(IMG "desk-at-dusk.jpg", "image/jpeg", "d.jpg", &d), 640, 400, 12,
          true },
        /* a second load of the same JPEG: the unique id merges the two */
        { bk_pdf_image_load(IMG "desk-at-dusk.jpg", "image/jpeg", "d.jpg", &d), 0, 0, 0, true },
        { LOAD_OK(jpeg_prog, sizeof(jpeg_prog), "image/jpeg"), 16, 8, 6, true },
        { LOAD_OK(jpeg_cmyk, sizeof(jpeg_cmyk), "image/jpeg"), 8, 4, 6, false },
        { LOAD_OK(gif_anim, sizeof(gif_anim), "image/gif"), 5, 3, 6, false },
        { LOAD_OK(webp.ptr, webp.len, "image/webp"), 7, 5, 6, false },
        { LOAD_OK(webp_lossless, sizeof(webp_lossless), "image/webp"), 6, 4, 6, false },
        { bk_pdf_image_load(IMG "pipeline.svg", "image/svg+xml", "p.svg", &d), 0, 0, 0, false },
    };
    CHECK_INT(d.len, 0);
    for (size_t i = 0; i < BK_ARRAY_LEN(im); i++)
        CHECK(im[i].img != NULL);

    const char *pdf = path_of("images.pdf");
    cairo_surface_t *surface = cairo_pdf_surface_create(pdf, 595, 842);
    cairo_t *cr = cairo_create(surface);
    for (int page = 0; page < 3; page++) {
        double y = 20;
        for (size_t i = 0; i < BK_ARRAY_LEN(im); i++) {
            double w, h;
            bk_pdf_image_size(im[i].img, &w, &h);
            double k = 80 / (h > 0 ? h : 1); /* 80 pt high, then again at half size */
            bk_pdf_image_draw(im[i].img, cr, 20, y, w * k, 80);
            bk_pdf_image_draw(im[i].img, cr, 300, y, w * k / 2, 40);
            y += 88;
        }
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    CHECK(cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(surface);

    char cmd[600];
    if (have_tool("qpdf")) {
        snprintf(cmd, sizeof cmd, "qpdf --check '%s' 2>&1", pdf);
        CHECK_INT(run(cmd, &out), 0);
        bk_test_checks++;
        if (strstr(out.ptr, "WARNING")) { /* exit 0 already rules out 2 (errors), 3 (warnings) */
            bk_test_failures++;
            fprintf(stderr, "%s:%d: qpdf --check:\n%s", __FILE__, __LINE__, out.ptr);
        }
    } else {
        printf("note: qpdf not found; the PDF is not checked\n");
    }
    if (have_tool("pdfimages")) {
        snprintf(cmd, sizeof cmd, "pdfimages -list '%s' 2>&1", pdf);
        CHECK_INT(run(cmd, &out), 0);
        int rows, objects;
        bool jpeg;
        for (size_t i = 0; i < BK_ARRAY_LEN(im); i++) {
            if (!im[i].w)
                continue;
            count_images(out.ptr, im[i].w, im[i].h, &rows, &objects, &jpeg);
            bk_test_checks++;
            if (rows != im[i].uses || objects != 1 || jpeg != im[i].jpeg) {
                bk_test_failures++;
                fprintf(stderr,
                        "%s:%d: %dx%d image: %d uses in %d objects (jpeg %d), expected %d in 1 "
                        "(jpeg %d)\n",
                        __FILE__, __LINE__, im[i].w, im[i].h, rows, objects, jpeg, im[i].uses,
                        im[i].jpeg);
            }
        }
        count_images(out.ptr, 560, 140, &rows, &objects, &jpeg);
        CHECK_INT(rows, 0); /* the SVG stays vectors */
    } else {
        printf("note: pdfimages not found; the embedded images are not counted\n");
        CHECK(getenv("CI") == NULL); /* CI installs poppler-utils: a skip there is a failure */
    }
    for (size_t i = 0; i < BK_ARRAY_LEN(im); i++)
        bk_pdf_image_free(im[i].img);
    bk_diags_release(&d);
    bk_buf_release(&out);
    bk_buf_release(&webp);
}

static void test_null(void)
{
    double w = 1, h = 1;
    bk_pdf_image_size(NULL, &w, &h);
    CHECK(w == 0 && h == 0);
    bk_pdf_image_free(NULL);
}

int main(void)
{
    snprintf(root, sizeof root, "%s/bk-image-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(root))
        return 2;
    RUN(test_png);
    RUN(test_jpeg);
    RUN(test_gif);
    RUN(test_webp);
    RUN(test_svg);
    RUN(test_svg_no_external);
    RUN(test_truncated);
    RUN(test_giant);
    RUN(test_pdf_embeds_once);
    RUN(test_null);
    /* librsvg draws SVG text with pango: drop pango's font map and
     * fontconfig's caches so LeakSanitizer sees only real leaks. */
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    FcFini();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (getenv("BK_TEST_KEEP")) /* to look at images.pdf */
        printf("kept %s\n", root);
    else if (system(cmd) != 0)
        return 2;
    return TEST_DONE();
}
