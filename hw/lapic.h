/* The local APIC of the one virtual CPU (xAPIC, Intel SDM vol. 3 "Advanced
 * Programmable Interrupt Controller"), modelled as an MMIO page plus the
 * interrupt-acknowledge interface the CPU engines use. */
#ifndef VX86_HW_LAPIC_H
#define VX86_HW_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/irq.h"

struct machine;
struct lapic;

/* The timer's input clock (the "bus clock" before the divide configuration
 * register). 1 GHz keeps one tick equal to one virtual nanosecond, so timer
 * periods are exact; guests calibrate it against the PIT like real ones do. */
#define LAPIC_BUS_HZ 1000000000ull

/* Delivery modes, encoded as in the ICR, the LVT and the I/O APIC's
 * redirection table. */
#define LAPIC_DM_FIXED   0
#define LAPIC_DM_LOWEST  1
#define LAPIC_DM_SMI     2
#define LAPIC_DM_NMI     4
#define LAPIC_DM_INIT    5
#define LAPIC_DM_STARTUP 6
#define LAPIC_DM_EXTINT  7

/* Register offsets in the 4 KiB page. */
#define LAPIC_REG_ID       0x020
#define LAPIC_REG_VERSION  0x030
#define LAPIC_REG_TPR      0x080
#define LAPIC_REG_APR      0x090
#define LAPIC_REG_PPR      0x0a0
#define LAPIC_REG_EOI      0x0b0
#define LAPIC_REG_RRD      0x0c0
#define LAPIC_REG_LDR      0x0d0
#define LAPIC_REG_DFR      0x0e0
#define LAPIC_REG_SVR      0x0f0
#define LAPIC_REG_ISR      0x100 /* 8 registers, 0x10 apart */
#define LAPIC_REG_TMR      0x180
#define LAPIC_REG_IRR      0x200
#define LAPIC_REG_ESR      0x280
#define LAPIC_REG_ICR_LO   0x300
#define LAPIC_REG_ICR_HI   0x310
#define LAPIC_REG_LVT_TIMER   0x320
#define LAPIC_REG_LVT_THERMAL 0x330
#define LAPIC_REG_LVT_PERF    0x340
#define LAPIC_REG_LVT_LINT0   0x350
#define LAPIC_REG_LVT_LINT1   0x360
#define LAPIC_REG_LVT_ERROR   0x370
#define LAPIC_REG_TIMER_INIT  0x380
#define LAPIC_REG_TIMER_CUR   0x390
#define LAPIC_REG_TIMER_DIV   0x3e0

/* Integrated APIC version 0x14 with six LVT entries (timer, thermal,
 * performance counters, LINT0, LINT1, error: max LVT entry 5), no CMCI and
 * no EOI-broadcast suppression. */
#define LAPIC_VERSION_VALUE 0x00050014u

#define LAPIC_LVT_MASKED     (1u << 16)
#define LAPIC_SVR_ENABLE     (1u << 8)

/* ESR bits this model can raise. */
#define LAPIC_ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define LAPIC_ESR_RECV_ILLEGAL_VECTOR (1u << 6)
#define LAPIC_ESR_ILLEGAL_REGISTER    (1u << 7)

struct lapic_config {
    uint8_t apic_id;
    /* The 8259 PIC behind LINT0 in ExtINT mode: is its INTR output asserted,
     * and the INTA cycle that returns its vector. Either may be NULL (then
     * the LINT0 level stands for INTR and acknowledge yields the spurious
     * vector). */
    bool (*extint_pending)(void *opaque);
    int (*extint_ack)(void *opaque);
    void *extint_opaque;
    /* Called when the guest EOIs a level-triggered vector, so I/O APICs can
     * clear Remote IRR (ioapic_eoi fits). May be NULL. */
    void (*eoi_broadcast)(void *opaque, uint8_t vector);
    void *eoi_opaque;
};

/* Allocates the APIC in its power-on state, maps its page at 0xfee00000 in
 * m->mem.mmio and registers a reset hook. NULL on allocation failure. */
struct lapic *lapic_create(struct machine *m, const struct lapic_config *cfg);
/* Unmaps the page and cancels the timer; only for machine teardown (the
 * reset hook stays registered). */
void lapic_destroy(struct lapic *l);

/* Sets or replaces the EOI-broadcast callback after creation, for boards
 * that create the I/O APIC after the local APIC it delivers to. */
void lapic_set_eoi_broadcast(struct lapic *l, void (*fn)(void *opaque, uint8_t vector),
                             void *opaque);

/* Points m->intr_pending / m->intr_ack / m->intr_opaque at this APIC. */
void lapic_connect_cpu(struct lapic *l);

/* LINT0/LINT1 inputs (irq_set_fn shape; the pin argument is ignored by the
 * per-pin functions). In ExtINT mode a LINT0 change only means "ask the
 * PIC again". */
void lapic_set_lint0(void *l, int pin_unused, int level);
void lapic_set_lint1(void *l, int pin_unused, int level);
/* lint is 0 or 1. */
struct irq_line lapic_lint_irq_line(struct lapic *l, int lint);

/* A maskable interrupt is deliverable now (RFLAGS.IF and interrupt shadows
 * are the engine's business): an IRR vector above the processor priority,
 * or the PIC through ExtINT (or directly while the APIC is globally
 * disabled). */
bool lapic_intr_pending(struct lapic *l);
/* The CPU accepts it: IRR -> ISR and the vector, or the PIC's INTA vector;
 * the spurious vector when nothing is left. */
int lapic_intr_ack(struct lapic *l);

bool lapic_nmi_pending(struct lapic *l);
void lapic_nmi_ack(struct lapic *l);

/* An interrupt message already addressed to this CPU (I/O APIC, MSI):
 * fixed/lowest set IRR (and TMR when level_triggered), NMI sets the NMI
 * flag, ExtINT opens the PIC path for one acknowledge; SMI, INIT and
 * STARTUP are ignored. */
void lapic_deliver(struct lapic *l, uint8_t vector, unsigned delivery_mode,
                   bool level_triggered);
/* An interrupt message with its destination: delivered only if this APIC
 * is addressed (physical: its ID or 0xff; logical: LDR against the flat or
 * cluster model in DFR). Shaped to plug straight into ioapic_create(). */
void lapic_deliver_msg(void *l, uint8_t dest, bool dest_logical, uint8_t vector,
                       unsigned delivery_mode, bool level_triggered);
/* Whether this APIC is among the destinations of a message. */
bool lapic_accepts_dest(struct lapic *l, uint8_t dest, bool dest_logical);

/* CR8 is TPR[7:4]; writing CR8 clears TPR[3:0]. */
void lapic_set_tpr_cr8(struct lapic *l, uint8_t cr8);
uint8_t lapic_get_cr8(struct lapic *l);

/* IA32_APIC_BASE (MSR 0x1b). The engines route RDMSR/WRMSR here; this
 * object holds the authoritative value. Clearing bit 11 unmaps the page and
 * returns the APIC to its power-on register state (SDM 10.4.3); bit 10
 * (x2APIC) is not supported and ignored; BSP (bit 8) is read-only. */
uint64_t lapic_get_base(struct lapic *l);
void lapic_set_base(struct lapic *l, uint64_t value);

uint64_t lapic_bus_hz(void);

#endif
