// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xenffm.api.Errno;
import org.xenffm.api.XenNotAvailableException;

/** libxenstore through FFM on a host without Xen: the library loads and links, xs_open fails with its real errno. */
class XenXenstoreTest {

    @Test
    void libxenstoreLoadsOnFirstUseAndEveryXsFunctionLinks() {
        XenLibrary lib = XenLibrary.load();
        List<NativeFunction> fs = XenXenstore.nativeFunctions();
        assertEquals(Set.of("xs_open", "xs_close", "xs_read", "xs_directory", "xs_write", "xs_rm", "free"),
                Set.copyOf(fs.stream().map(NativeFunction::name).toList()));
        for (NativeFunction f : fs) {
            MethodHandle h = lib.downcall(f).handle();
            assertEquals(f.descriptor().get().argumentLayouts().size() + 1, h.type().parameterCount(), f.name());
        }
        assertTrue(lib.file(XenLibrary.Lib.XENSTORE).orElseThrow().getFileName().toString()
                .startsWith("libxenstore.so.4"), lib.file(XenLibrary.Lib.XENSTORE).toString());
        assertEquals("libxenstore4", lib.debianPackage(XenLibrary.Lib.XENSTORE));
    }

    @Test
    void xsOpenWithoutXenstoredIsATypedNotAvailable() {
        assumeFalse(Files.exists(Path.of("/dev/xen/xenbus")) || Files.exists(Path.of("/var/run/xenstored/socket")),
                "this test expects a host without xenstored");
        XenNotAvailableException e = assertThrows(XenNotAvailableException.class, XenXenstore::open);
        assertEquals("xs_open", e.operation());
        // xs.c:xs_open tries xenstored's socket, then the xenbus device; neither exists here
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("xenstored is not reachable")
                && e.getMessage().contains("numeric ids do not"), e.getMessage());
        assertTrue(e.domain().isEmpty());
    }
}
