/* Private to sse_fp.c and sse_fpcvt.c: binary32/binary64 arithmetic in
 * integer code with the x86 rounding, exception flags, DAZ/FZ and NaN rules. */
#ifndef VX86_CPU_SSE_FP_INTERNAL_H
#define VX86_CPU_SSE_FP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/sse.h"

#define SFP_PRE (SSE_MXCSR_IE | SSE_MXCSR_DE | SSE_MXCSR_ZE)
#define SFP_POST (SSE_MXCSR_OE | SSE_MXCSR_UE | SSE_MXCSR_PE)

enum sfp_rc { SFP_RN = 0, SFP_RD = 1, SFP_RU = 2, SFP_RZ = 3 };

/* One instruction's environment; flags collects what all its lanes raise. */
struct sfp {
    uint32_t mxcsr;   /* masks, DAZ, FZ as the instruction sees them */
    uint32_t flags;   /* SSE_MXCSR_IE..PE raised so far */
    unsigned rc;      /* enum sfp_rc for the operations (ROUNDPS overrides) */
};

enum sfp_class { SFP_ZERO, SFP_FINITE, SFP_INF, SFP_QNAN, SFP_SNAN };

/* An operand taken apart. A finite value is sig / 2^62 * 2^exp with bit 62
 * of sig set (denormals are normalized here). */
struct sfp_val {
    uint8_t cls;       /* enum sfp_class */
    bool sign;
    bool denormal;     /* a denormal encoding read as a denormal (DAZ off) */
    int exp;
    uint64_t sig;
};

/* Format parameters: binary64 when dbl, else binary32. */
static inline int sfp_fbits(bool dbl) { return dbl ? 52 : 23; }
static inline int sfp_bias(bool dbl) { return dbl ? 1023 : 127; }
static inline uint64_t sfp_signbit(bool dbl) { return dbl ? 1ull << 63 : 1ull << 31; }
static inline uint64_t sfp_inf(bool dbl, bool sign)
{
    return (sign ? sfp_signbit(dbl) : 0) | (dbl ? 0x7ff0000000000000ull : 0x7f800000u);
}
static inline uint64_t sfp_zero(bool dbl, bool sign) { return sign ? sfp_signbit(dbl) : 0; }
/* The "real indefinite" QNaN of invalid operations. */
static inline uint64_t sfp_default_nan(bool dbl) { return dbl ? 0xfff8000000000000ull : 0xffc00000u; }
static inline uint64_t sfp_quiet(bool dbl, uint64_t a) { return a | (dbl ? 1ull << 51 : 1u << 22); }

void sfp_init(struct sfp *f, uint32_t mxcsr);
struct sfp_val sfp_unpack(const struct sfp *f, bool dbl, uint64_t a);
/* Rounds sig / 2^62 * 2^exp (bit 62 of sig set, lower bits sticky) to the
 * format: overflow, tininess after rounding, FZ, flags. */
uint64_t sfp_roundpack(struct sfp *f, bool dbl, bool sign, int exp, uint64_t sig);
/* The same for any nonzero sig. */
uint64_t sfp_normpack(struct sfp *f, bool dbl, bool sign, int exp, uint64_t sig);
uint64_t sfp_shr_jam(uint64_t x, int n);

uint64_t sfp_add(struct sfp *f, bool dbl, uint64_t a, uint64_t b, bool sub);
uint64_t sfp_mul(struct sfp *f, bool dbl, uint64_t a, uint64_t b);

/* Applies the SDM's rules for a finished instruction: an unmasked
 * pre-computation exception (IE DE ZE) in any lane reports only those
 * flags; otherwise all flags are set and any unmasked one faults. res (NULL
 * for none) becomes dst only without a fault. */
enum sse_result sfp_finish(struct sse_ctx *s, const struct sfp *f, const union sse_reg *res);

/* Conversions and ROUNDxx (sse_fpcvt.c); SSE_NOT_MINE when the opcode is
 * none of them. */
enum sse_result sse_fpcvt_exec(struct sse_ctx *s);

/* Whether a result truncated to lsb with remainder rem (half = the
 * remainder of exactly one half ulp) rounds away from zero under rc. */
static inline bool round_up(unsigned rc, bool sign, bool lsb, uint64_t rem, uint64_t half)
{
    switch (rc) {
    case SFP_RN: return rem > half || (rem == half && lsb);
    case SFP_RD: return sign && rem;
    case SFP_RU: return !sign && rem;
    default: return false;
    }
}

#endif
