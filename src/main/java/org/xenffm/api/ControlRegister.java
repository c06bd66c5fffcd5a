// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/** VM_EVENT_X86_* control register indices for xc_monitor_write_ctrlreg. */
public enum ControlRegister {
    /** CR0 (VM_EVENT_X86_CR0 = 0). */
    CR0(0),
    /** CR3, the page-table base (VM_EVENT_X86_CR3 = 1). */
    CR3(1),
    /** CR4 (VM_EVENT_X86_CR4 = 2). */
    CR4(2),
    /** XCR0, the extended-state mask (VM_EVENT_X86_XCR0 = 3). */
    XCR0(3);

    private final int index;

    ControlRegister(int index) { this.index = index; }

    /** {@return the VM_EVENT_X86_* index Xen uses for this register} */
    public int index() { return index; }

    /**
     * The register for a VM_EVENT_X86_* index, e.g. from a WRITE_CTRLREG request.
     *
     * @param i the index, 0 to 3
     * @return the register
     * @throws IllegalArgumentException for any other index
     */
    public static ControlRegister ofIndex(int i) {
        for (ControlRegister c : values()) if (c.index == i) return c;
        throw new IllegalArgumentException("no control register index " + i);
    }
}
