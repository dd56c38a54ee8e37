/* vx86: parse the command line, build the PC, pick the engine, run. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cpu/engine.h"
#include "hw/chardev.h"
#include "hw/log.h"
#include "hw/machine.h"
#include "hw/pc.h"
#include "tools/vx86/accel.h"
#include "tools/vx86/display_sdl.h"
#include "tools/vx86/options.h"
#include "tools/vx86/runloop.h"
#include "translator/bt.h"

#define VX86_VERSION "0.1.0"
#define DEFAULT_BIOS "/usr/share/seabios/bios-256k.bin"
#define EXIT_BAD_INPUT 2

static struct machine the_machine;

int main(int argc, char **argv)
{
    struct vx86_options o;
    char err[512];
    if (options_parse(argc, argv, &o, err, sizeof(err)) < 0) {
        fprintf(stderr, "vx86: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    if (o.show_help) {
        if (!o.log_mask)
            options_print_help();
        return 0;
    }
    if (o.show_version) {
        printf("vx86 version " VX86_VERSION "\n");
        return 0;
    }
    log_mask = o.log_mask;
    if (o.log_file && log_set_file(o.log_file, err, sizeof(err)) < 0) {
        fprintf(stderr, "vx86: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    struct chardev serial, debugcon;
    if (chardev_open(&serial, o.serial, err, sizeof(err)) < 0) {
        fprintf(stderr, "vx86: -serial: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    if (chardev_open(&debugcon, o.debugcon ? o.debugcon : "none", err, sizeof(err)) < 0) {
        fprintf(stderr, "vx86: -debugcon: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    /* Only one device can read the terminal: the serial port has it. */
    if (debugcon.in_fd >= 0)
        debugcon.in_fd = -1;

    struct machine *m = &the_machine;
    machine_init_core(m, false);
    struct pc_config pc = {
        .ram_size = o.ram_size,
        .bios_path = o.bios ? o.bios : (o.kernel ? NULL : DEFAULT_BIOS),
        .kernel_path = o.kernel,
        .initrd_path = o.initrd,
        .cmdline = o.append,
        .serial = &serial,
        .debugcon = &debugcon,
        .graphics = !strcmp(o.display, "sdl"),
    };
    if (!o.bios && !o.kernel && access(DEFAULT_BIOS, R_OK) != 0) {
        fprintf(stderr, "vx86: no -bios or -kernel given and Debian's SeaBIOS (%s) is missing: "
                        "apt-get install seabios\n", DEFAULT_BIOS);
        return EXIT_BAD_INPUT;
    }
    if (pc_create(m, &pc, err, sizeof(err)) < 0) {
        fprintf(stderr, "vx86: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    struct display_sdl *display = NULL;
    if (pc.graphics) {
        display = display_sdl_open(m, err, sizeof(err));
        if (!display) {
            fprintf(stderr, "vx86: -display sdl: %s (-display none or -nographic runs "
                            "without a window)\n", err);
            return 1;
        }
    }

    const struct engine_ops *engine = accel_select(o.accel, err, sizeof(err));
    if (!engine) {
        fprintf(stderr, "vx86: %s\n", err);
        display_sdl_close(display);
        return 1;
    }
    m->engine = engine;
    if (o.bt_backend)
        bt_set_backend(!strcmp(o.bt_backend, "interp") ? BT_BACKEND_INTERP : BT_BACKEND_JIT);
    if (engine->create(m, &m->engine_state) < 0) {
        m->engine_state = NULL;
        fprintf(stderr, "vx86: cannot start the %s engine\n", engine->name);
        display_sdl_close(display);
        return 1;
    }
    int r = engine->put_cpu(m->engine_state, &m->cpu);
    if (r < 0) {
        fprintf(stderr, "vx86: %s: cannot load the CPU state: %s\n", engine->name, strerror(-r));
        display_sdl_close(display);
        return 1;
    }
    struct runloop_display display_hook = { display_sdl_refresh, display };
    struct runloop_config rc = {
        .engine = engine,
        .console = serial.in_fd >= 0 ? &serial : NULL,
        .no_reboot = o.no_reboot,
        .display = display ? &display_hook : NULL,
    };
    int status = runloop_run(m, &rc);
    engine->destroy(m->engine_state);
    m->engine_state = NULL;
    display_sdl_close(display);
    pc_destroy(m);
    chardev_close(&serial);
    chardev_close(&debugcon);
    return status;
}
