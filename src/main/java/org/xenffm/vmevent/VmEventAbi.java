// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.util.Arrays;
import org.xenffm.bindings.xen417.Xen;
import org.xenffm.bindings.xen417.vm_event_cpuid;
import org.xenffm.bindings.xen417.vm_event_debug;
import org.xenffm.bindings.xen417.vm_event_desc_access;
import org.xenffm.bindings.xen417.vm_event_emul_read_data;
import org.xenffm.bindings.xen417.vm_event_fast_singlestep;
import org.xenffm.bindings.xen417.vm_event_interrupt_x86;
import org.xenffm.bindings.xen417.vm_event_mem_access;
import org.xenffm.bindings.xen417.vm_event_mov_to_msr;
import org.xenffm.bindings.xen417.vm_event_regs_x86;
import org.xenffm.bindings.xen417.vm_event_sharing;
import org.xenffm.bindings.xen417.vm_event_singlestep;
import org.xenffm.bindings.xen417.vm_event_sring;
import org.xenffm.bindings.xen417.vm_event_st;
import org.xenffm.bindings.xen417.vm_event_vmexit;
import org.xenffm.bindings.xen417.vm_event_write_ctrlreg;

/**
 * The vm_event v7 ring ABI (Xen 4.15 and newer; public/vm_event.h and public/io/ring.h), in one place. Offsets and
 * sizes come from the jextract layouts of the Xen 4.17 headers (org.xenffm.bindings.xen417), so the consumer reads
 * exactly what the C compiler lays out; {@code VmEventAbiTest} pins them to the table in docs/xen-semantics.md
 * §7.2–§7.3. The one thing 4.17's headers lack is the 4.18 IO_INSTRUCTION payload (added without a version bump): its
 * offsets are written out below.
 */
public final class VmEventAbi {
    private VmEventAbi() {}

    private static long off(MemoryLayout l, String... path) {
        return l.byteOffset(Arrays.stream(path).map(MemoryLayout.PathElement::groupElement)
                .toArray(MemoryLayout.PathElement[]::new));
    }

    private static final GroupLayout REQUEST = vm_event_st.layout();
    private static final GroupLayout SRING = vm_event_sring.layout();

    /** VM_EVENT_INTERFACE_VERSION this consumer decodes. */
    public static final int VERSION = Xen.VM_EVENT_INTERFACE_VERSION();

    // ---- the shared ring page (DEFINE_RING_TYPES(vm_event, vm_event_request_t, vm_event_response_t)) ----
    /** The ring page's size. */
    public static final int PAGE_SIZE = 4096;
    /**
     * Offsets of the shared ring header: req_prod (Xen writes), req_event (the consumer writes; Xen ignores it),
     * rsp_prod (the consumer writes), rsp_event (Xen writes), the unused pvt bytes.
     */
    public static final long REQ_PROD = off(SRING, "req_prod"), REQ_EVENT = off(SRING, "req_event"),
            RSP_PROD = off(SRING, "rsp_prod"), RSP_EVENT = off(SRING, "rsp_event"), PVT = off(SRING, "pvt");
    /** Offset of ring[0] (after the 16 index bytes, 4 pvt bytes and 44 pad bytes). */
    public static final long RING = off(SRING, "ring");
    /** sizeof(vm_event_request_t) == sizeof(vm_event_response_t). */
    public static final int SLOT_SIZE = (int) REQUEST.byteSize();
    /** __RING_SIZE: the largest power of two n with RING + n * SLOT_SIZE ≤ PAGE_SIZE (8 for v7). */
    public static final int RING_SIZE = Integer.highestOneBit((int) ((PAGE_SIZE - RING) / SLOT_SIZE));

    // ---- vm_event_request_t / vm_event_response_t ----
    /** Offsets of the request/response header: version, flags, reason, vcpu_id, altp2m_idx. */
    public static final long VERSION_OFF = off(REQUEST, "version"), FLAGS = off(REQUEST, "flags"),
            REASON = off(REQUEST, "reason"), VCPU_ID = off(REQUEST, "vcpu_id"),
            ALTP2M_IDX = off(REQUEST, "altp2m_idx");
    /** union u and union data. */
    public static final long U = off(REQUEST, "u"), DATA = off(REQUEST, "data");
    /** The sizes of union u (the per-reason payload) and union data (registers, emulation data). */
    public static final int U_SIZE = (int) REQUEST.select(groupElement("u")).byteSize(),
            DATA_SIZE = (int) REQUEST.select(groupElement("data")).byteSize();

    // union u members (offsets relative to U)
    /** MEM_ACCESS payload: gfn, offset in the page, guest-linear address, MEM_ACCESS_* flags. */
    public static final long MEM_ACCESS_GFN = off(vm_event_mem_access.layout(), "gfn"),
            MEM_ACCESS_OFFSET = off(vm_event_mem_access.layout(), "offset"),
            MEM_ACCESS_GLA = off(vm_event_mem_access.layout(), "gla"),
            MEM_ACCESS_FLAGS = off(vm_event_mem_access.layout(), "flags");
    /** WRITE_CTRLREG payload: VM_EVENT_X86_* index, new and old value. */
    public static final long CTRLREG_INDEX = off(vm_event_write_ctrlreg.layout(), "index"),
            CTRLREG_NEW = off(vm_event_write_ctrlreg.layout(), "new_value"),
            CTRLREG_OLD = off(vm_event_write_ctrlreg.layout(), "old_value");
    /** MOV_TO_MSR payload: the MSR, new and old value. */
    public static final long MSR_MSR = off(vm_event_mov_to_msr.layout(), "msr"),
            MSR_NEW = off(vm_event_mov_to_msr.layout(), "new_value"),
            MSR_OLD = off(vm_event_mov_to_msr.layout(), "old_value");
    /** SOFTWARE_BREAKPOINT / DEBUG_EXCEPTION payload: gfn of RIP, pending DR6 bits, instruction length, trap type. */
    public static final long DEBUG_GFN = off(vm_event_debug.layout(), "gfn"),
            DEBUG_PENDING_DBG = off(vm_event_debug.layout(), "pending_dbg"),
            DEBUG_INSN_LENGTH = off(vm_event_debug.layout(), "insn_length"),
            DEBUG_TYPE = off(vm_event_debug.layout(), "type");
    /** SINGLESTEP payload: gfn of RIP. */
    public static final long SINGLESTEP_GFN = off(vm_event_singlestep.layout(), "gfn");
    /** The FAST_SINGLESTEP response's view to switch to when the step ends. */
    public static final long FAST_SINGLESTEP_P2MIDX = off(vm_event_fast_singlestep.layout(), "p2midx");
    /** CPUID payload: instruction length, leaf, subleaf. */
    public static final long CPUID_INSN_LENGTH = off(vm_event_cpuid.layout(), "insn_length"),
            CPUID_LEAF = off(vm_event_cpuid.layout(), "leaf"), CPUID_SUBLEAF = off(vm_event_cpuid.layout(), "subleaf");
    /** INTERRUPT payload: vector, X86_EVENTTYPE_*, error code, CR2. */
    public static final long INTR_VECTOR = off(vm_event_interrupt_x86.layout(), "vector"),
            INTR_TYPE = off(vm_event_interrupt_x86.layout(), "type"),
            INTR_ERROR_CODE = off(vm_event_interrupt_x86.layout(), "error_code"),
            INTR_CR2 = off(vm_event_interrupt_x86.layout(), "cr2");
    /** DESCRIPTOR_ACCESS payload: VMX instruction info and exit qualification, descriptor (1 IDTR … 4 TR), write. */
    public static final long DESC_INSTR_INFO = off(vm_event_desc_access.layout(), "arch", "vmx", "instr_info"),
            DESC_EXIT_QUALIFICATION = off(vm_event_desc_access.layout(), "arch", "vmx", "exit_qualification"),
            DESC_DESCRIPTOR = off(vm_event_desc_access.layout(), "descriptor"),
            DESC_IS_WRITE = off(vm_event_desc_access.layout(), "is_write");
    /** VMEXIT payload: VMX exit reason and qualification. */
    public static final long VMEXIT_REASON = off(vm_event_vmexit.layout(), "arch", "vmx", "reason"),
            VMEXIT_QUALIFICATION = off(vm_event_vmexit.layout(), "arch", "vmx", "qualification");
    /** struct vm_event_io {uint32_t bytes; uint16_t port; uint8_t in, str;} — Xen ≥ 4.18, not in 4.17's headers. */
    public static final long IO_BYTES = 0, IO_PORT = 4, IO_IN = 6, IO_STR = 7;
    /** MEM_SHARING payload (sharing ring): gfn and p2m type. */
    public static final long SHARING_GFN = off(vm_event_sharing.layout(), "gfn"),
            SHARING_P2MT = off(vm_event_sharing.layout(), "p2mt");

    // union data members (offsets relative to DATA)
    /** SET_EMUL_READ_DATA data: size, then the bytes. */
    public static final long EMUL_READ_SIZE = off(vm_event_emul_read_data.layout(), "size"),
            EMUL_READ_DATA = off(vm_event_emul_read_data.layout(), "data");
    /** The most bytes SET_EMUL_READ_DATA can supply. */
    public static final int EMUL_READ_MAX = (int) (vm_event_emul_read_data.layout().byteSize() - EMUL_READ_DATA);
    /** The instruction bytes SET_EMUL_INSN_DATA supplies. */
    public static final int EMUL_INSN_SIZE = 16;

    /** Offset of a named field of struct vm_event_regs_x86 inside {@code data}. */
    static long regOffset(String field) { return off(vm_event_regs_x86.layout(), field); }

    // ---- VM_EVENT_FLAG_* (bit masks) ----
    /** VM_EVENT_FLAG_VCPU_PAUSED: the vCPU is paused until the response (request); unpause it (response). */
    public static final int FLAG_VCPU_PAUSED = Xen.VM_EVENT_FLAG_VCPU_PAUSED();
    /** VM_EVENT_FLAG_FOREIGN: raised from another domain's context. */
    public static final int FLAG_FOREIGN = Xen.VM_EVENT_FLAG_FOREIGN();
    /** VM_EVENT_FLAG_EMULATE: emulate the faulting instruction, leaving permissions in place (only while it still violates). */
    public static final int FLAG_EMULATE = Xen.VM_EVENT_FLAG_EMULATE();
    /** VM_EVENT_FLAG_EMULATE_NOWRITE: emulate, discarding writes. */
    public static final int FLAG_EMULATE_NOWRITE = Xen.VM_EVENT_FLAG_EMULATE_NOWRITE();
    /** VM_EVENT_FLAG_TOGGLE_SINGLESTEP: toggle single-stepping of the vCPU. */
    public static final int FLAG_TOGGLE_SINGLESTEP = Xen.VM_EVENT_FLAG_TOGGLE_SINGLESTEP();
    /** VM_EVENT_FLAG_SET_EMUL_READ_DATA: emulate with the read data supplied in the response. */
    public static final int FLAG_SET_EMUL_READ_DATA = Xen.VM_EVENT_FLAG_SET_EMUL_READ_DATA();
    /** VM_EVENT_FLAG_DENY: cancel the pending CR or MSR write. */
    public static final int FLAG_DENY = Xen.VM_EVENT_FLAG_DENY();
    /** VM_EVENT_FLAG_ALTERNATE_P2M: altp2m_idx is valid (request); switch the vCPU to altp2m_idx (response). */
    public static final int FLAG_ALTERNATE_P2M = Xen.VM_EVENT_FLAG_ALTERNATE_P2M();
    /** VM_EVENT_FLAG_SET_REGISTERS: load the response's registers (GPRs, rflags, rip). */
    public static final int FLAG_SET_REGISTERS = Xen.VM_EVENT_FLAG_SET_REGISTERS();
    /** VM_EVENT_FLAG_SET_EMUL_INSN_DATA: emulate with the instruction bytes supplied in the response. */
    public static final int FLAG_SET_EMUL_INSN_DATA = Xen.VM_EVENT_FLAG_SET_EMUL_INSN_DATA();
    /** VM_EVENT_FLAG_GET_NEXT_INTERRUPT: send an INTERRUPT event for the next interrupt. */
    public static final int FLAG_GET_NEXT_INTERRUPT = Xen.VM_EVENT_FLAG_GET_NEXT_INTERRUPT();
    /** VM_EVENT_FLAG_FAST_SINGLESTEP: single-step once, then switch to the given view without an event. */
    public static final int FLAG_FAST_SINGLESTEP = Xen.VM_EVENT_FLAG_FAST_SINGLESTEP();
    /** VM_EVENT_FLAG_NESTED_P2M: the event came from a nested guest. */
    public static final int FLAG_NESTED_P2M = Xen.VM_EVENT_FLAG_NESTED_P2M();
    /** VM_EVENT_FLAG_RESET_VMTRACE: reset the vCPU's processor trace buffer. */
    public static final int FLAG_RESET_VMTRACE = Xen.VM_EVENT_FLAG_RESET_VMTRACE();
    /** VM_EVENT_FLAG_RESET_FORK_STATE: reset a fork's vCPU state from its parent. */
    public static final int FLAG_RESET_FORK_STATE = Xen.VM_EVENT_FLAG_RESET_FORK_STATE();
    /** VM_EVENT_FLAG_RESET_FORK_MEMORY: reset a fork's memory from its parent. */
    public static final int FLAG_RESET_FORK_MEMORY = Xen.VM_EVENT_FLAG_RESET_FORK_MEMORY();

    // ---- MEM_ACCESS_* (u.mem_access.flags) ----
    /**
     * u.mem_access.flags: the access that faulted (R, W, X; on VMX a write always sets R too), GLA_VALID, and
     * whether the fault came with a linear address or during the guest's page-table walk.
     */
    public static final int MEM_ACCESS_R = 1 << 0, MEM_ACCESS_W = 1 << 1, MEM_ACCESS_X = 1 << 2,
            MEM_ACCESS_GLA_VALID = 1 << 3, MEM_ACCESS_FAULT_WITH_GLA = 1 << 4, MEM_ACCESS_FAULT_IN_GPT = 1 << 5;

    // ---- VM_EVENT_REASON_* (compile-time constants for switch; VmEventAbiTest checks them against the bindings) ----
    /** No reason. */
    public static final int REASON_UNKNOWN = 0;
    /** VM_EVENT_REASON_MEM_ACCESS: a mem_access violation. */
    public static final int REASON_MEM_ACCESS = 1;
    /** VM_EVENT_REASON_MEM_SHARING: a copy-on-write that found no memory (sharing ring). */
    public static final int REASON_MEM_SHARING = 2;
    /** VM_EVENT_REASON_MEM_PAGING: mem_paging (not used by xenffm). */
    public static final int REASON_MEM_PAGING = 3;
    /** VM_EVENT_REASON_WRITE_CTRLREG: a control-register write. */
    public static final int REASON_WRITE_CTRLREG = 4;
    /** VM_EVENT_REASON_MOV_TO_MSR: an MSR write. */
    public static final int REASON_MOV_TO_MSR = 5;
    /** VM_EVENT_REASON_SOFTWARE_BREAKPOINT: INT3. */
    public static final int REASON_SOFTWARE_BREAKPOINT = 6;
    /** VM_EVENT_REASON_SINGLESTEP: one single-stepped instruction. */
    public static final int REASON_SINGLESTEP = 7;
    /** VM_EVENT_REASON_GUEST_REQUEST: the guest's request hypercall. */
    public static final int REASON_GUEST_REQUEST = 8;
    /** VM_EVENT_REASON_DEBUG_EXCEPTION: #DB. */
    public static final int REASON_DEBUG_EXCEPTION = 9;
    /** VM_EVENT_REASON_CPUID: CPUID. */
    public static final int REASON_CPUID = 10;
    /** VM_EVENT_REASON_PRIVILEGED_CALL: SMC (ARM only). */
    public static final int REASON_PRIVILEGED_CALL = 11;
    /** VM_EVENT_REASON_INTERRUPT: an interrupt (after GET_NEXT_INTERRUPT). */
    public static final int REASON_INTERRUPT = 12;
    /** VM_EVENT_REASON_DESCRIPTOR_ACCESS: a descriptor-table register access. */
    public static final int REASON_DESCRIPTOR_ACCESS = 13;
    /** VM_EVENT_REASON_EMUL_UNIMPLEMENTED: an instruction Xen cannot emulate. */
    public static final int REASON_EMUL_UNIMPLEMENTED = 14;
    /** VM_EVENT_REASON_VMEXIT: a VM exit (Xen ≥ 4.17). */
    public static final int REASON_VMEXIT = 15;
    /** VM_EVENT_REASON_IO_INSTRUCTION (Xen ≥ 4.18, same interface version 7). */
    public static final int REASON_IO_INSTRUCTION = 16;
    /** The highest reason v7 defines (IO_INSTRUCTION, added in 4.18 without a version bump). */
    public static final int REASON_MAX = REASON_IO_INSTRUCTION;

    /**
     * Byte offset of a ring slot.
     *
     * @param index a free-running ring index, masked here
     * @return the slot's offset in the ring page
     */
    public static long slotOffset(int index) {
        return RING + (long) (index & (RING_SIZE - 1)) * SLOT_SIZE;
    }
}
