/* pages.c -- pagination: lines onto pages, with break rules (see pdf_int.h).
 *
 * After MuPDF: lines are broken first, then placed whole; a line that would
 * cross the foot of the page moves to the next. The rules: no orphan and
 * no widow (two lines at least on each side of a break), a heading stays
 * with the two lines after it, an image is never split, every chapter
 * starts a page. Only heights are looked at here. */
#include <string.h>

#include "pdf_int.h"

#include "bookify/banned.h"

typedef struct pager {
    pdf_engine *e;
    size_t chapter;
    pdf_page *page;
    double y;             /* filled height on the page */
    double pending_space; /* space after the last block, not yet used */
    pdf_notepiece carry;  /* the rest of a footnote, for the next page's foot */
    bool carrying;
    bool ending;          /* the chapter's text is all placed: notes may fill pages */
} pager;

static void place_carry(pager *p);

static void new_page(pager *p, bool first)
{
    pdf_engine *e = p->e;
    BK_GROW(e->pages, e->cappages, e->npages + 1);
    pdf_page *pg = &e->pages[e->npages++];
    memset(pg, 0, sizeof(*pg));
    pg->chapter = p->chapter;
    pg->first_of_chapter = first;
    pg->front = e->chapters[p->chapter].post == -1;
    p->page = pg;
    p->y = 0;
    p->pending_space = 0;
    if (p->carrying)
        place_carry(p);
}

static void place(pager *p, size_t block, size_t from, size_t to, double h)
{
    pdf_page *pg = p->page;
    BK_GROW(pg->pieces, pg->cap, pg->npieces + 1);
    pg->pieces[pg->npieces++] = (pdf_piece){ block, from, to, 0, h, p->y, h };
    p->y += h;
}

/* Where to cut a table row taller than a page: the lowest y at most `to`
 * where no cell has a line crossing it (cells' lines are offset by the
 * row's 3 pt padding). */
static double row_cut(const pdf_block *b, double from, double to)
{
    double cut = to;
    for (bool moved = true; moved;) {
        moved = false;
        for (size_t c = 0; c < b->ncells; c++) {
            const pdf_text *t = &b->cells[c];
            for (size_t i = 0; i < t->nlines; i++) {
                double top = 3 + t->lines[i].top, bottom = top + t->lines[i].height;
                if (top < cut - 0.01 && bottom > cut + 0.01 && top > from + 0.01) {
                    cut = top;
                    moved = true;
                }
            }
        }
    }
    return cut;
}

static void place_slice(pager *p, size_t block, double a, double b)
{
    pdf_page *pg = p->page;
    BK_GROW(pg->pieces, pg->cap, pg->npieces + 1);
    pg->pieces[pg->npieces++] = (pdf_piece){ block, 0, 1, a, b, p->y, b - a };
    p->y += b - a;
}

/* Height of lines [from, to) of a text block. */
static double lines_height(const pdf_text *t, size_t from, size_t to)
{
    if (to <= from)
        return 0;
    return t->lines[to - 1].top + t->lines[to - 1].height - t->lines[from].top;
}

/* Height a block needs at least on the page it starts on. */
static double first_need(const pdf_block *b)
{
    switch (b->kind) {
    case PK_TEXT: {
        size_t n = b->t.nlines;
        return lines_height(&b->t, 0, n <= 3 ? n : 2);
    }
    case PK_IMAGE:
        return b->img_h;
    case PK_ROW:
        return b->row_height;
    default:
        return 1;
    }
}

/* ---- footnotes at the foot of the page ---- */

#define NOTE_SEP 9.0 /* the rule above the notes and its space */
#define NOTE_GAP 2.0 /* between two notes */

static bool page_has_note(const pdf_page *pg, size_t note)
{
    for (size_t i = 0; i < pg->nnotes; i++)
        if (pg->notes[i].note == note)
            return true;
    return false;
}

static long ref_line(const pdf_text *t, const pdf_noteref *r)
{
    return t->layout ? r->line : -1;
}

/* Is r the first reference to its note among lines [from, to)? */
static bool first_ref_in(const pdf_text *t, size_t k, size_t from, size_t to)
{
    const pdf_noteref *r = &t->refs[k];
    long line = ref_line(t, r);
    if (r->note < 0 || line < (long)from || line >= (long)to)
        return false;
    for (size_t j = 0; j < k; j++) {
        long lj = ref_line(t, &t->refs[j]);
        if (t->refs[j].note == r->note && lj >= (long)from && lj < (long)to)
            return false;
    }
    return true;
}

/* Height the notes cited in lines [from, to) of t add to the page (those
 * not there yet), all of each but the note `partial`, of which only
 * `partial_lines` are counted. */
static double notes_need_split(const pager *p, const pdf_chapter *ch, const pdf_text *t, size_t from,
                               size_t to, long partial, size_t partial_lines)
{
    double h = 0;
    bool first = p->page->nnotes == 0;
    for (size_t k = 0; k < t->nrefs; k++) {
        const pdf_noteref *r = &t->refs[k];
        if (!first_ref_in(t, k, from, to) || page_has_note(p->page, (size_t)r->note))
            continue;
        const pdf_text *nt = &ch->notes[r->note].t;
        size_t n = r->note == partial ? partial_lines : nt->nlines;
        h += lines_height(nt, 0, n) + NOTE_GAP + (first ? NOTE_SEP : 0);
        first = false;
    }
    return h;
}

static double notes_need(const pager *p, const pdf_chapter *ch, const pdf_text *t, size_t from,
                         size_t to)
{
    return notes_need_split(p, ch, t, from, to, -1, 0);
}

static void add_note_piece(pdf_page *pg, const pdf_chapter *ch, size_t note, size_t from, size_t to)
{
    const pdf_text *nt = &ch->notes[note].t;
    pg->notes_height += lines_height(nt, from, to) + NOTE_GAP + (pg->nnotes ? 0 : NOTE_SEP);
    BK_GROW(pg->notes, pg->capnotes, pg->nnotes + 1);
    pg->notes[pg->nnotes++] = (pdf_notepiece){ note, from, to };
}

/* The notes cited in lines [from, to) go to this page's foot; of the note
 * `partial` only its first `partial_lines`, the rest carried over. */
static void add_notes_split(pager *p, const pdf_chapter *ch, const pdf_text *t, size_t from, size_t to,
                            long partial, size_t partial_lines)
{
    for (size_t k = 0; k < t->nrefs; k++) {
        const pdf_noteref *r = &t->refs[k];
        if (!first_ref_in(t, k, from, to) || page_has_note(p->page, (size_t)r->note))
            continue;
        size_t n = ch->notes[r->note].t.nlines;
        if (r->note == partial && partial_lines < n) {
            add_note_piece(p->page, ch, (size_t)r->note, 0, partial_lines);
            p->carry = (pdf_notepiece){ (size_t)r->note, partial_lines, n };
            p->carrying = true;
        } else {
            add_note_piece(p->page, ch, (size_t)r->note, 0, n);
        }
    }
}

static void add_notes(pager *p, const pdf_chapter *ch, const pdf_text *t, size_t from, size_t to)
{
    add_notes_split(p, ch, t, from, to, -1, 0);
}

/* The rest of a note continued from the page before opens this page's
 * foot, up to half the page; what does not fit goes on again. */
static void place_carry(pager *p)
{
    const pdf_chapter *ch = &p->e->chapters[p->chapter];
    pdf_notepiece c = p->carry;
    const pdf_text *nt = &ch->notes[c.note].t;
    double room = p->e->text_height * (p->ending ? 1.0 : 0.5) - NOTE_SEP - NOTE_GAP;
    size_t k = c.from + 1; /* one line at least */
    while (k < c.to && lines_height(nt, c.from, k + 1) <= room)
        k++;
    if (c.to - k == 1 && k - c.from > 2) /* no lone last line */
        k--;
    add_note_piece(p->page, ch, c.note, c.from, k);
    p->page->notes_continued = true;
    p->carrying = k < c.to;
    p->carry.from = k;
}

/* Lines [from, k] do not fit with all their notes: do lines [from, last]
 * (last >= k) fit when the last new note cited on lines k..last is cut
 * after two lines or more? Returns the number of that note's lines that
 * fit here, 0 when cutting does not help. */
static size_t split_note_fit(const pager *p, const pdf_chapter *ch, const pdf_text *t, size_t from,
                             size_t k, size_t last, long *which)
{
    long cut = -1;
    for (size_t r = 0; r < t->nrefs; r++) {
        long line = ref_line(t, &t->refs[r]);
        if (line >= (long)k && line <= (long)last && first_ref_in(t, r, from, last + 1) &&
            !page_has_note(p->page, (size_t)t->refs[r].note))
            cut = t->refs[r].note;
    }
    if (cut < 0)
        return 0;
    const pdf_text *nt = &ch->notes[cut].t;
    double avail = p->e->text_height - p->page->notes_height - p->y - lines_height(t, from, last + 1);
    size_t m = 0;
    while (m < nt->nlines && notes_need_split(p, ch, t, from, last + 1, cut, m + 1) <= avail + 0.01)
        m++;
    if (m < 2 || m >= nt->nlines)
        return 0;
    *which = cut;
    return m;
}

static double block_height(const pdf_block *b)
{
    switch (b->kind) {
    case PK_TEXT:
        return lines_height(&b->t, 0, b->t.nlines);
    case PK_IMAGE:
        return b->img_h;
    case PK_ROW:
        return b->row_height;
    case PK_RULE:
        return 1;
    default:
        return 0;
    }
}

void pdf_pages_chapter(pdf_engine *e, size_t chapter)
{
    pdf_chapter *ch = &e->chapters[chapter];
    pager p = { .e = e, .chapter = chapter };
    double H = e->text_height;
    new_page(&p, true);
    for (size_t i = 0; i < ch->nblocks; i++) {
        pdf_block *b = &ch->blocks[i];
        if (b->kind == PK_BREAK) {
            if (p.page->npieces)
                new_page(&p, false);
            continue;
        }
        double space = p.y > 0 ? (b->style.space_before > p.pending_space ? b->style.space_before
                                                                          : p.pending_space)
                               : b->style.keep_space ? b->style.space_before : 0;
        /* A heading (or a caption's image) keeps the start of what follows. */
        double need = first_need(b);
        if (b->style.keep_with_next) {
            need = block_height(b);
            for (size_t k = i + 1; k < ch->nblocks; k++) {
                /* the gap is the larger of the two spaces, as when placed */
                double gap = ch->blocks[k].style.space_before > ch->blocks[k - 1].style.space_after
                                 ? ch->blocks[k].style.space_before
                                 : ch->blocks[k - 1].style.space_after;
                need += gap + first_need(&ch->blocks[k]);
                if (!ch->blocks[k].style.keep_with_next)
                    break;
            }
        }
        if (p.y > 0 && p.y + space + need > H - p.page->notes_height && need <= H) {
            new_page(&p, false);
            space = 0;
        }
        p.y += space;
        switch (b->kind) {
        case PK_TEXT: {
            size_t n = b->t.nlines, from = 0;
            while (from < n) {
                /* How many lines fit? */
                size_t k = from;
                while (k < n && p.y + lines_height(&b->t, from, k + 1) <=
                                    H - p.page->notes_height - notes_need(&p, ch, &b->t, from, k + 1) + 0.01)
                    k++;
                if (k == n) {
                    add_notes(&p, ch, &b->t, from, n);
                    place(&p, i, from, n, lines_height(&b->t, from, n));
                    break;
                }
                /* A line whose note is too long for the rest of the page
                 * stays, with the note's start; the note goes on at the
                 * foot of the next page. */
                long note = -1;
                size_t m = 0, upto = 0;
                for (size_t last = k; last < n; last++) {
                    long w = -1;
                    size_t fit = split_note_fit(&p, ch, &b->t, from, k, last, &w);
                    if (!fit)
                        break;
                    /* no orphan, no widow */
                    if ((last + 1 - from >= 2 || last + 1 == n) && n - (last + 1) != 1) {
                        note = w;
                        m = fit;
                        upto = last + 1;
                    }
                }
                if (m) {
                    k = upto;
                    add_notes_split(&p, ch, &b->t, from, k, note, m);
                    place(&p, i, from, k, lines_height(&b->t, from, k));
                    from = k;
                    new_page(&p, false);
                    continue;
                }
                /* Widows: leave at least two lines for the next page. */
                if (n - k < 2)
                    k = n >= 2 ? n - 2 : 0;
                /* Orphans: fewer than two lines here, and the page holds
                 * something else: the block starts on the next page. */
                if ((k < from || k - from < 2) && p.y > 0) {
                    new_page(&p, false);
                    continue;
                }
                if (k <= from) /* a page's worth of one line, or three at most: place it */
                    k = from + 1;
                add_notes(&p, ch, &b->t, from, k);
                place(&p, i, from, k, lines_height(&b->t, from, k));
                from = k;
                new_page(&p, false);
            }
            break;
        }
        case PK_ROW:
            /* A row that fits a page moves whole; a taller one starts here. */
            if (p.y > 0 && p.y + block_height(b) > H - p.page->notes_height + 0.01 &&
                block_height(b) <= H)
                new_page(&p, false);
            if (p.page->npieces == 0 && !b->first_row) {
                /* A table continued on a new page repeats its header row. */
                size_t h = i;
                while (h > 0 && !ch->blocks[h].first_row && ch->blocks[h - 1].kind == PK_ROW)
                    h--;
                if (h != i && ch->blocks[h].header_row)
                    place(&p, h, 0, 1, block_height(&ch->blocks[h]));
            }
            if (block_height(b) > H - p.page->notes_height - p.y + 0.01) {
                /* Taller than a page: the row is cut between lines. */
                double a = 0, h = block_height(b);
                while (a < h - 0.01) {
                    double avail = H - p.page->notes_height - p.y;
                    if (h - a <= avail + 0.01) {
                        place_slice(&p, i, a, h);
                        break;
                    }
                    double cut = row_cut(b, a, a + avail);
                    if (cut <= a + 0.01)
                        cut = a + avail; /* one line taller than the page */
                    place_slice(&p, i, a, cut);
                    a = cut;
                    new_page(&p, false);
                    size_t hr = i;
                    while (hr > 0 && !ch->blocks[hr].first_row && ch->blocks[hr - 1].kind == PK_ROW)
                        hr--;
                    if (hr != i && ch->blocks[hr].header_row)
                        place(&p, hr, 0, 1, block_height(&ch->blocks[hr]));
                }
                break;
            }
            place(&p, i, 0, 1, block_height(b));
            break;
        case PK_IMAGE:
        case PK_RULE:
            if (p.y > 0 && p.y + block_height(b) > H - p.page->notes_height + 0.01)
                new_page(&p, false);
            place(&p, i, 0, 1, block_height(b));
            break;
        case PK_BREAK:
            break;
        }
        p.pending_space = b->style.space_after;
    }
    p.ending = true;
    while (p.carrying) /* a note still going on: pages of notes alone */
        new_page(&p, false);
}
