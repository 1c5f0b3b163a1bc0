/* host_call: a hot loop calling a host import, env.host_mix, n times.
 * host_mix is DEFINED as (must be implemented exactly so by every host):
 *     uint32_t host_mix(uint32_t x) { x ^= x >> 15; x *= 0x2c1b3c6du; x ^= x >> 12; return x; }
 * (i32 -> i32). The wasm side does a little work around each call. */
#include "kernel.h"

#define DEFAULT_N 20000000
#define QUICK_N 4000000

IMPORT("env", "host_mix") int host_mix(int);

EXPORT long long run(int n) {
    u32 x = 0x9E3779B9u;
    u64 h = 0;
    for (int i = 0; i < n; i++) {
        x = (u32)host_mix((int)(x + (u32)i));
        h += x ^ (h >> 29);
    }
    return (long long)mix64(h, x);
}
