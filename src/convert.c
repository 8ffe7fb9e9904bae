/* convert.c -- a post's Markdown into its XHTML5 document (see convert.h). */
#define _GNU_SOURCE /* memmem */
#include "bookify/convert.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>
#include <ctype.h>
#include <dlfcn.h>
#include <limits.h>
#include <glib.h>
#include <libxml/HTMLparser.h>
#include <libxml/xmlsave.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bookify/config.h"
#include "bookify/highlight.h"
#include "bookify/lazyjit.h"
#include "bookify/par.h"
#include "bookify/progress.h"
#include "bookify/premd.h"
#include "bookify/resolve.h"
#include "bookify/sanitize.h"
#include "dom.h"
#include "mdtree.h"

#include "bookify/banned.h"

/* ==================== set-up ==================== */

static void swallow_xml_error(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

/* cmark-gfm 0.29 keeps the inline parser's special characters in one
 * process-wide table (github/cmark-gfm pull request 176). Each parse adds
 * its extensions' characters ('~', ':', 'w') before its inlines and takes
 * them out again after, so a parse ending on one thread hid them from a
 * parse running on another. bookify defines the function that does both:
 * the executable's definition comes first in the dynamic linker's lookup,
 * so the library's own calls (through its PLT) come here. Adding goes on
 * to the library's function; taking out is skipped. Every parser bookify
 * makes has the same extensions (new_parser), so the table then holds the
 * same characters as during any one parse, and never changes after the
 * first. bk_convert_init checks that the library's calls do arrive here;
 * when they do not (a library built to call itself directly), parsing
 * stays under cmark_lock. */
static void (*real_manage_special)(cmark_parser *, int);
static atomic_int manage_calls;
static bool parse_unlocked;

void cmark_manage_extensions_special_characters(cmark_parser *parser, int add)
{
    atomic_fetch_add(&manage_calls, 1);
    if (add && real_manage_special)
        real_manage_special(parser, add);
}

static cmark_parser *new_parser(int options);

/* One parse of text with every extension's special character in it, on
 * this thread only: true when the library called through bookify's
 * function and strikethrough still came out (a strike node). */
static bool special_chars_interposed(void)
{
    static const char probe[] = "~a~ www.example.com b:c\n\n| x |\n|---|\n| ~y~ |\n";
    int before = atomic_load(&manage_calls);
    cmark_parser *parser = new_parser(0);
    cmark_parser_feed(parser, probe, sizeof probe - 1);
    cmark_node *root = cmark_parser_finish(parser);
    cmark_parser_free(parser);
    int strikes = 0;
    cmark_iter *it = cmark_iter_new(root);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE)
        if (ev == CMARK_EVENT_ENTER &&
            strcmp(cmark_node_get_type_string(cmark_iter_get_node(it)), "strikethrough") == 0)
            strikes++;
    cmark_iter_free(it);
    cmark_node_free(root);
    return atomic_load(&manage_calls) > before && strikes == 2;
}

void bk_convert_init(void)
{
    cmark_gfm_core_extensions_ensure_registered();
    xmlInitParser();
    xmlSetStructuredErrorFunc(NULL, swallow_xml_error);
    static bool once;
    if (!once) {
        once = true;
        *(void **)&real_manage_special =
            dlsym(RTLD_NEXT, "cmark_manage_extensions_special_characters");
        const char *e = getenv("BOOKIFY_CMARK_LOCK");
        parse_unlocked = real_manage_special && !(e && *e && strcmp(e, "0") != 0) &&
                         special_chars_interposed();
    }
}

/* ==================== Markdown to an HTML tree ==================== */

static const char *const extension_names[] = { "table", "strikethrough", "autolink", "tasklist" };

static cmark_parser *new_parser(int options)
{
    cmark_parser *parser = cmark_parser_new(options);
    for (size_t i = 0; i < BK_ARRAY_LEN(extension_names); i++) {
        cmark_syntax_extension *ext = cmark_find_syntax_extension(extension_names[i]);
        BK_ASSERT(ext != NULL);
        cmark_parser_attach_syntax_extension(parser, ext);
    }
    return parser;
}

/* Raw HTML carries no data-sourcepos: put a marker comment with its line in
 * front of it, so the sanitiser knows where each raw element came from. */
static void mark_raw_html_lines(cmark_node *doc)
{
    cmark_iter *it = cmark_iter_new(doc);
    cmark_event_type ev;
    bk_buf b = BK_BUF_INIT;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        cmark_node_type t = cmark_node_get_type(n);
        if (ev != CMARK_EVENT_ENTER || (t != CMARK_NODE_HTML_BLOCK && t != CMARK_NODE_HTML_INLINE))
            continue;
        int line = cmark_node_get_start_line(n);
        for (cmark_node *p = cmark_node_parent(n); line <= 0 && p; p = cmark_node_parent(p))
            line = cmark_node_get_start_line(p);
        const char *lit = cmark_node_get_literal(n);
        bk_buf_reset(&b);
        bk_buf_addf(&b, "<!--bk-line:%d-->%s", line > 0 ? line : 1, lit ? lit : "");
        cmark_node_set_literal(n, b.ptr);
    }
    bk_buf_release(&b);
    cmark_iter_free(it);
}

/* Quotes and lists nested deeper than this are flattened: every block
 * inside the first quote or item at this depth becomes its own child, in
 * order. The text is kept (libxml2's HTML parser would drop everything
 * below 256 elements), only the deeper indentation is lost. */
#define MD_MAX_NESTING 100

static bool md_container(cmark_node *n)
{
    cmark_node_type t = cmark_node_get_type(n);
    return t == CMARK_NODE_BLOCK_QUOTE || t == CMARK_NODE_LIST || t == CMARK_NODE_ITEM;
}

/* Returns the Markdown line of the first block flattened, or 0. */
static int flatten_deep_nesting(cmark_node *doc)
{
    cmark_node **anchors = NULL;
    size_t nanchors = 0, cap = 0;
    cmark_iter *it = cmark_iter_new(doc);
    cmark_event_type ev;
    int depth = 0;
    cmark_node *open = NULL; /* the anchor being walked through */
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        if (!md_container(n))
            continue;
        if (ev == CMARK_EVENT_ENTER) {
            depth++;
            cmark_node_type t = cmark_node_get_type(n);
            if (!open && depth >= MD_MAX_NESTING && t != CMARK_NODE_LIST) {
                open = n;
                BK_GROW(anchors, cap, nanchors + 1);
                anchors[nanchors++] = n;
            }
        } else {
            depth--;
            if (n == open)
                open = NULL;
        }
    }
    cmark_iter_free(it);
    int line = nanchors ? cmark_node_get_start_line(anchors[0]) : 0;
    for (size_t a = 0; a < nanchors; a++) {
        cmark_node *anchor = anchors[a];
        cmark_node **leaves = NULL;
        size_t nleaves = 0, capl = 0;
        it = cmark_iter_new(anchor);
        while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
            cmark_node *n = cmark_iter_get_node(it);
            cmark_node *parent = cmark_node_parent(n);
            bool block = (cmark_node_get_type(n) & CMARK_NODE_TYPE_MASK) == CMARK_NODE_TYPE_BLOCK;
            if (ev == CMARK_EVENT_ENTER && n != anchor && block && !md_container(n) && parent &&
                md_container(parent)) {
                BK_GROW(leaves, capl, nleaves + 1);
                leaves[nleaves++] = n;
            }
        }
        cmark_iter_free(it);
        for (size_t i = 0; i < nleaves; i++)
            cmark_node_append_child(anchor, leaves[i]);
        for (cmark_node *ch = cmark_node_first_child(anchor), *next; ch; ch = next) {
            next = cmark_node_next(ch);
            if (md_container(ch))
                cmark_node_free(ch);
        }
        free(leaves);
    }
    free(anchors);
    return line;
}

/* Parsing runs under this lock only when bookify could not keep
 * cmark-gfm's table of special characters from changing (see
 * cmark_manage_extensions_special_characters above; BOOKIFY_CMARK_LOCK=1
 * forces it, for the tests' comparison). */
static pthread_mutex_t cmark_lock = PTHREAD_MUTEX_INITIALIZER;

/* Markdown's nodes, as libxml2's HTML parser makes them from cmark-gfm's
 * HTML, under a <body>: built straight from cmark-gfm's tree (mdtree.h)
 * into doc, or, when the Markdown holds what only the HTML parser can
 * shape (raw HTML), parsed from the rendered HTML into a document of
 * their own. BOOKIFY_MD_VIA_HTML=1 takes the HTML route for every post
 * (tests/e2e/mdtree.sh compares the two). */
typedef struct md_nodes {
    htmlDocPtr h;    /* the HTML route's document, or NULL */
    xmlNodePtr body; /* in h, or an unlinked element of doc; NULL when h has none */
} md_nodes;

static bool via_html(void)
{
    static int state; /* every thread computes the same */
    return bk_env_on("BOOKIFY_MD_VIA_HTML", &state);
}

static xmlNodePtr html_body(htmlDocPtr h);

/* Posts whose Markdown did not need the HTML route (BOOKIFY_TIMES). */
static atomic_size_t posts_built_direct;

static md_nodes markdown_nodes(xmlDocPtr doc, const char *md, size_t len, bool smart,
                               bool sourcepos, int *flattened)
{
    int options = CMARK_OPT_FOOTNOTES | CMARK_OPT_UNSAFE | (smart ? CMARK_OPT_SMART : 0);
    int render = options | CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES |
                 (sourcepos ? CMARK_OPT_SOURCEPOS : 0);
    if (!parse_unlocked)
        pthread_mutex_lock(&cmark_lock);
    cmark_parser *parser = new_parser(options);
    cmark_parser_feed(parser, md, len);
    cmark_node *root = cmark_parser_finish(parser);
    cmark_parser_free(parser);
    if (!parse_unlocked)
        pthread_mutex_unlock(&cmark_lock);
    *flattened = flatten_deep_nesting(root);

    md_nodes out = { NULL, NULL };
    if (!via_html()) {
        xmlNodePtr body = xmlNewDocNode(doc, NULL, BAD_CAST "body", NULL);
        if (bk_mdtree_build(root, render, doc, body))
            out.body = body;
        else
            xmlFreeNode(body);
    }
    if (!out.body) {
        if (sourcepos)
            mark_raw_html_lines(root);
        /* No extension bookify attaches filters HTML, so the renderer
         * needs no list of them (nor the parser). */
        char *html = cmark_render_html(root, render, NULL);
        /* A doctype and a body keep the HTML parser from guessing. */
        bk_buf b = BK_BUF_INIT;
        bk_buf_adds(&b, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>");
        bk_buf_adds(&b, html);
        bk_buf_adds(&b, "</body></html>");
        out.h = htmlReadMemory(b.ptr, (int)b.len, NULL, "UTF-8",
                               HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
        out.body = html_body(out.h);
        bk_buf_release(&b);
        cmark_get_default_mem_allocator()->free(html);
    }
    cmark_node_free(root);
    return out;
}

static void md_nodes_free(md_nodes *m)
{
    if (m->h)
        xmlFreeDoc(m->h);
    else if (m->body)
        xmlFreeNode(m->body);
    m->h = NULL;
    m->body = NULL;
}

static xmlNodePtr html_body(htmlDocPtr h)
{
    xmlNodePtr root = h ? xmlDocGetRootElement(h) : NULL;
    for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next)
        if (bk_dom_is(c, "body"))
            return c;
    return NULL;
}

/* The depth of n's deepest element (iterative), and (deepest) the first
 * one at that depth. */
static int max_depth(xmlNodePtr n, xmlNodePtr *deepest)
{
    int depth = 0, best = 0;
    xmlNodePtr x = n;
    *deepest = n;
    while (x) {
        if (x->children && x->type == XML_ELEMENT_NODE) {
            x = x->children;
            if (++depth > best) {
                best = depth;
                *deepest = x;
            }
            continue;
        }
        while (x && x != n && !x->next) {
            x = x->parent;
            depth--;
        }
        if (!x || x == n)
            break;
        x = x->next;
    }
    return best;
}

/* libxml2's HTML parser stops at this depth and drops the rest. */
#define HTML_MAX_DEPTH 256

/* ==================== per-post state ==================== */

typedef struct conv {
    bk_book *book;
    bk_post *post;
    bk_diags *diags;
    bk_premd pm;
    xmlDocPtr doc;
    xmlNsPtr ns, epub;
    xmlNodePtr section; /* the chapter */
    bool smart, highlight;
    struct hl_pending *pending; /* code blocks being highlighted (bk_convert_book), or NULL */
} conv;

/* A code block handed to the highlighting thread, put back in its post's
 * tree once every post is converted (bk_convert_book). */
typedef struct hl_wait {
    xmlNodePtr target; /* the <code> or <pre> whose text is the code */
    bk_hl_job *job;
    xmlNodePtr *lang_els; /* per name of the job: the element whose lang attribute it is, or NULL */
} hl_wait;

typedef struct hl_pending {
    hl_wait *v;
    size_t len, cap;
} hl_pending;

static int md_to_file_line(void *ud, int md_line)
{
    conv *c = ud;
    int body_line = md_line;
    if (md_line >= 1 && (size_t)md_line <= c->pm.nlines)
        body_line = c->pm.line_map[md_line - 1];
    return c->post->body_line + body_line - 1;
}

/* Lines past 65534 (bk_dom_line) live where libxml2 does not copy them. */
static void copy_big_lines(xmlNodePtr from, xmlNodePtr to)
{
    for (; from && to; from = from->next, to = to->next) {
        if (from->line == 65535 && from->psvi)
            bk_dom_set_line(to, bk_dom_line(from));
        if (from->type == XML_ELEMENT_NODE)
            copy_big_lines(from->children, to->children);
    }
}

/* Move src's children under parent; from another document (the HTML
 * route's), copy them. */
static void adopt_children(conv *c, xmlNodePtr src, xmlNodePtr parent)
{
    if (src && src->doc == c->doc) {
        for (xmlNodePtr n = src->children, next; n; n = next) {
            next = n->next;
            xmlUnlinkNode(n);
            xmlAddChild(parent, n);
        }
        return;
    }
    for (xmlNodePtr n = src ? src->children : NULL; n; n = n->next) {
        xmlNodePtr copy = xmlDocCopyNode(n, c->doc, 1);
        if (copy) {
            if (n->type == XML_ELEMENT_NODE)
                copy_big_lines(n->children, copy->children);
            if (n->line == 65535 && n->psvi)
                bk_dom_set_line(copy, bk_dom_line(n));
            xmlAddChild(parent, copy);
        }
    }
}

/* ==================== the header ==================== */

/* Does the text hold more right-to-left letters than left-to-right ones? */
static bool mostly_rtl(const char *text, size_t len)
{
    size_t rtl = 0, ltr = 0;
    const char *end = text + len;
    for (const char *p = text; p < end; p = g_utf8_next_char(p)) {
        unsigned char b = (unsigned char)*p;
        if (b < 0x80) { /* ASCII, most of most posts: Latin letters or none */
            ltr += (unsigned)((b | 0x20) - 'a') < 26;
            /* decided: more left-to-right letters than bytes left */
            if (ltr > rtl + (size_t)(end - p))
                return false;
            continue;
        }
        gunichar ch = g_utf8_get_char(p);
        if (!g_unichar_isalpha(ch))
            continue;
        GUnicodeScript s = g_unichar_get_script(ch);
        if (s == G_UNICODE_SCRIPT_ARABIC || s == G_UNICODE_SCRIPT_HEBREW ||
            s == G_UNICODE_SCRIPT_SYRIAC || s == G_UNICODE_SCRIPT_THAANA ||
            s == G_UNICODE_SCRIPT_NKO)
            rtl++;
        else
            ltr++;
    }
    return rtl > ltr;
}

/* A title that Markdown would leave as it is: letters, digits, spaces
 * and punctuation with no inline or smart-punctuation meaning. Most are;
 * they skip a Markdown parse and an HTML parse each. */
static bool plain_title(const char *s)
{
    if (!*s || *s == ' ')
        return false;
    const char *p = s;
    for (; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch >= 0x80 || (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z'))
            continue;
        if (ch == ' ' ? p[1] == ' ' || !p[1] : !strchr(",;?()/#%+=^{}", ch))
            return false;
    }
    return !isdigit((unsigned char)s[0]) || !strchr(".)", s[strspn(s, "0123456789")]);
}

/* Markdown of one line (a title) rendered as inline nodes under parent.
 * A title is never a block: a leading "1." or "#" stays text. */
static void render_inline(conv *c, const char *text, xmlNodePtr parent)
{
    if (plain_title(text)) {
        xmlAddChild(parent, xmlNewDocText(c->doc, BAD_CAST text));
        return;
    }
    bk_buf md = BK_BUF_INIT;
    const char *p = text;
    size_t digits = strspn(p, "0123456789");
    if (strchr("#>-+*=", p[0]) || (digits && (p[digits] == '.' || p[digits] == ')'))) {
        bk_buf_add(&md, p, digits);
        bk_buf_addc(&md, '\\');
        p += digits;
    }
    for (; *p; p++)
        bk_buf_addc(&md, *p == '\n' ? ' ' : *p);
    int flattened;
    md_nodes h = markdown_nodes(c->doc, md.ptr, md.len, c->smart, false, &flattened);
    xmlNodePtr body = h.body;
    if (body) {
        bk_sanitize_ctx sc = { c->post->display, md_to_file_line, c };
        bk_sanitize(body, &sc, c->diags);
        xmlNodePtr first = bk_dom_first_element(body);
        adopt_children(c, bk_dom_is(first, "p") ? first : body, parent);
    }
    md_nodes_free(&h);
    bk_buf_release(&md);
}

static void add_text_el(conv *c, xmlNodePtr parent, const char *name, const char *cls,
                        const char *text)
{
    xmlNodePtr e = bk_dom_new(parent, c->ns, name);
    if (cls)
        xmlSetProp(e, BAD_CAST "class", BAD_CAST cls);
    xmlNodeAddContent(e, BAD_CAST text);
}

static void build_header(conv *c)
{
    bk_post *p = c->post;
    xmlNodePtr header = bk_dom_new(c->section, c->ns, "header");
    xmlSetProp(header, BAD_CAST "class", BAD_CAST "chapter-header");
    xmlNodePtr h1 = bk_dom_new(header, c->ns, "h1");
    xmlSetProp(h1, BAD_CAST "class", BAD_CAST "chapter-title");
    render_inline(c, p->title, h1);
    bk_buf t = BK_BUF_INIT;
    bk_dom_text(h1, &t);
    free(p->title_text);
    p->title_text = bk_xstrndup(t.ptr, t.len);
    bk_buf_release(&t);
    if (p->subtitle) {
        xmlNodePtr sub = bk_dom_new(header, c->ns, "p");
        xmlSetProp(sub, BAD_CAST "class", BAD_CAST "chapter-subtitle");
        xmlSetProp(sub, BAD_CAST "role", BAD_CAST "doc-subtitle");
        render_inline(c, p->subtitle, sub);
    }
    const char *book_author = c->book->meta.author;
    bool show_author = p->author && (!book_author || strcmp(p->author, book_author) != 0);
    if (p->date.valid || show_author) {
        xmlNodePtr meta = bk_dom_new(header, c->ns, "p");
        xmlSetProp(meta, BAD_CAST "class", BAD_CAST "chapter-meta");
        if (p->date.valid) {
            char ymd[11];
            bk_date_format_ymd(&p->date, ymd);
            bk_buf when = BK_BUF_INIT;
            /* in the chapter's own language */
            bk_date_format_long(&p->date, p->doc_lang ? p->doc_lang : c->book->meta.lang, &when);
            xmlNodePtr time = bk_dom_new(meta, c->ns, "time");
            xmlSetProp(time, BAD_CAST "datetime", BAD_CAST ymd);
            xmlNodeAddContent(time, BAD_CAST when.ptr);
            bk_buf_release(&when);
        }
        if (p->date.valid && show_author)
            xmlNodeAddContent(meta, BAD_CAST " · ");
        if (show_author)
            add_text_el(c, meta, "span", "chapter-author", p->author);
    }
    if (p->categories.len || p->tags.len) {
        /* A line of words with visible separators reads right in every
         * reader, styled or not. */
        xmlNodePtr line = bk_dom_new(header, c->ns, "p");
        xmlSetProp(line, BAD_CAST "class", BAD_CAST "chapter-tags");
        for (size_t i = 0; i < p->categories.len + p->tags.len; i++) {
            bool cat = i < p->categories.len;
            if (i)
                xmlNodeAddContent(line, BAD_CAST " · ");
            add_text_el(c, line, "span", cat ? "category" : "tag",
                        cat ? p->categories.v[i] : p->tags.v[i - p->categories.len]);
        }
    }
}

/* ==================== cleaning the body ==================== */

/* Text of n lowercased with blanks collapsed, for comparing titles. */
static char *fold_text(xmlNodePtr n, const char *s)
{
    bk_buf b = BK_BUF_INIT;
    if (n)
        bk_dom_text(n, &b);
    else
        bk_buf_adds(&b, s);
    char *folded = g_utf8_casefold(b.ptr, (gssize)b.len);
    bk_buf_release(&b);
    char *r = bk_xstrdup(folded);
    g_free(folded);
    return r;
}

/* A leading "# Title" that repeats the chapter title is not shown twice. */
static void drop_repeated_title(conv *c, xmlNodePtr content_start)
{
    char *want = fold_text(NULL, c->post->title_text);
    for (xmlNodePtr n = content_start; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (bk_dom_is(n, "h1")) {
            char *got = fold_text(n, NULL);
            bool same = strcmp(got, want) == 0;
            free(got);
            /* the heading the title was taken from, or one repeating it;
             * never another (a guess that went wrong must not lose text) */
            if (same) {
                xmlUnlinkNode(n);
                xmlFreeNode(n);
            }
            break;
        }
        if (!c->post->title_from_body)
            break; /* only a heading that opens the post repeats the title */
    }
    free(want);
}

/* The chapter title is the h1: when the post uses h1 itself, every heading
 * moves one level down so the outline stays right. */
static void shift_headings(conv *c, xmlNodePtr content_start)
{
    bool has_h1 = false;
    for (xmlNodePtr n = content_start; n && !has_h1; n = bk_dom_next(n, c->section, false))
        has_h1 = bk_dom_is(n, "h1");
    if (!has_h1)
        return;
    for (xmlNodePtr n = content_start; n; n = bk_dom_next(n, c->section, false)) {
        if (n->type == XML_ELEMENT_NODE && n->name[0] == 'h' && n->name[1] >= '1' &&
            n->name[1] <= '5' && n->name[2] == '\0') {
            char name[3] = { 'h', (char)(n->name[1] + 1), '\0' };
            xmlNodeSetName(n, BAD_CAST name);
        }
    }
}

/* GitHub's heading slug: lowercase, drop everything but letters, marks,
 * numbers, '_', '-' and spaces, then spaces become '-'. */
static void github_slug(const char *text, bk_buf *out)
{
    char *lower = g_utf8_strdown(text, -1);
    for (const char *p = lower; *p; p = g_utf8_next_char(p)) {
        gunichar ch = g_utf8_get_char(p);
        if (ch == ' ') {
            bk_buf_addc(out, '-');
        } else if (ch == '-' || ch == '_' || g_unichar_isalnum(ch) || g_unichar_ismark(ch)) {
            char u[6];
            int n = g_unichar_to_utf8(ch, u);
            bk_buf_add(out, u, (size_t)n);
        }
    }
    g_free(lower);
}

/* kramdown's auto id (Jekyll's default Markdown): ASCII letters, digits,
 * '-', '_' and spaces, leading non-letters dropped. */
static void kramdown_slug(const char *text, bk_buf *out)
{
    const char *p = text;
    while (*p && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        p++;
    for (; *p; p++) {
        char ch = bk_ascii_lower(*p);
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')
            bk_buf_addc(out, ch);
        else if (ch == ' ')
            bk_buf_addc(out, '-');
    }
}

/* "Heading {#custom-id}": take the id, drop the marker. */
static char *take_explicit_id(xmlNodePtr h)
{
    xmlNodePtr last = h->last;
    if (!last || last->type != XML_TEXT_NODE)
        return NULL;
    const char *t = (const char *)last->content;
    size_t n = strlen(t);
    while (n && t[n - 1] == ' ')
        n--;
    if (n < 4 || t[n - 1] != '}')
        return NULL;
    const char *open = NULL;
    for (size_t i = n - 1; i-- > 0;)
        if (t[i] == '{') {
            open = t + i;
            break;
        }
    if (!open || open[1] != '#')
        return NULL;
    size_t idlen = (size_t)(t + n - 1 - (open + 2));
    if (!idlen || memchr(open + 2, ' ', idlen))
        return NULL;
    char *id = bk_xstrndup(open + 2, idlen);
    size_t keep = (size_t)(open - t);
    while (keep && t[keep - 1] == ' ')
        keep--;
    char *rest = bk_xstrndup(t, keep);
    xmlNodeSetContent(last, BAD_CAST rest);
    free(rest);
    return id;
}

static void heading_ids(conv *c, xmlNodePtr content_start)
{
    bk_strmap used = BK_STRMAP_INIT;
    bk_arena tmp = BK_ARENA_INIT;
    bk_buf b = BK_BUF_INIT;
    for (xmlNodePtr n = content_start; n; n = bk_dom_next(n, c->section, false)) {
        if (n->type != XML_ELEMENT_NODE || n->name[0] != 'h' || n->name[1] < '1' ||
            n->name[1] > '6' || n->name[2])
            continue;
        char *explicit_id = take_explicit_id(n);
        char *have = bk_dom_attr(n, "id");
        bk_buf_reset(&b);
        bk_dom_text(n, &b);
        char *text = bk_xstrndup(b.ptr, b.len);
        bk_buf_reset(&b);
        if (explicit_id)
            bk_buf_adds(&b, explicit_id);
        else if (have)
            bk_buf_adds(&b, have);
        else
            github_slug(text, &b);
        if (!b.len)
            bk_buf_adds(&b, "section");
        /* GitHub numbers repeats: "intro", "intro-1", "intro-2". */
        const char *id = bk_unique_name(&used, &tmp, b.ptr, "", 1);
        xmlSetProp(n, BAD_CAST "id", BAD_CAST id);
        if (!explicit_id && !have) {
            bk_buf_reset(&b);
            kramdown_slug(text, &b);
            if (b.len && strcmp(b.ptr, id) != 0)
                xmlSetProp(n, BAD_CAST "data-bk-alias", BAD_CAST b.ptr);
        }
        free(text);
        free(explicit_id);
        xmlFree(have);
    }
    bk_buf_release(&b);
    bk_arena_release(&tmp);
    bk_strmap_release(&used);
}

/* Maths placeholders from premd: U+E000 n U+E001 inline, U+E002 n U+E001
 * display. In text they become math elements; inside code, in attributes
 * or anywhere else, the TeX comes back with its delimiters. */
#define PH_INLINE "\xEE\x80\x80"
#define PH_DISPLAY "\xEE\x80\x82"
#define PH_END "\xEE\x80\x81"

static const bk_premd_math *placeholder_at(conv *c, const char *s, size_t *len)
{
    if (strncmp(s, PH_INLINE, 3) != 0 && strncmp(s, PH_DISPLAY, 3) != 0)
        return NULL;
    const char *p = s + 3;
    size_t idx = 0, digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 9) {
        idx = idx * 10 + (size_t)(*p - '0');
        p++;
        digits++;
    }
    if (!digits || strncmp(p, PH_END, 3) != 0 || idx >= c->pm.nmath)
        return NULL;
    *len = (size_t)(p + 3 - s);
    return &c->pm.math[idx];
}

static void add_tex_source(bk_buf *b, const bk_premd_math *m)
{
    bk_buf_adds(b, m->display ? "$$" : "$");
    bk_buf_adds(b, m->tex);
    bk_buf_adds(b, m->display ? "$$" : "$");
}

/* s with every placeholder turned back into its TeX source. */
static char *restore_math(conv *c, const char *s)
{
    bk_buf b = BK_BUF_INIT;
    for (const char *p = s; *p;) {
        size_t n;
        const bk_premd_math *m = placeholder_at(c, p, &n);
        if (m) {
            add_tex_source(&b, m);
            p += n;
        } else {
            bk_buf_addc(&b, *p++);
        }
    }
    return bk_buf_detach(&b);
}

static bool only_child_content(xmlNodePtr parent, xmlNodePtr child)
{
    for (xmlNodePtr s = parent->children; s; s = s->next) {
        if (s == child)
            continue;
        if (s->type != XML_TEXT_NODE)
            return false;
        for (const xmlChar *t = s->content; t && *t; t++)
            if (*t != ' ' && *t != '\n' && *t != '\t')
                return false;
    }
    return true;
}

static void expand_math_text(conv *c, xmlNodePtr text)
{
    const char *s = (const char *)text->content;
    if (!strstr(s, "\xEE\x80"))
        return;
    if (bk_dom_inside(text, "pre") || bk_dom_inside(text, "code")) {
        char *r = restore_math(c, s);
        xmlNodeSetContent(text, BAD_CAST r);
        free(r);
        return;
    }
    xmlNodePtr after = text;
    bk_buf plain = BK_BUF_INIT;
    char *copy = bk_xstrdup(s);
    xmlNodeSetContent(text, BAD_CAST "");
    for (const char *p = copy; *p;) {
        size_t n;
        const bk_premd_math *m = placeholder_at(c, p, &n);
        if (!m) {
            bk_buf_addc(&plain, *p++);
            continue;
        }
        if (plain.len) {
            xmlNodePtr t = xmlNewDocText(c->doc, BAD_CAST plain.ptr);
            after = xmlAddNextSibling(after, t);
            bk_buf_reset(&plain);
        }
        xmlNodePtr el = xmlNewDocNode(c->doc, c->ns, BAD_CAST "span", NULL);
        xmlSetProp(el, BAD_CAST "class", BAD_CAST(m->display ? "math display" : "math"));
        xmlNodeAddContent(el, BAD_CAST m->tex);
        after = xmlAddNextSibling(after, el);
        p += n;
    }
    if (plain.len)
        xmlAddNextSibling(after, xmlNewDocText(c->doc, BAD_CAST plain.ptr));
    bk_buf_release(&plain);
    free(copy);
}

static void expand_math(conv *c)
{
    if (!c->pm.nmath)
        return;
    /* Text first: collect, since expanding changes the tree. */
    xmlNodePtr *texts = NULL;
    size_t n = 0, cap = 0;
    for (xmlNodePtr x = c->section; x; x = bk_dom_next(x, c->section, false)) {
        if (x->type == XML_TEXT_NODE && x->content && strstr((const char *)x->content, "\xEE\x80")) {
            BK_GROW(texts, cap, n + 1);
            texts[n++] = x;
        }
        if (x->type == XML_ELEMENT_NODE) {
            for (xmlAttrPtr a = x->properties; a; a = a->next) {
                xmlChar *v = xmlNodeListGetString(c->doc, a->children, 1);
                if (v && strstr((const char *)v, "\xEE\x80")) {
                    char *r = restore_math(c, (const char *)v);
                    xmlSetProp(x, a->name, BAD_CAST r);
                    free(r);
                }
                xmlFree(v);
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        expand_math_text(c, texts[i]);
    free(texts);
    /* A display formula alone in its paragraph is a block of its own. */
    for (xmlNodePtr x = c->section; x;) {
        xmlNodePtr next = bk_dom_next(x, c->section, false);
        if (bk_dom_is(x, "span") && bk_dom_has_class(x, "display") && bk_dom_is(x->parent, "p") &&
            only_child_content(x->parent, x)) {
            xmlNodePtr p = x->parent;
            xmlNodeSetName(p, BAD_CAST "div");
            xmlSetProp(p, BAD_CAST "class", BAD_CAST "math display");
            xmlNodePtr kid = p->children;
            while (kid) {
                xmlNodePtr nk = kid->next;
                if (kid != x) {
                    xmlUnlinkNode(kid);
                    xmlFreeNode(kid);
                }
                kid = nk;
            }
            bk_dom_unwrap(x);
            next = bk_dom_next(p, c->section, true);
        }
        x = next;
    }
}

/* kramdown abbreviations: wrap whole-word uses in <abbr title>. */
static bool word_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch >= 0x80;
}

typedef struct abbr_hit {
    size_t pos, len, abbr;
} abbr_hit;

static int abbr_hit_cmp(const void *x, const void *y)
{
    const abbr_hit *a = x, *b = y;
    if (a->pos != b->pos)
        return a->pos < b->pos ? -1 : 1;
    if (a->len != b->len)
        return a->len > b->len ? -1 : 1; /* the longer first */
    return a->abbr < b->abbr ? -1 : a->abbr > b->abbr;
}

static void apply_abbreviations(conv *c)
{
    if (!c->pm.nabbrs)
        return;
    xmlNodePtr *texts = NULL;
    size_t n = 0, cap = 0;
    for (xmlNodePtr x = c->section; x; x = bk_dom_next(x, c->section, false)) {
        bool skip = bk_dom_is(x, "pre") || bk_dom_is(x, "code") || bk_dom_is(x, "abbr") ||
                    bk_dom_is(x, "header");
        if (skip) {
            x = bk_dom_next(x, c->section, true);
            if (!x)
                break;
        }
        if (x->type == XML_TEXT_NODE) {
            BK_GROW(texts, cap, n + 1);
            texts[n++] = x;
        }
    }
    /* Each text node once: every abbreviation's uses found, sorted, the
     * earliest (then longest) kept where they overlap, and the node
     * rebuilt in one pass (splitting and rescanning after each use was
     * quadratic in the uses). */
    abbr_hit *hits = NULL;
    size_t nh = 0, caph = 0;
    for (size_t i = 0; i < n; i++) {
        xmlNodePtr t = texts[i];
        const char *s = (const char *)t->content;
        nh = 0;
        for (size_t k = 0; k < c->pm.nabbrs; k++) {
            const char *ab = c->pm.abbrs[k].abbr;
            size_t alen = strlen(ab);
            if (!alen)
                continue;
            for (const char *p = strstr(s, ab); p; p = strstr(p + 1, ab))
                if ((p == s || !word_char((unsigned char)p[-1])) && !word_char((unsigned char)p[alen])) {
                    BK_GROW(hits, caph, nh + 1);
                    hits[nh++] = (abbr_hit){ (size_t)(p - s), alen, k };
                }
        }
        if (!nh)
            continue;
        qsort(hits, nh, sizeof(*hits), abbr_hit_cmp);
        char *text = bk_xstrdup(s);
        xmlNodePtr at = t;
        size_t done = 0;
        bool first = true;
        for (size_t h = 0; h < nh; h++) {
            if (hits[h].pos < done)
                continue; /* overlaps one kept */
            char *piece = bk_xstrndup(text + done, hits[h].pos - done);
            if (first) {
                xmlNodeSetContent(t, BAD_CAST piece);
                first = false;
            } else {
                xmlNodePtr tx = xmlNewDocText(c->doc, BAD_CAST piece);
                xmlAddNextSibling(at, tx);
                at = tx;
            }
            free(piece);
            const bk_premd_abbr *ab = &c->pm.abbrs[hits[h].abbr];
            xmlNodePtr el = xmlNewDocNode(c->doc, c->ns, BAD_CAST "abbr", NULL);
            xmlSetProp(el, BAD_CAST "title", BAD_CAST ab->title);
            xmlNodeAddContent(el, BAD_CAST ab->abbr);
            xmlAddNextSibling(at, el);
            at = el;
            done = hits[h].pos + hits[h].len;
        }
        xmlNodePtr tail = xmlNewDocText(c->doc, BAD_CAST(text + done));
        xmlAddNextSibling(at, tail);
        free(text);
    }
    free(hits);
    free(texts);
}

/* kramdown block attributes `{: .class #id key="v"}` (kept by premd as
 * <!--bk-ial ...--> comments): apply them to the element before. */
static void apply_ial(conv *c, xmlNodePtr target, const char *spec)
{
    const char *p = spec;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, " \t=");
        if (*p == '.' && n > 1) {
            char *cls = bk_xstrndup(p + 1, n - 1);
            bk_dom_add_class(target, cls);
            if (strcmp(cls, "ltr") == 0 || strcmp(cls, "rtl") == 0)
                xmlSetProp(target, BAD_CAST "dir", BAD_CAST cls);
            free(cls);
            p += n;
        } else if (*p == '#' && n > 1) {
            char *id = bk_xstrndup(p + 1, n - 1);
            xmlSetProp(target, BAD_CAST "id", BAD_CAST id);
            free(id);
            p += n;
        } else if (p[n] == '=') {
            char *key = bk_xstrndup(p, n);
            p += n + 1;
            char q = (*p == '"' || *p == '\'') ? *p++ : 0;
            size_t vlen = q ? strcspn(p, q == '"' ? "\"" : "'") : strcspn(p, " \t");
            char *val = bk_xstrndup(p, vlen);
            p += vlen + (q && p[vlen] ? 1 : 0);
            /* Only presentation keys a book can honour, never handlers;
             * their values under the sanitiser's rules (this runs after it). */
            const char *bad = NULL;
            if (strcmp(key, "style") == 0)
                bad = bk_sanitize_style_danger(val);
            else if (strcmp(key, "dir") == 0)
                bad = strcmp(val, "ltr") == 0 || strcmp(val, "rtl") == 0 || strcmp(val, "auto") == 0
                          ? NULL
                          : val;
            else if (strcmp(key, "lang") != 0 && strcmp(key, "title") != 0)
                bad = "";
            if (!bad)
                xmlSetProp(target, BAD_CAST key, BAD_CAST val);
            else if (*bad)
                bk_warn(c->diags, (bk_loc){ c->post->display, 0, 0 },
                        "removed '%s' from a kramdown attribute list ({: ...}): '%s' is not allowed",
                        key, bad);
            free(key);
            free(val);
        } else {
            p += n ? n : 1;
        }
    }
}

static void apply_ials(conv *c)
{
    for (xmlNodePtr x = c->section; x;) {
        xmlNodePtr next = bk_dom_next(x, c->section, false);
        if (x->type == XML_COMMENT_NODE) {
            const char *t = (const char *)x->content;
            if (t && strncmp(t, "bk-ial", 6) == 0) {
                bool to_next = strncmp(t, "bk-ial-next", 11) == 0;
                xmlNodePtr target = to_next ? x->next : x->prev;
                while (target && target->type != XML_ELEMENT_NODE)
                    target = to_next ? target->next : target->prev;
                /* An attribute list at the end of a paragraph's last line
                 * lands inside it: it then belongs to the paragraph. */
                if (!target && x->parent && x->parent != c->section)
                    target = x->parent;
                if (target) {
                    char *spec = g_uri_unescape_string(t + (to_next ? 11 : 6), NULL);
                    if (spec)
                        apply_ial(c, target, spec);
                    g_free(spec);
                }
                next = bk_dom_next(x, c->section, true);
                xmlUnlinkNode(x);
                xmlFreeNode(x);
            }
        }
        x = next;
    }
}

/* Footnotes as EPUB 3 wants them: noteref links and footnote asides. */
static void footnotes(conv *c)
{
    for (xmlNodePtr x = c->section; x; x = bk_dom_next(x, c->section, false)) {
        if (bk_dom_is(x, "sup") && bk_dom_has_class(x, "footnote-ref")) {
            xmlNodePtr a = bk_dom_first_element(x);
            if (bk_dom_is(a, "a")) {
                xmlNewNsProp(a, c->epub, BAD_CAST "type", BAD_CAST "noteref");
                xmlSetProp(a, BAD_CAST "role", BAD_CAST "doc-noteref");
            }
        }
    }
    xmlNodePtr sec = NULL;
    for (xmlNodePtr x = c->section->children; x; x = x->next)
        if (bk_dom_is(x, "section") && bk_dom_has_class(x, "footnotes"))
            sec = x;
    if (!sec)
        return;
    xmlNodePtr ol = bk_dom_first_element(sec);
    if (!bk_dom_is(ol, "ol"))
        return;
    xmlNodePtr out = xmlNewDocNode(c->doc, c->ns, BAD_CAST "section", NULL);
    xmlSetProp(out, BAD_CAST "class", BAD_CAST "footnotes");
    int num = 0;
    for (xmlNodePtr li = ol->children; li; li = li->next) {
        if (!bk_dom_is(li, "li"))
            continue;
        num++;
        char *id = bk_dom_attr(li, "id");
        xmlNodePtr aside = bk_dom_new(out, c->ns, "aside");
        if (id)
            xmlSetProp(aside, BAD_CAST "id", BAD_CAST id);
        xmlSetProp(aside, BAD_CAST "class", BAD_CAST "footnote");
        xmlNewNsProp(aside, c->epub, BAD_CAST "type", BAD_CAST "footnote");
        xmlSetProp(aside, BAD_CAST "role", BAD_CAST "doc-footnote");
        /* The note's number links back to the first reference. */
        char *back = NULL;
        for (xmlNodePtr a = li; a; a = bk_dom_next(a, li, false)) {
            if (bk_dom_is(a, "a") && bk_dom_has_class(a, "footnote-backref")) {
                if (!back)
                    back = bk_dom_attr(a, "href");
            }
        }
        for (xmlNodePtr a = li; a;) {
            xmlNodePtr next = bk_dom_next(a, li, false);
            if (bk_dom_is(a, "a") && bk_dom_has_class(a, "footnote-backref")) {
                next = bk_dom_next(a, li, true);
                xmlUnlinkNode(a);
                xmlFreeNode(a);
            }
            a = next;
        }
        xmlNodePtr kid = li->children;
        while (kid) {
            xmlNodePtr nk = kid->next;
            xmlUnlinkNode(kid);
            xmlAddChild(aside, kid);
            kid = nk;
        }
        xmlNodePtr first = bk_dom_first_element(aside);
        if (!bk_dom_is(first, "p")) {
            first = xmlNewDocNode(c->doc, c->ns, BAD_CAST "p", NULL);
            if (aside->children)
                xmlAddPrevSibling(aside->children, first);
            else
                xmlAddChild(aside, first);
        }
        xmlNodePtr label = xmlNewDocNode(c->doc, c->ns, BAD_CAST(back ? "a" : "span"), NULL);
        xmlSetProp(label, BAD_CAST "class", BAD_CAST "footnote-label");
        if (back) {
            xmlSetProp(label, BAD_CAST "href", BAD_CAST back);
            xmlSetProp(label, BAD_CAST "role", BAD_CAST "doc-backlink");
        }
        char numtext[16];
        snprintf(numtext, sizeof numtext, "%d.", num);
        xmlNodeAddContent(label, BAD_CAST numtext);
        if (first->children) {
            xmlAddPrevSibling(first->children, label);
            xmlAddNextSibling(label, xmlNewDocText(c->doc, BAD_CAST " "));
        } else {
            xmlAddChild(first, label);
        }
        /* Trailing blanks left where the back-reference was. */
        xmlNodePtr last = first->last;
        if (last && last->type == XML_TEXT_NODE) {
            char *t = (char *)xmlNodeGetContent(last);
            size_t n = strlen(t);
            while (n && (t[n - 1] == ' ' || t[n - 1] == '\n'))
                t[--n] = '\0';
            xmlNodeSetContent(last, BAD_CAST t);
            xmlFree(t);
        }
        xmlFree(id);
        xmlFree(back);
    }
    xmlReplaceNode(sec, out);
    xmlFreeNode(sec);
}

static bool is_blank_text(xmlNodePtr n);

/* GFM task lists: checkboxes become glyphs a reader can see anywhere. */
static void task_lists(conv *c)
{
    for (xmlNodePtr x = c->section; x;) {
        xmlNodePtr next = bk_dom_next(x, c->section, false);
        if (bk_dom_is(x, "input")) {
            char *checked = bk_dom_attr(x, "checked");
            xmlNodePtr li = x->parent;
            if (bk_dom_is(li, "p"))
                li = li->parent;
            if (bk_dom_is(li, "li")) {
                bk_dom_add_class(li, "task");
                if (checked)
                    bk_dom_add_class(li, "done");
            }
            xmlNodePtr box = xmlNewDocNode(c->doc, c->ns, BAD_CAST "span", NULL);
            xmlSetProp(box, BAD_CAST "class", BAD_CAST "task-box");
            xmlSetProp(box, BAD_CAST "role", BAD_CAST "img");
            xmlSetProp(box, BAD_CAST "aria-label", BAD_CAST(checked ? "done" : "not done"));
            xmlNodeAddContent(box, BAD_CAST(checked ? "\xE2\x98\x91" : "\xE2\x98\x90"));
            next = bk_dom_next(x, c->section, true);
            /* In a loose list the text is in a paragraph after the box:
             * the box goes to the paragraph's start, on the same line. */
            xmlNodePtr para = x->next;
            while (para && is_blank_text(para))
                para = para->next;
            if (bk_dom_is(para, "p") && bk_dom_is(x->parent, "li")) {
                xmlUnlinkNode(x);
                xmlFreeNode(x);
                if (para->children)
                    xmlAddPrevSibling(para->children, box);
                else
                    xmlAddChild(para, box);
                xmlAddNextSibling(box, xmlNewDocText(c->doc, BAD_CAST " "));
            } else {
                xmlReplaceNode(x, box);
                xmlFreeNode(x);
            }
            xmlFree(checked);
        }
        x = next;
    }
}

static bool is_blank_text(xmlNodePtr n)
{
    if (n->type != XML_TEXT_NODE)
        return false;
    for (const xmlChar *t = n->content; t && *t; t++)
        if (*t != ' ' && *t != '\n' && *t != '\t' && *t != '\r')
            return false;
    return true;
}

static bool is_block(xmlNodePtr n)
{
    static const char *const blocks[] = { "p", "div", "h1", "h2", "h3", "h4", "h5", "h6",
                                          "ul", "ol", "dl", "pre", "blockquote", "table",
                                          "figure", "hr", "section", "aside", "details",
                                          "header", "footer", "article", "nav", "address" };
    if (n->type != XML_ELEMENT_NODE)
        return false;
    for (size_t i = 0; i < BK_ARRAY_LEN(blocks); i++)
        if (n->name[0] == (xmlChar)blocks[i][0] && strcmp((const char *)n->name, blocks[i]) == 0)
            return true;
    return false;
}

/* Drop blank text at the start and end of an element (left by block
 * markup that was unwrapped). */
static void trim_blank_edges(xmlNodePtr el)
{
    while (el->children && is_blank_text(el->children)) {
        xmlNodePtr t = el->children;
        xmlUnlinkNode(t);
        xmlFreeNode(t);
    }
    while (el->last && is_blank_text(el->last)) {
        xmlNodePtr t = el->last;
        xmlUnlinkNode(t);
        xmlFreeNode(t);
    }
}

/* Tidy: <dt><p>term</p></dt> loses the p; empty paragraphs go; text and
 * inline elements directly in the chapter get a paragraph. */
static void tidy(conv *c, xmlNodePtr content_start)
{
    /* The first node may be an empty paragraph that goes (found by fuzzing). */
    xmlNodePtr before = content_start->prev;
    for (xmlNodePtr x = content_start; x;) {
        xmlNodePtr next = bk_dom_next(x, c->section, false);
        if (bk_dom_is(x, "p") && bk_dom_is(x->parent, "dt")) {
            xmlNodePtr dt = x->parent;
            bk_dom_unwrap(x);
            trim_blank_edges(dt);
            next = bk_dom_next(dt, c->section, true);
        } else if (bk_dom_is(x, "p") && !x->children) {
            next = bk_dom_next(x, c->section, true);
            xmlUnlinkNode(x);
            xmlFreeNode(x);
        }
        x = next;
    }
    content_start = before ? before->next : c->section->children;
    xmlNodePtr para = NULL;
    for (xmlNodePtr x = content_start; x;) {
        xmlNodePtr next = x->next;
        if (is_block(x) || x->type == XML_COMMENT_NODE || (is_blank_text(x) && !para)) {
            para = NULL;
        } else {
            if (!para) {
                para = xmlNewDocNode(c->doc, c->ns, BAD_CAST "p", NULL);
                xmlAddPrevSibling(x, para);
            }
            xmlUnlinkNode(x);
            xmlAddChild(para, x);
        }
        x = next;
    }
}

/* ==================== syntax highlighting ==================== */

/* The language name a class token gives: "language-go", "lang-go", or,
 * with any_token, a bare "go" (highlight.js's <code class="go">), into
 * name; false when the token names none. */
static bool token_name(const char *tok, size_t n, bool any_token, char name[48])
{
    static const char *const prefixes[] = { "language-", "lang-" };
    for (size_t i = 0; i < 2; i++) {
        size_t k = strlen(prefixes[i]);
        if (n > k && n - k < 48 && strncmp(tok, prefixes[i], k) == 0) {
            memcpy(name, tok + k, n - k);
            name[n - k] = '\0';
            goto found;
        }
    }
    if (!any_token || n >= 48)
        return false;
    memcpy(name, tok, n);
    name[n] = '\0';
    static const char *const not_languages[] = { "highlight", "hljs", "sourcecode", "chroma",
                                                 "code", "nohighlight", "plaintext", "text" };
    for (size_t i = 0; i < sizeof not_languages / sizeof *not_languages; i++)
        if (g_ascii_strcasecmp(name, not_languages[i]) == 0)
            return false;
found:;
    /* pandoc's and R Markdown's info strings: "{.python}", "{r}",
     * "{python, echo=FALSE}" */
    size_t skip = strspn(name, "{.");
    memmove(name, name + skip, strlen(name + skip) + 1);
    name[strcspn(name, ",} ")] = '\0';
    return true;
}

/* The names a code block gives its language, in the order they are tried
 * (the first the highlighter knows is the block's language): the classes
 * of its <code> or <pre> as cmark-gfm ("language-x"), Hugo, pandoc and
 * highlight.js write them, a data-lang or lang attribute, then any bare
 * class. lang_els[i] is the element whose lang attribute names[i] is. */
typedef struct lang_names {
    char **names;
    xmlNodePtr *lang_els;
    size_t n, cap;
} lang_names;

static void add_name(lang_names *ln, const char *name, xmlNodePtr lang_el)
{
    if (ln->n == ln->cap) {
        ln->cap = ln->cap ? 2 * ln->cap : 4;
        ln->names = bk_xrealloc(ln->names, ln->cap * sizeof *ln->names);
        ln->lang_els = bk_xrealloc(ln->lang_els, ln->cap * sizeof *ln->lang_els);
    }
    ln->names[ln->n] = bk_xstrdup(name);
    ln->lang_els[ln->n++] = lang_el;
}

static void block_names(xmlNodePtr pre, xmlNodePtr code, lang_names *ln)
{
    xmlNodePtr els[2] = { code, pre };
    for (int pass = 0; pass < 2; pass++)
        for (int e = 0; e < 2; e++) {
            if (!els[e])
                continue;
            char *cls = bk_dom_has_attr(els[e], "class") ? bk_dom_attr(els[e], "class") : NULL;
            for (const char *p = cls; p && *p;) {
                p += strspn(p, " \t\n");
                size_t n = strcspn(p, " \t\n");
                char name[48];
                if (n && token_name(p, n, pass == 1, name))
                    add_name(ln, name, NULL);
                p += n;
            }
            xmlFree(cls);
            for (int a = 0; a < 2 && pass == 0; a++) {
                char *v = bk_dom_attr(els[e], a ? "lang" : "data-lang");
                if (v)
                    add_name(ln, v, a ? els[e] : NULL);
                xmlFree(v);
            }
        }
}

/* GitHub's old <pre lang="ruby">, when "ruby" was the language used: the
 * code's language, not a human one; said the usual way instead. */
static void lang_to_class(xmlNodePtr el)
{
    char *v = bk_dom_attr(el, "lang");
    if (!v)
        return;
    char named[64];
    snprintf(named, sizeof named, "language-%s", v);
    xmlUnsetProp(el, BAD_CAST "lang");
    bk_dom_add_class(el, named);
    xmlFree(v);
}

/* Spans of pre-highlighted HTML pasted into a post (Pygments, Rouge,
 * Chroma: <span class="k">) take bookify's classes, so they look like the
 * rest. */
static void map_pasted_highlight(xmlNodePtr pre)
{
    for (xmlNodePtr x = pre->children; x; x = bk_dom_next(x, pre, false)) {
        if (!bk_dom_is(x, "span"))
            continue;
        char *cls = bk_dom_attr(x, "class");
        bk_hl_class hc = cls ? bk_hl_class_from_pygments(cls) : BK_HL_NONE;
        if (hc != BK_HL_NONE)
            xmlSetProp(x, BAD_CAST "class", BAD_CAST bk_hl_class_name(hc));
        xmlFree(cls);
    }
}

/* The code's text replaced by runs of text and <span class="CLASS">
 * (in the target's own document and namespace). */
static void put_spans(xmlNodePtr target, const char *text, size_t len, const bk_hl_span *spans,
                      size_t n)
{
    if (!n)
        return;
    long line = bk_dom_line(target);
    while (target->children) {
        xmlNodePtr x = target->children;
        xmlUnlinkNode(x);
        xmlFreeNode(x);
    }
    size_t at = 0;
    for (size_t i = 0; i <= n; i++) {
        size_t start = i < n ? spans[i].start : len;
        if (start > at) {
            xmlNodePtr t = xmlNewDocTextLen(target->doc, BAD_CAST text + at, (int)(start - at));
            bk_dom_set_line(t, line);
            xmlAddChild(target, t);
        }
        if (i == n)
            break;
        xmlNodePtr span = xmlNewDocNode(target->doc, target->ns, BAD_CAST "span", NULL);
        xmlSetProp(span, BAD_CAST "class", BAD_CAST bk_hl_class_name(spans[i].cls));
        xmlAddChild(span, xmlNewDocTextLen(target->doc, BAD_CAST text + spans[i].start,
                                           (int)(spans[i].end - spans[i].start)));
        bk_dom_set_line(span, line);
        xmlAddChild(target, span);
        at = spans[i].end;
    }
}

/* A job's spans put in its block; the job is gone. */
static void finish_highlight(hl_wait *w)
{
    char *text;
    bk_hl_span *spans;
    int chosen;
    size_t n = bk_highlight_take(w->job, &text, &spans, &chosen);
    size_t len = text ? strlen(text) : 0;
    put_spans(w->target, text, len, spans, n);
    if (chosen >= 0 && w->lang_els[chosen])
        lang_to_class(w->lang_els[chosen]);
    free(w->lang_els);
    free(spans);
    free(text);
}

static void highlight_block(conv *c, xmlNodePtr target, lang_names *ln)
{
    bk_buf text = BK_BUF_INIT;
    for (xmlNodePtr x = target->children; x; x = x->next)
        if (x->content)
            bk_buf_adds(&text, (const char *)x->content);
    size_t len = text.len;
    hl_wait w = { target,
                  bk_highlight_submit((const char *const *)ln->names, ln->n, bk_buf_detach(&text),
                                      len),
                  ln->lang_els };
    ln->lang_els = NULL;
    if (!c->pending) {
        finish_highlight(&w);
        return;
    }
    BK_GROW(c->pending->v, c->pending->cap, c->pending->len + 1);
    c->pending->v[c->pending->len++] = w;
}

/* Every code block that names a known language gets its tokens marked
 * with <span class="keyword"> (highlight.h); others stay plain. */
static void highlight_code(conv *c)
{
    for (xmlNodePtr x = c->section; x;) {
        if (!bk_dom_is(x, "pre")) {
            x = bk_dom_next(x, c->section, false);
            continue;
        }
        xmlNodePtr pre = x, code = NULL;
        x = bk_dom_next(x, c->section, true);
        /* The code is a <code> alone in the <pre>, or the <pre>'s own
         * text; it must be text only (no markup of its own). */
        bool other = false;
        for (xmlNodePtr k = pre->children; k; k = k->next) {
            if (k->type == XML_ELEMENT_NODE && !code && bk_dom_is(k, "code"))
                code = k;
            else if (k->type != XML_TEXT_NODE || !is_blank_text(k))
                other = true;
        }
        xmlNodePtr target = !code ? pre : !other ? code : NULL;
        bool only_text = target != NULL;
        for (xmlNodePtr k = target ? target->children : NULL; k; k = k->next)
            if (k->type != XML_TEXT_NODE)
                only_text = false;
        if (!only_text) {
            map_pasted_highlight(pre);
            continue;
        }
        lang_names ln = { 0 };
        block_names(pre, code, &ln);
        if (ln.n)
            highlight_block(c, target, &ln);
        for (size_t i = 0; i < ln.n; i++)
            free(ln.names[i]);
        free(ln.names);
        free(ln.lang_els);
    }
}

/* ==================== East Asian line breaks ==================== */

/* Chinese and Japanese put no space between words, so a line break in
 * the source between two such characters is no space at all (CSS Text 3
 * segment break rules; pandoc's east_asian_line_breaks). Korean keeps its
 * spaces. */
static bool ea_wide(gunichar ch)
{
    if (!ch || !g_unichar_iswide(ch))
        return false;
    GUnicodeScript sc = g_unichar_get_script(ch);
    return sc != G_UNICODE_SCRIPT_HANGUL;
}

static bool keeps_spacing(xmlNodePtr n)
{
    static const char *const keep[] = { "pre", "code", "kbd", "samp", "script", "style", "math" };
    for (size_t i = 0; i < BK_ARRAY_LEN(keep); i++)
        if (bk_dom_is(n, keep[i]))
            return true;
    return false;
}

static gunichar last_char(const xmlChar *s)
{
    size_t n = strlen((const char *)s);
    if (!n)
        return 0;
    const char *p = g_utf8_find_prev_char((const char *)s, (const char *)s + n);
    return p ? g_utf8_get_char_validated(p, -1) : 0;
}

static void cjk_soft_breaks(conv *c, xmlNodePtr content_start)
{
    xmlNodePtr *texts = NULL;
    size_t n = 0, cap = 0;
    for (xmlNodePtr x = content_start; x;) {
        if (x->type == XML_ELEMENT_NODE && keeps_spacing(x)) {
            BK_GROW(texts, cap, n + 1);
            texts[n++] = NULL; /* code breaks the chain of text */
            x = bk_dom_next(x, c->section, true);
            continue;
        }
        if (x->type == XML_TEXT_NODE && x->content && *x->content) {
            BK_GROW(texts, cap, n + 1);
            texts[n++] = x;
        } else if (is_block(x)) {
            BK_GROW(texts, cap, n + 1);
            texts[n++] = NULL;
        }
        x = bk_dom_next(x, c->section, false);
    }
    gunichar before = 0; /* the last character of the text before, kept as read */
    for (size_t i = 0; i < n; i++) {
        if (!texts[i]) {
            before = 0;
            continue;
        }
        const char *s = (const char *)texts[i]->content;
        gunichar next_first = i + 1 < n && texts[i + 1] ? g_utf8_get_char_validated(
                                                              (const char *)texts[i + 1]->content, -1)
                                                        : 0;
        gunichar own_last = last_char(texts[i]->content);
        bk_buf out = BK_BUF_INIT;
        bool changed = false;
        gunichar prev = before;
        for (const char *p = s; *p;) {
            if (*p == ' ' || *p == '\t' || *p == '\n') {
                const char *q = p;
                bool nl = false;
                for (; *q == ' ' || *q == '\t' || *q == '\n'; q++)
                    if (*q == '\n')
                        nl = true;
                gunichar after = *q ? g_utf8_get_char_validated(q, -1) : next_first;
                if (nl && ea_wide(prev) && ea_wide(after)) {
                    changed = true;
                } else {
                    bk_buf_add(&out, p, (size_t)(q - p));
                }
                prev = ' ';
                p = q;
                continue;
            }
            const char *q = g_utf8_next_char(p);
            prev = g_utf8_get_char_validated(p, q - p);
            bk_buf_add(&out, p, (size_t)(q - p));
            p = q;
        }
        before = own_last;
        if (changed) {
            bk_buf_addc(&out, '\0');
            xmlNodeSetContent(texts[i], BAD_CAST out.ptr);
        }
        bk_buf_release(&out);
    }
    free(texts);
}

/* Every element in the XHTML namespace; libxml2's HTML parser made them
 * namespace-less. */
static void set_namespace(conv *c)
{
    xmlNodePtr root = xmlDocGetRootElement(c->doc);
    for (xmlNodePtr x = root; x; x = bk_dom_next(x, root, false))
        if (x->type == XML_ELEMENT_NODE && !x->ns)
            xmlSetNs(x, c->ns);
}

/* ==================== the post ==================== */

static size_t post_index(const bk_book *book, const bk_post *post)
{
    for (size_t i = 0; i < book->nposts; i++)
        if (book->posts[i] == post)
            return i;
    return 0;
}

typedef struct dropped_acc {
    bk_premd_dropped *items;
    const char **files;
    size_t len, cap, capf;
} dropped_acc;

static int convert_one(bk_book *book, bk_post *post, const bk_convert_opts *o, bk_diags *d,
                       dropped_acc *acc, hl_pending *pending)
{
    xmlSetStructuredErrorFunc(NULL, swallow_xml_error); /* per thread */
    conv c = { book,          post,           d,   BK_PREMD_INIT, NULL, NULL, NULL, NULL,
               !o->no_smart, !o->no_highlight, pending };
    unsigned flags = BK_PREMD_MATH | BK_PREMD_KRAMDOWN;
    if (book->kind != BK_SITE_HUGO)
        flags |= BK_PREMD_LIQUID;
    if (book->kind != BK_SITE_JEKYLL)
        flags |= BK_PREMD_SHORTCODES;
    bk_premd_run(&c.pm, post->body, post->body_len, flags);
    for (size_t i = 0; i < c.pm.ndropped; i++) {
        bk_premd_dropped *dr = &c.pm.dropped[i];
        if (acc) {
            BK_GROW(acc->items, acc->cap, acc->len + 1);
            BK_GROW(acc->files, acc->capf, acc->len + 1);
            acc->items[acc->len] = *dr;
            acc->items[acc->len].name = bk_xstrdup(dr->name);
            acc->items[acc->len].line = post->body_line + dr->line - 1;
            acc->files[acc->len] = post->display;
            acc->len++;
        }
    }

    post->rtl = bk_lang_is_rtl(post->doc_lang) ||
                (!post->lang && mostly_rtl(post->body, post->body_len));

    c.doc = xmlNewDoc(BAD_CAST "1.0");
    xmlCreateIntSubset(c.doc, BAD_CAST "html", NULL, NULL);
    xmlNodePtr html = xmlNewDocNode(c.doc, NULL, BAD_CAST "html", NULL);
    xmlDocSetRootElement(c.doc, html);
    c.ns = xmlNewNs(html, BAD_CAST BK_XHTML_NS, NULL);
    c.epub = xmlNewNs(html, BAD_CAST BK_EPUB_NS, BAD_CAST "epub");
    xmlSetNs(html, c.ns);
    xmlNodeSetLang(html, BAD_CAST post->doc_lang);
    xmlSetProp(html, BAD_CAST "lang", BAD_CAST post->doc_lang);
    if (post->rtl)
        xmlSetProp(html, BAD_CAST "dir", BAD_CAST "rtl");
    xmlNodePtr head = bk_dom_new(html, c.ns, "head");
    xmlNodePtr meta = bk_dom_new(head, c.ns, "meta");
    xmlSetProp(meta, BAD_CAST "charset", BAD_CAST "utf-8");
    xmlNodePtr title = bk_dom_new(head, c.ns, "title");
    xmlNodePtr body = bk_dom_new(html, c.ns, "body");
    c.section = bk_dom_new(body, c.ns, "section");
    post->id = post->slug;
    xmlSetProp(c.section, BAD_CAST "id", BAD_CAST post->id);
    xmlSetProp(c.section, BAD_CAST "class", BAD_CAST "chapter");
    xmlNewNsProp(c.section, c.epub, BAD_CAST "type", BAD_CAST "chapter");
    xmlSetProp(c.section, BAD_CAST "role", BAD_CAST "doc-chapter");

    build_header(&c);
    xmlNodeAddContent(title, BAD_CAST post->title_text);

    int flattened;
    md_nodes h = markdown_nodes(c.doc, c.pm.md.ptr, c.pm.md.len, c.smart, true, &flattened);
    if (!h.h)
        atomic_fetch_add(&posts_built_direct, 1);
    if (flattened)
        bk_warn(d, (bk_loc){ post->display, md_to_file_line(&c, flattened), 0 },
                "quotes or lists nested more than %d levels deep: the deeper levels are "
                "flattened to that one (their text is kept)",
                MD_MAX_NESTING);
    xmlNodePtr hbody = h.body;
    xmlNodePtr last_header = c.section->last;
    xmlNodePtr deepest;
    if (hbody && max_depth(hbody, &deepest) >= HTML_MAX_DEPTH - 3) {
        /* At the Markdown line of the nearest block that knows its own. */
        int line = 0;
        for (xmlNodePtr x = deepest; x && !line; x = x->parent) {
            /* raw HTML: the marker comment in front of it (mark_raw_html_lines) */
            for (xmlNodePtr s = x->prev; s && !line; s = s->prev)
                if (s->type == XML_COMMENT_NODE && s->content &&
                    strncmp((const char *)s->content, "bk-line:", 8) == 0)
                    line = md_to_file_line(&c, (int)strtol((const char *)s->content + 8, NULL, 10));
            if (!line && bk_dom_md_line(x))
                line = md_to_file_line(&c, (int)bk_dom_md_line(x));
            char *pos = x->type == XML_ELEMENT_NODE ? bk_dom_attr(x, "data-sourcepos") : NULL;
            long l;
            char *colon = pos ? strchr(pos, ':') : NULL;
            if (colon)
                *colon = '\0';
            if (pos && bk_parse_int(pos, 1, INT_MAX, &l))
                line = md_to_file_line(&c, (int)l);
            xmlFree(pos);
        }
        bk_warn(d, (bk_loc){ post->display, line > 0 ? line : 0, 0 },
                "lists, quotes or HTML nested more than %d levels deep: the text below that depth "
                "is lost",
                HTML_MAX_DEPTH - 4);
    }
    if (hbody) {
        bk_sanitize_ctx sc = { post->display, md_to_file_line, &c };
        bk_sanitize(hbody, &sc, d);
        adopt_children(&c, hbody, c.section);
    }
    md_nodes_free(&h);
    set_namespace(&c);

    xmlNodePtr content = last_header->next;
    if (content) {
        drop_repeated_title(&c, content);
        content = last_header->next;
    }
    if (content) {
        expand_math(&c);
        apply_ials(&c);
        content = last_header->next;
    }
    if (content) {
        shift_headings(&c, content);
        heading_ids(&c, content);
        apply_abbreviations(&c);
        footnotes(&c);
        task_lists(&c);
        tidy(&c, last_header->next);
        cjk_soft_breaks(&c, last_header->next);
        if (c.highlight)
            highlight_code(&c);
    }
    xmlFreeDoc(post->doc); /* converting again replaces the chapter */
    post->doc = c.doc;
    bk_resolve_collect(post); /* while the tree is in the cache */
    bk_premd_release(&c.pm);
    return 0;
}

/* What conversion takes from the book's shared arena, done before the
 * posts are converted in parallel: the chapter's language and file name. */
static void prepare_post(bk_book *book, bk_post *post, size_t index, bk_strmap *files, bk_diags *d)
{
    const char *lang = post->lang ? bk_config_lang(&book->arena, post->lang) : NULL;
    if (post->lang && !lang)
        bk_warn(d, (bk_loc){ post->display, post->lang_line ? post->lang_line : post->fm_line, post->lang_col },
                "'%s' is not a language tag; the book's language is used", post->lang);
    post->doc_lang = lang ? lang : book->meta.lang;
    /* File names inside the book stay ASCII: some readers mishandle others. */
    bool ascii = true;
    for (const char *q = post->slug; *q; q++)
        ascii = ascii && (unsigned char)*q < 0x80;
    /* Names starting "bk-" are bookify's own files (bk-nav.xhtml...); and
     * "chapter-2" may be a post's slug as well as a stand-in name. */
    const char *stem = ascii ? post->slug : bk_arena_printf(&book->arena, "chapter-%zu", index + 1);
    if (strncmp(stem, "bk-", 3) == 0)
        stem = bk_arena_printf(&book->arena, "post-%s", stem);
    post->file = bk_unique_name(files, &book->arena, stem, ".xhtml", 2);
}

int bk_convert_post(bk_book *book, bk_post *post, const bk_convert_opts *o, bk_diags *d)
{
    bk_strmap files = BK_STRMAP_INIT;
    size_t index = post_index(book, post);
    for (size_t i = 0; i < book->nposts; i++) /* the names the others have */
        if (i != index && book->posts[i]->file)
            bk_strmap_put(&files, book->posts[i]->file, 2);
    prepare_post(book, post, index, &files, d);
    bk_strmap_release(&files);
    return convert_one(book, post, o, d, NULL, NULL);
}

/* One warning per dropped tag or shortcode name in the whole book, at its
 * first use, with the number of uses: a footer include in every post is
 * one message, not eighty-five. */
static void report_dropped(dropped_acc *acc, bk_diags *d)
{
    bk_strmap seen = BK_STRMAP_INIT;
    char **keys = bk_xcalloc(acc->len ? acc->len : 1, sizeof(*keys));
    for (size_t i = 0; i < acc->len; i++) {
        bk_premd_dropped *dr = &acc->items[i];
        bk_buf k = BK_BUF_INIT;
        bk_buf_addf(&k, "%d:%s", (int)dr->kind, dr->name);
        keys[i] = bk_buf_detach(&k);
        bk_strmap_incr(&seen, keys[i]);
    }
    for (size_t i = 0; i < acc->len; i++) {
        bk_premd_dropped *dr = &acc->items[i];
        long *n = bk_strmap_lookup(&seen, keys[i]);
        if (!n || *n == 0)
            continue;
        char more[64] = "";
        if (*n > 1)
            snprintf(more, sizeof more, " (and %ld more use%s)", *n - 1, *n == 2 ? "" : "s");
        bk_loc loc = { acc->files[i], dr->line, dr->col };
        switch (dr->kind) {
        case BK_DROP_LIQUID_TAG:
            bk_warn(d, loc, "dropped Liquid tag '{%% %s %%}': bookify does not run site templates%s",
                    dr->name, more);
            break;
        case BK_DROP_LIQUID_OUTPUT:
            bk_warn(d, loc, "dropped Liquid output '{{ %s }}'%s", dr->name, more);
            break;
        case BK_DROP_SHORTCODE:
            bk_warn(d, loc, "dropped Hugo shortcode '%s' (its inner text is kept)%s", dr->name,
                    more);
            break;
        }
        *n = 0; /* reported */
    }
    for (size_t i = 0; i < acc->len; i++) {
        free(keys[i]);
        free(acc->items[i].name);
    }
    free(keys);
    bk_strmap_release(&seen);
}

typedef struct convert_run {
    bk_book *book;
    const bk_convert_opts *o;
    bk_diags *diags;     /* one list per post, merged in order */
    dropped_acc *accs;   /* likewise */
    hl_pending *pending; /* each post's code blocks on the highlighting thread */
} convert_run;

static void convert_job(void *ctx, size_t i, int worker)
{
    convert_run *r = ctx;
    (void)worker;
    bool core = bk_highlight_core_take();
    convert_one(r->book, r->book->posts[i], r->o, &r->diags[i], &r->accs[i], &r->pending[i]);
    bk_highlight_core_give(core);
    bk_progress_step(1);
}

/* a converting thread's last post: the core it kept goes back */
static void convert_done(void *ctx, int worker)
{
    (void)ctx, (void)worker;
    bk_highlight_core_done();
}

/* Whether any post may hold code in a language: a fence, a Liquid or
 * Hugo highlight tag, or HTML's <pre>/<code> (a cheap look at the text;
 * highlight_code decides). */
bool bk_convert_may_have_code(const char *text, size_t len)
{
    static const char *const marks[] = { "```", "~~~", "highlight", "<pre", "<code" };
    for (size_t k = 0; text && k < BK_ARRAY_LEN(marks); k++)
        if (memmem(text, len, marks[k], strlen(marks[k])))
            return true;
    return false;
}

static bool may_have_code(const bk_book *book)
{
    for (size_t i = 0; i < book->nposts; i++)
        if (bk_convert_may_have_code(book->posts[i]->body, book->posts[i]->body_len))
            return true;
    return false;
}

/* Blocks of code worth a second highlighter, in a process of its own: its
 * set-up (a fork, GtkSourceView, each language again) costs about what
 * 40 blocks take to highlight. */
#define HELPER_MIN_BLOCKS 256

/* Is highlighting most of the book's work: at least HELPER_MIN_BLOCKS
 * fenced blocks, and a block for every two posts or more? (A block takes
 * about as long as converting three posts; with fewer, the thread
 * highlighting keeps up with the converters, and a helper only costs.
 * Fences are counted, two a block: rough, and the same on every run.)
 * BOOKIFY_HIGHLIGHT_HELPER=1 or 0 decides instead (the tests). */
static bool code_heavy(const bk_book *book)
{
    const char *v = getenv("BOOKIFY_HIGHLIGHT_HELPER");
    if (v && *v)
        return strcmp(v, "0") != 0;
    size_t fences = 0;
    for (size_t i = 0; i < book->nposts; i++) {
        const bk_post *p = book->posts[i];
        const char *s = p->body, *end = p->body ? p->body + p->body_len : NULL;
        while (s && s < end) { /* at a line's start */
            while (s < end && *s == ' ')
                s++;
            if (end - s >= 3 && (memcmp(s, "```", 3) == 0 || memcmp(s, "~~~", 3) == 0))
                fences++;
            s = memchr(s, '\n', (size_t)(end - s));
            s = s ? s + 1 : NULL;
        }
    }
    return fences / 2 >= HELPER_MIN_BLOCKS && fences >= book->nposts;
}

static void highlighted_job(void *ctx, size_t i, int worker)
{
    convert_run *r = ctx;
    (void)worker;
    hl_pending *p = &r->pending[i];
    for (size_t k = 0; k < p->len; k++)
        finish_highlight(&p->v[k]);
    free(p->v);
}

int bk_convert_book(bk_book *book, const bk_convert_opts *o, bk_diags *d)
{
    size_t errors = d->nerrors;
    size_t n = book->nposts;
    bk_strmap files = BK_STRMAP_INIT;
    for (size_t i = 0; i < n; i++)
        prepare_post(book, book->posts[i], i, &files, d);
    bk_strmap_release(&files);
    /* Posts are converted in parallel, each into its own document and
     * its own diagnostics; those are merged in the book's order. */
    convert_run r = { book, o, bk_xcalloc(n ? n : 1, sizeof(bk_diags)),
                      bk_xcalloc(n ? n : 1, sizeof(dropped_acc)),
                      bk_xcalloc(n ? n : 1, sizeof(hl_pending)) };
    for (size_t i = 0; i < n; i++)
        r.diags[i].strict = d->strict;
    /* Code is highlighted on a thread of its own (GtkSourceView works on
     * one at a time) while the posts are converted; each post's blocks
     * take their spans once all are converted. With one job at a time,
     * each block is highlighted where it is found. */
    /* The thread sets GtkSourceView up first, while the first posts
     * convert; a book with nothing to highlight never loads it (GTK's
     * set-up alone is half a small book's time). */
    bool hl_thread = !o->no_highlight && bk_par_jobs() > 1 && n > 1 && may_have_code(book);
    if (hl_thread)
        bk_highlight_warm(code_heavy(book));
    hl_thread = bk_highlight_thread_running();
    bk_progress_start("converting posts", n);
    atomic_store(&posts_built_direct, 0);
    bk_par_for_done(n, convert_job, convert_done, &r);
    bk_stage_time("convert", "posts converted");
    dropped_acc acc = { 0 };
    for (size_t i = 0; i < n; i++) {
        bk_diags_merge(d, &r.diags[i]);
        dropped_acc *a = &r.accs[i];
        for (size_t k = 0; k < a->len; k++) {
            BK_GROW(acc.items, acc.cap, acc.len + 1);
            BK_GROW(acc.files, acc.capf, acc.len + 1);
            acc.items[acc.len] = a->items[k];
            acc.files[acc.len++] = a->files[k];
        }
        free(a->items);
        free(a->files);
    }
    free(r.diags);
    free(r.accs);
    report_dropped(&acc, d);
    free(acc.items);
    free(acc.files);
    /* The links are resolved while the highlighting thread finishes its
     * last blocks: they read and set the trees' ids, links and images,
     * and a code block waiting for its spans has none of them (its
     * element stays; only its text is replaced, below). */
    bk_resolve(book, d);
    bk_stage_time("convert", "links resolved");
    size_t handed = 0;
    for (size_t i = 0; i < n; i++)
        handed += r.pending[i].len;
    bk_par_for(n, highlighted_job, &r);
    bk_progress_end();
    bk_highlight_thread_stop();
    bk_stage_time("convert", "highlighted");
    free(r.pending);
    if (getenv("BOOKIFY_TIMES")) {
        size_t skipped, ran;
        bk_premd_counts(&skipped, &ran);
        fprintf(stderr,
                "convert: %zu template passes over the posts run, %zu left out (nothing to do)\n",
                ran, skipped);
    }
    if (getenv("BOOKIFY_TIMES"))
        fprintf(stderr,
                "convert: %zu of %zu posts built from cmark-gfm's tree, the rest through HTML; "
                "cmark-gfm parsing %s; %zu code blocks highlighted %s (%zu by the helper "
                "process); highlighter %s\n",
                atomic_load(&posts_built_direct), n,
                parse_unlocked ? "on every thread" : "under a lock", handed,
                hl_thread ? "on a thread of their own" : "where they are",
                bk_highlight_helper_blocks(), bk_highlight_ready() ? "set up" : "not set up");
    if (getenv("BOOKIFY_TIMES")) {
        size_t jit_asked, jit_done;
        bk_lazyjit_counts(&jit_asked, &jit_done);
        fprintf(stderr,
                "convert: %zu regular expressions' JIT compilation left to their first match, "
                "%zu of them compiled\n",
                jit_asked, jit_done);
    }
    return d->nerrors > errors ? -1 : 0;
}

void bk_convert_serialize(const bk_post *post, bk_buf *out)
{
    bk_doc_write_saved(post->doc, out);
}
