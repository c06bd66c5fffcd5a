// SPDX-License-Identifier: Apache-2.0
package org.xenffm.bindings;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every function bound in xen417 exists in the installed Xen 4.17 runtime libraries (a function only in other
 * Xen versions' headers, or a filter typo, fails here rather than in the backend); every function bound in any
 * package is exported by that version's libraries (their ELF dynamic symbol tables, read with readelf: Debian 13's
 * libraries are unpacked, not installed, and one process must not load two libxenctrl versions, see below).
 *
 * <p>Also documents how the backend must obtain descriptors: the bindings are generated without {@code -l}, so
 * {@code xc_foo$descriptor()} resolves the symbol through the class loader's lookup; the library must first be
 * {@code System.load}ed from a class of the same (application) class loader. libxenctrl pulls in
 * libxenevtchn/libxenforeignmemory/libxentoollog, whose symbols the same lookup then finds; poll/munmap come from
 * libc through the default lookup.
 */
class BoundSymbolsTest {

    static final String SONAME = "libxenctrl.so.4.17";
    static final List<Path> LIB_DIRS = XenVersions.SYSTEM_LIB_DIRS;
    /** What the bound functions come from, besides libc (poll, munmap): libxenctrl and the libraries it wraps. */
    static final List<String> XEN_LIBS = List.of("libxenevtchn.so.1", "libxenforeignmemory.so.1", "libxentoollog.so.1");

    static Stream<String> packages() throws IOException {
        return XenVersions.packages().stream();
    }

    @Test
    void everyBoundFunctionResolvesInLibxenctrl417() throws Exception {
        Path lib = LIB_DIRS.stream().map(d -> d.resolve(SONAME)).filter(Files::exists).findFirst()
                .orElse(null);
        if (lib == null) {
            fail(SONAME + " not found in " + LIB_DIRS + ": install libxen-dev (./run.sh deps; CI installs it)");
        }
        System.load(lib.toString());

        Class<?> xen = Class.forName("org.xenffm.bindings.xen417.Xen");
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (Method m : xen.getMethods()) {
            if (!m.getName().endsWith("$descriptor")) {
                continue;
            }
            String fn = m.getName().substring(0, m.getName().length() - "$descriptor".length());
            try {
                assertTrue(m.invoke(null) instanceof FunctionDescriptor);
                checked++;
            } catch (InvocationTargetException e) {
                problems.add(fn + ": " + e.getCause());
            }
        }
        if (!problems.isEmpty()) {
            fail(problems.size() + " bound functions unusable with " + lib + ":\n  " + String.join("\n  ", problems));
        }
        assertTrue(checked >= 80, "only " + checked + " functions found in the header class");
    }

    /**
     * Checked on the files, not by loading them: the bindings of every version use the class loader's symbol
     * lookup, so a process must load exactly one libxenctrl (the backend picks it at run time) or xc_* of one
     * version would silently resolve in the other's library.
     */
    @ParameterizedTest
    @MethodSource("packages")
    void everyBoundFunctionIsExportedByItsVersionsLibraries(String pkg) throws Exception {
        Path dir = XenVersions.libDir(pkg);
        List<Path> libs = new ArrayList<>();
        libs.add(dir.resolve("libxenctrl.so." + XenVersions.version(pkg)));
        XEN_LIBS.forEach(l -> libs.add(dir.resolve(l)));
        libs.add(LIB_DIRS.stream().map(d -> d.resolve("libc.so.6")).filter(Files::exists).findFirst()
                .orElse(Path.of("/lib/x86_64-linux-gnu/libc.so.6")));
        Set<String> exported = new TreeSet<>();
        for (Path lib : libs) {
            exported.addAll(definedFunctions(lib));
        }
        Set<String> bound = ProbeGenerator.functionNames(XenVersions.javaPackage(pkg));
        assertTrue(bound.size() >= 80, "only " + bound.size() + " functions found in " + pkg);
        Set<String> missing = new TreeSet<>(bound);
        missing.removeAll(exported);
        if (!missing.isEmpty()) {
            fail(missing.size() + " functions bound in " + pkg + " are not exported by " + libs + ": " + missing);
        }
    }

    /** Functions a shared library defines (readelf --dyn-syms: FUNC/IFUNC, GLOBAL/WEAK, section index not UND). */
    static Set<String> definedFunctions(Path lib) throws Exception {
        if (!Files.exists(lib)) {
            fail(lib + " missing");
        }
        Process p;
        try {
            p = new ProcessBuilder("readelf", "--dyn-syms", "-W", lib.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            fail("readelf not found (binutils, installed with gcc): " + e.getMessage());
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("readelf --dyn-syms " + lib + " failed:\n" + out);
        }
        Set<String> names = new TreeSet<>();
        // "   424: 000000000001f530   360 FUNC    GLOBAL DEFAULT   13 xc_monitor_io@@libxenctrl_4.20.0"
        for (String line : out.lines().toList()) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 8 && f[0].endsWith(":") && (f[3].equals("FUNC") || f[3].equals("IFUNC"))
                    && (f[4].equals("GLOBAL") || f[4].equals("WEAK")) && !f[6].equals("UND")) {
                int at = f[7].indexOf('@');
                names.add(at < 0 ? f[7] : f[7].substring(0, at));
            }
        }
        assertTrue(!names.isEmpty(), "readelf listed no defined function in " + lib + ":\n" + out);
        return names;
    }
}
