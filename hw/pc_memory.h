/* The PC's physical memory layout: RAM split around the PCI hole and above
 * 4 GiB, the BIOS ROM under 4 GiB with its alias below 1 MiB, and the
 * i440FX PAM shadowing of 0xC0000-0xFFFFF. */
#ifndef VX86_HW_PC_MEMORY_H
#define VX86_HW_PC_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;

#define PC_PAM_SEGMENTS 13
#define PC_BIOS_MAX_SIZE (16u << 20)
#define PC_LOWMEM_DEFAULT_LIMIT 0xe0000000ull /* start of the PCI hole */

struct pc_memory {
    uint8_t *bios;            /* image, padded at the front to a 64 KiB multiple */
    size_t bios_size;
    size_t bios_alias_size;   /* how much of its end appears below 1 MiB */
    bool direct_boot;         /* no firmware: 0xC0000-0xFFFFF is plain RAM */
    uint8_t pam_mode[PC_PAM_SEGMENTS];
};

/* Splits ram_size around the PCI hole the way an i440FX board does. */
void pc_memory_split(uint64_t ram_size, uint64_t *below_4g, uint64_t *above_4g);
/* Allocates RAM, loads the BIOS (bios_path NULL = none) and maps everything.
 * Fills m->e820. Returns 0 or -1 with a one-line message in err. */
int pc_memory_init(struct machine *m, struct pc_memory *pm, uint64_t ram_size,
                   const char *bios_path, char *err, size_t err_len);
/* PAM attribute change for one segment: mode bit 0 = reads from DRAM,
 * bit 1 = writes to DRAM. Segment 0 is 0xF0000-0xFFFFF (64 KiB), 1..12 the
 * 16 KiB segments from 0xC0000. */
void pc_memory_set_pam(struct machine *m, struct pc_memory *pm, unsigned segment, unsigned mode);
/* Power-on shadowing state. */
void pc_memory_reset(struct machine *m, struct pc_memory *pm);
void pc_memory_destroy(struct machine *m, struct pc_memory *pm);

#endif
