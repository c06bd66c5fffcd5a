// SPDX-License-Identifier: Apache-2.0
package org.xenffm.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xenffm.api.X86SelectorReg;

/**
 * Proves every generated binding package against the C compiler: gcc compiles native-headers/probe_xenNNN.c
 * against the same Xen headers, and every struct size/alignment, every member offset/size (nested, array element
 * 0, anonymous) and every constant's width and value must equal what the Java layouts and the header class say.
 *
 * <p>Every package is checked in every build, each against its own headers ({@link XenVersions#headerRoot}:
 * /usr/include for xen417, the tree native-headers/fetch-headers.sh unpacks for xen420, or
 * {@code -Dxenffm.headers.xenNNN=DIR}). Missing gcc or headers FAIL the test with the command that provides them:
 * they are build requirements, not optional extras.
 */
class LayoutProbeTest {

    static final Path REPO = XenVersions.REPO;
    static final Path BINDINGS = XenVersions.BINDINGS;

    /**
     * The only place jextract and gcc disagree: jextract drops the bitfields of vm_event_x86_selector_reg and
     * keeps 4 bytes of padding with alignment 1, where gcc aligns the uint32_t bitfield unit to 4. Size and every
     * offset around it agree; X86SelectorReg decodes the bits (checked below). Asserted, not ignored: if jextract
     * changes here, the test says so.
     */
    static final Map<String, String[]> KNOWN_DEVIATIONS = Map.of(
            "S " + ProbeGenerator.SELECTOR_REG, new String[] {"4 1", "4 4"});

    static Stream<String> packages() throws IOException {
        return XenVersions.packages().stream();
    }

    @ParameterizedTest
    @MethodSource("packages")
    void probeSourceIsGeneratedFromTheseBindings(String pkg) throws Exception {
        Path committed = probeSource(pkg);
        assertTrue(Files.exists(committed), committed + " missing: run bindings/regenerate.sh");
        String fresh = ProbeGenerator.generate(javaPackage(pkg), BINDINGS.resolve(pkg));
        List<String> want = fresh.lines().toList(), have = Files.readString(committed).lines().toList();
        for (int i = 0; i < Math.max(want.size(), have.size()); i++) {
            String w = i < want.size() ? want.get(i) : "<end of file>", h = i < have.size() ? have.get(i) : "<end of file>";
            if (!w.equals(h)) {
                fail(committed + " is stale (bindings changed without bindings/regenerate.sh); first difference at line "
                        + (i + 1) + ":\n  committed: " + h + "\n  generated: " + w);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("packages")
    void gccAgreesWithEveryLayoutAndConstant(String pkg) throws Exception {
        String javaPkg = javaPackage(pkg);
        var types = ProbeGenerator.types(javaPkg, BINDINGS.resolve(pkg));
        var constants = ProbeGenerator.constants(javaPkg);
        assertTrue(types.size() > 0 && constants.size() > 0, "found no structs or constants in " + javaPkg);

        Map<String, String> java = keyed(ProbeGenerator.expectedLines(types, constants));
        // the probe gcc compiles is generated right now from the loaded classes, so it covers exactly them;
        // probeSourceIsGeneratedFromTheseBindings separately holds the committed copy to the same text
        List<String> gccLines = runProbe(pkg, ProbeGenerator.cSource(javaPkg, types, constants));
        Map<String, String> gcc = keyed(gccLines.stream().filter(l -> !l.startsWith("B ")).toList());

        List<String> problems = new ArrayList<>();
        for (var e : java.entrySet()) {
            String key = e.getKey(), j = e.getValue(), c = gcc.get(key);
            if (c == null) {
                problems.add("missing from probe output: " + key + "  (java " + j + ")");
            } else if (KNOWN_DEVIATIONS.containsKey(key)) {
                String[] expected = KNOWN_DEVIATIONS.get(key);
                if (!expected[0].equals(j) || !expected[1].equals(c)) {
                    problems.add("known deviation changed: " + key + "  java " + j + " (expected " + expected[0]
                            + ")  gcc " + c + " (expected " + expected[1] + ")");
                }
            } else if (!j.equals(c)) {
                problems.add("differs: " + key + "  java " + j + "  gcc " + c);
            }
        }
        gcc.keySet().stream().filter(k -> !java.containsKey(k)).forEach(k -> problems.add("only in probe: " + k));
        if (!problems.isEmpty()) {
            fail(problems.size() + " layout/constant mismatches between " + javaPkg + " and gcc"
                    + " (format: S type size align | M type member offset size | C name width bits):\n  "
                    + String.join("\n  ", problems.subList(0, Math.min(80, problems.size()))));
        }
        long members = java.keySet().stream().filter(k -> k.startsWith("M ")).count();
        assertTrue(members > 1000, "suspiciously few members checked: " + members);

        if (types.stream().anyMatch(t -> t.name().equals(ProbeGenerator.SELECTOR_REG))) {
            checkSelectorBitfields(gccLines);
        }
    }

    /** gcc set limit/ar by bitfield assignment and printed the word; X86SelectorReg must agree both ways. */
    private static void checkSelectorBitfields(List<String> gccLines) {
        List<String> b = gccLines.stream().filter(l -> l.startsWith("B ")).toList();
        assertEquals(ProbeGenerator.SELECTOR_VECTORS.length, b.size(), "bitfield vectors printed by the probe");
        for (String line : b) {
            String[] f = line.split(" ");
            int limit = Integer.parseUnsignedInt(f[1].substring(2), 16);
            int ar = Integer.parseUnsignedInt(f[2].substring(2), 16);
            int raw = Integer.parseUnsignedInt(f[3].substring(2), 16);
            X86SelectorReg decoded = X86SelectorReg.decode(raw);
            assertEquals(new X86SelectorReg(limit, ar), decoded, "decode of gcc word " + f[3]);
            assertEquals(raw, new X86SelectorReg(limit, ar).encode(),
                    () -> "encode(limit=" + f[1] + ", ar=" + f[2] + ") vs gcc " + f[3]);
        }
    }

    private static List<String> runProbe(String pkg, String source) throws Exception {
        Path headers = XenVersions.headerRoot(pkg);
        Path dir = Files.createTempDirectory("xenffm-probe-");
        try {
            Path c = dir.resolve("probe_" + pkg + ".c"), exe = dir.resolve("probe");
            Files.writeString(c, source);
            Result cc = run(dir, List.of("gcc", "-std=gnu11", "-O0", "-Wall", "-Wextra", "-Werror",
                    "-I" + headers, "-I" + REPO.resolve("native-headers"), c.toString(), "-o", exe.toString()),
                    "gcc not found on PATH: install gcc and libxen-dev (./run.sh deps does it; CI installs them)");
            if (cc.exit != 0) {
                fail("gcc could not compile the layout probe against " + headers
                        + (cc.output.contains("xenctrl.h") ? " (Xen headers missing? see bindings/README.md, or set"
                        + " -Dxenffm.headers." + pkg + "=DIR)" : "") + ":\n" + cc.output);
            }
            Result out = run(dir, List.of(exe.toString()), "cannot run " + exe);
            assertEquals(0, out.exit, "probe exit status: " + out.output);
            return out.output.lines().toList();
        } finally {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private record Result(int exit, String output) {}

    private static Result run(Path dir, List<String> cmd, String notFound) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            fail(notFound + " (" + e.getMessage() + ")");
            throw e;
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(cmd.get(0) + " timed out");
        }
        return new Result(p.exitValue(), output);
    }

    /** "S name size align" -> key "S name"; "M name path off size" -> "M name path"; "C NAME w bits" -> "C NAME". */
    private static Map<String, String> keyed(List<String> lines) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String l : lines) {
            String[] f = l.split(" ");
            int keyFields = f[0].equals("M") ? 3 : 2;
            String key = String.join(" ", List.of(f).subList(0, keyFields));
            String value = String.join(" ", List.of(f).subList(keyFields, f.length));
            if (m.put(key, value) != null) {
                fail("duplicate probe key " + key);
            }
        }
        return m;
    }

    private static Path probeSource(String pkg) {
        return REPO.resolve("native-headers/probe_" + pkg + ".c");
    }

    private static String javaPackage(String pkg) {
        return XenVersions.javaPackage(pkg);
    }
}
