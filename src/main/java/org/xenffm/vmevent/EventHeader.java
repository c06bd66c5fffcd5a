// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import org.xenffm.api.X86Registers;
import java.util.Optional;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;

/**
 * The fields every vm_event request carries (common/monitor.c:monitor_traps): the vCPU, the VM_EVENT_FLAG_* bits,
 * the raw reason and the altp2m view the vCPU was in (valid only with ALTERNATE_P2M).
 *
 * @param vcpu      the vCPU that raised the event
 * @param flags     the VM_EVENT_FLAG_* bits
 * @param reason    the VM_EVENT_REASON_* number
 * @param altp2mIdx the vCPU's view, meaningful only with ALTERNATE_P2M
 */
public record EventHeader(VcpuId vcpu, int flags, int reason, int altp2mIdx) {

    /** {@return whether the vCPU is paused until this request is answered (a synchronous event)} */
    public boolean vcpuPaused() { return (flags & VmEventAbi.FLAG_VCPU_PAUSED) != 0; }

    /** {@return whether the event was raised from another domain's context} */
    public boolean foreign() { return (flags & VmEventAbi.FLAG_FOREIGN) != 0; }

    /** {@return whether the event came from a nested guest ({@link X86Registers#nptBase()} is valid)} */
    public boolean nestedP2m() { return (flags & VmEventAbi.FLAG_NESTED_P2M) != 0; }

    /** {@return the vCPU's altp2m view when the event was raised, if altp2m was active} */
    public Optional<ViewId> view() {
        return (flags & VmEventAbi.FLAG_ALTERNATE_P2M) != 0 ? Optional.of(ViewId.of(altp2mIdx)) : Optional.empty();
    }
}
