/* nativecmp: a small x86 instruction encoder (prefixes, REX, opcode,
 * ModRM/SIB/displacement in 16-, 32- and 64-bit addressing, immediates),
 * enough for the generator to emit every form it produces as raw bytes. */
#ifndef VX86_NATIVECMP_NC_ENCODE_H
#define VX86_NATIVECMP_NC_ENCODE_H

#include <stdbool.h>
#include <stdint.h>

#define NC_INSN_MAX 15

enum nc_rm_kind { NC_RM_NONE, NC_RM_REG, NC_RM_MEM };

/* The ModRM r/m operand. For memory, asize is the address size in effect
 * (the caller adds the 0x67 prefix that selects it). */
struct nc_rm {
    uint8_t kind;        /* enum nc_rm_kind */
    uint8_t reg;         /* NC_RM_REG: register number 0-15 */
    int8_t base, index;  /* register numbers, -1 for none */
    uint8_t scale;       /* log2: 0-3 */
    uint8_t asize;       /* 16, 32, 64 */
    uint8_t disp_bytes;  /* 0: shortest; 1, 2 or 4 to force a width */
    bool rip;            /* RIP-relative (64-bit mode): disp computed */
    bool force_sib;      /* SIB even where ModRM alone would do */
    uint8_t junk_scale;  /* scale bits of a SIB without an index */
    uint8_t rm16;        /* asize 16: the ModRM r/m combination 0-7 */
    bool abs16;          /* asize 16: [disp16] alone */
    int32_t disp;
    uint64_t rip_target; /* rip: the absolute address meant */
};

struct nc_insn {
    uint8_t prefix[6];   /* legacy prefixes in emission order */
    uint8_t nprefix;
    bool rex_w;
    bool rex_force;      /* emit a REX byte even without W/R/X/B */
    uint8_t opcode[3];
    uint8_t nopcode;
    int8_t opreg;        /* register in the opcode's low 3 bits (+REX.B), or -1 */
    bool has_modrm;
    uint8_t reg;         /* ModRM.reg: register 0-15 or an opcode extension */
    struct nc_rm rm;
    uint8_t imm_bytes;   /* 0, 1, 2, 4, 8 */
    uint64_t imm;
    uint8_t imm2_bytes;  /* a second immediate (ENTER) */
    uint64_t imm2;
};

void nc_insn_init(struct nc_insn *in);
void nc_insn_prefix(struct nc_insn *in, uint8_t p);
void nc_insn_op(struct nc_insn *in, int n, uint8_t b0, uint8_t b1, uint8_t b2);

/* Encodes at guest address addr (for RIP-relative displacements) into
 * out[NC_INSN_MAX]. Returns the length, or 0 when the operands cannot be
 * encoded in this mode (a register above 7 outside 64-bit mode, a
 * displacement that does not fit, more than 15 bytes). *imm_off gets the
 * offset of the first immediate (for the generator's branch fix-ups). */
int nc_encode(const struct nc_insn *in, bool mode64, uint64_t addr, uint8_t *out, int *imm_off);

#endif
