/* bytecode: a register-machine bytecode interpreter (interp is the stack
 * machine). 25 opcodes numbered densely from 0, dispatched by a `switch` in
 * a `for (;;)` loop that clang turns into one wasm br_table. Instructions are
 * 32-bit words (opcode and three 4-bit register fields, or an 8-bit
 * immediate), some followed by a 32-bit immediate or jump target. 16
 * registers, a call stack and 256 words of data memory. The program's main
 * loop runs n times; each iteration steps an LCG, calls subroutines for a
 * Euclid GCD (remainder loop), Fibonacci steps and a sum of squares with
 * divisions, and loads from and stores to data memory: about 215 bytecodes
 * per iteration, with data-dependent loop counts. */
#include "kernel.h"

#define DEFAULT_N 60000
#define QUICK_N 12000

enum {
    OP_HALT, OP_LI, OP_MOV, OP_ADD, OP_SUB, OP_MUL, OP_DIVU, OP_REMU,
    OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHR, OP_ADDI, OP_ANDI, OP_SHRI,
    OP_JMP, OP_BEQ, OP_BNE, OP_BLTU, OP_DJNZ, OP_CALL, OP_RET, OP_LD,
    OP_ST
};

static u32 code[256];
static u32 code_len;
static u32 regs[16];
static u32 mem[256];
static u32 rstack[64];

/* op a, b, c (registers) or op a, b, imm8 */
static void ins(u32 op, u32 a, u32 b, u32 c) {
    code[code_len++] = op | (a << 8) | (b << 16) | ((c & 0xFFu) << 24);
}
/* op a, b followed by a 32-bit word (immediate or target); returns the
 * word's index so forward targets can be patched */
static u32 ins_w(u32 op, u32 a, u32 b, u32 word) {
    ins(op, a, b, 0);
    code[code_len++] = word;
    return code_len - 1;
}

static void build_program(void) {
    code_len = 0;
    /* r1 = n (loop counter), r2 = LCG state, r3 = accumulator, r15 = 0 */
    ins_w(OP_LI, 13, 0, 1103515245u);
    ins_w(OP_LI, 14, 0, 12345u);
    ins_w(OP_LI, 12, 0, 0xFFFFu);
    ins_w(OP_LI, 15, 0, 0);
    u32 loop = code_len;
    ins(OP_MUL, 2, 2, 13);
    ins(OP_ADD, 2, 2, 14);          /* r2 = r2 * 1103515245 + 12345 */
    ins(OP_SHRI, 4, 2, 16);
    ins(OP_AND, 5, 2, 12);
    ins(OP_ADDI, 4, 4, 1);          /* r4 = (r2 >> 16) + 1, r5 = r2 & 0xffff */
    u32 call_gcd = ins_w(OP_CALL, 0, 0, 0);
    ins(OP_ADD, 3, 3, 4);           /* r3 += gcd */
    ins(OP_ANDI, 6, 2, 15);
    ins(OP_ADDI, 6, 6, 8);          /* 8..23 Fibonacci steps */
    u32 call_fib = ins_w(OP_CALL, 0, 0, 0);
    ins(OP_ANDI, 11, 2, 0x80);      /* if (r2 & 0x80) r3 += fib else r3 ^= fib */
    u32 br_else = ins_w(OP_BEQ, 11, 15, 0);
    ins(OP_ADD, 3, 3, 7);
    u32 jmp_end = ins_w(OP_JMP, 0, 0, 0);
    code[br_else] = code_len;
    ins(OP_XOR, 3, 3, 7);
    code[jmp_end] = code_len;
    ins(OP_SHRI, 6, 2, 28);
    ins(OP_ADDI, 6, 6, 4);          /* 4..19 terms */
    u32 call_sum = ins_w(OP_CALL, 0, 0, 0);
    ins(OP_ADD, 3, 3, 8);
    ins(OP_SHL, 10, 3, 6);          /* r3 = ((r3 << r6) | (r3 >> r6)) - gcd */
    ins(OP_SHR, 11, 3, 6);
    ins(OP_OR, 10, 10, 11);
    ins(OP_SUB, 3, 10, 4);
    ins(OP_ST, 3, 2, 0);            /* mem[r2 & 255] = r3 */
    ins(OP_SHRI, 9, 2, 8);
    ins(OP_LD, 10, 9, 3);           /* r3 ^= mem[((r2 >> 8) + 3) & 255] */
    ins(OP_XOR, 3, 3, 10);
    ins_w(OP_DJNZ, 1, 0, loop);
    ins(OP_HALT, 0, 0, 0);

    /* gcd: r4 = gcd(r4, r5); clobbers r5, r11 */
    code[call_gcd] = code_len;
    u32 g_done = ins_w(OP_BEQ, 5, 15, 0);
    u32 g_loop = code_len;
    ins(OP_REMU, 11, 4, 5);
    ins(OP_MOV, 4, 5, 0);
    ins(OP_MOV, 5, 11, 0);
    ins_w(OP_BNE, 5, 15, g_loop);
    code[g_done] = code_len;
    ins(OP_RET, 0, 0, 0);

    /* fib: (r9, r10) = (0, 1), then r6 times (r9, r10) = (r10, r9 + r10);
     * r7 = the last sum; clobbers r6, r9, r10 */
    code[call_fib] = code_len;
    ins_w(OP_LI, 9, 0, 0);
    ins_w(OP_LI, 10, 0, 1);
    u32 f_loop = code_len;
    ins(OP_ADD, 7, 9, 10);
    ins(OP_MOV, 9, 10, 0);
    ins(OP_MOV, 10, 7, 0);
    ins_w(OP_DJNZ, 6, 0, f_loop);
    ins(OP_RET, 0, 0, 0);

    /* sum: r8 = sum over i < r6 of (i * i) ^ (r2 / (i + 1)); clobbers r9..r11 */
    code[call_sum] = code_len;
    ins_w(OP_LI, 8, 0, 0);
    ins_w(OP_LI, 9, 0, 0);
    u32 s_loop = code_len;
    ins(OP_MUL, 10, 9, 9);
    ins(OP_ADDI, 11, 9, 1);
    ins(OP_DIVU, 11, 2, 11);
    ins(OP_XOR, 10, 10, 11);
    ins(OP_ADD, 8, 8, 10);
    ins(OP_ADDI, 9, 9, 1);
    ins_w(OP_BLTU, 9, 6, s_loop);
    ins(OP_RET, 0, 0, 0);
}

static NOINLINE u32 execute(void) {
    u32 pc = 0, rsp = 0, steps = 0;
    for (;;) {
        u32 w = code[pc++];
        u32 a = (w >> 8) & 15u, b = (w >> 16) & 15u, c = (w >> 24) & 15u;
        u32 imm8 = w >> 24;
        steps++;
        switch (w & 0xFFu) {
        case OP_HALT: return steps;
        case OP_LI: regs[a] = code[pc++]; break;
        case OP_MOV: regs[a] = regs[b]; break;
        case OP_ADD: regs[a] = regs[b] + regs[c]; break;
        case OP_SUB: regs[a] = regs[b] - regs[c]; break;
        case OP_MUL: regs[a] = regs[b] * regs[c]; break;
        case OP_DIVU: regs[a] = regs[c] ? regs[b] / regs[c] : 0xFFFFFFFFu; break;
        case OP_REMU: regs[a] = regs[c] ? regs[b] % regs[c] : regs[b]; break;
        case OP_AND: regs[a] = regs[b] & regs[c]; break;
        case OP_OR: regs[a] = regs[b] | regs[c]; break;
        case OP_XOR: regs[a] = regs[b] ^ regs[c]; break;
        case OP_SHL: regs[a] = regs[b] << (regs[c] & 31u); break;
        case OP_SHR: regs[a] = regs[b] >> (regs[c] & 31u); break;
        case OP_ADDI: regs[a] = regs[b] + ((imm8 ^ 0x80u) - 0x80u); break;
        case OP_ANDI: regs[a] = regs[b] & imm8; break;
        case OP_SHRI: regs[a] = regs[b] >> (imm8 & 31u); break;
        case OP_JMP: pc = code[pc]; break;
        case OP_BEQ: pc = regs[a] == regs[b] ? code[pc] : pc + 1; break;
        case OP_BNE: pc = regs[a] != regs[b] ? code[pc] : pc + 1; break;
        case OP_BLTU: pc = regs[a] < regs[b] ? code[pc] : pc + 1; break;
        case OP_DJNZ: pc = --regs[a] ? code[pc] : pc + 1; break;
        case OP_CALL: rstack[rsp++ & 63u] = pc + 1; pc = code[pc]; break;
        case OP_RET: pc = rstack[--rsp & 63u]; break;
        case OP_LD: regs[a] = mem[(regs[b] + imm8) & 255u]; break;
        case OP_ST: mem[(regs[b] + imm8) & 255u] = regs[a]; break;
        default: __builtin_trap();
        }
    }
}

EXPORT long long run(int n) {
    build_program();
    for (u32 i = 0; i < 16; i++) regs[i] = 0;
    for (u32 i = 0; i < 256; i++) mem[i] = i * 0x9E3779B9u;
    regs[1] = n > 0 ? (u32)n : 1u;
    regs[2] = 0x2545F491u;
    regs[3] = 0x811C9DC5u;
    u32 steps = execute();
    u64 h = steps;
    for (u32 i = 2; i < 12; i++) h = mix64(h, regs[i]);
    u64 mh = 0;
    for (u32 i = 0; i < 256; i++) mh = mh * 1000003u + mem[i];
    h = mix64(h, mh);
    return (long long)h;
}
