// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * The per-scenario report format: one TSV line per observation, {@code scenario \t step \t observed \t detail},
 * where only {@code observed} is compared between runs. Also the serial-log stream used in the Bochs dom0 (every
 * line base64'd as {@code XOBS <n> <b64>} the moment it is known, {@code XCALL} before each call, {@code XEND n sha256}
 * at the end), which integration-tests/xen-under-bochs/decode-report.py turns back into the TSV.
 */
public final class ReportLines implements Recorder.Sink {
    private final List<String> lines = new ArrayList<>();
    private final PrintStream stream; // null: no serial stream
    private final boolean echo;

    public ReportLines(PrintStream stream, boolean echo) {
        this.stream = stream;
        this.echo = echo;
    }

    public static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "");
    }

    @Override public synchronized void line(String scenario, String step, String observed, String detail) {
        String l = escape(scenario) + "\t" + escape(step) + "\t" + escape(observed) + "\t" + escape(detail);
        lines.add(l);
        if (stream != null) {
            stream.println("XOBS " + lines.size() + " " + b64(l));
            stream.flush();
        }
        if (echo) System.err.println("  " + scenario + " | " + step + " -> " + observed
                + (detail.isEmpty() ? "" : "   (" + detail + ")"));
    }

    @Override public synchronized void aboutToCall(String scenario, String step) {
        if (stream != null) {
            stream.println("XCALL " + b64(scenario + "\t" + step));
            stream.flush();
        }
    }

    public synchronized void finish(Path file) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String l : lines) sb.append(l).append('\n');
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        if (file != null) Files.write(file, bytes);
        if (stream != null) {
            stream.println("XEND " + lines.size() + " " + sha256(bytes));
            stream.flush();
        }
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
