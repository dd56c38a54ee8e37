/* The High Precision Event Timer (IA-PC HPET specification 1.0a): one block
 * of three 64-bit comparators on a 64-bit main counter, with legacy
 * replacement routing onto ISA IRQ0/IRQ8 and per-timer I/O APIC routing. */
#ifndef VX86_HW_HPET_H
#define VX86_HW_HPET_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/irq.h"

struct machine;
struct hpet;

#define HPET_DEFAULT_BASE 0xfed00000ull
#define HPET_MMIO_SIZE    0x400
#define HPET_NUM_TIMERS   3
#define HPET_ROUTE_PINS   32  /* Tn_INT_ROUTE_CNF is 5 bits */

/* 10 ns per tick (100 MHz), as QEMU's HPET: a whole number of virtual
 * nanoseconds per tick keeps every deadline exact, and guests tested on
 * QEMU see the same resolution. */
#define HPET_PERIOD_FS    10000000u
#define HPET_NS_PER_TICK  10u
#define HPET_VENDOR_ID    0x8086u
/* Low half of the capabilities register: revision 1, three timers
 * (NUM_TIM_CAP = 2), 64-bit counter, legacy replacement capable, vendor.
 * It is also the ACPI HPET table's Event Timer Block ID. */
#define HPET_BLOCK_ID     0x8086a201u

/* Register offsets. */
#define HPET_REG_CAP      0x000
#define HPET_REG_CONFIG   0x010
#define HPET_REG_ISR      0x020
#define HPET_REG_COUNTER  0x0f0
#define HPET_REG_TIMER(n) (0x100 + 0x20 * (n))
#define HPET_TN_CONFIG    0x00
#define HPET_TN_CMP       0x08
#define HPET_TN_FSB       0x10

/* General configuration. */
#define HPET_CFG_ENABLE   (1ull << 0)
#define HPET_CFG_LEGACY   (1ull << 1)

/* Timer configuration and capabilities. */
#define HPET_TN_LEVEL       (1ull << 1)
#define HPET_TN_INT_ENB     (1ull << 2)
#define HPET_TN_PERIODIC    (1ull << 3)
#define HPET_TN_PER_CAP     (1ull << 4)
#define HPET_TN_SIZE_CAP    (1ull << 5)
#define HPET_TN_VAL_SET     (1ull << 6)
#define HPET_TN_32BIT       (1ull << 8)
#define HPET_TN_ROUTE_SHIFT 9
#define HPET_TN_ROUTE_MASK  (0x1full << HPET_TN_ROUTE_SHIFT)
#define HPET_TN_FSB_EN      (1ull << 14)
#define HPET_TN_FSB_CAP     (1ull << 15)
#define HPET_TN_ROUTE_CAP_SHIFT 32

struct hpet_config {
    uint64_t base;               /* 0: HPET_DEFAULT_BASE */
    /* The ISA IRQ0 and IRQ8 wires (both 8259 and I/O APIC). The HPET sits
     * between them and their legacy drivers: with LEG_RT_CNF clear they
     * carry what hpet_legacy_input() receives, with it set they carry
     * timers 0 and 1 and the PIT and RTC are cut off. */
    struct irq_line irq0, irq8;
    /* I/O APIC inputs a timer may be routed to (bit n = input n) and the
     * line for each; this mask is every timer's Tn_INT_ROUTE_CAP. Lines
     * carry 1 for "asserted"; the board wires the polarity. */
    uint32_t route_cap;
    struct irq_line route[HPET_ROUTE_PINS];
};

/* Allocates the HPET in its power-on state (counter halted at 0, legacy
 * routing off, every comparator all ones), maps HPET_MMIO_SIZE bytes at
 * cfg->base in m->mem.mmio and registers a reset hook. NULL on allocation
 * failure or if the range is taken. */
struct hpet *hpet_create(struct machine *m, const struct hpet_config *cfg);
/* Unmaps, cancels the timers and frees; only for machine teardown. */
void hpet_destroy(struct hpet *h);

/* Where the board connects the legacy interrupt sources the HPET can
 * replace: irq 0 (the PIT's OUT0) or irq 8 (the RTC). Any other irq
 * gives a line that does nothing. */
struct irq_line hpet_legacy_input(struct hpet *h, int irq);

/* The main counter now (what a guest read of HPET_REG_COUNTER returns). */
uint64_t hpet_counter(struct hpet *h);

#endif
