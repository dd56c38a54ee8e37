/* The 8254 programmable interval timer at 0x40-0x43 (three counters on a
 * 1.193182 MHz clock) and the PC's port 0x61 (counter 2 gate, speaker data,
 * refresh toggle, OUT2). */
#ifndef VX86_HW_I8254_H
#define VX86_HW_I8254_H

#include <stdbool.h>

#include "hw/irq.h"

#define PIT_HZ 1193182u

struct machine;
struct pit;

/* Registers ports 0x40-0x43 and 0x61 and a reset hook. irq0 is driven with
 * counter 0's OUT level: one rising edge per period in modes 2 and 3.
 * Returns NULL on allocation failure or a port conflict. */
struct pit *pit_create(struct machine *m, struct irq_line irq0);
/* Unregisters the ports, cancels the timer and frees the PIT. */
void pit_destroy(struct pit *p);

/* OUT level of counter 0..2 at the current virtual time. */
bool pit_get_out(struct pit *p, int counter);
/* Speaker enable as the guest set it: counter 2 gate and port 0x61 bit 1 both
 * set, so a sound back end can play OUT2. */
bool pit_speaker_enabled(struct pit *p);

#endif
