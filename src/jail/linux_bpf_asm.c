/* SPDX-License-Identifier: MIT */
/*
 * The BPF assembler's core: emitting instructions, labels and the
 * forward-jump fixups resolved by basm_finish().
 */
#include "jail/linux_bpf_asm.h"

#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void
basm_emit(struct basm *a, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn *i;

	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->insn = xrealloc(a->insn, a->cap * sizeof(*a->insn));
	}
	i = &a->insn[a->n++];
	memset(i, 0, sizeof(*i));
	i->code = code;
	i->dst_reg = dst & 0xf;
	i->src_reg = src & 0xf;
	i->off = off;
	i->imm = imm;
}

int
basm_new_label(struct basm *a)
{
	if (a->nlab == a->caplab) {
		a->caplab = a->caplab ? a->caplab * 2 : 16;
		a->lpos = xrealloc(a->lpos, a->caplab * sizeof(*a->lpos));
		a->lrefs = xrealloc(a->lrefs, a->caplab * sizeof(*a->lrefs));
	}
	a->lpos[a->nlab] = -1;
	a->lrefs[a->nlab] = 0;
	return (int)a->nlab++;
}

void
basm_bind_label(struct basm *a, int l)
{
	a->lpos[l] = (long)a->n;
}

bool
basm_label_used(const struct basm *a, int l)
{
	return a->lrefs[l] > 0;
}

/* A jump whose target is a label; the offset is fixed in basm_finish(). */
void
basm_jump(struct basm *a, uint8_t code, uint8_t dst, int32_t imm, int l)
{
	if (a->nfix == a->capfix) {
		a->capfix = a->capfix ? a->capfix * 2 : 64;
		a->fix = xrealloc(a->fix, a->capfix * sizeof(*a->fix));
	}
	a->fix[a->nfix].at = a->n;
	a->fix[a->nfix].label = l;
	a->nfix++;
	a->lrefs[l]++;
	basm_emit(a, code, dst, 0, 0, imm);
}

void
basm_free(struct basm *a)
{
	free(a->insn);
	free(a->fix);
	free(a->lpos);
	free(a->lrefs);
	memset(a, 0, sizeof(*a));
}

/* Resolves the fixups; returns the program (caller frees) and its length. */
size_t
basm_finish(struct basm *a, struct bpf_insn **out)
{
	size_t i, n = a->n;

	for (i = 0; i < a->nfix; i++) {
		long target = a->lpos[a->fix[i].label];
		long off = target - (long)a->fix[i].at - 1;
		if (target < 0 || off < 0 || off > INT16_MAX)
			abort();        /* generator bug: unbound label or backward jump */
		a->insn[a->fix[i].at].off = (int16_t)off;
	}
	*out = a->insn;
	a->insn = NULL;
	basm_free(a);
	return n;
}

/* Instruction shorthands (registers are BPF_REG_n numbers). */
