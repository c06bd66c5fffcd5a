package org.xenffm.vmevent;

import java.util.BitSet;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a {@link MonitorSession} does with each request during {@link VmEventRing#drain}: route it by reason to its
 * handler (typed ones decode a record; view handlers and unhandled reasons decode nothing), answer CONTINUE once the
 * session is stopping, and keep single-stepping consistent so teardown never leaves a vCPU stepping. Runs on the
 * session thread only.
 */
final class SessionDispatch implements VmEventRing.Handler {
    /** The session around it: whether it is stopping, and where a handler's failure goes (it stops the session). */
    interface Owner {
        boolean stopping();

        void handlerFailed(MonitorSessionException e);
    }

    private final VmEventRing.Handler[] routes; // by VM_EVENT_REASON_*; null: CONTINUE without decoding
    private final Owner owner;
    private final BitSet stepping = new BitSet();
    private final AtomicLong handled = new AtomicLong(), answeredAtTeardown = new AtomicLong();
    /** Set for a teardown drain: every request is answered CONTINUE without reaching a handler. */
    boolean answering;

    SessionDispatch(VmEventRing.Handler[] routes, Owner owner) {
        if (routes.length != VmEventAbi.REASON_MAX + 1) throw new IllegalArgumentException("one route per reason");
        this.routes = routes;
        this.owner = owner;
    }

    /** Routes every reason to {@code h} (benchmarks; the builder's fallback does the same for typed handlers). */
    static VmEventRing.Handler[] everyReason(VmEventRing.Handler h) {
        VmEventRing.Handler[] r = new VmEventRing.Handler[VmEventAbi.REASON_MAX + 1];
        java.util.Arrays.fill(r, h);
        return r;
    }

    long handled() { return handled.get(); }

    long answeredAtTeardown() { return answeredAtTeardown.get(); }

    @Override public VmEventResponse handle(RequestView v) {
        v.validatePayload(); // a corrupt entry ends the session whether or not a handler would have decoded it
        int reason = v.reason(), vcpu = v.vcpuIndex(); // both checked by the ring before the view was handed out
        boolean paused = v.vcpuPaused();
        if (reason == VmEventAbi.REASON_SINGLESTEP) stepping.set(vcpu);
        VmEventResponse r = VmEventResponse.CONTINUE;
        boolean stop = answering || owner.stopping();
        if (stop) {
            answeredAtTeardown.setRelease(answeredAtTeardown.getPlain() + 1); // the session thread is the only writer
        } else {
            VmEventRing.Handler h = routes[reason];
            try {
                if (h != null) r = Objects.requireNonNullElse(h.handle(v), VmEventResponse.CONTINUE);
                handled.setRelease(handled.getPlain() + 1); // the session thread is the only writer
            } catch (Throwable t) {
                owner.handlerFailed(new MonitorSessionException("handler failed on " + describe(v), t));
                stop = true;
                r = VmEventResponse.CONTINUE;
            }
            stop = stop || owner.stopping(); // the handler may have closed the session
        }
        if (stop && paused && stepping.get(vcpu)
                && (r.flags() & (VmEventAbi.FLAG_TOGGLE_SINGLESTEP | VmEventAbi.FLAG_FAST_SINGLESTEP)) == 0) {
            r = withStepOff(r);
        }
        if (paused && (r.flags() & VmEventAbi.FLAG_TOGGLE_SINGLESTEP) != 0) stepping.flip(vcpu);
        return r;
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
