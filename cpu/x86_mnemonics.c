/* Names of the decoder's mnemonics (cpu/x86_mnemonics.h), for logs and
 * test messages. */
#include "cpu/x86_mnemonics.h"

static const char *const mnemonic_names[X86_MNEMONIC_COUNT] = {
#define X86_MNEMONIC_NAME(name) [X86_##name] = #name,
    X86_MNEMONICS(X86_MNEMONIC_NAME)
#undef X86_MNEMONIC_NAME
};

/* The enum's spelling without the X86_ prefix ("ADD", "MOV_CR"); "?" for
 * values out of range. */
const char *x86_mnemonic_name(enum x86_mnemonic m)
{
    if ((unsigned)m >= X86_MNEMONIC_COUNT)
        return "?";
    return mnemonic_names[m];
}
