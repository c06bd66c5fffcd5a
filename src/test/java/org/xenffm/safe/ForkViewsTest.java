// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.emulated.Outcome;

/** Forks and fork_reset with declared views (§3.10 step 6, §3.11, scenarios 19–21). */
@ParameterizedClass(name = "{0}")
@EnumSource(Release.class)
class ForkViewsTest extends RigTest {
    ForkViewsTest(Release release) { super(release); }

    static final Gfn G = Gfn.of(10), S = Gfn.of(12), T = Gfn.of(20);

    /**
     * ≥ 4.19 ({@link Release#forksAltp2mParents}): forking d1, which has altp2m, is refused before any call and d1
     * keeps running. False on 4.17 (go on).
     */
    boolean forkOfD1Refused() {
        if (release.forksAltp2mParents()) return false;
        int domains = r.hv.domainGetinfolist(DomainId.of(0), 64).size();
        ReleaseLimitException x = assertThrows(ReleaseLimitException.class, () -> r.safe.fork(r.d1, null, true));
        assertEquals(Hazard.FORK_OF_ALTP2M_PARENT, x.hazard());
        assertEquals(r.d1, x.domain());
        assertTrue(x.wayOut().contains("without altp2m"), x.wayOut());
        assertEquals(domains, r.hv.domainGetinfolist(DomainId.of(0), 64).size(), "no child was created");
        assertEquals(Outcome.COMPLETED, r.write(r.d1, 0, S, "parent runs on"));
        return true;
    }

    @Test void rawForkCopiesNoView() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.RX);
        if (forkOfD1Refused()) {                          // what raw Xen would have answered
            DomainId c = r.hv.domainCreate(org.xenffm.api.DomainConfig.forkChild(2)
                    .withAltp2mMode(org.xenffm.api.HvmParam.ALTP2M_EXTERNAL));
            var e = assertThrows(org.xenffm.api.XenException.class, () -> r.hv.memshrFork(r.d1, c, false, false));
            assertEquals(org.xenffm.api.Errno.EEXIST, e.errno());
            return;
        }
        DomainId c = r.safe.fork(r.d1, null, false);
        assertFalse(r.hv.altp2mGetDomainState(c), "Xen gives the child no active altp2m");
    }

    @Test void aChildOfAParentWithoutAltp2mTakesViews() {
        DomainId p = r.guest(org.xenffm.api.HvmParam.ALTP2M_DISABLED);
        DomainId c = r.safe.fork(p, null, false);
        r.hv.domainUnpause(c);
        ViewId v = r.safe.createView(c, MemAccess.RWX);
        assertEquals(org.xenffm.api.HvmParam.ALTP2M_EXTERNAL, r.hv.hvmParamGet(c, org.xenffm.api.HvmParam.ALTP2M),
                "≥ 4.19: given at the child's creation; 4.17: set by createView");
        r.safe.setViewAccess(c, v, G, MemAccess.RX);
        r.safe.remap(c, v, S, T);
        r.safe.switchToView(c, v);
        assertEquals(Rig.label(20), r.read(c, 0, S));
        assertEquals(Outcome.COMPLETED, r.write(c, 0, G, "child writes G"));
        assertEquals(1, r.faults.forwarded().size(), "the child's declared rx reached the caller");
        assertEquals(Rig.label(10), r.peekText(p, G), "the parent's page is untouched");
        assertEquals(List.of(), r.safe.audit(c));
    }

    @Test void forkRecreatesDeclaredViewsWithTheSameIndicesAndEntries() {
        ViewId filler = r.safe.createView(r.d1, MemAccess.RWX);
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.destroyView(r.d1, filler);                 // the declared view is 2 with slot 1 free
        r.safe.setViewAccess(r.d1, v, G, MemAccess.RX);
        r.safe.remap(r.d1, v, S, T);
        if (forkOfD1Refused()) return;                    // a parent with views has altp2m
        DomainId c = r.safe.fork(r.d1, null, true);
        r.hv.domainUnpause(c);
        assertTrue(r.hv.altp2mGetDomainState(c));
        assertEquals(ViewId.of(2), v);
        assertEquals(MemAccess.RX, r.viewAccess(c, v, G));
        assertThrows(org.xenffm.api.XenException.class, () -> r.hv.altp2mGetMemAccess(c, filler, Gfn.INVALID),
                "the filler slot is not left active");
        r.safe.switchToView(c, v);
        assertEquals(Rig.label(20), r.read(c, 0, S), "the child's view remaps S onto T's content");
        assertEquals(Rig.label(10), r.read(c, 0, G));
        assertEquals(Outcome.COMPLETED, r.write(c, 0, G, "child writes G"));
        assertEquals(1, r.faults.forwarded().size(), "the child's declared rx reached the caller");
        assertEquals(r.hv.config().version(), r.hv.version());
        assertEquals(List.of(), r.safe.audit(c));
    }

    @Test void forkResetReappliesViewsBeforeTheChildRuns() {
        DomainId c = r.safe.fork(r.forkParent(), null, false);
        r.hv.domainUnpause(c);
        ViewId v = r.safe.createView(c, MemAccess.RWX);
        r.safe.setViewAccess(c, v, G, MemAccess.RWX);     // same as host: fork_reset does not pin it
        r.safe.remap(c, v, S, T);                         // T's drop lies in the remap range: view reset (§4.8)
        r.safe.switchToView(c, v);
        assertEquals(Outcome.COMPLETED, r.write(c, 1, T, "child T"));
        r.safe.forkReset(c, false, true);
        assertEquals(List.of(), r.safe.audit(c));
        assertEquals(MemAccess.RWX, r.viewAccess(c, v, G));
        assertEquals(Rig.label(20), r.read(c, 0, S), "remap back, and T reset to the parent's content");
        assertFalse(r.hv.crashed());
    }

    @Test void viewOnAForkGfnReadPopulatedFromTheParentIsResharedWithTheParent() {
        DomainId parent = r.forkParent();
        DomainId c = r.safe.fork(parent, null, false);
        r.hv.domainUnpause(c);
        assertEquals(Rig.label(10), r.read(c, 0, G));     // read-populates: shared with the parent (§3.10)
        assertEquals(2, r.shareCount(c, G));
        ViewId v = r.safe.createView(c, MemAccess.RWX);
        if (!release.keepsViewsOnSharedGfns()) {
            var x = assertThrows(ReleaseLimitException.class, () -> r.safe.setViewAccess(c, v, G, MemAccess.R));
            assertEquals(Hazard.SHARED_AND_DECLARED_ON_4_19, x.hazard());
            assertEquals(2, r.shareCount(c, G), "still shared with the parent");
            r.safe.setViewAccess(c, v, G, MemAccess.R, ConflictPolicy.UNSHARE);   // the way out it names
            assertEquals(0, r.shareCount(c, G));
            assertEquals(MemAccess.R, r.viewAccess(c, v, G));
            assertEquals(Rig.label(10), r.read(c, 0, G));
            assertEquals(Rig.label(10), r.peekText(parent, G), "the parent's page is untouched");
            assertEquals(List.of(), r.safe.audit(c));
            return;
        }
        r.safe.setViewAccess(c, v, G, MemAccess.R);       // raw: the lock-order panic
        assertFalse(r.hv.crashed());
        assertEquals(2, r.shareCount(c, G), "shared with the parent again");
        assertEquals(2, r.shareCount(parent, G));
        assertEquals(MemAccess.R, r.viewAccess(c, v, G));
        assertEquals(Outcome.COMPLETED, r.write(c, 1, G, "child G in view 0"));
        assertEquals(MemAccess.R, r.viewAccess(c, v, G), "kept across the child's unshare");
        assertEquals(Rig.label(10), r.peekText(parent, G), "the parent's page is untouched");
        assertEquals(List.of(), r.safe.audit(c));
    }

    @Test void viewOnAnUnpopulatedForkGfnPopulatesItPrivatelyFirst() {
        DomainId c = r.safe.fork(r.forkParent(), null, false);
        ViewId v = r.safe.createView(c, MemAccess.RWX);
        r.safe.setViewAccess(c, v, G, MemAccess.RX);
        assertEquals(0, r.shareCount(c, G), "populated as a private copy");
        assertEquals(MemAccess.RX, r.viewAccess(c, v, G));
        r.hv.domainUnpause(c);
        assertEquals(Rig.label(10), r.read(c, 0, G));
    }

    @Test void aChildReadNominatesTheParentsDeclaredGfnAndDestroyResyncsIt() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        if (forkOfD1Refused()) return;                    // a parent with views has altp2m
        r.safe.setViewAccess(r.d1, v, T, MemAccess.R);
        r.safe.share(r.d1, T, r.d2, T);                   // d1 armed: its default is now write-less
        r.safe.setViewAccess(r.d1, v, G, MemAccess.RWX);  // same as the host: nominate accepts it
        DomainId c = r.safe.fork(r.d1, null, false);
        r.hv.domainUnpause(c);
        assertEquals(Rig.label(10), r.read(c, 0, G));     // mem_sharing_fork_page nominates d1:G behind our back
        assertEquals(2, r.shareCount(r.d1, G));
        var kinds = r.safe.audit(r.d1).stream().map(SharingAwareAltp2m.Discrepancy::kind).toList();
        assertTrue(kinds.contains(SharingAwareAltp2m.Discrepancy.Kind.SHARED_BEHIND_LEDGER), kinds.toString());
        assertTrue(kinds.contains(SharingAwareAltp2m.Discrepancy.Kind.VIEW_ACCESS_MISMATCH), kinds.toString());
        r.safe.destroyDomain(c);
        assertEquals(List.of(), r.safe.auditDeclared(r.d1));
        assertEquals(MemAccess.RWX, r.viewAccess(r.d1, v, G));
        assertEquals(Outcome.COMPLETED, r.write(r.d1, 0, G, "parent G"));
        assertEquals(MemAccess.RWX, r.viewAccess(r.d1, v, G));
        assertEquals(List.of(), r.safe.auditDeclared(r.d1));
    }

    @Test void aRemapTargetNominatedByAChildReadIsMadePrivateAgain() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.remap(r.d1, v, S, T);
        if (forkOfD1Refused()) return;                    // a parent with views has altp2m
        DomainId c = r.safe.fork(r.d1, null, false);
        r.hv.domainUnpause(c);
        assertEquals(Rig.label(20), r.read(c, 0, T));     // the child's read nominates the parent's T
        assertEquals(2, r.shareCount(r.d1, T));
        r.safe.destroyDomain(c);
        assertEquals(0, r.shareCount(r.d1, T), "a remap target never stays shared");
        r.safe.switchToView(r.d1, v);
        assertEquals(Outcome.COMPLETED, r.write(r.d1, 0, S, "through the remap"));
        r.safe.switchToView(r.d1, ViewId.HOST);
        assertEquals("through the remap", r.read(r.d1, 0, T));
        assertEquals(Rig.label(12), r.read(r.d1, 0, S));
    }

    @Test void destroyingTheForkForgetsItAndReleasesTheParent() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.RX);
        if (forkOfD1Refused()) return;                    // a parent with views has altp2m
        DomainId c = r.safe.fork(r.d1, null, true);
        r.safe.destroyDomain(c);
        assertFalse(r.safe.ledger().manages(c));
        assertEquals(Outcome.COMPLETED, r.write(r.d1, 0, S, "parent runs again"));
        assertEquals(MemAccess.RX, r.viewAccess(r.d1, v, G));
    }
}
