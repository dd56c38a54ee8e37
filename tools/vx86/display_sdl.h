/* -display sdl: an SDL2 window showing the board's graphics adapter and
 * feeding keyboard and mouse input to it, driven from the main thread. */
#ifndef VX86_TOOLS_DISPLAY_SDL_H
#define VX86_TOOLS_DISPLAY_SDL_H

#include <stddef.h>

struct machine;
struct display_sdl;

/* Opens the window "vx86" on the calling (main) thread. Returns NULL with
 * a one-line message in err when SDL cannot open one. */
struct display_sdl *display_sdl_open(struct machine *m, char *err, size_t err_len);
/* Handles pending window, keyboard and mouse events and shows a fresh
 * frame; the run loop's display hook (main thread, machine lock not held;
 * it is taken here only to deliver input and to render). Closing the
 * window shuts the machine down with status 0. */
void display_sdl_refresh(void *opaque);
void display_sdl_close(struct display_sdl *d);

#endif
