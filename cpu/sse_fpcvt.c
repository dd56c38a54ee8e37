/* SSE conversions between binary32, binary64 and integers, and ROUNDPS/PD/
 * SS/SD, in integer code with the x86 rounding, flags and NaN rules
 * (called from sse_fp_exec). */
#include "cpu/sse_fp_internal.h"

/* The magnitude of a finite value rounded to an integer by rc; *inexact
 * says whether bits were dropped. *big says it is 2^64 or more (the
 * magnitude is then meaningless). */
static uint64_t round_mag(const struct sfp_val *x, unsigned rc, bool *inexact, bool *big)
{
    uint64_t ip, rem, half;
    *big = false;
    if (x->cls == SFP_ZERO) {
        *inexact = false;
        return 0;
    }
    if (x->exp > 63) {
        *big = true;
        *inexact = false;
        return 0;
    }
    if (x->exp == 63) {
        ip = x->sig << 1;
        rem = half = 0;
    } else if (x->exp >= -1) {
        int sh = 62 - x->exp;   /* 0..63 */
        ip = sh == 63 ? 0 : x->sig >> sh;
        rem = sh == 63 ? x->sig : x->sig & ((1ull << sh) - 1);
        half = sh ? 1ull << (sh - 1) : 0;
    } else {   /* below one half, not zero */
        ip = 0;
        rem = 1;
        half = 2;
    }
    *inexact = rem != 0;
    if (round_up(rc, x->sign, ip & 1, rem, half) && !++ip)
        *big = true;
    return ip;
}

/* CVT(T)xx2SI/DQ/PI: the integer indefinite value for a NaN or a result
 * out of range. */
static uint64_t to_int(struct sfp *f, bool dbl, uint64_t a, bool trunc, bool is64)
{
    struct sfp_val x = sfp_unpack(f, dbl, a);
    uint64_t limit = is64 ? 1ull << 63 : 1ull << 31;
    uint64_t indefinite = limit;
    if (x.cls >= SFP_INF) {
        f->flags |= SSE_MXCSR_IE;
        return indefinite;
    }
    bool inexact, big;
    uint64_t m = round_mag(&x, trunc ? SFP_RZ : f->rc, &inexact, &big);
    if (big || (x.sign ? m > limit : m >= limit)) {
        f->flags |= SSE_MXCSR_IE;
        return indefinite;
    }
    if (inexact)
        f->flags |= SSE_MXCSR_PE;
    uint64_t v = x.sign ? 0 - m : m;
    return is64 ? v : (uint32_t)v;
}

static uint64_t from_int(struct sfp *f, bool dbl, int64_t v)
{
    if (!v)
        return 0;
    bool sign = v < 0;
    uint64_t m = sign ? 0 - (uint64_t)v : (uint64_t)v;
    return sfp_normpack(f, dbl, sign, 62, m);
}

/* binary32 <-> binary64; a NaN keeps its sign and top payload bits. */
static uint64_t cvt_float(struct sfp *f, bool to_dbl, uint64_t a)
{
    bool from_dbl = !to_dbl;
    struct sfp_val x = sfp_unpack(f, from_dbl, a);
    switch (x.cls) {
    case SFP_SNAN:
        f->flags |= SSE_MXCSR_IE;
        /* fall through */
    case SFP_QNAN:
        if (to_dbl)
            return (uint64_t)x.sign << 63 | 0x7ff8000000000000ull | (a & 0x7fffff) << 29;
        return (uint64_t)x.sign << 31 | 0x7fc00000u | ((a >> 29) & 0x3fffff);
    case SFP_INF:
        return sfp_inf(to_dbl, x.sign);
    case SFP_ZERO:
        return sfp_zero(to_dbl, x.sign);
    default:
        if (x.denormal)
            f->flags |= SSE_MXCSR_DE;
        return sfp_roundpack(f, to_dbl, x.sign, x.exp, x.sig);
    }
}

/* ROUNDxx: imm[1:0] rounding unless imm[2] says MXCSR.RC, imm[3]
 * suppresses the precision exception. */
static uint64_t round_int(struct sfp *f, bool dbl, uint64_t a, uint8_t imm)
{
    struct sfp_val x = sfp_unpack(f, dbl, a);
    if (x.cls == SFP_SNAN) {
        f->flags |= SSE_MXCSR_IE;
        return sfp_quiet(dbl, a);
    }
    if (x.cls == SFP_QNAN || x.cls == SFP_INF)
        return a;
    if (x.cls == SFP_ZERO)
        return sfp_zero(dbl, x.sign);
    if (x.exp >= sfp_fbits(dbl))
        return a;
    bool inexact, big;
    uint64_t m = round_mag(&x, imm & 4 ? f->rc : imm & 3u, &inexact, &big);
    if (inexact && !(imm & 8))
        f->flags |= SSE_MXCSR_PE;
    if (!m)
        return sfp_zero(dbl, x.sign);
    return sfp_normpack(f, dbl, x.sign, 62, m);
}

static enum sse_result cvt_0f(struct sse_ctx *s)
{
    struct sfp f;
    sfp_init(&f, s->mxcsr);
    union sse_reg r = s->dst;
    const union sse_reg *x = &s->src;
    switch (s->opcode) {
    case 0x2a:
        switch (s->pfx) {
        case SSE_PFX_NONE: /* CVTPI2PS */
            for (int i = 0; i < 2; i++)
                r.d[i] = (uint32_t)from_int(&f, false, x->sd[i]);
            break;
        case SSE_PFX_66:   /* CVTPI2PD */
            for (int i = 0; i < 2; i++)
                r.q[i] = from_int(&f, true, x->sd[i]);
            break;
        default: {         /* CVTSI2SS/SD */
            bool dbl = s->pfx == SSE_PFX_F2;
            int64_t v = s->rex_w ? x->sq[0] : x->sd[0];
            if (dbl)
                r.q[0] = from_int(&f, true, v);
            else
                r.d[0] = (uint32_t)from_int(&f, false, v);
            break;
        }
        }
        break;
    case 0x2c:   /* CVTTxx2PI/SI */
    case 0x2d:   /* CVTxx2PI/SI */ {
        bool trunc = s->opcode == 0x2c;
        switch (s->pfx) {
        case SSE_PFX_NONE:
        case SSE_PFX_66: {
            bool dbl = s->pfx == SSE_PFX_66;
            for (int i = 0; i < 2; i++)
                r.d[i] = (uint32_t)to_int(&f, dbl, dbl ? x->q[i] : x->d[i], trunc, false);
            break;
        }
        default: {
            bool dbl = s->pfx == SSE_PFX_F2;
            r.q[0] = to_int(&f, dbl, dbl ? x->q[0] : x->d[0], trunc, s->rex_w);
            break;
        }
        }
        break;
    }
    case 0x5a:
        switch (s->pfx) {
        case SSE_PFX_NONE: { /* CVTPS2PD */
            uint32_t a0 = x->d[0], a1 = x->d[1];
            r.q[0] = cvt_float(&f, true, a0);
            r.q[1] = cvt_float(&f, true, a1);
            break;
        }
        case SSE_PFX_66:     /* CVTPD2PS */
            r.d[0] = (uint32_t)cvt_float(&f, false, x->q[0]);
            r.d[1] = (uint32_t)cvt_float(&f, false, x->q[1]);
            r.q[1] = 0;
            break;
        case SSE_PFX_F3:     /* CVTSS2SD */
            r.q[0] = cvt_float(&f, true, x->d[0]);
            break;
        default:             /* CVTSD2SS */
            r.d[0] = (uint32_t)cvt_float(&f, false, x->q[0]);
            break;
        }
        break;
    case 0x5b:
        switch (s->pfx) {
        case SSE_PFX_NONE:   /* CVTDQ2PS */
            for (int i = 0; i < 4; i++)
                r.d[i] = (uint32_t)from_int(&f, false, x->sd[i]);
            break;
        case SSE_PFX_66:     /* CVTPS2DQ */
        case SSE_PFX_F3:     /* CVTTPS2DQ */
            for (int i = 0; i < 4; i++)
                r.d[i] = (uint32_t)to_int(&f, false, x->d[i], s->pfx == SSE_PFX_F3, false);
            break;
        default:
            return SSE_UD;
        }
        break;
    case 0xe6:
        switch (s->pfx) {
        case SSE_PFX_F3: {   /* CVTDQ2PD */
            int32_t a0 = x->sd[0], a1 = x->sd[1];
            r.q[0] = from_int(&f, true, a0);
            r.q[1] = from_int(&f, true, a1);
            break;
        }
        case SSE_PFX_66:     /* CVTTPD2DQ */
        case SSE_PFX_F2:     /* CVTPD2DQ */
            for (int i = 0; i < 2; i++)
                r.d[i] = (uint32_t)to_int(&f, true, x->q[i], s->pfx == SSE_PFX_66, false);
            r.q[1] = 0;
            break;
        default:
            return SSE_UD;
        }
        break;
    default:
        return SSE_NOT_MINE;
    }
    return sfp_finish(s, &f, &r);
}

static enum sse_result round_insn(struct sse_ctx *s)
{
    struct sfp f;
    sfp_init(&f, s->mxcsr);
    union sse_reg r = s->dst;
    bool dbl = s->opcode & 1;
    int n = s->opcode >= 0x0a ? 1 : dbl ? 2 : 4;
    for (int i = 0; i < n; i++) {
        uint64_t v = round_int(&f, dbl, dbl ? s->src.q[i] : s->src.d[i], s->imm);
        if (dbl)
            r.q[i] = v;
        else
            r.d[i] = (uint32_t)v;
    }
    return sfp_finish(s, &f, &r);
}

enum sse_result sse_fpcvt_exec(struct sse_ctx *s)
{
    if (s->map == 3 && s->opcode >= 0x08 && s->opcode <= 0x0b)
        return s->pfx == SSE_PFX_66 ? round_insn(s) : SSE_UD;
    if (s->map != 1)
        return SSE_NOT_MINE;
    return cvt_0f(s);
}
