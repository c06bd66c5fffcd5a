// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.junit.jupiter.api.Test;
import picocli.AutoComplete;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.*;

/** The man page and the bash completion describe every verb and sub-verb of the model, in valid roff. */
class PackageFilesTest {

    @Test
    void manPageHasASectionPerCommandAndTheExitCodes() {
        CommandLine cl = PackageFiles.fullModel();
        String man = PackageFiles.manPage(cl, "2026-12-05");
        assertTrue(man.startsWith(".\\\" Generated"), man.lines().findFirst().orElse(""));
        assertTrue(man.contains(".TH XENFFM 1 \"2026-12-05\""), "title line with the given date");
        forEachCommand(cl, qualified -> assertTrue(man.contains(".SS \"" + PackageFiles.roff(qualified) + "\"\n"),
                qualified));
        for (String code : ExitCode.helpList().keySet())
            assertTrue(man.contains(".TP\n.B " + code.strip() + "\n"), "exit code " + code);
        assertTrue(man.contains(".B \\-\\-emulated\\-domains \\fINxPAGES[:VCPUS][+altp2m]\\fR"), "root option");
        man.lines().filter(l -> !l.startsWith(".") && !l.isEmpty())
                .forEach(l -> assertFalse(l.startsWith("'"), "a text line starting with ' is a roff request: " + l));
    }

    @Test
    void roffEscapesWhatRoffWouldInterpret() {
        assertEquals("\\&.hidden \\- a\\eb", PackageFiles.roff(".hidden - a\\b"));
        assertEquals("x\n\\&'quoted", PackageFiles.roff("x\n'quoted"));
    }

    @Test
    void bashCompletionKnowsEveryVerb() {
        CommandLine cl = PackageFiles.fullModel();
        String bash = AutoComplete.bash("xenffm", cl);
        for (String verb : Verbs.ALL.keySet()) assertTrue(bash.contains(verb), verb);
        assertTrue(bash.contains("--emulated-domains"));
    }

    private static void forEachCommand(CommandLine cl, java.util.function.Consumer<String> f) {
        cl.getSubcommands().forEach((name, sub) -> {
            if (name.equals("help")) return;
            f.accept(sub.getCommandSpec().qualifiedName());
            forEachCommand(sub, f);
        });
    }
}
