// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * A Xen domain id (C {@code domid_t}, 16 bits unsigned; passed as {@code uint32_t} by libxenctrl).
 *
 * @param value the id, 0 to 0xffff
 */
public record DomainId(int value) implements Comparable<DomainId> {
    /** DOMID_SELF (0x7ff0): the calling domain. */
    public static final DomainId SELF = new DomainId(0x7ff0);
    /** DOMID_INVALID (0x7ff4): "no domain", used e.g. by XEN_VM_EVENT_GET_VERSION. */
    public static final DomainId INVALID = new DomainId(0x7ff4);
    /** dom0, the control domain. */
    public static final DomainId DOM0 = new DomainId(0);

    /**
     * Checks the range.
     *
     * @throws IllegalArgumentException outside 0 to 0xffff
     */
    public DomainId {
        if (value < 0 || value > 0xffff) throw new IllegalArgumentException("domid out of range: " + value);
    }

    /**
     * The domain with this id.
     *
     * @param value the id, 0 to 0xffff
     * @return the id
     */
    public static DomainId of(int value) { return new DomainId(value); }

    @Override public int compareTo(DomainId o) { return Integer.compare(value, o.value); }
    @Override public String toString() { return "d" + value; }

    // equals and hashCode spelled out: a record's own bootstrap through ObjectMethods spins method-handle classes
    // on first use, which the JDK 25 AOT cache does not keep; every start of the CLI hashes domain ids
    @Override public boolean equals(Object o) { return o instanceof DomainId d && d.value == value; }

    @Override public int hashCode() { return value; }
}
