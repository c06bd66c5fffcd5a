// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * libxc's complaint about the missing privcmd device must reach SLF4J and never the process's stderr. Proven in
 * a child JVM (same java, same classpath) whose slf4j-simple writes to System.out: stdout must carry the libxc
 * text under the libxc logger, stderr must not carry it. The "raw" control run (no logger passed) shows that
 * libxc does print that text to stderr when left alone.
 */
class XenLogChildJvmTest {
    static final String LIBXC_TEXT = "Could not obtain handle on privileged command interface";

    record Run(int exit, String out, String err) {}

    @BeforeAll
    static void noXenHere() {
        assumeFalse(Files.exists(Path.of("/dev/xen/privcmd")) || Files.exists(Path.of("/proc/xen/privcmd")),
                "this test expects a host without Xen");
    }

    static Run child(String... args) throws IOException, InterruptedException {
        return child(List.of(), args);
    }

    static Run child(List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.logFile=System.out",
                "-Dorg.slf4j.simpleLogger.showThreadName=false"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), OpenWithoutXenMain.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        var out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        var err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM did not finish");
        }
        return new Run(p.exitValue(), out.join(), err.join());
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void libxcMessageGoesToSlf4jNotStderr() throws Exception {
        Run r = child();
        assertEquals(0, r.exit(), () -> "child failed:\n" + r.out() + "\n" + r.err());
        assertTrue(r.out().contains("RESULT XenNotAvailableException op=xc_interface_open errno=ENOENT"), r.out());
        String libxcLine = r.out().lines().filter(l -> l.contains(LIBXC_TEXT)).findFirst()
                .orElseThrow(() -> new AssertionError("no libxc message on the SLF4J output:\n" + r.out()));
        assertTrue(libxcLine.contains("ERROR"), libxcLine);
        assertTrue(libxcLine.contains("org.xenffm.xen.libxc."), libxcLine);
        assertTrue(libxcLine.contains("No such file or directory"), "errno text appended: " + libxcLine);
        assertFalse(r.err().contains(LIBXC_TEXT), "libxc wrote to stderr:\n" + r.err());
        assertTrue(r.out().contains("LOGGER relays=true"), r.out());
    }

    /** With xenffm.libxc.log=off (the CLI without --verbose), libxentoollog drops the message: on no stream at all. */
    @Test
    void withLibxcLoggingOffTheMessageIsDroppedInC() throws Exception {
        Run r = child(List.of("-D" + XenLog.PROPERTY + "=off"));
        assertEquals(0, r.exit(), () -> "child failed:\n" + r.out() + "\n" + r.err());
        assertTrue(r.out().contains("RESULT XenNotAvailableException op=xc_interface_open errno=ENOENT"), r.out());
        assertTrue(r.out().contains("LOGGER relays=false"), r.out());
        assertFalse(r.out().contains(LIBXC_TEXT), r.out());
        assertFalse(r.err().contains(LIBXC_TEXT), "libxc wrote to stderr:\n" + r.err());
    }

    @Test
    void controlWithoutALoggerLibxcPrintsToStderr() throws Exception {
        Run r = child("raw");
        assertEquals(0, r.exit(), () -> "child failed:\n" + r.out() + "\n" + r.err());
        assertTrue(r.out().contains("RAW-RESULT null=true"), r.out());
        assertTrue(r.err().contains(LIBXC_TEXT), "expected libxc's own stderr output:\n" + r.err());
        assertFalse(r.out().contains(LIBXC_TEXT), r.out());
    }
}
