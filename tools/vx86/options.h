/* Command-line options of the vx86 program, parsed with QEMU's names. */
#ifndef VX86_TOOLS_OPTIONS_H
#define VX86_TOOLS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vx86_accel { ACCEL_AUTO, ACCEL_KVM, ACCEL_BT };

struct vx86_options {
    uint64_t ram_size;
    const char *bios;
    const char *kernel;
    const char *initrd;
    const char *append;
    const char *serial;
    const char *debugcon;
    const char *display;   /* "none" or "sdl" */
    bool nographic;
    enum vx86_accel accel;
    const char *bt_backend; /* NULL, "jit" or "interp" */
    bool no_reboot;
    unsigned log_mask;
    const char *log_file;
    bool show_help;
    bool show_version;
};

/* Returns 0, or -1 with a one-line message in err (exit status 2). */
int options_parse(int argc, char **argv, struct vx86_options *o, char *err, size_t err_len);
int options_parse_size(const char *s, uint64_t *out);
void options_print_help(void);

#endif
