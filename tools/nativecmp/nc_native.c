/* nativecmp: the native runner. A forked child maps the code and data areas
 * at their fixed addresses and runs cases handed over in shared memory,
 * entering them through hand-assembled stubs (64-bit, or a far jump to the
 * compatibility-mode selector) and catching their exceptions as signals. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "tools/nativecmp/nc_native.h"

/* Harness pages, below 2 GiB so both modes reach them with absolute
 * addresses. The stub page holds the entry and exit code, the context page
 * the register blocks, far pointers and a scratch stack. */
#define STUB_BASE 0x30000000u
#define CTX_BASE 0x30001000u

#define STUB_ENTRY64 0x000u
#define STUB_ENTRY32 0x100u
#define STUB_EXIT64 0x200u
#define STUB_EXIT32 0x300u
#define STUB_RETURN 0x400u

#define CTX_IN_REGS 0x000u
#define CTX_IN_FLAGS 0x080u
#define CTX_HOST_RSP 0x088u
#define CTX_FAR32 0x090u
#define CTX_FAR64 0x098u
#define CTX_OUT_REGS 0x100u
#define CTX_OUT_FLAGS 0x180u
#define CTX_MXCSR_INIT 0x1c0u
#define CTX_IN_FX 0x400u      /* FXRSTOR64 image of the case */
#define CTX_OUT_FX 0x600u     /* FXSAVE64 image at its end */
#define CTX_STACK_TOP 0xff0u

/* The flat user code selectors Linux x86-64 puts in its GDT (__USER32_CS,
 * __USER_DS, __USER_CS); they are part of the kernel ABI. */
#define SEL_USER32_CS 0x23u
#define SEL_USER_DS 0x2bu
#define SEL_USER_CS 0x33u

#define BATCH 64u
#define BATCH_TIMEOUT_MS 20000

struct shared {
    volatile uint32_t progress;   /* case the child is running */
    struct nc_case cases[BATCH];
    struct nc_state results[BATCH];
};

struct native {
    pid_t pid;
    int fd;
    struct shared *sh;
    unsigned starts;
};

/* ---- child side ---- */

struct child {
    sigjmp_buf jmp;
    volatile sig_atomic_t in_test;
    int sig;
    uint64_t trapno, err, cr2, rip, rflags, cs;
    uint64_t regs[NC_NR_GPRS];
    uint8_t fx[NC_FX_SIZE];
};

/* The signal handler has no argument to find its state with; the child
 * process runs exactly one of these. */
static struct child *nc_child;

static const int greg_index[NC_NR_GPRS] = {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static void child_on_signal(int sig, siginfo_t *si, void *ucv)
{
    struct child *ch = nc_child;
    (void)si;
    if (!ch || !ch->in_test) {
        /* A fault in the harness itself: die of it so the parent sees it. */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    ch->in_test = 0;
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    ch->sig = sig;
    ch->trapno = (uint64_t)g[REG_TRAPNO];
    ch->err = (uint64_t)g[REG_ERR];
    ch->cr2 = (uint64_t)g[REG_CR2];
    ch->rip = (uint64_t)g[REG_RIP];
    ch->rflags = (uint64_t)g[REG_EFL];
    ch->cs = (uint64_t)g[REG_CSGSFS] & 0xffff;
    for (int i = 0; i < NC_NR_GPRS; i++)
        ch->regs[i] = (uint64_t)g[greg_index[i]];
    /* The kernel saved the x87/SSE state at the exception into the frame
     * (FXSAVE layout first); the handler itself runs with a fresh one. */
    if (uc->uc_mcontext.fpregs)
        memcpy(ch->fx, uc->uc_mcontext.fpregs, NC_FX_SIZE);
    else
        memset(ch->fx, 0, NC_FX_SIZE);
    siglongjmp(ch->jmp, 1);
}

struct emit {
    uint8_t *p;
};

static void e8(struct emit *e, uint8_t v)
{
    *e->p++ = v;
}

static void e32(struct emit *e, uint32_t v)
{
    memcpy(e->p, &v, 4);
    e->p += 4;
}

/* 64-bit mode: mov [abs32], r64 / mov r64, [abs32] (ModRM rm=100, SIB with
 * no base and no index: a sign-extended absolute disp32). */
static void emit_abs64(struct emit *e, uint8_t opcode, int r, uint32_t addr)
{
    e8(e, 0x48 | (r >= 8 ? 4 : 0));
    e8(e, opcode);
    e8(e, (uint8_t)(((r & 7) << 3) | 4));
    e8(e, 0x25);
    e32(e, addr);
}

/* 64-bit mode: mov r32, [abs32], zero-extending (r < 8). */
static void emit_load32_in64(struct emit *e, int r, uint32_t addr)
{
    e8(e, 0x8b);
    e8(e, (uint8_t)((r << 3) | 4));
    e8(e, 0x25);
    e32(e, addr);
}

/* 32-bit mode: mov [abs32], r32 (ModRM mod=00 rm=101). */
static void emit_store32_in32(struct emit *e, int r, uint32_t addr)
{
    e8(e, 0x89);
    e8(e, (uint8_t)((r << 3) | 5));
    e32(e, addr);
}

/* 64-bit mode: 0F AE /op with [abs32] (REX.W when rexw: FXSAVE64 and
 * FXRSTOR64). */
static void emit_0fae_abs(struct emit *e, bool rexw, int op, uint32_t addr)
{
    if (rexw)
        e8(e, 0x48);
    e8(e, 0x0f);
    e8(e, 0xae);
    e8(e, (uint8_t)((op << 3) | 4));
    e8(e, 0x25);
    e32(e, addr);
}

static void emit_jmp_rel32(struct emit *e, uint32_t target)
{
    e8(e, 0xe9);
    uint32_t next = (uint32_t)(uintptr_t)e->p + 4;
    e32(e, target - next);
}

static void emit_save_host(struct emit *e)
{
    static const uint8_t pushes[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57 };
    memcpy(e->p, pushes, sizeof(pushes));
    e->p += sizeof(pushes);
    emit_abs64(e, 0x89, 4, CTX_BASE + CTX_HOST_RSP);
}

static void emit_load_flags(struct emit *e)
{
    /* mov rsp, imm32 (sign-extended); popfq */
    e8(e, 0x48); e8(e, 0xc7); e8(e, 0xc4);
    e32(e, CTX_BASE + CTX_IN_FLAGS);
    e8(e, 0x9d);
}

static void child_write_stubs(void)
{
    struct emit e;

    /* entry64: called from C; loads the case's state and jumps to it. */
    e.p = (uint8_t *)(uintptr_t)(STUB_BASE + STUB_ENTRY64);
    emit_save_host(&e);
    emit_0fae_abs(&e, true, 1, CTX_BASE + CTX_IN_FX);   /* fxrstor64 */
    emit_load_flags(&e);
    for (int r = 0; r < NC_NR_GPRS; r++)
        if (r != 4)
            emit_abs64(&e, 0x8b, r, CTX_BASE + CTX_IN_REGS + 8 * r);
    emit_abs64(&e, 0x8b, 4, CTX_BASE + CTX_IN_REGS + 8 * 4);
    emit_jmp_rel32(&e, NC_CODE_BASE);

    /* entry32: as entry64, with flat 32-bit data segments (a 64-bit
     * process may run with null DS/ES, which would fault in compatibility
     * mode), then a far jump through the 32-bit code selector. */
    e.p = (uint8_t *)(uintptr_t)(STUB_BASE + STUB_ENTRY32);
    emit_save_host(&e);
    emit_0fae_abs(&e, true, 1, CTX_BASE + CTX_IN_FX);   /* fxrstor64 */
    e8(&e, 0xb8); e32(&e, SEL_USER_DS);        /* mov eax, __USER_DS */
    e8(&e, 0x8e); e8(&e, 0xd8);                /* mov ds, eax */
    e8(&e, 0x8e); e8(&e, 0xc0);                /* mov es, eax */
    e8(&e, 0x8e); e8(&e, 0xd0);                /* mov ss, eax */
    emit_load_flags(&e);
    for (int r = 0; r < 8; r++)
        if (r != 4)
            emit_load32_in64(&e, r, CTX_BASE + CTX_IN_REGS + 8 * r);
    emit_load32_in64(&e, 4, CTX_BASE + CTX_IN_REGS + 8 * 4);
    e8(&e, 0xff); e8(&e, 0x2c); e8(&e, 0x25);  /* jmp far [abs32] (m16:32) */
    e32(&e, CTX_BASE + CTX_FAR32);

    /* exit64: every register saved before anything can change one; the
     * flags need a stack, so switch to the scratch one first. */
    e.p = (uint8_t *)(uintptr_t)(STUB_BASE + STUB_EXIT64);
    for (int r = 0; r < NC_NR_GPRS; r++)
        emit_abs64(&e, 0x89, r, CTX_BASE + CTX_OUT_REGS + 8 * r);
    e8(&e, 0x48); e8(&e, 0xc7); e8(&e, 0xc4);  /* mov rsp, imm32 */
    e32(&e, CTX_BASE + CTX_STACK_TOP);
    e8(&e, 0x9c);                              /* pushfq */
    e8(&e, 0x58);                              /* pop rax */
    emit_abs64(&e, 0x89, 0, CTX_BASE + CTX_OUT_FLAGS);
    emit_jmp_rel32(&e, STUB_BASE + STUB_RETURN);

    /* exit32: the same in compatibility mode, then a far jump back to the
     * 64-bit code selector. */
    e.p = (uint8_t *)(uintptr_t)(STUB_BASE + STUB_EXIT32);
    for (int r = 0; r < 8; r++)
        emit_store32_in32(&e, r, CTX_BASE + CTX_OUT_REGS + 8 * r);
    e8(&e, 0xbc); e32(&e, CTX_BASE + CTX_STACK_TOP);  /* mov esp, imm32 */
    e8(&e, 0x9c);                                     /* pushfd */
    e8(&e, 0x58);                                     /* pop eax */
    emit_store32_in32(&e, 0, CTX_BASE + CTX_OUT_FLAGS);
    e8(&e, 0xff); e8(&e, 0x2d);                       /* jmp far [abs32] */
    e32(&e, CTX_BASE + CTX_FAR64);

    /* return: the x87/SSE state saved (back in 64-bit mode, so XMM8-15
     * too), then the C stack with DF clear and the x87/SSE state of the
     * ABI (the case may have left unmasked exceptions or odd rounding). */
    e.p = (uint8_t *)(uintptr_t)(STUB_BASE + STUB_RETURN);
    emit_0fae_abs(&e, true, 0, CTX_BASE + CTX_OUT_FX);  /* fxsave64 */
    e8(&e, 0xdb); e8(&e, 0xe3);                       /* fninit */
    emit_0fae_abs(&e, false, 2, CTX_BASE + CTX_MXCSR_INIT);  /* ldmxcsr */
    e8(&e, 0xfc);                                     /* cld */
    emit_abs64(&e, 0x8b, 4, CTX_BASE + CTX_HOST_RSP);
    static const uint8_t pops[] = { 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3 };
    memcpy(e.p, pops, sizeof(pops));

    uint8_t *ctx = (uint8_t *)(uintptr_t)CTX_BASE;
    uint32_t off32 = NC_CODE_BASE, off64 = STUB_BASE + STUB_RETURN;
    uint16_t sel32 = SEL_USER32_CS, sel64 = SEL_USER_CS;
    memcpy(ctx + CTX_FAR32, &off32, 4);
    memcpy(ctx + CTX_FAR32 + 4, &sel32, 2);
    memcpy(ctx + CTX_FAR64, &off64, 4);
    memcpy(ctx + CTX_FAR64 + 4, &sel64, 2);
    uint32_t mxcsr = 0x1f80;
    memcpy(ctx + CTX_MXCSR_INIT, &mxcsr, 4);
}

static bool child_map(uintptr_t addr, size_t len, int prot)
{
    void *p = mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED)
        return false;
    if (p != (void *)addr) {   /* a kernel without MAP_FIXED_NOREPLACE */
        munmap(p, len);
        return false;
    }
    return true;
}

static void child_setup(void)
{
    /* Guard pages keep anything else from being mapped next to the data
     * area, so a sequence walking off it always faults. */
    if (!child_map(NC_DATA_BASE - 4096, 4096, PROT_NONE) ||
        !child_map(NC_DATA_BASE, NC_DATA_SIZE, PROT_READ | PROT_WRITE) ||
        !child_map(NC_DATA_BASE + NC_DATA_SIZE, 4096, PROT_NONE) ||
        !child_map(NC_CODE_BASE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) ||
        !child_map(STUB_BASE, 4096, PROT_READ | PROT_WRITE) ||
        !child_map(CTX_BASE, 4096, PROT_READ | PROT_WRITE)) {
        fprintf(stderr, "nativecmp child: cannot map the fixed areas: %s\n", strerror(errno));
        _exit(3);
    }
    child_write_stubs();
    if (mprotect((void *)(uintptr_t)STUB_BASE, 4096, PROT_READ | PROT_EXEC) != 0)
        _exit(3);

    static const size_t altsize = 256 * 1024;
    stack_t ss = { .ss_sp = malloc(altsize), .ss_size = altsize, .ss_flags = 0 };
    if (!ss.ss_sp || sigaltstack(&ss, NULL) != 0)
        _exit(3);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = child_on_signal;
    /* NODEFER: the handler leaves by siglongjmp without restoring a mask. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
}

/* Runs the case through an entry stub; false when it ended in a signal.
 * Kept apart so no caller variable lives across the siglongjmp. */
static __attribute__((noinline)) bool child_enter(struct child *ch, uintptr_t entry_addr)
{
    void (*entry)(void) = (void (*)(void))entry_addr;
    if (sigsetjmp(ch->jmp, 0) != 0)
        return true;
    ch->in_test = 1;
    entry();
    ch->in_test = 0;
    return false;
}

static void child_run_one(struct child *ch, const struct nc_case *c, struct nc_state *st)
{
    bool m64 = c->mode == NC_MODE_64;
    uint8_t *code = (uint8_t *)(uintptr_t)NC_CODE_BASE;
    uint8_t *ctx = (uint8_t *)(uintptr_t)CTX_BASE;
    uint32_t len = c->code_len <= NC_CODE_MAX ? c->code_len : NC_CODE_MAX;

    memcpy(code, c->code, len);
    struct emit e = { code + len };
    emit_jmp_rel32(&e, STUB_BASE + (m64 ? STUB_EXIT64 : STUB_EXIT32));
    memcpy((void *)(uintptr_t)NC_DATA_BASE, c->data, NC_DATA_SIZE);
    memcpy(ctx + CTX_IN_REGS, c->regs, sizeof(c->regs));
    memcpy(ctx + CTX_IN_FLAGS, &c->rflags, 8);
    memcpy(ctx + CTX_IN_FX, c->fx, NC_FX_SIZE);
    memset(ctx + CTX_OUT_REGS, 0, 8 * NC_NR_GPRS + 8);
    memset(ctx + CTX_OUT_FX, 0, NC_FX_SIZE);

    memset(st, 0, offsetof(struct nc_state, data));
    if (!child_enter(ch, STUB_BASE + (m64 ? STUB_ENTRY64 : STUB_ENTRY32))) {
        st->vector = -1;
        memcpy(st->regs, ctx + CTX_OUT_REGS, sizeof(st->regs));
        memcpy(&st->rflags, ctx + CTX_OUT_FLAGS, 8);
        memcpy(st->fx, ctx + CTX_OUT_FX, NC_FX_SIZE);
        st->rip = NC_CODE_BASE + len;
    } else {
        st->vector = (int32_t)ch->trapno;
        st->signo = ch->sig;
        st->rip = ch->rip;
        /* The kernel shows the image the CPU pushed, where faults set RF;
         * the architectural RFLAGS at the instruction has it clear. */
        st->rflags = ch->rflags & ~0x10000ull;
        memcpy(st->regs, ch->regs, sizeof(st->regs));
        memcpy(st->fx, ch->fx, NC_FX_SIZE);
        if (ch->trapno == 13 || ch->trapno == 14 || ch->trapno == 12 || ch->trapno == 11 ||
            ch->trapno == 17)
            st->error_code = (uint32_t)ch->err;
        if (ch->trapno == 14)
            st->fault_addr = ch->cr2;
        uint64_t expect_cs = m64 ? SEL_USER_CS : SEL_USER32_CS;
        if (ch->rip - STUB_BASE < 0x2000 || ch->cs != expect_cs) {
            st->status = NC_STATUS_HARNESS;
            snprintf(st->note, sizeof(st->note), "signal %d in the harness stub (rip %#llx cs %#llx)",
                     ch->sig, (unsigned long long)ch->rip, (unsigned long long)ch->cs);
        }
    }
    if (!m64) {
        /* Compatibility mode sees only the low halves of eight registers. */
        for (int i = 0; i < NC_NR_GPRS; i++)
            st->regs[i] = i < 8 ? (uint32_t)st->regs[i] : 0;
        st->rip = (uint32_t)st->rip;
    }
    st->rflags &= 0xffffffffu;
    memcpy(st->data, (void *)(uintptr_t)NC_DATA_BASE, NC_DATA_SIZE);
}

static bool io_full(int fd, void *buf, size_t len, bool wr)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = wr ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static _Noreturn void child_main(struct shared *sh, int fd)
{
    static struct child ch;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* Drop the descriptors inherited from the parent (other runners'
     * sockets among them: they would keep those children from seeing EOF). */
    if (fd > 3)
        close_range(3, (unsigned)fd - 1, 0);
    close_range((unsigned)fd + 1, ~0u, 0);
    nc_child = &ch;
    child_setup();
    for (;;) {
        uint32_t msg[2];
        if (!io_full(fd, msg, sizeof(msg), false))
            _exit(0);
        for (uint32_t i = msg[0]; i < msg[1] && i < BATCH; i++) {
            sh->progress = i;
            child_run_one(&ch, &sh->cases[i], &sh->results[i]);
        }
        if (!io_full(fd, &msg[1], 4, true))
            _exit(0);
    }
}

/* ---- parent side ---- */

static int native_start_child(struct native *n)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        close(sv[0]);
        child_main(n->sh, sv[1]);
    }
    close(sv[1]);
    n->pid = pid;
    n->fd = sv[0];
    n->starts++;
    return 0;
}

static void native_stop_child(struct native *n, bool force)
{
    if (n->pid <= 0)
        return;
    if (force)
        kill(n->pid, SIGKILL);
    close(n->fd);
    n->fd = -1;
    waitpid(n->pid, NULL, 0);
    n->pid = 0;
}

/* Waits for the child's reply to a batch. Returns 0 when it came, else the
 * child is gone or stuck and why says how. */
static int native_wait_reply(struct native *n, char *why, size_t why_len)
{
    struct pollfd pfd = { .fd = n->fd, .events = POLLIN };
    int pr;
    do
        pr = poll(&pfd, 1, BATCH_TIMEOUT_MS);
    while (pr < 0 && errno == EINTR);
    if (pr == 0) {
        kill(n->pid, SIGKILL);
        snprintf(why, why_len, "timeout: child killed");
        return -1;
    }
    uint32_t done;
    if (pr > 0 && io_full(n->fd, &done, 4, false))
        return 0;
    int status = 0;
    if (waitpid(n->pid, &status, 0) == n->pid) {
        n->pid = 0;
        if (WIFSIGNALED(status))
            snprintf(why, why_len, "child killed by signal %d", WTERMSIG(status));
        else
            snprintf(why, why_len, "child exited with status %d", WEXITSTATUS(status));
    } else {
        snprintf(why, why_len, "child lost");
    }
    return -1;
}

static int native_run_batch(void *opaque, const struct nc_case *cases, struct nc_state *out, size_t count)
{
    struct native *n = opaque;
    for (size_t off = 0; off < count; off += BATCH) {
        uint32_t k = (uint32_t)(count - off < BATCH ? count - off : BATCH);
        memcpy(n->sh->cases, cases + off, k * sizeof(struct nc_case));
        uint32_t first = 0;
        while (first < k) {
            if (n->pid <= 0 && native_start_child(n) != 0)
                return -1;
            n->sh->progress = first;
            uint32_t msg[2] = { first, k };
            char why[64] = "child lost";
            if (io_full(n->fd, msg, sizeof(msg), true) && native_wait_reply(n, why, sizeof(why)) == 0)
                break;
            /* The case in progress took the child down: report it as a
             * harness failure and go on with a fresh child after it. */
            uint32_t bad = n->sh->progress;
            if (bad < first || bad >= k)
                bad = first;
            struct nc_state *st = &n->sh->results[bad];
            memset(st, 0, sizeof(*st));
            st->status = NC_STATUS_HARNESS;
            st->vector = -1;
            snprintf(st->note, sizeof(st->note), "%s", why);
            native_stop_child(n, true);
            first = bad + 1;
        }
        memcpy(out + off, n->sh->results, k * sizeof(struct nc_state));
    }
    return 0;
}

static int native_run(void *opaque, const struct nc_case *c, struct nc_state *out)
{
    return native_run_batch(opaque, c, out, 1);
}

static void native_destroy(void *opaque)
{
    struct native *n = opaque;
    if (!n)
        return;
    native_stop_child(n, false);
    munmap(n->sh, sizeof(*n->sh));
    free(n);
}

int nc_native_create(struct nc_runner *r, char *why, size_t why_len)
{
#if !defined(__x86_64__) || !defined(__linux__)
    snprintf(why, why_len, "the native runner needs an x86-64 Linux host");
    (void)r;
    return -1;
#else
    struct native *n = calloc(1, sizeof(*n));
    if (!n) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    n->fd = -1;
    n->sh = mmap(NULL, sizeof(*n->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (n->sh == MAP_FAILED) {
        snprintf(why, why_len, "mmap: %s", strerror(errno));
        free(n);
        return -1;
    }
    if (native_start_child(n) != 0) {
        snprintf(why, why_len, "fork: %s", strerror(errno));
        munmap(n->sh, sizeof(*n->sh));
        free(n);
        return -1;
    }
    memset(r, 0, sizeof(*r));
    r->name = "native";
    r->opaque = n;
    r->run = native_run;
    r->run_batch = native_run_batch;
    r->destroy = native_destroy;

    /* A trivial 64-bit case proves the child maps its areas and runs. */
    static struct nc_case c;
    static struct nc_state st;
    memset(&c, 0, sizeof(c));
    c.mode = NC_MODE_64;
    c.rflags = NC_FLAGS_FIXED;
    nc_fx_reset(c.fx);
    c.code_len = 0;
    if (native_run(n, &c, &st) != 0 || st.status != NC_STATUS_OK || st.vector != -1) {
        snprintf(why, why_len, "the child cannot run code: %s",
                 st.status ? st.note : "unexpected exception");
        nc_runner_destroy(r);
        return -1;
    }
    return 0;
#endif
}

bool nc_native_probe_compat32(const struct nc_runner *r, char *why, size_t why_len)
{
    static struct nc_case c;
    static struct nc_state st;
    memset(&c, 0, sizeof(c));
    c.mode = NC_MODE_32;
    c.rflags = NC_FLAGS_FIXED;
    nc_fx_reset(c.fx);
    c.regs[4] = NC_DATA_BASE + 0x800;
    /* push 0x12345678; pop eax; inc ecx */
    static const uint8_t code[] = { 0x68, 0x78, 0x56, 0x34, 0x12, 0x58, 0x41 };
    memcpy(c.code, code, sizeof(code));
    c.code_len = sizeof(code);
    if (r->run(r->opaque, &c, &st) != 0) {
        snprintf(why, why_len, "native runner failed");
        return false;
    }
    if (st.status != NC_STATUS_OK || st.vector != -1 || st.regs[0] != 0x12345678 || st.regs[1] != 1) {
        snprintf(why, why_len, "32-bit compatibility-mode code does not run here (%s%s vector %d)",
                 st.status ? "harness: " : "", st.status ? st.note : "", st.vector);
        return false;
    }
    return true;
}

unsigned nc_native_child_starts(const struct nc_runner *r)
{
    const struct native *n = r->opaque;
    return n->starts;
}
