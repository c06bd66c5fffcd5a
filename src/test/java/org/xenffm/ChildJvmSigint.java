// SPDX-License-Identifier: Apache-2.0
package org.xenffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a child JVM with this test's class path, waits for it to print {@code READY}, sends it SIGINT
 * (what Ctrl-C does) and returns every line it printed, for tests of shutdown hooks.
 */
public final class ChildJvmSigint {
    private ChildJvmSigint() {}

    /** The child's output up to READY is also returned, so a test can check what happened before the signal. */
    public static List<String> run(Class<?> main) throws Exception { return run(main, "INT"); }

    /** As {@link #run(Class)}, with another signal (e.g. TERM, what systemd and kill send). */
    public static List<String> run(Class<?> main, String signal) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), main.getName()).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            List<String> lines = new ArrayList<>();
            for (String l; (l = out.readLine()) != null; ) {
                lines.add(l);
                if (l.equals("READY")) break;
            }
            assertTrue(lines.contains("READY"), "child did not start: " + lines);
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start();
            assertEquals(0, kill.waitFor());
            for (String l; (l = out.readLine()) != null; ) lines.add(l);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child did not exit after SIGINT");
            return lines;
        } finally {
            p.destroyForcibly();
        }
    }

    /** The first line starting with {@code prefix}, or a failure showing everything the child printed. */
    public static String line(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no report from the child: " + lines));
    }
}
