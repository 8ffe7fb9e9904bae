/* Fuzz target: a whole post, front matter and Markdown (with Liquid, Hugo
 * shortcodes, kramdown attributes, math, raw HTML), converted to its XHTML
 * chapter, links resolved and the chapter serialised. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bk_diags d = BK_DIAGS_INIT;
    bk_post *post;
    bk_book *book = fuzz_book(data, size, &d, &post);
    if (fuzz_convert(book, post, &d) == 0 || (post && post->doc)) {
        bk_buf b = BK_BUF_INIT;
        if (post->doc)
            bk_convert_serialize(post, &b);
        bk_buf_release(&b);
    }
    bk_book_free(book);
    bk_diags_release(&d);
    return 0;
}
