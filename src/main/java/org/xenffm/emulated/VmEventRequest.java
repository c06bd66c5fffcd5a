// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.X86Registers;
import org.xenffm.api.X86SelectorReg;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

import static org.xenffm.emulated.VmEventLayout.*;

/** A vm_event_request_t being built (xzalloc'd, then filled by the event source and monitor_traps). */
final class VmEventRequest {
    /**
     * The request's bytes, written through static final little-endian array views: a segment's accessors check
     * bounds, alignment and liveness on every store (a quarter of the emulator's CPU per event), an array view only
     * the index. {@link #seg} is the same bytes as a segment, for the copy into the ring.
     */
    private final byte[] buf = new byte[(int) SLOT_SIZE];
    final MemorySegment seg = MemorySegment.ofArray(buf);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    /** A fresh request (events not raised by a guest instruction, e.g. mem_sharing_notify_enomem). */
    VmEventRequest(int reason) {
        INT.set(buf, (int) REASON, reason);
    }

    /**
     * The vCPU's own request, zeroed for a new event: no garbage per event. Safe to reuse because a vCPU builds one
     * request at a time and monitor_traps copies it into the ring (vm_event_put_request) before the vCPU runs on;
     * a request that waits for a ring slot waits with its vCPU asleep on the wait queue, building nothing else.
     */
    static VmEventRequest of(Vcpu v, int reason) {
        VmEventRequest r = v.request();
        Arrays.fill(r.buf, (byte) 0);
        INT.set(r.buf, (int) REASON, reason);
        return r;
    }

    VmEventRequest flags(int f) {
        INT.set(buf, (int) FLAGS, flags() | f);
        return this;
    }

    int flags() { return (int) INT.get(buf, (int) FLAGS); }

    int reason() { return (int) INT.get(buf, (int) REASON); }

    VmEventRequest vcpu(int id) {
        INT.set(buf, (int) VCPU_ID, id);
        return this;
    }

    VmEventRequest altp2mIdx(int idx) {
        SHORT.set(buf, (int) ALTP2M_IDX, (short) idx);
        return this;
    }

    VmEventRequest version() {
        INT.set(buf, (int) VERSION_OFF, VERSION);
        return this;
    }

    VmEventRequest u64(long off, long v) {
        LONG.set(buf, (int) (U + off), v);
        return this;
    }

    VmEventRequest u32(long off, int v) {
        INT.set(buf, (int) (U + off), v);
        return this;
    }

    VmEventRequest u16(long off, int v) {
        SHORT.set(buf, (int) (U + off), (short) v);
        return this;
    }

    VmEventRequest u8(long off, int v) {
        buf[(int) (U + off)] = (byte) v;
        return this;
    }

    private static final X86Registers.Segment[] SEGMENTS = X86Registers.Segment.values(); // values() copies

    /** vm_event_fill_regs (x86). */
    void fillRegs(Registers r) {
        long b = DATA;
        // the GPRs in struct order, stored one by one (an array of them would be garbage per event)
        gpr(0, r.rax); gpr(1, r.rcx); gpr(2, r.rdx); gpr(3, r.rbx); gpr(4, r.rsp); gpr(5, r.rbp); gpr(6, r.rsi);
        gpr(7, r.rdi); gpr(8, r.r8); gpr(9, r.r9); gpr(10, r.r10); gpr(11, r.r11); gpr(12, r.r12); gpr(13, r.r13);
        gpr(14, r.r14); gpr(15, r.r15);
        put(R_RFLAGS, r.rflags); put(R_DR6, r.dr6); put(R_DR7, r.dr7); put(R_RIP, r.rip);
        put(R_CR0, r.cr0); put(R_CR2, r.cr2); put(R_CR3, r.cr3); put(R_CR4, r.cr4);
        put(R_SYSENTER_CS, r.sysenterCs); put(R_SYSENTER_ESP, r.sysenterEsp); put(R_SYSENTER_EIP, r.sysenterEip);
        put(R_EFER, r.msrEfer); put(R_STAR, r.msrStar); put(R_LSTAR, r.msrLstar);
        put(R_GDTR_BASE, r.gdtrBase); put(R_VMTRACE_POS, ~0L);
        put(R_FS_BASE, r.fsBase); put(R_GS_BASE, r.gsBase); put(R_SHADOW_GS, r.shadowGs);
        SHORT.set(buf, (int) (b + R_GDTR_LIMIT), (short) r.gdtrLimit);
        // vm_event_pack_segment_register: base (cs..es 32 bits), limit >> 12 when granular, 12 attribute bits, selector
        for (X86Registers.Segment s : SEGMENTS) {
            int i = s.ordinal();
            boolean g = (r.segAr[i] & X86SelectorReg.AR_G) != 0;
            int limit = (int) ((g ? r.segLimit[i] >>> 12 : r.segLimit[i]) & X86SelectorReg.LIMIT_MASK);
            // X86SelectorReg.encode's word, without a record per segment per event
            int ar = r.segAr[i] & X86SelectorReg.AR_MASK;
            INT.set(buf, (int) (b + s.regOffset()), limit | ar << X86SelectorReg.AR_SHIFT);
            SHORT.set(buf, (int) (b + s.selOffset()), (short) r.sel[i]);
            if (i < 4) INT.set(buf, (int) (b + s.baseOffset()), (int) r.segBase[i]);
        }
    }

    private void put(long off, long v) { LONG.set(buf, (int) (DATA + off), v); }

    private void gpr(int i, long v) { put(8L * i, v); }

    /** vm_event_set_registers: the documented subset (GPRs, rflags, rip) from a response. */
    static void loadRegisters(MemorySegment rsp, Registers r) {
        long b = DATA;
        r.rax = rsp.get(ValueLayout.JAVA_LONG, b); r.rcx = rsp.get(ValueLayout.JAVA_LONG, b + 8);
        r.rdx = rsp.get(ValueLayout.JAVA_LONG, b + 16); r.rbx = rsp.get(ValueLayout.JAVA_LONG, b + 24);
        r.rsp = rsp.get(ValueLayout.JAVA_LONG, b + 32); r.rbp = rsp.get(ValueLayout.JAVA_LONG, b + 40);
        r.rsi = rsp.get(ValueLayout.JAVA_LONG, b + 48); r.rdi = rsp.get(ValueLayout.JAVA_LONG, b + 56);
        r.r8 = rsp.get(ValueLayout.JAVA_LONG, b + 64); r.r9 = rsp.get(ValueLayout.JAVA_LONG, b + 72);
        r.r10 = rsp.get(ValueLayout.JAVA_LONG, b + 80); r.r11 = rsp.get(ValueLayout.JAVA_LONG, b + 88);
        r.r12 = rsp.get(ValueLayout.JAVA_LONG, b + 96); r.r13 = rsp.get(ValueLayout.JAVA_LONG, b + 104);
        r.r14 = rsp.get(ValueLayout.JAVA_LONG, b + 112); r.r15 = rsp.get(ValueLayout.JAVA_LONG, b + 120);
        r.rflags = rsp.get(ValueLayout.JAVA_LONG, b + R_RFLAGS);
        r.rip = rsp.get(ValueLayout.JAVA_LONG, b + R_RIP);
    }
}
