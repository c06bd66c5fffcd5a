// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.HypervisorCrashedException;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;
import org.xenffm.emulated.Outcome;

/**
 * Every ordering of sharing and view changes on one gfn, on the emulated Xen 4.17 (docs/xen-semantics.md §8 scenarios
 * 10–16): first what raw Xen does (the hazard is real in the emulator), then what the safe layer leaves behind —
 * sharing state (debug_gfn, counters), view state (altp2m get_mem_access), what the guest reads, and the events.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Release.class)
class OrderingsTest extends RigTest {
    OrderingsTest(Release release) { super(release); }

    static final Gfn G = Gfn.of(10), T = Gfn.of(20), U = Gfn.of(21);

    /**
     * ≥ 4.19 ({@link Release#keepsViewsOnSharedGfns}): sharing d1:G, which a view declares, is refused before any
     * call — nothing nominated, the declarations as they were, the domain not armed. False on 4.17 (go on).
     */
    boolean shareOfDeclaredGRefused(ConflictPolicy p) {
        if (release.keepsViewsOnSharedGfns()) return false;
        ReleaseLimitException x = assertThrows(ReleaseLimitException.class,
                () -> r.safe.share(r.d1, G, r.d2, G, p, true));
        assertEquals(Hazard.SHARED_AND_DECLARED_ON_4_19, x.hazard());
        assertEquals(release.version, x.running());
        assertEquals(r.d1, x.domain());
        assertTrue(x.getMessage().contains("default access"), x.getMessage());
        assertEquals(0, r.shareCount(r.d1, G));
        assertEquals(0, r.shareCount(r.d2, G));
        assertEquals(0, r.hv.sharingUsedFrames(), "nothing nominated");
        assertEquals(List.of(), r.safe.audit(r.d1), "the declarations are untouched");
        assertFalse(r.safe.ledger().needsWriteEvents(r.d1), "not armed");
        assertEquals(MemAccess.RWX, r.hv.altp2mGetMemAccess(r.d1, ViewId.HOST, G), "the host entry as it was");
        return true;
    }

    boolean shareOfDeclaredGRefused() { return shareOfDeclaredGRefused(ConflictPolicy.KEEP_BOTH); }

    /**
     * ≥ 4.19: a view declaration on the shared d1:G is refused before any call — G still shared, the view declares
     * nothing. False on 4.17.
     */
    boolean declarationOnSharedGRefused(ViewId v, org.junit.jupiter.api.function.Executable call) {
        if (release.keepsViewsOnSharedGfns()) return false;
        ReleaseLimitException x = assertThrows(ReleaseLimitException.class, call);
        assertEquals(Hazard.SHARED_AND_DECLARED_ON_4_19, x.hazard());
        assertEquals(java.util.Optional.of(v), x.view());
        assertTrue(x.wayOut().contains("UNSHARE"), x.wayOut());
        assertFalse(r.hv.crashed());
        assertEquals(2, r.shareCount(r.d1, G), "still shared");
        var decl = r.safe.ledger().declaration(r.d1, v).orElseThrow();
        assertTrue(decl.access().isEmpty() && decl.remaps().isEmpty(), "nothing declared");
        assertEquals(List.of(), r.safe.audit(r.d1));
        return true;
    }

    // ---- altp2m set, then share (scenario 10) -----------------------------------------------------------------

    @Test void rawNominateOfARestrictedGfnIsEinval() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.RX);
        XenException x = assertThrows(XenException.class, () -> r.hv.memshrNominateGfn(r.d1, G));
        assertEquals(Errno.EINVAL, x.errno());
    }

    @Test void viewSetThenShareKeepsTheRestrictionOnTheSharedEntry() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.RX);
        if (shareOfDeclaredGRefused()) return;
        var res = r.safe.share(r.d1, G, r.d2, G);
        assertEquals(2, r.shareCount(r.d1, G));
        assertEquals(2, r.shareCount(r.d2, G));
        assertEquals(MemAccess.RX, r.viewAccess(r.d1, v, G));
        assertEquals(1, r.hv.sharingUsedFrames());
        assertEquals(1, r.hv.sharingFreedPages());
        assertEquals(res.handle(), r.hv.memshrNominateGfn(r.d2, G));
        assertEquals(MemAccess.RX, r.hv.getMemAccess(r.d1, Gfn.INVALID), "armed: write-less default");
        assertEquals(List.of(), r.safe.audit(r.d1));
        assertEquals(List.of(), r.safe.audit(r.d2));
    }

    @Test void viewSetThenShareUnderRefuseExplainsAndChangesNothing() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.RX);
        if (shareOfDeclaredGRefused(ConflictPolicy.REFUSE)) return;    // the release's limit comes first
        NominateConflictException x = assertThrows(NominateConflictException.class,
                () -> r.safe.share(r.d1, G, r.d2, G, ConflictPolicy.REFUSE, true));
        assertEquals(List.of(v), x.conflictingViews());
        assertEquals(Hazard.NOMINATE_VIEW_ACCESS_DIFFERS, x.hazard());
        assertTrue(x.getMessage().contains("EINVAL") && x.getMessage().contains("KEEP_BOTH"), x.getMessage());
        assertEquals(0, r.shareCount(r.d1, G));
        assertEquals(MemAccess.RX, r.viewAccess(r.d1, v, G));
        assertEquals(0, r.hv.sharingUsedFrames());
    }

    @Test void aNominateEinvalFromAViewXenffmDoesNotKnowIsExplainedToo() {
        r.safe.createView(r.d1, MemAccess.RWX);                       // activates altp2m
        ViewId raw = r.hv.altp2mCreateView(r.d1, MemAccess.RWX);     // created behind xenffm's back
        r.hv.altp2mSetMemAccess(r.d1, raw, G, MemAccess.X);
        NominateConflictException x = assertThrows(NominateConflictException.class, () -> r.safe.nominate(r.d1, G));
        assertTrue(x.getMessage().contains("not created through xenffm"), x.getMessage());
        assertEquals(0, r.shareCount(r.d1, G));
    }

    // ---- share, then altp2m set (scenario 12) -----------------------------------------------------------------

    @Test void rawViewAccessOnAnUncopiedSharedGfnCrashesTheEmulatedHost() {
        testCrashesOnPurpose = true;
        r.safe.share(r.d1, G, r.d2, G);
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        assertThrows(HypervisorCrashedException.class, () -> r.hv.altp2mSetMemAccess(r.d1, v, G, MemAccess.RX));
        assertTrue(r.hv.crashed());
    }

    @Test void shareThenViewSetKeepBothResharesAroundTheView() {
        r.safe.share(r.d1, G, r.d2, G);
        long used = r.hv.sharingUsedFrames(), freed = r.hv.sharingFreedPages();
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        if (declarationOnSharedGRefused(v, () -> r.safe.setViewAccess(r.d1, v, G, MemAccess.RX))) return;
        r.safe.setViewAccess(r.d1, v, G, MemAccess.RX);
        assertFalse(r.hv.crashed());
        assertEquals(2, r.shareCount(r.d1, G), "still deduplicated");
        assertEquals(MemAccess.RX, r.viewAccess(r.d1, v, G));
        assertEquals(used, r.hv.sharingUsedFrames());
        assertEquals(freed, r.hv.sharingFreedPages());
        assertEquals(1, r.safe.stats().reshares);
        assertEquals(Rig.label(10), r.read(r.d1, 0, G));
        assertEquals(List.of(), r.safe.audit(r.d1));
    }

    @Test void shareThenViewSetUnderRefuseThrowsCrashHazard() {
        r.safe.share(r.d1, G, r.d2, G);
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        if (declarationOnSharedGRefused(v,
                () -> r.safe.setViewAccess(r.d1, v, G, MemAccess.RX, ConflictPolicy.REFUSE))) return;
        CrashHazardException x = assertThrows(CrashHazardException.class,
                () -> r.safe.setViewAccess(r.d1, v, G, MemAccess.RX, ConflictPolicy.REFUSE));
        assertEquals(Hazard.VIEW_CHANGE_ON_UNCOPIED_SHARED_GFN, x.hazard());
        assertFalse(r.hv.crashed());
        assertNull(r.viewAccess(r.d1, v, G), "nothing was applied");
        assertTrue(r.safe.ledger().declaration(r.d1, v).orElseThrow().access().isEmpty());
    }

    @Test void shareThenViewSetUnderUnshareGivesUpThatGfnOnly() {
        r.safe.share(r.d1, G, r.d2, G);
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.R, ConflictPolicy.UNSHARE);
        assertEquals(0, r.shareCount(r.d1, G));
        assertEquals(1, r.shareCount(r.d2, G), "the partner keeps the frame");
        assertEquals(MemAccess.R, r.viewAccess(r.d1, v, G));
        assertEquals(Rig.label(10), r.read(r.d1, 0, G));
        assertEquals(List.of(), r.safe.audit(r.d1));
    }

    @Test void shareThenGuestCopiesIntoViewThenViewSetNeedsNoReshare() {   // scenario 13
        r.safe.share(r.d1, G, r.d2, G);
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.switchToView(r.d1, v);
        assertEquals(Rig.label(10), r.read(r.d1, 0, G));                   // lazy copy of the shared entry
        if (declarationOnSharedGRefused(v,
                () -> r.safe.setViewAccess(r.d1, v, G, MemAccess.RX, ConflictPolicy.REFUSE))) return;
        r.safe.setViewAccess(r.d1, v, G, MemAccess.RX, ConflictPolicy.REFUSE);
        assertEquals(0, r.safe.stats().reshares);
        assertEquals(2, r.shareCount(r.d1, G));
        assertEquals(MemAccess.RX, r.viewAccess(r.d1, v, G));
    }

    // ---- remaps and shared frames (scenario 11, §4.7 hazard) --------------------------------------------------

    @Test void remappedGfnGetsSharedAndTheViewStillShowsTheTarget() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.remap(r.d1, v, G, T);
        assertThrows(XenException.class, () -> r.hv.memshrNominateGfn(r.d1, G), "raw: EINVAL");
        if (shareOfDeclaredGRefused()) return;
        r.safe.share(r.d1, G, r.d2, G);
        assertEquals(2, r.shareCount(r.d1, G));
        r.safe.switchToView(r.d1, v);
        assertEquals(Rig.label(20), r.read(r.d1, 0, G), "view 1 shows T's frame at G");
        r.safe.switchToView(r.d1, ViewId.HOST);
        assertEquals(Rig.label(10), r.read(r.d1, 0, G));
        assertEquals(List.of(), r.safe.audit(r.d1));
    }

    @Test void aRemapTargetIsNeverShared() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.remap(r.d1, v, G, T);
        RemapConflictException x = assertThrows(RemapConflictException.class, () -> r.safe.share(r.d1, T, r.d2, T));
        assertEquals(Hazard.NOMINATE_REMAP_TARGET, x.hazard());
        assertTrue(x.getMessage().contains(G.toString()), x.getMessage());
        assertEquals(0, r.shareCount(r.d1, T));
    }

    @Test void remapOntoASharedTargetIsRefusedOrUnsharesTheTarget() {
        r.safe.share(r.d1, T, r.d2, T);
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        RemapConflictException x = assertThrows(RemapConflictException.class, () -> r.safe.remap(r.d1, v, G, T));
        assertEquals(Hazard.REMAP_TO_SHARED_TARGET, x.hazard());
        assertFalse(r.hv.crashed());
        r.safe.remap(r.d1, v, G, T, ConflictPolicy.UNSHARE);
        assertEquals(0, r.shareCount(r.d1, T));
        assertEquals(1, r.shareCount(r.d2, T));
        r.safe.switchToView(r.d1, v);
        assertEquals(Rig.label(20), r.read(r.d1, 0, G));
    }

    @Test void remapOfASharedSourceTheViewLacksIsReshared() {
        r.safe.share(r.d1, G, r.d2, G);
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        if (declarationOnSharedGRefused(v, () -> r.safe.remap(r.d1, v, G, T))) {
            r.safe.remap(r.d1, v, G, T, ConflictPolicy.UNSHARE);           // the way out the refusal names
            assertFalse(r.hv.crashed());
            assertEquals(0, r.shareCount(r.d1, G));
            assertEquals(1, r.shareCount(r.d2, G));
            r.safe.switchToView(r.d1, v);
            assertEquals(Rig.label(20), r.read(r.d1, 0, G));
            return;
        }
        r.safe.remap(r.d1, v, G, T);          // raw change_gfn here is scenario 16's panic
        assertFalse(r.hv.crashed());
        assertEquals(2, r.shareCount(r.d1, G));
        r.safe.switchToView(r.d1, v);
        assertEquals(Rig.label(20), r.read(r.d1, 0, G));
    }

    // ---- unshare from view 0 and from the view itself (scenario 14) -------------------------------------------

    @Test void rawUnshareSilentlyDropsTheViewRestriction() {
        // Baseline without the keeper: scenario 14 on the emulator.
        var hv = r.hv;
        r.safe.share(r.d1, U, r.d2, U);
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.switchToView(r.d1, v);
        r.read(r.d1, 0, U);                                               // view copies the shared entry
        hv.altp2mSetMemAccess(r.d1, v, U, MemAccess.R);                   // raw call, undeclared
        r.safe.switchToView(r.d1, ViewId.HOST);
        assertEquals(Outcome.COMPLETED, r.write(r.d1, 0, U, "raw write"));
        assertEquals(0, r.shareCount(r.d1, U));
        assertNotEquals(MemAccess.R, r.viewAccess(r.d1, v, U), "Xen dropped the restriction");
    }

    /**
     * Why ≥ 4.19 refuses a gfn both shared and declared: with the host default armed as the layer does on 4.17, an
     * unsharing write from view 0 (which has not copied G) faults on 4.17, but on 4.20 view 0's lazy copy takes
     * view 0's own default (rwx), so nothing is seen while the unshare reset the view's restriction.
     */
    @Test void rawArmedDefaultSeesAnUnshareFromAnUncopiedViewOnlyOn417() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);          // altp2m active: view 0 starts empty
        r.safe.watch(r.d1);                                          // the monitor ring; events reach the keeper
        r.safe.share(r.d1, G, r.d2, G);
        r.safe.switchToView(r.d1, v);                                // vCPUs 0 and 1 in v
        r.read(r.d1, 0, G);                                          // v copies the shared entry
        r.hv.altp2mSetMemAccess(r.d1, v, G, MemAccess.R);            // raw: v holds it, so nothing unshares
        r.hv.setMemAccess(r.d1, MemAccess.RX, Gfn.INVALID, 0);       // raw: the layer's 4.17 arming
        r.hv.altp2mSwitchToView(r.d1, ViewId.HOST);                  // back to view 0, which lacks G
        assertEquals(Outcome.COMPLETED, r.write(r.d1, 1, G, "from view 0"));
        assertEquals(0, r.shareCount(r.d1, G), "the write unshared G");
        assertEquals(MemAccess.RX, r.viewAccess(r.d1, v, G), "both: the unshare pushed the host default into v");
        assertEquals(release.keepsViewsOnSharedGfns() ? 1 : 0, r.safe.stats().faults,
                "4.17: view 0 copied the armed host entry and the write faulted; 4.20: it copied its own default");
    }

    @Test void unshareFromView0RestoresTheViewBeforeTheVcpuGoesOn() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.R);
        if (shareOfDeclaredGRefused()) return;
        r.safe.share(r.d1, G, r.d2, G);
        assertEquals(Outcome.COMPLETED, r.write(r.d1, 1, G, "written in view 0"));
        assertEquals(0, r.shareCount(r.d1, G), "the write unshared");
        assertEquals(1, r.shareCount(r.d2, G));
        assertEquals(MemAccess.R, r.viewAccess(r.d1, v, G), "restriction re-applied");
        assertEquals(MemAccess.RWX, r.hv.altp2mGetMemAccess(r.d1, ViewId.HOST, G), "host back to normal");
        assertEquals("written in view 0", r.read(r.d1, 0, G));
        assertEquals(Rig.label(10), r.read(r.d2, 0, G), "the partner still reads the old page");
        assertEquals(1, r.safe.stats().unsharesCaught);
        assertEquals(1, r.safe.stats().faults, "exactly one event: the write after the unshare");
        assertEquals(1, r.faults.resumed());
        assertEquals(List.of(), r.faults.forwarded(), "nothing violated a declared view");
        assertEquals(MemAccess.RWX, r.hv.getMemAccess(r.d1, Gfn.INVALID), "disarmed: nothing shared+declared");
        assertEquals(List.of(), r.safe.audit(r.d1));
        assertEquals(List.of(), r.safe.audit(r.d2));
    }

    @Test void unshareFromTheRestrictedViewReachesTheCallerExactlyOnce() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.R);
        if (shareOfDeclaredGRefused()) return;
        r.safe.share(r.d1, G, r.d2, G);
        r.safe.switchToView(r.d1, v);
        Outcome o = r.write(r.d1, 0, G, "written in view 1");
        assertEquals(Outcome.COMPLETED, o, "forwarded and emulated (the default answer)");
        assertEquals(1, r.faults.forwarded().size(), "one violation of the declared r, no duplicate");
        assertEquals(1, r.safe.stats().faults, "the unshare's event is the caller's event: one request in all");
        assertEquals(1, r.safe.stats().unsharesCaught);
        var e = r.faults.forwarded().getFirst();
        assertEquals(G, e.gfn());
        assertEquals(java.util.Optional.of(v), e.header().view());
        assertTrue(e.write());
        assertEquals(MemAccess.R, r.viewAccess(r.d1, v, G));
        assertEquals(0, r.shareCount(r.d1, G));
        assertEquals(List.of(), r.safe.audit(r.d1));
    }

    @Test void unshareUndoesARemapAndTheKeeperPutsItBack() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.remap(r.d1, v, G, T);
        if (shareOfDeclaredGRefused()) return;
        r.safe.share(r.d1, G, r.d2, G);
        assertEquals(Outcome.COMPLETED, r.write(r.d1, 1, G, "host G"));     // vCPU 1 in view 0
        assertEquals(0, r.shareCount(r.d1, G));
        r.safe.switchToView(r.d1, v);
        assertEquals(Rig.label(20), r.read(r.d1, 0, G), "view 1 remaps G onto T again");
        assertEquals(Outcome.COMPLETED, r.write(r.d1, 0, G, "through the remap"));
        r.safe.switchToView(r.d1, ViewId.HOST);
        assertEquals("through the remap", r.read(r.d1, 0, T));
        assertEquals("host G", r.read(r.d1, 0, G));
        assertEquals(List.of(), r.faults.forwarded());
    }

    @Test void explicitUnshareReappliesSynchronously() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.X);
        if (shareOfDeclaredGRefused()) return;
        r.safe.share(r.d1, G, r.d2, G);
        assertTrue(r.safe.unshare(r.d1, G));
        assertFalse(r.safe.unshare(r.d1, G));
        assertEquals(MemAccess.X, r.viewAccess(r.d1, v, G));
        assertEquals(MemAccess.RWX, r.hv.altp2mGetMemAccess(r.d1, ViewId.HOST, G));
        assertEquals(Rig.label(10), r.read(r.d1, 0, G));
        assertEquals(List.of(), r.safe.audit(r.d1));
    }

    @Test void rangeShareReportsEveryGfnAndKeepsViews() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.RX);
        r.safe.remap(r.d1, v, Gfn.of(11), T);
        r.fill(r.d2, Gfn.of(12), "different");
        var out = r.safe.shareRange(r.d1, r.d2, G, T, ConflictPolicy.KEEP_BOTH);
        assertEquals(11, out.size());
        for (var e : out) {
            long g = e.gfn().value();
            if (g == 12) assertInstanceOf(IllegalArgumentException.class, e.refused().orElseThrow(), "content");
            else if ((g == 10 || g == 11) && !release.keepsViewsOnSharedGfns())
                assertInstanceOf(ReleaseLimitException.class, e.refused().orElseThrow(), "declared in view 1");
            else if (g == 20) assertInstanceOf(RemapConflictException.class, e.refused().orElseThrow(), "target");
            else assertTrue(e.handle().isPresent(), e.toString());
        }
        assertEquals(release.keepsViewsOnSharedGfns() ? 9 : 7, r.hv.sharingUsedFrames());
        assertEquals(MemAccess.RX, r.viewAccess(r.d1, v, G));
        r.safe.switchToView(r.d1, v);
        assertEquals(Rig.label(20), r.read(r.d1, 0, Gfn.of(11)));
        assertEquals(List.of(), r.safe.auditDeclared(r.d1));
    }

    @Test void twoVcpusWritingTheSameSharedGfnGetOneRepairAndNoStaleViolation() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.RX);
        if (shareOfDeclaredGRefused()) return;
        r.safe.share(r.d1, G, r.d2, G);
        org.xenffm.emulated.GuestResult a, b;
        synchronized (r.safe) {             // hold the keeper: both writes fault before either event is handled
            a = r.hv.guest(r.d1).vcpu(0).write(G, 0, new byte[] {'a'});
            b = r.hv.guest(r.d1).vcpu(1).write(G, 8, new byte[] {'b'});
            assertEquals(Outcome.PAUSED_ON_EVENT, a.outcome());
            assertEquals(Outcome.PAUSED_ON_EVENT, b.outcome());
        }
        assertEquals(Outcome.COMPLETED, a.await(Rig.WAIT));
        assertEquals(Outcome.COMPLETED, b.await(Rig.WAIT));
        assertEquals(2, r.safe.stats().faults);
        assertEquals(1, r.safe.stats().unsharesCaught, "the second event finds the views already repaired");
        assertEquals(2, r.faults.resumed());
        assertEquals(List.of(), r.faults.forwarded());
        assertEquals(MemAccess.RX, r.viewAccess(r.d1, v, G));
        byte[] page = r.hv.guest(r.d1).peek(G);
        assertEquals('a', page[0]);
        assertEquals('b', page[8]);
    }

    @Test void aShareBehindTheLedgersBackShowsAsAHandleMismatchAndIsReconciled() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.R);
        if (shareOfDeclaredGRefused()) return;
        var res = r.safe.share(r.d1, G, r.d2, G);
        var hx = r.hv.memshrNominateGfn(r.d2, U);                        // raw: d1:G's frame merged into d2:U's
        r.hv.memshrShareGfns(r.d2, U, hx, r.d1, G, res.handle());
        var kinds = r.safe.audit(r.d1).stream().map(SharingAwareAltp2m.Discrepancy::kind).toList();
        assertTrue(kinds.contains(SharingAwareAltp2m.Discrepancy.Kind.HANDLE_MISMATCH), kinds.toString());
        assertTrue(kinds.contains(SharingAwareAltp2m.Discrepancy.Kind.VIEW_ACCESS_MISMATCH), kinds.toString());
        assertTrue(r.safe.reconcile(r.d1) > 0);
        assertEquals(List.of(), r.safe.audit(r.d1));
        assertEquals(hx, r.safe.ledger().handle(new Slot(r.d1, G)).orElseThrow());
        assertEquals(MemAccess.R, r.viewAccess(r.d1, v, G));
    }

    /**
     * A declared gfn shared behind the ledger's back (raw nominate + share; the view holds the host's access, so
     * nominate accepts it): 4.17 keeps both and arms the domain; ≥ 4.19, where both cannot be kept, reconcile
     * unshares it and the declaration stays.
     */
    @Test void aDeclaredGfnSharedBehindTheLedgersBackIsReconciledPerRelease() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.RWX);                 // same as the host: nominate accepts it
        var h1 = r.hv.memshrNominateGfn(r.d1, G);
        var h2 = r.hv.memshrNominateGfn(r.d2, G);
        r.hv.memshrShareGfns(r.d1, G, h1, r.d2, G, h2);
        assertEquals(2, r.shareCount(r.d1, G));
        assertTrue(r.safe.reconcile(r.d1) > 0);
        assertEquals(MemAccess.RWX, r.viewAccess(r.d1, v, G));
        if (release.keepsViewsOnSharedGfns()) {
            assertEquals(2, r.shareCount(r.d1, G), "4.17: kept shared, the domain armed");
            assertTrue(r.safe.ledger().needsWriteEvents(r.d1));
        } else {
            assertEquals(0, r.shareCount(r.d1, G), "≥ 4.19: unshared, the declaration kept");
            assertEquals(1, r.shareCount(r.d2, G));
            assertFalse(r.safe.ledger().needsWriteEvents(r.d1));
        }
        assertEquals(List.of(), r.safe.auditDeclared(r.d1));
        assertEquals(Rig.label(10), r.read(r.d1, 0, G));
    }

    // ---- a sharing partner is destroyed (§3.9, scenario 31) ---------------------------------------------------

    @Test void partnerDestructionLeavesTheSurvivorSharedAloneWithItsViews() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.RX);
        if (shareOfDeclaredGRefused()) return;
        r.safe.share(r.d1, G, r.d2, G);
        r.safe.destroyDomain(r.d2);
        assertEquals(1, r.shareCount(r.d1, G));
        assertEquals(MemAccess.RX, r.viewAccess(r.d1, v, G));
        assertEquals(List.of(), r.safe.audit(r.d1));
        assertEquals(java.util.Set.of(new Slot(r.d1, G)), r.safe.ledger().frameOf(new Slot(r.d1, G)));
        assertEquals(Outcome.COMPLETED, r.write(r.d1, 0, G, "last owner writes"));   // last-reference unshare
        assertEquals(0, r.shareCount(r.d1, G));
        assertEquals(0, r.hv.sharingUsedFrames());
        assertEquals(MemAccess.RX, r.viewAccess(r.d1, v, G));
        assertEquals(1, r.safe.stats().unsharesCaught);
    }

    /** xl destroy (the toolstack, not the layer) of a watched partner: domainDestroyed forgets it, as destroyDomain. */
    @Test void partnerDestroyedByTheToolstackIsForgottenAndItsSessionClosed() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.RX);
        ViewId v2 = r.safe.createView(r.d2, MemAccess.RWX);
        r.safe.setViewAccess(r.d2, v2, U, MemAccess.R);                  // d2 watched: a monitor session of its own
        if (shareOfDeclaredGRefused()) return;
        r.safe.share(r.d1, G, r.d2, G);
        r.hv.domainDestroy(r.d2);                                        // behind the layer's back
        r.safe.domainDestroyed(r.d2);
        assertFalse(r.safe.ledger().manages(r.d2));
        assertEquals(java.util.Set.of(new Slot(r.d1, G)), r.safe.ledger().frameOf(new Slot(r.d1, G)));
        assertEquals(1, r.shareCount(r.d1, G));
        assertEquals(List.of(), r.safe.audit(r.d1));
        assertEquals(Outcome.COMPLETED, r.write(r.d1, 0, G, "last owner writes"));
        assertEquals(MemAccess.RX, r.viewAccess(r.d1, v, G));
        assertEquals(1, r.safe.stats().unsharesCaught);
    }

    // ---- the ledger notices what happened behind its back -----------------------------------------------------

    @Test void auditFindsAForeignUnshareAndReconcileRepairsIt() {
        ViewId v = r.safe.createView(r.d1, MemAccess.RWX);
        r.safe.setViewAccess(r.d1, v, G, MemAccess.R);
        if (shareOfDeclaredGRefused()) return;
        r.safe.share(r.d1, G, r.d2, G);
        try (var m = r.hv.foreignMemoryMap(r.d1, true, List.of(G))) {      // a third party (QEMU) writes
            m.memory().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 100, (byte) 1);
        }
        var found = r.safe.audit(r.d1).stream().map(SharingAwareAltp2m.Discrepancy::kind).toList();
        assertTrue(found.contains(SharingAwareAltp2m.Discrepancy.Kind.UNSHARED_BEHIND_LEDGER), found.toString());
        assertTrue(found.contains(SharingAwareAltp2m.Discrepancy.Kind.VIEW_ACCESS_MISMATCH), found.toString());
        assertTrue(r.safe.reconcile(r.d1) > 0);
        assertEquals(List.of(), r.safe.audit(r.d1));
        assertEquals(MemAccess.R, r.viewAccess(r.d1, v, G));
    }
}
