// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

/** struct vcpu: the parts mem_access, altp2m and vm_event touch. */
final class Vcpu {
    final Domain domain;
    final int id;
    Registers regs = new Registers();
    /**
     * The request this vCPU's event sources build ({@link VmEventRequest#of}), reused from event to event; made at
     * the first event, so a host whose vCPUs raise none (a one-shot CLI verb) never initialises the vm_event layouts.
     */
    private VmEventRequest request;
    /** altp2m index the vCPU runs in (vcpu_altp2m(v).p2midx); -1 = INVALID_ALTP2M. */
    int p2midx = -1;
    /** #VE info page gfn; -1 when not enabled. */
    long veInfoGfn = -1;
    /** vm_event_pause_count: sync events outstanding. */
    int vmEventPause;
    /** The ring's pause_flag (vm_event_mark_and_pause "black eye"). */
    boolean blockedByRing;
    /** Sleeping on the ring's wait queue for a free slot (vm_event_wait_slot). */
    boolean waitingForSlot;
    /** Woken from the wait queue with a slot grabbed for it (target_producers++), not yet used. */
    boolean slotGrabbed;
    /** The guest operation the vCPU is in the middle of (faulted, waiting for a response or a slot). */
    GuestOp pending;
    /** hvm.single_step (toggled by TOGGLE_SINGLESTEP). */
    boolean singleStep;
    /** Fast single-step target view, or -1. */
    int fastSingleStepView = -1;
    /** v->arch.vm_event->emulate_flags and the emulation data from the response. */
    int emulateFlags;
    byte[] emulReadData;
    /** The instruction bytes of a SOFTWARE_BREAKPOINT response with SET_EMUL_INSN_DATA (emul.insn.data, 16 bytes). */
    byte[] emulInsnData;
    /** GET_NEXT_INTERRUPT armed. */
    boolean nextInterrupt;
    /** v->arch.hvm.inject_event: queued by XEN_DMOP_inject_event, taken at the next VM entry; null = UNSET. */
    InjectedEvent injectEvent;
    /** Events delivered into the guest at VM entry, oldest first (for tests). */
    final java.util.List<InjectedEvent> delivered = new java.util.ArrayList<>();
    /** Number of #VE deliveries (for tests) and the last #VE gfn. */
    long veCount, lastVeGfn = -1;
    /** MSR values written by the guest (for MOV_TO_MSR old values). */
    final java.util.Map<Long, Long> msrs = new java.util.HashMap<>();

    /** {@return this vCPU's reusable request (see {@link #request})} */
    VmEventRequest request() {
        if (request == null) request = new VmEventRequest(0);
        return request;
    }

    Vcpu(Domain d, int id) {
        this.domain = d;
        this.id = id;
    }

    /** _VPF_down: set for every vCPU by hvm_load, cleared by the CPU record that restores it. */
    boolean down;

    /** Whether the scheduler would run this vCPU now. */
    boolean runnable() {
        return domain.running() && vmEventPause == 0 && !blockedByRing && !waitingForSlot && !down;
    }
}
