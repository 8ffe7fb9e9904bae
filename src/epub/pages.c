/* pages.c -- the pages before the posts: cover, title, colophon, parts. */
#include <string.h>

#include "../dom.h"
#include "epub_int.h"

#include "bookify/banned.h"

static xmlNsPtr epub_ns(xmlDocPtr doc)
{
    return xmlSearchNsByHref(doc, xmlDocGetRootElement(doc), BAD_CAST BK_EPUB_NS);
}

static xmlNodePtr text_el(xmlNodePtr parent, const char *name, const char *cls, const char *text)
{
    xmlNodePtr e = bk_dom_new(parent, parent->ns, name);
    if (cls)
        xmlSetProp(e, BAD_CAST "class", BAD_CAST cls);
    if (text)
        xmlNodeAddContent(e, BAD_CAST text);
    return e;
}

static xmlNodePtr page_section(xmlNodePtr body, const char *cls, const char *type,
                               const char *role)
{
    xmlNodePtr s = bk_dom_new(body, body->ns, "section");
    xmlSetProp(s, BAD_CAST "class", BAD_CAST cls);
    xmlNewNsProp(s, epub_ns(body->doc), BAD_CAST "type", BAD_CAST type);
    if (role)
        xmlSetProp(s, BAD_CAST "role", BAD_CAST role);
    return s;
}

static void add_page(ep_ctx *c, const char *href, xmlDocPtr doc, bool linear)
{
    bk_buf b = BK_BUF_INIT;
    ep_serialize(doc, &b);
    xmlFreeDoc(doc);
    ep_item *it = ep_add(c, href, "application/xhtml+xml", &b);
    it->spine = true;
    it->linear = linear;
}

void ep_cover_page(ep_ctx *c)
{
    if (!c->cover_image_href)
        return;
    xmlNodePtr body;
    xmlDocPtr doc = ep_page_new(c, ep_label(c, "cover"), &body);
    xmlNodePtr s = page_section(body, "cover", "cover", NULL);
    xmlNodePtr img = bk_dom_new(s, s->ns, "img");
    xmlSetProp(img, BAD_CAST "src", BAD_CAST c->cover_image_href);
    xmlSetProp(img, BAD_CAST "alt", BAD_CAST c->book->meta.title);
    xmlSetProp(img, BAD_CAST "role", BAD_CAST "doc-cover");
    c->cover_href = "bk-cover.xhtml";
    add_page(c, c->cover_href, doc, true);
}

void ep_title_page(ep_ctx *c)
{
    const bk_meta *m = &c->book->meta;
    xmlNodePtr body;
    xmlDocPtr doc = ep_page_new(c, m->title, &body);
    xmlNodePtr s = page_section(body, "titlepage", "titlepage", NULL);
    text_el(s, "h1", "book-title", m->title);
    if (m->subtitle) {
        xmlNodePtr p = text_el(s, "p", "book-subtitle", m->subtitle);
        xmlSetProp(p, BAD_CAST "role", BAD_CAST "doc-subtitle");
    }
    if (m->author)
        text_el(s, "p", "book-author", m->author);
    if (c->date.valid) {
        bk_buf when = BK_BUF_INIT;
        char ymd[11];
        bk_date_format_ymd(&c->date, ymd);
        bk_date_format_long(&c->date, c->lang, &when);
        xmlNodePtr p = text_el(s, "p", "book-date", NULL);
        xmlNodePtr t = text_el(p, "time", NULL, when.ptr);
        xmlSetProp(t, BAD_CAST "datetime", BAD_CAST ymd);
        bk_buf_release(&when);
    }
    if (m->publisher)
        text_el(s, "p", "book-publisher", m->publisher);
    c->title_href = "bk-title.xhtml";
    add_page(c, c->title_href, doc, true);
}

void ep_colophon_page(ep_ctx *c)
{
    const bk_meta *m = &c->book->meta;
    if (!m->rights && !m->publisher)
        return;
    xmlNodePtr body;
    xmlDocPtr doc = ep_page_new(c, ep_label(c, "copyright"), &body);
    xmlNodePtr s = page_section(body, "colophon", "copyright-page", NULL);
    text_el(s, "p", "book-title-small", m->title);
    if (m->author)
        text_el(s, "p", NULL, m->author);
    if (m->rights)
        text_el(s, "p", "rights", m->rights);
    if (m->publisher)
        text_el(s, "p", "publisher", m->publisher);
    if (m->description)
        text_el(s, "p", "description", m->description);
    text_el(s, "p", "identifier", c->identifier);
    add_page(c, "bk-colophon.xhtml", doc, true);
}

const char *ep_part_page(ep_ctx *c, size_t part)
{
    const bk_part *p = &c->book->parts[part];
    xmlNodePtr body;
    xmlDocPtr doc = ep_page_new(c, p->title, &body);
    xmlNodePtr s = page_section(body, "part", "part", "doc-part");
    const char *id = bk_arena_printf(&c->arena, "part-%zu", part + 1);
    xmlSetProp(s, BAD_CAST "id", BAD_CAST id);
    text_el(s, "h1", NULL, p->title);
    const char *href = bk_arena_printf(&c->arena, "bk-part-%zu.xhtml", part + 1);
    add_page(c, href, doc, true);
    return href;
}
