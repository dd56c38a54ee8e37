/* Copies struct x86_cpu into KVM's vCPU and back: general, segment, control
 * and debug registers, MSRs, FPU/SSE state, XCR0 and pending events. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cpu/cpu.h"
#include "hwaccel/kvm_internal.h"

/* The MSRs vx86 keeps in struct x86_msrs, with where each lives. */
static const uint32_t kvm_wanted_msrs[] = {
    0x10,        /* TSC */
    0x174, 0x175, 0x176, /* SYSENTER_CS/ESP/EIP */
    0x277,       /* PAT */
    0x1a0,       /* MISC_ENABLE */
    0x2ff,       /* MTRRdefType */
    0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR LSTAR CSTAR FMASK */
    0xc0000102,  /* KERNEL_GS_BASE */
    0xc0000103,  /* TSC_AUX */
};

static uint64_t *kvm_msr_slot(struct x86_msrs *msr, uint32_t index)
{
    switch (index) {
    case 0x10: return &msr->tsc;
    case 0x174: return &msr->sysenter_cs;
    case 0x175: return &msr->sysenter_esp;
    case 0x176: return &msr->sysenter_eip;
    case 0x277: return &msr->pat;
    case 0x1a0: return &msr->misc_enable;
    case 0x2ff: return &msr->mtrr_cap_def_type;
    case 0xc0000081: return &msr->star;
    case 0xc0000082: return &msr->lstar;
    case 0xc0000083: return &msr->cstar;
    case 0xc0000084: return &msr->fmask;
    case 0xc0000102: return &msr->kernel_gs_base;
    case 0xc0000103: return &msr->tsc_aux;
    default: return NULL;
    }
}

int kvm_state_init_msr_list(struct kvm_engine *k)
{
    struct {
        struct kvm_msr_list list;
        uint32_t indices[1024];
    } l;
    l.list.nmsrs = 1024;
    if (ioctl(k->kvm_fd, KVM_GET_MSR_INDEX_LIST, &l) < 0)
        return -errno;
    k->msr_count = 0;
    for (unsigned i = 0; i < sizeof(kvm_wanted_msrs) / sizeof(kvm_wanted_msrs[0]); i++)
        for (unsigned j = 0; j < l.list.nmsrs; j++)
            if (l.indices[j] == kvm_wanted_msrs[i]) {
                k->msr_list[k->msr_count++] = kvm_wanted_msrs[i];
                break;
            }
    return 0;
}

static void seg_to_kvm(const struct x86_segment *s, struct kvm_segment *k)
{
    memset(k, 0, sizeof(*k));
    k->base = s->base;
    k->limit = s->limit;
    k->selector = s->selector;
    k->type = s->attr & SEG_ATTR_TYPE_MASK;
    k->s = !!(s->attr & SEG_ATTR_S);
    k->dpl = (s->attr & SEG_ATTR_DPL_MASK) >> SEG_ATTR_DPL_SHIFT;
    k->present = !!(s->attr & SEG_ATTR_P);
    k->avl = !!(s->attr & SEG_ATTR_AVL);
    k->l = !!(s->attr & SEG_ATTR_L);
    k->db = !!(s->attr & SEG_ATTR_DB);
    k->g = !!(s->attr & SEG_ATTR_G);
    k->unusable = s->unusable;
}

static void seg_from_kvm(const struct kvm_segment *k, struct x86_segment *s)
{
    s->base = k->base;
    s->limit = k->limit;
    s->selector = k->selector;
    s->attr = (uint16_t)((k->type & 0xf) | (k->s ? SEG_ATTR_S : 0) |
                         ((k->dpl & 3) << SEG_ATTR_DPL_SHIFT) | (k->present ? SEG_ATTR_P : 0) |
                         (k->avl ? SEG_ATTR_AVL : 0) | (k->l ? SEG_ATTR_L : 0) |
                         (k->db ? SEG_ATTR_DB : 0) | (k->g ? SEG_ATTR_G : 0));
    s->unusable = k->unusable;
}

/* FPU/SSE state goes through the XSAVE area when KVM has it: its legacy
 * region is the FXSAVE image, and marking x87 and SSE present in XSTATE_BV
 * makes every field (MXCSR included) load as given. KVM_SET_FPU is the
 * fallback for hosts without KVM_CAP_XSAVE. */
static void fxsave_image_from_fpu(uint8_t *img, const struct x86_fpu *f)
{
    memcpy(img + 0, &f->fcw, 2);
    memcpy(img + 2, &f->fsw, 2);
    img[4] = f->ftw;
    memcpy(img + 6, &f->fop, 2);
    memcpy(img + 8, &f->fip, 8);
    memcpy(img + 16, &f->fdp, 8);
    memcpy(img + 24, &f->mxcsr, 4);
    uint32_t mask = 0xffff;
    memcpy(img + 28, &mask, 4);
    memcpy(img + 32, f->st, sizeof(f->st));
    memcpy(img + 160, f->xmm, sizeof(f->xmm));
}

static void fxsave_image_to_fpu(const uint8_t *img, struct x86_fpu *f)
{
    memcpy(&f->fcw, img + 0, 2);
    memcpy(&f->fsw, img + 2, 2);
    f->ftw = img[4];
    memcpy(&f->fop, img + 6, 2);
    memcpy(&f->fip, img + 8, 8);
    memcpy(&f->fdp, img + 16, 8);
    memcpy(&f->mxcsr, img + 24, 4);
    memcpy(f->st, img + 32, sizeof(f->st));
    memcpy(f->xmm, img + 160, sizeof(f->xmm));
}

static int kvm_fpu_put(struct kvm_engine *k, const struct x86_fpu *f)
{
    if (k->has_xsave) {
        struct kvm_xsave xs;
        if (ioctl(k->vcpu_fd, KVM_GET_XSAVE, &xs) < 0)
            return -errno;
        uint8_t *img = (uint8_t *)xs.region;
        fxsave_image_from_fpu(img, f);
        uint64_t bv;
        memcpy(&bv, img + 512, 8);
        bv |= 3; /* x87 and SSE components hold the values just written */
        memcpy(img + 512, &bv, 8);
        return ioctl(k->vcpu_fd, KVM_SET_XSAVE, &xs) < 0 ? -errno : 0;
    }
    struct kvm_fpu fpu;
    memset(&fpu, 0, sizeof(fpu));
    memcpy(fpu.fpr, f->st, sizeof(fpu.fpr));
    fpu.fcw = f->fcw;
    fpu.fsw = f->fsw;
    fpu.ftwx = f->ftw;
    fpu.last_opcode = f->fop;
    fpu.last_ip = f->fip;
    fpu.last_dp = f->fdp;
    memcpy(fpu.xmm, f->xmm, sizeof(fpu.xmm));
    fpu.mxcsr = f->mxcsr;
    return ioctl(k->vcpu_fd, KVM_SET_FPU, &fpu) < 0 ? -errno : 0;
}

static int kvm_fpu_get(struct kvm_engine *k, struct x86_fpu *f)
{
    if (k->has_xsave) {
        struct kvm_xsave xs;
        if (ioctl(k->vcpu_fd, KVM_GET_XSAVE, &xs) < 0)
            return -errno;
        fxsave_image_to_fpu((const uint8_t *)xs.region, f);
        return 0;
    }
    struct kvm_fpu fpu;
    if (ioctl(k->vcpu_fd, KVM_GET_FPU, &fpu) < 0)
        return -errno;
    memcpy(f->st, fpu.fpr, sizeof(f->st));
    f->fcw = fpu.fcw;
    f->fsw = fpu.fsw;
    f->ftw = fpu.ftwx;
    f->fop = fpu.last_opcode;
    f->fip = fpu.last_ip;
    f->fdp = fpu.last_dp;
    memcpy(f->xmm, fpu.xmm, sizeof(f->xmm));
    f->mxcsr = fpu.mxcsr;
    return 0;
}

int kvm_state_put(struct kvm_engine *k, const struct x86_cpu *cpu)
{
    struct kvm_regs regs = {
        .rax = cpu->regs[R_RAX], .rbx = cpu->regs[R_RBX], .rcx = cpu->regs[R_RCX],
        .rdx = cpu->regs[R_RDX], .rsi = cpu->regs[R_RSI], .rdi = cpu->regs[R_RDI],
        .rsp = cpu->regs[R_RSP], .rbp = cpu->regs[R_RBP],
        .r8 = cpu->regs[R_R8], .r9 = cpu->regs[R_R9], .r10 = cpu->regs[R_R10],
        .r11 = cpu->regs[R_R11], .r12 = cpu->regs[R_R12], .r13 = cpu->regs[R_R13],
        .r14 = cpu->regs[R_R14], .r15 = cpu->regs[R_R15],
        .rip = cpu->rip, .rflags = cpu->rflags,
    };
    if (ioctl(k->vcpu_fd, KVM_SET_REGS, &regs) < 0)
        return -errno;

    struct kvm_sregs sregs;
    memset(&sregs, 0, sizeof(sregs));
    seg_to_kvm(&cpu->seg[S_CS], &sregs.cs);
    seg_to_kvm(&cpu->seg[S_DS], &sregs.ds);
    seg_to_kvm(&cpu->seg[S_ES], &sregs.es);
    seg_to_kvm(&cpu->seg[S_FS], &sregs.fs);
    seg_to_kvm(&cpu->seg[S_GS], &sregs.gs);
    seg_to_kvm(&cpu->seg[S_SS], &sregs.ss);
    seg_to_kvm(&cpu->tr, &sregs.tr);
    seg_to_kvm(&cpu->ldtr, &sregs.ldt);
    sregs.gdt.base = cpu->gdtr.base;
    sregs.gdt.limit = cpu->gdtr.limit;
    sregs.idt.base = cpu->idtr.base;
    sregs.idt.limit = cpu->idtr.limit;
    sregs.cr0 = cpu->cr0;
    sregs.cr2 = cpu->cr2;
    sregs.cr3 = cpu->cr3;
    sregs.cr4 = cpu->cr4;
    sregs.cr8 = cpu->cr8;
    sregs.efer = cpu->efer;
    sregs.apic_base = cpu->apic_base;
    k->apic_base_seen = cpu->apic_base;
    if (ioctl(k->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
        return -errno;

    int r = kvm_fpu_put(k, &cpu->fpu);
    if (r < 0)
        return r;

    if (k->has_xcrs) {
        struct kvm_xcrs xcrs;
        memset(&xcrs, 0, sizeof(xcrs));
        xcrs.nr_xcrs = 1;
        xcrs.xcrs[0].xcr = 0;
        xcrs.xcrs[0].value = cpu->xcr0;
        if (ioctl(k->vcpu_fd, KVM_SET_XCRS, &xcrs) < 0)
            return -errno;
    }

    struct kvm_debugregs dbg;
    memset(&dbg, 0, sizeof(dbg));
    for (int i = 0; i < 4; i++)
        dbg.db[i] = cpu->dr[i];
    dbg.dr6 = cpu->dr[6];
    dbg.dr7 = cpu->dr[7];
    if (ioctl(k->vcpu_fd, KVM_SET_DEBUGREGS, &dbg) < 0)
        return -errno;

    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[64];
    } msrs;
    memset(&msrs, 0, sizeof(msrs));
    struct x86_msrs mcopy = cpu->msr;
    for (unsigned i = 0; i < k->msr_count; i++) {
        msrs.e[i].index = k->msr_list[i];
        msrs.e[i].data = *kvm_msr_slot(&mcopy, k->msr_list[i]);
    }
    msrs.hdr.nmsrs = k->msr_count;
    r = ioctl(k->vcpu_fd, KVM_SET_MSRS, &msrs);
    if (r < 0)
        return -errno;

    struct kvm_vcpu_events ev;
    memset(&ev, 0, sizeof(ev));
    ev.exception.injected = cpu->exception.valid;
    ev.exception.nr = cpu->exception.vector;
    ev.exception.has_error_code = cpu->exception.has_error_code;
    ev.exception.error_code = cpu->exception.error_code;
    ev.interrupt.injected = cpu->interrupt.valid;
    ev.interrupt.nr = cpu->interrupt.vector;
    ev.interrupt.soft = cpu->interrupt.soft;
    ev.interrupt.shadow = cpu->interrupt_shadow ? 1 : 0;
    ev.nmi.injected = cpu->nmi_injected;
    ev.nmi.pending = cpu->nmi_pending;
    ev.nmi.masked = cpu->nmi_masked;
    ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
    if (ioctl(k->vcpu_fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
        return -errno;

    struct kvm_mp_state mp = { cpu->halted ? KVM_MP_STATE_HALTED : KVM_MP_STATE_RUNNABLE };
    ioctl(k->vcpu_fd, KVM_SET_MP_STATE, &mp); /* best effort: needs in-kernel irqchip on some hosts */
    return 0;
}

int kvm_state_get(struct kvm_engine *k, struct x86_cpu *cpu)
{
    struct kvm_regs regs;
    if (ioctl(k->vcpu_fd, KVM_GET_REGS, &regs) < 0)
        return -errno;
    cpu->regs[R_RAX] = regs.rax; cpu->regs[R_RBX] = regs.rbx;
    cpu->regs[R_RCX] = regs.rcx; cpu->regs[R_RDX] = regs.rdx;
    cpu->regs[R_RSI] = regs.rsi; cpu->regs[R_RDI] = regs.rdi;
    cpu->regs[R_RSP] = regs.rsp; cpu->regs[R_RBP] = regs.rbp;
    cpu->regs[R_R8] = regs.r8; cpu->regs[R_R9] = regs.r9;
    cpu->regs[R_R10] = regs.r10; cpu->regs[R_R11] = regs.r11;
    cpu->regs[R_R12] = regs.r12; cpu->regs[R_R13] = regs.r13;
    cpu->regs[R_R14] = regs.r14; cpu->regs[R_R15] = regs.r15;
    cpu->rip = regs.rip;
    cpu->rflags = regs.rflags;

    struct kvm_sregs sregs;
    if (ioctl(k->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
        return -errno;
    seg_from_kvm(&sregs.cs, &cpu->seg[S_CS]);
    seg_from_kvm(&sregs.ds, &cpu->seg[S_DS]);
    seg_from_kvm(&sregs.es, &cpu->seg[S_ES]);
    seg_from_kvm(&sregs.fs, &cpu->seg[S_FS]);
    seg_from_kvm(&sregs.gs, &cpu->seg[S_GS]);
    seg_from_kvm(&sregs.ss, &cpu->seg[S_SS]);
    seg_from_kvm(&sregs.tr, &cpu->tr);
    seg_from_kvm(&sregs.ldt, &cpu->ldtr);
    cpu->gdtr.base = sregs.gdt.base;
    cpu->gdtr.limit = sregs.gdt.limit;
    cpu->idtr.base = sregs.idt.base;
    cpu->idtr.limit = sregs.idt.limit;
    cpu->cr0 = sregs.cr0;
    cpu->cr2 = sregs.cr2;
    cpu->cr3 = sregs.cr3;
    cpu->cr4 = sregs.cr4;
    cpu->cr8 = sregs.cr8;
    cpu->efer = sregs.efer;
    cpu->apic_base = sregs.apic_base;

    int r = kvm_fpu_get(k, &cpu->fpu);
    if (r < 0)
        return r;

    if (k->has_xcrs) {
        struct kvm_xcrs xcrs;
        if (ioctl(k->vcpu_fd, KVM_GET_XCRS, &xcrs) < 0)
            return -errno;
        for (unsigned i = 0; i < xcrs.nr_xcrs; i++)
            if (xcrs.xcrs[i].xcr == 0)
                cpu->xcr0 = xcrs.xcrs[i].value;
    }

    struct kvm_debugregs dbg;
    if (ioctl(k->vcpu_fd, KVM_GET_DEBUGREGS, &dbg) < 0)
        return -errno;
    for (int i = 0; i < 4; i++)
        cpu->dr[i] = dbg.db[i];
    cpu->dr[6] = dbg.dr6;
    cpu->dr[7] = dbg.dr7;

    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[64];
    } msrs;
    memset(&msrs, 0, sizeof(msrs));
    for (unsigned i = 0; i < k->msr_count; i++)
        msrs.e[i].index = k->msr_list[i];
    msrs.hdr.nmsrs = k->msr_count;
    int n = ioctl(k->vcpu_fd, KVM_GET_MSRS, &msrs);
    if (n < 0)
        return -errno;
    for (int i = 0; i < n; i++)
        *kvm_msr_slot(&cpu->msr, msrs.e[i].index) = msrs.e[i].data;

    struct kvm_vcpu_events ev;
    if (ioctl(k->vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
        return -errno;
    cpu->exception.valid = ev.exception.injected;
    cpu->exception.vector = ev.exception.nr;
    cpu->exception.has_error_code = ev.exception.has_error_code;
    cpu->exception.error_code = ev.exception.error_code;
    cpu->interrupt.valid = ev.interrupt.injected;
    cpu->interrupt.vector = ev.interrupt.nr;
    cpu->interrupt.soft = ev.interrupt.soft;
    cpu->interrupt_shadow = ev.interrupt.shadow != 0;
    cpu->nmi_injected = ev.nmi.injected;
    cpu->nmi_pending = ev.nmi.pending;
    cpu->nmi_masked = ev.nmi.masked;

    struct kvm_mp_state mp;
    if (ioctl(k->vcpu_fd, KVM_GET_MP_STATE, &mp) == 0)
        cpu->halted = mp.mp_state == KVM_MP_STATE_HALTED;
    return 0;
}
