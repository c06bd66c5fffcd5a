// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A machine frame that differs from its implicit state (see {@link FrameTable}): it has contents, is shared, is
 * mapped by a tool, or was allocated at run time. {@code owner} is null for frames owned by dom_cow (shared).
 */
final class Frame {
    static final int SIZE = 4096;

    /** Fixed while the frame is in use; a frame object freed unmapped is reused for another mfn (FrameTable). */
    long mfn;
    /** Where this frame's contents live (its host's off-heap frame memory). */
    private final FrameMemory memory;
    Domain owner;
    /** The contents' slot in {@link #memory}; {@link #ZERO} = all zero, {@link #HOSTED} = in a foreign mapping. */
    private int slot = ZERO;
    static final int ZERO = -1;
    private static final int HOSTED = -2;
    /** The table whose arrays hold this frame's sharing handle and rmap (by mfn, as for plain frames). */
    private final FrameTable table;
    /** References held by tools (foreign mappings): page_make_sharable's "expected" count is exceeded. */
    int extraRefs;
    /** Xen-internal special pages (shared_info-like): never sharable. */
    boolean special;

    Frame(long mfn, Domain owner, FrameMemory memory, FrameTable table) {
        this.mfn = mfn;
        this.owner = owner;
        this.memory = memory;
        this.table = table;
    }

    /**
     * Makes a freed frame object (contents dropped, no tool reference) the frame {@code mfn} of {@code owner}: private,
     * zero, not special (its sharing state went when the table dropped the old mfn).
     */
    Frame reuse(long mfn, Domain owner) {
        if (slot != ZERO || extraRefs != 0) throw new IllegalStateException("frame 0x" + Long.toHexString(this.mfn)
                + " still has contents or references");
        this.mfn = mfn;
        this.owner = owner;
        special = false;
        return this;
    }

    /** A plain frame of the table becomes this object: it takes over the contents' slot. */
    Frame adopt(int contentsSlot) {
        slot = contentsSlot;
        return this;
    }

    /** Sharing handle; 0 while private. */
    long handle() { return table.handle(mfn); }

    boolean shared() { return handle() != 0; }

    /** The rmap's size: the type count of the shared page. */
    int rmapSize() { return table.rmapSize(mfn); }

    static long rkey(Domain d, long gfn) { return ((long) d.id << 48) | gfn; }

    static int rkeyDom(long k) { return (int) (k >>> 48); }

    static long rkeyGfn(long k) { return k & ((1L << 48) - 1); }

    void rmapAdd(long key) { table.rmapAdd(mfn, key); }

    long[] rmapSnapshot() { return table.rmapSnapshot(mfn); }

    /** Whether some byte may be non-zero (false: never written since allocation). */
    boolean hasContents() { return slot != ZERO; }

    /** The 4 KiB contents as a segment (a view valid while the frame keeps them), or null when all zero. */
    MemorySegment contents() {
        if (slot >= 0) return memory.segment(slot);
        return slot == HOSTED ? memory.hosted.get(this).contents() : null;
    }

    byte[] read(int offset, int len) {
        byte[] out = new byte[len];
        if (slot >= 0) MemorySegment.copy(memory.slab(slot), ValueLayout.JAVA_BYTE, FrameMemory.offset(slot) + offset,
                out, 0, len);
        else if (slot == HOSTED) MemorySegment.copy(contents(), ValueLayout.JAVA_BYTE, offset, out, 0, len);
        return out;
    }

    /** Writes bytes[0, len) at offset (the caller checked that they stay inside the frame). */
    void write(int offset, byte[] bytes, int len) {
        if (slot == ZERO) slot = memory.zeroed();
        if (slot >= 0) MemorySegment.copy(bytes, 0, memory.slab(slot), ValueLayout.JAVA_BYTE,
                FrameMemory.offset(slot) + offset, len);
        else MemorySegment.copy(bytes, 0, contents(), ValueLayout.JAVA_BYTE, offset, len);
    }

    void write(int offset, byte[] bytes) { write(offset, bytes, bytes.length); }

    /** copy_domain_page from a plain frame's contents slot (this frame was just allocated). */
    void copyFromSlot(int srcSlot) {
        if (slot == ZERO) slot = memory.forCopy();
        if (slot >= 0) MemorySegment.copy(memory.slab(srcSlot), FrameMemory.offset(srcSlot), memory.slab(slot),
                FrameMemory.offset(slot), SIZE);
        else contents().copyFrom(memory.segment(srcSlot));
    }

    /** copy_domain_page (this frame was just allocated). */
    void copyFrom(Frame src) {
        if (src.slot == ZERO) { dropContents(); return; }
        if (slot == ZERO) slot = memory.forCopy();
        if (src.slot >= 0 && slot >= 0)
            MemorySegment.copy(src.memory.slab(src.slot), FrameMemory.offset(src.slot), memory.slab(slot),
                    FrameMemory.offset(slot), SIZE);
        else contents().copyFrom(src.contents());
    }

    /** Whether a foreign mapping hosts the contents now. */
    boolean hosted() { return slot == HOSTED; }

    /**
     * A foreign mapping takes the contents over: from now on they live in {@code contents} (which the caller filled
     * with them), so guest writes show through the mapping and the mapping's writes are the guest's memory.
     */
    void host(Object mapping, MemorySegment contents) {
        if (slot >= 0) memory.release(slot);
        slot = HOSTED;
        memory.hosted.put(this, new FrameMemory.Hosted(mapping, contents));
    }

    /**
     * The foreign mapping that hosted the contents is closing: they move back into frame memory (unless the frame
     * was freed meanwhile, when they are dropped).
     */
    void unhost(Object mapping, boolean live) {
        FrameMemory.Hosted hd = memory.hosted.get(this);
        if (slot != HOSTED || hd == null || hd.host() != mapping) return;
        memory.hosted.remove(this);
        slot = ZERO;
        if (!live) return;
        slot = memory.forCopy();
        memory.segment(slot).copyFrom(hd.contents());
    }

    /** free_domheap_page: the contents' slot goes back to the frame memory for reuse. */
    void dropContents() {
        if (slot >= 0) memory.release(slot);
        else if (slot == HOSTED) memory.hosted.remove(this);
        slot = ZERO;
    }
}
