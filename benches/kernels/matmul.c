/* matmul: dense double-precision matrix multiply, C = A * B with 128x128
 * matrices in the cache-friendly i-k-j loop order. n = number of multiplies;
 * A is perturbed before each multiply so no two are identical. */
#include "kernel.h"

#define DEFAULT_N 200
#define QUICK_N 40

#define N 128

static double A[N][N], B[N][N], C[N][N];

EXPORT long long run(int n) {
    u32 s = 0xC0FFEEu;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)(xs32(&s) % 2001u) / 1000.0 - 1.0;
            B[i][j] = (double)(xs32(&s) % 2001u) / 1000.0 - 1.0;
        }
    u64 h = 0;
    for (int rep = 0; rep < n; rep++) {
        A[rep % N][(rep * 7) % N] += 0.5;
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) C[i][j] = 0.0;
            for (int k = 0; k < N; k++) {
                double a = A[i][k];
                for (int j = 0; j < N; j++) C[i][j] += a * B[k][j];
            }
        }
        double tr = 0.0;
        for (int i = 0; i < N; i++) tr += C[i][i] + C[i][N - 1 - i];
        h = mix64(h, f64_bits(tr));
        h = mix64(h, f64_bits(C[rep % N][(rep * 13) % N]));
    }
    return (long long)h;
}
