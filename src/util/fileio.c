/* fileio.c -- reading input files (see fileio.h). */
#include "bookify/fileio.h"

#include <errno.h>
#include <fcntl.h>
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
    for (;;) {
        bk_buf_grow(out, 65536);
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
