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
        /* An unmasked underflow delivers the result with its exponent
         * wrapped into range; one too small even for that (only FSCALE
         * gets there) is delivered as if masked. */
        if (!(s->masks & SF80_UE) && tiny && f->wrap && e + SF80_WRAP < f->emin) {
            /* beyond even the wrapped range (only FSCALE gets here): zero */
            s->flags |= SF80_UE | SF80_PE;
            r.kind = RK_ZERO;
            return r;
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
    if (e > f->emax && !(s->masks & SF80_OE) && f->wrap && e - SF80_WRAP > f->emax) {
        /* beyond even the wrapped range: infinity, whatever the rounding */
        s->flags |= SF80_OE | SF80_PE;
        s->c1 = true;
        r.kind = RK_INF;
        return r;
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

/* ---- packed BCD ---- */

floatx80 sf80_from_bcd(const uint8_t bcd[10])
{
    uint64_t v = 0;
    for (int i = 8; i >= 0; i--)
        v = v * 100 + (uint64_t)(bcd[i] >> 4) * 10 + (bcd[i] & 15);
    return from_u64(bcd[9] >> 7, v);
}

void sf80_to_bcd(floatx80 a, uint8_t bcd[10], struct sf80_status *s)
{
    static const uint8_t indefinite[10] = { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff };
    enum sf80_class ca = sf80_classify(a);
    uint64_t mag = 0;
    bool inexact = false, inc = false;
    s->c1 = false;
    if (ca == SF80_UNSUPPORTED || is_nan_class(ca) || ca == SF80_INF) {
        s->flags |= SF80_IE;
        memcpy(bcd, indefinite, 10);
        return;
    }
    if (ca != SF80_ZERO) {
        if (!round_to_u64(unpack(a), s->rc, &mag, &inexact, &inc) || mag >= 1000000000000000000ull) {
            s->flags |= SF80_IE;
            memcpy(bcd, indefinite, 10);
            return;
        }
    }
    if (inexact)
        s->flags |= SF80_PE;
    s->c1 = inc;
    for (int i = 0; i < 9; i++) {
        unsigned lo = (unsigned)(mag % 10), hi = (unsigned)(mag / 10 % 10);
        mag /= 100;
        bcd[i] = (uint8_t)(hi << 4 | lo);
    }
    bcd[9] = sf80_sign(a) ? 0x80 : 0;
}

/* ---- FSCALE, FXTRACT, FPREM ---- */

floatx80 sf80_scale(floatx80 a, floatx80 b, struct sf80_status *s)
{
    enum sf80_class ca = sf80_classify(a), cb = sf80_classify(b);
    floatx80 out;
    s->c1 = false;
    if (screen2(a, b, ca, cb, &out, s))
        return out;
    if (cb == SF80_INF) {
        bool neg = sf80_sign(b);
        if ((ca == SF80_INF && neg) || (ca == SF80_ZERO && !neg))
            return invalid(s);
        if (ca == SF80_INF || ca == SF80_ZERO)
            return a;
        return neg ? sf80_make(sf80_sign(a), 0, 0) : sf80_make(sf80_sign(a), SF80_EXP_MAX, 1ull << 63);
    }
    if (ca == SF80_INF || ca == SF80_ZERO)
        return a;
    /* trunc(b), clamped far beyond any exponent that can still matter */
    int32_t n = 0;
    if (cb != SF80_ZERO) {
        struct unpacked ub = unpack(b);
        if (ub.e >= 20)
            n = 1 << 20;
        else if (ub.e >= 0)
            n = (int32_t)(ub.sig >> (63 - ub.e));
        if (ub.sign)
            n = -n;
    }
    struct unpacked ua = unpack(a);
    struct sf80_status s64 = *s;
    s64.prec = 64;
    floatx80 r = round_x80(ua.sign, ua.e + n, (u128){ ua.sig, 0 }, &s64);
    s->flags = s64.flags;
    s->c1 = s64.c1;
    return r;
}

void sf80_extract(floatx80 a, floatx80 *exponent, floatx80 *significand, struct sf80_status *s)
{
    enum sf80_class ca = sf80_classify(a);
    s->c1 = false;
    switch (ca) {
    case SF80_UNSUPPORTED:
        *exponent = *significand = invalid(s);
        return;
    case SF80_SNAN:
        s->flags |= SF80_IE;
        /* fall through */
    case SF80_QNAN:
        *exponent = *significand = quiet(a);
        return;
    case SF80_INF:
        *exponent = sf80_make(false, SF80_EXP_MAX, 1ull << 63);
        *significand = a;
        return;
    case SF80_ZERO:
        s->flags |= SF80_ZE;
        *exponent = sf80_make(true, SF80_EXP_MAX, 1ull << 63);
        *significand = a;
        return;
    case SF80_DENORMAL:
        s->flags |= SF80_DE;
        break;
    default: break;
    }
    struct unpacked u = unpack(a);
    *exponent = sf80_from_int64(u.e);
    *significand = sf80_make(u.sign, SF80_BIAS, u.sig);
}

/* An unpacked value back in canonical 80-bit form (exact unless tiny). */
static floatx80 exact_x80(struct unpacked u, struct sf80_status *s)
{
    struct sf80_status s64 = *s;
    s64.prec = 64;
    floatx80 r = round_x80(u.sign, u.e, (u128){ u.sig, 0 }, &s64);
    s->flags = s64.flags;
    s->c1 = false;
    return r;
}

/* Reduction step count of a partial FPREM: the hardware brings the
 * exponent difference down to a multiple of 32 per step. */
static int32_t fprem_chunk(int32_t d)
{
    return 32 + (d & 31);
}

floatx80 sf80_rem(floatx80 a, floatx80 b, bool round_nearest, unsigned *quotient,
                  bool *incomplete, struct sf80_status *s)
{
    enum sf80_class ca = sf80_classify(a), cb = sf80_classify(b);
    floatx80 out;
    *quotient = 0;
    *incomplete = false;
    s->c1 = false;
    /* an infinite dividend or zero divisor is invalid before any denormal */
    if ((ca == SF80_INF || cb == SF80_ZERO) && !is_nan_class(ca) && !is_nan_class(cb) &&
        ca != SF80_UNSUPPORTED && cb != SF80_UNSUPPORTED)
        return invalid(s);
    if (screen2(a, b, ca, cb, &out, s))
        return out;
    if (ca == SF80_ZERO)
        return a;
    if (cb == SF80_INF)
        return exact_x80(unpack(a), s);
    struct unpacked ua = unpack(a), ub = unpack(b);
    int32_t d = ua.e - ub.e;
    /* |a| < |b|/2, or |a| < |b| without rounding: a is the remainder (a
     * pseudo-denormal comes back in its canonical form). */
    if (d < -1 || (d < 0 && !round_nearest))
        return exact_x80(ua, s);
    uint64_t q = 0;
    bool sign = ua.sign;
    int32_t re = ub.e;
    u128 m;
    if (d < 0) {
        /* FPREM1 with |b|/2 <= |a| < |b|: the quotient rounds to 1 unless
         * |a| is at most half of |b|. */
        if (ua.sig <= ub.sig)
            return exact_x80(ua, s);
        m = sub128((u128){ ub.sig, 0 }, (u128){ ua.sig >> 1, ua.sig << 63 });
        sign = !sign;
        q = 1;
    } else {
        int32_t steps = d;
        if (d >= 64) {
            steps = fprem_chunk(d);
            re = ua.e - steps;
            *incomplete = true;
        }
        /* Long division of the significands, one quotient bit per exponent
         * step; the remainder keeps the divisor's scale (2^re) and is exact. */
        uint64_t rem = ua.sig;
        bool top = false;
        for (int32_t i = 0;; i++) {
            bool ge = top || rem >= ub.sig;
            if (ge)
                rem -= ub.sig;
            q = (q << 1) | ge;
            if (i == steps)
                break;
            top = rem >> 63;
            rem <<= 1;
        }
        m = (u128){ rem, 0 };
        if (round_nearest && !*incomplete) {
            /* FPREM1: quotient to nearest, ties to even. */
            int c = cmp128(shl128((u128){ 0, rem }, 1), (u128){ 0, ub.sig });
            if (c > 0 || (c == 0 && (q & 1))) {
                m = (u128){ ub.sig - rem, 0 };
                sign = !sign;
                q++;
            }
        }
    }
    *quotient = (unsigned)(q & 7);
    if (!m.hi && !m.lo)
        return sf80_make(ua.sign, 0, 0);
    struct sf80_status s64 = *s;
    s64.prec = 64;
    floatx80 r = round_x80(sign, re, m, &s64);
    s->flags = s64.flags;
    s->c1 = false;
    return r;
}

/* ---- transcendentals ----
 *
 * Method: the operand is converted exactly to a working format with a
 * 128-bit significand (struct xf); the function is evaluated there with
 * truncating operations (relative error about 2^-120 after all steps) and
 * the result is rounded once to 64 bits in the current rounding mode, so
 * it is the correctly rounded value except when the true result lies
 * within ~2^-56 ulp of a rounding boundary.
 *  - sin/cos/tan: the argument is reduced exactly by pi/2 taken as the
 *    x87's 66-bit pi (so results near multiples of pi match the hardware),
 *    then Taylor series on [-pi/4, pi/4].
 *  - atan: octant folding to t in [0, 1], then atan(t) = atan(k/16) +
 *    atan((t - k/16) / (1 + t k/16)) with a table of atan(k/16) and a
 *    Taylor series on |t'| <= 1/32.
 *  - log2: x = 2^e * m with m in [sqrt(2)/2, sqrt(2)), ln(m) = 2 atanh(s),
 *    s = (m-1)/(m+1), |s| <= 0.172; log2(1+x) uses s = x/(2+x) directly.
 *  - 2^x - 1: expm1(x ln 2) by its Taylor series (|x ln 2| <= 0.7).
 * Constants (pi, ln 2, log2(e), atan(k/16)) are 128-bit truncations
 * computed with bc. */

struct xf {
    bool sign;
    int32_t e;   /* value = m / 2^127 * 2^e */
    u128 m;      /* normalized (bit 127 set), or zero */
};

struct xf_const {
    uint64_t hi, lo;
    int32_t e;
};

static const struct xf_const xf_pi = { 0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, 1 };
static const struct xf_const xf_ln2 = { 0xb17217f7d1cf79abull, 0xc9e3b39803f2f6afull, -1 };
static const struct xf_const xf_log2e = { 0xb8aa3b295c17f0bbull, 0xbe87fed0691d3e88ull, 0 };
static const struct xf_const xf_sqrt2 = { 0xb504f333f9de6484ull, 0x597d89b3754abe9full, 0 };

/* atan(k/16), k = 1..16 */
static const struct xf_const xf_atan_table[16] = {
    { 0xffaaddb967ef4e36ull, 0xcb2792dc0e2e0d51ull, -5 },
    { 0xfeadd4d5617b6e32ull, 0xc897989f3e888ef7ull, -4 },
    { 0xbdcbda5e72d81134ull, 0x7b0b4f881c9c7487ull, -3 },
    { 0xfadbafc96406eb15ull, 0x6dc79ef5f7a217e5ull, -3 },
    { 0x9b13b9b83f5e5e69ull, 0xc5abb498d27af328ull, -2 },
    { 0xb7b0ca0f26f78473ull, 0x8aa32122dcfe4483ull, -2 },
    { 0xd327761e611fe5b6ull, 0x427c95e9001e7136ull, -2 },
    { 0xed63382b0dda7b45ull, 0x6fe445ecbc3a8d03ull, -2 },
    { 0x832bf4a6d9867e2aull, 0x4b6a09cb61a515c0ull, -1 },
    { 0x8f005d5ef7f59f9bull, 0x5c835e1665c43747ull, -1 },
    { 0x9a2f80e671bdda20ull, 0x4226f8e2204ff3bcull, -1 },
    { 0xa4bc7d1934f70924ull, 0x19a87f2a457dac9eull, -1 },
    { 0xaeac4c38b4d8c080ull, 0x14725e2f3e52070aull, -1 },
    { 0xb8053e2bc2319e73ull, 0xcb2da55210a4443dull, -1 },
    { 0xc0ce85b8ac526640ull, 0x89dd62c46e92fa24ull, -1 },
    { 0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, -1 },
};

static struct xf xf_k(const struct xf_const *c)
{
    return (struct xf){ false, c->e, { c->hi, c->lo } };
}

static bool xf_zero(struct xf a)
{
    return !a.m.hi && !a.m.lo;
}

static struct xf xf_norm(struct xf a)
{
    if (xf_zero(a))
        return a;
    int n = a.m.hi ? clz64(a.m.hi) : 64 + clz64(a.m.lo);
    a.m = shl128(a.m, (unsigned)n);
    a.e -= n;
    return a;
}

static struct xf xf_x80(floatx80 v)
{
    if (sf80_classify(v) == SF80_ZERO)
        return (struct xf){ sf80_sign(v), 0, { 0, 0 } };
    struct unpacked u = unpack(v);
    return (struct xf){ u.sign, u.e, { u.sig, 0 } };
}

static struct xf xf_int(int64_t v)
{
    struct xf r = { v < 0, 127, { 0, v < 0 ? -(uint64_t)v : (uint64_t)v } };
    return xf_norm(r);
}

static struct xf xf_neg(struct xf a)
{
    a.sign = !a.sign;
    return a;
}

static struct xf xf_mul(struct xf a, struct xf b)
{
    struct xf r = { a.sign ^ b.sign, 0, { 0, 0 } };
    if (xf_zero(a) || xf_zero(b))
        return r;
    u128 hh = mul64(a.m.hi, b.m.hi), hl = mul64(a.m.hi, b.m.lo);
    u128 lh = mul64(a.m.lo, b.m.hi), ll = mul64(a.m.lo, b.m.lo);
    u128 mid = add128((u128){ 0, hl.lo }, (u128){ 0, lh.lo });
    mid = add128(mid, (u128){ 0, ll.hi });
    uint64_t w1 = mid.lo;
    u128 top = add128(hh, (u128){ 0, hl.hi });
    top = add128(top, (u128){ 0, lh.hi });
    top = add128(top, (u128){ 0, mid.hi });
    r.e = a.e + b.e + 1;
    if (!(top.hi >> 63)) {
        top = shl128(top, 1);
        top.lo |= w1 >> 63;
        r.e--;
    }
    r.m = top;
    return r;
}

static struct xf xf_add(struct xf a, struct xf b)
{
    if (xf_zero(a))
        return b;
    if (xf_zero(b))
        return a;
    if (a.e < b.e || (a.e == b.e && cmp128(a.m, b.m) < 0)) {
        struct xf t = a;
        a = b;
        b = t;
    }
    /* the shifted-out bits stay as a sticky bit, so a tiny correction still
     * steers directed rounding the right way */
    u128 bm = shr_jam128(b.m, (uint32_t)(a.e - b.e));
    struct xf r = { a.sign, a.e, { 0, 0 } };
    if (a.sign == b.sign) {
        r.m = add128(a.m, bm);
        if (cmp128(r.m, a.m) < 0) {
            r.m = shr128(r.m, 1);
            r.m.hi |= 1ull << 63;
            r.e++;
        }
        return r;
    }
    r.m = sub128(a.m, bm);
    return xf_norm(r);
}

static struct xf xf_sub(struct xf a, struct xf b)
{
    return xf_add(a, xf_neg(b));
}

static struct xf xf_div(struct xf a, struct xf b)
{
    struct xf r = { a.sign ^ b.sign, a.e - b.e, { 0, 0 } };
    if (xf_zero(a))
        return r;
    u128 rem = a.m;
    bool top = false;
    if (cmp128(a.m, b.m) < 0) {
        top = true;   /* a.m has bit 127 set: doubling it carries out */
        rem = shl128(rem, 1);
        r.e--;
    }
    for (int i = 0; i < 128; i++) {
        bool ge = top || cmp128(rem, b.m) >= 0;
        if (ge)
            rem = sub128(rem, b.m);
        r.m = shl128(r.m, 1);
        r.m.lo |= ge;
        top = rem.hi >> 63;
        rem = shl128(rem, 1);
    }
    r.m.lo |= top || rem.hi || rem.lo; /* sticky */
    return r;
}

static struct xf xf_div_u32(struct xf a, uint32_t n)
{
    if (xf_zero(a))
        return a;
    uint32_t w[5] = { (uint32_t)(a.m.hi >> 32), (uint32_t)a.m.hi, (uint32_t)(a.m.lo >> 32),
                      (uint32_t)a.m.lo, 0 };
    uint64_t r = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t cur = (r << 32) | w[i];
        w[i] = (uint32_t)(cur / n);
        r = cur % n;
    }
    u128 q = { ((uint64_t)w[0] << 32) | w[1], ((uint64_t)w[2] << 32) | w[3] };
    int k = q.hi ? clz64(q.hi) : 64 + clz64(q.lo);
    q = shl128(q, (unsigned)k);
    if (k)
        q.lo |= (uint64_t)w[4] >> (32 - k);
    return (struct xf){ a.sign, a.e - k, q };
}

static struct xf xf_ldexp(struct xf a, int32_t n)
{
    if (!xf_zero(a))
        a.e += n;
    return a;
}

static floatx80 xf_round(struct xf a, struct sf80_status *s)
{
    return pack_x80(round_core(a.sign, a.e, a.m, 64, &fmt_x80, s));
}

/* Rounds to 64 bits, leaving the precision-control setting out of it. */
static floatx80 xf_round64(struct xf a, struct sf80_status *s)
{
    if (xf_zero(a)) {
        s->c1 = false;
        return sf80_make(a.sign, 0, 0);
    }
    return xf_round(a, s);
}

/* A series stops after the first term that only reaches the last few bits
 * of the 128-bit sum: adding it sets the sticky bit that tells directed
 * rounding the sum is not exact, and stopping there keeps a later term's
 * sticky bit from cancelling that one. */
#define SERIES_STOP 120

/* Rounds a value that cannot be exactly representable (sin, cos, tan,
 * atan, 2^x - 1 of a nonzero non-integer): when the working value happens
 * to look exact at 64 bits, a sticky bit keeps PE (and UE when tiny) as the
 * hardware reports them. */
static floatx80 xf_round_inexact(struct xf a, struct sf80_status *s)
{
    a.m.lo |= 1;
    return xf_round64(a, s);
}

/* sin and cos of |r| <= pi/4 */
static struct xf xf_sin_kernel(struct xf r)
{
    struct xf r2 = xf_mul(r, r), term = r, sum = r;
    for (uint32_t k = 1; k <= 20; k++) {
        term = xf_div_u32(xf_mul(term, r2), (2 * k) * (2 * k + 1));
        sum = (k & 1) ? xf_sub(sum, term) : xf_add(sum, term);
        if (xf_zero(term) || term.e < sum.e - SERIES_STOP)
            break;
    }
    return sum;
}

static struct xf xf_cos_kernel(struct xf r)
{
    struct xf r2 = xf_mul(r, r), term = xf_int(1), sum = xf_int(1);
    for (uint32_t k = 1; k <= 20; k++) {
        term = xf_div_u32(xf_mul(term, r2), (2 * k - 1) * (2 * k));
        sum = (k & 1) ? xf_sub(sum, term) : xf_add(sum, term);
        if (xf_zero(term) || term.e < sum.e - SERIES_STOP)
            break;
    }
    return sum;
}

/* Reduces |x| (finite, < 2^63) by pi/2 where pi is the x87's 66-bit
 * 0x3.243F6A8885A308D3: |x| = q * pi/2 + r exactly, |r| <= pi/4. */
static struct xf reduce_pio2(struct xf x, unsigned *q)
{
    *q = 0;
    x.sign = false;
    if (xf_zero(x) || x.e <= -2)
        return x;
    /* x = X * 2^(e-63) with a 64-bit X, pi/2 = Q * 2^-65 with a 66-bit Q:
     * x / (pi/2) = (X << (e+2)) / Q. */
    const u128 Q = { 0x3, 0x243f6a8885a308d3ull };
    u128 n = shl128((u128){ 0, x.m.hi }, (unsigned)(x.e + 2));
    u128 rem = { 0, 0 };
    uint64_t quo = 0;
    for (int i = 127; i >= 0; i--) {
        rem = shl128(rem, 1);
        rem.lo |= (i >= 64 ? n.hi >> (i - 64) : n.lo >> i) & 1;
        quo <<= 1;
        if (cmp128(rem, Q) >= 0) {
            rem = sub128(rem, Q);
            quo |= 1;
        }
    }
    struct xf r = { false, 127 - 65, rem };
    if (cmp128(shl128(rem, 1), Q) > 0) {
        r.m = sub128(Q, rem);
        r.sign = true;
        quo++;
    }
    *q = (unsigned)(quo & 3);
    return xf_norm(r);
}

/* Operand screening of the one-operand transcendentals: true when *out is
 * the answer already. */
static bool screen1(floatx80 a, enum sf80_class ca, floatx80 *out, struct sf80_status *s)
{
    switch (ca) {
    case SF80_UNSUPPORTED: *out = invalid(s); return true;
    case SF80_SNAN: s->flags |= SF80_IE; *out = quiet(a); return true;
    case SF80_QNAN: *out = a; return true;
    case SF80_DENORMAL:
        s->flags |= SF80_DE;
        if (!(s->masks & SF80_DE)) {
            *out = a;
            return true;
        }
        return false;
    default: return false;
    }
}

static bool trig_out_of_range(floatx80 a)
{
    return sf80_exp(a) >= SF80_BIAS + 63 && sf80_exp(a) != SF80_EXP_MAX;
}

/* Shared by FSIN, FCOS, FPTAN: screens the operand and reduces it.
 * Returns false when *out is the answer already. */
static bool trig_prepare(floatx80 a, bool *out_of_range, floatx80 *out, struct xf *r,
                         unsigned *q, struct sf80_status *s)
{
    enum sf80_class ca = sf80_classify(a);
    *out_of_range = false;
    s->c1 = false;
    if (screen1(a, ca, out, s))
        return false;
    if (ca == SF80_INF) {
        *out = invalid(s);
        return false;
    }
    if (trig_out_of_range(a)) {
        *out_of_range = true;
        *out = a;
        return false;
    }
    *r = reduce_pio2(xf_x80(a), q);
    return true;
}

floatx80 sf80_sin(floatx80 a, bool *out_of_range, struct sf80_status *s)
{
    floatx80 out;
    struct xf r, v;
    unsigned q;
    if (!trig_prepare(a, out_of_range, &out, &r, &q, s))
        return out;
    if (sf80_classify(a) == SF80_ZERO)
        return a;
    switch (q) {
    case 0: v = xf_sin_kernel(r); break;
    case 1: v = xf_cos_kernel(r); break;
    case 2: v = xf_neg(xf_sin_kernel(r)); break;
    default: v = xf_neg(xf_cos_kernel(r)); break;
    }
    if (sf80_sign(a))
        v = xf_neg(v);
    return xf_round_inexact(v, s);
}

floatx80 sf80_cos(floatx80 a, bool *out_of_range, struct sf80_status *s)
{
    floatx80 out;
    struct xf r, v;
    unsigned q;
    if (!trig_prepare(a, out_of_range, &out, &r, &q, s))
        return out;
    if (sf80_classify(a) == SF80_ZERO)
        return sf80_make(false, SF80_BIAS, 1ull << 63);
    switch (q) {
    case 0: v = xf_cos_kernel(r); break;
    case 1: v = xf_neg(xf_sin_kernel(r)); break;
    case 2: v = xf_neg(xf_cos_kernel(r)); break;
    default: v = xf_sin_kernel(r); break;
    }
    return xf_round_inexact(v, s);
}

floatx80 sf80_tan(floatx80 a, bool *out_of_range, struct sf80_status *s)
{
    floatx80 out;
    struct xf r, v;
    unsigned q;
    if (!trig_prepare(a, out_of_range, &out, &r, &q, s))
        return out;
    if (sf80_classify(a) == SF80_ZERO)
        return a;
    if (r.e < -24 && !(q & 1)) {
        /* tan r = r + r^3/3 + 2r^5/15 + ...: summed directly so the sign of
         * the tiny correction survives for rounding */
        struct xf r2 = xf_mul(r, r), r3 = xf_mul(r, r2);
        v = xf_add(r, xf_add(xf_div_u32(r3, 3), xf_div_u32(xf_ldexp(xf_mul(r3, r2), 1), 15)));
    } else {
        struct xf sr = xf_sin_kernel(r), cr = xf_cos_kernel(r);
        v = (q & 1) ? xf_neg(xf_div(cr, sr)) : xf_div(sr, cr);
    }
    if (sf80_sign(a))
        v = xf_neg(v);
    return xf_round_inexact(v, s);
}

/* atan(t) for 0 <= t <= 1 */
static struct xf xf_atan01(struct xf t)
{
    if (xf_zero(t))
        return t;
    /* k = round(16 t) */
    uint32_t k = 0;
    if (t.e >= -5) {
        u128 t32 = shr128(t.m, (unsigned)(127 - (t.e + 5)));
        k = (uint32_t)((t32.lo + 1) >> 1);
    }
    struct xf base = { false, 0, { 0, 0 } }, u = t;
    if (k) {
        struct xf c = xf_ldexp(xf_int(k), -4);
        u = xf_div(xf_sub(t, c), xf_add(xf_int(1), xf_mul(t, c)));
        base = xf_k(&xf_atan_table[k - 1]);
    }
    struct xf u2 = xf_mul(u, u), pw = u, sum = u;
    for (uint32_t j = 1; j <= 30 && !xf_zero(u); j++) {
        pw = xf_mul(pw, u2);
        struct xf term = xf_div_u32(pw, 2 * j + 1);
        sum = (j & 1) ? xf_sub(sum, term) : xf_add(sum, term);
        if (xf_zero(term) || term.e < sum.e - SERIES_STOP)
            break;
    }
    return xf_add(base, sum);
}

static floatx80 pi_multiple(bool sign, int quarters, struct sf80_status *s)
{
    /* quarters of pi: 1 = pi/4, 2 = pi/2, 3 = 3pi/4, 4 = pi */
    struct xf v = xf_k(&xf_pi);
    if (quarters == 3)
        v = xf_sub(v, xf_ldexp(v, -2));
    else
        v = xf_ldexp(v, quarters == 1 ? -2 : quarters == 2 ? -1 : 0);
    v.sign = sign;
    return xf_round64(v, s);
}

floatx80 sf80_atan2(floatx80 y, floatx80 x, struct sf80_status *s)
{
    enum sf80_class cy = sf80_classify(y), cx = sf80_classify(x);
    floatx80 out;
    s->c1 = false;
    if (screen2(y, x, cy, cx, &out, s))
        return out;
    bool sy = sf80_sign(y), sx = sf80_sign(x);
    if (cy == SF80_ZERO)
        return sx ? pi_multiple(sy, 4, s) : y;
    if (cy == SF80_INF) {
        if (cx == SF80_INF)
            return pi_multiple(sy, sx ? 3 : 1, s);
        return pi_multiple(sy, 2, s);
    }
    if (cx == SF80_INF)
        return sx ? pi_multiple(sy, 4, s) : sf80_make(sy, 0, 0);
    if (cx == SF80_ZERO)
        return pi_multiple(sy, 2, s);
    struct xf ay = xf_x80(y), ax = xf_x80(x);
    ay.sign = ax.sign = false;
    bool swap = ay.e > ax.e || (ay.e == ax.e && cmp128(ay.m, ax.m) > 0);
    struct xf v = swap ? xf_atan01(xf_div(ax, ay)) : xf_atan01(xf_div(ay, ax));
    struct xf pi = xf_k(&xf_pi);
    if (swap)
        v = xf_sub(xf_ldexp(pi, -1), v);
    if (sx)
        v = xf_sub(pi, v);
    v.sign = sy;
    return xf_round_inexact(v, s);
}

/* ln(1 + x) = 2 atanh(s), s = x / (2 + x) */
static struct xf xf_atanh2(struct xf sv)
{
    struct xf s2 = xf_mul(sv, sv), pw = sv, sum = sv;
    for (uint32_t j = 1; j <= 60 && !xf_zero(sv); j++) {
        pw = xf_mul(pw, s2);
        struct xf term = xf_div_u32(pw, 2 * j + 1);
        sum = xf_add(sum, term);
        if (xf_zero(term) || term.e < sum.e - SERIES_STOP)
            break;
    }
    return xf_ldexp(sum, 1);
}

/* log2 of a positive value */
static struct xf xf_log2(struct xf v)
{
    int32_t e = v.e;
    v.e = 0;
    if (cmp128(v.m, (u128){ xf_sqrt2.hi, xf_sqrt2.lo }) > 0) {
        v.e = -1;
        e++;
    }
    struct xf one = xf_int(1);
    struct xf sv = xf_div(xf_sub(v, one), xf_add(v, one));
    struct xf ln = xf_atanh2(sv);
    return xf_add(xf_int(e), xf_mul(ln, xf_k(&xf_log2e)));
}

floatx80 sf80_yl2x(floatx80 x, floatx80 y, struct sf80_status *s)
{
    enum sf80_class cx = sf80_classify(x), cy = sf80_classify(y);
    floatx80 out;
    s->c1 = false;
    bool sx = sf80_sign(x), sy = sf80_sign(y);
    /* the log of a negative number is invalid before any denormal */
    bool plain = !is_nan_class(cx) && !is_nan_class(cy) && cx != SF80_UNSUPPORTED &&
                 cy != SF80_UNSUPPORTED;
    if (plain && sx && cx != SF80_ZERO)
        return invalid(s);
    if (!(plain && cx == SF80_ZERO) && screen2(x, y, cx, cy, &out, s))
        return out;
    if (cx == SF80_ZERO) {
        if (cy == SF80_ZERO)
            return invalid(s);
        if (cy != SF80_INF) {
            s->flags |= SF80_ZE;
        }
        return sf80_make(!sy, SF80_EXP_MAX, 1ull << 63);
    }
    bool x_is_one = cx == SF80_NORMAL && x.se == SF80_BIAS && x.sig == 1ull << 63;
    if (cx == SF80_INF) {
        if (cy == SF80_ZERO)
            return invalid(s);
        return sf80_make(sy, SF80_EXP_MAX, 1ull << 63);
    }
    /* x finite positive: log2(x) < 0 below 1 */
    bool below_one = sf80_exp(x) < SF80_BIAS;
    if (cy == SF80_INF) {
        if (x_is_one)
            return invalid(s);
        return sf80_make(sy ^ below_one, SF80_EXP_MAX, 1ull << 63);
    }
    if (cy == SF80_ZERO || x_is_one)
        return sf80_make(sy ^ (below_one && !x_is_one), 0, 0);
    /* the hardware reports even exact results (x a power of 2) inexact */
    struct xf v = xf_mul(xf_x80(y), xf_log2(xf_x80(x)));
    floatx80 r = xf_round64(v, s);
    s->flags |= SF80_PE;
    if (!sf80_exp(r))
        s->flags |= SF80_UE;
    return r;
}

floatx80 sf80_yl2xp1(floatx80 x, floatx80 y, struct sf80_status *s)
{
    enum sf80_class cx = sf80_classify(x), cy = sf80_classify(y);
    floatx80 out;
    s->c1 = false;
    bool sx = sf80_sign(x), sy = sf80_sign(y);
    bool plain = !is_nan_class(cx) && !is_nan_class(cy) && cx != SF80_UNSUPPORTED &&
                 cy != SF80_UNSUPPORTED;
    /* invalid combinations are found before denormal operands */
    if (plain && ((cx == SF80_INF && (sx || cy == SF80_ZERO)) ||
                  (cx == SF80_ZERO && cy == SF80_INF)))
        return invalid(s);
    if (screen2(x, y, cx, cy, &out, s))
        return out;
    if (cx == SF80_ZERO) {
        if (cy == SF80_INF)
            return invalid(s);
        return sf80_make(sx ^ sy, 0, 0);
    }
    if (cx == SF80_INF) {
        if (sx || cy == SF80_ZERO)
            return invalid(s);
        return sf80_make(sy, SF80_EXP_MAX, 1ull << 63);
    }
    if (cy == SF80_ZERO)
        return sf80_make(sx ^ sy, 0, 0);
    if (cy == SF80_INF)
        return sf80_make(sx ^ sy, SF80_EXP_MAX, 1ull << 63);
    struct xf xv = xf_x80(x), lg;
    if (xv.e >= 0 && xv.sign) {
        /* x <= -1 has no logarithm of 1+x: outside the documented domain
         * the hardware hands x back as the result, reported inexact */
        s->flags |= SF80_PE;
        return x;
    }
    if (xv.e <= -2) {
        /* |x| < 1/2: the series on x/(2+x) keeps the precision of tiny x */
        struct xf sv = xf_div(xv, xf_add(xf_int(2), xv));
        lg = xf_mul(xf_atanh2(sv), xf_k(&xf_log2e));
    } else {
        /* outside the documented domain: log2 of 1+x as computed */
        struct xf one_plus = xf_add(xf_int(1), xv);
        if (one_plus.sign || xf_zero(one_plus))
            return invalid(s);
        lg = xf_log2(one_plus);
    }
    floatx80 r = xf_round64(xf_mul(xf_x80(y), lg), s);
    s->flags |= SF80_PE; /* as FYL2X: never reported exact */
    if (!sf80_exp(r))
        s->flags |= SF80_UE;
    return r;
}

floatx80 sf80_f2xm1(floatx80 a, struct sf80_status *s)
{
    enum sf80_class ca = sf80_classify(a);
    floatx80 out;
    s->c1 = false;
    if (screen1(a, ca, &out, s))
        return out;
    if (ca == SF80_ZERO)
        return a;
    if (ca == SF80_INF)
        return sf80_sign(a) ? sf80_make(true, SF80_BIAS, 1ull << 63) : a;
    struct xf x = xf_x80(a);
    if (x.e >= 0) {
        /* Outside the documented domain [-1, 1] the hardware hands the
         * operand back and reports it inexact; at +-1 the result is exact
         * but still reported inexact. */
        s->flags |= SF80_PE;
        if (x.e > 0 || x.m.hi != 1ull << 63 || x.m.lo)
            return a;
        return x.sign ? sf80_make(true, SF80_BIAS - 1, 1ull << 63)
                      : sf80_make(false, SF80_BIAS, 1ull << 63);
    }
    /* expm1(x ln 2) by its Taylor series: |x ln 2| < 0.7 */
    struct xf z = xf_mul(x, xf_k(&xf_ln2));
    struct xf term = z, sum = z;
    for (uint32_t k = 2; k <= 60; k++) {
        term = xf_div_u32(xf_mul(term, z), k);
        sum = xf_add(sum, term);
        if (xf_zero(term) || term.e < sum.e - SERIES_STOP)
            break;
    }
    return xf_round_inexact(sum, s);
}

/* ---- constants ---- */

floatx80 sf80_constant(int index, struct sf80_status *s)
{
    static const struct xf_const l2t = { 0xd49a784bcd1b8afeull, 0x492bf6ff4dafdb4cull, 1 };
    static const struct xf_const lg2 = { 0x9a209a84fbcff798ull, 0x8f8959ac0b7c9178ull, -2 };
    struct sf80_status t = *s;
    floatx80 r;
    switch (index) {
    case 0: return sf80_make(false, SF80_BIAS, 1ull << 63);
    case 1: r = xf_round(xf_k(&l2t), &t); break;
    case 2: r = xf_round(xf_k(&xf_log2e), &t); break;
    case 3: r = xf_round(xf_k(&xf_pi), &t); break;
    case 4: r = xf_round(xf_k(&lg2), &t); break;
    case 5: r = xf_round(xf_k(&xf_ln2), &t); break;
    default: return sf80_make(false, 0, 0);
    }
    /* the x87 reports neither PE nor a rounding direction for these */
    return r;
}
