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

    /** {@return the 8-byte word holding the 32-bit field {@code lo} at its offset 0 and {@code hi} at offset 4} */
    static long pair(int lo, int hi) { return (lo & 0xffff_ffffL) | ((long) hi << 32); }

    /** Stores the 16-bit field at byte offset {@code off} (naturally aligned), leaving the word's other bytes. */
    static void set16(long[] w, long off, int v) {
        int i = (int) (off >>> 3), sh = (int) ((off & 7) << 3);
        w[i] = (w[i] & ~(0xffffL << sh)) | ((v & 0xffffL) << sh);
    }
}
