/* MMX/SSE helpers for translated code: the availability checks (#UD, #NM,
 * #MF), operand fetch and write-back through the soft MMU, MMX's aliasing
 * of the x87 registers, and the dispatch to the semantics in cpu/sse_*.c. */
#include <string.h>

#include "cpu/exception.h"
#include "cpu/fpu.h"
#include "cpu/helpers.h"
#include "cpu/helpers_sse.h"
#include "cpu/sse.h"
#include "softmmu/mmu.h"

#define MXCSR_VALID 0xffffu /* MXCSR_MASK: every defined bit incl. DAZ */

/* MMX register n is the mantissa of physical x87 register n; writing it
 * sets the exponent field to all ones (SDM vol. 1, 9.5). */
static uint64_t mmx_get(const struct cpu_exec *c, unsigned n)
{
    uint64_t v;
    memcpy(&v, c->cpu.fpu.st[n & 7], 8);
    return v;
}

static void mmx_set(struct cpu_exec *c, unsigned n, uint64_t v)
{
    memcpy(c->cpu.fpu.st[n & 7], &v, 8);
    c->cpu.fpu.st[n & 7][8] = 0xff;
    c->cpu.fpu.st[n & 7][9] = 0xff;
}

/* Every MMX instruction but EMMS makes the x87 stack full with TOP = 0. */
static void mmx_enter(struct cpu_exec *c)
{
    c->cpu.fpu.ftw = 0xff;
    c->cpu.fpu.fsw &= (uint16_t)~0x3800u;
}

/* #UD when CR0.EM (and, for XMM operands, without CR4.OSFXSR), then #NM
 * when CR0.TS, then a pending x87 exception for MMX (#MF): the order of
 * SDM vol. 3 table 23-... "exception conditions" for SSE and MMX. */
static void sse_check_available(struct cpu_exec *c, bool xmm, bool mmx)
{
    uint64_t cr0 = c->cpu.cr0;
    if (cr0 & X86_CR0_EM)
        cpu_raise_exception(c, X86_EXC_UD);
    if (xmm && !(c->cpu.cr4 & X86_CR4_OSFXSR))
        cpu_raise_exception(c, X86_EXC_UD);
    if (cr0 & X86_CR0_TS)
        cpu_raise_exception(c, X86_EXC_NM);
    if (mmx && fpu_pending_exception(&c->cpu.fpu) && (cr0 & X86_CR0_NE))
        cpu_raise_exception(c, X86_EXC_MF);
}

static void sse_raise_xm(struct cpu_exec *c)
{
    cpu_raise_exception(c, (c->cpu.cr4 & X86_CR4_OSXMMEXCPT) ? X86_EXC_XM : X86_EXC_UD);
}

/* Legacy SSE: a 16-byte memory operand must be aligned (#GP(0)) except for
 * the explicitly unaligned forms. */
static bool sse_needs_alignment(unsigned map, unsigned col, unsigned op)
{
    if (map == 1 && (op == 0x10 || op == 0x11) && (col == SSE_PFX_NONE || col == SSE_PFX_66))
        return false; /* MOVUPS, MOVUPD */
    if (map == 1 && (op == 0x6f || op == 0x7f) && col == SSE_PFX_F3)
        return false; /* MOVDQU */
    if (map == 1 && op == 0xf0)
        return false; /* LDDQU */
    if (map == 3 && op >= 0x60 && op <= 0x63)
        return false; /* PCMPxSTRx */
    return true;
}

static void sse_read_operand(struct cpu_exec *c, unsigned kind, unsigned reg, unsigned size,
                             uint64_t lin, union sse_reg *v)
{
    memset(v, 0, sizeof(*v));
    switch (kind) {
    case SSE_OPND_XMM: memcpy(v, c->cpu.fpu.xmm[reg], 16); break;
    case SSE_OPND_MMX: v->q[0] = mmx_get(c, reg); break;
    case SSE_OPND_GPR:
        v->q[0] = c->cpu.regs[reg];
        if (size < 8)
            v->q[0] &= (1ull << (size * 8)) - 1;
        break;
    case SSE_OPND_MEM: mmu_load_bytes(c, lin, v, size); break;
    default: break;
    }
}

HELPER(helper_sse)
{
    (void)a3;
    uint64_t d = a0;
    unsigned map = SSE_DESC_MAP(d), col = SSE_DESC_COL(d), opc = SSE_DESC_OPCODE(d);
    unsigned dk = SSE_DESC_DKIND(d), sk = SSE_DESC_SKIND(d);
    unsigned dreg = SSE_DESC_DREG(d), sreg = SSE_DESC_SREG(d);
    unsigned msize = SSE_DESC_MSIZE(d), gsize = SSE_DESC_GSIZE(d);
    bool mmx = SSE_DESC_WIDTH8(d);
    bool xmm = dk == SSE_OPND_XMM || sk == SSE_OPND_XMM;
    sse_check_available(c, xmm, mmx);

    uint64_t lin = 0;
    if (dk == SSE_OPND_MEM || sk == SSE_OPND_MEM) {
        lin = mmu_seg_linear(c, (int)(a2 & 7), a1, msize,
                             dk == SSE_OPND_MEM ? MMU_WRITE : MMU_READ);
        if (msize == 16 && (lin & 15) && sse_needs_alignment(map, col, opc))
            cpu_raise_exception_err(c, X86_EXC_GP, 0);
    }

    struct sse_ctx s;
    memset(&s, 0, sizeof(s));
    s.map = (uint8_t)map;
    s.opcode = (uint8_t)opc;
    s.pfx = (uint8_t)col;
    s.reg = (uint8_t)SSE_DESC_MODRM_REG(d);
    s.imm = (uint8_t)SSE_DESC_IMM(d);
    s.src_mem = sk == SSE_OPND_MEM;
    s.rex_w = SSE_DESC_REXW(d);
    s.width = mmx ? 8 : 16;
    s.mxcsr = c->cpu.fpu.mxcsr;
    if (dk == SSE_OPND_XMM || dk == SSE_OPND_MMX)
        sse_read_operand(c, dk, dreg, 16, 0, &s.dst);
    sse_read_operand(c, sk, sreg, sk == SSE_OPND_MEM ? msize : gsize, lin, &s.src);
    memcpy(&s.xmm0, c->cpu.fpu.xmm[0], 16);
    s.rax = c->cpu.regs[R_RAX];
    s.rdx = c->cpu.regs[R_RDX];
    enum sse_result r = sse_int_exec(&s);
    if (r == SSE_NOT_MINE)
        r = sse_fp_exec(&s);
    if (r == SSE_NOT_MINE || r == SSE_UD)
        cpu_raise_exception(c, X86_EXC_UD);
    /* The switch to MMX state comes once the memory accesses have
     * succeeded, before a #XM, as this host's CPU does it: a #PF loading
     * or storing leaves the x87 state alone. */
    if (r == SSE_XM) {
        c->cpu.fpu.mxcsr = s.mxcsr;
        if (mmx)
            mmx_enter(c);
        sse_raise_xm(c);
    }

    /* A store can still fault: nothing is changed before it succeeds. */
    if (dk == SSE_OPND_MEM && !s.no_dst)
        mmu_store_bytes(c, lin, &s.dst, msize);
    if (mmx)
        mmx_enter(c);
    c->cpu.fpu.mxcsr = s.mxcsr;
    if (!s.no_dst) {
        /* PCMPESTRM/PCMPISTRM put their mask in XMM0 whatever ModRM says. */
        if (map == 3 && (opc == 0x60 || opc == 0x62))
            dreg = 0;
        switch (dk) {
        case SSE_OPND_XMM: memcpy(c->cpu.fpu.xmm[dreg], &s.dst, 16); break;
        case SSE_OPND_MMX: mmx_set(c, dreg, s.dst.q[0]); break;
        case SSE_OPND_GPR:
            c->cpu.regs[dreg] = gsize >= 8 ? s.dst.q[0] : (uint32_t)s.dst.q[0];
            break;
        default: break;
        }
    }
    if (s.set_flags) {
        uint64_t arith = X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | X86_FLAG_SF |
                         X86_FLAG_OF;
        cpu_exec_flush_flags(c);
        c->cpu.rflags = (c->cpu.rflags & ~arith) | (s.eflags & arith);
    }
    if (s.set_rcx)
        c->cpu.regs[R_RCX] = s.rcx; /* a 32-bit result zero-extends */
    return 0;
}

/* MASKMOVQ / MASKMOVDQU: the bytes of src whose mask byte (in the second
 * operand) has its top bit set are stored at seg:rDI, one by one, so a
 * fault leaves the earlier bytes written as the hardware may. */
HELPER(helper_sse_maskmov)
{
    (void)a3;
    bool mmx = (a0 >> 8) & 1;
    unsigned src = a0 & 15, mask = (a0 >> 4) & 15;
    sse_check_available(c, !mmx, mmx);
    /* Here the switch comes before the segment check of the store. */
    if (mmx)
        mmx_enter(c);
    union sse_reg v, m;
    unsigned n = mmx ? 8 : 16;
    sse_read_operand(c, mmx ? SSE_OPND_MMX : SSE_OPND_XMM, src, 16, 0, &v);
    sse_read_operand(c, mmx ? SSE_OPND_MMX : SSE_OPND_XMM, mask, 16, 0, &m);
    uint64_t lin = mmu_seg_linear(c, (int)(a2 & 7), a1, n, MMU_WRITE);
    for (unsigned i = 0; i < n; i++)
        if (m.b[i] & 0x80)
            mmu_store(c, lin + i, 1, v.b[i]);
    return 0;
}

HELPER(helper_emms)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    sse_check_available(c, false, true);
    c->cpu.fpu.ftw = 0;
    c->cpu.fpu.fsw &= (uint16_t)~0x3800u; /* TOP = 0, as every MMX instruction */
    return 0;
}

/* LDMXCSR (a0 = 0) / STMXCSR (a0 = 1) at seg a2, offset a1. */
HELPER(helper_mxcsr)
{
    (void)a3;
    sse_check_available(c, true, false);
    uint64_t lin = mmu_seg_linear(c, (int)(a2 & 7), a1, 4, a0 ? MMU_WRITE : MMU_READ);
    if (a0) {
        mmu_store(c, lin, 4, c->cpu.fpu.mxcsr);
    } else {
        uint32_t v = (uint32_t)mmu_load(c, lin, 4);
        if (v & ~MXCSR_VALID)
            cpu_raise_exception_err(c, X86_EXC_GP, 0);
        c->cpu.fpu.mxcsr = v;
    }
    return 0;
}

/* CRC32 (SSE4.2): CRC-32C, the Castagnoli polynomial, bit-reflected, with
 * no inversion of input or output (software does that). */
HELPER(helper_crc32)
{
    (void)c; (void)a3;
    uint32_t crc = (uint32_t)a0;
    uint64_t v = a1;
    for (unsigned i = 0; i < a2 * 8; i++) {
        uint32_t bit = (crc ^ (uint32_t)(v >> i)) & 1;
        crc = (crc >> 1) ^ (bit ? 0x82f63b78u : 0);
    }
    return crc;
}

/* ---- XSAVE: the x87 (bit 0) and SSE (bit 1) components ---- */

#define XSAVE_SUPPORTED 3u
#define XSAVE_HEADER 512
#define XSAVE_X87_BYTES 160      /* FCW .. ST7 of the legacy region */
#define XSAVE_XMM_OFFSET 160

static bool mode64(const struct cpu_exec *c)
{
    return (c->cpu.efer & X86_EFER_LMA) && (c->cpu.seg[S_CS].attr & SEG_ATTR_L);
}

static void xsave_check(struct cpu_exec *c, uint64_t lin)
{
    if (!(c->cpu.cr4 & X86_CR4_OSXSAVE))
        cpu_raise_exception(c, X86_EXC_UD);
    if (c->cpu.cr0 & X86_CR0_TS)
        cpu_raise_exception(c, X86_EXC_NM);
    if (lin & 63)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
}

/* XSAVE (a1 = 0) / XRSTOR (a1 = 1) at linear a0; a2 = REX.W (the 64-bit
 * FIP/FDP layout). The requested-feature bitmap is XCR0 & EDX:EAX. */
HELPER(helper_xsave)
{
    (void)a3;
    xsave_check(c, a0);
    unsigned nxmm = mode64(c) ? 16 : 8;
    uint64_t rfbm = c->cpu.xcr0 & ((c->cpu.regs[R_RDX] << 32) | (uint32_t)c->cpu.regs[R_RAX]);
    uint8_t cur[512], mem[512 + 64];
    memset(cur, 0, sizeof(cur));
    fpu_fxsave(&c->cpu.fpu, cur, a2 != 0, nxmm);
    mmu_load_bytes(c, a0, mem, sizeof(mem));
    uint64_t xstate_bv, xcomp_bv;
    memcpy(&xstate_bv, mem + XSAVE_HEADER, 8);
    memcpy(&xcomp_bv, mem + XSAVE_HEADER + 8, 8);
    if (!a1) {
        if (rfbm & 1)
            memcpy(mem, cur, XSAVE_X87_BYTES);
        if (rfbm & 2) {
            memcpy(mem + 24, cur + 24, 8); /* MXCSR, MXCSR_MASK */
            memcpy(mem + XSAVE_XMM_OFFSET, cur + XSAVE_XMM_OFFSET, 16 * nxmm);
        }
        /* The components saved are marked in use (XINUSE may stay 1). */
        xstate_bv = (xstate_bv & ~rfbm) | rfbm;
        memcpy(mem + XSAVE_HEADER, &xstate_bv, 8);
        mmu_store_bytes(c, a0, mem, sizeof(mem));
        return 0;
    }
    /* XRSTOR, standard form (SDM vol. 1, 13.8.1): header bytes 23:8
     * (XCOMP_BV and the next 8) must be zero and XSTATE_BV within XCR0,
     * else #GP; bytes 63:24 are not looked at. */
    bool reserved = xcomp_bv != 0;
    for (unsigned i = 16; i < 24; i++)
        reserved |= mem[XSAVE_HEADER + i] != 0;
    if ((xstate_bv & ~c->cpu.xcr0) || reserved)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    uint8_t img[512];
    memcpy(img, cur, sizeof(img));
    if (rfbm & 1) {
        if (xstate_bv & 1) {
            memcpy(img, mem, XSAVE_X87_BYTES);
        } else { /* initial x87 state: FCW 037F, everything else clear */
            memset(img, 0, 24);
            memset(img + 32, 0, XSAVE_X87_BYTES - 32);
            img[0] = 0x7f;
            img[1] = 0x03;
        }
    }
    if (rfbm & 2) {
        memcpy(img + 24, mem + 24, 4); /* MXCSR is loaded whatever XSTATE_BV says */
        if (xstate_bv & 2)
            memcpy(img + XSAVE_XMM_OFFSET, mem + XSAVE_XMM_OFFSET, 16 * nxmm);
        else
            memset(img + XSAVE_XMM_OFFSET, 0, 16 * nxmm);
    }
    if (!fpu_fxrstor(&c->cpu.fpu, img, a2 != 0, nxmm))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    return 0;
}

/* XGETBV (a0 = 0) / XSETBV (a0 = 1) of XCR[ECX]; only XCR0 exists. */
HELPER(helper_xcr)
{
    (void)a1; (void)a2; (void)a3;
    if (!(c->cpu.cr4 & X86_CR4_OSXSAVE))
        cpu_raise_exception(c, X86_EXC_UD);
    uint32_t index = (uint32_t)c->cpu.regs[R_RCX];
    if (!a0) {
        if (index != 0)
            cpu_raise_exception_err(c, X86_EXC_GP, 0);
        c->cpu.regs[R_RAX] = (uint32_t)c->cpu.xcr0;
        c->cpu.regs[R_RDX] = (uint32_t)(c->cpu.xcr0 >> 32);
        return 0;
    }
    bool v86 = c->cpu.rflags & X86_FLAG_VM;
    uint64_t v = (c->cpu.regs[R_RDX] << 32) | (uint32_t)c->cpu.regs[R_RAX];
    if (((c->cpu.cr0 & X86_CR0_PE) && (v86 || c->cpl != 0)) || index != 0 || !(v & 1) ||
        (v & ~(uint64_t)XSAVE_SUPPORTED))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    c->cpu.xcr0 = v;
    return 0;
}

/* ---- IR_VEC: host-executable integer vector forms ---- */

bool sse_vec_form(unsigned map, unsigned op, bool *has_imm)
{
    *has_imm = false;
    switch (map) {
    case 1:
        /* Unpacks, packs, compares, arithmetic, logic, shifts by an XMM
         * count, multiplies: every Vx,Wx row of 60-6D and D1-FE but
         * PMOVMSKB (D7, a general register), MOVQ (D6), MOVNTDQ (E7),
         * CVT (E6), LDDQU (F0, F2 only) and MASKMOVDQU (F7). */
        if (op >= 0x60 && op <= 0x6d)
            return true;
        if (op >= 0x74 && op <= 0x76)
            return true;
        if (op >= 0xd1 && op <= 0xfe)
            return op != 0xd6 && op != 0xd7 && op != 0xe6 && op != 0xe7 && op != 0xf0 &&
                   op != 0xf7;
        return false;
    case 2:
        /* SSSE3 00-0B and 1C-1E, SSE4.1 28 29 2B 37-40 (not PBLENDVB's
         * implicit XMM0, PTEST's flags, the narrow PMOVSX/ZX loads,
         * MOVNTDQA, PHMINPOSUW's partial result). */
        if (op <= 0x0b || (op >= 0x1c && op <= 0x1e))
            return true;
        return op == 0x28 || op == 0x29 || op == 0x2b || (op >= 0x37 && op <= 0x40);
    case 3:
        /* PBLENDW, PALIGNR, MPSADBW. */
        *has_imm = true;
        return op == 0x0e || op == 0x0f || op == 0x42;
    default:
        return false;
    }
}

void sse_vec_run(struct cpu_exec *c, uint64_t desc)
{
    struct sse_ctx s;
    memset(&s, 0, sizeof(s));
    s.map = (uint8_t)SSE_VEC_MAP(desc);
    s.opcode = (uint8_t)SSE_VEC_OPCODE(desc);
    s.pfx = SSE_PFX_66;
    s.imm = (uint8_t)SSE_VEC_IMM(desc);
    s.width = 16;
    s.mxcsr = c->cpu.fpu.mxcsr;
    uint8_t *base = (uint8_t *)c;
    memcpy(&s.dst, base + SSE_VEC_DST(desc), 16);
    memcpy(&s.src, base + SSE_VEC_SRC(desc), 16);
    /* Every form sse_vec_form accepts is defined for 66: SSE_OK. */
    sse_int_exec(&s);
    memcpy(base + SSE_VEC_DST(desc), &s.dst, 16);
}
