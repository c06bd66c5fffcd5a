// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.HvmParam;
import org.xenffm.api.MemAccess;
import org.xenffm.api.MonitorEvent;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenVersion;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.emulated.Support.*;

/** docs/xen-semantics.md §0: build and boot gates. */
class HostConfigTest {
    // mem_sharing.c:mem_sharing_control (VMX only), mem_access.c:p2m_mem_access_sanity_check, hvm.c:do_altp2m_op
    @Test void amdHost() {
        EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.amd());
        DomainId d = emu.createGuest(1, 64);
        fails(Errno.EOPNOTSUPP, "xc_memshr_control", () -> emu.memshrControl(d, true));
        fails(Errno.EOPNOTSUPP, "xc_memshr_nominate_gfn", () -> emu.memshrNominateGfn(d, g(1)));
        fails(Errno.EINVAL, "xc_set_mem_access", () -> emu.setMemAccess(d, MemAccess.R, g(1), 1));
        emu.monitorEnable(d);   // vm_event plumbing works on SVM
        fails(Errno.EINVAL, "xc_set_mem_access", () -> emu.setMemAccess(d, MemAccess.R, g(1), 1));
        fails(Errno.EOPNOTSUPP, "xc_altp2m_get_domain_state", () -> emu.altp2mGetDomainState(d));
        assertEquals(0x1f7b, MonitorEvent.toMask(emu.monitorGetCapabilities(d)));
        assertTrue(emu.physinfo().svm());
        assertFalse(emu.physinfo().vmx());
    }

    // hvm.c:do_altp2m_op check 1: altp2m not enabled at boot → every HVMOP_altp2m is EOPNOTSUPP
    @Test void altp2mNotBooted() {
        EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.vtx().withAltp2mBoot(false));
        DomainId d = emu.createGuest(1, 64);
        emu.hvmParamSet(d, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL);
        fails(Errno.EOPNOTSUPP, "xc_altp2m_get_domain_state", () -> emu.altp2mGetDomainState(d));
        fails(Errno.EOPNOTSUPP, "xc_altp2m_set_domain_state", () -> emu.altp2mSetDomainState(d, true));
        fails(Errno.EOPNOTSUPP, "xc_altp2m_create_view", () -> emu.altp2mCreateView(d, MemAccess.RWX));
        fails(Errno.EOPNOTSUPP, "xc_altp2m_set_mem_access",
                () -> emu.altp2mSetMemAccess(d, ViewId.of(0), g(1), MemAccess.R));
        fails(Errno.EOPNOTSUPP, "xc_altp2m_get_vcpu_p2m_idx", () -> emu.altp2mGetVcpuP2mIdx(d, VcpuId.of(0)));
    }

    @ParameterizedTest(name = "{0}") @EnumSource(Release.class)
    void versionAndCapabilities(Release release) {
        EmulatedHypervisor emu = release.emulator();
        assertEquals(release.version, emu.version());
        assertEquals(XenVersion.V4_17, new EmulatedHypervisor().version(), "the default host runs 4.17");
        DomainId d = emu.createGuest(1, 64);
        assertTrue(emu.monitorGetCapabilities(d).contains(MonitorEvent.SINGLESTEP));
        assertFalse(emu.monitorGetCapabilities(d).contains(MonitorEvent.PRIVILEGED_CALL), "ARM only");
        assertEquals(release.hasIoEvents(), emu.monitorGetCapabilities(d).contains(MonitorEvent.IO), "≥ 4.18");
        DomainId pv = emu.createGuest(GuestSpec.hvm(1, 64).pv());
        assertTrue(emu.monitorGetCapabilities(pv).isEmpty(), "non-HVM: no capabilities");
        fails(Errno.EPERM, "xc_monitor_get_capabilities", () -> emu.monitorGetCapabilities(DomainId.DOM0));
    }

    // the sharing ring needs a PV control domain (vm_event_domctl "hvm fixme") and HAP
    @Test void sharingRingGates() {
        EmulatedHypervisor pvh = new EmulatedHypervisor(HostConfig.vtx().withDom0Hvm(true));
        DomainId d = pvh.createGuest(1, 64);
        fails(Errno.EOPNOTSUPP, "xc_memshr_ring_enable", () -> pvh.memshrRingEnable(d));
        EmulatedHypervisor emu = new EmulatedHypervisor();
        DomainId noHap = emu.createGuest(GuestSpec.hvm(1, 64).withoutHap());
        fails(Errno.ENODEV, "xc_memshr_ring_enable", () -> emu.memshrRingEnable(noHap));
        DomainId ok = emu.createGuest(1, 64);
        emu.memshrRingEnable(ok);
        fails(Errno.EBUSY, "xc_memshr_ring_enable", () -> emu.memshrRingEnable(ok));
        emu.memshrRingDisable(ok);
        fails(Errno.EINVAL, "xc_memshr_ring_disable", () -> emu.memshrRingDisable(ok));
        fails(Errno.ENODEV, "xc_memshr_domain_resume", () -> emu.memshrDomainResume(ok));
    }

    // parity with the FFM backend's lifecycle: every Hypervisor call refuses after close; close is idempotent
    @Test void closedHandleRefuses() {
        EmulatedHypervisor emu = new EmulatedHypervisor();
        DomainId d = emu.createGuest(1, 16);
        emu.close();
        emu.close();
        assertThrows(IllegalStateException.class, emu::version);
        assertThrows(IllegalStateException.class, () -> emu.memshrNominateGfn(d, g(1)));
        assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).read(g(1), 0, 1).outcome(), "the guest keeps running");
    }
}
