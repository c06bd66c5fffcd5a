// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.XenException;
import org.xenffm.safe.Ledger.Book;
import org.xenffm.safe.SharingAwareAltp2m.Discrepancy;
import org.xenffm.safe.SharingAwareAltp2m.Discrepancy.Kind;

/**
 * Audit and reconcile: the ledger checked against what Xen reports (share counts, handles, shr_pages, each
 * declared view entry, the armed default), and repaired where they differ. The audit changes nothing in Xen.
 */
final class Audit {
    private final Hypervisor hv;
    private final Ledger ledger;
    private final Probes probes;
    private final Reapply reapply;
    private final Forks forks;

    Audit(Hypervisor hv, Ledger ledger, Probes probes, Reapply reapply, Forks forks) {
        this.hv = hv;
        this.ledger = ledger;
        this.probes = probes;
        this.reapply = reapply;
        this.forks = forks;
    }

    /** See {@link SharingAwareAltp2m#audit}. */
    List<Discrepancy> audit(DomainId d) {
        List<Discrepancy> out = new ArrayList<>();
        List<Gfn> shared = ledger.sharedGfns(d);
        for (Gfn g : shared) {
            Slot s = new Slot(d, g);
            OptionalInt n = probes.sharedCount(d, g);
            if (n.isEmpty()) {
                out.add(new Discrepancy(Kind.UNSHARED_BEHIND_LEDGER, d, g, null, "shared", "private"));
                continue;
            }
            int known = ledger.frameOf(s).size();
            if (n.getAsInt() < known)
                out.add(new Discrepancy(Kind.SHARE_COUNT_BELOW_LEDGER, d, g, null,
                        ">= " + known, String.valueOf(n.getAsInt())));
            SharingHandle h = hv.memshrNominateGfn(d, g);
            if (!h.equals(ledger.handle(s).orElse(null)))
                out.add(new Discrepancy(Kind.HANDLE_MISMATCH, d, g, null,
                        String.valueOf(ledger.handle(s).orElse(null)), h.toString()));
        }
        for (Gfn g : ledger.declaredGfns(d))       // e.g. nominated by a fork child's read (§3.10): not armed for it
            if (!ledger.isShared(new Slot(d, g)) && probes.isShared(d, g))
                out.add(new Discrepancy(Kind.SHARED_BEHIND_LEDGER, d, g, null, "private", "shared"));
        boolean fork = ledger.forkParent(d).isPresent() || ledger.findBook(d).map(x -> x.hadForks).orElse(false);
        long shr = hv.domainGetinfo(d).shrPages();
        if (!fork ? shr != shared.size() : shr < shared.size())
            out.add(new Discrepancy(Kind.SHR_PAGES_MISMATCH, d, null, null,
                    (fork ? ">= " : "") + shared.size(), String.valueOf(shr)));
        Book b = ledger.findBook(d).orElse(null);
        if (b == null || b.views.isEmpty()) return out;
        if (!hv.altp2mGetDomainState(d)) {
            out.add(new Discrepancy(Kind.ALTP2M_INACTIVE, d, null, null, "active", "inactive"));
            return out;
        }
        for (ViewDecl vd : b.views.values()) {
            try {
                hv.altp2mGetMemAccess(d, vd.view(), Gfn.INVALID);
            } catch (XenException e) {
                out.add(new Discrepancy(Kind.VIEW_MISSING, d, null, vd.view(), "active", e.errno().name()));
                continue;
            }
            for (var e : vd.access().entrySet()) {
                MemAccess actual = probes.viewAccess(d, vd.view(), e.getKey());
                if (actual == null)
                    out.add(new Discrepancy(Kind.VIEW_ENTRY_MISSING, d, e.getKey(), vd.view(),
                            e.getValue().label(), "ESRCH"));
                else if (actual != e.getValue())
                    out.add(new Discrepancy(Kind.VIEW_ACCESS_MISMATCH, d, e.getKey(), vd.view(),
                            e.getValue().label(), actual.label()));
            }
        }
        if (ledger.needsWriteEvents(d)) {
            MemAccess def = b.armed() ? hv.getMemAccess(d, Gfn.INVALID) : MemAccess.RWX;
            if (def.allowsWrite())
                out.add(new Discrepancy(Kind.DEFAULT_NOT_ARMED, d, null, null,
                        Arming.ARMED_DEFAULT.label(), def.label()));
        }
        return out;
    }

    /** See {@link SharingAwareAltp2m#auditDeclared}. */
    List<Discrepancy> auditDeclared(DomainId d) {
        Set<Gfn> declared = ledger.declaredGfns(d);
        return audit(d).stream()
                .filter(x -> x.kind() != Kind.SHR_PAGES_MISMATCH && x.kind() != Kind.SHARE_COUNT_BELOW_LEDGER)
                .filter(x -> x.gfn() == null || x.view() != null || declared.contains(x.gfn()))
                .toList();
    }

    /** See {@link SharingAwareAltp2m#reconcile}. */
    int reconcile(DomainId d) {
        int fixes = 0;
        for (Gfn g : ledger.sharedGfns(d)) {
            Slot s = new Slot(d, g);
            if (!probes.isShared(d, g)) {
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
        if (b != null && !b.views.isEmpty() && !hv.altp2mGetDomainState(d)) forks.recreateViews(d);
        return fixes + reapply.resync(d);
    }
}
