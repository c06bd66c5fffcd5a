// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import org.xenffm.api.X86SelectorReg;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.xenffm.bindings.xen417.vm_event_regs_x86;
import org.xenffm.bindings.xen417.vm_event_x86_selector_reg;

/** The bit positions themselves are checked against gcc in org.xenffm.bindings.LayoutProbeTest. */
class X86SelectorRegTest {

    @Property
    void decodeInvertsEncode(@ForAll @IntRange(min = 0, max = 0xFFFFF) int limit,
                             @ForAll @IntRange(min = 0, max = 0xFFF) int ar) {
        X86SelectorReg r = new X86SelectorReg(limit, ar);
        assertEquals(r, X86SelectorReg.decode(r.encode()));
    }

    @Property
    void everyWordDecodesAndReencodesToItself(@ForAll int raw) {
        assertEquals(raw, X86SelectorReg.decode(raw).encode());
    }

    @Test
    void rejectsValuesWiderThanTheirBitfield() {
        assertThrows(IllegalArgumentException.class, () -> new X86SelectorReg(0x100000, 0));
        assertThrows(IllegalArgumentException.class, () -> new X86SelectorReg(0, 0x1000));
        assertThrows(IllegalArgumentException.class, () -> new X86SelectorReg(-1, 0));
    }

    @Test
    void flat64BitCodeSegment() {
        // cs of a long-mode guest: limit 0xfffff with g set, type 0xb, s, dpl 0, p, l  -> ar 0xa9b
        X86SelectorReg cs = X86SelectorReg.decode(0xA9BFFFFF);
        assertTrue(cs.granular());
        assertTrue(cs.longMode());
        assertTrue(cs.present());
        assertEquals(0, cs.dpl());
        assertEquals(0xFFFF_FFFFL, cs.byteLimit());
    }

    @Test
    void byteGranularUserDataSegment() {
        X86SelectorReg ss = new X86SelectorReg(0xFFFF, 0x0F3); // type 3, s, dpl 3, p, g clear
        assertFalse(ss.granular());
        assertEquals(3, ss.dpl());
        assertEquals(0xFFFF, ss.byteLimit());
    }

    @Test
    void readsAndWritesInsideGeneratedRegsLayout() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment regs = vm_event_regs_x86.allocate(arena);
            MemorySegment ss = vm_event_regs_x86.ss(regs);
            assertEquals(X86SelectorReg.BYTE_SIZE, vm_event_x86_selector_reg.layout().byteSize());
            assertEquals(X86SelectorReg.BYTE_SIZE, ss.byteSize());
            new X86SelectorReg(0x12345, 0xABC).write(ss);
            assertEquals(0xABC12345, regs.get(ValueLayout.JAVA_INT_UNALIGNED,
                    vm_event_regs_x86.layout().byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("ss"))));
            assertEquals(new X86SelectorReg(0x12345, 0xABC), X86SelectorReg.read(ss));
            assertEquals(new X86SelectorReg(0, 0), X86SelectorReg.read(vm_event_regs_x86.cs(regs)));
        }
    }

    @Test
    void readIsBoundsChecked() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tooSmall = arena.allocate(3);
            assertThrows(IndexOutOfBoundsException.class, () -> X86SelectorReg.read(tooSmall));
        }
    }
}
