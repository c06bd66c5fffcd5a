// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.DomainId;
import org.xenffm.api.Hypervisor;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.util.ArrayList;
import java.util.List;

/** {@code stats}: the sharing counters and every domain's shr_pages, with Xen's invariant checked. */
final class StatsCommand extends XenCommand {
    List<DomainId> domains = List.of();

    /** Its picocli model, written as code: `stats` is a one-shot verb whose start-up should not be noticed. */
    static CommandSpec model() {
        StatsCommand c = new StatsCommand();
        CommandSpec spec = c.model("stats");
        spec.usageMessage()
                .header("Show sharing counters: freed pages, used frames and each domain's shared pages.")
                .description("xc_sharing_freed_pages (pages saved by sharing), xc_sharing_used_frames (shared frames in",
                        "use) and shr_pages of each domain (xc_domain_getinfolist). Xen keeps",
                        "sum(shr_pages) = freed + used; a mismatch (exit code 5) means a domain was created or destroyed",
                        "while reading, or a hypervisor bug. With DOMAINs only those rows are shown; the invariant is",
                        "always checked over all domains.")
                .footerHeading("%nExamples:%n")
                .footer("  xenffm stats", "  xenffm stats 1 2", "  xenffm --json stats | jq .freed_pages");
        Model.Binding<List<DomainId>> domains = Model.bind(() -> c.domains, v -> c.domains = v);
        spec.addPositional(PositionalParamSpec.builder().arity("0..*").paramLabel("DOMAIN").type(List.class)
                .auxiliaryTypes(DomainId.class).description("domains to list (default: all)").initialValue(List.of())
                .getter(domains).setter(domains).build());
        return spec;
    }

    @Override int run(Hypervisor hv, Printer out) {
        SharingCounters all = SharingCounters.readAll(hv);
        List<DomainId> shown = domains.isEmpty() ? List.copyOf(all.shrPages().keySet()) : domains;
        SharingCounters c = domains.isEmpty() ? all : SharingCounters.read(hv, shown);
        boolean ok = all.invariantHolds();
        List<List<String>> rows = new ArrayList<>();
        for (DomainId d : shown) rows.add(List.of(d.toString(), Long.toString(c.shr(d))));
        out.result(c.toJson().put("sum_shr_pages", all.sumShr()).put("invariant_holds", ok),
                "freed pages: " + c.freed() + " (memory saved by sharing)\nused frames: " + c.used()
                        + " (shared frames in use)\n" + Printer.table(List.of("domain", "shr_pages"), rows)
                        + "\nsum of shr_pages " + all.sumShr() + (ok ? " = " : " != ") + "freed + used "
                        + (all.freed() + all.used()) + (ok ? "" : "  <-- INCONSISTENT"));
        return ok ? ExitCode.OK : ExitCode.CHECK_FAILED;
    }
}
