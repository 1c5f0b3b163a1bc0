/* Included before every Lua source file when building Lua for wasm32-wasi (see build.sh).
 *
 * Lua raises errors with longjmp, which WebAssembly 2.0 without exception handling cannot do.
 * In this build a raised error therefore ends the program: the error message (with lua.c's
 * traceback when it comes through lua.c's handler) is printed as lua.c prints it, and the
 * exit status is 1, as for an uncaught error in a script. What follows from it:
 * `pcall`/`error` cannot recover, and `coroutine.yield` (which unwinds with the same
 * mechanism) ends the program too. Scripts that raise no errors and use no coroutines run
 * unchanged. */
#ifndef LUA_WASI_H
#define LUA_WASI_H

struct lua_State;
void lua_wasi_throw(struct lua_State *L, int status);

#define LUAI_THROW(L, c) lua_wasi_throw(L, (c)->status)
#define LUAI_TRY(L, c, a) { a }
#define luai_jmpbuf int

/* No temporary file names: os.tmpname raises "unable to generate a unique filename". */
#define LUA_TMPNAMBUFSIZE 32
#define lua_tmpnam(b, e) { (b)[0] = 0; e = 1; }

#endif
