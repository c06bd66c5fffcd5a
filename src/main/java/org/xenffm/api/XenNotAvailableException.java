// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/** Xen cannot be reached from here: libxenctrl is missing, or the privcmd device is not there (not in dom0). */
public class XenNotAvailableException extends XenException {
    public XenNotAvailableException(String operation, int errnoValue, String detail) {
        super(operation, null, null, null, errnoValue, detail);
    }
}
