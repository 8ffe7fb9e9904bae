/* Fuzz target: a post file's bytes through the collector's reading (BOM,
 * line ends, UTF-8 repair) and the front-matter parser. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bk_diags d = BK_DIAGS_INIT;
    bk_post *post;
    bk_book *book = fuzz_book(data, size, &d, &post);
    bk_book_free(book);
    bk_diags_release(&d);
    return 0;
}
