/* mdtree.c -- cmark-gfm's syntax tree straight into libxml2 nodes (see
 * mdtree.h).
 *
 * The builder follows cmark-gfm 0.29's HTML renderer event by event, but
 * where the renderer appends text to a string it appends nodes: an element
 * for each tag, and the characters between tags gathered into one text
 * node, as the HTML parser gathers them. The renderer's "cr" (a newline
 * unless the output already ends in one) is kept, since those newlines
 * are text nodes in the parsed tree. tests/e2e/mdtree.sh builds every
 * sample both ways and compares the books byte for byte. */
#include "mdtree.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bookify/util.h"
#include "dom.h"

#include "bookify/banned.h"

/* A note as cmark-gfm renders it: its label (the li's id after "fn-")
 * and the targets of its links back, one a reference counted (cmark also
 * counts some it does not show, as in a note nobody cites). */
typedef struct note {
    char *label;
    char **backs;
    size_t nbacks;
} note;

/* A reference as cmark-gfm renders it: its link and its id. */
typedef struct noteref {
    char *href, *id;
} noteref;

typedef struct mt {
    xmlDocPtr doc;
    xmlNodePtr cur; /* where the next node goes */
    bk_buf text;    /* characters since the last tag */
    bool any, nl;   /* output so far: any at all; ends in a newline */
    int depth, options;
    bool ok;
    bool table_body, table_head; /* the table renderer's state */
    note *notes;
    size_t nnotes, notes_open, notes_written;
    noteref *refs;
    size_t nrefs, refs_used;
} mt;

/* ---- output ---- */

/* Characters the HTML parser would drop or change: controls other than
 * tab and newline (a carriage return it rewrites), and U+FFFE, U+FFFF. */
static bool plain_chars(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = p[i];
        if (ch < 0x20 && ch != '\t' && ch != '\n')
            return false;
        if (ch == 0xEF && i + 2 < n && p[i + 1] == 0xBF && (p[i + 2] == 0xBE || p[i + 2] == 0xBF))
            return false;
    }
    return true;
}

static void put(mt *m, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (!plain_chars(s, n))
        m->ok = false;
    bk_buf_add(&m->text, s, n);
    m->any = true;
    m->nl = s[n - 1] == '\n';
}

static void puts_(mt *m, const char *s)
{
    if (s)
        put(m, s, strlen(s));
}

/* cmark's cr: a newline unless the output is empty or ends in one. */
static void cr(mt *m)
{
    if (m->any && !m->nl)
        put(m, "\n", 1);
}

static void flush(mt *m)
{
    if (m->text.len == 0)
        return;
    if (m->text.len > INT_MAX) { /* libxml2 takes an int */
        m->ok = false;
        bk_buf_reset(&m->text);
        return;
    }
    xmlNodePtr t = xmlNewDocTextLen(m->doc, BAD_CAST m->text.ptr, (int)m->text.len);
    xmlAddChild(m->cur, t);
    bk_buf_reset(&m->text);
}

/* An element under the current one (entered unless void). */
static xmlNodePtr tag(mt *m, const char *name, bool enter)
{
    flush(m);
    xmlNodePtr el = xmlNewDocNode(m->doc, NULL, BAD_CAST name, NULL);
    xmlAddChild(m->cur, el);
    m->any = true;
    m->nl = false;
    if (enter) {
        m->cur = el;
        if (++m->depth > BK_MDTREE_MAX_DEPTH)
            m->ok = false;
    }
    return el;
}

static void end(mt *m)
{
    flush(m);
    m->cur = m->cur->parent;
    m->depth--;
    m->any = true;
    m->nl = false;
}

static void attr(mt *m, xmlNodePtr el, const char *name, const char *value)
{
    if (value && !plain_chars(value, strlen(value)))
        m->ok = false;
    xmlNewProp(el, BAD_CAST name, BAD_CAST value);
}

/* The block's first line: what cmark's data-sourcepos="L:C-L:C" tells
 * the sanitizer, which is all of it that is read (dom.h) */
static void sourcepos(mt *m, xmlNodePtr el, cmark_node *n)
{
    if (m->options & CMARK_OPT_SOURCEPOS)
        bk_dom_set_md_line(el, cmark_node_get_start_line(n));
}

/* A URL as cmark's href escaping leaves it once the HTML parser has read
 * the entities back: letters, digits and -_.+!*'(),%#@?=;:/$~& kept,
 * every other byte %XX. */
static bool url_safe(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("-_.+!*'(),%#@?=;:/$~&", ch));
}

static void url_attr(mt *m, xmlNodePtr el, const char *name, const char *url)
{
    static const char hex[] = "0123456789ABCDEF";
    bk_buf b = BK_BUF_INIT;
    for (const unsigned char *p = (const unsigned char *)(url ? url : ""); *p; p++) {
        if (url_safe(*p))
            bk_buf_addc(&b, (char)*p);
        else {
            char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
            bk_buf_add(&b, e, 3);
        }
    }
    attr(m, el, name, b.len ? b.ptr : "");
    bk_buf_release(&b);
}

/* ---- the first pass: what the builder cannot do, and the footnotes ---- */

/* The value of the attribute that starts after `after` in html, when
 * what follows its closing quote starts with `then`; NULL otherwise, or
 * when it holds what the HTML parser would read otherwise. */
static char *rendered_value(const char *html, const char *after, const char *then)
{
    const char *p = strstr(html, after);
    if (!p)
        return NULL;
    p += strlen(after);
    const char *q = strchr(p, '"');
    if (!q || strncmp(q + 1, then, strlen(then)) != 0 || q == p)
        return NULL;
    char *v = bk_xstrndup(p, (size_t)(q - p));
    if (strpbrk(v, "&<>'") || !plain_chars(v, strlen(v))) {
        free(v);
        return NULL;
    }
    return v;
}

static char *render_node(cmark_node *n)
{
    return cmark_render_html(n, CMARK_OPT_UNSAFE | CMARK_OPT_FOOTNOTES, NULL);
}

static void free_rendered(char *html)
{
    cmark_get_default_mem_allocator()->free(html);
}

/* A note: its label and its links back, from cmark-gfm's own rendering
 * (its API gives neither the label nor the count). */
static bool survey_note(mt *m, cmark_node *def, size_t *cap)
{
    char *html = render_node(def);
    note fn = { rendered_value(html, "<li id=\"fn-", ">"), NULL, 0 };
    bool ok = fn.label != NULL;
    size_t capb = 0;
    static const char back[] = "<a href=\"";
    for (const char *p = html; ok && (p = strstr(p, "<a href=\"#fnref-")) != NULL; p++) {
        char *v = rendered_value(p, back, " class=\"footnote-backref\"");
        if (!v)
            continue; /* a link of the note's own text */
        BK_GROW(fn.backs, capb, fn.nbacks + 1);
        fn.backs[fn.nbacks++] = v;
    }
    free_rendered(html);
    BK_GROW(m->notes, *cap, m->nnotes + 1);
    m->notes[m->nnotes++] = fn;
    return ok && fn.nbacks > 0;
}

static bool survey_ref(mt *m, cmark_node *ref, size_t *cap)
{
    char *html = render_node(ref);
    noteref r = { rendered_value(html, "<a href=\"", " id=\""),
                  rendered_value(html, "\" id=\"", " data-footnote-ref>") };
    free_rendered(html);
    BK_GROW(m->refs, *cap, m->nrefs + 1);
    m->refs[m->nrefs++] = r;
    return r.href && r.id;
}

static const char *ext_name(cmark_node *n)
{
    return cmark_node_get_syntax_extension(n) ? cmark_node_get_type_string(n) : NULL;
}

static bool survey(mt *m, cmark_node *root)
{
    cmark_iter *it = cmark_iter_new(root);
    cmark_event_type ev;
    int links = 0, images = 0;
    bool ok = true, notes = false;
    while (ok && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        const char *ext = ext_name(n);
        if (ext && strcmp(ext, "table") != 0 && strcmp(ext, "table_row") != 0 &&
            strcmp(ext, "table_header") != 0 && strcmp(ext, "table_cell") != 0 &&
            strcmp(ext, "strikethrough") != 0 && strcmp(ext, "tasklist") != 0) {
            ok = false;
            break;
        }
        switch (cmark_node_get_type(n)) {
        case CMARK_NODE_HTML_BLOCK:
        case CMARK_NODE_HTML_INLINE:
        case CMARK_NODE_CUSTOM_BLOCK:
        case CMARK_NODE_CUSTOM_INLINE:
            ok = false;
            break;
        case CMARK_NODE_LINK:
            /* a link inside a link: the HTML parser takes them apart */
            ok = !(ev == CMARK_EVENT_ENTER && links > 0);
            links += ev == CMARK_EVENT_ENTER ? 1 : -1;
            break;
        case CMARK_NODE_IMAGE:
            images += ev == CMARK_EVENT_ENTER ? 1 : -1;
            break;
        case CMARK_NODE_FOOTNOTE_DEFINITION:
            notes = true;
            break;
        case CMARK_NODE_FOOTNOTE_REFERENCE:
            /* a link inside a link again, or inside an image's alt, where
             * it is not shown */
            ok = links == 0 && images == 0;
            notes = true;
            break;
        default:
            break;
        }
    }
    cmark_iter_free(it);
    if (!ok || !notes)
        return ok;
    /* The notes and references, once nothing in the text is raw HTML
     * (their rendering would hold it as it is). */
    size_t capn = 0, capr = 0;
    it = cmark_iter_new(root);
    while (ok && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        if (ev != CMARK_EVENT_ENTER)
            continue;
        if (cmark_node_get_type(n) == CMARK_NODE_FOOTNOTE_DEFINITION)
            ok = survey_note(m, n, &capn);
        else if (cmark_node_get_type(n) == CMARK_NODE_FOOTNOTE_REFERENCE)
            ok = survey_ref(m, n, &capr);
    }
    cmark_iter_free(it);
    return ok;
}

/* ---- the second pass: the nodes ---- */

static bool tight_paragraph(cmark_node *n)
{
    cmark_node *parent = cmark_node_parent(n);
    cmark_node *grand = parent ? cmark_node_parent(parent) : NULL;
    return grand && cmark_node_get_type(grand) == CMARK_NODE_LIST &&
           cmark_node_get_list_tight(grand);
}

/* An image's alt text: its text with breaks as spaces. */
static void alt_text(cmark_node *img, bk_buf *out)
{
    cmark_iter *it = cmark_iter_new(img);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        if (ev != CMARK_EVENT_ENTER)
            continue;
        switch (cmark_node_get_type(n)) {
        case CMARK_NODE_TEXT:
        case CMARK_NODE_CODE:
        case CMARK_NODE_HTML_INLINE:
            bk_buf_adds(out, cmark_node_get_literal(n));
            break;
        case CMARK_NODE_LINEBREAK:
        case CMARK_NODE_SOFTBREAK:
            bk_buf_addc(out, ' ');
            break;
        default:
            break;
        }
    }
    cmark_iter_free(it);
}

static void backrefs(mt *m, note *fn)
{
    if (m->notes_written >= m->notes_open)
        return;
    m->notes_written = m->notes_open;
    for (size_t i = 0; i < fn->nbacks; i++) {
        if (i > 0)
            put(m, " ", 1);
        xmlNodePtr a = tag(m, "a", true);
        attr(m, a, "href", fn->backs[i]);
        attr(m, a, "class", "footnote-backref");
        attr(m, a, "data-footnote-backref", NULL);
        attr(m, a, "aria-label", "Back to content");
        puts_(m, "\xE2\x86\xA9"); /* U+21A9 */
        if (i > 0) {
            xmlNodePtr sup = tag(m, "sup", true);
            attr(m, sup, "class", "footnote-ref");
            char num[24];
            snprintf(num, sizeof num, "%zu", i + 1);
            puts_(m, num);
            end(m);
        }
        end(m);
    }
}

static void table_node(mt *m, cmark_node *n, const char *ext, bool enter)
{
    if (strcmp(ext, "table") == 0) {
        if (enter) {
            cr(m);
            sourcepos(m, tag(m, "table", true), n);
            m->table_body = false;
        } else {
            if (m->table_body) {
                cr(m);
                end(m); /* tbody */
                cr(m);
            }
            m->table_body = false;
            cr(m);
            end(m);
            cr(m);
        }
    } else if (strcmp(ext, "table_row") == 0 || strcmp(ext, "table_header") == 0) {
        bool head = cmark_gfm_extensions_get_table_row_is_header(n);
        if (enter) {
            cr(m);
            if (head) {
                m->table_head = true;
                tag(m, "thead", true);
                cr(m);
            } else if (!m->table_body) {
                tag(m, "tbody", true);
                cr(m);
                m->table_body = true;
            }
            sourcepos(m, tag(m, "tr", true), n);
        } else {
            cr(m);
            end(m);
            if (head) {
                cr(m);
                end(m); /* thead */
                m->table_head = false;
            }
        }
    } else { /* table_cell */
        if (enter) {
            cr(m);
            xmlNodePtr cell = tag(m, m->table_head ? "th" : "td", true);
            cmark_node *row = cmark_node_parent(n);
            cmark_node *table = cmark_node_parent(row);
            uint8_t *align = cmark_gfm_extensions_get_table_alignments(table);
            int i = 0;
            for (cmark_node *x = cmark_node_first_child(row); x && x != n; x = cmark_node_next(x))
                i++;
            /* the align value, then the style (constant: on every cell) */
            static const char *const aligns[][2] = { { "left", "text-align: left" },
                                                     { "center", "text-align: center" },
                                                     { "right", "text-align: right" } };
            int k = !align || i >= cmark_gfm_extensions_get_table_columns(table) ? -1
                    : align[i] == 'l'                                            ? 0
                    : align[i] == 'c'                                            ? 1
                    : align[i] == 'r'                                            ? 2
                                                                                 : -1;
            if (k >= 0) {
                bool style = m->options & CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES;
                attr(m, cell, style ? "style" : "align", aligns[k][style]);
            }
            sourcepos(m, cell, n);
        } else
            end(m);
    }
}

static void node(mt *m, cmark_iter *it, cmark_node *n, bool enter)
{
    const char *ext = ext_name(n);
    if (ext && strncmp(ext, "table", 5) == 0) {
        table_node(m, n, ext, enter);
        return;
    }
    if (ext && strcmp(ext, "strikethrough") == 0) {
        if (enter)
            tag(m, "del", true);
        else
            end(m);
        return;
    }
    xmlNodePtr el;
    switch (cmark_node_get_type(n)) {
    case CMARK_NODE_DOCUMENT:
        break;
    case CMARK_NODE_BLOCK_QUOTE:
        cr(m);
        if (enter) {
            sourcepos(m, tag(m, "blockquote", true), n);
        } else
            end(m);
        put(m, "\n", 1);
        break;
    case CMARK_NODE_LIST:
        if (enter) {
            cr(m);
            bool ol = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;
            el = tag(m, ol ? "ol" : "ul", true);
            int start = cmark_node_get_list_start(n);
            if (ol && start != 1) {
                char v[16];
                snprintf(v, sizeof v, "%d", start);
                attr(m, el, "start", v);
            }
            sourcepos(m, el, n);
        } else
            end(m);
        put(m, "\n", 1);
        break;
    case CMARK_NODE_ITEM:
        if (enter) {
            cr(m);
            sourcepos(m, el = tag(m, "li", true), n);
            if (ext && strcmp(ext, "tasklist") == 0) {
                xmlNodePtr box = tag(m, "input", false);
                attr(m, box, "type", "checkbox");
                if (cmark_gfm_extensions_get_tasklist_item_checked(n))
                    attr(m, box, "checked", "");
                attr(m, box, "disabled", "");
                put(m, " ", 1);
            }
        } else {
            end(m);
            put(m, "\n", 1);
        }
        break;
    case CMARK_NODE_HEADING:
        if (enter) {
            cr(m);
            char h[3] = { 'h', (char)('0' + cmark_node_get_heading_level(n)), 0 };
            sourcepos(m, tag(m, h, true), n);
        } else {
            end(m);
            put(m, "\n", 1);
        }
        break;
    case CMARK_NODE_CODE_BLOCK: {
        cr(m);
        sourcepos(m, tag(m, "pre", true), n);
        el = tag(m, "code", true);
        const char *info = cmark_node_get_fence_info(n);
        if (info && *info) {
            size_t first = strcspn(info, " \t\n\v\f\r");
            bk_buf cls = BK_BUF_INIT;
            bk_buf_adds(&cls, "language-");
            bk_buf_add(&cls, info, first);
            attr(m, el, "class", cls.ptr);
            bk_buf_release(&cls);
        }
        puts_(m, cmark_node_get_literal(n));
        end(m);
        end(m);
        put(m, "\n", 1);
        break;
    }
    case CMARK_NODE_THEMATIC_BREAK:
        cr(m);
        sourcepos(m, tag(m, "hr", false), n);
        put(m, "\n", 1);
        break;
    case CMARK_NODE_PARAGRAPH:
        if (tight_paragraph(n))
            break;
        if (enter) {
            cr(m);
            sourcepos(m, tag(m, "p", true), n);
        } else {
            cmark_node *parent = cmark_node_parent(n);
            if (cmark_node_get_type(parent) == CMARK_NODE_FOOTNOTE_DEFINITION &&
                !cmark_node_next(n)) {
                put(m, " ", 1);
                backrefs(m, &m->notes[m->notes_open - 1]);
            }
            end(m);
            put(m, "\n", 1);
        }
        break;
    case CMARK_NODE_TEXT:
        puts_(m, cmark_node_get_literal(n));
        break;
    case CMARK_NODE_LINEBREAK:
        tag(m, "br", false);
        put(m, "\n", 1);
        break;
    case CMARK_NODE_SOFTBREAK:
        put(m, "\n", 1);
        break;
    case CMARK_NODE_CODE:
        tag(m, "code", true);
        puts_(m, cmark_node_get_literal(n));
        end(m);
        break;
    case CMARK_NODE_STRONG:
    case CMARK_NODE_EMPH:
        if (enter)
            tag(m, cmark_node_get_type(n) == CMARK_NODE_STRONG ? "strong" : "em", true);
        else
            end(m);
        break;
    case CMARK_NODE_LINK:
        if (enter) {
            el = tag(m, "a", true);
            url_attr(m, el, "href", cmark_node_get_url(n));
            const char *title = cmark_node_get_title(n);
            if (title && *title)
                attr(m, el, "title", title);
        } else
            end(m);
        break;
    case CMARK_NODE_IMAGE: {
        if (!enter)
            break;
        el = tag(m, "img", false);
        url_attr(m, el, "src", cmark_node_get_url(n));
        bk_buf alt = BK_BUF_INIT;
        alt_text(n, &alt);
        attr(m, el, "alt", alt.len ? alt.ptr : "");
        bk_buf_release(&alt);
        const char *title = cmark_node_get_title(n);
        if (title && *title)
            attr(m, el, "title", title);
        cmark_iter_reset(it, n, CMARK_EVENT_EXIT); /* its text is the alt */
        break;
    }
    case CMARK_NODE_FOOTNOTE_DEFINITION: {
        if (enter) {
            if (m->notes_open == 0) {
                el = tag(m, "section", true);
                attr(m, el, "class", "footnotes");
                attr(m, el, "data-footnotes", NULL);
                put(m, "\n", 1);
                tag(m, "ol", true);
                put(m, "\n", 1);
            }
            if (m->notes_open >= m->nnotes) {
                m->ok = false; /* survey() saw fewer */
                break;
            }
            note *fn = &m->notes[m->notes_open++];
            bk_buf id = BK_BUF_INIT;
            bk_buf_addf(&id, "fn-%s", fn->label);
            attr(m, tag(m, "li", true), "id", id.ptr);
            bk_buf_release(&id);
            put(m, "\n", 1);
        } else {
            size_t before = m->notes_written;
            backrefs(m, &m->notes[m->notes_open - 1]);
            if (m->notes_written != before)
                put(m, "\n", 1);
            end(m);
            put(m, "\n", 1);
        }
        break;
    }
    case CMARK_NODE_FOOTNOTE_REFERENCE: {
        if (!enter)
            break;
        if (m->refs_used >= m->nrefs) {
            m->ok = false; /* survey() saw fewer */
            break;
        }
        const noteref *r = &m->refs[m->refs_used++];
        el = tag(m, "sup", true);
        attr(m, el, "class", "footnote-ref");
        xmlNodePtr a = tag(m, "a", true);
        attr(m, a, "href", r->href);
        attr(m, a, "id", r->id);
        attr(m, a, "data-footnote-ref", NULL);
        puts_(m, cmark_node_get_literal(n));
        end(m);
        end(m);
        break;
    }
    default:
        m->ok = false; /* survey() let through something unknown */
        break;
    }
}

bool bk_mdtree_build(cmark_node *root, int options, xmlDocPtr doc, xmlNodePtr body)
{
    mt m;
    memset(&m, 0, sizeof m);
    m.doc = doc;
    m.cur = body;
    m.options = options;
    /* without UNSAFE, cmark drops raw HTML and dangerous URLs: not done here */
    m.ok = (options & CMARK_OPT_UNSAFE) && survey(&m, root);
    if (m.ok) {
        cmark_iter *it = cmark_iter_new(root);
        cmark_event_type ev;
        while (m.ok && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE)
            node(&m, it, cmark_iter_get_node(it), ev == CMARK_EVENT_ENTER);
        cmark_iter_free(it);
        if (m.ok && m.notes_open) {
            end(&m); /* ol */
            put(&m, "\n", 1);
            end(&m); /* section */
            put(&m, "\n", 1);
        }
        m.cur = body;
        flush(&m);
    }
    bk_buf_release(&m.text);
    for (size_t i = 0; i < m.nnotes; i++) {
        free(m.notes[i].label);
        for (size_t k = 0; k < m.notes[i].nbacks; k++)
            free(m.notes[i].backs[k]);
        free(m.notes[i].backs);
    }
    free(m.notes);
    for (size_t i = 0; i < m.nrefs; i++) {
        free(m.refs[i].href);
        free(m.refs[i].id);
    }
    free(m.refs);
    if (!m.ok) {
        xmlNodePtr c = body->children;
        while (c) {
            xmlNodePtr next = c->next;
            xmlUnlinkNode(c);
            xmlFreeNode(c);
            c = next;
        }
    }
    return m.ok;
}
