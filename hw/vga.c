/* The VGA adapter's registers (sequencer, graphics and attribute controllers,
 * CRTC, DAC, miscellaneous output, input status with a retrace timed by the
 * virtual clock), its PCI function with the framebuffer BAR mapped as guest
 * RAM and the BIOS in the expansion ROM, creation and reset. */
#include "hw/vga.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/machine.h"
#include "hw/vga_internal.h"

#define VGA_PORT_BASE 0x3b0
#define VGA_PORT_COUNT 0x30
#define VBE_PORT_BASE 0x1ce
#define VBE_PORT_COUNT 3
#define VGA_WINDOW_BASE 0xa0000
#define VGA_WINDOW_SIZE 0x20000
#define VGA_ROM_MAX (1u << 20)

#define PCI_VENDOR_QEMU_VGA 0x1234
#define PCI_DEVICE_QEMU_VGA 0x1111
#define PCI_CLASS_VGA 0x0300

/* CRT timing for the input status bits, that of the 640x480 60 Hz mode
 * (525 lines of 31.778 us, 480 of them displayed, 25.42 us of each line
 * displayed). Vertical retrace really lasts 2 lines from line 490; it is
 * reported until the end of vertical blanking (1.1 ms) so that a guest
 * polling it through slow port exits cannot miss every retrace. */
#define VGA_LINE_NS 31778u
#define VGA_LINES 525u
#define VGA_ACTIVE_LINES 480u
#define VGA_ACTIVE_LINE_NS 25422u
#define VGA_VRETRACE_LINE 490u
#define VGA_ST1_DISPLAY_OFF 0x01
#define VGA_ST1_VRETRACE    0x08

static const uint8_t sr_wmask[8] = { 0x03, 0x3d, 0x0f, 0x3f, 0x0e, 0, 0, 0 };
static const uint8_t gr_wmask[16] = { 0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff };

static uint8_t vga_input_status1(struct vga *v)
{
    uint64_t t = vclock_now(&v->m->clock) % ((uint64_t)VGA_LINE_NS * VGA_LINES);
    unsigned line = (unsigned)(t / VGA_LINE_NS), pos = (unsigned)(t % VGA_LINE_NS);
    uint8_t st = 0;
    if (line >= VGA_ACTIVE_LINES || pos >= VGA_ACTIVE_LINE_NS)
        st |= VGA_ST1_DISPLAY_OFF;
    if (line >= VGA_VRETRACE_LINE)
        st |= VGA_ST1_VRETRACE;
    return st;
}

static void vga_ar_write(struct vga *v, uint8_t val)
{
    if (!v->ar_data_next) {
        v->ar_index = val & 0x3f;
        v->ar_data_next = true;
        return;
    }
    v->ar_data_next = false;
    unsigned i = v->ar_index & 0x1f;
    if (i < 0x10)
        v->ar[i] = val & 0x3f;
    else if (i == VGA_AR_MODE)
        v->ar[i] = val & 0xef;
    else if (i == VGA_AR_OVERSCAN)
        v->ar[i] = val;
    else if (i == VGA_AR_PLANES)
        v->ar[i] = val & 0x3f;
    else if (i == VGA_AR_PAN || i == VGA_AR_COLSEL)
        v->ar[i] = val & 0x0f;
}

static void vga_cr_write(struct vga *v, uint8_t val)
{
    unsigned i = v->cr_index;
    if (i >= VGA_CR_COUNT)
        return;
    /* CR11 bit 7 write-protects the horizontal and vertical timing
     * registers, except the line compare bit in the overflow register. */
    if ((v->cr[VGA_CR_VRETEND] & 0x80) && i <= VGA_CR_OVERFLOW) {
        if (i == VGA_CR_OVERFLOW)
            v->cr[i] = (uint8_t)((v->cr[i] & ~0x10) | (val & 0x10));
        return;
    }
    v->cr[i] = val;
}

static uint8_t vga_dac_component(const struct vga *v, uint8_t c)
{
    return (v->vbe[VBE_INDEX_ENABLE] & VBE_8BIT_DAC) ? c : (uint8_t)(c & 0x3f);
}

static bool vga_port_decoded(const struct vga *v, unsigned port)
{
    if (port < 0x3c0)
        return !(v->misc & VGA_MISC_COLOR);
    if (port >= 0x3d0)
        return (v->misc & VGA_MISC_COLOR) != 0;
    return true;
}

static uint8_t vga_port_read(struct vga *v, unsigned port)
{
    if (!vga_port_decoded(v, port))
        return 0xff;
    switch (port) {
    case 0x3c0:
        return v->ar_index;
    case 0x3c1:
        return (v->ar_index & 0x1f) < sizeof(v->ar) ? v->ar[v->ar_index & 0x1f] : 0;
    case 0x3c2:
        return 0; /* input status 0: no retrace interrupt, no switch sense */
    case 0x3c3:
        return v->vga_enable;
    case 0x3c4:
        return v->sr_index;
    case 0x3c5:
        return v->sr[v->sr_index & 7];
    case 0x3c6:
        return v->dac_mask;
    case 0x3c7:
        return v->dac_reading ? 0x03 : 0x00;
    case 0x3c8:
        return v->dac_write_index;
    case 0x3c9: {
        uint8_t c = vga_dac_component(v, v->dac[v->dac_read_index][v->dac_sub]);
        if (++v->dac_sub == 3) {
            v->dac_sub = 0;
            v->dac_read_index++;
        }
        return c;
    }
    case 0x3ca:
        return v->feature;
    case 0x3cc:
        return v->misc;
    case 0x3ce:
        return v->gr_index;
    case 0x3cf:
        return v->gr[v->gr_index & 0x0f];
    case 0x3b4: case 0x3d4:
        return v->cr_index;
    case 0x3b5: case 0x3d5:
        return v->cr_index < VGA_CR_COUNT ? v->cr[v->cr_index] : 0xff;
    case 0x3ba: case 0x3da:
        v->ar_data_next = false;
        return vga_input_status1(v);
    default:
        return 0xff;
    }
}

static void vga_port_write(struct vga *v, unsigned port, uint8_t val)
{
    if (!vga_port_decoded(v, port))
        return;
    switch (port) {
    case 0x3c0:
        vga_ar_write(v, val);
        break;
    case 0x3c2:
        v->misc = val;
        break;
    case 0x3c3:
        v->vga_enable = val & 1;
        break;
    case 0x3c4:
        v->sr_index = val;
        break;
    case 0x3c5:
        v->sr[v->sr_index & 7] = val & sr_wmask[v->sr_index & 7];
        break;
    case 0x3c6:
        v->dac_mask = val;
        break;
    case 0x3c7:
        v->dac_read_index = val;
        v->dac_sub = 0;
        v->dac_reading = true;
        break;
    case 0x3c8:
        v->dac_write_index = val;
        v->dac_sub = 0;
        v->dac_reading = false;
        break;
    case 0x3c9:
        v->dac_latch[v->dac_sub] = val;
        if (++v->dac_sub == 3) {
            memcpy(v->dac[v->dac_write_index], v->dac_latch, 3);
            v->dac_sub = 0;
            v->dac_write_index++;
        }
        break;
    case 0x3ce:
        v->gr_index = val;
        break;
    case 0x3cf:
        v->gr[v->gr_index & 0x0f] = val & gr_wmask[v->gr_index & 0x0f];
        break;
    case 0x3b4: case 0x3d4:
        v->cr_index = val;
        break;
    case 0x3b5: case 0x3d5:
        vga_cr_write(v, val);
        break;
    case 0x3ba: case 0x3da:
        v->feature = val;
        break;
    default:
        break;
    }
}

/* A word access to an index port is index then data, as OUTW to 0x3c4 or
 * 0x3d4 is commonly used; every wider access is taken byte by byte. */
static void vga_port_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                        bool is_write)
{
    struct vga *v = opaque;
    for (unsigned i = 0; i < len; i++) {
        unsigned port = VGA_PORT_BASE + (unsigned)offset + i;
        if (is_write)
            vga_port_write(v, port, data[i]);
        else
            data[i] = vga_port_read(v, port);
    }
}

/* ---- PCI function ---- */

/* BAR0 is host memory the guest (and KVM) reach directly, so it is mapped
 * as a RAM slot here rather than by the bus as an MMIO region. */
static void vga_update_lfb(struct vga *v)
{
    struct physmem *pm = &v->m->mem;
    uint64_t addr = 0;
    bool want = false;
    if (v->has_pci && (pci_get16(&v->pci, PCI_COMMAND) & PCI_COMMAND_MEMORY)) {
        addr = pci_bar_address(&v->pci, 0);
        /* Zero is unassigned; reaching the top of 4 GiB is the sizing value. */
        want = addr != 0 && addr + VGA_VRAM_SIZE - 1 < 0xffffffffull;
    }
    if (v->lfb_mapped && (!want || addr != v->lfb_gpa)) {
        physmem_unmap(pm, v->lfb_gpa);
        v->lfb_mapped = false;
    }
    if (want && !v->lfb_mapped &&
        physmem_map(pm, addr, VGA_VRAM_SIZE, v->vram, false, NULL, "vga.vram") >= 0) {
        v->lfb_mapped = true;
        v->lfb_gpa = addr;
    }
}

static void vga_pci_config_write(struct pci_device *dev, unsigned reg, uint32_t val,
                                 unsigned len)
{
    pci_default_config_write(dev, reg, val, len);
    vga_update_lfb(dev->opaque);
}

static void vga_rom_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                       bool is_write)
{
    struct vga *v = opaque;
    if (is_write)
        return;
    for (unsigned i = 0; i < len; i++)
        data[i] = offset + i < v->rom_size ? v->rom[offset + i] : 0;
}

static uint32_t vga_pow2_at_least(uint32_t n)
{
    uint32_t p = 0x800;
    while (p < n)
        p <<= 1;
    return p;
}

static int vga_load_rom(struct vga *v, const char *path, char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_len, "cannot open the VGA BIOS %s: %s (apt-get install seabios)",
                 path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 3 ||
        st.st_size > VGA_ROM_MAX) {
        snprintf(err, err_len, "VGA BIOS %s: not a ROM image of 3 bytes to 1 MiB", path);
        close(fd);
        return -1;
    }
    v->rom_size = (uint32_t)st.st_size;
    v->rom = malloc(v->rom_size);
    ssize_t n = v->rom ? read(fd, v->rom, v->rom_size) : -1;
    close(fd);
    if (n != (ssize_t)v->rom_size) {
        snprintf(err, err_len, "cannot read the VGA BIOS %s", path);
        return -1;
    }
    if (v->rom[0] != 0x55 || v->rom[1] != 0xaa) {
        snprintf(err, err_len, "VGA BIOS %s: no 55 AA option ROM signature", path);
        return -1;
    }
    return 0;
}

static int vga_pci_init(struct vga *v, struct pci_bus *bus, unsigned devfn, char *err,
                        size_t err_len)
{
    struct pci_device *d = &v->pci;
    if (pci_register(bus, d, devfn, "vga") < 0) {
        snprintf(err, err_len, "VGA: PCI slot %02x.%x is taken", PCI_SLOT(devfn),
                 PCI_FUNC(devfn));
        return -1;
    }
    v->has_pci = true;
    d->opaque = v;
    d->config_write = vga_pci_config_write;
    pci_set_ids(d, PCI_VENDOR_QEMU_VGA, PCI_DEVICE_QEMU_VGA);
    pci_set_class(d, PCI_CLASS_VGA, 0, 0);
    /* No handler: vga_update_lfb() maps it as RAM. */
    pci_set_bar(d, 0, VGA_VRAM_SIZE, PCI_BAR_MEM32 | PCI_BAR_PREFETCH, NULL, NULL, "vga.vram");
    if (v->rom)
        pci_set_bar(d, PCI_ROM_BAR, vga_pow2_at_least(v->rom_size), PCI_BAR_MEM32,
                    vga_rom_io, v, "vga.rom");
    return 0;
}

/* ---- life cycle ---- */

static void vga_reset(void *opaque)
{
    struct vga *v = opaque;
    /* Registers power up cleared (display off, memory disabled) until the
     * BIOS sets a mode; VRAM and the DAC keep their contents. */
    v->misc = 0;
    v->feature = 0;
    v->vga_enable = 0;
    v->sr_index = v->gr_index = v->cr_index = 0;
    memset(v->sr, 0, sizeof(v->sr));
    memset(v->gr, 0, sizeof(v->gr));
    memset(v->cr, 0, sizeof(v->cr));
    memset(v->ar, 0, sizeof(v->ar));
    v->ar_index = 0;
    v->ar_data_next = false;
    v->dac_mask = 0xff;
    v->dac_read_index = v->dac_write_index = v->dac_sub = 0;
    v->dac_reading = false;
    memset(v->latch, 0, sizeof(v->latch));
    vga_vbe_reset(v);
    /* The bus has already put BAR0 and the command register back. */
    vga_update_lfb(v);
}

struct vga *vga_create(struct machine *m, struct pci_bus *bus, unsigned devfn,
                       const char *rom_path, char *err, size_t err_len)
{
    struct vga *v = calloc(1, sizeof(*v));
    if (!v) {
        snprintf(err, err_len, "VGA: out of memory");
        return NULL;
    }
    v->m = m;
    /* Page-aligned, as KVM requires of a memory slot. */
    void *vram = mmap(NULL, VGA_VRAM_SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (vram == MAP_FAILED) {
        snprintf(err, err_len, "VGA: cannot allocate %u MiB of video memory",
                 VGA_VRAM_SIZE >> 20);
        free(v);
        return NULL;
    }
    v->vram = vram;
    if (rom_path && vga_load_rom(v, rom_path, err, err_len) < 0)
        goto fail;
    if (iomap_add(&m->io, VGA_PORT_BASE, VGA_PORT_COUNT, vga_port_io, v, "vga") < 0) {
        snprintf(err, err_len, "VGA: ports 0x3b0-0x3df are taken");
        goto fail;
    }
    if (iomap_add(&m->io, VBE_PORT_BASE, VBE_PORT_COUNT, vga_vbe_io, v, "vga.vbe") < 0) {
        snprintf(err, err_len, "VGA: ports 0x1ce-0x1d0 are taken");
        goto fail_vbe;
    }
    if (iomap_add(&m->mem.mmio, VGA_WINDOW_BASE, VGA_WINDOW_SIZE, vga_mem_access, v,
                  "vga.window") < 0) {
        snprintf(err, err_len, "VGA: memory 0xa0000-0xbffff is taken");
        goto fail_window;
    }
    if (bus && vga_pci_init(v, bus, devfn, err, err_len) < 0)
        goto fail_pci;
    machine_register_reset(m, vga_reset, v);
    vga_reset(v);
    return v;
fail_pci:
    iomap_remove(&m->mem.mmio, VGA_WINDOW_BASE);
fail_window:
    iomap_remove(&m->io, VBE_PORT_BASE);
fail_vbe:
    iomap_remove(&m->io, VGA_PORT_BASE);
fail:
    munmap(v->vram, VGA_VRAM_SIZE);
    free(v->rom);
    free(v);
    return NULL;
}

void vga_destroy(struct vga *v)
{
    if (!v)
        return;
    munmap(v->vram, VGA_VRAM_SIZE);
    free(v->rom);
    free(v);
}
