// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Guest frame contents live off the heap in recycled 4 KiB slots (FrameMemory): a freed frame's slot is reused, and
 * reuse never shows a page the previous owner's bytes.
 */
class FrameMemoryTest {
    @Test void releasedSlotsAreReusedAndZeroedWhenAskedFor() {
        FrameMemory m = new FrameMemory();
        int a = m.zeroed();
        m.segment(a).fill((byte) 0x5a);
        m.release(a);
        int b = m.zeroed();
        assertEquals(a, b, "the freed slot comes back first");
        assertTrue(Arrays.equals(new byte[Frame.SIZE], m.segment(b).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)),
                "a recycled slot handed out as zeroed is all zero");
        for (int i = 0; i < FrameMemory.SLAB_FRAMES; i++) m.release(m.forCopy());
        assertEquals((long) FrameMemory.SLAB_FRAMES * Frame.SIZE, m.reservedBytes(), "one slab, reused");
    }

    @Test void aFrameFreedByForkResetLeavesNoBytesInTheNextPage() {
        EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(1L << 20));
        DomainId p = emu.createGuest(1, 4096);
        DomainId c = emu.domainCreate(DomainConfig.forkChild(1));
        emu.memshrFork(p, c, false, false);
        emu.domainUnpause(c);
        byte[] dirty = new byte[Frame.SIZE];
        Arrays.fill(dirty, (byte) 0xaa);
        for (int g = 0; g < 64; g++) emu.guest(c).vcpu(0).write(Gfn.of(g), 0, dirty);
        long reserved = emu.host().frames.contentBytes();
        emu.memshrForkReset(c, false, true);    // the 64 private pages go back to the heap
        for (int g = 100; g < 164; g++) {
            emu.guest(c).vcpu(0).write(Gfn.of(g), 7, new byte[]{1});
            byte[] page = emu.peek(c, Gfn.of(g));
            byte[] expected = new byte[Frame.SIZE];
            expected[7] = 1;
            assertArrayEquals(expected, page, "gfn " + g + " shows only its own write");
        }
        assertEquals(reserved, emu.host().frames.contentBytes(), "the new pages took the freed frames' memory");
        // the parent's pages were never written: still all zero
        assertArrayEquals(new byte[Frame.SIZE], emu.peek(p, Gfn.of(5)));
    }

    @Test void copyOnWriteCopiesTheSharedContentsIntoTheNewFrame() {
        EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(1L << 20));
        DomainId a = emu.createGuest(1, 4096), b = emu.createGuest(1, 4096);
        byte[] text = new byte[Frame.SIZE];
        for (int i = 0; i < text.length; i++) text[i] = (byte) (i * 7);
        emu.guest(a).vcpu(0).write(Gfn.of(9), 0, text);
        emu.guest(b).vcpu(0).write(Gfn.of(9), 0, text);
        emu.memshrControl(b, true);
        emu.domainPause(a);
        emu.domainPause(b);   // range_share wants both paused
        emu.memshrRangeShare(a, b, Gfn.of(9), Gfn.of(9));
        emu.domainUnpause(b);
        assertEquals(1, emu.sharingFreedPages());
        emu.guest(b).vcpu(0).write(Gfn.of(9), 100, new byte[]{0});
        byte[] expected = text.clone();
        expected[100] = 0;
        assertArrayEquals(expected, emu.peek(b, Gfn.of(9)), "the copy has the shared bytes plus the write");
        assertArrayEquals(text, emu.peek(a, Gfn.of(9)), "the other sharer still sees the original");
    }
}
