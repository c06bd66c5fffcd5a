// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
    /**
     * Written only under the host lock, read by any thread: release stores suffice (a volatile store is a full fence
     * per update, and a guest loop updates its result on every instruction); a final outcome is published through
     * the volatile {@link #finalOutcome}.
     */
    private Outcome outcome;
    /** The first final outcome (later updates change {@link #outcome} only). */
    private volatile Outcome finalOutcome;
    /**
     * Created by the first {@link #await} that has to wait: most operations complete within the call, and a future
     * per operation was a third of a guest write's garbage. update and await each write their field, then read the
     * other's (both volatile), so at least one of them completes the future.
     */
    private volatile CompletableFuture<Outcome> waiters;
    private volatile byte[] data;
    /** Written only under the host lock (release stores, see {@link #outcome}). */
    private int eventsSent;
    private static final VarHandle OUTCOME, EVENTS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            OUTCOME = l.findVarHandle(GuestResult.class, "outcome", Outcome.class);
            EVENTS = l.findVarHandle(GuestResult.class, "eventsSent", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    GuestResult() {}

    /**
     * The result of every operation that completed within its call without an event or data (a plain guest write):
     * nothing ever updates it, so one instance serves them all and such a write allocates no result.
     */
    static final GuestResult COMPLETED = finished(Outcome.COMPLETED);

    static GuestResult finished(Outcome o) {
        GuestResult r = new GuestResult();
        r.update(o);
        return r;
    }

    /** Called by one thread at a time (under the host lock). */
    void update(Outcome o) {
        OUTCOME.setRelease(this, o);
        if (o.isFinal() && finalOutcome == null) {
            finalOutcome = o;
            CompletableFuture<Outcome> w = waiters;
            if (w != null) w.complete(o);
        }
    }

    void data(byte[] d) { data = d; }

    void eventSent() { EVENTS.setRelease(this, eventsSent + 1); }

    /** {@return the state right after the call, or the final one once done} */
    public Outcome outcome() { return (Outcome) OUTCOME.getAcquire(this); }

    /** {@return the number of vm_event requests this operation put on the ring so far} */
    public int eventsSent() { return (int) EVENTS.getAcquire(this); }

    /** {@return the bytes a read returned (all-ones for UNMAPPED), or null before completion / for non-reads} */
    public byte[] data() { return data; }

    /** {@return whether the operation has its final outcome} */
    public boolean isDone() { return finalOutcome != null; }

    /**
     * Waits for the final outcome.
     *
     * @param timeout the longest wait
     * @return the final outcome
     * @throws IllegalStateException when it does not come in time (wrapping the {@link TimeoutException}), or on
     *                               interrupt
     */
    public Outcome await(Duration timeout) {
        Outcome f = finalOutcome;
        if (f != null) return f;
        CompletableFuture<Outcome> w;
        synchronized (this) {
            if (waiters == null) waiters = new CompletableFuture<>();
            w = waiters;
        }
        f = finalOutcome;
        if (f != null) return f;
        try {
            return w.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("guest operation still " + outcome() + " after " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override public String toString() { return "GuestResult[" + outcome() + "]"; }
}
