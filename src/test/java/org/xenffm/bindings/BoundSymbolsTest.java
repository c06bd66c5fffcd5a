package org.xenffm.bindings;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.FunctionDescriptor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every function bound in xen417 exists in the installed Xen 4.17 runtime libraries (a function only in other
 * Xen versions' headers, or a filter typo, fails here rather than in the backend).
 *
 * <p>Also documents how the backend must obtain descriptors: the bindings are generated without {@code -l}, so
 * {@code xc_foo$descriptor()} resolves the symbol through the class loader's lookup; the library must first be
 * {@code System.load}ed from a class of the same (application) class loader. libxenctrl pulls in
 * libxenevtchn/libxenforeignmemory/libxentoollog, whose symbols the same lookup then finds; poll/munmap come from
 * libc through the default lookup.
 */
class BoundSymbolsTest {

    static final String SONAME = "libxenctrl.so.4.17";
    static final List<Path> LIB_DIRS = List.of(Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/usr/lib64"),
            Path.of("/usr/lib"), Path.of("/usr/local/lib"));

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
}
