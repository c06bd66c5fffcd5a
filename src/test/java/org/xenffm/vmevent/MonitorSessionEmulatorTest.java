// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import org.xenffm.api.X86Registers;
import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.api.XenException;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.Guest;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.Outcome;

/**
 * MonitorSession against the emulated Xen 4.17 (its ring producer, back-pressure and in-process event channel): no
 * vCPU stays paused and no request goes unanswered — with guests that keep raising events during teardown, with
 * more vCPUs than ring slots, and when a handler throws.
 */
@Timeout(120)
class MonitorSessionEmulatorTest {
    private static final Duration OP_TIMEOUT = Duration.ofSeconds(60); // a cap for a stuck vCPU, not a speed claim

    private final EmulatedHypervisor hv = new EmulatedHypervisor();

    /** vCPU threads running one guest instruction after another until told to stop; every op must end final. */
    private static final class Vcpus {
        final List<Thread> threads = new ArrayList<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong eventsSent = new AtomicLong(), completed = new AtomicLong();
        final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();

        Vcpus(Guest guest, int n, IntFunction<java.util.function.Function<Integer, GuestResult>> opFor) {
            for (int v = 0; v < n; v++) {
                var op = opFor.apply(v);
                threads.add(Thread.ofPlatform().name("vcpu " + v).start(() -> {
                    try {
                        for (int i = 0; !stop.get(); i++) {
                            GuestResult r = op.apply(i);
                            Outcome o = r.await(OP_TIMEOUT); // throws if the vCPU stays paused
                            eventsSent.addAndGet(r.eventsSent());
                            if (o == Outcome.NOT_RUNNABLE) Thread.sleep(0, 100_000); // domain paused for teardown
                            else if (o != Outcome.COMPLETED) throw new AssertionError("outcome " + o);
                            else completed.incrementAndGet();
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                }));
            }
        }

        void stopAndJoin() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) assertTrue(t.join(Duration.ofSeconds(60)), t.getName() + " stuck");
            assertTrue(errors.isEmpty(), () -> "guest errors: " + errors);
        }
    }

    private void assertNothingHeld(DomainId dom, int vcpus) {
        Guest g = hv.guest(dom);
        for (int v = 0; v < vcpus; v++) {
            assertFalse(g.vcpu(v).pausedByVmEvent(), "vcpu " + v + " left paused by vm_event");
            assertFalse(g.vcpu(v).blockedByRing(), "vcpu " + v + " left blocked by the ring");
        }
        assertFalse(hv.domainGetinfo(dom).paused(), "domain left paused");
        assertEquals(Errno.ENODEV, assertThrows(XenException.class, () -> hv.monitorResume(dom)).errno(),
                "ring disabled");
        GuestResult after = g.vcpu(0).cpuid(1, 0);
        assertEquals(Outcome.COMPLETED, after.outcome(), "the guest runs freely afterwards");
        assertEquals(0, after.eventsSent(), "no monitor left behind");
    }

    @ParameterizedTest @ValueSource(ints = {1, 4, 9, 20})
    void closingUnderLoadReleasesEveryVcpuAndAnswersEveryRequest(int vcpus) throws Exception {
        DomainId dom = hv.createGuest(vcpus, 256);
        Guest guest = hv.guest(dom);
        CountDownLatch busy = new CountDownLatch(40);
        MonitorSession s = MonitorSession.builder(hv, dom).cpuid()
                .on(VmEvent.Cpuid.class, e -> {
                    busy.countDown();
                    assertTrue(e.header().vcpuPaused());
                    try {
                        Thread.sleep(0, 300_000); // slower than the guests: the ring fills up, vCPUs queue
                    } catch (InterruptedException x) {
                        Thread.currentThread().interrupt();
                    }
                    return VmEventResponse.CONTINUE.setRegisters(e.regs().with(X86Registers.Gpr.RIP, e.regs().rip() + 2));
                }).start();
        Vcpus cpus = new Vcpus(guest, vcpus, v -> i -> guest.vcpu(v).cpuid(i, 0));
        assertTrue(busy.await(30, TimeUnit.SECONDS));
        s.close(); // the vCPU threads keep executing CPUID throughout
        long afterClose = cpus.completed.get();
        while (cpus.completed.get() < afterClose + vcpus) Thread.onSpinWait(); // they run on, unmonitored
        cpus.stopAndJoin();
        assertEquals(cpus.eventsSent.get(), s.eventsHandled() + s.answeredAtTeardown(),
                "every request reached a handler or was answered by the teardown");
        assertNothingHeld(dom, vcpus);
        assertTrue(s.failure().isEmpty(), () -> s.failure().get().toString());
    }

    @Test void viewHandlersAnswerGuestLoopsThatRunOnTheSessionThread() throws Exception {
        int vcpus = 9, times = 500; // more vCPUs than ring slots: back-pressure inside the loop too
        DomainId dom = hv.createGuest(vcpus, 64);
        Guest guest = hv.guest(dom);
        ConcurrentLinkedQueue<Integer> leaves = new ConcurrentLinkedQueue<>();
        AtomicInteger views = new AtomicInteger();
        MonitorSession s = MonitorSession.builder(hv, dom).cpuid()
                .onView(VmEvent.Cpuid.class, v -> {
                    views.incrementAndGet();
                    assertTrue(v.vcpuPaused());
                    if (v.vcpu().value() == 3) leaves.add(v.u32(VmEventAbi.CPUID_LEAF));
                    return VmEventResponse.CONTINUE.setRegisters(v.event().regs().with(X86Registers.Gpr.RIP,
                            v.rip() + 2));
                }).start();
        long rip0 = guest.vcpu(5).registers().rip;
        List<GuestResult> loops = new ArrayList<>();
        for (int v = 0; v < vcpus; v++) loops.add(guest.vcpu(v).cpuidLoop(v, 0, times));
        for (GuestResult r : loops) {
            assertEquals(Outcome.COMPLETED, r.await(OP_TIMEOUT));
            assertEquals(times, r.eventsSent());
        }
        assertEquals(vcpus * times, views.get());
        assertEquals(vcpus * times, s.eventsHandled());
        assertEquals(times, leaves.size());
        assertTrue(leaves.stream().allMatch(l -> l == 3));
        assertEquals(rip0 + 2L * times, guest.vcpu(5).registers().rip, "every response was applied by vm_event_resume");
        s.close();
        assertNothingHeld(dom, vcpus);
    }

    @Test void closingWhileGuestLoopsRunAnswersEveryRequestAndTheLoopsFinishUnmonitored() throws Exception {
        int vcpus = 4, times = 20_000;
        DomainId dom = hv.createGuest(vcpus, 64);
        Guest guest = hv.guest(dom);
        CountDownLatch busy = new CountDownLatch(1000);
        MonitorSession s = MonitorSession.builder(hv, dom).cpuid()
                .onView(VmEvent.Cpuid.class, v -> {
                    busy.countDown();
                    return null;
                }).start();
        List<GuestResult> loops = new ArrayList<>();
        for (int v = 0; v < vcpus; v++) loops.add(guest.vcpu(v).cpuidLoop(0, 0, times));
        assertTrue(busy.await(30, TimeUnit.SECONDS));
        s.close();
        long sent = 0;
        for (GuestResult r : loops) {
            assertEquals(Outcome.COMPLETED, r.await(OP_TIMEOUT), "the loop runs on without the monitor");
            sent += r.eventsSent();
        }
        assertTrue(sent < (long) vcpus * times, "closed mid-loop: the rest ran unmonitored");
        assertEquals(sent, s.eventsHandled() + s.answeredAtTeardown(),
                "every request reached the handler or was answered by the teardown");
        assertNothingHeld(dom, vcpus);
        assertTrue(s.failure().isEmpty(), () -> s.failure().get().toString());
    }

    @Test void aThrowingHandlerStillTearsDownCleanly() throws Exception {
        DomainId dom = hv.createGuest(9, 256);
        Guest guest = hv.guest(dom);
        AtomicInteger calls = new AtomicInteger();
        MonitorSession s = MonitorSession.builder(hv, dom).cpuid()
                .on(VmEvent.Cpuid.class, e -> {
                    if (calls.incrementAndGet() == 100) throw new IllegalStateException("handler bug");
                    return VmEventResponse.CONTINUE;
                }).start();
        Vcpus cpus = new Vcpus(guest, 9, v -> i -> guest.vcpu(v).cpuid(i, 0));
        assertTrue(s.awaitTermination(Duration.ofSeconds(60)), "the session ends by itself");
        cpus.stopAndJoin();
        assertEquals(100, calls.get());
        assertEquals(cpus.eventsSent.get(), s.eventsHandled() + s.answeredAtTeardown() + 1,
                "the failing event was answered too");
        assertNothingHeld(dom, 9);
        var e = assertThrows(MonitorSessionException.class, s::close);
        assertInstanceOf(IllegalStateException.class, e.getCause());
    }

    @Test void memAccessEventsAreTypedAndTheAccessIsRestored() throws Exception {
        DomainId dom = hv.createGuest(2, 64);
        Guest guest = hv.guest(dom);
        // an access someone set before the session (needs a ring: set it under a short-lived one)
        hv.monitorEnable(dom);
        hv.setMemAccess(dom, MemAccess.X, Gfn.of(0x12), 1);
        hv.monitorDisable(dom);
        List<VmEvent.MemAccess> seen = new ArrayList<>();
        try (MonitorSession _ = MonitorSession.builder(hv, dom).memAccess(Gfn.of(0x10), 4, MemAccess.RX)
                .on(VmEvent.MemAccess.class, e -> {
                    synchronized (seen) { seen.add(e.copy()); }
                    return VmEventResponse.CONTINUE.emulate();
                }).start()) {
            assertEquals(MemAccess.RX, hv.hostEntry(dom, Gfn.of(0x12)).access());
            assertEquals(Outcome.COMPLETED,
                    guest.vcpu(1).gla(0x7000_1234L).write(Gfn.of(0x11), 0x234, new byte[] {1, 2}).await(OP_TIMEOUT));
            assertEquals(Outcome.COMPLETED, guest.vcpu(0).read(Gfn.of(0x11), 0, 8).await(OP_TIMEOUT));
        }
        assertEquals(1, seen.size(), "a read of an rx page raises nothing");
        VmEvent.MemAccess e = seen.getFirst();
        assertEquals(1, e.vcpu().value());
        assertEquals(Gfn.of(0x11), e.gfn());
        assertEquals(0x11234L, e.gpa());
        assertTrue(e.write() && e.read() && e.glaValid(), "VMX reports R with W");
        assertEquals(0x7000_1234L, e.gla());
        assertEquals(2, hv.guest(dom).peek(Gfn.of(0x11))[0x235], "the write was emulated");
        assertEquals(MemAccess.RWX, hv.hostEntry(dom, Gfn.of(0x10)).access());
        assertEquals(MemAccess.RWX, hv.hostEntry(dom, Gfn.of(0x11)).access());
        assertEquals(MemAccess.X, hv.hostEntry(dom, Gfn.of(0x12)).access(), "the earlier access comes back");
        assertEquals(MemAccess.RWX, hv.hostEntry(dom, Gfn.of(0x13)).access());
        assertNothingHeld(dom, 2);
    }

    /**
     * A restriction left from before the session (a kept view, an earlier session's access) fires as soon as the
     * ring exists. Xen initialises only its private ring indexes, and xc_monitor_enable has unpaused the domain by
     * the time the consumer runs SHARED_RING_INIT: a request put in between would be wiped from req_prod, never
     * answered, and its vCPU left paused after the ring is disabled. The session keeps the domain paused until the
     * ring is initialised, so the guest cannot run in that window.
     */
    @Test void aGuestAccessRightAfterTheRingIsEnabledIsNeverLost() throws Exception {
        DomainId dom = hv.createGuest(1, 64);
        Guest guest = hv.guest(dom);
        hv.monitorEnable(dom);
        hv.setMemAccess(dom, MemAccess.RX, Gfn.of(0x10), 1);   // persists in the p2m after the ring goes
        hv.monitorDisable(dom);
        var inWindow = new java.util.concurrent.atomic.AtomicReference<GuestResult>();
        // the guest runs right after xc_monitor_enable returned, before the consumer touched the ring page
        org.xenffm.api.Hypervisor racing = (org.xenffm.api.Hypervisor) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {org.xenffm.api.Hypervisor.class}, (proxy, m, args) -> {
                    Object r;
                    try {
                        r = m.invoke(hv, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (m.getName().equals("monitorEnable"))
                        inWindow.set(guest.vcpu(0).write(Gfn.of(0x10), 0, new byte[] {5}));
                    return r;
                });
        AtomicInteger seen = new AtomicInteger();
        try (MonitorSession s = MonitorSession.builder(racing, dom).shutdownHook(false)
                .on(VmEvent.MemAccess.class, e -> {
                    seen.incrementAndGet();
                    return VmEventResponse.CONTINUE.emulate();
                }).start()) {
            GuestResult w = inWindow.get();
            assertNotNull(w);
            if (w.outcome() == Outcome.NOT_RUNNABLE) {      // the domain was paused: the guest retries
                w = guest.vcpu(0).write(Gfn.of(0x10), 0, new byte[] {5});
            }
            assertEquals(Outcome.COMPLETED, w.await(OP_TIMEOUT), "the request was answered");
            assertEquals(w.eventsSent(), seen.get(), "every request reached the handler");
            assertEquals(1, seen.get());
        }
        assertEquals(5, guest.peek(Gfn.of(0x10))[0], "the write was emulated");
        assertNothingHeld(dom, 1);
    }

    @Test void closingWithTheRingFullAndVcpusOnTheWaitQueue() throws Exception {
        // 60 vCPUs raise while the handler is stuck: 8 requests fill the ring, 52 vCPUs sleep on its wait queue.
        // Answering 8 responses wakes at most 1+2+...+8 = 36 sleepers (vm_event_wake_queued after each), so with
        // the domain paused for teardown Xen still has vCPUs queued and refuses to disable the ring (EBUSY)
        DomainId dom = hv.createGuest(60, 64);
        Guest guest = hv.guest(dom);
        CountDownLatch inHandler = new CountDownLatch(1), release = new CountDownLatch(1);
        MonitorSession s = MonitorSession.builder(hv, dom).cpuid()
                .on(VmEvent.Cpuid.class, e -> {
                    inHandler.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException x) {
                        Thread.currentThread().interrupt();
                    }
                    return VmEventResponse.CONTINUE;
                }).start();
        List<GuestResult> ops = new ArrayList<>();
        for (int v = 0; v < 60; v++) ops.add(guest.vcpu(v).cpuid(v, 0));
        assertTrue(inHandler.await(60, TimeUnit.SECONDS));
        // every vCPU has raised once its operation returned: 8 on the ring (one in the handler), 52 asleep
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (ops.stream().filter(r -> r.outcome() == Outcome.BLOCKED_RING_FULL).count() < 52
                && System.nanoTime() < end) Thread.sleep(2);
        assertEquals(52, ops.stream().filter(r -> r.outcome() == Outcome.BLOCKED_RING_FULL).count(),
                "8 slots, 60 vCPUs");
        Thread closer = Thread.ofPlatform().start(s::close);
        // release the handler only once close() is waiting for the session thread (its teardown then meets the queue)
        while (closer.getState() != Thread.State.WAITING && closer.getState() != Thread.State.TIMED_WAITING
                && System.nanoTime() < end) Thread.sleep(1);
        release.countDown();
        assertTrue(closer.join(Duration.ofSeconds(60)));
        for (GuestResult r : ops) assertEquals(Outcome.COMPLETED, r.await(OP_TIMEOUT));
        assertTrue(s.disableRetries() > 0, "teardown met vCPUs on the wait queue (EBUSY) and let them post");
        assertEquals(ops.stream().mapToInt(GuestResult::eventsSent).sum(), s.eventsHandled() + s.answeredAtTeardown());
        assertNothingHeld(dom, 60);
    }

    @Test void responsesActOnTheEmulatedVcpu() throws Exception {
        DomainId dom = hv.createGuest(1, 64);
        Guest guest = hv.guest(dom);
        try (MonitorSession _ = MonitorSession.builder(hv, dom).cpuid().singlestep()
                .on(VmEvent.Cpuid.class, e -> VmEventResponse.CONTINUE.toggleSinglestep())
                .on(VmEvent.Singlestep.class, e -> VmEventResponse.CONTINUE.toggleSinglestep())
                .start()) {
            assertEquals(Outcome.COMPLETED, guest.vcpu(0).cpuid(0, 0).await(OP_TIMEOUT));
            assertTrue(guest.vcpu(0).singleStepping(), "TOGGLE_SINGLESTEP reached the vCPU");
            GuestResult step = guest.vcpu(0).step(3);
            assertEquals(Outcome.COMPLETED, step.await(OP_TIMEOUT));
            assertEquals(1, step.eventsSent(), "a SINGLESTEP event");
            assertFalse(guest.vcpu(0).singleStepping(), "and its response toggled stepping off again");
        }
        assertNothingHeld(dom, 1);
    }

    @Test void singleStepLeftOnByAHandlerIsSwitchedOffAtTeardown() throws Exception {
        DomainId dom = hv.createGuest(1, 64);
        Guest guest = hv.guest(dom);
        MonitorSession[] self = new MonitorSession[1];
        self[0] = MonitorSession.builder(hv, dom).cpuid().singlestep()
                .on(VmEvent.Cpuid.class, e -> VmEventResponse.CONTINUE.toggleSinglestep())
                .on(VmEvent.Singlestep.class, e -> {
                    self[0].close(); // stop from inside: the pending step is answered by the teardown
                    return VmEventResponse.CONTINUE;
                }).start();
        assertEquals(Outcome.COMPLETED, guest.vcpu(0).cpuid(0, 0).await(OP_TIMEOUT));
        assertTrue(guest.vcpu(0).singleStepping());
        assertEquals(Outcome.COMPLETED, guest.vcpu(0).step(1).await(OP_TIMEOUT));
        assertTrue(self[0].awaitTermination(Duration.ofSeconds(30)));
        assertFalse(guest.vcpu(0).singleStepping(), "single-step must not outlive the session");
        assertNothingHeld(dom, 1);
    }

    @Test void aDomainDestroyedUnderTheSessionEndsItWithoutErrors() throws Exception {
        DomainId dom = hv.createGuest(2, 64);
        Guest guest = hv.guest(dom);
        MonitorSession s = MonitorSession.builder(hv, dom).cpuid()
                .on(VmEvent.Cpuid.class, e -> VmEventResponse.CONTINUE).start();
        assertEquals(Outcome.COMPLETED, guest.vcpu(0).cpuid(0, 0).await(OP_TIMEOUT));
        GuestResult inFlight = guest.vcpu(1).cpuid(1, 0);
        hv.domainDestroy(dom);
        assertTrue(inFlight.await(OP_TIMEOUT).isFinal());
        Thread.sleep(300); // the session thread notices the unmapped ring, or not: both must end cleanly
        Thread closer = Thread.ofPlatform().start(s::close); // must neither hang nor throw
        assertTrue(closer.join(Duration.ofSeconds(30)), "close must not hang on a vanished domain");
        assertFalse(s.isRunning());
        assertTrue(s.failure().isEmpty(), () -> "a vanished domain is not a failure: " + s.failure().get());
    }

    @Test void typedResponsesHaveTheirEffectOnTheVcpu() throws Exception {
        DomainId dom = hv.createGuest(1, 64);
        Guest guest = hv.guest(dom);
        List<VmEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (MonitorSession _ = MonitorSession.builder(hv, dom).cpuid().movToMsr(0x174, false)
                .writeCtrlreg(org.xenffm.api.ControlRegister.CR4, true, 0, false)
                .memAccess(Gfn.of(0x20), 1, MemAccess.R)
                .on(VmEvent.Cpuid.class, e -> {
                    seen.add(e.copy());
                    // SET_REGISTERS: skip the 2-byte CPUID and report a leaf in rax; GET_NEXT_INTERRUPT arms one
                    return VmEventResponse.CONTINUE.setRegisters(e.regs().with(X86Registers.Gpr.RIP, e.regs().rip() + 2)
                            .with(X86Registers.Gpr.RAX, 0x1234)).getNextInterrupt();
                })
                .on(VmEvent.MovToMsr.class, e -> { seen.add(e.copy()); return VmEventResponse.CONTINUE.deny(); })
                .on(VmEvent.WriteCtrlreg.class, e -> { seen.add(e.copy()); return VmEventResponse.CONTINUE.deny(); })
                .on(VmEvent.MemAccess.class, e -> { seen.add(e.copy()); return VmEventResponse.CONTINUE.emulateNoWrite(); })
                .on(VmEvent.Interrupt.class, e -> { seen.add(e.copy()); return VmEventResponse.CONTINUE; })
                .start()) {
            var cpu = guest.vcpu(0);
            long rip = cpu.registers().rip;
            assertEquals(Outcome.COMPLETED, cpu.cpuid(7, 0).await(OP_TIMEOUT));
            assertEquals(rip + 2, cpu.registers().rip, "SET_REGISTERS moved RIP");
            assertEquals(0x1234, cpu.registers().rax);

            assertEquals(Outcome.COMPLETED, cpu.interrupt(14, 3, 2, 0xbad000L).await(OP_TIMEOUT));
            assertEquals(Outcome.COMPLETED, cpu.interrupt(14, 3, 2, 0xbad000L).await(OP_TIMEOUT));

            long msrBefore = cpu.msr(0x174);
            assertEquals(Outcome.COMPLETED, cpu.writeMsr(0x174, 0x10).await(OP_TIMEOUT));
            assertEquals(msrBefore, cpu.msr(0x174), "DENY cancelled the MSR write");

            long cr4 = cpu.registers().cr4;
            assertEquals(Outcome.COMPLETED,
                    cpu.writeControlRegister(org.xenffm.api.ControlRegister.CR4, cr4 | 0x80).await(OP_TIMEOUT));
            assertEquals(cr4, cpu.registers().cr4, "DENY cancelled the CR4 write");

            byte before = guest.peek(Gfn.of(0x20))[8];
            assertEquals(Outcome.COMPLETED, cpu.write(Gfn.of(0x20), 8, new byte[] {(byte) (before + 1)}).await(OP_TIMEOUT));
            assertEquals(before, guest.peek(Gfn.of(0x20))[8], "EMULATE_NOWRITE discarded the write");
        }
        assertEquals(List.of(VmEvent.Cpuid.class, VmEvent.Interrupt.class, VmEvent.MovToMsr.class,
                VmEvent.WriteCtrlreg.class, VmEvent.MemAccess.class), seen.stream().map(Object::getClass).toList(),
                "one INTERRUPT only: GET_NEXT_INTERRUPT is one-shot");
        var intr = (VmEvent.Interrupt) seen.get(1);
        assertEquals(14, intr.vector());
        assertEquals(0xbad000L, intr.cr2());
        var msr = (VmEvent.MovToMsr) seen.get(2);
        assertEquals(0x174, msr.msr());
        assertEquals(0x10, msr.newValue());
        var cr = (VmEvent.WriteCtrlreg) seen.get(3);
        assertEquals(org.xenffm.api.ControlRegister.CR4, cr.register());
        assertEquals(cr.oldValue() | 0x80, cr.newValue());
        assertNothingHeld(dom, 1);
    }
}
