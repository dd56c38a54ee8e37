/* The i440FX PC board: creates every device in order, wires interrupt lines
 * (ISA IRQs to both the 8259 pair and the IOAPIC, the PIC into the LAPIC's
 * LINT0), fills firmware configuration, and boots firmware or a kernel. */
#include "hw/pc.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/acpi_loader.h"
#include "hw/acpi_tables.h"
#include "hw/chardev.h"
#include "hw/debug_exit.h"
#include "hw/debugcon.h"
#include "hw/fw_cfg.h"
#include "hw/hpet.h"
#include "hw/i440fx.h"
#include "hw/i8042.h"
#include "hw/i8254.h"
#include "hw/i8259.h"
#include "hw/ioapic.h"
#include "hw/lapic.h"
#include "hw/linux_boot.h"
#include "hw/machine.h"
#include "hw/mc146818.h"
#include "hw/multiboot.h"
#include "hw/pc_memory.h"
#include "hw/pci.h"
#include "hw/piix3.h"
#include "hw/piix4_pm.h"
#include "hw/port92.h"
#include "hw/postcode.h"
#include "hw/uart16550.h"
#include "hw/vga.h"

#define PC_ACPI_RSDP_GPA 0xe0000ull
#define PC_ACPI_TABLES_GPA 0xe0100ull
#define PC_ACPI_TABLES_END 0x100000ull

struct pc_board {
    struct pc_config cfg;
    struct pc_memory mem;
    struct pic *pic;
    struct pit *pit;
    struct rtc *rtc;
    struct uart *com1;
    struct i8042 *kbc;
    struct port92 *port92;
    struct postcode *postcode;
    struct debug_exit *debug_exit;
    struct debugcon *debugcon;
    struct pci_bus *pci;
    struct i440fx *northbridge;
    struct piix3 *southbridge;
    struct piix4_pm *pm;
    struct fw_cfg *fw_cfg;
    struct vga *vga;          /* only with a display */
    struct lapic *lapic;
    struct ioapic *ioapic;
    struct hpet *hpet;
    struct irq_line isa_irq[16];   /* driven by ISA devices */
    struct irq_line pci_irq[16];   /* driven by the PCI bus's PIRQ routing */
    uint16_t isa_level, pci_level; /* one bit per IRQ and source */
};

/* An ISA interrupt reaches both controllers; the OS decides which it uses.
 * IRQ0 is wired to IOAPIC pin 2, as the MADT override says. A PCI PIRQ
 * routed to an IRQ shares the wire with any ISA device there: the wire is
 * asserted while either source asserts it (pins 16..31 are the PCI side). */
static void pc_isa_irq_set(void *opaque, int pin, int level)
{
    struct pc_board *b = opaque;
    int irq = pin & 15;
    uint16_t bit = (uint16_t)(1u << irq);
    uint16_t *src = pin >= 16 ? &b->pci_level : &b->isa_level;
    *src = (uint16_t)(level ? (*src | bit) : (*src & ~bit));
    int wire = ((b->isa_level | b->pci_level) & bit) != 0;
    pic_set_irq(b->pic, irq, wire);
    ioapic_set_irq(b->ioapic, irq == 0 ? 2 : irq, wire);
}

static void pc_pam_changed(void *opaque, unsigned segment, uint64_t base, uint64_t size,
                           unsigned mode)
{
    struct machine *m = opaque;
    (void)base;
    (void)size;
    pc_memory_set_pam(m, &m->board->mem, segment, mode);
}

static bool pc_pic_pending(void *opaque)
{
    return pic_intr_pending(opaque);
}

static int pc_pic_ack(void *opaque)
{
    return pic_intr_ack(opaque);
}

/* One description of the board's ACPI hardware, for direct boot and for
 * firmware alike. */
static const struct acpi_tables_config pc_acpi_config = {
    .hpet = true,
    .hpet_addr = HPET_DEFAULT_BASE,
    .hpet_block_id = HPET_BLOCK_ID,
};

static int pc_fw_cfg_setup(struct machine *m, struct pc_board *b)
{
    /* QEMU's convention: etc/e820 lists RAM only; firmware adds its own
     * reservations. */
    struct { uint64_t addr, len; uint32_t type; } __attribute__((packed)) e820[2];
    unsigned n = 0;
    e820[n++] = (typeof(e820[0])){ 0, m->ram_below_4g, 1 };
    if (m->ram_above_4g)
        e820[n++] = (typeof(e820[0])){ 1ull << 32, m->ram_above_4g, 1 };
    int r = fw_cfg_add_file(b->fw_cfg, "etc/e820", e820, n * sizeof(e820[0]));
    r |= fw_cfg_add_i64(b->fw_cfg, 0x03, m->ram_size);       /* RAM size */
    r |= fw_cfg_add_i16(b->fw_cfg, 0x05, 1);                 /* CPUs present */
    r |= fw_cfg_add_i16(b->fw_cfg, 0x0f, 1);                 /* CPUs possible */
    /* SeaBIOS builds its own MADT and MP table, with IRQ0 -> pin 2 only
     * when told the board wires it so. */
    uint8_t irq0_override = 1;
    r |= fw_cfg_add_bytes(b->fw_cfg, FW_CFG_IRQ0_OVERRIDE, &irq0_override, 1);
    uint32_t never = 0xffffffffu; /* no automatic reboot after a failed boot */
    r |= fw_cfg_add_file(b->fw_cfg, "etc/boot-fail-wait", &never, sizeof(never));
    if (!b->cfg.graphics) {
        /* No display: SeaBIOS mirrors its screen output to COM1. */
        uint16_t port = 0x3f8;
        r |= fw_cfg_add_file(b->fw_cfg, "etc/sercon-port", &port, sizeof(port));
    }
    /* With these SeaBIOS installs vx86's tables instead of building its own
     * (and moves the PM block to 0x600, where the FADT puts it). */
    char acpi_err[128];
    if (acpi_loader_add_fw_cfg(b->fw_cfg, &pc_acpi_config, acpi_err, sizeof(acpi_err)) < 0)
        r = -1;
    return r ? -1 : 0;
}

static int pc_load_kernel(struct machine *m, struct pc_board *b, char *err, size_t err_len)
{
    const struct pc_config *c = &b->cfg;
    uint8_t head[8192];
    int fd = open(c->kernel_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return linux_boot_load(m, c->kernel_path, c->initrd_path, c->cmdline, err, err_len);
    ssize_t n = read(fd, head, sizeof(head));
    close(fd);
    if (n > 0 && multiboot_detect(head, (size_t)n, NULL))
        return multiboot_load(m, c->kernel_path, c->initrd_path, c->cmdline, err, err_len);

    /* Firmware-less Linux finds the APICs and the S5 power-off through
     * tables vx86 writes into the BIOS area. */
    uint64_t rsdp = 0;
    if (acpi_tables_build(m, PC_ACPI_TABLES_GPA, PC_ACPI_TABLES_END - PC_ACPI_TABLES_GPA,
                          PC_ACPI_RSDP_GPA, &pc_acpi_config, &rsdp, err, err_len) < 0)
        return -1;
    if (linux_boot_load(m, c->kernel_path, c->initrd_path, c->cmdline, err, err_len) < 0)
        return -1;
    linux_boot_set_acpi_rsdp(m, rsdp);
    return 0;
}

int pc_create(struct machine *m, const struct pc_config *cfg, char *err, size_t err_len)
{
    struct pc_board *b = calloc(1, sizeof(*b));
    if (!b) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    m->board = b;
    b->cfg = *cfg;
    if (pc_memory_init(m, &b->mem, cfg->ram_size, cfg->bios_path, err, err_len) < 0)
        return -1;

    for (int i = 0; i < 16; i++) {
        b->isa_irq[i] = irq_line_make(pc_isa_irq_set, b, i);
        b->pci_irq[i] = irq_line_make(pc_isa_irq_set, b, 16 + i);
    }

    /* The PIC's INTR output is the LAPIC's LINT0, and the IOAPIC and LAPIC
     * point at each other, so the three are created first and tied after. */
    b->pic = pic_create(m, irq_line_make(NULL, NULL, 0));
    if (!b->pic) {
        snprintf(err, err_len, "cannot create the 8259 PIC");
        return -1;
    }
    struct lapic_config lc = {
        .apic_id = 0,
        .extint_pending = pc_pic_pending,
        .extint_ack = pc_pic_ack,
        .extint_opaque = b->pic,
    };
    b->lapic = lapic_create(m, &lc);
    if (!b->lapic) {
        snprintf(err, err_len, "cannot create the local APIC");
        return -1;
    }
    b->ioapic = ioapic_create(m, lapic_deliver_msg, b->lapic);
    if (!b->ioapic) {
        snprintf(err, err_len, "cannot create the I/O APIC");
        return -1;
    }
    lapic_set_eoi_broadcast(b->lapic, ioapic_eoi, b->ioapic);
    lapic_connect_cpu(b->lapic);
    pic_set_intr_out(b->pic, lapic_lint_irq_line(b->lapic, 0));

    /* The HPET's legacy replacement switch sits between the PIT and RTC
     * and their IRQ0/IRQ8 wires. Its own routes are I/O APIC inputs 20-23,
     * which on Intel's chipsets take active-low internal sources. */
    struct hpet_config hc = {
        .irq0 = b->isa_irq[0],
        .irq8 = b->isa_irq[8],
        .route_cap = 0x00f00000u,
    };
    for (int pin = 20; pin < 24; pin++)
        hc.route[pin] = ioapic_irq_line_active_low(b->ioapic, pin);
    b->hpet = hpet_create(m, &hc);
    if (!b->hpet) {
        snprintf(err, err_len, "cannot create the HPET");
        return -1;
    }
    b->pit = pit_create(m, hpet_legacy_input(b->hpet, 0));
    b->rtc = rtc_create(m, hpet_legacy_input(b->hpet, 8));
    rtc_set_memory_size(b->rtc, m->ram_below_4g, m->ram_above_4g);
    b->com1 = uart_create(m, 0x3f8, b->isa_irq[4], cfg->serial);
    b->kbc = i8042_create(m, b->isa_irq[1], b->isa_irq[12]);
    b->port92 = port92_create(m);
    b->postcode = postcode_create(m);
    b->debug_exit = debug_exit_create(m, 0xf4, 4);
    if (cfg->debugcon)
        b->debugcon = debugcon_create(m, 0xe9, cfg->debugcon);

    b->pci = pci_bus_create(m);
    if (b->pci)
        pci_bus_set_isa_irqs(b->pci, b->pci_irq);
    b->northbridge = i440fx_create(m, b->pci, pc_pam_changed, m);
    b->southbridge = piix3_create(m, b->pci);
    b->pm = piix4_pm_create(m, b->pci, b->isa_irq[9]);
    b->fw_cfg = fw_cfg_create(m);
    if (cfg->graphics && b->pci) {
        /* 00:02.0, where QEMU puts its VGA. */
        const char *rom = cfg->vga_bios_path ? cfg->vga_bios_path : PC_VGA_BIOS_DEFAULT;
        b->vga = vga_create(m, b->pci, PCI_DEVFN(2, 0), rom, err, err_len);
        if (!b->vga)
            return -1;
    }
    if (!b->ioapic || !b->pic || !b->lapic || !b->pit || !b->rtc || !b->com1 || !b->kbc ||
        !b->port92 || !b->postcode || !b->debug_exit || !b->pci || !b->northbridge ||
        !b->southbridge || !b->pm || !b->fw_cfg) {
        snprintf(err, err_len, "cannot create the PC's devices");
        return -1;
    }
    if (pc_fw_cfg_setup(m, b) < 0) {
        snprintf(err, err_len, "cannot fill the firmware configuration");
        return -1;
    }
    machine_reset(m);
    if (cfg->kernel_path) {
        /* Without firmware nobody programs the PM block's PCI registers. */
        piix4_pm_set_base(b->pm, PIIX4_PM_BASE_DEFAULT);
        if (pc_load_kernel(m, b, err, err_len) < 0)
            return -1;
    }
    return 0;
}

int pc_reset(struct machine *m, char *err, size_t err_len)
{
    struct pc_board *b = m->board;
    machine_reset(m);
    pc_memory_reset(m, &b->mem);
    if (b->cfg.kernel_path) {
        piix4_pm_set_base(b->pm, PIIX4_PM_BASE_DEFAULT);
        return pc_load_kernel(m, b, err, err_len);
    }
    return 0;
}

void pc_input_key(struct machine *m, const uint8_t *set2, size_t n)
{
    i8042_keyboard_event(m->board->kbc, set2, n);
}

void pc_input_mouse(struct machine *m, int dx, int dy, int dz, unsigned buttons)
{
    i8042_mouse_event(m->board->kbc, dx, dy, dz, buttons);
}

bool pc_display_render(struct machine *m, uint32_t *pixels, unsigned *width,
                       unsigned *height)
{
    struct pc_board *b = m->board;
    if (!b || !b->vga)
        return false;
    vga_render(b->vga, pixels, width, height);
    return true;
}

void pc_destroy(struct machine *m)
{
    struct pc_board *b = m->board;
    if (!b)
        return;
    pc_memory_destroy(m, &b->mem);
    free(b);
    m->board = NULL;
}
