// SPDX-License-Identifier: Apache-2.0
package org.xenffm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.xenffm.emulated.EmulatorScaleBench;

/**
 * {@code ./run.sh bench}: runs the benchmark set behind README's performance table and prints it — medians with
 * their spread (min–max over every measured iteration of every fork), the ring consumers' ratios taken per iteration
 * within one JVM (paired, thread CPU time) — with the machine, JDK, gcc and load it ran under. JMH's own log goes to
 * {@code target/bench/jmh.log}. {@code FORKS} (default 3) sets the forks of the ring comparison; {@code PARTS} (default
 * {@code ring,allocation,session,scale}) chooses the parts, e.g. {@code PARTS=ring,allocation} for the ring consumer.
 */
public final class BenchTable {
    private static final Path OUT = Path.of("target/bench");
    private static final StringBuilder TABLE = new StringBuilder();

    private BenchTable() {}

    public static void main(String[] args) throws Exception {
        Files.createDirectories(OUT);
        int forks = Integer.parseInt(System.getenv().getOrDefault("FORKS", "3"));
        String load0 = load();
        long t0 = System.nanoTime();

        // PARTS (default all): e.g. PARTS=ring,allocation for the ring consumer alone
        String parts = System.getenv().getOrDefault("PARTS", "ring,allocation,session,scale");
        if (parts.contains("ring")) ring(forks);
        if (parts.contains("allocation")) allocation();
        if (parts.contains("session")) emulatorSession();
        if (parts.contains("scale")) emulatorScale();

        String load1 = load();
        System.out.println();
        System.out.println("machine: " + machine());
        System.out.println("JDK:     " + System.getProperty("java.vm.name") + " " + Runtime.version());
        System.out.println("gcc:     " + firstLine("gcc", "--version"));
        System.out.println("load:    " + load0 + " at start, " + load1 + " at end (1/5/15-minute averages, "
                + Runtime.getRuntime().availableProcessors() + " CPUs); took "
                + (System.nanoTime() - t0) / 1_000_000_000 + " s");
        System.out.println();
        System.out.print(TABLE);
    }

    // ---- the ring consumer against C: paired, CPU time per event, ratios per iteration ----------------------------

    private static void ring(int forks) throws Exception {
        Path log = OUT.resolve("ring.log");
        run(opts("org.xenffm.vmevent.VmEventRingBench.paired$").forks(forks).warmupIterations(8)
                .warmupTime(TimeValue.seconds(1)).measurementIterations(5).measurementTime(TimeValue.seconds(1)), log);
        List<Map<String, Double>> its = new ArrayList<>();
        Pattern item = Pattern.compile(" ([^;:]+?) ([0-9.]+);");
        for (String line : Files.readAllLines(log)) {
            int at = line.indexOf("PAIRED cpu ns/event:");
            if (at < 0) continue;
            Map<String, Double> m = new LinkedHashMap<>();
            Matcher x = item.matcher(line.substring(at + "PAIRED cpu ns/event:".length()));
            while (x.find()) m.put(x.group(1).trim(), Double.parseDouble(x.group(2)));
            its.add(m);
        }
        if (its.isEmpty()) throw new IllegalStateException("no paired iterations in " + log);
        row("## Ring consumer: CPU ns/event, and C time / Java time (> 1: Java faster); " + its.size()
                + " iterations (" + forks + " JVMs × 5), median [min–max]");
        row("");
        row("| consumer | ns/event | vs xen-access -O2 | vs xen-access -O3 native | vs lean C -O2 | vs lean C -O3 native "
                + "| Java / copy-only Java |");
        row("|---|---:|---:|---:|---:|---:|---:|");
        String[] c = {"c xen-access -O2", "c xen-access -O3 native", "c lean -O2", "c lean -O3 native"};
        for (String name : its.get(0).keySet()) {
            StringBuilder r = new StringBuilder("| " + name + " | " + stat(its, m -> m.get(name)));
            for (String cName : c) r.append(" | ").append(stat(its, m -> m.get(cName) / m.get(name)));
            r.append(" | ").append(name.startsWith("java") || name.startsWith("session")
                    ? stat(its, m -> m.get(name) / m.get("java copy-only")) : "");
            row(r.append(" |").toString());
        }
        row("");
    }

    // ---- allocation per event of the session paths (-prof gc) ------------------------------------------------------

    private static void allocation() throws Exception {
        Collection<RunResult> rs = run(opts("org.xenffm.vmevent.VmEventRingBench.session(Typed|View)$")
                .addProfiler("gc").forks(1).warmupIterations(3).warmupTime(TimeValue.seconds(1))
                .measurementIterations(3).measurementTime(TimeValue.seconds(1)), OUT.resolve("alloc.log"));
        row("## Allocation per event (-prof gc, gc.alloc.rate.norm)");
        row("");
        row("| path | B/event |");
        row("|---|---:|");
        for (RunResult r : rs)
            row("| " + shortName(r) + " | " + fmt(secondary(r, "gc.alloc.rate.norm")) + " |");
        row("");
    }

    // ---- end to end through the emulator ------------------------------------------------------------------------------

    private static void emulatorSession() throws Exception {
        Path log = OUT.resolve("session.log");
        Collection<RunResult> rs = run(opts("org.xenffm.vmevent.EmulatorSessionBench.cpuidLoop$").addProfiler("gc")
                .forks(2).warmupIterations(3).warmupTime(TimeValue.seconds(2)).measurementIterations(3)
                .measurementTime(TimeValue.seconds(2)), log);
        // events per CPU-second per handler kind, from the iteration lines under each "# Parameters:" header
        Map<String, List<Double>> cpu = new LinkedHashMap<>();
        Pattern param = Pattern.compile("^# Parameters: \\(handler = (\\w+)\\)");
        Pattern p = Pattern.compile("^Iteration.*= ([0-9]+) events per CPU-second");
        String handler = "?";
        for (String line : Files.readAllLines(log)) {
            Matcher pm = param.matcher(line.trim());
            if (pm.find()) handler = pm.group(1);
            Matcher m = p.matcher(line.trim());
            if (m.find()) cpu.computeIfAbsent(handler, k -> new ArrayList<>()).add(Double.parseDouble(m.group(1)));
        }
        row("## Emulator end to end: `EmulatorSessionBench.cpuidLoop` (8 vCPUs; handler typed = on(Cpuid), view = onView)");
        row("");
        row("| handler | events/s (wall) | events per CPU-second | B/event |");
        row("|---|---:|---:|---:|");
        for (RunResult r : rs) {
            String h = r.getParams().getParam("handler");
            row("| " + h + " | " + stat(scores(r)) + " | " + stat(cpu.getOrDefault(h, List.of())) + " | "
                    + fmt(secondary(r, "gc.alloc.rate.norm")) + " |");
        }
        row("");
    }

    private static void emulatorScale() throws Exception {
        Path cowLog = OUT.resolve("cow.log");
        Collection<RunResult> cow = run(opts("org.xenffm.emulated.EmulatorScaleBench.copyOnWrite")
                .addProfiler("gc").forks(1).warmupIterations(2).measurementIterations(4)
                .warmupTime(TimeValue.seconds(1)).measurementTime(TimeValue.seconds(1)), cowLog);
        row("## Emulator: copy-on-write guest writes (frames off the heap, recycled)");
        row("");
        row("| benchmark | time | B/op | GC during the measured iterations |");
        row("|---|---:|---:|---|");
        List<String> gcLines = new ArrayList<>();
        for (String line : Files.readAllLines(cowLog)) {
            int at = line.indexOf("GC: ");
            if (at >= 0 && line.startsWith("Iteration")) gcLines.add(line.substring(at + 4).trim());
        }
        for (RunResult r : cow) {
            boolean big = shortName(r).contains("1MiPages");
            row("| " + shortName(r) + " | " + stat(scores(r)) + " " + r.getPrimaryResult().getScoreUnit() + " | "
                    + fmt(secondary(r, "gc.alloc.rate.norm")) + " | " + (big ? String.join("; ", gcLines) : "") + " |");
        }
        // the writing thread's own CPU time and allocation: what the load does not distort
        List<Double> ns = new ArrayList<>(), bytes = new ArrayList<>();
        // 128 Ki writes: 512 MiB of frame memory, within the default direct-memory limit of a 2 GiB heap
        for (double[] round : EmulatorScaleBench.copyOnWriteProbe(4, 1 << 17)) { ns.add(round[0]); bytes.add(round[1]); }
        row("| copy-on-write write, writing thread's CPU time (4 rounds × 128 Ki writes, recycled memory) | "
                + stat(ns) + " ns CPU/op | " + stat(bytes) + " | |");
        row("");

        Collection<RunResult> curves = run(opts("org.xenffm.emulated.EmulatorScaleBench.(fork|forkResetMemory|rangeShare)$")
                .forks(1).warmupIterations(2).measurementIterations(3)
                .warmupTime(TimeValue.seconds(1)).measurementTime(TimeValue.seconds(1)), OUT.resolve("scale.log"));
        row("## Emulator scale curves (median [min–max])");
        row("");
        row("| operation | 1 Ki pages | 64 Ki pages | 1 Mi pages | 4 Mi pages (16 GiB) |");
        row("|---|---:|---:|---:|---:|");
        Map<String, Map<String, String>> byOp = new LinkedHashMap<>();
        for (RunResult r : curves) {
            String param = r.getParams().getParamsKeys().stream().map(k -> r.getParams().getParam(k))
                    .findFirst().orElse("?");
            byOp.computeIfAbsent(shortName(r) + " (" + r.getPrimaryResult().getScoreUnit() + ")",
                    k -> new LinkedHashMap<>()).put(param, stat(scores(r)));
        }
        String[] cols = {"1024", "65536", "1048576", "4194304"};
        byOp.forEach((op, m) -> {
            StringBuilder r = new StringBuilder("| " + op);
            for (String col : cols) r.append(" | ").append(m.getOrDefault(col, "—"));
            row(r.append(" |").toString());
        });
        StringBuilder heap = new StringBuilder("| heap of an untouched guest (MiB, after full GC)");
        for (String col : cols) heap.append(" | ").append(fmt(EmulatorScaleBench.untouchedGuestHeapMiB(Long.parseLong(col))));
        row(heap.append(" |").toString());
        StringBuilder shared = new StringBuilder("| heap of two guests sharing every page (MiB, after full GC; frame objects)");
        for (String col : cols) {
            if (col.equals("4194304")) { shared.append(" | —"); continue; }
            double[] s = EmulatorScaleBench.sharedGuestsHeap(Long.parseLong(col));
            shared.append(" | ").append(fmt(s[0])).append(" (").append((long) s[1]).append(')');
        }
        row(shared.append(" |").toString());
        row("");
    }

    // ---- helpers -----------------------------------------------------------------------------------------------------

    private static ChainedOptionsBuilder opts(String regex) {
        return new OptionsBuilder().include(regex).shouldFailOnError(true).verbosity(VerboseMode.NORMAL);
    }

    /** Runs JMH with everything it and the forked JVMs print going to {@code log} (the lines parsed here). */
    private static Collection<RunResult> run(ChainedOptionsBuilder o, Path log) throws Exception {
        System.out.println("bench: " + log.getFileName().toString().replace(".log", "") + " … (log: " + log + ")");
        java.io.PrintStream console = System.out;
        try (java.io.PrintStream file = new java.io.PrintStream(Files.newOutputStream(log), true)) {
            System.setOut(file);
            return new Runner(o.build()).run();
        } finally {
            System.setOut(console);
        }
    }

    private static List<Double> scores(RunResult r) {
        List<Double> out = new ArrayList<>();
        for (BenchmarkResult b : r.getBenchmarkResults())
            for (IterationResult it : b.getIterationResults()) out.add(it.getPrimaryResult().getScore());
        return out;
    }

    private static double secondary(RunResult r, String label) {
        Result<?> x = r.getSecondaryResults().get(label);
        return x == null ? Double.NaN : x.getScore();
    }

    private static String shortName(RunResult r) {
        String b = r.getParams().getBenchmark();
        return b.substring(b.lastIndexOf('.', b.lastIndexOf('.') - 1) + 1);
    }

    private static String stat(List<Map<String, Double>> its, ToDoubleFunction<Map<String, Double>> f) {
        List<Double> v = new ArrayList<>();
        for (Map<String, Double> m : its) v.add(f.applyAsDouble(m));
        return stat(v);
    }

    /** median [min–max] */
    private static String stat(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (a.length == 0) return "—";
        double med = a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
        return "**" + fmt(med) + "** [" + fmt(a[0]) + "–" + fmt(a[a.length - 1]) + "]";
    }

    private static String fmt(double d) {
        if (Double.isNaN(d)) return "—";
        double x = Math.abs(d);
        if (x >= 1e6) return String.format("%.2f M", d / 1e6);
        if (x >= 100) return String.format("%.0f", d);
        if (x >= 10) return String.format("%.1f", d);
        return String.format("%.2f", d);
    }

    private static void row(String s) { TABLE.append(s).append('\n'); }

    private static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return String.join(" ", Arrays.copyOf(f, 3));
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String machine() {
        String model = "unknown CPU";
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo")))
                if (l.startsWith("model name")) { model = l.substring(l.indexOf(':') + 1).trim(); break; }
        } catch (IOException ignored) {
            // not Linux: the JDK's count is still printed
        }
        return model + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, "
                + Runtime.getRuntime().maxMemory() / 1048576 + " MiB max heap here; " + System.getProperty("os.name")
                + " " + System.getProperty("os.version");
    }

    private static String firstLine(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("");
            p.waitFor();
            return out;
        } catch (IOException | InterruptedException e) {
            return "not found";
        }
    }
}
