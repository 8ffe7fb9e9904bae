/*
 * sanitize.h -- the sanitiser: a post's HTML tree made safe and book-shaped.
 *
 * Consumes the tree libxml2's HTML parser built from cmark-gfm's output
 * (block elements carry data-sourcepos="L:C-L:C", raw HTML is preceded by a
 * <!--bk-line:N--> comment), or an element of an XHTML document. Produces the
 * same tree, changed in place: only the elements and attributes below are
 * left, every node carries its post file line in node->line (read it with
 * xmlGetLineNo), and each thing removed that the author will miss is
 * reported as a warning at that line. Namespaces are left alone: the
 * converter sets them afterwards.
 *
 * Allow-list of elements (all others are handled as listed further down):
 *   sections  section header footer article aside nav main
 *   blocks    p div h1-h6 blockquote pre ul ol li dl dt dd hr figure
 *             figcaption table caption colgroup col thead tbody tfoot tr th
 *             td details summary address
 *   inline    a abbr b bdi bdo br cite code data del dfn em i img ins kbd
 *             mark q s samp small span strong sub sup time u var wbr ruby
 *             rt rp
 *   input     only <input type="checkbox" disabled [checked]>, a GFM task
 *             list item's box; any other input is a form control
 * Renamed: center -> div (with style text-align: center), strike -> s,
 *   tt -> code, acronym -> abbr. Element names are lowercased.
 * Unwrapped (children kept in place, no warning): picture, font, noscript
 *   (its content is the no-script fallback, right for a book), dialog, and
 *   every unknown element (<blink>, <marquee>, JSX components ...).
 * Removed with their content, one warning each: script, style, iframe,
 *   frame, frameset, object, embed, applet, form, input (not a task box),
 *   button, select, textarea, option, optgroup, fieldset, legend, label,
 *   datalist, output, keygen, link, meta, base, template, svg, math.
 * Removed with a warning, keeping the fallback content: audio, video and
 *   canvas. Their <source> and <track> children go silently, as do those of
 *   <picture>; a <source> or <track> anywhere else is warned about.
 *   libxml2 2.9 does not know HTML5's void elements (wbr, embed, source,
 *   track) and nests the content after them inside them; that content is
 *   moved back out and kept.
 * Removed silently: other comments (<!--more-->), processing instructions,
 *   <img> without src.
 *
 * Allow-list of attributes (every other one is dropped silently, so every
 * attribute left has a valid XML name):
 *   every kept element  id class title lang dir style role xml:lang and the
 *                       ARIA 1.1 aria-* attributes
 *   a                   href hreflang (a legacy name="x" becomes id="x")
 *   img                 src alt width height
 *   td th               colspan rowspan scope
 *   ol                  start reversed type;  li  value
 *   col colgroup        span
 *   q blockquote        cite;  del ins  cite datetime
 *   time                datetime;  data  value;  details  open
 *   input               type checked disabled
 * align="left|right|center|justify" on p, div, h1-h6, caption, tr, td, th,
 * thead, tbody and tfoot becomes a text-align style. Values that cannot be
 * right (dir not ltr/rtl/auto, a colspan that is not a number ...) are
 * dropped silently. Warned about and removed: on* event handlers; a style
 * that loads or runs something (url(, image(, image-set(, expression(,
 * javascript:, vbscript:, @import, ignoring blanks and comments, or any
 * backslash, since escapes can spell all of these);
 * href, src and cite URLs with the schemes javascript:, vbscript:, file:
 * or data:, except data:image/png|jpeg|gif|webp|svg+xml as an img src.
 * URLs are trimmed of blanks and control characters first, and lose inner
 * tabs and newlines as browsers do, so 'java&#x09;script:' is caught.
 * data-* attributes go too, including cmark-gfm's data-footnote-*: match
 * footnotes by class.
 *
 * Comments: <!--bk-line:N--> sets the current Markdown line and goes; other
 * comments starting with "bk-" (<!--bk-ial ...-->) stay for the converter,
 * unless they could not be written as XML comments.
 */
#ifndef BK_SANITIZE_H
#define BK_SANITIZE_H

#include <libxml/tree.h>

#include "bookify/diag.h"

typedef struct bk_sanitize_ctx {
    const char *file;                        /* display path for diagnostics */
    int (*file_line)(void *ud, int md_line); /* Markdown line -> file line; NULL = same */
    void *ud;                                /* passed to file_line */
} bk_sanitize_ctx;

/* Sanitise the descendants of root (e.g. the <body> of an htmlDoc, or an
 * element of an XHTML doc) in place, in one document-order walk, as
 * described above; root itself is left as it is. The current Markdown line
 * is set by each element's data-sourcepos (first number; the attribute is
 * then removed) and each bk-line comment; nodes get file_line(that line),
 * clamped to 65535 (xmlNode.line is an unsigned short), or 0 before the
 * first one. Adjacent text nodes left by unwrapping are merged.
 * ctx may be NULL (no file name, lines as they are). Warnings go to d, at
 * ctx->file and the file line. Freed nodes are gone: do not keep pointers
 * into the subtree across the call. Iterative, so deep trees cannot
 * overflow the stack; keeps no static state, so threads may sanitise
 * different documents at once. Cannot fail: returns 0. */
int bk_sanitize(xmlNodePtr root, const bk_sanitize_ctx *ctx, bk_diags *d);

/* What makes a CSS declaration list unsafe (it loads a resource or runs
 * code: url(, image-set(, expression(, @import..., in any case, through
 * comments; any backslash escape), or NULL when it is safe. The same rule
 * for raw HTML and for kramdown attribute lists. */
const char *bk_sanitize_style_danger(const char *v);

#endif
