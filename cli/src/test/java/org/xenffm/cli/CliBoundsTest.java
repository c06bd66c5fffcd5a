// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.cli.Run.obj;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmParam;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.emulated.EmulatedHypervisor;

/**
 * Bounded work: a range past the domain's max_gpfn is a usage error before anything runs (it used to walk for
 * minutes, forever, or out of memory), and gfn ~0 does, per call, exactly what the CLI says it does.
 */
class CliBoundsTest {
    final EmulatedHypervisor emu = EmulatedHost.start(EmulatedHostSpec.parse("2x4096"));

    Run cli(String... args) {
        List<String> all = new ArrayList<>(List.of("--backend", "emulated", "--json"));
        all.addAll(List.of(args));
        return Run.with(emu, all.toArray(String[]::new));
    }

    @Test @Timeout(30)
    void rangesBeyondMaxGpfnAreUsageErrorsNamingTheDomainsRange() {
        for (String[] line : new String[][] {
                {"unshare", "1", "0x0-0xffffffffffff"},
                {"audit", "--range", "0x0-0xffffffffffffffff"},
                {"--keep-views", "range-share", "1", "2", "0x0-0xffffffffffff"},
                {"range-share", "1", "2", "0x0-0xff000"},
                {"nominate", "1", "0xfeff0-0xff000"},
                {"access", "get", "1", "0x0-0xffffffffffffffff"},
                {"altp2m", "access", "get", "1", "1", "0xff000"}}) {
            Run r = cli(line);
            assertEquals(ExitCode.USAGE, r.exit(), () -> String.join(" ", line) + "\n" + r);
            long max = emu.domainMaximumGpfn(DomainId.of(1));
            assertTrue(r.err().contains("goes beyond d") && r.err().contains("max_gpfn 0x" + Long.toHexString(max)),
                    r::toString);
            assertEquals("usage", obj(r.single().get("error")).get("type"));
        }
        assertEquals(0, emu.sharingFreedPages(), "nothing was shared");
        assertFalse(emu.domainGetinfo(DomainId.of(1)).paused(), "nothing left paused");
    }

    @Test
    void theLastGfnOfTheDomainIsStillInRange() {
        Run r = cli("nominate", "1", "0xffe-0xfff");
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        assertEquals(2, r.json().size());
    }

    @Test
    void altp2mAccessSetOnGfnTildeZeroSaysItSetTheHostDefault() {
        emu.hvmParamSet(DomainId.of(1), HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL);
        emu.altp2mSetDomainState(DomainId.of(1), true);
        ViewId v = emu.altp2mCreateView(DomainId.of(1), MemAccess.RWX);
        emu.monitorEnable(DomainId.of(1)); // the host default can be read only while a ring exists
        Run r = cli("altp2m", "access", "set", "1", Integer.toString(v.value()), "n", "~0");
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        assertEquals("n", r.single().get("host_default_access"));
        assertEquals(MemAccess.N, emu.getMemAccess(DomainId.of(1), Gfn.INVALID), "Xen changed the HOST default");
        assertEquals(MemAccess.RWX, emu.altp2mGetMemAccess(DomainId.of(1), v, Gfn.INVALID), "not the view's");
        Run human = Run.with(emu, "--backend", "emulated", "altp2m", "access", "get", "1",
                Integer.toString(v.value()), "~0");
        assertTrue(human.out().contains("default access (gfn ~0): rwx"), human::toString);
    }

    @Test
    void addToPhysmapBeyondTheEptIsRefusedAsXenRefusesIt() {
        Run r = cli("add-to-physmap", "1", "0x10", "2", "0x1000000000");
        assertEquals(ExitCode.XEN_ERROR, r.exit(), r::toString);
        assertEquals("EINVAL", obj(r.single().get("error")).get("errno_name"));
        assertTrue(r.err().contains("gfn ≥ 2^36"), r::toString);
        assertEquals(0, emu.domainGetinfo(DomainId.of(2)).shrPages(), "no entry was added");
    }
    @Test
    void shareOfGfnTildeZeroSaysXenReadsItAsAGrantReference() {
        // xc_memshr_share_gfns copies the gfn; bit 62 makes Xen read it as grant ref 0xffffffff (docs §9.1)
        Run r = cli("share", "1", "~0", "2", "0x10", "--source-handle", "5");
        assertEquals(ExitCode.XEN_ERROR, r.exit(), r::toString);
        assertEquals("ENOENT", obj(r.single().get("error")).get("errno_name"));
        assertTrue(r.err().contains("read as grant reference"), r::toString);
        assertEquals(0, emu.sharingFreedPages(), "nothing was shared");
    }
}
