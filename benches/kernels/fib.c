/* fib: deep recursion and call overhead. Naive doubly-recursive Fibonacci,
 * fib(n) makes about 1.6^n calls and recurses n deep. */
#include "kernel.h"

#define DEFAULT_N 36
#define QUICK_N 33

static NOINLINE u64 fib(u32 n) {
    if (n < 2) return n;
    return fib(n - 1) + fib(n - 2);
}

EXPORT long long run(int n) {
    if (n < 0) n = 0;
    return (long long)fib((u32)n);
}
