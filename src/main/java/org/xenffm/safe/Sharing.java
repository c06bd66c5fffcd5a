// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.HypervisorCrashedException;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;
import org.xenffm.safe.Ledger.GfnState;
import org.xenffm.safe.SharingAwareAltp2m.RangeEntry;
import org.xenffm.safe.SharingAwareAltp2m.ShareResult;
import org.xenffm.safe.SharingAwareAltp2m.Stats;

/**
 * Sharing with views in place: nominate, share, range share and unshare, with the ordering rules of nominate
 * (views that hold the gfn differently make nominate_page answer EINVAL, so they are aligned with the host for the
 * call and restored on the shared entry, §3.3 step 5). {@link #nominate} reads top-down: one ledger read, the
 * refusals, the nominate between align and restore.
 */
final class Sharing {
    private final Hypervisor hv;
    private final Ledger ledger;
    private final Stats stats;
    private final Probes probes;
    private final ForeignPages pages;
    private final Arming arming;
    private final Reapply reapply;
    private final ReleaseLimits limits;

    Sharing(Hypervisor hv, Ledger ledger, Stats stats, Probes probes, ForeignPages pages, Arming arming,
            Reapply reapply, ReleaseLimits limits) {
        this.hv = hv;
        this.ledger = ledger;
        this.stats = stats;
        this.probes = probes;
        this.pages = pages;
        this.arming = arming;
        this.reapply = reapply;
        this.limits = limits;
    }

    // ---- nominate, top-down ---------------------------------------------------------------------------------

    /** See {@link SharingAwareAltp2m#nominate(DomainId, Gfn, ConflictPolicy)}. */
    SharingHandle nominate(DomainId d, Gfn g, ConflictPolicy p) {
        GfnState at = ledger.state(d, g);                         // what the ledger knows about g, read once
        limits.refuseSharingDeclared(d, g, at.declaring());       // ≥ 4.19: a declared gfn stays private
        if (probes.isShared(d, g)) {                              // nominate_page step 2: no checks, existing handle
            SharingHandle h = hv.memshrNominateGfn(d, g);
            ledger.nominated(at.slot(), h);
            return h;
        }
        if (!at.remappingTo().isEmpty()) {                        // NOMINATE_REMAP_TARGET: never
            stats.refused++;
            throw new RemapConflictException(Hazard.NOMINATE_REMAP_TARGET, d, g, at.remappingTo().getFirst().view(),
                    d + ":" + g + " is the remap target of " + describeRemapsTo(at.remappingTo(), g),
                    "unmap those gfns first (unmap(d, view, gfn)) or share a gfn no view remaps onto");
        }
        Map<ViewId, Conflict> conflicts = conflicts(d, g, at.views());   // views that make nominate EINVAL
        if (!conflicts.isEmpty() && p != ConflictPolicy.KEEP_BOTH) {
            stats.refused++;
            throw nominateConflict(d, g, conflicts);
        }
        boolean paused = false;
        if (!conflicts.isEmpty() || !at.declaring().isEmpty()) {  // views to restore: the guest must not run between
            arming.requireEvents(d, g, true);
            hv.domainPause(d);
            paused = true;
        }
        try {
            alignViews(d, g, conflicts);
            SharingHandle h;
            try {
                h = hv.memshrNominateGfn(d, g);
            } catch (XenException e) {
                if (e.errno() == Errno.EINVAL && probes.hostAccess(d, g).isPresent() && probes.altp2mActive(d))
                    throw nominateConflict(d, g, Map.of());   // a view xenffm does not know holds it differently
                throw e;
            }
            ledger.nominated(at.slot(), h);
            arming.ensureArmed(d);                                // shared and declared now: unshares must fault
            return h;
        } finally {
            restoreViews(d, g, conflicts, at.declaring());
            if (paused) hv.domainUnpause(d);
        }
    }

    /** Why a view blocks nominate: a different access, a remap, or an undeclared differing entry found by probing. */
    private record Conflict(ViewId view, Optional<MemAccess> declaredAccess, Optional<Gfn> remap,
                            MemAccess probed) {}

    /**
     * Views that make nominate_page step 5 fail: any known view whose entry for g exists and differs from the host
     * (declared remap, declared access ≠ host access, or an undeclared entry whose probed access differs).
     */
    private Map<ViewId, Conflict> conflicts(DomainId d, Gfn g, List<ViewDecl> views) {
        Map<ViewId, Conflict> out = new LinkedHashMap<>();
        if (views.isEmpty() || !probes.altp2mActive(d)) return out;
        Optional<MemAccess> host = probes.hostAccess(d, g);
        if (host.isEmpty()) return out;                           // a hole: nominate fails with EINVAL anyway
        for (ViewDecl vd : views) {
            MemAccess probed = probes.viewAccess(d, vd.view(), g);
            if (probed == null) continue;                         // the view never touched g: no conflict
            if (vd.remapOf(g).isPresent() || probed != host.get())
                out.put(vd.view(), new Conflict(vd.view(), vd.accessOf(g), vd.remapOf(g), probed));
        }
        return out;
    }

    /** Makes every conflicting view hold an entry identical to the host (view lacks it afterwards at worst). */
    private void alignViews(DomainId d, Gfn g, Map<ViewId, Conflict> cs) {
        if (cs.isEmpty()) return;
        MemAccess host = probes.hostAccess(d, g).orElseThrow();
        for (Conflict c : cs.values()) {
            if (c.remap().isPresent()) hv.altp2mChangeGfn(d, c.view(), g, Gfn.INVALID);
            // g is still private here, so the effective-entry lookup copies the host entry: identical, safe.
            hv.altp2mSetMemAccess(d, c.view(), g, host);
        }
    }

    /**
     * After nominate (or its failure): views hold g, so restoring uses their entries as is. Runs even without
     * conflicts: a successful nominate rewrote the host entry with the default access, which propagated into every
     * view holding g (§3.3 step 8, §4.8). Declared views are restored by the re-application, the others here.
     */
    private void restoreViews(DomainId d, Gfn g, Map<ViewId, Conflict> cs, List<ViewDecl> declaring) {
        for (Conflict c : cs.values()) {
            if (declaring.stream().anyMatch(vd -> vd.view().equals(c.view()))) continue;
            if (probes.viewHolds(d, c.view(), g)) hv.altp2mSetMemAccess(d, c.view(), g, c.probed());
        }
        reapply.reapplySlot(d, g);
    }

    private NominateConflictException nominateConflict(DomainId d, Gfn g, Map<ViewId, Conflict> cs) {
        StringBuilder sb = new StringBuilder("nominate(" + d + ", " + g + ") would fail with EINVAL: ");
        if (cs.isEmpty()) sb.append("a view not created through xenffm holds it with another frame or access");
        for (Conflict c : cs.values()) {
            sb.append(c.view()).append(c.remap().map(r -> " remaps it to " + r)
                    .orElse(" holds it with access " + c.probed().label())).append("; ");
        }
        Hazard hz = cs.values().stream().anyMatch(c -> c.remap().isPresent())
                ? Hazard.NOMINATE_VIEW_REMAPPED : Hazard.NOMINATE_VIEW_ACCESS_DIFFERS;
        return new NominateConflictException(hz, d, g, List.copyOf(cs.keySet()), sb.toString(),
                "share with policy KEEP_BOTH (xenffm aligns the views for the call and restores them on the shared "
                        + "entry), or clear the view's declaration for this gfn first");
    }

    private static String describeRemapsTo(List<ViewDecl> views, Gfn target) {
        List<String> parts = new ArrayList<>();
        for (ViewDecl vd : views) {
            TreeSet<Gfn> from = new TreeSet<>();
            vd.remaps().forEach((f, t) -> { if (t.equals(target)) from.add(f); });
            parts.add(vd.view() + " (" + from + ")");
        }
        return String.join(", ", parts) + ": sharing it would leave those view entries writable outside "
                + "copy-on-write";
    }

    // ---- share, range share, unshare ------------------------------------------------------------------------

    /** See {@link SharingAwareAltp2m#share(DomainId, Gfn, DomainId, Gfn, ConflictPolicy, boolean)}. */
    ShareResult share(DomainId src, Gfn sg, DomainId client, Gfn cg, ConflictPolicy p, boolean verifyContent) {
        limits.refuseSharingDeclared(src, sg, ledger.viewsDeclaring(src, sg));      // both before either is nominated
        limits.refuseSharingDeclared(client, cg, ledger.viewsDeclaring(client, cg));
        hv.domainPause(src);
        if (!client.equals(src)) hv.domainPause(client);
        try {
            if (verifyContent && !pages.sameContent(src, sg, client, cg))
                throw new IllegalArgumentException(src + ":" + sg + " and " + client + ":" + cg
                        + " differ; sharing them would change what one guest reads");
            SharingHandle hs = nominate(src, sg, p);
            SharingHandle hc = nominate(client, cg, p);
            Set<Slot> rewritten = hs.equals(hc) ? Set.of() : ledger.slotsOf(hc);
            arming.requireEventsIfDeclared(rewritten);
            hv.memshrShareGfns(src, sg, hs, client, cg, hc);
            ledger.merged(hs, hc);
            int n = 0;
            for (Slot s : rewritten) n += reapply.reapplySlot(s.domain(), s.gfn()) ? 1 : 0;
            for (Slot s : ledger.slotsOf(hs)) arming.ensureArmed(s.domain());
            return new ShareResult(hs, ledger.slotsOf(hs), n);
        } finally {
            if (!client.equals(src)) hv.domainUnpause(client);
            hv.domainUnpause(src);
        }
    }

    /**
     * See {@link SharingAwareAltp2m#shareRange}: {@code shareOne} shares one gfn (the keeper's locked
     * {@code share}, so monitor threads get the lock between gfns); every refusal becomes that gfn's outcome.
     */
    static List<RangeEntry> shareRange(Gfn first, Gfn last, Function<Gfn, SharingHandle> shareOne) {
        List<RangeEntry> out = new ArrayList<>();
        for (long g = first.value(); Long.compareUnsigned(g, last.value()) <= 0; g++) {
            Gfn gfn = Gfn.of(g);
            try {
                out.add(new RangeEntry(gfn, Optional.of(shareOne.apply(gfn)), Optional.empty()));
            } catch (SafetyException | XenException | IllegalArgumentException e) {
                if (e instanceof HypervisorCrashedException) throw e;
                out.add(new RangeEntry(gfn, Optional.empty(), Optional.of(e)));
            }
        }
        return out;
    }

    /** See {@link SharingAwareAltp2m#unshare}. */
    boolean unshare(DomainId d, Gfn g) {
        if (!probes.isShared(d, g)) {
            ledger.removeSlot(new Slot(d, g));
            return false;
        }
        reapply.unshareNow(d, g);
        arming.maybeDisarm(d);
        return true;
    }
}
