// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.function.Supplier;

/**
 * The root's verbs, by name, in the order `xenffm --help` lists them: an annotated class, or for the verbs whose
 * model is written as code ({@link Model}) the method that builds it. Building picocli's model of all of them (by
 * reflection over ~60 annotated classes) took most of a start-up, so a command line gets only the verb it names
 * ({@link #named}), a bare {@code --version} none; help, a missing or unknown verb (for its suggestions) and
 * @argument files get them all. A test keeps these names equal to the models' own.
 */
final class Verbs {
    private Verbs() {}

    static final SequencedMap<String, Object> ALL = table(
            "info", (Supplier<CommandSpec>) InfoCommand::model,
            "dmesg", DmesgCommand.class,
            "nominate", SharingCommands.Nominate.class,
            "share", SharingCommands.Share.class,
            "unshare", SharingCommands.Unshare.class,
            "add-to-physmap", SharingCommands.AddToPhysmap.class,
            "range-share", SharingCommands.RangeShare.class,
            "debug-gfn", SharingCommands.DebugGfn.class,
            "memshr-control", SharingCommands.Control.class,
            "stats", (Supplier<CommandSpec>) StatsCommand::model,
            "audit", AuditCommand.class,
            "altp2m", Altp2mCommands.class,
            "access", AccessCommands.class,
            "fork", ForkCommands.Fork.class,
            "fork-reset", ForkCommands.Reset.class,
            "regs", VmiCommands.Regs.class,
            "read", VmiCommands.Read.class,
            "write", VmiCommands.Write.class,
            "translate", VmiCommands.Translate.class,
            "populate", VmiCommands.Populate.class,
            "decrease", VmiCommands.Decrease.class,
            "monitor", MonitorCommand.class,
            "keep", KeepCommand.class,
            "trace", TraceCommand.class,
            "demo", DemoCommand.class,
            "batch", BatchCommand.class,
            "help", CommandLine.HelpCommand.class);

    /** Adds every verb to the root command line (picocli builds each one's model now). */
    static void addAll(CommandLine root) {
        for (String name : ALL.keySet()) add(root, name);
    }

    /** Adds one verb to the root command line. */
    static void add(CommandLine root, String name) {
        root.addSubcommand(name, ALL.get(name) instanceof Supplier<?> model ? model.get() : ALL.get(name));
    }

    /**
     * Whether a command line only asks for the version ({@code -V} or {@code --version} among root options, no
     * verb): the root's model answers it alone.
     */
    static boolean versionOnly(CommandLine root, String[] args) {
        boolean version = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-V") || a.equals("--version")) {
                version = true;
                continue;
            }
            if (!a.startsWith("-") || a.equals("--")) return false;
            OptionSpec o = a.contains("=") ? null : root.getCommandSpec().findOption(a);
            if (o == null) return false; // unknown, or a cluster like -vV: leave it to the full model
            if (o.arity().max() > 0) i++;
        }
        return version;
    }

    /**
     * The verb a command line names: its first word that is neither an option nor the value of a root option (the
     * root's model alone says which options take one). Empty for no verb, an unknown word, `help`, or an @file.
     */
    static java.util.Optional<String> named(CommandLine root, String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) break;
            if (a.startsWith("-")) {
                OptionSpec o = a.contains("=") ? null : root.getCommandSpec().findOption(a);
                if (o != null && o.arity().max() > 0) i++; // skip its value
                continue;
            }
            return ALL.containsKey(a) && !a.equals("help") ? java.util.Optional.of(a) : java.util.Optional.empty();
        }
        return java.util.Optional.empty();
    }

    private static SequencedMap<String, Object> table(Object... nameThenModel) {
        LinkedHashMap<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < nameThenModel.length; i += 2) m.put((String) nameThenModel[i], nameThenModel[i + 1]);
        return java.util.Collections.unmodifiableSequencedMap(m);
    }
}
