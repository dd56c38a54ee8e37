/* x86-64 instruction encoding for the code generator: prefixes, REX,
 * ModRM/SIB and displacements for the forms the backend emits. */
#include "translator/x64_emit.h"

#include <capstone/capstone.h>
#include <string.h>

#include "hw/log.h"
#include "translator/x64_backend.h"

void x64_byte(struct x64_asm *a, uint8_t b)
{
    if (a->len < a->cap)
        a->buf[a->len] = b;
    a->len++;
}

void x64_u32(struct x64_asm *a, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        x64_byte(a, (uint8_t)(v >> (8 * i)));
}

static void x64_u64(struct x64_asm *a, uint64_t v)
{
    x64_u32(a, (uint32_t)v);
    x64_u32(a, (uint32_t)(v >> 32));
}

/* The r/m side of an instruction: a register or a memory operand. */
struct rm {
    bool mem;
    int reg;
    struct x64_mem m;
};

static struct rm rm_reg(int r)
{
    struct rm x = { false, r, { 0, X64_NOREG, 1, 0 } };
    return x;
}

static struct rm rm_mem(struct x64_mem m)
{
    struct rm x = { true, 0, m };
    return x;
}

/* Byte registers 4-7 name SPL..DIL only with a REX prefix (AH..BH without). */
static bool byte_reg_needs_rex(int r)
{
    return r >= 4 && r <= 7;
}

/* Emits [66] [REX] opcode ModRM [SIB] [disp]. reg is the ModRM.reg field
 * (a register or an opcode extension); byte_regs says which of reg/rm are
 * 8-bit registers (bit 0: reg, bit 1: rm). */
static void encode(struct x64_asm *a, unsigned size, const uint8_t *op, unsigned oplen, int reg,
                   struct rm rm, unsigned byte_regs)
{
    if (size == 2)
        x64_byte(a, 0x66);
    uint8_t rex = 0;
    if (size == 8)
        rex |= 0x08;
    if (reg & 8)
        rex |= 0x04;
    if (rm.mem) {
        if (rm.m.index != X64_NOREG && (rm.m.index & 8))
            rex |= 0x02;
        if (rm.m.base & 8)
            rex |= 0x01;
    } else if (rm.reg & 8) {
        rex |= 0x01;
    }
    bool force = ((byte_regs & 1) && byte_reg_needs_rex(reg)) ||
                 ((byte_regs & 2) && !rm.mem && byte_reg_needs_rex(rm.reg));
    if (rex || force)
        x64_byte(a, 0x40 | rex);
    for (unsigned i = 0; i < oplen; i++)
        x64_byte(a, op[i]);
    uint8_t r3 = (uint8_t)((reg & 7) << 3);
    if (!rm.mem) {
        x64_byte(a, (uint8_t)(0xc0 | r3 | (rm.reg & 7)));
        return;
    }
    int base = rm.m.base, index = rm.m.index;
    int32_t disp = rm.m.disp;
    unsigned mod;
    if (disp == 0 && (base & 7) != 5)
        mod = 0;
    else if (disp >= -128 && disp <= 127)
        mod = 1;
    else
        mod = 2;
    if (index == X64_NOREG && (base & 7) != 4) {
        x64_byte(a, (uint8_t)(mod << 6 | r3 | (base & 7)));
    } else {
        unsigned ss = rm.m.scale == 8 ? 3 : rm.m.scale == 4 ? 2 : rm.m.scale == 2 ? 1 : 0;
        unsigned idx = index == X64_NOREG ? 4 : (unsigned)(index & 7);
        x64_byte(a, (uint8_t)(mod << 6 | r3 | 4));
        x64_byte(a, (uint8_t)(ss << 6 | idx << 3 | (base & 7)));
    }
    if (mod == 1)
        x64_byte(a, (uint8_t)(int8_t)disp);
    else if (mod == 2)
        x64_u32(a, (uint32_t)disp);
}

static void op1(struct x64_asm *a, unsigned size, uint8_t op, int reg, struct rm rm, unsigned br)
{
    encode(a, size, &op, 1, reg, rm, br);
}

static void op2(struct x64_asm *a, unsigned size, uint8_t o1, uint8_t o2, int reg, struct rm rm,
                unsigned br)
{
    uint8_t op[2] = { o1, o2 };
    encode(a, size, op, 2, reg, rm, br);
}

void x64_mov_rr(struct x64_asm *a, unsigned size, int dst, int src)
{
    if (dst == src && size == 8)
        return;
    op1(a, size, size == 1 ? 0x88 : 0x89, src, rm_reg(dst), size == 1 ? 3 : 0);
}

void x64_mov_ri(struct x64_asm *a, int dst, uint64_t imm)
{
    if (imm == 0)
        x64_alu_rr(a, X64_XOR, 4, dst, dst);
    else
        x64_mov_ri_keep_flags(a, dst, imm);
}

void x64_mov_ri_keep_flags(struct x64_asm *a, int dst, uint64_t imm)
{
    if (imm <= 0xffffffffu) {
        /* mov r32, imm32 zero-extends */
        if (dst & 8)
            x64_byte(a, 0x41);
        x64_byte(a, (uint8_t)(0xb8 + (dst & 7)));
        x64_u32(a, (uint32_t)imm);
    } else if (x64_fits_i32((int64_t)imm)) {
        op1(a, 8, 0xc7, 0, rm_reg(dst), 0);
        x64_u32(a, (uint32_t)imm);
    } else {
        x64_byte(a, (uint8_t)(0x48 | ((dst & 8) ? 1 : 0)));
        x64_byte(a, (uint8_t)(0xb8 + (dst & 7)));
        x64_u64(a, imm);
    }
}

void x64_alu_rr(struct x64_asm *a, enum x64_alu op, unsigned size, int dst, int src)
{
    op1(a, size, (uint8_t)(op * 8 + (size == 1 ? 0 : 1)), src, rm_reg(dst), size == 1 ? 3 : 0);
}

static void alu_imm(struct x64_asm *a, enum x64_alu op, unsigned size, struct rm rm, int32_t imm)
{
    if (size == 1) {
        op1(a, 1, 0x80, op, rm, 2);
        x64_byte(a, (uint8_t)imm);
    } else if (imm >= -128 && imm <= 127) {
        op1(a, size, 0x83, op, rm, 0);
        x64_byte(a, (uint8_t)(int8_t)imm);
    } else {
        op1(a, size, 0x81, op, rm, 0);
        if (size == 2) {
            x64_byte(a, (uint8_t)imm);
            x64_byte(a, (uint8_t)(imm >> 8));
        } else {
            x64_u32(a, (uint32_t)imm);
        }
    }
}

void x64_alu_ri(struct x64_asm *a, enum x64_alu op, unsigned size, int dst, int32_t imm)
{
    alu_imm(a, op, size, rm_reg(dst), imm);
}

void x64_alu_mi(struct x64_asm *a, enum x64_alu op, unsigned size, struct x64_mem m, int32_t imm)
{
    alu_imm(a, op, size, rm_mem(m), imm);
}

void x64_alu_rm(struct x64_asm *a, enum x64_alu op, unsigned size, int dst, struct x64_mem m)
{
    op1(a, size, (uint8_t)(op * 8 + (size == 1 ? 2 : 3)), dst, rm_mem(m), size == 1 ? 1 : 0);
}

void x64_test_rr(struct x64_asm *a, unsigned size, int r1, int r2)
{
    op1(a, size, size == 1 ? 0x84 : 0x85, r2, rm_reg(r1), size == 1 ? 3 : 0);
}

void x64_test_ri(struct x64_asm *a, unsigned size, int r, int32_t imm)
{
    if (size == 1) {
        op1(a, 1, 0xf6, 0, rm_reg(r), 2);
        x64_byte(a, (uint8_t)imm);
        return;
    }
    op1(a, size, 0xf7, 0, rm_reg(r), 0);
    if (size == 2) {
        x64_byte(a, (uint8_t)imm);
        x64_byte(a, (uint8_t)(imm >> 8));
    } else {
        x64_u32(a, (uint32_t)imm);
    }
}

void x64_test_rm(struct x64_asm *a, unsigned size, int r, struct x64_mem m)
{
    op1(a, size, size == 1 ? 0x84 : 0x85, r, rm_mem(m), size == 1 ? 1 : 0);
}

void x64_shift_cl(struct x64_asm *a, enum x64_shift op, unsigned size, int r)
{
    op1(a, size, size == 1 ? 0xd2 : 0xd3, op, rm_reg(r), 2);
}

void x64_shift_ri(struct x64_asm *a, enum x64_shift op, unsigned size, int r, uint8_t imm)
{
    if (imm == 1) {
        op1(a, size, size == 1 ? 0xd0 : 0xd1, op, rm_reg(r), 2);
        return;
    }
    op1(a, size, size == 1 ? 0xc0 : 0xc1, op, rm_reg(r), 2);
    x64_byte(a, imm);
}

void x64_imul_rr(struct x64_asm *a, int dst, int src)
{
    op2(a, 8, 0x0f, 0xaf, dst, rm_reg(src), 0);
}

void x64_imul_rri(struct x64_asm *a, int dst, int src, int32_t imm)
{
    if (imm >= -128 && imm <= 127) {
        op1(a, 8, 0x6b, dst, rm_reg(src), 0);
        x64_byte(a, (uint8_t)(int8_t)imm);
    } else {
        op1(a, 8, 0x69, dst, rm_reg(src), 0);
        x64_u32(a, (uint32_t)imm);
    }
}

void x64_mul1(struct x64_asm *a, bool is_signed, int src)
{
    op1(a, 8, 0xf7, is_signed ? 5 : 4, rm_reg(src), 0);
}

void x64_neg(struct x64_asm *a, int r)
{
    op1(a, 8, 0xf7, 3, rm_reg(r), 0);
}

void x64_not(struct x64_asm *a, int r)
{
    op1(a, 8, 0xf7, 2, rm_reg(r), 0);
}

void x64_movzx_rr(struct x64_asm *a, int dst, int src, unsigned src_size)
{
    op2(a, 4, 0x0f, src_size == 1 ? 0xb6 : 0xb7, dst, rm_reg(src), src_size == 1 ? 2 : 0);
}

void x64_movsx_rr(struct x64_asm *a, int dst, int src, unsigned src_size)
{
    if (src_size == 4)
        op1(a, 8, 0x63, dst, rm_reg(src), 0);
    else
        op2(a, 8, 0x0f, src_size == 1 ? 0xbe : 0xbf, dst, rm_reg(src), src_size == 1 ? 2 : 0);
}

void x64_setcc(struct x64_asm *a, enum x64_cc cc, int r8)
{
    op2(a, 1, 0x0f, (uint8_t)(0x90 + cc), 0, rm_reg(r8), 2);
}

void x64_cmov_rr(struct x64_asm *a, enum x64_cc cc, int dst, int src)
{
    op2(a, 8, 0x0f, (uint8_t)(0x40 + cc), dst, rm_reg(src), 0);
}

void x64_cmov_rm(struct x64_asm *a, enum x64_cc cc, int dst, struct x64_mem m)
{
    op2(a, 8, 0x0f, (uint8_t)(0x40 + cc), dst, rm_mem(m), 0);
}

void x64_load(struct x64_asm *a, unsigned size, int dst, struct x64_mem m)
{
    switch (size) {
    case 1: op2(a, 4, 0x0f, 0xb6, dst, rm_mem(m), 0); break;
    case 2: op2(a, 4, 0x0f, 0xb7, dst, rm_mem(m), 0); break;
    case 4: op1(a, 4, 0x8b, dst, rm_mem(m), 0); break;
    default: op1(a, 8, 0x8b, dst, rm_mem(m), 0); break;
    }
}

void x64_store(struct x64_asm *a, unsigned size, struct x64_mem m, int src)
{
    op1(a, size, size == 1 ? 0x88 : 0x89, src, rm_mem(m), size == 1 ? 1 : 0);
}

void x64_store_imm(struct x64_asm *a, unsigned size, struct x64_mem m, int32_t imm)
{
    op1(a, size, size == 1 ? 0xc6 : 0xc7, 0, rm_mem(m), 0);
    if (size == 1) {
        x64_byte(a, (uint8_t)imm);
    } else if (size == 2) {
        x64_byte(a, (uint8_t)imm);
        x64_byte(a, (uint8_t)(imm >> 8));
    } else {
        x64_u32(a, (uint32_t)imm);
    }
}

void x64_lea(struct x64_asm *a, int dst, struct x64_mem m)
{
    op1(a, 8, 0x8d, dst, rm_mem(m), 0);
}

void x64_lea32(struct x64_asm *a, int dst, struct x64_mem m)
{
    op1(a, 4, 0x8d, dst, rm_mem(m), 0);
}

size_t x64_jmp32(struct x64_asm *a)
{
    x64_byte(a, 0xe9);
    size_t field = a->len;
    x64_u32(a, 0);
    return field;
}

size_t x64_call32(struct x64_asm *a)
{
    x64_byte(a, 0xe8);
    size_t field = a->len;
    x64_u32(a, 0);
    return field;
}

size_t x64_jcc32(struct x64_asm *a, enum x64_cc cc)
{
    x64_byte(a, 0x0f);
    x64_byte(a, (uint8_t)(0x80 + cc));
    size_t field = a->len;
    x64_u32(a, 0);
    return field;
}

void x64_patch_rel32(struct x64_asm *a, size_t field, size_t target)
{
    if (field + 4 > a->cap)
        return; /* the buffer overflowed: the code is discarded anyway */
    int32_t rel = (int32_t)((int64_t)target - (int64_t)(field + 4));
    memcpy(a->buf + field, &rel, 4);
}

void x64_call_abs(struct x64_asm *a, const void *fn)
{
    x64_mov_ri(a, X64_RAX, (uint64_t)(uintptr_t)fn);
    x64_call_r(a, X64_RAX);
}

void x64_call_r(struct x64_asm *a, int r)
{
    op1(a, 4, 0xff, 2, rm_reg(r), 0);
}

void x64_jmp_r(struct x64_asm *a, int r)
{
    op1(a, 4, 0xff, 4, rm_reg(r), 0);
}

void x64_push(struct x64_asm *a, int r)
{
    if (r & 8)
        x64_byte(a, 0x41);
    x64_byte(a, (uint8_t)(0x50 + (r & 7)));
}

void x64_pop(struct x64_asm *a, int r)
{
    if (r & 8)
        x64_byte(a, 0x41);
    x64_byte(a, (uint8_t)(0x58 + (r & 7)));
}

void x64_ret(struct x64_asm *a)
{
    x64_byte(a, 0xc3);
}

void x64_log_code(const void *code, size_t size)
{
    csh h;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
        return;
    cs_insn *insn;
    size_t n = cs_disasm(h, code, size, (uint64_t)(uintptr_t)code, 0, &insn);
    for (size_t k = 0; k < n; k++)
        log_printf("  %#llx: %s %s\n", (unsigned long long)insn[k].address, insn[k].mnemonic,
                   insn[k].op_str);
    if (n)
        cs_free(insn, n);
    cs_close(&h);
}
