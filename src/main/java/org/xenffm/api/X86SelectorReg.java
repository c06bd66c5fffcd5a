// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code struct vm_event_x86_selector_reg { uint32_t limit:20; uint32_t ar:12; }}, the segment limit and access
 * rights in {@code vm_event_regs_x86.cs/ss/ds/es/fs/gs}.
 *
 * <p>jextract cannot express bitfields (the generated layout is 4 bytes of padding), so this hand-written codec
 * does it. The bit positions are those of the x86-64 System V ABI (first bitfield in the low bits): limit is
 * bits 0-19, ar bits 20-31. LayoutProbeTest checks them against words produced by gcc's own bitfield stores.
 *
 * <p>Xen stores {@code seg.g ? seg.limit >> 12 : seg.limit} and {@code seg.attr}
 * (xen/arch/x86/vm_event.c:vm_event_pack_segment_register), so {@link #byteLimit()} undoes the shift.
 * {@code ar} is Xen's packed segment attribute: type:4 s:1 dpl:2 p:1 avl:1 l:1 db:1 g:1.
 *
 * @param limit the stored 20-bit limit
 * @param ar    the 12-bit packed attributes
 */
public record X86SelectorReg(int limit, int ar) {

    /** sizeof(struct vm_event_x86_selector_reg). */
    public static final long BYTE_SIZE = 4;
    /** The limit's 20 bits. */
    public static final int LIMIT_MASK = (1 << 20) - 1;
    /** Where ar starts in the raw word. */
    public static final int AR_SHIFT = 20;
    /** The attribute's 12 bits. */
    public static final int AR_MASK = (1 << 12) - 1;

    /** Attribute bits of {@link #ar()}: present, long mode, default operand size, granularity. */
    public static final int AR_P = 1 << 7, AR_L = 1 << 9, AR_DB = 1 << 10, AR_G = 1 << 11;

    /**
     * Checks the widths.
     *
     * @throws IllegalArgumentException a limit wider than 20 bits or attributes wider than 12
     */
    public X86SelectorReg {
        if ((limit & ~LIMIT_MASK) != 0) {
            throw new IllegalArgumentException("limit 0x" + Integer.toHexString(limit) + " does not fit 20 bits");
        }
        if ((ar & ~AR_MASK) != 0) {
            throw new IllegalArgumentException("ar 0x" + Integer.toHexString(ar) + " does not fit 12 bits");
        }
    }

    /**
     * Splits the raw 32-bit word as gcc lays out the bitfields.
     *
     * @param raw the word
     * @return the limit and attributes
     */
    public static X86SelectorReg decode(int raw) {
        return new X86SelectorReg(raw & LIMIT_MASK, raw >>> AR_SHIFT);
    }

    /** {@return the raw 32-bit word gcc would store for these bitfield values} */
    public int encode() {
        return limit | ar << AR_SHIFT;
    }

    /**
     * Reads the struct at the start of {@code reg} (e.g. {@code vm_event_regs_x86.cs(regs)}); bounds-checked.
     *
     * @param reg at least 4 bytes
     * @return the decoded struct
     */
    public static X86SelectorReg read(MemorySegment reg) {
        return decode(reg.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
    }

    /**
     * Writes the struct at the start of {@code reg}, e.g. into a response's SET_REGISTERS block.
     *
     * @param reg at least 4 bytes
     */
    public void write(MemorySegment reg) {
        reg.set(ValueLayout.JAVA_INT_UNALIGNED, 0, encode());
    }

    /** {@return the granularity bit: the stored limit counts 4 KiB pages} */
    public boolean granular() {
        return (ar & AR_G) != 0;
    }

    /** {@return the descriptor privilege level (ss.dpl is the CPL)} */
    public int dpl() {
        return (ar >>> 5) & 3;
    }

    /** {@return the present bit} */
    public boolean present() {
        return (ar & AR_P) != 0;
    }

    /** {@return whether this is a 64-bit code segment (cs.l)} */
    public boolean longMode() {
        return (ar & AR_L) != 0;
    }

    /** {@return the segment limit in bytes: Xen dropped the low 12 bits (all ones when g is set) before storing it} */
    public long byteLimit() {
        return granular() ? ((long) limit << 12) | 0xFFF : limit;
    }

    @Override
    public String toString() {
        return "selector_reg[limit=0x" + Integer.toHexString(limit) + " ar=0x" + Integer.toHexString(ar) + "]";
    }
}
