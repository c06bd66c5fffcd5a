// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.*;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmParam;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenVersion;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestCpu;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.GuestSpec;
import org.xenffm.emulated.HostConfig;
import org.xenffm.emulated.Outcome;
import org.xenffm.safe.Altp2mSetup;

/**
 * Random interleavings of guest accesses and CPUIDs, watches added and removed from the test thread and from inside
 * handlers (host accesses, accesses in the altp2m view the vCPUs run in, CPUID), and close — on a session with its
 * own thread or one driven by {@code poll} from another thread, on the emulated Xen 4.17 and 4.20. Whatever the
 * order: every event is answered exactly once (each reached a handler or the teardown, and every guest operation
 * ended), no vCPU is left paused, and after close every gfn has, in the host and in the view, the access it had
 * before the session opened.
 */
class LiveWatchProperties {
    private static final Duration T = Duration.ofSeconds(20);
    private static final int FIRST = 0x10, GFNS = 8, VCPUS = 3;
    private static final MemAccess[] PLAIN = {MemAccess.N, MemAccess.R, MemAccess.W, MemAccess.RW, MemAccess.X,
            MemAccess.RX, MemAccess.WX, MemAccess.RWX};

    sealed interface Act {}
    /** vCPU {@code vcpu} reads, writes or fetches at gfn FIRST + {@code gfn}, or runs CPUID ({@code kind} 'c'). */
    record GuestOp(int vcpu, int gfn, char kind) implements Act {}
    /** An access watch in the host ({@code inView} false) or in the view, from a handler or the test thread. */
    record AddAccess(boolean inView, int first, int nr, MemAccess access, boolean fromHandler) implements Act {}
    record AddCpuid(boolean fromHandler) implements Act {}
    /** Removes the {@code which}-th watch added so far (modulo their number), removed already or not. */
    record Remove(int which, boolean fromHandler) implements Act {}
    record Close() implements Act {}

    @Provide Arbitrary<List<Act>> acts() {
        Arbitrary<Boolean> handler = Arbitraries.of(true, false);
        Arbitrary<Act> act = Arbitraries.frequencyOf(
                Tuple.of(6, Combinators.combine(Arbitraries.integers().between(0, VCPUS - 1),
                        Arbitraries.integers().between(0, GFNS - 1), Arbitraries.of('r', 'w', 'x', 'c'))
                        .as(GuestOp::new)),
                Tuple.of(3, Combinators.combine(Arbitraries.of(true, false), Arbitraries.integers().between(0, GFNS - 1),
                        Arbitraries.integers().between(1, 4), Arbitraries.of(PLAIN), handler).as(AddAccess::new)),
                Tuple.of(1, handler.map(AddCpuid::new)),
                Tuple.of(3, Combinators.combine(Arbitraries.integers().between(0, 50), handler).as(Remove::new)),
                Tuple.of(1, Arbitraries.just(new Close())));
        return act.list().ofMinSize(5).ofMaxSize(40);
    }

    @Property(tries = 100)
    void everyEventIsAnsweredOnceAndCloseRestoresEveryAccess(@ForAll("acts") List<Act> acts,
                                                             @ForAll boolean polling,
                                                             @ForAll("originals") List<MemAccess> originals,
                                                             @ForAll("releases") XenVersion release)
            throws InterruptedException {
        EmulatedHypervisor hv = new EmulatedHypervisor(HostConfig.vtx(release));
        DomainId d = hv.createGuest(GuestSpec.hvm(VCPUS, 64).withAltp2m(HvmParam.ALTP2M_EXTERNAL));
        Altp2mSetup.enable(hv, d, HvmParam.ALTP2M_EXTERNAL);
        ViewId view = hv.altp2mCreateView(d, MemAccess.RWX);
        for (int i = 0; i < GFNS; i++) { // the view holds every gfn, as the host has it: no lazy copies later
            hv.altp2mSetMemAccess(d, ViewId.HOST, Gfn.of(FIRST + i), originals.get(i));
            hv.altp2mSetMemAccess(d, view, Gfn.of(FIRST + i), originals.get(i));
        }
        hv.altp2mSwitchToView(d, view);
        List<MemAccess> before = accesses(hv, d, view);

        AtomicReference<MonitorSession> session = new AtomicReference<>();
        List<LiveWatch> watches = new CopyOnWriteArrayList<>();
        Queue<Act> handlerTodo = new ConcurrentLinkedQueue<>();
        Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong handlerCalls = new AtomicLong();
        VmEventHandler handler = e -> {
            handlerCalls.incrementAndGet();
            Act a = handlerTodo.poll();
            if (a != null) {
                try {
                    apply(a, session.get(), view, watches);
                } catch (IllegalStateException closing) {
                    // a handler still running when close began: new watches are refused
                } catch (Throwable t) {
                    errors.add(t);
                }
            }
            return e instanceof VmEvent.MemAccess ? VmEventResponse.CONTINUE.emulate() : VmEventResponse.CONTINUE;
        };
        MonitorSession.Builder b = MonitorSession.builder(hv, d).otherwise(handler);
        MonitorSession s = polling ? b.startPolling() : b.start();
        session.set(s);
        Thread poller = polling ? Thread.ofPlatform().start(() -> {
            try {
                while (s.poll(Duration.ofMillis(20)) >= 0) Thread.onSpinWait();
            } catch (Throwable t) {
                errors.add(t);
            }
        }) : null;

        GuestResult[] last = new GuestResult[VCPUS];
        List<GuestResult> results = new ArrayList<>();
        boolean closed = false;
        for (Act a : acts) {
            switch (a) {
                case GuestOp op -> {
                    if (last[op.vcpu()] != null) last[op.vcpu()].await(T); // one instruction at a time per vCPU
                    GuestCpu cpu = hv.guest(d).vcpu(op.vcpu());
                    Gfn g = Gfn.of(FIRST + op.gfn());
                    // only what the gfn's own rights allow: an access they forbid, retried after close with no
                    // listener left, makes Xen lift that restriction (mem_access.c:p2m_mem_access_check sets rwx) —
                    // Xen's doing, not the session's, and not what this property is about
                    MemAccess own = originals.get(op.gfn());
                    char kind = op.kind() == 'w' && !own.allowsWrite() || op.kind() == 'x' && !own.allowsExec()
                            ? 'r' : op.kind();
                    GuestResult r = switch (kind) {
                        case 'r' -> cpu.read(g, 0, 1);
                        case 'w' -> cpu.write(g, 0, new byte[]{1});
                        case 'x' -> cpu.execute(g, 0);
                        default -> cpu.cpuid(0, 0);
                    };
                    last[op.vcpu()] = r;
                    results.add(r);
                }
                case Close c -> {
                    s.close();
                    closed = true;
                }
                default -> {
                    boolean fromHandler = switch (a) {
                        case AddAccess x -> x.fromHandler();
                        case AddCpuid x -> x.fromHandler();
                        case Remove x -> x.fromHandler();
                        default -> false;
                    };
                    if (fromHandler) {
                        handlerTodo.add(a);
                    } else if (closed && !(a instanceof Remove)) {
                        assertThrows(IllegalStateException.class, () -> apply(a, s, view, watches));
                    } else {
                        apply(a, s, view, watches);
                    }
                }
            }
        }
        s.close();
        if (poller != null) assertTrue(poller.join(T), "poll returned -1 after close");

        long sent = 0;
        for (GuestResult r : results) {
            Outcome o = r.await(T); // throws if a vCPU stayed paused
            assertTrue(o == Outcome.COMPLETED || o == Outcome.NOT_RUNNABLE, () -> "outcome " + o);
            sent += r.eventsSent();
        }
        assertTrue(errors.isEmpty(), () -> "errors: " + errors);
        assertTrue(s.failure().isEmpty(), () -> "session failed: " + s.failure().get());
        assertEquals(handlerCalls.get(), s.eventsHandled(), "the session counts each handler call once");
        assertEquals(sent, s.eventsHandled() + s.answeredAtTeardown(),
                "each request the guest raised was answered exactly once, by a handler or by the teardown");
        for (int v = 0; v < VCPUS; v++) {
            assertFalse(hv.guest(d).vcpu(v).pausedByVmEvent(), "vCPU " + v + " left paused");
            assertFalse(hv.guest(d).vcpu(v).blockedByRing(), "vCPU " + v + " left waiting for a slot");
        }
        assertFalse(hv.domainGetinfo(d).paused(), "domain left paused");
        assertTrue(watches.stream().noneMatch(LiveWatch::isActive), "the teardown ended every watch");
        assertEquals(before, accesses(hv, d, view), "host then view accesses, as before the session opened");
    }

    private static void apply(Act a, MonitorSession s, ViewId view, List<LiveWatch> watches) {
        switch (a) {
            case AddAccess x -> {
                int nr = Math.min(x.nr(), GFNS - x.first());
                Gfn first = Gfn.of(FIRST + x.first());
                watches.add(s.add(x.inView() ? Watch.access(view, first, nr, x.access())
                        : Watch.access(first, nr, x.access())));
            }
            case AddCpuid x -> watches.add(s.add(Watch.cpuid()));
            case Remove x -> {
                if (!watches.isEmpty()) watches.get(x.which() % watches.size()).remove();
            }
            default -> throw new AssertionError(a);
        }
    }

    /** The host's accesses (through a ring of our own, as xc_get_mem_access needs one), then the view's. */
    private static List<MemAccess> accesses(EmulatedHypervisor hv, DomainId d, ViewId view) {
        List<MemAccess> r = new ArrayList<>();
        hv.monitorEnable(d);
        try {
            for (int i = 0; i < GFNS; i++) r.add(hv.getMemAccess(d, Gfn.of(FIRST + i)));
        } finally {
            hv.monitorDisable(d);
        }
        for (int i = 0; i < GFNS; i++) r.add(hv.altp2mGetMemAccess(d, view, Gfn.of(FIRST + i)));
        return r;
    }

    @Provide Arbitrary<List<MemAccess>> originals() {
        return Arbitraries.of(MemAccess.RWX, MemAccess.RW, MemAccess.RX, MemAccess.R).list().ofSize(GFNS);
    }

    @Provide Arbitrary<XenVersion> releases() { return Arbitraries.of(XenVersion.V4_17, XenVersion.V4_20); }
}
