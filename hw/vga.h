/* A standard VGA adapter as QEMU's std-vga presents it (PCI 1234:1111): the
 * VGA registers and memory window, the Bochs VBE DISPI interface, a 16 MiB
 * linear framebuffer in BAR0, the VGA BIOS in the expansion ROM, and a
 * renderer that turns what the adapter displays into XRGB pixels. */
#ifndef VX86_HW_VGA_H
#define VX86_HW_VGA_H

#include <stddef.h>
#include <stdint.h>

struct machine;
struct pci_bus;
struct vga;

#define VGA_VRAM_SIZE (16u << 20)

/* The largest frame vga_render() produces; bigger modes are clipped. */
#define VGA_RENDER_MAX_WIDTH  2560u
#define VGA_RENDER_MAX_HEIGHT 1600u
#define VGA_RENDER_MAX_PIXELS ((size_t)VGA_RENDER_MAX_WIDTH * VGA_RENDER_MAX_HEIGHT)

/* Claims ports 0x3b0-0x3df and 0x1ce-0x1d0 and the memory window
 * 0xa0000-0xbffff, and plugs the PCI function in at devfn on bus (if bus is
 * not NULL): BAR0 is the framebuffer, mapped as guest RAM wherever the guest
 * puts it, and the expansion ROM carries the file rom_path (if not NULL).
 * Registers a reset hook. Returns NULL with a one-line message in err. */
struct vga *vga_create(struct machine *m, struct pci_bus *bus, unsigned devfn,
                       const char *rom_path, char *err, size_t err_len);
/* Frees the adapter; only after the machine core is destroyed. */
void vga_destroy(struct vga *vga);

/* Renders the current picture into pixels (room for VGA_RENDER_MAX_PIXELS),
 * as 0x00RRGGBB words row after row with a stride of *width. Text, CGA,
 * planar 16-colour and 256-colour VGA modes come out at the CRT's dot and
 * scan-line resolution (720x400 for 80x25 text, 640x400 for mode 13h),
 * VBE modes at their own size. A blanked screen is black. Call with the
 * machine lock held. */
void vga_render(struct vga *vga, uint32_t *pixels, unsigned *width, unsigned *height);

#endif
