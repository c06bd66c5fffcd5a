// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.XenException;
import org.xenffm.safe.Ledger.Book;

/**
 * Arming: the write-less host default that turns an unsharing guest write into a MEM_ACCESS event, and the event
 * sources (monitor rings) that deliver it. While a domain has a gfn both shared and declared in a view, its host
 * default access is {@link #ARMED_DEFAULT}: Xen rewrites an unshared entry with the default, so the retried write
 * faults and {@link FaultHandler} can re-apply the views (hvm.c:hvm_hap_nested_page_fault unshares before it
 * checks the access, so a restriction on the shared entry alone would never fault).
 */
final class Arming {
    /** The write-less default installed while a domain needs write events: rx keeps reads and code running. */
    static final MemAccess ARMED_DEFAULT = MemAccess.RX;

    private final Hypervisor hv;
    private final Ledger ledger;
    private final Probes probes;
    private final FaultSource.Factory faults;
    private final Function<AccessFault, FaultVerdict> keeper;
    private final Map<DomainId, FaultSource> sources = new HashMap<>();

    Arming(Hypervisor hv, Ledger ledger, Probes probes, FaultSource.Factory faults,
           Function<AccessFault, FaultVerdict> keeper) {
        this.hv = hv;
        this.ledger = ledger;
        this.probes = probes;
        this.faults = faults;
        this.keeper = keeper;
    }

    /** Opens d's event source (its monitor ring) if not yet open; see {@link SharingAwareAltp2m#watch}. */
    void watch(DomainId d) {
        if (faults == null) throw new IllegalStateException("no FaultSource.Factory to watch " + d);
        ledger.book(d);
        sources.computeIfAbsent(d, dom -> faults.open(dom, keeper));
    }

    void watchIfPossible(DomainId d) {
        if (faults != null) watch(d);
    }

    void requireEvents(DomainId d, Gfn g) { requireEvents(d, g, false); }

    /** A view on a shared gfn is only kept with write events: refuse it when there is no way to receive them. */
    void requireEvents(DomainId d, Gfn g, boolean willBeShared) {
        if (faults == null && (willBeShared || probes.isShared(d, g)))
            throw new IllegalStateException("a view on shared " + d + ":" + g + " is only kept with vm_events: "
                    + "construct SharingAwareAltp2m with a FaultSource.Factory (MonitorSessionFaults)");
    }

    void requireEventsIfDeclared(Set<Slot> slots) {
        if (faults != null) return;
        for (Slot s : slots)
            if (!ledger.viewsDeclaring(s.domain(), s.gfn()).isEmpty()) requireEvents(s.domain(), s.gfn());
    }

    /** Arms d if it now has a gfn both shared and declared: saves its default, installs {@link #ARMED_DEFAULT}. */
    void ensureArmed(DomainId d) {
        Book b = ledger.findBook(d).orElse(null);
        if (b == null || b.armed() || !ledger.needsWriteEvents(d)) return;
        if (faults == null) throw new IllegalStateException("no FaultSource.Factory to arm " + d);
        watch(d);
        MemAccess saved = hv.getMemAccess(d, Gfn.INVALID);     // needs the monitor ring the source enabled
        hv.setMemAccess(d, ARMED_DEFAULT, Gfn.INVALID, 0);      // pfn ~0: the host default only (§5.2)
        b.savedDefault = saved;
        b.normalAccess = saved;
    }

    /** Restores d's saved default once no gfn of it is both shared and declared any more. */
    void maybeDisarm(DomainId d) {
        Book b = ledger.findBook(d).orElse(null);
        if (b != null && b.armed() && !ledger.needsWriteEvents(d)) disarm(d, b);
    }

    private void disarm(DomainId d, Book b) {
        hv.setMemAccess(d, b.savedDefault, Gfn.INVALID, 0);
        b.savedDefault = null;
    }

    /** Forgets d's event source and hands it over, to be closed outside the keeper's lock; null if none. */
    FaultSource takeSource(DomainId d) { return sources.remove(d); }

    /** Disarms every watched domain (a domain already gone is skipped) and hands over all event sources. */
    List<FaultSource> disarmAllAndTakeSources() {
        List<FaultSource> out = new ArrayList<>();
        for (DomainId d : List.copyOf(sources.keySet())) {
            Book b = ledger.findBook(d).orElse(null);
            try {
                if (b != null && b.armed()) disarm(d, b);
            } catch (XenException ignored) {
                // the domain may be gone; nothing left to restore
            }
            out.add(sources.remove(d));
        }
        return out;
    }
}
