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
    /** {@return the fields every request carries: vCPU, flags, reason, view} */
    EventHeader header();

    /** {@return the vCPU's registers when the event was raised} */
    X86Registers regs();

    /** {@return the vCPU that raised the event} */
    default VcpuId vcpu() { return header().vcpu(); }

    /**
     * VM_EVENT_REASON_MEM_ACCESS: a mem_access violation (mm/mem_access.c:p2m_mem_access_check).
     *
     * @param header      the common request fields
     * @param regs        the vCPU's registers at the event
     * @param gfn         the faulting guest frame
     * @param offset      the byte offset in it
     * @param gla         the guest-linear address, valid with {@link #glaValid()}
     * @param accessFlags the MEM_ACCESS_* bits
     */
    record MemAccess(EventHeader header, X86Registers regs, Gfn gfn, int offset, long gla, int accessFlags)
            implements VmEvent {
        /** {@return whether the access read} */
        public boolean read() { return (accessFlags & VmEventAbi.MEM_ACCESS_R) != 0; }
        /** {@return whether the access wrote; on VMX a write fault reports read as well (vmx.c:ept_handle_violation)} */
        public boolean write() { return (accessFlags & VmEventAbi.MEM_ACCESS_W) != 0; }
        /** {@return whether the access fetched an instruction} */
        public boolean exec() { return (accessFlags & VmEventAbi.MEM_ACCESS_X) != 0; }
        /** {@return whether {@link #gla()} is meaningful} */
        public boolean glaValid() { return (accessFlags & VmEventAbi.MEM_ACCESS_GLA_VALID) != 0; }
        /** {@return whether the fault was on the final translation of a linear address} */
        public boolean faultWithGla() { return (accessFlags & VmEventAbi.MEM_ACCESS_FAULT_WITH_GLA) != 0; }
        /** {@return whether the fault happened while the CPU walked the guest page tables} */
        public boolean faultInGpt() { return (accessFlags & VmEventAbi.MEM_ACCESS_FAULT_IN_GPT) != 0; }
        /** {@return the faulting guest physical address} */
        public long gpa() { return (gfn.value() << 12) | offset; }
    }

    /**
     * VM_EVENT_REASON_WRITE_CTRLREG: a monitored CR0/CR3/CR4/XCR0 write; DENY cancels it.
     *
     * @param header   the common request fields
     * @param regs     the vCPU's registers at the event
     * @param register the register written
     * @param newValue the value being written
     * @param oldValue the value before
     */
    record WriteCtrlreg(EventHeader header, X86Registers regs, ControlRegister register, long newValue,
                        long oldValue) implements VmEvent {}

    /**
     * VM_EVENT_REASON_MOV_TO_MSR: a monitored MSR write; DENY cancels it.
     *
     * @param header   the common request fields
     * @param regs     the vCPU's registers at the event
     * @param msr      the MSR written
     * @param newValue the value being written
     * @param oldValue the value before
     */
    record MovToMsr(EventHeader header, X86Registers regs, long msr, long newValue, long oldValue)
            implements VmEvent {}

    /**
     * VM_EVENT_REASON_SOFTWARE_BREAKPOINT: int3 at {@code gfn} (of RIP); {@code type} is HVMOP_TRAP_*.
     *
     * @param header     the common request fields
     * @param regs       the vCPU's registers at the event
     * @param gfn        the frame of RIP
     * @param insnLength the INT3's length (re-inject with it)
     * @param type       the HVMOP_TRAP_* type
     */
    record SoftwareBreakpoint(EventHeader header, X86Registers regs, Gfn gfn, int insnLength, int type)
            implements VmEvent {}

    /**
     * VM_EVENT_REASON_SINGLESTEP: one instruction was stepped; {@code gfn} of RIP.
     *
     * @param header the common request fields
     * @param regs   the vCPU's registers at the event
     * @param gfn    the frame of RIP
     */
    record Singlestep(EventHeader header, X86Registers regs, Gfn gfn) implements VmEvent {}

    /**
     * VM_EVENT_REASON_GUEST_REQUEST: the guest called HVMOP_guest_request_vm_event.
     *
     * @param header the common request fields
     * @param regs   the vCPU's registers at the event
     */
    record GuestRequest(EventHeader header, X86Registers regs) implements VmEvent {}

    /**
     * VM_EVENT_REASON_DEBUG_EXCEPTION: #DB; {@code type} is HVMOP_TRAP_*.
     *
     * @param header     the common request fields
     * @param regs       the vCPU's registers at the event
     * @param gfn        the frame of RIP
     * @param pendingDbg the pending debug exceptions (DR6 bits)
     * @param insnLength the instruction length
     * @param type       the HVMOP_TRAP_* type
     */
    record DebugException(EventHeader header, X86Registers regs, Gfn gfn, long pendingDbg, int insnLength, int type)
            implements VmEvent {}

    /**
     * VM_EVENT_REASON_CPUID.
     *
     * @param header     the common request fields
     * @param regs       the vCPU's registers at the event
     * @param insnLength the CPUID's length (move RIP past it)
     * @param leaf       EAX
     * @param subleaf    ECX
     */
    record Cpuid(EventHeader header, X86Registers regs, int insnLength, int leaf, int subleaf) implements VmEvent {}

    /**
     * VM_EVENT_REASON_INTERRUPT: the one-shot event armed by a GET_NEXT_INTERRUPT response.
     *
     * @param header    the common request fields
     * @param regs      the vCPU's registers at the event
     * @param vector    the vector
     * @param type      the X86_EVENTTYPE_*
     * @param errorCode the error code
     * @param cr2       CR2 of a #PF
     */
    record Interrupt(EventHeader header, X86Registers regs, int vector, int type, int errorCode, long cr2)
            implements VmEvent {}

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
     * VM_EVENT_REASON_DESCRIPTOR_ACCESS: LGDT/SIDT/LLDR/STR…; the VMX exit fields are raw.
     *
     * @param header            the common request fields
     * @param regs              the vCPU's registers at the event
     * @param descriptor        the register, or null for a value outside VM_EVENT_DESC_*
     * @param write             a load into the register (LGDT, LIDT, …)
     * @param instrInfo         the VMX VM-exit instruction information
     * @param exitQualification the VMX exit qualification
     */
    record DescriptorAccess(EventHeader header, X86Registers regs, Descriptor descriptor, boolean write,
                            int instrInfo, long exitQualification) implements VmEvent {}

    /**
     * VM_EVENT_REASON_EMUL_UNIMPLEMENTED: Xen's emulator could not handle an instruction.
     *
     * @param header the common request fields
     * @param regs   the vCPU's registers at the event
     */
    record EmulUnimplemented(EventHeader header, X86Registers regs) implements VmEvent {}

    /**
     * VM_EVENT_REASON_VMEXIT (Xen ≥ 4.17): the raw VMX exit reason and qualification.
     *
     * @param header        the common request fields
     * @param regs          the vCPU's registers at the event
     * @param reason        the VMX exit reason
     * @param qualification the exit qualification
     */
    record Vmexit(EventHeader header, X86Registers regs, long reason, long qualification) implements VmEvent {}

    /**
     * VM_EVENT_REASON_IO_INSTRUCTION (Xen ≥ 4.18).
     *
     * @param header the common request fields
     * @param regs   the vCPU's registers at the event
     * @param bytes  the access size
     * @param port   the I/O port
     * @param in     IN rather than OUT
     * @param string INS/OUTS
     */
    record IoInstruction(EventHeader header, X86Registers regs, int bytes, int port, boolean in, boolean string)
            implements VmEvent {}

    /**
     * VM_EVENT_REASON_MEM_SHARING (sharing ring only: a shared page could not be unshared).
     *
     * @param header  the common request fields
     * @param regs    the vCPU's registers at the event
     * @param gfn     the gfn that could not be unshared
     * @param p2mType its p2m type (12, ram_shared)
     */
    record MemSharing(EventHeader header, X86Registers regs, Gfn gfn, int p2mType) implements VmEvent {}

    /**
     * A reason v7 defines but that a monitor ring does not decode (UNKNOWN 0, MEM_PAGING 3, ARM PRIVILEGED_CALL 11):
     * kept raw so it can still be answered.
     *
     * @param header  the common request fields
     * @param regs    the vCPU's registers at the event
     * @param reason  the raw reason
     * @param payload the raw {@code u} union bytes
     */
    record Unknown(EventHeader header, X86Registers regs, int reason, byte[] payload) implements VmEvent {
        /** Copies the payload. */
        public Unknown {
            payload = payload.clone();
        }

        /** {@return a copy of the raw {@code u} union bytes} */
        @Override public byte[] payload() { return payload.clone(); }

        @Override public boolean equals(Object o) {
            return o instanceof Unknown u && header.equals(u.header) && regs.equals(u.regs) && reason == u.reason
                    && Arrays.equals(payload, u.payload);
        }

        @Override public int hashCode() { return header.hashCode() * 31 + Arrays.hashCode(payload); }
    }
}
