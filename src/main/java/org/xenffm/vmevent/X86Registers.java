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
        RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15, RFLAGS, RIP;

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

    public X86Registers with(Gpr reg, long value) {
        long[] w = entry.clone();
        w[FIRST + (int) (reg.offset >>> 3)] = value;
        return new X86Registers(w);
    }

    public long get(Gpr reg) { return q(reg.offset); }

    private long q(long off) { return Words.u64(entry, VmEventAbi.DATA + off); }
    private int d(long off) { return Words.u32(entry, VmEventAbi.DATA + off); }
    private int w(long off) { return Words.u16(entry, VmEventAbi.DATA + off); }

    public long rax() { return q(RAX); }
    public long rcx() { return q(RCX); }
    public long rdx() { return q(RDX); }
    public long rbx() { return q(RBX); }
    public long rsp() { return q(RSP); }
    public long rbp() { return q(RBP); }
    public long rsi() { return q(RSI); }
    public long rdi() { return q(RDI); }
    public long r8() { return q(R8); }
    public long r9() { return q(R9); }
    public long r10() { return q(R10); }
    public long r11() { return q(R11); }
    public long r12() { return q(R12); }
    public long r13() { return q(R13); }
    public long r14() { return q(R14); }
    public long r15() { return q(R15); }
    public long rflags() { return q(RFLAGS); }
    public long dr6() { return q(DR6); }
    public long dr7() { return q(DR7); }
    public long rip() { return q(RIP); }
    public long cr0() { return q(CR0); }
    public long cr2() { return q(CR2); }
    public long cr3() { return q(CR3); }
    public long cr4() { return q(CR4); }
    public long sysenterCs() { return q(SYSENTER_CS); }
    public long sysenterEsp() { return q(SYSENTER_ESP); }
    public long sysenterEip() { return q(SYSENTER_EIP); }
    public long msrEfer() { return q(MSR_EFER); }
    public long msrStar() { return q(MSR_STAR); }
    public long msrLstar() { return q(MSR_LSTAR); }
    public long gdtrBase() { return q(GDTR_BASE); }
    /** Nested guests (flag NESTED_P2M): the L1 NPT/EPT base. */
    public long nptBase() { return q(NPT_BASE); }
    /** The vmtrace buffer position, or ~0 when vmtrace is off. */
    public long vmtracePos() { return q(VMTRACE_POS); }
    public long csBase() { return Integer.toUnsignedLong(d(CS_BASE)); }
    public long ssBase() { return Integer.toUnsignedLong(d(SS_BASE)); }
    public long dsBase() { return Integer.toUnsignedLong(d(DS_BASE)); }
    public long esBase() { return Integer.toUnsignedLong(d(ES_BASE)); }
    public long fsBase() { return q(FS_BASE); }
    public long gsBase() { return q(GS_BASE); }
    public X86SelectorReg cs() { return X86SelectorReg.decode(d(CS)); }
    public X86SelectorReg ss() { return X86SelectorReg.decode(d(SS)); }
    public X86SelectorReg ds() { return X86SelectorReg.decode(d(DS)); }
    public X86SelectorReg es() { return X86SelectorReg.decode(d(ES)); }
    public X86SelectorReg fs() { return X86SelectorReg.decode(d(FS)); }
    public X86SelectorReg gs() { return X86SelectorReg.decode(d(GS)); }
    public long shadowGs() { return q(SHADOW_GS); }
    public int gdtrLimit() { return w(GDTR_LIMIT); }
    public int csSel() { return w(CS_SEL); }
    public int ssSel() { return w(SS_SEL); }
    public int dsSel() { return w(DS_SEL); }
    public int esSel() { return w(ES_SEL); }
    public int fsSel() { return w(FS_SEL); }
    public int gsSel() { return w(GS_SEL); }

    /** The raw 344 bytes (a copy). */
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
