// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import static org.junit.jupiter.api.Assertions.*;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.emulated.Outcome;

/** A one-shot tool declares and shares, writes the ledger; a long-running keeper adopts it and keeps the views. */
@ParameterizedClass(name = "{0}")
@EnumSource(Release.class)
class LedgerPersistenceTest {
    final Release release;

    LedgerPersistenceTest(Release release) { this.release = release; }

    static final Gfn G = Gfn.of(10), S = Gfn.of(12), T = Gfn.of(20);

    @Test void anAdoptedLedgerKeepsViewsAcrossAnUnshareAfterTheFirstKeeperIsGone() {
        try (Rig r = new Rig(release)) {
            ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
            r.safe.setViewAccess(r.d1, v, G, MemAccess.R);
            r.safe.remap(r.d1, v, S, T);
            // ≥ 4.19 a declared gfn cannot be shared (SHARED_AND_DECLARED_ON_4_19): share an undeclared one there
            boolean keeps = release.keepsViewsOnSharedGfns();
            Gfn sh = keeps ? G : Gfn.of(30);
            r.safe.share(r.d1, sh, r.d2, sh);
            StringWriter saved = new StringWriter();
            r.safe.writeLedger(saved);
            r.safe.close();                                          // the CLI run ends: monitors gone, disarmed

            Ledger back = Ledger.read(new StringReader(saved.toString()));
            assertEquals(2, back.frameOf(new Slot(r.d1, sh)).size());
            assertEquals(r.safe.ledger().frameOf(new Slot(r.d1, sh)), back.frameOf(new Slot(r.d1, sh)));
            assertEquals(MemAccess.R, back.declaration(r.d1, v).orElseThrow().accessOf(G).orElseThrow());
            assertEquals(T, back.declaration(r.d1, v).orElseThrow().remapOf(S).orElseThrow());

            MonitorSessionFaults faults = new MonitorSessionFaults(r.hv);
            try (SharingAwareAltp2m keeper = new SharingAwareAltp2m(r.hv, faults, ConflictPolicy.KEEP_BOTH, back)) {
                if (keeps) assertEquals(MemAccess.RX, r.hv.getMemAccess(r.d1, Gfn.INVALID), "re-armed on adoption");
                else assertFalse(keeper.ledger().needsWriteEvents(r.d1), "nothing shared is declared: not armed");
                assertEquals(Outcome.COMPLETED, r.write(r.d1, 1, sh, "after adoption"));
                assertEquals(0, r.shareCount(r.d1, sh));
                assertEquals(keeps ? 1 : 0, keeper.stats().unsharesCaught);
                assertEquals(MemAccess.R, r.viewAccess(r.d1, v, G));
                // an undeclared gfn's unshare is refreshed lazily (docs/safe-layer.md limits): only declared state kept
                assertEquals(List.of(), keeps ? keeper.audit(r.d1) : keeper.auditDeclared(r.d1));
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
        try (Rig r = new Rig(release)) {
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
