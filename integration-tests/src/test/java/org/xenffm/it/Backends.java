// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import org.xenffm.api.HvmParam;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.XenVersion;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.HostConfig;
import org.xenffm.xen.XenHypervisor;

/** The two worlds the suite runs in. */
final class Backends {
    private Backends() {}

    /** The Xen the Bochs harness boots by default: 4.17.5 rebuilt with CONFIG_MEM_SHARING. */
    static final Scenario.Target BOCHS_417 = new Scenario.Target(XenVersion.V4_17, true);
    /** Debian 13's unmodified 4.20 (no CONFIG_MEM_SHARING), the harness' XEN=4.20 target. */
    static final Scenario.Target DEBIAN_420 = new Scenario.Target(XenVersion.V4_20, false);

    /**
     * Real Xen through FFM (dom0, root); guests are puppets created with xl from {@code guestConfig} (on ≥ 4.19 that
     * config says altp2m="external"). {@code memSharing}: whether the hypervisor was built with CONFIG_MEM_SHARING.
     */
    static ScenarioMain.Backend xen(String guestConfig, boolean memSharing) {
        Hypervisor hv = new XenHypervisor();
        GuestDriver.Factory f = PuppetGuest.factory(hv, guestConfig);
        return backend(hv, new Scenario.Target(hv.version(), memSharing), f, "xen " + hv.version());
    }

    /** {@link #emulated(Scenario.Target)} of the default harness target, 4.17 with mem_sharing. */
    static ScenarioMain.Backend emulated() { return emulated(BOCHS_417); }

    /** The emulator configured as the real Xen the Bochs harness boots: VT-x without the monitor trap flag (Bochs),
     *  altp2m=1, a release build (Debian's config: audit is EOPNOTSUPP), the target's release and mem_sharing. */
    static ScenarioMain.Backend emulated(Scenario.Target t) {
        EmulatedHypervisor emu = new EmulatedHypervisor(
                HostConfig.bochs().withVersion(t.version()).withMemSharing(t.memSharing()).withDebug(false));
        // the harness' pup.cfg carries altp2m="external" on the releases that take the mode at creation
        GuestDriver.Factory f = EmulatedGuest.factory(emu, t.altp2mAtCreation() ? HvmParam.ALTP2M_EXTERNAL : 0);
        return backend(emu, t, f, "emulated " + emu.version() + " " + emu.config());
    }

    static ScenarioMain.Backend backend(Hypervisor hv, Scenario.Target t, GuestDriver.Factory f, String what) {
        return new ScenarioMain.Backend() {
            @Override public Hypervisor hv() { return hv; }
            @Override public Scenario.Target target() { return t; }
            @Override public GuestDriver.Factory guests() { return f; }
            @Override public String describe() { return what; }
            @Override public void close() { hv.close(); }
        };
    }
}
