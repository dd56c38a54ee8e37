/* SSE..SSE4.1 floating-point instructions (sse_fp_exec): moves, arithmetic,
 * compares, shuffles, blends, on binary32/binary64 values in integer code
 * with the x86 rounding, flags, DAZ/FZ and NaN rules. Conversions: sse_fpcvt.c. */
#include "cpu/sse_fp_internal.h"

#include <string.h>

/* ---- the IEEE core ---- */

static int clz64(uint64_t x)
{
    int n = 0;
    if (!(x >> 32)) { n += 32; x <<= 32; }
    if (!(x >> 48)) { n += 16; x <<= 16; }
    if (!(x >> 56)) { n += 8; x <<= 8; }
    if (!(x >> 60)) { n += 4; x <<= 4; }
    if (!(x >> 62)) { n += 2; x <<= 2; }
    if (!(x >> 63)) n += 1;
    return n;
}

/* Right shift keeping every lost bit as a sticky bit 0. */
uint64_t sfp_shr_jam(uint64_t x, int n)
{
    if (n <= 0)
        return x;
    if (n >= 64)
        return x != 0;
    return (x >> n) | ((x & ((1ull << n) - 1)) != 0);
}

void sfp_init(struct sfp *f, uint32_t mxcsr)
{
    f->mxcsr = mxcsr;
    f->flags = 0;
    f->rc = (mxcsr >> SSE_MXCSR_RC_SHIFT) & 3;
}

struct sfp_val sfp_unpack(const struct sfp *f, bool dbl, uint64_t a)
{
    int fb = sfp_fbits(dbl), emax = dbl ? 0x7ff : 0xff;
    struct sfp_val v = { 0 };
    v.sign = (a & sfp_signbit(dbl)) != 0;
    int e = (int)(a >> fb) & emax;
    uint64_t frac = a & ((1ull << fb) - 1);
    if (e == emax) {
        v.cls = !frac ? SFP_INF : (frac >> (fb - 1)) & 1 ? SFP_QNAN : SFP_SNAN;
        return v;
    }
    if (e == 0) {
        if (!frac || (f->mxcsr & SSE_MXCSR_DAZ)) {
            v.cls = SFP_ZERO;
            return v;
        }
        int n = clz64(frac) - 1;
        v.cls = SFP_FINITE;
        v.denormal = true;
        v.sig = frac << n;
        v.exp = 1 - sfp_bias(dbl) - fb + 62 - n;
        return v;
    }
    v.cls = SFP_FINITE;
    v.sig = ((1ull << fb) | frac) << (62 - fb);
    v.exp = e - sfp_bias(dbl);
    return v;
}

uint64_t sfp_roundpack(struct sfp *f, bool dbl, bool sign, int exp, uint64_t sig)
{
    int fb = sfp_fbits(dbl), sh = 62 - fb, emax = dbl ? 0x7ff : 0xff;
    uint64_t half = 1ull << (sh - 1), mask = (1ull << sh) - 1;
    uint64_t sbit = sign ? sfp_signbit(dbl) : 0;
    uint32_t masked = f->mxcsr >> 7;
    int e = exp + sfp_bias(dbl);
    if (e >= 1) {
        uint64_t m = sig >> sh, rem = sig & mask;
        if (round_up(f->rc, sign, m & 1, rem, half) && (++m >> (fb + 1))) {
            m >>= 1;
            e++;
        }
        if (e >= emax) {
            /* Unmasked, nothing is stored and PE says whether the result
             * at full precision and unbounded exponent is inexact. */
            if (!(masked & SSE_MXCSR_OE)) {
                f->flags |= SSE_MXCSR_OE | (rem ? SSE_MXCSR_PE : 0);
                return 0;
            }
            f->flags |= SSE_MXCSR_OE | SSE_MXCSR_PE;
            bool to_inf = f->rc == SFP_RN || (f->rc == SFP_RU && !sign) || (f->rc == SFP_RD && sign);
            return to_inf ? sfp_inf(dbl, sign) : sbit | (((uint64_t)(emax - 1) << fb) | ((1ull << fb) - 1));
        }
        if (rem)
            f->flags |= SSE_MXCSR_PE;
        return sbit | (((uint64_t)e << fb) + (m & ((1ull << fb) - 1)));
    }
    /* x86 detects tininess after rounding: a value just under the smallest
     * normal that rounds up to it (at full precision) is not tiny. */
    bool tiny = true;
    if (e == 0) {
        uint64_t m = sig >> sh;
        if (round_up(f->rc, sign, m & 1, sig & mask, half) && m + 1 == 1ull << (fb + 1))
            tiny = false;
    }
    uint64_t d = sfp_shr_jam(sig, 1 - e);
    uint64_t m = d >> sh, rem = d & mask;
    if (round_up(f->rc, sign, m & 1, rem, half))
        m++;    /* a carry into bit fb is the smallest normal's encoding */
    if (tiny) {
        if (!(masked & SSE_MXCSR_UE)) {
            /* Unmasked, underflow is any tiny result, exact or not, and
             * PE is as for an unbounded exponent (nothing is stored). */
            f->flags |= SSE_MXCSR_UE | ((sig & mask) ? SSE_MXCSR_PE : 0);
            return sbit | m;
        }
        if (f->mxcsr & SSE_MXCSR_FZ) {
            f->flags |= SSE_MXCSR_UE | SSE_MXCSR_PE;
            return sbit;
        }
        if (rem)
            f->flags |= SSE_MXCSR_UE | SSE_MXCSR_PE;
    } else if (rem) {
        f->flags |= SSE_MXCSR_PE;
    }
    return sbit | m;
}

uint64_t sfp_normpack(struct sfp *f, bool dbl, bool sign, int exp, uint64_t sig)
{
    if (sig >> 63)
        return sfp_roundpack(f, dbl, sign, exp + 1, sfp_shr_jam(sig, 1));
    int n = clz64(sig) - 1;
    return sfp_roundpack(f, dbl, sign, exp - n, sig << n);
}

/* A NaN operand decides the result: the first operand's NaN (quieted) if
 * it has one, else the second's; an SNaN is invalid. */
static bool nan2(struct sfp *f, bool dbl, const struct sfp_val *x, const struct sfp_val *y,
                 uint64_t a, uint64_t b, uint64_t *r)
{
    if (x->cls < SFP_QNAN && y->cls < SFP_QNAN)
        return false;
    if (x->cls == SFP_SNAN || y->cls == SFP_SNAN)
        f->flags |= SSE_MXCSR_IE;
    *r = sfp_quiet(dbl, x->cls >= SFP_QNAN ? a : b);
    return true;
}

static uint64_t invalid(struct sfp *f, bool dbl)
{
    f->flags |= SSE_MXCSR_IE;
    return sfp_default_nan(dbl);
}

uint64_t sfp_add(struct sfp *f, bool dbl, uint64_t a, uint64_t b, bool sub)
{
    struct sfp_val x = sfp_unpack(f, dbl, a), y = sfp_unpack(f, dbl, b);
    uint64_t r;
    if (nan2(f, dbl, &x, &y, a, b, &r))
        return r;
    if (x.denormal || y.denormal)
        f->flags |= SSE_MXCSR_DE;
    y.sign ^= sub;
    if (x.cls == SFP_INF || y.cls == SFP_INF) {
        if (x.cls == SFP_INF && y.cls == SFP_INF && x.sign != y.sign)
            return invalid(f, dbl);
        return sfp_inf(dbl, x.cls == SFP_INF ? x.sign : y.sign);
    }
    if (x.cls == SFP_ZERO && y.cls == SFP_ZERO)
        return sfp_zero(dbl, x.sign == y.sign ? x.sign : f->rc == SFP_RD);
    if (x.cls == SFP_ZERO)
        return sfp_roundpack(f, dbl, y.sign, y.exp, y.sig);
    if (y.cls == SFP_ZERO)
        return sfp_roundpack(f, dbl, x.sign, x.exp, x.sig);
    if (x.exp < y.exp || (x.exp == y.exp && x.sig < y.sig)) {
        struct sfp_val t = x;
        x = y;
        y = t;
    }
    uint64_t ys = sfp_shr_jam(y.sig, x.exp - y.exp);
    if (x.sign == y.sign)
        return sfp_normpack(f, dbl, x.sign, x.exp, x.sig + ys);
    uint64_t d = x.sig - ys;
    if (!d)
        return sfp_zero(dbl, f->rc == SFP_RD);
    /* More than one bit of cancellation happens only when the exponents
     * differ by at most one, and then no bit was shifted out. */
    return sfp_normpack(f, dbl, x.sign, x.exp, d);
}

static void mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    *lo = (mid << 32) | (uint32_t)ll;
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

uint64_t sfp_mul(struct sfp *f, bool dbl, uint64_t a, uint64_t b)
{
    struct sfp_val x = sfp_unpack(f, dbl, a), y = sfp_unpack(f, dbl, b);
    uint64_t r;
    if (nan2(f, dbl, &x, &y, a, b, &r))
        return r;
    bool sign = x.sign ^ y.sign;
    if (x.cls == SFP_INF || y.cls == SFP_INF) {
        if (x.cls == SFP_ZERO || y.cls == SFP_ZERO)
            return invalid(f, dbl);
        if (x.denormal || y.denormal)
            f->flags |= SSE_MXCSR_DE;
        return sfp_inf(dbl, sign);
    }
    if (x.denormal || y.denormal)
        f->flags |= SSE_MXCSR_DE;
    if (x.cls == SFP_ZERO || y.cls == SFP_ZERO)
        return sfp_zero(dbl, sign);
    uint64_t hi, lo;
    mul64(x.sig, y.sig, &hi, &lo);
    uint64_t p = (hi << 2) | (lo >> 62) | ((lo & ((1ull << 62) - 1)) != 0);
    return sfp_normpack(f, dbl, sign, x.exp + y.exp, p);
}

static uint64_t sfp_div(struct sfp *f, bool dbl, uint64_t a, uint64_t b)
{
    struct sfp_val x = sfp_unpack(f, dbl, a), y = sfp_unpack(f, dbl, b);
    uint64_t r;
    if (nan2(f, dbl, &x, &y, a, b, &r))
        return r;
    bool sign = x.sign ^ y.sign;
    if (x.cls == SFP_INF) {
        if (y.cls == SFP_INF)
            return invalid(f, dbl);
        if (y.denormal)
            f->flags |= SSE_MXCSR_DE;
        return sfp_inf(dbl, sign);
    }
    if (y.cls == SFP_ZERO) {
        if (x.cls == SFP_ZERO)
            return invalid(f, dbl);
        f->flags |= SSE_MXCSR_ZE;   /* which takes precedence over DE */
        return sfp_inf(dbl, sign);
    }
    if (x.denormal || y.denormal)
        f->flags |= SSE_MXCSR_DE;
    if (y.cls == SFP_INF || x.cls == SFP_ZERO)
        return sfp_zero(dbl, sign);
    /* Restoring division, one quotient bit per step from weight 2^0. */
    uint64_t rem = x.sig, q = 0;
    for (int i = 0; i < 64; i++) {
        q <<= 1;
        if (rem >= y.sig) {
            rem -= y.sig;
            q |= 1;
        }
        rem <<= 1;
    }
    return sfp_normpack(f, dbl, sign, x.exp - y.exp - 1, q | (rem != 0));
}

/* Integer square root of a 128-bit radicand n_hi:n_lo, digit by digit;
 * *exact says whether the remainder is zero. */
static uint64_t isqrt128(uint64_t n_hi, uint64_t n_lo, bool *exact)
{
    uint64_t res = 0, rem_hi = 0, rem_lo = 0;
    for (int i = 63; i >= 0; i--) {
        uint64_t two = i >= 32 ? (n_hi >> (2 * (i - 32))) & 3 : (n_lo >> (2 * i)) & 3;
        rem_hi = (rem_hi << 2) | (rem_lo >> 62);
        rem_lo = (rem_lo << 2) | two;
        /* trial = 4 * res + 1 as 128 bits */
        uint64_t t_hi = res >> 62, t_lo = (res << 2) | 1;
        res <<= 1;
        if (rem_hi > t_hi || (rem_hi == t_hi && rem_lo >= t_lo)) {
            rem_hi -= t_hi + (rem_lo < t_lo);
            rem_lo -= t_lo;
            res |= 1;
        }
    }
    *exact = !rem_hi && !rem_lo;
    return res;
}

static uint64_t sfp_sqrt(struct sfp *f, bool dbl, uint64_t a)
{
    struct sfp_val x = sfp_unpack(f, dbl, a);
    if (x.cls == SFP_SNAN) {
        f->flags |= SSE_MXCSR_IE;
        return sfp_quiet(dbl, a);
    }
    if (x.cls == SFP_QNAN)
        return a;
    if (x.cls == SFP_ZERO)
        return sfp_zero(dbl, x.sign);
    if (x.sign)   /* invalid takes precedence over a denormal operand */
        return invalid(f, dbl);
    if (x.denormal)
        f->flags |= SSE_MXCSR_DE;
    if (x.cls == SFP_INF)
        return a;
    /* sqrt(sig / 2^62 * 2^exp) = isqrt(sig * 2^62 [* 2 for odd exp]) / 2^62
     * * 2^floor(exp / 2); the root has bit 62 set either way. */
    int odd = (int)((unsigned)x.exp & 1);
    int sh = 62 + odd;   /* shift of sig into the 128-bit radicand */
    uint64_t n_hi = x.sig >> (64 - sh), n_lo = x.sig << sh;
    bool exact;
    uint64_t root = isqrt128(n_hi, n_lo, &exact);
    return sfp_roundpack(f, dbl, false, (x.exp - odd) / 2, root | !exact);
}

/* ---- instruction-level helpers ---- */

enum sse_result sfp_finish(struct sse_ctx *s, const struct sfp *f, const union sse_reg *res)
{
    uint32_t unmasked = ~(s->mxcsr >> 7) & 0x3f;
    uint32_t pre = f->flags & SFP_PRE, all = f->flags & (SFP_PRE | SFP_POST);
    if (pre & unmasked) {
        s->mxcsr |= pre;
        return SSE_XM;
    }
    s->mxcsr |= all;
    if (all & unmasked)
        return SSE_XM;
    if (res)
        s->dst = *res;
    return SSE_OK;
}

static uint64_t lane(const union sse_reg *r, bool dbl, int i)
{
    return dbl ? r->q[i] : r->d[i];
}

static void set_lane(union sse_reg *r, bool dbl, int i, uint64_t v)
{
    if (dbl)
        r->q[i] = v;
    else
        r->d[i] = (uint32_t)v;
}

/* The value an operand has under DAZ (a denormal reads as a signed zero). */
static uint64_t daz(const struct sfp *f, bool dbl, uint64_t a)
{
    struct sfp_val v = sfp_unpack(f, dbl, a);
    return v.cls == SFP_ZERO ? sfp_zero(dbl, v.sign) : a;
}

enum rel { REL_LT, REL_EQ, REL_GT, REL_UN };

/* Ordered comparison; signal says a QNaN operand is invalid too. */
static enum rel compare(struct sfp *f, bool dbl, uint64_t a, uint64_t b, bool signal)
{
    struct sfp_val x = sfp_unpack(f, dbl, a), y = sfp_unpack(f, dbl, b);
    if (x.cls >= SFP_QNAN || y.cls >= SFP_QNAN) {
        if (signal || x.cls == SFP_SNAN || y.cls == SFP_SNAN)
            f->flags |= SSE_MXCSR_IE;
        return REL_UN;
    }
    if (x.denormal || y.denormal)
        f->flags |= SSE_MXCSR_DE;
    uint64_t mag = ~sfp_signbit(dbl);
    int64_t va = x.cls == SFP_ZERO ? 0 : (int64_t)(a & mag);
    int64_t vb = y.cls == SFP_ZERO ? 0 : (int64_t)(b & mag);
    if (x.sign)
        va = -va;
    if (y.sign)
        vb = -vb;
    return va < vb ? REL_LT : va > vb ? REL_GT : REL_EQ;
}

/* MINxx/MAXxx: the second operand when either is a NaN or both are zero. */
static uint64_t minmax(struct sfp *f, bool dbl, uint64_t a, uint64_t b, bool max)
{
    enum rel r = compare(f, dbl, a, b, true);
    if (r == REL_UN)   /* the second operand, denormals flushed under DAZ */
        return daz(f, dbl, b);
    return r == (max ? REL_GT : REL_LT) ? daz(f, dbl, a) : daz(f, dbl, b);
}

static bool cmp_pred(struct sfp *f, bool dbl, uint64_t a, uint64_t b, unsigned pred)
{
    pred &= 7;
    /* LT, LE, NLT, NLE signal on QNaN; EQ, UNORD, NEQ, ORD only on SNaN. */
    enum rel r = compare(f, dbl, a, b, (pred & 3) == 1 || (pred & 3) == 2);
    bool v;
    switch (pred & 3) {
    case 0: v = r == REL_EQ; break;
    case 1: v = r == REL_LT; break;
    case 2: v = r == REL_LT || r == REL_EQ; break;
    default: v = r == REL_UN; break;
    }
    return pred & 4 ? !v : v;
}

/* RCPxx/RSQRTxx, bit for bit as AMD Zen 3 computes them (the SDM leaves
 * the approximation to the implementation; these numbers were measured on
 * that CPU over every input significand, and sse_fp_test checks them all).
 * Only the top 12 fraction bits matter: the 12-bit result significand is a
 * base for the top 8 less a correction indexed by the top 4 and the low 4
 * of the 12. The rsqrt tables come in two halves, for even and odd unbiased
 * exponents. */
static const uint16_t rcp_base[256] = {
    4094, 4062, 4031, 3999, 3969, 3938, 3907, 3877, 3847, 3817, 3787, 3758, 3729, 3700, 3671, 3642,
    3612, 3584, 3556, 3529, 3501, 3474, 3447, 3420, 3393, 3366, 3340, 3314, 3288, 3262, 3236, 3211,
    3184, 3159, 3134, 3109, 3085, 3060, 3036, 3012, 2988, 2964, 2941, 2917, 2894, 2871, 2848, 2825,
    2801, 2779, 2756, 2734, 2712, 2690, 2668, 2646, 2625, 2603, 2582, 2561, 2540, 2519, 2498, 2478,
    2456, 2436, 2416, 2396, 2376, 2356, 2336, 2317, 2297, 2278, 2258, 2239, 2220, 2201, 2182, 2164,
    2145, 2127, 2108, 2090, 2072, 2054, 2036, 2018, 2000, 1983, 1965, 1948, 1930, 1913, 1896, 1879,
    1861, 1844, 1828, 1811, 1794, 1778, 1762, 1745, 1729, 1713, 1697, 1681, 1665, 1650, 1634, 1618,
    1602, 1587, 1571, 1556, 1541, 1526, 1511, 1496, 1481, 1466, 1452, 1437, 1423, 1408, 1394, 1379,
    1365, 1351, 1336, 1322, 1309, 1295, 1281, 1267, 1254, 1240, 1226, 1213, 1200, 1186, 1173, 1160,
    1146, 1133, 1120, 1107, 1095, 1082, 1069, 1056, 1044, 1031, 1019, 1006, 994, 982, 969, 957,
    945, 933, 921, 909, 897, 885, 873, 862, 850, 838, 827, 815, 804, 792, 781, 770,
    758, 747, 736, 725, 714, 703, 692, 681, 670, 659, 648, 638, 627, 617, 606, 595,
    584, 574, 564, 553, 543, 533, 523, 513, 502, 492, 482, 472, 463, 453, 443, 433,
    423, 414, 404, 394, 385, 375, 366, 356, 347, 337, 328, 319, 310, 300, 291, 282,
    272, 263, 254, 245, 236, 227, 219, 210, 201, 192, 183, 175, 166, 157, 149, 140,
    132, 123, 115, 106, 98, 90, 81, 73, 65, 57, 48, 40, 32, 24, 16, 8,
};
static const uint8_t rcp_corr[16][16] = {
    {0, 2, 3, 5, 7, 9, 11, 13, 15, 17, 18, 20, 22, 24, 26, 28},
    {0, 1, 3, 5, 6, 8, 10, 11, 13, 15, 16, 18, 20, 21, 23, 25},
    {0, 1, 3, 4, 5, 7, 8, 10, 11, 13, 14, 16, 17, 19, 20, 22},
    {0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 16, 17, 18, 20},
    {0, 1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 13, 14, 15, 17, 18},
    {0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {0, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14},
    {0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 8, 9, 10, 11, 12, 13},
    {0, 1, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 9, 10, 11, 12},
    {0, 1, 2, 2, 3, 4, 4, 5, 6, 7, 7, 8, 9, 10, 10, 11},
    {0, 1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 9, 9, 10},
    {0, 0, 1, 2, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 8, 9},
    {0, 0, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 7, 8, 8, 9},
    {0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 7, 7, 8},
    {0, 0, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8},
};
static const uint16_t rsqrt_base[2][256] = {
    {
        4095, 4079, 4063, 4048, 4032, 4016, 4001, 3986, 3970, 3955, 3940, 3925, 3910, 3895, 3880, 3866,
        3851, 3836, 3822, 3807, 3793, 3779, 3765, 3751, 3737, 3723, 3709, 3695, 3681, 3668, 3654, 3641,
        3627, 3614, 3600, 3587, 3574, 3561, 3548, 3535, 3522, 3509, 3497, 3484, 3471, 3459, 3446, 3434,
        3421, 3409, 3396, 3384, 3372, 3360, 3348, 3336, 3324, 3312, 3301, 3289, 3277, 3266, 3254, 3243,
        3230, 3219, 3208, 3196, 3185, 3174, 3163, 3152, 3141, 3130, 3119, 3108, 3097, 3086, 3076, 3065,
        3054, 3044, 3033, 3023, 3012, 3002, 2991, 2981, 2971, 2961, 2950, 2940, 2930, 2920, 2910, 2900,
        2890, 2880, 2870, 2860, 2850, 2841, 2831, 2821, 2812, 2802, 2793, 2783, 2774, 2764, 2755, 2746,
        2736, 2727, 2718, 2708, 2699, 2690, 2681, 2672, 2663, 2654, 2645, 2636, 2627, 2619, 2610, 2601,
        2593, 2584, 2575, 2567, 2558, 2550, 2541, 2533, 2524, 2516, 2507, 2499, 2491, 2482, 2474, 2466,
        2457, 2449, 2441, 2433, 2425, 2417, 2409, 2401, 2393, 2385, 2377, 2369, 2361, 2354, 2346, 2338,
        2330, 2322, 2315, 2307, 2299, 2292, 2284, 2277, 2269, 2262, 2254, 2247, 2239, 2232, 2225, 2217,
        2210, 2203, 2196, 2189, 2181, 2174, 2167, 2160, 2153, 2146, 2139, 2132, 2125, 2118, 2111, 2104,
        2096, 2089, 2082, 2076, 2069, 2062, 2055, 2048, 2042, 2035, 2028, 2022, 2015, 2008, 2002, 1995,
        1989, 1982, 1976, 1969, 1963, 1956, 1950, 1943, 1937, 1931, 1924, 1918, 1912, 1905, 1899, 1893,
        1886, 1880, 1874, 1868, 1862, 1856, 1850, 1843, 1837, 1831, 1825, 1819, 1813, 1807, 1801, 1795,
        1789, 1783, 1777, 1771, 1765, 1760, 1754, 1748, 1742, 1736, 1731, 1725, 1719, 1713, 1708, 1702,
    }, {
        1696, 1685, 1674, 1662, 1651, 1641, 1630, 1619, 1608, 1597, 1587, 1576, 1565, 1555, 1544, 1534,
        1523, 1513, 1503, 1492, 1482, 1472, 1462, 1452, 1442, 1433, 1423, 1413, 1403, 1394, 1384, 1375,
        1365, 1355, 1346, 1337, 1327, 1318, 1309, 1300, 1291, 1282, 1273, 1264, 1255, 1246, 1237, 1228,
        1219, 1211, 1202, 1193, 1185, 1176, 1168, 1159, 1151, 1143, 1134, 1126, 1118, 1109, 1101, 1093,
        1085, 1077, 1069, 1061, 1053, 1045, 1037, 1029, 1021, 1013, 1006, 998, 990, 983, 975, 968,
        960, 953, 945, 938, 930, 923, 916, 908, 901, 894, 887, 879, 872, 865, 858, 851,
        844, 837, 830, 823, 816, 809, 802, 795, 789, 782, 775, 768, 762, 755, 748, 742,
        735, 729, 722, 716, 709, 703, 696, 690, 684, 677, 671, 665, 658, 652, 646, 640,
        633, 627, 621, 615, 609, 603, 597, 591, 585, 579, 573, 567, 561, 555, 549, 544,
        538, 532, 526, 521, 515, 509, 503, 498, 492, 487, 481, 475, 470, 464, 459, 453,
        448, 443, 437, 432, 426, 421, 416, 410, 405, 400, 394, 389, 384, 379, 374, 368,
        363, 358, 353, 348, 343, 338, 333, 328, 323, 318, 313, 308, 303, 298, 293, 288,
        282, 278, 273, 268, 263, 258, 253, 249, 244, 239, 234, 230, 225, 220, 216, 211,
        206, 202, 197, 193, 188, 183, 179, 174, 170, 165, 161, 156, 152, 147, 143, 139,
        134, 130, 125, 121, 117, 112, 108, 104, 99, 95, 91, 87, 82, 78, 74, 70,
        65, 61, 57, 53, 49, 45, 41, 36, 32, 28, 24, 20, 16, 12, 8, 4,
    },
};
static const uint8_t rsqrt_corr[2][16][16] = {
    {
        {0, 1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14},
        {0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 10, 11, 12, 13},
        {0, 1, 2, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10, 11, 11, 12},
        {0, 1, 2, 2, 3, 4, 4, 5, 6, 7, 7, 8, 9, 10, 10, 11},
        {0, 0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 7, 8, 9, 9, 10},
        {0, 1, 1, 2, 3, 3, 4, 5, 5, 6, 6, 7, 8, 8, 9, 10},
        {0, 0, 1, 2, 2, 3, 3, 4, 4, 5, 6, 6, 7, 8, 8, 9},
        {0, 0, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6, 6, 7, 8, 8},
        {0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8},
        {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7},
        {0, 0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7},
        {0, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 6, 7},
        {0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6},
        {0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5, 5, 5, 6},
        {0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6},
        {0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5},
    }, {
        {0, 1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 9, 9, 10},
        {0, 0, 1, 2, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 9, 9},
        {0, 0, 1, 2, 2, 3, 3, 4, 4, 5, 6, 6, 7, 7, 8, 8},
        {0, 0, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8},
        {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7},
        {0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 6, 7},
        {0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5, 5, 6, 6},
        {0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6},
        {0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5},
        {0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5},
        {0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5},
        {0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5},
        {0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4},
        {0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4},
        {0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4},
        {0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4},
    },
};

static uint32_t approx(bool rsqrt, uint32_t a)
{
    uint32_t sign = a & 0x80000000u;
    int e = (int)(a >> 23) & 0xff;
    uint32_t frac = a & 0x7fffff;
    if (e == 0xff) {
        if (frac)
            return a | 0x400000;
        if (rsqrt)
            return sign ? 0xffc00000u : 0;
        return sign;
    }
    if (e == 0)   /* zeros and denormals alike */
        return sign | 0x7f800000u;
    unsigned k = frac >> 11;
    if (!rsqrt) {
        int re = 253 - e;
        if (re <= 0)
            return sign;
        return sign | (uint32_t)re << 23 | (uint32_t)(rcp_base[k >> 4] - rcp_corr[k >> 8][k & 15]) << 11;
    }
    if (sign)
        return 0xffc00000u;
    int odd = (e + 1) & 1;   /* parity of the unbiased exponent */
    int re = 126 - ((e - 127 - odd) / 2);
    unsigned y = rsqrt_base[odd][k >> 4] - rsqrt_corr[odd][k >> 8][k & 15];
    return (uint32_t)re << 23 | y << 11;
}

/* ---- the instructions ---- */

typedef uint64_t (*binop)(struct sfp *f, bool dbl, uint64_t a, uint64_t b);

static uint64_t op_add(struct sfp *f, bool dbl, uint64_t a, uint64_t b) { return sfp_add(f, dbl, a, b, false); }
static uint64_t op_sub(struct sfp *f, bool dbl, uint64_t a, uint64_t b) { return sfp_add(f, dbl, a, b, true); }
static uint64_t op_min(struct sfp *f, bool dbl, uint64_t a, uint64_t b) { return minmax(f, dbl, a, b, false); }
static uint64_t op_max(struct sfp *f, bool dbl, uint64_t a, uint64_t b) { return minmax(f, dbl, a, b, true); }
static uint64_t op_sqrt(struct sfp *f, bool dbl, uint64_t a, uint64_t b) { (void)a; return sfp_sqrt(f, dbl, b); }

/* Packed (all lanes) or scalar (lane 0, the rest of dst kept) by prefix. */
static enum sse_result arith(struct sse_ctx *s, binop op)
{
    struct sfp f;
    sfp_init(&f, s->mxcsr);
    bool dbl = s->pfx == SSE_PFX_66 || s->pfx == SSE_PFX_F2;
    int n = s->pfx == SSE_PFX_F3 || s->pfx == SSE_PFX_F2 ? 1 : dbl ? 2 : 4;
    union sse_reg r = s->dst;
    for (int i = 0; i < n; i++)
        set_lane(&r, dbl, i, op(&f, dbl, lane(&s->dst, dbl, i), lane(&s->src, dbl, i)));
    return sfp_finish(s, &f, &r);
}

static enum sse_result cmp_insn(struct sse_ctx *s)
{
    struct sfp f;
    sfp_init(&f, s->mxcsr);
    bool dbl = s->pfx == SSE_PFX_66 || s->pfx == SSE_PFX_F2;
    int n = s->pfx == SSE_PFX_F3 || s->pfx == SSE_PFX_F2 ? 1 : dbl ? 2 : 4;
    union sse_reg r = s->dst;
    for (int i = 0; i < n; i++) {
        bool v = cmp_pred(&f, dbl, lane(&s->dst, dbl, i), lane(&s->src, dbl, i), s->imm);
        set_lane(&r, dbl, i, v ? ~0ull : 0);
    }
    return sfp_finish(s, &f, &r);
}

static enum sse_result comis(struct sse_ctx *s, bool signal)
{
    struct sfp f;
    sfp_init(&f, s->mxcsr);
    bool dbl = s->pfx == SSE_PFX_66;
    enum rel r = compare(&f, dbl, lane(&s->dst, dbl, 0), lane(&s->src, dbl, 0), signal);
    s->no_dst = true;
    enum sse_result res = sfp_finish(s, &f, NULL);
    if (res != SSE_OK)
        return res;
    /* ZF PF CF: 111 unordered, 000 greater, 001 less, 100 equal. */
    static const uint32_t fl[] = { [REL_LT] = 0x01, [REL_EQ] = 0x40, [REL_GT] = 0, [REL_UN] = 0x45 };
    s->set_flags = true;
    s->eflags = fl[r];
    return SSE_OK;
}

static enum sse_result approx_insn(struct sse_ctx *s, bool rsqrt)
{
    int n = s->pfx == SSE_PFX_F3 ? 1 : 4;
    for (int i = 0; i < n; i++)
        s->dst.d[i] = approx(rsqrt, s->src.d[i]);
    return SSE_OK;
}

/* HADDxx/HSUBxx: pairs of adjacent lanes of dst, then of src. */
static enum sse_result horiz(struct sse_ctx *s, bool sub)
{
    struct sfp f;
    sfp_init(&f, s->mxcsr);
    bool dbl = s->pfx == SSE_PFX_66;
    int n = dbl ? 2 : 4;
    union sse_reg r;
    for (int i = 0; i < n; i++) {
        const union sse_reg *o = i < n / 2 ? &s->dst : &s->src;
        int j = (i % (n / 2)) * 2;
        set_lane(&r, dbl, i, sfp_add(&f, dbl, lane(o, dbl, j), lane(o, dbl, j + 1), sub));
    }
    return sfp_finish(s, &f, &r);
}

static enum sse_result addsub(struct sse_ctx *s)
{
    struct sfp f;
    sfp_init(&f, s->mxcsr);
    bool dbl = s->pfx == SSE_PFX_66;
    int n = dbl ? 2 : 4;
    union sse_reg r;
    for (int i = 0; i < n; i++)
        set_lane(&r, dbl, i, sfp_add(&f, dbl, lane(&s->dst, dbl, i), lane(&s->src, dbl, i), !(i & 1)));
    return sfp_finish(s, &f, &r);
}

/* One step of a DPPS/DPPD: the CPU checks each step (the multiplies, then
 * each level of additions) for unmasked exceptions as if it were an
 * instruction of its own, and stops there; acc gathers the earlier steps'
 * flags. */
static bool step_faults(struct sse_ctx *s, struct sfp *f, uint32_t *acc)
{
    uint32_t unmasked = ~(s->mxcsr >> 7) & 0x3f;
    uint32_t pre = f->flags & SFP_PRE;
    if (pre & unmasked) {
        s->mxcsr |= *acc | pre;
        return true;
    }
    *acc |= f->flags & (SFP_PRE | SFP_POST);
    f->flags = 0;
    if (*acc & unmasked) {
        s->mxcsr |= *acc;
        return true;
    }
    return false;
}

/* DPPS/DPPD: products of the lanes imm[7:4] selects (others +0), summed
 * pairwise with a rounding per step, written to the lanes imm[3:0] selects.
 * The sums read the products as operands: DAZ and DE apply to them. */
static enum sse_result dot(struct sse_ctx *s, bool dbl)
{
    struct sfp f;
    sfp_init(&f, s->mxcsr);
    uint32_t acc = 0;
    int n = dbl ? 2 : 4;
    uint64_t t[4];
    for (int i = 0; i < n; i++)
        t[i] = s->imm >> (4 + i) & 1 ? sfp_mul(&f, dbl, lane(&s->dst, dbl, i), lane(&s->src, dbl, i)) : 0;
    if (step_faults(s, &f, &acc))
        return SSE_XM;
    uint64_t sum = sfp_add(&f, dbl, t[0], t[1], false);
    if (!dbl) {
        uint64_t hi = sfp_add(&f, false, t[2], t[3], false);
        if (step_faults(s, &f, &acc))
            return SSE_XM;
        sum = sfp_add(&f, false, sum, hi, false);
    }
    if (step_faults(s, &f, &acc))
        return SSE_XM;
    s->mxcsr |= acc;
    for (int i = 0; i < n; i++)
        set_lane(&s->dst, dbl, i, s->imm >> i & 1 ? sum : 0);
    return SSE_OK;
}

static enum sse_result map0f(struct sse_ctx *s)
{
    union sse_reg *d = &s->dst;
    const union sse_reg *x = &s->src;
    bool ps = s->pfx == SSE_PFX_NONE, pd = s->pfx == SSE_PFX_66;
    switch (s->opcode) {
    case 0x10: /* MOVUPS/MOVUPD, MOVSS/MOVSD: a load zeroes the rest */
    case 0x11:
        if (ps || pd) {
            *d = *x;
        } else if (s->pfx == SSE_PFX_F3) {
            if (s->opcode == 0x10 && s->src_mem)
                memset(d, 0, sizeof(*d));
            d->d[0] = x->d[0];
        } else {
            if (s->opcode == 0x10 && s->src_mem)
                d->q[1] = 0;
            d->q[0] = x->q[0];
        }
        return SSE_OK;
    case 0x12:
        switch (s->pfx) {
        case SSE_PFX_NONE: d->q[0] = s->src_mem ? x->q[0] : x->q[1]; break; /* MOVLPS, MOVHLPS */
        case SSE_PFX_66: d->q[0] = x->q[0]; break;                          /* MOVLPD */
        case SSE_PFX_F3:                                                    /* MOVSLDUP */
            d->d[0] = d->d[1] = x->d[0];
            d->d[2] = d->d[3] = x->d[2];
            break;
        default: d->q[0] = d->q[1] = x->q[0]; break;                        /* MOVDDUP */
        }
        return SSE_OK;
    case 0x13: /* MOVLPS/MOVLPD store */
        if (!ps && !pd)
            return SSE_UD;
        d->q[0] = x->q[0];
        return SSE_OK;
    case 0x14: /* UNPCKLPS/PD */
    case 0x15: /* UNPCKHPS/PD */
        if (!ps && !pd)
            return SSE_UD;
        {
            union sse_reg r;
            int h = s->opcode & 1;
            if (ps) {
                r.d[0] = d->d[2 * h];
                r.d[1] = x->d[2 * h];
                r.d[2] = d->d[2 * h + 1];
                r.d[3] = x->d[2 * h + 1];
            } else {
                r.q[0] = d->q[h];
                r.q[1] = x->q[h];
            }
            *d = r;
        }
        return SSE_OK;
    case 0x16:
        if (ps || pd) {        /* MOVHPS/MOVHPD, MOVLHPS */
            d->q[1] = x->q[0];
        } else if (s->pfx == SSE_PFX_F3) {   /* MOVSHDUP */
            d->d[0] = d->d[1] = x->d[1];
            d->d[2] = d->d[3] = x->d[3];
        } else {
            return SSE_UD;
        }
        return SSE_OK;
    case 0x17: /* MOVHPS/MOVHPD store */
        if (!ps && !pd)
            return SSE_UD;
        d->q[0] = x->q[1];
        return SSE_OK;
    case 0x28: /* MOVAPS/PD, MOVNTPS/PD */
    case 0x29:
    case 0x2b:
        if (!ps && !pd)
            return SSE_UD;
        *d = *x;
        return SSE_OK;
    case 0x2e: /* UCOMISS/SD */
    case 0x2f: /* COMISS/SD */
        if (!ps && !pd)
            return SSE_UD;
        return comis(s, s->opcode == 0x2f);
    case 0x50: /* MOVMSKPS/PD */
        if (ps) {
            d->q[0] = (x->d[0] >> 31) | (x->d[1] >> 31) << 1 | (x->d[2] >> 31) << 2 | (x->d[3] >> 31) << 3;
        } else if (pd) {
            d->q[0] = (x->q[0] >> 63) | (x->q[1] >> 63) << 1;
        } else {
            return SSE_UD;
        }
        return SSE_OK;
    case 0x51: return arith(s, op_sqrt);
    case 0x52: /* RSQRTPS/SS */
    case 0x53: /* RCPPS/SS */
        if (s->pfx != SSE_PFX_NONE && s->pfx != SSE_PFX_F3)
            return SSE_UD;
        return approx_insn(s, s->opcode == 0x52);
    case 0x54: case 0x55: case 0x56: case 0x57:
        if (!ps && !pd)
            return SSE_UD;
        for (int i = 0; i < 2; i++) {
            switch (s->opcode) {
            case 0x54: d->q[i] &= x->q[i]; break;
            case 0x55: d->q[i] = ~d->q[i] & x->q[i]; break;
            case 0x56: d->q[i] |= x->q[i]; break;
            default: d->q[i] ^= x->q[i]; break;
            }
        }
        return SSE_OK;
    case 0x58: return arith(s, op_add);
    case 0x59: return arith(s, sfp_mul);
    case 0x5c: return arith(s, op_sub);
    case 0x5d: return arith(s, op_min);
    case 0x5e: return arith(s, sfp_div);
    case 0x5f: return arith(s, op_max);
    case 0x7c: /* HADDPD/HADDPS */
    case 0x7d: /* HSUBPD/HSUBPS */
        if (s->pfx != SSE_PFX_66 && s->pfx != SSE_PFX_F2)
            return SSE_UD;
        return horiz(s, s->opcode == 0x7d);
    case 0xc2: return cmp_insn(s);
    case 0xc6: /* SHUFPS/PD */
        if (ps) {
            union sse_reg r;
            r.d[0] = d->d[s->imm & 3];
            r.d[1] = d->d[s->imm >> 2 & 3];
            r.d[2] = x->d[s->imm >> 4 & 3];
            r.d[3] = x->d[s->imm >> 6 & 3];
            *d = r;
        } else if (pd) {
            union sse_reg r;
            r.q[0] = d->q[s->imm & 1];
            r.q[1] = x->q[s->imm >> 1 & 1];
            *d = r;
        } else {
            return SSE_UD;
        }
        return SSE_OK;
    case 0xd0: /* ADDSUBPD/PS */
        if (s->pfx != SSE_PFX_66 && s->pfx != SSE_PFX_F2)
            return SSE_UD;
        return addsub(s);
    default:
        return SSE_NOT_MINE;
    }
}

static enum sse_result map0f38(struct sse_ctx *s)
{
    if (s->opcode != 0x14 && s->opcode != 0x15)
        return SSE_NOT_MINE;
    if (s->pfx != SSE_PFX_66)
        return SSE_UD;
    if (s->opcode == 0x14) {   /* BLENDVPS */
        for (int i = 0; i < 4; i++)
            if (s->xmm0.d[i] >> 31)
                s->dst.d[i] = s->src.d[i];
    } else {                   /* BLENDVPD */
        for (int i = 0; i < 2; i++)
            if (s->xmm0.q[i] >> 63)
                s->dst.q[i] = s->src.q[i];
    }
    return SSE_OK;
}

static enum sse_result map0f3a(struct sse_ctx *s)
{
    switch (s->opcode) {
    case 0x08: case 0x09: case 0x0a: case 0x0b:
    case 0x0c: case 0x0d: case 0x17: case 0x21: case 0x40: case 0x41:
        break;
    default:
        return SSE_NOT_MINE;
    }
    if (s->pfx != SSE_PFX_66)
        return SSE_UD;
    switch (s->opcode) {
    case 0x0c: /* BLENDPS */
        for (int i = 0; i < 4; i++)
            if (s->imm >> i & 1)
                s->dst.d[i] = s->src.d[i];
        return SSE_OK;
    case 0x0d: /* BLENDPD */
        for (int i = 0; i < 2; i++)
            if (s->imm >> i & 1)
                s->dst.q[i] = s->src.q[i];
        return SSE_OK;
    case 0x17: /* EXTRACTPS: zero-extended into a 64-bit register too */
        s->dst.q[0] = s->src.d[s->imm & 3];
        return SSE_OK;
    case 0x21: { /* INSERTPS: a memory source is the dword itself */
        uint32_t v = s->src_mem ? s->src.d[0] : s->src.d[s->imm >> 6];
        s->dst.d[s->imm >> 4 & 3] = v;
        for (int i = 0; i < 4; i++)
            if (s->imm >> i & 1)
                s->dst.d[i] = 0;
        return SSE_OK;
    }
    case 0x40: return dot(s, false);
    case 0x41: return dot(s, true);
    default:   /* ROUNDxx */
        return sse_fpcvt_exec(s);
    }
}

enum sse_result sse_fp_exec(struct sse_ctx *s)
{
    switch (s->map) {
    case 1: {
        enum sse_result r = sse_fpcvt_exec(s);
        return r == SSE_NOT_MINE ? map0f(s) : r;
    }
    case 2: return map0f38(s);
    case 3: return map0f3a(s);
    default: return SSE_NOT_MINE;
    }
}
