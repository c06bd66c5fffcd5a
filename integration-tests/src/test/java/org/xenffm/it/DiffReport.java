package org.xenffm.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The differential report: scenario × (emulator, real Xen), agree/disagree. Two scenario runs agree when they
 * recorded the same steps with the same observed values (details are not compared) and the same status.
 * usage: DiffReport emulator.tsv xen.tsv out.md — exit 1 on any disagreement or any FAIL.
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

    public record Totals(int scenarios, int agree, int disagree, int onlyOne, int emuPass, int xenPass) {}

    public static Totals write(Map<String, Map<String, String>> emu, Map<String, Map<String, String>> xen,
                               StringBuilder md) {
        Set<String> names = new LinkedHashSet<>(emu.keySet());
        names.addAll(xen.keySet());
        int agree = 0, disagree = 0, onlyOne = 0, emuPass = 0, xenPass = 0;
        md.append("| scenario | emulator | real Xen | verdict | first difference |\n|---|---|---|---|---|\n");
        for (String n : names) {
            Map<String, String> e = emu.get(n), x = xen.get(n);
            String es = e == null ? "—" : e.getOrDefault(ScenarioRunner.STATUS, "?");
            String xs = x == null ? "—" : x.getOrDefault(ScenarioRunner.STATUS, "?");
            if ("PASS".equals(es)) emuPass++;
            if ("PASS".equals(xs)) xenPass++;
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
            md.append("| ").append(n).append(" | ").append(es).append(" | ").append(xs).append(" | ")
                    .append(verdict).append(" | ").append(diff.replace("|", "\\|")).append(" |\n");
        }
        Totals t = new Totals(names.size(), agree, disagree, onlyOne, emuPass, xenPass);
        md.append("\n").append(t.scenarios()).append(" scenarios: ").append(t.agree()).append(" agree, ")
                .append(t.disagree()).append(" disagree, ").append(t.onlyOne()).append(" run on one side only; PASS: ")
                .append(t.emuPass()).append(" on the emulator, ").append(t.xenPass()).append(" on real Xen\n");
        return t;
    }

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
        if (args.length != 3) {
            System.err.println("usage: DiffReport emulator.tsv xen.tsv out.md");
            System.exit(2);
        }
        StringBuilder md = new StringBuilder("# xenffm scenarios: emulator vs real Xen\n\n");
        Totals t = write(read(Path.of(args[0])), read(Path.of(args[1])), md);
        Files.writeString(Path.of(args[2]), md);
        boolean ok = t.disagree() == 0 && t.onlyOne() == 0 && t.emuPass() == t.scenarios() && t.xenPass() == t.scenarios();
        System.exit(ok ? 0 : 1);
    }
}
