// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import org.xenffm.api.XenException;

/**
 * Run in a child JVM by {@link XenLogChildJvmTest}. Mode "xenffm": opens XenHypervisor (libxc logs through
 * XenLog). Mode "raw": calls xc_interface_open(NULL, NULL, 0) directly, where libxc logs to stderr itself — the
 * control that shows the stderr assertion can fail.
 */
public final class OpenWithoutXenMain {
    public static void main(String[] args) throws Throwable {
        if (args.length > 0 && args[0].equals("raw")) {
            SymbolLookup l = SymbolLookup.libraryLookup("libxenctrl.so.4.17", Arena.global());
            var open = Linker.nativeLinker().downcallHandle(l.findOrThrow("xc_interface_open"),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT));
            MemorySegment h = (MemorySegment) open.invokeExact(MemorySegment.NULL, MemorySegment.NULL, 0);
            System.out.println("RAW-RESULT null=" + h.equals(MemorySegment.NULL));
            return;
        }
        try (XenHypervisor xen = new XenHypervisor()) {
            System.out.println("RESULT opened " + xen);
        } catch (XenException e) {
            System.out.println("RESULT " + e.getClass().getSimpleName() + " op=" + e.operation() + " errno="
                    + e.errno());
        }
        System.out.println("LOGGER relays=" + XenLog.slf4j().relays());
    }
}
