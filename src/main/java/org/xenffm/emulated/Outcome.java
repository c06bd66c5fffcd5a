// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

/** What happened to a guest operation (an instruction a vCPU executed). */
public enum Outcome {
    /** The instruction completed (possibly after a response let it continue). */
    COMPLETED,
    /** A sync vm_event was sent; the vCPU is paused with the operation pending until a response unpauses it. */
    PAUSED_ON_EVENT,
    /** The monitor ring was full: the vCPU sleeps on the ring's wait queue until a slot frees. */
    BLOCKED_RING_FULL,
    /** Xen crashed the domain (access_required with no listener, ENOMEM unsharing without a helper, ...). */
    DOMAIN_CRASHED,
    /** The domain was destroyed while the operation was pending. */
    DOMAIN_DESTROYED,
    /** The vCPU cannot run now (domain paused, vCPU paused by vm_event or blocked, or busy with another access). */
    NOT_RUNNABLE,
    /** No RAM at that gfn (hole / nothing to fork from): the access goes to the device model, reads all-ones. */
    UNMAPPED,
    /** The violation was delivered to the guest as #VE (suppress_ve clear, #VE info page set). */
    VIRTUALIZATION_EXCEPTION,
    /** A guest-virtual access did not translate through the vCPU's page tables: a #PF in the guest, CR2 = the address. */
    PAGE_FAULT;

    /** {@return whether the operation is finished (no longer pending inside the emulator)} */
    public boolean isFinal() {
        return this != PAUSED_ON_EVENT && this != BLOCKED_RING_FULL;
    }
}
