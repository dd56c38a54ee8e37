/* The PC's pair of 8259A interrupt controllers (master at 0x20, slave at 0xa0
 * cascaded on master IR2) and the PIIX3 ELCR edge/level registers at 0x4d0. */
#ifndef VX86_HW_I8259_H
#define VX86_HW_I8259_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/irq.h"

struct machine;
struct pic;

/* Registers ports 0x20-0x21, 0xa0-0xa1, 0x4d0-0x4d1 and a reset hook.
 * intr_out follows the master's INT output (driven only when it changes).
 * Returns NULL on allocation failure or a port conflict. */
struct pic *pic_create(struct machine *m, struct irq_line intr_out);
/* Unregisters the ports and frees the controller. */
void pic_destroy(struct pic *p);
/* Replaces the INT output line (for boards that create the receiver later);
 * the new line is driven with the current level at once. */
void pic_set_intr_out(struct pic *p, struct irq_line intr_out);

/* IRQ input pins 0..15 (8..15 on the slave). Pin 2 is the internal cascade
 * and is ignored here. Shaped as an irq_set_fn for irq_line_make(). */
void pic_set_irq(void *pic, int irq, int level);
struct irq_line pic_irq_line(struct pic *p, int irq);

/* Is the master's INT output asserted. */
bool pic_intr_pending(struct pic *p);
/* The INTA cycle: returns the vector (slave vector for a cascaded IRQ,
 * base+7 of the chip concerned when the request vanished) and moves the
 * request from IRR to ISR (unless in auto-EOI mode). */
int pic_intr_ack(struct pic *p);

#endif
