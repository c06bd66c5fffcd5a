// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.IdentityHashMap;

/**
 * The contents of guest frames, off the Java heap: 4 KiB slots in 1 MiB slabs, each slab allocated in an automatic
 * arena (plain off-heap memory, no native access needed; a slab is freed by the GC once its host is unreachable, so an
 * emulator that is never closed leaks nothing), and reused through a free list as Xen's heap reuses freed pages. A
 * frame refers to its slot by number, so a guest that touches a million pages costs the GC no object per page, and a
 * copy-on-write write copies into recycled memory that the OS has already faulted in. Free slots are a bitmap handed
 * out in address order from a rotating cursor, whatever order they were freed in: a free list handed a domain's
 * pages, freed in gfn order, back in reverse, and filling pages at descending addresses cost twice the CPU time
 * (a copy-on-write write took ~600 ns instead of ~280 in every other round of {@code copyOnWriteProbe}).
 *
 * <p>The JVM counts this memory against {@code -XX:MaxDirectMemorySize} (by default the heap's maximum): a guest
 * that writes N pages needs N × 4 KiB of it, as it needs N frames on Xen. Runs under the host lock.
 */
final class FrameMemory {
    static final int SLAB_SHIFT = 8, SLAB_FRAMES = 1 << SLAB_SHIFT;

    private MemorySegment[] slabs = new MemorySegment[16];
    private int nSlabs, slabNext = SLAB_FRAMES;
    /** Bit s set: slot s is free. */
    private long[] free = new long[4];
    private int nFree;
    /** The word of {@link #free} the next search starts at. */
    private int cursor;
    /** Frames whose contents a foreign mapping hosts meanwhile (see {@link Frame#host}). */
    final IdentityHashMap<Frame, Hosted> hosted = new IdentityHashMap<>();

    record Hosted(Object host, MemorySegment contents) {}

    /** A slot of zeroes (a fresh slab is zeroed by the arena; a recycled slot is cleared here). */
    int zeroed() {
        if (nFree == 0) return fresh();
        int s = take();
        slab(s).asSlice(offset(s), Frame.SIZE).fill((byte) 0);
        return s;
    }

    /** A slot whose every byte the caller overwrites at once (copy_domain_page): recycled without clearing. */
    int forCopy() { return nFree == 0 ? fresh() : take(); }

    /** Returns a slot once its frame no longer holds it (free_domheap_page). */
    void release(int slot) {
        long bit = 1L << slot;   // shifts use the low 6 bits
        if ((free[slot >>> 6] & bit) != 0) throw new IllegalStateException("slot " + slot + " released twice");
        free[slot >>> 6] |= bit;
        nFree++;
    }

    /** The first free slot at or after the cursor, wrapping around (nFree &gt; 0). */
    private int take() {
        int w = cursor, n = free.length;
        while (free[w] == 0) if (++w == n) w = 0;
        cursor = w;
        long bits = free[w];
        free[w] = bits & (bits - 1);
        nFree--;
        return w << 6 | Long.numberOfTrailingZeros(bits);
    }

    MemorySegment slab(int slot) { return slabs[slot >>> SLAB_SHIFT]; }

    static long offset(int slot) { return (long) (slot & (SLAB_FRAMES - 1)) * Frame.SIZE; }

    /** The slot's 4 KiB as a segment (a view; the slot stays the frame's). */
    MemorySegment segment(int slot) { return slab(slot).asSlice(offset(slot), Frame.SIZE); }

    /** Off-heap bytes taken so far (slabs are kept for reuse while the host lives). */
    long reservedBytes() { return (long) nSlabs * SLAB_FRAMES * Frame.SIZE; }

    private int fresh() {
        if (slabNext == SLAB_FRAMES) {
            if (nSlabs == slabs.length) slabs = Arrays.copyOf(slabs, nSlabs * 2);
            int words = (nSlabs + 1) * SLAB_FRAMES / 64;
            if (words > free.length) free = Arrays.copyOf(free, Math.max(words, free.length * 2));
            slabs[nSlabs++] = Arena.ofAuto().allocate((long) SLAB_FRAMES * Frame.SIZE, Frame.SIZE);
            slabNext = 0;
        }
        return ((nSlabs - 1) << SLAB_SHIFT) | slabNext++;
    }
}
