/* Translation of I/O, processor identification and system instructions:
 * each is a helper call (privilege checks and side effects live there),
 * and anything that can change how code decodes or maps ends the block. */
#include "cpu/helpers.h"
#include "translator/xlat.h"

#define NONE IR_NO_TEMP

static bool xlat_io(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    bool is_in = in->mnemonic == X86_IN;
    const struct x86_operand *port_op = &in->op[is_in ? 1 : 0];
    const struct x86_operand *data_op = &in->op[is_in ? 0 : 1];
    unsigned size = data_op->size;
    ir_temp port = port_op->kind == X86_OPK_IMM ? ir_movi(b, (uint64_t)port_op->value & 0xff)
                                                 : ir_ldc(b, 2, OFF_REG(R_RDX));
    if (is_in) {
        ir_temp v = XLAT_HELPER(x, helper_in, 2, port, ir_movi(b, size), NONE, NONE);
        xlat_reg_write(x, R_RAX, size, false, v);
    } else {
        XLAT_HELPER(x, helper_out, 3, port, ir_movi(b, size), xlat_reg_read(x, R_RAX, size, false), NONE);
    }
    return true;
}

static void end_after(struct xlat_ctx *x)
{
    xlat_exit_const(x, x->next_pc, 0);
}

static bool xlat_machine(struct xlat_ctx *x)
{
    struct ir_block *b = x->ir;
    switch (x->insn->mnemonic) {
    case X86_CPUID: XLAT_HELPER(x, helper_cpuid, 0, NONE, NONE, NONE, NONE); return true;
    case X86_RDTSC: XLAT_HELPER(x, helper_rdtsc, 0, NONE, NONE, NONE, NONE); return true;
    case X86_RDTSCP: XLAT_HELPER(x, helper_rdtscp, 0, NONE, NONE, NONE, NONE); return true;
    case X86_RDPMC: XLAT_HELPER(x, helper_rdpmc, 0, NONE, NONE, NONE, NONE); return true;
    case X86_RDMSR: XLAT_HELPER(x, helper_rdmsr, 0, NONE, NONE, NONE, NONE); return true;
    case X86_WRMSR: XLAT_HELPER(x, helper_wrmsr, 0, NONE, NONE, NONE, NONE); end_after(x); return true;
    case X86_HLT:
        XLAT_HELPER(x, helper_hlt, 1, ir_movi(b, x->next_pc), NONE, NONE, NONE);
        ir_exit(b, -1);
        x->end_block = true;
        return true;
    case X86_UD2: case X86_UD0: case X86_UD1:
        XLAT_HELPER(x, helper_raise, 1, ir_movi(b, 6), NONE, NONE, NONE);
        ir_exit(b, -1);
        x->end_block = true;
        return true;
    case X86_WAIT:
        XLAT_HELPER(x, helper_x87, 3, ir_movi(b, 0x9b), ir_movi(b, 0), ir_movi(b, 0), NONE);
        return true;
    case X86_SYSENTER: XLAT_HELPER(x, helper_sysenter, 0, NONE, NONE, NONE, NONE); ir_exit(b, -1); x->end_block = true; return true;
    case X86_SYSEXIT: XLAT_HELPER(x, helper_sysexit, 1, ir_movi(b, x->insn->opsize), NONE, NONE, NONE); ir_exit(b, -1); x->end_block = true; return true;
    case X86_SYSCALL: XLAT_HELPER(x, helper_syscall, 1, ir_movi(b, x->next_pc), NONE, NONE, NONE); ir_exit(b, -1); x->end_block = true; return true;
    case X86_SYSRET: XLAT_HELPER(x, helper_sysret, 1, ir_movi(b, x->insn->opsize), NONE, NONE, NONE); ir_exit(b, -1); x->end_block = true; return true;
    case X86_SWAPGS: XLAT_HELPER(x, helper_swapgs, 0, NONE, NONE, NONE, NONE); return true;
    default: return false;
    }
}

static bool xlat_tables(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned mn = in->mnemonic;
    switch (mn) {
    case X86_LGDT: case X86_LIDT: {
        XLAT_HELPER(x, helper_check_cpl0, 0, NONE, NONE, NONE, NONE);
        unsigned len = x->mode64 ? 10 : 6;
        ir_temp lin = xlat_mem_linear(x, len, false);
        XLAT_HELPER(x, helper_lxdt, 3, ir_movi(b, mn == X86_LIDT), lin, ir_movi(b, in->opsize), NONE);
        return true;
    }
    case X86_SGDT: case X86_SIDT: {
        unsigned len = x->mode64 ? 10 : 6;
        ir_temp lin = xlat_mem_linear(x, len, true);
        XLAT_HELPER(x, helper_sxdt, 3, ir_movi(b, mn == X86_SIDT), lin, ir_movi(b, in->opsize), NONE);
        return true;
    }
    case X86_LLDT: case X86_LTR: {
        ir_temp sel = xlat_zext(x, 2, xlat_op_read(x, 0));
        XLAT_HELPER(x, mn == X86_LLDT ? helper_lldt : helper_ltr, 1, sel, NONE, NONE, NONE);
        return true;
    }
    case X86_SLDT: case X86_STR: {
        size_t off = mn == X86_SLDT ? offsetof(struct cpu_exec, cpu.ldtr.selector)
                                    : offsetof(struct cpu_exec, cpu.tr.selector);
        XLAT_HELPER(x, helper_check_cpl0, 1, ir_movi(b, 1), NONE, NONE, NONE); /* #UD in real/v86 mode */
        xlat_op_write(x, 0, IR_NO_TEMP, ir_ldc(b, 2, off));
        return true;
    }
    case X86_LAR: case X86_LSL: case X86_VERR: case X86_VERW: {
        unsigned op = mn == X86_LAR ? 0 : mn == X86_LSL ? 1 : mn == X86_VERR ? 2 : 3;
        bool has_dst = op < 2;
        ir_temp sel = xlat_zext(x, 2, xlat_op_read(x, has_dst ? 1 : 0));
        ir_temp old = has_dst ? xlat_reg_read(x, in->op[0].reg, in->op[0].size, false) : ir_movi(b, 0);
        ir_temp r = XLAT_HELPER(x, helper_desc_test, 3, ir_movi(b, op | in->opsize << 8), sel, old, NONE);
        if (has_dst)
            xlat_reg_write(x, in->op[0].reg, in->op[0].size, false, r);
        return true;
    }
    case X86_ARPL: {
        /* The destination is written only when its RPL is raised, so a
         * read-only or unwritable one faults (as a write) only then. */
        ir_temp d = xlat_op_read(x, 0);
        ir_temp s = xlat_op_read(x, 1);
        ir_temp rpl_d = ir_binopi(b, IR_AND, d, 3), rpl_s = ir_binopi(b, IR_AND, s, 3);
        ir_temp raised = ir_binop(b, IR_OR, ir_binopi(b, IR_AND, d, ~3ull), rpl_s);
        unsigned same = ir_new_label(b);
        ir_brcond(b, IR_GEU, rpl_d, rpl_s, same);
        xlat_op_write(x, 0, IR_NO_TEMP, raised);
        ir_label(b, same);
        /* ZF only once the write has not faulted. */
        XLAT_HELPER(x, helper_arpl, 2, d, s, NONE, NONE);
        return true;
    }
    default:
        return false;
    }
}

static bool xlat_control(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    switch (in->mnemonic) {
    case X86_MOV_CR:
    case X86_MOV_DR: {
        bool to = in->op[0].kind == X86_OPK_CR || in->op[0].kind == X86_OPK_DR;
        bool cr = in->mnemonic == X86_MOV_CR;
        unsigned n = to ? in->op[0].reg : in->op[1].reg;
        XLAT_HELPER(x, helper_check_cpl0, 0, NONE, NONE, NONE, NONE);
        if (to) {
            ir_temp v = xlat_reg_read(x, in->op[1].reg, x->mode64 ? 8 : 4, false);
            XLAT_HELPER(x, cr ? helper_mov_to_cr : helper_mov_to_dr, 2, ir_movi(b, n), v, NONE, NONE);
            end_after(x);
        } else {
            ir_temp v = XLAT_HELPER(x, cr ? helper_mov_from_cr : helper_mov_from_dr, 1, ir_movi(b, n), NONE, NONE, NONE);
            xlat_reg_write(x, in->op[0].reg, x->mode64 ? 8 : 4, false, v);
        }
        return true;
    }
    case X86_LMSW:
        XLAT_HELPER(x, helper_check_cpl0, 0, NONE, NONE, NONE, NONE);
        XLAT_HELPER(x, helper_lmsw, 1, xlat_zext(x, 2, xlat_op_read(x, 0)), NONE, NONE, NONE);
        end_after(x);
        return true;
    case X86_SMSW: {
        ir_temp v = XLAT_HELPER(x, helper_smsw, 0, NONE, NONE, NONE, NONE);
        xlat_op_write(x, 0, IR_NO_TEMP, v);
        return true;
    }
    case X86_CLTS:
        XLAT_HELPER(x, helper_check_cpl0, 0, NONE, NONE, NONE, NONE);
        XLAT_HELPER(x, helper_clts, 0, NONE, NONE, NONE, NONE);
        return true;
    case X86_INVLPG: {
        XLAT_HELPER(x, helper_check_cpl0, 0, NONE, NONE, NONE, NONE);
        ir_temp off = xlat_ea_offset(x);
        ir_temp lin = x->mode64 ? off : ir_ext(b, IR_ZEXT, 4, ir_binop(b, IR_ADD, ir_ldc(b, 8, OFF_SEG_BASE(in->mem.seg)), off));
        XLAT_HELPER(x, helper_invlpg, 1, lin, NONE, NONE, NONE);
        end_after(x);
        return true;
    }
    case X86_INVD: case X86_WBINVD:
        XLAT_HELPER(x, helper_check_cpl0, 0, NONE, NONE, NONE, NONE);
        return true;
    case X86_BOUND: {
        unsigned os = in->opsize;
        /* Two accesses, each checked on its own, lower bound first: that
         * one's #PF comes before a limit fault of the upper one. */
        ir_temp idx = xlat_reg_read(x, in->op[0].reg, os, false);
        ir_temp off = xlat_ea_offset(x);
        ir_temp lo = ir_ld(b, os, xlat_linear(x, in->mem.seg, off, os, false));
        ir_temp off_hi = ir_binopi(b, IR_ADD, off, os);
        if (in->mem.addr_size < 8)
            off_hi = ir_ext(b, IR_ZEXT, in->mem.addr_size, off_hi);
        ir_temp hi = ir_ld(b, os, xlat_linear(x, in->mem.seg, off_hi, os, false));
        ir_temp pair = ir_binop(b, IR_OR, lo, ir_binopi(b, IR_SHL, hi, os * 8));
        XLAT_HELPER(x, helper_bound, 4, idx, pair, ir_movi(b, os), ir_movi(b, 1));
        return true;
    }
    case X86_X87: {
        /* The helper checks the segment (after #NM/#MF) from the offset. */
        bool mem = in->has_modrm && (in->modrm >> 6) != 3;
        ir_temp off = mem ? xlat_ea_offset(x) : ir_movi(b, 0);
        XLAT_HELPER(x, helper_x87, 4, ir_movi(b, (uint64_t)in->opcode | (uint64_t)in->modrm << 8), off,
                    ir_movi(b, in->opsize), ir_movi(b, mem ? 0x100u | (unsigned)in->mem.seg : 0));
        return true;
    }
    case X86_FXSAVE: case X86_FXRSTOR: {
        ir_temp lin = xlat_mem_linear(x, 512, in->mnemonic == X86_FXSAVE);
        XLAT_HELPER(x, helper_fxsave, 3, lin, ir_movi(b, in->mnemonic == X86_FXRSTOR),
                    ir_movi(b, (in->rex & 8) ? 1 : 0), NONE);
        return true;
    }
    default:
        return false;
    }
}

bool xlat_system(struct xlat_ctx *x)
{
    switch (x->insn->mnemonic) {
    case X86_IN: case X86_OUT:
        return xlat_io(x);
    default:
        return xlat_machine(x) || xlat_tables(x) || xlat_control(x);
    }
}
