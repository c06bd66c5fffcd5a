// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * A mem_sharing handle returned by nominate (global, from 2 upwards after boot, never reused).
 *
 * @param value the handle Xen returned
 */
public record SharingHandle(long value) {
    /**
     * The handle with this value.
     *
     * @param value the handle Xen returned
     * @return the handle
     */
    public static SharingHandle of(long value) { return new SharingHandle(value); }

    @Override public String toString() { return "handle 0x" + Long.toHexString(value); }
}
