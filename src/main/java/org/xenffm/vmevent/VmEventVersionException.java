// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

/**
 * The running hypervisor speaks a vm_event interface version this consumer does not decode (xc_vm_event_get_version
 * differs from {@link VmEventAbi#VERSION}). Raised before anything is read from the ring, so a layout change (v3 →
 * v7 grew the register block from 256 to 344 bytes) is never misread (LibVMI #852, DRAKVUF #355/#388).
 *
 * @serial exclude
 */
public final class VmEventVersionException extends VmEventException {
    private final int expected, found;

    /**
     * A version mismatch.
     *
     * @param expected the version this consumer decodes
     * @param found    the version the hypervisor reports
     */
    public VmEventVersionException(int expected, int found) {
        super("the hypervisor reports vm_event interface version " + found + ", this consumer decodes version "
                + expected + (found < expected ? " (Xen older than 4.15?)" : " (a newer Xen: update xenffm)"));
        this.expected = expected;
        this.found = found;
    }

    /** {@return the version this consumer decodes} */
    public int expected() { return expected; }
    /** {@return the version xc_vm_event_get_version reported} */
    public int found() { return found; }
}
