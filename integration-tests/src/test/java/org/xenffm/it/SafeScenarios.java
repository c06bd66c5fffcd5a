// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import static org.xenffm.it.GuestDriver.Mode.IDLE;
import static org.xenffm.it.GuestDriver.Mode.INCREMENT;
import static org.xenffm.it.GuestDriver.Mode.REPORT;
import static org.xenffm.it.GuestDriver.Mode.WRITE;
import static org.xenffm.it.Scenarios.RUN;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;
import org.xenffm.it.Scenarios.Counters;
import org.xenffm.it.Scenarios.Pages;
import org.xenffm.safe.ConflictPolicy;
import org.xenffm.safe.MonitorSessionFaults;
import org.xenffm.safe.SafetyException;
import org.xenffm.safe.SharingAwareAltp2m;
import org.xenffm.vmevent.VmEventResponse;

/**
 * Issue 6's orderings of sharing and altp2m on one gfn, driven through the safe layer ({@link SharingAwareAltp2m}
 * with {@link MonitorSessionFaults}) on the puppet guest, group "safe" (a Bochs boot of its own). Each scenario
 * records the final sharing state (debug_gfn share counts, counter deltas), the view state (altp2m get_mem_access
 * per view, the host default, which frame a vCPU in each view reads — REPORT mode), the layer's audit, and that no
 * event was lost: every MEM_ACCESS request is either answered by the keeper (RESUME) or forwarded once to the
 * caller, and the guest's loop counter moves afterwards (no vCPU left paused). The two raw crash orderings of
 * 4.17.5 (scenarios 12 and 16, groups panic/panic2) are among them: through the layer they must not crash.
 * Expectations are those of the emulator's OrderingsTest / ForkViewsTest (docs/xen-semantics.md §4).
 */
final class SafeScenarios {
    private SafeScenarios() {}

    /**
     * Without CONFIG_MEM_SHARING nothing is ever shared (every sharing call is ENOSYS); from 4.19 the layer refuses
     * these orderings up front by design (ReleaseLimitException: a view on a shared gfn cannot be kept, a parent with
     * altp2m cannot be forked), which the safe package's tests check on the emulator's 4.20 host. Either way: N/A.
     */
    static void requireTarget(Scenario.Ctx c) {
        c.requireSharing();
        if (c.target.altp2mAtCreation())
            throw new Scenario.NotApplicable(">= 4.19: the safe layer refuses these orderings up front (ReleaseLimitException)");
    }

    /** G the gfn under test, T a remap target, S a remapped source (fork). Away from the other groups' gfns. */
    static final Gfn G = Gfn.of(0x400), S = Gfn.of(0x402), T = Gfn.of(0x410);
    static final ViewId HOST = ViewId.HOST;

    static List<Scenario> all() {
        List<Scenario> l = new ArrayList<>();
        l.add(new Scenario("x01-view-set-then-share", "safe", "view rx on G, then share G: KEEP_BOTH keeps rx on the shared entry", c -> {
            Pair p = Pair.of(c, G);
            Keeper k = Keeper.of(c, p);
            ViewId v = k.view(p.d);
            c.rec.expectRun("setViewAccess(v, G, rx)", "ok", () -> k.safe.setViewAccess(p.d, v, G, MemAccess.RX));
            c.rec.expect("raw nominate(G): the view differs", "EINVAL", () -> c.hv.memshrNominateGfn(p.d, G));
            Counters n = Counters.of(c.hv);
            c.rec.expect("share(D:G <- D2:G), KEEP_BOTH", "ok", () -> k.safe.share(p.d, G, p.d2, G).slotsReapplied());
            n.expectDelta(c, "after share", 1, 1);
            k.expectShared(p, 2, 2);
            k.expectView(p.d, v, G, "rx");
            k.expectView(p.d, HOST, G, "rwx");
            k.expectDefault(p.d, "rx (armed)");
            k.expectReads(p.g, v, G, label(G));
            k.expectReads(p.g, HOST, G, label(G));
            k.expectEvents("after reads", 0, 0, 0, 0);
            k.expectAudit(p.d, p.d2);
        }));
        l.add(new Scenario("x02-unshare-from-view-0", "safe", "view r on shared G; a write in view 0 unshares: one event, keeper resumes, r kept", c -> {
            Pair p = Pair.of(c, G);
            Keeper k = Keeper.of(c, p);
            ViewId v = k.view(p.d);
            k.declareThenShare(p, v, MemAccess.R);
            Counters n = Counters.of(c.hv);
            p.g.program(WRITE, gpa(G), gpa(G) + 0x1000);
            c.rec.expectValue("guest loops (write G in view 0)", true, p.g.run(1, RUN) >= 1);
            n.expectDelta(c, "after the unsharing write", -1, 0);
            k.expectEvents("after the write", 1, 1, 0, 1);
            k.expectShared(p, 0, 1);
            k.expectView(p.d, v, G, "r");
            k.expectView(p.d, HOST, G, "rwx");
            k.expectDefault(p.d, "rwx (disarmed)");
            c.rec.expectValue("D:G content (the write)", "0x3", Pages.hex(Pages.read(c.hv, p.d, G)));
            c.rec.expectValue("D2:G content (the old frame)", hex(label(G)), Pages.hex(Pages.read(c.hv, p.d2, G)));
            k.expectReads(p.g, v, G, 3);
            k.expectEvents("after the read in v", 1, 1, 0, 1);
            k.expectAudit(p.d, p.d2);
        }));
        l.add(new Scenario("x03-unshare-from-the-view", "safe", "view r on shared G; a write in that view unshares: forwarded exactly once", c -> {
            Pair p = Pair.of(c, G);
            Keeper k = Keeper.of(c, p);
            ViewId v = k.view(p.d);
            k.declareThenShare(p, v, MemAccess.R);
            k.idleOnViolation(p.g);
            c.rec.expectRun("switch_to_view(v)", "ok", () -> k.safe.switchToView(p.d, v));
            p.g.program(WRITE, gpa(G), gpa(G) + 0x1000);
            c.rec.expectValue("guest loops (write G in v)", true, p.g.run(1, RUN) >= 1);
            k.expectEvents("after the write", 1, 0, 1, 1);
            c.rec.expectValue("the forwarded request", "gfn 0x400 write view 1",
                    k.faults.forwarded().stream().map(e -> "gfn 0x" + Long.toHexString(e.gfn().value())
                            + (e.write() ? " write" : " read") + " view "
                            + e.header().view().map(x -> String.valueOf(x.value())).orElse("none")).findFirst().orElse("none"));
            k.expectShared(p, 0, 1);
            k.expectView(p.d, v, G, "r");
            k.expectView(p.d, HOST, G, "rwx");
            k.expectDefault(p.d, "rwx (disarmed)");
            c.rec.expectValue("D:G content (the emulated write)", "0x3", Pages.hex(Pages.read(c.hv, p.d, G)));
            c.rec.expectValue("D2:G content (the old frame)", hex(label(G)), Pages.hex(Pages.read(c.hv, p.d2, G)));
            k.expectReads(p.g, v, G, 3);
            k.expectEvents("after the read in v", 1, 0, 1, 1);
            c.rec.expectRun("switch_to_view(0)", "ok", () -> k.safe.switchToView(p.d, HOST));
            k.expectAudit(p.d, p.d2);
        }));
        l.add(new Scenario("x04-partner-destroyed", "safe", "view rx on shared G; xl destroy of the partner; the survivor's last-reference write", c -> {
            Pair p = Pair.of(c, G);
            Keeper k = Keeper.of(c, p);
            ViewId v = k.view(p.d);
            k.declareThenShare(p, v, MemAccess.RX);
            Counters n = Counters.of(c.hv);
            c.rec.expectRun("destroy D2 (toolstack)", "ok", p.g2::close);
            c.rec.expectRun("domainDestroyed(D2)", "ok", () -> k.safe.domainDestroyed(p.d2));
            n.expectDelta(c, "after destroy", -1, 0);
            c.rec.expectValue("D:G share count", 1, count(c.hv, p.d, G));
            k.expectView(p.d, v, G, "rx");
            k.expectDefault(p.d, "rx (armed)");
            k.expectAudit(p.d);
            Counters n2 = Counters.of(c.hv);
            p.g.program(WRITE, gpa(G), gpa(G) + 0x1000);
            c.rec.expectValue("guest loops (last owner writes G in view 0)", true, p.g.run(1, RUN) >= 1);
            n2.expectDelta(c, "after the last-reference write", 0, -1);
            k.expectEvents("after the write", 1, 1, 0, 1);
            c.rec.expectValue("D:G share count after the write", 0, count(c.hv, p.d, G));
            k.expectView(p.d, v, G, "rx");
            k.expectView(p.d, HOST, G, "rwx");
            k.expectDefault(p.d, "rwx (disarmed)");
            k.expectReads(p.g, v, G, 3);
            k.expectAudit(p.d);
        }));
        l.add(new Scenario("x05-remap-to-a-shared-frame", "safe", "remap onto a shared target, and sharing a remap target: refused; UNSHARE policy", c -> {
            Pair p = Pair.of(c, T);
            label(c, p.d, G);
            Keeper k = Keeper.of(c, p);
            c.rec.expect("share(D:T <- D2:T)", "ok", () -> k.safe.share(p.d, T, p.d2, T).slotsReapplied());
            ViewId v = k.view(p.d);
            k.expectRefused("remap(v, G -> shared T)", "REMAP_TO_SHARED_TARGET", () -> k.safe.remap(p.d, v, G, T));
            c.rec.expectValue("D:T share count (untouched)", 2, count(c.hv, p.d, T));
            c.rec.expectRun("remap(v, G -> T), UNSHARE", "ok", () -> k.safe.remap(p.d, v, G, T, ConflictPolicy.UNSHARE));
            c.rec.expectValue("D:T share count", 0, count(c.hv, p.d, T));
            c.rec.expectValue("D2:T share count (keeps the frame)", 1, count(c.hv, p.d2, T));
            k.expectReads(p.g, v, G, label(T));
            k.expectReads(p.g, HOST, G, label(G));
            k.expectRefused("share(D:T <- D2:T), T a remap target", "NOMINATE_REMAP_TARGET", () -> k.safe.share(p.d, T, p.d2, T));
            c.rec.expectValue("D:T share count (still private)", 0, count(c.hv, p.d, T));
            k.expectEvents("at the end", 0, 0, 0, 0);
            k.expectAudit(p.d);
        }));
        l.add(new Scenario("x06-remapped-gfn-shared-then-unshared", "safe", "remap G -> T, share G; the view still shows T; a view-0 write unshares, the remap is put back", c -> {
            Pair p = Pair.of(c, G);
            label(c, p.d, T);
            Keeper k = Keeper.of(c, p);
            ViewId v = k.view(p.d);
            c.rec.expectRun("remap(v, G -> T)", "ok", () -> k.safe.remap(p.d, v, G, T));
            c.rec.expect("raw nominate(G): remapped in v", "EINVAL", () -> c.hv.memshrNominateGfn(p.d, G));
            c.rec.expect("share(D:G <- D2:G), KEEP_BOTH", "ok", () -> k.safe.share(p.d, G, p.d2, G).slotsReapplied());
            k.expectShared(p, 2, 2);
            k.expectDefault(p.d, "rx (armed)");
            k.expectReads(p.g, v, G, label(T));
            k.expectReads(p.g, HOST, G, label(G));
            k.expectEvents("after reads", 0, 0, 0, 0);
            p.g.program(WRITE, gpa(G), gpa(G) + 0x1000);
            c.rec.expectValue("guest loops (write G in view 0)", true, p.g.run(1, RUN) >= 1);
            k.expectEvents("after the write", 1, 1, 0, 1);
            k.expectShared(p, 0, 1);
            k.expectReads(p.g, v, G, label(T));
            k.expectReads(p.g, HOST, G, 3);
            c.rec.expectValue("D:T content (untouched)", hex(label(T)), Pages.hex(Pages.read(c.hv, p.d, T)));
            k.expectDefault(p.d, "rwx (disarmed)");
            k.expectAudit(p.d, p.d2);
        }));
        l.add(new Scenario("x07-fork-with-views", "safe", "fork a parent with a declared view: the child runs in it; fork_reset re-applies it; destroy resyncs the parent", c -> {
            GuestDriver g = c.guest(1);
            DomainId pd = g.domain();
            for (Gfn x : List.of(G, S, T)) label(c, pd, x);
            Keeper k = c.onClose(new Keeper(c)).name(pd, "P");
            ViewId v = k.view(pd);
            c.rec.expectRun("parent setViewAccess(v, G, rx)", "ok", () -> k.safe.setViewAccess(pd, v, G, MemAccess.RX));
            c.rec.expectRun("parent remap(v, S -> T)", "ok", () -> k.safe.remap(pd, v, S, T));
            DomainId child = c.rec.expect("fork(P, new child, inherit views)", "ok", () -> k.safe.fork(pd, null, true)).get();
            k.name(child, "C");
            boolean[] gone = {false};
            c.onClose(() -> { if (!gone[0]) k.safe.destroyDomain(child); });
            c.rec.expectValue("child altp2m active", true, c.hv.altp2mGetDomainState(child));
            k.expectView(child, v, G, "rx");
            k.expectView(child, v, S, "rwx");
            c.rec.expectValue("child G share count (populated privately)", 0, count(c.hv, child, G));
            c.rec.expectValue("child G content", hex(label(G)), Pages.hex(Pages.read(c.hv, child, G)));
            c.rec.expectValue("parent G share count", 0, count(c.hv, pd, G));
            k.expectView(pd, v, G, "rx");
            k.expectAudit(child);
            GuestDriver cg = c.attach(child, 1);               // the child's vCPU continues the parent's loop
            k.expectReads(cg, v, S, label(T));                  // the inherited remap: S shows T's frame
            k.expectReads(cg, v, G, label(G));
            k.idleOnViolation(cg);
            c.rec.expectRun("child switch_to_view(v)", "ok", () -> k.safe.switchToView(child, v));
            cg.program(WRITE, gpa(G), gpa(G) + 0x1000);
            c.rec.expectValue("child loops (write G in v: the inherited rx)", true, cg.run(1, RUN) >= 1);
            k.expectEvents("after the child's write", 1, 0, 1, 0);
            c.rec.expectValue("child G content (the emulated write)", "0x3", Pages.hex(Pages.read(c.hv, child, G)));
            c.rec.expectValue("parent G content (untouched)", hex(label(G)), Pages.hex(Pages.read(c.hv, pd, G)));
            c.rec.expectRun("child switch_to_view(0)", "ok", () -> k.safe.switchToView(child, HOST));
            Pages.write(c.hv, child, T, 0xc7);
            c.rec.expectValue("child T content before reset", "0xc7", Pages.hex(Pages.read(c.hv, child, T)));
            c.rec.expectRun("forkReset(child, memory)", "ok", () -> k.safe.forkReset(child, false, true));
            k.expectView(child, v, G, "rx");
            k.expectView(child, v, S, "rwx");
            c.rec.expectValue("child T content after reset (the parent's)", hex(label(T)), Pages.hex(Pages.read(c.hv, child, T)));
            c.rec.expectValue("child G content after reset (kept: the view's rx pins it)", "0x3", Pages.hex(Pages.read(c.hv, child, G)));
            k.expectAudit(child);
            k.expectReads(cg, v, S, label(T));
            k.expectEvents("after the child ran again", 1, 0, 1, 0);
            cg.close();
            c.rec.expectRun("destroyDomain(child)", "ok", () -> k.safe.destroyDomain(child));
            gone[0] = true;
            k.expectView(pd, v, G, "rx");
            k.expectAudit(pd);
            k.expectReads(g, v, S, label(T));
            k.expectReads(g, v, G, label(G));
            g.program(INCREMENT, gpa(G), gpa(G) + 0x1000);
            k.idleOnViolation(g);
            c.rec.expectRun("switch_to_view(v)", "ok", () -> k.safe.switchToView(pd, v));
            c.rec.expectValue("parent runs after the fork died (write G in v)", true, g.run(1, RUN) >= 1);
            k.expectEvents("after the parent's write", 2, 0, 2, 0);
            c.rec.expectRun("switch_to_view(0)", "ok", () -> k.safe.switchToView(pd, HOST));
        }));
        // the two raw crash orderings of 4.17.5 (scenarios 16 and 12), through the layer: last, as they were raw
        l.add(new Scenario("x08-share-then-remap", "safe", "share G, then remap G -> T in a view lacking it (raw: panic, s16): reshared around the view", c -> {
            Pair p = Pair.of(c, G);
            label(c, p.d, T);
            Keeper k = Keeper.of(c, p);
            c.rec.expect("share(D:G <- D2:G)", "ok", () -> k.safe.share(p.d, G, p.d2, G).slotsReapplied());
            ViewId v = k.view(p.d);
            k.expectRefused("remap(v, shared G -> T), REFUSE", "VIEW_CHANGE_ON_UNCOPIED_SHARED_GFN",
                    () -> k.safe.remap(p.d, v, G, T, ConflictPolicy.REFUSE));
            Counters n = Counters.of(c.hv);
            c.rec.expectRun("remap(v, shared G -> T), KEEP_BOTH", "ok", () -> k.safe.remap(p.d, v, G, T));
            n.expectDelta(c, "around the reshare", 0, 0);
            c.rec.expectValue("crashes avoided / reshares", "2/1", k.safe.stats().crashesAvoided + "/" + k.safe.stats().reshares);
            k.expectShared(p, 2, 2);
            k.expectReads(p.g, v, G, label(T));
            k.expectReads(p.g, HOST, G, label(G));
            k.expectEvents("after reads", 0, 0, 0, 0);
            k.expectAudit(p.d, p.d2);
        }));
        l.add(new Scenario("x09-share-then-view-set", "safe", "share G, then view rx on G the view lacks (raw: panic, s12): reshared around the view", c -> {
            Pair p = Pair.of(c, G);
            Keeper k = Keeper.of(c, p);
            c.rec.expect("share(D:G <- D2:G)", "ok", () -> k.safe.share(p.d, G, p.d2, G).slotsReapplied());
            ViewId v = k.view(p.d);
            k.expectRefused("setViewAccess(v, shared G, rx), REFUSE", "VIEW_CHANGE_ON_UNCOPIED_SHARED_GFN",
                    () -> k.safe.setViewAccess(p.d, v, G, MemAccess.RX, ConflictPolicy.REFUSE));
            c.rec.expect("view get_mem_access(G): nothing applied", "ESRCH", () -> c.hv.altp2mGetMemAccess(p.d, v, G));
            Counters n = Counters.of(c.hv);
            c.rec.expectRun("setViewAccess(v, shared G, rx), KEEP_BOTH", "ok", () -> k.safe.setViewAccess(p.d, v, G, MemAccess.RX));
            n.expectDelta(c, "around the reshare", 0, 0);
            c.rec.expectValue("crashes avoided / reshares", "2/1", k.safe.stats().crashesAvoided + "/" + k.safe.stats().reshares);
            k.expectShared(p, 2, 2);
            k.expectView(p.d, v, G, "rx");
            k.expectDefault(p.d, "rx (armed)");
            k.expectReads(p.g, v, G, label(G));
            k.expectEvents("after reads", 0, 0, 0, 0);
            k.expectAudit(p.d, p.d2);
        }));
        // Issue 6's guarantees are those of Xen <= 4.18 with mem_sharing: elsewhere the orderings cannot happen as written
        return l.stream().map(s -> new Scenario(s.name(), s.group(), s.summary(), c -> {
            requireTarget(c);
            s.body().run(c);
        })).toList();
    }

    static long gpa(Gfn g) { return g.value() << 12; }

    /** The recognisable first dword of a data page: the same in every guest, so pages are shareable. */
    static int label(Gfn g) { return 0x5a000000 | (int) g.value(); }

    static String hex(int v) { return Pages.hex(v); }

    static void label(Scenario.Ctx c, DomainId d, Gfn g) { Pages.write(c.hv, d, g, label(g)); }

    /** memshr_debug_gfn: the number of gfns on the frame, 0 when not shared (EINVAL). */
    static int count(Hypervisor hv, DomainId d, Gfn g) {
        try {
            return hv.memshrDebugGfn(d, g);
        } catch (XenException e) {
            if (e.errno() == Errno.EINVAL) return 0;
            throw e;
        }
    }

    /** The guest under test (D, driven) and a sharing partner (D2, paused), both with gfn g labelled alike. */
    record Pair(GuestDriver g, GuestDriver g2, DomainId d, DomainId d2) {
        static Pair of(Scenario.Ctx c, Gfn g) {
            GuestDriver a = c.guest(1), b = c.guest(1);
            label(c, a.domain(), g);
            label(c, b.domain(), g);
            return new Pair(a, b, a.domain(), b.domain());
        }

    }

    /** The safe layer with its MonitorSession event glue for one scenario; closed before the guests die. */
    static final class Keeper implements AutoCloseable {
        final Scenario.Ctx c;
        final MonitorSessionFaults faults;
        final SharingAwareAltp2m safe;

        Keeper(Scenario.Ctx c) {
            this.c = c;
            faults = new MonitorSessionFaults(c.hv);
            safe = new SharingAwareAltp2m(c.hv, faults, ConflictPolicy.KEEP_BOTH);
        }

        /** The keeper of a pair's scenario, closed with it, its records naming the pair D and D2. */
        static Keeper of(Scenario.Ctx c, Pair p) {
            return c.onClose(new Keeper(c)).name(p.d, "D").name(p.d2, "D2");
        }

        /** The most common start: view v restricts G to {@code a}, then G is shared with the partner (KEEP_BOTH). */
        void declareThenShare(Pair p, ViewId v, MemAccess a) {
            c.rec.expectRun("setViewAccess(v, G, " + a.name().toLowerCase(java.util.Locale.ROOT) + ")", "ok",
                    () -> safe.setViewAccess(p.d, v, G, a));
            c.rec.expect("share(D:G <- D2:G), KEEP_BOTH", "ok", () -> safe.share(p.d, G, p.d2, G).slotsReapplied());
        }

        ViewId view(DomainId d) {
            ViewId v = c.rec.expect(step("createView(rwx)"), "ok", () -> safe.createView(d, MemAccess.RWX)).get();
            c.rec.expectValue(step("view index"), 1, v.value());
            return v;
        }

        /** The caller's handler: a violation of its declared view idles the guest (so it is raised exactly once)
         *  and is emulated, as xen-access does. The vCPU is paused in the request: the mailbox may be written. */
        void idleOnViolation(GuestDriver g) {
            faults.onViolation(g.domain(), e -> {
                g.program(IDLE, 0, 0);
                return VmEventResponse.CONTINUE.emulate();
            });
        }

        /** Records a safe-layer call refused before any hypercall: the hazard name, or "ok" if it went through. */
        void expectRefused(String step, String hazard, Runnable call) {
            String got = c.rec.call(step(step), (Supplier<String>) () -> {
                try {
                    call.run();
                    return "ok";
                } catch (SafetyException e) {
                    return e.hazard().name();
                }
            }).get();
            c.rec.expectValue(step(step + ": refused with"), hazard, got);
        }

        void expectView(DomainId d, ViewId v, Gfn g, String access) {
            String got;
            try {
                got = c.hv.altp2mGetMemAccess(d, v, g).label();
            } catch (XenException e) {
                got = e.errno().name();
            }
            c.rec.expectValue(step(role(d) + " " + (v.equals(HOST) ? "host" : "view " + v.value()) + " access of 0x"
                    + Long.toHexString(g.value())), access, got);
        }

        /** The host default access (xc_get_mem_access(~0)): rx while the keeper needs write events. */
        void expectDefault(DomainId d, String expected) {
            String exp = expected.split(" ")[0];
            c.rec.expectValue(step(role(d) + " host default access " + expected.substring(exp.length()).trim()), exp,
                    c.hv.getMemAccess(d, Gfn.INVALID).label());
        }

        /** A vCPU in view v reads the first dword of g (REPORT): which frame that view maps. Back in view 0 after. */
        void expectReads(GuestDriver g, ViewId v, Gfn gfn, int expected) {
            c.rec.expectRun(step("switch_to_view(" + v.value() + ") to read"), "ok", () -> safe.switchToView(g.domain(), v));
            g.program(REPORT, gpa(gfn), gpa(gfn) + 0x1000);
            long loops = g.run(1, RUN);
            c.rec.expectValue(step(role(g.domain()) + " vCPU in view " + v.value() + " reads 0x" + Long.toHexString(gfn.value())),
                    hex(expected), loops >= 1 ? hex(g.reported()) : "no loop");
            safe.switchToView(g.domain(), HOST);
        }

        /** No event lost: the keeper's count = resumed + forwarded, none failed, and how many were unshares. */
        void expectEvents(String when, long all, long resumed, long forwarded, long unsharesCaught) {
            var st = safe.stats();
            c.rec.expectValue(step("events " + when + " (requests/resumed/forwarded/unshares caught/keeper failures)"),
                    all + "/" + resumed + "/" + forwarded + "/" + unsharesCaught + "/0",
                    st.faults + "/" + faults.resumed() + "/" + faults.forwarded().size() + "/" + st.unsharesCaught
                            + "/" + faults.keeperFailures());
        }

        void expectShared(Pair p, int onD, int onD2) {
            c.rec.expectValue(step("D:G / D2:G share counts"), onD + "/" + onD2,
                    count(c.hv, p.d, G) + "/" + count(c.hv, p.d2, G));
        }

        void expectAudit(DomainId... ds) {
            for (DomainId d : ds) c.rec.expectValue(step("audit " + role(d)), "[]", safe.audit(d).toString());
        }

        /** Domain ids differ between backends and boots: records name domains by role (D, D2, C). */
        Keeper name(DomainId d, String role) {
            roles.put(d, role);
            return this;
        }

        private String role(DomainId d) { return roles.getOrDefault(d, "dom?"); }

        /** A step name not yet recorded in this scenario: the same check may be repeated later on. */
        private String step(String name) {
            int n = used.merge(name, 1, Integer::sum);
            return n == 1 ? name : name + " (" + n + ")";
        }

        private final java.util.Map<DomainId, String> roles = new java.util.HashMap<>();
        private final java.util.Map<String, Integer> used = new java.util.HashMap<>();

        @Override public void close() { safe.close(); }
    }
}
