/* Direct boot of a Linux bzImage without firmware, through the 32-bit boot
 * protocol (Documentation/arch/x86/boot.rst): zero page, command line, initrd
 * and a flat protected-mode CPU, plus helpers the multiboot loader shares. */
#ifndef VX86_HW_LINUX_BOOT_H
#define VX86_HW_LINUX_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/e820.h"

struct machine;

/* Fixed low-memory layout used by the direct loaders (all below 0x90000, in
 * the first e820 RAM range; the loaders check that it is RAM). */
#define LINUX_BOOT_GDT_ADDR      0x500ull    /* 5 descriptors, 40 bytes */
#define LINUX_BOOT_ZERO_PAGE     0x7000ull   /* struct boot_params, 4 KiB */
#define LINUX_BOOT_CMDLINE_ADDR  0x20000ull  /* up to cmdline_size + 1 bytes */
#define LINUX_BOOT_CMDLINE_MAX   0x10000ull  /* room reserved at CMDLINE_ADDR */
#define LINUX_BOOT_KERNEL_ADDR   0x100000ull /* protected-mode kernel */

/* Selectors of the boot GDT: the protocol's __BOOT_CS/__BOOT_DS, and a busy
 * 32-bit TSS so TR holds something KVM's segment checks accept. */
#define LINUX_BOOT_CS  0x10
#define LINUX_BOOT_DS  0x18
#define LINUX_BOOT_TSS 0x20

/* True when buf holds a kernel with the "HdrS" setup header and LOADED_HIGH,
 * i.e. something linux_boot_load can try (the version is checked there). */
bool linux_boot_is_bzimage(const uint8_t *buf, size_t len);

/* Loads kernel_path as a bzImage at 1 MiB, the optional initrd as high as it
 * fits, writes the zero page and command line, and leaves m->cpu at the
 * 32-bit entry point. Returns 0, or -1 with a one-line message in err. */
int linux_boot_load(struct machine *m, const char *kernel_path, const char *initrd_path,
                    const char *cmdline, char *err, size_t err_len);

/* Records the ACPI RSDP address in the zero page written by linux_boot_load
 * (boot_params.acpi_rsdp_addr), when the kernel's protocol is 2.14 or later.
 * Returns true when the field was set. Call after linux_boot_load. */
bool linux_boot_set_acpi_rsdp(struct machine *m, uint64_t rsdp_gpa);

/* --- shared with the multiboot loader --- */

/* Reads a whole file into a malloc'ed buffer (*buf, *len). On failure
 * returns -1 with "cannot open/read <path>: <strerror>" in err. */
int linux_boot_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t err_len);

/* True when [addr, addr+size) is covered by e820 RAM entries. */
bool linux_boot_e820_is_ram(const struct e820_map *map, uint64_t addr, uint64_t size);

/* Bytes of RAM that continue without a hole from addr (0 when addr is not RAM). */
uint64_t linux_boot_e820_ram_extent(const struct e820_map *map, uint64_t addr);

/* Lowest address >= from, aligned to align (a power of two), where
 * [addr, addr+size) is e820 RAM and ends at or below limit; returns false
 * when there is none. */
bool linux_boot_e820_find_ram(const struct e820_map *map, uint64_t from, uint64_t size,
                              uint64_t align, uint64_t limit, uint64_t *addr);

/* Writes the boot GDT at LINUX_BOOT_GDT_ADDR and puts m->cpu in 32-bit
 * protected mode (paging off, interrupts off, flat CS/DS selectors from the
 * GDT, GPRs zero, A20 on) at entry. Returns false when the GDT address is not
 * RAM. */
bool linux_boot_enter_flat32(struct machine *m, uint32_t entry);

#endif
