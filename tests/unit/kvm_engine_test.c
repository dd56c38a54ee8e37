/* The kvm engine through the engine contract alone: a machine with RAM, a
 * port device and a timer-free interrupt source, running small real- and
 * protected-mode programs on /dev/kvm. Skips (77) where KVM is unusable. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/engine.h"
#include "hw/machine.h"
#include "test_util.h"

#define RAM_SIZE (2u << 20)

struct port_log {
    uint8_t bytes[64];
    unsigned count;
    int shutdown_on;
};

static void port_out(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
    struct port_log *l = opaque;
    (void)offset;
    if (!is_write) {
        io_data_put(data, len, 0x1234abcd);
        return;
    }
    if (l->count < sizeof(l->bytes))
        l->bytes[l->count++] = data[0];
}

static void exit_port(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
    struct machine *m = opaque;
    (void)offset;
    if (is_write)
        machine_request_shutdown(m, (int)io_data_get(data, len));
}

static struct machine m;
static struct port_log plog;
static uint8_t *ram;
static void *engine;
static int intr_vector = -1;

static bool test_intr_pending(void *opaque) { (void)opaque; return intr_vector >= 0; }
static int test_intr_ack(void *opaque)
{
    (void)opaque;
    int v = intr_vector;
    intr_vector = -1;
    return v;
}

static bool nmi_flag;
static bool test_nmi_pending(void *opaque) { (void)opaque; return nmi_flag; }
static void test_nmi_ack(void *opaque) { (void)opaque; nmi_flag = false; }

static void setup_machine(const uint8_t *code, size_t len, uint32_t load_at)
{
    machine_init_core(&m, true);
    ram = aligned_alloc(4096, RAM_SIZE);
    memset(ram, 0xf4, RAM_SIZE); /* hlt everywhere */
    memcpy(ram + load_at, code, len);
    ck_assert_int_ge(physmem_map(&m.mem, 0, RAM_SIZE, ram, false, NULL, "ram"), 0);
    memset(&plog, 0, sizeof(plog));
    iomap_add(&m.io, 0x80, 1, port_out, &plog, "log");
    iomap_add(&m.io, 0xf4, 4, exit_port, &m, "exit");
    m.intc.intr_pending = test_intr_pending;
    m.intc.intr_ack = test_intr_ack;
    m.engine = &kvm_engine_ops;
    ck_assert_int_eq(kvm_engine_ops.create(&m, &engine), 0);
    m.engine_state = engine;
}

static void teardown_machine(void)
{
    kvm_engine_ops.destroy(engine);
    m.engine_state = NULL;
    machine_destroy_core(&m);
    free(ram);
}

static enum engine_exit run_locked(void)
{
    pthread_mutex_lock(&m.lock);
    enum engine_exit r = kvm_engine_ops.run(engine);
    pthread_mutex_unlock(&m.lock);
    return r;
}

START_TEST(real_mode_port_io_and_state_round_trip)
{
    /* mov al,0x41; out 0x80,al; inc ax; out 0x80,al; mov bx,0x5678; mov dx,0xf4; out dx,al */
    static const uint8_t code[] = { 0xb0, 0x41, 0xe6, 0x80, 0x40, 0xe6, 0x80,
                                    0xbb, 0x78, 0x56, 0xba, 0xf4, 0x00, 0xee };
    setup_machine(code, sizeof(code), 0x7c00);
    cpu_reset(&m.cpu);
    cpu_seg_load_real(&m.cpu.seg[S_CS], 0);
    m.cpu.seg[S_CS].attr = SEG_ATTR_P | SEG_ATTR_S | 0xb;
    m.cpu.rip = 0x7c00;
    m.cpu.regs[R_RSI] = 0xdeadbeef;
    m.cpu.msr.sysenter_esp = 0x4321;
    ck_assert_int_eq(kvm_engine_ops.put_cpu(engine, &m.cpu), 0);
    ck_assert_int_eq(run_locked(), ENGINE_EXIT_SHUTDOWN);
    ck_assert_uint_eq(plog.count, 2);
    ck_assert_uint_eq(plog.bytes[0], 0x41);
    ck_assert_uint_eq(plog.bytes[1], 0x42);
    ck_assert_int_eq(atomic_load(&m.exit_status), 0x42);
    struct x86_cpu out;
    memset(&out, 0, sizeof(out));
    ck_assert_int_eq(kvm_engine_ops.get_cpu(engine, &out), 0);
    ck_assert_uint_eq(out.regs[R_RBX] & 0xffff, 0x5678);
    ck_assert_uint_eq(out.regs[R_RSI], 0xdeadbeef);
    ck_assert_uint_eq(out.rip, 0x7c00 + sizeof(code));
    ck_assert_uint_eq(out.seg[S_CS].selector, 0);
    ck_assert_uint_eq(out.msr.sysenter_esp, 0x4321);
    ck_assert_uint_eq(out.fpu.mxcsr, 0x1f80);
    teardown_machine();
}
END_TEST

START_TEST(mmio_reaches_the_bus)
{
    /* mov eax,[0xa0000]; out 0x80,al; mov dword [0xa0004],0x77; mov dx,0xf4; out dx,al */
    static const uint8_t code[] = {
        0x66, 0xa1, 0x00, 0x00,                               /* mov eax,[ds:0] with ds=0xa000 */
        0xe6, 0x80,
        0x66, 0xc7, 0x06, 0x04, 0x00, 0x77, 0x00, 0x00, 0x00, /* mov dword [4],0x77 */
        0xba, 0xf4, 0x00, 0xee,
    };
    setup_machine(code, sizeof(code), 0x7c00);
    physmem_unmap(&m.mem, 0);
    ck_assert_int_ge(physmem_map(&m.mem, 0, 0xa0000, ram, false, NULL, "low"), 0);
    iomap_add(&m.mem.mmio, 0xa0000, 0x1000, port_out, &plog, "mmio");
    cpu_reset(&m.cpu);
    cpu_seg_load_real(&m.cpu.seg[S_CS], 0);
    m.cpu.seg[S_CS].attr = SEG_ATTR_P | SEG_ATTR_S | 0xb;
    cpu_seg_load_real(&m.cpu.seg[S_DS], 0xa000);
    m.cpu.rip = 0x7c00;
    ck_assert_int_eq(kvm_engine_ops.put_cpu(engine, &m.cpu), 0);
    ck_assert_int_eq(run_locked(), ENGINE_EXIT_SHUTDOWN);
    ck_assert_uint_eq(plog.count, 2);
    ck_assert_uint_eq(plog.bytes[0], 0xcd); /* low byte of the MMIO read */
    ck_assert_uint_eq(plog.bytes[1], 0x77); /* the MMIO write */
    teardown_machine();
}
END_TEST

START_TEST(interrupt_injected_into_hlt)
{
    /* IVT entry 0x40 -> 0:0x7d00; sti; hlt; (handler: mov al,0x99; out 0x80,al; mov dx,0xf4; out dx,al) */
    static const uint8_t code[] = { 0xfb, 0xf4, 0xeb, 0xfd };
    static const uint8_t handler[] = { 0xb0, 0x99, 0xe6, 0x80, 0xba, 0xf4, 0x00, 0xee };
    setup_machine(code, sizeof(code), 0x7c00);
    memcpy(ram + 0x7d00, handler, sizeof(handler));
    uint16_t ivt[2] = { 0x7d00, 0 };
    memcpy(ram + 0x40 * 4, ivt, sizeof(ivt));
    cpu_reset(&m.cpu);
    cpu_seg_load_real(&m.cpu.seg[S_CS], 0);
    m.cpu.seg[S_CS].attr = SEG_ATTR_P | SEG_ATTR_S | 0xb;
    m.cpu.regs[R_RSP] = 0x7000;
    m.cpu.rip = 0x7c00;
    ck_assert_int_eq(kvm_engine_ops.put_cpu(engine, &m.cpu), 0);
    intr_vector = 0x40; /* pending before the guest enables interrupts */
    ck_assert_int_eq(run_locked(), ENGINE_EXIT_SHUTDOWN);
    ck_assert_uint_eq(plog.count, 1);
    ck_assert_uint_eq(plog.bytes[0], 0x99);
    teardown_machine();
}
END_TEST

START_TEST(nmi_wakes_hlt_with_interrupts_off)
{
    /* cli; hlt; jmp back -- only an NMI (vector 2, not maskable by IF) can
     * get the CPU to the handler at 0:0x7d00. */
    static const uint8_t code[] = { 0xfa, 0xf4, 0xeb, 0xfd };
    static const uint8_t handler[] = { 0xb0, 0x22, 0xe6, 0x80, 0xba, 0xf4, 0x00, 0xee };
    setup_machine(code, sizeof(code), 0x7c00);
    memcpy(ram + 0x7d00, handler, sizeof(handler));
    uint16_t ivt[2] = { 0x7d00, 0 };
    memcpy(ram + 2 * 4, ivt, sizeof(ivt));
    m.intc.nmi_pending = test_nmi_pending;
    m.intc.nmi_ack = test_nmi_ack;
    nmi_flag = true;
    cpu_reset(&m.cpu);
    cpu_seg_load_real(&m.cpu.seg[S_CS], 0);
    m.cpu.seg[S_CS].attr = SEG_ATTR_P | SEG_ATTR_S | 0xb;
    m.cpu.regs[R_RSP] = 0x7000;
    m.cpu.rip = 0x7c00;
    ck_assert_int_eq(kvm_engine_ops.put_cpu(engine, &m.cpu), 0);
    ck_assert_int_eq(run_locked(), ENGINE_EXIT_SHUTDOWN);
    ck_assert(!nmi_flag);
    ck_assert_uint_eq(plog.count, 1);
    ck_assert_uint_eq(plog.bytes[0], 0x22);
    teardown_machine();
}
END_TEST

static uint64_t fake_apic_base = 0xfee00900ull;
static uint64_t test_get_apic_base(void *opaque) { (void)opaque; return fake_apic_base; }
static void test_set_apic_base(void *opaque, uint64_t v) { (void)opaque; fake_apic_base = v; }

START_TEST(apic_base_msr_write_reaches_the_lapic)
{
    /* mov ecx,0x1b; mov eax,0xfed00900; xor edx,edx; wrmsr; mov dx,0xf4; out dx,al */
    static const uint8_t code[] = { 0x66, 0xb9, 0x1b, 0x00, 0x00, 0x00,
                                    0x66, 0xb8, 0x00, 0x09, 0xd0, 0xfe,
                                    0x66, 0x31, 0xd2, 0x0f, 0x30,
                                    0xba, 0xf4, 0x00, 0xee };
    setup_machine(code, sizeof(code), 0x7c00);
    m.intc.get_apic_base = test_get_apic_base;
    m.intc.set_apic_base = test_set_apic_base;
    fake_apic_base = 0xfee00900ull;
    cpu_reset(&m.cpu);
    cpu_seg_load_real(&m.cpu.seg[S_CS], 0);
    m.cpu.seg[S_CS].attr = SEG_ATTR_P | SEG_ATTR_S | 0xb;
    m.cpu.rip = 0x7c00;
    ck_assert_int_eq(kvm_engine_ops.put_cpu(engine, &m.cpu), 0);
    ck_assert_int_eq(run_locked(), ENGINE_EXIT_SHUTDOWN);
    ck_assert_uint_eq(fake_apic_base, 0xfed00900ull);
    teardown_machine();
}
END_TEST

START_TEST(triple_fault_asks_for_reset)
{
    /* 32-bit protected mode: lidt [0x7e00] loads an IDT with limit 0, then ud2:
     * its #UD cannot be delivered (#GP), nor can the #GP (#DF), nor the #DF. */
    static const uint8_t code[] = { 0x0f, 0x01, 0x1d, 0x00, 0x7e, 0x00, 0x00, 0x0f, 0x0b };
    setup_machine(code, sizeof(code), 0x7c00);
    memset(ram + 0x7e00, 0, 6);
    cpu_reset(&m.cpu);
    m.cpu.cr0 = X86_CR0_PE | X86_CR0_ET;
    cpu_seg_load_flat32(&m.cpu.seg[S_CS], 0x08, 0xb);
    for (int s = 0; s < X86_NR_SEGS; s++)
        if (s != S_CS)
            cpu_seg_load_flat32(&m.cpu.seg[s], 0x10, 0x3);
    m.cpu.tr = (struct x86_segment){ .selector = 0x18, .base = 0x1000, .limit = 0x67,
                                     .attr = SEG_ATTR_P | 0xb };
    m.cpu.rip = 0x7c00;
    m.cpu.regs[R_RSP] = 0x7000;
    ck_assert_int_eq(kvm_engine_ops.put_cpu(engine, &m.cpu), 0);
    ck_assert_int_eq(run_locked(), ENGINE_EXIT_RESET);
    teardown_machine();
}
END_TEST

int main(void)
{
    char why[256];
    if (kvm_engine_ops.probe(why, sizeof(why)) < 0) {
        printf("SKIP: KVM unusable here: %s\n", why);
        return 77;
    }
    Suite *s = suite_create("kvm_engine");
    TCase *tc = tcase_create("kvm");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, real_mode_port_io_and_state_round_trip);
    tcase_add_test(tc, mmio_reaches_the_bus);
    tcase_add_test(tc, interrupt_injected_into_hlt);
    tcase_add_test(tc, nmi_wakes_hlt_with_interrupts_off);
    tcase_add_test(tc, apic_base_msr_write_reaches_the_lapic);
    tcase_add_test(tc, triple_fault_asks_for_reset);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
