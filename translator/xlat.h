/* The translator: one guest basic block -> IR. Shared by the per-group
 * translation files (xlat_alu.c, xlat_flow.c, xlat_data.c, xlat_system.c);
 * private to translator/. */
#ifndef VX86_TRANSLATOR_XLAT_H
#define VX86_TRANSLATOR_XLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/exec.h"
#include "cpu/x86_insn.h"
#include "translator/ir.h"

#define XLAT_MAX_INSNS 64

struct xlat_ctx {
    struct ir_block *ir;
    struct cpu_exec *c;        /* read only, for translation-time mode facts */
    unsigned code_bits;        /* 16, 32, 64 */
    unsigned stack_size;       /* bytes of a stack slot address: 2, 4, 8 */
    bool mode64;
    const struct x86_insn *insn;
    uint64_t pc;               /* offset of the current instruction in CS */
    uint64_t next_pc;
    bool end_block;            /* the instruction ended the block */
    /* The last flag-setting operation translated in this block, when its
     * operands are still in temps: conditions after it are evaluated inline
     * instead of through helper_cond. Cleared by any helper call (helpers
     * may set flags themselves). */
    struct {
        bool valid;
        uint32_t cc_op;
        ir_temp dst, src, src2;
    } cc;
};

/* Offsets of state fields for IR_LDC/IR_STC. */
#define OFF_REG(r) (offsetof(struct cpu_exec, cpu.regs) + (size_t)(r) * 8)
#define OFF_RIP offsetof(struct cpu_exec, cpu.rip)
#define OFF_RFLAGS offsetof(struct cpu_exec, cpu.rflags)
#define OFF_SEG_BASE(s) (offsetof(struct cpu_exec, cpu.seg) + (size_t)(s) * sizeof(struct x86_segment) + offsetof(struct x86_segment, base))
#define OFF_SEG_SEL(s) (offsetof(struct cpu_exec, cpu.seg) + (size_t)(s) * sizeof(struct x86_segment) + offsetof(struct x86_segment, selector))
#define OFF_CC_OP offsetof(struct cpu_exec, cc_op)
#define OFF_CC_DST offsetof(struct cpu_exec, cc_dst)
#define OFF_CC_SRC offsetof(struct cpu_exec, cc_src)
#define OFF_CC_SRC2 offsetof(struct cpu_exec, cc_src2)

/* Translation of one instruction; returns false when the instruction is
 * not handled (the caller raises #UD at run time). */
typedef bool (*xlat_fn)(struct xlat_ctx *x);

/* Operands */
ir_temp xlat_reg_read(struct xlat_ctx *x, unsigned reg, unsigned size, bool high8);
void xlat_reg_write(struct xlat_ctx *x, unsigned reg, unsigned size, bool high8, ir_temp v);
ir_temp xlat_ea_offset(struct xlat_ctx *x);               /* address-size wrapped */
ir_temp xlat_linear(struct xlat_ctx *x, int seg, ir_temp off, unsigned size, bool write);
ir_temp xlat_mem_linear(struct xlat_ctx *x, unsigned size, bool write);
ir_temp xlat_op_read(struct xlat_ctx *x, unsigned n);     /* operand n's value */
/* Writes operand n; for memory, lin must be the linear address computed
 * before (so a read-modify-write checks and translates once). */
void xlat_op_write(struct xlat_ctx *x, unsigned n, ir_temp lin, ir_temp v);
ir_temp xlat_op_read_at(struct xlat_ctx *x, unsigned n, ir_temp *lin_out, bool will_write);

/* Zero-extends v from size bytes (no-op for 8). */
static inline ir_temp xlat_zext(struct xlat_ctx *x, unsigned size, ir_temp v)
{
    return size >= 8 ? v : ir_ext(x->ir, IR_ZEXT, size, v);
}

/* Flags */
void xlat_set_cc(struct xlat_ctx *x, uint32_t cc_op, ir_temp dst, ir_temp src, ir_temp src2);
ir_temp xlat_cond(struct xlat_ctx *x, unsigned cond);     /* 0/1 */
ir_temp xlat_rflags(struct xlat_ctx *x);                  /* complete RFLAGS */
unsigned xlat_size_index(unsigned size);                  /* 1,2,4,8 -> 0..3 */

/* Stack */
void xlat_push(struct xlat_ctx *x, unsigned size, ir_temp v);
ir_temp xlat_pop(struct xlat_ctx *x, unsigned size);      /* RSP updated after the load */

/* Block end */
void xlat_exit_to(struct xlat_ctx *x, ir_temp new_rip);   /* indirect */
void xlat_exit_const(struct xlat_ctx *x, uint64_t rip, int slot);
ir_temp xlat_wrap_ip(struct xlat_ctx *x, ir_temp ip, unsigned opsize);
/* Calls a helper that may fault or change state; RIP is already stored. */
ir_temp xlat_helper(struct xlat_ctx *x, ir_helper_fn fn, const char *name, unsigned nargs,
                    ir_temp a, ir_temp b, ir_temp c, ir_temp d);
#define XLAT_HELPER(x, fn, n, a, b, c2, d) xlat_helper((x), (ir_helper_fn)(fn), #fn, (n), (a), (b), (c2), (d))

/* Per-group dispatch (xlat_*.c) */
bool xlat_alu(struct xlat_ctx *x);
bool xlat_flow(struct xlat_ctx *x);
bool xlat_data(struct xlat_ctx *x);
bool xlat_system(struct xlat_ctx *x);
bool xlat_sse(struct xlat_ctx *x);     /* MMX, SSE..SSE4.2, MXCSR, XSAVE */

/* Translates the block starting at the current CS:RIP of c (already fetched
 * into code[], code_len bytes available from linear address lin).
 * Returns the number of guest bytes covered. */
struct xlat_block_info {
    unsigned max_insns;   /* in: at most this many instructions */
    unsigned page_limit;  /* in: no instruction may start at or past this many bytes */
    unsigned ninsns;      /* out */
    unsigned guest_bytes; /* out */
};
int xlat_block(struct cpu_exec *c, struct ir_block *ir, const uint8_t *code, unsigned avail,
               struct xlat_block_info *info);

/* Condition cond (0/1) from the flags this block still has in temps;
 * IR_NO_TEMP when it would need the lazy state at run time. */
ir_temp xlat_cond_try(struct xlat_ctx *x, unsigned cond);

/* DS, ES and SS are flat 4 GiB segments (outside 64-bit mode): blocks
 * translated so are keyed with it and compute linear = offset. */
bool xlat_flat_data(const struct cpu_exec *c);

/* REP MOVS/STOS with helper_string's argument and result, faster for the
 * common case (translator/bt_string.c). */
uint64_t bt_string_rep(struct cpu_exec *c, uint64_t desc, uint64_t a1, uint64_t a2, uint64_t a3);

#endif
