// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestCpu;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.Outcome;
import org.xenffm.emulated.Registers;
import org.xenffm.safe.ConflictPolicy;
import org.xenffm.stealth.StealthTracer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code demo --trace}: four guests booted from one image, deduplicated, each with the same stealth breakpoint. As
 * in the rest of the demo, every hypervisor call goes through api.Hypervisor (and the stealth and safe layers on
 * it); the guests' own instructions, reads and writes use the emulator's guest API.
 */
final class TraceDemo {
    static final int CLONES = 4;
    static final long FIRST = 0x100, LAST = 0x1ff;          // the image, deduplicated
    static final long CODE = 0x140000, BP = CODE + 0x10;    // a page of NOPs in it, the breakpoint on its 16th byte
    static final byte NOP = (byte) 0x90;
    static final Duration WAIT = Duration.ofSeconds(10);

    private final EmulatedHypervisor emu;
    private final Printer out;
    private final List<List<String>> table = new ArrayList<>();
    private List<DomainId> g = List.of();

    TraceDemo(EmulatedHypervisor emu, Printer out) {
        this.emu = emu;
        this.out = out;
    }

    int run(List<DomainId> guests) {
        Hypervisor hv = emu;
        if (guests.size() < CLONES)
            throw new IllegalArgumentException("demo --trace needs " + CLONES + " HVM guests of at least 1024 pages: "
                    + "--emulated-domains 4x1024" + (hv.version().atLeast(4, 19) ? "+altp2m" : ""));
        g = guests.subList(0, CLONES);
        out.say("xenffm demo --trace — emulated Xen " + hv.version() + ": " + CLONES + " guests from one image, one "
                + "stealth breakpoint at " + Args.hex(BP) + " in each\n");
        for (DomainId d : g) {
            GuestCpu cpu = emu.guest(d).vcpu(0);
            for (long p = FIRST; p <= LAST; p++) done(cpu.write(Gfn.of(p), 0, page(p)), "boot write");
            Registers r = cpu.registers();
            r.cr0 = 0x11;   // the image runs with paging off: addresses are guest-physical
            cpu.setRegisters(r);
        }
        Map<DomainId, AtomicLong> hits = new ConcurrentHashMap<>();
        long hitsBefore;
        try (StealthTracer t = new StealthTracer(hv, null,
                h -> hits.computeIfAbsent(h.domain(), k -> new AtomicLong()).incrementAndGet())) {
            long freed0 = hv.sharingFreedPages();
            for (DomainId d : g.subList(1, CLONES))
                t.keeper().shareRange(g.getFirst(), d, Gfn.of(FIRST), Gfn.of(LAST), ConflictPolicy.KEEP_BOTH);
            long dedup = hv.sharingFreedPages() - freed0;
            row("range_share", "xc_memshr_range_share of gfns " + Args.hex(FIRST) + ".." + Args.hex(LAST) + " from "
                    + g.getFirst() + " into the other three: " + dedup + " pages freed", dedup, hits);

            for (DomainId d : g) t.add(d, BP);
            long withBp = hv.sharingFreedPages() - freed0;
            row("breakpoints", "one stealth breakpoint per guest (" + t.shadowPages(g.getFirst()).size()
                    + " private shadow page each, beyond max_gpfn); still " + withBp + " pages freed"
                    + (withBp < dedup ? " — Xen " + hv.version() + " cannot keep a view on a shared gfn, so the "
                    + "breakpoint page was made private in each guest (" + (dedup - withBp) + " pages)" : ""),
                    withBp, hits);

            for (int i = 0; i < CLONES; i++) {
                DomainId d = g.get(i);
                for (int k = 0; k <= i; k++) done(exec(d, BP), "execute");
            }
            row("execute", "guest i runs through the breakpoint i+1 times: hits per guest " + counts(g, hits),
                    hv.sharingFreedPages() - freed0, hits);

            GuestResult r = emu.guest(g.get(1)).vcpu(0).readGpa(BP, 1);
            done(r, "read");
            row("read", g.get(1) + " reads its breakpoint byte: " + Args.hex(r.data()[0] & 0xff)
                    + (r.data()[0] == NOP ? " (the original NOP, not INT3)" : " (unexpected)"),
                    hv.sharingFreedPages() - freed0, hits);

            DomainId w = g.get(2);
            hitsBefore = hits.get(w).get();
            done(emu.guest(w).vcpu(0).writeGpa(CODE + 0x800, new byte[]{1, 2, 3, 4}), "write");
            done(exec(w, BP), "execute");
            row("unshare", w + " writes its code page (a copy-on-write unshare), then runs the breakpoint again: "
                    + (hits.get(w).get() == hitsBefore + 1 ? "it still fires" : "it did not fire (unexpected)"),
                    hv.sharingFreedPages() - freed0, hits);
            out.result(Json.object().put("step", "summary").put("hits", countsJson(g, hits))
                            .put("accesses_hidden", t.accessesHidden()).put("reshadows", t.reshadows()),
                    "\n" + Printer.table(List.of("step", "freed", "hits per guest"), table)
                            + "\n\nguest reads/writes shown the original page: " + t.accessesHidden()
                            + "; shadows rebuilt for the next fetch: " + t.reshadows());
        }
        out.say("tracer closed: views destroyed, shadow pages returned (xc_domain_decrease_reservation_exact)");
        return ExitCode.OK;
    }

    private Outcome exec(DomainId d, long rip) {
        GuestCpu cpu = emu.guest(d).vcpu(0);
        Registers r = cpu.registers();
        r.rip = rip;
        cpu.setRegisters(r);
        return cpu.run(1).await(WAIT);
    }

    private static byte[] page(long gfn) {
        byte[] b = DemoCommand.image(gfn);
        if (gfn == CODE >>> 12) {
            b = new byte[4096];
            java.util.Arrays.fill(b, NOP);
        }
        return b;
    }

    private void row(String step, String text, long freed, Map<DomainId, AtomicLong> hits) {
        out.result(Json.object().put("step", step).put("text", text).put("freed", freed), "• " + step + ": " + text);
        table.add(List.of(step, Long.toString(freed), counts(g, hits)));
    }

    private static String counts(List<DomainId> g, Map<DomainId, AtomicLong> hits) {
        StringBuilder sb = new StringBuilder();
        for (DomainId d : g) sb.append(sb.isEmpty() ? "" : ", ").append(d).append(": ").append(hits.getOrDefault(d, new AtomicLong()));
        return sb.toString();
    }

    private static Json countsJson(List<DomainId> g, Map<DomainId, AtomicLong> hits) {
        Json j = Json.object();
        for (DomainId d : g) j.put(Integer.toString(d.value()), hits.getOrDefault(d, new AtomicLong()).get());
        return j;
    }

    private static void done(Outcome o, String what) {
        if (o != Outcome.COMPLETED) throw new IllegalStateException(what + " ended " + o);
    }

    private static void done(GuestResult r, String what) { done(r.await(WAIT), what); }
}
