// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.emulated.EmulatedHypervisor;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code xenffm dmesg}: the console ring through xc_readconsolering, human and JSON, and --clear. */
class CliDmesgTest {
    @Test
    void dmesgShowsWhatXenPrintedAndClearEmptiesTheRing() {
        EmulatedHypervisor emu = EmulatedHost.start(EmulatedHostSpec.parse("1x1024"));
        DomainId child = emu.domainCreate(DomainConfig.forkChild(1));
        emu.memshrFork(DomainId.of(1), child, false, true);   // hvm_save + hvm_load print the CPU records

        Run human = Run.with(emu, "--backend", "emulated", "dmesg");
        assertEquals(ExitCode.OK, human.exit(), human::toString);
        assertTrue(human.out().startsWith("(XEN) Xen version 4.17"), human::toString);
        assertTrue(human.out().contains("(XEN) HVM d1v0 save: CPU\n(XEN) HVM" + child.value() + " restore: CPU 0"),
                human::toString);

        Run json = Run.with(emu, "--backend", "emulated", "--json", "dmesg", "--clear");
        assertEquals(ExitCode.OK, json.exit(), json::toString);
        Object lines = json.single().get("lines");
        assertEquals("(XEN) HVM" + child.value() + " restore: CPU 0", ((List<?>) lines).getLast());
        assertEquals(true, json.single().get("cleared"));

        Run after = Run.with(emu, "--backend", "emulated", "--json", "dmesg");
        assertEquals(List.of(), after.single().get("lines"), "the ring was cleared");
    }
}
