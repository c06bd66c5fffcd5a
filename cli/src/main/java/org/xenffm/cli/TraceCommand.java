// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.DomainId;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.VcpuId;
import org.xenffm.stealth.Breakpoint;
import org.xenffm.stealth.BreakpointHit;
import org.xenffm.stealth.StealthTracer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code trace}: stealth breakpoints ({@link StealthTracer}) on a domain or on N forks of it, one line or JSON object
 * per hit, everything restored on exit (Ctrl-C included, by a shutdown hook running the same teardown).
 */
@Command(name = "trace", sortOptions = false, usageHelpAutoWidth = true,
        header = "Stealth INT3 breakpoints (shadow pages in an altp2m execute view) on a domain or its forks.",
        description = {"Sets each breakpoint the DRAKVUF way: a shadow page populated beyond the guest's highest gfn",
                "(xc_domain_populate_physmap_exact), the original copied into it, INT3 written, and the gfn",
                "remapped to it in an execute-only altp2m view (xc_altp2m_change_gfn) kept by org.xenffm.safe.",
                "The guest reads and writes its original page and never sees the INT3; its own INT3s reach it.",
                "A hit resumes with the original instruction: a one-instruction switch to view 0",
                "(FAST_SINGLESTEP, needs the monitor trap flag) or Xen emulating the original bytes",
                "(SET_EMUL_INSN_DATA; chosen when the host has no SINGLESTEP capability, e.g. under Bochs).%n",
                "--clones N pauses DOMAIN and traces N forks of it (xc_memshr_fork) instead, each with the same",
                "breakpoints; the forks are destroyed and DOMAIN unpaused on exit. Prints one line per hit",
                "(clone, vCPU, address, RIP, CR3) until --count hits, --timeout, or Ctrl-C; then restores the",
                "views, returns the shadow pages (xc_domain_decrease_reservation_exact) and max_pages."},
        footerHeading = "%nExamples:%n",
        footer = {"  xenffm trace 1 --break 0x1f0010 --count 10",
                "  xenffm trace 1 --break 0xffffffff81000000 --virtual --timeout 30s",
                "  xenffm --json trace 1 --break 0x5010,0x6020 --clones 4 --count 100"})
final class TraceCommand extends XenCommand {
    @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
    @Option(names = "--break", required = true, split = ",", paramLabel = "ADDR",
            description = "breakpoint addresses: guest-physical, or guest-virtual with --virtual")
    List<String> addresses = new ArrayList<>();
    @Option(names = "--virtual", description = "the addresses are guest-virtual, translated through --vcpu's page"
            + " tables when set") boolean virtual;
    @Option(names = "--vcpu", paramLabel = "N", description = "the vCPU whose CR3 translates --virtual addresses"
            + " (default 0)") int vcpu;
    @Option(names = "--clones", paramLabel = "N", description = "trace N forks of DOMAIN (paused meanwhile)")
    Integer clones;
    @Option(names = "--count", paramLabel = "N", description = "stop after N hits") Integer count;
    @Option(names = "--timeout", paramLabel = "DURATION", description = "stop after this long, e.g. 30s, 2m")
    String timeout;

    @Override int run(Hypervisor hv, Printer out) throws InterruptedException {
        Duration limit = timeout == null ? null : MonitorCommand.duration(timeout);
        if (count != null && count < 1) throw new IllegalArgumentException("--count wants at least 1, got " + count);
        if (clones != null && clones < 1) throw new IllegalArgumentException("--clones wants at least 1, got " + clones);
        List<Long> addrs = addresses.stream().map(Args::number).toList();
        LinkedBlockingQueue<BreakpointHit> hits = new LinkedBlockingQueue<>();
        StealthTracer tracer = new StealthTracer(hv, null, hits::add);
        Teardown down = new Teardown(hv, tracer, domain);
        Thread hook = new Thread(() -> {
            down.run();
            out.result(Json.object().put("stopped", "signal").put("domain", domain.value()),
                    "stopped by a signal; breakpoints removed, views and pages restored");
        }, "xenffm trace teardown " + domain);
        Runtime.getRuntime().addShutdownHook(hook);
        boolean hookRemoved = false;
        try {
            List<DomainId> targets = new ArrayList<>();
            if (clones == null) {
                targets.add(domain);
            } else {
                hv.domainPause(domain);
                down.parentPaused = true;
                for (int i = 0; i < clones; i++) {
                    DomainId c = tracer.keeper().fork(domain, null, false);
                    down.clones.add(c);
                    hv.domainUnpause(c);
                    targets.add(c);
                }
            }
            for (DomainId d : targets)
                for (long a : addrs) {
                    Breakpoint bp = virtual ? tracer.addVirtual(d, VcpuId.of(vcpu), a) : tracer.add(d, a);
                    out.say("breakpoint " + bp + " (shadow pages " + tracer.shadowPages(d) + ")");
                }
            out.say("tracing " + targets + (count != null ? " for " + count + " hits" : "")
                    + (limit != null ? " for " + limit.toMillis() + " ms" : "") + " (Ctrl-C stops)");
            long deadline = limit == null ? Long.MAX_VALUE : System.nanoTime() + limit.toNanos();
            int want = count == null ? Integer.MAX_VALUE : count, got = 0;
            while (got < want) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                BreakpointHit h = hits.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)), TimeUnit.NANOSECONDS);
                if (h == null) continue;
                got++;
                print(out, h);
            }
            out.say(got + " hit(s); removing the breakpoints");
        } finally {
            try {
                hookRemoved = Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook runs the same teardown
            }
            down.run();
        }
        if (hookRemoved && down.failure != null) throw down.failure;
        return ExitCode.OK;
    }

    private static void print(Printer out, BreakpointHit h) {
        Breakpoint bp = h.breakpoint();
        String addr = bp.gva().isPresent() ? Args.hex(bp.gva().getAsLong()) : Args.hex(bp.gpa());
        out.result(Json.object().put("clone", h.domain().value()).put("vcpu", h.vcpu().value())
                        .put("address", addr).put("gpa", Args.hex(bp.gpa())).put("rip", Args.hex(h.regs().rip()))
                        .put("cr3", Args.hex(h.regs().cr3())),
                h.domain() + " vcpu " + h.vcpu().value() + " hit " + addr + " rip " + Args.hex(h.regs().rip())
                        + " cr3 " + Args.hex(h.regs().cr3()));
    }

    /** The tracer closed (views, pages, max_pages back), the forks destroyed, the parent unpaused: once. */
    static final class Teardown implements Runnable {
        private final Hypervisor hv;
        private final StealthTracer tracer;
        private final DomainId parent;
        final List<DomainId> clones = new ArrayList<>();
        volatile boolean parentPaused;
        private boolean done;
        RuntimeException failure;

        Teardown(Hypervisor hv, StealthTracer tracer, DomainId parent) {
            this.hv = hv;
            this.tracer = tracer;
            this.parent = parent;
        }

        @Override public synchronized void run() {
            if (done) return;
            done = true;
            try {
                tracer.close();
            } catch (RuntimeException e) {
                failure = e;
            }
            for (DomainId c : clones) {
                try {
                    tracer.keeper().destroyDomain(c);
                } catch (RuntimeException e) {
                    if (failure == null) failure = e;
                }
            }
            if (parentPaused) {
                try {
                    hv.domainUnpause(parent);
                } catch (RuntimeException e) {
                    if (failure == null) failure = e;
                }
            }
        }
    }
}
