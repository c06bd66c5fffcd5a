// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

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
import org.xenffm.bindings.xen417.vm_event_st;
import org.xenffm.bindings.xen417.vm_event_vmexit;
import org.xenffm.bindings.xen417.vm_event_write_ctrlreg;

/**
 * Every vm_event v7 offset and constant the emulator writes or reads, taken from the jextract layouts of Xen 4.17's
 * public/vm_event.h and io/ring.h (org.xenffm.bindings.xen417, proven against gcc) — the one place to change for
 * another interface version. The MEM_ACCESS_* flag macros are not in the bindings and are spelled out.
 */
final class VmEventLayout {
    private VmEventLayout() {}

    static final int VERSION = Xen.VM_EVENT_INTERFACE_VERSION();

    // struct vm_event_sring (io/ring.h DEFINE_RING_TYPES): four RING_IDX, the private union padding the header to 64
    // bytes, then the slots. Spelled out: the generated vm_event_sring's initialiser builds its union's array
    // handles (~40 method-handle classes the JVM spins at run time), which every emulated start of the CLI paid.
    // RingProtocolTest holds these to the generated layout.
    static final long REQ_PROD = 0, REQ_EVENT = 4, RSP_PROD = 8, RSP_EVENT = 12, RING = 64;
    static final long SLOT_SIZE = vm_event_st.layout().byteSize();
    /** __RD32((4096 − 64) / 400) = 8 */
    static final int RING_SIZE = Integer.highestOneBit((int) ((4096 - RING) / SLOT_SIZE));

    // vm_event_request_t / vm_event_response_t (struct vm_event_st)
    static final long VERSION_OFF = vm_event_st.version$offset(), FLAGS = vm_event_st.flags$offset(),
            REASON = vm_event_st.reason$offset(), VCPU_ID = vm_event_st.vcpu_id$offset(),
            ALTP2M_IDX = vm_event_st.altp2m_idx$offset(), U = vm_event_st.u$offset(), DATA = vm_event_st.data$offset();

    // u.* members (offsets inside u)
    static final long U_GFN = vm_event_mem_access.gfn$offset();   // also mem_sharing/singlestep/debug .gfn (0)
    static final long U_MEM_ACCESS_OFFSET = vm_event_mem_access.offset$offset(),
            U_MEM_ACCESS_GLA = vm_event_mem_access.gla$offset(), U_MEM_ACCESS_FLAGS = vm_event_mem_access.flags$offset();
    static final long U_SHARING_P2MT = vm_event_sharing.p2mt$offset();
    static final long U_CTRLREG_INDEX = vm_event_write_ctrlreg.index$offset(),
            U_CTRLREG_NEW = vm_event_write_ctrlreg.new_value$offset(),
            U_CTRLREG_OLD = vm_event_write_ctrlreg.old_value$offset();
    static final long U_MSR = vm_event_mov_to_msr.msr$offset(), U_MSR_NEW = vm_event_mov_to_msr.new_value$offset(),
            U_MSR_OLD = vm_event_mov_to_msr.old_value$offset();
    static final long U_DESC_INSTR_INFO = vm_event_desc_access.arch$offset() + vm_event_desc_access.arch.vmx$offset()
            + vm_event_desc_access.arch.vmx.instr_info$offset();
    static final long U_DESC_EXIT_QUAL = vm_event_desc_access.arch$offset() + vm_event_desc_access.arch.vmx$offset()
            + vm_event_desc_access.arch.vmx.exit_qualification$offset();
    static final long U_DESC_DESCRIPTOR = vm_event_desc_access.descriptor$offset(),
            U_DESC_IS_WRITE = vm_event_desc_access.is_write$offset();
    static final long U_DEBUG_PENDING_DBG = vm_event_debug.pending_dbg$offset(),
            U_DEBUG_INSN_LENGTH = vm_event_debug.insn_length$offset(), U_DEBUG_TYPE = vm_event_debug.type$offset();
    static final long U_CPUID_INSN_LENGTH = vm_event_cpuid.insn_length$offset(), U_CPUID_LEAF = vm_event_cpuid.leaf$offset(),
            U_CPUID_SUBLEAF = vm_event_cpuid.subleaf$offset();
    static final long U_VMEXIT_REASON = vm_event_vmexit.arch$offset() + vm_event_vmexit.arch.vmx$offset()
            + vm_event_vmexit.arch.vmx.reason$offset();
    static final long U_VMEXIT_QUAL = vm_event_vmexit.arch$offset() + vm_event_vmexit.arch.vmx$offset()
            + vm_event_vmexit.arch.vmx.qualification$offset();
    static final long U_FAST_SINGLESTEP_P2MIDX = vm_event_fast_singlestep.p2midx$offset();
    static final long U_INTERRUPT_VECTOR = vm_event_interrupt_x86.vector$offset(),
            U_INTERRUPT_TYPE = vm_event_interrupt_x86.type$offset(),
            U_INTERRUPT_ERROR = vm_event_interrupt_x86.error_code$offset(),
            U_INTERRUPT_CR2 = vm_event_interrupt_x86.cr2$offset();

    // u.io (≥ 4.18, not in 4.17 bindings; docs/xen-semantics.md §7.3): bytes u32 @0, port u16 @4, in u8 @6, str u8 @7
    static final long U_IO_BYTES = 0, U_IO_PORT = 4, U_IO_IN = 6, U_IO_STR = 7;
    static final int REASON_IO_INSTRUCTION = 16;

    // data.regs.x86 (offsets inside data)
    static final long R_RAX = vm_event_regs_x86.rax$offset(), R_RFLAGS = vm_event_regs_x86.rflags$offset(),
            R_DR6 = vm_event_regs_x86.dr6$offset(), R_DR7 = vm_event_regs_x86.dr7$offset(),
            R_RIP = vm_event_regs_x86.rip$offset(), R_CR0 = vm_event_regs_x86.cr0$offset(),
            R_CR2 = vm_event_regs_x86.cr2$offset(), R_CR3 = vm_event_regs_x86.cr3$offset(),
            R_CR4 = vm_event_regs_x86.cr4$offset(), R_SYSENTER_CS = vm_event_regs_x86.sysenter_cs$offset(),
            R_SYSENTER_ESP = vm_event_regs_x86.sysenter_esp$offset(),
            R_SYSENTER_EIP = vm_event_regs_x86.sysenter_eip$offset(), R_EFER = vm_event_regs_x86.msr_efer$offset(),
            R_STAR = vm_event_regs_x86.msr_star$offset(), R_LSTAR = vm_event_regs_x86.msr_lstar$offset(),
            R_GDTR_BASE = vm_event_regs_x86.gdtr_base$offset(), R_NPT_BASE = vm_event_regs_x86.npt_base$offset(),
            R_VMTRACE_POS = vm_event_regs_x86.vmtrace_pos$offset(), R_FS_BASE = vm_event_regs_x86.fs_base$offset(),
            R_GS_BASE = vm_event_regs_x86.gs_base$offset(), R_SHADOW_GS = vm_event_regs_x86.shadow_gs$offset(),
            R_GDTR_LIMIT = vm_event_regs_x86.gdtr_limit$offset();
    // data.emul.read: size u32, data[]
    static final long EMUL_READ_SIZE = vm_event_emul_read_data.size$offset(),
            EMUL_READ_DATA = vm_event_emul_read_data.data$offset();
    /** vm_event_emul_insn_data.data: the instruction bytes of SET_EMUL_INSN_DATA. */
    static final int EMUL_INSN_SIZE = 16;
    static final int EMUL_READ_MAX = (int) (vm_event_emul_read_data.layout().byteSize() - EMUL_READ_DATA);

    // flags
    static final int F_VCPU_PAUSED = Xen.VM_EVENT_FLAG_VCPU_PAUSED(), F_FOREIGN = Xen.VM_EVENT_FLAG_FOREIGN(),
            F_EMULATE = Xen.VM_EVENT_FLAG_EMULATE(), F_EMULATE_NOWRITE = Xen.VM_EVENT_FLAG_EMULATE_NOWRITE(),
            F_TOGGLE_SINGLESTEP = Xen.VM_EVENT_FLAG_TOGGLE_SINGLESTEP(),
            F_SET_EMUL_READ_DATA = Xen.VM_EVENT_FLAG_SET_EMUL_READ_DATA(), F_DENY = Xen.VM_EVENT_FLAG_DENY(),
            F_ALTERNATE_P2M = Xen.VM_EVENT_FLAG_ALTERNATE_P2M(), F_SET_REGISTERS = Xen.VM_EVENT_FLAG_SET_REGISTERS(),
            F_SET_EMUL_INSN_DATA = Xen.VM_EVENT_FLAG_SET_EMUL_INSN_DATA(),
            F_GET_NEXT_INTERRUPT = Xen.VM_EVENT_FLAG_GET_NEXT_INTERRUPT(),
            F_FAST_SINGLESTEP = Xen.VM_EVENT_FLAG_FAST_SINGLESTEP(), F_NESTED_P2M = Xen.VM_EVENT_FLAG_NESTED_P2M(),
            F_RESET_VMTRACE = Xen.VM_EVENT_FLAG_RESET_VMTRACE(),
            F_RESET_FORK_STATE = Xen.VM_EVENT_FLAG_RESET_FORK_STATE(),
            F_RESET_FORK_MEMORY = Xen.VM_EVENT_FLAG_RESET_FORK_MEMORY();

    // reasons
    static final int REASON_MEM_ACCESS = Xen.VM_EVENT_REASON_MEM_ACCESS(),
            REASON_MEM_SHARING = Xen.VM_EVENT_REASON_MEM_SHARING(),
            REASON_WRITE_CTRLREG = Xen.VM_EVENT_REASON_WRITE_CTRLREG(),
            REASON_MOV_TO_MSR = Xen.VM_EVENT_REASON_MOV_TO_MSR(),
            REASON_SOFTWARE_BREAKPOINT = Xen.VM_EVENT_REASON_SOFTWARE_BREAKPOINT(),
            REASON_SINGLESTEP = Xen.VM_EVENT_REASON_SINGLESTEP(), REASON_GUEST_REQUEST = Xen.VM_EVENT_REASON_GUEST_REQUEST(),
            REASON_DEBUG_EXCEPTION = Xen.VM_EVENT_REASON_DEBUG_EXCEPTION(), REASON_CPUID = Xen.VM_EVENT_REASON_CPUID(),
            REASON_INTERRUPT = Xen.VM_EVENT_REASON_INTERRUPT(),
            REASON_DESCRIPTOR_ACCESS = Xen.VM_EVENT_REASON_DESCRIPTOR_ACCESS(),
            REASON_EMUL_UNIMPLEMENTED = Xen.VM_EVENT_REASON_EMUL_UNIMPLEMENTED(),
            REASON_VMEXIT = Xen.VM_EVENT_REASON_VMEXIT();

    // u.mem_access.flags (public/vm_event.h MEM_ACCESS_*: not exported as constants by jextract)
    static final int MEM_ACCESS_R = 1, MEM_ACCESS_W = 1 << 1, MEM_ACCESS_X = 1 << 2, MEM_ACCESS_RWX = 7,
            MEM_ACCESS_GLA_VALID = 1 << 3, MEM_ACCESS_FAULT_WITH_GLA = 1 << 4, MEM_ACCESS_FAULT_IN_GPT = 1 << 5;

    static long slot(int index) { return RING + (long) (index & (RING_SIZE - 1)) * SLOT_SIZE; }
}
