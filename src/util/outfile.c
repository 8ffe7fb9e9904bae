/* outfile.c -- atomic output files and the temp-file registry (see outfile.h). */
#define _GNU_SOURCE /* sync_file_range */
#include "bookify/outfile.h"
#include "bookify/progress.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bookify/banned.h"

/* The registry: fixed slots so the signal handler needs no allocation. A
 * run writes at most a handful of files at once. */
#define MAX_TEMPS 16
static char *volatile temps[MAX_TEMPS];

void bk_outfile_cleanup(void)
{
    for (int i = 0; i < MAX_TEMPS; i++) {
        char *t = temps[i];
        if (t) {
            unlink(t);
            temps[i] = NULL;
        }
    }
}

static void on_signal(int sig)
{
    bk_outfile_cleanup();
    bk_progress_erase_on_signal();
    signal(sig, SIG_DFL);
    raise(sig);
}

void bk_outfile_install_handlers(void)
{
    atexit(bk_outfile_cleanup);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int bk_outfile_open(bk_outfile *f, const char *target, bk_diags *d)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->slot = -1;
    f->mode = -1;
    /* A symbolic link is written through: the file it names is replaced,
     * the link stays. An existing file keeps its permissions. */
    struct stat st;
    char *real = NULL;
    if (lstat(target, &st) == 0 && S_ISLNK(st.st_mode))
        real = realpath(target, NULL);
    const char *where = real ? real : target;
    if (stat(where, &st) == 0 && S_ISREG(st.st_mode))
        f->mode = (int)(st.st_mode & 07777);
    const char *slash = strrchr(where, '/');
    const char *base = slash ? slash + 1 : where;
    bk_buf t = BK_BUF_INIT;
    if (slash)
        bk_buf_add(&t, where, (size_t)(slash - where + 1));
    /* ".NAME.XXXXXX", or ".bk-XXXXXX" when NAME is near the length limit */
    if (strlen(base) + 9 > 255)
        bk_buf_adds(&t, ".bk-XXXXXX");
    else
        bk_buf_addf(&t, ".%s.XXXXXX", base);
    int slot = -1;
    for (int i = 0; i < MAX_TEMPS && slot < 0; i++)
        if (!temps[i])
            slot = i;
    BK_ASSERT(slot >= 0);
    int fd = mkstemp(t.ptr);
    if (fd < 0) {
        int e = errno;
        bk_buf_release(&t);
        free(real);
        if (e == ENOENT || e == ENOTDIR) {
            /* Say which folder: the file name alone reads as if it were missing. */
            const char *tslash = strrchr(target, '/');
            return bk_error(d, (bk_loc){ target, 0, 0 },
                            "cannot write: the folder '%.*s' %s", tslash ? (int)(tslash - target) : 1,
                            tslash ? target : ".",
                            e == ENOENT ? "does not exist" : "is not a folder");
        }
        return bk_error(d, (bk_loc){ target, 0, 0 }, "cannot write: %s", strerror(e));
    }
    f->target = real ? real : bk_xstrdup(target);
    f->display = bk_xstrdup(target);
    f->temp = bk_buf_detach(&t);
    f->fd = fd;
    f->slot = slot;
    temps[slot] = f->temp;
    return 0;
}

#define WRITE_BACK_STEP (1LL << 20)

void bk_outfile_write_back(bk_outfile *f)
{
    f->write_back = true;
}

int bk_outfile_write(bk_outfile *f, const void *data, size_t len, bk_diags *d)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(f->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return bk_error(d, (bk_loc){ f->display, 0, 0 }, "cannot write: %s",
                            strerror(n < 0 ? errno : ENOSPC));
        p += n;
        len -= (size_t)n;
        f->written += n;
    }
#ifdef SYNC_FILE_RANGE_WRITE
    if (f->write_back && f->written - f->started >= WRITE_BACK_STEP) {
        /* only a hint: the sync at the commit is what makes it safe */
        (void)sync_file_range(f->fd, f->started, f->written - f->started, SYNC_FILE_RANGE_WRITE);
        f->started = f->written;
    }
#endif
    return 0;
}

int bk_outfile_rewind(bk_outfile *f, bk_diags *d)
{
    if (ftruncate(f->fd, 0) < 0 || lseek(f->fd, 0, SEEK_SET) < 0)
        return bk_error(d, (bk_loc){ f->display, 0, 0 }, "cannot write: %s", strerror(errno));
    f->written = f->started = 0;
    return 0;
}

int bk_outfile_commit(bk_outfile *f, bk_diags *d)
{
    int rc = -1;
    /* New files get the usual permissions (mkstemp makes them 0600),
     * replaced ones keep theirs. */
    mode_t mask = umask(0);
    umask(mask);
    mode_t mode = f->mode >= 0 ? (mode_t)f->mode : 0666 & ~mask;
    if (fchmod(f->fd, mode) < 0 || fsync(f->fd) < 0) {
        bk_error(d, (bk_loc){ f->display, 0, 0 }, "cannot write: %s", strerror(errno));
        goto out;
    }
    if (close(f->fd) < 0) {
        f->fd = -1;
        bk_error(d, (bk_loc){ f->display, 0, 0 }, "cannot write: %s", strerror(errno));
        goto out;
    }
    f->fd = -1;
    if (rename(f->temp, f->target) < 0) {
        bk_error(d, (bk_loc){ f->display, 0, 0 }, "cannot replace the file: %s", strerror(errno));
        goto out;
    }
    temps[f->slot] = NULL;
    free(f->temp);
    f->temp = NULL;
    /* the rename itself on disk: the folder's entry */
    char *dir = bk_xstrdup(f->target);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir ? 1 : 0] = '\0';
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);
    rc = 0;
out:
    bk_outfile_abort(f);
    return rc;
}

void bk_outfile_abort(bk_outfile *f)
{
    if (f->temp && f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (f->temp) {
        unlink(f->temp);
        if (f->slot >= 0)
            temps[f->slot] = NULL;
        free(f->temp);
        f->temp = NULL;
    }
    free(f->target);
    f->target = NULL;
    free(f->display);
    f->display = NULL;
}

int bk_outfile_write_all(const char *target, const void *data, size_t len, bk_diags *d)
{
    bk_outfile f;
    if (bk_outfile_open(&f, target, d) < 0)
        return -1;
    if (bk_outfile_write(&f, data, len, d) < 0) {
        bk_outfile_abort(&f);
        return -1;
    }
    return bk_outfile_commit(&f, d);
}
