/* Raw-mode handling and escape keys for the stdio serial console. */
#include "tools/vx86/terminal.h"

#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved_termios;
static bool termios_saved;

void terminal_restore(void)
{
    if (termios_saved) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
        termios_saved = false;
    }
}

void terminal_enter_raw(void)
{
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) < 0)
        return;
    struct termios raw = saved_termios;
    /* Everything, Ctrl-C included, goes to the guest; output processing
     * stays on so the guest's \r\n come out as sent. */
    raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    termios_saved = true;
    atexit(terminal_restore);
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
}

size_t terminal_filter_input(struct terminal_escape *st, uint8_t *buf, size_t len, bool *quit)
{
    size_t out = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (st->after_ctrl_a) {
            st->after_ctrl_a = false;
            if (c == 'x' || c == 'X') {
                *quit = true;
                return out;
            }
            if (c == 0x01)
                buf[out++] = c;
            continue; /* unknown escapes are swallowed */
        }
        if (c == 0x01) {
            st->after_ctrl_a = true;
            continue;
        }
        buf[out++] = c;
    }
    return out;
}
