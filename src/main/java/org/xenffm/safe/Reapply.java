// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;
import org.xenffm.safe.Ledger.GfnState;
import org.xenffm.safe.SharingAwareAltp2m.Stats;

/**
 * Re-application: putting back what Xen overwrote at one gfn, and the ordering rules that make a view write safe
 * there. Xen pushes the host entry (with the host default access) into every view holding a gfn whenever the host
 * entry changes (unshare, nominate, share, fork_reset: altp2m.c:p2m_altp2m_propagate_change), so every path that
 * changes a host entry ends in {@link #reapplySlot}. A view write itself is only issued once
 * {@link #prepareViewLookup} made it safe: the view holds the entry, or the gfn is private and populated. The two
 * call each other (re-applying a view entry on a shared gfn may need a reshare around the view, which ends in a
 * re-application), so they live in one file.
 */
final class Reapply {
    private final Hypervisor hv;
    private final Ledger ledger;
    private final Stats stats;
    private final Probes probes;
    private final ForeignPages pages;
    private final Arming arming;
    private final ConflictPolicy defaultPolicy;

    Reapply(Hypervisor hv, Ledger ledger, Stats stats, Probes probes, ForeignPages pages, Arming arming,
            ConflictPolicy defaultPolicy) {
        this.hv = hv;
        this.ledger = ledger;
        this.stats = stats;
        this.probes = probes;
        this.pages = pages;
        this.arming = arming;
        this.defaultPolicy = defaultPolicy;
    }

    /**
     * Makes the ledger's sharing state of one slot match Xen before xenffm relies on it: a guest write to an
     * undeclared gfn unshares it without any event (nobody needed one), and a fork child's read nominates a parent
     * gfn behind dom0's back (possibly one the ledger still holds under its old, dead handle). Re-nominating a
     * shared gfn only returns its handle (nominate_page step 2).
     */
    void syncSlot(DomainId d, Gfn g) {
        Slot s = new Slot(d, g);
        boolean xen = probes.isShared(d, g);
        if (!xen) ledger.removeSlot(s);
        else ledger.nominated(s, hv.memshrNominateGfn(d, g));   // also catches a slot re-nominated since (new handle)
    }

    /**
     * Foreign-write unshare with the domain paused, then the slot's declarations re-applied before it runs: the
     * unshare pushed (new frame, ram_rw, default access) into every view holding g (§3.7, §4.8).
     */
    void unshareNow(DomainId d, Gfn g) {
        hv.domainPause(d);
        try {
            pages.rewrite(d, g);
            ledger.removeSlot(new Slot(d, g));
            stats.safeUnshares++;
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
    boolean reapplySlot(DomainId d, Gfn g) {
        GfnState at = ledger.state(d, g);
        if (at.book() == null) return false;
        boolean target = !at.remappingTo().isEmpty();
        if (at.declaring().isEmpty() && !target && !at.armed()) return false;
        Optional<MemAccess> host = probes.hostAccess(d, g);
        if (host.isEmpty() && (!at.declaring().isEmpty() || target) && at.book().forkParent != null) {
            try {
                pages.rewrite(d, g);                             // fork hole: populate privately (never under altp2m)
            } catch (XenException e) {
                // EINVAL: no ancestor has the gfn either (a page the owner populated beyond the parent's memory,
                // dropped by fork_reset): nothing to re-apply until the owner populates it and declares again
                if (e.errno() != Errno.EINVAL) throw e;
                return false;
            }
            host = probes.hostAccess(d, g);
        }
        if (host.isEmpty()) return false;
        boolean shared = probes.isShared(d, g);
        if (shared && target) {
            // A remap target became shared behind our back (a fork child read it: mem_sharing_fork_page nominates
            // the parent page). The remapped view entries would map it writable outside copy-on-write: make it
            // private again and point the remaps at its (possibly new) frame.
            unshareNow(d, g);
            for (ViewDecl vd : at.remappingTo())
                for (var e : vd.remaps().entrySet()) if (e.getValue().equals(g)) reapplySlot(d, e.getKey());
            return true;
        }
        if (shared && !at.declaring().isEmpty() && hv.version().altp2mAtCreation()) {
            // ≥ 4.19 a declared gfn shared behind our back (a raw nominate/share) cannot be kept shared
            // (SHARED_AND_DECLARED_ON_4_19): the declaration wins, as under UNSHARE; unshareNow re-applies it.
            unshareNow(d, g);
            return true;
        }
        MemAccess normal = at.book().normalAccess;
        if (!shared && at.armed() && host.get() != normal) {
            if (probes.altp2mActive(d)) hv.altp2mSetMemAccess(d, ViewId.HOST, g, normal);
            else hv.setMemAccess(d, normal, g, 1);
        }
        for (ViewDecl vd : at.declaring()) {
            ViewId v = vd.view();
            Optional<Gfn> to = vd.remapOf(g);
            if (to.isPresent() && targetPopulated(d, v, to.get())) {
                prepareViewLookup(d, v, g, policyForReapply(), "xc_altp2m_change_gfn");
                hv.altp2mChangeGfn(d, v, g, to.get());
            }
            Optional<MemAccess> a = vd.accessOf(g);
            if (a.isPresent()) {
                prepareViewLookup(d, v, g, policyForReapply(), "xc_altp2m_set_mem_access");
                hv.altp2mSetMemAccess(d, v, g, a.get());
            }
        }
        stats.slotsReapplied++;
        return !at.declaring().isEmpty();
    }

    /**
     * Automatic re-application never refuses: it keeps the view, and keeps sharing unless told otherwise (or, on
     * ≥ 4.19, where both cannot be kept).
     */
    private ConflictPolicy policyForReapply() {
        if (hv.version().altp2mAtCreation()) return ConflictPolicy.UNSHARE;   // ≥ 4.19: a view cannot keep a shared gfn
        return defaultPolicy == ConflictPolicy.REFUSE ? ConflictPolicy.KEEP_BOTH : defaultPolicy;
    }

    /** Re-applies every declared gfn of d ({@link SharingAwareAltp2m#reapplyAll}); returns how many it touched. */
    int reapplyAll(DomainId d) {
        int n = 0;
        for (Gfn g : ledger.declaredGfns(d)) n += reapplySlot(d, g) ? 1 : 0;
        return n;
    }

    /** Syncs and re-applies every declared gfn of d, then arms or disarms ({@link SharingAwareAltp2m#resync}). */
    int resync(DomainId d) {
        int n = 0;
        for (Gfn g : ledger.declaredGfns(d)) {
            boolean before = ledger.isShared(new Slot(d, g));
            syncSlot(d, g);
            if (before != ledger.isShared(new Slot(d, g))) n++;
        }
        n += reapplyAll(d);
        arming.ensureArmed(d);
        arming.maybeDisarm(d);
        return n;
    }

    /**
     * Prepares a remap target for change_gfn; false when it is a fork hole no ancestor has (EINVAL: a page the owner
     * populated beyond the parent's memory, dropped by fork_reset), so the remap waits for the owner to populate it
     * and declare it again.
     */
    private boolean targetPopulated(DomainId d, ViewId v, Gfn to) {
        try {
            prepareViewLookup(d, v, to, ConflictPolicy.UNSHARE, "xc_altp2m_change_gfn");
            return true;
        } catch (XenException e) {
            if (e.errno() != Errno.EINVAL || ledger.forkParent(d).isEmpty()) throw e;
            return false;
        }
    }

    /**
     * Makes {@code xc_altp2m_set_mem_access(v, g)} / {@code change_gfn} safe for gfn {@code g} in view {@code v}:
     * the call resolves g's effective entry, and when the view lacks it Xen looks the host up with P2M_UNSHARE
     * (panics if shared) and P2M_ALLOC (populates a fork hole from the parent under the altp2m lock).
     */
    void prepareViewLookup(DomainId d, ViewId v, Gfn g, ConflictPolicy p, String op) {
        if (probes.viewHolds(d, v, g)) return;                   // altp2m_get_effective_entry uses it as is
        Optional<MemAccess> host = probes.hostAccess(d, g);
        if (host.isEmpty()) {
            if (ledger.forkParent(d).isPresent()) {              // VIEW_CHANGE_ON_FORK_HOLE
                stats.crashesAvoided++;
                pages.rewrite(d, g);                             // populates a private copy, no altp2m lock held
                return;
            }
            // Raw Xen would skip the gfn silently (set_mem_access swallows ESRCH) or fail: say so.
            throw new XenException(op, d, g, v, Errno.ESRCH.value(), "no RAM at that gfn in the host p2m");
        }
        if (!probes.isShared(d, g)) return;
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
            if (o.equals(s) || !probes.isShared(o.domain(), o.gfn())) continue;
            partner = o;
            ph = hv.memshrNominateGfn(o.domain(), o.gfn());      // shared: returns its handle, no side effect
            break;
        }
        hv.domainPause(d);
        try {
            pages.rewrite(d, g);                                 // contents stay identical: copy of the frame
            ledger.removeSlot(s);
            hv.altp2mSetMemAccess(d, v, g, probes.hostAccess(d, g).orElseThrow());
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
}
