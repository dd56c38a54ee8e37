/* The SDL2 window of -display sdl: presents the rendered screen, turns SDL
 * scancodes into PC scan code set 2 bytes, and sends mouse motion while the
 * window holds the mouse (click to grab, Ctrl-Alt-G to release, as QEMU). */
#include "tools/vx86/display_sdl.h"

#include <SDL.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/i8042.h"
#include "hw/machine.h"
#include "hw/pc.h"
#include "hw/vga.h"

#define TITLE "vx86"
#define TITLE_GRABBED "vx86 - Press Ctrl-Alt-G to release grab"

/* Set 2 make codes by SDL scancode (the USB HID usage): the low byte is
 * the code, E0 in the high byte marks the extended keys. Print Screen and
 * Pause have sequences of their own (see display_key). */
#define EXT(code) (0xe000 | (code))
static const uint16_t set2_by_scancode[SDL_NUM_SCANCODES] = {
    [SDL_SCANCODE_A] = 0x1c, [SDL_SCANCODE_B] = 0x32, [SDL_SCANCODE_C] = 0x21,
    [SDL_SCANCODE_D] = 0x23, [SDL_SCANCODE_E] = 0x24, [SDL_SCANCODE_F] = 0x2b,
    [SDL_SCANCODE_G] = 0x34, [SDL_SCANCODE_H] = 0x33, [SDL_SCANCODE_I] = 0x43,
    [SDL_SCANCODE_J] = 0x3b, [SDL_SCANCODE_K] = 0x42, [SDL_SCANCODE_L] = 0x4b,
    [SDL_SCANCODE_M] = 0x3a, [SDL_SCANCODE_N] = 0x31, [SDL_SCANCODE_O] = 0x44,
    [SDL_SCANCODE_P] = 0x4d, [SDL_SCANCODE_Q] = 0x15, [SDL_SCANCODE_R] = 0x2d,
    [SDL_SCANCODE_S] = 0x1b, [SDL_SCANCODE_T] = 0x2c, [SDL_SCANCODE_U] = 0x3c,
    [SDL_SCANCODE_V] = 0x2a, [SDL_SCANCODE_W] = 0x1d, [SDL_SCANCODE_X] = 0x22,
    [SDL_SCANCODE_Y] = 0x35, [SDL_SCANCODE_Z] = 0x1a,
    [SDL_SCANCODE_1] = 0x16, [SDL_SCANCODE_2] = 0x1e, [SDL_SCANCODE_3] = 0x26,
    [SDL_SCANCODE_4] = 0x25, [SDL_SCANCODE_5] = 0x2e, [SDL_SCANCODE_6] = 0x36,
    [SDL_SCANCODE_7] = 0x3d, [SDL_SCANCODE_8] = 0x3e, [SDL_SCANCODE_9] = 0x46,
    [SDL_SCANCODE_0] = 0x45,
    [SDL_SCANCODE_RETURN] = 0x5a, [SDL_SCANCODE_ESCAPE] = 0x76,
    [SDL_SCANCODE_BACKSPACE] = 0x66, [SDL_SCANCODE_TAB] = 0x0d,
    [SDL_SCANCODE_SPACE] = 0x29, [SDL_SCANCODE_MINUS] = 0x4e,
    [SDL_SCANCODE_EQUALS] = 0x55, [SDL_SCANCODE_LEFTBRACKET] = 0x54,
    [SDL_SCANCODE_RIGHTBRACKET] = 0x5b, [SDL_SCANCODE_BACKSLASH] = 0x5d,
    [SDL_SCANCODE_NONUSHASH] = 0x5d, [SDL_SCANCODE_SEMICOLON] = 0x4c,
    [SDL_SCANCODE_APOSTROPHE] = 0x52, [SDL_SCANCODE_GRAVE] = 0x0e,
    [SDL_SCANCODE_COMMA] = 0x41, [SDL_SCANCODE_PERIOD] = 0x49,
    [SDL_SCANCODE_SLASH] = 0x4a, [SDL_SCANCODE_CAPSLOCK] = 0x58,
    [SDL_SCANCODE_NONUSBACKSLASH] = 0x61,
    [SDL_SCANCODE_F1] = 0x05, [SDL_SCANCODE_F2] = 0x06, [SDL_SCANCODE_F3] = 0x04,
    [SDL_SCANCODE_F4] = 0x0c, [SDL_SCANCODE_F5] = 0x03, [SDL_SCANCODE_F6] = 0x0b,
    [SDL_SCANCODE_F7] = 0x83, [SDL_SCANCODE_F8] = 0x0a, [SDL_SCANCODE_F9] = 0x01,
    [SDL_SCANCODE_F10] = 0x09, [SDL_SCANCODE_F11] = 0x78, [SDL_SCANCODE_F12] = 0x07,
    [SDL_SCANCODE_SCROLLLOCK] = 0x7e, [SDL_SCANCODE_SYSREQ] = 0x84,
    [SDL_SCANCODE_INSERT] = EXT(0x70), [SDL_SCANCODE_HOME] = EXT(0x6c),
    [SDL_SCANCODE_PAGEUP] = EXT(0x7d), [SDL_SCANCODE_DELETE] = EXT(0x71),
    [SDL_SCANCODE_END] = EXT(0x69), [SDL_SCANCODE_PAGEDOWN] = EXT(0x7a),
    [SDL_SCANCODE_RIGHT] = EXT(0x74), [SDL_SCANCODE_LEFT] = EXT(0x6b),
    [SDL_SCANCODE_DOWN] = EXT(0x72), [SDL_SCANCODE_UP] = EXT(0x75),
    [SDL_SCANCODE_NUMLOCKCLEAR] = 0x77, [SDL_SCANCODE_KP_DIVIDE] = EXT(0x4a),
    [SDL_SCANCODE_KP_MULTIPLY] = 0x7c, [SDL_SCANCODE_KP_MINUS] = 0x7b,
    [SDL_SCANCODE_KP_PLUS] = 0x79, [SDL_SCANCODE_KP_ENTER] = EXT(0x5a),
    [SDL_SCANCODE_KP_1] = 0x69, [SDL_SCANCODE_KP_2] = 0x72, [SDL_SCANCODE_KP_3] = 0x7a,
    [SDL_SCANCODE_KP_4] = 0x6b, [SDL_SCANCODE_KP_5] = 0x73, [SDL_SCANCODE_KP_6] = 0x74,
    [SDL_SCANCODE_KP_7] = 0x6c, [SDL_SCANCODE_KP_8] = 0x75, [SDL_SCANCODE_KP_9] = 0x7d,
    [SDL_SCANCODE_KP_0] = 0x70, [SDL_SCANCODE_KP_PERIOD] = 0x71,
    [SDL_SCANCODE_LCTRL] = 0x14, [SDL_SCANCODE_LSHIFT] = 0x12,
    [SDL_SCANCODE_LALT] = 0x11, [SDL_SCANCODE_LGUI] = EXT(0x1f),
    [SDL_SCANCODE_RCTRL] = EXT(0x14), [SDL_SCANCODE_RSHIFT] = 0x59,
    [SDL_SCANCODE_RALT] = EXT(0x11), [SDL_SCANCODE_RGUI] = EXT(0x27),
    [SDL_SCANCODE_APPLICATION] = EXT(0x2f),
    /* Japanese and Brazilian keys. */
    [SDL_SCANCODE_INTERNATIONAL1] = 0x51, [SDL_SCANCODE_INTERNATIONAL2] = 0x13,
    [SDL_SCANCODE_INTERNATIONAL3] = 0x6a, [SDL_SCANCODE_INTERNATIONAL4] = 0x64,
    [SDL_SCANCODE_INTERNATIONAL5] = 0x67,
    /* ACPI and multimedia keys. */
    [SDL_SCANCODE_POWER] = EXT(0x37), [SDL_SCANCODE_SLEEP] = EXT(0x3f),
    [SDL_SCANCODE_MUTE] = EXT(0x23), [SDL_SCANCODE_VOLUMEDOWN] = EXT(0x21),
    [SDL_SCANCODE_VOLUMEUP] = EXT(0x32), [SDL_SCANCODE_AUDIONEXT] = EXT(0x4d),
    [SDL_SCANCODE_AUDIOPREV] = EXT(0x15), [SDL_SCANCODE_AUDIOSTOP] = EXT(0x3b),
    [SDL_SCANCODE_AUDIOPLAY] = EXT(0x34),
};

struct display_sdl {
    struct machine *m;
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    unsigned tex_w, tex_h;
    uint32_t *frame, *shown; /* rendered now, and last presented */
    bool redraw;             /* present even when the frame is unchanged */
    bool grabbed;
    unsigned buttons;  /* I8042_BUTTON_* held */
    int dx, dy, dz;    /* motion not yet sent */
    uint8_t down[(SDL_NUM_SCANCODES + 7) / 8];
};

static void display_send_keys(struct display_sdl *d, const uint8_t *bytes, size_t n)
{
    pthread_mutex_lock(&d->m->lock);
    pc_input_key(d->m, bytes, n);
    pthread_mutex_unlock(&d->m->lock);
}

static bool display_key_is_down(const struct display_sdl *d, SDL_Scancode sc)
{
    return (unsigned)sc < SDL_NUM_SCANCODES && (d->down[sc / 8] & (1u << (sc % 8)));
}

/* Sends one key's make or break sequence. A release is sent only for a key
 * whose press the guest saw, so a swallowed hot key leaves no stray break. */
static void display_key(struct display_sdl *d, SDL_Scancode sc, bool pressed)
{
    uint8_t b[8];
    size_t n = 0;
    if (!pressed && !display_key_is_down(d, sc))
        return;
    if (sc == SDL_SCANCODE_PRINTSCREEN) {
        static const uint8_t make[] = { 0xe0, 0x12, 0xe0, 0x7c };
        static const uint8_t brk[] = { 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12 };
        if (pressed)
            memcpy(b, make, n = sizeof(make));
        else
            memcpy(b, brk, n = sizeof(brk));
    } else if (sc == SDL_SCANCODE_PAUSE) {
        /* Pause sends its make and break at once on the press, nothing on
         * release. */
        static const uint8_t seq[] = { 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77 };
        if (pressed)
            display_send_keys(d, seq, sizeof(seq));
        return;
    } else {
        uint16_t code = (unsigned)sc < SDL_NUM_SCANCODES ? set2_by_scancode[sc] : 0;
        if (!code)
            return;
        if (code & 0xe000)
            b[n++] = 0xe0;
        if (!pressed)
            b[n++] = 0xf0;
        b[n++] = (uint8_t)code;
    }
    if ((unsigned)sc < SDL_NUM_SCANCODES) {
        if (pressed)
            d->down[sc / 8] |= (uint8_t)(1u << (sc % 8));
        else
            d->down[sc / 8] &= (uint8_t)~(1u << (sc % 8));
    }
    display_send_keys(d, b, n);
}

/* When the window loses the keyboard the guest would never see the keys
 * still held go up. */
static void display_release_all_keys(struct display_sdl *d)
{
    for (unsigned sc = 0; sc < SDL_NUM_SCANCODES; sc++)
        if (display_key_is_down(d, (SDL_Scancode)sc))
            display_key(d, (SDL_Scancode)sc, false);
}

static void display_flush_mouse(struct display_sdl *d, bool force)
{
    if (!force && !d->dx && !d->dy && !d->dz)
        return;
    pthread_mutex_lock(&d->m->lock);
    pc_input_mouse(d->m, d->dx, d->dy, d->dz, d->buttons);
    pthread_mutex_unlock(&d->m->lock);
    d->dx = d->dy = d->dz = 0;
}

static void display_set_grab(struct display_sdl *d, bool grab)
{
    if (d->grabbed == grab)
        return;
    d->grabbed = grab;
    SDL_SetRelativeMouseMode(grab ? SDL_TRUE : SDL_FALSE);
    SDL_SetWindowGrab(d->win, grab ? SDL_TRUE : SDL_FALSE);
    SDL_SetWindowTitle(d->win, grab ? TITLE_GRABBED : TITLE);
    if (!grab && d->buttons) {
        d->buttons = 0;
        display_flush_mouse(d, true);
    }
}

static unsigned display_button_bit(Uint8 button)
{
    switch (button) {
    case SDL_BUTTON_LEFT: return I8042_BUTTON_LEFT;
    case SDL_BUTTON_RIGHT: return I8042_BUTTON_RIGHT;
    case SDL_BUTTON_MIDDLE: return I8042_BUTTON_MIDDLE;
    case SDL_BUTTON_X1: return I8042_BUTTON_4;
    case SDL_BUTTON_X2: return I8042_BUTTON_5;
    default: return 0;
    }
}

static void display_event(struct display_sdl *d, const SDL_Event *e)
{
    switch (e->type) {
    case SDL_QUIT:
        machine_request_shutdown(d->m, 0);
        break;
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_CLOSE) {
            machine_request_shutdown(d->m, 0);
        } else if (e->window.event == SDL_WINDOWEVENT_FOCUS_LOST) {
            display_release_all_keys(d);
            display_set_grab(d, false);
        } else if (e->window.event == SDL_WINDOWEVENT_EXPOSED ||
                   e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
            d->redraw = true;
        }
        break;
    case SDL_KEYDOWN:
    case SDL_KEYUP: {
        SDL_Scancode sc = e->key.keysym.scancode;
        bool pressed = e->type == SDL_KEYDOWN;
        Uint16 mod = e->key.keysym.mod; /* as it was at this event, not now */
        if (pressed && sc == SDL_SCANCODE_G && (mod & KMOD_CTRL) && (mod & KMOD_ALT)) {
            if (d->grabbed)
                display_set_grab(d, false);
            break; /* the hot key stays with vx86 */
        }
        /* Held keys repeat as repeated make codes, as a keyboard's typematic. */
        display_key(d, sc, pressed);
        break;
    }
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP: {
        bool pressed = e->type == SDL_MOUSEBUTTONDOWN;
        if (!d->grabbed) {
            if (pressed && e->button.button == SDL_BUTTON_LEFT)
                display_set_grab(d, true); /* the grabbing click is not the guest's */
            break;
        }
        unsigned bit = display_button_bit(e->button.button);
        if (!bit)
            break;
        display_flush_mouse(d, false);
        d->buttons = pressed ? d->buttons | bit : d->buttons & ~bit;
        display_flush_mouse(d, true);
        break;
    }
    case SDL_MOUSEMOTION:
        if (d->grabbed) {
            d->dx += e->motion.xrel;
            d->dy += e->motion.yrel;
        }
        break;
    case SDL_MOUSEWHEEL:
        if (d->grabbed) {
            int y = e->wheel.y;
            if (e->wheel.direction == SDL_MOUSEWHEEL_FLIPPED)
                y = -y;
            d->dz -= y; /* SDL: positive is away from the user */
        }
        break;
    default:
        break;
    }
}

static void display_present(struct display_sdl *d)
{
    unsigned w = 0, h = 0;
    pthread_mutex_lock(&d->m->lock);
    bool ok = pc_display_render(d->m, d->frame, &w, &h);
    pthread_mutex_unlock(&d->m->lock);
    if (!ok || !w || !h)
        return;
    if (w != d->tex_w || h != d->tex_h) {
        if (d->tex)
            SDL_DestroyTexture(d->tex);
        d->tex = SDL_CreateTexture(d->ren, SDL_PIXELFORMAT_XRGB8888,
                                   SDL_TEXTUREACCESS_STREAMING, (int)w, (int)h);
        d->tex_w = d->tex ? w : 0;
        d->tex_h = d->tex ? h : 0;
        if (!d->tex)
            return; /* larger than this renderer takes: nothing shown */
        /* Follow the guest's resolution, as QEMU does, unless the user
         * made the window fill the screen. */
        if (!(SDL_GetWindowFlags(d->win) & (SDL_WINDOW_MAXIMIZED | SDL_WINDOW_FULLSCREEN)))
            SDL_SetWindowSize(d->win, (int)w, (int)h);
        SDL_RenderSetLogicalSize(d->ren, (int)w, (int)h);
        d->redraw = true;
    }
    /* An unchanged screen is not uploaded and presented again, which keeps
     * an idle guest's window cheap (software OpenGL under Xvfb, say). */
    size_t bytes = (size_t)w * h * sizeof(uint32_t);
    if (!d->redraw && !memcmp(d->frame, d->shown, bytes))
        return;
    memcpy(d->shown, d->frame, bytes);
    d->redraw = false;
    SDL_UpdateTexture(d->tex, NULL, d->frame, (int)(w * sizeof(uint32_t)));
    SDL_SetRenderDrawColor(d->ren, 0, 0, 0, 255);
    SDL_RenderClear(d->ren);
    SDL_RenderCopy(d->ren, d->tex, NULL, NULL);
    SDL_RenderPresent(d->ren);
}

void display_sdl_refresh(void *opaque)
{
    struct display_sdl *d = opaque;
    SDL_Event e;
    while (SDL_PollEvent(&e))
        display_event(d, &e);
    display_flush_mouse(d, false);
    display_present(d);
}

static bool display_env_set(const char *name)
{
    const char *v = getenv(name);
    return v && *v;
}

/* Left to itself SDL falls back to an invisible "offscreen" window when no
 * display server answers, and probing Wayland without one makes libwayland
 * print to stderr. So, unless the user chose with SDL_VIDEODRIVER, only the
 * servers the environment names are tried (the console's KMS/DRM when it
 * names none). */
static void display_choose_driver(void)
{
    if (display_env_set("SDL_VIDEODRIVER"))
        return;
    char list[32] = "";
    if (display_env_set("WAYLAND_DISPLAY"))
        strcat(list, "wayland,");
    if (display_env_set("DISPLAY"))
        strcat(list, "x11,");
    if (!list[0])
        strcat(list, "kmsdrm,");
    list[strlen(list) - 1] = 0;
    SDL_SetHint(SDL_HINT_VIDEODRIVER, list);
}

struct display_sdl *display_sdl_open(struct machine *m, char *err, size_t err_len)
{
    /* vx86's run loop handles SIGINT and SIGTERM itself; with the mouse
     * grabbed, the keyboard is grabbed too so Alt-Tab reaches the guest. */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    SDL_SetHint(SDL_HINT_GRAB_KEYBOARD, "1");
    display_choose_driver();
    if (SDL_Init(SDL_INIT_VIDEO) < 0) {
        snprintf(err, err_len, "cannot open an SDL window: %s", SDL_GetError());
        return NULL;
    }
    struct display_sdl *d = calloc(1, sizeof(*d));
    if (d) {
        d->frame = malloc(VGA_RENDER_MAX_PIXELS * sizeof(*d->frame));
        d->shown = malloc(VGA_RENDER_MAX_PIXELS * sizeof(*d->shown));
    }
    if (!d || !d->frame || !d->shown) {
        snprintf(err, err_len, "cannot open an SDL window: out of memory");
        goto fail;
    }
    d->m = m;
    d->win = SDL_CreateWindow(TITLE, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, 640,
                              480, SDL_WINDOW_RESIZABLE);
    if (!d->win) {
        snprintf(err, err_len, "cannot open an SDL window: %s", SDL_GetError());
        goto fail;
    }
    d->ren = SDL_CreateRenderer(d->win, -1, 0);
    if (!d->ren)
        d->ren = SDL_CreateRenderer(d->win, -1, SDL_RENDERER_SOFTWARE);
    if (!d->ren) {
        snprintf(err, err_len, "cannot create an SDL renderer: %s", SDL_GetError());
        goto fail;
    }
    SDL_SetRenderDrawColor(d->ren, 0, 0, 0, 255);
    SDL_RenderClear(d->ren);
    SDL_RenderPresent(d->ren);
    return d;
fail:
    if (d)
        display_sdl_close(d); /* and SDL_Quit() */
    else
        SDL_Quit();
    return NULL;
}

void display_sdl_close(struct display_sdl *d)
{
    if (!d)
        return;
    if (d->tex)
        SDL_DestroyTexture(d->tex);
    if (d->ren)
        SDL_DestroyRenderer(d->ren);
    if (d->win)
        SDL_DestroyWindow(d->win);
    free(d->frame);
    free(d->shown);
    free(d);
    SDL_Quit();
}
