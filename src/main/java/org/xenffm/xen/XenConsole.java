// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.xenffm.api.ConsoleChunk;
import org.xenffm.bindings.xen417.Xen;

/**
 * Xen's console ring (XEN_SYSCTL_readconsole through xc_readconsolering): what {@code xl dmesg} shows. libxenctrl
 * bounces the buffer and copies in/out the character count and the index; nothing here is kept between calls.
 */
final class XenConsole extends XenFamily {
    static final NativeFunction XC_READCONSOLERING = NativeFunction.xenctrl("xc_readconsolering",
            Xen::xc_readconsolering$descriptor);

    private final Downcall read = bind(XC_READCONSOLERING);

    XenConsole(XcInterface xc) { super(xc); }

    /** xc_readconsolering(xch, buffer, &nr_chars, clear, incremental, &index): the index comes back either way. */
    ConsoleChunk read(int maxChars, boolean clear, boolean incremental, int index) {
        if (maxChars < 0) throw new IllegalArgumentException("maxChars < 0: " + maxChars);
        try (Arena a = Arena.ofConfined()) {   // the text buffer is variable-size: not the 4 KiB scratch
            MemorySegment buf = a.allocate(Math.max(1, maxChars));
            MemorySegment count = a.allocate(JAVA_INT);
            MemorySegment idx = a.allocate(JAVA_INT);
            count.set(JAVA_INT, 0, maxChars);
            idx.set(JAVA_INT, 0, index);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) read.handle().invokeExact(slot, xc.xch(), buf, count, clear ? 1 : 0, incremental ? 1 : 0,
                    idx);
            if (rc < 0) throw XcInterface.fail("xc_readconsolering", null, null, null, slot);
            // Xen's count never exceeds what was asked; clamp anyway rather than read past the buffer
            int n = (int) Math.clamp(Integer.toUnsignedLong(count.get(JAVA_INT, 0)), 0, maxChars);
            byte[] text = buf.asSlice(0, n).toArray(JAVA_BYTE);
            return new ConsoleChunk(new String(text, StandardCharsets.ISO_8859_1), idx.get(JAVA_INT, 0));
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }
}
