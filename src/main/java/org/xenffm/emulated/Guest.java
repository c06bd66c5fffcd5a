// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;

/**
 * The guest side of an emulated domain: its vCPUs ({@link #vcpu(int)}) and a debugger's view of its memory
 * ({@link #peek}) that bypasses every permission and never changes state.
 */
public final class Guest {
    private final EmulatedHypervisor emu;
    private final DomainId domain;

    Guest(EmulatedHypervisor emu, DomainId domain) {
        this.emu = emu;
        this.domain = domain;
    }

    /** {@return the domain} */
    public DomainId domain() { return domain; }

    /**
     * Acts as one of the guest's vCPUs.
     *
     * @param index the vCPU index
     * @return the vCPU
     */
    public GuestCpu vcpu(int index) { return new GuestCpu(emu, domain.value(), index, 0, false, false); }

    /**
     * The bytes the host p2m maps at gfn (zeros for untouched RAM). No unsharing, no events.
     *
     * @param gfn the guest frame
     * @return its 4096 bytes, empty for a hole
     */
    public byte[] peek(Gfn gfn) { return emu.peek(domain, gfn); }
}
