// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** Start-up builds only the named verb's model: the table stays true to the classes, and help does not change. */
class VerbsTest {

    private static CommandLine full() {
        return Main.commandLine(new Xenffm(Backends::open, false), new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()));
    }

    @Test
    void tableNamesAreTheModelsOwnCommandNames() {
        for (String name : Verbs.ALL.keySet()) {
            CommandLine root = new CommandLine(new Xenffm(Backends::open, false).model());
            Verbs.add(root, name);
            CommandLine verb = root.getSubcommands().get(name);
            assertNotNull(verb, name);
            assertEquals(name, verb.getCommandSpec().name());
            assertEquals(List.of(Verbs.HEADERS.get(name)), List.of(verb.getCommandSpec().usageMessage().header()),
                    name + ": the header the root's help lists it with");
            if (Verbs.ALL.get(name) instanceof Class<?> c)
                assertEquals(name, c.getAnnotation(CommandLine.Command.class).name(), c::getName);
        }
        assertEquals(List.copyOf(Verbs.ALL.keySet()), List.copyOf(full().getSubcommands().keySet()));
    }

    @Test
    void theVerbIsTheFirstWordThatIsNoOptionValue() {
        CommandLine root = new CommandLine(new Xenffm(Backends::open, false).model());
        assertEquals(Optional.of("stats"), Verbs.named(root, new String[] {"--backend", "emulated", "stats"}));
        assertEquals(Optional.of("stats"), Verbs.named(root, new String[] {"--backend=emulated", "--json", "stats"}));
        assertEquals(Optional.of("info"), Verbs.named(root, new String[] {"--ledger", "stats", "-v", "info", "x"}),
                "--ledger's value is no verb");
        assertEquals(Optional.of("altp2m"), Verbs.named(root, new String[] {"altp2m", "state", "1"}));
        assertEquals(Optional.empty(), Verbs.named(root, new String[] {"--help"}));
        assertEquals(Optional.empty(), Verbs.named(root, new String[] {"help", "stats"}));
        assertEquals(Optional.empty(), Verbs.named(root, new String[] {"stat"}), "unknown: every verb, for suggestions");
        assertEquals(Optional.empty(), Verbs.named(root, new String[] {"@args.txt"}));
    }

    @Test
    void aBareVersionNeedsNoVerb() {
        CommandLine root = new CommandLine(new Xenffm(Backends::open, false).model());
        assertTrue(Verbs.versionOnly(root, new String[] {"--version"}));
        assertTrue(Verbs.versionOnly(root, new String[] {"--backend", "emulated", "-V"}));
        assertFalse(Verbs.versionOnly(root, new String[] {"--backend", "emulated"}), "no -V: usage, with the verbs");
        assertFalse(Verbs.versionOnly(root, new String[] {"-V", "stats"}), "a verb");
        assertFalse(Verbs.versionOnly(root, new String[] {"--version", "--bogus"}), "unknown option: suggestions");
        Run r = Run.real("--version");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().startsWith("xenffm "), r::toString);
    }

    @Test
    void aBareHelpNeedsOnlyTheVerbsHeaders() {
        CommandLine root = new CommandLine(new Xenffm(Backends::open, false).model());
        assertTrue(Verbs.helpOnly(root, new String[] {"--help"}));
        assertTrue(Verbs.helpOnly(root, new String[] {"--backend", "emulated", "-h"}));
        assertTrue(Verbs.helpOnly(root, new String[] {"-V", "--help"}), "usage help wins over the version");
        assertFalse(Verbs.versionOnly(root, new String[] {"-V", "--help"}), "usage help wins over the version");
        assertFalse(Verbs.helpOnly(root, new String[] {"-h", "stats"}), "a verb: its own help");
        assertFalse(Verbs.helpOnly(root, new String[] {"--help", "--bogus"}), "unknown option: suggestions");
        assertFalse(Verbs.helpOnly(root, new String[] {}), "no verb: usage error, with every verb");
        StringWriter expected = new StringWriter();
        full().usage(new PrintWriter(expected, true));
        Run r = Run.real("--version", "-h");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(expected.toString(), r.out());
    }

    /** Every command's --help, run the way main runs it (one verb's model), equals its usage in the full model. */
    @Test
    void helpOfEachCommandIsWhatTheFullModelPrints() {
        List<List<String>> paths = new ArrayList<>();
        collect(full(), new ArrayList<>(), paths);
        assertTrue(paths.size() >= 37, "the root, every verb and sub-verb: " + paths.size());
        for (List<String> path : paths) {
            CommandLine cmd = full();
            for (String p : path) cmd = cmd.getSubcommands().get(p);
            StringWriter expected = new StringWriter();
            cmd.usage(new PrintWriter(expected, true));
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            Run r = Run.real(args.toArray(String[]::new));
            assertEquals(0, r.exit(), r::toString);
            assertEquals(expected.toString(), r.out(), String.join(" ", path));
        }
    }

    private static void collect(CommandLine c, List<String> path, List<List<String>> into) {
        into.add(List.copyOf(path));
        c.getSubcommands().forEach((name, sub) -> {
            if (name.equals("help")) return;
            path.add(name);
            collect(sub, path, into);
            path.removeLast();
        });
    }
}
