/* VGA adapter: registers through their ports, memory through the 0xa0000
 * window and the BAR0 framebuffer, modes set up register by register and
 * checked in the rendered picture, retrace against the manual clock. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/machine.h"
#include "hw/pci.h"
#include "hw/vga.h"
#include "test_util.h"

#define VGA_DEVFN PCI_DEVFN(2, 0)
#define LFB_GPA 0xe0000000ull

static struct machine m;
static struct pci_bus *bus;
static struct vga *vga;
static uint32_t *frame;
static unsigned fw, fh;

static void setup(void)
{
    char err[256];
    machine_init_core(&m, true);
    bus = pci_bus_create(&m);
    ck_assert_ptr_nonnull(bus);
    vga = vga_create(&m, bus, VGA_DEVFN, NULL, err, sizeof(err));
    ck_assert_msg(vga != NULL, "%s", err);
    frame = malloc(VGA_RENDER_MAX_PIXELS * sizeof(*frame));
    ck_assert_ptr_nonnull(frame);
}

static void teardown(void)
{
    pci_bus_destroy(bus);
    machine_destroy_core(&m);
    vga_destroy(vga);
    free(frame);
}

static void outb(uint16_t port, uint8_t v)
{
    iomap_access(&m.io, port, &v, 1, true);
}

static uint8_t inb(uint16_t port)
{
    uint8_t v = 0;
    iomap_access(&m.io, port, &v, 1, false);
    return v;
}

static void outw(uint16_t port, uint16_t v)
{
    uint8_t d[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    iomap_access(&m.io, port, d, 2, true);
}

static uint16_t inw(uint16_t port)
{
    uint8_t d[2] = { 0, 0 };
    iomap_access(&m.io, port, d, 2, false);
    return (uint16_t)(d[0] | d[1] << 8);
}

static void memb(uint32_t addr, uint8_t v)
{
    physmem_write(&m.mem, addr, &v, 1);
}

static uint8_t rdmemb(uint32_t addr)
{
    uint8_t v = 0;
    physmem_read(&m.mem, addr, &v, 1);
    return v;
}

static void dispi(uint16_t index, uint16_t value)
{
    outw(0x1ce, index);
    outw(0x1cf, value);
}

static uint16_t dispi_get(uint16_t index)
{
    outw(0x1ce, index);
    return inw(0x1cf);
}

static void dac_set(uint8_t index, uint8_t r, uint8_t g, uint8_t b)
{
    outb(0x3c8, index);
    outb(0x3c9, r);
    outb(0x3c9, g);
    outb(0x3c9, b);
}

static void render(void)
{
    vga_render(vga, frame, &fw, &fh);
}

static uint32_t pixel(unsigned x, unsigned y)
{
    ck_assert_uint_lt(x, fw);
    ck_assert_uint_lt(y, fh);
    return frame[(size_t)y * fw + x];
}

/* Loads a whole register set: misc, sequencer, CRTC (unlocked first),
 * graphics controller and attribute controller, then turns the display on. */
static void set_mode(uint8_t misc, const uint8_t sr[5], const uint8_t cr[25],
                     const uint8_t gr[9], const uint8_t ar[21])
{
    outb(0x3c2, misc);
    for (uint8_t i = 0; i < 5; i++) {
        outb(0x3c4, i);
        outb(0x3c5, sr[i]);
    }
    outb(0x3d4, 0x11);
    outb(0x3d5, 0x00);
    for (uint8_t i = 0; i < 25; i++) {
        outb(0x3d4, i);
        outb(0x3d5, cr[i]);
    }
    for (uint8_t i = 0; i < 9; i++) {
        outb(0x3ce, i);
        outb(0x3cf, gr[i]);
    }
    inb(0x3da);
    for (uint8_t i = 0; i < 21; i++) {
        outb(0x3c0, i);
        outb(0x3c0, ar[i]);
    }
    outb(0x3c0, 0x20);
}

/* Standard VGA register values of BIOS modes 03h, 12h and 13h. */
static const uint8_t mode3_sr[5] = { 0x03, 0x00, 0x03, 0x00, 0x02 };
static const uint8_t mode3_cr[25] = { 0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00,
                                      0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e,
                                      0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff };
static const uint8_t mode3_gr[9] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff };
static const uint8_t mode3_ar[21] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38,
                                      0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00,
                                      0x0f, 0x08, 0x00 };
static const uint8_t mode12_sr[5] = { 0x03, 0x01, 0x0f, 0x00, 0x06 };
static const uint8_t mode12_cr[25] = { 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00,
                                       0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xea, 0x8c,
                                       0xdf, 0x28, 0x00, 0xe7, 0x04, 0xe3, 0xff };
static const uint8_t mode12_gr[9] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff };
static const uint8_t mode12_ar[21] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38,
                                       0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x01, 0x00,
                                       0x0f, 0x00, 0x00 };
static const uint8_t mode13_sr[5] = { 0x03, 0x01, 0x0f, 0x00, 0x0e };
static const uint8_t mode13_cr[25] = { 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00,
                                       0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e,
                                       0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff };
static const uint8_t mode13_gr[9] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff };
static const uint8_t mode13_ar[21] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                       0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x41, 0x00,
                                       0x0f, 0x00, 0x00 };

START_TEST(dac_palette_write_then_read)
{
    outb(0x3c8, 5);
    ck_assert_uint_eq(inb(0x3c7) & 3, 0); /* write mode */
    const uint8_t data[6] = { 0x3f, 0x20, 0x01, 0x0a, 0xff, 0x15 };
    for (int i = 0; i < 6; i++)
        outb(0x3c9, data[i]);
    ck_assert_uint_eq(inb(0x3c8), 7); /* two entries written, index moved on */
    outb(0x3c7, 5);
    ck_assert_uint_eq(inb(0x3c7) & 3, 3); /* read mode */
    ck_assert_uint_eq(inb(0x3c9), 0x3f);
    ck_assert_uint_eq(inb(0x3c9), 0x20);
    ck_assert_uint_eq(inb(0x3c9), 0x01);
    ck_assert_uint_eq(inb(0x3c9), 0x0a);
    ck_assert_uint_eq(inb(0x3c9), 0x3f); /* 6-bit DAC: 0xff keeps its low six bits */
    ck_assert_uint_eq(inb(0x3c9), 0x15);
    /* A write restarts the component count: two values then a new index
     * leave the entry untouched. */
    outb(0x3c8, 9);
    outb(0x3c9, 0x11);
    outb(0x3c9, 0x12);
    outb(0x3c8, 9);
    outb(0x3c7, 9);
    ck_assert_uint_eq(inb(0x3c9), 0);
    outb(0x3c6, 0x0f);
    ck_assert_uint_eq(inb(0x3c6), 0x0f);
}
END_TEST

START_TEST(index_data_registers)
{
    /* Sequencer: write masks, and a word write as index then data. */
    outb(0x3c4, 2);
    outb(0x3c5, 0xff);
    ck_assert_uint_eq(inb(0x3c5), 0x0f);
    outw(0x3c4, 0x0e04);
    ck_assert_uint_eq(inb(0x3c4), 4);
    ck_assert_uint_eq(inb(0x3c5), 0x0e);
    outb(0x3c4, 2);
    ck_assert_uint_eq(inb(0x3c5), 0x0f); /* still there */
    /* Graphics controller. */
    outb(0x3ce, 5);
    outb(0x3cf, 0xff);
    ck_assert_uint_eq(inb(0x3cf), 0x7b);
    outw(0x3ce, 0x5a08);
    ck_assert_uint_eq(inb(0x3cf), 0x5a);
    /* CRTC: at 0x3bx while misc bit 0 is clear, at 0x3dx once it is set. */
    outb(0x3b4, 0x0e);
    outb(0x3b5, 0x12);
    ck_assert_uint_eq(inb(0x3b5), 0x12);
    ck_assert_uint_eq(inb(0x3d5), 0xff);
    outb(0x3c2, 0x01);
    ck_assert_uint_eq(inb(0x3cc), 0x01);
    ck_assert_uint_eq(inb(0x3b5), 0xff);
    outb(0x3d4, 0x0e);
    ck_assert_uint_eq(inb(0x3d4), 0x0e);
    ck_assert_uint_eq(inb(0x3d5), 0x12);
    outw(0x3d4, 0x340f);
    ck_assert_uint_eq(inb(0x3d5), 0x34);
    /* CR11 bit 7 protects CR0-CR7 except the line compare bit of CR7. */
    outw(0x3d4, 0x5501);
    outw(0x3d4, 0x8011);
    outw(0x3d4, 0x6601);
    ck_assert_uint_eq(inb(0x3d5), 0x55);
    outw(0x3d4, 0xff07);
    ck_assert_uint_eq(inb(0x3d5), 0x10);
}
END_TEST

START_TEST(attribute_flip_flop)
{
    /* misc bit 0 is clear after reset: input status 1 is at 0x3ba. */
    inb(0x3ba);
    outb(0x3c0, 0x01);       /* index */
    outb(0x3c0, 0x2a);       /* data */
    outb(0x3c0, 0x21);       /* index again, display on */
    ck_assert_uint_eq(inb(0x3c0), 0x21);
    ck_assert_uint_eq(inb(0x3c1), 0x2a);
    /* The flip-flop now expects data; reading input status 1 turns it
     * back to the index, so this write selects register 3. */
    inb(0x3ba);
    outb(0x3c0, 0x03);
    ck_assert_uint_eq(inb(0x3c0), 0x03);
    outb(0x3c0, 0x07);
    ck_assert_uint_eq(inb(0x3c1), 0x07);
    inb(0x3ba);
    outb(0x3c0, 0x01);
    ck_assert_uint_eq(inb(0x3c1), 0x2a);
    /* Without a reset, the write after an index is data. */
    outb(0x3c0, 0x05);
    ck_assert_uint_eq(inb(0x3c0), 0x01);
    ck_assert_uint_eq(inb(0x3c1), 0x05);
}
END_TEST

START_TEST(text_mode_renders_glyph)
{
    set_mode(0x67, mode3_sr, mode3_cr, mode3_gr, mode3_ar);
    outw(0x3d4, 0x200a); /* cursor off */
    dac_set(0x01, 0x00, 0x00, 0x2a);
    dac_set(0x3e, 0x3f, 0x3f, 0x15);
    /* Load glyph 'A' into plane 2 the way a BIOS does. */
    outw(0x3c4, 0x0402);
    outw(0x3c4, 0x0704);
    outw(0x3ce, 0x0204);
    outw(0x3ce, 0x0005);
    outw(0x3ce, 0x0406);
    memb(0xa0000 + 0x41 * 32 + 0, 0x81);
    memb(0xa0000 + 0x41 * 32 + 5, 0xf0);
    outw(0x3c4, 0x0302);
    outw(0x3c4, 0x0204);
    outw(0x3ce, 0x0004);
    outw(0x3ce, 0x1005);
    outw(0x3ce, 0x0e06);
    /* 'A', yellow on blue, at row 2 column 3. */
    uint32_t cell = 0xb8000 + (2 * 80 + 3) * 2;
    memb(cell, 0x41);
    memb(cell + 1, 0x1e);
    ck_assert_uint_eq(rdmemb(cell), 0x41);
    ck_assert_uint_eq(rdmemb(cell + 1), 0x1e);

    render();
    ck_assert_uint_eq(fw, 720);
    ck_assert_uint_eq(fh, 400);
    const uint32_t yellow = 0xffff55, blue = 0x0000aa;
    unsigned x0 = 3 * 9, y0 = 2 * 16;
    ck_assert_uint_eq(pixel(x0, y0), yellow);
    ck_assert_uint_eq(pixel(x0 + 1, y0), blue);
    ck_assert_uint_eq(pixel(x0 + 7, y0), yellow);
    ck_assert_uint_eq(pixel(x0 + 8, y0), blue); /* ninth dot of a letter */
    ck_assert_uint_eq(pixel(x0, y0 + 1), blue);
    for (unsigned x = 0; x < 4; x++)
        ck_assert_uint_eq(pixel(x0 + x, y0 + 5), yellow);
    ck_assert_uint_eq(pixel(x0 + 4, y0 + 5), blue);
    ck_assert_uint_eq(pixel(x0 + 9, y0), 0);   /* next cell: black on black */
    ck_assert_uint_eq(pixel(x0, y0 - 1), 0);

    /* The cursor covers its scan lines in the foreground colour. */
    outw(0x3d4, 0x0e0a);
    outw(0x3d4, 0x0f0b);
    outw(0x3d4, 0x000e);
    outb(0x3d4, 0x0f);
    outb(0x3d5, 2 * 80 + 3);
    render();
    ck_assert_uint_eq(pixel(x0 + 1, y0 + 14), yellow);
    ck_assert_uint_eq(pixel(x0 + 1, y0 + 13), blue);
}
END_TEST

START_TEST(mode13_pixel_renders)
{
    set_mode(0x63, mode13_sr, mode13_cr, mode13_gr, mode13_ar);
    dac_set(0x42, 0x3f, 0x00, 0x00);
    dac_set(0x43, 0x00, 0x3f, 0x00);
    memb(0xa0000 + 50 * 320 + 100, 0x42);
    memb(0xa0000 + 199 * 320 + 319, 0x43); /* the last byte: high address bits */
    ck_assert_uint_eq(rdmemb(0xa0000 + 50 * 320 + 100), 0x42);
    render();
    ck_assert_uint_eq(fw, 640);
    ck_assert_uint_eq(fh, 400);
    /* Each pixel is two dots wide and two scan lines high. */
    ck_assert_uint_eq(pixel(200, 100), 0xff0000);
    ck_assert_uint_eq(pixel(201, 101), 0xff0000);
    ck_assert_uint_eq(pixel(202, 100), 0);
    ck_assert_uint_eq(pixel(199, 100), 0);
    ck_assert_uint_eq(pixel(200, 102), 0);
    ck_assert_uint_eq(pixel(639, 399), 0x00ff00);
    ck_assert_uint_eq(pixel(637, 399), 0);
}
END_TEST

START_TEST(planar_write_modes)
{
    outb(0x3c2, 0x63);
    outw(0x3c4, 0x0604);    /* planar: no odd/even, no chain-4 */
    outw(0x3ce, 0x0506);    /* graphics, 0xa0000 64 KiB */
    outw(0x3c4, 0x0f02);
    outw(0x3ce, 0xff08);    /* bit mask: all bits from the data */
    memb(0xa0000, 0xff);    /* all planes 0xff */
    rdmemb(0xa0000);        /* latches = 0xff */
    outw(0x3c4, 0x0502);    /* planes 0 and 2 only */
    outw(0x3ce, 0x0f08);    /* bit mask: low nibble from the data */
    memb(0xa0000, 0x00);
    const uint8_t want[4] = { 0xf0, 0xff, 0xf0, 0xff };
    for (uint8_t p = 0; p < 4; p++) {
        outb(0x3ce, 4);
        outb(0x3cf, p);
        ck_assert_uint_eq(rdmemb(0xa0000), want[p]);
    }
    /* Set/reset gives each plane its own constant. */
    outw(0x3c4, 0x0f02);
    outw(0x3ce, 0xff08);
    outw(0x3ce, 0x0f01);
    outw(0x3ce, 0x0a00);
    memb(0xa0001, 0x5a);
    const uint8_t sr_want[4] = { 0x00, 0xff, 0x00, 0xff };
    for (uint8_t p = 0; p < 4; p++) {
        outb(0x3ce, 4);
        outb(0x3cf, p);
        ck_assert_uint_eq(rdmemb(0xa0001), sr_want[p]);
    }
    /* Read mode 1: every pixel there has colour 1010b. */
    outw(0x3ce, 0x0805);
    outw(0x3ce, 0x0a02);
    outw(0x3ce, 0x0f07);
    ck_assert_uint_eq(rdmemb(0xa0001), 0xff);
    outw(0x3ce, 0x0b02);
    ck_assert_uint_eq(rdmemb(0xa0001), 0x00);
    outw(0x3ce, 0x0a07); /* colour don't care: planes 1 and 3 only */
    ck_assert_uint_eq(rdmemb(0xa0001), 0xff);
    /* Write mode 1 copies the latches: byte 1's planes into byte 2. */
    outw(0x3ce, 0x0105);
    rdmemb(0xa0001);
    memb(0xa0002, 0x00);
    outw(0x3ce, 0x0005);
    outw(0x3ce, 0x0304);
    ck_assert_uint_eq(rdmemb(0xa0002), 0xff);
    /* Rotate with XOR: data 0x01 rotated by 1 is 0x80, XORed with latch. */
    outw(0x3ce, 0x0001);
    outw(0x3ce, 0x1903);
    rdmemb(0xa0002);
    memb(0xa0002, 0x01);
    outw(0x3ce, 0x0003);
    outw(0x3ce, 0x0304);
    ck_assert_uint_eq(rdmemb(0xa0002), 0x7f);
    outw(0x3ce, 0x0004);
    ck_assert_uint_eq(rdmemb(0xa0002), 0x80);
}
END_TEST

START_TEST(mode12_write_mode2_renders)
{
    set_mode(0xe3, mode12_sr, mode12_cr, mode12_gr, mode12_ar);
    dac_set(0x3c, 0x10, 0x20, 0x30);
    dac_set(0x00, 0x00, 0x00, 0x00);
    outw(0x3ce, 0x0205);                 /* write mode 2 */
    outw(0x3ce, (0x80 >> (10 & 7)) << 8 | 0x08);
    uint32_t a = 0xa0000 + 7 * 80 + 10 / 8;
    rdmemb(a);
    memb(a, 0x0c);                       /* colour 12 at (10, 7) */
    render();
    ck_assert_uint_eq(fw, 640);
    ck_assert_uint_eq(fh, 480);
    ck_assert_uint_eq(pixel(10, 7), 0x4182c3);
    ck_assert_uint_eq(pixel(9, 7), 0);
    ck_assert_uint_eq(pixel(11, 7), 0);
    ck_assert_uint_eq(pixel(10, 8), 0);
    /* The colour plane enable register masks planes out before the palette. */
    inb(0x3da);
    outb(0x3c0, 0x12);
    outb(0x3c0, 0x03);
    outb(0x3c0, 0x20);
    render();
    ck_assert_uint_eq(pixel(10, 7), 0);
}
END_TEST

START_TEST(dispi_id_and_capabilities)
{
    ck_assert_uint_eq(dispi_get(0), 0xb0c5);
    dispi(0, 0xb0c0);
    ck_assert_uint_eq(dispi_get(0), 0xb0c0);
    dispi(0, 0x1234); /* not an interface version: ignored */
    ck_assert_uint_eq(dispi_get(0), 0xb0c0);
    ck_assert_uint_eq(dispi_get(0xa), VGA_VRAM_SIZE >> 16);
    dispi(1, 800);
    dispi(4, 0x02);   /* GETCAPS: resolution and depth registers give maxima */
    ck_assert_uint_eq(dispi_get(1), VGA_RENDER_MAX_WIDTH);
    ck_assert_uint_eq(dispi_get(3), 32);
    dispi(4, 0x00);
    ck_assert_uint_eq(dispi_get(1), 800);
    dispi(3, 12);     /* no such depth */
    ck_assert_uint_eq(dispi_get(3), 8);
    dispi(5, 0x1ff);  /* banks beyond the memory wrap */
    ck_assert_uint_eq(dispi_get(5), 0xff);
}
END_TEST

START_TEST(dispi_lfb_mode_renders)
{
    /* BAR0 as firmware would program it: size it, place it, enable memory. */
    pci_bus_config_write(bus, VGA_DEVFN, 0x10, 0xffffffff, 4);
    ck_assert_uint_eq(pci_bus_config_read(bus, VGA_DEVFN, 0x10, 4), 0xff000008);
    ck_assert_uint_eq(pci_bus_config_read(bus, VGA_DEVFN, 0x00, 4), 0x11111234);
    ck_assert_uint_eq(pci_bus_config_read(bus, VGA_DEVFN, 0x08, 4) >> 16, 0x0300);
    pci_bus_config_write(bus, VGA_DEVFN, 0x10, (uint32_t)LFB_GPA, 4);
    ck_assert_ptr_null(physmem_find_slot(&m.mem, LFB_GPA));
    pci_bus_config_write(bus, VGA_DEVFN, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    const struct phys_slot *s = physmem_find_slot(&m.mem, LFB_GPA);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->size, VGA_VRAM_SIZE);
    ck_assert(!s->readonly);

    dispi(1, 640);
    dispi(2, 480);
    dispi(3, 32);
    dispi(4, 0x41); /* enabled, linear framebuffer */
    ck_assert_uint_eq(dispi_get(6), 640);
    ck_assert_uint_eq(dispi_get(7), VGA_VRAM_SIZE / (640 * 4));
    inb(0x3ba);
    outb(0x3c0, 0x20);
    uint32_t px = 0x00123456;
    physmem_write(&m.mem, LFB_GPA + (3 * 640 + 5) * 4, &px, 4);
    render();
    ck_assert_uint_eq(fw, 640);
    ck_assert_uint_eq(fh, 480);
    ck_assert_uint_eq(pixel(5, 3), 0x123456);
    ck_assert_uint_eq(pixel(6, 3), 0);
    /* The display start moves with the Y offset. */
    dispi(9, 1);
    render();
    ck_assert_uint_eq(pixel(5, 2), 0x123456);
    dispi(9, 0);
    /* The banked window at 0xa0000 sees the same memory linearly. */
    outw(0x3ce, 0x0506);
    outb(0x3c2, 0x63);
    dispi(5, 0);
    ck_assert_uint_eq(rdmemb(0xa0000 + (3 * 640 + 5) * 4), 0x56);
    dispi(5, 1);
    memb(0xa0000 + 4, 0x77); /* 0x10004: pixel 16385 = (385, 25) */
    render();
    ck_assert_uint_eq(pixel(385, 25), 0x000077);

    /* 16 bpp, 5:6:5. */
    dispi(4, 0);
    dispi(3, 16);
    dispi(4, 0xc1); /* no clearing */
    uint16_t red = 0xf800;
    physmem_write(&m.mem, LFB_GPA + (3 * 640 + 5) * 2, &red, 2);
    render();
    ck_assert_uint_eq(pixel(5, 3), 0xff0000);

    /* Moving the BAR moves the mapping; disabling memory decode drops it. */
    pci_bus_config_write(bus, VGA_DEVFN, 0x10, (uint32_t)LFB_GPA + 0x1000000, 4);
    ck_assert_ptr_null(physmem_find_slot(&m.mem, LFB_GPA));
    ck_assert_ptr_nonnull(physmem_find_slot(&m.mem, LFB_GPA + 0x1000000));
    pci_bus_config_write(bus, VGA_DEVFN, PCI_COMMAND, 0, 2);
    ck_assert_ptr_null(physmem_find_slot(&m.mem, LFB_GPA + 0x1000000));
}
END_TEST

START_TEST(reset_disables_vbe_and_unmaps)
{
    pci_bus_config_write(bus, VGA_DEVFN, 0x10, (uint32_t)LFB_GPA, 4);
    pci_bus_config_write(bus, VGA_DEVFN, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    dispi(1, 640);
    dispi(2, 480);
    dispi(4, 0x41);
    outb(0x3c2, 0x67);
    ck_assert_ptr_nonnull(physmem_find_slot(&m.mem, LFB_GPA));
    machine_reset(&m);
    ck_assert_ptr_null(physmem_find_slot(&m.mem, LFB_GPA));
    ck_assert_uint_eq(dispi_get(4), 0);
    ck_assert_uint_eq(dispi_get(0), 0xb0c5);
    ck_assert_uint_eq(inb(0x3cc), 0);
    render();
    ck_assert_uint_eq(pixel(0, 0), 0);
}
END_TEST

START_TEST(vertical_retrace_follows_clock)
{
    outb(0x3c2, 0x01);
    ck_assert_uint_eq(inb(0x3ba), 0xff); /* colour mode: nothing at 0x3ba */
    ck_assert_uint_eq(inb(0x3da) & 0x09, 0x00); /* top of the frame, displaying */
    vclock_advance(&m.clock, 100ull * 31778 + 26000); /* horizontal blanking */
    ck_assert_uint_eq(inb(0x3da) & 0x09, 0x01);
    vclock_advance(&m.clock, 390ull * 31778); /* line 490: vertical retrace */
    ck_assert_uint_eq(inb(0x3da) & 0x09, 0x09);
    vclock_advance(&m.clock, 35ull * 31778); /* next frame */
    ck_assert_uint_eq(inb(0x3da) & 0x08, 0x00);
    unsigned seen = 0;
    for (int i = 0; i < 100; i++) {
        vclock_advance(&m.clock, 1000000); /* 1 ms steps over ~6 frames */
        seen += (inb(0x3da) & 0x08) != 0;
    }
    ck_assert_uint_ge(seen, 5);
    ck_assert_uint_le(seen, 12);
}
END_TEST

START_TEST(expansion_rom_from_file)
{
    char err[256];
    struct machine m2;
    machine_init_core(&m2, true);
    struct pci_bus *bus2 = pci_bus_create(&m2);
    ck_assert_ptr_null(vga_create(&m2, bus2, VGA_DEVFN, "/nonexistent/vgabios.bin", err,
                                  sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "seabios"));
    ck_assert_ptr_null(strchr(err, '\n'));

    char path[] = "/tmp/vga_test_romXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    uint8_t rom[3000] = { 0x55, 0xaa, 3 };
    rom[2999] = 0x99;
    ck_assert_int_eq(write(fd, rom, sizeof(rom)), (int)sizeof(rom));
    close(fd);
    struct vga *v2 = vga_create(&m2, bus2, VGA_DEVFN, path, err, sizeof(err));
    unlink(path);
    ck_assert_msg(v2 != NULL, "%s", err);
    pci_bus_config_write(bus2, VGA_DEVFN, 0x30, 0xfffff800, 4);
    ck_assert_uint_eq(pci_bus_config_read(bus2, VGA_DEVFN, 0x30, 4), 0xfffff000);
    pci_bus_config_write(bus2, VGA_DEVFN, 0x30, 0xfebf0001, 4);
    pci_bus_config_write(bus2, VGA_DEVFN, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    uint8_t b[4];
    physmem_read(&m2.mem, 0xfebf0000, b, 3);
    ck_assert_uint_eq(b[0], 0x55);
    ck_assert_uint_eq(b[1], 0xaa);
    ck_assert_uint_eq(b[2], 3);
    physmem_read(&m2.mem, 0xfebf0000 + 2999, b, 2);
    ck_assert_uint_eq(b[0], 0x99);
    ck_assert_uint_eq(b[1], 0x00);
    pci_bus_destroy(bus2);
    machine_destroy_core(&m2);
    vga_destroy(v2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vga");
    TCase *tc = tcase_create("vga");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, dac_palette_write_then_read);
    tcase_add_test(tc, index_data_registers);
    tcase_add_test(tc, attribute_flip_flop);
    tcase_add_test(tc, text_mode_renders_glyph);
    tcase_add_test(tc, mode13_pixel_renders);
    tcase_add_test(tc, planar_write_modes);
    tcase_add_test(tc, mode12_write_mode2_renders);
    tcase_add_test(tc, dispi_id_and_capabilities);
    tcase_add_test(tc, dispi_lfb_mode_renders);
    tcase_add_test(tc, reset_disables_vbe_and_unmaps);
    tcase_add_test(tc, vertical_retrace_follows_clock);
    tcase_add_test(tc, expansion_rom_from_file);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
