// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.HvmContext;
import org.xenffm.api.VcpuId;
import org.xenffm.api.X86Registers;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * HVM save/restore of vCPU state (XEN_DOMCTL_gethvmcontext{,_partial}, XEN_DOMCTL_sethvmcontext; x86
 * hvm/save.c, hvm.c:hvm_save_cpu_ctxt/hvm_load_cpu_ctxt). Only the HEADER and CPU records are modelled: the
 * emulator's context is HEADER, one CPU record per vCPU that is up, END; other device records are accepted on load and
 * ignored.
 */
final class HvmSave {
    private static final long CR0_PE = 1, CR0_ET = 0x10, CR0_PG = 0x80000000L;
    /** ~HVM_CR0_GUEST_RESERVED_BITS: PE MP EM TS ET NE WP AM NW CD PG. */
    private static final long CR0_VALID = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x10000 | 0x40000 | 0x20000000L
            | 0x40000000L | CR0_PG;
    /**
     * hvm_cr4_guest_valid_bits for the emulated CPU's CPUID: VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT
     * UMIP LA57 FSGSBASE PCIDE OSXSAVE SMEP SMAP PKE (no VMXE: no nested virtualisation).
     */
    static final long CR4_VALID = 0x7ff | 0x800 | 0x1000 | 0x10000 | 0x20000 | 0x40000 | 0x100000 | 0x200000 | 0x400000;
    /** EFER_KNOWN_MASK less SVME (no nested virtualisation) and FFXSE (an AMD feature): SCE LME LMA NXE. */
    private static final long EFER_SCE = 1, EFER_LME = 0x100, EFER_LMA = 0x400, EFER_NXE = 0x800;
    /** The emulated CPU's maximum physical address width (CPUID 0x80000008). */
    static final int MAXPHYSADDR = 46;

    private final Host h;

    HvmSave(Host h) { this.h = h; }

    /** XEN_DOMCTL_get/sethvmcontext*: not the caller (d == currd: no domain_pause) and HVM, else EINVAL. */
    private Domain target(DomainId id) {
        Domain d = h.lookup(id);
        if (d == h.dom0 || !d.hvm) throw Rc.of(Errno.EINVAL);
        return d;
    }

    /** save.c:hvm_save_one(CPU, instance). */
    X86Registers getcontextPartial(DomainId id, VcpuId vcpu) {
        Domain d = target(id);
        if (d.dying) throw Rc.of(Errno.EINVAL);
        if (vcpu.value() < 0 || vcpu.value() >= d.maxVcpus()) throw Rc.of(Errno.ENOENT);
        Vcpu v = d.vcpus[vcpu.value()];
        if (v.down) throw Rc.of(Errno.ENODATA);   // hvm_save_cpu_ctxt saves nothing for a down vCPU
        return HvmContext.decodeCpu(cpuRecord(v.regs));
    }

    /** domctl.c XEN_DOMCTL_gethvmcontext → save.c:hvm_save. */
    HvmContext getcontext(DomainId id) {
        Domain d = target(id);
        printSave(d);
        List<HvmContext.Record> rs = new ArrayList<>();
        rs.add(new HvmContext.Record(HvmContext.CODE_HEADER, 0, HvmContext.header(0, 0x000306a9, 1_000_000)));
        for (Vcpu v : d.vcpus) if (!v.down) rs.add(new HvmContext.Record(HvmContext.CODE_CPU, v.id, cpuRecord(v.regs)));
        rs.add(new HvmContext.Record(HvmContext.CODE_END, 0, new byte[0]));
        return new HvmContext(rs);
    }

    /** domctl.c XEN_DOMCTL_sethvmcontext → save.c:hvm_load. */
    void setcontext(DomainId id, HvmContext c) {
        Domain d = target(id);
        if (d.dying) throw Rc.of(Errno.EINVAL);
        List<HvmContext.Record> rs = c.records();
        // hvm_load_entry(HEADER): the header must come first and be whole, else ENODATA
        if (rs.isEmpty() || rs.get(0).typecode() != HvmContext.CODE_HEADER
                || rs.get(0).data().length != HvmContext.HEADER_SIZE) throw Rc.of(Errno.ENODATA);
        MemorySegment hdr = MemorySegment.ofArray(rs.get(0).data());
        // arch_hvm_load: bad magic / version → EINVAL
        if (hdr.get(ValueLayout.JAVA_INT_UNALIGNED, 0) != HvmContext.FILE_MAGIC
                || hdr.get(ValueLayout.JAVA_INT_UNALIGNED, 4) != HvmContext.FILE_VERSION) throw Rc.of(Errno.EINVAL);
        // down every vCPU: only those with a CPU record come back up
        for (Vcpu v : d.vcpus) v.down = true;
        for (int i = 1; i < rs.size(); i++) {
            HvmContext.Record r = rs.get(i);
            if (r.typecode() == HvmContext.CODE_END) return;
            if (r.typecode() > HvmContext.CODE_MAX || r.typecode() == HvmContext.CODE_HEADER)
                throw Rc.of(Errno.EINVAL);   // no load handler for that typecode
            if (r.typecode() == HvmContext.CODE_CPU) {
                loadCpu(d, r);
                printRestore(d, r.instance());
            }
        }
        throw Rc.of(Errno.ENODATA);           // "save did not end with a null entry"
    }

    /**
     * save.c:hvm_save prints each record it saves (XENLOG_G_INFO), per vCPU for the per-vCPU ones, whether the vCPU
     * is up or not: of the records only CPU is modelled. hvm_save_one (the partial call) prints nothing.
     */
    void printSave(Domain d) {
        for (Vcpu v : d.vcpus) h.console.printk("HVM d" + d.id + "v" + v.id + " save: CPU");
    }

    /**
     * save.c:hvm_load prints each record it loads: "HVM%d restore: CPU %u" up to 4.18; from 4.19 it checks every
     * record first and prints "HVM restore %pd: CPU %u" only while loading, so a context that fails prints nothing.
     * Printed after the record loaded here: the emulator checks each CPU record as it loads it.
     */
    void printRestore(Domain d, int instance) {
        h.console.printk(h.cfg.version().atLeast(4, 19) ? "HVM restore d" + d.id + ": CPU " + instance
                : "HVM" + d.id + " restore: CPU " + instance);
    }

    /** hvm.c:hvm_load_cpu_ctxt: its sanity checks, then the registers, and the vCPU is up again. */
    private void loadCpu(Domain d, HvmContext.Record r) {
        if (r.instance() >= d.maxVcpus()) throw Rc.of(Errno.EINVAL);    // "dom%u has no vcpu%u"
        byte[] data = r.data();
        if (data.length > HvmContext.CPU_SIZE) throw Rc.of(Errno.EINVAL); // hvm_load_entry_zeroextend
        byte[] rec = java.util.Arrays.copyOf(data, HvmContext.CPU_SIZE);
        MemorySegment s = MemorySegment.ofArray(rec);
        long cr0 = q(s, "cr0"), cr3 = q(s, "cr3"), cr4 = q(s, "cr4"), efer = q(s, "msr_efer");
        if (d32(s, "pad0") != 0) throw Rc.of(Errno.EINVAL);
        if ((cr0 & ~CR0_VALID) != 0 || (cr0 & CR0_ET) == 0 || (cr0 & (CR0_PE | CR0_PG)) == CR0_PG)
            throw Rc.of(Errno.EINVAL);                                   // "bad CR0"
        if ((cr4 & ~CR4_VALID) != 0) throw Rc.of(Errno.EINVAL);          // "bad CR4"
        // hvm_efer_valid
        if ((efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)) != 0) throw Rc.of(Errno.EINVAL);
        if ((efer & EFER_LMA) != 0 && ((efer & EFER_LME) == 0 || (cr0 & CR0_PG) == 0)) throw Rc.of(Errno.EINVAL);
        if ((cr3 >>> MAXPHYSADDR) != 0) throw Rc.of(Errno.EINVAL);       // "bad CR3"
        if ((d32(s, "flags") & ~1L) != 0) throw Rc.of(Errno.EINVAL);     // only XEN_X86_FPU_INITIALISED
        if ((q(s, "msr_tsc_aux") >>> 32) != 0) throw Rc.of(Errno.EINVAL);
        Vcpu v = d.vcpus[r.instance()];
        v.regs = fromRecord(rec, v.regs);
        v.down = false;
    }

    // ---- Registers ↔ struct hvm_hw_cpu (hvm_save_cpu_ctxt's field mapping) ---------------------------------------

    private static final String[] SEGS = {"cs", "ss", "ds", "es", "fs", "gs"};

    private static long q(MemorySegment s, String f) { return s.get(ValueLayout.JAVA_LONG_UNALIGNED, HvmContext.CPU_OFFSETS.get(f)); }

    private static long d32(MemorySegment s, String f) {
        return Integer.toUnsignedLong(s.get(ValueLayout.JAVA_INT_UNALIGNED, HvmContext.CPU_OFFSETS.get(f)));
    }

    private static void q(MemorySegment s, String f, long v) { s.set(ValueLayout.JAVA_LONG_UNALIGNED, HvmContext.CPU_OFFSETS.get(f), v); }

    private static void d32(MemorySegment s, String f, long v) { s.set(ValueLayout.JAVA_INT_UNALIGNED, HvmContext.CPU_OFFSETS.get(f), (int) v); }

    static byte[] cpuRecord(Registers r) {
        byte[] rec = new byte[HvmContext.CPU_SIZE];
        MemorySegment s = MemorySegment.ofArray(rec);
        long[] v = {r.rax, r.rbx, r.rcx, r.rdx, r.rbp, r.rsi, r.rdi, r.rsp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13,
                r.r14, r.r15, r.rip, r.rflags, r.cr0, r.cr2, r.cr3, r.cr4, r.dr0, r.dr1, r.dr2, r.dr3, r.dr6, r.dr7};
        String[] n = ("rax rbx rcx rdx rbp rsi rdi rsp r8 r9 r10 r11 r12 r13 r14 r15 rip rflags cr0 cr2 cr3 cr4 dr0 "
                + "dr1 dr2 dr3 dr6 dr7").split(" ");
        for (int i = 0; i < n.length; i++) q(s, n[i], v[i]);
        for (int i = 0; i < SEGS.length; i++) {
            d32(s, SEGS[i] + "_sel", r.sel[i]);
            d32(s, SEGS[i] + "_limit", r.segLimit[i]);
            d32(s, SEGS[i] + "_arbytes", r.segAr[i]);
            q(s, SEGS[i] + "_base", i == 4 ? r.fsBase : i == 5 ? r.gsBase : r.segBase[i]);
        }
        d32(s, "tr_sel", r.trSel); d32(s, "tr_limit", r.trLimit); d32(s, "tr_arbytes", r.trAr); q(s, "tr_base", r.trBase);
        d32(s, "ldtr_sel", r.ldtrSel); d32(s, "ldtr_limit", r.ldtrLimit); d32(s, "ldtr_arbytes", r.ldtrAr);
        q(s, "ldtr_base", r.ldtrBase);
        d32(s, "idtr_limit", r.idtrLimit); q(s, "idtr_base", r.idtrBase);
        d32(s, "gdtr_limit", r.gdtrLimit); q(s, "gdtr_base", r.gdtrBase);
        q(s, "sysenter_cs", r.sysenterCs); q(s, "sysenter_esp", r.sysenterEsp); q(s, "sysenter_eip", r.sysenterEip);
        q(s, "shadow_gs", r.shadowGs); q(s, "msr_lstar", r.msrLstar); q(s, "msr_star", r.msrStar);
        q(s, "msr_cstar", r.msrCstar); q(s, "msr_syscall_mask", r.msrSyscallMask); q(s, "msr_efer", r.msrEfer);
        q(s, "msr_tsc_aux", r.msrTscAux); q(s, "tsc", r.tsc);
        d32(s, "flags", 1);   // XEN_X86_FPU_INITIALISED
        return rec;
    }

    static Registers fromRecord(byte[] rec, Registers old) {
        MemorySegment s = MemorySegment.ofArray(rec);
        Registers r = old.copy();
        r.rax = q(s, "rax"); r.rbx = q(s, "rbx"); r.rcx = q(s, "rcx"); r.rdx = q(s, "rdx"); r.rbp = q(s, "rbp");
        r.rsi = q(s, "rsi"); r.rdi = q(s, "rdi"); r.rsp = q(s, "rsp"); r.r8 = q(s, "r8"); r.r9 = q(s, "r9");
        r.r10 = q(s, "r10"); r.r11 = q(s, "r11"); r.r12 = q(s, "r12"); r.r13 = q(s, "r13"); r.r14 = q(s, "r14");
        r.r15 = q(s, "r15"); r.rip = q(s, "rip"); r.rflags = q(s, "rflags"); r.cr0 = q(s, "cr0"); r.cr2 = q(s, "cr2");
        r.cr3 = q(s, "cr3"); r.cr4 = q(s, "cr4"); r.dr0 = q(s, "dr0"); r.dr1 = q(s, "dr1"); r.dr2 = q(s, "dr2");
        r.dr3 = q(s, "dr3"); r.dr6 = q(s, "dr6"); r.dr7 = q(s, "dr7");
        for (int i = 0; i < SEGS.length; i++) {
            r.sel[i] = (int) d32(s, SEGS[i] + "_sel");
            r.segLimit[i] = d32(s, SEGS[i] + "_limit");
            r.segAr[i] = (int) d32(s, SEGS[i] + "_arbytes");
            long base = q(s, SEGS[i] + "_base");
            if (i == 4) r.fsBase = base; else if (i == 5) r.gsBase = base; else r.segBase[i] = base;
        }
        r.trSel = (int) d32(s, "tr_sel"); r.trLimit = (int) d32(s, "tr_limit"); r.trAr = (int) d32(s, "tr_arbytes");
        r.trBase = q(s, "tr_base"); r.ldtrSel = (int) d32(s, "ldtr_sel"); r.ldtrLimit = (int) d32(s, "ldtr_limit");
        r.ldtrAr = (int) d32(s, "ldtr_arbytes"); r.ldtrBase = q(s, "ldtr_base");
        r.idtrLimit = (int) d32(s, "idtr_limit"); r.idtrBase = q(s, "idtr_base");
        r.gdtrLimit = (int) d32(s, "gdtr_limit"); r.gdtrBase = q(s, "gdtr_base");
        r.sysenterCs = q(s, "sysenter_cs"); r.sysenterEsp = q(s, "sysenter_esp"); r.sysenterEip = q(s, "sysenter_eip");
        r.shadowGs = q(s, "shadow_gs"); r.msrLstar = q(s, "msr_lstar"); r.msrStar = q(s, "msr_star");
        r.msrCstar = q(s, "msr_cstar"); r.msrSyscallMask = q(s, "msr_syscall_mask"); r.msrEfer = q(s, "msr_efer");
        r.msrTscAux = q(s, "msr_tsc_aux"); r.tsc = q(s, "tsc");
        return r;
    }
}
