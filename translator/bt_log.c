/* Capstone disassembly for -d in_asm. Capstone's x86.h has its own
 * enum x86_insn and enum x86_reg, so this file includes no vx86 CPU header. */
#include <capstone/capstone.h>
#include <inttypes.h>

#include "hw/log.h"
#include "translator/bt_log.h"

static void bt_log_disasm(cs_mode mode, const uint8_t *code, size_t len, uint64_t addr,
                          const char *tag)
{
    csh h;
    if (cs_open(CS_ARCH_X86, mode, &h) != CS_ERR_OK) {
        log_printf("%s: capstone unavailable\n", tag);
        return;
    }
    cs_insn *insn;
    size_t n = cs_disasm(h, code, len, addr, 0, &insn);
    log_printf("%s: %#" PRIx64 " (%zu bytes)\n", tag, addr, len);
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        log_printf("  %#010" PRIx64 ":  %-8s %s\n", insn[i].address, insn[i].mnemonic, insn[i].op_str);
        done += insn[i].size;
    }
    if (done < len)
        log_printf("  %#010" PRIx64 ":  (%zu bytes capstone cannot decode)\n", addr + done, len - done);
    if (n)
        cs_free(insn, n);
    cs_close(&h);
}

void bt_log_in_asm(const uint8_t *code, size_t len, unsigned code_bits, uint64_t pc)
{
    cs_mode mode = code_bits == 64 ? CS_MODE_64 : code_bits == 32 ? CS_MODE_32 : CS_MODE_16;
    bt_log_disasm(mode, code, len, pc, "IN");
}
