package org.xenffm.vmevent;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;
import org.xenffm.api.DomainId;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.Guest;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.Outcome;

/**
 * End to end through the emulated Xen: 8 vCPUs each execute a monitored CPUID (a sync event: the vCPU pauses), the
 * MonitorSession's thread takes the 8 requests, a handler answers CONTINUE, Xen resumes the vCPUs; one operation is
 * one event. Includes the emulator's guest engine, the in-process event channel and the thread hand-off.
 *
 * <p>Run: {@code mvn -q -Pjmh test-compile exec:exec -Djmh.args="EmulatorSessionBench"}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class EmulatorSessionBench {
    private static final int VCPUS = 8;
    private EmulatedHypervisor hv;
    private Guest guest;
    private MonitorSession session;
    private final GuestResult[] pending = new GuestResult[VCPUS];

    @Setup(Level.Trial)
    public void setup() {
        hv = new EmulatedHypervisor();
        DomainId dom = hv.createGuest(VCPUS, 64);
        guest = hv.guest(dom);
        session = MonitorSession.builder(hv, dom).cpuid().shutdownHook(false)
                .on(VmEvent.Cpuid.class, e -> VmEventResponse.CONTINUE).start();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.close();
        hv.close();
    }

    @Benchmark
    @OperationsPerInvocation(8) // VCPUS
    public void cpuidRoundTrips() {
        for (int v = 0; v < VCPUS; v++) pending[v] = guest.vcpu(v).cpuid(v, 0);
        for (GuestResult r : pending) {
            if (r.await(Duration.ofSeconds(10)) != Outcome.COMPLETED) throw new IllegalStateException(r.toString());
        }
    }
}
