// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import org.xenffm.api.X86Registers;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.xenffm.vmevent.VmEventAbi.*;

import org.junit.jupiter.api.Test;
import org.xenffm.bindings.xen417.Xen;

/** The offsets from the jextract layouts equal the v7 table measured with gcc (docs/xen-semantics.md §7.2–§7.3). */
class VmEventAbiTest {
    @Test void ringPage() {
        assertEquals(7, VERSION);
        assertEquals(0, REQ_PROD);
        assertEquals(4, REQ_EVENT);
        assertEquals(8, RSP_PROD);
        assertEquals(12, RSP_EVENT);
        assertEquals(16, PVT);
        assertEquals(64, RING);
        assertEquals(400, SLOT_SIZE);
        assertEquals(8, RING_SIZE);
        assertEquals(64 + 7 * 400, slotOffset(-1), "free-running index masked to slot 7");
    }

    @Test void requestHeaderAndUnions() {
        assertEquals(0, VERSION_OFF);
        assertEquals(4, FLAGS);
        assertEquals(8, REASON);
        assertEquals(12, VCPU_ID);
        assertEquals(16, ALTP2M_IDX);
        assertEquals(24, U);
        assertEquals(32, U_SIZE);
        assertEquals(56, DATA);
        assertEquals(U, ALTP2M_IDX + 8, "responses clear altp2m_idx and its pad as one word");
        assertEquals(344, DATA_SIZE);
        assertEquals(24, MEM_ACCESS_FLAGS);
        assertEquals(16, MEM_ACCESS_GLA);
        assertEquals(8, CTRLREG_NEW);
        assertEquals(16, DEBUG_INSN_LENGTH);
        assertEquals(20, DEBUG_TYPE);
        assertEquals(16, DESC_DESCRIPTOR);
        assertEquals(17, DESC_IS_WRITE);
        assertEquals(8, DESC_EXIT_QUALIFICATION);
        assertEquals(16, INTR_CR2);
        assertEquals(8, VMEXIT_QUALIFICATION);
        assertEquals(4, EMUL_READ_DATA);
        assertEquals(340, EMUL_READ_MAX);
    }

    @Test void x86Registers() {
        assertEquals(152, regOffset("rip"));
        assertEquals(256, regOffset("vmtrace_pos"));
        assertEquals(264, regOffset("cs_base"));
        assertEquals(296, regOffset("cs"));
        assertEquals(320, regOffset("shadow_gs"));
        assertEquals(328, regOffset("gdtr_limit"));
        assertEquals(340, regOffset("gs_sel"));
        assertEquals(152, X86Registers.Gpr.RIP.offset());
        assertEquals(128, X86Registers.Gpr.RFLAGS.offset());
    }

    @Test void flagsAndReasons() {
        assertEquals(1, FLAG_VCPU_PAUSED);
        assertEquals(1 << 7, FLAG_ALTERNATE_P2M);
        assertEquals(1 << 15, FLAG_RESET_FORK_MEMORY);
        assertEquals(15, REASON_VMEXIT);
        int[] ours = {REASON_UNKNOWN, REASON_MEM_ACCESS, REASON_MEM_SHARING, REASON_MEM_PAGING, REASON_WRITE_CTRLREG,
                REASON_MOV_TO_MSR, REASON_SOFTWARE_BREAKPOINT, REASON_SINGLESTEP, REASON_GUEST_REQUEST,
                REASON_DEBUG_EXCEPTION, REASON_CPUID, REASON_PRIVILEGED_CALL, REASON_INTERRUPT,
                REASON_DESCRIPTOR_ACCESS, REASON_EMUL_UNIMPLEMENTED, REASON_VMEXIT};
        int[] headers = {Xen.VM_EVENT_REASON_UNKNOWN(), Xen.VM_EVENT_REASON_MEM_ACCESS(),
                Xen.VM_EVENT_REASON_MEM_SHARING(), Xen.VM_EVENT_REASON_MEM_PAGING(),
                Xen.VM_EVENT_REASON_WRITE_CTRLREG(), Xen.VM_EVENT_REASON_MOV_TO_MSR(),
                Xen.VM_EVENT_REASON_SOFTWARE_BREAKPOINT(), Xen.VM_EVENT_REASON_SINGLESTEP(),
                Xen.VM_EVENT_REASON_GUEST_REQUEST(), Xen.VM_EVENT_REASON_DEBUG_EXCEPTION(),
                Xen.VM_EVENT_REASON_CPUID(), Xen.VM_EVENT_REASON_PRIVILEGED_CALL(),
                Xen.VM_EVENT_REASON_INTERRUPT(), Xen.VM_EVENT_REASON_DESCRIPTOR_ACCESS(),
                Xen.VM_EVENT_REASON_EMUL_UNIMPLEMENTED(), Xen.VM_EVENT_REASON_VMEXIT()};
        assertArrayEquals(headers, ours);
        assertEquals(Xen.VM_EVENT_DESC_GDTR(), VmEvent.Descriptor.GDTR.value);
        assertEquals(16, REASON_IO_INSTRUCTION);
    }
}
