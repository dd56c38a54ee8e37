/* The x87 FPU state machine: register stack and tags, FSW/FCW, stack
 * faults and exception masking, and each instruction's effect (fpu.h). */
#include "cpu/fpu.h"

#include <string.h>

/* ---- registers ---- */

static floatx80 reg_read(const struct x86_fpu *f, int phys)
{
    const uint8_t *p = f->st[phys];
    floatx80 v = { 0, 0 };
    for (int b = 7; b >= 0; b--)
        v.sig = (v.sig << 8) | p[b];
    v.se = (uint16_t)(p[8] | (p[9] << 8));
    return v;
}

static void put_x80(uint8_t *p, floatx80 v)
{
    for (int b = 0; b < 8; b++)
        p[b] = (uint8_t)(v.sig >> (8 * b));
    p[8] = (uint8_t)v.se;
    p[9] = (uint8_t)(v.se >> 8);
}

static floatx80 get_x80(const uint8_t *p)
{
    floatx80 v = { 0, 0 };
    for (int b = 7; b >= 0; b--)
        v.sig = (v.sig << 8) | p[b];
    v.se = (uint16_t)(p[8] | (p[9] << 8));
    return v;
}

int fpu_top(const struct x86_fpu *f)
{
    return (f->fsw >> FPU_SW_TOP_SHIFT) & 7;
}

static void set_top(struct x86_fpu *f, int top)
{
    f->fsw = (uint16_t)((f->fsw & ~FPU_SW_TOP) | ((top & 7) << FPU_SW_TOP_SHIFT));
}

static int phys(const struct x86_fpu *f, int i)
{
    return (fpu_top(f) + i) & 7;
}

bool fpu_st_empty(const struct x86_fpu *f, int i)
{
    return !((f->ftw >> phys(f, i)) & 1);
}

floatx80 fpu_st(const struct x86_fpu *f, int i)
{
    return reg_read(f, phys(f, i));
}

void fpu_set_st(struct x86_fpu *f, int i, floatx80 v)
{
    int p = phys(f, i);
    put_x80(f->st[p], v);
    f->ftw |= (uint8_t)(1u << p);
}

static void set_empty(struct x86_fpu *f, int i)
{
    f->ftw &= (uint8_t)~(1u << phys(f, i));
}

static void pop(struct x86_fpu *f)
{
    set_empty(f, 0);
    set_top(f, fpu_top(f) + 1);
}

static unsigned tag_of(floatx80 v)
{
    switch (sf80_classify(v)) {
    case SF80_NORMAL: return 0;
    case SF80_ZERO: return 1;
    default: return 2;
    }
}

uint16_t fpu_full_tag_word(const struct x86_fpu *f)
{
    uint16_t tw = 0;
    for (int p = 0; p < 8; p++) {
        unsigned t = ((f->ftw >> p) & 1) ? tag_of(reg_read(f, p)) : 3;
        tw |= (uint16_t)(t << (2 * p));
    }
    return tw;
}

/* ---- status word ---- */

static void set_sw(struct x86_fpu *f, uint16_t mask, uint16_t bits)
{
    f->fsw = (uint16_t)((f->fsw & ~mask) | (bits & mask));
}

static void set_c1(struct x86_fpu *f, bool c1)
{
    set_sw(f, FPU_SW_C1, c1 ? FPU_SW_C1 : 0);
}

/* ES and B follow the exception flags that are not masked. */
static void update_es(struct x86_fpu *f)
{
    if (f->fsw & ~f->fcw & SF80_ALL)
        f->fsw |= FPU_SW_ES | FPU_SW_B;
    else
        f->fsw &= (uint16_t)~(FPU_SW_ES | FPU_SW_B);
}

/* Stack overflow (C1=1) or underflow (C1=0): IE with SF. Returns true when
 * IE is masked and the instruction carries on with the indefinite. */
static bool stack_fault(struct x86_fpu *f, bool overflow)
{
    f->fsw |= FPU_SW_IE | FPU_SW_SF;
    set_c1(f, overflow);
    update_es(f);
    return f->fcw & FPU_SW_IE;
}

/* Records an operation's exception flags and C1. Returns false when an
 * unmasked IE, DE or ZE cancels the result (destination and stack stay as
 * they were). */
static bool finish(struct x86_fpu *f, const struct sf80_status *s)
{
    unsigned unmasked = s->flags & ~f->fcw & SF80_ALL;
    f->fsw |= s->flags;
    update_es(f);
    if (unmasked & (SF80_IE | SF80_DE | SF80_ZE)) {
        set_c1(f, false);
        return false;
    }
    set_c1(f, s->c1);
    return true;
}

static void status(const struct x86_fpu *f, struct sf80_status *s)
{
    sf80_status_init(s, f->fcw);
}

/* The register a push writes (ST(7) now) is free; otherwise a stack
 * overflow: returns false when that is unmasked. *v becomes the indefinite
 * on masked overflow. */
static bool push_check(struct x86_fpu *f, bool *overflowed)
{
    *overflowed = false;
    if (fpu_st_empty(f, 7))
        return true;
    *overflowed = true;
    return stack_fault(f, true);
}

static void push(struct x86_fpu *f, floatx80 v)
{
    set_top(f, fpu_top(f) - 1);
    fpu_set_st(f, 0, v);
}

/* ---- control ---- */

/* Reserved FCW bits read as the hardware keeps them: bit 6 set, 13-15 clear. */
static uint16_t fcw_value(uint32_t cw)
{
    return (uint16_t)((cw & FPU_CW_BITS) | 0x40);
}

void fpu_fninit(struct x86_fpu *f)
{
    f->fcw = FPU_CW_INIT;
    f->fsw = 0;
    f->ftw = 0;
    f->fop = 0;
    f->fip = 0;
    f->fdp = 0;
}

void fpu_fldcw(struct x86_fpu *f, uint16_t cw)
{
    f->fcw = fcw_value(cw);
    update_es(f);
}

uint16_t fpu_fnstcw(const struct x86_fpu *f)
{
    return f->fcw;
}

uint16_t fpu_fnstsw(const struct x86_fpu *f)
{
    return f->fsw;
}

void fpu_fnclex(struct x86_fpu *f)
{
    f->fsw &= (uint16_t)~(SF80_ALL | FPU_SW_SF | FPU_SW_ES | FPU_SW_B);
}

bool fpu_pending_exception(const struct x86_fpu *f)
{
    return f->fsw & FPU_SW_ES;
}

void fpu_ffree(struct x86_fpu *f, int i)
{
    set_empty(f, i);
    set_c1(f, false);
}

void fpu_ffreep(struct x86_fpu *f, int i)
{
    fpu_ffree(f, i);
    pop(f);
}

void fpu_fdecstp(struct x86_fpu *f)
{
    set_top(f, fpu_top(f) - 1);
    set_c1(f, false);
}

void fpu_fincstp(struct x86_fpu *f)
{
    set_top(f, fpu_top(f) + 1);
    set_c1(f, false);
}

/* ---- loads ---- */

/* Pushes a converted value: the conversion's flags may cancel the push. */
static void load_converted(struct x86_fpu *f, floatx80 v, const struct sf80_status *s)
{
    bool ovf;
    if (!push_check(f, &ovf))
        return;
    if (ovf) {
        push(f, SF80_INDEFINITE);
        return;
    }
    /* an unmasked DE does not stop a load: the value is pushed anyway */
    struct sf80_status t = *s;
    t.flags &= ~SF80_DE;
    f->fsw |= s->flags;
    if (!finish(f, &t))
        return;
    push(f, v);
}

void fpu_fld_m32(struct x86_fpu *f, uint32_t v)
{
    struct sf80_status s;
    status(f, &s);
    floatx80 x = fpu_st_empty(f, 7) ? sf80_from_f32(v, &s) : SF80_INDEFINITE;
    load_converted(f, x, &s);
}

void fpu_fld_m64(struct x86_fpu *f, uint64_t v)
{
    struct sf80_status s;
    status(f, &s);
    floatx80 x = fpu_st_empty(f, 7) ? sf80_from_f64(v, &s) : SF80_INDEFINITE;
    load_converted(f, x, &s);
}

void fpu_fld_m80(struct x86_fpu *f, const uint8_t m[10])
{
    struct sf80_status s;
    status(f, &s);
    load_converted(f, get_x80(m), &s);
}

void fpu_fild(struct x86_fpu *f, int64_t v)
{
    struct sf80_status s;
    status(f, &s);
    load_converted(f, sf80_from_int64(v), &s);
}

void fpu_fbld(struct x86_fpu *f, const uint8_t m[10])
{
    struct sf80_status s;
    status(f, &s);
    load_converted(f, sf80_from_bcd(m), &s);
}

void fpu_fldconst(struct x86_fpu *f, enum fpu_const c)
{
    struct sf80_status s;
    status(f, &s);
    floatx80 v = sf80_constant((int)c, &s);
    sf80_status_init(&s, f->fcw);
    load_converted(f, v, &s);
}

void fpu_fld_sti(struct x86_fpu *f, int i)
{
    struct sf80_status s;
    status(f, &s);
    if (fpu_st_empty(f, i)) {
        /* underflow is reported even when the push overflows too */
        if (stack_fault(f, false))
            push(f, SF80_INDEFINITE);
        return;
    }
    load_converted(f, fpu_st(f, i), &s);
}

/* ---- stores ---- */

/* Common tail of the memory stores: ST(0) empty is a stack underflow that,
 * masked, stores the format's indefinite. Returns 1 to store the computed
 * value, 0 to store nothing, -1 to store the indefinite. */
static int store_begin(struct x86_fpu *f)
{
    if (!fpu_st_empty(f, 0))
        return 1;
    return stack_fault(f, false) ? -1 : 0;
}

static bool store_finish(struct x86_fpu *f, const struct sf80_status *s, bool do_pop)
{
    unsigned unmasked = s->flags & ~f->fcw & SF80_ALL;
    f->fsw |= s->flags;
    update_es(f);
    if (unmasked & ~SF80_PE) {
        set_c1(f, false);
        return false;
    }
    set_c1(f, s->c1);
    if (do_pop)
        pop(f);
    return true;
}

bool fpu_fst_m32(struct x86_fpu *f, uint32_t *out, bool do_pop)
{
    struct sf80_status s;
    status(f, &s);
    switch (store_begin(f)) {
    case 0: return false;
    case -1:
        *out = 0xffc00000u;
        if (do_pop)
            pop(f);
        return true;
    default: break;
    }
    uint32_t v = sf80_to_f32(fpu_st(f, 0), &s);
    if (!store_finish(f, &s, do_pop))
        return false;
    *out = v;
    return true;
}

bool fpu_fst_m64(struct x86_fpu *f, uint64_t *out, bool do_pop)
{
    struct sf80_status s;
    status(f, &s);
    switch (store_begin(f)) {
    case 0: return false;
    case -1:
        *out = 0xfff8000000000000ull;
        if (do_pop)
            pop(f);
        return true;
    default: break;
    }
    uint64_t v = sf80_to_f64(fpu_st(f, 0), &s);
    if (!store_finish(f, &s, do_pop))
        return false;
    *out = v;
    return true;
}

bool fpu_fstp_m80(struct x86_fpu *f, uint8_t out[10])
{
    switch (store_begin(f)) {
    case 0: return false;
    case -1: put_x80(out, SF80_INDEFINITE); break;
    default: put_x80(out, fpu_st(f, 0)); set_c1(f, false); break;
    }
    pop(f);
    return true;
}

void fpu_fst_sti(struct x86_fpu *f, int i, bool do_pop)
{
    floatx80 v;
    if (fpu_st_empty(f, 0)) {
        if (!stack_fault(f, false))
            return;
        v = SF80_INDEFINITE;
    } else {
        v = fpu_st(f, 0);
        set_c1(f, false);
    }
    fpu_set_st(f, i, v);
    if (do_pop)
        pop(f);
}

bool fpu_fist(struct x86_fpu *f, int bits, bool do_pop, bool truncate, uint64_t *out)
{
    struct sf80_status s;
    uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    status(f, &s);
    switch (store_begin(f)) {
    case 0: return false;
    case -1:
        *out = (1ull << (bits - 1));
        if (do_pop)
            pop(f);
        return true;
    default: break;
    }
    uint64_t v = (uint64_t)sf80_to_int(fpu_st(f, 0), bits, truncate, &s) & mask;
    if (!store_finish(f, &s, do_pop))
        return false;
    *out = v;
    return true;
}

bool fpu_fbstp(struct x86_fpu *f, uint8_t out[10])
{
    struct sf80_status s;
    status(f, &s);
    switch (store_begin(f)) {
    case 0: return false;
    case -1: {
        static const uint8_t indefinite[10] = { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff };
        memcpy(out, indefinite, 10);
        pop(f);
        return true;
    }
    default: break;
    }
    uint8_t v[10];
    sf80_to_bcd(fpu_st(f, 0), v, &s);
    if (!store_finish(f, &s, true))
        return false;
    memcpy(out, v, 10);
    return true;
}

/* ---- arithmetic ---- */

static floatx80 arith(enum fpu_arith op, floatx80 a, floatx80 b, struct sf80_status *s)
{
    switch (op) {
    case FPU_ADD: return sf80_add(a, b, s);
    case FPU_MUL: return sf80_mul(a, b, s);
    case FPU_SUB: return sf80_sub(a, b, s);
    case FPU_SUBR: return sf80_sub(b, a, s);
    case FPU_DIV: return sf80_div(a, b, s);
    default: return sf80_div(b, a, s);
    }
}

static void set_compare_cc(struct x86_fpu *f, enum sf80_relation r)
{
    uint16_t cc;
    switch (r) {
    case SF80_GT: cc = 0; break;
    case SF80_LT: cc = FPU_SW_C0; break;
    case SF80_EQ: cc = FPU_SW_C3; break;
    default: cc = FPU_SW_C3 | FPU_SW_C2 | FPU_SW_C0; break;
    }
    set_sw(f, FPU_SW_C3 | FPU_SW_C2 | FPU_SW_C1 | FPU_SW_C0, cc);
}

/* Compares ST(0) with b (already fetched; ok=false: an operand register was
 * empty) and pops. */
static void compare(struct x86_fpu *f, bool ok, floatx80 b, bool unordered, int pops,
                    const struct sf80_status *pre)
{
    struct sf80_status s = *pre;
    if (!ok) {
        bool go = stack_fault(f, false);
        set_compare_cc(f, SF80_UNORDERED);
        if (!go)
            return;
    } else {
        enum sf80_relation r = sf80_compare(fpu_st(f, 0), b, unordered, &s);
        /* the condition codes report the relation even when an unmasked
         * exception cancels the rest (the pops) */
        bool go = finish(f, &s);
        set_compare_cc(f, r);
        if (!go)
            return;
    }
    while (pops-- > 0)
        pop(f);
}

/* dst_i = a op b, where a/b come from registers or memory (ok=false: an
 * operand register was empty). */
static void arith_into(struct x86_fpu *f, int dst_i, bool ok, enum fpu_arith op, floatx80 a,
                       floatx80 b, bool do_pop, const struct sf80_status *pre)
{
    struct sf80_status s = *pre;
    floatx80 r;
    if (!ok) {
        if (!stack_fault(f, false))
            return;
        r = SF80_INDEFINITE;
    } else {
        r = arith(op, a, b, &s);
        if (!finish(f, &s))
            return;
    }
    fpu_set_st(f, dst_i, r);
    if (do_pop)
        pop(f);
}

void fpu_arith_st0_sti(struct x86_fpu *f, enum fpu_arith op, int i)
{
    struct sf80_status s;
    status(f, &s);
    bool ok = !fpu_st_empty(f, 0) && !fpu_st_empty(f, i);
    if (op == FPU_COM || op == FPU_COMP) {
        compare(f, ok, fpu_st(f, i), false, op == FPU_COMP, &s);
        return;
    }
    arith_into(f, 0, ok, op, fpu_st(f, 0), fpu_st(f, i), false, &s);
}

void fpu_arith_sti_st0(struct x86_fpu *f, enum fpu_arith op, int i, bool do_pop)
{
    struct sf80_status s;
    status(f, &s);
    bool ok = !fpu_st_empty(f, 0) && !fpu_st_empty(f, i);
    if (op == FPU_COM || op == FPU_COMP) {
        compare(f, ok, fpu_st(f, i), false, (op == FPU_COMP) + do_pop, &s);
        return;
    }
    arith_into(f, i, ok, op, fpu_st(f, i), fpu_st(f, 0), do_pop, &s);
}

/* A memory operand in extended form for arithmetic: the conversion is
 * exact (a denormal has reported DE), and an SNaN stays signaling so the
 * operation itself sees it. */
static floatx80 mem_operand(floatx80 x, bool was_snan)
{
    if (was_snan)
        x.sig &= ~(1ull << 62);
    return x;
}

static void arith_mem(struct x86_fpu *f, enum fpu_arith op, floatx80 b, struct sf80_status *s)
{
    bool ok = !fpu_st_empty(f, 0);
    if (ok) {
        /* a NaN or unsupported ST(0) takes precedence over a denormal operand */
        enum sf80_class c0 = sf80_classify(fpu_st(f, 0));
        if (c0 == SF80_QNAN || c0 == SF80_SNAN || c0 == SF80_UNSUPPORTED)
            s->flags &= ~SF80_DE;
        /* and a zero divisor makes it a zero divide only */
        if (op == FPU_DIVR && c0 == SF80_ZERO)
            s->flags &= ~SF80_DE;
    }
    if (ok && (s->flags & ~f->fcw & SF80_DE)) {
        /* An unmasked denormal memory operand stops the instruction before
         * it computes; only an invalid operand outranks it. */
        struct sf80_status t = *s;
        if (op == FPU_COM || op == FPU_COMP) {
            enum sf80_relation r = sf80_compare(fpu_st(f, 0), b, false, &t);
            s->flags |= t.flags & SF80_IE;
            finish(f, s);
            set_compare_cc(f, r);
            return;
        }
        arith(op, fpu_st(f, 0), b, &t);
        s->flags |= t.flags & SF80_IE;
        finish(f, s);
        return;
    }
    if (op == FPU_COM || op == FPU_COMP) {
        compare(f, ok, b, false, op == FPU_COMP, s);
        return;
    }
    arith_into(f, 0, ok, op, fpu_st(f, 0), b, false, s);
}

void fpu_arith_m32(struct x86_fpu *f, enum fpu_arith op, uint32_t v)
{
    struct sf80_status s, conv;
    status(f, &s);
    status(f, &conv);
    floatx80 b = sf80_from_f32(v, &conv);
    s.flags |= conv.flags & SF80_DE;
    arith_mem(f, op, mem_operand(b, conv.flags & SF80_IE), &s);
}

void fpu_arith_m64(struct x86_fpu *f, enum fpu_arith op, uint64_t v)
{
    struct sf80_status s, conv;
    status(f, &s);
    status(f, &conv);
    floatx80 b = sf80_from_f64(v, &conv);
    s.flags |= conv.flags & SF80_DE;
    arith_mem(f, op, mem_operand(b, conv.flags & SF80_IE), &s);
}

void fpu_arith_mint(struct x86_fpu *f, enum fpu_arith op, int32_t v)
{
    struct sf80_status s;
    status(f, &s);
    arith_mem(f, op, sf80_from_int64(v), &s);
}

void fpu_fcom_sti(struct x86_fpu *f, int i, bool unordered, int pops)
{
    struct sf80_status s;
    status(f, &s);
    bool ok = !fpu_st_empty(f, 0) && !fpu_st_empty(f, i);
    compare(f, ok, fpu_st(f, i), unordered, pops, &s);
}

uint32_t fpu_fcomi(struct x86_fpu *f, int i, bool unordered, bool do_pop)
{
    struct sf80_status s;
    status(f, &s);
    enum sf80_relation r = SF80_UNORDERED;
    bool go;
    if (fpu_st_empty(f, 0) || fpu_st_empty(f, i)) {
        go = stack_fault(f, false);
    } else {
        r = sf80_compare(fpu_st(f, 0), fpu_st(f, i), unordered, &s);
        /* FCOMI leaves C1 alone */
        bool c1 = f->fsw & FPU_SW_C1;
        go = finish(f, &s);
        set_c1(f, c1);
    }
    if (go && do_pop)
        pop(f);
    switch (r) {
    case SF80_GT: return 0;
    case SF80_LT: return X86_FLAG_CF;
    case SF80_EQ: return X86_FLAG_ZF;
    default: return X86_FLAG_ZF | X86_FLAG_PF | X86_FLAG_CF;
    }
}

void fpu_ftst(struct x86_fpu *f)
{
    struct sf80_status s;
    status(f, &s);
    compare(f, !fpu_st_empty(f, 0), sf80_make(false, 0, 0), false, 0, &s);
}

void fpu_fxam(struct x86_fpu *f)
{
    floatx80 v = fpu_st(f, 0);
    uint16_t cc;
    if (fpu_st_empty(f, 0)) {
        cc = FPU_SW_C3 | FPU_SW_C0;
    } else {
        switch (sf80_classify(v)) {
        case SF80_UNSUPPORTED: cc = 0; break;
        case SF80_QNAN:
        case SF80_SNAN: cc = FPU_SW_C0; break;
        case SF80_NORMAL: cc = FPU_SW_C2; break;
        case SF80_INF: cc = FPU_SW_C2 | FPU_SW_C0; break;
        case SF80_ZERO: cc = FPU_SW_C3; break;
        default: cc = FPU_SW_C3 | FPU_SW_C2; break;
        }
    }
    if (sf80_sign(v))
        cc |= FPU_SW_C1;
    set_sw(f, FPU_SW_C3 | FPU_SW_C2 | FPU_SW_C1 | FPU_SW_C0, cc);
}

/* ---- other register operations ---- */

void fpu_fxch(struct x86_fpu *f, int i)
{
    bool e0 = fpu_st_empty(f, 0), ei = fpu_st_empty(f, i);
    floatx80 a = fpu_st(f, 0), b = fpu_st(f, i);
    if (e0 || ei) {
        if (!stack_fault(f, false))
            return;
        if (e0)
            a = SF80_INDEFINITE;
        if (ei)
            b = SF80_INDEFINITE;
    } else {
        set_c1(f, false);
    }
    fpu_set_st(f, 0, b);
    fpu_set_st(f, i, a);
}

static void sign_op(struct x86_fpu *f, bool chs)
{
    if (fpu_st_empty(f, 0)) {
        if (stack_fault(f, false))
            fpu_set_st(f, 0, SF80_INDEFINITE);
        return;
    }
    floatx80 v = fpu_st(f, 0);
    v.se = chs ? (uint16_t)(v.se ^ 0x8000) : (uint16_t)(v.se & 0x7fff);
    fpu_set_st(f, 0, v);
    set_c1(f, false);
}

void fpu_fchs(struct x86_fpu *f)
{
    sign_op(f, true);
}

void fpu_fabs(struct x86_fpu *f)
{
    sign_op(f, false);
}

void fpu_fcmov(struct x86_fpu *f, int i, bool cond)
{
    if (fpu_st_empty(f, 0) || fpu_st_empty(f, i)) {
        /* the indefinite lands in ST(0) whether or not the move happens */
        if (stack_fault(f, false))
            fpu_set_st(f, 0, SF80_INDEFINITE);
        return;
    }
    if (cond)
        fpu_set_st(f, 0, fpu_st(f, i));
}

/* ST(0) = fn(ST(0)) */
static void unary(struct x86_fpu *f, floatx80 (*fn)(floatx80, struct sf80_status *))
{
    struct sf80_status s;
    status(f, &s);
    if (fpu_st_empty(f, 0)) {
        if (stack_fault(f, false))
            fpu_set_st(f, 0, SF80_INDEFINITE);
        return;
    }
    floatx80 r = fn(fpu_st(f, 0), &s);
    if (finish(f, &s))
        fpu_set_st(f, 0, r);
}

void fpu_fsqrt(struct x86_fpu *f)
{
    unary(f, sf80_sqrt);
}

void fpu_frndint(struct x86_fpu *f)
{
    unary(f, sf80_round_to_int);
}

void fpu_f2xm1(struct x86_fpu *f)
{
    unary(f, sf80_f2xm1);
}

/* The dst_i = fn(ST(0), ST(1)) family; pops when asked. */
static void binary01(struct x86_fpu *f, int dst_i, bool do_pop,
                     floatx80 (*fn)(floatx80, floatx80, struct sf80_status *), bool swap)
{
    struct sf80_status s;
    status(f, &s);
    floatx80 r;
    if (fpu_st_empty(f, 0) || fpu_st_empty(f, 1)) {
        if (!stack_fault(f, false))
            return;
        r = SF80_INDEFINITE;
    } else {
        floatx80 a = fpu_st(f, 0), b = fpu_st(f, 1);
        r = swap ? fn(b, a, &s) : fn(a, b, &s);
        if (!finish(f, &s))
            return;
    }
    fpu_set_st(f, dst_i, r);
    if (do_pop)
        pop(f);
}

void fpu_fscale(struct x86_fpu *f)
{
    binary01(f, 0, false, sf80_scale, false);
}

void fpu_fyl2x(struct x86_fpu *f)
{
    binary01(f, 1, true, sf80_yl2x, false);
}

void fpu_fyl2xp1(struct x86_fpu *f)
{
    binary01(f, 1, true, sf80_yl2xp1, false);
}

void fpu_fpatan(struct x86_fpu *f)
{
    binary01(f, 1, true, sf80_atan2, true);
}

static void prem(struct x86_fpu *f, bool nearest)
{
    struct sf80_status s;
    status(f, &s);
    if (fpu_st_empty(f, 0) || fpu_st_empty(f, 1)) {
        set_sw(f, FPU_SW_C2, 0);
        if (stack_fault(f, false))
            fpu_set_st(f, 0, SF80_INDEFINITE);
        return;
    }
    unsigned q;
    bool incomplete;
    floatx80 r = sf80_rem(fpu_st(f, 0), fpu_st(f, 1), nearest, &q, &incomplete, &s);
    set_sw(f, FPU_SW_C2, 0);
    if (!finish(f, &s))
        return;
    fpu_set_st(f, 0, r);
    if (sf80_classify(r) == SF80_QNAN) {
        /* NaN operands and invalid operations leave C0 and C3 alone */
        set_sw(f, FPU_SW_C2 | FPU_SW_C1, 0);
        return;
    }
    uint16_t cc = incomplete ? FPU_SW_C2 : 0;
    if (!incomplete) {
        if (q & 4)
            cc |= FPU_SW_C0;
        if (q & 2)
            cc |= FPU_SW_C3;
        if (q & 1)
            cc |= FPU_SW_C1;
    }
    set_sw(f, FPU_SW_C3 | FPU_SW_C2 | FPU_SW_C1 | FPU_SW_C0, cc);
}

void fpu_fprem(struct x86_fpu *f)
{
    prem(f, false);
}

void fpu_fprem1(struct x86_fpu *f)
{
    prem(f, true);
}

void fpu_fxtract(struct x86_fpu *f)
{
    struct sf80_status s;
    status(f, &s);
    if (fpu_st_empty(f, 0)) {
        if (!stack_fault(f, false))
            return;
        fpu_set_st(f, 0, SF80_INDEFINITE);
        push(f, SF80_INDEFINITE);
        return;
    }
    bool ovf;
    if (!push_check(f, &ovf))
        return;
    if (ovf) {
        fpu_set_st(f, 0, SF80_INDEFINITE);
        push(f, SF80_INDEFINITE);
        return;
    }
    floatx80 e, m;
    sf80_extract(fpu_st(f, 0), &e, &m, &s);
    if (!finish(f, &s))
        return;
    fpu_set_st(f, 0, e);
    push(f, m);
}

/* FSIN/FCOS: C2 says the operand was out of range and left alone. */
static void trig1(struct x86_fpu *f, floatx80 (*fn)(floatx80, bool *, struct sf80_status *))
{
    struct sf80_status s;
    status(f, &s);
    set_sw(f, FPU_SW_C2, 0);
    if (fpu_st_empty(f, 0)) {
        if (stack_fault(f, false))
            fpu_set_st(f, 0, SF80_INDEFINITE);
        return;
    }
    bool oor;
    floatx80 r = fn(fpu_st(f, 0), &oor, &s);
    set_sw(f, FPU_SW_C2, oor ? FPU_SW_C2 : 0);
    if (oor)
        return;
    if (finish(f, &s))
        fpu_set_st(f, 0, r);
}

void fpu_fsin(struct x86_fpu *f)
{
    trig1(f, sf80_sin);
}

void fpu_fcos(struct x86_fpu *f)
{
    trig1(f, sf80_cos);
}

/* FPTAN and FSINCOS: ST(0) = first, then push second. */
static void trig2(struct x86_fpu *f, bool tan)
{
    struct sf80_status s;
    status(f, &s);
    set_sw(f, FPU_SW_C2, 0);
    if (fpu_st_empty(f, 0)) {
        if (!stack_fault(f, false))
            return;
        fpu_set_st(f, 0, SF80_INDEFINITE);
        push(f, SF80_INDEFINITE);
        return;
    }
    bool ovf;
    if (!push_check(f, &ovf))
        return;
    if (ovf) {
        fpu_set_st(f, 0, SF80_INDEFINITE);
        push(f, SF80_INDEFINITE);
        return;
    }
    floatx80 a = fpu_st(f, 0), first, second;
    bool oor;
    if (tan) {
        first = sf80_tan(a, &oor, &s);
        second = sf80_make(false, SF80_BIAS, 1ull << 63);
        if (sf80_classify(first) == SF80_QNAN && sf80_classify(a) != SF80_NORMAL &&
            sf80_classify(a) != SF80_DENORMAL)
            second = first;
    } else {
        struct sf80_status sc = s;
        first = sf80_sin(a, &oor, &s);
        second = sf80_cos(a, &oor, &sc);
        s.flags |= sc.flags;
        s.c1 = sc.c1;
    }
    set_sw(f, FPU_SW_C2, oor ? FPU_SW_C2 : 0);
    if (oor)
        return;
    if (!finish(f, &s))
        return;
    fpu_set_st(f, 0, first);
    push(f, second);
}

void fpu_fptan(struct x86_fpu *f)
{
    trig2(f, true);
}

void fpu_fsincos(struct x86_fpu *f)
{
    trig2(f, false);
}

/* ---- state images ---- */

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get16(const uint8_t *p)
{
    return p[0] | ((uint32_t)p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return get16(p) | (get16(p + 2) << 16);
}

static uint64_t get64(const uint8_t *p)
{
    return get32(p) | ((uint64_t)get32(p + 4) << 32);
}

unsigned fpu_env_size(enum fpu_env_format fmt)
{
    return fmt == FPU_ENV_REAL16 || fmt == FPU_ENV_PROT16 ? 14 : 28;
}

unsigned fpu_save_size(enum fpu_env_format fmt)
{
    return fpu_env_size(fmt) + 80;
}

/* Linear address of a selector:offset pointer as the real-mode images hold it. */
static uint32_t ptr_linear(uint64_t p)
{
    return (uint32_t)((((p >> 32) & 0xffff) << 4) + (uint32_t)p);
}

static void store_env(const struct x86_fpu *f, uint8_t *img, enum fpu_env_format fmt)
{
    uint16_t tw = fpu_full_tag_word(f);
    uint32_t fop = f->fop & 0x7ff;
    uint32_t ip_off = (uint32_t)f->fip, dp_off = (uint32_t)f->fdp;
    uint32_t cs = (uint32_t)(f->fip >> 32) & 0xffff, ds = (uint32_t)(f->fdp >> 32) & 0xffff;
    switch (fmt) {
    case FPU_ENV_REAL16: {
        uint32_t ip = ptr_linear(f->fip), dp = ptr_linear(f->fdp);
        put16(img + 0, f->fcw);
        put16(img + 2, f->fsw);
        put16(img + 4, tw);
        put16(img + 6, ip);
        put16(img + 8, ((ip >> 16) & 0xf) << 12 | fop);
        put16(img + 10, dp);
        put16(img + 12, ((dp >> 16) & 0xf) << 12);
        break;
    }
    case FPU_ENV_PROT16:
        put16(img + 0, f->fcw);
        put16(img + 2, f->fsw);
        put16(img + 4, tw);
        put16(img + 6, ip_off);
        put16(img + 8, cs);
        put16(img + 10, dp_off);
        put16(img + 12, ds);
        break;
    case FPU_ENV_REAL32: {
        uint32_t ip = ptr_linear(f->fip), dp = ptr_linear(f->fdp);
        put32(img + 0, 0xffff0000u | f->fcw);
        put32(img + 4, 0xffff0000u | f->fsw);
        put32(img + 8, 0xffff0000u | tw);
        put32(img + 12, 0xffff0000u | (ip & 0xffff));
        put32(img + 16, (ip >> 16) << 12 | fop);
        put32(img + 20, 0xffff0000u | (dp & 0xffff));
        put32(img + 24, (dp >> 16) << 12);
        break;
    }
    default:
        put32(img + 0, 0xffff0000u | f->fcw);
        put32(img + 4, 0xffff0000u | f->fsw);
        put32(img + 8, 0xffff0000u | tw);
        put32(img + 12, ip_off);
        put32(img + 16, fop << 16 | cs);
        put32(img + 20, dp_off);
        put32(img + 24, 0xffff0000u | ds);
        break;
    }
}

/* Tag word from an image: only "empty" (11) matters, the others are
 * recomputed from the register contents when read. */
static uint8_t abridged_tags(uint16_t tw)
{
    uint8_t t = 0;
    for (int p = 0; p < 8; p++)
        if (((tw >> (2 * p)) & 3) != 3)
            t |= (uint8_t)(1u << p);
    return t;
}

static void load_env(struct x86_fpu *f, const uint8_t *img, enum fpu_env_format fmt)
{
    switch (fmt) {
    case FPU_ENV_REAL16: {
        f->fcw = fcw_value(get16(img + 0));
        f->fsw = (uint16_t)get16(img + 2);
        f->ftw = abridged_tags((uint16_t)get16(img + 4));
        uint32_t w8 = get16(img + 8);
        f->fip = get16(img + 6) | ((w8 >> 12) << 16);
        f->fop = (uint16_t)(w8 & 0x7ff);
        f->fdp = get16(img + 10) | ((get16(img + 12) >> 12) << 16);
        break;
    }
    case FPU_ENV_PROT16:
        f->fcw = fcw_value(get16(img + 0));
        f->fsw = (uint16_t)get16(img + 2);
        f->ftw = abridged_tags((uint16_t)get16(img + 4));
        f->fip = get16(img + 6) | ((uint64_t)get16(img + 8) << 32);
        f->fdp = get16(img + 10) | ((uint64_t)get16(img + 12) << 32);
        f->fop = 0; /* this layout has no room for it */
        break;
    case FPU_ENV_REAL32: {
        f->fcw = fcw_value(get16(img + 0));
        f->fsw = (uint16_t)get16(img + 4);
        f->ftw = abridged_tags((uint16_t)get16(img + 8));
        uint32_t w16 = get32(img + 16);
        f->fip = get16(img + 12) | (((w16 >> 12) & 0xffff) << 16);
        f->fop = (uint16_t)(w16 & 0x7ff);
        f->fdp = get16(img + 20) | (((get32(img + 24) >> 12) & 0xffff) << 16);
        break;
    }
    default: {
        f->fcw = fcw_value(get16(img + 0));
        f->fsw = (uint16_t)get16(img + 4);
        f->ftw = abridged_tags((uint16_t)get16(img + 8));
        uint32_t w16 = get32(img + 16);
        f->fip = get32(img + 12) | ((uint64_t)(w16 & 0xffff) << 32);
        f->fop = (uint16_t)((w16 >> 16) & 0x7ff);
        f->fdp = get32(img + 20) | ((uint64_t)get16(img + 24) << 32);
        break;
    }
    }
    update_es(f);
}

void fpu_fnstenv(struct x86_fpu *f, uint8_t *img, enum fpu_env_format fmt)
{
    store_env(f, img, fmt);
    f->fcw |= SF80_ALL;
    update_es(f);
}

void fpu_fldenv(struct x86_fpu *f, const uint8_t *img, enum fpu_env_format fmt)
{
    load_env(f, img, fmt);
}

void fpu_fnsave(struct x86_fpu *f, uint8_t *img, enum fpu_env_format fmt)
{
    store_env(f, img, fmt);
    uint8_t *regs = img + fpu_env_size(fmt);
    for (int i = 0; i < 8; i++)
        put_x80(regs + 10 * i, fpu_st(f, i));
    fpu_fninit(f);
}

void fpu_frstor(struct x86_fpu *f, const uint8_t *img, enum fpu_env_format fmt)
{
    load_env(f, img, fmt);
    const uint8_t *regs = img + fpu_env_size(fmt);
    int top = fpu_top(f);
    for (int i = 0; i < 8; i++)
        put_x80(f->st[(top + i) & 7], get_x80(regs + 10 * i));
}

unsigned fpu_fxsave(const struct x86_fpu *f, uint8_t img[512], bool rex_w, unsigned nxmm)
{
    put16(img + 0, f->fcw);
    put16(img + 2, f->fsw);
    img[4] = f->ftw;
    img[5] = 0;
    put16(img + 6, f->fop & 0x7ff);
    if (rex_w) {
        put64(img + 8, f->fip);
        put64(img + 16, f->fdp);
    } else {
        put32(img + 8, (uint32_t)f->fip);
        put32(img + 12, (uint32_t)(f->fip >> 32) & 0xffff);
        put32(img + 16, (uint32_t)f->fdp);
        put32(img + 20, (uint32_t)(f->fdp >> 32) & 0xffff);
    }
    put32(img + 24, f->mxcsr);
    put32(img + 28, FPU_MXCSR_MASK);
    int top = fpu_top(f);
    for (int i = 0; i < 8; i++) {
        memset(img + 32 + 16 * i, 0, 16);
        memcpy(img + 32 + 16 * i, f->st[(top + i) & 7], 10);
    }
    if (nxmm > 16)
        nxmm = 16;
    for (unsigned i = 0; i < nxmm; i++)
        memcpy(img + 160 + 16 * i, f->xmm[i], 16);
    return 160 + 16 * nxmm;
}

bool fpu_fxrstor(struct x86_fpu *f, const uint8_t img[512], bool rex_w, unsigned nxmm)
{
    uint32_t mxcsr = get32(img + 24);
    if (mxcsr & ~FPU_MXCSR_MASK)
        return false;
    f->fcw = fcw_value(get16(img + 0));
    f->fsw = (uint16_t)get16(img + 2);
    f->ftw = img[4];
    f->fop = (uint16_t)(get16(img + 6) & 0x7ff);
    if (rex_w) {
        f->fip = get64(img + 8);
        f->fdp = get64(img + 16);
    } else {
        f->fip = get32(img + 8) | ((uint64_t)get16(img + 12) << 32);
        f->fdp = get32(img + 16) | ((uint64_t)get16(img + 20) << 32);
    }
    f->mxcsr = mxcsr;
    int top = fpu_top(f);
    for (int i = 0; i < 8; i++) {
        memset(f->st[(top + i) & 7], 0, 16);
        memcpy(f->st[(top + i) & 7], img + 32 + 16 * i, 10);
    }
    if (nxmm > 16)
        nxmm = 16;
    for (unsigned i = 0; i < nxmm; i++)
        memcpy(f->xmm[i], img + 160 + 16 * i, 16);
    update_es(f);
    return true;
}
