// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmi;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.xenffm.api.AddressSpace;
import org.xenffm.api.DomainId;
import org.xenffm.api.PagingMode;
import org.xenffm.api.Translation;
import org.xenffm.api.TranslationException;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.Gfn;
import org.xenffm.emulated.EmulatedHypervisor;

/**
 * Issue 17's targets for {@link GuestMemory}, as ratios within one run:
 * <ul>
 *   <li>a virtual 8-byte read with warm caches ({@link #virtualReadWarm}) within 2x of a raw {@link MemorySegment}
 *       read of a mapped page ({@link #rawSegmentRead});</li>
 *   <li>a 4-level walk with cold caches ({@link #coldWalk}: four table pages mapped, read and unmapped) bounded by
 *       four foreign-page reads ({@link #fourForeignPageReads}: map, read 8 bytes, unmap, four times).</li>
 * </ul>
 * On the emulated backend (the foreign-page cost is the emulator's mapping, not a hypercall). Run:
 *   mvn -q -Pjmh test-compile exec:exec -Djmh.args="GuestMemoryBench -f 1 -wi 5 -i 5 -w 1s -r 1s"
 */
@Fork(1)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class GuestMemoryBench {
    static final long VA = 0x7f00_0020_1000L, P_RW = 3;
    EmulatedHypervisor emu;
    DomainId d;
    GuestMemory mem;
    AddressSpace as;
    ForeignMapping raw;
    MemorySegment page;
    long off;
    final List<Gfn> tables = List.of(Gfn.of(0x10), Gfn.of(0x11), Gfn.of(0x12), Gfn.of(0x13));

    @Setup(Level.Trial) public void guest() {
        emu = new EmulatedHypervisor();
        d = emu.createGuest(1, 4096);
        mem = new GuestMemory(emu, d);
        long[][] w = {{0x10000 + 8 * ((VA >>> 39) & 0x1ff), 0x11000 | P_RW}, {0x11000 + 8 * ((VA >>> 30) & 0x1ff), 0x12000 | P_RW},
                {0x12000 + 8 * ((VA >>> 21) & 0x1ff), 0x13000 | P_RW}, {0x13000 + 8 * ((VA >>> 12) & 0x1ff), 0x30000 | P_RW}};
        for (long[] e : w) {
            byte[] b = new byte[8];
            MemorySegment.ofArray(b).set(ValueLayout.JAVA_LONG_UNALIGNED, 0, e[1]);
            mem.writePhysical(e[0], b);
        }
        mem.writePhysical(0x30100, new byte[]{1, 2, 3, 4, 5, 6, 7, 8});
        as = AddressSpace.long4(0x10000);
        mem.invalidate();
        raw = emu.foreignMemoryMap(d, false, List.of(Gfn.of(0x30)));
        page = raw.memory();
    }

    @Setup(Level.Iteration) public void warm() {
        mem.readU64Virtual(as, VA + 0x100);
    }

    @TearDown(Level.Trial) public void close() {
        raw.close();
        mem.close();
    }

    @Benchmark @BenchmarkMode(Mode.AverageTime) @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long rawSegmentRead() {
        off = (off + 8) & 0xff8;
        return page.get(ValueLayout.JAVA_LONG_UNALIGNED, off);
    }

    @Benchmark @BenchmarkMode(Mode.AverageTime) @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long virtualReadWarm() {
        off = (off + 8) & 0xff8;
        return mem.readU64Virtual(as, VA + off);
    }

    @Benchmark @BenchmarkMode(Mode.AverageTime) @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long coldWalk() {
        mem.invalidate();
        return mem.translate(as, VA).gpa();
    }

    @Benchmark @BenchmarkMode(Mode.AverageTime) @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long fourForeignPageReads() {
        long sum = 0;
        for (Gfn g : tables) {
            try (ForeignMapping m = emu.foreignMemoryMap(d, false, List.of(g))) {
                sum += m.memory().get(ValueLayout.JAVA_LONG_UNALIGNED, 0x800);
            }
        }
        return sum;
    }
}
