// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.util.Optional;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;

/**
 * A MEM_ACCESS vm_event request as the view keeper needs it (vm_event_request_t u.mem_access + vcpu + altp2m_idx,
 * docs/xen-semantics.md §5.3 step 5). {@code view} is present when the request carried VM_EVENT_FLAG_ALTERNATE_P2M.
 */
public record AccessFault(DomainId domain, VcpuId vcpu, Gfn gfn, boolean read, boolean write, boolean exec,
                          Optional<ViewId> view) {
    public static AccessFault write(DomainId d, VcpuId vcpu, Gfn gfn, Optional<ViewId> view) {
        return new AccessFault(d, vcpu, gfn, true, true, false, view); // VMX reports R with every W
    }
}
