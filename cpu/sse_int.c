/* MMX, SSE2, SSSE3 and SSE4.1 integer, shuffle and move instructions (and
 * SSE4.2's PCMPGTQ) as pure functions on register values; the SSE4.2 string
 * compares are in sse_string.c. */
#include <string.h>

#include "cpu/sse.h"

typedef union sse_reg vreg;

static int8_t sat_s8(int32_t v)
{
    return (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
}

static uint8_t sat_u8(int32_t v)
{
    return (uint8_t)(v > 255 ? 255 : v < 0 ? 0 : v);
}

static int16_t sat_s16(int32_t v)
{
    return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

static uint16_t sat_u16(int32_t v)
{
    return (uint16_t)(v > 65535 ? 65535 : v < 0 ? 0 : v);
}

/* One 64-bit lane shifted right arithmetically, without relying on how the
 * compiler shifts negative values. */
static uint64_t sar64(uint64_t v, unsigned bits, unsigned count)
{
    uint64_t sign = (v >> (bits - 1)) & 1;
    uint64_t r = v >> count;
    if (sign && count)
        r |= ~0ull << (bits - count);
    return bits == 64 ? r : r & ((1ull << bits) - 1);
}

static uint64_t lane_get(const vreg *r, unsigned size, unsigned i)
{
    switch (size) {
    case 2: return r->w[i];
    case 4: return r->d[i];
    default: return r->q[i];
    }
}

static void lane_set(vreg *r, unsigned size, unsigned i, uint64_t v)
{
    switch (size) {
    case 2: r->w[i] = (uint16_t)v; break;
    case 4: r->d[i] = (uint32_t)v; break;
    default: r->q[i] = v; break;
    }
}

enum shift_kind { SHIFT_RL, SHIFT_RA, SHIFT_L };

/* PSRL/PSRA/PSLL on lanes of `size` bytes: counts past the lane width clear
 * the lane, or fill it with the sign for the arithmetic shift. */
static void shift_lanes(vreg *r, const vreg *a, unsigned n, unsigned size,
                        enum shift_kind kind, uint64_t count)
{
    unsigned bits = size * 8;
    for (unsigned i = 0; i < n / size; i++) {
        uint64_t v = lane_get(a, size, i), out;
        if (kind == SHIFT_RA)
            out = sar64(v, bits, count >= bits ? bits - 1 : (unsigned)count);
        else if (count >= bits)
            out = 0;
        else if (kind == SHIFT_L)
            out = v << count;
        else
            out = v >> count;
        lane_set(r, size, i, out);
    }
}

/* PSRLDQ/PSLLDQ: whole-register byte shifts. */
static void shift_bytes(vreg *r, const vreg *a, unsigned count, bool left)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned from = left ? i - count : i + count;
        bool in = left ? i >= count : i + count < 16;
        r->b[i] = in ? a->b[from] : 0;
    }
}

#define EACH(T, f, expr) \
    for (unsigned i = 0; i < n / sizeof(T); i++) r.f[i] = (expr)
#define MASK(c) ((c) ? ~0ull : 0)

/* The element-wise and pairwise operations of the MMX/SSE2 rows (no prefix:
 * MMX, n = 8; 66: SSE2, n = 16) of map 0F and of the SSSE3 rows of 0F 38.
 * a is the destination's value, b the source. Returns false for an opcode
 * that is not one of them. */
static bool packed_op(vreg *out, const vreg *pa, const vreg *pb, unsigned map,
                      unsigned op, unsigned n)
{
    vreg r, a = *pa, b = *pb;
    memset(&r, 0, sizeof r);
    unsigned half = n / 2;

    if (map == 2) {
        switch (op) {
        case 0x00: /* PSHUFB */
            EACH(uint8_t, b, (b.b[i] & 0x80) ? 0 : a.b[b.b[i] & (n - 1)]);
            break;
        case 0x01: /* PHADDW */
        case 0x03: /* PHADDSW */
        case 0x05: /* PHSUBW */
        case 0x07: /* PHSUBSW */
            for (unsigned i = 0; i < n / 4; i++) {
                int32_t x, y;
                if (op & 4) {
                    x = a.sw[2 * i] - a.sw[2 * i + 1];
                    y = b.sw[2 * i] - b.sw[2 * i + 1];
                } else {
                    x = a.sw[2 * i] + a.sw[2 * i + 1];
                    y = b.sw[2 * i] + b.sw[2 * i + 1];
                }
                if (op & 2) {
                    r.sw[i] = sat_s16(x);
                    r.sw[n / 4 + i] = sat_s16(y);
                } else {
                    r.w[i] = (uint16_t)x;
                    r.w[n / 4 + i] = (uint16_t)y;
                }
            }
            break;
        case 0x02: /* PHADDD */
        case 0x06: /* PHSUBD */
            for (unsigned i = 0; i < n / 8; i++) {
                r.d[i] = op == 2 ? a.d[2 * i] + a.d[2 * i + 1] : a.d[2 * i] - a.d[2 * i + 1];
                r.d[n / 8 + i] = op == 2 ? b.d[2 * i] + b.d[2 * i + 1]
                                         : b.d[2 * i] - b.d[2 * i + 1];
            }
            break;
        case 0x04: /* PMADDUBSW: unsigned bytes of the destination, signed of the source */
            EACH(uint16_t, sw, sat_s16(a.b[2 * i] * b.sb[2 * i] + a.b[2 * i + 1] * b.sb[2 * i + 1]));
            break;
        case 0x08: /* PSIGNB */
            EACH(uint8_t, b, b.sb[i] < 0 ? (uint8_t)(0u - a.b[i]) : b.sb[i] ? a.b[i] : 0);
            break;
        case 0x09: /* PSIGNW */
            EACH(uint16_t, w, b.sw[i] < 0 ? (uint16_t)(0u - a.w[i]) : b.sw[i] ? a.w[i] : 0);
            break;
        case 0x0a: /* PSIGND */
            EACH(uint32_t, d, b.sd[i] < 0 ? 0u - a.d[i] : b.sd[i] ? a.d[i] : 0);
            break;
        case 0x0b: /* PMULHRSW: bits 16:1 of the product >> 14, plus one; only
                    * bits 30:14 of the product matter, so an unsigned shift does */
            EACH(uint16_t, w, (uint16_t)(((((uint32_t)(a.sw[i] * b.sw[i])) >> 14) + 1) >> 1));
            break;
        case 0x1c: /* PABSB */
            EACH(uint8_t, b, b.sb[i] < 0 ? (uint8_t)(0u - b.b[i]) : b.b[i]);
            break;
        case 0x1d: /* PABSW */
            EACH(uint16_t, w, b.sw[i] < 0 ? (uint16_t)(0u - b.w[i]) : b.w[i]);
            break;
        case 0x1e: /* PABSD */
            EACH(uint32_t, d, b.sd[i] < 0 ? 0u - b.d[i] : b.d[i]);
            break;
        default:
            return false;
        }
        memcpy(out->b, r.b, n);
        return true;
    }

    switch (op) {
    case 0x60: /* PUNPCKLBW */
        for (unsigned i = 0; i < half; i++) {
            r.b[2 * i] = a.b[i];
            r.b[2 * i + 1] = b.b[i];
        }
        break;
    case 0x61: /* PUNPCKLWD */
        for (unsigned i = 0; i < half / 2; i++) {
            r.w[2 * i] = a.w[i];
            r.w[2 * i + 1] = b.w[i];
        }
        break;
    case 0x62: /* PUNPCKLDQ */
        for (unsigned i = 0; i < half / 4; i++) {
            r.d[2 * i] = a.d[i];
            r.d[2 * i + 1] = b.d[i];
        }
        break;
    case 0x68: /* PUNPCKHBW */
        for (unsigned i = 0; i < half; i++) {
            r.b[2 * i] = a.b[half + i];
            r.b[2 * i + 1] = b.b[half + i];
        }
        break;
    case 0x69: /* PUNPCKHWD */
        for (unsigned i = 0; i < half / 2; i++) {
            r.w[2 * i] = a.w[half / 2 + i];
            r.w[2 * i + 1] = b.w[half / 2 + i];
        }
        break;
    case 0x6a: /* PUNPCKHDQ */
        for (unsigned i = 0; i < half / 4; i++) {
            r.d[2 * i] = a.d[half / 4 + i];
            r.d[2 * i + 1] = b.d[half / 4 + i];
        }
        break;
    case 0x63: /* PACKSSWB */
        for (unsigned i = 0; i < n / 2; i++) {
            r.sb[i] = sat_s8(a.sw[i]);
            r.sb[n / 2 + i] = sat_s8(b.sw[i]);
        }
        break;
    case 0x67: /* PACKUSWB */
        for (unsigned i = 0; i < n / 2; i++) {
            r.b[i] = sat_u8(a.sw[i]);
            r.b[n / 2 + i] = sat_u8(b.sw[i]);
        }
        break;
    case 0x6b: /* PACKSSDW */
        for (unsigned i = 0; i < n / 4; i++) {
            r.sw[i] = sat_s16(a.sd[i]);
            r.sw[n / 4 + i] = sat_s16(b.sd[i]);
        }
        break;
    case 0x64: EACH(uint8_t, b, (uint8_t)MASK(a.sb[i] > b.sb[i])); break;   /* PCMPGTB */
    case 0x65: EACH(uint16_t, w, (uint16_t)MASK(a.sw[i] > b.sw[i])); break; /* PCMPGTW */
    case 0x66: EACH(uint32_t, d, (uint32_t)MASK(a.sd[i] > b.sd[i])); break; /* PCMPGTD */
    case 0x74: EACH(uint8_t, b, (uint8_t)MASK(a.b[i] == b.b[i])); break;    /* PCMPEQB */
    case 0x75: EACH(uint16_t, w, (uint16_t)MASK(a.w[i] == b.w[i])); break;  /* PCMPEQW */
    case 0x76: EACH(uint32_t, d, (uint32_t)MASK(a.d[i] == b.d[i])); break;  /* PCMPEQD */
    case 0xd1: shift_lanes(&r, &a, n, 2, SHIFT_RL, b.q[0]); break; /* PSRLW */
    case 0xd2: shift_lanes(&r, &a, n, 4, SHIFT_RL, b.q[0]); break; /* PSRLD */
    case 0xd3: shift_lanes(&r, &a, n, 8, SHIFT_RL, b.q[0]); break; /* PSRLQ */
    case 0xe1: shift_lanes(&r, &a, n, 2, SHIFT_RA, b.q[0]); break; /* PSRAW */
    case 0xe2: shift_lanes(&r, &a, n, 4, SHIFT_RA, b.q[0]); break; /* PSRAD */
    case 0xf1: shift_lanes(&r, &a, n, 2, SHIFT_L, b.q[0]); break;  /* PSLLW */
    case 0xf2: shift_lanes(&r, &a, n, 4, SHIFT_L, b.q[0]); break;  /* PSLLD */
    case 0xf3: shift_lanes(&r, &a, n, 8, SHIFT_L, b.q[0]); break;  /* PSLLQ */
    case 0xd4: EACH(uint64_t, q, a.q[i] + b.q[i]); break; /* PADDQ */
    case 0xd5: /* PMULLW (unsigned factors: a 16x16 product can overflow int) */
        EACH(uint16_t, w, (uint16_t)((uint32_t)a.w[i] * b.w[i]));
        break;
    case 0xd8: EACH(uint8_t, b, sat_u8(a.b[i] - b.b[i])); break;    /* PSUBUSB */
    case 0xd9: EACH(uint16_t, w, sat_u16(a.w[i] - b.w[i])); break;  /* PSUBUSW */
    case 0xda: EACH(uint8_t, b, a.b[i] < b.b[i] ? a.b[i] : b.b[i]); break; /* PMINUB */
    case 0xdb: EACH(uint64_t, q, a.q[i] & b.q[i]); break;           /* PAND */
    case 0xdc: EACH(uint8_t, b, sat_u8(a.b[i] + b.b[i])); break;    /* PADDUSB */
    case 0xdd: EACH(uint16_t, w, sat_u16(a.w[i] + b.w[i])); break;  /* PADDUSW */
    case 0xde: EACH(uint8_t, b, a.b[i] > b.b[i] ? a.b[i] : b.b[i]); break; /* PMAXUB */
    case 0xdf: EACH(uint64_t, q, ~a.q[i] & b.q[i]); break;          /* PANDN */
    case 0xe0: EACH(uint8_t, b, (uint8_t)((a.b[i] + b.b[i] + 1) >> 1)); break;  /* PAVGB */
    case 0xe3: EACH(uint16_t, w, (uint16_t)((a.w[i] + b.w[i] + 1) >> 1)); break; /* PAVGW */
    case 0xe4: EACH(uint16_t, w, (uint16_t)(((uint32_t)a.w[i] * b.w[i]) >> 16)); break; /* PMULHUW */
    case 0xe5: /* PMULHW: the high half of the two's-complement product */
        EACH(uint16_t, w, (uint16_t)((uint32_t)(a.sw[i] * b.sw[i]) >> 16));
        break;
    case 0xe8: EACH(int8_t, sb, sat_s8(a.sb[i] - b.sb[i])); break;    /* PSUBSB */
    case 0xe9: EACH(int16_t, sw, sat_s16(a.sw[i] - b.sw[i])); break;  /* PSUBSW */
    case 0xea: EACH(int16_t, sw, a.sw[i] < b.sw[i] ? a.sw[i] : b.sw[i]); break; /* PMINSW */
    case 0xeb: EACH(uint64_t, q, a.q[i] | b.q[i]); break;             /* POR */
    case 0xec: EACH(int8_t, sb, sat_s8(a.sb[i] + b.sb[i])); break;    /* PADDSB */
    case 0xed: EACH(int16_t, sw, sat_s16(a.sw[i] + b.sw[i])); break;  /* PADDSW */
    case 0xee: EACH(int16_t, sw, a.sw[i] > b.sw[i] ? a.sw[i] : b.sw[i]); break; /* PMAXSW */
    case 0xef: EACH(uint64_t, q, a.q[i] ^ b.q[i]); break;             /* PXOR */
    case 0xf4: EACH(uint64_t, q, (uint64_t)a.d[2 * i] * b.d[2 * i]); break; /* PMULUDQ */
    case 0xf5: /* PMADDWD: two products of 2^30 overflow int32 when added */
        EACH(uint32_t, d, (uint32_t)(a.sw[2 * i] * b.sw[2 * i]) +
                          (uint32_t)(a.sw[2 * i + 1] * b.sw[2 * i + 1]));
        break;
    case 0xf6: /* PSADBW */
        for (unsigned i = 0; i < n / 8; i++) {
            unsigned sum = 0;
            for (unsigned k = 8 * i; k < 8 * i + 8; k++)
                sum += a.b[k] > b.b[k] ? a.b[k] - b.b[k] : b.b[k] - a.b[k];
            r.q[i] = sum;
        }
        break;
    case 0xf8: EACH(uint8_t, b, (uint8_t)(a.b[i] - b.b[i])); break;   /* PSUBB */
    case 0xf9: EACH(uint16_t, w, (uint16_t)(a.w[i] - b.w[i])); break; /* PSUBW */
    case 0xfa: EACH(uint32_t, d, a.d[i] - b.d[i]); break;             /* PSUBD */
    case 0xfb: EACH(uint64_t, q, a.q[i] - b.q[i]); break;             /* PSUBQ */
    case 0xfc: EACH(uint8_t, b, (uint8_t)(a.b[i] + b.b[i])); break;   /* PADDB */
    case 0xfd: EACH(uint16_t, w, (uint16_t)(a.w[i] + b.w[i])); break; /* PADDW */
    case 0xfe: EACH(uint32_t, d, a.d[i] + b.d[i]); break;             /* PADDD */
    default:
        return false;
    }
    memcpy(out->b, r.b, n);
    return true;
}

/* Bytes of the MMX (none) or SSE2 (66) form of a dual row; 0 when the
 * prefix column is empty. */
static unsigned mmx_or_xmm(const struct sse_ctx *s)
{
    return s->pfx == SSE_PFX_NONE ? 8 : s->pfx == SSE_PFX_66 ? 16 : 0;
}

static uint64_t gpr_value(const struct sse_ctx *s)
{
    return s->rex_w ? s->src.q[0] : (uint32_t)s->src.q[0];
}

static void set_gpr(struct sse_ctx *s, uint64_t v)
{
    s->dst.q[0] = v;
    s->dst.q[1] = 0;
}

static enum sse_result pshuf(struct sse_ctx *s)
{
    vreg r = s->src;
    unsigned imm = s->imm;
    switch (s->pfx) {
    case SSE_PFX_NONE: /* PSHUFW */
        for (unsigned i = 0; i < 4; i++)
            s->dst.w[i] = r.w[(imm >> (2 * i)) & 3];
        return SSE_OK;
    case SSE_PFX_66: /* PSHUFD */
        for (unsigned i = 0; i < 4; i++)
            s->dst.d[i] = r.d[(imm >> (2 * i)) & 3];
        return SSE_OK;
    case SSE_PFX_F3: /* PSHUFHW */
        s->dst.q[0] = r.q[0];
        for (unsigned i = 0; i < 4; i++)
            s->dst.w[4 + i] = r.w[4 + ((imm >> (2 * i)) & 3)];
        return SSE_OK;
    default: /* PSHUFLW */
        s->dst.q[1] = r.q[1];
        for (unsigned i = 0; i < 4; i++)
            s->dst.w[i] = r.w[(imm >> (2 * i)) & 3];
        return SSE_OK;
    }
}

/* 0F 71/72/73: shifts of the register by imm8, ModRM.reg choosing. */
static enum sse_result shift_group(struct sse_ctx *s)
{
    unsigned n = mmx_or_xmm(s);
    if (!n)
        return SSE_UD;
    static const uint8_t size[3] = { 2, 4, 8 };
    unsigned sz = size[s->opcode - 0x71];
    vreg r = s->dst;
    switch (s->reg) {
    case 2: shift_lanes(&r, &s->dst, n, sz, SHIFT_RL, s->imm); break;
    case 4:
        if (sz == 8)
            return SSE_UD;
        shift_lanes(&r, &s->dst, n, sz, SHIFT_RA, s->imm);
        break;
    case 6: shift_lanes(&r, &s->dst, n, sz, SHIFT_L, s->imm); break;
    case 3:
    case 7: /* PSRLDQ, PSLLDQ */
        if (sz != 8 || n != 16)
            return SSE_UD;
        shift_bytes(&r, &s->dst, s->imm > 16 ? 16 : s->imm, s->reg == 7);
        break;
    default:
        return SSE_UD;
    }
    memcpy(s->dst.b, r.b, n);
    return SSE_OK;
}

static bool in_map0f(unsigned op)
{
    return (op >= 0x60 && op <= 0x76) || op == 0x7e || op == 0x7f || op == 0xc3 ||
           op == 0xc4 || op == 0xc5 || (op >= 0xd1 && op <= 0xef && op != 0xe6) ||
           (op >= 0xf0 && op <= 0xfe && op != 0xf7);
}

static enum sse_result map0f(struct sse_ctx *s)
{
    unsigned op = s->opcode, n;
    if (!in_map0f(op))
        return SSE_NOT_MINE;
    switch (op) {
    case 0x6c: /* PUNPCKLQDQ */
    case 0x6d: /* PUNPCKHQDQ */
        if (s->pfx != SSE_PFX_66)
            return SSE_UD;
        s->dst.q[0] = s->dst.q[op & 1];
        s->dst.q[1] = s->src.q[op & 1];
        return SSE_OK;
    case 0x6e: /* MOVD/MOVQ mm/xmm, r/m32/64 */
        if (!(n = mmx_or_xmm(s)))
            return SSE_UD;
        s->dst.q[0] = gpr_value(s);
        if (n == 16)
            s->dst.q[1] = 0;
        return SSE_OK;
    case 0x7e:
        if (s->pfx == SSE_PFX_F3) { /* MOVQ xmm, xmm/m64 */
            s->dst.q[0] = s->src.q[0];
            s->dst.q[1] = 0;
            return SSE_OK;
        }
        if (!mmx_or_xmm(s))
            return SSE_UD;
        /* MOVD/MOVQ r/m32/64, mm/xmm */
        set_gpr(s, s->rex_w ? s->src.q[0] : s->src.d[0]);
        return SSE_OK;
    case 0x6f: /* MOVQ mm, mm/m64; MOVDQA; MOVDQU (loads) */
    case 0x7f: /* and the stores */
        if (s->pfx == SSE_PFX_F2)
            return SSE_UD;
        if (s->pfx == SSE_PFX_NONE)
            s->dst.q[0] = s->src.q[0];
        else
            s->dst = s->src;
        return SSE_OK;
    case 0x70:
        return pshuf(s);
    case 0x71:
    case 0x72:
    case 0x73:
        return shift_group(s);
    case 0xc3: /* MOVNTI */
        if (s->pfx != SSE_PFX_NONE)
            return SSE_UD;
        set_gpr(s, gpr_value(s));
        return SSE_OK;
    case 0xc4: /* PINSRW */
        if (!(n = mmx_or_xmm(s)))
            return SSE_UD;
        s->dst.w[s->imm & (n / 2 - 1)] = s->src.w[0];
        return SSE_OK;
    case 0xc5: /* PEXTRW r32/64, mm/xmm */
        if (!(n = mmx_or_xmm(s)))
            return SSE_UD;
        set_gpr(s, s->src.w[s->imm & (n / 2 - 1)]);
        return SSE_OK;
    case 0xd6:
        switch (s->pfx) {
        case SSE_PFX_66: /* MOVQ xmm/m64, xmm */
        case SSE_PFX_F3: /* MOVQ2DQ xmm, mm */
            s->dst.q[0] = s->src.q[0];
            s->dst.q[1] = 0;
            return SSE_OK;
        case SSE_PFX_F2: /* MOVDQ2Q mm, xmm */
            s->dst.q[0] = s->src.q[0];
            return SSE_OK;
        default:
            return SSE_UD;
        }
    case 0xd7: { /* PMOVMSKB */
        if (!(n = mmx_or_xmm(s)))
            return SSE_UD;
        uint32_t m = 0;
        for (unsigned i = 0; i < n; i++)
            m |= (uint32_t)(s->src.b[i] >> 7) << i;
        set_gpr(s, m);
        return SSE_OK;
    }
    case 0xe7: /* MOVNTQ, MOVNTDQ */
        if (!(n = mmx_or_xmm(s)))
            return SSE_UD;
        memcpy(s->dst.b, s->src.b, n);
        return SSE_OK;
    case 0xf0: /* LDDQU */
        if (s->pfx != SSE_PFX_F2)
            return SSE_UD;
        s->dst = s->src;
        return SSE_OK;
    }
    if (!(n = mmx_or_xmm(s)))
        return SSE_UD;
    if (!packed_op(&s->dst, &s->dst, &s->src, 1, op, n))
        return SSE_UD;
    return SSE_OK;
}

/* 0F 38 rows of SSE4.1 (and PCMPGTQ), all with 66 and no MMX form. */
static enum sse_result sse41_op(struct sse_ctx *s)
{
    vreg r, a = s->dst, b = s->src;
    const unsigned n = 16;
    memset(&r, 0, sizeof r);
    switch (s->opcode) {
    case 0x10: /* PBLENDVB */
        EACH(uint8_t, b, (s->xmm0.b[i] & 0x80) ? b.b[i] : a.b[i]);
        break;
    case 0x17: { /* PTEST */
        uint64_t and = (a.q[0] & b.q[0]) | (a.q[1] & b.q[1]);
        uint64_t andn = (~a.q[0] & b.q[0]) | (~a.q[1] & b.q[1]);
        s->no_dst = true;
        s->set_flags = true;
        s->eflags = (and ? 0 : 0x40u) | (andn ? 0 : 0x01u);
        return SSE_OK;
    }
    case 0x20: for (unsigned i = 0; i < 8; i++) r.sw[i] = b.sb[i]; break; /* PMOVSXBW */
    case 0x21: for (unsigned i = 0; i < 4; i++) r.sd[i] = b.sb[i]; break; /* PMOVSXBD */
    case 0x22: for (unsigned i = 0; i < 2; i++) r.sq[i] = b.sb[i]; break; /* PMOVSXBQ */
    case 0x23: for (unsigned i = 0; i < 4; i++) r.sd[i] = b.sw[i]; break; /* PMOVSXWD */
    case 0x24: for (unsigned i = 0; i < 2; i++) r.sq[i] = b.sw[i]; break; /* PMOVSXWQ */
    case 0x25: for (unsigned i = 0; i < 2; i++) r.sq[i] = b.sd[i]; break; /* PMOVSXDQ */
    case 0x30: for (unsigned i = 0; i < 8; i++) r.w[i] = b.b[i]; break;   /* PMOVZXBW */
    case 0x31: for (unsigned i = 0; i < 4; i++) r.d[i] = b.b[i]; break;   /* PMOVZXBD */
    case 0x32: for (unsigned i = 0; i < 2; i++) r.q[i] = b.b[i]; break;   /* PMOVZXBQ */
    case 0x33: for (unsigned i = 0; i < 4; i++) r.d[i] = b.w[i]; break;   /* PMOVZXWD */
    case 0x34: for (unsigned i = 0; i < 2; i++) r.q[i] = b.w[i]; break;   /* PMOVZXWQ */
    case 0x35: for (unsigned i = 0; i < 2; i++) r.q[i] = b.d[i]; break;   /* PMOVZXDQ */
    case 0x28: /* PMULDQ */
        for (unsigned i = 0; i < 2; i++)
            r.sq[i] = (int64_t)a.sd[2 * i] * b.sd[2 * i];
        break;
    case 0x29: EACH(uint64_t, q, MASK(a.q[i] == b.q[i])); break;   /* PCMPEQQ */
    case 0x2a: r = b; break;                                        /* MOVNTDQA */
    case 0x2b: /* PACKUSDW */
        for (unsigned i = 0; i < 4; i++) {
            r.w[i] = sat_u16(a.sd[i]);
            r.w[4 + i] = sat_u16(b.sd[i]);
        }
        break;
    case 0x37: EACH(uint64_t, q, MASK(a.sq[i] > b.sq[i])); break;  /* PCMPGTQ */
    case 0x38: EACH(int8_t, sb, a.sb[i] < b.sb[i] ? a.sb[i] : b.sb[i]); break;   /* PMINSB */
    case 0x39: EACH(int32_t, sd, a.sd[i] < b.sd[i] ? a.sd[i] : b.sd[i]); break;  /* PMINSD */
    case 0x3a: EACH(uint16_t, w, a.w[i] < b.w[i] ? a.w[i] : b.w[i]); break;      /* PMINUW */
    case 0x3b: EACH(uint32_t, d, a.d[i] < b.d[i] ? a.d[i] : b.d[i]); break;      /* PMINUD */
    case 0x3c: EACH(int8_t, sb, a.sb[i] > b.sb[i] ? a.sb[i] : b.sb[i]); break;   /* PMAXSB */
    case 0x3d: EACH(int32_t, sd, a.sd[i] > b.sd[i] ? a.sd[i] : b.sd[i]); break;  /* PMAXSD */
    case 0x3e: EACH(uint16_t, w, a.w[i] > b.w[i] ? a.w[i] : b.w[i]); break;      /* PMAXUW */
    case 0x3f: EACH(uint32_t, d, a.d[i] > b.d[i] ? a.d[i] : b.d[i]); break;      /* PMAXUD */
    case 0x40: EACH(uint32_t, d, a.d[i] * b.d[i]); break;                        /* PMULLD */
    case 0x41: { /* PHMINPOSUW: the first of equal minima wins */
        unsigned at = 0;
        for (unsigned i = 1; i < 8; i++)
            if (b.w[i] < b.w[at])
                at = i;
        r.w[0] = b.w[at];
        r.w[1] = (uint16_t)at;
        break;
    }
    default:
        return SSE_NOT_MINE;
    }
    s->dst = r;
    return SSE_OK;
}

static bool in_map0f38(unsigned op)
{
    return op <= 0x0b || op == 0x10 || op == 0x17 || (op >= 0x1c && op <= 0x1e) ||
           (op >= 0x20 && op <= 0x25) || (op >= 0x28 && op <= 0x2b) ||
           (op >= 0x30 && op <= 0x35) || (op >= 0x37 && op <= 0x41);
}

static enum sse_result map0f38(struct sse_ctx *s)
{
    unsigned op = s->opcode;
    if (!in_map0f38(op))
        return SSE_NOT_MINE;
    if (op <= 0x0b || (op >= 0x1c && op <= 0x1e)) { /* SSSE3: MMX and XMM */
        unsigned n = mmx_or_xmm(s);
        if (!n)
            return SSE_UD;
        packed_op(&s->dst, &s->dst, &s->src, 2, op, n);
        return SSE_OK;
    }
    if (s->pfx != SSE_PFX_66)
        return SSE_UD;
    return sse41_op(s);
}

static enum sse_result map0f3a(struct sse_ctx *s)
{
    unsigned op = s->opcode, imm = s->imm;
    switch (op) {
    case 0x0e: case 0x14: case 0x15: case 0x16: case 0x20: case 0x22: case 0x42:
    case 0x60: case 0x61: case 0x62: case 0x63:
        if (s->pfx != SSE_PFX_66)
            return SSE_UD;
        break;
    case 0x0f:
        break;
    default:
        return SSE_NOT_MINE;
    }
    switch (op) {
    case 0x0e: /* PBLENDW */
        for (unsigned i = 0; i < 8; i++)
            if ((imm >> i) & 1)
                s->dst.w[i] = s->src.w[i];
        return SSE_OK;
    case 0x0f: { /* PALIGNR: the concatenation dst:src shifted right imm8 bytes */
        unsigned n = mmx_or_xmm(s);
        if (!n)
            return SSE_UD;
        uint8_t cat[32];
        vreg r;
        memcpy(cat, s->src.b, n);
        memcpy(cat + n, s->dst.b, n);
        for (unsigned i = 0; i < n; i++)
            r.b[i] = i + imm < 2 * n ? cat[i + imm] : 0;
        memcpy(s->dst.b, r.b, n);
        return SSE_OK;
    }
    case 0x14: set_gpr(s, s->src.b[imm & 15]); return SSE_OK; /* PEXTRB */
    case 0x15: set_gpr(s, s->src.w[imm & 7]); return SSE_OK;  /* PEXTRW */
    case 0x16: /* PEXTRD/PEXTRQ */
        set_gpr(s, s->rex_w ? s->src.q[imm & 1] : s->src.d[imm & 3]);
        return SSE_OK;
    case 0x20: s->dst.b[imm & 15] = s->src.b[0]; return SSE_OK; /* PINSRB */
    case 0x22: /* PINSRD/PINSRQ */
        if (s->rex_w)
            s->dst.q[imm & 1] = s->src.q[0];
        else
            s->dst.d[imm & 3] = s->src.d[0];
        return SSE_OK;
    case 0x42: { /* MPSADBW: eight 4-byte sums of absolute differences between
                  * sliding windows of dst and one 4-byte block of src */
        vreg r;
        unsigned aoff = imm & 4, boff = (imm & 3) * 4;
        for (unsigned i = 0; i < 8; i++) {
            unsigned sum = 0;
            for (unsigned k = 0; k < 4; k++) {
                unsigned x = s->dst.b[aoff + i + k], y = s->src.b[boff + k];
                sum += x > y ? x - y : y - x;
            }
            r.w[i] = (uint16_t)sum;
        }
        s->dst = r;
        return SSE_OK;
    }
    default:
        return sse_string_exec(s);
    }
}

enum sse_result sse_int_exec(struct sse_ctx *s)
{
    switch (s->map) {
    case 1: return map0f(s);
    case 2: return map0f38(s);
    case 3: return map0f3a(s);
    default: return SSE_NOT_MINE;
    }
}
