// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.xenffm.bindings.xen417.xen_domctl_getdomaininfo;

class ScratchTest {

    @Test
    void slicesAreAlignedDisjointAndZeroed() {
        Scratch s = Scratch.get();
        MemorySegment b = s.allocate(JAVA_BYTE);
        MemorySegment l = s.allocate(JAVA_LONG);
        MemorySegment info = xen_domctl_getdomaininfo.allocate(s);
        assertEquals(0, l.address() % 8);
        assertEquals(0, info.address() % xen_domctl_getdomaininfo.layout().byteAlignment());
        assertEquals(8, l.address() - b.address(), "byte at 0, long at the next 8-byte boundary");
        assertEquals(xen_domctl_getdomaininfo.sizeof(), info.byteSize());
        l.set(JAVA_LONG, 0, -1L);
        info.fill((byte) 0x5a);
        MemorySegment again = Scratch.get().allocate(JAVA_BYTE); // rewound: same place, zeroed again
        assertEquals(b.address(), again.address());
        Scratch r = Scratch.get();
        r.allocate(JAVA_BYTE);
        assertEquals(0L, r.allocate(JAVA_LONG).get(JAVA_LONG, 0), "stale bytes are cleared");
    }

    @Test
    void eachThreadHasItsOwnBuffer() throws Exception {
        long here = Scratch.get().allocate(JAVA_INT).address();
        long there = CompletableFuture.supplyAsync(() -> Scratch.get().allocate(JAVA_INT).address()).get();
        assertNotEquals(here, there);
    }

    @Test
    void overflowIsRefused() {
        Scratch s = Scratch.get();
        s.allocate(Scratch.SIZE - 8, 1);
        assertThrows(IllegalStateException.class, () -> s.allocate(JAVA_LONG.byteSize() + 1, 1));
    }
}
