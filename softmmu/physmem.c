/* Slot table for RAM/ROM plus the MMIO iomap; byte-granular copies that
 * cross slot and MMIO boundaries for loaders, DMA and slow paths. */
#include "softmmu/physmem.h"

#include <errno.h>
#include <string.h>

void physmem_init(struct physmem *pm)
{
    memset(pm, 0, sizeof(*pm));
    iomap_init(&pm->mmio);
}

void physmem_destroy(struct physmem *pm)
{
    iomap_destroy(&pm->mmio);
    memset(pm->slots, 0, sizeof(pm->slots));
}

void physmem_set_listener(struct physmem *pm, physmem_listener_fn fn, void *opaque)
{
    pm->listener = fn;
    pm->listener_opaque = opaque;
    if (!fn)
        return;
    for (unsigned i = 0; i < PHYS_MAX_SLOTS; i++)
        if (pm->slots[i].used)
            fn(opaque, i, &pm->slots[i], true);
}

int physmem_map(struct physmem *pm, uint64_t gpa, uint64_t size, uint8_t *host,
                bool readonly, uint8_t *write_host, const char *name)
{
    if (!size || !host || gpa + size - 1 < gpa)
        return -EINVAL;
    int free_index = -1;
    for (unsigned i = 0; i < PHYS_MAX_SLOTS; i++) {
        const struct phys_slot *s = &pm->slots[i];
        if (!s->used) {
            if (free_index < 0)
                free_index = (int)i;
            continue;
        }
        if (gpa < s->gpa + s->size && s->gpa < gpa + size)
            return -EEXIST;
    }
    if (free_index < 0)
        return -ENOSPC;
    struct phys_slot *s = &pm->slots[free_index];
    *s = (struct phys_slot){ true, gpa, size, host, readonly, write_host, name };
    pm->generation++;
    if (pm->listener)
        pm->listener(pm->listener_opaque, (unsigned)free_index, s, true);
    return free_index;
}

int physmem_unmap(struct physmem *pm, uint64_t gpa)
{
    for (unsigned i = 0; i < PHYS_MAX_SLOTS; i++) {
        struct phys_slot *s = &pm->slots[i];
        if (s->used && s->gpa == gpa) {
            struct phys_slot old = *s;
            s->used = false;
            pm->generation++;
            if (pm->listener)
                pm->listener(pm->listener_opaque, i, &old, false);
            return 0;
        }
    }
    return -ENOENT;
}

const struct phys_slot *physmem_find_slot(const struct physmem *pm, uint64_t gpa)
{
    for (unsigned i = 0; i < PHYS_MAX_SLOTS; i++) {
        const struct phys_slot *s = &pm->slots[i];
        if (s->used && gpa - s->gpa < s->size)
            return s;
    }
    return NULL;
}

uint8_t *physmem_host_ptr(const struct physmem *pm, uint64_t gpa, uint64_t len)
{
    const struct phys_slot *s = physmem_find_slot(pm, gpa);
    if (!s || gpa - s->gpa + len > s->size)
        return NULL;
    return s->host + (gpa - s->gpa);
}

uint8_t *physmem_host_ptr_write(const struct physmem *pm, uint64_t gpa, uint64_t len)
{
    const struct phys_slot *s = physmem_find_slot(pm, gpa);
    if (!s || gpa - s->gpa + len > s->size)
        return NULL;
    if (s->readonly)
        return s->write_host ? s->write_host + (gpa - s->gpa) : NULL;
    return s->host + (gpa - s->gpa);
}

bool physmem_mmio_access(struct physmem *pm, uint64_t gpa, uint8_t *data,
                         unsigned len, bool is_write)
{
    return iomap_access(&pm->mmio, gpa, data, len, is_write);
}

/* Copies in pieces that each stay inside one slot or one MMIO byte. */
static void physmem_copy(struct physmem *pm, uint64_t gpa, uint8_t *buf, size_t len,
                         bool is_write)
{
    while (len) {
        const struct phys_slot *s = physmem_find_slot(pm, gpa);
        if (s) {
            uint64_t off = gpa - s->gpa;
            size_t n = s->size - off < len ? (size_t)(s->size - off) : len;
            if (!is_write)
                memcpy(buf, s->host + off, n);
            else if (!s->readonly)
                memcpy(s->host + off, buf, n);
            else if (s->write_host)
                memcpy(s->write_host + off, buf, n);
            gpa += n;
            buf += n;
            len -= n;
        } else {
            iomap_access(&pm->mmio, gpa, buf, 1, is_write);
            gpa++;
            buf++;
            len--;
        }
    }
}

void physmem_read(struct physmem *pm, uint64_t gpa, void *buf, size_t len)
{
    physmem_copy(pm, gpa, buf, len, false);
}

void physmem_write(struct physmem *pm, uint64_t gpa, const void *buf, size_t len)
{
    physmem_copy(pm, gpa, (uint8_t *)buf, len, true);
}
