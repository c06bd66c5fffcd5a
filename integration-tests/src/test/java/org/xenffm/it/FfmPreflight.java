// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.xenffm.api.XenVersion;

/**
 * Harness self-check, run in the Bochs dom0 before the suite: proves the jlink'ed runtime, the glibc pieces in the
 * initramfs and libxenctrl are all there by calling xc_interface_open + xc_version(XENVER_version) through FFM,
 * without any xenffm code (the first libxenctrl of {@link XenVersion#SUPPORTED} the dom0 has; the initramfs holds
 * exactly one). Prints "FFM-PREFLIGHT xen=4.17 lib=libxenctrl.so.4.17 ..." or fails with the reason.
 */
public final class FfmPreflight {
    public static void main(String[] args) throws Throwable {
        long t0 = System.nanoTime();
        Linker linker = Linker.nativeLinker();
        try (Arena arena = Arena.ofConfined()) {
            String soname = null;
            SymbolLookup xc = null;
            for (XenVersion v : XenVersion.SUPPORTED) {
                try {
                    xc = SymbolLookup.libraryLookup(v.xenctrlSoname(), arena);
                    soname = v.xenctrlSoname();
                    break;
                } catch (IllegalArgumentException notThere) {
                    // try the next release
                }
            }
            if (xc == null) throw new IllegalStateException("no libxenctrl of " + XenVersion.SUPPORTED + " loads");
            MethodHandle open = linker.downcallHandle(xc.findOrThrow("xc_interface_open"),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT));
            MethodHandle version = linker.downcallHandle(xc.findOrThrow("xc_version"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS));
            MethodHandle close = linker.downcallHandle(xc.findOrThrow("xc_interface_close"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            MemorySegment xch = (MemorySegment) open.invokeExact(MemorySegment.NULL, MemorySegment.NULL, 0);
            if (xch.equals(MemorySegment.NULL)) throw new IllegalStateException("xc_interface_open failed");
            int v = (int) version.invokeExact(xch, 0 /* XENVER_version */, MemorySegment.NULL);
            int rc = (int) close.invokeExact(xch);
            System.out.printf("FFM-PREFLIGHT xen=%d.%d lib=%s close=%d %.0f ms%n", v >>> 16, v & 0xffff, soname, rc,
                    (System.nanoTime() - t0) / 1e6);
        }
    }
}
