package org.xenffm.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The emulator half of the integration suite, in every {@code mvn verify}: each scenario of {@link Scenarios} on a
 * fresh emulated host must meet xen-semantics' expectation (the same expectations real Xen 4.17.5 met under Bochs),
 * and the whole suite on ONE host, in Bochs boot order, must too (global handles and counters carry over there).
 */
class EmulatorScenarioTest {
    private static final Recorder.Sink QUIET = (s, step, observed, detail) -> {};

    @TestFactory
    Stream<DynamicTest> eachScenarioOnAFreshHost() {
        return Scenarios.all().stream().map(s -> DynamicTest.dynamicTest(s.name() + ": " + s.summary(), () -> {
            try (ScenarioMain.Backend b = Backends.emulated()) {
                ScenarioRunner.Result r = new ScenarioRunner(b.hv(), b.guests(), QUIET).run(s);
                assertEquals(ScenarioRunner.Status.PASS, r.status(), () -> s.name() + ": " + r.failures());
            }
        }));
    }

    @Test
    void wholeSuiteOnOneHostInBootOrder() {
        Set<String> groups = Scenarios.all().stream().map(Scenario::group).collect(Collectors.toSet());
        try (ScenarioMain.Backend b = Backends.emulated()) {
            List<ScenarioRunner.Result> results = new ScenarioRunner(b.hv(), b.guests(), QUIET).run(Scenarios.all(), groups);
            assertEquals(Scenarios.all().size(), results.size(), "every scenario ran; the panic one is last");
            for (ScenarioRunner.Result r : results)
                assertEquals(ScenarioRunner.Status.PASS, r.status(), () -> r.scenario().name() + ": " + r.failures());
            assertTrue(results.getLast().record().crashed(), "the last scenario crashes the host, as on 4.17.5");
        }
    }

    @Test
    void differentialFlagsADifferentObservationAndAMissingScenario() {
        Map<String, Map<String, String>> emu = new LinkedHashMap<>(), xen = new LinkedHashMap<>();
        emu.put("a", Map.of("x", "ok", ScenarioRunner.STATUS, "PASS"));
        xen.put("a", Map.of("x", "ok", ScenarioRunner.STATUS, "PASS"));
        emu.put("b", Map.of("x", "EINVAL", ScenarioRunner.STATUS, "PASS"));
        xen.put("b", Map.of("x", "ESRCH", ScenarioRunner.STATUS, "PASS"));
        emu.put("c", Map.of(ScenarioRunner.STATUS, "PASS"));
        StringBuilder md = new StringBuilder();
        DiffReport.Totals t = DiffReport.write(emu, xen, md);
        assertEquals(new DiffReport.Totals(3, 1, 1, 1, 3, 2), t);
        assertTrue(md.toString().contains("x: emulator EINVAL, Xen ESRCH"), md::toString);
        assertFalse(md.toString().contains("| a | PASS | PASS | **DISAGREE**"));
    }
}
