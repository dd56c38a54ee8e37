/* fw_cfg: fixed and named items, the sorted file directory, byte-at-a-time
 * reads through the data port, and the DMA interface that copies items
 * straight into guest memory. */
#include "hw/fw_cfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/machine.h"

#define FW_CFG_KEY_INDEX(key) ((key) & 0x3fffu)
#define FW_CFG_DIR_ENTRY_SIZE 64

static const uint8_t fw_cfg_dma_sig[8] = { 'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G' };

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, (uint16_t)(v >> 16));
    put_be16(p + 2, (uint16_t)v);
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* Bit 14 (the old write channel) does not take part in the lookup. */
static const struct fw_cfg_item *fw_cfg_lookup(const struct fw_cfg *f, uint16_t key)
{
    unsigned idx = FW_CFG_KEY_INDEX(key);
    if (key & FW_CFG_ARCH_LOCAL)
        return idx < FW_CFG_FIXED_KEYS ? &f->arch[idx] : NULL;
    if (idx < FW_CFG_FIXED_KEYS)
        return &f->generic[idx];
    idx -= FW_CFG_FILE_FIRST;
    return idx < f->file_count ? &f->files[idx].item : NULL;
}

static int item_set(struct fw_cfg_item *item, const void *data, size_t len)
{
    if (len > UINT32_MAX)
        return -EINVAL;
    uint8_t *copy = NULL;
    if (len) {
        copy = malloc(len);
        if (!copy)
            return -ENOMEM;
        memcpy(copy, data, len);
    }
    free(item->data);
    item->data = copy;
    item->len = (uint32_t)len;
    return 0;
}

static int fw_cfg_rebuild_dir(struct fw_cfg *f)
{
    size_t len = 4 + (size_t)f->file_count * FW_CFG_DIR_ENTRY_SIZE;
    uint8_t *dir = calloc(1, len);
    if (!dir)
        return -ENOMEM;
    put_be32(dir, f->file_count);
    for (unsigned i = 0; i < f->file_count; i++) {
        uint8_t *e = dir + 4 + (size_t)i * FW_CFG_DIR_ENTRY_SIZE;
        put_be32(e, f->files[i].item.len);
        put_be16(e + 4, (uint16_t)(FW_CFG_FILE_FIRST + i));
        memcpy(e + 8, f->files[i].name, FW_CFG_MAX_FILE_PATH);
    }
    struct fw_cfg_item *item = &f->generic[FW_CFG_FILE_DIR];
    free(item->data);
    item->data = dir;
    item->len = (uint32_t)len;
    return 0;
}

int fw_cfg_add_bytes(struct fw_cfg *f, uint16_t key, const void *data, size_t len)
{
    unsigned idx = FW_CFG_KEY_INDEX(key);
    if ((key & FW_CFG_WRITE_CHANNEL) || idx >= FW_CFG_FIXED_KEYS ||
        key == FW_CFG_FILE_DIR || (len && !data))
        return -EINVAL;
    return item_set((key & FW_CFG_ARCH_LOCAL) ? &f->arch[idx] : &f->generic[idx],
                    data, len);
}

int fw_cfg_add_i16(struct fw_cfg *f, uint16_t key, uint16_t value)
{
    uint8_t b[2] = { (uint8_t)value, (uint8_t)(value >> 8) };
    return fw_cfg_add_bytes(f, key, b, sizeof(b));
}

int fw_cfg_add_i32(struct fw_cfg *f, uint16_t key, uint32_t value)
{
    uint8_t b[4];
    for (unsigned i = 0; i < 4; i++)
        b[i] = (uint8_t)(value >> (8 * i));
    return fw_cfg_add_bytes(f, key, b, sizeof(b));
}

int fw_cfg_add_i64(struct fw_cfg *f, uint16_t key, uint64_t value)
{
    uint8_t b[8];
    for (unsigned i = 0; i < 8; i++)
        b[i] = (uint8_t)(value >> (8 * i));
    return fw_cfg_add_bytes(f, key, b, sizeof(b));
}

int fw_cfg_file_select(const struct fw_cfg *f, const char *name)
{
    for (unsigned i = 0; i < f->file_count; i++)
        if (strcmp(f->files[i].name, name) == 0)
            return (int)(FW_CFG_FILE_FIRST + i);
    return -1;
}

int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len)
{
    if (!name || !name[0] || strlen(name) >= FW_CFG_MAX_FILE_PATH || (len && !data))
        return -EINVAL;
    unsigned pos = 0;
    while (pos < f->file_count && strcmp(f->files[pos].name, name) < 0)
        pos++;
    if (pos < f->file_count && strcmp(f->files[pos].name, name) == 0) {
        int r = item_set(&f->files[pos].item, data, len);
        return r < 0 ? r : fw_cfg_rebuild_dir(f);
    }
    if (f->file_count >= FW_CFG_MAX_FILES)
        return -ENOSPC;
    if (f->file_count == f->file_capacity) {
        unsigned ncap = f->file_capacity ? f->file_capacity * 2 : 16;
        struct fw_cfg_file *n = realloc(f->files, ncap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        f->files = n;
        f->file_capacity = ncap;
    }
    struct fw_cfg_file nf;
    memset(&nf, 0, sizeof(nf));
    strcpy(nf.name, name);
    int r = item_set(&nf.item, data, len);
    if (r < 0)
        return r;
    memmove(&f->files[pos + 1], &f->files[pos],
            (f->file_count - pos) * sizeof(f->files[0]));
    f->files[pos] = nf;
    f->file_count++;
    return fw_cfg_rebuild_dir(f);
}

/* ---- guest interface ---- */

static void fw_cfg_select(struct fw_cfg *f, uint16_t key)
{
    f->cur_key = key;
    f->cur_offset = 0;
}

static uint32_t fw_cfg_remaining(const struct fw_cfg *f, const struct fw_cfg_item **out)
{
    const struct fw_cfg_item *item = fw_cfg_lookup(f, f->cur_key);
    *out = item;
    if (!item || !item->data || f->cur_offset >= item->len)
        return 0;
    return item->len - f->cur_offset;
}

static void fw_cfg_ctl_data_io(void *opaque, uint64_t offset, uint8_t *data,
                               unsigned len, bool is_write)
{
    struct fw_cfg *f = opaque;
    if (offset == 0) {
        if (is_write)
            fw_cfg_select(f, (uint16_t)io_data_get(data, len));
        else
            memset(data, 0, len);
        return;
    }
    /* Data port: writes are ignored, as in QEMU since v2.4. */
    if (is_write)
        return;
    for (unsigned i = 0; i < len; i++) {
        const struct fw_cfg_item *item;
        if (fw_cfg_remaining(f, &item)) {
            data[i] = item->data[f->cur_offset++];
        } else {
            data[i] = 0;
        }
    }
}

static void fw_cfg_dma_zero(struct fw_cfg *f, uint64_t gpa, uint64_t len)
{
    static const uint8_t zeros[256];
    while (len) {
        size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
        physmem_write(&f->m->mem, gpa, zeros, n);
        gpa += n;
        len -= n;
    }
}

static void fw_cfg_dma_run(struct fw_cfg *f, uint64_t desc)
{
    uint8_t acc[16];
    physmem_read(&f->m->mem, desc, acc, sizeof(acc));
    uint32_t control = get_be32(acc);
    uint32_t length = get_be32(acc + 4);
    uint64_t gpa = get_be64(acc + 8);
    bool error = false;

    if (control & FW_CFG_DMA_CTL_SELECT)
        fw_cfg_select(f, (uint16_t)(control >> 16));
    const struct fw_cfg_item *item;
    uint32_t avail = fw_cfg_remaining(f, &item);
    uint32_t n = length < avail ? length : avail;
    if (control & FW_CFG_DMA_CTL_READ) {
        /* Past the end of the item (or with no item selected) the
         * transfer reads zeros, which firmware relies on when probing
         * items this machine does not provide. */
        if (n)
            physmem_write(&f->m->mem, gpa, item->data + f->cur_offset, n);
        f->cur_offset += n;
        fw_cfg_dma_zero(f, gpa + n, (uint64_t)length - n);
    } else if (control & FW_CFG_DMA_CTL_WRITE) {
        /* No item is guest-writable. */
        error = length != 0;
    } else if (control & FW_CFG_DMA_CTL_SKIP) {
        f->cur_offset += n;
    }
    uint8_t done[4];
    put_be32(done, error ? FW_CFG_DMA_CTL_ERROR : 0);
    physmem_write(&f->m->mem, desc, done, sizeof(done));
}

static void fw_cfg_dma_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                          bool is_write)
{
    struct fw_cfg *f = opaque;
    if (!is_write) {
        for (unsigned i = 0; i < len; i++)
            data[i] = offset + i < 8 ? fw_cfg_dma_sig[offset + i] : 0;
        return;
    }
    for (unsigned i = 0; i < len && offset + i < 8; i++)
        f->dma_addr[offset + i] = data[i];
    /* Writing the low half (the last bytes, big-endian) starts the
     * transfer; the high half may have been written before it. */
    if (offset + len == 8) {
        uint64_t desc = get_be64(f->dma_addr);
        memset(f->dma_addr, 0, sizeof(f->dma_addr));
        fw_cfg_dma_run(f, desc);
    }
}

struct fw_cfg *fw_cfg_create(struct machine *m)
{
    struct fw_cfg *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->m = m;
    if (fw_cfg_add_bytes(f, FW_CFG_SIGNATURE, "QEMU", 4) < 0 ||
        fw_cfg_add_i32(f, FW_CFG_ID, FW_CFG_VERSION | FW_CFG_VERSION_DMA) < 0 ||
        fw_cfg_rebuild_dir(f) < 0)
        goto fail;
    if (iomap_add(&m->io, FW_CFG_PORT_SEL, 2, fw_cfg_ctl_data_io, f, "fw_cfg") < 0)
        goto fail;
    if (iomap_add(&m->io, FW_CFG_PORT_DMA, 8, fw_cfg_dma_io, f, "fw_cfg-dma") < 0) {
        iomap_remove(&m->io, FW_CFG_PORT_SEL);
        goto fail;
    }
    return f;
fail:
    fw_cfg_destroy(f);
    return NULL;
}

void fw_cfg_destroy(struct fw_cfg *f)
{
    if (!f)
        return;
    const struct io_region *r = iomap_find(&f->m->io, FW_CFG_PORT_SEL);
    if (r && r->opaque == f)
        iomap_remove(&f->m->io, FW_CFG_PORT_SEL);
    r = iomap_find(&f->m->io, FW_CFG_PORT_DMA);
    if (r && r->opaque == f)
        iomap_remove(&f->m->io, FW_CFG_PORT_DMA);
    for (unsigned i = 0; i < FW_CFG_FIXED_KEYS; i++) {
        free(f->generic[i].data);
        free(f->arch[i].data);
    }
    for (unsigned i = 0; i < f->file_count; i++)
        free(f->files[i].item.data);
    free(f->files);
    free(f);
}
