/* QEMU's firmware configuration device (fw_cfg) on the x86 ports: selector
 * 0x510, data 0x511, DMA address 0x514-0x51b. The board fills it with the
 * items firmware such as SeaBIOS reads (RAM size, CPUs, e820, boot order). */
#ifndef VX86_HW_FW_CFG_H
#define VX86_HW_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

struct machine;

#define FW_CFG_PORT_SEL   0x510
#define FW_CFG_PORT_DATA  0x511
#define FW_CFG_PORT_DMA   0x514

/* Well-known selector keys. */
#define FW_CFG_SIGNATURE     0x00
#define FW_CFG_ID            0x01
#define FW_CFG_UUID          0x02
#define FW_CFG_RAM_SIZE      0x03
#define FW_CFG_NOGRAPHIC     0x04
#define FW_CFG_NB_CPUS       0x05
#define FW_CFG_MACHINE_ID    0x06
#define FW_CFG_KERNEL_ADDR   0x07
#define FW_CFG_KERNEL_SIZE   0x08
#define FW_CFG_KERNEL_CMDLINE 0x09
#define FW_CFG_INITRD_ADDR   0x0a
#define FW_CFG_INITRD_SIZE   0x0b
#define FW_CFG_BOOT_DEVICE   0x0c
#define FW_CFG_NUMA          0x0d
#define FW_CFG_BOOT_MENU     0x0e
#define FW_CFG_MAX_CPUS      0x0f
#define FW_CFG_KERNEL_ENTRY  0x10
#define FW_CFG_KERNEL_DATA   0x11
#define FW_CFG_INITRD_DATA   0x12
#define FW_CFG_CMDLINE_ADDR  0x13
#define FW_CFG_CMDLINE_SIZE  0x14
#define FW_CFG_CMDLINE_DATA  0x15
#define FW_CFG_SETUP_ADDR    0x16
#define FW_CFG_SETUP_SIZE    0x17
#define FW_CFG_SETUP_DATA    0x18
#define FW_CFG_FILE_DIR      0x19
#define FW_CFG_FILE_FIRST    0x20
#define FW_CFG_WRITE_CHANNEL 0x4000
#define FW_CFG_ARCH_LOCAL    0x8000
/* x86 arch-local keys. */
#define FW_CFG_ACPI_TABLES    (FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES (FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE  (FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE     (FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_HPET           (FW_CFG_ARCH_LOCAL + 4)

/* FW_CFG_ID feature bits. */
#define FW_CFG_VERSION     0x01
#define FW_CFG_VERSION_DMA 0x02

/* FWCfgDmaAccess.control bits. */
#define FW_CFG_DMA_CTL_ERROR  0x01
#define FW_CFG_DMA_CTL_READ   0x02
#define FW_CFG_DMA_CTL_SKIP   0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE  0x10

#define FW_CFG_DMA_SIGNATURE 0x51454d5520434647ull /* "QEMU CFG", big-endian */
#define FW_CFG_MAX_FILE_PATH 56
#define FW_CFG_FIXED_KEYS    0x20 /* fixed keys 0..0x1f and 0x8000..0x801f */
#define FW_CFG_MAX_FILES     (0x4000 - FW_CFG_FILE_FIRST)

struct fw_cfg_item {
    uint8_t *data;
    uint32_t len;
};

struct fw_cfg_file {
    char name[FW_CFG_MAX_FILE_PATH];
    struct fw_cfg_item item;
};

struct fw_cfg {
    struct machine *m;
    struct fw_cfg_item generic[FW_CFG_FIXED_KEYS];
    struct fw_cfg_item arch[FW_CFG_FIXED_KEYS];
    struct fw_cfg_file *files; /* sorted by name; selector = FILE_FIRST + index */
    unsigned file_count, file_capacity;
    uint16_t cur_key;
    uint32_t cur_offset;
    uint8_t dma_addr[8];       /* the DMA address register, in port byte order */
};

/* Claims ports 0x510-0x511 and 0x514-0x51b, and provides the signature,
 * the feature bitmap (traditional + DMA) and an empty file directory. */
struct fw_cfg *fw_cfg_create(struct machine *m);
void fw_cfg_destroy(struct fw_cfg *f);
/* Sets (or replaces) a fixed item: key 0x00-0x1f except FILE_DIR, or
 * 0x8000-0x801f. The data is copied. Returns 0, -EINVAL or -ENOMEM. */
int fw_cfg_add_bytes(struct fw_cfg *f, uint16_t key, const void *data, size_t len);
/* Little-endian integers, as QEMU stores them. */
int fw_cfg_add_i16(struct fw_cfg *f, uint16_t key, uint16_t value);
int fw_cfg_add_i32(struct fw_cfg *f, uint16_t key, uint32_t value);
int fw_cfg_add_i64(struct fw_cfg *f, uint16_t key, uint64_t value);
/* Adds a named file (replacing the contents of an existing one of that
 * name); names are at most 55 characters. The directory is kept sorted by
 * name, and selectors follow that order, so a file's selector can change
 * when another is added: look it up with fw_cfg_file_select(). Returns 0,
 * -EINVAL, -ENOSPC or -ENOMEM. */
int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len);
/* Selector of a file, or -1. */
int fw_cfg_file_select(const struct fw_cfg *f, const char *name);

#endif
