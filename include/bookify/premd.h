/*
 * premd.h -- the Markdown pre-pass: template leftovers out of a post's body.
 *
 * Consumes one post's body (valid UTF-8, LF line ends, no front matter) and
 * produces CommonMark+GFM text for cmark-gfm in which every template
 * construct chosen by the flags has been handled, never left raw:
 *
 *  - Jekyll Liquid (BK_PREMD_LIQUID), outside code only: {% raw %} content is
 *    kept verbatim, {% highlight %} becomes a fenced code block, {% post_url %}
 *    and {% link %} become "bookify:post/NAME" and "bookify:link/PATH" URLs,
 *    {{ site.baseurl }} and {{ 'x' | relative_url }} become the site-relative
 *    text, {% comment %}, {% capture %} and {% assign %} vanish, and every other
 *    tag or output is removed and listed in `dropped`. Inside code, Liquid is
 *    left alone, except that Jekyll's {% raw %} / {% endraw %} markers are
 *    removed there too (Jekyll removes them everywhere).
 *  - Hugo shortcodes (BK_PREMD_SHORTCODES), everywhere including code:
 *    {{< highlight >}} becomes a fenced code block, Hugo's comment escapes
 *    ("{{</" "* x *" "/>}}", here split to fit in a C comment) become the
 *    literal {{< x >}}, other shortcodes lose their markup (their inner
 *    Markdown stays) and are listed in `dropped`.
 *  - kramdown (BK_PREMD_KRAMDOWN), outside code: a block attribute list line
 *    becomes the HTML comment line BK_PREMD_IAL "BODY" "-->" (the converter
 *    applies it to the element before it), a header's trailing {#id} likewise
 *    goes to such a line after the header, span attribute lists and attribute
 *    definitions vanish, a {:toc} line removes itself and the list just before
 *    it, {::comment} vanishes with its content, {::nomarkdown} and {::options}
 *    lose their markup, definition lists become <dl>/<dt>/<dd> HTML with blank
 *    lines around the Markdown inside, and abbreviation lines go to `abbrs`.
 *  - TeX maths (BK_PREMD_MATH), outside code and {% raw %}: $..$ and \(..\)
 *    (inline), $$..$$ and \[..\] (display), with pandoc's tex_math_dollars
 *    rules for $, are replaced by placeholders (below) and listed in `math`.
 *    A display formula on lines of its own becomes a paragraph of its own.
 *    With BK_PREMD_KRAMDOWN too, $$..$$ inside running text is inline maths,
 *    as kramdown has it.
 *
 * Code is a fenced or indented code block, a code span, and for kramdown and
 * maths also a <pre>, <script>, <style> or <textarea> HTML block.
 *
 * A pure function of its input: no I/O and no global state, so posts may be
 * processed in parallel. Time and memory are linear in the body's size.
 */
#ifndef BK_PREMD_H
#define BK_PREMD_H

#include "bookify/util.h"

enum bk_premd_flags {
    BK_PREMD_LIQUID = 1 << 0,     /* Jekyll Liquid */
    BK_PREMD_SHORTCODES = 1 << 1, /* Hugo shortcodes */
    BK_PREMD_KRAMDOWN = 1 << 2,   /* kramdown extensions */
    BK_PREMD_MATH = 1 << 3,       /* $..$ $$..$$ \(..\) \[..\] */
};

/* Maths placeholders, UTF-8. An inline formula number N (its index in
 * bk_premd.math, in decimal) is BK_PREMD_MATH_INLINE "N" BK_PREMD_MATH_END;
 * a display one is BK_PREMD_MATH_DISPLAY "N" BK_PREMD_MATH_END. */
#define BK_PREMD_MATH_INLINE "\xEE\x80\x80"  /* U+E000 */
#define BK_PREMD_MATH_END "\xEE\x80\x81"     /* U+E001 */
#define BK_PREMD_MATH_DISPLAY "\xEE\x80\x82" /* U+E002 */

/* A kramdown block attribute list becomes a line made of this prefix, the
 * list's body verbatim (".notice", "#id .a style=\"x\"") and "-->". */
/* Attribute lists become "<!--bk-ial BODY-->" (for the element before) or
 * "<!--bk-ial-next BODY-->" (for the element after), with '-' and '%' in
 * BODY percent-encoded as %2D and %25 (no "--" inside an XML comment). */
#define BK_PREMD_IAL "<!--bk-ial "

typedef struct bk_premd_math {
    char *tex;    /* owned: the TeX between the delimiters, verbatim */
    bool display; /* $$..$$ or \[..\] (see the kramdown note above) */
    int line;     /* body line (1-based) of the opening delimiter */
} bk_premd_math;

typedef enum bk_premd_drop {
    BK_DROP_LIQUID_TAG,    /* {% name ... %} */
    BK_DROP_LIQUID_OUTPUT, /* {{ expression }} */
    BK_DROP_SHORTCODE,     /* {{< name ... >}} or {{% name ... %}} */
} bk_premd_drop;

/* A template construct that was removed without replacement. Closing tags
 * (endif, /name) and the branches else, elsif and when get no entry. */
typedef struct bk_premd_dropped {
    bk_premd_drop kind;
    char *name; /* owned: tag or shortcode name ("include", "youtube"), or for
                 * an output its trimmed expression ("page.title | escape") */
    int line;   /* body line (1-based) of the opening brace */
    int col;    /* 1-based column in characters, on that line as the pass that
                 * dropped it saw it (exact unless both LIQUID and SHORTCODES
                 * rewrote the line) */
} bk_premd_dropped;

/* A kramdown abbreviation definition "*[ABBR]: title". */
typedef struct bk_premd_abbr {
    char *abbr;  /* owned */
    char *title; /* owned, trimmed; may be empty */
} bk_premd_abbr;

/* The result. Every pointer is owned by the struct and freed by
 * bk_premd_release. Entries appear in the order they were found (shortcodes
 * first, then Liquid, when both run). */
typedef struct bk_premd {
    bk_buf md;                /* the clean Markdown */
    int *line_map;            /* line_map[i]: body line (1-based) that output line i+1
                               * came from; a generated line maps to the nearest one */
    size_t nlines;            /* lines in md (a last line without '\n' counts) */
    bk_premd_math *math;      /* formulas, indexed by the number in their placeholder */
    size_t nmath;
    bk_premd_dropped *dropped;
    size_t ndropped;
    bk_premd_abbr *abbrs;
    size_t nabbrs;
} bk_premd;

#define BK_PREMD_INIT { BK_BUF_INIT, NULL, 0, NULL, 0, NULL, 0, NULL, 0 }

/* Pre-process len bytes of body (NULL allowed when len is 0) under flags
 * (enum bk_premd_flags) into r, which must be set to BK_PREMD_INIT or hold an
 * earlier result (it is released first). The caller releases r with
 * bk_premd_release. Returns 0; cannot fail (out of memory aborts). */
int bk_premd_run(bk_premd *r, const char *body, size_t len, unsigned flags);

/* Free everything r owns and set it back to BK_PREMD_INIT. Accepts NULL. */
void bk_premd_release(bk_premd *r);

/* How many passes the process's runs left out and ran: a pass that finds
 * none of its openers in a text is not run (premd.c, "Idle passes";
 * BOOKIFY_TIMES). */
void bk_premd_counts(size_t *skipped, size_t *run);

#endif
