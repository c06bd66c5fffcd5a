package org.xenffm.it;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xenffm.api.Hypervisor;

/**
 * Runs the scenario suite in one JVM against one backend and writes the per-scenario report.
 * <pre>
 *   java -cp ... org.xenffm.it.ScenarioMain --backend=xen --guest-config=/guest/pup.cfg --report=xen.tsv
 *   java -cp ... org.xenffm.it.ScenarioMain --backend=emulated --report=emulator.tsv
 * </pre>
 * Options: --groups=a,b (default: all but "panic"), --only=name,... , --stream (serial-log stream for the Bochs
 * dom0), --quiet. Exit 0 when every scenario passed, 1 otherwise. Real Xen needs dom0 (root), xl, and the puppet
 * guest's xl config; the emulator needs nothing.
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
        try (Backend b = Backend.open(backend, o.get("guest-config"))) {
            report.line("@run", "backend", b.describe(), "");
            results = new ScenarioRunner(b.hv(), b.guests(), report).run(chosen, groups);
        }
        report.finish(o.containsKey("report") ? Path.of(o.get("report")) : null);
        long pass = results.stream().filter(r -> r.status() == ScenarioRunner.Status.PASS).count();
        System.err.printf("SCENARIOS %s: %d run, %d pass, %d fail in %.1f s%n", backend, results.size(), pass,
                results.size() - pass, (System.nanoTime() - t0) / 1e9);
        for (ScenarioRunner.Result r : results)
            if (r.status() != ScenarioRunner.Status.PASS) System.err.println("  FAIL " + r.scenario().name() + ": " + r.failures());
        System.exit(pass == results.size() ? 0 : 1);
    }

    /** A hypervisor and the matching guest factory. */
    public interface Backend extends AutoCloseable {
        Hypervisor hv();

        GuestDriver.Factory guests();

        String describe();

        @Override void close();

        static Backend open(String name, String guestConfig) {
            return switch (name) {
                case "xen" -> Backends.xen(guestConfig == null ? "/guest/pup.cfg" : guestConfig);
                case "emulated" -> Backends.emulated();
                default -> throw new IllegalArgumentException("--backend must be xen or emulated");
            };
        }
    }
}
