// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.List;

/**
 * A Xen major.minor version; decides ABI details (access numbering, altp2m mode, removed calls).
 *
 * @param major the major release, 4
 * @param minor the minor release, e.g. 17
 */
public record XenVersion(int major, int minor) implements Comparable<XenVersion> {
    /** Xen 4.17 (Debian 12). */
    public static final XenVersion V4_17 = new XenVersion(4, 17);
    /** Xen 4.20 (Debian 13). */
    public static final XenVersion V4_20 = new XenVersion(4, 20);
    /**
     * The releases xenffm carries bindings for and whose behaviour its emulator models, oldest first. The FFM
     * backend refuses any other hypervisor or libxenctrl release with {@link UnsupportedXenVersionException}.
     */
    public static final List<XenVersion> SUPPORTED = List.of(V4_17, V4_20);

    /** {@return whether xenffm carries this release} */
    public boolean supported() { return SUPPORTED.contains(this); }

    /** {@return the libxenctrl soname of this release, e.g. {@code libxenctrl.so.4.20}} */
    public String xenctrlSoname() { return "libxenctrl.so." + this; }

    /**
     * Decodes xc_version(XENVER_version): major in the high 16 bits, minor in the low 16.
     *
     * @param packed the value xc_version returned
     * @return the version
     */
    public static XenVersion fromXenverVersion(int packed) {
        return new XenVersion(packed >>> 16, packed & 0xffff);
    }

    /**
     * Parses "4.17", "4.20.4" (the patch level is ignored).
     *
     * @param s the version text
     * @return the major.minor version
     * @throws IllegalArgumentException for text without a major and a minor number
     */
    public static XenVersion parse(String s) {
        String[] p = s.trim().split("\\.");
        if (p.length < 2) throw new IllegalArgumentException("not a Xen version: " + s);
        return new XenVersion(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
    }

    /**
     * Xen ≥ 4.19: the altp2m mode is a domain-creation option ({@code xen_domctl_createdomain.altp2m_opts}, xl's
     * {@code altp2m = "external"}) and HVM_PARAM_ALTP2M is read-only (EEXIST for every value); before, the
     * toolstack sets the param (once) after creation.
     *
     * @return whether this release takes the altp2m mode at domain creation
     */
    public boolean altp2mAtCreation() { return atLeast(4, 19); }

    /**
     * Whether this release is {@code maj.min} or newer.
     *
     * @param maj the major release
     * @param min the minor release
     * @return {@code this >= maj.min}
     */
    public boolean atLeast(int maj, int min) {
        return major > maj || (major == maj && minor >= min);
    }

    @Override public int compareTo(XenVersion o) {
        return major != o.major ? Integer.compare(major, o.major) : Integer.compare(minor, o.minor);
    }

    @Override public String toString() { return major + "." + minor; }

    // equals and hashCode spelled out: a record's own bootstrap through ObjectMethods spins method-handle classes
    // on first use, which the JDK 25 AOT cache does not keep; every start of the CLI compares versions
    @Override public boolean equals(Object o) {
        return o instanceof XenVersion v && v.major == major && v.minor == minor;
    }

    @Override public int hashCode() { return 31 * major + minor; }
}
