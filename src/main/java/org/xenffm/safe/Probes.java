// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.util.Optional;
import java.util.OptionalInt;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;

/**
 * Read-only Xen queries the safe layer asks before it acts: none of them changes Xen state, and none needs the
 * ledger. Each turns the errno Xen answers for "nothing there" into an empty answer.
 */
final class Probes {
    private final Hypervisor hv;

    Probes(Hypervisor hv) { this.hv = hv; }

    /** memshr_debug_gfn: the share count, or empty when the gfn is not shared (EINVAL) or sharing is absent. */
    OptionalInt sharedCount(DomainId d, Gfn g) {
        try {
            return OptionalInt.of(hv.memshrDebugGfn(d, g));
        } catch (XenException e) {
            if (e.errno() == Errno.EINVAL || e.errno() == Errno.ENOSYS) return OptionalInt.empty();
            throw e;
        }
    }

    boolean isShared(DomainId d, Gfn g) { return sharedCount(d, g).isPresent(); }

    boolean altp2mActive(DomainId d) {
        try {
            return hv.altp2mGetDomainState(d);
        } catch (XenException e) {
            return false;
        }
    }

    /** Host access of g (HVMOP get_mem_access on view 0, no ring needed); empty for a hole (ESRCH). */
    Optional<MemAccess> hostAccess(DomainId d, Gfn g) {
        try {
            return Optional.of(altp2mActive(d) ? hv.altp2mGetMemAccess(d, ViewId.HOST, g) : hv.getMemAccess(d, g));
        } catch (XenException e) {
            if (e.errno() == Errno.ESRCH || e.errno() == Errno.ENODEV) return Optional.empty();
            throw e;
        }
    }

    /** The view's own entry access, or null if the view has not copied g (p2m_get_mem_access: ESRCH, no lookup). */
    MemAccess viewAccess(DomainId d, ViewId v, Gfn g) {
        try {
            return hv.altp2mGetMemAccess(d, v, g);
        } catch (XenException e) {
            if (e.errno() == Errno.ESRCH) return null;
            throw e;
        }
    }

    boolean viewHolds(DomainId d, ViewId v, Gfn g) { return viewAccess(d, v, g) != null; }

    /**
     * The access a vCPU in view v meets at g now: the view's entry, else what the lazy copy will take — the host
     * entry's on 4.17, the view's default on ≥ 4.19 (§4.5; view 0's default cannot be read, the host's stands in).
     */
    MemAccess currentAccess(DomainId d, ViewId v, Gfn g) {
        MemAccess a = v.equals(ViewId.HOST) ? null : viewAccess(d, v, g);
        if (a != null) return a;
        Optional<MemAccess> host = hostAccess(d, g);
        if (host.isPresent() && !v.equals(ViewId.HOST) && hv.version().altp2mAtCreation())
            return hv.altp2mGetMemAccess(d, v, Gfn.INVALID);
        return host.orElse(null);
    }
}
