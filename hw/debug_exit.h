/* isa-debug-exit as QEMU defines it: a port that test programs write to end
 * the emulator with a status of their choosing. */
#ifndef VX86_HW_DEBUG_EXIT_H
#define VX86_HW_DEBUG_EXIT_H

#include <stdint.h>

struct machine;
struct debug_exit;

/* Maps size bytes of ports at port (QEMU's test setups use 0xf4, 4). A write
 * of v, of any width at any offset, requests shutdown with exit status
 * (v << 1) | 1, so a guest can never produce status 0 by accident. Reads
 * return 0. Returns NULL if the range is taken or memory runs out. */
struct debug_exit *debug_exit_create(struct machine *m, uint16_t port, unsigned size);
/* Frees the device; only after the machine core is destroyed. */
void debug_exit_destroy(struct debug_exit *d);

#endif
