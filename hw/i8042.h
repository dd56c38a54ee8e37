/* The 8042 keyboard controller (ports 0x60 data, 0x64 status/command) with a
 * PS/2 keyboard on its first port (IRQ 1) and a PS/2 mouse on its second
 * (IRQ 12), plus the A20 gate and reset line its output port drives. */
#ifndef VX86_HW_I8042_H
#define VX86_HW_I8042_H

#include <stddef.h>
#include <stdint.h>

#include "hw/irq.h"

struct machine;
struct i8042;

/* Button bits for i8042_mouse_event; the first three match the PS/2 packet. */
#define I8042_BUTTON_LEFT   0x01u
#define I8042_BUTTON_RIGHT  0x02u
#define I8042_BUTTON_MIDDLE 0x04u
#define I8042_BUTTON_4      0x08u /* reported only once the guest enables
                                     the IntelliMouse Explorer protocol */
#define I8042_BUTTON_5      0x10u

/* Maps ports 0x60 and 0x64 and registers a reset hook. Each IRQ line is
 * raised when a byte from its port enters the output buffer with that port's
 * interrupt enabled in the command byte, and lowered when the guest reads
 * port 0x60, so an edge-triggered 8259 sees one edge per byte.
 * Returns NULL if a port is taken or memory runs out. */
struct i8042 *i8042_create(struct machine *m, struct irq_line irq1, struct irq_line irq12);
/* Frees the device; only after the machine core is destroyed. */
void i8042_destroy(struct i8042 *k);

/* Input from the display layer; call with the machine lock held.
 *
 * Key presses and releases as scan code set 2 bytes (make codes, F0-prefixed
 * break codes, E0/E1 prefixes). The keyboard converts them to set 1 if the
 * guest selected it, and the controller translates them if command byte bit
 * 6 is set. Dropped while the guest has scanning disabled; when the
 * keyboard's buffer is full the event is replaced by an overrun code. */
void i8042_keyboard_event(struct i8042 *k, const uint8_t *set2_bytes, size_t n);
/* Relative motion in screen convention (dx > 0 right, dy > 0 down), wheel
 * dz > 0 toward the user (scrolling down), and the buttons now held
 * (I8042_BUTTON_*). Motion accumulates while the guest is not reading and
 * is sent as packets when there is room; nothing is sent unless the guest
 * enabled reporting in stream mode. */
void i8042_mouse_event(struct i8042 *k, int dx, int dy, int dz, unsigned buttons);
/* The keyboard LEDs the guest last set: bit 0 Scroll, 1 Num, 2 Caps Lock. */
uint8_t i8042_keyboard_leds(const struct i8042 *k);

#endif
