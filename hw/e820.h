/* The BIOS e820 memory map, built once from the board layout and handed to
 * firmware (fw_cfg "etc/e820") and to directly booted kernels (zero page). */
#ifndef VX86_HW_E820_H
#define VX86_HW_E820_H

#include <stdint.h>

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ACPI     3
#define E820_NVS      4
#define E820_MAX_ENTRIES 32

struct e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

struct e820_map {
    unsigned count;
    struct e820_entry entries[E820_MAX_ENTRIES];
};

void e820_init(struct e820_map *map);
/* Appends a range; adjacent ranges of the same type are merged. Returns -ENOSPC when full. */
int e820_add(struct e820_map *map, uint64_t addr, uint64_t size, uint32_t type);

#endif
