// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code batch}: several verbs against one hypervisor handle. On real Xen it saves re-opening libxenctrl; on the
 * emulator it is the way to build up state across verbs (each one-shot invocation starts a fresh emulated host).
 */
@Command(name = "batch", sortOptions = false, usageHelpAutoWidth = true,
        header = "Run verbs from a file (or stdin) against one hypervisor handle.",
        description = {"One verb per line, as on the command line without `xenffm`; blank lines and # comments are",
                "skipped; words split on blanks, with '…' or \"…\" quoting. The global options of this invocation",
                "(--backend, --json, --emulated-domains) apply to every line. With --backend emulated this is",
                "how state carries over from verb to verb. Stops at the first failing line (its exit code is",
                "returned) unless --keep-going."},
        footerHeading = "%nExamples:%n",
        footer = {"  printf 'nominate 1 0x10\\nnominate 2 0x10\\nstats\\n' |",
                "      xenffm --backend emulated batch",
                "  xenffm --backend emulated --json batch script.xenffm"})
final class BatchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "FILE", description = "the script (default: stdin, or '-')")
    String file;

    @Option(names = "--keep-going", description = "run the remaining lines after a failure") boolean keepGoing;

    private final java.io.InputStream stdin;

    BatchCommand() { this(System.in); }

    BatchCommand(java.io.InputStream stdin) { this.stdin = stdin; }

    @Override public Integer call() {
        Xenffm root = (Xenffm) spec.root().userObject();
        List<String> lines = readScript();
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        int worst = ExitCode.OK;
        for (int i = 0; i < lines.size(); i++) {
            List<String> words;
            try {
                words = split(lines.get(i));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("batch line " + (i + 1) + ": " + e.getMessage());
            }
            if (words.isEmpty()) continue;
            if (words.getFirst().equals("batch")) throw new IllegalArgumentException("line " + (i + 1)
                    + ": batch cannot nest");
            List<String> args = new ArrayList<>();
            args.add("--backend=" + root.backend());
            if (root.json()) args.add("--json");
            if (root.keepsViews()) args.add("--keep-views");
            args.addAll(words);
            if (!root.json()) out.println("> " + String.join(" ", words));
            Xenffm child = root.child();
            String[] line = args.toArray(String[]::new);
            int rc = Main.commandLine(child, out, err, line).execute(line);
            if (rc != ExitCode.OK) {
                err.println("xenffm: batch line " + (i + 1) + " exited with " + rc);
                if (worst == ExitCode.OK) worst = rc;
                if (!keepGoing || rc == ExitCode.HYPERVISOR_CRASHED) return rc;
            }
        }
        return worst;
    }

    /**
     * The script's lines, decoded strictly as UTF-8. A missing, unreadable or non-text script is the user's error
     * (IllegalArgumentException: exit 2), never an internal one.
     */
    private List<String> readScript() {
        String name = file == null || file.equals("-") ? "stdin" : file;
        try {
            byte[] bytes;
            if (name.equals("stdin")) {
                bytes = stdin.readAllBytes();
            } else {
                Path p = Path.of(file);
                if (Files.isDirectory(p)) throw new IllegalArgumentException("batch script " + file + " is a directory");
                bytes = Files.readAllBytes(p);
            }
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            return text.lines().toList();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("batch script " + name + " is not UTF-8 text");
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("batch script " + name + " does not exist");
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException("batch script " + name + " is not readable (permission denied)");
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException("cannot read the batch script " + name + ": " + e.getMessage());
        }
    }

    /** Splits a line into words: blanks separate, quotes group, # starts a comment outside quotes. */
    static List<String> split(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder w = null;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) quote = 0;
                else w.append(c);
            } else if (c == '\'' || c == '"') {
                quote = c;
                if (w == null) w = new StringBuilder();
            } else if (c == '#' && w == null) {
                break;
            } else if (Character.isWhitespace(c)) {
                if (w != null) words.add(w.toString());
                w = null;
            } else {
                if (w == null) w = new StringBuilder();
                w.append(c);
            }
        }
        if (quote != 0) throw new IllegalArgumentException("unterminated " + quote + " quote in: " + line);
        if (w != null) words.add(w.toString());
        return words;
    }
}
