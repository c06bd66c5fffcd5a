// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/** VM_EVENT_X86_* control register indices for xc_monitor_write_ctrlreg. */
public enum ControlRegister {
    CR0(0), CR3(1), CR4(2), XCR0(3);

    private final int index;

    ControlRegister(int index) { this.index = index; }

    public int index() { return index; }

    public static ControlRegister ofIndex(int i) {
        for (ControlRegister c : values()) if (c.index == i) return c;
        throw new IllegalArgumentException("no control register index " + i);
    }
}
