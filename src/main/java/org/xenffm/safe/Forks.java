// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.HvmParam;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.ViewId;
import org.xenffm.safe.Ledger.Book;
import org.xenffm.safe.SharingAwareAltp2m.Stats;

/**
 * Forks and the domain lifecycle: Xen copies no view, access or monitor setting into a fork (§3.10 step 6) and
 * fork_reset drops pages views relied on (§3.11), so views are re-created with the same indices and re-applied;
 * a destroyed domain is forgotten and its fork parent re-synced (the child's reads nominated parent pages behind
 * dom0's back). Also where altp2m gets switched on for a domain ({@link #ensureAltp2m}).
 */
final class Forks {
    private final Hypervisor hv;
    private final Ledger ledger;
    private final Stats stats;
    private final Arming arming;
    private final Reapply reapply;
    private final ReleaseLimits limits;

    Forks(Hypervisor hv, Ledger ledger, Stats stats, Arming arming, Reapply reapply, ReleaseLimits limits) {
        this.hv = hv;
        this.ledger = ledger;
        this.stats = stats;
        this.arming = arming;
        this.reapply = reapply;
        this.limits = limits;
    }

    /** See {@link SharingAwareAltp2m#fork}. */
    DomainId fork(DomainId parent, DomainId child, boolean inheritViews) {
        limits.refuseForkOfAltp2mParent(parent);
        if (child == null) {
            DomainConfig c = DomainConfig.forkChild(hv.domainGetinfo(parent).vcpus());
            child = hv.domainCreate(hv.version().altp2mAtCreation() ? c.withAltp2mMode(HvmParam.ALTP2M_EXTERNAL) : c);
        }
        hv.memshrFork(parent, child, false, false);
        Book cb = ledger.book(child);
        cb.forkParent = parent;
        ledger.book(parent).hadForks = true;
        if (inheritViews) {
            ledger.findBook(parent).ifPresent(pb -> pb.views.forEach((id, vd) -> cb.views.put(id, vd.copyAs(id))));
            if (cb.views.values().stream().anyMatch(vd -> !vd.access().isEmpty())) arming.watchIfPossible(child);
            recreateViews(child);
        }
        return child;
    }

    /** See {@link SharingAwareAltp2m#forkReset}. */
    void forkReset(DomainId child, boolean resetState, boolean resetMemory) {
        hv.domainPause(child);
        try {
            hv.memshrForkReset(child, resetState, resetMemory);
            Book b = ledger.book(child);
            if (!b.views.isEmpty()) {
                if (!hv.altp2mGetDomainState(child)) recreateViews(child);
                else reapply.reapplyAll(child);
            }
        } finally {
            hv.domainUnpause(child);
        }
    }

    /** A destroyed domain: forget it (its slots leave every frame) and re-sync its fork parent, if any. */
    void forgetDestroyed(DomainId d) {
        Optional<DomainId> parent = ledger.forkParent(d);
        ledger.forgetDomain(d);
        parent.ifPresent(reapply::resync);
    }

    /** Creates the declared views of {@code d} with the same indices (fillers destroyed), then re-applies them. */
    void recreateViews(DomainId d) {
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
        reapply.reapplyAll(d);
    }

    /** Activates altp2m on d if it is not active, and makes sure the ledger has a book for d. */
    void ensureAltp2m(DomainId d) {
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
}
