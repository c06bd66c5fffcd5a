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
        /** RAX (vm_event_regs_x86.rax). */ RAX,
        /** RCX (vm_event_regs_x86.rcx). */ RCX,
        /** RDX (vm_event_regs_x86.rdx). */ RDX,
        /** RBX (vm_event_regs_x86.rbx). */ RBX,
        /** RSP (vm_event_regs_x86.rsp). */ RSP,
        /** RBP (vm_event_regs_x86.rbp). */ RBP,
        /** RSI (vm_event_regs_x86.rsi). */ RSI,
        /** RDI (vm_event_regs_x86.rdi). */ RDI,
        /** R8 (vm_event_regs_x86.r8). */ R8,
        /** R9 (vm_event_regs_x86.r9). */ R9,
        /** R10 (vm_event_regs_x86.r10). */ R10,
        /** R11 (vm_event_regs_x86.r11). */ R11,
        /** R12 (vm_event_regs_x86.r12). */ R12,
        /** R13 (vm_event_regs_x86.r13). */ R13,
        /** R14 (vm_event_regs_x86.r14). */ R14,
        /** R15 (vm_event_regs_x86.r15). */ R15,
        /** RFLAGS (vm_event_regs_x86.rflags). */ RFLAGS,
        /** RIP (vm_event_regs_x86.rip). */ RIP;

        // looked up once: Reg.valueOf is a map lookup by name, too slow for a per-event register read
        private final int offset = Reg.valueOf(name()).offset;

        /** {@return the byte offset in struct vm_event_regs_x86} */
        public long offset() { return offset; }
    }

    /** Every 64-bit field of struct vm_event_regs_x86, in its order, with its byte offset. */
    public enum Reg {
        /** vm_event_regs_x86.rax. */ RAX(0),
        /** vm_event_regs_x86.rcx. */ RCX(8),
        /** vm_event_regs_x86.rdx. */ RDX(16),
        /** vm_event_regs_x86.rbx. */ RBX(24),
        /** vm_event_regs_x86.rsp. */ RSP(32),
        /** vm_event_regs_x86.rbp. */ RBP(40),
        /** vm_event_regs_x86.rsi. */ RSI(48),
        /** vm_event_regs_x86.rdi. */ RDI(56),
        /** vm_event_regs_x86.r8. */ R8(64),
        /** vm_event_regs_x86.r9. */ R9(72),
        /** vm_event_regs_x86.r10. */ R10(80),
        /** vm_event_regs_x86.r11. */ R11(88),
        /** vm_event_regs_x86.r12. */ R12(96),
        /** vm_event_regs_x86.r13. */ R13(104),
        /** vm_event_regs_x86.r14. */ R14(112),
        /** vm_event_regs_x86.r15. */ R15(120),
        /** vm_event_regs_x86.rflags. */ RFLAGS(128),
        /** vm_event_regs_x86.dr6. */ DR6(136),
        /** vm_event_regs_x86.dr7. */ DR7(144),
        /** vm_event_regs_x86.rip. */ RIP(152),
        /** vm_event_regs_x86.cr0. */ CR0(160),
        /** vm_event_regs_x86.cr2. */ CR2(168),
        /** vm_event_regs_x86.cr3. */ CR3(176),
        /** vm_event_regs_x86.cr4. */ CR4(184),
        /** vm_event_regs_x86.sysenter_cs. */ SYSENTER_CS(192),
        /** vm_event_regs_x86.sysenter_esp. */ SYSENTER_ESP(200),
        /** vm_event_regs_x86.sysenter_eip. */ SYSENTER_EIP(208),
        /** vm_event_regs_x86.msr_efer. */ MSR_EFER(216),
        /** vm_event_regs_x86.msr_star. */ MSR_STAR(224),
        /** vm_event_regs_x86.msr_lstar. */ MSR_LSTAR(232),
        /** vm_event_regs_x86.gdtr_base. */ GDTR_BASE(240),
        /** vm_event_regs_x86.npt_base. */ NPT_BASE(248),
        /** vm_event_regs_x86.vmtrace_pos. */ VMTRACE_POS(256),
        /** vm_event_regs_x86.fs_base. */ FS_BASE(280),
        /** vm_event_regs_x86.gs_base. */ GS_BASE(288),
        /** vm_event_regs_x86.shadow_gs. */ SHADOW_GS(320);

        final int offset;

        Reg(int offset) { this.offset = offset; }

        /** {@return the byte offset in struct vm_event_regs_x86} */
        public long offset() { return offset; }

        /** {@return the C member name} */
        public String cName() { return name().toLowerCase(Locale.ROOT); }
    }

    /** The six segment registers vm_event_regs_x86 carries (selector, limit/attributes, base). */
    public enum Segment {
        /** The CS segment register. */ CS(264, 296, 330),
        /** The SS segment register. */ SS(268, 300, 332),
        /** The DS segment register. */ DS(272, 304, 334),
        /** The ES segment register. */ ES(276, 308, 336),
        /** The FS segment register. */ FS(280, 312, 338),
        /** The GS segment register. */ GS(288, 316, 340);

        final int base, reg, sel;

        Segment(int base, int reg, int sel) {
            this.base = base;
            this.reg = reg;
            this.sel = sel;
        }

        /** {@return the byte offset of {@code <seg>_base} in struct vm_event_regs_x86} */
        public long baseOffset() { return base; }
        /** {@return the byte offset of {@code <seg>} (limit and attributes) in struct vm_event_regs_x86} */
        public long regOffset() { return reg; }
        /** {@return the byte offset of {@code <seg>_sel} in struct vm_event_regs_x86} */
        public long selOffset() { return sel; }
        /** cs..es bases are uint32_t in the vm_event image, fs/gs bases uint64_t. */
        boolean wideBase() { return this == FS || this == GS; }
    }

    /** Offset of gdtr_limit (uint16_t). */
    public static final long GDTR_LIMIT_OFFSET = 328;

    /** Registers only the HVM CPU save record (struct hvm_hw_cpu) has. */
    public enum ContextReg {
        /** hvm_hw_cpu's dr0. */ DR0,
        /** hvm_hw_cpu's dr1. */ DR1,
        /** hvm_hw_cpu's dr2. */ DR2,
        /** hvm_hw_cpu's dr3. */ DR3,
        /** hvm_hw_cpu's idtr_base. */ IDTR_BASE,
        /** hvm_hw_cpu's idtr_limit. */ IDTR_LIMIT,
        /** hvm_hw_cpu's ldtr_sel. */ LDTR_SEL,
        /** hvm_hw_cpu's ldtr_base. */ LDTR_BASE,
        /** hvm_hw_cpu's ldtr_limit. */ LDTR_LIMIT,
        /** hvm_hw_cpu's ldtr_arbytes. */ LDTR_ARBYTES,
        /** hvm_hw_cpu's tr_sel. */ TR_SEL,
        /** hvm_hw_cpu's tr_base. */ TR_BASE,
        /** hvm_hw_cpu's tr_limit. */ TR_LIMIT,
        /** hvm_hw_cpu's tr_arbytes. */ TR_ARBYTES,
        /** hvm_hw_cpu's msr_cstar. */ MSR_CSTAR,
        /** hvm_hw_cpu's msr_syscall_mask. */ MSR_SYSCALL_MASK,
        /** hvm_hw_cpu's msr_tsc_aux. */ MSR_TSC_AUX,
        /** hvm_hw_cpu's tsc. */ TSC

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
     *
     * @param words     the array holding the image
     * @param firstWord the image's first word in it
     * @throws IllegalArgumentException the image does not fit the array
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

    /**
     * Registers from the 344 bytes of a struct vm_event_regs_x86.
     *
     * @param image the bytes, little-endian as Xen writes them
     * @return the registers
     * @throws IllegalArgumentException not 344 bytes
     */
    public static X86Registers fromBytes(byte[] image) {
        if (image.length != BYTE_SIZE) throw new IllegalArgumentException("need " + BYTE_SIZE + " bytes, got " + image.length);
        long[] w = new long[WORDS];
        MemorySegment.copy(MemorySegment.ofArray(image), ValueLayout.JAVA_LONG_UNALIGNED, 0, w, 0, WORDS);
        return new X86Registers(w, 0, null);
    }

    /**
     * Writes the 344-byte struct vm_event_regs_x86 image to {@code dst} at {@code offset}.
     *
     * @param dst    the destination, e.g. a response slot
     * @param offset where the image starts in it
     */
    public void writeTo(MemorySegment dst, long offset) {
        MemorySegment.copy(w, base, dst, ValueLayout.JAVA_LONG_UNALIGNED, offset, WORDS);
    }

    /** {@return the raw 344 bytes (a copy)} */
    public byte[] toBytes() {
        byte[] b = new byte[BYTE_SIZE];
        MemorySegment.copy(w, base, MemorySegment.ofArray(b), ValueLayout.JAVA_LONG_UNALIGNED, 0, WORDS);
        return b;
    }

    private long q(long off) { return w[base + (int) (off >>> 3)]; }

    private int d(long off) { return (int) (q(off & ~7) >>> ((off & 7) << 3)); }

    private int h(long off) { return d(off) & 0xffff; }

    /**
     * One of the registers a SET_REGISTERS response can load.
     *
     * @param reg the register
     * @return its value
     */
    public long get(Gpr reg) { return q(reg.offset()); }

    /**
     * Any 64-bit register of the image.
     *
     * @param reg the register
     * @return its value
     */
    public long get(Reg reg) { return q(reg.offset); }

    /**
     * A copy with one SET_REGISTERS register changed.
     *
     * @param reg   the register
     * @param value its new value
     * @return the new registers
     */
    public X86Registers with(Gpr reg, long value) { return toBuilder().set(Reg.valueOf(reg.name()), value).build(); }

    /**
     * A copy with one register changed.
     *
     * @param reg   the register
     * @param value its new value
     * @return the new registers
     */
    public X86Registers with(Reg reg, long value) { return toBuilder().set(reg, value).build(); }

    /**
     * A context-only register.
     *
     * @param reg the register
     * @return its value; empty for registers that came from a vm_event request
     */
    public OptionalLong context(ContextReg reg) {
        Long v = ctx == null ? null : ctx.get(reg);
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    /** {@return whether these registers came from an HVM context (they carry {@link ContextReg} values)} */
    public boolean fromContext() { return ctx != null; }

    /** {@return RAX} */
    public long rax() { return get(Reg.RAX); }
    /** {@return RCX} */
    public long rcx() { return get(Reg.RCX); }
    /** {@return RDX} */
    public long rdx() { return get(Reg.RDX); }
    /** {@return RBX} */
    public long rbx() { return get(Reg.RBX); }
    /** {@return RSP, the stack pointer} */
    public long rsp() { return get(Reg.RSP); }
    /** {@return RBP} */
    public long rbp() { return get(Reg.RBP); }
    /** {@return RSI} */
    public long rsi() { return get(Reg.RSI); }
    /** {@return RDI} */
    public long rdi() { return get(Reg.RDI); }
    /** {@return R8} */
    public long r8() { return get(Reg.R8); }
    /** {@return R9} */
    public long r9() { return get(Reg.R9); }
    /** {@return R10} */
    public long r10() { return get(Reg.R10); }
    /** {@return R11} */
    public long r11() { return get(Reg.R11); }
    /** {@return R12} */
    public long r12() { return get(Reg.R12); }
    /** {@return R13} */
    public long r13() { return get(Reg.R13); }
    /** {@return R14} */
    public long r14() { return get(Reg.R14); }
    /** {@return R15} */
    public long r15() { return get(Reg.R15); }
    /** {@return RFLAGS} */
    public long rflags() { return get(Reg.RFLAGS); }
    /** {@return DR6, the debug status} */
    public long dr6() { return get(Reg.DR6); }
    /** {@return DR7, the debug control} */
    public long dr7() { return get(Reg.DR7); }
    /** {@return RIP, the instruction pointer} */
    public long rip() { return get(Reg.RIP); }
    /** {@return CR0} */
    public long cr0() { return get(Reg.CR0); }
    /** {@return CR2, the last page-fault address} */
    public long cr2() { return get(Reg.CR2); }
    /** {@return CR3, the page-table base} */
    public long cr3() { return get(Reg.CR3); }
    /** {@return CR4} */
    public long cr4() { return get(Reg.CR4); }
    /** {@return the SYSENTER_CS MSR} */
    public long sysenterCs() { return get(Reg.SYSENTER_CS); }
    /** {@return the SYSENTER_ESP MSR} */
    public long sysenterEsp() { return get(Reg.SYSENTER_ESP); }
    /** {@return the SYSENTER_EIP MSR} */
    public long sysenterEip() { return get(Reg.SYSENTER_EIP); }
    /** {@return the EFER MSR} */
    public long msrEfer() { return get(Reg.MSR_EFER); }
    /** {@return the STAR MSR} */
    public long msrStar() { return get(Reg.MSR_STAR); }
    /** {@return the LSTAR MSR} */
    public long msrLstar() { return get(Reg.MSR_LSTAR); }
    /** {@return the GDTR base} */
    public long gdtrBase() { return get(Reg.GDTR_BASE); }
    /** {@return for nested guests (flag NESTED_P2M), the L1 NPT/EPT base} */
    public long nptBase() { return get(Reg.NPT_BASE); }
    /** {@return the vmtrace buffer position, or ~0 when vmtrace is off} */
    public long vmtracePos() { return get(Reg.VMTRACE_POS); }
    /** {@return the FS base} */
    public long fsBase() { return get(Reg.FS_BASE); }
    /** {@return the GS base} */
    public long gsBase() { return get(Reg.GS_BASE); }
    /** {@return the swapped kernel GS base (KERNEL_GS_BASE)} */
    public long shadowGs() { return get(Reg.SHADOW_GS); }
    /** {@return the GDTR limit} */
    public int gdtrLimit() { return h(GDTR_LIMIT_OFFSET); }

    /**
     * A segment's base (cs..es: 32 bits in the vm_event image).
     *
     * @param s the segment register
     * @return its base
     */
    public long base(Segment s) { return s.wideBase() ? q(s.base) : Integer.toUnsignedLong(d(s.base)); }
    /**
     * A segment's limit (page-granular when {@code g}) and attributes, as vm_event packs them.
     *
     * @param s the segment register
     * @return its limit and attributes
     */
    public X86SelectorReg selectorReg(Segment s) { return X86SelectorReg.decode(d(s.reg)); }
    /**
     * A segment's selector.
     *
     * @param s the segment register
     * @return its selector (16 bits)
     */
    public int selector(Segment s) { return h(s.sel); }

    /** {@return the CS base (32 bits)} */
    public long csBase() { return base(Segment.CS); }
    /** {@return the SS base (32 bits)} */
    public long ssBase() { return base(Segment.SS); }
    /** {@return the DS base (32 bits)} */
    public long dsBase() { return base(Segment.DS); }
    /** {@return the ES base (32 bits)} */
    public long esBase() { return base(Segment.ES); }
    /** {@return CS: limit and attributes} */
    public X86SelectorReg cs() { return selectorReg(Segment.CS); }
    /** {@return SS: limit and attributes} */
    public X86SelectorReg ss() { return selectorReg(Segment.SS); }
    /** {@return DS: limit and attributes} */
    public X86SelectorReg ds() { return selectorReg(Segment.DS); }
    /** {@return ES: limit and attributes} */
    public X86SelectorReg es() { return selectorReg(Segment.ES); }
    /** {@return FS: limit and attributes} */
    public X86SelectorReg fs() { return selectorReg(Segment.FS); }
    /** {@return GS: limit and attributes} */
    public X86SelectorReg gs() { return selectorReg(Segment.GS); }
    /** {@return the CS selector} */
    public int csSel() { return selector(Segment.CS); }
    /** {@return the SS selector} */
    public int ssSel() { return selector(Segment.SS); }
    /** {@return the DS selector} */
    public int dsSel() { return selector(Segment.DS); }
    /** {@return the ES selector} */
    public int esSel() { return selector(Segment.ES); }
    /** {@return the FS selector} */
    public int fsSel() { return selector(Segment.FS); }
    /** {@return the GS selector} */
    public int gsSel() { return selector(Segment.GS); }

    /** {@return a builder starting from these registers (context-only registers included)} */
    public Builder toBuilder() { return new Builder(this); }

    /** {@return a builder starting from all zeros} */
    public static Builder builder() { return new Builder(ZERO); }

    /** Builds registers field by field (the backends' context decoders, tests). */
    public static final class Builder {
        private final long[] w = new long[WORDS];
        private EnumMap<ContextReg, Long> ctx;

        private Builder(X86Registers from) {
            System.arraycopy(from.w, from.base, w, 0, WORDS);
            if (from.ctx != null) ctx = new EnumMap<>(from.ctx);
        }

        /**
         * Sets one 64-bit register.
         *
         * @param r the register
         * @param v its value
         * @return this builder
         */
        public Builder set(Reg r, long v) { w[r.offset >>> 3] = v; return this; }

        private void put(long off, int bytes, long v) {
            int i = (int) (off >>> 3), sh = (int) (off & 7) << 3;
            long mask = (bytes == 8 ? -1L : (1L << (bytes * 8)) - 1) << sh;
            w[i] = (w[i] & ~mask) | ((v << sh) & mask);
        }

        /**
         * Selector, limit/attributes and base of one segment register.
         *
         * @param s        the segment register
         * @param selector its selector
         * @param reg      its limit and attributes
         * @param segBase  its base
         * @return this builder
         */
        public Builder segment(Segment s, int selector, X86SelectorReg reg, long segBase) {
            put(s.sel, 2, selector);
            put(s.reg, 4, reg.encode());
            put(s.base, s.wideBase() ? 8 : 4, segBase);
            return this;
        }

        /**
         * Sets the GDTR limit.
         *
         * @param limit the limit (16 bits)
         * @return this builder
         */
        public Builder gdtrLimit(int limit) { put(GDTR_LIMIT_OFFSET, 2, limit); return this; }

        /**
         * A context-only register (makes the result {@link #fromContext()}).
         *
         * @param r the register
         * @param v its value
         * @return this builder
         */
        public Builder context(ContextReg r, long v) {
            if (ctx == null) ctx = new EnumMap<>(ContextReg.class);
            ctx.put(r, v);
            return this;
        }

        /** {@return the registers} */
        public X86Registers build() { return new X86Registers(w.clone(), 0, ctx == null ? null : new EnumMap<>(ctx)); }
    }

    /** Equal when the vm_event images and the context-only registers are. */
    @Override public boolean equals(Object o) {
        return o instanceof X86Registers r && Arrays.equals(w, base, base + WORDS, r.w, r.base, r.base + WORDS)
                && java.util.Objects.equals(ctx, r.ctx);
    }

    @Override public int hashCode() { return Arrays.hashCode(Arrays.copyOfRange(w, base, base + WORDS)); }

    /** The context-only registers present (empty for event registers). */
    /** {@return the context-only registers, empty for registers from a vm_event request} */
    public Map<ContextReg, Long> contextRegisters() { return ctx == null ? Map.of() : Map.copyOf(ctx); }

    @Override public String toString() {
        return String.format("X86Registers[rip=%#x rsp=%#x rax=%#x cr3=%#x rflags=%#x]", rip(), rsp(), rax(), cr3(),
                rflags());
    }
}
