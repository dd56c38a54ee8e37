/* The x86-64 code generator of the bt engine: compiles an IR block to host
 * code with the interpreter's exact semantics (ir_interp.c is the spec),
 * runs it, and patches direct jumps between compiled blocks. */
#ifndef VX86_TRANSLATOR_X64_BACKEND_H
#define VX86_TRANSLATOR_X64_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "translator/ir.h"

struct cpu_exec;

/* The code cache: one memfd mapped twice, writable and executable, so no
 * page is ever both (x64_codebuf.c). */
struct x64_codebuf {
    uint8_t *rw;   /* the view code is written through */
    uint8_t *rx;   /* the view code runs from; same offsets */
    size_t size;
    size_t used;
    size_t keep;   /* bytes that survive a flush (entry and exit trampolines) */
    int fd;
};

int x64_codebuf_init(struct x64_codebuf *cb, size_t size);
void x64_codebuf_destroy(struct x64_codebuf *cb);
/* Drops every block (keeps the first cb->keep bytes). */
void x64_codebuf_flush(struct x64_codebuf *cb);

/* What compiled code returns: the IR_EXIT chain slot (-1, 0, 1) and the tag
 * of the block that exited (which, after chained jumps, need not be the
 * block that was entered). */
struct x64_exit {
    int64_t slot;
    const void *tag;
};

struct x64_backend;

/* Finds the compiled block to continue with after `tag` left through
 * `slot` (-1: an indirect exit), with RIP already stored; NULL returns to
 * the engine. Called from generated code (the exit request flag and the
 * budget were checked first); it may link slot 0/1 with x64_link. */
typedef const void *(*x64_lookup_fn)(struct cpu_exec *c, const void *tag, int64_t slot);

/* The in-code block lookup (x64_backend_set_lookup): a direct-mapped cache
 * of compiled blocks by linear PC that generated code probes itself (with
 * the TLB's code tag for the physical address) before calling the lookup
 * function. The engine owns the table and keeps it exact: an entry is
 * cleared when its block is invalidated. */
struct x64_jc_entry {
    uint64_t lin;
    uint64_t phys;
    uint64_t ctx;       /* x64_jc_ctx(CS base, mode key) */
    const void *code;
};

/* CS base and mode key in one word: outside 64-bit mode the base fits 32
 * bits, in it the base is 0. Mode key bits 1:0 = 2 mean 64-bit code. */
static inline uint64_t x64_jc_ctx(uint64_t cs_base, uint32_t mode)
{
    return cs_base | (uint64_t)mode << 32;
}

static inline unsigned x64_jc_index(uint64_t lin, unsigned bits)
{
    return (unsigned)((lin ^ lin >> 12) & ((1u << bits) - 1));
}

struct x64_lookup_params {
    int32_t jc_offset;       /* the table, from the struct cpu_exec */
    unsigned jc_bits;
    x64_lookup_fn lookup;    /* on a miss */
};

struct x64_block_info {
    /* in */
    const void *tag;        /* returned in x64_exit.tag by this block's exits */
    bool chainable[2];      /* exits through slot k may later be linked */
    x64_lookup_fn lookup;   /* NULL: unlinked chain exits return to the engine */
    bool lookup_indirect;   /* exits through slot -1 may continue through lookup too */
    bool inline_lookup;     /* chain exits probe the in-code cache first */
    uint64_t ctx;           /* x64_jc_ctx of the block (the next block's, too) */
    bool tlb_cpl_known;     /* the block only runs at one CPL class: */
    bool tlb_user;          /* c->tlb[1] (CPL 3) or c->tlb[0] */
    /* out */
    const void *code;       /* entry point (executable view) */
    size_t code_size;
    uint32_t jmp_field[2];  /* offset from code of slot k's patchable rel32, 0 = none */
    uint32_t jmp_reset[2];  /* offset from code of where an unlinked slot k jumps */
    uint32_t jmp_inline[2]; /* offset from code of slot k's in-code lookup, 0 = none */
};

enum {
    X64_COMPILE_OK = 0,
    X64_COMPILE_FULL = -1,        /* the code buffer is full: flush and retry */
    X64_COMPILE_UNSUPPORTED = -2, /* run this block on the interpreter */
};

/* NULL when no code buffer can be made (no memfd, no PROT_EXEC). */
struct x64_backend *x64_backend_create(size_t code_size);
void x64_backend_destroy(struct x64_backend *be);
/* Forgets all compiled code (with the translation cache). */
void x64_backend_flush(struct x64_backend *be);
/* Bytes of code buffer in use. */
size_t x64_backend_code_used(const struct x64_backend *be);

/* Emits the shared in-code lookup; call once, before compiling. */
void x64_backend_set_lookup(struct x64_backend *be, const struct x64_lookup_params *p);

/* Compiles a finalised IR block. */
int x64_compile(struct x64_backend *be, const struct ir_block *ir, struct x64_block_info *info);

/* Runs compiled code against c until an exit. Guest faults unwind through
 * c->unwind as in the interpreter. Chained jumps are taken while
 * c->exit_request_flag is 0 and c->chain_budget stays >= 0 (each chained
 * jump decrements it). */
struct x64_exit x64_run(struct x64_backend *be, struct cpu_exec *c, const void *code);

/* Points slot jump at jmp_field (offset from code) to target's entry, or
 * back to code + jmp_reset when target is NULL. */
void x64_link(struct x64_backend *be, const void *code, uint32_t jmp_field, uint32_t jmp_reset,
              const void *target);

/* Writes host code to the -d log, one disassembled instruction per line
 * (-d out_asm). */
void x64_log_code(const void *code, size_t size);

#endif
