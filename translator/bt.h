/* Choosing the bt engine's backend (-accel bt,backend=...). */
#ifndef VX86_TRANSLATOR_BT_H
#define VX86_TRANSLATOR_BT_H

enum bt_backend {
    BT_BACKEND_INTERP, /* the portable IR interpreter */
    BT_BACKEND_JIT,    /* x86-64 code generation */
};

/* Applies to engines created afterwards. */
void bt_set_backend(enum bt_backend backend);

#endif
