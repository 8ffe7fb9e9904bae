/* Unit tests: the Markdown pre-pass, one rule at a time, with line maps. */
#include "bookify/premd.h"

#include <stdlib.h>
#include <time.h>

#include "harness.h"

#define L BK_PREMD_LIQUID
#define H BK_PREMD_SHORTCODES
#define K BK_PREMD_KRAMDOWN
#define M BK_PREMD_MATH
#define ALL (L | H | K | M)

#define PI BK_PREMD_MATH_INLINE
#define PD BK_PREMD_MATH_DISPLAY
#define PE BK_PREMD_MATH_END

static bk_premd r = BK_PREMD_INIT;

static const char *run(const char *in, unsigned flags)
{
    bk_premd_run(&r, in, strlen(in), flags);
    return r.md.ptr;
}

/* The line map as "1,2,2,3", after checking it has one entry per line. */
static const char *map(void)
{
    static char s[4096];
    size_t lines = 0, n = 0;
    for (size_t i = 0; i < r.md.len; i++)
        if (r.md.ptr[i] == '\n' || i + 1 == r.md.len)
            lines++;
    CHECK_INT(r.nlines, lines);
    s[0] = '\0';
    for (size_t i = 0; i < r.nlines && n < sizeof s - 16; i++)
        n += (size_t)snprintf(s + n, sizeof s - n, i ? ",%d" : "%d", r.line_map[i]);
    return s;
}

static void drop_is(size_t i, bk_premd_drop kind, const char *name, int line, int col)
{
    CHECK(i < r.ndropped);
    if (i >= r.ndropped)
        return;
    CHECK_INT(r.dropped[i].kind, kind);
    CHECK_STR(r.dropped[i].name, name);
    CHECK_INT(r.dropped[i].line, line);
    CHECK_INT(r.dropped[i].col, col);
}

static void math_is(size_t i, const char *tex, bool display, int line)
{
    CHECK(i < r.nmath);
    if (i >= r.nmath)
        return;
    CHECK_STR(r.math[i].tex, tex);
    CHECK_INT(r.math[i].display, display);
    CHECK_INT(r.math[i].line, line);
}

/* ---- general ---- */

static void test_empty(void)
{
    CHECK_STR(run("", ALL), "");
    CHECK_INT(r.nlines, 0);
    CHECK_STR(run("", 0), "");
    bk_premd_run(&r, NULL, 0, ALL);
    CHECK_STR(r.md.ptr, "");
    CHECK_INT(r.nmath + r.ndropped + r.nabbrs, 0);
}

/* A pass with none of its openers in the text is left out; with
 * BOOKIFY_PREMD_CHECK=1 (unit.premd-check) it is run anyway and checked to
 * change nothing. A pass with one is run. */
static void passes_since(size_t *s0, size_t *r0, size_t *skipped, size_t *ran)
{
    size_t s1, r1;
    bk_premd_counts(&s1, &r1);
    *skipped = s1 - *s0;
    *ran = r1 - *r0;
    *s0 = s1;
    *r0 = r1;
}

static void test_idle_passes(void)
{
    bool check = getenv("BOOKIFY_PREMD_CHECK") != NULL;
    size_t s0, r0, skipped, ran;
    bk_premd_counts(&s0, &r0);
    const char *plain = "# Title\n\nWords: no braces, no dollars. At 10:30 *a* [b](c).\n";
    CHECK_STR(run(plain, ALL), plain);
    CHECK_STR(map(), "1,2,3");
    passes_since(&s0, &r0, &skipped, &ran);
    CHECK_INT(skipped + ran, 6);
    CHECK_INT(skipped, check ? 0 : 6);
    /* each opener brings its pass back */
    static const struct {
        const char *text;
        size_t passes; /* run of the six */
    } cases[] = {
        { "Cost: $x$ here\n", 1 },        /* maths */
        { "A \\(x\\) b\n", 1 },       /* maths */
        { "Term\n: its definition\n", 1 }, /* a definition list */
        { "*[HTML]: Hyper\n", 1 },        /* kramdown's abbreviation */
        { "<div>x</div>\n", 1 },          /* an HTML block */
        { "{% raw %}x{% endraw %}\n", 2 }, /* shortcodes, Liquid; none left after */
    };
    for (size_t i = 0; i < BK_ARRAY_LEN(cases); i++) {
        run(cases[i].text, ALL);
        passes_since(&s0, &r0, &skipped, &ran);
        CHECK_INT(skipped + ran, 6);
        CHECK_INT(ran, check ? 6 : cases[i].passes);
    }
}

static void test_passthrough(void)
{
    const char *in = "# T\n\nText *x* {x} $ 5\n```\ncode\n```\nlast";
    CHECK_STR(run(in, 0), in);
    CHECK_STR(map(), "1,2,3,4,5,6,7");
    CHECK_STR(run(in, ALL), in);
    CHECK_STR(map(), "1,2,3,4,5,6,7");
    bk_premd_release(&r);
    bk_premd_release(&r); /* twice is fine */
    bk_premd_release(NULL);
}

/* ---- Liquid ---- */

static void test_liquid_raw(void)
{
    CHECK_STR(run("a {% raw %}{{ x }} {% if %} $y${% endraw %} b\n", L | M),
              "a {{ x }} {% if %} $y$ b\n");
    CHECK_INT(r.nmath, 0);
    CHECK_INT(r.ndropped, 0);
    CHECK_STR(run("{%- raw -%}\n{{ x }}\n{%- endraw -%}\nz\n", L), "\n{{ x }}\n\nz\n");
    CHECK_STR(map(), "1,2,3,4");
    /* Unclosed: the tag goes and is reported; the rest is processed. */
    CHECK_STR(run("{% raw %} {{ x }}\n", L), " \n");
    CHECK_INT(r.ndropped, 2);
}

static void test_liquid_highlight(void)
{
    CHECK_STR(run("{% highlight ruby linenos %}\nputs 1\n{% endhighlight %}\nafter\n", L),
              "```ruby\nputs 1\n```\nafter\n");
    CHECK_STR(map(), "1,2,3,4");
    /* Text after the opening tag goes on the next line; code stays verbatim. */
    CHECK_STR(run("x {% highlight c %}int $a$ {{ b }};{% endhighlight %} y\n", L | M),
              "x \n```c\nint $a$ {{ b }};\n```\n y\n");
    CHECK_STR(map(), "1,1,1,1,1");
    CHECK_INT(r.nmath + r.ndropped, 0);
    /* Content with a fence gets a longer one; indentation follows the tag. */
    CHECK_STR(run("1. a\n\n   {% highlight md %}\n   ```\n   {% endhighlight %}\n", L),
              "1. a\n\n   ````md\n   ```\n   ````\n");
    CHECK_STR(map(), "1,2,3,4,5");
    /* {% raw %} markers inside go, as Jekyll removes them. */
    CHECK_STR(run("{% highlight liquid %}{% raw %}\n{{ x }}\n{% endraw %}{% endhighlight %}\n", L),
              "```liquid\n{{ x }}\n```\n");
    CHECK_STR(map(), "1,2,3");
}

static void test_liquid_links(void)
{
    CHECK_STR(run("[a]({% post_url 2010-07-21-name %}) "
                  "<a href=\"{% link _posts/my post's.md %}\">",
                  L),
              "[a](bookify:post/2010-07-21-name) "
              "<a href=\"bookify:link/_posts/my%20post%27s.md\">");
    CHECK_STR(map(), "1");
    CHECK_STR(run("[b]({% post_url /sub/2010-07-21-x%}) [c]({%- link \"a b.md\" -%})", L),
              "[b](bookify:post//sub/2010-07-21-x) [c](bookify:link/a%20b.md)");
    CHECK_INT(r.ndropped, 0);
}

static void test_liquid_site_urls(void)
{
    CHECK_STR(run("![x]({{ site.url }}{{ site.baseurl }}/a.png) {{site.url}}{{site.baseurl}}/b "
                  "{{ '/c.png' | relative_url }} {{ \"/d\" | absolute_url }} "
                  "{{ '/e' | prepend: site.baseurl }} {{- site.baseurl -}}/f",
                  L),
              "![x](/a.png) /b /c.png /d /e /f");
    CHECK_INT(r.ndropped, 0);
    CHECK_STR(run("a\n[b]({{ site.baseurl }}/x)\n", L), "a\n[b](/x)\n");
    CHECK_STR(map(), "1,2");
}

static void test_liquid_silent(void)
{
    CHECK_STR(run("a{% assign x = 1 %}b\n{% comment %}\nhidden\n\n{% endcomment %}\nc\n"
                  "{% capture y %}z{% endcapture %}d\n{% # note %}e\n",
                  L),
              "ab\n\nc\nd\ne\n");
    CHECK_STR(map(), "1,5,6,7,8");
    CHECK_INT(r.ndropped, 0);
}

static void test_liquid_dropped(void)
{
    CHECK_STR(run("{% include note.html %}\n{% if a %}yes{% elsif b %}{% else %}no{% endif %}\n"
                  "é {%for p in x%}{% endfor %} {% endraw %}\n",
                  L),
              "\nyesno\né  \n");
    CHECK_STR(map(), "1,2,3");
    CHECK_INT(r.ndropped, 3);
    drop_is(0, BK_DROP_LIQUID_TAG, "include", 1, 1);
    drop_is(1, BK_DROP_LIQUID_TAG, "if", 2, 1);
    drop_is(2, BK_DROP_LIQUID_TAG, "for", 3, 3);
    CHECK_STR(run("Title: {{ page.title }}! {{- page.date | date: \"%Y\" -}}", L), "Title: ! ");
    CHECK_INT(r.ndropped, 2);
    drop_is(0, BK_DROP_LIQUID_OUTPUT, "page.title", 1, 8);
    drop_is(1, BK_DROP_LIQUID_OUTPUT, "page.date | date: \"%Y\"", 1, 26);
}

static void test_liquid_multiline(void)
{
    CHECK_STR(run("a {% include x.html\n  param=\"y\" %} b\nc {{ page\n.title }}\nd\n", L),
              "a  b\nc \nd\n");
    CHECK_STR(map(), "1,3,5");
    drop_is(0, BK_DROP_LIQUID_TAG, "include", 1, 3);
    drop_is(1, BK_DROP_LIQUID_OUTPUT, "page\n.title", 3, 3);
}

static void test_liquid_unclosed(void)
{
    const char *in = "a {% include x\n\nb %} c {{ d\n\n}} {%\n```\n%}\n```\n{{ e }\n";
    CHECK_STR(run(in, L), in);
    CHECK_INT(r.ndropped, 0);
}

static void test_liquid_in_code(void)
{
    const char *in = "```\n{{ x }} {% include y %}\n```\n`{{ z }}` and ``{% if %}``\n\n"
                     "    {% if a %}\n";
    CHECK_STR(run(in, L), in);
    CHECK_INT(r.ndropped, 0);
    /* Jekyll removes {% raw %} markers even in code; lines they held go. */
    CHECK_STR(run("```liquid\n{% raw %}\n{{ x }}\n{% endraw %}\n```\n"
                  "`{% raw %}{% if %}{% endraw %}` {{ q }}\n",
                  L),
              "```liquid\n{{ x }}\n```\n`{% if %}` \n");
    CHECK_STR(map(), "1,3,5,6");
    CHECK_INT(r.ndropped, 1);
}

/* ---- Hugo shortcodes ---- */

static void test_shortcode_highlight(void)
{
    CHECK_STR(run("{{< highlight go \"linenos=table\" >}}\nfmt.Println(1)\n{{< /highlight >}}\nx\n",
                  H),
              "```go\nfmt.Println(1)\n```\nx\n");
    CHECK_STR(map(), "1,2,3,4");
    CHECK_STR(run("{{% highlight \"py\" %}}\n{{</* x */>}}\n{{% / highlight %}}", H),
              "```py\n{{< x >}}\n```\n");
    CHECK_STR(map(), "1,2,3");
    CHECK_INT(r.ndropped, 0);
}

static void test_shortcode_escapes(void)
{
    CHECK_STR(run("{{</* youtube id */>}} and {{%/* notice */%}}", H),
              "{{< youtube id >}} and {{% notice %}}");
    CHECK_INT(r.ndropped, 0);
    CHECK_STR(run("{{</* figure\n  src=\"x\" */>}}\nend", H), "{{< figure\n  src=\"x\" >}}\nend");
    CHECK_STR(map(), "1,2,3");
    /* With Liquid on too, the literal result is not a Liquid output. */
    CHECK_STR(run("{{</* figure src=\"x\" */>}} {{ page.x }}", H | L), "{{< figure src=\"x\" >}} ");
    CHECK_INT(r.ndropped, 1);
}

static void test_shortcode_dropped(void)
{
    CHECK_STR(run("{{< youtube abc >}}\n{{% notice info %}}**Hi**\n{{% /notice %}}\n"
                  "ü {{<gist a/b/>}}{{< x />}}",
                  H),
              "\n**Hi**\n\nü ");
    CHECK_STR(map(), "1,2,3,4");
    CHECK_INT(r.ndropped, 4);
    drop_is(0, BK_DROP_SHORTCODE, "youtube", 1, 1);
    drop_is(1, BK_DROP_SHORTCODE, "notice", 2, 1);
    drop_is(2, BK_DROP_SHORTCODE, "gist", 4, 3);
    drop_is(3, BK_DROP_SHORTCODE, "x", 4, 18);
    const char *open = "{{< youtube abc\n\n>}} {{% x ";
    CHECK_STR(run(open, H), open);
    CHECK_INT(r.ndropped, 0);
}

static void test_shortcode_builtins(void)
{
    CHECK_STR(run("[a]({{< ref \"posts/x.md\" >}}) [b]({{< relref \"my post\" >}})\n", H),
              "[a](bookify:ref/posts/x.md) [b](bookify:ref/my%20post)\n");
    CHECK_STR(run("{{< figure src=\"a.png\" title=\"T\" caption=\"C & D\" >}}\n", H),
              "<figure><img src=\"a.png\" alt=\"C &amp; D\"><figcaption><strong>T</strong> C &amp; "
              "D</figcaption></figure>\n");
    CHECK_INT(r.ndropped, 0);
}

static void test_shortcode_in_code(void)
{
    CHECK_STR(run("```\n{{</* ref \"a\" */>}}\n{{< note \"b\" >}}\n```\n`{{< c >}}`", H),
              "```\n{{< ref \"a\" >}}\n\n```\n``");
    CHECK_STR(map(), "1,2,3,4,5");
    CHECK_INT(r.ndropped, 2);
}

/* ---- kramdown ---- */

static void test_kramdown_block_ial(void)
{
    CHECK_STR(run("Para\n{: .notice}\n", K), "Para\n<!--bk-ial .notice-->\n");
    CHECK_STR(map(), "1,2");
    CHECK_STR(run("Para\n\n{:.ltr}\n> q\n> {: #q .a}\n", K),
              "Para\n\n<!--bk-ial-next .ltr-->\n> q\n> <!--bk-ial #q .a-->\n");
    CHECK_STR(map(), "1,2,3,4,5");
    CHECK_STR(run("x\n{: #id .a .b style=\"color: red\" data-x='y'}", K),
              "x\n<!--bk-ial #id .a .b style=\"color: red\" data%2Dx='y'-->");
    CHECK_STR(run("{:ref: .x}\nA\n{::options parse_block_html=\"true\" /}\nB\n", K), "A\nB\n");
    CHECK_STR(map(), "2,4");
    /* In code it stays. */
    CHECK_STR(run("```\n{: .x}\n```\n", K), "```\n{: .x}\n```\n");
}

static void test_kramdown_span_ial(void)
{
    CHECK_STR(run("**bold**{: .x} and [a](b){:target=\"_blank\"} `{: .y}`\nend {: .z}\n", K),
              "**bold** and [a](b) `{: .y}`\nend \n");
    CHECK_STR(map(), "1,2");
}

static void test_kramdown_heading_id(void)
{
    CHECK_STR(run("## Title {#my-id}\ntext\n", K), "## Title\n<!--bk-ial #my%2Did-->\ntext\n");
    CHECK_STR(map(), "1,1,2");
}

static void test_kramdown_toc(void)
{
    CHECK_STR(run("* TOC\n{:toc}\nText\n", K), "Text\n");
    CHECK_STR(map(), "3");
    CHECK_STR(run("A\n\n1. Table of Contents\n{: toc}\n", K), "A\n\n");
    CHECK_STR(map(), "1,2");
    CHECK_STR(run("{:toc}\nB\n", K), "B\n");
    CHECK_STR(map(), "2");
}

static void test_kramdown_extensions(void)
{
    CHECK_STR(run("A\n{::comment}\nhidden\n\nmore\n{:/comment}\nB {::comment}x{:/}C\n"
                  "{::nomarkdown}\n<b>$x$</b>\n{:/nomarkdown}\nD {::nomarkdown}*y*{:/} E\n",
                  K | M),
              "A\nB C\n<b>$x$</b>\nD *y* E\n");
    CHECK_STR(map(), "1,7,9,11");
    CHECK_INT(r.nmath, 0);
}

static void test_kramdown_deflist(void)
{
    CHECK_STR(run("Term\n: Def one\n  more\n", K),
              "<dl>\n<dt>\n\nTerm\n\n</dt>\n<dd>\n\nDef one\nmore\n\n</dd>\n</dl>\n");
    CHECK_STR(map(), "1,1,1,1,1,1,2,2,2,3,3,3,3");
    CHECK_STR(run("Intro\n\nA\n:   a\n\n    a2\n\nB\nC\n: b\n: c\nAfter\n", K),
              "Intro\n\n<dl>\n<dt>\n\nA\n\n</dt>\n<dd>\n\na\n\na2\n\n</dd>\n"
              "<dt>\n\nB\n\n</dt>\n<dt>\n\nC\n\n</dt>\n<dd>\n\nb\n\n</dd>\n<dd>\n\nc\nAfter\n\n"
              "</dd>\n</dl>\n");
    CHECK_STR(map(), "1,2,3,3,3,3,3,3,4,4,4,5,6,6,6,8,8,8,8,8,9,9,9,9,9,10,10,10,10,10,11,11,"
                     "11,12,12,12,12");
    /* Not after a list item or in code, and ":" needs a blank after it. */
    const char *no = "- item\n: x\n\n```\nT\n: d\n```\nT\n:d\n";
    CHECK_STR(run(no, K), no);
}

static void test_kramdown_abbr(void)
{
    CHECK_STR(run("The HTML spec.\n\n*[HTML]: Hyper Text Markup Language\n*[W3C]:\n", K),
              "The HTML spec.\n\n");
    CHECK_STR(map(), "1,2");
    CHECK_INT(r.nabbrs, 2);
    if (r.nabbrs == 2) {
        CHECK_STR(r.abbrs[0].abbr, "HTML");
        CHECK_STR(r.abbrs[0].title, "Hyper Text Markup Language");
        CHECK_STR(r.abbrs[1].abbr, "W3C");
        CHECK_STR(r.abbrs[1].title, "");
    }
}

/* ---- maths ---- */

static void test_math_inline(void)
{
    CHECK_STR(run("$x$", M), PI "0" PE);
    math_is(0, "x", false, 1);
    CHECK_STR(run("$a*b$ and $c_d$ and \\(e\\)\n", M),
              PI "0" PE " and " PI "1" PE " and " PI "2" PE "\n");
    CHECK_INT(r.nmath, 3);
    math_is(1, "c_d", false, 1);
    math_is(2, "e", false, 1);
    /* A formula across lines joins them; escapes inside are kept. */
    CHECK_STR(run("a $x +\ny \\$$ b\nc\n", M), "a " PI "0" PE " b\nc\n");
    CHECK_STR(map(), "1,3");
    math_is(0, "x +\ny \\$", false, 1);
}

static void test_math_money(void)
{
    static const char *const plain[] = { "costs $5 and $10", "$5-$10", "$ x$", "$x $", "$x$5",
                                         "\\$y$", "$x\\$", "$$ \n\n$$", "$z\n\n$", "$" };
    for (size_t i = 0; i < BK_ARRAY_LEN(plain); i++) {
        CHECK_STR(run(plain[i], M), plain[i]);
        CHECK_INT(r.nmath, 0);
    }
}

static void test_math_display(void)
{
    CHECK_STR(run("Text\n$$\nx^2\n$$\nMore\n", M), "Text\n\n" PD "0" PE "\n\nMore\n");
    CHECK_STR(map(), "1,2,2,4,5");
    math_is(0, "\nx^2\n", true, 2);
    CHECK_STR(run("\\[a\\]\n\nin $$b$$ text \\[c\\]", M),
              PD "0" PE "\n\nin " PD "1" PE " text " PD "2" PE);
    CHECK_STR(map(), "1,2,3");
    /* Inside a blockquote the quote markers stay out of the TeX. */
    CHECK_STR(run("> a\n> $$\n> x\n> $$\n", M), "> a\n>\n> " PD "0" PE "\n");
    math_is(0, "\nx\n", true, 2);
    CHECK_STR(map(), "1,2,2");
    /* kramdown: $$ in running text is inline. */
    CHECK_STR(run("a $$x$$ b\n\n$$y$$\n", K | M), "a " PI "0" PE " b\n\n" PD "1" PE "\n");
    math_is(0, "x", false, 1);
    math_is(1, "y", true, 3);
}

static void test_math_not_in_code(void)
{
    const char *in = "`$x$` ``$$y$$``\n\n```\n$z$\n```\n\n    $w$\n<pre>\n$v$\n</pre>\n";
    CHECK_STR(run(in, M), in);
    CHECK_INT(r.nmath, 0);
    CHECK_STR(run("{% raw %}$x${% endraw %} $y$", L | M), "$x$ " PI "0" PE);
    math_is(0, "y", false, 1);
}

/* ---- all together, and speed ---- */

static void test_combined(void)
{
    CHECK_STR(run("{% include a %}\nTerm $t$\n: def {{ site.baseurl }}/x\n{: .c}\n", L | K | M),
              "\n<dl>\n<dt>\n\nTerm " PI "0" PE "\n\n</dt>\n<dd>\n\ndef /x\n\n</dd>\n</dl>\n\n"
              "<!--bk-ial .c-->\n");
    CHECK_STR(map(), "1,2,2,2,2,2,2,3,3,3,3,3,3,3,4");
}

static double seconds(const char *in, size_t len)
{
    clock_t t0 = clock();
    bk_premd_run(&r, in, len, ALL);
    return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

/* Runs of openers that never close must not make the passes quadratic. */
static void test_linear(void)
{
    static const char *const pieces[] = {
        "costs $5 and {% if x and {{ y ",
        "`` ` ``` {: a \\( \\[ $$ {{< b {{% c {::comment} ",
        "$x$ {% raw %}{% endraw %} {{ z }} $$y$$ {: .k} ",
    };
    for (size_t k = 0; k < BK_ARRAY_LEN(pieces); k++) {
        size_t n = 1 << 20, pl = strlen(pieces[k]);
        char *big = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            big[i] = pieces[k][i % pl];
        /* One long paragraph with a few line breaks. */
        for (size_t i = 4000; i < n; i += 4000)
            big[i] = '\n';
        big[n] = '\0';
        double t = seconds(big, n);
        CHECK(t < 3.0);
        if (t >= 3.0)
            fprintf(stderr, "piece %zu took %.2f s\n", k, t);
        free(big);
    }
}

static void test_liquid_capture(void)
{
    bk_premd res = BK_PREMD_INIT;
    const char *in = "{% capture note %}\n**Hi** there\n{% endcapture %}\n<div>\n  {{ note | markdownify }}\n</div>\n"
                     "<p>{{ note }}</p>\n{{ other | markdownify }}\n";
    bk_premd_run(&res, in, strlen(in), BK_PREMD_LIQUID);
    CHECK(strstr(res.md.ptr, "<div>\n  \n\n**Hi** there\n\n\n</div>") != NULL);
    CHECK(strstr(res.md.ptr, "<p>**Hi** there</p>") != NULL);
    CHECK_INT(res.ndropped, 1); /* 'other' was never captured */
    for (size_t i = 0; i < res.nlines; i++)
        CHECK(res.line_map[i] >= 1 && res.line_map[i] <= 8);
    bk_premd_release(&res);
    /* a capture printed in a loop: copies up to 16 MiB, the rest dropped
     * (and said), in time linear in the input */
    bk_buf big = BK_BUF_INIT;
    bk_buf_adds(&big, "{% capture n %}");
    for (int i = 0; i < 200; i++)
        bk_buf_adds(&big, "Captured words. ");
    bk_buf_adds(&big, "{% endcapture %}\n");
    for (int i = 0; i < 8000; i++)
        bk_buf_adds(&big, "{{ n }}\n");
    res = (bk_premd)BK_PREMD_INIT;
    bk_premd_run(&res, big.ptr, big.len, BK_PREMD_LIQUID);
    size_t copies = 0;
    for (const char *q = strstr(res.md.ptr, "Captured words. Captured"); q; q = strstr(q + 1, "words. Captured words.\n"))
        copies++;
    CHECK(copies > 4000 && copies < 8000);
    CHECK(res.ndropped > 0);
    bk_premd_release(&res);
    bk_buf_release(&big);
}

int main(void)
{
    RUN(test_idle_passes);
    RUN(test_shortcode_builtins);
    RUN(test_liquid_capture);
    RUN(test_empty);
    RUN(test_passthrough);
    RUN(test_liquid_raw);
    RUN(test_liquid_highlight);
    RUN(test_liquid_links);
    RUN(test_liquid_site_urls);
    RUN(test_liquid_silent);
    RUN(test_liquid_dropped);
    RUN(test_liquid_multiline);
    RUN(test_liquid_unclosed);
    RUN(test_liquid_in_code);
    RUN(test_shortcode_highlight);
    RUN(test_shortcode_escapes);
    RUN(test_shortcode_dropped);
    RUN(test_shortcode_in_code);
    RUN(test_kramdown_block_ial);
    RUN(test_kramdown_span_ial);
    RUN(test_kramdown_heading_id);
    RUN(test_kramdown_toc);
    RUN(test_kramdown_extensions);
    RUN(test_kramdown_deflist);
    RUN(test_kramdown_abbr);
    RUN(test_math_inline);
    RUN(test_math_money);
    RUN(test_math_display);
    RUN(test_math_not_in_code);
    RUN(test_combined);
    RUN(test_linear);
    bk_premd_release(&r);
    return TEST_DONE();
}
