// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.cli.Run.num;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmParam;
import org.xenffm.api.MemAccess;
import org.xenffm.api.XenException;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestCpu;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.InjectedEvent;
import org.xenffm.emulated.Outcome;

/**
 * {@code xenffm monitor} in each xen-access mode against the emulator: the emulated guest raises the events, the
 * command prints them, and what its answers did to the guest is checked (RIP moved, #BP re-injected, page opened,
 * vCPU switched to view 0 and back), then that everything it set was taken down.
 */
@Timeout(120)
class CliMonitorModesTest {
    static final DomainId D1 = DomainId.of(1);
    // a cap for a stuck run, not a speed claim: loaded CI hosts have taken over 20 s to start a session
    static final Duration T = Duration.ofSeconds(60);

    EmulatedHypervisor emu = EmulatedHost.start(EmulatedHostSpec.parse("2x1024"));
    GuestCpu cpu = emu.guest(D1).vcpu(0);

    CompletableFuture<Run> monitor(org.xenffm.api.Hypervisor hv, String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--backend";
        all[1] = "emulated";
        all[2] = "--json";
        all[3] = "monitor";
        System.arraycopy(args, 0, all, 4, args.length);
        return CompletableFuture.supplyAsync(() -> Run.with(hv, all), r -> Thread.ofPlatform().start(r));
    }

    CompletableFuture<Run> monitor(String... args) { return monitor(emu, args); }

    /** Repeats a guest instruction until one raises an event (the monitor is up), and returns that one. */
    static GuestResult untilEvent(Supplier<GuestResult> op) throws InterruptedException {
        long deadline = System.nanoTime() + T.toNanos();
        while (System.nanoTime() < deadline) {
            GuestResult r = op.get();
            if (r.eventsSent() > 0) return r;
            // NOT_RUNNABLE: the domain is paused while the session starts (MonitorSession.start), try again
            if (r.outcome() != Outcome.NOT_RUNNABLE) assertEquals(Outcome.COMPLETED, r.await(T));
            Thread.sleep(10);
        }
        throw new AssertionError("no event within " + T);
    }

    static Run done(CompletableFuture<Run> f, int exit) throws Exception {
        Run r = f.get(90, TimeUnit.SECONDS);
        assertEquals(exit, r.exit(), r::toString);
        return r;
    }

    void assertRingGone() {
        assertEquals("EINVAL", assertThrows(XenException.class, () -> emu.monitorDisable(D1)).errno().name(),
                "ring disabled on exit");
        assertFalse(cpu.pausedByVmEvent());
        assertFalse(emu.domainGetinfo(D1).paused());
    }

    @Test
    void cpuidAnswerMovesRipPastTheInstruction() throws Exception {
        var f = monitor("1", "cpuid", "--count", "1", "--timeout", "30s");
        long[] before = new long[1];
        GuestResult r = untilEvent(() -> {
            before[0] = cpu.registers().rip;
            return cpu.cpuid(0, 0);
        });
        assertEquals(Outcome.COMPLETED, r.await(T));
        assertEquals(before[0] + 2, cpu.registers().rip,
                "Xen left RIP on the CPUID (event sent); the SET_REGISTERS answer moved it by insn_length");
        Map<String, Object> ev = done(f, ExitCode.OK).single();
        assertEquals("cpuid", ev.get("event"));
        assertEquals(2, num(ev.get("insn_length")));
        assertEquals(0, num(ev.get("leaf")));
        assertEquals(0xd, num(ev.get("rax")), "the registers after CPUID, as Xen reports them");
        assertEquals(before[0], num(ev.get("rip")));
        assertRingGone();
        emu.monitorEnable(D1); // cpuid monitor off again: enabling the ring and the event both succeed
        emu.monitorCpuid(D1, true);
    }

    @Test
    void breakpointIsReinjectedIntoTheGuest() throws Exception {
        var f = monitor("1", "breakpoint", "--count", "1", "--timeout", "30s");
        int[] seen = new int[1];
        GuestResult r = untilEvent(() -> {
            seen[0] = cpu.deliveredEvents().size();
            return cpu.softwareBreakpoint();
        });
        assertEquals(Outcome.COMPLETED, r.await(T));
        List<InjectedEvent> delivered = cpu.deliveredEvents();
        assertEquals(seen[0] + 1, delivered.size(), "the #BP reached the guest once: re-injected by the monitor");
        assertEquals(new InjectedEvent(3, 6, -1, 1, 0), delivered.getLast(),
                "xc_hvm_inject_trap(vector 3, the event's type and insn_length, no error code)");
        assertTrue(cpu.pendingInjection().isEmpty());
        Map<String, Object> ev = done(f, ExitCode.OK).single();
        assertEquals("software_breakpoint", ev.get("event"));
        assertEquals(1, num(ev.get("insn_length")));
        assertEquals(cpu.registers().rip >>> 12, num(ev.get("gfn")));
        assertRingGone();
    }

    @Test
    void aFailedReinjectionEndsTheMonitorWithXensErrorAndReleasesTheVcpu() throws Exception {
        // the emulator behind a proxy whose xc_hvm_inject_trap fails as dm.c does when a vCPU has one pending
        org.xenffm.api.Hypervisor busy = (org.xenffm.api.Hypervisor) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {org.xenffm.api.Hypervisor.class}, (p, m, a) -> {
                    if (m.getName().equals("hvmInjectTrap"))
                        throw XenException.of("xc_hvm_inject_trap", (DomainId) a[0], org.xenffm.api.Errno.EBUSY);
                    try {
                        return m.invoke(emu, a);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        var f = monitor(busy, "1", "breakpoint", "--timeout", "30s");
        GuestResult r = untilEvent(cpu::softwareBreakpoint);
        assertEquals(Outcome.COMPLETED, r.await(T), "teardown answered the request: the vCPU runs on");
        Run run = done(f, ExitCode.XEN_ERROR);
        assertTrue(run.out().contains("\"event\":\"software_breakpoint\""), "the event is still printed: " + run);
        assertTrue(run.out().contains("\"errno_name\":\"EBUSY\""), run::toString);
        assertTrue(run.out().contains("\"operation\":\"xc_hvm_inject_trap\""), run::toString);
        assertTrue(run.err().contains("still pending on that vCPU"), "the EBUSY is explained: " + run);
        assertRingGone();
    }

    @Test
    void debugExceptionIsReinjectedWithItsPendingDbg() throws Exception {
        var f = monitor("1", "debug", "--count", "1", "--timeout", "30s");
        GuestResult r = untilEvent(() -> cpu.debugException(3, 0, 0x4000));
        assertEquals(Outcome.COMPLETED, r.await(T));
        assertEquals(new InjectedEvent(1, 3, -1, 0, 0x4000), cpu.deliveredEvents().getLast(),
                "xen-access passes pending_dbg as cr2");
        Map<String, Object> ev = done(f, ExitCode.OK).single();
        assertEquals("debug_exception", ev.get("event"));
        assertEquals(0x4000, num(ev.get("pending_dbg")));
    }

    @Test
    void writeModeLogsTheFirstWriteOfEachPageThenOpensIt() throws Exception {
        var f = monitor("1", "write", "--count", "2", "--timeout", "30s");
        GuestResult first = untilEvent(() -> cpu.write(Gfn.of(0x30), 4, new byte[] {7}));
        assertEquals(Outcome.COMPLETED, first.await(T));
        assertEquals(7, emu.guest(D1).peek(Gfn.of(0x30))[4], "CONTINUE after rwx: the retried write went through");
        assertEquals(MemAccess.RWX, emu.getMemAccess(D1, Gfn.of(0x30)), "after_first_access");
        assertEquals(MemAccess.RX, emu.getMemAccess(D1, Gfn.of(0x31)), "every other page still watched");
        assertEquals(MemAccess.RX, emu.getMemAccess(D1, Gfn.INVALID), "and the default access");
        GuestResult again = cpu.write(Gfn.of(0x30), 5, new byte[] {8});
        assertEquals(Outcome.COMPLETED, again.await(T));
        assertEquals(0, again.eventsSent(), "only the first write of a page is logged");
        assertEquals(Outcome.COMPLETED, cpu.read(Gfn.of(0x31), 0, 8).await(T), "reads are allowed (rx)");
        GuestResult other = cpu.write(Gfn.of(0x31), 0, new byte[] {9});
        assertEquals(1, other.eventsSent());
        assertEquals(Outcome.COMPLETED, other.await(T));
        List<Map<String, Object>> evs = done(f, ExitCode.OK).json();
        assertEquals(List.of(0x30L, 0x31L), evs.stream().map(e -> num(e.get("gfn"))).toList());
        assertTrue(evs.stream().allMatch(e -> e.get("write") == Boolean.TRUE));
        assertRingGone();
        for (long g : new long[] {0, 0x30, 0x31, 0x3ff})
            assertEquals(MemAccess.RWX, emu.hostEntry(D1, Gfn.of(g)).access(), "gfn " + g + " restored");
        emu.monitorEnable(D1); // xc_get_mem_access needs a ring
        assertEquals(MemAccess.RWX, emu.getMemAccess(D1, Gfn.INVALID), "default access restored");
    }

    @Test
    void execModeWatchesInstructionFetchesOnly() throws Exception {
        var f = monitor("1", "exec", "--count", "1", "--timeout", "30s");
        GuestResult r = untilEvent(() -> cpu.execute(Gfn.of(0x40), 0));
        assertEquals(Outcome.COMPLETED, r.await(T));
        Map<String, Object> ev = done(f, ExitCode.OK).single();
        assertEquals(Boolean.TRUE, ev.get("exec"));
        assertEquals(Boolean.FALSE, ev.get("write"));
        assertEquals(0x40, num(ev.get("gfn")));
    }

    @Test
    void altp2mWriteSwitchesToViewZeroForOneStepThenBack() throws Exception {
        emu.hvmParamSet(D1, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL);
        var f = monitor("-m", "1", "altp2m_write", "--count", "3", "--timeout", "30s");
        long deadline = System.nanoTime() + T.toNanos();
        while (cpu.currentView() <= 0 && System.nanoTime() < deadline) Thread.sleep(10);
        int view = cpu.currentView();
        assertTrue(view > 0, "the vCPU was switched to the restricted view");
        assertEquals(MemAccess.RX, emu.altp2mGetMemAccess(D1, org.xenffm.api.ViewId.of(view), Gfn.of(0x30)));
        assertEquals(MemAccess.RWX, emu.getMemAccess(D1, Gfn.of(0x30)), "the host p2m is not touched");

        GuestResult w = cpu.write(Gfn.of(0x30), 0, new byte[] {5});
        assertEquals(1, w.eventsSent());
        assertEquals(Outcome.COMPLETED, w.await(T));
        assertEquals(5, emu.guest(D1).peek(Gfn.of(0x30))[0], "the write completed in view 0");
        assertEquals(0, cpu.currentView(), "answered with ALTERNATE_P2M view 0");
        assertTrue(cpu.singleStepping(), "... and TOGGLE_SINGLESTEP");

        GuestResult step = cpu.step(3);
        assertEquals(1, step.eventsSent(), "the single-step event");
        assertEquals(Outcome.COMPLETED, step.await(T));
        assertEquals(view, cpu.currentView(), "switched back into the view");
        assertFalse(cpu.singleStepping(), "single-step toggled off again");

        GuestResult again = cpu.write(Gfn.of(0x30), 1, new byte[] {6});
        assertEquals(1, again.eventsSent(), "the view still watches the page");
        assertEquals(Outcome.COMPLETED, again.await(T));
        assertFalse(f.isDone(), "3 events, but the vCPU is out of the view until its single-step");
        assertEquals(Outcome.COMPLETED, cpu.step(3).await(T));

        List<Map<String, Object>> evs = done(f, ExitCode.OK).json();
        assertEquals(List.of("mem_access", "singlestep", "mem_access", "singlestep"),
                evs.stream().map(e -> e.get("event")).toList());
        assertEquals((long) view, num(evs.get(0).get("view")));
        assertEquals(0, num(evs.get(1).get("view")));
        assertFalse(emu.altp2mGetDomainState(D1), "altp2m switched off again (it was off before)");
        assertRingGone();
        // -m was switched off: a violation without a listener relaxes instead of crashing the domain
        emu.monitorEnable(D1);
        emu.setMemAccess(D1, MemAccess.R, Gfn.of(0x50), 1);
        emu.monitorDisable(D1);
        assertEquals(Outcome.COMPLETED, cpu.write(Gfn.of(0x50), 0, new byte[] {1}).await(T));
        assertEquals(MemAccess.RWX, emu.hostEntry(D1, Gfn.of(0x50)).access());
        assertFalse(emu.domainGetinfo(D1).shutdown(), "relaxed, not crashed");
    }

    @Test
    void altp2mExecAndNoGptNeedTheViewAndAreAnsweredTheSameWay() throws Exception {
        emu.hvmParamSet(D1, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL);
        emu.altp2mSetDomainState(D1, true); // already on: the monitor must leave it on
        var f = monitor("1", "altp2m_exec", "--count", "1", "--timeout", "30s");
        GuestResult x = untilEvent(() -> cpu.execute(Gfn.of(0x60), 0));
        assertEquals(Outcome.COMPLETED, x.await(T));
        assertEquals(0, cpu.currentView());
        assertFalse(f.isDone(), "--count 1 reached, but the vCPU is still out of the view: the monitor waits");
        assertTrue(cpu.singleStepping(), "answered with TOGGLE_SINGLESTEP");
        GuestResult step = cpu.step(2);
        assertEquals(1, step.eventsSent());
        assertEquals(Outcome.COMPLETED, step.await(T));
        List<Map<String, Object>> evs = done(f, ExitCode.OK).json();
        assertEquals(List.of("mem_access", "singlestep"), evs.stream().map(e -> e.get("event")).toList());
        assertEquals(Boolean.TRUE, evs.get(0).get("exec"));
        int view = (int) num(evs.get(0).get("view"));
        assertFalse(cpu.singleStepping(), "back in the view with single-step off");
        assertTrue(emu.altp2mGetDomainState(D1), "altp2m was on before: left on");
        assertEquals(0, cpu.currentView(), "every vCPU back in view 0");
        assertEquals("EINVAL", assertThrows(XenException.class,
                () -> emu.altp2mSwitchToView(D1, org.xenffm.api.ViewId.of(view))).errno().name(), "its view destroyed");
    }

    @Test
    void altp2mWriteNoGptLetsPageWalkWritesThrough() throws Exception {
        emu.hvmParamSet(D1, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL);
        var f = monitor("1", "altp2m_write_no_gpt", "--count", "1", "--timeout", "30s");
        long deadline = System.nanoTime() + T.toNanos();
        while (cpu.currentView() <= 0 && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(cpu.currentView() > 0);
        GuestResult walk = cpu.pageWalk().write(Gfn.of(0x70), 0, new byte[] {1});
        assertEquals(Outcome.COMPLETED, walk.await(T));
        assertEquals(0, walk.eventsSent(), "inguest_pagefault disabled: the A/D-bit write is emulated, no event");
        assertEquals(1, emu.guest(D1).peek(Gfn.of(0x70))[0]);
        GuestResult w = cpu.write(Gfn.of(0x70), 1, new byte[] {2});
        assertEquals(1, w.eventsSent(), "an ordinary write to the same page is reported");
        assertEquals(Outcome.COMPLETED, w.await(T));
        assertEquals(0, cpu.currentView());
        assertEquals(Outcome.COMPLETED, cpu.step(3).await(T));
        List<Map<String, Object>> evs = done(f, ExitCode.OK).json();
        assertEquals(List.of("mem_access", "singlestep"), evs.stream().map(e -> e.get("event")).toList());
        assertEquals(Boolean.FALSE, evs.get(0).get("exec"));
        assertEquals(Boolean.TRUE, evs.get(0).get("write"));
        // both monitor settings the mode enabled are off again: enabling them now succeeds
        emu.monitorEnable(D1);
        emu.monitorInguestPagefault(D1, true);
        emu.monitorEmulUnimplemented(D1, true);
    }

    @Test
    void altp2mModesSayWhySingleStepIsMissingUnderBochs() {
        EmulatedHypervisor bochs = EmulatedHost.start(EmulatedHostSpec.parse("1x256", EmulatedHostSpec.HostKind.bochs));
        bochs.hvmParamSet(D1, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL);
        Run r = Run.with(bochs, "--backend", "emulated", "monitor", "1", "altp2m_write", "--timeout", "1s");
        assertEquals(ExitCode.XEN_ERROR, r.exit(), r::toString);
        assertTrue(r.err().contains("no SINGLESTEP monitor capability"), r::toString);
        assertTrue(r.err().contains("EOPNOTSUPP"), r::toString);
        assertFalse(bochs.altp2mGetDomainState(D1), "nothing was changed");
        Run plain = Run.with(bochs, "--backend", "emulated", "monitor", "1", "write", "--timeout", "200ms");
        assertEquals(ExitCode.OK, plain.exit(), "the host-p2m modes work there: " + plain);
    }

    @Test
    void altp2mModeSaysHowToEnableAltp2m() {
        Run r = Run.with(emu, "--backend", "emulated", "monitor", "1", "altp2m_write", "--timeout", "1s");
        assertEquals(ExitCode.XEN_ERROR, r.exit(), r::toString);
        assertTrue(r.err().contains("xc_altp2m_get_domain_state failed for d1: EINVAL (the domain's altp2m mode is"
                + " disabled"), r::toString);
        assertRingGone();
    }

    @Test
    void modesAreCheckedBeforeAnythingChanges() {
        Run two = Run.with(emu, "--backend", "emulated", "monitor", "1", "write", "exec");
        assertEquals(ExitCode.USAGE, two.exit(), two::toString);
        Run both = Run.with(emu, "--backend", "emulated", "monitor", "1", "write", "--mem-access", "0x30=r");
        assertEquals(ExitCode.USAGE, both.exit(), both::toString);
        Run unknown = Run.with(emu, "--backend", "emulated", "monitor", "1", "pagefault");
        assertEquals(ExitCode.USAGE, unknown.exit(), unknown::toString);
        assertEquals("EINVAL", assertThrows(XenException.class, () -> emu.monitorDisable(D1)).errno().name(),
                "no ring was enabled");
    }

    @Test
    void humanOutputIsOneLinePerEvent() throws Exception {
        var f = CompletableFuture.supplyAsync(() -> Run.with(emu, "--backend", "emulated", "monitor", "1", "cpuid",
                "breakpoint", "--count", "2", "--timeout", "30s"), r -> Thread.ofPlatform().start(r));
        assertEquals(Outcome.COMPLETED, untilEvent(() -> cpu.cpuid(7, 0)).await(T));
        GuestResult bp = cpu.softwareBreakpoint();
        assertEquals(1, bp.eventsSent());
        assertEquals(Outcome.COMPLETED, bp.await(T));
        Run r = done(f, ExitCode.OK);
        List<String> events = r.out().lines().filter(l -> l.startsWith("cpuid") || l.startsWith("breakpoint")).toList();
        assertEquals(2, events.size(), r::toString);
        assertTrue(events.get(0).startsWith("cpuid leaf 0x7 subleaf 0x0 length 2"), events::toString);
        assertTrue(events.get(1).startsWith("breakpoint gfn 0x"), events::toString);
    }
}
