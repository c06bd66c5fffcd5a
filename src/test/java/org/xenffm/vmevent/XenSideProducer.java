// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.xenffm.vmevent.VmEventAbi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * Xen's end of a vm_event ring for tests, written from common/vm_event.c and ring.h (docs/xen-semantics.md §7.4): the
 * front ring (req_prod_pvt, rsp_cons private), requests copied into slot req_prod_pvt &amp; 7 then req_prod published
 * with release semantics (vm_event_put_request), responses taken while rsp_prod ≠ rsp_cons with rsp_event =
 * rsp_cons + 1 written after each (vm_event_get_response). No Xen behaviour beyond the ring itself.
 */
final class XenSideProducer {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private final MemorySegment page;
    private int reqProdPvt, rspCons;

    XenSideProducer(MemorySegment page) { this(page, 0); }

    /** Xen resets only its private indexes on enable (vm_event_enable → FRONT_RING_INIT). */
    XenSideProducer(MemorySegment page, int start) {
        this.page = page;
        this.reqProdPvt = start;
        this.rspCons = start;
    }

    /** RING_FREE_REQUESTS from Xen's side. */
    int freeRequests() { return RING_SIZE - (reqProdPvt - rspCons); }

    /** vm_event_put_request: copies a 400-byte request in and publishes it; false when the ring is full. */
    boolean put(MemorySegment request) {
        if (freeRequests() == 0) return false;
        MemorySegment.copy(request, 0, page, slotOffset(reqProdPvt), SLOT_SIZE);
        reqProdPvt++;
        INT.setRelease(page, REQ_PROD, reqProdPvt); // RING_PUSH_REQUESTS: wmb, then req_prod
        return true;
    }

    /** vm_event_get_response loop: every published response, in ring order (copies). */
    List<MemorySegment> takeResponses() {
        List<MemorySegment> out = new ArrayList<>();
        while (rspCons != (int) INT.getAcquire(page, RSP_PROD)) {
            MemorySegment copy = MemorySegment.ofArray(new long[SLOT_SIZE / 8]);
            MemorySegment.copy(page, slotOffset(rspCons), copy, 0, SLOT_SIZE);
            rspCons++;
            page.set(ValueLayout.JAVA_INT, RSP_EVENT, rspCons + 1);
            out.add(copy);
        }
        return out;
    }

    int reqProdPvt() { return reqProdPvt; }
}
