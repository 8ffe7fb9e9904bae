/*
 * mdtree.h -- cmark-gfm's syntax tree straight into libxml2 nodes (private
 * to convert.c).
 *
 * The nodes are the ones libxml2's HTML parser makes from cmark-gfm's HTML
 * renderer's output: the same elements, attributes and text, down to the
 * newlines between blocks; where that output says data-sourcepos, the
 * block's first line is left on its element instead (dom.h). Going through
 * the HTML text costs a render and a parse, about a quarter of an EPUB's
 * time; this skips both. What the HTML parser would reshape (raw HTML,
 * footnote references inside links, characters XML cannot hold, nesting
 * past its depth limit) is not built: the caller goes through the HTML
 * text then. Notes and references take their labels and ids from
 * cmark-gfm's rendering of each (its API has neither). docs/conversion.md
 * has the why.
 */
#ifndef BK_MDTREE_H
#define BK_MDTREE_H

#include <cmark-gfm.h>
#include <libxml/tree.h>
#include <stdbool.h>

/* Deepest element nesting built; deeper Markdown goes through the HTML
 * parser, which drops what is below its own limit (and convert.c warns). */
#define BK_MDTREE_MAX_DEPTH 240

/* Build the children of body (an element of doc) from the document node
 * root, rendered with cmark-gfm's HTML options
 * `options` (SOURCEPOS, TABLE_PREFER_STYLE_ATTRIBUTES and UNSAFE are the ones
 * honoured). Returns false, leaving body empty, when the tree holds something
 * built only by the HTML route. */
bool bk_mdtree_build(cmark_node *root, int options, xmlDocPtr doc, xmlNodePtr body);

#endif
