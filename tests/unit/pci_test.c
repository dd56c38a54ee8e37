/* Unit tests for the PCI bus (config mechanism #1, BARs, masks, INTx
 * routing), the i440FX host bridge (PAM), the PIIX3 (PIRQ, 0xcf9) and the
 * PIIX4 ACPI function (PMBA, PM timer, sleep, SCI), all driven via ports. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/i440fx.h"
#include "hw/machine.h"
#include "hw/pci.h"
#include "hw/piix3.h"
#include "hw/piix4_pm.h"
#include "test_util.h"

/* ---- port helpers ---- */

static void outl(struct machine *m, uint16_t port, uint32_t v)
{
    uint8_t d[4];
    io_data_put(d, 4, v);
    iomap_access(&m->io, port, d, 4, true);
}

static void outw(struct machine *m, uint16_t port, uint16_t v)
{
    uint8_t d[2];
    io_data_put(d, 2, v);
    iomap_access(&m->io, port, d, 2, true);
}

static void outb(struct machine *m, uint16_t port, uint8_t v)
{
    iomap_access(&m->io, port, &v, 1, true);
}

static uint32_t inl(struct machine *m, uint16_t port)
{
    uint8_t d[4];
    iomap_access(&m->io, port, d, 4, false);
    return (uint32_t)io_data_get(d, 4);
}

static uint16_t inw(struct machine *m, uint16_t port)
{
    uint8_t d[2];
    iomap_access(&m->io, port, d, 2, false);
    return (uint16_t)io_data_get(d, 2);
}

static uint8_t inb(struct machine *m, uint16_t port)
{
    uint8_t d;
    iomap_access(&m->io, port, &d, 1, false);
    return d;
}

static uint32_t cfg_addr(unsigned devfn, unsigned reg)
{
    return 0x80000000u | devfn << 8 | (reg & 0xfc);
}

static uint32_t cfg_read(struct machine *m, unsigned devfn, unsigned reg, unsigned len)
{
    outl(m, 0xcf8, cfg_addr(devfn, reg));
    uint8_t d[4];
    iomap_access(&m->io, 0xcfc + (reg & 3), d, len, false);
    return (uint32_t)io_data_get(d, len);
}

static void cfg_write(struct machine *m, unsigned devfn, unsigned reg, uint32_t v,
                      unsigned len)
{
    outl(m, 0xcf8, cfg_addr(devfn, reg));
    uint8_t d[4];
    io_data_put(d, len, v);
    iomap_access(&m->io, 0xcfc + (reg & 3), d, len, true);
}

/* ---- fixtures ---- */

struct isa_lines {
    int level[16];
    int changes[16];
};

static void isa_irq_set(void *opaque, int pin, int level)
{
    struct isa_lines *l = opaque;
    l->level[pin] = level;
    l->changes[pin]++;
}

struct pam_call {
    unsigned segment;
    uint64_t base, size;
    unsigned mode;
};

struct pam_log {
    struct pam_call calls[32];
    unsigned count;
};

static void pam_record(void *opaque, unsigned segment, uint64_t base, uint64_t size,
                       unsigned mode)
{
    struct pam_log *log = opaque;
    if (log->count < 32)
        log->calls[log->count++] = (struct pam_call){ segment, base, size, mode };
}

struct pc {
    struct machine m;
    struct pci_bus *bus;
    struct i440fx *host;
    struct piix3 *isa;
    struct piix4_pm *pm;
    struct isa_lines lines;
    struct pam_log pam;
    int sci_level, sci_changes;
};

static void sci_set(void *opaque, int pin, int level)
{
    struct pc *pc = opaque;
    (void)pin;
    pc->sci_level = level;
    pc->sci_changes++;
}

static struct pc *pc_new(void)
{
    struct pc *pc = calloc(1, sizeof(*pc));
    machine_init_core(&pc->m, true);
    pc->bus = pci_bus_create(&pc->m);
    ck_assert_ptr_nonnull(pc->bus);
    struct irq_line lines[16];
    for (int i = 0; i < 16; i++)
        lines[i] = irq_line_make(isa_irq_set, &pc->lines, i);
    pci_bus_set_isa_irqs(pc->bus, lines);
    pc->host = i440fx_create(&pc->m, pc->bus, pam_record, &pc->pam);
    ck_assert_ptr_nonnull(pc->host);
    pc->isa = piix3_create(&pc->m, pc->bus);
    ck_assert_ptr_nonnull(pc->isa);
    pc->pm = piix4_pm_create(&pc->m, pc->bus, irq_line_make(sci_set, pc, 9));
    ck_assert_ptr_nonnull(pc->pm);
    machine_reset(&pc->m);
    pc->pam.count = 0;
    return pc;
}

static void pc_free(struct pc *pc)
{
    piix4_pm_destroy(pc->pm);
    piix3_destroy(pc->isa);
    i440fx_destroy(pc->host);
    pci_bus_destroy(pc->bus);
    machine_destroy_core(&pc->m);
    free(pc);
}

/* A device with an I/O BAR and a memory BAR that records accesses. */
struct testdev {
    struct pci_device pci;
    uint64_t last_offset;
    uint64_t last_value;
    bool last_write;
    int calls;
};

static void testdev_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                       bool is_write)
{
    struct testdev *t = opaque;
    t->calls++;
    t->last_offset = offset;
    t->last_write = is_write;
    if (is_write)
        t->last_value = io_data_get(data, len);
    else
        io_data_put(data, len, 0xab00 + offset);
}

static void testdev_add(struct pc *pc, struct testdev *t, unsigned slot)
{
    memset(t, 0, sizeof(*t));
    ck_assert_int_eq(pci_register(pc->bus, &t->pci, PCI_DEVFN(slot, 0), "test"), 0);
    pci_set_ids(&t->pci, 0x1234, 0x5678);
    pci_set_class(&t->pci, 0x0200, 0x00, 0x01);
    pci_set_interrupt_pin(&t->pci, 1);
    ck_assert_int_eq(pci_set_bar(&t->pci, 0, 0x20, PCI_BAR_IO, testdev_io, t, "t-io"), 0);
    ck_assert_int_eq(pci_set_bar(&t->pci, 1, 0x1000, PCI_BAR_MEM32, testdev_io, t, "t-mem"), 0);
}

/* ---- tests ---- */

START_TEST(config_mechanism_reads_chipset_ids)
{
    struct pc *pc = pc_new();
    struct machine *m = &pc->m;
    outl(m, 0xcf8, 0x80000000);
    ck_assert_uint_eq(inl(m, 0xcf8), 0x80000000);
    /* i440FX */
    ck_assert_uint_eq(cfg_read(m, 0, 0x00, 4), 0x12378086);
    ck_assert_uint_eq(cfg_read(m, 0, 0x08, 4), 0x06000002);
    ck_assert_uint_eq(cfg_read(m, 0, 0x2c, 4), 0x11001af4);
    ck_assert_uint_eq(cfg_read(m, 0, 0x02, 2), 0x1237);
    ck_assert_uint_eq(cfg_read(m, 0, 0x0b, 1), 0x06);
    /* PIIX3 */
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(1, 0), 0x00, 4), 0x70008086);
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(1, 0), 0x0a, 2), 0x0601);
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(1, 0), 0x0e, 1), 0x80);
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(1, 0), 0x60, 4), 0x80808080);
    /* PIIX4 PM */
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(1, 3), 0x00, 4), 0x71138086);
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(1, 3), 0x08, 4), 0x06800003);
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(1, 3), 0x40, 4), 0x00000001);
    /* Absent functions, other buses, and a disabled CONFIG_ADDRESS. */
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(1, 1), 0x00, 4), 0xffffffff);
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(5, 0), 0x00, 4), 0xffffffff);
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(5, 0), 0x02, 2), 0xffff);
    outl(m, 0xcf8, 0x80010000);
    ck_assert_uint_eq(inl(m, 0xcfc), 0xffffffff);
    outl(m, 0xcf8, 0x00000000);
    ck_assert_uint_eq(inl(m, 0xcfc), 0xffffffff);
    /* Reserved/low bits of CONFIG_ADDRESS read back as zero. */
    outl(m, 0xcf8, 0xff000003);
    ck_assert_uint_eq(inl(m, 0xcf8), 0x80000000);
    /* Byte reads of 0xcf8 do not see CONFIG_ADDRESS. */
    ck_assert_uint_eq(inb(m, 0xcf8), 0xff);
    pc_free(pc);
}
END_TEST

START_TEST(write_masks_protect_read_only_fields)
{
    struct pc *pc = pc_new();
    struct machine *m = &pc->m;
    cfg_write(m, 0, 0x00, 0xffffffff, 4);
    ck_assert_uint_eq(cfg_read(m, 0, 0x00, 4), 0x12378086);
    cfg_write(m, 0, 0x08, 0, 4);
    ck_assert_uint_eq(cfg_read(m, 0, 0x08, 4), 0x06000002);
    cfg_write(m, PCI_DEVFN(1, 0), 0x0e, 0x00, 1);
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(1, 0), 0x0e, 1), 0x80);
    /* Interrupt line is writable, interrupt pin is not. */
    cfg_write(m, PCI_DEVFN(1, 3), 0x3c, 0x0000ff09, 2);
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(1, 3), 0x3c, 2), 0x0109);
    /* PIRQ route control: reserved bits 6-4 stay zero. */
    cfg_write(m, PCI_DEVFN(1, 0), 0x60, 0xff, 1);
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(1, 0), 0x60, 1), 0x8f);
    /* PMBA: bit 0 is hardwired, bits 5-1 and the upper word read zero. */
    cfg_write(m, PCI_DEVFN(1, 3), 0x40, 0xffffffff, 4);
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(1, 3), 0x40, 4), 0x0000ffc1);
    /* Status error bits are write-one-to-clear. */
    struct pci_device *host = pci_bus_find(pc->bus, 0);
    host->config[PCI_STATUS + 1] |= 0x20; /* received master abort */
    cfg_write(m, 0, 0x06, 0x0000, 2);
    ck_assert_uint_eq(cfg_read(m, 0, 0x07, 1) & 0x20, 0x20);
    cfg_write(m, 0, 0x06, 0x2000, 2);
    ck_assert_uint_eq(cfg_read(m, 0, 0x07, 1) & 0x20, 0);
    pc_free(pc);
}
END_TEST

START_TEST(bar_sizing_and_mapping)
{
    struct pc *pc = pc_new();
    struct machine *m = &pc->m;
    struct testdev t;
    testdev_add(pc, &t, 3);
    unsigned df = PCI_DEVFN(3, 0);
    ck_assert_uint_eq(cfg_read(m, df, 0x00, 4), 0x56781234);
    /* Sizing: all-ones reads back the size mask with the type bits. */
    cfg_write(m, df, 0x10, 0xffffffff, 4);
    ck_assert_uint_eq(cfg_read(m, df, 0x10, 4), 0xffffffe1);
    cfg_write(m, df, 0x14, 0xffffffff, 4);
    ck_assert_uint_eq(cfg_read(m, df, 0x14, 4), 0xfffff000);
    cfg_write(m, df, 0x18, 0xffffffff, 4);
    ck_assert_uint_eq(cfg_read(m, df, 0x18, 4), 0);
    /* Program the BARs; nothing decodes until the command register says so. */
    cfg_write(m, df, 0x10, 0xc000, 4);
    cfg_write(m, df, 0x14, 0xfebf0000, 4);
    ck_assert_uint_eq(cfg_read(m, df, 0x10, 4), 0xc001);
    ck_assert_uint_eq(inb(m, 0xc005), 0xff);
    ck_assert_int_eq(t.calls, 0);
    cfg_write(m, df, 0x04, PCI_COMMAND_IO, 2);
    ck_assert_uint_eq(inb(m, 0xc005), 0x05);
    ck_assert_int_eq(t.calls, 1);
    ck_assert_uint_eq(t.last_offset, 5);
    outw(m, 0xc01e, 0xbeef);
    ck_assert(t.last_write);
    ck_assert_uint_eq(t.last_offset, 0x1e);
    ck_assert_uint_eq(t.last_value, 0xbeef);
    ck_assert_ptr_null(iomap_find(&m->mem.mmio, 0xfebf0000));
    cfg_write(m, df, 0x04, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    uint8_t d[4];
    ck_assert(physmem_mmio_access(&m->mem, 0xfebf0ff0, d, 4, false));
    ck_assert_uint_eq(io_data_get(d, 4), 0xab00 + 0xff0);
    /* Moving the BAR moves the region. */
    cfg_write(m, df, 0x10, 0xd000, 4);
    t.calls = 0;
    ck_assert_uint_eq(inb(m, 0xc005), 0xff);
    ck_assert_int_eq(t.calls, 0);
    ck_assert_uint_eq(inb(m, 0xd007), 0x07);
    ck_assert_uint_eq(pci_bar_address(&t.pci, 0), 0xd000);
    /* Disabling decode removes both. */
    cfg_write(m, df, 0x04, 0, 2);
    t.calls = 0;
    ck_assert_uint_eq(inb(m, 0xd007), 0xff);
    ck_assert(!physmem_mmio_access(&m->mem, 0xfebf0000, d, 4, false));
    ck_assert_int_eq(t.calls, 0);
    /* A BAR being sized while decode is on does not grab the top of memory. */
    cfg_write(m, df, 0x04, PCI_COMMAND_MEMORY, 2);
    cfg_write(m, df, 0x14, 0xffffffff, 4);
    ck_assert_ptr_null(iomap_find(&m->mem.mmio, 0xfffff000));
    cfg_write(m, df, 0x14, 0xfebf0000, 4);
    ck_assert_ptr_nonnull(iomap_find(&m->mem.mmio, 0xfebf0000));
    /* Machine reset clears the BARs and unmaps them. */
    machine_reset(m);
    ck_assert_uint_eq(cfg_read(m, df, 0x14, 4), 0);
    ck_assert_ptr_null(iomap_find(&m->mem.mmio, 0xfebf0000));
    pci_unregister(&t.pci);
    ck_assert_uint_eq(cfg_read(m, df, 0x00, 4), 0xffffffff);
    pc_free(pc);
}
END_TEST

START_TEST(bar_kinds_rom_and_64bit)
{
    struct pc *pc = pc_new();
    struct machine *m = &pc->m;
    struct testdev t;
    memset(&t, 0, sizeof(t));
    unsigned df = PCI_DEVFN(4, 0);
    ck_assert_int_eq(pci_register(pc->bus, &t.pci, df, "t64"), 0);
    ck_assert_int_eq(pci_register(pc->bus, &t.pci, df, "dup"), -EEXIST);
    ck_assert_int_eq(pci_set_bar(&t.pci, 0, 0x30, PCI_BAR_IO, testdev_io, &t, "bad"), -EINVAL);
    ck_assert_int_eq(pci_set_bar(&t.pci, 5, 0x1000, PCI_BAR_MEM64, testdev_io, &t, "bad"), -EINVAL);
    ck_assert_int_eq(pci_set_bar(&t.pci, 2, 0x4000, PCI_BAR_MEM64 | PCI_BAR_PREFETCH,
                                 testdev_io, &t, "m64"), 0);
    ck_assert_int_eq(pci_set_bar(&t.pci, PCI_ROM_BAR, 0x10000, PCI_BAR_MEM32,
                                 testdev_io, &t, "rom"), 0);
    cfg_write(m, df, 0x18, 0xffffffff, 4);
    cfg_write(m, df, 0x1c, 0xffffffff, 4);
    ck_assert_uint_eq(cfg_read(m, df, 0x18, 4), 0xffffc00c);
    ck_assert_uint_eq(cfg_read(m, df, 0x1c, 4), 0xffffffff);
    cfg_write(m, df, 0x30, 0xffffffff, 4);
    ck_assert_uint_eq(cfg_read(m, df, 0x30, 4), 0xffff0001);
    /* 64-bit BAR above 4 GiB. */
    cfg_write(m, df, 0x18, 0x00000000, 4);
    cfg_write(m, df, 0x1c, 0x00000008, 4);
    cfg_write(m, df, 0x30, 0xfeb00000, 4); /* ROM not enabled (bit 0 clear) */
    cfg_write(m, df, 0x04, PCI_COMMAND_MEMORY, 2);
    ck_assert_ptr_nonnull(iomap_find(&m->mem.mmio, 0x800000000ull));
    ck_assert_ptr_null(iomap_find(&m->mem.mmio, 0xfeb00000));
    cfg_write(m, df, 0x30, 0xfeb00001, 4);
    ck_assert_ptr_nonnull(iomap_find(&m->mem.mmio, 0xfeb00000));
    ck_assert_uint_eq(pci_bar_address(&t.pci, 2), 0x800000000ull);
    pci_unregister(&t.pci);
    ck_assert_ptr_null(iomap_find(&m->mem.mmio, 0xfeb00000));
    pc_free(pc);
}
END_TEST

START_TEST(pam_writes_reach_the_board)
{
    struct pc *pc = pc_new();
    struct machine *m = &pc->m;
    cfg_write(m, 0, 0x59, 0x30, 1);
    ck_assert_uint_eq(pc->pam.count, 1);
    ck_assert_uint_eq(pc->pam.calls[0].segment, 0);
    ck_assert_uint_eq(pc->pam.calls[0].base, 0xf0000);
    ck_assert_uint_eq(pc->pam.calls[0].size, 0x10000);
    ck_assert_uint_eq(pc->pam.calls[0].mode, I440FX_PAM_READ | I440FX_PAM_WRITE);
    pc->pam.count = 0;
    cfg_write(m, 0, 0x5a, 0x31, 1);
    ck_assert_uint_eq(pc->pam.count, 2);
    ck_assert_uint_eq(pc->pam.calls[0].segment, 1);
    ck_assert_uint_eq(pc->pam.calls[0].base, 0xc0000);
    ck_assert_uint_eq(pc->pam.calls[0].size, 0x4000);
    ck_assert_uint_eq(pc->pam.calls[0].mode, I440FX_PAM_READ);
    ck_assert_uint_eq(pc->pam.calls[1].segment, 2);
    ck_assert_uint_eq(pc->pam.calls[1].base, 0xc4000);
    ck_assert_uint_eq(pc->pam.calls[1].mode, 3);
    /* Rewriting the same value reports nothing. */
    pc->pam.count = 0;
    cfg_write(m, 0, 0x5a, 0x31, 1);
    ck_assert_uint_eq(pc->pam.count, 0);
    /* SeaBIOS-style dword write at 0x5c: PAM3-PAM6, last segment 0xEC000. */
    cfg_write(m, 0, 0x5c, 0x10000000, 4);
    ck_assert_uint_eq(pc->pam.count, 1);
    ck_assert_uint_eq(pc->pam.calls[0].segment, 12);
    ck_assert_uint_eq(pc->pam.calls[0].base, 0xec000);
    ck_assert_uint_eq(pc->pam.calls[0].mode, 1);
    ck_assert_uint_eq(i440fx_pam_mode(pc->host, 12), 1);
    /* PAM0's low nibble is reserved. */
    cfg_write(m, 0, 0x59, 0xff, 1);
    ck_assert_uint_eq(cfg_read(m, 0, 0x59, 1), 0x30);
    /* Reset reports every segment back to mode 0. */
    pc->pam.count = 0;
    machine_reset(m);
    ck_assert_uint_eq(pc->pam.count, I440FX_PAM_SEGMENTS);
    for (unsigned i = 0; i < I440FX_PAM_SEGMENTS; i++)
        ck_assert_uint_eq(pc->pam.calls[i].mode, 0);
    ck_assert_uint_eq(cfg_read(m, 0, 0x58, 4) & 0xffffff00, 0);
    pc_free(pc);
}
END_TEST

static int smram_open_seen = -1;
static void smram_cb(void *opaque, bool open)
{
    (void)opaque;
    smram_open_seen = open;
}

START_TEST(smram_lock)
{
    struct pc *pc = pc_new();
    struct machine *m = &pc->m;
    i440fx_set_smram_callback(pc->host, smram_cb, NULL);
    ck_assert_uint_eq(cfg_read(m, 0, 0x72, 1), 0x02);
    cfg_write(m, 0, 0x72, 0x4a, 1);
    ck_assert_uint_eq(cfg_read(m, 0, 0x72, 1), 0x4a);
    ck_assert_int_eq(smram_open_seen, 1);
    /* D_LCK closes the window and freezes it. */
    cfg_write(m, 0, 0x72, 0x1a, 1);
    ck_assert_int_eq(smram_open_seen, 0);
    cfg_write(m, 0, 0x72, 0x42, 1);
    ck_assert_uint_eq(cfg_read(m, 0, 0x72, 1), 0x1a);
    machine_reset(m);
    ck_assert_uint_eq(cfg_read(m, 0, 0x72, 1), 0x02);
    cfg_write(m, 0, 0x72, 0x40, 1);
    ck_assert_uint_eq(cfg_read(m, 0, 0x72, 1), 0x42);
    pc_free(pc);
}
END_TEST

START_TEST(pirq_routing_of_intx)
{
    struct pc *pc = pc_new();
    struct machine *m = &pc->m;
    /* The standard swizzle: slot 1 INTA -> PIRQA, slot 2 INTA -> PIRQB. */
    ck_assert_uint_eq(pci_swizzle_pirq(1, 0), 0);
    ck_assert_uint_eq(pci_swizzle_pirq(2, 0), 1);
    ck_assert_uint_eq(pci_swizzle_pirq(2, 3), 0);
    ck_assert_uint_eq(pci_swizzle_pirq(4, 1), 0);
    struct testdev t;
    testdev_add(pc, &t, 3); /* INTA of slot 3 -> PIRQC */
    /* Unrouted: raising the pin drives nothing. */
    pci_set_irq(&t.pci, 1);
    for (int i = 0; i < 16; i++)
        ck_assert_int_eq(pc->lines.changes[i], 0);
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(3, 0), 0x06, 2) & PCI_STATUS_INTERRUPT,
                      PCI_STATUS_INTERRUPT);
    /* Routing PIRQC to IRQ 11 while asserted raises it at once. */
    cfg_write(m, PCI_DEVFN(1, 0), 0x62, 11, 1);
    ck_assert_int_eq(pc->lines.level[11], 1);
    pci_set_irq(&t.pci, 0);
    ck_assert_int_eq(pc->lines.level[11], 0);
    pci_set_irq(&t.pci, 1);
    ck_assert_int_eq(pc->lines.level[11], 1);
    /* Re-routing moves the level from 11 to 10. */
    cfg_write(m, PCI_DEVFN(1, 0), 0x62, 10, 1);
    ck_assert_int_eq(pc->lines.level[11], 0);
    ck_assert_int_eq(pc->lines.level[10], 1);
    /* INTx disable in the command register masks the pin. */
    cfg_write(m, PCI_DEVFN(3, 0), 0x04, PCI_COMMAND_INTX_DISABLE, 2);
    ck_assert_int_eq(pc->lines.level[10], 0);
    cfg_write(m, PCI_DEVFN(3, 0), 0x04, 0, 2);
    ck_assert_int_eq(pc->lines.level[10], 1);
    /* Bit 7 disables the route. */
    cfg_write(m, PCI_DEVFN(1, 0), 0x62, 0x8a, 1);
    ck_assert_int_eq(pc->lines.level[10], 0);
    /* Another PIRQ link is unaffected by this device. */
    cfg_write(m, PCI_DEVFN(1, 0), 0x62, 10, 1);
    cfg_write(m, PCI_DEVFN(1, 0), 0x60, 5, 1);
    ck_assert_int_eq(pc->lines.level[5], 0);
    ck_assert_int_eq(pc->lines.changes[5], 0);
    /* Two links on one IRQ: the line stays up until both drop. */
    struct testdev u;
    testdev_add(pc, &u, 2); /* INTA of slot 2 -> PIRQB */
    cfg_write(m, PCI_DEVFN(1, 0), 0x61, 10, 1);
    pci_set_irq(&u.pci, 1);
    pci_set_irq(&t.pci, 0);
    ck_assert_int_eq(pc->lines.level[10], 1);
    pci_set_irq(&u.pci, 0);
    ck_assert_int_eq(pc->lines.level[10], 0);
    pci_unregister(&u.pci);
    pci_unregister(&t.pci);
    pc_free(pc);
}
END_TEST

START_TEST(reset_control_register)
{
    struct pc *pc = pc_new();
    struct machine *m = &pc->m;
    outb(m, 0xcf9, 0x02);
    ck_assert_int_eq(atomic_load(&m->reset_requested), 0);
    ck_assert_uint_eq(inb(m, 0xcf9), 0x02);
    outb(m, 0xcf9, 0x06);
    ck_assert_int_eq(atomic_load(&m->reset_requested), 1);
    ck_assert_uint_eq(inb(m, 0xcf9), 0x02);
    /* A dword at 0xcf8 still reaches CONFIG_ADDRESS. */
    outl(m, 0xcf8, 0x80000800);
    ck_assert_uint_eq(inl(m, 0xcf8), 0x80000800);
    machine_reset(m);
    ck_assert_uint_eq(inb(m, 0xcf9), 0x00);
    pc_free(pc);
}
END_TEST

/* ---- PIIX4 power management ---- */

static void pm_enable_at(struct machine *m, uint16_t base)
{
    cfg_write(m, PCI_DEVFN(1, 3), 0x40, base | 1u, 4);
    cfg_write(m, PCI_DEVFN(1, 3), 0x80, 0x01, 1);
}

START_TEST(pm_pmba_maps_the_block)
{
    struct pc *pc = pc_new();
    struct machine *m = &pc->m;
    ck_assert_uint_eq(inl(m, 0xb008), 0xffffffff);
    cfg_write(m, PCI_DEVFN(1, 3), 0x40, 0xb001, 4);
    ck_assert_uint_eq(inl(m, 0xb008), 0xffffffff); /* PMIOSE still clear */
    cfg_write(m, PCI_DEVFN(1, 3), 0x80, 0x01, 1);
    vclock_advance(&m->clock, 1000000);
    ck_assert_uint_eq(inl(m, 0xb008), 3579);
    ck_assert_uint_eq(inw(m, 0xb004), 0);
    /* Moving PMBA moves the block. */
    cfg_write(m, PCI_DEVFN(1, 3), 0x40, 0x0601, 4);
    ck_assert_uint_eq(inl(m, 0xb008), 0xffffffff);
    ck_assert_uint_eq(inl(m, 0x608), 3579);
    cfg_write(m, PCI_DEVFN(1, 3), 0x80, 0x00, 1);
    ck_assert_uint_eq(inl(m, 0x608), 0xffffffff);
    /* SMBus base: accepted and stored. */
    cfg_write(m, PCI_DEVFN(1, 3), 0x90, 0x0701, 4);
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(1, 3), 0x90, 4), 0x0701);
    /* SMM reported as set up (DEVACTB APMC_EN), so SeaBIOS skips it. */
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(1, 3), 0x58, 4) & (1u << 25), 1u << 25);
    /* A fixed base survives reset. */
    ck_assert_int_eq(piix4_pm_set_base(pc->pm, PIIX4_PM_BASE_DEFAULT), 0);
    ck_assert_uint_eq(inl(m, 0x608), 3579);
    machine_reset(m);
    ck_assert_uint_eq(inl(m, 0x608), 3579);
    ck_assert_uint_eq(cfg_read(m, PCI_DEVFN(1, 3), 0x40, 4), 0x0601);
    pc_free(pc);
}
END_TEST

START_TEST(pm_timer_rate_and_wrap)
{
    struct pc *pc = pc_new();
    struct machine *m = &pc->m;
    pm_enable_at(m, 0x600);
    uint32_t t0 = inl(m, 0x608);
    vclock_advance(&m->clock, NS_PER_SEC);
    ck_assert_uint_eq(inl(m, 0x608) - t0, 3579545);
    ck_assert_uint_eq(piix4_pm_timer_read(pc->pm), 3579545);
    /* Just before and after 2^24 ticks (4.687 s) of virtual time. */
    uint64_t wrap_ns = vclock_ticks_to_ns(1ull << 24, PIIX4_PM_TIMER_HZ);
    vclock_advance(&m->clock, wrap_ns - NS_PER_SEC - 1000);
    uint32_t before = inl(m, 0x608);
    ck_assert_uint_gt(before, 0xffff00);
    ck_assert_uint_le(before, 0xffffff);
    vclock_advance(&m->clock, 2000);
    uint32_t after = inl(m, 0x608);
    ck_assert_uint_lt(after, 0x100);
    /* Only 24 bits are ever visible. */
    vclock_advance(&m->clock, 10 * NS_PER_SEC);
    ck_assert_uint_eq(inl(m, 0x608) >> 24, 0);
    pc_free(pc);
}
END_TEST

START_TEST(pm_sleep_s5_shuts_down)
{
    struct pc *pc = pc_new();
    struct machine *m = &pc->m;
    pm_enable_at(m, 0x600);
    /* S3 (SLP_TYP 1) is not offered and is ignored. */
    outw(m, 0x604, (1 << 10) | PIIX4_PM1_SLP_EN);
    ck_assert_int_eq(atomic_load(&m->shutdown_requested), 0);
    /* SLP_EN reads back as zero. */
    ck_assert_uint_eq(inw(m, 0x604), 1 << 10);
    outw(m, 0x604, (PIIX4_PM_SLP_TYP_S5 << 10) | PIIX4_PM1_SLP_EN | PIIX4_PM1_SCI_EN);
    ck_assert_int_eq(atomic_load(&m->shutdown_requested), 1);
    ck_assert_int_eq(atomic_load(&m->exit_status), 0);
    pc_free(pc);
}
END_TEST

START_TEST(pm_sci_follows_timer_status)
{
    struct pc *pc = pc_new();
    struct machine *m = &pc->m;
    pm_enable_at(m, 0x600);
    /* ACPI enable through the APM port sets SCI_EN. */
    outb(m, PIIX4_PM_SMI_CMD_PORT, PIIX4_PM_ACPI_ENABLE);
    ck_assert_uint_eq(inw(m, 0x604) & PIIX4_PM1_SCI_EN, PIIX4_PM1_SCI_EN);
    ck_assert_uint_eq(inb(m, PIIX4_PM_SMI_CMD_PORT), PIIX4_PM_ACPI_ENABLE);
    outw(m, 0x602, PIIX4_PM1_TMR);
    ck_assert_uint_eq(inw(m, 0x602), PIIX4_PM1_TMR);
    ck_assert_int_eq(pc->sci_level, 0);
    /* Bit 23 first toggles after 2^23 ticks = 2.343 s. */
    uint64_t toggle_ns = vclock_ticks_to_ns(1ull << 23, PIIX4_PM_TIMER_HZ);
    vclock_advance(&m->clock, toggle_ns - 1000);
    ck_assert_int_eq(pc->sci_level, 0);
    ck_assert_uint_eq(inw(m, 0x600) & PIIX4_PM1_TMR, 0);
    vclock_advance(&m->clock, 2000);
    ck_assert_int_eq(pc->sci_level, 1);
    ck_assert_uint_eq(inw(m, 0x600) & PIIX4_PM1_TMR, PIIX4_PM1_TMR);
    /* Write-one-to-clear drops the SCI; writing zero does not. */
    outw(m, 0x600, 0);
    ck_assert_int_eq(pc->sci_level, 1);
    outw(m, 0x600, PIIX4_PM1_TMR);
    ck_assert_int_eq(pc->sci_level, 0);
    ck_assert_uint_eq(inw(m, 0x600) & PIIX4_PM1_TMR, 0);
    /* The next toggle (bit 23 falling at 2^24 ticks) raises it again. */
    vclock_advance(&m->clock, toggle_ns);
    ck_assert_int_eq(pc->sci_level, 1);
    /* Disabling SCI_EN lowers the line with the status still set. */
    outb(m, PIIX4_PM_SMI_CMD_PORT, PIIX4_PM_ACPI_DISABLE);
    ck_assert_int_eq(pc->sci_level, 0);
    ck_assert_uint_eq(inw(m, 0x600) & PIIX4_PM1_TMR, PIIX4_PM1_TMR);
    /* With TMR_EN clear no timer runs, yet the status still latches. */
    outw(m, 0x600, PIIX4_PM1_TMR);
    outw(m, 0x602, 0);
    ck_assert(!vtimer_armed(&pc->pm->tmr_timer));
    vclock_advance(&m->clock, toggle_ns + 1000);
    ck_assert_uint_eq(inw(m, 0x600) & PIIX4_PM1_TMR, PIIX4_PM1_TMR);
    ck_assert_int_eq(pc->sci_level, 0);
    /* The power button with its enable set raises the SCI too. */
    outb(m, PIIX4_PM_SMI_CMD_PORT, PIIX4_PM_ACPI_ENABLE);
    ck_assert(!piix4_pm_power_button(pc->pm));
    outw(m, 0x602, PIIX4_PM1_PWRBTN);
    ck_assert(piix4_pm_power_button(pc->pm));
    ck_assert_int_eq(pc->sci_level, 1);
    ck_assert_uint_eq(inl(m, 0x600) & 0xffff, PIIX4_PM1_TMR | PIIX4_PM1_PWRBTN);
    ck_assert_uint_eq(inl(m, 0x600) >> 16, PIIX4_PM1_PWRBTN);
    /* GPE0: status is write-one-to-clear, enable is stored. */
    outl(m, 0x610, 0x0000000f);
    ck_assert_uint_eq(inl(m, 0x610), 0x0000000f);
    pc->pm->gpe_sts = 0x3;
    outl(m, 0x60c, 0x1);
    ck_assert_uint_eq(inl(m, 0x60c), 0x2);
    /* Reset lowers the SCI and clears the registers. */
    machine_reset(m);
    ck_assert_int_eq(pc->sci_level, 0);
    pc_free(pc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pci");
    TCase *tc = tcase_create("pci");
    tcase_add_test(tc, config_mechanism_reads_chipset_ids);
    tcase_add_test(tc, write_masks_protect_read_only_fields);
    tcase_add_test(tc, bar_sizing_and_mapping);
    tcase_add_test(tc, bar_kinds_rom_and_64bit);
    tcase_add_test(tc, pam_writes_reach_the_board);
    tcase_add_test(tc, smram_lock);
    tcase_add_test(tc, pirq_routing_of_intx);
    tcase_add_test(tc, reset_control_register);
    tcase_add_test(tc, pm_pmba_maps_the_block);
    tcase_add_test(tc, pm_timer_rate_and_wrap);
    tcase_add_test(tc, pm_sleep_s5_shuts_down);
    tcase_add_test(tc, pm_sci_follows_timer_status);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
