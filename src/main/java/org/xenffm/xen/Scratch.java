// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * A per-thread native buffer for the small out-parameters and structs of one libxenctrl call (a handle, a view
 * index, xc_domaininfo_t, ...), so a call allocates nothing: a confined arena per call costs a malloc/free pair,
 * measurable next to a ~1 µs hypercall and far worse in a cold JVM. (Dom0SmokeMain under Bochs, C1 only: 710 µs
 * per xc_domain_getinfolist with an arena per call and a short warm-up, 220 µs with this and a longer warm-up,
 * C 125 µs in the same boots.) {@link #get()} rewinds the buffer, so a method takes it once,
 * allocates what its one C call needs, reads the results, and calls no other scratch user meanwhile (libxc's log
 * upcall uses its own memory). Slices are zeroed. Large or variable-size arrays (gfn lists) still use an arena.
 */
final class Scratch implements SegmentAllocator {
    static final long SIZE = 4096;
    private static final ThreadLocal<Scratch> CURRENT = ThreadLocal.withInitial(Scratch::new);

    private final MemorySegment buffer = Arena.ofAuto().allocate(SIZE, 64);
    private long next;

    /** This thread's buffer, rewound. */
    static Scratch get() {
        Scratch s = CURRENT.get();
        s.next = 0;
        return s;
    }

    @Override public MemorySegment allocate(long byteSize, long byteAlignment) {
        long start = (next + byteAlignment - 1) & -byteAlignment;
        if (start + byteSize > SIZE)
            throw new IllegalStateException("scratch overflow: " + byteSize + " bytes at " + start);
        next = start + byteSize;
        return buffer.asSlice(start, byteSize).fill((byte) 0);
    }
}
