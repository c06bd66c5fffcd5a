// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.Hypervisor;
import org.xenffm.api.Xenstore;
import org.xenffm.safe.ConflictPolicy;
import org.xenffm.safe.LedgerFile;
import org.xenffm.safe.MonitorSessionFaults;
import org.xenffm.safe.SharingAwareAltp2m;
import org.xenffm.vmi.DomainNames;
import org.xenffm.xen.XenLog;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ScopeType;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * The root command: global options. Its verbs are not listed here but in {@link Verbs#ALL} (a new verb goes there),
 * so that a start-up builds only the model of the verb it runs; its own model is written as code ({@link #model},
 * see {@link Model}). Holds the hypervisor for the duration of one command line.
 */
public final class Xenffm implements Callable<Integer> {
    Backends.Kind backend;
    boolean json;
    String emulatedDomains;
    EmulatedHostSpec.HostKind emulatedHost;
    boolean keepViews;
    java.nio.file.Path ledgerFile;
    String ledgerWait;
    boolean verbose;

    CommandSpec spec;

    /** The root's picocli model, bound to this object's fields; its options are inherited by every verb. */
    CommandSpec model() {
        spec = CommandSpec.wrapWithoutInspection(this).name("xenffm").versionProvider(new Version());
        spec.usageMessage().sortOptions(false).autoWidth(true)
                .header("Control Xen memory sharing, altp2m views, mem_access and forks from dom0.")
                .description("xenffm drives libxenctrl's xc_memshr_*, xc_altp2m_*, xc_*_mem_access and fork calls "
                                + "through Java's",
                        "FFM (Panama) bindings. With --backend emulated the same verbs run against an emulated Xen "
                                + "4.17 host",
                        "(no Xen needed): each invocation starts a fresh host with the guests of --emulated-domains.",
                        "Numbers are decimal or 0x-hex; domains are N, dN or a name (as xl list shows it); gfn ranges are",
                        "FIRST-LAST, FIRST..LAST or FIRST+COUNT. Errors name the libxenctrl call, the domain, the gfn/view and",
                        "the errno.")
                .footerHeading("%nExamples:%n")
                .footer("  xenffm info                            what this Xen can do",
                        "  xenffm demo                            the guided tour (emulated, no Xen)",
                        "  xenffm range-share 1 2 0x1000-0x1fff   deduplicate a range between d1 and d2",
                        "  xenffm --json stats | jq .freed_pages  counters for scripts",
                        "  xenffm altp2m --help                   the altp2m sub-verbs");
        spec.addOption(global(Model.bind(() -> backend, v -> backend = (Backends.Kind) v), "--backend")
                .paramLabel("xen|emulated").type(Backends.Kind.class).defaultValue("${env:XENFFM_BACKEND}")
                .description("xen: libxenctrl in dom0 (the default, or $XENFFM_BACKEND; `demo` defaults to emulated); "
                        + "emulated: an in-process Xen 4.17").build());
        spec.addOption(global(Model.bind(() -> json, v -> json = (Boolean) v), "--json").arity("0").type(boolean.class)
                .description("print one JSON object per result (errors too, as {\"error\":{...}})").build());
        spec.addOption(global(Model.bind(() -> emulatedDomains, v -> emulatedDomains = (String) v),
                "--emulated-domains").paramLabel("NxPAGES[:VCPUS][+altp2m]").type(String.class)
                .defaultValue(EmulatedHostSpec.DEFAULT)
                .description("guests of the emulated host, ids 1, 2, … named guest1, guest2, … (default ${DEFAULT-VALUE}); "
                        + "+altp2m creates "
                        + "one with altp2m=\"external\" (Xen ≥ 4.19)").build());
        spec.addOption(global(Model.bind(() -> emulatedHost, v -> emulatedHost = (EmulatedHostSpec.HostKind) v),
                "--emulated-host").paramLabel("vtx|xen420|debian|bochs|amd").type(EmulatedHostSpec.HostKind.class)
                .defaultValue("vtx")
                .description("the emulated host: vtx (Xen 4.17, VT-x, mem_sharing, altp2m=1, debug "
                        + "build; default), xen420 (the same on Xen 4.20: altp2m chosen at creation, see +altp2m), "
                        + "debian (Debian's Xen: no mem_sharing, release build), bochs (no single-step), "
                        + "amd (SVM: no sharing or altp2m)").build());
        spec.addOption(global(Model.bind(() -> keepViews, v -> keepViews = (Boolean) v), "--keep-views").arity("0")
                .type(boolean.class)
                .description("route sharing and altp2m verbs through the sharing-aware layer (org.xenffm.safe): safe "
                        + "call orders instead of refusals, views re-applied when Xen overwrites them, for as long as "
                        + "this command line runs (use it with batch; views must be created in the same run)")
                .build());
        spec.addOption(global(Model.bind(() -> ledgerFile, v -> ledgerFile = (java.nio.file.Path) v), "--ledger")
                .paramLabel("FILE").type(java.nio.file.Path.class)
                .description("with --keep-views (implied): adopt the sharing/view ledger from FILE at start and save "
                        + "it back at exit, so one-shot runs can build on each other and `keep` can take over")
                .build());
        spec.addOption(global(Model.bind(() -> ledgerWait, v -> ledgerWait = (String) v), "--ledger-wait")
                .paramLabel("DURATION").type(String.class)
                .description("how long to wait for the ledger while another run (e.g. `keep`) holds it, e.g. 10s; "
                        + "default: until it is free").build());
        spec.addOption(global(Model.bind(() -> verbose, v -> verbose = (Boolean) v), "-v", "--verbose").arity("0")
                .type(boolean.class)
                .description("show libxenctrl's own log messages (xentoollog, via SLF4J) on stderr").build());
        return spec;
    }

    /**
     * An option of the root that every verb inherits, bound to one of this object's fields; the field's value now is
     * its initial value, as picocli takes it from an annotated field.
     */
    private static OptionSpec.Builder global(Model.Binding<?> field, String... names) {
        return OptionSpec.builder(names).scopeType(ScopeType.INHERIT).getter(field).setter(field)
                .initialValue(field.get());
    }

    private static final String LIBXC_LOG = "org.slf4j.simpleLogger.log.org.xenffm.xen.libxc";

    private final Backends.Opener opener;
    private final boolean tty;
    private Hypervisor hypervisor;
    private Xenstore xenstore;
    private boolean owned;
    private Printer printer;
    private java.util.function.Supplier<SharingAwareAltp2m> parentKeeper;
    private SharingAwareAltp2m keeper;
    private LedgerFile ledger;
    private Thread ledgerHook;

    Xenffm(Backends.Opener opener, boolean tty) {
        this.opener = opener;
        this.tty = tty;
    }

    @Override public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE;
    }

    Printer printer() {
        if (printer == null) {
            PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
            printer = new Printer(out, err, json, tty);
        }
        return printer;
    }

    boolean json() { return json; }

    /** The backend asked for, else xen. */
    Backends.Kind backend() { return backend != null ? backend : Backends.Kind.xen; }

    Hypervisor hypervisor() { return hypervisor(null); }

    /**
     * Opens the backend on first use (the one asked for with --backend or $XENFFM_BACKEND, else {@code preferred},
     * else xen); it is closed when the command line finishes.
     */
    Hypervisor hypervisor(Backends.Kind preferred) {
        if (hypervisor == null) {
            Backends.Kind kind = backend != null ? backend : preferred != null ? preferred : Backends.Kind.xen;
            backend = kind;
            // libxc logs each failure itself ("Could not obtain handle on privileged command interface"); the CLI
            // already reports the call and errno, so libxc's lines are shown only with --verbose
            if (System.getProperty(LIBXC_LOG) == null) System.setProperty(LIBXC_LOG, verbose ? "info" : "off");
            // and without --verbose they are dropped inside libxentoollog: no upcall stubs, no SLF4J start-up
            if (System.getProperty(XenLog.PROPERTY) == null)
                System.setProperty(XenLog.PROPERTY, verbose ? "slf4j" : "off");
            hypervisor = opener.open(kind, EmulatedHostSpec.parse(emulatedDomains, emulatedHost));
            owned = opener.closesWhatItOpens();
        }
        return hypervisor;
    }

    /**
     * Domain names of the backend's host (opened with it; its xenstore connection is opened on first use and
     * closed with the hypervisor).
     */
    synchronized DomainNames domainNames() {
        Hypervisor hv = hypervisor();
        if (xenstore == null) xenstore = Backends.openXenstore(hv);
        return new DomainNames(hv, xenstore);
    }

    /** For {@code batch}: a root for one more command line, sharing this one's hypervisor and view keeper. */
    Xenffm child() {
        Hypervisor h = hypervisor();
        Xenffm c = new Xenffm(Backends.Opener.lending(h), false);
        c.parentKeeper = this::keeper;
        return c;
    }

    boolean keepsViews() { return keepViews || ledgerFile != null; }

    /**
     * The sharing-aware layer when --keep-views or --ledger was given (one per command line, shared by batch lines),
     * else null. With --ledger it adopts the saved ledger, which reconciles every domain in it with Xen.
     */
    synchronized SharingAwareAltp2m keeper() {
        if (!keepsViews()) return null;
        if (parentKeeper != null) return parentKeeper.get();
        if (keeper == null) keeper = openKeeper(new MonitorSessionFaults(hypervisor()));
        return keeper;
    }

    /** For {@code keep}: the keeper with the caller's event glue (it prints the violations it is handed). */
    synchronized SharingAwareAltp2m keeper(MonitorSessionFaults faults) {
        if (keeper != null) throw new IllegalStateException("keeper already open");
        keeper = openKeeper(faults);
        return keeper;
    }

    private SharingAwareAltp2m openKeeper(MonitorSessionFaults faults) {
        if (ledgerFile == null) return new SharingAwareAltp2m(hypervisor(), faults, ConflictPolicy.KEEP_BOTH);
        // the lock is held from this read to the save at exit: no other run can change the file in between
        ledger = LedgerFile.lock(ledgerFile, ledgerWait == null ? null : MonitorCommand.duration(ledgerWait),
                "xenffm " + String.join(" ", spec.commandLine().getParseResult().originalArgs()),
                msg -> spec.commandLine().getErr().println("xenffm: " + msg));
        SharingAwareAltp2m k;
        try {
            k = new SharingAwareAltp2m(hypervisor(), faults, ConflictPolicy.KEEP_BOTH, ledger.read());
        } catch (RuntimeException e) {
            ledger.close();
            ledger = null;
            throw e;
        }
        // SIGINT/SIGTERM after a successful call must not lose it: the hook saves (and restores) as at a normal exit
        ledgerHook = new Thread(this::closeOnSignal, "xenffm-ledger-save");
        Runtime.getRuntime().addShutdownHook(ledgerHook);
        return k;
    }

    private void closeOnSignal() {
        var err = spec.commandLine().getErr();
        Walk.stopAndAwait(Walk.REPORT_WAIT); // a walk first ends its gfn and prints how far it got, then we close
        try {
            boolean open = keeper != null;
            closeHypervisor();
            if (open) err.println("xenffm: stopped by a signal; ledger " + ledgerFile + " saved");
        } catch (RuntimeException e) {
            err.println("xenffm: stopped by a signal; " + e.getMessage());
        }
        err.flush();
    }

    /**
     * Saves the ledger (--ledger; durably, under the lock taken at start), closes the keeper (restoring default
     * accesses, ending its monitor sessions), releases the ledger's lock, then closes the handle if we opened it.
     * Idempotent: the shutdown hooks run it on SIGINT/SIGTERM.
     *
     * @throws org.xenffm.safe.LedgerException SAVE_FAILED when the ledger could not be saved (after everything
     *         else was still closed); it lists what Xen holds that the file lacks
     */
    synchronized void closeHypervisor() {
        RuntimeException saveFailed = null;
        try {
            if (keeper != null && ledger != null) ledger.save(keeper);
        } catch (RuntimeException e) {
            saveFailed = e;
        }
        try {
            if (keeper != null) keeper.close();
        } finally {
            keeper = null;
            if (ledger != null) ledger.close();
            ledger = null;
            Thread hook = ledgerHook;
            ledgerHook = null;
            if (hook != null && Thread.currentThread() != hook) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs now and finds everything closed
                }
            }
            try {
                if (xenstore != null) xenstore.close();
            } finally {
                xenstore = null;
                if (hypervisor != null && owned) hypervisor.close();
                hypervisor = null;
            }
        }
        if (saveFailed != null) throw saveFailed;
    }

    static final class Version implements picocli.CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Xenffm.class.getPackage().getImplementationVersion();
            return new String[] {"xenffm " + (v != null ? v : "(development build)")
                    + " — FFM bindings to libxenctrl (" + HostFacts.soname() + ", vm_event ABI 7), Java "
                    + Runtime.version()};
        }
    }
}
