/* sieve: integer array loops. Each repetition runs a sieve of Eratosthenes
 * over a byte array, then builds a prefix-count array (pi(x)) and samples it. */
#include "kernel.h"

#define DEFAULT_N 120
#define QUICK_N 24

#define LIMIT (1u << 18)

static u8 composite[LIMIT];
static u32 pi[LIMIT];

EXPORT long long run(int n) {
    u64 h = 0;
    for (int rep = 0; rep < n; rep++) {
        u32 lim = LIMIT - ((u32)rep * 977u) % 4096u;
        for (u32 i = 0; i < lim; i++) composite[i] = 0;
        composite[0] = composite[1] = 1;
        for (u32 p = 2; p * p < lim; p++) {
            if (composite[p]) continue;
            for (u32 m = p * p; m < lim; m += p) composite[m] = 1;
        }
        /* prefix sums: pi[i] = number of primes <= i */
        u32 count = 0;
        u64 sum = 0;
        for (u32 i = 0; i < lim; i++) {
            count += composite[i] ^ 1u;
            pi[i] = count;
            sum += (u64)count * (i | 1u);
        }
        /* sample the prefix array at pseudo-random points */
        u32 s = 0x12345u + (u32)rep;
        u32 acc = 0;
        for (u32 k = 0; k < 4096; k++) acc += pi[xs32(&s) % lim];
        h = mix64(h, sum);
        h = mix64(h, ((u64)count << 32) | acc);
    }
    return (long long)h;
}
