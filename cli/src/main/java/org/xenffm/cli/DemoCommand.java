// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmParam;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestCpu;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.Outcome;
import org.xenffm.safe.ConflictPolicy;
import org.xenffm.safe.MonitorSessionFaults;
import org.xenffm.safe.SharingAwareAltp2m;
import org.xenffm.vmevent.MonitorSession;
import org.xenffm.vmevent.VmEvent;
import org.xenffm.vmevent.VmEventResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@code demo}: the guided tour on the emulated backend. Every hypervisor call goes through api.Hypervisor (and
 * vmevent.MonitorSession); only the guests' own actions (their vCPUs reading and writing memory) use the emulator's
 * guest API, because on real Xen those are the guest's doing, not dom0's.
 */
@Command(name = "demo", sortOptions = false, usageHelpAutoWidth = true,
        header = "A guided tour on an emulated Xen 4.17 host: dedup, a stealth altp2m watch, unshare, fork, counters.",
        description = {"Runs on the emulated backend (the default for this verb; no Xen needed) with two HVM guests",
                "booted from the same image: deduplicates a range between them (xc_memshr_range_share), puts a",
                "write watch on a shared page in a hidden altp2m view of the second guest, lets that guest write",
                "the page (Xen unshares it and a MEM_ACCESS event arrives through the vm_event ring) while the",
                "view keeps its restriction (org.xenffm.safe keeps it; --raw shows raw Xen 4.17 losing it), forks the first guest and resets the fork, and ends with the",
                "sharing counters and a summary table. Each step names the libxenctrl calls it makes."},
        footerHeading = "%nExamples:%n", footer = {"  xenffm demo", "  xenffm --json demo | jq -c .step"})
final class DemoCommand extends XenCommand {
    static final long FIRST = 0x100, LAST = 0x1ff;   // the deduplicated range
    static final Gfn WATCHED = Gfn.of(0x180);        // the page under the write watch
    static final Duration WAIT = Duration.ofSeconds(10);

    private final List<List<String>> summary = new ArrayList<>();
    private int eventsSeen;

    @Option(names = "--raw", description = "keep the watch with raw libxenctrl calls only, to see what Xen 4.17 "
            + "does when nobody keeps the view (the default uses the sharing-aware layer, org.xenffm.safe)")
    boolean raw;

    @Option(names = "--trace", description = "instead of the tour: four guests from one image deduplicated, one "
            + "stealth breakpoint in each (org.xenffm.stealth), hits per guest, a read of the breakpoint byte, an "
            + "unsharing write (needs --emulated-domains 4x1024, +altp2m on 4.20)")
    boolean trace;

    @Override Backends.Kind preferredBackend() { return Backends.Kind.emulated; }

    @Override int run(Hypervisor hv, Printer out) throws Exception {
        if (!(hv instanceof EmulatedHypervisor emu))
            throw new IllegalArgumentException("demo drives guest vCPUs and needs the emulated backend: "
                    + "xenffm --backend emulated demo");
        List<DomainId> guests = hv.domainGetinfolist(DomainId.DOM0, 64).stream().filter(DomainInfo::hvm)
                .map(DomainInfo::domain).filter(d -> d.value() != 0).toList();
        if (trace) return new TraceDemo(emu, out).run(guests);
        if (guests.size() < 2)
            throw new IllegalArgumentException("demo needs two HVM guests: --emulated-domains 2x4096");
        DomainId a = guests.get(0), b = guests.get(1);
        if (hv.version().atLeast(4, 19) && hv.hvmParamGet(b, HvmParam.ALTP2M) == HvmParam.ALTP2M_DISABLED)
            throw new IllegalArgumentException("on Xen " + hv.version() + " altp2m is chosen when a domain is "
                    + "created, and forking an altp2m parent fails (EEXIST): --emulated-domains 4096,4096+altp2m");
        for (DomainId d : List.of(a, b))
            if (hv.domainGetinfo(d).totPages() < 1024)
                throw new IllegalArgumentException("demo needs guests of at least 1024 pages (it works on gfns "
                        + Args.hex(FIRST) + ".." + Args.hex(LAST) + "): --emulated-domains 2x4096");
        out.say("xenffm demo — emulated Xen " + hv.version() + ", vm_event ABI " + hv.vmEventGetVersion() + ", guests "
                + a + " and " + b + " (" + hv.domainGetinfo(a).totPages() + " pages each)\n");

        // 1. two guests booted from one image: identical contents in [FIRST, LAST]
        for (DomainId d : List.of(a, b)) {
            GuestCpu cpu = emu.guest(d).vcpu(0);
            for (long g = FIRST; g <= LAST; g++) done(cpu.write(Gfn.of(g), 0, image(g)), "boot write");
        }
        step(out, hv, a, b, null, "boot", "both guests load the same image into gfns " + Args.hex(FIRST) + ".."
                + Args.hex(LAST), 0);

        // 2. deduplicate: Xen enables sharing on the source itself, not on the client; both must be paused
        hv.memshrControl(b, true);
        hv.domainPause(a);
        hv.domainPause(b);
        hv.memshrRangeShare(a, b, Gfn.of(FIRST), Gfn.of(LAST));
        hv.domainUnpause(b);
        hv.domainUnpause(a);
        int sharers = hv.memshrDebugGfn(b, WATCHED);
        step(out, hv, a, b, null, "range_share", "xc_memshr_range_share(" + a + ", " + b + ", " + Args.hex(FIRST)
                + ", " + Args.hex(LAST) + "): " + (LAST - FIRST + 1) + " pages now one copy each ("
                + WATCHED + " has " + sharers + " sharers)", 0);

        // 3–5. a stealth view on b with a write watch on a shared page, then the guest writes it
        List<VmEvent.MemAccess> events = new CopyOnWriteArrayList<>();
        GuestCpu cpu = emu.guest(b).vcpu(0);
        if (raw) rawWatch(hv, out, a, b, cpu, events);
        else keptWatch(hv, out, a, b, cpu, events);

        // 6. fork a and reset the fork
        DomainId child = hv.domainCreate(DomainConfig.forkChild(hv.domainGetinfo(a).vcpus()));
        hv.memshrFork(a, child, false, true);
        hv.domainUnpause(child);
        GuestCpu c = emu.guest(child).vcpu(0);
        GuestResult r = c.read(Gfn.of(0x120), 0, 16);
        done(r, "fork read");
        done(c.write(Gfn.of(0x121), 0, "fork private".getBytes(StandardCharsets.US_ASCII)), "fork write");
        long privateBefore = hv.domainGetinfo(child).totPages();
        long cr3Gfn = emu.guest(a).vcpu(0).registers().cr3 >>> 12;   // shared by the fork itself (loading the vCPU)
        step(out, hv, a, b, child, "fork", "xc_memshr_fork(" + a + ", " + child + "): the child starts with one "
                + "entry, its vCPU's CR3 page (gfn 0x" + Long.toHexString(cr3Gfn) + ", shared); its read of gfn "
                + "0x120 shares the parent's page, its write to 0x121 copies one (" + privateBefore
                + " private page" + (privateBefore == 1 ? ")" : "s)"), 0);
        hv.domainPause(child);
        hv.memshrForkReset(child, true, true);
        hv.domainUnpause(child);
        GuestResult again = c.read(Gfn.of(0x121), 0, 12);
        done(again, "read after reset");
        boolean restored = Arrays.equals(again.data(), Arrays.copyOf(image(0x121), 12));
        step(out, hv, a, b, child, "fork_reset", "xc_memshr_fork_reset(" + child + ", state, memory): "
                + hv.domainGetinfo(child).totPages() + " private pages left; gfn 0x121 "
                + (restored ? "reads the parent's bytes again" : "still holds the child's write (unexpected)"), 0);

        // 7. the counters and the table
        SharingCounters all = SharingCounters.readAll(hv);
        out.result(Json.object().put("step", "summary").put("counters", all.toJson())
                        .put("invariant_holds", all.invariantHolds()).put("events", eventsSeen),
                "\n" + Printer.table(List.of("step", "freed", "used", a + " shr", b + " shr", "events"), summary)
                        + "\n\nsum of shr_pages " + all.sumShr() + (all.invariantHolds() ? " = " : " != ")
                        + "freed + used " + (all.freed() + all.used()) + "; memory saved: " + all.freed()
                        + " pages (" + all.freed() * 4 + " KiB)");
        return ExitCode.OK;
    }

    /**
     * The watch through org.xenffm.safe.SharingAwareAltp2m: it issues the safe call order, keeps the host default
     * write-less while a declared gfn is shared, and on the unsharing write re-applies the view before the vCPU
     * retries — so one guest write both unshares the page and arrives as an event, and the view keeps rx.
     */
    private void keptWatch(Hypervisor hv, Printer out, DomainId a, DomainId b, GuestCpu cpu,
                           List<VmEvent.MemAccess> events) {
        MonitorSessionFaults faults = new MonitorSessionFaults(hv).onViolation(b, e -> {
            events.add(e.copy());
            return VmEventResponse.CONTINUE.emulate(); // the write completes, the view keeps rx
        });
        try (SharingAwareAltp2m keeper = new SharingAwareAltp2m(hv, faults)) {
            // range_share went around the keeper: let it learn the watched pair (sharing a pair that already has
            // one frame is a no-op in Xen, mem_sharing.c:share_pages step 2), so it can re-share around the view
            keeper.share(a, WATCHED, b, WATCHED);
            ViewId view = keeper.createView(b, MemAccess.DEFAULT);
            keeper.switchToView(b, view);
            keeper.setVisibility(b, view, false);
            // Xen ≥ 4.19 cannot keep a view on a shared gfn (lazy copies take the view's default access, so an
            // unsharing write from another view raises nothing): the layer refuses KEEP_BOTH there, UNSHARE works
            boolean keeps = !hv.version().altp2mAtCreation();
            keeper.setViewAccess(b, view, WATCHED, MemAccess.RX,
                    keeps ? ConflictPolicy.KEEP_BOTH : ConflictPolicy.UNSHARE);
            step(out, hv, a, b, null, "stealth view", "altp2m " + view + " on " + b + " (hidden), write watch rx on "
                    + WATCHED + " through the sharing-aware layer (org.xenffm.safe): " + (keeps
                    ? "the page stays shared (" + SharingCommands.sharers(hv, b, WATCHED) + " sharers), " + b
                    + "'s default access is now " + hv.getMemAccess(b, Gfn.INVALID).label()
                    + " so an unsharing write cannot slip by"
                    : "on Xen " + hv.version() + " a view cannot be kept on a shared page, so " + b + "'s copy was "
                    + "unshared first (ConflictPolicy.UNSHARE; " + a + " keeps the frame)"), 0);

            Outcome o1 = cpu.write(WATCHED, 0x10, "guest write #1".getBytes(StandardCharsets.US_ASCII)).await(WAIT);
            var st = keeper.stats();
            step(out, hv, a, b, null, "guest write", b + " writes " + WATCHED + " (" + o1.name().toLowerCase()
                    + "): " + (keeps ? "Xen unshared it (" + st.unsharesCaught + " unshare caught, view re-applied), "
                    + "the retried write hit the view: " : "the page is private, the write hit the view: ")
                    + describe(events) + "; view access "
                    + hv.altp2mGetMemAccess(b, view, WATCHED).label(), events.size());

            Outcome o2 = cpu.write(WATCHED, 0x20, "guest write #2".getBytes(StandardCharsets.US_ASCII)).await(WAIT);
            step(out, hv, a, b, null, "view kept", "the next write (" + o2.name().toLowerCase() + ") is caught "
                    + "too: " + describe(events) + "; view access still "
                    + hv.altp2mGetMemAccess(b, view, WATCHED).label(), events.size());
        }
    }

    /** The same with raw libxenctrl calls only: what Xen 4.17 does when nobody keeps the view. */
    private void rawWatch(Hypervisor hv, Printer out, DomainId a, DomainId b, GuestCpu cpu,
                          List<VmEvent.MemAccess> events) {
        // Xen 4.17 sets the mode at run time (once); Xen ≥ 4.19 only at creation (then the param is read-only)
        if (hv.hvmParamGet(b, HvmParam.ALTP2M) == HvmParam.ALTP2M_DISABLED)
            hv.hvmParamSet(b, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL);
        hv.altp2mSetDomainState(b, true);
        ViewId view = hv.altp2mCreateView(b, MemAccess.DEFAULT);
        try (MonitorSession _ = MonitorSession.builder(hv, b).shutdownHook(false)
                .on(VmEvent.MemAccess.class, e -> {
                    events.add(e.copy());
                    return VmEventResponse.CONTINUE.emulate();
                }).start()) {
            hv.altp2mSwitchToView(b, view);
            hv.altp2mSetVisibility(b, view, false);
            // Xen 4.17 panics on set_mem_access for a shared gfn the view has not copied (mm-locks.h:80):
            // let the guest read it in the view first, so the view holds the (shared) entry and nothing unshares
            done(cpu.read(WATCHED, 0, 8), "read in view");
            hv.altp2mSetMemAccess(b, view, WATCHED, MemAccess.RX);
            step(out, hv, a, b, null, "stealth view", "altp2m " + view + " on " + b + " (hidden: "
                    + "xc_altp2m_set_visibility off), write watch rx on " + WATCHED + " (read in the view first: "
                    + "Xen 4.17 panics otherwise)", 0);

            Outcome o1 = cpu.write(WATCHED, 0x10, "guest write #1".getBytes(StandardCharsets.US_ASCII)).await(WAIT);
            MemAccess after1 = hv.altp2mGetMemAccess(b, view, WATCHED);
            step(out, hv, a, b, null, "guest write", b + " writes " + WATCHED + " (" + o1.name().toLowerCase()
                    + "): Xen unshared it before checking access and rewrote the view entry with the host default ("
                    + after1.label() + "): " + (events.isEmpty() ? "no event, the watch is gone"
                    : describe(events)), events.size());

            // re-arm by hand: the gfn is private now, so this is safe
            hv.altp2mSetMemAccess(b, view, WATCHED, MemAccess.RX);
            Outcome o2 = cpu.write(WATCHED, 0x20, "guest write #2".getBytes(StandardCharsets.US_ASCII)).await(WAIT);
            step(out, hv, a, b, null, "view kept", "re-armed by hand, the next write (" + o2.name().toLowerCase()
                    + ") is caught: " + describe(events) + "; view access "
                    + hv.altp2mGetMemAccess(b, view, WATCHED).label(), events.size());
        }
    }

    private static String describe(List<VmEvent.MemAccess> events) {
        if (events.isEmpty()) return "no event";
        VmEvent.MemAccess ev = events.getLast();
        return "MEM_ACCESS " + (ev.write() ? "write" : "read") + " at gpa " + Args.hex(ev.gpa()) + " from "
                + ev.vcpu() + " in " + ev.header().view().map(ViewId::toString).orElse("the host p2m")
                + ", answered EMULATE";
    }

    /** The "image" bytes of a page: what both guests load at boot. */
    static byte[] image(long gfn) {
        return ("xenffm demo image, page " + Args.hex(gfn)).getBytes(StandardCharsets.US_ASCII);
    }

    private static void done(GuestResult r, String what) {
        Outcome o = r.await(WAIT);
        if (o != Outcome.COMPLETED) throw new IllegalStateException(what + " ended " + o);
    }

    private void step(Printer out, Hypervisor hv, DomainId a, DomainId b, DomainId child, String name, String text,
                      int events) {
        eventsSeen = Math.max(eventsSeen, events);
        SharingCounters c = SharingCounters.read(hv, child == null ? List.of(a, b) : List.of(a, b, child));
        summary.add(List.of(name, Long.toString(c.freed()), Long.toString(c.used()), Long.toString(c.shr(a)),
                Long.toString(c.shr(b)), Integer.toString(eventsSeen)));
        out.result(Json.object().put("step", name).put("text", text).put("counters", c.toJson()).put("events", eventsSeen),
                Printer.wrap(String.format("%-13s %s", name, text), 100, 14) + "\n" + " ".repeat(14)
                        + c.human());
    }
}
