// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * A guest frame number (C {@code xen_pfn_t}, 64 bits unsigned). {@link #INVALID} is Xen's INVALID_GFN (~0).
 *
 * @param value the frame number, unsigned
 */
public record Gfn(long value) implements Comparable<Gfn> {
    /** INVALID_GFN (~0): "no gfn"; the mem_access calls read it as "the default access". */
    public static final Gfn INVALID = new Gfn(~0L);

    /**
     * The frame with this number.
     *
     * @param value the frame number, unsigned
     * @return the gfn
     */
    public static Gfn of(long value) { return new Gfn(value); }

    /**
     * The frame holding a guest physical address.
     *
     * @param gpa the guest physical address
     * @return its 4 KiB frame
     */
    public static Gfn ofGpa(long gpa) { return new Gfn(gpa >>> 12); }

    /** {@return whether this is INVALID_GFN} */
    public boolean isInvalid() { return value == ~0L; }

    /**
     * The frame {@code n} frames above this one.
     *
     * @param n the distance, may be negative
     * @return the gfn {@code value + n}
     */
    public Gfn plus(long n) { return new Gfn(value + n); }

    @Override public int compareTo(Gfn o) { return Long.compareUnsigned(value, o.value); }
    @Override public String toString() { return isInvalid() ? "gfn ~0" : "gfn 0x" + Long.toHexString(value); }
}
