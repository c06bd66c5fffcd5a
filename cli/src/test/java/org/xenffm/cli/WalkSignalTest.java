// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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

    private static SignalledChild runAndTerm(String... args) throws Exception {
        return SignalledChild.run(WalkSigtermChild.class, args);
    }

    @Test @Timeout(120)
    void anAuditStoppedBySigtermSaysHowFarItGotAndConcludesNothing() throws Exception {
        SignalledChild c = runAndTerm("memshrDebugGfn", "--json", "audit", "--domain", "1");
        assertEquals(143, c.exit(), "the JVM's exit status for SIGTERM");
        Map<String, Object> last = c.json().getLast();
        assertEquals("signal", last.get("stopped"), c.lines()::toString);
        assertEquals("domain", last.get("check"));
        long done = ((Number) last.get("gfns_done")).longValue();
        assertTrue(done >= 200 && done < 65536, "stopped mid-walk: " + done);
        assertFalse(last.containsKey("consistent"), "a partial walk claims no consistency");
        assertFalse(last.containsKey("gfns_walked"), "one count of how far it got (gfns_done), not two");
        assertTrue(c.json().stream().noneMatch(o -> "summary".equals(o.get("check"))), "no summary after a stop");
    }

    @Test @Timeout(120)
    void aNominateWalkStoppedBySigtermReportsFirstThenTheLedgerSavesWhatItDid() throws Exception {
        Path ledger = dir.resolve("ledger");
        SignalledChild c = runAndTerm("memshrNominateGfn", "--ledger", ledger.toString(), "--json", "nominate", "1",
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
