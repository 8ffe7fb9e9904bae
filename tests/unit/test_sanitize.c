/* Unit tests: the sanitiser against each hostile form, the allow-lists, the
 * line numbers it leaves on nodes, and trees too deep for recursion. */
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <stdlib.h>

#include "bookify/sanitize.h"
#include "harness.h"

static bk_diags d;
static bk_buf out;
static htmlDocPtr doc;

/* File lines are Markdown lines + 10, as if the body started on line 11. */
static int plus_ten(void *ud, int md_line)
{
    (void)ud;
    return md_line + 10;
}

static xmlNodePtr body_of(htmlDocPtr h)
{
    xmlNodePtr html = xmlDocGetRootElement(h);
    for (xmlNodePtr c = html ? html->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "body") == 0)
            return c;
    return NULL;
}

static void serialise(xmlDocPtr x, xmlNodePtr parent)
{
    xmlBufferPtr b = xmlBufferCreate();
    for (xmlNodePtr c = parent->children; c; c = c->next)
        xmlNodeDump(b, x, c, 0, 0);
    bk_buf_reset(&out);
    bk_buf_adds(&out, (const char *)xmlBufferContent(b));
    xmlBufferFree(b);
}

/* Parse html as the converter does, sanitise the body and return its
 * children serialised. The tree stays in `doc` until the next call. */
static const char *san(const char *html)
{
    bk_diags_release(&d);
    xmlFreeDoc(doc);
    bk_buf page = BK_BUF_INIT;
    bk_buf_addf(&page, "<!DOCTYPE html><html><head></head><body>%s</body></html>", html);
    doc = htmlReadMemory(page.ptr, (int)page.len, NULL, "UTF-8",
                         HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    bk_buf_release(&page);
    xmlNodePtr body = body_of(doc);
    bk_sanitize_ctx ctx = { "post.md", plus_ten, NULL };
    CHECK_INT(bk_sanitize(body, &ctx, &d), 0);
    serialise(doc, body);
    return out.ptr;
}

/* Diagnostic i is a warning at line with this message. */
static void warning(size_t i, int line, const char *msg)
{
    CHECK(i < d.len);
    if (i >= d.len)
        return;
    CHECK_INT(d.items[i].severity, BK_WARNING);
    CHECK_STR(d.items[i].file, "post.md");
    CHECK_INT(d.items[i].line, line);
    CHECK_STR(d.items[i].message, msg);
}

static void one_warning(int line, const char *msg)
{
    CHECK_INT(d.len, 1);
    warning(0, line, msg);
}

/* ==================== removed elements ==================== */

static void test_script(void)
{
    CHECK_STR(san("<p data-sourcepos=\"3:1-3:9\">a</p>\n<!--bk-line:4--><script>alert(1)</script>\n"
                  "<p data-sourcepos=\"5:1-5:1\">b</p>"),
              "<p>a</p>\n\n<p>b</p>");
    one_warning(14, "removed <script> element (scripts do not run in books)");
    /* Inline, inside a paragraph, with a src. */
    CHECK_STR(san("<p data-sourcepos=\"2:1-2:40\">x <script src=\"evil.js\"></script>y</p>"),
              "<p>x y</p>");
    one_warning(12, "removed <script> element (scripts do not run in books)");
}

static void test_style(void)
{
    CHECK_STR(san("<!--bk-line:2--><style>p { color: red }</style><p>a</p>"), "<p>a</p>");
    one_warning(12, "removed <style> element (posts cannot restyle the book)");
}

static void test_iframe(void)
{
    CHECK_STR(san("<!--bk-line:7--><iframe src=\"https://youtube.com/embed/x\">no frames</iframe>"),
              "");
    one_warning(17, "removed <iframe> element (embedded pages cannot be shown in a book)");
}

static void test_object(void)
{
    CHECK_STR(san("<!--bk-line:1--><object data=\"a.swf\"><param name=\"q\" value=\"1\">"
                  "<embed src=\"a.swf\">old</object><p>after</p>"),
              "<p>after</p>");
    one_warning(11, "removed <object> element (plugins cannot run in a book)");
    CHECK_STR(san("<!--bk-line:2--><applet code=\"A.class\">x</applet>"), "");
    one_warning(12, "removed <applet> element (plugins cannot run in a book)");
}

static void test_embed(void)
{
    /* libxml2 2.9 thinks <embed> has content and nests "b" inside it; the
     * text belongs after it and stays, as one text node. */
    CHECK_STR(san("<p data-sourcepos=\"6:1-6:30\">a<embed src=\"x.swf\">b</p>"), "<p>ab</p>");
    one_warning(16, "removed <embed> element (plugins cannot run in a book)");
    xmlNodePtr p = body_of(doc)->children;
    CHECK(p->children && p->children == p->last);
}

static void test_form(void)
{
    CHECK_STR(san("<!--bk-line:3--><form action=\"/subscribe\"><label>Mail <input type=\"email\">"
                  "</label><button>Go</button></form><p>after</p>"),
              "<p>after</p>");
    one_warning(13, "removed <form> element (forms do not work in a book)");
    /* Controls outside a form: one warning each. */
    CHECK_STR(san("<p data-sourcepos=\"1:1-1:50\">a<input type=\"text\" value=\"x\">b"
                  "<button onclick=\"go()\">c</button>d<select><option>o</option></select>e"
                  "<textarea>t</textarea>f</p>"),
              "<p>abdef</p>");
    CHECK_INT(d.len, 4);
    warning(0, 11, "removed <input> element (forms do not work in a book)");
    warning(1, 11, "removed <button> element (forms do not work in a book)");
    warning(2, 11, "removed <select> element (forms do not work in a book)");
    warning(3, 11, "removed <textarea> element (forms do not work in a book)");
}

static void test_frames_and_metadata(void)
{
    CHECK_STR(san("<p>a</p><!--bk-line:2--><link rel=\"stylesheet\" href=\"x.css\">"
                  "<meta http-equiv=\"refresh\" content=\"0\"><base href=\"http://x/\">"
                  "<template><p>t</p></template>"),
              "<p>a</p>");
    CHECK_INT(d.len, 4);
    warning(0, 12, "removed <link> element (page metadata does not apply inside a book)");
    warning(1, 12, "removed <meta> element (page metadata does not apply inside a book)");
    warning(2, 12, "removed <base> element (page metadata does not apply inside a book)");
    warning(3, 12, "removed <template> element (template content is never shown)");
}

static void test_svg_math(void)
{
    CHECK_STR(san("<!--bk-line:5--><svg viewBox=\"0 0 10 10\"><path d=\"M0 0\"/>"
                  "<script>x()</script></svg><p>after</p>"),
              "<p>after</p>");
    one_warning(15, "inline <svg> is not supported; use an image file");
    CHECK_STR(san("<!--bk-line:1--><math><mi>x</mi></math>"), "");
    one_warning(11, "inline <math> is not supported; use an image file");
}

static void test_media(void)
{
    /* Media goes, its text fallback stays; its sources go silently. */
    CHECK_STR(san("<!--bk-line:8--><video controls src=\"a.mp4\"><source src=\"a.webm\">"
                  "<track src=\"a.vtt\">Your browser cannot play <a href=\"a.mp4\">this</a>"
                  "</video>"),
              "Your browser cannot play <a href=\"a.mp4\">this</a>");
    one_warning(18, "removed <video> element (a book cannot play media)");
    CHECK_STR(san("<!--bk-line:1--><audio src=\"a.mp3\"></audio>"), "");
    one_warning(11, "removed <audio> element (a book cannot play media)");
    CHECK_STR(san("<!--bk-line:1--><canvas id=\"c\">A chart</canvas>"), "A chart");
    one_warning(11, "removed <canvas> element (a book cannot run the script that draws it)");
    /* A picture is its <img>: no warning at all. */
    CHECK_STR(san("<p><picture><source srcset=\"a.webp\" type=\"image/webp\">"
                  "<img src=\"a.jpg\" alt=\"A\"></picture></p>"),
              "<p><img src=\"a.jpg\" alt=\"A\"/></p>");
    CHECK_INT(d.len, 0);
    /* A stray <source> is warned about; what the parser nested in it stays. */
    CHECK_STR(san("<!--bk-line:2--><source src=\"a.mp3\">text"), "text");
    one_warning(12, "removed <source> element (a book cannot play media)");
}

static void test_noscript_dialog(void)
{
    CHECK_STR(san("<noscript><p>Enable <b>JS</b></p></noscript><dialog open>d</dialog>"),
              "<p>Enable <b>JS</b></p>d");
    CHECK_INT(d.len, 0);
}

/* ==================== unwrapped and renamed elements ==================== */

static void test_unknown_unwrapped(void)
{
    CHECK_STR(san("<p>a <blink>b</blink> <Callout type=\"x\">c <em>d</em></Callout> "
                  "<marquee>e</marquee> <font color=\"red\">f</font></p>"),
              "<p>a b c <em>d</em> e f</p>");
    CHECK_INT(d.len, 0);
    /* Text left by unwrapping is merged: "a b c " is one node. */
    xmlNodePtr p = body_of(doc)->children;
    CHECK_STR((const char *)p->children->content, "a b c ");
    /* A handler on an unwrapped element is still worth a word. */
    CHECK_STR(san("<!--bk-line:4--><MyButton onClick=\"go\">Go</MyButton>"), "Go");
    one_warning(14, "removed event-handler attribute 'onclick'");
}

static void test_renamed(void)
{
    CHECK_STR(san("<center>c</center><p><strike>s</strike> <tt>t</tt> "
                  "<acronym title=\"x\">X</acronym></p>"),
              "<div style=\"text-align: center\">c</div>"
              "<p><s>s</s> <code>t</code> <abbr title=\"x\">X</abbr></p>");
    CHECK_INT(d.len, 0);
}

static void test_void_elements(void)
{
    /* libxml2 2.9 nests what follows <wbr> inside it. */
    CHECK_STR(san("<p>super<wbr>cali<wbr>fragilistic<br>x</p>"),
              "<p>super<wbr/>cali<wbr/>fragilistic<br/>x</p>");
}

/* ==================== task lists ==================== */

static void test_task_list(void)
{
    CHECK_STR(san("<ul><li><input type=\"checkbox\" disabled=\"\" /> todo</li>"
                  "<li><input type=\"checkbox\" checked=\"\" disabled=\"\" /> done</li></ul>"),
              "<ul><li><input type=\"checkbox\" disabled=\"disabled\"/> todo</li>"
              "<li><input type=\"checkbox\" checked=\"checked\" disabled=\"disabled\"/> done</li>"
              "</ul>");
    CHECK_INT(d.len, 0);
    /* A box the reader could tick is a form control. */
    CHECK_STR(san("<!--bk-line:2--><p>a<input type=\"checkbox\" name=\"x\">b</p>"), "<p>ab</p>");
    one_warning(12, "removed <input> element (forms do not work in a book)");
}

/* ==================== attributes ==================== */

static void test_event_handlers(void)
{
    CHECK_STR(san("<p data-sourcepos=\"1:1-1:9\" onclick=\"a()\" class=\"c\">x</p>"
                  "<p data-sourcepos=\"2:1-2:9\"><img src=\"a.png\" onerror=\"b()\" alt=\"\"></p>"
                  "<div data-sourcepos=\"3:1-3:9\" onload=\"c()\" OnMouseOver=\"d()\">y</div>"),
              "<p class=\"c\">x</p><p><img src=\"a.png\" alt=\"\"/></p><div>y</div>");
    CHECK_INT(d.len, 4);
    warning(0, 11, "removed event-handler attribute 'onclick'");
    warning(1, 12, "removed event-handler attribute 'onerror'");
    warning(2, 13, "removed event-handler attribute 'onload'");
    warning(3, 13, "removed event-handler attribute 'onmouseover'");
}

static void test_javascript_urls(void)
{
    CHECK_STR(san("<!--bk-line:1--><a href=\"javascript:alert(1)\">a</a>"), "<a>a</a>");
    one_warning(11, "removed 'javascript:' link");
    CHECK_STR(san("<!--bk-line:2--><a href=\"JaVaScRiPt:alert(1)\">a</a>"), "<a>a</a>");
    one_warning(12, "removed 'javascript:' link");
    CHECK_STR(san("<!--bk-line:3--><a href=\"java&#x09;script:alert(1)\">a</a>"), "<a>a</a>");
    one_warning(13, "removed 'javascript:' link");
    CHECK_STR(san("<!--bk-line:3--><a href=\" \n java\nscr&#x0A;ipt:alert(1) \">a</a>"),
              "<a>a</a>");
    one_warning(13, "removed 'javascript:' link");
    CHECK_STR(san("<!--bk-line:4--><a href=\"VBScript:msgbox(1)\">a</a>"), "<a>a</a>");
    one_warning(14, "removed 'vbscript:' link");
    /* An <img> whose only source was a script is gone, with one warning. */
    CHECK_STR(
        san("<p data-sourcepos=\"5:1-5:9\">a<img src=\"javascript:alert(1)\" alt=\"x\">b</p>"),
        "<p>ab</p>");
    one_warning(15, "removed 'javascript:' image source");
    CHECK_STR(san("<!--bk-line:6--><blockquote cite=\"javascript:x\">q</blockquote>"),
              "<blockquote>q</blockquote>");
    one_warning(16, "removed 'javascript:' citation URL");
}

static void test_safe_urls(void)
{
    /* Ordinary links stay, trimmed; a "javascript" path is not a scheme. */
    CHECK_STR(san("<a href=\"  https://example.com/a?b=1&amp;c=2 \">a</a>"
                  "<a href=\"#sec\">b</a><a href=\"javascript-tips.html\">c</a>"
                  "<a href=\"mailto:me@example.com\">d</a><a id=\"top\">e</a>"),
              "<a href=\"https://example.com/a?b=1&amp;c=2\">a</a><a href=\"#sec\">b</a>"
              "<a href=\"javascript-tips.html\">c</a><a href=\"mailto:me@example.com\">d</a>"
              "<a id=\"top\">e</a>");
    CHECK_INT(d.len, 0);
}

static void test_data_urls(void)
{
    CHECK_STR(san("<!--bk-line:1--><a href=\"data:text/html;base64,PHNjcmlwdD4=\">a</a>"),
              "<a>a</a>");
    one_warning(11, "removed 'data:' link");
    CHECK_STR(san("<p><img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"dot\"></p>"),
              "<p><img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"dot\"/></p>");
    CHECK_INT(d.len, 0);
    CHECK_STR(san("<p><img src=\"DATA:Image/SVG+XML,%3Csvg%3E\" alt=\"s\"></p>"),
              "<p><img src=\"DATA:Image/SVG+XML,%3Csvg%3E\" alt=\"s\"/></p>");
    CHECK_INT(d.len, 0);
    CHECK_STR(san("<!--bk-line:2--><p><img src=\"data:text/html,&lt;script&gt;\" alt=\"x\"></p>"),
              "<p/>");
    one_warning(12, "removed 'data:' image source");
    /* A type that only starts like an image type is not one. */
    CHECK_STR(san("<!--bk-line:2--><p><img src=\"data:image/pngx,AAAA\"></p>"), "<p/>");
    one_warning(12, "removed 'data:' image source");
}

static void test_file_urls(void)
{
    CHECK_STR(san("<!--bk-line:9--><a href=\"file:///etc/passwd\">p</a>"
                  "<img src=\"FILE:///C:/x.png\" alt=\"x\">"),
              "<a>p</a>");
    CHECK_INT(d.len, 2);
    warning(0, 19, "removed 'file:' link");
    warning(1, 19, "removed 'file:' image source");
}

static void test_style_attr(void)
{
    CHECK_STR(san("<!--bk-line:1--><p style=\"background: url(http://x/t.png)\">a</p>"),
              "<p>a</p>");
    one_warning(11, "removed 'style' attribute containing 'url('");
    CHECK_STR(san("<!--bk-line:1--><p style=\"width: EXPRESSION (alert(1))\">a</p>"), "<p>a</p>");
    one_warning(11, "removed 'style' attribute containing 'expression('");
    CHECK_STR(san("<!--bk-line:1--><p style=\"background: u/**/rl(x)\">a</p>"), "<p>a</p>");
    one_warning(11, "removed 'style' attribute containing 'url('");
    CHECK_STR(san("<!--bk-line:1--><p style=\"background: \\75rl(x)\">a</p>"), "<p>a</p>");
    one_warning(11, "removed 'style' attribute containing '\\'");
    CHECK_STR(san("<!--bk-line:1--><span style=\"@import 'x.css'\">a</span>"), "<span>a</span>");
    one_warning(11, "removed 'style' attribute containing '@import'");
    /* no '(' or '@': only a "script:" with its 'p' (any case, split by a
     * comment or blanks) makes a value unsafe */
    CHECK_STR(san("<!--bk-line:1--><p style=\"behavior: JAVA SCRI/**/PT: x\">a</p>"), "<p>a</p>");
    one_warning(11, "removed 'style' attribute containing 'javascript:'");
    CHECK_STR(san("<!--bk-line:1--><p style=\"x: vbscript :y\">a</p>"), "<p>a</p>");
    one_warning(11, "removed 'style' attribute containing 'vbscript:'");
    CHECK(!bk_sanitize_style_danger("text-align: left") &&
          !bk_sanitize_style_danger("color: red; display: script"));
    CHECK_STR(san("<p style=\"color: red; font-weight: bold\">a</p>"),
              "<p style=\"color: red; font-weight: bold\">a</p>");
    CHECK_INT(d.len, 0);
}

static void test_attribute_allow_list(void)
{
    CHECK_STR(san("<p id=\"i\" class=\"c\" title=\"t\" lang=\"fr\" xml:lang=\"fr\" dir=\"RTL\" "
                  "role=\"note\" aria-label=\"l\" aria-bogus=\"b\" data-x=\"1\" "
                  "xmlns=\"http://x\" epub:type=\"z\" foo=\"bar\" width=\"3\">a</p>"),
              "<p id=\"i\" class=\"c\" title=\"t\" lang=\"fr\" xml:lang=\"fr\" dir=\"rtl\" "
              "role=\"note\" aria-label=\"l\">a</p>");
    CHECK_INT(d.len, 0);
    CHECK_STR(san("<p dir=\"sideways\">a</p><a href=\"x\" target=\"_blank\" rel=\"noopener\" "
                  "hreflang=\"en\" download>b</a><img src=\"i.png\" alt=\"A\" width=\" 40 \" "
                  "height=\"50%\" srcset=\"j.png 2x\" loading=\"lazy\">"),
              "<p>a</p><a href=\"x\" hreflang=\"en\">b</a>"
              "<img src=\"i.png\" alt=\"A\" width=\"40\"/>");
    CHECK_STR(san("<ol start=\"3\" type=\"a\" reversed><li value=\"-2\">x</li></ol>"
                  "<ol start=\"x\" type=\"disc\"><li value=\"1.5\">y</li></ol>"),
              "<ol start=\"3\" type=\"a\" reversed=\"reversed\"><li value=\"-2\">x</li></ol>"
              "<ol><li>y</li></ol>");
    CHECK_STR(san("<table border=\"1\"><tr><th scope=\"COL\" colspan=\"2\" width=\"9\">h</th>"
                  "</tr><tr><td align=\"center\" rowspan=\"0\">1</td>"
                  "<td align=\"right\" style=\"color: red\" colspan=\"0\">2</td>"
                  "<td align=\"middle\">3</td></tr></table>"),
              "<table><tr><th scope=\"col\" colspan=\"2\">h</th></tr>"
              "<tr><td rowspan=\"0\" style=\"text-align: center\">1</td>"
              "<td style=\"text-align: right; color: red\">2</td><td>3</td></tr></table>");
    CHECK_STR(san("<p align=\"center\"><img src=\"x.png\" align=\"left\"></p>"
                  "<time datetime=\"2020-01-01\">then</time><details open><summary>s</summary>"
                  "</details><del cite=\"c.html\" datetime=\"2020\">d</del>"),
              "<p style=\"text-align: center\"><img src=\"x.png\"/></p>"
              "<time datetime=\"2020-01-01\">then</time>"
              "<details open=\"open\"><summary>s</summary></details>"
              "<del cite=\"c.html\" datetime=\"2020\">d</del>");
    CHECK_INT(d.len, 0);
}

static void test_legacy_anchor(void)
{
    CHECK_STR(san("<a name=\"old\">x</a><a name=\"n\" id=\"i\">y</a><a name=\"two words\">z</a>"),
              "<a id=\"old\">x</a><a id=\"i\">y</a><a>z</a>");
    CHECK_INT(d.len, 0);
}

static void test_img_without_src(void)
{
    CHECK_STR(san("<p>a<img alt=\"nothing\">b<img src=\" \" alt=\"blank\"></p>"), "<p>ab</p>");
    CHECK_INT(d.len, 0);
}

/* ==================== comments and lines ==================== */

static void test_comments(void)
{
    CHECK_STR(san("<p>a<!--more-->b</p><!-- TODO --><!--bk-ial .x #y--><!--bk-x -- y-->"
                  "<?php echo 1; ?><p>c</p>"),
              "<p>ab</p><!--bk-ial .x #y--><p>c</p>");
    CHECK_INT(d.len, 0);
}

static void test_lines(void)
{
    san("<p>before</p>"
        "<h1 data-sourcepos=\"1:1-1:7\">Title</h1>\n"
        "<p data-sourcepos=\"3:1-4:5\">one <em>two</em></p>\n"
        "<!--bk-line:6--><div class=\"raw\"><span>raw</span></div>\n"
        "<!--bk-ial .k-->"
        "<ul data-sourcepos=\"8:1-9:5\">\n<li data-sourcepos=\"9:1-9:5\">item</li>\n</ul>"
        "<p data-sourcepos=\"70000:1-70000:2\">far</p>");
    xmlNodePtr body = body_of(doc);
    xmlNodePtr p0 = body->children;
    CHECK_INT(xmlGetLineNo(p0), 0); /* nothing said yet */
    xmlNodePtr h1 = p0->next;
    CHECK_STR((const char *)h1->name, "h1");
    CHECK(!xmlHasProp(h1, BAD_CAST "data-sourcepos"));
    CHECK_INT(xmlGetLineNo(h1), 11);
    CHECK_INT(xmlGetLineNo(h1->children), 11);
    xmlNodePtr p = h1->next->next;
    CHECK_INT(xmlGetLineNo(p), 13);
    CHECK_INT(xmlGetLineNo(p->last), 13);           /* <em> */
    CHECK_INT(xmlGetLineNo(p->last->children), 13); /* "two" */
    xmlNodePtr div = p->next->next;
    CHECK_STR((const char *)div->name, "div");
    CHECK_INT(xmlGetLineNo(div), 16);
    CHECK_INT(xmlGetLineNo(div->children->children), 16);
    xmlNodePtr ial = div->next->next;
    CHECK_INT(ial->type, XML_COMMENT_NODE);
    CHECK_INT(xmlGetLineNo(ial), 16);
    xmlNodePtr ul = ial->next;
    CHECK_INT(xmlGetLineNo(ul), 18);
    CHECK_INT(xmlGetLineNo(ul->children->next), 19);
    xmlNodePtr far = ul->next;
    CHECK_INT(far->line, 65535); /* clamped: xmlNode.line is 16 bits */
    CHECK_INT(d.len, 0);
    serialise(doc, body);
    CHECK(strstr(out.ptr, "sourcepos") == NULL && strstr(out.ptr, "bk-line") == NULL);
}

/* Without a context lines are Markdown lines; without diags nothing is said. */
static void test_null_ctx(void)
{
    htmlDocPtr h = htmlReadMemory("<body><!--bk-line:7--><p onclick=\"x\">a</p></body>", 48, NULL,
                                  "UTF-8", HTML_PARSE_NONET | HTML_PARSE_NOERROR);
    xmlNodePtr body = body_of(h);
    CHECK_INT(bk_sanitize(body, NULL, NULL), 0);
    CHECK_INT(xmlGetLineNo(body->children), 7);
    CHECK(!xmlHasProp(body->children, BAD_CAST "onclick"));
    xmlFreeDoc(h);
    CHECK_INT(bk_sanitize(NULL, NULL, NULL), 0);
}

/* ==================== tables of elements ==================== */

/* Every allowed element survives; every removed one is warned about. This
 * also checks that the rule table is sorted for bsearch. */
static void test_every_element(void)
{
    static const char *const kept[] = {
        "section",  "header",     "footer",  "article", "aside",      "nav",    "main",
        "p",        "div",        "h1",      "h2",      "h3",         "h4",     "h5",
        "h6",       "blockquote", "pre",     "ul",      "ol",         "li",     "dl",
        "dt",       "dd",         "hr",      "figure",  "figcaption", "table",  "caption",
        "colgroup", "col",        "thead",   "tbody",   "tfoot",      "tr",     "th",
        "td",       "details",    "summary", "address", "a",          "abbr",   "b",
        "bdi",      "bdo",        "br",      "cite",    "code",       "data",   "del",
        "dfn",      "em",         "i",       "img",     "ins",        "kbd",    "mark",
        "q",        "s",          "samp",    "small",   "span",       "strong", "sub",
        "sup",      "time",       "u",       "var",     "wbr",        "ruby",   "rt",
        "rp",       "input",
    };
    static const char *const removed[] = {
        "script", "style",    "iframe",   "object",   "embed",    "applet", "form",     "button",
        "select", "textarea", "option",   "optgroup", "fieldset", "legend", "label",    "datalist",
        "output", "frame",    "frameset", "link",     "meta",     "base",   "template", "svg",
        "math",   "audio",    "video",    "source",   "track",    "canvas", "keygen",
    };
    xmlDocPtr x = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = xmlNewNode(NULL, BAD_CAST "body");
    xmlDocSetRootElement(x, root);
    for (size_t i = 0; i < BK_ARRAY_LEN(kept); i++) {
        xmlNodePtr e = xmlNewChild(root, NULL, BAD_CAST kept[i], NULL);
        if (strcmp(kept[i], "img") == 0)
            xmlSetProp(e, BAD_CAST "src", BAD_CAST "a.png");
        if (strcmp(kept[i], "input") == 0) {
            xmlSetProp(e, BAD_CAST "type", BAD_CAST "checkbox");
            xmlSetProp(e, BAD_CAST "disabled", BAD_CAST "");
        }
    }
    for (size_t i = 0; i < BK_ARRAY_LEN(removed); i++)
        xmlNewChild(root, NULL, BAD_CAST removed[i], NULL);
    xmlNewChild(root, NULL, BAD_CAST "STRONG", BAD_CAST "upper");
    bk_diags_release(&d);
    bk_sanitize(root, NULL, &d);
    size_t i = 0;
    for (xmlNodePtr c = root->children; c; c = c->next, i++) {
        const char *want = i < BK_ARRAY_LEN(kept) ? kept[i] : "strong";
        CHECK_STR((const char *)c->name, want);
    }
    CHECK_INT(i, BK_ARRAY_LEN(kept) + 1);
    CHECK_INT(d.len, BK_ARRAY_LEN(removed));
    for (i = 0; i < d.len && i < BK_ARRAY_LEN(removed); i++) {
        char tag[32];
        snprintf(tag, sizeof(tag), "<%s>", removed[i]);
        CHECK(strstr(d.items[i].message, tag) != NULL);
    }
    xmlFreeDoc(x);
}

/* An element of an XHTML document: namespaced attributes, CDATA. */
static void test_xhtml_input(void)
{
    static const char xhtml[] = "<section xmlns=\"http://www.w3.org/1999/xhtml\" "
                                "xmlns:epub=\"http://www.idpf.org/2007/ops\">"
                                "<P epub:type=\"x\" xml:lang=\"en\" onclick=\"x()\">a</P>"
                                "<svg xmlns=\"http://www.w3.org/2000/svg\"><path d=\"M0\"/></svg>"
                                "<pre><![CDATA[<b>]]></pre></section>";
    xmlDocPtr x = xmlReadMemory(xhtml, (int)strlen(xhtml), NULL, "UTF-8", XML_PARSE_NONET);
    xmlNodePtr root = xmlDocGetRootElement(x);
    bk_diags_release(&d);
    bk_sanitize_ctx ctx = { "post.md", plus_ten, NULL };
    bk_sanitize(root, &ctx, &d);
    serialise(x, root);
    CHECK_STR(out.ptr, "<p xml:lang=\"en\">a</p><pre><![CDATA[<b>]]></pre>");
    CHECK_INT(d.len, 2);
    warning(0, 0, "removed event-handler attribute 'onclick'");
    warning(1, 0, "inline <svg> is not supported; use an image file");
    xmlFreeDoc(x);

    /* An entity's markup is not seen by the walk: only its text is kept. */
    static const char with_entity[] = "<!DOCTYPE section [<!ENTITY e \"<script>x()</script>"
                                      "<b onclick='y'>bold</b>\">]><section>a &e; z</section>";
    x = xmlReadMemory(with_entity, (int)strlen(with_entity), NULL, "UTF-8", XML_PARSE_NONET);
    root = xmlDocGetRootElement(x);
    CHECK_INT(root->children->next->type, XML_ENTITY_REF_NODE);
    bk_sanitize(root, &ctx, &d);
    serialise(x, root);
    CHECK_STR(out.ptr, "a x()bold z");
    CHECK(root->children && root->children == root->last);
    xmlFreeDoc(x);
}

/* ==================== deep trees ==================== */

static void deep(const char *open, const char *close, size_t depth, const char *want_start)
{
    bk_buf html = BK_BUF_INIT;
    for (size_t i = 0; i < depth; i++)
        bk_buf_adds(&html, open);
    bk_buf_adds(&html, "x");
    for (size_t i = 0; i < depth; i++)
        bk_buf_adds(&html, close);
    const char *got = san(html.ptr);
    CHECK(strncmp(got, want_start, strlen(want_start)) == 0);
    if (strncmp(got, want_start, strlen(want_start)) != 0)
        fprintf(stderr, "deep %s: got %.60s\n", open, got);
    bk_buf_release(&html);
}

static void test_deep_trees(void)
{
    /* Built by hand: the HTML parser may cap its depth, we must not care. */
    enum { DEPTH = 150000 }; /* a multiple of 3 */
    xmlDocPtr x = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = xmlNewNode(NULL, BAD_CAST "body"), n = root;
    xmlDocSetRootElement(x, root);
    for (int i = 0; i < DEPTH; i++) {
        /* Kept, unwrapped and removed elements, alternating. */
        static const char *const names[] = { "span", "blink", "em" };
        n = xmlNewChild(n, NULL, BAD_CAST names[i % 3], NULL);
        xmlSetProp(n, BAD_CAST "onclick", BAD_CAST "x()");
    }
    xmlNewChild(n, NULL, BAD_CAST "script", BAD_CAST "x()");
    xmlNodeAddContent(n, BAD_CAST "leaf");
    /* A deep subtree that goes whole. */
    n = xmlNewChild(root, NULL, BAD_CAST "form", NULL);
    for (int i = 0; i < DEPTH; i++)
        n = xmlNewChild(n, NULL, BAD_CAST "div", NULL);
    bk_diags_release(&d);
    bk_sanitize(root, NULL, &d);
    CHECK_INT(d.len, DEPTH + 2);
    CHECK(root->children == root->last);
    size_t depth = 0;
    for (n = root->children; n && n->type == XML_ELEMENT_NODE; n = n->children)
        depth++;
    CHECK_INT(depth, DEPTH - DEPTH / 3);
    CHECK(n && n->type == XML_TEXT_NODE && strcmp((const char *)n->content, "leaf") == 0);
    xmlFreeDoc(x);

    /* Through the HTML parser, which stops at 256 levels (and drops the
     * rest of the document), and a deep subtree removed whole. */
    deep("<div>", "</div>", 250, "<div><div>");
    deep("<x-y>", "</x-y>", 250, "x");
    deep("<form><div>", "</div></form>", 120, "");
    CHECK_STR(out.ptr, "");
    CHECK_INT(d.len, 1);
}

int main(void)
{
    RUN(test_script);
    RUN(test_style);
    RUN(test_iframe);
    RUN(test_object);
    RUN(test_embed);
    RUN(test_form);
    RUN(test_frames_and_metadata);
    RUN(test_svg_math);
    RUN(test_media);
    RUN(test_noscript_dialog);
    RUN(test_unknown_unwrapped);
    RUN(test_renamed);
    RUN(test_void_elements);
    RUN(test_task_list);
    RUN(test_event_handlers);
    RUN(test_javascript_urls);
    RUN(test_safe_urls);
    RUN(test_data_urls);
    RUN(test_file_urls);
    RUN(test_style_attr);
    RUN(test_attribute_allow_list);
    RUN(test_legacy_anchor);
    RUN(test_img_without_src);
    RUN(test_comments);
    RUN(test_lines);
    RUN(test_null_ctx);
    RUN(test_every_element);
    RUN(test_xhtml_input);
    RUN(test_deep_trees);
    xmlFreeDoc(doc);
    bk_diags_release(&d);
    bk_buf_release(&out);
    xmlCleanupParser();
    return TEST_DONE();
}
