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
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class VmEventRingBench {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final int VCPUS = 4;

    private Arena arena;
    private VmEventRing ring, rawRing, typedSessionRing, viewSessionRing;
    private Producer javaXen, rawXen, cXen, typedSessionXen, viewSessionXen;
    private long sessionSum;
    // MonitorSession's own dispatch (SessionDispatch), as after .otherwise(typed) or .onView(type, view) for all types
    private final SessionDispatch.Owner running = new SessionDispatch.Owner() {
        @Override public boolean stopping() { return false; }
        @Override public void handlerFailed(MonitorSessionException e) { throw new IllegalStateException(e); }
    };
    private final VmEventHandler typedHandler = e -> {
        sessionSum += e.header().reason() + e.regs().rip(); // the handler reads what the C one reads
        return VmEventResponse.CONTINUE;
    };
    private final SessionDispatch typedSession = new SessionDispatch(
            SessionDispatch.everyReason(v -> typedHandler.handle(v.event())), running);
    private final SessionDispatch viewSession = new SessionDispatch(SessionDispatch.everyReason(v -> {
        sessionSum += v.reason() + v.rip();
        return VmEventResponse.CONTINUE;
    }), running);
    private long rawSum;
    private final VmEventRing.Handler rawHandler = v -> {
        rawSum += v.reason() + v.rip(); // the handler reads what the C one reads
        return VmEventResponse.CONTINUE;
    };
    private MethodHandle drain, drainLean;
    private MemorySegment cState;

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
        SymbolLookup lib = SymbolLookup.libraryLookup(compileC(), arena);
        long size = (long) linker.downcallHandle(lib.findOrThrow("consumer_size"),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG)).invokeExact();
        cState = arena.allocate(size, 16);
        MemorySegment cPage = arena.allocate(PAGE_SIZE, PAGE_SIZE);
        linker.downcallHandle(lib.findOrThrow("consumer_init"), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT)).invokeExact(cState, cPage, VCPUS);
        drain = linker.downcallHandle(lib.findOrThrow("consumer_drain"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS), Linker.Option.critical(false));
        cXen = new Producer(cPage, batch);
        drainLean = linker.downcallHandle(lib.findOrThrow("consumer_drain_lean"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS), Linker.Option.critical(false));
    }

    /** gcc -O2 on the reference consumer, once per fork, into target/jmh-native. */
    static Path compileC() throws Exception {
        Path src = Path.of("src/jmh/c/vmevent_consumer.c").toAbsolutePath();
        if (!Files.exists(src)) throw new IllegalStateException("run from the project directory: no " + src);
        Path out = Path.of("target/jmh-native").toAbsolutePath();
        Files.createDirectories(out);
        Path so = out.resolve("libvmevent_consumer-" + ProcessHandle.current().pid() + ".so");
        Process p = new ProcessBuilder("gcc", "-O2", "-Wall", "-shared", "-fPIC", "-o", so.toString(), src.toString())
                .inheritIO().start();
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
    public int cLean() throws Throwable {
        cXen.produce();
        int n = (int) drainLean.invokeExact(cState);
        if (n != RING_SIZE) throw new IllegalStateException("C consumer returned " + n);
        cXen.consume();
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
        if (r.drain(d) != RING_SIZE) throw new IllegalStateException("short drain");
        r.pushResponses(); // MonitorSession.drain's finally (the notify is the event channel's, not the ring's)
        xen.consume();
        return sessionSum;
    }

    // paired timing: on a shared, contended machine the consumers are timed back to back, block by block, in this
    // thread's CPU time (time spent descheduled by other load does not count; nor does GC work on other threads,
    // which the typed path causes: its records are short-lived young garbage)
    private static final int BLOCK = 64;
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();
    private static final String[] NAMES = {"c (xen-access)", "c lean", "java next/respond", "java drain",
            "session typed", "session view"};
    private final long[] pairedNanos = new long[NAMES.length];
    private long pairedEvents;

    @TearDown(Level.Iteration)
    public void reportPaired() {
        if (pairedEvents == 0) return;
        StringBuilder sb = new StringBuilder("cpu ns/event:");
        for (int i = 0; i < NAMES.length; i++)
            sb.append(String.format(" %s %.1f;", NAMES[i], pairedNanos[i] / (double) pairedEvents));
        sb.append("\nC(xen-access)/Java | C lean/Java:");
        for (int i = 2; i < NAMES.length; i++)
            sb.append(String.format(" %s %.2f | %.2f;", NAMES[i], (double) pairedNanos[0] / pairedNanos[i],
                    (double) pairedNanos[1] / pairedNanos[i]));
        System.out.println(sb);
        java.util.Arrays.fill(pairedNanos, 0);
        pairedEvents = 0;
    }

    /** The consumers, BLOCK batches each, alternating; the printed per-iteration ratios are the comparison. */
    @Benchmark
    @OperationsPerInvocation(6 * BLOCK * 8)
    public void paired(Blackhole bh) throws Throwable {
        long t0 = CPU.getCurrentThreadCpuTime();
        for (int i = 0; i < BLOCK; i++) c();
        long t1 = CPU.getCurrentThreadCpuTime();
        for (int i = 0; i < BLOCK; i++) cLean();
        long t2 = CPU.getCurrentThreadCpuTime();
        for (int i = 0; i < BLOCK; i++) java(bh);
        long t3 = CPU.getCurrentThreadCpuTime();
        for (int i = 0; i < BLOCK; i++) javaDrain();
        long t4 = CPU.getCurrentThreadCpuTime();
        for (int i = 0; i < BLOCK; i++) sessionTyped();
        long t5 = CPU.getCurrentThreadCpuTime();
        for (int i = 0; i < BLOCK; i++) sessionView();
        long t6 = CPU.getCurrentThreadCpuTime();
        pairedNanos[0] += t1 - t0;
        pairedNanos[1] += t2 - t1;
        pairedNanos[2] += t3 - t2;
        pairedNanos[3] += t4 - t3;
        pairedNanos[4] += t5 - t4;
        pairedNanos[5] += t6 - t5;
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
    public int c() throws Throwable {
        cXen.produce();
        int n = (int) drain.invokeExact(cState);
        if (n != RING_SIZE) throw new IllegalStateException("C consumer returned " + n);
        cXen.consume();
        return n;
    }
}
