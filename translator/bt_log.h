/* -d in_asm / out_asm for the bt engine: guest code of each translated
 * block and the host code generated for it, disassembled with capstone. */
#ifndef VX86_TRANSLATOR_BT_LOG_H
#define VX86_TRANSLATOR_BT_LOG_H

#include <stddef.h>
#include <stdint.h>

/* Guest instructions of a block: code_bits 16, 32 or 64, pc its address. */
void bt_log_in_asm(const uint8_t *code, size_t len, unsigned code_bits, uint64_t pc);
/* Host x86-64 code of a block at its run address. */
void bt_log_out_asm(const void *host, size_t len);

#endif
