// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import org.xenffm.api.X86Registers;
import java.util.Arrays;
import org.xenffm.api.ControlRegister;
import org.xenffm.api.Gfn;
import org.xenffm.api.VcpuId;

/**
 * A decoded vm_event request, one record per VM_EVENT_REASON_* (payloads as hvm/monitor.c fills them,
 * docs/xen-semantics.md §6.2). Every record carries the common {@link EventHeader} and the x86 registers of the vCPU at
 * the time of the event. Decoded from a private copy of the ring slot; nothing here aliases the shared page.
 */
public sealed interface VmEvent {
    EventHeader header();

    X86Registers regs();

    default VcpuId vcpu() { return header().vcpu(); }

    /** VM_EVENT_REASON_MEM_ACCESS: a mem_access violation (mm/mem_access.c:p2m_mem_access_check). */
    record MemAccess(EventHeader header, X86Registers regs, Gfn gfn, int offset, long gla, int accessFlags)
            implements VmEvent {
        public boolean read() { return (accessFlags & VmEventAbi.MEM_ACCESS_R) != 0; }
        /** On VMX a write fault reports read as well (vmx.c:ept_handle_violation). */
        public boolean write() { return (accessFlags & VmEventAbi.MEM_ACCESS_W) != 0; }
        public boolean exec() { return (accessFlags & VmEventAbi.MEM_ACCESS_X) != 0; }
        /** {@link #gla()} is meaningful. */
        public boolean glaValid() { return (accessFlags & VmEventAbi.MEM_ACCESS_GLA_VALID) != 0; }
        public boolean faultWithGla() { return (accessFlags & VmEventAbi.MEM_ACCESS_FAULT_WITH_GLA) != 0; }
        /** The fault happened while the CPU walked the guest page tables. */
        public boolean faultInGpt() { return (accessFlags & VmEventAbi.MEM_ACCESS_FAULT_IN_GPT) != 0; }
        /** The faulting guest physical address. */
        public long gpa() { return (gfn.value() << 12) | offset; }
    }

    /** VM_EVENT_REASON_WRITE_CTRLREG: a monitored CR0/CR3/CR4/XCR0 write; DENY cancels it. */
    record WriteCtrlreg(EventHeader header, X86Registers regs, ControlRegister register, long newValue,
                        long oldValue) implements VmEvent {}

    /** VM_EVENT_REASON_MOV_TO_MSR: a monitored MSR write; DENY cancels it. */
    record MovToMsr(EventHeader header, X86Registers regs, long msr, long newValue, long oldValue)
            implements VmEvent {}

    /** VM_EVENT_REASON_SOFTWARE_BREAKPOINT: int3 at {@code gfn} (of RIP); {@code type} is HVMOP_TRAP_*. */
    record SoftwareBreakpoint(EventHeader header, X86Registers regs, Gfn gfn, int insnLength, int type)
            implements VmEvent {}

    /** VM_EVENT_REASON_SINGLESTEP: one instruction was stepped; {@code gfn} of RIP. */
    record Singlestep(EventHeader header, X86Registers regs, Gfn gfn) implements VmEvent {}

    /** VM_EVENT_REASON_GUEST_REQUEST: the guest called HVMOP_guest_request_vm_event. */
    record GuestRequest(EventHeader header, X86Registers regs) implements VmEvent {}

    /** VM_EVENT_REASON_DEBUG_EXCEPTION: #DB; {@code type} is HVMOP_TRAP_*. */
    record DebugException(EventHeader header, X86Registers regs, Gfn gfn, long pendingDbg, int insnLength, int type)
            implements VmEvent {}

    /** VM_EVENT_REASON_CPUID. */
    record Cpuid(EventHeader header, X86Registers regs, int insnLength, int leaf, int subleaf) implements VmEvent {}

    /** VM_EVENT_REASON_INTERRUPT: the one-shot event armed by a GET_NEXT_INTERRUPT response. */
    record Interrupt(EventHeader header, X86Registers regs, int vector, int type, int errorCode, long cr2)
            implements VmEvent {}

    /** Which descriptor-table register a {@link DescriptorAccess} touched (VM_EVENT_DESC_*). */
    enum Descriptor {
        IDTR(1), GDTR(2), LDTR(3), TR(4);

        final int value;

        Descriptor(int value) { this.value = value; }

        private static final Descriptor[] BY_VALUE = {null, IDTR, GDTR, LDTR, TR};

        static Descriptor of(int v) { return v >= 1 && v < BY_VALUE.length ? BY_VALUE[v] : null; }
    }

    /** VM_EVENT_REASON_DESCRIPTOR_ACCESS: LGDT/SIDT/LLDR/STR…; the VMX exit fields are raw. */
    record DescriptorAccess(EventHeader header, X86Registers regs, Descriptor descriptor, boolean write,
                            int instrInfo, long exitQualification) implements VmEvent {}

    /** VM_EVENT_REASON_EMUL_UNIMPLEMENTED: Xen's emulator could not handle an instruction. */
    record EmulUnimplemented(EventHeader header, X86Registers regs) implements VmEvent {}

    /** VM_EVENT_REASON_VMEXIT (Xen ≥ 4.17): the raw VMX exit reason and qualification. */
    record Vmexit(EventHeader header, X86Registers regs, long reason, long qualification) implements VmEvent {}

    /** VM_EVENT_REASON_IO_INSTRUCTION (Xen ≥ 4.18). */
    record IoInstruction(EventHeader header, X86Registers regs, int bytes, int port, boolean in, boolean string)
            implements VmEvent {}

    /** VM_EVENT_REASON_MEM_SHARING (sharing ring only: a shared page could not be unshared). */
    record MemSharing(EventHeader header, X86Registers regs, Gfn gfn, int p2mType) implements VmEvent {}

    /**
     * A reason v7 defines but that a monitor ring does not decode (UNKNOWN 0, MEM_PAGING 3, ARM PRIVILEGED_CALL 11):
     * kept raw so it can still be answered.
     */
    record Unknown(EventHeader header, X86Registers regs, int reason, byte[] payload) implements VmEvent {
        public Unknown {
            payload = payload.clone();
        }

        @Override public byte[] payload() { return payload.clone(); }

        @Override public boolean equals(Object o) {
            return o instanceof Unknown u && header.equals(u.header) && regs.equals(u.regs) && reason == u.reason
                    && Arrays.equals(payload, u.payload);
        }

        @Override public int hashCode() { return header.hashCode() * 31 + Arrays.hashCode(payload); }
    }
}
