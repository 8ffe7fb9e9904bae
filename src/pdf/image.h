/*
 * image.h -- images for the PDF (private to pdf/).
 *
 * Loads PNG, JPEG, GIF, WebP and SVG files into something cairo can draw,
 * keeping JPEG bytes as they are (embedded unchanged in the PDF) and SVG as
 * vectors (librsvg). Each image is loaded once per document and drawn from
 * the same surface, so the PDF embeds it once.
 */
#ifndef BK_PDF_IMAGE_H
#define BK_PDF_IMAGE_H

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>

#include "bookify/diag.h"

typedef struct bk_pdf_image bk_pdf_image;

/* Load the image at path (media type from the book's assets: "image/png",
 * "image/jpeg", "image/gif", "image/webp", "image/svg+xml"). Returns NULL
 * after recording a warning at display (corrupt or unsupported image, or
 * one claiming more than 100 megapixels: never a giant allocation). */
bk_pdf_image *bk_pdf_image_load(const char *path, const char *media, const char *display,
                                bk_diags *d);
/* The limits for the images loaded next (0: the defaults, 64 MiB and
 * 100 megapixels). */
void bk_pdf_image_limits(size_t bytes, size_t pixels);
/* Natural size in points (96 px per inch for pixel images without a
 * resolution, the SVG's own size for vectors). */
void bk_pdf_image_size(const bk_pdf_image *img, double *width, double *height);
/* Draw the image into the rectangle (x, y, w, h) of cr. */
void bk_pdf_image_draw(bk_pdf_image *img, cairo_t *cr, double x, double y, double w, double h);
void bk_pdf_image_free(bk_pdf_image *img);

#endif
