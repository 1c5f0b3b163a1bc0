/* nest: a loop nest whose innermost trip count depends on the data. Each of
 * the n frames renders a 64x48 Mandelbrot escape-time image in Q8.24 fixed
 * point (i64 multiplies, no floats) at one of 8 views near the set's
 * boundary, so the inner iteration loop runs 1 to 255 times per pixel (about
 * 87% of pixels take 5..200 iterations; the mean is about 34). The loops over
 * rows and columns do real work per pixel too (coordinate stepping, a
 * histogram, a row hash), and each frame ends with a pass down the columns. */
#include "kernel.h"

#define DEFAULT_N 120
#define QUICK_N 24

#define W 64
#define H 48
#define MAXIT 255
#define FRAC 24
#define ONE (1ll << FRAC)

/* View centres and widths near the boundary of the set, in thousandths. */
#define FX(milli) ((i64)(milli) * ONE / 1000)
static const i64 centre_x[8] = {
    FX(-100), FX(-500), FX(-1260), FX(-1400), FX(-160), FX(-1750), FX(-600), FX(360),
};
static const i64 centre_y[8] = {
    FX(900), FX(650), FX(400), FX(50), FX(1040), FX(0), FX(600), FX(640),
};
static const i64 width[8] = {
    FX(300), FX(200), FX(500), FX(200), FX(250), FX(125), FX(300), FX(250),
};

static u32 hist[MAXIT + 1];
static u8 image[H][W];

/* Escape time of c = (cx, cy). Signed >> on i64 is an arithmetic shift in
 * both gcc and clang (implementation-defined in C, documented by both). */
static inline u32 escape(i64 cx, i64 cy) {
    i64 x = 0, y = 0;
    u32 it = 0;
    while (it < MAXIT) {
        i64 x2 = (x * x) >> FRAC;
        i64 y2 = (y * y) >> FRAC;
        if (x2 + y2 > 4 * ONE) break;
        y = ((x * y) >> (FRAC - 1)) + cy;
        x = x2 - y2 + cx;
        it++;
    }
    return it;
}

EXPORT long long run(int n) {
    for (u32 i = 0; i <= MAXIT; i++) hist[i] = 0;
    u64 h = 0;
    u64 total = 0;
    for (int frame = 0; frame < n; frame++) {
        u32 v = (u32)frame & 7u;
        /* every frame differs a little: shrink the view and nudge the centre */
        i64 w = width[v] - (i64)((u32)frame % 61u) * (width[v] >> 9);
        i64 step = w / W;
        i64 x0 = centre_x[v] - step * (W / 2) + (i64)((u32)frame % 13u) * (step >> 4);
        i64 y0 = centre_y[v] - step * (H / 2) + (i64)((u32)frame % 7u) * (step >> 4);
        u64 fsum = 0;
        i64 cy = y0;
        for (u32 py = 0; py < H; py++) {
            u32 row = 0x811C9DC5u;
            i64 cx = x0;
            for (u32 px = 0; px < W; px++) {
                u32 it = escape(cx, cy);
                image[py][px] = (u8)it;
                hist[it]++;
                row = (row ^ it) * 16777619u;
                fsum += it;
                cx += step;
            }
            h = mix64(h, ((u64)py << 32) | row);
            cy += step;
        }
        /* a vertical pass over the image: column parities */
        u32 cols = 0;
        for (u32 px = 0; px < W; px++) {
            u32 c = 0;
            for (u32 py = 0; py < H; py++) c += image[py][px];
            cols = cols * 31u + c;
        }
        total += fsum;
        h = mix64(h, (fsum << 32) | cols);
    }
    u64 hh = 0;
    for (u32 i = 0; i <= MAXIT; i++) hh = hh * 1000003u + hist[i];
    h = mix64(h, hh);
    h = mix64(h, total);
    return (long long)h;
}
