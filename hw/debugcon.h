/* The Bochs/QEMU debug console: one port whose writes go straight to a
 * character back end, used by SeaBIOS and test ROMs for early output. */
#ifndef VX86_HW_DEBUGCON_H
#define VX86_HW_DEBUGCON_H

#include <stdint.h>

struct chardev;
struct machine;
struct debugcon;

/* Maps one port (normally 0xe9). Each byte written goes to chr (NULL
 * discards it); a read returns 0xe9, which is how software detects the port.
 * Returns NULL if the port is taken or memory runs out. */
struct debugcon *debugcon_create(struct machine *m, uint16_t port, struct chardev *chr);
/* Frees the device; only after the machine core is destroyed. */
void debugcon_destroy(struct debugcon *d);

#endif
