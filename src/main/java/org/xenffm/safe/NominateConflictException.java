// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.util.List;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.ViewId;

/**
 * Nominating the gfn would fail with EINVAL because views hold it differently from the host
 * (mem_sharing.c:nominate_page step 5); names the views and what each declares.
 *
 * @serial exclude
 */
public final class NominateConflictException extends SafetyException {
    private final List<ViewId> views;

    NominateConflictException(Hazard hazard, DomainId d, Gfn g, List<ViewId> views, String conflict, String wayOut) {
        super(hazard, d, g, views.isEmpty() ? null : views.getFirst(), conflict, wayOut);
        this.views = List.copyOf(views);
    }

    /** {@return the views that hold the gfn differently} */
    public List<ViewId> conflictingViews() { return views; }
}
