/* State of the VGA adapter shared by its parts: registers and PCI function
 * (vga.c), memory window (vga_mem.c), Bochs VBE (vga_vbe.c), renderer
 * (vga_render.c). Not for use outside hw/vga*.c. */
#ifndef VX86_HW_VGA_INTERNAL_H
#define VX86_HW_VGA_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/pci.h"
#include "hw/vga.h"

/* VRAM holds the four 64 KiB VGA planes interleaved: plane p's byte i is
 * vram[4 * i + p]. The VBE modes see the same memory as one linear buffer. */
#define VGA_PLANE_SIZE (VGA_VRAM_SIZE / 4)

/* Sequencer */
#define VGA_SR_CLOCK   0x01
#define VGA_SR_MAPMASK 0x02
#define VGA_SR_CHARMAP 0x03
#define VGA_SR_MEMMODE 0x04
#define VGA_SR01_8DOT      0x01
#define VGA_SR01_DOTCLK2   0x08
#define VGA_SR01_SCREENOFF 0x20
#define VGA_SR04_NO_ODDEVEN 0x04
#define VGA_SR04_CHAIN4     0x08

/* Graphics controller */
#define VGA_GR_SETRESET  0x00
#define VGA_GR_ENABLE_SR 0x01
#define VGA_GR_COLORCMP  0x02
#define VGA_GR_ROTATE    0x03
#define VGA_GR_READMAP   0x04
#define VGA_GR_MODE      0x05
#define VGA_GR_MISC      0x06
#define VGA_GR_DONTCARE  0x07
#define VGA_GR_BITMASK   0x08
#define VGA_GR05_ODDEVEN    0x10
#define VGA_GR05_INTERLEAVE 0x20
#define VGA_GR05_256        0x40

/* Attribute controller */
#define VGA_AR_MODE     0x10
#define VGA_AR_OVERSCAN 0x11
#define VGA_AR_PLANES   0x12
#define VGA_AR_PAN      0x13
#define VGA_AR_COLSEL   0x14
#define VGA_AR_INDEX_PAS 0x20 /* palette address source: display on */
#define VGA_AR10_GRAPHICS 0x01
#define VGA_AR10_LINEGFX  0x04
#define VGA_AR10_BLINK    0x08
#define VGA_AR10_8BIT     0x40
#define VGA_AR10_P54S     0x80

/* CRT controller */
#define VGA_CR_HDE       0x01
#define VGA_CR_OVERFLOW  0x07
#define VGA_CR_PRESET    0x08
#define VGA_CR_MAXSCAN   0x09
#define VGA_CR_CURSTART  0x0a
#define VGA_CR_CUREND    0x0b
#define VGA_CR_STARTHI   0x0c
#define VGA_CR_STARTLO   0x0d
#define VGA_CR_CURHI     0x0e
#define VGA_CR_CURLO     0x0f
#define VGA_CR_VRETEND   0x11
#define VGA_CR_VDE       0x12
#define VGA_CR_OFFSET    0x13
#define VGA_CR_UNDERLINE 0x14
#define VGA_CR_MODE      0x17
#define VGA_CR_LINECMP   0x18
#define VGA_CR_COUNT     0x19
#define VGA_CR09_DOUBLESCAN 0x80
#define VGA_CR14_DWORD   0x40
#define VGA_CR17_CMS0    0x01 /* 0: row scan bit 0 replaces address bit 13 */
#define VGA_CR17_SRI     0x02 /* 0: row scan bit 1 replaces address bit 14 */
#define VGA_CR17_AW      0x20 /* word mode puts MA15 (1) or MA13 (0) in bit 0 */
#define VGA_CR17_BYTE    0x40

/* Miscellaneous output */
#define VGA_MISC_COLOR  0x01 /* CRTC and status 1 at 0x3dx rather than 0x3bx */
#define VGA_MISC_RAM_EN 0x02

/* Bochs VBE DISPI */
#define VBE_INDEX_ID        0x0
#define VBE_INDEX_XRES      0x1
#define VBE_INDEX_YRES      0x2
#define VBE_INDEX_BPP       0x3
#define VBE_INDEX_ENABLE    0x4
#define VBE_INDEX_BANK      0x5
#define VBE_INDEX_VIRT_W    0x6
#define VBE_INDEX_VIRT_H    0x7
#define VBE_INDEX_X_OFFSET  0x8
#define VBE_INDEX_Y_OFFSET  0x9
#define VBE_INDEX_VIDEO_MEMORY_64K 0xa
#define VBE_INDEX_COUNT     0xb
#define VBE_ENABLED     0x01
#define VBE_GETCAPS     0x02
#define VBE_8BIT_DAC    0x20
#define VBE_LFB_ENABLED 0x40
#define VBE_NOCLEARMEM  0x80
#define VBE_ID0 0xb0c0
#define VBE_ID5 0xb0c5
#define VBE_MAX_XRES VGA_RENDER_MAX_WIDTH
#define VBE_MAX_YRES VGA_RENDER_MAX_HEIGHT
#define VBE_MAX_BPP 32

struct vga {
    struct machine *m;
    struct pci_device pci;
    bool has_pci;
    uint8_t *vram;
    bool lfb_mapped;
    uint64_t lfb_gpa;
    uint8_t *rom;
    uint32_t rom_size; /* of the file; the BAR is the next power of two */

    uint8_t misc;
    uint8_t feature;
    uint8_t vga_enable; /* port 0x3c3 */
    uint8_t sr_index, sr[8];
    uint8_t gr_index, gr[16];
    uint8_t cr_index, cr[VGA_CR_COUNT];
    uint8_t ar_index;
    bool ar_data_next; /* the flip-flop: the next 0x3c0 write is data */
    uint8_t ar[0x15];
    uint8_t dac_mask;
    uint8_t dac_read_index, dac_write_index, dac_sub;
    bool dac_reading; /* last index written was the read index */
    uint8_t dac_latch[3];
    uint8_t dac[256][3];
    uint8_t latch[4];

    uint16_t vbe_index;
    uint16_t vbe[VBE_INDEX_COUNT];
};

/* vga_mem.c: the 128 KiB window at 0xa0000 (MMIO handler, offsets from
 * 0xa0000). */
void vga_mem_access(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                    bool is_write);

/* vga_vbe.c: ports 0x1ce (index) and 0x1cf (data), offsets from 0x1ce. */
void vga_vbe_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);
void vga_vbe_reset(struct vga *v);
static inline bool vga_vbe_enabled(const struct vga *v)
{
    return v->vbe[VBE_INDEX_ENABLE] & VBE_ENABLED;
}
/* Bytes per scan line of the current VBE geometry (4 bpp: per plane). */
uint32_t vga_vbe_line_bytes(const struct vga *v);

#endif
