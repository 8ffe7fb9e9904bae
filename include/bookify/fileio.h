/*
 * fileio.h -- reading input files.
 */
#ifndef BK_FILEIO_H
#define BK_FILEIO_H

#include "bookify/diag.h"
#include "bookify/util.h"

/* Read the whole file at path into out (appended). Files larger than max
 * bytes are refused. Returns 0; or -1 with errno set (EFBIG for too large)
 * and nothing recorded: the caller words the diagnostic. */
int bk_file_read(const char *path, size_t max, bk_buf *out);

#endif
