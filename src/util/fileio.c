/* fileio.c -- reading input files (see fileio.h). */
#include "bookify/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bookify/banned.h"

int bk_file_read(const char *path, size_t max, bk_buf *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = -1;
    struct stat st;
    if (fstat(fd, &st) < 0)
        goto out;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        goto out;
    }
    if (st.st_size > 0 && (unsigned long long)st.st_size > max) {
        errno = EFBIG;
        goto out;
    }
    size_t start = out->len;
    /* A regular file is read in one piece of its size: a post is a few
     * kilobytes, and a 64 KiB buffer for each was most of what reading a
     * book allocated. Anything else (a pipe, /proc) until its end. */
    bool regular = S_ISREG(st.st_mode) && st.st_size > 0;
    size_t size = regular ? (size_t)st.st_size : 0;
    for (;;) {
        if (regular && out->len - start == size)
            break;
        bk_buf_grow(out, regular && out->len - start < size ? size - (out->len - start) : 65536);
        ssize_t n = read(fd, out->ptr + out->len, out->cap - out->len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto out;
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        out->ptr[out->len] = '\0';
        if (out->len - start > max) {
            errno = EFBIG;
            goto out;
        }
    }
    rc = 0;
out:
    if (fd >= 0) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return rc;
}

bool bk_fd_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    bool socket = true;
    while (n) {
        ssize_t w = socket ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);
        if (w < 0 && errno == ENOTSOCK && socket) {
            socket = false;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

bool bk_fd_read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}
