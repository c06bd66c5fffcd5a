// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.util.Optional;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.safe.Ledger.Book;
import org.xenffm.safe.SharingAwareAltp2m.Stats;

/**
 * Fault handling: the keeper's answer to a MEM_ACCESS event (the faulting vCPU paused). An armed domain's
 * unsharing write faults on the write-less default ({@link Arming}); here the views are re-applied and the vCPU
 * resumed, or the event handed to the caller when it violates what the caller declared.
 */
final class FaultHandler {
    private final Ledger ledger;
    private final Stats stats;
    private final Probes probes;
    private final Arming arming;
    private final Reapply reapply;

    FaultHandler(Ledger ledger, Stats stats, Probes probes, Arming arming, Reapply reapply) {
        this.ledger = ledger;
        this.stats = stats;
        this.probes = probes;
        this.arming = arming;
        this.reapply = reapply;
    }

    /** See {@link SharingAwareAltp2m#onFault}. */
    FaultVerdict onFault(AccessFault f) {
        stats.faults++;
        DomainId d = f.domain();
        Gfn g = f.gfn();
        Optional<Book> ob = ledger.findBook(d);
        if (ob.isEmpty()) { stats.faultsForwarded++; return FaultVerdict.FORWARD; }
        Book b = ob.get();
        Slot s = new Slot(d, g);
        boolean fix = false;
        boolean shared = probes.isShared(d, g);
        if (ledger.isShared(s) && !shared) {                      // the write unshared it: the views were reset
            ledger.removeSlot(s);
            stats.unsharesCaught++;
            fix = true;
        }
        Optional<MemAccess> host = probes.hostAccess(d, g);
        if (!shared && b.armed() && host.isPresent() && host.get() != b.normalAccess) fix = true;
        if (fix) reapply.reapplySlot(d, g);
        MemAccess now = probes.currentAccess(d, f.view().orElse(ViewId.HOST), g);
        arming.maybeDisarm(d);
        if (now != null && !now.violatedBy(f.read(), f.write(), f.exec())) {
            stats.faultsResumed++;
            return FaultVerdict.RESUME;
        }
        stats.faultsForwarded++;
        return FaultVerdict.FORWARD;
    }
}
