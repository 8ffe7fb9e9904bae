/* Unit tests: soft hyphens from libhyphen in the PDF's text. */
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

static void test_languages(void)
{
    const char *langs[] = { "en-GB", "fr", "fr-CA", "de", "pt-BR" };
    for (size_t i = 0; i < BK_ARRAY_LEN(langs); i++) {
        void *h = pdf_hyphen_load(langs[i]);
        if (!h)
            fprintf(stderr, "note: no hyphenation patterns for %s installed\n", langs[i]);
        else
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
