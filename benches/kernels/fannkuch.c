/* fannkuch: permutation search, as in the benchmarks game's fannkuch-redux
 * with 10 elements. Permutations are generated in the fannkuch-redux order
 * (rotations driven by a count array); for each one the first element k says
 * how many leading elements to reverse, repeated until the first element is 0.
 * n is the number of permutations visited (10! = 3628800 is the full set,
 * which gives the well-known checksum 73196 and maximum 38 flips; beyond that
 * the search restarts from the identity). The result mixes the signed
 * checksum, the maximum and total flips, and a hash of sampled permutations. */
#include "kernel.h"

#define DEFAULT_N 600000
#define QUICK_N 120000

#define P 10

static i32 perm1[P];
static i32 perm[P];
static i32 count[P];

EXPORT long long run(int n) {
    u32 todo = n > 0 ? (u32)n : 0u;
    i64 checksum = 0;
    u64 total = 0, sampled = 0;
    i32 max_flips = 0;
    u32 restarts = 0;
    u32 perm_count = 0;
    i32 r = P;
    for (i32 i = 0; i < P; i++) perm1[i] = i;
    while (todo > 0) {
        while (r != 1) {
            count[r - 1] = r;
            r--;
        }
        for (i32 i = 0; i < P; i++) perm[i] = perm1[i];
        i32 flips = 0;
        i32 k = perm[0];
        while (k != 0) {
            for (i32 i = 0, j = k; i < j; i++, j--) {
                i32 t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            flips++;
            k = perm[0];
        }
        if (flips > max_flips) max_flips = flips;
        checksum += (perm_count & 1u) ? -flips : flips;
        total += (u64)flips;
        if ((perm_count & 4095u) == 0) {
            u64 ph = 0;
            for (i32 i = 0; i < P; i++) ph = ph * 11u + (u64)perm1[i];
            sampled = mix64(sampled, ph ^ ((u64)flips << 40));
        }
        todo--;
        perm_count++;
        /* next permutation: rotate the first r + 1 elements until a count
         * is still positive */
        for (;;) {
            if (r == P) {
                /* the full set is done: record it and start again */
                sampled = mix64(sampled, (u64)checksum);
                restarts++;
                perm_count = 0;
                for (i32 i = 0; i < P; i++) perm1[i] = i;
                break;
            }
            i32 perm0 = perm1[0];
            for (i32 i = 0; i < r; i++) perm1[i] = perm1[i + 1];
            perm1[r] = perm0;
            count[r]--;
            if (count[r] > 0) break;
            r++;
        }
    }
    u64 h = mix64(0, (u64)checksum);
    h = mix64(h, ((u64)(u32)max_flips << 32) | restarts);
    h = mix64(h, total);
    h = mix64(h, sampled);
    return (long long)h;
}
