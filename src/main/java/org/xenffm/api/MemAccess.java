// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * Page access rights ({@code xenmem_access_t}). No raw number crosses the API: the backends convert with
 * {@link #toXen(XenVersion)} / {@link #fromXen(int, XenVersion)}, because Xen 4.20 inserted {@code r_pw} at 10 and
 * moved {@code default} from 10 to 11 (public/memory.h; docs/xen-semantics.md §5.1).
 */
public enum MemAccess {
    N(false, false, false), R(true, false, false), W(false, true, false), RW(true, true, false),
    X(false, false, true), RX(true, false, true), WX(false, true, true), RWX(true, true, true),
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

    public boolean allowsRead() { return read; }
    public boolean allowsWrite() { return write; }
    public boolean allowsExec() { return exec; }

    /** Whether a guest access of this kind violates the access (hvm.c:hvm_hap_nested_page_fault table). */
    public boolean violatedBy(boolean r, boolean w, boolean x) {
        if (this == DEFAULT) throw new IllegalStateException("DEFAULT must be resolved before checking");
        return (r && !read) || (w && !write) || (x && !exec);
    }

    /** The xenmem_access_t number for the given Xen; R_PW on Xen &lt; 4.20 is refused. */
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

    /** Decodes a xenmem_access_t number read from the given Xen; out-of-table values are an error. */
    public static MemAccess fromXen(int value, XenVersion v) {
        boolean has420 = v.atLeast(4, 20);
        if (value >= 0 && value <= 9) return values()[value];
        if (value == 10) return has420 ? R_PW : DEFAULT;
        if (value == 11 && has420) return DEFAULT;
        throw new IllegalArgumentException("xenmem_access_t " + value + " is not defined on Xen " + v);
    }

    /** Parses "rwx", "rx2rw", "n2rwx", "r_pw", "default" (case-insensitive). */
    public static MemAccess parse(String s) {
        return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }

    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
}
