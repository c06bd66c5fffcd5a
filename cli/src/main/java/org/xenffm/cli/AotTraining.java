// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/**
 * The training run the package's AOT cache is recorded from ({@code java -XX:AOTCacheOutput=xenffm.aot -cp
 * xenffm.jar org.xenffm.cli.AotTraining}): the command lines a dom0 user starts with, each as the launcher runs it,
 * so their classes, linked call sites and picocli models are loaded and linked from the cache at every start.
 * Output is discarded; exit codes are checked so a broken training run cannot leave a cache that trained nothing.
 */
public final class AotTraining {
    private AotTraining() {}

    /** Command lines and the exit code each must end with off Xen (where the package is built). */
    private record Line(int exit, String... args) {}

    private static final List<Line> LINES = List.of(
            new Line(ExitCode.OK, "--help"),
            new Line(ExitCode.OK, "--version"),
            new Line(ExitCode.XEN_NOT_AVAILABLE, "info"), // the FFM backend's open path up to xc_interface_open
            new Line(ExitCode.OK, "--backend", "emulated", "stats"),
            new Line(ExitCode.OK, "--backend", "emulated", "--json", "stats"),
            new Line(ExitCode.OK, "--backend", "emulated", "info"));

    /**
     * Runs the training command lines; exits 1 naming the first line whose exit code is not the expected one.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        for (Line l : LINES) {
            StringWriter out = new StringWriter(), err = new StringWriter();
            int rc = Main.execute(l.args(), new PrintWriter(out), new PrintWriter(err), false);
            if (rc != l.exit() && !(l.exit() == ExitCode.XEN_NOT_AVAILABLE && rc == ExitCode.OK)) {
                System.err.println("AOT training: xenffm " + String.join(" ", l.args()) + " exited " + rc
                        + ", expected " + l.exit() + "\n" + out + err);
                System.exit(1);
            }
        }
        System.exit(ExitCode.OK); // as Main does: Runtime.exit's own start-up (its System.Logger) is trained too
    }

}
