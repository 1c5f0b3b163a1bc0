// File I/O in the preopened directory ".": create, write, read, seek, append, stat, pread and
// pwrite, truncate, mkdir, a sorted directory listing, rename, symlink and readlink, unlink,
// rmdir.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        printf("opendir %s: %s\n", path, strerror(errno));
        return;
    }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *s = malloc(strlen(e->d_name) + 3);
        strcpy(s, e->d_name);
        if (e->d_type == DT_DIR) strcat(s, "/");
        if (e->d_type == DT_LNK) strcat(s, "@");
        names[n++] = s;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("%s:", path);
    for (int i = 0; i < n; i++) printf(" %s", names[i]), free(names[i]);
    printf("\n");
}

#define CHECK(x)                                                   \
    do {                                                           \
        if ((x) < 0) printf("%s failed: %s\n", #x, strerror(errno)); \
    } while (0)

int main(void) {
    FILE *f = fopen("data.txt", "w");
    if (!f) {
        printf("fopen data.txt: %s\n", strerror(errno));
        return 1;
    }
    for (int i = 1; i <= 5; i++) fprintf(f, "line %d\n", i);
    fclose(f);

    f = fopen("data.txt", "r");
    char line[64];
    int lines = 0;
    while (fgets(line, sizeof line, f)) lines++;
    printf("read %d lines\n", lines);
    fseek(f, 7, SEEK_SET);
    fgets(line, sizeof line, f);
    printf("at offset 7: %s", line);
    fseek(f, -7, SEEK_END);
    printf("ftell after SEEK_END-7: %ld\n", ftell(f));
    fclose(f);

    f = fopen("data.txt", "a");
    fputs("appended\n", f);
    fclose(f);
    struct stat st;
    CHECK(stat("data.txt", &st));
    printf("size after append: %lld, regular: %d\n", (long long)st.st_size, S_ISREG(st.st_mode));

    int fd = open("data.txt", O_RDWR);
    CHECK(fd);
    char buf[16] = {0};
    CHECK(pread(fd, buf, 6, 14));
    printf("pread(6 @ 14): [%s]\n", buf);
    CHECK(pwrite(fd, "LINE", 4, 0));
    CHECK(ftruncate(fd, 20));
    CHECK(fstat(fd, &st));
    printf("size after ftruncate: %lld\n", (long long)st.st_size);
    close(fd);
    f = fopen("data.txt", "r");
    size_t got = fread(buf, 1, 15, f);
    buf[got] = 0;
    for (size_t i = 0; i < got; i++)
        if (buf[i] == '\n') buf[i] = '|';
    printf("content now: [%s]\n", buf);
    fclose(f);

    CHECK(mkdir("sub", 0755));
    CHECK(mkdir("sub/deeper", 0755));
    f = fopen("sub/inner.txt", "w");
    fputs("inner\n", f);
    fclose(f);
    printf("mkdir existing: %s\n", mkdir("sub", 0755) < 0 ? strerror(errno) : "ok");
    list(".");
    list("sub");

    CHECK(rename("data.txt", "sub/moved.txt"));
    printf("old name after rename: %s\n", access("data.txt", F_OK) < 0 ? strerror(errno) : "exists");
    CHECK(symlink("moved.txt", "sub/link"));
    char target[64];
    ssize_t tl = readlink("sub/link", target, sizeof target - 1);
    if (tl >= 0) target[tl] = 0;
    printf("readlink: %s\n", tl >= 0 ? target : strerror(errno));
    f = fopen("sub/link", "r");
    printf("through link: %s", f && fgets(line, sizeof line, f) ? line : "(failed)\n");
    if (f) fclose(f);
    list("sub");

    printf("rmdir non-empty: %s\n", rmdir("sub") < 0 ? strerror(errno) : "ok");
    printf("unlink missing: %s\n", unlink("nope.txt") < 0 ? strerror(errno) : "ok");
    printf("open missing: %s\n", fopen("nope.txt", "r") ? "ok" : strerror(errno));
    CHECK(unlink("sub/link"));
    CHECK(unlink("sub/moved.txt"));
    CHECK(unlink("sub/inner.txt"));
    CHECK(rmdir("sub/deeper"));
    CHECK(rmdir("sub"));
    list(".");
    printf("done\n");
    return 0;
}
