/* i64ops: 64-bit integer arithmetic. Per iteration: an xorshift64* step,
 * unsigned and signed 64-bit division/remainder, rotates, clz/ctz/popcount,
 * and a modular multiply-accumulate modulo a 32-bit prime (products fit in
 * 64 bits). Every 256 iterations also a 64-bit modular exponentiation. */
#include "kernel.h"

#define DEFAULT_N 4000000
#define QUICK_N 800000

#define P 4294967291ull /* largest prime below 2^32 */

static inline u64 rotl64(u64 x, u32 r) { return (x << r) | (x >> ((64 - r) & 63)); }

static NOINLINE u64 powmod(u64 b, u64 e, u64 m) {
    u64 r = 1;
    b %= m;
    while (e) {
        if (e & 1) r = (r * b) % m;
        b = (b * b) % m;
        e >>= 1;
    }
    return r;
}

EXPORT long long run(int n) {
    u64 x = 0x9E3779B97F4A7C15ull;
    u64 acc = 1, sum = 0, bits = 0;
    u64 sacc = 0;
    for (int i = 0; i < n; i++) {
        /* xorshift64* */
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        u64 r = x * 0x2545F4914F6CDD1Dull;
        /* unsigned div/rem by a varying 64-bit divisor */
        u64 d = (r >> 40) | 1u;
        sum += r / d + r % (d + 12345u);
        /* signed div/rem, with negative operands */
        i64 sr = (i64)(r >> 1) - (i64)0x3FFFFFFFFFFFFFFFll;
        i64 sd = (i64)((r & 0xFFFFFu) + 1u) * ((r & 0x100000u) ? -1 : 1);
        sacc += (u64)(sr / sd);
        sacc ^= (u64)(sr % sd);
        /* mulmod modulo a 32-bit prime */
        acc = (acc * ((r & 0xFFFFFFFFu) % P + 1u)) % P;
        /* bit counting and rotation */
        bits += (u64)__builtin_clzll(r | 1u) + (u64)__builtin_ctzll(r | (1ull << 63)) +
                (u64)__builtin_popcountll(r);
        x ^= rotl64(r, (u32)(i & 63)) & 0xFFFFu;
        if ((i & 255) == 0) acc ^= powmod(r, x | 1u, P);
    }
    u64 h = mix64(0, x);
    h = mix64(h, acc);
    h = mix64(h, sum);
    h = mix64(h, (u64)sacc);
    h = mix64(h, bits);
    return (long long)h;
}
