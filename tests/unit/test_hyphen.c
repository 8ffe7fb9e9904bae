/* Unit tests: soft hyphens from libhyphen in the PDF's text. */
#include <glob.h>
#include <hyphen.h>

#include "harness.h"
#include "pdf/pdf_int.h"

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_english(void)
{
    pdf_engine e;
    memset(&e, 0, sizeof e);
    e.hyphen = pdf_hyphen_load("en");
    CHECK(e.hyphen != NULL);
    if (!e.hyphen)
        return;
    pdf_style s = { 0 };
    s.size = 10;
    pdf_text t = { 0 };
    t.attrs = pango_attr_list_new();
    const char *words = "Hyphenation of extraordinary paragraphs; an ox.";
    pdf_text_append(&e, &t, words, strlen(words), &s, &s, true);
    CHECK(count(t.text, "\xC2\xAD") >= 3);
    CHECK(strstr(t.text, "ox.") != NULL);      /* short words untouched */
    CHECK(strncmp(t.text, "Hy", 2) == 0);      /* two letters kept at the start */
    /* Without hyphenation the text is as given. */
    pdf_text u = { 0 };
    u.attrs = pango_attr_list_new();
    pdf_text_append(&e, &u, words, strlen(words), &s, &s, false);
    CHECK_STR(u.text, words);
    g_free(t.text);
    g_free(u.text);
    pango_attr_list_unref(t.attrs);
    pango_attr_list_unref(u.attrs);
    hnj_hyphen_free(e.hyphen);
}

/* The dictionary for a language tag: the exact region, the language's
 * default region, any region. The set-up installs these patterns; a
 * machine without them skips (and says so). */
static void test_languages(void)
{
    static const struct {
        const char *lang, *word;
    } cases[] = { { "en-GB", "extraordinary" }, { "fr", "extraordinaire" },
                  { "fr-CA", "extraordinaire" }, { "de", "Silbentrennung" },
                  { "pt-BR", "extraordinariamente" }, { "es", "extraordinario" } };
    for (size_t i = 0; i < BK_ARRAY_LEN(cases); i++) {
        char base[3] = { cases[i].lang[0], cases[i].lang[1], 0 };
        char pattern[64];
        snprintf(pattern, sizeof pattern, "/usr/share/hyphen/hyph_%s*.dic", base);
        glob_t g;
        bool installed = glob(pattern, 0, NULL, &g) == 0;
        globfree(&g);
        void *h = pdf_hyphen_load(cases[i].lang);
        if (!installed) {
            fprintf(stderr, "note: no hyphenation patterns for %s installed: skipped\n", cases[i].lang);
            CHECK(h == NULL);
            continue;
        }
        CHECK(h != NULL);
        if (!h)
            continue;
        /* the dictionary found hyphenates that language's word */
        char hyph[64] = { 0 };
        char **rep = NULL;
        int *pos = NULL, *cut = NULL;
        const char *w = cases[i].word;
        char lower[64];
        snprintf(lower, sizeof lower, "%s", w);
        for (char *c = lower; *c; c++)
            *c = (char)g_ascii_tolower(*c);
        CHECK_INT(hnj_hyphen_hyphenate2(h, lower, (int)strlen(lower), hyph, NULL, &rep, &pos, &cut), 0);
        int breaks = 0;
        for (size_t k = 0; k < strlen(lower); k++)
            breaks += hyph[k] & 1;
        CHECK(breaks >= 2);
        for (size_t k = 0; rep && k < strlen(lower); k++)
            free(rep[k]);
        free(rep);
        free(pos);
        free(cut);
        hnj_hyphen_free(h);
    }
    CHECK(pdf_hyphen_load("xx") == NULL);
    CHECK(pdf_hyphen_load(NULL) == NULL);
}

int main(void)
{
    RUN(test_english);
    RUN(test_languages);
    return TEST_DONE();
}
