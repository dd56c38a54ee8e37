/* PCI bus 0: configuration mechanism #1, config space with write masks,
 * BAR sizing and mapping into the machine's port and MMIO maps, and INTx
 * routing through the PIRQ links to ISA IRQ lines. */
#include "hw/pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/machine.h"

#define PCI_CONFIG_ADDRESS_PORT 0xcf8
#define PCI_CONFIG_DATA_PORT    0xcfc
#define PCI_CONFIG_ENABLE       0x80000000u
/* Bits 30-24 are reserved and bits 1-0 are not part of the register
 * number, so they read back as zero. */
#define PCI_CONFIG_ADDRESS_MASK 0x80fffffcu

static uint32_t all_ones(unsigned len)
{
    return len >= 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
}

unsigned pci_swizzle_pirq(unsigned slot, unsigned intx)
{
    /* The i440FX/PIIX wiring (and SeaBIOS's $PIR table and QEMU's _PRT)
     * send INTA of slot 1 to PIRQA, INTA of slot 2 to PIRQB, and so on. */
    return (slot + intx + 3) & 3;
}

/* ---- interrupts ---- */

void pci_bus_update_irqs(struct pci_bus *bus)
{
    bool level[16] = { false };
    for (unsigned p = 0; p < 4; p++) {
        if (!bus->pirq_count[p] || !bus->route_pirq)
            continue;
        int irq = bus->route_pirq(bus->route_opaque, p);
        if (irq >= 0 && irq < 16)
            level[irq] = true;
    }
    /* Only lines whose level changed are driven, so an ISA line that no
     * PIRQ is routed to stays entirely under its ISA owner's control. */
    for (unsigned i = 0; i < 16; i++) {
        if (level[i] != bus->isa_level[i]) {
            bus->isa_level[i] = level[i];
            irq_set(&bus->isa_irq[i], level[i]);
        }
    }
}

static void pci_irq_refresh(struct pci_device *dev)
{
    unsigned pin = dev->config[PCI_INTERRUPT_PIN];
    if (pin < 1 || pin > 4 || !dev->bus)
        return;
    bool asserted = dev->irq_level &&
                    !(pci_get16(dev, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
    if (asserted == dev->irq_asserted)
        return;
    dev->irq_asserted = asserted;
    unsigned pirq = pci_swizzle_pirq(PCI_SLOT(dev->devfn), pin - 1);
    if (asserted)
        dev->bus->pirq_count[pirq]++;
    else
        dev->bus->pirq_count[pirq]--;
    pci_bus_update_irqs(dev->bus);
}

void pci_set_irq(struct pci_device *dev, int level)
{
    dev->irq_level = level != 0;
    /* The status bit shows the pin's state even when INTx is disabled. */
    if (dev->irq_level)
        dev->config[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
    else
        dev->config[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
    pci_irq_refresh(dev);
}

/* ---- BARs ---- */

static unsigned bar_reg(unsigned index)
{
    return index == PCI_ROM_BAR ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * index;
}

uint64_t pci_bar_address(const struct pci_device *dev, unsigned index)
{
    const struct pci_bar *bar = &dev->bars[index];
    uint32_t lo = pci_get32(dev, bar_reg(index));
    if (index == PCI_ROM_BAR)
        return lo & ~0x7ffu;
    if (bar->kind & PCI_BAR_IO)
        return lo & ~0x3u;
    uint64_t addr = lo & ~0xfu;
    if (bar->kind & PCI_BAR_MEM64)
        addr |= (uint64_t)pci_get32(dev, bar_reg(index) + 4) << 32;
    return addr;
}

/* Where the BAR should be decoded now, or false when it should not be. */
static bool bar_target(const struct pci_device *dev, unsigned index, uint64_t *out)
{
    const struct pci_bar *bar = &dev->bars[index];
    uint16_t cmd = pci_get16(dev, PCI_COMMAND);
    bool io = bar->kind & PCI_BAR_IO;
    if (io ? !(cmd & PCI_COMMAND_IO) : !(cmd & PCI_COMMAND_MEMORY))
        return false;
    if (index == PCI_ROM_BAR && !(dev->config[PCI_ROM_ADDRESS] & 1))
        return false;
    uint64_t addr = pci_bar_address(dev, index);
    uint64_t last = addr + bar->size - 1;
    /* Zero means unassigned; the top-of-range cases are what a BAR holds
     * while it is being sized, which must not shadow anything. */
    if (addr == 0 || last < addr)
        return false;
    if (io && last > 0xffff)
        return false;
    if (!io && !(bar->kind & PCI_BAR_MEM64) && last >= 0xffffffffull)
        return false;
    if ((bar->kind & PCI_BAR_MEM64) && last >= (1ull << 52))
        return false;
    *out = addr;
    return true;
}

static struct iomap *bar_space(struct pci_device *dev, unsigned index)
{
    struct machine *m = dev->bus->m;
    return (dev->bars[index].kind & PCI_BAR_IO) ? &m->io : &m->mem.mmio;
}

static void bar_unmap(struct pci_device *dev, unsigned index)
{
    struct pci_bar *bar = &dev->bars[index];
    if (!bar->mapped)
        return;
    iomap_remove(bar_space(dev, index), bar->mapped_addr);
    bar->mapped = false;
}

void pci_update_mappings(struct pci_device *dev)
{
    if (!dev->bus)
        return;
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        struct pci_bar *bar = &dev->bars[i];
        if (!bar->size || !bar->handler)
            continue;
        uint64_t addr = 0;
        bool want = bar_target(dev, i, &addr);
        if (bar->mapped && (!want || addr != bar->mapped_addr))
            bar_unmap(dev, i);
        if (want && !bar->mapped) {
            /* A clash with another region leaves the BAR undecoded, as
             * if the guest had put it where nothing answers. */
            if (iomap_add(bar_space(dev, i), addr, bar->size, bar->handler,
                          bar->opaque, bar->name ? bar->name : dev->name) == 0) {
                bar->mapped = true;
                bar->mapped_addr = addr;
            }
        }
    }
}

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

int pci_set_bar(struct pci_device *dev, unsigned index, uint64_t size, unsigned kind,
                io_handler_fn fn, void *opaque, const char *name)
{
    if (index >= PCI_NUM_BARS || !is_pow2(size))
        return -EINVAL;
    bool io = kind & PCI_BAR_IO, m64 = kind & PCI_BAR_MEM64;
    if (io + !!(kind & PCI_BAR_MEM32) + m64 != 1)
        return -EINVAL;
    if (index == PCI_ROM_BAR) {
        if (io || m64 || size < 0x800 || size > 0x80000000ull)
            return -EINVAL;
    } else if (io) {
        if (size < 4 || size > 0x10000 || (kind & PCI_BAR_PREFETCH))
            return -EINVAL;
    } else if (size < 16 || (!m64 && size > 0x80000000ull) || (m64 && index >= 5)) {
        return -EINVAL;
    }
    if (dev->bus)
        bar_unmap(dev, index);
    unsigned reg = bar_reg(index);
    uint32_t flags, mask;
    if (index == PCI_ROM_BAR) {
        flags = 0;
        mask = ((uint32_t)~(size - 1) & 0xfffff800u) | 1u;
    } else if (io) {
        flags = 0x1;
        mask = (uint32_t)~(size - 1) & 0xfffffffcu;
    } else {
        flags = (m64 ? 0x4 : 0x0) | ((kind & PCI_BAR_PREFETCH) ? 0x8 : 0x0);
        mask = (uint32_t)~(size - 1) & 0xfffffff0u;
    }
    pci_set32(dev, reg, flags);
    for (unsigned i = 0; i < 4; i++)
        dev->wmask[reg + i] = (uint8_t)(mask >> (8 * i));
    if (m64) {
        uint32_t hi = (uint32_t)(~(size - 1) >> 32);
        pci_set32(dev, reg + 4, 0);
        for (unsigned i = 0; i < 4; i++)
            dev->wmask[reg + 4 + i] = (uint8_t)(hi >> (8 * i));
        memset(&dev->bars[index + 1], 0, sizeof(dev->bars[0]));
    }
    struct pci_bar *bar = &dev->bars[index];
    bar->size = size;
    bar->kind = kind;
    bar->handler = fn;
    bar->opaque = opaque;
    bar->name = name;
    bar->mapped = false;
    return 0;
}

/* ---- config space ---- */

uint32_t pci_default_config_read(struct pci_device *dev, unsigned reg, unsigned len)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < len && reg + i < 256; i++)
        v |= (uint32_t)dev->config[reg + i] << (8 * i);
    return v;
}

static bool range_touches(unsigned reg, unsigned len, unsigned lo, unsigned hi)
{
    return reg <= hi && reg + len - 1 >= lo;
}

void pci_default_config_write(struct pci_device *dev, unsigned reg, uint32_t val,
                              unsigned len)
{
    for (unsigned i = 0; i < len && reg + i < 256; i++) {
        unsigned r = reg + i;
        uint8_t b = (uint8_t)(val >> (8 * i));
        dev->config[r] = (uint8_t)((dev->config[r] & ~dev->wmask[r]) | (b & dev->wmask[r]));
        dev->config[r] &= (uint8_t)~(b & dev->w1cmask[r]);
    }
    bool cmd = range_touches(reg, len, PCI_COMMAND, PCI_COMMAND + 1);
    if (cmd || range_touches(reg, len, PCI_BASE_ADDRESS_0, 0x27) ||
        range_touches(reg, len, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS + 3))
        pci_update_mappings(dev);
    if (cmd)
        pci_irq_refresh(dev);
}

uint32_t pci_bus_config_read(struct pci_bus *bus, unsigned devfn, unsigned reg,
                             unsigned len)
{
    struct pci_device *dev = bus->devices[devfn & 0xff];
    if (!dev || reg > 0xff)
        return all_ones(len);
    if (dev->config_read)
        return dev->config_read(dev, reg, len);
    return pci_default_config_read(dev, reg, len);
}

void pci_bus_config_write(struct pci_bus *bus, unsigned devfn, unsigned reg,
                          uint32_t val, unsigned len)
{
    struct pci_device *dev = bus->devices[devfn & 0xff];
    if (!dev || reg > 0xff)
        return;
    if (dev->config_write)
        dev->config_write(dev, reg, val, len);
    else
        pci_default_config_write(dev, reg, val, len);
}

/* ---- ports ---- */

static void pci_address_port(void *opaque, uint64_t offset, uint8_t *data,
                             unsigned len, bool is_write)
{
    struct pci_bus *bus = opaque;
    if (offset == 0 && len == 4) {
        if (is_write)
            bus->config_address = (uint32_t)io_data_get(data, 4) & PCI_CONFIG_ADDRESS_MASK;
        else
            io_data_put(data, 4, bus->config_address);
        return;
    }
    /* Only dword accesses hit CONFIG_ADDRESS; narrower ones go to
     * whatever else decodes these ports, which on a PIIX is just 0xcf9. */
    if (offset == 1 && len == 1 && bus->cf9_handler) {
        bus->cf9_handler(bus->cf9_opaque, 0, data, 1, is_write);
        return;
    }
    if (!is_write)
        memset(data, 0xff, len);
}

static void pci_data_port(void *opaque, uint64_t offset, uint8_t *data,
                          unsigned len, bool is_write)
{
    struct pci_bus *bus = opaque;
    uint32_t a = bus->config_address;
    unsigned busno = (a >> 16) & 0xff, devfn = (a >> 8) & 0xff;
    unsigned reg = (a & 0xfc) + (unsigned)offset;
    if (!(a & PCI_CONFIG_ENABLE) || busno != 0) {
        if (!is_write)
            memset(data, 0xff, len);
        return;
    }
    if (is_write)
        pci_bus_config_write(bus, devfn, reg, (uint32_t)io_data_get(data, len), len);
    else
        io_data_put(data, len, pci_bus_config_read(bus, devfn, reg, len));
}

/* ---- devices ---- */

void pci_device_reset(struct pci_device *dev)
{
    uint16_t cmd_bits = pci_get16(dev, PCI_COMMAND);
    uint16_t cmd_clear = (uint16_t)(dev->wmask[PCI_COMMAND] | dev->wmask[PCI_COMMAND + 1] << 8);
    pci_set16(dev, PCI_COMMAND, cmd_bits & (uint16_t)~cmd_clear);
    dev->config[PCI_STATUS] &= (uint8_t)~dev->w1cmask[PCI_STATUS];
    dev->config[PCI_STATUS + 1] &= (uint8_t)~dev->w1cmask[PCI_STATUS + 1];
    dev->config[PCI_CACHE_LINE_SIZE] = 0;
    dev->config[PCI_LATENCY_TIMER] = 0;
    dev->config[PCI_INTERRUPT_LINE] = 0;
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        unsigned reg = bar_reg(i);
        for (unsigned b = 0; b < 4; b++)
            dev->config[reg + b] &= (uint8_t)~dev->wmask[reg + b];
        if (dev->bars[i].kind & PCI_BAR_MEM64)
            for (unsigned b = 4; b < 8; b++)
                dev->config[reg + b] &= (uint8_t)~dev->wmask[reg + b];
    }
    pci_update_mappings(dev);
    pci_set_irq(dev, 0);
}

static void pci_bus_reset(void *opaque)
{
    struct pci_bus *bus = opaque;
    bus->config_address = 0;
    for (unsigned i = 0; i < 256; i++)
        if (bus->devices[i])
            pci_device_reset(bus->devices[i]);
}

int pci_register(struct pci_bus *bus, struct pci_device *dev, unsigned devfn,
                 const char *name)
{
    if (!bus || !dev || devfn > 0xff)
        return -EINVAL;
    if (bus->devices[devfn])
        return -EEXIST;
    memset(dev->config, 0, sizeof(dev->config));
    memset(dev->wmask, 0, sizeof(dev->wmask));
    memset(dev->w1cmask, 0, sizeof(dev->w1cmask));
    memset(dev->bars, 0, sizeof(dev->bars));
    dev->irq_level = dev->irq_asserted = false;
    dev->name = name;
    dev->devfn = devfn;
    dev->bus = bus;
    uint16_t cmd_mask = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                        PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE;
    dev->wmask[PCI_COMMAND] = (uint8_t)cmd_mask;
    dev->wmask[PCI_COMMAND + 1] = (uint8_t)(cmd_mask >> 8);
    /* Error bits in status (parity, target/master aborts, SERR) are RW1C. */
    dev->w1cmask[PCI_STATUS + 1] = 0xf9;
    dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    dev->wmask[PCI_LATENCY_TIMER] = 0xff;
    dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
    memset(&dev->wmask[0x40], 0xff, 256 - 0x40);
    pci_set_subsystem(dev, PCI_SUBVENDOR_DEFAULT, PCI_SUBDEVICE_DEFAULT);
    bus->devices[devfn] = dev;
    return 0;
}

void pci_unregister(struct pci_device *dev)
{
    if (!dev->bus)
        return;
    pci_set_irq(dev, 0);
    for (unsigned i = 0; i < PCI_NUM_BARS; i++)
        bar_unmap(dev, i);
    dev->bus->devices[dev->devfn] = NULL;
    dev->bus = NULL;
}

void pci_set_ids(struct pci_device *dev, uint16_t vendor, uint16_t device)
{
    pci_set16(dev, PCI_VENDOR_ID, vendor);
    pci_set16(dev, PCI_DEVICE_ID, device);
}

void pci_set_class(struct pci_device *dev, uint16_t class_code, uint8_t prog_if,
                   uint8_t revision)
{
    pci_set16(dev, PCI_CLASS_DEVICE, class_code);
    pci_set8(dev, PCI_CLASS_PROG, prog_if);
    pci_set8(dev, PCI_REVISION_ID, revision);
}

void pci_set_subsystem(struct pci_device *dev, uint16_t vendor, uint16_t id)
{
    pci_set16(dev, PCI_SUBSYSTEM_VENDOR_ID, vendor);
    pci_set16(dev, PCI_SUBSYSTEM_ID, id);
}

void pci_set_header_type(struct pci_device *dev, uint8_t type)
{
    pci_set8(dev, PCI_HEADER_TYPE, type);
}

void pci_set_interrupt_pin(struct pci_device *dev, unsigned pin)
{
    if (pin > 4)
        return;
    pci_set_irq(dev, 0);
    pci_set8(dev, PCI_INTERRUPT_PIN, (uint8_t)pin);
}

int pci_add_capability(struct pci_device *dev, uint8_t cap_id, unsigned offset,
                       unsigned size)
{
    if (offset < 0x40 || (offset & 3) || size < 2 || offset + size > 256)
        return -EINVAL;
    dev->config[offset] = cap_id;
    dev->config[offset + 1] = dev->config[PCI_CAPABILITY_LIST];
    dev->wmask[offset] = dev->wmask[offset + 1] = 0;
    dev->config[PCI_CAPABILITY_LIST] = (uint8_t)offset;
    dev->config[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    return (int)offset;
}

/* ---- bus ---- */

struct pci_bus *pci_bus_create(struct machine *m)
{
    struct pci_bus *bus = calloc(1, sizeof(*bus));
    if (!bus)
        return NULL;
    bus->m = m;
    if (iomap_add(&m->io, PCI_CONFIG_ADDRESS_PORT, 4, pci_address_port, bus,
                  "pci-config-address") < 0) {
        free(bus);
        return NULL;
    }
    if (iomap_add(&m->io, PCI_CONFIG_DATA_PORT, 4, pci_data_port, bus,
                  "pci-config-data") < 0) {
        iomap_remove(&m->io, PCI_CONFIG_ADDRESS_PORT);
        free(bus);
        return NULL;
    }
    machine_register_reset(m, pci_bus_reset, bus);
    return bus;
}

void pci_bus_destroy(struct pci_bus *bus)
{
    if (!bus)
        return;
    for (unsigned i = 0; i < 256; i++)
        if (bus->devices[i])
            pci_unregister(bus->devices[i]);
    iomap_remove(&bus->m->io, PCI_CONFIG_ADDRESS_PORT);
    iomap_remove(&bus->m->io, PCI_CONFIG_DATA_PORT);
    free(bus);
}

void pci_bus_set_isa_irqs(struct pci_bus *bus, const struct irq_line lines[16])
{
    for (unsigned i = 0; i < 16; i++)
        bus->isa_irq[i] = lines[i];
}

void pci_bus_set_pirq_router(struct pci_bus *bus, pci_pirq_route_fn fn, void *opaque)
{
    bus->route_pirq = fn;
    bus->route_opaque = opaque;
    pci_bus_update_irqs(bus);
}

void pci_bus_set_cf9_handler(struct pci_bus *bus, io_handler_fn fn, void *opaque)
{
    bus->cf9_handler = fn;
    bus->cf9_opaque = opaque;
}

struct pci_device *pci_bus_find(struct pci_bus *bus, unsigned devfn)
{
    return devfn < 256 ? bus->devices[devfn] : NULL;
}
