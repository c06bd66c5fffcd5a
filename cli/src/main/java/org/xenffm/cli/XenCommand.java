// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.Hypervisor;
import org.xenffm.api.XenNotAvailableException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** A verb that talks to the hypervisor. Failures propagate as exceptions and are mapped to exit codes by Main. */
abstract class XenCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    /** For a verb whose model is written as code: its model around this object (picocli injects no @Spec then). */
    CommandSpec model(String name) {
        return spec = Model.command(this, name);
    }

    Xenffm root() { return (Xenffm) spec.root().userObject(); }

    @Override public final Integer call() throws Exception {
        Xenffm r = root();
        Hypervisor hv;
        try {
            hv = r.hypervisor(preferredBackend());
        } catch (XenNotAvailableException e) {
            return withoutXen(e, r.printer());
        }
        return run(hv, r.printer());
    }

    /** The backend this verb uses when none was asked for (null: xen). */
    Backends.Kind preferredBackend() { return null; }

    /** Does the work and returns the exit code. */
    abstract int run(Hypervisor hv, Printer out) throws Exception;

    /** What to do when the backend cannot be opened; by default the failure is reported as exit code 3. */
    int withoutXen(XenNotAvailableException e, Printer out) {
        throw e;
    }
}
