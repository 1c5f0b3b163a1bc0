/* hashtab: an open-addressing hash table of u32 keys and values with linear
 * probing and tombstones, in fixed 32 Ki-slot arrays in linear memory. Each
 * of the n operations is chosen at random: a lookup of a key that may be in
 * the table (hit or miss), a lookup of a key that never is (always a miss),
 * an insert or update, or a delete (which leaves a tombstone). About half of
 * the 24576 keys in play are live at any time. When live entries plus
 * tombstones pass half of the slots, the live entries are rehashed into the
 * other array, which drops the tombstones. The checksum covers every
 * operation's outcome, the probe count and a final scan of the table. */
#include "kernel.h"

#define DEFAULT_N 1200000
#define QUICK_N 240000

#define BITS 15
#define CAP (1u << BITS)
#define MASK (CAP - 1u)
#define LIMIT (CAP / 2u)
#define KEYSPACE 24576u
#define EMPTY 0u
#define TOMB 1u

static u32 keys[2][CAP];
static u32 vals[2][CAP];
static u32 cur;
static u32 live, tombs;
static u64 probes;

/* Key number x (below 65534) -> key. The low 16 bits are x + 2, so keys are
 * distinct and never EMPTY or TOMB; the high 16 bits are scrambled. */
static inline u32 key_of(u32 x) {
    u32 k = x * 0x2c1b3c6du;
    k ^= k >> 15;
    k *= 0x297a2d39u;
    k ^= k >> 12;
    return (k & 0xFFFF0000u) | (x + 2u);
}

static inline u32 slot_of(u32 key) { return (key * 0x9E3779B1u) >> (32 - BITS); }

/* Returns the slot holding key, or CAP if it is absent. */
static u32 find(const u32 *ks, u32 key) {
    u32 i = slot_of(key);
    for (;;) {
        u32 k = ks[i];
        probes++;
        if (k == key) return i;
        if (k == EMPTY) return CAP;
        i = (i + 1u) & MASK;
    }
}

/* Rehash the live entries into the other array; drops every tombstone. */
static NOINLINE void rehash(void) {
    u32 *ok = keys[cur], *ov = vals[cur];
    u32 *nk = keys[cur ^ 1u], *nv = vals[cur ^ 1u];
    for (u32 i = 0; i < CAP; i++) nk[i] = EMPTY;
    for (u32 i = 0; i < CAP; i++) {
        u32 k = ok[i];
        if (k <= TOMB) continue;
        u32 j = slot_of(k);
        while (nk[j] != EMPTY) {
            probes++;
            j = (j + 1u) & MASK;
        }
        nk[j] = k;
        nv[j] = ov[i];
    }
    cur ^= 1u;
    tombs = 0;
}

/* Insert or update; returns 1 if the key was new. */
static u32 insert(u32 key, u32 val) {
    u32 *ks = keys[cur];
    u32 i = slot_of(key);
    u32 tomb = CAP;
    for (;;) {
        u32 k = ks[i];
        probes++;
        if (k == key) {
            vals[cur][i] = val;
            return 0;
        }
        if (k == EMPTY) break;
        if (k == TOMB && tomb == CAP) tomb = i;
        i = (i + 1u) & MASK;
    }
    if (tomb != CAP) {
        i = tomb;
        tombs--;
    }
    ks[i] = key;
    vals[cur][i] = val;
    live++;
    return 1;
}

EXPORT long long run(int n) {
    for (u32 t = 0; t < 2; t++)
        for (u32 i = 0; i < CAP; i++) keys[t][i] = EMPTY;
    cur = 0;
    live = tombs = 0;
    probes = 0;
    u32 s = 0x7AB1E5u;
    u32 hits = 0, misses = 0, added = 0, updated = 0, deleted = 0, absent = 0, rehashes = 0;
    u64 found = 0;
    for (int step = 0; step < n; step++) {
        u32 r = xs32(&s);
        u32 sel = r >> 28;
        u32 x = ((r & 0xFFFFu) * KEYSPACE) >> 16;
        if (sel < 6) { /* lookup of a key in play */
            u32 i = find(keys[cur], key_of(x));
            if (i != CAP) {
                hits++;
                found += vals[cur][i] ^ x;
            } else {
                misses++;
            }
        } else if (sel < 8) { /* lookup of a key never inserted */
            u32 y = KEYSPACE + ((r >> 16) & 0x3FFFu);
            if (find(keys[cur], key_of(y)) != CAP) hits += 1000000u;
            else misses++;
        } else if (sel < 12) { /* insert or update */
            if (insert(key_of(x), (u32)step)) added++;
            else updated++;
            if (live + tombs > LIMIT) {
                rehash();
                rehashes++;
            }
        } else { /* delete */
            u32 i = find(keys[cur], key_of(x));
            if (i != CAP) {
                keys[cur][i] = TOMB;
                live--;
                tombs++;
                deleted++;
            } else {
                absent++;
            }
        }
    }
    /* scan the final table */
    u64 scan = 0;
    u32 count = 0;
    for (u32 i = 0; i < CAP; i++) {
        u32 k = keys[cur][i];
        if (k > TOMB) {
            count++;
            scan = scan * 31u + ((u64)k * vals[cur][i]) + i;
        } else {
            scan += k;
        }
    }
    u64 h = mix64(0, ((u64)hits << 32) | misses);
    h = mix64(h, ((u64)added << 32) | updated);
    h = mix64(h, ((u64)deleted << 32) | absent);
    h = mix64(h, ((u64)rehashes << 32) | count);
    h = mix64(h, ((u64)live << 32) | tombs);
    h = mix64(h, found);
    h = mix64(h, probes);
    h = mix64(h, scan);
    return (long long)h;
}
