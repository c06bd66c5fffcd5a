// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The files a package installs beside the jar, generated from the CLI's own picocli model so they cannot drift from
 * {@code --help}: {@code man} prints the xenffm(1) man page (roff), {@code bash-completion} the bash completion
 * script (picocli's {@link AutoComplete}). Run at package time: {@code java -cp xenffm.jar
 * org.xenffm.cli.PackageFiles man|bash-completion [DATE]}.
 */
public final class PackageFiles {
    private PackageFiles() {}

    /**
     * Prints one generated file on standard output.
     *
     * @param args {@code man [DATE]} or {@code bash-completion}; DATE (e.g. 2026-12-05) goes into the man page
     *             header, so a reproducible build passes its own date instead of today's
     */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        CommandLine cl = fullModel();
        switch (args.length > 0 ? args[0] : "") {
            case "man" -> out.print(manPage(cl, args.length > 1 ? args[1] : java.time.LocalDate.now().toString()));
            case "bash-completion" -> out.print(AutoComplete.bash("xenffm", cl));
            default -> {
                System.err.println("usage: PackageFiles man [DATE] | bash-completion");
                System.exit(ExitCode.USAGE);
            }
        }
        out.flush();
    }

    static CommandLine fullModel() {
        PrintWriter sink = new PrintWriter(new StringWriter());
        return Main.commandLine(new Xenffm(Backends::open, false), sink, sink);
    }

    /** xenffm(1): the root's synopsis, description and options, then each verb and sub-verb, exit codes, examples. */
    static String manPage(CommandLine cl, String date) {
        CommandSpec root = cl.getCommandSpec();
        String version = new Xenffm.Version().getVersion()[0].split(" ")[1];
        StringBuilder m = new StringBuilder();
        m.append(".\\\" Generated from xenffm's picocli model (org.xenffm.cli.PackageFiles); do not edit.\n");
        m.append(".TH XENFFM 1 \"").append(date).append("\" \"xenffm ").append(version).append("\" \"User Commands\"\n");
        m.append(".SH NAME\nxenffm \\- ").append(roff(String.join(" ", root.usageMessage().header()))).append('\n');
        m.append(".SH SYNOPSIS\n.B xenffm\n[\\fIOPTIONS\\fR] \\fIVERB\\fR [\\fIARGS\\fR...]\n");
        m.append(".SH DESCRIPTION\n");
        paragraphs(m, root.usageMessage().description());
        m.append(".SH OPTIONS\nThese options apply to every verb and may be given before or after it.\n");
        options(m, root);
        m.append(".SH VERBS\n");
        cl.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) verb(m, sub);
        });
        m.append(".SH EXIT STATUS\n");
        for (Map.Entry<String, String> e : ExitCode.helpList().entrySet())
            m.append(".TP\n.B ").append(e.getKey().strip()).append('\n').append(roff(e.getValue())).append('\n');
        m.append(".SH EXAMPLES\n.nf\n");
        for (String line : root.usageMessage().footer()) m.append(roff(line)).append('\n');
        m.append(".fi\n.SH ENVIRONMENT\n.TP\n.B XENFFM_BACKEND\nthe default of \\fB\\-\\-backend\\fR.\n.TP\n"
                + ".B XENFFM_JAVA_OPTS\nextra options for the Java runtime the launcher starts.\n");
        m.append(".SH SEE ALSO\n.BR xl (1)\n");
        return m.toString();
    }

    /** One verb: its full name and synopsis, description, own options and arguments; then its sub-verbs. */
    private static void verb(StringBuilder m, CommandLine cl) {
        CommandSpec spec = cl.getCommandSpec();
        m.append(".SS \"").append(roff(spec.qualifiedName())).append("\"\n");
        String synopsis = new CommandLine.Help(spec, CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF))
                .synopsis(0).strip();
        m.append(".nf\n").append(roff(synopsis.replaceFirst("^Usage: ", ""))).append("\n.fi\n");
        String[] header = spec.usageMessage().header();
        if (header.length > 0) m.append(".PP\n").append(roff(String.join(" ", header))).append('\n');
        paragraphs(m, spec.usageMessage().description());
        List<PositionalParamSpec> params = spec.positionalParameters();
        for (PositionalParamSpec p : params)
            m.append(".TP\n.I ").append(roff(p.paramLabel())).append('\n')
                    .append(roff(String.join(" ", p.description()))).append('\n');
        options(m, spec);
        String[] footer = spec.usageMessage().footer();
        if (footer.length > 0 && spec.parent() != null) {
            m.append(".PP\nExamples:\n.nf\n");
            for (String line : footer) m.append(roff(line)).append('\n');
            m.append(".fi\n");
        }
        cl.getSubcommands().values().forEach(sub -> verb(m, sub));
    }

    /** The options a command declares itself (inherited ones and --help/--version are described once, at the top). */
    private static void options(StringBuilder m, CommandSpec spec) {
        for (OptionSpec o : spec.options()) {
            if (o.inherited() || (spec.parent() != null && (o.usageHelp() || o.versionHelp()))) continue;
            m.append(".TP\n.B ").append(roff(String.join(", ", o.names())));
            if (o.arity().max() > 0) m.append(" \\fI").append(roff(o.paramLabel())).append("\\fR");
            m.append('\n').append(roff(String.join(" ", o.description()))).append('\n');
        }
    }

    private static void paragraphs(StringBuilder m, String[] paragraphs) {
        for (String p : paragraphs) m.append(".PP\n").append(roff(p)).append('\n');
    }

    /** Escapes text for roff: backslashes, minus signs (so they stay ASCII hyphens), a leading dot or quote. */
    static String roff(String s) {
        String t = s.replace("\\", "\\e").replace("-", "\\-");
        StringBuilder b = new StringBuilder();
        for (String line : t.split("\n", -1)) {
            if (!b.isEmpty()) b.append('\n');
            if (line.startsWith(".") || line.startsWith("'")) b.append("\\&");
            b.append(line);
        }
        return b.toString();
    }
}
