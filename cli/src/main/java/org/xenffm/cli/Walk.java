// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A walk over a gfn range, one hypercall or more per gfn: a progress bar on a terminal, and a clean stop on
 * SIGINT/SIGTERM. The JVM runs its shutdown hooks on a signal while the walk's thread is still in its loop; the hook
 * ({@link #stopAndAwait}) asks the walk to stop before its next gfn and waits, bounded, until the command has printed
 * what it did so far (its JSON carries {@code "stopped":"signal"} and the count). Only then do the other hooks close
 * the hypervisor and save the ledger, so they never pull the handle from under a gfn half done.
 *
 * <p>A command walks one range at a time; a process runs one command at a time (batch lines run in order).
 */
final class Walk implements AutoCloseable {
    /** How long a signal waits for the current gfn and the partial report; a hung hypercall must not hang exit. */
    static final Duration REPORT_WAIT = Duration.ofSeconds(5);

    private static final Object LOCK = new Object();
    private static Walk current;
    private static volatile boolean signalled;
    private static boolean hookInstalled;

    private final Printer.Progress bar;
    private final long total;
    private final CountDownLatch reported = new CountDownLatch(1);
    private long done;
    private boolean stopped;

    private Walk(Printer.Progress bar, long total) {
        this.bar = bar;
        this.total = total;
    }

    /**
     * Starts a walk of {@code total} gfns (unsigned).
     *
     * @param out the command's printer (the bar goes to its stderr on a terminal)
     * @param label what the bar says, e.g. "unsharing d2"
     * @param total how many gfns the walk will visit
     * @return the walk; close it after the command's report is printed
     */
    static Walk start(Printer out, String label, long total) {
        Walk w = new Walk(out.progress(label, total), total);
        synchronized (LOCK) {
            if (!hookInstalled) {
                hookInstalled = true;
                try {
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAndAwait(REPORT_WAIT), "xenffm-walk-stop"));
                } catch (IllegalStateException shuttingDown) {
                    signalled = true;
                }
            }
            current = w;
        }
        return w;
    }

    /**
     * Before each gfn: counts it and moves the bar.
     *
     * @return false once a signal asked the walk to stop (the gfn is then not visited)
     */
    boolean next() {
        if (signalled) {
            stopped = true;
            return false;
        }
        done++;
        if ((done & 1023) == 0) bar.update(done);
        return true;
    }

    /** {@return true if a signal ended the walk before its last gfn} */
    boolean stopped() { return stopped; }

    /** {@return how many gfns the walk visited} */
    long done() { return done; }

    /** {@return the sentence the human output ends with when a signal stopped the walk, else ""} */
    String stopNote() {
        return stopped ? "\nstopped by a signal after " + done + " of " + Long.toUnsignedString(total) + " gfns" : "";
    }

    /** Adds {@code "stopped":"signal","gfns_done":N} to a report when a signal stopped the walk. */
    Json mark(Json report) {
        return stopped ? report.put("stopped", "signal").put("gfns_done", done) : report;
    }

    /** For verbs that print one line per gfn: a last line saying a signal stopped them, and where. */
    void reportIfStopped(Printer out, org.xenffm.api.DomainId domain) {
        if (stopped) out.result(mark(Json.object().put("domain", domain.value())), stopNote().strip());
    }

    /** Ends the walk: clears the bar and lets a waiting shutdown hook go on (call it after the report is printed). */
    @Override public void close() {
        bar.close();
        synchronized (LOCK) {
            if (current == this) current = null;
        }
        reported.countDown();
    }

    /**
     * For the shutdown hooks: asks the running walk (if any) to stop before its next gfn and waits until its command
     * has printed its partial report, at most {@code max}. Later walks in this process stop at once.
     *
     * @param max the longest wait
     */
    static void stopAndAwait(Duration max) {
        Walk w;
        synchronized (LOCK) {
            signalled = true;
            w = current;
        }
        if (w == null) return;
        try {
            w.reported.await(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
