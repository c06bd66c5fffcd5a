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
 */
public record MonitorRing(DomainId domain, MemorySegment page, int remotePort) {
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
}
