/* Fuzz target: the YAML settings files. The first byte picks the parser
 * (_config.yml, hugo.yaml, bookify.yml, a PDF theme); the rest is the file. */
#include "bookify/config.h"
#include "fuzz.h"
#include "pdf/theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char path[96];
    snprintf(path, sizeof path, "%s/settings.yml", fuzz_dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    bk_diags d = BK_DIAGS_INIT;
    int which = data[0] % 4;
    if (which == 3) {
        bk_theme t;
        bk_theme_load(&t, path, "theme.yml", &d);
        bk_theme_page_size(&t, "A5");
        bk_theme_release(&t);
    } else {
        bk_book *book = bk_book_new(fuzz_dir);
        book->site_real = fuzz_dir;
        static const bk_config_kind kinds[] = { BK_CONFIG_JEKYLL, BK_CONFIG_HUGO, BK_CONFIG_BOOKIFY };
        bk_config_load(book, path, "settings.yml", kinds[which], true, &d);
        bk_book_free(book);
    }
    bk_diags_release(&d);
    return 0;
}
