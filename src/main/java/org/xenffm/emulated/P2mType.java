// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

/** Xen's p2m_type_t (asm/p2m.h), with the type classes mem_sharing and altp2m test. */
public enum P2mType {
    RAM_RW, INVALID, RAM_LOGDIRTY, RAM_RO, MMIO_DM, MMIO_DIRECT, POPULATE_ON_DEMAND, GRANT_MAP_RW, GRANT_MAP_RO,
    RAM_PAGING_OUT, RAM_PAGED, RAM_PAGING_IN, RAM_SHARED, RAM_BROKEN, MAP_FOREIGN, IOREQ_SERVER;

    /** The number Xen uses (e.g. p2mt = 12 in a MEM_SHARING request). */
    public int xen() { return ordinal(); }

    /** p2m_is_sharable: ram_rw, ram_logdirty. */
    boolean sharable() { return this == RAM_RW || this == RAM_LOGDIRTY; }

    /** p2m_is_hole: invalid, mmio_dm, paged, paging_in (add_to_physmap's client test). */
    boolean hole() { return this == INVALID || this == MMIO_DM || this == RAM_PAGED || this == RAM_PAGING_IN; }

    /** p2m_is_ram. */
    boolean ram() {
        return switch (this) {
            case RAM_RW, RAM_LOGDIRTY, RAM_RO, RAM_PAGING_OUT, RAM_PAGED, RAM_PAGING_IN, RAM_SHARED -> true;
            default -> false;
        };
    }
}
