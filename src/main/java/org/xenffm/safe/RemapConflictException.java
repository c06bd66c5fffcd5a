// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.ViewId;

/** A remap and a shared frame would meet: a view would map a shared frame outside Xen's copy-on-write. */
public final class RemapConflictException extends SafetyException {
    RemapConflictException(Hazard hazard, DomainId d, Gfn g, ViewId v, String conflict, String wayOut) {
        super(hazard, d, g, v, conflict, wayOut);
    }
}
