/* The x86 instruction decoder: legacy and REX prefixes, the opcode tables of
 * decode_tables.c, ModRM/SIB/displacement, immediates, into struct x86_insn.
 * One pass over the bytes, no allocation; every operand spec is resolved by
 * the same code whatever the opcode. */
#include <stdbool.h>
#include <string.h>

#include "cpu/decode_tables.h"
#include "cpu/x86_insn.h"

/* What an operand spec takes from the ModRM byte. */
enum {
    U_RM = 1,       /* ModRM.rm: register or memory */
    U_REG = 2,      /* ModRM.reg */
    U_MEMONLY = 4,  /* mod == 3 is #UD */
    U_REGONLY = 8,  /* mod != 3 is #UD */
    U_FORCEREG = 16 /* mod is ignored: always a register (MOV CR/DR) */
};

static const uint8_t spec_use[OPS_COUNT] = {
    [Eb] = U_RM, [Ew] = U_RM, [Ed] = U_RM, [Ev] = U_RM, [Ey] = U_RM,
    [RvMw] = U_RM, [RyMb] = U_RM, [RyMw] = U_RM, [RyMd] = U_RM,
    [Qd] = U_RM, [Qq] = U_RM, [Ww] = U_RM, [Wd] = U_RM, [Wq] = U_RM, [Wx] = U_RM,
    [M] = U_RM | U_MEMONLY, [Mb] = U_RM | U_MEMONLY, [Mw] = U_RM | U_MEMONLY,
    [Md] = U_RM | U_MEMONLY, [Mq] = U_RM | U_MEMONLY, [Mdq] = U_RM | U_MEMONLY,
    [Mv] = U_RM | U_MEMONLY, [My] = U_RM | U_MEMONLY, [Mp] = U_RM | U_MEMONLY,
    [Ms] = U_RM | U_MEMONLY, [Ma] = U_RM | U_MEMONLY,
    [Rv] = U_RM | U_REGONLY, [Nq] = U_RM | U_REGONLY, [Ux] = U_RM | U_REGONLY,
    [Rcr] = U_RM | U_FORCEREG,
    [Gb] = U_REG, [Gw] = U_REG, [Gd] = U_REG, [Gv] = U_REG, [Gy] = U_REG,
    [Sw] = U_REG, [Cd] = U_REG, [Dd] = U_REG, [Pq] = U_REG, [Vx] = U_REG,
};

/* The operand sizes an instruction's specs are resolved against. */
struct sizes {
    uint8_t v;   /* operand size */
    uint8_t y;   /* 8 with REX.W, else 4 */
    uint8_t z;   /* 2 or 4 */
    uint8_t a;   /* address size */
    bool m64;
};

/* Bounds check before reading n more bytes at offset i: the 15-byte limit
 * comes first, so a 16-byte instruction is TOOLONG even in a short buffer. */
#define NEED(n)                                                               \
    do {                                                                      \
        if (i + (n) > X86_MAX_INSN_LEN)                                       \
            return X86_DECODE_TOOLONG;                                        \
        if (i + (n) > avail)                                                  \
            return X86_DECODE_TRUNC;                                          \
    } while (0)

static int64_t read_signed(const uint8_t *p, unsigned n)
{
    switch (n) {
    case 1: return (int8_t)p[0];
    case 2: return (int16_t)(p[0] | p[1] << 8);
    case 4: return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
                             (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
    default: {
        uint64_t v = 0;
        for (unsigned k = 0; k < 8; k++)
            v |= (uint64_t)p[k] << (8 * k);
        return (int64_t)v;
    }
    }
}

static uint64_t read_unsigned(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < n; k++)
        v |= (uint64_t)p[k] << (8 * k);
    return v;
}

/* ModRM (mod != 3) / SIB / displacement into insn->mem; *pi advances past
 * them. Default segment SS for rBP/rSP-based forms (BP-based in 16-bit). */
static int decode_mem(const uint8_t *buf, size_t avail, unsigned *pi, uint8_t modrm,
                      uint8_t rex, const struct sizes *sz, int seg_override,
                      struct x86_mem_operand *mem)
{
    static const int8_t base16[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
    static const int8_t index16[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };
    unsigned i = *pi;
    unsigned mod = modrm >> 6, rm = modrm & 7;
    unsigned dispsz = 0;

    mem->scale = 1;
    mem->addr_size = sz->a;
    mem->rip_relative = 0;
    if (sz->a == 2) {
        if (mod == 0 && rm == 6) {
            mem->base = -1;
            mem->index = -1;
            dispsz = 2;
        } else {
            mem->base = base16[rm];
            mem->index = index16[rm];
            dispsz = mod == 1 ? 1 : mod == 2 ? 2 : 0;
        }
    } else {
        int base = rm | (rex & 1) << 3, index = -1;
        if (rm == 4) {
            NEED(1);
            uint8_t sib = buf[i++];
            index = ((sib >> 3) & 7) | (rex & 2) << 2;
            if (index == 4)
                index = -1; /* and the scale means nothing */
            else
                mem->scale = 1 << (sib >> 6);
            base = (sib & 7) | (rex & 1) << 3;
            if ((sib & 7) == 5 && mod == 0) {
                base = -1;
                dispsz = 4;
            }
        } else if (rm == 5 && mod == 0) {
            base = -1;
            dispsz = 4;
            mem->rip_relative = sz->m64;
        }
        if (mod == 1)
            dispsz = 1;
        else if (mod == 2)
            dispsz = 4;
        mem->base = base;
        mem->index = index;
    }
    if (dispsz) {
        NEED(dispsz);
        mem->disp = read_signed(buf + i, dispsz);
        i += dispsz;
    } else {
        mem->disp = 0;
    }
    if (seg_override >= 0)
        mem->seg = seg_override;
    else if (mem->base == 4 || mem->base == 5)
        mem->seg = 2; /* SS */
    else
        mem->seg = 3; /* DS */
    *pi = i;
    return 0;
}

static void set_gpr(struct x86_operand *o, unsigned num, unsigned size, bool rex)
{
    o->kind = X86_OPK_REG;
    o->size = size;
    if (size == 1 && !rex && num >= 4 && num < 8) {
        o->reg = num - 4; /* AH CH DH BH */
        o->high8 = 1;
    } else {
        o->reg = num;
    }
}

/* Register operand of an rm-type spec when mod == 3. */
static void set_rm_reg(struct x86_operand *o, unsigned spec, unsigned rmnum, uint8_t rex,
                       const struct sizes *sz)
{
    switch (spec) {
    case Eb: set_gpr(o, rmnum, 1, rex); break;
    case Ew: set_gpr(o, rmnum, 2, rex); break;
    case Ed: set_gpr(o, rmnum, 4, rex); break;
    case Ev: case RvMw: case Rv: set_gpr(o, rmnum, sz->v, rex); break;
    case Ey: case RyMb: case RyMw: case RyMd: set_gpr(o, rmnum, sz->y, rex); break;
    case Rcr: set_gpr(o, rmnum, sz->m64 ? 8 : 4, rex); break;
    case Qd: case Qq: case Nq:
        o->kind = X86_OPK_MMX;
        o->size = 8;
        o->reg = rmnum & 7;
        break;
    default: /* W, U */
        o->kind = X86_OPK_XMM;
        o->size = 16;
        o->reg = rmnum;
        break;
    }
}

/* Memory access size of an rm-type spec (0: no access, or not fixed). */
static unsigned mem_size(unsigned spec, const struct sizes *sz)
{
    switch (spec) {
    case Eb: case Mb: case RyMb: return 1;
    case Ew: case Mw: case RvMw: case RyMw: case Ww: return 2;
    case Ed: case Md: case Qd: case Wd: case RyMd: return 4;
    case Qq: case Wq: case Mq: return 8;
    case Wx: case Mdq: return 16;
    case Ev: case Mv: return sz->v;
    case Ey: case My: return sz->y;
    case Mp: return 2 + sz->v;
    case Ms: return sz->m64 ? 10 : 6;
    case Ma: return 2 * sz->v;
    default: return 0;
    }
}

static uint64_t trunc_to(uint64_t v, unsigned size)
{
    return size >= 8 ? v : v & ((1ull << (8 * size)) - 1);
}

int x86_decode(const uint8_t *buf, size_t avail, unsigned code_bits, uint64_t pc,
               struct x86_insn *insn)
{
    const bool m64 = code_bits == 64;
    unsigned i = 0;
    uint8_t pfx = 0, rex = 0, last_rep = 0, b;
    int seg = -1, rel_op = -1;

    /* Every header field is assigned below; only the operands and the
     * memory operand start from zero. (A memset of the whole struct is
     * compiled to rep stos, a fifth of the decode time.) */
    memset(insn->op, 0, sizeof(insn->op));
    insn->mem = (struct x86_mem_operand){ .base = -1, .index = -1, .scale = 1 };
    insn->mnemonic = X86_INVALID;
    insn->len = 0;
    insn->far_seg = 0;
    insn->cond = 0;
    insn->nops = 0;
    insn->pc = pc;

    /* Legacy prefixes in any order; REX counts only as the last byte before
     * the opcode (a legacy prefix after it cancels it). */
    for (;;) {
        NEED(1);
        b = buf[i];
        switch (b) {
        case 0xf0: pfx |= X86_PFX_LOCK; break;
        case 0xf2: case 0xf3: last_rep = b; break;
        case 0x26: seg = 0; break;
        case 0x2e: seg = 1; break;
        case 0x36: seg = 2; break;
        case 0x3e: seg = 3; break;
        case 0x64: seg = 4; break;
        case 0x65: seg = 5; break;
        case 0x66: pfx |= X86_PFX_OPSIZE; break;
        case 0x67: pfx |= X86_PFX_ADSIZE; break;
        default:
            if (m64 && (b & 0xf0) == 0x40) {
                rex = b;
                i++;
                continue;
            }
            goto opcode;
        }
        rex = 0;
        i++;
    }
opcode:
    i++;
    if (last_rep == 0xf3)
        pfx |= X86_PFX_REP;
    else if (last_rep == 0xf2)
        pfx |= X86_PFX_REPNE;
    if (rex)
        pfx |= X86_PFX_REX;

    /* Opcode map, then the column its mandatory prefix selects: the last
     * F2/F3, else 66. A prefix an SSE opcode does not define is #UD, as the
     * hardware does (66 0F 52, F2 0F 52 and 66 0F AE /0 all fault). */
    unsigned map = 0, col = PFX_NONE;
    const struct x86_opdef *d;
    if (b == 0x0f) {
        NEED(1);
        b = buf[i++];
        map = 1;
        if (b == 0x38 || b == 0x3a) {
            map = b == 0x38 ? 2 : 3;
            NEED(1);
            b = buf[i++];
        }
    }
    if (map == 0) {
        d = &x86_map1[b];
    } else {
        const struct x86_opdef *row = map == 1 ? x86_map0f[b]
                                    : map == 2 ? x86_map0f38[b] : x86_map0f3a[b];
        col = last_rep == 0xf3 ? PFX_F3 : last_rep == 0xf2 ? PFX_F2
            : (pfx & X86_PFX_OPSIZE) ? PFX_66 : PFX_NONE;
        d = &row[col];
    }

    /* Follow groups (by ModRM.reg, then rm) and mode alternatives. Members
     * that list no operands take their parent row's. */
    const uint8_t *ops = d->op;
    uint16_t flags = 0;
    uint8_t modrm = 0;
    bool have_modrm = false;
    for (;;) {
        if (d->mnem == X86_INVALID && !(d->f & F_REDIRECT))
            return X86_DECODE_UD;
        flags |= d->f & ~F_REDIRECT;
        if (d->op[0] != OPS_NONE)
            ops = d->op;
        if ((d->f & F_ALT64) && m64) {
            d = &x86_alt64[d->sub];
            continue;
        }
        if (!(d->f & (F_GRP | F_RMG)))
            break;
        if (!have_modrm) {
            NEED(1);
            modrm = buf[i++];
            have_modrm = true;
        }
        if (d->f & F_GRP) {
            const struct x86_group *g = &x86_groups[d->sub];
            d = (modrm >> 6) == 3 ? &g->reg[(modrm >> 3) & 7] : &g->mem[(modrm >> 3) & 7];
        } else {
            d = &x86_rmgroups[d->sub][modrm & 7];
        }
    }
    if ((flags & F_I64) && m64)
        return X86_DECODE_UD;
    if ((flags & F_O64) && !m64)
        return X86_DECODE_UD;

    struct sizes sz;
    sz.m64 = m64;
    if (m64) {
        if (flags & F_F64)
            sz.v = 8;
        else if (rex & 8)
            sz.v = 8;
        else if (pfx & X86_PFX_OPSIZE)
            sz.v = 2;
        else
            sz.v = (flags & F_D64) ? 8 : 4;
        sz.a = (pfx & X86_PFX_ADSIZE) ? 4 : 8;
    } else {
        sz.v = ((code_bits == 16) != !!(pfx & X86_PFX_OPSIZE)) ? 2 : 4;
        sz.a = ((code_bits == 16) != !!(pfx & X86_PFX_ADSIZE)) ? 2 : 4;
    }
    sz.y = (m64 && (rex & 8)) ? 8 : 4;
    if (flags & F_SSE)
        sz.v = sz.y;
    sz.z = sz.v == 2 ? 2 : 4;

    insn->mnemonic = d->mnem;
    insn->map = map;
    insn->opcode = b;
    insn->pfx_col = (uint8_t)col;
    insn->rex = rex;
    insn->prefixes = pfx;
    insn->seg_override = seg;
    insn->opsize = sz.v;
    insn->addrsize = sz.a;
    if (flags & F_CC)
        insn->cond = b & 0xf;

    /* x87 escapes: the ModRM alone says what the instruction is. */
    if (flags & F_X87) {
        if (pfx & X86_PFX_LOCK)
            return X86_DECODE_UD;
        NEED(1);
        modrm = buf[i++];
        insn->modrm = modrm;
        insn->has_modrm = 1;
        unsigned esc = b - 0xd8, reg = (modrm >> 3) & 7;
        if ((modrm >> 6) == 3) {
            if (!((x86_x87_regvalid[esc] >> (modrm - 0xc0)) & 1))
                return X86_DECODE_UD;
            /* Only the rows that take ST(i) get it as an operand. */
            if (((x86_x87_regvalid[esc] >> (8 * reg)) & 0xff) == 0xff) {
                insn->op[0].kind = X86_OPK_ST;
                insn->op[0].reg = modrm & 7;
                insn->op[0].size = 10;
                insn->nops = 1;
            }
        } else {
            uint8_t msz = x86_x87_memsize[esc][reg];
            if (msz == X87_BAD)
                return X86_DECODE_UD;
            int r = decode_mem(buf, avail, &i, modrm, rex, &sz, seg, &insn->mem);
            if (r)
                return r;
            insn->op[0].kind = X86_OPK_MEM;
            insn->op[0].size = msz;
            insn->nops = 1;
        }
        goto done;
    }

    unsigned use = 0, nops = 0;
    while (nops < 3 && ops[nops] != OPS_NONE)
        use |= spec_use[ops[nops++]];
    if ((use & (U_RM | U_REG)) && !have_modrm) {
        NEED(1);
        modrm = buf[i++];
        have_modrm = true;
    }
    const unsigned mod = modrm >> 6;
    const bool rm_is_mem = have_modrm && mod != 3 && !(use & U_FORCEREG);
    if ((use & U_MEMONLY) && !rm_is_mem)
        return X86_DECODE_UD;
    if ((use & U_REGONLY) && rm_is_mem)
        return X86_DECODE_UD;
    /* LOCK only on the read-modify-write forms with a memory destination. */
    if ((pfx & X86_PFX_LOCK) && (!(flags & F_LK) || !rm_is_mem))
        return X86_DECODE_UD;
    insn->modrm = modrm;
    insn->has_modrm = have_modrm;
    if (rm_is_mem) {
        int r = decode_mem(buf, avail, &i, modrm, rex, &sz, seg, &insn->mem);
        if (r)
            return r;
    }

    const unsigned regnum = ((modrm >> 3) & 7) | (rex & 4) << 1;
    const unsigned rmnum = (modrm & 7) | (rex & 1) << 3;
    const bool has_rex = rex != 0;
    bool mem_is_x = false;
    for (unsigned n = 0; n < nops; n++) {
        unsigned spec = ops[n];
        struct x86_operand *o = &insn->op[n];
        unsigned k;
        switch (spec) {
        case Eb: case Ew: case Ed: case Ev: case Ey: case RvMw: case RyMb: case RyMw: case RyMd:
        case Qd: case Qq: case Ww: case Wd: case Wq: case Wx:
        case M: case Mb: case Mw: case Md: case Mq: case Mdq: case Mv: case My:
        case Mp: case Ms: case Ma: case Rv: case Nq: case Ux: case Rcr:
            if (rm_is_mem) {
                o->kind = X86_OPK_MEM;
                o->size = mem_size(spec, &sz);
            } else {
                set_rm_reg(o, spec, rmnum, rex, &sz);
            }
            break;
        case Gb: set_gpr(o, regnum, 1, has_rex); break;
        case Gw: set_gpr(o, regnum, 2, has_rex); break;
        case Gd: set_gpr(o, regnum, 4, has_rex); break;
        case Gv: set_gpr(o, regnum, sz.v, has_rex); break;
        case Gy: set_gpr(o, regnum, sz.y, has_rex); break;
        case Sw:
            /* Only six segment registers; CS cannot be loaded by MOV. */
            k = (modrm >> 3) & 7;
            if (k > 5 || (n == 0 && k == 1))
                return X86_DECODE_UD;
            o->kind = X86_OPK_SEG;
            o->size = 2;
            o->reg = k;
            break;
        case Cd:
            if (regnum != 0 && regnum != 2 && regnum != 3 && regnum != 4 && regnum != 8)
                return X86_DECODE_UD;
            o->kind = X86_OPK_CR;
            o->size = m64 ? 8 : 4;
            o->reg = regnum;
            break;
        case Dd:
            if (regnum > 7)
                return X86_DECODE_UD;
            o->kind = X86_OPK_DR;
            o->size = m64 ? 8 : 4;
            o->reg = regnum;
            break;
        case Pq:
            o->kind = X86_OPK_MMX;
            o->size = 8;
            o->reg = (modrm >> 3) & 7;
            break;
        case Vx:
            o->kind = X86_OPK_XMM;
            o->size = 16;
            o->reg = regnum;
            break;
        case Ib: case Ibs: case Iw: case Iz: case Iv:
            k = spec == Ib || spec == Ibs ? 1 : spec == Iw ? 2 : spec == Iz ? sz.z : sz.v;
            NEED(k);
            o->kind = X86_OPK_IMM;
            if (spec == Ib || spec == Iw) {
                o->value = (int64_t)read_unsigned(buf + i, k);
                o->size = k;
            } else {
                o->value = read_signed(buf + i, k);
                o->size = sz.v;
            }
            i += k;
            break;
        case I1:
            o->kind = X86_OPK_IMM;
            o->size = 1;
            o->value = 1;
            break;
        case Jb: case Jz:
            k = spec == Jb ? 1 : sz.z;
            NEED(k);
            o->kind = X86_OPK_REL;
            o->size = sz.v;
            o->value = read_signed(buf + i, k);
            i += k;
            rel_op = n;
            break;
        case Ap:
            k = sz.z;
            NEED(k + 2);
            o->kind = X86_OPK_FAR;
            o->size = k + 2;
            o->value = (int64_t)read_unsigned(buf + i, k);
            insn->far_seg = (uint16_t)read_unsigned(buf + i + k, 2);
            i += k + 2;
            break;
        case Ob: case Ov:
            NEED(sz.a);
            o->kind = X86_OPK_MEM;
            o->size = spec == Ob ? 1 : sz.v;
            insn->mem.seg = seg >= 0 ? seg : 3;
            insn->mem.base = -1;
            insn->mem.index = -1;
            insn->mem.scale = 1;
            insn->mem.addr_size = sz.a;
            insn->mem.disp = (int64_t)read_unsigned(buf + i, sz.a);
            i += sz.a;
            break;
        case AL: set_gpr(o, 0, 1, true); break;
        case CL: set_gpr(o, 1, 1, true); break;
        case DX: set_gpr(o, 2, 2, true); break;
        case rAX: set_gpr(o, 0, sz.v, true); break;
        case eAX: set_gpr(o, 0, sz.z, true); break;
        case sES: case sCS: case sSS: case sDS: case sFS: case sGS:
            o->kind = X86_OPK_SEG;
            o->size = 2;
            o->reg = spec - sES;
            break;
        case Zb: set_gpr(o, (b & 7) | (rex & 1) << 3, 1, has_rex); break;
        case Zv: set_gpr(o, (b & 7) | (rex & 1) << 3, sz.v, has_rex); break;
        case Xb: case Xv: case Xz: case XL:
            o->kind = X86_OPK_MEM;
            o->size = spec == Xv ? sz.v : spec == Xz ? sz.z : 1;
            o->reg = spec == XL ? 3 : 6; /* the implicit base: rBX or rSI */
            insn->mem.seg = seg >= 0 ? seg : 3;
            insn->mem.base = o->reg;
            insn->mem.index = -1;
            insn->mem.scale = 1;
            insn->mem.addr_size = sz.a;
            mem_is_x = true;
            break;
        case Yb: case Yv: case Yz:
            o->kind = X86_OPK_MEM;
            o->size = spec == Yv ? sz.v : spec == Yz ? sz.z : 1;
            o->reg = 7;
            /* insn->mem describes the DS:rSI side when there is one (an X
             * operand after this one overwrites it). */
            if (!mem_is_x) {
                insn->mem.seg = 0;
                insn->mem.base = 7;
                insn->mem.index = -1;
                insn->mem.scale = 1;
                insn->mem.addr_size = sz.a;
            }
            break;
        default:
            return X86_DECODE_UD;
        }
    }
    insn->nops = nops;

    /* The few rows the tables cannot say alone. */
    if (map == 0 && b == 0x90 && insn->op[0].reg == 0) {
        /* 90 without REX.B is NOP (XCHG eAX,eAX would zero-extend in 64-bit
         * mode, NOP does not); F3 90 is PAUSE. */
        insn->mnemonic = last_rep == 0xf3 ? X86_PAUSE : X86_NOP;
        insn->nops = 0;
        memset(insn->op, 0, sizeof(insn->op));
    } else if (insn->mnemonic == X86_CMPXCHG8B && (rex & 8)) {
        insn->mnemonic = X86_CMPXCHG16B;
        insn->op[0].size = 16;
    } else if (insn->mnemonic == X86_ENTER) {
        insn->far_seg = (uint16_t)insn->op[1].value;
    }

done:
    insn->len = i;
    if (rel_op >= 0) {
        struct x86_operand *o = &insn->op[rel_op];
        o->value = (int64_t)trunc_to(pc + i + (uint64_t)o->value, o->size);
    }
    if (insn->mem.rip_relative)
        insn->mem.disp = (int64_t)((uint64_t)insn->mem.disp + pc + i);
    return (int)i;
}
