// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.DomainId;
import org.xenffm.api.Hypervisor;
import org.xenffm.safe.MonitorSessionFaults;
import org.xenffm.safe.SharingAwareAltp2m;
import org.xenffm.vmevent.VmEvent;
import org.xenffm.vmevent.VmEventResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code keep}: the long-running half of --keep-views. One-shot runs declare views and share pages and save the
 * ledger; this adopts it, watches every domain in it and re-applies the views whenever Xen overwrites them (an
 * unsharing write, a share), until Ctrl-C or --timeout, then saves the ledger back.
 */
@Command(name = "keep", sortOptions = false, usageHelpAutoWidth = true,
        header = "Keep declared altp2m views in force across sharing and unsharing (runs until Ctrl-C).",
        description = {"Adopts the ledger of --ledger FILE (what earlier `--ledger FILE` runs shared and declared),",
                "reconciles every domain in it with Xen (re-creating missing views, re-applying declared accesses",
                "and remaps), then owns those domains' monitor rings: while a declared gfn is shared, the domain's",
                "default access is write-less, so the guest write that unshares it faults, and the view is repaired",
                "before the vCPU retries. Writes that violate a declared view are printed (one line or JSON object",
                "each) and emulated, so the guest keeps running and the view keeps its restriction. On exit",
                "(Ctrl-C, SIGTERM, --timeout) the default accesses are restored, the rings released and the ledger saved."},
        footerHeading = "%nExamples:%n",
        footer = {"  xenffm --ledger /var/lib/xenffm/ledger share 1 0x1000 2 0x1000",
                "  xenffm --ledger /var/lib/xenffm/ledger altp2m create 2",
                "  xenffm --ledger /var/lib/xenffm/ledger altp2m access set 2 1 rx 0x1000",
                "  xenffm --ledger /var/lib/xenffm/ledger keep"})
final class KeepCommand extends XenCommand {
    @Option(names = "--timeout", paramLabel = "DURATION", description = "stop after this long, e.g. 30s, 2m")
    String timeout;

    @Override int run(Hypervisor hv, Printer out) throws InterruptedException {
        Xenffm root = root();
        if (root.ledgerFile == null) throw new IllegalArgumentException("keep needs --ledger FILE");
        Duration limit = timeout == null ? null : MonitorCommand.duration(timeout);
        MonitorSessionFaults faults = new MonitorSessionFaults(hv);
        SharingAwareAltp2m keeper = root.keeper(faults);
        List<DomainId> domains = List.copyOf(keeper.ledger().domains());
        for (DomainId d : domains)
            faults.onViolation(d, e -> {
                out.result(MonitorCommand.describe(e).put("domain", d.value()), d + ": " + MonitorCommand.line(e));
                return VmEventResponse.CONTINUE.emulate(); // the access completes, the view keeps its restriction
            });
        for (DomainId d : domains) if (!keeper.ledger().declaredGfns(d).isEmpty()) keeper.watch(d);
        CountDownLatch stop = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.countDown();
            root.closeHypervisor(); // restore defaults, release the rings, save the ledger, even on SIGINT
        }, "xenffm-keep-teardown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.say("keeping the views of " + (domains.isEmpty() ? "no domain (the ledger is empty)" : domains)
                + (limit != null ? " for " + limit.toMillis() + " ms" : "") + " (Ctrl-C stops)");
        try {
            if (limit == null) stop.await();
            else stop.await(limit.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it does the teardown
            }
        }
        SharingAwareAltp2m.Stats st = keeper.stats();
        out.result(Json.object().put("keep", "stopped").put("domains", domains.stream().map(DomainId::value).toList())
                        .put("faults", st.faults).put("resumed", st.faultsResumed).put("forwarded", st.faultsForwarded)
                        .put("unshares_caught", st.unsharesCaught).put("entries_reapplied", st.slotsReapplied),
                "stopped; " + st.faults + " faults: " + st.faultsResumed + " repaired and resumed ("
                        + st.unsharesCaught + " unshares caught, " + st.slotsReapplied + " view entries re-applied), "
                        + st.faultsForwarded + " forwarded as violations");
        return ExitCode.OK;
    }
}
