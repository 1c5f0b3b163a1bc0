/* quicksort: recursive quicksort (Hoare partition, median-of-three pivot,
 * insertion sort below 16 elements) of n PRNG-filled 32-bit integers,
 * followed by a verification pass. n = number of elements (max 4M). */
#include "kernel.h"

#define DEFAULT_N 1000000
#define QUICK_N 200000

#define MAXN (4u << 20)

static u32 a[MAXN];

static void insertion(u32 *v, int lo, int hi) {
    for (int i = lo + 1; i <= hi; i++) {
        u32 x = v[i];
        int j = i - 1;
        while (j >= lo && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static void swap(u32 *v, int i, int j) {
    u32 t = v[i];
    v[i] = v[j];
    v[j] = t;
}

static NOINLINE void qsort_rec(u32 *v, int lo, int hi) {
    if (hi - lo < 16) {
        insertion(v, lo, hi);
        return;
    }
    int mid = lo + (hi - lo) / 2;
    if (v[mid] < v[lo]) swap(v, mid, lo);
    if (v[hi] < v[lo]) swap(v, hi, lo);
    if (v[hi] < v[mid]) swap(v, hi, mid);
    u32 pivot = v[mid];
    int i = lo - 1, j = hi + 1;
    for (;;) {
        do i++; while (v[i] < pivot);
        do j--; while (v[j] > pivot);
        if (i >= j) break;
        swap(v, i, j);
    }
    qsort_rec(v, lo, j);
    qsort_rec(v, j + 1, hi);
}

EXPORT long long run(int n) {
    if (n < 1) n = 1;
    if ((u32)n > MAXN) n = (int)MAXN;
    u32 s = 0x2545F491u;
    for (int i = 0; i < n; i++) a[i] = xs32(&s);
    qsort_rec(a, 0, n - 1);
    u64 h = 0;
    u32 unsorted = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && a[i - 1] > a[i]) unsorted++;
        h += (u64)a[i] * (u64)(i + 1);
    }
    return (long long)mix64(h, unsorted);
}
