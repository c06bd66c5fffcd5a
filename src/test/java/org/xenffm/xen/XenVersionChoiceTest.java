// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.GfnAccess;
import org.xenffm.api.MemAccess;
import org.xenffm.api.UnsupportedOnThisXenException;
import org.xenffm.api.UnsupportedXenVersionException;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenNotAvailableException;
import org.xenffm.api.XenVersion;

/**
 * Run-time choice of the Xen release, without Xen: which libxenctrl is opened, how the running hypervisor's release
 * is checked against it, and how MemAccess values become the numbers that release expects.
 */
class XenVersionChoiceTest {

    @Test
    void supportedReleasesAreTheCarriedBindings() {
        assertEquals(List.of(XenVersion.V4_17, XenVersion.V4_20), XenVersion.SUPPORTED);
        assertEquals(List.of("libxenctrl.so.4.17", "libxenctrl.so.4.20"), XenLibrary.candidateSonames());
        for (XenVersion v : XenVersion.SUPPORTED) assertEquals(v, XenLibrary.abiOf(v.xenctrlSoname()));
        var e = assertThrows(UnsupportedXenVersionException.class, () -> XenLibrary.abiOf("libxenctrl.so.4.19"));
        assertEquals(XenVersion.parse("4.19"), e.library().orElseThrow());
        assertTrue(e.getMessage().contains("supports Xen 4.17, 4.20"), e.getMessage());
    }

    @Test
    void loadTakesTheFirstCarriedLibraryThisHostHas() {
        // a missing soname is skipped (Debian 13 has no libxenctrl.so.4.17; this Debian 12 host has no .so.4.20)
        XenLibrary lib = XenLibrary.loadFirst(List.of("libxenctrl.so.4.20", "libxenctrl.so.4.17"));
        assertEquals(XenVersion.V4_17, lib.abi());
        var none = assertThrows(XenNotAvailableException.class,
                () -> XenLibrary.loadFirst(List.of("libxenctrl.so.4.20", "libxenctrl.so.4.98")));
        assertTrue(none.getMessage().contains("tried libxenctrl.so.4.20, libxenctrl.so.4.98"), none.getMessage());
    }

    @Test
    void theHypervisorMustRunTheLibrarysRelease() {
        XenLibrary lib = XenLibrary.load("libxenctrl.so.4.17");
        lib.checkHypervisor(XenVersion.V4_17);

        var mismatch = assertThrows(UnsupportedXenVersionException.class, () -> lib.checkHypervisor(XenVersion.V4_20));
        assertEquals(XenVersion.V4_20, mismatch.hypervisor().orElseThrow());
        assertEquals(XenVersion.V4_17, mismatch.library().orElseThrow());
        assertEquals("xc_version", mismatch.operation());
        String m = mismatch.getMessage();
        assertTrue(m.contains("hypervisor runs Xen 4.20 but the libxenctrl loaded is libxenctrl.so.4.17"), m);
        assertTrue(m.contains("libxenmisc4.20") && m.contains("-Dxenffm.libxenctrl=libxenctrl.so.4.20"), m);

        XenVersion v418 = XenVersion.parse("4.18");
        var unsupported = assertThrows(UnsupportedXenVersionException.class, () -> lib.checkHypervisor(v418));
        assertEquals(v418, unsupported.hypervisor().orElseThrow());
        assertTrue(unsupported.getMessage().contains("Xen 4.18, a release xenffm does not carry"),
                unsupported.getMessage());
        assertTrue(unsupported.getMessage().contains("xenffm supports Xen 4.17, 4.20"), unsupported.getMessage());
        assertEquals(XenVersion.SUPPORTED, unsupported.supported());
    }

    // public/memory.h: 4.20 inserted r_pw at 10 and moved default to 11; the bytes follow the RUNNING release
    @Test
    void accessNumbersFollowTheRunningRelease() {
        List<GfnAccess> entries = List.of(new GfnAccess(Gfn.of(1), MemAccess.DEFAULT),
                new GfnAccess(Gfn.of(2), MemAccess.N2RWX), new GfnAccess(Gfn.of(3), MemAccess.R_PW));
        try (Arena a = Arena.ofConfined()) {
            var m = XenMemAccess.Multi.encode(entries, XenVersion.V4_20, a);
            assertEquals(List.of((byte) 11, (byte) 9, (byte) 10), List.of(m.access().get(ValueLayout.JAVA_BYTE, 0),
                    m.access().get(ValueLayout.JAVA_BYTE, 1), m.access().get(ValueLayout.JAVA_BYTE, 2)));
            var m17 = XenMemAccess.Multi.encode(entries.subList(0, 2), XenVersion.V4_17, a);
            assertEquals(10, m17.access().get(ValueLayout.JAVA_BYTE, 0));
            assertThrows(UnsupportedOnThisXenException.class,
                    () -> XenMemAccess.Multi.encode(entries, XenVersion.V4_17, a));
        }
    }

    // every FFM entry point taking a MemAccess refuses r_pw on 4.17 before any hypercall (the dummy handle would
    // crash libxc if one were made)
    @Test
    void rPwIsRefusedOn417BeforeAnyHypercall() {
        DomainId d = DomainId.of(1);
        try (XenHypervisor xen = LifecycleTest.dummy()) {
            List<org.junit.jupiter.api.function.Executable> calls = List.of(
                    () -> xen.setMemAccess(d, MemAccess.R_PW, Gfn.of(1), 1),
                    () -> xen.setMemAccessMulti(d, List.of(new GfnAccess(Gfn.of(1), MemAccess.R_PW))),
                    () -> xen.altp2mCreateView(d, MemAccess.R_PW),
                    () -> xen.altp2mSetMemAccess(d, ViewId.of(1), Gfn.of(1), MemAccess.R_PW),
                    () -> xen.altp2mSetMemAccessMulti(d, ViewId.of(1), List.of(new GfnAccess(Gfn.of(1), MemAccess.R_PW))));
            for (var call : calls) {
                var e = assertThrows(UnsupportedOnThisXenException.class, call);
                assertEquals("XENMEM_access_r_pw", e.feature());
                assertEquals(XenVersion.V4_17, e.running());
                assertTrue(e.getMessage().contains("needs Xen 4.20"), e.getMessage());
            }
        }
    }
}
