// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.HvmParam;
import org.xenffm.api.MemAccess;
import org.xenffm.api.MonitorEvent;
import org.xenffm.api.MonitorRing;
import org.xenffm.api.UnsupportedOnThisXenException;
import org.xenffm.api.ViewId;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.emulated.Support.*;
import static org.xenffm.emulated.VmEventLayout.*;

/** docs/xen-semantics.md §8 scenarios 25–30: mem_access, monitor toggles and the vm_event ring. */
@ParameterizedClass(name = "{0}")
@EnumSource(Release.class)
class MonitorScenariosTest {
    final Release release;
    final EmulatedHypervisor emu;
    final DomainId d;

    MonitorScenariosTest(Release release) {
        this.release = release;
        emu = release.emulator();
        d = release.altp2mGuest(emu, 1, 0x20000);   // altp2m mode set (xl's altp2m="external"), not active
    }

    // §8.25 — mem_access_memop: ENODEV without the ring; the HVMOP path needs none; nr = 0 EINVAL; ~0 sets the default
    @Test void s25_memAccessWithoutRing() {
        fails(Errno.ENODEV, "xc_set_mem_access", () -> emu.setMemAccess(d, MemAccess.R, g(1), 1));
        emu.altp2mSetDomainState(d, true);
        emu.altp2mSetMemAccess(d, ViewId.of(0), g(1), MemAccess.R);
        emu.monitorEnable(d);
        fails(Errno.EINVAL, "xc_set_mem_access", () -> emu.setMemAccess(d, MemAccess.R, g(1), 0));
        emu.setMemAccess(d, MemAccess.RX, org.xenffm.api.Gfn.INVALID, 0);
        assertEquals(MemAccess.RX, emu.getMemAccess(d, org.xenffm.api.Gfn.INVALID));
    }

    // §8.26 — p2m_mem_access_check + monitor_traps: the request bytes (VMX: a write also reports R → 0x1b)
    @Test void s26_violationRequest() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.setMemAccess(d, MemAccess.R, g(0x12345), 1);
            GuestResult r = emu.guest(d).vcpu(0).gla(0xffff800012345678L).writeGpa(0x12345678L, bytes(1, 2));
            assertEquals(Outcome.PAUSED_ON_EVENT, r.outcome());
            var q = tc.takeOne();
            assertEquals(7, q.version());
            assertEquals(REASON_MEM_ACCESS, q.reason());
            assertEquals(0x12345, q.gfn());
            assertEquals(0x678, q.u64(U_MEM_ACCESS_OFFSET));
            assertEquals(0xffff800012345678L, q.u64(U_MEM_ACCESS_GLA));
            assertEquals(0x1b, q.accessFlags());
            assertEquals(F_VCPU_PAUSED, q.flags());
            assertEquals(0, q.vcpu());
            assertEquals(emu.guest(d).vcpu(0).registers().rip, q.reg(R_RIP));
            assertEquals(emu.guest(d).vcpu(0).registers().cr3, q.reg(R_CR3));
            tc.respond(q, 0);
            // not relaxed and no EMULATE: the retried store faults again
            assertEquals(Outcome.PAUSED_ON_EVENT, r.outcome());
            assertEquals(1, tc.take().size());
        }
        // a load reports 0x19 and, with altp2m active, ALTERNATE_P2M + the view
        EmulatedHypervisor e2 = release.emulator();
        DomainId d2 = release.altp2mGuest(e2, 1, 0x20000);
        e2.altp2mSetDomainState(d2, true);
        ViewId v1 = e2.altp2mCreateView(d2, MemAccess.RWX);
        e2.altp2mSetMemAccess(d2, v1, g(0x12345), MemAccess.N);
        e2.altp2mSwitchToView(d2, v1);
        try (TestConsumer tc = new TestConsumer(e2, d2)) {
            e2.guest(d2).vcpu(0).gla(0x1000).readGpa(0x12345678L, 4);
            var q = tc.takeOne();
            assertEquals(0x19, q.accessFlags());
            assertEquals(F_VCPU_PAUSED | F_ALTERNATE_P2M, q.flags());
            assertEquals(1, q.altp2mIdx());
        }
    }

    // §8.27 — vm_event_emulate_check: EMULATE honoured only while the page still violates
    @Test void s27_emulateOnlyWhileStillViolating() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.setMemAccess(d, MemAccess.R, g(0x100), 1);
            GuestResult r = emu.guest(d).vcpu(0).write(g(0x100), 0, bytes(5));
            var q = tc.takeOne();
            tc.respond(q, F_EMULATE);   // still r: emulated, write lands, permissions stay r
            assertEquals(Outcome.COMPLETED, r.await(Duration.ofSeconds(5)));
            assertEquals(5, emu.guest(d).peek(g(0x100))[0]);
            assertEquals(MemAccess.R, emu.getMemAccess(d, g(0x100)));
            assertEquals(0, tc.take().size());

            GuestResult r2 = emu.guest(d).vcpu(0).write(g(0x100), 0, bytes(6));
            var q2 = tc.takeOne();
            emu.setMemAccess(d, MemAccess.RW, g(0x100), 1);
            tc.respond(q2, F_EMULATE);   // relaxed: emulate dropped, the normal retry succeeds
            assertEquals(Outcome.COMPLETED, r2.await(Duration.ofSeconds(5)));
            assertEquals(6, emu.guest(d).peek(g(0x100))[0]);
            assertEquals(0, tc.take().size());
        }
    }

    // §8.28 — monitor_domctl: EEXIST on repeated state, EOPNOTSUPP outside the capabilities, MSR range and ENXIO
    @Test void s28_monitorToggles() {
        emu.monitorSingleStep(d, true);
        fails(Errno.EEXIST, "xc_monitor_singlestep", () -> emu.monitorSingleStep(d, true));
        emu.monitorSingleStep(d, false);
        fails(Errno.EEXIST, "xc_monitor_singlestep", () -> emu.monitorSingleStep(d, false));
        fails(Errno.EOPNOTSUPP, "xc_monitor_privileged_call", () -> emu.monitorPrivilegedCall(d, true));
        if (release.hasIoEvents()) {   // §6.1: IO from 4.18
            emu.monitorIo(d, true);
            fails(Errno.EEXIST, "xc_monitor_io", () -> emu.monitorIo(d, true));
        } else {
            assertThrows(UnsupportedOnThisXenException.class, () -> emu.monitorIo(d, true));
        }
        fails(Errno.ENXIO, "xc_monitor_mov_to_msr", () -> emu.monitorMovToMsr(d, 0xc0000080, true, false));
        fails(Errno.ENXIO, "xc_monitor_mov_to_msr", () -> emu.monitorMovToMsr(d, 0x80000000, true, false));
        emu.monitorEnable(d);
        fails(Errno.EINVAL, "xc_monitor_mov_to_msr", () -> emu.monitorMovToMsr(d, 0x80000000, true, false));
        emu.monitorMovToMsr(d, 0xc0000080, true, false);
        fails(Errno.EEXIST, "xc_monitor_mov_to_msr", () -> emu.monitorMovToMsr(d, 0xc0000080, true, false));
        emu.monitorSoftwareBreakpoint(d, true);
        fails(Errno.EEXIST, "xc_monitor_software_breakpoint", () -> emu.monitorSoftwareBreakpoint(d, true));
        // under Bochs' VT-x there is no monitor trap flag
        EmulatedHypervisor bochs = release.emulator(HostConfig.bochs());
        DomainId b = bochs.createGuest(1, 64);
        assertEquals(release.capabilities(false), MonitorEvent.toMask(bochs.monitorGetCapabilities(b)));
        fails(Errno.EOPNOTSUPP, "xc_monitor_singlestep", () -> bochs.monitorSingleStep(b, true));
        assertEquals(release.capabilities(true), MonitorEvent.toMask(emu.monitorGetCapabilities(d)));
    }

    // §8.29 — vm_event_put_request: available < max_vcpus gives the producing vCPU a black eye
    @Test void s29_backPressurePause() {
        DomainId q = emu.createGuest(4, 64);
        try (TestConsumer tc = new TestConsumer(emu, q)) {
            emu.monitorGuestRequest(q, true, false, true);   // async events: the vCPU is not paused by vm_event
            for (int vc = 0; vc < 4; vc++) {
                assertEquals(Outcome.COMPLETED, emu.guest(q).vcpu(vc).guestRequest().outcome());
                assertFalse(emu.guest(q).vcpu(vc).blockedByRing(), "at least 4 free slots remain");
            }
            // a 5th request leaves 3 < 4 free slots: its producer is blocked
            GuestResult fifth = emu.guest(q).vcpu(0).guestRequest();
            assertEquals(Outcome.COMPLETED, fifth.outcome());
            assertTrue(emu.guest(q).vcpu(0).blockedByRing());
            assertEquals(Outcome.NOT_RUNNABLE, emu.guest(q).vcpu(0).cpuid(0, 0).outcome());
            // answering one request frees a slot: the blocked vCPU is woken
            List<TestConsumer.Req> reqs = tc.take();
            assertEquals(5, reqs.size());
            tc.respond(reqs.get(0), 0);
            assertFalse(emu.guest(q).vcpu(0).blockedByRing());
        }
    }

    // §8.30 — vm_event_enable/disable/resume rules; disable wipes monitor settings
    @Test void s30_ringEnableDisable() {
        MonitorRing r = emu.monitorEnable(d);
        assertEquals(4096, r.page().byteSize());
        fails(Errno.EBUSY, "xc_monitor_enable", () -> emu.monitorEnable(d));
        emu.monitorSingleStep(d, true);
        emu.monitorDisable(d);
        fails(Errno.EINVAL, "xc_monitor_disable", () -> emu.monitorDisable(d));
        fails(Errno.ENODEV, "xc_monitor_resume", () -> emu.monitorResume(d));
        assertEquals(7, emu.vmEventGetVersion());
        emu.monitorSingleStep(d, true);   // 0, not EEXIST: the settings were wiped
        emu.hvmParamSet(d, HvmParam.MONITOR_RING_PFN, 0);
        fails(Errno.EOPNOTSUPP, "xc_monitor_enable", () -> emu.monitorEnable(d));
    }
}
