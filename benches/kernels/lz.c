/* lz: a byte-stream compressor. An LZ4-style greedy compressor (a 4096-entry
 * hash table of 4-byte sequences, matches of at least 4 bytes at offsets up
 * to 65535, tokens with 4-bit literal and match lengths extended by 255-byte
 * runs) over 64 KiB of generated semi-compressible data: words from a small
 * dictionary, copies of earlier data, byte runs and random bytes. Each of the
 * n passes changes a few bytes of the input, compresses it, decompresses the
 * result (overlapping match copies byte by byte) and compares it with the
 * input. The checksum covers the compressed sizes and bytes, and the
 * round trip. */
#include "kernel.h"

#define DEFAULT_N 160
#define QUICK_N 32

#define SIZE (64 * 1024)
#define HBITS 12
#define MINMATCH 4
#define MAXOFF 65535u

static u8 input[SIZE];
static u8 packed[SIZE + SIZE / 255 + 64];
static u8 output[SIZE];
static u32 htab[1u << HBITS];
static u8 dict[64][12];
static u32 dict_len[64];

static inline u32 load32(const u8 *p) {
    return (u32)p[0] | ((u32)p[1] << 8) | ((u32)p[2] << 16) | ((u32)p[3] << 24);
}

static inline u32 hash4(u32 seq) { return (seq * 2654435761u) >> (32 - HBITS); }

static void gen_input(void) {
    u32 s = 0x1F2E3D4Cu;
    for (u32 w = 0; w < 64; w++) {
        u32 len = 3 + xs32(&s) % 9u;
        dict_len[w] = len;
        for (u32 k = 0; k < len; k++) dict[w][k] = (u8)('a' + xs32(&s) % 26u);
    }
    u32 i = 0;
    while (i < SIZE) {
        u32 r = xs32(&s);
        u32 kind = r & 7u;
        if (kind < 4) { /* a dictionary word and a separator */
            u32 w = (r >> 3) & 63u;
            for (u32 k = 0; k < dict_len[w] && i < SIZE; k++) input[i++] = dict[w][k];
            if (i < SIZE) input[i++] = ((r >> 9) & 7u) == 0 ? '\n' : ' ';
        } else if (kind < 6 && i > 64) { /* a copy of earlier data */
            u32 back = i < 32768u ? i : 32768u;
            u32 dist = 1 + (r >> 8) % back;
            u32 len = 8 + (r >> 26);
            for (u32 k = 0; k < len && i < SIZE; k++, i++) input[i] = input[i - dist];
        } else if (kind == 6) { /* random bytes */
            u32 len = 1 + ((r >> 8) & 15u);
            for (u32 k = 0; k < len && i < SIZE; k++) input[i++] = (u8)(xs32(&s) >> 24);
        } else { /* a run of one byte */
            u32 len = 3 + ((r >> 8) & 31u);
            u8 c = (u8)(r >> 16);
            for (u32 k = 0; k < len && i < SIZE; k++) input[i++] = c;
        }
    }
}

static u32 put_len(u8 *out, u32 o, u32 rem) {
    while (rem >= 255) {
        out[o++] = 255;
        rem -= 255;
    }
    out[o++] = (u8)rem;
    return o;
}

/* One sequence: lit literals from in + anchor, then (if ml != 0) a match of
 * ml bytes at distance off. */
static u32 put_seq(u8 *out, u32 o, const u8 *in, u32 anchor, u32 lit, u32 off, u32 ml) {
    u32 m = ml ? ml - MINMATCH : 0;
    out[o++] = (u8)(((lit < 15 ? lit : 15) << 4) | (m < 15 ? m : 15));
    if (lit >= 15) o = put_len(out, o, lit - 15);
    for (u32 k = 0; k < lit; k++) out[o++] = in[anchor + k];
    if (ml) {
        out[o++] = (u8)off;
        out[o++] = (u8)(off >> 8);
        if (m >= 15) o = put_len(out, o, m - 15);
    }
    return o;
}

static NOINLINE u32 compress(const u8 *in, u32 len, u8 *out) {
    for (u32 k = 0; k < (1u << HBITS); k++) htab[k] = 0;
    u32 i = 0, anchor = 0, o = 0;
    while (i + MINMATCH <= len) {
        u32 seq = load32(in + i);
        u32 hs = hash4(seq);
        u32 ref = htab[hs];
        htab[hs] = i;
        if (ref < i && i - ref <= MAXOFF && load32(in + ref) == seq) {
            u32 ml = MINMATCH;
            while (i + ml < len && in[ref + ml] == in[i + ml]) ml++;
            o = put_seq(out, o, in, anchor, i - anchor, i - ref, ml);
            i += ml;
            anchor = i;
            if (i + 2 <= len) htab[hash4(load32(in + i - 2))] = i - 2;
        } else {
            i++;
        }
    }
    return put_seq(out, o, in, anchor, len - anchor, 0, 0);
}

static NOINLINE u32 decompress(const u8 *in, u32 clen, u8 *out) {
    u32 ip = 0, op = 0;
    for (;;) {
        u32 t = in[ip++];
        u32 lit = t >> 4;
        if (lit == 15) {
            u32 b;
            do {
                b = in[ip++];
                lit += b;
            } while (b == 255);
        }
        for (u32 k = 0; k < lit; k++) out[op++] = in[ip++];
        if (ip >= clen) break;
        u32 off = (u32)in[ip] | ((u32)in[ip + 1] << 8);
        ip += 2;
        u32 ml = t & 15u;
        if (ml == 15) {
            u32 b;
            do {
                b = in[ip++];
                ml += b;
            } while (b == 255);
        }
        ml += MINMATCH;
        for (u32 k = 0; k < ml; k++, op++) out[op] = out[op - off];
    }
    return op;
}

EXPORT long long run(int n) {
    gen_input();
    u32 s = 0xC0FFEEu;
    u64 h = 0;
    u64 total = 0;
    for (int pass = 0; pass < n; pass++) {
        for (u32 k = 0; k < 8; k++) {
            u32 r = xs32(&s);
            input[r % SIZE] = (u8)(r >> 24);
        }
        u32 clen = compress(input, SIZE, packed);
        u32 ch = 0x811C9DC5u;
        for (u32 k = 0; k < clen; k++) ch = (ch ^ packed[k]) * 16777619u;
        u32 dlen = decompress(packed, clen, output);
        u32 bad = 0;
        for (u32 k = 0; k < SIZE; k++) bad += output[k] != input[k];
        total += clen;
        h = mix64(h, ((u64)clen << 32) | ch);
        h = mix64(h, ((u64)dlen << 32) | bad);
    }
    h = mix64(h, total);
    return (long long)h;
}
