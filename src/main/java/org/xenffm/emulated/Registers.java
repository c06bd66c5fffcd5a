// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

/**
 * A vCPU's architectural state as vm_event_fill_regs reports it (the x86 subset xenffm models). Public and mutable:
 * tests set registers to see them in requests, and SET_REGISTERS responses write the GPRs, rflags and rip.
 */
public final class Registers {
    public long rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15;
    public long rflags = 0x2, dr6 = 0xffff0ff0L, dr7 = 0x400, rip = 0x1000;
    public long cr0 = 0x80050033L, cr2, cr3 = 0x100000, cr4 = 0x2020, xcr0 = 1;
    public long sysenterCs, sysenterEsp, sysenterEip, msrEfer = 0xd01, msrStar, msrLstar;
    public long gdtrBase, fsBase, gsBase, shadowGs;
    public int gdtrLimit;

    public Registers copy() {
        Registers r = new Registers();
        r.rax = rax; r.rcx = rcx; r.rdx = rdx; r.rbx = rbx; r.rsp = rsp; r.rbp = rbp; r.rsi = rsi; r.rdi = rdi;
        r.r8 = r8; r.r9 = r9; r.r10 = r10; r.r11 = r11; r.r12 = r12; r.r13 = r13; r.r14 = r14; r.r15 = r15;
        r.rflags = rflags; r.dr6 = dr6; r.dr7 = dr7; r.rip = rip;
        r.cr0 = cr0; r.cr2 = cr2; r.cr3 = cr3; r.cr4 = cr4; r.xcr0 = xcr0;
        r.sysenterCs = sysenterCs; r.sysenterEsp = sysenterEsp; r.sysenterEip = sysenterEip;
        r.msrEfer = msrEfer; r.msrStar = msrStar; r.msrLstar = msrLstar;
        r.gdtrBase = gdtrBase; r.fsBase = fsBase; r.gsBase = gsBase; r.shadowGs = shadowGs; r.gdtrLimit = gdtrLimit;
        return r;
    }
}
