/* crc32: bit manipulation with table lookups. Builds the 256-entry CRC-32
 * (IEEE, reflected 0xEDB88320) table bit by bit, then runs the byte-at-a-time
 * table-driven CRC over a 64 KiB PRNG-filled buffer n times, flipping one
 * byte between passes. */
#include "kernel.h"

#define DEFAULT_N 400
#define QUICK_N 80

#define BUF (64 * 1024)

static u32 table[256];
static u8 buf[BUF];

static void make_table(void) {
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (int k = 0; k < 8; k++) c = (c & 1u) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
        table[i] = c;
    }
}

static NOINLINE u32 crc32(const u8 *p, u32 len, u32 crc) {
    crc = ~crc;
    for (u32 i = 0; i < len; i++) crc = table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

EXPORT long long run(int n) {
    make_table();
    u32 s = 0xDEADBEEFu;
    for (u32 i = 0; i < BUF; i++) buf[i] = (u8)(xs32(&s) >> 24);
    u64 h = crc32((const u8 *)"123456789", 9, 0); /* 0xCBF43926 */
    u32 crc = 0;
    for (int rep = 0; rep < n; rep++) {
        crc = crc32(buf, BUF, crc);
        buf[crc % BUF] ^= (u8)(rep | 1);
        h = mix64(h, crc);
    }
    return (long long)h;
}
