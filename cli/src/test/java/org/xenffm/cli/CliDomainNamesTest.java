// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xenffm.cli.Run.obj;

import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestSpec;

/** Every DOMAIN argument takes an xl name too, through the one converter (Args.domainOrName). */
class CliDomainNamesTest {
    EmulatedHypervisor emu;
    DomainId web;

    @BeforeEach
    void host() {
        emu = EmulatedHost.start(EmulatedHostSpec.parse("2x1024"));   // named guest1, guest2
        web = emu.createGuest(GuestSpec.hvm(1, 1024), "web");
    }

    Run cli(String... args) { return Run.emulatedJson(emu, args); }

    @Test void aNameAndAnIdGiveTheSameAnswer() {
        Run byName = cli("regs", "web"), byId = cli("regs", Integer.toString(web.value()));
        assertEquals(ExitCode.OK, byName.exit(), byName::toString);
        assertEquals(byId.single(), byName.single());
        assertEquals(ExitCode.OK, cli("regs", "guest1").exit());
    }

    @Test void everyDomainArgumentOfAVerbTakesANameSourceAndClient() {
        Run r = cli("range-share", "guest1", "web", "0x10-0x1f");
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        // the client's pages now map the source's frames
        assertEquals(emu.hostEntry(DomainId.of(1), Gfn.of(0x10)).mfn(), emu.hostEntry(web, Gfn.of(0x10)).mfn());
        assertEquals(emu.hostEntry(DomainId.of(2), Gfn.of(0x10)).mfn() == emu.hostEntry(web, Gfn.of(0x10)).mfn(),
                false, "guest2 was not named, so it was not touched");
    }

    @Test void aListOfDomainsMixesNamesAndIds() {
        Run mixed = cli("stats", "web", "1"), ids = cli("stats", Integer.toString(web.value()), "1");
        assertEquals(ExitCode.OK, mixed.exit(), mixed::toString);
        assertEquals(ids.single(), mixed.single());
        assertEquals(ExitCode.XEN_ERROR, cli("stats", "1", "nosuch").exit());
    }

    @Test void anUnknownNameIsAXenErrorNamingTheLookup() {
        Run r = cli("regs", "nosuch");
        assertEquals(ExitCode.XEN_ERROR, r.exit(), r::toString);
        Map<String, Object> e = obj(r.single().get("error"));
        assertEquals("xen", e.get("type"));
        assertEquals("xs_read", e.get("operation"));
        assertEquals("ENOENT", e.get("errno_name"));
        assertTrue(e.get("message").toString().contains("no domain is named 'nosuch'"), e::toString);
        Run human = Run.with(emu, "--backend", "emulated", "regs", "nosuch");
        assertEquals(ExitCode.XEN_ERROR, human.exit());
        assertTrue(human.err().contains("no domain is named 'nosuch'"), human::toString);
    }

    @Test void idsKeepTheirSyntaxAndTheHelpSaysNamesWork() {
        assertEquals(cli("regs", "1").single(), cli("regs", "d1").single());
        assertEquals(cli("regs", "1").single(), cli("regs", "0x1").single());
        assertEquals(ExitCode.USAGE, cli("regs", "99999").exit(), "an id out of range stays a usage error");
        assertTrue(Run.with(emu, "regs", "--help").out().contains("or name"));
    }

    @Test void withoutXenANameFailsAsTheBackendDoes() {
        Run r = Run.real("--json", "regs", "web");   // this build host has libxenctrl but no Xen
        assertEquals(ExitCode.XEN_NOT_AVAILABLE, r.exit(), r::toString);
    }
}
