/* bintree: pointer chasing. Inserts n PRNG keys into an unbalanced binary
 * search tree whose nodes come from a bump allocator over a static arena,
 * then does n lookups (about half hit), then a recursive in-order walk. */
#include "kernel.h"

#define DEFAULT_N 300000
#define QUICK_N 60000

#define ARENA_BYTES (24u << 20)
#define MAXN ((int)(ARENA_BYTES / 32u)) /* fits native 64-bit nodes too */

struct node {
    struct node *left, *right;
    u32 key;
    u32 value;
};

static u64 arena[ARENA_BYTES / 8];
static u32 arena_top;

static void *bump_alloc(u32 size) {
    size = (size + 7u) & ~7u;
    if (arena_top + size > ARENA_BYTES) __builtin_trap();
    void *p = (char *)arena + arena_top;
    arena_top += size;
    return p;
}

static struct node *new_node(u32 key, u32 value) {
    struct node *nd = bump_alloc(sizeof(struct node));
    nd->left = nd->right = 0;
    nd->key = key;
    nd->value = value;
    return nd;
}

static struct node *root;

/* keys are drawn from [0, 2n) so lookups of fresh PRNG keys hit about half the time */
static void insert(u32 key, u32 value) {
    struct node **link = &root;
    while (*link) {
        struct node *cur = *link;
        if (key == cur->key) {
            cur->value += value;
            return;
        }
        link = key < cur->key ? &cur->left : &cur->right;
    }
    *link = new_node(key, value);
}

static u32 lookup(u32 key, u32 *depth) {
    struct node *cur = root;
    u32 d = 0;
    while (cur) {
        d++;
        if (key == cur->key) {
            *depth += d;
            return cur->value;
        }
        cur = key < cur->key ? cur->left : cur->right;
    }
    *depth += d;
    return 0;
}

static u64 walk(struct node *nd, u64 h, u32 *count) {
    while (nd) {
        h = walk(nd->left, h, count);
        *count += 1;
        h = h * 31u + nd->key + ((u64)nd->value << 17);
        nd = nd->right;
    }
    return h;
}

EXPORT long long run(int n) {
    if (n < 1) n = 1;
    if (n > MAXN) n = MAXN;
    arena_top = 0;
    root = 0;
    u32 range = 2u * (u32)n;
    u32 s = 0x1234567u;
    for (int i = 0; i < n; i++) insert(xs32(&s) % range, (u32)i);
    u32 depth = 0, found = 0;
    s = 0x7654321u;
    for (int i = 0; i < n; i++) found += lookup(xs32(&s) % range, &depth);
    u32 count = 0;
    u64 h = walk(root, 0, &count);
    h = mix64(h, depth);
    h = mix64(h, found);
    h = mix64(h, count);
    return (long long)h;
}
