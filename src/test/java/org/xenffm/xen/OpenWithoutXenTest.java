// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.XenNotAvailableException;

/** This machine has libxenctrl but no Xen: every open must say so precisely. */
class OpenWithoutXenTest {

    @BeforeAll
    static void noXenHere() {
        assumeFalse(Files.exists(Path.of("/dev/xen/privcmd")) || Files.exists(Path.of("/proc/xen/privcmd")),
                "this test expects a host without Xen");
    }

    @Test
    void xcInterfaceOpenFailsWithEnoent() {
        XenNotAvailableException e = assertThrows(XenNotAvailableException.class, XenHypervisor::new);
        assertEquals("xc_interface_open", e.operation());
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals(2, e.errnoValue());
        assertTrue(e.getMessage().contains("--backend emulated"), e.getMessage());
        assertTrue(e.domain().isEmpty());
    }

    @Test
    void xenevtchnOpenFailsWithEnoent() {
        XenNotAvailableException e = assertThrows(XenNotAvailableException.class,
                () -> new XenEventChannel(XenLibrary.load(), XenLog.slf4j(), () -> { }));
        assertEquals("xenevtchn_open", e.operation());
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("/dev/xen/evtchn"), e.getMessage());
    }

    @Test
    void xenforeignmemoryOpensLazilyAndFailsWithEnoent() {
        try (XenForeignMemory fm = new XenForeignMemory(XenLibrary.load(), XenLog.slf4j())) {
            XenNotAvailableException e = assertThrows(XenNotAvailableException.class,
                    () -> fm.map(DomainId.of(1), false, List.of(Gfn.of(0x200))));
            assertEquals("xenforeignmemory_open", e.operation());
            assertEquals(Errno.ENOENT, e.errno());
            fm.close();
            assertThrows(IllegalStateException.class, () -> fm.map(DomainId.of(1), false, List.of(Gfn.of(1))));
        }
    }

    @Test
    void hostProbeReportsLibraryButNoXen() {
        HostProbe.Report r = HostProbe.probe();
        assertTrue(r.libraryFound());
        assertTrue(r.libxenctrl().orElseThrow().toString().contains("libxenctrl.so.4.17"));
        assertTrue(r.libraryProblem().isEmpty());
        assertFalse(r.xenPresent());
        assertTrue(r.xenProblem().orElseThrow().contains("ENOENT"), r.xenProblem().toString());
        assertTrue(r.xenVersion().isEmpty());
        assertTrue(r.vmEventVersion().isEmpty());
    }

    @Test
    void hostProbeReportsAMissingLibrary() {
        HostProbe.Report r = HostProbe.probe("libxenctrl.so.4.20");   // carried, but Debian 12 does not have it
        assertFalse(r.libraryFound());
        assertTrue(r.libraryProblem().orElseThrow().contains("libxenmisc4.20"), r.libraryProblem().toString());
        assertFalse(r.xenPresent());
        // a release xenffm does not carry is refused as such, installed or not
        HostProbe.Report u = HostProbe.probe("libxenctrl.so.4.98");
        assertFalse(u.libraryFound());
        assertTrue(u.libraryProblem().orElseThrow().contains("no bindings for Xen 4.98"), u.libraryProblem().toString());
        assertTrue(u.libraryProblem().orElseThrow().contains("supports Xen 4.17, 4.20"), u.libraryProblem().toString());
    }
}
