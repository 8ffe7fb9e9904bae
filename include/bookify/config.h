/*
 * config.h -- book metadata from configuration files.
 *
 * Levels, each overriding the one before: the site's own configuration
 * (Jekyll `_config.yml`, Hugo `hugo.yaml`/`config.yaml`), then `bookify.yml`
 * in SITE, then a file named with --config, then the command line. See
 * docs/bookify-yml.md for every key.
 */
#ifndef BK_CONFIG_H
#define BK_CONFIG_H

#include "bookify/book.h"

typedef enum bk_config_kind {
    BK_CONFIG_JEKYLL,  /* _config.yml: title, author, description, url, baseurl, lang */
    BK_CONFIG_HUGO,    /* hugo.yaml: title, baseURL, languageCode, params */
    BK_CONFIG_BOOKIFY, /* bookify.yml or --config: every key, unknown keys warned */
} bk_config_kind;

/* Read the YAML file at path (display: the name for diagnostics) into
 * book->meta, overriding what is set. A missing file is fine when
 * !required. Returns -1 after recording an error (unreadable, malformed
 * YAML, a bad value), 0 otherwise. */
int bk_config_load(bk_book *book, const char *path, const char *display, bk_config_kind kind,
                   bool required, bk_diags *d);

/* Normalise a language tag ("en_US" -> "en-US"); NULL when s is not one. */
const char *bk_config_lang(bk_arena *a, const char *s);

#endif
