/* nativecmp: state comparison and the human-readable reports (capstone
 * disassembles the sequence so a difference can be read without tools). */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <string.h>

#include "tools/nativecmp/nc_compare.h"
#include "tools/nativecmp/nc_gen.h"
#include "nc_bytes.h"

static const char *const reg_names64[NC_NR_GPRS] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const reg_names32[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

static int nregs(const struct nc_case *c)
{
    return c->mode == NC_MODE_64 ? NC_NR_GPRS : 8;
}

static uint64_t reg_mask(const struct nc_case *c)
{
    return c->mode == NC_MODE_64 ? ~0ull : 0xffffffffull;
}

static const char *reg_name(const struct nc_case *c, int i)
{
    return c->mode == NC_MODE_64 ? reg_names64[i] : reg_names32[i];
}

static bool vector_has_error_code(int v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17;
}

uint64_t nc_compared_flags(const struct nc_case *c, unsigned opts)
{
    uint64_t m = NC_FLAGS_COMPARED;
    if (opts & NC_CMP_IGNORE_UNDEFINED)
        m &= ~(uint64_t)c->undef_flags;
    return m;
}

/* The compared fields of two FXSAVE images (see nc_case.h): bit 0 control
 * and status (FCW FSW FTW MXCSR), bits 1-8 ST0-7, bits 9-24 XMM0-15. */
static uint32_t fx_diff(const uint8_t *a, const uint8_t *b)
{
    uint32_t d = 0;
    if (memcmp(a, b, 5) != 0 || nc_get32(a + NC_FX_MXCSR) != nc_get32(b + NC_FX_MXCSR))
        d |= 1;
    for (int i = 0; i < 8; i++)
        if (memcmp(a + NC_FX_ST + 16 * i, b + NC_FX_ST + 16 * i, 10) != 0)
            d |= 2u << i;
    for (int i = 0; i < NC_NR_XMMS; i++)
        if (memcmp(a + NC_FX_XMM + 16 * i, b + NC_FX_XMM + 16 * i, 16) != 0)
            d |= 0x200u << i;
    return d;
}

uint32_t nc_state_compare(const struct nc_case *c, const struct nc_state *a,
                          const struct nc_state *b, unsigned opts)
{
    uint32_t d = 0;
    if (a->status != NC_STATUS_OK || b->status != NC_STATUS_OK)
        return NC_DIFF_STATUS;
    if (a->vector != b->vector ||
        (a->vector >= 0 && vector_has_error_code(a->vector) && a->error_code != b->error_code) ||
        (a->vector == 14 && a->fault_addr != b->fault_addr))
        d |= NC_DIFF_EXCEPTION;
    if (((a->rip ^ b->rip) & reg_mask(c)) != 0)
        d |= NC_DIFF_RIP;
    for (int i = 0; i < nregs(c); i++)
        if ((a->regs[i] ^ b->regs[i]) & reg_mask(c))
            d |= NC_DIFF_REGS;
    if ((a->rflags ^ b->rflags) & nc_compared_flags(c, opts))
        d |= NC_DIFF_FLAGS;
    if (memcmp(a->data, b->data, NC_DATA_SIZE) != 0)
        d |= NC_DIFF_DATA;
    if (fx_diff(a->fx, b->fx))
        d |= NC_DIFF_FPU;
    return d;
}

const char *nc_vector_name(int vector)
{
    static const char *const names[20] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9",
        "#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
    };
    if (vector < 0)
        return "none";
    if (vector < 20)
        return names[vector];
    return "#?";
}

static void flags_string(uint64_t fl, char *buf, size_t len)
{
    snprintf(buf, len, "%s %s %s %s %s %s %s",
             fl & NC_FLAG_OF ? "OF" : "of", fl & NC_FLAG_DF ? "DF" : "df",
             fl & NC_FLAG_SF ? "SF" : "sf", fl & NC_FLAG_ZF ? "ZF" : "zf",
             fl & NC_FLAG_AF ? "AF" : "af", fl & NC_FLAG_PF ? "PF" : "pf",
             fl & NC_FLAG_CF ? "CF" : "cf");
}

static void disassemble(FILE *f, const struct nc_case *c)
{
    csh h;
    if (cs_open(CS_ARCH_X86, c->mode == NC_MODE_64 ? CS_MODE_64 : CS_MODE_32, &h) != CS_ERR_OK) {
        fprintf(f, "    (capstone unavailable)\n");
        return;
    }
    size_t off = 0;
    while (off < c->code_len) {
        cs_insn *insn;
        size_t n = cs_disasm(h, c->code + off, c->code_len - off, NC_CODE_BASE + off, 1, &insn);
        if (n == 0) {
            /* capstone does not know it (or it is invalid): one byte on */
            fprintf(f, "    %08" PRIx64 ": %02x%*s (bad)\n", (uint64_t)NC_CODE_BASE + off, c->code[off], 40, "");
            off++;
            continue;
        }
        char hex[64] = "";
        size_t at = 0;
        for (size_t i = 0; i < insn->size && at + 4 < sizeof(hex); i++)
            at += (size_t)snprintf(hex + at, sizeof(hex) - at, "%02x ", insn->bytes[i]);
        fprintf(f, "    %08" PRIx64 ": %-45s %s %s\n", insn->address, hex, insn->mnemonic, insn->op_str);
        off += insn->size;
        cs_free(insn, n);
    }
    fprintf(f, "    %08" PRIx64 ": (end)\n", (uint64_t)NC_CODE_BASE + c->code_len);
    cs_close(&h);
}

static void fx_print_ctl(FILE *f, const char *indent, const uint8_t *fx)
{
    uint16_t fsw = nc_get16(fx + NC_FX_FSW);
    fprintf(f, "%sfcw %04x fsw %04x (top %u) ftw %02x mxcsr %08x\n", indent, nc_get16(fx + NC_FX_FCW), fsw,
            (fsw >> 11) & 7, fx[NC_FX_FTW], nc_get32(fx + NC_FX_MXCSR));
}

static void fx_print_st(const uint8_t *fx, int i, char *buf, size_t len)
{
    const uint8_t *p = fx + NC_FX_ST + 16 * i;
    snprintf(buf, len, "%04x:%016" PRIx64, nc_get16(p + 8), nc_get64(p));
}

static void fx_print_xmm(const uint8_t *fx, int i, char *buf, size_t len)
{
    const uint8_t *p = fx + NC_FX_XMM + 16 * i;
    snprintf(buf, len, "%016" PRIx64 "_%016" PRIx64, nc_get64(p + 8), nc_get64(p));
}

/* Every compared field of one image (case and replay output). */
static void fx_print(FILE *f, const char *indent, const uint8_t *fx)
{
    char buf[48];
    fx_print_ctl(f, indent, fx);
    for (int i = 0; i < 8; i++) {
        fx_print_st(fx, i, buf, sizeof(buf));
        fprintf(f, "%sst%d %s%s", i % 4 ? "  " : indent, i, buf, i % 4 == 3 ? "\n" : "");
    }
    for (int i = 0; i < NC_NR_XMMS; i++) {
        fx_print_xmm(fx, i, buf, sizeof(buf));
        fprintf(f, "%sxmm%-2d %s%s", i % 2 ? "  " : indent, i, buf, i % 2 ? "\n" : "");
    }
}

void nc_case_print(FILE *f, const struct nc_case *c)
{
    char cls[256], fl[64];
    nc_gen_format_classes(c->classes, cls, sizeof(cls));
    fprintf(f, "case %#" PRIx64 ":%" PRIu64 "  mode %u-bit  classes %s\n", c->seed, c->index, c->mode, cls);
    fprintf(f, "  replay: nativecmp --replay %#" PRIx64 ":%" PRIu64 "%s%s\n", c->seed, c->index,
            strcmp(cls, "all") ? " --classes " : "", strcmp(cls, "all") ? cls : "");
    fprintf(f, "  code (%u bytes):", c->code_len);
    for (uint32_t i = 0; i < c->code_len; i++)
        fprintf(f, " %02x", c->code[i]);
    fprintf(f, "\n");
    disassemble(f, c);
    fprintf(f, "  initial registers:\n");
    for (int i = 0; i < nregs(c); i++)
        fprintf(f, "    %-3s %0*" PRIx64 "%s", reg_name(c, i), c->mode == NC_MODE_64 ? 16 : 8,
                c->regs[i] & reg_mask(c), (i % 4 == 3) ? "\n" : "");
    flags_string(c->rflags, fl, sizeof(fl));
    fprintf(f, "  initial rflags %#06" PRIx64 " [%s]", c->rflags, fl);
    if (c->undef_flags) {
        fprintf(f, "; left undefined by the manuals:%s%s%s%s%s%s",
                c->undef_flags & NC_FLAG_OF ? " OF" : "", c->undef_flags & NC_FLAG_SF ? " SF" : "",
                c->undef_flags & NC_FLAG_ZF ? " ZF" : "", c->undef_flags & NC_FLAG_AF ? " AF" : "",
                c->undef_flags & NC_FLAG_PF ? " PF" : "", c->undef_flags & NC_FLAG_CF ? " CF" : "");
    }
    fprintf(f, "\n  initial x87/SSE state (ST(i) exponent:significand, XMM high_low):\n");
    fx_print(f, "    ", c->fx);
    fprintf(f, "  data area %#x..%#x: generated content (differing bytes listed below)\n",
            NC_DATA_BASE, NC_DATA_BASE + NC_DATA_SIZE - 1);
}

static void exception_string(const struct nc_state *s, char *buf, size_t len)
{
    if (s->status != NC_STATUS_OK) {
        snprintf(buf, len, "HARNESS ERROR: %s", s->note);
        return;
    }
    if (s->vector < 0) {
        snprintf(buf, len, "none (ran to the end)");
        return;
    }
    int n = snprintf(buf, len, "%s (vector %d)", nc_vector_name(s->vector), s->vector);
    if (n > 0 && (size_t)n < len && vector_has_error_code(s->vector))
        n += snprintf(buf + n, len - (size_t)n, " error %#x", s->error_code);
    if (n > 0 && (size_t)n < len && s->vector == 14)
        n += snprintf(buf + n, len - (size_t)n, " addr %#" PRIx64, s->fault_addr);
    if (n > 0 && (size_t)n < len && s->signo)
        snprintf(buf + n, len - (size_t)n, " [signal %d]", s->signo);
}

void nc_state_print(FILE *f, const struct nc_case *c, const struct nc_state *s, const char *label)
{
    char buf[160], fl[64];
    exception_string(s, buf, sizeof(buf));
    fprintf(f, "  %s: exception %s\n", label, buf);
    fprintf(f, "    rip %0*" PRIx64, c->mode == NC_MODE_64 ? 16 : 8, s->rip & reg_mask(c));
    flags_string(s->rflags, fl, sizeof(fl));
    fprintf(f, "  rflags %#06" PRIx64 " [%s]\n", s->rflags, fl);
    for (int i = 0; i < nregs(c); i++)
        fprintf(f, "    %-3s %0*" PRIx64 "%s", reg_name(c, i), c->mode == NC_MODE_64 ? 16 : 8,
                s->regs[i] & reg_mask(c), (i % 4 == 3) ? "\n" : "");
    int changed = 0;
    for (uint32_t i = 0; i < NC_DATA_SIZE; i++)
        changed += s->data[i] != c->data[i];
    fprintf(f, "    data bytes changed: %d\n", changed);
    fx_print(f, "    ", s->fx);
}

void nc_diff_print(FILE *f, const struct nc_case *c, const struct nc_state *a, const char *a_name,
                   const struct nc_state *b, const char *b_name, unsigned opts)
{
    uint32_t d = nc_state_compare(c, a, b, opts);
    char buf[160], fl[64];
    fprintf(f, "DIFFERENCE %s vs %s in case %#" PRIx64 ":%" PRIu64 " (%u-bit):%s%s%s%s%s%s%s\n",
            a_name, b_name, c->seed, c->index, c->mode,
            d & NC_DIFF_STATUS ? " runner-failure" : "", d & NC_DIFF_EXCEPTION ? " exception" : "",
            d & NC_DIFF_RIP ? " rip" : "", d & NC_DIFF_REGS ? " registers" : "",
            d & NC_DIFF_FLAGS ? " flags" : "", d & NC_DIFF_DATA ? " memory" : "",
            d & NC_DIFF_FPU ? " x87/sse" : "");
    nc_case_print(f, c);

    int w = c->mode == NC_MODE_64 ? 16 : 8;
    fprintf(f, "  final state       %-*s  %-*s\n", w + 2, a_name, w + 2, b_name);
    exception_string(a, buf, sizeof(buf));
    fprintf(f, "  %s exception: %s: %s\n", d & NC_DIFF_EXCEPTION ? "*" : " ", a_name, buf);
    exception_string(b, buf, sizeof(buf));
    fprintf(f, "  %s exception: %s: %s\n", d & NC_DIFF_EXCEPTION ? "*" : " ", b_name, buf);
    fprintf(f, "  %s rip      %0*" PRIx64 "  %0*" PRIx64 "\n", d & NC_DIFF_RIP ? "*" : " ",
            w, a->rip & reg_mask(c), w, b->rip & reg_mask(c));
    for (int i = 0; i < nregs(c); i++) {
        uint64_t x = a->regs[i] & reg_mask(c), y = b->regs[i] & reg_mask(c);
        fprintf(f, "  %s %-3s      %0*" PRIx64 "  %0*" PRIx64 "%s\n", x != y ? "*" : " ", reg_name(c, i),
                w, x, w, y, (c->regs[i] & reg_mask(c)) == x && x == y ? "  (unchanged)" : "");
    }
    uint64_t fm = nc_compared_flags(c, opts);
    flags_string(a->rflags, fl, sizeof(fl));
    fprintf(f, "  %s rflags   %#06" PRIx64 " [%s]\n", (a->rflags ^ b->rflags) & fm ? "*" : " ", a->rflags, fl);
    flags_string(b->rflags, fl, sizeof(fl));
    fprintf(f, "             %#06" PRIx64 " [%s]  (compared bits %#" PRIx64 ")\n", b->rflags, fl, fm);

    uint32_t fd = fx_diff(a->fx, b->fx);
    char x[48], y[48];
    fprintf(f, "  %s x87/sse control, %s:\n", fd & 1 ? "*" : " ", a_name);
    fx_print_ctl(f, "      ", a->fx);
    fprintf(f, "    x87/sse control, %s:\n", b_name);
    fx_print_ctl(f, "      ", b->fx);
    for (int i = 0; i < 8; i++) {
        fx_print_st(a->fx, i, x, sizeof(x));
        fx_print_st(b->fx, i, y, sizeof(y));
        if ((fd >> (1 + i)) & 1)
            fprintf(f, "  * st%d     %s  %s\n", i, x, y);
    }
    for (int i = 0; i < NC_NR_XMMS; i++) {
        fx_print_xmm(a->fx, i, x, sizeof(x));
        fx_print_xmm(b->fx, i, y, sizeof(y));
        bool same_init = !memcmp(a->fx + NC_FX_XMM + 16 * i, c->fx + NC_FX_XMM + 16 * i, 16);
        fprintf(f, "  %s xmm%-2d    %s  %s%s\n", (fd >> (9 + i)) & 1 ? "*" : " ", i, x, y,
                !((fd >> (9 + i)) & 1) && same_init ? "  (unchanged)" : "");
    }
    if (fd & 0x1fe) {
        fprintf(f, "    (st registers not listed are equal)\n");
    }

    if (d & NC_DIFF_DATA) {
        fprintf(f, "  * memory differs (address: initial %s %s):\n", a_name, b_name);
        int shown = 0;
        for (uint32_t i = 0; i < NC_DATA_SIZE && shown < 64; i++) {
            if (a->data[i] == b->data[i])
                continue;
            fprintf(f, "      %08x: %02x  %02x  %02x\n", NC_DATA_BASE + i, c->data[i], a->data[i], b->data[i]);
            shown++;
        }
    }
    fprintf(f, "\n");
}
