/* x87 80-bit extended-precision arithmetic in integer code (no host FPU):
 * IEEE operations with the x87's rounding, precision control, NaN rules,
 * exception flags and unmasked-exception results, for cpu/fpu.c. */
#ifndef VX86_CPU_SOFTFLOAT80_H
#define VX86_CPU_SOFTFLOAT80_H

#include <stdbool.h>
#include <stdint.h>

/* An 80-bit register value: sig is the 64-bit significand with the explicit
 * integer bit at bit 63, se is sign (bit 15) and biased exponent (0..0x7fff). */
typedef struct floatx80 {
    uint64_t sig;
    uint16_t se;
} floatx80;

#define SF80_BIAS 16383
#define SF80_EXP_MAX 0x7fff

/* Exception flags, laid out as FSW/FCW bits 0-5. */
#define SF80_IE 0x01   /* invalid operation */
#define SF80_DE 0x02   /* denormal operand */
#define SF80_ZE 0x04   /* divide by zero */
#define SF80_OE 0x08   /* overflow */
#define SF80_UE 0x10   /* underflow */
#define SF80_PE 0x20   /* precision (inexact) */
#define SF80_ALL 0x3f

/* FCW.RC encoding. */
enum sf80_rc { SF80_RC_NEAREST = 0, SF80_RC_DOWN = 1, SF80_RC_UP = 2, SF80_RC_ZERO = 3 };

/* Rounding environment and results of one operation. */
struct sf80_status {
    uint8_t rc;     /* enum sf80_rc */
    uint8_t prec;   /* significand bits for add/sub/mul/div/sqrt: 24, 53 or 64 */
    uint8_t masks;  /* masked exceptions (FCW bits 0-5): unmasked OE/UE change the result */
    uint8_t flags;  /* SF80_* raised, accumulated (callers clear it) */
    bool c1;        /* the last rounding increased the magnitude (FSW.C1) */
};

/* Builds a status from an FCW value (flags and c1 cleared). PC=01, which the
 * SDM reserves, rounds to 64 bits as the host hardware does. */
void sf80_status_init(struct sf80_status *s, uint16_t fcw);

enum sf80_class {
    SF80_ZERO,
    SF80_DENORMAL,     /* exponent 0, significand != 0 (also pseudo-denormals) */
    SF80_NORMAL,
    SF80_INF,
    SF80_QNAN,
    SF80_SNAN,
    SF80_UNSUPPORTED,  /* unnormal, pseudo-infinity, pseudo-NaN */
};
enum sf80_class sf80_classify(floatx80 a);
static inline bool sf80_sign(floatx80 a) { return a.se >> 15; }
static inline int sf80_exp(floatx80 a) { return a.se & 0x7fff; }
static inline floatx80 sf80_make(bool sign, int exp, uint64_t sig)
{
    return (floatx80){ sig, (uint16_t)(((unsigned)sign << 15) | (unsigned)exp) };
}

/* The QNaN "real indefinite" the x87 delivers for masked invalid operations. */
#define SF80_INDEFINITE ((floatx80){ 0xc000000000000000ull, 0xffff })

/* Basic arithmetic, rounded to s->prec bits. When an unmasked IE, DE or ZE
 * is raised the operation stops there and the result is meaningless (the x87
 * leaves the destination alone); an unmasked OE/UE yields the result with its
 * exponent wrapped by 24576 as the x87 stores it in a register. */
floatx80 sf80_add(floatx80 a, floatx80 b, struct sf80_status *s);
floatx80 sf80_sub(floatx80 a, floatx80 b, struct sf80_status *s);
floatx80 sf80_mul(floatx80 a, floatx80 b, struct sf80_status *s);
floatx80 sf80_div(floatx80 a, floatx80 b, struct sf80_status *s);
floatx80 sf80_sqrt(floatx80 a, struct sf80_status *s);

/* FRNDINT: to an integer in the current rounding mode (precision ignored). */
floatx80 sf80_round_to_int(floatx80 a, struct sf80_status *s);

/* Comparison: FCOM semantics (quiet=false: any NaN is invalid) or FUCOM
 * (quiet=true: only SNaN and unsupported operands are invalid). */
enum sf80_relation { SF80_LT, SF80_EQ, SF80_GT, SF80_UNORDERED };
enum sf80_relation sf80_compare(floatx80 a, floatx80 b, bool quiet, struct sf80_status *s);

/* Integer conversions. to_int rounds per s->rc (or toward zero when
 * truncate: FISTTP); out of range, NaN and infinity raise IE and give the
 * integer indefinite (the most negative value of that width). bits: 16/32/64. */
floatx80 sf80_from_int64(int64_t v);
int64_t sf80_to_int(floatx80 a, int bits, bool truncate, struct sf80_status *s);

/* Binary32/binary64 memory formats (FLD/FST m32, m64 and the m32/m64 operand
 * forms of arithmetic). Loading is exact: SNaN raises IE and is quieted, a
 * denormal raises DE. Storing rounds to the format with its own exponent
 * range; with OE/UE unmasked the caller must not store (x87 rule). */
floatx80 sf80_from_f32(uint32_t v, struct sf80_status *s);
floatx80 sf80_from_f64(uint64_t v, struct sf80_status *s);
uint32_t sf80_to_f32(floatx80 a, struct sf80_status *s);
uint64_t sf80_to_f64(floatx80 a, struct sf80_status *s);

/* Rounds an 80-bit value to s->prec bits and the extended range as the
 * arithmetic does (FSCALE, FXTRACT and the transcendentals use it). */
floatx80 sf80_round_pack(bool sign, int32_t exp, uint64_t sig_hi, uint64_t sig_lo,
                         struct sf80_status *s);

/* Packed BCD (FBLD/FBSTP): 18 digits, byte 9 bit 7 the sign. Loading is
 * exact (invalid digits are used as their binary value, like the hardware).
 * Storing rounds per s->rc; |value| >= 10^18, NaN and infinity raise IE and
 * give the BCD indefinite. */
floatx80 sf80_from_bcd(const uint8_t bcd[10]);
void sf80_to_bcd(floatx80 a, uint8_t bcd[10], struct sf80_status *s);

/* FSCALE (a * 2^trunc(b)) and FXTRACT (exponent and significand). */
floatx80 sf80_scale(floatx80 a, floatx80 b, struct sf80_status *s);
void sf80_extract(floatx80 a, floatx80 *exponent, floatx80 *significand,
                  struct sf80_status *s);

/* FPREM (round_nearest=false: truncating quotient) and FPREM1 (IEEE
 * remainder). Returns the partial remainder; *quotient gets the low three
 * bits of the quotient and *incomplete says C2 (reduction not finished). */
floatx80 sf80_rem(floatx80 a, floatx80 b, bool round_nearest, unsigned *quotient,
                  bool *incomplete, struct sf80_status *s);

/* Transcendentals, computed in 128-bit-significand software floating point
 * and rounded once per s->rc to 64 bits (see softfloat80.c for the method).
 * The trigonometric ones reduce by the x87's 66-bit pi; |a| >= 2^63 sets
 * *out_of_range (C2) and leaves the operand alone. */
floatx80 sf80_f2xm1(floatx80 a, struct sf80_status *s);
floatx80 sf80_yl2x(floatx80 x, floatx80 y, struct sf80_status *s);
floatx80 sf80_yl2xp1(floatx80 x, floatx80 y, struct sf80_status *s);
floatx80 sf80_atan2(floatx80 y, floatx80 x, struct sf80_status *s); /* FPATAN: atan(y/x) */
floatx80 sf80_sin(floatx80 a, bool *out_of_range, struct sf80_status *s);
floatx80 sf80_cos(floatx80 a, bool *out_of_range, struct sf80_status *s);
floatx80 sf80_tan(floatx80 a, bool *out_of_range, struct sf80_status *s);

/* FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ (index = D9 E8+index),
 * correctly rounded per s->rc as current x87s deliver them; s is not
 * changed (the loads report neither PE nor C1). */
floatx80 sf80_constant(int index, struct sf80_status *s);

#endif
