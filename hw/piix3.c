/* PIIX3 ISA bridge function: power-on register values from the 82371SB
 * datasheet, PIRQ route control feeding the PCI bus's interrupt routing,
 * and the reset control register at 0xcf9. */
#include "hw/piix3.h"

#include <stdlib.h>

#include "hw/machine.h"

int piix3_pirq_route(const struct piix3 *p, unsigned pirq)
{
    if (pirq > 3)
        return -1;
    uint8_t v = p->pci.config[PIIX3_PIRQRC + pirq];
    if (v & PIIX3_PIRQ_DISABLE)
        return -1;
    unsigned irq = v & 0x0f;
    /* IRQ 0, 1, 2, 8 and 13 are reserved encodings: nothing is routed. */
    if (irq <= 2 || irq == 8 || irq == 13)
        return -1;
    return (int)irq;
}

static int piix3_route(void *opaque, unsigned pirq)
{
    return piix3_pirq_route(opaque, pirq);
}

static void piix3_config_write(struct pci_device *dev, unsigned reg, uint32_t val,
                               unsigned len)
{
    pci_default_config_write(dev, reg, val, len);
    if (reg <= PIIX3_PIRQRC + 3 && reg + len - 1 >= PIIX3_PIRQRC)
        pci_bus_update_irqs(dev->bus);
}

static void piix3_rcr_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                         bool is_write)
{
    struct piix3 *p = opaque;
    (void)offset;
    if (!is_write) {
        io_data_put(data, len, p->rcr);
        return;
    }
    uint8_t v = data[0];
    /* The reset bit acts on being written and does not stay set; the
     * hard/soft choice is kept. Both kinds reset the whole machine here. */
    p->rcr = v & PIIX3_RCR_SRST;
    if (v & PIIX3_RCR_RCPU)
        machine_request_reset(p->m);
}

static void piix3_reset(void *opaque)
{
    struct piix3 *p = opaque;
    uint8_t *c = p->pci.config;
    pci_set16(&p->pci, PCI_COMMAND,
              PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set16(&p->pci, PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM);
    c[0x4c] = 0x4d; /* IORT: ISA I/O recovery timer */
    c[0x4e] = 0x03; /* XBCS: RTC and keyboard controller decode enabled */
    c[0x4f] = 0x00;
    for (unsigned i = 0; i < 4; i++)
        c[PIIX3_PIRQRC + i] = PIIX3_PIRQ_DISABLE;
    c[0x69] = 0x02; /* TOM: top of memory 1 MiB */
    c[0x6a] = 0x00;
    c[0x6b] = 0x00;
    c[0x70] = 0x80; /* MBIRQ0: motherboard IRQ routing disabled */
    c[0x76] = 0x0c; /* MBDMA0/1: disabled */
    c[0x77] = 0x0c;
    c[0x78] = 0x02; /* PCSC: programmable chip select */
    c[0x79] = 0x00;
    c[0x80] = 0x00; /* APICBASE */
    c[0x82] = 0x00; /* DLC */
    c[0xa0] = 0x08; /* SMICNTL */
    c[0xa2] = 0x00;
    c[0xa3] = 0x00;
    for (unsigned r = 0xa4; r <= 0xa7; r++)
        c[r] = 0x00; /* SEE */
    c[0xa8] = 0x0f; /* FTMR */
    c[0xaa] = 0x00;
    c[0xab] = 0x00;
    c[0xac] = 0x00;
    c[0xae] = 0x00;
    p->rcr = 0;
    pci_bus_update_irqs(p->pci.bus);
}

struct piix3 *piix3_create(struct machine *m, struct pci_bus *bus)
{
    struct piix3 *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->m = m;
    if (pci_register(bus, &p->pci, PIIX3_DEVFN, "piix3") < 0) {
        free(p);
        return NULL;
    }
    pci_set_ids(&p->pci, PIIX3_VENDOR_ID, PIIX3_DEVICE_ID);
    pci_set_class(&p->pci, 0x0601, 0x00, 0x00);
    /* Multi-function: IDE, USB and ACPI functions sit at 00:01.1-3. */
    pci_set_header_type(&p->pci, PCI_HEADER_TYPE_MULTI_FUNCTION);
    p->pci.opaque = p;
    p->pci.config_write = piix3_config_write;
    for (unsigned i = 0; i < 4; i++) {
        p->pci.config[PIIX3_PIRQRC + i] = PIIX3_PIRQ_DISABLE;
        p->pci.wmask[PIIX3_PIRQRC + i] = 0x8f;
    }
    piix3_reset(p);
    pci_bus_set_pirq_router(bus, piix3_route, p);
    pci_bus_set_cf9_handler(bus, piix3_rcr_io, p);
    machine_register_reset(m, piix3_reset, p);
    return p;
}

void piix3_destroy(struct piix3 *p)
{
    if (!p)
        return;
    struct pci_bus *bus = p->pci.bus;
    if (bus) {
        pci_bus_set_pirq_router(bus, NULL, NULL);
        pci_bus_set_cf9_handler(bus, NULL, NULL);
    }
    pci_unregister(&p->pci);
    free(p);
}
