// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * What a guest-virtual address is translated with: the paging mode, CR3, and the two feature bits that change how
 * entries are read (CR4.PSE enables 4 MiB pages in 32-bit paging; EFER.NXE makes bit 63 of PAE/long-mode entries the
 * no-execute bit instead of a reserved bit).
 *
 * @param mode the paging mode
 * @param cr3  the page-table base
 * @param pse  CR4.PSE
 * @param nxe  EFER.NXE
 */
public record AddressSpace(PagingMode mode, long cr3, boolean pse, boolean nxe) {
    /**
     * A vCPU's current address space.
     *
     * @param r the vCPU's registers (CR0, CR3, CR4, EFER)
     * @return its address space
     */
    public static AddressSpace of(X86Registers r) { return of(r.cr0(), r.cr3(), r.cr4(), r.msrEfer()); }

    /**
     * The address space the control registers and EFER describe.
     *
     * @param cr0  CR0
     * @param cr3  CR3, the page-table base
     * @param cr4  CR4
     * @param efer the EFER MSR
     * @return the address space
     */
    public static AddressSpace of(long cr0, long cr3, long cr4, long efer) {
        return new AddressSpace(PagingMode.of(cr0, cr4, efer), cr3, (cr4 & PagingMode.CR4_PSE) != 0,
                (efer & PagingMode.EFER_NXE) != 0);
    }

    /**
     * x86-64 4-level paging with NX, e.g. a Linux or Windows kernel's CR3.
     *
     * @param cr3 the page-table base
     * @return the address space
     */
    public static AddressSpace long4(long cr3) { return new AddressSpace(PagingMode.LONG4, cr3, true, true); }

    /**
     * Another CR3 in the same mode (a process's address space seen from the kernel's registers).
     *
     * @param cr3 the page-table base
     * @return the address space
     */
    public AddressSpace withCr3(long cr3) { return new AddressSpace(mode, cr3, pse, nxe); }
}
