/* Local APIC: register page, interrupt acceptance and priority (IRR, ISR,
 * TMR, TPR/PPR), EOI, ICR self-delivery, LINT pins with ExtINT pass-through
 * to the 8259, and the timer on the virtual clock. */
#include "hw/lapic.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "hw/machine.h"
#include "hw/vclock.h"
#include "softmmu/iomap.h"

#define LAPIC_PAGE_SIZE 0x1000
/* MAXPHYADDR of the modelled CPU is not known here; accept a 52-bit base. */
#define LAPIC_BASE_ADDR_MASK 0x000ffffffffff000ull

enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };

#define LVT_VECTOR(v)     ((v) & 0xffu)
#define LVT_DM(v)         (((v) >> 8) & 7u)
#define LVT_POLARITY_LOW  (1u << 13)
#define LVT_REMOTE_IRR    (1u << 14)
#define LVT_LEVEL         (1u << 15)
#define LVT_TIMER_MODE(v) (((v) >> 17) & 3u)

enum { TIMER_ONESHOT = 0, TIMER_PERIODIC = 1 };

/* Writable bits of each LVT entry; delivery status and remote IRR are
 * read-only. Timer bit 18 (TSC-deadline) is kept so the mode reads back. */
static const uint32_t lvt_writable[LVT_COUNT] = {
    [LVT_TIMER] = 0x000700ffu,
    [LVT_THERMAL] = 0x000107ffu,
    [LVT_PERF] = 0x000107ffu,
    [LVT_LINT0] = 0x0001a7ffu,
    [LVT_LINT1] = 0x0001a7ffu,
    [LVT_ERROR] = 0x000100ffu,
};

#define ICR_LO_WRITABLE 0x000ccfffu
#define ICR_DEST_LOGICAL (1u << 11)
#define ICR_LEVEL_TRIG   (1u << 15)
#define ICR_SHORTHAND(v) (((v) >> 18) & 3u)
enum { SH_NONE, SH_SELF, SH_ALL_INCL, SH_ALL_EXCL };

#define SVR_WRITABLE 0x000003ffu

struct lapic {
    struct machine *m;
    struct lapic_config cfg;

    uint64_t base_msr;
    uint64_t mapped_base;
    bool mapped;

    uint32_t id;
    uint32_t tpr;
    uint32_t ldr;
    uint32_t dfr;
    uint32_t svr;
    uint32_t esr;         /* what the guest reads */
    uint32_t esr_pending; /* errors seen since the last ESR write */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LVT_COUNT];
    uint32_t irr[8], isr[8], tmr[8];

    /* Timer: count at time seg_start_ns was seg_count; it reaches zero for
     * the k-th time (k from 0) after seg_count + k * timer_initial ticks of
     * the divided clock. Deadlines are computed from the segment start, so
     * periodic mode never accumulates rounding drift. */
    uint32_t timer_initial;
    uint32_t timer_dcr;
    bool timer_running;
    uint64_t seg_start_ns;
    uint32_t seg_count;
    uint64_t next_k;
    struct vtimer timer;

    bool lint_level[2];
    bool nmi_pending;
    bool extint_msg;      /* an ExtINT message from the I/O APIC awaits INTA */
};

uint64_t lapic_bus_hz(void)
{
    return LAPIC_BUS_HZ;
}

/* ---- vector bitmaps ---- */

static inline bool vec_test(const uint32_t *bm, unsigned v)
{
    return (bm[v >> 5] >> (v & 31)) & 1;
}

static inline void vec_set(uint32_t *bm, unsigned v)
{
    bm[v >> 5] |= 1u << (v & 31);
}

static inline void vec_clear(uint32_t *bm, unsigned v)
{
    bm[v >> 5] &= ~(1u << (v & 31));
}

/* Highest set vector, or -1. */
static int vec_highest(const uint32_t *bm)
{
    for (int i = 7; i >= 0; i--)
        if (bm[i])
            return i * 32 + 31 - __builtin_clz(bm[i]);
    return -1;
}

/* ---- state helpers ---- */

static bool hw_enabled(const struct lapic *l)
{
    return (l->base_msr & X86_APIC_BASE_ENABLE) != 0;
}

static bool sw_enabled(const struct lapic *l)
{
    return (l->svr & LAPIC_SVR_ENABLE) != 0;
}

static uint32_t lapic_ppr(const struct lapic *l)
{
    int isrv = vec_highest(l->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    /* On equal classes the SDM leaves PPR[3:0] model-specific; keep TPR's. */
    if ((l->tpr & 0xf0) >= isr_class)
        return l->tpr & 0xff;
    return isr_class;
}

/* P6-style arbitration priority (SDM "Lowest Priority Delivery Mode"). */
static uint32_t lapic_apr(const struct lapic *l)
{
    int isrv = vec_highest(l->isr), irrv = vec_highest(l->irr);
    uint32_t tpr_c = l->tpr & 0xf0;
    uint32_t isr_c = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    uint32_t irr_c = irrv < 0 ? 0 : (uint32_t)irrv & 0xf0;
    if (tpr_c >= irr_c && tpr_c > isr_c)
        return l->tpr & 0xff;
    uint32_t c = tpr_c;
    if (isr_c > c)
        c = isr_c;
    if (irr_c > c)
        c = irr_c;
    return c;
}

/* IRR vector the APIC would dispatch now, or -1. Vectors already accepted
 * stay dispatchable while software-disabled (SDM 10.4.7.2: held "and
 * require masking or handling by the CPU"); new ones are refused instead. */
static int irr_deliverable(const struct lapic *l)
{
    int v = vec_highest(l->irr);
    if (v < 0)
        return -1;
    if (((uint32_t)v & 0xf0) <= (lapic_ppr(l) & 0xf0))
        return -1;
    return v;
}

static bool extint_path_open(const struct lapic *l)
{
    uint32_t lint0 = l->lvt[LVT_LINT0];
    if (!(lint0 & LAPIC_LVT_MASKED) && LVT_DM(lint0) == LAPIC_DM_EXTINT)
        return true;
    return l->extint_msg;
}

static bool pic_intr(const struct lapic *l)
{
    if (l->cfg.extint_pending)
        return l->cfg.extint_pending(l->cfg.extint_opaque);
    return l->lint_level[0];
}

static int pic_inta(struct lapic *l)
{
    l->extint_msg = false;
    if (l->cfg.extint_ack)
        return l->cfg.extint_ack(l->cfg.extint_opaque);
    return (int)(l->svr & 0xff);
}

static void notify_if_deliverable(struct lapic *l)
{
    if (lapic_intr_pending(l))
        machine_cpu_interrupt_changed(l->m);
}

static void accept_fixed(struct lapic *l, unsigned vector, bool level);

/* Records errors in the pending ESR and raises the error LVT once per new
 * error bit; the recursion through an illegal error vector stops because
 * that bit is then already pending. */
static void signal_error(struct lapic *l, uint32_t bits)
{
    uint32_t fresh = bits & ~l->esr_pending;
    l->esr_pending |= bits;
    uint32_t lvt = l->lvt[LVT_ERROR];
    if (fresh && !(lvt & LAPIC_LVT_MASKED))
        accept_fixed(l, LVT_VECTOR(lvt), false);
}

static void accept_fixed(struct lapic *l, unsigned vector, bool level)
{
    vector &= 0xff;
    if (vector < 16) {
        signal_error(l, LAPIC_ESR_RECV_ILLEGAL_VECTOR);
        return;
    }
    vec_set(l->irr, vector);
    if (level)
        vec_set(l->tmr, vector);
    else
        vec_clear(l->tmr, vector);
    notify_if_deliverable(l);
}

/* ---- timer ---- */

static unsigned timer_divisor(const struct lapic *l)
{
    unsigned code = (l->timer_dcr & 3u) | ((l->timer_dcr >> 1) & 4u);
    return 1u << ((code + 1) & 7u);
}

static bool timer_mode_counts(const struct lapic *l)
{
    unsigned mode = LVT_TIMER_MODE(l->lvt[LVT_TIMER]);
    return mode == TIMER_ONESHOT || mode == TIMER_PERIODIC;
}

static uint64_t bus_ticks_to_ns_ceil(uint64_t ticks)
{
    unsigned __int128 n = (unsigned __int128)ticks * NS_PER_SEC + (LAPIC_BUS_HZ - 1);
    return (uint64_t)(n / LAPIC_BUS_HZ);
}

/* Divided-clock ticks elapsed in the current segment. */
static uint64_t timer_elapsed(const struct lapic *l, uint64_t now)
{
    if (now <= l->seg_start_ns)
        return 0;
    return vclock_ns_to_ticks(now - l->seg_start_ns, LAPIC_BUS_HZ) / timer_divisor(l);
}

static uint64_t timer_deadline(const struct lapic *l, uint64_t k)
{
    uint64_t ticks = ((uint64_t)l->seg_count + k * l->timer_initial) * timer_divisor(l);
    return l->seg_start_ns + bus_ticks_to_ns_ceil(ticks);
}

static uint32_t timer_current(const struct lapic *l)
{
    if (!l->timer_running)
        return 0;
    uint64_t e = timer_elapsed(l, vclock_now(&l->m->clock));
    uint64_t target = (uint64_t)l->seg_count + l->next_k * l->timer_initial;
    if (e < target)
        return (uint32_t)(target - e);
    /* Past a zero the expiry callback has not run for yet (late host). */
    if (LVT_TIMER_MODE(l->lvt[LVT_TIMER]) != TIMER_PERIODIC)
        return 0;
    return l->timer_initial - (uint32_t)((e - l->seg_count) % l->timer_initial);
}

/* Arms the vtimer for the first expiry at or after index k that lies in
 * the future; a late main loop skips missed periods (they would coalesce in
 * the single IRR bit anyway) rather than firing a burst. */
static void timer_arm_from(struct lapic *l, uint64_t k)
{
    uint64_t now = vclock_now(&l->m->clock);
    if (LVT_TIMER_MODE(l->lvt[LVT_TIMER]) == TIMER_PERIODIC && timer_deadline(l, k) <= now) {
        uint64_t e = timer_elapsed(l, now);
        if (e >= l->seg_count) {
            uint64_t kk = (e - l->seg_count) / l->timer_initial;
            if (kk > k)
                k = kk;
        }
        while (timer_deadline(l, k) <= now)
            k++;
    }
    l->next_k = k;
    vtimer_arm(&l->timer, timer_deadline(l, k));
}

static void timer_stop(struct lapic *l)
{
    l->timer_running = false;
    vtimer_cancel(&l->timer);
}

/* Starts a segment from count c at the current time. */
static void timer_start_segment(struct lapic *l, uint32_t c)
{
    if (!l->timer_initial || !timer_mode_counts(l) || !c) {
        timer_stop(l);
        return;
    }
    l->timer_running = true;
    l->seg_start_ns = vclock_now(&l->m->clock);
    l->seg_count = c;
    timer_arm_from(l, 0);
}

static void timer_expired(void *opaque)
{
    struct lapic *l = opaque;
    uint32_t lvt = l->lvt[LVT_TIMER];
    if (!l->timer_running)
        return;
    if (LVT_TIMER_MODE(lvt) == TIMER_PERIODIC)
        timer_arm_from(l, l->next_k + 1);
    else
        l->timer_running = false;
    /* The count reaches zero whether or not the interrupt is masked. */
    if (!(lvt & LAPIC_LVT_MASKED))
        accept_fixed(l, LVT_VECTOR(lvt), false);
}

/* ---- LINT pins ---- */

static void lint_service(struct lapic *l, int pin, bool was_asserted_raw)
{
    uint32_t lvt = l->lvt[LVT_LINT0 + pin];
    bool pol_low = (lvt & LVT_POLARITY_LOW) != 0;
    bool now = l->lint_level[pin] != pol_low;
    bool before = was_asserted_raw != pol_low;
    if (lvt & LAPIC_LVT_MASKED)
        return;
    switch (LVT_DM(lvt)) {
    case LAPIC_DM_EXTINT:
        machine_cpu_interrupt_changed(l->m);
        break;
    case LAPIC_DM_NMI:
        /* NMI is edge-sensitive whatever the trigger-mode bit says. */
        if (now && !before) {
            l->nmi_pending = true;
            machine_cpu_interrupt_changed(l->m);
        }
        break;
    case LAPIC_DM_FIXED:
        /* LINT1 has no level-sensitive mode (SDM 10.5.1). */
        if ((lvt & LVT_LEVEL) && pin == 0) {
            if (now && !(lvt & LVT_REMOTE_IRR)) {
                l->lvt[LVT_LINT0] |= LVT_REMOTE_IRR;
                accept_fixed(l, LVT_VECTOR(lvt), true);
            }
        } else if (now && !before) {
            accept_fixed(l, LVT_VECTOR(lvt), false);
        }
        break;
    default: /* SMI, INIT: not modelled */
        break;
    }
}

static void lapic_set_lint(struct lapic *l, int pin, int level)
{
    bool old = l->lint_level[pin];
    l->lint_level[pin] = level != 0;
    if (!hw_enabled(l)) {
        /* Without an APIC the pins are the CPU's INTR and NMI inputs. */
        if (pin == 0 && old != l->lint_level[0])
            machine_cpu_interrupt_changed(l->m);
        if (pin == 1 && l->lint_level[1] && !old) {
            l->nmi_pending = true;
            machine_cpu_interrupt_changed(l->m);
        }
        return;
    }
    if (old == l->lint_level[pin] && LVT_DM(l->lvt[LVT_LINT0 + pin]) != LAPIC_DM_EXTINT)
        return;
    lint_service(l, pin, old);
}

void lapic_set_lint0(void *l, int pin_unused, int level)
{
    (void)pin_unused;
    lapic_set_lint(l, 0, level);
}

void lapic_set_lint1(void *l, int pin_unused, int level)
{
    (void)pin_unused;
    lapic_set_lint(l, 1, level);
}

struct irq_line lapic_lint_irq_line(struct lapic *l, int lint)
{
    return irq_line_make(lint ? lapic_set_lint1 : lapic_set_lint0, l, lint ? 1 : 0);
}

/* ---- EOI and IPIs ---- */

static void lapic_eoi(struct lapic *l)
{
    int v = vec_highest(l->isr);
    if (v < 0)
        return;
    vec_clear(l->isr, (unsigned)v);
    if (vec_test(l->tmr, (unsigned)v)) {
        uint32_t lint0 = l->lvt[LVT_LINT0];
        if ((lint0 & LVT_REMOTE_IRR) && LVT_VECTOR(lint0) == (unsigned)v) {
            l->lvt[LVT_LINT0] &= ~LVT_REMOTE_IRR;
            lint_service(l, 0, l->lint_level[0]);
        }
        if (l->cfg.eoi_broadcast)
            l->cfg.eoi_broadcast(l->cfg.eoi_opaque, (uint8_t)v);
    }
    notify_if_deliverable(l);
}

static void send_ipi(struct lapic *l)
{
    uint32_t lo = l->icr_lo;
    unsigned dm = LVT_DM(lo);
    unsigned vector = LVT_VECTOR(lo);
    bool to_self;
    switch (ICR_SHORTHAND(lo)) {
    case SH_SELF:
        /* Only fixed delivery is valid with the self shorthand. */
        to_self = dm == LAPIC_DM_FIXED;
        break;
    case SH_ALL_INCL:
        to_self = true;
        break;
    case SH_ALL_EXCL:
        to_self = false; /* there is no other CPU */
        break;
    default:
        to_self = lapic_accepts_dest(l, (uint8_t)(l->icr_hi >> 24),
                                     (lo & ICR_DEST_LOGICAL) != 0);
        break;
    }
    if ((dm == LAPIC_DM_FIXED || dm == LAPIC_DM_LOWEST) && vector < 16) {
        signal_error(l, LAPIC_ESR_SEND_ILLEGAL_VECTOR);
        return;
    }
    if (!to_self)
        return;
    /* INIT and STARTUP to this CPU are not modelled (single-CPU machine). */
    if (dm == LAPIC_DM_FIXED || dm == LAPIC_DM_LOWEST || dm == LAPIC_DM_NMI)
        lapic_deliver(l, (uint8_t)vector, dm, (lo & ICR_LEVEL_TRIG) != 0);
}

/* ---- register file ---- */

static bool lvt_index(uint32_t reg, int *idx)
{
    if (reg >= LAPIC_REG_LVT_TIMER && reg <= LAPIC_REG_LVT_ERROR) {
        *idx = (int)((reg - LAPIC_REG_LVT_TIMER) >> 4);
        return true;
    }
    return false;
}

static uint32_t lapic_read_reg(struct lapic *l, uint32_t reg)
{
    int i;
    if (reg >= LAPIC_REG_ISR && reg < LAPIC_REG_ISR + 0x80)
        return l->isr[(reg - LAPIC_REG_ISR) >> 4];
    if (reg >= LAPIC_REG_TMR && reg < LAPIC_REG_TMR + 0x80)
        return l->tmr[(reg - LAPIC_REG_TMR) >> 4];
    if (reg >= LAPIC_REG_IRR && reg < LAPIC_REG_IRR + 0x80)
        return l->irr[(reg - LAPIC_REG_IRR) >> 4];
    if (lvt_index(reg, &i))
        return l->lvt[i];
    switch (reg) {
    case LAPIC_REG_ID: return l->id << 24;
    case LAPIC_REG_VERSION: return LAPIC_VERSION_VALUE;
    case LAPIC_REG_TPR: return l->tpr;
    case LAPIC_REG_APR: return lapic_apr(l);
    case LAPIC_REG_PPR: return lapic_ppr(l);
    case LAPIC_REG_EOI: return 0;
    case LAPIC_REG_RRD: return 0;
    case LAPIC_REG_LDR: return l->ldr;
    case LAPIC_REG_DFR: return l->dfr | 0x0fffffffu;
    case LAPIC_REG_SVR: return l->svr;
    case LAPIC_REG_ESR: return l->esr;
    case LAPIC_REG_ICR_LO: return l->icr_lo; /* delivery status: always idle */
    case LAPIC_REG_ICR_HI: return l->icr_hi;
    case LAPIC_REG_TIMER_INIT: return l->timer_initial;
    case LAPIC_REG_TIMER_CUR: return timer_current(l);
    case LAPIC_REG_TIMER_DIV: return l->timer_dcr;
    default:
        signal_error(l, LAPIC_ESR_ILLEGAL_REGISTER);
        return 0;
    }
}

static void write_lvt(struct lapic *l, int i, uint32_t val)
{
    uint32_t old = l->lvt[i];
    uint32_t v = (old & ~lvt_writable[i]) | (val & lvt_writable[i]);
    /* Software-disabled: mask bits stay set (SDM 10.4.7.2). */
    if (!sw_enabled(l))
        v |= LAPIC_LVT_MASKED;
    l->lvt[i] = v;
    if (i == LVT_TIMER) {
        bool was_counting = LVT_TIMER_MODE(old) <= TIMER_PERIODIC;
        if (was_counting != timer_mode_counts(l)) {
            /* Entering or leaving TSC-deadline mode disarms the timer
             * (SDM 10.5.4.1). That mode is not advertised: it never fires. */
            l->timer_initial = 0;
            timer_stop(l);
        }
        /* One-shot <-> periodic keeps counting: the vtimer stays armed for
         * the next zero, where timer_expired() consults the mode. */
    } else if (i == LVT_LINT0 || i == LVT_LINT1) {
        lint_service(l, i - LVT_LINT0, l->lint_level[i - LVT_LINT0]);
    }
}

static void lapic_write_reg(struct lapic *l, uint32_t reg, uint32_t val)
{
    int i;
    if (lvt_index(reg, &i)) {
        write_lvt(l, i, val);
        return;
    }
    switch (reg) {
    case LAPIC_REG_ID:
        /* Writable in xAPIC mode on the processors that allow it. */
        l->id = val >> 24;
        break;
    case LAPIC_REG_TPR:
        l->tpr = val & 0xff;
        notify_if_deliverable(l);
        break;
    case LAPIC_REG_EOI:
        lapic_eoi(l);
        break;
    case LAPIC_REG_LDR:
        l->ldr = val & 0xff000000u;
        break;
    case LAPIC_REG_DFR:
        l->dfr = val & 0xf0000000u;
        break;
    case LAPIC_REG_SVR:
        l->svr = val & SVR_WRITABLE;
        if (!sw_enabled(l))
            for (int j = 0; j < LVT_COUNT; j++)
                l->lvt[j] |= LAPIC_LVT_MASKED;
        notify_if_deliverable(l);
        break;
    case LAPIC_REG_ESR:
        /* The write latches the errors seen since the previous write. */
        l->esr = l->esr_pending;
        l->esr_pending = 0;
        break;
    case LAPIC_REG_ICR_LO:
        l->icr_lo = val & ICR_LO_WRITABLE;
        send_ipi(l);
        break;
    case LAPIC_REG_ICR_HI:
        l->icr_hi = val & 0xff000000u;
        break;
    case LAPIC_REG_TIMER_INIT:
        l->timer_initial = val;
        if (timer_mode_counts(l))
            timer_start_segment(l, val);
        else
            l->timer_initial = 0; /* ignored in TSC-deadline mode */
        break;
    case LAPIC_REG_TIMER_DIV: {
        /* The count carries on from where it is, at the new rate. */
        uint32_t c = timer_current(l);
        bool running = l->timer_running;
        l->timer_dcr = val & 0xbu;
        if (running)
            timer_start_segment(l, c ? c : l->timer_initial);
        break;
    }
    case LAPIC_REG_VERSION:
    case LAPIC_REG_APR:
    case LAPIC_REG_PPR:
    case LAPIC_REG_RRD:
    case LAPIC_REG_TIMER_CUR:
        break; /* read-only */
    default:
        if (reg >= LAPIC_REG_ISR && reg < LAPIC_REG_IRR + 0x80)
            break; /* ISR/TMR/IRR are read-only */
        signal_error(l, LAPIC_ESR_ILLEGAL_REGISTER);
        break;
    }
}

/* Registers are 32 bits at 16-byte alignment; narrower reads see the bytes
 * they cover, bytes 4..15 of each slot read as zero, and any write at a
 * slot's start acts on the register with the value zero-extended. */
static void lapic_mmio(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                       bool is_write)
{
    struct lapic *l = opaque;
    uint32_t reg = (uint32_t)offset & 0xff0u;
    unsigned byte = (unsigned)offset & 0xfu;
    if (is_write) {
        if (byte == 0)
            lapic_write_reg(l, reg, (uint32_t)io_data_get(data, len < 4 ? len : 4));
        return;
    }
    uint64_t v = byte < 4 ? lapic_read_reg(l, reg) >> (8 * byte) : 0;
    io_data_put(data, len, v);
}

/* ---- mapping and reset ---- */

static void update_mapping(struct lapic *l)
{
    uint64_t base = l->base_msr & LAPIC_BASE_ADDR_MASK;
    bool want = hw_enabled(l);
    if (l->mapped && (!want || l->mapped_base != base)) {
        iomap_remove(&l->m->mem.mmio, l->mapped_base);
        l->mapped = false;
    }
    if (want && !l->mapped) {
        if (iomap_add(&l->m->mem.mmio, base, LAPIC_PAGE_SIZE, lapic_mmio, l, "lapic") == 0) {
            l->mapped = true;
            l->mapped_base = base;
        }
    }
}

/* Power-on register state (SDM 10.4.7.1), except that LINT0 of the BSP
 * starts unmasked in ExtINT mode: firmware of the 8259 era expects the
 * PIC's INTR to reach the CPU before anything programs the APIC. */
static void reset_registers(struct lapic *l)
{
    timer_stop(l);
    l->id = l->cfg.apic_id;
    l->tpr = 0;
    l->ldr = 0;
    l->dfr = 0xffffffffu;
    l->svr = 0xff;
    l->esr = 0;
    l->esr_pending = 0;
    l->icr_lo = 0;
    l->icr_hi = 0;
    for (int i = 0; i < LVT_COUNT; i++)
        l->lvt[i] = LAPIC_LVT_MASKED;
    l->lvt[LVT_LINT0] = (uint32_t)LAPIC_DM_EXTINT << 8;
    memset(l->irr, 0, sizeof(l->irr));
    memset(l->isr, 0, sizeof(l->isr));
    memset(l->tmr, 0, sizeof(l->tmr));
    l->timer_initial = 0;
    l->timer_dcr = 0;
    l->nmi_pending = false;
    l->extint_msg = false;
}

static void lapic_reset(void *opaque)
{
    struct lapic *l = opaque;
    reset_registers(l);
    l->base_msr = X86_APIC_DEFAULT_BASE | X86_APIC_BASE_ENABLE | X86_APIC_BASE_BSP;
    update_mapping(l);
}

struct lapic *lapic_create(struct machine *m, const struct lapic_config *cfg)
{
    struct lapic *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->m = m;
    if (cfg)
        l->cfg = *cfg;
    vtimer_init(&l->timer, &m->clock, timer_expired, l);
    lapic_reset(l);
    machine_register_reset(m, lapic_reset, l);
    return l;
}

void lapic_destroy(struct lapic *l)
{
    if (!l)
        return;
    vtimer_cancel(&l->timer);
    if (l->mapped)
        iomap_remove(&l->m->mem.mmio, l->mapped_base);
    free(l);
}

void lapic_set_eoi_broadcast(struct lapic *l, void (*fn)(void *opaque, uint8_t vector),
                             void *opaque)
{
    l->cfg.eoi_broadcast = fn;
    l->cfg.eoi_opaque = opaque;
}

static bool cpu_intr_pending(void *opaque)
{
    return lapic_intr_pending(opaque);
}

static int cpu_intr_ack(void *opaque)
{
    return lapic_intr_ack(opaque);
}

static bool cpu_nmi_pending(void *opaque) { return lapic_nmi_pending(opaque); }
static void cpu_nmi_ack(void *opaque) { lapic_nmi_ack(opaque); }
static uint8_t cpu_get_cr8(void *opaque) { return lapic_get_cr8(opaque); }
static void cpu_set_cr8(void *opaque, uint8_t cr8) { lapic_set_tpr_cr8(opaque, cr8); }
static uint64_t cpu_get_apic_base(void *opaque) { return lapic_get_base(opaque); }
static void cpu_set_apic_base(void *opaque, uint64_t v) { lapic_set_base(opaque, v); }

void lapic_connect_cpu(struct lapic *l)
{
    l->m->intc = (struct cpu_intc){
        .intr_pending = cpu_intr_pending,
        .intr_ack = cpu_intr_ack,
        .nmi_pending = cpu_nmi_pending,
        .nmi_ack = cpu_nmi_ack,
        .get_cr8 = cpu_get_cr8,
        .set_cr8 = cpu_set_cr8,
        .get_apic_base = cpu_get_apic_base,
        .set_apic_base = cpu_set_apic_base,
        .opaque = l,
    };
}

/* ---- CPU-facing interface ---- */

bool lapic_intr_pending(struct lapic *l)
{
    if (!hw_enabled(l))
        return pic_intr(l);
    if (irr_deliverable(l) >= 0)
        return true;
    return extint_path_open(l) && pic_intr(l);
}

int lapic_intr_ack(struct lapic *l)
{
    if (!hw_enabled(l))
        return pic_inta(l);
    int v = irr_deliverable(l);
    if (v >= 0) {
        vec_clear(l->irr, (unsigned)v);
        vec_set(l->isr, (unsigned)v);
        return v;
    }
    if (extint_path_open(l) && pic_intr(l))
        return pic_inta(l);
    /* The request went away before INTA (e.g. TPR raised): spurious, with
     * no ISR bit set. */
    return (int)(l->svr & 0xff);
}

bool lapic_nmi_pending(struct lapic *l)
{
    return l->nmi_pending;
}

void lapic_nmi_ack(struct lapic *l)
{
    l->nmi_pending = false;
}

void lapic_deliver(struct lapic *l, uint8_t vector, unsigned delivery_mode,
                   bool level_triggered)
{
    if (!hw_enabled(l))
        return;
    switch (delivery_mode) {
    case LAPIC_DM_FIXED:
    case LAPIC_DM_LOWEST:
        /* A software-disabled APIC does not accept new interrupts. */
        if (sw_enabled(l))
            accept_fixed(l, vector, level_triggered);
        break;
    case LAPIC_DM_NMI:
        l->nmi_pending = true;
        machine_cpu_interrupt_changed(l->m);
        break;
    case LAPIC_DM_EXTINT:
        l->extint_msg = true;
        machine_cpu_interrupt_changed(l->m);
        break;
    default: /* SMI, INIT, STARTUP */
        break;
    }
}

bool lapic_accepts_dest(struct lapic *l, uint8_t dest, bool dest_logical)
{
    if (!dest_logical)
        return dest == 0xff || dest == (uint8_t)l->id;
    uint8_t logical_id = (uint8_t)(l->ldr >> 24);
    if ((l->dfr >> 28) == 0xf) /* flat model: one bit per APIC */
        return (dest & logical_id) != 0;
    /* Cluster model: high nibble cluster (15 = all), low nibble members. */
    if ((dest >> 4) != 0xf && (dest >> 4) != (logical_id >> 4))
        return false;
    return (dest & logical_id & 0x0f) != 0;
}

void lapic_deliver_msg(void *opaque, uint8_t dest, bool dest_logical, uint8_t vector,
                       unsigned delivery_mode, bool level_triggered)
{
    struct lapic *l = opaque;
    if (lapic_accepts_dest(l, dest, dest_logical))
        lapic_deliver(l, vector, delivery_mode, level_triggered);
}

void lapic_set_tpr_cr8(struct lapic *l, uint8_t cr8)
{
    uint32_t old = l->tpr;
    l->tpr = (uint32_t)(cr8 & 0xf) << 4;
    if (l->tpr < old)
        notify_if_deliverable(l);
}

uint8_t lapic_get_cr8(struct lapic *l)
{
    return (uint8_t)((l->tpr >> 4) & 0xf);
}

uint64_t lapic_get_base(struct lapic *l)
{
    return l->base_msr;
}

void lapic_set_base(struct lapic *l, uint64_t value)
{
    bool was_enabled = hw_enabled(l);
    l->base_msr = (value & (LAPIC_BASE_ADDR_MASK | X86_APIC_BASE_ENABLE)) |
                  (l->base_msr & X86_APIC_BASE_BSP);
    bool enabled = hw_enabled(l);
    if (was_enabled && !enabled) {
        /* SDM 10.4.3: prior initialisation may be lost; we lose it. */
        reset_registers(l);
    }
    update_mapping(l);
    if (was_enabled != enabled)
        notify_if_deliverable(l);
}
