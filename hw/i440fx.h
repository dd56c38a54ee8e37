/* Intel 82441FX (i440FX) PCI host bridge at 00:00.0: identity, the PAM
 * registers that control BIOS shadow RAM, and the SMRAM register. */
#ifndef VX86_HW_I440FX_H
#define VX86_HW_I440FX_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/pci.h"

struct machine;

#define I440FX_VENDOR_ID 0x8086
#define I440FX_DEVICE_ID 0x1237
#define I440FX_REVISION  0x02

#define I440FX_PAM0  0x59 /* high nibble: 0xF0000-0xFFFFF */
#define I440FX_SMRAM 0x72

/* PAM segments: 0 is 0xF0000 (64 KiB), 1..12 are the 16 KiB pieces of
 * 0xC0000-0xEFFFF in ascending order (0x5a low nibble = 1, high = 2, ...). */
#define I440FX_PAM_SEGMENTS 13
/* Mode bits, as in each PAM nibble. With a bit clear, that kind of access
 * goes to PCI/ROM instead of DRAM. */
#define I440FX_PAM_READ  1u
#define I440FX_PAM_WRITE 2u

/* SMRAM register bits. */
#define I440FX_SMRAM_D_OPEN   0x40
#define I440FX_SMRAM_D_CLS    0x20
#define I440FX_SMRAM_D_LCK    0x10
#define I440FX_SMRAM_G_SMRAME 0x08

/* Called for every segment whose mode changes after a guest config write,
 * and for all 13 segments on machine reset (mode 0 then). The board remaps
 * the segment: mode 0 = ROM/PCI, 1 = read DRAM & write ROM side,
 * 2 = write-only DRAM, 3 = DRAM read/write. */
typedef void (*i440fx_pam_fn)(void *opaque, unsigned segment, uint64_t base,
                              uint64_t size, unsigned mode);
/* Called when the SMRAM window at 0xA0000-0xBFFFF opens to or closes for
 * non-SMM accesses (D_OPEN), including on reset (closed). */
typedef void (*i440fx_smram_fn)(void *opaque, bool open);

struct i440fx {
    struct pci_device pci;
    struct machine *m;
    i440fx_pam_fn pam_changed;
    void *pam_opaque;
    i440fx_smram_fn smram_changed;
    void *smram_opaque;
    uint8_t pam_mode[I440FX_PAM_SEGMENTS];
    bool smram_open;
};

/* Registers at 00:00.0 on bus; pam_changed may be NULL. */
struct i440fx *i440fx_create(struct machine *m, struct pci_bus *bus,
                             i440fx_pam_fn pam_changed, void *opaque);
void i440fx_destroy(struct i440fx *h);
void i440fx_set_smram_callback(struct i440fx *h, i440fx_smram_fn fn, void *opaque);
/* Segment geometry and current mode, for the board's own bookkeeping. */
void i440fx_pam_segment(unsigned segment, uint64_t *base, uint64_t *size);
unsigned i440fx_pam_mode(const struct i440fx *h, unsigned segment);

#endif
