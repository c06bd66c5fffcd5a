package org.xenffm.cli;

import org.xenffm.api.Hypervisor;

/** Starts an emulated Xen host with the guests of --emulated-domains. */
final class EmulatedHost {
    private EmulatedHost() {}

    static Hypervisor start(EmulatedHostSpec spec) {
        throw new UnsupportedOperationException("the emulated backend is not in this build yet");
    }
}
