// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** What works without any hypervisor: usage errors, help, the no-Xen path, the JSON writer. */
class CliBasicsTest {

    @Test
    void noVerbIsAUsageError() {
        Run r = Run.real();
        assertEquals(ExitCode.USAGE, r.exit(), r::toString);
        assertTrue(r.err().contains("Usage: xenffm"), r::toString);
    }

    @Test
    void unknownVerbSuggestsTheNearestOne() {
        Run r = Run.real("nominat", "1", "2");
        assertEquals(ExitCode.USAGE, r.exit(), r::toString);
        assertTrue(r.err().contains("nominate"), r::toString);
    }

    @Test
    void malformedArgumentsNameTheArgument() {
        Run r = Run.real("nominate", "x", "1");
        assertEquals(ExitCode.USAGE, r.exit());
        assertTrue(r.err().contains("invalid DOMAIN 'x': not a number"), r::toString);

        r = Run.real("--json", "altp2m", "access", "set", "1", "1", "rwz", "0x10");
        assertEquals(ExitCode.USAGE, r.exit());
        Map<String, Object> e = Run.obj(r.single().get("error"));
        assertEquals("usage", e.get("type"));
        assertEquals(new BigDecimal(2), e.get("exit_code"));
        assertTrue(((String) e.get("message")).contains("invalid ACCESS 'rwz'"), r::toString);

        assertEquals(ExitCode.USAGE, Run.real("unshare", "1", "0x20-0x10").exit(), "reversed range");
        assertEquals(ExitCode.USAGE, Run.real("nominate", "40000", "1").exit(), "domid beyond DOMID_FIRST_RESERVED");
        assertEquals(ExitCode.USAGE, Run.real("altp2m").exit(), "group without sub-verb");
        assertEquals(ExitCode.USAGE, Run.real("share", "1", "2", "3").exit(), "missing CLIENT_GFN");
        assertEquals(ExitCode.USAGE, Run.real("--backend", "kvm", "info").exit());
        assertEquals(ExitCode.USAGE, Run.real("--backend", "emulated", "--emulated-domains", "2x0", "stats").exit());
        assertEquals(ExitCode.USAGE, Run.real("--backend", "emulated", "--emulated-domains", "99999999999x1", "stats")
                .exit(), "overflow is a usage error, not an internal one");
        assertEquals(ExitCode.USAGE, Run.real("--backend", "emulated", "nominate", "--gref", "1", "0x1ffffffff")
                .exit(), "grant references are 32 bits");
    }

    @Test
    void everyVerbHasManPageHelp() {
        List<List<String>> verbs = List.of(List.of(), List.of("info"), List.of("nominate"), List.of("share"),
                List.of("unshare"), List.of("add-to-physmap"), List.of("range-share"), List.of("debug-gfn"),
                List.of("memshr-control"), List.of("stats"), List.of("audit"), List.of("altp2m"),
                List.of("altp2m", "state"), List.of("altp2m", "enable"), List.of("altp2m", "disable"),
                List.of("altp2m", "create"), List.of("altp2m", "destroy"), List.of("altp2m", "switch"),
                List.of("altp2m", "access", "get"), List.of("altp2m", "access", "set"),
                List.of("altp2m", "change-gfn"), List.of("altp2m", "visibility"),
                List.of("altp2m", "suppress-ve", "get"), List.of("altp2m", "suppress-ve", "set"),
                List.of("altp2m", "vcpu-view"), List.of("access", "get"), List.of("access", "set"),
                List.of("access", "default"), List.of("fork"), List.of("fork-reset"), List.of("monitor"), List.of("keep"), List.of("trace"),
                List.of("batch"));
        for (List<String> v : verbs) {
            String[] args = java.util.stream.Stream.concat(v.stream(), java.util.stream.Stream.of("--help"))
                    .toArray(String[]::new);
            Run r = Run.real(args);
            assertEquals(ExitCode.OK, r.exit(), () -> v + ": " + r);
            for (String section : List.of("Usage: xenffm", "Description:", "Exit codes:", "Examples:"))
                assertTrue(r.out().contains(section), () -> v + " --help lacks " + section + ":\n" + r.out());
            assertTrue(java.util.regex.Pattern.compile("(?m)^\\s+3\\s+Xen not available here").matcher(r.out()).find(),
                    () -> v + ": " + r.out());
            assertTrue(java.util.regex.Pattern.compile("(?m)^\\s*130\\s+stopped by Ctrl-C").matcher(r.out()).find(),
                    () -> v + ": " + r.out());
        }
    }

    @Test
    void realBackendWithoutXenExitsWith3AndSuggestsTheEmulator() {
        Run r = Run.real("stats");
        assertEquals(ExitCode.XEN_NOT_AVAILABLE, r.exit(), r::toString);
        assertTrue(r.err().contains("xc_interface_open failed"), r::toString);
        assertTrue(r.err().contains("--backend emulated"), r::toString);

        Run j = Run.real("--json", "fork", "1");
        assertEquals(ExitCode.XEN_NOT_AVAILABLE, j.exit());
        Map<String, Object> e = Run.obj(j.single().get("error"));
        assertEquals("xen_not_available", e.get("type"));
        assertEquals("xc_interface_open", e.get("operation"));
        assertEquals("ENOENT", e.get("errno_name"), "no /dev/xen/privcmd on this machine");
        assertEquals(new BigDecimal(2), e.get("errno"));
    }

    @Test
    void infoWithoutXenReportsHostFacts() {
        Run r = Run.real("--json", "info");
        assertEquals(ExitCode.XEN_NOT_AVAILABLE, r.exit(), r::toString);
        Map<String, Object> o = r.single();
        assertEquals(Boolean.FALSE, o.get("xen_available"));
        Map<String, Object> host = Run.obj(o.get("host"));
        // this machine has Debian's libxen-dev but no Xen: the library loads, there is no privcmd device
        assertEquals("libxenctrl.so.4.17", host.get("libxenctrl_loaded"));
        assertEquals(Boolean.FALSE, host.get("privcmd"));
        assertTrue(((String) o.get("reason")).contains("not running on Xen"), r::toString);
        assertEquals("xenffm --backend emulated info", o.get("suggestion"));

        Run h = Run.real("info");
        assertTrue(h.out().contains("libxenctrl:      libxenctrl.so.4.17 loads"), h::toString);
    }

    @Test
    void jsonWriterEscapesAndWritesUnsigned() {
        String s = Json.object().put("s", "a\"b\\c\n\u0001").putUnsigned("gfn", ~0L).put("n", null)
                .put("l", List.of(1, true, "x")).put("o", Json.object().put("k", 2.5))
                .put("e", ExitCode.class.getSimpleName()).put("nan", Double.NaN).toString();
        Map<String, Object> m = JsonParser.object(s);
        assertEquals("a\"b\\c\n\u0001", m.get("s"));
        assertEquals(new BigDecimal("18446744073709551615"), m.get("gfn"));
        assertNull(m.get("n"));
        assertTrue(m.containsKey("n"));
        assertEquals(List.of(BigDecimal.ONE, true, "x"), m.get("l"));
        assertEquals(new BigDecimal("2.5"), Run.obj(m.get("o")).get("k"));
        assertNull(m.get("nan"));
        assertFalse(s.contains("\n"), "one line per object");
    }

    @Test
    void argumentParsing() {
        assertEquals(0x1000, Args.gfn("0x1000").value());
        assertEquals(4096, Args.gfn("4096").value());
        assertTrue(Args.gfn("invalid").isInvalid());
        assertEquals(7, Args.domain("d7").value());
        var r = Args.GfnRange.parse("0x10+16");
        assertEquals(0x10, r.first().value());
        assertEquals(0x1f, r.last().value());
        assertEquals(16, r.count());
        assertEquals(0x20, Args.GfnRange.parse("0x10..0x20").last().value());
        assertEquals(0x20, Args.GfnRange.parse("0x10-0x20").last().value());
        assertThrows(IllegalArgumentException.class, () -> Args.GfnRange.parse("5+0"));
        assertEquals(3, EmulatedHostSpec.parse("2x4096,1024:2").guests().size());
        assertEquals(2, EmulatedHostSpec.parse("2x4096,1024:2").guests().get(2).vcpus());
        assertEquals(List.of("share", "1", "a b", "x"), BatchCommand.split("share 1 'a b' x # comment"));
    }
}
