// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.ViewId;

/** The requested call would panic Xen 4.17 (lock-order BUG in altp2m_get_effective_entry); it was not issued. */
public final class CrashHazardException extends SafetyException {
    CrashHazardException(Hazard hazard, DomainId d, Gfn g, ViewId v, String conflict, String wayOut) {
        super(hazard, d, g, v, conflict, wayOut);
    }
}
