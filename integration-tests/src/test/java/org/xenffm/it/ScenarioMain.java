// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.XenVersion;

/**
 * Runs the scenario suite in one JVM against one backend and writes the per-scenario report.
 * <pre>
 *   java -cp ... org.xenffm.it.ScenarioMain --backend=xen --guest-config=/guest/pup.cfg --report=xen.tsv
 *   java -cp ... org.xenffm.it.ScenarioMain --backend=emulated --report=emulator.tsv
 * </pre>
 * Options: --groups=a,b (default: all but "panic"), --only=name,... , --stream (serial-log stream for the Bochs
 * dom0), --quiet; the Xen the expectations are for: --xen=4.17|4.20 (the emulated release; on real Xen, checked
 * against xc_version) and --mem-sharing=yes|no (CONFIG_MEM_SHARING in the hypervisor's build; default yes).
 * Exit 0 when every scenario passed or was N/A with its expectations met, 1 otherwise. Real Xen needs dom0 (root),
 * xl, and the puppet guest's xl config; the emulator needs nothing.
 */
public final class ScenarioMain {
    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>();
        for (String a : args) {
            if (!a.startsWith("--")) throw new IllegalArgumentException("unknown argument " + a);
            int eq = a.indexOf('=');
            o.put(eq < 0 ? a.substring(2) : a.substring(2, eq), eq < 0 ? "true" : a.substring(eq + 1));
        }
        String backend = o.getOrDefault("backend", "emulated");
        Set<String> groups = new LinkedHashSet<>();
        String g = o.getOrDefault("groups", "");
        if (g.isBlank()) Scenarios.all().forEach(s -> { if (!s.group().equals("panic")) groups.add(s.group()); });
        else groups.addAll(Arrays.stream(g.split(",")).filter(x -> !x.isBlank()).toList());
        List<Scenario> chosen = Scenarios.all();
        if (o.containsKey("only")) {
            Set<String> only = Set.of(o.get("only").split(","));
            chosen = chosen.stream().filter(s -> only.contains(s.name())).toList();
        }
        ReportLines report = new ReportLines(o.containsKey("stream") ? System.out : null, !o.containsKey("quiet"));
        long t0 = System.nanoTime();
        List<ScenarioRunner.Result> results;
        String ms = o.getOrDefault("mem-sharing", "yes");
        if (!ms.equals("yes") && !ms.equals("no")) throw new IllegalArgumentException("--mem-sharing must be yes or no");
        Scenario.Target want = new Scenario.Target(XenVersion.parse(o.getOrDefault("xen", "4.17")), ms.equals("yes"));
        try (Backend b = Backend.open(backend, o.get("guest-config"), want)) {
            if (o.containsKey("xen") && !b.target().version().equals(want.version()))
                throw new IllegalStateException("--xen=" + want.version() + " but the hypervisor is " + b.target().version());
            report.line("@run", "backend", b.describe(), b.target().toString());
            results = new ScenarioRunner(b, report).run(chosen, groups);
        }
        report.finish(o.containsKey("report") ? Path.of(o.get("report")) : null);
        long pass = results.stream().filter(r -> r.status() == ScenarioRunner.Status.PASS).count();
        long na = results.stream().filter(r -> r.status() == ScenarioRunner.Status.NA).count();
        long fail = results.size() - pass - na;
        System.err.printf("SCENARIOS %s: %d run, %d pass, %d n/a, %d fail in %.1f s%n", backend, results.size(), pass,
                na, fail, (System.nanoTime() - t0) / 1e9);
        for (ScenarioRunner.Result r : results)
            if (!r.status().ok()) System.err.println("  FAIL " + r.scenario().name() + ": " + r.failures());
        System.exit(fail == 0 ? 0 : 1);
    }

    /** A hypervisor and the matching guest factory. */
    public interface Backend extends AutoCloseable {
        Hypervisor hv();

        /** The Xen the expectations are written for. */
        Scenario.Target target();

        GuestDriver.Factory guests();

        String describe();

        @Override void close();

        static Backend open(String name, String guestConfig, Scenario.Target want) {
            return switch (name) {
                case "xen" -> Backends.xen(guestConfig == null ? "/guest/pup.cfg" : guestConfig, want.memSharing());
                case "emulated" -> Backends.emulated(want);
                default -> throw new IllegalArgumentException("--backend must be xen or emulated");
            };
        }
    }
}
