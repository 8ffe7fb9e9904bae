/* dl.c -- libraries loaded when first needed (see dl.h). */
#include "bookify/dl.h"

#include <dlfcn.h>
#include <string.h>

#include "bookify/banned.h"

bool bk_dl_load(const char *soname, const char *const *names, void *const *slots, size_t n)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return false;
    for (size_t i = 0; i < n; i++) {
        void *sym = dlsym(lib, names[i]);
        if (!sym)
            return false;
        /* a data pointer into a function pointer, as POSIX allows */
        memcpy(slots[i], &sym, sizeof sym);
    }
    return true;
}
