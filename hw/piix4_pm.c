/* PIIX4 ACPI function: PMBA-relocatable PM I/O block with PM1 events and
 * control (sleep to S5 = power off), the 3.579545 MHz PM timer derived
 * from virtual time, GPE0, the level SCI, and APM control for ACPI enable. */
#include "hw/piix4_pm.h"

#include <errno.h>
#include <stdlib.h>

#include "hw/machine.h"

#define PM_PMBA       0x40
#define PM_PMREGMISC  0x80
#define PM_PMIOSE     0x01
#define PM_SMBBA      0x90
#define PM_DEVACTB    0x58
/* DEVACTB bit 25: SMI on APMC writes. Reporting it set tells SeaBIOS SMM
 * is already initialised, which is what we want with no SMM to run. */
#define PM_APMC_EN_BYTE 0x5b
#define PM_APMC_EN_BIT  0x02

#define PM1_EN_MASK  (PIIX4_PM1_TMR | PIIX4_PM1_GBL | PIIX4_PM1_PWRBTN | PIIX4_PM1_RTC)
#define PM1_STS_MASK (PM1_EN_MASK | 0x0010 /* BM_STS */ | PIIX4_PM1_WAK_STS)
/* Stored control bits: SCI_EN, BM_RLD and SLP_TYP (GBL_RLS and SLP_EN
 * are write-only actions). */
#define PM1_CNT_MASK (PIIX4_PM1_SCI_EN | 0x0002 | PIIX4_PM1_SLP_TYP_MASK)
#define TMR_MASK     0x00ffffffu
#define TMR_MSB      23

static uint64_t tmr_ticks(struct piix4_pm *pm)
{
    return vclock_ns_to_ticks(vclock_now(&pm->m->clock), PIIX4_PM_TIMER_HZ);
}

uint32_t piix4_pm_timer_read(struct piix4_pm *pm)
{
    return (uint32_t)(tmr_ticks(pm) & TMR_MASK);
}

/* TMR_STS is set whenever bit 23 of the counter toggles; done lazily so
 * no timer needs to run while the OS has not enabled the interrupt. */
static void tmr_catch_up(struct piix4_pm *pm)
{
    uint64_t now = tmr_ticks(pm);
    if ((now >> TMR_MSB) != (pm->tmr_seen_ticks >> TMR_MSB))
        pm->pm1_sts |= PIIX4_PM1_TMR;
    pm->tmr_seen_ticks = now;
}

static void sci_update(struct piix4_pm *pm)
{
    bool level = (pm->pm1_cnt & PIIX4_PM1_SCI_EN) &&
                 ((pm->pm1_sts & pm->pm1_en & PM1_EN_MASK) || (pm->gpe_sts & pm->gpe_en));
    if (level != pm->sci_level) {
        pm->sci_level = level;
        irq_set(&pm->sci, level);
    }
}

static void tmr_arm(struct piix4_pm *pm)
{
    if (!(pm->pm1_en & PIIX4_PM1_TMR)) {
        vtimer_cancel(&pm->tmr_timer);
        return;
    }
    uint64_t next = ((pm->tmr_seen_ticks >> TMR_MSB) + 1) << TMR_MSB;
    uint64_t ns = vclock_ticks_to_ns(next, PIIX4_PM_TIMER_HZ);
    /* Round up so that at the deadline the counter has really toggled. */
    while (vclock_ns_to_ticks(ns, PIIX4_PM_TIMER_HZ) < next)
        ns++;
    vtimer_arm(&pm->tmr_timer, ns);
}

static void tmr_expired(void *opaque)
{
    struct piix4_pm *pm = opaque;
    tmr_catch_up(pm);
    sci_update(pm);
    tmr_arm(pm);
}

static void pm_sleep(struct piix4_pm *pm)
{
    unsigned typ = (pm->pm1_cnt & PIIX4_PM1_SLP_TYP_MASK) >> PIIX4_PM1_SLP_TYP_SHIFT;
    /* Only soft-off is offered to the OS; other sleep types are not
     * advertised in the tables and are ignored. */
    if (typ == PIIX4_PM_SLP_TYP_S5)
        machine_request_shutdown(pm->m, 0);
}

static uint8_t pm_read_byte(struct piix4_pm *pm, unsigned off, uint32_t tmr)
{
    switch (off) {
    case 0: case 1:
        return (uint8_t)(pm->pm1_sts >> (8 * off));
    case 2: case 3:
        return (uint8_t)(pm->pm1_en >> (8 * (off - 2)));
    case 4: case 5:
        return (uint8_t)(pm->pm1_cnt >> (8 * (off - 4)));
    case 8: case 9: case 10: case 11:
        return (uint8_t)(tmr >> (8 * (off - 8)));
    case 12: case 13: case 14: case 15:
        return (uint8_t)(pm->gpe_sts >> (8 * (off - 12)));
    case 16: case 17: case 18: case 19:
        return (uint8_t)(pm->gpe_en >> (8 * (off - 16)));
    default:
        return 0;
    }
}

static void pm_write_byte(struct piix4_pm *pm, unsigned off, uint8_t v)
{
    switch (off) {
    case 0: case 1:
        pm->pm1_sts &= (uint16_t)~((v << (8 * off)) & PM1_STS_MASK);
        break;
    case 2: case 3: {
        unsigned sh = 8 * (off - 2);
        pm->pm1_en = (uint16_t)((pm->pm1_en & ~(0xff << sh)) | ((v << sh) & PM1_EN_MASK));
        break;
    }
    case 4: case 5: {
        unsigned sh = 8 * (off - 4);
        uint16_t w = (uint16_t)(v << sh);
        pm->pm1_cnt = (uint16_t)((pm->pm1_cnt & ~(0xff << sh)) | (w & PM1_CNT_MASK));
        if (w & PIIX4_PM1_SLP_EN)
            pm_sleep(pm);
        break;
    }
    case 12: case 13: case 14: case 15:
        pm->gpe_sts &= ~((uint32_t)v << (8 * (off - 12)));
        break;
    case 16: case 17: case 18: case 19: {
        unsigned sh = 8 * (off - 16);
        pm->gpe_en = (pm->gpe_en & ~(0xffu << sh)) | ((uint32_t)v << sh);
        break;
    }
    default:
        break;
    }
}

static void pm_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                  bool is_write)
{
    struct piix4_pm *pm = opaque;
    tmr_catch_up(pm);
    if (is_write) {
        for (unsigned i = 0; i < len; i++)
            pm_write_byte(pm, (unsigned)offset + i, data[i]);
        tmr_arm(pm);
    } else {
        /* One sample per access, so a dword read of the timer is coherent. */
        uint32_t tmr = (uint32_t)(pm->tmr_seen_ticks & TMR_MASK);
        for (unsigned i = 0; i < len; i++)
            data[i] = pm_read_byte(pm, (unsigned)offset + i, tmr);
    }
    sci_update(pm);
}

static void apm_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                   bool is_write)
{
    struct piix4_pm *pm = opaque;
    for (unsigned i = 0; i < len; i++) {
        unsigned port = (unsigned)offset + i;
        if (!is_write) {
            data[i] = port == 0 ? pm->apmc : pm->apms;
            continue;
        }
        if (port == 1) {
            pm->apms = data[i];
            continue;
        }
        pm->apmc = data[i];
        /* With no SMM, do what the SMI handler of a PIIX4 BIOS does for
         * the FADT's ACPI enable/disable commands. */
        if (data[i] == PIIX4_PM_ACPI_ENABLE)
            pm->pm1_cnt |= PIIX4_PM1_SCI_EN;
        else if (data[i] == PIIX4_PM_ACPI_DISABLE)
            pm->pm1_cnt &= (uint16_t)~PIIX4_PM1_SCI_EN;
        sci_update(pm);
    }
}

static void pm_remap(struct piix4_pm *pm)
{
    uint16_t base = pci_get16(&pm->pci, PM_PMBA) & 0xffc0;
    bool enabled = pm->pci.config[PM_PMREGMISC] & PM_PMIOSE;
    if (pm->io_mapped && (!enabled || base != pm->io_base)) {
        iomap_remove(&pm->m->io, pm->io_base);
        pm->io_mapped = false;
    }
    if (enabled && base && !pm->io_mapped &&
        iomap_add(&pm->m->io, base, PIIX4_PM_IO_SIZE, pm_io, pm, "piix4-pm") == 0) {
        pm->io_mapped = true;
        pm->io_base = base;
    }
}

static void pm_config_write(struct pci_device *dev, unsigned reg, uint32_t val,
                            unsigned len)
{
    struct piix4_pm *pm = dev->opaque;
    pci_default_config_write(dev, reg, val, len);
    if ((reg <= PM_PMBA + 3 && reg + len - 1 >= PM_PMBA) ||
        (reg <= PM_PMREGMISC && reg + len - 1 >= PM_PMREGMISC))
        pm_remap(pm);
}

static void pm_apply_fixed_base(struct piix4_pm *pm)
{
    pci_set32(&pm->pci, PM_PMBA, (uint32_t)pm->fixed_base | 1);
    pm->pci.config[PM_PMREGMISC] |= PM_PMIOSE;
    pm_remap(pm);
}

int piix4_pm_set_base(struct piix4_pm *pm, uint16_t base)
{
    pm->fixed_base = base & 0xffc0;
    if (!pm->fixed_base)
        return 0;
    pm_apply_fixed_base(pm);
    return pm->io_mapped && pm->io_base == pm->fixed_base ? 0 : -EEXIST;
}

bool piix4_pm_power_button(struct piix4_pm *pm)
{
    if (!(pm->pm1_en & PIIX4_PM1_PWRBTN))
        return false;
    pm->pm1_sts |= PIIX4_PM1_PWRBTN;
    sci_update(pm);
    return pm->sci_level;
}

static void pm_reset(void *opaque)
{
    struct piix4_pm *pm = opaque;
    uint8_t *c = pm->pci.config;
    pci_set32(&pm->pci, PM_PMBA, 0x00000001); /* bit 0: I/O space indicator */
    c[PM_PMREGMISC] = 0;
    pci_set32(&pm->pci, PM_SMBBA, 0x00000001);
    pci_set32(&pm->pci, PM_DEVACTB, 0);
    c[PM_APMC_EN_BYTE] = PM_APMC_EN_BIT;
    c[0xd2] = 0; /* SMBHSTCFG */
    pm->pm1_sts = pm->pm1_en = pm->pm1_cnt = 0;
    pm->gpe_sts = pm->gpe_en = 0;
    pm->apmc = pm->apms = 0;
    pm->tmr_seen_ticks = tmr_ticks(pm);
    vtimer_cancel(&pm->tmr_timer);
    pm_remap(pm);
    if (pm->fixed_base)
        pm_apply_fixed_base(pm);
    sci_update(pm);
}

struct piix4_pm *piix4_pm_create(struct machine *m, struct pci_bus *bus,
                                 struct irq_line sci)
{
    struct piix4_pm *pm = calloc(1, sizeof(*pm));
    if (!pm)
        return NULL;
    pm->m = m;
    pm->sci = sci;
    vtimer_init(&pm->tmr_timer, &m->clock, tmr_expired, pm);
    if (pci_register(bus, &pm->pci, PIIX4_PM_DEVFN, "piix4-pm") < 0) {
        free(pm);
        return NULL;
    }
    pci_set_ids(&pm->pci, PIIX4_PM_VENDOR_ID, PIIX4_PM_DEVICE_ID);
    pci_set_class(&pm->pci, 0x0680, 0x00, PIIX4_PM_REVISION);
    pci_set_interrupt_pin(&pm->pci, 1);
    pm->pci.opaque = pm;
    pm->pci.config_write = pm_config_write;
    /* PMBA: 64-byte aligned 16-bit I/O base; SMBBA: 16-byte aligned. */
    pm->pci.wmask[PM_PMBA] = 0xc0;
    pm->pci.wmask[PM_PMBA + 1] = 0xff;
    pm->pci.wmask[PM_PMBA + 2] = pm->pci.wmask[PM_PMBA + 3] = 0;
    pm->pci.wmask[PM_SMBBA] = 0xf0;
    pm->pci.wmask[PM_SMBBA + 1] = 0xff;
    pm->pci.wmask[PM_SMBBA + 2] = pm->pci.wmask[PM_SMBBA + 3] = 0;
    pm->pci.wmask[PM_PMREGMISC] = PM_PMIOSE;
    pm->apm_mapped = iomap_add(&m->io, PIIX4_PM_SMI_CMD_PORT, 2, apm_io, pm,
                               "apm") == 0;
    pm_reset(pm);
    machine_register_reset(m, pm_reset, pm);
    return pm;
}

void piix4_pm_destroy(struct piix4_pm *pm)
{
    if (!pm)
        return;
    vtimer_cancel(&pm->tmr_timer);
    if (pm->io_mapped)
        iomap_remove(&pm->m->io, pm->io_base);
    if (pm->apm_mapped)
        iomap_remove(&pm->m->io, PIIX4_PM_SMI_CMD_PORT);
    pci_unregister(&pm->pci);
    free(pm);
}
