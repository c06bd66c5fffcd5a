// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

/**
 * A vCPU's architectural state as vm_event_fill_regs reports it (the x86 subset xenffm models). Public and mutable:
 * tests set registers to see them in requests, and SET_REGISTERS responses write the GPRs, rflags and rip.
 */
public final class Registers {
    /** The general-purpose registers (vm_event_regs_x86 rax … r15). */
    public long rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15;
    /** Flags, debug status/control and the instruction pointer, with reset-like defaults. */
    public long rflags = 0x2, dr6 = 0xffff0ff0L, dr7 = 0x400, rip = 0x1000;
    /** Control registers and XCR0 (paging on, CR3 at 1 MiB, CR4 = PAE|OSFXSR|OSXMMEXCPT by default). */
    public long cr0 = 0x80050033L, cr2, cr3 = 0x100000, cr4 = 0x620, xcr0 = 1;   // PAE OSFXSR OSXMMEXCPT
    /** SYSENTER, EFER, STAR and LSTAR MSRs (long mode on by default). */
    public long sysenterCs, sysenterEsp, sysenterEip, msrEfer = 0xd01, msrStar, msrLstar;
    /** GDTR base, FS/GS bases and the swapped kernel GS base. */
    public long gdtrBase, fsBase, gsBase, shadowGs;
    /** GDTR limit. */
    public int gdtrLimit;
    /**
     * Segment registers cs, ss, ds, es, fs, gs (X86Registers.Segment order): selector, byte limit, Xen's packed
     * attributes (type:4 s:1 dpl:2 p:1 avl:1 l:1 db:1 g:1) and base (fs/gs bases are {@link #fsBase}/{@link #gsBase}).
     * The default is a flat 64-bit kernel: cs 0x10 long mode, the others 0x18 read/write data.
     */
    public int[] sel = {0x10, 0x18, 0x18, 0x18, 0x18, 0x18};
    /** Segment limits in bytes, in X86Registers.Segment order. */
    public long[] segLimit = {0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL};
    /** Segment attributes, Xen's packed form, in X86Registers.Segment order. */
    public int[] segAr = {0xa9b, 0xc93, 0xc93, 0xc93, 0xc93, 0xc93};
    /** Bases of cs, ss, ds, es (fs and gs have their own fields). */
    public long[] segBase = new long[4];
    /** What only the HVM save record carries: debug address registers, IDTR/LDTR/TR, MSRs, the TSC. */
    public long dr0, dr1, dr2, dr3, idtrBase, ldtrBase, trBase, msrCstar, msrSyscallMask, msrTscAux, tsc;
    /** IDTR limit, LDTR and TR selector, limit and attributes (only in the HVM save record). */
    public int idtrLimit, ldtrSel, ldtrLimit, ldtrAr, trSel = 0x40, trLimit = 0x67, trAr = 0x8b;

    /** All registers at their defaults. */
    public Registers() {}

    /** {@return an independent copy of these registers} */
    public Registers copy() {
        Registers r = new Registers();
        r.rax = rax; r.rcx = rcx; r.rdx = rdx; r.rbx = rbx; r.rsp = rsp; r.rbp = rbp; r.rsi = rsi; r.rdi = rdi;
        r.r8 = r8; r.r9 = r9; r.r10 = r10; r.r11 = r11; r.r12 = r12; r.r13 = r13; r.r14 = r14; r.r15 = r15;
        r.rflags = rflags; r.dr6 = dr6; r.dr7 = dr7; r.rip = rip;
        r.cr0 = cr0; r.cr2 = cr2; r.cr3 = cr3; r.cr4 = cr4; r.xcr0 = xcr0;
        r.sysenterCs = sysenterCs; r.sysenterEsp = sysenterEsp; r.sysenterEip = sysenterEip;
        r.msrEfer = msrEfer; r.msrStar = msrStar; r.msrLstar = msrLstar;
        r.gdtrBase = gdtrBase; r.fsBase = fsBase; r.gsBase = gsBase; r.shadowGs = shadowGs; r.gdtrLimit = gdtrLimit;
        r.sel = sel.clone(); r.segLimit = segLimit.clone(); r.segAr = segAr.clone(); r.segBase = segBase.clone();
        r.dr0 = dr0; r.dr1 = dr1; r.dr2 = dr2; r.dr3 = dr3; r.idtrBase = idtrBase; r.ldtrBase = ldtrBase;
        r.trBase = trBase; r.msrCstar = msrCstar; r.msrSyscallMask = msrSyscallMask; r.msrTscAux = msrTscAux;
        r.tsc = tsc; r.idtrLimit = idtrLimit; r.ldtrSel = ldtrSel; r.ldtrLimit = ldtrLimit; r.ldtrAr = ldtrAr;
        r.trSel = trSel; r.trLimit = trLimit; r.trAr = trAr;
        return r;
    }
}
