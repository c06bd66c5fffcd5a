// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xenffm.api.Errno;
import org.xenffm.api.XenNotAvailableException;
import org.xenffm.api.XenVersion;

/** The real Debian libxenctrl 4.17 (libxen-dev is installed here; Xen itself is not). */
class XenLibraryTest {

    @Test
    void opensLibxenctrl417BySonameAndKnowsItsFile() {
        XenLibrary lib = XenLibrary.load();
        assertEquals("libxenctrl.so.4.17", lib.xenctrlSoname());
        Path file = lib.file(XenLibrary.Lib.XENCTRL).orElseThrow();
        assertTrue(Files.isRegularFile(file), file + " should exist");
        assertTrue(file.getFileName().toString().startsWith("libxenctrl.so.4.17"), file.toString());
        assertTrue(lib.file(XenLibrary.Lib.XENEVTCHN).orElseThrow().toString().contains("libxenevtchn.so.1"));
        assertTrue(lib.file(XenLibrary.Lib.XENFOREIGNMEMORY).orElseThrow().toString()
                .contains("libxenforeignmemory.so.1"));
        assertSame(lib, XenLibrary.load("libxenctrl.so.4.17"), "one instance per soname");
    }

    @Test
    void everyFunctionTheBackendBindsResolvesAndLinks() {
        XenLibrary lib = XenLibrary.load();
        List<NativeFunction> functions = XenHypervisor.nativeFunctions();
        Set<String> names = new HashSet<>();
        for (NativeFunction f : functions) {
            assertTrue(names.add(f.name()), "declared twice: " + f.name());
            if (!f.existsIn(lib.abi())) {
                assertTrue(lib.abi().compareTo(f.since()) < 0, f.name());
                assertEquals(java.util.Optional.empty(), java.lang.foreign.SymbolLookup.libraryLookup(
                        "libxenctrl.so.4.17", java.lang.foreign.Arena.global()).find(f.name()),
                        f.name() + " is marked newer than 4.17, so 4.17 must not export it");
                continue;
            }
            MethodHandle h = lib.downcall(f).handle(); // symbol lookup + the bindings' descriptor + errno capture
            assertNotNull(h, f.name());
            // the capture segment is the extra leading parameter
            assertEquals(f.descriptor().get().argumentLayouts().size() + 1, h.type().parameterCount(), f.name());
        }
        // the declarations are found by reflection; make sure that actually finds each family
        for (String expected : List.of("xc_interface_open", "xc_domain_getinfolist", "xc_memshr_fork",
                "xc_altp2m_set_supress_ve_multi", "xc_set_mem_access_multi", "xc_monitor_enable",
                "xenevtchn_pending", "xenforeignmemory_map", "poll", "vsnprintf"))
            assertTrue(names.contains(expected), expected + " missing from " + names);
        System.out.println("native functions bound: " + functions.size() + " (libxenctrl "
                + functions.stream().filter(f -> f.lib() == XenLibrary.Lib.XENCTRL).count() + ")");
    }

    @Test
    void handWrittenSignaturesAreEveryCarriedReleasesOwn() throws Exception {
        int byHand = 0;
        for (NativeFunction f : XenHypervisor.nativeFunctions()) {
            if (!f.byHand()) continue;
            byHand++;
            for (Class<?> bindings : List.of(org.xenffm.bindings.xen417.Xen.class,
                    org.xenffm.bindings.xen420.Xen.class))
                assertEquals(bindings.getMethod(f.name() + "$descriptor").invoke(null), f.descriptor().get(),
                        f.name() + " in " + bindings.getPackageName());
        }
        assertEquals(3, byHand, "xc_interface_open, xc_interface_close and xc_version");
    }

    @Test
    void theLibrarysFileFromProcMapsIsTheOneDladdrNames() throws Exception {
        XenLibrary.load();
        var symbol = java.lang.foreign.SymbolLookup.libraryLookup("libxenctrl.so.4.17", java.lang.foreign.Arena.global())
                .findOrThrow("xc_interface_open");
        Path mapped = LibC.mappedFile(symbol.address()).orElseThrow();
        Path linked = LibC.dladdrFile(symbol).orElseThrow();
        assertTrue(Files.isSameFile(mapped, linked), mapped + " vs " + linked);
        assertEquals(java.util.Optional.empty(), LibC.mappedFile(0), "nothing is mapped at address 0");
    }

    @Test
    void everyFunctionHasADescriptorInTheXen420Bindings() throws Exception {
        // the 4.20 library cannot be loaded on this Debian 12 host; its descriptors are found by name
        for (NativeFunction f : XenHypervisor.nativeFunctions()) {
            if (f.lib() == XenLibrary.Lib.LIBC) continue;
            org.xenffm.bindings.xen420.Xen.class.getMethod(f.name() + "$descriptor");
        }
        assertEquals(XenVersion.V4_20, XenLibrary.abiOf("libxenctrl.so.4.20"));
        assertEquals(XenVersion.V4_17, XenLibrary.abiOf("libxenctrl.so.4.17"));
        XenNotAvailableException e = assertThrows(XenNotAvailableException.class,
                () -> XenLibrary.abiOf("libxenctrl.so.4.19"));
        assertTrue(e.getMessage().contains("no bindings for Xen 4.19"), e.getMessage());
    }

    @Test
    void theBackendBindsEveryFunctionTheBindingsCarry() {
        Set<String> bound = new HashSet<>();
        XenHypervisor.nativeFunctions().forEach(f -> bound.add(f.name()));
        // diagnostics the backend does not need (errno already carries the reason); xc_domain_getinfo (gone since
        // 4.18) and xc_domain_getinfo_single (since 4.18): the backend uses xc_domain_getinfolist on every version
        Set<String> unused = Set.of("xc_get_last_error", "xc_error_code_to_desc", "xc_domain_getinfo",
                "xc_domain_getinfo_single");
        for (Class<?> bindings : List.of(org.xenffm.bindings.xen417.Xen.class, org.xenffm.bindings.xen420.Xen.class)) {
            for (var m : bindings.getMethods()) {
                if (!m.getName().endsWith("$descriptor")) continue;
                String c = m.getName().substring(0, m.getName().length() - "$descriptor".length());
                if (!unused.contains(c)) assertTrue(bound.contains(c), c + " is in " + bindings + " but not bound");
            }
        }
    }

    @Test
    void aMissingSonameNamesTheLibraryAndTheDebianPackage() {
        // a carried release this Debian 12 host lacks (an uncarried one is refused as such: XenVersionChoiceTest)
        XenNotAvailableException e = assertThrows(XenNotAvailableException.class,
                () -> XenLibrary.load("libxenctrl.so.4.20"));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("libxenctrl.so.4.20"), e.getMessage());
        assertTrue(e.getMessage().contains("libxenmisc4.20"), e.getMessage());
        assertTrue(e.getMessage().contains("--backend emulated"), e.getMessage());
    }
}
