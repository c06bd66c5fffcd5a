// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Machine frames. A domain built with N pages reserves mfns [base, base+N) whose frames are implicit — owned by the
 * domain, zero, private — until something needs them (contents written, shared, mapped); then they are
 * materialised here. Frames allocated at run time (copy-on-write copies, fork pages) take fresh mfns above every
 * reservation, so mfn order follows allocation order as on a freshly booted host.
 *
 * <p>A materialised frame that is only private contents — what a guest write to an untouched page and a
 * copy-on-write copy make — is <em>plain</em>: its owner and its contents' slot sit in this table's arrays, and no
 * object stands for it, so a guest that writes a million pages costs the GC two array words per page. It becomes a
 * {@link Frame} object (same mfn, owner and contents) the first time code asks for one ({@link #getMaterialised},
 * {@link #get}): to share it, map it, free it as a single frame; guest reads and writes go through
 * {@link #read}/{@link #write} and never need the object.
 */
final class FrameTable {
    /** 512 mfns per chunk: per mfn a {@link Frame}, or the owning {@link Domain} of a plain frame, or null. */
    private static final class Chunk {
        final Object[] obj = new Object[Chunked.SIZE];
        /** A plain frame's contents slot ({@link Frame#ZERO}: all zero). */
        final int[] slot = new int[Chunked.SIZE];
        int used;
    }

    private final LongObjMap<Chunk> chunks = new LongObjMap<>();
    private long lastChunkNo = -1;
    private Chunk lastChunk;
    /** The last chunk that emptied, for the next one needed (range_share empties and refills one per 512 pages). */
    private Chunk spare;
    private int materialised;
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
        put(f.mfn, f);
        return f;
    }

    /**
     * alloc_domheap_page + copy_domain_page: a fresh private frame of d holding a copy of {@code src} (null: zero),
     * kept plain. Returns its mfn, or -1 when the host is out of memory.
     */
    long allocCopy(Domain d, Frame src) {
        if (!unscrubbed.isEmpty()) {               // the page just freed comes back first, as an object
            Frame f = alloc(d);
            if (src != null) f.copyFrom(src);
            else f.dropContents();
            return f.mfn;
        }
        if (freePages == 0) return -1;
        freePages--;
        long mfn = nextMfn++;
        MemorySegment from = src == null ? null : src.contents();
        int slot = Frame.ZERO;
        if (from != null) {
            slot = memory.forCopy();
            MemorySegment.copy(from, 0, memory.slab(slot), FrameMemory.offset(slot), Frame.SIZE);
        }
        putPlain(mfn, d, slot);
        return mfn;
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
        remove(f.mfn);
        freePages++;
        f.owner = null;
        f.handle = 0;
        unscrubbed.addFirst(f);
    }

    /** Returns a frame to the heap. */
    void free(Frame f) {
        remove(f.mfn);
        f.dropContents();
        freePages++;
        f.owner = null;
        f.handle = 0;
        if (f.extraRefs == 0) {
            if (nPool == pool.length) pool = Arrays.copyOf(pool, nPool * 2);
            pool[nPool++] = f;
        }
    }

    /**
     * Frees the materialised frame mfn if d owns it (a dying domain's page); plain frames go without becoming
     * objects. Returns false when mfn is not materialised (an implicit frame).
     */
    boolean freeIfOwned(long mfn, Domain d) {
        Chunk c = chunk(mfn, false);
        int i = (int) (mfn & Chunked.MASK);
        Object o = c == null ? null : c.obj[i];
        if (o == null) return false;
        if (o instanceof Frame f) {
            if (f.owner == d) free(f);
        } else if (o == d) {
            if (c.slot[i] != Frame.ZERO) memory.release(c.slot[i]);
            remove(mfn);
            freePages++;
        }
        return true;
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

    /** The materialised frame mfn as an object (a plain one becomes one), or null for an implicit frame. */
    Frame getMaterialised(long mfn) {
        Chunk c = chunk(mfn, false);
        if (c == null) return null;
        int i = (int) (mfn & Chunked.MASK);
        Object o = c.obj[i];
        if (o == null || o instanceof Frame) return (Frame) o;
        Frame f = fresh(mfn, (Domain) o).adopt(c.slot[i]);
        c.obj[i] = f;
        return f;
    }

    /** Whether f is still a frame of this table (not freed). */
    boolean live(Frame f) {
        Chunk c = chunk(f.mfn, false);
        return c != null && c.obj[(int) (f.mfn & Chunked.MASK)] == f;
    }

    /** Off-heap bytes the frames' contents have taken (benchmarks). */
    long contentBytes() { return memory.reservedBytes(); }

    /**
     * The frame behind a valid mfn, materialising an implicit one. The caller guarantees the mfn is mapped by an
     * entry that is still implicit or the frame is already materialised.
     */
    Frame get(long mfn) {
        Frame f = getMaterialised(mfn);
        if (f != null) return f;
        f = fresh(mfn, reservationOwner(mfn));
        put(mfn, f);
        return f;
    }

    /** len bytes at offset of frame mfn (zeros for an implicit frame); the caller checked the range. */
    byte[] read(long mfn, int offset, int len) {
        Chunk c = chunk(mfn, false);
        int i = (int) (mfn & Chunked.MASK);
        Object o = c == null ? null : c.obj[i];
        if (o instanceof Frame f) return f.read(offset, len);
        byte[] out = new byte[len];
        if (o != null && c.slot[i] != Frame.ZERO) {
            int s = c.slot[i];
            MemorySegment.copy(memory.slab(s), ValueLayout.JAVA_BYTE, FrameMemory.offset(s) + offset, out, 0, len);
        }
        return out;
    }

    /**
     * Writes bytes[0, len) at offset of frame mfn, materialising an implicit frame as a plain one (see
     * {@link #get} for what the caller guarantees; it checked the range).
     */
    void write(long mfn, int offset, byte[] bytes, int len) {
        Chunk c = chunk(mfn, false);
        int i = (int) (mfn & Chunked.MASK);
        Object o = c == null ? null : c.obj[i];
        if (o instanceof Frame f) { f.write(offset, bytes, len); return; }
        if (o == null) {
            putPlain(mfn, reservationOwner(mfn), Frame.ZERO);
            c = chunk(mfn, false);
        }
        if (c.slot[i] == Frame.ZERO) c.slot[i] = memory.zeroed();
        int s = c.slot[i];
        MemorySegment.copy(bytes, 0, memory.slab(s), ValueLayout.JAVA_BYTE, FrameMemory.offset(s) + offset, len);
    }

    private Domain reservationOwner(long mfn) {
        Map.Entry<Long, Domain> r = reservations.floorEntry(mfn);
        if (r == null) throw new IllegalStateException("mfn 0x" + Long.toHexString(mfn) + " is not a frame");
        return r.getValue();
    }

    /** Forgets a destroyed domain's reservation; frames it still shares stay materialised. */
    void release(Domain d, long implicitStillMapped) {
        reservations.values().removeIf(x -> x == d);
        freePages += implicitStillMapped;
    }

    /** Every materialised frame, as objects (plain ones become objects: audits and tests). */
    List<Frame> materialised() {
        List<Frame> out = new ArrayList<>(materialised);
        chunks.forEach((no, c) -> {
            for (int i = 0; i < Chunked.SIZE; i++) {
                if (c.obj[i] != null) out.add(getMaterialised(no << Chunked.SHIFT | i));
            }
        });
        return out;
    }

    int materialisedCount() { return materialised; }

    // ---- the chunked table ----------------------------------------------------------------------------------------

    private Chunk chunk(long mfn, boolean create) {
        long no = mfn >>> Chunked.SHIFT;
        if (no == lastChunkNo) return lastChunk;
        Chunk c = chunks.get(no);
        if (c == null) {
            if (!create) return null;
            if (spare != null) { c = spare; spare = null; } else c = new Chunk();
            chunks.put(no, c);
        }
        lastChunkNo = no;
        lastChunk = c;
        return c;
    }

    private void put(long mfn, Frame f) { set(mfn, f, Frame.ZERO); }

    private void putPlain(long mfn, Domain owner, int slot) { set(mfn, owner, slot); }

    private void set(long mfn, Object o, int slot) {
        Chunk c = chunk(mfn, true);
        int i = (int) (mfn & Chunked.MASK);
        if (c.obj[i] == null) { c.used++; materialised++; }
        c.obj[i] = o;
        c.slot[i] = slot;
    }

    /** Drops mfn's entry; an emptied chunk goes (run-time mfns are never reused, so it would stay empty). */
    private void remove(long mfn) {
        Chunk c = chunk(mfn, false);
        int i = (int) (mfn & Chunked.MASK);
        if (c == null || c.obj[i] == null) return;
        c.obj[i] = null;
        materialised--;
        if (--c.used == 0) {
            chunks.remove(mfn >>> Chunked.SHIFT);
            spare = c;   // all of obj is null again
            lastChunkNo = -1;
            lastChunk = null;
        }
    }
}
