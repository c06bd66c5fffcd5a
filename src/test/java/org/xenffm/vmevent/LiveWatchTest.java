// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xenffm.api.ControlRegister;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmParam;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;
import org.xenffm.api.XenVersion;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestCpu;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.GuestSpec;
import org.xenffm.emulated.HostConfig;
import org.xenffm.emulated.Outcome;
import org.xenffm.safe.Altp2mSetup;

/**
 * Watches added to and removed from a running session ({@link MonitorSession#add}, {@link LiveWatch#remove}), from
 * handlers and from other threads, on the emulated Xen 4.17 and 4.20: they trap while held, put back exactly what
 * was there when removed or at close, combine where they overlap, and never cost an event its single answer.
 */
@Timeout(60)
class LiveWatchTest {
    private static final Duration T = Duration.ofSeconds(10);

    static Stream<XenVersion> releases() { return Stream.of(XenVersion.V4_17, XenVersion.V4_20); }

    private static EmulatedHypervisor emulator(XenVersion v) { return new EmulatedHypervisor(HostConfig.vtx(v)); }

    /** An HVM guest with altp2m active (external mode), as a tracer would use it. */
    private static DomainId altp2mGuest(EmulatedHypervisor hv, int vcpus) {
        DomainId d = hv.createGuest(GuestSpec.hvm(vcpus, 128).withAltp2m(HvmParam.ALTP2M_EXTERNAL));
        Altp2mSetup.enable(hv, d, HvmParam.ALTP2M_EXTERNAL);
        return d;
    }

    /** Host accesses read through a ring of our own (xc_get_mem_access needs one), after the session closed. */
    static MemAccess hostAccessAfter(EmulatedHypervisor hv, DomainId d, long gfn) {
        hv.monitorEnable(d);
        try {
            return hv.getMemAccess(d, Gfn.of(gfn));
        } finally {
            hv.monitorDisable(d);
        }
    }

    @ParameterizedTest @MethodSource("releases")
    void aWatchAddedFromAnotherThreadTrapsAndItsRemovalPutsTheAccessBack(XenVersion v) {
        EmulatedHypervisor hv = emulator(v);
        DomainId d = hv.createGuest(2, 64);
        GuestCpu cpu = hv.guest(d).vcpu(0);
        AtomicInteger writes = new AtomicInteger();
        try (MonitorSession s = MonitorSession.builder(hv, d)
                .on(VmEvent.MemAccess.class, e -> {
                    assertEquals(0x20, e.gfn().value());
                    writes.incrementAndGet();
                    return VmEventResponse.CONTINUE.emulate();
                }).start()) {
            assertEquals(MemAccess.RWX, hv.getMemAccess(d, Gfn.of(0x20)));
            assertEquals(0, cpu.write(Gfn.of(0x20), 0, new byte[]{1}).eventsSent(), "nothing watched yet");

            LiveWatch w = s.add(Watch.access(Gfn.of(0x20), 2, MemAccess.RX)); // this test thread, not the session's
            assertTrue(w.isActive());
            assertEquals(MemAccess.RX, hv.getMemAccess(d, Gfn.of(0x21)));
            GuestResult trapped = cpu.write(Gfn.of(0x20), 1, new byte[]{2});
            assertEquals(Outcome.COMPLETED, trapped.await(T));
            assertEquals(1, trapped.eventsSent());
            assertEquals(2, hv.guest(d).peek(Gfn.of(0x20))[1], "emulated: the write happened");

            w.remove();
            assertFalse(w.isActive());
            assertEquals(MemAccess.RWX, hv.getMemAccess(d, Gfn.of(0x20)));
            assertEquals(MemAccess.RWX, hv.getMemAccess(d, Gfn.of(0x21)));
            assertEquals(0, cpu.write(Gfn.of(0x20), 2, new byte[]{3}).eventsSent(), "unwatched again");
            w.remove(); // idempotent
            assertEquals(1, writes.get());
        }
    }

    /**
     * DRAKVUF's pattern: a handler sets a trap (an execute watch in an altp2m view) and a later handler drops it and
     * lets the vCPU retry its fetch unwatched — one event, one answer, the fetch done.
     */
    @ParameterizedTest @MethodSource("releases")
    void handlersAddAndRemoveAnExecuteWatchInAView(XenVersion v) {
        EmulatedHypervisor hv = emulator(v);
        DomainId d = altp2mGuest(hv, 1);
        ViewId view = hv.altp2mCreateView(d, MemAccess.RWX);
        hv.altp2mSwitchToView(d, view);
        GuestCpu cpu = hv.guest(d).vcpu(0);
        AtomicReference<MonitorSession> session = new AtomicReference<>();
        AtomicReference<LiveWatch> trap = new AtomicReference<>();
        List<String> seen = new CopyOnWriteArrayList<>();
        try (MonitorSession s = MonitorSession.builder(hv, d).cpuid()
                .on(VmEvent.Cpuid.class, e -> {
                    seen.add("cpuid");
                    trap.set(session.get().add(Watch.access(view, Gfn.of(0x30), 1, MemAccess.RW)));
                    return VmEventResponse.CONTINUE;
                })
                .on(VmEvent.MemAccess.class, e -> {
                    seen.add("exec 0x" + Long.toHexString(e.gfn().value()) + " in " + e.header().altp2mIdx());
                    trap.get().remove(); // the fetch retries against the view's old rights
                    return VmEventResponse.CONTINUE;
                }).start()) {
            session.set(s);
            assertEquals(0, cpu.execute(Gfn.of(0x30), 0).eventsSent(), "no trap before the handler sets it");
            assertEquals(Outcome.COMPLETED, cpu.cpuid(0, 0).await(T));
            assertTrue(trap.get().isActive());
            assertEquals(MemAccess.RW, hv.altp2mGetMemAccess(d, view, Gfn.of(0x30)));
            assertEquals(0, cpu.read(Gfn.of(0x30), 0, 1).eventsSent(), "reads stay free");

            GuestResult fetch = cpu.execute(Gfn.of(0x30), 0);
            assertEquals(Outcome.COMPLETED, fetch.await(T));
            assertEquals(1, fetch.eventsSent(), "one event: the retry found the trap gone");
            assertFalse(trap.get().isActive());
            assertEquals(0, cpu.execute(Gfn.of(0x30), 0).eventsSent());
            assertEquals(List.of("cpuid", "exec 0x30 in " + view.value()), seen);
            assertEquals(2, s.eventsHandled());
        }
    }

    /** A removal while the watch's event waits on the ring: the event still reaches the handler, answered once. */
    @ParameterizedTest @MethodSource("releases")
    void aRemovalWhileItsEventIsInFlightStillAnswersIt(XenVersion v) throws Exception {
        EmulatedHypervisor hv = emulator(v);
        DomainId d = hv.createGuest(1, 64);
        GuestCpu cpu = hv.guest(d).vcpu(0);
        AtomicInteger handled = new AtomicInteger();
        MonitorSession s = MonitorSession.builder(hv, d)
                .on(VmEvent.MemAccess.class, e -> {
                    handled.incrementAndGet();
                    return VmEventResponse.CONTINUE; // no emulation: the vCPU retries its write
                }).startPolling();
        try {
            LiveWatch w = s.add(Watch.access(Gfn.of(0x21), 1, MemAccess.RX));
            GuestResult write = cpu.write(Gfn.of(0x21), 0, new byte[]{7});
            assertEquals(Outcome.PAUSED_ON_EVENT, write.outcome(), "the request waits on the ring");
            Thread other = Thread.ofPlatform().start(w::remove);
            assertTrue(other.join(T), "a removal between polls does not wait for one");
            assertEquals(MemAccess.RWX, hv.getMemAccess(d, Gfn.of(0x21)));
            assertEquals(1, s.poll(T), "the event raised before the removal is handled");
            assertEquals(Outcome.COMPLETED, write.await(T));
            assertEquals(1, write.eventsSent(), "the retry went through unwatched: answered exactly once");
            assertEquals(7, hv.guest(d).peek(Gfn.of(0x21))[0]);
            assertEquals(1, handled.get());
        } finally {
            s.close();
        }
        assertEquals(0, s.answeredAtTeardown());
    }

    /** A poll waiting for Xen does not hold up a watch added from another thread (it waits between drains only). */
    @ParameterizedTest @MethodSource("releases")
    void aWatchAddedWhilePollWaitsTrapsTheNextAccess(XenVersion v) throws Exception {
        EmulatedHypervisor hv = emulator(v);
        DomainId d = hv.createGuest(1, 64);
        MonitorSession s = MonitorSession.builder(hv, d)
                .on(VmEvent.MemAccess.class, e -> VmEventResponse.CONTINUE.emulate()).startPolling();
        AtomicInteger polled = new AtomicInteger(-2);
        Thread loop = Thread.ofPlatform().start(() -> polled.set(s.poll(Duration.ofSeconds(50))));
        try {
            LiveWatch w = s.add(Watch.access(Gfn.of(0x22), 1, MemAccess.R)); // the test's timeout catches a wait
            GuestResult write = hv.guest(d).vcpu(0).write(Gfn.of(0x22), 0, new byte[]{1});
            assertTrue(loop.join(T), "the poll woke for the event");
            assertEquals(1, polled.get());
            assertEquals(Outcome.COMPLETED, write.await(T));
            assertTrue(w.isActive());
        } finally {
            s.close();
        }
    }

    @ParameterizedTest @MethodSource("releases")
    void eventKindsAreHeldWhileAnyWatchHoldsThem(XenVersion v) {
        EmulatedHypervisor hv = emulator(v);
        DomainId d = hv.createGuest(1, 64);
        GuestCpu cpu = hv.guest(d).vcpu(0);
        try (MonitorSession s = MonitorSession.builder(hv, d).cpuid().start()) {
            LiveWatch again = s.add(Watch.cpuid());
            again.remove();
            GuestResult id = cpu.cpuid(0, 0);
            assertEquals(Outcome.COMPLETED, id.await(T));
            assertEquals(1, id.eventsSent(), "the builder's CPUID watch is still held");

            LiveWatch cr3 = s.add(Watch.writeCtrlreg(ControlRegister.CR3, true, 0, false));
            IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                    () -> s.add(Watch.writeCtrlreg(ControlRegister.CR3, false, 0, false)));
            assertTrue(other.getMessage().contains("other settings"), other.getMessage());
            LiveWatch cr3Too = s.add(Watch.writeCtrlreg(ControlRegister.CR3, true, 0, false));
            GuestResult w1 = cpu.writeControlRegister(ControlRegister.CR3, 0x5000);
            assertEquals(Outcome.COMPLETED, w1.await(T));
            assertEquals(1, w1.eventsSent());
            cr3.remove();
            GuestResult w2 = cpu.writeControlRegister(ControlRegister.CR3, 0x6000);
            assertEquals(Outcome.COMPLETED, w2.await(T));
            assertEquals(1, w2.eventsSent(), "still held by the second watch");
            cr3Too.remove();
            assertEquals(0, cpu.writeControlRegister(ControlRegister.CR3, 0x7000).eventsSent(), "off with the last");

            LiveWatch bp = s.add(Watch.softwareBreakpoint());
            GuestResult int3 = cpu.softwareBreakpoint();
            assertEquals(Outcome.COMPLETED, int3.await(T));
            assertEquals(1, int3.eventsSent());
            bp.remove();
            assertEquals(0, cpu.softwareBreakpoint().eventsSent());
        }
    }

    @ParameterizedTest @MethodSource("releases")
    void overlappingWatchesIntersectAndTheLastRemovalPutsTheOriginalBack(XenVersion v) {
        EmulatedHypervisor hv = emulator(v);
        DomainId d = hv.createGuest(1, 64);
        MemAccess[] before;
        try (MonitorSession s = MonitorSession.builder(hv, d).memAccess(Gfn.of(0x11), 1, MemAccess.RW).start()) {
            LiveWatch a = s.add(Watch.access(Gfn.of(0x10), 4, MemAccess.RX)); // traps writes
            LiveWatch b = s.add(Watch.access(Gfn.of(0x12), 4, MemAccess.RW)); // traps fetches
            assertEquals(List.of(MemAccess.RX, MemAccess.R, MemAccess.R, MemAccess.R, MemAccess.RW, MemAccess.RW),
                    accesses(hv, d, 0x10, 6), "each gfn traps what every watch on it asked for");
            assertThrows(IllegalArgumentException.class, () -> s.add(Watch.access(Gfn.of(0x13), 1, MemAccess.RX2RW)));
            assertEquals(MemAccess.R, hv.getMemAccess(d, Gfn.of(0x13)), "a refused watch changes nothing");

            a.remove();
            assertEquals(List.of(MemAccess.RWX, MemAccess.RW, MemAccess.RW, MemAccess.RW, MemAccess.RW, MemAccess.RW),
                    accesses(hv, d, 0x10, 6));
            LiveWatch c = s.add(Watch.access(Gfn.of(0x15), 2, MemAccess.X));
            b.remove();
            assertEquals(List.of(MemAccess.RWX, MemAccess.RW, MemAccess.RWX, MemAccess.RWX, MemAccess.RWX,
                    MemAccess.X, MemAccess.X), accesses(hv, d, 0x10, 7), "0x15 keeps c's rights, its original kept too");
            assertTrue(c.isActive());
            before = accesses(hv, d, 0x10, 7).toArray(MemAccess[]::new);
        }
        assertEquals(MemAccess.X, before[5]);
        for (long g = 0x10; g < 0x17; g++)
            assertEquals(MemAccess.RWX, hostAccessAfter(hv, d, g), "gfn 0x" + Long.toHexString(g) + " after close");
    }

    private static List<MemAccess> accesses(EmulatedHypervisor hv, DomainId d, long first, int n) {
        return Stream.iterate(first, g -> g + 1).limit(n).map(g -> hv.getMemAccess(d, Gfn.of(g))).toList();
    }

    /** A view that held no entry for the gfn holds none again after the watch (p2m_change_altp2m_gfn INVALID_GFN). */
    @ParameterizedTest @MethodSource("releases")
    void aViewWatchPutsBackTheViewsOwnEntryOrItsAbsence(XenVersion v) {
        EmulatedHypervisor hv = emulator(v);
        DomainId d = altp2mGuest(hv, 1);
        ViewId view = hv.altp2mCreateView(d, MemAccess.RWX);
        hv.altp2mSetMemAccess(d, view, Gfn.of(0x41), MemAccess.R);
        assertEquals(Errno.ESRCH, assertThrows(XenException.class,
                () -> hv.altp2mGetMemAccess(d, view, Gfn.of(0x40))).errno(), "the view holds no entry for 0x40");
        try (MonitorSession s = MonitorSession.builder(hv, d).start()) {
            LiveWatch w = s.add(Watch.access(view, Gfn.of(0x40), 2, MemAccess.X));
            assertEquals(MemAccess.X, hv.altp2mGetMemAccess(d, view, Gfn.of(0x40)));
            assertEquals(MemAccess.X, hv.altp2mGetMemAccess(d, view, Gfn.of(0x41)));
            assertEquals(MemAccess.RWX, hv.getMemAccess(d, Gfn.of(0x40)), "the host is not touched");
            w.remove();
            assertEquals(Errno.ESRCH, assertThrows(XenException.class,
                    () -> hv.altp2mGetMemAccess(d, view, Gfn.of(0x40))).errno(), "absent again");
            assertEquals(MemAccess.R, hv.altp2mGetMemAccess(d, view, Gfn.of(0x41)));
            LiveWatch host = s.add(Watch.access(ViewId.HOST, Gfn.of(0x42), 1, MemAccess.RX));
            assertTrue(((Watch.Access) host.watch()).view().isEmpty(), "view 0 is the host p2m, as in the Xen call");
            assertEquals(MemAccess.RX, hv.getMemAccess(d, Gfn.of(0x42)));
        }
        assertEquals(MemAccess.RWX, hostAccessAfter(hv, d, 0x42));
    }

    /**
     * A host watch reaches the entries of the views holding its gfns (Xen propagates host changes), so the session
     * writes the view's own watches again after it: the view keeps trapping what they asked for, and gets back its
     * own original rights once both are gone.
     */
    @ParameterizedTest @MethodSource("releases")
    void hostWatchesAndViewWatchesOnOneGfnKeepEachOthersRights(XenVersion v) {
        EmulatedHypervisor hv = emulator(v);
        DomainId d = altp2mGuest(hv, 1);
        ViewId view = hv.altp2mCreateView(d, MemAccess.RWX);
        hv.altp2mSetMemAccess(d, view, Gfn.of(0x60), MemAccess.RX);
        try (MonitorSession s = MonitorSession.builder(hv, d).start()) {
            LiveWatch inView = s.add(Watch.access(view, Gfn.of(0x60), 1, MemAccess.R)); // traps writes, fetches
            LiveWatch host = s.add(Watch.access(Gfn.of(0x60), 1, MemAccess.RW));        // traps fetches
            assertEquals(MemAccess.RW, hv.getMemAccess(d, Gfn.of(0x60)));
            assertEquals(MemAccess.R, hv.altp2mGetMemAccess(d, view, Gfn.of(0x60)), "both watches' rights");
            host.remove();
            assertEquals(MemAccess.RWX, hv.getMemAccess(d, Gfn.of(0x60)));
            assertEquals(MemAccess.R, hv.altp2mGetMemAccess(d, view, Gfn.of(0x60)),
                    "the host's restore reached the view; the view's watch was written again");
            inView.remove();
            assertEquals(MemAccess.RX, hv.altp2mGetMemAccess(d, view, Gfn.of(0x60)), "the view's own original");
        }
    }

    /** Close undoes what was added live, refuses new watches, and a removal afterwards does nothing. */
    @ParameterizedTest @MethodSource("releases")
    void closeUndoesEveryLiveWatchAndRefusesNewOnes(XenVersion v) throws Exception {
        EmulatedHypervisor hv = emulator(v);
        DomainId d = altp2mGuest(hv, 2);
        ViewId view = hv.altp2mCreateView(d, MemAccess.RWX);
        hv.altp2mSetMemAccess(d, view, Gfn.of(0x50), MemAccess.RW);
        AtomicReference<MonitorSession> session = new AtomicReference<>();
        List<LiveWatch> fromHandler = new CopyOnWriteArrayList<>();
        MonitorSession s = MonitorSession.builder(hv, d).guestRequest(true, false)
                .on(VmEvent.GuestRequest.class, e -> {
                    fromHandler.add(session.get().add(Watch.cpuid()));
                    fromHandler.add(session.get().add(Watch.access(view, Gfn.of(0x50), 1, MemAccess.N)));
                    return VmEventResponse.CONTINUE;
                }).start();
        session.set(s);
        LiveWatch host = s.add(Watch.access(Gfn.of(0x51), 3, MemAccess.X));
        assertEquals(Outcome.COMPLETED, hv.guest(d).vcpu(1).guestRequest().await(T));
        assertEquals(2, fromHandler.size());
        assertEquals(1, hv.guest(d).vcpu(0).cpuid(1, 0).eventsSent(), "CPUID watched from the handler");
        s.close();

        assertFalse(host.isActive());
        assertTrue(fromHandler.stream().noneMatch(LiveWatch::isActive));
        assertThrows(IllegalStateException.class, () -> s.add(Watch.cpuid()));
        host.remove(); // nothing left to do
        assertEquals(MemAccess.RW, hv.altp2mGetMemAccess(d, view, Gfn.of(0x50)));
        for (long g = 0x51; g < 0x54; g++) assertEquals(MemAccess.RWX, hostAccessAfter(hv, d, g));
        try (MonitorSession next = MonitorSession.builder(hv, d).start()) {
            assertEquals(0, hv.guest(d).vcpu(0).cpuid(1, 0).eventsSent(), "the live CPUID watch was switched off");
            assertEquals(0, next.eventsHandled());
        }
    }
}
