// SPDX-License-Identifier: Apache-2.0
package org.xenffm.stealth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmParam;
import org.xenffm.api.VcpuId;
import org.xenffm.api.XenVersion;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestCpu;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.GuestSpec;
import org.xenffm.emulated.HostConfig;
import org.xenffm.emulated.InjectedEvent;
import org.xenffm.emulated.Outcome;
import org.xenffm.emulated.Registers;

/**
 * Stealth breakpoints on one emulated guest, on Xen 4.17 and 4.20, with the monitor trap flag (SINGLESTEP) and
 * without it (EMULATE, as under Bochs): hits with the right RIP, the guest continuing with its own instruction, reads
 * and writes seeing the original page, the guest's own INT3 reaching it, and nothing left after remove/close.
 */
class StealthTracerTest {
    static final Duration WAIT = Duration.ofSeconds(10);
    static final long CODE = 0x5000, BP = CODE + 0x10, OWN_INT3 = CODE + 0x30;
    static final byte NOP = (byte) 0x90;

    static List<Arguments> hosts() {
        return List.of(Arguments.of(XenVersion.V4_17, StepMode.SINGLESTEP), Arguments.of(XenVersion.V4_17, StepMode.EMULATE),
                Arguments.of(XenVersion.V4_20, StepMode.SINGLESTEP), Arguments.of(XenVersion.V4_20, StepMode.EMULATE));
    }

    /** A running guest (2 vCPUs, 64 pages, paging off so addresses are physical) whose page 5 is NOPs. */
    static final class Rig implements AutoCloseable {
        final EmulatedHypervisor hv;
        final DomainId d;
        final List<BreakpointHit> hits = new CopyOnWriteArrayList<>();
        final StealthTracer tracer;

        Rig(XenVersion v, StepMode mode) {
            hv = new EmulatedHypervisor(HostConfig.vtx(v).withSinglestep(mode == StepMode.SINGLESTEP));
            d = hv.createGuest(GuestSpec.hvm(2, 64).withAltp2m(v.altp2mAtCreation() ? HvmParam.ALTP2M_EXTERNAL : 0));
            byte[] code = new byte[4096];
            java.util.Arrays.fill(code, NOP);
            assertEquals(Outcome.COMPLETED, hv.guest(d).vcpu(0).write(Gfn.ofGpa(CODE), 0, code).await(WAIT));
            for (int i = 0; i < 2; i++) {
                Registers r = cpu(i).registers();
                r.cr0 = 0x11;   // protected mode, no paging
                cpu(i).setRegisters(r);
            }
            assertEquals(mode, StepMode.of(hv, d), "the host offers the mode the test means");
            tracer = new StealthTracer(hv, null, hits::add);
        }

        GuestCpu cpu(int i) { return hv.guest(d).vcpu(i); }

        /** vCPU i executes the one-byte instruction at rip. */
        Outcome exec(int i, long rip) {
            Registers r = cpu(i).registers();
            r.rip = rip;
            cpu(i).setRegisters(r);
            return cpu(i).run(1).await(WAIT);
        }

        byte read(int i, long gpa) {
            GuestResult r = cpu(i).readGpa(gpa, 1);
            assertEquals(Outcome.COMPLETED, r.await(WAIT));
            return r.data()[0];
        }

        @Override public void close() {
            tracer.close();
            hv.close();
        }
    }

    @ParameterizedTest(name = "Xen {0}, {1}") @MethodSource("hosts")
    void aHitReportsTheVcpuAndRipAndTheGuestRunsItsOwnInstruction(XenVersion v, StepMode mode) {
        try (Rig r = new Rig(v, mode)) {
            Breakpoint bp = r.tracer.add(r.d, BP);
            assertEquals(Outcome.COMPLETED, r.exec(1, BP));
            assertEquals(1, r.hits.size());
            BreakpointHit h = r.hits.getFirst();
            assertEquals(bp, h.breakpoint());
            assertEquals(VcpuId.of(1), h.vcpu());
            assertEquals(BP, h.regs().rip());
            assertEquals(BP + 1, r.cpu(1).registers().rip, "the NOP under the INT3 ran");
            assertEquals(r.tracer.executeView(r.d).orElseThrow().value(), r.cpu(1).currentView(),
                    "back in the execute view, so the next pass hits again");
            assertTrue(r.cpu(1).deliveredEvents().isEmpty(), "no #BP reached the guest");
            assertEquals(Outcome.COMPLETED, r.exec(1, BP));
            assertEquals(Outcome.COMPLETED, r.exec(0, BP));
            assertEquals(3, r.hits.size());
            assertEquals(Outcome.COMPLETED, r.exec(0, BP + 1), "the instruction after it is no breakpoint");
            assertEquals(3, r.hits.size());
            assertFalse(r.cpu(0).pausedByVmEvent() || r.cpu(1).pausedByVmEvent());
        }
    }

    @ParameterizedTest(name = "Xen {0}, {1}") @MethodSource("hosts")
    void theGuestReadsAndWritesTheOriginalPageAndTheBreakpointKeepsFiring(XenVersion v, StepMode mode) {
        try (Rig r = new Rig(v, mode)) {
            r.tracer.add(r.d, BP);
            assertEquals(NOP, r.read(0, BP), "a read sees the original byte, not the INT3");
            assertEquals(1, r.tracer.accessesHidden());
            assertEquals(Outcome.COMPLETED, r.exec(0, BP));
            assertEquals(1, r.hits.size(), "the fetch after the read rebuilt the shadow and hit");
            assertEquals(1, r.tracer.reshadows());
            // the guest rewrites bytes of the page (e.g. a patched jump table next to the code)
            assertEquals(Outcome.COMPLETED, r.cpu(1).writeGpa(CODE + 0x100, new byte[]{1, 2, 3}).await(WAIT));
            assertEquals(Outcome.COMPLETED, r.exec(1, BP));
            assertEquals(2, r.hits.size());
            GuestResult back = r.cpu(1).readGpa(CODE + 0x100, 3);
            assertEquals(Outcome.COMPLETED, back.await(WAIT));
            assertArrayEquals(new byte[]{1, 2, 3}, back.data(), "the write reached the guest's page");
            assertArrayEquals(new byte[]{1, 2, 3}, java.util.Arrays.copyOfRange(
                    r.hv.guest(r.d).peek(r.tracer.shadowPages(r.d).getFirst()), 0x100, 0x103), "and the rebuilt shadow");
        }
    }

    @ParameterizedTest(name = "Xen {0}, {1}") @MethodSource("hosts")
    void theGuestsOwnInt3StillReachesIt(XenVersion v, StepMode mode) {
        try (Rig r = new Rig(v, mode)) {
            assertEquals(Outcome.COMPLETED, r.cpu(0).writeGpa(OWN_INT3, new byte[]{(byte) 0xcc}).await(WAIT));
            r.tracer.add(r.d, BP);   // same page
            assertEquals(Outcome.COMPLETED, r.exec(0, OWN_INT3));
            assertTrue(r.hits.isEmpty());
            assertEquals(1, r.tracer.reinjected());
            assertEquals(List.of(new InjectedEvent(3, 6, -1, 1, 0)), r.cpu(0).deliveredEvents());
        }
    }

    @ParameterizedTest(name = "Xen {0}, {1}") @MethodSource("hosts")
    void removeAndCloseLeaveNothing(XenVersion v, StepMode mode) {
        try (Rig r = new Rig(v, mode)) {
            DomainInfo before = r.hv.domainGetinfo(r.d);
            Breakpoint a = r.tracer.add(r.d, BP);
            // the first add also enabled the monitor ring, which libxc takes out of the guest's physmap; its page counts
            // in tot_pages until the ring goes (vm_event_enable holds it)
            long withOneShadow = r.hv.domainGetinfo(r.d).totPages();
            Breakpoint b = r.tracer.add(r.d, BP + 2);
            Breakpoint c = r.tracer.add(r.d, CODE + 0x1000 + 8);   // a second page
            assertEquals(2, r.tracer.shadowPages(r.d).size());
            assertEquals(withOneShadow + 1, r.hv.domainGetinfo(r.d).totPages());
            assertTrue(r.tracer.remove(b));
            assertFalse(r.tracer.remove(b));
            assertEquals(Outcome.COMPLETED, r.exec(0, BP + 2));
            assertTrue(r.hits.isEmpty(), "the removed breakpoint's byte is the original again");
            assertTrue(r.tracer.remove(c));
            assertEquals(1, r.tracer.shadowPages(r.d).size(), "the second page's shadow was given back");
            assertEquals(withOneShadow, r.hv.domainGetinfo(r.d).totPages());
            assertEquals(Outcome.COMPLETED, r.exec(0, BP), "the remaining breakpoint survived the decrease_reservation");
            assertEquals(List.of(a), r.hits.stream().map(BreakpointHit::breakpoint).toList());
            r.tracer.close();
            DomainInfo after = r.hv.domainGetinfo(r.d);
            assertEquals(withOneShadow - 2, after.totPages(), "every shadow page returned, and the ring's page with the ring");
            assertEquals(before.totPages() - 1, after.totPages(), "nothing left but the ring page libxc took out of the physmap");
            assertEquals(before.maxPages(), after.maxPages(), "max_pages restored");
            assertEquals(0, r.cpu(0).currentView(), "the vCPUs are back in view 0");
            assertEquals(Outcome.COMPLETED, r.exec(0, BP));
            assertEquals(1, r.hits.size());
            assertTrue(r.cpu(0).deliveredEvents().isEmpty(), "no INT3 left behind for the guest to trip on");
            assertEquals(NOP, r.read(0, BP));
        }
    }
}
