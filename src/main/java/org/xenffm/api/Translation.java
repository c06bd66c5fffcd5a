// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.List;

/**
 * A complete guest page walk: every level's entry, the guest-physical address it ends at, the page size and the
 * effective permissions (writable and user only if every level allows it; no-execute if any level forbids it).
 *
 * @param va        the guest-virtual address
 * @param gpa       the guest-physical address it translates to
 * @param space     the address space walked
 * @param walk      every level's entry, top first
 * @param pageSize  the page size (4 KiB, 2/4 MiB, 1 GiB)
 * @param writable  every level allows writes
 * @param user      every level allows user mode
 * @param noExecute some level forbids execution
 */
public record Translation(long va, long gpa, AddressSpace space, List<Level> walk, long pageSize, boolean writable,
                          boolean user, boolean noExecute) {
    /**
     * One table entry read during the walk.
     *
     * @param level    5 (PML5) … 1 (PT); for PAE 3 is the PDPT; for 32-bit paging 2 is the PD
     * @param name     PML5, PML4, PDPT, PD, PT
     * @param tableGpa the guest-physical address of the table
     * @param index    the entry's index in the table
     * @param entry    the entry (4 bytes zero-extended for 32-bit paging)
     */
    public record Level(int level, String name, long tableGpa, int index, long entry) {
        /**
         * The guest-physical address of the entry.
         *
         * @param entrySize 4 for 32-bit paging, 8 otherwise
         * @return the entry's address
         */
        public long entryGpa(int entrySize) { return tableGpa + (long) index * entrySize; }

        /** {@return whether the entry's present bit is set} */
        public boolean present() { return (entry & 1) != 0; }

        @Override public String toString() {
            return String.format("%s[%d] @ %#x = %#x", name, index, tableGpa, entry);
        }
    }

    /** Copies the walk. */
    public Translation {
        walk = List.copyOf(walk);
    }

    /** {@return the gfn the address translates to} */
    public long gfn() { return gpa >>> 12; }
}
