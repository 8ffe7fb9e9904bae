/* date.c -- parsing and comparing post dates (see date.h). */
#include "bookify/date.h"

#include <stdio.h>
#include <string.h>

#include "bookify/banned.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Read 1..max digits at *p; returns digits read. */
static int read_num(const char **p, const char *end, int min_digits, int max_digits, int *out)
{
    int n = 0, v = 0;
    while (*p < end && n < max_digits && is_digit(**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    if (n < min_digits)
        return 0;
    *out = v;
    return n;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static bool valid_ymd(int y, int m, int d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

static bool parse_ymd(const char **p, const char *end, bk_date *d)
{
    int y, m, dd;
    if (read_num(p, end, 4, 4, &y) != 4)
        return false;
    if (*p >= end || **p != '-')
        return false;
    (*p)++;
    if (!read_num(p, end, 1, 2, &m))
        return false;
    if (*p >= end || **p != '-')
        return false;
    (*p)++;
    if (!read_num(p, end, 1, 2, &dd))
        return false;
    if (*p < end && is_digit(**p))
        return false;
    if (!valid_ymd(y, m, dd))
        return false;
    d->year = y;
    d->month = m;
    d->day = dd;
    return true;
}

bool bk_date_parse(const char *s, size_t len, bk_date *out)
{
    const char *p = s, *end = s + len;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
        end--;
    bk_date d = { 0 };
    if (!parse_ymd(&p, end, &d))
        return false;
    if (p < end && (*p == 'T' || *p == 't' || *p == ' ' || *p == '\t')) {
        const char *q = p + 1;
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        int h, mi, sec = 0;
        if (read_num(&q, end, 1, 2, &h) && q < end && *q == ':' && (q++, true) &&
            read_num(&q, end, 2, 2, &mi) == 2) {
            if (q < end && *q == ':') {
                q++;
                if (read_num(&q, end, 2, 2, &sec) != 2)
                    return false;
                if (q < end && (*q == '.' || *q == ',')) {
                    q++;
                    if (q >= end || !is_digit(*q))
                        return false;
                    while (q < end && is_digit(*q))
                        q++;
                }
            }
            if (h > 23 || mi > 59 || sec > 60)
                return false;
            d.hour = h;
            d.minute = mi;
            d.second = sec == 60 ? 59 : sec;
            d.has_time = true;
            p = q;
        } else if (*p == 'T' || *p == 't') {
            return false;
        }
    }
    if (d.has_time) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p < end) {
            if ((end - p == 1 && (*p == 'Z' || *p == 'z')) ||
                (end - p == 3 && (memcmp(p, "UTC", 3) == 0 || memcmp(p, "GMT", 3) == 0))) {
                d.has_tz = true;
                p = end;
            } else if (*p == '+' || *p == '-') {
                int sign = *p == '-' ? -1 : 1;
                p++;
                int hh, mm = 0;
                int n = read_num(&p, end, 1, 4, &hh);
                if (n == 3 || n == 4) {
                    mm = hh % 100;
                    hh /= 100;
                } else if (n == 1 || n == 2) {
                    if (p < end && *p == ':') {
                        p++;
                        if (read_num(&p, end, 2, 2, &mm) != 2)
                            return false;
                    }
                } else {
                    return false;
                }
                if (hh > 14 || mm > 59)
                    return false;
                d.tz_minutes = sign * (hh * 60 + mm);
                d.has_tz = true;
            }
        }
    }
    if (p != end)
        return false;
    d.valid = true;
    *out = d;
    return true;
}

size_t bk_date_parse_prefix(const char *s, bk_date *out)
{
    const char *p = s, *end = s + strlen(s);
    bk_date d = { 0 };
    if (!parse_ymd(&p, end, &d))
        return 0;
    if (p >= end || (*p != '-' && *p != ' ' && *p != '_'))
        return 0;
    p++;
    d.valid = true;
    *out = d;
    return (size_t)(p - s);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t bk_date_epoch(const bk_date *d)
{
    int64_t days = days_from_civil(d->year, d->month, d->day);
    return days * 86400 + d->hour * 3600 + d->minute * 60 + d->second - (int64_t)d->tz_minutes * 60;
}

bk_date bk_date_from_epoch(int64_t t)
{
    int64_t z = (t >= 0 ? t : t - 86399) / 86400;
    int64_t secs = t - z * 86400;
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    bk_date r = { 0 };
    r.year = (int)(y + (m <= 2));
    r.month = m;
    r.day = d;
    r.hour = (int)(secs / 3600);
    r.minute = (int)(secs / 60 % 60);
    r.second = (int)(secs % 60);
    r.has_time = true;
    r.has_tz = true;
    r.valid = true;
    return r;
}

void bk_date_format_ymd(const bk_date *d, char out[static 11])
{
    int n = snprintf(out, 11, "%04d-%02d-%02d", d->year, d->month, d->day);
    if (n != 10)
        out[0] = '\0';
}

int bk_date_cmp(const bk_date *a, const bk_date *b)
{
    int64_t x = bk_date_epoch(a), y = bk_date_epoch(b);
    return x < y ? -1 : x > y;
}

/* ---- dates for readers ----
 * A small table instead of the C library's locales: those depend on which
 * locales a machine has generated, and the book must not. Month names are
 * the forms used after a day number (genitive where the language has one). */

#include "bookify/util.h"

enum date_style {
    DAY_MONTH_YEAR,    /* 8 January 2024 */
    MONTH_DAY_YEAR,    /* January 8, 2024 */
    DAY_DOT_MONTH,     /* 8. Januar 2024 */
    DAY_DE_MONTH_DE,   /* 8 de enero de 2024 */
    CJK_YMD,           /* 2024年1月8日 */
    KO_YMD,            /* 2024년 1월 8일 */
};

typedef struct date_lang {
    const char *tag; /* primary subtag, or full tag for regional forms */
    enum date_style style;
    const char *months[12];
    const char *digits; /* NULL = ASCII; else ten UTF-8 digits separated by '|' */
} date_lang;

static const date_lang date_langs[] = {
    { "en-US", MONTH_DAY_YEAR, { "January", "February", "March", "April", "May", "June", "July",
                                 "August", "September", "October", "November", "December" }, NULL },
    { "en", DAY_MONTH_YEAR, { "January", "February", "March", "April", "May", "June", "July",
                              "August", "September", "October", "November", "December" }, NULL },
    { "fr", DAY_MONTH_YEAR, { "janvier", "février", "mars", "avril", "mai", "juin", "juillet",
                              "août", "septembre", "octobre", "novembre", "décembre" }, NULL },
    { "de", DAY_DOT_MONTH, { "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
                             "August", "September", "Oktober", "November", "Dezember" }, NULL },
    { "es", DAY_DE_MONTH_DE, { "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio",
                               "agosto", "septiembre", "octubre", "noviembre", "diciembre" }, NULL },
    { "pt", DAY_DE_MONTH_DE, { "janeiro", "fevereiro", "março", "abril", "maio", "junho",
                               "julho", "agosto", "setembro", "outubro", "novembro",
                               "dezembro" }, NULL },
    { "it", DAY_MONTH_YEAR, { "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno",
                              "luglio", "agosto", "settembre", "ottobre", "novembre",
                              "dicembre" }, NULL },
    { "nl", DAY_MONTH_YEAR, { "januari", "februari", "maart", "april", "mei", "juni", "juli",
                              "augustus", "september", "oktober", "november", "december" }, NULL },
    { "sv", DAY_MONTH_YEAR, { "januari", "februari", "mars", "april", "maj", "juni", "juli",
                              "augusti", "september", "oktober", "november", "december" }, NULL },
    { "da", DAY_DOT_MONTH, { "januar", "februar", "marts", "april", "maj", "juni", "juli",
                             "august", "september", "oktober", "november", "december" }, NULL },
    { "nb", DAY_DOT_MONTH, { "januar", "februar", "mars", "april", "mai", "juni", "juli",
                             "august", "september", "oktober", "november", "desember" }, NULL },
    { "no", DAY_DOT_MONTH, { "januar", "februar", "mars", "april", "mai", "juni", "juli",
                             "august", "september", "oktober", "november", "desember" }, NULL },
    { "pl", DAY_MONTH_YEAR, { "stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca",
                              "lipca", "sierpnia", "września", "października", "listopada",
                              "grudnia" }, NULL },
    { "ru", DAY_MONTH_YEAR, { "января", "февраля", "марта", "апреля", "мая", "июня", "июля",
                              "августа", "сентября", "октября", "ноября", "декабря" }, NULL },
    { "uk", DAY_MONTH_YEAR, { "січня", "лютого", "березня", "квітня", "травня", "червня",
                              "липня", "серпня", "вересня", "жовтня", "листопада",
                              "грудня" }, NULL },
    { "tr", DAY_MONTH_YEAR, { "Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz",
                              "Ağustos", "Eylül", "Ekim", "Kasım", "Aralık" }, NULL },
    { "el", DAY_MONTH_YEAR, { "Ιανουαρίου", "Φεβρουαρίου", "Μαρτίου", "Απριλίου", "Μαΐου",
                              "Ιουνίου", "Ιουλίου", "Αυγούστου", "Σεπτεμβρίου", "Οκτωβρίου",
                              "Νοεμβρίου", "Δεκεμβρίου" }, NULL },
    { "ar", DAY_MONTH_YEAR, { "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو",
                              "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر" },
      "٠|١|٢|٣|٤|٥|٦|٧|٨|٩" },
    { "fa", DAY_MONTH_YEAR, { "ژانویه", "فوریه", "مارس", "آوریل", "مه", "ژوئن", "ژوئیه", "اوت",
                              "سپتامبر", "اکتبر", "نوامبر", "دسامبر" },
      "۰|۱|۲|۳|۴|۵|۶|۷|۸|۹" },
    { "he", DAY_MONTH_YEAR, { "בינואר", "בפברואר", "במרץ", "באפריל", "במאי", "ביוני", "ביולי",
                              "באוגוסט", "בספטמבר", "באוקטובר", "בנובמבר", "בדצמבר" }, NULL },
    { "ja", CJK_YMD, { 0 }, NULL },
    { "zh", CJK_YMD, { 0 }, NULL },
    { "ko", KO_YMD, { 0 }, NULL },
};

static const date_lang *find_date_lang(const char *lang)
{
    if (!lang)
        lang = "en";
    for (size_t i = 0; i < BK_ARRAY_LEN(date_langs); i++) {
        const char *t = date_langs[i].tag;
        size_t n = strlen(t);
        if (bk_ascii_casecmp(lang, t) == 0)
            return &date_langs[i];
        /* "fr-CA" uses "fr"; but "en-US" must not fall to a longer tag. */
        if (!strchr(t, '-') && strlen(lang) > n && lang[n] == '-') {
            char prefix[16];
            if (n < sizeof prefix) {
                memcpy(prefix, lang, n);
                prefix[n] = '\0';
                if (bk_ascii_casecmp(prefix, t) == 0)
                    return &date_langs[i];
            }
        }
    }
    return NULL;
}

static void add_number(bk_buf *out, int n, const char *digits)
{
    char ascii[16];
    int len = snprintf(ascii, sizeof ascii, "%d", n);
    for (int i = 0; i < len; i++) {
        if (!digits) {
            bk_buf_addc(out, ascii[i]);
            continue;
        }
        const char *p = digits;
        for (int k = 0; k < ascii[i] - '0'; k++)
            p = strchr(p, '|') + 1;
        const char *end = strchr(p, '|');
        bk_buf_add(out, p, end ? (size_t)(end - p) : strlen(p));
    }
}

void bk_date_format_long(const bk_date *d, const char *lang, bk_buf *out)
{
    const date_lang *l = find_date_lang(lang);
    if (!l) {
        char ymd[11];
        bk_date_format_ymd(d, ymd);
        bk_buf_adds(out, ymd);
        return;
    }
    const char *month = l->months[d->month - 1];
    switch (l->style) {
    case DAY_MONTH_YEAR:
        add_number(out, d->day, l->digits);
        bk_buf_addf(out, " %s ", month);
        add_number(out, d->year, l->digits);
        break;
    case MONTH_DAY_YEAR:
        bk_buf_addf(out, "%s %d, %d", month, d->day, d->year);
        break;
    case DAY_DOT_MONTH:
        bk_buf_addf(out, "%d. %s %d", d->day, month, d->year);
        break;
    case DAY_DE_MONTH_DE:
        bk_buf_addf(out, "%d de %s de %d", d->day, month, d->year);
        break;
    case CJK_YMD:
        bk_buf_addf(out, "%d年%d月%d日", d->year, d->month, d->day);
        break;
    case KO_YMD:
        bk_buf_addf(out, "%d년 %d월 %d일", d->year, d->month, d->day);
        break;
    }
}
