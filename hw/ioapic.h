/* The I/O APIC (Intel 82093AA register model, 24 pins, version 0x20 with
 * the EOI register): turns pin levels into interrupt messages for the
 * local APIC. */
#ifndef VX86_HW_IOAPIC_H
#define VX86_HW_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/irq.h"

struct machine;
struct ioapic;

#define IOAPIC_DEFAULT_BASE 0xfec00000ull
#define IOAPIC_NUM_PINS 24

/* MMIO offsets. */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN    0x10
#define IOAPIC_EOI      0x40

/* Indirect registers (through IOREGSEL/IOWIN). */
#define IOAPIC_REG_ID    0x00
#define IOAPIC_REG_VER   0x01
#define IOAPIC_REG_ARB   0x02
#define IOAPIC_REG_REDTBL 0x10 /* entry n: low dword 0x10+2n, high 0x11+2n */

/* Version 0x20 (it has the EOI register at 0x40), max redirection entry 23. */
#define IOAPIC_VERSION_VALUE 0x00170020u

/* Redirection entry fields. */
#define IOAPIC_RTE_VECTOR      0x000000ffull
#define IOAPIC_RTE_DM_SHIFT    8
#define IOAPIC_RTE_DEST_LOGICAL (1ull << 11)
#define IOAPIC_RTE_DELIVS      (1ull << 12)
#define IOAPIC_RTE_POLARITY_LOW (1ull << 13)
#define IOAPIC_RTE_REMOTE_IRR  (1ull << 14)
#define IOAPIC_RTE_LEVEL       (1ull << 15)
#define IOAPIC_RTE_MASKED      (1ull << 16)
#define IOAPIC_RTE_DEST_SHIFT  56

/* Sends one interrupt message. delivery_mode uses the APIC encoding
 * (0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT); dest is
 * bits 63:56 of the entry, physical or logical per dest_logical. With a
 * single CPU, the board passes lapic_deliver_msg, which applies the local
 * APIC's own destination matching (ID or 0xff physically, LDR/DFR
 * logically); nothing is arbitrated between CPUs. */
typedef void (*ioapic_deliver_fn)(void *opaque, uint8_t dest, bool dest_logical,
                                  uint8_t vector, unsigned delivery_mode,
                                  bool level_triggered);

/* Allocates the I/O APIC in its reset state (every entry masked), maps it at
 * IOAPIC_DEFAULT_BASE in m->mem.mmio and registers a reset hook. NULL on
 * allocation failure or if the range is taken. */
struct ioapic *ioapic_create(struct machine *m, ioapic_deliver_fn deliver, void *opaque);
/* Unmaps and frees; only for machine teardown. */
void ioapic_destroy(struct ioapic *io);

/* Drives input pin `pin` (0..23) to the electrical level `level`. A pin
 * programmed active-low (polarity bit 13) is asserted while level is 0.
 * Edge-triggered pins send on the asserting edge if unmasked; level-
 * triggered pins send while asserted with Remote IRR clear. */
void ioapic_set_irq(void *io, int pin, int level);
struct irq_line ioapic_irq_line(struct ioapic *io, int pin);
/* A line whose driver says 1 for "asserted" wired to an active-low pin
 * (e.g. a PCI INTx): the electrical level is inverted and starts high
 * (idle), so the guest must program that pin's polarity active-low. */
struct irq_line ioapic_irq_line_active_low(struct ioapic *io, int pin);

/* EOI broadcast from a local APIC (fits lapic_config.eoi_broadcast):
 * clears Remote IRR of level entries with this vector and resends those
 * whose input is still asserted. */
void ioapic_eoi(void *io, uint8_t vector);

#endif
