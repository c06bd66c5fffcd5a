// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.vmevent.VmEventAbi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xenffm.api.ViewId;

/** MonitorSession's per-request dispatch over the drain path: routing, lazy decoding, failures, stepping. */
class SessionDispatchTest {
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment page = arena.allocate(PAGE_SIZE, PAGE_SIZE);
    private final VmEventRing ring = VmEventRing.attach(page, VERSION, 4);
    private final XenSideProducer xen = new XenSideProducer(page);
    private final List<MonitorSessionException> failures = new ArrayList<>();
    private boolean stopping;
    private final SessionDispatch.Owner owner = new SessionDispatch.Owner() {
        @Override public boolean stopping() { return stopping; }
        @Override public void handlerFailed(MonitorSessionException e) {
            failures.add(e);
            stopping = true;
        }
    };

    @AfterEach void close() { arena.close(); }

    private static int i32(MemorySegment s, long off) { return s.get(ValueLayout.JAVA_INT_UNALIGNED, off); }

    private SessionDispatch dispatch(VmEventRing.Handler[] routes) { return new SessionDispatch(routes, owner); }

    @Test void typedAndViewHandlersGetTheirReasonsAndUnhandledOnesAreAnsweredWithoutDecoding() {
        MonitorSession.Builder b = MonitorSession.builder(new RingXen(4).hypervisor(), RingXen.DOM);
        List<Object> seen = new ArrayList<>();
        b.on(VmEvent.Cpuid.class, e -> { seen.add(e.copy()); return VmEventResponse.CONTINUE.deny(); });
        b.onView(VmEvent.MemAccess.class, v -> { seen.add(v.u64(MEM_ACCESS_GFN)); return null; });
        b.on(VmEvent.Unknown.class, e -> { seen.add("unknown " + e.reason()); return null; });
        SessionDispatch d = new SessionDispatch(b.routes(), b.typedRoutes(), owner);
        xen.put(Requests.sync(REASON_CPUID, 1).u32(CPUID_LEAF, 0x40000000).bytes);
        xen.put(Requests.memAccessWrite(2, 0x1234, 0x10, 0x7000).view(3).bytes);
        xen.put(Requests.sync(REASON_GUEST_REQUEST, 0).bytes);
        xen.put(Requests.sync(REASON_MEM_PAGING, 3).bytes);
        assertEquals(4, d.drain(ring));
        ring.pushResponses();
        assertEquals(3, seen.size(), "the guest request has no handler");
        assertEquals(0x40000000, assertInstanceOf(VmEvent.Cpuid.class, seen.get(0)).leaf());
        assertEquals(0x1234L, seen.get(1));
        assertEquals("unknown " + REASON_MEM_PAGING, seen.get(2));
        List<MemorySegment> r = xen.takeResponses();
        assertEquals(FLAG_VCPU_PAUSED | FLAG_DENY, i32(r.get(0), FLAGS));
        assertEquals(2, i32(r.get(1), VCPU_ID));
        assertEquals(0x1234L, r.get(1).get(ValueLayout.JAVA_LONG_UNALIGNED, U + MEM_ACCESS_GFN), "u echoed");
        assertEquals(FLAG_VCPU_PAUSED, i32(r.get(2), FLAGS), "no handler: CONTINUE, still released");
        assertEquals(4, d.handled());
        assertTrue(failures.isEmpty());
    }

    @Test void aTypedHandlerGetsTheRingsOneReusableEventAndACopyKeepsItsRequest() {
        MonitorSession.Builder b = MonitorSession.builder(new RingXen(4).hypervisor(), RingXen.DOM);
        List<VmEvent.Cpuid> handed = new ArrayList<>(), kept = new ArrayList<>();
        List<Long> ripsDuringCall = new ArrayList<>();
        b.on(VmEvent.Cpuid.class, e -> {
            handed.add(e);
            kept.add(e.copy());
            ripsDuringCall.add(e.regs().rip());
            return null;
        });
        SessionDispatch d = new SessionDispatch(b.routes(), b.typedRoutes(), owner);
        xen.put(Requests.sync(REASON_CPUID, 1).u32(CPUID_LEAF, 7).reg(org.xenffm.api.X86Registers.Gpr.RIP.offset(), 0x1000).bytes);
        xen.put(Requests.sync(REASON_CPUID, 2).u32(CPUID_LEAF, 0xd).reg(org.xenffm.api.X86Registers.Gpr.RIP.offset(), 0x2000).bytes);
        assertEquals(2, d.drain(ring));
        assertSame(handed.get(0), handed.get(1), "one event object per ring and type, nothing allocated per event");
        assertEquals(List.of(0x1000L, 0x2000L), ripsDuringCall, "read during the call: that call's request");
        assertEquals(7, kept.get(0).leaf());
        assertEquals(1, kept.get(0).vcpu().value());
        assertEquals(0x1000L, kept.get(0).regs().rip());
        assertEquals(0xd, kept.get(1).leaf());
        assertEquals(0xd, handed.get(0).leaf(), "the handed-out event shows the latest request once the call is over");
        assertSame(kept.get(0), kept.get(0).copy(), "a copy is its own copy");
        assertEquals(kept.get(1), handed.get(1), "equal while they carry the same request");
        assertNotEquals(kept.get(0), kept.get(1));
    }

    @Test void onlyRecordTypesCanBeRouted() {
        MonitorSession.Builder b = MonitorSession.builder(new RingXen(1).hypervisor(), RingXen.DOM);
        assertThrows(IllegalArgumentException.class, () -> b.on(VmEvent.class, e -> null));
        assertThrows(IllegalArgumentException.class, () -> b.onView(VmEvent.class, v -> null));
    }

    @Test void aCorruptPayloadEndsTheSessionEvenWhenNoHandlerWouldDecodeIt() {
        SessionDispatch d = dispatch(SessionDispatch.everyReason(null));
        xen.put(Requests.sync(REASON_CPUID, 0).bytes);
        xen.put(Requests.sync(REASON_WRITE_CTRLREG, 1).u32(CTRLREG_INDEX, 9).bytes);
        var e = assertThrows(RingCorruptException.class, () -> d.drain(ring));
        assertEquals(RingCorruptException.Kind.BAD_PAYLOAD, e.kind());
        assertFalse(e.consumed(), "the drain answered it already");
        assertEquals(0, ring.unanswered());
        ring.pushResponses();
        List<MemorySegment> r = xen.takeResponses();
        assertEquals(2, r.size());
        assertEquals(FLAG_VCPU_PAUSED, i32(r.get(1), FLAGS), "the corrupt entry's vCPU is released");
    }

    @Test void aCorruptPayloadNeverReachesTheViewHandlerOfItsReason() {
        List<Integer> reasons = new ArrayList<>();
        SessionDispatch d = dispatch(SessionDispatch.everyReason(v -> { reasons.add(v.reason()); return null; }));
        xen.put(Requests.sync(REASON_DESCRIPTOR_ACCESS, 0).u8(DESC_DESCRIPTOR, 1).bytes);
        xen.put(Requests.sync(REASON_DESCRIPTOR_ACCESS, 1).u8(DESC_DESCRIPTOR, 0xee).bytes);
        var e = assertThrows(RingCorruptException.class, () -> d.drain(ring));
        assertEquals(RingCorruptException.Kind.BAD_PAYLOAD, e.kind());
        assertEquals(List.of(REASON_DESCRIPTOR_ACCESS), reasons, "the valid one was handled, the corrupt one not");
        assertEquals(1, d.handled());
    }

    @Test void aSingleStepEventMarksItsVcpuSteppingSoTeardownSwitchesItOff() {
        SessionDispatch d = dispatch(SessionDispatch.everyReason(v -> null));
        xen.put(Requests.sync(REASON_SINGLESTEP, 2).bytes); // stepping turned on by someone else (e.g. an earlier session)
        xen.put(Requests.sync(REASON_SINGLESTEP, 2).bytes); // known already: nothing changes
        assertEquals(2, d.drain(ring));
        assertTrue(d.stepping(2));
        assertFalse(d.stepping(1));
        stopping = true;
        xen.put(Requests.sync(REASON_CPUID, 2).bytes);
        xen.put(Requests.sync(REASON_CPUID, 1).bytes);
        assertEquals(2, d.drain(ring));
        ring.pushResponses();
        List<MemorySegment> r = xen.takeResponses();
        assertEquals(List.of(FLAG_VCPU_PAUSED, FLAG_VCPU_PAUSED, FLAG_VCPU_PAUSED | FLAG_TOGGLE_SINGLESTEP,
                FLAG_VCPU_PAUSED), r.stream().map(x -> i32(x, FLAGS)).toList(), "only vCPU 2's stepping is switched off");
        assertFalse(d.stepping(2), "and it is known to be off");
        assertEquals(2, d.handled());
        assertEquals(2, d.answeredAtTeardown());
    }

    @Test void aFailingHandlerStopsTheSessionAndTheRestIsAnsweredContinueWithSteppingSwitchedOff() {
        int[] calls = {0};
        VmEventRing.Handler[] routes = SessionDispatch.everyReason(v -> {
            if (++calls[0] == 2) throw new IllegalStateException("handler bug");
            return v.reason() == REASON_CPUID ? VmEventResponse.CONTINUE.toggleSinglestep() : null;
        });
        SessionDispatch d = dispatch(routes);
        xen.put(Requests.sync(REASON_CPUID, 1).bytes);          // handler turns stepping on for vCPU 1
        xen.put(Requests.sync(REASON_GUEST_REQUEST, 0).bytes);  // handler throws
        xen.put(Requests.sync(REASON_SINGLESTEP, 1).bytes);     // stopping: answered, stepping switched off
        assertEquals(3, d.drain(ring));
        ring.pushResponses();
        assertEquals(2, calls[0], "no handler runs once the session is stopping");
        assertEquals(1, failures.size());
        assertInstanceOf(IllegalStateException.class, failures.getFirst().getCause());
        assertEquals(1, d.handled());
        assertEquals(1, d.answeredAtTeardown());
        List<MemorySegment> r = xen.takeResponses();
        assertEquals(FLAG_VCPU_PAUSED | FLAG_TOGGLE_SINGLESTEP, i32(r.get(0), FLAGS));
        assertEquals(FLAG_VCPU_PAUSED, i32(r.get(1), FLAGS), "the failing request is answered CONTINUE");
        assertEquals(FLAG_VCPU_PAUSED | FLAG_TOGGLE_SINGLESTEP, i32(r.get(2), FLAGS),
                "teardown leaves no vCPU single-stepping");
    }

    @Test void aViewHandlerAnswersLikeATypedOne() {
        VmEventResponse rsp = VmEventResponse.CONTINUE.emulate().switchToView(ViewId.of(2));
        SessionDispatch typed = dispatch(SessionDispatch.everyReason(v -> {
            VmEvent e = v.event();
            return e instanceof VmEvent.MemAccess ? rsp : null;
        }));
        SessionDispatch view = dispatch(SessionDispatch.everyReason(
                v -> v.reason() == REASON_MEM_ACCESS ? rsp : null));
        MemorySegment p2 = arena.allocate(PAGE_SIZE, PAGE_SIZE);
        VmEventRing ring2 = VmEventRing.attach(p2, VERSION, 4);
        XenSideProducer xen2 = new XenSideProducer(p2);
        for (Requests q : List.of(Requests.memAccessWrite(0, 0x44, 8, 0x1008), Requests.sync(REASON_CPUID, 3))) {
            xen.put(q.bytes);
            xen2.put(q.bytes);
        }
        typed.drain(ring);
        ring.pushResponses();
        view.drain(ring2);
        ring2.pushResponses();
        List<MemorySegment> a = xen.takeResponses(), b = xen2.takeResponses();
        for (int i = 0; i < 2; i++) assertEquals(-1, a.get(i).mismatch(b.get(i)));
    }

}
