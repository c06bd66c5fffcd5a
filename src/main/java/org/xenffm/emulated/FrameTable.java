// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Machine frames. A domain built with N pages reserves mfns [base, base+N) whose frames are implicit — owned by the
 * domain, zero, private — until something needs them as objects (contents written, shared, mapped); then they are
 * materialised here. Frames allocated at run time (copy-on-write copies, fork pages) take fresh mfns above every
 * reservation, so mfn order follows allocation order as on a freshly booted host.
 */
final class FrameTable {
    private final Chunked.Objects<Frame> frames = new Chunked.Objects<>();
    private final FrameMemory memory = new FrameMemory();
    private final TreeMap<Long, Domain> reservations = new TreeMap<>();
    private long nextMfn = 0x1000;
    private long freePages;
    private final long totalPages;
    /**
     * Pages a live domain gave back, most recent first, with their contents: page_alloc.c:free_domheap_pages scrubs
     * only a dying domain's pages ("normally we expect a domain to clear pages before freeing them"), free_heap_pages
     * puts a page that needs no scrub at the head of its free list, and alloc_heap_pages takes the head. So the next
     * page allocated is the one just dropped, old contents and all (observed on 4.17.5 and 4.20.4, s38).
     */
    private final java.util.ArrayDeque<Frame> unscrubbed = new java.util.ArrayDeque<>();
    /**
     * Frame objects freed while no tool referenced them, reused for the next frames (Xen's frame_table is a fixed
     * array of page_info): a host that destroys guests and builds new ones, or a fork reset and touched again, costs
     * the GC no object per page. Nothing else keeps a frame object beyond a call but foreign mappings, which hold a
     * reference ({@link Frame#extraRefs}), so a pooled frame is never seen under its old mfn. At most the peak number
     * of materialised frames is kept, while the host lives.
     */
    private Frame[] pool = new Frame[64];
    private int nPool;

    FrameTable(long totalPages) {
        this.totalPages = totalPages;
        this.freePages = totalPages;
    }

    long totalPages() { return totalPages; }
    long freePages() { return freePages; }

    /** Reserves n implicit frames for a new domain; returns the base mfn, or -1 if the host lacks memory. */
    long reserve(long n) {
        if (n > freePages) return -1;
        long base = nextMfn;
        nextMfn += Math.max(n, 1);
        freePages -= n;
        return base;
    }

    void assign(long base, Domain d) { reservations.put(base, d); }

    /** Allocates a fresh private frame for d; null when the host is out of memory (ENOMEM paths). */
    Frame alloc(Domain d) {
        if (freePages == 0) return null;
        freePages--;
        Frame f = unscrubbed.pollFirst();
        if (f == null) f = fresh(nextMfn++, d);
        else f.owner = d;
        frames.put(f.mfn, f);
        return f;
    }

    /**
     * Returns a live domain's page to the heap without scrubbing it (see {@link #unscrubbed}); {@code f} null: a page
     * that was never materialised, all zero.
     */
    void freeUnscrubbed(Frame f) {
        if (f == null) {                             // its contents are zero: a fresh zero frame stands for it
            freeImplicit();
            unscrubbed.addFirst(fresh(nextMfn++, null));
            return;
        }
        frames.remove(f.mfn);
        freePages++;
        f.owner = null;
        f.handle = 0;
        unscrubbed.addFirst(f);
    }

    /** Returns a frame to the heap. */
    void free(Frame f) {
        frames.remove(f.mfn);
        f.dropContents();
        freePages++;
        f.owner = null;
        f.handle = 0;
        if (f.extraRefs == 0) {
            if (nPool == pool.length) pool = java.util.Arrays.copyOf(pool, nPool * 2);
            pool[nPool++] = f;
        }
    }

    /** A frame object for mfn: a pooled one if any. */
    private Frame fresh(long mfn, Domain owner) {
        if (nPool == 0) return new Frame(mfn, owner, memory);
        Frame f = pool[--nPool];
        pool[nPool] = null;
        return f.reuse(mfn, owner);
    }

    /** Frees an implicit frame that was never materialised (its gfn's entry is being dropped). */
    void freeImplicit() { freePages++; }

    Frame getMaterialised(long mfn) { return frames.get(mfn); }

    /** Whether f is still a frame of this table (not freed). */
    boolean live(Frame f) { return frames.get(f.mfn) == f; }

    /** Off-heap bytes the frames' contents have taken (benchmarks). */
    long contentBytes() { return memory.reservedBytes(); }

    /**
     * The frame behind a valid mfn, materialising an implicit one. The caller guarantees the mfn is mapped by an
     * entry that is still implicit or the frame is already materialised.
     */
    Frame get(long mfn) {
        Frame f = frames.get(mfn);
        if (f != null) return f;
        Map.Entry<Long, Domain> r = reservations.floorEntry(mfn);
        if (r == null) throw new IllegalStateException("mfn 0x" + Long.toHexString(mfn) + " is not a frame");
        f = fresh(mfn, r.getValue());
        frames.put(mfn, f);
        return f;
    }

    /** Forgets a destroyed domain's reservation; frames it still shares stay materialised. */
    void release(Domain d, long implicitStillMapped) {
        reservations.values().removeIf(x -> x == d);
        freePages += implicitStillMapped;
    }

    List<Frame> materialised() { return frames.values(); }

    int materialisedCount() { return frames.size(); }
}
