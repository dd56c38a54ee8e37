/* stdio/file/none/capture back ends for character devices. */
#include "hw/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void chardev_reset_fields(struct chardev *c)
{
    memset(c, 0, sizeof(*c));
    c->in_fd = -1;
    c->out_fd = -1;
}

int chardev_open(struct chardev *c, const char *spec, char *err, size_t err_len)
{
    chardev_reset_fields(c);
    if (!strcmp(spec, "none") || !strcmp(spec, "null"))
        return 0;
    if (!strcmp(spec, "stdio")) {
        c->in_fd = STDIN_FILENO;
        c->out_fd = STDOUT_FILENO;
        return 0;
    }
    if (!strncmp(spec, "file:", 5) && spec[5]) {
        int fd = open(spec + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            snprintf(err, err_len, "cannot open '%s': %s", spec + 5, strerror(errno));
            return -1;
        }
        c->out_fd = fd;
        c->owns_out_fd = true;
        return 0;
    }
    snprintf(err, err_len, "unknown character back end '%s' (use stdio, file:PATH or none)", spec);
    return -1;
}

void chardev_init_capture(struct chardev *c)
{
    chardev_reset_fields(c);
    c->capture_cap = 4096;
    c->capture = calloc(1, c->capture_cap);
}

void chardev_close(struct chardev *c)
{
    if (c->owns_out_fd && c->out_fd >= 0)
        close(c->out_fd);
    free(c->capture);
    chardev_reset_fields(c);
}

void chardev_set_frontend(struct chardev *c, chardev_can_receive_fn can_receive,
                          chardev_receive_fn receive, void *opaque)
{
    c->can_receive = can_receive;
    c->receive = receive;
    c->frontend = opaque;
}

void chardev_write(struct chardev *c, const uint8_t *buf, size_t len)
{
    if (c->capture) {
        if (c->capture_len + len + 1 > c->capture_cap) {
            size_t ncap = (c->capture_len + len + 1) * 2;
            uint8_t *n = realloc(c->capture, ncap);
            if (!n)
                return;
            c->capture = n;
            c->capture_cap = ncap;
        }
        memcpy(c->capture + c->capture_len, buf, len);
        c->capture_len += len;
        c->capture[c->capture_len] = 0;
        return;
    }
    while (c->out_fd >= 0 && len) {
        ssize_t n = write(c->out_fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* a closed terminal must not stop the guest */
        buf += n;
        len -= (size_t)n;
    }
}

void chardev_push_pending(struct chardev *c)
{
    while (c->pending_len && c->receive &&
           (!c->can_receive || c->can_receive(c->frontend))) {
        uint8_t b = c->pending[c->pending_head];
        c->pending_head = (c->pending_head + 1) % sizeof(c->pending);
        c->pending_len--;
        c->receive(c->frontend, b);
    }
}

void chardev_feed(struct chardev *c, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len && c->pending_len < sizeof(c->pending); i++) {
        c->pending[(c->pending_head + c->pending_len) % sizeof(c->pending)] = buf[i];
        c->pending_len++;
    }
    chardev_push_pending(c);
}
