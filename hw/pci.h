/* PCI bus 0 behind configuration mechanism #1 (ports 0xcf8/0xcfc): devices
 * with a 256-byte config space, BARs mapped into port or MMIO space, and
 * INTx pins routed through the chipset's PIRQ links to ISA IRQ lines. */
#ifndef VX86_HW_PCI_H
#define VX86_HW_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/irq.h"
#include "softmmu/iomap.h"

struct machine;
struct pci_bus;

/* Standard type-0 header offsets. */
#define PCI_VENDOR_ID        0x00
#define PCI_DEVICE_ID        0x02
#define PCI_COMMAND          0x04
#define PCI_STATUS           0x06
#define PCI_REVISION_ID      0x08
#define PCI_CLASS_PROG       0x09
#define PCI_CLASS_DEVICE     0x0a
#define PCI_CACHE_LINE_SIZE  0x0c
#define PCI_LATENCY_TIMER    0x0d
#define PCI_HEADER_TYPE      0x0e
#define PCI_BASE_ADDRESS_0   0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID     0x2e
#define PCI_ROM_ADDRESS      0x30
#define PCI_CAPABILITY_LIST  0x34
#define PCI_INTERRUPT_LINE   0x3c
#define PCI_INTERRUPT_PIN    0x3d

#define PCI_COMMAND_IO          0x0001
#define PCI_COMMAND_MEMORY      0x0002
#define PCI_COMMAND_MASTER      0x0004
#define PCI_COMMAND_PARITY      0x0040
#define PCI_COMMAND_SERR        0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400

#define PCI_STATUS_INTERRUPT    0x0008
#define PCI_STATUS_CAP_LIST     0x0010
#define PCI_STATUS_DEVSEL_MEDIUM 0x0200

#define PCI_HEADER_TYPE_MULTI_FUNCTION 0x80

/* Subsystem ids QEMU gives its devices; SeaBIOS checks them on 00:00.0 to
 * recognise the machine as a QEMU-style PC. */
#define PCI_SUBVENDOR_DEFAULT 0x1af4
#define PCI_SUBDEVICE_DEFAULT 0x1100

#define PCI_DEVFN(dev, fn) ((((dev) & 0x1f) << 3) | ((fn) & 7))
#define PCI_SLOT(devfn)    (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)    ((devfn) & 7)

/* BAR kinds for pci_set_bar(). */
#define PCI_BAR_IO          0x1 /* port I/O space */
#define PCI_BAR_MEM32       0x2 /* 32-bit memory space */
#define PCI_BAR_MEM64       0x4 /* 64-bit memory space: uses this BAR and the next */
#define PCI_BAR_PREFETCH    0x8 /* memory BARs only */

#define PCI_NUM_BARS 7 /* six BARs plus the expansion ROM */
#define PCI_ROM_BAR  6 /* index of the expansion ROM (memory, enabled by bit 0) */

struct pci_bar {
    uint64_t size;          /* power of two; 0 = not implemented */
    unsigned kind;          /* PCI_BAR_* */
    io_handler_fn handler;  /* offsets passed to it are relative to the BAR */
    void *opaque;
    const char *name;
    bool mapped;
    uint64_t mapped_addr;
};

struct pci_device;
/* Replace the default config access for a device; they may call
 * pci_default_config_read/write to keep the standard behaviour. */
typedef uint32_t (*pci_config_read_fn)(struct pci_device *dev, unsigned reg,
                                       unsigned len);
typedef void (*pci_config_write_fn)(struct pci_device *dev, unsigned reg,
                                    uint32_t val, unsigned len);

struct pci_device {
    uint8_t config[256];
    uint8_t wmask[256];   /* bits the guest may write */
    uint8_t w1cmask[256]; /* bits a guest write of 1 clears */
    struct pci_bus *bus;
    unsigned devfn;
    const char *name;
    pci_config_read_fn config_read;   /* optional */
    pci_config_write_fn config_write; /* optional */
    void *opaque;                     /* the device's own state, for hooks */
    struct pci_bar bars[PCI_NUM_BARS];
    bool irq_level;   /* what the device drives on its INTx pin */
    bool irq_asserted; /* irq_level as seen by the bus (after INTx disable) */
};

/* Translates a PIRQ link (0 = PIRQA .. 3 = PIRQD) into an ISA IRQ number,
 * or -1 when the link is not routed. Supplied by the ISA bridge. */
typedef int (*pci_pirq_route_fn)(void *opaque, unsigned pirq);

struct pci_bus {
    struct machine *m;
    struct pci_device *devices[256]; /* by devfn */
    uint32_t config_address;         /* the 0xcf8 register */
    struct irq_line isa_irq[16];
    bool isa_level[16];              /* what the bus currently drives */
    unsigned pirq_count[4];          /* asserted INTx pins per PIRQ link */
    pci_pirq_route_fn route_pirq;
    void *route_opaque;
    io_handler_fn cf9_handler;       /* byte port 0xcf9, shared with 0xcf8 */
    void *cf9_opaque;
};

/* Creates bus 0 and claims ports 0xcf8-0xcfb and 0xcfc-0xcff. */
struct pci_bus *pci_bus_create(struct machine *m);
void pci_bus_destroy(struct pci_bus *bus);
/* The 16 ISA IRQ lines the PIRQ links can be routed to (lines[0..15]). */
void pci_bus_set_isa_irqs(struct pci_bus *bus, const struct irq_line lines[16]);
void pci_bus_set_pirq_router(struct pci_bus *bus, pci_pirq_route_fn fn, void *opaque);
/* Re-evaluates every ISA line after the PIRQ routing changed. */
void pci_bus_update_irqs(struct pci_bus *bus);
/* A byte access to 0xcf9 (e.g. the PIIX reset control register) is passed
 * to this handler with offset 0, since 0xcf8-0xcfb belong to the bus. */
void pci_bus_set_cf9_handler(struct pci_bus *bus, io_handler_fn fn, void *opaque);
struct pci_device *pci_bus_find(struct pci_bus *bus, unsigned devfn);
/* Config access as the guest sees it (absent functions read all-ones). */
uint32_t pci_bus_config_read(struct pci_bus *bus, unsigned devfn, unsigned reg,
                             unsigned len);
void pci_bus_config_write(struct pci_bus *bus, unsigned devfn, unsigned reg,
                          uint32_t val, unsigned len);
/* PIRQ link (0..3) that INTx (0 = INTA) of a device in slot `slot` uses. */
unsigned pci_swizzle_pirq(unsigned slot, unsigned intx);

/* Zeroes the config space, installs the standard write masks (command,
 * status, cache line, latency, interrupt line, and all of 0x40-0xff) and
 * the default subsystem ids, then plugs the device in at devfn. Set ids,
 * class, BARs and device-specific masks afterwards. Returns 0, -EINVAL, or
 * -EEXIST when devfn is taken. */
int pci_register(struct pci_bus *bus, struct pci_device *dev, unsigned devfn,
                 const char *name);
void pci_unregister(struct pci_device *dev);

void pci_set_ids(struct pci_device *dev, uint16_t vendor, uint16_t device);
/* class_code is base class << 8 | subclass (e.g. 0x0600 host bridge). */
void pci_set_class(struct pci_device *dev, uint16_t class_code, uint8_t prog_if,
                   uint8_t revision);
void pci_set_subsystem(struct pci_device *dev, uint16_t vendor, uint16_t id);
void pci_set_header_type(struct pci_device *dev, uint8_t type);
/* pin: 0 = none, 1 = INTA .. 4 = INTD (read-only to the guest). */
void pci_set_interrupt_pin(struct pci_device *dev, unsigned pin);
/* Declares BAR `index` (0..5, or PCI_ROM_BAR) of `size` bytes (a power of
 * two; I/O at least 4, memory at least 16, ROM at least 2 KiB). The region
 * is mapped with fn/opaque when the guest programs the BAR and enables
 * decode. Returns 0 or -EINVAL. */
int pci_set_bar(struct pci_device *dev, unsigned index, uint64_t size, unsigned kind,
                io_handler_fn fn, void *opaque, const char *name);
/* Current guest-programmed base of a BAR (flag bits stripped). */
uint64_t pci_bar_address(const struct pci_device *dev, unsigned index);
/* Links a capability of `size` bytes at config offset `offset` (>= 0x40,
 * dword aligned) into the list; its id/next bytes become read-only.
 * Returns offset, or -EINVAL. */
int pci_add_capability(struct pci_device *dev, uint8_t cap_id, unsigned offset,
                       unsigned size);

/* Raises or lowers the device's INTx pin (as set by pci_set_interrupt_pin). */
void pci_set_irq(struct pci_device *dev, int level);

/* Default config space behaviour, for hooks that extend it. */
uint32_t pci_default_config_read(struct pci_device *dev, unsigned reg, unsigned len);
void pci_default_config_write(struct pci_device *dev, unsigned reg, uint32_t val,
                              unsigned len);
/* Maps, moves or unmaps BAR regions to match config space and command. */
void pci_update_mappings(struct pci_device *dev);
/* Puts the standard header back in its power-on state (command, status,
 * BARs, cache line, latency, interrupt line) and unmaps the BARs; the bus
 * does this for every device on machine reset before device reset hooks. */
void pci_device_reset(struct pci_device *dev);

/* Raw little-endian config accessors for device code (no masks). */
static inline uint8_t pci_get8(const struct pci_device *d, unsigned reg)
{
    return d->config[reg & 0xff];
}
static inline uint16_t pci_get16(const struct pci_device *d, unsigned reg)
{
    return (uint16_t)(d->config[reg & 0xff] | d->config[(reg + 1) & 0xff] << 8);
}
static inline uint32_t pci_get32(const struct pci_device *d, unsigned reg)
{
    return (uint32_t)pci_get16(d, reg) | (uint32_t)pci_get16(d, reg + 2) << 16;
}
static inline void pci_set8(struct pci_device *d, unsigned reg, uint8_t v)
{
    d->config[reg & 0xff] = v;
}
static inline void pci_set16(struct pci_device *d, unsigned reg, uint16_t v)
{
    d->config[reg & 0xff] = (uint8_t)v;
    d->config[(reg + 1) & 0xff] = (uint8_t)(v >> 8);
}
static inline void pci_set32(struct pci_device *d, unsigned reg, uint32_t v)
{
    pci_set16(d, reg, (uint16_t)v);
    pci_set16(d, reg + 2, (uint16_t)(v >> 16));
}

#endif
