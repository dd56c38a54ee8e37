/* Address-range dispatch shared by port I/O and MMIO: devices register one
 * handler signature for both, and the engines call iomap_access(). */
#ifndef VX86_SOFTMMU_IOMAP_H
#define VX86_SOFTMMU_IOMAP_H

#include <stdbool.h>
#include <stdint.h>

/* offset is relative to the region base; data holds len bytes, little-endian.
 * On a read the handler fills data; on a write it consumes it. */
typedef void (*io_handler_fn)(void *opaque, uint64_t offset, uint8_t *data,
                              unsigned len, bool is_write);

struct io_region {
    uint64_t base;
    uint64_t size;
    io_handler_fn handler;
    void *opaque;
    const char *name;
};

struct iomap {
    struct io_region *regions; /* sorted by base, never overlapping */
    unsigned count;
    unsigned capacity;
};

void iomap_init(struct iomap *map);
void iomap_destroy(struct iomap *map);
/* Returns 0, -EEXIST when the range overlaps a registered one, -EINVAL, -ENOMEM. */
int iomap_add(struct iomap *map, uint64_t base, uint64_t size, io_handler_fn fn,
              void *opaque, const char *name);
/* Removes the region starting exactly at base; -ENOENT if there is none. */
int iomap_remove(struct iomap *map, uint64_t base);
const struct io_region *iomap_find(const struct iomap *map, uint64_t addr);
/* Dispatches an access of 1..8 bytes. Unmapped bytes read as 0xff and
 * swallow writes; an access that straddles regions is split into bytes.
 * Returns false when no byte of the access was mapped. */
bool iomap_access(struct iomap *map, uint64_t addr, uint8_t *data, unsigned len,
                  bool is_write);

static inline uint64_t io_data_get(const uint8_t *data, unsigned len)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < len; i++)
        v |= (uint64_t)data[i] << (8 * i);
    return v;
}

static inline void io_data_put(uint8_t *data, unsigned len, uint64_t v)
{
    for (unsigned i = 0; i < len; i++)
        data[i] = (uint8_t)(v >> (8 * i));
}

#endif
