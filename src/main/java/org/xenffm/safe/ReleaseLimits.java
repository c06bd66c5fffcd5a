// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.util.List;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmParam;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.ViewId;
import org.xenffm.safe.SharingAwareAltp2m.Stats;

/**
 * The rules of Xen ≥ 4.19, where two 4.17 guarantees do not hold: a gfn may not be both shared and declared in a
 * view ({@link Hazard#SHARED_AND_DECLARED_ON_4_19}: a lazy copy takes the view's default access, so an unsharing
 * write does not fault), and a parent with an altp2m mode cannot be forked ({@link Hazard#FORK_OF_ALTP2M_PARENT}).
 * Each check runs before any hypercall of the call it guards and throws {@link ReleaseLimitException}; on 4.17
 * they pass.
 */
final class ReleaseLimits {
    /** The short reason; the hazard's text in the exception message gives the mechanism. */
    static final String SHARED_DECLARED_WHY = "a view declaration on a shared gfn cannot be kept on this release, "
            + "because an unsharing write would reset the view without any event";

    private final Hypervisor hv;
    private final Ledger ledger;
    private final Stats stats;
    private final Probes probes;
    private final Reapply reapply;

    ReleaseLimits(Hypervisor hv, Ledger ledger, Stats stats, Probes probes, Reapply reapply) {
        this.hv = hv;
        this.ledger = ledger;
        this.stats = stats;
        this.probes = probes;
        this.reapply = reapply;
    }

    /**
     * ≥ 4.19: a view may not declare a shared gfn. Under UNSHARE the gfn is made private first; otherwise the
     * declaration is refused before anything changes.
     */
    void keepPrivate(DomainId d, ViewId v, Gfn g, ConflictPolicy p, String op) {
        if (!hv.version().altp2mAtCreation() || !probes.isShared(d, g)) return;
        if (p == ConflictPolicy.UNSHARE) {
            if (!probes.viewHolds(d, v, g)) stats.crashesAvoided++;
            reapply.unshareNow(d, g);
            return;
        }
        stats.refused++;
        throw new ReleaseLimitException(Hazard.SHARED_AND_DECLARED_ON_4_19, hv.version(), d, g, v,
                op + " on " + d + ":" + g + " in " + v + ", a shared gfn (" + ledger.frameOf(new Slot(d, g))
                        + "): " + SHARED_DECLARED_WHY,
                "policy UNSHARE (give up sharing this gfn, then apply), or declare only private gfns");
    }

    /** ≥ 4.19: a gfn the views {@code declaring} declare may not become shared. */
    void refuseSharingDeclared(DomainId d, Gfn g, List<ViewDecl> declaring) {
        if (!hv.version().altp2mAtCreation() || declaring.isEmpty()) return;
        stats.refused++;
        throw new ReleaseLimitException(Hazard.SHARED_AND_DECLARED_ON_4_19, hv.version(), d, g,
                declaring.getFirst().view(), "sharing " + d + ":" + g + ", which "
                        + declaring.stream().map(vd -> vd.view().toString()).toList() + " declare(s): "
                        + SHARED_DECLARED_WHY,
                "clear the view declarations of this gfn first (clearViewAccess / unmap), or keep it private");
    }

    /** ≥ 4.19: a parent with an altp2m mode cannot be forked (Xen: EEXIST, the fork rolled back). */
    void refuseForkOfAltp2mParent(DomainId parent) {
        if (!hv.version().altp2mAtCreation()) return;
        long mode = hv.hvmParamGet(parent, HvmParam.ALTP2M);
        if (mode == HvmParam.ALTP2M_DISABLED) return;
        stats.refused++;
        throw new ReleaseLimitException(Hazard.FORK_OF_ALTP2M_PARENT, hv.version(), parent, null, null,
                "forking " + parent + ", which has altp2m mode " + Altp2mSetup.name(mode) + ": Xen copies "
                        + "HVM_PARAM_ALTP2M into the child, where it is read-only, and answers EEXIST",
                "fork a parent created without altp2m; its children get altp2m mode external here "
                        + "(DomainConfig.withAltp2mMode) and take views through createView");
    }
}
