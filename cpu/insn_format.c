/* One-line Intel-syntax text of a decoded instruction, close to capstone's
 * spelling, for logs and test messages. Not on any hot path. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "cpu/x86_insn.h"

struct out {
    char *buf;
    size_t len, pos;
};

static void put(struct out *o, const char *fmt, ...)
{
    if (o->pos >= o->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->pos += (size_t)n < o->len - o->pos ? (size_t)n : o->len - o->pos - 1;
}

static const char *const cc_names[16] = {
    "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g",
};

static const char *gpr_name(unsigned reg, unsigned size, bool high8)
{
    static const char *const r8[16] = {
        "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
        "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b",
    };
    static const char *const h8[4] = { "ah", "ch", "dh", "bh" };
    static const char *const r16[16] = {
        "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
        "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w",
    };
    static const char *const r32[16] = {
        "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
        "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d",
    };
    static const char *const r64[16] = {
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    };
    reg &= 15;
    switch (size) {
    case 1: return high8 ? h8[reg & 3] : r8[reg];
    case 2: return r16[reg];
    case 4: return r32[reg];
    default: return r64[reg];
    }
}

static const char *const seg_names[6] = { "es", "cs", "ss", "ds", "fs", "gs" };

static const char *ptr_name(unsigned size)
{
    switch (size) {
    case 1: return "byte ptr ";
    case 2: return "word ptr ";
    case 4: return "dword ptr ";
    case 6: return "fword ptr ";
    case 8: return "qword ptr ";
    case 10: return "tbyte ptr ";
    case 16: return "xmmword ptr ";
    default: return "";
    }
}

static void put_hex(struct out *o, uint64_t v)
{
    if (v < 10)
        put(o, "%" PRIu64, v);
    else
        put(o, "0x%" PRIx64, v);
}

static bool is_string(unsigned m)
{
    return m == X86_MOVS || m == X86_CMPS || m == X86_STOS || m == X86_LODS ||
           m == X86_SCAS || m == X86_INS || m == X86_OUTS;
}

static void put_mem(struct out *o, const struct x86_insn *in, const struct x86_operand *op)
{
    const struct x86_mem_operand *m = &in->mem;
    put(o, "%s", ptr_name(op->size));
    if (is_string(in->mnemonic) || in->mnemonic == X86_XLAT) {
        /* Implicit operands: op->reg is the base register, rDI always ES. */
        if (op->reg == 7)
            put(o, "es:");
        else if (in->seg_override >= 0)
            put(o, "%s:", seg_names[in->seg_override]);
        put(o, "[%s]", gpr_name(op->reg, in->addrsize, false));
        return;
    }
    if (in->seg_override >= 0)
        put(o, "%s:", seg_names[in->seg_override]);
    put(o, "[");
    bool any = false;
    if (m->rip_relative) {
        int64_t rel = m->disp - (int64_t)(in->pc + in->len);
        put(o, "%s", in->addrsize == 8 ? "rip" : "eip");
        if (rel < 0) {
            put(o, " - ");
            put_hex(o, 0 - (uint64_t)rel);
        } else if (rel) {
            put(o, " + ");
            put_hex(o, (uint64_t)rel);
        }
        put(o, "]");
        return;
    }
    if (m->base >= 0) {
        put(o, "%s", gpr_name(m->base, m->addr_size, false));
        any = true;
    }
    if (m->index >= 0) {
        put(o, "%s%s", any ? " + " : "", gpr_name(m->index, m->addr_size, false));
        if (m->scale > 1)
            put(o, "*%u", m->scale);
        any = true;
    }
    uint64_t disp = (uint64_t)m->disp;
    if (m->addr_size < 8)
        disp &= (1ull << (8 * m->addr_size)) - 1;
    if (!any) {
        put_hex(o, disp);
    } else if (m->disp < 0) {
        put(o, " - ");
        put_hex(o, (0 - (uint64_t)m->disp) & (m->addr_size == 2 ? 0xffff : ~0ull));
    } else if (m->disp) {
        put(o, " + ");
        put_hex(o, disp);
    }
    put(o, "]");
}

static void put_operand(struct out *o, const struct x86_insn *in, const struct x86_operand *op)
{
    switch (op->kind) {
    case X86_OPK_REG: put(o, "%s", gpr_name(op->reg, op->size, op->high8)); break;
    case X86_OPK_MEM: put_mem(o, in, op); break;
    case X86_OPK_IMM: {
        uint64_t v = (uint64_t)op->value;
        if (op->size < 8)
            v &= (1ull << (8 * op->size)) - 1;
        put_hex(o, v);
        break;
    }
    case X86_OPK_REL: put(o, "0x%" PRIx64, (uint64_t)op->value); break;
    case X86_OPK_SEG: put(o, "%s", op->reg < 6 ? seg_names[op->reg] : "?"); break;
    case X86_OPK_CR: put(o, "cr%u", op->reg); break;
    case X86_OPK_DR: put(o, "dr%u", op->reg); break;
    case X86_OPK_FAR: put(o, "0x%x:0x%" PRIx64, in->far_seg, (uint64_t)op->value); break;
    case X86_OPK_ST: put(o, "st(%u)", op->reg); break;
    case X86_OPK_MMX: put(o, "mm%u", op->reg); break;
    case X86_OPK_XMM: put(o, "xmm%u", op->reg); break;
    default: break;
    }
}

/* x87 names: memory forms by [escape][reg], register forms by
 * [escape][reg] or, for the rows of single instructions, by the ModRM. */
static const char *const x87_mem[8][8] = {
    { "fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr" },
    { "fld", "?", "fst", "fstp", "fldenv", "fldcw", "fnstenv", "fnstcw" },
    { "fiadd", "fimul", "ficom", "ficomp", "fisub", "fisubr", "fidiv", "fidivr" },
    { "fild", "fisttp", "fist", "fistp", "?", "fld", "?", "fstp" },
    { "fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr" },
    { "fld", "fisttp", "fst", "fstp", "frstor", "?", "fnsave", "fnstsw" },
    { "fiadd", "fimul", "ficom", "ficomp", "fisub", "fisubr", "fidiv", "fidivr" },
    { "fild", "fisttp", "fist", "fistp", "fbld", "fild", "fbstp", "fistp" },
};
static const char *const x87_reg[8][8] = {
    { "fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr" },
    { "fld", "fxch", "", "fstp1", "", "", "", "" },
    { "fcmovb", "fcmove", "fcmovbe", "fcmovu", "", "", "", "" },
    { "fcmovnb", "fcmovne", "fcmovnbe", "fcmovnu", "", "fucomi", "fcomi", "" },
    { "fadd", "fmul", "fcom2", "fcomp3", "fsubr", "fsub", "fdivr", "fdiv" },
    { "ffree", "fxch4", "fst", "fstp", "fucom", "fucomp", "", "" },
    { "faddp", "fmulp", "fcomp5", "", "fsubrp", "fsubp", "fdivrp", "fdivp" },
    { "ffreep", "fxch7", "fstp8", "fstp9", "", "fucomip", "fcomip", "" },
};

static const char *x87_single(unsigned esc, uint8_t modrm)
{
    static const char *const d9[32] = {
        "fchs", "fabs", "?", "?", "ftst", "fxam", "?", "?",
        "fld1", "fldl2t", "fldl2e", "fldpi", "fldlg2", "fldln2", "fldz", "?",
        "f2xm1", "fyl2x", "fptan", "fpatan", "fxtract", "fprem1", "fdecstp", "fincstp",
        "fprem", "fyl2xp1", "fsqrt", "fsincos", "frndint", "fscale", "fsin", "fcos",
    };
    static const char *const db[5] = { "fneni", "fndisi", "fnclex", "fninit", "fnsetpm" };
    if (esc == 1 && modrm == 0xd0)
        return "fnop";
    if (esc == 1 && modrm >= 0xe0)
        return d9[modrm - 0xe0];
    if (esc == 2 && modrm == 0xe9)
        return "fucompp";
    if (esc == 3 && modrm >= 0xe0 && modrm <= 0xe4)
        return db[modrm - 0xe0];
    if (esc == 6 && modrm == 0xd9)
        return "fcompp";
    if (esc == 7 && modrm == 0xe0)
        return "fnstsw ax";
    return "?";
}

static void put_mnemonic(struct out *o, const struct x86_insn *in)
{
    static const char sfx[9] = { 0, 'b', 'w', 0, 'd', 0, 0, 0, 'q' };
    const char *name = x86_mnemonic_name(in->mnemonic);
    switch (in->mnemonic) {
    case X86_JCC: put(o, "j%s", cc_names[in->cond & 15]); return;
    case X86_SETCC: put(o, "set%s", cc_names[in->cond & 15]); return;
    case X86_CMOVCC: put(o, "cmov%s", cc_names[in->cond & 15]); return;
    case X86_MOV_CR: case X86_MOV_DR: case X86_MOV_SEG: put(o, "mov"); return;
    case X86_CBW: put(o, in->opsize == 2 ? "cbw" : in->opsize == 4 ? "cwde" : "cdqe"); return;
    case X86_CWD: put(o, in->opsize == 2 ? "cwd" : in->opsize == 4 ? "cdq" : "cqo"); return;
    case X86_JCXZ: put(o, in->addrsize == 2 ? "jcxz" : in->addrsize == 4 ? "jecxz" : "jrcxz"); return;
    case X86_XLAT: put(o, "xlatb"); return;
    case X86_PUSHA: case X86_POPA:
        put(o, "%s%s", in->mnemonic == X86_PUSHA ? "pusha" : "popa", in->opsize == 4 ? "l" : "");
        return;
    case X86_PUSHF: case X86_POPF: case X86_IRET:
        put(o, "%s%s", in->mnemonic == X86_PUSHF ? "pushf" : in->mnemonic == X86_POPF ? "popf" : "iret",
            in->opsize == 2 ? "" : in->opsize == 4 ? "d" : "q");
        return;
    case X86_MOVS: case X86_CMPS: case X86_STOS: case X86_LODS:
    case X86_SCAS: case X86_INS: case X86_OUTS: {
        unsigned size = in->op[0].kind == X86_OPK_MEM ? in->op[0].size : in->op[1].size;
        for (const char *p = name; *p; p++)
            put(o, "%c", *p - 'A' + 'a');
        put(o, "%c", sfx[size <= 8 ? size : 0]);
        return;
    }
    case X86_X87: {
        unsigned esc = in->opcode - 0xd8, reg = (in->modrm >> 3) & 7;
        if ((in->modrm >> 6) != 3)
            put(o, "%s", x87_mem[esc][reg]);
        else if (x87_reg[esc][reg][0])
            put(o, "%s", x87_reg[esc][reg]);
        else
            put(o, "%s", x87_single(esc, in->modrm));
        return;
    }
    case X86_SSE: {
        static const char *const maps[4] = { "", "0f", "0f38", "0f3a" };
        const char *p = (in->prefixes & X86_PFX_REP) ? "f3." : (in->prefixes & X86_PFX_REPNE) ? "f2."
                      : (in->prefixes & X86_PFX_OPSIZE) ? "66." : "";
        put(o, "sse.%s%s%02x", p, maps[in->map & 3], in->opcode);
        return;
    }
    default:
        for (const char *p = name; *p; p++)
            put(o, "%c", (*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
        return;
    }
}

void x86_insn_format(const struct x86_insn *insn, char *buf, size_t len)
{
    struct out o = { buf, len, 0 };
    if (!len)
        return;
    buf[0] = 0;
    if (insn->prefixes & X86_PFX_LOCK)
        put(&o, "lock ");
    if (is_string(insn->mnemonic)) {
        if (insn->prefixes & X86_PFX_REPNE)
            put(&o, "repne ");
        else if (insn->prefixes & X86_PFX_REP)
            put(&o, (insn->mnemonic == X86_CMPS || insn->mnemonic == X86_SCAS) ? "repe " : "rep ");
    }
    put_mnemonic(&o, insn);
    if (insn->mnemonic == X86_X87 && (insn->modrm >> 6) == 3 && insn->nops == 0)
        return;
    for (unsigned n = 0; n < insn->nops && n < 3; n++) {
        put(&o, n ? ", " : " ");
        put_operand(&o, insn, &insn->op[n]);
    }
}
