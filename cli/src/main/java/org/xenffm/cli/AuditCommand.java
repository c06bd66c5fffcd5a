// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.XenException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code audit}: xen-memshare's audit (xc_memshr_audit, debug hypervisors only) plus what dom0 can check on any
 * build: walking each domain's gfns with xc_memshr_debug_gfn and comparing against shr_pages and the global counters.
 */
@Command(name = "audit", sortOptions = false, usageHelpAutoWidth = true,
        header = "Check memory-sharing consistency (in Xen where possible, and from dom0).",
        description = {"1. xc_memshr_audit: Xen's own check of every shared frame (debug hypervisors; release",
                "   builds answer EOPNOTSUPP, builds without mem_sharing ENOSYS).",
                "2. For each domain, walk gfns 0..max_gpfn (or --range) with xc_memshr_debug_gfn: the number",
                "   of shared gfns must equal the domain's shr_pages.",
                "3. sum(shr_pages) = freed + used, and (full walks only) the shared frames reconstructed from",
                "   the sharer counts must equal used frames.",
                "A progress bar is shown on stderr for long walks when stdout is a terminal. One hypercall per",
                "gfn: a 4 GiB guest is 1M calls. Exit code 5 when anything is inconsistent."},
        footerHeading = "%nExamples:%n",
        footer = {"  xenffm audit", "  xenffm audit --domain 2 --range 0x0-0xfff", "  xenffm --json audit"})
final class AuditCommand extends XenCommand {
    @Option(names = "--domain", paramLabel = "DOMAIN", description = "audit only these domains (repeatable)")
    List<DomainId> only = new ArrayList<>();

    @Option(names = "--range", paramLabel = "GFNS", description = "walk only this gfn range")
    Args.GfnRange range;

    @Override int run(Hypervisor hv, Printer out) {
        int problems = 0;
        // 1. the hypervisor's own audit
        if (range != null) { // checked first: a usage error prints nothing else
            for (DomainInfo i : hv.domainGetinfolist(DomainId.DOM0, 1 << 15))
                if (only.isEmpty() ? i.hvm() : only.contains(i.domain())) range.within(hv, i.domain());
            for (DomainId d : only) range.within(hv, d);
        }
        Integer xenAudit = null;
        String xenAuditText;
        try {
            xenAudit = hv.memshrAudit();
            problems += xenAudit;
            xenAuditText = "xc_memshr_audit: " + xenAudit + " inconsistencies";
        } catch (XenException e) {
            if (e.errno() == Errno.ENOSYS) throw e; // no mem_sharing in this Xen: nothing to audit
            if (e.errno() != Errno.EOPNOTSUPP) throw e;
            xenAuditText = "xc_memshr_audit: not available (release hypervisor); dom0-side checks only";
        }
        out.result(Json.object().put("check", "xen_audit").put("inconsistencies", xenAudit)
                .put("available", xenAudit != null), xenAuditText);

        // 2. per-domain walk
        SharingCounters counters = SharingCounters.readAll(hv);
        List<DomainInfo> targets = new ArrayList<>();
        for (DomainInfo i : hv.domainGetinfolist(DomainId.DOM0, 1 << 15))
            if (only.isEmpty() ? i.hvm() : only.contains(i.domain())) targets.add(i);
        for (DomainId d : only)
            if (targets.stream().noneMatch(t -> t.domain().equals(d))) targets.add(hv.domainGetinfo(d)); // ESRCH
        boolean full = only.isEmpty() && range == null;
        Map<Integer, Long> gfnsBySharers = new TreeMap<>();
        for (DomainInfo info : targets) {
            DomainId d = info.domain();
            long first = range != null ? range.first().value() : 0;
            long last = range != null ? range.last().value() : hv.domainMaximumGpfn(d);
            long shared = 0, walked = 0, total = last - first + 1;
            try (Walk w = Walk.start(out, "auditing " + d, total)) {
                for (long g = first; Long.compareUnsigned(g, last) <= 0; g++) {
                    if (!w.next()) break;
                    int n = SharingCommands.sharers(hv, d, Gfn.of(g));
                    if (n > 0) {
                        shared++;
                        gfnsBySharers.merge(n, 1L, Long::sum);
                    }
                    walked++;
                    if (g == -1L) break;
                }
                if (w.stopped()) { // a partial walk proves nothing: say how far it got (gfns_done), check nothing
                    out.result(w.mark(Json.object().put("check", "domain").put("domain", d.value())
                                    .putUnsigned("first_gfn", first).put("shared_gfns", shared)),
                            d + ": " + shared + " shared so far" + w.stopNote() + "; nothing concluded");
                    return ExitCode.OK;
                }
            }
            long shr = hv.domainGetinfo(d).shrPages();
            boolean whole = range == null;
            boolean ok = !whole || shared == shr;
            if (!ok) problems++;
            out.result(Json.object().put("check", "domain").put("domain", d.value()).putUnsigned("first_gfn", first)
                            .putUnsigned("last_gfn", last).put("gfns_walked", walked).put("shared_gfns", shared)
                            .put("shr_pages", shr).put("consistent", whole ? ok : null),
                    d + ": " + walked + " gfns walked, " + shared + " shared" + (whole
                            ? (ok ? " = shr_pages " + shr : " but shr_pages is " + shr + "  <-- INCONSISTENT")
                            : " in the range (shr_pages " + shr + " for the whole domain)"));
        }

        // 3. global invariants
        boolean invariant = counters.invariantHolds();
        if (!invariant) problems++;
        Long frames = null;
        Boolean framesOk = null;
        if (full) {
            long f = 0;
            boolean divisible = true;
            for (var e : gfnsBySharers.entrySet()) {
                divisible &= e.getValue() % e.getKey() == 0;
                f += e.getValue() / e.getKey();
            }
            frames = f;
            framesOk = divisible && f == counters.used();
            if (!framesOk) problems++;
        }
        out.result(Json.object().put("check", "summary").put("sum_shr_pages", counters.sumShr())
                        .putUnsigned("freed_pages", counters.freed()).putUnsigned("used_frames", counters.used())
                        .put("invariant_holds", invariant).put("frames_from_walk", frames)
                        .put("frames_consistent", framesOk).put("inconsistencies", problems),
                "sum of shr_pages " + counters.sumShr() + (invariant ? " = " : " != ") + "freed " + counters.freed()
                        + " + used " + counters.used() + (frames == null ? ""
                        : "; shared frames seen by the walk: " + frames + (framesOk ? " = used" : " != used"))
                        + "\n" + (problems == 0 ? "audit: consistent" : "audit: " + problems + " problem(s)"));
        return problems == 0 ? ExitCode.OK : ExitCode.CHECK_FAILED;
    }
}
