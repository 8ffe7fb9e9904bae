/* Unit tests: pagination rules with fake line heights (no fonts, no pango). */
#include <stdlib.h>

#include "harness.h"
#include "pdf/pdf_int.h"

static pdf_engine e;

static void reset(double height)
{
    for (size_t p = 0; p < e.npages; p++)
        free(e.pages[p].pieces);
    free(e.pages);
    for (size_t c = 0; c < e.nchapters; c++) {
        for (size_t i = 0; i < e.chapters[c].nblocks; i++)
            free(e.chapters[c].blocks[i].t.lines);
        free(e.chapters[c].blocks);
    }
    free(e.chapters);
    memset(&e, 0, sizeof e);
    e.text_height = height;
    e.text_width = 300;
}

/* A text block of n lines of 10 pt each. */
static pdf_block *text(pdf_chapter *ch, size_t n, bool keep)
{
    BK_GROW(ch->blocks, ch->cap, ch->nblocks + 1);
    pdf_block *b = &ch->blocks[ch->nblocks++];
    memset(b, 0, sizeof(*b));
    b->kind = PK_TEXT;
    b->style.keep_with_next = keep;
    b->t.lines = calloc(n, sizeof(*b->t.lines));
    for (size_t i = 0; i < n; i++)
        b->t.lines[i] = (pdf_line){ (double)i * 10, 10, 8, 0, 100, NULL };
    b->t.nlines = n;
    return b;
}

static pdf_chapter *chapter(void)
{
    BK_GROW(e.chapters, e.capchapters, e.nchapters + 1);
    pdf_chapter *ch = &e.chapters[e.nchapters++];
    memset(ch, 0, sizeof(*ch));
    return ch;
}

/* "block:from-to" of every piece, pages separated by '|'. */
static void expect(const char *want)
{
    char got[512] = "";
    size_t len = 0;
    for (size_t p = 0; p < e.npages; p++) {
        if (p)
            len += (size_t)snprintf(got + len, sizeof got - len, "|");
        for (size_t i = 0; i < e.pages[p].npieces; i++) {
            pdf_piece *pc = &e.pages[p].pieces[i];
            len += (size_t)snprintf(got + len, sizeof got - len, "%s%zu:%zu-%zu", i ? " " : "",
                                    pc->block, pc->from, pc->to);
        }
    }
    CHECK_STR(got, want);
}

static void test_fits(void)
{
    reset(100);
    pdf_chapter *ch = chapter();
    text(ch, 3, false);
    text(ch, 4, false);
    pdf_pages_chapter(&e, 0);
    expect("0:0-3 1:0-4");
}

static void test_orphan(void)
{
    reset(100);
    pdf_chapter *ch = chapter();
    text(ch, 9, false); /* 90 pt: one line of the next would fit */
    text(ch, 5, false);
    pdf_pages_chapter(&e, 0);
    expect("0:0-9|1:0-5");
}

static void test_widow(void)
{
    reset(100);
    pdf_chapter *ch = chapter();
    text(ch, 5, false);
    text(ch, 6, false); /* five would fit, leaving one alone: four go */
    pdf_pages_chapter(&e, 0);
    expect("0:0-5 1:0-4|1:4-6");
}

static void test_three_lines_never_split(void)
{
    reset(100);
    pdf_chapter *ch = chapter();
    text(ch, 8, false);
    text(ch, 3, false);
    pdf_pages_chapter(&e, 0);
    expect("0:0-8|1:0-3");
}

static void test_long_paragraph(void)
{
    reset(100);
    pdf_chapter *ch = chapter();
    text(ch, 25, false);
    pdf_pages_chapter(&e, 0);
    expect("0:0-10|0:10-20|0:20-25");
}

static void test_heading_kept_with_text(void)
{
    reset(100);
    pdf_chapter *ch = chapter();
    text(ch, 8, false);
    text(ch, 1, true); /* a heading: needs its own line and two more */
    text(ch, 5, false);
    pdf_pages_chapter(&e, 0);
    expect("0:0-8|1:0-1 2:0-5");
}

static void test_image_never_split(void)
{
    reset(100);
    pdf_chapter *ch = chapter();
    text(ch, 8, false);
    BK_GROW(ch->blocks, ch->cap, ch->nblocks + 1);
    pdf_block *img = &ch->blocks[ch->nblocks++];
    memset(img, 0, sizeof(*img));
    img->kind = PK_IMAGE;
    img->img_h = 30;
    pdf_pages_chapter(&e, 0);
    expect("0:0-8|1:0-1");
}

static pdf_block *row(pdf_chapter *ch, bool header, bool first)
{
    BK_GROW(ch->blocks, ch->cap, ch->nblocks + 1);
    pdf_block *b = &ch->blocks[ch->nblocks++];
    memset(b, 0, sizeof(*b));
    b->kind = PK_ROW;
    b->row_height = 20;
    b->header_row = header;
    b->first_row = first;
    return b;
}

static void test_table_header_repeats(void)
{
    reset(100);
    pdf_chapter *ch = chapter();
    text(ch, 3, false);
    row(ch, true, true);
    for (int i = 0; i < 4; i++)
        row(ch, false, false);
    pdf_pages_chapter(&e, 0);
    /* 30 + 20 + 20 + 20 fit; the next rows go over with the header again */
    expect("0:0-3 1:0-1 2:0-1 3:0-1|1:0-1 4:0-1 5:0-1");
}

static void test_tall_row_split(void)
{
    reset(100);
    pdf_chapter *ch = chapter();
    row(ch, true, true);
    pdf_block *tall = row(ch, false, false);
    /* one cell of 25 lines of 10 pt: 250 pt, more than two pages */
    tall->ncells = 1;
    tall->cells = calloc(1, sizeof(pdf_text));
    tall->cells[0].lines = calloc(25, sizeof(pdf_line));
    for (size_t i = 0; i < 25; i++)
        tall->cells[0].lines[i] = (pdf_line){ (double)i * 10, 10, 8, 0, 100, NULL };
    tall->cells[0].nlines = 25;
    tall->row_height = 256;
    pdf_pages_chapter(&e, 0);
    CHECK_INT(e.npages, 4);
    /* cut between lines, never through one; the header again on each page */
    for (size_t p = 0; p < e.npages; p++) {
        pdf_page *pg = &e.pages[p];
        CHECK_INT(pg->pieces[0].block, 0);
        for (size_t k = 0; k < pg->npieces; k++) {
            pdf_piece *pc = &pg->pieces[k];
            if (pc->block != 1)
                continue;
            double f = pc->row_from - 3, t = pc->row_to - 3;
            CHECK(f < 0.01 || (int)(f * 100 + 0.5) % 1000 == 0);
            CHECK(t > 245 || (int)(t * 100 + 0.5) % 1000 == 0);
            CHECK(pc->y + pc->height <= 100.01);
        }
    }
    free(tall->cells[0].lines);
    free(tall->cells);
}

static void test_chapter_starts_page(void)
{
    reset(100);
    pdf_chapter *a = chapter();
    text(a, 2, false);
    pdf_chapter *b = chapter();
    text(b, 2, false);
    pdf_pages_chapter(&e, 0);
    pdf_pages_chapter(&e, 1);
    CHECK_INT(e.npages, 2);
    CHECK(e.pages[1].first_of_chapter);
    CHECK_INT(e.pages[1].chapter, 1);
}

int main(void)
{
    RUN(test_fits);
    RUN(test_orphan);
    RUN(test_widow);
    RUN(test_three_lines_never_split);
    RUN(test_long_paragraph);
    RUN(test_heading_kept_with_text);
    RUN(test_image_never_split);
    RUN(test_chapter_starts_page);
    RUN(test_table_header_repeats);
    RUN(test_tall_row_split);
    reset(0);
    return TEST_DONE();
}
