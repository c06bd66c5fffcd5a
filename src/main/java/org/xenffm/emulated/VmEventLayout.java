package org.xenffm.emulated;

/**
 * Every vm_event v7 offset the emulator writes or reads (public/vm_event.h and public/io/ring.h of Xen 4.17, checked
 * with gcc: xen-semantics §7.2/§7.3). Kept in this one class so that switching to the jextract layouts of
 * org.xenffm.bindings.xen417 is a one-file change.
 */
final class VmEventLayout {
    private VmEventLayout() {}

    static final int VERSION = 7;

    // struct vm_event_sring (DEFINE_RING_TYPES)
    static final long REQ_PROD = 0, REQ_EVENT = 4, RSP_PROD = 8, RSP_EVENT = 12, RING = 64;
    static final int RING_SIZE = 8;
    static final long SLOT_SIZE = 400;

    // vm_event_request_t / vm_event_response_t
    static final long VERSION_OFF = 0, FLAGS = 4, REASON = 8, VCPU_ID = 12, ALTP2M_IDX = 16, U = 24, DATA = 56;
    static final long DATA_SIZE = 344;

    // u.* members (offsets inside u)
    static final long U_GFN = 0;                       // mem_access/mem_sharing/singlestep/software_breakpoint.gfn
    static final long U_MEM_ACCESS_OFFSET = 8, U_MEM_ACCESS_GLA = 16, U_MEM_ACCESS_FLAGS = 24;
    static final long U_SHARING_P2MT = 8;
    static final long U_CTRLREG_INDEX = 0, U_CTRLREG_NEW = 8, U_CTRLREG_OLD = 16;
    static final long U_MSR = 0, U_MSR_NEW = 8, U_MSR_OLD = 16;
    static final long U_DESC_INSTR_INFO = 0, U_DESC_EXIT_QUAL = 8, U_DESC_DESCRIPTOR = 16, U_DESC_IS_WRITE = 17;
    static final long U_DEBUG_PENDING_DBG = 8, U_DEBUG_INSN_LENGTH = 16, U_DEBUG_TYPE = 20;
    static final long U_CPUID_INSN_LENGTH = 0, U_CPUID_LEAF = 4, U_CPUID_SUBLEAF = 8;
    static final long U_VMEXIT_REASON = 0, U_VMEXIT_QUAL = 8;
    static final long U_FAST_SINGLESTEP_P2MIDX = 0;
    static final long U_INTERRUPT_VECTOR = 0, U_INTERRUPT_TYPE = 4, U_INTERRUPT_ERROR = 8, U_INTERRUPT_CR2 = 16;

    // data.regs.x86 (offsets inside data)
    static final long R_RAX = 0, R_RCX = 8, R_RDX = 16, R_RBX = 24, R_RSP = 32, R_RBP = 40, R_RSI = 48, R_RDI = 56,
            R_R8 = 64, R_RFLAGS = 128, R_DR6 = 136, R_DR7 = 144, R_RIP = 152, R_CR0 = 160, R_CR2 = 168, R_CR3 = 176,
            R_CR4 = 184, R_SYSENTER_CS = 192, R_SYSENTER_ESP = 200, R_SYSENTER_EIP = 208, R_EFER = 216,
            R_STAR = 224, R_LSTAR = 232, R_GDTR_BASE = 240, R_NPT_BASE = 248, R_VMTRACE_POS = 256,
            R_FS_BASE = 280, R_GS_BASE = 288, R_SHADOW_GS = 320, R_GDTR_LIMIT = 328;
    // data.emul.read: size u32 @0, data[340] @4; data.emul.insn: 16 bytes @0
    static final long EMUL_READ_SIZE = 0, EMUL_READ_DATA = 4;
    static final int EMUL_READ_MAX = 340;

    // flags (bit numbers → masks)
    static final int F_VCPU_PAUSED = 1, F_FOREIGN = 1 << 1, F_EMULATE = 1 << 2, F_EMULATE_NOWRITE = 1 << 3,
            F_TOGGLE_SINGLESTEP = 1 << 4, F_SET_EMUL_READ_DATA = 1 << 5, F_DENY = 1 << 6,
            F_ALTERNATE_P2M = 1 << 7, F_SET_REGISTERS = 1 << 8, F_SET_EMUL_INSN_DATA = 1 << 9,
            F_GET_NEXT_INTERRUPT = 1 << 10, F_FAST_SINGLESTEP = 1 << 11, F_NESTED_P2M = 1 << 12,
            F_RESET_VMTRACE = 1 << 13, F_RESET_FORK_STATE = 1 << 14, F_RESET_FORK_MEMORY = 1 << 15;

    // reasons
    static final int REASON_MEM_ACCESS = 1, REASON_MEM_SHARING = 2, REASON_WRITE_CTRLREG = 4, REASON_MOV_TO_MSR = 5,
            REASON_SOFTWARE_BREAKPOINT = 6, REASON_SINGLESTEP = 7, REASON_GUEST_REQUEST = 8,
            REASON_DEBUG_EXCEPTION = 9, REASON_CPUID = 10, REASON_INTERRUPT = 12, REASON_DESCRIPTOR_ACCESS = 13,
            REASON_EMUL_UNIMPLEMENTED = 14, REASON_VMEXIT = 15;

    // u.mem_access.flags
    static final int MEM_ACCESS_R = 1, MEM_ACCESS_W = 2, MEM_ACCESS_X = 4, MEM_ACCESS_RWX = 7,
            MEM_ACCESS_GLA_VALID = 1 << 3, MEM_ACCESS_FAULT_WITH_GLA = 1 << 4, MEM_ACCESS_FAULT_IN_GPT = 1 << 5;

    static long slot(int index) { return RING + (long) (index & (RING_SIZE - 1)) * SLOT_SIZE; }
}
