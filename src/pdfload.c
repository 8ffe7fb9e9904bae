/* pdfload.c -- the PDF writer, loaded when a run makes a PDF (see pdf.h). */
#include "bookify/pdf.h"

#include <dlfcn.h>
#include <glib.h>
#include <stdlib.h>

#include "bookify/banned.h"

#ifndef BK_PDF_MODULE_REL
#define BK_PDF_MODULE_REL "../lib/bookify/" BK_PDF_MODULE_NAME
#endif

static bk_pdf_api api;

const bk_pdf_api *bk_pdf_load(bk_diags *d)
{
    if (api.write)
        return &api;
    /* Beside the binary (the build tree), then where it is installed. */
    char *exe = g_file_read_link("/proc/self/exe", NULL);
    char *bin = exe ? g_path_get_dirname(exe) : g_strdup(".");
    const char *const rel[] = { BK_PDF_MODULE_NAME, BK_PDF_MODULE_REL };
    GString *why = g_string_new(NULL);
    void *lib = NULL;
    char *tried = NULL;
    for (size_t i = 0; i < 2 && !lib; i++) {
        g_free(tried);
        tried = g_build_filename(bin, rel[i], NULL);
        /* RTLD_LOCAL: its functions that stand in for pango's, cairo's and
         * HarfBuzz's (the shaping cache, the shared FreeType faces) come
         * first for the libraries it brings, as an executable's would. */
        lib = dlopen(tried, RTLD_LAZY | RTLD_LOCAL);
        if (!lib) {
            const char *e = dlerror();
            g_string_append_printf(why, "%s%s", why->len ? "; " : "", e ? e : tried);
        }
    }
    if (lib) {
        *(void **)&api.check = dlsym(lib, "bk_pdf_check");
        *(void **)&api.write = dlsym(lib, "bk_pdf_write");
    }
    if (!api.check || !api.write) {
        api.check = NULL;
        api.write = NULL;
        bk_error(d, (bk_loc){ NULL, 0, 0 },
                 "cannot load bookify's PDF writer (%s): %s; reinstall bookify, or build the EPUB "
                 "alone with --epub",
                 BK_PDF_MODULE_NAME, why->len ? why->str : "its functions are missing");
    }
    g_string_free(why, TRUE);
    g_free(tried);
    g_free(bin);
    g_free(exe);
    return api.write ? &api : NULL;
}
