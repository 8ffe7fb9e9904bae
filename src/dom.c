/* dom.c -- helpers over libxml2 trees (see dom.h). */
#include "dom.h"

#include <stdint.h>
#include <string.h>

#include "bookify/banned.h"

xmlNodePtr bk_dom_next(xmlNodePtr n, xmlNodePtr root, bool skip_children)
{
    if (!skip_children && n->children && n->type == XML_ELEMENT_NODE)
        return n->children;
    while (n && n != root) {
        if (n->next)
            return n->next;
        n = n->parent;
    }
    return NULL;
}

bool bk_dom_has_class(xmlNodePtr n, const char *cls)
{
    char *v = bk_dom_attr(n, "class");
    bool found = false;
    if (v) {
        size_t len = strlen(cls);
        for (const char *p = v; *p;) {
            while (*p == ' ' || *p == '\t' || *p == '\n')
                p++;
            size_t w = strcspn(p, " \t\n");
            if (w == len && memcmp(p, cls, len) == 0)
                found = true;
            p += w;
        }
        xmlFree(v);
    }
    return found;
}

void bk_dom_add_class(xmlNodePtr n, const char *cls)
{
    if (bk_dom_has_class(n, cls))
        return;
    char *v = bk_dom_attr(n, "class");
    bk_buf b = BK_BUF_INIT;
    if (v && *v)
        bk_buf_addf(&b, "%s ", v);
    bk_buf_adds(&b, cls);
    xmlSetProp(n, BAD_CAST "class", BAD_CAST b.ptr);
    bk_buf_release(&b);
    xmlFree(v);
}

char *bk_dom_attr(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE ? (char *)xmlGetProp(n, BAD_CAST name) : NULL;
}

void bk_dom_text(xmlNodePtr n, bk_buf *out)
{
    xmlChar *t = xmlNodeGetContent(n);
    if (!t)
        return;
    bool space = out->len > 0 && out->ptr[out->len - 1] != ' ';
    size_t start = out->len;
    for (const xmlChar *p = t; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            space = true;
            continue;
        }
        if (space && out->len > start)
            bk_buf_addc(out, ' ');
        space = false;
        bk_buf_addc(out, (char)*p);
    }
    xmlFree(t);
}

xmlNodePtr bk_dom_new(xmlNodePtr parent, xmlNsPtr ns, const char *name)
{
    xmlNodePtr e = xmlNewNode(ns, BAD_CAST name);
    if (parent) {
        e->doc = parent->doc;
        xmlAddChild(parent, e);
    }
    return e;
}

void bk_dom_unwrap(xmlNodePtr n)
{
    xmlNodePtr c = n->children;
    while (c) {
        xmlNodePtr next = c->next;
        xmlUnlinkNode(c);
        xmlAddPrevSibling(n, c);
        c = next;
    }
    xmlUnlinkNode(n);
    xmlFreeNode(n);
}

bool bk_dom_inside(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr p = n->parent; p && p->type == XML_ELEMENT_NODE; p = p->parent)
        if (strcmp((const char *)p->name, name) == 0)
            return true;
    return false;
}

xmlNodePtr bk_dom_first_element(xmlNodePtr n)
{
    for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

void bk_dom_set_line(xmlNodePtr n, long line)
{
    if (line < 0)
        line = 0;
    n->line = (unsigned short)(line >= 65535 ? 65535 : line);
    if (line >= 65535)
        n->psvi = (void *)(intptr_t)line;
}

void bk_dom_set_md_line(xmlNodePtr el, long line)
{
    if (line > 0 && line <= 0x7fffffff)
        el->_private = (void *)(((uintptr_t)line << 1) | 1);
}

long bk_dom_md_line(xmlNodePtr el)
{
    uintptr_t v = el->type == XML_ELEMENT_NODE ? (uintptr_t)el->_private : 0;
    return v & 1 ? (long)(v >> 1) : 0;
}

long bk_dom_take_md_line(xmlNodePtr el)
{
    long line = bk_dom_md_line(el);
    if (line)
        el->_private = NULL;
    return line;
}

long bk_dom_line(xmlNodePtr n)
{
    if (n->line == 65535 && n->psvi)
        return (long)(intptr_t)n->psvi;
    long line = xmlGetLineNo(n);
    return line > 0 && line < 65535 ? line : 0;
}
