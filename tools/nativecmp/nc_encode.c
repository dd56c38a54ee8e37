/* nativecmp: the instruction encoder (Intel SDM vol. 2, chapter 2: legacy
 * prefixes, REX, ModRM, SIB, displacement, immediate). */
#include <string.h>

#include "tools/nativecmp/nc_encode.h"

void nc_insn_init(struct nc_insn *in)
{
    memset(in, 0, sizeof(*in));
    in->opreg = -1;
    in->rm.base = -1;
    in->rm.index = -1;
}

void nc_insn_prefix(struct nc_insn *in, uint8_t p)
{
    if (in->nprefix < sizeof(in->prefix))
        in->prefix[in->nprefix++] = p;
}

void nc_insn_op(struct nc_insn *in, int n, uint8_t b0, uint8_t b1, uint8_t b2)
{
    in->nopcode = (uint8_t)n;
    in->opcode[0] = b0;
    in->opcode[1] = b1;
    in->opcode[2] = b2;
}

static bool fits8(int64_t v)
{
    return v >= -128 && v <= 127;
}

struct out {
    uint8_t b[32];
    int n;
};

static void put(struct out *o, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        o->b[o->n++] = (uint8_t)(v >> (8 * i));
}

/* ModRM (with reg already known), SIB and displacement for a memory operand.
 * *disp_off / *disp_len locate the displacement for RIP-relative patching. */
static bool encode_mem(const struct nc_rm *m, bool mode64, uint8_t reg, uint8_t *rex,
                       struct out *o, int *disp_off)
{
    uint8_t r = (uint8_t)((reg & 7) << 3);
    *disp_off = -1;
    if (m->asize == 16) {
        if (mode64 || m->base >= 0 || m->index >= 0)
            return false;
        if (m->abs16) {
            put(o, r | 6, 1);
            put(o, (uint16_t)m->disp, 2);
            return true;
        }
        int db = m->disp_bytes;
        if (db == 0)
            db = (m->disp == 0 && m->rm16 != 6) ? 0 : fits8(m->disp) ? 1 : 2;
        if (db == 0 && m->rm16 == 6)
            db = 1;   /* [bp] alone is only encodable with a displacement */
        if (db == 1 && !fits8(m->disp))
            return false;
        if (db == 4)
            return false;
        put(o, (uint8_t)((db == 0 ? 0 : db == 1 ? 0x40 : 0x80) | r | (m->rm16 & 7)), 1);
        put(o, (uint64_t)(int64_t)m->disp, db);
        return true;
    }

    if (m->rip) {
        if (!mode64)
            return false;
        put(o, r | 5, 1);
        *disp_off = o->n;
        put(o, 0, 4);
        return true;
    }

    int base = m->base, index = m->index;
    if (index == 4)
        return false;   /* RSP cannot be an index */
    if ((base >= 8 || index >= 8) && !mode64)
        return false;
    if (base < 0) {
        /* No base: disp32 alone. 32-bit addressing has a ModRM form for it;
         * 64-bit mode needs the SIB form (ModRM rm=101 is RIP-relative). */
        if (index < 0 && !mode64 && !m->force_sib) {
            put(o, r | 5, 1);
            put(o, (uint32_t)m->disp, 4);
            return true;
        }
        put(o, r | 4, 1);
        uint8_t sib = (uint8_t)(((index >= 0 ? m->scale : m->junk_scale) & 3) << 6);
        sib |= (uint8_t)((index >= 0 ? (index & 7) : 4) << 3) | 5;
        if (index >= 8)
            *rex |= 2;
        put(o, sib, 1);
        put(o, (uint32_t)m->disp, 4);
        return true;
    }

    int db = m->disp_bytes;
    if (db == 0)
        db = (m->disp == 0 && (base & 7) != 5) ? 0 : fits8(m->disp) ? 1 : 4;
    if (db == 0 && (base & 7) == 5)
        db = 1;
    if (db == 2 || (db == 1 && !fits8(m->disp)))
        return false;
    uint8_t mod = db == 0 ? 0 : db == 1 ? 0x40 : 0x80;
    if (base >= 8)
        *rex |= 1;
    if (index >= 0 || (base & 7) == 4 || m->force_sib) {
        put(o, mod | r | 4, 1);
        uint8_t sib = (uint8_t)(((index >= 0 ? m->scale : m->junk_scale) & 3) << 6);
        sib |= (uint8_t)((index >= 0 ? (index & 7) : 4) << 3) | (base & 7);
        if (index >= 8)
            *rex |= 2;
        put(o, sib, 1);
    } else {
        put(o, mod | r | (base & 7), 1);
    }
    put(o, (uint64_t)(int64_t)m->disp, db);
    return true;
}

int nc_encode(const struct nc_insn *in, bool mode64, uint64_t addr, uint8_t *outbuf, int *imm_off)
{
    struct out body = { .n = 0 };
    uint8_t rex = in->rex_w ? 8 : 0;
    int disp_off = -1;

    for (int i = 0; i < in->nopcode; i++)
        put(&body, in->opcode[i], 1);
    if (in->opreg >= 0) {
        if (in->opreg >= 8 && !mode64)
            return 0;
        body.b[body.n - 1] |= (uint8_t)(in->opreg & 7);
        if (in->opreg >= 8)
            rex |= 1;
    }
    if (in->has_modrm) {
        if (in->reg >= 8) {
            if (!mode64)
                return 0;
            rex |= 4;
        }
        if (in->rm.kind == NC_RM_REG) {
            if (in->rm.reg >= 8) {
                if (!mode64)
                    return 0;
                rex |= 1;
            }
            put(&body, (uint8_t)(0xc0 | ((in->reg & 7) << 3) | (in->rm.reg & 7)), 1);
        } else if (!encode_mem(&in->rm, mode64, in->reg, &rex, &body, &disp_off)) {
            return 0;
        }
    }
    int imm_at = body.n;
    put(&body, in->imm, in->imm_bytes);
    put(&body, in->imm2, in->imm2_bytes);

    if ((rex || in->rex_force) && !mode64)
        return 0;
    int pre = in->nprefix + ((rex || in->rex_force) ? 1 : 0);
    int len = pre + body.n;
    if (len > NC_INSN_MAX)
        return 0;

    memcpy(outbuf, in->prefix, in->nprefix);
    if (rex || in->rex_force)
        outbuf[in->nprefix] = (uint8_t)(0x40 | rex);
    memcpy(outbuf + pre, body.b, (size_t)body.n);
    if (disp_off >= 0) {
        int64_t d = (int64_t)(in->rm.rip_target - (addr + (uint64_t)len));
        if (d < INT32_MIN || d > INT32_MAX)
            return 0;
        uint32_t d32 = (uint32_t)d;
        memcpy(outbuf + pre + disp_off, &d32, 4);
    }
    if (imm_off)
        *imm_off = pre + imm_at;
    return len;
}
