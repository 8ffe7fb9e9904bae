/* Unit tests: output files are replaced whole (outfile.c): a new file with
 * the usual permissions, a replaced one keeps its own, a symbolic link is
 * written through, a long name works, a failure leaves the old file and
 * no temporary file. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bookify/outfile.h"
#include "bookify/util.h"
#include "harness.h"

static char dir[256];

static char *path(const char *name)
{
    static char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static char *slurp(const char *p)
{
    bk_buf b = BK_BUF_INIT;
    FILE *f = fopen(p, "rb");
    if (f) {
        char tmp[256];
        size_t n;
        while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
            bk_buf_add(&b, tmp, n);
        fclose(f);
    }
    bk_buf_addc(&b, '\0');
    return bk_buf_detach(&b);
}

static int hidden_files(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

static void test_outfile(void)
{
    bk_diags d = BK_DIAGS_INIT;
    mode_t mask = umask(022);
    /* new */
    CHECK_INT(bk_outfile_write_all(path("a.pdf"), "one", 3, &d), 0);
    char *s = slurp(path("a.pdf"));
    CHECK_STR(s, "one");
    free(s);
    struct stat st;
    CHECK(stat(path("a.pdf"), &st) == 0 && (st.st_mode & 0777) == 0644);
    /* replaced: its permissions stay */
    chmod(path("a.pdf"), 0600);
    CHECK_INT(bk_outfile_write_all(path("a.pdf"), "two", 3, &d), 0);
    CHECK(stat(path("a.pdf"), &st) == 0 && (st.st_mode & 0777) == 0600);
    /* through a symbolic link */
    CHECK(symlink("a.pdf", path("link.pdf")) == 0);
    CHECK_INT(bk_outfile_write_all(path("link.pdf"), "three", 5, &d), 0);
    CHECK(lstat(path("link.pdf"), &st) == 0 && S_ISLNK(st.st_mode));
    s = slurp(path("a.pdf"));
    CHECK_STR(s, "three");
    free(s);
    /* a name near the limit */
    char lng[260];
    memset(lng, 'x', 250);
    strcpy(lng + 250, ".pdf");
    CHECK_INT(bk_outfile_write_all(path(lng), "long", 4, &d), 0);
    s = slurp(path(lng));
    CHECK_STR(s, "long");
    free(s);
    /* aborted: the old file stays, no temporary file */
    bk_outfile f;
    CHECK_INT(bk_outfile_open(&f, path("a.pdf"), &d), 0);
    CHECK_INT(bk_outfile_write(&f, "half", 4, &d), 0);
    CHECK_INT(hidden_files(), 1);
    bk_outfile_abort(&f);
    s = slurp(path("a.pdf"));
    CHECK_STR(s, "three");
    free(s);
    CHECK_INT(hidden_files(), 0);
    /* a folder that does not exist: a clear error naming the file */
    CHECK_INT(bk_outfile_write_all(path("no/such/b.pdf"), "x", 1, &d), -1);
    CHECK(d.len == 1 && strstr(d.items[0].file, "no/such/b.pdf") && strstr(d.items[0].message, "cannot write"));
    umask(mask);
    bk_diags_release(&d);
}

/* A file written in pieces hands each MiB to the disk as it goes (when
 * asked), and is the same file. */
static void test_write_back(void)
{
    bk_diags d = BK_DIAGS_INIT;
    static char piece[64 << 10];
    memset(piece, 'p', sizeof piece);
    for (int on = 0; on < 2; on++) {
        bk_outfile f;
        CHECK_INT(bk_outfile_open(&f, path("w.pdf"), &d), 0);
        if (on)
            bk_outfile_write_back(&f);
        for (int i = 0; i < 40; i++) /* 2.5 MiB */
            CHECK_INT(bk_outfile_write(&f, piece, sizeof piece, &d), 0);
        CHECK(f.written == 40LL * (long long)sizeof piece);
        CHECK(on ? f.started >= (2LL << 20) && f.started <= f.written : f.started == 0);
        CHECK_INT(bk_outfile_rewind(&f, &d), 0);
        CHECK(f.written == 0 && f.started == 0);
        CHECK_INT(bk_outfile_write(&f, "done", 4, &d), 0);
        CHECK_INT(bk_outfile_commit(&f, &d), 0);
        char *s = slurp(path("w.pdf"));
        CHECK_STR(s, "done");
        free(s);
    }
    CHECK_INT(hidden_files(), 0);
    bk_diags_release(&d);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/bk-outfile-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        return 2;
    RUN(test_outfile);
    RUN(test_write_back);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 2;
    return TEST_DONE();
}
