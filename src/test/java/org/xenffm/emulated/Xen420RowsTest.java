package org.xenffm.emulated;

import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.HvmParam;
import org.xenffm.api.MemAccess;
import org.xenffm.api.MonitorEvent;
import org.xenffm.api.ViewId;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.emulated.Support.*;

/** The rows xen-semantics marks ≥ 4.19 / ≥ 4.20 (all OBSERVED on 4.20.4 under Bochs), on HostConfig.xen420(). */
class Xen420RowsTest {
    final EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.xen420());
    final DomainId d = emu.createGuest(GuestSpec.hvm(1, 256).withAltp2m(HvmParam.ALTP2M_EXTERNAL));

    // §4.1: the mode is chosen at creation; HVM_PARAM_ALTP2M is read-only for every value
    @Test void altp2mModeAtCreationAndReadOnlyParam() {
        assertEquals(HvmParam.ALTP2M_EXTERNAL, emu.hvmParamGet(d, HvmParam.ALTP2M));
        fails(Errno.EEXIST, "xc_hvm_param_set", () -> emu.hvmParamSet(d, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL));
        fails(Errno.EEXIST, "xc_hvm_param_set", () -> emu.hvmParamSet(d, HvmParam.ALTP2M, 0));
        emu.altp2mSetDomainState(d, true);
        assertEquals(1, emu.altp2mCreateView(d, MemAccess.RWX).value());
        fails(Errno.EINVAL, "xc_domain_create",
                () -> emu.domainCreate(new DomainConfig(1, true, true, 7, 0)));
        // 4.17 has no creation option
        EmulatedHypervisor old = new EmulatedHypervisor();
        fails(Errno.EINVAL, "xc_domain_create", () -> old.createGuest(GuestSpec.hvm(1, 16).withAltp2m(2)));
    }

    // §4.5: the lazy copy takes the view's default access (OBSERVED 4.20.4: host rx, view copy rwx)
    @Test void lazyCopyUsesViewDefault() {
        emu.altp2mSetDomainState(d, true);
        ViewId v1 = emu.altp2mCreateView(d, MemAccess.RWX);
        emu.altp2mSetMemAccess(d, ViewId.of(0), g(5), MemAccess.RX);
        emu.altp2mSwitchToView(d, v1);
        assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).read(g(5), 0, 1).outcome());
        assertEquals(MemAccess.RWX, emu.altp2mGetMemAccess(d, v1, g(5)));
        assertEquals(MemAccess.RX, emu.altp2mGetMemAccess(d, ViewId.of(0), g(5)));
    }

    // §3.10 step 6 / §8.20 (≥4.19 half): forking an altp2m parent → EEXIST, rolled back, the parent keeps running
    @Test void forkOfAltp2mParentFails() {
        DomainId c = emu.domainCreate(DomainConfig.forkChild(1));
        fails(Errno.EEXIST, "xc_memshr_fork", () -> emu.memshrFork(d, c, false, false));
        assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).read(g(1), 0, 1).outcome(), "parent unpaused again");
        fails(Errno.ENOSYS, "xc_memshr_fork_reset", () -> emu.memshrForkReset(c, true, true));
        DomainId plain = emu.createGuest(1, 64);
        emu.memshrFork(plain, c, false, false);   // a parent without altp2m forks fine
    }

    // §5.1: r_pw (4.20) — a guest write violates, a read or a page-walk write does not
    @Test void readPageWalkAccess() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.setMemAccess(d, MemAccess.R_PW, g(9), 1);
            assertEquals(MemAccess.R_PW, emu.getMemAccess(d, g(9)));
            assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).read(g(9), 0, 1).outcome());
            assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).pageWalk().write(g(9), 0, bytes(1)).outcome());
            assertEquals(Outcome.PAUSED_ON_EVENT, emu.guest(d).vcpu(0).write(g(9), 0, bytes(1)).outcome());
            assertEquals(VmEventLayout.REASON_MEM_ACCESS, tc.takeOne().reason());
        }
    }

    // §6.1: IO is a capability from 4.18 (OBSERVED 4.20.4 under Bochs: 0x3f7b; with MTF 0x3f7f)
    @Test void ioCapability() {
        assertEquals(0x3f7f, MonitorEvent.toMask(emu.monitorGetCapabilities(d)));
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
