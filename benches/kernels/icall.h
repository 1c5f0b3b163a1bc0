/* Shared body of the three indirect-call kernels (icall_mono, icall_poly,
 * icall_mega). The including file defines NTARGETS (1, 3 or 32) before
 * including this header. There is ONE call site, `acc = targets[sel](acc, x)`,
 * in the hot loop; the selector sequence comes from a 4096-entry byte array
 * filled by a PRNG (always 0 when NTARGETS == 1). The table is an
 * external-linkage, non-const global filled at run time, so the compiler
 * cannot devirtualise the call. */
#include "kernel.h"

typedef u32 (*target_fn)(u32 acc, u32 x);

/* Target k: a cheap, distinct mixing step (rotation amount and constant vary). */
#define TARGET(k)                                                            \
    static NOINLINE u32 t##k(u32 acc, u32 x) {                               \
        u32 v = (acc ^ x) * (2u * (k) + 0x9E3779B1u);                        \
        return (v << (((k) % 31) + 1)) | (v >> (31 - ((k) % 31)));           \
    }

TARGET(0)
#if NTARGETS > 1
TARGET(1) TARGET(2)
#endif
#if NTARGETS > 3
TARGET(3) TARGET(4) TARGET(5) TARGET(6) TARGET(7) TARGET(8) TARGET(9)
TARGET(10) TARGET(11) TARGET(12) TARGET(13) TARGET(14) TARGET(15)
TARGET(16) TARGET(17) TARGET(18) TARGET(19) TARGET(20) TARGET(21)
TARGET(22) TARGET(23) TARGET(24) TARGET(25) TARGET(26) TARGET(27)
TARGET(28) TARGET(29) TARGET(30) TARGET(31)
#endif

target_fn targets[NTARGETS];
u32 ntargets_live;
static u8 sel[4096];

static NOINLINE void init_targets(void) {
    targets[0] = t0;
#if NTARGETS > 1
    targets[1] = t1; targets[2] = t2;
#endif
#if NTARGETS > 3
    targets[3] = t3; targets[4] = t4; targets[5] = t5; targets[6] = t6;
    targets[7] = t7; targets[8] = t8; targets[9] = t9; targets[10] = t10;
    targets[11] = t11; targets[12] = t12; targets[13] = t13; targets[14] = t14;
    targets[15] = t15; targets[16] = t16; targets[17] = t17; targets[18] = t18;
    targets[19] = t19; targets[20] = t20; targets[21] = t21; targets[22] = t22;
    targets[23] = t23; targets[24] = t24; targets[25] = t25; targets[26] = t26;
    targets[27] = t27; targets[28] = t28; targets[29] = t29; targets[30] = t30;
    targets[31] = t31;
#endif
    ntargets_live = NTARGETS;
}

EXPORT long long run(int n) {
    init_targets();
    u32 s = 0xACE1u;
    for (u32 i = 0; i < 4096; i++) sel[i] = (u8)(xs32(&s) % ntargets_live);
    u32 acc = 1;
    u64 h = 0;
    for (int rep = 0; rep < n; rep++) {
        /* keep exactly one call_indirect in the wasm: no unrolling */
#ifdef __clang__
#pragma clang loop unroll(disable)
#endif
        for (u32 i = 0; i < 4096; i++) acc = targets[sel[i]](acc, i);
        h = mix64(h, acc);
    }
    return (long long)h;
}
