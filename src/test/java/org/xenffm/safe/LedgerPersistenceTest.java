package org.xenffm.safe;

import static org.junit.jupiter.api.Assertions.*;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.emulated.Outcome;

/** A one-shot tool declares and shares, writes the ledger; a long-running keeper adopts it and keeps the views. */
class LedgerPersistenceTest {
    static final Gfn G = Gfn.of(10), S = Gfn.of(12), T = Gfn.of(20);

    @Test void anAdoptedLedgerKeepsViewsAcrossAnUnshareAfterTheFirstKeeperIsGone() {
        try (Rig r = new Rig()) {
            ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
            r.safe.setViewAccess(r.d1, v, G, MemAccess.R);
            r.safe.remap(r.d1, v, S, T);
            r.safe.share(r.d1, G, r.d2, G);
            StringWriter saved = new StringWriter();
            r.safe.writeLedger(saved);
            r.safe.close();                                          // the CLI run ends: monitors gone, disarmed

            Ledger back = Ledger.read(new StringReader(saved.toString()));
            assertEquals(r.safe.ledger().frameOf(new Slot(r.d1, G)), back.frameOf(new Slot(r.d1, G)));
            assertEquals(MemAccess.R, back.declaration(r.d1, v).orElseThrow().accessOf(G).orElseThrow());
            assertEquals(T, back.declaration(r.d1, v).orElseThrow().remapOf(S).orElseThrow());

            MonitorSessionFaults faults = new MonitorSessionFaults(r.hv);
            try (SharingAwareAltp2m keeper = new SharingAwareAltp2m(r.hv, faults, ConflictPolicy.KEEP_BOTH, back)) {
                assertEquals(MemAccess.RX, r.hv.getMemAccess(r.d1, Gfn.INVALID), "re-armed on adoption");
                assertEquals(Outcome.COMPLETED, r.write(r.d1, 1, G, "after adoption"));
                assertEquals(1, keeper.stats().unsharesCaught);
                assertEquals(MemAccess.R, r.viewAccess(r.d1, v, G));
                assertEquals(List.of(), keeper.audit(r.d1));
                keeper.switchToView(r.d1, v);
                assertEquals(Rig.label(20), r.read(r.d1, 0, S));
            }
        }
    }

    @Test void malformedLinesAreNamed() {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> Ledger.read(new StringReader("# xenffm ledger v1\nview 1 1 bogus true\n")));
        assertTrue(x.getMessage().contains("line 2"), x.getMessage());
    }

    @Test void adoptionDropsDomainsThatNoLongerExist() {
        try (Rig r = new Rig()) {
            r.safe.createView(r.d2, MemAccess.RWX);
            StringWriter saved = new StringWriter();
            r.safe.writeLedger(saved);
            r.safe.destroyDomain(r.d2);
            try (var keeper = new SharingAwareAltp2m(r.hv, new MonitorSessionFaults(r.hv), ConflictPolicy.REFUSE,
                    Ledger.read(new StringReader(saved.toString())))) {
                assertFalse(keeper.ledger().manages(r.d2));
            }
        }
    }
}
