// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.ConsoleChunk;

import java.nio.charset.StandardCharsets;

/**
 * Xen's console ring (drivers/char/console.c: conring, conringc/conringp, read_console_ring) and the lines the emulator
 * prints into it. The emulated Xen is booted as the Bochs harness boots real Xen ({@code loglvl=all
 * guest_loglvl=all}, no console timestamps: opt_con_timestamp_mode = TSM_NONE), so guest-level (XENLOG_G_*)
 * messages appear too, without rate limiting; every line starts with printk's "(XEN) ".
 */
final class Console {
    /** _CONRING_SIZE: 16 KiB unless conring_size= is given (a power of two, so the indexes wrap cleanly). */
    static final int SIZE = 16384;

    private final byte[] ring = new byte[SIZE];
    /** conringc (oldest character still readable) and conringp (next write), free-running uint32 counters. */
    private int c, p;

    /** printk of one line: "(XEN) " + text + newline, through conring_puts. */
    void printk(String line) {
        for (byte b : ("(XEN) " + line + "\n").getBytes(StandardCharsets.ISO_8859_1)) ring[p++ & (SIZE - 1)] = b;
        if (Integer.compareUnsigned(p - c, SIZE) > 0) c = p - SIZE;
    }

    /** read_console_ring: the same index rules, including the unsigned wrap of both counters. */
    ConsoleChunk read(int max, boolean clear, boolean incremental, int index) {
        int from = c;
        if (incremental && (Integer.compareUnsigned(c, p) <= 0
                ? Integer.compareUnsigned(c, index) < 0 && Integer.compareUnsigned(index, p) <= 0
                : Integer.compareUnsigned(c, index) < 0 || Integer.compareUnsigned(index, p) <= 0)) from = index;
        int n = (int) Math.min(Integer.toUnsignedLong(p - from), Integer.toUnsignedLong(max));
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) out[i] = ring[(from + i) & (SIZE - 1)];
        int end = from + n;
        if (clear) c = Integer.compareUnsigned(p - end, SIZE) > 0 ? p - SIZE : end;
        return new ConsoleChunk(new String(out, StandardCharsets.ISO_8859_1), end);
    }
}
