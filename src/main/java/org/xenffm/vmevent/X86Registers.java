package org.xenffm.vmevent;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * {@code struct vm_event_regs_x86} (v7, 344 bytes) as Xen filled it for a request (x86 vm_event.c:vm_event_fill_regs),
 * or as a response hands it back with SET_REGISTERS. Immutable: {@link #with(Gpr, long)} returns a copy. The bytes
 * are kept as Xen laid them out, so a response round-trips every field Xen may read, not just the ones changed.
 */
public final class X86Registers {
    /** The registers a SET_REGISTERS response loads (x86 vm_event.c:vm_event_set_registers). */
    public enum Gpr {
        RAX(0), RCX(8), RDX(16), RBX(24), RSP(32), RBP(40), RSI(48), RDI(56), R8(64), R9(72), R10(80), R11(88),
        R12(96), R13(104), R14(112), R15(120), RFLAGS(128), RIP(152);

        final long offset;

        Gpr(long offset) { this.offset = offset; }
    }

    /** One {@code struct vm_event_x86_selector_reg}: a 20-bit limit and 12 bits of attributes. */
    public record SelectorReg(int limit, int attributes) {
        static SelectorReg decode(int raw) { return new SelectorReg(raw & 0xfffff, raw >>> 20); }
    }

    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    /** All zero: what a response carries when it does not set registers. */
    public static final X86Registers ZERO = new X86Registers(new long[VmEventAbi.DATA_SIZE / 8]);

    private final long[] words; // 344 bytes, 8-byte aligned
    private final MemorySegment view;

    private X86Registers(long[] words) {
        this.words = words;
        this.view = MemorySegment.ofArray(words);
    }

    /** Copies the 344 register bytes found at {@code offset} in {@code src}. */
    static X86Registers copyOf(MemorySegment src, long offset) {
        long[] w = new long[VmEventAbi.DATA_SIZE / 8];
        MemorySegment.copy(src, offset, MemorySegment.ofArray(w), 0, VmEventAbi.DATA_SIZE);
        return new X86Registers(w);
    }

    /** Writes the 344 register bytes to {@code dst} at {@code offset}. */
    void copyTo(MemorySegment dst, long offset) {
        MemorySegment.copy(view, 0, dst, offset, VmEventAbi.DATA_SIZE);
    }

    public X86Registers with(Gpr reg, long value) {
        long[] w = words.clone();
        w[(int) (reg.offset / 8)] = value;
        return new X86Registers(w);
    }

    public long get(Gpr reg) { return view.get(U64, reg.offset); }

    private long q(long off) { return view.get(U64, off); }
    private int d(long off) { return view.get(U32, off); }
    private int w(long off) { return Short.toUnsignedInt(view.get(U16, off)); }

    public long rax() { return q(0); }
    public long rcx() { return q(8); }
    public long rdx() { return q(16); }
    public long rbx() { return q(24); }
    public long rsp() { return q(32); }
    public long rbp() { return q(40); }
    public long rsi() { return q(48); }
    public long rdi() { return q(56); }
    public long r8() { return q(64); }
    public long r9() { return q(72); }
    public long r10() { return q(80); }
    public long r11() { return q(88); }
    public long r12() { return q(96); }
    public long r13() { return q(104); }
    public long r14() { return q(112); }
    public long r15() { return q(120); }
    public long rflags() { return q(128); }
    public long dr6() { return q(136); }
    public long dr7() { return q(144); }
    public long rip() { return q(152); }
    public long cr0() { return q(160); }
    public long cr2() { return q(168); }
    public long cr3() { return q(176); }
    public long cr4() { return q(184); }
    public long sysenterCs() { return q(192); }
    public long sysenterEsp() { return q(200); }
    public long sysenterEip() { return q(208); }
    public long msrEfer() { return q(216); }
    public long msrStar() { return q(224); }
    public long msrLstar() { return q(232); }
    public long gdtrBase() { return q(240); }
    /** Nested guests (flag NESTED_P2M): the L1 NPT/EPT base. */
    public long nptBase() { return q(248); }
    /** The vmtrace buffer position, or ~0 when vmtrace is off. */
    public long vmtracePos() { return q(256); }
    public long csBase() { return Integer.toUnsignedLong(d(264)); }
    public long ssBase() { return Integer.toUnsignedLong(d(268)); }
    public long dsBase() { return Integer.toUnsignedLong(d(272)); }
    public long esBase() { return Integer.toUnsignedLong(d(276)); }
    public long fsBase() { return q(280); }
    public long gsBase() { return q(288); }
    public SelectorReg cs() { return SelectorReg.decode(d(296)); }
    public SelectorReg ss() { return SelectorReg.decode(d(300)); }
    public SelectorReg ds() { return SelectorReg.decode(d(304)); }
    public SelectorReg es() { return SelectorReg.decode(d(308)); }
    public SelectorReg fs() { return SelectorReg.decode(d(312)); }
    public SelectorReg gs() { return SelectorReg.decode(d(316)); }
    public long shadowGs() { return q(320); }
    public int gdtrLimit() { return w(328); }
    public int csSel() { return w(330); }
    public int ssSel() { return w(332); }
    public int dsSel() { return w(334); }
    public int esSel() { return w(336); }
    public int fsSel() { return w(338); }
    public int gsSel() { return w(340); }

    /** The raw 344 bytes (a copy). */
    public byte[] toBytes() { return view.toArray(ValueLayout.JAVA_BYTE); }

    @Override public boolean equals(Object o) {
        return o instanceof X86Registers r && Arrays.equals(words, r.words);
    }

    @Override public int hashCode() { return Arrays.hashCode(words); }

    @Override public String toString() {
        return String.format("X86Registers[rip=%#x rsp=%#x rax=%#x cr3=%#x rflags=%#x]", rip(), rsp(), rax(), cr3(),
                rflags());
    }
}
