// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.GfnAccess;
import org.xenffm.api.HvmParam;
import org.xenffm.api.MemAccess;
import org.xenffm.api.MonitorEvent;
import org.xenffm.api.UnsupportedOnThisXenException;
import org.xenffm.api.UnsupportedXenVersionException;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenVersion;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.emulated.Support.*;

/**
 * The rows docs/xen-semantics.md marks ≥ 4.18 / ≥ 4.19 / ≥ 4.20, each run on both releases with both expectations
 * written out (what the real-Xen harness observed of each row is in docs/xen-semantics.md).
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Release.class)
class VersionRowsTest {
    final Release release;
    final EmulatedHypervisor emu;
    final DomainId d;

    VersionRowsTest(Release release) {
        this.release = release;
        emu = release.emulator();
        d = release.altp2mGuest(emu, 1, 256);
    }

    @Test void theEmulatorRunsTheNamedReleaseAndNoOther() {
        assertEquals(release.version, emu.version());
        var e = assertThrows(UnsupportedXenVersionException.class,
                () -> HostConfig.vtx(XenVersion.parse("4.19")));
        assertTrue(e.getMessage().contains("xenffm supports Xen 4.17, 4.20"), e.getMessage());
    }

    // §4.1: 4.17 — the param changes once (same value fine, another EEXIST); ≥ 4.19 — set at creation, read-only
    @Test void altp2mModeParam() {
        assertEquals(HvmParam.ALTP2M_EXTERNAL, emu.hvmParamGet(d, HvmParam.ALTP2M), "xl's altp2m=\"external\"");
        DomainId plain = emu.createGuest(1, 16);
        if (release.altp2mParamReadOnly()) {
            for (long v : new long[] {HvmParam.ALTP2M_EXTERNAL, HvmParam.ALTP2M_MIXED, 0, 4})
                fails(Errno.EEXIST, "xc_hvm_param_set", () -> emu.hvmParamSet(d, HvmParam.ALTP2M, v));
            fails(Errno.EEXIST, "xc_hvm_param_set", () -> emu.hvmParamSet(plain, HvmParam.ALTP2M, 2));
            DomainId c = emu.domainCreate(DomainConfig.forkChild(1).withAltp2mMode(HvmParam.ALTP2M_EXTERNAL));
            assertEquals(HvmParam.ALTP2M_EXTERNAL, emu.hvmParamGet(c, HvmParam.ALTP2M));
            fails(Errno.EINVAL, "xc_domain_create", () -> emu.domainCreate(
                    new DomainConfig(1, true, false, HvmParam.ALTP2M_EXTERNAL, 0)));   // needs HAP
        } else {
            emu.hvmParamSet(d, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL);
            fails(Errno.EEXIST, "xc_hvm_param_set", () -> emu.hvmParamSet(d, HvmParam.ALTP2M, HvmParam.ALTP2M_MIXED));
            fails(Errno.EINVAL, "xc_hvm_param_set", () -> emu.hvmParamSet(plain, HvmParam.ALTP2M, 4));
            emu.hvmParamSet(plain, HvmParam.ALTP2M, HvmParam.ALTP2M_MIXED);
            var e = assertThrows(UnsupportedOnThisXenException.class, () -> emu.domainCreate(
                    DomainConfig.forkChild(1).withAltp2mMode(HvmParam.ALTP2M_EXTERNAL)));
            assertEquals("altp2m mode at domain creation", e.feature());
        }
        assertThrows(IllegalArgumentException.class, () -> DomainConfig.forkChild(1).withAltp2mMode(7));
        emu.altp2mSetDomainState(d, true);
        assertEquals(1, emu.altp2mCreateView(d, MemAccess.RWX).value());
    }

    // §4.5 + §3.3 step 5: the lazy copy's access (OBSERVED 4.20.4: host rwx, view default rx → copy rx), and so
    // whether the page can still be nominated (a view holding it with another access refuses)
    @Test void lazyCopyAccessDecidesNominate() {
        emu.altp2mSetDomainState(d, true);
        ViewId v1 = emu.altp2mCreateView(d, MemAccess.RX);
        emu.altp2mSwitchToView(d, v1);
        assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).read(g(5), 0, 1).outcome());
        MemAccess copied = release.lazyCopyAccess(MemAccess.RWX, MemAccess.RX);
        assertEquals(copied, emu.altp2mGetMemAccess(d, v1, g(5)));
        assertEquals(MemAccess.RWX, emu.altp2mGetMemAccess(d, ViewId.of(0), g(5)));
        if (copied == MemAccess.RWX) assertEquals(2, emu.memshrNominateGfn(d, g(5)).value());
        else fails(Errno.EINVAL, "xc_memshr_nominate_gfn", () -> emu.memshrNominateGfn(d, g(5)));
    }

    // §4.5, DERIVED (not run on real Xen): view 0 is an altp2m view like the others, activated with the host's
    // default access, so on ≥ 4.19 a gfn it has not copied yet comes in with rwx — a host restriction set on that gfn
    // is not seen by a vCPU in view 0 (4.17 copies the host entry's access, so it is)
    @Test void hostRestrictionThroughAnUncopiedView() {
        emu.altp2mSetDomainState(d, true);
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.setMemAccess(d, MemAccess.R, g(20), 1);
            MemAccess seen = release.lazyCopyAccess(MemAccess.R, MemAccess.RWX);
            GuestResult w = emu.guest(d).vcpu(0).write(g(20), 0, bytes(1));
            assertEquals(seen == MemAccess.R ? Outcome.PAUSED_ON_EVENT : Outcome.COMPLETED, w.outcome());
            assertEquals(seen, emu.viewEntry(d, ViewId.of(0), g(20)).orElseThrow().access());
            assertEquals(MemAccess.R, emu.getMemAccess(d, g(20)), "the host entry keeps its restriction");
        }
    }

    // §3.10 step 6 / §8.20: ≥ 4.19 → EEXIST, rolled back, the parent keeps running; 4.17 → 0, the child inherits
    // the mode but not the views
    @Test void forkOfAltp2mParent() {
        emu.altp2mSetDomainState(d, true);
        emu.altp2mCreateView(d, MemAccess.RX);
        DomainId c = emu.domainCreate(DomainConfig.forkChild(1));
        if (release.forkOfAltp2mParentFails()) {
            fails(Errno.EEXIST, "xc_memshr_fork", () -> emu.memshrFork(d, c, false, false));
            assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).read(g(1), 0, 1).outcome(), "parent unpaused");
            fails(Errno.ENOSYS, "xc_memshr_fork_reset", () -> emu.memshrForkReset(c, true, true));
            emu.memshrFork(emu.createGuest(1, 64), c, false, false);   // a parent without altp2m forks fine
        } else {
            emu.memshrFork(d, c, false, false);
            assertEquals(Outcome.NOT_RUNNABLE, emu.guest(d).vcpu(0).read(g(1), 0, 1).outcome(), "paused by Xen");
            assertEquals(HvmParam.ALTP2M_EXTERNAL, emu.hvmParamGet(c, HvmParam.ALTP2M));
            assertFalse(emu.altp2mGetDomainState(c));
        }
    }

    // §5.1: r_pw — 4.20: a guest write violates, a read or a page-walk write does not; 4.17: no number for it, so
    // every call refuses it before changing anything (as the FFM backend does while encoding)
    @Test void readPageWalkAccess() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            if (release.hasReadPageWalk()) {
                emu.setMemAccess(d, MemAccess.R_PW, g(9), 1);
                assertEquals(MemAccess.R_PW, emu.getMemAccess(d, g(9)));
                assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).read(g(9), 0, 1).outcome());
                assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).pageWalk().write(g(9), 0, bytes(1)).outcome());
                GuestResult w = emu.guest(d).vcpu(0).write(g(9), 0, bytes(1));
                assertEquals(Outcome.PAUSED_ON_EVENT, w.outcome());
                var q = tc.takeOne();
                assertEquals(VmEventLayout.REASON_MEM_ACCESS, q.reason());
                emu.setMemAccess(d, MemAccess.RWX, g(9), 1);
                tc.respond(q, 0);
                assertEquals(Outcome.COMPLETED, w.await(java.time.Duration.ofSeconds(5)));
                // the same in a view
                emu.altp2mSetDomainState(d, true);
                ViewId v1 = emu.altp2mCreateView(d, MemAccess.RWX);
                emu.altp2mSetMemAccess(d, v1, g(10), MemAccess.R_PW);
                assertEquals(MemAccess.R_PW, emu.altp2mGetMemAccess(d, v1, g(10)));
                emu.altp2mSwitchToView(d, v1);
                assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).pageWalk().write(g(10), 0, bytes(1)).outcome());
                assertEquals(Outcome.PAUSED_ON_EVENT, emu.guest(d).vcpu(0).write(g(10), 0, bytes(1)).outcome());
                assertEquals(1, tc.takeOne().altp2mIdx());
                return;
            }
            emu.altp2mSetDomainState(d, true);
            ViewId v1 = emu.altp2mCreateView(d, MemAccess.RWX);
            List<GfnAccess> mixed = List.of(new GfnAccess(g(9), MemAccess.R), new GfnAccess(g(10), MemAccess.R_PW));
            for (var call : List.<org.junit.jupiter.api.function.Executable>of(
                    () -> emu.setMemAccess(d, MemAccess.R_PW, g(9), 1),
                    () -> emu.setMemAccessMulti(d, mixed),
                    () -> emu.altp2mCreateView(d, MemAccess.R_PW),
                    () -> emu.altp2mSetMemAccess(d, v1, g(9), MemAccess.R_PW),
                    () -> emu.altp2mSetMemAccessMulti(d, v1, mixed))) {
                var e = assertThrows(UnsupportedOnThisXenException.class, call);
                assertEquals("XENMEM_access_r_pw", e.feature());
                assertEquals(XenVersion.V4_17, e.running());
            }
            assertEquals(MemAccess.RWX, emu.getMemAccess(d, g(9)), "the multi call changed nothing");
            assertTrue(emu.viewEntry(d, v1, g(9)).isEmpty(), "nor did the view call");
            assertEquals(2, emu.altp2mCreateView(d, MemAccess.RWX).value(), "no view was created");
        }
    }

    // §5.1: DEFAULT is never a number in the API; it resolves to the p2m's default on both releases
    @Test void defaultResolves() {
        emu.monitorEnable(d);
        emu.setMemAccess(d, MemAccess.RX, org.xenffm.api.Gfn.INVALID, 0);
        emu.setMemAccess(d, MemAccess.DEFAULT, g(3), 1);
        assertEquals(MemAccess.RX, emu.getMemAccess(d, g(3)));
    }

    // §6.1: IO is a capability from 4.18 (OBSERVED 4.20.4 under Bochs: 0x3f7b; with MTF 0x3f7f)
    @Test void ioEvents() {
        assertEquals(release.capabilities(true), MonitorEvent.toMask(emu.monitorGetCapabilities(d)));
        EmulatedHypervisor bochs = release.emulator(HostConfig.bochs());
        assertEquals(release.capabilities(false),
                MonitorEvent.toMask(bochs.monitorGetCapabilities(bochs.createGuest(1, 16))));
        if (!release.hasIoEvents()) {
            var e = assertThrows(UnsupportedOnThisXenException.class, () -> emu.monitorIo(d, true));
            assertEquals("xc_monitor_io", e.feature());
            return;
        }
        emu.monitorIo(d, true);
        fails(Errno.EEXIST, "xc_monitor_io", () -> emu.monitorIo(d, true));
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            GuestResult r = emu.guest(d).vcpu(0).ioInstruction(0x3f8, 1, false, false);
            assertEquals(Outcome.PAUSED_ON_EVENT, r.outcome());
            var q = tc.takeOne();
            assertEquals(16, q.reason());
            assertEquals(0x3f8, Short.toUnsignedInt(q.raw().get(java.lang.foreign.ValueLayout.JAVA_SHORT,
                    VmEventLayout.U + VmEventLayout.U_IO_PORT)));
            assertEquals(1, q.u32(VmEventLayout.U_IO_BYTES));
        }
    }
}
