/* PIIX4-style ACPI power-management function at 00:01.3 (8086:7113), laid
 * out as QEMU's i440FX machine has it: PM1 event/control registers, the
 * ACPI PM timer, a GPE0 block, the SCI on IRQ 9, and the APM ports. */
#ifndef VX86_HW_PIIX4_PM_H
#define VX86_HW_PIIX4_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/irq.h"
#include "hw/pci.h"
#include "hw/vclock.h"

struct machine;

#define PIIX4_PM_VENDOR_ID 0x8086
#define PIIX4_PM_DEVICE_ID 0x7113
#define PIIX4_PM_REVISION  0x03
#define PIIX4_PM_DEVFN     PCI_DEVFN(1, 3)

/* What the ACPI tables (FADT, DSDT) must say. */
#define PIIX4_PM_BASE_DEFAULT 0x600   /* where SeaBIOS puts PMBA when QEMU-style tables are supplied */
#define PIIX4_PM_IO_SIZE      64
#define PIIX4_PM_SCI_IRQ      9
#define PIIX4_PM_SLP_TYP_S5   0       /* _S5 package {0, 0} */
#define PIIX4_PM1_EVT_OFFSET  0x00    /* PM1a_EVT_BLK, length 4 */
#define PIIX4_PM1_EVT_LEN     4
#define PIIX4_PM1_CNT_OFFSET  0x04    /* PM1a_CNT_BLK, length 2 */
#define PIIX4_PM1_CNT_LEN     2
#define PIIX4_PM_TMR_OFFSET   0x08    /* PM_TMR_BLK, length 4, 24-bit */
#define PIIX4_PM_TMR_LEN      4
#define PIIX4_GPE0_OFFSET     0x0c    /* GPE0_BLK: 4 bytes status, 4 bytes enable */
#define PIIX4_GPE0_LEN        8
#define PIIX4_PM_TIMER_HZ     3579545
#define PIIX4_PM_SMI_CMD_PORT 0xb2    /* FADT SMI_CMD (APM control port) */
#define PIIX4_PM_APM_STS_PORT 0xb3
#define PIIX4_PM_ACPI_ENABLE  0xf1    /* FADT ACPI_ENABLE */
#define PIIX4_PM_ACPI_DISABLE 0xf0    /* FADT ACPI_DISABLE */

/* PM1 status / enable bits. */
#define PIIX4_PM1_TMR      0x0001
#define PIIX4_PM1_GBL      0x0020
#define PIIX4_PM1_PWRBTN   0x0100
#define PIIX4_PM1_RTC      0x0400
#define PIIX4_PM1_WAK_STS  0x8000
/* PM1 control bits. */
#define PIIX4_PM1_SCI_EN   0x0001
#define PIIX4_PM1_SLP_TYP_SHIFT 10
#define PIIX4_PM1_SLP_TYP_MASK  0x1c00
#define PIIX4_PM1_SLP_EN   0x2000

struct piix4_pm {
    struct pci_device pci;
    struct machine *m;
    struct irq_line sci;
    bool sci_level;
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint32_t gpe_sts, gpe_en;
    uint64_t tmr_seen_ticks; /* timer count when TMR_STS was last brought up to date */
    struct vtimer tmr_timer; /* armed only while TMR_EN is set */
    bool io_mapped;
    uint16_t io_base;
    uint16_t fixed_base;     /* from piix4_pm_set_base, re-applied on reset */
    bool apm_mapped;
    uint8_t apmc, apms;
};

/* Registers at 00:01.3 and claims the APM ports 0xb2/0xb3; the PM I/O
 * block appears when the guest programs PMBA (config 0x40) and sets
 * PMIOSE (config 0x80 bit 0). sci is driven at level while an enabled
 * event is pending and SCI_EN is set. */
struct piix4_pm *piix4_pm_create(struct machine *m, struct pci_bus *bus,
                                 struct irq_line sci);
void piix4_pm_destroy(struct piix4_pm *pm);
/* Programs PMBA = base and enables it, as firmware would, and keeps doing
 * so after every reset (for booting Linux directly without a BIOS);
 * base 0 stops that. Returns 0, or -EEXIST if the ports are taken. */
int piix4_pm_set_base(struct piix4_pm *pm, uint16_t base);
/* The 24-bit ACPI PM timer value now. */
uint32_t piix4_pm_timer_read(struct piix4_pm *pm);
/* A short power button press: sets PWRBTN_STS if the OS enabled it.
 * Returns true if an SCI will tell the OS about it. */
bool piix4_pm_power_button(struct piix4_pm *pm);

#endif
