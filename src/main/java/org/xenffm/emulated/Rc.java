// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.Errno;

/**
 * A hypervisor return code (-errno) travelling up to the hypercall boundary, where {@link Host#call} turns it into a
 * XenException with the libxenctrl operation name. Xen's memshr codes -10/-9 are ECHILD/EBADF numerically.
 */
final class Rc extends RuntimeException {
    final int errno;

    private Rc(int errno) {
        super(null, null, false, false);
        this.errno = errno;
    }

    static Rc of(Errno e) { return new Rc(e.value()); }

    static Rc of(int errno) { return new Rc(Math.abs(errno)); }

    /** Throws for a negative Xen-style return code; returns it otherwise. */
    static long check(long rc) {
        if (rc < 0) throw of((int) -rc);
        return rc;
    }

    /** XENMEM_SHARING_OP_S_HANDLE_INVALID / _C_HANDLE_INVALID. */
    static final int S_HANDLE_INVALID = -10, C_HANDLE_INVALID = -9;
}
