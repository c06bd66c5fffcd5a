// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import java.util.BitSet;
import java.util.function.Function;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a {@link MonitorSession} does with each request during {@link VmEventRing#drain}: route it by reason to its
 * handler (typed ones get the ring's reusable event of the reason's type, view handlers the raw view; neither allocates), answer CONTINUE once the
 * session is stopping, and keep single-stepping consistent so teardown never leaves a vCPU stepping. Runs on the
 * session thread, and on the closing thread when teardown took the ring from a stuck handler (the single-step
 * bookkeeping is locked for that).
 */
final class SessionDispatch implements VmEventRing.Handler {
    /** The session around it: whether it is stopping, and where a handler's failure goes (it stops the session). */
    interface Owner {
        /** Whether the session is stopping: read per request, so an opaque read (no fence) is what it should be. */
        boolean stopping();

        void handlerFailed(MonitorSessionException e);
    }

    private final VmEventRing.Handler[] routes; // by VM_EVENT_REASON_*; null: CONTINUE without decoding
    private final Function<VmEvent, VmEventResponse>[] typed;                   // by reason: a typed handler (on(...)), called before routes
    private final Owner owner;
    private final BitSet stepping = new BitSet();
    private final AtomicLong handled = new AtomicLong(), answeredAtTeardown = new AtomicLong();
    /**
     * Set for a teardown drain: every request is answered CONTINUE without reaching a handler. Set by the thread that
     * then drains; the per-request check reads it opaquely (no fence in the drain loop; see {@link #handle}).
     */
    volatile boolean answering;
    private static final java.lang.invoke.VarHandle ANSWERING;
    static {
        try {
            ANSWERING = java.lang.invoke.MethodHandles.lookup().findVarHandle(SessionDispatch.class, "answering",
                    boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    SessionDispatch(VmEventRing.Handler[] routes, Owner owner) {
        this(routes, noTyped(), owner);
    }

    /**
     * @param typed by reason, the handler registered with {@code on(type, …)} for the event type of that reason
     *              (the user's function itself, not a wrapper, so each reason's call site sees its own handler)
     */
    SessionDispatch(VmEventRing.Handler[] routes, Function<VmEvent, VmEventResponse>[] typed, Owner owner) {
        if (routes.length != VmEventAbi.REASON_MAX + 1 || typed.length != routes.length)
            throw new IllegalArgumentException("one route per reason");
        this.routes = routes;
        this.typed = typed;
        this.owner = owner;
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

    long handled() { return handled.get(); }

    /** Whether a handler turned single-stepping on for this vCPU (and it was not turned off since). */
    boolean stepping(int vcpu) {
        synchronized (stepping) { return stepping.get(vcpu); }
    }

    /** After {@link VmEventRing#releaseEveryVcpu} switched stepping off on every vCPU that had it. */
    void clearStepping() {
        synchronized (stepping) { stepping.clear(); }
    }

    long answeredAtTeardown() { return answeredAtTeardown.get(); }

    @Override public VmEventResponse handle(RequestView v) {
        v.validatePayload(); // a corrupt entry ends the session whether or not a handler would have decoded it
        int reason = v.reason(); // checked by the ring before the view was handed out
        // the common case, kept small so it inlines into the drain loop; its checks are opaque reads and its count an
        // opaque write, so that nothing here is a fence the JIT must keep inside the loop (a stop is seen by the next
        // request, which is all a stop needs)
        if ((boolean) ANSWERING.getOpaque(this) || reason == VmEventAbi.REASON_SINGLESTEP || owner.stopping())
            return slow(v, reason);
        VmEventResponse r;
        try {
            r = call(reason, v);
        } catch (Throwable t) {
            return failed(v, t);
        }
        if (r == null) r = VmEventResponse.CONTINUE;
        handled.setOpaque(handled.getPlain() + 1); // the session thread is the only writer
        if ((r.flags() & VmEventAbi.FLAG_TOGGLE_SINGLESTEP) != 0 || owner.stopping()) return afterHandler(v, r);
        return r;
    }

    /** The handler of the request's reason: typed, else view, else CONTINUE. */
    private VmEventResponse call(int reason, RequestView v) {
        Function<VmEvent, VmEventResponse> t = typed[reason];
        if (t != null) return typed(t, reason, v);
        VmEventRing.Handler h = routes[reason];
        return h == null ? VmEventResponse.CONTINUE : h.handle(v);
    }

    /**
     * Calls the typed handler with the ring's reusable event of the reason's type (nothing allocated; valid only
     * during the call), from one call site per reason: each site's type profile then sees only that reason's
     * handler, so the JIT can inline it instead of making one megamorphic call for all of them.
     */
    private static VmEventResponse typed(Function<VmEvent, VmEventResponse> t, int reason, RequestView v) {
        VmEvent e = v.typed();
        return switch (reason) {
            case VmEventAbi.REASON_MEM_ACCESS -> t.apply(e);
            case VmEventAbi.REASON_WRITE_CTRLREG -> t.apply(e);
            case VmEventAbi.REASON_MOV_TO_MSR -> t.apply(e);
            case VmEventAbi.REASON_SOFTWARE_BREAKPOINT -> t.apply(e);
            case VmEventAbi.REASON_SINGLESTEP -> t.apply(e);
            case VmEventAbi.REASON_GUEST_REQUEST -> t.apply(e);
            case VmEventAbi.REASON_DEBUG_EXCEPTION -> t.apply(e);
            case VmEventAbi.REASON_CPUID -> t.apply(e);
            case VmEventAbi.REASON_INTERRUPT -> t.apply(e);
            case VmEventAbi.REASON_DESCRIPTOR_ACCESS -> t.apply(e);
            case VmEventAbi.REASON_EMUL_UNIMPLEMENTED -> t.apply(e);
            case VmEventAbi.REASON_VMEXIT -> t.apply(e);
            case VmEventAbi.REASON_IO_INSTRUCTION -> t.apply(e);
            case VmEventAbi.REASON_MEM_SHARING -> t.apply(e);
            default -> t.apply(e);
        };
    }

    /** Single-step bookkeeping after a handler answered (toggle requested, or the session began stopping). */
    private VmEventResponse afterHandler(RequestView v, VmEventResponse r) {
        int vcpu = v.vcpuIndex();
        boolean paused = v.vcpuPaused();
        synchronized (stepping) { // a teardown that took the ring from a stuck handler runs on another thread
            if ((answering || owner.stopping()) && paused && stepping.get(vcpu)
                    && (r.flags() & (VmEventAbi.FLAG_TOGGLE_SINGLESTEP | VmEventAbi.FLAG_FAST_SINGLESTEP)) == 0) {
                r = withStepOff(r);
            }
            if (paused && (r.flags() & VmEventAbi.FLAG_TOGGLE_SINGLESTEP) != 0) stepping.flip(vcpu);
        }
        return r;
    }

    /** Teardown, a stopping session, or a single-step event (whose vCPU is known to be stepping). */
    private VmEventResponse slow(RequestView v, int reason) {
        if (reason == VmEventAbi.REASON_SINGLESTEP) synchronized (stepping) { stepping.set(v.vcpuIndex()); }
        if (!answering && !owner.stopping()) {
            VmEventResponse r;
            try {
                r = call(reason, v);
            } catch (Throwable t) {
                return failed(v, t);
            }
            handled.setRelease(handled.getPlain() + 1);
            return afterHandler(v, r == null ? VmEventResponse.CONTINUE : r);
        }
        answeredAtTeardown.setRelease(answeredAtTeardown.getPlain() + 1); // the session thread is the only writer
        return afterHandler(v, VmEventResponse.CONTINUE);
    }

    /** A handler threw: the session stops, the request is answered CONTINUE (switching stepping off). */
    private VmEventResponse failed(RequestView v, Throwable t) {
        owner.handlerFailed(new MonitorSessionException("handler failed on " + describe(v), t));
        return afterHandler(v, VmEventResponse.CONTINUE);
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
