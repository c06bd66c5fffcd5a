// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.X86Registers;
import org.xenffm.api.X86SelectorReg;

import java.util.Arrays;

import static org.xenffm.emulated.VmEventLayout.*;

/** A vm_event_request_t being built (xzalloc'd, then filled by the event source and monitor_traps). */
final class VmEventRequest {
    /**
     * The request's bytes as little-endian 8-byte words, the form the ring copies (vm_event_put_request's memcpy is
     * one bulk copy of them). Plain long stores: a segment's accessors check bounds, alignment and liveness on every
     * store, and a byte-array view a range per field — with ~60 fields per request, a third of the emulator's CPU
     * per event. A narrower field is merged into its word ({@link #set}); every field is naturally aligned.
     */
    final long[] w = new long[WORDS];
    static final int WORDS = (int) (SLOT_SIZE / 8);
    /** Words before the data union: the header and the u union. */
    static final int HEAD_WORDS = (int) (DATA >>> 3);

    /** A fresh request (events not raised by a guest instruction, e.g. mem_sharing_notify_enomem). */
    VmEventRequest(int reason) {
        set(w, REASON, 4, reason);
    }

    /**
     * The vCPU's own request, zeroed for a new event: no garbage per event. Safe to reuse because a vCPU builds one
     * request at a time and monitor_traps copies it into the ring (vm_event_put_request) before the vCPU runs on;
     * a request that waits for a ring slot waits with its vCPU asleep on the wait queue, building nothing else.
     */
    static VmEventRequest of(Vcpu v, int reason) {
        VmEventRequest r = v.request();
        long[] w = r.w;
        // the header and the u union; the data union is rewritten whole by fillRegs, or zeroed by finish()
        for (int k = 0; k < HEAD_WORDS; k++) w[k] = 0;
        r.dataFilled = false;
        set(w, REASON, 4, reason);
        return r;
    }

    /** Stores the low {@code size} bytes of {@code v} at byte offset {@code off} (naturally aligned). */
    static void set(long[] w, long off, int size, long v) {
        int i = (int) (off >>> 3), sh = (int) ((off & 7) << 3);
        if (size == 8) {
            w[i] = v;
        } else {
            long mask = ((1L << (size << 3)) - 1) << sh;
            w[i] = (w[i] & ~mask) | ((v << sh) & mask);
        }
    }

    /** {@return the {@code size}-byte field at byte offset {@code off}, zero-extended} */
    static long get(long[] w, long off, int size) {
        long word = w[(int) (off >>> 3)] >>> ((off & 7) << 3);
        return size == 8 ? word : word & ((1L << (size << 3)) - 1);
    }

    VmEventRequest flags(int f) {
        set(w, FLAGS, 4, flags() | f);
        return this;
    }

    int flags() { return (int) get(w, FLAGS, 4); }

    int reason() { return (int) get(w, REASON, 4); }

    VmEventRequest vcpu(int id) {
        set(w, VCPU_ID, 4, id);
        return this;
    }

    VmEventRequest altp2mIdx(int idx) {
        set(w, ALTP2M_IDX, 2, idx);
        return this;
    }

    VmEventRequest version() {
        set(w, VERSION_OFF, 4, VERSION);
        return this;
    }

    VmEventRequest u64(long off, long v) {
        set(w, U + off, 8, v);
        return this;
    }

    VmEventRequest u32(long off, int v) {
        set(w, U + off, 4, v);
        return this;
    }

    VmEventRequest u16(long off, int v) {
        set(w, U + off, 2, v);
        return this;
    }

    VmEventRequest u8(long off, int v) {
        set(w, U + off, 1, v);
        return this;
    }

    /**
     * The word of the request where vm_event_regs_x86's segment area starts (cs_base). From there the struct is, word
     * by word: cs|ss bases, ds|es bases (u32 each), fs_base, gs_base, the cs|ss, ds|es and fs|gs limit/attribute
     * words (u32 each), shadow_gs, gdtr_limit|cs|ss|ds selectors and es|fs|gs selectors|padding (u16 each). Each
     * word is composed in registers and stored once; the class initialiser checks these offsets against the layout.
     */
    private static final int SEG_WORD = (int) ((DATA + X86Registers.Segment.CS.baseOffset()) >>> 3);

    static {
        long[] expected = {264, 268, 272, 276, 280, 288, 296, 300, 304, 308, 312, 316, 320, 328, 330, 332, 334, 336,
                338, 340, 344};
        X86Registers.Segment[] s = X86Registers.Segment.values();
        long[] actual = {s[0].baseOffset(), s[1].baseOffset(), s[2].baseOffset(), s[3].baseOffset(), R_FS_BASE,
                R_GS_BASE, s[0].regOffset(), s[1].regOffset(), s[2].regOffset(), s[3].regOffset(), s[4].regOffset(),
                s[5].regOffset(), R_SHADOW_GS, R_GDTR_LIMIT, s[0].selOffset(), s[1].selOffset(), s[2].selOffset(),
                s[3].selOffset(), s[4].selOffset(), s[5].selOffset(), SLOT_SIZE - DATA};
        if (!Arrays.equals(expected, actual) || (DATA & 7) != 0 || s[4].baseOffset() != R_FS_BASE
                || s[5].baseOffset() != R_GS_BASE || SEG_WORD + 10 != WORDS) {
            throw new ExceptionInInitializerError("vm_event_regs_x86 is not laid out as VmEventRequest.fillRegs packs it: "
                    + Arrays.toString(actual));
        }
    }

    /** Whether the data union holds this event's registers ({@link #fillRegs}) rather than an earlier event's. */
    private boolean dataFilled = true;

    /**
     * vm_event_fill_regs (x86): every word of the data union is written, so a reused request needs no zeroing there.
     */
    void fillRegs(Registers r) {
        long[] w = this.w;
        // the GPRs in struct order, stored one by one (an array of them would be garbage per event)
        gpr(0, r.rax); gpr(1, r.rcx); gpr(2, r.rdx); gpr(3, r.rbx); gpr(4, r.rsp); gpr(5, r.rbp); gpr(6, r.rsi);
        gpr(7, r.rdi); gpr(8, r.r8); gpr(9, r.r9); gpr(10, r.r10); gpr(11, r.r11); gpr(12, r.r12); gpr(13, r.r13);
        gpr(14, r.r14); gpr(15, r.r15);
        put(R_RFLAGS, r.rflags); put(R_DR6, r.dr6); put(R_DR7, r.dr7); put(R_RIP, r.rip);
        put(R_CR0, r.cr0); put(R_CR2, r.cr2); put(R_CR3, r.cr3); put(R_CR4, r.cr4);
        put(R_SYSENTER_CS, r.sysenterCs); put(R_SYSENTER_ESP, r.sysenterEsp); put(R_SYSENTER_EIP, r.sysenterEip);
        put(R_EFER, r.msrEfer); put(R_STAR, r.msrStar); put(R_LSTAR, r.msrLstar);
        put(R_GDTR_BASE, r.gdtrBase); put(R_NPT_BASE, 0); put(R_VMTRACE_POS, ~0L);
        // vm_event_pack_segment_register: base (cs..es 32 bits), limit >> 12 when granular, 12 attribute bits,
        // selector — the segment area, word by word (see SEG_WORD)
        long[] base = r.segBase;
        int[] sel = r.sel;
        w[SEG_WORD] = pair(base[0], base[1]);
        w[SEG_WORD + 1] = pair(base[2], base[3]);
        w[SEG_WORD + 2] = r.fsBase;
        w[SEG_WORD + 3] = r.gsBase;
        w[SEG_WORD + 4] = pair(segment(r, 0), segment(r, 1));
        w[SEG_WORD + 5] = pair(segment(r, 2), segment(r, 3));
        w[SEG_WORD + 6] = pair(segment(r, 4), segment(r, 5));
        w[SEG_WORD + 7] = r.shadowGs;
        w[SEG_WORD + 8] = quad(r.gdtrLimit, sel[0], sel[1], sel[2]);
        w[SEG_WORD + 9] = quad(sel[3], sel[4], sel[5], 0);
        dataFilled = true;
    }

    /** One segment's limit/attributes word (X86SelectorReg.encode's word, without a record). */
    private static int segment(Registers r, int i) {
        int ar = r.segAr[i];
        long lim = r.segLimit[i];
        int limit = (int) (((ar & X86SelectorReg.AR_G) != 0 ? lim >>> 12 : lim) & X86SelectorReg.LIMIT_MASK);
        return limit | (ar & X86SelectorReg.AR_MASK) << X86SelectorReg.AR_SHIFT;
    }

    /** {@return the word of two u32 fields, {@code lo} first} */
    private static long pair(long lo, long hi) { return (lo & 0xffff_ffffL) | hi << 32; }

    /** {@return the word of four u16 fields, {@code a} first} */
    private static long quad(long a, long b, long c, long d) {
        return (a & 0xffff) | (b & 0xffff) << 16 | (c & 0xffff) << 32 | (d & 0xffff) << 48;
    }

    /** Before the request goes into the ring: a data union not filled for this event is zero, as xzalloc left it. */
    void finish() {
        if (!dataFilled) Arrays.fill(w, (int) (DATA >>> 3), WORDS, 0L);
        dataFilled = true;
    }

    private void put(long off, long v) { w[(int) ((DATA + off) >>> 3)] = v; }

    private void gpr(int i, long v) { put(8L * i, v); }

    /** vm_event_set_registers: the documented subset (GPRs, rflags, rip) from a response's words. */
    static void loadRegisters(long[] rsp, Registers r) {
        int b = (int) (DATA >>> 3);
        r.rax = rsp[b]; r.rcx = rsp[b + 1]; r.rdx = rsp[b + 2]; r.rbx = rsp[b + 3];
        r.rsp = rsp[b + 4]; r.rbp = rsp[b + 5]; r.rsi = rsp[b + 6]; r.rdi = rsp[b + 7];
        r.r8 = rsp[b + 8]; r.r9 = rsp[b + 9]; r.r10 = rsp[b + 10]; r.r11 = rsp[b + 11];
        r.r12 = rsp[b + 12]; r.r13 = rsp[b + 13]; r.r14 = rsp[b + 14]; r.r15 = rsp[b + 15];
        r.rflags = rsp[(int) ((DATA + R_RFLAGS) >>> 3)];
        r.rip = rsp[(int) ((DATA + R_RIP) >>> 3)];
    }
}
