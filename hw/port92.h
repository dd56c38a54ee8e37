/* System Control Port A (0x92): the "fast" A20 gate and fast CPU reset of
 * PS/2-era and later chipsets. */
#ifndef VX86_HW_PORT92_H
#define VX86_HW_PORT92_H

struct machine;
struct port92;

/* Maps port 0x92. Returns NULL if the port is taken or memory runs out. */
struct port92 *port92_create(struct machine *m);
/* Frees the device; only after the machine core is destroyed. */
void port92_destroy(struct port92 *p);

#endif
