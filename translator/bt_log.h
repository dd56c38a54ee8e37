/* -d in_asm for the bt engine: the guest code of each translated block,
 * disassembled with capstone (-d out_asm is x64_log_code in the backend). */
#ifndef VX86_TRANSLATOR_BT_LOG_H
#define VX86_TRANSLATOR_BT_LOG_H

#include <stddef.h>
#include <stdint.h>

/* Guest instructions of a block: code_bits 16, 32 or 64, pc its address. */
void bt_log_in_asm(const uint8_t *code, size_t len, unsigned code_bits, uint64_t pc);

#endif
