// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The api's register codecs know struct vm_event_regs_x86 and struct hvm_hw_cpu by offset (api depends on no
 * bindings); this pins each offset to the jextract layouts of both bound Xen versions, which LayoutProbeTest pins to
 * gcc.
 */
class RegisterLayoutsTest {
    private static long off(GroupLayout l, String f) { return l.byteOffset(MemoryLayout.PathElement.groupElement(f)); }

    private static void vmEventImage(GroupLayout l) {
        assertEquals(X86Registers.BYTE_SIZE, l.byteSize());
        for (X86Registers.Reg r : X86Registers.Reg.values()) assertEquals(off(l, r.cName()), r.offset(), r.name());
        for (X86Registers.Gpr g : X86Registers.Gpr.values()) assertEquals(off(l, g.name().toLowerCase()), g.offset(), g.name());
        for (X86Registers.Segment s : X86Registers.Segment.values()) {
            String n = s.name().toLowerCase();
            assertEquals(off(l, n + "_base"), s.baseOffset(), n);
            assertEquals(off(l, n), s.regOffset(), n);
            assertEquals(off(l, n + "_sel"), s.selOffset(), n);
        }
        assertEquals(off(l, "gdtr_limit"), X86Registers.GDTR_LIMIT_OFFSET);
    }

    private static void hvmHwCpu(GroupLayout l) {
        assertEquals(l.byteSize(), HvmContext.CPU_SIZE);
        for (Map.Entry<String, Integer> e : HvmContext.CPU_OFFSETS.entrySet()) {
            // pending_event is the first member of an anonymous union, just before error_code
            long c = e.getKey().equals("pending_event") ? off(l, "error_code") - 4 : off(l, e.getKey());
            assertEquals(c, (long) e.getValue(), e.getKey());
        }
        // every plain member of the C struct is known (fpu_regs and the anonymous union aside)
        long plain = l.memberLayouts().stream().map(m -> m.name().orElse("$"))
                .filter(n -> !n.startsWith("$") && !n.equals("fpu_regs")).count();
        assertEquals(plain, HvmContext.CPU_OFFSETS.size() - 1);
    }

    private static void both(GroupLayout vmRegs, GroupLayout cpu, GroupLayout desc, GroupLayout header, int magic,
                             int version) {
        vmEventImage(vmRegs);
        hvmHwCpu(cpu);
        assertEquals(desc.byteSize(), HvmContext.DESCRIPTOR_SIZE);
        assertEquals(header.byteSize(), HvmContext.HEADER_SIZE);
        assertEquals(magic, HvmContext.FILE_MAGIC);
        assertEquals(version, HvmContext.FILE_VERSION);
    }

    @Test void xen417() {
        both(org.xenffm.bindings.xen417.vm_event_regs_x86.layout(), org.xenffm.bindings.xen417.hvm_hw_cpu.layout(),
                org.xenffm.bindings.xen417.hvm_save_descriptor.layout(), org.xenffm.bindings.xen417.hvm_save_header.layout(),
                org.xenffm.bindings.xen417.Xen.HVM_FILE_MAGIC(), org.xenffm.bindings.xen417.Xen.HVM_FILE_VERSION());
    }

    @Test void xen420() {
        both(org.xenffm.bindings.xen420.vm_event_regs_x86.layout(), org.xenffm.bindings.xen420.hvm_hw_cpu.layout(),
                org.xenffm.bindings.xen420.hvm_save_descriptor.layout(), org.xenffm.bindings.xen420.hvm_save_header.layout(),
                org.xenffm.bindings.xen420.Xen.HVM_FILE_MAGIC(), org.xenffm.bindings.xen420.Xen.HVM_FILE_VERSION());
    }
}
