// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.xenffm.vmevent.VmEventAbi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The Java ring consumer against the C reference consumer (src/jmh/c/vmevent_consumer.c: xen-access's loop over
 * Xen 4.17's own ring.h macros, compiled here with gcc -O2 and called through FFM once per batch), over the same
 * Java producer loop in one run. One operation = one event: the producer publishes 8 requests of 8 different
 * reasons (as Xen's vm_event_put_request does), the consumer takes, checks and answers them all (continue, echoing
 * VCPU_PAUSED) and pushes, the producer consumes the 8 responses. The ratio c/java of the two scores is the figure
 * of merit (goal ≥ 1.0); the java score is also the end-to-end events/s of the ring protocol.
 *
 * <p>Run: {@code mvn -q -Pjmh test-compile exec:exec -Djmh.args="VmEventRingBench"}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// a fixed, pre-touched heap: on a VM whose page faults are slow, first touches of new heap would dominate the
// allocating paths and say nothing about the code; -Xbatch: the warm-up waits for each compilation — on the loaded
// 2-core build machine the JIT threads of a niced JVM otherwise starve, and whole forks were measured in C1 code
// (Java paths at 10-30× their compiled time while the C peers ran at full speed)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch",
        "-Xbatch"})
public class VmEventRingBench {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final int VCPUS = 4;

    private Arena arena;
    private VmEventRing ring, rawRing, typedSessionRing, viewSessionRing;
    private Producer javaXen, rawXen, typedSessionXen, viewSessionXen, copyXen;
    private CopyOnly copyOnly;
    private final Producer[] cXen = new Producer[4];
    private final MethodHandle[] cDrain = new MethodHandle[4];
    private final MemorySegment[] cState = new MemorySegment[4];
    private long sessionSum;
    // MonitorSession's own dispatch (SessionDispatch), as after .otherwise(typed) or .onView(type, view) for all types
    private final SessionDispatch.Owner running = new SessionDispatch.Owner() {
        @Override public boolean stopping() { return false; }
        @Override public void handlerFailed(MonitorSessionException e) { throw new IllegalStateException(e); }
    };
    // MonitorSession's own dispatch with typed handlers as Builder.on(type, handler) registers them: one handler per
    // record type, each reading what the C one reads
    private final SessionDispatch typedSession = new SessionDispatch(new VmEventRing.Handler[REASON_MAX + 1],
            typedRoutes(), running);

    private java.util.function.Function<VmEvent, VmEventResponse>[] typedRoutes() {
        var t = SessionDispatch.noTyped();
        on(t, VmEvent.MemAccess.class, e -> { sessionSum += e.header().reason() + e.regs().rip(); return VmEventResponse.CONTINUE; });
        on(t, VmEvent.Cpuid.class, e -> { sessionSum += e.header().reason() + e.regs().rip(); return VmEventResponse.CONTINUE; });
        on(t, VmEvent.SoftwareBreakpoint.class, e -> { sessionSum += e.header().reason() + e.regs().rip(); return VmEventResponse.CONTINUE; });
        on(t, VmEvent.WriteCtrlreg.class, e -> { sessionSum += e.header().reason() + e.regs().rip(); return VmEventResponse.CONTINUE; });
        on(t, VmEvent.Singlestep.class, e -> { sessionSum += e.header().reason() + e.regs().rip(); return VmEventResponse.CONTINUE; });
        on(t, VmEvent.MovToMsr.class, e -> { sessionSum += e.header().reason() + e.regs().rip(); return VmEventResponse.CONTINUE; });
        on(t, VmEvent.GuestRequest.class, e -> { sessionSum += e.header().reason() + e.regs().rip(); return VmEventResponse.CONTINUE; });
        on(t, VmEvent.DescriptorAccess.class, e -> { sessionSum += e.header().reason() + e.regs().rip(); return VmEventResponse.CONTINUE; });
        return t;
    }

    /** What MonitorSession.Builder.on does with a handler: the reason's typed route is the function itself. */
    @SuppressWarnings("unchecked")
    private static <T extends VmEvent> void on(java.util.function.Function<VmEvent, VmEventResponse>[] t, Class<T> type,
                                               java.util.function.Function<? super T, VmEventResponse> h) {
        for (int reason : MonitorSession.reasonsOf(type)) t[reason] = (java.util.function.Function<VmEvent, VmEventResponse>) h;
    }
    private final SessionDispatch viewSession = new SessionDispatch(SessionDispatch.everyReason(v -> {
        sessionSum += v.reason() + v.rip();
        return VmEventResponse.CONTINUE;
    }), running);
    private long rawSum;
    private final VmEventRing.Handler rawHandler = v -> {
        rawSum += v.reason() + v.rip(); // the handler reads what the C one reads
        return VmEventResponse.CONTINUE;
    };

    /** Xen's side, batch-wise: 8 requests in, 8 responses out (common/vm_event.c put_request/get_response). */
    static final class Producer {
        private final MemorySegment page, batch;
        private int reqProdPvt, rspCons;

        Producer(MemorySegment page, MemorySegment batch) {
            this.page = page;
            this.batch = batch;
        }

        void produce() {
            MemorySegment.copy(batch, 0, page, RING, (long) RING_SIZE * SLOT_SIZE); // slots reqProdPvt..+7
            reqProdPvt += RING_SIZE;
            INT.setRelease(page, REQ_PROD, reqProdPvt);
        }

        void consume() {
            int rspProd = (int) INT.getAcquire(page, RSP_PROD);
            if (rspProd != reqProdPvt) throw new IllegalStateException("consumer answered " + (rspProd - rspCons));
            rspCons = rspProd;
            page.set(ValueLayout.JAVA_INT, RSP_EVENT, rspCons + 1);
        }
    }

    /**
     * The floor: a consumer that copies each request into a private buffer, writes a response echoing its header and
     * u union (what every response carries), and publishes; no checks, no dispatch.
     */
    static final class CopyOnly {
        private static final int ECHO_WORDS = (int) ((U + U_SIZE) / 8);
        private final MemorySegment page;
        private final long[] scratch = new long[SLOT_SIZE / 8];
        private int reqCons, rspProdPvt;

        CopyOnly(MemorySegment page) {
            this.page = page;
            page.set(ValueLayout.JAVA_INT, REQ_EVENT, 1);
            page.set(ValueLayout.JAVA_INT, RSP_EVENT, 1);
        }

        int drain() {
            int prod = (int) INT.getAcquire(page, REQ_PROD), n = 0;
            for (; reqCons != prod; n++) {
                MemorySegment.copy(page, ValueLayout.JAVA_LONG, RING + (long) (reqCons & (RING_SIZE - 1)) * SLOT_SIZE,
                        scratch, 0, scratch.length);
                reqCons++;
                page.set(ValueLayout.JAVA_INT, REQ_EVENT, reqCons + 1);
                MemorySegment.copy(scratch, 0, page, ValueLayout.JAVA_LONG,
                        RING + (long) (rspProdPvt & (RING_SIZE - 1)) * SLOT_SIZE, ECHO_WORDS);
                rspProdPvt++;
            }
            INT.setRelease(page, RSP_PROD, rspProdPvt);
            return n;
        }
    }

    @Setup(Level.Trial)
    public void setup() throws Throwable {
        arena = Arena.ofShared();
        MemorySegment batch = arena.allocate((long) RING_SIZE * SLOT_SIZE, 8);
        Requests[] reqs = {
                Requests.memAccessWrite(0, 0x1234, 0x10, 0x7fff_0000_0010L),
                Requests.sync(REASON_CPUID, 1).u32(CPUID_LEAF, 0x40000000),
                Requests.sync(REASON_SOFTWARE_BREAKPOINT, 2).u64(DEBUG_GFN, 0x99).u32(DEBUG_INSN_LENGTH, 1),
                Requests.sync(REASON_WRITE_CTRLREG, 3).u32(CTRLREG_INDEX, 1).u64(CTRLREG_NEW, 0x5000),
                Requests.sync(REASON_SINGLESTEP, 0).u64(SINGLESTEP_GFN, 0x42),
                Requests.sync(REASON_MOV_TO_MSR, 1).u64(MSR_MSR, 0xc0000082L),
                Requests.of(REASON_GUEST_REQUEST, 2, 0),
                Requests.sync(REASON_DESCRIPTOR_ACCESS, 3).u8(DESC_DESCRIPTOR, 1)};
        for (int i = 0; i < RING_SIZE; i++) MemorySegment.copy(reqs[i].bytes, 0, batch, (long) i * SLOT_SIZE, SLOT_SIZE);

        MemorySegment javaPage = arena.allocate(PAGE_SIZE, PAGE_SIZE);
        ring = VmEventRing.attach(javaPage, VERSION, VCPUS);
        javaXen = new Producer(javaPage, batch);
        MemorySegment rawPage = arena.allocate(PAGE_SIZE, PAGE_SIZE);
        rawRing = VmEventRing.attach(rawPage, VERSION, VCPUS);
        rawXen = new Producer(rawPage, batch);

        MemorySegment typedSessionPage = arena.allocate(PAGE_SIZE, PAGE_SIZE);
        typedSessionRing = VmEventRing.attach(typedSessionPage, VERSION, VCPUS);
        typedSessionXen = new Producer(typedSessionPage, batch);
        MemorySegment viewSessionPage = arena.allocate(PAGE_SIZE, PAGE_SIZE);
        viewSessionRing = VmEventRing.attach(viewSessionPage, VERSION, VCPUS);
        viewSessionXen = new Producer(viewSessionPage, batch);

        Linker linker = Linker.nativeLinker();
        for (int b = 0; b < BUILDS.length; b++) {
            SymbolLookup lib = SymbolLookup.libraryLookup(compileC(BUILDS[b]), arena);
            long size = (long) linker.downcallHandle(lib.findOrThrow("consumer_size"),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG)).invokeExact();
            MethodHandle init = linker.downcallHandle(lib.findOrThrow("consumer_init"), FunctionDescriptor.ofVoid(
                    ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            String[] fns = {"consumer_drain", "consumer_drain_lean"};
            for (int f = 0; f < 2; f++) {
                int i = b * 2 + f; // 0 xen-access -O2, 1 lean -O2, 2 xen-access -O3 native, 3 lean -O3 native
                cState[i] = arena.allocate(size, 16);
                MemorySegment cPage = arena.allocate(PAGE_SIZE, PAGE_SIZE);
                init.invokeExact(cState[i], cPage, VCPUS);
                cDrain[i] = linker.downcallHandle(lib.findOrThrow(fns[f]),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS), Linker.Option.critical(false));
                cXen[i] = new Producer(cPage, batch);
            }
        }
        MemorySegment copyPage = arena.allocate(PAGE_SIZE, PAGE_SIZE);
        copyOnly = new CopyOnly(copyPage);
        copyXen = new Producer(copyPage, batch);
    }

    /** The C builds: what Debian ships its tools with, and the best gcc can do for this machine. */
    static final String[][] BUILDS = {{"-O2"}, {"-O3", "-march=native"}};

    /** gcc on the reference consumer with the given optimisation flags, once per fork, into target/jmh-native. */
    static Path compileC(String... flags) throws Exception {
        Path src = Path.of("src/jmh/c/vmevent_consumer.c").toAbsolutePath();
        if (!Files.exists(src)) throw new IllegalStateException("run from the project directory: no " + src);
        Path out = Path.of("target/jmh-native").toAbsolutePath();
        Files.createDirectories(out);
        Path so = out.resolve("libvmevent_consumer-" + ProcessHandle.current().pid() + String.join("", flags) + ".so");
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("gcc"));
        cmd.addAll(java.util.List.of(flags));
        cmd.addAll(java.util.List.of("-Wall", "-shared", "-fPIC", "-o", so.toString(), src.toString()));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) throw new IllegalStateException("gcc failed on " + src);
        so.toFile().deleteOnExit();
        return so;
    }

    @TearDown(Level.Trial)
    public void tearDown() { arena.close(); }

    /** The allocation-free Java path: drain(Handler) over a reused private copy. */
    @Benchmark
    @OperationsPerInvocation(8) // RING_SIZE
    public long javaDrain() {
        rawXen.produce();
        if (rawRing.drain(rawHandler) != RING_SIZE) throw new IllegalStateException("short drain");
        rawRing.pushResponses();
        rawXen.consume();
        return rawSum;
    }

    /** The C consumer without xen-access's per-response memset (what the Java one does). */
    @Benchmark
    @OperationsPerInvocation(8) // RING_SIZE
    public int cLean() throws Throwable { return c(1); }

    /** A C build over its own page: 0 xen-access -O2, 1 lean -O2, 2 xen-access -O3 -march=native, 3 lean -O3 native. */
    private int c(int i) throws Throwable {
        cXen[i].produce();
        int n = (int) cDrain[i].invokeExact(cState[i]);
        if (n != RING_SIZE) throw new IllegalStateException("C consumer returned " + n);
        cXen[i].consume();
        return n;
    }

    /** The floor of any safe Java consumer: copy each request out, publish a response header, nothing else. */
    @Benchmark
    @OperationsPerInvocation(8) // RING_SIZE
    public int javaCopyOnly() {
        copyXen.produce();
        int n = copyOnly.drain();
        copyXen.consume();
        return n;
    }

    /** What MonitorSession does per batch with typed handlers: drain through its dispatch, records decoded. */
    @Benchmark
    @OperationsPerInvocation(8) // RING_SIZE
    public long sessionTyped() {
        return session(typedSessionRing, typedSessionXen, typedSession);
    }

    /** What MonitorSession does per batch with view handlers (Builder.onView): nothing decoded or allocated. */
    @Benchmark
    @OperationsPerInvocation(8) // RING_SIZE
    public long sessionView() {
        return session(viewSessionRing, viewSessionXen, viewSession);
    }

    private long session(VmEventRing r, Producer xen, SessionDispatch d) {
        xen.produce();
        if (d.drain(r) != RING_SIZE) throw new IllegalStateException("short drain");
        r.pushResponses(); // MonitorSession.drain's finally (the notify is the event channel's, not the ring's)
        xen.consume();
        return sessionSum;
    }

    // paired timing: on a shared, contended machine the consumers are timed back to back, block by block, in this
    // thread's CPU time (time spent descheduled by other load does not count; nor does GC work on other threads,
    // which the typed path causes: its records are short-lived young garbage)
    private static final int BLOCK = 64;
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();
    private static final String[] NAMES = {"c xen-access -O2", "c lean -O2", "c xen-access -O3 native",
            "c lean -O3 native", "java copy-only", "java next/respond", "java drain", "session typed",
            "session view"};
    private final long[] pairedNanos = new long[NAMES.length];
    private long pairedEvents;

    @TearDown(Level.Iteration)
    public void reportPaired(org.openjdk.jmh.infra.IterationParams it) {
        if (pairedEvents == 0) return;
        // measurement iterations only: bench/BenchTable reads these lines
        StringBuilder sb = new StringBuilder(it.getType() == org.openjdk.jmh.runner.IterationType.MEASUREMENT
                ? "\nPAIRED cpu ns/event:" : "\nwarm-up cpu ns/event:");
        for (int i = 0; i < NAMES.length; i++)
            sb.append(String.format(" %s %.1f;", NAMES[i], pairedNanos[i] / (double) pairedEvents));
        System.out.println(sb);
        java.util.Arrays.fill(pairedNanos, 0);
        pairedEvents = 0;
    }

    /**
     * The consumers, BLOCK batches each, back to back in this thread's CPU time; the per-iteration ns/event line is
     * the comparison (bench/ratios.py takes the ratios per iteration, then medians across iterations and forks).
     */
    @Benchmark
    @OperationsPerInvocation(9 * BLOCK * 8)
    public void paired(Blackhole bh) throws Throwable {
        for (int k = 0; k < NAMES.length; k++) {
            long t0 = CPU.getCurrentThreadCpuTime();
            switch (k) {
                case 0, 1, 2, 3 -> { for (int i = 0; i < BLOCK; i++) c(k); }
                case 4 -> { for (int i = 0; i < BLOCK; i++) javaCopyOnly(); }
                case 5 -> { for (int i = 0; i < BLOCK; i++) java(bh); }
                case 6 -> { for (int i = 0; i < BLOCK; i++) javaDrain(); }
                case 7 -> { for (int i = 0; i < BLOCK; i++) sessionTyped(); }
                default -> { for (int i = 0; i < BLOCK; i++) sessionView(); }
            }
            pairedNanos[k] += CPU.getCurrentThreadCpuTime() - t0;
        }
        pairedEvents += BLOCK * 8;
    }

    @Benchmark
    @OperationsPerInvocation(8) // RING_SIZE
    public void java(Blackhole bh) {
        javaXen.produce();
        for (VmEvent e; (e = ring.next()) != null; ) {
            bh.consume(e.header().reason() + e.regs().rip()); // the handler reads what the C one reads
            ring.respond(e, VmEventResponse.CONTINUE);
        }
        ring.pushResponses();
        javaXen.consume();
    }

    @Benchmark
    @OperationsPerInvocation(8) // RING_SIZE
    public int c() throws Throwable { return c(0); }
}
