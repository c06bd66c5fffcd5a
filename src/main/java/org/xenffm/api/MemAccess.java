// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * Page access rights ({@code xenmem_access_t}). No raw number crosses the API: the backends convert with
 * {@link #toXen(XenVersion)} / {@link #fromXen(int, XenVersion)}, because Xen 4.20 inserted {@code r_pw} at 10 and
 * moved {@code default} from 10 to 11 (public/memory.h; docs/xen-semantics.md §5.1).
 */
public enum MemAccess {
    /** No access (XENMEM_access_n = 0). */
    N(false, false, false),
    /** Read only (1). */
    R(true, false, false),
    /** Write only (2). */
    W(false, true, false),
    /** Read and write (3). */
    RW(true, true, false),
    /** Execute only (4). */
    X(false, false, true),
    /** Read and execute (5). */
    RX(true, false, true),
    /** Write and execute (6). */
    WX(false, true, true),
    /** Everything (7), a new domain's default. */
    RWX(true, true, true),
    /** Read/exec; the first write silently upgrades the page to rw with no event. */
    RX2RW(true, false, true),
    /** No access; the first access upgrades to rwx and sends an event without pausing. */
    N2RWX(false, false, false),
    /** Read, page-walk writes allowed (Xen ≥ 4.20 only). */
    R_PW(true, false, false),
    /** "The p2m's default access" — resolved by Xen, never stored. */
    DEFAULT(false, false, false);

    private final boolean read, write, exec;

    MemAccess(boolean r, boolean w, boolean x) { read = r; write = w; exec = x; }

    /** {@return whether a read is allowed} */
    public boolean allowsRead() { return read; }
    /** {@return whether a write is allowed} */
    public boolean allowsWrite() { return write; }
    /** {@return whether an instruction fetch is allowed} */
    public boolean allowsExec() { return exec; }

    /**
     * Whether a guest access of this kind violates the access (hvm.c:hvm_hap_nested_page_fault table).
     *
     * @param r the access reads
     * @param w the access writes
     * @param x the access fetches an instruction
     * @return whether any of them is forbidden
     * @throws IllegalStateException for {@link #DEFAULT}, which has no rights of its own
     */
    public boolean violatedBy(boolean r, boolean w, boolean x) {
        if (this == DEFAULT) throw new IllegalStateException("DEFAULT must be resolved before checking");
        return (r && !read) || (w && !write) || (x && !exec);
    }

    /**
     * The xenmem_access_t number for the given Xen.
     *
     * @param v the Xen release the number is for
     * @return the number, 0 to 11
     * @throws UnsupportedOnThisXenException {@link #R_PW} on Xen before 4.20
     */
    public int toXen(XenVersion v) {
        boolean has420 = v.atLeast(4, 20);
        return switch (this) {
            case R_PW -> {
                if (!has420) throw new UnsupportedOnThisXenException("XENMEM_access_r_pw", v, "4.20");
                yield 10;
            }
            case DEFAULT -> has420 ? 11 : 10;
            default -> ordinal();
        };
    }

    /**
     * Decodes a xenmem_access_t number read from the given Xen.
     *
     * @param value the number
     * @param v     the Xen release it came from
     * @return the access
     * @throws IllegalArgumentException a number that release does not define
     */
    public static MemAccess fromXen(int value, XenVersion v) {
        boolean has420 = v.atLeast(4, 20);
        if (value >= 0 && value <= 9) return values()[value];
        if (value == 10) return has420 ? R_PW : DEFAULT;
        if (value == 11 && has420) return DEFAULT;
        throw new IllegalArgumentException("xenmem_access_t " + value + " is not defined on Xen " + v);
    }

    /**
     * Parses "rwx", "rx2rw", "n2rwx", "r_pw", "default" (case-insensitive).
     *
     * @param s the name
     * @return the access
     * @throws IllegalArgumentException an unknown name
     */
    public static MemAccess parse(String s) {
        return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }

    /** {@return the lower-case name, as {@link #parse} reads it} */
    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
}
