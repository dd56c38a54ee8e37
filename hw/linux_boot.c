/* Linux bzImage direct boot (32-bit boot protocol): places the protected-mode
 * kernel, initrd, command line and zero page in guest RAM as the e820 map
 * allows, and sets the CPU up at the kernel's 32-bit entry point. */
#include "hw/linux_boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "hw/machine.h"
#include "softmmu/physmem.h"

/* Setup header fields, at the same offsets in the image and in the zero page. */
#define HDR_START           0x1f1
#define HDR_SETUP_SECTS     0x1f1
#define HDR_VID_MODE        0x1fa
#define HDR_JUMP_LEN        0x201 /* second byte of the short jump: header length - 2 */
#define HDR_MAGIC           0x202
#define HDR_VERSION         0x206
#define HDR_TYPE_OF_LOADER  0x210
#define HDR_LOADFLAGS       0x211
#define HDR_CODE32_START    0x214
#define HDR_RAMDISK_IMAGE   0x218
#define HDR_RAMDISK_SIZE    0x21c
#define HDR_HEAP_END_PTR    0x224
#define HDR_EXT_LOADER_VER  0x226
#define HDR_EXT_LOADER_TYPE 0x227
#define HDR_CMD_LINE_PTR    0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGN    0x230
#define HDR_RELOCATABLE     0x234
#define HDR_CMDLINE_SIZE    0x238
#define HDR_SETUP_DATA      0x250
#define HDR_PREF_ADDRESS    0x258
#define HDR_INIT_SIZE       0x260
/* The setup header must fit in the hole of struct boot_params before
 * edd_mbr_sig_buffer. */
#define HDR_LIMIT           0x290

/* struct boot_params fields outside the setup header. */
#define BP_EXT_MEM_K     0x002
#define BP_ACPI_RSDP     0x070
#define BP_ALT_MEM_K     0x1e0
#define BP_E820_ENTRIES  0x1e8
#define BP_E820_TABLE    0x2d0
#define BP_E820_MAX      128
#define BP_SIZE          0x1000

#define HDRS_MAGIC       0x53726448u /* "HdrS" */
#define LOADED_HIGH      0x01
#define KEEP_SEGMENTS    0x40
#define CAN_USE_HEAP     0x80
#define LOADER_UNDEFINED 0xff
#define VID_MODE_NORMAL  0xffff

#define PAGE_SIZE        0x1000ull
#define FOUR_GB          0x100000000ull

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

int linux_boot_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_len, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    size_t cap = (fstat(fd, &st) == 0 && st.st_size > 0) ? (size_t)st.st_size + 1 : 4096;
    uint8_t *data = malloc(cap);
    size_t used = 0;
    while (data) {
        if (used == cap) {
            uint8_t *bigger = realloc(data, cap * 2);
            if (!bigger) {
                free(data);
                data = NULL;
                break;
            }
            data = bigger;
            cap *= 2;
        }
        ssize_t n = read(fd, data + used, cap - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, err_len, "cannot read %s: %s", path, strerror(errno));
            free(data);
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    if (!data) {
        snprintf(err, err_len, "cannot read %s: %s", path, strerror(ENOMEM));
        return -1;
    }
    *buf = data;
    *len = used;
    return 0;
}

bool linux_boot_e820_is_ram(const struct e820_map *map, uint64_t addr, uint64_t size)
{
    uint64_t end = addr + size;
    if (end < addr)
        return false;
    uint64_t cur = addr;
    /* Adjacent RAM entries count as one range, whatever order they come in. */
    while (cur < end) {
        bool advanced = false;
        for (unsigned i = 0; i < map->count; i++) {
            const struct e820_entry *e = &map->entries[i];
            if (e->type == E820_RAM && cur >= e->addr && cur - e->addr < e->size) {
                cur = e->addr + e->size;
                advanced = true;
                break;
            }
        }
        if (!advanced)
            return false;
    }
    return true;
}

bool linux_boot_e820_find_ram(const struct e820_map *map, uint64_t from, uint64_t size,
                              uint64_t align, uint64_t limit, uint64_t *addr)
{
    bool found = false;
    uint64_t best = 0;
    for (unsigned i = 0; i < map->count; i++) {
        const struct e820_entry *e = &map->entries[i];
        if (e->type != E820_RAM)
            continue;
        uint64_t cand = align_up(e->addr > from ? e->addr : from, align);
        if (cand < from || cand + size < cand || cand + size > limit)
            continue;
        if (cand - e->addr >= e->size)
            continue;
        if (!linux_boot_e820_is_ram(map, cand, size))
            continue;
        if (!found || cand < best) {
            best = cand;
            found = true;
        }
    }
    if (found)
        *addr = best;
    return found;
}

/* Highest page-aligned address where [addr, addr+size) is RAM, starts at or
 * above low and ends at or below high. */
static bool e820_find_ram_top(const struct e820_map *map, uint64_t low, uint64_t high,
                              uint64_t size, uint64_t *addr)
{
    bool found = false;
    uint64_t best = 0;
    for (unsigned i = 0; i < map->count; i++) {
        const struct e820_entry *e = &map->entries[i];
        if (e->type != E820_RAM)
            continue;
        uint64_t top = e->addr + e->size < high ? e->addr + e->size : high;
        if (top < size || top - size < low)
            continue;
        uint64_t cand = (top - size) & ~(PAGE_SIZE - 1);
        if (cand < low || !linux_boot_e820_is_ram(map, cand, size))
            continue;
        if (!found || cand > best) {
            best = cand;
            found = true;
        }
    }
    if (found)
        *addr = best;
    return found;
}

uint64_t linux_boot_e820_ram_extent(const struct e820_map *map, uint64_t addr)
{
    uint64_t cur = addr;
    for (;;) {
        bool advanced = false;
        for (unsigned i = 0; i < map->count; i++) {
            const struct e820_entry *e = &map->entries[i];
            if (e->type == E820_RAM && cur >= e->addr && cur - e->addr < e->size) {
                cur = e->addr + e->size;
                advanced = true;
                break;
            }
        }
        if (!advanced)
            return cur - addr;
    }
}

bool linux_boot_enter_flat32(struct machine *m, uint32_t entry)
{
    /* null, unused, __BOOT_CS (exec/read), __BOOT_DS (read/write), busy TSS;
     * accessed bits set so the descriptors match the cached segment state. */
    static const uint64_t gdt[5] = {
        0,
        0,
        0x00cf9b000000ffffull,
        0x00cf93000000ffffull,
        0x00008b0000000067ull,
    };
    if (!linux_boot_e820_is_ram(&m->e820, LINUX_BOOT_GDT_ADDR, sizeof(gdt)))
        return false;
    uint8_t raw[sizeof(gdt)];
    for (unsigned i = 0; i < 5; i++)
        put64(raw + 8 * i, gdt[i]);
    physmem_write(&m->mem, LINUX_BOOT_GDT_ADDR, raw, sizeof(raw));

    struct x86_cpu *cpu = &m->cpu;
    cpu_reset(cpu);
    memset(cpu->regs, 0, sizeof(cpu->regs));
    cpu->rip = entry;
    cpu->rflags = X86_FLAG_FIXED;
    /* Caches on, as firmware would have left them; paging off. */
    cpu->cr0 = X86_CR0_PE | X86_CR0_ET;
    cpu_seg_load_flat32(&cpu->seg[S_CS], LINUX_BOOT_CS, 0xb);
    for (int s = 0; s < X86_NR_SEGS; s++)
        if (s != S_CS)
            cpu_seg_load_flat32(&cpu->seg[s], LINUX_BOOT_DS, 0x3);
    cpu->gdtr.base = LINUX_BOOT_GDT_ADDR;
    cpu->gdtr.limit = sizeof(gdt) - 1;
    cpu->idtr.base = 0;
    cpu->idtr.limit = 0;
    cpu->tr = (struct x86_segment){ .selector = LINUX_BOOT_TSS, .base = 0, .limit = 0x67,
                                    .attr = SEG_ATTR_P | 0xb };
    cpu->ldtr = (struct x86_segment){ .selector = 0, .base = 0, .limit = 0xffff,
                                      .attr = SEG_ATTR_P | 0x2 };
    machine_set_a20(m, true);
    return true;
}

bool linux_boot_is_bzimage(const uint8_t *buf, size_t len)
{
    if (len < 0x400)
        return false;
    return get32(buf + HDR_MAGIC) == HDRS_MAGIC && get16(buf + HDR_VERSION) >= 0x0200 &&
           (buf[HDR_LOADFLAGS] & LOADED_HIGH);
}

/* What the kernel occupies from its load address: the image itself and the
 * init_size bytes it needs at its runtime start (boot.rst, init_size). */
struct kernel_layout {
    uint64_t image_size;
    bool relocatable;
    uint64_t align;
    uint64_t pref_address;
    uint64_t init_size;
};

static uint64_t kernel_footprint_end(const struct kernel_layout *k, uint64_t load)
{
    uint64_t runtime;
    if (k->relocatable) {
        runtime = align_up(load, k->align);
        /* The decompressor never runs below its link-time address. */
        if (runtime < k->pref_address)
            runtime = k->pref_address;
    } else {
        runtime = k->pref_address ? k->pref_address : load;
    }
    uint64_t end = load + k->image_size;
    if (runtime + k->init_size > end)
        end = runtime + k->init_size;
    return end;
}

static int choose_load_address(const struct machine *m, const struct kernel_layout *k,
                               uint64_t *load, uint64_t *end, char *err, size_t err_len)
{
    uint64_t fp = kernel_footprint_end(k, LINUX_BOOT_KERNEL_ADDR);
    if (fp <= FOUR_GB &&
        linux_boot_e820_is_ram(&m->e820, LINUX_BOOT_KERNEL_ADDR, fp - LINUX_BOOT_KERNEL_ADDR)) {
        *load = LINUX_BOOT_KERNEL_ADDR;
        *end = fp;
        return 0;
    }
    if (!k->relocatable) {
        snprintf(err, err_len,
                 "kernel is not relocatable and does not fit in RAM at 0x%llx "
                 "(needs up to 0x%llx)",
                 (unsigned long long)LINUX_BOOT_KERNEL_ADDR, (unsigned long long)fp);
        return -1;
    }
    bool found = false;
    for (unsigned i = 0; i < m->e820.count; i++) {
        const struct e820_entry *e = &m->e820.entries[i];
        if (e->type != E820_RAM)
            continue;
        uint64_t cand = align_up(e->addr > LINUX_BOOT_KERNEL_ADDR ? e->addr : LINUX_BOOT_KERNEL_ADDR,
                                 k->align);
        uint64_t cand_end = kernel_footprint_end(k, cand);
        if (cand_end > FOUR_GB || !linux_boot_e820_is_ram(&m->e820, cand, cand_end - cand))
            continue;
        if (!found || cand < *load) {
            *load = cand;
            *end = cand_end;
            found = true;
        }
    }
    if (!found) {
        snprintf(err, err_len, "kernel does not fit in RAM (image %llu bytes, init_size %llu)",
                 (unsigned long long)k->image_size, (unsigned long long)k->init_size);
        return -1;
    }
    return 0;
}

int linux_boot_load(struct machine *m, const char *kernel_path, const char *initrd_path,
                    const char *cmdline, char *err, size_t err_len)
{
    uint8_t *img = NULL, *initrd = NULL;
    size_t len = 0, initrd_len = 0;
    int ret = -1;
    if (linux_boot_read_file(kernel_path, &img, &len, err, err_len) < 0)
        return -1;

    if (len < 0x400) {
        snprintf(err, err_len, "%s: too small for a Linux kernel (%zu bytes)", kernel_path, len);
        goto out;
    }
    if (get32(img + HDR_MAGIC) != HDRS_MAGIC) {
        snprintf(err, err_len, "%s: not a bzImage (no \"HdrS\" setup header)", kernel_path);
        goto out;
    }
    uint16_t version = get16(img + HDR_VERSION);
    if (version < 0x0206) {
        snprintf(err, err_len, "%s: boot protocol %u.%02u too old (need 2.06 or later)",
                 kernel_path, version >> 8, version & 0xff);
        goto out;
    }
    if (!linux_boot_is_bzimage(img, len)) {
        snprintf(err, err_len, "%s: not a bzImage (zImage kernels are not supported)", kernel_path);
        goto out;
    }
    unsigned setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
    size_t setup_size = (size_t)(setup_sects + 1) * 512;
    if (len <= setup_size) {
        snprintf(err, err_len, "%s: too small (%zu bytes, setup alone is %zu)", kernel_path, len,
                 setup_size);
        goto out;
    }

    struct kernel_layout k = {
        .image_size = len - setup_size,
        .relocatable = img[HDR_RELOCATABLE] != 0,
        .align = get32(img + HDR_KERNEL_ALIGN),
        .pref_address = version >= 0x020a ? get64(img + HDR_PREF_ADDRESS) : 0,
        .init_size = version >= 0x020a ? get32(img + HDR_INIT_SIZE) : 0,
    };
    if (k.align < PAGE_SIZE || (k.align & (k.align - 1)))
        k.align = PAGE_SIZE;
    uint64_t load = 0, kernel_end = 0;
    if (choose_load_address(m, &k, &load, &kernel_end, err, err_len) < 0)
        goto out;

    /* Command line: the kernel copies at most cmdline_size bytes. */
    if (!cmdline)
        cmdline = "";
    size_t cmd_len = strlen(cmdline);
    uint32_t cmdline_size = get32(img + HDR_CMDLINE_SIZE);
    if (cmd_len > cmdline_size || cmd_len + 1 > LINUX_BOOT_CMDLINE_MAX) {
        snprintf(err, err_len, "command line too long (%zu bytes, kernel accepts %u)", cmd_len,
                 cmdline_size);
        goto out;
    }
    if (!linux_boot_e820_is_ram(&m->e820, LINUX_BOOT_ZERO_PAGE, BP_SIZE) ||
        !linux_boot_e820_is_ram(&m->e820, LINUX_BOOT_CMDLINE_ADDR, cmd_len + 1)) {
        snprintf(err, err_len, "low memory at 0x%llx-0x%llx is not RAM in the e820 map",
                 (unsigned long long)LINUX_BOOT_ZERO_PAGE,
                 (unsigned long long)(LINUX_BOOT_CMDLINE_ADDR + cmd_len));
        goto out;
    }

    /* Initrd: as high as it fits under initrd_addr_max and 4 GiB, clear of
     * everything the kernel needs before it reads its memory map. */
    uint64_t initrd_addr = 0;
    if (initrd_path) {
        if (linux_boot_read_file(initrd_path, &initrd, &initrd_len, err, err_len) < 0)
            goto out;
        uint64_t high = (uint64_t)get32(img + HDR_INITRD_ADDR_MAX) + 1;
        if (high > FOUR_GB)
            high = FOUR_GB;
        if (initrd_len &&
            !e820_find_ram_top(&m->e820, kernel_end, high, initrd_len, &initrd_addr)) {
            snprintf(err, err_len,
                     "initrd %s (%zu bytes) does not fit in memory between 0x%llx and 0x%llx",
                     initrd_path, initrd_len, (unsigned long long)kernel_end,
                     (unsigned long long)high);
            goto out;
        }
    }

    /* Zero page: a clean boot_params with the image's setup header in it. */
    uint8_t bp[BP_SIZE];
    memset(bp, 0, sizeof(bp));
    size_t hdr_end = 0x202 + (size_t)img[HDR_JUMP_LEN];
    if (hdr_end > HDR_LIMIT)
        hdr_end = HDR_LIMIT;
    memcpy(bp + HDR_START, img + HDR_START, hdr_end - HDR_START);

    put16(bp + HDR_VID_MODE, VID_MODE_NORMAL);
    bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
    bp[HDR_EXT_LOADER_VER] = 0;
    bp[HDR_EXT_LOADER_TYPE] = 0;
    bp[HDR_LOADFLAGS] = (uint8_t)((bp[HDR_LOADFLAGS] | CAN_USE_HEAP) & ~KEEP_SEGMENTS);
    /* No real-mode setup code runs on this path; the value is the one the
     * protocol's sample layout gives a loader putting setup below 0x90000. */
    put16(bp + HDR_HEAP_END_PTR, 0xe000 - 0x200);
    put32(bp + HDR_CODE32_START, (uint32_t)load);
    put32(bp + HDR_CMD_LINE_PTR, (uint32_t)LINUX_BOOT_CMDLINE_ADDR);
    put32(bp + HDR_RAMDISK_IMAGE, (uint32_t)initrd_addr);
    put32(bp + HDR_RAMDISK_SIZE, (uint32_t)initrd_len);
    if (version >= 0x0209)
        put64(bp + HDR_SETUP_DATA, 0);

    unsigned n = m->e820.count < BP_E820_MAX ? m->e820.count : BP_E820_MAX;
    bp[BP_E820_ENTRIES] = (uint8_t)n;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *e = bp + BP_E820_TABLE + 20 * i;
        put64(e, m->e820.entries[i].addr);
        put64(e + 8, m->e820.entries[i].size);
        put32(e + 16, m->e820.entries[i].type);
    }
    /* Old memory-size fields, for kernels that look before the e820 map. */
    uint64_t ext_k = linux_boot_e820_ram_extent(&m->e820, 0x100000) >> 10;
    if (ext_k > UINT32_MAX)
        ext_k = UINT32_MAX;
    put32(bp + BP_ALT_MEM_K, (uint32_t)ext_k);
    put16(bp + BP_EXT_MEM_K, (uint16_t)(ext_k > 0xffff ? 0xffff : ext_k));

    if (!linux_boot_enter_flat32(m, (uint32_t)load)) {
        snprintf(err, err_len, "low memory at 0x%llx is not RAM in the e820 map",
                 (unsigned long long)LINUX_BOOT_GDT_ADDR);
        goto out;
    }
    m->cpu.regs[R_RSI] = LINUX_BOOT_ZERO_PAGE;

    physmem_write(&m->mem, load, img + setup_size, len - setup_size);
    if (initrd_len)
        physmem_write(&m->mem, initrd_addr, initrd, initrd_len);
    physmem_write(&m->mem, LINUX_BOOT_CMDLINE_ADDR, cmdline, cmd_len + 1);
    physmem_write(&m->mem, LINUX_BOOT_ZERO_PAGE, bp, sizeof(bp));
    ret = 0;
out:
    free(img);
    free(initrd);
    return ret;
}

bool linux_boot_set_acpi_rsdp(struct machine *m, uint64_t rsdp_gpa)
{
    uint8_t hdr[8];
    physmem_read(&m->mem, LINUX_BOOT_ZERO_PAGE + HDR_MAGIC, hdr, sizeof(hdr));
    if (get32(hdr) != HDRS_MAGIC || get16(hdr + 4) < 0x020e)
        return false;
    uint8_t v[8];
    put64(v, rsdp_gpa);
    physmem_write(&m->mem, LINUX_BOOT_ZERO_PAGE + BP_ACPI_RSDP, v, sizeof(v));
    return true;
}
