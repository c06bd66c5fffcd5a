// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.Hypervisor;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/** One CLI invocation with captured stdout/stderr, as the tests see it. */
record Run(int exit, String out, String err) {

    /** Runs the command line against the given hypervisor (which the CLI must not close). */
    static Run with(Hypervisor hv, String... args) {
        return with(Backends.Opener.lending(hv), args);
    }

    static Run with(Backends.Opener opener, String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int rc = Main.execute(args, new PrintWriter(o), new PrintWriter(e), opener, false);
        return new Run(rc, o.toString(), e.toString());
    }

    /** {@code --backend emulated --json ARGS} against a lent emulated hypervisor. */
    static Run emulatedJson(Hypervisor hv, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "--backend";
        all[1] = "emulated";
        all[2] = "--json";
        System.arraycopy(args, 0, all, 3, args.length);
        return with(hv, all);
    }

    /** Runs with the real backend selection (Backends::open), as `java -jar xenffm.jar` does. */
    static Run real(String... args) { return with(Backends::open, args); }

    List<Map<String, Object>> json() { return JsonParser.lines(out); }

    Map<String, Object> single() {
        List<Map<String, Object>> l = json();
        if (l.size() != 1) throw new AssertionError("expected one JSON object, got " + l.size() + ":\n" + out);
        return l.getFirst();
    }

    static long num(Object o) { return ((BigDecimal) o).longValueExact(); }

    @SuppressWarnings("unchecked")
    static Map<String, Object> obj(Object o) { return (Map<String, Object>) o; }

    @Override public String toString() { return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err; }
}
