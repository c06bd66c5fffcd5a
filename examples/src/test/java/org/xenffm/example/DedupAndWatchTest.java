// SPDX-License-Identifier: Apache-2.0
package org.xenffm.example;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the example as printed in README on the emulator, in a JVM started with --illegal-native-access=deny (so any
 * restricted method the emulator reached would throw), on the module path and, in a second run, on the class path.
 */
class DedupAndWatchTest {
    @Test void theExampleRunsOnTheEmulatorWithoutNativeAccess() throws Exception {
        assertTrue(List.of(ProcessHandle.current().info().arguments().orElse(new String[0]))
                .contains("--illegal-native-access=deny"), "the test JVM must deny native access");
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            DedupAndWatch.main(new String[0]);
        } finally {
            System.setOut(out);
        }
        List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
        out.println(String.join("\n", lines));
        assertEquals("1 page(s) freed", lines.get(0));
        assertEquals("altp2m view 1 created", lines.get(1));
        assertTrue(lines.size() > 2, "the guest's writes to the watched page reached the handler: " + lines);
        for (String l : lines.subList(2, lines.size())) assertEquals("write to gfn 0x205 by vCPU 0", l);
    }

    @Test void theRightPath() {
        String expected = System.getProperty("example.path");
        Module m = DedupAndWatch.class.getModule();
        assertEquals(expected.equals("module"), m.isNamed(), "example.path=" + expected + ", module " + m);
        if (m.isNamed()) assertEquals("org.xenffm", org.xenffm.api.Hypervisor.class.getModule().getName());
    }

    /** What depending on org.xenffm:xenffm brings: the library, its bindings, slf4j-api — no CLI, no logger. */
    @Test void noCliLibraryAndNoSlf4jProviderReachTheConsumer() {
        ClassLoader cl = DedupAndWatchTest.class.getClassLoader();
        assertNull(cl.getResource("picocli/CommandLine.class"), "picocli reached the consumer");
        assertNull(cl.getResource("META-INF/services/org.slf4j.spi.SLF4JServiceProvider"),
                "an SLF4J provider reached the consumer");
        assertFalse(ModuleLayer.boot().findModule("info.picocli").isPresent(), "picocli on the module path");
        assertFalse(ModuleLayer.boot().findModule("org.slf4j.simple").isPresent(), "slf4j-simple on the module path");
        String path = System.getProperty("jdk.module.path", "") + ":" + System.getProperty("java.class.path", "");
        for (String jar : path.split(":")) {
            assertFalse(jar.contains("picocli") || jar.contains("slf4j-simple") || jar.contains("logback")
                    || jar.contains("xenffm-cli"), "unexpected on the consumer's path: " + jar);
        }
    }
}
