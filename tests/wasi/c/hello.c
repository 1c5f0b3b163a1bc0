// printf formatting, arguments, environment, and the exit code (argv[1] if given).
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("hello from wasi-libc\n");
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d]=\"%s\"\n", i, argv[i]);
    printf("ints: %d %u %x %o %05d %-5d| %lld %" PRId64 "\n", -42, 42u, 255, 8, 7, 7,
           (long long)-9007199254740993LL, INT64_MAX);
    printf("floats: %.3f %e %g %g %a\n", 3.14159265, 12345.678, 0.0001, 1e300 * 10, 1.0);
    printf("strings: [%s] [%10s] [%-10s] [%.3s] %c%%\n", "abc", "right", "left", "truncate", 'Z');
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%s-%d-%.2f", "snprintf", 7, 2.5);
    printf("%s (%d)\n", buf, n);
    printf("strtod: %.6f strtol: %ld\n", strtod("2.718281828", NULL), strtol("-0x1f", NULL, 16));
    const char *greeting = getenv("GREETING");
    printf("GREETING=%s\n", greeting ? greeting : "(unset)");
    printf("UNSET=%s\n", getenv("UNSET_VARIABLE") ? "set" : "(unset)");
    int count = 0;
    for (char **e = environ; *e; e++) count++;
    printf("environ has %d entries\n", count);
    fflush(stdout);
    fprintf(stderr, "this line goes to stderr\n");
    return argc > 1 ? atoi(argv[1]) : 0;
}
