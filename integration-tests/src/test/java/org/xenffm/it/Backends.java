package org.xenffm.it;

import org.xenffm.api.Hypervisor;
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

    static ScenarioMain.Backend emulated() {
        throw new UnsupportedOperationException("emulator backend not merged yet");
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
