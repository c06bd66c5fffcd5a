// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The differential report: scenario × (emulator, real Xen), agree/disagree. Two scenario runs agree when they
 * recorded the same steps with the same observed values (details are not compared) and the same status (PASS, FAIL
 * or N/A: a scenario that stopped applying to that Xen, e.g. sharing on a build without mem_sharing).
 * <pre>
 *   DiffReport emulator.tsv xen.tsv out.md                          one Xen release
 *   DiffReport --versions out.md 4.17=emu.tsv,xen.tsv 4.20=...      a column pair per release, one table
 * </pre>
 * Exit 1 on any disagreement, any scenario run on one side only, or any FAIL.
 */
public final class DiffReport {
    /** scenario -> (step -> observed), in file order. */
    static Map<String, Map<String, String>> read(Path p) throws IOException {
        Map<String, Map<String, String>> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(p)) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t", -1);
            if (f.length < 3) throw new IOException(p + ": bad line: " + line);
            if (f[0].startsWith("@")) continue; // run metadata (which backend), not a scenario
            m.computeIfAbsent(f[0], k -> new LinkedHashMap<>()).put(f[1], f[2]);
        }
        return m;
    }

    /** Counts; "ok" = every expectation met (status PASS or N/A). */
    public record Totals(int scenarios, int agree, int disagree, int onlyOne, int emuOk, int xenOk) {
        boolean clean() { return disagree == 0 && onlyOne == 0 && emuOk == scenarios && xenOk == scenarios; }

        String sentence(String xenName) {
            return scenarios + " scenarios: " + agree + " agree, " + disagree + " disagree, " + onlyOne
                    + " run on one side only; expectations met (PASS or N/A): " + emuOk + " on the emulator, " + xenOk
                    + " on " + xenName;
        }
    }

    /** One scenario compared on one release. */
    record Row(String emuStatus, String xenStatus, String verdict, String firstDifference) {}

    /** One release's comparison, scenario by scenario, in report order. */
    record Comparison(Map<String, Row> rows, Totals totals) {
        static Comparison of(Map<String, Map<String, String>> emu, Map<String, Map<String, String>> xen) {
            Set<String> names = new LinkedHashSet<>(emu.keySet());
            names.addAll(xen.keySet());
            Map<String, Row> rows = new LinkedHashMap<>();
            int agree = 0, disagree = 0, onlyOne = 0, emuOk = 0, xenOk = 0;
            for (String n : names) {
                Map<String, String> e = emu.get(n), x = xen.get(n);
                String es = status(e), xs = status(x);
                if (ok(es)) emuOk++;
                if (ok(xs)) xenOk++;
                String verdict, diff = "";
                if (e == null || x == null) {
                    verdict = "not run on both";
                    onlyOne++;
                } else if (e.equals(x)) {
                    verdict = "agree";
                    agree++;
                } else {
                    verdict = "**DISAGREE**";
                    disagree++;
                    diff = firstDifference(e, x);
                }
                rows.put(n, new Row(es, xs, verdict, diff));
            }
            return new Comparison(rows, new Totals(names.size(), agree, disagree, onlyOne, emuOk, xenOk));
        }

        private static String status(Map<String, String> r) { return r == null ? "—" : r.getOrDefault(ScenarioRunner.STATUS, "?"); }

        /** A report status whose {@link ScenarioRunner.Status#ok()} holds (PASS or N/A). */
        private static boolean ok(String s) {
            return java.util.Arrays.stream(ScenarioRunner.Status.values()).anyMatch(st -> st.ok() && st.label().equals(s));
        }
    }

    public static Totals write(Map<String, Map<String, String>> emu, Map<String, Map<String, String>> xen,
                               StringBuilder md) {
        Comparison c = Comparison.of(emu, xen);
        md.append("| scenario | emulator | real Xen | verdict | first difference |\n|---|---|---|---|---|\n");
        c.rows().forEach((n, r) -> md.append("| ").append(n).append(" | ").append(r.emuStatus()).append(" | ")
                .append(r.xenStatus()).append(" | ").append(r.verdict()).append(" | ").append(cell(r.firstDifference())).append(" |\n"));
        md.append("\n").append(c.totals().sentence("real Xen")).append("\n");
        return c.totals();
    }

    /** One table, a column pair + verdict per release (releases in the order given), differences listed below. */
    public static List<Totals> writeVersions(Map<String, Comparison> byRelease, StringBuilder md) {
        Set<String> names = new LinkedHashSet<>();
        byRelease.values().forEach(c -> names.addAll(c.rows().keySet()));
        md.append("| scenario |");
        byRelease.keySet().forEach(v -> md.append(" emulator ").append(v).append(" | real ").append(v).append(" | ").append(v).append(" |"));
        md.append("\n|---|").append("---|---|---|".repeat(byRelease.size())).append("\n");
        List<String> diffs = new ArrayList<>();
        for (String n : names) {
            md.append("| ").append(n).append(" |");
            byRelease.forEach((v, c) -> {
                Row r = c.rows().getOrDefault(n, new Row("—", "—", "not run", ""));
                md.append(" ").append(r.emuStatus()).append(" | ").append(r.xenStatus()).append(" | ").append(r.verdict()).append(" |");
                if (!r.firstDifference().isEmpty()) diffs.add(n + " on " + v + ": " + r.firstDifference());
            });
            md.append("\n");
        }
        md.append("\n");
        List<Totals> t = new ArrayList<>();
        byRelease.forEach((v, c) -> {
            md.append("- Xen ").append(v).append(": ").append(c.totals().sentence("real Xen " + v)).append("\n");
            t.add(c.totals());
        });
        if (!diffs.isEmpty()) {
            md.append("\nFirst differences:\n");
            diffs.forEach(d -> md.append("- ").append(d).append("\n"));
        }
        return t;
    }

    private static String cell(String s) { return s.replace("|", "\\|"); }

    static String firstDifference(Map<String, String> e, Map<String, String> x) {
        Set<String> steps = new LinkedHashSet<>(x.keySet());
        steps.addAll(e.keySet());
        for (String s : steps) {
            if (s.equals(ScenarioRunner.STATUS)) continue;
            String ev = e.get(s), xv = x.get(s);
            if (ev == null ? xv != null : !ev.equals(xv))
                return s + ": emulator " + (ev == null ? "(not reached)" : ev) + ", Xen " + (xv == null ? "(not reached)" : xv);
        }
        return "status only";
    }

    public static void main(String[] args) throws IOException {
        if (args.length >= 3 && args[0].equals("--versions")) {
            Map<String, Comparison> byRelease = new LinkedHashMap<>();
            for (int i = 2; i < args.length; i++) {
                String[] kv = args[i].split("=", 2), files = kv.length == 2 ? kv[1].split(",") : new String[0];
                if (files.length != 2) usage();
                byRelease.put(kv[0], Comparison.of(read(Path.of(files[0])), read(Path.of(files[1]))));
            }
            StringBuilder md = new StringBuilder("# xenffm scenarios: emulator vs real Xen, per release\n\n");
            List<Totals> t = writeVersions(byRelease, md);
            Files.writeString(Path.of(args[1]), md);
            System.exit(t.stream().allMatch(Totals::clean) ? 0 : 1);
        }
        if (args.length != 3) usage();
        StringBuilder md = new StringBuilder("# xenffm scenarios: emulator vs real Xen\n\n");
        Totals t = write(read(Path.of(args[0])), read(Path.of(args[1])), md);
        Files.writeString(Path.of(args[2]), md);
        System.exit(t.clean() ? 0 : 1);
    }

    private static void usage() {
        System.err.println("usage: DiffReport emulator.tsv xen.tsv out.md\n"
                + "       DiffReport --versions out.md <release>=emulator.tsv,xen.tsv ...");
        System.exit(2);
    }
}
