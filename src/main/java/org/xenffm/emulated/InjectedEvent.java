// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

/**
 * An event queued for injection into a vCPU (v->arch.hvm.inject_event, struct x86_event): by xc_hvm_inject_trap, or
 * by Xen itself when it propagates an intercepted #BP no monitor took (vmx.c:vmx_propagate_intr).
 *
 * @param vector    the vector, 0..255
 * @param type      X86_EVENTTYPE_* (3 hardware exception, 6 software exception, ...)
 * @param errorCode -1 (X86_EVENT_NO_EC) for none
 * @param insnLen   the instruction length of a software event
 * @param cr2       the faulting address of a #PF
 */
public record InjectedEvent(int vector, int type, int errorCode, int insnLen, long cr2) {
    /** #BP as vmx_propagate_intr re-injects an INT3 (X86_EVENTTYPE_SW_EXCEPTION, 1-byte insn, no error code). */
    static InjectedEvent int3() { return new InjectedEvent(3, 6, -1, 1, 0); }
}
