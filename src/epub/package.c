/* package.c -- navigation document, NCX and package document. */
#include <string.h>

#include "../dom.h"
#include "epub_int.h"

#include "bookify/banned.h"

/* ==================== nav.xhtml ==================== */

static xmlNodePtr add_link(xmlNodePtr li, const char *href, const char *text)
{
    xmlNodePtr a = bk_dom_new(li, li->ns, "a");
    xmlSetProp(a, BAD_CAST "href", BAD_CAST href);
    xmlNodeAddContent(a, BAD_CAST text);
    return a;
}

void ep_nav(ep_ctx *c)
{
    xmlNodePtr body;
    xmlDocPtr doc = ep_page_new(c, ep_label(c, "contents"), &body);
    xmlNsPtr epub = xmlSearchNsByHref(doc, xmlDocGetRootElement(doc), BAD_CAST BK_EPUB_NS);
    xmlNodePtr nav = bk_dom_new(body, body->ns, "nav");
    xmlNewNsProp(nav, epub, BAD_CAST "type", BAD_CAST "toc");
    xmlSetProp(nav, BAD_CAST "id", BAD_CAST "toc");
    xmlSetProp(nav, BAD_CAST "role", BAD_CAST "doc-toc");
    xmlNodePtr h1 = bk_dom_new(nav, nav->ns, "h1");
    xmlNodeAddContent(h1, BAD_CAST ep_label(c, "contents"));

    /* Nested lists from the flat, levelled entries: a stack of the <ol>
     * open at each level and the last <li> in it. */
    xmlNodePtr ol[8] = { 0 }, li[8] = { 0 };
    int top = 0;
    ol[0] = bk_dom_new(nav, nav->ns, "ol");
    int base = c->book->nparts ? 0 : 1;
    for (size_t i = 0; i < c->ntoc; i++) {
        int want = c->toc[i].level - base;
        if (want < 0)
            want = 0;
        if (want > 7)
            want = 7;
        while (top < want) {
            if (!li[top])
                break; /* a jump of two levels hangs from the last item */
            ol[top + 1] = bk_dom_new(li[top], li[top]->ns, "ol");
            li[top + 1] = NULL;
            top++;
        }
        while (top > want)
            top--;
        li[top] = bk_dom_new(ol[top], ol[top]->ns, "li");
        add_link(li[top], c->toc[i].href, c->toc[i].title);
    }

    if (c->npages) {
        /* The printed edition's pages (EPUB Accessibility page navigation). */
        xmlNodePtr pl = bk_dom_new(body, body->ns, "nav");
        xmlNewNsProp(pl, epub, BAD_CAST "type", BAD_CAST "page-list");
        xmlSetProp(pl, BAD_CAST "hidden", BAD_CAST "hidden");
        xmlNodePtr h = bk_dom_new(pl, pl->ns, "h2");
        xmlNodeAddContent(h, BAD_CAST "Pages");
        xmlNodePtr pol = bk_dom_new(pl, pl->ns, "ol");
        for (size_t i = 0; i < c->npages; i++)
            add_link(bk_dom_new(pol, pol->ns, "li"), c->pages[i].href, c->pages[i].label);
    }
    xmlNodePtr marks = bk_dom_new(body, body->ns, "nav");
    xmlNewNsProp(marks, epub, BAD_CAST "type", BAD_CAST "landmarks");
    xmlSetProp(marks, BAD_CAST "hidden", BAD_CAST "hidden");
    xmlNodePtr h2 = bk_dom_new(marks, marks->ns, "h2");
    xmlNodeAddContent(h2, BAD_CAST ep_label(c, "landmarks"));
    xmlNodePtr mol = bk_dom_new(marks, marks->ns, "ol");
    struct {
        const char *type, *href, *label;
    } lm[] = {
        { "cover", c->cover_href, ep_label(c, "cover") },
        { "titlepage", c->title_href, ep_label(c, "titlepage") },
        { "toc", "bk-nav.xhtml#toc", ep_label(c, "contents") },
        { "bodymatter", c->first_chapter_href, ep_label(c, "start") },
    };
    for (size_t i = 0; i < BK_ARRAY_LEN(lm); i++) {
        if (!lm[i].href)
            continue;
        xmlNodePtr l = bk_dom_new(mol, mol->ns, "li");
        xmlNodePtr a = add_link(l, lm[i].href, lm[i].label);
        xmlNewNsProp(a, epub, BAD_CAST "type", BAD_CAST lm[i].type);
    }
    bk_buf b = BK_BUF_INIT;
    ep_serialize(doc, &b);
    xmlFreeDoc(doc);
    ep_item *it = ep_add(c, "bk-nav.xhtml", "application/xhtml+xml", &b);
    it->properties = bk_xstrdup("nav");
    it->spine = true;
    it->linear = true;
}

/* ==================== toc.ncx (EPUB 2 readers) ==================== */

void ep_ncx(ep_ctx *c)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr ncx = xmlNewDocNode(doc, NULL, BAD_CAST "ncx", NULL);
    xmlDocSetRootElement(doc, ncx);
    xmlNsPtr ns = xmlNewNs(ncx, BAD_CAST "http://www.daisy.org/z3986/2005/ncx/", NULL);
    xmlSetNs(ncx, ns);
    xmlSetProp(ncx, BAD_CAST "version", BAD_CAST "2005-1");
    xmlNodeSetLang(ncx, BAD_CAST c->lang);
    xmlNodePtr head = bk_dom_new(ncx, ns, "head");
    /* depth: how many levels the navMap nests */
    int lo = 0, hi = 0;
    for (size_t i = 0; i < c->ntoc; i++) {
        if (i == 0 || c->toc[i].level < lo)
            lo = c->toc[i].level;
        if (i == 0 || c->toc[i].level > hi)
            hi = c->toc[i].level;
    }
    /* the page list, when the PDF's pages are marked */
    int maxpage = 0;
    for (size_t i = 0; i < c->book->npage_marks; i++)
        if (c->book->page_marks[i].number > maxpage)
            maxpage = c->book->page_marks[i].number;
    char depth_s[16], total_s[32], max_s[32];
    snprintf(depth_s, sizeof depth_s, "%d", c->ntoc ? hi - lo + 1 : 1);
    snprintf(total_s, sizeof total_s, "%zu", c->book->npage_marks);
    snprintf(max_s, sizeof max_s, "%d", maxpage);
    const char *metas[][2] = { { "dtb:uid", c->identifier }, { "dtb:depth", depth_s },
                               { "dtb:totalPageCount", total_s }, { "dtb:maxPageNumber", max_s } };
    for (size_t i = 0; i < BK_ARRAY_LEN(metas); i++) {
        xmlNodePtr m = bk_dom_new(head, ns, "meta");
        xmlSetProp(m, BAD_CAST "name", BAD_CAST metas[i][0]);
        xmlSetProp(m, BAD_CAST "content", BAD_CAST metas[i][1]);
    }
    xmlNodePtr dt = bk_dom_new(ncx, ns, "docTitle");
    xmlNodeAddContent(bk_dom_new(dt, ns, "text"), BAD_CAST c->book->meta.title);
    xmlNodePtr map = bk_dom_new(ncx, ns, "navMap");
    xmlNodePtr parent[8] = { map };
    xmlNodePtr last[8] = { 0 };
    int top = 0, base = c->book->nparts ? 0 : 1;
    for (size_t i = 0; i < c->ntoc; i++) {
        int want = c->toc[i].level - base;
        want = want < 0 ? 0 : want > 7 ? 7 : want;
        while (top < want && last[top]) {
            parent[top + 1] = last[top];
            last[top + 1] = NULL;
            top++;
        }
        while (top > want)
            top--;
        xmlNodePtr np = bk_dom_new(parent[top], ns, "navPoint");
        char id[32], order[32];
        snprintf(id, sizeof id, "np-%zu", i + 1);
        snprintf(order, sizeof order, "%zu", i + 1);
        xmlSetProp(np, BAD_CAST "id", BAD_CAST id);
        xmlSetProp(np, BAD_CAST "playOrder", BAD_CAST order);
        xmlNodePtr label = bk_dom_new(np, ns, "navLabel");
        xmlNodeAddContent(bk_dom_new(label, ns, "text"), BAD_CAST c->toc[i].title);
        xmlNodePtr content = bk_dom_new(np, ns, "content");
        xmlSetProp(content, BAD_CAST "src", BAD_CAST c->toc[i].href);
        last[top] = np;
    }
    bk_buf b = BK_BUF_INIT;
    ep_serialize(doc, &b);
    xmlFreeDoc(doc);
    ep_add(c, "toc.ncx", "application/x-dtbncx+xml", &b);
}

/* ==================== package.opf ==================== */

static xmlNodePtr dc(xmlNodePtr meta, xmlNsPtr dcns, const char *name, const char *text)
{
    xmlNodePtr e = xmlNewChild(meta, dcns, BAD_CAST name, NULL);
    xmlNodeAddContent(e, BAD_CAST text);
    return e;
}

static xmlNodePtr meta_prop(xmlNodePtr meta, xmlNsPtr ns, const char *property, const char *text)
{
    xmlNodePtr e = xmlNewChild(meta, ns, BAD_CAST "meta", NULL);
    xmlSetProp(e, BAD_CAST "property", BAD_CAST property);
    xmlNodeAddContent(e, BAD_CAST text);
    return e;
}

/* The most used categories and tags, for dc:subject: at most five, those
 * used by at least two posts when the book has several. */
static void subjects(ep_ctx *c, xmlNodePtr meta, xmlNsPtr dcns)
{
    bk_book *book = c->book;
    bk_strmap count = BK_STRMAP_INIT;
    bk_strv names = { 0 };
    for (size_t i = 0; i < book->nposts; i++) {
        const bk_post *p = book->posts[i];
        const bk_strv *lists[2] = { &p->categories, &p->tags };
        for (int k = 0; k < 2; k++) {
            for (size_t j = 0; j < lists[k]->len; j++) {
                const char *s = lists[k]->v[j];
                long *n = bk_strmap_lookup(&count, s);
                if (n) {
                    (*n)++;
                } else {
                    bk_strmap_put(&count, s, 1);
                    bk_strv_push(&c->arena, &names, s);
                }
            }
        }
    }
    long min = book->nposts >= 2 ? 2 : 1;
    for (int picked = 0; picked < 5; picked++) {
        long best = 0;
        size_t bi = 0;
        for (size_t i = 0; i < names.len; i++) {
            long *n = bk_strmap_lookup(&count, names.v[i]);
            if (*n > best) { /* first seen wins ties: stable */
                best = *n;
                bi = i;
            }
        }
        if (best < min)
            break;
        dc(meta, dcns, "subject", names.v[bi]);
        *bk_strmap_lookup(&count, names.v[bi]) = 0;
    }
    bk_strmap_release(&count);
}

static int cmp_spine(const void *a, const void *b)
{
    const ep_item *x = *(ep_item *const *)a, *y = *(ep_item *const *)b;
    return x->spine_order - y->spine_order;
}

void ep_package(ep_ctx *c)
{
    const bk_meta *m = &c->book->meta;
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr pkg = xmlNewDocNode(doc, NULL, BAD_CAST "package", NULL);
    xmlDocSetRootElement(doc, pkg);
    xmlNsPtr ns = xmlNewNs(pkg, BAD_CAST "http://www.idpf.org/2007/opf", NULL);
    xmlSetNs(pkg, ns);
    xmlSetProp(pkg, BAD_CAST "version", BAD_CAST "3.0");
    xmlSetProp(pkg, BAD_CAST "unique-identifier", BAD_CAST "bookid");
    xmlNodeSetLang(pkg, BAD_CAST c->lang);
    if (c->rtl)
        xmlSetProp(pkg, BAD_CAST "dir", BAD_CAST "rtl");

    xmlNodePtr meta = xmlNewChild(pkg, ns, BAD_CAST "metadata", NULL);
    xmlNsPtr dcns = xmlNewNs(meta, BAD_CAST "http://purl.org/dc/elements/1.1/", BAD_CAST "dc");
    xmlSetProp(dc(meta, dcns, "identifier", c->identifier), BAD_CAST "id", BAD_CAST "bookid");
    xmlNodePtr title = dc(meta, dcns, "title", m->title);
    xmlSetProp(title, BAD_CAST "id", BAD_CAST "title");
    meta_prop(meta, ns, "title-type", "main");
    xmlSetProp(meta->last, BAD_CAST "refines", BAD_CAST "#title");
    if (m->subtitle) {
        xmlSetProp(dc(meta, dcns, "title", m->subtitle), BAD_CAST "id", BAD_CAST "subtitle");
        meta_prop(meta, ns, "title-type", "subtitle");
        xmlSetProp(meta->last, BAD_CAST "refines", BAD_CAST "#subtitle");
    }
    if (m->author) {
        xmlSetProp(dc(meta, dcns, "creator", m->author), BAD_CAST "id", BAD_CAST "creator");
        meta_prop(meta, ns, "role", "aut");
        xmlSetProp(meta->last, BAD_CAST "refines", BAD_CAST "#creator");
        xmlSetProp(meta->last, BAD_CAST "scheme", BAD_CAST "marc:relators");
    }
    dc(meta, dcns, "language", c->lang);
    if (c->date.valid) {
        char ymd[11];
        bk_date_format_ymd(&c->date, ymd);
        dc(meta, dcns, "date", ymd);
    }
    if (m->description)
        dc(meta, dcns, "description", m->description);
    if (m->publisher)
        dc(meta, dcns, "publisher", m->publisher);
    if (m->rights)
        dc(meta, dcns, "rights", m->rights);
    subjects(c, meta, dcns);
    if (c->npages) {
        /* The page list gives the PDF edition's pages (EPUB 3.2: dc:source
         * refined as the source of pagination). */
        xmlSetProp(dc(meta, dcns, "source", c->book->page_source), BAD_CAST "id", BAD_CAST "pages-source");
        meta_prop(meta, ns, "source-of", "pagination");
        xmlSetProp(meta->last, BAD_CAST "refines", BAD_CAST "#pages-source");
    }
    meta_prop(meta, ns, "dcterms:modified", c->modified);

    /* Accessibility (schema.org), saying only what is true of this book. */
    meta_prop(meta, ns, "schema:accessMode", "textual");
    if (c->has_images)
        meta_prop(meta, ns, "schema:accessMode", "visual");
    if (!c->has_images || c->images_all_alt)
        meta_prop(meta, ns, "schema:accessModeSufficient", "textual");
    if (c->has_images)
        meta_prop(meta, ns, "schema:accessModeSufficient", "textual,visual");
    meta_prop(meta, ns, "schema:accessibilityFeature", "structuralNavigation");
    meta_prop(meta, ns, "schema:accessibilityFeature", "tableOfContents");
    meta_prop(meta, ns, "schema:accessibilityFeature", "readingOrder");
    meta_prop(meta, ns, "schema:accessibilityFeature", "displayTransformability");
    if (c->has_images && c->images_all_alt)
        meta_prop(meta, ns, "schema:accessibilityFeature", "alternativeText");
    if (c->npages) {
        meta_prop(meta, ns, "schema:accessibilityFeature", "pageBreakMarkers");
        meta_prop(meta, ns, "schema:accessibilityFeature", "pageNavigation");
    }
    meta_prop(meta, ns, "schema:accessibilityHazard", "none");
    meta_prop(meta, ns, "schema:accessibilitySummary",
              c->has_images && !c->images_all_alt
                  ? "Text with headings, a table of contents and reading order; some "
                    "images have no text description."
                  : "Text with headings, a table of contents and reading order; every image "
                    "has a text description; the text can be resized and restyled.");

    ep_item *cover = NULL;
    for (size_t i = 0; i < c->nitems; i++)
        if (c->items[i].properties && strstr(c->items[i].properties, "cover-image"))
            cover = &c->items[i];
    if (cover) {
        /* EPUB 2 readers find the cover this way. */
        xmlNodePtr mc = xmlNewChild(meta, ns, BAD_CAST "meta", NULL);
        xmlSetProp(mc, BAD_CAST "name", BAD_CAST "cover");
        xmlSetProp(mc, BAD_CAST "content", BAD_CAST cover->id);
    }

    xmlNodePtr manifest = xmlNewChild(pkg, ns, BAD_CAST "manifest", NULL);
    ep_item **spine = bk_xcalloc(c->nitems ? c->nitems : 1, sizeof(*spine));
    size_t nspine = 0;
    for (size_t i = 0; i < c->nitems; i++) {
        ep_item *it = &c->items[i];
        xmlNodePtr e = xmlNewChild(manifest, ns, BAD_CAST "item", NULL);
        xmlSetProp(e, BAD_CAST "id", BAD_CAST it->id);
        xmlSetProp(e, BAD_CAST "href", BAD_CAST it->href);
        xmlSetProp(e, BAD_CAST "media-type", BAD_CAST it->media);
        if (it->properties)
            xmlSetProp(e, BAD_CAST "properties", BAD_CAST it->properties);
        if (it->spine)
            spine[nspine++] = it;
    }
    qsort(spine, nspine, sizeof(*spine), cmp_spine);
    xmlNodePtr sp = xmlNewChild(pkg, ns, BAD_CAST "spine", NULL);
    xmlSetProp(sp, BAD_CAST "toc", BAD_CAST "ncx");
    if (c->rtl)
        xmlSetProp(sp, BAD_CAST "page-progression-direction", BAD_CAST "rtl");
    for (size_t i = 0; i < nspine; i++) {
        xmlNodePtr e = xmlNewChild(sp, ns, BAD_CAST "itemref", NULL);
        xmlSetProp(e, BAD_CAST "idref", BAD_CAST spine[i]->id);
        if (!spine[i]->linear)
            xmlSetProp(e, BAD_CAST "linear", BAD_CAST "no");
    }
    free(spine);
    bk_buf b = BK_BUF_INIT;
    ep_serialize(doc, &b);
    xmlFreeDoc(doc);
    ep_item *it = ep_add(c, "package.opf", "application/oebps-package+xml", &b);
    it->id[0] = '\0'; /* not in its own manifest */
}
