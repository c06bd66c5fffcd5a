// SPDX-License-Identifier: Apache-2.0
package org.xenffm.stealth;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.*;
import org.xenffm.api.DomainId;
import org.xenffm.api.HvmParam;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestCpu;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.GuestSpec;
import org.xenffm.emulated.HostConfig;
import org.xenffm.emulated.Outcome;
import org.xenffm.emulated.Registers;

/**
 * Stealth breakpoints on the emulator (issue 18 item 5), every operation end to end through the emulated Xen, the
 * keeper's MonitorSession and the tracer:
 * <ul>
 *   <li>{@code roundTrip1Clone}: one fork's vCPU loops over a breakpointed instruction ({@code GuestCpu.runLoop});
 *       one operation = INT3 → SOFTWARE_BREAKPOINT → handler → response (FAST_SINGLESTEP to view 0 and back, or
 *       SET_EMUL_INSN_DATA) → the original instruction retires.</li>
 *   <li>{@code roundTrip8Clones}: the same in 8 forks at once (8 monitor sessions, one per clone).</li>
 *   <li>{@code forkSetupReset}: one KF/x-style iteration plus the set-up KF/x does not do per child: fork a paused
 *       parent, set the breakpoint (shadow page, remap, view, monitor ring), hit it, fork_reset (state and memory; the
 *       shadow rebuilt), hit it again, destroy the fork. KF/x publishes 200–600 fork_reset iterations/s on hardware
 *       (README); {@code resetIteration} is that iteration alone: fork_reset + one hit.</li>
 * </ul>
 * {@code mode} EMULATE is what runs under Bochs (no monitor trap flag); SINGLESTEP is DRAKVUF's.
 *
 * <p>Run: {@code mvn -q -Pjmh test-compile exec:exec -Djmh.args="StealthBench"}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
public class StealthBench {
    static final long BP = 0x5010;
    static final int LOOP = 256, CLONES = 8;
    static final Duration WAIT = Duration.ofSeconds(30);

    @Param({"SINGLESTEP", "EMULATE"}) public StepMode mode;

    private EmulatedHypervisor hv;
    private StealthTracer tracer;
    private DomainId parent, resetChild;
    private final List<DomainId> clones = new ArrayList<>();
    private final GuestResult[] pending = new GuestResult[CLONES];
    private final AtomicLong hits = new AtomicLong();

    @Setup(Level.Trial)
    public void setup() {
        hv = new EmulatedHypervisor(HostConfig.vtx().withSinglestep(mode == StepMode.SINGLESTEP));
        parent = hv.createGuest(GuestSpec.hvm(1, 64).withAltp2m(HvmParam.ALTP2M_DISABLED));
        GuestCpu cpu = hv.guest(parent).vcpu(0);
        byte[] nops = new byte[4096];
        java.util.Arrays.fill(nops, (byte) 0x90);
        check(cpu.writeGpa(BP & ~0xfffL, nops).await(WAIT));
        Registers r = cpu.registers();
        r.cr0 = 0x11;
        cpu.setRegisters(r);
        hv.domainPause(parent);
        tracer = new StealthTracer(hv, mode, h -> hits.incrementAndGet());
        for (int i = 0; i < CLONES; i++) clones.add(traced());
        resetChild = traced();
    }

    private DomainId traced() {
        DomainId c = tracer.keeper().fork(parent, null, false);
        hv.domainUnpause(c);
        tracer.add(c, BP);
        return c;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        tracer.close();
        hv.close();
    }

    @Benchmark
    @OperationsPerInvocation(LOOP)
    public void roundTrip1Clone() {
        long before = hits.get();
        check(hv.guest(clones.getFirst()).vcpu(0).runLoop(BP, 1, LOOP).await(WAIT));
        if (hits.get() - before != LOOP) throw new IllegalStateException("lost hits");
    }

    @Benchmark
    @OperationsPerInvocation(LOOP * CLONES)
    public void roundTrip8Clones() {
        for (int i = 0; i < CLONES; i++) pending[i] = hv.guest(clones.get(i)).vcpu(0).runLoop(BP, 1, LOOP);
        for (GuestResult r : pending) check(r.await(WAIT));
    }

    @Benchmark
    public void forkSetupReset() {
        DomainId c = traced();
        hit(c);
        tracer.forkReset(c, true, true);
        hit(c);
        tracer.destroy(c);
    }

    @Benchmark
    public void resetIteration() {
        tracer.forkReset(resetChild, true, true);
        hit(resetChild);
    }

    private void hit(DomainId c) {
        GuestCpu cpu = hv.guest(c).vcpu(0);
        Registers r = cpu.registers();
        r.rip = BP;
        cpu.setRegisters(r);
        check(cpu.run(1).await(WAIT));
    }

    private static void check(Outcome o) {
        if (o != Outcome.COMPLETED) throw new IllegalStateException(o.toString());
    }
}
