/* Intel 82371SB (PIIX3) PCI-to-ISA bridge, function 0 at 00:01.0: PIRQ
 * routing of PCI interrupts to ISA IRQs and the reset control register
 * at port 0xcf9. */
#ifndef VX86_HW_PIIX3_H
#define VX86_HW_PIIX3_H

#include <stdint.h>

#include "hw/pci.h"

struct machine;

#define PIIX3_VENDOR_ID 0x8086
#define PIIX3_DEVICE_ID 0x7000
#define PIIX3_DEVFN     PCI_DEVFN(1, 0)

#define PIIX3_PIRQRC     0x60 /* 0x60-0x63: PIRQA-D route control */
#define PIIX3_PIRQ_DISABLE 0x80

#define PIIX3_RCR_PORT   0xcf9
#define PIIX3_RCR_SRST   0x02 /* hard (system) reset rather than CPU-only */
#define PIIX3_RCR_RCPU   0x04 /* writing 1 starts the reset */

struct piix3 {
    struct pci_device pci;
    struct machine *m;
    uint8_t rcr;
};

/* Registers at 00:01.0, becomes the bus's PIRQ router and owns 0xcf9. */
struct piix3 *piix3_create(struct machine *m, struct pci_bus *bus);
void piix3_destroy(struct piix3 *p);
/* ISA IRQ PIRQ link `pirq` (0..3) is routed to, or -1 if disabled. */
int piix3_pirq_route(const struct piix3 *p, unsigned pirq);

#endif
