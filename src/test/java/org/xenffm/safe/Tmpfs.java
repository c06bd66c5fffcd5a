// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A small tmpfs for tests of full disks and read-only file systems. Mounting needs root (CI and {@code ./run.sh
 * test} run as root); elsewhere the test is skipped with the reason, never passed silently.
 */
final class Tmpfs implements AutoCloseable {
    private final Path dir;

    private Tmpfs(Path dir) { this.dir = dir; }

    static Tmpfs mount(Path dir, String size) throws Exception {
        Files.createDirectories(dir);
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString()) == 0,
                "needs root to mount a tmpfs");
        return new Tmpfs(dir);
    }

    Path dir() { return dir; }

    /** Writes a filler file until the file system is full. */
    void fill() throws IOException {
        byte[] block = new byte[4096];
        try (OutputStream o = Files.newOutputStream(dir.resolve("filler"))) {
            while (true) o.write(block);
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("No space left")) throw full;
        }
    }

    void unfill() throws IOException { Files.delete(dir.resolve("filler")); }

    void readOnly() throws Exception {
        if (run("mount", "-o", "remount,ro", dir.toString()) != 0) throw new IOException("remount ro failed");
    }

    private static int run(String... cmd) throws Exception {
        return new ProcessBuilder(List.of(cmd)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start().waitFor();
    }

    @Override public void close() throws Exception {
        run("umount", dir.toString());
    }
}
