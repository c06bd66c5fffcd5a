// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.MemAccess;

/**
 * A p2m table (the host p2m of a domain, or one altp2m view). Sparse: only entries that differ from the implicit state
 * are stored. For a host p2m the implicit state of gfn &lt; {@code implicitPages} is boot-time RAM: (mfnBase + gfn,
 * ram_rw, rwx, suppress_ve) — the access a domain's p2m starts with (p2m-basic.c:p2m_initialise) — so a 16 GiB guest
 * costs nothing until it is touched. Everything else is a hole. Views have no implicit RAM.
 */
final class P2m {
    private final Chunked.Longs entries = new Chunked.Longs();
    private long implicitPages;
    private long mfnBase;
    MemAccess defaultAccess = MemAccess.RWX;
    long maxMappedPfn;
    boolean accessRequired;

    P2m() {}

    P2m(long mfnBase, long implicitPages) {
        this.mfnBase = mfnBase;
        this.implicitPages = implicitPages;
        if (implicitPages > 0) maxMappedPfn = implicitPages - 1;
    }

    /** Gfns a 4-level EPT can map: 48 guest-physical address bits (p2m-ept.c:ept_set_entry, wl = 3). */
    static final int EPT_GFN_BITS = 36;

    /** Whether ept_set_entry accepts {@code gfn} (it returns -EINVAL from 2^36 up). */
    static boolean eptMaps(long gfn) { return gfn >>> EPT_GFN_BITS == 0; }

    /**
     * ept_set_entry's bookkeeping for an entry written without a frame (a hole, which the host lookup reports as
     * p2m_mmio_dm): max_mapped_pfn follows every written type but p2m_invalid, so such a write beyond it raises it.
     */
    void noteWritten(long gfn) { if (gfn > maxMappedPfn && gfn >= 0) maxMappedPfn = gfn; }

    long implicitPages() { return implicitPages; }
    long mfnBase() { return mfnBase; }

    boolean isImplicit(long gfn) {
        return Long.compareUnsigned(gfn, implicitPages) < 0 && entries.get(gfn) == LongLongMap.MISSING;
    }

    Entry get(long gfn) { return Entry.unpack(packed(gfn)); }

    private static final long HOLE = Entry.HOLE.pack();

    /** {@link #get} as a packed entry (see {@link Entry#pack}): no object. */
    long packed(long gfn) {
        long p = entries.get(gfn);
        if (p != LongLongMap.MISSING) return p;
        if (Long.compareUnsigned(gfn, implicitPages) < 0) return Entry.pack(mfnBase + gfn, P2mType.RAM_RW, MemAccess.RWX, true);
        return HOLE;
    }

    /** p2m->set_entry: an invalid mfn removes the mapping. */
    void set(long gfn, Entry e) { set(gfn, e.pack()); }

    /** {@link #set(long, Entry)} with a packed entry. */
    void set(long gfn, long packed) {
        if (!Entry.validPacked(packed)) {
            if (Long.compareUnsigned(gfn, implicitPages) < 0) entries.put(gfn, HOLE);
            else entries.remove(gfn);
            return;
        }
        entries.put(gfn, packed);
        if (gfn > maxMappedPfn && gfn >= 0) maxMappedPfn = gfn;
    }

    /** Explicitly stored gfns (for views: every entry; for hosts: the touched ones). */
    long[] touchedGfns() { return entries.keys(); }

    int touchedCount() { return entries.size(); }

    void clear() {
        entries.clear();
        implicitPages = 0;
    }
}
