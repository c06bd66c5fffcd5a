// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

/**
 * An instruction a vCPU is executing. {@link #execute} runs under the host lock with {@code Host.current} set; it
 * returns {@link Step#DONE} when finished, or another step when the vCPU has to stop (paused by a sync event,
 * sleeping for a ring slot, ...). A stopped operation is run again when the vCPU becomes runnable; the operation
 * keeps the state it needs (a request still to be queued, a deferred register write).
 */
abstract class GuestOp {
    enum Step { DONE, PAUSED, WAIT_SLOT, CRASHED, UNMAPPED, VE, PAGE_FAULT }

    final Vcpu vcpu;
    final GuestResult result = new GuestResult();
    /** A request that could not be queued yet (ring full), and whether it pauses. */
    VmEventRequest queued;
    boolean queuedSync;
    /** Set when the last stop was a sync pause (the next run is a resume). */
    boolean resumed;

    GuestOp(Vcpu v) { this.vcpu = v; }

    abstract Step execute(Host h);

    /**
     * Makes a finished operation ready to run again from its start, for a {@link GuestEngine.Loop} that executes the
     * same instruction many times: a guest loop then costs no object per instruction. False when it cannot be (the
     * default), and the loop builds the next instruction anew.
     */
    boolean rearm() { return false; }

    /** A DENY response for this operation's deferred write. */
    void deny(int reason, int ctrlregIndex) {}

    /**
     * Sends an event through monitor_traps: returns null when the instruction continues (sent async, or dropped
     * because there is no ring), or the step that stops the vCPU.
     */
    Step send(Host h, VmEventRequest req, boolean sync) {
        Monitor.Trap t = h.monitor.traps(vcpu, sync, req);
        switch (t) {
            case WAIT_FOR_SLOT -> {
                queued = req;
                queuedSync = sync;
                return Step.WAIT_SLOT;
            }
            case SENT_SYNC -> {
                result.eventSent();
                resumed = true;
                return Step.PAUSED;
            }
            case SENT_ASYNC -> {
                result.eventSent();
                return null;
            }
            default -> { return null; }
        }
    }
}
