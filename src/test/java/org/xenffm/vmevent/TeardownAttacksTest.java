// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xenffm.api.DomainId;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MonitorRing;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.Guest;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.Outcome;

/**
 * The teardown attacks of issue 14 on an 8-vCPU emulated guest whose every vCPU keeps raising synchronous CPUID
 * events: a handler that blocks forever, one that spins forever, a ring corrupted while every vCPU waits on it, and
 * the hypervisor handle closed under the running session. Each must end with every vCPU released and running on.
 */
@Timeout(120)
class TeardownAttacksTest {
    private static final int VCPUS = 8;
    private static final Duration DEADLINE = Duration.ofMillis(500);

    private final EmulatedHypervisor emu = new EmulatedHypervisor();
    private final DomainId dom = emu.createGuest(VCPUS, 64);
    private final Guest guest = emu.guest(dom);
    private final List<GuestResult> loops = new ArrayList<>();

    /** Every vCPU runs CPUID in a loop (each one a synchronous event that pauses it until answered). */
    private void startLoops() {
        for (int v = 0; v < VCPUS; v++) loops.add(guest.vcpu(v).cpuidLoop(v, 0, 1_000_000));
    }

    /** A handler has the first event. */
    private final CountDownLatch entered = new CountDownLatch(1);

    /** Waits until a handler holds an event and every vCPU waits for an answer (the others queued on the ring). */
    private void awaitAllPaused() throws InterruptedException {
        assertTrue(entered.await(30, TimeUnit.SECONDS), "a handler got an event");
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!allPaused()) {
            assertTrue(System.nanoTime() < end, "every vCPU got to wait on the ring");
            Thread.sleep(2);
        }
    }

    private boolean allPaused() {
        for (int v = 0; v < VCPUS; v++) if (!guest.vcpu(v).pausedByVmEvent()) return false;
        return true;
    }

    /** No vCPU held, and each runs its loop on to the end, unmonitored. */
    private void assertEveryVcpuRunsOn() {
        for (int v = 0; v < VCPUS; v++) {
            assertFalse(guest.vcpu(v).pausedByVmEvent(), "vcpu " + v + " left paused by vm_event");
            assertFalse(guest.vcpu(v).blockedByRing(), "vcpu " + v + " left blocked by the ring");
            assertEquals(Outcome.COMPLETED, loops.get(v).await(Duration.ofSeconds(60)), "vcpu " + v + " runs on");
        }
    }

    /** A session whose CPUID handler never returns until released. */
    private MonitorSession stuck(StuckHandler<VmEvent.Cpuid> h) {
        MonitorSession s = MonitorSession.builder(emu, dom).cpuid().teardownDeadline(DEADLINE)
                .on(VmEvent.Cpuid.class, e -> {
                    entered.countDown();
                    return h.apply(e);
                }).start();
        return s;
    }

    @Test void aHandlerThatNeverReturnsCannotBlockClose() throws Exception {
        StuckHandler<VmEvent.Cpuid> h = new StuckHandler<>();
        MonitorSession s = stuck(h);
        startLoops();
        awaitAllPaused();
        long t0 = System.nanoTime();
        var e = assertThrows(MonitorSessionException.class, s::close);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(e.getMessage().contains("did not return within 500 ms"), e.getMessage());
        assertTrue(ms < 60_000, "close returned after " + ms + " ms (bounded by the deadline, not by the handler; the cap only catches a hang)");
        assertTrue(h.thread.isAlive(), "the handler is still blocked");
        assertFalse(emu.domainGetinfo(dom).paused(), "domain unpaused");
        assertEveryVcpuRunsOn();
        h.release(); // the late answer is dropped: the ring is gone, nothing is written, nothing thrown
        assertTrue(s.awaitTermination(Duration.ofSeconds(10)));
        assertEveryVcpuRunsOn();
    }

    @Test void aHandlerStuckInsidePollCannotBlockCloseFromAnotherThread() throws Exception {
        StuckHandler<VmEvent.Cpuid> h = new StuckHandler<>();
        MonitorSession s = MonitorSession.builder(emu, dom).cpuid().teardownDeadline(DEADLINE)
                .on(VmEvent.Cpuid.class, e -> {
                    entered.countDown();
                    return h.apply(e);
                }).startPolling();
        startLoops();
        AtomicReference<Object> polled = new AtomicReference<>();
        Thread poller = Thread.ofPlatform().name("caller loop").start(() -> {
            try {
                while (s.poll(Duration.ofMillis(50)) >= 0) Thread.onSpinWait();
                polled.set(-1);
            } catch (RuntimeException e) {
                polled.set(e);
            }
        });
        awaitAllPaused();
        // the caller's loop holds the session inside poll (its handler blocked): close must not wait for it
        var e = assertThrows(MonitorSessionException.class, s::close);
        assertTrue(e.getMessage().contains("did not return within 500 ms"), e.getMessage());
        assertTrue(h.thread.isAlive(), "the handler is still blocked");
        assertFalse(emu.domainGetinfo(dom).paused(), "domain unpaused");
        assertEveryVcpuRunsOn();
        h.release(); // the late answer is dropped; the caller's poll then reports the end
        poller.join(Duration.ofSeconds(30));
        assertFalse(poller.isAlive(), "poll returned");
        assertEquals(-1, polled.get(), "poll reported the session's end (the failure was already thrown by close)");
        assertEveryVcpuRunsOn();
    }

    @Test void aSpinningHandlerCannotBlockClose() throws Exception {
        AtomicBoolean spin = new AtomicBoolean(true);
        MonitorSession s = MonitorSession.builder(emu, dom).cpuid().teardownDeadline(DEADLINE)
                .on(VmEvent.Cpuid.class, e -> {
                    entered.countDown();
                    while (spin.get()) Thread.onSpinWait();
                    return VmEventResponse.CONTINUE;
                }).start();
        startLoops();
        awaitAllPaused();
        assertTrue(s.isRunning(), "spinning");
        var e = assertThrows(MonitorSessionException.class, s::close, () -> "failure " + s.failure());
        assertTrue(e.getMessage().contains("did not return"), e.getMessage());
        assertEveryVcpuRunsOn();
        assertTrue(s.answeredAtTeardown() >= VCPUS, "the handler's request and the queued ones answered: "
                + s.answeredAtTeardown());
        spin.set(false);
        assertTrue(s.awaitTermination(Duration.ofSeconds(10)));
    }

    @Test void aRingCorruptedWhileEveryVcpuWaitsStillReleasesThemAll() throws Exception {
        AtomicReference<MonitorRing> ring = new AtomicReference<>();
        CountDownLatch release = new CountDownLatch(1);
        MonitorSession s = MonitorSession.builder(capturingRing(emu, ring), dom).cpuid()
                .on(VmEvent.Cpuid.class, e -> {
                    entered.countDown();
                    try {
                        release.await(); // hold the first event until the ring is corrupt
                    } catch (InterruptedException x) {
                        Thread.currentThread().interrupt();
                    }
                    return VmEventResponse.CONTINUE;
                }).start();
        startLoops();
        awaitAllPaused(); // 1 request in the handler, 7 on the ring
        ring.get().page().set(ValueLayout.JAVA_INT, VmEventAbi.REQ_PROD, 0x7fff_0000); // a hostile req_prod
        release.countDown();
        assertTrue(s.awaitTermination(Duration.ofSeconds(30)), "the session ends by itself");
        assertInstanceOf(RingCorruptException.class, s.failure().orElseThrow());
        assertEveryVcpuRunsOn();
        assertFalse(emu.domainGetinfo(dom).paused(), "domain unpaused");
    }

    @Test void closingTheHypervisorFirstTearsTheSessionDown() throws Exception {
        MonitorSession s = MonitorSession.builder(emu, dom).cpuid().teardownDeadline(DEADLINE)
                .on(VmEvent.Cpuid.class, e -> {
                    entered.countDown();
                    return VmEventResponse.CONTINUE;
                }).start();
        startLoops();
        awaitAllPaused();
        emu.close();
        assertFalse(s.isRunning(), "the session ended before the handle closed");
        assertTrue(s.failure().isEmpty(), () -> "no failure, no exception on the session thread: " + s.failure());
        assertEveryVcpuRunsOn();
        assertTrue(s.eventsHandled() + s.answeredAtTeardown() > 0);
    }

    @Test void closingTheHypervisorUnderAStuckHandlerStillReleasesEveryVcpu() throws Exception {
        StuckHandler<VmEvent.Cpuid> h = new StuckHandler<>();
        MonitorSession s = stuck(h);
        startLoops();
        awaitAllPaused();
        emu.close();
        assertEveryVcpuRunsOn();
        assertTrue(s.failure().orElseThrow().getMessage().contains("did not return"), s.failure()::toString);
        h.release();
    }

    /** The emulator, with the ring page of monitorEnable captured: the test plays a hostile writer of that page. */
    static Hypervisor capturingRing(EmulatedHypervisor emu, AtomicReference<MonitorRing> ring) {
        return (Hypervisor) Proxy.newProxyInstance(Hypervisor.class.getClassLoader(), new Class<?>[]{Hypervisor.class},
                (p, m, args) -> {
                    try {
                        Object r = m.invoke(emu, args);
                        if (r instanceof MonitorRing mr) ring.set(mr);
                        return r;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
