// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.DomainId;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.Gfn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Guest frames mapped into this process. The frames' contents move into this mapping's segment while it is open, so
 * guest writes show through it and (for a writable mapping) its writes are the guest's memory. Each frame holds an
 * extra reference meanwhile (nominate → E2BIG). A frame already hosted by another open mapping is copied instead
 * (a second simultaneous mapping of one frame is a snapshot — a documented limit of the emulation).
 */
final class EmulatedForeignMapping implements ForeignMapping {
    private final Host h;
    private final DomainId domain;
    private final List<Gfn> gfns;
    private final List<Frame> frames;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment memory;
    private boolean closed;

    EmulatedForeignMapping(Host h, DomainId domain, boolean writable, List<Gfn> gfns, List<Frame> frames) {
        this.h = h;
        this.domain = domain;
        this.gfns = gfns;
        this.frames = frames;
        MemorySegment seg = arena.allocate((long) Frame.SIZE * frames.size(), 4096);
        for (int i = 0; i < frames.size(); i++) {
            Frame f = frames.get(i);
            MemorySegment slice = seg.asSlice((long) i * Frame.SIZE, Frame.SIZE);
            MemorySegment c = f.contents();
            if (c != null) slice.copyFrom(c);
            if (!f.hosted()) f.host(this, slice);
            f.extraRefs++;
        }
        this.memory = writable ? seg : seg.asReadOnly();
    }

    @Override public DomainId domain() { return domain; }

    @Override public List<Gfn> gfns() { return gfns; }

    @Override public MemorySegment memory() { return memory; }

    @Override public void close() {
        h.lock.lock();
        try {
            if (closed) return;
            closed = true;
            for (Frame f : frames) {
                f.extraRefs--;
                f.unhost(this, h.frames.live(f));
            }
            arena.close();
        } finally {
            h.lock.unlock();
        }
    }
}
