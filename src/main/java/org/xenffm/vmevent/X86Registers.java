// SPDX-License-Identifier: Apache-2.0
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
        /** RAX. */ RAX, /** RCX. */ RCX, /** RDX. */ RDX, /** RBX. */ RBX, /** RSP. */ RSP, /** RBP. */ RBP,
        /** RSI. */ RSI, /** RDI. */ RDI, /** R8. */ R8, /** R9. */ R9, /** R10. */ R10, /** R11. */ R11,
        /** R12. */ R12, /** R13. */ R13, /** R14. */ R14, /** R15. */ R15, /** RFLAGS. */ RFLAGS,
        /** RIP. */ RIP;

        final long offset = VmEventAbi.regOffset(name().toLowerCase(java.util.Locale.ROOT));
    }


    private static final long RAX = VmEventAbi.regOffset("rax");
    private static final long RCX = VmEventAbi.regOffset("rcx");
    private static final long RDX = VmEventAbi.regOffset("rdx");
    private static final long RBX = VmEventAbi.regOffset("rbx");
    private static final long RSP = VmEventAbi.regOffset("rsp");
    private static final long RBP = VmEventAbi.regOffset("rbp");
    private static final long RSI = VmEventAbi.regOffset("rsi");
    private static final long RDI = VmEventAbi.regOffset("rdi");
    private static final long R8 = VmEventAbi.regOffset("r8");
    private static final long R9 = VmEventAbi.regOffset("r9");
    private static final long R10 = VmEventAbi.regOffset("r10");
    private static final long R11 = VmEventAbi.regOffset("r11");
    private static final long R12 = VmEventAbi.regOffset("r12");
    private static final long R13 = VmEventAbi.regOffset("r13");
    private static final long R14 = VmEventAbi.regOffset("r14");
    private static final long R15 = VmEventAbi.regOffset("r15");
    private static final long RFLAGS = VmEventAbi.regOffset("rflags");
    private static final long DR6 = VmEventAbi.regOffset("dr6");
    private static final long DR7 = VmEventAbi.regOffset("dr7");
    private static final long RIP = VmEventAbi.regOffset("rip");
    private static final long CR0 = VmEventAbi.regOffset("cr0");
    private static final long CR2 = VmEventAbi.regOffset("cr2");
    private static final long CR3 = VmEventAbi.regOffset("cr3");
    private static final long CR4 = VmEventAbi.regOffset("cr4");
    private static final long SYSENTER_CS = VmEventAbi.regOffset("sysenter_cs");
    private static final long SYSENTER_ESP = VmEventAbi.regOffset("sysenter_esp");
    private static final long SYSENTER_EIP = VmEventAbi.regOffset("sysenter_eip");
    private static final long MSR_EFER = VmEventAbi.regOffset("msr_efer");
    private static final long MSR_STAR = VmEventAbi.regOffset("msr_star");
    private static final long MSR_LSTAR = VmEventAbi.regOffset("msr_lstar");
    private static final long GDTR_BASE = VmEventAbi.regOffset("gdtr_base");
    private static final long NPT_BASE = VmEventAbi.regOffset("npt_base");
    private static final long VMTRACE_POS = VmEventAbi.regOffset("vmtrace_pos");
    private static final long CS_BASE = VmEventAbi.regOffset("cs_base");
    private static final long SS_BASE = VmEventAbi.regOffset("ss_base");
    private static final long DS_BASE = VmEventAbi.regOffset("ds_base");
    private static final long ES_BASE = VmEventAbi.regOffset("es_base");
    private static final long FS_BASE = VmEventAbi.regOffset("fs_base");
    private static final long GS_BASE = VmEventAbi.regOffset("gs_base");
    private static final long CS = VmEventAbi.regOffset("cs");
    private static final long SS = VmEventAbi.regOffset("ss");
    private static final long DS = VmEventAbi.regOffset("ds");
    private static final long ES = VmEventAbi.regOffset("es");
    private static final long FS = VmEventAbi.regOffset("fs");
    private static final long GS = VmEventAbi.regOffset("gs");
    private static final long SHADOW_GS = VmEventAbi.regOffset("shadow_gs");
    private static final long GDTR_LIMIT = VmEventAbi.regOffset("gdtr_limit");
    private static final long CS_SEL = VmEventAbi.regOffset("cs_sel");
    private static final long SS_SEL = VmEventAbi.regOffset("ss_sel");
    private static final long DS_SEL = VmEventAbi.regOffset("ds_sel");
    private static final long ES_SEL = VmEventAbi.regOffset("es_sel");
    private static final long FS_SEL = VmEventAbi.regOffset("fs_sel");
    private static final long GS_SEL = VmEventAbi.regOffset("gs_sel");

    /** All zero: what a response carries when it does not set registers. */
    public static final X86Registers ZERO = new X86Registers(new long[VmEventAbi.SLOT_SIZE / 8]);

    private static final int FIRST = (int) (VmEventAbi.DATA / 8), WORDS = VmEventAbi.DATA_SIZE / 8;

    // the private copy of the whole 400-byte request the registers came from (its data union); the response
    // echoes the request's u union from it too
    private final long[] entry;

    private X86Registers(long[] entry) {
        this.entry = entry;
    }

    /** The registers of a request already copied out of the ring (no second copy; the array must not change). */
    static X86Registers ofEntry(long[] entry) { return new X86Registers(entry); }

    /** The whole private request copy (the response echoes its {@code u} union from it). */
    long[] entry() { return entry; }

    /** Writes the 344 register bytes to {@code dst} at {@code offset}. */
    void copyTo(MemorySegment dst, long offset) {
        MemorySegment.copy(entry, FIRST, dst, ValueLayout.JAVA_LONG_UNALIGNED, offset, WORDS);
    }

    /**
     * A copy with one register changed, for a SET_REGISTERS response.
     *
     * @param reg   the register
     * @param value its new value
     * @return the new registers
     */
    public X86Registers with(Gpr reg, long value) {
        long[] w = entry.clone();
        w[FIRST + (int) (reg.offset >>> 3)] = value;
        return new X86Registers(w);
    }

    /**
     * One of the registers a SET_REGISTERS response can load.
     *
     * @param reg the register
     * @return its value
     */
    public long get(Gpr reg) { return q(reg.offset); }

    private long q(long off) { return Words.u64(entry, VmEventAbi.DATA + off); }
    private int d(long off) { return Words.u32(entry, VmEventAbi.DATA + off); }
    private int w(long off) { return Words.u16(entry, VmEventAbi.DATA + off); }

    /** {@return RAX} */
    public long rax() { return q(RAX); }
    /** {@return RCX} */
    public long rcx() { return q(RCX); }
    /** {@return RDX} */
    public long rdx() { return q(RDX); }
    /** {@return RBX} */
    public long rbx() { return q(RBX); }
    /** {@return RSP, the stack pointer} */
    public long rsp() { return q(RSP); }
    /** {@return RBP} */
    public long rbp() { return q(RBP); }
    /** {@return RSI} */
    public long rsi() { return q(RSI); }
    /** {@return RDI} */
    public long rdi() { return q(RDI); }
    /** {@return R8} */
    public long r8() { return q(R8); }
    /** {@return R9} */
    public long r9() { return q(R9); }
    /** {@return R10} */
    public long r10() { return q(R10); }
    /** {@return R11} */
    public long r11() { return q(R11); }
    /** {@return R12} */
    public long r12() { return q(R12); }
    /** {@return R13} */
    public long r13() { return q(R13); }
    /** {@return R14} */
    public long r14() { return q(R14); }
    /** {@return R15} */
    public long r15() { return q(R15); }
    /** {@return RFLAGS} */
    public long rflags() { return q(RFLAGS); }
    /** {@return DR6, the debug status} */
    public long dr6() { return q(DR6); }
    /** {@return DR7, the debug control} */
    public long dr7() { return q(DR7); }
    /** {@return RIP, the instruction pointer} */
    public long rip() { return q(RIP); }
    /** {@return CR0} */
    public long cr0() { return q(CR0); }
    /** {@return CR2, the last page-fault address} */
    public long cr2() { return q(CR2); }
    /** {@return CR3, the page-table base} */
    public long cr3() { return q(CR3); }
    /** {@return CR4} */
    public long cr4() { return q(CR4); }
    /** {@return the SYSENTER_CS MSR} */
    public long sysenterCs() { return q(SYSENTER_CS); }
    /** {@return the SYSENTER_ESP MSR} */
    public long sysenterEsp() { return q(SYSENTER_ESP); }
    /** {@return the SYSENTER_EIP MSR} */
    public long sysenterEip() { return q(SYSENTER_EIP); }
    /** {@return the EFER MSR} */
    public long msrEfer() { return q(MSR_EFER); }
    /** {@return the STAR MSR} */
    public long msrStar() { return q(MSR_STAR); }
    /** {@return the LSTAR MSR} */
    public long msrLstar() { return q(MSR_LSTAR); }
    /** {@return the GDTR base} */
    public long gdtrBase() { return q(GDTR_BASE); }
    /** {@return for nested guests (flag NESTED_P2M), the L1 NPT/EPT base} */
    public long nptBase() { return q(NPT_BASE); }
    /** {@return the vmtrace buffer position, or ~0 when vmtrace is off} */
    public long vmtracePos() { return q(VMTRACE_POS); }
    /** {@return the CS base (32 bits)} */
    public long csBase() { return Integer.toUnsignedLong(d(CS_BASE)); }
    /** {@return the SS base (32 bits)} */
    public long ssBase() { return Integer.toUnsignedLong(d(SS_BASE)); }
    /** {@return the DS base (32 bits)} */
    public long dsBase() { return Integer.toUnsignedLong(d(DS_BASE)); }
    /** {@return the ES base (32 bits)} */
    public long esBase() { return Integer.toUnsignedLong(d(ES_BASE)); }
    /** {@return the FS base} */
    public long fsBase() { return q(FS_BASE); }
    /** {@return the GS base} */
    public long gsBase() { return q(GS_BASE); }
    /** {@return CS: limit and attributes} */
    public X86SelectorReg cs() { return X86SelectorReg.decode(d(CS)); }
    /** {@return SS: limit and attributes} */
    public X86SelectorReg ss() { return X86SelectorReg.decode(d(SS)); }
    /** {@return DS: limit and attributes} */
    public X86SelectorReg ds() { return X86SelectorReg.decode(d(DS)); }
    /** {@return ES: limit and attributes} */
    public X86SelectorReg es() { return X86SelectorReg.decode(d(ES)); }
    /** {@return FS: limit and attributes} */
    public X86SelectorReg fs() { return X86SelectorReg.decode(d(FS)); }
    /** {@return GS: limit and attributes} */
    public X86SelectorReg gs() { return X86SelectorReg.decode(d(GS)); }
    /** {@return the swapped kernel GS base (KERNEL_GS_BASE)} */
    public long shadowGs() { return q(SHADOW_GS); }
    /** {@return the GDTR limit} */
    public int gdtrLimit() { return w(GDTR_LIMIT); }
    /** {@return the CS selector} */
    public int csSel() { return w(CS_SEL); }
    /** {@return the SS selector} */
    public int ssSel() { return w(SS_SEL); }
    /** {@return the DS selector} */
    public int dsSel() { return w(DS_SEL); }
    /** {@return the ES selector} */
    public int esSel() { return w(ES_SEL); }
    /** {@return the FS selector} */
    public int fsSel() { return w(FS_SEL); }
    /** {@return the GS selector} */
    public int gsSel() { return w(GS_SEL); }

    /** {@return the raw 344 bytes (a copy)} */
    public byte[] toBytes() {
        return MemorySegment.ofArray(entry).asSlice(VmEventAbi.DATA, VmEventAbi.DATA_SIZE).toArray(ValueLayout.JAVA_BYTE);
    }

    @Override public boolean equals(Object o) {
        return o instanceof X86Registers r && Arrays.equals(entry, FIRST, FIRST + WORDS, r.entry, FIRST, FIRST + WORDS);
    }

    @Override public int hashCode() { return Arrays.hashCode(Arrays.copyOfRange(entry, FIRST, FIRST + WORDS)); }

    @Override public String toString() {
        return String.format("X86Registers[rip=%#x rsp=%#x rax=%#x cr3=%#x rflags=%#x]", rip(), rsp(), rax(), cr3(),
                rflags());
    }
}
