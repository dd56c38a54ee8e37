/* nativecmp: the table of runners. An emulator adapter (bt with the code
 * generator, bt with the IR interpreter) adds one line here. */
#include <string.h>

#include "tools/nativecmp/nc_bt.h"
#include "tools/nativecmp/nc_native.h"
#include "tools/nativecmp/nc_registry.h"

const struct nc_runner_factory nc_runner_factories[] = {
    { "native", "the host CPU, in a child process (another instance for --selfcheck)", nc_native_create },
    { "bt-jit", "vx86's bt engine with the x86-64 code generator", nc_bt_jit_create },
    { "bt-interp", "vx86's bt engine with the IR interpreter backend", nc_bt_interp_create },
    { NULL, NULL, NULL },
};

const struct nc_runner_factory *nc_runner_factory_find(const char *name)
{
    for (const struct nc_runner_factory *f = nc_runner_factories; f->name; f++)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}
