// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.api.XenException;

/** MonitorSession over the {@link RingXen} double: protocol, handlers and a teardown that leaves nothing paused. */
@Timeout(60)
class MonitorSessionTest {

    /** vCPU threads doing {@code n} CPUIDs each; failures are collected. */
    private static List<Thread> cpuidLoops(RingXen xen, int vcpus, int n, ConcurrentLinkedQueue<Throwable> errors) {
        List<Thread> ts = new ArrayList<>();
        for (int v = 0; v < vcpus; v++) {
            int vcpu = v;
            Thread t = Thread.ofPlatform().name("vcpu " + v).start(() -> {
                try {
                    for (int i = 0; i < n; i++) xen.cpuid(vcpu, i);
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            ts.add(t);
        }
        return ts;
    }

    private static void joinAll(List<Thread> ts) throws InterruptedException {
        for (Thread t : ts) {
            assertTrue(t.join(Duration.ofSeconds(90)), t.getName() + " is still stuck: a vCPU was left paused");
        }
    }

    private static void assertReleased(RingXen xen) {
        assertEquals("", xen.heldState(), "the monitor must not hold any vCPU");
        assertFalse(xen.ringEnabled, "ring disabled");
        assertTrue(xen.monitors.isEmpty(), "events disabled: " + xen.monitors);
        assertFalse(xen.channel.bound(), "channel unbound");
        assertTrue(xen.channel.closed(), "channel closed");
    }

    @ParameterizedTest @ValueSource(ints = {1, 4, 9})
    void everyEventReachesItsHandlerAndEveryVcpuFinishes(int vcpus) throws Exception {
        RingXen xen = new RingXen(vcpus);
        AtomicInteger seen = new AtomicInteger();
        ConcurrentLinkedQueue<Integer> leaves = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        try (MonitorSession s = MonitorSession.builder(xen.hypervisor(), RingXen.DOM).cpuid()
                .on(VmEvent.Cpuid.class, e -> {
                    seen.incrementAndGet();
                    leaves.add(e.leaf());
                    assertTrue(e.header().vcpuPaused());
                    return VmEventResponse.CONTINUE;
                }).start()) {
            assertTrue(xen.monitors.contains("cpuid"));
            joinAll(cpuidLoops(xen, vcpus, 200, errors));
            assertEquals(200L * vcpus, s.eventsHandled());
        }
        assertTrue(errors.isEmpty(), errors.toString());
        assertEquals(200 * vcpus, seen.get());
        assertEquals(200 * vcpus, xen.requestsPut);
        assertEquals(200 * vcpus, xen.responsesProcessed, "every request answered and honoured");
        assertReleased(xen);
    }

    @ParameterizedTest @ValueSource(ints = {4, 9})
    void closingWhileVcpusKeepRaisingEventsReleasesThemAll(int vcpus) throws Exception {
        RingXen xen = new RingXen(vcpus);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch busy = new CountDownLatch(50);
        MonitorSession s = MonitorSession.builder(xen.hypervisor(), RingXen.DOM).cpuid()
                .on(VmEvent.Cpuid.class, e -> {
                    busy.countDown();
                    try {
                        Thread.sleep(0, 200_000); // slow handler: the ring fills, vCPUs queue and get blocked
                    } catch (InterruptedException x) {
                        Thread.currentThread().interrupt();
                    }
                    return VmEventResponse.CONTINUE;
                }).start();
        List<Thread> guests = cpuidLoops(xen, vcpus, 1_000_000, errors);
        assertTrue(busy.await(90, TimeUnit.SECONDS), "the handler got 50 events");
        s.close(); // events keep arriving while this runs
        joinAll(guests); // the guest loops end only because monitoring stopped and nothing stayed paused
        assertTrue(errors.isEmpty(), errors.toString());
        assertReleased(xen);
        assertEquals(xen.requestsPut, xen.responsesProcessed, "no request went unanswered");
        assertEquals(xen.requestsPut, s.eventsHandled() + s.answeredAtTeardown(), "each request handled or answered");
        s.close(); // idempotent
    }

    @Test void aThrowingHandlerStillTearsDownAndReportsOnce() throws Exception {
        RingXen xen = new RingXen(4);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicInteger calls = new AtomicInteger();
        MonitorSession s = MonitorSession.builder(xen.hypervisor(), RingXen.DOM).cpuid()
                .on(VmEvent.Cpuid.class, e -> {
                    if (calls.incrementAndGet() == 20) throw new IllegalStateException("handler bug");
                    return VmEventResponse.CONTINUE;
                }).start();
        joinAll(cpuidLoops(xen, 4, 10_000, errors));
        assertTrue(s.awaitTermination(Duration.ofSeconds(20)), "the session ended by itself");
        assertReleased(xen);
        assertEquals(xen.requestsPut, xen.responsesProcessed);
        assertEquals(20, calls.get(), "no handler call after the failure");
        var e = assertThrows(MonitorSessionException.class, s::close);
        assertInstanceOf(IllegalStateException.class, e.getCause());
        s.close(); // reported once
        assertTrue(s.failure().isPresent());
    }

    @Test void memAccessIsSetAndRestoredExactly() throws Exception {
        RingXen xen = new RingXen(2);
        xen.access.put(0x12L, MemAccess.X); // set by someone else before the session
        List<VmEvent.MemAccess> seen = new ArrayList<>();
        try (MonitorSession _ = MonitorSession.builder(xen.hypervisor(), RingXen.DOM)
                .memAccess(Gfn.of(0x10), 4, MemAccess.RX)
                .on(VmEvent.MemAccess.class, e -> {
                    synchronized (seen) { seen.add(e.copy()); }
                    return VmEventResponse.CONTINUE.emulate();
                }).start()) {
            xen.write(0, 0x11);
            xen.write(1, 0x20); // outside the range: no event
            xen.write(1, 0x13);
            assertEquals(MemAccess.RX, xen.access.get(0x12L));
        }
        assertEquals(2, seen.size());
        assertEquals(Gfn.of(0x11), seen.get(0).gfn());
        assertTrue(seen.get(0).write());
        assertEquals(0x11010L, seen.get(0).gpa());
        assertEquals(Gfn.of(0x13), seen.get(1).gfn());
        assertEquals(MemAccess.RWX, xen.access.get(0x10L));
        assertEquals(MemAccess.RWX, xen.access.get(0x11L));
        assertEquals(MemAccess.X, xen.access.get(0x12L), "the access found before the session comes back");
        assertEquals(MemAccess.RWX, xen.access.get(0x13L));
        assertReleased(xen);
    }

    @Test void aVersionMismatchStopsBeforeAnythingIsEnabled() {
        RingXen xen = new RingXen(1);
        xen.reportedVersion = 6;
        var e = assertThrows(VmEventVersionException.class,
                () -> MonitorSession.builder(xen.hypervisor(), RingXen.DOM).cpuid().start());
        assertEquals(6, e.found());
        assertFalse(xen.ringEnabled);
        assertTrue(xen.monitors.isEmpty());
        assertNull(xen.channel, "no channel opened");
    }

    @Test void aFailingSetupStepUndoesTheEarlierOnes() {
        RingXen xen = new RingXen(2);
        var e = assertThrows(XenException.class, () -> MonitorSession.builder(xen.hypervisor(), RingXen.DOM)
                .cpuid().memAccess(Gfn.of(5), 1, MemAccess.R).movToMsr(0x2000_0000, false).start());
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("xc_monitor_mov_to_msr", e.operation());
        assertReleased(xen);
        assertEquals(MemAccess.RWX, xen.access.get(5L), "access restored");
    }

    @Test void singleSteppingTurnedOnByAHandlerIsTurnedOffAtTeardown() throws Exception {
        RingXen xen = new RingXen(1);
        MonitorSession[] self = new MonitorSession[1];
        CountDownLatch started = new CountDownLatch(1);
        self[0] = MonitorSession.builder(xen.hypervisor(), RingXen.DOM).cpuid().singlestep()
                .on(VmEvent.Cpuid.class, e -> VmEventResponse.CONTINUE.toggleSinglestep())
                .on(VmEvent.Singlestep.class, e -> {
                    try {
                        started.await();
                    } catch (InterruptedException x) {
                        throw new RuntimeException(x);
                    }
                    self[0].close(); // from a handler: only asks to stop
                    return VmEventResponse.CONTINUE;
                }).start();
        started.countDown();
        xen.cpuid(0, 1); // handler turns stepping on
        assertTrue(xen.stepping[0]);
        xen.cpuid(0, 2); // SINGLESTEP first; its handler closes; teardown answers with the toggle
        assertTrue(self[0].awaitTermination(Duration.ofSeconds(20)));
        assertFalse(xen.stepping[0], "single-step left on for vCPU 0");
        assertReleased(xen);
    }

    @Test void asyncEventsAreAnsweredWithoutPausedAndBlockedVcpusAreReleased() throws Exception {
        RingXen xen = new RingXen(9);
        AtomicInteger n = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        try (MonitorSession _ = MonitorSession.builder(xen.hypervisor(), RingXen.DOM).guestRequest(false, true)
                .on(VmEvent.GuestRequest.class, e -> {
                    assertFalse(e.header().vcpuPaused());
                    n.incrementAndGet();
                    return VmEventResponse.CONTINUE;
                }).start()) {
            List<Thread> ts = new ArrayList<>();
            for (int v = 0; v < 9; v++) {
                int vcpu = v;
                ts.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 300; i++) xen.guestRequest(vcpu);
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                }));
            }
            joinAll(ts); // 9 vCPUs > 8 slots: the "black eye" pauses are lifted as responses arrive
        }
        assertTrue(errors.isEmpty(), errors.toString());
        assertEquals(9 * 300, n.get());
        assertEquals(9 * 300, xen.responsesIgnored, "async: Xen ignores the flags of these responses");
        assertReleased(xen);
    }

    @Test void aCorruptRingEndsTheSessionWithATypedErrorAndStillTearsDown() throws Exception {
        RingXen xen = new RingXen(2);
        MonitorSession s = MonitorSession.builder(xen.hypervisor(), RingXen.DOM).cpuid()
                .on(VmEvent.Cpuid.class, e -> VmEventResponse.CONTINUE).start();
        xen.cpuid(0, 1); // a normal round trip first
        xen.corruptReqProd();
        assertTrue(s.awaitTermination(Duration.ofSeconds(20)), "the session stops trusting the ring");
        var e = assertThrows(MonitorSessionException.class, s::close);
        var cause = assertInstanceOf(RingCorruptException.class, e.getCause());
        assertEquals(RingCorruptException.Kind.INDEX_OUT_OF_RANGE, cause.kind());
        assertReleased(xen);
    }
}
