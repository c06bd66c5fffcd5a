// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/** A mem_sharing handle returned by nominate (global, from 2 upwards after boot, never reused). */
public record SharingHandle(long value) {
    public static SharingHandle of(long value) { return new SharingHandle(value); }

    @Override public String toString() { return "handle 0x" + Long.toHexString(value); }
}
