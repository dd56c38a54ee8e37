/* 16550A UART with 16-byte FIFOs, wired as on a PC: eight ports at `base`,
 * the interrupt reaching its IRQ line only while MCR.OUT2 is set. */
#ifndef VX86_HW_UART16550_H
#define VX86_HW_UART16550_H

#include <stdint.h>

#include "hw/irq.h"

struct machine;
struct chardev;
struct uart;

/* Maps ports base..base+7, becomes chr's front end (chr may be NULL: output
 * is dropped, no input) and registers the reset hook. NULL on failure. */
struct uart *uart_create(struct machine *m, uint16_t base, struct irq_line irq,
                         struct chardev *chr);
/* Unmaps, detaches from the chardev and frees; only while tearing the
 * machine down (the reset hook stays registered). */
void uart_destroy(struct uart *u);

#endif
