/* The Bochs VBE DISPI interface (index port 0x1ce, data port 0x1cf, with
 * 0x1d0 as Bochs' older data port): resolution, depth, enable with the
 * linear framebuffer and no-clear bits, 64 KiB banks, a virtual screen with
 * display offsets, the capability query, and the amount of video memory. */
#include <string.h>

#include "hw/vga_internal.h"

#define VBE_BANKS (VGA_VRAM_SIZE >> 16)

static bool vga_vbe_bpp_valid(unsigned bpp)
{
    return bpp == 4 || bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
}

uint32_t vga_vbe_line_bytes(const struct vga *v)
{
    uint32_t w = v->vbe[VBE_INDEX_VIRT_W];
    unsigned bpp = v->vbe[VBE_INDEX_BPP];
    if (bpp == 4)
        return w / 8; /* in each plane */
    return w * ((bpp + 7) / 8);
}

/* Keeps the geometry inside what the hardware and its memory can show. */
static void vga_vbe_fixup(struct vga *v)
{
    uint16_t *r = v->vbe;
    if (r[VBE_INDEX_XRES] > VBE_MAX_XRES)
        r[VBE_INDEX_XRES] = VBE_MAX_XRES;
    if (r[VBE_INDEX_YRES] > VBE_MAX_YRES)
        r[VBE_INDEX_YRES] = VBE_MAX_YRES;
    if (r[VBE_INDEX_VIRT_W] < r[VBE_INDEX_XRES])
        r[VBE_INDEX_VIRT_W] = r[VBE_INDEX_XRES];
    uint32_t line = vga_vbe_line_bytes(v);
    if (!line)
        return;
    uint32_t room = r[VBE_INDEX_BPP] == 4 ? VGA_PLANE_SIZE : VGA_VRAM_SIZE;
    uint32_t max_h = room / line;
    if (max_h > 0xffff)
        max_h = 0xffff;
    if (r[VBE_INDEX_VIRT_H] > max_h)
        r[VBE_INDEX_VIRT_H] = (uint16_t)max_h;
}

static uint16_t vga_vbe_read(struct vga *v)
{
    unsigned i = v->vbe_index;
    if (i >= VBE_INDEX_COUNT)
        return 0;
    if (v->vbe[VBE_INDEX_ENABLE] & VBE_GETCAPS) {
        if (i == VBE_INDEX_XRES)
            return VBE_MAX_XRES;
        if (i == VBE_INDEX_YRES)
            return VBE_MAX_YRES;
        if (i == VBE_INDEX_BPP)
            return VBE_MAX_BPP;
    }
    return v->vbe[i];
}

static void vga_vbe_enable(struct vga *v, uint16_t val)
{
    uint16_t *r = v->vbe;
    bool was = vga_vbe_enabled(v);
    r[VBE_INDEX_ENABLE] = val;
    if (!(val & VBE_ENABLED) || was)
        return;
    /* A fresh mode shows its own size from the top-left of VRAM, with as
     * many lines of virtual screen as memory holds. */
    r[VBE_INDEX_VIRT_W] = r[VBE_INDEX_XRES];
    r[VBE_INDEX_VIRT_H] = 0xffff;
    r[VBE_INDEX_X_OFFSET] = r[VBE_INDEX_Y_OFFSET] = 0;
    vga_vbe_fixup(v);
    if (!(val & VBE_NOCLEARMEM)) {
        size_t bytes = (size_t)vga_vbe_line_bytes(v) * r[VBE_INDEX_YRES];
        if (r[VBE_INDEX_BPP] == 4)
            bytes *= 4;
        memset(v->vram, 0, bytes < VGA_VRAM_SIZE ? bytes : VGA_VRAM_SIZE);
    }
}

static void vga_vbe_write(struct vga *v, uint16_t val)
{
    uint16_t *r = v->vbe;
    switch (v->vbe_index) {
    case VBE_INDEX_ID:
        if (val >= VBE_ID0 && val <= VBE_ID5)
            r[VBE_INDEX_ID] = val;
        break;
    case VBE_INDEX_XRES:
    case VBE_INDEX_YRES:
        r[v->vbe_index] = val;
        vga_vbe_fixup(v);
        break;
    case VBE_INDEX_BPP:
        if (val == 0)
            val = 8;
        if (vga_vbe_bpp_valid(val)) {
            r[VBE_INDEX_BPP] = val;
            vga_vbe_fixup(v);
        }
        break;
    case VBE_INDEX_ENABLE:
        vga_vbe_enable(v, val);
        break;
    case VBE_INDEX_BANK:
        r[VBE_INDEX_BANK] = val & (VBE_BANKS - 1);
        break;
    case VBE_INDEX_VIRT_W:
        r[VBE_INDEX_VIRT_W] = val;
        r[VBE_INDEX_VIRT_H] = 0xffff; /* as many lines as now fit */
        vga_vbe_fixup(v);
        break;
    case VBE_INDEX_VIRT_H:
    case VBE_INDEX_X_OFFSET:
    case VBE_INDEX_Y_OFFSET:
        r[v->vbe_index] = val;
        vga_vbe_fixup(v);
        break;
    default: /* VIDEO_MEMORY_64K and beyond are read-only */
        break;
    }
}

void vga_vbe_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
    struct vga *v = opaque;
    if (offset == 0) {
        if (is_write)
            v->vbe_index = (uint16_t)io_data_get(data, len > 2 ? 2 : len);
        else
            io_data_put(data, len, v->vbe_index);
        return;
    }
    if (is_write)
        vga_vbe_write(v, (uint16_t)io_data_get(data, len > 2 ? 2 : len));
    else
        io_data_put(data, len, vga_vbe_read(v));
}

void vga_vbe_reset(struct vga *v)
{
    v->vbe_index = 0;
    memset(v->vbe, 0, sizeof(v->vbe));
    v->vbe[VBE_INDEX_ID] = VBE_ID5;
    v->vbe[VBE_INDEX_BPP] = 8;
    v->vbe[VBE_INDEX_VIDEO_MEMORY_64K] = VBE_BANKS;
}
