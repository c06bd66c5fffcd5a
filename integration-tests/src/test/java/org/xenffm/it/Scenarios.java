// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import static org.xenffm.it.GuestDriver.Mode.INCREMENT;
import static org.xenffm.it.GuestDriver.Mode.READ;
import static org.xenffm.it.GuestDriver.Mode.REPORT;
import static org.xenffm.it.GuestDriver.Mode.WRITE;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.EventChannel;
import org.xenffm.api.MonitorRing;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmParam;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.MonitorEvent;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.ViewId;
import org.xenffm.vmevent.LiveWatch;
import org.xenffm.vmevent.MonitorSession;
import org.xenffm.vmevent.VmEvent;
import org.xenffm.vmevent.Watch;
import org.xenffm.vmevent.VmEventAbi;
import org.xenffm.vmevent.VmEventResponse;
import org.xenffm.vmevent.VmEventRing;

/**
 * The scenario suite (docs/xen-semantics.md §8, numbered as there), written once against {@link Hypervisor} and
 * {@link GuestDriver}. Every scenario creates its own guests and tidies up, records what it observed (errno names,
 * values read back, counter DELTAS — a real Xen boot keeps global counters across scenarios, so absolute handles and
 * counters are never compared) and checks the spec's expectation for the Xen it runs on ({@link Scenario.Target}:
 * release and CONFIG_MEM_SHARING, written out per step; 4.17.5 and 4.20.4 met them under Bochs up to s31; s33-s35 have
 * not run there yet).
 * Gfns: sharing uses 0x200.., altp2m 0x300.. (never shared: altp2m access on a shared gfn a view lacks panics Xen).
 */
public final class Scenarios {
    private Scenarios() {}

    static final Gfn G1 = Gfn.of(0x200), G2 = Gfn.of(0x201), G3 = Gfn.of(0x202);
    static final Gfn A1 = Gfn.of(0x300), A2 = Gfn.of(0x301);
    /** Beyond the puppet's 32 MiB: never populated. */
    static final Gfn HOLE = Gfn.of(0x10000);
    /** add_to_physmap onto RAM: C_HANDLE_INVALID (-9) = EBADF. #VE: Xen under Bochs logs "VMX: ... Virtualisation Exceptions". */
    static final String ADD_TO_POPULATED = "EBADF", VE_SUPPORTED = "ok";
    static final Duration RUN = Duration.ofSeconds(30), SHORT = Duration.ofSeconds(3);

    public static List<Scenario> all() {
        List<Scenario> l = new ArrayList<>();
        // ---- sharing -------------------------------------------------------------------------------------------
        l.add(new Scenario("s01-first-handles", "sharing", "nominate twice, renominate: consecutive handles, same handle again", c -> {
            DomainId d = c.guest(1).domain();
            SharingHandle h1 = Share.nominate(c, "nominate g1", d, G1);
            SharingHandle h2 = c.rec.expect("nominate g2", "ok", () -> c.hv.memshrNominateGfn(d, G2)).get();
            SharingHandle h1b = c.rec.expect("nominate g1 again", "ok", () -> c.hv.memshrNominateGfn(d, G1)).get();
            c.rec.expectValue("handle(g2) - handle(g1)", 1, h2.value() - h1.value());
            c.rec.expectValue("renominate returns the same handle", true, h1b.equals(h1));
            c.rec.expectValue("d.shr_pages", 2, c.hv.domainGetinfo(d).shrPages());
        }));
        l.add(new Scenario("s02-nominate-hole", "sharing", "a hole is EINVAL and consumes no handle", c -> {
            DomainId d = c.guest(1).domain();
            SharingHandle before = Share.nominate(c, "nominate g1", d, G1);
            c.rec.expect("nominate hole", "EINVAL", () -> c.hv.memshrNominateGfn(d, HOLE));
            SharingHandle after = c.rec.expect("nominate g2", "ok", () -> c.hv.memshrNominateGfn(d, G2)).get();
            c.rec.expectValue("handle(g2) - handle(g1)", 1, after.value() - before.value());
        }));
        l.add(new Scenario("s03-nominate-foreign-mapped", "sharing", "a foreign mapping's page reference gives E2BIG", c -> {
            DomainId d = c.guest(1).domain();
            try (ForeignMapping m = c.hv.foreignMemoryMap(d, false, List.of(G1))) {
                c.rec.expect("nominate while mapped", c.sharing("E2BIG"), () -> c.hv.memshrNominateGfn(d, G1));
            }
            c.requireSharing();
            c.rec.expect("nominate after unmap", "ok", () -> c.hv.memshrNominateGfn(d, G1));
        }));
        l.add(new Scenario("s04-share-counters", "sharing", "share across two domains: counters, handles, debug_gfn", c -> {
            DomainId d = c.guest(1).domain(), d2 = c.guest(1).domain();
            Counters k = Counters.of(c.hv);
            SharingHandle ha = Share.nominate(c, "nominate D:g1", d, G1);
            SharingHandle hb = c.rec.expect("nominate D2:g2", "ok", () -> c.hv.memshrNominateGfn(d2, G2)).get();
            c.rec.expectRun("share D:g1 <- D2:g2", "ok", () -> c.hv.memshrShareGfns(d, G1, ha, d2, G2, hb));
            k.expectDelta(c, "after share", 1, 1);
            c.rec.expectValue("D.shr_pages", 1, c.hv.domainGetinfo(d).shrPages());
            c.rec.expectValue("D2.shr_pages", 1, c.hv.domainGetinfo(d2).shrPages());
            SharingHandle again = c.rec.expect("renominate D2:g2", "ok", () -> c.hv.memshrNominateGfn(d2, G2)).get();
            c.rec.expectValue("renominate gives the source handle", true, again.equals(ha));
            c.rec.expect("debug_gfn D:g1", "ok", () -> c.hv.memshrDebugGfn(d, G1));
            c.rec.expectValue("gfns on the frame", 2, c.hv.memshrDebugGfn(d, G1));
        }));
        l.add(new Scenario("s05-share-identical", "sharing", "sharing two gfns already on one frame is 0 whatever the handles", c -> {
            DomainId d = c.guest(1).domain();
            SharingHandle h1 = Share.nominate(c, d, G1), h2 = c.hv.memshrNominateGfn(d, G2);
            c.rec.expectRun("share g1 <- g2", "ok", () -> c.hv.memshrShareGfns(d, G1, h1, d, G2, h2));
            Counters k = Counters.of(c.hv);
            SharingHandle bogus = SharingHandle.of(h2.value() + 1000);
            c.rec.expectRun("share again with wrong handles", "ok", () -> c.hv.memshrShareGfns(d, G1, bogus, d, G2, bogus));
            k.expectDelta(c, "after the no-op share", 0, 0);
        }));
        l.add(new Scenario("s06-client-sharing-disabled", "sharing", "the client is not auto-enabled, the source is", c -> {
            DomainId d = c.guest(1).domain(), d2 = c.guest(1).domain();
            SharingHandle ha = Share.nominate(c, d, G1), hb = c.hv.memshrNominateGfn(d2, G2);
            c.rec.expectRun("memshr_control(D2, off)", "ok", () -> c.hv.memshrControl(d2, false));
            c.rec.expectRun("share D -> client D2", "EINVAL", () -> c.hv.memshrShareGfns(d, G1, ha, d2, G2, hb));
            c.rec.expectRun("share D2 (source, auto-enabled) -> D", "ok", () -> c.hv.memshrShareGfns(d2, G2, hb, d, G1, ha));
            c.rec.expectValue("gfns on the frame", 2, c.hv.memshrDebugGfn(d, G1));
        }));
        l.add(new Scenario("s07-cow-not-last", "sharing", "a guest write to one of three sharers copies it; freed -1", c -> {
            GuestDriver g = c.guest(1);
            DomainId d = g.domain();
            Pages.write(c.hv, d, G1, 0x1111);
            Pages.write(c.hv, d, G2, 0x2222);
            Pages.write(c.hv, d, G3, 0x3333);
            SharingHandle h1 = Share.nominate(c, d, G1), h2 = c.hv.memshrNominateGfn(d, G2);
            c.rec.expectRun("share g1 <- g2", "ok", () -> c.hv.memshrShareGfns(d, G1, h1, d, G2, h2));
            SharingHandle h3 = c.hv.memshrNominateGfn(d, G3);
            c.rec.expectRun("share g1 <- g3", "ok", () -> c.hv.memshrShareGfns(d, G1, h1, d, G3, h3));
            c.rec.expectValue("g3 reads the source frame", "0x1111", Pages.hex(Pages.read(c.hv, d, G3)));
            Counters k = Counters.of(c.hv);
            g.program(INCREMENT, G2.value() << 12, (G2.value() + 1) << 12);
            c.rec.expectValue("guest loops (write to g2)", true, g.run(1, RUN) >= 1);
            k.expectDelta(c, "after the write", -1, 0);
            c.rec.expectValue("gfns on the frame", 2, c.hv.memshrDebugGfn(d, G1));
            c.rec.expect("debug_gfn g2 (private now)", "EINVAL", () -> c.hv.memshrDebugGfn(d, G2));
            c.rec.expectValue("g2 content (copy + increments)", true, Pages.read(c.hv, d, G2) > 0x1111);
            c.rec.expectValue("g1 content untouched", "0x1111", Pages.hex(Pages.read(c.hv, d, G1)));
            c.rec.expectValue("D.shr_pages", 2, c.hv.domainGetinfo(d).shrPages());
        }));
        l.add(new Scenario("s08-cow-last-reference", "sharing", "write to a nominated-only page: used -1, handle dead", c -> {
            GuestDriver g = c.guest(1);
            DomainId d = g.domain();
            SharingHandle h = Share.nominate(c, "nominate g1", d, G1);
            Counters k = Counters.of(c.hv);
            g.program(INCREMENT, G1.value() << 12, (G1.value() + 1) << 12);
            c.rec.expectValue("guest loops (write to g1)", true, g.run(1, RUN) >= 1);
            k.expectDelta(c, "after the write", 0, -1);
            c.rec.expect("debug_gfn g1", "EINVAL", () -> c.hv.memshrDebugGfn(d, G1));
            SharingHandle h2 = c.hv.memshrNominateGfn(d, G2);
            c.rec.expectRun("share with the dead handle", "ECHILD", () -> c.hv.memshrShareGfns(d, G1, h, d, G2, h2));
        }));
        l.add(new Scenario("s31-relinquish-on-destroy", "sharing", "destroying a sharer shrinks the rmap; audit is release-only", c -> {
            DomainId d = c.guest(1).domain();
            GuestDriver g2 = c.guest(1);
            SharingHandle ha = Share.nominate(c, d, G1), hb = c.hv.memshrNominateGfn(g2.domain(), G2);
            Counters k = Counters.of(c.hv);
            c.rec.expectRun("share D:g1 <- D2:g2", "ok", () -> c.hv.memshrShareGfns(d, G1, ha, g2.domain(), G2, hb));
            c.rec.expectRun("destroy D2", "ok", g2::close);
            // from k: share used -1 freed +1, then relinquish of a not-last sharer freed -1 (§3.13)
            k.expectDelta(c, "after destroy", 0, -1);
            c.rec.expectValue("gfns on the frame", 1, c.hv.memshrDebugGfn(d, G1));
            c.rec.expect("audit (release build)", "EOPNOTSUPP", c.hv::memshrAudit);
        }));
        // ---- altp2m ---------------------------------------------------------------------------------------------
        l.add(new Scenario("s10-view-access-blocks-nominate", "altp2m", "a view access differing from the host blocks nominate", c -> {
            DomainId d = c.guest(1).domain();
            ViewId v = Altp2m.on(c, d);
            c.rec.expectRun("view set_mem_access(g, rx)", "ok", () -> c.hv.altp2mSetMemAccess(d, v, A1, MemAccess.RX));
            c.rec.expect("nominate g", c.sharing("EINVAL"), () -> c.hv.memshrNominateGfn(d, A1));
            c.rec.expectRun("view set_mem_access(g, rwx)", "ok", () -> c.hv.altp2mSetMemAccess(d, v, A1, MemAccess.RWX));
            c.rec.expect("nominate g again", c.sharing("ok"), () -> c.hv.memshrNominateGfn(d, A1));
            Altp2m.off(c, d);
        }));
        l.add(new Scenario("s11-view-remap-blocks-nominate", "altp2m", "a remapped view entry blocks nominate until removed", c -> {
            DomainId d = c.guest(1).domain();
            ViewId v = Altp2m.on(c, d);
            c.rec.expectRun("change_gfn(g -> g')", "ok", () -> c.hv.altp2mChangeGfn(d, v, A1, A2));
            c.rec.expect("nominate g", c.sharing("EINVAL"), () -> c.hv.memshrNominateGfn(d, A1));
            c.rec.expectRun("change_gfn(g -> ~0)", "ok", () -> c.hv.altp2mChangeGfn(d, v, A1, Gfn.INVALID));
            c.rec.expect("nominate g again", c.sharing("ok"), () -> c.hv.memshrNominateGfn(d, A1));
            Altp2m.off(c, d);
        }));
        l.add(new Scenario("s13-14-lazy-copy-then-unshare", "altp2m", "a shared page copied into a view keeps its type; unshare resets view access", c -> {
            GuestDriver g = c.guest(1);
            DomainId d = g.domain();
            SharingHandle h1 = Share.nominate(c, d, G1), h2 = c.hv.memshrNominateGfn(d, G2);
            c.rec.expectRun("share g1 <- g2", "ok", () -> c.hv.memshrShareGfns(d, G1, h1, d, G2, h2));
            ViewId v = Altp2m.on(c, d);
            c.rec.expectRun("switch_to_view(1)", "ok", () -> c.hv.altp2mSwitchToView(d, v));
            g.program(READ, G1.value() << 12, (G1.value() + 1) << 12);
            c.rec.expectValue("guest loops (read g1 in view 1)", true, g.run(1, RUN) >= 1);
            c.rec.expectRun("view set_mem_access(g1, rx) on the copied entry", "ok",
                    () -> c.hv.altp2mSetMemAccess(d, v, G1, MemAccess.RX));
            c.rec.expect("view get_mem_access(g1)", "ok", () -> c.hv.altp2mGetMemAccess(d, v, G1));
            c.rec.expectValue("view access of g1", "rx", c.hv.altp2mGetMemAccess(d, v, G1).label());
            c.rec.expectValue("host g1 still shared (gfns on frame)", 2, c.hv.memshrDebugGfn(d, G1));
            c.rec.expectRun("switch_to_view(0)", "ok", () -> c.hv.altp2mSwitchToView(d, ViewId.HOST));
            g.program(INCREMENT, G1.value() << 12, (G1.value() + 1) << 12);
            c.rec.expectValue("guest loops (write g1 in view 0)", true, g.run(1, RUN) >= 1);
            c.rec.expect("debug_gfn g1 after the write", "EINVAL", () -> c.hv.memshrDebugGfn(d, G1));
            c.rec.expectValue("view access of g1 after unshare", "rwx", c.hv.altp2mGetMemAccess(d, v, G1).label());
            Altp2m.off(c, d);
        }));
        l.add(new Scenario("s15-host-access-propagates", "altp2m", "host set_mem_access overwrites a view entry", c -> {
            DomainId d = c.guest(1).domain();
            ViewId v = Altp2m.on(c, d);
            c.rec.expectRun("view set_mem_access(g, x)", "ok", () -> c.hv.altp2mSetMemAccess(d, v, A1, MemAccess.X));
            c.onClose(() -> c.hv.monitorDisable(d));
            c.rec.expect("monitor_enable", "ok", () -> c.hv.monitorEnable(d) != null);
            c.rec.expectRun("host set_mem_access(g, rw)", "ok", () -> c.hv.setMemAccess(d, MemAccess.RW, A1, 1));
            c.rec.expectValue("view access of g", "rw", c.hv.altp2mGetMemAccess(d, v, A1).label());
            c.rec.expectValue("host access of g", "rw", c.hv.getMemAccess(d, A1).label());
            Altp2m.off(c, d);
        }));
        l.add(new Scenario("s22-altp2m-state-and-destroy-rules", "altp2m", "state, create, switch, destroy error codes; slot exhaustion", c -> {
            DomainId d = c.guest(1).domain();
            if (!c.target.altp2mAtCreation()) {
                c.rec.expectRun("set_domain_state(1), mode disabled", "EINVAL", () -> c.hv.altp2mSetDomainState(d, true));
                c.rec.expect("create_view, inactive", "EOPNOTSUPP", () -> c.hv.altp2mCreateView(d, MemAccess.RWX));
                c.rec.expectRun("HVM_PARAM_ALTP2M = external", "ok", () -> c.hv.hvmParamSet(d, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL));
                c.rec.expectRun("HVM_PARAM_ALTP2M = mixed (changes once)", "EEXIST", () -> c.hv.hvmParamSet(d, HvmParam.ALTP2M, HvmParam.ALTP2M_MIXED));
            } else { // >= 4.19: the mode came with the domain (pup.cfg altp2m="external"); the param is read-only
                c.rec.expect("create_view, inactive", "EOPNOTSUPP", () -> c.hv.altp2mCreateView(d, MemAccess.RWX));
                c.rec.expectValue("HVM_PARAM_ALTP2M (set at creation)", HvmParam.ALTP2M_EXTERNAL, c.hv.hvmParamGet(d, HvmParam.ALTP2M));
                c.rec.expectRun("HVM_PARAM_ALTP2M = external (read-only)", "EEXIST", () -> c.hv.hvmParamSet(d, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL));
                c.rec.expectRun("HVM_PARAM_ALTP2M = mixed (read-only)", "EEXIST", () -> c.hv.hvmParamSet(d, HvmParam.ALTP2M, HvmParam.ALTP2M_MIXED));
            }
            c.rec.expectRun("set_domain_state(1)", "ok", () -> c.hv.altp2mSetDomainState(d, true));
            c.rec.expectValue("get_domain_state", true, c.hv.altp2mGetDomainState(d));
            c.rec.expectValue("create_view(rwx)", 1, c.hv.altp2mCreateView(d, MemAccess.RWX).value());
            c.rec.expectValue("create_view(n)", 2, c.hv.altp2mCreateView(d, MemAccess.N).value());
            c.rec.expectRun("destroy_view(0)", "EBUSY", () -> c.hv.altp2mDestroyView(d, ViewId.HOST));
            c.rec.expectRun("switch_to_view(1)", "ok", () -> c.hv.altp2mSwitchToView(d, ViewId.of(1)));
            c.rec.expectValue("vcpu 0 view", 1, c.hv.altp2mGetVcpuP2mIdx(d, org.xenffm.api.VcpuId.of(0)).value());
            c.rec.expectRun("destroy_view(1) in use", "EBUSY", () -> c.hv.altp2mDestroyView(d, ViewId.of(1)));
            c.rec.expectRun("switch_to_view(0)", "ok", () -> c.hv.altp2mSwitchToView(d, ViewId.HOST));
            c.rec.expectRun("destroy_view(1)", "ok", () -> c.hv.altp2mDestroyView(d, ViewId.of(1)));
            c.rec.expectRun("destroy_view(1) again", "EBUSY", () -> c.hv.altp2mDestroyView(d, ViewId.of(1)));
            c.rec.expectRun("switch_to_view(1) destroyed", "EINVAL", () -> c.hv.altp2mSwitchToView(d, ViewId.of(1)));
            int created = 0;
            Recorder.Outcome<ViewId> o;
            while ((o = c.rec.call("fill: create_view #" + (created + 1), () -> c.hv.altp2mCreateView(d, MemAccess.RWX))).ok())
                created++;
            c.rec.expect("fill: create_view #" + (created + 1), "EINVAL");
            c.rec.expectValue("views created until full (10 slots: 0 and 2 taken)", 8, created);
            Altp2m.off(c, d);
        }));
        l.add(new Scenario("s23-disable-flushes-views", "altp2m", "set_domain_state(0) drops every view and its accesses", c -> {
            DomainId d = c.guest(1).domain();
            ViewId v = Altp2m.on(c, d);
            c.hv.altp2mCreateView(d, MemAccess.RWX);
            c.rec.expectRun("view 1 set_mem_access(g, rx)", "ok", () -> c.hv.altp2mSetMemAccess(d, v, A1, MemAccess.RX));
            c.rec.expectValue("view 1 access of g", "rx", c.hv.altp2mGetMemAccess(d, v, A1).label());
            c.rec.expectRun("view 2 change_gfn(g -> g')", "ok", () -> c.hv.altp2mChangeGfn(d, ViewId.of(2), A1, A2));
            c.rec.expectRun("set_domain_state(0)", "ok", () -> c.hv.altp2mSetDomainState(d, false));
            c.rec.expectRun("set_domain_state(1)", "ok", () -> c.hv.altp2mSetDomainState(d, true));
            c.rec.expectValue("create_view again", 1, c.hv.altp2mCreateView(d, MemAccess.RWX).value());
            c.rec.expect("view 1 get_mem_access(g) (empty view)", "ESRCH", () -> c.hv.altp2mGetMemAccess(d, v, A1));
            c.rec.expect("nominate g (no view conflict left)", c.sharing("ok"), () -> c.hv.memshrNominateGfn(d, A1));
            Altp2m.off(c, d);
        }));
        l.add(new Scenario("s24-view0-asymmetry", "altp2m", "view 0 is the host for mem_access, slot 0 for change_gfn", c -> {
            GuestDriver g = c.guest(1);
            DomainId d = g.domain();
            Pages.write(c.hv, d, A1, 0xa1);
            Pages.write(c.hv, d, A2, 0xa2);
            Altp2m.on(c, d);
            c.onClose(() -> c.hv.monitorDisable(d));
            c.rec.expect("monitor_enable", "ok", () -> c.hv.monitorEnable(d) != null);
            c.rec.expectRun("altp2m set_mem_access(view 0, g, r)", "ok", () -> c.hv.altp2mSetMemAccess(d, ViewId.HOST, A1, MemAccess.R));
            c.rec.expectValue("host access of g", "r", c.hv.getMemAccess(d, A1).label());
            c.rec.expectRun("host set_mem_access(g, rwx)", "ok", () -> c.hv.setMemAccess(d, MemAccess.RWX, A1, 1));
            c.rec.expectRun("change_gfn(view 0, g -> g')", "ok", () -> c.hv.altp2mChangeGfn(d, ViewId.HOST, A1, A2));
            g.program(REPORT, A1.value() << 12, (A1.value() + 1) << 12);
            c.rec.expectValue("guest loops (read g in slot 0)", true, g.run(1, RUN) >= 1);
            c.rec.expectValue("guest in slot 0 reads g'", "0xa2", Pages.hex(g.reported()));
            c.rec.expectValue("dom0 (host p2m) reads g", "0xa1", Pages.hex(Pages.read(c.hv, d, A1)));
            Altp2m.off(c, d);
        }));
        // ---- mem_access and monitor -----------------------------------------------------------------------------
        l.add(new Scenario("s25-mem-access-needs-ring", "access", "host mem_access needs the ring, altp2m's does not; nr/default rules", c -> {
            DomainId d = c.guest(1).domain();
            c.rec.expectRun("host set_mem_access, no ring", "ENODEV", () -> c.hv.setMemAccess(d, MemAccess.RX, A1, 1));
            ViewId v = Altp2m.on(c, d);
            c.rec.expectRun("view set_mem_access, no ring", "ok", () -> c.hv.altp2mSetMemAccess(d, v, A1, MemAccess.RX));
            Altp2m.off(c, d);
            c.onClose(() -> c.hv.monitorDisable(d));
            c.rec.expect("monitor_enable", "ok", () -> c.hv.monitorEnable(d) != null);
            c.rec.expectRun("host set_mem_access(g, nr 0)", "EINVAL", () -> c.hv.setMemAccess(d, MemAccess.RX, A1, 0));
            c.rec.expectRun("host set_mem_access(~0, nr 0) = default", "ok", () -> c.hv.setMemAccess(d, MemAccess.RX, Gfn.INVALID, 0));
            c.rec.expectValue("host default access", "rx", c.hv.getMemAccess(d, Gfn.INVALID).label());
            c.rec.expectValue("access of g (unchanged entry)", "rwx", c.hv.getMemAccess(d, A1).label());
            // xenmem_access_t 10 is r_pw from 4.20 (public/memory.h); on 4.17 10 means "default", so the library refuses r_pw
            boolean rpw = c.target.version().atLeast(4, 20);
            c.rec.expectRun("host set_mem_access(g, r_pw)", rpw ? "ok" : "UNSUPPORTED", () -> c.hv.setMemAccess(d, MemAccess.R_PW, A1, 1));
            c.rec.expectValue("access of g after r_pw", rpw ? "r_pw" : "rwx", c.hv.getMemAccess(d, A1).label());
            c.rec.expectRun("host set_mem_access(g, rwx)", "ok", () -> c.hv.setMemAccess(d, MemAccess.RWX, A1, 1));
            c.rec.expect("get_mem_access(hole)", "ESRCH", () -> c.hv.getMemAccess(d, HOLE));
            c.rec.expectRun("default back to rwx", "ok", () -> c.hv.setMemAccess(d, MemAccess.RWX, Gfn.INVALID, 0));
        }));
        l.add(new Scenario("s35-access-required-crash", "access", "access_required and no listener: a violating write crashes the domain, and Xen says so on its console", c -> {
            GuestDriver g = c.guest(1);
            DomainId d = g.domain();
            c.rec.expect("monitor_enable", "ok", () -> c.hv.monitorEnable(d) != null);
            c.rec.expectRun("host set_mem_access(g, r)", "ok", () -> c.hv.setMemAccess(d, MemAccess.R, A1, 1));
            c.rec.expectRun("set_access_required(1)", "ok", () -> c.hv.domainSetAccessRequired(d, true));
            c.rec.expectRun("monitor_disable (the access stays r)", "ok", () -> c.hv.monitorDisable(d));
            ConsoleLines console = ConsoleLines.mark(c.hv);
            g.program(WRITE, A1.value() << 12, (A1.value() + 1) << 12);
            c.rec.expectValue("guest loops (write to g, no listener)", 0L, g.run(1, SHORT));
            c.rec.expectValue("domain shut down (crashed; xl keeps it: on_crash=preserve)", true, c.hv.domainGetinfo(d).shutdown());
            // mem_access.c:p2m_mem_access_check → sched.h:domain_crash → domain.c:__domain_crash
            String site = "arch/x86/mm/mem_access.c:" + (c.target.version().atLeast(4, 19) ? 182 : 192);
            c.rec.expectValue("console: the crash", List.of("domain_crash called from " + site, "Domain A (vcpu#0) crashed on cpu#0:"),
                    console.since());
        }));
        l.add(new Scenario("s28-monitor-toggles", "monitor", "EEXIST on repeated toggles; x86-less events; MSR checks", c -> {
            DomainId d = c.guest(1).domain();
            var caps = c.hv.monitorGetCapabilities(d);
            // 0x1f7b under Bochs (its VT-x has no monitor trap flag); 0x1f7f on hardware with MTF
            c.rec.observe("capabilities", "0x" + Long.toHexString(MonitorEvent.toMask(caps)));
            boolean mtf = caps.contains(MonitorEvent.SINGLESTEP);
            c.rec.expectRun("mov_to_msr(0x80000000) without ring", "ENXIO", () -> c.hv.monitorMovToMsr(d, 0x80000000, true, false));
            c.onClose(() -> c.hv.monitorDisable(d));
            c.rec.expect("monitor_enable", "ok", () -> c.hv.monitorEnable(d) != null);
            c.rec.expectRun("software_breakpoint on", "ok", () -> c.hv.monitorSoftwareBreakpoint(d, true));
            c.rec.expectRun("software_breakpoint on again", "EEXIST", () -> c.hv.monitorSoftwareBreakpoint(d, true));
            c.rec.expectRun("software_breakpoint off", "ok", () -> c.hv.monitorSoftwareBreakpoint(d, false));
            c.rec.expectRun("software_breakpoint off again", "EEXIST", () -> c.hv.monitorSoftwareBreakpoint(d, false));
            c.rec.expectRun("singlestep on", mtf ? "ok" : "EOPNOTSUPP", () -> c.hv.monitorSingleStep(d, true));
            c.rec.expectRun("privileged_call (ARM only)", "EOPNOTSUPP", () -> c.hv.monitorPrivilegedCall(d, true));
            c.rec.expectRun("io (Xen >= 4.18)", c.target.version().atLeast(4, 18) ? "ok" : "UNSUPPORTED", () -> c.hv.monitorIo(d, true));
            c.rec.expectRun("mov_to_msr(0x80000000)", "EINVAL", () -> c.hv.monitorMovToMsr(d, 0x80000000, true, false));
            c.rec.expectRun("mov_to_msr(0xc0000080 EFER)", "ok", () -> c.hv.monitorMovToMsr(d, 0xc0000080, true, false));
            c.rec.expectRun("cpuid on", "ok", () -> c.hv.monitorCpuid(d, true));
        }));
        l.add(new Scenario("s30-ring-enable-disable", "monitor", "ring errors; disabling the ring wipes monitor settings", c -> {
            DomainId d = c.guest(1).domain();
            c.rec.expectValue("vm_event version", 7, c.hv.vmEventGetVersion());
            c.rec.expectRun("monitor_disable without ring", "EINVAL", () -> c.hv.monitorDisable(d));
            c.rec.expectRun("monitor_resume without ring", "ENODEV", () -> c.hv.monitorResume(d));
            c.rec.expect("monitor_enable", "ok", () -> c.hv.monitorEnable(d) != null);
            c.rec.expect("monitor_enable again", "EBUSY", () -> c.hv.monitorEnable(d));
            c.rec.expectRun("software_breakpoint on", "ok", () -> c.hv.monitorSoftwareBreakpoint(d, true));
            c.rec.expectRun("monitor_disable", "ok", () -> c.hv.monitorDisable(d));
            c.rec.expect("monitor_enable after disable", "ok", () -> c.hv.monitorEnable(d) != null);
            c.rec.expectRun("software_breakpoint on (was wiped)", "ok", () -> c.hv.monitorSoftwareBreakpoint(d, true));
            c.rec.expectRun("monitor_disable again", "ok", () -> c.hv.monitorDisable(d));
        }));
        l.add(new Scenario("s26-mem-access-event", "events", "a write to an r page: request reason 1, gfn/offset/gla, flags 0x1b, vCPU paused", c -> {
            GuestDriver g = c.guest(1);
            DomainId d = g.domain();
            Events.Ring m = Events.Ring.open(c, g);
            c.rec.expectRun("host set_mem_access(g, r)", "ok", () -> c.hv.setMemAccess(d, MemAccess.R, A1, 1));
            long gpa = (A1.value() << 12) | 0x678;
            g.program(WRITE, gpa, (A1.value() + 1) << 12);
            g.start();
            VmEvent ev = m.await(g, Duration.ofSeconds(30));
            g.stop();
            c.rec.expectValue("event", "MemAccess", ev == null ? "none" : ev.getClass().getSimpleName());
            if (!(ev instanceof VmEvent.MemAccess ma)) return;
            c.rec.expectValue("gfn", A1, ma.gfn());
            c.rec.expectValue("offset", "0x678", "0x" + Integer.toHexString(ma.offset()));
            c.rec.expectValue("gla", "0x" + Long.toHexString(gpa), "0x" + Long.toHexString(ma.gla()));
            c.rec.expectValue("access flags (VMX: R with every write)", "0x1b", "0x" + Integer.toHexString(ma.accessFlags()));
            c.rec.expectValue("vCPU paused", true, ma.header().vcpuPaused());
            c.rec.expectValue("view (altp2m off)", "none", ma.header().view().map(String::valueOf).orElse("none"));
            long before = g.loops();
            c.rec.expectValue("guest loops while the request is unanswered", 0L, g.run(1, SHORT));
            c.rec.expectRun("host set_mem_access(g, rwx)", "ok", () -> c.hv.setMemAccess(d, MemAccess.RWX, A1, 1));
            m.r().respond(ev, VmEventResponse.CONTINUE);
            m.push();
            c.rec.expectValue("guest loops after the response", true, g.run(1, RUN) >= 1);
            c.rec.expectValue("no further events", 0, m.r().unconsumedRequests());
            c.rec.expectValue("loop counter moved", true, g.loops() > before);
        }));
        l.add(new Scenario("s27-emulate-only-while-violating", "events", "EMULATE on a still-violating write emulates it; access stays r", c -> {
            GuestDriver g = c.guest(1);
            DomainId d = g.domain();
            Events.Ring m = Events.Ring.open(c, g);
            Pages.write(c.hv, d, A1, 0x77);
            c.rec.expectRun("host set_mem_access(g, r)", "ok", () -> c.hv.setMemAccess(d, MemAccess.R, A1, 1));
            g.program(WRITE, A1.value() << 12, (A1.value() + 1) << 12);
            g.start();
            VmEvent first = m.await(g, Duration.ofSeconds(30));
            c.rec.expectValue("first event", "MemAccess", first == null ? "none" : first.getClass().getSimpleName());
            if (first == null) return;
            m.r().respond(first, VmEventResponse.CONTINUE.emulate()); // page still r: Xen emulates the write
            m.push();
            VmEvent second = m.await(g, Duration.ofSeconds(30)); // the next loop's write faults again
            g.stop();
            c.rec.expectValue("second event (next loop, page still r)", "MemAccess",
                    second == null ? "none" : second.getClass().getSimpleName());
            c.rec.expectValue("the emulated write landed", "0x3", Pages.hex(Pages.read(c.hv, d, A1)));
            c.rec.expectValue("access after emulation", "r", c.hv.getMemAccess(d, A1).label());
            c.rec.expectRun("host set_mem_access(g, rwx)", "ok", () -> c.hv.setMemAccess(d, MemAccess.RWX, A1, 1));
            if (second != null) {
                m.r().respond(second, VmEventResponse.CONTINUE.emulate()); // no longer violating: EMULATE dropped
                m.push();
            }
            c.rec.expectValue("guest loops after relaxing", true, g.run(1, RUN) >= 1);
            c.rec.expectValue("no further events", 0, m.r().unconsumedRequests());
        }));
        l.add(new Scenario("s33-ring-slot-hand-over", "events", "9 vCPUs, 8 slots: a freed slot goes to the vCPU waiting for it; a wrong-version response frees a slot but pauses on", c -> {
            GuestDriver g = c.guest(9);
            DomainId d = g.domain();
            Events.Ring m = Events.Ring.open(c, g);
            c.rec.expectRun("host set_mem_access(g, r)", "ok", () -> c.hv.setMemAccess(d, MemAccess.R, A1, 1));
            g.program(WRITE, A1.value() << 12, (A1.value() + 1) << 12);
            ConsoleLines console = ConsoleLines.mark(c.hv);
            g.start();
            // every vCPU writes to the r page: a sync event each, but the ring has 8 slots
            List<VmEvent> first = new ArrayList<>();
            VmEvent ev;
            while (first.size() < 9 && (ev = m.await(g, first.size() < 8 ? RUN : SHORT)) != null) first.add(ev);
            c.rec.expectValue("requests on the full ring", 8, first.size());
            java.util.Set<Integer> waiting = new java.util.TreeSet<>(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8));
            first.forEach(e -> waiting.remove(e.vcpu().value()));
            c.rec.expectValue("vCPUs without a request (waiting for a slot)", 1, waiting.size());
            if (first.size() != 8 || waiting.size() != 1) return;
            int w = waiting.iterator().next(), x = first.get(0).vcpu().value();
            // answer X's request, access still r: X re-executes its write and faults again
            m.r().respond(first.get(0), VmEventResponse.CONTINUE);
            m.push();
            VmEvent next = m.await(g, RUN);
            c.rec.expectValue("the freed slot's request comes from the waiting vCPU", true, next != null && next.vcpu().value() == w);
            c.rec.expectValue("the answered vCPU, faulting again, has no slot", "none", String.valueOf(m.await(g, SHORT)).replace("null", "none"));
            // a response of the wrong version for Y: consumed (its slot freed: X gets it) but ignored, Y stays paused
            m.r().respond(first.get(1), VmEventResponse.CONTINUE);
            m.r().pushResponses();
            int slot = (m.ring().page().get(ValueLayout.JAVA_INT, VmEventAbi.RSP_PROD) - 1) & (VmEventAbi.RING_SIZE - 1);
            m.ring().page().set(ValueLayout.JAVA_INT, VmEventAbi.RING + (long) slot * VmEventAbi.SLOT_SIZE + VmEventAbi.VERSION_OFF,
                    VmEventAbi.VERSION - 1);
            m.ec().notify(m.port());
            VmEvent fromX = m.await(g, RUN);
            c.rec.expectValue("the slot freed by the wrong-version response goes to the answered vCPU", true,
                    fromX != null && fromX.vcpu().value() == x);
            c.rec.expectValue("console: the wrong-version response", List.of("vm_event interface version mismatch"), console.since());
            // release everyone but Y: relax the page, answer every request whose vCPU still waits for its answer
            c.rec.expectRun("host set_mem_access(g, rwx)", "ok", () -> c.hv.setMemAccess(d, MemAccess.RWX, A1, 1));
            List<VmEvent> open = new ArrayList<>(first.subList(2, 8));
            open.add(next);
            if (fromX != null) open.add(fromX);
            for (VmEvent e : open) if (e != null) m.r().respond(e, VmEventResponse.CONTINUE);
            m.push();
            g.stop();
            c.rec.expectValue("guest loops after the answers", true, g.run(1, RUN) >= 1);
            c.rec.expectValue("no further events (Y still paused: the ignored response did not unpause it)", 0, m.r().unconsumedRequests());
        }));
        l.add(new Scenario("s40-stuck-handler-sigterm", "events", "a consumer whose handler never answers, stopped by SIGTERM: its teardown releases the guest", c -> {
            // issue 14: the session's deadline teardown (in the consumer's shutdown hook on SIGTERM) answers the held
            // write, restores the access, disables the ring and unpauses, without the handler
            GuestDriver g = c.guest(1);
            DomainId d = g.domain();
            g.program(WRITE, A1.value() << 12, (A1.value() + 1) << 12);
            StuckConsumer consumer = c.stuckConsumer(d, A1);
            c.rec.expectValue("access of g under the consumer", "r", c.hv.getMemAccess(d, A1).label());
            g.start();
            c.rec.expectValue("the handler holds the guest's write", true, consumer.awaitHeld(g, RUN));
            g.stop();
            c.rec.expectValue("guest loops while the handler holds it", 0L, g.run(1, SHORT));
            c.rec.expectValue("consumer ends after SIGTERM", true, consumer.terminate(RUN));
            c.rec.expectValue("guest loops after SIGTERM", true, g.run(1, RUN) >= 1);
            c.rec.expect("monitor_enable (the ring was released)", "ok", () -> c.hv.monitorEnable(d) != null);
            c.rec.expectValue("access of g restored", "rwx", c.hv.getMemAccess(d, A1).label());
            c.rec.expectRun("monitor_disable", "ok", () -> c.hv.monitorDisable(d));
        }));
        l.add(new Scenario("s41-live-watch", "events", "a running MonitorSession adds and removes a write watch while the guest runs, and a handler removes its own: events only while watched, the access back each time", c -> {
            // issue 17 item 5: MonitorSession.add / LiveWatch.remove from the scenario thread and from a handler
            GuestDriver g = c.guest(1);
            DomainId d = g.domain();
            g.program(WRITE, A1.value() << 12, (A1.value() + 1) << 12);
            AtomicInteger writes = new AtomicInteger(), removedByHandler = new AtomicInteger();
            AtomicReference<LiveWatch> selfRemoving = new AtomicReference<>();
            try (MonitorSession s = MonitorSession.builder(c.hv, d).shutdownHook(false)
                    .on(VmEvent.MemAccess.class, e -> {
                        LiveWatch w = selfRemoving.getAndSet(null);
                        if (w == null) {
                            writes.incrementAndGet();
                            return VmEventResponse.CONTINUE.emulate(); // the write happens, the watch stays
                        }
                        w.remove(); // before this response reaches Xen: the vCPU retries its write unwatched
                        removedByHandler.incrementAndGet();
                        return VmEventResponse.CONTINUE;
                    }).start()) {
                g.start();
                c.rec.expectValue("guest loops with nothing watched", true, Events.loops(g, 2));
                c.rec.expectValue("write events with nothing watched", 0, writes.get());
                LiveWatch w = s.add(Watch.access(A1, 1, MemAccess.R));
                c.rec.expectValue("access with the live watch", "r", c.hv.getMemAccess(d, A1).label());
                c.rec.expectValue("write events while watched (at least 2)", true, Events.count(g, writes, 2));
                w.remove();
                int atRemoval = writes.get();
                c.rec.expectValue("access after the live removal", "rwx", c.hv.getMemAccess(d, A1).label());
                c.rec.expectValue("guest loops after the removal", true, Events.loops(g, 2));
                c.rec.expectValue("write events after the removal (at most the one in flight)", true,
                        writes.get() - atRemoval <= 1);
                selfRemoving.set(s.add(Watch.access(A1, 1, MemAccess.R)));
                c.rec.expectValue("a handler removed its own watch", true, Events.count(g, removedByHandler, 1));
                c.rec.expectValue("access after the handler's removal", "rwx", c.hv.getMemAccess(d, A1).label());
                c.rec.expectValue("guest loops after the handler's removal", true, Events.loops(g, 2));
                g.stop();
                c.rec.expectValue("session failure", "none", s.failure().map(Throwable::toString).orElse("none"));
            }
            c.rec.expect("monitor_enable (the ring was released)", "ok", () -> c.hv.monitorEnable(d) != null);
            c.rec.expectValue("access of g after close", "rwx", c.hv.getMemAccess(d, A1).label());
            c.rec.expectRun("monitor_disable", "ok", () -> c.hv.monitorDisable(d));
        }));
        // ---- fork -----------------------------------------------------------------------------------------------
        l.add(new Scenario("s17-fork-needs-paused-child", "fork", "fork pauses the parent until the child dies; EBUSY/EINVAL rules", c -> {
            GuestDriver p = c.guest(1);
            p.program(INCREMENT, A1.value() << 12, (A1.value() + 1) << 12);
            c.rec.expectValue("parent runs before the fork", true, p.run(1, RUN) >= 1);
            Child ch = c.onClose(new Child(c.hv, c.hv.domainCreate(DomainConfig.forkChild(1))));
            c.rec.expectRun("fork(P, C)", Fork.expected(c), () -> c.hv.memshrFork(p.domain(), ch.id(), false, true));
            Fork.requireForked(c);
            c.rec.expectValue("parent loops while the fork lives (toolstack unpause)", 0L, p.run(1, SHORT));
            c.rec.expectRun("destroy C", "ok", ch::close);
            c.rec.expectValue("parent runs after the fork died", true, p.run(1, RUN) >= 1);
            DomainId c2 = c.onClose(new Child(c.hv, c.hv.domainCreate(DomainConfig.forkChild(1)))).id();
            c.hv.domainUnpause(c2);
            c.rec.expectRun("fork(P, unpaused child)", "EBUSY", () -> c.hv.memshrFork(p.domain(), c2, false, true));
            DomainId c3 = c.onClose(new Child(c.hv, c.hv.domainCreate(DomainConfig.forkChild(2)))).id();
            c.rec.expectRun("fork(P, child with 2 vCPUs)", "EINVAL", () -> c.hv.memshrFork(p.domain(), c3, false, true));
            c.rec.expectValue("parent runs after the failed forks", true, p.run(1, RUN) >= 1);
        }));
        l.add(new Scenario("s18-fork-lazy-population", "fork", "a fork child's read populates a shared entry from the parent", c -> {
            GuestDriver p = c.guest(1);
            DomainId pd = p.domain();
            Pages.write(c.hv, pd, G1, 0x5eed);
            Counters k = Counters.of(c.hv);
            DomainId child = c.onClose(new Child(c.hv, c.hv.domainCreate(DomainConfig.forkChild(1)))).id();
            c.rec.expectRun("fork(P, C)", Fork.expected(c), () -> c.hv.memshrFork(pd, child, false, true));
            Fork.requireForked(c);
            // The fork itself read-shares the parent vCPU's CR3 gfn into the child (observed on 4.17.5): loading the
            // vCPU state ends in hap.c:hap_update_paging_modes, get_gfn(cr3 gfn) with P2M_ALLOC → mem_sharing_fork_page.
            // The puppet runs with paging off and CR3 0, so that is gfn 0.
            k.expectDelta(c, "right after fork", 1, 1);
            c.rec.expectValue("parent gfns shared right after fork", List.of("0x0"), Pages.sharedGfns(c.hv, pd));
            long childShared = c.hv.domainGetinfo(child).shrPages();
            c.rec.expectValue("child shr_pages right after fork", 1L, childShared);
            Counters k1 = Counters.of(c.hv);
            c.rec.expectValue("child reads g1 (foreign map)", "0x5eed", Pages.hex(Pages.read(c.hv, child, G1)));
            k1.expectDelta(c, "after the child's read", 1, 1);
            c.rec.expectValue("gfns on the parent's frame", 2, c.hv.memshrDebugGfn(pd, G1));
            c.rec.expectValue("child shr_pages grew by", 1L, c.hv.domainGetinfo(child).shrPages() - childShared);
            c.rec.expect("child maps a gfn the parent lacks", "EINVAL",
                    () -> Pages.read(c.hv, child, HOLE));
        }));
        l.add(new Scenario("s20-fork-altp2m-parent", "fork", "4.17: fork of an altp2m parent works, the child has no views; >= 4.19: EEXIST", c -> {
            GuestDriver p = c.guest(1);
            DomainId pd = p.domain();
            Altp2m.on(c, pd);
            DomainId child = c.onClose(new Child(c.hv, c.hv.domainCreate(DomainConfig.forkChild(1)))).id();
            c.rec.expectRun("fork(P, C)", Fork.expected(c), () -> c.hv.memshrFork(pd, child, false, true));
            c.requireSharing();
            if (c.target.altp2mAtCreation()) {
                p.program(INCREMENT, A1.value() << 12, (A1.value() + 1) << 12);
                c.rec.expectValue("parent runs after the refused fork", true, p.run(1, RUN) >= 1);
                return;
            }
            c.rec.expectValue("child HVM_PARAM_ALTP2M", HvmParam.ALTP2M_EXTERNAL, c.hv.hvmParamGet(child, HvmParam.ALTP2M));
            c.rec.expectValue("child altp2m state", false, c.hv.altp2mGetDomainState(child));
            c.rec.expect("child create_view", "EOPNOTSUPP", () -> c.hv.altp2mCreateView(child, MemAccess.RWX));
        }));
        l.add(new Scenario("s19-fork-reset-keeps-view-pinned-pages", "fork", "fork_reset drops private pages except those a view's access pins", c -> {
            DomainId pd = c.guest(1).domain();
            Pages.write(c.hv, pd, A1, 0xaaa1);
            Pages.write(c.hv, pd, A2, 0xaaa2);
            DomainId child = c.onClose(new Child(c.hv, c.hv.domainCreate(DomainConfig.forkChild(1)))).id();
            c.rec.expectRun("fork(P, C)", Fork.expected(c), () -> c.hv.memshrFork(pd, child, false, true));
            Fork.requireForked(c);
            Pages.write(c.hv, child, A1, 0xc1); // writable foreign map: private copies in the child
            Pages.write(c.hv, child, A2, 0xc2);
            ViewId v = Altp2m.on(c, child);
            c.rec.expectRun("child view set_mem_access(h, r)", "ok", () -> c.hv.altp2mSetMemAccess(child, v, A1, MemAccess.R));
            c.rec.expectRun("fork_reset(C, memory)", "ok", () -> c.hv.memshrForkReset(child, false, true));
            c.rec.expectValue("pinned page kept (child's own content)", "0xc1", Pages.hex(Pages.read(c.hv, child, A1)));
            c.rec.expectValue("other page reset (parent's content)", "0xaaa2", Pages.hex(Pages.read(c.hv, child, A2)));
            c.rec.expect("fork_reset(parent, not a fork)", "ENOSYS", () -> { c.hv.memshrForkReset(pd, false, true); return null; });
        }));
        l.add(new Scenario("s34-fork-special-pages", "fork", "a fork owns private copies of the parent's xenstore/ioreq/console pages; fork_reset drops and re-copies them", c -> {
            DomainId pd = c.guest(1).domain();
            List<HvmParam> special = List.of(HvmParam.STORE_PFN, HvmParam.IOREQ_PFN, HvmParam.BUFIOREQ_PFN, HvmParam.CONSOLE_PFN);
            c.rec.expectValue("parent's special page params set (xl)", 4L, special.stream().filter(p -> c.hv.hvmParamGet(pd, p) != 0).count());
            Gfn store = Gfn.of(c.hv.hvmParamGet(pd, HvmParam.STORE_PFN));
            DomainId child = c.onClose(new Child(c.hv, c.hv.domainCreate(DomainConfig.forkChild(1)))).id();
            c.rec.expectValue("child tot_pages before the fork", 0L, c.hv.domainGetinfo(child).totPages());
            c.rec.expectRun("fork(P, C)", Fork.expected(c), () -> c.hv.memshrFork(pd, child, false, true));
            Fork.requireForked(c);
            c.rec.expectValue("child tot_pages right after fork (its 4 special pages)", 4L, c.hv.domainGetinfo(child).totPages());
            c.rec.expectValue("child's xenstore page holds the parent's contents", true,
                    Pages.read(c.hv, child, store) == Pages.read(c.hv, pd, store));
            c.rec.expectValue("child reads g1 (shared, not its own)", true, Pages.read(c.hv, child, G1) == Pages.read(c.hv, pd, G1));
            c.rec.expectValue("child tot_pages after a read", 4L, c.hv.domainGetinfo(child).totPages());
            Pages.write(c.hv, child, G2, 0xc2); // writable foreign map: a private copy in the child
            c.rec.expectValue("child tot_pages after a write", 5L, c.hv.domainGetinfo(child).totPages());
            c.rec.expectRun("fork_reset(C, memory)", "ok", () -> c.hv.memshrForkReset(child, false, true));
            c.rec.expectValue("child tot_pages after fork_reset(memory): special pages dropped too", 0L, c.hv.domainGetinfo(child).totPages());
            c.rec.expectRun("fork_reset(C, state)", "ok", () -> c.hv.memshrForkReset(child, true, false));
            c.rec.expectValue("child tot_pages after fork_reset(state): special pages copied again", 4L, c.hv.domainGetinfo(child).totPages());
        }));
        // ---- ops: every other Hypervisor operation once (issue 5); a Bochs boot of its own -------------------------
        // ---- vmi: domain names through xenstore ----------------------------------------------------------------
        l.addAll(XenstoreScenarios.all());
        l.add(new Scenario("o01-domain-ops", "ops", "getinfolist, maximum_gpfn, access_required, inject_trap rules", c -> {
            DomainId d = c.guest(1).domain();
            List<org.xenffm.api.DomainInfo> all = c.rec.expect("getinfolist(0, 64)", "ok", () -> c.hv.domainGetinfolist(DomainId.of(0), 64)).get();
            c.rec.expectValue("getinfolist lists dom0", true, all.stream().anyMatch(i -> i.domain().value() == 0));
            c.rec.expectValue("getinfolist lists the guest", true, all.stream().anyMatch(i -> i.domain().equals(d)));
            List<org.xenffm.api.DomainInfo> one = c.hv.domainGetinfolist(d, 1);
            c.rec.expectValue("getinfolist(guest, 1)", List.of(d), one.stream().map(org.xenffm.api.DomainInfo::domain).toList());
            c.rec.expectValue("getinfolist entry: hvm, paused", "true true", one.getFirst().hvm() + " " + one.getFirst().paused());
            long max = c.rec.expect("maximum_gpfn", "ok", () -> c.hv.domainMaximumGpfn(d)).get();
            c.rec.expectValue("maximum_gpfn covers RAM", true, max >= GuestDriver.RAM_PAGES - 1);
            c.rec.observe("maximum_gpfn value", "0x" + Long.toHexString(max));
            c.rec.expectRun("set_access_required(1)", "ok", () -> c.hv.domainSetAccessRequired(d, true));
            c.rec.expectRun("set_access_required(0)", "ok", () -> c.hv.domainSetAccessRequired(d, false));
            c.rec.expectRun("set_access_required(dom0)", "EPERM", () -> c.hv.domainSetAccessRequired(DomainId.of(0), true));
            org.xenffm.api.VcpuId v0 = org.xenffm.api.VcpuId.of(0);
            // #UD, hardware exception, no error code; the guest never runs again (it would triple-fault)
            c.rec.expectRun("inject_trap(vcpu 0, #UD)", "ok", () -> c.hv.hvmInjectTrap(d, v0, 6, 3, -1, 0, 0));
            c.rec.expectRun("inject_trap again, still pending", "EBUSY", () -> c.hv.hvmInjectTrap(d, v0, 6, 3, -1, 0, 0));
            c.rec.expectRun("inject_trap(vcpu 1 of 1)", "EINVAL", () -> c.hv.hvmInjectTrap(d, org.xenffm.api.VcpuId.of(1), 6, 3, -1, 0, 0));
        }));
        l.add(new Scenario("o02-memshr-physmap-range-audit", "ops", "add_to_physmap into a hole, range_share of paused domains, audit", c -> {
            DomainId d = c.guest(1).domain(), d2 = c.guest(1).domain();
            Pages.write(c.hv, d, G1, 0x6b1);
            Counters k = Counters.of(c.hv);
            SharingHandle h = Share.nominate(c, "nominate D:g1", d, G1);
            c.rec.expectRun("memshr_control(D2, on)", "ok", () -> c.hv.memshrControl(d2, true));
            c.rec.expectRun("add_to_physmap D:g1 -> D2:hole", "ok", () -> c.hv.memshrAddToPhysmap(d, G1, h, d2, HOLE));
            k.expectDelta(c, "after add_to_physmap", 1, 1);
            c.rec.expectValue("gfns on the frame", 2, c.hv.memshrDebugGfn(d, G1));
            c.rec.expectValue("D2.shr_pages", 1L, c.hv.domainGetinfo(d2).shrPages());
            c.rec.expectValue("D2's former hole reads D:g1", "0x6b1", Pages.hex(Pages.read(c.hv, d2, HOLE)));
            c.rec.expectRun("add_to_physmap D:g1 -> D2:g2 (populated)", ADD_TO_POPULATED, () -> c.hv.memshrAddToPhysmap(d, G1, h, d2, G2));
            Gfn r0 = Gfn.of(0x210), r1 = Gfn.of(0x211), r3 = Gfn.of(0x213);
            Counters k2 = Counters.of(c.hv);
            c.rec.expectRun("range_share D -> D2 [0x210, 0x213] (both paused)", "ok", () -> c.hv.memshrRangeShare(d, d2, r0, r3));
            k2.expectDelta(c, "after range_share of 4 gfns", 4, 4);
            c.rec.expectValue("gfns on D:0x211's frame", 2, c.hv.memshrDebugGfn(d, r1));
            c.rec.expectValue("D2:0x213 shared", 2, c.hv.memshrDebugGfn(d2, r3));
            c.rec.expect("audit (release build)", "EOPNOTSUPP", c.hv::memshrAudit);
        }));
        l.add(new Scenario("o03-memshr-grefs", "ops", "gref ops on a grant reference the puppet never granted", c -> {
            DomainId d = c.guest(1).domain(), d2 = c.guest(1).domain();
            c.rec.expectRun("memshr_control(D, on)", c.sharing("ok"), () -> c.hv.memshrControl(d, true));
            c.requireSharing();
            c.hv.memshrControl(d2, true);
            org.xenffm.api.GrantRef unused = org.xenffm.api.GrantRef.of(100), beyond = org.xenffm.api.GrantRef.of(1 << 20);
            SharingHandle h = c.hv.memshrNominateGfn(d, G1);
            // grant_table.c:mem_sharing_gref_to_gfn: entry not GTF_permit_access → ENXIO; ref ≥ nr_grant_entries → ENOENT
            c.rec.expect("nominate_gref(unused 100)", "ENXIO", () -> c.hv.memshrNominateGref(d, unused));
            c.rec.expect("nominate_gref(beyond the table)", "ENOENT", () -> c.hv.memshrNominateGref(d, beyond));
            c.rec.expect("debug_gref(unused 100)", "ENXIO", () -> c.hv.memshrDebugGref(d, unused));
            c.rec.expectRun("share_grefs(D:100 <- D2:100)", "ENXIO", () -> c.hv.memshrShareGrefs(d, unused, h, d2, unused, h));
            c.rec.expectValue("D.shr_pages (only g1)", 1L, c.hv.domainGetinfo(d).shrPages());
        }));
        l.add(new Scenario("o04-memshr-ring", "ops", "the sharing ENOMEM ring: enable (PV dom0), EBUSY, resume, disable", c -> {
            DomainId d = c.guest(1).domain();
            // vm_event.c:vm_event_domctl: the XEN_DOMCTL_VM_EVENT_OP_SHARING case is under CONFIG_MEM_SHARING (default: -ENOSYS)
            c.rec.expectRun("ring_disable without ring", c.sharing("EINVAL"), () -> c.hv.memshrRingDisable(d));
            c.requireSharing();
            c.rec.expectRun("domain_resume without ring", "ENODEV", () -> c.hv.memshrDomainResume(d));
            c.rec.expect("ring_enable", "ok", () -> c.hv.memshrRingEnable(d));
            c.rec.expect("ring_enable again", "EBUSY", () -> c.hv.memshrRingEnable(d));
            c.rec.expectRun("domain_resume (empty ring)", "ok", () -> c.hv.memshrDomainResume(d));
            c.rec.expectRun("ring_disable", "ok", () -> c.hv.memshrRingDisable(d));
            c.rec.expectRun("ring_disable again", "EINVAL", () -> c.hv.memshrRingDisable(d));
        }));
        l.add(new Scenario("o05-altp2m-ve-visibility-multi", "ops", "#VE notify, suppress_ve get/set/multi, visibility, view access multi", c -> {
            DomainId d = c.guest(1).domain();
            ViewId v = Altp2m.on(c, d);
            org.xenffm.api.VcpuId v0 = org.xenffm.api.VcpuId.of(0), v1 = org.xenffm.api.VcpuId.of(1);
            Gfn veInfo = Gfn.of(0x302);
            c.rec.expectRun("enable_notify(vcpu 1 of 1)", "EINVAL", () -> c.hv.altp2mSetVcpuEnableNotify(d, v1, veInfo));
            c.rec.expectRun("enable_notify(vcpu 0, 0x302)", VE_SUPPORTED, () -> c.hv.altp2mSetVcpuEnableNotify(d, v0, veInfo));
            c.rec.expectRun("enable_notify again", VE_SUPPORTED.equals("ok") ? "EEXIST" : VE_SUPPORTED,
                    () -> c.hv.altp2mSetVcpuEnableNotify(d, v0, veInfo));
            c.rec.expectRun("disable_notify(vcpu 0)", "ok", () -> c.hv.altp2mSetVcpuDisableNotify(d, v0));
            c.rec.expectRun("disable_notify(vcpu 1 of 1)", "EINVAL", () -> c.hv.altp2mSetVcpuDisableNotify(d, v1));
            c.rec.expect("view get_suppress_ve(g), entry not copied", "ESRCH", () -> c.hv.altp2mGetSuppressVe(d, v, A1));
            c.rec.expectValue("host get_suppress_ve(g)", true, c.hv.altp2mGetSuppressVe(d, ViewId.HOST, A1));
            c.rec.expectRun("view set_suppress_ve(g, 0)", "ok", () -> c.hv.altp2mSetSuppressVe(d, v, A1, false));
            c.rec.expectValue("view get_suppress_ve(g)", false, c.hv.altp2mGetSuppressVe(d, v, A1));
            c.rec.expectValue("host get_suppress_ve(g) untouched", true, c.hv.altp2mGetSuppressVe(d, ViewId.HOST, A1));
            c.rec.expectRun("view set_suppress_ve(hole)", "ESRCH", () -> c.hv.altp2mSetSuppressVe(d, v, HOLE, false));
            c.rec.expect("get_suppress_ve(inactive view 5)", "EINVAL", () -> c.hv.altp2mGetSuppressVe(d, ViewId.of(5), A1));
            var ok = c.rec.expect("view set_suppress_ve_multi(0x300..0x303, 0)", "ok",
                    () -> c.hv.altp2mSetSuppressVeMulti(d, v, A1, Gfn.of(0x303), false)).get();
            c.rec.expectValue("multi: first error", "none", ok.firstError().map(Enum::name).orElse("none"));
            c.rec.expectValue("view get_suppress_ve(0x303)", false, c.hv.altp2mGetSuppressVe(d, v, Gfn.of(0x303)));
            var bad = c.rec.expect("view set_suppress_ve_multi(0x304, hole..hole+1)", "ok",
                    () -> c.hv.altp2mSetSuppressVeMulti(d, v, HOLE, Gfn.of(HOLE.value() + 1), false)).get();
            c.rec.expectValue("multi: first error, its gfn", "ESRCH 0x10000",
                    bad.firstError().map(Enum::name).orElse("none") + " " + bad.firstErrorGfn().map(g -> "0x" + Long.toHexString(g.value())).orElse("none"));
            c.rec.expectRun("set_visibility(view 1, hidden)", "ok", () -> c.hv.altp2mSetVisibility(d, v, false));
            c.rec.expectRun("set_visibility(inactive view 5)", "EINVAL", () -> c.hv.altp2mSetVisibility(d, ViewId.of(5), true));
            c.rec.expectRun("set_visibility(view 1, visible)", "ok", () -> c.hv.altp2mSetVisibility(d, v, true));
            c.rec.expectRun("view set_mem_access_multi(g r, g' rx)", "ok", () -> c.hv.altp2mSetMemAccessMulti(d, v,
                    List.of(new org.xenffm.api.GfnAccess(A1, MemAccess.R), new org.xenffm.api.GfnAccess(A2, MemAccess.RX))));
            c.rec.expectValue("view access of g, g'", "r rx",
                    c.hv.altp2mGetMemAccess(d, v, A1).label() + " " + c.hv.altp2mGetMemAccess(d, v, A2).label());
            c.rec.expect("host get_mem_access(g), no ring", "ENODEV", () -> c.hv.getMemAccess(d, A1));
            Altp2m.off(c, d);
        }));
        l.add(new Scenario("o06-host-access-multi-emulate-each-rep", "ops", "host set_mem_access_multi needs the ring; emulate_each_rep toggles", c -> {
            DomainId d = c.guest(1).domain();
            List<org.xenffm.api.GfnAccess> two = List.of(new org.xenffm.api.GfnAccess(A1, MemAccess.R), new org.xenffm.api.GfnAccess(A2, MemAccess.X));
            c.rec.expectRun("host set_mem_access_multi, no ring", "ENODEV", () -> c.hv.setMemAccessMulti(d, two));
            // asm/monitor.h:arch_monitor_domctl_op: no vCPU 0 vm_event state (no ring) → EINVAL
            c.rec.expectRun("emulate_each_rep(1), no ring", "EINVAL", () -> c.hv.monitorEmulateEachRep(d, true));
            c.onClose(() -> c.hv.monitorDisable(d));
            c.rec.expect("monitor_enable", "ok", () -> c.hv.monitorEnable(d) != null);
            c.rec.expectRun("host set_mem_access_multi(g r, g' x)", "ok", () -> c.hv.setMemAccessMulti(d, two));
            c.rec.expectValue("host access of g, g'", "r x", c.hv.getMemAccess(d, A1).label() + " " + c.hv.getMemAccess(d, A2).label());
            c.rec.expectRun("emulate_each_rep(1)", "ok", () -> c.hv.monitorEmulateEachRep(d, true));
            c.rec.expectRun("emulate_each_rep(1) again", "ok", () -> c.hv.monitorEmulateEachRep(d, true));
            c.rec.expectRun("emulate_each_rep(0)", "ok", () -> c.hv.monitorEmulateEachRep(d, false));
            c.rec.expectRun("host set_mem_access_multi back to rwx", "ok", () -> c.hv.setMemAccessMulti(d,
                    List.of(new org.xenffm.api.GfnAccess(A1, MemAccess.RWX), new org.xenffm.api.GfnAccess(A2, MemAccess.RWX))));
        }));
        // ---- vmi: issue 17's registers, guest-virtual memory and physmap changes on the puppet -------------------
        l.addAll(VmiScenarios.all());
        // ---- stealth: issue 18's stealth breakpoints on a fork child (4.20: the puppet), EMULATE mode ------------
        l.addAll(StealthScenarios.all());
        // ---- safe: issue 6's orderings through the sharing-aware altp2m layer; a Bochs boot of its own -----------
        l.addAll(SafeScenarios.all());
        // ---- panic: alone, last ------------------------------------------------------------------------------------
        l.add(new Scenario("s12-view-access-on-shared-gfn-crashes", "panic", "altp2m set_mem_access on a shared gfn the view lacks panics 4.17.5", c -> {
            DomainId d = c.guest(1).domain();
            SharingHandle h1 = Share.nominate(c, d, G1), h2 = c.hv.memshrNominateGfn(d, G2);
            c.rec.expectRun("share g1 <- g2", "ok", () -> c.hv.memshrShareGfns(d, G1, h1, d, G2, h2));
            ViewId v = Altp2m.on(c, d);
            c.rec.expectRun("view set_mem_access(shared g1, rx)", "CRASH", () -> c.hv.altp2mSetMemAccess(d, v, G1, MemAccess.RX));
        }));
        l.add(new Scenario("s16-change-gfn-on-shared-gfn-crashes", "panic2", "change_gfn on a shared gfn the view lacks panics 4.17.5", c -> {
            DomainId d = c.guest(1).domain();
            SharingHandle h1 = Share.nominate(c, d, G1), h2 = c.hv.memshrNominateGfn(d, G2);
            c.rec.expectRun("share g1 <- g2", "ok", () -> c.hv.memshrShareGfns(d, G1, h1, d, G2, h2));
            ViewId v = Altp2m.on(c, d);
            c.rec.expectRun("change_gfn(view 1, shared g1 -> g3)", "CRASH", () -> c.hv.altp2mChangeGfn(d, v, G1, G3));
        }));
        return l;
    }

    /** Waits for the next request on a ring (event channel first, then the ring itself). */
    static final class Events {
        /** The guest's monitor ring (recorded step "monitor_enable"), its event channel bound, a consumer over it;
         *  disabled and closed when the scenario ends. */
        record Ring(MonitorRing ring, EventChannel ec, int port, VmEventRing r) {
            static Ring open(Scenario.Ctx c, GuestDriver g) {
                DomainId d = g.domain();
                MonitorRing ring = c.rec.expect("monitor_enable", "ok", () -> c.hv.monitorEnable(d)).get();
                c.onClose(() -> c.hv.monitorDisable(d));
                EventChannel ec = c.onClose(c.hv.eventChannelOpen());
                int port = ec.bindInterdomain(d, ring.remotePort());
                return new Ring(ring, ec, port, VmEventRing.attach(ring, c.hv.vmEventGetVersion(), g.vcpus()));
            }

            /** The next request (see {@link Events#await}). */
            VmEvent await(GuestDriver g, Duration timeout) { return Events.await(g, ec, r, timeout); }

            /** Publishes the responses written and kicks Xen's port. */
            void push() {
                r.pushResponses();
                ec.notify(port);
            }
        }

        /** Whether the running guest completes {@code n} more loops within {@link #RUN}; ticks it meanwhile. */
        static boolean loops(GuestDriver g, int n) {
            long target = g.loops() + n;
            return until(g, () -> g.loops() >= target);
        }

        /** Whether {@code counter} reaches {@code n} within {@link #RUN}; ticks the guest meanwhile. */
        static boolean count(GuestDriver g, AtomicInteger counter, int n) { return until(g, () -> counter.get() >= n); }

        private static boolean until(GuestDriver g, java.util.function.BooleanSupplier done) {
            long deadline = System.nanoTime() + RUN.toNanos();
            while (!done.getAsBoolean()) {
                if (System.nanoTime() > deadline) return false;
                g.tick();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }

        static VmEvent await(GuestDriver g, EventChannel ec, VmEventRing r, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                g.tick();
                VmEvent ev = r.next();
                if (ev != null) return ev;
                ec.waitPending(Duration.ofMillis(200)).ifPresent(ec::unmask);
            }
            return r.next();
        }
    }

    /** The first sharing call of a scenario, recorded and checked: N/A from there on without CONFIG_MEM_SHARING. */
    static final class Share {
        static SharingHandle nominate(Scenario.Ctx c, DomainId d, Gfn g) {
            return nominate(c, "nominate gfn 0x" + Long.toHexString(g.value()), d, g);
        }

        /** A scenario's first sharing call, recorded as {@code step}: ok, or ENOSYS and the scenario ends N/A. */
        static SharingHandle nominate(Scenario.Ctx c, String step, DomainId d, Gfn g) {
            var o = c.rec.expect(step, c.sharing("ok"), () -> c.hv.memshrNominateGfn(d, g));
            c.requireSharing();
            return o.get();
        }
    }

    /** Forking a puppet. */
    static final class Fork {
        /**
         * >= 4.19 every puppet has altp2m from creation (pup.cfg), and mem_sharing.c:copy_settings →
         * hvm.c:hvm_copy_context_and_params sets each non-zero param on the child through hvm_set_param, where
         * HVM_PARAM_ALTP2M is read-only: EEXIST, the fork rolled back, the parent unpaused (s20).
         */
        static String expected(Scenario.Ctx c) { return c.sharing(c.target.altp2mAtCreation() ? "EEXIST" : "ok"); }

        static void requireForked(Scenario.Ctx c) {
            c.requireSharing();
            if (c.target.altp2mAtCreation())
                throw new Scenario.NotApplicable(">= 4.19: the puppet parent has altp2m from creation and cannot be forked (s20)");
        }
    }

    /** Global sharing counters, compared as deltas. */
    record Counters(long freed, long used, Hypervisor hv) {
        static Counters of(Hypervisor hv) { return new Counters(hv.sharingFreedPages(), hv.sharingUsedFrames(), hv); }

        void expectDelta(Scenario.Ctx c, String when, long dFreed, long dUsed) {
            c.rec.expectValue("freed delta " + when, dFreed, hv.sharingFreedPages() - freed);
            c.rec.expectValue("used delta " + when, dUsed, hv.sharingUsedFrames() - used);
        }
    }

    /** altp2m on with mode external and one rwx view (index 1), as DRAKVUF does it. */
    static final class Altp2m {
        static ViewId on(Scenario.Ctx c, DomainId d) {
            // >= 4.19 the mode is the domain's from creation (pup.cfg) and the param read-only: EEXIST for every value
            c.rec.expectRun("altp2m: HVM_PARAM_ALTP2M = external", c.target.altp2mAtCreation() ? "EEXIST" : "ok",
                    () -> c.hv.hvmParamSet(d, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL));
            c.rec.expectRun("altp2m: set_domain_state(1)", "ok", () -> c.hv.altp2mSetDomainState(d, true));
            return c.rec.expect("altp2m: create_view(rwx)", "ok", () -> c.hv.altp2mCreateView(d, MemAccess.RWX)).get();
        }

        static void off(Scenario.Ctx c, DomainId d) {
            c.rec.expectRun("altp2m: switch_to_view(0)", "ok", () -> c.hv.altp2mSwitchToView(d, ViewId.HOST));
            c.rec.expectRun("altp2m: set_domain_state(0)", "ok", () -> c.hv.altp2mSetDomainState(d, false));
        }
    }

    /** A bare domain made with domainCreate (fork child), destroyed at the end unless already gone. */
    static final class Child implements AutoCloseable {
        private final Hypervisor hv;
        private final DomainId id;
        private boolean destroyed;

        Child(Hypervisor hv, DomainId id) {
            this.hv = hv;
            this.id = id;
        }

        DomainId id() { return id; }

        @Override public void close() {
            if (destroyed) return;
            destroyed = true;
            hv.domainDestroy(id);
        }
    }

    /** First dword of a guest page, through a foreign mapping (dom0's view of the host p2m). */
    static final class Pages {
        static int read(Hypervisor hv, DomainId d, Gfn g) {
            try (ForeignMapping m = hv.foreignMemoryMap(d, false, List.of(g))) {
                return m.memory().get(ValueLayout.JAVA_INT_UNALIGNED, 0);
            }
        }

        static void write(Hypervisor hv, DomainId d, Gfn g, int value) {
            try (ForeignMapping m = hv.foreignMemoryMap(d, true, List.of(g))) {
                m.memory().set(ValueLayout.JAVA_INT_UNALIGNED, 0, value);
            }
        }

        static String hex(int v) { return "0x" + Integer.toHexString(v); }

        /** Gfns of d that are shared (debug_gfn succeeds), outside the data gfns the scenarios use themselves. */
        static List<String> sharedGfns(Hypervisor hv, DomainId d) {
            List<String> out = new ArrayList<>();
            long[][] ranges = {{0, GuestDriver.DATA_FIRST}, {0xfeff0, 0xff000}}; // boot data + code, special pages
            for (long[] r : ranges)
                for (long g = r[0]; g < r[1]; g++) {
                    try {
                        hv.memshrDebugGfn(d, Gfn.of(g));
                        out.add("0x" + Long.toHexString(g));
                    } catch (org.xenffm.api.XenException e) {
                        // not shared
                    }
                }
            return out;
        }
    }
}
