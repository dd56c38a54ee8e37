/* Raising a guest exception: record it and unwind to the engine loop. */
#include "cpu/exception.h"

_Noreturn void cpu_raise_exception_err(struct cpu_exec *c, int vector, uint32_t error_code)
{
    c->fault.vector = vector;
    c->fault.has_error_code = true;
    c->fault.error_code = error_code;
    siglongjmp(*c->unwind, 1);
}

_Noreturn void cpu_raise_exception(struct cpu_exec *c, int vector)
{
    c->fault.vector = vector;
    c->fault.has_error_code = false;
    c->fault.error_code = 0;
    siglongjmp(*c->unwind, 1);
}
