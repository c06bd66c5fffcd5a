package org.xenffm.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.xenffm.api.Hypervisor;

/** Runs scenarios in order against one hypervisor (one JVM, one Xen boot), streaming every record line. */
public final class ScenarioRunner {
    public enum Status { PASS, FAIL, SKIP }

    public record Result(Scenario scenario, Status status, List<String> failures, Recorder record) {}

    /** Status line: step "@status", observed PASS/FAIL/SKIP, detail the failures. */
    public static final String STATUS = "@status";

    private final Hypervisor hv;
    private final GuestDriver.Factory guests;
    private final Recorder.Sink sink;

    public ScenarioRunner(Hypervisor hv, GuestDriver.Factory guests, Recorder.Sink sink) {
        this.hv = hv;
        this.guests = guests;
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
        try (Scenario.Ctx ctx = new Scenario.Ctx(hv, guests, rec)) {
            s.body().run(ctx);
        } catch (Recorder.ScenarioFailure e) {
            rec.fail(e.getMessage());
        } catch (Exception | AssertionError e) {
            rec.fail("unexpected " + e);
        }
        status = rec.failures().isEmpty() ? Status.PASS : Status.FAIL;
        sink.line(s.name(), STATUS, status.name(), String.join("; ", rec.failures()));
        return new Result(s, status, List.copyOf(rec.failures()), rec);
    }
}
