// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.MemAccess;

/** One altp2m slot (struct p2m_domain of an alternate p2m): its table, default access, visibility, remap range. */
final class AltView {
    final int index;
    final P2m table = new P2m();
    boolean active;
    boolean visible;
    MemAccess defaultAccess = MemAccess.RWX;
    /** min_remapped_gfn / max_remapped_gfn: start as (INVALID_GFN, 0), i.e. an empty range. */
    long minRemapped = -1L, maxRemapped = 0;

    AltView(int index) { this.index = index; }

    /** p2m_activate_altp2m. */
    void activate(MemAccess access) {
        table.clear();
        active = true;
        visible = true;
        defaultAccess = access;
        minRemapped = -1L;
        maxRemapped = 0;
    }

    /** p2m_reset_altp2m(ALTP2M_RESET): drop all entries and the remap range, stay active. */
    void reset() {
        table.clear();
        minRemapped = -1L;
        maxRemapped = 0;
    }

    /** p2m_reset_altp2m(ALTP2M_DEACTIVATE) + invisible. */
    void deactivate() {
        reset();
        active = false;
        visible = false;
        defaultAccess = MemAccess.RWX;
    }

    boolean remapRangeOverlaps(long gfn) {
        return Long.compareUnsigned(gfn + 1, minRemapped) > 0 && Long.compareUnsigned(gfn, maxRemapped) <= 0;
    }
}
