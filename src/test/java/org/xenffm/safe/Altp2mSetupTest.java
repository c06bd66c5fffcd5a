// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.HvmParam;
import org.xenffm.api.MemAccess;
import org.xenffm.api.XenVersion;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestSpec;
import org.xenffm.emulated.HostConfig;

/** Altp2mSetup.enable on both emulated releases: the 4.17 once-only param, the ≥ 4.19 creation option. */
@ParameterizedClass(name = "Xen {0}")
@ValueSource(strings = {"4.17", "4.20"})
class Altp2mSetupTest {
    @Parameter String release;

    EmulatedHypervisor hv() { return new EmulatedHypervisor(HostConfig.vtx(XenVersion.parse(release))); }

    boolean atCreation() { return XenVersion.parse(release).altp2mAtCreation(); }

    @Test
    void aGuestCreatedWithAltp2mIsEnabledOnBoth() {
        EmulatedHypervisor hv = hv();
        DomainId d = hv.createGuest(GuestSpec.hvm(1, 64).withAltp2m(HvmParam.ALTP2M_EXTERNAL));   // xl's altp2m=
        assertEquals(HvmParam.ALTP2M_EXTERNAL, Altp2mSetup.enable(hv, d, HvmParam.ALTP2M_EXTERNAL));
        assertTrue(hv.altp2mGetDomainState(d));
        assertEquals(1, hv.altp2mCreateView(d, MemAccess.RWX).value());
        assertEquals(HvmParam.ALTP2M_EXTERNAL, Altp2mSetup.enable(hv, d, HvmParam.ALTP2M_EXTERNAL), "idempotent");
        assertEquals(2, hv.altp2mCreateView(d, MemAccess.RWX).value(), "a second enable kept the views");
    }

    @Test
    void aGuestCreatedWithoutAltp2m() {
        EmulatedHypervisor hv = hv();
        DomainId d = hv.createGuest(1, 64);
        if (!atCreation()) {   // 4.17: the param is set, then altp2m activated
            assertEquals(HvmParam.ALTP2M_EXTERNAL, Altp2mSetup.enable(hv, d, HvmParam.ALTP2M_EXTERNAL));
            assertEquals(HvmParam.ALTP2M_EXTERNAL, hv.hvmParamGet(d, HvmParam.ALTP2M));
            assertTrue(hv.altp2mGetDomainState(d));
            return;
        }
        var e = assertThrows(Altp2mSetup.Altp2mModeException.class,
                () -> Altp2mSetup.enable(hv, d, HvmParam.ALTP2M_EXTERNAL));
        String m = e.getMessage();
        assertTrue(m.contains("created without altp2m"), m);
        assertTrue(m.contains("altp2m = \"external\" in its xl config"), m);
        assertTrue(m.contains("DomainConfig.withAltp2mMode(2)"), m);
        assertEquals(Errno.EEXIST, e.errno());
        assertEquals(d, e.domain().orElseThrow());
        assertEquals(0, hv.hvmParamGet(d, HvmParam.ALTP2M), "nothing changed");
        // and the way the message names works: a domain created with the mode
        DomainId c = hv.domainCreate(DomainConfig.forkChild(1).withAltp2mMode(HvmParam.ALTP2M_EXTERNAL));
        Altp2mSetup.enable(hv, c, HvmParam.ALTP2M_EXTERNAL);
        assertTrue(hv.altp2mGetDomainState(c));
    }

    @Test
    void aGuestWithAnotherMode() {
        EmulatedHypervisor hv = hv();
        DomainId d = hv.createGuest(GuestSpec.hvm(1, 64).withAltp2m(HvmParam.ALTP2M_MIXED));
        if (atCreation()) {   // ≥ 4.19: the creation mode is used as it is (dom0 may drive mixed too)
            assertEquals(HvmParam.ALTP2M_MIXED, Altp2mSetup.enable(hv, d, HvmParam.ALTP2M_EXTERNAL));
            assertTrue(hv.altp2mGetDomainState(d));
            return;
        }
        var e = assertThrows(Altp2mSetup.Altp2mModeException.class,
                () -> Altp2mSetup.enable(hv, d, HvmParam.ALTP2M_EXTERNAL));
        assertTrue(e.getMessage().contains("already has altp2m mode mixed"), e.getMessage());
        assertTrue(e.getMessage().contains("changes only once"), e.getMessage());
        assertEquals(HvmParam.ALTP2M_MIXED, e.current());
        assertFalse(hv.altp2mGetDomainState(d));
        assertEquals(HvmParam.ALTP2M_MIXED, Altp2mSetup.enable(hv, d, HvmParam.ALTP2M_MIXED));
        assertTrue(hv.altp2mGetDomainState(d));
    }

    @Test
    void disabledIsNotAModeToEnable() {
        EmulatedHypervisor hv = hv();
        DomainId d = hv.createGuest(1, 16);
        assertThrows(IllegalArgumentException.class, () -> Altp2mSetup.enable(hv, d, HvmParam.ALTP2M_DISABLED));
        assertThrows(IllegalArgumentException.class, () -> Altp2mSetup.enable(hv, d, 4));
    }
}
