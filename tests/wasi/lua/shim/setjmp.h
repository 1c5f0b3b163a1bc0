/* Stand-in for <setjmp.h>, which this wasi-libc does not have (WebAssembly 2.0 has no way to
 * unwind the stack). Lua only needs the jmp_buf type to exist; see lua_wasi.h. */
#ifndef LUA_WASI_SETJMP_H
#define LUA_WASI_SETJMP_H
typedef int jmp_buf[1];
#endif
