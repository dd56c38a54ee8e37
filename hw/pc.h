/* The PC board: builds a machine (memory map, devices, wiring, firmware or
 * direct-boot kernel) from a configuration, and resets it as a whole. */
#ifndef VX86_HW_PC_H
#define VX86_HW_PC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;
struct chardev;

struct pc_config {
    uint64_t ram_size;
    const char *bios_path;    /* NULL with a kernel: boot it directly, no firmware */
    const char *kernel_path;
    const char *initrd_path;
    const char *cmdline;
    struct chardev *serial;   /* COM1 */
    struct chardev *debugcon; /* port 0xe9 */
    bool graphics;            /* a display is attached */
};

/* Builds everything on a machine from machine_init_core(). On failure returns
 * -1 with a one-line message in err. */
int pc_create(struct machine *m, const struct pc_config *cfg, char *err, size_t err_len);
/* System reset: devices, BIOS shadowing, CPU power-on state, and for a
 * directly booted kernel a fresh load of it. Machine lock held. */
int pc_reset(struct machine *m, char *err, size_t err_len);
void pc_destroy(struct machine *m);

#endif
