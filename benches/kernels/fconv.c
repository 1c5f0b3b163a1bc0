/* fconv: float conversions and rounding. Per iteration: i32/u32/i64/u64 ->
 * f64/f32 conversions, f64 <-> f32 demote/promote, floor/ceil/trunc/rint
 * (wasm f64.floor etc.) in both precisions, sqrt/abs/copysign, and the
 * trapping f64/f32 -> i32/u32/i64/u64 truncations on in-range values. */
#include "kernel.h"

#define DEFAULT_N 3000000
#define QUICK_N 600000

EXPORT long long run(int n) {
    u32 s = 0x600DF00Du;
    u64 h = 0;
    u64 isum = 0;
    double dsum = 0.0;
    float fsum = 0.0f;
    for (int i = 0; i < n; i++) {
        u32 r1 = xs32(&s), r2 = xs32(&s);
        i32 a = (i32)(r1 & 0x7FFFFFFFu) - 0x3FFFFFFF; /* in [-2^30+1, 2^30] */
        u64 w = ((u64)r1 << 32) | r2;
        i64 sw = (i64)(w >> 2) - (i64)(1ll << 61);

        double d1 = (double)a / 1024.0;         /* i32 -> f64, exact fractions */
        double d2 = (double)r2 * 0.0009765625;  /* u32 -> f64 */
        double d3 = (double)sw * 1e-9;          /* i64 -> f64, rounds */
        double d4 = (double)w;                  /* u64 -> f64, rounds */
        float f1 = (float)a;                    /* i32 -> f32, rounds */
        float f2 = (float)r2;                   /* u32 -> f32, rounds */
        float f3 = (float)sw;                   /* i64 -> f32 */
        float f4 = (float)w;                    /* u64 -> f32 */
        float f5 = (float)(d3 * 1e-3);          /* f64 -> f32 demote, |f5| < 2.4e6 */
        double d5 = (double)f1 * 0.5;           /* f32 -> f64 promote */

        /* rounding in f64 (values have fractional parts .0 .25 .5 .75 etc.) */
        double fl = __builtin_floor(d1), ce = __builtin_ceil(d1);
        double tr = __builtin_trunc(d1), ri = __builtin_rint(d1 + 0.5);
        /* rounding in f32 */
        float ff = __builtin_floorf(f5), fc = __builtin_ceilf(f5);
        float ft = __builtin_truncf(f5 * 0.75f), fr = __builtin_rintf(f5 * 0.25f);

        /* float -> int truncations, all on in-range values */
        i32 t1 = (i32)fl + (i32)ce - (i32)tr + (i32)ri;       /* |d1| < 2^21 */
        u32 t2 = (u32)d2;                                      /* < 2^22 */
        i64 t3 = (i64)d3;                                      /* |d3| < 2.4e9 */
        u64 t4 = (u64)(d4 * 0.5);                              /* < 2^63 */
        i32 t5 = (i32)(ff + fc) ^ (i32)(ft - fr);              /* |f5| < 2.4e6 */
        u32 t6 = (u32)(f2 * 0.5f);                             /* < 2^31 */
        i64 t7 = (i64)f3;                                      /* |f3| <= 2^61 */
        u64 t8 = (u64)(f4 * 0.25f);                            /* < 2^62 */
        i32 t9 = (i32)(d5 * 0.001);

        isum += (u64)(i64)t1 + t2 + (u64)t3 + t4 + (u64)(i64)t9;
        isum = isum * 3u + t6 + (u64)t7 + t8 + (u64)(i64)t5;

        dsum += __builtin_sqrt(__builtin_fabs(d3)) + __builtin_copysign(d2, d1) * 1e-6 +
                (fl - tr) + (ce - ri) * 0.125;
        fsum += (ff - ft) * 1e-6f + __builtin_copysignf(f2, f1) * 1e-9f;
        if ((i & 4095) == 4095) {
            h = mix64(h, f64_bits(dsum));
            h = mix64(h, f32_bits(fsum));
            dsum *= 0.5;
            fsum = (float)(dsum * 1e-3);
        }
    }
    h = mix64(h, isum);
    h = mix64(h, f64_bits(dsum));
    h = mix64(h, f32_bits(fsum));
    return (long long)h;
}
