// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;

import static org.xenffm.emulated.VmEventLayout.*;

/**
 * Xen's side of one vm_event ring (struct vm_event_domain): the front ring over a 4096-byte shared page, the private
 * indexes req_prod_pvt / rsp_cons, the wait queue and the blocked ("black eye") vCPUs. Requests are copied into the
 * slot first and published with a release store of req_prod; responses are read after an acquire load of rsp_prod.
 * Nothing read from the page is trusted: an rsp_prod more than a ring ahead of rsp_cons is ignored.
 */
final class VmEventRing {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    final Domain domain;
    final Arena arena = Arena.ofShared();
    final MemorySegment page = arena.allocate(4096, 4096);
    /** Xen's port in the target domain (alloc_unbound_xen_event_channel). */
    final int xenPort;
    final boolean sharing;
    private int reqProdPvt, rspCons;
    int blocked;
    int lastVcpuWakeUp;
    /** target_producers held by woken waiters that have not put their request yet (see Monitor.wake). */
    int reserved;
    /** vCPUs sleeping in vm_event_wait_slot, in arrival order. */
    final ArrayDeque<Vcpu> waitQueue = new ArrayDeque<>();
    /**
     * The guest page the ring lives in, out of the physmap but still the domain's (vm_event.c:vm_event_enable →
     * prepare_ring_for_helper holds a reference): it counts in tot_pages until the ring goes. Null with
     * {@link #holdsPage}: a frame never materialised.
     */
    Frame heldFrame;
    boolean holdsPage;
    /** The consumer end bound to {@link #xenPort}, if any. */
    EmulatedEventChannel consumer;
    int consumerPort;
    /** A notification of this ring's consumer is queued for the end of the current call (Host.notifyLater). */
    boolean notifyQueued;

    VmEventRing(Domain d, int xenPort, boolean sharing) {
        this.domain = d;
        this.xenPort = xenPort;
        this.sharing = sharing;
    }

    /** RING_FREE_REQUESTS of Xen's front ring: a slot is reusable once Xen consumed the response in it. */
    int freeRequests() { return Math.min(RING_SIZE, RING_SIZE - (reqProdPvt - rspCons)); }

    /** vm_event_ring_available: free slots minus the slots woken waiters hold (claims and puts of a running vCPU
     *  are atomic here, so those are the only reservations outstanding). */
    int available() { return freeRequests() - reserved; }

    /** vm_event_put_request: copy into slot req_prod_pvt, then publish req_prod with release semantics. */
    void put(VmEventRequest request) {
        if (freeRequests() <= 0) throw new IllegalStateException("put without a free slot");
        // memcpy(RING_GET_REQUEST(front_ring, req_prod), req, sizeof(*req)): all of it, one bulk copy
        MemorySegment.copy(request.w, 0, page, ValueLayout.JAVA_LONG, slot(reqProdPvt), VmEventRequest.WORDS);
        reqProdPvt++;
        INT.setRelease(page, REQ_PROD, reqProdPvt);   // RING_PUSH_REQUESTS: wmb(); sring->req_prod = req_prod_pvt
    }

    /**
     * Where vm_event_get_response copies a response (Xen's on-stack {@code vm_event_response_t rsp}), as
     * little-endian words ({@link VmEventRequest#get}).
     */
    private final long[] rsp = new long[VmEventRequest.WORDS];
    /** The flags whose handling reads the response's data union (registers, emulation read or insn data). */
    private static final int DATA_FLAGS = F_SET_REGISTERS | F_SET_EMUL_READ_DATA | F_SET_EMUL_INSN_DATA;
    /** rsp_prod as last read, so a batch of responses costs one acquire load of the shared index. */
    private int rspProdSeen;

    /**
     * vm_event_get_response: copies the next response out, or returns null when none is pending. The copy is valid
     * until the next call (vm_event_resume handles one response at a time, as Xen does with its stack copy). Xen
     * copies the whole slot; here the data union is copied (in the same step, before rsp_cons moves) only when
     * the response's flags make vm_event_resume read it: what the copy holds when read is the same.
     */
    long[] getResponse() {
        if (rspProdSeen == rspCons) rspProdSeen = (int) INT.getAcquire(page, RSP_PROD);
        int pending = rspProdSeen - rspCons;
        // more than a ring's worth of unconsumed responses is garbage on the shared page: consume nothing
        if (pending <= 0 || pending > RING_SIZE) {
            rspProdSeen = rspCons;
            return null;
        }
        long slot = slot(rspCons);
        int head = VmEventRequest.HEAD_WORDS;
        MemorySegment.copy(page, ValueLayout.JAVA_LONG, slot, rsp, 0, head);
        if ((VmEventRequest.get(rsp, FLAGS, 4) & DATA_FLAGS) != 0)
            MemorySegment.copy(page, ValueLayout.JAVA_LONG, slot + DATA, rsp, head, rsp.length - head);
        rspCons++;
        INT.setRelease(page, RSP_EVENT, rspCons + 1);
        return rsp;
    }

    int reqProdPvt() { return reqProdPvt; }
    int rspCons() { return rspCons; }

    void close() { arena.close(); }
}
