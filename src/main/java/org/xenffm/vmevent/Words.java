// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import java.nio.ByteOrder;

/**
 * Field reads from a ring entry copied into a {@code long[]} (8-byte words), by C byte offset: plain array loads and
 * shifts, no allocation per field. Valid for naturally aligned fields (every vm_event field is), in the
 * little-endian byte order Xen's x86 and Arm ABIs share.
 */
final class Words {
    private Words() {}

    static {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
            throw new ExceptionInInitializerError("vm_event decoding assumes a little-endian host");
    }

    static long u64(long[] w, long off) { return w[(int) (off >>> 3)]; }

    static int u32(long[] w, long off) { return (int) (w[(int) (off >>> 3)] >>> ((off & 7) << 3)); }

    static int u16(long[] w, long off) { return (int) (w[(int) (off >>> 3)] >>> ((off & 7) << 3)) & 0xffff; }

    static int u8(long[] w, long off) { return (int) (w[(int) (off >>> 3)] >>> ((off & 7) << 3)) & 0xff; }
}
