// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;
import org.xenffm.api.DomainId;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.Guest;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.Outcome;

/**
 * End to end through the emulated Xen: 8 vCPUs execute monitored CPUIDs (sync events: the vCPU pauses), the
 * MonitorSession's thread takes the requests off the ring page, a handler answers CONTINUE, the notify makes the
 * emulated Xen run vm_event_resume over the responses and unpause the vCPUs; one operation is one event. Includes the
 * emulator's guest engine, the in-process event channel and every thread hand-off.
 *
 * <ul>
 *   <li>{@code cpuidRoundTrips}: the benchmark thread issues one CPUID per vCPU and waits for all 8 — two thread
 *       hand-offs per batch of 8 events (guest thread → session thread → guest thread).</li>
 *   <li>{@code cpuidLoop}: each vCPU runs a guest loop of {@value #LOOP} CPUIDs ({@code GuestCpu.cpuidLoop}); a
 *       resumed vCPU goes on to its next CPUID on the thread that resumed it (the session thread, inside its notify),
 *       so the steady state needs no hand-off. Every event is still a request written into the page, consumed,
 *       answered and processed by vm_event_resume.</li>
 * </ul>
 * Per iteration the CPU time of the benchmark and session threads is printed as events per CPU-second (on a shared
 * machine the wall-clock score also counts time the threads spent descheduled).
 *
 * <p>Run: {@code mvn -q -Pjmh test-compile exec:exec -Djmh.args="EmulatorSessionBench"}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class EmulatorSessionBench {
    private static final int VCPUS = 8;
    static final int LOOP = 1024;
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    private EmulatedHypervisor hv;
    private Guest guest;
    private MonitorSession session;
    private final GuestResult[] pending = new GuestResult[VCPUS];
    private long sessionThread, cpu0, events0;

    /**
     * The session's handler: {@code typed} ({@code on(Cpuid)}, a decoded record per event) or {@code view}
     * ({@code onView}, nothing decoded): the difference is the consumer's share, the rest the emulator's.
     */
    @Param({"typed", "view"})
    public String handler;

    @Setup(Level.Trial)
    public void setup() {
        hv = new EmulatedHypervisor();
        DomainId dom = hv.createGuest(VCPUS, 64);
        guest = hv.guest(dom);
        MonitorSession.Builder b = MonitorSession.builder(hv, dom).cpuid().shutdownHook(false);
        session = (handler.equals("view") ? b.onView(VmEvent.Cpuid.class, v -> VmEventResponse.CONTINUE)
                : b.on(VmEvent.Cpuid.class, e -> VmEventResponse.CONTINUE)).start();
        sessionThread = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("vm_event " + dom)).findFirst().orElseThrow().threadId();
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        cpu0 = cpuNanos();
        events0 = session.eventsHandled();
    }

    @TearDown(Level.Iteration)
    public void reportCpu() {
        long events = session.eventsHandled() - events0, cpu = cpuNanos() - cpu0;
        System.out.printf("  %d events, %.0f ns CPU/event (benchmark + session threads) = %.0f events per CPU-second%n",
                events, cpu / (double) events, events * 1e9 / cpu);
    }

    private long cpuNanos() {
        return CPU.getCurrentThreadCpuTime() + CPU.getThreadCpuTime(sessionThread);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.close();
        hv.close();
    }

    @Benchmark
    @OperationsPerInvocation(VCPUS)
    public void cpuidRoundTrips() {
        for (int v = 0; v < VCPUS; v++) pending[v] = guest.vcpu(v).cpuid(v, 0);
        await();
    }

    @Benchmark
    @OperationsPerInvocation(VCPUS * LOOP)
    public void cpuidLoop() {
        for (int v = 0; v < VCPUS; v++) pending[v] = guest.vcpu(v).cpuidLoop(v, 0, LOOP);
        await();
        for (GuestResult r : pending)
            if (r.eventsSent() != LOOP) throw new IllegalStateException(r.eventsSent() + " events, not " + LOOP);
    }

    private void await() {
        for (GuestResult r : pending) {
            if (r.await(Duration.ofSeconds(10)) != Outcome.COMPLETED) throw new IllegalStateException(r.toString());
        }
    }
}
