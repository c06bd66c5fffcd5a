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
 *
 * @param domain the domain
 * @param vcpu   the faulting vCPU (paused)
 * @param gfn    the faulting gfn
 * @param read   the access read (on VMX also set for every write)
 * @param write  the access wrote
 * @param exec   the access fetched an instruction
 * @param view   the vCPU's view, when altp2m is active
 */
public record AccessFault(DomainId domain, VcpuId vcpu, Gfn gfn, boolean read, boolean write, boolean exec,
                          Optional<ViewId> view) {
    /**
     * A write fault as VMX reports it (read and write set).
     *
     * @param d     the domain
     * @param vcpu  the faulting vCPU
     * @param gfn   the faulting gfn
     * @param view  the vCPU's view, when altp2m is active
     * @return the fault
     */
    public static AccessFault write(DomainId d, VcpuId vcpu, Gfn gfn, Optional<ViewId> view) {
        return new AccessFault(d, vcpu, gfn, true, true, false, view); // VMX reports R with every W
    }
}
