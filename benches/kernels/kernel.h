/* Shared header for the spur benchmark kernels.
 *
 * Every kernel is freestanding C (no libc) and defines
 *     EXPORT long long run(int n);
 * When compiled for wasm32 (clang), EXPORT marks the function as the wasm
 * export "run" and IMPORT marks a function as a host import. When compiled
 * natively (gcc, for the checksum oracle) both expand to nothing and the
 * host import is provided by oracle.c.
 *
 * Rules every kernel follows:
 *   - run(n) re-initialises all of its state, so calling it several times on
 *     the same instance gives the same checksum each time;
 *   - no undefined behaviour (unsigned arithmetic for anything that wraps,
 *     float->int conversions only on in-range values);
 *   - the checksum never depends on pointer values or sizeof of pointers.
 */
#ifndef SPUR_KERNEL_H
#define SPUR_KERNEL_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;

#ifdef __wasm__
#define EXPORT __attribute__((export_name("run")))
#define IMPORT(mod, name) __attribute__((import_module(mod), import_name(name)))
#else
#define EXPORT
#define IMPORT(mod, name)
#endif

#define NOINLINE __attribute__((noinline))

/* xorshift32: never returns 0 for a non-zero seed. */
static inline u32 xs32(u32 *s) {
    u32 x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* Mix a 64-bit value into a running checksum. */
static inline u64 mix64(u64 h, u64 v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static inline u64 f64_bits(double d) {
    u64 b;
    __builtin_memcpy(&b, &d, sizeof b);
    return b;
}

static inline u32 f32_bits(float f) {
    u32 b;
    __builtin_memcpy(&b, &f, sizeof b);
    return b;
}

#endif
