/* x87 80-bit extended-precision arithmetic done with integer operations, so
 * results are the same on any host (see softfloat80.h for the contract). */
#include "cpu/softfloat80.h"

#include <string.h>

/* ---- 128-bit helpers (portable: no __int128) ---- */

typedef struct u128 {
    uint64_t hi, lo;
} u128;

static inline int clz64(uint64_t x)
{
    return x ? __builtin_clzll(x) : 64;
}

static inline u128 mul64(uint64_t a, uint64_t b)
{
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    u128 r;
    r.lo = (mid << 32) | (uint32_t)ll;
    r.hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return r;
}

static inline u128 add128(u128 a, u128 b)
{
    u128 r = { a.hi + b.hi, a.lo + b.lo };
    r.hi += r.lo < a.lo;
    return r;
}

static inline u128 sub128(u128 a, u128 b)
{
    u128 r = { a.hi - b.hi, a.lo - b.lo };
    r.hi -= a.lo < b.lo;
    return r;
}

static inline int cmp128(u128 a, u128 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo)
        return a.lo < b.lo ? -1 : 1;
    return 0;
}

static inline u128 shl128(u128 a, unsigned n)
{
    if (n == 0)
        return a;
    if (n >= 128)
        return (u128){ 0, 0 };
    if (n >= 64)
        return (u128){ a.lo << (n - 64), 0 };
    return (u128){ (a.hi << n) | (a.lo >> (64 - n)), a.lo << n };
}

static inline u128 shr128(u128 a, unsigned n)
{
    if (n == 0)
        return a;
    if (n >= 128)
        return (u128){ 0, 0 };
    if (n >= 64)
        return (u128){ 0, a.hi >> (n - 64) };
    return (u128){ a.hi >> n, (a.lo >> n) | (a.hi << (64 - n)) };
}

/* Shift right keeping a sticky bit: any 1 shifted out sets bit 0, so a later
 * rounding still sees that the value was inexact. */
static inline u128 shr_jam128(u128 a, uint32_t n)
{
    if (n == 0)
        return a;
    if (n >= 128)
        return (u128){ 0, (a.hi | a.lo) != 0 };
    u128 r = shr128(a, n);
    u128 back = shl128(r, n);
    if (back.hi != a.hi || back.lo != a.lo)
        r.lo |= 1;
    return r;
}

/* ---- classification and unpacking ---- */

void sf80_status_init(struct sf80_status *s, uint16_t fcw)
{
    static const uint8_t prec[4] = { 24, 64, 53, 64 };
    s->rc = (fcw >> 10) & 3;
    s->prec = prec[(fcw >> 8) & 3];
    s->masks = fcw & SF80_ALL;
    s->flags = 0;
    s->c1 = false;
}

enum sf80_class sf80_classify(floatx80 a)
{
    int exp = sf80_exp(a);
    bool j = a.sig >> 63;
    if (exp == 0)
        return a.sig ? SF80_DENORMAL : SF80_ZERO;
    if (!j)
        return SF80_UNSUPPORTED;
    if (exp == SF80_EXP_MAX) {
        if ((a.sig << 1) == 0)
            return SF80_INF;
        return (a.sig >> 62) & 1 ? SF80_QNAN : SF80_SNAN;
    }
    return SF80_NORMAL;
}

static inline bool is_nan_class(enum sf80_class c)
{
    return c == SF80_QNAN || c == SF80_SNAN;
}

/* A finite nonzero value as sign * sig/2^63 * 2^e with sig normalized.
 * Denormals (and pseudo-denormals) use exponent 1 - bias as their scale. */
struct unpacked {
    bool sign;
    int32_t e;
    uint64_t sig;
};

static struct unpacked unpack(floatx80 a)
{
    struct unpacked u;
    int exp = sf80_exp(a);
    u.sign = sf80_sign(a);
    u.e = (exp ? exp : 1) - SF80_BIAS;
    u.sig = a.sig;
    int n = clz64(u.sig);
    if (n && n < 64) {
        u.sig <<= n;
        u.e -= n;
    }
    return u;
}

static floatx80 quiet(floatx80 a)
{
    a.sig |= 1ull << 62;
    return a;
}

/* Operand NaN rules of the x87 (SDM vol. 1 table 4-7): an SNaN is invalid;
 * with two NaNs the one with the larger significand wins; a QNaN beats an
 * SNaN. */
static floatx80 propagate_nan2(floatx80 a, floatx80 b, struct sf80_status *s)
{
    enum sf80_class ca = sf80_classify(a), cb = sf80_classify(b);
    if (ca == SF80_SNAN || cb == SF80_SNAN)
        s->flags |= SF80_IE;
    if (is_nan_class(ca) && is_nan_class(cb)) {
        if (ca != cb)
            return quiet(ca == SF80_QNAN ? a : b);
        if (a.sig != b.sig)
            return quiet(a.sig > b.sig ? a : b);
        /* equal significands: the positive one */
        return quiet(sf80_sign(a) ? b : a);
    }
    return quiet(is_nan_class(ca) ? a : b);
}

/* ---- rounding ---- */

struct rfmt {
    int32_t emin, emax;   /* unbiased exponent range of normal numbers */
    bool wrap;            /* register destination: unmasked OE/UE wrap the exponent */
};

static const struct rfmt fmt_x80 = { 1 - SF80_BIAS, SF80_BIAS, true };
static const struct rfmt fmt_f64 = { -1022, 1023, false };
static const struct rfmt fmt_f32 = { -126, 127, false };

#define SF80_WRAP 24576

enum { RK_ZERO, RK_FINITE, RK_INF };

/* A rounded result: RK_FINITE has sig with bit 63 set for a normal number at
 * exponent e, or bit 63 clear for a denormal at exponent emin. */
struct rres {
    int kind;
    bool sign;
    int32_t e;
    uint64_t sig;
};

static bool round_increment(bool sign, int rc, bool lsb, bool half, bool sticky)
{
    switch (rc) {
    case SF80_RC_NEAREST: return half && (sticky || lsb);
    case SF80_RC_UP: return !sign && (half || sticky);
    case SF80_RC_DOWN: return sign && (half || sticky);
    default: return false;
    }
}

/* Rounds hi:lo to prec bits counted from bit 63 of hi; returns true when the
 * increment carried out of bit 63 (hi is then 0). */
static bool round_bits(uint64_t *hi, uint64_t lo, int prec, bool sign, int rc, bool *inexact,
                       bool *incremented)
{
    bool lsb, half, sticky;
    uint64_t unit;
    if (prec >= 64) {
        unit = 1;
        lsb = *hi & 1;
        half = lo >> 63;
        sticky = (lo << 1) != 0;
    } else {
        int sh = 64 - prec;
        unit = 1ull << sh;
        lsb = (*hi >> sh) & 1;
        half = (*hi >> (sh - 1)) & 1;
        sticky = (*hi & ((1ull << (sh - 1)) - 1)) || lo;
        *hi &= ~(unit - 1);
    }
    *inexact = half || sticky;
    *incremented = round_increment(sign, rc, lsb, half, sticky);
    if (*incremented) {
        *hi += unit;
        return *hi == 0;
    }
    return false;
}

static struct rres round_core(bool sign, int32_t e, u128 m, int prec, const struct rfmt *f,
                              struct sf80_status *s)
{
    struct rres r = { .kind = RK_ZERO, .sign = sign };
    bool inexact, inc;
    s->c1 = false;
    if (!m.hi && !m.lo)
        return r;
    if (!m.hi) {
        m.hi = m.lo;
        m.lo = 0;
        e -= 64;
    }
    int n = clz64(m.hi);
    m = shl128(m, (unsigned)n);
    e -= n;
    r.kind = RK_FINITE;

    if (e < f->emin) {
        /* Tininess is judged after rounding, as if the exponent were unbounded. */
        bool tiny = true;
        if (e == f->emin - 1) {
            uint64_t h = m.hi;
            bool ix, ic;
            if (round_bits(&h, m.lo, prec, sign, s->rc, &ix, &ic))
                tiny = false;
        }
        if (!(s->masks & SF80_UE) && tiny) {
            /* Unmasked: deliver the normal-precision result; the x87 wraps
             * the exponent for a register destination. A memory
             * destination gets nothing and only UE is reported. */
            s->flags |= SF80_UE;
            if (!f->wrap)
                return r;
            if (round_bits(&m.hi, m.lo, prec, sign, s->rc, &inexact, &inc)) {
                m.hi = 1ull << 63;
                e++;
            }
            if (inexact)
                s->flags |= SF80_PE;
            s->c1 = inc;
            r.e = f->wrap ? e + SF80_WRAP : e;
            r.sig = m.hi;
            return r;
        }
        m = shr_jam128(m, (uint32_t)(f->emin - e));
        e = f->emin;
        round_bits(&m.hi, m.lo, prec, sign, s->rc, &inexact, &inc);
        if (inexact) {
            s->flags |= SF80_PE;
            if (tiny)
                s->flags |= SF80_UE;
        }
        s->c1 = inc;
        r.e = e;
        r.sig = m.hi;
        if (!m.hi)
            r.kind = RK_ZERO;
        return r;
    }

    if (round_bits(&m.hi, m.lo, prec, sign, s->rc, &inexact, &inc)) {
        m.hi = 1ull << 63;
        e++;
    }
    if (e > f->emax && !(s->masks & SF80_OE)) {
        s->flags |= SF80_OE;
        if (!f->wrap)
            return r;
        if (inexact)
            s->flags |= SF80_PE;
        s->c1 = inc;
        r.e = e - SF80_WRAP;
        r.sig = m.hi;
        return r;
    }
    if (inexact)
        s->flags |= SF80_PE;
    s->c1 = inc;
    if (e > f->emax) {
        s->flags |= SF80_OE | SF80_PE;
        int rc = s->rc;
        if (rc == SF80_RC_NEAREST || (rc == SF80_RC_UP && !sign) || (rc == SF80_RC_DOWN && sign)) {
            r.kind = RK_INF;
            s->c1 = true;
        } else {
            r.e = f->emax;
            r.sig = prec >= 64 ? ~0ull : ~((1ull << (64 - prec)) - 1);
            s->c1 = false;
        }
        return r;
    }
    r.e = e;
    r.sig = m.hi;
    return r;
}

static floatx80 pack_x80(struct rres r)
{
    switch (r.kind) {
    case RK_ZERO: return sf80_make(r.sign, 0, 0);
    case RK_INF: return sf80_make(r.sign, SF80_EXP_MAX, 1ull << 63);
    default:
        if (!(r.sig >> 63))
            return sf80_make(r.sign, 0, r.sig);
        return sf80_make(r.sign, (r.e + SF80_BIAS) & SF80_EXP_MAX, r.sig);
    }
}

floatx80 sf80_round_pack(bool sign, int32_t exp, uint64_t sig_hi, uint64_t sig_lo,
                         struct sf80_status *s)
{
    return pack_x80(round_core(sign, exp, (u128){ sig_hi, sig_lo }, s->prec, &fmt_x80, s));
}

static floatx80 round_x80(bool sign, int32_t e, u128 m, struct sf80_status *s)
{
    return pack_x80(round_core(sign, e, m, s->prec, &fmt_x80, s));
}

/* ---- arithmetic ---- */

/* Operand screening shared by the two-operand operations: returns true when
 * the result is already decided (*out). */
static bool screen2(floatx80 a, floatx80 b, enum sf80_class ca, enum sf80_class cb,
                    floatx80 *out, struct sf80_status *s)
{
    if (ca == SF80_UNSUPPORTED || cb == SF80_UNSUPPORTED) {
        s->flags |= SF80_IE;
        *out = SF80_INDEFINITE;
        return true;
    }
    if (is_nan_class(ca) || is_nan_class(cb)) {
        *out = propagate_nan2(a, b, s);
        return true;
    }
    if (ca == SF80_DENORMAL || cb == SF80_DENORMAL) {
        s->flags |= SF80_DE;
        if (!(s->masks & SF80_DE)) {
            *out = a;
            return true;
        }
    }
    return false;
}

static floatx80 invalid(struct sf80_status *s)
{
    s->flags |= SF80_IE;
    return SF80_INDEFINITE;
}

static floatx80 addsub(floatx80 a, floatx80 b, bool negate_b, struct sf80_status *s)
{
    enum sf80_class ca = sf80_classify(a), cb = sf80_classify(b);
    floatx80 out;
    s->c1 = false;
    if (screen2(a, b, ca, cb, &out, s))
        return out;
    bool sa = sf80_sign(a), sb = sf80_sign(b) ^ negate_b;
    if (ca == SF80_INF) {
        if (cb == SF80_INF && sa != sb)
            return invalid(s);
        return a;
    }
    if (cb == SF80_INF)
        return sf80_make(sb, SF80_EXP_MAX, 1ull << 63);
    if (ca == SF80_ZERO && cb == SF80_ZERO)
        return sf80_make(sa == sb ? sa : s->rc == SF80_RC_DOWN, 0, 0);
    if (ca == SF80_ZERO) {
        struct unpacked ub = unpack(b);
        return round_x80(sb, ub.e, (u128){ ub.sig, 0 }, s);
    }
    if (cb == SF80_ZERO) {
        struct unpacked ua = unpack(a);
        return round_x80(sa, ua.e, (u128){ ua.sig, 0 }, s);
    }
    struct unpacked ua = unpack(a), ub = unpack(b);
    ua.sign = sa;
    ub.sign = sb;
    if (ua.e < ub.e || (ua.e == ub.e && ua.sig < ub.sig)) {
        struct unpacked t = ua;
        ua = ub;
        ub = t;
    }
    u128 ma = { ua.sig, 0 };
    u128 mb = shr_jam128((u128){ ub.sig, 0 }, (uint32_t)(ua.e - ub.e));
    int32_t e = ua.e;
    u128 m;
    if (ua.sign == ub.sign) {
        m = add128(ma, mb);
        if (m.hi < ma.hi) {
            m = shr_jam128(m, 1);
            m.hi |= 1ull << 63;
            e++;
        }
    } else {
        m = sub128(ma, mb);
        if (!m.hi && !m.lo)
            return sf80_make(s->rc == SF80_RC_DOWN, 0, 0);
    }
    return round_x80(ua.sign, e, m, s);
}

floatx80 sf80_add(floatx80 a, floatx80 b, struct sf80_status *s)
{
    return addsub(a, b, false, s);
}

floatx80 sf80_sub(floatx80 a, floatx80 b, struct sf80_status *s)
{
    return addsub(a, b, true, s);
}

floatx80 sf80_mul(floatx80 a, floatx80 b, struct sf80_status *s)
{
    enum sf80_class ca = sf80_classify(a), cb = sf80_classify(b);
    floatx80 out;
    s->c1 = false;
    if (screen2(a, b, ca, cb, &out, s))
        return out;
    bool sign = sf80_sign(a) ^ sf80_sign(b);
    if (ca == SF80_INF || cb == SF80_INF) {
        if (ca == SF80_ZERO || cb == SF80_ZERO)
            return invalid(s);
        return sf80_make(sign, SF80_EXP_MAX, 1ull << 63);
    }
    if (ca == SF80_ZERO || cb == SF80_ZERO)
        return sf80_make(sign, 0, 0);
    struct unpacked ua = unpack(a), ub = unpack(b);
    return round_x80(sign, ua.e + ub.e + 1, mul64(ua.sig, ub.sig), s);
}

/* Divides two normalized significands: the quotient's 66 leading bits in
 * the top of the result with a sticky bit below, and its exponent
 * adjustment (0 or -1) in *adjust. */
static u128 div_sig(uint64_t a, uint64_t b, int *adjust)
{
    bool top = false;
    uint64_t rem = a;
    *adjust = 0;
    if (a < b) {
        top = a >> 63;
        rem = a << 1;
        *adjust = -1;
    }
    u128 q = { 0, 0 };
    for (int i = 0; i < 66; i++) {
        bool ge = top || rem >= b;
        if (ge)
            rem -= b;
        q = shl128(q, 1);
        q.lo |= ge;
        top = rem >> 63;
        rem <<= 1;
    }
    q = shl128(q, 62);
    q.lo |= (top || rem);
    return q;
}

floatx80 sf80_div(floatx80 a, floatx80 b, struct sf80_status *s)
{
    enum sf80_class ca = sf80_classify(a), cb = sf80_classify(b);
    floatx80 out;
    s->c1 = false;
    bool sign = sf80_sign(a) ^ sf80_sign(b);
    /* A finite dividend over zero is a zero divide before it is a denormal. */
    if (cb == SF80_ZERO && (ca == SF80_NORMAL || ca == SF80_DENORMAL)) {
        s->flags |= SF80_ZE;
        return sf80_make(sign, SF80_EXP_MAX, 1ull << 63);
    }
    if (screen2(a, b, ca, cb, &out, s))
        return out;
    if (ca == SF80_INF) {
        if (cb == SF80_INF)
            return invalid(s);
        return sf80_make(sign, SF80_EXP_MAX, 1ull << 63);
    }
    if (cb == SF80_INF)
        return sf80_make(sign, 0, 0);
    if (cb == SF80_ZERO) {
        if (ca == SF80_ZERO)
            return invalid(s);
        s->flags |= SF80_ZE;
        return sf80_make(sign, SF80_EXP_MAX, 1ull << 63);
    }
    if (ca == SF80_ZERO)
        return sf80_make(sign, 0, 0);
    struct unpacked ua = unpack(a), ub = unpack(b);
    int adj;
    u128 q = div_sig(ua.sig, ub.sig, &adj);
    return round_x80(sign, ua.e - ub.e + adj, q, s);
}

/* Square root of sig/2^63 * 2^e (normalized): 66 root bits plus sticky, and
 * the result exponent in *re. */
static u128 sqrt_sig(uint64_t sig, int32_t e, int32_t *re)
{
    int shift = 67;
    if (e & 1) {
        shift = 68;
        e -= 1;
    }
    *re = e / 2;
    u128 rem = { 0, 0 }, root = { 0, 0 };
    for (int k = 0; k < 66; k++) {
        unsigned pair = 0;
        for (int b = 1; b >= 0; b--) {
            int j = 131 - 2 * k - (1 - b);
            unsigned bit = 0;
            if (j >= shift && j < shift + 64)
                bit = (sig >> (j - shift)) & 1;
            pair |= bit << b;
        }
        rem = shl128(rem, 2);
        rem.lo |= pair;
        u128 trial = shl128(root, 2);
        trial.lo |= 1;
        root = shl128(root, 1);
        if (cmp128(rem, trial) >= 0) {
            rem = sub128(rem, trial);
            root.lo |= 1;
        }
    }
    u128 m = shl128(root, 62);
    m.lo |= (rem.hi | rem.lo) != 0;
    return m;
}

floatx80 sf80_sqrt(floatx80 a, struct sf80_status *s)
{
    enum sf80_class ca = sf80_classify(a);
    s->c1 = false;
    switch (ca) {
    case SF80_UNSUPPORTED: return invalid(s);
    case SF80_SNAN: s->flags |= SF80_IE; return quiet(a);
    case SF80_QNAN: return a;
    case SF80_ZERO: return a;
    case SF80_INF: return sf80_sign(a) ? invalid(s) : a;
    case SF80_DENORMAL:
        if (sf80_sign(a))
            return invalid(s);
        s->flags |= SF80_DE;
        if (!(s->masks & SF80_DE))
            return a;
        break;
    default: break;
    }
    if (sf80_sign(a))
        return invalid(s);
    struct unpacked u = unpack(a);
    int32_t re;
    u128 m = sqrt_sig(u.sig, u.e, &re);
    return round_x80(false, re, m, s);
}

/* ---- integers ---- */

/* Rounds a finite value to an integer magnitude: returns false when it does
 * not fit in 64 bits. */
static bool round_to_u64(struct unpacked u, int rc, uint64_t *mag, bool *inexact, bool *inc)
{
    uint64_t ip;
    bool half, sticky;
    if (u.e >= 64)
        return false;
    if (u.e >= 63) {
        ip = u.sig;
        half = sticky = false;
    } else if (u.e >= 0) {
        int fb = 63 - u.e;
        ip = u.sig >> fb;
        uint64_t frac = u.sig << (64 - fb);
        half = frac >> 63;
        sticky = (frac << 1) != 0;
    } else {
        ip = 0;
        half = u.e == -1;
        sticky = u.e == -1 ? (u.sig << 1) != 0 : true;
    }
    *inexact = half || sticky;
    *inc = round_increment(u.sign, rc, ip & 1, half, sticky);
    if (*inc) {
        ip++;
        if (!ip)
            return false;
    }
    *mag = ip;
    return true;
}

static floatx80 from_u64(bool sign, uint64_t mag)
{
    if (!mag)
        return sf80_make(sign, 0, 0);
    int n = clz64(mag);
    return sf80_make(sign, SF80_BIAS + 63 - n, mag << n);
}

floatx80 sf80_round_to_int(floatx80 a, struct sf80_status *s)
{
    enum sf80_class ca = sf80_classify(a);
    s->c1 = false;
    switch (ca) {
    case SF80_UNSUPPORTED: return invalid(s);
    case SF80_SNAN: s->flags |= SF80_IE; return quiet(a);
    case SF80_QNAN:
    case SF80_ZERO:
    case SF80_INF: return a;
    case SF80_DENORMAL:
        s->flags |= SF80_DE;
        if (!(s->masks & SF80_DE))
            return a;
        break;
    default: break;
    }
    struct unpacked u = unpack(a);
    if (u.e >= 63)
        return a;
    uint64_t mag;
    bool inexact, inc;
    round_to_u64(u, s->rc, &mag, &inexact, &inc);
    if (inexact)
        s->flags |= SF80_PE;
    s->c1 = inc;
    return from_u64(u.sign, mag);
}

floatx80 sf80_from_int64(int64_t v)
{
    uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
    return from_u64(v < 0, mag);
}

int64_t sf80_to_int(floatx80 a, int bits, bool truncate, struct sf80_status *s)
{
    enum sf80_class ca = sf80_classify(a);
    int64_t indefinite = (int64_t)(~0ull << (bits - 1));
    s->c1 = false;
    switch (ca) {
    case SF80_UNSUPPORTED:
    case SF80_SNAN:
    case SF80_QNAN:
    case SF80_INF:
        s->flags |= SF80_IE;
        return indefinite;
    case SF80_ZERO: return 0;
    default: break;
    }
    struct unpacked u = unpack(a);
    uint64_t mag;
    bool inexact, inc;
    uint64_t limit = 1ull << (bits - 1);
    if (!round_to_u64(u, truncate ? SF80_RC_ZERO : s->rc, &mag, &inexact, &inc) ||
        mag > limit - !u.sign) {
        s->flags |= SF80_IE;
        return indefinite;
    }
    if (inexact)
        s->flags |= SF80_PE;
    s->c1 = inc;
    return u.sign ? (int64_t)(0 - mag) : (int64_t)mag;
}

/* ---- binary32 / binary64 ---- */

static floatx80 from_ieee(uint64_t v, int fbits, int ebits, struct sf80_status *s)
{
    bool sign = v >> (fbits + ebits);
    int emax = (1 << ebits) - 1, bias = emax >> 1;
    int exp = (int)((v >> fbits) & (uint64_t)emax);
    uint64_t frac = v & ((1ull << fbits) - 1);
    s->c1 = false;
    if (exp == emax) {
        if (!frac)
            return sf80_make(sign, SF80_EXP_MAX, 1ull << 63);
        if (!((frac >> (fbits - 1)) & 1))
            s->flags |= SF80_IE;
        return sf80_make(sign, SF80_EXP_MAX, (1ull << 63) | (1ull << 62) | (frac << (63 - fbits)));
    }
    if (exp == 0) {
        if (!frac)
            return sf80_make(sign, 0, 0);
        s->flags |= SF80_DE;
        int n = clz64(frac);
        /* frac's top bit at position 63-n stands for 2^(1-bias-fbits+63-n) */
        return sf80_make(sign, SF80_BIAS + 1 - bias - fbits + 63 - n, frac << n);
    }
    return sf80_make(sign, exp - bias + SF80_BIAS, (1ull << 63) | (frac << (63 - fbits)));
}

floatx80 sf80_from_f32(uint32_t v, struct sf80_status *s)
{
    return from_ieee(v, 23, 8, s);
}

floatx80 sf80_from_f64(uint64_t v, struct sf80_status *s)
{
    return from_ieee(v, 52, 11, s);
}

static uint64_t to_ieee(floatx80 a, int fbits, int ebits, const struct rfmt *f,
                        struct sf80_status *s)
{
    enum sf80_class ca = sf80_classify(a);
    uint64_t sign = (uint64_t)sf80_sign(a) << (fbits + ebits);
    uint64_t emax = (1ull << ebits) - 1;
    uint64_t inf = emax << fbits;
    s->c1 = false;
    switch (ca) {
    case SF80_UNSUPPORTED:
        s->flags |= SF80_IE;
        return (1ull << (fbits + ebits)) | inf | (1ull << (fbits - 1));
    case SF80_SNAN:
        s->flags |= SF80_IE;
        /* fall through */
    case SF80_QNAN:
        return sign | inf | (1ull << (fbits - 1)) | ((a.sig << 1) >> (64 - fbits));
    case SF80_INF: return sign | inf;
    case SF80_ZERO: return sign;
    default: break; /* a denormal source is not a denormal-operand fault here */
    }
    struct unpacked u = unpack(a);
    struct rres r = round_core(u.sign, u.e, (u128){ u.sig, 0 }, fbits + 1, f, s);
    switch (r.kind) {
    case RK_ZERO: return sign;
    case RK_INF: return sign | inf;
    default:
        if (!(r.sig >> 63))
            return sign | (r.sig >> (63 - fbits));
        return sign | ((uint64_t)(r.e + (int32_t)(emax >> 1)) << fbits) |
               ((r.sig << 1) >> (64 - fbits));
    }
}

uint32_t sf80_to_f32(floatx80 a, struct sf80_status *s)
{
    return (uint32_t)to_ieee(a, 23, 8, &fmt_f32, s);
}

uint64_t sf80_to_f64(floatx80 a, struct sf80_status *s)
{
    return to_ieee(a, 52, 11, &fmt_f64, s);
}

/* ---- comparison ---- */

enum sf80_relation sf80_compare(floatx80 a, floatx80 b, bool quiet_cmp, struct sf80_status *s)
{
    enum sf80_class ca = sf80_classify(a), cb = sf80_classify(b);
    s->c1 = false;
    if (ca == SF80_UNSUPPORTED || cb == SF80_UNSUPPORTED || ca == SF80_SNAN || cb == SF80_SNAN) {
        s->flags |= SF80_IE;
        return SF80_UNORDERED;
    }
    if (ca == SF80_QNAN || cb == SF80_QNAN) {
        if (!quiet_cmp)
            s->flags |= SF80_IE;
        return SF80_UNORDERED;
    }
    if (ca == SF80_DENORMAL || cb == SF80_DENORMAL)
        s->flags |= SF80_DE;
    if (ca == SF80_ZERO && cb == SF80_ZERO)
        return SF80_EQ;
    bool sa = sf80_sign(a), sb = sf80_sign(b);
    if (ca == SF80_ZERO)
        return sb ? SF80_GT : SF80_LT;
    if (cb == SF80_ZERO)
        return sa ? SF80_LT : SF80_GT;
    if (sa != sb)
        return sa ? SF80_LT : SF80_GT;
    /* Same sign, both nonzero: order magnitudes (infinity above all). */
    int mag;
    if (ca == SF80_INF || cb == SF80_INF) {
        mag = (ca == SF80_INF) - (cb == SF80_INF);
    } else {
        struct unpacked ua = unpack(a), ub = unpack(b);
        if (ua.e != ub.e)
            mag = ua.e < ub.e ? -1 : 1;
        else
            mag = ua.sig == ub.sig ? 0 : (ua.sig < ub.sig ? -1 : 1);
    }
    if (mag == 0)
        return SF80_EQ;
    if (sa)
        mag = -mag;
    return mag < 0 ? SF80_LT : SF80_GT;
}
