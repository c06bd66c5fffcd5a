// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;

import java.util.concurrent.TimeUnit;

/**
 * The emulator's scale targets: fork of a 16 GiB parent (&lt; 1 ms whatever its size), fork_reset proportional to the
 * pages the fork touched, range_share of 1 Mi pages (&lt; 0.5 s), a copy-on-write guest write. The heap cost of an
 * untouched 16 GiB guest is printed by {@link #main}. Run:
 *   mvn -q -Pjmh test-compile exec:exec -Djmh.args="EmulatorScaleBench -w 2s -r 2s -wi 2 -i 3"
 *   java --enable-native-access=ALL-UNNAMED -cp src/target/classes:bindings/target/classes:src/target/test-classes org.xenffm.emulated.EmulatorScaleBench
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "-Xms3g"})
@Warmup(iterations = 3)
@Measurement(iterations = 5)
public class EmulatorScaleBench {

    /** A 16 GiB (4 Mi pages) parent and, per invocation, a fresh empty child to fork. */
    @State(Scope.Thread)
    public static class ForkState {
        EmulatedHypervisor emu;
        DomainId parent, child;

        @Setup(Level.Trial) public void host() {
            emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(64L << 20));
            parent = emu.createGuest(4, 4L << 20);
            for (int i = 0; i < 1000; i++) emu.guest(parent).vcpu(0).write(Gfn.of(i * 997L), 0, new byte[]{1});
        }

        @Setup(Level.Invocation) public void child() { child = emu.domainCreate(DomainConfig.forkChild(4)); }

        @TearDown(Level.Invocation) public void destroy() { emu.domainDestroy(child); }
    }

    @Benchmark @BenchmarkMode(Mode.AverageTime) @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void fork16GiBParent(ForkState s) {
        s.emu.memshrFork(s.parent, s.child, false, false);
    }

    /** A fork that touched {@code touched} pages (half read → shared, half written → private) before each reset. */
    @State(Scope.Thread)
    public static class ResetState {
        @Param({"100", "10000"}) public int touched;
        EmulatedHypervisor emu;
        DomainId parent, child;

        @Setup(Level.Trial) public void host() {
            emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(64L << 20));
            parent = emu.createGuest(1, 4L << 20);
            child = emu.domainCreate(DomainConfig.forkChild(1));
            emu.memshrFork(parent, child, false, false);
            emu.domainUnpause(child);
        }

        @Setup(Level.Invocation) public void touch() {
            GuestCpu cpu = emu.guest(child).vcpu(0);
            for (int i = 0; i < touched; i++) {
                if ((i & 1) == 0) cpu.read(Gfn.of(i * 13L), 0, 1);
                else cpu.write(Gfn.of(i * 13L), 0, new byte[]{2});
            }
        }
    }

    @Benchmark @BenchmarkMode(Mode.AverageTime) @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void forkResetMemory(ResetState s) {
        s.emu.memshrForkReset(s.child, true, true);
    }

    /** Two paused 4 GiB (1 Mi pages) guests on a fresh host per iteration. */
    @State(Scope.Thread)
    public static class RangeState {
        EmulatedHypervisor emu;
        DomainId source, client;

        @Setup(Level.Iteration) public void host() {
            emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(8L << 20));
            source = emu.createGuest(GuestSpec.hvm(1, 1L << 20).pausedAtStart());
            client = emu.createGuest(GuestSpec.hvm(1, 1L << 20).pausedAtStart());
            emu.memshrControl(client, true);
        }
    }

    @Benchmark @BenchmarkMode(Mode.SingleShotTime) @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 3) @Measurement(iterations = 5)
    public long rangeShare1MiPages(RangeState s) {
        s.emu.memshrRangeShare(s.source, s.client, Gfn.of(0), Gfn.of((1L << 20) - 1));
        return s.emu.sharingFreedPages();
    }

    /** Guest writes to pages shared with another domain: each is a copy-on-write unshare. */
    @State(Scope.Thread)
    public static class CowState {
        EmulatedHypervisor emu;
        DomainId a;
        long next;

        @Setup(Level.Iteration) public void host() {
            emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(8L << 20));
            a = emu.createGuest(GuestSpec.hvm(1, 1L << 20).pausedAtStart());
            DomainId b = emu.createGuest(GuestSpec.hvm(1, 1L << 20).pausedAtStart());
            emu.memshrControl(b, true);
            emu.memshrRangeShare(a, b, Gfn.of(0), Gfn.of((1L << 20) - 1));
            emu.domainUnpause(a);
            next = 0;
        }
    }

    @Benchmark @BenchmarkMode(Mode.AverageTime) @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public Object copyOnWriteGuestWrite(CowState s) {
        long g = s.next++ & ((1L << 20) - 1);
        return s.emu.guest(s.a).vcpu(0).write(Gfn.of(g), 0, new byte[]{3});
    }

    /** Heap retained by an untouched 16 GiB guest (target &lt; 64 MiB), measured after full GCs. */
    public static void main(String[] args) {
        Runtime rt = Runtime.getRuntime();
        long before = used(rt);
        EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(64L << 20));
        DomainId d = emu.createGuest(4, 4L << 20);
        long after = used(rt);
        System.out.printf("untouched 16 GiB guest %s: %.2f MiB of heap%n", d, (after - before) / 1048576.0);
        if (emu.domainGetinfo(d).totPages() < (4L << 20)) throw new AssertionError("guest lost pages");
    }

    private static long used(Runtime rt) {
        for (int i = 0; i < 3; i++) System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }
}
