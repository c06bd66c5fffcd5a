// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A machine frame that differs from its implicit state (see {@link FrameTable}): it has contents, is shared, is
 * mapped by a tool, or was allocated at run time. {@code owner} is null for frames owned by dom_cow (shared).
 */
final class Frame {
    static final int SIZE = 4096;

    final long mfn;
    Domain owner;
    /** Contents (a heap segment, or a slice of a foreign mapping while one hosts it); null means all zero. */
    MemorySegment data;
    /** Set while a foreign mapping hosts {@link #data}: its contents live in that mapping's segment. */
    Object dataHost;
    /** Sharing handle; 0 while private. */
    long handle;
    /** Sharing rmap: (domid << 48 | gfn) pairs; size = type count of the shared page. */
    long[] rmap;
    int rmapSize;
    /** References held by tools (foreign mappings): page_make_sharable's "expected" count is exceeded. */
    int extraRefs;
    /** Xen-internal special pages (shared_info-like): never sharable. */
    boolean special;

    Frame(long mfn, Domain owner) {
        this.mfn = mfn;
        this.owner = owner;
    }

    boolean shared() { return handle != 0; }

    static long rkey(Domain d, long gfn) { return ((long) d.id << 48) | gfn; }

    static int rkeyDom(long k) { return (int) (k >>> 48); }

    static long rkeyGfn(long k) { return k & ((1L << 48) - 1); }

    void rmapAdd(long key) {
        if (rmap == null) rmap = new long[2];
        else if (rmapSize == rmap.length) rmap = Arrays.copyOf(rmap, rmapSize * 2);
        rmap[rmapSize++] = key;
    }

    boolean rmapRemove(long key) {
        for (int i = 0; i < rmapSize; i++) {
            if (rmap[i] == key) {
                rmap[i] = rmap[--rmapSize];
                return true;
            }
        }
        return false;
    }

    long[] rmapSnapshot() { return rmap == null ? new long[0] : Arrays.copyOf(rmap, rmapSize); }

    byte[] read(int offset, int len) {
        byte[] out = new byte[len];
        if (data != null) MemorySegment.copy(data, java.lang.foreign.ValueLayout.JAVA_BYTE, offset, out, 0, len);
        return out;
    }

    void write(int offset, byte[] bytes) {
        if (data == null) data = MemorySegment.ofArray(new byte[SIZE]);
        MemorySegment.copy(bytes, 0, data, java.lang.foreign.ValueLayout.JAVA_BYTE, offset, bytes.length);
    }

    /** copy_domain_page. */
    void copyFrom(Frame src) {
        if (src.data == null) { data = null; return; }
        data = MemorySegment.ofArray(new byte[SIZE]);
        data.copyFrom(src.data);
    }
}
