// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.xenffm.api.HypervisorCrashedException;
import org.xenffm.api.UnsupportedOnThisXenException;
import org.xenffm.api.XenException;

/**
 * One scenario's record: every step's observed outcome, in order, as a short comparable string
 * ("ok", "ok 3", "EINVAL", "CRASH"), plus a free-text detail that is shown but never compared (messages, panic
 * text). Scenarios also state what docs/xen-semantics.md §8 expects; a mismatch fails the scenario on that backend,
 * independently of whether the two backends agree.
 */
public final class Recorder {
    /** Receives each line the moment it is known (dom0 streams them to the serial log, so a Xen panic loses none). */
    public interface Sink {
        void line(String scenario, String step, String observed, String detail);

        /** Announced before a call that may panic Xen: if the log ends here, this call crashed it. */
        default void aboutToCall(String scenario, String step) {}
    }

    /** The outcome of one call: a value, or an errno, or a hypervisor crash. */
    public record Outcome<T>(T value, XenException error) {
        public boolean ok() { return error == null; }

        public T get() {
            if (error != null) throw new ScenarioFailure("needed a value but the call failed: " + error.getMessage());
            return value;
        }
    }

    /** Thrown to end a scenario early (a precondition step failed); recorded as a FAIL. */
    public static final class ScenarioFailure extends RuntimeException {
        public ScenarioFailure(String m) { super(m); }
    }

    private final String scenario;
    private final Sink sink;
    private final Map<String, String> observed = new LinkedHashMap<>();
    private final List<String> failures = new ArrayList<>();
    private boolean crashed;

    public Recorder(String scenario, Sink sink) {
        this.scenario = scenario;
        this.sink = sink;
    }

    public String scenario() { return scenario; }

    /** Runs a call that returns nothing; records "ok" or its errno name. */
    public Outcome<Void> run(String step, Runnable call) {
        return call(step, () -> { call.run(); return null; });
    }

    /** Runs a call; records "ok" (the value is recorded separately, when it is comparable) or the errno name. */
    public <T> Outcome<T> call(String step, Supplier<T> call) {
        if (crashed) throw new ScenarioFailure("the hypervisor crashed earlier");
        sink.aboutToCall(scenario, step);
        try {
            T v = call.get();
            put(step, "ok", v == null ? "" : String.valueOf(v));
            return new Outcome<>(v, null);
        } catch (HypervisorCrashedException e) {
            crashed = true;
            put(step, "CRASH", e.panic());
            return new Outcome<>(null, e);
        } catch (XenException e) {
            put(step, e.errno().name(), e.getMessage());
            return new Outcome<>(null, e);
        } catch (UnsupportedOnThisXenException e) { // refused by the library for this Xen version, on both backends
            put(step, "UNSUPPORTED", e.getMessage());
            return new Outcome<>(null, null);
        }
    }

    /** Records a value read back (a count, an access, a relative handle...). */
    public void observe(String step, Object value) {
        put(step, String.valueOf(value), "");
    }

    /** Records a value and checks it against the expectation in docs/xen-semantics.md. */
    public void expectValue(String step, Object expected, Object actual) {
        observe(step, actual);
        expect(step, String.valueOf(expected));
    }

    /** Checks an already-recorded step against the expected observation (e.g. "ok", "EINVAL", "CRASH"). */
    public void expect(String step, String expected) {
        String got = observed.get(step);
        if (!expected.equals(got)) {
            failures.add(step + ": expected " + expected + ", observed " + got);
            // streamed at once too: if Xen panics later in this scenario, the failure is still known
            sink.line(scenario, "!" + step, "expected " + expected, "observed " + got);
        }
    }

    /** Records a call and checks its outcome in one go. */
    public <T> Outcome<T> expect(String step, String expected, Supplier<T> call) {
        Outcome<T> o = call(step, call);
        expect(step, expected);
        return o;
    }

    public Outcome<Void> expectRun(String step, String expected, Runnable call) {
        Outcome<Void> o = run(step, call);
        expect(step, expected);
        return o;
    }

    public boolean crashed() { return crashed; }

    public List<String> failures() { return failures; }

    public Map<String, String> observed() { return observed; }

    void fail(String why) { failures.add(why); }

    private void put(String step, String value, String detail) {
        if (observed.containsKey(step)) throw new IllegalStateException(scenario + ": step recorded twice: " + step);
        observed.put(step, value);
        sink.line(scenario, step, value, detail);
    }
}
