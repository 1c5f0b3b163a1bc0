// Clocks, sleeping (poll_oneoff) and random bytes. Prints only facts that hold on every
// run, so the output can be compared exactly.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static double now(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
    time_t t = time(NULL);
    printf("realtime after 2024: %s\n", t > 1704067200 ? "yes" : "no");
    struct timespec res;
    clock_getres(CLOCK_MONOTONIC, &res);
    printf("monotonic resolution <= 1ms: %s\n", res.tv_sec == 0 && res.tv_nsec <= 1000000 ? "yes" : "no");
    double a = now(CLOCK_MONOTONIC);
    struct timespec req = {0, 50 * 1000 * 1000};
    nanosleep(&req, NULL);
    double slept = now(CLOCK_MONOTONIC) - a;
    printf("nanosleep 50ms took >= 50ms: %s\n", slept >= 0.05 ? "yes" : "no");
    a = now(CLOCK_MONOTONIC);
    usleep(20000);
    printf("usleep 20ms took >= 20ms: %s\n", now(CLOCK_MONOTONIC) - a >= 0.02 ? "yes" : "no");
    a = now(CLOCK_REALTIME);
    sleep(1);
    printf("sleep 1s moved realtime >= 0.9s: %s\n", now(CLOCK_REALTIME) - a >= 0.9 ? "yes" : "no");

    unsigned char r1[32], r2[32];
    getentropy(r1, sizeof r1);
    getentropy(r2, sizeof r2);
    int zero = 1;
    for (size_t i = 0; i < sizeof r1; i++) zero &= r1[i] == 0;
    printf("random buffers differ: %s, nonzero: %s\n", memcmp(r1, r2, sizeof r1) ? "yes" : "no", zero ? "no" : "yes");
    unsigned int x = arc4random_uniform(100);
    printf("arc4random_uniform(100) < 100: %s\n", x < 100 ? "yes" : "no");
    return 0;
}
