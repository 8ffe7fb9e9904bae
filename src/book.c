/* book.c -- the book model (see book.h). */
#include "bookify/book.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <zlib.h>

#include "bookify/par.h"
#include "bookify/resolve.h"

#include "bookify/banned.h"

void bk_strv_push(bk_arena *a, bk_strv *sv, const char *s)
{
    if (sv->len == sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 4;
        const char **v = bk_arena_alloc(a, cap * sizeof(*v));
        if (sv->len)
            memcpy(v, sv->v, sv->len * sizeof(*v));
        sv->v = v;
        sv->cap = cap;
    }
    sv->v[sv->len++] = s;
}

long bk_strv_find(const bk_strv *sv, const char *s, bool nocase)
{
    for (size_t i = 0; i < sv->len; i++)
        if (nocase ? bk_ascii_casecmp(sv->v[i], s) == 0 : strcmp(sv->v[i], s) == 0)
            return (long)i;
    return -1;
}

static const char *const order_names[] = {
    [BK_ORDER_DATE] = "date",   [BK_ORDER_DATE_DESC] = "date-desc",
    [BK_ORDER_TITLE] = "title", [BK_ORDER_FILE] = "file",
    [BK_ORDER_CATEGORY] = "category", [BK_ORDER_LIST] = "list",
};

bool bk_order_mode_parse(const char *s, bk_order_mode *out)
{
    /* "list" is not a name a user gives: it means an explicit order: list. */
    for (size_t i = 0; i < BK_ARRAY_LEN(order_names); i++) {
        if (i != BK_ORDER_LIST && strcmp(s, order_names[i]) == 0) {
            *out = (bk_order_mode)i;
            return true;
        }
    }
    return false;
}

const char *bk_order_mode_name(bk_order_mode m)
{
    return (size_t)m < BK_ARRAY_LEN(order_names) ? order_names[m] : "?";
}

bk_book *bk_book_new(const char *site)
{
    bk_book *book = bk_xcalloc(1, sizeof(*book));
    bk_buf_init(&book->saved);
    size_t n = strlen(site);
    while (n > 1 && site[n - 1] == '/')
        n--;
    book->site = bk_arena_strndup(&book->arena, site, n);
    book->site_real = book->site;
    const char *slash = strrchr(book->site, '/');
    book->site_name = slash && slash[1] ? slash + 1 : book->site;
    return book;
}

/* libxml2's output appended to a bk_buf, which grows by doubling: an
 * xmlBuffer (xmlSaveToBuffer) grows to the exact size at each of the
 * saver's 4 KB flushes, copying the whole text each time (a 10 MB post,
 * gigabytes copied). */
static int write_to_buf(void *ctx, const char *data, int len)
{
    bk_buf_add(ctx, data, (size_t)len);
    return len;
}

int bk_doc_write_saved(xmlDocPtr doc, bk_buf *out)
{
    xmlSaveCtxtPtr s = xmlSaveToIO(write_to_buf, NULL, out, "UTF-8", 0);
    if (!s)
        return -1;
    long rc = xmlSaveDoc(s, doc);
    return xmlSaveClose(s) < 0 || rc < 0 ? -1 : 0;
}

int bk_post_save_doc(bk_book *book, bk_post *p)
{
    if (!p->doc)
        return -1;
    bk_buf text = BK_BUF_INIT;
    if (bk_doc_write_saved(p->doc, &text) < 0)
        return -1;
    size_t n = text.len;
    uLongf zn = compressBound((uLong)n);
    unsigned char *z = bk_xmalloc(zn);
    /* level 1: the fastest; it is read back once, in the same run */
    if (n > INT_MAX || compress2(z, &zn, (const Bytef *)text.ptr, (uLong)n, 1) != Z_OK) {
        free(z);
        bk_buf_release(&text);
        return -1;
    }
    bk_buf_release(&text);
    p->saved_off = book->saved.len;
    bk_buf_add(&book->saved, z, zn);
    free(z);
    p->saved_len = zn;
    p->saved_size = n;
    xmlFreeDoc(p->doc);
    p->doc = NULL;
    return 0;
}

xmlDocPtr bk_doc_read_saved(const char *xml, size_t len)
{
    if (len > INT_MAX)
        return NULL;
    /* Every blank text node back: GtkSourceView turns libxml2's
     * keep-blanks default off on the thread it loads a style on, and a
     * parser context starts from that default. The text is bookify's
     * own: its long text nodes are no attack (HUGE). */
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return NULL;
    ctxt->keepBlanks = 1;
    ctxt->sax->ignorableWhitespace = ctxt->sax->characters;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_HUGE);
    xmlFreeParserCtxt(ctxt);
    return doc;
}

int bk_post_restore_doc(const bk_book *book, bk_post *p)
{
    if (p->doc || !p->saved_len)
        return p->doc ? 0 : -1;
    char *plain = bk_xmalloc(p->saved_size + 1);
    uLongf n = p->saved_size;
    const Bytef *z = (const Bytef *)book->saved.ptr + p->saved_off;
    int rc = uncompress((unsigned char *)plain, &n, z, p->saved_len) == Z_OK && n == p->saved_size ? 0 : -1;
    if (rc == 0) {
        p->doc = bk_doc_read_saved(plain, n);
        rc = p->doc ? 0 : -1;
    }
    free(plain);
    if (rc == 0)
        p->saved_len = p->saved_size = 0;
    return rc;
}

/* The node after n in document order under root (n's children first),
 * or NULL at the end. */
static xmlNodePtr next_node(xmlNodePtr root, xmlNodePtr n)
{
    if (n->type == XML_ELEMENT_NODE && n->children)
        return n->children;
    while (n != root && !n->next)
        n = n->parent;
    return n == root ? NULL : n->next;
}

xmlNodePtr bk_doc_next_element(xmlNodePtr root, xmlNodePtr n)
{
    do
        n = next_node(root, n);
    while (n && n->type != XML_ELEMENT_NODE);
    return n;
}

void bk_doc_number_elements(xmlDocPtr doc, bool on)
{
    uintptr_t k = 0;
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    for (xmlNodePtr n = root; n; n = next_node(root, n))
        if (n->type == XML_ELEMENT_NODE)
            n->_private = on ? (void *)++k : NULL;
}

static void free_post_doc(void *ctx, size_t i, int worker)
{
    bk_book *book = ctx;
    (void)worker;
    xmlFreeDoc(book->posts[i]->doc);
    book->posts[i]->doc = NULL;
}

void bk_book_free(bk_book *book)
{
    if (!book)
        return;
    /* Freeing thousands of chapters' trees is a good part of a big EPUB's
     * time: done on the worker threads, whose heaps hold them. */
    bk_par_for(book->nposts, free_post_doc, book);
    for (size_t i = 0; i < book->nposts; i++) {
        free(book->posts[i]->title_text);
        bk_resolve_forget(book->posts[i]); /* a book never resolved */
    }
    bk_buf_release(&book->saved);
    free(book->posts);
    free(book->parts);
    free(book->assets);
    free(book->page_marks);
    bk_arena_release(&book->arena);
    free(book);
}

bk_post *bk_book_add_post(bk_book *book)
{
    BK_GROW(book->posts, book->cap, book->nposts + 1);
    bk_post *p = bk_arena_alloc(&book->arena, sizeof(*p));
    memset(p, 0, sizeof(*p));
    p->part = -1;
    p->published = true;
    book->posts[book->nposts++] = p;
    return p;
}

const char *bk_book_display_path(bk_book *book, const char *rel)
{
    if (strcmp(book->site, ".") == 0)
        return bk_arena_strdup(&book->arena, rel);
    if (strcmp(book->site, "/") == 0)
        return bk_arena_printf(&book->arena, "/%s", rel);
    return bk_arena_printf(&book->arena, "%s/%s", book->site, rel);
}

const char *bk_book_file_stem(bk_book *book)
{
    bk_buf b = BK_BUF_INIT;
    if (book->meta.title)
        bk_slugify(&b, book->meta.title, strlen(book->meta.title));
    if (!b.len)
        bk_buf_adds(&b, book->site_name);
    if (!b.len || strcmp(b.ptr, ".") == 0 || strcmp(b.ptr, "..") == 0 || strcmp(b.ptr, "/") == 0) {
        bk_buf_reset(&b);
        bk_buf_adds(&b, "book");
    }
    const char *s = bk_arena_strndup(&book->arena, b.ptr, b.len);
    bk_buf_release(&b);
    return s;
}

const bk_field *bk_post_field(const bk_post *post, const char *key)
{
    for (size_t i = 0; i < post->nfields; i++)
        if (strcmp(post->fields[i].key, key) == 0)
            return &post->fields[i];
    return NULL;
}

void bk_book_dates(const bk_book *book, int64_t epoch, bk_date *date, int64_t *out_epoch)
{
    bk_date newest = { 0 };
    for (size_t i = 0; i < book->nposts; i++) {
        const bk_date *dt = &book->posts[i]->date;
        if (dt->valid && (!newest.valid || bk_date_cmp(dt, &newest) > 0))
            newest = *dt;
    }
    *date = newest;
    if (book->meta.date)
        bk_date_parse(book->meta.date, strlen(book->meta.date), date);
    *out_epoch = epoch >= 0 ? epoch : newest.valid ? bk_date_epoch(&newest) : 0;
}

bool bk_lang_is_rtl(const char *lang)
{
    static const char *const rtl[] = { "ar", "fa", "he", "iw", "ur", "ps", "sd", "ug",
                                       "yi", "dv", "ckb", "syr", "ku-Arab" };
    if (!lang)
        return false;
    for (size_t i = 0; i < BK_ARRAY_LEN(rtl); i++) {
        size_t n = strlen(rtl[i]);
        if (strncmp(lang, rtl[i], n) == 0 && (lang[n] == '\0' || lang[n] == '-'))
            return true;
    }
    return false;
}
