// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xenffm.api.ConsoleChunk;
import org.xenffm.api.Hypervisor;

/**
 * The lines of Xen's console ring (xc_readconsolering, what {@code xl dmesg} shows) that a scenario's steps caused,
 * as far as the emulator models them: read incrementally from a mark, kept only if they match a modelled message,
 * with domain ids replaced by their order of appearance (A, B, ...) since a Xen boot numbers domains on.
 */
final class ConsoleLines {
    /** The messages the emulated console prints (emulated/Console and its callers). */
    static final Pattern MODELLED = Pattern.compile("vm_event interface version mismatch|HVM \\S+ save: CPU$"
            + "|HVM\\d+ restore: CPU \\d+$|HVM restore d\\d+: CPU \\d+$|domain_crash called from|\\) crashed on cpu#|Panic on CPU|Xen BUG at"
            + "|ENOMEM and no helper");
    private static final Pattern DOMID = Pattern.compile("(HVM|HVM d|Domain d?|\\bd)(\\d+)");
    private static final int CHUNK = 16384;

    private final Hypervisor hv;
    private int index;

    private ConsoleLines(Hypervisor hv, int index) {
        this.hv = hv;
        this.index = index;
    }

    /** Marks the end of what the ring holds now (reads it all once, as {@code xl dmesg} would). */
    static ConsoleLines mark(Hypervisor hv) {
        ConsoleLines m = new ConsoleLines(hv, 0);
        m.read();
        return m;
    }

    private final StringBuilder kept = new StringBuilder();

    private String read() {
        StringBuilder out = new StringBuilder();
        ConsoleChunk c;
        while (!(c = hv.readConsoleRing(CHUNK, false, true, index)).text().isEmpty()) {
            out.append(c.text());
            index = c.index();
        }
        return out.toString();
    }

    /** Keeps what was printed since the last read (a scenario's steps so far). */
    void collect() { kept.append(read()); }

    /** Drops what was printed since the last read: what the toolstack made Xen print while building a guest
     *  (xl's hvm context get/set prints save/restore lines of its own), which no scenario step caused. */
    void discard() { read(); }

    /** The modelled lines kept and printed since, "(XEN) " prefix dropped, ids normalised; then starts afresh. */
    List<String> since() {
        collect();
        List<String> out = new ArrayList<>();
        Map<String, String> ids = new LinkedHashMap<>();
        for (String line : kept.toString().split("\n")) {
            String l = line.startsWith("(XEN) ") ? line.substring(6) : line;
            if (!MODELLED.matcher(l).find()) continue;
            Matcher m = DOMID.matcher(l);
            StringBuilder b = new StringBuilder();
            while (m.find()) {
                String label = ids.computeIfAbsent(m.group(2), k -> String.valueOf((char) ('A' + ids.size())));
                m.appendReplacement(b, Matcher.quoteReplacement(m.group(1) + label));
            }
            m.appendTail(b);
            out.add(b.toString());
        }
        kept.setLength(0);
        return out;
    }
}
