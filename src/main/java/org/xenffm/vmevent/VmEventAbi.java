package org.xenffm.vmevent;

/**
 * The vm_event v7 ring ABI (Xen 4.15 and newer; public/vm_event.h and public/io/ring.h), in one place. Every byte
 * offset the consumer uses comes from here, so switching to the jextract layouts is a change to this class only.
 * Sizes were checked with gcc against the 4.17 and master headers (xen-semantics §7.2–§7.3).
 */
public final class VmEventAbi {
    private VmEventAbi() {}

    /** VM_EVENT_INTERFACE_VERSION this consumer decodes. */
    public static final int VERSION = 7;

    // ---- the shared ring page (DEFINE_RING_TYPES(vm_event, vm_event_request_t, vm_event_response_t)) ----
    public static final int PAGE_SIZE = 4096;
    public static final long REQ_PROD = 0, REQ_EVENT = 4, RSP_PROD = 8, RSP_EVENT = 12, PVT = 16;
    /** Offset of ring[0] (after the 16 index bytes, 4 pvt bytes and 44 pad bytes). */
    public static final long RING = 64;
    /** sizeof(vm_event_request_t) == sizeof(vm_event_response_t) in v7. */
    public static final int SLOT_SIZE = 400;
    /** __RING_SIZE: the largest power of two with RING + n * SLOT_SIZE <= PAGE_SIZE. */
    public static final int RING_SIZE = 8;

    // ---- vm_event_request_t / vm_event_response_t ----
    public static final long VERSION_OFF = 0, FLAGS = 4, REASON = 8, VCPU_ID = 12, ALTP2M_IDX = 16;
    /** union u (32 bytes) and union data (344 bytes). */
    public static final long U = 24, DATA = 56;
    public static final int U_SIZE = 32, DATA_SIZE = 344;

    // union u members (offsets relative to U)
    public static final long MEM_ACCESS_GFN = 0, MEM_ACCESS_OFFSET = 8, MEM_ACCESS_GLA = 16, MEM_ACCESS_FLAGS = 24;
    public static final long CTRLREG_INDEX = 0, CTRLREG_NEW = 8, CTRLREG_OLD = 16;
    public static final long MSR_MSR = 0, MSR_NEW = 8, MSR_OLD = 16;
    public static final long DEBUG_GFN = 0, DEBUG_PENDING_DBG = 8, DEBUG_INSN_LENGTH = 16, DEBUG_TYPE = 20;
    public static final long SINGLESTEP_GFN = 0;
    public static final long FAST_SINGLESTEP_P2MIDX = 0;
    public static final long CPUID_INSN_LENGTH = 0, CPUID_LEAF = 4, CPUID_SUBLEAF = 8;
    public static final long INTR_VECTOR = 0, INTR_TYPE = 4, INTR_ERROR_CODE = 8, INTR_CR2 = 16;
    public static final long DESC_INSTR_INFO = 0, DESC_EXIT_QUALIFICATION = 8, DESC_DESCRIPTOR = 16,
            DESC_IS_WRITE = 17;
    public static final long VMEXIT_REASON = 0, VMEXIT_QUALIFICATION = 8;
    public static final long IO_BYTES = 0, IO_PORT = 4, IO_IN = 6, IO_STR = 7;
    public static final long SHARING_GFN = 0, SHARING_P2MT = 8;

    // union data members (offsets relative to DATA)
    public static final long EMUL_READ_SIZE = 0, EMUL_READ_DATA = 4;
    public static final int EMUL_READ_MAX = DATA_SIZE - 4;
    public static final int EMUL_INSN_SIZE = 16;

    // ---- VM_EVENT_FLAG_* (bit masks) ----
    public static final int FLAG_VCPU_PAUSED = 1 << 0;
    public static final int FLAG_FOREIGN = 1 << 1;
    public static final int FLAG_EMULATE = 1 << 2;
    public static final int FLAG_EMULATE_NOWRITE = 1 << 3;
    public static final int FLAG_TOGGLE_SINGLESTEP = 1 << 4;
    public static final int FLAG_SET_EMUL_READ_DATA = 1 << 5;
    public static final int FLAG_DENY = 1 << 6;
    public static final int FLAG_ALTERNATE_P2M = 1 << 7;
    public static final int FLAG_SET_REGISTERS = 1 << 8;
    public static final int FLAG_SET_EMUL_INSN_DATA = 1 << 9;
    public static final int FLAG_GET_NEXT_INTERRUPT = 1 << 10;
    public static final int FLAG_FAST_SINGLESTEP = 1 << 11;
    public static final int FLAG_NESTED_P2M = 1 << 12;
    public static final int FLAG_RESET_VMTRACE = 1 << 13;
    public static final int FLAG_RESET_FORK_STATE = 1 << 14;
    public static final int FLAG_RESET_FORK_MEMORY = 1 << 15;

    // ---- MEM_ACCESS_* (u.mem_access.flags) ----
    public static final int MEM_ACCESS_R = 1 << 0, MEM_ACCESS_W = 1 << 1, MEM_ACCESS_X = 1 << 2,
            MEM_ACCESS_GLA_VALID = 1 << 3, MEM_ACCESS_FAULT_WITH_GLA = 1 << 4, MEM_ACCESS_FAULT_IN_GPT = 1 << 5;

    // ---- VM_EVENT_REASON_* ----
    public static final int REASON_UNKNOWN = 0, REASON_MEM_ACCESS = 1, REASON_MEM_SHARING = 2,
            REASON_MEM_PAGING = 3, REASON_WRITE_CTRLREG = 4, REASON_MOV_TO_MSR = 5, REASON_SOFTWARE_BREAKPOINT = 6,
            REASON_SINGLESTEP = 7, REASON_GUEST_REQUEST = 8, REASON_DEBUG_EXCEPTION = 9, REASON_CPUID = 10,
            REASON_PRIVILEGED_CALL = 11, REASON_INTERRUPT = 12, REASON_DESCRIPTOR_ACCESS = 13,
            REASON_EMUL_UNIMPLEMENTED = 14, REASON_VMEXIT = 15, REASON_IO_INSTRUCTION = 16;
    /** The highest reason v7 defines (IO_INSTRUCTION, added in 4.18 without a version bump). */
    public static final int REASON_MAX = REASON_IO_INSTRUCTION;

    /** Byte offset of a ring slot; {@code index} is a free-running ring index, masked here. */
    public static long slotOffset(int index) {
        return RING + (long) (index & (RING_SIZE - 1)) * SLOT_SIZE;
    }
}
