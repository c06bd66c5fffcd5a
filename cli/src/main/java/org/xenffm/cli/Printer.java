// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a verb's results go. With {@code --json} every result is one JSON object on its own line of stdout (errors
 * too, as {"error":{...}}), and human narration is suppressed; otherwise the human text is printed. Progress bars go
 * to stderr and only when stdout is a terminal.
 */
final class Printer {
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean json;
    private final boolean tty;

    Printer(PrintWriter out, PrintWriter err, boolean json, boolean tty) {
        this.out = out;
        this.err = err;
        this.json = json;
        this.tty = tty;
    }

    boolean json() { return json; }

    /** One result: the JSON object in --json mode, else the human lines. */
    void result(Json object, String human) {
        if (json) out.println(object);
        else if (human != null && !human.isEmpty()) out.println(human);
        out.flush();
    }

    /** Narration for humans only (explanations, hints); silent in --json mode. */
    void say(String human) {
        if (!json) {
            out.println(human);
            out.flush();
        }
    }

    void warn(String text) {
        err.println("xenffm: " + text);
        err.flush();
    }

    PrintWriter err() { return err; }

    /** A progress bar for long walks; a no-op unless stdout is a terminal and the walk is long. */
    Progress progress(String label, long total) {
        return new Progress(tty && !json && total >= 4096 ? err : null, label, total);
    }

    static final class Progress implements AutoCloseable {
        private final PrintWriter to;
        private final String label;
        private final long total;
        private int shownPercent = -1;

        Progress(PrintWriter to, String label, long total) {
            this.to = to;
            this.label = label;
            this.total = total;
        }

        void update(long done) {
            if (to == null) return;
            int pct = (int) (done * 100 / Math.max(1, total));
            if (pct == shownPercent) return;
            shownPercent = pct;
            int bar = pct * 30 / 100;
            to.print("\r" + label + " [" + "#".repeat(bar) + " ".repeat(30 - bar) + "] " + pct + "% (" + done + "/"
                    + total + ")");
            to.flush();
        }

        @Override public void close() {
            if (to != null && shownPercent >= 0) {
                to.print("\r" + " ".repeat(label.length() + 60) + "\r");
                to.flush();
            }
        }
    }

    /** Word-wraps text to {@code width} columns; continuation lines start with {@code indent} spaces. */
    static String wrap(String text, int width, int indent) {
        StringBuilder out = new StringBuilder();
        int col = 0;
        for (String word : text.split(" ")) {
            if (col > indent && col + 1 + word.length() > width) {
                out.append('\n').append(" ".repeat(indent));
                col = indent;
            } else if (col > 0 && col != indent) {
                out.append(' ');
                col++;
            }
            out.append(word);
            col += word.length();
        }
        return out.toString();
    }

    /** A plain-text table with aligned columns, for summaries. */
    static String table(List<String> header, List<List<String>> rows) {
        int n = header.size();
        int[] w = new int[n];
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (List<String> r : all)
            for (int i = 0; i < n; i++) w[i] = Math.max(w[i], i < r.size() ? r.get(i).length() : 0);
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < all.size(); k++) {
            List<String> r = all.get(k);
            for (int i = 0; i < n; i++) {
                String c = i < r.size() ? r.get(i) : "";
                sb.append("  ").append(c).append(" ".repeat(w[i] - c.length()));
            }
            sb.append('\n');
            if (k == 0) {
                for (int i = 0; i < n; i++) sb.append("  ").append("-".repeat(w[i]));
                sb.append('\n');
            }
        }
        return sb.toString().stripTrailing().replaceAll("(?m) +$", "");
    }
}
