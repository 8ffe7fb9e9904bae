/*
 * banned.h -- functions bookify never calls (after git's banned.h).
 *
 * Included last by every source file of the library. Each of these either
 * overflows silently, keeps hidden static state, or hides errors; the safe
 * replacement is named in STYLE.md section 6.
 */
#ifndef BK_BANNED_H
#define BK_BANNED_H

#define BK_BANNED(func) sorry_##func##_is_banned_in_bookify

#undef strcpy
#define strcpy(x, y) BK_BANNED(strcpy)
#undef strcat
#define strcat(x, y) BK_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BK_BANNED(strncpy)
#undef sprintf
#define sprintf(...) BK_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BK_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BK_BANNED(strtok)
#undef gmtime
#define gmtime(t) BK_BANNED(gmtime)
#undef localtime
#define localtime(t) BK_BANNED(localtime)
#undef atoi
#define atoi(x) BK_BANNED(atoi)

#endif
