/* sanitize.c -- a post's HTML tree made safe and book-shaped (see sanitize.h). */
#include "bookify/sanitize.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dom.h"

#include "bookify/banned.h"

/* ==================== the rules ==================== */

enum attr_kind {
    A_TEXT,       /* kept as written */
    A_URL,        /* href, src, cite: cleaned, dangerous schemes removed */
    A_STYLE,      /* removed when it loads or runs something */
    A_DIR,        /* ltr | rtl | auto */
    A_COUNT,      /* integer >= 1 */
    A_SIZE,       /* integer >= 0 */
    A_INT,        /* any integer */
    A_BOOL,       /* boolean attribute, written as name="name" */
    A_OLTYPE,     /* 1 a A i I */
    A_SCOPE,      /* row col rowgroup colgroup */
    A_INPUT_TYPE, /* checkbox (other inputs never get this far) */
    A_NAME,       /* legacy <a name>: becomes the id */
};

typedef struct attr_rule {
    const char *name;
    enum attr_kind kind;
} attr_rule;

enum tag_action {
    TAG_KEEP,
    TAG_TASKBOX, /* <input>: kept only as a task-list box */
    TAG_UNWRAP,  /* children take its place, silently */
    TAG_DROP,    /* removed with its content and a warning */
    TAG_FOREIGN, /* svg, math: removed with a warning of their own */
    TAG_MEDIA,   /* warned about, its fallback content kept */
};

enum tag_flags {
    TAG_VOID = 1 << 0,    /* void in HTML5: children are parser artefacts */
    TAG_ALIGN = 1 << 1,   /* align= becomes a text-align style */
    TAG_CENTER = 1 << 2,  /* <center>: text-align: center unless told otherwise */
    TAG_SOURCES = 1 << 3, /* direct <source>/<track> children go silently */
    TAG_NEEDSRC = 1 << 4, /* removed when no src is left */
};

typedef struct tag_rule {
    const char *name;
    unsigned char action;   /* enum tag_action */
    unsigned char flags;    /* enum tag_flags */
    const char *rename;     /* kept under this name, or NULL */
    const attr_rule *attrs; /* its own attributes besides the global ones, or NULL */
    const char *why;        /* reason in the warning when removed */
} tag_rule;

static const attr_rule global_attrs[] = {
    { "class", A_TEXT }, { "dir", A_DIR },       { "id", A_TEXT },
    { "lang", A_TEXT },  { "role", A_TEXT },     { "style", A_STYLE },
    { "title", A_TEXT }, { "xml:lang", A_TEXT }, { NULL, A_TEXT },
};
static const attr_rule a_attrs[] = {
    { "href", A_URL },
    { "hreflang", A_TEXT },
    { "name", A_NAME },
    { NULL, A_TEXT },
};
static const attr_rule img_attrs[] = {
    { "src", A_URL },     { "alt", A_TEXT }, { "width", A_SIZE },
    { "height", A_SIZE }, { NULL, A_TEXT },
};
static const attr_rule cell_attrs[] = {
    { "colspan", A_COUNT },
    { "rowspan", A_SIZE },
    { "scope", A_SCOPE },
    { NULL, A_TEXT },
};
static const attr_rule ol_attrs[] = {
    { "start", A_INT },
    { "reversed", A_BOOL },
    { "type", A_OLTYPE },
    { NULL, A_TEXT },
};
static const attr_rule li_attrs[] = { { "value", A_INT }, { NULL, A_TEXT } };
static const attr_rule col_attrs[] = { { "span", A_COUNT }, { NULL, A_TEXT } };
static const attr_rule quote_attrs[] = { { "cite", A_URL }, { NULL, A_TEXT } };
static const attr_rule edit_attrs[] = {
    { "cite", A_URL },
    { "datetime", A_TEXT },
    { NULL, A_TEXT },
};
static const attr_rule time_attrs[] = { { "datetime", A_TEXT }, { NULL, A_TEXT } };
static const attr_rule data_attrs[] = { { "value", A_TEXT }, { NULL, A_TEXT } };
static const attr_rule details_attrs[] = { { "open", A_BOOL }, { NULL, A_TEXT } };
static const attr_rule input_attrs[] = {
    { "type", A_INPUT_TYPE },
    { "checked", A_BOOL },
    { "disabled", A_BOOL },
    { NULL, A_TEXT },
};

/* Only the ARIA 1.1 names (epubcheck rejects made-up aria-* attributes),
 * as space-separated words. */
static const char aria_names[] =
    " "
    "activedescendant atomic autocomplete busy checked colcount colindex colspan "
    "controls current describedby details disabled dropeffect errormessage expanded "
    "flowto grabbed haspopup hidden invalid keyshortcuts label labelledby level live "
    "modal multiline multiselectable orientation owns placeholder posinset pressed "
    "readonly relevant required roledescription rowcount rowindex rowspan selected "
    "setsize sort valuemax valuemin valuenow valuetext ";

#define WHY_FORM "forms do not work in a book"
#define WHY_PLUGIN "plugins cannot run in a book"
#define WHY_FRAME "embedded pages cannot be shown in a book"
#define WHY_META "page metadata does not apply inside a book"
#define WHY_MEDIA "a book cannot play media"

#define KEEP(name, flags, attrs)                                                                   \
    {                                                                                              \
        name, TAG_KEEP, flags, NULL, attrs, NULL                                                   \
    }
#define RENAME(name, to, flags)                                                                    \
    {                                                                                              \
        name, TAG_KEEP, flags, to, NULL, NULL                                                      \
    }
#define DROP(name, flags, why)                                                                     \
    {                                                                                              \
        name, TAG_DROP, flags, NULL, NULL, why                                                     \
    }
#define UNWRAP(name, flags)                                                                        \
    {                                                                                              \
        name, TAG_UNWRAP, flags, NULL, NULL, NULL                                                  \
    }

/* Sorted by name (strcmp) for bsearch; an element not here is unwrapped. */
static const tag_rule tag_rules[] = {
    KEEP("a", 0, a_attrs),
    KEEP("abbr", 0, NULL),
    RENAME("acronym", "abbr", 0),
    KEEP("address", 0, NULL),
    DROP("applet", 0, WHY_PLUGIN),
    KEEP("article", 0, NULL),
    KEEP("aside", 0, NULL),
    { "audio", TAG_MEDIA, TAG_SOURCES, NULL, NULL, WHY_MEDIA },
    KEEP("b", 0, NULL),
    DROP("base", TAG_VOID, WHY_META),
    KEEP("bdi", 0, NULL),
    KEEP("bdo", 0, NULL),
    KEEP("blockquote", 0, quote_attrs),
    KEEP("br", TAG_VOID, NULL),
    DROP("button", 0, WHY_FORM),
    { "canvas", TAG_MEDIA, 0, NULL, NULL, "a book cannot run the script that draws it" },
    KEEP("caption", TAG_ALIGN, NULL),
    RENAME("center", "div", TAG_CENTER),
    KEEP("cite", 0, NULL),
    KEEP("code", 0, NULL),
    KEEP("col", TAG_VOID, col_attrs),
    KEEP("colgroup", 0, col_attrs),
    KEEP("data", 0, data_attrs),
    DROP("datalist", 0, WHY_FORM),
    KEEP("dd", 0, NULL),
    KEEP("del", 0, edit_attrs),
    KEEP("details", 0, details_attrs),
    KEEP("dfn", 0, NULL),
    UNWRAP("dialog", 0),
    KEEP("div", TAG_ALIGN, NULL),
    KEEP("dl", 0, NULL),
    KEEP("dt", 0, NULL),
    KEEP("em", 0, NULL),
    DROP("embed", TAG_VOID, WHY_PLUGIN),
    DROP("fieldset", 0, WHY_FORM),
    KEEP("figcaption", 0, NULL),
    KEEP("figure", 0, NULL),
    UNWRAP("font", 0),
    KEEP("footer", 0, NULL),
    DROP("form", 0, WHY_FORM),
    DROP("frame", TAG_VOID, WHY_FRAME),
    DROP("frameset", 0, WHY_FRAME),
    KEEP("h1", TAG_ALIGN, NULL),
    KEEP("h2", TAG_ALIGN, NULL),
    KEEP("h3", TAG_ALIGN, NULL),
    KEEP("h4", TAG_ALIGN, NULL),
    KEEP("h5", TAG_ALIGN, NULL),
    KEEP("h6", TAG_ALIGN, NULL),
    KEEP("header", 0, NULL),
    KEEP("hr", TAG_VOID, NULL),
    KEEP("i", 0, NULL),
    DROP("iframe", 0, WHY_FRAME),
    KEEP("img", TAG_VOID | TAG_NEEDSRC, img_attrs),
    { "input", TAG_TASKBOX, TAG_VOID, NULL, input_attrs, WHY_FORM },
    KEEP("ins", 0, edit_attrs),
    KEEP("kbd", 0, NULL),
    DROP("keygen", TAG_VOID, WHY_FORM),
    DROP("label", 0, WHY_FORM),
    DROP("legend", 0, WHY_FORM),
    KEEP("li", 0, li_attrs),
    DROP("link", TAG_VOID, WHY_META),
    KEEP("main", 0, NULL),
    KEEP("mark", 0, NULL),
    { "math", TAG_FOREIGN, 0, NULL, NULL, NULL },
    DROP("meta", TAG_VOID, WHY_META),
    KEEP("nav", 0, NULL),
    UNWRAP("noscript", 0),
    DROP("object", 0, WHY_PLUGIN),
    KEEP("ol", 0, ol_attrs),
    DROP("optgroup", 0, WHY_FORM),
    DROP("option", 0, WHY_FORM),
    DROP("output", 0, WHY_FORM),
    KEEP("p", TAG_ALIGN, NULL),
    UNWRAP("picture", TAG_SOURCES),
    KEEP("pre", 0, NULL),
    KEEP("q", 0, quote_attrs),
    KEEP("rp", 0, NULL),
    KEEP("rt", 0, NULL),
    KEEP("ruby", 0, NULL),
    KEEP("s", 0, NULL),
    KEEP("samp", 0, NULL),
    DROP("script", 0, "scripts do not run in books"),
    KEEP("section", 0, NULL),
    DROP("select", 0, WHY_FORM),
    KEEP("small", 0, NULL),
    DROP("source", TAG_VOID, WHY_MEDIA),
    KEEP("span", 0, NULL),
    RENAME("strike", "s", 0),
    KEEP("strong", 0, NULL),
    DROP("style", 0, "posts cannot restyle the book"),
    KEEP("sub", 0, NULL),
    KEEP("summary", 0, NULL),
    KEEP("sup", 0, NULL),
    { "svg", TAG_FOREIGN, 0, NULL, NULL, NULL },
    KEEP("table", 0, NULL),
    KEEP("tbody", TAG_ALIGN, NULL),
    KEEP("td", TAG_ALIGN, cell_attrs),
    DROP("template", 0, "template content is never shown"),
    DROP("textarea", 0, WHY_FORM),
    KEEP("tfoot", TAG_ALIGN, NULL),
    KEEP("th", TAG_ALIGN, cell_attrs),
    KEEP("thead", TAG_ALIGN, NULL),
    KEEP("time", 0, time_attrs),
    KEEP("tr", TAG_ALIGN, NULL),
    DROP("track", TAG_VOID, WHY_MEDIA),
    RENAME("tt", "code", 0),
    KEEP("u", 0, NULL),
    KEEP("ul", 0, NULL),
    KEEP("var", 0, NULL),
    { "video", TAG_MEDIA, TAG_SOURCES, NULL, NULL, WHY_MEDIA },
    KEEP("wbr", TAG_VOID, NULL),
};

static int cmp_tag(const void *key, const void *rule)
{
    return strcmp(key, ((const tag_rule *)rule)->name);
}

/* The rule for an element name, matched without regard to ASCII case. */
static const tag_rule *find_tag(const xmlChar *name)
{
    char low[16]; /* longer than every name in the table */
    size_t i;
    for (i = 0; name[i]; i++) {
        if (i + 1 >= sizeof(low))
            return NULL;
        low[i] = bk_ascii_lower((char)name[i]);
    }
    low[i] = '\0';
    return bsearch(low, tag_rules, BK_ARRAY_LEN(tag_rules), sizeof(tag_rules[0]), cmp_tag);
}

static const attr_rule *find_in(const attr_rule *list, const char *name)
{
    for (; list && list->name; list++)
        if (strcmp(list->name, name) == 0)
            return list;
    return NULL;
}

/* The rule for an attribute without a namespace. Names are matched as
 * written: the HTML parser lowercased them, and in XHTML case matters. */
static const attr_rule *find_attr(const tag_rule *r, const char *name)
{
    static const attr_rule aria = { "aria-*", A_TEXT };
    const attr_rule *a = find_in(r->attrs, name);
    if (!a)
        a = find_in(global_attrs, name);
    if (!a && strncmp(name, "aria-", 5) == 0) {
        size_t len = strlen(name + 5);
        for (const char *p = aria_names; (p = strstr(p, name + 5)) != NULL; p++)
            if (len && p[-1] == ' ' && p[len] == ' ')
                return &aria;
    }
    return a;
}

/* ==================== the walk and its helpers ==================== */

typedef struct walk {
    const bk_sanitize_ctx *ctx; /* never NULL */
    bk_diags *diags;
    xmlNodePtr root;
    int file_line; /* the current Markdown line as a file line; 0 = none yet */
} walk;

static void warn(walk *w, const char *fmt, ...) BK_PRINTF(2, 3);
static void warn(walk *w, const char *fmt, ...)
{
    if (!w->diags)
        return;
    bk_loc loc = { w->ctx->file, w->file_line, 0 };
    va_list ap;
    va_start(ap, fmt);
    bk_diags_vadd(w->diags, BK_WARNING, loc, fmt, ap);
    va_end(ap);
}

static void set_md_line(walk *w, long md_line)
{
    int line = (int)md_line;
    if (w->ctx->file_line)
        line = w->ctx->file_line(w->ctx->ud, line);
    w->file_line = line > 0 ? line : 0;
}

static void set_line(const walk *w, xmlNodePtr n)
{
    bk_dom_set_line(n, w->file_line);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Parse the integer that fills s (blanks around it allowed, as HTML does). */
static bool int_value(const char *s, long min, long max, long *out)
{
    while (is_blank(*s))
        s++;
    /* strtol would also take a '+' or inner blanks; HTML takes neither. */
    if (!(*s == '-' || (*s >= '0' && *s <= '9')))
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s)
        return false;
    while (is_blank(*end))
        end++;
    if (*end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* The element after n's subtree in document order, inside root. */
static xmlNodePtr after(const walk *w, xmlNodePtr n)
{
    for (; n && n != w->root; n = n->parent)
        if (n->next)
            return n->next;
    return NULL;
}

/* Make n's children its next siblings. Done by hand: xmlAddNextSibling
 * merges text nodes, freeing nodes we still point at. */
static void hoist_children(xmlNodePtr n)
{
    xmlNodePtr first = n->children, last = n->last;
    if (!first)
        return;
    for (xmlNodePtr c = first; c; c = c->next)
        c->parent = n->parent;
    last->next = n->next;
    if (n->next)
        n->next->prev = last;
    else
        n->parent->last = last;
    first->prev = n;
    n->next = first;
    n->children = n->last = NULL;
}

/* Remove n and its subtree; returns the node to visit next. */
static xmlNodePtr drop(const walk *w, xmlNodePtr n)
{
    xmlNodePtr next = after(w, n);
    xmlUnlinkNode(n);
    xmlFreeNode(n);
    return next;
}

/* Replace n by its children, which are visited next. */
static xmlNodePtr unwrap(const walk *w, xmlNodePtr n)
{
    hoist_children(n);
    return drop(w, n);
}

static bool has_plain_attr(xmlNodePtr n, const char *name)
{
    for (xmlAttrPtr a = n->properties; a; a = a->next)
        if (!a->ns && strcmp((const char *)a->name, name) == 0)
            return true;
    return false;
}

static bool is_handler(const char *name)
{
    return bk_ascii_lower(name[0]) == 'o' && bk_ascii_lower(name[1]) == 'n';
}

/* A block's Markdown line (dom.h), or from the HTML route its
 * data-sourcepos="L:C-L:C", sets the current line; the attribute goes. */
static void take_sourcepos(walk *w, xmlNodePtr n)
{
    long md = bk_dom_take_md_line(n);
    if (md) {
        set_md_line(w, md);
        return;
    }
    for (xmlAttrPtr a = n->properties; a; a = a->next) {
        if (a->ns || strcmp((const char *)a->name, "data-sourcepos") != 0)
            continue;
        xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
        char *end = NULL;
        long line = 0;
        if (v) {
            errno = 0;
            line = strtol((const char *)v, &end, 10);
        }
        if (v && !errno && end != (char *)v && *end == ':' && line > 0 && line <= 0x7fffffff)
            set_md_line(w, line);
        xmlFree(v);
        xmlRemoveProp(a);
        return;
    }
}

/* ==================== URLs and styles ==================== */

/* The URL as a browser reads it: no blanks or control characters around
 * it, and no tabs or newlines inside (WHATWG URL parsing drops those, which
 * is how 'java&#x09;script:' still runs). Other controls cannot be in XML. */
static void clean_url(bk_buf *out, const char *v)
{
    size_t start = 0, end = strlen(v);
    while (start < end && ((unsigned char)v[start] <= 0x20 || v[start] == 0x7f))
        start++;
    while (end > start && ((unsigned char)v[end - 1] <= 0x20 || v[end - 1] == 0x7f))
        end--;
    for (size_t i = start; i < end; i++)
        if ((unsigned char)v[i] >= 0x20 && v[i] != 0x7f)
            bk_buf_addc(out, v[i]);
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The scheme of a cleaned URL, lowercased into buf ("" when relative). */
static const char *url_scheme(const char *u, char *buf, size_t cap)
{
    size_t i = 0;
    buf[0] = '\0';
    if (!is_alpha(u[0]))
        return buf;
    while (is_alpha(u[i]) || (u[i] >= '0' && u[i] <= '9') || u[i] == '+' || u[i] == '-' ||
           u[i] == '.')
        i++;
    if (u[i] != ':' || i >= cap)
        return buf;
    for (size_t k = 0; k < i; k++)
        buf[k] = bk_ascii_lower(u[k]);
    buf[i] = '\0';
    return buf;
}

/* data: images a reader can show; anything else could be a page. */
static bool is_data_image(const char *u)
{
    static const char *const types[] = { "image/png", "image/jpeg", "image/gif", "image/webp",
                                         "image/svg+xml" };
    const char *p = u + 5; /* after "data:" */
    for (size_t i = 0; i < BK_ARRAY_LEN(types); i++) {
        size_t n = strlen(types[i]);
        bool same = true;
        for (size_t k = 0; k < n && same; k++)
            same = p[k] && bk_ascii_lower(p[k]) == types[i][k];
        if (same && (p[n] == ';' || p[n] == ','))
            return true;
    }
    return false;
}

/* What the URL attribute is, for the warning. */
static const char *url_role(const char *attr)
{
    if (strcmp(attr, "href") == 0)
        return "link";
    return strcmp(attr, "src") == 0 ? "image source" : "citation URL";
}

/* The cleaned URL in out, or false (after a warning) when it must go. */
static bool check_url(walk *w, const char *attr, const char *v, bk_buf *out)
{
    char scheme[16];
    clean_url(out, v);
    /* An empty href links to the page itself; an empty src or cite is an
     * error in HTML, and a later stage would have to guess what it means. */
    if (!out->len)
        return strcmp(attr, "href") == 0;
    url_scheme(out->ptr, scheme, sizeof(scheme));
    bool bad =
        strcmp(scheme, "javascript") == 0 || strcmp(scheme, "vbscript") == 0 ||
        strcmp(scheme, "file") == 0 ||
        (strcmp(scheme, "data") == 0 && !(strcmp(attr, "src") == 0 && is_data_image(out->ptr)));
    if (bad)
        warn(w, "removed '%s:' %s", scheme, url_role(attr));
    return !bad;
}

/* What makes a style unsafe: it loads a resource or runs code. NULL if
 * safe. Escapes and comments can spell any of these, so a backslash is
 * refused outright, and comments and blanks are ignored when matching. */
const char *bk_sanitize_style_danger(const char *v)
{
    static const char *const needles[] = { "url(",        "image(",    "image-set(", "expression(",
                                           "javascript:", "vbscript:", "@import" };
    const char *found = NULL;
    /* Every needle holds '(' or '@' or "script:" ('p'), and taking comments
     * and blanks out cannot make one: a value without them (text-align:
     * left, on every table cell) is safe as it is. */
    if (!strpbrk(v, "(@pP\\"))
        return NULL;
    if (strchr(v, '\\'))
        return "\\";
    bk_buf flat = BK_BUF_INIT;
    for (const char *p = v; *p; p++) {
        if (p[0] == '/' && p[1] == '*') {
            const char *close = strstr(p + 2, "*/");
            if (!close)
                break;
            p = close + 1;
        } else if ((unsigned char)*p > 0x20) {
            bk_buf_addc(&flat, bk_ascii_lower(*p));
        }
    }
    for (size_t i = 0; i < BK_ARRAY_LEN(needles) && !found; i++)
        if (strstr(flat.ptr, needles[i]))
            found = needles[i];
    bk_buf_release(&flat);
    return found;
}

/* ==================== attributes ==================== */

/* align="x" as a text-align value, or NULL. */
static const char *align_value(const char *v)
{
    static const char *const ok[] = { "left", "right", "center", "justify" };
    bk_str s = bk_str_trim(bk_str_from(v));
    for (size_t i = 0; i < BK_ARRAY_LEN(ok); i++)
        if (bk_str_caseeq(s, ok[i]))
            return ok[i];
    return NULL;
}

/* The value an attribute of this kind should have, into out; false when it
 * must go (after a warning when the author will miss it). */
static bool check_value(walk *w, const char *name, enum attr_kind kind, const char *v, bk_buf *out)
{
    static const char *const dirs[] = { "ltr", "rtl", "auto" };
    static const char *const scopes[] = { "row", "col", "rowgroup", "colgroup" };
    bk_str s = bk_str_trim(bk_str_from(v));
    long n;
    switch (kind) {
    case A_TEXT:
    case A_NAME:
        bk_buf_adds(out, v);
        return true;
    case A_URL:
        return check_url(w, name, v, out);
    case A_STYLE: {
        const char *bad = bk_sanitize_style_danger(v);
        if (bad) {
            warn(w, "removed 'style' attribute containing '%s'", bad);
            return false;
        }
        bk_buf_adds(out, v);
        return true;
    }
    case A_DIR:
    case A_SCOPE: {
        const char *const *list = kind == A_DIR ? dirs : scopes;
        size_t len = kind == A_DIR ? BK_ARRAY_LEN(dirs) : BK_ARRAY_LEN(scopes);
        for (size_t i = 0; i < len; i++) {
            if (bk_str_caseeq(s, list[i])) {
                bk_buf_adds(out, list[i]);
                return true;
            }
        }
        return false;
    }
    case A_COUNT:
    case A_SIZE:
    case A_INT:
        if (!int_value(v, kind == A_COUNT ? 1 : kind == A_SIZE ? 0 : -2147483647L, 2147483647L, &n))
            return false;
        bk_buf_addf(out, "%ld", n);
        return true;
    case A_BOOL:
        bk_buf_adds(out, name);
        return true;
    case A_OLTYPE:
        if (s.len != 1 || !strchr("1aAiI", s.p[0]))
            return false;
        bk_buf_addc(out, s.p[0]);
        return true;
    case A_INPUT_TYPE:
        if (!bk_str_caseeq(s, "checkbox"))
            return false;
        bk_buf_adds(out, "checkbox");
        return true;
    }
    return false;
}

/* A legacy anchor name that can serve as an id. */
static bool usable_id(const char *v)
{
    if (!*v)
        return false;
    for (; *v; v++)
        if (is_blank(*v))
            return false;
    return true;
}

/* Keep only the allowed attributes of a kept element, with safe values. */
static void clean_attrs(walk *w, xmlNodePtr n, const tag_rule *r)
{
    const char *align = (r->flags & TAG_CENTER) ? "center" : NULL;
    bk_buf style = BK_BUF_INIT, val = BK_BUF_INIT;
    char *anchor = NULL; /* a legacy name="..." */
    bool has_id = false, has_style = false;
    for (xmlAttrPtr a = n->properties, next; a; a = next) {
        next = a->next;
        const char *name = (const char *)a->name;
        if (a->ns) {
            /* xml:lang is the only namespaced attribute HTML knows. */
            if (!(a->ns->href && xmlStrEqual(a->ns->href, XML_XML_NAMESPACE) &&
                  strcmp(name, "lang") == 0))
                xmlRemoveProp(a);
            continue;
        }
        if (is_handler(name)) {
            warn(w, "removed event-handler attribute '%s'", name);
            xmlRemoveProp(a);
            continue;
        }
        const attr_rule *ar = find_attr(r, name);
        xmlChar *v = xmlNodeGetContent((xmlNodePtr)a); /* NULL only without memory */
        bk_buf_reset(&val);
        if (!ar || !v) {
            if (v && (r->flags & TAG_ALIGN) && strcmp(name, "align") == 0 &&
                align_value((const char *)v))
                align = align_value((const char *)v);
            xmlRemoveProp(a);
        } else if (!check_value(w, name, ar->kind, (const char *)v, &val)) {
            xmlRemoveProp(a);
        } else if (ar->kind == A_NAME) {
            if (!anchor && usable_id(val.ptr))
                anchor = bk_xstrdup(val.ptr);
            xmlRemoveProp(a);
        } else {
            if (strcmp((const char *)v, val.ptr) != 0)
                xmlSetProp(n, a->name, (const xmlChar *)val.ptr);
            has_id |= strcmp(name, "id") == 0;
            if (ar->kind == A_STYLE) {
                has_style = true;
                bk_buf_adds(&style, val.ptr);
            }
        }
        xmlFree(v);
    }
    if (anchor && !has_id)
        xmlSetProp(n, BAD_CAST "id", (const xmlChar *)anchor);
    if (align) {
        /* The author's style comes last, so it wins over the old align. */
        bk_str rest = bk_str_trim((bk_str){ style.ptr, style.len });
        bk_buf_reset(&val);
        bk_buf_addf(&val, "text-align: %s", align);
        if (has_style && rest.len) {
            bk_buf_adds(&val, "; ");
            bk_buf_add(&val, rest.p, rest.len);
        }
        xmlSetProp(n, BAD_CAST "style", (const xmlChar *)val.ptr);
    }
    free(anchor);
    bk_buf_release(&style);
    bk_buf_release(&val);
}

/* Warn about the event handlers of an element that is unwrapped: the
 * author wrote code that will not run. */
static void warn_handlers(walk *w, xmlNodePtr n)
{
    for (xmlAttrPtr a = n->properties; a; a = a->next)
        if (!a->ns && is_handler((const char *)a->name))
            warn(w, "removed event-handler attribute '%s'", (const char *)a->name);
}

/* ==================== nodes ==================== */

/* A GFM task-list box: <input type="checkbox" disabled>. */
static bool is_task_box(xmlNodePtr n)
{
    bool checkbox = false, disabled = false;
    for (xmlAttrPtr a = n->properties; a; a = a->next) {
        if (a->ns)
            continue;
        if (strcmp((const char *)a->name, "type") == 0) {
            xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
            checkbox = v && bk_str_caseeq(bk_str_trim(bk_str_from((const char *)v)), "checkbox");
            xmlFree(v);
        } else if (strcmp((const char *)a->name, "disabled") == 0) {
            disabled = true;
        }
    }
    return checkbox && disabled;
}

/* Remove the direct <source> and <track> children of a media element or a
 * picture; what the parser nested inside them is kept. */
static void drop_sources(xmlNodePtr n)
{
    for (xmlNodePtr c = n->children, next; c; c = next) {
        const tag_rule *r = c->type == XML_ELEMENT_NODE ? find_tag(c->name) : NULL;
        if (r && (strcmp(r->name, "source") == 0 || strcmp(r->name, "track") == 0)) {
            hoist_children(c);
            next = c->next;
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        } else {
            next = c->next;
        }
    }
}

static xmlNodePtr keep_element(walk *w, xmlNodePtr n, const tag_rule *r)
{
    const char *name = r->rename ? r->rename : r->name;
    if (strcmp((const char *)n->name, name) != 0)
        xmlNodeSetName(n, (const xmlChar *)name);
    clean_attrs(w, n, r);
    if ((r->flags & TAG_NEEDSRC) && !has_plain_attr(n, "src"))
        return drop(w, n);
    return n->children ? n->children : after(w, n);
}

static xmlNodePtr visit_element(walk *w, xmlNodePtr n)
{
    take_sourcepos(w, n);
    set_line(w, n);
    const tag_rule *r = find_tag(n->name);
    if (r && (r->flags & TAG_VOID))
        hoist_children(n);
    switch (r ? r->action : TAG_UNWRAP) {
    case TAG_KEEP:
        return keep_element(w, n, r);
    case TAG_TASKBOX:
        if (is_task_box(n))
            return keep_element(w, n, r);
        warn(w, "removed <%s> element (%s)", r->name, r->why);
        return drop(w, n);
    case TAG_DROP:
        warn(w, "removed <%s> element (%s)", r->name, r->why);
        return drop(w, n);
    case TAG_FOREIGN:
        warn(w, "inline <%s> is not supported; use an image file", r->name);
        return drop(w, n);
    case TAG_MEDIA:
        warn(w, "removed <%s> element (%s)", r->name, r->why);
        if (r->flags & TAG_SOURCES)
            drop_sources(n);
        return unwrap(w, n);
    default: /* TAG_UNWRAP */
        warn_handlers(w, n);
        if (r && (r->flags & TAG_SOURCES))
            drop_sources(n);
        return unwrap(w, n);
    }
}

/* Can text be written as an XML comment? (no "--", no final '-') */
static bool xml_comment_ok(const char *t)
{
    size_t len = strlen(t);
    return !strstr(t, "--") && (len == 0 || t[len - 1] != '-');
}

static xmlNodePtr visit_comment(walk *w, xmlNodePtr n)
{
    const char *t = n->content ? (const char *)n->content : "";
    long line;
    if (strncmp(t, "bk-line:", 8) == 0) {
        if (int_value(t + 8, 1, 0x7fffffff, &line))
            set_md_line(w, line);
        return drop(w, n);
    }
    /* Other bk- comments are notes from premd for the converter. */
    if (strncmp(t, "bk-", 3) == 0 && xml_comment_ok(t)) {
        set_line(w, n);
        return after(w, n);
    }
    return drop(w, n);
}

/* An entity reference (only in XML input) hides its content from the walk,
 * and that content could be markup: keep just its text, visited next. */
static xmlNodePtr flatten_entity(const walk *w, xmlNodePtr n)
{
    xmlChar *text = xmlNodeGetContent(n);
    if (!text || !*text) {
        xmlFree(text);
        return drop(w, n);
    }
    xmlNodePtr t = xmlNewDocText(n->doc, text);
    xmlFree(text);
    xmlReplaceNode(n, t);
    xmlFreeNode(n);
    return t;
}

int bk_sanitize(xmlNodePtr root, const bk_sanitize_ctx *ctx, bk_diags *d)
{
    static const bk_sanitize_ctx no_ctx = { NULL, NULL, NULL };
    walk w = { ctx ? ctx : &no_ctx, d, root, 0 };
    xmlNodePtr n = root ? root->children : NULL;
    while (n) {
        switch (n->type) {
        case XML_ELEMENT_NODE:
            n = visit_element(&w, n);
            break;
        case XML_TEXT_NODE: {
            xmlNodePtr next = after(&w, n), prev = n->prev;
            /* Unwrapping leaves runs of text nodes; later stages (smart
             * quotes, hyphenation) see words whole when they are one. */
            if (prev && prev->type == XML_TEXT_NODE && prev->name == n->name)
                xmlTextMerge(prev, n);
            else
                set_line(&w, n);
            n = next;
            break;
        }
        case XML_COMMENT_NODE:
            n = visit_comment(&w, n);
            break;
        case XML_CDATA_SECTION_NODE:
            set_line(&w, n);
            n = after(&w, n);
            break;
        case XML_ENTITY_REF_NODE:
            n = flatten_entity(&w, n);
            break;
        default:
            /* Processing instructions (<?php ?>) and the like: the HTML
             * parser keeps them, but they are not content. */
            n = drop(&w, n);
            break;
        }
    }
    return 0;
}
