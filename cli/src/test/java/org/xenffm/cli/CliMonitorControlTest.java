// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.cli.Run.num;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.Outcome;

/**
 * {@code xenffm monitor --control FILE}: watch commands applied to the running session (MonitorSession.add /
 * LiveWatch.remove), one answer line each, errors reported without ending the monitor, everything undone on exit.
 */
@Timeout(120)
class CliMonitorControlTest {
    /** Its emulated host, guest and helpers (not its tests). */
    private final CliMonitorModesTest modes = new CliMonitorModesTest();
    private final org.xenffm.emulated.EmulatedHypervisor emu = modes.emu;
    private final org.xenffm.emulated.GuestCpu cpu = modes.cpu;
    @TempDir Path dir;

    private String commands(String... lines) throws Exception {
        Path p = dir.resolve("control");
        Files.write(p, List.of(lines));
        return p.toString();
    }

    private MemAccess accessAfterExit(long gfn) {
        emu.monitorEnable(CliMonitorModesTest.D1); // xc_get_mem_access needs a ring
        try {
            return emu.getMemAccess(CliMonitorModesTest.D1, Gfn.of(gfn));
        } finally {
            emu.monitorDisable(CliMonitorModesTest.D1);
        }
    }

    @Test
    void aWatchReadFromTheControlFileTrapsAndIsUndoneOnExit() throws Exception {
        var f = modes.monitor("1", "--control", commands("# a comment", "watch 0x20+2=rx"), "--count", "1",
                "--timeout", "30s");
        GuestResult w = CliMonitorModesTest.untilEvent(() -> cpu.write(Gfn.of(0x21), 0, new byte[]{9}));
        assertEquals(Outcome.COMPLETED, w.await(CliMonitorModesTest.T), "answered EMULATE: the write happened");
        List<Map<String, Object>> out = CliMonitorModesTest.done(f, ExitCode.OK).json();
        Map<String, Object> watch = out.stream().filter(o -> "watch".equals(o.get("control"))).findFirst().orElseThrow();
        assertEquals(1, num(watch.get("id")));
        assertEquals("host gfn 0x20+2 rx", watch.get("watch"));
        assertTrue(out.stream().anyMatch(o -> "mem_access".equals(o.get("event")) && num(o.get("gfn")) == 0x21),
                () -> "the write event: " + out);
        modes.assertRingGone();
        assertEquals(MemAccess.RWX, accessAfterExit(0x20));
        assertEquals(MemAccess.RWX, accessAfterExit(0x21));
    }

    @Test
    void badCommandsAreAnsweredAndTheMonitorGoesOn() throws Exception {
        var f = modes.monitor("1", "--control", commands("bogus", "watch 0x20=zz", "unwatch 7", "watch 0x22=rx",
                "unwatch 1", "unwatch 1", "list", "watch cpuid"), "--count", "1", "--timeout", "30s");
        GuestResult id = CliMonitorModesTest.untilEvent(() -> cpu.cpuid(0, 0));
        assertEquals(Outcome.COMPLETED, id.await(CliMonitorModesTest.T));
        Run run = CliMonitorModesTest.done(f, ExitCode.OK);
        List<Map<String, Object>> control = run.json().stream().filter(o -> o.containsKey("control")).toList();
        List<Object> errors = control.stream().filter(o -> o.containsKey("error")).map(o -> o.get("control")).toList();
        assertEquals(List.of("bogus", "watch 0x20=zz", "unwatch 7"), errors, run::toString);
        assertTrue(control.stream().anyMatch(o -> "watch".equals(o.get("control")) && "cpuid".equals(o.get("watch"))
                && num(o.get("id")) == 2));
        assertTrue(control.stream().noneMatch(o -> "active".equals(o.get("control"))), "list: nothing active");
        List<Map<String, Object>> unwatched = control.stream().filter(o -> "unwatch".equals(o.get("control"))).toList();
        assertEquals(2, unwatched.size(), "unwatch is idempotent: " + control);
        assertTrue(unwatched.stream().allMatch(o -> Boolean.FALSE.equals(o.get("active"))));
        assertTrue(run.json().stream().anyMatch(o -> "cpuid".equals(o.get("event"))), run::toString);
        modes.assertRingGone();
        assertEquals(MemAccess.RWX, accessAfterExit(0x22));
    }
}
