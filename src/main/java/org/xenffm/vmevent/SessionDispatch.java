// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import java.util.function.Function;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How a {@link MonitorSession} drains its ring ({@link #drain}): route each request by reason to its handler (typed
 * ones get the ring's reusable event of the reason's type, view handlers the raw view; neither allocates), answer
 * CONTINUE once the session is stopping, and keep single-stepping consistent so teardown never leaves a vCPU stepping. Runs on the
 * session thread, and on the closing thread when teardown took the ring from a stuck handler (the single-step
 * bookkeeping is locked for that).
 */
final class SessionDispatch {
    /** The session around it: whether it is stopping, and where a handler's failure goes (it stops the session). */
    interface Owner {
        /** Whether the session is stopping: read per request, so an opaque read (no fence) is what it should be. */
        boolean stopping();

        void handlerFailed(MonitorSessionException e);
    }

    /**
     * By VM_EVENT_REASON_*: the view handler (null: a typed handler, or none). A reason has one or the other (typed
     * first); with neither it is answered CONTINUE without decoding.
     */
    private final VmEventRing.Handler[] views;
    /** By reason: the typed handler behind its reason's own call site ({@link #typedSite}), or null. */
    private final VmEventRing.Handler[] typedSites;
    /**
     * The reasons with something to do before the handler: a payload field a typed event would reject (control
     * register index, descriptor: a corrupt entry ends the session whether or not a handler decodes it), and
     * SINGLESTEP, whose vCPU is known to be stepping. A constant, so the common case costs a test, not a load.
     */
    private static final int PRE_HANDLER = 1 << VmEventAbi.REASON_WRITE_CTRLREG
            | 1 << VmEventAbi.REASON_DESCRIPTOR_ACCESS | 1 << VmEventAbi.REASON_SINGLESTEP;
    private final Owner owner;
    /**
     * By vCPU, a bit: single-stepping is on (a handler turned it on, or a single-step event came from it). Written
     * under its own lock (a teardown that took the ring from a stuck handler runs on another thread), read opaquely
     * on the event path: a single-step event of a vCPU known to be stepping changes nothing and takes no lock.
     */
    private long[] stepping = new long[2];
    private static final java.lang.invoke.VarHandle STEP_WORD =
            java.lang.invoke.MethodHandles.arrayElementVarHandle(long[].class);
    /** Requests handlers answered: written by the session thread only (opaque), read by any (volatile). */
    private long handled;
    private final AtomicLong answeredAtTeardown = new AtomicLong();
    /**
     * Set for a teardown drain: every request is answered CONTINUE without reaching a handler. Set by the thread that
     * then drains; the per-request check reads it opaquely (no fence in the drain loop; see {@link #drain}).
     */
    volatile boolean answering;
    private static final java.lang.invoke.VarHandle ANSWERING, HANDLED;
    static {
        try {
            var l = java.lang.invoke.MethodHandles.lookup();
            ANSWERING = l.findVarHandle(SessionDispatch.class, "answering", boolean.class);
            HANDLED = l.findVarHandle(SessionDispatch.class, "handled", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    SessionDispatch(VmEventRing.Handler[] routes, Owner owner) {
        this(routes, noTyped(), owner);
    }

    /**
     * @param routes by reason, the view handler (the builder's {@code onView}, or its fallback)
     * @param typed by reason, the handler registered with {@code on(type, …)} for the event type of that reason (the
     *              user's function itself: it gets a call site of its reason's own, {@link #typedSite})
     */
    SessionDispatch(VmEventRing.Handler[] routes, Function<VmEvent, VmEventResponse>[] typed, Owner owner) {
        if (routes.length != VmEventAbi.REASON_MAX + 1 || typed.length != routes.length)
            throw new IllegalArgumentException("one route per reason");
        this.views = new VmEventRing.Handler[routes.length];
        this.typedSites = new VmEventRing.Handler[routes.length];
        this.owner = owner;
        for (int r = 0; r < routes.length; r++) {
            if (typed[r] != null) typedSites[r] = typedSite(r, typed[r]);
            else views[r] = routes[r];
        }
    }

    @SuppressWarnings("unchecked")
    static Function<VmEvent, VmEventResponse>[] noTyped() {
        return (Function<VmEvent, VmEventResponse>[]) new Function<?, ?>[VmEventAbi.REASON_MAX + 1];
    }

    /** Routes every reason to {@code h} (benchmarks; the builder's fallback does the same for typed handlers). */
    static VmEventRing.Handler[] everyReason(VmEventRing.Handler h) {
        VmEventRing.Handler[] r = new VmEventRing.Handler[VmEventAbi.REASON_MAX + 1];
        java.util.Arrays.fill(r, h);
        return r;
    }

    long handled() { return (long) HANDLED.getVolatile(this); }

    /** Whether a handler turned single-stepping on for this vCPU (and it was not turned off since). */
    boolean stepping(int vcpu) {
        synchronized (this) { return steppingBit(vcpu); }
    }

    /** The stepping bit of a vCPU (an opaque read; under the lock when the caller needs it exact). */
    private boolean steppingBit(int vcpu) {
        long[] s = stepping;
        return vcpu >>> 6 < s.length && ((long) STEP_WORD.getOpaque(s, vcpu >>> 6) & 1L << vcpu) != 0;
    }

    /** Sets or clears a vCPU's stepping bit; under the lock. */
    private void setStepping(int vcpu, boolean on) {
        int w = vcpu >>> 6;
        if (w >= stepping.length) {
            if (!on) return;
            stepping = java.util.Arrays.copyOf(stepping, Math.max(w + 1, stepping.length * 2));
        }
        long old = stepping[w];
        STEP_WORD.setOpaque(stepping, w, on ? old | 1L << vcpu : old & ~(1L << vcpu));
    }

    /** After {@link VmEventRing#releaseEveryVcpu} switched stepping off on every vCPU that had it. */
    void clearStepping() {
        synchronized (this) { java.util.Arrays.fill(stepping, 0); }
    }

    long answeredAtTeardown() { return answeredAtTeardown.get(); }

    /**
     * Takes and answers every request on the ring, as {@link VmEventRing#drain(VmEventRing.Handler)} does, with this
     * dispatch written into the loop: the JIT compiles the loop with the view handlers' call site in it, so nothing
     * between the ring and the user's handler is a method that C2 compiled on its own first and then, grown past its
     * inlining limit with the handler inside, leaves as a call (the user's handler is the only callee, as a function
     * pointer is in C). The loop is the ring's own, over its steps; a corrupt header or payload throws, answered.
     *
     * @return the number of requests answered
     * @throws RingCorruptException impossible indexes, a corrupt header or payload
     */
    int drain(VmEventRing ring) {
        int was = ring.enterDrain();
        if (was == VmEventRing.ABANDONED) return 0;
        RequestView v = ring.requestView();
        for (int n = 0; ; ) { // LOCKED here
            int available = ring.startBatch(was);
            if (available == 0) return n;
            Throwable thrown = null;
            try {
                for (int i = 0; i < available && ring.draining(); i++, n++) {
                    ring.take();
                    VmEventResponse r;
                    try {
                        int reason = v.reason(); // checked by take()
                        if ((PRE_HANDLER >>> reason & 1) != 0) preHandler(v, reason);
                        // opaque reads: no fence the JIT must keep inside the loop (a stop is seen by the next
                        // request, which is all a stop needs)
                        if ((boolean) ANSWERING.getOpaque(this) || owner.stopping()) {
                            r = stopping(v);
                        } else {
                            VmEventResponse a;
                            boolean threw = false;
                            try {
                                VmEventRing.Handler h = views[reason];
                                a = h != null ? h.handle(v) : typed(reason, v); // two call sites: view, typed
                                HANDLED.setOpaque(this, handled + 1); // the session thread is the only writer
                            } catch (Throwable t) {
                                a = failed(v, t);
                                threw = true;
                            }
                            r = a == null ? VmEventResponse.CONTINUE : a;
                            if (threw || (r.flags() & VmEventAbi.FLAG_TOGGLE_SINGLESTEP) != 0 || owner.stopping())
                                r = afterHandler(v, r);
                        }
                    } catch (RuntimeException | Error e) {
                        throw ring.answeredAfter(e); // a corrupt payload: answered CONTINUE, then it ends the session
                    }
                    ring.answer(r);
                }
            } catch (RuntimeException | Error e) {
                thrown = e;
            }
            if (!ring.endBatch(was, thrown)) return n;
        }
    }

    /** Before the handler: the payload a typed event would reject; a single-step event's vCPU is stepping. */
    private void preHandler(RequestView v, int reason) {
        v.validatePayload(); // a corrupt entry ends the session whether or not a handler would have decoded it
        if (reason == VmEventAbi.REASON_SINGLESTEP) markStepping(v.vcpuIndex());
    }

    /** The typed handler of the request's reason, else (no handler at all) CONTINUE. */
    private VmEventResponse typed(int reason, RequestView v) {
        VmEventRing.Handler h = typedSites[reason];
        return h == null ? VmEventResponse.CONTINUE : h.handle(v);
    }

    /**
     * A typed handler as the handler of one reason: it gets the ring's reusable event of the reason's type (nothing
     * allocated; valid only during the call). One lambda per reason, so that each reason's call site is a class of
     * its own: its profile sees only that reason's handler, which the JIT inlines there; and where a session has
     * typed handlers for several reasons, the call into them stays out of the drain loop's compiled code (it sees
     * several classes) instead of swelling it.
     */
    private static VmEventRing.Handler typedSite(int reason, Function<VmEvent, VmEventResponse> t) {
        return switch (reason) {
            case VmEventAbi.REASON_MEM_ACCESS -> v -> t.apply(v.typed());
            case VmEventAbi.REASON_WRITE_CTRLREG -> v -> t.apply(v.typed());
            case VmEventAbi.REASON_MOV_TO_MSR -> v -> t.apply(v.typed());
            case VmEventAbi.REASON_SOFTWARE_BREAKPOINT -> v -> t.apply(v.typed());
            case VmEventAbi.REASON_SINGLESTEP -> v -> t.apply(v.typed());
            case VmEventAbi.REASON_GUEST_REQUEST -> v -> t.apply(v.typed());
            case VmEventAbi.REASON_DEBUG_EXCEPTION -> v -> t.apply(v.typed());
            case VmEventAbi.REASON_CPUID -> v -> t.apply(v.typed());
            case VmEventAbi.REASON_INTERRUPT -> v -> t.apply(v.typed());
            case VmEventAbi.REASON_DESCRIPTOR_ACCESS -> v -> t.apply(v.typed());
            case VmEventAbi.REASON_EMUL_UNIMPLEMENTED -> v -> t.apply(v.typed());
            case VmEventAbi.REASON_VMEXIT -> v -> t.apply(v.typed());
            case VmEventAbi.REASON_IO_INSTRUCTION -> v -> t.apply(v.typed());
            case VmEventAbi.REASON_MEM_SHARING -> v -> t.apply(v.typed());
            default -> v -> t.apply(v.typed());
        };
    }

    /** Single-step bookkeeping after a handler answered (toggle requested, or the session began stopping). */
    private VmEventResponse afterHandler(RequestView v, VmEventResponse r) {
        boolean stoppingNow = answering || owner.stopping();
        if (!stoppingNow && (r.flags() & VmEventAbi.FLAG_TOGGLE_SINGLESTEP) == 0) return r; // nothing changes
        int vcpu = v.vcpuIndex();
        boolean paused = v.vcpuPaused();
        synchronized (this) { // a teardown that took the ring from a stuck handler runs on another thread
            if (stoppingNow && paused && steppingBit(vcpu)
                    && (r.flags() & (VmEventAbi.FLAG_TOGGLE_SINGLESTEP | VmEventAbi.FLAG_FAST_SINGLESTEP)) == 0) {
                r = withStepOff(r);
            }
            if (paused && (r.flags() & VmEventAbi.FLAG_TOGGLE_SINGLESTEP) != 0) setStepping(vcpu, !steppingBit(vcpu));
        }
        return r;
    }

    /** A single-step event came from this vCPU: it is stepping (the lock only when that is news). */
    private void markStepping(int vcpu) {
        if (!steppingBit(vcpu)) synchronized (this) { setStepping(vcpu, true); }
    }

    /** Teardown or a stopping session: CONTINUE without calling a handler (switching stepping off). */
    private VmEventResponse stopping(RequestView v) {
        answeredAtTeardown.setRelease(answeredAtTeardown.getPlain() + 1); // the session thread is the only writer
        return afterHandler(v, VmEventResponse.CONTINUE);
    }

    /** A handler threw: the session stops; the request is answered CONTINUE (the caller switches stepping off). */
    private VmEventResponse failed(RequestView v, Throwable t) {
        owner.handlerFailed(new MonitorSessionException("handler failed on " + describe(v), t));
        return VmEventResponse.CONTINUE;
    }

    private static String describe(RequestView v) {
        try {
            return v.event().toString();
        } catch (RuntimeException e) {
            return "reason " + v.reason() + " from vCPU " + v.vcpuIndex();
        }
    }

    private static VmEventResponse withStepOff(VmEventResponse r) {
        try {
            return r.toggleSinglestep();
        } catch (IllegalArgumentException incompatible) {
            return r;
        }
    }
}
