// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code main} run in a child JVM on this test's class path, sent SIGTERM once it prints READY: what a user's
 * {@code kill} (or Ctrl-C's SIGINT, handled alike by the JVM) does to a running {@code xenffm}.
 *
 * @param exit  the child's exit status
 * @param lines stdout and stderr, merged, without the READY line
 */
record SignalledChild(int exit, List<String> lines) {
    static SignalledChild run(Class<?> main, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = out.readLine()) != null && !l.equals("READY"); ) lines.add(l);
            assertTrue(p.isAlive(), () -> "child ended early: " + lines);
            assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor());
            for (String l; (l = out.readLine()) != null; ) lines.add(l);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child exited after SIGTERM");
        } finally {
            p.destroyForcibly();
        }
        return new SignalledChild(p.exitValue(), lines);
    }

    /** {@return the lines that are JSON objects, parsed} */
    List<java.util.Map<String, Object>> json() {
        List<java.util.Map<String, Object>> l = new ArrayList<>();
        for (String s : lines) if (s.startsWith("{")) l.add(JsonParser.object(s));
        return l;
    }
}
