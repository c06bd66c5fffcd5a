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
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "-Xms3g", "-XX:+AlwaysPreTouch", "-XX:MaxDirectMemorySize=8g"})
@Warmup(iterations = 3)
@Measurement(iterations = 5)
public class EmulatorScaleBench {

    /** A parent of 1 Ki … 4 Mi pages (16 GiB), 1000 of them written, and per invocation a fresh empty child. */
    @State(Scope.Thread)
    public static class ForkState {
        @Param({"1024", "65536", "1048576", "4194304"}) public long parentPages;
        EmulatedHypervisor emu;
        DomainId parent, child;

        @Setup(Level.Trial) public void host() {
            emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(64L << 20));
            parent = emu.createGuest(4, parentPages);
            for (int i = 0; i < 1000; i++)
                emu.guest(parent).vcpu(0).write(Gfn.of(i * 997L % parentPages), 0, new byte[]{1});
        }

        @Setup(Level.Invocation) public void child() { child = emu.domainCreate(DomainConfig.forkChild(4)); }

        @TearDown(Level.Invocation) public void destroy() { emu.domainDestroy(child); }
    }

    @Benchmark @BenchmarkMode(Mode.AverageTime) @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void fork(ForkState s) {
        s.emu.memshrFork(s.parent, s.child, false, false);
    }

    /**
     * A fork of a 16 GiB parent that touched {@code touched} pages (half read → shared, half written → private) before
     * each reset (13 is odd, so i × 13 mod 4 Mi visits distinct gfns).
     */
    @State(Scope.Thread)
    public static class ResetState {
        @Param({"1024", "65536", "1048576"}) public int touched;
        EmulatedHypervisor emu;
        DomainId parent, child;

        @Setup(Level.Trial) public void host() {
            emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(64L << 20));
            parent = emu.createGuest(1, 4L << 20);
            child = emu.domainCreate(DomainConfig.forkChild(1));
            emu.memshrFork(parent, child, false, false);
            emu.domainUnpause(child);
        }

        @Setup(Level.Iteration) public void touch() {
            GuestCpu cpu = emu.guest(child).vcpu(0);
            for (int i = 0; i < touched; i++) {
                Gfn g = Gfn.of(i * 13L & ((4L << 20) - 1));
                if ((i & 1) == 0) cpu.read(g, 0, 1);
                else cpu.write(g, 0, BYTE);
            }
        }
    }

    @Benchmark @BenchmarkMode(Mode.SingleShotTime) @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3) @Measurement(iterations = 5)
    public void forkResetMemory(ResetState s) {
        s.emu.memshrForkReset(s.child, true, true);
    }

    /** Two paused guests of {@code pages} pages on a fresh host per iteration. */
    @State(Scope.Thread)
    public static class RangeState {
        @Param({"1024", "65536", "1048576"}) public long pages;
        EmulatedHypervisor emu;
        DomainId source, client;

        @Setup(Level.Iteration) public void host() {
            emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(8L << 20));
            source = emu.createGuest(GuestSpec.hvm(1, pages).pausedAtStart());
            client = emu.createGuest(GuestSpec.hvm(1, pages).pausedAtStart());
            emu.memshrControl(client, true);
        }
    }

    @Benchmark @BenchmarkMode(Mode.SingleShotTime) @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 3) @Measurement(iterations = 5)
    public long rangeShare(RangeState s) {
        s.emu.memshrRangeShare(s.source, s.client, Gfn.of(0), Gfn.of(s.pages - 1));
        return s.emu.sharingFreedPages();
    }

    /**
     * Guest writes to pages shared with another domain: each is a copy-on-write unshare. One host for the trial; per
     * iteration the two guests of the last one are destroyed and two fresh 4 GiB (1 Mi pages) guests share all their
     * pages, so the frames the last iteration's copies took are free again: as in a long-running emulator, copies go
     * into recycled frame memory. The first (warm-up) iteration pays for faulting fresh memory in.
     */
    @State(Scope.Thread)
    public static class CowState {
        EmulatedHypervisor emu;
        DomainId a, b;
        long next;

        @Setup(Level.Trial) public void trial() {
            emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(8L << 20));
        }

        @Setup(Level.Iteration) public void guests() {
            if (a != null) { emu.domainDestroy(a); emu.domainDestroy(b); }
            a = emu.createGuest(GuestSpec.hvm(1, 1L << 20).pausedAtStart());
            b = emu.createGuest(GuestSpec.hvm(1, 1L << 20).pausedAtStart());
            emu.memshrControl(b, true);
            emu.memshrRangeShare(a, b, Gfn.of(0), Gfn.of((1L << 20) - 1));
            emu.domainUnpause(a);
            next = 0;
        }
    }

    @Benchmark @BenchmarkMode(Mode.AverageTime) @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public Object copyOnWriteGuestWrite(CowState s) {
        long g = s.next++ & ((1L << 20) - 1);
        return s.emu.guest(s.a).vcpu(0).write(Gfn.of(g), 0, BYTE);
    }

    private static final byte[] BYTE = {3};

    /**
     * One guest writes each of 1 Mi pages it shares with another guest once (a million copy-on-write unshares), in a
     * JVM limited to a 256 MiB heap; per iteration the GC pauses (count, longest) and the heap left after the last
     * collection are printed (issue 16: no pause over 10 ms, heap under 256 MiB). Frame contents live off the heap.
     */
    @Benchmark @BenchmarkMode(Mode.SingleShotTime) @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Fork(value = 1, jvmArgsAppend = {"-Xmx256m", "-Xms256m", "-XX:+AlwaysPreTouch", "-XX:MaxDirectMemorySize=8g"})
    @Warmup(iterations = 1) @Measurement(iterations = 3)
    public long copyOnWrite1MiPages(CowState s, GcWatch gc) {
        GuestCpu cpu = s.emu.guest(s.a).vcpu(0);
        for (long g = 0; g < 1L << 20; g++) cpu.write(Gfn.of(g), 0, BYTE);
        return s.emu.sharingFreedPages();
    }

    /** GC pauses and heap after collections during one iteration (GarbageCollectorMXBean notifications). */
    @State(Scope.Thread)
    public static class GcWatch {
        private static final java.util.Set<String> HEAP_POOLS = java.lang.management.ManagementFactory
                .getMemoryPoolMXBeans().stream().filter(p -> p.getType() == java.lang.management.MemoryType.HEAP)
                .map(java.lang.management.MemoryPoolMXBean::getName).collect(java.util.stream.Collectors.toSet());
        private final java.util.List<Long> pauses = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        private final java.util.concurrent.atomic.AtomicLong heapAfter = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.List<Runnable> undo = new java.util.ArrayList<>();

        @Setup(Level.Iteration) public void start() {
            System.gc(); // the previous iteration's emulator (and the off-heap frames only a GC frees) goes first
            pauses.clear();
            heapAfter.set(0);
            for (var bean : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
                var emitter = (javax.management.NotificationEmitter) bean;
                javax.management.NotificationListener l = (n, hb) -> {
                    if (!n.getType().equals(com.sun.management.GarbageCollectionNotificationInfo
                            .GARBAGE_COLLECTION_NOTIFICATION)) return;
                    var info = com.sun.management.GarbageCollectionNotificationInfo.from(
                            (javax.management.openmbean.CompositeData) n.getUserData());
                    String name = info.getGcName(); // G1: Young/Old Generation are pauses, Concurrent GC is not; ZGC: "Pauses" vs "Cycles"
                    if (!name.contains("Cycles") && !name.contains("Concurrent"))
                        pauses.add(info.getGcInfo().getDuration());
                    long used = 0;   // the Java heap's pools only (the map also has metaspace and code cache)
                    for (var u : info.getGcInfo().getMemoryUsageAfterGc().entrySet())
                        if (HEAP_POOLS.contains(u.getKey())) used += u.getValue().getUsed();
                    heapAfter.accumulateAndGet(used, Math::max);
                };
                emitter.addNotificationListener(l, null, null);
                undo.add(() -> {
                    try { emitter.removeNotificationListener(l); } catch (javax.management.ListenerNotFoundException e) { }
                });
            }
        }

        @TearDown(Level.Iteration) public void report() {
            undo.forEach(Runnable::run);
            undo.clear();
            long max = pauses.stream().mapToLong(Long::longValue).max().orElse(0);
            System.out.printf("  GC: %d pauses, longest %d ms; heap after GC at most %.1f MiB%n", pauses.size(), max,
                    heapAfter.get() / 1048576.0);
        }
    }

    /**
     * A copy-on-write guest write, measured in the writing thread's CPU time and allocated bytes (neither counts
     * time the thread spent descheduled, so a loaded machine distorts them little): per round two fresh 4 GiB guests
     * share all their pages and one of them writes {@code writes} of them, each a copy-on-write unshare into frame
     * memory and frame objects the previous round freed. Round 0 (fresh memory, cold JIT) is left out.
     *
     * @return per measured round {CPU ns per write, bytes allocated per write}
     */
    public static double[][] copyOnWriteProbe(int rounds, int writes) {
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        CowState s = new CowState();   // the benchmark's own set-up, one round per "iteration"
        s.trial();
        double[][] out = new double[rounds][];
        for (int r = 0; r <= rounds; r++) {
            s.guests();
            GuestCpu cpu = s.emu.guest(s.a).vcpu(0);
            long cpu0 = mx.getCurrentThreadCpuTime(), alloc0 = mx.getThreadAllocatedBytes(tid);
            for (int g = 0; g < writes; g++) cpu.write(Gfn.of(g), 0, BYTE);
            long cpu1 = mx.getCurrentThreadCpuTime(), alloc1 = mx.getThreadAllocatedBytes(tid);
            if (s.emu.sharingFreedPages() != (1L << 20) - writes) throw new AssertionError("not every write unshared");
            if (r > 0) out[r - 1] = new double[]{(cpu1 - cpu0) / (double) writes, (alloc1 - alloc0) / (double) writes};
        }
        return out;
    }

    /** Heap retained by an untouched guest of {@code pages} pages (MiB), measured after full GCs. */
    public static double untouchedGuestHeapMiB(long pages) {
        Runtime rt = Runtime.getRuntime();
        long before = used(rt);
        EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(64L << 20));
        DomainId d = emu.createGuest(4, pages);
        long after = used(rt);
        if (emu.domainGetinfo(d).totPages() < pages) throw new AssertionError("guest lost pages");
        java.lang.ref.Reference.reachabilityFence(emu);
        return (after - before) / 1048576.0;
    }

    /**
     * Heap retained by two paused guests of {@code pages} pages that share every page (range_share), measured after
     * full GCs: their p2m chunks and the frame table's arrays, and — while shared pages were objects — a {@code Frame}
     * and an rmap array per shared page.
     *
     * @return {MiB of heap, frame objects in the table}
     */
    public static double[] sharedGuestsHeap(long pages) {
        Runtime rt = Runtime.getRuntime();
        long before = used(rt);
        EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(4 * pages + (1L << 16)));
        DomainId a = emu.createGuest(GuestSpec.hvm(1, pages).pausedAtStart());
        DomainId b = emu.createGuest(GuestSpec.hvm(1, pages).pausedAtStart());
        emu.memshrControl(b, true);
        emu.memshrRangeShare(a, b, Gfn.of(0), Gfn.of(pages - 1));
        long after = used(rt);
        if (emu.sharingFreedPages() != pages) throw new AssertionError("not every page shared");
        return new double[]{(after - before) / 1048576.0, emu.host().frames.objectCount()};
    }

    /** Heap retained by an untouched 16 GiB guest (target &lt; 64 MiB). */
    public static void main(String[] args) {
        System.out.printf("untouched 16 GiB guest: %.2f MiB of heap%n", untouchedGuestHeapMiB(4L << 20));
        double[] shared = sharedGuestsHeap(1L << 20);
        System.out.printf("two guests sharing 1 Mi pages: %.1f MiB of heap, %.0f frame objects%n", shared[0], shared[1]);
        for (double[] r : copyOnWriteProbe(5, 1 << 18))
            System.out.printf("copy-on-write guest write: %.0f ns CPU, %.1f B allocated%n", r[0], r[1]);
    }

    private static long used(Runtime rt) {
        for (int i = 0; i < 3; i++) System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }
}
