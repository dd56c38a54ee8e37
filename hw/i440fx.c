/* i440FX host bridge: decodes PAM writes into per-segment shadow modes for
 * the board, and keeps the SMRAM register's lock semantics. */
#include "hw/i440fx.h"

#include <stdlib.h>

#include "hw/machine.h"

#define I440FX_PAM_LAST 0x5f

void i440fx_pam_segment(unsigned segment, uint64_t *base, uint64_t *size)
{
    if (segment == 0) {
        *base = 0xf0000;
        *size = 0x10000;
    } else {
        *base = 0xc0000 + (uint64_t)(segment - 1) * 0x4000;
        *size = 0x4000;
    }
}

unsigned i440fx_pam_mode(const struct i440fx *h, unsigned segment)
{
    return segment < I440FX_PAM_SEGMENTS ? h->pam_mode[segment] : 0;
}

static unsigned pam_mode_from_config(const struct i440fx *h, unsigned segment)
{
    if (segment == 0)
        return (h->pci.config[I440FX_PAM0] >> 4) & 3;
    uint8_t reg = h->pci.config[I440FX_PAM0 + 1 + (segment - 1) / 2];
    return ((segment - 1) & 1 ? reg >> 4 : reg) & 3;
}

static void pam_update(struct i440fx *h, bool force)
{
    for (unsigned s = 0; s < I440FX_PAM_SEGMENTS; s++) {
        unsigned mode = pam_mode_from_config(h, s);
        if (!force && mode == h->pam_mode[s])
            continue;
        h->pam_mode[s] = (uint8_t)mode;
        if (h->pam_changed) {
            uint64_t base, size;
            i440fx_pam_segment(s, &base, &size);
            h->pam_changed(h->pam_opaque, s, base, size, mode);
        }
    }
}

static void smram_update(struct i440fx *h, bool force)
{
    uint8_t *smram = &h->pci.config[I440FX_SMRAM];
    /* Setting D_LCK closes the window and freezes the SMRAM controls
     * until the next reset. */
    if (*smram & I440FX_SMRAM_D_LCK) {
        *smram &= (uint8_t)~I440FX_SMRAM_D_OPEN;
        h->pci.wmask[I440FX_SMRAM] = I440FX_SMRAM_D_CLS;
    }
    bool open = *smram & I440FX_SMRAM_D_OPEN;
    if (force || open != h->smram_open) {
        h->smram_open = open;
        if (h->smram_changed)
            h->smram_changed(h->smram_opaque, open);
    }
}

static void i440fx_config_write(struct pci_device *dev, unsigned reg, uint32_t val,
                                unsigned len)
{
    struct i440fx *h = dev->opaque;
    pci_default_config_write(dev, reg, val, len);
    if (reg <= I440FX_PAM_LAST && reg + len - 1 >= I440FX_PAM0)
        pam_update(h, false);
    if (reg <= I440FX_SMRAM && reg + len - 1 >= I440FX_SMRAM)
        smram_update(h, false);
}

static void i440fx_reset(void *opaque)
{
    struct i440fx *h = opaque;
    pci_set16(&h->pci, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set16(&h->pci, PCI_STATUS, 0x0080 | PCI_STATUS_DEVSEL_MEDIUM);
    for (unsigned r = I440FX_PAM0; r <= I440FX_PAM_LAST; r++)
        h->pci.config[r] = 0;
    /* C_BASE_SEG is hardwired to 010b: SMRAM lives at 0xA0000. */
    h->pci.config[I440FX_SMRAM] = 0x02;
    h->pci.wmask[I440FX_SMRAM] = I440FX_SMRAM_D_OPEN | I440FX_SMRAM_D_CLS |
                                 I440FX_SMRAM_D_LCK | I440FX_SMRAM_G_SMRAME;
    pam_update(h, true);
    smram_update(h, true);
}

struct i440fx *i440fx_create(struct machine *m, struct pci_bus *bus,
                             i440fx_pam_fn pam_changed, void *opaque)
{
    struct i440fx *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->m = m;
    h->pam_changed = pam_changed;
    h->pam_opaque = opaque;
    if (pci_register(bus, &h->pci, PCI_DEVFN(0, 0), "i440fx") < 0) {
        free(h);
        return NULL;
    }
    pci_set_ids(&h->pci, I440FX_VENDOR_ID, I440FX_DEVICE_ID);
    pci_set_class(&h->pci, 0x0600, 0x00, I440FX_REVISION);
    pci_set_header_type(&h->pci, 0x00);
    h->pci.opaque = h;
    h->pci.config_write = i440fx_config_write;
    /* PAM0 has only its high nibble; the others use both, each with
     * two mode bits (bits 2 and 3 of every nibble are reserved). */
    h->pci.wmask[I440FX_PAM0] = 0x30;
    for (unsigned r = I440FX_PAM0 + 1; r <= I440FX_PAM_LAST; r++)
        h->pci.wmask[r] = 0x33;
    h->pci.config[I440FX_SMRAM] = 0x02;
    h->pci.wmask[I440FX_SMRAM] = I440FX_SMRAM_D_OPEN | I440FX_SMRAM_D_CLS |
                                 I440FX_SMRAM_D_LCK | I440FX_SMRAM_G_SMRAME;
    pci_set16(&h->pci, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set16(&h->pci, PCI_STATUS, 0x0080 | PCI_STATUS_DEVSEL_MEDIUM);
    machine_register_reset(m, i440fx_reset, h);
    return h;
}

void i440fx_destroy(struct i440fx *h)
{
    if (!h)
        return;
    pci_unregister(&h->pci);
    free(h);
}

void i440fx_set_smram_callback(struct i440fx *h, i440fx_smram_fn fn, void *opaque)
{
    h->smram_changed = fn;
    h->smram_opaque = opaque;
}
