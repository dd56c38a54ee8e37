/* The code cache memory of the x86-64 backend: a memfd mapped once
 * read-write and once read-execute, so generated code is written through
 * one view and runs from the other and no page is writable and executable. */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "translator/x64_backend.h"

int x64_codebuf_init(struct x64_codebuf *cb, size_t size)
{
    cb->rw = cb->rx = NULL;
    cb->size = cb->used = cb->keep = 0;
    cb->fd = memfd_create("vx86-code", MFD_CLOEXEC);
    if (cb->fd < 0)
        return -errno;
    if (ftruncate(cb->fd, (off_t)size) < 0)
        goto fail;
    void *rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, cb->fd, 0);
    if (rw == MAP_FAILED)
        goto fail;
    void *rx = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, cb->fd, 0);
    if (rx == MAP_FAILED) {
        int err = errno;
        munmap(rw, size);
        close(cb->fd);
        cb->fd = -1;
        return -err;
    }
    cb->rw = rw;
    cb->rx = rx;
    cb->size = size;
    return 0;
fail:;
    int err = errno;
    close(cb->fd);
    cb->fd = -1;
    return -err;
}

void x64_codebuf_destroy(struct x64_codebuf *cb)
{
    if (cb->rw)
        munmap(cb->rw, cb->size);
    if (cb->rx)
        munmap(cb->rx, cb->size);
    if (cb->fd >= 0)
        close(cb->fd);
    cb->rw = cb->rx = NULL;
    cb->fd = -1;
}

void x64_codebuf_flush(struct x64_codebuf *cb)
{
    cb->used = cb->keep;
}
