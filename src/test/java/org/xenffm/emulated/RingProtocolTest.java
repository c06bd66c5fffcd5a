// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.EventChannel;
import org.xenffm.api.MonitorRing;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.emulated.Support.*;
import static org.xenffm.emulated.VmEventLayout.*;

/** vm_event.c producer side and the in-process event channel (docs/xen-semantics.md §7.2–§7.6). */
@ParameterizedClass(name = "{0}")
@EnumSource(Release.class)
class RingProtocolTest {
    final EmulatedHypervisor emu;
    final DomainId d;

    RingProtocolTest(Release release) {
        emu = release.emulator();
        d = release.altp2mGuest(emu, 2, 256);   // altp2m mode set (xl's altp2m="external"), not yet active
    }

    // §7.2/§7.3: the offsets the emulator uses are the gcc-checked v7 ones
    @Test void layoutMatchesTheSpecTable() {
        assertEquals(7, VERSION);
        assertEquals(0, REQ_PROD); assertEquals(4, REQ_EVENT); assertEquals(8, RSP_PROD); assertEquals(12, RSP_EVENT);
        assertEquals(64, RING); assertEquals(400, SLOT_SIZE); assertEquals(8, RING_SIZE);
        assertEquals(24, U); assertEquals(56, DATA);
        assertEquals(152, R_RIP); assertEquals(176, R_CR3); assertEquals(328, R_GDTR_LIMIT);
        assertEquals(24, U_MEM_ACCESS_FLAGS); assertEquals(16, U_MEM_ACCESS_GLA);
        assertEquals(64 + 7 * 400, slot(15));
        assertEquals(List.of(REQ_PROD, REQ_EVENT, RSP_PROD, RSP_EVENT, RING), List.of(
                org.xenffm.bindings.xen417.vm_event_sring.req_prod$offset(),
                org.xenffm.bindings.xen417.vm_event_sring.req_event$offset(),
                org.xenffm.bindings.xen417.vm_event_sring.rsp_prod$offset(),
                org.xenffm.bindings.xen417.vm_event_sring.rsp_event$offset(),
                org.xenffm.bindings.xen417.vm_event_sring.ring$offset()), "the hand-written ring header, as jextract read it");
    }

    // vm_event_put_request: slot = req_prod_pvt & 7, req_prod published, FIFO order, free-running indexes
    @Test void requestsAreFifoAndIndexesRunFree() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.monitorGuestRequest(d, true, true, true);
            for (int round = 0; round < 5; round++) {
                GuestResult a = emu.guest(d).vcpu(0).guestRequest();
                GuestResult b = emu.guest(d).vcpu(1).guestRequest();
                List<TestConsumer.Req> reqs = tc.take();
                assertEquals(List.of(0, 1), reqs.stream().map(TestConsumer.Req::vcpu).toList());
                for (var q : reqs) {
                    assertEquals(REASON_GUEST_REQUEST, q.reason());
                    assertEquals(F_VCPU_PAUSED, q.flags());
                }
                for (var q : reqs) tc.write(q, 0, null);
                tc.push();
                assertEquals(Outcome.COMPLETED, a.await(Duration.ofSeconds(5)));
                assertEquals(Outcome.COMPLETED, b.await(Duration.ofSeconds(5)));
                assertEquals(2 * (round + 1), tc.reqProd());
                assertEquals(2 * (round + 1) + 1, tc.rspEvent(), "rsp_event = rsp_cons + 1");
            }
        }
    }

    // §7.6 step 1: a response with a bad version is ignored and the vCPU stays paused
    @Test void badVersionResponseIsIgnored() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.monitorCpuid(d, true);
            GuestResult r = emu.guest(d).vcpu(0).cpuid(0, 0);
            var q = tc.takeOne();
            tc.respond(q, 0, rsp -> rsp.set(ValueLayout.JAVA_INT, VERSION_OFF, 6));
            assertEquals(Outcome.PAUSED_ON_EVENT, r.outcome());
            assertTrue(emu.guest(d).vcpu(0).pausedByVmEvent());
            tc.respond(q, 0);
            assertEquals(Outcome.COMPLETED, r.await(Duration.ofSeconds(5)));
        }
    }

    // §7.6 step 3: flags of a response for a vCPU not paused by vm_event are ignored (no underflow)
    @Test void responseForUnpausedVcpuIgnoresFlags() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.monitorGuestRequest(d, true, false, true);
            emu.guest(d).vcpu(0).guestRequest();
            var q = tc.takeOne();
            assertEquals(0, q.flags() & F_VCPU_PAUSED);
            var regs = emu.guest(d).vcpu(0).registers();
            tc.respond(q, F_VCPU_PAUSED | F_SET_REGISTERS, rsp -> rsp.set(ValueLayout.JAVA_LONG, DATA + R_RIP, 0xdead));
            assertEquals(regs.rip, emu.guest(d).vcpu(0).registers().rip);
            assertFalse(emu.guest(d).vcpu(0).pausedByVmEvent());
        }
    }

    // vm_event_set_registers / TOGGLE_SINGLESTEP / ALTERNATE_P2M ignoring visibility
    @Test void responseFlagsApplyInOrder() {
        emu.altp2mSetDomainState(d, true);
        var v1 = emu.altp2mCreateView(d, org.xenffm.api.MemAccess.RWX);
        emu.altp2mSetVisibility(d, v1, false);
        fails(Errno.EINVAL, "xc_altp2m_switch_to_view", () -> emu.altp2mSwitchToView(d, v1));
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.monitorCpuid(d, true);
            emu.monitorSingleStep(d, true);
            GuestResult r = emu.guest(d).vcpu(0).cpuid(0, 0);
            var q = tc.takeOne();
            assertEquals(F_VCPU_PAUSED | F_ALTERNATE_P2M, q.flags());
            long rip = q.reg(R_RIP);
            tc.respond(q, F_SET_REGISTERS | F_TOGGLE_SINGLESTEP | F_ALTERNATE_P2M, rsp -> {
                MemorySegmentCopy.copyRegs(q, rsp);
                rsp.set(ValueLayout.JAVA_LONG, DATA + R_RIP, rip + 2);
                rsp.set(ValueLayout.JAVA_SHORT, ALTP2M_IDX, (short) 1);
            });
            assertEquals(Outcome.COMPLETED, r.await(Duration.ofSeconds(5)));
            assertEquals(rip + 2, emu.guest(d).vcpu(0).registers().rip);
            assertTrue(emu.guest(d).vcpu(0).singleStepping());
            assertEquals(1, emu.guest(d).vcpu(0).currentView(), "visibility ignored for vm_event switches");
            // single-step now produces SINGLESTEP events with the gfn of RIP
            GuestResult s = emu.guest(d).vcpu(0).step(3);
            var sq = tc.takeOne();
            assertEquals(REASON_SINGLESTEP, sq.reason());
            assertEquals((rip + 5) >>> 12, sq.gfn());
            tc.respond(sq, F_TOGGLE_SINGLESTEP);
            assertEquals(Outcome.COMPLETED, s.await(Duration.ofSeconds(5)));
            assertFalse(emu.guest(d).vcpu(0).singleStepping());
        }
    }

    // §7.5: a guest vCPU facing a full ring sleeps on the wait queue; disable refuses while it waits (EBUSY)
    @Test void fullRingParksTheVcpuAndDisableIsBusy() {
        DomainId big = emu.createGuest(9, 64);
        try (TestConsumer tc = new TestConsumer(emu, big)) {
            emu.monitorCpuid(big, true);
            List<GuestResult> rs = new ArrayList<>();
            for (int i = 0; i < 8; i++) rs.add(emu.guest(big).vcpu(i).cpuid(i, 0));
            rs.forEach(r -> assertEquals(Outcome.PAUSED_ON_EVENT, r.outcome()));
            GuestResult ninth = emu.guest(big).vcpu(8).cpuid(8, 0);
            assertEquals(Outcome.BLOCKED_RING_FULL, ninth.outcome());
            fails(Errno.EBUSY, "xc_monitor_disable", () -> emu.monitorDisable(big));
            var reqs = tc.take();
            assertEquals(8, reqs.size());
            tc.respond(reqs.get(0), 0);
            assertEquals(Outcome.PAUSED_ON_EVENT, ninth.outcome(), "woken, its request is now on the ring");
            var q9 = tc.takeOne();
            assertEquals(8, q9.vcpu());
            assertEquals(8, q9.u32(U_CPUID_LEAF));
        }
    }

    // the in-process event channel: notify wakes waitPending, the port stays masked until unmasked
    @Test void eventChannelDeliversAndMasks() throws Exception {
        MonitorRing ring = emu.monitorEnable(d);
        try (EventChannel ch = emu.eventChannelOpen()) {
            fails(Errno.EINVAL, "xenevtchn_bind_interdomain", () -> ch.bindInterdomain(d, ring.remotePort() + 1));
            int port = ch.bindInterdomain(d, ring.remotePort());
            fails(Errno.EINVAL, "xenevtchn_bind_interdomain", () -> ch.bindInterdomain(d, ring.remotePort()));
            assertTrue(ch.waitPending(Duration.ofMillis(10)).isEmpty());
            emu.monitorGuestRequest(d, true, false, true);
            Thread t = new Thread(() -> emu.guest(d).vcpu(0).guestRequest());
            t.start();
            OptionalInt p = ch.waitPending(Duration.ofSeconds(5));
            t.join();
            assertEquals(OptionalInt.of(port), p);
            emu.guest(d).vcpu(1).guestRequest();
            assertTrue(ch.waitPending(Duration.ofMillis(10)).isEmpty(), "masked until unmask");
            ch.unmask(port);
            assertEquals(OptionalInt.of(port), ch.waitPending(Duration.ofMillis(10)));
            ch.wakeup();
            assertTrue(ch.waitPending(Duration.ofSeconds(5)).isEmpty());
        }
    }

    /** Test helper: copy the request's register block into a response. */
    static final class MemorySegmentCopy {
        static void copyRegs(TestConsumer.Req q, java.lang.foreign.MemorySegment rsp) {
            java.lang.foreign.MemorySegment.copy(q.raw(), DATA, rsp, DATA, 344);
        }
    }
}
