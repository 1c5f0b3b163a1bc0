/* strings: byte/string processing over 128 KiB of generated text (lowercase
 * words, spaces, newlines, with frequent repeated letters). Each of the n
 * passes counts words and lines, builds a byte histogram, does a naive
 * substring search for a 6-byte pattern taken from the text, and run-length
 * encodes the text into a second buffer. */
#include "kernel.h"

#define DEFAULT_N 60
#define QUICK_N 12

#define TEXT (128 * 1024)

static u8 text[TEXT];
static u8 rle[2 * TEXT + 16];
static u32 hist[256];

static void gen_text(void) {
    u32 s = 0xBADC0DEu;
    u32 i = 0;
    while (i < TEXT) {
        u32 r = xs32(&s);
        u32 wlen = 1 + (r % 9u);
        u8 prev = 0;
        for (u32 k = 0; k < wlen && i < TEXT; k++) {
            u32 q = xs32(&s);
            u8 c = (prev && (q & 3u) == 0) ? prev : (u8)('a' + (q >> 8) % 26u);
            text[i++] = c;
            prev = c;
        }
        if (i < TEXT) text[i++] = ((r >> 20) % 12u == 0) ? '\n' : ' ';
    }
}

static u32 count_words(u32 *lines) {
    u32 words = 0, nl = 0;
    int in_word = 0;
    for (u32 i = 0; i < TEXT; i++) {
        u8 c = text[i];
        if (c == '\n') nl++;
        if (c == ' ' || c == '\n') {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            words++;
        }
    }
    *lines = nl;
    return words;
}

static u32 search(const u8 *pat, u32 m, u32 *first) {
    u32 hits = 0;
    *first = 0xFFFFFFFFu;
    for (u32 i = 0; i + m <= TEXT; i++) {
        u32 j = 0;
        while (j < m && text[i + j] == pat[j]) j++;
        if (j == m) {
            if (hits == 0) *first = i;
            hits++;
        }
    }
    return hits;
}

static u32 rle_encode(void) {
    u32 o = 0, i = 0;
    while (i < TEXT) {
        u8 c = text[i];
        u32 run = 1;
        while (i + run < TEXT && text[i + run] == c && run < 255) run++;
        if (run > 1) {
            rle[o++] = 0xFF;
            rle[o++] = (u8)run;
        }
        rle[o++] = c;
        i += run;
    }
    return o;
}

EXPORT long long run(int n) {
    gen_text();
    u64 h = 0;
    for (int pass = 0; pass < n; pass++) {
        u32 lines;
        u32 words = count_words(&lines);
        for (u32 i = 0; i < 256; i++) hist[i] = 0;
        for (u32 i = 0; i < TEXT; i++) hist[text[i]]++;
        u64 hh = 0;
        for (u32 i = 0; i < 256; i++) hh = hh * 1000003u + hist[i];
        u8 pat[6];
        u32 at = ((u32)pass * 2654435761u) % (TEXT - 8);
        for (u32 k = 0; k < 6; k++) pat[k] = text[at + k];
        u32 first;
        u32 hits = search(pat, 6, &first);
        u32 len = rle_encode();
        u32 rs = 0;
        for (u32 i = 0; i < len; i++) rs = rs * 33u + rle[i];
        h = mix64(h, ((u64)words << 32) | lines);
        h = mix64(h, hh);
        h = mix64(h, ((u64)hits << 32) | first);
        h = mix64(h, ((u64)len << 32) | rs);
        /* mutate the text so every pass differs */
        text[at] = (u8)('a' + pass % 26);
    }
    return (long long)h;
}
