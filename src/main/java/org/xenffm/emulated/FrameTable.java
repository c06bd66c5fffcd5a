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
 * <p>A materialised frame that is only contents and sharing state — what a guest write to an untouched page and a
 * copy-on-write copy make, and a page nominated or shared — is <em>plain</em>: its owner (a domain, or
 * {@link #DOM_COW} for a shared page), its contents' slot, its sharing handle and its rmap sit in this table's
 * arrays, and no object stands for it, so a million written or shared pages cost the GC a few arrays per 512 pages
 * and nothing per page. It becomes a {@link Frame} object (same mfn, owner and contents) the first time code asks
 * for one ({@link #getMaterialised}, {@link #get}): to map it, mark it special, copy it into a fork's special page;
 * guest reads and writes ({@link #read}/{@link #write}), mem_sharing (by mfn: {@link #handle}, {@link #rmapAdd},
 * {@link #makeShared}, {@link #freeMfn}, …) and the copy-on-write copy ({@link #allocCopy}) never need the object.
 * A frame's handle and rmap live here whether or not an object stands for it (mem_sharing.c keeps them in
 * page_info: the frame table, not an object per page).
 */
final class FrameTable {
    /** 512 mfns per chunk: per mfn a {@link Frame}, or the owner of a plain frame (a {@link Domain} or
     *  {@link #DOM_COW}), or null. */
    private static final class Chunk {
        final Object[] obj = new Object[Chunked.SIZE];
        /** A plain frame's contents slot ({@link Frame#ZERO}: all zero). */
        final int[] slot = new int[Chunked.SIZE];
        int used;
        /** Sharing state, made when a frame of the chunk is first shared; all zero again once its frames are freed. */
        Sharing sharing;
    }

    /**
     * page_info's sharing fields for 512 mfns: the handle (0 while private) and the rmap (mem_sharing.c gfn_info
     * list: (domid &lt;&lt; 48 | gfn) keys, see {@link Frame#rkey}), whose first two keys sit inline — two domains
     * sharing a page is the common case, range_share's and a fork's — and further ones in a per-mfn array.
     */
    private static final class Sharing {
        final long[] handle = new long[Chunked.SIZE];
        final int[] rmapN = new int[Chunked.SIZE];
        final long[] rmap0 = new long[Chunked.SIZE], rmap1 = new long[Chunked.SIZE];
        /** Keys 2… of an rmap longer than two, or null. */
        final long[][] more = new long[Chunked.SIZE][];

        long key(int i, int j) { return j == 0 ? rmap0[i] : j == 1 ? rmap1[i] : more[i][j - 2]; }

        void setKey(int i, int j, long k) {
            if (j == 0) rmap0[i] = k;
            else if (j == 1) rmap1[i] = k;
            else {
                long[] m = more[i];
                if (m == null) more[i] = m = new long[2];
                else if (j - 2 == m.length) more[i] = m = Arrays.copyOf(m, m.length * 2);
                m[j - 2] = k;
            }
        }

        void clear(int i) {
            handle[i] = 0;
            rmapN[i] = 0;
            more[i] = null;
        }
    }

    /** The owner of a shared plain frame: dom_cow (a Frame object has owner null instead). */
    private static final Object DOM_COW = new Object() {
        @Override public String toString() { return "dom_cow"; }
    };

    private final LongObjMap<Chunk> chunks = new LongObjMap<>();
    /** The two chunks used last: range_share and copy-on-write alternate between a source and a target range. */
    private long lastChunkNo = -1, prevChunkNo = -1;
    private Chunk lastChunk, prevChunk;
    /**
     * Chunks that emptied, for the next ones needed (range_share empties and refills one per 512 pages; a host whose
     * guests come and go reuses them, as Xen's frame_table is a fixed array): a new guest's sharing state then lands
     * in arrays the GC has already promoted instead of tens of MiB of new ones each young collection must copy. At
     * most the peak number of chunks is kept, while the host lives.
     */
    private Chunk[] spares = new Chunk[8];
    private int nSpares;
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
     * alloc_domheap_page + copy_domain_page: a fresh private frame of d holding a copy of frame {@code srcMfn} (an
     * implicit one: zero), kept plain. Returns its mfn, or -1 when the host is out of memory.
     */
    long allocCopy(Domain d, long srcMfn) {
        Chunk c = chunk(srcMfn, false);
        int i = (int) (srcMfn & Chunked.MASK);
        Object o = c == null ? null : c.obj[i];
        int srcSlot = o == null || o instanceof Frame ? Frame.ZERO : c.slot[i];   // a plain source's contents
        if (!unscrubbed.isEmpty()) {               // the page just freed comes back first, as an object
            Frame f = alloc(d);
            if (o instanceof Frame src) f.copyFrom(src);
            else if (srcSlot != Frame.ZERO) f.copyFromSlot(srcSlot);
            else f.dropContents();
            return f.mfn;
        }
        if (freePages == 0) return -1;
        freePages--;
        long mfn = nextMfn++;
        int slot = Frame.ZERO;
        if (o instanceof Frame src) {
            MemorySegment from = src.contents();
            if (from != null) {
                slot = memory.forCopy();
                MemorySegment.copy(from, 0, memory.slab(slot), FrameMemory.offset(slot), Frame.SIZE);
            }
        } else if (srcSlot != Frame.ZERO) {
            slot = memory.forCopy();
            MemorySegment.copy(memory.slab(srcSlot), FrameMemory.offset(srcSlot), memory.slab(slot),
                    FrameMemory.offset(slot), Frame.SIZE);
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
        unscrubbed.addFirst(f);
    }

    /** Returns a frame to the heap. */
    void free(Frame f) {
        remove(f.mfn);
        f.dropContents();
        freePages++;
        f.owner = null;
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
        Object o = c == null ? null : c.obj[(int) (mfn & Chunked.MASK)];
        if (o == null) return false;
        if (o == d || o instanceof Frame f && f.owner == d) freeMfn(mfn);
        return true;
    }

    /** Returns the materialised frame mfn to the heap ({@link #free} for an object; a plain one never becomes one). */
    void freeMfn(long mfn) {
        Chunk c = chunk(mfn, false);
        int i = (int) (mfn & Chunked.MASK);
        Object o = c == null ? null : c.obj[i];
        if (o == null) throw new IllegalStateException("mfn 0x" + Long.toHexString(mfn) + " is not materialised");
        if (o instanceof Frame f) { free(f); return; }
        if (c.slot[i] != Frame.ZERO) memory.release(c.slot[i]);
        remove(mfn);
        freePages++;
    }

    /** Whether mfn is materialised and owned by d (a dying domain's or a fork's own page). */
    boolean ownedMaterialised(long mfn, Domain d) {
        Chunk c = chunk(mfn, false);
        Object o = c == null ? null : c.obj[(int) (mfn & Chunked.MASK)];
        return o == d || o instanceof Frame f && f.owner == d;
    }

    /** Whether mfn is a Xen-internal special page (never sharable): only a frame object can be one. */
    boolean special(long mfn) {
        Chunk c = chunk(mfn, false);
        return c != null && c.obj[(int) (mfn & Chunked.MASK)] instanceof Frame f && f.special;
    }

    /** References tools hold on mfn (foreign mappings hold a frame object; a plain frame has none). */
    int extraRefs(long mfn) {
        Chunk c = chunk(mfn, false);
        return c != null && c.obj[(int) (mfn & Chunked.MASK)] instanceof Frame f ? f.extraRefs : 0;
    }

    // ---- sharing state (page_info's sharing fields), by mfn --------------------------------------------------------

    /** mfn's sharing handle; 0 while private (or not materialised). */
    long handle(long mfn) {
        Chunk c = chunk(mfn, false);
        return c == null || c.sharing == null ? 0 : c.sharing.handle[(int) (mfn & Chunked.MASK)];
    }

    /**
     * page_make_sharable's ownership change: the frame mfn (materialising an implicit one as a plain frame; see
     * {@link #get} for what the caller guarantees) now belongs to dom_cow and carries {@code handle}.
     */
    void makeShared(long mfn, long handle) {
        Chunk c = chunk(mfn, false);
        int i = (int) (mfn & Chunked.MASK);
        Object o = c == null ? null : c.obj[i];
        if (o == null) {
            putPlain(mfn, DOM_COW, Frame.ZERO);
            c = chunk(mfn, false);
        } else if (o instanceof Frame f) f.owner = null;
        else c.obj[i] = DOM_COW;
        sharing(c).handle[i] = handle;
    }

    /** page_make_private: the shared frame mfn (its rmap emptied) goes back to d with no handle. */
    void makePrivate(long mfn, Domain d) {
        Chunk c = chunk(mfn, false);
        int i = (int) (mfn & Chunked.MASK);
        if (c.obj[i] instanceof Frame f) f.owner = d;
        else c.obj[i] = d;
        c.sharing.clear(i);
    }

    /** Test support: sets mfn's handle without the ownership change of {@link #makeShared}. */
    void setHandle(long mfn, long handle) { sharing(chunk(mfn, false)).handle[(int) (mfn & Chunked.MASK)] = handle; }

    int rmapSize(long mfn) {
        Chunk c = chunk(mfn, false);
        return c == null || c.sharing == null ? 0 : c.sharing.rmapN[(int) (mfn & Chunked.MASK)];
    }

    /** The j-th key of mfn's rmap, 0 ≤ j &lt; {@link #rmapSize}. */
    long rmapKey(long mfn, int j) {
        Chunk c = chunk(mfn, false);
        int i = (int) (mfn & Chunked.MASK);
        if (j < 0 || j >= c.sharing.rmapN[i]) throw new IndexOutOfBoundsException(j);
        return c.sharing.key(i, j);
    }

    /** Adds a key to the rmap of the materialised frame mfn. */
    void rmapAdd(long mfn, long key) {
        Sharing s = sharing(chunk(mfn, false));
        int i = (int) (mfn & Chunked.MASK);
        s.setKey(i, s.rmapN[i]++, key);
    }

    /** Removes a key from mfn's rmap (the last key takes its place); false when it is not there. */
    boolean rmapRemove(long mfn, long key) {
        Chunk c = chunk(mfn, false);
        if (c == null || c.sharing == null) return false;
        Sharing s = c.sharing;
        int i = (int) (mfn & Chunked.MASK), n = s.rmapN[i];
        for (int j = 0; j < n; j++) {
            if (s.key(i, j) == key) {
                s.setKey(i, j, s.key(i, n - 1));
                s.rmapN[i] = n - 1;
                if (n - 1 <= 2) s.more[i] = null;
                return true;
            }
        }
        return false;
    }

    /** Empties mfn's rmap (its keys moved to another frame by share_pages). */
    void rmapClear(long mfn) {
        Chunk c = chunk(mfn, false);
        if (c == null || c.sharing == null) return;
        int i = (int) (mfn & Chunked.MASK);
        c.sharing.rmapN[i] = 0;
        c.sharing.more[i] = null;
    }

    long[] rmapSnapshot(long mfn) {
        long[] out = new long[rmapSize(mfn)];
        for (int j = 0; j < out.length; j++) out[j] = rmapKey(mfn, j);
        return out;
    }

    /** The mfns of every shared frame (audits). */
    long[] sharedMfns() {
        long[][] out = {new long[64]};
        int[] n = {0};
        chunks.forEach((no, c) -> {
            if (c.sharing == null) return;
            for (int i = 0; i < Chunked.SIZE; i++) {
                if (c.sharing.handle[i] == 0) continue;
                if (n[0] == out[0].length) out[0] = Arrays.copyOf(out[0], n[0] * 2);
                out[0][n[0]++] = no << Chunked.SHIFT | i;
            }
        });
        return Arrays.copyOf(out[0], n[0]);
    }

    /** Whether the materialised frame mfn belongs to dom_cow (as a shared page does). */
    boolean cowOwned(long mfn) {
        Chunk c = chunk(mfn, false);
        Object o = c == null ? null : c.obj[(int) (mfn & Chunked.MASK)];
        return o == DOM_COW || o instanceof Frame f && f.owner == null;
    }

    private static Sharing sharing(Chunk c) {
        if (c.sharing == null) c.sharing = new Sharing();
        return c.sharing;
    }

    /** A frame object for mfn: a pooled one if any. */
    private Frame fresh(long mfn, Domain owner) {
        if (nPool == 0) return new Frame(mfn, owner, memory, this);
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
        Frame f = fresh(mfn, o == DOM_COW ? null : (Domain) o).adopt(c.slot[i]);
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

    /** How many materialised frames have a {@link Frame} object (the rest are plain; tests and benchmarks). */
    int objectCount() {
        int[] n = {0};
        chunks.forEach((no, c) -> { for (Object o : c.obj) if (o instanceof Frame) n[0]++; });
        return n[0];
    }

    // ---- the chunked table ----------------------------------------------------------------------------------------

    private Chunk chunk(long mfn, boolean create) {
        long no = mfn >>> Chunked.SHIFT;
        if (no == lastChunkNo) return lastChunk;
        if (no == prevChunkNo) {
            Chunk c = prevChunk;
            prevChunkNo = lastChunkNo;
            prevChunk = lastChunk;
            lastChunkNo = no;
            lastChunk = c;
            return c;
        }
        Chunk c = chunks.get(no);
        if (c == null) {
            if (!create) return null;
            if (nSpares > 0) { c = spares[--nSpares]; spares[nSpares] = null; } else c = new Chunk();
            chunks.put(no, c);
        }
        prevChunkNo = lastChunkNo;
        prevChunk = lastChunk;
        lastChunkNo = no;
        lastChunk = c;
        return c;
    }

    private void put(long mfn, Frame f) { set(mfn, f, Frame.ZERO); }

    private void putPlain(long mfn, Object owner, int slot) { set(mfn, owner, slot); }

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
        if (c.sharing != null) c.sharing.clear(i);
        materialised--;
        if (--c.used == 0) {
            chunks.remove(mfn >>> Chunked.SHIFT);
            if (nSpares == spares.length) spares = Arrays.copyOf(spares, nSpares * 2);
            spares[nSpares++] = c;   // all of obj is null again, its sharing state zero
            lastChunkNo = prevChunkNo = -1;
            lastChunk = prevChunk = null;
        }
    }
}
