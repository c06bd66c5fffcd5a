package org.xenffm.cli;

import org.xenffm.api.ControlRegister;
import org.xenffm.api.DomainId;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.vmevent.MonitorSession;
import org.xenffm.vmevent.VmEvent;
import org.xenffm.vmevent.VmEventResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * {@code monitor}: a xen-access-like event printer over {@link MonitorSession}. The session owns the ring and
 * restores every access and event it changed on exit, also on Ctrl-C (its shutdown hook).
 */
@Command(name = "monitor", sortOptions = false, usageHelpAutoWidth = true,
        header = "Watch a domain's vm_events (mem_access, CR/MSR writes, guest requests, …) and print them.",
        description = {"Enables the domain's monitor ring (xc_monitor_enable; vm_event ABI 7), the requested",
                "events and accesses, then prints one line (or JSON object) per event until --count events,",
                "--timeout, or Ctrl-C. Answers: mem_access with EMULATE (the access completes, the watch stays);",
                "descriptor access with EMULATE; everything else CONTINUE. On exit every event is disabled, every",
                "access restored, pending requests answered and the ring disabled, so no vCPU stays paused.",
                "Only one monitor can own a domain's ring (EBUSY otherwise: LibVMI, DRAKVUF or xen-access may",
                "hold it)."},
        footerHeading = "%nExamples:%n",
        footer = {"  xenffm monitor 1 --mem-access 0x1000+16=rx --count 10",
                "  xenffm monitor 1 --cr3 --timeout 5s", "  xenffm --json monitor 1 --msr 0xc0000082 --guest-request"})
final class MonitorCommand extends XenCommand {
    @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;

    @Option(names = "--mem-access", paramLabel = "GFNS=ACCESS",
            description = "restrict host access on gfns, e.g. 0x1000+16=rx (repeatable)")
    List<String> memAccess = new ArrayList<>();
    @Option(names = "--cr0", description = "CR0 writes") boolean cr0;
    @Option(names = "--cr3", description = "CR3 writes (address-space switches)") boolean cr3;
    @Option(names = "--cr4", description = "CR4 writes") boolean cr4;
    @Option(names = "--msr", paramLabel = "MSR", description = "writes to this MSR (repeatable)")
    List<String> msrs = new ArrayList<>();
    @Option(names = "--guest-request", description = "HVMOP_guest_request_vm_event calls") boolean guestRequest;
    @Option(names = "--descriptor-access", description = "GDTR/IDTR/LDTR/TR accesses") boolean descriptorAccess;
    @Option(names = "--singlestep", description = "every instruction (floods: combine with --count)")
    boolean singlestep;
    @Option(names = "--count", paramLabel = "N", description = "stop after N events") Integer count;
    @Option(names = "--timeout", paramLabel = "DURATION", description = "stop after this long, e.g. 30s, 2m, 500ms")
    String timeout;

    @Override int run(Hypervisor hv, Printer out) throws InterruptedException {
        Duration limit = timeout == null ? null : duration(timeout);
        Semaphore seen = new Semaphore(0);
        MonitorSession.Builder b = MonitorSession.builder(hv, domain);
        for (String spec : memAccess) {
            int eq = spec.lastIndexOf('=');
            if (eq < 0) throw new IllegalArgumentException("--mem-access wants GFNS=ACCESS, got " + spec);
            Args.GfnRange r = Args.GfnRange.parse(spec.substring(0, eq));
            MemAccess a = Args.access(spec.substring(eq + 1));
            b.memAccess(r.first(), r.count(), a);
        }
        if (cr0) b.writeCtrlreg(ControlRegister.CR0, true, 0, true);
        if (cr3) b.writeCtrlreg(ControlRegister.CR3, true, 0, true);
        if (cr4) b.writeCtrlreg(ControlRegister.CR4, true, 0, true);
        for (String m : msrs) {
            long msr = Args.number(m);
            if (msr > 0xffffffffL) throw new IllegalArgumentException("--msr " + m + " is not a 32-bit MSR index");
            b.movToMsr((int) msr, true); // u32 in Xen; e.g. 0xc0000082 (LSTAR) is negative as a Java int
        }
        if (guestRequest) b.guestRequest(true, false);
        if (descriptorAccess) b.descriptorAccess();
        if (singlestep) b.singlestep();
        b.otherwise(e -> {
            out.result(describe(e), line(e));
            seen.release();
            return switch (e) {
                case VmEvent.MemAccess m -> VmEventResponse.CONTINUE.emulate();
                case VmEvent.DescriptorAccess d -> VmEventResponse.CONTINUE.emulate();
                default -> VmEventResponse.CONTINUE;
            };
        });
        try (MonitorSession s = b.start()) {
            out.say("monitoring " + domain + (count != null ? " for " + count + " events" : "")
                    + (limit != null ? " for " + limit.toMillis() + " ms" : "") + " (Ctrl-C stops)");
            long deadline = limit == null ? Long.MAX_VALUE : System.nanoTime() + limit.toNanos();
            int want = count == null ? Integer.MAX_VALUE : count;
            int got = 0;
            while (got < want && s.isRunning()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                if (seen.tryAcquire(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)), TimeUnit.NANOSECONDS)) got++;
            }
            if (s.failure().isPresent()) throw new IllegalStateException("monitor session failed",
                    s.failure().get());
            out.say(got + " event(s) on " + domain + "; restoring the domain's monitor settings");
        }
        return ExitCode.OK;
    }

    static Duration duration(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            if (t.endsWith("s")) return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
            if (t.endsWith("m")) return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            return Duration.ofSeconds(Long.parseLong(t));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--timeout wants e.g. 30s, 2m or 500ms, got " + s);
        }
    }

    static String reasonName(VmEvent e) {
        return e.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    static Json describe(VmEvent e) {
        Json j = Json.object().put("event", reasonName(e)).put("vcpu", e.vcpu().value())
                .put("view", e.header().view().map(v -> v.value())).put("vcpu_paused", e.header().vcpuPaused())
                .putUnsigned("rip", e.regs().rip());
        switch (e) {
            case VmEvent.MemAccess m -> j.putUnsigned("gfn", m.gfn().value()).put("offset", m.offset())
                    .putUnsigned("gla", m.gla()).put("read", m.read()).put("write", m.write()).put("exec", m.exec());
            case VmEvent.WriteCtrlreg c -> j.put("register", c.register().name())
                    .putUnsigned("old", c.oldValue()).putUnsigned("new", c.newValue());
            case VmEvent.MovToMsr m -> j.putUnsigned("msr", m.msr()).putUnsigned("old", m.oldValue())
                    .putUnsigned("new", m.newValue());
            case VmEvent.Singlestep s -> j.putUnsigned("gfn", s.gfn().value());
            case VmEvent.DescriptorAccess d -> j.put("descriptor", d.descriptor()).put("write", d.write());
            default -> { }
        }
        return j;
    }

    static String line(VmEvent e) {
        String where = "vcpu " + e.vcpu().value() + e.header().view().map(v -> " " + v).orElse("")
                + " rip " + Args.hex(e.regs().rip());
        return switch (e) {
            case VmEvent.MemAccess m -> "mem_access " + (m.read() ? "r" : "-") + (m.write() ? "w" : "-")
                    + (m.exec() ? "x" : "-") + " gpa " + Args.hex(m.gpa()) + " (" + m.gfn() + ") " + where;
            case VmEvent.WriteCtrlreg c -> "write " + c.register() + " " + Args.hex(c.oldValue()) + " -> "
                    + Args.hex(c.newValue()) + " " + where;
            case VmEvent.MovToMsr m -> "wrmsr " + Args.hex(m.msr()) + " " + Args.hex(m.oldValue()) + " -> "
                    + Args.hex(m.newValue()) + " " + where;
            default -> reasonName(e) + " " + where;
        };
    }
}
