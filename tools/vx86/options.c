/* Parses vx86's command line: QEMU's option names, strict values, and a
 * one-line message for anything it cannot take. */
#include "tools/vx86/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/log.h"

#define DEFAULT_RAM_SIZE (128ull << 20)
#define MAX_RAM_SIZE (1ull << 40) /* 1 TiB */

/* QEMU's rule: a bare number is MiB; K, M, G, T suffixes (B for bytes). */
int options_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    unsigned shift = 20;
    if (*end) {
        switch (*end) {
        case 'b': case 'B': shift = 0; break;
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        case 't': case 'T': shift = 40; break;
        default: return -1;
        }
        if (end[1] && !(end[1] == 'i' && end[2] == 'B' && !end[3]) && !(end[1] == 'B' && !end[2]))
            return -1;
    }
    if (v > (MAX_RAM_SIZE >> shift))
        return -2;
    *out = (uint64_t)v << shift;
    return 0;
}

void options_print_help(void)
{
    printf("usage: vx86 [options]\n"
           "A full-system x86 PC emulator: binary translation (bt) or KVM.\n\n"
           "  -m SIZE            guest RAM (default 128M; suffixes K, M, G, T)\n"
           "  -smp 1             number of CPUs (only 1 for now)\n"
           "  -bios FILE         firmware image (default: Debian's SeaBIOS)\n"
           "  -kernel FILE       boot a Linux bzImage or multiboot kernel directly\n"
           "  -initrd FILE       initial ramdisk (multiboot: modules, comma separated)\n"
           "  -append STRING     kernel command line\n"
           "  -serial DEV        COM1: stdio (default), file:PATH, none\n"
           "  -debugcon DEV      port 0xe9 console: stdio, file:PATH, none (default)\n"
           "  -nographic         no display; serial on the terminal\n"
           "  -display none|sdl  display back end (default sdl when $DISPLAY or\n"
           "                     $WAYLAND_DISPLAY is set, else none)\n"
           "  -accel auto|kvm|bt CPU engine (default auto; tcg = bt)\n"
           "                     bt,backend=jit|interp chooses the bt back end\n"
           "  -no-reboot         exit instead of rebooting\n"
           "  -d ITEM[,...]      log items (-d help lists them)\n"
           "  -D FILE            write the log to FILE\n"
           "  -h, -help          this help\n"
           "  -version           version\n\n"
           "On the serial console: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.\n");
}

static int parse_accel(const char *v, struct vx86_options *o, char *err, size_t err_len)
{
    char name[32];
    size_t n = strcspn(v, ",");
    if (n >= sizeof(name)) {
        snprintf(err, err_len, "-accel: unknown accelerator '%s' (use auto, kvm or bt)", v);
        return -1;
    }
    memcpy(name, v, n);
    name[n] = 0;
    const char *params = v[n] ? v + n + 1 : NULL;
    if (!strcmp(name, "auto"))
        o->accel = ACCEL_AUTO;
    else if (!strcmp(name, "kvm"))
        o->accel = ACCEL_KVM;
    else if (!strcmp(name, "bt") || !strcmp(name, "tcg"))
        o->accel = ACCEL_BT;
    else {
        snprintf(err, err_len, "-accel: unknown accelerator '%s' (use auto, kvm or bt)", name);
        return -1;
    }
    if (params) {
        if (o->accel != ACCEL_BT) {
            snprintf(err, err_len, "-accel: '%s' takes no parameters", name);
            return -1;
        }
        if (!strcmp(params, "backend=jit"))
            o->bt_backend = "jit";
        else if (!strcmp(params, "backend=interp"))
            o->bt_backend = "interp";
        else {
            snprintf(err, err_len, "-accel: unknown bt parameter '%s' (backend=jit or backend=interp)",
                     params);
            return -1;
        }
    }
    return 0;
}

static bool chardev_spec_valid(const char *v)
{
    return !strcmp(v, "stdio") || !strcmp(v, "none") || !strcmp(v, "null") ||
           (!strncmp(v, "file:", 5) && v[5]);
}

int options_parse(int argc, char **argv, struct vx86_options *o, char *err, size_t err_len)
{
    memset(o, 0, sizeof(*o));
    o->ram_size = DEFAULT_RAM_SIZE;
    o->serial = "stdio";
    o->accel = ACCEL_AUTO;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (opt[0] != '-' || !opt[1]) {
            snprintf(err, err_len, "unexpected argument '%s' (vx86 -h lists the options)", opt);
            return -1;
        }
        if (opt[1] == '-')
            opt++; /* --name is accepted as -name, as QEMU does */
        /* Options without a value. */
        if (!strcmp(opt, "-h") || !strcmp(opt, "-help")) {
            o->show_help = true;
            continue;
        }
        if (!strcmp(opt, "-version")) {
            o->show_version = true;
            continue;
        }
        if (!strcmp(opt, "-nographic")) {
            o->nographic = true;
            continue;
        }
        if (!strcmp(opt, "-no-reboot")) {
            o->no_reboot = true;
            continue;
        }
        static const char *const with_value[] = {
            "-m", "-smp", "-bios", "-kernel", "-initrd", "-append", "-serial",
            "-debugcon", "-display", "-accel", "-d", "-D", NULL,
        };
        bool known = false;
        for (int j = 0; with_value[j]; j++)
            known |= !strcmp(opt, with_value[j]);
        if (!known) {
            snprintf(err, err_len, "unknown option '%s' (vx86 -h lists the options)", argv[i]);
            return -1;
        }
        if (i + 1 >= argc) {
            snprintf(err, err_len, "option '%s' needs a value", argv[i]);
            return -1;
        }
        const char *v = argv[++i];
        if (!strcmp(opt, "-m")) {
            const char *size = !strncmp(v, "size=", 5) ? v + 5 : v;
            int r = options_parse_size(size, &o->ram_size);
            if (r == -2) {
                snprintf(err, err_len, "-m %s: more than the 1 TiB vx86 supports", v);
                return -1;
            }
            if (r < 0) {
                snprintf(err, err_len, "-m %s: not a memory size (e.g. 512M or 2G)", v);
                return -1;
            }
            if (o->ram_size < (2u << 20)) {
                snprintf(err, err_len, "-m %s: guest RAM must be at least 2 MiB", v);
                return -1;
            }
        } else if (!strcmp(opt, "-smp")) {
            const char *n = !strncmp(v, "cpus=", 5) ? v + 5 : v;
            char *end;
            errno = 0;
            long cpus = strtol(n, &end, 10);
            if (errno || end == n || *end || cpus < 1) {
                snprintf(err, err_len, "-smp %s: not a CPU count", v);
                return -1;
            }
            if (cpus != 1) {
                snprintf(err, err_len, "-smp %s: vx86 emulates one CPU; SMP is not supported yet", v);
                return -1;
            }
        } else if (!strcmp(opt, "-bios")) {
            o->bios = v;
        } else if (!strcmp(opt, "-kernel")) {
            o->kernel = v;
        } else if (!strcmp(opt, "-initrd")) {
            o->initrd = v;
        } else if (!strcmp(opt, "-append")) {
            o->append = v;
        } else if (!strcmp(opt, "-serial")) {
            if (!chardev_spec_valid(v)) {
                snprintf(err, err_len, "-serial %s: use stdio, file:PATH or none", v);
                return -1;
            }
            o->serial = v;
        } else if (!strcmp(opt, "-debugcon")) {
            if (!chardev_spec_valid(v)) {
                snprintf(err, err_len, "-debugcon %s: use stdio, file:PATH or none", v);
                return -1;
            }
            o->debugcon = v;
        } else if (!strcmp(opt, "-display")) {
            if (strcmp(v, "none") && strcmp(v, "sdl")) {
                snprintf(err, err_len, "-display %s: use none or sdl", v);
                return -1;
            }
            o->display = v;
        } else if (!strcmp(opt, "-accel")) {
            if (parse_accel(v, o, err, err_len) < 0)
                return -1;
        } else if (!strcmp(opt, "-d")) {
            if (!strcmp(v, "help")) {
                fputs(log_item_help(), stdout);
                o->show_help = true;
                continue;
            }
            if (log_parse_items(v, &o->log_mask, err, err_len) < 0)
                return -1;
        } else if (!strcmp(opt, "-D")) {
            o->log_file = v;
        }
    }
    if (o->initrd && !o->kernel) {
        snprintf(err, err_len, "-initrd needs -kernel");
        return -1;
    }
    if (o->append && !o->kernel) {
        snprintf(err, err_len, "-append needs -kernel");
        return -1;
    }
    if (o->nographic && o->display && !strcmp(o->display, "sdl")) {
        snprintf(err, err_len, "-nographic and -display sdl contradict each other");
        return -1;
    }
    if (!o->display) {
        /* As QEMU: a window when there is a display server to open it on. */
        const char *x11 = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY");
        bool server = (x11 && *x11) || (wayland && *wayland);
        o->display = !o->nographic && server ? "sdl" : "none";
    }
    return 0;
}
