package org.xenffm.vmevent;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SIGINT to a JVM with a busy, never-closed session: the shutdown hook tears it down and releases every vCPU. */
class ShutdownHookTest {
    @Test @Timeout(90)
    void sigintTearsTheSessionDown() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), ShutdownHookChild.class.getName())
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            List<String> lines = new ArrayList<>();
            for (String l; (l = out.readLine()) != null; ) {
                lines.add(l);
                if (l.equals("READY")) break;
            }
            assertTrue(lines.contains("READY"), "child did not start: " + lines);
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start();
            assertEquals(0, kill.waitFor());
            for (String l; (l = out.readLine()) != null; ) lines.add(l);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            String report = lines.stream().filter(l -> l.startsWith("ENDED=")).findFirst()
                    .orElseThrow(() -> new AssertionError("no report from the child: " + lines));
            assertTrue(report.startsWith("ENDED=true HELD=[] RING=false MONITORS=[] BOUND=false"), report);
            Matcher m = Pattern.compile("PUT=(\\d+) ANSWERED=(\\d+)").matcher(report);
            assertTrue(m.find(), report);
            assertEquals(m.group(1), m.group(2), "every request answered: " + report);
        } finally {
            p.destroyForcibly();
        }
    }
}
