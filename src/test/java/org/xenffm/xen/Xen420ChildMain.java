// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import org.xenffm.api.XenException;

/** Run by {@link Xen420LibraryTest} in a child JVM whose LD_LIBRARY_PATH holds Debian 13's Xen 4.20 libraries. */
public final class Xen420ChildMain {
    public static void main(String[] args) {
        XenLibrary lib = XenLibrary.load("libxenctrl.so.4.20");
        System.out.println("ABI " + lib.abi() + " FILE " + lib.file(XenLibrary.Lib.XENCTRL).orElseThrow());
        int linked = 0, xenstore = 0;
        String xenstoreFailure = null;
        for (NativeFunction f : XenHypervisor.nativeFunctions()) {
            if (!f.existsIn(lib.abi())) continue;
            if (f.lib() == XenLibrary.Lib.XENSTORE) {   // loaded on first use; Debian 13's needs glibc 2.38
                try {
                    lib.downcall(f).handle();
                    xenstore++;
                } catch (org.xenffm.api.XenNotAvailableException e) {
                    xenstoreFailure = e.operation() + " " + e.errno() + " " + e.getMessage();
                }
                continue;
            }
            lib.downcall(f).handle();
            linked++;
        }
        System.out.println("LINKED " + linked);
        System.out.println(xenstoreFailure == null ? "XENSTORE LINKED " + xenstore : "XENSTORE " + xenstoreFailure);
        lib.checkHypervisor(org.xenffm.api.XenVersion.V4_20);
        try {
            lib.checkHypervisor(org.xenffm.api.XenVersion.V4_17);
        } catch (org.xenffm.api.UnsupportedXenVersionException e) {
            System.out.println("MISMATCH " + e.getMessage());
        }
        try (XenHypervisor xen = new XenHypervisor(lib)) {
            System.out.println("OPENED " + xen);
        } catch (XenException e) {
            System.out.println("OPEN " + e.getClass().getSimpleName() + " " + e.operation() + " " + e.errno());
        }
    }
}
