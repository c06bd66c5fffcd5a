// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * FrameTable's plain frames (private contents without a Frame object) and its pool of freed frame objects: neither
 * may change what a guest, a tool or an audit sees.
 */
class FrameTableTest {
    final EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(1L << 20));
    final Host h = emu.host();

    private long mfn(DomainId d, long gfn) { return h.domainOrNull(d.value()).host.get(gfn).mfn(); }

    @Test void aGuestWriteKeepsItsFramePlainAndTheObjectMadeLaterHasTheSameContents() {
        DomainId d = emu.createGuest(1, 4096);
        int before = h.frames.materialisedCount();
        emu.guest(d).vcpu(0).write(Gfn.of(33), 10, new byte[]{1, 2, 3});
        assertEquals(before + 1, h.frames.materialisedCount(), "the written page is materialised");
        long m = mfn(d, 33);
        assertArrayEquals(new byte[]{0, 1, 2, 3, 0}, h.frames.read(m, 9, 5), "read straight from the plain frame");

        Frame f = h.frames.getMaterialised(m);
        assertEquals(m, f.mfn);
        assertSame(h.domainOrNull(d.value()), f.owner);
        assertArrayEquals(new byte[]{1, 2, 3}, f.read(10, 3), "the object took the plain frame's contents");
        assertSame(f, h.frames.getMaterialised(m), "one object per frame from then on");
        assertTrue(h.frames.live(f));
        assertEquals(before + 1, h.frames.materialisedCount());

        emu.guest(d).vcpu(0).write(Gfn.of(33), 11, new byte[]{9});
        assertArrayEquals(new byte[]{1, 9, 3}, f.read(10, 3), "later guest writes land in the object");
    }

    @Test void copyOnWriteCopiesAreFreedWithTheirDomainAndTheirMemoryIsReused() {
        DomainId a = emu.createGuest(1, 256);
        long freeBeforeB = emu.physinfo().freePages();
        DomainId b = emu.createGuest(1, 256);
        for (int g = 0; g < 256; g++) emu.guest(a).vcpu(0).write(Gfn.of(g), 0, new byte[]{(byte) g});
        emu.memshrControl(b, true);
        emu.domainPause(a);
        emu.domainPause(b);
        emu.memshrRangeShare(a, b, Gfn.of(0), Gfn.of(255));
        emu.domainUnpause(b);
        long free0 = emu.physinfo().freePages();
        for (int g = 0; g < 256; g++) emu.guest(b).vcpu(0).write(Gfn.of(g), 1, new byte[]{7});
        assertEquals(free0 - 256, emu.physinfo().freePages(), "each write took a fresh frame");
        for (int g = 0; g < 256; g++) {
            assertArrayEquals(new byte[]{(byte) g, 7, 0}, java.util.Arrays.copyOf(emu.peek(b, Gfn.of(g)), 3));
            assertArrayEquals(new byte[]{(byte) g, 0}, java.util.Arrays.copyOf(emu.peek(a, Gfn.of(g)), 2));
        }
        assertEquals(0, h.memshr.auditCount(), "the audit sees the plain copies as private frames");
        long reserved = h.frames.contentBytes();
        emu.domainDestroy(b);
        assertEquals(freeBeforeB, emu.physinfo().freePages(), "the copies went back to the heap with b's other pages");
        DomainId c = emu.createGuest(1, 256);
        for (int g = 0; g < 256; g++) emu.guest(c).vcpu(0).write(Gfn.of(g), 0, new byte[]{1});
        assertEquals(reserved, h.frames.contentBytes(), "the new guest's pages reused the copies' memory");
    }

    @Test void sharedPagesStayPlainThroughNominateShareCopyOnWriteAndRelinquish() {
        DomainId a = emu.createGuest(1, 1024), b = emu.createGuest(1, 1024);
        for (int g = 0; g < 1024; g += 2) emu.guest(a).vcpu(0).write(Gfn.of(g), 5, new byte[]{(byte) g, 1});
        emu.memshrControl(b, true);
        emu.domainPause(a);
        emu.domainPause(b);
        int objects = h.frames.objectCount();
        emu.memshrRangeShare(a, b, Gfn.of(0), Gfn.of(1023));
        assertEquals(1024, emu.sharingFreedPages());
        assertEquals(1024, emu.sharingUsedFrames());
        assertEquals(objects, h.frames.objectCount(), "sharing a page makes no frame object");
        long m = mfn(a, 10);
        assertEquals(m, mfn(b, 10), "both gfns map the source's frame");
        assertEquals(2, emu.memshrDebugGfn(b, Gfn.of(10)), "type count 2: two gfns in the rmap");
        assertEquals(0, h.memshr.auditCount());

        emu.domainUnpause(b);
        for (int g = 0; g < 1024; g += 4) emu.guest(b).vcpu(0).write(Gfn.of(g), 6, new byte[]{9});
        assertEquals(objects, h.frames.objectCount(), "nor does a copy-on-write copy");
        for (int g = 0; g < 16; g++) {
            byte[] exp = new byte[8];
            if (g % 2 == 0) { exp[5] = (byte) g; exp[6] = 1; }
            assertArrayEquals(exp, java.util.Arrays.copyOf(emu.peek(a, Gfn.of(g)), 8), "a keeps gfn " + g);
            if (g % 4 == 0) exp[6] = 9;
            assertArrayEquals(exp, java.util.Arrays.copyOf(emu.peek(b, Gfn.of(g)), 8), "b sees gfn " + g);
        }
        assertEquals(1024 - 256, emu.sharingFreedPages());
        assertEquals(0, h.memshr.auditCount());

        // the frame object made for a shared page (a foreign mapping) carries the same sharing state
        Frame f = h.frames.getMaterialised(m);
        assertNull(f.owner, "owned by dom_cow");
        assertTrue(f.shared());
        assertEquals(2, f.rmapSize());

        emu.domainDestroy(a);   // relinquish: b's references are the last, the frames stay shared with one gfn
        assertEquals(1, emu.memshrDebugGfn(b, Gfn.of(10)));
        assertEquals(0, h.memshr.auditCount());
        long free = emu.physinfo().freePages();
        emu.domainDestroy(b);
        assertEquals(0, emu.sharingUsedFrames());
        assertTrue(emu.physinfo().freePages() >= free + 768, "the shared frames went back to the heap");
        assertEquals(0, h.frames.handle(m), "a freed frame keeps no sharing state");
    }

    @Test void aFreedFrameObjectComesBackUnderTheNextMfnClearedButNotWhileAMappingHoldsIt() {
        DomainId d = emu.createGuest(1, 64);
        Domain dom = h.domainOrNull(d.value());
        Frame f = h.frames.alloc(dom);
        f.write(0, new byte[]{5});
        h.frames.setHandle(f.mfn, 77);
        f.rmapAdd(Frame.rkey(dom, 3));
        f.special = true;
        long oldMfn = f.mfn;
        h.frames.free(f);
        assertFalse(h.frames.live(f));
        Frame g = h.frames.alloc(dom);
        assertSame(f, g, "the object is reused");
        assertTrue(g.mfn > oldMfn, "under a fresh mfn: mfns still follow allocation order");
        assertFalse(g.hasContents());
        assertEquals(0, g.handle());
        assertEquals(0, g.rmapSize());
        assertFalse(g.special);
        assertTrue(h.frames.live(g));

        // a frame a foreign mapping holds is never reused: the mapping still refers to it
        emu.guest(d).vcpu(0).write(Gfn.of(5), 0, new byte[]{1});
        var map = emu.foreignMemoryMap(d, false, List.of(Gfn.of(5)));
        Frame mapped = h.frames.getMaterialised(mfn(d, 5));
        h.frames.free(mapped);
        assertNotSame(mapped, h.frames.alloc(dom), "a mapped frame is not pooled");
        map.close();
    }
}
