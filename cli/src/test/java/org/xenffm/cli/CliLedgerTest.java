// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.cli.Run.obj;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmParam;
import org.xenffm.emulated.EmulatedHypervisor;

/**
 * --ledger as users' data: runs on one ledger never lose each other's changes, a save that fails is a failed
 * command (exit 7, a JSON error listing what the file lacks), a bad ledger path or file is a usage error before any
 * Xen call, and SIGTERM after a successful call still saves.
 */
class CliLedgerTest {
    @TempDir Path dir;

    static Run run(EmulatedHypervisor emu, String... args) {
        List<String> all = new ArrayList<>(List.of("--backend", "emulated", "--json"));
        all.addAll(List.of(args));
        return Run.with(emu, all.toArray(String[]::new));
    }

    static EmulatedHypervisor host() {
        EmulatedHypervisor emu = EmulatedHost.start(EmulatedHostSpec.parse("2x256"));
        emu.hvmParamSet(DomainId.of(2), HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL);
        return emu;
    }

    @Test @Timeout(120)
    void concurrentRunsOnOneLedgerLoseNothing() throws Exception {
        String ledger = dir.resolve("ledger").toString();
        List<Thread> ts = new ArrayList<>();
        List<Run> runs = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 4; i++) // each on its own host: the ledger re-creates earlier views, then adds one
            ts.add(Thread.ofPlatform().start(() -> runs.add(run(host(), "--ledger", ledger, "altp2m", "create", "2"))));
        for (Thread t : ts) t.join();
        for (Run r : runs) assertEquals(ExitCode.OK, r.exit(), r::toString);
        String saved = Files.readString(Path.of(ledger));
        for (int v = 1; v <= 4; v++) assertTrue(saved.contains("view 2 " + v + " "), () -> "view lost:\n" + saved);
    }

    @Test
    void aMissingLedgerDirectoryIsAUsageErrorBeforeAnyXenCall() {
        EmulatedHypervisor emu = host();
        Run r = run(emu, "--ledger", dir.resolve("missing/ledger").toString(), "share", "1", "0x10", "2", "0x10");
        assertEquals(ExitCode.USAGE, r.exit(), r::toString);
        assertEquals("usage", obj(r.single().get("error")).get("type"));
        assertFalse(r.err().contains("\tat "), "no stack trace");
        assertEquals(0, emu.sharingFreedPages(), "nothing was shared");
    }

    @Test
    void aMalformedLedgerIsAUsageErrorNamingTheLine() throws Exception {
        Path ledger = dir.resolve("ledger");
        Files.writeString(ledger, "# xenffm ledger v1\ndomain 1 - false\nshared 1 100 0x5\n");
        EmulatedHypervisor emu = host();
        Run r = run(emu, "--ledger", ledger.toString(), "share", "1", "0x10", "2", "0x10");
        assertEquals(ExitCode.USAGE, r.exit(), r::toString);
        assertTrue(r.err().contains("ledger line 3 (shared 1 100 0x5): gfn '100' is not 0x-hex"), r::toString);
        assertEquals(0, emu.sharingFreedPages(), "nothing was shared");
        assertEquals("# xenffm ledger v1\ndomain 1 - false\nshared 1 100 0x5\n", Files.readString(ledger),
                "never rewritten from a guess");
    }

    @Test @Timeout(60)
    void aSaveOnAFullDiskFailsTheCommandAndSaysWhatTheLedgerLacks() throws Exception {
        try (var fs = org.xenffm.safe.TmpfsAccess.mount(dir.resolve("fs"), "64k")) {
            Path ledger = fs.dir().resolve("ledger");
            EmulatedHypervisor emu = host();
            assertEquals(ExitCode.OK, run(emu, "--ledger", ledger.toString(), "stats").exit());
            Files.writeString(ledger.resolveSibling("ledger.lock"), "x"); // the lock file exists, as after any run
            fs.fill();
            Run r = run(emu, "--ledger", ledger.toString(), "share", "1", "0x10", "2", "0x10");
            assertEquals(ExitCode.LEDGER, r.exit(), r::toString);
            assertEquals(2, emu.memshrDebugGfn(DomainId.of(2), Gfn.of(0x10)), "the share happened in Xen");
            Map<String, Object> err = obj(r.json().getLast().get("error"));
            assertEquals("ledger", err.get("type"));
            assertEquals("save_failed", err.get("reason"));
            assertTrue(err.get("unsaved").toString().contains("+ shared 1 0x10"), err::toString);
            assertTrue(r.err().contains("no space left on device"), r::toString);
            assertFalse(r.err().contains("\tat "), "no stack trace");
        }
    }

    @Test @Timeout(120)
    void sigtermAfterASuccessfulShareStillSaves() throws Exception {
        Path ledger = dir.resolve("ledger"), script = dir.resolve("script");
        Files.writeString(script, "share 1 0x10 2 0x10\nmonitor 1 cpuid\n");
        List<String> lines = SignalledChild.run(LedgerSigtermChild.class, ledger.toString(), script.toString()).lines();
        assertTrue(Files.exists(ledger), () -> "no ledger saved: " + lines);
        assertTrue(Files.readString(ledger).contains("shared 1 0x10 "), Files.readString(ledger));
        assertTrue(lines.stream().anyMatch(l -> l.contains("stopped by a signal; ledger")), lines::toString);
    }
}
