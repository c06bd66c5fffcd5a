// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.MemAccess;

import java.util.Arrays;
import java.util.function.UnaryOperator;

import static org.xenffm.emulated.VmEventLayout.*;

/**
 * Runs guest operations the way the vCPU's VM exits reach Xen: EPT violations through hvm_hap_nested_page_fault and
 * p2m_mem_access_check, CR/MSR writes through hvm_monitor_cr/msr, CPUID, breakpoints, single-step, guest requests,
 * descriptor accesses and VM exits through hvm/monitor.c — and re-runs stopped operations when their vCPU is unpaused.
 */
final class GuestEngine {
    private final Host h;

    GuestEngine(Host h) { this.h = h; }

    GuestResult submit(GuestOp op) {
        Vcpu v = op.vcpu;
        Domain d = v.domain;
        if (d.destroyed) return GuestResult.finished(Outcome.DOMAIN_DESTROYED);
        if (d.crashed) return GuestResult.finished(Outcome.DOMAIN_CRASHED);
        if (!v.runnable() || v.pending != null) return GuestResult.finished(Outcome.NOT_RUNNABLE);
        step(op);
        runPending();
        return op.result;
    }

    /**
     * A guest write that needs no operation object, when it is one of the two cases Xen finishes inside the VM exit
     * without an event: the vCPU's entry permits the write (no exit at all), or no altp2m view is active and the
     * host entry is ram_shared or a fork's hole, so hvm_hap_nested_page_fault's P2M_UNSHARE lookup gives it a
     * private ram_rw page with the p2m's default access (__mem_sharing_unshare_page / mem_sharing_fork_page), which
     * permits the write. Returns false, having changed nothing, in every other case (a view, a forbidding entry, an
     * event, no memory for the copy, a vCPU that cannot run): the caller then runs the full {@link MemOp}. No
     * pause state changes here, so nothing pending becomes runnable ({@link #runPending} is not needed).
     */
    boolean writeDirect(Vcpu v, long gfn, int offset, byte[] data) {
        Domain d = v.domain;
        int len = data.length;
        if (offset < 0 || offset + len > Frame.SIZE) return false;   // MemOp's IllegalArgumentException
        if (d.destroyed || d.crashed || !v.runnable() || v.pending != null || v.injectEvent != null) return false;
        if (d.currentView(v) != null) return false;
        long e = d.host.packed(gfn);
        P2mType t = Entry.typeOf(e);
        if (t != P2mType.RAM_RW || !Entry.validPacked(e) || HostMemAccess.violates(Entry.accessOf(e), true, true, false)) {
            // the write would exit to Xen: only the copy-on-write and fork cases go on here
            if (HostMemAccess.violates(d.host.defaultAccess, true, true, false)) return false;
            h.current = v;
            try {
                int rc;
                if (t == P2mType.RAM_SHARED) rc = h.memshr.unshare(d, gfn, false);      // -ENOMEM: nothing changed
                else if (t.hole() && d.isFork()) rc = h.memshr.forkPage(d, gfn, true); // -ENOENT/-ENOMEM: ditto
                else return false;
                if (rc != 0) return false;
            } finally {
                h.current = null;
            }
            e = d.host.packed(gfn);
            if (Entry.typeOf(e) != P2mType.RAM_RW || !Entry.validPacked(e)
                    || HostMemAccess.violates(Entry.accessOf(e), true, true, false))
                throw new IllegalStateException("unshared entry 0x" + Long.toHexString(e) + " still forbids the write");
        }
        h.frames.write(Entry.mfnOf(e), offset, data, len);
        return true;
    }

    private void step(GuestOp op) {
        Vcpu v = op.vcpu;
        GuestOp.Step s;
        vmEntry(v);
        h.current = v;
        try {
            s = op.execute(h);
        } finally {
            h.current = null;
        }
        switch (s) {
            case DONE -> { v.pending = null; op.result.update(Outcome.COMPLETED); }
            case PAUSED -> { v.pending = op; op.result.update(Outcome.PAUSED_ON_EVENT); }
            case WAIT_SLOT -> { v.pending = op; op.result.update(Outcome.BLOCKED_RING_FULL); }
            case CRASHED -> {
                v.pending = null;
                crashDomain(v.domain);
                op.result.update(Outcome.DOMAIN_CRASHED);
            }
            case UNMAPPED -> { v.pending = null; op.result.update(Outcome.UNMAPPED); }
            case VE -> { v.pending = null; op.result.update(Outcome.VIRTUALIZATION_EXCEPTION); }
            case PAGE_FAULT -> { v.pending = null; op.result.update(Outcome.PAGE_FAULT); }
        }
    }

    /**
     * hvm.c:hvm_do_resume on the way into the guest: a pending XEN_DMOP_inject_event is injected and its slot
     * cleared (the emulator has no other pending event that would make Xen drop it).
     */
    private static void vmEntry(Vcpu v) {
        if (v.injectEvent != null) {
            v.delivered.add(v.injectEvent);
            v.injectEvent = null;
        }
    }

    /** domain_crash: the domain is shut down; its pending operations end. */
    void crashDomain(Domain d) {
        d.crashed = true;
        for (Vcpu v : d.vcpus) {
            if (v.pending != null) { v.pending.result.update(Outcome.DOMAIN_CRASHED); v.pending = null; }
        }
    }

    /** Re-runs every stopped operation whose vCPU can run again, until nothing changes. */
    void runPending() {
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Domain d : h.domainOrder()) {
                for (Vcpu v : d.vcpus) {
                    GuestOp op = v.pending;
                    if (op == null) continue;
                    if (d.destroyed || d.crashed) {
                        op.result.update(d.destroyed ? Outcome.DOMAIN_DESTROYED : Outcome.DOMAIN_CRASHED);
                        v.pending = null;
                        continue;
                    }
                    if (!v.runnable()) continue;
                    v.pending = null;
                    step(op);
                    progress = true;
                }
            }
        }
    }

    // ---- guest-virtual addresses ----------------------------------------------------------------------------------

    /**
     * The vCPU's own page walk (X86PageWalk with its CR0/CR3/CR4/EFER) over the host p2m: table reads populate a
     * fork's pages as the CPU's walk does (P2M_ALLOC); they raise no mem_access events here. Null when the address does
     * not translate (CR2 is set to it, as the #PF does).
     */
    org.xenffm.api.Translation translate(Vcpu v, long va) { return translate(v, va, false); }

    /**
     * monitor.c:gfn_of_rip → paging_gva_to_gfn: with paging on, hap_p2m_ga_to_gfn walks the host p2m with
     * P2M_ALLOC | P2M_UNSHARE (guest_walk.c's qt) and looks the final gfn up the same way, so a shared table or
     * code page is unshared, and the unshare's new host entry overwrites any view's entry for it
     * (p2m_altp2m_propagate_change: a view's remap of that gfn is lost). Paging off: the RIP's frame, no lookup
     * (hap_gva_to_gfn_real_mode). Observed on 4.17.5 (s42): a fork child's first stealth-breakpoint hit.
     */
    long gfnOfRip(Vcpu v, long fetchedGfn) {
        if ((v.regs.cr0 & org.xenffm.api.PagingMode.CR0_PG) == 0) return fetchedGfn;
        org.xenffm.api.Translation t = translate(v, v.regs.rip, true);
        if (t == null) return fetchedGfn;
        h.hostLookup(v.domain, t.gpa() >>> 12, true, true);
        return t.gpa() >>> 12;
    }

    private org.xenffm.api.Translation translate(Vcpu v, long va, boolean unshare) {
        Registers r = v.regs;
        org.xenffm.api.AddressSpace as = org.xenffm.api.AddressSpace.of(r.cr0, r.cr3, r.cr4, r.msrEfer);
        try {
            return org.xenffm.api.X86PageWalk.walk(new org.xenffm.api.X86PageWalk.Physical() {
                @Override public long u64(long gpa) {
                    return java.lang.foreign.MemorySegment.ofArray(tableBytes(v.domain, gpa, 8, unshare))
                            .get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0);
                }

                @Override public int u32(long gpa) {
                    return java.lang.foreign.MemorySegment.ofArray(tableBytes(v.domain, gpa, 4, unshare))
                            .get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0);
                }
            }, as, va);
        } catch (org.xenffm.api.TranslationException | UnmappedTable e) {
            r.cr2 = va;
            return null;
        }
    }

    /** A page-table gfn without RAM: the walk faults. */
    private static final class UnmappedTable extends RuntimeException {
        UnmappedTable() { super(null, null, false, false); }
    }

    private byte[] tableBytes(Domain d, long gpa, int len, boolean unshare) {
        Entry e = h.hostLookup(d, gpa >>> 12, true, unshare);
        if (!e.valid() || !e.type().ram()) throw new UnmappedTable();
        return h.frame(e.mfn()).read((int) (gpa & 0xfff), len);
    }

    /** A guest-virtual access that faulted in the walk. */
    static final class PageFault extends GuestOp {
        PageFault(Vcpu v) { super(v); }

        @Override Step execute(Host h) { return Step.PAGE_FAULT; }
    }

    // ---- memory accesses ------------------------------------------------------------------------------------------

    /** A read, write or instruction fetch of one page-contained range (an EPT violation if the p2m forbids it). */
    static final class MemOp extends GuestOp {
        final long gfn;
        final int offset, len;
        final boolean read, write, exec;
        final byte[] wdata;
        final long gla;
        final boolean glaValid, inGpt;
        /** An async (n2rwx) event went out: the access proceeds with the promoted rights. */
        private boolean proceed;
        /** A read-modify-write instruction (INC, ADD, XCHG to memory): the new bytes from the old; null otherwise. */
        UnaryOperator<byte[]> modify;

        MemOp(Vcpu v, long gfn, int offset, int len, boolean read, boolean write, boolean exec, byte[] wdata,
              long gla, boolean glaValid, boolean inGpt) {
            super(v);
            if (offset < 0 || len < 0 || offset + len > Frame.SIZE)
                throw new IllegalArgumentException("an access must stay inside one 4 KiB page");
            this.gfn = gfn; this.offset = offset; this.len = len;
            this.read = read; this.write = write; this.exec = exec; this.wdata = wdata;
            this.gla = gla; this.glaValid = glaValid; this.inGpt = inGpt;
        }

        @Override Step execute(Host h) {
            if (queued != null) {
                VmEventRequest q = queued;
                boolean sync = queuedSync;
                queued = null;
                Step s = send(h, q, sync);
                if (s != null) return s;
                if (!sync) proceed = true;
            }
            return fault(h);
        }

        /** hvm_hap_nested_page_fault. */
        private Step fault(Host h) {
            Vcpu v = vcpu;
            Domain d = v.domain;
            // VMX: ept_handle_violation reports read_access = q.read || q.write
            boolean nr = read || write, nw = write, nx = exec;
            // Only an EPT violation reaches Xen (vmx.c:ept_handle_violation -> hvm_hap_nested_page_fault): an access
            // the vCPU's current EPT (its view, else the host p2m) already permits runs in hardware, so e.g. a write
            // through a view entry remapped to a private frame never unshares the host's shared entry.
            // entries are handled packed up to the first that an event, a view or an error needs whole: a plain
            // access (and a copy-on-write one) allocates no entry object
            if (!proceed) {
                AltView cur = d.currentView(v);
                long hw = (cur != null ? cur.table : d.host).packed(gfn);
                if (Entry.validPacked(hw) && (!nw || Entry.typeOf(hw) == P2mType.RAM_RW)
                        && !HostMemAccess.violates(Entry.accessOf(hw), nr, nw, nx)) {
                    perform(h, Entry.mfnOf(hw), false, null);
                    return Step.DONE;
                }
            }
            // the host p2m is looked up first, with P2M_UNSHARE for writes (this is what unshares and populates)
            long hostPacked = h.hostLookupPacked(d, gfn, true, write);
            AltView view = d.currentView(v);
            if (view == null && Entry.validPacked(hostPacked) && !proceed
                    && Entry.typeOf(hostPacked) != P2mType.RAM_SHARED
                    && !HostMemAccess.violates(Entry.accessOf(hostPacked), nr, nw, nx)) {
                // what the general path below does for a permitted, unshared host entry
                perform(h, Entry.mfnOf(hostPacked), false, null);
                return Step.DONE;
            }
            Entry host = Entry.unpack(hostPacked);
            Entry eff = host;
            if (view != null) {
                Entry ve = view.table.get(gfn);
                if (ve.valid()) eff = ve;
                else if (host.valid()) {
                    // p2m_altp2m_get_or_propagate: copy the host entry (4.17/4.18: with the host's access;
                    // ≥ 4.19: with the view's default access), retry
                    MemAccess a = h.cfg.altp2mAtCreation() ? view.defaultAccess : host.access();
                    view.table.set(gfn, new Entry(host.mfn(), host.type(), a, true));
                    eff = view.table.get(gfn);
                }
            }
            if (eff.valid() && !proceed && HostMemAccess.violates(eff.access(), nr, nw, nx)
                    && !(eff.access() == MemAccess.R_PW && inGpt && !nx)) {   // r_pw: page-walk writes allowed
                if (view != null && !eff.suppressVe() && v.veInfoGfn >= 0 && h.cfg.virtExceptions()) {
                    v.veCount++;
                    v.lastVeGfn = gfn;
                    return Step.VE;
                }
                Step s = memAccessCheck(h, view, nr, nw, nx);
                if (s != null) return s;
                // rights promoted (rx2rw, n2rwx, no listener): the retried access goes through
                host = d.host.get(gfn);
                eff = view != null ? view.table.get(gfn) : host;
            }
            proceed = false;
            if (!eff.valid()) {
                result.data(filled(len, (byte) 0xff));
                return Step.UNMAPPED;
            }
            if (nw && eff.type() == P2mType.RAM_SHARED) {
                // still shared on a write: ENOMEM (or a remapped shared view entry; ASSERT(p2m_is_hostp2m) in debug)
                if (view != null && host.type() != P2mType.RAM_SHARED && h.cfg.debugHypervisor()) {
                    throw h.crash("guest write", d, gfn, view.index,
                            "Assertion 'p2m_is_hostp2m(p2m)' failed (hvm_hap_nested_page_fault)");
                }
                if (h.memshr.notifyEnomem(d, gfn, true) < 0) {
                    // hvm.c:hvm_hap_nested_page_fault: no sharing ring → gprintk, rc 0 → vmx.c:ept_handle_violation
                    // crashes the domain (its "EPT violation" dump line is not modelled)
                    h.console.printk("d" + d.id + "v" + v.id + " Domain d" + d.id + " attempt to unshare gfn "
                            + Long.toHexString(gfn) + ", ENOMEM and no helper");
                    h.printDomainCrash(v, "arch/x86/hvm/vmx/vmx.c", h.line(3809, 3844));
                    return Step.CRASHED;
                }
                resumed = true;
                return v.vmEventPause > 0 ? Step.PAUSED : Step.DONE;
            }
            perform(h, eff.mfn(), false, null);
            return Step.DONE;
        }

        private void perform(Host h, long mfn, boolean noWrite, byte[] readData) {
            byte[] old = null;
            if (read || exec) {
                old = readData != null ? Arrays.copyOf(readData, len) : h.frames.read(mfn, offset, len);
                result.data(old);
            }
            if (write && !noWrite)
                h.frames.write(mfn, offset, modify != null ? Arrays.copyOf(modify.apply(old.clone()), len) : wdata, len);
        }

        /**
         * p2m_mem_access_check: rx2rw silently becomes rw; n2rwx becomes rwx and sends an async event; no listener →
         * crash if access_required else relax to rwx; a pending EMULATE response emulates; else a request is sent.
         * Returns null when the access may proceed.
         */
        private Step memAccessCheck(Host h, AltView view, boolean nr, boolean nw, boolean nx) {
            Domain d = vcpu.domain;
            P2m p2m = view != null ? view.table : d.host;
            Entry cur = p2m.get(gfn);
            if (nw && cur.access() == MemAccess.RX2RW) {
                write(h, d, view, cur.withAccess(MemAccess.RW));
                return null;
            }
            boolean n2rwx = cur.access() == MemAccess.N2RWX;
            if (n2rwx) write(h, d, view, cur.withAccess(MemAccess.RWX));
            if (d.ring == null) {
                if (p2m.accessRequired) {   // mem_access.c:p2m_mem_access_check (its gdprintk is debug-only)
                    h.printDomainCrash(vcpu, "arch/x86/mm/mem_access.c", h.line(192, 182));
                    return Step.CRASHED;
                }
                Entry now = p2m.get(gfn);
                if (now.access() != MemAccess.N2RWX) write(h, d, view, now.withAccess(MemAccess.RWX));
                return null;
            }
            if (inGpt && d.monitor.inguestPagefaultDisabled) {
                // hvm_monitor_check_p2m: page-walk accesses are emulated, no event
                perform(h, cur.mfn(), false, null);
                return Step.DONE;
            }
            if (vcpu.emulateFlags != 0) {
                int fl = vcpu.emulateFlags;
                vcpu.emulateFlags = 0;
                // hvm_emulate_one_vm_event: emulation goes through the host p2m (hvm_copy, unsharing on write)
                Entry e = h.hostLookup(d, gfn, true, write && (fl & F_SET_EMUL_READ_DATA) == 0
                        && (fl & F_EMULATE_NOWRITE) == 0);
                boolean noWrite = (fl & F_SET_EMUL_READ_DATA) == 0 && (fl & F_EMULATE_NOWRITE) != 0;
                byte[] rd = (fl & F_SET_EMUL_READ_DATA) != 0 ? vcpu.emulReadData : null;
                if (e.valid()) perform(h, e.mfn(), noWrite, rd);
                return Step.DONE;
            }
            VmEventRequest req = VmEventRequest.of(vcpu, REASON_MEM_ACCESS);
            int flags = (nr ? MEM_ACCESS_R : 0) | (nw ? MEM_ACCESS_W : 0) | (nx ? MEM_ACCESS_X : 0);
            if (glaValid) {
                flags |= MEM_ACCESS_GLA_VALID | (inGpt ? MEM_ACCESS_FAULT_IN_GPT : MEM_ACCESS_FAULT_WITH_GLA);
                req.u64(U_MEM_ACCESS_GLA, gla);
            } else if (inGpt) {
                flags |= MEM_ACCESS_FAULT_IN_GPT;
            }
            req.u64(U_GFN, gfn).u64(U_MEM_ACCESS_OFFSET, offset).u32(U_MEM_ACCESS_FLAGS, flags);
            boolean sync = !n2rwx;
            Step s = send(h, req, sync);
            if (s != null) {
                if (s == Step.WAIT_SLOT && !sync) proceed = false;
                return s;
            }
            if (sync) {
                // dropped (ring vanished): the instruction is retried and faults again
                return fault(h);
            }
            return null;
        }

        private void write(Host h, Domain d, AltView view, Entry e) {
            if (view != null) view.table.set(gfn, e);
            else h.setHost(d, gfn, e);
        }
    }

    static byte[] filled(int n, byte b) {
        byte[] out = new byte[n];
        Arrays.fill(out, b);
        return out;
    }

    // ---- a guest loop ---------------------------------------------------------------------------------------------

    /**
     * A vCPU running the same instruction {@code times} times back to back: each instruction runs to its VM exit as
     * a single operation would, and when one is paused (sync event, ring full) the vCPU stops there; whoever unpauses
     * it (the consumer's notify → vm_event_resume → {@link #runPending}) runs the rest of that instruction and then
     * the next ones on its own thread, exactly as a resumed vCPU goes on executing its guest code. Ends early with the
     * outcome of an instruction that does not complete (crash, unmapped access, #VE).
     */
    static final class Loop extends GuestOp {
        private final java.util.function.Function<Vcpu, GuestOp> insn;
        private long left;
        private GuestOp cur;
        /** cur finished and was rearmed: the next instruction starts it again. */
        private boolean fresh;

        Loop(Vcpu v, long times, java.util.function.Function<Vcpu, GuestOp> insn) {
            super(v);
            if (times < 1) throw new IllegalArgumentException("a loop runs at least once");
            this.insn = insn;
            this.left = times;
        }

        @Override Step execute(Host h) {
            while (true) {
                if (cur == null || fresh) {
                    if (left == 0) return Step.DONE;
                    if (cur == null) cur = insn.apply(vcpu);
                    fresh = false;
                    left--;
                }
                int sentBefore = cur.result.eventsSent();
                Step s = cur.execute(h);
                for (int i = cur.result.eventsSent() - sentBefore; i > 0; i--) result.eventSent();
                if (s != Step.DONE) {
                    if (s == Step.UNMAPPED || s == Step.VE || s == Step.CRASHED) left = 0;
                    if (s != Step.PAUSED && s != Step.WAIT_SLOT) cur = null;
                    return s;
                }
                cur.result.update(Outcome.COMPLETED);
                if (cur.rearm()) fresh = true;
                else cur = null;
            }
        }

        @Override void deny(int reason, int ctrlregIndex) {
            if (cur != null && !fresh) cur.deny(reason, ctrlregIndex);
        }
    }

    // ---- an instruction fetched from guest memory ---------------------------------------------------------------

    /**
     * The instruction at RIP, as the vCPU runs it: translated through its page tables, fetched through its current
     * EPT (its altp2m view, so a gfn remapped in that view supplies the bytes), then executed. The emulator does not
     * decode x86: the guest program states the instruction's length, and executing it moves RIP past it — except a
     * fetched 0xCC, which is INT3: vmx.c EXIT_REASON_EXCEPTION_NMI / X86_EXC_BP → hvm_monitor_debug
     * (SOFTWARE_BREAKPOINT, gfn of RIP, insn_length 1, sync). RIP stays on the INT3 while the event is out; what
     * the response asks decides what the vCPU does next (hvm.c:hvm_do_resume):
     * <ul>
     * <li>EMULATE with SET_EMUL_INSN_DATA: hvm_vm_event_do_resume emulates one instruction from the response's bytes
     * (EMUL_KIND_SET_CONTEXT_INSN), so the guest's own instruction runs without being fetched again; bytes that are
     * themselves INT3 deliver #BP;</li>
     * <li>an injected #BP (xc_hvm_inject_trap) is delivered at VM entry: the guest's handler runs;</li>
     * <li>otherwise the vCPU re-executes at RIP in whatever view it now runs in (ALTERNATE_P2M may have switched it to a
     * view without the INT3).</li>
     * </ul>
     * No monitor, or no ring: Xen delivers the #BP itself (vmx_propagate_intr). After an instruction retires with
     * single-stepping on (the monitor trap flag), a SINGLESTEP event follows, or FAST_SINGLESTEP switches the view
     * (vmx.c EXIT_REASON_MONITOR_TRAP_FLAG → hvm_monitor_debug / p2m_altp2m_check).
     */
    static final class Instruction extends GuestOp {
        private enum Phase { FETCH, INT3, STEP }

        private final int length;
        private Phase phase = Phase.FETCH;
        private GuestOp cur;
        /** What the INT3's event left to do: null = re-execute at RIP, true = retired, false = #BP delivered. */
        private Boolean int3Outcome;

        Instruction(Vcpu v, int length) {
            super(v);
            if (length < 1 || length > 15) throw new IllegalArgumentException("an x86 instruction is 1..15 bytes");
            this.length = length;
        }

        @Override Step execute(Host h) {
            while (true) {
                if (cur == null) {
                    long rip = vcpu.regs.rip;
                    org.xenffm.api.Translation t = h.guest.translate(vcpu, rip);
                    if (t == null) return Step.PAGE_FAULT;
                    int off = (int) (t.gpa() & 0xfff);
                    phase = Phase.FETCH;
                    cur = new MemOp(vcpu, t.gpa() >>> 12, off, Math.min(length, Frame.SIZE - off), false, false, true,
                            null, rip, true, false);
                }
                int sentBefore = cur.result.eventsSent();
                Step s = cur.execute(h);
                for (int i = cur.result.eventsSent() - sentBefore; i > 0; i--) result.eventSent();
                if (s != Step.DONE) {
                    if (s != Step.PAUSED && s != Step.WAIT_SLOT) cur = null;
                    return s;
                }
                switch (phase) {
                    case FETCH -> {
                        byte[] insn = cur.result.data();
                        if (insn[0] == (byte) 0xcc) {
                            phase = Phase.INT3;
                            int3Outcome = null;
                            cur = int3(((MemOp) cur).gfn);
                            continue;
                        }
                        vcpu.regs.rip += length;
                    }
                    case INT3 -> {
                        if (int3Outcome == null) { cur = null; continue; }   // re-executes at RIP
                        if (!int3Outcome) return Step.DONE;                  // the guest took its #BP
                    }
                    case STEP -> { return Step.DONE; }
                }
                GuestOp step = afterRetire(h);
                if (step == null) return Step.DONE;
                phase = Phase.STEP;
                cur = step;
            }
        }

        /** The SOFTWARE_BREAKPOINT event of the INT3 in {@code gfn}; its after() records what the response decided. */
        private GuestOp int3(long gfn) {
            int before = vcpu.delivered.size();
            return new EventOp(vcpu) {
                @Override VmEventRequest request(Host h) {
                    if (!vcpu.domain.monitor.softwareBreakpoint) return null;
                    return VmEventRequest.of(vcpu, REASON_SOFTWARE_BREAKPOINT).u64(U_GFN, h.guest.gfnOfRip(vcpu, gfn))
                            .u32(U_DEBUG_INSN_LENGTH, 1).u8(U_DEBUG_TYPE, 6 /* X86_EVENTTYPE_SW_EXCEPTION */);
                }
                @Override boolean sync(Host h) { return true; }
                @Override void after(Host h, boolean paused) {
                    Vcpu v = vcpu;
                    if (!paused) {                       // nobody took the event: Xen propagates the #BP
                        v.delivered.add(InjectedEvent.int3());
                        v.regs.rip += 1;
                        int3Outcome = false;
                    } else if ((v.emulateFlags & F_SET_EMUL_INSN_DATA) != 0) {
                        byte[] insn = v.emulInsnData;
                        v.emulateFlags = 0;
                        v.emulInsnData = null;
                        if (insn[0] == (byte) 0xcc) {     // the emulator ran an INT3: #BP for the guest
                            v.delivered.add(InjectedEvent.int3());
                            v.regs.rip += 1;
                            int3Outcome = false;
                        } else {
                            v.regs.rip += length;
                            int3Outcome = true;
                        }
                    } else if (v.delivered.size() > before) {   // the monitor injected #BP: taken at this VM entry
                        v.regs.rip += 1;
                        int3Outcome = false;
                    }
                }
            };
        }

        /** The monitor trap flag after the retired instruction: its SINGLESTEP event, if one goes out. */
        private GuestOp afterRetire(Host h) {
            VmEventRequest req = singlestepAfterRetire(h, vcpu);
            if (req == null) return null;
            return new EventOp(vcpu) {
                @Override VmEventRequest request(Host h2) { return req; }
                @Override boolean sync(Host h2) { return true; }
            };
        }
    }

    /**
     * vmx.c EXIT_REASON_MONITOR_TRAP_FLAG after an instruction retired with single-stepping on: a fast single-step
     * switches the vCPU to its target view and ends (p2m_altp2m_check, no event); otherwise the SINGLESTEP request when
     * the monitor wants it. Null when no event goes out.
     */
    static VmEventRequest singlestepAfterRetire(Host h, Vcpu v) {
        if (!v.singleStep) return null;
        if (v.fastSingleStepView >= 0) {
            h.altp2m.switchVcpu(v, v.fastSingleStepView);
            v.fastSingleStepView = -1;
            v.singleStep = false;
            return null;
        }
        if (!v.domain.monitor.singlestep) return null;
        return VmEventRequest.of(v, REASON_SINGLESTEP).u64(U_GFN, v.regs.rip >>> 12);
    }

    // ---- events that are not memory accesses -----------------------------------------------------------------

    /** An instruction that may raise one monitor event, then completes (optionally with a deferred effect). */
    abstract static class EventOp extends GuestOp {
        private boolean sent;

        EventOp(Vcpu v) { super(v); }

        /** The request to send, or null if the monitor does not want this one. */
        abstract VmEventRequest request(Host h);

        abstract boolean sync(Host h);

        /** Effect before the event (or when none is sent). */
        void before(Host h) {}

        /** Effect after the event was handled (immediately for async/dropped, after the response for sync). */
        void after(Host h, boolean wasPaused) {}

        /** Whether the op keeps no state of its own, so that {@link #rearm} may run it again (default: no). */
        boolean repeatable() { return false; }

        @Override boolean rearm() {
            if (!repeatable()) return false;
            sent = false;
            resumed = false;
            queued = null;
            queuedSync = false;
            return true;
        }

        @Override Step execute(Host h) {
            if (resumed) {
                resumed = false;
                after(h, true);
                return Step.DONE;
            }
            VmEventRequest req;
            boolean sync;
            if (queued != null) {
                req = queued;
                sync = queuedSync;
                queued = null;
            } else {
                if (sent) throw new IllegalStateException("event op re-run after completion");
                before(h);
                req = request(h);
                sync = req != null && sync(h);
            }
            if (req != null) {
                Step s = send(h, req, sync);
                if (s != null) return s;
            }
            sent = true;
            after(h, false);
            return Step.DONE;
        }
    }
}
