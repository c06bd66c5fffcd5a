// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The result of a guest operation. {@link #outcome()} is the state right after the call (e.g. PAUSED_ON_EVENT);
 * {@link #await(Duration)} waits until the operation is final (a consumer's response re-ran it) and returns how it
 * ended. Reads return their bytes through {@link #data()} once completed.
 */
public final class GuestResult {
    private volatile Outcome outcome;
    private final CompletableFuture<Outcome> done = new CompletableFuture<>();
    private volatile byte[] data;
    private volatile int eventsSent;

    GuestResult() {}

    static GuestResult finished(Outcome o) {
        GuestResult r = new GuestResult();
        r.update(o);
        return r;
    }

    void update(Outcome o) {
        outcome = o;
        if (o.isFinal()) done.complete(o);
    }

    void data(byte[] d) { data = d; }

    void eventSent() { eventsSent++; }

    /** {@return the state right after the call, or the final one once done} */
    public Outcome outcome() { return outcome; }

    /** {@return the number of vm_event requests this operation put on the ring so far} */
    public int eventsSent() { return eventsSent; }

    /** {@return the bytes a read returned (all-ones for UNMAPPED), or null before completion / for non-reads} */
    public byte[] data() { return data; }

    /** {@return whether the operation has its final outcome} */
    public boolean isDone() { return done.isDone(); }

    /**
     * Waits for the final outcome.
     *
     * @param timeout the longest wait
     * @return the final outcome
     * @throws IllegalStateException when it does not come in time (wrapping the {@link TimeoutException}), or on
     *                               interrupt
     */
    public Outcome await(Duration timeout) {
        try {
            return done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("guest operation still " + outcome + " after " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override public String toString() { return "GuestResult[" + outcome + "]"; }
}
