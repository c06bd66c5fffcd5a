// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.util.function.Function;
import org.xenffm.api.DomainId;

/**
 * Delivery of MEM_ACCESS requests for one domain to the view keeper, implemented over
 * {@code org.xenffm.vmevent.MonitorSession} (see {@link MonitorSessionFaults}). Opening it must leave the domain's
 * monitor ring enabled (xc_set_mem_access needs it, §5.2). The handler runs on the consumer thread while the
 * faulting vCPU is paused; the glue answers RESUME with a plain VCPU_PAUSED response and hands FORWARD requests to
 * the caller's handler.
 */
public interface FaultSource extends AutoCloseable {
    /** Opens MEM_ACCESS delivery for a domain. */
    @FunctionalInterface
    interface Factory {
        /**
         * Opens MEM_ACCESS delivery for {@code domain}, enabling its monitor ring.
         *
         * @param domain the domain
         * @param keeper decides each fault, on the consumer thread
         * @return the open source; close it to tear the ring down
         */
        FaultSource open(DomainId domain, Function<AccessFault, FaultVerdict> keeper);
    }

    /** Tears the delivery down (the monitor session's teardown); idempotent. */
    @Override void close();
}
