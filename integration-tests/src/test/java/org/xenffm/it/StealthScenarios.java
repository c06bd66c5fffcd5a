// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import static org.xenffm.it.GuestDriver.Mode.REPORT;
import static org.xenffm.it.GuestDriver.Mode.WRITE;
import static org.xenffm.it.Scenarios.RUN;
import static org.xenffm.it.VmiScenarios.hex;
import static org.xenffm.it.VmiScenarios.le32;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmContext;
import org.xenffm.api.PagingMode;
import org.xenffm.api.VcpuId;
import org.xenffm.api.X86Registers;
import org.xenffm.it.Scenarios.Pages;
import org.xenffm.stealth.Breakpoint;
import org.xenffm.stealth.BreakpointHit;
import org.xenffm.stealth.StealthTracer;
import org.xenffm.stealth.StepMode;
import org.xenffm.vmi.GuestMemory;

/**
 * Issue 18's stealth breakpoints on the puppet (issue 18 item 4): a breakpoint set at a guest-virtual address in a
 * fork child of a parent paused at a point (Xen 4.17 with mem_sharing), or in the puppet itself where it cannot be
 * forked (4.20: altp2m from creation), hit by code the guest executes with paging on, in EMULATE mode (Bochs' VT-x has
 * no monitor trap flag). Both backends run the same steps; {@link GuestDriver#BP_STUB} is the code that is hit.
 */
final class StealthScenarios {
    private StealthScenarios() {}

    /** 32-bit paging: the page directory, one page table, the breakpoint's code page and the spin stub's page. */
    static final long PD = 0x250, PT = 0x251, CODE = 0x260, SPIN = 0x261;
    /** PDE 0x100 covers 0x40000000..0x403fffff: PTE 0 the code page (the breakpoint at its first byte), PTE 1 the spin. */
    static final long VA_BP = 0x40000000L, VA_SPIN = 0x40001000L;
    /** Where the guest's unsharing write lands: the code page, away from the stub. */
    static final long WRITE_AT = (CODE << 12) + 0x800;

    static List<Scenario> all() {
        List<Scenario> l = new ArrayList<>();
        l.add(new Scenario("s42-stealth-breakpoint", "stealth", "a stealth breakpoint (EMULATE mode) at a virtual address of a fork child (4.20: the puppet): hits with RIP/CR3, the incl runs once per hit, a guest read sees the original bytes, an unsharing write keeps it, close returns the page", c -> {
            GuestDriver p = c.guest(1);
            DomainId pd = p.domain();
            try (GuestMemory mem = new GuestMemory(c.hv, pd)) {
                mem.writePhysical(PD << 12, le32(0x83));                       // PDE 0: 4 MiB identity (code, mailbox)
                mem.writePhysical((PD << 12) + 4 * 0x100, le32((PT << 12) | 3));
                mem.writePhysical(PT << 12, le32((CODE << 12) | 3));
                mem.writePhysical((PT << 12) + 4, le32((SPIN << 12) | 3));
                mem.writePhysical(CODE << 12, GuestDriver.BP_STUB);
                mem.writePhysical(SPIN << 12, GuestDriver.SPIN_STUB);
            }
            // the parent paused at a point: spinning with paging on, so a fork child's vCPU translates VA_BP
            p.programPaged(VmiScenarios.CR4_PSE, PD << 12, 0, VA_SPIN);
            c.rec.expectValue("parent spins (paging on)", true, p.runUntilSpinning(RUN));
            List<BreakpointHit> hits = java.util.Collections.synchronizedList(new ArrayList<>());
            StealthTracer tracer = c.onClose(new StealthTracer(c.hv, StepMode.EMULATE, hits::add));
            DomainId d;
            GuestDriver g;
            boolean forked = c.target.memSharing() && !c.target.altp2mAtCreation();
            if (forked) {
                d = c.rec.expect("fork(P, new child)", "ok", () -> tracer.keeper().fork(pd, null, false)).get();
                c.onClose(() -> tracer.destroy(d));
                g = c.attach(d, 1);
            } else {
                // 4.20 cannot fork the puppet (altp2m from creation, s20); the breakpoint goes into the puppet itself
                c.rec.observe("traced domain", c.target.memSharing() ? "the puppet (altp2m parent: no fork)" : "the puppet (no mem_sharing)");
                d = pd;
                g = p;
            }
            DomainInfo before = c.hv.domainGetinfo(d);
            Breakpoint bp = c.rec.expect("addVirtual(vcpu 0, VA_BP)", "ok", () -> tracer.addVirtual(d, VcpuId.of(0), VA_BP)).get();
            c.rec.expectValue("breakpoint gpa (walked through the vCPU's CR3)", hex(CODE << 12), hex(bp.gpa()));
            DomainInfo set = c.hv.domainGetinfo(d);
            // +1 the shadow page; a fork child has no monitor ring page, which xc_monitor_enable populates (+1). The ring
            // gfn leaves the physmap, but the page counts in tot_pages until the ring goes (vm_event_enable's reference)
            c.rec.expectValue("tot_pages delta at add (shadow page, monitor ring page)", forked ? 2L : 1L, set.totPages() - before.totPages());
            c.rec.expectValue("dom0 reads the code page (host p2m: no INT3)", hex(le32(Arrays.copyOf(GuestDriver.BP_STUB, 4))),
                    Pages.hex(Pages.read(c.hv, d, Gfn.of(CODE))));
            c.rec.expectValue("shadow page: INT3 then the original bytes", "0xcc 0x5", shadowBytes(c, tracer, d));

            // out of the spin (its resume point returns into the loop); the guest first reads, then writes the page,
            // then runs the stub: on 4.17 the write is what unshares the child's page (a hit first would unshare it
            // itself: monitor.c:gfn_of_rip, see StealthTracer.keepAfterHit)
            g.program(REPORT, CODE << 12, (CODE + 1) << 12);
            HvmContext ctx = c.hv.domainHvmGetcontext(d);
            c.rec.expectRun("setcontext(rip past the spin)", "ok", () -> c.hv.domainHvmSetcontext(d,
                    ctx.withCpu(VcpuId.of(0), ctx.cpu(VcpuId.of(0)).with(X86Registers.Reg.RIP, VA_SPIN + GuestDriver.RESUME_AT))));
            int runs0 = g.stubRuns();
            // a guest read of the page in the execute view: the tracer turns the view to the original page. The loop
            // the vCPU is in finishes in its old mode: two loops make one whole pass in the new one
            c.rec.expectValue("guest loops reading the code page", true, g.run(2, RUN) >= 2);
            c.rec.expectValue("guest read of the breakpoint's dword (original, no 0xcc)", hex(le32(Arrays.copyOf(GuestDriver.BP_STUB, 4))),
                    hex(g.reported()));
            counts(c, "counts after the read", tracer, g, runs0);
            c.rec.expectValue("accesses hidden", 1L, tracer.accessesHidden());

            // a guest write to the page: on 4.17 it unshares the child's copy of the parent's page
            long shared = c.hv.domainGetinfo(d).shrPages();
            g.program(WRITE, WRITE_AT, WRITE_AT + 1);
            c.rec.expectValue("guest loops writing the code page", true, g.run(2, RUN) >= 2);
            c.rec.expectValue("dom0 reads the guest's write", "0x3", Pages.hex(readAt(c, d, WRITE_AT)));
            c.rec.expectValue("shr_pages delta at the write (4.17: the page unshared)", forked ? -1L : 0L,
                    c.hv.domainGetinfo(d).shrPages() - shared);
            c.rec.expectValue("no hit while reading and writing", 0L, tracer.hits());

            // every pass from now on runs the stub at VA_BP: the fetch re-shadows the (rewritten) page, then hits
            g.programPaged(VmiScenarios.CR4_PSE, PD << 12, 0, VA_BP);
            c.rec.expectValue("guest loops through the breakpoint", true, g.run(3, RUN) >= 3);
            counts(c, "counts after 3 loops through the breakpoint", tracer, g, runs0);
            c.rec.expectValue("hits >= 2", true, hits.size() >= 2);
            BreakpointHit first = hits.getFirst();
            c.rec.expectValue("hit: vcpu rip cr3", "0 " + hex(VA_BP) + " " + hex(PD << 12),
                    first.vcpu().value() + " " + hex(first.regs().rip()) + " " + hex(first.regs().cr3()));
            c.rec.expectValue("hit: paging mode", "LEGACY", PagingMode.of(first.regs()).name());
            c.rec.expectValue("the incl ran once per hit (one hit may still wait)", true,
                    stubRunsMatch(g.stubRuns() - runs0, tracer.hits()));
            c.rec.expectValue("re-shadowed once (the fetch after the read and write)", 1L, tracer.reshadows());
            c.rec.expectValue("re-synced after a hit (Xen had unshared the page)", 0L, tracer.resyncs());

            // closing restores everything: the shadow returned, max_pages back, the guest runs its original code
            DomainInfo open = c.hv.domainGetinfo(d);
            c.rec.expectRun("tracer close", "ok", tracer::close);
            DomainInfo after = c.hv.domainGetinfo(d);
            c.rec.expectValue("tot_pages delta at close (the shadow and the ring page returned)", -2L, after.totPages() - open.totPages());
            c.rec.expectValue("max_pages delta from before the breakpoint", 0L, after.maxPages() - before.maxPages());
            c.rec.expectValue("dom0 reads the code page after close", hex(le32(Arrays.copyOf(GuestDriver.BP_STUB, 4))),
                    Pages.hex(Pages.read(c.hv, d, Gfn.of(CODE))));
            long hitsClosed = tracer.hits();
            int runs2 = g.stubRuns();
            c.rec.expectValue("guest loops through the stub after close", true, g.run(2, RUN) >= 2);
            c.rec.expectValue("the incl runs with no hit after close", true, g.stubRuns() - runs2 >= 2 && tracer.hits() == hitsClosed);
        }));
        return l;
    }

    /** The tracer's counters and the stub's runs, recorded as the detail of an "ok" step (they depend on timing). */
    private static void counts(Scenario.Ctx c, String step, StealthTracer t, GuestDriver g, int runs0) {
        c.rec.expect(step, "ok", () -> "hits " + t.hits() + ", stub runs " + (g.stubRuns() - runs0) + ", accesses hidden "
                + t.accessesHidden() + ", reshadows " + t.reshadows() + ", reinjected " + t.reinjected() + ", stale "
                + t.staleHits() + ", resyncs " + t.resyncs() + ", loops " + g.loops());
    }

    /** One hit may be out (its vCPU paused on the event, its incl not yet run) when the driver paused the guest. */
    private static boolean stubRunsMatch(long runs, long hits) { return runs == hits || runs == hits - 1; }

    /** The shadow page's first two bytes, as dom0 maps it: the INT3 and the incl's modrm. */
    private static String shadowBytes(Scenario.Ctx c, StealthTracer t, DomainId d) {
        Gfn shadow = t.shadowPages(d).getFirst();
        try (var m = c.hv.foreignMemoryMap(d, false, List.of(shadow))) {
            return hex(m.memory().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) & 0xff) + " "
                    + hex(m.memory().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 1) & 0xff);
        }
    }

    private static int readAt(Scenario.Ctx c, DomainId d, long gpa) {
        try (GuestMemory mem = new GuestMemory(c.hv, d)) {
            return le32(mem.readPhysical(gpa, 4));
        }
    }
}
