// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * The (emulated) hypervisor crashed: the call sequence is one that panics real Xen (e.g. altp2m set_mem_access on a
 * shared gfn the view has not copied: "Xen BUG at mm-locks.h:80"). The emulated host is dead after this; every
 * later call fails with this exception too. Its errno is EIO.
 *
 * @serial exclude
 */
public class HypervisorCrashedException extends XenException {
    private final String panic;

    /**
     * A crash.
     *
     * @param operation the call that crashed the hypervisor
     * @param domain    its domain
     * @param gfn       its gfn, or null
     * @param view      its view, or null
     * @param panic     the panic text real Xen prints
     */
    public HypervisorCrashedException(String operation, DomainId domain, Gfn gfn, ViewId view, String panic) {
        super(operation, domain, gfn, view, Errno.EIO.value(), "hypervisor crashed: " + panic);
        this.panic = panic;
    }

    /** {@return the panic text real Xen prints for this path} */
    public String panic() { return panic; }
}
