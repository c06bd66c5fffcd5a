// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xenffm.cli.Run.num;
import static org.xenffm.cli.Run.obj;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Gfn;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestCpu;
import org.xenffm.emulated.Outcome;
import org.xenffm.emulated.Registers;

/** {@code trace} and {@code demo --trace} on the emulator. */
class CliTraceTest {
    static final DomainId D1 = DomainId.of(1);
    static final long BP = 0x5010;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"vtx, 4x1024, 768", "xen420, 4x1024+altp2m, 765", "bochs, 4x1024, 768"})
    void demoTraceCountsHitsPerCloneAndKeepsTheBreakpointThroughAnUnshare(String host, String domains, long freed) {
        Run r = Run.with(Backends::open, "--json", "--emulated-host", host, "--emulated-domains", domains, "demo",
                "--trace");
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        List<Map<String, Object>> steps = r.json();
        assertEquals(List.of("range_share", "breakpoints", "execute", "read", "unshare", "summary"),
                steps.stream().map(s -> s.get("step")).toList());
        assertEquals(768, num(steps.get(0).get("freed")), "three guests share 256 pages with the first");
        assertEquals(freed, num(steps.get(1).get("freed")), "4.20 makes the breakpoint page private in each guest");
        assertTrue(((String) steps.get(3).get("text")).contains("0x90 (the original NOP"), steps.get(3)::toString);
        assertEquals(Map.of("1", 1L, "2", 2L, "3", 4L, "4", 4L), obj(steps.getLast().get("hits")).entrySet().stream()
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> num(e.getValue()))));
        assertTrue(((String) steps.get(4).get("text")).contains("it still fires"), steps.get(4)::toString);
    }

    @Test
    void traceReportsEachHitAndRestoresTheDomain() throws Exception {
        EmulatedHypervisor emu = EmulatedHost.start(EmulatedHostSpec.parse("1x1024"));
        GuestCpu cpu = emu.guest(D1).vcpu(0);
        byte[] nops = new byte[4096];
        java.util.Arrays.fill(nops, (byte) 0x90);
        assertEquals(Outcome.COMPLETED, cpu.write(Gfn.ofGpa(BP), 0, nops).await(Duration.ofSeconds(5)));
        Registers regs = cpu.registers();
        regs.cr0 = 0x11;
        cpu.setRegisters(regs);
        DomainInfo before = emu.domainGetinfo(D1);
        AtomicReference<Run> result = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> result.set(Run.emulatedJson(emu, "trace", "1", "--break",
                "0x5010", "--count", "2", "--timeout", "20s")));
        int runs = 0;
        while (t.isAlive() && runs < 10_000) {   // the guest loops over the address until the tracer saw two hits
            Registers r = cpu.registers();
            r.rip = BP;
            cpu.setRegisters(r);
            Outcome o = cpu.run(1).await(Duration.ofSeconds(5));
            // NOT_RUNNABLE: the domain is paused for a moment while the tracer sets up or tears down
            assertTrue(o == Outcome.COMPLETED || o == Outcome.NOT_RUNNABLE, o::toString);
            runs++;
            Thread.sleep(2);
        }
        t.join();
        Run r = result.get();
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        List<Map<String, Object>> hits = r.json().stream().filter(m -> m.containsKey("rip")).toList();
        assertEquals(2, hits.size(), r::toString);
        assertEquals("0x5010", hits.getFirst().get("rip"));
        assertEquals("0x5010", hits.getFirst().get("gpa"));
        assertEquals(1L, num(hits.getFirst().get("clone")));
        DomainInfo after = emu.domainGetinfo(D1);
        assertEquals(before.maxPages(), after.maxPages(), "max_pages restored");
        assertTrue(cpu.currentView() <= 0, "no vCPU left in the execute view");
        assertFalse(cpu.pausedByVmEvent());
        cpu.setRegisters(withRip(cpu.registers(), BP));
        assertEquals(Outcome.COMPLETED, cpu.run(1).await(Duration.ofSeconds(5)));
        assertTrue(cpu.deliveredEvents().isEmpty(), "no INT3 left in the guest's way");
        emu.close();
    }

    @Test
    void traceOfClonesForksPausesAndCleansUp() {
        EmulatedHypervisor emu = EmulatedHost.start(EmulatedHostSpec.parse("1x1024"));
        Run r = Run.emulatedJson(emu, "trace", "1", "--break", "0x5010", "--clones", "2", "--timeout", "200ms");
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        assertEquals(List.of(D1), emu.domainGetinfolist(DomainId.of(1), 16).stream().map(DomainInfo::domain).toList(),
                "the forks are gone");
        assertFalse(emu.domainGetinfo(D1).paused(), "the parent runs again");
        emu.close();
    }

    static Registers withRip(Registers r, long rip) {
        r.rip = rip;
        return r;
    }
}
