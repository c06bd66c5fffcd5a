// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/** The x86 paging modes a guest's page tables can be in, as CR0.PG, CR4.PAE, EFER.LMA and CR4.LA57 select them. */
public enum PagingMode {
    /** CR0.PG = 0: linear address = guest-physical address. */
    NONE(0),
    /** 32-bit paging: two levels of 4-byte entries, 4 KiB pages and 4 MiB pages (PDE.PS with CR4.PSE). */
    LEGACY(2),
    /** PAE: a 4-entry PDPT, then two levels of 8-byte entries; 2 MiB pages; NX. */
    PAE(3),
    /** IA-32e 4-level paging: PML4, PDPT (1 GiB pages), PD (2 MiB pages), PT; NX; 48-bit canonical addresses. */
    LONG4(4),
    /** IA-32e 5-level paging (CR4.LA57): PML5 above PML4; 57-bit canonical addresses. */
    LONG5(5);

    /** Number of table levels walked. */
    public final int levels;

    PagingMode(int levels) { this.levels = levels; }

    /** Control-register and EFER bits that select the mode. */
    public static final long CR0_PG = 1L << 31, CR4_PSE = 1 << 4, CR4_PAE = 1 << 5, CR4_LA57 = 1 << 12, EFER_LMA = 1 << 10,
            EFER_NXE = 1 << 11;

    /**
     * The mode the registers put the vCPU in.
     *
     * @param r the vCPU's registers (CR0.PG, CR4.PAE/LA57, EFER.LMA)
     * @return the paging mode
     */
    public static PagingMode of(X86Registers r) { return of(r.cr0(), r.cr4(), r.msrEfer()); }

    /**
     * The mode CR0, CR4 and EFER select.
     *
     * @param cr0  CR0 (PG)
     * @param cr4  CR4 (PAE, LA57)
     * @param efer the EFER MSR (LMA)
     * @return the paging mode
     */
    public static PagingMode of(long cr0, long cr4, long efer) {
        if ((cr0 & CR0_PG) == 0) return NONE;
        if ((efer & EFER_LMA) != 0) return (cr4 & CR4_LA57) != 0 ? LONG5 : LONG4;
        return (cr4 & CR4_PAE) != 0 ? PAE : LEGACY;
    }
}
