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
    bool graphics;            /* a display is attached: the board gets a VGA */
    const char *vga_bios_path; /* NULL: PC_VGA_BIOS_DEFAULT */
};

/* Debian's SeaVGABIOS build for QEMU's std-vga (package seabios). */
#define PC_VGA_BIOS_DEFAULT "/usr/share/seabios/vgabios-stdvga.bin"

/* Builds everything on a machine from machine_init_core(). On failure returns
 * -1 with a one-line message in err. */
int pc_create(struct machine *m, const struct pc_config *cfg, char *err, size_t err_len);
/* System reset: devices, BIOS shadowing, CPU power-on state, and for a
 * directly booted kernel a fresh load of it. Machine lock held. */
int pc_reset(struct machine *m, char *err, size_t err_len);
void pc_destroy(struct machine *m);

/* What a display front end needs; call with the machine lock held. */

/* Key presses and releases as PC scan code set 2 bytes (the PS/2 keyboard
 * converts them to whatever set the guest chose). */
void pc_input_key(struct machine *m, const uint8_t *set2, size_t n);
/* Relative mouse motion (dx > 0 right, dy > 0 down), wheel (dz > 0 toward
 * the user) and the buttons held, as I8042_BUTTON_* bits (hw/i8042.h). */
void pc_input_mouse(struct machine *m, int dx, int dy, int dz, unsigned buttons);
/* Renders the screen into pixels (room for VGA_RENDER_MAX_PIXELS, hw/vga.h)
 * as 0x00RRGGBB rows of *width pixels. False when the board has no
 * graphics adapter. */
bool pc_display_render(struct machine *m, uint32_t *pixels, unsigned *width,
                       unsigned *height);

#endif
