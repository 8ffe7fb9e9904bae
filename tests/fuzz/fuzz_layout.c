/* Fuzz target: a post converted and laid out as a PDF (boxes, line
 * breaking, pagination, footnotes, tables, drawing, the finishing pass). */
#include "bookify/pdf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024) /* layout cost grows with the text; keep executions quick */
        return 0;
    bk_diags d = BK_DIAGS_INIT;
    bk_post *post;
    bk_book *book = fuzz_book(data, size, &d, &post);
    if (fuzz_convert(book, post, &d) == 0) {
        char path[96];
        snprintf(path, sizeof path, "%s/out.pdf", fuzz_dir);
        bk_pdf_opts po;
        memset(&po, 0, sizeof po);
        po.epoch = 1764000000;
        po.last_use = true;
        bk_pdf_write(book, path, &po, &d);
    }
    bk_book_free(book);
    bk_diags_release(&d);
    return 0;
}
