// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.statistics.Statistics;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.HypervisorCrashedException;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;
import org.xenffm.emulated.Outcome;

/**
 * Random sequences of safe-API operations and guest accesses on two emulated guests: the emulated host never
 * crashes (it dies with HypervisorCrashedException on every ordering that panics Xen 4.17), the ledger always agrees
 * with what Xen reports, every guest access that violates a declared view reaches the caller exactly once, and at
 * the end every declared remap is still what the guest sees.
 */
class SafeSequencesProperty {
    /** Access declarations go on these gfns, remap sources are a subset, targets are kept apart (see below). */
    static final long[] ACCESS_GFNS = {8, 9, 14};
    static final long[] SOURCES = {8, 9, 11};
    static final long[] TARGETS = {12, 13};
    static final MemAccess[] ACCESSES = {MemAccess.N, MemAccess.R, MemAccess.RX, MemAccess.X, MemAccess.RW,
            MemAccess.RWX};

    sealed interface Op {}
    record CreateView(int dom) implements Op {}
    record SetAccess(int dom, int view, long gfn, MemAccess access, ConflictPolicy policy) implements Op {}
    record ClearAccess(int dom, int view, long gfn) implements Op {}
    record Remap(int dom, int view, long from, long to, ConflictPolicy policy) implements Op {}
    record Unmap(int dom, int view, long from) implements Op {}
    record Share(long gfn, boolean d1IsSource, ConflictPolicy policy) implements Op {}
    record Unshare(int dom, long gfn) implements Op {}
    record Switch(int dom, int view) implements Op {}
    record GuestWrite(int dom, int vcpu, long gfn) implements Op {}
    record GuestRead(int dom, int vcpu, long gfn) implements Op {}
    record DestroyView(int dom, int view) implements Op {}
    /** Switch the domain's vCPUs to a view, then one vCPU accesses a gfn. */
    record ViewAccess(int dom, int view, int vcpu, long gfn, boolean write) implements Op {}
    record ForkCycle(boolean reset) implements Op {}

    @Provide Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> dom = Arbitraries.integers().between(0, 1);
        Arbitrary<Integer> view = Arbitraries.integers().between(1, 2);
        Arbitrary<Long> accessGfn = Arbitraries.of(box(ACCESS_GFNS));
        Arbitrary<Long> anyGfn = Arbitraries.longs().between(8, 15);
        // guests mostly touch gfns that views declare (so violations and unshares of declared gfns happen)
        Arbitrary<Long> guestGfn = Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, accessGfn),
                net.jqwik.api.Tuple.of(1, anyGfn));
        Arbitrary<ConflictPolicy> policy = Arbitraries.of(ConflictPolicy.class);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, dom.map(CreateView::new)),
                net.jqwik.api.Tuple.of(5, Combinators.combine(dom, view, accessGfn, Arbitraries.of(ACCESSES), policy)
                        .as(SetAccess::new)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(dom, view, accessGfn).as(ClearAccess::new)),
                net.jqwik.api.Tuple.of(3, Combinators.combine(dom, view, Arbitraries.of(box(SOURCES)),
                        Arbitraries.of(box(TARGETS)), policy).as(Remap::new)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(dom, view, Arbitraries.of(box(SOURCES))).as(Unmap::new)),
                net.jqwik.api.Tuple.of(6, Combinators.combine(guestGfn, Arbitraries.of(true, false), policy)
                        .as(Share::new)),
                net.jqwik.api.Tuple.of(2, Combinators.combine(dom, anyGfn).as(Unshare::new)),
                net.jqwik.api.Tuple.of(4, Combinators.combine(dom, Arbitraries.integers().between(0, 2)).as(Switch::new)),
                net.jqwik.api.Tuple.of(8, Combinators.combine(dom, Arbitraries.integers().between(0, 1), guestGfn)
                        .as(GuestWrite::new)),
                net.jqwik.api.Tuple.of(4, Combinators.combine(dom, Arbitraries.integers().between(0, 1), guestGfn)
                        .as(GuestRead::new)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(dom, view).as(DestroyView::new)),
                net.jqwik.api.Tuple.of(6, Combinators.combine(dom, view, Arbitraries.integers().between(0, 1), guestGfn,
                        Arbitraries.of(true, false)).as(ViewAccess::new)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of(true, false).map(ForkCycle::new)));
        return op.list().ofMinSize(1).ofMaxSize(30);
    }

    private static Long[] box(long[] a) {
        Long[] b = new Long[a.length];
        for (int i = 0; i < a.length; i++) b[i] = a[i];
        return b;
    }

    /** 600 tries over both releases (about 300 each): the same sequences, each release's own expectations. */
    @Property(tries = 600, shrinking = ShrinkingMode.BOUNDED)
    void noSafeSequenceCrashesTheHostOrLosesAView(@ForAll Release release, @ForAll("ops") List<Op> ops) {
        Statistics.label("release").collect(release);
        try (Rig r = new Rig(release)) {
            List<String> trace = new ArrayList<>();
            boolean[] sharedDeclared = {false};
            int[] releaseRefusals = {0};
            for (Op op : ops) {
                trace.add(op.toString());
                int before = r.faults.forwarded().size();
                int expected = 0;
                try {
                    expected = apply(r, op);
                } catch (HypervisorCrashedException e) {
                    fail("the safe API crashed the host: " + e.panic() + "\n" + String.join("\n", trace));
                } catch (SafetyException | XenException | IllegalArgumentException expectedRefusal) {
                    if (expectedRefusal instanceof ReleaseLimitException) releaseRefusals[0]++;
                    trace.add("  → " + expectedRefusal.getClass().getSimpleName() + ": "
                            + expectedRefusal.getMessage());
                }
                assertFalse(r.hv.crashed(), () -> String.join("\n", trace));
                assertEquals(expected, r.faults.forwarded().size() - before,
                        () -> "declared-view violations forwarded\n" + String.join("\n", trace));
                for (DomainId d : List.of(r.d1, r.d2))
                    sharedDeclared[0] |= r.safe.ledger().needsWriteEvents(d);
                // ≥ 4.19 such a gfn could not be kept (SHARED_AND_DECLARED_ON_4_19): the layer must never get there
                if (!release.keepsViewsOnSharedGfns())
                    assertFalse(sharedDeclared[0], () -> "shared and declared on " + release + "\n"
                            + String.join("\n", trace));
                for (DomainId d : List.of(r.d1, r.d2))
                    for (ViewId v : r.safe.ledger().views(d))
                        for (Gfn t : r.safe.ledger().declaration(d, v).orElseThrow().remaps().values())
                            assertEquals(0, r.shareCount(d, t), () -> "remap target shared\n" + String.join("\n", trace));
                for (DomainId d : List.of(r.d1, r.d2))
                    assertEquals(List.of(), r.safe.auditDeclared(d), () -> d + " audit\n" + String.join("\n", trace));
            }
            checkRemapsVisible(r, trace);
            assertEquals(0, r.faults.keeperFailures(), () -> "keeper failures\n" + String.join("\n", trace));
            var st = r.safe.stats();
            Statistics.label("unshare caught by a write event").collect(st.unsharesCaught > 0);
            Statistics.label("re-shared around a view").collect(st.reshares > 0);
            Statistics.label("refused").collect(st.refused > 0);
            Statistics.label("refused for the release").collect(release + " " + (releaseRefusals[0] > 0));
            Statistics.label("raw-Xen panic ordering avoided").collect(st.crashesAvoided > 0);
            Statistics.label("shared+declared at some point").collect(sharedDeclared[0]);
            Statistics.label("forwarded to the caller").collect(!r.faults.forwarded().isEmpty());
        }
    }

    /** Applies one op; returns how many forwarded (caller-visible) events it must produce. */
    private static int apply(Rig r, Op op) {
        SharingAwareAltp2m s = r.safe;
        switch (op) {       // view ops first create the view they name (up to two views per domain)
            case SetAccess a -> ensureView(r, a.dom(), a.view());
            case ClearAccess c -> ensureView(r, c.dom(), c.view());
            case Remap m -> ensureView(r, m.dom(), m.view());
            case Switch sw -> { if (sw.view() > 0) ensureView(r, sw.dom(), sw.view()); }
            case ViewAccess va -> ensureView(r, va.dom(), va.view());
            default -> { }
        }
        switch (op) {
            case CreateView c -> s.createView(dom(r, c.dom()), MemAccess.RWX);
            case SetAccess a -> s.setViewAccess(dom(r, a.dom()), ViewId.of(a.view()), Gfn.of(a.gfn()), a.access(),
                    a.policy());
            case ClearAccess c -> s.clearViewAccess(dom(r, c.dom()), ViewId.of(c.view()), Gfn.of(c.gfn()));
            case Remap m -> s.remap(dom(r, m.dom()), ViewId.of(m.view()), Gfn.of(m.from()), Gfn.of(m.to()),
                    m.policy());
            case Unmap u -> s.unmap(dom(r, u.dom()), ViewId.of(u.view()), Gfn.of(u.from()));
            case Share sh -> {
                DomainId src = sh.d1IsSource() ? r.d1 : r.d2, cl = sh.d1IsSource() ? r.d2 : r.d1;
                s.share(src, Gfn.of(sh.gfn()), cl, Gfn.of(sh.gfn()), sh.policy(), true);
            }
            case Unshare u -> s.unshare(dom(r, u.dom()), Gfn.of(u.gfn()));
            case Switch sw -> s.switchToView(dom(r, sw.dom()), ViewId.of(sw.view()));
            case GuestWrite w -> {
                DomainId d = dom(r, w.dom());
                int expected = violatesDeclared(r, d, w.vcpu(), Gfn.of(w.gfn()), true) ? 1 : 0;
                // writes the page's own label back: contents stay shareable, the write still unshares
                Outcome o = r.write(d, w.vcpu(), Gfn.of(w.gfn()), Rig.label(w.gfn()));
                assertEquals(Outcome.COMPLETED, o);
                return expected;
            }
            case GuestRead rd -> {
                DomainId d = dom(r, rd.dom());
                int expected = violatesDeclared(r, d, rd.vcpu(), Gfn.of(rd.gfn()), false) ? 1 : 0;
                r.read(d, rd.vcpu(), Gfn.of(rd.gfn()));
                return expected;
            }
            case DestroyView dv -> s.destroyView(dom(r, dv.dom()), ViewId.of(dv.view()));
            case ViewAccess va -> {
                DomainId d = dom(r, va.dom());
                s.switchToView(d, ViewId.of(va.view()));
                Gfn g = Gfn.of(va.gfn());
                int expected = violatesDeclared(r, d, va.vcpu(), g, va.write()) ? 1 : 0;
                if (va.write()) assertEquals(Outcome.COMPLETED, r.write(d, va.vcpu(), g, Rig.label(va.gfn())));
                else r.read(d, va.vcpu(), g);
                return expected;
            }
            case ForkCycle f -> {
                if (!r.release.forksAltp2mParents()) {         // d1 was created with altp2m: EEXIST on ≥ 4.19
                    var x = assertThrows(ReleaseLimitException.class, () -> s.fork(r.d1, null, true));
                    assertEquals(Hazard.FORK_OF_ALTP2M_PARENT, x.hazard());
                    return 0;
                }
                DomainId c = s.fork(r.d1, null, true);
                try {
                    r.hv.domainUnpause(c);
                    r.read(c, 0, Gfn.of(9));
                    r.write(c, 1, Gfn.of(12), "fork-12");
                    if (f.reset()) s.forkReset(c, false, true);
                    assertEquals(List.of(), s.audit(c));
                } finally {
                    s.destroyDomain(c);
                }
                return 0;   // child events are not counted here (its own forwarded list entries are removed below)
            }
        }
        return 0;
    }

    /** Whether the vCPU's current view declares an access for g that this read/write (VMX: a write is R|W) breaks. */
    private static boolean violatesDeclared(Rig r, DomainId d, int vcpu, Gfn g, boolean write) {
        int idx = r.hv.guest(d).vcpu(vcpu).currentView();
        if (idx <= 0) return false;
        Optional<ViewDecl> vd = r.safe.ledger().declaration(d, ViewId.of(idx));
        return vd.flatMap(v -> v.accessOf(g)).map(a -> a.violatedBy(true, write, false)).orElse(false);
    }

    private static void ensureView(Rig r, int dom, int view) {
        DomainId d = dom(r, dom);
        while (!r.safe.ledger().views(d).contains(ViewId.of(view)) && r.safe.ledger().views(d).size() < 2)
            r.safe.createView(d, MemAccess.RWX);
    }

    private static DomainId dom(Rig r, int i) { return i == 0 ? r.d1 : r.d2; }

    /** Every declared remap is what a vCPU in that view reads. */
    private static void checkRemapsVisible(Rig r, List<String> trace) {
        for (DomainId d : List.of(r.d1, r.d2)) {
            for (ViewId v : r.safe.ledger().views(d)) {
                ViewDecl vd = r.safe.ledger().declaration(d, v).orElseThrow();
                if (vd.remaps().isEmpty()) continue;
                r.safe.switchToView(d, v);
                for (var e : vd.remaps().entrySet()) {
                    if (vd.accessOf(e.getKey()).map(a -> !a.allowsRead()).orElse(false)) continue;
                    int before = r.faults.forwarded().size();
                    assertEquals(r.peekText(d, e.getValue()), r.read(d, 0, e.getKey()),
                            () -> d + " " + v + " remap " + e + "\n" + String.join("\n", trace));
                    assertEquals(before, r.faults.forwarded().size());
                }
            }
        }
    }
}
