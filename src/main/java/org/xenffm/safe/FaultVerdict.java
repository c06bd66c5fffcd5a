// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

/** What the event glue does with a MEM_ACCESS request after {@link SharingAwareAltp2m#onFault}. */
public enum FaultVerdict {
    /**
     * xenffm caused or already repaired what made the vCPU fault (an unshare that overwrote the views, the
     * write-less default it armed): answer with VCPU_PAUSED only, the vCPU retries against the correct views.
     */
    RESUME,
    /** The access violates what the caller declared: hand the request to the caller's own handler. */
    FORWARD
}
