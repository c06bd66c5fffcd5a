// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;
import org.xenffm.safe.SharingAwareAltp2m.Stats;

/**
 * Declaring views: create and destroy them, restrict a gfn's access, remap a gfn. Each change is recorded in the
 * ledger and applied only after the ordering rules made the view write safe ({@link Reapply#prepareViewLookup},
 * {@link ReleaseLimits#keepPrivate}) and the domain is armed where the declaration meets a shared gfn.
 */
final class Views {
    private final Hypervisor hv;
    private final Ledger ledger;
    private final Stats stats;
    private final Probes probes;
    private final Arming arming;
    private final Reapply reapply;
    private final ReleaseLimits limits;
    private final Forks forks;
    private final Sharing sharing;

    Views(Hypervisor hv, Ledger ledger, Stats stats, Probes probes, Arming arming, Reapply reapply,
          ReleaseLimits limits, Forks forks, Sharing sharing) {
        this.hv = hv;
        this.ledger = ledger;
        this.stats = stats;
        this.probes = probes;
        this.arming = arming;
        this.reapply = reapply;
        this.limits = limits;
        this.forks = forks;
        this.sharing = sharing;
    }

    ViewId createView(DomainId d, MemAccess defaultAccess) {
        forks.ensureAltp2m(d);
        ViewId v = hv.altp2mCreateView(d, defaultAccess);
        ledger.viewCreated(d, v, defaultAccess);
        return v;
    }

    void destroyView(DomainId d, ViewId v) {
        requireView(d, v);
        hv.altp2mDestroyView(d, v);
        ledger.viewDestroyed(d, v);
        arming.maybeDisarm(d);
    }

    void setVisibility(DomainId d, ViewId v, boolean visible) {
        ViewDecl vd = requireView(d, v);
        hv.altp2mSetVisibility(d, v, visible);
        vd.visible(visible);
    }

    /** See {@link SharingAwareAltp2m#setViewAccess(DomainId, ViewId, Gfn, MemAccess, ConflictPolicy)}. */
    void setViewAccess(DomainId d, ViewId v, Gfn g, MemAccess a, ConflictPolicy p) {
        ViewDecl vd = requireView(d, v);
        if (a == MemAccess.DEFAULT) throw new IllegalArgumentException("declare a concrete access, not DEFAULT");
        reapply.syncSlot(d, g);
        limits.keepPrivate(d, v, g, p, "xc_altp2m_set_mem_access");
        arming.requireEvents(d, g);
        arming.watchIfPossible(d);
        reapply.prepareViewLookup(d, v, g, p, "xc_altp2m_set_mem_access");
        vd.putAccess(g, a);
        declareThenWrite(d, () -> hv.altp2mSetMemAccess(d, v, g, a), () -> vd.removeAccess(g));
    }

    /**
     * The declaration is already in the ledger: arm before the view write (an unshare in between must already
     * fault), then write; if Xen refuses the write, take the declaration back and disarm if nothing needs it.
     */
    private void declareThenWrite(DomainId d, Runnable write, Runnable undeclare) {
        arming.ensureArmed(d);
        try {
            write.run();
        } catch (XenException e) {
            undeclare.run();
            arming.maybeDisarm(d);
            throw e;
        }
    }

    /** See {@link SharingAwareAltp2m#clearViewAccess}. */
    void clearViewAccess(DomainId d, ViewId v, Gfn g) {
        ViewDecl vd = requireView(d, v);
        if (vd.accessOf(g).isEmpty()) return;
        vd.removeAccess(g);
        // The view holds g (we applied it), so this write uses the view entry as is: no unshare, no hazard.
        probes.hostAccess(d, g).ifPresent(h -> {
            if (probes.viewHolds(d, v, g)) hv.altp2mSetMemAccess(d, v, g, h);
        });
        reapply.reapplySlot(d, g);
        arming.maybeDisarm(d);
    }

    /** See {@link SharingAwareAltp2m#remap(DomainId, ViewId, Gfn, Gfn, ConflictPolicy)}. */
    void remap(DomainId d, ViewId v, Gfn from, Gfn to, ConflictPolicy p) {
        ViewDecl vd = requireView(d, v);
        if (to.isInvalid()) { unmap(d, v, from); return; }
        reapply.syncSlot(d, from);
        reapply.syncSlot(d, to);
        if (probes.isShared(d, to)) {
            stats.crashesAvoided++;
            if (p != ConflictPolicy.UNSHARE) {
                stats.refused++;
                throw new RemapConflictException(Hazard.REMAP_TO_SHARED_TARGET, d, to, v,
                        "remap target " + d + ":" + to + " is shared (" + ledger.frameOf(new Slot(d, to)) + ")",
                        "unshare the target first (policy UNSHARE or unshare(" + d + ", " + to + ")), or remap "
                                + "onto a private gfn");
            }
            sharing.unshare(d, to);
        }
        limits.keepPrivate(d, v, from, p, "xc_altp2m_change_gfn");
        arming.requireEvents(d, from);
        reapply.prepareViewLookup(d, v, to, p, "xc_altp2m_change_gfn");
        reapply.prepareViewLookup(d, v, from, p, "xc_altp2m_change_gfn");
        vd.putRemap(from, to);
        declareThenWrite(d, () -> hv.altp2mChangeGfn(d, v, from, to), () -> vd.removeRemap(from));
        // change_gfn copied the target's access into the view; a declared access of `from` wins again.
        vd.accessOf(from).ifPresent(a -> hv.altp2mSetMemAccess(d, v, from, a));
    }

    /** See {@link SharingAwareAltp2m#unmap}. */
    void unmap(DomainId d, ViewId v, Gfn from) {
        ViewDecl vd = requireView(d, v);
        hv.altp2mChangeGfn(d, v, from, Gfn.INVALID);
        vd.removeRemap(from);
        reapply.reapplySlot(d, from);
        arming.maybeDisarm(d);
    }

    private ViewDecl requireView(DomainId d, ViewId v) {
        if (v.equals(ViewId.HOST))
            throw new IllegalArgumentException("altp2m slot 0 takes no declarations: set_mem_access on view 0 "
                    + "writes the host p2m and dom0 cannot probe slot 0; create a view");
        return ledger.view(d, v).orElseThrow(() -> new IllegalArgumentException(
                v + " of " + d + " was not created through xenffm (createView)"));
    }
}
