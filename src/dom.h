/*
 * dom.h -- small helpers over libxml2 trees shared by convert and resolve
 * (private). Walks are iterative: posts may nest thousands deep.
 */
#ifndef BK_DOM_H
#define BK_DOM_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <string.h>

#include "bookify/util.h"

#define BK_XHTML_NS "http://www.w3.org/1999/xhtml"
#define BK_EPUB_NS "http://www.idpf.org/2007/ops"

/* Next node after n in document order inside root (pre-order); when
 * skip_children, n's subtree is skipped. NULL at the end. */
xmlNodePtr bk_dom_next(xmlNodePtr n, xmlNodePtr root, bool skip_children);
/* n is an element named name. Inline, first letters compared first:
 * conversion asks it of every node, most often with another name. */
static inline bool bk_dom_is(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->name[0] == (xmlChar)name[0] &&
           strcmp((const char *)n->name, name) == 0;
}
bool bk_dom_has_class(xmlNodePtr n, const char *cls);
void bk_dom_add_class(xmlNodePtr n, const char *cls);
/* Attribute value (caller frees with xmlFree) or NULL. */
char *bk_dom_attr(xmlNodePtr n, const char *name);
/* Has element n an attribute of that name (in any namespace, as
 * bk_dom_attr finds it)? No copy made: walks over every element ask it
 * before they ask for the value. */
static inline bool bk_dom_has_attr(xmlNodePtr n, const char *name)
{
    if (!n || n->type != XML_ELEMENT_NODE)
        return false;
    for (xmlAttrPtr a = n->properties; a; a = a->next)
        if (a->name[0] == (xmlChar)name[0] && strcmp((const char *)a->name, name) == 0)
            return true;
    return false;
}
/* Text content of n, whitespace runs collapsed and trimmed, appended to out. */
void bk_dom_text(xmlNodePtr n, bk_buf *out);
/* New element in n's document and namespace, appended to parent (or
 * unlinked when parent is NULL). */
xmlNodePtr bk_dom_new(xmlNodePtr parent, xmlNsPtr ns, const char *name);
/* Replace n by its children, in place; frees n. */
void bk_dom_unwrap(xmlNodePtr n);
/* Inside an element named `name` (pre, code, ...)? */
bool bk_dom_inside(xmlNodePtr n, const char *name);
/* First element child, skipping text and comments. */
xmlNodePtr bk_dom_first_element(xmlNodePtr n);
/* The source line of a node, for messages (0 = unknown). xmlNode.line is
 * an unsigned short: lines past 65534 are kept in the node's psvi field,
 * which nothing else uses in bookify's documents. */
void bk_dom_set_line(xmlNodePtr n, long line);
long bk_dom_line(xmlNodePtr n);
/* The Markdown line a block starts at, as the tree builder (mdtree.c)
 * leaves it on the block's element for the sanitizer, which takes it
 * (cmark-gfm's HTML says it with data-sourcepos="L:C-L:C": an attribute
 * made, parsed and removed on every block, 3% of an EPUB's instructions).
 * Kept in the element's _private, tagged odd, until taken; 0 = none. */
void bk_dom_set_md_line(xmlNodePtr el, long line);
long bk_dom_md_line(xmlNodePtr el);
long bk_dom_take_md_line(xmlNodePtr el);

#endif
