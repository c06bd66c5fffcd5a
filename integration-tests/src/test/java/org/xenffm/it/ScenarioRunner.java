// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.xenffm.api.Hypervisor;

/** Runs scenarios in order against one hypervisor (one JVM, one Xen boot), streaming every record line. */
public final class ScenarioRunner {
    public enum Status {
        PASS, FAIL, SKIP,
        /** Every expectation up to the point where the scenario stopped applying to this Xen was met. */
        NA;

        /** As written in the report ("N/A" for NA). */
        public String label() { return this == NA ? "N/A" : name(); }

        /** PASS and N/A both mean: every expectation recorded was met. */
        public boolean ok() { return this == PASS || this == NA; }
    }

    public record Result(Scenario scenario, Status status, List<String> failures, Recorder record) {}

    /** Status line: step "@status", observed PASS/FAIL/SKIP/N/A, detail the failures or the N/A reason. */
    public static final String STATUS = "@status";

    /** Step recording the console lines a scenario caused ({@link ConsoleLines}), at its end. */
    public static final String CONSOLE = "@console";

    private final Hypervisor hv;
    private final Scenario.Target target;
    private final GuestDriver.Factory guests;
    private final Recorder.Sink sink;

    public ScenarioRunner(ScenarioMain.Backend b, Recorder.Sink sink) {
        this.hv = b.hv();
        this.target = b.target();
        this.guests = b.guests();
        this.sink = sink;
    }

    public List<Result> run(List<Scenario> scenarios, Set<String> groups) {
        List<Result> results = new ArrayList<>();
        for (Scenario s : scenarios) {
            if (!groups.contains(s.group())) continue;
            results.add(run(s));
            if (results.getLast().record().crashed()) break; // the host is gone; nothing later can run
        }
        return results;
    }

    public Result run(Scenario s) {
        Recorder rec = new Recorder(s.name(), sink);
        Status status;
        String na = null;
        ConsoleLines console = ConsoleLines.mark(hv);
        try (Scenario.Ctx ctx = new Scenario.Ctx(hv, target, guests, rec, console)) {
            s.body().run(ctx);
        } catch (Scenario.NotApplicable e) {
            na = e.getMessage();
        } catch (Recorder.ScenarioFailure e) {
            rec.fail(e.getMessage());
        } catch (Exception | AssertionError e) {
            rec.fail("unexpected " + e);
        }
        // what the steps made Xen print (as far as the emulator models it); a panicked Xen cannot be read any more
        if (!rec.crashed()) {
            List<String> lines = console.since();
            rec.observe(CONSOLE, lines.isEmpty() ? "none" : String.join(" | ", lines));
        }
        status = !rec.failures().isEmpty() ? Status.FAIL : na != null ? Status.NA : Status.PASS;
        sink.line(s.name(), STATUS, status.label(), status == Status.NA ? na : String.join("; ", rec.failures()));
        return new Result(s, status, List.copyOf(rec.failures()), rec);
    }
}
