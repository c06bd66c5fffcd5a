// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.lang.foreign.MemorySegment;

/**
 * The result of {@code xc_monitor_enable}: the 4096-byte vm_event ring page mapped into this process and the
 * event-channel port Xen allocated in the target domain (bind to it with
 * {@link EventChannel#bindInterdomain(DomainId, int)}). The page stays valid until {@code monitorDisable}.
 */
public record MonitorRing(DomainId domain, MemorySegment page, int remotePort) {
    public static final int PAGE_SIZE = 4096;

    public MonitorRing {
        if (page.byteSize() != PAGE_SIZE) throw new IllegalArgumentException("ring page must be 4096 bytes");
    }
}
