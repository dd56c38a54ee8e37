/* Character back ends (stdio, file, none, memory for tests) that serial-like
 * devices write to and receive input from. */
#ifndef VX86_HW_CHARDEV_H
#define VX86_HW_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef bool (*chardev_can_receive_fn)(void *opaque);
typedef void (*chardev_receive_fn)(void *opaque, uint8_t byte);

struct chardev {
    int in_fd;            /* -1 when the back end has no input */
    int out_fd;           /* -1 discards output (unless capturing) */
    bool owns_out_fd;
    /* Memory capture for tests: output is appended here when non-NULL. */
    uint8_t *capture;
    size_t capture_len, capture_cap;
    /* Input read from in_fd that the front end could not take yet. */
    uint8_t pending[256];
    size_t pending_head, pending_len;
    chardev_can_receive_fn can_receive;
    chardev_receive_fn receive;
    void *frontend;
};

/* spec: "stdio", "file:PATH", "none". Returns 0 or -1 with a message in err. */
int chardev_open(struct chardev *c, const char *spec, char *err, size_t err_len);
/* A back end that records output in memory (device tests). */
void chardev_init_capture(struct chardev *c);
void chardev_close(struct chardev *c);
void chardev_set_frontend(struct chardev *c, chardev_can_receive_fn can_receive,
                          chardev_receive_fn receive, void *opaque);
void chardev_write(struct chardev *c, const uint8_t *buf, size_t len);
/* Queues bytes as if typed on the input (main loop and tests), then pushes
 * what the front end accepts. */
void chardev_feed(struct chardev *c, const uint8_t *buf, size_t len);
/* Offers queued input to the front end again; call when it may have room. */
void chardev_push_pending(struct chardev *c);

#endif
