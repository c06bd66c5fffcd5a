// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.xenffm.vmevent.VmEventAbi.*;

import org.xenffm.api.X86Registers;
import org.xenffm.api.ControlRegister;
import org.xenffm.api.Gfn;
import org.xenffm.api.VcpuId;

/**
 * A vm_event request, one type per VM_EVENT_REASON_* (payloads as hvm/monitor.c fills them, docs/xen-semantics.md
 * §6.2). Every event carries the common {@link EventHeader} and the x86 registers of the vCPU at the time of the
 * event; the fields are read on demand from a private copy of the ring slot, never from the shared page.
 *
 * <h2>Handed to a handler: valid only during the call</h2>
 * What a {@link MonitorSession} handler ({@code on(...)}, {@code otherwise(...)}) receives is the ring's reusable
 * event of that type, over the ring's private copy of the current request: nothing is allocated per event, and the
 * next request overwrites it. A handler that keeps an event, or its {@link #regs()}, past its return must keep
 * {@link #copy()} instead. Events from {@link VmEventRing#next()} and {@link RequestView#event()} are copies already
 * ({@code copy()} returns them as they are).
 *
 * <p>Two events are equal when they are of the same type and carry the same 400 request bytes.
 */
public sealed interface VmEvent {
    /** {@return the fields every request carries: vCPU, flags, reason, view} */
    EventHeader header();

    /** {@return the vCPU's registers when the event was raised (a handler's: valid only during the call)} */
    X86Registers regs();

    /** {@return the vCPU that raised the event} */
    VcpuId vcpu();

    /** {@return this event as a private copy that stays valid: the event itself if it is one already} */
    VmEvent copy();

    /**
     * VM_EVENT_REASON_MEM_ACCESS: a mem_access violation (mm/mem_access.c:p2m_mem_access_check). Fields: the faulting
     * {@link #gfn()}, the byte {@link #offset()} in it, the guest-linear address {@link #gla()} (valid with
     * {@link #glaValid()}) and the MEM_ACCESS_* bits {@link #accessFlags()}.
     */
    final class MemAccess extends RingEvent implements VmEvent {
        MemAccess(long[] w, VcpuId[] ids, VmEventRing ring) { super(w, ids, ring); }
        /** {@return the faulting guest frame} */
        public Gfn gfn() { return Gfn.of(u64(MEM_ACCESS_GFN)); }
        /** {@return the byte offset in the frame} */
        public int offset() { return (int) (u64(MEM_ACCESS_OFFSET) & 0xfff); }
        /** {@return the guest-linear address, meaningful with {@link #glaValid()}} */
        public long gla() { return u64(MEM_ACCESS_GLA); }
        /** {@return the MEM_ACCESS_* bits} */
        public int accessFlags() { return u32(MEM_ACCESS_FLAGS); }
        /** {@return whether the access read} */
        public boolean read() { return (accessFlags() & VmEventAbi.MEM_ACCESS_R) != 0; }
        /** {@return whether the access wrote; on VMX a write fault reports read as well (vmx.c:ept_handle_violation)} */
        public boolean write() { return (accessFlags() & VmEventAbi.MEM_ACCESS_W) != 0; }
        /** {@return whether the access fetched an instruction} */
        public boolean exec() { return (accessFlags() & VmEventAbi.MEM_ACCESS_X) != 0; }
        /** {@return whether {@link #gla()} is meaningful} */
        public boolean glaValid() { return (accessFlags() & VmEventAbi.MEM_ACCESS_GLA_VALID) != 0; }
        /** {@return whether the fault was on the final translation of a linear address} */
        public boolean faultWithGla() { return (accessFlags() & VmEventAbi.MEM_ACCESS_FAULT_WITH_GLA) != 0; }
        /** {@return whether the fault happened while the CPU walked the guest page tables} */
        public boolean faultInGpt() { return (accessFlags() & VmEventAbi.MEM_ACCESS_FAULT_IN_GPT) != 0; }
        /** {@return the faulting guest physical address} */
        public long gpa() { return (u64(MEM_ACCESS_GFN) << 12) | offset(); }
        @Override public MemAccess copy() { return live() ? new MemAccess(detached(), ids, null) : this; }
        @Override String fields() {
            return String.format("gfn=%#x, offset=%#x, gla=%#x, accessFlags=%#x", u64(MEM_ACCESS_GFN), offset(), gla(),
                    accessFlags());
        }
    }

    /**
     * VM_EVENT_REASON_WRITE_CTRLREG: a monitored CR0/CR3/CR4/XCR0 write; DENY cancels it. Fields: the
     * {@link #register()} written, its {@link #newValue()} and {@link #oldValue()}.
     */
    final class WriteCtrlreg extends RingEvent implements VmEvent {
        WriteCtrlreg(long[] w, VcpuId[] ids, VmEventRing ring) { super(w, ids, ring); }
        /** {@return the register written} */
        public ControlRegister register() { return ControlRegister.ofIndex(u32(CTRLREG_INDEX)); }
        /** {@return the value being written} */
        public long newValue() { return u64(CTRLREG_NEW); }
        /** {@return the value before} */
        public long oldValue() { return u64(CTRLREG_OLD); }
        @Override public WriteCtrlreg copy() { return live() ? new WriteCtrlreg(detached(), ids, null) : this; }
        @Override String fields() {
            return String.format("register=%s, newValue=%#x, oldValue=%#x", register(), newValue(), oldValue());
        }
    }

    /**
     * VM_EVENT_REASON_MOV_TO_MSR: a monitored MSR write; DENY cancels it. Fields: the {@link #msr()}, its
     * {@link #newValue()} and {@link #oldValue()}.
     */
    final class MovToMsr extends RingEvent implements VmEvent {
        MovToMsr(long[] w, VcpuId[] ids, VmEventRing ring) { super(w, ids, ring); }
        /** {@return the MSR written} */
        public long msr() { return u64(MSR_MSR); }
        /** {@return the value being written} */
        public long newValue() { return u64(MSR_NEW); }
        /** {@return the value before} */
        public long oldValue() { return u64(MSR_OLD); }
        @Override public MovToMsr copy() { return live() ? new MovToMsr(detached(), ids, null) : this; }
        @Override String fields() {
            return String.format("msr=%#x, newValue=%#x, oldValue=%#x", msr(), newValue(), oldValue());
        }
    }

    /**
     * VM_EVENT_REASON_SOFTWARE_BREAKPOINT: int3 at {@link #gfn()} (of RIP), {@link #insnLength()} long (re-inject
     * with it); {@link #type()} is HVMOP_TRAP_*.
     */
    final class SoftwareBreakpoint extends RingEvent implements VmEvent {
        SoftwareBreakpoint(long[] w, VcpuId[] ids, VmEventRing ring) { super(w, ids, ring); }
        /** {@return the frame of RIP} */
        public Gfn gfn() { return Gfn.of(u64(DEBUG_GFN)); }
        /** {@return the INT3's length} */
        public int insnLength() { return u32(DEBUG_INSN_LENGTH); }
        /** {@return the HVMOP_TRAP_* type} */
        public int type() { return u8(DEBUG_TYPE); }
        @Override public SoftwareBreakpoint copy() { return live() ? new SoftwareBreakpoint(detached(), ids, null) : this; }
        @Override String fields() {
            return String.format("gfn=%#x, insnLength=%d, type=%d", u64(DEBUG_GFN), insnLength(), type());
        }
    }

    /** VM_EVENT_REASON_SINGLESTEP: one instruction was stepped; {@link #gfn()} of RIP. */
    final class Singlestep extends RingEvent implements VmEvent {
        Singlestep(long[] w, VcpuId[] ids, VmEventRing ring) { super(w, ids, ring); }
        /** {@return the frame of RIP} */
        public Gfn gfn() { return Gfn.of(u64(SINGLESTEP_GFN)); }
        @Override public Singlestep copy() { return live() ? new Singlestep(detached(), ids, null) : this; }
        @Override String fields() { return String.format("gfn=%#x", u64(SINGLESTEP_GFN)); }
    }

    /** VM_EVENT_REASON_GUEST_REQUEST: the guest called HVMOP_guest_request_vm_event. */
    final class GuestRequest extends RingEvent implements VmEvent {
        GuestRequest(long[] w, VcpuId[] ids, VmEventRing ring) { super(w, ids, ring); }
        @Override public GuestRequest copy() { return live() ? new GuestRequest(detached(), ids, null) : this; }
        @Override String fields() { return ""; }
    }

    /**
     * VM_EVENT_REASON_DEBUG_EXCEPTION: #DB at {@link #gfn()} (of RIP); {@link #pendingDbg()} the pending debug
     * exceptions (DR6 bits), {@link #insnLength()}, {@link #type()} HVMOP_TRAP_*.
     */
    final class DebugException extends RingEvent implements VmEvent {
        DebugException(long[] w, VcpuId[] ids, VmEventRing ring) { super(w, ids, ring); }
        /** {@return the frame of RIP} */
        public Gfn gfn() { return Gfn.of(u64(DEBUG_GFN)); }
        /** {@return the pending debug exceptions (DR6 bits)} */
        public long pendingDbg() { return u64(DEBUG_PENDING_DBG); }
        /** {@return the instruction length} */
        public int insnLength() { return u32(DEBUG_INSN_LENGTH); }
        /** {@return the HVMOP_TRAP_* type} */
        public int type() { return u8(DEBUG_TYPE); }
        @Override public DebugException copy() { return live() ? new DebugException(detached(), ids, null) : this; }
        @Override String fields() {
            return String.format("gfn=%#x, pendingDbg=%#x, insnLength=%d, type=%d", u64(DEBUG_GFN), pendingDbg(),
                    insnLength(), type());
        }
    }

    /** VM_EVENT_REASON_CPUID: {@link #leaf()} (EAX), {@link #subleaf()} (ECX), {@link #insnLength()}. */
    final class Cpuid extends RingEvent implements VmEvent {
        Cpuid(long[] w, VcpuId[] ids, VmEventRing ring) { super(w, ids, ring); }
        /** {@return the CPUID's length (move RIP past it)} */
        public int insnLength() { return u32(CPUID_INSN_LENGTH); }
        /** {@return EAX} */
        public int leaf() { return u32(CPUID_LEAF); }
        /** {@return ECX} */
        public int subleaf() { return u32(CPUID_SUBLEAF); }
        @Override public Cpuid copy() { return live() ? new Cpuid(detached(), ids, null) : this; }
        @Override String fields() {
            return String.format("insnLength=%d, leaf=%#x, subleaf=%#x", insnLength(), leaf(), subleaf());
        }
    }

    /**
     * VM_EVENT_REASON_INTERRUPT: the one-shot event armed by a GET_NEXT_INTERRUPT response: {@link #vector()},
     * {@link #type()} (X86_EVENTTYPE_*), {@link #errorCode()}, {@link #cr2()} of a #PF.
     */
    final class Interrupt extends RingEvent implements VmEvent {
        Interrupt(long[] w, VcpuId[] ids, VmEventRing ring) { super(w, ids, ring); }
        /** {@return the vector} */
        public int vector() { return u32(INTR_VECTOR); }
        /** {@return the X86_EVENTTYPE_*} */
        public int type() { return u32(INTR_TYPE); }
        /** {@return the error code} */
        public int errorCode() { return u32(INTR_ERROR_CODE); }
        /** {@return CR2 of a #PF} */
        public long cr2() { return u64(INTR_CR2); }
        @Override public Interrupt copy() { return live() ? new Interrupt(detached(), ids, null) : this; }
        @Override String fields() {
            return String.format("vector=%d, type=%d, errorCode=%#x, cr2=%#x", vector(), type(), errorCode(), cr2());
        }
    }

    /** Which descriptor-table register a {@link DescriptorAccess} touched (VM_EVENT_DESC_*). */
    enum Descriptor {
        /** The IDT register. */ IDTR(1), /** The GDT register. */ GDTR(2), /** The LDT register. */ LDTR(3),
        /** The task register. */ TR(4);

        final int value;

        Descriptor(int value) { this.value = value; }

        private static final Descriptor[] BY_VALUE = {null, IDTR, GDTR, LDTR, TR};

        static Descriptor of(int v) { return v >= 1 && v < BY_VALUE.length ? BY_VALUE[v] : null; }
    }

    /**
     * VM_EVENT_REASON_DESCRIPTOR_ACCESS: LGDT/SIDT/LLDT/STR…: the {@link #descriptor()}, whether it was a
     * {@link #write()}, and the raw VMX exit fields {@link #instrInfo()} and {@link #exitQualification()}.
     */
    final class DescriptorAccess extends RingEvent implements VmEvent {
        DescriptorAccess(long[] w, VcpuId[] ids, VmEventRing ring) { super(w, ids, ring); }
        /** {@return the register (the ring rejects a value outside VM_EVENT_DESC_* as corrupt)} */
        public Descriptor descriptor() { return Descriptor.of(u8(DESC_DESCRIPTOR)); }
        /** {@return whether it was a load into the register (LGDT, LIDT, …)} */
        public boolean write() { return u8(DESC_IS_WRITE) != 0; }
        /** {@return the VMX VM-exit instruction information} */
        public int instrInfo() { return u32(DESC_INSTR_INFO); }
        /** {@return the VMX exit qualification} */
        public long exitQualification() { return u64(DESC_EXIT_QUALIFICATION); }
        @Override public DescriptorAccess copy() { return live() ? new DescriptorAccess(detached(), ids, null) : this; }
        @Override String fields() {
            return String.format("descriptor=%s, write=%b, instrInfo=%#x, exitQualification=%#x", descriptor(), write(),
                    instrInfo(), exitQualification());
        }
    }

    /** VM_EVENT_REASON_EMUL_UNIMPLEMENTED: Xen's emulator could not handle an instruction. */
    final class EmulUnimplemented extends RingEvent implements VmEvent {
        EmulUnimplemented(long[] w, VcpuId[] ids, VmEventRing ring) { super(w, ids, ring); }
        @Override public EmulUnimplemented copy() { return live() ? new EmulUnimplemented(detached(), ids, null) : this; }
        @Override String fields() { return ""; }
    }

    /** VM_EVENT_REASON_VMEXIT (Xen ≥ 4.17): the raw VMX exit {@link #reason()} and {@link #qualification()}. */
    final class Vmexit extends RingEvent implements VmEvent {
        Vmexit(long[] w, VcpuId[] ids, VmEventRing ring) { super(w, ids, ring); }
        /** {@return the VMX exit reason} */
        public long reason() { return u64(VMEXIT_REASON); }
        /** {@return the exit qualification} */
        public long qualification() { return u64(VMEXIT_QUALIFICATION); }
        @Override public Vmexit copy() { return live() ? new Vmexit(detached(), ids, null) : this; }
        @Override String fields() { return String.format("reason=%#x, qualification=%#x", reason(), qualification()); }
    }

    /**
     * VM_EVENT_REASON_IO_INSTRUCTION (Xen ≥ 4.18): the access size {@link #bytes()}, the {@link #port()}, IN rather
     * than OUT ({@link #in()}), INS/OUTS ({@link #string()}).
     */
    final class IoInstruction extends RingEvent implements VmEvent {
        IoInstruction(long[] w, VcpuId[] ids, VmEventRing ring) { super(w, ids, ring); }
        /** {@return the access size} */
        public int bytes() { return u32(IO_BYTES); }
        /** {@return the I/O port} */
        public int port() { return Words.u16(w, U + IO_PORT); }
        /** {@return whether it was IN rather than OUT} */
        public boolean in() { return u8(IO_IN) != 0; }
        /** {@return whether it was INS/OUTS} */
        public boolean string() { return u8(IO_STR) != 0; }
        @Override public IoInstruction copy() { return live() ? new IoInstruction(detached(), ids, null) : this; }
        @Override String fields() {
            return String.format("bytes=%d, port=%#x, in=%b, string=%b", bytes(), port(), in(), string());
        }
    }

    /**
     * VM_EVENT_REASON_MEM_SHARING (sharing ring only: a shared page could not be unshared): the {@link #gfn()} and
     * its {@link #p2mType()} (12, ram_shared).
     */
    final class MemSharing extends RingEvent implements VmEvent {
        MemSharing(long[] w, VcpuId[] ids, VmEventRing ring) { super(w, ids, ring); }
        /** {@return the gfn that could not be unshared} */
        public Gfn gfn() { return Gfn.of(u64(SHARING_GFN)); }
        /** {@return its p2m type} */
        public int p2mType() { return u32(SHARING_P2MT); }
        @Override public MemSharing copy() { return live() ? new MemSharing(detached(), ids, null) : this; }
        @Override String fields() { return String.format("gfn=%#x, p2mType=%d", u64(SHARING_GFN), p2mType()); }
    }

    /**
     * A reason v7 defines but that a monitor ring does not decode (UNKNOWN 0, MEM_PAGING 3, ARM PRIVILEGED_CALL 11):
     * kept raw so it can still be answered: the raw {@link #reason()} and {@link #payload()}.
     */
    final class Unknown extends RingEvent implements VmEvent {
        Unknown(long[] w, VcpuId[] ids, VmEventRing ring) { super(w, ids, ring); }
        /** {@return the raw reason} */
        public int reason() { return Words.u32(w, REASON); }
        /** {@return a copy of the raw {@code u} union bytes} */
        public byte[] payload() {
            return java.lang.foreign.MemorySegment.ofArray(w).asSlice(U, U_SIZE)
                    .toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
        @Override public Unknown copy() { return live() ? new Unknown(detached(), ids, null) : this; }
        @Override String fields() { return "reason=" + reason(); }
    }
}
