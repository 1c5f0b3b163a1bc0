// Traps in a named function a few calls deep (for the backtrace), or divides by zero,
// depending on argv[1].
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int divide(int a, int b) { return a / b; }
__attribute__((noinline)) void crash_here(int depth) {
    if (depth == 0) __builtin_trap();
    crash_here(depth - 1);
    printf("unreachable\n");
}

int main(int argc, char **argv) {
    printf("before the trap\n");
    fflush(stdout);
    if (argc > 1 && argv[1][0] == 'd') printf("%d\n", divide(1, argc - 2));
    crash_here(2);
    return 0;
}
