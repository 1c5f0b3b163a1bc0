// Reads from stdin: a count, that many numbers with scanf, then the remaining lines.
#include <stdio.h>
#include <string.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        printf("no count\n");
        return 1;
    }
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double x;
        if (scanf("%lf", &x) != 1) {
            printf("missing number %d\n", i);
            return 1;
        }
        sum += x;
    }
    printf("sum of %d numbers: %.4f\n", n, sum);
    char word[32];
    if (scanf("%31s", word) == 1) printf("word: %s\n", word);
    char line[256];
    int lines = 0;
    fgets(line, sizeof line, stdin); // the rest of the word's line
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        printf("line %d: [%s] (%zu chars)\n", ++lines, line, strlen(line));
    }
    printf("eof after %d lines\n", lines);
    return 0;
}
