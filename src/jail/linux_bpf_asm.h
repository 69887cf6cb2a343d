/* SPDX-License-Identifier: MIT */
/*
 * A minimal BPF assembler for the jail's cgroup programs: an instruction
 * vector plus forward-jump fixups, and one inline helper per instruction
 * the generator (linux_bpf_gen.c) uses.
 */
#ifndef STOCKADE_JAIL_LINUX_BPF_ASM_H
#define STOCKADE_JAIL_LINUX_BPF_ASM_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct basm {
	struct bpf_insn *insn;
	size_t n, cap;
	struct fixup { size_t at; int label; } *fix;
	size_t nfix, capfix;
	long *lpos;             /* label position, -1 until bound */
	size_t nlab, caplab;
	int *lrefs;             /* jumps to the label (tails are emitted only if used) */
};

void	basm_emit(struct basm *a, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm);
int	basm_new_label(struct basm *a);
void	basm_bind_label(struct basm *a, int l);
bool	basm_label_used(const struct basm *a, int l);
void	basm_jump(struct basm *a, uint8_t code, uint8_t dst, int32_t imm, int l);
void	basm_free(struct basm *a);
size_t	basm_finish(struct basm *a, struct bpf_insn **out);

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R5 BPF_REG_5
#define R6 BPF_REG_6
#define R7 BPF_REG_7
#define R8 BPF_REG_8
#define R9 BPF_REG_9
#define R10 BPF_REG_10

/* One macro per instruction the generator uses, as the kernel's filter.h. */
#define mov64_reg(a, d, s)	basm_emit((a), BPF_ALU64 | BPF_MOV | BPF_X, (d), (s), 0, 0)
#define mov32_reg(a, d, s)	basm_emit((a), BPF_ALU | BPF_MOV | BPF_X, (d), (s), 0, 0)
#define mov64_imm(a, d, v)	basm_emit((a), BPF_ALU64 | BPF_MOV | BPF_K, (d), 0, 0, (v))
#define mov32_imm(a, d, v)	basm_emit((a), BPF_ALU | BPF_MOV | BPF_K, (d), 0, 0, (int32_t)(v))
#define add64_imm(a, d, v)	basm_emit((a), BPF_ALU64 | BPF_ADD | BPF_K, (d), 0, 0, (v))
#define and32_imm(a, d, v)	basm_emit((a), BPF_ALU | BPF_AND | BPF_K, (d), 0, 0, (int32_t)(v))
#define ldx_w(a, d, s, off)	basm_emit((a), BPF_LDX | BPF_MEM | BPF_W, (d), (s), (off), 0)
#define stx(a, size, d, s, off)	basm_emit((a), BPF_STX | BPF_MEM | (uint8_t)(size), (d), (s), (off), 0)
#define call(a, fn)	basm_emit((a), BPF_JMP | BPF_CALL, 0, 0, 0, (fn))
#define ja(a, l)	basm_jump((a), BPF_JMP | BPF_JA, 0, 0, (l))
/* 32-bit compares against a raw (network-order) word: JMP32 never sign-extends. */
#define jeq32(a, r, v, l)	basm_jump((a), BPF_JMP32 | BPF_JEQ | BPF_K, (r), (int32_t)(v), (l))
#define jne32(a, r, v, l)	basm_jump((a), BPF_JMP32 | BPF_JNE | BPF_K, (r), (int32_t)(v), (l))
#define jne64(a, r, v, l)	basm_jump((a), BPF_JMP | BPF_JNE | BPF_K, (r), (v), (l))

static inline void
ret(struct basm *a, int v)
{
	mov64_imm(a, R0, v);
	basm_emit(a, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* Emits "label: return v" when something jumps there. Callers put it after
 * an unconditional jump or exit, so nothing falls into it by accident (the
 * verifier also refuses unreachable instructions, hence the use check). */
static inline void
tail(struct basm *a, int l, int v)
{
	if (!basm_label_used(a, l))
		return;
	basm_bind_label(a, l);
	ret(a, v);
}

#endif
