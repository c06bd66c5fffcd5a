// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.xenffm.bindings.xen417.Xen;

/**
 * What the backend adds around a libxenctrl call, measured on a call that needs no Xen:
 * {@code const char *xc_error_code_to_desc(int)} (a table lookup inside libxenctrl.so.4.17). The C reference is
 * src/test/native/getinfo_loop.c's sibling loop over the same function (see the report); a hypercall itself costs
 * microseconds, so these are the fixed costs on top of it. Also: a per-call confined arena for an out-parameter
 * against the per-thread {@link Scratch}.
 * Run: mvn -q -Pjmh test-compile exec:exec -Djmh.args="DowncallBench"
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class DowncallBench {
    MethodHandle plain;
    MethodHandle capturing;
    int code;

    @Setup public void setup() {
        XenLibrary lib = XenLibrary.load();
        plain = Xen.xc_error_code_to_desc$handle();
        capturing = lib.downcall(NativeFunction.xenctrl("xc_error_code_to_desc",
                Xen::xc_error_code_to_desc$descriptor)).handle();
    }

    /** jextract's own handle: no errno capture. */
    @Benchmark public long jextractHandle() throws Throwable {
        return ((MemorySegment) plain.invokeExact(++code & 3)).address();
    }

    /** The backend's path: errno-capturing handle plus the thread's capture slot. */
    @Benchmark public long xenffmDowncall() throws Throwable {
        return ((MemorySegment) capturing.invokeExact(Downcall.errnoSlot(), ++code & 3)).address();
    }

    /** An out-parameter from a confined arena per call (malloc + free). */
    @Benchmark public long outParamArena() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            out.set(JAVA_LONG, 0, code++);
            return out.get(JAVA_LONG, 0);
        }
    }

    /** The same out-parameter from the per-thread scratch buffer. */
    @Benchmark public long outParamScratch() {
        MemorySegment out = Scratch.get().allocate(JAVA_LONG);
        out.set(JAVA_LONG, 0, code++);
        return out.get(JAVA_LONG, 0);
    }
}
