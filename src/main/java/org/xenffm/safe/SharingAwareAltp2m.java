// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmParam;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;
import org.xenffm.safe.Ledger.Book;

/**
 * Memory sharing and altp2m views on the same guest, safely. Xen 4.17 cannot keep the two consistent on one gfn:
 * it refuses some orders (nominate → EINVAL), silently undoes others (unshare and share push the host entry with the
 * host default access into every view holding the gfn) and panics on one (a view change on a shared gfn the view has
 * not copied). This class owns a {@link Ledger} of what is shared and what each view declares, issues only call
 * sequences that are safe on Xen 4.17 (see {@link Hazard}), and re-applies declared view entries whenever Xen
 * overwrites them:
 * <ul>
 * <li>synchronously, after its own nominate / share / unshare / fork / fork_reset;</li>
 * <li>on the guest's write that unshares a gfn: while a domain has gfns both shared and declared, its host default
 * access is write-less, so the entry Xen rewrites at unshare faults on the retried write; {@link #onFault} then
 * re-applies the host access and the views before the vCPU resumes (the 2016 xen-devel proposal, done from dom0).
 * Xen unshares <em>before</em> it checks the access (hvm.c:hvm_hap_nested_page_fault), so a restriction on the
 * shared entry alone would never fault: the default is the entry Xen writes.</li>
 * </ul>
 * On Xen ≥ 4.19 the second point cannot work (a lazy copy takes the view's default access, not the host's), so a
 * gfn may never be both shared and declared there, and a parent with altp2m cannot be forked: those calls throw
 * {@link ReleaseLimitException} before any hypercall ({@link Hazard#SHARED_AND_DECLARED_ON_4_19},
 * {@link Hazard#FORK_OF_ALTP2M_PARENT}).
 * Views must be created through this class ({@link #createView}); altp2m slot 0 cannot be probed from dom0
 * (get_mem_access on view 0 reads the host) and takes no declarations. All methods are serialized on this object;
 * {@link #onFault} is called from the monitor consumer thread.
 */
public final class SharingAwareAltp2m implements AutoCloseable {
    /** The write-less default installed while a domain needs write events: rx keeps reads and code running. */
    static final MemAccess ARMED_DEFAULT = MemAccess.RX;

    private final Hypervisor hv;
    private final FaultSource.Factory faults;
    private final ConflictPolicy defaultPolicy;
    private final Ledger ledger;
    private final Map<DomainId, FaultSource> sources = new HashMap<>();
    private final Stats stats = new Stats();

    /** Counters of what the keeper did; for tests, the CLI's status output and logs. */
    public static final class Stats {
        public long faults, faultsResumed, faultsForwarded, unsharesCaught, slotsReapplied, reshares,
                safeUnshares, refused, viewsRecreated;
        /** Times a requested call would have hit a panicking ordering of raw Xen and was reordered or refused. */
        public long crashesAvoided;

        @Override public String toString() {
            return "faults=" + faults + " resumed=" + faultsResumed + " forwarded=" + faultsForwarded
                    + " unsharesCaught=" + unsharesCaught + " reapplied=" + slotsReapplied + " reshares=" + reshares
                    + " unshares=" + safeUnshares + " refused=" + refused + " viewsRecreated=" + viewsRecreated
                    + " crashesAvoided=" + crashesAvoided;
        }
    }

    /**
     * @param hv the hypervisor (real or emulated)
     * @param faults opens MEM_ACCESS delivery for a domain (normally {@link MonitorSessionFaults}); may be null
     *        when no view is ever declared on a shared gfn — such declarations then fail with
     *        IllegalStateException instead of being silently undone by the next unshare
     * @param defaultPolicy used by the overloads without a policy (the CLI's {@code --keep-views} is KEEP_BOTH)
     */
    public SharingAwareAltp2m(Hypervisor hv, FaultSource.Factory faults, ConflictPolicy defaultPolicy) {
        this(hv, faults, defaultPolicy, new Ledger());
    }

    /**
     * Adopts a ledger another process wrote ({@link Ledger#write}), e.g. a one-shot CLI run, and brings every
     * domain in it in line with Xen ({@link #reconcile}): views missing from Xen are re-created, sharing state is
     * synced, declarations re-applied and write events armed where needed. Domains that no longer exist are dropped.
     */
    public SharingAwareAltp2m(Hypervisor hv, FaultSource.Factory faults, ConflictPolicy defaultPolicy,
                              Ledger adopted) {
        this.hv = hv;
        this.faults = faults;
        this.defaultPolicy = defaultPolicy;
        this.ledger = adopted;
        for (DomainId d : List.copyOf(adopted.domains())) {
            try {
                hv.domainGetinfo(d);
            } catch (XenException e) {
                if (e.errno() != Errno.ESRCH) throw e;
                adopted.forgetDomain(d);
                continue;
            }
            reconcile(d);
        }
    }

    public SharingAwareAltp2m(Hypervisor hv, FaultSource.Factory faults) {
        this(hv, faults, ConflictPolicy.KEEP_BOTH);
    }

    /**
     * The ledger. It is mutated by the monitor threads too: read it while no guest access is in flight, or inside
     * {@code synchronized (thisKeeper)}.
     */
    public Ledger ledger() { return ledger; }

    /** Saves the ledger for another process to adopt (consistent with the monitor threads). */
    public synchronized void writeLedger(java.io.Writer out) { ledger.write(out); }

    /** A snapshot of the counters. */
    public synchronized Stats stats() {
        Stats c = new Stats();
        c.faults = stats.faults; c.faultsResumed = stats.faultsResumed; c.faultsForwarded = stats.faultsForwarded;
        c.unsharesCaught = stats.unsharesCaught; c.slotsReapplied = stats.slotsReapplied; c.reshares = stats.reshares;
        c.safeUnshares = stats.safeUnshares; c.refused = stats.refused; c.viewsRecreated = stats.viewsRecreated;
        c.crashesAvoided = stats.crashesAvoided;
        return c;
    }

    public Hypervisor hypervisor() { return hv; }

    // =========================================================================================================
    // views
    // =========================================================================================================

    /** Activates altp2m on the domain if needed (mode external when unset) and creates a view. */
    public synchronized ViewId createView(DomainId d, MemAccess defaultAccess) {
        ensureAltp2m(d);
        ViewId v = hv.altp2mCreateView(d, defaultAccess);
        ledger.viewCreated(d, v, defaultAccess);
        return v;
    }

    /** Destroys a view (EBUSY while a vCPU uses it, as Xen) and forgets its declarations. */
    public synchronized void destroyView(DomainId d, ViewId v) {
        requireView(d, v);
        hv.altp2mDestroyView(d, v);
        ledger.viewDestroyed(d, v);
        maybeDisarm(d);
    }

    public synchronized void switchToView(DomainId d, ViewId v) { hv.altp2mSwitchToView(d, v); }

    public synchronized void setVisibility(DomainId d, ViewId v, boolean visible) {
        ViewDecl vd = requireView(d, v);
        hv.altp2mSetVisibility(d, v, visible);
        vd.visible(visible);
    }

    public void setViewAccess(DomainId d, ViewId v, Gfn g, MemAccess a) { setViewAccess(d, v, g, a, defaultPolicy); }

    /**
     * Opens the MEM_ACCESS event source for {@code d} (its monitor ring) if not yet open. Done automatically for
     * every domain with a declared access: without a ring Xen relaxes a violated entry to rwx and sends nothing
     * (mem_access.c:p2m_mem_access_check, §5.3 step 3), so a declaration would evaporate on first use. Violations
     * of declared views then reach the caller's handler ({@link MonitorSessionFaults#onViolation}).
     */
    public synchronized void watch(DomainId d) {
        if (faults == null) throw new IllegalStateException("no FaultSource.Factory to watch " + d);
        ledger.book(d);
        sources.computeIfAbsent(d, dom -> faults.open(dom, this::onFault));
    }

    private void watchIfPossible(DomainId d) {
        if (faults != null) watch(d);
    }

    /**
     * Declares and applies an access restriction of {@code g} in view {@code v}. If {@code g} is shared and the
     * view has not copied it, raw Xen would panic; the policy decides
     * (see {@link Hazard#VIEW_CHANGE_ON_UNCOPIED_SHARED_GFN}).
     */
    public synchronized void setViewAccess(DomainId d, ViewId v, Gfn g, MemAccess a, ConflictPolicy p) {
        ViewDecl vd = requireView(d, v);
        if (a == MemAccess.DEFAULT) throw new IllegalArgumentException("declare a concrete access, not DEFAULT");
        syncSlot(d, g);
        keepPrivateOn419(d, v, g, p, "xc_altp2m_set_mem_access");
        requireEvents(d, g);
        watchIfPossible(d);
        prepareViewLookup(d, v, g, p, "xc_altp2m_set_mem_access");
        vd.putAccess(g, a);
        ensureArmed(d);          // before the view write: an unshare in between must already fault
        try {
            hv.altp2mSetMemAccess(d, v, g, a);
        } catch (XenException e) {
            vd.removeAccess(g);
            maybeDisarm(d);
            throw e;
        }
    }

    /** Drops the declared access of {@code g} in {@code v}: the view entry takes the host's access again. */
    public synchronized void clearViewAccess(DomainId d, ViewId v, Gfn g) {
        ViewDecl vd = requireView(d, v);
        if (vd.accessOf(g).isEmpty()) return;
        vd.removeAccess(g);
        // The view holds g (we applied it), so this write uses the view entry as is: no unshare, no hazard.
        hostAccess(d, g).ifPresent(h -> {
            if (viewHolds(d, v, g)) hv.altp2mSetMemAccess(d, v, g, h);
        });
        reapplySlot(d, g);
        maybeDisarm(d);
    }

    public void remap(DomainId d, ViewId v, Gfn from, Gfn to) { remap(d, v, from, to, defaultPolicy); }

    /**
     * Declares and applies {@code change_gfn(v, from, to)}: in view {@code v} the guest sees {@code to}'s frame at
     * {@code from}. A shared target is refused (or unshared first under {@link ConflictPolicy#UNSHARE}); a shared
     * source the view has not copied is handled like {@link #setViewAccess}.
     */
    public synchronized void remap(DomainId d, ViewId v, Gfn from, Gfn to, ConflictPolicy p) {
        ViewDecl vd = requireView(d, v);
        if (to.isInvalid()) { unmap(d, v, from); return; }
        syncSlot(d, from);
        syncSlot(d, to);
        if (sharedCount(d, to).isPresent()) {
            stats.crashesAvoided++;
            if (p != ConflictPolicy.UNSHARE) {
                stats.refused++;
                throw new RemapConflictException(Hazard.REMAP_TO_SHARED_TARGET, d, to, v,
                        "remap target " + d + ":" + to + " is shared (" + ledger.frameOf(new Slot(d, to)) + ")",
                        "unshare the target first (policy UNSHARE or unshare(" + d + ", " + to + ")), or remap "
                                + "onto a private gfn");
            }
            unshare(d, to);
        }
        keepPrivateOn419(d, v, from, p, "xc_altp2m_change_gfn");
        requireEvents(d, from);
        prepareViewLookup(d, v, to, p, "xc_altp2m_change_gfn");
        prepareViewLookup(d, v, from, p, "xc_altp2m_change_gfn");
        vd.putRemap(from, to);
        ensureArmed(d);
        try {
            hv.altp2mChangeGfn(d, v, from, to);
        } catch (XenException e) {
            vd.removeRemap(from);
            maybeDisarm(d);
            throw e;
        }
        // change_gfn copied the target's access into the view; a declared access of `from` wins again.
        vd.accessOf(from).ifPresent(a -> hv.altp2mSetMemAccess(d, v, from, a));
    }

    /** Removes the remap of {@code from} in {@code v} (change_gfn to ~0: the next access re-copies the host). */
    public synchronized void unmap(DomainId d, ViewId v, Gfn from) {
        ViewDecl vd = requireView(d, v);
        hv.altp2mChangeGfn(d, v, from, Gfn.INVALID);
        vd.removeRemap(from);
        reapplySlot(d, from);
        maybeDisarm(d);
    }

    // =========================================================================================================
    // sharing
    // =========================================================================================================

    public SharingHandle nominate(DomainId d, Gfn g) { return nominate(d, g, defaultPolicy); }

    /**
     * Nominates {@code g} for sharing. Views that hold it differently make raw Xen answer EINVAL; with KEEP_BOTH
     * xenffm aligns them for the duration of the call and restores them on the shared entry, otherwise it throws
     * {@link NominateConflictException} naming the views. A gfn used as a remap target is always refused.
     */
    public synchronized SharingHandle nominate(DomainId d, Gfn g, ConflictPolicy p) {
        Slot s = new Slot(d, g);
        refuseSharingDeclaredOn419(d, g);
        if (sharedCount(d, g).isPresent()) {             // nominate_page step 2: no checks, existing handle
            SharingHandle h = hv.memshrNominateGfn(d, g);
            ledger.nominated(s, h);
            return h;
        }
        List<ViewDecl> targets = ledger.viewsRemappingTo(d, g);
        if (!targets.isEmpty()) {
            stats.refused++;
            throw new RemapConflictException(Hazard.NOMINATE_REMAP_TARGET, d, g, targets.getFirst().view(),
                    d + ":" + g + " is the remap target of " + describeRemapsTo(targets, g),
                    "unmap those gfns first (unmap(d, view, gfn)) or share a gfn no view remaps onto");
        }
        Map<ViewId, Conflict> conflicts = nominateConflicts(d, g);
        if (!conflicts.isEmpty() && p != ConflictPolicy.KEEP_BOTH) {
            stats.refused++;
            throw nominateConflict(d, g, conflicts);
        }
        boolean paused = false;
        if (!conflicts.isEmpty() || !ledger.viewsDeclaring(d, g).isEmpty()) {
            requireEvents(d, g, true);
            hv.domainPause(d);
            paused = true;
        }
        try {
            alignViews(d, g, conflicts);
            SharingHandle h;
            try {
                h = hv.memshrNominateGfn(d, g);
            } catch (XenException e) {
                if (e.errno() == Errno.EINVAL && hostAccess(d, g).isPresent() && altp2mActive(d))
                    throw nominateConflict(d, g, Map.of());   // a view xenffm does not know holds it differently
                throw e;
            }
            ledger.nominated(s, h);
            ensureArmed(d);
            return h;
        } finally {
            restoreViews(d, g, conflicts);
            if (paused) hv.domainUnpause(d);
        }
    }

    /** ≥ 4.19: a gfn a view declares may not become shared ({@link Hazard#SHARED_AND_DECLARED_ON_4_19}). */
    private void refuseSharingDeclaredOn419(DomainId d, Gfn g) {
        List<ViewDecl> decl = ledger.viewsDeclaring(d, g);
        if (!hv.version().altp2mAtCreation() || decl.isEmpty()) return;
        stats.refused++;
        throw new ReleaseLimitException(Hazard.SHARED_AND_DECLARED_ON_4_19, hv.version(), d, g,
                decl.getFirst().view(), "sharing " + d + ":" + g + ", which "
                        + decl.stream().map(vd -> vd.view().toString()).toList() + " declare(s): "
                        + SHARED_DECLARED_WHY,
                "clear the view declarations of this gfn first (clearViewAccess / unmap), or keep it private");
    }

    /** Result of {@link #share}: the surviving handle and the slots whose views xenffm re-applied. */
    public record ShareResult(SharingHandle handle, Set<Slot> frame, int slotsReapplied) {}

    public ShareResult share(DomainId src, Gfn sg, DomainId client, Gfn cg) {
        return share(src, sg, client, cg, defaultPolicy, true);
    }

    /**
     * Deduplicates {@code client:cg} onto {@code src:sg}: both domains paused, contents compared (when
     * {@code verifyContent}; Xen's share does not look at contents), both nominated under the policy, shared, and
     * the declared views of every slot the merge rewrote re-applied before the domains run again.
     */
    public synchronized ShareResult share(DomainId src, Gfn sg, DomainId client, Gfn cg, ConflictPolicy p,
                                          boolean verifyContent) {
        refuseSharingDeclaredOn419(src, sg);                 // both before either is nominated
        refuseSharingDeclaredOn419(client, cg);
        hv.domainPause(src);
        if (!client.equals(src)) hv.domainPause(client);
        try {
            if (verifyContent && !sameContent(src, sg, client, cg))
                throw new IllegalArgumentException(src + ":" + sg + " and " + client + ":" + cg
                        + " differ; sharing them would change what one guest reads");
            SharingHandle hs = nominate(src, sg, p);
            SharingHandle hc = nominate(client, cg, p);
            Set<Slot> rewritten = hs.equals(hc) ? Set.of() : ledger.slotsOf(hc);
            requireEventsIfDeclared(rewritten);
            hv.memshrShareGfns(src, sg, hs, client, cg, hc);
            ledger.merged(hs, hc);
            int n = 0;
            for (Slot s : rewritten) n += reapplySlot(s.domain(), s.gfn()) ? 1 : 0;
            for (Slot s : ledger.slotsOf(hs)) ensureArmed(s.domain());
            return new ShareResult(hs, ledger.slotsOf(hs), n);
        } finally {
            if (!client.equals(src)) hv.domainUnpause(client);
            hv.domainUnpause(src);
        }
    }

    /** Per-gfn outcome of {@link #shareRange}. */
    public record RangeEntry(Gfn gfn, Optional<SharingHandle> handle, Optional<RuntimeException> refused) {}

    /**
     * xc_memshr_range_share done gfn by gfn through {@link #share}: raw range_share loses the errors of middle
     * gfns and leaves half-nominated pages (§3.6) and rewrites view entries unseen. Here every gfn gets its own
     * outcome: shared (handle), or the SafetyException / XenException / content mismatch that kept it private.
     */
    public List<RangeEntry> shareRange(DomainId src, DomainId client, Gfn first, Gfn last, ConflictPolicy p) {
        List<RangeEntry> out = new ArrayList<>();
        for (long g = first.value(); Long.compareUnsigned(g, last.value()) <= 0; g++) {
            Gfn gfn = Gfn.of(g);
            try {
                out.add(new RangeEntry(gfn, Optional.of(share(src, gfn, client, gfn, p, true).handle()),
                        Optional.empty()));
            } catch (SafetyException | XenException | IllegalArgumentException e) {
                if (e instanceof org.xenffm.api.HypervisorCrashedException) throw e;
                out.add(new RangeEntry(gfn, Optional.empty(), Optional.of(e)));
            }
        }
        return out;
    }

    /**
     * Unshares {@code d:g} the only way dom0 can (there is no unshare hypercall, §3.7): a write through a writable
     * foreign mapping, with the domain paused so the byte written back cannot race the guest; then re-applies the
     * declared views. Returns false if the gfn was not shared.
     */
    public synchronized boolean unshare(DomainId d, Gfn g) {
        if (sharedCount(d, g).isEmpty()) {
            ledger.removeSlot(new Slot(d, g));
            return false;
        }
        unshareNow(d, g);
        maybeDisarm(d);
        return true;
    }

    /**
     * Foreign-write unshare with the domain paused, then the slot's declarations re-applied before it runs: the
     * unshare pushed (new frame, ram_rw, default access) into every view holding g (§3.7, §4.8).
     */
    private void unshareNow(DomainId d, Gfn g) {
        hv.domainPause(d);
        try {
            foreignRewrite(d, g);
            ledger.removeSlot(new Slot(d, g));
            stats.safeUnshares++;
            reapplySlot(d, g);
        } finally {
            hv.domainUnpause(d);
        }
    }

    // =========================================================================================================
    // domains and forks
    // =========================================================================================================

    /**
     * Forks {@code parent} into {@code child} (created here when null, HVM+HAP with the parent's vCPU count) and,
     * when {@code inheritViews}, re-creates the parent's declared views in the child with the same indices: Xen
     * copies no view, access or monitor setting into a fork (§3.10 step 6).
     */
    public synchronized DomainId fork(DomainId parent, DomainId child, boolean inheritViews) {
        boolean atCreation = hv.version().altp2mAtCreation();
        if (atCreation) {
            long mode = hv.hvmParamGet(parent, HvmParam.ALTP2M);
            if (mode != HvmParam.ALTP2M_DISABLED) {
                stats.refused++;
                throw new ReleaseLimitException(Hazard.FORK_OF_ALTP2M_PARENT, hv.version(), parent, null, null,
                        "forking " + parent + ", which has altp2m mode " + Altp2mSetup.name(mode) + ": Xen copies "
                                + "HVM_PARAM_ALTP2M into the child, where it is read-only, and answers EEXIST",
                        "fork a parent created without altp2m; its children get altp2m mode external here "
                                + "(DomainConfig.withAltp2mMode) and take views through createView");
            }
        }
        if (child == null) {
            DomainConfig c = DomainConfig.forkChild(hv.domainGetinfo(parent).vcpus());
            child = hv.domainCreate(atCreation ? c.withAltp2mMode(HvmParam.ALTP2M_EXTERNAL) : c);
        }
        hv.memshrFork(parent, child, false, false);
        Book cb = ledger.book(child);
        cb.forkParent = parent;
        ledger.book(parent).hadForks = true;
        if (inheritViews) {
            ledger.findBook(parent).ifPresent(pb -> pb.views.forEach((id, vd) -> cb.views.put(id, vd.copyAs(id))));
            if (cb.views.values().stream().anyMatch(vd -> !vd.access().isEmpty())) watchIfPossible(child);
            recreateViews(child);
        }
        return child;
    }

    /**
     * fork_reset with the child paused, then re-populates and re-applies every declared view entry (a dropped page
     * inside a remap range resets the whole view, §4.8) before the child runs again.
     */
    public synchronized void forkReset(DomainId child, boolean resetState, boolean resetMemory) {
        hv.domainPause(child);
        try {
            hv.memshrForkReset(child, resetState, resetMemory);
            Book b = ledger.book(child);
            if (!b.views.isEmpty()) {
                if (!hv.altp2mGetDomainState(child)) recreateViews(child);
                else reapplyAll(child);
            }
        } finally {
            hv.domainUnpause(child);
        }
    }

    /** Destroys a domain and forgets it; survivors' frames keep their other slots (relinquish_shared_pages). */
    public void destroyDomain(DomainId d) {
        closeSource(d, false); // while the domain (and its ring page) still exists
        synchronized (this) {
            hv.domainDestroy(d);
            forgetDestroyed(d);
        }
    }

    /**
     * The toolstack destroyed {@code d} ({@code xl destroy}: libxl tears down xenstore and devices too, so a guest
     * xl created is destroyed through xl, not {@link #destroyDomain}): closes its event source, forgets it and
     * re-syncs a fork parent. Xen already dropped its slots from every shared frame (relinquish_shared_pages).
     * Call it after the domain is gone; a monitor ring of a dead domain is torn down without hypercalls failing
     * the call.
     */
    public void domainDestroyed(DomainId d) {
        closeSource(d, true);
        synchronized (this) {
            forgetDestroyed(d);
        }
    }

    /** Tears down d's monitor outside the lock: closing joins the consumer thread, which may be waiting for this lock
     *  in onFault. Once the domain is gone its ring went with it, and the teardown's failing hypercalls are moot. */
    private void closeSource(DomainId d, boolean domainGone) {
        FaultSource src;
        synchronized (this) {
            src = sources.remove(d);
        }
        if (src == null) return;
        try {
            src.close();
        } catch (XenException e) {
            if (!domainGone) throw e;
        }
    }

    private void forgetDestroyed(DomainId d) {
        Optional<DomainId> parent = ledger.forkParent(d);
        ledger.forgetDomain(d);
        parent.ifPresent(this::resync);
    }

    /**
     * Brings the ledger's sharing state of every declared gfn of {@code d} back in line with Xen and re-applies
     * those gfns. Needed after a fork lived: a child reading a gfn nominates the parent's page behind dom0's back
     * (mem_sharing_fork_page, §3.10), and that host write pushed the default access into the parent's views.
     */
    public synchronized int resync(DomainId d) {
        int n = 0;
        for (Gfn g : ledger.declaredGfns(d)) {
            boolean before = ledger.isShared(new Slot(d, g));
            syncSlot(d, g);
            if (before != ledger.isShared(new Slot(d, g))) n++;
        }
        n += reapplyAll(d);
        ensureArmed(d);
        maybeDisarm(d);
        return n;
    }

    /**
     * Re-applies every declared entry of the domain (host access of private declared gfns, then remaps, then
     * accesses), populating fork holes first. Returns the number of gfns touched.
     */
    public synchronized int reapplyAll(DomainId d) {
        int n = 0;
        for (Gfn g : ledger.declaredGfns(d)) n += reapplySlot(d, g) ? 1 : 0;
        return n;
    }

    // =========================================================================================================
    // events
    // =========================================================================================================

    /**
     * The view keeper's MEM_ACCESS handler (vCPU paused). If the faulting gfn was unshared since the ledger last
     * saw it, or still carries the armed write-less default, the host access and every view's declared entries
     * are restored first. The verdict is RESUME when the access is allowed by the vCPU's (now correct) view, so
     * the retried access goes through, and FORWARD when it violates what the caller declared — that request is
     * the caller's. Either way no request is dropped: a RESUMEd write that still violates faults again.
     */
    public synchronized FaultVerdict onFault(AccessFault f) {
        stats.faults++;
        DomainId d = f.domain();
        Gfn g = f.gfn();
        Optional<Book> ob = ledger.findBook(d);
        if (ob.isEmpty()) { stats.faultsForwarded++; return FaultVerdict.FORWARD; }
        Book b = ob.get();
        Slot s = new Slot(d, g);
        boolean fix = false;
        boolean shared = sharedCount(d, g).isPresent();
        if (ledger.isShared(s) && !shared) {
            ledger.removeSlot(s);
            stats.unsharesCaught++;
            fix = true;
        }
        Optional<MemAccess> host = hostAccess(d, g);
        if (!shared && b.armed() && host.isPresent() && host.get() != b.normalAccess) fix = true;
        if (fix) reapplySlot(d, g);
        MemAccess now = currentAccess(d, f.view().orElse(ViewId.HOST), g);
        maybeDisarm(d);
        if (now != null && !now.violatedBy(f.read(), f.write(), f.exec())) {
            stats.faultsResumed++;
            return FaultVerdict.RESUME;
        }
        stats.faultsForwarded++;
        return FaultVerdict.FORWARD;
    }

    // =========================================================================================================
    // cross-check
    // =========================================================================================================

    /** One difference between the ledger and what Xen reports. */
    public record Discrepancy(Kind kind, DomainId domain, Gfn gfn, ViewId view, String expected, String actual) {
        public enum Kind {
            UNSHARED_BEHIND_LEDGER, SHARED_BEHIND_LEDGER, SHARE_COUNT_BELOW_LEDGER, HANDLE_MISMATCH,
            SHR_PAGES_MISMATCH, VIEW_MISSING,
            VIEW_ENTRY_MISSING, VIEW_ACCESS_MISMATCH, ALTP2M_INACTIVE, DEFAULT_NOT_ARMED
        }
    }

    /**
     * Compares the ledger with Xen: memshr_debug_gfn and the handle re-nominate returns for every shared slot
     * (nominate of a shared gfn has no side effect, §3.3 step 2), shr_pages, each declared view and access via
     * altp2m get_mem_access, and the armed default. Changes nothing, with one race: a guest write unsharing a gfn
     * between its debug_gfn and its handle check makes that check nominate it again (pause the domain for a strict
     * audit). Remaps cannot be read back from dom0 (no call returns a view's mfn); they are re-applied, not audited.
     */
    public synchronized List<Discrepancy> audit(DomainId d) {
        List<Discrepancy> out = new ArrayList<>();
        List<Gfn> shared = ledger.sharedGfns(d);
        for (Gfn g : shared) {
            Slot s = new Slot(d, g);
            OptionalInt n = sharedCount(d, g);
            if (n.isEmpty()) {
                out.add(new Discrepancy(Discrepancy.Kind.UNSHARED_BEHIND_LEDGER, d, g, null, "shared", "private"));
                continue;
            }
            int known = ledger.frameOf(s).size();
            if (n.getAsInt() < known)
                out.add(new Discrepancy(Discrepancy.Kind.SHARE_COUNT_BELOW_LEDGER, d, g, null,
                        ">= " + known, String.valueOf(n.getAsInt())));
            SharingHandle h = hv.memshrNominateGfn(d, g);
            if (!h.equals(ledger.handle(s).orElse(null)))
                out.add(new Discrepancy(Discrepancy.Kind.HANDLE_MISMATCH, d, g, null,
                        String.valueOf(ledger.handle(s).orElse(null)), h.toString()));
        }
        for (Gfn g : ledger.declaredGfns(d))       // e.g. nominated by a fork child's read (§3.10): not armed for it
            if (!ledger.isShared(new Slot(d, g)) && sharedCount(d, g).isPresent())
                out.add(new Discrepancy(Discrepancy.Kind.SHARED_BEHIND_LEDGER, d, g, null, "private", "shared"));
        boolean fork = ledger.forkParent(d).isPresent() || ledger.findBook(d).map(x -> x.hadForks).orElse(false);
        long shr = hv.domainGetinfo(d).shrPages();
        if (!fork ? shr != shared.size() : shr < shared.size())
            out.add(new Discrepancy(Discrepancy.Kind.SHR_PAGES_MISMATCH, d, null, null,
                    (fork ? ">= " : "") + shared.size(), String.valueOf(shr)));
        Book b = ledger.findBook(d).orElse(null);
        if (b == null || b.views.isEmpty()) return out;
        if (!hv.altp2mGetDomainState(d)) {
            out.add(new Discrepancy(Discrepancy.Kind.ALTP2M_INACTIVE, d, null, null, "active", "inactive"));
            return out;
        }
        for (ViewDecl vd : b.views.values()) {
            try {
                hv.altp2mGetMemAccess(d, vd.view(), Gfn.INVALID);
            } catch (XenException e) {
                out.add(new Discrepancy(Discrepancy.Kind.VIEW_MISSING, d, null, vd.view(), "active", e.errno().name()));
                continue;
            }
            for (var e : vd.access().entrySet()) {
                MemAccess actual = viewAccess(d, vd.view(), e.getKey());
                if (actual == null)
                    out.add(new Discrepancy(Discrepancy.Kind.VIEW_ENTRY_MISSING, d, e.getKey(), vd.view(),
                            e.getValue().label(), "ESRCH"));
                else if (actual != e.getValue())
                    out.add(new Discrepancy(Discrepancy.Kind.VIEW_ACCESS_MISMATCH, d, e.getKey(), vd.view(),
                            e.getValue().label(), actual.label()));
            }
        }
        if (ledger.needsWriteEvents(d)) {
            MemAccess def = b.armed() ? hv.getMemAccess(d, Gfn.INVALID) : MemAccess.RWX;
            if (def.allowsWrite())
                out.add(new Discrepancy(Discrepancy.Kind.DEFAULT_NOT_ARMED, d, null, null,
                        ARMED_DEFAULT.label(), def.label()));
        }
        return out;
    }

    /**
     * The part of {@link #audit} the keeper guarantees at all times: the sharing state of every gfn a view declares,
     * every declared view and access, and the armed default. Stale sharing state of undeclared gfns (unshared by a
     * guest write nobody needed to catch), also when it shows as a partner missing from a declared gfn's frame, is
     * left to {@link #reconcile}: xenffm verifies partners with Xen before using them.
     */
    public synchronized List<Discrepancy> auditDeclared(DomainId d) {
        Set<Gfn> declared = ledger.declaredGfns(d);
        return audit(d).stream()
                .filter(x -> x.kind() != Discrepancy.Kind.SHR_PAGES_MISMATCH
                        && x.kind() != Discrepancy.Kind.SHARE_COUNT_BELOW_LEDGER)
                .filter(x -> x.gfn() == null || x.view() != null || declared.contains(x.gfn()))
                .toList();
    }

    /** Repairs what {@link #audit} finds: drops unshared slots from the ledger and re-applies all declarations. */
    public synchronized int reconcile(DomainId d) {
        int fixes = 0;
        for (Gfn g : ledger.sharedGfns(d)) {
            Slot s = new Slot(d, g);
            if (sharedCount(d, g).isEmpty()) {
                ledger.removeSlot(s);
                fixes++;
                continue;
            }
            SharingHandle h = hv.memshrNominateGfn(d, g);       // shared: its current handle, no side effect
            if (!h.equals(ledger.handle(s).orElse(null))) {     // merged elsewhere by a share behind our back
                ledger.nominated(s, h);
                fixes++;
            }
        }
        Book b = ledger.findBook(d).orElse(null);
        if (b != null && !b.views.isEmpty() && !hv.altp2mGetDomainState(d)) recreateViews(d);
        return fixes + resync(d);
    }

    /** Restores the default access of armed domains and closes the event sources (outside the lock, see above). */
    @Override public void close() {
        List<FaultSource> toClose = new ArrayList<>();
        synchronized (this) {
            for (DomainId d : List.copyOf(sources.keySet())) {
                Book b = ledger.findBook(d).orElse(null);
                try {
                    if (b != null && b.armed()) disarm(d, b);
                } catch (XenException ignored) {
                    // the domain may be gone; nothing left to restore
                }
                toClose.add(sources.remove(d));
            }
        }
        toClose.forEach(FaultSource::close);
    }

    // =========================================================================================================
    // internals: the ordering rules
    // =========================================================================================================

    /** Why a view blocks nominate: a different access, a remap, or an undeclared differing entry found by probing. */
    private record Conflict(ViewId view, Optional<MemAccess> declaredAccess, Optional<Gfn> remap,
                            MemAccess probed) {}

    /**
     * Views that make nominate_page step 5 fail: any known view whose entry for g exists and differs from the host
     * (declared remap, declared access ≠ host access, or an undeclared entry whose probed access differs).
     */
    private Map<ViewId, Conflict> nominateConflicts(DomainId d, Gfn g) {
        Map<ViewId, Conflict> out = new LinkedHashMap<>();
        Book b = ledger.findBook(d).orElse(null);
        if (b == null || b.views.isEmpty() || !altp2mActive(d)) return out;
        Optional<MemAccess> host = hostAccess(d, g);
        if (host.isEmpty()) return out;                           // a hole: nominate fails with EINVAL anyway
        for (ViewDecl vd : b.views.values()) {
            MemAccess probed = viewAccess(d, vd.view(), g);
            if (probed == null) continue;                         // the view never touched g: no conflict
            if (vd.remapOf(g).isPresent() || probed != host.get())
                out.put(vd.view(), new Conflict(vd.view(), vd.accessOf(g), vd.remapOf(g), probed));
        }
        return out;
    }

    private NominateConflictException nominateConflict(DomainId d, Gfn g, Map<ViewId, Conflict> cs) {
        StringBuilder sb = new StringBuilder("nominate(" + d + ", " + g + ") would fail with EINVAL: ");
        if (cs.isEmpty()) sb.append("a view not created through xenffm holds it with another frame or access");
        for (Conflict c : cs.values()) {
            sb.append(c.view()).append(c.remap().map(r -> " remaps it to " + r)
                    .orElse(" holds it with access " + c.probed().label())).append("; ");
        }
        Hazard hz = cs.values().stream().anyMatch(c -> c.remap().isPresent())
                ? Hazard.NOMINATE_VIEW_REMAPPED : Hazard.NOMINATE_VIEW_ACCESS_DIFFERS;
        return new NominateConflictException(hz, d, g, List.copyOf(cs.keySet()), sb.toString(),
                "share with policy KEEP_BOTH (xenffm aligns the views for the call and restores them on the shared "
                        + "entry), or clear the view's declaration for this gfn first");
    }

    /** Makes every conflicting view hold an entry identical to the host (view lacks it afterwards at worst). */
    private void alignViews(DomainId d, Gfn g, Map<ViewId, Conflict> cs) {
        if (cs.isEmpty()) return;
        MemAccess host = hostAccess(d, g).orElseThrow();
        for (Conflict c : cs.values()) {
            if (c.remap().isPresent()) hv.altp2mChangeGfn(d, c.view(), g, Gfn.INVALID);
            // g is still private here, so the effective-entry lookup copies the host entry: identical, safe.
            hv.altp2mSetMemAccess(d, c.view(), g, host);
        }
    }

    /**
     * After nominate (or its failure): views hold g, so restoring uses their entries as is. Runs even without
     * conflicts: a successful nominate rewrote the host entry with the default access, which propagated into every
     * view holding g (§3.3 step 8, §4.8).
     */
    private void restoreViews(DomainId d, Gfn g, Map<ViewId, Conflict> cs) {
        for (Conflict c : cs.values()) {
            ViewDecl vd = ledger.view(d, c.view()).orElse(null);
            if (vd != null && vd.declares(g)) continue;          // reapplySlot restores declared ones
            if (viewHolds(d, c.view(), g)) hv.altp2mSetMemAccess(d, c.view(), g, c.probed());
        }
        reapplySlot(d, g);
    }

    /**
     * Makes {@code xc_altp2m_set_mem_access(v, g)} / {@code change_gfn} safe for gfn {@code g} in view {@code v}:
     * the call resolves g's effective entry, and when the view lacks it Xen looks the host up with P2M_UNSHARE
     * (panics if shared) and P2M_ALLOC (populates a fork hole from the parent under the altp2m lock).
     */
    private void prepareViewLookup(DomainId d, ViewId v, Gfn g, ConflictPolicy p, String op) {
        if (viewHolds(d, v, g)) return;                          // altp2m_get_effective_entry uses it as is
        Optional<MemAccess> host = hostAccess(d, g);
        if (host.isEmpty()) {
            if (ledger.forkParent(d).isPresent()) {              // VIEW_CHANGE_ON_FORK_HOLE
                stats.crashesAvoided++;
                foreignRewrite(d, g);                            // populates a private copy, no altp2m lock held
                return;
            }
            // Raw Xen would skip the gfn silently (set_mem_access swallows ESRCH) or fail: say so.
            throw new XenException(op, d, g, v, Errno.ESRCH.value(), "no RAM at that gfn in the host p2m");
        }
        if (sharedCount(d, g).isEmpty()) return;
        stats.crashesAvoided++;                                  // raw: lock-order panic (scenarios 12, 16)
        switch (p) {
            case REFUSE -> {
                stats.refused++;
                throw new CrashHazardException(Hazard.VIEW_CHANGE_ON_UNCOPIED_SHARED_GFN, d, g, v,
                        op + " on " + d + ":" + g + " in " + v + ": the gfn is shared ("
                                + ledger.frameOf(new Slot(d, g)) + ") and the view has not copied it",
                        "policy KEEP_BOTH (re-share around the view), UNSHARE (give up sharing this gfn), or let a "
                                + "vCPU in " + v + " touch the gfn first");
            }
            case UNSHARE -> unshareNow(d, g);
            case KEEP_BOTH -> reshareAround(d, v, g);
        }
    }

    /**
     * KEEP_BOTH for a view lacking a shared gfn: unshare it (foreign write), let the view copy the now-private host
     * entry with the host's own access (identical, so nominate accepts it), nominate again and merge it back into
     * its old frame. Afterwards the view holds the shared entry and view calls use it as is. Counters net to zero.
     */
    private void reshareAround(DomainId d, ViewId v, Gfn g) {
        Slot s = new Slot(d, g);
        Slot partner = null;
        SharingHandle ph = null;
        boolean wasNominated = ledger.isShared(s);
        List<Slot> candidates = new ArrayList<>(ledger.frameOf(s));
        ledger.forkParent(d).ifPresent(par -> candidates.add(new Slot(par, g)));   // fork read-population
        for (Slot o : candidates) {
            if (o.equals(s) || sharedCount(o.domain(), o.gfn()).isEmpty()) continue;
            partner = o;
            ph = hv.memshrNominateGfn(o.domain(), o.gfn());      // shared: returns its handle, no side effect
            break;
        }
        hv.domainPause(d);
        try {
            foreignRewrite(d, g);                                // contents stay identical: copy of the frame
            ledger.removeSlot(s);
            hv.altp2mSetMemAccess(d, v, g, hostAccess(d, g).orElseThrow());
            if (partner == null && !wasNominated) {              // shared with no one we can name: stay private
                stats.safeUnshares++;
                return;
            }
            SharingHandle h = hv.memshrNominateGfn(d, g);
            ledger.nominated(s, h);
            if (partner != null) {
                hv.memshrShareGfns(partner.domain(), partner.gfn(), ph, d, g, h);
                ledger.nominated(partner, ph);
                ledger.merged(ph, h);
            }
            stats.reshares++;
            // The unshare and the share both rewrote the host entry, which propagated the default access into
            // every other view holding g: put their declarations back while the domain is still paused.
            reapplySlot(d, g);
        } finally {
            hv.domainUnpause(d);
        }
    }

    /**
     * Restores what Xen may have overwritten at one slot: the host access of a private gfn (the normal access
     * while armed), then each declaring view's remap and access. Host first: a host write propagates into the
     * views (§4.8). Returns whether anything was declared there.
     */
    private boolean reapplySlot(DomainId d, Gfn g) {
        Book b = ledger.findBook(d).orElse(null);
        if (b == null) return false;
        List<ViewDecl> decl = ledger.viewsDeclaring(d, g);
        boolean target = !ledger.viewsRemappingTo(d, g).isEmpty();
        if (decl.isEmpty() && !target && !b.armed()) return false;
        Optional<MemAccess> host = hostAccess(d, g);
        if (host.isEmpty() && (!decl.isEmpty() || target) && ledger.forkParent(d).isPresent()) {
            foreignRewrite(d, g);                                // fork hole: populate privately (never under altp2m)
            host = hostAccess(d, g);
        }
        if (host.isEmpty()) return false;
        boolean shared = sharedCount(d, g).isPresent();
        if (shared && target) {
            // A remap target became shared behind our back (a fork child read it: mem_sharing_fork_page nominates
            // the parent page). The remapped view entries would map it writable outside copy-on-write: make it
            // private again and point the remaps at its (possibly new) frame.
            unshareNow(d, g);
            for (ViewDecl vd : ledger.viewsRemappingTo(d, g))
                for (var e : vd.remaps().entrySet()) if (e.getValue().equals(g)) reapplySlot(d, e.getKey());
            return true;
        }
        if (shared && !decl.isEmpty() && hv.version().altp2mAtCreation()) {
            // ≥ 4.19 a declared gfn shared behind our back (a raw nominate/share) cannot be kept shared
            // (SHARED_AND_DECLARED_ON_4_19): the declaration wins, as under UNSHARE; unshareNow re-applies it.
            unshareNow(d, g);
            return true;
        }
        if (!shared && b.armed() && host.get() != b.normalAccess) {
            if (altp2mActive(d)) hv.altp2mSetMemAccess(d, ViewId.HOST, g, b.normalAccess);
            else hv.setMemAccess(d, b.normalAccess, g, 1);
        }
        for (ViewDecl vd : decl) {
            ViewId v = vd.view();
            Optional<Gfn> to = vd.remapOf(g);
            if (to.isPresent()) {
                prepareViewLookup(d, v, to.get(), ConflictPolicy.UNSHARE, "xc_altp2m_change_gfn");
                prepareViewLookup(d, v, g, defaultPolicyForReapply(), "xc_altp2m_change_gfn");
                hv.altp2mChangeGfn(d, v, g, to.get());
            }
            Optional<MemAccess> a = vd.accessOf(g);
            if (a.isPresent()) {
                prepareViewLookup(d, v, g, defaultPolicyForReapply(), "xc_altp2m_set_mem_access");
                hv.altp2mSetMemAccess(d, v, g, a.get());
            }
        }
        stats.slotsReapplied++;
        return !decl.isEmpty();
    }

    /**
     * Automatic re-application never refuses: it keeps the view, and keeps sharing unless told otherwise (or, on
     * ≥ 4.19, where both cannot be kept).
     */
    private ConflictPolicy defaultPolicyForReapply() {
        if (hv.version().altp2mAtCreation()) return ConflictPolicy.UNSHARE;   // ≥ 4.19: a view cannot keep a shared gfn
        return defaultPolicy == ConflictPolicy.REFUSE ? ConflictPolicy.KEEP_BOTH : defaultPolicy;
    }

    /** Creates the declared views of {@code d} with the same indices (fillers destroyed), then re-applies them. */
    private void recreateViews(DomainId d) {
        Book b = ledger.book(d);
        if (b.views.isEmpty()) return;
        ensureAltp2m(d);
        List<ViewId> fillers = new ArrayList<>();
        for (ViewDecl vd : b.views.values()) {
            while (true) {
                ViewId got = hv.altp2mCreateView(d, vd.defaultAccess());
                if (got.equals(vd.view())) break;
                if (got.compareTo(vd.view()) > 0)
                    throw new IllegalStateException("cannot recreate " + vd.view() + " in " + d + ": Xen gave " + got);
                fillers.add(got);
            }
            if (!vd.visible()) hv.altp2mSetVisibility(d, vd.view(), false);
            stats.viewsRecreated++;
        }
        for (ViewId f : fillers) hv.altp2mDestroyView(d, f);
        reapplyAll(d);
    }

    private void ensureAltp2m(DomainId d) {
        // With the mode disabled even get_domain_state is EINVAL (hvm.c:do_altp2m_op check 8). Keep the mode the
        // domain has (4.17 changes it only once; ≥ 4.19 it is fixed at creation), else a fork parent's, else
        // external; Altp2mSetup explains a ≥ 4.19 domain created without altp2m.
        long mode = hv.hvmParamGet(d, HvmParam.ALTP2M);
        if (mode != HvmParam.ALTP2M_DISABLED && hv.altp2mGetDomainState(d)) { ledger.book(d); return; }
        if (mode == HvmParam.ALTP2M_DISABLED)
            mode = ledger.forkParent(d).map(p -> hv.hvmParamGet(p, HvmParam.ALTP2M))
                    .filter(m -> m != HvmParam.ALTP2M_DISABLED).orElse(HvmParam.ALTP2M_EXTERNAL);
        Altp2mSetup.enable(hv, d, mode);
        ledger.book(d);
    }

    /** The short reason; the hazard's text in the exception message gives the mechanism. */
    static final String SHARED_DECLARED_WHY = "a view declaration on a shared gfn cannot be kept on this release, "
            + "because an unsharing write would reset the view without any event";

    /**
     * ≥ 4.19: a view may not declare a shared gfn ({@link Hazard#SHARED_AND_DECLARED_ON_4_19}). Under UNSHARE the
     * gfn is made private first; otherwise the declaration is refused before anything changes.
     */
    private void keepPrivateOn419(DomainId d, ViewId v, Gfn g, ConflictPolicy p, String op) {
        if (!hv.version().altp2mAtCreation() || sharedCount(d, g).isEmpty()) return;
        if (p == ConflictPolicy.UNSHARE) {
            if (!viewHolds(d, v, g)) stats.crashesAvoided++;
            unshareNow(d, g);
            return;
        }
        stats.refused++;
        throw new ReleaseLimitException(Hazard.SHARED_AND_DECLARED_ON_4_19, hv.version(), d, g, v,
                op + " on " + d + ":" + g + " in " + v + ", a shared gfn (" + ledger.frameOf(new Slot(d, g))
                        + "): " + SHARED_DECLARED_WHY,
                "policy UNSHARE (give up sharing this gfn, then apply), or declare only private gfns");
    }

    // ---- arming: the write-less default that turns unshares into events ------------------------------------

    private void requireEvents(DomainId d, Gfn g) { requireEvents(d, g, false); }

    private void requireEvents(DomainId d, Gfn g, boolean willBeShared) {
        if (faults == null && (willBeShared || sharedCount(d, g).isPresent()))
            throw new IllegalStateException("a view on shared " + d + ":" + g + " is only kept with vm_events: "
                    + "construct SharingAwareAltp2m with a FaultSource.Factory (MonitorSessionFaults)");
    }

    private void requireEventsIfDeclared(Set<Slot> slots) {
        if (faults != null) return;
        for (Slot s : slots)
            if (!ledger.viewsDeclaring(s.domain(), s.gfn()).isEmpty()) requireEvents(s.domain(), s.gfn());
    }

    private void ensureArmed(DomainId d) {
        Book b = ledger.findBook(d).orElse(null);
        if (b == null || b.armed() || !ledger.needsWriteEvents(d)) return;
        if (faults == null) throw new IllegalStateException("no FaultSource.Factory to arm " + d);
        watch(d);
        MemAccess saved = hv.getMemAccess(d, Gfn.INVALID);     // needs the monitor ring the source enabled
        hv.setMemAccess(d, ARMED_DEFAULT, Gfn.INVALID, 0);      // pfn ~0: the host default only (§5.2)
        b.savedDefault = saved;
        b.normalAccess = saved;
    }

    private void maybeDisarm(DomainId d) {
        Book b = ledger.findBook(d).orElse(null);
        if (b != null && b.armed() && !ledger.needsWriteEvents(d)) disarm(d, b);
    }

    private void disarm(DomainId d, Book b) {
        hv.setMemAccess(d, b.savedDefault, Gfn.INVALID, 0);
        b.savedDefault = null;
    }

    // ---- probes: calls that never change Xen state ----------------------------------------------------------

    /**
     * Makes the ledger's sharing state of one slot match Xen before xenffm relies on it: a guest write to an
     * undeclared gfn unshares it without any event (nobody needed one), and a fork child's read nominates a parent
     * gfn behind dom0's back (possibly one the ledger still holds under its old, dead handle). Re-nominating a
     * shared gfn only returns its handle (nominate_page step 2).
     */
    private void syncSlot(DomainId d, Gfn g) {
        Slot s = new Slot(d, g);
        boolean xen = sharedCount(d, g).isPresent();
        if (!xen) ledger.removeSlot(s);
        else ledger.nominated(s, hv.memshrNominateGfn(d, g));   // also catches a slot re-nominated since (new handle)
    }

    /** memshr_debug_gfn: the share count, or empty when the gfn is not shared (EINVAL) or sharing is absent. */
    private OptionalInt sharedCount(DomainId d, Gfn g) {
        try {
            return OptionalInt.of(hv.memshrDebugGfn(d, g));
        } catch (XenException e) {
            if (e.errno() == Errno.EINVAL || e.errno() == Errno.ENOSYS) return OptionalInt.empty();
            throw e;
        }
    }

    private boolean altp2mActive(DomainId d) {
        try {
            return hv.altp2mGetDomainState(d);
        } catch (XenException e) {
            return false;
        }
    }

    /** Host access of g (HVMOP get_mem_access on view 0, no ring needed); empty for a hole (ESRCH). */
    private Optional<MemAccess> hostAccess(DomainId d, Gfn g) {
        try {
            return Optional.of(altp2mActive(d) ? hv.altp2mGetMemAccess(d, ViewId.HOST, g) : hv.getMemAccess(d, g));
        } catch (XenException e) {
            if (e.errno() == Errno.ESRCH || e.errno() == Errno.ENODEV) return Optional.empty();
            throw e;
        }
    }

    /** The view's own entry access, or null if the view has not copied g (p2m_get_mem_access: ESRCH, no lookup). */
    private MemAccess viewAccess(DomainId d, ViewId v, Gfn g) {
        try {
            return hv.altp2mGetMemAccess(d, v, g);
        } catch (XenException e) {
            if (e.errno() == Errno.ESRCH) return null;
            throw e;
        }
    }

    private boolean viewHolds(DomainId d, ViewId v, Gfn g) { return viewAccess(d, v, g) != null; }

    /**
     * The access a vCPU in view v meets at g now: the view's entry, else what the lazy copy will take — the host
     * entry's on 4.17, the view's default on ≥ 4.19 (§4.5; view 0's default cannot be read, the host's stands in).
     */
    private MemAccess currentAccess(DomainId d, ViewId v, Gfn g) {
        MemAccess a = v.equals(ViewId.HOST) ? null : viewAccess(d, v, g);
        if (a != null) return a;
        Optional<MemAccess> host = hostAccess(d, g);
        if (host.isPresent() && !v.equals(ViewId.HOST) && hv.version().altp2mAtCreation())
            return hv.altp2mGetMemAccess(d, v, Gfn.INVALID);
        return host.orElse(null);
    }

    // ---- foreign memory -------------------------------------------------------------------------------------

    /**
     * Writes byte 0 of the gfn back through a writable foreign mapping: unshares a shared gfn and populates a fork
     * hole privately (the writable mapping takes the page with P2M_UNSHARE, mm.c:do_mmu_update), with no altp2m
     * lock held. The mapping is closed before returning (an open one would make nominate fail with E2BIG).
     */
    private void foreignRewrite(DomainId d, Gfn g) {
        ForeignMapping m;
        try {
            m = hv.foreignMemoryMap(d, true, List.of(g));
        } catch (XenException e) {
            if (e.errno() != Errno.EINVAL) throw e;
            throw new XenException(e.operation(), d, g, null, e.errnoValue(), "dom0 cannot unshare or populate "
                    + "this gfn through a foreign mapping: a PVH/HVM dom0 is refused shared pages "
                    + "(p2m_add_foreign), and a fork child can only map what its parent has. Use policy REFUSE, or "
                    + "let the guest touch the page");
        }
        try (m) {
            MemorySegment mem = m.memory();
            mem.set(ValueLayout.JAVA_BYTE, 0, mem.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    private boolean sameContent(DomainId a, Gfn ga, DomainId b, Gfn gb) {
        try (ForeignMapping ma = hv.foreignMemoryMap(a, false, List.of(ga));
             ForeignMapping mb = hv.foreignMemoryMap(b, false, List.of(gb))) {
            return ma.memory().mismatch(mb.memory()) == -1;
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private ViewDecl requireView(DomainId d, ViewId v) {
        if (v.equals(ViewId.HOST))
            throw new IllegalArgumentException("altp2m slot 0 takes no declarations: set_mem_access on view 0 "
                    + "writes the host p2m and dom0 cannot probe slot 0; create a view");
        return ledger.view(d, v).orElseThrow(() -> new IllegalArgumentException(
                v + " of " + d + " was not created through xenffm (createView)"));
    }

    private static String describeRemapsTo(List<ViewDecl> views, Gfn target) {
        List<String> parts = new ArrayList<>();
        for (ViewDecl vd : views) {
            TreeSet<Gfn> from = new TreeSet<>();
            vd.remaps().forEach((f, t) -> { if (t.equals(target)) from.add(f); });
            parts.add(vd.view() + " (" + from + ")");
        }
        return String.join(", ", parts) + ": sharing it would leave those view entries writable outside "
                + "copy-on-write";
    }
}
