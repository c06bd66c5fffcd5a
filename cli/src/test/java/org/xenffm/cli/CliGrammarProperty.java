// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.XenException;
import org.xenffm.emulated.EmulatedHypervisor;

/**
 * The CLI grammar under random input — verbs, options, domain ids, gfns, ranges, accesses, views, batch scripts and
 * ledgers in every bad shape — against an emulated host: the exit code is one of README's table and never 70 (no
 * generated input is a bug), no stack trace is printed, every stdout line with --json is a JSON object, and a usage
 * error (exit 2) leaves the emulated host exactly as it was.
 */
class CliGrammarProperty {
    static final int[] README_CODES = {0, 1, 2, 3, 4, 5, 6, 7};
    static Path files;

    @BeforeContainer
    static void files() throws Exception {
        files = Files.createTempDirectory("xenffm-grammar");
        Files.writeString(files.resolve("good.xenffm"), "stats\nnominate 1 0x10\n");
        Files.writeString(files.resolve("quote.xenffm"), "share 1 '0x10 2 0x10\n");
        Files.write(files.resolve("latin1.xenffm"), "stats # caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        Files.writeString(files.resolve("nested.xenffm"), "batch good.xenffm\n");
        Files.writeString(files.resolve("garbage.xenffm"), "frobnicate 1 2\n");
        Files.createDirectories(files.resolve("dir"));
        Files.writeString(files.resolve("bad-ledger"), "# xenffm ledger v1\nshared 1 100 0x5\n");
        Files.write(files.resolve("latin1-ledger"), "domain 1 - false # \u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
    }

    @AfterContainer
    static void clean() throws Exception {
        try (var s = Files.walk(files)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Property(tries = 300, shrinking = ShrinkingMode.BOUNDED)
    void everyCommandLineEndsWithADocumentedCodeAndNoTrace(@ForAll("commandLines") List<String> words) {
        EmulatedHypervisor emu = EmulatedHost.start(EmulatedHostSpec.parse("2x4096"));
        String before = state(emu);
        List<String> args = new ArrayList<>(List.of("--backend", "emulated", "--json"));
        args.addAll(words);
        Run r = Run.with(emu, args.toArray(String[]::new));
        String what = String.join(" ", words) + "\n" + r;
        assertTrue(java.util.Arrays.stream(README_CODES).anyMatch(c -> c == r.exit()), () -> "undocumented code: " + what);
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception in"), () -> "stack trace: " + what);
        assertDoesNotThrow(r::json, () -> "stdout is not one JSON object per line: " + what);
        if (r.exit() == ExitCode.USAGE) assertEquals(before, state(emu), () -> "a usage error changed the host: " + what);
    }

    /** What a command could change on the emulated host: counters, domains, and the host entries it can name. */
    static String state(EmulatedHypervisor emu) {
        StringBuilder sb = new StringBuilder();
        sb.append(emu.sharingFreedPages()).append('/').append(emu.sharingUsedFrames());
        for (int d = 1; d <= 3; d++) {
            try {
                sb.append(' ').append(emu.domainGetinfo(DomainId.of(d)));
            } catch (XenException gone) {
                sb.append(" d").append(d).append(':').append(gone.errno());
            }
            for (long g : new long[] {0, 0x10, 0xfff})
                try {
                    sb.append(' ').append(emu.hostEntry(DomainId.of(d), Gfn.of(g)));
                } catch (RuntimeException none) {
                    sb.append(" -");
                }
            try {
                sb.append(" altp2m=").append(emu.altp2mGetDomainState(DomainId.of(d)));
            } catch (XenException off) {
                sb.append(" altp2m:").append(off.errno());
            }
        }
        return sb.toString();
    }

    // ---- the grammar ------------------------------------------------------------------------------------------

    static Arbitrary<String> domains() {
        return Arbitraries.of("1", "2", "d1", "0", "3", "77", "32752", "-1", "x", "0x1", "");
    }

    static Arbitrary<String> gfns() {
        return Arbitraries.of("0x10", "0", "0xfff", "0x1000", "~0", "invalid", "0x1000000000", "0xffffffffffffffff",
                "18446744073709551616", "0x", "abc", "-5", "0x1_0");
    }

    static Arbitrary<String> ranges() {
        return Arbitraries.oneOf(gfns(), Combinators.combine(gfns(), gfns(), Arbitraries.of("-", "..", "+"))
                .as((a, b, sep) -> a + sep + b));
    }

    static Arbitrary<String> accesses() { return Arbitraries.of("rx", "n", "rwx", "r_pw", "default", "rwz", "RX"); }

    static Arbitrary<String> views() { return Arbitraries.of("0", "1", "2", "9", "10", "65536", "v"); }

    static Arbitrary<String> scripts() {
        return Arbitraries.of("good.xenffm", "quote.xenffm", "latin1.xenffm", "nested.xenffm", "garbage.xenffm",
                "missing.xenffm", "dir").map(f -> files.resolve(f).toString());
    }

    static Arbitrary<List<String>> verb() {
        return Arbitraries.oneOf(
                Combinators.combine(domains(), gfns(), domains(), gfns()).as((a, b, c, d) -> List.of("share", a, b, c, d)),
                Combinators.combine(domains(), ranges()).as((a, b) -> List.of("nominate", a, b)),
                Combinators.combine(domains(), ranges()).as((a, b) -> List.of("unshare", a, b)),
                Combinators.combine(domains(), domains(), ranges()).as((a, b, c) -> List.of("range-share", a, b, c)),
                Combinators.combine(domains(), gfns(), domains(), gfns())
                        .as((a, b, c, d) -> List.of("add-to-physmap", a, b, "0x2", c, d)),
                ranges().map(r -> List.of("audit", "--range", r)),
                Arbitraries.just(List.of("stats")),
                Combinators.combine(domains(), views(), accesses(), ranges())
                        .as((a, b, c, d) -> List.of("altp2m", "access", "set", a, b, c, d)),
                Combinators.combine(domains(), views(), ranges()).as((a, b, c) -> List.of("altp2m", "access", "get", a, b, c)),
                Combinators.combine(domains(), accesses(), ranges()).as((a, b, c) -> List.of("access", "set", a, b, c)),
                Combinators.combine(domains(), ranges()).as((a, b) -> List.of("access", "get", a, b)),
                domains().map(d -> List.of("fork-reset", d)),
                domains().map(d -> List.of("altp2m", "create", d)),
                Combinators.combine(domains(), gfns()).as((a, b) -> List.of("debug-gfn", a, b)),
                scripts().map(f -> List.of("batch", f)),
                Arbitraries.of(List.of("frobnicate"), List.of("stats", "--frobnicate"), List.of("altp2m"),
                        List.of("share", "1"), List.of("monitor", "1", "nosuchmode")));
    }

    @Provide
    Arbitrary<List<String>> commandLines() {
        Arbitrary<List<String>> ledger = Arbitraries.of("", "missing-dir/ledger", "bad-ledger", "latin1-ledger", "dir",
                "fresh-ledger").map(l -> l.isEmpty() ? List.of() : List.of("--ledger", files.resolve(l).toString()));
        return Combinators.combine(ledger, verb()).as((l, v) -> {
            List<String> all = new ArrayList<>(l);
            all.addAll(v);
            return all;
        });
    }
}
