/*
 * date.h -- post dates as bloggers write them.
 *
 * Accepted forms (DESIGN.md section 2): "2019-01-05", "2019-1-5",
 * "2019-01-05 10:00", "2019-01-05 10:00:00", "2019-01-05T10:00:00.000Z",
 * "2019-01-05 05:08:11 +0000", "2016-03-09T16:20:02-05:00", "... +05:30",
 * "... UTC" / "GMT". The calendar date is kept as written (no time-zone
 * shift), so a post shows the date its author gave it; the instant (UTC
 * seconds) is used only to order posts and to leave out future posts.
 */
#ifndef BK_DATE_H
#define BK_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bk_date {
    int year, month, day;    /* as written */
    int hour, minute, second;
    int tz_minutes;          /* offset east of UTC */
    bool has_time, has_tz;
    bool valid;              /* false: no date */
} bk_date;

/* Parse s (len bytes, surrounding blanks allowed). Returns true and fills d
 * when s is one of the accepted forms and a real calendar date; otherwise
 * false, d untouched. Cannot fail otherwise. */
bool bk_date_parse(const char *s, size_t len, bk_date *d);

/* Parse a "YYYY-MM-DD" (or "YYYY-M-D") prefix of s, followed by '-', ' ' or
 * '_' as in Jekyll file names. Returns the number of bytes used including
 * the separator, or 0 when s has no such prefix. */
size_t bk_date_parse_prefix(const char *s, bk_date *d);

/* Seconds since 1970-01-01T00:00:00Z of the date's instant (a date without
 * time is midnight, without zone UTC). */
int64_t bk_date_epoch(const bk_date *d);

/* The UTC calendar date of an epoch second count. */
bk_date bk_date_from_epoch(int64_t t);

/* Writes "YYYY-MM-DD" into out (at least 11 bytes). */
void bk_date_format_ymd(const bk_date *d, char out[static 11]);

/* Append the date written out for a reader of language lang (a BCP 47
 * tag: "en", "en-US", "fr", "ja", "ar"...): "8 January 2024",
 * "January 8, 2024", "8 janvier 2024", "2024年1月8日", "٨ يناير ٢٠٢٤".
 * Languages without a table get ISO "2024-01-08". Cannot fail. */
struct bk_buf;
void bk_date_format_long(const bk_date *d, const char *lang, struct bk_buf *out);

/* Compare by instant; equal instants compare equal. */
int bk_date_cmp(const bk_date *a, const bk_date *b);

#endif
