// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.Hypervisor;
import org.xenffm.xen.XenHypervisor;

/** Opens the hypervisor a command line asked for. */
final class Backends {
    private Backends() {}

    enum Kind { xen, emulated }

    /** How the root command gets its Hypervisor; tests pass one that hands out a prepared emulator. */
    @FunctionalInterface
    interface Opener {
        Hypervisor open(Kind kind, EmulatedHostSpec spec);

        /** Whether the command line closes what this opener returns (not for a handle lent by the caller). */
        default boolean closesWhatItOpens() { return true; }

        /** An opener lending an existing handle: the command line uses it and leaves it open. */
        static Opener lending(Hypervisor hv) {
            return new Opener() {
                @Override public Hypervisor open(Kind kind, EmulatedHostSpec spec) { return hv; }
                @Override public boolean closesWhatItOpens() { return false; }
            };
        }
    }

    static Hypervisor open(Kind kind, EmulatedHostSpec spec) {
        return switch (kind) {
            case xen -> openXen();
            case emulated -> EmulatedHost.start(spec);
        };
    }

    /** The FFM backend; XenHypervisor throws XenNotAvailableException (ENOENT) when this is not dom0 of a Xen host. */
    static Hypervisor openXen() {
        return new XenHypervisor();
    }
}
