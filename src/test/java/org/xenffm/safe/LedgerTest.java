// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.ViewId;

/** The ledger's bookkeeping mirrors mem_sharing.c's rmap transitions (§3.3, §3.4, §3.7, §3.9). */
class LedgerTest {
    static final DomainId A = DomainId.of(1), B = DomainId.of(2), C = DomainId.of(3);
    static final Gfn G1 = Gfn.of(0x10), G2 = Gfn.of(0x20), G3 = Gfn.of(0x30);
    static final SharingHandle H2 = SharingHandle.of(2), H3 = SharingHandle.of(3), H4 = SharingHandle.of(4);

    @Test void mergeMovesEveryClientSlotToTheSourceFrameAndKillsTheClientHandle() {
        Ledger l = new Ledger();
        l.nominated(new Slot(A, G1), H2);
        l.nominated(new Slot(B, G2), H3);
        l.nominated(new Slot(C, G3), H4);
        l.merged(H3, H4);                                   // B:g2 and C:g3 on frame 3
        Set<Slot> moved = l.merged(H2, H3);                 // share_pages step 5: client rmap moves to source
        assertEquals(Set.of(new Slot(B, G2), new Slot(C, G3)), moved);
        assertEquals(Set.of(new Slot(A, G1), new Slot(B, G2), new Slot(C, G3)), l.frameOf(new Slot(C, G3)));
        assertEquals(H2, l.handle(new Slot(B, G2)).orElseThrow());
        assertTrue(l.slotsOf(H3).isEmpty());
        assertEquals(1, l.frameCount());
    }

    @Test void unshareRemovesOnlyThatSlotAndTheLastOneRemovesTheFrame() {
        Ledger l = new Ledger();
        l.nominated(new Slot(A, G1), H2);
        l.nominated(new Slot(B, G2), H3);
        l.merged(H2, H3);
        l.removeSlot(new Slot(A, G1));
        assertFalse(l.isShared(new Slot(A, G1)));
        assertEquals(Set.of(new Slot(B, G2)), l.frameOf(new Slot(B, G2)));
        l.removeSlot(new Slot(B, G2));
        assertEquals(0, l.frameCount());
    }

    @Test void renominatingASharedSlotWithItsHandleIsANoOp() {
        Ledger l = new Ledger();
        l.nominated(new Slot(A, G1), H2);
        l.nominated(new Slot(A, G1), H2);
        assertEquals(1, l.frameCount());
        assertEquals(List.of(G1), l.sharedGfns(A));
    }

    @Test void forgettingADomainDropsItsViewsAndItsSlotsButNotThePartners() {
        Ledger l = new Ledger();
        l.viewCreated(A, ViewId.of(1), MemAccess.RWX);
        l.nominated(new Slot(A, G1), H2);
        l.nominated(new Slot(B, G2), H3);
        l.merged(H3, H2);
        l.forgetDomain(A);
        assertFalse(l.manages(A));
        assertEquals(Set.of(new Slot(B, G2)), l.frameOf(new Slot(B, G2)));
        assertTrue(l.views(A).isEmpty());
    }

    @Test void writeEventsAreNeededOnlyWhileAGfnIsBothSharedAndDeclared() {
        Ledger l = new Ledger();
        l.viewCreated(A, ViewId.of(1), MemAccess.RWX);
        ViewDecl v = l.view(A, ViewId.of(1)).orElseThrow();
        v.putAccess(G1, MemAccess.R);
        assertFalse(l.needsWriteEvents(A));                 // declared, private
        l.nominated(new Slot(A, G2), H2);
        assertFalse(l.needsWriteEvents(A));                 // shared, undeclared
        l.nominated(new Slot(A, G1), H3);
        assertTrue(l.needsWriteEvents(A));
        l.removeSlot(new Slot(A, G1));
        assertFalse(l.needsWriteEvents(A));
        v.putRemap(G2, G3);
        assertTrue(l.needsWriteEvents(A));                  // a remapped source counts as declared
        assertEquals(List.of(v.view()), l.viewsRemappingTo(A, G3).stream().map(ViewDecl::view).toList());
        assertEquals(Set.of(G1, G2, G3), l.declaredGfns(A));
    }

    @Test void declarationSnapshotsAreDetachedFromTheLedger() {
        Ledger l = new Ledger();
        l.viewCreated(A, ViewId.of(2), MemAccess.N);
        ViewDecl snap = l.declaration(A, ViewId.of(2)).orElseThrow();
        l.view(A, ViewId.of(2)).orElseThrow().putAccess(G1, MemAccess.X);
        assertTrue(snap.access().isEmpty());
        assertEquals(MemAccess.N, snap.defaultAccess());
        assertThrows(UnsupportedOperationException.class, () -> snap.access().put(G1, MemAccess.R));
    }
}
