// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.lang.foreign.MemorySegment;

/**
 * The result of {@code xc_monitor_enable}: the 4096-byte vm_event ring page mapped into this process and the
 * event-channel port Xen allocated in the target domain (bind to it with
 * {@link EventChannel#bindInterdomain(DomainId, int)}). The page stays valid until {@code monitorDisable}.
 *
 * @param closeHooks the enabling hypervisor's: what runs before that handle closes ({@link #beforeHypervisorClose})
 */
public record MonitorRing(DomainId domain, MemorySegment page, int remotePort, CloseHooks closeHooks) {
    public static final int PAGE_SIZE = 4096;

    public MonitorRing {
        if (page.byteSize() != PAGE_SIZE) throw new IllegalArgumentException("ring page must be 4096 bytes");
    }

    /** A ring whose hypervisor runs no hooks at close (tests over a bare page). */
    public MonitorRing(DomainId domain, MemorySegment page, int remotePort) {
        this(domain, page, remotePort, new CloseHooks());
    }

    /**
     * Runs {@code teardown} when the hypervisor that enabled this ring is closed, before its handles go (so the
     * teardown's calls still work). Close the returned registration once torn down by other means.
     */
    public AutoCloseable beforeHypervisorClose(Runnable teardown) { return closeHooks.add(teardown); }
}
