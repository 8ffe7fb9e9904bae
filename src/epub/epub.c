/* epub.c -- the EPUB 3 writer: files, splitting, zip (see epub.h). */
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <glib.h>
#include <libxml/xmlsave.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "../dom.h"
#include "bookify/deflate.h"
#include "bookify/dl.h"
#include "bookify/fileio.h"
#include "bookify/outfile.h"
#include "bookify/par.h"
#include "bookify/progress.h"
#include "bookify/resolve.h"
#include "epub_int.h"

#include "bookify/banned.h"

extern const unsigned char bk_builtin_epub_css[];
extern const size_t bk_builtin_epub_css_len;

#define SPLIT_DEFAULT (300u * 1024u)

/* ==================== items and pages ==================== */

ep_item *ep_add(ep_ctx *c, const char *href, const char *media, bk_buf *data)
{
    BK_GROW(c->items, c->capitems, c->nitems + 1);
    ep_item *it = &c->items[c->nitems++];
    memset(it, 0, sizeof(*it));
    it->href = bk_xstrdup(href);
    it->media = media;
    it->data = *data;
    bk_buf_init(data);
    /* Manifest ids: fixed names where the package refers to them, else the
     * order of addition, so they never depend on file names. */
    if (strcmp(href, "toc.ncx") == 0)
        it->id = bk_xstrdup("ncx");
    else if (strcmp(href, "bk-nav.xhtml") == 0)
        it->id = bk_xstrdup("nav");
    else {
        char id[32];
        snprintf(id, sizeof id, "item-%zu", c->nitems);
        it->id = bk_xstrdup(id);
    }
    it->spine_order = c->next_spine++;
    return it;
}

xmlDocPtr ep_page_new(ep_ctx *c, const char *title, xmlNodePtr *body)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlCreateIntSubset(doc, BAD_CAST "html", NULL, NULL);
    xmlNodePtr html = xmlNewDocNode(doc, NULL, BAD_CAST "html", NULL);
    xmlDocSetRootElement(doc, html);
    xmlNsPtr ns = xmlNewNs(html, BAD_CAST BK_XHTML_NS, NULL);
    xmlNewNs(html, BAD_CAST BK_EPUB_NS, BAD_CAST "epub");
    xmlSetNs(html, ns);
    xmlNodeSetLang(html, BAD_CAST c->lang);
    xmlSetProp(html, BAD_CAST "lang", BAD_CAST c->lang);
    if (c->rtl)
        xmlSetProp(html, BAD_CAST "dir", BAD_CAST "rtl");
    xmlNodePtr head = bk_dom_new(html, ns, "head");
    xmlNodePtr meta = bk_dom_new(head, ns, "meta");
    xmlSetProp(meta, BAD_CAST "charset", BAD_CAST "utf-8");
    xmlNodeAddContent(bk_dom_new(head, ns, "title"), BAD_CAST title);
    for (size_t i = 0; i < c->css.len; i++) {
        xmlNodePtr link = bk_dom_new(head, ns, "link");
        xmlSetProp(link, BAD_CAST "rel", BAD_CAST "stylesheet");
        xmlSetProp(link, BAD_CAST "type", BAD_CAST "text/css");
        xmlSetProp(link, BAD_CAST "href", BAD_CAST c->css.v[i]);
    }
    *body = bk_dom_new(html, ns, "body");
    return doc;
}

void ep_serialize(xmlDocPtr doc, bk_buf *out)
{
    /* No formatting: it would indent inside <pre>. */
    bk_doc_write_saved(doc, out);
}

/* ==================== labels ==================== */

typedef struct label_set {
    const char *lang;
    const char *contents, *cover, *titlepage, *copyright, *start, *landmarks;
} label_set;

static const label_set labels[] = {
    { "en", "Contents", "Cover", "Title Page", "Copyright", "Start", "Landmarks" },
    { "fr", "Table des matières", "Couverture", "Page de titre", "Droits", "Début", "Repères" },
    { "de", "Inhalt", "Umschlag", "Titelseite", "Impressum", "Anfang", "Orientierung" },
    { "es", "Índice", "Cubierta", "Portada", "Créditos", "Inicio", "Puntos de referencia" },
    { "pt", "Sumário", "Capa", "Folha de rosto", "Créditos", "Início", "Marcos" },
    { "it", "Indice", "Copertina", "Frontespizio", "Colophon", "Inizio", "Punti di riferimento" },
    { "nl", "Inhoud", "Omslag", "Titelpagina", "Colofon", "Begin", "Oriëntatiepunten" },
    { "ru", "Содержание", "Обложка", "Титульный лист", "Выходные данные", "Начало", "Ориентиры" },
    { "ja", "目次", "表紙", "扉", "奥付", "本文", "ランドマーク" },
    { "zh", "目录", "封面", "扉页", "版权页", "正文", "地标" },
    { "ko", "목차", "표지", "속표지", "판권", "본문", "랜드마크" },
    { "ar", "المحتويات", "الغلاف", "صفحة العنوان", "حقوق النشر", "البداية", "معالم" },
    { "fa", "فهرست", "جلد", "صفحهٔ عنوان", "شناسنامه", "آغاز", "نشانه‌ها" },
    { "he", "תוכן העניינים", "כריכה", "שער", "זכויות יוצרים", "התחלה", "ציוני דרך" },
};

const char *ep_label(const ep_ctx *c, const char *key)
{
    const label_set *l = &labels[0];
    for (size_t i = 0; i < BK_ARRAY_LEN(labels); i++) {
        size_t n = strlen(labels[i].lang);
        if (strncmp(c->lang, labels[i].lang, n) == 0 && (c->lang[n] == '\0' || c->lang[n] == '-'))
            l = &labels[i];
    }
    if (strcmp(key, "contents") == 0)
        return l->contents;
    if (strcmp(key, "cover") == 0)
        return l->cover;
    if (strcmp(key, "titlepage") == 0)
        return l->titlepage;
    if (strcmp(key, "copyright") == 0)
        return l->copyright;
    if (strcmp(key, "landmarks") == 0)
        return l->landmarks;
    return l->start;
}

/* ==================== metadata ==================== */

/* A name-based UUID (RFC 4122 version 5, SHA-1) of name in namespace ns. */
static char *uuid5(const unsigned char ns[16], const char *name)
{
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA1);
    g_checksum_update(ck, ns, 16);
    g_checksum_update(ck, (const guchar *)name, (gssize)strlen(name));
    guint8 h[20];
    gsize n = sizeof h;
    g_checksum_get_digest(ck, h, &n);
    g_checksum_free(ck);
    h[6] = (guint8)((h[6] & 0x0F) | 0x50);
    h[8] = (guint8)((h[8] & 0x3F) | 0x80);
    char out[64];
    snprintf(out, sizeof out,
             "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0],
             h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13],
             h[14], h[15]);
    return bk_xstrdup(out);
}

static void metadata(ep_ctx *c)
{
    bk_book *book = c->book;
    const bk_meta *m = &book->meta;
    /* RFC 4122's URL namespace for a site url; a fixed bookify namespace
     * for titles. Never random: the same site is the same book. */
    static const unsigned char url_ns[16] = { 0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                              0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 };
    static const unsigned char title_ns[16] = { 0x3c, 0x1e, 0x5b, 0x0a, 0x4f, 0x2d, 0x4e, 0x8b,
                                                0x9a, 0x61, 0x7d, 0x0b, 0x62, 0x35, 0xb7, 0x04 };
    if (m->identifier)
        c->identifier = bk_xstrdup(m->identifier);
    else if (m->url)
        c->identifier = uuid5(url_ns, m->url);
    else
        c->identifier = uuid5(title_ns, m->title);

    int64_t t;
    bk_book_dates(book, c->opts->epoch, &c->date, &t);
    c->epoch = t;
    bk_date u = bk_date_from_epoch(t);
    snprintf(c->modified, sizeof c->modified, "%04d-%02d-%02dT%02d:%02d:%02dZ", u.year, u.month,
             u.day, u.hour, u.minute, u.second);
    c->lang = m->lang;
    c->rtl = bk_lang_is_rtl(c->lang);
}

/* ==================== style sheets and fonts ==================== */

static int read_into(ep_ctx *c, const char *path, const char *display, bk_buf *out)
{
    size_t max = (size_t)64 << 20; /* images were checked against their limit already */
    if (c->book->meta.max_image_size > max)
        max = c->book->meta.max_image_size;
    if (bk_file_read(path, max, out) < 0)
        return bk_error(c->diags, (bk_loc){ display, 0, 0 }, "cannot read: %s",
                        errno == EFBIG ? "larger than 64 MiB" : strerror(errno));
    return 0;
}

typedef struct font_want {
    const char *family, *style, *css_family;
    int weight;
    bool italic;
} font_want;

static const font_want fonts[] = {
    { "Gentium Book Plus", "Regular", "Gentium Book Plus", 400, false },
    { "Gentium Book Plus", "Italic", "Gentium Book Plus", 400, true },
    { "Gentium Book Plus", "Bold", "Gentium Book Plus", 700, false },
    { "Gentium Book Plus", "Bold Italic", "Gentium Book Plus", 700, true },
    { "Noto Sans", "Regular", "Noto Sans", 400, false },
    { "Noto Sans", "Bold", "Noto Sans", 700, false },
    { "DejaVu Sans Mono", "Book", "DejaVu Sans Mono", 400, false },
    { "DejaVu Sans Mono", "Bold", "DejaVu Sans Mono", 700, false },
};

/* fontconfig, loaded when --embed-fonts asks for it (dl.h): the executable
 * is not linked with it (pdf.h). */
#define FC_FUNCTIONS(X)                                                                          \
    X(FcInitLoadConfigAndFonts)                                                                  \
    X(FcPatternCreate)                                                                           \
    X(FcPatternAddString)                                                                        \
    X(FcObjectSetBuild)                                                                          \
    X(FcFontList)                                                                                \
    X(FcPatternGetString)                                                                        \
    X(FcFontSetDestroy)                                                                          \
    X(FcObjectSetDestroy)                                                                        \
    X(FcPatternDestroy)                                                                          \
    X(FcConfigDestroy)
BK_DL_POINTERS(FC_FUNCTIONS)
BK_DL_LOADER(load_fontconfig, "libfontconfig.so.1", FC_FUNCTIONS)

/* libzip, loaded beside the start of the run (dl.h): linked, it and the
 * libcrypto under it were 3 of the executable's 11.5 ms start-up, spent
 * on one core before main. bk_epub_preload starts loading it on a thread
 * of its own as soon as a run knows it will write an EPUB; write_zip
 * waits for it there. */
#define ZIP_FUNCTIONS(X)                                                                         \
    X(zip_close)                                                                                 \
    X(zip_discard)                                                                               \
    X(zip_error_fini)                                                                            \
    X(zip_error_init)                                                                            \
    X(zip_error_strerror)                                                                        \
    X(zip_file_add)                                                                              \
    X(zip_file_set_dostime)                                                                      \
    X(zip_open_from_source)                                                                      \
    X(zip_set_file_compression)                                                                  \
    X(zip_source_buffer)                                                                         \
    X(zip_source_buffer_create)                                                                  \
    X(zip_source_close)                                                                          \
    X(zip_source_free)                                                                           \
    X(zip_source_function)                                                                       \
    X(zip_source_keep)                                                                           \
    X(zip_source_make_command_bitmap)                                                            \
    X(zip_source_open)                                                                           \
    X(zip_source_read)                                                                           \
    X(zip_source_stat)                                                                           \
    X(zip_stat_init)                                                                             \
    X(zip_strerror)
BK_DL_POINTERS(ZIP_FUNCTIONS)
BK_DL_LOADER(load_libzip, BK_LIBZIP_SONAME, ZIP_FUNCTIONS)
#define zip_close p_zip_close
#define zip_discard p_zip_discard
#define zip_error_fini p_zip_error_fini
#define zip_error_init p_zip_error_init
#define zip_error_strerror p_zip_error_strerror
#define zip_file_add p_zip_file_add
#define zip_file_set_dostime p_zip_file_set_dostime
#define zip_open_from_source p_zip_open_from_source
#define zip_set_file_compression p_zip_set_file_compression
#define zip_source_buffer p_zip_source_buffer
#define zip_source_buffer_create p_zip_source_buffer_create
#define zip_source_close p_zip_source_close
#define zip_source_free p_zip_source_free
#define zip_source_function p_zip_source_function
#define zip_source_keep p_zip_source_keep
#define zip_source_make_command_bitmap p_zip_source_make_command_bitmap
#define zip_source_open p_zip_source_open
#define zip_source_read p_zip_source_read
#define zip_source_stat p_zip_source_stat
#define zip_stat_init p_zip_stat_init
#define zip_strerror p_zip_strerror

static pthread_once_t zip_once = PTHREAD_ONCE_INIT;
static bool zip_loaded;

static void zip_load(void)
{
    zip_loaded = load_libzip();
}

static void *zip_preload(void *arg)
{
    (void)arg;
    pthread_once(&zip_once, zip_load);
    return NULL;
}

void bk_epub_preload(void)
{
    pthread_t t;
    pthread_attr_t a;
    if (pthread_attr_init(&a) != 0)
        return;
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &a, zip_preload, NULL) != 0)
        zip_preload(NULL);
    pthread_attr_destroy(&a);
}

/* The book's fonts as files of the book, with a style sheet naming them. */
static int embed_fonts(ep_ctx *c)
{
    if (!load_fontconfig())
        return bk_error(c->diags, (bk_loc){ NULL, 0, 0 },
                        "--embed-fonts: fontconfig (libfontconfig.so.1) cannot be loaded");
    int rc = 0;
    FcConfig *cfg = p_FcInitLoadConfigAndFonts();
    bk_buf css = BK_BUF_INIT;
    for (size_t i = 0; i < BK_ARRAY_LEN(fonts); i++) {
        FcPattern *pat = p_FcPatternCreate();
        p_FcPatternAddString(pat, FC_FAMILY, (const FcChar8 *)fonts[i].family);
        p_FcPatternAddString(pat, FC_STYLE, (const FcChar8 *)fonts[i].style);
        FcObjectSet *os = p_FcObjectSetBuild(FC_FILE, NULL);
        FcFontSet *fs = p_FcFontList(cfg, pat, os);
        const char *file = NULL;
        FcChar8 *f = NULL;
        if (fs && fs->nfont > 0 &&
            p_FcPatternGetString(fs->fonts[0], FC_FILE, 0, &f) == FcResultMatch)
            file = (const char *)f;
        if (!file) {
            rc = bk_error(c->diags, (bk_loc){ NULL, 0, 0 },
                          "--embed-fonts: font '%s %s' is not installed (scripts/setup.sh installs "
                          "it)",
                          fonts[i].family, fonts[i].style);
        } else {
            bk_buf data = BK_BUF_INIT;
            const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
            const char *dot = strrchr(base, '.');
            bool otf = dot && bk_ascii_casecmp(dot, ".otf") == 0;
            if (read_into(c, file, file, &data) == 0) {
                char *href = g_strconcat("fonts/", base, NULL);
                ep_add(c, href, otf ? "font/otf" : "font/ttf", &data);
                bk_buf_addf(&css,
                            "@font-face {\n  font-family: \"%s\";\n  font-weight: %d;\n"
                            "  font-style: %s;\n  src: url(\"../%s\");\n}\n",
                            fonts[i].css_family, fonts[i].weight,
                            fonts[i].italic ? "italic" : "normal", href);
                g_free(href);
            } else {
                rc = -1;
            }
            bk_buf_release(&data);
        }
        p_FcFontSetDestroy(fs);
        p_FcObjectSetDestroy(os);
        p_FcPatternDestroy(pat);
    }
    p_FcConfigDestroy(cfg);
    if (rc == 0) {
        ep_add(c, "css/fonts.css", "text/css", &css);
        bk_strv_push(&c->arena, &c->css, "css/fonts.css");
    }
    bk_buf_release(&css);
    return rc;
}

static int style_sheets(ep_ctx *c)
{
    int rc = 0;
    if (c->opts->embed_fonts)
        rc |= embed_fonts(c);
    bk_buf b = BK_BUF_INIT;
    bk_buf_add(&b, bk_builtin_epub_css, bk_builtin_epub_css_len);
    ep_add(c, "css/epub.css", "text/css", &b);
    bk_strv_push(&c->arena, &c->css, "css/epub.css");
    /* Then the user's: bookify.yml's (inside SITE), then --css. */
    size_t n = 0;
    const bk_strv *meta_css = &c->book->meta.css;
    for (size_t i = 0; i < meta_css->len + c->opts->ncss; i++) {
        bool from_site = i < meta_css->len;
        const char *given = from_site ? meta_css->v[i] : c->opts->css[i - meta_css->len];
        char *path = from_site ? g_strconcat(c->book->site_real, "/", given, NULL) : g_strdup(given);
        const char *display = from_site ? bk_book_display_path(c->book, given) : given;
        if (read_into(c, path, display, &b) == 0) {
            char href[32];
            snprintf(href, sizeof href, "css/style-%zu.css", ++n);
            ep_add(c, href, "text/css", &b);
            bk_strv_push(&c->arena, &c->css, bk_arena_strdup(&c->arena, href));
        } else {
            rc = -1;
        }
        bk_buf_release(&b);
        g_free(path);
    }
    return rc;
}

/* ==================== cover and images ==================== */

static void cover_image(ep_ctx *c)
{
    bk_book *book = c->book;
    const char *cover = book->meta.cover;
    if (!cover)
        return;
    const char *display = bk_book_display_path(book, "bookify.yml");
    char *abs = g_strconcat(book->site_real, "/", cover[0] == '/' ? cover + 1 : cover, NULL);
    char *real = realpath(abs, NULL);
    g_free(abs);
    size_t n = strlen(book->site_real);
    bk_buf data = BK_BUF_INIT;
    const char *media = NULL;
    if (!real || strncmp(real, book->site_real, n) != 0 || real[n] != '/') {
        bk_warn(c->diags, (bk_loc){ display, 0, 0 },
                "cover '%s' is not a file inside the site; the book has no cover", cover);
    } else if (bk_file_read(real, (size_t)64 << 20, &data) < 0 ||
               !(media = bk_resolve_sniff_image((const unsigned char *)data.ptr, data.len))) {
        bk_warn(c->diags, (bk_loc){ display, 0, 0 },
                "cover '%s' is not a PNG, JPEG, GIF, WebP or SVG image; the book has no cover",
                cover);
    } else {
        /* An image the posts use too is stored once. */
        for (size_t i = 0; i < book->nassets; i++)
            if (strcmp(book->assets[i].path, real) == 0)
                c->cover_image_href = book->assets[i].href;
        if (!c->cover_image_href) {
            const char *ext = strcmp(media, "image/png") == 0    ? "png"
                              : strcmp(media, "image/jpeg") == 0 ? "jpg"
                              : strcmp(media, "image/gif") == 0  ? "gif"
                              : strcmp(media, "image/webp") == 0 ? "webp"
                                                                 : "svg";
            c->cover_image_href = bk_arena_printf(&c->arena, "images/bk-cover.%s", ext);
            ep_item *it = ep_add(c, c->cover_image_href, media, &data);
            it->properties = bk_xstrdup("cover-image");
        }
    }
    bk_buf_release(&data);
    free(real);
}

static int images(ep_ctx *c)
{
    int rc = 0;
    bk_book *book = c->book;
    for (size_t i = 0; i < book->nassets; i++) {
        const bk_asset *a = &book->assets[i];
        bk_buf data = BK_BUF_INIT;
        if (read_into(c, a->path, a->path, &data) < 0) {
            rc = -1;
            continue;
        }
        ep_item *it = ep_add(c, a->href, a->media_type, &data);
        if (c->cover_image_href && strcmp(c->cover_image_href, a->href) == 0)
            it->properties = bk_xstrdup("cover-image");
    }
    return rc;
}

/* ==================== page list ==================== */

/* Page-break markers where the PDF's pages begin (EPUB Accessibility page
 * navigation): at the start of the element a page begins in, or just
 * before it when it holds no phrasing content. */
static void page_markers(ep_ctx *c, size_t from, size_t to)
{
    bk_book *book = c->book;
    /* Every mark's element first (the markers added below are elements
     * too): a post's marks come in document order, so one walk a post. */
    xmlNodePtr *nodes = bk_xcalloc(book->npage_marks ? book->npage_marks : 1, sizeof(*nodes));
    size_t post = SIZE_MAX;
    xmlNodePtr root = NULL, cur = NULL;
    long cur_el = 0;
    for (size_t i = 0; i < book->npage_marks; i++) {
        const bk_page_mark *m = &book->page_marks[i];
        if (m->post < from || m->post >= to || m->post >= book->nposts || m->element < 0)
            continue;
        if (m->post != post || m->element < cur_el) {
            post = m->post;
            root = cur = book->posts[post]->doc ? xmlDocGetRootElement(book->posts[post]->doc) : NULL;
            cur_el = 0;
        }
        while (cur && cur_el < m->element) {
            cur = bk_doc_next_element(root, cur);
            cur_el++;
        }
        nodes[i] = cur && cur_el == m->element ? cur : NULL;
    }
    for (size_t i = 0; i < book->npage_marks; i++) {
        const bk_page_mark *m = &book->page_marks[i];
        xmlNodePtr at = nodes[i];
        if (!at || !at->doc)
            continue;
        xmlNsPtr epub = xmlSearchNsByHref(at->doc, xmlDocGetRootElement(at->doc), BAD_CAST BK_EPUB_NS);
        xmlNodePtr span = xmlNewDocNode(at->doc, at->ns, BAD_CAST "span", NULL);
        char id[32], label[16];
        snprintf(id, sizeof id, "bk-page-%d", m->number);
        snprintf(label, sizeof label, "%d", m->number);
        xmlSetProp(span, BAD_CAST "id", BAD_CAST id);
        xmlNewNsProp(span, epub, BAD_CAST "type", BAD_CAST "pagebreak");
        xmlSetProp(span, BAD_CAST "title", BAD_CAST label);
        static const char *const inside[] = { "p", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                                              "dt", "dd", "summary", "figcaption", "blockquote",
                                              "div" };
        bool in = false;
        for (size_t k = 0; k < BK_ARRAY_LEN(inside); k++)
            in = in || bk_dom_is(at, inside[k]);
        /* In blockquote and div a span must sit in a paragraph-level
         * child; their first element child is one when it is a p. */
        if (in && (bk_dom_is(at, "blockquote") || bk_dom_is(at, "div"))) {
            xmlNodePtr first = bk_dom_first_element(at);
            in = bk_dom_is(first, "p");
            if (in)
                at = first;
        }
        if (in) {
            /* after markers already there: pages that begin inside one
             * long paragraph keep their order */
            xmlNodePtr pos = at->children;
            while (pos && bk_dom_is(pos, "span") && xmlHasNsProp(pos, BAD_CAST "type", epub->href))
                pos = pos->next;
            if (pos)
                xmlAddPrevSibling(pos, span);
            else
                xmlAddChild(at, span);
        } else if (at->parent && !bk_dom_is(at->parent, "ul") && !bk_dom_is(at->parent, "ol") &&
                   !bk_dom_is(at->parent, "dl") && !bk_dom_is(at->parent, "tr") &&
                   !bk_dom_is(at->parent, "tbody") && !bk_dom_is(at->parent, "table")) {
            xmlAddPrevSibling(at, span);
        } else {
            xmlFreeNode(span);
        }
    }
    free(nodes);
}

/* ==================== chapters ==================== */

static void link_styles(ep_ctx *c, xmlDocPtr doc)
{
    xmlNodePtr html = xmlDocGetRootElement(doc);
    xmlNodePtr head = bk_dom_first_element(html);
    for (size_t i = 0; i < c->css.len; i++) {
        xmlNodePtr link = bk_dom_new(head, head->ns, "link");
        xmlSetProp(link, BAD_CAST "rel", BAD_CAST "stylesheet");
        xmlSetProp(link, BAD_CAST "type", BAD_CAST "text/css");
        xmlSetProp(link, BAD_CAST "href", BAD_CAST c->css.v[i]);
    }
}

/* At least as many bytes as n takes serialised (every character that
 * may be escaped counted at its longest): most chapters are far under
 * the split size, and this walk costs much less than writing them out. */
static size_t slen(const xmlChar *s)
{
    return s ? strlen((const char *)s) : 0;
}

static size_t node_size_bound(xmlNodePtr n)
{
    size_t total = 0;
    for (xmlNodePtr x = n; x; x = bk_dom_next(x, n, false)) {
        if (x->type != XML_ELEMENT_NODE) {
            total += 6 * slen(x->content) + 12;
            continue;
        }
        /* <p:name ...>...</p:name> */
        total += 2 * (slen(x->name) + (x->ns ? slen(x->ns->prefix) + 1 : 0)) + 5;
        for (xmlNsPtr ns = x->nsDef; ns; ns = ns->next)
            total += 16 + slen(ns->prefix) + 6 * slen(ns->href);
        for (xmlAttrPtr a = x->properties; a; a = a->next) {
            total += slen(a->name) + 4 + (a->ns ? slen(a->ns->prefix) + 1 : 0);
            for (xmlNodePtr t = a->children; t; t = t->next)
                total += 6 * slen(t->content);
        }
    }
    return total;
}

static int count_bytes(void *ctx, const char *data, int len)
{
    (void)data;
    *(size_t *)ctx += (size_t)len;
    return len;
}

/* The node's size as serialized, counted as it is written (an xmlBuffer
 * would hold the text, and grow by copying it). */
static size_t node_size(xmlNodePtr n)
{
    size_t len = 0;
    xmlOutputBufferPtr o = xmlOutputBufferCreateIO(count_bytes, NULL, &len, NULL);
    if (!o)
        return SIZE_MAX;
    xmlNodeDumpOutput(o, n->doc, n, 0, 0, NULL);
    xmlOutputBufferClose(o);
    return len;
}

static xmlNodePtr chapter_section(xmlDocPtr doc)
{
    xmlNodePtr html = xmlDocGetRootElement(doc);
    for (xmlNodePtr b = html->children; b; b = b->next)
        if (bk_dom_is(b, "body"))
            return bk_dom_first_element(b);
    return NULL;
}

/* A post over the split size is cut at its <h2>s into files of about that
 * size: "x.xhtml", "x-2.xhtml"... Ids that move are noted for links. */
static void split_chapter(const ep_ctx *c, size_t pi)
{
    bk_post *p = c->book->posts[pi];
    ep_chapter *ch = &c->chapters[pi];
    size_t limit = c->opts->split_size ? c->opts->split_size : SPLIT_DEFAULT;
    ch->docs = bk_xcalloc(1, sizeof(*ch->docs));
    ch->files = bk_xcalloc(1, sizeof(*ch->files));
    ch->docs[0] = p->doc;
    ch->files[0] = bk_xstrdup(p->file);
    ch->ndocs = 1;
    xmlNodePtr sec = chapter_section(p->doc);
    if (!sec || node_size_bound(sec) <= limit || node_size(sec) <= limit)
        return;
    /* Where the parts begin: at an <h2> once a part has reached the size.
     * starts[k] is the index among the section's children. */
    size_t *starts = bk_xcalloc(1, sizeof(*starts));
    size_t nparts = 1, idx = 0, acc = 0;
    for (xmlNodePtr n = sec->children; n; n = n->next, idx++) {
        if (bk_dom_is(n, "h2") && acc >= limit) {
            starts = bk_xrealloc(starts, (nparts + 1) * sizeof(*starts));
            starts[nparts++] = idx;
            acc = 0;
        }
        acc += node_size(n);
    }
    starts = bk_xrealloc(starts, (nparts + 1) * sizeof(*starts));
    starts[nparts] = idx;
    if (nparts == 1) {
        free(starts);
        return;
    }
    /* Each part is a whole copy of the chapter with the other parts' nodes
     * removed: copies keep namespaces (epub:type) right, and the chapter's
     * own document, which the PDF reads too, is never changed. */
    const char *dot = strrchr(p->file, '.');
    ch->docs = bk_xrealloc(ch->docs, nparts * sizeof(*ch->docs));
    ch->files = bk_xrealloc(ch->files, nparts * sizeof(*ch->files));
    ch->copied = true;
    for (size_t k = 0; k < nparts; k++) {
        xmlDocPtr doc = xmlCopyDoc(p->doc, 1);
        xmlNodePtr s = chapter_section(doc);
        size_t i = 0;
        for (xmlNodePtr n = s->children; n; i++) {
            xmlNodePtr next = n->next;
            if (i < starts[k] || i >= starts[k + 1]) {
                xmlUnlinkNode(n);
                xmlFreeNode(n);
            }
            n = next;
        }
        if (k > 0) {
            char *file = g_strdup_printf("%.*s-%zu%s", (int)(dot - p->file), p->file, k + 1, dot);
            ch->files[k] = bk_xstrdup(file);
            g_free(file);
            /* A continuation is no new chapter, and its id is the first's. */
            xmlUnsetProp(s, BAD_CAST "id");
            xmlUnsetNsProp(s, xmlSearchNsByHref(doc, xmlDocGetRootElement(doc), BAD_CAST BK_EPUB_NS),
                           BAD_CAST "type");
            xmlUnsetProp(s, BAD_CAST "role");
            xmlSetProp(s, BAD_CAST "class", BAD_CAST "chapter continued");
            /* Every id in this part now lives in its file. */
            for (xmlNodePtr x = s; x; x = bk_dom_next(x, s, false)) {
                if (!bk_dom_has_attr(x, "id"))
                    continue;
                char *id = bk_dom_attr(x, "id");
                if (id) {
                    ch->moved = bk_xrealloc(ch->moved, (ch->nmoved + 1) * sizeof(*ch->moved));
                    ch->moved_to =
                        bk_xrealloc(ch->moved_to, (ch->nmoved + 1) * sizeof(*ch->moved_to));
                    ch->moved[ch->nmoved] = g_strconcat(p->file, "#", id, NULL);
                    ch->moved_to[ch->nmoved++] = k;
                    xmlFree(id);
                }
            }
        }
        ch->docs[k] = doc;
    }
    ch->ndocs = nparts;
    free(starts);
}

/* "file#id" after splitting: the file the id now lives in. Returns a
 * g_malloc'd href, or NULL when nothing moved. */
static char *moved_href(ep_ctx *c, const char *orig_file, const char *cur_file, const char *href)
{
    const char *hash = strchr(href, '#');
    if (!hash || !c->id_file.len)
        return NULL;
    /* "#id" names the chapter's own id, wherever it went. */
    char *file = hash == href ? g_strdup(orig_file) : g_strndup(href, (size_t)(hash - href));
    char *key = g_strconcat(file, "#", hash + 1, NULL);
    long *v = bk_strmap_lookup(&c->id_file, key);
    const char *target = v ? c->moved.v[*v] : file;
    char *r = NULL;
    if (v || hash == href)
        r = strcmp(target, cur_file) == 0 ? g_strdup(hash) : g_strconcat(target, hash, NULL);
    g_free(key);
    g_free(file);
    return r;
}

static void fix_links(ep_ctx *c, xmlDocPtr doc, const char *orig_file, const char *cur_file)
{
    if (!c->id_file.len)
        return; /* no chapter was split: no id moved (moved_href) */
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr x = root; x; x = bk_dom_next(x, root, false)) {
        if (!bk_dom_is(x, "a"))
            continue;
        char *href = bk_dom_attr(x, "href");
        if (href && !strchr(href, ':')) {
            char *to = moved_href(c, orig_file, cur_file, href);
            if (to && strcmp(to, href) != 0)
                xmlSetProp(x, BAD_CAST "href", BAD_CAST to);
            g_free(to);
        }
        xmlFree(href);
    }
}

static void toc_add(ep_ctx *c, const char *title, const char *href, int level)
{
    BK_GROW(c->toc, c->captoc, c->ntoc + 1);
    c->toc[c->ntoc++] = (ep_toc){ bk_xstrdup(title), bk_xstrdup(href), level };
}

/* Chapter pi's headings for the contents (levels 2 to the contents'
 * depth, those with an id), its page markers and its images. */
static void chapter_facts(const ep_ctx *c, size_t pi)
{
    ep_chapter *ch = &c->chapters[pi];
    size_t capheads = 0, cappages = 0;
    ch->images_all_alt = true;
    for (size_t k = 0; k < ch->ndocs; k++) {
        xmlNodePtr root = xmlDocGetRootElement(ch->docs[k]);
        for (xmlNodePtr x = root; x; x = bk_dom_next(x, root, false)) {
            if (x->type != XML_ELEMENT_NODE)
                continue;
            if (x->name[0] == 'h' && x->name[1] >= '2' && x->name[1] <= '6' && !x->name[2]) {
                int hl = x->name[1] - '0';
                char *id = hl <= c->toc_depth ? bk_dom_attr(x, "id") : NULL;
                if (id) {
                    bk_buf t = BK_BUF_INIT, href = BK_BUF_INIT;
                    bk_dom_text(x, &t);
                    bk_buf_addf(&href, "%s#%s", ch->files[k], id);
                    BK_GROW(ch->heads, capheads, ch->nheads + 1);
                    ch->heads[ch->nheads++] = (ep_toc){ bk_xstrdup(t.len ? t.ptr : id),
                                                        bk_buf_detach(&href), hl - 1 };
                    bk_buf_release(&t);
                    xmlFree(id);
                }
            } else if (bk_dom_is(x, "span") && bk_dom_has_attr(x, "id")) {
                char *id = bk_dom_attr(x, "id");
                if (id && strncmp(id, "bk-page-", 8) == 0) {
                    BK_GROW(ch->pages, cappages, ch->npages + 1);
                    ch->pages[ch->npages++] = (ep_pagemark){
                        bk_xstrdup(id + 8), g_strconcat(ch->files[k], "#", id, NULL)
                    };
                }
                xmlFree(id);
            } else if (bk_dom_is(x, "img")) {
                ch->has_images = true;
                char *alt = bk_dom_attr(x, "alt");
                if (!alt || !*alt)
                    ch->images_all_alt = false;
                xmlFree(alt);
            }
        }
    }
}

typedef struct chapter_job {
    xmlDocPtr *doc; /* its place in the chapter's list */
    bk_buf *text;   /* the tree as text when parked, else NULL */
    const char *orig_file, *file;
    size_t item, post;
    bool failed;    /* the parked text did not parse back */
} chapter_job;

typedef struct chapter_jobs {
    ep_ctx *c;
    chapter_job *jobs;
    size_t njobs;
} chapter_jobs;

static void deflate_job(void *ctx, size_t i, int worker);

/* The navigation document, the NCX and the package, made while the
 * chapters are written: they need the chapters' files, headings and
 * pages, not their text. c->items has room for the three (no worker sees
 * it move). */
static void contents_write(ep_ctx *c)
{
    ep_nav(c);
    c->items[c->nitems - 1].spine_order = c->nav_order;
    ep_ncx(c);
    ep_package(c);
    for (size_t k = c->nitems - 3; k < c->nitems; k++)
        deflate_job(c->items, k, 0);
}

/* Job 0 makes the contents (contents_write), job i + 1 writes chapter
 * file i. */
static void chapter_write(void *ctx, size_t i, int worker)
{
    chapter_jobs *w = ctx;
    (void)worker;
    if (i == 0) {
        contents_write(w->c);
        return;
    }
    chapter_job *j = &w->jobs[i - 1];
    if (j->text) {
        *j->doc = bk_doc_read_saved(j->text->ptr, j->text->len);
        bk_buf_release(j->text);
        if (!*j->doc) {
            j->failed = true;
            return;
        }
    }
    fix_links(w->c, *j->doc, j->orig_file, j->file);
    link_styles(w->c, *j->doc);
    ep_serialize(*j->doc, &w->c->items[j->item].data);
    deflate_job(w->c->items, j->item, worker); /* while the text is in the cache */
    if (j->text) {
        /* read back on this thread for this file alone: freed here,
         * while it is hot, for the next file's reading to reuse */
        xmlFreeDoc(*j->doc);
        *j->doc = NULL;
    }
}

/* The images' facts for the package, from chapter i's tree. */
typedef struct range {
    const ep_ctx *c;
    size_t from;
} range;

static void analyse_job(void *ctx, size_t i, int worker)
{
    const range *r = ctx;
    (void)worker;
    split_chapter(r->c, r->from + i);
    chapter_facts(r->c, r->from + i);
}

/* Posts [from, to): page markers, then each post split and looked at on
 * the workers (analyse_job), then, here and in order, listed in reading
 * order (part page, then the part's posts) with their headings, pages
 * and moved ids, each file added with its write job. */
static void chapters_range(ep_ctx *c, size_t from, size_t to, chapter_jobs *w, size_t *capjobs,
                           long *part)
{
    bk_book *book = c->book;
    page_markers(c, from, to);
    range rg = { c, from };
    bk_par_for(to - from, analyse_job, &rg);
    for (size_t i = from; i < to; i++) {
        bk_post *p = book->posts[i];
        ep_chapter *ch = &c->chapters[i];
        int level = 1;
        if (p->part >= 0) {
            if (p->part != *part) {
                *part = p->part;
                const char *href = ep_part_page(c, (size_t)*part);
                toc_add(c, book->parts[*part].title, href, 0);
            }
        } else if (book->nparts) {
            *part = -1;
            level = 0; /* after the parts, outside any */
        }
        if (!c->first_chapter_href)
            c->first_chapter_href = ch->files[0];
        for (size_t k = 0; k < ch->nmoved; k++) {
            bk_strv_push(&c->arena, &c->moved, ch->files[ch->moved_to[k]]);
            bk_strmap_put(&c->id_file, bk_arena_strdup(&c->arena, ch->moved[k]),
                          (long)c->moved.len - 1);
            g_free(ch->moved[k]);
        }
        free(ch->moved);
        free(ch->moved_to);
        ch->moved = NULL;
        ch->moved_to = NULL;
        c->has_images = c->has_images || ch->has_images;
        c->images_all_alt = c->images_all_alt && ch->images_all_alt;
        toc_add(c, p->title_text, ch->files[0], level);
        for (size_t k = 0; k < ch->nheads; k++) {
            BK_GROW(c->toc, c->captoc, c->ntoc + 1);
            c->toc[c->ntoc] = ch->heads[k];
            c->toc[c->ntoc++].level += level;
        }
        free(ch->heads);
        ch->heads = NULL;
        for (size_t k = 0; k < ch->npages; k++) {
            BK_GROW(c->pages, c->cappages, c->npages + 1);
            c->pages[c->npages++] = ch->pages[k];
        }
        free(ch->pages);
        ch->pages = NULL;
        for (size_t k = 0; k < ch->ndocs; k++) {
            bk_buf none = BK_BUF_INIT;
            ep_item *it = ep_add(c, ch->files[k], "application/xhtml+xml", &none);
            it->spine = true;
            it->linear = true;
            BK_GROW(w->jobs, *capjobs, w->njobs + 1);
            w->jobs[w->njobs++] = (chapter_job){ &ch->docs[k], NULL, ch->files[0], ch->files[k],
                                                 c->nitems - 1, i, false };
        }
    }
}

/* Both books in one run: the PDF left each post's tree serialized and
 * deflated (bk_post_save_doc). */
static bool trees_saved(const bk_book *book)
{
    for (size_t i = 0; i < book->nposts; i++)
        if (!book->posts[i]->doc && book->posts[i]->saved_len)
            return true;
    return false;
}

typedef struct batch {
    ep_ctx *c;
    size_t from;
} batch;

static void restore_job(void *ctx, size_t i, int worker)
{
    const batch *b = ctx;
    bk_post *p = b->c->book->posts[b->from + i];
    (void)worker;
    if (!p->doc)
        bk_post_restore_doc(b->c->book, p);
}

/* A chapter's trees parked as text until chapter_write: the book's trees
 * are never all in memory at once. */
static void park_job(void *ctx, size_t i, int worker)
{
    const batch *b = ctx;
    ep_chapter *ch = &b->c->chapters[b->from + i];
    bk_post *p = b->c->book->posts[b->from + i];
    (void)worker;
    if (!ch->copied) {
        ch->copied = true; /* docs[0], the post's tree, is the writer's own now */
    } else {
        xmlFreeDoc(p->doc); /* split: the copies are all it needs */
    }
    p->doc = NULL;
    ch->texts = bk_xcalloc(ch->ndocs, sizeof(*ch->texts));
    for (size_t k = 0; k < ch->ndocs; k++) {
        bk_buf_init(&ch->texts[k]);
        if (bk_doc_write_saved(ch->docs[k], &ch->texts[k]) == 0) {
            xmlFreeDoc(ch->docs[k]);
            ch->docs[k] = NULL;
        }
    }
}

/* Posts this many at a time when their trees were saved. */
#define EP_BATCH 128

static int chapters(ep_ctx *c)
{
    bk_book *book = c->book;
    chapter_jobs w = { c, NULL, 0 };
    size_t capjobs = 0;
    long part = -1;
    int rc = 0;
    c->chapters = bk_xcalloc(book->nposts ? book->nposts : 1, sizeof(*c->chapters));
    if (!trees_saved(book)) {
        chapters_range(c, 0, book->nposts, &w, &capjobs, &part);
    } else {
        for (size_t from = 0; from < book->nposts && rc == 0; from += EP_BATCH) {
            size_t to = book->nposts - from > EP_BATCH ? from + EP_BATCH : book->nposts;
            batch bt = { c, from };
            bk_par_for(to - from, restore_job, &bt);
            for (size_t i = from; i < to; i++)
                if (!book->posts[i]->doc) {
                    bk_error(c->diags, (bk_loc){ book->posts[i]->display, 0, 0 },
                             "bookify bug: the chapter could not be read back for the EPUB; "
                             "please report it");
                    rc = -1;
                }
            if (rc < 0)
                break;
            size_t jobs_before = w.njobs;
            chapters_range(c, from, to, &w, &capjobs, &part);
            bk_par_for(to - from, park_job, &bt);
            for (size_t j = jobs_before; j < w.njobs; j++) {
                ep_chapter *ch = &c->chapters[w.jobs[j].post];
                size_t k = (size_t)(w.jobs[j].doc - ch->docs);
                if (!ch->docs[k])
                    w.jobs[j].text = &ch->texts[k];
            }
        }
        bk_buf_release(&book->saved);
    }
    if (rc == 0) {
        /* Links and style sheets set and each file written out, on the
         * worker threads: every document is its own. */
        BK_GROW(c->items, c->capitems, c->nitems + 3);
        bk_par_for(w.njobs + 1, chapter_write, &w);
        for (size_t j = 0; j < w.njobs; j++)
            if (w.jobs[j].failed) {
                bk_error(c->diags, (bk_loc){ book->posts[w.jobs[j].post]->display, 0, 0 },
                         "bookify bug: the chapter could not be read back for the EPUB; "
                         "please report it");
                rc = -1;
            }
        for (size_t i = 0; i < book->nposts; i++)
            if (!c->chapters[i].copied && c->chapters[i].docs && !c->chapters[i].docs[0])
                book->posts[i]->doc = NULL; /* freed as docs[0] */
    }
    free(w.jobs);
    return rc;
}

/* ==================== the zip ==================== */

static const char container_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<container version=\"1.0\" xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">\n"
    "  <rootfiles>\n"
    "    <rootfile full-path=\"" EP_CONTENT_DIR "package.opf\" "
    "media-type=\"application/oebps-package+xml\"/>\n"
    "  </rootfiles>\n"
    "</container>\n";

/* Files are compressed on the worker threads before they go into the
 * zip (raw deflate, as a zip stores it), and libzip copies the bytes as
 * they are: a source that says its data is already deflated. */

static bool compressible(const ep_item *it)
{
    return strncmp(it->media, "image/", 6) != 0 || strcmp(it->media, "image/svg+xml") == 0;
}

static void deflate_job(void *ctx, size_t i, int worker)
{
    ep_item *it = &((ep_item *)ctx)[i];
    (void)worker;
    if (it->deflated || !compressible(it))
        return;
    bk_buf out = BK_BUF_INIT;
    bk_deflate(it->data.ptr, it->data.len, false, &out);
    it->crc = bk_crc32(it->data.ptr, it->data.len);
    it->usize = it->data.len;
    bk_buf_release(&it->data);
    /* kept until the zip is written: at its size, not at the bound it
     * was compressed into (a third of it for a chapter), which the next
     * file on this thread reuses (1,000 posts: 1.6 MiB fewer pages) */
    bk_buf_shrink(&out);
    it->data = out;
    it->deflated = true;
}

typedef struct deflated_src {
    const ep_item *it;
    size_t pos;
} deflated_src;

static zip_int64_t deflated_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    deflated_src *s = ud;
    switch (cmd) {
    case ZIP_SOURCE_OPEN:
        s->pos = 0;
        return 0;
    case ZIP_SOURCE_READ: {
        size_t n = s->it->data.len - s->pos;
        if (n > len)
            n = (size_t)len;
        memcpy(data, s->it->data.ptr + s->pos, n);
        s->pos += n;
        return (zip_int64_t)n;
    }
    case ZIP_SOURCE_STAT: {
        zip_stat_t *st = data;
        zip_stat_init(st);
        st->valid = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD | ZIP_STAT_CRC;
        st->size = s->it->usize;
        st->comp_size = s->it->data.len;
        st->comp_method = ZIP_CM_DEFLATE;
        st->crc = (zip_uint32_t)s->it->crc;
        return (zip_int64_t)sizeof(*st);
    }
    case ZIP_SOURCE_ERROR:
        memset(data, 0, 2 * sizeof(int));
        return 2 * sizeof(int);
    case ZIP_SOURCE_CLOSE:
    case ZIP_SOURCE_FREE:
        return 0;
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
                                              ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
    default:
        return -1;
    }
}

/* Add a file: stored as it is, or (src given) from its deflated bytes. */
static int add_entry(zip_t *za, const char *name, const void *data, size_t len,
                     deflated_src *src, zip_uint16_t dtime, zip_uint16_t ddate)
{
    zip_source_t *s = src ? zip_source_function(za, deflated_cb, src)
                          : zip_source_buffer(za, data, len, 0);
    if (!s)
        return -1;
    zip_int64_t idx = zip_file_add(za, name, s, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
        zip_source_free(s);
        return -1;
    }
    if (!src && zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0) < 0)
        return -1;
    return zip_file_set_dostime(za, (zip_uint64_t)idx, dtime, ddate, 0);
}

/* Build the zip in memory, then hand it to outfile: the target is replaced
 * whole, and a temporary file is never left behind. */
static int write_zip(ep_ctx *c, const char *path)
{
    pthread_once(&zip_once, zip_load);
    if (!zip_loaded)
        return bk_error(c->diags, (bk_loc){ path, 0, 0 },
                        "cannot build the EPUB: libzip (" BK_LIBZIP_SONAME ") cannot be loaded");
    zip_error_t ze;
    zip_error_init(&ze);
    int rc = -1;
    bk_buf out = BK_BUF_INIT;
    deflated_src *srcs = NULL;
    ep_item container = { 0 };
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = NULL;
    if (!src)
        goto fail;
    zip_source_keep(src);
    za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    if (!za)
        goto fail;
    bk_date u = bk_date_from_epoch(c->epoch);
    if (u.year < 1980) {
        u.year = 1980;
        u.month = u.day = 1;
        u.hour = u.minute = u.second = 0;
    }
    zip_uint16_t dtime = (zip_uint16_t)((u.hour << 11) | (u.minute << 5) | (u.second / 2));
    zip_uint16_t ddate = (zip_uint16_t)(((u.year - 1980) << 9) | (u.month << 5) | u.day);
    static const char mimetype[] = "application/epub+zip";
    container.media = "application/xml";
    bk_buf_add(&container.data, container_xml, sizeof container_xml - 1);
    deflate_job(&container, 0, 0);
    bk_par_for(c->nitems, deflate_job, c->items);
    srcs = bk_xcalloc(c->nitems + 1, sizeof(*srcs));
    srcs[c->nitems].it = &container;
    if (add_entry(za, "mimetype", mimetype, sizeof mimetype - 1, NULL, dtime, ddate) < 0 ||
        add_entry(za, "META-INF/container.xml", NULL, 0, &srcs[c->nitems], dtime, ddate) < 0)
        goto fail_za;
    /* The package first, then every file in the order added. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < c->nitems; i++) {
            ep_item *it = &c->items[i];
            bool is_pkg = strcmp(it->href, "package.opf") == 0;
            if (is_pkg != (pass == 0))
                continue;
            char *name = g_strconcat(EP_CONTENT_DIR, it->href, NULL);
            srcs[i].it = it;
            int r = add_entry(za, name, it->data.ptr, it->data.len, it->deflated ? &srcs[i] : NULL,
                              dtime, ddate);
            g_free(name);
            if (r < 0)
                goto fail_za;
        }
    }
    if (zip_close(za) < 0)
        goto fail_za;
    za = NULL;
    zip_stat_t st;
    if (zip_source_open(src) < 0)
        goto fail;
    if (zip_source_stat(src, &st) < 0 || !(st.valid & ZIP_STAT_SIZE)) {
        zip_source_close(src);
        goto fail;
    }
    bk_buf_grow(&out, (size_t)st.size);
    zip_int64_t n = zip_source_read(src, out.ptr, st.size);
    zip_source_close(src);
    if (n < 0 || (zip_uint64_t)n != st.size)
        goto fail;
    out.len = (size_t)n;
    rc = bk_outfile_write_all(path, out.ptr, out.len, c->diags);
    goto done;
fail_za:
    bk_error(c->diags, (bk_loc){ path, 0, 0 }, "cannot build the EPUB: %s", zip_strerror(za));
    zip_discard(za);
    za = NULL;
    goto done;
fail:
    bk_error(c->diags, (bk_loc){ path, 0, 0 }, "cannot build the EPUB: %s",
             zip_error_strerror(&ze));
done:
    if (za)
        zip_discard(za);
    if (src)
        zip_source_free(src);
    zip_error_fini(&ze);
    bk_buf_release(&out);
    bk_buf_release(&container.data);
    free(srcs);
    return rc;
}

/* ==================== the writer ==================== */

int bk_epub_write(bk_book *book, const char *path, const bk_epub_opts *o, bk_diags *d)
{
    ep_ctx c;
    memset(&c, 0, sizeof c);
    c.book = book;
    c.opts = o;
    c.diags = d;
    c.images_all_alt = true;
    c.toc_depth = o->toc_depth ? o->toc_depth : book->meta.toc_depth ? book->meta.toc_depth : 2;
    size_t errors = d->nerrors;
    metadata(&c);
    style_sheets(&c);
    cover_image(&c);
    images(&c);
    ep_cover_page(&c);
    ep_title_page(&c);
    ep_colophon_page(&c);
    bk_stage_time("epub", "set up");
    /* The contents page comes before the chapters in the spine but is
     * written after them (it lists their headings): reserve its place. */
    c.nav_order = c.next_spine++;
    int rc = chapters(&c);
    bk_stage_time("epub", "chapters, contents written");
    rc = rc < 0 || d->nerrors > errors ? -1 : write_zip(&c, path);
    bk_stage_time("epub", "zipped");

    for (size_t i = 0; i < c.nitems; i++) {
        free(c.items[i].href);
        free(c.items[i].id);
        free(c.items[i].properties);
        bk_buf_release(&c.items[i].data);
    }
    free(c.items);
    for (size_t i = 0; i < c.ntoc; i++) {
        free(c.toc[i].title);
        free(c.toc[i].href);
    }
    free(c.toc);
    for (size_t i = 0; i < c.npages; i++) {
        free(c.pages[i].label);
        g_free(c.pages[i].href);
    }
    free(c.pages);
    for (size_t i = 0; c.chapters && i < book->nposts; i++) {
        for (size_t k = 0; k < c.chapters[i].ndocs; k++) {
            if (k || c.chapters[i].copied)
                xmlFreeDoc(c.chapters[i].docs[k]);
            free(c.chapters[i].files[k]);
            if (c.chapters[i].texts)
                bk_buf_release(&c.chapters[i].texts[k]);
        }
        free(c.chapters[i].texts);
        free(c.chapters[i].docs);
        free(c.chapters[i].files);
    }
    free(c.chapters);
    free(c.identifier);
    bk_strmap_release(&c.id_file);
    bk_arena_release(&c.arena);
    return rc;
}
