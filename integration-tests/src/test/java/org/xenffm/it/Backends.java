package org.xenffm.it;

import org.xenffm.api.Hypervisor;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.HostConfig;
import org.xenffm.xen.XenHypervisor;

/** The two worlds the suite runs in. */
final class Backends {
    private Backends() {}

    /** Real Xen through FFM (dom0, root); guests are puppets created with xl from {@code guestConfig}. */
    static ScenarioMain.Backend xen(String guestConfig) {
        Hypervisor hv = new XenHypervisor();
        GuestDriver.Factory f = PuppetGuest.factory(hv, guestConfig);
        return backend(hv, f, "xen " + hv.version());
    }

    /** The emulator configured as the real Xen the Bochs harness boots: 4.17 on VT-x without the monitor trap flag
     *  (Bochs), CONFIG_MEM_SHARING, altp2m=1, a release build (Debian's config: audit is EOPNOTSUPP). */
    static ScenarioMain.Backend emulated() {
        EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.bochs().withDebug(false));
        return backend(emu, EmulatedGuest.factory(emu), "emulated " + emu.version() + " " + emu.config());
    }

    static ScenarioMain.Backend backend(Hypervisor hv, GuestDriver.Factory f, String what) {
        return new ScenarioMain.Backend() {
            @Override public Hypervisor hv() { return hv; }
            @Override public GuestDriver.Factory guests() { return f; }
            @Override public String describe() { return what; }
            @Override public void close() { hv.close(); }
        };
    }
}
