// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.GfnAccess;
import org.xenffm.api.HvmParam;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SuppressVeResult;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.emulated.Support.*;

/** altp2m rules of docs/xen-semantics.md §4 beyond the §8 scenarios. */
@ParameterizedClass(name = "{0}")
@EnumSource(Release.class)
class Altp2mRulesTest {
    final Release release;
    final EmulatedHypervisor emu;
    final DomainId d;

    Altp2mRulesTest(Release release) {
        this.release = release;
        emu = release.emulator();
        d = release.altp2mGuest(emu, 2, 256);
    }

    private ViewId on() {
        emu.altp2mSetDomainState(d, true);
        return emu.altp2mCreateView(d, MemAccess.RWX);
    }

    // hvm.c:hvm_allow_set_param — 4.17: HVM_PARAM_ALTP2M changes once (OBSERVED 4.17.5: external → mixed = EEXIST);
    // ≥ 4.19: read-only after creation, EEXIST for every value (OBSERVED 4.20.4)
    @Test void altp2mParamOnce() {
        DomainId e = emu.createGuest(1, 16);
        if (release.altp2mParamReadOnly()) {
            fails(Errno.EEXIST, "xc_hvm_param_set", () -> emu.hvmParamSet(d, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL));
            fails(Errno.EEXIST, "xc_hvm_param_set", () -> emu.hvmParamSet(e, HvmParam.ALTP2M, 4));
        } else {
            emu.hvmParamSet(d, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL);
            fails(Errno.EINVAL, "xc_hvm_param_set", () -> emu.hvmParamSet(e, HvmParam.ALTP2M, 4));
        }
        fails(Errno.EEXIST, "xc_hvm_param_set", () -> emu.hvmParamSet(d, HvmParam.ALTP2M, HvmParam.ALTP2M_MIXED));
        fails(Errno.EEXIST, "xc_hvm_param_set", () -> emu.hvmParamSet(d, HvmParam.ALTP2M, 0));
        assertEquals(HvmParam.ALTP2M_EXTERNAL, emu.hvmParamGet(d, HvmParam.ALTP2M));
    }

    // altp2m_vcpu_initialise / p2m_get_vcpu idx; enable_notify rules (EINVAL, EEXIST, EOPNOTSUPP without #VE)
    @Test void vcpuIndexAndNotify() {
        on();
        assertEquals(ViewId.of(0), emu.altp2mGetVcpuP2mIdx(d, VcpuId.of(1)));
        fails(Errno.EINVAL, "xc_altp2m_get_vcpu_p2m_idx", () -> emu.altp2mGetVcpuP2mIdx(d, VcpuId.of(2)));
        fails(Errno.EINVAL, "xc_altp2m_set_vcpu_enable_notify",
                () -> emu.altp2mSetVcpuEnableNotify(d, VcpuId.of(0), g(5000)));
        emu.altp2mSetVcpuEnableNotify(d, VcpuId.of(0), g(9));
        fails(Errno.EEXIST, "xc_altp2m_set_vcpu_enable_notify",
                () -> emu.altp2mSetVcpuEnableNotify(d, VcpuId.of(0), g(10)));
        emu.altp2mSetVcpuDisableNotify(d, VcpuId.of(0));
        emu.altp2mSetVcpuEnableNotify(d, VcpuId.of(0), g(10));
        fails(Errno.EINVAL, "xc_altp2m_set_vcpu_disable_notify", () -> emu.altp2mSetVcpuDisableNotify(d, VcpuId.of(5)));
        EmulatedHypervisor noVe = release.emulator(HostConfig.vtx().withVirtExceptions(false));
        DomainId x = release.altp2mGuest(noVe, 1, 16);
        noVe.altp2mSetDomainState(x, true);
        fails(Errno.EOPNOTSUPP, "xc_altp2m_set_vcpu_enable_notify",
                () -> noVe.altp2mSetVcpuEnableNotify(x, VcpuId.of(0), g(1)));
    }

    // #VE: a violation in a view with suppress_ve clear is delivered to the guest, not to the monitor
    @Test void virtualizationException() {
        ViewId v1 = on();
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.altp2mSetMemAccess(d, v1, g(0x20), MemAccess.R);
            emu.altp2mSetSuppressVe(d, v1, g(0x20), false);
            assertFalse(emu.altp2mGetSuppressVe(d, v1, g(0x20)));
            emu.altp2mSwitchToView(d, v1);
            // no #VE page yet: an ordinary event
            assertEquals(Outcome.PAUSED_ON_EVENT, emu.guest(d).vcpu(1).write(g(0x20), 0, bytes(1)).outcome());
            assertEquals(1, tc.take().size());
            emu.altp2mSetVcpuEnableNotify(d, VcpuId.of(0), g(9));
            assertEquals(Outcome.VIRTUALIZATION_EXCEPTION, emu.guest(d).vcpu(0).write(g(0x20), 0, bytes(1)).outcome());
            assertEquals(1, emu.guest(d).vcpu(0).virtualizationExceptions());
            assertEquals(0, tc.take().size());
        }
    }

    // p2m_set_suppress_ve_multi: per-gfn errors recorded (first only), processing continues
    @Test void suppressVeMulti() {
        ViewId v1 = on();
        SuppressVeResult r = emu.altp2mSetSuppressVeMulti(d, v1, g(250), g(262), false);
        assertEquals(g(256), r.firstErrorGfn().orElseThrow());
        assertEquals(Errno.ESRCH, r.firstError().orElseThrow());
        assertFalse(emu.altp2mGetSuppressVe(d, v1, g(255)));
        fails(Errno.ESRCH, "xc_altp2m_get_suppress_ve", () -> emu.altp2mGetSuppressVe(d, v1, g(256)));
        fails(Errno.EINVAL, "xc_altp2m_set_supress_ve_multi",
                () -> emu.altp2mSetSuppressVeMulti(d, v1, g(5), g(4), false));
        fails(Errno.EINVAL, "xc_altp2m_set_supress_ve_multi",
                () -> emu.altp2mSetSuppressVeMulti(d, ViewId.of(7), g(4), g(5), false));
        fails(Errno.ESRCH, "xc_altp2m_set_suppress_ve", () -> emu.altp2mSetSuppressVe(d, v1, g(300), false));
        // view 0 = host: holes are skipped silently
        emu.altp2mSetSuppressVe(d, ViewId.of(0), g(300), false);
        emu.altp2mSetSuppressVe(d, ViewId.of(0), g(3), false);
        assertFalse(emu.altp2mGetSuppressVe(d, ViewId.of(0), g(3)));
    }

    // p2m_altp2m_propagate_change: dropping a remapped target gfn resets the view
    @Test void droppingARemapTargetResetsTheView() {
        ViewId v1 = on();
        ViewId v2 = emu.altp2mCreateView(d, MemAccess.RWX);
        long ringGfn = emu.hvmParamGet(d, HvmParam.MONITOR_RING_PFN);
        emu.altp2mSetMemAccess(d, v1, g(3), MemAccess.R);
        emu.altp2mSetMemAccess(d, v2, g(3), MemAccess.X);
        emu.altp2mChangeGfn(d, v1, g(4), g(ringGfn));
        emu.monitorEnable(d);   // XSA-99: the ring gfn leaves the physmap → host write with INVALID_MFN
        assertTrue(emu.viewEntry(d, v1, g(4)).isEmpty(), "view 1 reset");
        assertTrue(emu.viewEntry(d, v1, g(3)).isEmpty(), "view-specific access dropped too");
        assertEquals(MemAccess.X, emu.altp2mGetMemAccess(d, v2, g(3)), "view 2 untouched (not remapped)");
    }

    // p2m_set_mem_access_multi: the first failing entry stops the call, earlier ones stay
    @Test void setMemAccessMulti() {
        ViewId v1 = on();
        emu.altp2mSetMemAccessMulti(d, v1, List.of(new GfnAccess(g(1), MemAccess.R), new GfnAccess(g(2), MemAccess.X)));
        assertEquals(MemAccess.X, emu.altp2mGetMemAccess(d, v1, g(2)));
        // ESRCH on a view is swallowed (hole skipped)
        emu.altp2mSetMemAccessMulti(d, v1, List.of(new GfnAccess(g(5000), MemAccess.R), new GfnAccess(g(3), MemAccess.W)));
        assertEquals(MemAccess.W, emu.altp2mGetMemAccess(d, v1, g(3)));
        fails(Errno.EINVAL, "xc_altp2m_set_mem_access_multi", () -> emu.altp2mSetMemAccessMulti(d, ViewId.of(8),
                List.of(new GfnAccess(g(1), MemAccess.R))));
        // DEFAULT resolves to the host default; ~0 sets the host default even through a view
        emu.altp2mSetMemAccess(d, v1, org.xenffm.api.Gfn.INVALID, MemAccess.RX);
        emu.altp2mSetMemAccess(d, v1, g(6), MemAccess.DEFAULT);
        assertEquals(MemAccess.RX, emu.altp2mGetMemAccess(d, v1, g(6)));
        assertEquals(MemAccess.RWX, emu.altp2mGetMemAccess(d, v1, org.xenffm.api.Gfn.INVALID), "view default");
        // r_pw: a number only from 4.20 (§5.1); 4.17 refuses it before the call
        if (release.hasReadPageWalk()) {
            emu.altp2mSetMemAccess(d, v1, g(7), MemAccess.R_PW);
            assertEquals(MemAccess.R_PW, emu.altp2mGetMemAccess(d, v1, g(7)));
        } else {
            assertThrows(org.xenffm.api.UnsupportedOnThisXenException.class,
                    () -> emu.altp2mSetMemAccess(d, v1, g(7), MemAccess.R_PW));
        }
    }

    // p2m_get_mem_access: idx ≠ 0 with altp2m off → EINVAL; switch_to_view to an invisible view → EINVAL
    @Test void getAndVisibility() {
        ViewId v1 = on();
        emu.altp2mSetVisibility(d, v1, false);
        fails(Errno.EINVAL, "xc_altp2m_switch_to_view", () -> emu.altp2mSwitchToView(d, v1));
        emu.altp2mSetVisibility(d, v1, true);
        emu.altp2mSwitchToView(d, v1);
        fails(Errno.EINVAL, "xc_altp2m_set_visibility", () -> emu.altp2mSetVisibility(d, ViewId.of(5), true));
        fails(Errno.EINVAL, "xc_altp2m_switch_to_view", () -> emu.altp2mSwitchToView(d, ViewId.of(10)));
        emu.altp2mSwitchToView(d, ViewId.of(0));
        emu.altp2mSetDomainState(d, false);
        fails(Errno.EOPNOTSUPP, "xc_altp2m_get_mem_access", () -> emu.altp2mGetMemAccess(d, v1, g(1)));
        assertFalse(emu.altp2mGetDomainState(d));
    }
}
