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
    pdf_notepiece *carry; /* the rest of footnotes, for the next pages' feet, in order */
    size_t ncarry, capcarry;
    bool *placed;         /* each of the chapter's notes: set at a page's foot already */
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
    if (p->ncarry)
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

static double lines_height(const pdf_text *t, size_t from, size_t to)
{
    return pdf_lines_height(t, from, to);
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


/* A note goes to the foot of the page of its first reference only. */
static bool note_placed(const pager *p, size_t note)
{
    return p->placed[note];
}

static long ref_line(const pdf_text *t, const pdf_noteref *r)
{
    return t->lines ? r->line : -1; /* laid out (here, or by the helper: fork.c) */
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
        if (!first_ref_in(t, k, from, to) || note_placed(p, (size_t)r->note))
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

static void carry_push(pager *p, pdf_notepiece c, bool front)
{
    BK_GROW(p->carry, p->capcarry, p->ncarry + 1);
    if (front) {
        memmove(p->carry + 1, p->carry, p->ncarry * sizeof(*p->carry));
        p->carry[0] = c;
    } else {
        p->carry[p->ncarry] = c;
    }
    p->ncarry++;
}

/* The notes cited in lines [from, to) go to this page's foot; of the note
 * `partial` only its first `partial_lines`, the rest carried over. */
static void add_notes_split(pager *p, const pdf_chapter *ch, const pdf_text *t, size_t from, size_t to,
                            long partial, size_t partial_lines)
{
    for (size_t k = 0; k < t->nrefs; k++) {
        const pdf_noteref *r = &t->refs[k];
        if (!first_ref_in(t, k, from, to) || note_placed(p, (size_t)r->note))
            continue;
        size_t n = ch->notes[r->note].t.nlines;
        p->placed[r->note] = true;
        if (r->note == partial && partial_lines < n) {
            add_note_piece(p->page, ch, (size_t)r->note, 0, partial_lines);
            carry_push(p, (pdf_notepiece){ (size_t)r->note, partial_lines, n }, false);
        } else {
            add_note_piece(p->page, ch, (size_t)r->note, 0, n);
        }
    }
}

static void add_notes(pager *p, const pdf_chapter *ch, const pdf_text *t, size_t from, size_t to)
{
    add_notes_split(p, ch, t, from, to, -1, 0);
}

/* Height of the notes first cited in a table row's cells, and setting
 * them at the page's foot. */
static double row_notes(pager *p, const pdf_chapter *ch, const pdf_block *b, bool add)
{
    double h = 0;
    bool first = p->page->nnotes == 0;
    for (size_t c = 0; c < b->ncells; c++) {
        const pdf_text *t = &b->cells[c];
        for (size_t k = 0; k < t->nrefs; k++) {
            long note = t->refs[k].note;
            if (note < 0 || note_placed(p, (size_t)note))
                continue;
            bool seen = false; /* cited earlier in this row */
            for (size_t c2 = 0; c2 <= c && !seen; c2++)
                for (size_t k2 = 0; k2 < (c2 == c ? k : b->cells[c2].nrefs) && !seen; k2++)
                    seen = b->cells[c2].refs[k2].note == note;
            if (seen)
                continue;
            const pdf_text *nt = &ch->notes[note].t;
            h += lines_height(nt, 0, nt->nlines) + NOTE_GAP + (first ? NOTE_SEP : 0);
            first = false;
            if (add) {
                p->placed[note] = true;
                add_note_piece(p->page, ch, (size_t)note, 0, nt->nlines);
            }
        }
    }
    return h;
}

/* The rest of notes continued from the page before open this page's
 * foot, up to half the page (a whole page once the chapter's text is
 * placed); what does not fit goes on again. */
static void place_carry(pager *p)
{
    const pdf_chapter *ch = &p->e->chapters[p->chapter];
    double cap = p->e->text_height * (p->ending ? 1.0 : 0.5); /* the notes' area at most */
    size_t done = 0;
    while (done < p->ncarry) {
        pdf_notepiece *c = &p->carry[done];
        const pdf_text *nt = &ch->notes[c->note].t;
        double left = cap - p->page->notes_height - NOTE_GAP - (p->page->nnotes ? 0 : NOTE_SEP);
        size_t k = c->from;
        while (k < c->to && lines_height(nt, c->from, k + 1) <= left)
            k++;
        if (k == c->from && p->page->nnotes == 0)
            k++; /* one line at least, or nothing moves */
        if (k < c->to && c->to - k == 1 && k - c->from > 2) /* no lone last line */
            k--;
        if (k == c->from)
            break;
        add_note_piece(p->page, ch, c->note, c->from, k);
        p->page->notes_continued = true;
        if (k < c->to) {
            c->from = k;
            break;
        }
        done++;
    }
    memmove(p->carry, p->carry + done, (p->ncarry - done) * sizeof(*p->carry));
    p->ncarry -= done;
}

/* A page that holds only carried notes gives them back when the block
 * that opens it needs the room (an image, a table row): they go on at the
 * next page's foot. */
static void uncarry(pager *p)
{
    pdf_page *pg = p->page;
    if (pg->npieces || !pg->notes_continued)
        return;
    for (size_t i = pg->nnotes; i-- > 0;) {
        pdf_notepiece piece = pg->notes[i];
        if (p->ncarry && p->carry[0].note == piece.note && p->carry[0].from == piece.to)
            p->carry[0].from = piece.from;
        else
            carry_push(p, piece, true);
    }
    pg->nnotes = 0;
    pg->notes_height = 0;
    pg->notes_continued = false;
}

/* A table continued on a new page repeats its header row, when the header
 * leaves room for the row (a header taller than half a page is not
 * repeated). */
static void repeat_header(pager *p, const pdf_chapter *ch, size_t i)
{
    size_t h = i;
    while (h > 0 && !ch->blocks[h].first_row && ch->blocks[h - 1].kind == PK_ROW)
        h--;
    double avail = p->e->text_height - p->page->notes_height - p->y;
    if (h != i && ch->blocks[h].header_row && ch->blocks[h].row_height <= avail / 2)
        place(p, h, 0, 1, ch->blocks[h].row_height);
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
            !note_placed(p, (size_t)t->refs[r].note))
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
    p.placed = bk_xcalloc(ch->nnotes ? ch->nnotes : 1, sizeof(bool));
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
        case PK_ROW: {
            /* A row that fits a page moves whole, with the notes its
             * cells cite; a taller one starts here. */
            double rh = block_height(b);
            if (p.y > 0 && p.y + rh + row_notes(&p, ch, b, false) > H - p.page->notes_height + 0.01 &&
                rh <= H)
                new_page(&p, false);
            if (p.y == 0 && rh + row_notes(&p, ch, b, false) > H - p.page->notes_height + 0.01)
                uncarry(&p);
            if (p.page->npieces == 0 && !b->first_row)
                repeat_header(&p, ch, i);
            row_notes(&p, ch, b, true);
            if (rh > H - p.page->notes_height - p.y + 0.01) {
                /* Taller than the page's room: the row is cut between lines. */
                double a = 0;
                while (a < rh - 0.01) {
                    double avail = H - p.page->notes_height - p.y;
                    if (rh - a <= avail + 0.01) {
                        place_slice(&p, i, a, rh);
                        break;
                    }
                    if (avail < 1) { /* no room at all here */
                        new_page(&p, false);
                        uncarry(&p);
                        continue;
                    }
                    double cut = row_cut(b, a, a + avail);
                    if (cut <= a + 0.01)
                        cut = a + avail; /* one line taller than the page */
                    place_slice(&p, i, a, cut);
                    a = cut;
                    new_page(&p, false);
                    repeat_header(&p, ch, i);
                }
                break;
            }
            place(&p, i, 0, 1, rh);
            break;
        }
        case PK_IMAGE:
        case PK_RULE:
            if (p.y > 0 && p.y + block_height(b) > H - p.page->notes_height + 0.01)
                new_page(&p, false);
            if (p.y == 0 && block_height(b) > H - p.page->notes_height + 0.01)
                uncarry(&p);
            place(&p, i, 0, 1, block_height(b));
            break;
        case PK_BREAK:
            break;
        }
        p.pending_space = b->style.space_after;
    }
    p.ending = true;
    while (p.ncarry) /* notes still going on: pages of notes alone */
        new_page(&p, false);
    free(p.carry);
    free(p.placed);
}
