// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.HashMap;
import java.util.Map;

/**
 * The errno values Xen and libxenctrl report (Xen's public/errno.h equals Linux's for all of these).
 * {@link #ECHILD} and {@link #EBADF} double as XENMEM_SHARING_OP_S_HANDLE_INVALID (-10) and _C_HANDLE_INVALID (-9).
 */
public enum Errno {
    /** Operation not permitted: e.g. the target is the caller's own domain. */
    EPERM(1),
    /** No such entry: a grant reference beyond the table; no Xen device. */
    ENOENT(2),
    /** No such domain; for p2m calls, no valid mapping at the gfn. */
    ESRCH(3),
    /** Interrupted system call. */
    EINTR(4),
    /** I/O error; the emulator's errno for a hypervisor crash. */
    EIO(5),
    /** No such device or address: a grant entry never granted; MSR events without a monitor ring. */
    ENXIO(6),
    /** Too big: when nominating, something else holds a reference to the page. */
    E2BIG(7),
    /** Bad file number; from mem_sharing, XENMEM_SHARING_OP_C_HANDLE_INVALID (-9). */
    EBADF(9),
    /** No child process; from mem_sharing, XENMEM_SHARING_OP_S_HANDLE_INVALID (-10). */
    ECHILD(10),
    /** Try again. */
    EAGAIN(11),
    /** Out of memory. */
    ENOMEM(12),
    /** Permission denied: a Xen device needs root. */
    EACCES(13),
    /** Bad address: Xen could not copy the arguments. */
    EFAULT(14),
    /** Busy: a ring already enabled, a view in use, an unpaused fork child, a pending injection. */
    EBUSY(16),
    /** Already exists: a monitor event already in the requested state, a param settable only once. */
    EEXIST(17),
    /** Cross-device: mem_sharing on a domain with an IOMMU. */
    EXDEV(18),
    /** No such device: no HAP for mem_sharing; no monitor ring for mem_access or resume. */
    ENODEV(19),
    /** Invalid argument, or an object in the wrong state (the per-call documentation says which). */
    EINVAL(22),
    /** No space left. */
    ENOSPC(28),
    /** Too many links. */
    EMLINK(31),
    /** Out of range. */
    ERANGE(34),
    /** Not implemented: mem_sharing compiled out of the hypervisor; fork_reset on a non-fork. */
    ENOSYS(38),
    /** No data available. */
    ENODATA(61),
    /** Illegal byte sequence. */
    EILSEQ(84),
    /** Xen-internal "restart the hypercall", seen by callers only where Xen leaks it (4.17 fork_reset). */
    ERESTART(85),
    /** Not supported: by this host (no VT-x, no altp2m, a missing monitor capability) or build. */
    EOPNOTSUPP(95),
    /** Timed out. */
    ETIMEDOUT(110),
    /** A value this enum does not name; {@link XenException#errnoValue()} keeps the number. */
    UNKNOWN(-1);

    private static final Map<Integer, Errno> BY_VALUE = new HashMap<>();
    static {
        for (Errno e : values()) if (e.value > 0) BY_VALUE.put(e.value, e);
    }

    private final int value;

    Errno(int value) { this.value = value; }

    /** {@return the errno number (positive; Xen returns its negation)} */
    public int value() { return value; }

    /**
     * The constant for an errno number.
     *
     * @param value the errno, either sign
     * @return its constant, or {@link #UNKNOWN}
     */
    public static Errno of(int value) { return BY_VALUE.getOrDefault(Math.abs(value), UNKNOWN); }
}
