/* The bzip2 benchmark: a driver for libbzip2 (the unmodified library sources of Debian's bzip2
 * package, see ../build.sh). It generates deterministic text-like data, compresses it with
 * block size 900k, decompresses it twice (the default algorithm and the low-memory `small`
 * one), checks both round trips, and prints sizes and checksums.
 *
 *   bzip2.wasm [KIB]     KIB kibibytes of input (default 1024)
 *
 * The output depends only on KIB, so the native build of this file gives the expected output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bzlib.h"

static unsigned int seed = 20240607u;

static unsigned int next(void) {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
}

/* FNV-1a, 32 bits. */
static unsigned int fnv(const unsigned char *p, size_t n) {
    unsigned int h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* Lines of words drawn from a skewed vocabulary, with numbers and punctuation. */
static void generate(unsigned char *out, size_t size) {
    static const char *syl[] = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "en", "ar",
                                "ul", "is", "or", "pe", "qu", "st", "th", "ch", "ba", "do"};
    char vocab[512][16];
    for (int w = 0; w < 512; w++) {
        int len = 1 + next() % 4, n = 0;
        for (int s = 0; s < len; s++) {
            const char *y = syl[next() % 20];
            vocab[w][n++] = y[0];
            vocab[w][n++] = y[1];
        }
        vocab[w][n] = 0;
    }
    size_t pos = 0;
    int col = 0;
    while (pos < size) {
        char word[32];
        unsigned int r = next();
        if (r % 29 == 0) {
            snprintf(word, sizeof word, "%u", next() % 100000);
        } else {
            unsigned int k = next() % (1 + next() % 512); /* favours small indices */
            strcpy(word, vocab[k]);
        }
        size_t len = strlen(word);
        for (size_t i = 0; i < len && pos < size; i++) out[pos++] = (unsigned char)word[i];
        col += (int)len + 1;
        if (pos < size) {
            char sep = ' ';
            if (col > 60) { sep = '\n'; col = 0; }
            else if (r % 13 == 0) sep = ',';
            else if (r % 37 == 0) sep = '.';
            out[pos++] = (unsigned char)sep;
        }
    }
}

static int check(const char *what, int rc, const unsigned char *a, const unsigned char *b,
                 unsigned int n, unsigned int m) {
    if (rc != BZ_OK) { printf("%s: error %d\n", what, rc); return 1; }
    if (n != m || memcmp(a, b, n) != 0) { printf("%s: round trip FAILED\n", what); return 1; }
    printf("%s: %u bytes, round trip ok\n", what, m);
    return 0;
}

int main(int argc, char **argv) {
    unsigned int kib = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 10) : 1024;
    if (kib == 0 || kib > 65536) { fprintf(stderr, "bad size\n"); return 2; }
    unsigned int n = kib * 1024;
    unsigned int cap = n + n / 100 + 600;
    unsigned char *in = malloc(n), *comp = malloc(cap), *out = malloc(n);
    if (!in || !comp || !out) { fprintf(stderr, "out of memory\n"); return 2; }
    generate(in, n);
    printf("input: %u bytes, fnv %08x\n", n, fnv(in, n));

    unsigned int clen = cap;
    int rc = BZ2_bzBuffToBuffCompress((char *)comp, &clen, (char *)in, n, 9, 0, 30);
    if (rc != BZ_OK) { printf("compress: error %d\n", rc); return 1; }
    printf("compressed: %u bytes, fnv %08x\n", clen, fnv(comp, clen));

    unsigned int olen = n;
    memset(out, 0, n);
    rc = BZ2_bzBuffToBuffDecompress((char *)out, &olen, (char *)comp, clen, 0, 0);
    if (check("decompressed", rc, in, out, n, olen)) return 1;
    olen = n;
    memset(out, 0, n);
    rc = BZ2_bzBuffToBuffDecompress((char *)out, &olen, (char *)comp, clen, 1, 0);
    if (check("decompressed (small)", rc, in, out, n, olen)) return 1;
    return 0;
}
