// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.ControlRegister;
import org.xenffm.api.DomainId;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.api.MonitorEvent;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;
import org.xenffm.vmevent.MonitorSession;
import org.xenffm.vmevent.VmEvent;
import org.xenffm.vmevent.VmEventResponse;
import org.xenffm.api.X86Registers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * {@code monitor}: the equivalent of Xen's tools/misc/xen-access over {@link MonitorSession}: its modes (write, exec,
 * breakpoint, debug, cpuid, desc_access, write_ctrlreg_cr4, altp2m_write, altp2m_exec, altp2m_write_no_gpt, plus
 * singlestep) and {@code -m}, answered as xen-access answers them, plus xenffm's own event options. The session owns
 * the ring and restores every access and event it changed on exit; this command's own shutdown hook also takes down
 * what it set beside the session (the altp2m view, access_required), so Ctrl-C leaves the domain as it found it.
 */
@Command(name = "monitor", sortOptions = false, usageHelpAutoWidth = true,
        header = "Watch a domain's vm_events like xen-access (mem_access, breakpoints, CPUID, CR/MSR writes, …).",
        description = {"Enables the domain's monitor ring (xc_monitor_enable; vm_event ABI 7), the requested",
                "events and accesses, then prints one line (or JSON object) per event until --count events,",
                "--timeout, or Ctrl-C. MODEs are xen-access's and are answered as xen-access does:%n",
                "  write / exec: every page rx / rw (and the default access); the first write / exec of a page",
                "    is printed, the page set to rwx and the access retried.%n",
                "  altp2m_write / altp2m_exec: altp2m on, a view with rx / rw on every page, every vCPU switched",
                "    to it; a violation is answered by switching that vCPU to view 0 with single-step on, and the",
                "    single-step event by switching back with single-step off (needs the SINGLESTEP capability,",
                "    i.e. the monitor trap flag: not under Bochs). altp2m_write_no_gpt also suppresses",
                "    page-walk faults (inguest_pagefault) and takes EMUL_UNIMPLEMENTED like a violation.%n",
                "  breakpoint / debug: INT3 / #DB events; the exception is re-injected (xc_hvm_inject_trap).%n",
                "  cpuid: CPUID events; the answer moves RIP past the instruction (Xen does not, once it sent",
                "    the event) with SET_REGISTERS.%n",
                "  desc_access: descriptor-table accesses, emulated.  write_ctrlreg_cr4: CR4 writes (PGE ignored).%n",
                "  singlestep: single-step events (of vCPUs something else made step).%n",
                "--mem-access accesses are answered with EMULATE (the watch stays); everything else CONTINUE.",
                "On exit every event is disabled, every access restored, pending requests answered, the ring",
                "disabled, then the altp2m view destroyed and altp2m switched off, so no vCPU stays paused.",
                "Only one monitor can own a domain's ring (EBUSY otherwise: LibVMI, DRAKVUF or xen-access may",
                "hold it)."},
        footerHeading = "%nExamples:%n",
        footer = {"  xenffm monitor 1 write --count 10", "  xenffm monitor -m 1 altp2m_exec",
                "  xenffm monitor 1 breakpoint cpuid --timeout 30s",
                "  xenffm monitor 1 --mem-access 0x1000+16=rx --count 10",
                "  xenffm monitor 1 --cr3 --timeout 5s",
                "  echo 'watch 0x1000+16=rx' | xenffm monitor 1 --control - --timeout 1m",
                "  xenffm --json monitor 1 --msr 0xc0000082 --guest-request"})
final class MonitorCommand extends XenCommand {
    /** xen-access's modes, by its names. */
    enum Mode {
        write, exec, breakpoint, debug, cpuid, desc_access, write_ctrlreg_cr4, altp2m_write, altp2m_exec,
        altp2m_write_no_gpt, singlestep;

        boolean memAccess() { return this == write || this == exec || altp2m(); }

        boolean altp2m() { return name().startsWith("altp2m_"); }

        /**
         * xen-access's default_access for the mem_access modes. One deliberate difference: xen-access.c gives
         * altp2m_write_no_gpt rw (the exec restriction), which never raises the write events the mode's page-walk
         * suppression is about; here it is rx like altp2m_write.
         */
        MemAccess restriction() {
            return this == exec || this == altp2m_exec ? MemAccess.RW : MemAccess.RX;
        }
    }

    static final int X86_TRAP_DEBUG = 1, X86_TRAP_INT3 = 3;
    /** X86_EVENT_NO_EC: the injected exception carries no error code. */
    static final int NO_ERROR_CODE = -1;
    static final long X86_CR4_PGE = 1L << 7;

    @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
    @Parameters(index = "1..*", arity = "0..*", paramLabel = "MODE",
            description = "xen-access modes: ${COMPLETION-CANDIDATES} (see above; at most one mem_access mode)")
    List<Mode> modes = new ArrayList<>();

    @Option(names = {"-m", "--access-required"},
            description = "xc_domain_set_access_required: without this monitor a violation pauses/crashes the"
                    + " domain instead of relaxing (xen-access -m); switched off again on exit")
    boolean accessRequired;
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
    @Option(names = "--count", paramLabel = "N",
            description = "stop after N events (altp2m modes: and once every vCPU is back in the view)")
    Integer count;
    @Option(names = "--timeout", paramLabel = "DURATION", description = "stop after this long, e.g. 30s, 2m, 500ms")
    String timeout;
    @Option(names = "--control", paramLabel = "FILE",
            description = "while monitoring, read watch commands from FILE ('-': stdin), one per line, each answered"
                    + " with a line: 'watch GFNS=ACCESS [view N]', 'watch cpuid|breakpoint|singlestep|cr0|cr3|cr4"
                    + "|msr=N|guest-request|descriptor-access', 'unwatch ID', 'list'; undone on exit like the rest")
    String control;

    @Override int run(Hypervisor hv, Printer out) throws InterruptedException {
        Duration limit = timeout == null ? null : duration(timeout);
        if (count != null && count < 1) throw new IllegalArgumentException("--count wants at least 1, got " + count);
        EnumSet<Mode> m = modes.isEmpty() ? EnumSet.noneOf(Mode.class) : EnumSet.copyOf(modes);
        List<Mode> mem = m.stream().filter(Mode::memAccess).toList();
        if (mem.size() > 1) throw new IllegalArgumentException("at most one mem_access mode, got " + mem);
        Mode memMode = mem.isEmpty() ? null : mem.getFirst();
        if (memMode != null && !memAccess.isEmpty())
            throw new IllegalArgumentException(memMode + " watches every page: drop --mem-access");
        boolean altp2m = memMode != null && memMode.altp2m();
        if (altp2m && (singlestep || m.contains(Mode.singlestep)))
            throw new IllegalArgumentException(memMode + " answers the single-step events itself: drop singlestep");
        if (altp2m && !hv.monitorGetCapabilities(domain).contains(MonitorEvent.SINGLESTEP))
            throw new XenException("xc_monitor_singlestep", domain, null, null, Errno.EOPNOTSUPP.value(),
                    memMode + " needs single-step events to switch a vCPU back into the view after its access, and"
                            + " this host has no SINGLESTEP monitor capability (no monitor trap flag: e.g. Xen"
                            + " under Bochs). Use " + (memMode == Mode.altp2m_exec ? "exec" : "write")
                            + " (host p2m) instead.");

        java.io.BufferedReader controlInput = control == null ? null : controlInput(control);
        Semaphore seen = new Semaphore(0);
        Cleanup cleanup = new Cleanup(hv, domain);
        MonitorSession.Builder b = MonitorSession.builder(hv, domain).shutdownHook(false);
        for (String spec : memAccess) {
            int eq = spec.lastIndexOf('=');
            if (eq < 0) throw new IllegalArgumentException("--mem-access wants GFNS=ACCESS, got " + spec);
            Args.GfnRange r = Args.GfnRange.parse(spec.substring(0, eq)).within(hv, domain);
            MemAccess a = Args.access(spec.substring(eq + 1));
            b.memAccess(r.first(), r.count(), a);
        }
        if (memMode != null && !altp2m) {
            // xen-access: the default access, then every gfn (START_PFN 0 .. max_gpfn)
            b.defaultAccess(memMode.restriction());
            b.memAccess(Gfn.of(0), hv.domainMaximumGpfn(domain) + 1, memMode.restriction());
        }
        if (memMode == Mode.altp2m_write_no_gpt) b.suppressInguestPagefaults().emulUnimplemented();
        if (altp2m || singlestep || m.contains(Mode.singlestep)) b.singlestep();
        if (cr0) b.writeCtrlreg(ControlRegister.CR0, true, 0, true);
        if (cr3) b.writeCtrlreg(ControlRegister.CR3, true, 0, true);
        // xen-access write_ctrlreg_cr4 masks CR4.PGE so global TLB flushes raise no events
        if (m.contains(Mode.write_ctrlreg_cr4)) b.writeCtrlreg(ControlRegister.CR4, true, X86_CR4_PGE, true);
        else if (cr4) b.writeCtrlreg(ControlRegister.CR4, true, 0, true);
        for (String msrArg : msrs) {
            long msr = Args.number(msrArg);
            if (msr > 0xffffffffL) throw new IllegalArgumentException("--msr " + msrArg + " is not a 32-bit MSR index");
            b.movToMsr((int) msr, true); // u32 in Xen; e.g. 0xc0000082 (LSTAR) is negative as a Java int
        }
        if (guestRequest) b.guestRequest(true, false);
        if (descriptorAccess || m.contains(Mode.desc_access)) b.descriptorAccess();
        if (m.contains(Mode.breakpoint)) b.softwareBreakpoint();
        if (m.contains(Mode.debug)) b.debugExceptions(true);
        if (m.contains(Mode.cpuid)) b.cpuid();
        b.otherwise(e -> {
            // answer first (it may mark a vCPU out of its view), then count: the main loop decides on both
            try {
                return respond(hv, domain, e, memMode, cleanup);
            } finally {
                out.result(describe(e), line(e));
                seen.release();
            }
        });

        Thread hook = new Thread(() -> {
            // Ctrl-C / SIGTERM: the user must see that the guest was released and what was put back
            cleanup.run();
            out.result(Json.object().put("stopped", "signal").put("domain", domain.value())
                            .put("restored", cleanup.restored).put("failure", String.valueOf(cleanup.failure)),
                    "stopped by a signal; restored on " + domain + ": " + String.join(", ", cleanup.restored)
                            + (cleanup.failure != null ? " (with a failure: " + cleanup.failure + ")" : ""));
        }, "xenffm monitor teardown " + domain);
        Runtime.getRuntime().addShutdownHook(hook);
        boolean hookRemoved = false;
        try {
            cleanup.session = b.start();
            // -m once the ring is ours (xen-access sets it first, but then a second monitor refused with EBUSY would
            // still have changed, and on exit cleared, the first one's setting)
            if (accessRequired) {
                hv.domainSetAccessRequired(domain, true);
                cleanup.accessRequired = true;
            }
            if (altp2m) altp2mView(hv, domain, memMode.restriction(), cleanup);
            if (controlInput != null)
                Thread.ofPlatform().daemon(true).name("xenffm monitor --control")
                        .start(new MonitorControl(hv, domain, cleanup.session, controlInput, out));
            out.say("monitoring " + domain + (m.isEmpty() ? "" : " " + m)
                    + (cleanup.view != null ? " in " + cleanup.view : "")
                    + (count != null ? " for " + count + " events" : "")
                    + (limit != null ? " for " + limit.toMillis() + " ms" : "") + " (Ctrl-C stops)");
            long deadline = limit == null ? Long.MAX_VALUE : System.nanoTime() + limit.toNanos();
            int want = count == null ? Integer.MAX_VALUE : count;
            int got = 0;
            // an altp2m vCPU let out into view 0 comes back with its single-step event: wait for it past --count
            while ((got < want || !cleanup.outOfView.isEmpty()) && cleanup.session.isRunning()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                if (seen.tryAcquire(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)), TimeUnit.NANOSECONDS)) got++;
            }
            out.say(got + " event(s) on " + domain + "; restoring the domain's monitor settings");
        } finally {
            try {
                hookRemoved = Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook runs (or ran) the same cleanup; wait for it below
            }
            cleanup.run();
        }
        if (!hookRemoved) return ExitCode.OK;
        out.say("restored on " + domain + ": " + String.join(", ", cleanup.restored));
        Throwable f = cleanup.failure;
        if (f instanceof XenException x) throw x;      // e.g. a failed re-injection: exit code 1 with its errno
        if (f instanceof RuntimeException r) throw r;
        if (f != null) throw new IllegalStateException("monitor session failed", f);
        return ExitCode.OK;
    }

    private static java.io.BufferedReader controlInput(String file) {
        if (file.equals("-"))
            return new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
                    java.nio.charset.StandardCharsets.UTF_8));
        try {
            return java.nio.file.Files.newBufferedReader(java.nio.file.Path.of(file));
        } catch (java.io.IOException | java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException("--control " + file + ": cannot read it (" + e.getMessage() + ")");
        }
    }

    /** How xen-access answers each event (xen-access.c main loop), and xenffm's own options. */
    static VmEventResponse respond(Hypervisor hv, DomainId domain, VmEvent e, Mode memMode, Cleanup c) {
        ViewId view = c.view;
        return switch (e) {
            case VmEvent.MemAccess a when view != null && a.header().view().isPresent() -> c.stepOut(a);
            case VmEvent.MemAccess a when memMode != null && !memMode.altp2m() -> {
                // after_first_access: the page is rwx from now on; the CONTINUEd access is retried and succeeds
                hv.setMemAccess(domain, MemAccess.RWX, a.gfn(), 1);
                yield VmEventResponse.CONTINUE;
            }
            case VmEvent.MemAccess a -> VmEventResponse.CONTINUE.emulate();
            case VmEvent.EmulUnimplemented u when view != null && u.header().view().isPresent() -> c.stepOut(u);
            case VmEvent.Singlestep s when view != null -> {
                c.outOfView.remove(s.vcpu());
                yield VmEventResponse.CONTINUE.switchToView(view).toggleSinglestep();
            }
            case VmEvent.SoftwareBreakpoint bp -> {
                hv.hvmInjectTrap(domain, bp.vcpu(), X86_TRAP_INT3, bp.type(), NO_ERROR_CODE,
                        bp.insnLength(), 0);
                yield VmEventResponse.CONTINUE;
            }
            case VmEvent.DebugException db -> {
                hv.hvmInjectTrap(domain, db.vcpu(), X86_TRAP_DEBUG, db.type(), NO_ERROR_CODE,
                        db.insnLength(), db.pendingDbg());
                yield VmEventResponse.CONTINUE;
            }
            // Xen did not move RIP past CPUID once it sent the event (vmx.c EXIT_REASON_CPUID: update_guest_eip()
            // only when hvm_monitor_cpuid returned 0): the answer does, with the registers of the request
            case VmEvent.Cpuid cpuid -> VmEventResponse.CONTINUE.setRegisters(
                    cpuid.regs().with(X86Registers.Gpr.RIP, cpuid.regs().rip() + cpuid.insnLength()));
            case VmEvent.DescriptorAccess d -> VmEventResponse.CONTINUE.emulate();
            default -> VmEventResponse.CONTINUE;
        };
    }

    /**
     * xen-access's altp2m set-up: altp2m on (unless it already was), a view created with the restriction as its
     * default and set on every gfn (one call each, holes skipped, as xen-access counts "perm_set"), every vCPU
     * switched to it. The cleanup undoes each step that happened.
     */
    private static void altp2mView(Hypervisor hv, DomainId d, MemAccess access, Cleanup c) {
        // EINVAL while the domain has no altp2m mode (the error's hint says how to give it one)
        if (!hv.altp2mGetDomainState(d)) {
            hv.altp2mSetDomainState(d, true);
            c.altp2mEnabled = true;
        }
        ViewId v = hv.altp2mCreateView(d, access);
        c.createdView = v;
        long max = hv.domainMaximumGpfn(d);
        for (long g = 0; g <= max; g++) {
            try {
                hv.altp2mSetMemAccess(d, v, Gfn.of(g), access);
            } catch (XenException hole) {
                // xen-access ignores the gfns it cannot set (holes, the ring page)
            }
        }
        c.view = v; // from here violations are switched to view 0 and back
        hv.altp2mSwitchToView(d, v);
    }

    /**
     * What the command set up, taken down once: by the command itself or, on Ctrl-C, by its shutdown hook (the session
     * has no hook of its own here, so the order stays: access_required off, session closed — events off, accesses
     * restored, requests answered, ring disabled — then every vCPU back in view 0, the view destroyed, altp2m off).
     */
    static final class Cleanup {
        private final Hypervisor hv;
        private final DomainId domain;
        volatile MonitorSession session;
        volatile ViewId view, createdView;
        volatile boolean altp2mEnabled, accessRequired;
        /** vCPUs answered into view 0 with single-step on, not yet back in the view. */
        final Set<VcpuId> outOfView = ConcurrentHashMap.newKeySet();
        Throwable failure;
        /** What run() put back, in order, for the user. */
        final List<String> restored = new java.util.concurrent.CopyOnWriteArrayList<>();
        private boolean done;

        Cleanup(Hypervisor hv, DomainId domain) {
            this.hv = hv;
            this.domain = domain;
        }

        /** altp2m: let this vCPU do the access in view 0, one instruction, then come back (its Singlestep event). */
        VmEventResponse stepOut(VmEvent e) {
            outOfView.add(e.vcpu());
            return VmEventResponse.CONTINUE.switchToView(ViewId.of(0)).toggleSinglestep();
        }

        synchronized void run() {
            if (done) return;
            done = true;
            // off before the ring goes: with access_required and no listener, Xen would pause the domain for good
            if (accessRequired && attempt(() -> hv.domainSetAccessRequired(domain, false)))
                restored.add("access_required off");
            MonitorSession s = session;
            if (s != null) {
                try {
                    s.close();
                } catch (RuntimeException e) {
                    record(e);
                }
                s.failure().ifPresent(this::record);
                restored.add("events off, accesses restored, " + s.answeredAtTeardown()
                        + " pending request(s) answered, ring disabled, vCPUs running");
            }
            if (createdView != null) {
                if (attempt(() -> hv.altp2mSwitchToView(domain, ViewId.of(0)))) restored.add("every vCPU in view 0");
                if (attempt(() -> hv.altp2mDestroyView(domain, createdView))) restored.add(createdView + " destroyed");
            }
            if (altp2mEnabled && attempt(() -> hv.altp2mSetDomainState(domain, false))) restored.add("altp2m off");
        }

        private boolean attempt(Runnable r) {
            try {
                r.run();
                return true;
            } catch (RuntimeException e) {
                record(e);
                return false;
            }
        }

        /** Keeps the first failure, unwrapped to the Xen error under a handler failure when there is one. */
        private void record(Throwable t) {
            for (Throwable c = t; c != null; c = c.getCause()) {
                if (c instanceof XenException) {
                    t = c;
                    break;
                }
            }
            if (failure == null) failure = t;
            else if (failure != t) failure.addSuppressed(t);
        }
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
            case VmEvent.SoftwareBreakpoint b -> j.putUnsigned("gfn", b.gfn().value()).put("insn_length", b.insnLength())
                    .put("type", b.type());
            case VmEvent.DebugException d -> j.putUnsigned("gfn", d.gfn().value()).put("insn_length", d.insnLength())
                    .put("type", d.type()).putUnsigned("pending_dbg", d.pendingDbg());
            case VmEvent.Cpuid c -> j.put("insn_length", c.insnLength()).putUnsigned("leaf", c.leaf() & 0xffffffffL)
                    .putUnsigned("subleaf", c.subleaf() & 0xffffffffL).putUnsigned("rax", c.regs().rax())
                    .putUnsigned("rbx", c.regs().rbx()).putUnsigned("rcx", c.regs().rcx())
                    .putUnsigned("rdx", c.regs().rdx());
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
            case VmEvent.SoftwareBreakpoint b -> "breakpoint gfn " + Args.hex(b.gfn().value()) + " " + where;
            case VmEvent.DebugException d -> "debug_exception type " + d.type() + " length " + d.insnLength()
                    + " pending_dbg " + Args.hex(d.pendingDbg()) + " " + where;
            case VmEvent.Cpuid c -> "cpuid leaf " + Args.hex(c.leaf() & 0xffffffffL) + " subleaf "
                    + Args.hex(c.subleaf() & 0xffffffffL) + " length " + c.insnLength() + " eax "
                    + Args.hex(c.regs().rax()) + " " + where;
            case VmEvent.Singlestep s -> "singlestep " + where;
            default -> reasonName(e) + " " + where;
        };
    }
}
