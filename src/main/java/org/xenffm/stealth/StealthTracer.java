// SPDX-License-Identifier: Apache-2.0
package org.xenffm.stealth;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Errno;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;
import org.xenffm.safe.ConflictPolicy;
import org.xenffm.safe.MonitorSessionFaults;
import org.xenffm.safe.SharingAwareAltp2m;
import org.xenffm.safe.Slot;
import org.xenffm.vmevent.MonitorSession;
import org.xenffm.vmevent.VmEvent;
import org.xenffm.vmevent.VmEventAbi;
import org.xenffm.vmevent.VmEventResponse;
import org.xenffm.vmi.GuestMemory;

/**
 * Stealth breakpoints on any number of domains (clones included), kept by the sharing-aware view keeper.
 *
 * <p>For each traced domain the tracer creates one altp2m <em>execute view</em> and switches the domain into it. A
 * breakpoint's page gets a <em>shadow page</em>: {@code max_pages} is raised by one, a page is populated at
 * {@code max_gpfn + 1} (xc_domain_populate_physmap_exact), the original page is copied into it and INT3 (0xCC) is
 * written at each breakpoint's offset; then the original gfn is remapped to the shadow in the execute view
 * (xc_altp2m_change_gfn) with execute-only access. Everything else of the guest is unchanged, and the original page
 * (shared with a fork's parent or a deduplicated sibling) stays as it was.
 *
 * <p>What the guest sees:
 * <ul>
 * <li><b>Executing the breakpoint</b> raises SOFTWARE_BREAKPOINT; the hit goes to the handler with the vCPU paused,
 * then the vCPU runs its original instruction by {@link StepMode}: a one-instruction switch to view 0 with
 * FAST_SINGLESTEP back (hosts with the monitor trap flag), or Xen emulating the original bytes (hosts without).</li>
 * <li><b>Reading or writing the page</b> violates execute-only: the tracer points the view back at the original page
 * with read/write and no execute rights, and the vCPU retries the access there — it reads the original bytes and
 * writes go to the original page. The next instruction fetch from the page faults on the missing execute right; the
 * shadow is rebuilt from the (possibly rewritten) original, remapped, and the fetch retried — so a hit is never
 * missed and no monitor trap flag is needed.</li>
 * <li><b>The guest's own INT3</b> (in the original bytes) is re-injected as #BP (xc_hvm_inject_trap).</li>
 * </ul>
 * The view writes go through {@link SharingAwareAltp2m}, so the remap and the execute-only access survive what
 * would silently erase them (an unsharing write, fork_reset, a partner destroyed); on Xen ≥ 4.19 the breakpoint's
 * original page is made private first ({@link ConflictPolicy#UNSHARE}), as a view there cannot be kept on a shared
 * gfn. The tracer owns its keeper's monitor sessions (one per traced domain): SOFTWARE_BREAKPOINT is added to them and
 * MEM_ACCESS events the keeper forwards come here.
 *
 * <p>{@link #remove} and {@link #close} put everything back: the original byte, the remap and the access, the
 * vCPUs' view, the view itself, the shadow pages (xc_domain_decrease_reservation_exact) and {@code max_pages}.
 */
public final class StealthTracer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StealthTracer.class);
    private static final byte INT3 = (byte) 0xcc;
    private static final int PAGE = 4096;
    /** HVMOP_TRAP_sw_exc / X86_EVENTTYPE_SW_EXCEPTION: how a #BP is injected. */
    private static final int SW_EXCEPTION = 6;

    private final Hypervisor hv;
    private final StepMode forcedMode;
    private final Consumer<? super BreakpointHit> onHit;
    private final MonitorSessionFaults faults;
    private final SharingAwareAltp2m keeper;
    private final Map<DomainId, Traced> traced = new LinkedHashMap<>();
    private final AtomicLong hits = new AtomicLong(), accessesHidden = new AtomicLong(), reshadows = new AtomicLong(),
            reinjected = new AtomicLong(), staleHits = new AtomicLong(), resyncs = new AtomicLong();
    private boolean closed;

    /** One traced domain: its execute view, its shadowed pages and what to restore. */
    private static final class Traced {
        final DomainId domain;
        final ViewId view;
        final StepMode mode;
        final Map<Gfn, ShadowPage> pages = new HashMap<>();
        /** max_pages before the first shadow page (KiB), or -1 while none was added. */
        long savedMaxKb = -1;

        Traced(DomainId domain, ViewId view, StepMode mode) {
            this.domain = domain;
            this.view = view;
            this.mode = mode;
        }
    }

    /** One original page with breakpoints: its shadow and whether the view currently points at the shadow. */
    private static final class ShadowPage {
        final Gfn original, shadow;
        final TreeMap<Integer, Breakpoint> breakpoints = new TreeMap<>();
        boolean shadowed;
        /** The original page as copied into the shadow: what a hit emulates (EMULATE mode) without a mapping. */
        final byte[] originalBytes = new byte[PAGE];

        ShadowPage(Gfn original, Gfn shadow) {
            this.original = original;
            this.shadow = shadow;
        }
    }

    /**
     * A tracer with its own view keeper and event glue.
     *
     * @param hv    the hypervisor (either backend)
     * @param mode  how hits resume, or null to choose per domain ({@link StepMode#of})
     * @param onHit called on the monitor thread for every hit, the vCPU paused; keep it short
     */
    public StealthTracer(Hypervisor hv, StepMode mode, Consumer<? super BreakpointHit> onHit) {
        this.hv = Objects.requireNonNull(hv);
        this.forcedMode = mode;
        this.onHit = Objects.requireNonNull(onHit);
        this.faults = new MonitorSessionFaults(hv, this::addEvents);
        this.keeper = new SharingAwareAltp2m(hv, faults, ConflictPolicy.KEEP_BOTH);
    }

    /** {@return the view keeper the tracer declares its views through: fork, share and reset clones with it} */
    public SharingAwareAltp2m keeper() { return keeper; }

    /** {@return the hits reported to the handler} */
    public long hits() { return hits.get(); }

    /** {@return the guest reads and writes of a breakpoint page that were turned to the original page} */
    public long accessesHidden() { return accessesHidden.get(); }

    /** {@return the times a shadow page was rebuilt for an instruction fetch after a read or write} */
    public long reshadows() { return reshadows.get(); }

    /** {@return the hits after which Xen had unshared the breakpoint's page and overwritten its view entry: re-synced} */
    public long resyncs() { return resyncs.get(); }

    /** {@return the guest's own INT3s given back to it as #BP} */
    public long reinjected() { return reinjected.get(); }

    /** {@return INT3 events of a breakpoint removed while its vCPU waited: the vCPU re-ran the original instruction} */
    public long staleHits() { return staleHits.get(); }

    /** {@return the breakpoints set, in no particular order} */
    public synchronized List<Breakpoint> breakpoints() {
        List<Breakpoint> out = new ArrayList<>();
        for (Traced t : traced.values()) for (ShadowPage p : t.pages.values()) out.addAll(p.breakpoints.values());
        return out;
    }

    /**
     * {@return the shadow gfns the tracer populated in {@code d} (one per page with breakpoints)}
     *
     * @param d a domain
     */
    public synchronized List<Gfn> shadowPages(DomainId d) {
        Traced t = traced.get(d);
        return t == null ? List.of() : t.pages.values().stream().map(p -> p.shadow).toList();
    }

    /**
     * {@return the execute view of {@code d}, if it is traced}
     *
     * @param d a domain
     */
    public synchronized java.util.Optional<ViewId> executeView(DomainId d) {
        return java.util.Optional.ofNullable(traced.get(d)).map(t -> t.view);
    }

    // ---- setting and removing ----------------------------------------------------------------------------------

    /**
     * A breakpoint at a guest-physical address. The first breakpoint on a domain creates its execute view
     * (xc_altp2m_create_view), opens its monitor session (xc_monitor_enable, xc_monitor_software_breakpoint) and
     * switches the domain into the view (xc_altp2m_switch_to_view); the first on a page raises max_pages by one
     * (xc_domain_setmaxmem), populates the shadow (xc_domain_populate_physmap_exact), copies the page through foreign
     * mappings and remaps it (xc_altp2m_change_gfn, xc_altp2m_set_mem_access to execute-only).
     *
     * @param d   the domain
     * @param gpa the guest-physical address of the instruction
     * @return the breakpoint (the existing one if already set there)
     * @throws XenException from those calls: e.g. EBUSY the shadow could not be populated (no host memory),
     *                      EINVAL the gpa has no RAM, EOPNOTSUPP altp2m or software-breakpoint monitoring unavailable
     * @throws org.xenffm.safe.SafetyException the keeper refused the view change (see {@link SharingAwareAltp2m#remap})
     */
    public synchronized Breakpoint add(DomainId d, long gpa) {
        return add(d, gpa, OptionalLong.empty());
    }

    /**
     * A breakpoint at a guest-virtual address, translated once through {@code vcpu}'s current page tables
     * (xc_domain_hvm_getcontext_partial and the guest's tables, {@link GuestMemory}); then as {@link #add(DomainId, long)}.
     * A later change of the guest's mapping is not followed.
     *
     * @param d    the domain
     * @param vcpu the vCPU whose address space translates {@code gva}
     * @param gva  the guest-virtual address
     * @return the breakpoint
     * @throws org.xenffm.api.TranslationException the address does not translate
     * @throws XenException as {@link #add(DomainId, long)}
     */
    public synchronized Breakpoint addVirtual(DomainId d, VcpuId vcpu, long gva) {
        long gpa;
        try (GuestMemory gm = new GuestMemory(hv, d)) {
            gpa = gm.virtualToPhysical(gm.addressSpace(vcpu), gva);
        }
        return add(d, gpa, OptionalLong.of(gva));
    }

    private Breakpoint add(DomainId d, long gpa, OptionalLong gva) {
        if (closed) throw new IllegalStateException("tracer closed");
        Traced t = traced.get(d);
        if (t == null) t = trace(d);
        Gfn g = Gfn.ofGpa(gpa);
        int off = (int) (gpa & 0xfff);
        ShadowPage p = t.pages.get(g);
        if (p != null && p.breakpoints.containsKey(off)) return p.breakpoints.get(off);
        Breakpoint bp = new Breakpoint(d, gpa, gva);
        if (p == null) {
            p = newShadow(t, g);
            p.breakpoints.put(off, bp);
            try {
                shadow(t, p);
            } catch (RuntimeException e) {
                hv.domainDecreaseReservationExact(d, List.of(p.shadow));   // nothing points at it yet
                throw e;
            }
            t.pages.put(g, p);
        } else {
            p.breakpoints.put(off, bp);
            if (p.shadowed) writeShadowByte(d, p.shadow, off, INT3);   // one byte: atomic for a running vCPU
        }
        return bp;
    }

    /** The first breakpoint of a domain: its view, its monitor session, its vCPUs in the view. */
    private Traced trace(DomainId d) {
        StepMode mode = forcedMode != null ? forcedMode : StepMode.of(hv, d);
        ViewId view = keeper.createView(d, MemAccess.RWX);
        try {
            Traced t = new Traced(d, view, mode);
            traced.put(d, t);
            keeper.watch(d);
            keeper.switchToView(d, view);
            return t;
        } catch (RuntimeException e) {
            traced.remove(d);
            keeper.destroyView(d, view);
            throw e;
        }
    }

    private ShadowPage newShadow(Traced t, Gfn g) {
        DomainId d = t.domain;
        DomainInfo info = hv.domainGetinfo(d);
        if (t.savedMaxKb < 0) t.savedMaxKb = info.maxPages() * 4;
        if (info.totPages() + 1 > info.maxPages()) hv.domainSetmaxmem(d, (info.totPages() + 1) * 4);
        Gfn shadow = Gfn.of(hv.domainMaximumGpfn(d) + 1);
        hv.domainPopulatePhysmapExact(d, List.of(shadow));
        return new ShadowPage(g, shadow);
    }

    /** Copies the original into the shadow with the INT3s, remaps the view to it, execute-only. */
    private void shadow(Traced t, ShadowPage p) {
        DomainId d = t.domain;
        try (ForeignMapping src = hv.foreignMemoryMap(d, false, List.of(p.original));
             ForeignMapping dst = hv.foreignMemoryMap(d, true, List.of(p.shadow))) {
            MemorySegment.copy(src.memory(), ValueLayout.JAVA_BYTE, 0, p.originalBytes, 0, PAGE);
            MemorySegment.copy(src.memory(), 0, dst.memory(), 0, PAGE);
            for (int off : p.breakpoints.keySet()) dst.memory().set(ValueLayout.JAVA_BYTE, off, INT3);
        }
        ConflictPolicy policy = policy();
        keeper.remap(d, t.view, p.original, p.shadow, policy);
        keeper.setViewAccess(d, t.view, p.original, MemAccess.X, policy);
        p.shadowed = true;
    }

    /** Points the view back at the original page, readable and writable but not executable. */
    private void unshadow(Traced t, ShadowPage p) {
        keeper.unmap(t.domain, t.view, p.original);
        keeper.setViewAccess(t.domain, t.view, p.original, MemAccess.RW, policy());
        p.shadowed = false;
    }

    /** 4.17 keeps a breakpoint's original page shared; ≥ 4.19 cannot keep a view on a shared gfn (ReleaseLimits). */
    private ConflictPolicy policy() {
        return hv.version().altp2mAtCreation() ? ConflictPolicy.UNSHARE : ConflictPolicy.KEEP_BOTH;
    }

    private void writeShadowByte(DomainId d, Gfn shadow, int off, byte b) {
        try (ForeignMapping m = hv.foreignMemoryMap(d, true, List.of(shadow))) {
            m.memory().set(ValueLayout.JAVA_BYTE, off, b);
        }
    }

    private byte originalByte(DomainId d, long gpa) {
        try (ForeignMapping m = hv.foreignMemoryMap(d, false, List.of(Gfn.ofGpa(gpa)))) {
            return m.memory().get(ValueLayout.JAVA_BYTE, gpa & 0xfff);
        }
    }

    /**
     * Removes a breakpoint: its shadow byte gets the original back; the last one of a page also gives the page back
     * (the view entry and access cleared through the keeper, the shadow released with
     * xc_domain_decrease_reservation_exact, the keeper's declarations re-applied, since Xen resets a view whose
     * remapped range held the dropped gfn). The domain is paused meanwhile (xc_domain_pause). A vCPU that waits on
     * the removed INT3 re-runs its original instruction.
     *
     * @param bp the breakpoint
     * @return whether it was set
     * @throws XenException from those calls (ESRCH the domain is gone)
     */
    public synchronized boolean remove(Breakpoint bp) {
        Traced t = traced.get(bp.domain());
        ShadowPage p = t == null ? null : t.pages.get(Gfn.ofGpa(bp.gpa()));
        int off = (int) (bp.gpa() & 0xfff);
        if (p == null || p.breakpoints.remove(off) == null) return false;
        DomainId d = t.domain;
        if (!p.breakpoints.isEmpty()) {
            writeShadowByte(d, p.shadow, off, originalByte(d, bp.gpa()));
            return true;
        }
        hv.domainPause(d);
        try {
            dropPage(t, p);
            t.pages.remove(p.original);
            keeper.reapplyAll(d);
        } finally {
            hv.domainUnpause(d);
        }
        return true;
    }

    private void dropPage(Traced t, ShadowPage p) {
        if (p.shadowed) keeper.unmap(t.domain, t.view, p.original);
        keeper.clearViewAccess(t.domain, t.view, p.original);
        hv.domainDecreaseReservationExact(t.domain, List.of(p.shadow));
    }

    /**
     * fork_reset of a traced child through the keeper ({@link SharingAwareAltp2m#forkReset}: xc_memshr_fork_reset,
     * then the declared views re-applied), then the breakpoints rebuilt: resetting the memory drops every private
     * page of the fork, the shadow pages included, and resetting the state may move the vCPUs out of the view. The
     * child is paused meanwhile.
     *
     * @param child       the traced fork
     * @param resetState  reset the vCPU state and parameters to the parent's
     * @param resetMemory drop the fork's private pages
     * @throws XenException as {@link SharingAwareAltp2m#forkReset} (ENOSYS not a fork), or EBUSY a shadow page could not
     *                      be populated again
     */
    public synchronized void forkReset(DomainId child, boolean resetState, boolean resetMemory) {
        keeper.forkReset(child, resetState, resetMemory);
        Traced t = traced.get(child);
        if (t == null) return;
        hv.domainPause(child);
        try {
            for (ShadowPage p : t.pages.values()) {
                ensurePopulated(t, p);
                shadow(t, p);
            }
            keeper.switchToView(child, t.view);
        } finally {
            hv.domainUnpause(child);
        }
    }

    /** A shadow page a fork_reset dropped (mapping it fails EINVAL: no RAM there, nor in the parent) comes back. */
    private void ensurePopulated(Traced t, ShadowPage p) {
        try (ForeignMapping _ = hv.foreignMemoryMap(t.domain, false, List.of(p.shadow))) {
            return;
        } catch (XenException e) {
            if (e.errno() != Errno.EINVAL) throw e;
        }
        DomainInfo info = hv.domainGetinfo(t.domain);
        if (info.totPages() + 1 > info.maxPages()) hv.domainSetmaxmem(t.domain, (info.totPages() + 1) * 4);
        hv.domainPopulatePhysmapExact(t.domain, List.of(p.shadow));
    }

    /**
     * Destroys a traced clone through the keeper ({@link SharingAwareAltp2m#destroyDomain}: its monitor session closed,
     * xc_domain_destroy) and forgets its breakpoints: its view and shadow pages go with the domain.
     *
     * @param d the traced domain (a fork or clone the caller is done with)
     * @throws XenException as {@link SharingAwareAltp2m#destroyDomain}
     */
    public void destroy(DomainId d) {
        synchronized (this) {
            traced.remove(d);
        }
        keeper.destroyDomain(d);   // outside our lock: it closes the domain's session, whose thread may want it
    }

    // ---- events ------------------------------------------------------------------------------------------------

    /** Adds SOFTWARE_BREAKPOINT and the forwarded MEM_ACCESS handling to the keeper's session for a domain. */
    private MonitorSession.Builder addEvents(MonitorSession.Builder b) {
        DomainId d = b.domain();
        faults.onViolation(d, e -> onAccess(d, e));
        return b.softwareBreakpoint().on(VmEvent.SoftwareBreakpoint.class, e -> onBreakpoint(d, e));
    }

    private VmEventResponse onBreakpoint(DomainId d, VmEvent.SoftwareBreakpoint e) {
        long gpa = (e.gfn().value() << 12) | (e.regs().rip() & 0xfff);
        Breakpoint bp;
        Traced t;
        byte[] insn = null;
        synchronized (this) {
            t = traced.get(d);
            ShadowPage p = t == null ? null : t.pages.get(e.gfn());
            bp = p == null || !p.shadowed ? null : p.breakpoints.get((int) (gpa & 0xfff));
            if (bp != null) keepAfterHit(t, p);
            if (bp != null && t.mode == StepMode.EMULATE) insn = originalInsn(p, (int) (gpa & 0xfff));
        }
        if (bp == null) {
            if (originalByte(d, gpa) == INT3) {   // the guest's own INT3: Xen did not deliver it, we do
                hv.hvmInjectTrap(d, e.vcpu(), 3, SW_EXCEPTION, -1, e.insnLength(), 0);
                reinjected.incrementAndGet();
            } else {
                staleHits.incrementAndGet();      // removed meanwhile: the vCPU re-runs the original instruction
            }
            return VmEventResponse.CONTINUE;
        }
        hits.incrementAndGet();
        try {
            onHit.accept(new BreakpointHit(bp, e.vcpu(), e.copy().regs()));
        } catch (RuntimeException ex) {
            LOG.warn("breakpoint handler failed on {}: {}", bp, ex.toString());   // the guest must go on regardless
        }
        if (t.mode == StepMode.SINGLESTEP) return VmEventResponse.CONTINUE.switchToView(ViewId.HOST).fastSinglestep(t.view);
        return VmEventResponse.CONTINUE.emulate().emulInsnData(insn);
    }

    /**
     * 4.17 keeps a breakpoint's original page shared (KEEP_BOTH), but when the guest pages, Xen's own translation of
     * the hit's RIP unshares it (monitor.c:gfn_of_rip → hap_p2m_ga_to_gfn looks the tables and the gfn up with
     * P2M_UNSHARE), and the unshare's new host entry overwrites the view's remap (p2m_altp2m_propagate_change): the
     * next fetch would run the original page, with no hit (observed on 4.17.5, s42). So after a hit on a page the
     * keeper still books as shared, the view's entry is checked (xc_altp2m_get_mem_access: still execute-only?), and
     * if Xen overwrote it the keeper re-syncs the domain: the page booked private, the remap and access re-applied.
     */
    private void keepAfterHit(Traced t, ShadowPage p) {
        if (!keeper.ledger().isShared(new Slot(t.domain, p.original))) return;
        if (hv.altp2mGetMemAccess(t.domain, t.view, p.original) == MemAccess.X) return;
        keeper.resync(t.domain);
        resyncs.incrementAndGet();
    }

    /**
     * The 16 instruction bytes at {@code off} of the page the shadow was copied from: exactly what the INT3 hides (zeros
     * past the page's end: an instruction crossing into the next page is not supported in EMULATE mode).
     */
    private static byte[] originalInsn(ShadowPage p, int off) {
        byte[] insn = new byte[VmEventAbi.EMUL_INSN_SIZE];
        System.arraycopy(p.originalBytes, off, insn, 0, Math.min(insn.length, PAGE - off));
        return insn;
    }

    /** A MEM_ACCESS the keeper did not explain: a read/write of a shadowed page, or a fetch from an unshadowed one. */
    private VmEventResponse onAccess(DomainId d, VmEvent.MemAccess e) {
        synchronized (this) {
            Traced t = traced.get(d);
            ShadowPage p = t == null ? null : t.pages.get(e.gfn());
            boolean inView = t != null && e.header().view().filter(t.view::equals).isPresent();
            if (p == null || !inView) return VmEventResponse.CONTINUE.emulate();   // as MonitorSessionFaults does
            if (p.shadowed && (e.read() || e.write()) && !e.exec()) {
                unshadow(t, p);
                accessesHidden.incrementAndGet();
            } else if (!p.shadowed && e.exec()) {
                shadow(t, p);
                reshadows.incrementAndGet();
            }
            return VmEventResponse.CONTINUE;   // the vCPU retries against the changed view
        }
    }

    // ---- teardown ----------------------------------------------------------------------------------------------

    /**
     * Restores every traced domain (paused meanwhile): vCPUs back to view 0, every remap and access cleared, the
     * execute view destroyed, the shadow pages released (xc_domain_decrease_reservation_exact) and max_pages set back
     * (xc_domain_setmaxmem); then closes the keeper, whose sessions answer any waiting vCPU (it re-runs its original
     * instruction). A domain already destroyed is skipped; the first other failure is thrown after every domain was
     * attempted.
     *
     * @throws XenException the first failure restoring a domain that still exists
     */
    @Override public void close() {
        RuntimeException first = null;
        synchronized (this) {
            if (closed) return;
            closed = true;
            for (Traced t : traced.values()) {
                try {
                    restore(t);
                } catch (XenException e) {
                    if (!gone(t.domain) && first == null) first = e;
                } catch (RuntimeException e) {
                    if (first == null) first = e;
                }
            }
            traced.clear();
        }
        keeper.close();   // outside our lock: the session threads may be waiting for it
        if (first != null) throw first;
    }

    private void restore(Traced t) {
        DomainId d = t.domain;
        hv.domainPause(d);
        try {
            keeper.switchToView(d, ViewId.HOST);
            for (ShadowPage p : t.pages.values()) {
                if (p.shadowed) keeper.unmap(d, t.view, p.original);
                keeper.clearViewAccess(d, t.view, p.original);
            }
            keeper.destroyView(d, t.view);
            List<Gfn> shadows = t.pages.values().stream().map(p -> p.shadow).toList();
            if (!shadows.isEmpty()) hv.domainDecreaseReservationExact(d, shadows);
            if (t.savedMaxKb >= 0) hv.domainSetmaxmem(d, t.savedMaxKb);
        } finally {
            hv.domainUnpause(d);
        }
    }

    private boolean gone(DomainId d) {
        try {
            hv.domainGetinfo(d);
            return false;
        } catch (XenException e) {
            return true;
        }
    }
}
