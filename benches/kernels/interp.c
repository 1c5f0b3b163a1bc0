/* interp: a bytecode interpreter. A stack machine with 8 registers runs a
 * small program (built into memory at run time) whose main loop executes n
 * times; dispatch is a dense `switch` in a loop, which clang turns into a
 * wasm br_table. About 33 bytecodes are executed per loop iteration. */
#include "kernel.h"

#define DEFAULT_N 1500000
#define QUICK_N 300000

enum {
    OP_HALT, OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_SUB, OP_MUL, OP_XOR,
    OP_AND, OP_OR, OP_SHL, OP_SHR, OP_DUP, OP_DROP, OP_SWAP, OP_LT,
    OP_EQ, OP_JMP, OP_JZ, OP_JNZ, OP_INC, OP_DEC, OP_NOT, OP_NOP
};

static u32 code[256];
static u32 code_len;
static u32 regs[8];
static u32 stack[64];

static void emit(u32 op) { code[code_len++] = op; }
static void emit2(u32 op, u32 arg) { code[code_len++] = op; code[code_len++] = arg; }

static void build_program(void) {
    code_len = 0;
    u32 loop = code_len;
    /* acc = (acc * 31 + i) ^ 0x5bd1e995 */
    emit2(OP_LOAD, 1); emit2(OP_PUSH, 31); emit(OP_MUL); emit2(OP_LOAD, 2); emit(OP_ADD);
    emit2(OP_PUSH, 0x5bd1e995u); emit(OP_XOR); emit2(OP_STORE, 1);
    /* acc ^= acc >> 13 */
    emit2(OP_LOAD, 1); emit(OP_DUP); emit2(OP_PUSH, 13); emit(OP_SHR); emit(OP_XOR);
    emit2(OP_STORE, 1);
    /* if (i & 3) r3 += acc; else r4 = (r4 << 1) | (acc & 1) */
    emit2(OP_LOAD, 2); emit2(OP_PUSH, 3); emit(OP_AND);
    u32 jz_at = code_len; emit2(OP_JZ, 0);
    emit2(OP_LOAD, 3); emit2(OP_LOAD, 1); emit(OP_ADD); emit2(OP_STORE, 3);
    u32 jmp_at = code_len; emit2(OP_JMP, 0);
    code[jz_at + 1] = code_len;
    emit2(OP_LOAD, 4); emit2(OP_PUSH, 1); emit(OP_SHL); emit2(OP_LOAD, 1); emit2(OP_PUSH, 1);
    emit(OP_AND); emit(OP_OR); emit2(OP_STORE, 4);
    code[jmp_at + 1] = code_len;
    /* r5 -= (acc == r3) ; swap/drop/nop/not exercise the remaining opcodes */
    emit2(OP_LOAD, 1); emit2(OP_LOAD, 3); emit(OP_SWAP); emit(OP_EQ); emit2(OP_LOAD, 5);
    emit(OP_SWAP); emit(OP_SUB); emit(OP_NOT); emit(OP_NOT); emit2(OP_STORE, 5); emit(OP_NOP);
    emit2(OP_PUSH, 7); emit(OP_DROP);
    /* i++; r0--; loop while r0 != 0 */
    emit2(OP_INC, 2); emit2(OP_DEC, 0);
    emit2(OP_LOAD, 0); emit2(OP_JNZ, loop);
    /* r6 = (i < 1000) */
    emit2(OP_LOAD, 2); emit2(OP_PUSH, 1000); emit(OP_LT); emit2(OP_STORE, 6);
    emit(OP_HALT);
}

static NOINLINE u32 execute(void) {
    u32 pc = 0, sp = 0, steps = 0;
    for (;;) {
        u32 op = code[pc++];
        steps++;
        switch (op) {
        case OP_HALT: return steps;
        case OP_PUSH: stack[sp++] = code[pc++]; break;
        case OP_LOAD: stack[sp++] = regs[code[pc++] & 7]; break;
        case OP_STORE: regs[code[pc++] & 7] = stack[--sp]; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_OR: sp--; stack[sp - 1] |= stack[sp]; break;
        case OP_SHL: sp--; stack[sp - 1] <<= stack[sp] & 31; break;
        case OP_SHR: sp--; stack[sp - 1] >>= stack[sp] & 31; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_DROP: sp--; break;
        case OP_SWAP: { u32 t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
        case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case OP_EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case OP_JMP: pc = code[pc]; break;
        case OP_JZ: pc = stack[--sp] ? pc + 1 : code[pc]; break;
        case OP_JNZ: pc = stack[--sp] ? code[pc] : pc + 1; break;
        case OP_INC: regs[code[pc++] & 7]++; break;
        case OP_DEC: regs[code[pc++] & 7]--; break;
        case OP_NOT: stack[sp - 1] = ~stack[sp - 1]; break;
        case OP_NOP: break;
        default: __builtin_trap();
        }
        sp &= 63;
    }
}

EXPORT long long run(int n) {
    build_program();
    for (int i = 0; i < 8; i++) regs[i] = 0;
    regs[0] = n > 0 ? (u32)n : 1u;
    regs[1] = 0x811C9DC5u;
    u32 steps = execute();
    u64 h = steps;
    for (int i = 1; i < 7; i++) h = mix64(h, regs[i]);
    return (long long)h;
}
