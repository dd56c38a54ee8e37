/* The VGA memory window at 0xa0000-0xbffff: which part of it decodes (GR06),
 * how CPU addresses reach the four planes (chain-4, odd/even, planar), the
 * graphics controller's write modes 0-3 and read modes 0-1 with latches,
 * and the linear banked view of VRAM while a VBE mode is enabled. */
#include <string.h>

#include "hw/vga_internal.h"

/* The offset inside the window GR06 selects, or false when the window is
 * elsewhere and nothing answers. */
static bool vga_window_offset(const struct vga *v, uint32_t off, uint32_t *out)
{
    switch ((v->gr[VGA_GR_MISC] >> 2) & 3) {
    case 0: /* 0xa0000, 128 KiB */
        *out = off;
        return true;
    case 1: /* 0xa0000, 64 KiB */
        *out = off;
        return off < 0x10000;
    case 2: /* 0xb0000, 32 KiB */
        *out = off - 0x10000;
        return off >= 0x10000 && off < 0x18000;
    default: /* 0xb8000, 32 KiB */
        *out = off - 0x18000;
        return off >= 0x18000;
    }
}

/* A VBE mode of 8 bpp and up sees VRAM linearly through 64 KiB banks. */
static bool vga_vbe_linear(const struct vga *v)
{
    return vga_vbe_enabled(v) && v->vbe[VBE_INDEX_BPP] != 4;
}

static uint32_t vga_bank_offset(const struct vga *v)
{
    return vga_vbe_enabled(v) ? (uint32_t)v->vbe[VBE_INDEX_BANK] << 16 : 0;
}

/* In chain-4 the two low address bits pick the plane and the plane offset
 * keeps them clear, with address bits 15:14 rotated into them, mirroring
 * the CRTC's doubleword addressing so mode 13h's 64000 bytes line up. */
static uint32_t vga_chain4_offset(uint32_t a)
{
    return (a & ~3u) | ((a >> 14) & 3);
}

static uint8_t vga_rotate_right(uint8_t x, unsigned n)
{
    n &= 7;
    return n ? (uint8_t)((x >> n) | (x << (8 - n))) : x;
}

static uint8_t vga_mem_read_byte(struct vga *v, uint32_t a)
{
    if (vga_vbe_linear(v)) {
        uint32_t addr = vga_bank_offset(v) + a;
        return addr < VGA_VRAM_SIZE ? v->vram[addr] : 0xff;
    }
    uint8_t gr5 = v->gr[VGA_GR_MODE];
    unsigned plane;
    uint32_t off;
    if (v->sr[VGA_SR_MEMMODE] & VGA_SR04_CHAIN4) {
        plane = a & 3;
        off = vga_chain4_offset(a);
    } else if (gr5 & VGA_GR05_ODDEVEN) {
        plane = (v->gr[VGA_GR_READMAP] & 2) | (a & 1);
        off = a & ~1u;
    } else {
        plane = v->gr[VGA_GR_READMAP] & 3;
        off = a;
    }
    off += vga_bank_offset(v);
    if (off >= VGA_PLANE_SIZE)
        return 0xff;
    memcpy(v->latch, &v->vram[4 * off], 4);
    if (!(gr5 & 0x08))
        return v->latch[plane];
    /* Read mode 1: a 1 for each pixel whose colour, in the planes colour
     * don't care includes, equals the colour compare register. */
    uint8_t diff = 0;
    for (unsigned p = 0; p < 4; p++) {
        if (!(v->gr[VGA_GR_DONTCARE] & (1u << p)))
            continue;
        uint8_t want = (v->gr[VGA_GR_COLORCMP] >> p) & 1 ? 0xff : 0x00;
        diff |= (uint8_t)(v->latch[p] ^ want);
    }
    return (uint8_t)~diff;
}

static void vga_mem_write_byte(struct vga *v, uint32_t a, uint8_t val)
{
    if (vga_vbe_linear(v)) {
        uint32_t addr = vga_bank_offset(v) + a;
        if (addr < VGA_VRAM_SIZE)
            v->vram[addr] = val;
        return;
    }
    uint8_t sr4 = v->sr[VGA_SR_MEMMODE];
    unsigned planes = v->sr[VGA_SR_MAPMASK] & 0x0f;
    uint32_t off;
    if (sr4 & VGA_SR04_CHAIN4) {
        planes &= 1u << (a & 3);
        off = vga_chain4_offset(a);
    } else if (!(sr4 & VGA_SR04_NO_ODDEVEN)) {
        planes &= (a & 1) ? 0x0a : 0x05;
        off = a & ~1u;
    } else {
        off = a;
    }
    off += vga_bank_offset(v);
    if (!planes || off >= VGA_PLANE_SIZE)
        return;

    uint8_t gr5 = v->gr[VGA_GR_MODE], rot = v->gr[VGA_GR_ROTATE];
    uint8_t setreset = v->gr[VGA_GR_SETRESET], enable_sr = v->gr[VGA_GR_ENABLE_SR];
    uint8_t mask = v->gr[VGA_GR_BITMASK];
    uint8_t d[4];
    switch (gr5 & 3) {
    case 0: {
        uint8_t r = vga_rotate_right(val, rot);
        for (unsigned p = 0; p < 4; p++)
            d[p] = (enable_sr >> p) & 1 ? ((setreset >> p) & 1 ? 0xff : 0x00) : r;
        break;
    }
    case 1: /* the latches as they are: no logic, no bit mask */
        for (unsigned p = 0; p < 4; p++)
            if (planes & (1u << p))
                v->vram[4 * off + p] = v->latch[p];
        return;
    case 2:
        for (unsigned p = 0; p < 4; p++)
            d[p] = (val >> p) & 1 ? 0xff : 0x00;
        break;
    default: /* 3: the rotated data narrows the bit mask; set/reset is the colour */
        mask &= vga_rotate_right(val, rot);
        for (unsigned p = 0; p < 4; p++)
            d[p] = (setreset >> p) & 1 ? 0xff : 0x00;
        break;
    }
    for (unsigned p = 0; p < 4; p++) {
        switch ((rot >> 3) & 3) {
        case 1: d[p] &= v->latch[p]; break;
        case 2: d[p] |= v->latch[p]; break;
        case 3: d[p] ^= v->latch[p]; break;
        default: break;
        }
        d[p] = (uint8_t)((d[p] & mask) | (v->latch[p] & ~mask));
        if (planes & (1u << p))
            v->vram[4 * off + p] = d[p];
    }
}

void vga_mem_access(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                    bool is_write)
{
    struct vga *v = opaque;
    for (unsigned i = 0; i < len; i++) {
        uint32_t a;
        bool decoded = (v->misc & VGA_MISC_RAM_EN) &&
                       vga_window_offset(v, (uint32_t)offset + i, &a);
        if (is_write) {
            if (decoded)
                vga_mem_write_byte(v, a, data[i]);
        } else {
            data[i] = decoded ? vga_mem_read_byte(v, a) : 0xff;
        }
    }
}
