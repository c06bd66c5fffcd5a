// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.time.Duration;
import java.util.OptionalInt;

/**
 * An event-channel handle (libxenevtchn on real Xen, in-process on the emulator): the doorbell between a vm_event
 * producer and its consumer. One consumer thread uses it; {@link #close()} unbinds every port it bound.
 */
public interface EventChannel extends AutoCloseable {
    /** xenevtchn_bind_interdomain: binds a local port to (domain, remotePort); returns the local port. */
    int bindInterdomain(DomainId domain, int remotePort);

    /** xenevtchn_unbind. */
    void unbind(int localPort);

    /** xenevtchn_notify: kicks the remote end of a bound local port. */
    void notify(int localPort);

    /**
     * Waits until a port is pending or the timeout passes (poll on the xenevtchn fd), then returns
     * xenevtchn_pending's port; empty on timeout. A pending port must be {@link #unmask(int) unmasked}.
     */
    OptionalInt waitPending(Duration timeout);

    /** xenevtchn_unmask. */
    void unmask(int localPort);

    /** Makes a thread blocked in {@link #waitPending} return early (used by teardown). */
    void wakeup();

    @Override void close();
}
