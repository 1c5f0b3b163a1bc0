/* lua_wasi_throw (see lua_wasi.h), and the two C library functions WASI has no equivalent
 * for: `system` (no processes: os.execute reports that there is no shell) and `tmpfile`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lua.h"

void lua_wasi_throw(lua_State *L, int status) {
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (status == LUA_YIELD)
        msg = "coroutine.yield is not supported in this build (no stack unwinding)";
    else if (status == LUA_ERRMEM)
        msg = "not enough memory";
    fprintf(stderr, "lua: %s\n", msg ? msg : "(error object is not a string)");
    fflush(NULL);
    exit(1);
}

int system(const char *cmd) {
    return cmd == NULL ? 0 : -1;
}

FILE *tmpfile(void) {
    errno = ENOTSUP;
    return NULL;
}
