package org.xenffm.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ctrl-C on {@code xenffm monitor} in an altp2m mode while the guest raises events: the command's shutdown hook
 * answers what is pending, disables the ring, destroys its view and switches altp2m off; no vCPU is left paused.
 */
class MonitorSigintTest {
    @Test @Timeout(120)
    void sigintTakesDownTheRingAndTheView() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), MonitorSigintChild.class.getName())
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            List<String> lines = new ArrayList<>();
            for (String l; (l = out.readLine()) != null; ) {
                lines.add(l);
                if (l.equals("READY")) break;
            }
            assertTrue(lines.contains("READY"), "child did not start: " + lines);
            assertTrue(lines.stream().anyMatch(l -> l.contains("\"event\":\"singlestep\"")), lines::toString);
            assertTrue(lines.stream().anyMatch(l -> l.contains("\"event\":\"cpuid\"")), lines::toString);
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start();
            assertEquals(0, kill.waitFor());
            for (String l; (l = out.readLine()) != null; ) lines.add(l);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            String state = lines.stream().filter(l -> l.startsWith("STATE ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no report from the child: " + lines));
            assertEquals("STATE ring=false altp2m=false view=-1 vcpu_paused=false domain_paused=false shutdown=false",
                    state, () -> String.join("\n", lines));
        } finally {
            p.destroyForcibly();
        }
    }
}
