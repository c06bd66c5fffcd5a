// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.lang.foreign.MemorySegment;

/**
 * The result of {@code xc_monitor_enable}: the 4096-byte vm_event ring page mapped into this process and the
 * event-channel port Xen allocated in the target domain (bind to it with
 * {@link EventChannel#bindInterdomain(DomainId, int)}). The page stays valid until {@code monitorDisable}.
 *
 * @param domain     the monitored domain
 * @param page       the ring page, shared with Xen
 * @param remotePort the port Xen allocated in the domain
 * @param closeHooks the enabling hypervisor's: what runs before that handle closes ({@link #beforeHypervisorClose})
 */
public record MonitorRing(DomainId domain, MemorySegment page, int remotePort, CloseHooks closeHooks) {
    /** The ring page's size. */
    public static final int PAGE_SIZE = 4096;

    /**
     * Checks the page size.
     *
     * @throws IllegalArgumentException a page that is not 4096 bytes
     */
    public MonitorRing {
        if (page.byteSize() != PAGE_SIZE) throw new IllegalArgumentException("ring page must be 4096 bytes");
    }

    /**
     * A ring whose hypervisor runs no hooks at close (tests over a bare page).
     *
     * @param domain     the monitored domain
     * @param page       the ring page
     * @param remotePort the port Xen allocated in the domain
     */
    public MonitorRing(DomainId domain, MemorySegment page, int remotePort) {
        this(domain, page, remotePort, new CloseHooks());
    }

    /**
     * Runs {@code teardown} when the hypervisor that enabled this ring is closed, before its handles go (so the
     * teardown's calls still work). Close the returned registration once torn down by other means.
     *
     * @param teardown what to run, once
     * @return the registration (closing it removes the hook)
     */
    public AutoCloseable beforeHypervisorClose(Runnable teardown) { return closeHooks.add(teardown); }
}
