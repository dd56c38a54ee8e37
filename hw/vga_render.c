/* Turns the VGA's state into XRGB pixels the way the CRT path does: the
 * CRTC walks memory addresses (byte, word or doubleword addressing, CGA row
 * scan substitution, split screen, panning), the text or graphics shifters
 * turn plane bytes into colour numbers, the attribute controller and the
 * DAC turn those into colours. VBE modes are read straight from VRAM. */
#include <string.h>

#include "hw/machine.h"
#include "hw/vga_internal.h"

/* Text modes refresh at 70 Hz; the cursor blinks every 16 frames and
 * blinking characters every 32. */
#define VGA_CURSOR_BLINK_NS 228571428ull
#define VGA_CHAR_BLINK_NS   (2 * VGA_CURSOR_BLINK_NS)

#define VGA_BLANK_WIDTH  640u
#define VGA_BLANK_HEIGHT 480u
/* The most dots one scan line can have: 256 character clocks of 9 dots,
 * doubled by the dot clock divider, plus one clock for panning. */
#define VGA_LINE_DOTS ((256 + 1) * 9 * 2)

struct vga_colors {
    uint32_t dac[256]; /* DAC entries after the pixel mask */
    uint32_t attr[16]; /* 4-bit colour through the attribute controller */
};

static uint32_t vga_dac_rgb(const struct vga *v, uint8_t index)
{
    const uint8_t *c = v->dac[index];
    uint32_t rgb[3];
    for (int i = 0; i < 3; i++) {
        if (v->vbe[VBE_INDEX_ENABLE] & VBE_8BIT_DAC) {
            rgb[i] = c[i];
        } else {
            uint32_t six = c[i] & 0x3f;
            rgb[i] = (six << 2) | (six >> 4);
        }
    }
    return rgb[0] << 16 | rgb[1] << 8 | rgb[2];
}

static uint8_t vga_attr_index(const struct vga *v, unsigned color)
{
    color &= v->ar[VGA_AR_PLANES] & 0x0f;
    uint8_t p = v->ar[color];
    uint8_t colsel = v->ar[VGA_AR_COLSEL];
    if (v->ar[VGA_AR_MODE] & VGA_AR10_P54S)
        p = (uint8_t)((p & 0x0f) | (colsel & 0x03) << 4);
    return (uint8_t)(p | (colsel & 0x0c) << 4);
}

static void vga_build_colors(const struct vga *v, struct vga_colors *c)
{
    for (unsigned i = 0; i < 256; i++)
        c->dac[i] = vga_dac_rgb(v, (uint8_t)(i & v->dac_mask));
    for (unsigned i = 0; i < 16; i++)
        c->attr[i] = c->dac[vga_attr_index(v, i)];
}

static inline uint8_t vga_plane(const struct vga *v, unsigned plane, uint32_t off)
{
    return v->vram[4 * (off & (VGA_PLANE_SIZE - 1)) + plane];
}

static void vga_fill(uint32_t *px, unsigned w, unsigned h, unsigned *width, unsigned *height)
{
    memset(px, 0, (size_t)w * h * sizeof(*px));
    *width = w;
    *height = h;
}

/* ---- VGA modes ---- */

struct vga_crt {
    unsigned chars;     /* character clocks displayed per line */
    unsigned char_w;    /* dots per character clock */
    unsigned dot_rep;   /* 2 when the dot clock is halved */
    unsigned lines;     /* scan lines displayed */
    unsigned row_lines; /* scan lines per character row */
    bool dscan;
    unsigned line_compare;
    uint32_t start;
    uint32_t stride;    /* memory address advance per row */
};

static void vga_crt_geometry(const struct vga *v, bool text, struct vga_crt *g)
{
    const uint8_t *cr = v->cr;
    g->chars = cr[VGA_CR_HDE] + 1u;
    g->char_w = text && !(v->sr[VGA_SR_CLOCK] & VGA_SR01_8DOT) ? 9 : 8;
    g->dot_rep = (v->sr[VGA_SR_CLOCK] & VGA_SR01_DOTCLK2) ? 2 : 1;
    g->lines = (cr[VGA_CR_VDE] | (cr[VGA_CR_OVERFLOW] & 0x02) << 7 |
                (cr[VGA_CR_OVERFLOW] & 0x40) << 3) + 1u;
    g->row_lines = (cr[VGA_CR_MAXSCAN] & 0x1f) + 1u;
    g->dscan = cr[VGA_CR_MAXSCAN] & VGA_CR09_DOUBLESCAN;
    g->line_compare = cr[VGA_CR_LINECMP] | (cr[VGA_CR_OVERFLOW] & 0x10) << 4 |
                      (cr[VGA_CR_MAXSCAN] & 0x40) << 3;
    g->start = (uint32_t)cr[VGA_CR_STARTHI] << 8 | cr[VGA_CR_STARTLO];
    g->stride = 2u * cr[VGA_CR_OFFSET];
}

/* The CRTC's memory address as it reaches the planes. */
static uint32_t vga_crt_address(const struct vga *v, uint32_t ma, unsigned row_scan)
{
    uint8_t mode = v->cr[VGA_CR_MODE];
    uint32_t a;
    ma &= 0xffff;
    if (v->cr[VGA_CR_UNDERLINE] & VGA_CR14_DWORD)
        a = ma << 2 | ((ma >> 12) & 3);
    else if (!(mode & VGA_CR17_BYTE))
        a = ma << 1 | ((ma >> ((mode & VGA_CR17_AW) ? 15 : 13)) & 1);
    else
        a = ma;
    if (!(mode & VGA_CR17_CMS0))
        a = (a & ~0x2000u) | (row_scan & 1) << 13;
    if (!(mode & VGA_CR17_SRI))
        a = (a & ~0x4000u) | (row_scan & 2) << 13;
    return a & 0xffff;
}

static void vga_text_line(const struct vga *v, const struct vga_crt *g,
                          const struct vga_colors *c, uint32_t ma, unsigned rs,
                          bool blink_on, bool cursor_on, uint32_t *dots)
{
    uint8_t sr3 = v->sr[VGA_SR_CHARMAP], ar10 = v->ar[VGA_AR_MODE];
    unsigned map_a = ((sr3 >> 2) & 3) | ((sr3 >> 3) & 4);
    unsigned map_b = (sr3 & 3) | ((sr3 >> 2) & 4);
    /* Font block n starts at 16 KiB * (n & 3) + 8 KiB * (n >> 2) of plane 2. */
    uint32_t font_a = (map_a & 3) << 14 | (map_a & 4) << 11;
    uint32_t font_b = (map_b & 3) << 14 | (map_b & 4) << 11;
    uint32_t cursor = (uint32_t)v->cr[VGA_CR_CURHI] << 8 | v->cr[VGA_CR_CURLO];
    unsigned cur_start = v->cr[VGA_CR_CURSTART] & 0x1f, cur_end = v->cr[VGA_CR_CUREND] & 0x1f;
    bool cursor_row = cursor_on && !(v->cr[VGA_CR_CURSTART] & 0x20) &&
                      rs >= cur_start && rs <= cur_end;
    bool underline_row = rs == (v->cr[VGA_CR_UNDERLINE] & 0x1f);
    for (unsigned col = 0; col <= g->chars; col++) {
        uint32_t cma = (ma + col) & 0xffff;
        uint32_t a = vga_crt_address(v, cma, rs);
        uint8_t ch = vga_plane(v, 0, a), at = vga_plane(v, 1, a);
        uint32_t font = (at & 0x08) ? font_a : font_b;
        uint8_t glyph = rs < 32 ? vga_plane(v, 2, font + ch * 32u + rs) : 0;
        unsigned fg = at & 0x0f, bg = at >> 4;
        if (ar10 & VGA_AR10_BLINK) {
            bg &= 7;
            if ((at & 0x80) && !blink_on)
                glyph = 0;
        }
        bool ninth = (ar10 & VGA_AR10_LINEGFX) && ch >= 0xc0 && ch <= 0xdf && (glyph & 1);
        if ((underline_row && (at & 0x77) == 0x01) || (cursor_row && cma == cursor)) {
            glyph = 0xff;
            ninth = true;
        }
        uint32_t fgc = c->attr[fg], bgc = c->attr[bg];
        for (unsigned x = 0; x < 8; x++)
            *dots++ = (glyph >> (7 - x)) & 1 ? fgc : bgc;
        if (g->char_w == 9)
            *dots++ = ninth ? fgc : bgc;
    }
}

static void vga_graphics_line(const struct vga *v, const struct vga_crt *g,
                              const struct vga_colors *c, uint32_t ma, unsigned rs,
                              uint32_t *dots)
{
    uint8_t gr5 = v->gr[VGA_GR_MODE];
    for (unsigned col = 0; col <= g->chars; col++) {
        uint32_t a = vga_crt_address(v, ma + col, rs);
        uint8_t p[4] = { vga_plane(v, 0, a), vga_plane(v, 1, a), vga_plane(v, 2, a),
                         vga_plane(v, 3, a) };
        if (gr5 & VGA_GR05_256) {
            /* Four 8-bit pixels per clock, each two dots wide. */
            for (unsigned i = 0; i < 4; i++) {
                *dots++ = c->dac[p[i]];
                *dots++ = c->dac[p[i]];
            }
        } else if (gr5 & VGA_GR05_INTERLEAVE) {
            /* CGA 4-colour: 2-bit pixels, the even map's byte first. */
            for (unsigned i = 0; i < 8; i++) {
                unsigned lo = i < 4 ? 0 : 1, sh = 6 - 2 * (i & 3);
                unsigned col4 = ((p[lo] >> sh) & 3) | ((p[lo + 2] >> sh) & 3) << 2;
                *dots++ = c->attr[col4];
            }
        } else {
            for (unsigned i = 0; i < 8; i++) {
                unsigned b = 7 - i;
                unsigned col4 = ((p[0] >> b) & 1) | ((p[1] >> b) & 1) << 1 |
                                ((p[2] >> b) & 1) << 2 | ((p[3] >> b) & 1) << 3;
                *dots++ = c->attr[col4];
            }
        }
    }
}

static unsigned vga_pan_dots(const struct vga *v, bool text, unsigned char_w)
{
    unsigned pan = v->ar[VGA_AR_PAN] & 0x0f;
    if (text && char_w == 9)
        return pan >= 8 ? 0 : pan + 1;
    if (!text && (v->gr[VGA_GR_MODE] & VGA_GR05_256))
        return pan & 6;
    return pan & 7;
}

static void vga_render_vga(struct vga *v, const struct vga_colors *c, uint32_t *px,
                           unsigned *width, unsigned *height)
{
    bool text = !(v->ar[VGA_AR_MODE] & VGA_AR10_GRAPHICS);
    struct vga_crt g;
    vga_crt_geometry(v, text, &g);
    unsigned w = g.chars * g.char_w * g.dot_rep, h = g.lines;
    if (w > VGA_RENDER_MAX_WIDTH)
        w = VGA_RENDER_MAX_WIDTH;
    if (h > VGA_RENDER_MAX_HEIGHT)
        h = VGA_RENDER_MAX_HEIGHT;
    *width = w;
    *height = h;

    uint64_t now = vclock_now(&v->m->clock);
    bool cursor_on = (now / VGA_CURSOR_BLINK_NS) % 2 == 0;
    bool blink_on = (now / VGA_CHAR_BLINK_NS) % 2 == 0;
    unsigned pan = vga_pan_dots(v, text, g.char_w);
    unsigned preset = v->cr[VGA_CR_PRESET] & 0x1f;
    uint32_t dots[VGA_LINE_DOTS];
    for (unsigned y = 0; y < h; y++) {
        uint32_t base = g.start;
        unsigned rel = y, line_pan = pan;
        bool below_split = y > g.line_compare;
        if (below_split) {
            /* Split screen: the lines after line compare show address 0. */
            base = 0;
            rel = y - g.line_compare - 1;
            if (v->ar[VGA_AR_MODE] & 0x20)
                line_pan = 0;
        }
        if (g.dscan)
            rel >>= 1;
        if (!below_split)
            rel += preset;
        unsigned row = rel / g.row_lines, rs = rel % g.row_lines;
        uint32_t ma = base + row * g.stride;
        if (text)
            vga_text_line(v, &g, c, ma, rs, blink_on, cursor_on, dots);
        else
            vga_graphics_line(v, &g, c, ma, rs, dots);
        uint32_t *out = px + (size_t)y * w;
        const uint32_t *src = dots + line_pan;
        if (g.dot_rep == 1) {
            memcpy(out, src, w * sizeof(*out));
        } else {
            for (unsigned x = 0; x < w; x++)
                out[x] = src[x / 2];
        }
    }
}

/* ---- VBE modes ---- */

static inline uint32_t vga_expand5(uint32_t c)
{
    return (c << 3) | (c >> 2);
}

static inline uint32_t vga_expand6(uint32_t c)
{
    return (c << 2) | (c >> 4);
}

static void vga_render_vbe(struct vga *v, const struct vga_colors *c, uint32_t *px,
                           unsigned *width, unsigned *height)
{
    const uint16_t *r = v->vbe;
    unsigned w = r[VBE_INDEX_XRES], h = r[VBE_INDEX_YRES], bpp = r[VBE_INDEX_BPP];
    if (!w || !h) {
        vga_fill(px, VGA_BLANK_WIDTH, VGA_BLANK_HEIGHT, width, height);
        return;
    }
    if (w > VGA_RENDER_MAX_WIDTH)
        w = VGA_RENDER_MAX_WIDTH;
    if (h > VGA_RENDER_MAX_HEIGHT)
        h = VGA_RENDER_MAX_HEIGHT;
    *width = w;
    *height = h;
    uint64_t line = vga_vbe_line_bytes(v);
    unsigned bytes_pp = (bpp + 7) / 8;
    if (bpp == 4) {
        uint64_t start = r[VBE_INDEX_Y_OFFSET] * line + r[VBE_INDEX_X_OFFSET] / 8;
        for (unsigned y = 0; y < h; y++) {
            uint32_t *out = px + (size_t)y * w;
            for (unsigned x = 0; x < w; x++) {
                uint64_t off = start + y * line + x / 8;
                unsigned b = 7 - (x & 7), col4 = 0;
                if (off < VGA_PLANE_SIZE)
                    for (unsigned p = 0; p < 4; p++)
                        col4 |= ((v->vram[4 * off + p] >> b) & 1u) << p;
                out[x] = c->attr[col4];
            }
        }
        return;
    }
    uint64_t start = r[VBE_INDEX_Y_OFFSET] * line + (uint64_t)r[VBE_INDEX_X_OFFSET] * bytes_pp;
    for (unsigned y = 0; y < h; y++) {
        uint32_t *out = px + (size_t)y * w;
        uint64_t row = start + y * line;
        if (row + (uint64_t)w * bytes_pp > VGA_VRAM_SIZE) {
            memset(out, 0, w * sizeof(*out));
            continue;
        }
        const uint8_t *s = v->vram + row;
        switch (bpp) {
        case 8:
            for (unsigned x = 0; x < w; x++)
                out[x] = c->dac[s[x]];
            break;
        case 15:
            for (unsigned x = 0; x < w; x++) {
                uint32_t p = s[2 * x] | (uint32_t)s[2 * x + 1] << 8;
                out[x] = vga_expand5((p >> 10) & 31) << 16 | vga_expand5((p >> 5) & 31) << 8 |
                         vga_expand5(p & 31);
            }
            break;
        case 16:
            for (unsigned x = 0; x < w; x++) {
                uint32_t p = s[2 * x] | (uint32_t)s[2 * x + 1] << 8;
                out[x] = vga_expand5(p >> 11) << 16 | vga_expand6((p >> 5) & 63) << 8 |
                         vga_expand5(p & 31);
            }
            break;
        case 24:
            for (unsigned x = 0; x < w; x++)
                out[x] = (uint32_t)s[3 * x + 2] << 16 | (uint32_t)s[3 * x + 1] << 8 | s[3 * x];
            break;
        default: /* 32: B, G, R, unused */
            for (unsigned x = 0; x < w; x++)
                out[x] = (uint32_t)s[4 * x + 2] << 16 | (uint32_t)s[4 * x + 1] << 8 | s[4 * x];
            break;
        }
    }
}

void vga_render(struct vga *v, uint32_t *pixels, unsigned *width, unsigned *height)
{
    struct vga_colors c;
    vga_build_colors(v, &c);
    if (vga_vbe_enabled(v))
        vga_render_vbe(v, &c, pixels, width, height);
    else if (v->cr[VGA_CR_HDE] == 0 && v->cr[VGA_CR_VDE] == 0)
        vga_fill(pixels, VGA_BLANK_WIDTH, VGA_BLANK_HEIGHT, width, height); /* no mode set */
    else
        vga_render_vga(v, &c, pixels, width, height);
    /* The attribute controller drives no colour while the palette is
     * being addressed; the sequencer can switch the screen off. */
    if (!(v->ar_index & VGA_AR_INDEX_PAS) || (v->sr[VGA_SR_CLOCK] & VGA_SR01_SCREENOFF))
        vga_fill(pixels, *width, *height, width, height);
}
