/* The host terminal when the serial console is on stdio: raw mode while the
 * guest runs, restored on every way out, and the Ctrl-A escape keys. */
#ifndef VX86_TOOLS_TERMINAL_H
#define VX86_TOOLS_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct terminal_escape {
    bool after_ctrl_a;
};

/* Puts stdin in raw mode if it is a terminal; restored at exit. */
void terminal_enter_raw(void);
void terminal_restore(void);
/* Filters typed bytes for the guest: Ctrl-A x sets *quit, Ctrl-A Ctrl-A
 * passes one Ctrl-A. Returns how many bytes remain in buf. */
size_t terminal_filter_input(struct terminal_escape *st, uint8_t *buf, size_t len, bool *quit);

#endif
