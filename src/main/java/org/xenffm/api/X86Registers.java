// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A vCPU's x86 register state: the one type for the registers a vm_event request carries (x86
 * vm_event.c:vm_event_fill_regs), the ones a SET_REGISTERS response hands back, and a vCPU's CPU save record read
 * with {@link Hypervisor#domainHvmGetcontextPartial} / written with {@link Hypervisor#domainHvmSetcontext}.
 *
 * <p>Immutable. The common part is kept as the 344-byte image of {@code struct vm_event_regs_x86} (public/vm_event.h,
 * interface version 7; {@code X86RegistersLayoutTest} pins every offset to the jextract layouts of Xen 4.17 and
 * 4.20), so a response round-trips every field Xen may read. Registers that only the HVM save record has (DR0–3,
 * IDTR, LDTR, TR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_TSC_AUX, the TSC) are present only in registers read from a
 * context: {@link #context(ContextReg)}.
 */
public class X86Registers {
    /** sizeof(struct vm_event_regs_x86). */
    public static final int BYTE_SIZE = 344;
    private static final int WORDS = BYTE_SIZE / 8;

    /** The registers a SET_REGISTERS response loads (x86 vm_event.c:vm_event_set_registers). */
    public enum Gpr {
        RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15, RFLAGS, RIP;

        /** Byte offset in struct vm_event_regs_x86. */
        public long offset() { return Reg.valueOf(name()).offset; }
    }

    /** Every 64-bit field of struct vm_event_regs_x86, in its order, with its byte offset. */
    public enum Reg {
        RAX(0), RCX(8), RDX(16), RBX(24), RSP(32), RBP(40), RSI(48), RDI(56), R8(64), R9(72), R10(80), R11(88),
        R12(96), R13(104), R14(112), R15(120), RFLAGS(128), DR6(136), DR7(144), RIP(152), CR0(160), CR2(168),
        CR3(176), CR4(184), SYSENTER_CS(192), SYSENTER_ESP(200), SYSENTER_EIP(208), MSR_EFER(216), MSR_STAR(224),
        MSR_LSTAR(232), GDTR_BASE(240), NPT_BASE(248), VMTRACE_POS(256), FS_BASE(280), GS_BASE(288),
        SHADOW_GS(320);

        final int offset;

        Reg(int offset) { this.offset = offset; }

        /** Byte offset in struct vm_event_regs_x86. */
        public long offset() { return offset; }

        /** The C member name. */
        public String cName() { return name().toLowerCase(Locale.ROOT); }
    }

    /** The six segment registers vm_event_regs_x86 carries (selector, limit/attributes, base). */
    public enum Segment {
        CS(264, 296, 330), SS(268, 300, 332), DS(272, 304, 334), ES(276, 308, 336), FS(280, 312, 338),
        GS(288, 316, 340);

        final int base, reg, sel;

        Segment(int base, int reg, int sel) {
            this.base = base;
            this.reg = reg;
            this.sel = sel;
        }

        /** Byte offsets in struct vm_event_regs_x86 of {@code <seg>_base}, {@code <seg>} and {@code <seg>_sel}. */
        public long baseOffset() { return base; }
        public long regOffset() { return reg; }
        public long selOffset() { return sel; }
        /** cs..es bases are uint32_t in the vm_event image, fs/gs bases uint64_t. */
        boolean wideBase() { return this == FS || this == GS; }
    }

    /** Offset of gdtr_limit (uint16_t). */
    public static final long GDTR_LIMIT_OFFSET = 328;

    /** Registers only the HVM CPU save record (struct hvm_hw_cpu) has. */
    public enum ContextReg {
        DR0, DR1, DR2, DR3, IDTR_BASE, IDTR_LIMIT, LDTR_SEL, LDTR_BASE, LDTR_LIMIT, LDTR_ARBYTES, TR_SEL, TR_BASE,
        TR_LIMIT, TR_ARBYTES, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_TSC_AUX, TSC
    }

    /** All zero: what a response carries when it does not set registers. */
    public static final X86Registers ZERO = new X86Registers(new long[WORDS], 0, null);

    static {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
            throw new ExceptionInInitializerError("x86 register images are little-endian");
    }

    private final long[] w;
    private final int base;                        // word index of the image in w
    private final EnumMap<ContextReg, Long> ctx;   // null: not read from a context

    /**
     * Registers over {@code words[firstWord .. firstWord + 43)}, which the caller hands over and never changes (the
     * vm_event consumer passes its private copy of a request without copying it again).
     */
    protected X86Registers(long[] words, int firstWord) {
        this(words, firstWord, null);
    }

    private X86Registers(long[] words, int firstWord, EnumMap<ContextReg, Long> ctx) {
        if (firstWord < 0 || firstWord + WORDS > words.length)
            throw new IllegalArgumentException("register image outside the array");
        this.w = words;
        this.base = firstWord;
        this.ctx = ctx;
    }

    /** Registers from the 344 bytes of a struct vm_event_regs_x86. */
    public static X86Registers fromBytes(byte[] image) {
        if (image.length != BYTE_SIZE) throw new IllegalArgumentException("need " + BYTE_SIZE + " bytes, got " + image.length);
        long[] w = new long[WORDS];
        MemorySegment.copy(MemorySegment.ofArray(image), ValueLayout.JAVA_LONG_UNALIGNED, 0, w, 0, WORDS);
        return new X86Registers(w, 0, null);
    }

    /** Writes the 344-byte struct vm_event_regs_x86 image to {@code dst} at {@code offset}. */
    public void writeTo(MemorySegment dst, long offset) {
        MemorySegment.copy(w, base, dst, ValueLayout.JAVA_LONG_UNALIGNED, offset, WORDS);
    }

    /** The raw 344 bytes (a copy). */
    public byte[] toBytes() {
        byte[] b = new byte[BYTE_SIZE];
        MemorySegment.copy(w, base, MemorySegment.ofArray(b), ValueLayout.JAVA_LONG_UNALIGNED, 0, WORDS);
        return b;
    }

    private long q(long off) { return w[base + (int) (off >>> 3)]; }

    private int d(long off) { return (int) (q(off & ~7) >>> ((off & 7) << 3)); }

    private int h(long off) { return d(off) & 0xffff; }

    public long get(Gpr reg) { return q(reg.offset()); }

    public long get(Reg reg) { return q(reg.offset); }

    /** A copy with one SET_REGISTERS register changed. */
    public X86Registers with(Gpr reg, long value) { return toBuilder().set(Reg.valueOf(reg.name()), value).build(); }

    /** A copy with one register changed. */
    public X86Registers with(Reg reg, long value) { return toBuilder().set(reg, value).build(); }

    /** A context-only register; empty for registers that came from a vm_event request. */
    public OptionalLong context(ContextReg reg) {
        Long v = ctx == null ? null : ctx.get(reg);
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    /** Whether these registers came from an HVM context (they carry {@link ContextReg} values). */
    public boolean fromContext() { return ctx != null; }

    public long rax() { return get(Reg.RAX); }
    public long rcx() { return get(Reg.RCX); }
    public long rdx() { return get(Reg.RDX); }
    public long rbx() { return get(Reg.RBX); }
    public long rsp() { return get(Reg.RSP); }
    public long rbp() { return get(Reg.RBP); }
    public long rsi() { return get(Reg.RSI); }
    public long rdi() { return get(Reg.RDI); }
    public long r8() { return get(Reg.R8); }
    public long r9() { return get(Reg.R9); }
    public long r10() { return get(Reg.R10); }
    public long r11() { return get(Reg.R11); }
    public long r12() { return get(Reg.R12); }
    public long r13() { return get(Reg.R13); }
    public long r14() { return get(Reg.R14); }
    public long r15() { return get(Reg.R15); }
    public long rflags() { return get(Reg.RFLAGS); }
    public long dr6() { return get(Reg.DR6); }
    public long dr7() { return get(Reg.DR7); }
    public long rip() { return get(Reg.RIP); }
    public long cr0() { return get(Reg.CR0); }
    public long cr2() { return get(Reg.CR2); }
    public long cr3() { return get(Reg.CR3); }
    public long cr4() { return get(Reg.CR4); }
    public long sysenterCs() { return get(Reg.SYSENTER_CS); }
    public long sysenterEsp() { return get(Reg.SYSENTER_ESP); }
    public long sysenterEip() { return get(Reg.SYSENTER_EIP); }
    public long msrEfer() { return get(Reg.MSR_EFER); }
    public long msrStar() { return get(Reg.MSR_STAR); }
    public long msrLstar() { return get(Reg.MSR_LSTAR); }
    public long gdtrBase() { return get(Reg.GDTR_BASE); }
    /** Nested guests (flag NESTED_P2M): the L1 NPT/EPT base. */
    public long nptBase() { return get(Reg.NPT_BASE); }
    /** The vmtrace buffer position, or ~0 when vmtrace is off. */
    public long vmtracePos() { return get(Reg.VMTRACE_POS); }
    public long fsBase() { return get(Reg.FS_BASE); }
    public long gsBase() { return get(Reg.GS_BASE); }
    public long shadowGs() { return get(Reg.SHADOW_GS); }
    public int gdtrLimit() { return h(GDTR_LIMIT_OFFSET); }

    /** A segment's base (cs..es: 32 bits in the vm_event image). */
    public long base(Segment s) { return s.wideBase() ? q(s.base) : Integer.toUnsignedLong(d(s.base)); }
    /** A segment's limit (page-granular when {@code g}) and attributes, as vm_event packs them. */
    public X86SelectorReg selectorReg(Segment s) { return X86SelectorReg.decode(d(s.reg)); }
    public int selector(Segment s) { return h(s.sel); }

    public long csBase() { return base(Segment.CS); }
    public long ssBase() { return base(Segment.SS); }
    public long dsBase() { return base(Segment.DS); }
    public long esBase() { return base(Segment.ES); }
    public X86SelectorReg cs() { return selectorReg(Segment.CS); }
    public X86SelectorReg ss() { return selectorReg(Segment.SS); }
    public X86SelectorReg ds() { return selectorReg(Segment.DS); }
    public X86SelectorReg es() { return selectorReg(Segment.ES); }
    public X86SelectorReg fs() { return selectorReg(Segment.FS); }
    public X86SelectorReg gs() { return selectorReg(Segment.GS); }
    public int csSel() { return selector(Segment.CS); }
    public int ssSel() { return selector(Segment.SS); }
    public int dsSel() { return selector(Segment.DS); }
    public int esSel() { return selector(Segment.ES); }
    public int fsSel() { return selector(Segment.FS); }
    public int gsSel() { return selector(Segment.GS); }

    /** A builder starting from these registers (context-only registers included). */
    public Builder toBuilder() { return new Builder(this); }

    public static Builder builder() { return new Builder(ZERO); }

    /** Builds registers field by field (the backends' context decoders, tests). */
    public static final class Builder {
        private final long[] w = new long[WORDS];
        private EnumMap<ContextReg, Long> ctx;

        private Builder(X86Registers from) {
            System.arraycopy(from.w, from.base, w, 0, WORDS);
            if (from.ctx != null) ctx = new EnumMap<>(from.ctx);
        }

        public Builder set(Reg r, long v) { w[r.offset >>> 3] = v; return this; }

        private void put(long off, int bytes, long v) {
            int i = (int) (off >>> 3), sh = (int) (off & 7) << 3;
            long mask = (bytes == 8 ? -1L : (1L << (bytes * 8)) - 1) << sh;
            w[i] = (w[i] & ~mask) | ((v << sh) & mask);
        }

        /** Selector, limit/attributes and base of one segment register. */
        public Builder segment(Segment s, int selector, X86SelectorReg reg, long segBase) {
            put(s.sel, 2, selector);
            put(s.reg, 4, reg.encode());
            put(s.base, s.wideBase() ? 8 : 4, segBase);
            return this;
        }

        public Builder gdtrLimit(int limit) { put(GDTR_LIMIT_OFFSET, 2, limit); return this; }

        /** A context-only register (makes the result {@link #fromContext()}). */
        public Builder context(ContextReg r, long v) {
            if (ctx == null) ctx = new EnumMap<>(ContextReg.class);
            ctx.put(r, v);
            return this;
        }

        public X86Registers build() { return new X86Registers(w.clone(), 0, ctx == null ? null : new EnumMap<>(ctx)); }
    }

    /** Equal when the vm_event images and the context-only registers are. */
    @Override public boolean equals(Object o) {
        return o instanceof X86Registers r && Arrays.equals(w, base, base + WORDS, r.w, r.base, r.base + WORDS)
                && java.util.Objects.equals(ctx, r.ctx);
    }

    @Override public int hashCode() { return Arrays.hashCode(Arrays.copyOfRange(w, base, base + WORDS)); }

    /** The context-only registers present (empty for event registers). */
    public Map<ContextReg, Long> contextRegisters() { return ctx == null ? Map.of() : Map.copyOf(ctx); }

    @Override public String toString() {
        return String.format("X86Registers[rip=%#x rsp=%#x rax=%#x cr3=%#x rflags=%#x]", rip(), rsp(), rax(), cr3(),
                rflags());
    }
}
