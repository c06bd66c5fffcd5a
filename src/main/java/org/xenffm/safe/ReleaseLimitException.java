// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenVersion;

/**
 * The running Xen release cannot give the guarantee the call needs, so xenffm refused it before any hypercall
 * rather than keep a weaker one silently ({@link Hazard#SHARED_AND_DECLARED_ON_4_19},
 * {@link Hazard#FORK_OF_ALTP2M_PARENT}). The message names the release and the way out.
 *
 * @serial exclude
 */
public final class ReleaseLimitException extends SafetyException {
    private final XenVersion running;

    ReleaseLimitException(Hazard hazard, XenVersion running, DomainId d, Gfn g, ViewId v, String conflict,
                          String wayOut) {
        super(hazard, d, g, v, "on Xen " + running + ": " + conflict, wayOut);
        this.running = running;
    }

    /** {@return the release that cannot do it} */
    public XenVersion running() { return running; }
}
