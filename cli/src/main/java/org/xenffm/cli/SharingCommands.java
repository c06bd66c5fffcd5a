// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.Gfn;
import org.xenffm.api.GrantRef;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.XenException;
import org.xenffm.safe.ConflictPolicy;
import org.xenffm.safe.SharingAwareAltp2m;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/** The mem_sharing verbs, after Xen's xen-memshare tool (tools/misc/xen-memshare.c), one class per verb. */
final class SharingCommands {
    /** gfns handled per batch in a range walk that must act on what it found: memory stays flat. */
    static final int BATCH = 4096;

    private SharingCommands() {}

    /** Whether the gfn is backed by a shared frame right now (xc_memshr_debug_gfn: EINVAL = not shared). */
    static boolean isShared(Hypervisor hv, DomainId d, Gfn g) {
        try {
            hv.memshrDebugGfn(d, g);
            return true;
        } catch (XenException e) {
            if (e.errno() == Errno.EINVAL || e.errno() == Errno.ENOSYS) return false;
            throw e;
        }
    }

    /** Sharers of the frame behind (d, g), or 0 when it is not shared. */
    static int sharers(Hypervisor hv, DomainId d, Gfn g) {
        try {
            return hv.memshrDebugGfn(d, g);
        } catch (XenException e) {
            if (e.errno() == Errno.EINVAL) return 0;
            throw e;
        }
    }

    @Command(name = "nominate", sortOptions = false, usageHelpAutoWidth = true,
            header = "Nominate pages for sharing and print their handles.",
            description = {"xc_memshr_nominate_gfn (or _gref with --gref) for each argument. The page becomes",
                    "p2m_ram_shared with a single owner and gets a global handle (2, 3, … after boot). Nominating an",
                    "already shared page returns its existing handle. Fails with EINVAL for holes and non-RAM, with",
                    "E2BIG while a foreign or grant mapping holds the page, and with EINVAL when an altp2m view maps",
                    "the gfn differently from the host."},
            footerHeading = "%nExamples:%n",
            footer = {"  xenffm nominate 1 0x1000", "  xenffm nominate 1 0x1000-0x100f",
                    "  xenffm --json nominate --gref 1 7"})
    static final class Nominate extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "GFNS",
                description = "gfns or ranges (grant references with --gref)") List<Args.GfnRange> targets;
        @Option(names = "--gref", description = "the arguments are grant references (xc_memshr_nominate_gref)")
        boolean gref;

        @Override int run(Hypervisor hv, Printer out) {
            for (Args.GfnRange r : targets) {
                if (gref && Long.compareUnsigned(r.last().value(), 0xffffffffL) > 0)
                    throw new IllegalArgumentException("grant reference " + Args.hex(r.last().value()) + " does not fit 32 bits");
                if (!gref) r.within(hv, domain);
                try (Walk w = Walk.start(out, "nominating in " + domain, r.count())) {
                    for (long g = r.first().value(); Long.compareUnsigned(g, r.last().value()) <= 0; g++) {
                        if (!w.next()) break;
                        SharingAwareAltp2m k = root().keeper();
                        if (k != null && gref) throw new IllegalArgumentException("--keep-views works on gfns, not grefs");
                        SharingHandle h = k != null ? k.nominate(domain, Gfn.of(g))
                                : gref ? hv.memshrNominateGref(domain, GrantRef.of((int) g))
                                : hv.memshrNominateGfn(domain, Gfn.of(g));
                        out.result(Json.object().put("domain", domain.value()).putUnsigned(gref ? "gref" : "gfn", g)
                                        .putUnsigned("handle", h.value()),
                                domain + " " + (gref ? "gref " + g : Gfn.of(g)) + ": " + h);
                        if (g == -1L) break;
                    }
                    if (w.stopped()) {
                        w.reportIfStopped(out, domain);
                        return ExitCode.OK;
                    }
                }
            }
            return ExitCode.OK;
        }
    }

    @Command(name = "share", sortOptions = false, usageHelpAutoWidth = true,
            header = "Share one page of a client domain with one page of a source domain.",
            description = {"xc_memshr_share_gfns: the client's page is merged into the source's frame and freed",
                    "(freed pages +1). Both pages must be nominated; handles not given with --source-handle /",
                    "--client-handle are obtained by nominating first, as xen-memshare users do by hand.",
                    "Sharing is enabled on the client first (Xen enables only the source by itself) unless --no-enable.",
                    "Errors: ECHILD (source handle invalid or stale), EBADF (client handle invalid), EINVAL (client",
                    "has sharing disabled). The pages' contents are NOT compared: sharing different contents makes",
                    "the client read the source's bytes."},
            footerHeading = "%nExamples:%n",
            footer = {"  xenffm share 1 0x1000 2 0x1000", "  xenffm share 1 0x1000 2 0x2000 --source-handle 2 --client-handle 3",
                    "  xenffm share --grefs 1 5 2 9"})
    static final class Share extends XenCommand {
        @Parameters(index = "0", paramLabel = "SOURCE", description = ArgDocs.SOURCE) DomainId source;
        @Parameters(index = "1", paramLabel = "SOURCE_GFN", description = ArgDocs.GFN) Gfn sourceArg;
        @Parameters(index = "2", paramLabel = "CLIENT", description = ArgDocs.CLIENT) DomainId client;
        @Parameters(index = "3", paramLabel = "CLIENT_GFN", description = ArgDocs.GFN) Gfn clientArg;
        @Option(names = "--source-handle", paramLabel = "HANDLE", description = "the source page's handle (default: nominate it)") SharingHandle sourceHandle;
        @Option(names = "--client-handle", paramLabel = "HANDLE", description = "the client page's handle (default: nominate it)") SharingHandle clientHandle;
        @Option(names = "--grefs", description = "the page arguments are grant references (xc_memshr_share_grefs)")
        boolean grefs;
        @Option(names = "--no-enable", description = "do not enable sharing on the client first (xc_memshr_control)")
        boolean noEnable;

        @Override int run(Hypervisor hv, Printer out) {
            long sourceGfn = sourceArg.value(), clientGfn = clientArg.value();
            if (grefs && (Long.compareUnsigned(sourceGfn, 0xffffffffL) > 0
                    || Long.compareUnsigned(clientGfn, 0xffffffffL) > 0))
                throw new IllegalArgumentException("grant references are 32 bits");
            SharingAwareAltp2m k = root().keeper();
            if (k != null) return shareKept(this, k, hv, out);
            if (!noEnable) hv.memshrControl(client, true);
            SharingHandle sh = sourceHandle != null ? sourceHandle : grefs
                    ? hv.memshrNominateGref(source, GrantRef.of((int) sourceGfn))
                    : hv.memshrNominateGfn(source, Gfn.of(sourceGfn));
            SharingHandle ch = clientHandle != null ? clientHandle : grefs
                    ? hv.memshrNominateGref(client, GrantRef.of((int) clientGfn))
                    : hv.memshrNominateGfn(client, Gfn.of(clientGfn));
            if (grefs) hv.memshrShareGrefs(source, GrantRef.of((int) sourceGfn), sh, client,
                    GrantRef.of((int) clientGfn), ch);
            else hv.memshrShareGfns(source, Gfn.of(sourceGfn), sh, client, Gfn.of(clientGfn), ch);
            Integer sharers = grefs ? null : sharers(hv, source, Gfn.of(sourceGfn));
            SharingCounters c = SharingCounters.read(hv, List.of(source, client));
            String kind = grefs ? "gref" : "gfn";
            out.result(Json.object().put("source", source.value()).putUnsigned("source_" + kind, sourceGfn)
                            .putUnsigned("source_handle", sh.value()).put("client", client.value())
                            .putUnsigned("client_" + kind, clientGfn).putUnsigned("client_handle", ch.value())
                            .put("sharers", sharers).put("counters", c.toJson()),
                    "shared " + client + " " + kind + " " + Args.hex(clientGfn) + " (" + ch + ") into " + source
                            + " " + kind + " " + Args.hex(sourceGfn) + " (" + sh + ")"
                            + (sharers != null ? "; the frame now has " + sharers + " sharers" : "")
                            + "\n" + c.human());
            return ExitCode.OK;
        }
    }

    /** share under --keep-views: the keeper nominates (aligning views), checks contents and re-applies views. */
    private static int shareKept(Share c, SharingAwareAltp2m k, Hypervisor hv, Printer out) {
        if (c.grefs || c.sourceHandle != null || c.clientHandle != null)
            throw new IllegalArgumentException("with --keep-views, share takes gfns and nominates them itself");
        Gfn sg = c.sourceArg, cg = c.clientArg;
        var r = k.share(c.source, sg, c.client, cg);
        int sharers = sharers(hv, c.source, sg);
        SharingCounters counters = SharingCounters.read(hv, List.of(c.source, c.client));
        out.result(Json.object().put("source", c.source.value()).putUnsigned("source_gfn", sg.value())
                        .putUnsigned("source_handle", r.handle().value()).put("client", c.client.value())
                        .putUnsigned("client_gfn", cg.value()).put("sharers", sharers)
                        .put("views_reapplied", r.slotsReapplied()).put("counters", counters.toJson()),
                "shared " + c.client + " " + cg + " into " + c.source + " " + sg + " (" + r.handle() + "), contents "
                        + "checked; " + r.slotsReapplied() + " view entries re-applied\n" + counters.human());
        return ExitCode.OK;
    }

    @Command(name = "unshare", sortOptions = false, usageHelpAutoWidth = true,
            header = "Break sharing of guest pages (there is no unshare hypercall; this writes through a mapping).",
            description = {"Xen has no unshare call: a shared page is copied when something writes to it",
                    "(mem_sharing.c:__mem_sharing_unshare_page, from the write fault or a writable mapping).",
                    "This verb does what dom0 can: it pauses the domain, maps each shared gfn writable",
                    "(xenforeignmemory_map), rewrites one byte with its own value, unmaps and unpauses. The",
                    "contents do not change; the gfn gets a private copy (or keeps the frame if it was the last",
                    "sharer). gfns that are not shared are left alone. Needs free host memory (ENOMEM otherwise).",
                    "Works from a PV dom0 (Debian's default), where a writable mapping is made with P2M_UNSHARE",
                    "(mm.c:mod_l1_entry); a PVH dom0 cannot map shared pages at all (p2m.c:p2m_add_foreign: EINVAL)."},
            footerHeading = "%nExamples:%n",
            footer = {"  xenffm unshare 2 0x1000", "  xenffm unshare 2 0x1000-0x10ff"})
    static final class Unshare extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "GFNS", description = "a gfn or range") Args.GfnRange range;

        @Override int run(Hypervisor hv, Printer out) {
            range.within(hv, domain);
            SharingCounters before = SharingCounters.readAll(hv);
            SharingAwareAltp2m k = root().keeper();
            List<Gfn> batch = new ArrayList<>(BATCH);  // a batch at a time: memory stays flat whatever the range
            List<Long> still = new ArrayList<>();      // only gfns a write left shared (an error list)
            long written = 0;
            try (Walk w = Walk.start(out, "unsharing in " + domain, range.count())) {
                for (long g = range.first().value(); Long.compareUnsigned(g, range.last().value()) <= 0; g++) {
                    if (!w.next()) break;
                    if (isShared(hv, domain, Gfn.of(g))) batch.add(Gfn.of(g));
                    if (batch.size() == BATCH) written += unshare(hv, k, batch, still);
                    if (g == -1L) break;
                }
                written += unshare(hv, k, batch, still); // after a stop too: what was found is written
                SharingCounters after = SharingCounters.readAll(hv);
                out.result(w.mark(Json.object().put("domain", domain.value())
                                .putUnsigned("first_gfn", range.first().value())
                                .putUnsigned("last_gfn", range.last().value())
                                .put("unshared", written - still.size())
                                .put("still_shared", still).put("counters", after.toJson())),
                        "Xen has no unshare hypercall; wrote through a writable mapping of " + written
                                + " shared gfn(s) of " + range + " in " + domain + ".\n"
                                + (written - still.size()) + " unshared" + (still.isEmpty() ? ""
                                : ", still shared: " + still) + "; " + after.delta(before) + w.stopNote());
            }
            return still.isEmpty() ? ExitCode.OK : ExitCode.CHECK_FAILED;
        }

        /** Writes each gfn of {@code batch} back to itself (the write is what makes Xen copy), then empties it. */
        private int unshare(Hypervisor hv, SharingAwareAltp2m k, List<Gfn> batch, List<Long> still) {
            int n = batch.size();
            if (n == 0) return 0;
            if (k != null) {
                for (Gfn g : batch) k.unshare(domain, g); // the same foreign write, with the views re-applied
            } else {
                hv.domainPause(domain);
                try (ForeignMapping m = hv.foreignMemoryMap(domain, true, batch)) {
                    for (int i = 0; i < n; i++) {
                        long off = (long) i * 4096;
                        byte b = m.memory().get(ValueLayout.JAVA_BYTE, off);
                        m.memory().set(ValueLayout.JAVA_BYTE, off, b);
                    }
                } finally {
                    hv.domainUnpause(domain);
                }
            }
            for (Gfn g : batch) if (isShared(hv, domain, g)) still.add(g.value());
            batch.clear();
            return n;
        }
    }

    @Command(name = "add-to-physmap", sortOptions = false, usageHelpAutoWidth = true,
            header = "Map a shared page of the source into a hole of the client (no client page needed).",
            description = {"xc_memshr_add_to_physmap: the client gfn must be a hole (else EBADF = client handle",
                    "invalid); it becomes p2m_ram_shared with the client's default access, freed pages +1. The",
                    "source page is nominated first unless --source-handle is given; sharing is enabled on the",
                    "client unless --no-enable."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm add-to-physmap 1 0x1000 3 0x1000"})
    static final class AddToPhysmap extends XenCommand {
        @Parameters(index = "0", paramLabel = "SOURCE", description = ArgDocs.SOURCE) DomainId source;
        @Parameters(index = "1", paramLabel = "SOURCE_GFN", description = ArgDocs.GFN) Gfn sourceGfn;
        @Parameters(index = "2", paramLabel = "CLIENT", description = ArgDocs.CLIENT) DomainId client;
        @Parameters(index = "3", paramLabel = "CLIENT_GFN", description = ArgDocs.GFN) Gfn clientGfn;
        @Option(names = "--source-handle", paramLabel = "HANDLE", description = "the source page's handle (default: nominate it)") SharingHandle sourceHandle;
        @Option(names = "--no-enable", description = "do not enable sharing on the client first (xc_memshr_control)")
        boolean noEnable;

        @Override int run(Hypervisor hv, Printer out) {
            if (!noEnable) hv.memshrControl(client, true);
            SharingHandle sh = sourceHandle != null ? sourceHandle : hv.memshrNominateGfn(source, sourceGfn);
            hv.memshrAddToPhysmap(source, sourceGfn, sh, client, clientGfn);
            SharingCounters c = SharingCounters.read(hv, List.of(source, client));
            int n = sharers(hv, source, sourceGfn);
            out.result(Json.object().put("source", source.value()).putUnsigned("source_gfn", sourceGfn.value())
                            .putUnsigned("source_handle", sh.value()).put("client", client.value())
                            .putUnsigned("client_gfn", clientGfn.value()).put("sharers", n)
                            .put("counters", c.toJson()),
                    "mapped " + source + " " + sourceGfn + " (" + sh + ") at " + client + " " + clientGfn
                            + "; the frame now has " + n + " sharers\n" + c.human());
            return ExitCode.OK;
        }
    }

    @Command(name = "range-share", sortOptions = false, usageHelpAutoWidth = true,
            header = "Deduplicate a gfn range between two domains in one hypercall.",
            description = {"xc_memshr_range_share: for each gfn in the range, nominate it in both domains and share",
                    "the client's page into the source's. Xen requires both domains paused (EINVAL otherwise), so",
                    "this verb pauses them around the call unless --no-pause, and enables sharing on the client (Xen",
                    "enables only the source itself) unless --no-enable. Contents are NOT compared: use it on",
                    "guests cloned from the same image. Xen skips gfns that cannot be nominated (holes, mapped",
                    "pages) and reports only the last gfn's error: check the result with `xenffm audit`. With",
                    "--keep-views the range is shared gfn by gfn through org.xenffm.safe instead: contents compared,",
                    "views kept, and an outcome for every gfn."},
            footerHeading = "%nExamples:%n",
            footer = {"  xenffm range-share 1 2 0x0-0xfff", "  xenffm range-share 1 2 0x1000+256 --no-pause"})
    static final class RangeShare extends XenCommand {
        @Parameters(index = "0", paramLabel = "SOURCE", description = ArgDocs.SOURCE) DomainId source;
        @Parameters(index = "1", paramLabel = "CLIENT", description = ArgDocs.CLIENT) DomainId client;
        @Parameters(index = "2", paramLabel = "RANGE", description = ArgDocs.GFNS) Args.GfnRange range;
        @Option(names = "--no-pause", description = "do not pause the domains (they must already be paused)")
        boolean noPause;
        @Option(names = "--no-enable", description = "do not enable sharing on the client first (xc_memshr_control)")
        boolean noEnable;

        @Override int run(Hypervisor hv, Printer out) {
            range.within(hv, source, client); // Xen refuses it too (EINVAL), but only after pausing both domains
            SharingCounters before = SharingCounters.read(hv, List.of(source, client));
            SharingAwareAltp2m k = root().keeper();
            if (k != null) return keptRange(k, hv, out, before);
            if (!noEnable) hv.memshrControl(client, true);
            if (!noPause) {
                hv.domainPause(source);
                try {
                    hv.domainPause(client);
                } catch (RuntimeException e) {
                    hv.domainUnpause(source);
                    throw e;
                }
            }
            try {
                hv.memshrRangeShare(source, client, range.first(), range.last());
            } finally {
                if (!noPause) {
                    hv.domainUnpause(client);
                    hv.domainUnpause(source);
                }
            }
            SharingCounters after = SharingCounters.read(hv, List.of(source, client));
            long saved = after.freed() - before.freed();
            out.result(Json.object().put("source", source.value()).put("client", client.value())
                            .putUnsigned("first_gfn", range.first().value())
                            .putUnsigned("last_gfn", range.last().value()).putUnsigned("gfns", range.count())
                            .put("pages_saved", saved).put("counters", after.toJson()),
                    "range-share " + source + " <- " + client + " over " + range + " (" + range.count()
                            + " gfns): " + saved + " pages saved\n" + after.delta(before));
            return ExitCode.OK;
        }

        /**
         * range-share under --keep-views: gfn by gfn through the keeper (contents compared, views kept), with an
         * outcome for every gfn instead of Xen's last-gfn-only result (§3.6). One JSON object per refused gfn, then
         * the summary.
         */
        private int keptRange(SharingAwareAltp2m k, Hypervisor hv, Printer out, SharingCounters before) {
            long shared = 0, refused = 0;
            StringBuilder refusedText = new StringBuilder();
            // BATCH gfns at a time: the per-gfn outcomes of one batch are all that is held, whatever the range
            for (long lo = range.first().value(); ; lo += BATCH) {
                long hi = Long.compareUnsigned(range.last().value() - lo, BATCH - 1) <= 0 ? range.last().value()
                        : lo + BATCH - 1;
                for (var e : k.shareRange(source, client, Gfn.of(lo), Gfn.of(hi), ConflictPolicy.KEEP_BOTH)) {
                    if (e.handle().isPresent()) {
                        shared++;
                        continue;
                    }
                    refused++;
                    String why = e.refused().map(Throwable::getMessage).orElse("not shared");
                    out.result(Json.object().put("source", source.value()).put("client", client.value())
                            .putUnsigned("gfn", e.gfn().value()).put("shared", false).put("reason", why), null);
                    if (refusedText.length() < 2000)
                        refusedText.append("\n  ").append(e.gfn()).append(": ").append(why);
                }
                if (hi == range.last().value()) break;
            }
            SharingCounters after = SharingCounters.read(hv, List.of(source, client));
            out.result(Json.object().put("source", source.value()).put("client", client.value())
                            .putUnsigned("first_gfn", range.first().value())
                            .putUnsigned("last_gfn", range.last().value()).putUnsigned("gfns", range.count())
                            .put("shared", shared).put("refused", refused)
                            .put("pages_saved", after.freed() - before.freed()).put("counters", after.toJson()),
                    "range-share " + source + " <- " + client + " over " + range + " gfn by gfn (--keep-views): "
                            + shared + " shared, " + refused + " kept private" + refusedText
                            + "\n" + after.delta(before));
            return ExitCode.OK;
        }
    }

    @Command(name = "debug-gfn", sortOptions = false, usageHelpAutoWidth = true,
            header = "How many gfns share the frame behind a gfn.",
            description = {"xc_memshr_debug_gfn: the number of (domain, gfn) pairs mapping the same shared frame.",
                    "A gfn that is not shared (Xen: EINVAL) is reported as 'not shared', exit code 0."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm debug-gfn 1 0x1000"})
    static final class DebugGfn extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "GFN", description = ArgDocs.GFN) Gfn gfn;

        @Override int run(Hypervisor hv, Printer out) {
            int n = sharers(hv, domain, gfn);
            out.result(Json.object().put("domain", domain.value()).putUnsigned("gfn", gfn.value())
                            .put("shared", n > 0).put("sharers", n),
                    domain + " " + gfn + ": " + (n > 0 ? "shared by " + n + " gfns" : "not shared"));
            return ExitCode.OK;
        }
    }

    @Command(name = "memshr-control", sortOptions = false, usageHelpAutoWidth = true,
            header = "Enable or disable memory sharing on a domain.",
            description = {"xc_memshr_control. Enabling needs an HVM domain with HAP on a VT-x host (EOPNOTSUPP /",
                    "ENODEV otherwise) and no IOMMU (EXDEV). Disabling only stops new sharing: shared pages stay",
                    "shared. Most sharing calls enable the source domain automatically (Xen ≥ 4.14); a client",
                    "with sharing off makes share/range-share fail with EINVAL."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm memshr-control 1 on"})
    static final class Control extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "on|off", description = ArgDocs.TOGGLE) Args.Toggle state;

        @Override int run(Hypervisor hv, Printer out) {
            hv.memshrControl(domain, state.value());
            out.result(Json.object().put("domain", domain.value()).put("sharing", state.value()),
                    "memory sharing " + (state.value() ? "enabled" : "disabled") + " on " + domain);
            return ExitCode.OK;
        }
    }
}
