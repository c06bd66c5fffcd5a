// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.HypervisorCrashedException;
import org.xenffm.api.UnsupportedOnThisXenException;
import org.xenffm.api.XenException;
import org.xenffm.api.XenNotAvailableException;
import org.xenffm.safe.LedgerException;
import org.xenffm.safe.SafetyException;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/** Entry point of cli/target/xenffm.jar, bin/xenffm and the packaged /usr/bin/xenffm. */
public final class Main {
    private Main() {}

    /**
     * Runs {@code xenffm ARGS…} and exits with its {@link ExitCode}.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        java.io.Console c = System.console();
        System.exit(execute(args, out, err, c != null && c.isTerminal()));
    }

    /**
     * Runs one command line against the backend it names, as {@link #main} does; the package's AOT training runs
     * through here too, so the call site that binds {@code Backends::open} comes linked from the AOT cache.
     */
    static int execute(String[] args, PrintWriter out, PrintWriter err, boolean tty) {
        return execute(args, out, err, Backends::open, tty);
    }

    /** Runs one command line; the opener decides which hypervisor the verbs get (tests inject an emulator). */
    static int execute(String[] args, PrintWriter out, PrintWriter err, Backends.Opener opener, boolean tty) {
        Xenffm root = new Xenffm(opener, tty);
        CommandLine cl = commandLine(root, out, err, args);
        int rc = ExitCode.INTERNAL;
        try {
            rc = cl.execute(args);
        } finally {
            try {
                root.closeHypervisor(); // saves --ledger: the command has succeeded only once that is durable
            } catch (LedgerException e) {
                int code = failure(e, root, err);
                if (rc != ExitCode.HYPERVISOR_CRASHED) rc = code;
            } catch (RuntimeException e) {
                err.println("xenffm: closing the hypervisor handle failed: " + e);
            }
            out.flush();
            err.flush();
        }
        return rc;
    }

    /** The command line with every verb: what help, man page and completion describe. */
    static CommandLine commandLine(Xenffm root, PrintWriter out, PrintWriter err) {
        return commandLine(root, out, err, null);
    }

    /**
     * The command line for {@code args}: only the verb they name (see {@link Verbs}), none for a bare --version,
     * only the verbs' names and headers for a bare --help, else every verb.
     */
    static CommandLine commandLine(Xenffm root, PrintWriter out, PrintWriter err, String[] args) {
        CommandLine cl = new CommandLine(root.model());
        java.util.Optional<String> verb = args == null ? java.util.Optional.empty() : Verbs.named(cl, args);
        if (verb.isPresent()) Verbs.add(cl, verb.get());
        else if (args != null && Verbs.helpOnly(cl, args)) Verbs.addListingOnly(cl);
        else if (args == null || !Verbs.versionOnly(cl, args)) Verbs.addAll(cl);
        Args.registerConverters(cl);
        cl.setOut(out).setErr(err);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> failure(e, root, err));
        cl.setParameterExceptionHandler(Main::usageError);
        documentExitCodes(cl);
        return cl;
    }

    /** Adds --help and the exit-code section to every verb and lets picocli re-wrap the descriptions. */
    private static void documentExitCodes(CommandLine cl) {
        CommandSpec spec = cl.getCommandSpec();
        Model.addStandardHelpOptions(spec); // -h/--help and -V on every verb
        var usage = spec.usageMessage();
        usage.exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCode.helpList())
                .descriptionHeading("%nDescription:%n").parameterListHeading("%nArguments:%n")
                .optionListHeading("%nOptions:%n").commandListHeading("%nCommands:%n");
        usage.description(paragraphs(usage.description()));
        cl.getSubcommands().values().forEach(Main::documentExitCodes);
    }

    /** Joins source-wrapped description lines into paragraphs; a line starting with "N." starts a new one. */
    static String[] paragraphs(String[] lines) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String l : lines) {
            boolean starts = out.isEmpty() || l.matches("^\\d+\\. .*");
            if (starts) out.add(l.strip());
            else out.set(out.size() - 1, out.getLast() + " " + l.strip());
        }
        return out.toArray(String[]::new);
    }

    private static int usageError(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        String msg = e.getMessage();
        if (e.getCause() instanceof IllegalArgumentException cause && e.getArgSpec() != null) {
            String label = e.getArgSpec().paramLabel();
            String why = cause instanceof NumberFormatException ? "not a number (decimal or 0x-hex)"
                    : cause.getMessage();
            msg = "invalid " + label + " '" + e.getValue() + "': " + why;
        }
        err.println("xenffm: " + msg);
        if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err))
            err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
        if (rootJson(cmd)) cmd.getOut().println(Json.object().put("error",
                Json.object().put("exit_code", ExitCode.USAGE).put("type", "usage").put("message", msg)));
        return ExitCode.USAGE;
    }

    private static boolean rootJson(CommandLine cmd) {
        return cmd.getCommandSpec().root().userObject() instanceof Xenffm x && x.json();
    }

    /** Maps a failure to its exit code and prints it (plus a JSON error object with --json). */
    static int failure(Exception e, Xenffm root, PrintWriter err) {
        int code;
        Json error = Json.object();
        String text = e.getMessage();
        switch (e) {
            case XenNotAvailableException x -> {
                code = ExitCode.XEN_NOT_AVAILABLE;
                text = x.getMessage() + "\nXen is not available here: " + HostFacts.probe().whyNoXen()
                        + ".\nTo try xenffm without Xen, add --backend emulated (e.g. xenffm --backend emulated demo).";
                error.put("type", "xen_not_available");
                xenFields(error, x);
            }
            case HypervisorCrashedException x -> {
                code = ExitCode.HYPERVISOR_CRASHED;
                error.put("type", "hypervisor_crashed").put("panic", x.panic());
                xenFields(error, x);
            }
            case XenException x -> {
                code = ExitCode.XEN_ERROR;
                error.put("type", "xen");
                xenFields(error, x);
            }
            case UnsupportedOnThisXenException u -> {
                code = ExitCode.XEN_ERROR;
                error.put("type", "unsupported_on_this_xen").put("feature", u.feature())
                        .put("running", u.running().toString());
            }
            case SafetyException r -> {
                code = ExitCode.REFUSED_UNSAFE;
                error.put("type", "refused_unsafe").put("hazard", r.hazard().name());
            }
            case RefusedException r -> {
                code = ExitCode.REFUSED_UNSAFE;
                error.put("type", "refused_unsafe");
            }
            case LedgerException l when l.kind() == LedgerException.Kind.SAVE_FAILED
                    || l.kind() == LedgerException.Kind.BUSY -> {
                code = ExitCode.LEDGER;
                error.put("type", "ledger").put("reason", l.kind().name().toLowerCase(java.util.Locale.ROOT))
                        .put("file", l.file().toString()).put("unsaved", l.unsaved());
            }
            case LedgerException l -> {
                code = ExitCode.USAGE; // a path or file the user gave that cannot serve as a ledger
                error.put("type", "usage").put("file", l.file().toString());
            }
            case org.xenffm.api.TranslationException t -> {
                code = ExitCode.CHECK_FAILED;
                error.put("type", "translation").put("reason", t.reason().name().toLowerCase())
                        .put("level", t.level()).put("table_gfn", t.tableGfn() == null ? null : t.tableGfn().value())
                        .put("index", t.index()).putUnsigned("entry", t.entry()).putUnsigned("va", t.va());
            }
            case IllegalArgumentException i -> {
                code = ExitCode.USAGE;
                error.put("type", "usage");
            }
            default -> {
                code = ExitCode.INTERNAL;
                error.put("type", "internal");
                e.printStackTrace(err);
            }
        }
        err.println("xenffm: " + text);
        if (root.json()) {
            error.put("exit_code", code).put("message", e.getMessage());
            root.printer().result(Json.object().put("error", error), null);
        }
        return code;
    }

    private static void xenFields(Json j, XenException x) {
        j.put("operation", x.operation()).put("domain", x.domain().map(d -> d.value()))
                .put("gfn", x.gfn().filter(g -> !g.isInvalid()).map(g -> g.value()))
                .put("view", x.view().map(v -> v.value())).put("errno", x.errnoValue())
                .put("errno_name", x.errno().name());
    }
}
