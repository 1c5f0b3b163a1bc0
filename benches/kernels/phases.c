/* phases: a hot loop whose branch behaviour changes in phases. The loop body
 * branches on `data[j] & mask`. For the first third of the n passes over the
 * data the branch is always taken (side A), for the middle third it
 * alternates A/B/A/B, for the last third it is never taken (side B). Side A
 * stores to a histogram, so the compiler keeps a real branch (no select). */
#include "kernel.h"

#define DEFAULT_N 12000
#define QUICK_N 2400

#define LEN 8192

static u32 data[LEN];
static u32 hist[256];

EXPORT long long run(int n) {
    u32 s = 0xFACADEu;
    for (u32 j = 0; j < LEN; j++) data[j] = (xs32(&s) & 0xFFFF0000u) | 0x100u | (j & 1u);
    for (u32 k = 0; k < 256; k++) hist[k] = 0;
    u32 third = (u32)(n > 0 ? n : 0) / 3u;
    u32 acc = 0x12345678u, na = 0;
    u64 h = 0;
    for (u32 rep = 0; rep < (u32)n; rep++) {
        /* bit 8 is set in every element, bit 0 alternates, bit 9 is never set */
        u32 mask = rep < third ? 0x100u : rep < 2u * third ? 0x1u : 0x200u;
        for (u32 j = 0; j < LEN; j++) {
            u32 v = data[j];
            if (v & mask) {
                hist[(v >> 16) & 255u] += v;
                acc += v >> 3;
                na++;
            } else {
                acc = (acc ^ v) * 0x01000193u;
            }
        }
        h = mix64(h, acc);
    }
    for (u32 k = 0; k < 256; k++) h = mix64(h, hist[k]);
    return (long long)mix64(h, na);
}
