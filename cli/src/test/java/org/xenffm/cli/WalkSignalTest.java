// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 item 4: a long walk stopped by SIGTERM (what Ctrl-C's SIGINT does too) ends its current gfn, prints how
 * far it got — a JSON object with {@code "stopped":"signal"} — and only then does the ledger's hook save: a real
 * signal to a child JVM whose emulated host answers 1 ms per call.
 */
class WalkSignalTest {
    @TempDir Path dir;

    private record Child(int exit, List<String> lines) {
        List<Map<String, Object>> json() {
            List<Map<String, Object>> l = new ArrayList<>();
            for (String s : lines) if (s.startsWith("{")) l.add(JsonParser.object(s));
            return l;
        }
    }

    private static Child runAndTerm(String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), WalkSigtermChild.class.getName()));
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
        return new Child(p.exitValue(), lines);
    }

    @Test @Timeout(120)
    void anAuditStoppedBySigtermSaysHowFarItGotAndConcludesNothing() throws Exception {
        Child c = runAndTerm("memshrDebugGfn", "--json", "audit", "--domain", "1");
        assertEquals(143, c.exit(), "the JVM's exit status for SIGTERM");
        Map<String, Object> last = c.json().getLast();
        assertEquals("signal", last.get("stopped"), c.lines()::toString);
        assertEquals("domain", last.get("check"));
        long done = ((Number) last.get("gfns_done")).longValue();
        assertTrue(done >= 200 && done < 65536, "stopped mid-walk: " + done);
        assertFalse(last.containsKey("consistent"), "a partial walk claims no consistency");
        assertTrue(c.json().stream().noneMatch(o -> "summary".equals(o.get("check"))), "no summary after a stop");
    }

    @Test @Timeout(120)
    void aNominateWalkStoppedBySigtermReportsFirstThenTheLedgerSavesWhatItDid() throws Exception {
        Path ledger = dir.resolve("ledger");
        Child c = runAndTerm("memshrNominateGfn", "--ledger", ledger.toString(), "--json", "nominate", "1",
                "0x0-0xffff");
        List<Map<String, Object>> json = c.json();
        Map<String, Object> last = json.getLast();
        assertEquals("signal", last.get("stopped"), c.lines()::toString);
        long nominated = json.stream().filter(o -> o.containsKey("handle")).count();
        assertEquals(nominated, ((Number) last.get("gfns_done")).longValue(),
                "every visited gfn was nominated and printed before the stop line");
        assertTrue(nominated >= 200 && nominated < 65536, "stopped mid-walk: " + nominated);
        int stopLine = c.lines().indexOf(c.lines().stream().filter(l -> l.contains("\"stopped\"")).findFirst().orElseThrow());
        int savedLine = c.lines().indexOf(c.lines().stream().filter(l -> l.contains("stopped by a signal; ledger"))
                .findFirst().orElseThrow(() -> new AssertionError("ledger saved line: " + c.lines())));
        assertTrue(stopLine < savedLine, "the walk reported before the hook closed and saved: " + c.lines());
        assertTrue(Files.exists(ledger), "ledger saved");
    }
}
