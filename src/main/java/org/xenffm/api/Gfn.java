// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/** A guest frame number (C {@code xen_pfn_t}, 64 bits unsigned). {@link #INVALID} is Xen's INVALID_GFN (~0). */
public record Gfn(long value) implements Comparable<Gfn> {
    public static final Gfn INVALID = new Gfn(~0L);

    public static Gfn of(long value) { return new Gfn(value); }

    /** The frame holding a guest physical address. */
    public static Gfn ofGpa(long gpa) { return new Gfn(gpa >>> 12); }

    public boolean isInvalid() { return value == ~0L; }

    public Gfn plus(long n) { return new Gfn(value + n); }

    @Override public int compareTo(Gfn o) { return Long.compareUnsigned(value, o.value); }
    @Override public String toString() { return isInvalid() ? "gfn ~0" : "gfn 0x" + Long.toHexString(value); }
}
