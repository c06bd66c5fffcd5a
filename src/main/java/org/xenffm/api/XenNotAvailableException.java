// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * Xen cannot be reached from here: libxenctrl is missing, or the privcmd device is not there (not in dom0). Opening
 * {@code org.xenffm.xen.XenHypervisor} or an event channel raises it with ENOENT, ENXIO or ENODEV (no Xen device)
 * or EACCES / EPERM (not root).
 *
 * @serial exclude
 */
public class XenNotAvailableException extends XenException {
    /**
     * A failed open.
     *
     * @param operation  the call that failed, e.g. {@code xc_interface_open}
     * @param errnoValue its errno
     * @param detail     what it means and what to do, or null for the standard explanation
     */
    public XenNotAvailableException(String operation, int errnoValue, String detail) {
        super(operation, null, null, null, errnoValue, detail);
    }
}
