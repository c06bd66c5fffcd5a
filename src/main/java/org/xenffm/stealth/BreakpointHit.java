// SPDX-License-Identifier: Apache-2.0
package org.xenffm.stealth;

import org.xenffm.api.DomainId;
import org.xenffm.api.VcpuId;
import org.xenffm.api.X86Registers;

/**
 * A vCPU executed a stealth breakpoint (a SOFTWARE_BREAKPOINT event on its shadow INT3). The handler runs while the
 * vCPU is paused on the event; when it returns, the vCPU goes on with its original instruction.
 *
 * @param breakpoint the breakpoint hit
 * @param vcpu       the vCPU that hit it
 * @param regs       its registers at the hit (RIP on the breakpointed instruction)
 */
public record BreakpointHit(Breakpoint breakpoint, VcpuId vcpu, X86Registers regs) {
    /** {@return the domain that hit the breakpoint} */
    public DomainId domain() { return breakpoint.domain(); }
}
