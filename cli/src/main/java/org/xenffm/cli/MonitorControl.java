// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.xenffm.api.ControlRegister;
import org.xenffm.api.DomainId;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.XenException;
import org.xenffm.vmevent.LiveWatch;
import org.xenffm.vmevent.MonitorSession;
import org.xenffm.vmevent.Watch;

/**
 * {@code monitor --control FILE}: watch commands read while the session runs, one per line, each applied with
 * {@link MonitorSession#add} / {@link LiveWatch#remove} from this reader's thread (so between two drains of the
 * ring) and answered with one line or JSON object. A command that fails says why and changes nothing; the session
 * goes on. At the end of the input the reader stops; the watches stay until the monitor exits, which undoes them.
 *
 * <pre>
 *   watch GFNS=ACCESS [view N]     a mem_access watch, e.g. watch 0x1000+16=rx, watch 0x2000=rw view 1
 *   watch cpuid|breakpoint|singlestep|cr0|cr3|cr4|msr=N|guest-request|descriptor-access
 *   unwatch ID                     ID as the watch line printed it
 *   list
 * </pre>
 */
final class MonitorControl implements Runnable {
    private final Hypervisor hv;
    private final DomainId domain;
    private final MonitorSession session;
    private final BufferedReader in;
    private final Printer out;
    private final List<LiveWatch> watches = new ArrayList<>(); // ID = index + 1

    MonitorControl(Hypervisor hv, DomainId domain, MonitorSession session, BufferedReader in, Printer out) {
        this.hv = hv;
        this.domain = domain;
        this.session = session;
        this.in = in;
        this.out = out;
    }

    @Override public void run() {
        try {
            for (String line; (line = in.readLine()) != null && session.isRunning(); ) {
                String cmd = line.strip();
                if (cmd.isEmpty() || cmd.startsWith("#")) continue;
                try {
                    execute(cmd.split("\\s+"));
                } catch (IllegalArgumentException | IllegalStateException | XenException e) {
                    out.result(Json.object().put("control", cmd).put("error", e.getMessage()),
                            "control: " + cmd + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            out.warn("--control: " + e.getMessage() + "; no more watch commands");
        }
    }

    private void execute(String[] w) {
        switch (w[0]) {
            case "watch" -> {
                if (w.length < 2) throw new IllegalArgumentException("watch what? GFNS=ACCESS [view N] or an event");
                LiveWatch lw = session.add(watch(w));
                watches.add(lw);
                report("watch", watches.size(), lw);
            }
            case "unwatch" -> {
                if (w.length != 2) throw new IllegalArgumentException("unwatch ID");
                long id = Args.number(w[1]);
                if (id < 1 || id > watches.size()) throw new IllegalArgumentException("no watch " + w[1]);
                LiveWatch lw = watches.get((int) id - 1);
                lw.remove();
                report("unwatch", (int) id, lw);
            }
            case "list" -> {
                for (int i = 0; i < watches.size(); i++) if (watches.get(i).isActive()) report("active", i + 1, watches.get(i));
            }
            default -> throw new IllegalArgumentException("unknown command '" + w[0] + "' (watch, unwatch, list)");
        }
    }

    /** The same watches, with the same settings, as the monitor's own options. */
    private Watch watch(String[] w) {
        String spec = w[1].toLowerCase(Locale.ROOT);
        int eq = spec.lastIndexOf('=');
        if (eq > 0 && !spec.startsWith("msr=")) {
            Args.GfnRange r = Args.GfnRange.parse(spec.substring(0, eq)).within(hv, domain);
            var access = Args.access(spec.substring(eq + 1));
            if (w.length == 2) return Watch.access(r.first(), r.count(), access);
            if (w.length == 4 && w[2].equals("view")) return Watch.access(Args.view(w[3]), r.first(), r.count(), access);
            throw new IllegalArgumentException("watch GFNS=ACCESS [view N]");
        }
        if (w.length != 2) throw new IllegalArgumentException("watch " + spec + " takes nothing more");
        return switch (spec) {
            case "cpuid" -> Watch.cpuid();
            case "breakpoint" -> Watch.softwareBreakpoint();
            case "singlestep" -> Watch.singlestep();
            case "cr0" -> Watch.writeCtrlreg(ControlRegister.CR0, true, 0, true);
            case "cr3" -> Watch.writeCtrlreg(ControlRegister.CR3, true, 0, true);
            case "cr4" -> Watch.writeCtrlreg(ControlRegister.CR4, true, 0, true);
            case "guest-request" -> Watch.guestRequest(true, false);
            case "descriptor-access" -> Watch.descriptorAccess();
            default -> {
                if (!spec.startsWith("msr=")) throw new IllegalArgumentException("unknown watch '" + spec + "'");
                long msr = Args.number(spec.substring(4));
                if (msr > 0xffffffffL) throw new IllegalArgumentException(spec + " is not a 32-bit MSR index");
                yield Watch.movToMsr((int) msr, true);
            }
        };
    }

    private void report(String what, int id, LiveWatch lw) {
        out.result(Json.object().put("control", what).put("id", id).put("watch", lw.watch().toString())
                        .put("active", lw.isActive()),
                what + " " + id + ": " + lw.watch() + (lw.isActive() ? "" : " (removed)"));
    }
}
