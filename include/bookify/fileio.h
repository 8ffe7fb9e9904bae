/*
 * fileio.h -- reading input files.
 */
#ifndef BK_FILEIO_H
#define BK_FILEIO_H

#include <stdbool.h>
#include <stddef.h>

#include "bookify/diag.h"
#include "bookify/util.h"

/* Read the whole file at path into out (appended). Files larger than max
 * bytes are refused. Returns 0; or -1 with errno set (EFBIG for too large)
 * and nothing recorded: the caller words the diagnostic. */
int bk_file_read(const char *path, size_t max, bk_buf *out);

/* All n bytes to or from fd (a pipe or a socket to a helper process),
 * through EINTR and short transfers; false on an error or the other end
 * closed. A socket whose reader is gone fails the write (EPIPE) rather
 * than raising SIGPIPE. */
bool bk_fd_write_all(int fd, const void *buf, size_t n);
bool bk_fd_read_all(int fd, void *buf, size_t n);

#endif
