/*
 * main.c -- bookify's command line: parse options, run the stages, print
 * the diagnostics, pick the exit code (0 done, 1 the book could not be
 * built, 2 usage error). All the work lives in the library.
 */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bookify/book.h"
#include "bookify/collect.h"
#include "bookify/config.h"
#include "bookify/convert.h"
#include "bookify/deflate.h"
#include "bookify/epub.h"
#include "bookify/highlight.h"
#include "bookify/init.h"
#include "bookify/mem.h"
#include "bookify/order.h"
#include "bookify/outfile.h"
#include "bookify/par.h"
#include "bookify/pdf.h"
#include "bookify/progress.h"

#include "bookify/banned.h"

enum { EXIT_BUILD = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
    "Usage: bookify [OPTIONS] SITE\n"
    "       bookify init SITE\n"
    "Turn a folder of blog posts (Jekyll, Hugo, or any folder of Markdown) into an\n"
    "EPUB 3 e-book and a printable PDF handbook. `bookify init SITE` writes\n"
    "SITE/bookify.yml with what it found there (title, author, language, order,\n"
    "cover), commented, for you to edit.\n"
    "\n"
    "Output (neither --epub nor --pdf: both):\n"
    "      --epub[=FILE]      write an EPUB 3 (default: TITLE-SLUG.epub)\n"
    "      --pdf[=FILE]       write a PDF handbook (default: TITLE-SLUG.pdf)\n"
    "  -o, --output-dir=DIR   put default-named outputs in DIR (default: .)\n"
    "      --list             print the book's posts in reading order, one a line:\n"
    "                         date<TAB>part<TAB>title<TAB>path; write nothing\n"
    "      --check            read every post and the theme, report problems, write nothing\n"
    "      --dump-xhtml=DIR   also write each chapter's XHTML document into DIR\n"
    "\n"
    "EPUB:\n"
    "      --css=FILE         add a style sheet after bookify's own (repeatable)\n"
    "      --embed-fonts      embed the book's fonts in the EPUB\n"
    "      --toc-depth=N      heading levels in the contents: 1 = posts only (default 2)\n"
    "\n"
    "PDF:\n"
    "      --theme=FILE       PDF theme (YAML; see docs/theme.md) over the default\n"
    "      --page-size=SIZE   A4 (default), A5, Letter, 6x9in, 148x210mm...\n"
    "      --dump-layout=FILE write every box placed on every page to FILE\n"
    "\n"
    "Book metadata (override _config.yml and bookify.yml):\n"
    "      --config=FILE      read one more bookify.yml-style file\n"
    "      --title=TEXT       book title\n"
    "      --subtitle=TEXT    book subtitle\n"
    "      --author=NAME      book author\n"
    "      --lang=TAG         book language, e.g. en, fr, ar, ja\n"
    "\n"
    "Choosing and ordering posts:\n"
    "      --order=MODE       date (oldest first; default), date-desc, title, file,\n"
    "                         or category (parts by first category)\n"
    "      --category=NAME    only posts in this category (repeatable)\n"
    "      --tag=NAME         only posts with this tag (repeatable)\n"
    "      --since=DATE       only posts dated on or after DATE (YYYY-MM-DD)\n"
    "      --until=DATE       only posts dated on or before DATE\n"
    "      --drafts           include drafts (_drafts/, draft: true)\n"
    "      --future           include posts dated in the future\n"
    "\n"
    "Text:\n"
    "      --no-smart         keep straight quotes and -- as typed (no smart punctuation)\n"
    "      --no-highlight     leave code blocks plain (no syntax highlighting; also\n"
    "                         bookify.yml's highlight: false)\n"
    "\n"
    "Limits (also bookify.yml's max-post-size, max-image-size, max-image-pixels):\n"
    "      --max-post-size=SIZE     a bigger post is an error (default 64M)\n"
    "      --max-image-size=SIZE    a bigger image file is left out (default 64M)\n"
    "      --max-image-pixels=N     an image with more pixels is left out of the PDF\n"
    "                               (default 100 million)\n"
    "                               SIZE and N: a number with K, M or G (times 1024)\n"
    "\n"
    "Speed:\n"
    "  -j, --jobs=N           worker threads, 1 to 64 (default: one per processor);\n"
    "                         above 1, code is highlighted on a thread of its\n"
    "                         own (and on a helper process when most of the\n"
    "                         book is code), and the PDF's pages are drawn on\n"
    "                         a thread of their own while lines are broken;\n"
    "                         the books are byte-identical whatever N\n"
    "\n"
    "Diagnostics:\n"
    "  -q, --quiet            hide warnings (and the progress bar)\n"
    "  -v, --verbose          also say which files were skipped or left out, and why\n"
    "      --strict           treat warnings as errors\n"
    "      --diagnostics=json write the diagnostics to stderr as one JSON array\n"
    "                         (file, line, column, severity, message) for CI\n"
    "  -h, --help             show this help and exit\n"
    "  -V, --version          show the version and exit\n"
    "\n"
    "Dates: posts dated after now (SOURCE_DATE_EPOCH when set) are left out;\n"
    "SOURCE_DATE_EPOCH (else the newest post's date) also dates the books, so the\n"
    "same input gives the same bytes. With both outputs, the EPUB's page list\n"
    "gives the PDF's page numbers.\n"
    "Exit status: 0 success, 1 the book could not be built, 2 usage error.\n";

enum long_only {
    OPT_EPUB = 256,
    OPT_PDF,
    OPT_LIST,
    OPT_STRICT,
    OPT_CONFIG,
    OPT_TITLE,
    OPT_SUBTITLE,
    OPT_AUTHOR,
    OPT_LANG,
    OPT_ORDER,
    OPT_CATEGORY,
    OPT_TAG,
    OPT_SINCE,
    OPT_UNTIL,
    OPT_DRAFTS,
    OPT_FUTURE,
    OPT_CHECK,
    OPT_DUMP_XHTML,
    OPT_NO_SMART,
    OPT_NO_HIGHLIGHT,
    OPT_CSS,
    OPT_EMBED_FONTS,
    OPT_TOC_DEPTH,
    OPT_THEME,
    OPT_PAGE_SIZE,
    OPT_DUMP_LAYOUT,
    OPT_DIAGNOSTICS,
    OPT_MAX_POST_SIZE,
    OPT_MAX_IMAGE_SIZE,
    OPT_MAX_IMAGE_PIXELS,
};

static const struct option long_options[] = {
    { "epub", optional_argument, NULL, OPT_EPUB },
    { "pdf", optional_argument, NULL, OPT_PDF },
    { "output-dir", required_argument, NULL, 'o' },
    { "list", no_argument, NULL, OPT_LIST },
    { "config", required_argument, NULL, OPT_CONFIG },
    { "title", required_argument, NULL, OPT_TITLE },
    { "subtitle", required_argument, NULL, OPT_SUBTITLE },
    { "author", required_argument, NULL, OPT_AUTHOR },
    { "lang", required_argument, NULL, OPT_LANG },
    { "order", required_argument, NULL, OPT_ORDER },
    { "category", required_argument, NULL, OPT_CATEGORY },
    { "tag", required_argument, NULL, OPT_TAG },
    { "since", required_argument, NULL, OPT_SINCE },
    { "until", required_argument, NULL, OPT_UNTIL },
    { "drafts", no_argument, NULL, OPT_DRAFTS },
    { "future", no_argument, NULL, OPT_FUTURE },
    { "check", no_argument, NULL, OPT_CHECK },
    { "dump-xhtml", required_argument, NULL, OPT_DUMP_XHTML },
    { "no-smart", no_argument, NULL, OPT_NO_SMART },
    { "no-highlight", no_argument, NULL, OPT_NO_HIGHLIGHT },
    { "css", required_argument, NULL, OPT_CSS },
    { "embed-fonts", no_argument, NULL, OPT_EMBED_FONTS },
    { "toc-depth", required_argument, NULL, OPT_TOC_DEPTH },
    { "theme", required_argument, NULL, OPT_THEME },
    { "page-size", required_argument, NULL, OPT_PAGE_SIZE },
    { "dump-layout", required_argument, NULL, OPT_DUMP_LAYOUT },
    { "jobs", required_argument, NULL, 'j' },
    { "max-post-size", required_argument, NULL, OPT_MAX_POST_SIZE },
    { "max-image-size", required_argument, NULL, OPT_MAX_IMAGE_SIZE },
    { "max-image-pixels", required_argument, NULL, OPT_MAX_IMAGE_PIXELS },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "strict", no_argument, NULL, OPT_STRICT },
    { "diagnostics", required_argument, NULL, OPT_DIAGNOSTICS },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

typedef struct cli {
    bool epub, pdf, list, check, no_smart, no_highlight, quiet, verbose, strict, embed_fonts, json;
    const char **css;
    size_t ncss, capcss;
    int toc_depth;
    const char *epub_file, *pdf_file, *out_dir, *config, *dump_xhtml;
    const char *theme, *page_size, *dump_layout;
    const char *title, *subtitle, *author, *lang;
    bool order_set;
    bk_order_mode order;
    const char **categories, **tags;
    size_t ncategories, ntags, capcategories, captags;
    bk_date since, until;
    bool drafts, future;
    size_t max_post_size, max_image_size, max_image_pixels; /* 0 = not given */
    const char *site;
} cli;

static int usage_error(const char *fmt, ...) BK_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bookify: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'bookify --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

static bool parse_cli_date(const char *s, bk_date *d)
{
    return bk_date_parse(s, strlen(s), d);
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, cli *c)
{
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":o:j:qvhV", long_options, NULL)) != -1) {
        switch (opt) {
        case OPT_EPUB:
        case OPT_PDF:
            if (optarg && !*optarg)
                return usage_error("--%s= needs a file name after '='", opt == OPT_EPUB ? "epub" : "pdf");
            if (opt == OPT_EPUB) {
                c->epub = true;
                c->epub_file = optarg;
            } else {
                c->pdf = true;
                c->pdf_file = optarg;
            }
            break;
        case 'o':
            if (!*optarg)
                return usage_error("--output-dir needs a folder name");
            c->out_dir = optarg;
            break;
        case OPT_LIST:
            c->list = true;
            break;
        case OPT_CONFIG:
            c->config = optarg;
            break;
        case OPT_TITLE:
            c->title = optarg;
            break;
        case OPT_SUBTITLE:
            c->subtitle = optarg;
            break;
        case OPT_AUTHOR:
            c->author = optarg;
            break;
        case OPT_LANG:
            c->lang = optarg;
            break;
        case OPT_ORDER:
            if (!bk_order_mode_parse(optarg, &c->order))
                return usage_error("unknown order '%s': use date, date-desc, title, file or "
                                   "category",
                                   optarg);
            c->order_set = true;
            break;
        case OPT_CATEGORY:
            BK_GROW(c->categories, c->capcategories, c->ncategories + 1);
            c->categories[c->ncategories++] = optarg;
            break;
        case OPT_TAG:
            BK_GROW(c->tags, c->captags, c->ntags + 1);
            c->tags[c->ntags++] = optarg;
            break;
        case OPT_SINCE:
            if (!parse_cli_date(optarg, &c->since))
                return usage_error("invalid date '%s' for --since: use YYYY-MM-DD", optarg);
            break;
        case OPT_UNTIL:
            if (!parse_cli_date(optarg, &c->until))
                return usage_error("invalid date '%s' for --until: use YYYY-MM-DD", optarg);
            break;
        case OPT_DRAFTS:
            c->drafts = true;
            break;
        case OPT_FUTURE:
            c->future = true;
            break;
        case OPT_CHECK:
            c->check = true;
            break;
        case OPT_DUMP_XHTML:
            c->dump_xhtml = optarg;
            break;
        case OPT_NO_SMART:
            c->no_smart = true;
            break;
        case OPT_NO_HIGHLIGHT:
            c->no_highlight = true;
            break;
        case OPT_CSS:
            BK_GROW(c->css, c->capcss, c->ncss + 1);
            c->css[c->ncss++] = optarg;
            break;
        case OPT_THEME:
            c->theme = optarg;
            break;
        case OPT_PAGE_SIZE:
            c->page_size = optarg;
            break;
        case OPT_DUMP_LAYOUT:
            c->dump_layout = optarg;
            break;
        case OPT_EMBED_FONTS:
            c->embed_fonts = true;
            break;
        case OPT_TOC_DEPTH: {
            long n;
            if (!bk_parse_int(optarg, 1, 6, &n))
                return usage_error("--toc-depth must be a number from 1 to 6, not '%s'", optarg);
            c->toc_depth = (int)n;
            break;
        }
        case OPT_MAX_POST_SIZE:
        case OPT_MAX_IMAGE_SIZE:
        case OPT_MAX_IMAGE_PIXELS: {
            size_t n;
            const char *name = opt == OPT_MAX_POST_SIZE    ? "max-post-size"
                               : opt == OPT_MAX_IMAGE_SIZE ? "max-image-size"
                                                           : "max-image-pixels";
            if (!bk_parse_size(optarg, &n))
                return usage_error("--%s must be a size such as 500K, 20M or 1G, not '%s'", name,
                                   optarg);
            *(opt == OPT_MAX_POST_SIZE    ? &c->max_post_size
              : opt == OPT_MAX_IMAGE_SIZE ? &c->max_image_size
                                          : &c->max_image_pixels) = n;
            break;
        }
        case 'j': {
            long n;
            if (!bk_parse_int(optarg, 1, 64, &n))
                return usage_error("--jobs must be a number from 1 to 64, not '%s'", optarg);
            bk_par_set_jobs((int)n);
            break;
        }
        case 'q':
            c->quiet = true;
            break;
        case 'v':
            c->verbose = true;
            break;
        case OPT_STRICT:
            c->strict = true;
            break;
        case OPT_DIAGNOSTICS:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
                return usage_error("--diagnostics must be 'text' or 'json', not '%s'", optarg);
            c->json = strcmp(optarg, "json") == 0;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'V':
            printf("bookify %s\n", BK_VERSION);
            return 0;
        case ':':
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt && optopt < 256) /* a short option: name it alone, not its cluster */
                return usage_error("unknown option '-%c'", optopt);
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("no SITE given: name the folder that holds the posts");
    if (argc - optind > 1) {
        /* --pdf x.pdf SITE: name the output that lost its '=' */
        const char *extra = argv[optind + 1];
        for (int i = optind; i < argc; i++) {
            size_t m = strlen(argv[i]);
            if ((m > 5 && strcmp(argv[i] + m - 5, ".epub") == 0) || (m > 4 && strcmp(argv[i] + m - 4, ".pdf") == 0))
                extra = argv[i];
        }
        size_t n = strlen(extra);
        if ((n > 5 && strcmp(extra + n - 5, ".epub") == 0) ||
            (n > 4 && strcmp(extra + n - 4, ".pdf") == 0))
            return usage_error("unexpected '%s': write --epub=FILE or --pdf=FILE, with '='",
                               extra);
        return usage_error("unexpected argument '%s': give one SITE folder", extra);
    }
    c->site = argv[optind];
    if (c->since.valid && c->until.valid && bk_date_cmp(&c->since, &c->until) > 0)
        return usage_error("--since is after --until: no post could match");
    if (!c->epub && !c->pdf)
        c->epub = c->pdf = true;
    if (c->epub_file && c->pdf_file && strcmp(c->epub_file, c->pdf_file) == 0)
        return usage_error("--epub and --pdf name the same file '%s'", c->epub_file);
    return -1;
}

/* SOURCE_DATE_EPOCH when set (reproducible builds), else -1. */
static int64_t source_date_epoch(void)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    if (s && *s) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (!errno && !*end && v >= 0)
            return v;
    }
    return -1;
}

/* SOURCE_DATE_EPOCH when set, else the clock. Used only to leave out future
 * posts: the books themselves never read the clock. */
static int64_t now_epoch(bk_diags *d)
{
    int64_t v = source_date_epoch();
    if (v >= 0)
        return v;
    const char *s = getenv("SOURCE_DATE_EPOCH");
    if (s && *s)
        bk_warn(d, (bk_loc){ NULL, 0, 0 },
                "SOURCE_DATE_EPOCH='%s' is not a number of seconds; using the clock", s);
    return (int64_t)time(NULL);
}

static void apply_cli_meta(bk_book *book, const cli *c, bk_diags *d)
{
    bk_meta *m = &book->meta;
    if (c->title)
        m->title = bk_arena_strdup(&book->arena, c->title);
    if (c->subtitle)
        m->subtitle = bk_arena_strdup(&book->arena, c->subtitle);
    if (c->author)
        m->author = bk_arena_strdup(&book->arena, c->author);
    if (c->lang) {
        const char *l = bk_config_lang(&book->arena, c->lang);
        if (l)
            m->lang = l;
        else
            bk_error(d, (bk_loc){ NULL, 0, 0 },
                     "--lang '%s' is not a language tag such as 'en', 'pt-BR' or 'zh-Hant'",
                     c->lang);
    }
    if (c->max_post_size)
        m->max_post_size = c->max_post_size;
    if (c->max_image_size)
        m->max_image_size = c->max_image_size;
    if (c->max_image_pixels)
        m->max_image_pixels = c->max_image_pixels;
    if (!m->title)
        m->title = book->site_name;
    if (!m->lang)
        m->lang = "en";
}

/* Title, tab and newline would break the --list columns. */
static void put_field(const char *s)
{
    for (; *s; s++)
        putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

static void print_list(const bk_book *book)
{
    for (size_t i = 0; i < book->nposts; i++) {
        const bk_post *p = book->posts[i];
        char ymd[11] = "";
        if (p->date.valid)
            bk_date_format_ymd(&p->date, ymd);
        fputs(ymd, stdout);
        putchar('\t');
        if (p->part >= 0)
            put_field(book->parts[p->part].title);
        putchar('\t');
        put_field(p->title);
        putchar('\t');
        put_field(p->path);
        putchar('\n');
    }
}

/* Make the folder dir and its parents when missing. Returns 0, or -1 after
 * recording an error. */
static int make_dirs(const char *dir, bk_diags *d)
{
    char *dirs = bk_xstrdup(dir);
    int rc = 0;
    for (char *s = dirs + 1; *dirs; s++) {
        if (*s == '/' || *s == '\0') {
            char keep = *s;
            *s = '\0';
            if (mkdir(dirs, 0777) < 0 && errno != EEXIST) {
                rc = bk_error(d, (bk_loc){ dir, 0, 0 }, "cannot make the folder: %s",
                              strerror(errno));
                break;
            }
            *s = keep;
            if (!keep)
                break;
        }
    }
    free(dirs);
    return rc;
}

/* Each chapter's XHTML into dir (for inspection and tests). */
static void dump_xhtml(const bk_book *book, const char *dir, bk_diags *d)
{
    if (!*dir)
        dir = ".";
    if (make_dirs(dir, d) < 0)
        return;
    bk_buf text = BK_BUF_INIT, path = BK_BUF_INIT, index = BK_BUF_INIT;
    for (size_t i = 0; i < book->nposts; i++) {
        const bk_post *p = book->posts[i];
        bk_buf_reset(&text);
        bk_buf_reset(&path);
        bk_convert_serialize(p, &text);
        bk_buf_addf(&path, "%s/%s", dir, p->file);
        if (bk_outfile_write_all(path.ptr, text.ptr, text.len, d) < 0)
            break;
        bk_buf_addf(&index, "%s\t%s\n", p->file, p->path);
    }
    /* index.tsv: chapter file and source path, in reading order. */
    bk_buf_reset(&path);
    bk_buf_addf(&path, "%s/index.tsv", dir);
    if (d->nerrors == 0)
        bk_outfile_write_all(path.ptr, index.ptr, index.len, d);
    bk_buf_release(&index);
    bk_buf_release(&text);
    bk_buf_release(&path);
}

static const char *output_path(bk_book *book, const cli *c, const char *file, const char *ext)
{
    if (file)
        return file;
    const char *stem = bk_book_file_stem(book);
    if (c->out_dir)
        return bk_arena_printf(&book->arena, "%s/%s.%s", c->out_dir, stem, ext);
    return bk_arena_printf(&book->arena, "%s.%s", stem, ext);
}

/* The real path an output would have: its own when it exists, else its
 * folder's and its name; NULL when the folder does not exist. */
static char *output_real(const char *path)
{
    char *real = realpath(path, NULL);
    if (real)
        return real;
    const char *slash = strrchr(path, '/');
    char *dir = slash ? g_strndup(path, (size_t)(slash - path + (slash == path))) : g_strdup(".");
    char *rdir = realpath(dir, NULL);
    g_free(dir);
    if (!rdir)
        return NULL;
    char *r = g_strconcat(rdir, "/", slash ? slash + 1 : path, NULL);
    free(rdir);
    real = bk_xstrdup(r);
    g_free(r);
    return real;
}

/* An output never replaces a file of the site: not a post, an image or a
 * setting, nor anything else there but an earlier book of its kind. */
static int check_output(bk_book *book, const char *path, const char *ext, bk_diags *d)
{
    /* A folder that is not there fails now, not after a long layout. */
    const char *slash = strrchr(path, '/');
    if (slash && slash != path) {
        char *dir = g_strndup(path, (size_t)(slash - path));
        struct stat dst;
        int e = stat(dir, &dst) < 0 ? errno : S_ISDIR(dst.st_mode) ? 0 : ENOTDIR;
        if (e == ENOENT || e == ENOTDIR)
            bk_error(d, (bk_loc){ path, 0, 0 }, "cannot write: the folder '%s' %s", dir,
                     e == ENOENT ? "does not exist" : "is not a folder");
        g_free(dir);
        if (e == ENOENT || e == ENOTDIR)
            return -1;
    }
    char *real = output_real(path);
    struct stat st;
    size_t n = strlen(book->site_real);
    int rc = 0;
    if (real && strncmp(real, book->site_real, n) == 0 && real[n] == '/' && stat(real, &st) == 0) {
        bool input = false;
        for (size_t i = 0; i < book->nposts && !input; i++)
            input = strcmp(real + n + 1, book->posts[i]->path) == 0;
        for (size_t i = 0; i < book->nassets && !input; i++)
            input = strcmp(real, book->assets[i].path) == 0;
        const char *dot = strrchr(real, '.');
        const char *kind = strcmp(ext, "pdf") == 0 ? "PDF" : "EPUB";
        if (input)
            rc = bk_error(d, (bk_loc){ path, 0, 0 },
                          "will not write the %s over one of the book's input files; choose "
                          "another file name",
                          kind);
        else if (!dot || strcasecmp(dot + 1, ext) != 0)
            rc = bk_error(d, (bk_loc){ path, 0, 0 },
                          "will not write the %s over a file of the site that is not an earlier "
                          "%s; choose another file name",
                          kind, kind);
    }
    free(real);
    return rc;
}

/* `bookify init SITE`: a commented bookify.yml from what the site holds. */
static int init_main(int argc, char **argv)
{
    const char *site = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs("Usage: bookify init SITE\n"
                  "Write SITE/bookify.yml with the title, author, language, order and cover\n"
                  "bookify found, each explained, for you to edit. Never replaces one.\n",
                  stdout);
            return 0;
        }
        if (argv[i][0] == '-' || site)
            return usage_error("bookify init takes one SITE folder and no option, not '%s'",
                               argv[i]);
        site = argv[i];
    }
    if (!site)
        return usage_error("bookify init needs the SITE folder");
    bk_convert_init();
    bk_diags d = BK_DIAGS_INIT;
    bk_book *book = bk_book_new(site);
    bk_collect_opts opts = { .drafts = false };
    opts.now = now_epoch(&d);
    if (bk_site_open(book, &d) == 0) {
        opts.max_post_size = book->meta.max_post_size;
        bk_collect(book, &opts, &d);
        bk_order(book, BK_ORDER_DATE, &d);
        bk_init_write(book, &d);
    }
    bk_diags_sort(&d);
    bk_diags_print(&d, stderr, 0);
    int code = d.nerrors ? EXIT_BUILD : 0;
    bk_diags_release(&d);
    bk_book_free(book);
    return code;
}

/* Run by the dynamic loader before any library's initializer, so before
 * the first malloc (mem.h). */
static void preinit(int argc, char **argv, char **envp)
{
    (void)argc, (void)argv;
    bk_mem_init(envp);
}
__attribute__((section(".preinit_array"), used)) static void (*const preinit_entry)(
    int, char **, char **) = preinit;

/* Whether the end of a run frees what it holds: with the sanitizers
 * (their leak check runs at exit and must see every free path run) and
 * with BOOKIFY_FREE_AT_EXIT=1 (valgrind's, e2e.valgrind); not otherwise. */
static bool free_at_exit(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) ||                      \
    __has_feature(thread_sanitizer)
    return true;
#endif
#endif
    return bk_env_on("BOOKIFY_FREE_AT_EXIT", NULL);
}

static void warm_highlighter(void)
{
    bk_highlight_warm(false);
}

int main(int argc, char **argv)
{
    /* bookify's own highlighting helper (highlight.c), before anything */
    if (argc == 4 && strcmp(argv[1], BK_HIGHLIGHT_HELPER_ARG) == 0)
        return bk_highlight_helper_run(argv[2], argv[3]);
    /* cairo deflates page contents the PDF finishing pass then inflates,
     * marks and deflates again: asked to leave them plain (its one switch
     * for that, read when a PDF surface is made), it does not, and the
     * pass deflates them once, on every core. Set before any thread. */
    setenv("CAIRO_DEBUG_PDF", "1", 0);
    /* libzip turns each entry's time into a time_t and back (mktime,
     * localtime); with TZ unset the C library looks at /etc/localtime
     * again at every call, 1,000 times for a 1,000-post EPUB. The same
     * zone named once is read once. */
    if (!getenv("TZ"))
        setenv("TZ", ":/etc/localtime", 0);
    if (argc >= 2 && strcmp(argv[1], "init") == 0)
        return init_main(argc - 1, argv + 1);
    cli c = { 0 };
    int code = parse_args(argc, argv, &c);
    if (code >= 0) {
        free(c.categories);
        free(c.tags);
        free(c.css);
        return code;
    }

    /* libzip loads beside the reading (epub.h) */
    if (c.epub && !c.list && !c.check)
        bk_epub_preload();
    bk_outfile_install_handlers();
    bk_convert_init();
    bk_progress_enable(!c.quiet && isatty(2));
    bk_diags d = BK_DIAGS_INIT;
    d.strict = c.strict;
    bk_book *book = bk_book_new(c.site);
    bk_collect_opts opts = {
        .drafts = c.drafts,
        .future = c.future,
        .categories = c.categories,
        .ncategories = c.ncategories,
        .tags = c.tags,
        .ntags = c.ntags,
        .since = c.since,
        .until = c.until,
    };
    opts.now = now_epoch(&d);
    int64_t epoch = source_date_epoch();

    bk_stage_time("bookify", NULL);
    /* The PDF writer, before anything loads pango (pdf.h). */
    const bk_pdf_api *pdf = !c.list && (c.pdf || c.check) ? bk_pdf_load(&d) : NULL;
    if (d.nerrors == 0 && bk_site_open(book, &d) == 0) {
        if (c.config)
            bk_config_load(book, c.config, c.config, BK_CONFIG_BOOKIFY, true, &d);
        apply_cli_meta(book, &c, &d);
        /* Keep going after a configuration error, so one run reports the
         * problems of every post too. */
        opts.max_post_size = book->meta.max_post_size;
        /* A book with code to highlight starts GtkSourceView's set-up
         * (GTK, the language list: 40 ms and more) on a thread of its own
         * as soon as a post with code is read, not when the conversion
         * first needs it. */
        if (!c.no_highlight && book->meta.highlight >= 0 && !c.list && bk_par_jobs() > 1) {
            opts.code_seen = warm_highlighter;
            opts.core_take = bk_highlight_core_take;
            opts.core_give = bk_highlight_core_give;
            opts.core_done = bk_highlight_core_done;
        }
        if (bk_collect(book, &opts, &d) == 0 || book->nposts) {
            if (getenv("BOOKIFY_TIMES") && bk_highlight_thread_running())
                fprintf(stderr, "bookify: the highlighter's set-up started while the posts were "
                                "read\n");
            bk_order_mode mode = c.order_set ? c.order : book->meta.order;
            bk_order(book, mode, &d);
        }
        /* A long book's PDF (over 2 MiB of posts, some 2,000) in small
         * pages: its peak, not its time, is what counts there (mem.h). A
         * shorter one keeps what it frees for its next use (mem.h). */
        size_t text = 0;
        for (size_t i = 0; i < book->nposts; i++)
            text += book->posts[i]->text_len;
        if (c.pdf && text > (size_t)2 << 20)
            bk_mem_huge_pages(false);
        else if (c.pdf)
            bk_mem_keep_freed((size_t)1 << 30);
        bk_stage_time("bookify", "read and ordered");
    }

    /* A bad theme or page size stops the build before the posts are
     * converted, not after (and --check reports it). */
    bk_pdf_opts po = { c.theme, c.page_size, epoch, c.toc_depth, c.dump_layout, !c.epub,
                       c.epub && !getenv("BOOKIFY_KEEP_DOCS") };
    if (d.nerrors == 0 && pdf)
        pdf->check(book, &po, c.check, &d);

    /* The list needs no conversion; everything else does. */
    if (d.nerrors == 0 && !c.list) {
        bk_convert_opts co = { .no_smart = c.no_smart,
                                .no_highlight = c.no_highlight || book->meta.highlight < 0 };
        bk_convert_book(book, &co, &d);
        bk_stage_time("bookify", "converted");
        if (c.dump_xhtml && d.nerrors == 0)
            dump_xhtml(book, c.dump_xhtml, &d);
    }

    if (d.nerrors == 0) {
        if (c.list) {
            print_list(book);
        } else if (c.check) {
            /* reported below; nothing else to write */
        } else {
            if (c.pdf && (!c.out_dir || make_dirs(c.out_dir, &d) == 0))
                check_output(book, output_path(book, &c, c.pdf_file, "pdf"), "pdf", &d);
            if (c.epub && (!c.out_dir || make_dirs(c.out_dir, &d) == 0))
                check_output(book, output_path(book, &c, c.epub_file, "epub"), "epub", &d);
            if (d.nerrors)
                c.pdf = c.epub = false;
            /* The PDF first: when both are made, the EPUB's page list
             * gives the PDF's page numbers. */
            if (c.pdf && pdf && (!c.out_dir || make_dirs(c.out_dir, &d) == 0)) {
                /* Both books: the posts' trees wait for the EPUB serialized
                 * and deflated, not whole (BOOKIFY_KEEP_DOCS keeps them
                 * whole: the tests compare the two EPUBs; po above). */
                pdf->write(book, output_path(book, &c, c.pdf_file, "pdf"), &po, &d);
            }
            if (c.epub && (!c.out_dir || make_dirs(c.out_dir, &d) == 0)) {
                /* The last use of the posts' trees, which go with the
                 * process: freeing each once written (a quarter of a
                 * million blocks at 1,000 posts, most of them another
                 * thread's) made a 1,000-post EPUB 162 ms against 145
                 * (docs/performance.md). */
                bk_epub_opts eo = { c.css, c.ncss, c.embed_fonts, c.toc_depth, epoch, 0 };
                bk_epub_write(book, output_path(book, &c, c.epub_file, "epub"), &eo, &d);
            }
        }
    }

    bk_diags_sort(&d);
    unsigned pflags = (c.quiet ? BK_DIAGS_QUIET : 0) | (c.verbose ? BK_DIAGS_VERBOSE : 0);
    if (c.json)
        bk_diags_print_json(&d, stderr, pflags);
    else
        bk_diags_print(&d, stderr, pflags);
    code = d.nerrors ? EXIT_BUILD : 0;
    if (fflush(stdout) != 0 && code == 0) {
        fprintf(stderr, "bookify: error: cannot write the list: %s\n", strerror(errno));
        code = EXIT_BUILD;
    }
    if (!free_at_exit()) {
        /* Every book is written and renamed into place, stdout flushed:
         * the rest of the process's memory goes with it. Freeing the
         * book piece by piece and running the libraries' destructors
         * (some 90 with GTK loaded) took 5-6 ms of a 150 ms EPUB. */
        bk_outfile_cleanup();
        bk_stage_time("bookify", "done (nothing freed)");
        _exit(code);
    }
    bk_diags_release(&d);
    bk_book_free(book);
    bk_highlight_release();
    bk_deflate_release();
    bk_par_release();
    bk_stage_time("bookify", "freed");
    free(c.categories);
    free(c.tags);
    free(c.css);
    return code;
}
