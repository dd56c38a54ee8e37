/* Direct boot of Multiboot (0.6.96) kernels without firmware: ELF or a.out
 * kludge images, boot modules from -initrd, and the Multiboot information
 * structure built from the e820 map. */
#ifndef VX86_HW_MULTIBOOT_H
#define VX86_HW_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;

#define MULTIBOOT_HEADER_MAGIC     0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
#define MULTIBOOT_SEARCH_LIMIT     8192

/* Low-memory area the loader fills (it must be e820 RAM and the kernel must
 * not load over it; the boot GDT is at LINUX_BOOT_GDT_ADDR as for Linux):
 * the information structure, the memory map, the module list, then the
 * strings (command line, boot loader name, module strings). */
#define MULTIBOOT_INFO_ADDR    0x9000ull
#define MULTIBOOT_MMAP_ADDR    0x9100ull
#define MULTIBOOT_MODS_ADDR    0x9400ull
#define MULTIBOOT_STRINGS_ADDR 0x9800ull
#define MULTIBOOT_AREA_END     0x10000ull
#define MULTIBOOT_MAX_MODULES  64

/* True when buf holds a Multiboot header (magic, and magic + flags +
 * checksum == 0) wholly within its first 8192 bytes at a 4-byte aligned
 * offset; the offset goes to *header_offset. */
bool multiboot_detect(const uint8_t *buf, size_t len, size_t *header_offset);

/* Loads a Multiboot kernel, each comma-separated item of initrd_paths
 * ("file [args]", NULL for none) as a page-aligned module after the kernel,
 * builds the information structure (command line "kernel_path cmdline") and
 * leaves m->cpu at the entry with EAX = 0x2BADB002, EBX = the structure.
 * Returns 0, or -1 with a one-line message in err. */
int multiboot_load(struct machine *m, const char *kernel_path, const char *initrd_paths,
                   const char *cmdline, char *err, size_t err_len);

#endif
