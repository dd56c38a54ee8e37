/* Decoder test: directed cases for every operand kind, prefix rule and
 * limit, then a generated corpus per mode whose lengths (and memory-operand
 * presence) are compared with capstone's, with capstone 4.0.2's known
 * errors excluded one by one. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* capstone's x86.h has enums named x86_insn and x86_reg, the tags of our
 * struct x86_insn and cpu.h's enum x86_reg. */
#define x86_insn cs_x86_insn_id
#define x86_reg cs_x86_reg
#include <capstone/capstone.h>
#undef x86_insn
#undef x86_reg

#include "cpu/x86_insn.h"
#include "test_util.h"

/* ---- helpers ---- */

static size_t hex_to_bytes(const char *hex, uint8_t *out, size_t max)
{
    size_t n = 0;
    while (hex[0] && n < max) {
        if (hex[0] == ' ') {
            hex++;
            continue;
        }
        unsigned v;
        ck_assert_msg(sscanf(hex, "%2x", &v) == 1, "bad hex %s", hex);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* Decodes the hex string (the whole buffer available) at pc. */
static int dec_at(unsigned bits, uint64_t pc, const char *hex, struct x86_insn *in)
{
    uint8_t buf[32];
    size_t n = hex_to_bytes(hex, buf, sizeof(buf));
    return x86_decode(buf, n, bits, pc, in);
}

static int dec(unsigned bits, const char *hex, struct x86_insn *in)
{
    return dec_at(bits, 0x1000, hex, in);
}

static void fmt_expect(unsigned bits, const char *hex, const char *text)
{
    struct x86_insn in;
    char buf[128];
    ck_assert_int_gt(dec(bits, hex, &in), 0);
    x86_insn_format(&in, buf, sizeof(buf));
    ck_assert_msg(strcmp(buf, text) == 0, "%s: got \"%s\", want \"%s\"", hex, buf, text);
}

/* ---- directed cases ---- */

START_TEST(test_modrm_register_and_immediates)
{
    struct x86_insn in;
    /* add al, bl: Eb, Gb register form */
    ck_assert_int_eq(dec(32, "00 d8", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_ADD);
    ck_assert_int_eq(in.nops, 2);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_REG);
    ck_assert_int_eq(in.op[0].reg, 0);
    ck_assert_int_eq(in.op[0].size, 1);
    ck_assert_int_eq(in.op[1].reg, 3);
    /* 81 /0 Ev, Iz in 32- and 16-bit code */
    ck_assert_int_eq(dec(32, "81 c1 78 56 34 12", &in), 6);
    ck_assert_int_eq(in.op[1].kind, X86_OPK_IMM);
    ck_assert_int_eq(in.op[1].value, 0x12345678);
    ck_assert_int_eq(dec(16, "81 c1 34 12", &in), 4);
    ck_assert_int_eq(in.opsize, 2);
    ck_assert_int_eq(in.op[1].value, 0x1234);
    /* 83 /7 Ev, Ibs: sign-extended to the operand size */
    ck_assert_int_eq(dec(32, "83 f9 ff", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_CMP);
    ck_assert_int_eq(in.op[1].value, -1);
    ck_assert_int_eq(in.op[1].size, 4);
    /* 66 flips the operand size; Iz follows it */
    ck_assert_int_eq(dec(32, "66 05 34 12", &in), 4);
    ck_assert_int_eq(in.opsize, 2);
    ck_assert_int_eq(in.op[0].size, 2);
    ck_assert_int_eq(dec(16, "66 05 78 56 34 12", &in), 6);
    ck_assert_int_eq(in.opsize, 4);
    /* MOV r, imm: Iv of every width, including imm64 */
    ck_assert_int_eq(dec(32, "b8 78 56 34 12", &in), 5);
    ck_assert_int_eq(dec(32, "66 b8 34 12", &in), 4);
    ck_assert_int_eq(dec(64, "49 b8 88 77 66 55 44 33 22 11", &in), 10);
    ck_assert_int_eq(in.op[0].reg, 8);
    ck_assert_int_eq(in.op[0].size, 8);
    ck_assert_int_eq(in.op[1].value, 0x1122334455667788ll);
    /* 64-bit Iz stays 4 bytes, sign-extended */
    ck_assert_int_eq(dec(64, "48 05 00 00 00 80", &in), 6);
    ck_assert_int_eq(in.op[1].value, (int64_t)0xffffffff80000000ull);
    /* ENTER Iw, Ib: the second immediate also in far_seg */
    ck_assert_int_eq(dec(32, "c8 10 00 02", &in), 4);
    ck_assert_int_eq(in.mnemonic, X86_ENTER);
    ck_assert_int_eq(in.op[0].value, 0x10);
    ck_assert_int_eq(in.op[1].value, 2);
    ck_assert_int_eq(in.far_seg, 2);
    /* IMUL Gv, Ev, Iz: three operands */
    ck_assert_int_eq(dec(32, "69 c3 10 00 00 00", &in), 6);
    ck_assert_int_eq(in.nops, 3);
    ck_assert_int_eq(in.op[2].value, 16);
    /* shifts: I1 and CL */
    ck_assert_int_eq(dec(32, "d1 e0", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_SHL);
    ck_assert_int_eq(in.op[1].kind, X86_OPK_IMM);
    ck_assert_int_eq(in.op[1].value, 1);
    ck_assert_int_eq(dec(32, "d3 f8", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_SAR);
    ck_assert_int_eq(in.op[1].reg, 1);
    /* F6 /0 TEST Eb, Ib and its /1 alias; F7 /0 Ev, Iz */
    ck_assert_int_eq(dec(32, "f6 c8 7f", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_TEST);
    ck_assert_int_eq(dec(32, "f7 c0 01 00 00 00", &in), 6);
    ck_assert_int_eq(dec(32, "f7 d8", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_NEG);
    ck_assert_int_eq(in.nops, 1);
}
END_TEST

START_TEST(test_byte_registers_and_rex)
{
    struct x86_insn in;
    /* without REX, 4..7 are AH CH DH BH */
    ck_assert_int_eq(dec(64, "88 e0", &in), 2);
    ck_assert_int_eq(in.op[1].reg, 0);
    ck_assert_int_eq(in.op[1].high8, 1);
    /* any REX makes them SPL BPL SIL DIL */
    ck_assert_int_eq(dec(64, "40 88 e0", &in), 3);
    ck_assert_int_eq(in.op[1].reg, 4);
    ck_assert_int_eq(in.op[1].high8, 0);
    ck_assert(in.prefixes & X86_PFX_REX);
    /* REX.R and REX.B */
    ck_assert_int_eq(dec(64, "45 88 c1", &in), 3);
    ck_assert_int_eq(in.op[0].reg, 9);
    ck_assert_int_eq(in.op[1].reg, 8);
    /* Zb with REX.B: MOV r12b, imm8 */
    ck_assert_int_eq(dec(64, "41 b4 05", &in), 3);
    ck_assert_int_eq(in.op[0].reg, 12);
    ck_assert_int_eq(in.op[0].high8, 0);
    ck_assert_int_eq(dec(32, "b4 05", &in), 2);
    ck_assert_int_eq(in.op[0].reg, 0);
    ck_assert_int_eq(in.op[0].high8, 1);
    /* REX.W beats 66 */
    ck_assert_int_eq(dec(64, "66 48 89 c0", &in), 4);
    ck_assert_int_eq(in.opsize, 8);
    /* a REX followed by a legacy prefix is ignored */
    ck_assert_int_eq(dec(64, "48 66 89 c0", &in), 4);
    ck_assert_int_eq(in.opsize, 2);
    ck_assert_int_eq(in.rex, 0);
    ck_assert(!(in.prefixes & X86_PFX_REX));
    /* of two REX bytes the last counts */
    ck_assert_int_eq(dec(64, "48 41 89 c0", &in), 4);
    ck_assert_int_eq(in.rex, 0x41);
    ck_assert_int_eq(in.opsize, 4);
    ck_assert_int_eq(in.op[0].reg, 8);
    /* 40-4F are INC/DEC outside 64-bit mode */
    ck_assert_int_eq(dec(32, "48", &in), 1);
    ck_assert_int_eq(in.mnemonic, X86_DEC);
    ck_assert_int_eq(in.op[0].reg, 0);
    /* 64-bit: PUSH/POP default to 64, 66 gives 16, REX.B reaches r8-r15 */
    ck_assert_int_eq(dec(64, "50", &in), 1);
    ck_assert_int_eq(in.opsize, 8);
    ck_assert_int_eq(dec(64, "66 50", &in), 2);
    ck_assert_int_eq(in.opsize, 2);
    ck_assert_int_eq(dec(64, "41 5f", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_POP);
    ck_assert_int_eq(in.op[0].reg, 15);
    ck_assert_int_eq(dec(64, "ff 30", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_PUSH);
    ck_assert_int_eq(in.op[0].size, 8);
    /* IN eAX: never 64-bit */
    ck_assert_int_eq(dec(64, "48 ed", &in), 2);
    ck_assert_int_eq(in.op[0].size, 4);
    ck_assert_int_eq(in.op[1].size, 2);
    /* MOVSXD in 64-bit mode, ARPL elsewhere */
    ck_assert_int_eq(dec(64, "48 63 c1", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_MOVSXD);
    ck_assert_int_eq(in.op[1].size, 4);
    ck_assert_int_eq(dec(32, "63 c1", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_ARPL);
    /* 90: NOP, PAUSE, but XCHG r8, rax with REX.B */
    ck_assert_int_eq(dec(64, "90", &in), 1);
    ck_assert_int_eq(in.mnemonic, X86_NOP);
    ck_assert_int_eq(in.nops, 0);
    ck_assert_int_eq(dec(32, "f3 90", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_PAUSE);
    ck_assert_int_eq(dec(64, "41 90", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_XCHG);
    ck_assert_int_eq(in.op[0].reg, 8);
    ck_assert_int_eq(dec(32, "91", &in), 1);
    ck_assert_int_eq(in.mnemonic, X86_XCHG);
    ck_assert_int_eq(in.op[0].reg, 1);
    /* CMPXCHG8B becomes CMPXCHG16B with REX.W */
    ck_assert_int_eq(dec(64, "48 0f c7 0e", &in), 4);
    ck_assert_int_eq(in.mnemonic, X86_CMPXCHG16B);
    ck_assert_int_eq(in.op[0].size, 16);
    ck_assert_int_eq(dec(32, "0f c7 0e", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_CMPXCHG8B);
    ck_assert_int_eq(in.op[0].size, 8);
}
END_TEST

START_TEST(test_addressing_16)
{
    struct x86_insn in;
    /* mov ax, [bp+si+8]: BP-based, so SS */
    ck_assert_int_eq(dec(16, "8b 42 08", &in), 3);
    ck_assert_int_eq(in.addrsize, 2);
    ck_assert_int_eq(in.mem.base, 5);
    ck_assert_int_eq(in.mem.index, 6);
    ck_assert_int_eq(in.mem.seg, 2);
    ck_assert_int_eq(in.mem.disp, 8);
    ck_assert_int_eq(in.mem.addr_size, 2);
    /* [bx+di] is DS */
    ck_assert_int_eq(dec(16, "8b 01", &in), 2);
    ck_assert_int_eq(in.mem.base, 3);
    ck_assert_int_eq(in.mem.index, 7);
    ck_assert_int_eq(in.mem.seg, 3);
    /* mod 0 rm 6: disp16 only, DS */
    ck_assert_int_eq(dec(16, "8b 06 34 12", &in), 4);
    ck_assert_int_eq(in.mem.base, -1);
    ck_assert_int_eq(in.mem.index, -1);
    ck_assert_int_eq(in.mem.disp, 0x1234);
    ck_assert_int_eq(in.mem.seg, 3);
    /* [bp+disp16] negative, and a segment override beating SS */
    ck_assert_int_eq(dec(16, "8b 86 fe ff", &in), 4);
    ck_assert_int_eq(in.mem.base, 5);
    ck_assert_int_eq(in.mem.disp, -2);
    ck_assert_int_eq(in.mem.seg, 2);
    ck_assert_int_eq(dec(16, "26 8b 46 00", &in), 4);
    ck_assert_int_eq(in.mem.seg, 0);
    ck_assert_int_eq(in.seg_override, 0);
    /* 67 in 32-bit code selects 16-bit forms, and back */
    ck_assert_int_eq(dec(32, "67 8b 46 10", &in), 4);
    ck_assert_int_eq(in.mem.base, 5);
    ck_assert_int_eq(in.mem.addr_size, 2);
    ck_assert_int_eq(dec(16, "67 8b 04 24", &in), 4);
    ck_assert_int_eq(in.mem.base, 4);
    ck_assert_int_eq(in.mem.addr_size, 4);
    ck_assert_int_eq(in.mem.seg, 2);
}
END_TEST

START_TEST(test_addressing_32_64)
{
    struct x86_insn in;
    /* SIB without base: [ecx*4 + disp32] */
    ck_assert_int_eq(dec(32, "8b 04 8d 00 10 00 00", &in), 7);
    ck_assert_int_eq(in.mem.base, -1);
    ck_assert_int_eq(in.mem.index, 1);
    ck_assert_int_eq(in.mem.scale, 4);
    ck_assert_int_eq(in.mem.disp, 0x1000);
    ck_assert_int_eq(in.mem.seg, 3);
    /* ESP and EBP bases default to SS; index 4 means none */
    ck_assert_int_eq(dec(32, "8b 44 24 04", &in), 4);
    ck_assert_int_eq(in.mem.base, 4);
    ck_assert_int_eq(in.mem.index, -1);
    ck_assert_int_eq(in.mem.seg, 2);
    ck_assert_int_eq(dec(32, "8b 45 fc", &in), 3);
    ck_assert_int_eq(in.mem.base, 5);
    ck_assert_int_eq(in.mem.disp, -4);
    ck_assert_int_eq(in.mem.seg, 2);
    /* mod 0 rm 5: disp32 in 32-bit code */
    ck_assert_int_eq(dec(32, "8b 05 78 56 34 12", &in), 6);
    ck_assert_int_eq(in.mem.base, -1);
    ck_assert_int_eq(in.mem.rip_relative, 0);
    ck_assert_int_eq(in.mem.disp, 0x12345678);
    /* ... and RIP-relative in 64-bit code, disp including the next pc */
    ck_assert_int_eq(dec_at(64, 0x400000, "48 8b 05 10 00 00 00", &in), 7);
    ck_assert_int_eq(in.mem.rip_relative, 1);
    ck_assert_int_eq(in.mem.base, -1);
    ck_assert_int_eq(in.mem.disp, 0x400000 + 7 + 0x10);
    ck_assert_int_eq(in.mem.addr_size, 8);
    /* RIP-relative with an immediate after the displacement */
    ck_assert_int_eq(dec_at(64, 0x1000, "c7 05 f0 ff ff ff 01 00 00 00", &in), 10);
    ck_assert_int_eq(in.mem.disp, 0x1000 + 10 - 0x10);
    /* 67 in 64-bit: 32-bit addresses, EIP-relative */
    ck_assert_int_eq(dec(64, "67 8b 05 00 00 00 00", &in), 7);
    ck_assert_int_eq(in.mem.addr_size, 4);
    ck_assert_int_eq(in.mem.rip_relative, 1);
    /* r13 base needs a displacement but is DS; SIB base 5 with REX.B and
     * mod 0 is still disp32 without base */
    ck_assert_int_eq(dec(64, "41 8b 45 00", &in), 4);
    ck_assert_int_eq(in.mem.base, 13);
    ck_assert_int_eq(in.mem.seg, 3);
    ck_assert_int_eq(dec(64, "43 8b 04 25 00 01 00 00", &in), 8);
    ck_assert_int_eq(in.mem.base, -1);
    ck_assert_int_eq(in.mem.index, 12);
    ck_assert_int_eq(in.mem.disp, 0x100);
    /* REX.X makes index 4 a real register (r12) */
    ck_assert_int_eq(dec(64, "4a 8b 04 e0", &in), 4);
    ck_assert_int_eq(in.mem.base, 0);
    ck_assert_int_eq(in.mem.index, 12);
    ck_assert_int_eq(in.mem.scale, 8);
    /* LEA: a memory operand that is not an access */
    ck_assert_int_eq(dec(32, "8d 04 40", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_LEA);
    ck_assert_int_eq(in.op[1].kind, X86_OPK_MEM);
    ck_assert_int_eq(in.op[1].size, 0);
    /* the last segment override wins */
    ck_assert_int_eq(dec(32, "2e 3e 64 8b 00", &in), 5);
    ck_assert_int_eq(in.mem.seg, 4);
    ck_assert_int_eq(in.seg_override, 4);
}
END_TEST

START_TEST(test_moffs_far_and_branches)
{
    struct x86_insn in;
    /* moffs: as wide as the address size */
    ck_assert_int_eq(dec(32, "a1 78 56 34 12", &in), 5);
    ck_assert_int_eq(in.op[1].kind, X86_OPK_MEM);
    ck_assert_int_eq(in.op[1].size, 4);
    ck_assert_int_eq(in.mem.disp, 0x12345678);
    ck_assert_int_eq(in.mem.base, -1);
    ck_assert_int_eq(dec(16, "a0 34 12", &in), 3);
    ck_assert_int_eq(in.mem.disp, 0x1234);
    ck_assert_int_eq(dec(32, "67 a2 34 12", &in), 4);
    ck_assert_int_eq(in.op[0].size, 1);
    ck_assert_int_eq(dec(64, "48 a3 88 77 66 55 44 33 22 11", &in), 10);
    ck_assert_int_eq(in.mem.disp, 0x1122334455667788ll);
    ck_assert_int_eq(in.op[0].size, 8);
    ck_assert_int_eq(dec(64, "67 a1 78 56 34 12", &in), 6);
    ck_assert_int_eq(dec(32, "64 a1 00 00 00 00", &in), 6);
    ck_assert_int_eq(in.mem.seg, 4);
    /* far pointers: offset then selector */
    ck_assert_int_eq(dec(32, "ea 78 56 34 12 cd ab", &in), 7);
    ck_assert_int_eq(in.mnemonic, X86_JMPF);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_FAR);
    ck_assert_int_eq(in.op[0].value, 0x12345678);
    ck_assert_int_eq(in.far_seg, 0xabcd);
    ck_assert_int_eq(dec(16, "9a 34 12 00 f0", &in), 5);
    ck_assert_int_eq(in.mnemonic, X86_CALLF);
    ck_assert_int_eq(in.op[0].value, 0x1234);
    ck_assert_int_eq(in.far_seg, 0xf000);
    ck_assert_int_eq(dec(64, "ea 78 56 34 12 cd ab", &in), X86_DECODE_UD);
    /* far indirect: m16:16/32 */
    ck_assert_int_eq(dec(32, "ff 28", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_JMPF);
    ck_assert_int_eq(in.op[0].size, 6);
    ck_assert_int_eq(dec(32, "66 ff 18", &in), 3);
    ck_assert_int_eq(in.op[0].size, 4);
    ck_assert_int_eq(dec(32, "ff d8", &in), X86_DECODE_UD);
    /* relative targets: next pc + displacement */
    ck_assert_int_eq(dec_at(32, 0x1000, "eb fe", &in), 2);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_REL);
    ck_assert_int_eq(in.op[0].value, 0x1000);
    ck_assert_int_eq(dec_at(32, 0x1000, "e8 fb ff ff ff", &in), 5);
    ck_assert_int_eq(in.op[0].value, 0x1000);
    ck_assert_int_eq(dec_at(32, 0x1000, "0f 84 00 01 00 00", &in), 6);
    ck_assert_int_eq(in.mnemonic, X86_JCC);
    ck_assert_int_eq(in.cond, X86_CC_E);
    ck_assert_int_eq(in.op[0].value, 0x1106);
    ck_assert_int_eq(dec_at(32, 0x1000, "7f 10", &in), 2);
    ck_assert_int_eq(in.cond, X86_CC_G);
    /* 16-bit IP wraps */
    ck_assert_int_eq(dec_at(16, 0xfff0, "e9 20 00", &in), 3);
    ck_assert_int_eq(in.op[0].value, 0x0013);
    ck_assert_int_eq(dec_at(16, 0x0002, "eb f0", &in), 2);
    ck_assert_int_eq(in.op[0].value, 0xfff4);
    /* 66 in 32-bit code: rel16, target truncated to 16 bits */
    ck_assert_int_eq(dec_at(32, 0x12340000, "66 e9 00 10", &in), 4);
    ck_assert_int_eq(in.opsize, 2);
    ck_assert_int_eq(in.op[0].value, 0x1004);
    /* 64-bit: near branches are 64-bit whatever 66 says (Intel 64) */
    ck_assert_int_eq(dec_at(64, 0x100000000ull, "e8 00 00 00 80", &in), 5);
    ck_assert_int_eq(in.opsize, 8);
    ck_assert_int_eq(in.op[0].value, 0x100000005ll - 0x80000000ll);
    ck_assert_int_eq(dec(64, "66 e8 00 00 00 00", &in), 6);
    ck_assert_int_eq(in.opsize, 8);
    /* LOOP/JCXZ: the count register follows the address size */
    ck_assert_int_eq(dec(32, "67 e3 00", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_JCXZ);
    ck_assert_int_eq(in.addrsize, 2);
    ck_assert_int_eq(dec(64, "e2 fe", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_LOOP);
    ck_assert_int_eq(in.addrsize, 8);
    /* RET Iw */
    ck_assert_int_eq(dec(64, "48 c2 10 00", &in), 4);
    ck_assert_int_eq(in.op[0].value, 0x10);
}
END_TEST

START_TEST(test_prefixes_strings_segments)
{
    struct x86_insn in;
    /* F2/F3: the last one wins */
    ck_assert_int_eq(dec(32, "f3 f2 a4", &in), 3);
    ck_assert(in.prefixes & X86_PFX_REPNE);
    ck_assert(!(in.prefixes & X86_PFX_REP));
    ck_assert_int_eq(dec(32, "f2 f3 a5", &in), 3);
    ck_assert(in.prefixes & X86_PFX_REP);
    ck_assert(!(in.prefixes & X86_PFX_REPNE));
    /* rep movsd: DS:ESI source in insn->mem, ES:EDI destination */
    ck_assert_int_eq(dec(32, "f3 a5", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_MOVS);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_MEM);
    ck_assert_int_eq(in.op[0].reg, 7);
    ck_assert_int_eq(in.op[1].reg, 6);
    ck_assert_int_eq(in.op[0].size, 4);
    ck_assert_int_eq(in.mem.seg, 3);
    ck_assert_int_eq(in.mem.base, 6);
    /* lodsb with an override; stosb is always ES:rDI */
    ck_assert_int_eq(dec(32, "26 ac", &in), 2);
    ck_assert_int_eq(in.mem.seg, 0);
    ck_assert_int_eq(in.op[1].size, 1);
    ck_assert_int_eq(dec(32, "64 aa", &in), 2);
    ck_assert_int_eq(in.mem.seg, 0);
    ck_assert_int_eq(in.mem.base, 7);
    ck_assert_int_eq(dec(32, "67 a4", &in), 2);
    ck_assert_int_eq(in.mem.addr_size, 2);
    /* INS/OUTS: z-sized, never 64 */
    ck_assert_int_eq(dec(64, "48 6d", &in), 2);
    ck_assert_int_eq(in.op[0].size, 4);
    ck_assert_int_eq(dec(64, "66 6f", &in), 2);
    ck_assert_int_eq(in.op[1].size, 2);
    /* segment registers */
    ck_assert_int_eq(dec(32, "8e d8", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_MOV_SEG);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_SEG);
    ck_assert_int_eq(in.op[0].reg, 3);
    ck_assert_int_eq(dec(32, "8e c8", &in), X86_DECODE_UD); /* MOV CS */
    ck_assert_int_eq(dec(32, "8c f0", &in), X86_DECODE_UD); /* no Sreg 6 */
    ck_assert_int_eq(dec(32, "8c d8", &in), 2);
    ck_assert_int_eq(in.op[0].size, 4);
    ck_assert_int_eq(dec(32, "8c 18", &in), 2);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_MEM);
    ck_assert_int_eq(in.op[0].size, 2);
    ck_assert_int_eq(dec(32, "0f a1", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_POP);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_SEG);
    ck_assert_int_eq(in.op[0].reg, 4);
    ck_assert_int_eq(dec(32, "1e", &in), 1);
    ck_assert_int_eq(in.op[0].reg, 3);
    /* control and debug registers: mod is ignored, no displacement */
    ck_assert_int_eq(dec(32, "0f 22 18", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_MOV_CR);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_CR);
    ck_assert_int_eq(in.op[0].reg, 3);
    ck_assert_int_eq(in.op[1].kind, X86_OPK_REG);
    ck_assert_int_eq(in.op[1].reg, 0);
    ck_assert_int_eq(in.op[1].size, 4);
    ck_assert_int_eq(dec(32, "0f 20 c8", &in), X86_DECODE_UD); /* CR1 */
    ck_assert_int_eq(dec(32, "0f 21 f8", &in), 3);
    ck_assert_int_eq(in.op[1].kind, X86_OPK_DR);
    ck_assert_int_eq(in.op[1].reg, 7);
    ck_assert_int_eq(dec(64, "44 0f 20 c0", &in), 4);
    ck_assert_int_eq(in.op[1].reg, 8);
    ck_assert_int_eq(in.op[0].size, 8);
    ck_assert_int_eq(dec(64, "44 0f 23 c0", &in), X86_DECODE_UD); /* DR8 */
    ck_assert_int_eq(dec(32, "f0 0f 20 c0", &in), X86_DECODE_UD); /* AMD's CR8 alias */
}
END_TEST

START_TEST(test_undefined_lock_and_modes)
{
    struct x86_insn in;
    /* LOCK only on RMW with a memory destination */
    ck_assert_int_eq(dec(32, "f0 01 00", &in), 3);
    ck_assert(in.prefixes & X86_PFX_LOCK);
    ck_assert_int_eq(dec(32, "f0 01 c0", &in), X86_DECODE_UD);
    ck_assert_int_eq(dec(32, "f0 03 00", &in), X86_DECODE_UD);
    ck_assert_int_eq(dec(32, "f0 39 00", &in), X86_DECODE_UD);    /* CMP */
    ck_assert_int_eq(dec(32, "f0 83 38 01", &in), X86_DECODE_UD); /* CMP */
    ck_assert_int_eq(dec(32, "f0 83 30 01", &in), 4);             /* XOR */
    ck_assert_int_eq(dec(32, "f0 0f a3 00", &in), X86_DECODE_UD); /* BT */
    ck_assert_int_eq(dec(32, "f0 0f ba 20 01", &in), X86_DECODE_UD);
    ck_assert_int_eq(dec(32, "f0 0f ba 28 01", &in), 5);          /* BTS */
    ck_assert_int_eq(dec(32, "f0 87 00", &in), 3);
    ck_assert_int_eq(dec(32, "f0 0f c7 08", &in), 4);
    ck_assert_int_eq(dec(32, "f0 0f c1 00", &in), 4);
    ck_assert_int_eq(dec(32, "f0 fe 00", &in), 3);
    ck_assert_int_eq(dec(32, "f0 f6 18", &in), 3);                /* NEG */
    ck_assert_int_eq(dec(32, "f0 f6 00 01", &in), X86_DECODE_UD); /* TEST */
    ck_assert_int_eq(dec(32, "f0 88 00", &in), X86_DECODE_UD);    /* MOV */
    ck_assert_int_eq(dec(32, "f0 90", &in), X86_DECODE_UD);
    ck_assert_int_eq(dec(32, "f0 d9 00", &in), X86_DECODE_UD);
    ck_assert_int_eq(dec(32, "f0 0f 58 00", &in), X86_DECODE_UD);
    /* invalid in 64-bit mode, valid elsewhere */
    static const char *const i64[] = {
        "06", "07", "0e", "16", "17", "1e", "1f", "27", "2f", "37", "3f", "60", "61",
        "62 00", "82 c0 01", "9a 00 00 00 00 00 00", "c4 00", "c5 00", "ce", "d4 0a",
        "d5 0a", "d6", "ea 00 00 00 00 00 00",
    };
    for (unsigned k = 0; k < sizeof(i64) / sizeof(i64[0]); k++) {
        ck_assert_msg(dec(64, i64[k], &in) == X86_DECODE_UD, "%s in 64-bit", i64[k]);
        ck_assert_msg(dec(32, i64[k], &in) > 0, "%s in 32-bit", i64[k]);
    }
    /* only in 64-bit mode */
    ck_assert_int_eq(dec(32, "0f 01 f8", &in), X86_DECODE_UD);
    ck_assert_int_eq(dec(64, "0f 01 f8", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_SWAPGS);
    /* register where memory is required */
    ck_assert_int_eq(dec(32, "8d c0", &in), X86_DECODE_UD);       /* LEA */
    ck_assert_int_eq(dec(32, "62 c0", &in), X86_DECODE_UD);       /* BOUND */
    ck_assert_int_eq(dec(32, "c4 c0", &in), X86_DECODE_UD);       /* LES (VEX) */
    ck_assert_int_eq(dec(32, "0f b2 c0", &in), X86_DECODE_UD);    /* LSS */
    ck_assert_int_eq(dec(32, "0f 01 d8", &in), X86_DECODE_UD);    /* LIDT reg */
    ck_assert_int_eq(dec(32, "0f c7 c8", &in), X86_DECODE_UD);    /* CMPXCHG8B reg */
    ck_assert_int_eq(dec(32, "0f 01 10", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_LGDT);
    ck_assert_int_eq(in.op[0].size, 6);
    ck_assert_int_eq(dec(64, "0f 01 10", &in), 3);
    ck_assert_int_eq(in.op[0].size, 10);
    ck_assert_int_eq(dec(32, "0f 01 d0", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_XGETBV);
    ck_assert_int_eq(dec(32, "0f 01 e0", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_SMSW);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_REG);
    ck_assert_int_eq(dec(32, "0f 00 d8", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_LTR);
    /* undefined opcodes */
    static const char *const ud[] = {
        "0f 04", "0f 0a", "0f 0c", "0f 0e", "0f 24 c0", "0f 36", "0f 39", "0f a6",
        "0f a7", "0f b8 c0", "fe 10", "ff 38", "8f 08", "c6 08 00", "0f ba 00 00",
        "0f 0d c0", "0f 00 30", "0f 01 28", "0f ae 30", "0f ae c0", "0f 38 ff c0",
        "0f 3a ff c0 00", "0f 0f c0 00",
    };
    for (unsigned k = 0; k < sizeof(ud) / sizeof(ud[0]); k++)
        ck_assert_msg(dec(32, ud[k], &in) == X86_DECODE_UD, "%s", ud[k]);
    /* UD2/UD1/UD0 are instructions that fault: lengths per the SDM */
    ck_assert_int_eq(dec(32, "0f 0b", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_UD2);
    ck_assert_int_eq(dec(32, "0f b9 40 00", &in), 4);
    ck_assert_int_eq(in.mnemonic, X86_UD1);
    ck_assert_int_eq(dec(32, "0f ff c0", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_UD0);
}
END_TEST

START_TEST(test_lengths_limit_and_truncation)
{
    struct x86_insn in;
    uint8_t buf[32];
    /* 14 prefixes + NOP = 15 bytes: fine; one more prefix: #GP */
    memset(buf, 0x66, sizeof(buf));
    buf[14] = 0x90;
    ck_assert_int_eq(x86_decode(buf, 32, 32, 0, &in), 15);
    memset(buf, 0x66, sizeof(buf));
    buf[15] = 0x90;
    ck_assert_int_eq(x86_decode(buf, 32, 32, 0, &in), X86_DECODE_TOOLONG);
    /* TOOLONG wins over TRUNC: the 16th byte is never needed */
    ck_assert_int_eq(x86_decode(buf, 16, 32, 0, &in), X86_DECODE_TOOLONG);
    ck_assert_int_eq(x86_decode(buf, 15, 32, 0, &in), X86_DECODE_TOOLONG);
    ck_assert_int_eq(x86_decode(buf, 14, 32, 0, &in), X86_DECODE_TRUNC);
    /* the longest real encodings: 15 bytes ok, 16 too long */
    size_t n = hex_to_bytes("26 66 67 f0 81 84 88 00 00 00 00 78 56 34 12", buf, sizeof(buf));
    ck_assert_int_eq(n, 15);
    ck_assert_int_eq(x86_decode(buf, n, 16, 0, &in), 15);
    ck_assert_int_eq(in.mnemonic, X86_ADD);
    ck_assert_int_eq(in.mem.index, 1);
    n = hex_to_bytes("3e 26 66 67 f0 81 84 88 00 00 00 00 78 56 34 12", buf, sizeof(buf));
    ck_assert_int_eq(x86_decode(buf, n, 16, 0, &in), X86_DECODE_TOOLONG);
    n = hex_to_bytes("2e 64 66 f2 48 c7 84 88 00 00 00 00 78 56 34 12", buf, sizeof(buf));
    ck_assert_int_eq(x86_decode(buf, n, 64, 0, &in), X86_DECODE_TOOLONG);
    n = hex_to_bytes("64 66 f2 48 c7 84 88 00 00 00 00 78 56 34 12", buf, sizeof(buf));
    ck_assert_int_eq(x86_decode(buf, n, 64, 0, &in), 15);
    /* every proper prefix of an instruction is TRUNC */
    n = hex_to_bytes("66 0f 3a 0f 84 88 00 01 00 00 08", buf, sizeof(buf));
    ck_assert_int_eq(x86_decode(buf, n, 32, 0, &in), (int)n);
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(x86_decode(buf, k, 32, 0, &in) == X86_DECODE_TRUNC, "avail %zu", k);
    n = hex_to_bytes("48 b8 01 02 03 04 05 06 07 08", buf, sizeof(buf));
    for (size_t k = 0; k < n; k++)
        ck_assert_int_eq(x86_decode(buf, k, 64, 0, &in), X86_DECODE_TRUNC);
    /* but an opcode known to be undefined needs no more bytes */
    ck_assert_int_eq(x86_decode((const uint8_t *)"\x0f\x04", 2, 32, 0, &in), X86_DECODE_UD);
}
END_TEST

START_TEST(test_x87_and_sse)
{
    struct x86_insn in;
    ck_assert_int_eq(dec(32, "d9 45 08", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_X87);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_MEM);
    ck_assert_int_eq(in.op[0].size, 4);
    ck_assert_int_eq(in.mem.seg, 2);
    ck_assert_int_eq(dec(32, "dd 38", &in), 2);
    ck_assert_int_eq(in.op[0].size, 2);
    ck_assert_int_eq(dec(32, "db 28", &in), 2);
    ck_assert_int_eq(in.op[0].size, 10);
    ck_assert_int_eq(dec(32, "df 2c 24", &in), 3);
    ck_assert_int_eq(in.op[0].size, 8);
    ck_assert_int_eq(dec(32, "d9 c1", &in), 2);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_ST);
    ck_assert_int_eq(in.op[0].reg, 1);
    ck_assert_int_eq(dec(32, "d9 e8", &in), 2); /* FLD1 */
    ck_assert_int_eq(in.nops, 0);
    ck_assert_int_eq(dec(32, "df e0", &in), 2); /* FNSTSW AX */
    ck_assert_int_eq(dec(32, "de d9", &in), 2); /* FCOMPP */
    ck_assert_int_eq(dec(32, "d9 d1", &in), X86_DECODE_UD);
    ck_assert_int_eq(dec(32, "d9 08", &in), X86_DECODE_UD);
    ck_assert_int_eq(dec(32, "db e5", &in), X86_DECODE_UD);
    ck_assert_int_eq(dec(32, "dd e8", &in), 2); /* FUCOMP ST(0) */

    /* SSE: mandatory prefixes select, 66 is not an operand size */
    ck_assert_int_eq(dec(32, "0f 58 c1", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_SSE);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_XMM);
    ck_assert_int_eq(in.op[1].reg, 1);
    ck_assert_int_eq(dec(16, "66 0f 58 c1", &in), 4);
    ck_assert(in.prefixes & X86_PFX_OPSIZE);
    ck_assert_int_eq(in.opsize, 4);
    ck_assert_int_eq(dec(32, "f3 0f 58 04 24", &in), 5);
    ck_assert(in.prefixes & X86_PFX_REP);
    ck_assert_int_eq(in.op[1].kind, X86_OPK_MEM);
    ck_assert_int_eq(in.op[1].size, 4);
    ck_assert_int_eq(dec(32, "66 f2 0f 58 c1", &in), 5); /* F2 wins: ADDSD */
    ck_assert(in.prefixes & X86_PFX_REPNE);
    /* prefixes the opcode does not define fault, as on hardware */
    ck_assert_int_eq(dec(32, "66 0f 52 c0", &in), X86_DECODE_UD);
    ck_assert_int_eq(dec(32, "f2 0f 52 c0", &in), X86_DECODE_UD);
    ck_assert_int_eq(dec(32, "66 0f 77", &in), X86_DECODE_UD);
    ck_assert_int_eq(dec(32, "0f 77", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_EMMS);
    /* MMX forms */
    ck_assert_int_eq(dec(32, "0f fc 08", &in), 3);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_MMX);
    ck_assert_int_eq(in.op[0].reg, 1);
    ck_assert_int_eq(in.op[1].size, 8);
    ck_assert_int_eq(dec(32, "0f 70 c1 1b", &in), 4);
    ck_assert_int_eq(in.op[2].value, 0x1b);
    /* shift groups: register only; /3 /7 only with 66 */
    ck_assert_int_eq(dec(32, "66 0f 73 f8 04", &in), 5);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_XMM);
    ck_assert_int_eq(dec(32, "0f 73 f8 04", &in), X86_DECODE_UD);
    ck_assert_int_eq(dec(32, "0f 71 10 04", &in), X86_DECODE_UD);
    /* MOVD/MOVQ with general registers */
    ck_assert_int_eq(dec(64, "66 48 0f 6e c0", &in), 5);
    ck_assert_int_eq(in.op[1].kind, X86_OPK_REG);
    ck_assert_int_eq(in.op[1].size, 8);
    ck_assert_int_eq(dec(64, "44 0f 28 c1", &in), 4);
    ck_assert_int_eq(in.op[0].reg, 8);
    /* 0F 38 and 0F 3A maps */
    ck_assert_int_eq(dec(32, "66 0f 38 00 c1", &in), 5);
    ck_assert_int_eq(in.map, 2);
    ck_assert_int_eq(dec(32, "66 0f 3a 0f 44 24 10 08", &in), 8);
    ck_assert_int_eq(in.map, 3);
    ck_assert_int_eq(in.op[2].value, 8);
    ck_assert_int_eq(dec(32, "0f 3a 0f c1 08", &in), 5);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_MMX);
    ck_assert_int_eq(dec(32, "f2 0f 38 f1 c3", &in), 5);
    ck_assert_int_eq(in.mnemonic, X86_CRC32);
    ck_assert_int_eq(in.op[1].size, 4);
    ck_assert_int_eq(dec(32, "66 f2 0f 38 f1 c3", &in), 6);
    ck_assert_int_eq(in.op[1].size, 2);
    ck_assert_int_eq(dec(32, "0f 38 f0 03", &in), 4);
    ck_assert_int_eq(in.mnemonic, X86_MOVBE);
    ck_assert_int_eq(dec(32, "0f 38 f0 c3", &in), X86_DECODE_UD);
    /* Grp15 and integer instructions that share the prefix columns */
    ck_assert_int_eq(dec(32, "0f ae e8", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_LFENCE);
    ck_assert_int_eq(dec(32, "0f ae 00", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_FXSAVE);
    ck_assert_int_eq(dec(32, "66 0f ae 00", &in), X86_DECODE_UD);
    ck_assert_int_eq(dec(32, "f3 0f b8 c1", &in), 4);
    ck_assert_int_eq(in.mnemonic, X86_POPCNT);
    ck_assert_int_eq(dec(32, "66 f3 0f bc c1", &in), 5);
    ck_assert_int_eq(in.mnemonic, X86_TZCNT);
    ck_assert_int_eq(in.opsize, 2);
    ck_assert_int_eq(dec(32, "66 0f bc c1", &in), 4);
    ck_assert_int_eq(in.mnemonic, X86_BSF);
    ck_assert_int_eq(in.opsize, 2);
    ck_assert_int_eq(dec(32, "f2 0f af c1", &in), 4);
    ck_assert_int_eq(in.mnemonic, X86_IMUL);
}
END_TEST

START_TEST(test_more_operand_kinds)
{
    struct x86_insn in;
    /* Ma: BOUND's pair of operand-size bounds */
    ck_assert_int_eq(dec(32, "62 03", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_BOUND);
    ck_assert_int_eq(in.op[1].size, 8);
    ck_assert_int_eq(dec(16, "62 07", &in), 2);
    ck_assert_int_eq(in.op[1].size, 4);
    /* Mp: LES/LSS load a 16:32 or 16:16 pointer */
    ck_assert_int_eq(dec(32, "c4 06", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_LES);
    ck_assert_int_eq(in.op[1].size, 6);
    ck_assert_int_eq(dec(64, "48 0f b2 06", &in), 4);
    ck_assert_int_eq(in.op[1].size, 10);
    /* Ew of LAR/LSL/segment loads stays a word with REX.W */
    ck_assert_int_eq(dec(64, "48 0f 02 c1", &in), 4);
    ck_assert_int_eq(in.op[0].size, 8);
    ck_assert_int_eq(in.op[1].size, 2);
    /* RvMw: SLDT/SMSW/MOV from Sreg: register of the operand size, word in memory */
    ck_assert_int_eq(dec(64, "48 0f 00 c0", &in), 4);
    ck_assert_int_eq(in.mnemonic, X86_SLDT);
    ck_assert_int_eq(in.op[0].size, 8);
    ck_assert_int_eq(dec(64, "48 0f 00 00", &in), 4);
    ck_assert_int_eq(in.op[0].size, 2);
    /* Ed: MOVSXD source; Gw/Ew: ARPL */
    ck_assert_int_eq(dec(64, "48 63 03", &in), 3);
    ck_assert_int_eq(in.op[1].size, 4);
    ck_assert_int_eq(dec(32, "63 03", &in), 2);
    ck_assert_int_eq(in.op[0].size, 2);
    ck_assert_int_eq(in.op[1].size, 2);
    /* MOVZX/MOVSX: Eb and Ew sources */
    ck_assert_int_eq(dec(32, "0f b6 c4", &in), 3);
    ck_assert_int_eq(in.op[1].size, 1);
    ck_assert_int_eq(in.op[1].high8, 1);
    ck_assert_int_eq(dec(64, "48 0f bf 03", &in), 4);
    ck_assert_int_eq(in.op[0].size, 8);
    ck_assert_int_eq(in.op[1].size, 2);
    /* Zv: BSWAP r8-r15 */
    ck_assert_int_eq(dec(64, "49 0f c9", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_BSWAP);
    ck_assert_int_eq(in.op[0].reg, 9);
    ck_assert_int_eq(in.op[0].size, 8);
    /* Iw: RET imm16 and INT imm8 / IN port */
    ck_assert_int_eq(dec(32, "ca 08 00", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_RETF);
    ck_assert_int_eq(in.op[0].size, 2);
    ck_assert_int_eq(dec(32, "cd 80", &in), 2);
    ck_assert_int_eq(in.op[0].value, 0x80);
    ck_assert_int_eq(dec(32, "e4 60", &in), 2);
    ck_assert_int_eq(in.op[1].value, 0x60);
    /* Ibs of PUSH: sign-extended to the operand size */
    ck_assert_int_eq(dec(64, "6a ff", &in), 2);
    ck_assert_int_eq(in.op[0].value, -1);
    ck_assert_int_eq(in.op[0].size, 8);
    /* Ib of byte ops is zero-extended */
    ck_assert_int_eq(dec(32, "80 c1 ff", &in), 3);
    ck_assert_int_eq(in.op[1].value, 0xff);
    /* XLAT: seg:[rBX+AL], the segment overridable */
    ck_assert_int_eq(dec(32, "26 d7", &in), 2);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_MEM);
    ck_assert_int_eq(in.mem.base, 3);
    ck_assert_int_eq(in.mem.seg, 0);
    /* SHLD Ev, Gv, CL */
    ck_assert_int_eq(dec(32, "0f a5 d8", &in), 3);
    ck_assert_int_eq(in.nops, 3);
    ck_assert_int_eq(in.op[2].reg, 1);
    ck_assert_int_eq(in.op[2].size, 1);
    /* register-only and r32-or-byte forms of the SSE maps */
    ck_assert_int_eq(dec(64, "66 0f 3a 14 c0 01", &in), 6); /* pextrb eax, xmm0, 1 */
    ck_assert_int_eq(in.op[0].kind, X86_OPK_REG);
    ck_assert_int_eq(in.op[0].size, 4);
    ck_assert_int_eq(dec(64, "66 0f 3a 14 00 01", &in), 6);
    ck_assert_int_eq(in.op[0].kind, X86_OPK_MEM);
    ck_assert_int_eq(in.op[0].size, 1);
    ck_assert_int_eq(dec(32, "0f 50 c1", &in), 3); /* movmskps eax, xmm1 */
    ck_assert_int_eq(in.op[0].kind, X86_OPK_REG);
    ck_assert_int_eq(in.op[1].kind, X86_OPK_XMM);
    ck_assert_int_eq(dec(32, "0f 50 01", &in), X86_DECODE_UD);
    ck_assert_int_eq(dec(32, "0f c4 00 03", &in), 4); /* pinsrw mm0, [eax], 3 */
    ck_assert_int_eq(in.op[1].size, 2);
    /* prefetch and hint-NOP space */
    ck_assert_int_eq(dec(32, "0f 18 08", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_PREFETCH);
    ck_assert_int_eq(dec(32, "0f 18 c8", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_NOP_HINT);
    ck_assert_int_eq(dec(32, "0f 0d 08", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_PREFETCH);
    ck_assert_int_eq(dec(32, "0f 1f 44 00 00", &in), 5);
    ck_assert_int_eq(in.mnemonic, X86_NOP);
    ck_assert_int_eq(dec(32, "66 0f 1f 84 00 00 00 00 00", &in), 9);
    ck_assert_int_eq(dec(64, "f3 0f 1e fa", &in), 4); /* ENDBR64 */
    ck_assert_int_eq(in.mnemonic, X86_NOP_HINT);
    /* system instructions */
    ck_assert_int_eq(dec(32, "0f 01 38", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_INVLPG);
    ck_assert_int_eq(in.op[0].size, 0);
    ck_assert_int_eq(dec(32, "0f 01 f9", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_RDTSCP);
    ck_assert_int_eq(dec(32, "0f 34", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_SYSENTER);
    ck_assert_int_eq(dec(64, "48 0f 07", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_SYSRET);
    ck_assert_int_eq(in.opsize, 8);
    ck_assert_int_eq(dec(64, "48 cf", &in), 2);
    ck_assert_int_eq(in.mnemonic, X86_IRET);
    ck_assert_int_eq(in.opsize, 8);
    ck_assert_int_eq(dec(64, "cf", &in), 1);
    ck_assert_int_eq(in.opsize, 4);
    ck_assert_int_eq(dec(32, "0f ae 38", &in), 3);
    ck_assert_int_eq(in.mnemonic, X86_CLFLUSH);
    ck_assert_int_eq(dec(32, "f1", &in), 1);
    ck_assert_int_eq(in.mnemonic, X86_INT1);
    ck_assert_int_eq(dec(32, "d6", &in), 1);
    ck_assert_int_eq(in.mnemonic, X86_SALC);
}
END_TEST

START_TEST(test_format)
{
    fmt_expect(32, "03 43 04", "add eax, dword ptr [ebx + 4]");
    fmt_expect(16, "8b 42 08", "mov ax, word ptr [bp + si + 8]");
    fmt_expect(32, "8b 04 8d 00 10 00 00", "mov eax, dword ptr [ecx*4 + 0x1000]");
    fmt_expect(32, "88 e0", "mov al, ah");
    fmt_expect(64, "40 88 e0", "mov al, spl");
    fmt_expect(64, "48 8b 05 10 00 00 00", "mov rax, qword ptr [rip + 0x10]");
    fmt_expect(32, "64 a1 30 00 00 00", "mov eax, dword ptr fs:[0x30]");
    fmt_expect(32, "83 e8 80", "sub eax, 0xffffff80");
    fmt_expect(32, "8b 45 f0", "mov eax, dword ptr [ebp - 0x10]");
    fmt_expect(16, "8b 46 fe", "mov ax, word ptr [bp - 2]");
    fmt_expect(32, "0f 8f 00 00 00 00", "jg 0x1006");
    fmt_expect(32, "f3 a5", "rep movsd dword ptr es:[edi], dword ptr [esi]");
    fmt_expect(32, "f0 0f c7 0f", "lock cmpxchg8b qword ptr [edi]");
    fmt_expect(32, "0f 22 d8", "mov cr3, eax");
    fmt_expect(16, "ea 00 00 ff ff", "jmpf 0xffff:0x0");
    fmt_expect(32, "d9 45 08", "fld dword ptr [ebp + 8]");
    fmt_expect(32, "de c1", "faddp st(1)");
    fmt_expect(32, "66 0f 58 c1", "sse.66.0f58 xmm0, xmm1");
    fmt_expect(32, "98", "cwde");
    fmt_expect(32, "d7", "xlatb byte ptr [ebx]");
    /* a tiny buffer is truncated, never overrun */
    struct x86_insn in;
    char small[6];
    ck_assert_int_gt(dec(32, "03 43 04", &in), 0);
    x86_insn_format(&in, small, sizeof(small));
    ck_assert_str_eq(small, "add e");
}
END_TEST

/* ---- the capstone corpus ---- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

/* Random bytes shaped like an instruction: 0-4 legacy prefixes, a REX in
 * 64-bit mode, an opcode from one of the four maps, then random bytes for
 * ModRM/SIB/displacement/immediates. */
static void corpus_generate(uint8_t *b, unsigned bits)
{
    static const uint8_t pfx[] = {
        0x66, 0x66, 0x66, 0x67, 0x67, 0xf2, 0xf3, 0xf3, 0xf0, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65,
    };
    uint64_t r = rng_next();
    for (int k = 0; k < 16; k += 8) {
        uint64_t v = rng_next();
        memcpy(b + k, &v, 8);
    }
    unsigned p = 0, c = r % 100;
    unsigned np = c < 50 ? 0 : c < 80 ? 1 : c < 95 ? 2 : 3 + (r >> 8) % 2;
    for (unsigned k = 0; k < np; k++)
        b[p++] = pfx[(r >> (12 + 4 * k)) % sizeof(pfx)];
    if (bits == 64 && (r >> 32) % 100 < 40)
        b[p++] = 0x40 | ((r >> 40) & 15);
    c = (r >> 48) % 100;
    if (c < 55) {
        p++; /* one-byte map: the random byte already there */
    } else if (c < 80) {
        b[p++] = 0x0f;
        p++;
    } else {
        b[p++] = 0x0f;
        b[p++] = c < 90 ? 0x38 : 0x3a;
    }
}

static bool is_legacy_prefix(uint8_t v)
{
    return v == 0x66 || v == 0x67 || v == 0xf0 || v == 0xf2 || v == 0xf3 || v == 0x2e ||
           v == 0x36 || v == 0x3e || v == 0x26 || v == 0x64 || v == 0x65;
}

static bool cs_in_group(const cs_insn *ci, unsigned grp)
{
    for (unsigned g = 0; g < ci->detail->groups_count; g++)
        if (ci->detail->groups[g] == grp)
            return true;
    return false;
}

/* Extensions the decoder deliberately leaves #UD (the CPU will not
 * advertise them): VEX/EVEX/XOP encodings (capstone 4.0.2 leaves some of
 * them, e.g. vrcpss and kxnorb, out of its AVX groups), then by capstone
 * group or instruction id. */
static unsigned opcode_offset(const uint8_t *b, unsigned bits);
static bool cs_unsupported_extension(const uint8_t *b, unsigned bits, const cs_insn *ci)
{
    unsigned op = opcode_offset(b, bits);
    if (b[op] == 0xc4 || b[op] == 0xc5 || b[op] == 0x62 ||
        (b[op] == 0x8f && ((b[op + 1] >> 3) & 7) != 0))
        return true;
    static const unsigned groups[] = {
        X86_GRP_VM, X86_GRP_3DNOW, X86_GRP_SSE4A, X86_GRP_ADX, X86_GRP_FSGSBASE,
        X86_GRP_RTM, X86_GRP_SGX, X86_GRP_SMAP, X86_GRP_AVX, X86_GRP_AVX2, X86_GRP_AVX512,
        X86_GRP_FMA, X86_GRP_FMA4, X86_GRP_XOP, X86_GRP_TBM, X86_GRP_F16C, X86_GRP_BMI,
        X86_GRP_BMI2,
    };
    static const unsigned ids[] = {
        X86_INS_GETSEC, X86_INS_RDRAND, X86_INS_RDSEED, X86_INS_INVPCID, X86_INS_INVEPT,
        X86_INS_INVVPID, X86_INS_XSAVEC, X86_INS_XSAVEC64, X86_INS_XSAVES, X86_INS_XSAVES64,
        X86_INS_XSAVEOPT, X86_INS_XSAVEOPT64, X86_INS_XRSTORS, X86_INS_XRSTORS64,
        X86_INS_CLWB, X86_INS_CLFLUSHOPT, X86_INS_XTEST, X86_INS_XEND, X86_INS_XABORT,
        X86_INS_XBEGIN, X86_INS_MONITOR, X86_INS_MWAIT, X86_INS_CLAC, X86_INS_STAC,
        X86_INS_ENCLS, X86_INS_ENCLU, X86_INS_VMFUNC, X86_INS_FEMMS, X86_INS_EXTRQ, X86_INS_INSERTQ, X86_INS_MOVNTSS,
        X86_INS_MOVNTSD,
        /* VIA PadLock */
        X86_INS_XCRYPTCBC, X86_INS_XCRYPTCFB, X86_INS_XCRYPTCTR, X86_INS_XCRYPTECB,
        X86_INS_XCRYPTOFB, X86_INS_XSHA1, X86_INS_XSHA256, X86_INS_XSTORE, X86_INS_MONTMUL,
        /* SVM */
        X86_INS_VMRUN, X86_INS_VMMCALL, X86_INS_VMLOAD, X86_INS_VMSAVE, X86_INS_STGI,
        X86_INS_CLGI, X86_INS_SKINIT, X86_INS_INVLPGA,
    };
    for (unsigned k = 0; k < sizeof(groups) / sizeof(groups[0]); k++)
        if (cs_in_group(ci, groups[k]))
            return true;
    for (unsigned k = 0; k < sizeof(ids) / sizeof(ids[0]); k++)
        if (ci->id == ids[k])
            return true;
    return false;
}

/* Where the opcode starts (after prefixes and REX). */
static unsigned opcode_offset(const uint8_t *b, unsigned bits)
{
    unsigned k = 0;
    while (k < 15 && (is_legacy_prefix(b[k]) || (bits == 64 && (b[k] & 0xf0) == 0x40)))
        k++;
    return k;
}

enum corpus_outcome {
    OUT_MATCH,            /* both valid, same length (and memory operand) */
    OUT_BOTH_INVALID,
    OUT_OURS_ONLY,        /* capstone rejects what we decode: not compared */
    OUT_UNSUPPORTED,      /* an extension we leave #UD */
    OUT_EXCLUDED,         /* a capstone error, see the reasons below */
    OUT_MISMATCH,
    OUT_COUNT
};

/* Instructions whose 66/F2/F3 columns are distinct opcodes: MMX/SSE, the
 * Grp15 state instructions and everything in the 0F 38 / 0F 3A maps. */
static bool is_sse_class(const struct x86_insn *in)
{
    if (in->map >= 2)
        return true;
    switch (in->mnemonic) {
    case X86_SSE: case X86_EMMS: case X86_FXSAVE: case X86_FXRSTOR: case X86_LDMXCSR:
    case X86_STMXCSR: case X86_XSAVE: case X86_XRSTOR: case X86_CLFLUSH: case X86_LFENCE:
    case X86_MFENCE: case X86_SFENCE:
        return true;
    default:
        return false;
    }
}

static bool is_near_branch_rel32(const struct x86_insn *in)
{
    return (in->map == 0 && (in->opcode == 0xe8 || in->opcode == 0xe9)) ||
           (in->map == 1 && (in->opcode & 0xf0) == 0x80);
}

/* Capstone 4.0.2 errors where both decode, each checked against the SDM
 * and where possible objdump (binutils 2.40) and this host's CPU. */
static const char *exclusion_both_valid(const uint8_t *b, unsigned bits, int ours,
                                        const struct x86_insn *in, const cs_insn *ci,
                                        bool cs_mem, bool our_mem)
{
    unsigned op = opcode_offset(b, bits);
    /* 64-bit mode, 66 on a near CALL/JMP/Jcc rel32: capstone follows
     * AMD64 (rel16, IP truncated); Intel 64 ignores 66 there (SDM opcode
     * maps: f64), as we do. objdump -M intel64 agrees with us, its
     * default (amd64) with capstone. */
    if (bits == 64 && (in->prefixes & X86_PFX_OPSIZE) && is_near_branch_rel32(in) &&
        (int)ci->size == ours - 2)
        return "66 near branch in 64-bit mode (AMD64 vs Intel 64)";
    /* 64-bit mode with REX.W: capstone takes 67 for 66 (also seen on SSE
     * mandatory prefixes below), so 67 48 e8 gets a rel16. */
    if (bits == 64 && (in->prefixes & X86_PFX_ADSIZE) && (in->rex & 8) &&
        is_near_branch_rel32(in) && (int)ci->size == ours - 2)
        return "67 taken as 66 with REX.W";
    /* 64-bit RET Iw with REX.W and 66 or 67: capstone reads a 4-byte
     * immediate; it is always imm16 (objdump: "addr32 rex.W ret 0x7313",
     * 5 bytes for 67 48 c2 13 73). */
    if (bits == 64 && in->mnemonic == X86_RET && (in->rex & 8) && (int)ci->size == ours + 2)
        return "RET Iw with REX.W read with imm32";
    /* 66 then F2/F3 on CALL rel (16/32-bit) and PUSH Iz (64-bit): capstone
     * drops the 66. objdump: 66 f3 e8 1b 81 is "repz callw", 5 bytes; run
     * natively, 66 f3 68 2b d7 66 58 pushes and pops a word. */
    if ((b[op] == 0xe8 || b[op] == 0x68) && (in->prefixes & X86_PFX_OPSIZE) &&
        (in->prefixes & (X86_PFX_REP | X86_PFX_REPNE)) && (int)ci->size == ours + 2)
        return "66 F2/F3 dropped on CALL rel / PUSH Iz";
    /* XLAT reads [rBX+AL]; capstone lists no operand. */
    if (in->mnemonic == X86_XLAT && our_mem && !cs_mem && ours == (int)ci->size)
        return "XLAT without a memory operand";
    return NULL;
}

/* Prefix rewrites that turn a sequence capstone accepts and we reject into
 * the instruction capstone saw; each is a capstone error. */
static const struct {
    const char *from;
    uint8_t to;
    bool sse_only;
    const char *why;
} rewrites[] = {
    /* capstone decodes any instruction with F0; the SDM makes LOCK #UD
     * outside the RMW forms with a memory destination */
    { "\xf0", 0x3e, false, "LOCK where it is #UD" },
    /* MMX/SSE with a 66/F2/F3 the opcode does not define: capstone ignores
     * the prefix, the hardware raises #UD (run natively here: 66 0f 52 c0,
     * f2 0f 52 c0, f3 0f 54 c0, 66 0f 77, 66 0f c3 03, 66 0f 38 c9 c0,
     * f2 0f 60 c0, 66 0f ae 03, f3 0f 38 f0 03 all SIGILL) */
    { "\xf2\xf3", 0x3e, true, "undefined F2/F3 on MMX/SSE/0F38" },
    { "\x66", 0x3e, true, "undefined 66 on MMX/SSE/0F38" },
    /* 64-bit mode with REX.W: capstone takes 67 as the 66 mandatory prefix
     * (67 48 0f d0 c0 "addsubpd") */
    { "\x67", 0x66, true, "67 taken as 66 with REX.W" },
};
#define NREWRITES (sizeof(rewrites) / sizeof(rewrites[0]))

static void apply_rewrite(uint8_t *b, unsigned bits, const char *from, uint8_t to)
{
    unsigned op = opcode_offset(b, bits);
    for (unsigned k = 0; k < op; k++)
        if (b[k] && strchr(from, b[k]))
            b[k] = to;
}

/* Why capstone and we differ on these bytes, if it is a known capstone
 * error; NULL for a real mismatch. */
static const char *corpus_exclusion(const uint8_t *b, unsigned bits, int ours,
                                    const struct x86_insn *in, const cs_insn *ci, bool cs_mem,
                                    bool our_mem)
{
    /* UD1 (0F B9 /r) and UD0 (0F FF /r) take a ModRM byte (SDM Vol. 2B
     * UD); capstone reads "ud2b"/"ud0" as two bytes. objdump decodes
     * 0f b9 c0 / 0f ff c0 as 3-byte ud1/ud0. */
    if (ci->id == X86_INS_UD2B || ci->id == X86_INS_UD0)
        return "UD1/UD0 without ModRM";
    if (ours > 0)
        return exclusion_both_valid(b, bits, ours, in, ci, cs_mem, our_mem);

    unsigned op = opcode_offset(b, bits);
    /* MOV CS,Ew and MOV with CR1/CR5-7/CR9+ or DR8+: #UD per the SDM
     * (natively: 8e c8 and 0f 20 c8 SIGILL); capstone decodes them. */
    if (b[op] == 0x8e && ((b[op + 1] >> 3) & 7) == 1)
        return "MOV CS";
    if (b[op] == 0x0f && b[op + 1] >= 0x20 && b[op + 1] <= 0x23)
        return "reserved control/debug register";
    /* SWAPGS is #UD outside 64-bit mode (SDM SWAPGS). */
    if (bits != 64 && ci->id == X86_INS_SWAPGS)
        return "SWAPGS outside 64-bit mode";
    for (unsigned mask = 1; mask < (1u << NREWRITES); mask++) {
        if ((mask & 8) && bits != 64)
            continue;
        uint8_t b2[16];
        bool sse_only = false;
        unsigned first = NREWRITES;
        memcpy(b2, b, sizeof(b2));
        for (unsigned k = 0; k < NREWRITES; k++) {
            if (!(mask & (1u << k)))
                continue;
            apply_rewrite(b2, bits, rewrites[k].from, rewrites[k].to);
            sse_only |= rewrites[k].sse_only;
            if (first == NREWRITES)
                first = k;
        }
        if (memcmp(b2, b, sizeof(b2)) == 0)
            continue;
        struct x86_insn in2;
        int r = x86_decode(b2, sizeof(b2), bits, 0x1000, &in2);
        if (r <= 0 || (sse_only && !is_sse_class(&in2)))
            continue;
        bool mem2 = false;
        for (unsigned k = 0; k < in2.nops; k++)
            mem2 |= in2.op[k].kind == X86_OPK_MEM;
        if (r == (int)ci->size || exclusion_both_valid(b2, bits, r, &in2, ci, cs_mem, mem2))
            return rewrites[first].why;
    }
    return NULL;
}

/* capstone register name -> our GPR number; -1 none, -2 rip/eip, -3 other */
static int cs_gpr_number(csh h, unsigned reg)
{
    static const char *const names[3][16] = {
        { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
          "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" },
        { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
          "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" },
        { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
          "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" },
    };
    if (reg == X86_REG_INVALID)
        return -1;
    const char *n = cs_reg_name(h, reg);
    if (!n)
        return -3;
    if (!strcmp(n, "rip") || !strcmp(n, "eip"))
        return -2;
    for (unsigned w = 0; w < 3; w++)
        for (unsigned k = 0; k < 16; k++)
            if (!strcmp(n, names[w][k]))
                return (int)k;
    return -3;
}

/* The ModRM/moffs memory operand against capstone's first memory operand:
 * base, index, scale and displacement (modulo the address size). NULL when
 * they agree or there is nothing to compare, else what differs. */
static unsigned mem_compared;

static const char *compare_mem(csh h, const struct x86_insn *in, const cs_insn *ci)
{
    bool modrm_mem = in->has_modrm && (in->modrm >> 6) != 3 && in->mnemonic != X86_MOV_CR &&
                     in->mnemonic != X86_MOV_DR;
    bool moffs = in->map == 0 && in->opcode >= 0xa0 && in->opcode <= 0xa3;
    if (!modrm_mem && !moffs)
        return NULL;
    const cs_x86_op *m = NULL;
    for (unsigned k = 0; k < ci->detail->x86.op_count && !m; k++)
        if (ci->detail->x86.operands[k].type == X86_OP_MEM)
            m = &ci->detail->x86.operands[k];
    if (!m)
        return NULL; /* presence is compared by the caller */
    mem_compared++;
    int base = cs_gpr_number(h, m->mem.base), index = cs_gpr_number(h, m->mem.index);
    uint64_t mask = in->mem.addr_size == 8 ? ~0ull : (1ull << (8 * in->mem.addr_size)) - 1;
    uint64_t disp = (uint64_t)in->mem.disp;
    if (in->mem.rip_relative) {
        if (base != -2)
            return "rip-relative";
        disp -= in->pc + in->len;
    } else if (base != in->mem.base) {
        return "base";
    }
    if (index != in->mem.index)
        return "index";
    if (in->mem.index >= 0 && (unsigned)m->mem.scale != in->mem.scale)
        return "scale";
    if (((uint64_t)m->mem.disp & mask) != (disp & mask))
        return "displacement";
    return NULL;
}

struct corpus_stats {
    unsigned n[OUT_COUNT];
    unsigned reasons[16];
    const char *reason_names[16];
};

static void count_reason(struct corpus_stats *st, const char *why)
{
    for (unsigned k = 0; k < 16; k++) {
        if (st->reason_names[k] == why || !st->reason_names[k]) {
            st->reason_names[k] = why;
            st->reasons[k]++;
            return;
        }
    }
}

static void run_corpus(unsigned bits, unsigned count)
{
    uint64_t seed = 0x5eed0000decaf000ull + bits;
    const char *env = getenv("VX86_DECODE_SEED");
    if (env)
        seed = strtoull(env, NULL, 0);
    rng_state = seed ? seed : 1;

    csh h;
    ck_assert_int_eq(cs_open(CS_ARCH_X86, bits == 16 ? CS_MODE_16 : bits == 32 ? CS_MODE_32
                                          : CS_MODE_64, &h), CS_ERR_OK);
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    cs_insn *ci = cs_malloc(h);
    struct corpus_stats st;
    memset(&st, 0, sizeof(st));
    unsigned printed = 0;
    mem_compared = 0;
    const bool verbose = getenv("VX86_DECODE_VERBOSE") != NULL;

    for (unsigned t = 0; t < count; t++) {
        uint8_t b[16];
        corpus_generate(b, bits);
        struct x86_insn in;
        int ours = x86_decode(b, sizeof(b), bits, 0x1000, &in);
        const uint8_t *code = b;
        size_t size = sizeof(b);
        uint64_t addr = 0x1000;
        bool cs_ok = cs_disasm_iter(h, &code, &size, &addr, ci);

        enum corpus_outcome out;
        const char *why = NULL, *memdiff = NULL;
        bool cs_mem = false, our_mem = false;
        if (cs_ok)
            for (unsigned k = 0; k < ci->detail->x86.op_count; k++)
                cs_mem |= ci->detail->x86.operands[k].type == X86_OP_MEM;
        if (ours > 0)
            for (unsigned k = 0; k < in.nops; k++)
                our_mem |= in.op[k].kind == X86_OPK_MEM;
        if (ours > 0 && (t & 7) == 0) {
            /* the formatter on everything we decode, full and cut short */
            char text[128], small[13];
            x86_insn_format(&in, text, sizeof(text));
            x86_insn_format(&in, small, sizeof(small));
            ck_assert(text[0] != 0 && strlen(text) < sizeof(text));
            ck_assert(strlen(small) < sizeof(small) && strncmp(small, text, strlen(small)) == 0);
        }

        if (!cs_ok) {
            out = ours > 0 ? OUT_OURS_ONLY : OUT_BOTH_INVALID;
        } else if (ours > 0) {
            /* x87 register/memory presence is not compared: capstone lists
             * implicit ST(0) forms unevenly; the length is. */
            bool same = ours == (int)ci->size && (in.mnemonic == X86_X87 || cs_mem == our_mem);
            memdiff = same ? compare_mem(h, &in, ci) : NULL;
            if (memdiff)
                same = false;
            if (same) {
                out = OUT_MATCH;
            } else {
                why = corpus_exclusion(b, bits, ours, &in, ci, cs_mem, our_mem);
                out = why ? OUT_EXCLUDED : OUT_MISMATCH;
            }
        } else if (cs_unsupported_extension(b, bits, ci)) {
            out = OUT_UNSUPPORTED;
        } else {
            why = corpus_exclusion(b, bits, ours, &in, ci, cs_mem, our_mem);
            out = why ? OUT_EXCLUDED : OUT_MISMATCH;
        }
        st.n[out]++;
        if (why)
            count_reason(&st, why);
        if (out == OUT_MISMATCH && (printed < 25 || verbose)) {
            char text[128] = "";
            char hex[64];
            for (unsigned k = 0; k < 16; k++)
                snprintf(hex + 2 * k, 3, "%02x", b[k]);
            if (ours > 0)
                x86_insn_format(&in, text, sizeof(text));
            printf("decode mismatch (%u-bit, seed 0x%llx, #%u): %s: ours %d \"%s\" mem %d, "
                   "capstone %u \"%s %s\" mem %d%s%s\n",
                   bits, (unsigned long long)seed, t, hex, ours, text, our_mem,
                   (unsigned)ci->size, ci->mnemonic, ci->op_str, cs_mem,
                   memdiff ? ", memory operand differs: " : "", memdiff ? memdiff : "");
            printed++;
        }
    }
    printf("decode corpus %u-bit, seed 0x%llx, %u sequences: %u match, %u both invalid, "
           "%u only ours, %u unsupported extensions, %u excluded, %u mismatches; "
           "%u memory operands compared field by field\n",
           bits, (unsigned long long)seed, count, st.n[OUT_MATCH], st.n[OUT_BOTH_INVALID],
           st.n[OUT_OURS_ONLY], st.n[OUT_UNSUPPORTED], st.n[OUT_EXCLUDED], st.n[OUT_MISMATCH],
           mem_compared);
    for (unsigned k = 0; k < 16 && st.reason_names[k]; k++)
        printf("    excluded %6u: %s\n", st.reasons[k], st.reason_names[k]);
    cs_free(ci, 1);
    cs_close(&h);
    ck_assert_msg(st.n[OUT_MISMATCH] == 0, "%u-bit: %u mismatches against capstone (seed 0x%llx)",
                  bits, st.n[OUT_MISMATCH], (unsigned long long)seed);
    /* the corpus must really exercise the decoder */
    ck_assert_uint_gt(st.n[OUT_MATCH], count / 2);
    ck_assert_uint_gt(mem_compared, count / 5);
}

#define CORPUS_SIZE 200000

START_TEST(test_corpus_16) { run_corpus(16, CORPUS_SIZE); }
END_TEST
START_TEST(test_corpus_32) { run_corpus(32, CORPUS_SIZE); }
END_TEST
START_TEST(test_corpus_64) { run_corpus(64, CORPUS_SIZE); }
END_TEST

int main(void)
{
    Suite *s = suite_create("decode");
    TCase *tc = tcase_create("directed");
    tcase_add_test(tc, test_modrm_register_and_immediates);
    tcase_add_test(tc, test_byte_registers_and_rex);
    tcase_add_test(tc, test_addressing_16);
    tcase_add_test(tc, test_addressing_32_64);
    tcase_add_test(tc, test_moffs_far_and_branches);
    tcase_add_test(tc, test_prefixes_strings_segments);
    tcase_add_test(tc, test_undefined_lock_and_modes);
    tcase_add_test(tc, test_lengths_limit_and_truncation);
    tcase_add_test(tc, test_x87_and_sse);
    tcase_add_test(tc, test_more_operand_kinds);
    tcase_add_test(tc, test_format);
    suite_add_tcase(s, tc);
    TCase *tcc = tcase_create("capstone");
    tcase_set_timeout(tcc, 60);
    tcase_add_test(tcc, test_corpus_16);
    tcase_add_test(tcc, test_corpus_32);
    tcase_add_test(tcc, test_corpus_64);
    suite_add_tcase(s, tcc);
    return test_run_suite(s);
}
