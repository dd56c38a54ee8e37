/* End-to-end check that Debian's SeaBIOS installs vx86's ACPI tables from
 * fw_cfg instead of building its own: boots SeaBIOS on the PC board under
 * an engine until it gives up finding a boot device, then looks at guest
 * memory as an OS would (RSDP scan of the F segment, RSDT/XSDT, FADT, DSDT,
 * FACS, MADT, HPET) and at the PM block SeaBIOS programmed.
 * usage: seabios_acpi bt|bt-interp|kvm   (exit 77 = skipped) */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu/engine.h"
#include "hw/chardev.h"
#include "hw/machine.h"
#include "hw/pc.h"
#include "softmmu/physmem.h"
#include "translator/bt.h"

#define BIOS "/usr/share/seabios/bios-256k.bin"
#define RAM_SIZE (128ull << 20)
#define GIVE_UP_NS 30000000000ull /* of virtual time */
#define SKIP 77

static struct machine the_machine;
static int failures;

#define CHECK(cond, ...)                                  \
    do {                                                  \
        if (!(cond)) {                                    \
            printf("FAIL: " __VA_ARGS__);                 \
            printf("\n");                                 \
            failures++;                                   \
        }                                                 \
    } while (0)

static bool console_has(const struct chardev *c, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= c->capture_len; i++)
        if (memcmp(c->capture + i, s, n) == 0)
            return true;
    return false;
}

/* The vCPU thread: the engine runs with the machine lock held and drops it
 * while the guest idles, as in vx86's run loop. */
static void *vcpu_thread(void *opaque)
{
    struct machine *m = opaque;
    pthread_mutex_lock(&m->lock);
    for (;;) {
        enum engine_exit e = m->engine->run(m->engine_state);
        if (e == ENGINE_EXIT_SHUTDOWN || atomic_load(&m->shutdown_requested))
            break;
        if (e == ENGINE_EXIT_ERROR || e == ENGINE_EXIT_RESET) {
            printf("FAIL: the %s engine stopped (%s)\n", m->engine->name,
                   e == ENGINE_EXIT_ERROR ? "error" : "reset");
            machine_request_shutdown(m, 1);
            break;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

/* The device side: fires timers until SeaBIOS has reported that nothing
 * boots (it installs the ACPI tables long before) or time runs out.
 * Returns whether SeaBIOS got there. */
static bool run_until_no_boot_device(struct machine *m, struct chardev *serial)
{
    bool reached = false;
    while (!atomic_load(&m->shutdown_requested)) {
        pthread_mutex_lock(&m->lock);
        vclock_run_timers(&m->clock);
        uint64_t now = vclock_now(&m->clock);
        uint64_t deadline = vclock_next_deadline(&m->clock);
        reached = console_has(serial, "No bootable device");
        pthread_mutex_unlock(&m->lock);
        if (reached || now >= GIVE_UP_NS)
            break;
        uint64_t wait = deadline == VCLOCK_NEVER || deadline <= now ? 0 : deadline - now;
        if (wait > 2000000 || deadline == VCLOCK_NEVER)
            wait = 2000000;
        struct timespec ts = { 0, (long)wait };
        nanosleep(&ts, NULL);
    }
    machine_request_shutdown(m, 0);
    return reached;
}

static uint8_t rd8(struct machine *m, uint64_t a)
{
    uint8_t v;
    physmem_read(&m->mem, a, &v, 1);
    return v;
}

static uint32_t rd32(struct machine *m, uint64_t a)
{
    uint8_t b[4];
    physmem_read(&m->mem, a, b, 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t rd64(struct machine *m, uint64_t a)
{
    return rd32(m, a) | (uint64_t)rd32(m, a + 4) << 32;
}

static bool mem_is(struct machine *m, uint64_t a, const char *s)
{
    char b[16];
    size_t n = strlen(s);
    physmem_read(&m->mem, a, b, n);
    return memcmp(b, s, n) == 0;
}

static uint8_t mem_sum(struct machine *m, uint64_t a, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s = (uint8_t)(s + rd8(m, a + i));
    return s;
}

/* A table with the standard header: signature, sane length, zero sum and
 * vx86's OEM ID (SeaBIOS's own tables say "BOCHS "). */
static bool check_table(struct machine *m, uint64_t a, const char *sig)
{
    if (a < 0x100000 || a >= RAM_SIZE) {
        printf("FAIL: %s at 0x%llx is not in RAM above 1 MiB\n", sig, (unsigned long long)a);
        failures++;
        return false;
    }
    uint32_t len = rd32(m, a + 4);
    bool ok = mem_is(m, a, sig) && len >= 36 && len < 0x10000 && mem_sum(m, a, len) == 0 &&
              mem_is(m, a + 10, "VX86  ");
    char oem[7] = { 0 };
    physmem_read(&m->mem, a + 10, oem, 6);
    printf("%.4s at 0x%08llx, %u bytes, OEM '%s'%s\n", sig, (unsigned long long)a, len, oem,
           ok ? "" : "  <- bad");
    if (!ok)
        failures++;
    return ok;
}

static void pci_cfg_read32(struct machine *m, uint32_t bdf_reg, uint32_t *v)
{
    uint8_t d[4];
    io_data_put(d, 4, 0x80000000u | bdf_reg);
    iomap_access(&m->io, 0xcf8, d, 4, true);
    iomap_access(&m->io, 0xcfc, d, 4, false);
    *v = (uint32_t)io_data_get(d, 4);
}

static void check_tables(struct machine *m)
{
    uint64_t rsdp = 0;
    unsigned found = 0;
    for (uint64_t a = 0xf0000; a < 0x100000; a += 16) {
        if (mem_is(m, a, "RSD PTR ") && mem_sum(m, a, 20) == 0) {
            found++;
            if (!rsdp)
                rsdp = a;
        }
    }
    CHECK(found == 1, "%u RSDPs in the F segment, want 1", found);
    if (!rsdp)
        return;
    char oem[7] = { 0 };
    physmem_read(&m->mem, rsdp + 9, oem, 6);
    printf("RSDP at 0x%05llx, OEM '%s', revision %u\n", (unsigned long long)rsdp, oem,
           rd8(m, rsdp + 15));
    CHECK(mem_is(m, rsdp + 9, "VX86  "), "RSDP OEM ID is not vx86's");
    CHECK(rd8(m, rsdp + 15) == 2 && mem_sum(m, rsdp, 36) == 0, "RSDP revision/extended checksum");

    uint64_t rsdt = rd32(m, rsdp + 16), xsdt = rd64(m, rsdp + 24);
    if (!check_table(m, rsdt, "RSDT") || !check_table(m, xsdt, "XSDT"))
        return;
    unsigned n = (rd32(m, xsdt + 4) - 36) / 8;
    CHECK((rd32(m, rsdt + 4) - 36) / 4 == n, "RSDT and XSDT differ in length");
    uint64_t fadt = 0;
    bool madt = false, hpet = false;
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = rd64(m, xsdt + 36 + 8 * i);
        CHECK(rd32(m, rsdt + 36 + 4 * i) == a, "RSDT entry %u differs from the XSDT's", i);
        if (mem_is(m, a, "FACP") && check_table(m, a, "FACP"))
            fadt = a;
        else if (mem_is(m, a, "APIC"))
            madt = check_table(m, a, "APIC");
        else if (mem_is(m, a, "HPET"))
            hpet = check_table(m, a, "HPET") && rd64(m, a + 44) == 0xfed00000ull;
    }
    CHECK(fadt, "no FADT");
    CHECK(madt, "no MADT");
    CHECK(hpet, "no HPET table at 0xfed00000");
    if (!fadt)
        return;
    uint64_t facs = rd32(m, fadt + 36), dsdt = rd32(m, fadt + 40);
    CHECK(rd64(m, fadt + 132) == facs && rd64(m, fadt + 140) == dsdt,
          "FADT 32- and 64-bit FACS/DSDT pointers disagree");
    CHECK(mem_is(m, facs, "FACS") && facs % 64 == 0, "no 64-byte aligned FACS");
    if (check_table(m, dsdt, "DSDT"))
        CHECK(mem_is(m, dsdt + 36, "\x08_S5_\x12"), "DSDT does not start with Name (_S5_, Package)");

    /* SeaBIOS moves the PIIX4 PM block to 0x600 when it is handed tables,
     * which is where the FADT says PM1a and the PM timer are. */
    uint32_t pmba;
    pci_cfg_read32(m, (1u << 11) | (3u << 8) | 0x40, &pmba);
    printf("PIIX4 PMBA = 0x%x, FADT PM1a_CNT = 0x%x, PM_TMR = 0x%x\n", pmba & ~1u,
           rd32(m, fadt + 64), rd32(m, fadt + 76));
    CHECK((pmba & 0xffc0u) + 4 == rd32(m, fadt + 64), "PM block is not where the FADT says");
}

int main(int argc, char **argv)
{
    const char *accel = argc > 1 ? argv[1] : "bt";
    if (access(BIOS, R_OK) != 0) {
        printf("SKIP: %s missing (apt-get install seabios)\n", BIOS);
        return SKIP;
    }
    const struct engine_ops *engine = &bt_engine_ops;
    if (!strcmp(accel, "kvm")) {
        char why[256];
        if (kvm_engine_ops.probe(why, sizeof(why)) < 0) {
            printf("SKIP: kvm: %s\n", why);
            return SKIP;
        }
        engine = &kvm_engine_ops;
    } else if (!strcmp(accel, "bt-interp")) {
        bt_set_backend(BT_BACKEND_INTERP);
    } else if (strcmp(accel, "bt") != 0) {
        fprintf(stderr, "usage: seabios_acpi bt|bt-interp|kvm\n");
        return 2;
    }

    struct machine *m = &the_machine;
    struct chardev serial, debugcon;
    char err[256];
    machine_init_core(m, false);
    chardev_init_capture(&serial);
    if (chardev_open(&debugcon, "none", err, sizeof(err)) < 0) {
        fprintf(stderr, "debugcon: %s\n", err);
        return 1;
    }
    struct pc_config pc = {
        .ram_size = RAM_SIZE,
        .bios_path = BIOS,
        .serial = &serial,
        .debugcon = &debugcon,
    };
    if (pc_create(m, &pc, err, sizeof(err)) < 0) {
        fprintf(stderr, "pc_create: %s\n", err);
        return 1;
    }
    m->engine = engine;
    if (engine->create(m, &m->engine_state) < 0 || engine->put_cpu(m->engine_state, &m->cpu) < 0) {
        fprintf(stderr, "cannot start the %s engine\n", engine->name);
        return 1;
    }
    pthread_t vcpu;
    if (pthread_create(&vcpu, NULL, vcpu_thread, m) != 0) {
        fprintf(stderr, "cannot start the vCPU thread\n");
        return 1;
    }
    bool reached = run_until_no_boot_device(m, &serial);
    pthread_join(vcpu, NULL);
    int status = atomic_load(&m->exit_status);
    engine->destroy(m->engine_state);
    m->engine_state = NULL;

    if (!status) {
        CHECK(console_has(&serial, "SeaBIOS (version "), "no SeaBIOS banner on the console");
        CHECK(reached, "SeaBIOS did not reach 'No bootable device' in %llu s",
              GIVE_UP_NS / 1000000000ull);
        check_tables(m);
        status = failures ? 1 : 0;
    }
    if (status) {
        printf("--- console ---\n");
        fwrite(serial.capture, 1, serial.capture_len, stdout);
        printf("\n");
    } else {
        printf("SeaBIOS installed vx86's ACPI tables from fw_cfg\n");
    }
    pc_destroy(m);
    chardev_close(&serial);
    chardev_close(&debugcon);
    return status;
}
