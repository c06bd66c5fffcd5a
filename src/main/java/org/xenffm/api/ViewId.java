// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * An altp2m view index (C {@code uint16_t view_id}). Beware Xen's asymmetry: in the mem_access and suppress_ve
 * calls view 0 means the host p2m, in {@code change_gfn} it means altp2m slot 0 (docs/xen-semantics.md
 * §4.6/§4.7).
 *
 * @param value the index, 0 to 0xffff
 */
public record ViewId(int value) implements Comparable<ViewId> {
    /** View 0: the host p2m in the mem_access and suppress_ve calls, altp2m slot 0 in change_gfn. */
    public static final ViewId HOST = new ViewId(0);

    /**
     * Checks the range.
     *
     * @throws IllegalArgumentException outside 0 to 0xffff
     */
    public ViewId {
        if (value < 0 || value > 0xffff) throw new IllegalArgumentException("view index out of range: " + value);
    }

    /**
     * The view with this index.
     *
     * @param value the index, 0 to 0xffff
     * @return the view id
     */
    public static ViewId of(int value) { return new ViewId(value); }

    @Override public int compareTo(ViewId o) { return Integer.compare(value, o.value); }
    @Override public String toString() { return "view " + value; }
}
