// Tries to leave the preopened directory "." in every way and prints what each attempt
// gets. Run with a file "../outside.txt" next to the preopen and a symlink "escape" in it
// pointing outside (tests/cli.rs sets that up).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(const char *what, int failed) {
    printf("%-34s %s\n", what, failed ? strerror(errno) : "ALLOWED");
}

int main(void) {
    struct stat st;
    FILE *f;
    report("fopen ../outside.txt", !(f = fopen("../outside.txt", "r")));
    report("fopen sub/../../outside.txt", !(f = fopen("sub/../../outside.txt", "r")));
    report("fopen /etc/passwd", !(f = fopen("/etc/passwd", "r")));
    report("fopen ../new.txt (create)", !(f = fopen("../new.txt", "w")));
    report("stat ../outside.txt", stat("../outside.txt", &st) < 0);
    DIR *d = opendir("..");
    report("opendir ..", !d);
    report("opendir / (is the preopen itself)", !(d = opendir("/")));
    report("mkdir ../newdir", mkdir("../newdir", 0755) < 0);
    report("rename inside.txt ../stolen.txt", rename("inside.txt", "../stolen.txt") < 0);
    report("rename ../outside.txt mine.txt", rename("../outside.txt", "mine.txt") < 0);
    report("unlink ../outside.txt", unlink("../outside.txt") < 0);
    report("link ../outside.txt hard", link("../outside.txt", "hard") < 0);
    report("fopen escape (symlink out)", !(f = fopen("escape", "r")));
    report("symlink /etc/passwd abs", symlink("/etc/passwd", "abs") < 0);
    if (symlink("../outside.txt", "rel") == 0) report("fopen rel (new symlink out)", !(f = fopen("rel", "r")));
    else report("symlink ../outside.txt rel", 1);
    f = fopen("inside.txt", "r");
    char line[64] = "";
    if (f) fgets(line, sizeof line, f);
    printf("inside.txt still readable: %s", f ? line : "no\n");
    return 0;
}
