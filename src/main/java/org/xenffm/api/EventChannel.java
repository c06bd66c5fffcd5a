// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.time.Duration;
import java.util.OptionalInt;

/**
 * An event-channel handle (libxenevtchn on real Xen, in-process on the emulator): the doorbell between a vm_event
 * producer and its consumer. One consumer thread uses it; {@link #close()} unbinds every port it bound.
 */
public interface EventChannel extends AutoCloseable {
    /**
     * xenevtchn_bind_interdomain (EVTCHNOP_bind_interdomain): connects a new local port to the unbound port Xen
     * allocated in {@code domain}, e.g. a vm_event ring's {@link MonitorRing#remotePort()}.
     *
     * @param domain     the remote domain
     * @param remotePort its unbound port
     * @return the local port
     * @throws XenException EINVAL the remote port is not unbound or not offered to this domain; ESRCH no such domain
     */
    int bindInterdomain(DomainId domain, int remotePort);

    /**
     * xenevtchn_unbind (EVTCHNOP_close): releases a local port.
     *
     * @param localPort a port this handle bound
     * @throws XenException EINVAL the port is not bound by this handle
     */
    void unbind(int localPort);

    /**
     * xenevtchn_notify (EVTCHNOP_send): kicks the remote end of a bound local port; for a vm_event ring Xen then
     * consumes the responses.
     *
     * @param localPort a port this handle bound
     * @throws XenException EINVAL the port is not bound by this handle
     */
    void notify(int localPort);

    /**
     * Waits until a port is pending or the timeout passes (poll on the xenevtchn fd), then returns
     * xenevtchn_pending's port; empty on timeout. A pending port must be {@link #unmask(int) unmasked}.
     *
     * @param timeout the longest wait, not negative
     * @return the pending port, or empty on timeout or {@link #wakeup()}
     * @throws IllegalStateException the handle is closed
     */
    OptionalInt waitPending(Duration timeout);

    /**
     * xenevtchn_unmask: lets the port signal again after {@link #waitPending} returned it.
     *
     * @param localPort a port this handle bound
     */
    void unmask(int localPort);

    /** Makes a thread blocked in {@link #waitPending} return early (used by teardown). */
    void wakeup();

    /** Unbinds every port this handle bound and closes it (xenevtchn_close). Idempotent. */
    @Override void close();
}
