// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

/** Xen's p2m_type_t (asm/p2m.h), with the type classes mem_sharing and altp2m test. */
public enum P2mType {
    /** p2m_ram_rw (0): ordinary RAM. */
    RAM_RW,
    /** p2m_invalid (1): nothing mapped. */
    INVALID,
    /** p2m_ram_logdirty (2): RAM under log-dirty tracking. */
    RAM_LOGDIRTY,
    /** p2m_ram_ro (3): read-only RAM. */
    RAM_RO,
    /** p2m_mmio_dm (4): emulated MMIO, handled by the device model. */
    MMIO_DM,
    /** p2m_mmio_direct (5): passed-through MMIO. */
    MMIO_DIRECT,
    /** p2m_populate_on_demand (6). */
    POPULATE_ON_DEMAND,
    /** p2m_grant_map_rw (7): a grant mapping. */
    GRANT_MAP_RW,
    /** p2m_grant_map_ro (8): a read-only grant mapping. */
    GRANT_MAP_RO,
    /** p2m_ram_paging_out (9). */
    RAM_PAGING_OUT,
    /** p2m_ram_paged (10). */
    RAM_PAGED,
    /** p2m_ram_paging_in (11). */
    RAM_PAGING_IN,
    /** p2m_ram_shared (12): a mem_sharing page, copied on write. */
    RAM_SHARED,
    /** p2m_ram_broken (13). */
    RAM_BROKEN,
    /** p2m_map_foreign (14): another domain's page. */
    MAP_FOREIGN,
    /** p2m_ioreq_server (15). */
    IOREQ_SERVER;

    /** {@return the number Xen uses (e.g. p2mt = 12 in a MEM_SHARING request)} */
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
