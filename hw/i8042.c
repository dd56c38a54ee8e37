/* 8042 keyboard controller with its PS/2 keyboard and mouse, modelled from
 * the IBM PC AT / PS/2 technical references: the controller's status and
 * command byte, its commands, the set 2 -> set 1 translation it applies to
 * keyboard data, and the two devices' command sets and output queues. */
#include "hw/i8042.h"

#include <stdlib.h>
#include <string.h>

#include "hw/machine.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT  0x64

/* Status register (read from 0x64). */
#define STAT_OBF      0x01 /* output buffer full */
#define STAT_IBF      0x02 /* input buffer full: never, writes are taken at once */
#define STAT_SYS      0x04 /* system flag: 0 at power-on, 1 after self-test */
#define STAT_CMD      0x08 /* last write went to 0x64 rather than 0x60 */
#define STAT_UNLOCKED 0x10 /* keylock switch not engaged */
#define STAT_AUXOBF   0x20 /* the output buffer byte came from the mouse */
#define STAT_TIMEOUT  0x40 /* never: both devices are always attached */
#define STAT_PARITY   0x80

/* Command byte (controller RAM byte 0). */
#define CTR_KBDINT  0x01
#define CTR_AUXINT  0x02
#define CTR_SYS     0x04
#define CTR_KBDDIS  0x10
#define CTR_AUXDIS  0x20
#define CTR_XLATE   0x40

/* Power-on command byte: both interrupts and translation on, the system
 * flag clear (cold boot). Firmware rewrites it during POST in any case. */
#define CTR_POWER_ON (CTR_KBDINT | CTR_AUXINT | CTR_XLATE)

/* Output port (0xD0/0xD1). */
#define OUT_RESET_N   0x01 /* CPU reset line, active low */
#define OUT_A20       0x02
#define OUT_AUX_LINES 0x0c /* mouse data and clock, idle high */
#define OUT_KBD_IRQ   0x10
#define OUT_AUX_IRQ   0x20
#define OUT_KBD_LINES 0xc0 /* keyboard clock and data, idle high */

/* Input port (0xC0): keyboard not inhibited, manufacturing jumper absent. */
#define INPUT_PORT 0xa0

/* Device replies. */
#define PS2_ACK       0xfa
#define PS2_RESEND    0xfe
#define PS2_BAT_OK    0xaa
#define PS2_ECHO      0xee

/* Queue entries carry flags above the data byte. Replies to commands are
 * raw, never translated, so the guest sees FA AB 83 for an identify. */
#define Q_RAW 0x100
#define Q_AUX 0x200 /* controller queue: deliver as mouse data */

#define QUEUE_SLOTS 32
/* Scan codes and motion packets may only fill this much of a device queue,
 * so a reply always finds room; the keyboard limit also keeps its backlog
 * plus the output buffer within the 16 bytes OS drivers flush at init. */
#define KBD_EVENT_LIMIT 15
#define AUX_EVENT_LIMIT 16

struct ps2_queue {
    uint16_t slot[QUEUE_SLOTS];
    unsigned head, len;
};

struct ps2_kbd {
    struct ps2_queue q;
    bool scanning;
    uint8_t set;       /* 1 or 2: the set it sends to the controller */
    uint8_t leds;
    uint8_t typematic;
    uint8_t await_arg; /* command whose argument byte comes next, or 0 */
    uint8_t last_sent;
    bool set1_break;   /* own set 2 -> 1 conversion saw an F0 prefix */
};

struct ps2_mouse {
    struct ps2_queue q;
    bool reporting, remote, wrap, scale21;
    uint8_t rate, resolution, id;
    uint8_t await_arg;
    uint8_t last_sent;
    uint8_t rates[3];  /* last sample rates set: the protocol-unlock knock */
    int dx, dy, dz;    /* pending motion, PS/2 convention (dy > 0 is up) */
    unsigned buttons, sent_buttons;
};

struct i8042 {
    struct machine *m;
    struct irq_line irq1, irq12;
    int irq1_level, irq12_level;

    uint8_t ram[32];   /* ram[0] is the command byte */
    bool sys_flag;
    bool last_write_cmd;
    uint8_t await_data; /* controller command waiting for a 0x60 byte, or 0 */

    bool obf, ob_aux;
    uint8_t ob;
    bool xlat_break;   /* translation saw an F0 prefix */
    bool last_from_aux;

    struct ps2_queue ctrl; /* controller replies and 0xD2/0xD3 bytes */
    struct ps2_kbd kbd;
    struct ps2_mouse mouse;
};

/* ---- Byte queues ---- */

static unsigned queue_space(const struct ps2_queue *q, unsigned limit)
{
    return q->len < limit ? limit - q->len : 0;
}

static void queue_push(struct ps2_queue *q, uint16_t v)
{
    if (q->len < QUEUE_SLOTS)
        q->slot[(q->head + q->len++) % QUEUE_SLOTS] = v;
}

static uint16_t queue_pop(struct ps2_queue *q)
{
    uint16_t v = q->slot[q->head];
    q->head = (q->head + 1) % QUEUE_SLOTS;
    q->len--;
    return v;
}

static void queue_clear(struct ps2_queue *q)
{
    q->head = q->len = 0;
}

/* ---- Scan code translation ---- */

/* Set 2 code -> set 1 code for 0x00..0x7f, the table the 8042 applies;
 * each entry is the same physical key in both sets. */
static const uint8_t set2_to_set1_table[128] = {
    /* 0x00: -, F9, -, F5, F3, F1, F2, F12, -, F10, F8, F6, F4, Tab, `, - */
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58,
    0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    /* 0x10: -, LAlt, LShift, -, LCtrl, Q, 1, -, -, -, Z, S, A, W, 2, - */
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a,
    0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    /* 0x20: -, C, X, D, E, 4, 3, -, -, Space, V, F, T, R, 5, - */
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c,
    0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    /* 0x30: -, N, B, H, G, Y, 6, -, -, -, M, J, U, 7, 8, - */
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e,
    0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    /* 0x40: -, ",", K, I, O, 0, 9, -, -, ".", /, L, ;, P, -, - */
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60,
    0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    /* 0x50: -, -, ', -, [, =, -, -, Caps, RShift, Enter, ], -, \, -, - */
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e,
    0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    /* 0x60: -, 102nd, -, -, -, -, Bksp, -, -, KP1, -, KP4, KP7, -, -, - */
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b,
    0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    /* 0x70: KP0, KP., KP2, KP5, KP6, KP8, Esc, Num, F11, KP+, KP3, KP-,
     *       KP*, KP9, Scroll, - */
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45,
    0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

/* One byte through the translator: returns false when the byte was an F0
 * break prefix, which only marks the next code as a release. */
static bool translate_set2(uint8_t in, bool *break_pending, uint8_t *out)
{
    if (in == 0xf0) {
        *break_pending = true;
        return false;
    }
    uint8_t code;
    if (in < 0x80)
        code = set2_to_set1_table[in];
    else if (in == 0x83)      /* F7, the one key coded above 0x7f */
        code = 0x41;
    else if (in == 0x84)      /* Alt+SysRq */
        code = 0x54;
    else
        code = in;            /* prefixes and replies pass unchanged */
    if (*break_pending)
        code |= 0x80;
    *break_pending = false;
    *out = code;
    return true;
}

/* ---- Output buffer and interrupts ---- */

static uint8_t ctr(const struct i8042 *k)
{
    return k->ram[0];
}

static void i8042_update_irqs(struct i8042 *k)
{
    int l1 = k->obf && !k->ob_aux && (ctr(k) & CTR_KBDINT);
    int l12 = k->obf && k->ob_aux && (ctr(k) & CTR_AUXINT);
    if (l1 != k->irq1_level) {
        k->irq1_level = l1;
        irq_set(&k->irq1, l1);
    }
    if (l12 != k->irq12_level) {
        k->irq12_level = l12;
        irq_set(&k->irq12, l12);
    }
}

static void mouse_stream(struct i8042 *k);

/* Moves the next byte, if any, into the empty output buffer. Controller
 * output comes first; the two ports alternate so a streaming mouse cannot
 * starve the keyboard; a port whose clock is disabled keeps its data. */
static void i8042_fill_output(struct i8042 *k)
{
    while (!k->obf) {
        if (k->ctrl.len) {
            uint16_t e = queue_pop(&k->ctrl);
            k->ob = (uint8_t)e;
            k->ob_aux = e & Q_AUX;
            k->obf = true;
            break;
        }
        bool kbd_ready = k->kbd.q.len && !(ctr(k) & CTR_KBDDIS);
        bool aux_ready = k->mouse.q.len && !(ctr(k) & CTR_AUXDIS);
        if (!kbd_ready && !aux_ready)
            break;
        if (aux_ready && (!kbd_ready || !k->last_from_aux)) {
            k->ob = (uint8_t)queue_pop(&k->mouse.q);
            k->ob_aux = true;
            k->obf = true;
            k->last_from_aux = true;
            mouse_stream(k);
            break;
        }
        uint16_t e = queue_pop(&k->kbd.q);
        k->last_from_aux = false;
        uint8_t b = (uint8_t)e;
        if (!(e & Q_RAW) && (ctr(k) & CTR_XLATE) &&
            !translate_set2(b, &k->xlat_break, &b))
            continue;
        k->ob = b;
        k->ob_aux = false;
        k->obf = true;
    }
    i8042_update_irqs(k);
}

static void ctrl_reply(struct i8042 *k, uint8_t b, bool aux)
{
    queue_push(&k->ctrl, b | (aux ? Q_AUX : 0));
}

/* ---- Keyboard ---- */

static void kbd_reply(struct ps2_kbd *kb, uint8_t b)
{
    queue_push(&kb->q, b | Q_RAW);
    kb->last_sent = b;
}

static void kbd_set_defaults(struct ps2_kbd *kb)
{
    kb->set = 2;
    kb->typematic = 0x2b; /* 10.9 characters/s after 500 ms */
    kb->set1_break = false;
}

static void kbd_power_on(struct ps2_kbd *kb)
{
    queue_clear(&kb->q);
    kbd_set_defaults(kb);
    kb->scanning = true;
    kb->leds = 0;
    kb->await_arg = 0;
    kb->last_sent = 0;
}

static void kbd_argument(struct ps2_kbd *kb, uint8_t cmd, uint8_t arg)
{
    switch (cmd) {
    case 0xed:
        kb->leds = arg & 7;
        kbd_reply(kb, PS2_ACK);
        break;
    case 0xf3:
        kb->typematic = arg & 0x7f;
        kbd_reply(kb, PS2_ACK);
        break;
    case 0xf0:
        if (arg == 0) {
            kbd_reply(kb, PS2_ACK);
            kbd_reply(kb, kb->set);
        } else if (arg <= 3) {
            /* Set 3 is not modelled: acknowledged but not taken, which
             * drivers detect by reading the set back. */
            if (arg != 3) {
                kb->set = arg;
                kb->set1_break = false;
            }
            kbd_reply(kb, PS2_ACK);
        } else {
            kbd_reply(kb, PS2_RESEND);
        }
        break;
    }
}

/* Drops what the keyboard has not yet sent; a break prefix the controller
 * already consumed belonged to that data and goes with it. */
static void kbd_flush(struct i8042 *k)
{
    queue_clear(&k->kbd.q);
    k->xlat_break = false;
}

static void kbd_write(struct i8042 *k, uint8_t b)
{
    struct ps2_kbd *kb = &k->kbd;
    /* A command byte where an argument was due abandons that command. */
    if (kb->await_arg && b < 0xed) {
        uint8_t cmd = kb->await_arg;
        kb->await_arg = 0;
        kbd_argument(kb, cmd, b);
        return;
    }
    kb->await_arg = 0;
    switch (b) {
    case 0xed: /* set LEDs */
    case 0xf3: /* set typematic rate/delay */
    case 0xf0: /* get/set scan code set */
        kbd_reply(kb, PS2_ACK);
        kb->await_arg = b;
        break;
    case 0xee:
        kbd_reply(kb, PS2_ECHO);
        break;
    case 0xf2: /* identify: MF2 keyboard */
        kbd_reply(kb, PS2_ACK);
        kbd_reply(kb, 0xab);
        kbd_reply(kb, 0x83);
        break;
    case 0xf4: /* enable scanning, clearing the buffer */
        kbd_flush(k);
        kbd_reply(kb, PS2_ACK);
        kb->scanning = true;
        break;
    case 0xf5: /* disable scanning and restore defaults */
        kbd_flush(k);
        kbd_reply(kb, PS2_ACK);
        kbd_set_defaults(kb);
        kb->scanning = false;
        break;
    case 0xf6: /* restore defaults, scanning state unchanged */
        kbd_flush(k);
        kbd_reply(kb, PS2_ACK);
        kbd_set_defaults(kb);
        break;
    case 0xf7: case 0xf8: case 0xf9: case 0xfa:
    case 0xfb: case 0xfc: case 0xfd:
        /* Set 3 key-type commands: accepted, without effect here. */
        kbd_reply(kb, PS2_ACK);
        break;
    case 0xfe: /* resend the last byte */
        kbd_reply(kb, kb->last_sent);
        break;
    case 0xff: /* reset and self-test (BAT) */
        kbd_flush(k);
        kbd_power_on(kb);
        kbd_reply(kb, PS2_ACK);
        kbd_reply(kb, PS2_BAT_OK);
        break;
    default:
        kbd_reply(kb, PS2_RESEND);
        break;
    }
}

void i8042_keyboard_event(struct i8042 *k, const uint8_t *set2_bytes, size_t n)
{
    struct ps2_kbd *kb = &k->kbd;
    if (!kb->scanning || n == 0)
        return;
    unsigned space = queue_space(&kb->q, KBD_EVENT_LIMIT);
    if (space < n + 1) {
        /* Overrun: the last free slot takes an error code in place of what
         * did not fit (set 2 code 00, which translation and set 1 turn into
         * FF); after it, events are dropped until the guest reads. */
        if (space) {
            uint8_t code = 0x00;
            if (kb->set == 1)
                code = 0xff;
            queue_push(&kb->q, code);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            uint8_t b = set2_bytes[i];
            if (kb->set == 1 && !translate_set2(b, &kb->set1_break, &b))
                continue;
            queue_push(&kb->q, b);
        }
    }
    i8042_fill_output(k);
}

uint8_t i8042_keyboard_leds(const struct i8042 *k)
{
    return k->kbd.leds;
}

/* ---- Mouse ---- */

static void mouse_reply(struct ps2_mouse *ms, uint8_t b)
{
    queue_push(&ms->q, b | Q_RAW);
    ms->last_sent = b;
}

static void mouse_set_defaults(struct ps2_mouse *ms)
{
    ms->rate = 100;
    ms->resolution = 2; /* 4 counts/mm */
    ms->scale21 = false;
    ms->reporting = false;
    ms->remote = false;
    ms->dx = ms->dy = ms->dz = 0;
}

static void mouse_power_on(struct ps2_mouse *ms)
{
    queue_clear(&ms->q);
    mouse_set_defaults(ms);
    ms->wrap = false;
    ms->id = 0;
    ms->await_arg = 0;
    ms->last_sent = 0;
    memset(ms->rates, 0, sizeof(ms->rates));
    ms->sent_buttons = ms->buttons;
}

static int clamp_int(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* 2:1 scaling as the PS/2 mouse applies it to stream reports. */
static int mouse_scale21(int d)
{
    static const int small[6] = { 0, 1, 1, 3, 6, 9 };
    int mag = d < 0 ? -d : d;
    int s = mag < 6 ? small[mag] : 2 * mag;
    return d < 0 ? -s : s;
}

/* Queues one movement packet from the pending motion, if there is room. */
static bool mouse_packet(struct ps2_mouse *ms, bool stream)
{
    unsigned size = ms->id >= 3 ? 4 : 3;
    if (queue_space(&ms->q, AUX_EVENT_LIMIT) < size)
        return false;
    int dx = clamp_int(ms->dx, -256, 255);
    int dy = clamp_int(ms->dy, -256, 255);
    int dz = clamp_int(ms->dz, -8, 7);
    ms->dx -= dx;
    ms->dy -= dy;
    ms->dz -= dz;
    uint8_t b0 = 0x08 | (ms->buttons & 7);
    if (stream && ms->scale21) {
        dx = mouse_scale21(dx);
        dy = mouse_scale21(dy);
    }
    if (dx < -256 || dx > 255)
        b0 |= 0x40;
    if (dy < -256 || dy > 255)
        b0 |= 0x80;
    dx = clamp_int(dx, -256, 255);
    dy = clamp_int(dy, -256, 255);
    if (dx < 0)
        b0 |= 0x10;
    if (dy < 0)
        b0 |= 0x20;
    mouse_reply(ms, b0);
    mouse_reply(ms, (uint8_t)dx);
    mouse_reply(ms, (uint8_t)dy);
    if (ms->id == 4) {
        uint8_t b3 = (uint8_t)(dz & 0x0f);
        if (ms->buttons & I8042_BUTTON_4)
            b3 |= 0x10;
        if (ms->buttons & I8042_BUTTON_5)
            b3 |= 0x20;
        mouse_reply(ms, b3);
    } else if (ms->id == 3) {
        mouse_reply(ms, (uint8_t)dz);
    }
    ms->sent_buttons = ms->buttons;
    return true;
}

/* In stream mode, turns pending motion into packets while the queue has room. */
static void mouse_stream(struct i8042 *k)
{
    struct ps2_mouse *ms = &k->mouse;
    if (!ms->reporting || ms->remote || ms->wrap)
        return;
    while ((ms->dx || ms->dy || ms->dz || ms->buttons != ms->sent_buttons) &&
           mouse_packet(ms, true))
        ;
}

static void mouse_argument(struct ps2_mouse *ms, uint8_t cmd, uint8_t arg)
{
    mouse_reply(ms, PS2_ACK);
    if (cmd == 0xe8) {
        ms->resolution = arg & 3;
        return;
    }
    ms->rate = arg;
    ms->rates[0] = ms->rates[1];
    ms->rates[1] = ms->rates[2];
    ms->rates[2] = arg;
    /* The sample-rate knocks that unlock the wheel (IntelliMouse, ID 3)
     * and then the extra buttons (IntelliMouse Explorer, ID 4). */
    if (ms->rates[0] == 200 && ms->rates[1] == 100 && ms->rates[2] == 80 && ms->id == 0)
        ms->id = 3;
    else if (ms->rates[0] == 200 && ms->rates[1] == 200 && ms->rates[2] == 80 && ms->id == 3)
        ms->id = 4;
}

static void mouse_write(struct i8042 *k, uint8_t b)
{
    struct ps2_mouse *ms = &k->mouse;
    if (ms->await_arg) {
        uint8_t cmd = ms->await_arg;
        ms->await_arg = 0;
        mouse_argument(ms, cmd, b);
        return;
    }
    if (ms->wrap && b != 0xec && b != 0xff) {
        mouse_reply(ms, b);
        return;
    }
    switch (b) {
    case 0xe6:
    case 0xe7:
        mouse_reply(ms, PS2_ACK);
        ms->scale21 = b == 0xe7;
        break;
    case 0xe8: /* set resolution */
    case 0xf3: /* set sample rate */
        mouse_reply(ms, PS2_ACK);
        ms->await_arg = b;
        break;
    case 0xe9: { /* status request */
        uint8_t s = 0;
        if (ms->remote)
            s |= 0x40;
        if (ms->reporting)
            s |= 0x20;
        if (ms->scale21)
            s |= 0x10;
        if (ms->buttons & I8042_BUTTON_LEFT)
            s |= 0x04;
        if (ms->buttons & I8042_BUTTON_MIDDLE)
            s |= 0x02;
        if (ms->buttons & I8042_BUTTON_RIGHT)
            s |= 0x01;
        mouse_reply(ms, PS2_ACK);
        mouse_reply(ms, s);
        mouse_reply(ms, ms->resolution);
        mouse_reply(ms, ms->rate);
        break;
    }
    case 0xea: /* stream mode */
    case 0xf0: /* remote mode */
        mouse_reply(ms, PS2_ACK);
        ms->remote = b == 0xf0;
        ms->dx = ms->dy = ms->dz = 0;
        break;
    case 0xeb: /* read data: a packet even without motion */
        mouse_reply(ms, PS2_ACK);
        mouse_packet(ms, false);
        break;
    case 0xec: /* leave wrap mode */
        mouse_reply(ms, PS2_ACK);
        ms->wrap = false;
        break;
    case 0xee: /* enter wrap (echo) mode */
        mouse_reply(ms, PS2_ACK);
        ms->wrap = true;
        break;
    case 0xf2: /* get device ID */
        mouse_reply(ms, PS2_ACK);
        mouse_reply(ms, ms->id);
        break;
    case 0xf4: /* enable reporting */
        queue_clear(&ms->q);
        mouse_reply(ms, PS2_ACK);
        ms->reporting = true;
        ms->dx = ms->dy = ms->dz = 0;
        ms->sent_buttons = ms->buttons;
        break;
    case 0xf5: /* disable reporting */
        queue_clear(&ms->q);
        mouse_reply(ms, PS2_ACK);
        ms->reporting = false;
        break;
    case 0xf6: /* set defaults */
        queue_clear(&ms->q);
        mouse_reply(ms, PS2_ACK);
        mouse_set_defaults(ms);
        break;
    case 0xfe: /* resend */
        mouse_reply(ms, ms->last_sent);
        break;
    case 0xff: /* reset and self-test */
        mouse_power_on(ms);
        mouse_reply(ms, PS2_ACK);
        mouse_reply(ms, PS2_BAT_OK);
        mouse_reply(ms, 0x00);
        break;
    default:
        mouse_reply(ms, PS2_RESEND);
        break;
    }
}

void i8042_mouse_event(struct i8042 *k, int dx, int dy, int dz, unsigned buttons)
{
    struct ps2_mouse *ms = &k->mouse;
    ms->buttons = buttons & 0x1f;
    if (!ms->reporting && !ms->remote)
        return;
    /* Bounded so a guest that never reads cannot overflow the sums. */
    ms->dx = clamp_int(ms->dx + clamp_int(dx, -4096, 4096), -4096, 4096);
    ms->dy = clamp_int(ms->dy - clamp_int(dy, -4096, 4096), -4096, 4096);
    ms->dz = clamp_int(ms->dz + clamp_int(dz, -4096, 4096), -4096, 4096);
    mouse_stream(k);
    i8042_fill_output(k);
}

/* ---- Controller ---- */

static uint8_t i8042_output_port(const struct i8042 *k)
{
    uint8_t v = OUT_RESET_N | OUT_AUX_LINES | OUT_KBD_LINES;
    if (k->m->a20_enabled)
        v |= OUT_A20;
    if (k->obf && !k->ob_aux)
        v |= OUT_KBD_IRQ;
    if (k->obf && k->ob_aux)
        v |= OUT_AUX_IRQ;
    return v;
}

static void i8042_write_output_port(struct i8042 *k, uint8_t v)
{
    machine_set_a20(k->m, v & OUT_A20);
    if (!(v & OUT_RESET_N))
        machine_request_reset(k->m);
}

static void i8042_command(struct i8042 *k, uint8_t c)
{
    k->await_data = 0;
    if (c >= 0x20 && c <= 0x3f) {        /* read controller RAM */
        ctrl_reply(k, k->ram[c & 0x1f], false);
    } else if (c >= 0x60 && c <= 0x7f) { /* write controller RAM */
        k->await_data = c;
    } else if (c >= 0xf0) {
        /* Pulse output port bits 0-3 low where the command has 0s. */
        if (!(c & OUT_RESET_N))
            machine_request_reset(k->m);
    } else {
        switch (c) {
        case 0xa4: /* password installed? no */
            ctrl_reply(k, 0xf1, false);
            break;
        case 0xa7:
            k->ram[0] |= CTR_AUXDIS;
            break;
        case 0xa8:
            k->ram[0] &= (uint8_t)~CTR_AUXDIS;
            break;
        case 0xa9: /* mouse interface test: no error */
            ctrl_reply(k, 0x00, false);
            break;
        case 0xaa: /* self-test */
            k->sys_flag = true;
            ctrl_reply(k, 0x55, false);
            break;
        case 0xab: /* keyboard interface test: no error */
            ctrl_reply(k, 0x00, false);
            break;
        case 0xad:
            k->ram[0] |= CTR_KBDDIS;
            break;
        case 0xae:
            k->ram[0] &= (uint8_t)~CTR_KBDDIS;
            break;
        case 0xc0:
            ctrl_reply(k, INPUT_PORT, false);
            break;
        case 0xd0:
            ctrl_reply(k, i8042_output_port(k), false);
            break;
        case 0xd1: /* write output port */
        case 0xd2: /* write keyboard output buffer */
        case 0xd3: /* write mouse output buffer */
        case 0xd4: /* write to mouse */
            k->await_data = c;
            break;
        case 0xdd:
            machine_set_a20(k->m, false);
            break;
        case 0xdf:
            machine_set_a20(k->m, true);
            break;
        case 0xe0: /* test inputs: both clocks and data lines low */
            ctrl_reply(k, 0x00, false);
            break;
        default:
            break;
        }
    }
    i8042_fill_output(k);
}

static void i8042_data_write(struct i8042 *k, uint8_t v)
{
    uint8_t cmd = k->await_data;
    k->await_data = 0;
    if (cmd >= 0x60 && cmd <= 0x7f) {
        k->ram[cmd & 0x1f] = v;
        if (cmd == 0x60)
            k->sys_flag = v & CTR_SYS;
    } else if (cmd == 0xd1) {
        i8042_write_output_port(k, v);
    } else if (cmd == 0xd2) {
        ctrl_reply(k, v, false);
    } else if (cmd == 0xd3) {
        ctrl_reply(k, v, true);
    } else if (cmd == 0xd4) {
        mouse_write(k, v);
    } else {
        /* Sending to the keyboard re-enables its interface. */
        k->ram[0] &= (uint8_t)~CTR_KBDDIS;
        kbd_write(k, v);
    }
    i8042_fill_output(k);
}

static uint8_t i8042_data_read(struct i8042 *k)
{
    /* With nothing new the 8042 returns its last byte again. */
    uint8_t v = k->ob;
    if (k->obf) {
        k->obf = false;
        i8042_update_irqs(k);
        i8042_fill_output(k);
    }
    return v;
}

static uint8_t i8042_status(const struct i8042 *k)
{
    uint8_t s = STAT_UNLOCKED;
    if (k->obf)
        s |= STAT_OBF;
    if (k->obf && k->ob_aux)
        s |= STAT_AUXOBF;
    if (k->sys_flag)
        s |= STAT_SYS;
    if (k->last_write_cmd)
        s |= STAT_CMD;
    return s;
}

static void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                          bool is_write)
{
    struct i8042 *k = opaque;
    (void)offset;
    if (is_write) {
        k->last_write_cmd = false;
        i8042_data_write(k, data[0]);
    } else {
        io_data_put(data, len, i8042_data_read(k));
    }
}

static void i8042_cmd_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                         bool is_write)
{
    struct i8042 *k = opaque;
    (void)offset;
    if (is_write) {
        k->last_write_cmd = true;
        i8042_command(k, data[0]);
    } else {
        io_data_put(data, len, i8042_status(k));
    }
}

static void i8042_reset(void *opaque)
{
    struct i8042 *k = opaque;
    memset(k->ram, 0, sizeof(k->ram));
    k->ram[0] = CTR_POWER_ON;
    k->sys_flag = false;
    k->last_write_cmd = false;
    k->await_data = 0;
    k->obf = k->ob_aux = false;
    k->ob = 0;
    k->xlat_break = false;
    k->last_from_aux = false;
    queue_clear(&k->ctrl);
    kbd_power_on(&k->kbd);
    k->mouse.buttons = 0;
    mouse_power_on(&k->mouse);
    i8042_update_irqs(k);
}

struct i8042 *i8042_create(struct machine *m, struct irq_line irq1, struct irq_line irq12)
{
    struct i8042 *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    k->m = m;
    k->irq1 = irq1;
    k->irq12 = irq12;
    if (iomap_add(&m->io, I8042_DATA_PORT, 1, i8042_data_io, k, "i8042-data") < 0) {
        free(k);
        return NULL;
    }
    if (iomap_add(&m->io, I8042_CMD_PORT, 1, i8042_cmd_io, k, "i8042-cmd") < 0) {
        iomap_remove(&m->io, I8042_DATA_PORT);
        free(k);
        return NULL;
    }
    i8042_reset(k);
    machine_register_reset(m, i8042_reset, k);
    return k;
}

void i8042_destroy(struct i8042 *k)
{
    free(k);
}
