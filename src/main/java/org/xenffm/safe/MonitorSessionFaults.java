// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.xenffm.api.DomainId;
import org.xenffm.api.Hypervisor;
import org.xenffm.vmevent.MonitorSession;
import org.xenffm.vmevent.VmEvent;
import org.xenffm.vmevent.VmEventResponse;

/**
 * The view keeper's event glue over {@link MonitorSession}: one session per armed domain whose MEM_ACCESS handler
 * asks {@link SharingAwareAltp2m#onFault} first. RESUME is answered with a plain CONTINUE (VCPU_PAUSED echoed: the
 * vCPU retries against the repaired views); FORWARD goes to the caller's handler for that domain, or, without one,
 * is emulated with the permissions left in place ({@code CONTINUE.emulate()}, as xen-access does) so the guest
 * cannot spin on a restriction nobody answers. Other event kinds can be added through {@code customize}; the
 * domain has only one ring, so every monitor use on a kept domain goes through this session.
 */
public final class MonitorSessionFaults implements FaultSource.Factory {
    private final Hypervisor hv;
    private final UnaryOperator<MonitorSession.Builder> customize;
    private final Map<DomainId, Function<VmEvent.MemAccess, VmEventResponse>> forwardTo = new ConcurrentHashMap<>();
    private final List<VmEvent.MemAccess> forwarded = new CopyOnWriteArrayList<>();
    private final AtomicLong resumed = new AtomicLong();
    private final AtomicLong keeperFailures = new AtomicLong();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MonitorSessionFaults.class);

    /**
     * Glue with MEM_ACCESS handling only.
     *
     * @param hv the hypervisor
     */
    public MonitorSessionFaults(Hypervisor hv) { this(hv, UnaryOperator.identity()); }

    /**
     * Glue whose sessions the caller may extend with other events.
     *
     * @param hv        the hypervisor
     * @param customize adds events and handlers to each session's builder
     */
    public MonitorSessionFaults(Hypervisor hv, UnaryOperator<MonitorSession.Builder> customize) {
        this.hv = hv;
        this.customize = customize;
    }

    /**
     * The caller's handler for MEM_ACCESS requests on {@code d} that violate its declared views.
     *
     * @param d       the domain
     * @param handler decides the response
     * @return this glue
     */
    public MonitorSessionFaults onViolation(DomainId d, Function<VmEvent.MemAccess, VmEventResponse> handler) {
        forwardTo.put(d, handler);
        return this;
    }

    /** {@return every request handed on as FORWARD, in order (bounded by the caller clearing it)} */
    public List<VmEvent.MemAccess> forwarded() { return forwarded; }

    /** Forgets the forwarded requests. */
    public void clearForwarded() { forwarded.clear(); }

    /** {@return the number of requests xenffm answered itself after repairing the views} */
    public long resumed() { return resumed.get(); }

    /** {@return the number of requests whose repair failed (logged; answered CONTINUE so the guest goes on)} */
    public long keeperFailures() { return keeperFailures.get(); }

    @Override public FaultSource open(DomainId domain, Function<AccessFault, FaultVerdict> keeper) {
        MonitorSession session = customize.apply(MonitorSession.builder(hv, domain).shutdownHook(false))
                .on(VmEvent.MemAccess.class, e -> {
                    AccessFault f = new AccessFault(domain, e.vcpu(), e.gfn(), e.read(), e.write(), e.exec(),
                            e.header().view());
                    FaultVerdict verdict;
                    try {
                        verdict = keeper.apply(f);
                    } catch (RuntimeException ex) {
                        // A handler exception would end the whole session (VmEventHandler); one failed repair
                        // must not stop the monitoring of the domain. reconcile() repairs later.
                        keeperFailures.incrementAndGet();
                        LOG.warn("view keeper failed on {} {}: {}", domain, e.gfn(), ex.toString());
                        return VmEventResponse.CONTINUE;
                    }
                    if (verdict == FaultVerdict.RESUME) {
                        resumed.incrementAndGet();
                        return VmEventResponse.CONTINUE;
                    }
                    forwarded.add(e.copy()); // the handler's event is valid only during the call
                    Function<VmEvent.MemAccess, VmEventResponse> h = forwardTo.get(domain);
                    return h != null ? h.apply(e) : VmEventResponse.CONTINUE.emulate();
                })
                .start();
        return session::close;
    }
}
