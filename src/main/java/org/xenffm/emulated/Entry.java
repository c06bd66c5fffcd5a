// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.MemAccess;

/**
 * One p2m entry: (mfn, p2m type, access, suppress_ve). Stored packed in a long: mfn in bits 0–39 (all ones = INVALID),
 * type in 40–44, access ordinal in 45–48, suppress_ve in bit 49; bit 63 stays clear so a packed entry is never -1.
 *
 * @param mfn        the machine frame, {@link #INVALID_MFN} for none
 * @param type       the p2m type
 * @param access     the access rights (never {@link MemAccess#DEFAULT}: Xen resolves it before storing)
 * @param suppressVe the suppress-#VE bit
 */
public record Entry(long mfn, P2mType type, MemAccess access, boolean suppressVe) {
    /** INVALID_MFN in the emulator's 40-bit frame numbers. */
    public static final long INVALID_MFN = (1L << 40) - 1;
    /** An entry that maps nothing (p2m_invalid, rwx, suppress_ve set), as Xen clears one. */
    public static final Entry HOLE = new Entry(INVALID_MFN, P2mType.INVALID, MemAccess.RWX, true);
    private static final P2mType[] TYPES = P2mType.values();
    private static final MemAccess[] ACCESS = MemAccess.values();

    /**
     * Checks the access.
     *
     * @throws IllegalArgumentException for {@link MemAccess#DEFAULT}
     */
    public Entry {
        if (access == MemAccess.DEFAULT) throw new IllegalArgumentException("DEFAULT is resolved, never stored");
    }

    /** {@return mfn_valid: whether the entry maps a frame} */
    public boolean valid() { return mfn != INVALID_MFN; }

    Entry withAccess(MemAccess a) { return new Entry(mfn, type, a, suppressVe); }

    Entry withSuppressVe(boolean s) { return new Entry(mfn, type, access, s); }

    long pack() { return pack(mfn, type, access, suppressVe); }

    static Entry unpack(long p) { return new Entry(mfnOf(p), typeOf(p), accessOf(p), sveOf(p)); }

    // The fields of a packed entry: the guest-access paths work on packed entries, an Entry per lookup being most of
    // a guest write's garbage.

    static long pack(long mfn, P2mType t, MemAccess a, boolean suppressVe) {
        return (mfn & INVALID_MFN) | ((long) t.ordinal() << 40) | ((long) a.ordinal() << 45) | (suppressVe ? 1L << 49 : 0);
    }

    static long mfnOf(long p) { return p & INVALID_MFN; }

    static P2mType typeOf(long p) { return TYPES[(int) (p >>> 40) & 0x1f]; }

    static MemAccess accessOf(long p) { return ACCESS[(int) (p >>> 45) & 0xf]; }

    static boolean sveOf(long p) { return (p & (1L << 49)) != 0; }

    static boolean validPacked(long p) { return mfnOf(p) != INVALID_MFN; }

    static long ram(long mfn, P2mType t, MemAccess a) { return new Entry(mfn, t, a, true).pack(); }

    @Override public String toString() {
        return valid() ? "(mfn 0x" + Long.toHexString(mfn) + ", " + type + ", " + access.label() + (suppressVe ? ", sve" : "") + ")"
                : "(hole)";
    }
}
