// SPDX-License-Identifier: Apache-2.0
package org.xenffm.stealth;

import org.xenffm.api.DomainId;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MonitorEvent;

/** How a vCPU stopped on a stealth INT3 executes the original instruction it hides. */
public enum StepMode {
    /**
     * DRAKVUF's way, needs the CPU's monitor trap flag: the response switches the vCPU to view 0 (the host p2m, the
     * original page) with FAST_SINGLESTEP back to the execute view, so the original instruction runs natively and
     * the vCPU returns to the view with the INT3 right after it (vm_event.c: VM_EVENT_FLAG_ALTERNATE_P2M,
     * VM_EVENT_FLAG_FAST_SINGLESTEP; vmx.c EXIT_REASON_MONITOR_TRAP_FLAG → p2m_altp2m_check).
     */
    SINGLESTEP,
    /**
     * Without the monitor trap flag (Bochs' VT-x): the response carries the original instruction bytes with
     * EMULATE | SET_EMUL_INSN_DATA, and Xen's emulator executes them once (x86/vm_event.c:vm_event_emulate_check,
     * hvm/vm_event.c:hvm_vm_event_do_resume, EMUL_KIND_SET_CONTEXT_INSN). Its data accesses go through the host p2m.
     */
    EMULATE;

    /**
     * The mode the host supports for {@code domain}: SINGLESTEP when xc_monitor_get_capabilities lists SINGLESTEP.
     *
     * @param hv     the hypervisor
     * @param domain the domain to trace
     * @return SINGLESTEP with the monitor trap flag, else EMULATE
     * @throws org.xenffm.api.XenException from xc_monitor_get_capabilities: ESRCH no such domain
     */
    public static StepMode of(Hypervisor hv, DomainId domain) {
        return hv.monitorGetCapabilities(domain).contains(MonitorEvent.SINGLESTEP) ? SINGLESTEP : EMULATE;
    }
}
