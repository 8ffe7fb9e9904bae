/* highlight.c -- syntax highlighting through GtkSourceView 4 (see highlight.h).
 *
 * How the classes come back: GtkSourceView colours its (anonymous) tags
 * from a style scheme. bookify's scheme, made here from the table below,
 * gives every style it cares about a foreground of #0000NN where NN is the
 * class, so a tag's foreground colour is its class. The scheme is read
 * from a sealed in-memory file (memfd): the scheme manager only reads
 * files named in its search path, and it accepts a file there as well as
 * a folder. Nothing is written to disk.
 *
 * GtkSourceView is not thread-safe (its managers, languages and compiled
 * regexes are shared, and GTK keeps process-wide state: tried with a set
 * of objects per thread, it crashed), so every call runs under one lock;
 * one buffer per language is kept and reused. */
#define _GNU_SOURCE /* memfd_create */
#include "bookify/highlight.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtksourceview/gtksource.h>

#include "bookify/dl.h"
#include "bookify/fileio.h"
#include "bookify/par.h"
#include "bookify/util.h"

#include "bookify/banned.h"

static const char *const class_names[BK_HL_COUNT] = {
    [BK_HL_NONE] = "",
    [BK_HL_KEYWORD] = "keyword",
    [BK_HL_TYPE] = "type",
    [BK_HL_STRING] = "string",
    [BK_HL_ESCAPE] = "escape",
    [BK_HL_COMMENT] = "comment",
    [BK_HL_NUMBER] = "number",
    [BK_HL_FUNCTION] = "function",
    [BK_HL_BUILTIN] = "builtin",
    [BK_HL_CONSTANT] = "constant",
    [BK_HL_PREPROCESSOR] = "preprocessor",
    [BK_HL_VARIABLE] = "variable",
    [BK_HL_TAG] = "tag",
    [BK_HL_ATTRIBUTE] = "attribute",
    [BK_HL_INSERTED] = "inserted",
    [BK_HL_DELETED] = "deleted",
    [BK_HL_HEADING] = "heading",
};

const char *bk_hl_class_name(bk_hl_class c)
{
    return (unsigned)c < BK_HL_COUNT ? class_names[c] : "";
}

bk_hl_class bk_hl_class_from_name(const char *name)
{
    for (int c = 1; c < BK_HL_COUNT; c++)
        if (strcmp(class_names[c], name) == 0)
            return (bk_hl_class)c;
    return BK_HL_NONE;
}

/* Pygments' short token classes, which Rouge and Chroma share: the first
 * letters give the family, a few second letters refine it. */
bk_hl_class bk_hl_class_from_pygments(const char *c)
{
    static const struct {
        const char *cls;
        bk_hl_class hl;
    } exact[] = {
        { "kt", BK_HL_TYPE },       { "kc", BK_HL_CONSTANT },  { "cp", BK_HL_PREPROCESSOR },
        { "cpf", BK_HL_PREPROCESSOR }, { "se", BK_HL_ESCAPE }, { "si", BK_HL_ESCAPE },
        { "nf", BK_HL_FUNCTION },   { "fm", BK_HL_FUNCTION },  { "nc", BK_HL_TYPE },
        { "nn", BK_HL_TYPE },       { "nb", BK_HL_BUILTIN },   { "bp", BK_HL_BUILTIN },
        { "nt", BK_HL_TAG },        { "na", BK_HL_ATTRIBUTE }, { "nv", BK_HL_VARIABLE },
        { "vc", BK_HL_VARIABLE },   { "vg", BK_HL_VARIABLE },  { "vi", BK_HL_VARIABLE },
        { "vm", BK_HL_VARIABLE },   { "no", BK_HL_CONSTANT },  { "nd", BK_HL_PREPROCESSOR },
        { "ow", BK_HL_KEYWORD },    { "gi", BK_HL_INSERTED },  { "gd", BK_HL_DELETED },
        { "gh", BK_HL_HEADING },    { "gu", BK_HL_HEADING },   { "ch", BK_HL_COMMENT },
    };
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        if (strcmp(c, exact[i].cls) == 0)
            return exact[i].hl;
    size_t n = strlen(c);
    if (n == 0 || n > 3)
        return BK_HL_NONE;
    switch (c[0]) {
    case 'k': return BK_HL_KEYWORD;
    case 's': return BK_HL_STRING;
    case 'c': return BK_HL_COMMENT;
    case 'm': return BK_HL_NUMBER;
    default: return BK_HL_NONE;
    }
}

/* ---- the style scheme ---- */

/* GtkSourceView style -> class. Every def: style is listed, the ones
 * bookify leaves plain as BK_HL_NONE: an unlisted style would fall back
 * to the style it maps to (def:operator to def:statement, a keyword). */
static const struct {
    const char *style;
    bk_hl_class cls;
} scheme_styles[] = {
    { "def:comment", BK_HL_COMMENT },
    { "def:shebang", BK_HL_COMMENT },
    { "def:doc-comment", BK_HL_COMMENT },
    { "def:doc-comment-element", BK_HL_COMMENT },
    { "def:note", BK_HL_COMMENT },
    { "def:constant", BK_HL_CONSTANT },
    { "def:special-constant", BK_HL_CONSTANT },
    { "def:boolean", BK_HL_CONSTANT },
    { "def:character", BK_HL_STRING },
    { "def:string", BK_HL_STRING },
    { "def:special-char", BK_HL_ESCAPE },
    { "def:number", BK_HL_NUMBER },
    { "def:floating-point", BK_HL_NUMBER },
    { "def:decimal", BK_HL_NUMBER },
    { "def:base-n-integer", BK_HL_NUMBER },
    { "def:complex", BK_HL_NUMBER },
    { "def:identifier", BK_HL_VARIABLE },
    { "def:function", BK_HL_FUNCTION },
    { "def:builtin", BK_HL_BUILTIN },
    { "def:statement", BK_HL_KEYWORD },
    { "def:keyword", BK_HL_KEYWORD },
    { "def:reserved", BK_HL_KEYWORD },
    { "def:operator", BK_HL_NONE },
    { "def:type", BK_HL_TYPE },
    { "def:preprocessor", BK_HL_PREPROCESSOR },
    { "def:heading", BK_HL_HEADING },
    { "def:heading0", BK_HL_HEADING },
    { "def:heading1", BK_HL_HEADING },
    { "def:heading2", BK_HL_HEADING },
    { "def:heading3", BK_HL_HEADING },
    { "def:heading4", BK_HL_HEADING },
    { "def:heading5", BK_HL_HEADING },
    { "def:heading6", BK_HL_HEADING },
    { "def:insertion", BK_HL_INSERTED },
    { "def:deletion", BK_HL_DELETED },
    { "def:emphasis", BK_HL_NONE },
    { "def:strong-emphasis", BK_HL_NONE },
    { "def:inline-code", BK_HL_NONE },
    { "def:link-text", BK_HL_NONE },
    { "def:link-symbol", BK_HL_NONE },
    { "def:link-destination", BK_HL_NONE },
    { "def:thematic-break", BK_HL_NONE },
    { "def:preformatted-section", BK_HL_NONE },
    { "def:list-marker", BK_HL_NONE },
    { "def:net-address", BK_HL_NONE },
    { "def:underlined", BK_HL_NONE },
    { "def:error", BK_HL_NONE },
    { "def:warning", BK_HL_NONE },
    /* the styles of a few languages that map to nothing, or to a def:
     * style that says less than they do */
    { "diff:added-line", BK_HL_INSERTED },
    { "diff:removed-line", BK_HL_DELETED },
    { "diff:location", BK_HL_PREPROCESSOR },
    { "diff:diff-file", BK_HL_HEADING },
    { "xml:element-name", BK_HL_TAG },
    { "xml:attribute-name", BK_HL_ATTRIBUTE },
    { "xml:attribute-value", BK_HL_STRING },
    { "xml:entity", BK_HL_ESCAPE },
};

#define SCHEME_ID "bookify-classes"

/* ---- language names ---- */

static const struct {
    const char *name, *id;
} aliases[] = {
    { "javascript", "js" },   { "node", "js" },         { "nodejs", "js" },
    { "ecmascript", "js" },   { "mjs", "js" },          { "cjs", "js" },
    { "ts", "typescript" },   { "tsx", "typescript-jsx" },
    { "py", "python3" },      { "py3", "python3" },     { "python", "python3" },
    { "ipython", "python3" }, { "pycon", "python3" },   { "python2", "python" },
    { "py2", "python" },      { "bash", "sh" },         { "shell", "sh" },
    { "zsh", "sh" },          { "ksh", "sh" },          { "console", "sh" },
    { "terminal", "sh" },     { "shell-session", "sh" }, { "shellsession", "sh" },
    { "sh-session", "sh" },   { "yml", "yaml" },        { "c++", "cpp" },
    { "cxx", "cpp" },         { "cc", "cpp" },          { "hpp", "cpp" },
    { "hxx", "cpp" },         { "h++", "cpp" },         { "h", "c" },
    { "rb", "ruby" },         { "golang", "go" },       { "rs", "rust" },
    { "kt", "kotlin" },       { "kts", "kotlin" },      { "cs", "c-sharp" },
    { "c#", "c-sharp" },      { "csharp", "c-sharp" },  { "fs", "fsharp" },
    { "f#", "fsharp" },       { "vb", "vbnet" },        { "vb.net", "vbnet" },
    { "md", "markdown" },     { "mkd", "markdown" },    { "tex", "latex" },
    { "ps1", "powershell" },  { "pwsh", "powershell" }, { "posh", "powershell" },
    { "dockerfile", "docker" }, { "make", "makefile" }, { "mk", "makefile" },
    { "htm", "html" },        { "xhtml", "html" },      { "svg", "xml" },
    { "xsd", "xml" },         { "rss", "xml" },         { "atom", "xml" },
    { "plist", "xml" },       { "protobuf", "proto" },  { "tf", "terraform" },
    { "hcl", "terraform" },   { "objective-c", "objc" }, { "objectivec", "objc" },
    { "obj-c", "objc" },      { "hs", "haskell" },      { "ml", "ocaml" },
    { "erl", "erlang" },      { "pl", "perl" },         { "mysql", "sql" },
    { "postgresql", "sql" },  { "postgres", "sql" },    { "psql", "sql" },
    { "plsql", "sql" },       { "sqlite", "sql" },      { "bat", "dosbatch" },
    { "batch", "dosbatch" },  { "cmd", "dosbatch" },    { "cfg", "ini" },
    { "conf", "ini" },        { "dosini", "ini" },      { "editorconfig", "ini" },
    { "jsonc", "json" },      { "json5", "json" },      { "patch", "diff" },
    { "udiff", "diff" },      { "jl", "julia" },        { "rscript", "r" },
    { "splus", "r" },         { "f90", "fortran" },     { "f95", "fortran" },
    { "delphi", "pascal" },   { "lisp", "commonlisp" }, { "elisp", "commonlisp" },
    { "emacs-lisp", "commonlisp" }, { "common-lisp", "commonlisp" }, { "cl", "commonlisp" },
    { "sol", "solidity" },    { "vue", "html" },        { "svelte", "html" },
    /* Jinja's family of templates: Tera shares their syntax */
    { "jinja", "tera" },      { "jinja2", "tera" },     { "j2", "tera" },
    { "django", "tera" },     { "twig", "tera" },       { "nunjucks", "tera" },
    { "liquid", "tera" },
};

/* ---- process-wide state, under the lock ---- */

static pthread_mutex_t hl_lock = PTHREAD_MUTEX_INITIALIZER;
/* lowercased name -> interned id or "": a copy of hl.names under a lock of
 * its own (bk_highlight_language) */
static pthread_mutex_t known_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *known_names;
static struct {
    bool ready, failed;
    GtkSourceLanguageManager *languages;
    GtkSourceStyleSchemeManager *schemes;
    GtkSourceStyleScheme *scheme;
    GHashTable *names;   /* lowercased name -> interned id, or "" when unknown */
    GHashTable *buffers; /* language id -> GtkSourceBuffer* */
} hl;

/* GtkSourceView (and GTK under it: some 30 libraries) is loaded when a
 * book first needs it, not when bookify starts: linked in, it was half of
 * the start-up (12 of 25 ms), paid by every run, code or not. The
 * prototypes are the headers' own (__typeof__), each call goes through
 * its pointer. */
#define GSV_FUNCTIONS(X)                                                                     \
    X(gtk_source_init)                                                                       \
    X(gdk_rgba_get_type)                                                                     \
    X(gdk_rgba_free)                                                                         \
    X(gdk_color_get_type)                                                                    \
    X(pango_font_description_get_type)                                                       \
    X(pango_tab_array_get_type)                                                              \
    X(gtk_text_buffer_get_type)                                                              \
    X(gtk_source_language_manager_new)                                                       \
    X(gtk_source_language_manager_set_search_path)                                           \
    X(gtk_source_language_manager_get_language)                                              \
    X(gtk_source_language_manager_guess_language)                                            \
    X(gtk_source_language_get_hidden)                                                        \
    X(gtk_source_language_get_id)                                                            \
    X(gtk_source_style_scheme_manager_new)                                                   \
    X(gtk_source_style_scheme_manager_set_search_path)                                       \
    X(gtk_source_style_scheme_manager_get_scheme)                                            \
    X(gtk_source_buffer_new_with_language)                                                   \
    X(gtk_source_buffer_set_style_scheme)                                                    \
    X(gtk_source_buffer_set_highlight_matching_brackets)                                     \
    X(gtk_source_buffer_ensure_highlight)                                                    \
    X(gtk_text_buffer_set_text)                                                              \
    X(gtk_text_buffer_get_bounds)                                                            \
    X(gtk_text_iter_is_end)                                                                  \
    X(gtk_text_iter_get_toggled_tags)                                                        \
    X(gtk_text_iter_forward_to_tag_toggle)                                                   \
    X(gtk_text_iter_get_offset)                                                              \
    X(gtk_text_tag_get_priority)                                                             \
    X(g_object_get)                                                                          \
    X(g_object_get_qdata)                                                                    \
    X(g_object_set_qdata)                                                                    \
    X(g_object_ref)                                                                          \
    X(g_object_unref)                                                                        \
    X(g_type_check_instance_cast)                                                            \
    X(g_type_ensure)

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
BK_DL_POINTERS(GSV_FUNCTIONS)
G_GNUC_END_IGNORE_DEPRECATIONS

/* Loads the library and finds every function, once; false when it is not
 * installed (code is then left plain, as when no language matches). */
BK_DL_LOADER(load_library, "libgtksourceview-4.so.0", GSV_FUNCTIONS)

/* Calls by their usual names, through the pointers. */
#define gtk_source_init p_gtk_source_init
#define gdk_rgba_get_type p_gdk_rgba_get_type
#define gdk_rgba_free p_gdk_rgba_free
#define gdk_color_get_type p_gdk_color_get_type
#define pango_font_description_get_type p_pango_font_description_get_type
#define pango_tab_array_get_type p_pango_tab_array_get_type
#define gtk_text_buffer_get_type p_gtk_text_buffer_get_type
#define gtk_source_language_manager_new p_gtk_source_language_manager_new
#define gtk_source_language_manager_set_search_path p_gtk_source_language_manager_set_search_path
#define gtk_source_language_manager_get_language p_gtk_source_language_manager_get_language
#define gtk_source_language_manager_guess_language p_gtk_source_language_manager_guess_language
#define gtk_source_language_get_hidden p_gtk_source_language_get_hidden
#define gtk_source_language_get_id p_gtk_source_language_get_id
#define gtk_source_style_scheme_manager_new p_gtk_source_style_scheme_manager_new
#define gtk_source_style_scheme_manager_set_search_path                                          \
    p_gtk_source_style_scheme_manager_set_search_path
#define gtk_source_style_scheme_manager_get_scheme p_gtk_source_style_scheme_manager_get_scheme
#define gtk_source_buffer_new_with_language p_gtk_source_buffer_new_with_language
#define gtk_source_buffer_set_style_scheme p_gtk_source_buffer_set_style_scheme
#define gtk_source_buffer_set_highlight_matching_brackets                                        \
    p_gtk_source_buffer_set_highlight_matching_brackets
#define gtk_source_buffer_ensure_highlight p_gtk_source_buffer_ensure_highlight
#define gtk_text_buffer_set_text p_gtk_text_buffer_set_text
#define gtk_text_buffer_get_bounds p_gtk_text_buffer_get_bounds
#define gtk_text_iter_is_end p_gtk_text_iter_is_end
#define gtk_text_iter_get_toggled_tags p_gtk_text_iter_get_toggled_tags
#define gtk_text_iter_forward_to_tag_toggle p_gtk_text_iter_forward_to_tag_toggle
#define gtk_text_iter_get_offset p_gtk_text_iter_get_offset
#define gtk_text_tag_get_priority p_gtk_text_tag_get_priority
/* GObject's too: the executable is not linked with it (GTK brings it),
 * one library fewer to load at every start */
#undef g_object_ref
#define g_object_get p_g_object_get
#define g_object_get_qdata p_g_object_get_qdata
#define g_object_set_qdata p_g_object_set_qdata
#define g_object_ref p_g_object_ref
#define g_object_unref p_g_object_unref
#define g_type_check_instance_cast p_g_type_check_instance_cast
#define g_type_ensure p_g_type_ensure

static void swallow_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer ud)
{
    (void)domain, (void)level, (void)msg, (void)ud;
}

/* The scheme, as XML in a sealed memfd; search path "/proc/self/fd/N". */
static int scheme_fd(void)
{
    bk_buf x = BK_BUF_INIT;
    bk_buf_adds(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<style-scheme id=\"" SCHEME_ID
                    "\" name=\"bookify\" version=\"1.0\">\n");
    for (size_t i = 0; i < sizeof scheme_styles / sizeof *scheme_styles; i++)
        bk_buf_addf(&x, "<style name=\"%s\" foreground=\"#0000%02x\"/>\n", scheme_styles[i].style,
                    (unsigned)scheme_styles[i].cls);
    bk_buf_adds(&x, "</style-scheme>\n");
    int fd = memfd_create("bookify-style-scheme", MFD_CLOEXEC);
    bool ok = fd >= 0;
    for (size_t off = 0; ok && off < x.len;) {
        ssize_t w = write(fd, x.ptr + off, x.len - off);
        ok = w > 0;
        off += ok ? (size_t)w : 0;
    }
    bk_buf_release(&x);
    if (!ok && fd >= 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Once per process: what GtkSourceView needs before its first use. */
static void init_library(void)
{
    /* GtkTextTag's class declares properties of GDK's and pango's boxed
     * types; without gtk_init nobody has registered them and GLib prints
     * criticals. Registering them first is enough. */
    g_type_ensure(GDK_TYPE_RGBA);
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    g_type_ensure(GDK_TYPE_COLOR);
    G_GNUC_END_IGNORE_DEPRECATIONS
    g_type_ensure(PANGO_TYPE_FONT_DESCRIPTION);
    g_type_ensure(PANGO_TYPE_TAB_ARRAY);
    /* Its warnings (a line too slow to highlight, a broken language
     * file) are no concern of the reader: the code stays readable. */
    g_log_set_handler("GtkSourceView", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
                      swallow_log, NULL);
    gtk_source_init();
}

static void set_up(void)
{
    static bool once;
    if (hl.ready || hl.failed)
        return;
    hl.failed = true;
    if (!once) {
        if (!load_library())
            return;
        once = true;
        init_library();
    }

    /* Language definitions from the system's data folders only, not the
     * user's: the same input gives the same book on every machine. First
     * bookify's folder with a permissive language2.rng, when it is found
     * beside the binary (installed, or in the build tree): loading a
     * language is then 2-3 times faster (styles/gtksourceview/). */
    hl.languages = gtk_source_language_manager_new();
    GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
    char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe) {
        char *bin = g_path_get_dirname(exe);
        static const char *const rel[] = { "../share/bookify/gtksourceview", "share/bookify/gtksourceview" };
        for (size_t i = 0; i < 2; i++) {
            char *dir = g_build_filename(bin, rel[i], NULL);
            char *rng = g_build_filename(dir, "language2.rng", NULL);
            if (g_file_test(rng, G_FILE_TEST_IS_REGULAR) && dirs->len == 0)
                g_ptr_array_add(dirs, dir);
            else
                g_free(dir);
            g_free(rng);
        }
        g_free(bin);
        g_free(exe);
    }
    for (const gchar *const *d = g_get_system_data_dirs(); d && *d; d++)
        g_ptr_array_add(dirs, g_build_filename(*d, "gtksourceview-4", "language-specs", NULL));
    g_ptr_array_add(dirs, NULL);
    gtk_source_language_manager_set_search_path(hl.languages, (gchar **)dirs->pdata);
    g_ptr_array_free(dirs, TRUE);

    int fd = scheme_fd();
    if (fd < 0)
        return;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    const gchar *spath[] = { path, NULL };
    hl.schemes = gtk_source_style_scheme_manager_new();
    gtk_source_style_scheme_manager_set_search_path(hl.schemes, (gchar **)spath);
    hl.scheme = gtk_source_style_scheme_manager_get_scheme(hl.schemes, SCHEME_ID);
    if (hl.scheme)
        g_object_ref(hl.scheme);
    close(fd); /* the scheme is parsed; the manager does not read it again */
    if (!hl.scheme)
        return;
    hl.names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    hl.buffers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_object_unref);
    hl.ready = true;
    hl.failed = false;
}

void bk_highlight_release(void)
{
    pthread_mutex_lock(&hl_lock);
    if (hl.names)
        g_hash_table_destroy(hl.names);
    if (hl.buffers)
        g_hash_table_destroy(hl.buffers);
    if (hl.scheme)
        g_object_unref(hl.scheme);
    if (hl.schemes)
        g_object_unref(hl.schemes);
    if (hl.languages)
        g_object_unref(hl.languages);
    memset(&hl, 0, sizeof hl);
    pthread_mutex_unlock(&hl_lock);
    pthread_mutex_lock(&known_lock);
    if (known_names)
        g_hash_table_destroy(known_names);
    known_names = NULL;
    pthread_mutex_unlock(&known_lock);
}

static GtkSourceLanguage *visible_language(const char *id)
{
    GtkSourceLanguage *l = gtk_source_language_manager_get_language(hl.languages, id);
    return l && !gtk_source_language_get_hidden(l) ? l : NULL;
}

static const char *find_language(const char *lower)
{
    /* aliases first: "python" is Python 3 today, not GtkSourceView's
     * Python 2 */
    GtkSourceLanguage *l = NULL;
    for (size_t i = 0; !l && i < sizeof aliases / sizeof *aliases; i++)
        if (strcmp(aliases[i].name, lower) == 0)
            l = visible_language(aliases[i].id);
    if (!l)
        l = visible_language(lower);
    if (!l) {
        /* a file extension: "rb", "kt", "scss" */
        char *file = g_strconcat("x.", lower, NULL);
        l = gtk_source_language_manager_guess_language(hl.languages, file, NULL);
        g_free(file);
        if (l && gtk_source_language_get_hidden(l))
            l = NULL;
    }
    return l ? g_intern_string(gtk_source_language_get_id(l)) : "";
}

const char *bk_highlight_language(const char *name)
{
    if (!name || !*name || strlen(name) > 40)
        return NULL;
    char lower[48];
    size_t n = 0;
    for (const char *p = name; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch < 0x21 || ch > 0x7e || ch == '/' || ch == '\\')
            return NULL; /* not a language name */
        lower[n++] = (char)tolower(ch);
    }
    lower[n] = '\0';
    /* Names already looked up are answered without the library's lock,
     * which the highlighting thread holds for a block at a time. */
    pthread_mutex_lock(&known_lock);
    const char *id = known_names ? g_hash_table_lookup(known_names, lower) : NULL;
    pthread_mutex_unlock(&known_lock);
    if (id)
        return *id ? id : NULL;
    pthread_mutex_lock(&hl_lock);
    set_up();
    if (hl.ready) {
        id = g_hash_table_lookup(hl.names, lower);
        if (!id) {
            id = find_language(lower);
            g_hash_table_insert(hl.names, g_strdup(lower), (gpointer)id);
        }
    }
    pthread_mutex_unlock(&hl_lock);
    if (id) {
        pthread_mutex_lock(&known_lock);
        if (!known_names)
            known_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_hash_table_replace(known_names, g_strdup(lower), (gpointer)id);
        pthread_mutex_unlock(&known_lock);
    }
    return id && *id ? id : NULL;
}

/* The class a tag stands for (BK_HL_NONE for a tag bookify's scheme did
 * not colour), -1 when the tag sets no colour at all; kept on the tag. */
static int tag_class(GtkTextTag *tag)
{
    static GQuark key;
    if (!key)
        key = g_quark_from_static_string("bookify-class");
    uintptr_t known = (uintptr_t)g_object_get_qdata(G_OBJECT(tag), key);
    if (known)
        return (int)known - 2;
    gboolean set = FALSE;
    GdkRGBA *c = NULL;
    g_object_get(tag, "foreground-set", &set, "foreground-rgba", &c, NULL);
    int cls = -1;
    if (set && c) {
        long v = lround(c->blue * 255.0);
        cls = c->red == 0 && c->green == 0 && v >= 0 && v < BK_HL_COUNT ? (int)v : BK_HL_NONE;
    }
    if (c)
        gdk_rgba_free(c);
    g_object_set_qdata(G_OBJECT(tag), key, (gpointer)(uintptr_t)(cls + 2));
    return cls;
}

/* One buffer per language, kept: a new one per block costs about 50 times
 * the highlighting (its engine compiles its regexes again). Each block is
 * highlighted from an emptied buffer. GtkSourceView gives a nested
 * context's tag a higher priority than its parent's whatever it saw
 * before, so the classes do not depend on the blocks before. */
static GtkSourceBuffer *buffer_for(const char *lang)
{
    GtkSourceBuffer *b = g_hash_table_lookup(hl.buffers, lang);
    if (b)
        return b;
    GtkSourceLanguage *l = visible_language(lang);
    if (!l)
        return NULL;
    b = gtk_source_buffer_new_with_language(l);
    gtk_source_buffer_set_style_scheme(b, hl.scheme);
    gtk_source_buffer_set_highlight_matching_brackets(b, FALSE);
    g_hash_table_insert(hl.buffers, (gpointer)lang, b);
    return b;
}

size_t bk_highlight(const char *lang, const char *code, size_t len, bk_hl_span **spans)
{
    *spans = NULL;
    if (!lang || len == 0 || len > BK_HIGHLIGHT_MAX || !g_utf8_validate(code, (gssize)len, NULL))
        return 0;
    /* GtkTextBuffer keeps a line's tag toggles in a list: marking a line
     * dense with tokens costs the square of its length. Bounded so that a
     * block takes at most about half a second. */
    double squares = 0;
    for (const char *p = code, *end = code + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (n > 160) /* shorter lines cost little more than their length */
            squares += (double)n * (double)n;
        if (n > BK_HIGHLIGHT_MAX_LINE || squares > BK_HIGHLIGHT_MAX_SQUARES)
            return 0;
        p = nl ? nl + 1 : end;
    }
    size_t n = 0, cap = 0;
    bk_hl_span *out = NULL;
    pthread_mutex_lock(&hl_lock);
    set_up();
    GtkSourceBuffer *b = hl.ready ? buffer_for(lang) : NULL;
    if (b) {
        GtkTextBuffer *tb = GTK_TEXT_BUFFER(b);
        gtk_text_buffer_set_text(tb, code, (gint)len);
        GtkTextIter it, end;
        gtk_text_buffer_get_bounds(tb, &it, &end);
        gtk_source_buffer_ensure_highlight(b, &it, &end);
        /* Walk from tag toggle to tag toggle, keeping the tags that are on
         * (asking for all of a position's tags costs the length of its
         * line, and a long line would cost its square). A stretch's class
         * is its highest-priority coloured tag's. Character offsets become
         * byte offsets by walking the code along (they only grow). */
        GtkTextTag *on[32];
        int non = 0;
        const char *p = code;
        int chars = 0;
        while (!gtk_text_iter_is_end(&it)) {
            GSList *off = gtk_text_iter_get_toggled_tags(&it, FALSE);
            for (GSList *t = off; t; t = t->next)
                for (int i = 0; i < non; i++)
                    if (on[i] == t->data) {
                        on[i] = on[--non];
                        break;
                    }
            g_slist_free(off);
            GSList *toggled = gtk_text_iter_get_toggled_tags(&it, TRUE);
            for (GSList *t = toggled; t; t = t->next)
                if (non < (int)(sizeof on / sizeof *on))
                    on[non++] = t->data;
            g_slist_free(toggled);
            int cls = BK_HL_NONE, top = -1;
            for (int i = 0; i < non; i++) {
                int c = tag_class(on[i]), pri = gtk_text_tag_get_priority(on[i]);
                if (c >= 0 && pri > top) {
                    cls = c;
                    top = pri;
                }
            }
            GtkTextIter next = it;
            gtk_text_iter_forward_to_tag_toggle(&next, NULL);
            size_t start = (size_t)(p - code);
            for (int to = gtk_text_iter_get_offset(&next); chars < to && p < code + len; chars++)
                p = g_utf8_next_char(p);
            size_t stop = (size_t)(p - code);
            if (cls != BK_HL_NONE && stop > start) {
                if (n && out[n - 1].cls == (bk_hl_class)cls && out[n - 1].end == start)
                    out[n - 1].end = stop;
                else {
                    BK_GROW(out, cap, n + 1);
                    out[n++] = (bk_hl_span){ start, stop, (bk_hl_class)cls };
                }
            }
            it = next;
        }
        gtk_text_buffer_set_text(tb, "", 0);
    }
    pthread_mutex_unlock(&hl_lock);
    *spans = out;
    return n;
}

/* ---- the highlighting thread ---- */

struct bk_hl_job {
    const char *lang; /* the first of names the highlighter knows, once resolved */
    char **names;     /* what the post calls the language, in order of preference */
    size_t nnames;
    int chosen;       /* names[chosen] is lang; -1 when none is known */
    bool resolved;
    char *code;
    size_t len;
    bk_hl_span *spans;
    size_t nspans;
    bool done;
    bool warm;       /* bk_highlight_warm's: set the library up, nobody waits */
    bk_hl_job *next; /* in the queue */
};

/* The cores are shared out: the converting threads (bk_highlight_core_take
 * around each post) and this thread together run on at most as many
 * cores as there are jobs. While it has blocks to do, the highlighter
 * holds one core's token: when it is the slower (a language loading,
 * code-heavy posts), one converter waits and it has a core to itself,
 * where three threads on two cores would each get two thirds of one.
 *
 * A converter keeps its token from post to post, and gives it back only
 * when the highlighting side waits for one (hl_wants, looked at without
 * the lock after each post) or its loop is over (bk_highlight_core_done):
 * two converters sharing one token handed it to each other after every
 * post, each handing a wake-up and a sleep (400-900 of them in a
 * 1,000-post book, where a context switch is dear on this machine's
 * virtual CPUs). For the same reason the thread is woken when HL_BATCH
 * blocks wait, not for each one: nobody needs a block's spans before the
 * conversion ends (bk_highlight_take then wakes it for the rest), and one
 * hand-over of a core for every eight blocks costs an eighth. */
#define HL_BATCH 8
static _Thread_local bool core_held; /* this thread keeps a token between posts */
static atomic_bool hl_wants;         /* the highlighting side waits for a token */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t work, done, core, core_hl;
    bk_hl_job *head, *tail;
    size_t queued; /* jobs in the queue */
    bool flush;    /* someone waits for a job: no more waiting for a batch */
    int cores;     /* tokens free */
    int hl_waiting; /* the highlighting side's threads waiting for one */
    pthread_t thread;
    bool running, stop;
    /* the helper process (below): its thread here, its socket, its pid */
    pthread_t remote;
    bool remote_running;
    int to_helper;
    pid_t helper;
    size_t remote_done; /* blocks it highlighted (BOOKIFY_TIMES) */
    bool warmed, helper_tried;
} q = { PTHREAD_MUTEX_INITIALIZER,
        PTHREAD_COND_INITIALIZER,
        PTHREAD_COND_INITIALIZER,
        PTHREAD_COND_INITIALIZER,
        PTHREAD_COND_INITIALIZER,
        NULL,
        NULL,
        0,
        false,
        0,
        0,
        0,
        false,
        false,
        0,
        false,
        -1,
        -1,
        0,
        false,
        false };

/* A token back, under q.lock: to the highlighting side first. */
static void token_put(void)
{
    q.cores++;
    pthread_cond_signal(q.hl_waiting ? &q.core_hl : &q.core);
}

/* A token for the highlighting side (this thread, the helper's), under
 * q.lock; false when stopping (only when stoppable). */
static bool hl_token_take(bool stoppable)
{
    q.hl_waiting++;
    atomic_store_explicit(&hl_wants, true, memory_order_relaxed);
    while (q.cores <= 0 && !(stoppable && q.stop))
        pthread_cond_wait(&q.core_hl, &q.lock);
    if (--q.hl_waiting == 0)
        atomic_store_explicit(&hl_wants, false, memory_order_relaxed);
    if (q.cores <= 0)
        return false;
    q.cores--;
    return true;
}

bool bk_highlight_core_take(void)
{
    if (core_held)
        return true;
    pthread_mutex_lock(&q.lock);
    bool take = q.running;
    while (take && q.cores <= 0)
        pthread_cond_wait(&q.core, &q.lock);
    if (take)
        q.cores--;
    core_held = take;
    pthread_mutex_unlock(&q.lock);
    return take;
}

void bk_highlight_core_give(bool taken)
{
    if (taken && core_held && atomic_load_explicit(&hl_wants, memory_order_relaxed))
        bk_highlight_core_done();
}

void bk_highlight_core_done(void)
{
    if (!core_held)
        return;
    pthread_mutex_lock(&q.lock);
    token_put();
    core_held = false;
    pthread_mutex_unlock(&q.lock);
}

/* The job's language: the first of its names the highlighter knows. Done
 * where the block is highlighted, not where it was found: the names are
 * GtkSourceView's to judge, and a converting thread that asked would wait
 * for its set-up (GTK, every language's header), 20 ms and more. */
static void resolve_job(bk_hl_job *j)
{
    if (j->resolved)
        return;
    j->resolved = true;
    for (size_t i = 0; i < j->nnames; i++) {
        const char *id = bk_highlight_language(j->names[i]);
        if (id) {
            j->lang = id;
            j->chosen = (int)i;
            return;
        }
    }
}

static void job_free(bk_hl_job *j)
{
    for (size_t i = 0; i < j->nnames; i++)
        free(j->names[i]);
    free(j->names);
    free(j);
}

static void *highlight_thread(void *arg)
{
    (void)arg;
    bool holding = false; /* a core's token */
    pthread_mutex_lock(&q.lock);
    for (;;) {
        if (!q.head && holding) {
            token_put();
            holding = false;
        }
        /* a batch, a warm-up, someone waiting; or, holding a core, the rest */
        while (!(q.head && (holding || q.flush || q.head->warm || q.queued >= HL_BATCH)) &&
               !q.stop)
            pthread_cond_wait(&q.work, &q.lock);
        if (!q.head)
            break; /* stopped, and nothing left */
        if (!holding) {
            hl_token_take(false);
            holding = true;
            continue; /* the helper's thread may have taken the job meanwhile */
        }
        bk_hl_job *j = q.head;
        q.head = j->next;
        if (!q.head)
            q.tail = NULL;
        q.queued--;
        pthread_mutex_unlock(&q.lock);
        if (j->warm) {
            /* GTK, the scheme, and the language manager's list of every
             * language (it reads each definition's header on first use) */
            pthread_mutex_lock(&hl_lock);
            set_up();
            if (hl.ready)
                (void)visible_language("c");
            pthread_mutex_unlock(&hl_lock);
            free(j);
            pthread_mutex_lock(&q.lock);
            continue;
        }
        resolve_job(j);
        j->nspans = j->lang ? bk_highlight(j->lang, j->code, j->len, &j->spans) : 0;
        pthread_mutex_lock(&q.lock);
        j->done = true;
        pthread_cond_broadcast(&q.done);
    }
    pthread_mutex_unlock(&q.lock);
    return NULL;
}

/* ---- a second highlighter, in a process of its own ----
 *
 * GtkSourceView runs on one thread at a time, and a code-heavy blog spends
 * most of its time there (1,000 code-tour posts: 4.3 of 4.6 s). A second
 * process shares nothing with this one, so it can highlight beside the
 * thread above: a thread here (remote_thread) takes blocks from the same
 * queue, sends each to the helper and waits for its spans. The helper's
 * GtkSourceView is the same library with the same language files, so the
 * spans, and the books, are the same bytes whichever highlighted a block
 * (e2e.highlight compares them). Anything wrong with the helper (no spawn,
 * a crash, a short or odd reply) and its block goes back to the queue for
 * the thread here; the helper is not used again. */

typedef struct wire_span {
    uint64_t start, end, cls;
} wire_span;

/* The helper: a request is the language's length and the code's, then
 * both; the reply the number of spans, then the spans. It ends when this
 * process closes its end (or ends). */
static void helper_main(int in, int out)
{
    const char *t = getenv("BOOKIFY_HELPER_TEST");
    /* the tests kill its bookify while it waits: it must end too */
    if (t && strcmp(t, "stall") == 0) {
        fputs("bookify: highlighting helper stalled\n", stderr);
        sleep(30);
    }
    for (size_t served = 0;; served++) {
        uint64_t hdr[2];
        if (!bk_fd_read_all(in, hdr, sizeof hdr))
            _exit(0);
        if (hdr[0] > 4096 || hdr[1] > BK_HIGHLIGHT_MAX)
            _exit(1);
        char *lang = bk_xmalloc(hdr[0] + 1), *code = bk_xmalloc(hdr[1] + 1);
        if (!bk_fd_read_all(in, lang, hdr[0]) || !bk_fd_read_all(in, code, hdr[1]))
            _exit(1);
        lang[hdr[0]] = code[hdr[1]] = '\0';
        bk_hl_span *spans = NULL;
        uint64_t n = bk_highlight(g_intern_string(lang), code, hdr[1], &spans);
        /* The tests make it fail as it could: a crash, or a reply that
         * cannot be right. */
        if (t && strcmp(t, "crash") == 0 && served == 3)
            kill(getpid(), SIGKILL);
        if (t && strcmp(t, "odd") == 0 && served == 3 && n)
            spans[0].end = hdr[1] + 1;
        bk_buf reply = BK_BUF_INIT;
        bk_buf_add(&reply, &n, sizeof n);
        for (uint64_t i = 0; i < n; i++) {
            wire_span w = { spans[i].start, spans[i].end, (uint64_t)spans[i].cls };
            bk_buf_add(&reply, &w, sizeof w);
        }
        bool ok = bk_fd_write_all(out, reply.ptr, reply.len);
        bk_buf_release(&reply);
        free(spans);
        free(lang);
        free(code);
        if (!ok)
            _exit(1);
    }
}

/* One block through the helper: false, with j untouched, when it failed. */
static bool remote_highlight(bk_hl_job *j)
{
    resolve_job(j);
    if (!j->lang || j->len == 0 || j->len > BK_HIGHLIGHT_MAX) {
        /* plain, as bk_highlight leaves it: not worth a trip, and a block
         * past the limit is more than the helper accepts */
        j->spans = NULL;
        j->nspans = 0;
        return true;
    }
    uint64_t hdr[2] = { strlen(j->lang), j->len }, n;
    int fd = q.to_helper;
    if (!bk_fd_write_all(fd, hdr, sizeof hdr) || !bk_fd_write_all(fd, j->lang, hdr[0]) ||
        !bk_fd_write_all(fd, j->code, j->len) || !bk_fd_read_all(fd, &n, sizeof n) || n > j->len)
        return false;
    bk_hl_span *spans = n ? bk_xcalloc((size_t)n, sizeof *spans) : NULL;
    uint64_t prev_end = 0;
    for (uint64_t i = 0; i < n; i++) {
        wire_span w;
        /* spans in order, inside the code, of a class that exists */
        if (!bk_fd_read_all(fd, &w, sizeof w) || w.start < prev_end || w.end <= w.start ||
            w.end > j->len || w.cls == BK_HL_NONE || w.cls >= BK_HL_COUNT) {
            free(spans);
            return false;
        }
        spans[i] = (bk_hl_span){ (size_t)w.start, (size_t)w.end, (bk_hl_class)w.cls };
        prev_end = w.end;
    }
    j->spans = spans;
    j->nspans = (size_t)n;
    return true;
}

/* The first job in the queue that is a block (a warm-up is the thread
 * here's own), taken out; NULL when there is none. Under q.lock. */
static bk_hl_job *pop_block(void)
{
    bk_hl_job *prev = NULL;
    for (bk_hl_job *j = q.head; j; prev = j, j = j->next) {
        if (j->warm)
            continue;
        if (prev)
            prev->next = j->next;
        else
            q.head = j->next;
        if (q.tail == j)
            q.tail = prev;
        q.queued--;
        return j;
    }
    return NULL;
}

static void *remote_thread(void *arg)
{
    (void)arg;
    bool holding = false; /* a core's token: the helper's core */
    pthread_mutex_lock(&q.lock);
    for (;;) {
        bk_hl_job *j = pop_block();
        if (!j && holding) {
            token_put();
            holding = false;
        }
        if (!j) {
            if (q.stop)
                break;
            pthread_cond_wait(&q.work, &q.lock);
            continue;
        }
        if (!holding) {
            /* put back while waiting for a core: the thread here may
             * take it meanwhile */
            j->next = q.head;
            q.head = j;
            if (!q.tail)
                q.tail = j;
            q.queued++;
            if (!hl_token_take(true))
                break; /* stopping */
            holding = true;
            continue;
        }
        pthread_mutex_unlock(&q.lock);
        bool ok = remote_highlight(j);
        pthread_mutex_lock(&q.lock);
        if (!ok) {
            /* back to the head of the queue, for the thread here */
            j->next = q.head;
            q.head = j;
            if (!q.tail)
                q.tail = j;
            q.queued++;
            q.flush = true; /* the thread here takes it now, batch or not */
            pthread_cond_broadcast(&q.work);
            break;
        }
        q.remote_done++;
        j->done = true;
        pthread_cond_broadcast(&q.done);
    }
    if (holding)
        token_put();
    pthread_mutex_unlock(&q.lock);
    shutdown(q.to_helper, SHUT_RDWR); /* the helper reads the end and ends */
    return NULL;
}

/* Start the helper: bookify again (/proc/self/exe), told to serve the
 * socket it inherits as descriptor HELPER_FD. posix_spawn, not fork and
 * exec: a fork write-protects every page of this process's heap (the
 * posts' trees by then), and each faults again on its next write, about
 * 30 ms of CPU for a 1,000-post book; posix_spawn shares the memory until
 * the exec, and runs nothing of ours in the child, so it is safe whatever
 * other threads do meanwhile (GTK may be loading on the thread here).
 * Every signal is at its default in the child. */
#define HELPER_FD 3
static void helper_start(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return;
    char fd_arg[24], parent_arg[24];
    snprintf(fd_arg, sizeof fd_arg, "%d", HELPER_FD);
    snprintf(parent_arg, sizeof parent_arg, "%ld", (long)getpid());
    char *const argv[] = { "bookify", BK_HIGHLIGHT_HELPER_ARG, fd_arg, parent_arg, NULL };
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    pid_t pid = -1;
    if (posix_spawn_file_actions_init(&fa) == 0) {
        if (posix_spawnattr_init(&at) == 0) {
            /* onto HELPER_FD, its close-on-exec cleared (also when the
             * socket is that descriptor already) */
            if (posix_spawn_file_actions_adddup2(&fa, sv[1], HELPER_FD) == 0 &&
                posix_spawnattr_setsigmask(&at, &none) == 0 &&
                posix_spawnattr_setsigdefault(&at, &all) == 0 &&
                posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) == 0 &&
                posix_spawn(&pid, "/proc/self/exe", &fa, &at, argv, environ) != 0)
                pid = -1;
            posix_spawnattr_destroy(&at);
        }
        posix_spawn_file_actions_destroy(&fa);
    }
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return;
    }
    q.to_helper = sv[0]; /* both ways */
    q.helper = pid;
}

int bk_highlight_helper_run(const char *fd_arg, const char *parent_arg)
{
    char *end;
    long fd = strtol(fd_arg, &end, 10);
    if (*end || fd < 3 || fd > 65535)
        return 2;
    long parent = strtol(parent_arg, &end, 10);
    /* killed with the bookify that started it (the thread that did, in
     * fact: the main thread); checked after, as that may be so already */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (*end || parent <= 1 || getppid() != (pid_t)parent)
        return 2; /* its bookify ended already (or this was not run by one) */
    fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    pthread_mutex_lock(&hl_lock);
    set_up();
    if (hl.ready)
        (void)visible_language("c");
    pthread_mutex_unlock(&hl_lock);
    helper_main((int)fd, (int)fd);
    return 0;
}

static void helper_end(void)
{
    if (q.remote_running) {
        pthread_join(q.remote, NULL);
        q.remote_running = false;
    }
    if (q.to_helper >= 0)
        close(q.to_helper);
    q.to_helper = -1;
    if (q.helper > 0) {
        int status;
        while (waitpid(q.helper, &status, 0) < 0 && errno == EINTR) {
        }
        q.helper = -1;
    }
}

void bk_highlight_thread_start(void)
{
    if (q.running)
        return;
    /* under the lock: readers may be taking cores meanwhile, and take
     * one only once the thread runs */
    pthread_mutex_lock(&q.lock);
    q.stop = false;
    q.flush = false;
    q.cores = bk_par_jobs();
    q.running = pthread_create(&q.thread, NULL, highlight_thread, NULL) == 0;
    pthread_mutex_unlock(&q.lock);
}

bool bk_highlight_ready(void)
{
    pthread_mutex_lock(&hl_lock);
    bool ready = hl.ready;
    pthread_mutex_unlock(&hl_lock);
    return ready;
}

bool bk_highlight_thread_running(void)
{
    return q.running;
}

static void enqueue(bk_hl_job *j)
{
    pthread_mutex_lock(&q.lock);
    if (j->warm) { /* the set-up first */
        j->next = q.head;
        q.head = j;
        if (!q.tail)
            q.tail = j;
    } else {
        if (q.tail)
            q.tail->next = j;
        else
            q.head = j;
        q.tail = j;
    }
    if (++q.queued >= HL_BATCH || j->warm || q.flush)
        pthread_cond_broadcast(&q.work);
    pthread_mutex_unlock(&q.lock);
}

void bk_highlight_warm(bool helper)
{
    if (helper && q.helper < 0 && !q.helper_tried) {
        q.helper_tried = true;
        helper_start();
    }
    bk_highlight_thread_start();
    if (q.running && q.helper > 0 && !q.remote_running)
        q.remote_running = pthread_create(&q.remote, NULL, remote_thread, NULL) == 0;
    if (!q.remote_running && q.helper > 0)
        helper_end();
    if (!q.running || q.warmed)
        return;
    q.warmed = true;
    bk_hl_job *j = bk_xcalloc(1, sizeof *j);
    j->warm = true;
    enqueue(j);
}

bk_hl_job *bk_highlight_submit(const char *const *names, size_t nnames, char *code, size_t len)
{
    bk_hl_job *j = bk_xcalloc(1, sizeof *j);
    j->names = bk_xcalloc(nnames ? nnames : 1, sizeof *j->names);
    for (size_t i = 0; i < nnames; i++)
        j->names[i] = bk_xstrdup(names[i]);
    j->nnames = nnames;
    j->chosen = -1;
    j->code = code;
    j->len = len;
    if (!q.running) {
        resolve_job(j);
        j->nspans = j->lang ? bk_highlight(j->lang, code, len, &j->spans) : 0;
        j->done = true;
        return j;
    }
    enqueue(j);
    return j;
}

size_t bk_highlight_take(bk_hl_job *j, char **code, bk_hl_span **spans, int *chosen)
{
    pthread_mutex_lock(&q.lock);
    if (!j->done && !q.flush) {
        q.flush = true; /* the rest of the blocks now, not in batches */
        pthread_cond_broadcast(&q.work);
    }
    while (!j->done)
        pthread_cond_wait(&q.done, &q.lock);
    pthread_mutex_unlock(&q.lock);
    size_t n = j->nspans;
    *spans = j->spans;
    *code = j->code;
    if (chosen)
        *chosen = j->chosen;
    job_free(j);
    return n;
}

void bk_highlight_thread_stop(void)
{
    if (!q.running)
        return;
    pthread_mutex_lock(&q.lock);
    q.stop = true;
    pthread_cond_broadcast(&q.work);
    pthread_cond_broadcast(&q.core);
    pthread_cond_broadcast(&q.core_hl);
    pthread_mutex_unlock(&q.lock);
    pthread_join(q.thread, NULL);
    helper_end();
    q.running = false;
    q.warmed = q.helper_tried = false;
}

size_t bk_highlight_helper_blocks(void)
{
    return q.remote_done;
}
