/* Unit tests for nativecmp: the encoder against hand-assembled bytes, the
 * generator (determinism, classes, capstone agreeing on its bytes), the
 * native runner on directed cases (results, every exception kind, a case
 * that kills the child), the comparison and a self-check campaign. */
#include <capstone/capstone.h>
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* tests/unit programs link vx86core only, and nativecmp is a tool with its
 * own CMake target; compiling its sources in here keeps this test
 * independent of whether that target is part of the build. */
#include "tools/nativecmp/nc_campaign.c"
#include "tools/nativecmp/nc_compare.c"
#include "tools/nativecmp/nc_encode.c"
#include "tools/nativecmp/nc_gen.c"
#include "tools/nativecmp/nc_native.c"
#include "tools/nativecmp/nc_runner.c"

/* test_util.h is not included: it brings in cpu/cpu.h, whose enum x86_reg
 * clashes with the one in capstone's x86.h. This is its test_run_suite(). */
static int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- encoder ---- */

static int enc(const struct nc_insn *in, bool m64, uint8_t *out)
{
    return nc_encode(in, m64, NC_CODE_BASE, out, NULL);
}

static void expect_bytes(const struct nc_insn *in, bool m64, const uint8_t *want, int n)
{
    uint8_t out[NC_INSN_MAX];
    int len = enc(in, m64, out);
    ck_assert_int_eq(len, n);
    ck_assert_mem_eq(out, want, (size_t)n);
}

static struct nc_insn mem_insn(uint8_t opcode, int reg, int base, int index, int scale, int32_t disp)
{
    struct nc_insn in;
    nc_insn_init(&in);
    nc_insn_op(&in, 1, opcode, 0, 0);
    in.has_modrm = true;
    in.reg = (uint8_t)reg;
    in.rm.kind = NC_RM_MEM;
    in.rm.asize = 64;
    in.rm.base = (int8_t)base;
    in.rm.index = (int8_t)index;
    in.rm.scale = (uint8_t)scale;
    in.rm.disp = disp;
    return in;
}

START_TEST(encoder_modrm_sib_forms)
{
    /* mov [r12+8], rax: REX.WB, SIB for an r12 base */
    struct nc_insn in = mem_insn(0x89, 0, 12, -1, 0, 8);
    in.rex_w = true;
    expect_bytes(&in, true, (const uint8_t[]){ 0x49, 0x89, 0x44, 0x24, 0x08 }, 5);

    /* mov eax, [r13]: an rbp/r13 base needs a disp8 of 0 */
    in = mem_insn(0x8b, 0, 13, -1, 0, 0);
    expect_bytes(&in, true, (const uint8_t[]){ 0x41, 0x8b, 0x45, 0x00 }, 4);

    /* mov eax, [rbx + r9*4 - 4]: REX.X */
    in = mem_insn(0x8b, 0, 3, 9, 2, -4);
    expect_bytes(&in, true, (const uint8_t[]){ 0x42, 0x8b, 0x44, 0x8b, 0xfc }, 5);

    /* mov eax, [0x10000010]: no base in 64-bit mode takes the SIB form,
     * in 32-bit mode the ModRM disp32 form */
    in = mem_insn(0x8b, 0, -1, -1, 0, 0x10000010);
    expect_bytes(&in, true, (const uint8_t[]){ 0x8b, 0x04, 0x25, 0x10, 0x00, 0x00, 0x10 }, 7);
    in.rm.asize = 32;
    expect_bytes(&in, false, (const uint8_t[]){ 0x8b, 0x05, 0x10, 0x00, 0x00, 0x10 }, 6);

    /* add ecx, [rip + x] at NC_CODE_BASE aiming at NC_DATA_BASE */
    in = mem_insn(0x03, 1, -1, -1, 0, 0);
    in.rm.rip = true;
    in.rm.rip_target = NC_DATA_BASE;
    expect_bytes(&in, true, (const uint8_t[]){ 0x03, 0x0d, 0xfa, 0xff, 0xff, 0xef }, 6);

    /* a forced disp32 on [rsi] */
    in = mem_insn(0x8b, 2, 6, -1, 0, 0);
    in.rm.disp_bytes = 4;
    expect_bytes(&in, true, (const uint8_t[]){ 0x8b, 0x96, 0, 0, 0, 0 }, 6);
}
END_TEST

START_TEST(encoder_16bit_addressing_and_rex_rules)
{
    /* mov eax, [bx+si+5] / [bp] / [0x1234] with 16-bit addressing */
    struct nc_insn in = mem_insn(0x8b, 0, -1, -1, 0, 5);
    in.rm.asize = 16;
    in.rm.rm16 = 0;
    nc_insn_prefix(&in, 0x67);
    expect_bytes(&in, false, (const uint8_t[]){ 0x67, 0x8b, 0x40, 0x05 }, 4);
    in.rm.rm16 = 6;
    in.rm.disp = 0;
    expect_bytes(&in, false, (const uint8_t[]){ 0x67, 0x8b, 0x46, 0x00 }, 4);
    in.rm.abs16 = true;
    in.rm.disp = 0x1234;
    expect_bytes(&in, false, (const uint8_t[]){ 0x67, 0x8b, 0x06, 0x34, 0x12 }, 5);

    /* mov spl, al needs a REX byte with no bits set */
    nc_insn_init(&in);
    nc_insn_op(&in, 1, 0x88, 0, 0);
    in.has_modrm = true;
    in.reg = 0;
    in.rm.kind = NC_RM_REG;
    in.rm.reg = 4;
    in.rex_force = true;
    expect_bytes(&in, true, (const uint8_t[]){ 0x40, 0x88, 0xc4 }, 3);
    uint8_t out[NC_INSN_MAX];
    ck_assert_int_eq(enc(&in, false, out), 0);   /* no REX outside 64-bit mode */

    /* mov r9, imm64 */
    nc_insn_init(&in);
    nc_insn_op(&in, 1, 0xb8, 0, 0);
    in.opreg = 9;
    in.rex_w = true;
    in.imm_bytes = 8;
    in.imm = 0x1122334455667788ull;
    expect_bytes(&in, true, (const uint8_t[]){ 0x49, 0xb9, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 }, 10);

    /* enter 16, 2: two immediates */
    nc_insn_init(&in);
    nc_insn_op(&in, 1, 0xc8, 0, 0);
    in.imm_bytes = 2;
    in.imm = 16;
    in.imm2_bytes = 1;
    in.imm2 = 2;
    expect_bytes(&in, false, (const uint8_t[]){ 0xc8, 0x10, 0x00, 0x02 }, 4);

    /* impossible: rsp as index, r8 in 32-bit mode, more than 15 bytes */
    in = mem_insn(0x8b, 0, 3, 4, 0, 0);
    ck_assert_int_eq(enc(&in, true, out), 0);
    in = mem_insn(0x8b, 8, 3, -1, 0, 0);
    in.rm.asize = 32;
    ck_assert_int_eq(enc(&in, false, out), 0);
    in = mem_insn(0x81, 0, 3, 1, 0, 0x1000);
    in.rm.disp_bytes = 4;
    for (int i = 0; i < 6; i++)
        nc_insn_prefix(&in, 0x3e);
    in.imm_bytes = 4;
    ck_assert_int_eq(enc(&in, true, out), 0);
}
END_TEST

/* ---- generator ---- */

START_TEST(generator_is_deterministic)
{
    static struct nc_case a, b;
    for (uint64_t i = 0; i < 200; i++) {
        nc_case_generate(&a, 0x1234, i, NC_CLASS_ALL);
        nc_case_generate(&b, 0x1234, i, NC_CLASS_ALL);
        ck_assert_mem_eq(&a, &b, sizeof(a));
        ck_assert_uint_eq(a.mode, (i & 1) ? 32u : 64u);
        ck_assert_uint_gt(a.code_len, 0);
        ck_assert_uint_le(a.code_len, NC_CODE_MAX);
        ck_assert_uint_eq(a.rflags & ~(uint64_t)NC_FLAGS_COMPARED, NC_FLAGS_FIXED);
        uint64_t sp = a.regs[4];
        ck_assert(sp >= NC_DATA_BASE && sp < NC_DATA_BASE + NC_DATA_SIZE);
        if (a.mode == NC_MODE_32)
            for (int r = 0; r < NC_NR_GPRS; r++)
                ck_assert_uint_eq(a.regs[r] >> 32, 0);
    }
    nc_case_generate(&a, 0x1234, 10, NC_CLASS_ALL);
    nc_case_generate(&b, 0x1234, 12, NC_CLASS_ALL);
    ck_assert(memcmp(a.code, b.code, NC_CODE_MAX) != 0 || memcmp(a.regs, b.regs, sizeof(a.regs)) != 0);
    nc_case_generate(&b, 0x1235, 10, NC_CLASS_ALL);
    ck_assert(memcmp(a.data, b.data, NC_DATA_SIZE) != 0);
}
END_TEST

START_TEST(generator_bytes_decode_as_its_classes)
{
    /* These classes contain no deliberately invalid encodings, so capstone
     * must decode every generated byte into one of their mnemonics. */
    static const char *const allowed[] = {
        "mov", "movabs", "movzx", "movsx", "movsxd", "xlatb", "rol", "ror", "rcl", "rcr", "shl",
        "shr", "sal", "sar", "shld", "shrd", "mul", "imul", "div", "idiv", "xor", "cbw", "cwd",
        "cdq", "cqo", "push", "pop", "pushf", "popf", "pushfd", "popfd", "pushfq", "popfq",
        "pushal", "popal", "pushaw", "popaw", "enter", "leave", "call", "ret", "jmp", "loop",
        "loope", "loopne", "jcxz", "jecxz", "jrcxz", "cld", "std", "movs", "cmps", "stos", "lods",
        "scas", NULL,
    };
    uint32_t cls = NC_CLASS_MOV | NC_CLASS_SHIFT | NC_CLASS_MULDIV | NC_CLASS_STRING |
                   NC_CLASS_STACK | NC_CLASS_BRANCH;
    csh h[2];
    ck_assert_int_eq(cs_open(CS_ARCH_X86, CS_MODE_64, &h[0]), CS_ERR_OK);
    ck_assert_int_eq(cs_open(CS_ARCH_X86, CS_MODE_32, &h[1]), CS_ERR_OK);
    static struct nc_case c;
    int insns = 0;
    for (uint64_t i = 0; i < 2000; i++) {
        nc_case_generate(&c, 99, i, cls);
        size_t off = 0;
        while (off < c.code_len) {
            cs_insn *in;
            size_t n = cs_disasm(h[i & 1], c.code + off, c.code_len - off, NC_CODE_BASE + off, 1, &in);
            ck_assert_msg(n == 1, "case %lu offset %zu does not decode", (unsigned long)i, off);
            const char *mn = in->mnemonic;
            /* string forms carry prefixes and a size suffix */
            if (!strncmp(mn, "rep", 3))
                mn = strchr(mn, ' ') ? strchr(mn, ' ') + 1 : mn;
            bool ok = false;
            for (int k = 0; allowed[k] && !ok; k++)
                ok = !strcmp(mn, allowed[k]) ||
                     (!strncmp(mn, allowed[k], 4) && strlen(mn) == 5 && strlen(allowed[k]) == 4) ||
                     (mn[0] == 'j' && strcmp(mn, "jmp") != 0);
            ck_assert_msg(ok, "case %lu: unexpected %s", (unsigned long)i, in->mnemonic);
            off += in->size;
            insns++;
            cs_free(in, n);
        }
    }
    ck_assert_int_gt(insns, 4000);
    cs_close(&h[0]);
    cs_close(&h[1]);
}
END_TEST

START_TEST(generator_classes_parse_and_format)
{
    uint32_t cls;
    char bad[32], buf[256];
    ck_assert_int_eq(nc_gen_parse_classes("alu,shift", &cls, bad, sizeof(bad)), 0);
    ck_assert_uint_eq(cls, NC_CLASS_ALU | NC_CLASS_SHIFT);
    nc_gen_format_classes(cls, buf, sizeof(buf));
    ck_assert_str_eq(buf, "alu,shift");
    ck_assert_int_eq(nc_gen_parse_classes("all,-fault,-bcd", &cls, bad, sizeof(bad)), 0);
    ck_assert_uint_eq(cls, NC_CLASS_ALL & ~(uint32_t)(NC_CLASS_FAULT | NC_CLASS_BCD));
    nc_gen_format_classes(NC_CLASS_ALL, buf, sizeof(buf));
    ck_assert_str_eq(buf, "all");
    ck_assert_int_eq(nc_gen_parse_classes("alu,bogus", &cls, bad, sizeof(bad)), -1);
    ck_assert_str_eq(bad, "bogus");
}
END_TEST

/* ---- native runner ---- */

static struct nc_runner native;
static struct nc_case tc;
static struct nc_state ts;

static void native_setup(void)
{
    char why[256];
    if (nc_native_create(&native, why, sizeof(why)) != 0)
        ck_abort_msg("native runner: %s", why);
}

static void native_teardown(void)
{
    nc_runner_destroy(&native);
}

static void directed(int mode, const uint8_t *code, size_t len)
{
    memset(&tc, 0, sizeof(tc));
    tc.mode = (uint32_t)mode;
    tc.rflags = NC_FLAGS_FIXED;
    tc.regs[4] = NC_DATA_BASE + 0x800;
    for (uint32_t i = 0; i < NC_DATA_SIZE; i++)
        tc.data[i] = (uint8_t)(i * 7 + 1);
    memcpy(tc.code, code, len);
    tc.code_len = (uint32_t)len;
}

static void run_directed(void)
{
    ck_assert_int_eq(native.run(native.opaque, &tc, &ts), 0);
    ck_assert_uint_eq(ts.status, NC_STATUS_OK);
}

START_TEST(native_runs_64bit_arithmetic_and_stores)
{
    /* add rax, rbx; mov [rsp-8], rax */
    static const uint8_t code[] = { 0x48, 0x01, 0xd8, 0x48, 0x89, 0x44, 0x24, 0xf8 };
    directed(64, code, sizeof(code));
    tc.regs[0] = 0x7fffffffffffffffull;
    tc.regs[3] = 1;
    tc.regs[15] = 0xfeedfacecafebeefull;
    run_directed();
    ck_assert_int_eq(ts.vector, -1);
    ck_assert_uint_eq(ts.rip, NC_CODE_BASE + sizeof(code));
    ck_assert_uint_eq(ts.regs[0], 0x8000000000000000ull);
    ck_assert_uint_eq(ts.regs[15], 0xfeedfacecafebeefull);
    ck_assert_uint_eq(ts.regs[4], NC_DATA_BASE + 0x800);
    /* overflow into the sign, carry out of bit 3, low byte 0: OF SF AF PF */
    ck_assert_uint_eq(ts.rflags & NC_FLAGS_COMPARED, NC_FLAG_OF | NC_FLAG_SF | NC_FLAG_AF | NC_FLAG_PF);
    uint64_t stored;
    memcpy(&stored, ts.data + 0x7f8, 8);
    ck_assert_uint_eq(stored, 0x8000000000000000ull);
    ck_assert_int_eq(ts.data[0x7f7], tc.data[0x7f7]);
}
END_TEST

START_TEST(native_runs_compatibility_mode)
{
    char why[256];
    if (!nc_native_probe_compat32(&native, why, sizeof(why)))
        return;   /* a kernel without IA32 emulation: nothing to test */
    /* push 0x12345678; pop eax; inc ecx (0x41 is INC here, REX in 64-bit); std */
    static const uint8_t code[] = { 0x68, 0x78, 0x56, 0x34, 0x12, 0x58, 0x41, 0xfd };
    directed(32, code, sizeof(code));
    tc.regs[1] = 0xffffffff;
    run_directed();
    ck_assert_int_eq(ts.vector, -1);
    ck_assert_uint_eq(ts.regs[0], 0x12345678);
    ck_assert_uint_eq(ts.regs[1], 0);
    ck_assert_uint_eq(ts.rflags & (NC_FLAG_ZF | NC_FLAG_DF), NC_FLAG_ZF | NC_FLAG_DF);
    for (int r = 0; r < NC_NR_GPRS; r++)
        ck_assert_uint_eq(ts.regs[r] >> 32, 0);
    ck_assert_uint_eq(ts.data[0x7fc], 0x78);
}
END_TEST

START_TEST(native_reports_exceptions)
{
    /* #DE: div ecx with ecx = 0, at the DIV, registers untouched */
    static const uint8_t de[] = { 0x31, 0xc9, 0xf7, 0xf1 };
    directed(64, de, sizeof(de));
    tc.regs[0] = 77;
    tc.regs[1] = 5;
    run_directed();
    ck_assert_int_eq(ts.vector, 0);
    ck_assert_int_eq(ts.signo, SIGFPE);
    ck_assert_uint_eq(ts.rip, NC_CODE_BASE + 2);
    ck_assert_uint_eq(ts.regs[0], 77);
    ck_assert_uint_eq(ts.regs[1], 0);

    /* #UD */
    static const uint8_t ud[] = { 0x90, 0x0f, 0x0b };
    directed(64, ud, sizeof(ud));
    run_directed();
    ck_assert_int_eq(ts.vector, 6);
    ck_assert_uint_eq(ts.rip, NC_CODE_BASE + 1);

    /* #PF: a store just past the data area, not-present user write */
    static const uint8_t pf[] = { 0x89, 0x04, 0x25, 0x00, 0x10, 0x00, 0x10 };
    directed(64, pf, sizeof(pf));
    run_directed();
    ck_assert_int_eq(ts.vector, 14);
    ck_assert_uint_eq(ts.fault_addr, NC_DATA_BASE + NC_DATA_SIZE);
    ck_assert_uint_eq(ts.error_code, 6);
    ck_assert_mem_eq(ts.data, tc.data, NC_DATA_SIZE);

    /* #GP from INT 0x21 (a DPL 0 gate): error code = vector * 8 + 2 */
    static const uint8_t gp[] = { 0xcd, 0x21 };
    directed(64, gp, sizeof(gp));
    run_directed();
    ck_assert_int_eq(ts.vector, 13);
    ck_assert_uint_eq(ts.error_code, 0x21 * 8 + 2);
    ck_assert_uint_eq(ts.rip, NC_CODE_BASE);

    /* #BP is a trap: RIP after the INT3 */
    static const uint8_t bp[] = { 0xcc, 0x90 };
    directed(64, bp, sizeof(bp));
    run_directed();
    ck_assert_int_eq(ts.vector, 3);
    ck_assert_uint_eq(ts.rip, NC_CODE_BASE + 1);
    ck_assert_uint_eq(ts.rflags & 0x10000, 0);
}
END_TEST

START_TEST(native_survives_a_case_that_kills_its_child)
{
    /* mov eax, 231 (exit_group); syscall */
    static const uint8_t kill_code[] = { 0xb8, 0xe7, 0x00, 0x00, 0x00, 0x0f, 0x05 };
    static const uint8_t ok_code[] = { 0x48, 0xff, 0xc0 };   /* inc rax */
    static struct nc_case cases[3];
    static struct nc_state out[3];
    for (int i = 0; i < 3; i++) {
        directed(64, i == 1 ? kill_code : ok_code, i == 1 ? sizeof(kill_code) : sizeof(ok_code));
        tc.regs[0] = (uint64_t)i * 100;
        cases[i] = tc;
    }
    ck_assert_int_eq(nc_runner_run_batch(&native, cases, out, 3), 0);
    ck_assert_uint_eq(out[0].status, NC_STATUS_OK);
    ck_assert_uint_eq(out[0].regs[0], 1);
    ck_assert_uint_eq(out[1].status, NC_STATUS_HARNESS);
    ck_assert_ptr_nonnull(strstr(out[1].note, "child exited"));
    ck_assert_uint_eq(out[2].status, NC_STATUS_OK);
    ck_assert_uint_eq(out[2].regs[0], 201);
    ck_assert_uint_eq(nc_native_child_starts(&native), 2);
}
END_TEST

START_TEST(native_flags_a_fault_in_its_own_stubs)
{
    /* Overwrite the saved host stack pointer: the exit stub then faults,
     * which must be reported as the harness's failure, not the case's. */
    static const uint8_t code[] = { 0x48, 0xc7, 0x04, 0x25, 0x88, 0x10, 0x00, 0x30, 0x00, 0x00, 0x00, 0x00 };
    ck_assert_uint_eq(CTX_BASE + CTX_HOST_RSP, 0x30001088u);
    directed(64, code, sizeof(code));
    ck_assert_int_eq(native.run(native.opaque, &tc, &ts), 0);
    ck_assert_uint_eq(ts.status, NC_STATUS_HARNESS);
    ck_assert_ptr_nonnull(strstr(ts.note, "harness stub"));
    /* and the child goes on */
    static const uint8_t ok_code[] = { 0x90 };
    directed(64, ok_code, sizeof(ok_code));
    run_directed();
    ck_assert_int_eq(ts.vector, -1);
    ck_assert_uint_eq(nc_native_child_starts(&native), 1);
}
END_TEST

/* ---- comparison and campaign ---- */

START_TEST(compare_finds_exactly_what_differs)
{
    static struct nc_case c;
    static struct nc_state a, b;
    nc_case_generate(&c, 5, 3, NC_CLASS_ALL);   /* 32-bit */
    memset(&a, 0, sizeof(a));
    a.vector = -1;
    a.rflags = NC_FLAGS_FIXED;
    memcpy(a.data, c.data, NC_DATA_SIZE);
    b = a;
    ck_assert_uint_eq(nc_state_compare(&c, &a, &b, 0), 0);

    b.regs[0] = 1ull << 40;            /* above what 32-bit mode sees */
    b.rflags |= 0x10000 | 0x200;       /* RF, IF: not compared */
    ck_assert_uint_eq(nc_state_compare(&c, &a, &b, 0), 0);
    b.regs[3] = 1;
    ck_assert_uint_eq(nc_state_compare(&c, &a, &b, 0), NC_DIFF_REGS);
    b = a;
    b.rflags |= NC_FLAG_AF;
    c.undef_flags = NC_FLAG_AF;
    ck_assert_uint_eq(nc_state_compare(&c, &a, &b, 0), NC_DIFF_FLAGS);
    ck_assert_uint_eq(nc_state_compare(&c, &a, &b, NC_CMP_IGNORE_UNDEFINED), 0);
    b = a;
    b.data[100] ^= 1;
    b.rip = 4;
    ck_assert_uint_eq(nc_state_compare(&c, &a, &b, 0), NC_DIFF_DATA | NC_DIFF_RIP);
    b = a;
    a.vector = b.vector = 14;
    a.fault_addr = NC_DATA_BASE + NC_DATA_SIZE;
    b.fault_addr = a.fault_addr + 4;
    ck_assert_uint_eq(nc_state_compare(&c, &a, &b, 0), NC_DIFF_EXCEPTION);
    b.fault_addr = a.fault_addr;
    b.error_code = 2;
    ck_assert_uint_eq(nc_state_compare(&c, &a, &b, 0), NC_DIFF_EXCEPTION);
    b.error_code = a.error_code;
    b.status = NC_STATUS_HARNESS;
    ck_assert_uint_eq(nc_state_compare(&c, &a, &b, 0), NC_DIFF_STATUS);

    /* the report names the case, how to replay it and the register */
    b = a;
    b.regs[2] = 0x55;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    nc_diff_print(f, &c, &a, "native", &b, "bt", 0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "DIFFERENCE native vs bt in case 0x5:3 (32-bit): registers"));
    ck_assert_ptr_nonnull(strstr(text, "replay: nativecmp --replay 0x5:3"));
    ck_assert_ptr_nonnull(strstr(text, "* edx      00000000  00000055"));
    free(text);
}
END_TEST

START_TEST(campaign_selfcheck_and_perturbation)
{
    struct nc_runner second;
    char why[256];
    ck_assert_int_eq(nc_native_create(&second, why, sizeof(why)), 0);
    second.name = "native2";
    struct nc_runner runners[2] = { native, second };
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct nc_campaign cfg = {
        .seed = 0xfeed, .count = 1500, .mode64 = true, .mode32 = true, .classes = NC_CLASS_ALL,
        .max_print = 5, .perturb = -1, .out = f,
    };
    cfg.mode32 = nc_native_probe_compat32(&native, why, sizeof(why));
    struct nc_campaign_result res;
    ck_assert_int_eq(nc_campaign_run(&cfg, runners, 2, &res), 0);
    ck_assert_uint_eq(res.differing, 0);
    ck_assert_uint_eq(res.runner_failures, 0);
    ck_assert_uint_eq(res.cases, cfg.mode32 ? 3000 : 1500);
    /* the mix has both clean runs and exceptions */
    ck_assert_uint_gt(res.ended[0], 500);
    ck_assert_uint_gt(res.vectors[0][0] + res.vectors[0][6] + res.vectors[0][14], 50);

    cfg.perturb = 42;
    ck_assert_int_eq(nc_campaign_run(&cfg, runners, 2, &res), 0);
    ck_assert_uint_eq(res.differing, 1);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "replay: nativecmp --replay 0xfeed:42"));
    free(text);
    nc_runner_destroy(&second);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nativecmp");
    TCase *enc_tc = tcase_create("encoder");
    tcase_add_test(enc_tc, encoder_modrm_sib_forms);
    tcase_add_test(enc_tc, encoder_16bit_addressing_and_rex_rules);
    suite_add_tcase(s, enc_tc);
    TCase *gen_tc = tcase_create("generator");
    tcase_add_test(gen_tc, generator_is_deterministic);
    tcase_add_test(gen_tc, generator_bytes_decode_as_its_classes);
    tcase_add_test(gen_tc, generator_classes_parse_and_format);
    suite_add_tcase(s, gen_tc);
    TCase *nat_tc = tcase_create("native");
    tcase_add_checked_fixture(nat_tc, native_setup, native_teardown);
    tcase_add_test(nat_tc, native_runs_64bit_arithmetic_and_stores);
    tcase_add_test(nat_tc, native_runs_compatibility_mode);
    tcase_add_test(nat_tc, native_reports_exceptions);
    tcase_add_test(nat_tc, native_survives_a_case_that_kills_its_child);
    tcase_add_test(nat_tc, native_flags_a_fault_in_its_own_stubs);
    tcase_add_test(nat_tc, compare_finds_exactly_what_differs);
    tcase_add_test(nat_tc, campaign_selfcheck_and_perturbation);
    tcase_set_timeout(nat_tc, 60);
    suite_add_tcase(s, nat_tc);
    return run_suite(s);
}
