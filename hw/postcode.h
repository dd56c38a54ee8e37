/* POST code port 0x80: firmware writes its progress codes here, and Linux
 * uses writes to it as a short I/O delay. */
#ifndef VX86_HW_POSTCODE_H
#define VX86_HW_POSTCODE_H

#include <stdint.h>

struct machine;
struct postcode;

/* Maps port 0x80. Returns NULL if the port is taken or memory runs out. */
struct postcode *postcode_create(struct machine *m);
/* Frees the device; only after the machine core is destroyed. */
void postcode_destroy(struct postcode *p);
/* The last byte written, 0 after reset. */
uint8_t postcode_last(struct postcode *p);

#endif
