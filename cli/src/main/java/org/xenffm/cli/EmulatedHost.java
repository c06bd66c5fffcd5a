// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.HvmParam;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestSpec;
import org.xenffm.emulated.HostConfig;

/** Starts an emulated Xen host with the guests of --emulated-domains (ids 1, 2, … as on a fresh Xen host). */
final class EmulatedHost {
    private EmulatedHost() {}

    static EmulatedHypervisor start(EmulatedHostSpec spec) {
        HostConfig cfg = switch (spec.host()) {
            case vtx -> HostConfig.vtx();
            case xen420 -> HostConfig.xen420();
            case debian -> HostConfig.debian();
            case bochs -> HostConfig.bochs();
            case amd -> HostConfig.amd();
        };
        EmulatedHypervisor emu = new EmulatedHypervisor(cfg);
        for (EmulatedHostSpec.Guest g : spec.guests()) {
            GuestSpec gs = GuestSpec.hvm(g.vcpus(), g.pages());
            emu.createGuest(g.altp2m() ? gs.withAltp2m(HvmParam.ALTP2M_EXTERNAL) : gs);
        }
        return emu;
    }
}
