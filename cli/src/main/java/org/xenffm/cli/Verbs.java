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
 * ({@link #named}), a bare {@code --version} none, a bare {@code --help} only each verb's name and header; `help`,
 * a missing or unknown verb (for its suggestions) and @argument files get them all. A test keeps these names and
 * headers equal to the models' own.
 */
final class Verbs {
    private Verbs() {}

    /** Each verb: its name, its model (class or builder) and its one-line header (the root help's command list). */
    private static final Object[] TABLE = {
            "info", (Supplier<CommandSpec>) InfoCommand::model,
                    "Show the Xen version, host capabilities and which features are built in.",
            "dmesg", DmesgCommand.class,
                    "Show Xen's console ring (what xl dmesg shows).",
            "nominate", SharingCommands.Nominate.class,
                    "Nominate pages for sharing and print their handles.",
            "share", SharingCommands.Share.class,
                    "Share one page of a client domain with one page of a source domain.",
            "unshare", SharingCommands.Unshare.class,
                    "Break sharing of guest pages (there is no unshare hypercall; this writes through a mapping).",
            "add-to-physmap", SharingCommands.AddToPhysmap.class,
                    "Map a shared page of the source into a hole of the client (no client page needed).",
            "range-share", SharingCommands.RangeShare.class,
                    "Deduplicate a gfn range between two domains in one hypercall.",
            "debug-gfn", SharingCommands.DebugGfn.class,
                    "How many gfns share the frame behind a gfn.",
            "memshr-control", SharingCommands.Control.class,
                    "Enable or disable memory sharing on a domain.",
            "stats", (Supplier<CommandSpec>) StatsCommand::model,
                    "Show sharing counters: freed pages, used frames and each domain's shared pages.",
            "audit", AuditCommand.class,
                    "Check memory-sharing consistency (in Xen where possible, and from dom0).",
            "altp2m", Altp2mCommands.class,
                    "Manage altp2m views: alternate guest-physical maps with their own access rights and remaps.",
            "access", AccessCommands.class,
                    "Get or set the host p2m's access rights (mem_access).",
            "fork", ForkCommands.Fork.class,
                    "Fork a running HVM domain into a new child that shares the parent's memory lazily.",
            "fork-reset", ForkCommands.Reset.class,
                    "Reset a fork to its parent's state (KF/x's per-iteration reset).",
            "regs", VmiCommands.Regs.class,
                    "Show a vCPU's registers (xc_domain_hvm_getcontext_partial, the CPU save record).",
            "read", VmiCommands.Read.class,
                    "Read guest memory at a physical or virtual address (hexdump).",
            "write", VmiCommands.Write.class,
                    "Write bytes into guest memory at a physical or virtual address.",
            "translate", VmiCommands.Translate.class,
                    "Translate a guest-virtual address and show the whole page walk.",
            "populate", VmiCommands.Populate.class,
                    "Give a domain fresh pages at the given gfns (xc_domain_populate_physmap_exact).",
            "decrease", VmiCommands.Decrease.class,
                    "Drop a domain's pages at the given gfns (xc_domain_decrease_reservation_exact).",
            "monitor", MonitorCommand.class,
                    "Watch a domain's vm_events like xen-access (mem_access, breakpoints, CPUID, CR/MSR writes, …).",
            "keep", KeepCommand.class,
                    "Keep declared altp2m views in force across sharing and unsharing (runs until Ctrl-C).",
            "trace", TraceCommand.class,
                    "Stealth INT3 breakpoints (shadow pages in an altp2m execute view) on a domain or its forks.",
            "demo", DemoCommand.class,
                    "A guided tour on an emulated Xen 4.17 host: dedup, a stealth altp2m watch, unshare, fork, counters.",
            "batch", BatchCommand.class,
                    "Run verbs from a file (or stdin) against one hypervisor handle.",
            "help", CommandLine.HelpCommand.class,
                    "Display help information about the specified command."};

    static final SequencedMap<String, Object> ALL = column(1);
    /**
     * Each verb's header, the line `xenffm --help` lists it with: the root's help is printed from these alone
     * ({@link #addListingOnly}), without building a model per verb. VerbsTest checks them against the models.
     */
    static final SequencedMap<String, String> HEADERS = column(2);

    /** Adds every verb to the root command line (picocli builds each one's model now). */
    static void addAll(CommandLine root) {
        for (String name : ALL.keySet()) add(root, name);
    }

    /** Adds one verb to the root command line. */
    static void add(CommandLine root, String name) {
        root.addSubcommand(name, ALL.get(name) instanceof Supplier<?> model ? model.get() : ALL.get(name));
    }

    /**
     * Adds each verb as a model with only its name and header: all the root's usage help lists of a verb, built
     * without reflecting on (or constructing) any verb's command. Used only for a command line that asks for the
     * root's help and nothing else ({@link #helpOnly}), which then never runs a verb.
     */
    static void addListingOnly(CommandLine root) {
        HEADERS.forEach((name, header) -> {
            CommandSpec listed = CommandSpec.create().name(name);
            listed.usageMessage().header(header);
            root.addSubcommand(name, listed);
        });
    }

    /**
     * Whether a command line only asks for the version ({@code -V} or {@code --version} among root options, no
     * verb, no {@code --help}): the root's model answers it alone.
     */
    static boolean versionOnly(CommandLine root, String[] args) {
        java.util.Set<String> asked = rootOptionsOnly(root, args);
        return asked != null && asked.contains("--version") && !asked.contains("--help");
    }

    /**
     * Whether a command line only asks for the root's usage help ({@code -h} or {@code --help} among root options,
     * no verb): the root's model and the verbs' headers ({@link #addListingOnly}) answer it.
     */
    static boolean helpOnly(CommandLine root, String[] args) {
        java.util.Set<String> asked = rootOptionsOnly(root, args);
        return asked != null && asked.contains("--help");
    }

    /**
     * The long names of the root options a command line gives, if it gives nothing else (no verb, no unknown
     * option, no {@code --}); null otherwise.
     */
    private static java.util.Set<String> rootOptionsOnly(CommandLine root, String[] args) {
        java.util.Set<String> asked = new java.util.HashSet<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            // -h and -V are added to every command after the verbs (Main.documentExitCodes): named here
            if (a.equals("-h") || a.equals("--help")) {
                asked.add("--help");
                continue;
            }
            if (a.equals("-V") || a.equals("--version")) {
                asked.add("--version");
                continue;
            }
            if (!a.startsWith("-") || a.equals("--")) return null;
            OptionSpec o = a.contains("=") ? null : root.getCommandSpec().findOption(a);
            if (o == null) return null; // unknown, --opt=value, or a cluster like -vV: leave it to the full model
            asked.add(o.longestName());
            if (o.arity().max() > 0) i++;
        }
        return asked;
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

    @SuppressWarnings("unchecked")
    private static <T> SequencedMap<String, T> column(int c) {
        LinkedHashMap<String, T> m = new LinkedHashMap<>();
        for (int i = 0; i < TABLE.length; i += 3) m.put((String) TABLE[i], (T) TABLE[i + c]);
        return java.util.Collections.unmodifiableSequencedMap(m);
    }
}
