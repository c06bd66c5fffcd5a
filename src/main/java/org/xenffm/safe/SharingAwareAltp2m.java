// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;

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
 *
 * <p>This class is the façade: it owns the lock and the ledger and delegates each concern to a package-private file
 * named after it (docs/safe-layer.md, "Where each concern lives"): {@link Views}, {@link Sharing} (nominate reads
 * top-down there), {@link Forks}, {@link FaultHandler}, {@link Audit}; below them the ordering rules
 * {@link Reapply} and {@link ReleaseLimits}, {@link Arming}, {@link Probes} and {@link ForeignPages}.
 */
public final class SharingAwareAltp2m implements AutoCloseable {
    private final Hypervisor hv;
    private final ConflictPolicy defaultPolicy;
    private final Ledger ledger;
    private final Stats stats = new Stats();
    private final Arming arming;
    private final Reapply reapply;
    private final Views views;
    private final Sharing sharing;
    private final Forks forks;
    private final FaultHandler faultHandler;
    private final Audit audit;

    /** Counters of what the keeper did; for tests, the CLI's status output and logs. */
    public static final class Stats {
        /** A snapshot is built by {@link #stats()}. */
        public Stats() {}

        /**
         * MEM_ACCESS faults handled, resumed, forwarded to the caller; unshares caught on a fault; view slots
         * re-applied; re-shares around a view change; calls refused by policy.
         */
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
     * A keeper with an empty ledger.
     *
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
     *
     * @param hv            the hypervisor
     * @param faults        opens MEM_ACCESS delivery per domain, as in the other constructor
     * @param defaultPolicy the policy of the overloads without one
     * @param adopted       the ledger to adopt
     * @throws org.xenffm.api.XenException a reconcile call Xen refused (other than ESRCH for a vanished domain)
     */
    public SharingAwareAltp2m(Hypervisor hv, FaultSource.Factory faults, ConflictPolicy defaultPolicy,
                              Ledger adopted) {
        this.hv = hv;
        this.defaultPolicy = defaultPolicy;
        this.ledger = adopted;
        Probes probes = new Probes(hv);
        ForeignPages pages = new ForeignPages(hv);
        this.arming = new Arming(hv, ledger, probes, faults, this::onFault);
        this.reapply = new Reapply(hv, ledger, stats, probes, pages, arming, defaultPolicy);
        ReleaseLimits limits = new ReleaseLimits(hv, ledger, stats, probes, reapply);
        this.forks = new Forks(hv, ledger, stats, arming, reapply, limits);
        this.sharing = new Sharing(hv, ledger, stats, probes, pages, arming, reapply, limits);
        this.views = new Views(hv, ledger, stats, probes, arming, reapply, limits, forks, sharing);
        this.faultHandler = new FaultHandler(ledger, stats, probes, arming, reapply);
        this.audit = new Audit(hv, ledger, probes, reapply, forks);
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

    /**
     * A keeper whose overloads without a policy use {@link ConflictPolicy#REFUSE}.
     *
     * @param hv     the hypervisor
     * @param faults opens MEM_ACCESS delivery per domain, or null
     */
    public SharingAwareAltp2m(Hypervisor hv, FaultSource.Factory faults) {
        this(hv, faults, ConflictPolicy.KEEP_BOTH);
    }

    /**
     * The ledger. It is mutated by the monitor threads too: read it while no guest access is in flight, or inside
     * {@code synchronized (thisKeeper)}.
     *
     * @return the ledger of shared frames and declared views
     */
    public Ledger ledger() { return ledger; }

    /**
     * Saves the ledger for another process to adopt (consistent with the monitor threads).
     *
     * @param out where to write it
     */
    public synchronized void writeLedger(java.io.Writer out) { ledger.write(out); }

    /** {@return a snapshot of the counters} */
    public synchronized Stats stats() {
        Stats c = new Stats();
        c.faults = stats.faults; c.faultsResumed = stats.faultsResumed; c.faultsForwarded = stats.faultsForwarded;
        c.unsharesCaught = stats.unsharesCaught; c.slotsReapplied = stats.slotsReapplied; c.reshares = stats.reshares;
        c.safeUnshares = stats.safeUnshares; c.refused = stats.refused; c.viewsRecreated = stats.viewsRecreated;
        c.crashesAvoided = stats.crashesAvoided;
        return c;
    }

    /** {@return the hypervisor this keeper drives} */
    public Hypervisor hypervisor() { return hv; }

    // =========================================================================================================
    // views (Views)
    // =========================================================================================================

    /**
     * Activates altp2m on the domain if needed (Altp2mSetup: mode external when unset,
     * xc_altp2m_set_domain_state) and creates a view (xc_altp2m_create_view), recorded in the ledger.
     *
     * @param d             the domain
     * @param defaultAccess the view's default access
     * @return the new view
     * @throws org.xenffm.api.XenException as {@link Hypervisor#altp2mCreateView} (EINVAL no free slot,
     *                                     EOPNOTSUPP no altp2m on this host) and {@link Altp2mSetup#enable}
     */
    public synchronized ViewId createView(DomainId d, MemAccess defaultAccess) { return views.createView(d, defaultAccess); }

    /**
     * Destroys a view (xc_altp2m_destroy_view) and forgets its declarations.
     *
     * @param d the domain
     * @param v a view created here
     * @throws IllegalArgumentException a view not created through this keeper, or view 0
     * @throws org.xenffm.api.XenException EBUSY while a vCPU uses the view, as Xen
     */
    public synchronized void destroyView(DomainId d, ViewId v) { views.destroyView(d, v); }

    /**
     * xc_altp2m_switch_to_view: every vCPU of the domain into view {@code v}.
     *
     * @param d the domain
     * @param v the view, 0 for the default
     * @throws org.xenffm.api.XenException EINVAL the view is inactive or hidden
     */
    public synchronized void switchToView(DomainId d, ViewId v) { hv.altp2mSwitchToView(d, v); }

    /**
     * xc_altp2m_set_visibility, recorded in the ledger so a re-created view gets it back.
     *
     * @param d       the domain
     * @param v       a view created here
     * @param visible expose or hide
     * @throws IllegalArgumentException a view not created through this keeper
     * @throws org.xenffm.api.XenException as {@link Hypervisor#altp2mSetVisibility}
     */
    public synchronized void setVisibility(DomainId d, ViewId v, boolean visible) { views.setVisibility(d, v, visible); }

    /**
     * {@link #setViewAccess(DomainId, ViewId, Gfn, MemAccess, ConflictPolicy)} with the default policy.
     *
     * @param d the domain
     * @param v a view created here
     * @param g the gfn
     * @param a the access to declare
     */
    public void setViewAccess(DomainId d, ViewId v, Gfn g, MemAccess a) { setViewAccess(d, v, g, a, defaultPolicy); }

    /**
     * Opens the MEM_ACCESS event source for {@code d} (its monitor ring) if not yet open. Done automatically for
     * every domain with a declared access: without a ring Xen relaxes a violated entry to rwx and sends nothing
     * (mem_access.c:p2m_mem_access_check, §5.3 step 3), so a declaration would evaporate on first use. Violations
     * of declared views then reach the caller's handler ({@link MonitorSessionFaults#onViolation}).
     *
     * @param d the domain
     * @throws IllegalStateException the keeper has no {@link FaultSource.Factory}
     */
    public synchronized void watch(DomainId d) { arming.watch(d); }

    /**
     * Declares and applies an access restriction of {@code g} in view {@code v}. If {@code g} is shared and the
     * view has not copied it, raw Xen would panic; the policy decides
     * (see {@link Hazard#VIEW_CHANGE_ON_UNCOPIED_SHARED_GFN}). Built on xc_altp2m_set_mem_access, with
     * foreign writes, nominate and share around it under KEEP_BOTH.
     *
     * @param d the domain
     * @param v a view created here (not view 0)
     * @param g the gfn
     * @param a the access to declare, not {@link MemAccess#DEFAULT}
     * @param p what to do when {@code g} is shared and the view has not copied it
     * @throws CrashHazardException under REFUSE, when raw Xen would panic
     * @throws ReleaseLimitException on Xen ≥ 4.19 for a shared gfn (cannot be kept there)
     * @throws IllegalArgumentException view 0, a view not created here, or DEFAULT
     * @throws org.xenffm.api.XenException ESRCH no RAM at the gfn; otherwise as
     *                                     {@link Hypervisor#altp2mSetMemAccess}
     */
    public synchronized void setViewAccess(DomainId d, ViewId v, Gfn g, MemAccess a, ConflictPolicy p) { views.setViewAccess(d, v, g, a, p); }

    /**
     * Drops the declared access of {@code g} in {@code v}: the view entry takes the host's access again
     * (xc_altp2m_set_mem_access with the host access).
     *
     * @param d the domain
     * @param v a view created here
     * @param g the gfn
     * @throws IllegalArgumentException view 0 or a view not created here
     */
    public synchronized void clearViewAccess(DomainId d, ViewId v, Gfn g) { views.clearViewAccess(d, v, g); }

    /**
     * {@link #remap(DomainId, ViewId, Gfn, Gfn, ConflictPolicy)} with the default policy.
     *
     * @param d    the domain
     * @param v    a view created here
     * @param from the gfn the guest accesses
     * @param to   the gfn whose frame it sees there
     */
    public void remap(DomainId d, ViewId v, Gfn from, Gfn to) { remap(d, v, from, to, defaultPolicy); }

    /**
     * Declares and applies {@code change_gfn(v, from, to)}: in view {@code v} the guest sees {@code to}'s frame at
     * {@code from}. A shared target is refused (or unshared first under {@link ConflictPolicy#UNSHARE}); a shared
     * source the view has not copied is handled like {@link #setViewAccess}. Built on xc_altp2m_change_gfn.
     *
     * @param d    the domain
     * @param v    a view created here
     * @param from the gfn the guest accesses
     * @param to   the gfn whose frame it sees there
     * @param p    the conflict policy
     * @throws RemapConflictException {@code to} is shared (and the policy is not UNSHARE)
     * @throws CrashHazardException under REFUSE, when raw Xen would panic on {@code from}
     * @throws ReleaseLimitException on Xen ≥ 4.19 for a shared gfn
     * @throws IllegalArgumentException view 0 or a view not created here
     * @throws org.xenffm.api.XenException ESRCH no RAM at either gfn; otherwise as
     *                                     {@link Hypervisor#altp2mChangeGfn}
     */
    public synchronized void remap(DomainId d, ViewId v, Gfn from, Gfn to, ConflictPolicy p) { views.remap(d, v, from, to, p); }

    /**
     * Removes the remap of {@code from} in {@code v} (change_gfn to ~0: the next access re-copies the host).
     *
     * @param d    the domain
     * @param v    a view created here
     * @param from the remapped gfn
     * @throws IllegalArgumentException view 0 or a view not created here
     */
    public synchronized void unmap(DomainId d, ViewId v, Gfn from) { views.unmap(d, v, from); }

    // =========================================================================================================
    // sharing (Sharing)
    // =========================================================================================================

    /**
     * {@link #nominate(DomainId, Gfn, ConflictPolicy)} with the default policy.
     *
     * @param d the domain
     * @param g the gfn
     * @return the sharing handle
     */
    public SharingHandle nominate(DomainId d, Gfn g) { return nominate(d, g, defaultPolicy); }

    /**
     * Nominates {@code g} for sharing. Views that hold it differently make raw Xen answer EINVAL; with KEEP_BOTH
     * xenffm aligns them for the duration of the call and restores them on the shared entry, otherwise it throws
     * {@link NominateConflictException} naming the views. A gfn used as a remap target is always refused. Built on
     * xc_memshr_nominate_gfn.
     *
     * @param d the domain
     * @param g the gfn
     * @param p the conflict policy
     * @return the sharing handle
     * @throws NominateConflictException views hold the gfn differently (and the policy is not KEEP_BOTH)
     * @throws RemapConflictException the gfn is a remap target
     * @throws ReleaseLimitException on Xen ≥ 4.19 for a gfn a view declares
     * @throws org.xenffm.api.XenException as {@link Hypervisor#memshrNominateGfn} (EINVAL no sharable page, E2BIG
     *                                     mapped elsewhere, ENOSYS no mem_sharing)
     */
    public synchronized SharingHandle nominate(DomainId d, Gfn g, ConflictPolicy p) { return sharing.nominate(d, g, p); }

    /**
     * Result of {@link #share}.
     *
     * @param handle         the surviving handle
     * @param frame          every (domain, gfn) that now maps the shared frame
     * @param slotsReapplied the slots whose views xenffm re-applied
     */
    public record ShareResult(SharingHandle handle, Set<Slot> frame, int slotsReapplied) {}

    /**
     * {@link #share(DomainId, Gfn, DomainId, Gfn, ConflictPolicy, boolean)} with the default policy, comparing
     * contents.
     *
     * @param src    the source domain
     * @param sg     its gfn
     * @param client the client domain
     * @param cg     its gfn
     * @return the surviving handle and the frame's slots
     */
    public ShareResult share(DomainId src, Gfn sg, DomainId client, Gfn cg) {
        return share(src, sg, client, cg, defaultPolicy, true);
    }

    /**
     * Deduplicates {@code client:cg} onto {@code src:sg}: both domains paused, contents compared (when
     * {@code verifyContent}; Xen's share does not look at contents), both nominated under the policy, shared, and
     * the declared views of every slot the merge rewrote re-applied before the domains run again. Built on
     * xc_domain_pause, xenforeignmemory_map, xc_memshr_nominate_gfn and xc_memshr_share_gfns.
     *
     * @param src           the source domain (its page survives)
     * @param sg            its gfn
     * @param client        the client domain (sharing is enabled on it)
     * @param cg            its gfn
     * @param p             the conflict policy for the nominations
     * @param verifyContent compare the two pages first
     * @return the surviving handle and the frame's slots
     * @throws IllegalArgumentException the contents differ
     * @throws SafetyException a nomination the policy refuses
     * @throws org.xenffm.api.XenException as {@link Hypervisor#memshrShareGfns} and {@link #nominate}
     */
    public synchronized ShareResult share(DomainId src, Gfn sg, DomainId client, Gfn cg, ConflictPolicy p,
                                          boolean verifyContent) {
        return sharing.share(src, sg, client, cg, p, verifyContent);
    }

    /**
     * Per-gfn outcome of {@link #shareRange}.
     *
     * @param gfn     the gfn
     * @param handle  the surviving handle, when shared
     * @param refused why it stayed private, otherwise
     */
    public record RangeEntry(Gfn gfn, Optional<SharingHandle> handle, Optional<RuntimeException> refused) {}

    /**
     * xc_memshr_range_share done gfn by gfn through {@link #share}: raw range_share loses the errors of middle
     * gfns and leaves half-nominated pages (§3.6) and rewrites view entries unseen. Here every gfn gets its own
     * outcome: shared (handle), or the SafetyException / XenException / content mismatch that kept it private.
     *
     * @param src    the source domain
     * @param client the client domain
     * @param first  the first gfn
     * @param last   the last gfn, inclusive
     * @param p      the conflict policy
     * @return one entry per gfn, in order
     */
    public List<RangeEntry> shareRange(DomainId src, DomainId client, Gfn first, Gfn last, ConflictPolicy p) {
        return Sharing.shareRange(first, last, g -> share(src, g, client, g, p, true).handle());   // locked per gfn
    }

    /**
     * Unshares {@code d:g} the only way dom0 can (there is no unshare hypercall, §3.7): a write through a writable
     * foreign mapping, with the domain paused so the byte written back cannot race the guest; then re-applies the
     * declared views.
     *
     * @param d the domain
     * @param g the gfn
     * @return false if the gfn was not shared
     * @throws org.xenffm.api.XenException as {@link Hypervisor#foreignMemoryMap}
     */
    public synchronized boolean unshare(DomainId d, Gfn g) { return sharing.unshare(d, g); }

    // =========================================================================================================
    // domains and forks (Forks)
    // =========================================================================================================

    /**
     * Forks {@code parent} into {@code child} (created here when null, HVM+HAP with the parent's vCPU count) and,
     * when {@code inheritViews}, re-creates the parent's declared views in the child with the same indices: Xen
     * copies no view, access or monitor setting into a fork (§3.10 step 6). Built on xc_domain_create and
     * xc_memshr_fork.
     *
     * @param parent       the domain to fork
     * @param child        an existing paused domain with the parent's vCPU count, or null to create one
     * @param inheritViews re-create the parent's declared views in the child
     * @return the child
     * @throws ReleaseLimitException on Xen ≥ 4.19 for a parent with altp2m (Xen would refuse with EEXIST)
     * @throws org.xenffm.api.XenException as {@link Hypervisor#memshrFork} (EBUSY child not paused, EINVAL vCPU
     *                                     counts differ)
     */
    public synchronized DomainId fork(DomainId parent, DomainId child, boolean inheritViews) { return forks.fork(parent, child, inheritViews); }

    /**
     * fork_reset with the child paused, then re-populates and re-applies every declared view entry (a dropped page
     * inside a remap range resets the whole view, §4.8) before the child runs again. Built on
     * xc_memshr_fork_reset.
     *
     * @param child       the fork
     * @param resetState  reset vCPU state and parameters
     * @param resetMemory drop the fork's private pages
     * @throws org.xenffm.api.XenException as {@link Hypervisor#memshrForkReset} (ENOSYS not a fork, EINVAL no
     *                                     flag)
     */
    public synchronized void forkReset(DomainId child, boolean resetState, boolean resetMemory) { forks.forkReset(child, resetState, resetMemory); }

    /**
     * Destroys a domain (xc_domain_destroy) and forgets it; survivors' frames keep their other slots
     * (relinquish_shared_pages).
     *
     * @param d the domain
     * @throws org.xenffm.api.XenException as {@link Hypervisor#domainDestroy}
     */
    public void destroyDomain(DomainId d) {
        closeSource(d, false); // while the domain (and its ring page) still exists
        synchronized (this) {
            hv.domainDestroy(d);
            forks.forgetDestroyed(d);
        }
    }

    /**
     * The toolstack destroyed {@code d} ({@code xl destroy}: libxl tears down xenstore and devices too, so a guest
     * xl created is destroyed through xl, not {@link #destroyDomain}): closes its event source, forgets it and
     * re-syncs a fork parent. Xen already dropped its slots from every shared frame (relinquish_shared_pages).
     * Call it after the domain is gone; a monitor ring of a dead domain is torn down without hypercalls failing
     * the call.
     *
     * @param d the destroyed domain
     */
    public void domainDestroyed(DomainId d) {
        closeSource(d, true);
        synchronized (this) {
            forks.forgetDestroyed(d);
        }
    }

    /** Tears down d's monitor outside the lock: closing joins the consumer thread, which may be waiting for this lock
     *  in onFault. Once the domain is gone its ring went with it, and the teardown's failing hypercalls are moot. */
    private void closeSource(DomainId d, boolean domainGone) {
        FaultSource src;
        synchronized (this) {
            src = arming.takeSource(d);
        }
        if (src == null) return;
        try {
            src.close();
        } catch (XenException e) {
            if (!domainGone) throw e;
        }
    }

    /**
     * Brings the ledger's sharing state of every declared gfn of {@code d} back in line with Xen and re-applies
     * those gfns. Needed after a fork lived: a child reading a gfn nominates the parent's page behind dom0's back
     * (mem_sharing_fork_page, §3.10), and that host write pushed the default access into the parent's views.
     *
     * @param d the domain
     * @return the number of gfns re-applied
     */
    public synchronized int resync(DomainId d) { return reapply.resync(d); }

    /**
     * Re-applies every declared entry of the domain (host access of private declared gfns, then remaps, then
     * accesses), populating fork holes first.
     *
     * @param d the domain
     * @return the number of gfns touched
     */
    public synchronized int reapplyAll(DomainId d) { return reapply.reapplyAll(d); }

    // =========================================================================================================
    // events (FaultHandler)
    // =========================================================================================================

    /**
     * The view keeper's MEM_ACCESS handler (vCPU paused). If the faulting gfn was unshared since the ledger last
     * saw it, or still carries the armed write-less default, the host access and every view's declared entries
     * are restored first. The verdict is RESUME when the access is allowed by the vCPU's (now correct) view, so
     * the retried access goes through, and FORWARD when it violates what the caller declared — that request is
     * the caller's. Either way no request is dropped: a RESUMEd write that still violates faults again.
     *
     * @param f the violation
     * @return RESUME or FORWARD
     */
    public synchronized FaultVerdict onFault(AccessFault f) { return faultHandler.onFault(f); }

    // =========================================================================================================
    // cross-check (Audit)
    // =========================================================================================================

    /**
     * One difference between the ledger and what Xen reports.
     *
     * @param kind     what differs
     * @param domain   the domain
     * @param gfn      the gfn, when it is about one
     * @param view     the view, when it is about one
     * @param expected what the ledger says
     * @param actual   what Xen reports
     */
    public record Discrepancy(Kind kind, DomainId domain, Gfn gfn, ViewId view, String expected, String actual) {
        /** What differs. */
        public enum Kind {
            /** The ledger has the gfn shared; Xen has it private (a guest write unshared it). */
            UNSHARED_BEHIND_LEDGER,
            /** The ledger has the gfn private; Xen has it shared (e.g. a fork child's read nominated it). */
            SHARED_BEHIND_LEDGER,
            /** memshr_debug_gfn counts fewer gfns on the frame than the ledger. */
            SHARE_COUNT_BELOW_LEDGER,
            /** Re-nominating the gfn returned another handle than the ledger's. */
            HANDLE_MISMATCH,
            /** The domain's shr_pages differs from the ledger's shared slots. */
            SHR_PAGES_MISMATCH,
            /** A declared view is not active in Xen. */
            VIEW_MISSING,
            /** A declared view has no entry for a declared gfn. */
            VIEW_ENTRY_MISSING,
            /** A declared view entry has another access than declared. */
            VIEW_ACCESS_MISMATCH,
            /** altp2m is not active on a domain with declared views. */
            ALTP2M_INACTIVE,
            /** The write-less host default that catches unshares is not installed. */
            DEFAULT_NOT_ARMED
        }
    }

    /**
     * Compares the ledger with Xen: memshr_debug_gfn and the handle re-nominate returns for every shared slot
     * (nominate of a shared gfn has no side effect, §3.3 step 2), shr_pages, each declared view and access via
     * altp2m get_mem_access, and the armed default. Changes nothing, with one race: a guest write unsharing a gfn
     * between its debug_gfn and its handle check makes that check nominate it again (pause the domain for a strict
     * audit). Remaps cannot be read back from dom0 (no call returns a view's mfn); they are re-applied, not audited.
     *
     * @param d the domain
     * @return every difference found, empty when the ledger matches Xen
     */
    public synchronized List<Discrepancy> audit(DomainId d) { return audit.audit(d); }

    /**
     * The part of {@link #audit} the keeper guarantees at all times: the sharing state of every gfn a view declares,
     * every declared view and access, and the armed default. Stale sharing state of undeclared gfns (unshared by a
     * guest write nobody needed to catch), also when it shows as a partner missing from a declared gfn's frame, is
     * left to {@link #reconcile}: xenffm verifies partners with Xen before using them.
     *
     * @param d the domain
     * @return every difference found in that part
     */
    public synchronized List<Discrepancy> auditDeclared(DomainId d) { return audit.auditDeclared(d); }

    /**
     * Repairs what {@link #audit} finds: drops unshared slots from the ledger and re-applies all declarations.
     *
     * @param d the domain
     * @return the number of gfns touched
     */
    public synchronized int reconcile(DomainId d) { return audit.reconcile(d); }

    /** Restores the default access of armed domains and closes the event sources (outside the lock, see above). */
    @Override public void close() {
        List<FaultSource> toClose;
        synchronized (this) {
            toClose = arming.disarmAllAndTakeSources();
        }
        toClose.forEach(FaultSource::close);
    }
}
