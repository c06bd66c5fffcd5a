// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.XenException;

/**
 * Guest pages through dom0's foreign mappings: the rewrite that is dom0's only way to unshare a gfn or populate a
 * fork hole (there is no unshare hypercall, §3.7), and the content compare before a share.
 */
final class ForeignPages {
    private final Hypervisor hv;

    ForeignPages(Hypervisor hv) { this.hv = hv; }

    /**
     * Writes byte 0 of the gfn back through a writable foreign mapping: unshares a shared gfn and populates a fork
     * hole privately (the writable mapping takes the page with P2M_UNSHARE, mm.c:do_mmu_update), with no altp2m
     * lock held. The mapping is closed before returning (an open one would make nominate fail with E2BIG).
     */
    void rewrite(DomainId d, Gfn g) {
        ForeignMapping m;
        try {
            m = hv.foreignMemoryMap(d, true, List.of(g));
        } catch (XenException e) {
            if (e.errno() != Errno.EINVAL) throw e;
            throw new XenException(e.operation(), d, g, null, e.errnoValue(), "dom0 cannot unshare or populate "
                    + "this gfn through a foreign mapping: a PVH/HVM dom0 is refused shared pages "
                    + "(p2m_add_foreign), and a fork child can only map what its parent has. Use policy REFUSE, or "
                    + "let the guest touch the page");
        }
        try (m) {
            MemorySegment mem = m.memory();
            mem.set(ValueLayout.JAVA_BYTE, 0, mem.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    /** Whether the two pages hold the same bytes (read-only mappings; Xen's share never looks at contents). */
    boolean sameContent(DomainId a, Gfn ga, DomainId b, Gfn gb) {
        try (ForeignMapping ma = hv.foreignMemoryMap(a, false, List.of(ga));
             ForeignMapping mb = hv.foreignMemoryMap(b, false, List.of(gb))) {
            return ma.memory().mismatch(mb.memory()) == -1;
        }
    }
}
